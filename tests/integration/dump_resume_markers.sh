#!/bin/bash
# --from resume and the producer's markers: each ring marker (EPOCH at the producer's start,
# LOSS, CLOCK) is a pcapng comment in exactly one archive of a job's set, however the job is
# stopped (SIGKILL, SIGTERM, or not at all) and wherever in the ring it stops (before the
# markers, right after one, after all), with -C or -G closing files.  A resumed run starts
# after the last durable record, markers included: a marker already in an archive is not
# written again, and one that never reached the disk is written by the next run.  A file
# closed before the frame a comment waits for must not drop it (-G in a quiet feed: the
# "period-NONE" case).  Oracle: tshark's packet comments over all archives.
source "$(dirname "$0")/dump_lib.sh"

NF=600 # fcr-ringfill fill: LOSS before frame NF/3 + 1, CLOCK before frame NF/2 + 1
# Frame times of now, 10 us apart: -G 1 closes a period's file on time while the feed is quiet.
"$FCR_RINGFILL" gen -o "$T/in.pcap" -n $NF --seed 23 --ts-base "$(date +%s%N)" --ts-step 10000

# comments_of DIR: every packet comment of every archive in DIR, one line each.
comments_of() {
	local f
	for f in "$1"/M*.pcapng; do
		tshark -r "$f" -T fields -e frame.comment 2>/dev/null | tr ',' '\n'
	done
}

# one_case NAME PAUSE SIG [dump options]: a producer paused after PAUSE frames, a job run
# until it has read all of them and stopped with SIG, the rest produced, a last run
# --no-follow; then each marker must be in the archives exactly once and every frame too.
one_case() {
	local name=$1 pause=$2 sig=$3 job prod n
	shift 3
	rm -rf "$T/a"
	mkdir "$T/a"
	paused_ring -i "$T/in.pcap" --capacity $((4 << 20)) --loss-marker --clock-marker \
		--pause-at "$pause"
	prod=$RINGFILL_PID
	"$FEEDCAP_DUMP" --ring "$RING" --from resume -q --name "mk-$name" --flush-interval 50ms \
		-w "$T/a/${W:-M.pcapng}" "$@" 2>"$T/$name.run1" &
	job=$!
	CLEANUP_PIDS+=($job)
	wait_caught_up "mk-$name" "$pause"
	# Past the flush interval (what the run wrote is durable before the kill) and, with -G 1,
	# past the end of the period and the second after it: the file is closed on time.
	if [[ " $* " == *" -G "* ]]; then sleep 2.5; else sleep 0.3; fi
	if [[ $sig == NONE ]]; then
		# Not stopped while paused: the same run takes the rest, then ends.
		touch "$T/go"
		wait $prod || fail "$name: the producer failed"
		wait_caught_up "mk-$name" $((NF + 3))
		kill -TERM $job
		wait $job || fail "$name: the run exited $?: $(cat "$T/$name.run1")"
	else
		kill -"$sig" $job
		wait $job 2>/dev/null || true
		touch "$T/go"
		wait $prod || fail "$name: the producer failed"
	fi
	"$FEEDCAP_DUMP" --ring "$RING" --from resume -q --no-follow -w "$T/a/${W:-M.pcapng}" "$@" \
		2>"$T/$name.run2" || fail "$name: the resumed run exited $?: $(cat "$T/$name.run2")"
	comments_of "$T/a" >"$T/$name.comments"
	for m in "capture started" "the capture itself lost frames" "clock state changed"; do
		n=$(grep -c "feedcap: $m" "$T/$name.comments" || true)
		((n == 1)) || fail "$name (paused at $pause, SIG$sig, $*): the marker \"$m\" is in the archives $n times, want once: $(cat "$T/$name.comments")"
	done
	n=0
	for f in "$T"/a/M*.pcapng; do n=$((n + $(tshark_count "$f"))); done
	((n == NF)) || fail "$name: the archives hold $n frames, want $NF"
	echo "ok: $name: paused at $pause, SIG$sig, $* : each marker once, $NF frames once"
}

# Paused before any marker but EPOCH; with LOSS the newest record; right after LOSS's frame;
# with CLOCK the newest; after all.  -C: the file closed by size; -G 1: closed on time while
# the producer is paused, a marker the newest record.
for sig in NONE KILL TERM; do
	one_case "early-$sig" 50 $sig
	one_case "loss-$sig" $((NF / 3)) $sig
	one_case "postloss-$sig" $((NF / 3 + 1)) $sig
	one_case "clock-$sig" $((NF / 2)) $sig
	one_case "late-$sig" $((NF - 50)) $sig
	one_case "rot-$sig" $((NF / 3)) $sig -C 20k
	W=M-%s.pcapng one_case "period-$sig" $((NF / 2)) $sig -G 1
done
