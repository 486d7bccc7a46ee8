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
source "$FEEDCAP_TESTLIB/common.sh"
source "$FEEDCAP_TESTLIB/netns.sh"
need_root
need_tools ptp4l pmc ip python3
need_env FEEDCAP_TIMESYNC FEEDCAP_BUILD
TS=$FEEDCAP_TIMESYNC
NOCLOCK=${FEEDCAP_NOCLOCK_LIB:-$FEEDCAP_BUILD/tests/integration/libtimesync_noclock.so}
[[ -f $NOCLOCK ]] || fail "preload library $NOCLOCK not built"
make_tmpdir DIR ts

# The preload must work before any ptp4l runs: setting CLOCK_MONOTONIC is always EINVAL for
# the kernel, so success here proves the call never reached it (and could not harm if it had).
export FEEDCAP_NOCLOCK_LOG=$DIR/noclock.log
LD_PRELOAD=$NOCLOCK python3 -c 'import time; time.clock_settime(time.CLOCK_MONOTONIC, 1.0)' ||
	fail "LD_PRELOAD $NOCLOCK does not intercept clock_settime: refusing to run ptp4l"
grep -q clock_settime "$DIR/noclock.log" || fail "preload probe left no log line"
: > "$DIR/noclock.log"

netns_new NSM ts
netns_new NSS ts
netns_veth IF_M IF_S "$NSM" "$NSS" ts
netns_addr "$NSM" "$IF_M" 10.231.0.1/24
netns_addr "$NSS" "$IF_S" 10.231.0.2/24

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

netns_spawn MASTER "$NSM" env LD_PRELOAD="$NOCLOCK" \
	ptp4l -S -4 -i "$IF_M" -f "$DIR/master.cfg" -m > "$DIR/master.log" 2>&1
netns_spawn SLAVE "$NSS" env LD_PRELOAD="$NOCLOCK" \
	ptp4l -S -4 -i "$IF_S" -f "$DIR/slave.cfg" -m > "$DIR/slave.log" 2>&1

# The PID of the ptp4l process itself (netns_spawn's PID is the shell around it): the one
# this test kills, and the one the preload's log names.
ptp4l_pid() {
	local ns=$1 pid i
	for ((i = 0; i < 50; i++)); do
		for pid in $(ip netns pids "$ns"); do
			if [[ $(cat "/proc/$pid/comm" 2>/dev/null) == ptp4l ]]; then
				echo "$pid"
				return 0
			fi
		done
		sleep 0.1
	done
	return 1
}
MASTER_PID=$(ptp4l_pid "$NSM") || fail "master ptp4l did not start: $(cat "$DIR/master.log")"
SLAVE_PID=$(ptp4l_pid "$NSS") || fail "slave ptp4l did not start: $(cat "$DIR/slave.log")"

# The sync threshold is generous: software timestamps on a shared 2-core machine jitter by
# microseconds, and this test is about the state machine, not the accuracy.
THR=200000

# (the command line and a missing socket are timesync_cli.sh's business)
set +e

# 1. Lock: bounded wait.
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
# linuxptp's own pmc, asked the same questions on the same socket, is the oracle for the
# decoding: grandmaster identity, port state and UTC offset must agree.
pmc -u -b 0 -s "$DIR/slave.sock" 'GET TIME_STATUS_NP' 'GET PORT_DATA_SET' \
	'GET TIME_PROPERTIES_DATA_SET' > "$DIR/pmc.txt" 2>&1
"$TS" --ptp4l-socket "$DIR/slave.sock" --threshold $THR > "$DIR/ours.txt"
pmc_gm=$(awk '$1 == "gmIdentity" { print $2 }' "$DIR/pmc.txt")
pmc_ps=$(awk '$1 == "portState" { print $2 }' "$DIR/pmc.txt")
pmc_utc=$(awk '$1 == "currentUtcOffset" { print $2 }' "$DIR/pmc.txt")
[[ -n $pmc_gm && -n $pmc_ps && -n $pmc_utc ]] || fail "pmc gave no answer: $(cat "$DIR/pmc.txt")"
expect_eq "$(awk '$1 == "gm_identity" { print $2 }' "$DIR/ours.txt")" "$pmc_gm" \
	"grandmaster identity (pmc's)"
expect_eq "$(awk '$1 == "port_state" { print $2 }' "$DIR/ours.txt")" "$pmc_ps" \
	"port state (pmc's)"
expect_eq "$(awk '$1 == "utc_offset_s" { print $2 }' "$DIR/ours.txt")" "$pmc_utc" \
	"currentUtcOffset (pmc's)"
# Negative control: the same slave with a 1 ns threshold is not locked (unless its offset
# happens to be within 1 ns), so `locked` above really depended on the offset.
"$TS" --ptp4l-socket "$DIR/slave.sock" --threshold 1 > "$DIR/tight.txt"
toff=$(awk '$1 == "offset_ns" { print $2 }' "$DIR/tight.txt")
if [[ ${toff#-} -gt 1 ]]; then
	grep -qx "state unlocked" "$DIR/tight.txt" ||
		fail "offset $toff ns with a 1 ns threshold: $(grep '^state' "$DIR/tight.txt")"
fi
# JSON output parses and says the same.
"$TS" --ptp4l-socket "$DIR/slave.sock" --threshold $THR --json > "$DIR/state.json" ||
	fail "--json failed"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["state"]=="locked", d["state"]; assert d["port_state"]=="SLAVE"' \
	"$DIR/state.json" || fail "--json output: $(cat "$DIR/state.json")"

# 2. Holdover then unlocked: a watcher with a 6 s holdover across the master's death.
HOLD=6
# Started directly (so $! is the watcher itself, not a shell around it), bounded by --count
# (at most 2 minutes) and killed at exit whatever happens.
"$TS" --ptp4l-socket "$DIR/slave.sock" --threshold $THR --holdover $HOLD --watch \
	--interval 0.5 --count 240 > "$DIR/watch.txt" 2>&1 &
WATCH=$!
at_exit kill "$WATCH"
for _ in $(seq 1 40); do
	grep -q "state=locked" "$DIR/watch.txt" && break
	sleep 0.25
done
grep -q "state=locked" "$DIR/watch.txt" || fail "watcher never saw locked: $(cat "$DIR/watch.txt")"
kill "$MASTER_PID"
for _ in $(seq 1 50); do
	kill -0 "$MASTER_PID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$MASTER_PID" 2>/dev/null && fail "master ptp4l $MASTER_PID did not stop"
for _ in $(seq 1 120); do
	grep -q "state=unlocked" "$DIR/watch.txt" && break
	sleep 0.25
done
sleep 1
kill "$WATCH"
wait "$WATCH"
expect_eq $? 0 "watcher exit on SIGTERM"
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

# 3. The slave's servo did try to adjust the clock, and every such call was swallowed.
grep -q "^$SLAVE_PID clock_adjtime" "$DIR/noclock.log" ||
	fail "no clock-setting call logged by the preload: was it in the path?"
echo "swallowed clock calls: $(wc -l < "$DIR/noclock.log")"
pass "locked, holdover, unlocked read from a real ptp4l slave"
