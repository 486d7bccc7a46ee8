#!/bin/bash
# The bundled captures are exactly what tests/data/regenerate makes, and standard tools read
# them: capinfos gives the frame counts, tshark decodes the MoldUDP64 sequence numbers, which
# run without a hole except for the losses marketdata.gaps lists.
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_GENDATA FEEDCAP_TESTDATA
need_tools capinfos tshark cmp python3

make_tmpdir tmp gendata
"$FEEDCAP_TESTDATA/regenerate" "$FEEDCAP_GENDATA" "$tmp"
for f in marketdata.pcap marketdata.gaps oddframes.pcap; do
	cmp "$FEEDCAP_TESTDATA/$f" "$tmp/$f" ||
		fail "$f differs from what tests/data/regenerate makes now: regenerate and commit it, or fix the generator's determinism"
done
pass "bundled captures regenerate byte for byte"

expect_eq "$(capinfos -T -r -c "$FEEDCAP_TESTDATA/marketdata.pcap" | cut -f2)" 20000 \
	"capinfos frame count of marketdata.pcap"
expect_eq "$(capinfos -T -r -c "$FEEDCAP_TESTDATA/oddframes.pcap" | cut -f2)" 3000 \
	"capinfos frame count of oddframes.pcap"

# Another seed gives other bytes; the same seed twice gives the same bytes (stdout path too).
"$FEEDCAP_GENDATA" -w - --seed 7 --count 500 >"$tmp/s7a.pcap"
"$FEEDCAP_GENDATA" -w "$tmp/s7b.pcap" --seed 7 --count 500
"$FEEDCAP_GENDATA" -w "$tmp/s8.pcap" --seed 8 --count 500
cmp -s "$tmp/s7a.pcap" "$tmp/s7b.pcap" || fail "the same seed gave different bytes"
cmp -s "$tmp/s7a.pcap" "$tmp/s8.pcap" && fail "seeds 7 and 8 gave the same bytes"
expect_eq "$(capinfos -T -r -c "$tmp/s7a.pcap" | cut -f2)" 500 "--count 500"
first=$(capinfos -T -r -a -S "$tmp/s7a.pcap" | cut -f2)
expect_eq "$first" 1700000000.000000000 "first timestamp (default --start)"
"$FEEDCAP_GENDATA" -w "$tmp/us.pcap" --count 50 --precision us
info=$(capinfos "$tmp/us.pcap")
[[ $info == *"precision:  microseconds"* ]] || fail "--precision us did not give a microsecond pcap: $info"

# Bad usage exits 2 with a message naming the option.
set +e
err=$("$FEEDCAP_GENDATA" -w "$tmp/x.pcap" --gaps 2 2>&1)
rc=$?
set -e
expect_eq "$rc" 2 "exit code of --gaps 2"
[[ $err == *--gaps* ]] || fail "the usage error does not name --gaps: $err"

# Sequence numbers, decoded by tshark: per line, each packet starts where the previous one
# ended, except where the gaps log says packets were dropped on that line.
tshark -Q -r "$FEEDCAP_TESTDATA/marketdata.pcap" -Y udp -T fields -e ip.dst -e udp.dstport \
	-e udp.payload >"$tmp/md.txt"
python3 - "$tmp/md.txt" "$FEEDCAP_TESTDATA/marketdata.gaps" <<'PY'
import sys
lost = {}
for line in open(sys.argv[2]):
    kind, group, session, seq, count = line.split()
    feed = group.split(':')[0].split('.')[3]
    for ln in (("A", "B") if kind == "AB" else (kind,)):
        lost[(ln, feed, int(seq))] = int(count)
expect, frames, sizes = {}, 0, []
for line in open(sys.argv[1]):
    dst, port, hexp = line.split()
    p = bytes.fromhex(hexp)
    ln = "A" if dst.startswith("239.1.1.") else "B"
    key = (ln, dst.split('.')[3])
    seq = int.from_bytes(p[10:18], "big")
    n = int.from_bytes(p[18:20], "big")
    off, msgs = 20, 0
    while off < len(p):
        off += 2 + int.from_bytes(p[off:off + 2], "big")
        msgs += 1
    if off != len(p) or msgs != n:
        sys.exit(f"{key}: seq {seq}: message count {n} but {msgs} messages in {len(p)} bytes")
    want = expect.get(key, 1)
    while (ln, key[1], want) in lost and want < seq:
        want += lost[(ln, key[1], want)]
    if seq != want:
        sys.exit(f"{key}: sequence {seq}, expected {want}: a hole the gaps log does not explain")
    expect[key] = seq + n
    frames += 1
if len(expect) != 8:
    sys.exit(f"expected 8 lines (4 feeds x A/B), saw {sorted(expect)}")
print(f"ok: {frames} MoldUDP64 packets on {len(expect)} lines, every hole in the gaps log")
PY
pass "sequence numbers agree with the gaps log (tshark-decoded)"

# Odd frames: every kind is present, as tshark sees them.
tshark -Q -r "$FEEDCAP_TESTDATA/oddframes.pcap" -T fields -e frame.len -e frame.protocols \
	-e ip.flags.mf -e ip.frag_offset >"$tmp/odd.txt"
check_count() { # description, awk condition
	local n
	n=$(awk -F'\t' "$2 { n++ } END { print n + 0 }" "$tmp/odd.txt")
	((n > 0)) || fail "oddframes.pcap has no $1"
	echo "ok: $n $1"
}
check_count "jumbo frames (8900-9014 bytes)" '$1 > 8900 && $1 <= 9014'
check_count "802.1Q frames" '$2 ~ /^eth:ethertype:vlan:/'
check_count "QinQ frames" '$2 ~ /ieee8021ad:ethertype:vlan/'
check_count "IPv4 fragments" '$3 == "1" || ($4 != "" && $4 > 0)'
check_count "IPv6 multicast frames" '$2 ~ /ipv6:udp/'
check_count "ARP frames" '$2 ~ /arp/'
check_count "IGMP frames" '$2 ~ /igmp/'
check_count "TCP frames" '$2 ~ /tcp/'
check_count "runts (< 60 bytes, not ARP or IGMP)" '$1 < 60 && $2 !~ /arp|igmp/'
pass "gendata"
