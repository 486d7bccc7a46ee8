#!/bin/bash
# A reader overrun: feedcap-dump stopped (SIGSTOP) while the producer laps it, then continued.
# It reports exactly what it lost (frames read + markers + lost = records produced), the
# archive holds exactly the frames read, and the pcapng marks the gap with a comment giving
# the same count.
source "$(dirname "$0")/dump_lib.sh"

"$FCR_RINGFILL" gen -o "$T/in.pcap" -n 20000 --seed 9
# 4 MiB ring; 1000 frames first, then (after the go file) 4 x 20000 more: laps it many times.
"$FCR_RINGFILL" fill -r "$RING" -i "$T/in.pcap" --capacity $((4 << 20)) --loops 5 \
	--pause-at 1000 --go-file "$T/go" --hold 3 >"$T/produced" &
CLEANUP_PIDS+=($!)
prod=$!
wait_ring_frames 1000
"$FEEDCAP_DUMP" --ring "$RING" --from oldest --name overrun -w "$T/out.pcapng" 2>"$T/log" &
dump=$!
CLEANUP_PIDS+=($dump)
wait_caught_up overrun 1000 # the first 1000
kill -STOP $dump
touch "$T/go"
wait $prod || fail "producer failed"
kill -CONT $dump
wait_caught_up overrun # lapped, then everything left in the ring
kill -INT $dump
wait $dump || fail "feedcap-dump exited $?: $(cat "$T/log")"
cat "$T/log"

records=$(awk '{print $4}' "$T/produced")
read=$(stat_of "$T/log" "frames read")
lost=$(stat_of "$T/log" "lost to overrun")
markers=$(grep -o "[0-9]* markers" "$T/log" | cut -d' ' -f1)
((lost > 0)) || fail "no overrun happened (lost $lost)"
((read + markers + lost == records)) || fail "read $read + markers $markers + lost $lost != $records records produced"
[[ $(tshark_count "$T/out.pcapng") == "$read" ]] || fail "archive has $(tshark_count "$T/out.pcapng") frames, read $read"
tshark -r "$T/out.pcapng" -Y 'frame.comment contains "reader overrun"' -T fields -e frame.comment 2>/dev/null >"$T/comments"
[[ -s "$T/comments" ]] || fail "no overrun comment in the pcapng"
sum=$(grep -o 'overrun: [0-9]* records' "$T/comments" | awk '{s += $2} END {print s}')
[[ $sum == "$lost" ]] || fail "comments count $sum lost records, statistics $lost"
grep -q "isb_osdrop\|Number of stat entries = 1" <(capinfos -M "$T/out.pcapng") || fail "no ISB"
# the same count, machine-readable: epb_dropcount on the frame after each gap
drops=$(tshark -r "$T/out.pcapng" -Y frame.drop_count -T fields -e frame.drop_count 2>/dev/null | awk '{s += $1} END {print s + 0}')
[[ $drops == "$lost" ]] || fail "epb_dropcount sums to $drops lost records, statistics $lost"
echo "ok: overrun: $lost records lost, exactly; $read frames read and archived; comments and epb_dropcount say $sum"
