#!/bin/bash
# scripts/demo, run on this build (no install, no rebuild): with the capture and reader tools
# built, the bundled capture goes through DPDK, the ring, a zstd archive and back, and the
# summary says every frame is identical and nothing was dropped; checked here again with
# capinfos, zstd and tshark, not just taken from the summary.  Without those tools, the demo
# names each missing step, produces no archive and exits 0: it never fakes a step.
source "$FEEDCAP_TESTLIB/common.sh"
need_root
need_env FEEDCAP_BUILD FEEDCAP_SRC FEEDCAP_TESTDATA
need_tools capinfos tshark zstd
make_tmpdir tmp demo
out=$tmp/out

set +e
FEEDCAP_DEMO_SKIP_DEPS=1 FEEDCAP_DEMO_SKIP_BUILD=1 FEEDCAP_BUILD_DIR=$FEEDCAP_BUILD \
	FEEDCAP_DEMO_RING="fdemo$$" "$FEEDCAP_SRC/scripts/demo" "$out" >"$tmp/demo.log" 2>&1
rc=$?
set -e
cat "$tmp/demo.log"
expect_eq "$rc" 0 "demo exit status"
[[ -s $out/summary.txt ]] || fail "no $out/summary.txt"
ls /dev/hugepages/*fdemo$$* 2>/dev/null && fail "the demo left its ring on /dev/hugepages"

if [[ -z ${FEEDCAP_CAPTURE:-} || -z ${FEEDCAP_DUMP:-} || -z ${FEEDCAP_REPLAY:-} ]]; then
	for t in capture dump replay; do
		var=FEEDCAP_${t^^}
		if [[ -z ${!var:-} ]]; then
			grep -q "feedcap-$t: not available yet" "$tmp/demo.log" ||
				fail "feedcap-$t is not built but the demo does not say so"
		fi
	done
	[[ ! -e $out/marketdata.pcapng.zst ]] || fail "an archive exists although a tool is missing"
	[[ ! -e $out/replayed.pcap ]] || fail "a replayed pcap exists although a tool is missing"
	pass "with tools missing, the demo says which and fakes nothing"
	exit 0
fi

in=$FEEDCAP_TESTDATA/marketdata.pcap
grep -q '^identical every frame' "$out/summary.txt" || fail "summary does not report identical frames"
grep -q '^drops     0 frames' "$out/summary.txt" || fail "summary reports drops"
zstd -q -t "$out/marketdata.pcapng.zst" || fail "zstd -t rejects the archive"
expect_eq "$(zstd -dc "$out/marketdata.pcapng.zst" | capinfos -T -r -c - 2>/dev/null | cut -f2)" \
	"$(capinfos -T -r -c "$in" | cut -f2)" "frames in the archive"
expect_eq "$(capinfos -T -r -c "$out/replayed.pcap" | cut -f2)" \
	"$(capinfos -T -r -c "$in" | cut -f2)" "frames in the replayed pcap"
md5s() { tshark -Q -o frame.generate_md5_hash:TRUE -r "$1" -T fields -e frame.md5_hash 2>/dev/null; }
cmp -s <(md5s "$in") <(md5s "$out/replayed.pcap") || fail "replayed frames differ from the input"
# the summary's timestamp line is tshark's reading of epb_flags: net_pcap stamps in microseconds
grep -q '^timestamps 20000 frames PMD-microseconds' "$out/summary.txt" ||
	fail "summary: timestamp quality from epb_flags: $(grep '^timestamps' "$out/summary.txt")"
pass "demo: input -> DPDK -> ring -> zstd archive -> replay, every frame identical"
