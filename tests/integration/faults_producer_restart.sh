#!/bin/bash
# Fault: the producer killed with SIGKILL at random moments (mid-burst, as a crash would) and
# restarted on the same ring file, five times.  What must happen: the readers keep running,
# each notices every new epoch, and between them they deliver every frame the producers
# committed exactly once, none torn (checksums), in sequence order; the bytes a killed
# producer had written past its last commit never reach a reader.
source "$FEEDCAP_TESTLIB/common.sh"
source "$FEEDCAP_SRC/tests/integration/faults_lib.sh"

RESTARTS=${FAULTS_RESTARTS:-5}
RATE=100000
make_tmpdir tmp faultsrestart
ring=$tmp/ring
cap=$((128 << 20))

start_producer() { # SECONDS [--exit-running]
	"$tool" produce "$ring" "$cap" "$RATE" "$@" >>"$tmp/producer.out" 2>>"$tmp/producer.err" &
	prod=$!
	for _ in $(seq 200); do
		[[ $("$tool" ctl "$ring" 2>/dev/null) == *" state 1 "*" pid $prod" ]] && return 0
		sleep 0.01
	done
	fail "the producer did not start: $(cat "$tmp/producer.err")"
}

start_producer 600
at_exit kill_wait "$prod"
"$tool" read "$ring" oldest --name early >"$tmp/early.out" 2>"$tmp/early.err" &
early=$!
sleep 0.3
"$tool" read "$ring" newest --name late >"$tmp/late.out" 2>"$tmp/late.err" &
late=$!
at_exit kill_wait "$early" "$late"

RANDOM=$$
for k in $(seq "$RESTARTS"); do
	sleep "$((RANDOM % 2)).$(printf '%03d' $((RANDOM % 1000)))"
	before=$(field "$("$tool" ctl "$ring")" epoch)
	kill -9 "$prod"
	wait "$prod" 2>/dev/null || true
	sleep "0.$(printf '%03d' $((RANDOM % 500)))"
	for r in "$early" "$late"; do
		kill -0 "$r" 2>/dev/null || fail "a reader died when producer $k was killed"
	done
	if ((k < RESTARTS)); then
		start_producer 600
	else
		start_producer 2 # the last one stops cleanly: the readers drain and exit
	fi
	after=$(field "$("$tool" ctl "$ring")" epoch)
	expect_eq "$after" $((before + 1)) "epoch after restart $k" >/dev/null
done
wait "$prod" || fail "the last producer failed: $(cat "$tmp/producer.err")"
echo "ok: producer killed with SIGKILL and restarted $RESTARTS times"

c=$("$tool" ctl "$ring")
frames=$(field "$c" frames)
records=$(($(field "$c" next_seq) - 1))
log "ring: $c"
for r in early late; do
	pid=${!r}
	wait "$pid" || fail "reader $r failed: $(cat "$tmp/$r.err")"
	o=$(cat "$tmp/$r.out")
	log "$r: $o"
	expect_eq "$(field "$o" epochs)" "$RESTARTS" "new epochs reader $r noticed"
	expect_eq "$(field "$o" lost)" 0 "records reader $r lost"
	expect_eq "$(field "$o" bad)" 0 "torn or wrong frames returned to reader $r"
	expect_eq "$(field "$o" dup)" 0 "records returned twice to reader $r"
	expect_eq "$(field "$o" last)" "$records" "last sequence number reader $r saw"
done
expect_eq "$(field "$(cat "$tmp/early.out")" frames)" "$frames" \
	"frames the early reader got (= every frame committed by the $((RESTARTS + 1)) producers)"
expect_eq "$(field "$(cat "$tmp/early.out")" delivered)" "$records" \
	"records the early reader got (frames + EPOCH markers)"
pass "$RESTARTS producer crashes: readers kept running, $frames frames delivered once each"
