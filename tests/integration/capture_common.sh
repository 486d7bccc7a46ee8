# shellcheck shell=bash
# capture_common.sh - what the capture integration scripts share (sourced after common.sh).
#
# DPDK runs here always use --no-pci --in-memory, a small -m and a file prefix of their own, so
# the tests never collide with other DPDK processes on the machine.  Rings live on the
# hugetlbfs mount under a name carrying this shell's PID, removed at exit.

need_env FEEDCAP_CAPTURE FEEDCAP_BUILD
need_root
need_env CAPTURE_TESTTOOL
CAPTOOL=$CAPTURE_TESTTOOL
[[ -x $CAPTOOL ]] || skip "$CAPTOOL is not built (target capture-testtool)"
# The test's rings (kept until it exits, each with a page for its reader registry) and DPDK's
# -m 256 (128 pages): 256 pages, or CAP_HUGEPAGES (set before sourcing this) for a test whose
# rings add up to more; raised if root and needed (restored at exit), else skip saying how
# many are missing.
HUGEPAGES_MOUNT=${FEEDCAP_TEST_HUGEDIR:-/dev/hugepages}
source "$FEEDCAP_TESTLIB/hugepages.sh"
hugepages_need "${CAP_HUGEPAGES:-256}"
HUGEDIR=$HUGEPAGES_MOUNT

_cap_rings=()
_cap_pids=()
_cap_cleanup() {
	local p r
	for p in "${_cap_pids[@]}"; do
		if kill -0 "$p" 2>/dev/null; then
			kill -TERM "$p" 2>/dev/null
			sleep 1
			kill -KILL "$p" 2>/dev/null || true
		fi
	done
	for r in "${_cap_rings[@]}"; do
		rm -f "$r" "$r".*
	done
}
at_exit _cap_cleanup

# cap_ring VAR TAG: a ring path for this test, removed at exit.
cap_ring() {
	local r="$HUGEDIR/cap$$-$2"
	rm -f "$r" "$r".*
	_cap_rings+=("$r")
	printf -v "$1" '%s' "$r"
}

# cap_eal TAG: the EAL arguments of one run.
cap_eal() {
	echo "--no-pci --in-memory -m 256 --file-prefix cap$$$1"
}

# cap_start VAR LOG ARGS...: feedcap-capture in the background; its PID in VAR.  Waits until it
# says it is capturing (or dies).  CAP_PREFIX: a command that execs it (e.g. setpriv ... --).
CAP_PREFIX=()
cap_start() {
	local var=$1 log=$2 pid i
	shift 2
	"${CAP_PREFIX[@]}" "$FEEDCAP_CAPTURE" "$@" >"$log" 2>&1 &
	pid=$!
	_cap_pids+=("$pid")
	for ((i = 0; i < 200; i++)); do
		grep -q "capturing" "$log" && break
		kill -0 "$pid" 2>/dev/null || {
			cat "$log" >&2
			fail "feedcap-capture $* died at start"
		}
		sleep 0.1
	done
	grep -q "capturing" "$log" || {
		cat "$log" >&2
		fail "feedcap-capture did not start within 20 s"
	}
	printf -v "$var" '%s' "$pid"
}

# cap_stop PID: SIGTERM, and the exit status must be 0.
cap_stop() {
	local rc=0
	kill -TERM "$1"
	wait "$1" || rc=$?
	expect_eq "$rc" 0 "feedcap-capture exit status after SIGTERM"
}

# cap_counter RING KEY: one value from the ring header (capture-testtool counters).
cap_counter() {
	"$CAPTOOL" counters "$1" | sed -n "s/^$2=//p"
}

# cap_wait_accounted RING IFACE RX0 [NS]: wait (30 s at most) until every frame the kernel
# has delivered on IFACE (in namespace NS) since its rx_packets read RX0 is in RING or
# reported dropped (frames + nic_imissed, which the control thread publishes): the capture
# has drained its port, and stopping it now loses nothing.  Returns 1 on timeout, and the
# caller's exact assertion then says by how much.  (netns.sh: netns_ifstat.)
cap_wait_accounted() {
	local i c
	for ((i = 0; i < 300; i++)); do
		c=$("$CAPTOOL" counters "$1")
		(($(sed -n 's/^frames=//p' <<<"$c") + $(sed -n 's/^nic_imissed=//p' <<<"$c") >=
			$(netns_ifstat "${4:-}" "$2" rx_packets) - $3)) && return 0
		sleep 0.1
	done
	return 1
}
