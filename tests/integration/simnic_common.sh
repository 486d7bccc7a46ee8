# shellcheck shell=bash
# simnic_common.sh - what the scripts driving the simulated NIC share (tests/simnic/README.md;
# sourced after common.sh).
#
# FEEDCAP_SIMNIC_PMD: the driver for feedcap's own binaries (the sanitized build of it in a
# sanitizer build); FEEDCAP_SIMNIC_PMD_PLAIN: the uninstrumented one, for dpdk-testpmd.  Empty
# when the DPDK driver headers were missing at configure time.

need_root
if [[ -z ${FEEDCAP_SIMNIC_PMD:-} || -z ${FEEDCAP_SIMNIC_PMD_PLAIN:-} ]]; then
	skip "the simulated NIC (tests/simnic) is not built: no DPDK driver headers; run" \
		"scripts/dpdk-driver-sdk (scripts/install-deps does), then re-run cmake"
fi
[[ -r $FEEDCAP_SIMNIC_PMD && -r $FEEDCAP_SIMNIC_PMD_PLAIN ]] ||
	skip "$FEEDCAP_SIMNIC_PMD is not built (targets rte_net_fcsim, rte_net_fcsim_san)"
# The EAL loads no plugin (-d) from under a world-writable directory, sticky or not (DPDK's
# verify_perms in eal_common_options.c), and a clone may well live under /tmp: the tests load
# copies of the drivers from a private directory under /run (root's, 0755), removed at exit.
_simnic_world_writable() { # FILE: is FILE or a directory above it writable by others?
	local d
	d=$(realpath "$1")
	while [[ $d != / ]]; do
		[[ $(stat -c %A "$d") == ????????w? ]] && return 0
		d=$(dirname "$d")
	done
	return 1
}
if _simnic_world_writable "$FEEDCAP_SIMNIC_PMD" || _simnic_world_writable "$FEEDCAP_SIMNIC_PMD_PLAIN"; then
	_simnic_copy=$(mktemp -d /run/feedcap-simnic.XXXXXX)
	at_exit rm -rf "$_simnic_copy"
	chmod 0755 "$_simnic_copy"
	install -m 0755 "$FEEDCAP_SIMNIC_PMD" "$_simnic_copy/$(basename "$FEEDCAP_SIMNIC_PMD")"
	install -m 0755 "$FEEDCAP_SIMNIC_PMD_PLAIN" "$_simnic_copy/$(basename "$FEEDCAP_SIMNIC_PMD_PLAIN")"
	FEEDCAP_SIMNIC_PMD=$_simnic_copy/$(basename "$FEEDCAP_SIMNIC_PMD")
	FEEDCAP_SIMNIC_PMD_PLAIN=$_simnic_copy/$(basename "$FEEDCAP_SIMNIC_PMD_PLAIN")
	_simnic_world_writable "$FEEDCAP_SIMNIC_PMD" && skip "even $_simnic_copy is under a world-writable directory"
fi
source "$FEEDCAP_TESTLIB/hugepages.sh"
hugepages_need 256

# simnic_testpmd LOG VDEV_ARGS TESTPMD_ARGS... < COMMANDS: dpdk-testpmd in interactive mode
# on net_fcsim0,VDEV_ARGS, fed the commands on stdin (a line `sleep N` pauses instead), then
# quit; its output in LOG.  Fails if testpmd does not say Bye.  --no-flush-rx: testpmd would
# otherwise drain (and not count) the RX queues before forwarding starts.
simnic_testpmd() {
	local log=$1 vdev=$2 rc=0
	shift 2
	{
		while IFS= read -r line; do
			if [[ $line == "sleep "* ]]; then
				sleep "${line#sleep }"
			else
				printf '%s\n' "$line"
			fi
		done
		echo quit
	} | timeout 120 dpdk-testpmd -d "$FEEDCAP_SIMNIC_PMD_PLAIN" --no-pci --in-memory -m 256 \
		--file-prefix "simnic$$$RANDOM" -l 0,1 --log-level=pmd.net.fcsim,info \
		--vdev "net_fcsim0${vdev:+,$vdev}" -- -i --no-flush-rx "$@" >"$log" 2>&1 || rc=$?
	if ((rc != 0)) || ! grep -q '^Bye' "$log"; then
		cat "$log" >&2
		fail "dpdk-testpmd on net_fcsim0,$vdev: exit status $rc"
	fi
}
