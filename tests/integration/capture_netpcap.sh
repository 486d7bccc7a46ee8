#!/bin/bash
# capture_netpcap: frames from net_pcap land in the ring byte for byte, in order, with their
# timestamps (to the microsecond: net_pcap's precision), for every kind of frame a feed
# carries or a capture must survive: 14-byte runts to 9014-byte jumbo frames, 802.1Q and QinQ
# tags, IPv4 fragments, IPv6 multicast, ARP, IGMP, TCP, ICMP.  libpcap reading the input is the
# oracle.  Then the snap length (records keep the wire length) and the group filter (tshark is
# the oracle for which frames go to the groups).
source "$FEEDCAP_TESTLIB/common.sh"
CAP_HUGEPAGES=320 # five rings of 64 MiB, and DPDK's 256 MiB
source "$(dirname "${BASH_SOURCE[0]}")/capture_common.sh"
need_tools tshark capinfos

make_tmpdir tmp capnp
input=$tmp/odd.pcap
if [[ -n ${FEEDCAP_GENDATA:-} ]]; then
	"$FEEDCAP_GENDATA" -w "$input" --seed 11 --count 6000 --odd 0.3
else
	cp "$FEEDCAP_TESTDATA/oddframes.pcap" "$input"
fi
total=$(capinfos -c -M -T "$input" | awk -F'\t' 'NR==2 {print $2}')
log "input: $total frames, sizes $(tshark -r "$input" -T fields -e frame.len | sort -n | sed -n '1p;$p' | tr '\n' ' ')"
((total >= 3000)) || fail "input has only $total frames"

# 1. Whole frames.
cap_ring ring whole
"$FEEDCAP_CAPTURE" --ring "$ring" --ring-size 64M --vdev "net_pcap0,rx_pcap=$input" \
	--count "$total" --duration 60 -- $(cap_eal a) >"$tmp/a.log" 2>&1 ||
	{ cat "$tmp/a.log" >&2; fail "feedcap-capture failed"; }
grep -q "captured $total frames" "$tmp/a.log" || { cat "$tmp/a.log" >&2; fail "not all frames captured"; }
"$CAPTOOL" cmp "$ring" "$input" | tee "$tmp/cmp.txt" | tail -3
grep -q "compared $total frames, 0 mismatches" "$tmp/cmp.txt" || fail "ring differs from the input"
expect_eq "$(cap_counter "$ring" frames)" "$total" "ring header frames"
expect_eq "$(cap_counter "$ring" port0_name)" "net_pcap0" "ring port 0 name"
expect_eq "$(cap_counter "$ring" port0_rx_frames)" "$total" "ring port 0 frames"
expect_eq "$(cap_counter "$ring" port0_ts_source)" "4" "port 0 timestamp source (PMD microseconds)"
expect_eq "$(cap_counter "$ring" state)" "2" "ring state after the capture stopped"

# The oracle must be able to say no: a different capture does not compare equal.
"$FEEDCAP_GENDATA" -w "$tmp/other.pcap" --seed 12 --count 100 --odd 0.3 2>/dev/null ||
	cp "$FEEDCAP_TESTDATA/marketdata.pcap" "$tmp/other.pcap"
if "$CAPTOOL" cmp "$ring" "$tmp/other.pcap" >/dev/null; then
	fail "negative control: the ring compared equal to another capture"
fi

# 2. Snap length 96: cut frames keep their wire length and the truncated flag counts.
cap_ring ring2 snap
"$FEEDCAP_CAPTURE" --ring "$ring2" --ring-size 64M --vdev "net_pcap0,rx_pcap=$input" \
	--count "$total" --duration 60 --snaplen 96 -- $(cap_eal b) >"$tmp/b.log" 2>&1 ||
	{ cat "$tmp/b.log" >&2; fail "feedcap-capture --snaplen failed"; }
"$CAPTOOL" cmp "$ring2" "$input" --snaplen 96 | tee "$tmp/cmp2.txt" | tail -1
grep -q "compared $total frames, 0 mismatches" "$tmp/cmp2.txt" || fail "snaplen ring differs"
longer=$(tshark -r "$input" -Y 'frame.len > 96' -T fields -e frame.number | wc -l)
"$CAPTOOL" topcap "$ring2" "$tmp/snap.pcap" >/dev/null
expect_eq "$(tshark -r "$tmp/snap.pcap" -Y 'frame.cap_len < frame.len' -T fields -e frame.number | wc -l)" \
	"$longer" "frames cut by the snap length (tshark)"

# 3. Group filter: only frames to 239.1.1.1 and 239.1.1.2, the rest counted as filtered.
cap_ring ring3 filt
"$FEEDCAP_CAPTURE" --ring "$ring3" --ring-size 64M --vdev "net_pcap0,rx_pcap=$input" \
	--group 239.1.1.1 --group 239.1.1.2 --filter-groups --no-igmp --duration 3 \
	-- $(cap_eal c) >"$tmp/c.log" 2>&1 || { cat "$tmp/c.log" >&2; fail "filter run failed"; }
want=$(tshark -r "$input" -o ip.defragment:FALSE -Y 'ip.dst == 239.1.1.1 || ip.dst == 239.1.1.2' \
	-T fields -e frame.number | wc -l)
got=$(cap_counter "$ring3" frames)
filtered=$(cap_counter "$ring3" filtered)
expect_eq "$got" "$want" "frames kept by --filter-groups (tshark: ip.dst is a group)"
expect_eq "$((got + filtered))" "$total" "kept + filtered"
"$CAPTOOL" topcap "$ring3" "$tmp/filt.pcap" >/dev/null
expect_eq "$(tshark -r "$tmp/filt.pcap" -o ip.defragment:FALSE -Y '!(ip.dst == 239.1.1.1 || ip.dst == 239.1.1.2)' | wc -l)" \
	"0" "frames in the ring that are not to a group"
# net_pcap has no rte_flow: the filter falls back to the poller, and says so.
grep -q "net_pcap0 (net_pcap): group filter in the poller: the PMD refused" "$tmp/c.log" ||
	fail "no word of the software fallback in: $(cat "$tmp/c.log")"
# --filter-offload require on it refuses to start (exit 2), naming the port.
rc=0
"$FEEDCAP_CAPTURE" --ring "$ring3" --ring-size 64M --vdev "net_pcap0,rx_pcap=$input" \
	--group 239.1.1.1 --filter-groups --filter-offload require --no-igmp --duration 3 \
	-- $(cap_eal r) >"$tmp/r.log" 2>&1 || rc=$?
expect_eq "$rc" 2 "exit status of --filter-offload require on net_pcap"
grep -q "port net_pcap0 (net_pcap): --filter-offload require, but the PMD refused the rule for group 239.1.1.1" "$tmp/r.log" ||
	fail "--filter-offload require: unclear refusal: $(cat "$tmp/r.log")"
# 4. --timestamp tsc: the same frames, timed by the TSC model instead of the pcap's times.
cap_ring ring4 tsc
"$FEEDCAP_CAPTURE" --ring "$ring4" --ring-size 64M --vdev "net_pcap0,rx_pcap=$input" \
	--count "$total" --duration 60 --timestamp tsc -- $(cap_eal d) >"$tmp/d.log" 2>&1 ||
	{ cat "$tmp/d.log" >&2; fail "--timestamp tsc run failed"; }
"$CAPTOOL" clock "$ring4" >"$tmp/clock4.txt"
expect_eq "$(sed -n 's/^frames_src_tsc=//p' "$tmp/clock4.txt")" "$total" "frames timed by the TSC with --timestamp tsc"
expect_eq "$(cap_counter "$ring4" port0_ts_source)" 1 "port 0 timestamp source with --timestamp tsc"
"$CAPTOOL" clock "$ring" >"$tmp/clock1.txt"
expect_eq "$(sed -n 's/^frames_src_pmd_us=//p' "$tmp/clock1.txt")" "$total" "frames timed by net_pcap (microseconds) by default"
pass "net_pcap: $total frames byte for byte with timestamps; snaplen; filter kept $got of $total"
