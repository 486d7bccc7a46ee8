#!/bin/bash
# Fault: a reader stopped with SIGSTOP for longer than the ring holds, then continued.
# What must happen: it reports exactly what it lost (delivered + lost = every record the
# producer wrote from its start to the end), returns nothing torn or twice, and resumes; a
# reader beside it that was not stopped loses nothing.  (feedcap-dump's own overrun report and
# its pcapng gap comment: tests/integration/dump_overrun.sh.)
source "$FEEDCAP_TESTLIB/common.sh"
source "$FEEDCAP_SRC/tests/integration/faults_lib.sh"

RATE=100000
STOPS=${FAULTS_STOPS:-3}
make_tmpdir tmp faultsstop
ring=$tmp/ring
# 32 MiB holds 144000 records of 232 bytes: 1.45 s at this rate; each stop lasts 3-3.5 s.  (The
# steady reader must never fall 1.45 s behind: on a loaded 2-core machine a smaller ring is
# not enough for that.)
# The producer runs until the stops are done (then SIGTERM: it stops cleanly).
start_producer "$ring" $((32 << 20)) "$RATE" 3600
"$tool" read "$ring" oldest --name stopped >"$tmp/stopped.out" 2>"$tmp/stopped.err" &
victim=$!
"$tool" read "$ring" oldest --name steady >"$tmp/steady.out" 2>"$tmp/steady.err" &
steady=$!
at_exit kill_wait "$victim" "$steady"

RANDOM=$$
for k in $(seq "$STOPS"); do
	sleep "0.$(printf '%03d' $((200 + RANDOM % 300)))"
	kill -STOP "$victim"
	sleep "3.$(printf '%03d' $((RANDOM % 500)))"
	kill -CONT "$victim"
done
sleep 0.5 # the continued reader catches up with a running producer, then it stops
kill -TERM "$prod"
wait "$prod" || fail "producer: $(cat "$tmp/producer.err")"
produced=$(field "$(cat "$tmp/producer.out")" produced)
c=$("$tool" ctl "$ring")
records=$(($(field "$c" next_seq) - 1))

for r in victim steady; do
	wait "${!r}" || fail "reader $r failed"
done
s=$(cat "$tmp/stopped.out")
t=$(cat "$tmp/steady.out")
log "stopped: $s"
log "steady:  $t"
lost=$(field "$s" lost)
delivered=$(field "$s" delivered)
((lost > 0)) || fail "the stopped reader lost nothing: the test did not lap it"
expect_eq "$((delivered + lost))" "$records" "stopped reader: delivered + lost (= records written)"
expect_eq "$(field "$s" last)" "$records" "stopped reader resumed to the last record"
((overruns = $(field "$s" overruns))) && ((overruns >= STOPS)) ||
	fail "stopped reader reports $overruns overruns for $STOPS stops"
expect_eq "$(field "$s" bad)" 0 "torn or wrong frames returned to the stopped reader"
expect_eq "$(field "$s" dup)" 0 "records returned twice to the stopped reader"
expect_eq "$(field "$t" lost)" 0 "records the steady reader lost"
expect_eq "$(field "$t" frames)" "$produced" "frames the steady reader got"
pass "$STOPS stops longer than the ring: lost $lost of $records, counted exactly; resumed"
