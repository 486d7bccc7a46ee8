#!/bin/bash
# Privileges, capture side (issue 9; the reader side is in test_ringshm: a reader's write
# faults, a reader outside group feedcap is refused).
#  1. feedcap-capture refuses to run a ring in a directory that others can write (mode o+w,
#     sticky or not): exit 2, a message naming the directory and its mode, no ring file made.
#  2. After start-up feedcap-capture holds no capability it does not need: /proc/PID/status
#     CapEff has none of CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_SETUID, CAP_SETGID,
#     CAP_SYS_MODULE, CAP_SYS_PTRACE, CAP_SYS_ADMIN.
# Run as root here (the capture starts with every capability, as a service would before it
# drops them).
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_CAPTURE
need_root
source "$FEEDCAP_TESTLIB/hugepages.sh"
hugepages_need 128 # DPDK's -m 256 (the ring is a file)
make_tmpdir tmp faultspriv
eal=(--no-pci --in-memory -m 256 --file-prefix fpriv$$)
run=(--ring-size 4M --ring-backing file --vdev net_null0 --lcores 0,1)

for mode in 0777 1777 0773; do
	d=$tmp/ww$mode
	mkdir "$d"
	chmod "$mode" "$d"
	rc=0
	timeout 60 "$FEEDCAP_CAPTURE" --ring "$d/r" "${run[@]}" --duration 1 -- "${eal[@]}" \
		>/dev/null 2>"$tmp/err" || rc=$?
	((rc == 2)) || fail "a ring in a directory of mode $mode: exit $rc, expected 2 (refused)"
	grep -q "$d" "$tmp/err" || fail "mode $mode: the message does not name $d: $(tail -2 "$tmp/err")"
	[[ ! -e $d/r ]] || fail "mode $mode: the ring file was created anyway"
done
echo "ok: rings in directories others can write are refused"

mkdir "$tmp/ok"
chmod 0750 "$tmp/ok"
# Started directly (not under timeout(1)): $! must be feedcap-capture itself, whose status is
# read below.  --duration bounds it; SIGTERM ends it once checked.
"$FEEDCAP_CAPTURE" --ring "$tmp/ok/r" "${run[@]}" --duration 60 -- "${eal[@]}" \
	>/dev/null 2>"$tmp/err" &
cap=$!
at_exit kill "$cap" 2>/dev/null
# Start-up is done (ports started, privileges dropped) when it says it is capturing.
capturing() { grep -q "capturing" "$tmp/err"; }
wait_until 60 capturing || fail "feedcap-capture did not start capturing in 60 s: $(tail -3 "$tmp/err")"
capeff=$(awk '/^CapEff:/ {print $2}' "/proc/$cap/status") || fail "feedcap-capture is not running"
log "CapEff of a running feedcap-capture: $capeff"
declare -A forbidden=([0]=CAP_CHOWN [1]=CAP_DAC_OVERRIDE [3]=CAP_FOWNER [6]=CAP_SETGID
	[7]=CAP_SETUID [16]=CAP_SYS_MODULE [19]=CAP_SYS_PTRACE [21]=CAP_SYS_ADMIN)
held=()
for bit in "${!forbidden[@]}"; do
	(((0x$capeff >> bit) & 1)) && held+=("${forbidden[$bit]}")
done
((${#held[@]} == 0)) || fail "after start-up feedcap-capture still holds ${held[*]} (CapEff $capeff)"
kill -TERM "$cap"
wait "$cap" || fail "feedcap-capture failed: $(tail -3 "$tmp/err")"
pass "feedcap-capture refuses unsafe ring directories and drops its capabilities"
