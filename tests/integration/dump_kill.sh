#!/bin/bash
# A writer killed with SIGKILL: its NAME.part archive reads (tshark -r) up to the last flush.
# feedcap-dump flushes at least every --flush-interval, so after it has been idle longer
# than that, everything it wrote must be there: the zstd frame is flushed, not ended.
source "$(dirname "$0")/dump_lib.sh"

"$FCR_RINGFILL" gen -o "$T/in.pcap" -n 20000 --seed 13
"$FCR_RINGFILL" fill -r "$RING" -i "$T/in.pcap" --capacity $((32 << 20)) --hold 60 >/dev/null &
CLEANUP_PIDS+=($!)
wait_ring_frames 20000
frames_of "$T/in.pcap" >"$T/want.txt"

for name in k.pcap.zst k.pcapng.zst kt.pcapng.zst k.pcapng; do
	opts=()
	[[ $name == kt.* ]] && opts=(--zstd-threads 2)
	"$FEEDCAP_DUMP" --ring "$RING" --from oldest -q --name "kill-$name" -w "$T/$name" \
		--flush-interval 200ms "${opts[@]}" &
	dump=$!
	CLEANUP_PIDS+=($dump)
	# Once it has read the 20000 frames, what it wrote is flushed within --flush-interval:
	# the wait is on the first, the sleep (two intervals) is the promise under test.
	wait_caught_up "kill-$name" 20000
	sleep 0.4
	kill -KILL $dump
	wait $dump 2>/dev/null || true
	[[ -e "$T/$name.part" && ! -e "$T/$name" ]] || fail "$name: expected only $name.part: $(ls "$T")"
	[[ $(tshark_count "$T/$name.part") == 20000 ]] || fail "$name: tshark reads $(tshark_count "$T/$name.part") of 20000 frames from the killed writer's file"
	frames_of "$T/$name.part" >"$T/got.txt"
	cmp -s "$T/want.txt" "$T/got.txt" || fail "$name: the frames read back differ from the input"
	echo "ok: $name: SIGKILLed writer's .part reads all 20000 frames with tshark"
done

# A new dump with the same name never touches what the killed one left: it writes a numbered
# file next to it.
sum=$(md5sum <"$T/k.pcap.zst.part")
"$FEEDCAP_DUMP" --ring "$RING" --from oldest --no-follow -q -w "$T/k.pcap.zst"
[[ $(md5sum <"$T/k.pcap.zst.part") == "$sum" ]] || fail "the killed writer's .part was modified"
[[ -e "$T/k.00000.pcap.zst" && ! -e "$T/k.pcap.zst" ]] || fail "the new dump did not take a numbered name: $(ls "$T")"
[[ $(tshark_count "$T/k.00000.pcap.zst") == 20000 ]] || fail "the new dump's file is incomplete"
echo "ok: a stale .part is left alone; the new dump writes k.00000.pcap.zst"
