#!/bin/bash
# capture_load: capture_live's accounting under heavy CPU load (bench-live once saw the ring
# hold more frames than the veth delivered on a loaded machine).  Busy loops (8 by default,
# started and stopped here by PID) saturate both cores while a bounded multicast burst with
# per-frame sequence numbers crosses a veth pair into feedcap-capture (net_af_packet).  The
# ring must never hold more than the kernel delivered (no phantom or duplicated frames):
# captured + imissed == delivered exactly, no sequence number twice, nothing transmitted.
source "$FEEDCAP_TESTLIB/common.sh"
source "$FEEDCAP_TESTLIB/netns.sh"
source "$(dirname "${BASH_SOURCE[0]}")/capture_common.sh"
need_tools ip taskset

N=${CAPTURE_LOAD_FRAMES:-50000}
HOGS=${CAPTURE_LOAD_HOGS:-8}
make_tmpdir tmp capld
netns_new far dup
netns_veth near far_if "" "$far" dup
sysctl -qw "net.ipv6.conf.$near.disable_ipv6=1"
netns_exec "$far" sysctl -qw "net.ipv6.conf.$far_if.disable_ipv6=1"
netns_addr "$far" "$far_if" 10.99.1.2/24
netns_mcast_route "$far" "$far_if"
sleep 0.5

hogs=()
stop_hogs() {
	local p
	for p in "${hogs[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	hogs=()
}
at_exit stop_hogs

for run in 1 2; do
	cap_ring ring "load$run"
	cap_start cap "$tmp/cap$run.log" --ring "$ring" --ring-size 128M \
		--vdev "net_af_packet0,iface=$near,framecnt=8192" --no-igmp -- $(cap_eal "ld$run")
	for ((i = 0; i < HOGS; i++)); do
		# taskset execs bash: the PID is the loop's; it also ends by itself after 150 s.
		taskset -c 0,1 bash -c 'while ((SECONDS < 150)); do :; done' &
		hogs+=($!)
	done
	rx0=$(netns_ifstat "" "$near" rx_packets)
	tx0=$(netns_ifstat "" "$near" tx_packets)
	netns_exec "$far" timeout 120 "$CAPTOOL" send 239.7.7.8 31338 "$N" 64 >"$tmp/send$run.txt"
	stop_hogs
	sleep 1
	rx1=$(netns_ifstat "" "$near" rx_packets)
	tx1=$(netns_ifstat "" "$near" tx_packets)
	cap_stop "$cap"
	delivered=$((rx1 - rx0))
	"$CAPTOOL" seqcheck "$ring" 31338 >"$tmp/seq$run.txt"
	frames=$(sed -n 's/^frames=//p' "$tmp/seq$run.txt")
	others=$(sed -n 's/^others=//p' "$tmp/seq$run.txt")
	dups=$(sed -n 's/^dups=//p' "$tmp/seq$run.txt")
	imissed=$(cap_counter "$ring" nic_imissed)
	ring_frames=$(cap_counter "$ring" frames)
	log "run $run under $HOGS busy loops: sent $N, kernel delivered $delivered (near end sent $((tx1 - tx0))), ring $ring_frames ($frames of the burst, $others other), imissed $imissed, dups $dups"
	((delivered >= N / 2)) || fail "the kernel delivered only $delivered of $N frames: traffic did not flow"
	((ring_frames <= delivered)) || fail "run $run: the ring holds $ring_frames frames, more than the $delivered the kernel delivered"
	expect_eq "$((frames + others))" "$ring_frames" "run $run: frames read back from the ring"
	expect_eq "$((ring_frames + imissed))" "$delivered" "run $run: captured + reported drops = delivered"
	expect_eq "$dups" 0 "run $run: duplicated or reordered frames"
	expect_eq "$((tx1 - tx0))" 0 "run $run: frames the near end transmitted (--no-igmp)"
done
pass "under load: twice, ring + imissed = delivered, no duplicates"
