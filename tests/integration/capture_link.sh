#!/bin/bash
# capture_link: a link that flaps (issue 16, item 3).  The simulated NIC carries 10000 probes
# at 2000/s and takes its link down 1.5 s after start for 0.6 s (flap=1500:600, an EAL alarm:
# the interrupt thread, as a real NIC's LSC interrupt), once with link-state interrupts and
# once without (lsc=0: the capture must poll).  Each time:
#   - the ring holds a LOSS record "link down" and then "link up" with the outage's length
#     (0.6 s, within the capture's 100 ms check and the poller's 10 ms);
#   - the probes the wire carried meanwhile are the ones missing, one run of consecutive
#     indices (the probes' own payload, not our counters), and ring frames + the NIC's
#     rx_link_down_dropped = 10000;
#   - an IGMP report for the group leaves (tx_pcap, tshark) right after the link is back,
#     long before the 60 s --igmp-interval or any query;
#   - the ring header counts one outage of about 0.6 s, and the log says so;
#   - readers show it: feedcap-stat prints the two events, feedcap-dump writes them as pcapng
#     comments (tshark reads them back), feedcap-stat --prom counts the outage.
source "$FEEDCAP_TESTLIB/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/capture_common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/simnic_common.sh"
need_tools tshark python3

make_tmpdir tmp caplink
probes=10000
pps=2000
down_ms=600

link_case() {
	local tag=$1 lsc=$2 ring rc=0
	log "$tag: lsc=$lsc, link down at 1.5 s for $down_ms ms"
	cap_ring ring "$tag"
	"$FEEDCAP_CAPTURE" -v --ring "$ring" --ring-size 16M --group 239.7.7.7 --count 1000000 \
		--duration 7 --igmp-interval 60 \
		--vdev "net_fcsim0,probe=$probes,probe_dst=239.7.7.7:7777,pps=$pps,flap=1500:$down_ms,lsc=$lsc,tx_pcap=$tmp/$tag-tx.pcap" \
		-- -d "$FEEDCAP_SIMNIC_PMD" $(cap_eal "$tag") >"$tmp/$tag.log" 2>&1 || rc=$?
	expect_eq "$rc" 0 "$tag: feedcap-capture exit status"
	grep -q "port net_fcsim0: link down: frames are lost until it is back" "$tmp/$tag.log" ||
		{ cat "$tmp/$tag.log" >&2; fail "$tag: no link-down line in the log"; }
	grep -q "port net_fcsim0: link up after 0\.[0-9]* s down: IGMP reports sent again" "$tmp/$tag.log" ||
		fail "$tag: no link-up line in the log"
	"$CAPTOOL" markers "$ring" >"$tmp/$tag.markers"
	"$CAPTOOL" counters "$ring" >"$tmp/$tag.counters"
	"$CAPTOOL" topcap "$ring" "$tmp/$tag.pcap" >/dev/null
	tshark -r "$tmp/$tag.pcap" -Y udp.dstport==7777 -T fields -e data.data 2>/dev/null >"$tmp/$tag.payloads"
	tshark -r "$tmp/$tag-tx.pcap" -Y 'igmp.type == 0x16 && igmp.maddr == 239.7.7.7' \
		-T fields -e frame.time_epoch 2>/dev/null >"$tmp/$tag.reports"
	python3 - "$tmp/$tag.markers" "$tmp/$tag.counters" "$tmp/$tag.payloads" "$tmp/$tag.reports" \
		"$probes" "$down_ms" <<'PY' || fail "$tag: see above"
import struct, sys
mk, ct, pl, rp = (open(p).read().splitlines() for p in sys.argv[1:5])
probes, down_ms = int(sys.argv[5]), int(sys.argv[6])
ok = True
def check(cond, what):
    global ok
    print(("ok: " if cond else "FAIL: ") + what)
    ok = ok and cond
ev = [dict(kv.split("=") for kv in l.split()) for l in mk if l.startswith("link_event=")]
kv = dict(l.split("=", 1) for l in mk + ct if "=" in l and not l.startswith("link_event="))
check([e["link_event"] for e in ev] == ["down", "up"], f"link events in the ring: {[e['link_event'] for e in ev]}")
if len(ev) == 2:
    down, up = ev
    out = int(up["outage_ns"]) / 1e6
    check(abs(out - down_ms) <= 120, f"outage in the LINK_UP record: {out:.1f} ms (link was down {down_ms} ms)")
    check(int(up["event_ns"]) - int(down["event_ns"]) == int(up["outage_ns"]), "outage = up - down times")
    check(int(down["seq"]) < int(up["seq"]) and down["port"] == "0", "in order, port 0")
    for e in ev:
        lag = (int(e["record_ts_ns"]) - int(e["event_ns"])) / 1e6
        check(-5 <= lag <= 250, f"{e['link_event']} record written {lag:.1f} ms after the event was seen")
got = sorted(struct.unpack("<8sQQQ", bytes.fromhex(l))[3] for l in pl if l)
missing = sorted(set(range(probes)) - set(got))
check(len(missing) > 0 and missing == list(range(missing[0], missing[-1] + 1)),
      f"{len(missing)} probes missing, one run ({missing[0] if missing else '-'}..{missing[-1] if missing else '-'})")
check(abs(len(missing) / 2000 * 1000 - down_ms) <= 60, f"that is {len(missing) / 2:.0f} ms of probes at 2000/s")
check(int(kv["frames"]) + len(missing) == probes, f"ring frames {kv['frames']} + missing = {probes}")
check(kv["port0_link_downs"] == "1" and kv["port0_link_up"] == "1", "ring header: one outage, link up now")
check(abs(int(kv["port0_link_down_ns"]) / 1e6 - down_ms) <= 120, f"ring header: {int(kv['port0_link_down_ns']) / 1e6:.1f} ms down")
if len(ev) == 2:
    t_up = int(ev[1]["event_ns"]) / 1e9
    reports = [float(t) for t in rp if t]
    after = [t - t_up for t in reports if t >= t_up - 0.001]
    check(len(reports) >= 3, f"{len(reports)} reports for 239.7.7.7: 2 at start, then the re-join")
    check(bool(after) and after[0] <= 0.3, f"first report {after[0] * 1000 if after else -1:.0f} ms after the link came back (<= 300)")
    before = [t_up - t for t in reports if t < t_up]
    check(all(b > 0.3 for b in before), "no report in the 300 ms before the link came back (it is the re-join)")
sys.exit(0 if ok else 1)
PY
	# How many the NIC lost while down, by its own count: the same run of probes.
	grep -q "captured $(sed -n 's/^frames=//p' "$tmp/$tag.counters") frames" "$tmp/$tag.log" ||
		fail "$tag: the final line disagrees with the ring"
	# Readers show the outage.
	"$FEEDCAP_STAT" --ring "$ring" --from oldest --no-follow --prom "$tmp/$tag.prom" \
		>"$tmp/$tag.stat" 2>&1 || fail "$tag: feedcap-stat failed: $(cat "$tmp/$tag.stat")"
	grep -q "event: port net_fcsim0 link down" "$tmp/$tag.stat" || fail "$tag: feedcap-stat shows no link-down event"
	grep -q "event: port net_fcsim0 link up after 0\.[0-9]* s down" "$tmp/$tag.stat" ||
		fail "$tag: feedcap-stat shows no link-up event"
	grep -q '^feedcap_port_link_downs_total{port="net_fcsim0"} 1$' "$tmp/$tag.prom" ||
		fail "$tag: --prom: $(grep link "$tmp/$tag.prom")"
	"$FEEDCAP_DUMP" --ring "$ring" --from oldest --no-follow -F pcapng -w "$tmp/$tag.pcapng" \
		>"$tmp/$tag.dump" 2>&1 || fail "$tag: feedcap-dump failed: $(cat "$tmp/$tag.dump")"
	tshark -r "$tmp/$tag.pcapng" -T fields -e frame.comment 2>/dev/null | grep -v '^$' >"$tmp/$tag.comments"
	grep -q "feedcap: link down on capture port 0 at" "$tmp/$tag.comments" ||
		fail "$tag: no link-down comment in the pcapng: $(cat "$tmp/$tag.comments")"
	grep -q "feedcap: link up on capture port 0 at .* after 0\.[0-9]* s down" "$tmp/$tag.comments" ||
		fail "$tag: no link-up comment in the pcapng"
}

link_case lsc 1
link_case poll 0
pass "link down/up in the ring with the outage, the lost probes exactly those, IGMP re-join at once (LSC and polled)"
