#!/bin/bash
# capture_flow: the group filter offloaded with rte_flow, against net_fcsim, the simulated NIC
# of tests/simnic (a flow engine with QUEUE, RSS, DROP and COUNT; no PMD on this machine
# takes rte_flow rules).  Checked:
#   1. Groups without ports: the NIC's rules do all the filtering (the poller checks nothing),
#      the ring holds exactly the frames tshark finds for the groups, and `filtered` (the
#      catch-all rule's COUNT) is the rest; the same over 4 RSS queues.
#   2. The same ring as the software filter, frame for frame, on oddframes.pcap (VLAN and
#      QinQ tags, IP fragments, IGMP, IPv6, ARP, runts, jumbo frames), with groups that have
#      UDP ports (checked by the poller), tagged groups and a fragmented one.
#   3. An IGMP general query reaches the control thread through the IGMP rule and is answered,
#      and is not in the ring.
#   4. All or nothing: a NIC without a flow engine, without COUNT, or whose table is full
#      after two rules gets no rule, the poller filters, the log names the refused rule, and
#      the ring is the software filter's; --filter-offload require refuses to start (exit 2).
source "$FEEDCAP_TESTLIB/common.sh"
source "$FEEDCAP_TESTLIB/netns.sh"
source "$(dirname "${BASH_SOURCE[0]}")/capture_common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/simnic_common.sh"
need_env FEEDCAP_SRC
need_tools tshark tcpdump mergecap ip

make_tmpdir tmp capfl
md=$FEEDCAP_SRC/tests/data/marketdata.pcap
odd=$FEEDCAP_SRC/tests/data/oddframes.pcap

# run TAG VDEV-ARGS CAPTURE-ARGS...: feedcap-capture on net_fcsim until the input is drained
# (--duration); its log in $tmp/TAG.log, its ring in $ring_TAG.
run() {
	local tag=$1 vdev=$2 path rc=0
	shift 2
	cap_ring path "$tag"
	printf -v "ring_$tag" '%s' "$path"
	"$FEEDCAP_CAPTURE" -v --ring "$path" --ring-size 16M --vdev "net_fcsim0,$vdev" "$@" \
		--duration 2 -- -d "$FEEDCAP_SIMNIC_PMD" $(cap_eal "$tag") >"$tmp/$tag.log" 2>&1 || rc=$?
	if ((rc != 0)); then
		cat "$tmp/$tag.log" >&2
		fail "$tag: feedcap-capture exited $rc"
	fi
}
# frames RING: the ring's frames as hex, one per line, no timestamps (they differ per run).
frames() {
	"$CAPTOOL" topcap "$1" "$tmp/frames.pcap" >/dev/null
	tcpdump -r "$tmp/frames.pcap" -t -xx -n 2>/dev/null | awk '
		/^[^ \t]/ { if (f != "") print f; f = "" ; next }
		{ $1 = ""; f = f $0 }
		END { if (f != "") print f }'
}
tshark_count() { # FILE FILTER
	tshark -r "$1" -o ip.defragment:FALSE -Y "$2" -T fields -e frame.number 2>/dev/null | wc -l
}

# 1. Address-only groups: the NIC filters alone.
want=$(tshark_count "$md" 'ip.dst == 239.1.1.1 || ip.dst == 239.1.1.2')
total=$(tshark_count "$md" 'frame')
for q in 1 4; do
	run "hw$q" "rx_pcap=$md" --group 239.1.1.1 --group 239.1.1.2 --filter-groups \
		--filter-offload require --no-igmp --rx-queues "$q"
	r=ring_hw$q
	grep -q "net_fcsim0 (net_fcsim): group filter on the NIC: 5 rte_flow rules$" "$tmp/hw$q.log" ||
		fail "$q queue(s): no offload in: $(cat "$tmp/hw$q.log")"
	expect_eq "$(cap_counter "${!r}" frames)" "$want" "$q queue(s): frames in the ring (tshark: to the groups)"
	expect_eq "$(cap_counter "${!r}" filtered)" "$((total - want))" "$q queue(s): filtered, counted by the NIC's catch-all rule"
	frames "${!r}" | sort >"$tmp/hw$q.hex"
done
cmp -s "$tmp/hw1.hex" "$tmp/hw4.hex" || fail "4 RSS queues kept other frames than 1 queue"
# Telemetry says where the filter runs and what the NIC dropped.
need_tools dpdk-telemetry.py python3
cap_ring rt tel
cap_start cap "$tmp/tel.log" --ring "$rt" --ring-size 16M --vdev "net_fcsim0,rx_pcap=$md" \
	--group 239.1.1.1 --group 239.1.1.2 --filter-groups --no-igmp --duration 60 \
	-- -d "$FEEDCAP_SIMNIC_PMD" $(cap_eal t)
sleep 1.5
echo /feedcap/stats | dpdk-telemetry.py -f "cap$$t" >"$tmp/tel.json" 2>&1 || true
python3 - "$tmp/tel.json" "$((total - want))" <<'PY' || fail "telemetry: $(cat "$tmp/tel.json")"
import json, sys
text = open(sys.argv[1]).read()
p = json.loads(text[text.index('{"/feedcap/stats"'):].splitlines()[0])["/feedcap/stats"]["port0"]
assert p["filter"] == "nic", p
assert p["flow_rules"] == 5, p
assert p["filtered_nic"] == int(sys.argv[2]) and p["filtered"] == p["filtered_nic"], p
print("ok: telemetry port0 filter", p["filter"], "rules", p["flow_rules"], "filtered_nic", p["filtered_nic"])
PY
cap_stop "$cap"
expect_eq "$("$CAPTOOL" counters "$ring_hw4" | grep -c '^port0_name=net_fcsim0')" 1 "port name"

# 2. Equivalence with the software filter on odd frames.
groups=(--group 239.1.1.1:30001 --group 239.1.1.3 --group 239.1.9.2 --group 239.1.9.3:31003
	--group 239.1.9.4:31004)
run sw "rx_pcap=$odd" "${groups[@]}" --filter-groups --filter-offload off --no-igmp
run nic "rx_pcap=$odd" "${groups[@]}" --filter-groups --filter-offload require --no-igmp
grep -q "group filter on the NIC: 8 rte_flow rules, UDP ports checked by the poller" "$tmp/nic.log" ||
	fail "odd frames: no offload in: $(cat "$tmp/nic.log")"
sw_frames=$(cap_counter "$ring_sw" frames)
((sw_frames > 1000)) || fail "the software filter kept only $sw_frames odd frames"
expect_eq "$(cap_counter "$ring_nic" frames)" "$sw_frames" "odd frames: kept by the NIC + poller = by the poller alone"
# Every frame is kept, filtered or (a jumbo frame the simulated NIC cannot scatter into
# mbufs) an RX error; the NIC drops the jumbo frames of other groups before that.
odd_total=$(tshark_count "$odd" 'frame')
for t in sw nic; do
	r=ring_$t
	log "$t: $(cap_counter "${!r}" frames) kept, $(cap_counter "${!r}" filtered) filtered, $(cap_counter "${!r}" nic_ierrors) ierrors"
	expect_eq "$(($(cap_counter "${!r}" frames) + $(cap_counter "${!r}" filtered) + $(cap_counter "${!r}" nic_ierrors)))" \
		"$odd_total" "odd frames, $t: kept + filtered + ierrors"
done
frames "$ring_sw" >"$tmp/sw.hex"
frames "$ring_nic" >"$tmp/nic.hex"
cmp -s "$tmp/sw.hex" "$tmp/nic.hex" || fail "odd frames: the ring differs from the software filter's"
# The kinds the offload must not lose are in there.
"$CAPTOOL" topcap "$ring_nic" "$tmp/nic.pcap" >/dev/null
for kind in 'eth.type == 0x8100' 'eth.type == 0x88a8' 'ip.frag_offset > 0' 'igmp'; do
	n=$(tshark_count "$tmp/nic.pcap" "$kind")
	((n > 0)) || fail "odd frames: no '$kind' frame kept with the offload"
done

# 3. An IGMP general query, recorded from a real sender on a veth, before the market data.
netns_new far flq
netns_veth near far_if "" "$far" flq
netns_addr "$far" "$far_if" 10.97.0.2/24
netns_spawn dump "$far" timeout 20 tcpdump -n -i "$far_if" -c 1 -w "$tmp/query.pcap" igmp \
	2>"$tmp/tcpdump.err"
wait_until 10 grep -q 'listening on' "$tmp/tcpdump.err" || fail "tcpdump: $(cat "$tmp/tcpdump.err")"
netns_exec "$far" "$CAPTOOL" query "$far_if" 0.0.0.0 10
wait "$dump" || fail "the query was not recorded: $(cat "$tmp/tcpdump.err")"
netns_teardown
mergecap -a -w "$tmp/q.pcap" "$tmp/query.pcap" "$md"
run igmp "rx_pcap=$tmp/q.pcap" --group 239.1.1.1 --group 239.1.1.2 --filter-groups \
	--filter-offload require --igmp-interval 0
grep -q "group filter on the NIC: 6 rte_flow rules$" "$tmp/igmp.log" || fail "IGMP: no offload in: $(cat "$tmp/igmp.log")"
grep -q "queries 1$" "$tmp/igmp.log" || fail "IGMP: the query did not reach the control thread: $(tail -n 3 "$tmp/igmp.log")"
expect_eq "$(cap_counter "$ring_igmp" frames)" "$want" "IGMP: frames in the ring (the query is not)"
expect_eq "$(cap_counter "$ring_igmp" filtered)" "$((total - want + 1))" "IGMP: filtered (the query by the poller)"

# 4. All or nothing.
for case in "flow=0:group 239.1.1.1: Function not implemented" \
	"flow_count=0:everything else (count and drop)" \
	"flow_max=2:group 239.1.9.2: net_fcsim: flow table full"; do
	devarg=${case%%:*}
	refused=${case#*:}
	tag=fb${devarg%%=*}
	run "$tag" "rx_pcap=$odd,$devarg" "${groups[@]}" --filter-groups --no-igmp
	grep -qF "net_fcsim0 (net_fcsim): group filter in the poller: the PMD refused the rule for $refused" "$tmp/$tag.log" ||
		fail "$devarg: the refusal is not named: $(grep -i filter "$tmp/$tag.log")"
	r=ring_$tag
	frames "${!r}" >"$tmp/$tag.hex"
	cmp -s "$tmp/sw.hex" "$tmp/$tag.hex" || fail "$devarg: the ring differs from the software filter's"
	expect_eq "$(cap_counter "${!r}" filtered)" "$(cap_counter "$ring_sw" filtered)" "$devarg: filtered (as the software filter)"
done
cap_ring rq require
rc=0
"$FEEDCAP_CAPTURE" --ring "$rq" --ring-size 16M --vdev "net_fcsim0,rx_pcap=$md,flow_count=0" \
	--group 239.1.1.1 --filter-groups --filter-offload require --no-igmp --duration 2 \
	-- -d "$FEEDCAP_SIMNIC_PMD" $(cap_eal rq) >"$tmp/rq.log" 2>&1 || rc=$?
expect_eq "$rc" 2 "--filter-offload require on a NIC that cannot count: exit status"
grep -qF "port net_fcsim0 (net_fcsim): --filter-offload require, but the PMD refused the rule for everything else (count and drop)" "$tmp/rq.log" ||
	fail "require: unclear refusal: $(cat "$tmp/rq.log")"
pass "rte_flow filter: NIC alone ($want kept, $((total - want)) counted by the NIC, 1 and 4 queues), same ring as software on odd frames, IGMP query answered, all-or-nothing fallbacks"
