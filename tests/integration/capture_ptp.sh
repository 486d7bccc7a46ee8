#!/bin/bash
# capture_ptp: record flags follow ptp4l.  Two namespaces joined by a veth pair run ptp4l with
# software timestamping, master and slave (a preload library turns their clock-setting calls
# into no-ops: the machine's clock is never touched).  Once feedcap-timesync sees the slave
# locked, feedcap-capture asks the slave's management socket (ptp_socket in its config, with a
# 200 us threshold as software timestamps jitter) and every frame the ring holds carries
# TS_SYNC; the ring's clock block says locked.  Then the master dies: within the stale time
# the capture goes to holdover, the newest frames carry TS_HOLDOVER and not TS_SYNC, and the
# change is in the ring as a CLOCK record.
source "$FEEDCAP_TESTLIB/common.sh"
source "$FEEDCAP_TESTLIB/netns.sh"
source "$(dirname "${BASH_SOURCE[0]}")/capture_common.sh"
need_tools ptp4l ip python3
need_env FEEDCAP_TIMESYNC CAPTURE_NOCLOCK_LIB

make_tmpdir tmp capptp
export FEEDCAP_NOCLOCK_LOG=$tmp/noclock.log
LD_PRELOAD=$CAPTURE_NOCLOCK_LIB python3 -c 'import time; time.clock_settime(time.CLOCK_MONOTONIC, 1.0)' ||
	fail "LD_PRELOAD $CAPTURE_NOCLOCK_LIB does not intercept clock_settime: refusing to run ptp4l"

netns_new nsa cap
netns_new nsb cap
netns_veth ifa ifb "$nsa" "$nsb" cap
netns_addr "$nsa" "$ifa" 10.232.0.1/24
netns_addr "$nsb" "$ifb" 10.232.0.2/24
printf '[global]\nuds_address %s\npriority1 1\nkernel_leap 0\nlogSyncInterval -1\n' \
	"$tmp/master.sock" >"$tmp/master.cfg"
printf '[global]\nuds_address %s\nslaveOnly 1\nkernel_leap 0\n' "$tmp/slave.sock" >"$tmp/slave.cfg"
netns_spawn master "$nsa" env LD_PRELOAD="$CAPTURE_NOCLOCK_LIB" ptp4l -S -4 -i "$ifa" \
	-f "$tmp/master.cfg" -m >"$tmp/master.log" 2>&1
netns_spawn slave "$nsb" env LD_PRELOAD="$CAPTURE_NOCLOCK_LIB" ptp4l -S -4 -i "$ifb" \
	-f "$tmp/slave.cfg" -m >"$tmp/slave.log" 2>&1
THR=200000
"$FEEDCAP_TIMESYNC" --ptp4l-socket "$tmp/slave.sock" --threshold $THR --wait-locked \
	--timeout 90 --interval 0.5 >"$tmp/locked.txt" 2>&1 ||
	{ tail -20 "$tmp/slave.log"; fail "the ptp4l slave did not lock within 90 s"; }
log "ptp4l slave locked: $(grep -E '^offset_ns' "$tmp/locked.txt")"

cap_ring ring ptp
cat >"$tmp/feedcap.conf" <<CONF
[ring t]
path = $ring
backing = file
size = 16M
chunk_size = 1M
[port a]
device = net_null0,size=64
[capture]
ring = t
ptp_socket = $tmp/slave.sock
clock_max_offset = 200us
clock_holdover = 60s
CONF

# 1. Locked: every frame held is synchronised.
"$FEEDCAP_CAPTURE" -c "$tmp/feedcap.conf" --duration 4 -- $(cap_eal a) >"$tmp/a.log" 2>&1 ||
	fail "capture failed: $(cat "$tmp/a.log")"
"$CAPTOOL" clock "$ring" | tee "$tmp/clock1.txt"
get() { sed -n "s/^$2=//p" "$1"; }
expect_eq "$(get "$tmp/clock1.txt" clock_state)" locked "clock block state while the slave is locked"
expect_eq "$(get "$tmp/clock1.txt" ptp_reachable)" 1 "ptp4l reachable"
frames=$(get "$tmp/clock1.txt" frames)
((frames > 1000)) || fail "only $frames frames in the ring"
expect_eq "$(get "$tmp/clock1.txt" frames_sync)" "$frames" "frames flagged synchronised"
expect_eq "$(get "$tmp/clock1.txt" frames_src_tsc)" "$frames" "frames timestamped from the TSC"

# 2. The master dies: holdover, and the change is recorded in-band.
cap_start cap "$tmp/b.log" -c "$tmp/feedcap.conf" --duration 30 -- $(cap_eal b)
sleep 2
for p in $(ip netns pids "$nsa"); do # ptp4l itself, inside its namespace
	kill "$p" || true
done
for ((i = 0; i < 40; i++)); do
	grep -q "clock: holdover" "$tmp/b.log" && break
	sleep 0.5
done
grep -q "clock: holdover" "$tmp/b.log" || fail "the capture never went to holdover: $(cat "$tmp/b.log")"
sleep 2
cap_stop "$cap"
"$CAPTOOL" clock "$ring" | tee "$tmp/clock2.txt"
expect_eq "$(get "$tmp/clock2.txt" clock_state)" holdover "clock block state after the master died"
frames=$(get "$tmp/clock2.txt" frames)
expect_eq "$(get "$tmp/clock2.txt" frames_holdover)" "$frames" "newest frames flagged holdover"
expect_eq "$(get "$tmp/clock2.txt" frames_sync)" 0 "newest frames flagged synchronised"
"$CAPTOOL" markers "$ring" >"$tmp/markers.txt"
# The ring is small and net_null fast: the CLOCK record may have been overwritten, the
# counters in the header keep the total.
markers=$(cap_counter "$ring" markers)
log "markers written: $markers, held: $(tr '\n' ' ' <"$tmp/markers.txt")"
((markers >= 3)) || fail "$markers marker records: want two EPOCH and at least one CLOCK"
pass "records synchronised while ptp4l is locked, holdover after the master died"
