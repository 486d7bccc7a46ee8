#!/bin/bash
# capture_nicclock: feedcap-capture --timestamp nic on the simulated NIC (tests/simnic), whose
# clock runs at 156.25 MHz with an 80 ppm rate error (then at 1 GHz, -120.5 ppm, wrapping past
# 2^64 during the run) and stamps every frame in its ticks.  Each
# probe frame carries CLOCK_REALTIME and the ticks read when it was delivered: every record is
# flagged as NIC-timed, and its timestamp (ticks through feedcap's fitted model) is within a
# few microseconds of that CLOCK_REALTIME -- a bound the run shows would fail were the 80 ppm
# ignored.  Then ts=0 (no timestamp offload): --timestamp nic refuses the port by name (exit 2),
# --timestamp auto falls back to the TSC.
source "$FEEDCAP_TESTLIB/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/capture_common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/simnic_common.sh"
need_tools tshark python3

make_tmpdir tmp capnic
pps=500
bound_ns=${CAPTURE_NICCLOCK_BOUND_NS:-20000} # measured: under 1 us when idle

# nic_case TAG PROBES HZ PPM WRAP [DEVARGS]: feedcap-capture --timestamp nic on PROBES probes
# (at 500/s) from a NIC clock of HZ ticks/s, PPM off, and every check on the result; WRAP 1:
# the probes' ticks must wrap past 2^64 during the run.
nic_case() {
	local tag=$1 probes=$2 hz=$3 ppm=$4 wrap=$5 extra=${6:-} ring mhz
	local dev="net_fcsim0,probe=$probes,probe_dst=239.7.7.7:7777,pps=$pps,ppm=$ppm,clock_hz=$hz$extra"

	log "$tag: $probes probes, clock $hz Hz, $ppm ppm${extra:+, ${extra#,}}"
	cap_ring ring "$tag"
	"$FEEDCAP_CAPTURE" -v --ring "$ring" --ring-size 64M --vdev "$dev" --timestamp nic \
		--count "$probes" --duration 60 -- -d "$FEEDCAP_SIMNIC_PMD" $(cap_eal "$tag") \
		>"$tmp/$tag.log" 2>&1 || { cat "$tmp/$tag.log" >&2; fail "feedcap-capture --timestamp nic failed"; }
	grep -q "captured $probes frames" "$tmp/$tag.log" ||
		{ cat "$tmp/$tag.log" >&2; fail "not every probe captured"; }
	grep -q "net_fcsim0 (net_fcsim): 1 RX queue(s) .*, timestamps nic-clock" "$tmp/$tag.log" ||
		{ cat "$tmp/$tag.log" >&2; fail "the port is not timed by its NIC clock"; }
	expect_eq "$(cap_counter "$ring" port0_ts_source)" 2 "port 0 timestamp source (NIC clock)"
	"$CAPTOOL" clock "$ring" >"$tmp/$tag.clock"
	expect_eq "$(sed -n 's/^frames_src_nic=//p' "$tmp/$tag.clock")" "$probes" "frames flagged NIC-timed"
	"$CAPTOOL" topcap "$ring" "$tmp/$tag.pcap" >/dev/null
	tshark -r "$tmp/$tag.pcap" -T fields -e frame.time_epoch -e udp.dstport -e data.data \
		>"$tmp/$tag.txt" 2>/dev/null
	# The capture's own estimate of the clock rate, from its log: "NIC clock 156.262533 MHz".
	mhz=$(sed -n 's/.*port net_fcsim0: NIC clock \([0-9.]*\) MHz.*/\1/p' "$tmp/$tag.log")
	[[ -n $mhz ]] || { cat "$tmp/$tag.log" >&2; fail "no NIC clock rate in the log"; }
	python3 - "$tmp/$tag.txt" "$probes" "$bound_ns" "$hz" "$ppm" "$mhz" "$wrap" <<'EOF' ||
import struct, sys
path, probes, bound, hz, ppm, mhz, wrap = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), sys.argv[7] == "1"
rows = []
for line in open(path):
    t, port, data = line.split()
    sec, frac = t.split(".")
    rec = int(sec) * 10**9 + int(frac.ljust(9, "0"))
    magic, real, ticks, idx = struct.unpack("<8sQQQ", bytes.fromhex(data))
    if port != "7777" or magic != b"FCSIMTS\0":
        sys.exit(f"record {len(rows)}: not a probe frame (port {port}, magic {magic!r})")
    rows.append((idx, rec, real, ticks))
ok = True
def check(cond, what):
    global ok
    print(("ok: " if cond else "FAIL: ") + what)
    ok = ok and cond
check([r[0] for r in rows] == list(range(probes)), f"{probes} probes, in order, none twice")
if wrap:
    check(any(b[3] < a[3] for a, b in zip(rows, rows[1:])), "the NIC clock wrapped past 2^64 during the run")
err = [rec - real for _, rec, real, _ in rows]
worst = max(err, key=abs)
print(f"record ts - CLOCK_REALTIME at delivery: min {min(err)} ns, max {max(err)} ns, "
      f"mean {sum(err) / len(err):.0f} ns")
check(abs(worst) < bound, f"every |record ts - CLOCK_REALTIME| < {bound} ns (worst {worst} ns)")
# The probes alone say how fast the NIC clock runs against CLOCK_REALTIME (no feedcap code):
# the capture's fitted rate must agree with it, and it must be the configured ppm off.  Tick
# differences are modulo 2^64: a 64-bit counter may wrap.
(_, _, r0, t0), (_, _, r1, t1) = rows[0], rows[-1]
span = (r1 - r0) / 1e9
rate = ((t1 - t0) % 2**64) / span
check(abs(rate / hz - 1 - ppm / 1e6) < 20e-6,
      f"NIC clock by the probes: {rate / 1e6:.6f} MHz, {(rate / hz - 1) * 1e6:.2f} ppm off "
      f"(configured {ppm} ppm, the system clock's own correction allowed 20 ppm)")
# The logged rate is feedcap's first model, fitted over its first ~30 ms of clock reads (three
# brackets 5 ms apart, and the one 20 ms later that confirmed it).
check(abs(mhz * 1e6 / rate - 1) < 5e-6, f"feedcap's first fitted rate {mhz} MHz within 5 ppm of that")
# Negative control: the same ticks through the nominal rate (ppm ignored), anchored at the
# first probe, must break the bound over this run, or the bound proves nothing.
nominal = [r0 + ((t - t0) % 2**64) * 1e9 / hz - real for _, _, real, t in rows]
worst_nominal = max(abs(e) for e in nominal)
check(worst_nominal > bound,
      f"ignoring the {ppm} ppm would be off by up to {worst_nominal / 1e3:.0f} us over {span:.1f} s "
      f"(> the bound)")
sys.exit(0 if ok else 1)
EOF
		fail "timestamps (see above)"
}

# 1. A 156.25 MHz clock 80 ppm fast: 3000 probes, about 6 s (ignoring the ppm: 480 us off).
nic_case a 3000 156250000 80 0
# 2. A 1 GHz clock 120.5 ppm slow that wraps past 2^64 about 1 s into the run.
nic_case w 2000 1000000000 -120.5 1 ",clock_start=18446744072709551616"

# 2. ts=0: the port offers no timestamp.  --timestamp nic refuses it by name, as bad usage.
rc=0
dev="net_fcsim0,probe=200,probe_dst=239.7.7.7:7777,ts=0"
cap_ring ring2 nots
"$FEEDCAP_CAPTURE" --ring "$ring2" --ring-size 64M --vdev "$dev" --timestamp nic \
	--count 10 --duration 20 -- -d "$FEEDCAP_SIMNIC_PMD" $(cap_eal b) >"$tmp/b.log" 2>&1 || rc=$?
expect_eq "$rc" 2 "exit status of --timestamp nic on a port without timestamps"
grep -q "port net_fcsim0 (net_fcsim): --timestamp nic" "$tmp/b.log" ||
	{ cat "$tmp/b.log" >&2; fail "the refusal does not name the port"; }
echo "ok: refused: $(grep -o 'port net_fcsim0.*' "$tmp/b.log" | head -1)"

# 3. ts=0 with --timestamp auto: captured, timed by the TSC.
cap_ring ring3 auto
"$FEEDCAP_CAPTURE" --ring "$ring3" --ring-size 64M --vdev "$dev" \
	--timestamp auto --count 200 --duration 30 -- -d "$FEEDCAP_SIMNIC_PMD" $(cap_eal c) \
	>"$tmp/c.log" 2>&1 || { cat "$tmp/c.log" >&2; fail "--timestamp auto on ts=0 failed"; }
"$CAPTOOL" clock "$ring3" >"$tmp/clock3.txt"
expect_eq "$(sed -n 's/^frames_src_tsc=//p' "$tmp/clock3.txt")" 200 "frames timed by the TSC (ts=0, auto)"
expect_eq "$(cap_counter "$ring3" port0_ts_source)" 1 "port 0 timestamp source (TSC)"
pass "NIC clock timestamps within ${bound_ns} ns of CLOCK_REALTIME (80 ppm fast at 156.25 MHz; -120.5 ppm at 1 GHz through a wrap); ts=0 refused by nic, TSC by auto"
