#!/bin/bash
# simnic_testpmd: the simulated NIC (tests/simnic) under dpdk-testpmd, DPDK's own test
# application: its flow engine accepts and refuses rules as its README says, steers and drops
# exactly the frames tshark says the rules match (per queue, per rule COUNT, xstats), its
# limits (flow_max, flow_count=0, flow=0) fail as a real NIC's would, the multicast address
# filter keeps what tshark says it should, and TX writes the frames it sends to tx_pcap byte for
# byte (tcpdump the oracle).
source "$FEEDCAP_TESTLIB/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/simnic_common.sh"
need_tools dpdk-testpmd tshark tcpdump capinfos

make_tmpdir tmp simnic
md=$FEEDCAP_TESTDATA/marketdata.pcap
n_md=$(capinfos -c -M -T "$md" | awk -F'\t' 'NR==2 {print $2}')

# count PCAP FILTER: frames tshark's display filter matches (no reassembly: the NIC sees frames).
count() {
	tshark -r "$1" -o ip.defragment:FALSE -Y "$2" -T fields -e frame.number | wc -l
}
# xstat LOG NAME: a value of testpmd's `show port xstats 0`.
xstat() {
	local v
	v=$(sed -n "s/^$2: *\([0-9]*\)$/\1/p" "$1" | tail -1)
	[[ -n $v ]] || fail "no xstat $2 in $1"
	echo "$v"
}
# hits LOG: the hits of every `flow query ... count`, in order, one a line.
hits() { sed -n 's/^ *hits: *\([0-9]*\)$/\1/p' "$1"; }
# refused LOG PATTERN: testpmd reported a PMD error containing PATTERN.
refused() {
	grep -F "Caught PMD error" "$1" | grep -qF "$2" || fail "no PMD error saying \"$2\" in $1"
	echo "ok: refused: $2"
}

# 1. Rules on 4 queues, the bundled capture twice (loop=2).  The drop of 239.1.2.0/24 (priority
# 1) is created before the rule for 239.1.2.2 (priority 0), which must still win; RSS over
# queues 2 and 3 for UDP port 30003; a catch-all to queue 0 last, so every queue's count is
# predictable.
simnic_testpmd "$tmp/rules.log" "rx_pcap=$md,loop=2" --rxq=4 --txq=4 --forward-mode=rxonly <<'EOF'
flow validate 0 ingress pattern eth / ipv4 dst is 239.1.1.1 / udp dst is 30001 / end actions queue index 1 / count / end
flow create 0 ingress pattern eth / ipv4 dst is 239.1.1.1 / udp dst is 30001 / end actions queue index 1 / count / end
flow create 0 priority 1 ingress pattern eth / ipv4 dst spec 239.1.2.0 dst mask 255.255.255.0 / end actions drop / count / end
flow create 0 priority 0 ingress pattern eth / ipv4 dst is 239.1.2.2 / end actions queue index 2 / count / end
flow create 0 priority 3 ingress pattern eth / ipv4 / udp dst is 30003 / end actions rss queues 2 3 end / count / end
flow create 0 priority 7 ingress pattern eth / end actions queue index 0 / count / end
flow create 0 ingress pattern eth / ipv6 / end actions drop / end
flow create 0 ingress pattern eth / end actions queue index 4 / end
flow create 0 ingress pattern eth / end actions drop / queue index 1 / end
flow create 0 egress pattern eth / end actions drop / end
flow create 0 group 1 ingress pattern eth / end actions drop / end
flow create 0 priority 8 ingress pattern eth / end actions drop / end
flow create 0 ingress pattern eth / end actions mark id 1 / queue index 0 / end
flow create 0 ingress pattern eth / ipv4 ttl is 3 / end actions drop / end
flow create 0 ingress pattern eth / ipv4 / udp / end actions count / end
start
sleep 3
stop
flow query 0 0 count
flow query 0 1 count
flow query 0 2 count
flow query 0 3 count
flow query 0 4 count
show port xstats 0
flow destroy 0 rule 4
flow list 0
EOF
sed -n '/Flow rule #/p' "$tmp/rules.log" | head -20
expect_eq "$(grep -c 'Flow rule #[0-4] created' "$tmp/rules.log")" 5 "rules created"
grep -q "Flow rule validated" "$tmp/rules.log" || fail "flow validate did not validate a good rule"
refused "$tmp/rules.log" "item not supported (only VOID, ETH, IPV4, UDP)"
refused "$tmp/rules.log" "QUEUE index 4, but the port has 4 RX queues"
refused "$tmp/rules.log" "more than one fate action"
refused "$tmp/rules.log" "egress rules are not supported"
refused "$tmp/rules.log" "only group 0"
refused "$tmp/rules.log" "priority 8, the lowest is 7"
refused "$tmp/rules.log" "action not supported"
refused "$tmp/rules.log" "only src_addr, dst_addr and next_proto_id can be matched"
refused "$tmp/rules.log" "no fate action"

mapfile -t h < <(hits "$tmp/rules.log")
expect_eq "${#h[@]}" 5 "flow queries answered"
g1='ip.dst == 239.1.1.1 && udp.dstport == 30001'
d2='ip.dst == 239.1.2.0/24 && ip.dst != 239.1.2.2'
r3='udp.dstport == 30003 && !(ip.dst == 239.1.2.0/24)'
want0=$((2 * $(count "$md" "$g1")))
want1=$((2 * $(count "$md" "$d2")))
want2=$((2 * $(count "$md" 'ip.dst == 239.1.2.2')))
want3=$((2 * $(count "$md" "$r3 && !($g1)")))
want4=$((2 * n_md - want0 - want1 - want2 - want3))
log "tshark: $want0 to 239.1.1.1:30001, $want1 dropped, $want2 to 239.1.2.2, $want3 to port 30003, $want4 others"
((want0 > 0 && want1 > 0 && want2 > 0 && want3 > 0 && want4 > 0)) || fail "a rule matches nothing"
expect_eq "${h[0]}" "$want0" "rule 0 hits (queue 1: $g1)"
expect_eq "${h[1]}" "$want1" "rule 1 hits (drop: $d2)"
expect_eq "${h[2]}" "$want2" "rule 2 hits (queue 2, priority 0 over rule 1: ip.dst == 239.1.2.2)"
expect_eq "${h[3]}" "$want3" "rule 3 hits (RSS 2,3: $r3)"
expect_eq "${h[4]}" "$want4" "rule 4 hits (catch-all, priority 7)"
expect_eq "$(xstat "$tmp/rules.log" rx_q1_packets)" "$want0" "queue 1 frames"
expect_eq "$(($(xstat "$tmp/rules.log" rx_q2_packets) + $(xstat "$tmp/rules.log" rx_q3_packets)))" \
	"$((want2 + want3))" "queues 2 + 3 frames"
expect_eq "$(xstat "$tmp/rules.log" rx_q0_packets)" "$want4" "queue 0 frames"
expect_eq "$(xstat "$tmp/rules.log" rx_flow_dropped)" "$want1" "xstat rx_flow_dropped"
expect_eq "$(xstat "$tmp/rules.log" rx_good_packets)" "$((2 * n_md - want1))" "frames received"
expect_eq "$(xstat "$tmp/rules.log" rx_missed_errors)" 0 "imissed (lossless by default)"
grep -q "Flow rule #4 destroyed" "$tmp/rules.log" || fail "flow destroy"
expect_eq "$(sed -n '/^ID\tGroup/,$p' "$tmp/rules.log" | grep -cE '^[0-9]+\s')" 4 "rules listed after destroying one"

# 2. Odd frames (802.1Q, fragments, IPv6, runts, ...): a UDP item matches untagged IPv4 UDP
# with its header (not a non-first fragment), as tshark's eth.type and udp fields say; IPv6
# dropped by EtherType; the rest spread by an RSS action over queues 0 and 2 (an empty pattern
# matches every frame).
odd=$tmp/odd.pcap
if [[ -n ${FEEDCAP_GENDATA:-} ]]; then
	"$FEEDCAP_GENDATA" -w "$odd" --seed 11 --count 6000 --odd 0.3
else
	cp "$FEEDCAP_TESTDATA/oddframes.pcap" "$odd"
fi
n_odd=$(capinfos -c -M -T "$odd" | awk -F'\t' 'NR==2 {print $2}')
simnic_testpmd "$tmp/odd.log" "rx_pcap=$odd" --rxq=3 --txq=3 --forward-mode=rxonly <<'EOF'
flow create 0 ingress pattern eth / ipv4 / udp / end actions queue index 1 / count / end
flow create 0 ingress pattern eth type is 0x86dd / end actions drop / count / end
flow create 0 priority 7 ingress pattern end actions rss queues 0 2 end / end
start
sleep 2
stop
flow query 0 0 count
flow query 0 1 count
show port xstats 0
EOF
mapfile -t h < <(hits "$tmp/odd.log")
# tshark calls a frame cut inside the UDP header UDP; a NIC's parser does not: the whole header
# (14 + IPv4 header + 8 bytes) must be there.
udp4f='eth.type == 0x0800 && udp && frame.len >= ip.hdr_len + 22'
udp4=$(count "$odd" "$udp4f")
ip6=$(count "$odd" 'eth.type == 0x86dd')
big=$(count "$odd" 'frame.len > 2048')
log "tshark: $n_odd frames, $udp4 untagged IPv4 UDP, $ip6 IPv6, $big longer than testpmd's mbufs"
expect_eq "${h[0]}" "$udp4" "UDP rule hits on odd frames"
expect_eq "${h[1]}" "$ip6" "IPv6 drop rule hits"
expect_eq "$(xstat "$tmp/odd.log" rx_errors)" "$big" "ierrors (frames longer than an mbuf: no scatter)"
expect_eq "$(($(xstat "$tmp/odd.log" rx_q1_packets) + $(count "$odd" "$udp4f && frame.len > 2048")))" \
	"$udp4" "queue 1 frames (untagged IPv4 UDP) + those too long"
expect_eq "$(($(xstat "$tmp/odd.log" rx_q0_packets) + $(xstat "$tmp/odd.log" rx_q2_packets)))" \
	"$((n_odd - udp4 - ip6 - $(count "$odd" "!($udp4f) && frame.len > 2048")))" \
	"queues 0 + 2 frames (the RSS action: all the others that fit an mbuf)"
expect_eq "$(($(xstat "$tmp/odd.log" rx_good_packets) + big))" "$((n_odd - ip6))" \
	"frames received + too long (all but IPv6)"

# 3. Limits: COUNT refused with flow_count=0, the third rule refused with flow_max=2 until one
# is destroyed; flow=0: no flow engine at all (rte_flow: ENOSYS).
simnic_testpmd "$tmp/lim.log" "flow_max=2,flow_count=0" --rxq=2 --txq=2 <<'EOF'
flow create 0 ingress pattern eth / end actions queue index 1 / count / end
flow create 0 ingress pattern eth / ipv4 dst is 239.1.1.1 / end actions queue index 1 / end
flow create 0 ingress pattern eth / ipv4 dst is 239.1.1.2 / end actions queue index 1 / end
flow create 0 ingress pattern eth / ipv4 dst is 239.1.1.3 / end actions queue index 1 / end
flow destroy 0 rule 0
flow create 0 ingress pattern eth / ipv4 dst is 239.1.1.4 / end actions queue index 1 / end
EOF
refused "$tmp/lim.log" "COUNT is not supported (flow_count=0)"
refused "$tmp/lim.log" "flow table full (2 rules, flow_max=2)"
grep -q "No space left on device" "$tmp/lim.log" || fail "a full table is not ENOSPC"
expect_eq "$(grep -c 'Flow rule #[0-9]* created' "$tmp/lim.log")" 3 "rules created with flow_max=2 (one destroyed)"
simnic_testpmd "$tmp/noflow.log" "flow=0" --rxq=2 --txq=2 <<'EOF'
flow create 0 ingress pattern eth / end actions queue index 1 / end
EOF
grep -q "Function not implemented" "$tmp/noflow.log" ||
	{ cat "$tmp/noflow.log" >&2; fail "flow=0: rte_flow did not fail with ENOSYS"; }
! grep -q "Flow rule #0 created" "$tmp/noflow.log" || fail "flow=0: a rule was created"
echo "ok: flow=0: no flow engine (ENOSYS)"

# 4. The multicast address filter (mc_filter=1), promiscuous mode off: only 01:00:5e:01:01:01
# (239.1.1.1) among the multicast frames; unicast and broadcast pass.
simnic_testpmd "$tmp/mc.log" "rx_pcap=$md,mc_filter=1" --rxq=2 --txq=2 --forward-mode=rxonly <<'EOF'
set promisc 0 off
mcast_addr add 0 01:00:5e:01:01:01
start
sleep 2
stop
show port xstats 0
EOF
mc_out=$(count "$md" 'eth.dst.ig == 1 && eth.dst != ff:ff:ff:ff:ff:ff && eth.dst != 01:00:5e:01:01:01')
expect_eq "$(xstat "$tmp/mc.log" rx_mc_filtered)" "$mc_out" "frames the multicast filter dropped"
expect_eq "$(xstat "$tmp/mc.log" rx_good_packets)" "$((n_md - mc_out))" "frames through the multicast filter"

# 5. TX: io forwarding sends every received frame back out; tx_pcap holds them byte for byte.
simnic_testpmd "$tmp/tx.log" "rx_pcap=$md,tx_pcap=$tmp/tx.pcap" --rxq=1 --txq=1 --forward-mode=io <<'EOF'
start
sleep 2
stop
show port xstats 0
EOF
expect_eq "$(xstat "$tmp/tx.log" tx_good_packets)" "$n_md" "frames sent"
expect_eq "$(capinfos -c -M -T "$tmp/tx.pcap" | awk -F'\t' 'NR==2 {print $2}')" "$n_md" "frames in tx_pcap (capinfos)"
cmp <(tcpdump -r "$md" -t -nn -xx 2>/dev/null) <(tcpdump -r "$tmp/tx.pcap" -t -nn -xx 2>/dev/null) ||
	fail "tx_pcap differs from the frames received (tcpdump -xx)"
echo "ok: tx_pcap equals the input (tcpdump -xx)"
pass "net_fcsim under dpdk-testpmd: rules, priorities, RSS action, drops, limits, multicast filter, TX"
