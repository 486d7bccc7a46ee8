#!/bin/bash
# capture_simnic_igmp: IGMPv3 through the simulated NIC's TX (tx_pcap), on a port that filters
# multicast MAC addresses exactly (mc_filter=1), as most NICs' hardware does.  feedcap-capture
# joins two groups: tshark decodes valid IGMPv3 reports (to 224.0.0.22, TTL 1, Router Alert,
# good checksums) for both -- state changes at start (twice: Robustness 2), an answer to a
# general query the NIC receives 2.5 s in (paced pcap, pace=1), within its Max Resp Time,
# and leaves at SIGTERM.  The query goes to 224.0.0.1: a capture that programmed only its
# groups' addresses would never see it.
source "$FEEDCAP_TESTLIB/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/capture_common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/simnic_common.sh"
need_tools tshark text2pcap python3

make_tmpdir tmp capsig
# The NIC's input, paced: an ARP request at 0 s, an IGMPv3 general query (Max Resp Time 1 s,
# from 10.99.0.2, IP and IGMP checksums computed here) at 2.5 s.
python3 - >"$tmp/in.txt" <<'EOF'
import struct
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF
igmp = bytearray(struct.pack("!BBH4sBBH", 0x11, 10, 0, bytes(4), 0x02, 125, 0))
struct.pack_into("!H", igmp, 2, csum(bytes(igmp)))
ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x46, 0xC0, 24 + len(igmp), 0, 0, 1, 2, 0,
                           bytes([10, 99, 0, 2]), bytes([224, 0, 0, 1])) + bytes([0x94, 4, 0, 0]))
struct.pack_into("!H", ip, 10, csum(bytes(ip)))
query = bytes.fromhex("01005e000001" "020000000099" "0800") + ip + igmp
arp = bytes.fromhex("ffffffffffff" "020000000099" "0806" "0001080006040001" "020000000099"
                    "0a630002" "000000000000" "0a630001") + bytes(18)
for t, f in (("00:00:00.000000", arp), ("00:00:02.500000", query)):
    print(t)
    print("0000 " + " ".join("%02x" % b for b in f))
EOF
text2pcap -q -t "%H:%M:%S.%f" "$tmp/in.txt" "$tmp/in.pcap"
expect_eq "$(tshark -r "$tmp/in.pcap" -o ip.check_checksum:TRUE -Y 'igmp.type == 0x11 && igmp.version == 3 && igmp.checksum.status == 1 && ip.checksum.status == 1' 2>/dev/null | wc -l)" \
	1 "the input's IGMPv3 general query (tshark: checksums good)"

cap_ring ring igmp
cap_start cap "$tmp/cap.log" --ring "$ring" --ring-size 16M --group 239.1.1.1 \
	--group 239.1.1.2 --igmp-version 3 --igmp-source 10.99.0.1 \
	--vdev "net_fcsim0,rx_pcap=$tmp/in.pcap,pace=1,mc_filter=1,tx_pcap=$tmp/tx.pcap" \
	-- -d "$FEEDCAP_SIMNIC_PMD" $(cap_eal a)
sleep 4
cap_stop "$cap"
grep "IGMP reports" "$tmp/cap.log" | tail -1
grep -q "queries 1" "$tmp/cap.log" || { cat "$tmp/cap.log" >&2; fail "the general query did not reach the capture"; }

# The query's arrival in the ring (feedcap's timestamp) against the answer's TX time.
"$CAPTOOL" topcap "$ring" "$tmp/ring.pcap" >/dev/null
t_query=$(tshark -r "$tmp/ring.pcap" -Y 'igmp.type == 0x11' -T fields -e frame.time_epoch 2>/dev/null)
[[ -n $t_query ]] || fail "the query is not in the ring"
tshark -r "$tmp/tx.pcap" -o ip.check_checksum:TRUE -E occurrence=a -E aggregator=, -T fields \
	-e frame.time_epoch -e ip.src -e ip.dst -e ip.ttl -e ip.opt.ra -e ip.checksum.status \
	-e igmp.type -e igmp.checksum.status -e igmp.maddr -e igmp.record_type 2>/dev/null |
	tee "$tmp/tx.txt"
python3 - "$tmp/tx.txt" "$t_query" <<'EOF' || fail "IGMP in tx_pcap (see above)"
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
t_query = float(sys.argv[2])
ok = True
def check(cond, what):
    global ok
    print(("ok: " if cond else "FAIL: ") + what)
    ok = ok and cond
check(len(rows) > 0, f"{len(rows)} frames sent")
for t, src, dst, ttl, ra, ipck, typ, igck, groups, rtypes in rows:
    good = (src == "10.99.0.1" and dst == "224.0.0.22" and ttl == "1" and ra != "" and
            ipck == "1" and typ == "0x22" and igck == "1" and groups == "239.1.1.1,239.1.1.2")
    check(good, f"IGMPv3 report {src} -> {dst}, TTL {ttl}, RA '{ra}', checksums {ipck}/{igck}, "
          f"groups {groups}, records {rtypes}")
kinds = [r[9] for r in rows]
check(kinds.count("4,4") >= 2, "two CHANGE_TO_EXCLUDE reports at start (Robustness 2)")
answers = [float(r[0]) - t_query for r in rows if r[9] == "2,2"]
check(len(answers) == 1 and 0 <= answers[0] <= 1.0,
      f"one MODE_IS_EXCLUDE answer within the query's 1 s Max Resp Time ({answers} s after it)")
check(kinds[-1] == "3,3", "a CHANGE_TO_INCLUDE (leave) for both groups last")
sys.exit(0 if ok else 1)
EOF
pass "IGMPv3 reports, query answer and leaves through net_fcsim's TX, exact multicast filter"
