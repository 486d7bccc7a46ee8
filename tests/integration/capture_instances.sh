#!/bin/bash
# capture_instances: several feedcap-capture instances on one host (issue 16, item 7).
#
# Two captures run at once, each into its own ring, with no EAL option about prefixes or
# memory given: each takes an EAL file prefix of its own from its ring, backs DPDK memory with
# hugepages that have no file (--in-memory: no PREFIXmap_N files in any hugetlbfs mount, while
# it runs or after), and removes its runtime directory at exit.  The ring a bounded run filled
# holds every frame of the input (libpcap, through capture-testtool cmp, and capinfos are the
# oracles).  Then failed EAL starts: a prefix whose config lock another primary holds, and an
# EAL option the EAL refuses: each names the real cause (never "Success"), exits 1 or 2, and
# leaves no ring file.
source "$FEEDCAP_TESTLIB/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/capture_common.sh"
need_tools capinfos

make_tmpdir tmp capinst
input=$FEEDCAP_TESTDATA/marketdata.pcap
total=$(capinfos -c -M -T "$input" | awk -F'\t' 'NR==2 {print $2}')
((total > 100)) || fail "input has only $total frames"

# Hugepage-file names of an EAL prefix, in every hugetlbfs mount.
huge_files() {
	local m
	awk '$3 == "hugetlbfs" {print $2}' /proc/mounts | while read -r m; do
		find "$m" -maxdepth 1 -name "$1map_*" 2>/dev/null
	done
}
# The prefix a capture announced (-v).
prefix_of() { sed -n 's/.*EAL file prefix \([^ ]*\) .*/\1/p' "$1" | head -1; }
# Bytes of hugepage-backed (2 MiB) memfd segments DPDK maps in process $1.
memfd_huge_kb() {
	awk '/memfd:seg_/ {seg = 1; next} /^[0-9a-f]+-/ {seg = 0}
		seg && /^KernelPageSize:/ && $2 == 2048 {n++} END {print n + 0}' "/proc/$1/smaps"
}
counter_grows() {
	local a b
	a=$(cap_counter "$1" frames)
	sleep 0.2
	b=$(cap_counter "$1" frames)
	((b > a))
}

# 1. A: endless (net_null), poller on CPU 1.  B, started while A runs: the file once, poller
#    on CPU 0.  Neither gets --file-prefix or --in-memory.
cap_ring ra a
cap_ring rb b
cap_start pa "$tmp/a.log" -v --ring "$ra" --ring-size 16M --lcores 0,1 \
	--vdev net_null0 -- --no-pci -m 256
prefa=$(prefix_of "$tmp/a.log")
[[ $prefa == feedcap-* ]] || fail "capture A announced no feedcap EAL prefix: $(cat "$tmp/a.log")"
[[ -d /var/run/dpdk/$prefa ]] || fail "no runtime directory /var/run/dpdk/$prefa while A runs"
at_exit rm -rf "/var/run/dpdk/$prefa"
cap_start pb "$tmp/b.log" -v --ring "$rb" --ring-size 16M --lcores 1,0 \
	--vdev "net_pcap1,rx_pcap=$input" --count "$total" --duration 60 -- --no-pci -m 256
prefb=$(prefix_of "$tmp/b.log")
at_exit rm -rf "/var/run/dpdk/$prefb"
[[ $prefb == feedcap-* && $prefb != "$prefa" ]] ||
	fail "captures A and B share or lack a prefix: \"$prefa\" and \"$prefb\""
grep -q "Cannot create lock\|Success" "$tmp/a.log" "$tmp/b.log" && fail "an EAL lock conflict"
# Both at once: A keeps capturing while B runs, and both map DPDK memory from hugepages.
kill -0 "$pa" || fail "capture A died when B started: $(cat "$tmp/a.log")"
wait_until 10 counter_grows "$ra" || fail "capture A does not capture while B runs"
((($(memfd_huge_kb "$pa")) > 0)) || fail "capture A maps no hugepage-backed DPDK memory"
[[ -z $(huge_files "$prefa") && -z $(huge_files "$prefb") ]] ||
	fail "hugepage files while running: $(huge_files "$prefa") $(huge_files "$prefb")"
log "A ($prefa) and B ($prefb) run at once; no ${prefa}map_* or ${prefb}map_* files"

# B stops by itself after the file; its ring holds it frame for frame.
rc=0
wait "$pb" || rc=$?
expect_eq "$rc" 0 "capture B exit status"
grep -q "captured $total frames" "$tmp/b.log" || fail "B did not capture $total frames: $(cat "$tmp/b.log")"
"$CAPTOOL" cmp "$rb" "$input" | tee "$tmp/cmpb.txt" | tail -1
grep -q "compared $total frames, 0 mismatches" "$tmp/cmpb.txt" || fail "ring B differs from the input"
"$CAPTOOL" topcap "$rb" "$tmp/b.pcap" >/dev/null
expect_eq "$(capinfos -c -M -T "$tmp/b.pcap" | awk -F'\t' 'NR==2 {print $2}')" "$total" \
	"frames in ring B (capinfos)"
kill -0 "$pa" || fail "capture A died when B stopped"
wait_until 10 counter_grows "$ra" || fail "capture A stopped capturing when B exited"
cap_stop "$pa"
((($(cap_counter "$ra" frames)) >= total)) || fail "ring A holds fewer frames than one pass"

# Nothing left behind by either: no hugepage files, no runtime directory.
for p in "$prefa" "$prefb"; do
	[[ -z $(huge_files "$p") ]] || fail "left behind: $(huge_files "$p")"
	[[ ! -e /var/run/dpdk/$p ]] || fail "left behind: /var/run/dpdk/$p ($(ls -A "/var/run/dpdk/$p"))"
done
log "after both: no hugepage files, no runtime directories"

# 2. A failed EAL start names the cause and creates no ring.  C holds the config lock of a
#    prefix (a shared config: the user chose the prefix and --huge-unlink=never, so feedcap
#    adds neither); D asks for the same prefix.  C is also the negative control of
#    huge_files: DPDK's default memory mode leaves SHAREDmap_N files in the mount.
shared=fcinst$$
at_exit rm -rf "/var/run/dpdk/$shared"
_rm_shared_maps() { huge_files "$shared" | xargs -r rm -f; }
at_exit _rm_shared_maps
cap_ring rc c
cap_ring rd d
cap_start pc "$tmp/c.log" --ring "$rc" --ring-size 16M --lcores 0,1 \
	--vdev net_null2 -- --no-pci -m 256 --file-prefix "$shared" --huge-unlink=never
[[ -n $(huge_files "$shared") ]] ||
	fail "negative control: no ${shared}map_* files under DPDK's default memory mode"
rc=0
"$FEEDCAP_CAPTURE" --ring "$rd" --ring-size 16M --lcores 1,0 --vdev "net_pcap3,rx_pcap=$input" \
	--duration 5 -- --no-pci -m 256 --file-prefix "$shared" --huge-unlink=never >"$tmp/d.log" 2>&1 ||
	rc=$?
expect_eq "$rc" 1 "exit status of a capture whose EAL prefix is locked"
grep -q "DPDK EAL initialisation failed: Cannot create lock on '/var/run/dpdk/$shared/config'.*EAL file prefix" "$tmp/d.log" ||
	fail "the lock conflict is not named: $(cat "$tmp/d.log")"
grep -q "failed: Success" "$tmp/d.log" && fail "\"Success\" as the reason: $(cat "$tmp/d.log")"
[[ ! -e $rd && ! -e $rd.readers ]] || fail "the failed start left ring $rd behind"
kill -0 "$pc" || fail "capture C died when D failed"
cap_stop "$pc"

# An EAL option the EAL refuses: usage (2), the EAL's own words, no ring.
rc=0
"$FEEDCAP_CAPTURE" --ring "$rd" --ring-size 16M --vdev "net_pcap3,rx_pcap=$input" \
	--duration 5 -- --no-pci -m 256 --no-such-eal-option >"$tmp/e.log" 2>&1 || rc=$?
expect_eq "$rc" 2 "exit status with an EAL option the EAL refuses"
grep -q "DPDK EAL initialisation failed: .*[a-z]" "$tmp/e.log" || fail "no reason: $(cat "$tmp/e.log")"
grep -q "failed: Success" "$tmp/e.log" && fail "\"Success\" as the reason: $(cat "$tmp/e.log")"
[[ ! -e $rd ]] || fail "the refused start left ring $rd behind"
pass "two captures at once with their own EAL prefixes, nothing left behind; EAL failures named"
