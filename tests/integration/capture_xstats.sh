#!/bin/bash
# capture_xstats: every drop counted, by stage, under the PMD's own names (issue 16, item 2).
#
# The simulated NIC discards every 7th frame at its PHY (discard=7: xstat rx_discards_phy, as
# mlx5 counts what imissed never sees) and keeps its extended statistics in clear-on-read
# registers that its driver totals without a lock (xstats_cor=1: two readers at once lose
# counts).  20000 probes at 5000/s while /feedcap/stats is asked over and over: the ring holds
# exactly the frames not discarded, the ring header (port and totals), the LOSS records and
# telemetry all say 2857 discards (floor(20000 / 7), counted from the probes' own indices),
# and frames + discards = the 20000 the wire carried (the NIC's rx_wire_packets).  Then
# frames over the default MTU: counted in the error stage under their PMD name, with a
# warning that names the counter and the mtu setting.
source "$FEEDCAP_TESTLIB/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/capture_common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/simnic_common.sh"
need_tools tshark python3 dpdk-telemetry.py

make_tmpdir tmp capxs
probes=20000
every=7
want=$((probes / every))

# tel PREFIX OUT: one /feedcap/stats answer (JSON) into OUT; false if none.
tel() {
	echo /feedcap/stats | timeout 5 dpdk-telemetry.py -f "$1" >"$2" 2>/dev/null &&
		grep -q '"port0"' "$2"
}

cap_ring ring a
eal=$(cap_eal a)
prefix=$(sed -n 's/.*--file-prefix \([^ ]*\).*/\1/p' <<<"$eal")
cap_start cpid "$tmp/a.log" -v --ring "$ring" --ring-size 16M --count $((probes - want)) \
	--duration 60 \
	--vdev "net_fcsim0,probe=$probes,probe_dst=239.7.7.7:7777,pps=5000,discard=$every,xstats_cor=1" \
	-- -d "$FEEDCAP_SIMNIC_PMD" $eal
# Ask telemetry while the capture runs (bounded: at most 200 answers, or until it exits).
asked=0
for ((i = 0; i < 200; i++)); do
	kill -0 "$cpid" 2>/dev/null || break
	tel "$prefix" "$tmp/tel.json" && cp "$tmp/tel.json" "$tmp/tel-last.json" && asked=$((asked + 1))
	sleep 0.05
done
rc=0
wait "$cpid" || rc=$?
expect_eq "$rc" 0 "feedcap-capture exit status"
((asked >= 10)) || fail "telemetry answered only $asked times while the capture ran"
log "telemetry asked $asked times during the run"
# The driver reports any second thread reading its clear-on-read statistics: none did.
grep -q "xstats_cor: extended statistics read by thread" "$tmp/a.log" &&
	fail "telemetry (or another thread) read the PMD's statistics: $(grep xstats_cor "$tmp/a.log")"
grep -q "drop counters among its extended statistics: .*rx_discards_phy (discard)" "$tmp/a.log" ||
	fail "the start-up log does not list rx_discards_phy as a discard: $(grep -i 'extended' "$tmp/a.log")"

"$CAPTOOL" counters "$ring" >"$tmp/counters.txt"
"$CAPTOOL" markers "$ring" >"$tmp/markers.txt"
val() { sed -n "s/^$1=//p" "$2"; }
expect_eq "$(val frames "$tmp/counters.txt")" $((probes - want)) "frames in the ring"
expect_eq "$(val port0_discards "$tmp/counters.txt")" "$want" "ring header: port 0 discards"
expect_eq "$(val nic_discards "$tmp/counters.txt")" "$want" "ring header: total discards"
expect_eq "$(val loss_discards "$tmp/markers.txt")" "$want" "discards in the LOSS records"
expect_eq "$(val port0_imissed "$tmp/counters.txt")" 0 "imissed (the discards are not in it)"
grep -q "discards $want;" "$tmp/a.log" || fail "the final line does not count $want discards: $(tail -1 "$tmp/a.log")"
# feedcap-stat and its Prometheus file count them as their own place of loss.
"$FEEDCAP_STAT" --ring "$ring" --no-follow --prom "$tmp/a.prom" >"$tmp/a.stat" 2>&1 ||
	fail "feedcap-stat: $(cat "$tmp/a.stat")"
grep -q "nic_discards $want " "$tmp/a.stat" || fail "feedcap-stat: $(grep losses "$tmp/a.stat")"
grep -q "^feedcap_loss_total{place=\"nic_discards\"} $want\$" "$tmp/a.prom" || fail "--prom: $(grep discards "$tmp/a.prom")"
grep -q "^feedcap_port_discards_total{port=\"net_fcsim0\"} $want\$" "$tmp/a.prom" || fail "--prom per port"
# ... and each PMD counter under its own name and stage, from the ring's NIC counter table.
grep -q "^feedcap_nic_drops_total{port=\"net_fcsim0\",stage=\"discard\",counter=\"rx_discards_phy\"} $want\$" "$tmp/a.prom" ||
	fail "--prom by PMD name: $(grep nic_drops "$tmp/a.prom")"
grep -q "^feedcap_nic_drops_total{port=\"net_fcsim0\",stage=\"filtered\",counter=\"rx_mc_filtered\"} 0\$" "$tmp/a.prom" ||
	fail "--prom: the filtered stage"
grep -q "nic drops of port net_fcsim0:  rx_discards_phy (discard) $want" "$tmp/a.stat" ||
	fail "feedcap-stat does not name the PMD counter: $(grep 'nic drops' "$tmp/a.stat")"

# Which probes are missing: exactly every 7th on the wire (indices 6, 13, ...), by the
# probes' own payload, not by any counter of ours.
"$CAPTOOL" topcap "$ring" "$tmp/a.pcap" >/dev/null
tshark -r "$tmp/a.pcap" -T fields -e data.data 2>/dev/null >"$tmp/payloads.txt"
python3 - "$tmp/payloads.txt" "$probes" "$every" <<'PY' || fail "the missing probes are not the discarded ones"
import struct, sys
got = set()
for line in open(sys.argv[1]):
    magic, real, ts, idx = struct.unpack("<8sQQQ", bytes.fromhex(line.strip()))
    got.add(idx)
n, k = int(sys.argv[2]), int(sys.argv[3])
missing = sorted(set(range(n)) - got)
expect = [i for i in range(n) if (i + 1) % k == 0]
print(f"probes missing from the ring: {len(missing)}; discarded by the NIC: {len(expect)}")
sys.exit(0 if missing == expect else 1)
PY

# Telemetry's last answer: the stage and the PMD's counter by name, frames + discards = wire.
python3 - "$tmp/tel-last.json" "$want" "$probes" <<'PY' || fail "telemetry: $(cat "$tmp/tel-last.json")"
import json, sys
d = json.load(open(sys.argv[1]))["/feedcap/stats"]
p, want, wire = d["port0"], int(sys.argv[2]), int(sys.argv[3])
ok = True
def check(cond, what):
    global ok
    print(("ok: " if cond else "FAIL: ") + what)
    ok = ok and cond
check("xstat_rx_discards_phy" in p and "stage_discard" in p, "per-port stage and PMD counter present")
check(p["xstat_rx_discards_phy"] == p["stage_discard"], "stage_discard = rx_discards_phy")
check(p["stage_discard"] <= want, f"discards so far ({p['stage_discard']}) <= {want}")
check("xstat_rx_wire_packets" not in p, "traffic counts are not drop counters")
check(p["xstat_rx_flow_dropped"] == 0 and p["stage_filtered"] == 0, "filtered stage kept apart (0)")
sys.exit(0 if ok else 1)
PY
tel_total() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["/feedcap/stats"]["discards"])' "$1"; }
log "discards in telemetry's last answer: $(tel_total "$tmp/tel-last.json") (final: $want)"

# Negative control: DPDK's own /ethdev/xstats does call the PMD from the telemetry thread, and
# the driver says so: the check above can fail.
cap_ring ringn n
ealn=$(cap_eal n)
prefn=$(sed -n 's/.*--file-prefix \([^ ]*\).*/\1/p' <<<"$ealn")
cap_start npid "$tmp/n.log" --ring "$ringn" --ring-size 16M --duration 30 \
	--vdev "net_fcsim0,probe=$probes,probe_dst=239.7.7.7:7777,pps=5000,discard=$every,xstats_cor=1" \
	-- -d "$FEEDCAP_SIMNIC_PMD" $ealn
# The control thread reads the statistics once a second: wait for its first read, then ask.
discards_seen() { (($(cap_counter "$1" nic_discards) > 0)); }
wait_until 10 discards_seen "$ringn" || fail "negative control: no discards counted"
echo /ethdev/xstats,0 | timeout 5 dpdk-telemetry.py -f "$prefn" >/dev/null 2>&1
wait_until 10 grep -q "xstats_cor: extended statistics read by thread" "$tmp/n.log" ||
	fail "negative control: DPDK's /ethdev/xstats read the PMD and the driver did not notice"
cap_stop "$npid"
log "negative control: $(grep -o 'xstats_cor: .*' "$tmp/n.log" | head -1)"

# 2. Frames over the default MTU: the error stage, the PMD's name, and the mtu hint.
input=$FEEDCAP_TESTDATA/oddframes.pcap
big=$(tshark -r "$input" -Y 'frame.len > 1522' -T fields -e frame.number 2>/dev/null | wc -l)
cap_ring ring2 b
"$FEEDCAP_CAPTURE" --ring "$ring2" --ring-size 16M --duration 3 \
	--vdev "net_fcsim0,rx_pcap=$input,mtu_drop=1" -- -d "$FEEDCAP_SIMNIC_PMD" $(cap_eal b) \
	>"$tmp/b.log" 2>&1 || { cat "$tmp/b.log" >&2; fail "capture of the odd frames failed"; }
grep -q "port net_fcsim0: $big frames longer than the MTU (1500) dropped by the NIC (rx_oversize_packets): if the feed carries such frames, set mtu = 9000 (--mtu 9000)" "$tmp/b.log" ||
	fail "no mtu hint naming the counter: $(grep -i mtu "$tmp/b.log")"
"$CAPTOOL" counters "$ring2" >"$tmp/c2.txt"
expect_eq "$(val port0_ierrors "$tmp/c2.txt")" "$big" "ierrors: frames over the MTU (tshark: frame.len > 1522)"
pass "$want discards counted exactly by stage and name under $asked telemetry reads; MTU drops named"
