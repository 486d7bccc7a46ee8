#!/bin/bash
# Damaged archives written by feedcap-dump itself (pcap, pcapng with its comment and
# statistics blocks, and both zstd-compressed), truncated at EVERY byte offset and corrupted at
# random bytes.  What must happen: feedcap-replay and feedcap-stat never crash (exit 0 or 1,
# never a signal), give back exactly the complete records before the cut, in order and byte
# for byte, and say where they stopped.  replay_damage.sh samples offsets of tcpdump/editcap
# files; this one walks the offsets of the files our own writer makes (label stress).  By
# default it takes every FAULTS_CUT_STRIDE-th offset (5) plus both sides of every record end,
# which keeps the default suite in minutes; FAULTS_CUT_STRIDE=1 walks every byte offset
# (about 2400 runs of each tool, a quarter of an hour on this machine).  test_replay_archive
# walks every offset in-process as well.
# The oracles: record ends from the block lengths (checked against capinfos on the whole
# file), and for a .zst what `zstd -dc` can decode of the cut file.
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_DUMP FEEDCAP_REPLAY FEEDCAP_STAT FEEDCAP_TESTDATA
need_tools editcap capinfos zstd python3 cmp

NFRAMES=${FAULTS_CUT_FRAMES:-3}
STRIDE=${FAULTS_CUT_STRIDE:-5}
make_tmpdir tmp faultscuts
cd "$tmp"
editcap -F nsecpcap -r "$FEEDCAP_TESTDATA/marketdata.pcap" in.pcap "1-$NFRAMES"
"$FEEDCAP_REPLAY" --to-ring "$tmp/ring" --ring-size 4M in.pcap
for f in x.pcap x.pcapng x.pcap.zst x.pcapng.zst; do
	"$FEEDCAP_DUMP" -q --ring "$tmp/ring" --from oldest --no-follow -w "$f"
done
# What a full read gives: the reference every cut is a prefix of.
"$FEEDCAP_REPLAY" -w full.pcap x.pcapng
expect_eq "$(capinfos -c -M full.pcap | awk '/Number of packets/ {print $NF}')" "$NFRAMES" \
	"frames in the reference"

# ends STREAM: byte offset where each record ends (pcap: 24-byte header then 16-byte record
# headers; pcapng: blocks, records are Enhanced Packet Blocks)
ends() {
	python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
if d[:4] == b"\x0a\x0d\x0d\x0a":
    off = 0
    while off + 12 <= len(d):
        t, n = struct.unpack_from("<II", d, off)
        if n < 12 or off + n > len(d):
            break
        off += n
        if t == 6:
            print(off)
else:
    off = 24
    while off + 16 <= len(d):
        off += 16 + struct.unpack_from("<I", d, off + 8)[0]
        if off <= len(d):
            print(off)
PY
}

# records_before ENDS_FILE LEN: complete records in the first LEN bytes
records_before() {
	awk -v n="$2" '$1 <= n {k++} END {print k + 0}' "$1"
}

# The reference's records: byte ranges in full.pcap (24-byte header + per record).
ends full.pcap >full.ends
expect_eq "$(wc -l <full.ends)" "$NFRAMES" "record ends found in the reference"
# prefix_of_full K: full.pcap cut after its K-th record
prefix_of_full() {
	local end=24
	(($1 > 0)) && end=$(sed -n "$1p" full.ends)
	head -c "$end" full.pcap
}

total=0
for f in x.pcap x.pcapng x.pcap.zst x.pcapng.zst; do
	case $f in
	*.zst) zstd -dc "$f" >"$f.raw" ;;
	*) cp "$f" "$f.raw" ;;
	esac
	ends "$f.raw" >"$f.ends"
	expect_eq "$(wc -l <"$f.ends")" "$(capinfos -c -M "$f.raw" | awk '/Number of packets/ {print $NF}')" \
		"records in $f (our walk = capinfos)" >/dev/null
	size=$(stat -c %s "$f")
	ext=${f#x}
	# every STRIDE-th offset, and both sides of each record end in the (uncompressed) file
	cuts=$( (seq 0 "$STRIDE" $((size - 1))
		[[ $f == *.zst ]] || while read -r e; do echo $((e - 1)) "$e" $((e + 1)); done <"$f.ends") |
		tr ' ' '\n' | awk -v n="$size" '$1 >= 0 && $1 < n' | sort -nu)
	ncuts=0
	for cut in $cuts; do
		ncuts=$((ncuts + 1))
		head -c "$cut" "$f" >"t$ext"
		if [[ $f == *.zst ]]; then
			avail=$( (zstd -dc "t$ext" 2>/dev/null || true) | wc -c)
		else
			avail=$cut
		fi
		k=$(records_before "$f.ends" "$avail")
		rm -f o.pcap
		rc=0
		"$FEEDCAP_REPLAY" -w o.pcap "t$ext" 2>err || rc=$?
		no_sanitizer_report err "$f cut at $cut: feedcap-replay"
		((rc == 0 || rc == 1)) || fail "$f cut at $cut: feedcap-replay exited $rc: $(cat err)"
		if ((rc == 1)); then
			grep -q "t$ext" err || fail "$f cut at $cut: the message does not name the file"
		fi
		if [[ -f o.pcap ]]; then
			cmp -s o.pcap <(prefix_of_full "$k") ||
				fail "$f cut at $cut: not exactly the $k complete records before the cut"
		elif ((k > 0)); then
			fail "$f cut at $cut: nothing written although $k records were complete"
		fi
		if ((k > 0 && k < NFRAMES)) && ((rc == 1)); then
			grep -q "stopped after record $k" err ||
				fail "$f cut at $cut: the message does not say where: $(cat err)"
		fi
		# feedcap-stat reads through the same archive reader: every third cut is enough
		((cut % 3 == 0)) || {
			total=$((total + 1))
			continue
		}
		rc=0
		"$FEEDCAP_STAT" -r "t$ext" --json >s.json 2>serr || rc=$?
		no_sanitizer_report serr "$f cut at $cut: feedcap-stat"
		((rc == 0 || rc == 1)) || fail "$f cut at $cut: feedcap-stat exited $rc: $(cat serr)"
		# its frame counts are checked below, all at once (jq per cut is slow here)
		[[ -s s.json ]] && echo "$cut $k $(tail -n 1 s.json)" >>"$f.stat"
		total=$((total + 1))
	done
	[[ -s $f.stat ]] || fail "$f: feedcap-stat never printed a summary"
	python3 - "$f.stat" <<'PY' || fail "$f: feedcap-stat counted records that were not complete"
import json, sys
for line in open(sys.argv[1]):
    cut, k, js = line.split(" ", 2)
    got = json.loads(js)["frames"]
    if got != int(k):
        sys.exit(f"cut at {cut}: feedcap-stat says {got} frames, {k} were complete")
PY
	echo "ok: $f cut at $ncuts of its $size byte offsets (stride $STRIDE): the complete records, no crash"
done

# Random corruption: one byte changed, FAULTS_CORRUPT (50) times per file.
RANDOM=${FAULTS_SEED:-9}
corrupted=0
for f in x.pcap x.pcapng x.pcap.zst x.pcapng.zst; do
	size=$(stat -c %s "$f")
	ext=${f#x}
	for _ in $(seq "${FAULTS_CORRUPT:-50}"); do
		at=$((RANDOM % size))
		cp "$f" "c$ext"
		python3 -c 'import sys
p, at, x = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
b = bytearray(open(p, "rb").read()); b[at] ^= x; open(p, "wb").write(b)' "c$ext" "$at" $((1 + RANDOM % 255))
		rm -f o.pcap
		rc=0
		"$FEEDCAP_REPLAY" -w o.pcap "c$ext" 2>err || rc=$?
		no_sanitizer_report err "$f byte $at corrupted: feedcap-replay"
		((rc == 0 || rc == 1)) || fail "$f byte $at corrupted: feedcap-replay exited $rc: $(cat err)"
		if [[ $f != *.zst ]]; then
			# every record that ends before the damaged byte comes back intact
			k=$(records_before "$f.ends" "$at")
			[[ -f o.pcap ]] || ((k == 0)) || fail "$f byte $at corrupted: nothing written"
			if ((k > 0)); then
				cmp -s <(head -c "$(sed -n "${k}p" full.ends)" o.pcap) <(prefix_of_full "$k") ||
					fail "$f byte $at corrupted: the $k records before it did not come back intact"
			fi
		fi
		rc=0
		"$FEEDCAP_STAT" -r "c$ext" --json >/dev/null 2>serr || rc=$?
		no_sanitizer_report serr "$f byte $at corrupted: feedcap-stat"
		((rc == 0 || rc == 1)) || fail "$f byte $at corrupted: feedcap-stat exited $rc: $(cat serr)"
		corrupted=$((corrupted + 1))
	done
done
echo "ok: $corrupted single-byte corruptions: no crash, records before the damage intact"
pass "$total truncations (offset stride $STRIDE) and $corrupted corruptions of feedcap-dump's archives"
