#!/bin/bash
# capture_netring: feedcap-capture on net_ring, two ports of four RX queues each.  A net_ring
# port made from --vdev alone loops its TX queue i back to its RX queue i, so the IGMP the
# capture sends on each port (IGMPv3 joins at start, repeated every second) comes back to that
# port's RX queue 0 and is captured like any frame.  Checked: every report the capture says it
# sent is in the ring, on the port that sent it (pcapng interface, via feedcap-dump), decoded
# by tshark as an IGMPv3 report naming both groups; the six empty queues are polled without
# harm; nothing is lost or filtered.
source "$FEEDCAP_TESTLIB/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/capture_common.sh"
need_env FEEDCAP_DUMP
need_tools tshark

make_tmpdir tmp capnr
cap_ring ring netring
set +e
timeout 60 "$FEEDCAP_CAPTURE" -v --ring "$ring" --ring-size 16M --rx-queues 4 \
	--vdev net_ring0 --vdev net_ring1 --group 239.1.1.1 --group 239.1.1.2 \
	--igmp-version 3 --igmp-source 10.98.0.1 --igmp-interval 1 --duration 3.5 \
	-- $(cap_eal r) >"$tmp/cap.log" 2>&1
rc=$?
set -e
cat "$tmp/cap.log"
expect_eq "$rc" 0 "feedcap-capture exit status (--duration)"
grep -q "port 0 net_ring0 (net_ring): 4 RX queue(s)" "$tmp/cap.log" || fail "port 0 is not net_ring0 with 4 queues"
grep -q "port 1 net_ring1 (net_ring): 4 RX queue(s)" "$tmp/cap.log" || fail "port 1 is not net_ring1 with 4 queues"
grep -q "capturing 2 port(s), 8 queue(s)" "$tmp/cap.log" || fail "the poller does not drain 8 queues"

# The capture's own count of the group reports it sent (both ports), from its final line: an
# IGMPv3 report frame carries both groups' records, so there are half as many frames.
reports=$(sed -n 's/.*IGMP reports \([0-9]*\),.*/\1/p' "$tmp/cap.log")
[[ -n $reports ]] || fail "no final statistics line"
((reports >= 2 * 2 * 3)) || fail "only $reports group reports in 3.5 s on two ports (interval 1 s)"
frames=$(cap_counter "$ring" frames)
p0=$(cap_counter "$ring" port0_rx_frames)
p1=$(cap_counter "$ring" port1_rx_frames)
log "reports sent $reports; ring $frames frames: port 0 $p0, port 1 $p1"
expect_eq "$((frames * 2))" "$reports" "2 x frames in the ring = group reports sent (each loops back once)"
expect_eq "$p0" "$p1" "reports captured on port 0 and on port 1"
expect_eq "$(cap_counter "$ring" filtered)" 0 "frames filtered"
expect_eq "$(cap_counter "$ring" nic_imissed)" 0 "frames missed"
expect_eq "$(cap_counter "$ring" port0_name)" net_ring0 "ring port 0"
expect_eq "$(cap_counter "$ring" port1_name)" net_ring1 "ring port 1"

# The real reader writes them out, one pcapng interface per port; tshark decodes them.
"$FEEDCAP_DUMP" -q --ring "$ring" --from oldest --no-follow -w "$tmp/igmp.pcapng" 2>"$tmp/dump.err" ||
	fail "feedcap-dump: $(cat "$tmp/dump.err")"
tshark -r "$tmp/igmp.pcapng" -T fields -e frame.interface_name -e igmp.version -e igmp.type \
	-e igmp.num_grp_recs -e igmp.maddr -e ip.src -e ip.dst >"$tmp/decoded.txt" 2>"$tmp/tshark.err" ||
	fail "tshark cannot read the archive: $(cat "$tmp/tshark.err")"
cat "$tmp/decoded.txt"
expect_eq "$(wc -l <"$tmp/decoded.txt")" "$frames" "frames in the archive"
bad=$(awk -F'\t' '$2 != 3 || $3 != "0x22" || $4 != 2 || $5 != "239.1.1.1,239.1.1.2" ||
	$6 != "10.98.0.1" || $7 != "224.0.0.22"' "$tmp/decoded.txt" | wc -l)
expect_eq "$bad" 0 "frames that are not IGMPv3 reports for both groups from 10.98.0.1"
expect_eq "$(awk -F'\t' '$1 == "net_ring0"' "$tmp/decoded.txt" | wc -l)" "$p0" "archive frames on interface net_ring0"
expect_eq "$(awk -F'\t' '$1 == "net_ring1"' "$tmp/decoded.txt" | wc -l)" "$p1" "archive frames on interface net_ring1"
pass "net_ring: 2 ports x 4 queues, $frames IGMPv3 report frames looped back and captured on their port"
