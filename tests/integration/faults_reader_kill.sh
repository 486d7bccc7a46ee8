#!/bin/bash
# Fault: a reader killed with SIGKILL at random moments, fifty times, while the producer runs.
# What must happen: the producer never pauses (its frame counter grows across every kill and
# the longest time between two of its commits stays far below the ring's depth); the readers
# that stay alive lose nothing and see no torn or repeated record (delivered = every record
# produced, checksums good); the registry forgets the dead readers.
source "$FEEDCAP_TESTLIB/common.sh"
source "$FEEDCAP_SRC/tests/integration/faults_lib.sh"

KILLS=${FAULTS_KILLS:-50}
RATE=100000 # frames/s of 200 bytes (232 in the ring): 128 MiB holds ~5.8 s
# The machine is shared and loaded: a process can be off the CPU for a second.  The ring's
# depth is what the keep-up readers may fall behind by, so it is generous.
make_tmpdir tmp faultskill
ring=$tmp/ring

# The producer runs until the kills are done (SIGTERM: it stops cleanly, state STOPPED).
"$tool" produce "$ring" $((128 << 20)) "$RATE" 3600 >"$tmp/producer.out" 2>"$tmp/producer.err" &
prod=$!
at_exit kill_wait "$prod"
for _ in $(seq 100); do [[ -s $ring ]] && "$tool" ctl "$ring" >/dev/null 2>&1 && break; sleep 0.05; done
"$tool" ctl "$ring" >/dev/null || fail "the producer did not create $ring: $(cat "$tmp/producer.err")"

# Two readers that keep up, from the oldest record: they must get every one.
for i in 1 2; do
	"$tool" read "$ring" oldest --name keep$i >"$tmp/keep$i.out" 2>"$tmp/keep$i.err" &
	keep[i]=$!
done
at_exit kill_wait "${keep[@]}"

RANDOM=$$
prev=$(field "$("$tool" ctl "$ring")" frames)
for k in $(seq "$KILLS"); do
	# the victim: registered or not, from oldest or newest, sometimes slow (mid-record)
	from=oldest
	((RANDOM % 2)) && from=newest
	args=("$tool" read "$ring" "$from")
	((RANDOM % 2)) && args+=(--name "victim$k")
	((RANDOM % 3 == 0)) && args+=(--slow-us 100)
	"${args[@]}" >/dev/null 2>"$tmp/victim.err" &
	v=$!
	sleep "0.$(printf '%03d' $((10 + RANDOM % 290)))"
	kill -9 "$v"
	wait "$v" 2>/dev/null && fail "victim $k exited by itself: $(cat "$tmp/victim.err")"
	# The producer goes on: its counter passes where it was before the victim started (it may
	# be off the CPU for a moment on this loaded machine, so wait up to 2 s for that).
	for _ in $(seq 200); do
		now=$(field "$("$tool" ctl "$ring")" frames)
		((now > prev)) && break
		sleep 0.01
	done
	((now > prev)) || fail "kill $k: the producer's frame counter stopped at $prev"
	prev=$now
done
echo "ok: $KILLS readers killed with SIGKILL; the frame counter grew across every one"

kill -TERM "$prod"
wait "$prod" || fail "the producer failed: $(cat "$tmp/producer.err")"
out=$(cat "$tmp/producer.out")
produced=$(field "$out" produced)
maxgap=$(field "$out" maxgap_us)
log "producer: $out"
((maxgap < 2000000)) || fail "the producer paused ${maxgap} us between two commits"
echo "ok: longest time between two producer commits: $maxgap us (ring depth ~5.8 s)"

for i in 1 2; do
	wait "${keep[i]}" || fail "keep-up reader $i failed: $(cat "$tmp/keep$i.err")"
	r=$(cat "$tmp/keep$i.out")
	log "keep$i: $r"
	expect_eq "$(field "$r" lost)" 0 "records lost by keep-up reader $i"
	expect_eq "$(field "$r" bad)" 0 "torn or wrong frames returned to reader $i"
	expect_eq "$(field "$r" dup)" 0 "records returned twice to reader $i"
	expect_eq "$(field "$r" frames)" "$produced" "frames reader $i checked (= produced)"
done

# The dead readers' registry slots are not listed as live readers.
# A killed reader cannot release its slot; the next register reclaims dead slots, so at most
# the last registered victim's slot may still be held (layout: ringshm_internal.h).
stale=$(python3 - "$ring.readers" <<'PY'
import os, struct, sys
data = open(sys.argv[1], "rb").read()
n = struct.unpack_from("<I", data, 12)[0]
stale = 0
for i in range(n):
    pid = struct.unpack_from("<Q", data, 64 + struct.unpack_from("<I", data, 16)[0] * i)[0]
    if pid and not os.path.exists(f"/proc/{pid}"):
        stale += 1
print(stale)
PY
)
((stale <= 1)) || fail "$stale registry slots still held by killed readers"
echo "ok: registry slots held by dead readers after $KILLS kills: $stale"
pass "$KILLS reader kills: producer never paused, keep-up readers lost 0 of $produced"
