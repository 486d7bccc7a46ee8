#!/bin/bash
# Lapped while waiting: feedcap-dump --on-error=wait is blocked on a full disk while the
# producer laps the ring many times.  Once space is freed it resumes at the oldest record the
# ring still holds, and the records it can no longer have are lost, exactly counted: in its
# own statistics, in the pcapng comment, and (the reader's lost records) in feedcap-stat while
# it still runs, each once however many times it retried.  Every record is read (and
# written, but for a frame whose write failed) or counted lost; none twice.
source "$(dirname "$0")/dump_lib.sh"

small_disk 16m fcrwaitlap

"$FCR_RINGFILL" gen -o "$T/in.pcap" -n 20000 --seed 23
# A 4 MiB ring; 2000 frames, then (after the go file) 4 x 20000 more: laps it many times.
"$FCR_RINGFILL" fill -r "$RING" -i "$T/in.pcap" --capacity $((4 << 20)) --loops 5 \
	--pause-at 2000 --go-file "$T/go" --hold 2 >"$T/produced" &
prod=$!
CLEANUP_PIDS+=($prod)
for _ in $(seq 100); do [[ -e "$RING" ]] && break; sleep 0.05; done
sleep 0.3

# The disk is full before the first frame: the writer blocks at once.
dd if=/dev/zero of="$T/mnt/filler" bs=1M status=none 2>/dev/null || true
"$FEEDCAP_DUMP" --ring "$RING" --from oldest --on-error=wait --name waitlap \
	-w "$T/mnt/w.pcapng" 2>"$T/log" &
dump=$!
CLEANUP_PIDS+=($dump)
for _ in $(seq 100); do grep -q "retrying" "$T/log" && break; sleep 0.1; done
grep -q "No space left on device" "$T/log" || fail "no disk-full error: $(cat "$T/log")"

# The producer laps the ring while the writer waits.
touch "$T/go"
wait $prod || fail "the producer failed"
kill -0 $dump 2>/dev/null || fail "feedcap-dump did not wait: $(cat "$T/log")"
records=$(awk '{print $4}' "$T/produced")
rm -f "$T/mnt/filler"
# Wait until the writer has caught up, then read what feedcap-stat says of it.
w=
for _ in $(seq 300); do
	w=$("$FEEDCAP_STAT" --ring "$RING" --no-follow --json | tail -n 1 |
		jq -c '.capture.readers[] | select(.name == "waitlap")')
	jq -e '.blocked == false and .lag_bytes == 0' <<<"$w" >/dev/null 2>&1 && break
	sleep 0.1
done
jq -e '.blocked == false and .lag_bytes == 0' <<<"$w" >/dev/null || fail "the writer never caught up: $w"
stat_lost=$(jq .lost_records <<<"$w")
kill -INT $dump
wait $dump || fail "feedcap-dump exited $?: $(cat "$T/log")"
cat "$T/log"

# What feedcap-dump lost while it waited is in the archive's comments (pcapng), its total in
# its statistics line.
gone=$(tshark -r "$T/mnt/w.pcapng" -Y 'frame.comment contains "waiting out a write error"' \
	-T fields -e frame.comment 2>/dev/null | { grep -o '[0-9]* records lost while waiting' || true; } |
	awk '{s += $1} END {print s + 0}')
read=$(stat_of "$T/log" "frames read")
written=$(stat_of "$T/log" "written")
lost=$(stat_of "$T/log" "lost to overrun")
markers=$(grep -o "[0-9]* markers" "$T/log" | cut -d' ' -f1)
((gone > 0)) || fail "no 'lost while waiting' comment in the archive: the producer did not lap the waiting writer"
[[ $stat_lost == "$lost" ]] || fail "feedcap-stat showed $stat_lost lost records for the writer, feedcap-dump says $lost"
((lost >= gone)) || fail "lost $lost < $gone lost while waiting"
((read + ${markers:-0} + lost == records)) || fail "read $read + markers ${markers:-0} + lost $lost != $records records produced"
[[ $(tshark_count "$T/mnt/w.pcapng") == "$written" ]] || fail "archive has $(tshark_count "$T/mnt/w.pcapng") frames, written $written"
# A frame read but not written is one whose write failed: at most one per write error.
errors=$(stat_of "$T/log" "write errors")
((read - written >= 0 && read - written <= errors)) || fail "read $read, written $written: more missing than the $errors write errors"
echo "ok: lapped while waiting: $gone records lost while blocked (of $lost lost; $read read, $written written, $records produced), shown by feedcap-stat and in the pcapng"
