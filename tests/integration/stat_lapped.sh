#!/bin/bash
# feedcap-stat lapped on purpose: a 1 MiB ring (a few thousand records), a producer paused
# after 2000 frames, feedcap-stat reading it live; feedcap-stat is stopped (SIGSTOP, by its
# PID) while the producer writes the rest, laps of the ring, and continued (SIGCONT).  What
# it reports lost must be exactly what the ring overwrote before it read it, counted once:
# the records the producer wrote (its own count, every sequence number used) minus those
# feedcap-stat was delivered.  Both starts: --from oldest, and --from -1h, whose scan for the
# newest timestamp must count nothing (tests/unit/test_readers.c laps that scan itself).
source "$(dirname "$0")/dump_lib.sh"
if [[ -z ${FEEDCAP_STAT:-} ]] || ! command -v jq >/dev/null; then
	echo "SKIP: feedcap-stat (FEEDCAP_STAT) and jq are needed"
	exit 77
fi

N=40000
"$FCR_RINGFILL" gen -o "$T/in.pcap" -n $N --seed 31

# this_reader FILE: feedcap-stat's own reader in its last JSON line ("" if none yet).
this_reader() {
	tail -n 1 "$1" 2>/dev/null | jq -c '.capture.this_reader // empty' 2>/dev/null || true
}

# wait_reader FILE JQ-TEST WHAT: until feedcap-stat's own reader passes JQ-TEST (30 s).
wait_reader() {
	local i w=
	for ((i = 0; i < 300; i++)); do
		w=$(this_reader "$1")
		[[ -n $w ]] && jq -e "$2" <<<"$w" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "feedcap-stat: $3 not seen in 30 s: $w $(tail -c 300 "$T/stat.err")"
}

one_case() {
	local from=$1 prod sp records frames d l
	paused_ring -i "$T/in.pcap" --capacity $((1 << 20)) --chunk $((64 << 10)) --pause-at 2000
	prod=$RINGFILL_PID
	"$FEEDCAP_STAT" --ring "$RING" --from "$from" --json --interval 100ms >"$T/stat.out" \
		2>"$T/stat.err" &
	sp=$!
	CLEANUP_PIDS+=($sp)
	# The 2000 frames and the producer's start marker, all read: nothing lost yet.
	wait_reader "$T/stat.out" '.delivered == 2001 and .lag_bytes == 0' "--from $from: 2001 records read"
	jq -e '.lost_records == 0' <<<"$(this_reader "$T/stat.out")" >/dev/null ||
		fail "--from $from: losses before any lap: $(this_reader "$T/stat.out")"
	kill -STOP $sp
	touch "$T/go"
	wait $prod || fail "the producer failed"
	read -r _ frames _ records <"$T/produced"
	((frames == N)) || fail "the producer wrote $frames frames, not $N"
	kill -CONT $sp
	wait_reader "$T/stat.out" '.lag_bytes == 0 and .delivered > 2001' "--from $from: caught up after the lap"
	kill -TERM $sp
	wait $sp || fail "feedcap-stat exited $?: $(tail -c 300 "$T/stat.err")"
	d=$(this_reader "$T/stat.out" | jq .delivered)
	l=$(this_reader "$T/stat.out" | jq .lost_records)
	((l > 0)) || fail "--from $from: the ring was not lapped ($d of $records records read)"
	((l == records - d)) ||
		fail "--from $from: feedcap-stat counts $l records lost; the ring's truth: $records written - $d delivered = $((records - d))"
	echo "ok: --from $from: lapped while stopped: $l lost = $records written - $d delivered"
}

one_case oldest
one_case -1h
