#!/bin/bash
# capture_numa: memory on the poller's node, read back (issue 16, item 4).
#
# feedcap-capture faults its ring in under a policy preferring the poller CPU's node and puts
# its mbuf pool there, then says where they really are (move_pages).  The oracle is the
# kernel's own account, /proc/PID/numa_maps: every page of the ring file's mapping and of
# DPDK's memory segments on that node, the same node the log names and sysfs gives the CPU.
# --check-host lists the NUMA rows (poller, ring - read back from the existing ring file -
# mbuf pool) and the cpu-partitioning checks, each WARN with its fix.  This host has one node:
# what two nodes change is covered by test_capture's fake hosts (capture_numa, capture_host).
source "$FEEDCAP_TESTLIB/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/capture_common.sh"
need_tools python3

make_tmpdir tmp capnuma
poller=1
node=$(basename "$(ls -d /sys/devices/system/cpu/cpu$poller/node[0-9]* | head -1)")
node=${node#node}
[[ $node =~ ^[0-9]+$ ]] || skip "no NUMA node in sysfs for CPU $poller"

cap_ring ring n
cap_start cpid "$tmp/n.log" -v --ring "$ring" --ring-size 32M --lcores 0,$poller --vdev net_null0 \
	--duration 30 -- $(cap_eal n)
line=$(grep "NUMA: poller CPU" "$tmp/n.log") || fail "no NUMA line: $(cat "$tmp/n.log")"
log "$line"
[[ $line == *"poller CPU $poller on node $node; ring on node $node ("*" pages sampled); mbuf pool on node $node"* ]] ||
	fail "the log does not put everything on node $node: $line"
grep -q "NUMA: everything the poller touches is on its node $node" "$tmp/n.log" || fail "no all-clear line"
grep -q "warning: the ring is on node\|warning: the mbuf pool is on node" "$tmp/n.log" && fail "a NUMA warning"

# The kernel's account: the ring file's pages, and DPDK's memory segments (memfd, --in-memory).
cp "/proc/$cpid/numa_maps" "$tmp/numa_maps"
python3 - "$tmp/numa_maps" "$(realpath "$ring")" "$node" <<'PY' || fail "numa_maps (see above)"
import re, sys
maps, ring, node = open(sys.argv[1]).read().splitlines(), sys.argv[2], sys.argv[3]
ok = True
def pages(line):
    return {int(k): int(v) for k, v in re.findall(r" N(\d+)=(\d+)", line)}
r = [l for l in maps if f"file={ring} " in l]
seg = [l for l in maps if "memfd:seg_" in l]
def check(cond, what):
    global ok
    print(("ok: " if cond else "FAIL: ") + what)
    ok = ok and cond
check(len(r) == 1, f"the ring mapped once: {r}")
if r:
    p = pages(r[0])
    check(set(p) == {int(node)}, f"ring pages by node: {p} (all on node {node})")
    check(sum(p.values()) == 17, f"{sum(p.values())} pages: 32 MiB of data + the 2 MiB header, all faulted in")
check(len(seg) > 0, f"{len(seg)} DPDK memory segments")
check(all(set(pages(l)) <= {int(node)} for l in seg), f"DPDK's memory on node {node} only")
sys.exit(0 if ok else 1)
PY

# --check-host while the ring exists: read back from the file, on the poller's node.
"$FEEDCAP_CAPTURE" --check-host --ring "$ring" --lcores 0,$poller >"$tmp/check.txt" 2>&1 || true
cat "$tmp/check.txt"
grep -Eq "^numa_poller +ok +CPU $poller on node $node" "$tmp/check.txt" || fail "no numa_poller row"
grep -Eq "^numa_ring +ok +node $node \([0-9]+ of [0-9]+ pages sampled\)" "$tmp/check.txt" ||
	fail "no numa_ring row read back from the ring"
grep -Eq "^numa_mbufs +ok +allocated at start on node $node" "$tmp/check.txt" || fail "no numa_mbufs row"
for k in irq_affinity irqbalance nmi_watchdog numa_balancing stat_interval cstates swap; do
	grep -Eq "^$k +(ok|WARN) " "$tmp/check.txt" || fail "no $k row"
done
# Every WARN row says what to do.
awk '$2 == "WARN" && NF < 5 {print; bad = 1} END {exit bad}' "$tmp/check.txt" || fail "a WARN row without its fix"
cap_stop "$cpid"
pass "ring and mbuf pool on the poller's node $node by the kernel's account; --check-host reads them back"
