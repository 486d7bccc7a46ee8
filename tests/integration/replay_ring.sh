#!/bin/bash
# feedcap-replay --to-ring plays archives into a ring (a file-backed one, and a named one in
# /dev/shm), so every reader can be exercised without a NIC: feedcap-dump gets back exactly
# the archive's frames, feedcap-stat counts them; --pace original takes the capture's own
# time.  feedcap-dump's multi-frame seekable zstd archives read back, entered by frame.
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_REPLAY FEEDCAP_STAT FEEDCAP_DUMP FEEDCAP_TESTDATA FEEDCAP_GENDATA
need_tools tcpdump jq zstd capinfos strace

make_tmpdir tmp replayring
in=$FEEDCAP_TESTDATA/marketdata.pcap
frames() { tcpdump -r "$1" -nn -tt --nano -xx 2>/dev/null | md5sum | cut -d' ' -f1; }

# File-backed ring, as fast as possible.
"$FEEDCAP_REPLAY" --to-ring "$tmp/ring" --ring-size 16M "$in"
[[ -f $tmp/ring ]] || fail "no ring file"
"$FEEDCAP_DUMP" --ring "$tmp/ring" --from oldest --no-follow -w "$tmp/back.pcap" 2>/dev/null
expect_eq "$(frames "$tmp/back.pcap")" "$(frames "$in")" "frames dumped back from the ring"
"$FEEDCAP_STAT" --ring "$tmp/ring" --from oldest --no-follow --json | tail -n 1 >"$tmp/ring.json"
"$FEEDCAP_STAT" -r "$in" --json | tail -n 1 >"$tmp/file.json"
expect_eq "$(jq -c '[.groups[] | [.dst, .frames, .bytes]] | sort' "$tmp/ring.json")" \
	"$(jq -c '[.groups[] | [.dst, .frames, .bytes]] | sort' "$tmp/file.json")" \
	"feedcap-stat groups from the ring = from the archive"
expect_eq "$(jq -r .capture.state "$tmp/ring.json")" stopped "ring state after the replay"
expect_eq "$(jq .capture.frames "$tmp/ring.json")" 20000 "the ring's own frame counter"
pass "file-backed ring: dump and stat see exactly the archive"

# A named ring (the directory from $FEEDCAP_RING_DIR, memory in /dev/shm).
export FEEDCAP_RING_DIR=$tmp/rings
mkdir -p "$FEEDCAP_RING_DIR"
name=statreplay$$
"$FEEDCAP_REPLAY" --to-ring "$name" --ring-size 8M "$tmp/back.pcap"
target=$(readlink -f "$FEEDCAP_RING_DIR/$name")
[[ $target == /dev/shm/* ]] && at_exit rm -f "$target" "$target.readers"
expect_eq "$("$FEEDCAP_STAT" --ring "$name" --from oldest --no-follow --json | tail -n 1 | jq .frames)" \
	20000 "frames in the named ring"
pass "named ring in /dev/shm"

# --pace original: a 0.3 s capture takes at least 0.3 s.
"$FEEDCAP_GENDATA" -w "$tmp/slow.pcap" --count 300 --rate 1000 --burst 0
dur_ns=$(capinfos -T -r -u "$tmp/slow.pcap" | cut -f2 | awk '{ printf "%d", $1 * 1e9 }')
t0=$(date +%s%N)
"$FEEDCAP_REPLAY" --to-ring "$tmp/ring2" --ring-size 4M --pace original "$tmp/slow.pcap"
t1=$(date +%s%N)
log "capture spans $dur_ns ns, paced replay took $((t1 - t0)) ns"
((t1 - t0 >= dur_ns * 95 / 100)) || fail "--pace original was faster than the capture"
((t1 - t0 <= dur_ns * 3 + 2000000000)) || fail "--pace original took far too long"
"$FEEDCAP_DUMP" --ring "$tmp/ring2" --from oldest --no-follow -w "$tmp/slow-back.pcap" 2>/dev/null
expect_eq "$(frames "$tmp/slow-back.pcap")" "$(frames "$tmp/slow.pcap")" "paced frames and timestamps"
pass "--pace original"

# feedcap-dump's seekable multi-frame zstd: read back whole, and entered by frame for --from.
# -C 2M (never reached: the 4 MB compress to about 1.3) flushes, so ends a zstd frame, every
# 256 KiB of input: 17 frames whatever the machine's speed (a flush interval alone gives as
# many frames as the dump takes intervals, which a fast machine makes 1).
"$FEEDCAP_DUMP" --ring "$tmp/ring" --from oldest --no-follow --zstd-multiframe \
	--flush-interval 60s -C 2M -w "$tmp/mf.pcap.zst" 2>/dev/null
mf=$tmp/mf.00000.pcap.zst
[[ -f $mf && ! -e $tmp/mf.00001.pcap.zst ]] || fail "expected one archive, $mf: $(ls "$tmp")"
expect_eq "$("$FEEDCAP_REPLAY" -w - "$mf" | tcpdump -r - -nn -tt --nano -xx 2>/dev/null |
	md5sum | cut -d' ' -f1)" "$(frames "$in")" "frames of feedcap-dump's multi-frame archive"
nfr=$(zstd -l "$mf" 2>/dev/null | awk 'NR == 2 { print $1 }')
((nfr > 2)) || fail "feedcap-dump -C 2M wrote $nfr zstd frames for 4 MB of input: no seek to check"
ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 strace -o "$tmp/trace" -e trace=lseek \
	"$FEEDCAP_REPLAY" -w "$tmp/late.pcap" --from 1700000000.07 "$mf"
grep -q 'SEEK_SET' "$tmp/trace" || fail "no frame seek in feedcap-dump's $nfr-frame archive"
editcap -F nsecpcap -A 1700000000.07 "$in" "$tmp/late-ref.pcap"
expect_eq "$(frames "$tmp/late.pcap")" "$(frames "$tmp/late-ref.pcap")" "--from on the seekable archive"
pass "feedcap-dump's seekable archives ($nfr zstd frames)"

# A non-Ethernet archive is refused for a ring, with a message.
editcap -F nsecpcap -T user0 "$in" "$tmp/user0.pcap"
set +e
"$FEEDCAP_REPLAY" --to-ring "$tmp/ring3" "$tmp/user0.pcap" 2>"$tmp/err"
rc=$?
set -e
expect_eq "$rc" 1 "exit code for a USER0 archive into a ring"
grep -q 'Ethernet' "$tmp/err" || fail "message does not say why: $(cat "$tmp/err")"
pass "non-Ethernet refused"
