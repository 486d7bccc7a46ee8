#!/bin/bash
# readers_roundtrip (issue 5, "Round trip"): the bundled market-data capture goes through
# feedcap-capture (net_pcap) into a ring once; feedcap-dump writes it from the oldest frame in
# every format and compression (pcap, pcapng, each plain and zstd, and the multi-frame
# seekable zstd); capinfos and tshark read every file, zstd -t accepts every compressed one;
# feedcap-replay of each gives back the input's frames: the same bytes (tshark's per-frame MD5)
# and the same timestamps to the microsecond (net_pcap's precision: the input's nanoseconds
# cut to microseconds).  Also feedcap-replay -F pcapng, and -w - into tcpdump -r -.
# Oracles: capinfos counts the input, tshark and tcpdump read the input and every output.
source "$FEEDCAP_TESTLIB/common.sh"
need_root
need_env FEEDCAP_CAPTURE FEEDCAP_DUMP FEEDCAP_REPLAY FEEDCAP_TESTDATA
need_tools capinfos tshark tcpdump zstd editcap
# A 64 MiB ring (and its registry) and DPDK's -m 256, with a margin: raised if needed
# (restored at exit), else skip saying how many are missing.
HUGEPAGES_MOUNT=${FEEDCAP_TEST_HUGEDIR:-/dev/hugepages}
source "$FEEDCAP_TESTLIB/hugepages.sh"
hugepages_need 192
HUGEDIR=$HUGEPAGES_MOUNT

make_tmpdir T rtrip
input=$FEEDCAP_TESTDATA/marketdata.pcap
ring=$HUGEDIR/rtrip$$
# The ring and its side files (the readers' registry): a function, so the glob expands at exit.
rm_ring() { rm -f "$ring" "$ring".*; }
rm_ring
at_exit rm_ring

n=$(capinfos -T -r -c "$input" | cut -f2)
if ! [[ $n =~ ^[0-9]+$ ]] || ((n < 1000)); then
	fail "capinfos counts '$n' frames in $input"
fi

# frames_of FILE: one line per frame: epoch time (9 decimals), wire length, captured length,
# MD5 of the captured bytes.  tshark reads pcap, pcapng and zstd-compressed ones.
frames_of() {
	tshark -Q -r "$1" -o frame.generate_md5_hash:TRUE -T fields -e frame.time_epoch \
		-e frame.len -e frame.cap_len -e frame.md5_hash
}
# What must come back: the input's frames with their times cut to the microsecond (net_pcap
# reads the file at microsecond precision and stamps mbufs in microseconds).
frames_of "$input" | awk -F'\t' -v OFS='\t' '{ sub(/[0-9][0-9][0-9]$/, "000", $1); print }' \
	>"$T/want.txt"
expect_eq "$(wc -l <"$T/want.txt")" "$n" "frames tshark reads from the input"
# The input has sub-microsecond digits, so the cut is not a no-op and the check below is exact.
cmp -s "$T/want.txt" <(frames_of "$input") && fail "input timestamps are all whole microseconds"

# The comparison must be able to fail: the input with one frame removed, or its times 1 us
# later, differ from what is wanted.
editcap "$input" "$T/minus1.pcap" "$((n / 2))"
frames_of "$T/minus1.pcap" | awk -F'\t' -v OFS='\t' '{ sub(/[0-9][0-9][0-9]$/, "000", $1); print }' |
	cmp -s "$T/want.txt" - && fail "negative control: a capture missing a frame compares equal"
editcap -t 0.000001 "$input" "$T/plus1us.pcap"
frames_of "$T/plus1us.pcap" | awk -F'\t' -v OFS='\t' '{ sub(/[0-9][0-9][0-9]$/, "000", $1); print }' |
	cmp -s "$T/want.txt" - && fail "negative control: times 1 us later compare equal"
echo "ok: the comparison rejects a missing frame, times 1 us off and nanosecond times"

# 1. One capture through DPDK net_pcap into the ring.
"$FEEDCAP_CAPTURE" --ring "$ring" --ring-size 64M --vdev "net_pcap0,rx_pcap=$input" \
	--count "$n" --duration 60 -- --no-pci --in-memory -m 256 --file-prefix rtrip$$ \
	>"$T/capture.log" 2>&1 || { cat "$T/capture.log" >&2; fail "feedcap-capture failed"; }
grep -q "captured $n frames" "$T/capture.log" ||
	{ cat "$T/capture.log" >&2; fail "feedcap-capture did not capture all $n frames"; }
echo "ok: feedcap-capture: $n frames into the ring"

# 2. Every format and compression, each file read by capinfos, tshark and zstd, and replayed.
check() { # name, dump options...
	local name=$1 f="$T/$1" r="$T/replay-$1.pcap"
	shift
	"$FEEDCAP_DUMP" --ring "$ring" --from oldest --no-follow -q -w "$f" "$@" 2>"$T/dump.log" ||
		fail "$name: feedcap-dump $*: $(cat "$T/dump.log")"
	[[ -s $f && ! -e $f.part ]] || fail "$name: no file, or still named .part"
	if [[ $name != *multi* ]]; then
		capinfos -T -r -c "$f" >"$T/ci" 2>&1 || fail "$name: capinfos: $(cat "$T/ci")"
		expect_eq "$(cut -f2 "$T/ci")" "$n" "$name: frames (capinfos)"
		frames_of "$f" >"$T/got.txt" || fail "$name: tshark -r failed"
		cmp -s "$T/want.txt" "$T/got.txt" ||
			fail "$name: frames differ from the input (tshark): $(diff "$T/want.txt" "$T/got.txt" | head -4)"
	else
		# Wireshark 4.0 cannot read multi-frame zstd (feedcap-dump --help says so): zstd
		# checks the frames and the seek table, the replay below checks the contents.
		zstd -lv "$f" >"$T/zl" 2>&1 || fail "$name: zstd -l: $(cat "$T/zl")"
		(($(awk '/# Zstandard Frames/ {print $NF}' "$T/zl") > 1)) || fail "$name: one zstd frame only"
		expect_eq "$(awk '/# Skippable Frames/ {print $NF}' "$T/zl")" 1 "$name: seek tables"
	fi
	if [[ $name == *.zst ]]; then
		[[ $(head -c4 "$f" | od -An -tx1 | tr -d ' ') == 28b52ffd ]] || fail "$name: not zstd"
		zstd -tq "$f" || fail "$name: zstd -t rejects it"
	fi
	"$FEEDCAP_REPLAY" -w "$r" "$f" 2>"$T/replay.log" || fail "$name: feedcap-replay: $(cat "$T/replay.log")"
	expect_eq "$(capinfos -T -r -c "$r" | cut -f2)" "$n" "$name: replayed frames (capinfos)"
	frames_of "$r" >"$T/got.txt"
	cmp -s "$T/want.txt" "$T/got.txt" ||
		fail "$name: replayed frames differ from the input: $(diff "$T/want.txt" "$T/got.txt" | head -4)"
	echo "ok: $name ($*): $(stat -c %s "$f") bytes; replayed: $n frames identical to the input"
}
check a.pcap
check b.pcapng
check c.pcap.zst
check d.pcapng.zst
check e-multi.pcap.zst --zstd-multiframe --flush-interval 1ms
check f-multi.pcapng.zst --zstd-multiframe --flush-interval 1ms
[[ $(head -c4 "$T/b.pcapng" | od -An -tx1 | tr -d ' ') == 0a0d0d0a ]] || fail "b.pcapng is not pcapng"

# 3. feedcap-replay -F pcapng, and to stdout into tcpdump.
"$FEEDCAP_REPLAY" -F pcapng -w "$T/replay.pcapng" "$T/d.pcapng.zst" 2>"$T/replay.log" ||
	fail "feedcap-replay -F pcapng: $(cat "$T/replay.log")"
[[ $(head -c4 "$T/replay.pcapng" | od -An -tx1 | tr -d ' ') == 0a0d0d0a ]] || fail "-F pcapng did not write pcapng"
expect_eq "$(capinfos -T -r -c "$T/replay.pcapng" | cut -f2)" "$n" "replay -F pcapng: frames (capinfos)"
cmp -s "$T/want.txt" <(frames_of "$T/replay.pcapng") || fail "replay -F pcapng: frames differ from the input"
echo "ok: feedcap-replay -F pcapng: $n frames identical"

# tcpdump -xx: every byte of each frame in hex, timestamps at tcpdump's microsecond precision.
hexdump_of() { tcpdump -n -tt -xx -r "$1" 2>/dev/null; }
hexdump_of "$input" >"$T/want.hex"
"$FEEDCAP_REPLAY" -w - "$T/c.pcap.zst" 2>"$T/replay.log" | tcpdump -n -tt -xx -r - >"$T/got.hex" 2>/dev/null ||
	fail "feedcap-replay -w - | tcpdump -r -: $(cat "$T/replay.log")"
expect_eq "$(grep -c '^[0-9]' "$T/got.hex")" "$n" "frames tcpdump reads from feedcap-replay -w -"
cmp -s "$T/want.hex" "$T/got.hex" ||
	fail "feedcap-replay -w - | tcpdump: differs from tcpdump -r input: $(diff "$T/want.hex" "$T/got.hex" | head -4)"
echo "ok: feedcap-replay -w - | tcpdump -r -: every byte and microsecond as tcpdump reads the input"

pass "$n frames: net_pcap -> ring -> feedcap-dump (pcap, pcapng, .zst, multi-frame .zst) -> feedcap-replay, identical"
