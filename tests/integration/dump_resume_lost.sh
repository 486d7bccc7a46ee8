#!/bin/bash
# --from resume when the ring was lapped while the job was down: the records it no longer
# holds are counted exactly, once, and the count is in feedcap-dump's stderr, in the next
# archive (pcapng comment, tshark frame.comment), in the next file's index line
# (lost_before) and in feedcap-stat (the reader's lost records).  The oracle: records the
# producer wrote minus the frames the archives hold (tshark), which the job cannot fake.
source "$(dirname "$0")/dump_lib.sh"
if [[ -z ${FEEDCAP_STAT:-} ]] || ! command -v jq >/dev/null; then
	echo "SKIP: feedcap-stat (FEEDCAP_STAT) and jq are needed to check what it shows"
	exit 77
fi

"$FCR_RINGFILL" gen -o "$T/in.pcap" -n 20000 --seed 17
# A 1 MiB ring (a few thousand records): 2000 frames, then, once the job is down, 18000 more.
"$FCR_RINGFILL" fill -r "$RING" -i "$T/in.pcap" --capacity $((1 << 20)) --chunk $((64 << 10)) \
	--pause-at 2000 --go-file "$T/go" >"$T/produced" &
prod=$!
CLEANUP_PIDS+=($prod)
for _ in $(seq 200); do [[ -e "$RING" ]] && break; sleep 0.05; done
mkdir "$T/a"

# reader_state: this job's reader in feedcap-stat (jq object), "" if not there.
reader_state() {
	"$FEEDCAP_STAT" --ring "$RING" --no-follow --json 2>/dev/null | tail -n 1 |
		jq -c '.capture.readers[]? | select(.name == "lostjob")' 2>/dev/null || true
}
# run_until_caught_up LOG: start the job, return once feedcap-stat shows it at the head.
run_until_caught_up() {
	"$FEEDCAP_DUMP" --ring "$RING" --from resume --name lostjob -w "$T/a/L.pcapng" 2>"$1" &
	job=$!
	CLEANUP_PIDS+=($job)
	w=
	for _ in $(seq 300); do
		w=$(reader_state)
		# (jq -e of no input is true: an empty answer must not pass)
		[[ -n $w ]] && jq -e '.lag_bytes == 0' <<<"$w" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "the job never caught up: $w $(cat "$1")"
}

run_until_caught_up "$T/run1.log"
kill -TERM $job
wait $job || fail "first run exited $?: $(cat "$T/run1.log")"
k1=$(tshark_count "$T/a/L.pcapng")
((k1 == 2000)) || fail "first run: $k1 frames archived, 2000 in the ring"

# The job is down: the producer writes 18000 more records into a ring holding a few thousand.
touch "$T/go"
wait $prod || fail "the producer failed"
read -r _ frames _ records <"$T/produced"
# The producer's own markers (its start) come before the pause: the first run read them.
((records - frames <= 2)) || fail "the producer wrote $((records - frames)) markers: the oracle below counts frames"

run_until_caught_up "$T/run2.log"
stat_lost=$(jq .lost_records <<<"$w")
kill -TERM $job
wait $job || fail "second run exited $?: $(cat "$T/run2.log")"

total=0
for f in "$T"/a/L*.pcapng; do total=$((total + $(tshark_count "$f"))); done
want=$((frames - total))
((want > 0)) || fail "the ring was not lapped: $total of $frames frames archived"
grep -q "^feedcap-dump: $want records lost while the job was down" "$T/run2.log" ||
	fail "stderr does not count the $want lost records: $(cat "$T/run2.log")"
new=$(ls "$T"/a/L.*.pcapng)
[[ $(wc -w <<<"$new") == 1 ]] || fail "expected one new (numbered) archive beside L.pcapng: $new"
tshark -r "$new" -Y frame.comment -T fields -e frame.comment 2>/dev/null >"$T/comments"
grep -q "$want records lost while the job was down" "$T/comments" ||
	fail "the new archive's pcapng comment does not count $want: $(cat "$T/comments")"
lb=$(jq -r --arg f "$(basename "$new")" 'select(.file == $f) | .lost_before' "$T/a/feedcap-index.jsonl" | tail -1)
[[ $lb == "$want" ]] || fail "index: lost_before of $(basename "$new") is $lb, want $want"
[[ $stat_lost == "$want" ]] || fail "feedcap-stat shows $stat_lost lost records for the job, want $want"
echo "ok: lapped while down: $want records lost ($frames frames written, $total archived), counted in stderr, the pcapng comment, the index and feedcap-stat"

# Every archived frame is one of the input's, once, in order (tcpdump: bytes and times).
mergecap -F nsecpcap -w "$T/merged.pcap" "$T"/a/L*.pcapng
tshark -r "$T/merged.pcap" -T fields -e frame.time_epoch 2>/dev/null >"$T/got.ts"
tshark -r "$T/in.pcap" -T fields -e frame.time_epoch 2>/dev/null >"$T/in.ts"
[[ -z $(sort "$T/got.ts" | uniq -d) ]] || fail "a frame is archived twice"
[[ -z $(comm -23 <(sort "$T/got.ts") <(sort "$T/in.ts")) ]] || fail "an archived frame is not in the input"
# The frames archived are the first 2000 and the newest the ring held: none in between.
[[ $(head -2000 "$T/in.ts") == $(head -2000 "$T/got.ts") ]] || fail "the first run's frames are not the first 2000"
[[ $(tail -n $((total - 2000)) "$T/in.ts") == $(tail -n $((total - 2000)) "$T/got.ts") ]] ||
	fail "the second run's frames are not the last $((total - 2000)) of the input"
echo "ok: the archives hold the first 2000 frames and the last $((total - 2000)), each once"

# The ring made anew at the same path (another create_ns): its sequence numbers start at 1
# again, so nothing of the index applies; the job starts at its oldest record, loses nothing.
kill -0 $prod 2>/dev/null && fail "the producer still runs"
rm -f "$RING" "$RING.readers"
"$FCR_RINGFILL" gen -o "$T/in2.pcap" -n 500 --seed 99 --ts-base 1796000000000000000
"$FCR_RINGFILL" fill -r "$RING" -i "$T/in2.pcap" --capacity $((1 << 20)) --chunk $((64 << 10)) \
	>/dev/null || fail "cannot make the ring anew"
ls "$T"/a/L*.pcapng >"$T/before"
"$FEEDCAP_DUMP" --ring "$RING" --from resume --no-follow -q -w "$T/a/L.pcapng" 2>"$T/run3.log" ||
	fail "resume on a ring made anew exited $?: $(cat "$T/run3.log")"
! grep -q "lost" "$T/run3.log" || fail "a ring made anew counted losses: $(cat "$T/run3.log")"
new=$(comm -13 "$T/before" <(ls "$T"/a/L*.pcapng))
[[ $(wc -w <<<"$new") == 1 && $(tshark_count "$new") == 500 ]] ||
	fail "a ring made anew: expected one new archive of its 500 frames: $new"
echo "ok: a ring made anew at the same path: resume starts at its oldest record (500 frames, nothing lost)"
