#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# timesync_cli.sh - feedcap-timesync's command line: --help and the man page document the same
# options, usage errors exit 2, --no-ptp reports free-running in every output form, a missing
# ptp4l socket is free-running (not an error), --wait-locked times out with 1.
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_TIMESYNC TIMESYNC_TSCNOW
need_tools script python3
TS=$FEEDCAP_TIMESYNC
MAN=$FEEDCAP_SRC/docs/man/feedcap-timesync.1
make_tmpdir DIR ts

help=$("$TS" --help) || fail "--help exited $?"
opts_help=$(grep -o -- '--[a-z0-9][a-z0-9-]*' <<<"$help" | sort -u)
# In the man page options are written \-\-name.
opts_man=$(sed 's/\\-/-/g' "$MAN" | grep -o -- '--[a-z0-9][a-z0-9-]*' | sort -u)
missing=$(comm -23 <(echo "$opts_help") <(echo "$opts_man"))
extra=$(comm -13 <(echo "$opts_help") <(echo "$opts_man"))
[[ -z $missing ]] || fail "options in --help but not in the man page: $missing"
[[ -z $extra ]] || fail "options in the man page but not in --help: $extra"
expect_eq "$(wc -l <<<"$opts_help")" 15 "number of documented options"

set +e
"$TS" --bogus >/dev/null 2>&1
expect_eq $? 2 "unknown option exit"
"$TS" --threshold 12x >/dev/null 2>"$DIR/err"
expect_eq $? 2 "bad number exit"
grep -q '"12x"' "$DIR/err" || fail "the message does not name the bad value: $(cat "$DIR/err")"
"$TS" --ring x --ptp4l-socket y >/dev/null 2>&1
expect_eq $? 2 "--ring with a live option"
"$TS" --watch --wait-locked >/dev/null 2>&1
expect_eq $? 2 "--watch with --wait-locked"
"$TS" extra-arg >/dev/null 2>&1
expect_eq $? 2 "stray argument"
"$TS" --ptp4l-socket "$DIR/x" --phc "$DIR/ptp-none" >/dev/null 2>"$DIR/err"
expect_eq $? 1 "--phc on a missing device"
grep -q "$DIR/ptp-none" "$DIR/err" || fail "the message does not name the device: $(cat "$DIR/err")"
set -e

# The fitted TSC rate against an oracle that shares no code with it (timesync_tscnow: the
# TSC between two CLOCK_REALTIME reads, before and after the fit, a good half second apart: a
# few ppm).  Not /proc/cpuinfo's "cpu MHz": that is the core's current clock, which frequency
# scaling moves; the TSC of every CPU feedcap supports does not.  100 ppm: far above what the
# fit and the oracle disagree by (< 1 ppm here), far below rte_get_tsc_hz()'s rounding
# (1506 ppm on this machine, docs/timing.md), which this check exists to catch.
"$TIMESYNC_TSCNOW" >"$DIR/tsc.0"
sleep 0.3
out=$("$TS" --no-ptp)
sleep 0.3
"$TIMESYNC_TSCNOW" >"$DIR/tsc.1"
grep -qx "state free-running" <<<"$out" || fail "--no-ptp: $out"
grep -qx "tsc_valid yes" <<<"$out" || fail "no TSC model: $out"
hz=$(awk '$1 == "tsc_hz" { print $2 }' <<<"$out")
read -r t0 n0 w0 <"$DIR/tsc.0"
read -r t1 n1 w1 <"$DIR/tsc.1"
ref=$(awk -v dt=$((t1 - t0)) -v dn=$((n1 - n0)) 'BEGIN { printf "%.3f", dt / dn * 1e9 }')
ppm=$(awk -v a="$hz" -v b="$ref" 'BEGIN { printf "%.2f", (a / b - 1) * 1e6 }')
log "fitted TSC $hz Hz; measured $ref Hz over $(((n1 - n0) / 1000000)) ms (brackets $w0, $w1 ns): $ppm ppm"
awk -v p="$ppm" 'BEGIN { exit !(p < 100 && p > -100) }' ||
	fail "fitted TSC $hz Hz is $ppm ppm off the $ref Hz measured against CLOCK_REALTIME"
# On a terminal: a table with a header and a meaning per field (script(1) gives it a pty).
tty_out=$(script -qec "$TS --no-ptp" /dev/null | tr -d '\r')
grep -q '^FIELD  *VALUE  *MEANING$' <<<"$tty_out" || fail "no table header on a tty: $tty_out"
grep -q '^state  *free-running  *clock state$' <<<"$tty_out" || fail "table row: $tty_out"
"$TS" --no-ptp --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["state"]=="free-running" and d["timescale"]=="UTC", d'
n=$("$TS" --no-ptp --watch --count 3 --interval 0.1 | grep -c 'state=free-running flags=\|state=free-running ')
expect_eq "$n" 3 "--watch --count 3 lines"
"$TS" --no-ptp --watch --count 2 --interval 0.1 --json |
	python3 -c 'import json,sys; l=[json.loads(x) for x in sys.stdin]; assert len(l)==2 and all(x["state"]=="free-running" and x["flags"]=="none" for x in l), l'

out=$("$TS" --ptp4l-socket "$DIR/no-ptp4l-here")
grep -qx "state free-running" <<<"$out" || fail "missing socket: $out"
grep -qx "ptp4l_reachable no" <<<"$out" || fail "missing socket reachable: $out"
set +e
"$TS" --ptp4l-socket "$DIR/no-ptp4l-here" --wait-locked --timeout 0.5 --interval 0.1 >/dev/null 2>"$DIR/err"
expect_eq $? 1 "--wait-locked timeout exit"
set -e
grep -q "not locked after" "$DIR/err" || fail "timeout message: $(cat "$DIR/err")"
# start_watch: a --watch client in the background, its PID in wpid once its management
# socket (/var/run/feedcap-pmc.PID.N) exists.
start_watch() {
	# bounded (--count: 2 minutes at most) and killed at exit if a check fails first
	"$TS" --ptp4l-socket "$DIR/no-ptp4l-here" --watch --interval 0.2 --count 600 >/dev/null &
	wpid=$!
	at_exit kill "$wpid"
	for _ in $(seq 1 50); do
		compgen -G "/var/run/feedcap-pmc.$wpid.*" >/dev/null && return 0
		sleep 0.1
	done
	fail "no client socket /var/run/feedcap-pmc.$wpid.*"
}
sock_left() { compgen -G "/var/run/feedcap-pmc.$wpid.*" >/dev/null; }

# SIGTERM ends --watch cleanly (exit 0) and removes the management socket it bound.
start_watch
kill -TERM "$wpid"
set +e
wait "$wpid"
expect_eq $? 0 "--watch exit on SIGTERM"
set -e
! sock_left || fail "client socket left behind after SIGTERM"
# A client killed outright leaves its socket; the next client removes it.
start_watch
kill -KILL "$wpid"
wait "$wpid" 2>/dev/null || true
sock_left || fail "SIGKILL should have left the socket"
"$TS" --ptp4l-socket "$DIR/no-ptp4l-here" >/dev/null
! sock_left || fail "a dead client's socket was not reclaimed"
pass "feedcap-timesync command line"
