#!/bin/bash
# Where a dump stops: -c COUNT (exactly COUNT frames, the first ones the filter keeps),
# --duration (wall clock), --no-follow (the producer's position at start); and a producer
# restart under a following dump: the new epoch's frames follow the old ones, marked.
source "$(dirname "$0")/dump_lib.sh"

"$FCR_RINGFILL" gen -o "$T/in.pcap" -n 5000 --seed 29
"$FCR_RINGFILL" fill -r "$RING" -i "$T/in.pcap" --capacity $((16 << 20)) >/dev/null

# -c 123 with a filter: the first 123 frames tcpdump keeps.
"$FEEDCAP_DUMP" --ring "$RING" --from oldest -c 123 -q -w "$T/c.pcap" udp
tcpdump --time-stamp-precision=nano -r "$T/in.pcap" -c 123 -w "$T/want.pcap" udp 2>/dev/null
frames_of "$T/want.pcap" >"$T/want.txt"
frames_of "$T/c.pcap" >"$T/got.txt"
cmp -s "$T/want.txt" "$T/got.txt" || fail "-c 123 udp: not the first 123 udp frames ($(tshark_count "$T/c.pcap"))"
echo "ok: -c 123 with a filter: exactly the first 123 matching frames"

# --duration 1s on a following dump of an idle ring: ends by itself, status 0, in about 1 s.
s=$(date +%s%N)
timeout 10 "$FEEDCAP_DUMP" --ring "$RING" --duration 1s -q -w "$T/d.pcap" || fail "--duration: exit $?"
e=$((($(date +%s%N) - s) / 1000000))
((e >= 1000 && e < 3000)) || fail "--duration 1s took $e ms"
[[ -e "$T/d.pcap" ]] && [[ $(tshark_count "$T/d.pcap") == 0 ]] || fail "--duration on an idle ring: no empty archive"
echo "ok: --duration 1s: stopped after $e ms with an empty, valid archive"

# --no-follow from newest: nothing (the producer's position is where it starts).
"$FEEDCAP_DUMP" --ring "$RING" --no-follow -q -w "$T/n.pcap"
[[ $(tshark_count "$T/n.pcap") == 0 ]] || fail "--no-follow from newest wrote frames"
echo "ok: --no-follow from newest stops at once"

# Producer restart (a new epoch in the same file) under a following dump.
"$FEEDCAP_DUMP" --ring "$RING" --from oldest --name epoch -w "$T/e.pcapng" 2>"$T/log" &
dump=$!
CLEANUP_PIDS+=($dump)
wait_caught_up epoch 5000 # epoch 1's 5000
"$FCR_RINGFILL" fill -r "$RING" -i "$T/in.pcap" --capacity $((16 << 20)) >/dev/null
wait_ring_frames 10000
wait_caught_up epoch 10000 # and epoch 2's
kill -INT $dump
wait $dump || fail "epoch: exit $?: $(cat "$T/log")"
[[ $(tshark_count "$T/e.pcapng") == 10000 ]] || fail "epoch: $(tshark_count "$T/e.pcapng") frames, not both epochs' 10000"
tshark -r "$T/e.pcapng" -Y frame.comment -T fields -e frame.number -e frame.comment 2>/dev/null >"$T/comments"
grep -q "^5001"$'\t'"feedcap: capture restarted at .*epoch 2" "$T/comments" || fail "epoch: no restart comment on frame 5001: $(cat "$T/comments")"
grep -q "0 lost to overrun" "$T/log" || fail "epoch: losses reported: $(cat "$T/log")"
echo "ok: producer restart: both epochs' frames, the restart marked on the first frame of epoch 2"
