#!/bin/bash
# tests/lib/netns.sh works: a veth pair between two namespaces carries multicast (tcpdump in
# the far namespace and the kernel's counters agree with what was sent), and everything the
# helpers created is gone afterwards, whether the script passes, fails or is killed.
source "$FEEDCAP_TESTLIB/common.sh"
source "$FEEDCAP_TESTLIB/netns.sh"
need_root
need_tools ip tcpdump python3 timeout

make_tmpdir tmp netns

# 1. Traffic: near namespace -> veth -> far namespace.
netns_new near fnd
netns_new far fnd
netns_veth near_if far_if "$near" "$far" fnd
netns_addr "$near" "$near_if" 10.199.0.1/24
netns_addr "$far" "$far_if" 10.199.0.2/24
netns_mcast_route "$near" "$near_if"
log "namespaces $near $far, veth $near_if <-> $far_if"

netns_spawn dump_pid "$far" timeout 20 tcpdump -n -i "$far_if" -c 50 -w "$tmp/far.pcap" \
	'udp and dst host 239.1.1.1 and dst port 30001' 2>"$tmp/tcpdump.err"
wait_until 10 grep -q 'listening on' "$tmp/tcpdump.err" ||
	fail "tcpdump did not start: $(cat "$tmp/tcpdump.err")"
rx_before=$(netns_ifstat "$far" "$far_if" rx_packets)
netns_exec "$near" python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
for i in range(50):
    s.sendto(b"feedcap %04d" % i, ("239.1.1.1", 30001))
PY
wait "$dump_pid" || fail "tcpdump in $far did not see 50 frames: $(cat "$tmp/tcpdump.err")"
got=$(tcpdump -n -r "$tmp/far.pcap" 2>/dev/null | wc -l)
expect_eq "$got" 50 "frames tcpdump captured in the far namespace"
rx_after=$(netns_ifstat "$far" "$far_if" rx_packets)
((rx_after - rx_before >= 50)) || fail "rx_packets on $far_if grew by $((rx_after - rx_before)), expected >= 50"
netns_exec "$near" ip link show "$near_if" >/dev/null || fail "netns_exec did not run in $near"
ip link show "$near_if" >/dev/null 2>&1 && fail "$near_if is visible outside its namespace"
pass "veth pair between two namespaces carries multicast"

netns_teardown
ip netns list | grep -qw "$near" && fail "netns_teardown left $near"
ip netns list | grep -qw "$far" && fail "netns_teardown left $far"
pass "explicit teardown"

# 2. A child that fails, one that is killed, one that leaves a process in its namespace: after
# each, nothing it created remains.
child() { # MODE: fail | term | proc
	bash -c '
		source "$FEEDCAP_TESTLIB/common.sh"
		source "$FEEDCAP_TESTLIB/netns.sh"
		netns_new ns fnd
		netns_veth here there "" "$ns" fnd
		netns_spawn p "$ns" sleep 300
		ip netns exec "$ns" sleep 301 &
		echo "$ns $here $there $p $!" >"$2"
		case $1 in
		fail) false ;;
		term) kill -TERM $$; sleep 30 ;;
		proc) exit 0 ;;
		esac
		echo unreachable' child "$1" "$tmp/names.$1"
}
for mode in fail term proc; do
	set +e
	child "$mode" 2>"$tmp/child.$mode.err"
	rc=$?
	set -e
	case $mode in
	fail) expect_eq "$rc" 1 "exit code of a failing child" ;;
	term) expect_eq "$rc" 143 "exit code of a child killed by SIGTERM" ;;
	proc) expect_eq "$rc" 0 "exit code of a passing child" ;;
	esac
	read -r ns here there p1 p2 <"$tmp/names.$mode"
	[[ -n $ns && -n $here && -n $p2 ]] || fail "$mode child did not record its names"
	ip netns list | grep -qw "$ns" && fail "$mode: namespace $ns left behind"
	ip link show "$here" >/dev/null 2>&1 && fail "$mode: veth $here left behind"
	kill -0 "$p1" 2>/dev/null && fail "$mode: spawned process $p1 still running"
	kill -0 "$p2" 2>/dev/null && fail "$mode: process $p2 left in the namespace still running"
	pass "teardown after a child that ends with '$mode' ($ns, $here)"
done

# 3. Names are unique per shell and cut to the interface-name limit.
a=$(bash -c 'source "$FEEDCAP_TESTLIB/common.sh"; source "$FEEDCAP_TESTLIB/netns.sh"
	netns_veth x y "" "" verylongtag; echo "$x"')
b=$(bash -c 'source "$FEEDCAP_TESTLIB/common.sh"; source "$FEEDCAP_TESTLIB/netns.sh"
	netns_veth x y "" "" verylongtag; echo "$x"')
[[ $a != "$b" ]] || fail "two shells got the same veth name $a"
((${#a} <= 15)) || fail "veth name $a is longer than 15 characters"
ip link show "$a" >/dev/null 2>&1 && fail "$a left behind"
pass "unique names ($a, $b)"
