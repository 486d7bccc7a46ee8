#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# timesync_ptp.sh - feedcap-timesync against a real linuxptp pair.
#
# Two network namespaces joined by a veth pair; ptp4l with software timestamping (-S, UDPv4)
# as master in one and slave in the other, each with its own uds_address.  With -S the PTP
# clock is the machine's CLOCK_REALTIME, which namespaces do not isolate, so both run with
# the timesync_noclock LD_PRELOAD library: every clock-setting call is a successful no-op and
# the machine's clock is never touched, yet the slave's servo runs and reaches SLAVE.
#
# Checks: feedcap-timesync --wait-locked returns 0 and reports `locked` with an offset; a
# --watch running across the master's death reports locked -> holdover -> unlocked in that
# order, each line with the record flags that state implies (sync / holdover / none); an
# unreachable socket is free-running; the slave's clock-setting calls really were swallowed.
set -u

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
command -v ptp4l >/dev/null || skip "ptp4l (linuxptp) not installed"
command -v ip >/dev/null || skip "ip (iproute2) not installed"
command -v python3 >/dev/null || skip "python3 not installed (preload probe)"
TS=${FEEDCAP_TIMESYNC:?FEEDCAP_TIMESYNC not set}
NOCLOCK=${FEEDCAP_NOCLOCK_LIB:-$FEEDCAP_BUILD/tests/integration/libtimesync_noclock.so}
[ -f "$NOCLOCK" ] || fail "preload library $NOCLOCK not built"

P=ts$$
DIR=$(mktemp -d /tmp/feedcap-ts.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	ip netns del ${P}a 2>/dev/null
	ip netns del ${P}b 2>/dev/null
	ip link del ${P}x 2>/dev/null
	if [ -n "${KEEP:-}" ]; then echo "logs kept in $DIR"; else rm -rf "$DIR"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The preload must work before any ptp4l runs: setting CLOCK_MONOTONIC is always EINVAL for
# the kernel, so success here proves the call never reached it (and could not harm if it had).
export FEEDCAP_NOCLOCK_LOG=$DIR/noclock.log
LD_PRELOAD=$NOCLOCK python3 -c 'import time; time.clock_settime(time.CLOCK_MONOTONIC, 1.0)' ||
	fail "LD_PRELOAD $NOCLOCK does not intercept clock_settime: refusing to run ptp4l"
grep -q clock_settime "$DIR/noclock.log" || fail "preload probe left no log line"
: > "$DIR/noclock.log"

ip netns add ${P}a || fail "ip netns add"
ip netns add ${P}b || fail "ip netns add"
ip link add ${P}x type veth peer name ${P}y || fail "ip link add veth"
ip link set ${P}x netns ${P}a && ip link set ${P}y netns ${P}b || fail "veth into namespaces"
ip -n ${P}a addr add 10.231.0.1/24 dev ${P}x
ip -n ${P}b addr add 10.231.0.2/24 dev ${P}y
for n in a b; do ip -n ${P}$n link set lo up; done
ip -n ${P}a link set ${P}x up
ip -n ${P}b link set ${P}y up

cat > "$DIR/master.cfg" <<CFG
[global]
uds_address $DIR/master.sock
priority1 1
kernel_leap 0
logSyncInterval -1
CFG
cat > "$DIR/slave.cfg" <<CFG
[global]
uds_address $DIR/slave.sock
slaveOnly 1
kernel_leap 0
CFG

ip netns exec ${P}a env LD_PRELOAD="$NOCLOCK" ptp4l -S -4 -i ${P}x -f "$DIR/master.cfg" -m \
	> "$DIR/master.log" 2>&1 &
MASTER=$!
PIDS+=($MASTER)
ip netns exec ${P}b env LD_PRELOAD="$NOCLOCK" ptp4l -S -4 -i ${P}y -f "$DIR/slave.cfg" -m \
	> "$DIR/slave.log" 2>&1 &
SLAVE=$!
PIDS+=($SLAVE)

# The sync threshold is generous: software timestamps on a shared 2-core machine jitter by
# microseconds, and this test is about the state machine, not the accuracy.
THR=200000

# 1. Nothing at a path: free-running, and --wait-locked times out with 1.
out=$("$TS" --ptp4l-socket "$DIR/nobody.sock") || fail "one-shot on a missing socket failed"
grep -qx "state free-running" <<<"$out" || fail "missing socket: expected free-running: $out"
"$TS" --ptp4l-socket "$DIR/nobody.sock" --wait-locked --timeout 1 --interval 0.2 >/dev/null 2>&1
[ $? = 1 ] || fail "--wait-locked on a missing socket should exit 1"

# 2. Lock: bounded wait.
"$TS" --ptp4l-socket "$DIR/slave.sock" --threshold $THR --wait-locked --timeout 90 \
	--interval 0.5 > "$DIR/locked.txt" 2> "$DIR/locked.err"
rc=$?
if [ $rc != 0 ]; then
	tail -20 "$DIR/slave.log"
	cat "$DIR/locked.err"
	fail "slave did not lock within 90 s (rc $rc)"
fi
cat "$DIR/locked.txt"
grep -qx "state locked" "$DIR/locked.txt" || fail "wait-locked output does not say locked"
grep -qx "port_state SLAVE" "$DIR/locked.txt" || fail "port state is not SLAVE"
grep -qx "ptp4l_reachable yes" "$DIR/locked.txt" || fail "ptp4l not reachable"
grep -qx "sys_clock is-ptp-clock" "$DIR/locked.txt" || fail "software timestamping not seen"
off=$(awk '$1 == "offset_ns" { print $2 }' "$DIR/locked.txt")
[[ "$off" =~ ^-?[0-9]+$ ]] || fail "no numeric offset: '$off'"
[ "${off#-}" -le $THR ] || fail "locked with |offset| $off above the threshold"
# ptp4l's own log agrees: the slave port reached SLAVE.
grep -q "to SLAVE" "$DIR/slave.log" || fail "ptp4l's log never shows SLAVE"
# JSON output parses and says the same.
"$TS" --ptp4l-socket "$DIR/slave.sock" --threshold $THR --json > "$DIR/state.json" ||
	fail "--json failed"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["state"]=="locked", d["state"]; assert d["port_state"]=="SLAVE"' \
	"$DIR/state.json" || fail "--json output: $(cat "$DIR/state.json")"

# 3. Holdover then unlocked: a watcher with a 6 s holdover across the master's death.
HOLD=6
"$TS" --ptp4l-socket "$DIR/slave.sock" --threshold $THR --holdover $HOLD --watch \
	--interval 0.5 > "$DIR/watch.txt" 2>&1 &
WATCH=$!
PIDS+=($WATCH)
for _ in $(seq 1 40); do
	grep -q "state=locked" "$DIR/watch.txt" && break
	sleep 0.25
done
grep -q "state=locked" "$DIR/watch.txt" || fail "watcher never saw locked: $(cat "$DIR/watch.txt")"
kill "$MASTER"
wait "$MASTER" 2>/dev/null
t_kill=$(date +%s)
for _ in $(seq 1 120); do
	grep -q "state=unlocked" "$DIR/watch.txt" && break
	sleep 0.25
done
sleep 1
kill "$WATCH"
wait "$WATCH" 2>/dev/null
cat "$DIR/watch.txt"
# The sequence of distinct states must be exactly locked, holdover, unlocked.
seq_states=$(sed -n 's/.* state=\([a-z-]*\) .*/\1/p' "$DIR/watch.txt" | uniq | tr '\n' ' ')
[ "$seq_states" = "locked holdover unlocked " ] ||
	fail "state sequence '$seq_states', expected 'locked holdover unlocked'"
# Record flags follow the state on every line.
while read -r line; do
	st=$(sed -n 's/.* state=\([a-z-]*\) .*/\1/p' <<<"$line")
	fl=$(sed -n 's/.* flags=\([a-z ]*\)$/\1/p' <<<"$line")
	case "$st" in
	locked) [ "$fl" = sync ] || fail "locked line with flags '$fl': $line" ;;
	holdover) [ "$fl" = holdover ] || fail "holdover line with flags '$fl': $line" ;;
	unlocked) [ "$fl" = none ] || fail "unlocked line with flags '$fl': $line" ;;
	*) fail "unexpected state in: $line" ;;
	esac
done < "$DIR/watch.txt"
# Holdover lasted about HOLD seconds (from the last locked poll), not zero and not forever.
nh=$(grep -c "state=holdover" "$DIR/watch.txt")
[ "$nh" -ge $(((HOLD - 2) * 2)) ] || fail "only $nh holdover polls for a ${HOLD} s holdover"

# 4. The slave's servo did try to adjust the clock, and every such call was swallowed.
grep -q "^$SLAVE clock_adjtime" "$DIR/noclock.log" ||
	fail "no clock-setting call logged by the preload: was it in the path?"
echo "swallowed clock calls: $(wc -l < "$DIR/noclock.log")"
echo PASS
