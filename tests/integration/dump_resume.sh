#!/bin/bash
# Exactly-once archive jobs: four jobs (pcap and pcapng, plain and zstd; -G, -C and a single
# file) write one directory while a ring is fed live (feedcap-replay --pace original), each
# killed at 20 random moments (SIGKILL, every fourth time SIGTERM) and restarted with
# --from resume.  Once the feed has ended and a last run of each job has caught up, the union
# of each job's archives is the input, frame for frame: no duplicate, no gap.  Oracles:
# mergecap (union in time order), tshark (time and length of every frame), tcpdump (every
# byte), never feedcap's own reader.
source "$(dirname "$0")/dump_lib.sh"
if [[ -z ${FEEDCAP_REPLAY:-} ]] || ! command -v mergecap >/dev/null; then
	echo "SKIP: feedcap-replay (FEEDCAP_REPLAY) and mergecap are needed"
	exit 77
fi

N=6000
# 2 ms apart: a 12 s feed, long enough for 20 rounds of start, run and kill.
"$FCR_RINGFILL" gen -o "$T/in.pcap" -n $N --seed 41 --ts-base 1795000000000000000 \
	--ts-step 2000000
"$FEEDCAP_REPLAY" --to-ring "$RING" --ring-size 64M --pace original "$T/in.pcap" \
	2>"$T/replay.err" &
feed=$!
CLEANUP_PIDS+=($feed)
for _ in $(seq 200); do [[ -e "$RING" ]] && break; sleep 0.05; done
[[ -e $RING ]] || fail "the feed never made the ring: $(cat "$T/replay.err")"

mkdir "$T/a"
jobs=(A B C D)
declare -A pat=(
	[A]="A-%Y%m%dT%H%M%S.pcap" [B]="B-%Y%m%dT%H%M%S.pcapng"
	[C]="C.pcap.zst" [D]="D.pcapng.zst"
)
declare -A opt=([A]="-G 2" [B]="-G 3" [C]="-C 100k" [D]="")

run_job() { # JOB [extra options]: one run of a job, in the background
	local j=$1
	shift
	# shellcheck disable=SC2086
	"$FEEDCAP_DUMP" --ring "$RING" --from resume -q --name "job$j" --flush-interval 100ms \
		-w "$T/a/${pat[$j]}" ${opt[$j]} "$@" 2>>"$T/$j.log" &
}

# Other kill moments on every run; DUMP_RESUME_SEED=N repeats a run's.
seed=${DUMP_RESUME_SEED:-$((($$ * 7919 + $(date +%N | sed 's/^0*//;s/^$/0/')) % 32768))}
echo "kill moments: DUMP_RESUME_SEED=$seed"
RANDOM=$seed
for round in $(seq 20); do
	declare -A pids=()
	for j in "${jobs[@]}"; do
		run_job "$j"
		pids[$j]=$!
	done
	sleep "0.$((RANDOM % 5 + 2))$((RANDOM % 10))"
	for j in "${jobs[@]}"; do
		sig=KILL
		(((round + RANDOM) % 4 == 0)) && sig=TERM
		kill -$sig "${pids[$j]}" 2>/dev/null || true
		wait "${pids[$j]}" 2>/dev/null || true
	done
	kill -0 $feed 2>/dev/null || fail "the feed ended before round $round: the rounds must run while it is live"
done
wait $feed || fail "feedcap-replay --to-ring failed: $(cat "$T/replay.err")"

# The last run of each job: recovers what the last kill left, then takes the rest.
for j in "${jobs[@]}"; do
	run_job "$j" --no-follow
	wait $! || fail "job $j: the last run exited $?: $(cat "$T/$j.log")"
done
ls "$T/a" >"$T/listing"
! grep -q '\.part' "$T/listing" || fail "a .part or checkpoint is left: $(cat "$T/listing")"

tshark -r "$T/in.pcap" -T fields -e frame.time_epoch -e frame.len 2>/dev/null >"$T/want.fields"
tcpdump -nn -r "$T/in.pcap" --time-stamp-precision=nano -tt -xx 2>/dev/null | md5sum >"$T/want.md5"
[[ $(wc -l <"$T/want.fields") == "$N" ]] || fail "tshark reads $(wc -l <"$T/want.fields") of $N input frames"
for j in "${jobs[@]}"; do
	files=("$T"/a/"$j"*)
	((${#files[@]} >= 2)) || fail "job $j: expected several archives after 21 runs: ${files[*]}"
	mergecap -F nsecpcap -w "$T/$j.merged" "${files[@]}" || fail "job $j: mergecap cannot read its archives"
	tshark -r "$T/$j.merged" -T fields -e frame.time_epoch -e frame.len 2>/dev/null >"$T/$j.fields"
	if ! cmp -s "$T/want.fields" "$T/$j.fields"; then
		dups=$(sort "$T/$j.fields" | uniq -d | wc -l)
		gaps=$(comm -23 <(sort "$T/want.fields") <(sort -u "$T/$j.fields") | wc -l)
		fail "job $j: its ${#files[@]} archives hold $(wc -l <"$T/$j.fields") frames for $N fed: $dups duplicated, $gaps missing ($(cat "$T/$j.log" | tail -5))"
	fi
	tcpdump -nn -r "$T/$j.merged" --time-stamp-precision=nano -tt -xx 2>/dev/null | md5sum >"$T/$j.md5"
	cmp -s "$T/want.md5" "$T/$j.md5" || fail "job $j: the bytes of the frames differ from the input"
	recovered=$(grep -c "recovered" "$T/$j.log" || true)
	echo "ok: job $j (${pat[$j]} ${opt[$j]}): 21 runs, killed 20 times ($recovered recoveries of a .part): ${#files[@]} archives hold the $N frames fed exactly once"
done
