#!/bin/bash
# capture_live: a veth pair, the far end in a network namespace of its own, a bounded burst
# of multicast UDP sent there; feedcap-capture with net_af_packet on the near end.  Every frame
# the kernel delivered to the near end (its rx_packets counter) is either in the ring or
# reported as a drop (imissed): captured + imissed == delivered, exactly.  The frames in the
# ring carry the sender's sequence numbers: no duplicates, in order, and what is missing from
# the sequence is what was reported.  Timestamps come from the TSC model and never go back.
source "$FEEDCAP_TESTLIB/common.sh"
source "$FEEDCAP_TESTLIB/netns.sh"
CAP_HUGEPAGES=384 # rings of 128 + 64 + 4 x 64 MiB, and DPDK's 256 MiB
source "$(dirname "${BASH_SOURCE[0]}")/capture_common.sh"
need_tools ip

N=${CAPTURE_LIVE_FRAMES:-500000}
make_tmpdir tmp caplv
netns_new far cap
netns_veth near far_if "" "$far" cap
# No IPv6 on either end: no router solicitations or MLD reports mixed into the count.
sysctl -qw "net.ipv6.conf.$near.disable_ipv6=1"
netns_exec "$far" sysctl -qw "net.ipv6.conf.$far_if.disable_ipv6=1"
netns_addr "$far" "$far_if" 10.99.0.2/24
netns_mcast_route "$far" "$far_if"
sleep 0.5

cap_ring ring live
cap_start cap "$tmp/cap.log" --ring "$ring" --ring-size 128M \
	--vdev "net_af_packet0,iface=$near,framecnt=8192" -- $(cap_eal l)
rx0=$(netns_ifstat "" "$near" rx_packets)
start=$(date +%s%N)
netns_exec "$far" timeout 120 "$CAPTOOL" send 239.7.7.7 31337 "$N" 64 | tee "$tmp/send.txt"
cap_wait_accounted "$ring" "$near" "$rx0" || log "the capture has not accounted for every frame in 30 s"
rx1=$(netns_ifstat "" "$near" rx_packets)
cap_stop "$cap"
cat "$tmp/cap.log"
end=$(date +%s%N)

delivered=$((rx1 - rx0))
"$CAPTOOL" seqcheck "$ring" 31337 | tee "$tmp/seq.txt"
frames=$(sed -n 's/^frames=//p' "$tmp/seq.txt")
others=$(sed -n 's/^others=//p' "$tmp/seq.txt")
imissed=$(cap_counter "$ring" nic_imissed)
ring_frames=$(cap_counter "$ring" frames)
log "sent $N, kernel delivered $delivered, ring $ring_frames ($frames of the burst, $others other), imissed $imissed"
expect_eq "$((frames + others))" "$ring_frames" "frames read back from the ring"
expect_eq "$((ring_frames + imissed))" "$delivered" "captured + reported drops = delivered by the kernel"
expect_eq "$(sed -n 's/^dups=//p' "$tmp/seq.txt")" 0 "duplicated or reordered frames"
expect_eq "$(sed -n 's/^ts_unsorted=//p' "$tmp/seq.txt")" 0 "timestamps going backwards"
# Timestamps are UTC from the TSC model: inside the run's wall-clock window.
"$CAPTOOL" topcap "$ring" "$tmp/live.pcap" >/dev/null
first=$(tshark -r "$tmp/live.pcap" -c 1 -T fields -e frame.time_epoch | tr -d .)
((10#${first:0:16} * 1000 >= start - 1000000000 && 10#${first:0:16} * 1000 <= end)) ||
	fail "first timestamp $first outside the run [$start, $end]"
((delivered >= N / 2)) || fail "the kernel delivered only $delivered of $N frames: test traffic did not flow"
first_run="$N sent, $delivered delivered, $ring_frames captured, $imissed reported dropped"

# 2. Drops must be reported, not just absent: a capture with a 64-frame socket ring is
# stopped (SIGSTOP) while 20000 frames arrive, so the kernel drops most of them.
M=20000
cap_ring ring2 live2
cap_start cap2 "$tmp/cap2.log" --ring "$ring2" --ring-size 64M \
	--vdev "net_af_packet0,iface=$near,framecnt=64" -- $(cap_eal m)
rx0=$(netns_ifstat "" "$near" rx_packets)
kill -STOP "$cap2"
netns_exec "$far" timeout 60 "$CAPTOOL" send 239.7.7.7 31337 "$M" 64 >/dev/null
kill -CONT "$cap2"
cap_wait_accounted "$ring2" "$near" "$rx0" || log "the capture has not accounted for every frame in 30 s"
rx1=$(netns_ifstat "" "$near" rx_packets)
cap_stop "$cap2"
delivered=$((rx1 - rx0))
ring_frames=$(cap_counter "$ring2" frames)
imissed=$(cap_counter "$ring2" nic_imissed)
log "stopped capture: kernel delivered $delivered, ring $ring_frames, imissed $imissed"
((imissed > 0)) || fail "no drop reported although the capture was stopped for $M frames"
expect_eq "$((ring_frames + imissed))" "$delivered" "captured + reported drops = delivered (with drops)"
# The loss is also in-band: LOSS records in the ring add up to what the header says.
"$CAPTOOL" markers "$ring2" | tee "$tmp/markers.txt"
expect_eq "$(sed -n 's/^loss_imissed=//p' "$tmp/markers.txt")" "$imissed" "imissed reported by LOSS records"
"$CAPTOOL" seqcheck "$ring2" 31337 >"$tmp/seq2.txt"
expect_eq "$(sed -n 's/^dups=//p' "$tmp/seq2.txt")" 0 "duplicated frames (with drops)"
pass "live: $first_run; stopped: $ring_frames captured + $imissed reported = $delivered delivered"

# 3. net_af_xdp on the same veth: every frame the kernel delivered is in the ring or reported
# dropped (the PMD's imissed misses a full XSK ring; the capture adds the interface's
# rx_dropped), first flowing freely, then with the capture stopped while frames arrive.
xdp_prog() { ip -d link show dev "$near" | grep -o 'prog/xdp id [0-9]*\|xdp[a-z]* id [0-9]*' | head -n 1 || true; }
[[ -z $(xdp_prog) ]] || fail "an XDP program is on $near before the af_xdp runs: $(xdp_prog)"
xdp_gone() { # within 5 s
	local i
	for ((i = 0; i < 50; i++)); do
		[[ -z $(xdp_prog) ]] && return 0
		sleep 0.1
	done
	return 1
}
xdp_run() { # TAG FRAMES STOP(0|1)
	local ring cap rx0 rx1 dr0 dr1
	cap_ring ring "xdp$1"
	cap_start cap "$tmp/xdp$1.log" --ring "$ring" --ring-size 64M --no-igmp \
		--vdev "net_af_xdp0,iface=$near,start_queue=0,queue_count=1" -- $(cap_eal "x$1")
	[[ -n $(xdp_prog) ]] || fail "af_xdp capture running but no XDP program on $near"
	rx0=$(netns_ifstat "" "$near" rx_packets)
	dr0=$(netns_ifstat "" "$near" rx_dropped)
	(($3)) && kill -STOP "$cap"
	netns_exec "$far" timeout 60 "$CAPTOOL" send 239.7.7.7 31337 "$2" 64 >/dev/null
	(($3)) && kill -CONT "$cap"
	cap_wait_accounted "$ring" "$near" "$rx0" || log "af_xdp $1: not every frame accounted for in 30 s"
	rx1=$(netns_ifstat "" "$near" rx_packets)
	dr1=$(netns_ifstat "" "$near" rx_dropped)
	cap_stop "$cap"
	xdp_delivered=$((rx1 - rx0))
	xdp_kdrop=$((dr1 - dr0))
	xdp_frames=$(cap_counter "$ring" frames)
	xdp_imissed=$(cap_counter "$ring" nic_imissed)
	log "af_xdp $1: kernel rx_packets $xdp_delivered (rx_dropped $xdp_kdrop), ring $xdp_frames, imissed $xdp_imissed"
	expect_eq "$((xdp_frames + xdp_imissed))" "$xdp_delivered" "af_xdp $1: captured + reported drops = delivered"
	"$CAPTOOL" seqcheck "$ring" 31337 >"$tmp/seqx$1.txt"
	expect_eq "$(sed -n 's/^dups=//p' "$tmp/seqx$1.txt")" 0 "af_xdp $1: duplicated frames"
	expect_eq "$(sed -n 's/^frames=//p' "$tmp/seqx$1.txt")" "$xdp_frames" "af_xdp $1: burst frames in the ring"
	# SIGTERM: the capture's own close cannot detach (no capability left); the guard does.
	xdp_gone || fail "af_xdp $1: XDP program left on $near after the capture exited: $(xdp_prog)"
}
xdp_run free 200000 0
((xdp_delivered >= 100000)) || fail "af_xdp: the kernel delivered only $xdp_delivered of 200000"
xdp_free="$xdp_frames captured + $xdp_imissed dropped = $xdp_delivered"
xdp_run stopped 20000 1
((xdp_imissed > 0)) || fail "af_xdp: no drop reported although the capture was stopped for 20000 frames"
xdp_stopped="$xdp_frames captured + $xdp_imissed dropped = $xdp_delivered"

# 4. A killed af_xdp capture: the guard still takes the program off, and the next af_xdp
# capture starts on the interface.
cap_ring ring4 xdpkill
cap_start cap4 "$tmp/xdpkill.log" --ring "$ring4" --ring-size 64M --no-igmp \
	--vdev "net_af_xdp0,iface=$near,start_queue=0,queue_count=1" -- $(cap_eal k)
prog=$(xdp_prog)
[[ -n $prog ]] || fail "af_xdp capture running but no XDP program on $near"
kill -KILL "$cap4"
wait "$cap4" 2>/dev/null || true
xdp_gone || fail "XDP program ($prog) left on $near after SIGKILL of the capture"
xdp_run again 1000 0
pass "af_xdp: free flow $xdp_free; stopped $xdp_stopped; XDP program detached after SIGTERM and SIGKILL"
