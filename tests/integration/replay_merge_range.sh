#!/bin/bash
# feedcap-replay merges several archives by timestamp and keeps a time range: the merge of the
# A and B lines split apart with tcpdump gives back every frame of the capture in time order
# (the same frames as mergecap's), and --from/--to keep exactly what editcap -A/-B keeps.  On a
# zstd archive of many record-aligned frames, --from seeks to the right frame instead of
# decompressing everything before it (strace shows the lseek and far fewer bytes read).
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_REPLAY FEEDCAP_TESTDATA
need_tools tcpdump tshark editcap mergecap zstd strace

make_tmpdir tmp replaymerge
in=$FEEDCAP_TESTDATA/marketdata.pcap

one_line_per_frame() { # sorted multiset of frames, each with its timestamp and bytes
	tcpdump -r "$1" -nn -tt --nano -xx 2>/dev/null |
		awk '/^[0-9]+\.[0-9]+ / { if (l != "") print l; l = $0; next } { l = l " " $0 } END { if (l != "") print l }' |
		sort
}

tcpdump --time-stamp-precision=nano -r "$in" -w "$tmp/a.pcap" dst net 239.1.1.0/24 2>/dev/null
tcpdump --time-stamp-precision=nano -r "$in" -w "$tmp/b.pcap" not dst net 239.1.1.0/24 2>/dev/null
zstd -q -c "$tmp/b.pcap" >"$tmp/b.pcap.zst"
editcap -F pcapng "$tmp/a.pcap" "$tmp/a.pcapng"
"$FEEDCAP_REPLAY" -w "$tmp/m.pcap" "$tmp/b.pcap.zst" "$tmp/a.pcapng"
mergecap -F nsecpcap -w "$tmp/mc.pcap" "$tmp/a.pcap" "$tmp/b.pcap"
one_line_per_frame "$tmp/m.pcap" >"$tmp/m.txt"
one_line_per_frame "$in" >"$tmp/in.txt"
one_line_per_frame "$tmp/mc.pcap" >"$tmp/mc.txt"
cmp -s "$tmp/m.txt" "$tmp/in.txt" || fail "the merge does not hold exactly the capture's frames"
cmp -s "$tmp/m.txt" "$tmp/mc.txt" || fail "the merge differs from mergecap's"
tshark -r "$tmp/m.pcap" -T fields -e frame.time_epoch 2>/dev/null | sort -c -n ||
	fail "the merge is not in time order"
pass "merge of two archives (zstd pcap + pcapng) by timestamp"

# Time ranges against editcap -A/-B (epoch seconds), including edges on exact timestamps.
t3=$(tshark -r "$in" -c 3 -T fields -e frame.time_epoch 2>/dev/null | tail -n 1)
for range in "1700000000.05 1700000000.06" "1700000000 1700000000.001" "$t3 1700000000.0200001" \
	"1700000000.08 1700000001"; do
	read -r from to <<<"$range"
	editcap -F nsecpcap -A "$from" -B "$to" "$in" "$tmp/e.pcap"
	"$FEEDCAP_REPLAY" -w "$tmp/r.pcap" --from "$from" --to "$to" "$in"
	cmp "$tmp/e.pcap" "$tmp/r.pcap" || fail "--from $from --to $to differs from editcap -A/-B"
	n=$(capinfos -T -r -c "$tmp/r.pcap" | cut -f2)
	log "--from $from --to $to: $n frames, as editcap"
done
# ISO 8601 works as well as epoch seconds
"$FEEDCAP_REPLAY" -w "$tmp/iso.pcap" --from 2023-11-14T22:13:20.05Z --to 2023-11-14T22:13:20.06Z "$in"
"$FEEDCAP_REPLAY" -w "$tmp/ep.pcap" --from 1700000000.05 --to 1700000000.06 "$in"
cmp "$tmp/iso.pcap" "$tmp/ep.pcap" || fail "ISO 8601 and epoch times disagree"
pass "--from/--to keep what editcap -A/-B keeps"

# A zstd archive of record-aligned frames: 2000 records per frame.
editcap -F nsecpcap -c 2000 "$in" "$tmp/part.pcap"
parts=("$tmp"/part_*.pcap)
[[ ${#parts[@]} -eq 10 ]] || fail "editcap -c 2000 made ${#parts[@]} parts, not 10"
zstd -q -c "${parts[0]}" >"$tmp/multi.pcap.zst"
for p in "${parts[@]:1}"; do
	tail -c +25 "$p" | zstd -q -c >>"$tmp/multi.pcap.zst"
done
zstd -dc "$tmp/multi.pcap.zst" | cmp - "$in" || fail "the multi-frame archive does not decompress to the capture"
from=1700000000.07
editcap -F nsecpcap -A "$from" "$in" "$tmp/e.pcap"
ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 strace -f -o "$tmp/trace" -e trace=openat,lseek,read "$FEEDCAP_REPLAY" -w "$tmp/r.pcap" --from "$from" "$tmp/multi.pcap.zst"
# -f: the reads of feedcap-replay's decoder thread count too; drop the pid column it adds
sed -i -E 's/^[0-9]+ +//' "$tmp/trace"
cmp "$tmp/e.pcap" "$tmp/r.pcap" || fail "--from on the multi-frame archive differs from editcap -A"
fd=$(awk -F'= ' '/multi.pcap.zst/ && /openat/ { print $2 + 0; exit }' "$tmp/trace")
grep -Eq "^lseek\\($fd, [1-9][0-9]*, SEEK_SET\\)" "$tmp/trace" || fail "no seek into the archive: $(grep lseek "$tmp/trace")"
bytes_seek=$(awk -v fd="$fd" -F'= ' '$1 ~ "^read\\(" fd "," { n += $2 } END { print n + 0 }' "$tmp/trace")
ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 strace -f -o "$tmp/trace2" -e trace=openat,read "$FEEDCAP_REPLAY" -w "$tmp/r2.pcap" "$tmp/multi.pcap.zst"
sed -i -E 's/^[0-9]+ +//' "$tmp/trace2"
fd2=$(awk -F'= ' '/multi.pcap.zst/ && /openat/ { print $2 + 0; exit }' "$tmp/trace2")
bytes_all=$(awk -v fd="$fd2" -F'= ' '$1 ~ "^read\\(" fd "," { n += $2 } END { print n + 0 }' "$tmp/trace2")
log "compressed bytes read: $bytes_seek with the seek, $bytes_all without"
[[ $bytes_seek -lt $((bytes_all / 2)) ]] || fail "the seek read $bytes_seek of $bytes_all bytes"
pass "--from seeks by zstd frame"
