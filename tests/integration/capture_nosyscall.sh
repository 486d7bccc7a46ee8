#!/bin/bash
# capture_nosyscall: after start-up the poller thread makes no system call and takes no page
# fault.  strace -c attaches to the poller's thread (and only it) for a few seconds while
# net_null feeds it tens of millions of frames: zero calls.  The same strace on the control
# thread over the same kind of window must count calls (it sleeps in sigtimedwait): the
# negative control that shows the method sees system calls when there are some.  minflt and
# majflt of the poller thread (/proc/PID/task/TID/stat) do not move over the window.
source "$FEEDCAP_TESTLIB/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/capture_common.sh"
need_tools strace

make_tmpdir tmp capsc
WINDOW=${CAPTURE_NOSYSCALL_WINDOW:-3}
cap_ring ring nosc
cap_start cap "$tmp/cap.log" --ring "$ring" --ring-size 64M --vdev net_null0,size=256 \
	--group 239.1.1.1 --duration 60 -- $(cap_eal s)

tid=
for t in /proc/"$cap"/task/*; do
	if [[ $(cat "$t/comm") == feedcap-poll ]]; then
		tid=${t##*/}
	fi
done
[[ -n $tid ]] || fail "no thread named feedcap-poll in $(cat /proc/"$cap"/task/*/comm | tr '\n' ' ')"
log "poller thread $tid of $cap"
sleep 1 # past start-up

# faults FIELD: minflt (10) or majflt (12) of the poller thread; comm has no spaces.
faults() { awk -v f="$1" '{print $f}' "/proc/$cap/task/$tid/stat"; }
# calls OUT: the total number of calls in an strace -c summary (none listed: 0).
calls() { awk '$NF == "total" {print $(NF-1) + 0; found = 1} END {if (!found) print 0}' "$1"; }

min0=$(faults 10)
maj0=$(faults 12)
frames0=$(cap_counter "$ring" frames)
timeout -s INT "$WINDOW" strace -c -p "$tid" -o "$tmp/poller.strace" 2>"$tmp/strace.err" || true
grep -q "attached" "$tmp/strace.err" || fail "strace did not attach to $tid: $(cat "$tmp/strace.err")"
min1=$(faults 10)
maj1=$(faults 12)
frames1=$(cap_counter "$ring" frames)
cat "$tmp/poller.strace"

# Negative control: the control thread over a window of the same length.
timeout -s INT "$WINDOW" strace -c -p "$cap" -o "$tmp/control.strace" 2>/dev/null || true
cap_stop "$cap"

log "poller: $((frames1 - frames0)) frames in the window"
((frames1 - frames0 > 100000)) || fail "traffic did not flow during the window ($((frames1 - frames0)) frames)"
ctl=$(calls "$tmp/control.strace")
((ctl > 0)) || fail "negative control: strace counted no call on the control thread"
expect_eq "$(calls "$tmp/poller.strace")" 0 "system calls of the poller thread over ${WINDOW}s"
expect_eq "$((min1 - min0))" 0 "minor page faults of the poller thread"
expect_eq "$((maj1 - maj0))" 0 "major page faults of the poller thread"
pass "poller: 0 system calls, 0 page faults over ${WINDOW}s and $((frames1 - frames0)) frames (control thread: $ctl calls)"
