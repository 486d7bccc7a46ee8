# shellcheck shell=bash
# netns.sh - network namespaces and veth pairs for tests, torn down however the test ends.
#
#   source "$FEEDCAP_TESTLIB/common.sh"
#   source "$FEEDCAP_TESTLIB/netns.sh"
#   netns_new far cap                  # namespace "cap<pid>n1" in $far
#   netns_veth near_if far_if "" "$far" cap   # a veth pair: one end here, one end in $far
#   netns_addr "$far" "$far_if" 10.99.0.2/24
#   netns_exec "$far" ip -s link show "$far_if"
#   netns_spawn sender_pid "$far" python3 send.py   # background, killed at teardown
#
# Names carry the caller's tag (the module prefix), this shell's PID and a counter, so tests
# running at the same time never collide, and whoever finds a leftover knows whose it is.
# Linux limits interface names to 15 characters: the tag is cut to 4.
#
# Teardown (registered with at_exit on first use, also callable directly): kill what
# netns_spawn started (by PID, TERM then KILL), kill any other process still inside the
# namespaces this shell created, delete those namespaces (which destroys the veth ends in
# them, and so their peers) and delete the veth pairs created in this namespace.

_netns_list=()
_netns_links=()
_netns_pids=()
_netns_seq=0
_netns_armed=0

_netns_arm() {
	if ((_netns_armed == 0)); then
		_netns_armed=1
		at_exit netns_teardown
	fi
}

_netns_tag() {
	local tag=${1:-fc}
	tag=${tag//[^a-zA-Z0-9]/}
	printf '%s' "${tag:0:4}"
}

# netns_require: skip (77) unless this process may create network namespaces (root without
# CAP_SYS_ADMIN, or a container that forbids it).  netns_new and netns_veth call it.
_netns_checked=0
netns_require() {
	local probe err
	((_netns_checked == 0)) || return 0
	command -v ip >/dev/null 2>&1 || skip "ip (iproute2) is not installed (run scripts/install-deps)"
	probe="fcprobe$$"
	if ! err=$(ip netns add "$probe" 2>&1); then
		skip "cannot create a network namespace here: $err"
	fi
	ip netns del "$probe"
	_netns_checked=1
}

# netns_new VAR [TAG]: create a namespace, bring its loopback up, store its name in VAR.
netns_new() {
	local name
	netns_require
	_netns_arm
	_netns_seq=$((_netns_seq + 1))
	name="$(_netns_tag "${2:-}")$$n$_netns_seq"
	ip netns add "$name"
	_netns_list+=("$name")
	ip -n "$name" link set lo up
	printf -v "$1" '%s' "$name"
}

# netns_exec NS CMD...: run CMD in NS ("" = the namespace this shell is in).
netns_exec() {
	local ns=$1
	shift
	if [[ -z $ns ]]; then
		"$@"
	else
		ip netns exec "$ns" "$@"
	fi
}

# netns_veth VAR_A VAR_B NS_A NS_B [TAG]: create a veth pair with end A in NS_A and end B in
# NS_B ("" = this namespace), both up; the names go to VAR_A and VAR_B.
netns_veth() {
	local a b tag
	netns_require
	_netns_arm
	tag=$(_netns_tag "${5:-}")
	_netns_seq=$((_netns_seq + 1))
	a="$tag$$v${_netns_seq}a"
	b="$tag$$v${_netns_seq}b"
	if ((${#a} > 15)); then
		echo "netns_veth: interface name $a is longer than 15 characters" >&2
		return 1
	fi
	ip link add "$a" type veth peer name "$b"
	_netns_links+=("$a")
	[[ -z $3 ]] || ip link set "$a" netns "$3"
	[[ -z $4 ]] || ip link set "$b" netns "$4"
	netns_exec "$3" ip link set "$a" up
	netns_exec "$4" ip link set "$b" up
	printf -v "$1" '%s' "$a"
	printf -v "$2" '%s' "$b"
}

# netns_addr NS IFACE CIDR: add an address (IPv4 or IPv6) to IFACE in NS.
netns_addr() {
	netns_exec "$1" ip addr add "$3" dev "$2"
}

# netns_mcast_route NS IFACE: route multicast (224.0.0.0/4) out of IFACE in NS, so a sender
# there needs no IP_MULTICAST_IF.
netns_mcast_route() {
	netns_exec "$1" ip route add 224.0.0.0/4 dev "$2"
}

# netns_spawn VAR NS CMD...: start CMD in the background in NS; its PID goes to VAR and it is
# killed at teardown if still running.
netns_spawn() {
	local var=$1 ns=$2 pid
	shift 2
	_netns_arm
	netns_exec "$ns" "$@" &
	pid=$!
	_netns_pids+=("$pid")
	printf -v "$var" '%s' "$pid"
}

# netns_ifstat NS IFACE COUNTER: a kernel interface counter (rx_packets, tx_bytes, ...).
netns_ifstat() {
	netns_exec "$1" cat "/sys/class/net/$2/statistics/$3"
}

_netns_kill() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 20; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

netns_teardown() {
	local pid ns link
	for pid in "${_netns_pids[@]}"; do
		_netns_kill "$pid"
		wait "$pid" 2>/dev/null || true
	done
	_netns_pids=()
	for ns in "${_netns_list[@]}"; do
		# Anything still inside was started there by this test (ip netns exec children).
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			_netns_kill "$pid"
		done
		ip netns del "$ns" 2>/dev/null || true
	done
	_netns_list=()
	for link in "${_netns_links[@]}"; do
		if ip link show "$link" >/dev/null 2>&1; then
			ip link del "$link" 2>/dev/null || true
		fi
	done
	_netns_links=()
}
