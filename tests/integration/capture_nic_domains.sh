#!/bin/bash
# capture_nic_domains: NIC timestamps right or refused (issue 16, item 1), on the simulated
# NIC's three kinds of clock and two kinds of broken clock.  Each probe frame carries the
# CLOCK_REALTIME and the RX stamp the NIC gave it (tests/simnic); capture-testtool probes lists
# them with each record's time and flags.  The oracle for every case: a record flagged NIC is
# within the bound of the probe's CLOCK_REALTIME; a refused NIC time is flagged
# RINGSHM_F_TS_FALLBACK (0x100) and timed by the TSC instead, never silently wrong.
#   counter   free-running ticks, 80 ppm fast, through the fitted model (mlx5 default)
#   ns        real-time ns in the stamps, free-running ticks from read_clock (mlx5 real-time)
#   host      real-time ns in the stamps, host time from read_clock (newer ice)
#   drift     real-time ns from a PHC nobody disciplines, 300 ppm fast: refused once off
#   fitjump   free-running ticks stepped -5 ms while the capture fits its first model: caught
#             before the poller starts, every record NIC-timed and right
#   jump      free-running ticks stepped +5 ms 1.5 s in: refused until the model is fitted
#             again, then NIC times again
#   tai       a PHC on TAI (37 s ahead) and no ptp4l to give the offset: refused throughout
source "$FEEDCAP_TESTLIB/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/capture_common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/simnic_common.sh"
need_tools python3 tshark

make_tmpdir tmp capdom
pps=2000

# dom_case TAG PROBES DEVARGS EXPECT: capture PROBES probes; EXPECT names the check (below).
dom_case() {
	local tag=$1 probes=$2 dev=$3 expect=$4 ring rc=0
	log "$tag: $dev"
	cap_ring ring "$tag"
	"$FEEDCAP_CAPTURE" -v --ring "$ring" --ring-size 16M --count "$probes" --duration 30 \
		--vdev "net_fcsim0,probe=$probes,probe_dst=239.7.7.7:7777,pps=$pps,$dev" \
		-- -d "$FEEDCAP_SIMNIC_PMD" $(cap_eal "$tag") >"$tmp/$tag.log" 2>&1 || rc=$?
	expect_eq "$rc" 0 "$tag: feedcap-capture exit status"
	echo "ring=$ring" >"$tmp/$tag.ring"
	"$CAPTOOL" probes "$ring" >"$tmp/$tag.probes"
	"$CAPTOOL" counters "$ring" >"$tmp/$tag.counters"
	python3 - "$tmp/$tag.probes" "$tmp/$tag.counters" "$probes" "$expect" <<'PY' ||
import sys
rows = [tuple(int(x) for x in l.split()) for l in open(sys.argv[1]) if l.strip()]
kv = dict(l.strip().split("=", 1) for l in open(sys.argv[2]) if "=" in l)
probes, expect = int(sys.argv[3]), sys.argv[4]
NIC, TSC, FALLBACK = 2, 1, 0x100
ok = True
def check(cond, what):
    global ok
    print(("ok: " if cond else "FAIL: ") + what)
    ok = ok and cond
check(len(rows) == probes and [r[0] for r in rows] == list(range(probes)), f"{probes} probes in order")
nic = [r for r in rows if r[2] & 7 == NIC]
fb = [r for r in rows if r[2] & FALLBACK]
check(all(r[2] & 7 == TSC for r in fb), "refused records are timed by the TSC")
check(len(nic) + len(fb) == len(rows), "every record NIC-timed or refused")
# The bound a record flagged NIC keeps against the probe's CLOCK_REALTIME: the capture's
# check allows 50 us ahead of the burst's TSC time, itself a little after the delivery (100
# us here for a preempted poller); a clock that is right is good to a few us.
err = [r[1] - r[3] for r in nic]
worst = max((abs(e) for e in err), default=0)
check(worst <= 150000, f"every NIC-timed record within 150 us of CLOCK_REALTIME (worst {worst} ns, {len(nic)} records)")
if expect in ("counter", "ns", "host"):
    check(worst <= 20000, f"a right clock: within 20 us (worst {worst} ns)")
fb_err = max((abs(r[1] - r[3]) for r in fb), default=0)
check(fb_err <= 5000000, f"refused records' TSC times within 5 ms (worst {fb_err} ns, {len(fb)} records)")
check(int(kv["ts_fallback"]) == len(fb), f"ring header ts_fallback = {len(fb)} refused records")
dom = int(kv["port0_ts_domain"])
if expect == "counter":
    check(not fb and dom == 1, f"all NIC-timed, domain counter (1): {dom}")
elif expect in ("ns", "host"):
    check(not fb and dom == 2, f"all NIC-timed, domain real-time (2): {dom}")
    check(all(r[1] == r[4] for r in nic), "the stamps used as they are (no model)")
elif expect == "drift":
    check(len(fb) > probes // 2, f"most refused once the PHC drifted off: {len(fb)}")
    check(kv["port0_ts_refusing"] == "1", "still refusing at the end")
elif expect == "jump":
    phases = []
    for r in rows:
        p = "fb" if r[2] & FALLBACK else "nic"
        if not phases or phases[-1] != p:
            phases.append(p)
    check(phases == ["nic", "fb", "nic"], f"NIC, refused after the jump, NIC again: {phases}")
    first_fb = next(r[0] for r in rows if r[2] & FALLBACK)
    check(abs(first_fb - 3000) <= 10, f"refused from the jump on (probe {first_fb}, jump at probe 3000)")
    check(len(fb) / 2000 <= 2.5, f"NIC times back within 2.5 s ({len(fb) / 2000:.2f} s)")
    check(dom == 1 and kv["port0_ts_refusing"] == "0", f"domain counter, not refusing at the end")
elif expect == "tai":
    check(not nic and dom == 3, f"every record refused, domain unusable (3): {dom}")
sys.exit(0 if ok else 1)
PY
		{ grep -v '^EAL' "$tmp/$tag.log" | tail -20 >&2; fail "$tag: see above"; }
	[[ $tag == drift ]] || rm -f "$ring" "$ring".* # hugepages are shared: one ring at a time
}

dom_case counter 3000 "ppm=80" counter
grep -q "port net_fcsim0: NIC timestamps are free-running counter" "$tmp/counter.log" || fail "counter: domain not logged"
dom_case ns 3000 "ts_format=ns" ns
grep -q "port net_fcsim0: NIC timestamps are real-time ns" "$tmp/ns.log" || fail "ns: domain not logged"
dom_case host 3000 "clock=host" host
dom_case drift 6000 "ts_format=ns,ppm=300" drift
grep -q "port net_fcsim0: NIC times disagree with the TSC beyond the bound" "$tmp/drift.log" ||
	fail "drift: the refusal is not logged"
# The flag reaches archives: pcapng epb_flags bit 15, which tshark filters on.
"$FEEDCAP_DUMP" --ring "$(sed -n 's/^ring=//p' "$tmp/drift.ring")" --from oldest --no-follow -F pcapng \
	-w "$tmp/drift.pcapng" >"$tmp/drift.dump" 2>&1 || fail "drift: feedcap-dump: $(cat "$tmp/drift.dump")"
expect_eq "$(tshark -r "$tmp/drift.pcapng" -Y 'frame.packet_flags & 0x8000' 2>/dev/null | wc -l)" \
	"$(sed -n 's/^ts_fallback=//p' "$tmp/drift.counters")" "drift: refused frames flagged in the pcapng (tshark)"
rm -f "$(sed -n 's/^ring=//p' "$tmp/drift.ring")"*

# fitjump: the clock steps back 5 ms at the 19th read_clock, inside the first model's fit (two
# reads when the port is set up, then brackets of eight: the third bracket).  A model fitted
# through the step has a rate a third off, and the poller lets through its times (up to 1 ms
# wrong, flagged NIC) until the next second's bracket; the capture confirms its first model
# 20 ms on (docs/timing.md), so it catches the step and fits again before the poller starts.
# Should the capture read its clock another way, the step lands elsewhere and the log checks
# below say so.
dom_case fitjump 3000 "jump=0:-5000000,jump_read=19" counter
awk '/port net_fcsim0: the NIC clock jumped while its first model was being fitted/ { j = NR }
	/capturing 1 port/ { c = NR } END { exit !(j && c && j < c) }' "$tmp/fitjump.log" ||
	fail "fitjump: the step is not logged before the capture starts: $(grep -E 'jumped|capturing' "$tmp/fitjump.log")"
mhz=$(sed -n 's/.*port net_fcsim0: NIC clock \([0-9.]*\) MHz$/\1/p' "$tmp/fitjump.log")
awk -v v="$mhz" 'BEGIN { exit !(v > 156.25 * (1 - 1e-4) && v < 156.25 * (1 + 1e-4)) }' ||
	fail "fitjump: the capture started with a model of ${mhz:-?} MHz, not 156.25 MHz"
echo "ok: fitjump: the step caught and logged before the capture started, model $mhz MHz"

dom_case jump 8000 "jump=1500:5000000" jump
grep -q "port net_fcsim0: the NIC clock jumped by +5\.[0-9]* ms" "$tmp/jump.log" || fail "jump: not logged"
grep -q "port net_fcsim0: NIC times agree with the TSC again (free-running counter): in use" "$tmp/jump.log" ||
	fail "jump: the return is not logged"
dom_case tai 2000 "ts_format=ns,jump=0:37000000000" tai
pass "NIC times right (counter, real-time ns, host clock, a step caught during the first fit) or refused and flagged (drift, jump, TAI without ptp4l)"
