#!/bin/bash
# capture_usage: what an operator sees.  Bad usage exits 2 with a message naming the option;
# a second producer on a running capture's ring is refused (exit 1) and the first one goes
# on; /feedcap/stats answers through DPDK telemetry (dpdk-telemetry.py); SIGTERM stops
# cleanly (exit 0, ring stopped and intact); a restart opens a new epoch; --check-host and
# --strict on this (not isolated) host.
source "$FEEDCAP_TESTLIB/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/capture_common.sh"
need_tools dpdk-telemetry.py python3

make_tmpdir tmp capus

# expect_usage WORDS -- ARGS...: exit status 2 and stderr containing WORDS.
expect_usage() {
	local words=$1 rc=0
	shift 2
	"$FEEDCAP_CAPTURE" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	[[ $rc == 2 ]] || fail "feedcap-capture $*: exit $rc, expected 2 ($(cat "$tmp/err"))"
	grep -qF -- "$words" "$tmp/err" || fail "feedcap-capture $*: message '$(cat "$tmp/err")' lacks '$words'"
	echo "ok: exit 2: $(tail -1 "$tmp/err")"
}
expect_usage "unknown option --bogus" -- --bogus
expect_usage '--ring-size: "3G" is not a power of two' -- --ring-size 3G
expect_usage '--group: "10.0.0.1"' -- --group 10.0.0.1
expect_usage '--count: "x"' -- --count x
expect_usage '--lcores' -- --lcores 0,0
expect_usage 'unexpected argument "foo"' -- foo
expect_usage '--filter-groups needs at least one --group' -- --filter-groups
cap_ring ring0 noport
expect_usage "no DPDK port" -- --ring "$ring0" --ring-size 2M -- $(cap_eal n)
expect_usage "choose the CPUs with --lcores" -- --ring "$ring0" --ring-size 2M -- -l 0,1
cap_ring ring1 nots
expect_usage "--timestamp nic, but this port gives no RX timestamp" -- --ring "$ring1" \
	--ring-size 2M --vdev net_null0 --timestamp nic -- $(cap_eal t)
"$FEEDCAP_CAPTURE" --help >"$tmp/help" || fail "--help exit status"
grep -q "^Usage: feedcap-capture" "$tmp/help" || fail "--help output"

# A first capture, then a second producer on the same ring.
cap_ring ring run
# Two ports of two RX queues each, all drained by the one poller.
cap_start cap "$tmp/a.log" --ring "$ring" --ring-size 16M --vdev net_null0,size=128 \
	--vdev net_null1,size=256 --rx-queues 2 --duration 60 -- $(cap_eal a)
rc=0
"$FEEDCAP_CAPTURE" --ring "$ring" --ring-size 16M --vdev net_null0 -- $(cap_eal b) \
	>"$tmp/b.log" 2>&1 || rc=$?
expect_eq "$rc" 1 "second producer exit status"
grep -q "refusing to start a second producer" "$tmp/b.log" || fail "second producer message: $(cat "$tmp/b.log")"
kill -0 "$cap" || fail "the first capture died when a second producer was tried"
expect_eq "$(cap_counter "$ring" producer_pid)" "$cap" "producer pid in the ring"

# Telemetry, through DPDK's own client.
sleep 1.5
echo /feedcap/stats | dpdk-telemetry.py -f "cap$$a" >"$tmp/tel.json" 2>&1 || true
python3 - "$tmp/tel.json" <<'PY' || fail "telemetry: $(cat "$tmp/tel.json")"
import json, sys
text = open(sys.argv[1]).read()
d = json.loads(text[text.index('{"/feedcap/stats"'):].splitlines()[0])["/feedcap/stats"]
assert d["frames"] > 0, d
assert d["port0"]["name"] == "net_null0", d
assert d["port0"]["driver"] == "net_null", d
assert d["port0"]["q0_frames"] > 0 and d["port0"]["q1_frames"] > 0, d
assert d["port1"]["name"] == "net_null1", d
assert d["port1"]["q0_frames"] > 0 and d["port1"]["q1_frames"] > 0, d
assert d["frames"] >= d["port0"]["frames"] + d["port1"]["frames"] - 10**6, d
assert d["ring_capacity"] == 16 << 20, d
print("ok: telemetry /feedcap/stats frames", d["frames"], "port0", d["port0"]["frames"],
      "port1", d["port1"]["frames"], "(2 queues each)")
PY

cap_stop "$cap"
grep -q "captured [1-9][0-9]* frames" "$tmp/a.log" || fail "no final counters: $(cat "$tmp/a.log")"
expect_eq "$(cap_counter "$ring" state)" 2 "ring state after SIGTERM (stopped)"
expect_eq "$(cap_counter "$ring" epoch)" 1 "epoch of the first run"
frames1=$(cap_counter "$ring" frames)
((frames1 > 0)) || fail "no frames in the ring"

# Restart on the same ring: a new epoch, counters continue.
"$FEEDCAP_CAPTURE" --ring "$ring" --ring-size 16M --vdev net_null0,size=128 --count 1000 \
	-- $(cap_eal c) >"$tmp/c.log" 2>&1 || fail "restart failed: $(cat "$tmp/c.log")"
expect_eq "$(cap_counter "$ring" epoch)" 2 "epoch after a restart"
expect_eq "$(cap_counter "$ring" frames)" "$((frames1 + 1000))" "frames continue across epochs"

# Host checks, on a host that isolates no CPU and on one that isolates CPU 1, whatever this
# one does: the command runs in a mount namespace of its own where /proc/cmdline and
# /sys/devices/system/cpu/{isolated,nohz_full} are files of this test's (bind mounts).
# fake_host CMDLINE CPULIST CMD...
fake_host() {
	printf '%s\n' "$1" >"$tmp/cmdline"
	printf '%s\n' "$2" >"$tmp/cpulist"
	shift 2
	unshare -m bash -c 'mount --bind "$1" /proc/cmdline || exit 99
		for f in isolated nohz_full; do
			[[ ! -e /sys/devices/system/cpu/$f ]] ||
				mount --bind "$2" "/sys/devices/system/cpu/$f" || exit 99
		done
		shift 2
		exec "$@"' fake_host "$tmp/cmdline" "$tmp/cpulist" "$@"
}
fake_host "BOOT_IMAGE=/vmlinuz isolcpus=1 nohz_full=1 rcu_nocbs=1" 1 \
	"$FEEDCAP_CAPTURE" --check-host --lcores 0,1 >"$tmp/check" || fail "--check-host exit status"
for p in isolcpus nohz_full rcu_nocbs; do
	grep -q "^$p  *ok " "$tmp/check" || fail "--check-host on a host isolating CPU 1: $(cat "$tmp/check")"
done
fake_host "BOOT_IMAGE=/vmlinuz" "" "$FEEDCAP_CAPTURE" --check-host >"$tmp/check" ||
	fail "--check-host exit status"
grep -q "^isolcpus  *WARN " "$tmp/check" || fail "--check-host table: $(cat "$tmp/check")"
rc=0
fake_host "BOOT_IMAGE=/vmlinuz" "" "$FEEDCAP_CAPTURE" --check-host --strict >/dev/null || rc=$?
expect_eq "$rc" 1 "--check-host --strict on a host without isolated CPUs"
rc=0
fake_host "BOOT_IMAGE=/vmlinuz" "" "$FEEDCAP_CAPTURE" --strict --ring "$ring" --vdev net_null0 \
	-- $(cap_eal d) >"$tmp/d.log" 2>&1 || rc=$?
expect_eq "$rc" 1 "--strict start on a host without isolated CPUs"
grep -q "refusing to start" "$tmp/d.log" || fail "--strict message: $(cat "$tmp/d.log")"
# systemd: READY=1 once the ports are up, WATCHDOG=1 while the poller runs, STOPPING=1 (a
# datagram socket standing in for systemd's NOTIFY_SOCKET).
python3 - "$tmp/notify.sock" "$tmp/notify.txt" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.5)
end = time.time() + 30
with open(sys.argv[2], "w") as out:
    while time.time() < end:
        try:
            out.write(s.recv(4096).decode() + "\n")
            out.flush()
        except socket.timeout:
            pass
PY
notifier=$!
at_exit kill "$notifier"
for ((i = 0; i < 50; i++)); do [[ -S $tmp/notify.sock ]] && break; sleep 0.1; done
cap_ring nring notify
NOTIFY_SOCKET=$tmp/notify.sock WATCHDOG_USEC=1000000 "$FEEDCAP_CAPTURE" --ring "$nring" \
	--ring-size 16M --vdev net_null0 --duration 3 -- $(cap_eal w) >"$tmp/w.log" 2>&1 ||
	fail "capture under NOTIFY_SOCKET: $(cat "$tmp/w.log")"
sleep 0.5
grep -q "^READY=1" "$tmp/notify.txt" || fail "no READY=1: $(cat "$tmp/notify.txt")"
wd=$(grep -c "^WATCHDOG=1" "$tmp/notify.txt" || true)
((wd >= 3)) || fail "$wd WATCHDOG=1 in 3 s with WatchdogSec=1s: $(cat "$tmp/notify.txt")"
grep -q "^STOPPING=1" "$tmp/notify.txt" || fail "no STOPPING=1"
echo "ok: sd_notify READY=1, $wd x WATCHDOG=1, STOPPING=1"

# The config file: --check-config, a run from it, command-line overrides, and a bad file.
cap_ring cring conf
cat >"$tmp/feedcap.conf" <<CONF
[ring t]
path = $cring
backing = file
size = 16M
chunk_size = 1M

[port a]
device = net_null0,size=128

[capture]
ring = t
control_core = 0
poller_core = 1
groups = 239.1.1.1:30001, 10.0.0.5@232.1.1.1
igmp_version = 3
ptp_socket =
CONF
"$FEEDCAP_CAPTURE" --check-config -c "$tmp/feedcap.conf" >"$tmp/cc.out" ||
	fail "--check-config of a good file: $(cat "$tmp/cc.out")"
grep -q "OK" "$tmp/cc.out" || fail "--check-config output: $(cat "$tmp/cc.out")"
"$FEEDCAP_CAPTURE" -c "$tmp/feedcap.conf" --count 5000 -- $(cap_eal e) >"$tmp/e.log" 2>&1 ||
	fail "run from the config file: $(cat "$tmp/e.log")"
expect_eq "$(cap_counter "$cring" frames)" 5000 "frames of a run from the config file"
expect_eq "$(cap_counter "$cring" port0_name)" net_null0 "port from the config file"
"$FEEDCAP_CAPTURE" -c "$tmp/feedcap.conf" --count 100 --vdev net_null7 -- $(cap_eal f) >"$tmp/f.log" 2>&1 ||
	fail "run with --vdev overriding the file: $(cat "$tmp/f.log")"
expect_eq "$(cap_counter "$cring" port0_name)" net_null7 "--vdev overrides the file's ports"
printf '[capture]\nbogus_key = 1\n' >"$tmp/bad.conf"
rc=0
"$FEEDCAP_CAPTURE" --check-config -c "$tmp/bad.conf" >/dev/null 2>"$tmp/bad.err" || rc=$?
expect_eq "$rc" 2 "--check-config of a bad file"
grep -q "bad.conf:2" "$tmp/bad.err" || fail "bad config message lacks file:line: $(cat "$tmp/bad.err")"
rc=0
"$FEEDCAP_CAPTURE" -c "$tmp/missing.conf" >/dev/null 2>"$tmp/miss.err" || rc=$?
expect_eq "$rc" 2 "-c of a missing file"
pass "usage errors, second producer refused, telemetry, SIGTERM, restart epoch, host checks, config file"
