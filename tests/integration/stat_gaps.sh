#!/bin/bash
# Sequence gaps: remove known frames from a gap-free MoldUDP64 capture with editcap, and
# feedcap-stat --gaps moldudp64 reports exactly the sequence ranges those frames carried,
# as tshark's own MoldUDP64 dissector reads them from the original capture.
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_STAT FEEDCAP_GENDATA
need_tools tshark jq editcap python3

make_tmpdir tmp statgaps
"$FEEDCAP_GENDATA" -w "$tmp/clean.pcap" --seed 11 --count 6000 --groups 3 --burst 0.01

decode_as=(-d udp.port==30001,moldudp64 -d udp.port==30002,moldudp64 -d udp.port==30003,moldudp64)

ranges() { # JSON summary -> "dst session lo hi" sorted
	jq -r '.groups[] | .dst as $d | .sessions[] | .session as $s |
		.missing_ranges[] | "\($d) \($s) \(.[0]) \(.[1])"' "$1" | sort
}

"$FEEDCAP_STAT" -r "$tmp/clean.pcap" --gaps moldudp64 --json | tail -n 1 >"$tmp/clean.json"
expect_eq "$(jq '[.groups[].missing] | add' "$tmp/clean.json")" 0 "missing in the clean capture"
expect_eq "$(jq '[.groups[].duplicates] | add' "$tmp/clean.json")" 0 "duplicates in the clean capture"

# Frames to remove: singles, neighbours, a run, spread over the capture (never the last ones,
# whose loss nothing after them could reveal).
remove=(700 1500-1502 2222 2224 3000-3011 4500 5100-5101)
editcap -F nsecpcap "$tmp/clean.pcap" "$tmp/holes.pcap" "${remove[@]}"

# The oracle: what the removed frames carried, by tshark, merged into ranges per session.
sel=$(printf '%s\n' "${remove[@]}" | awk -F- '{ if (NF == 2) printf "(frame.number >= %s && frame.number <= %s) || ", $1, $2; else printf "frame.number == %s || ", $1 }')
tshark -r "$tmp/clean.pcap" "${decode_as[@]}" -Y "(${sel% || }) && moldudp64" -T fields \
	-E separator=' ' -e ip.dst -e udp.dstport -e moldudp64.session -e moldudp64.sequence \
	-e moldudp64.count 2>/dev/null >"$tmp/removed.txt"
[[ $(wc -l <"$tmp/removed.txt") -ge 10 ]] || fail "tshark decoded too few removed frames"
python3 - "$tmp/removed.txt" >"$tmp/expect" <<'PY'
import sys
by = {}
for line in open(sys.argv[1]):
    dst, port, sess, seq, count = line.split()
    if int(count) in (0, 0xFFFF):
        continue  # heartbeats carry no messages
    by.setdefault((dst + ":" + port, sess), []).append((int(seq), int(seq) + int(count) - 1))
for (g, s), rs in by.items():
    rs.sort()
    merged = [list(rs[0])]
    for lo, hi in rs[1:]:
        if lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    for lo, hi in merged:
        print(g, s, lo, hi)
PY
sort -o "$tmp/expect" "$tmp/expect"

"$FEEDCAP_STAT" -r "$tmp/holes.pcap" --gaps moldudp64 --json | tail -n 1 >"$tmp/holes.json"
ranges "$tmp/holes.json" >"$tmp/got"
diff -u "$tmp/expect" "$tmp/got" || fail "missing ranges differ from the removed frames"
expect_eq "$(jq '[.groups[].gaps] | add' "$tmp/holes.json")" "$(wc -l <"$tmp/expect")" "gap count"
expect_eq "$(jq '[.groups[].missing] | add' "$tmp/holes.json")" \
	"$(awk '{ n += $4 - $3 + 1 } END { print n }' "$tmp/expect")" "missing numbers"
pass "editcap-removed frames reported as exactly their sequence ranges"

# Duplicates and reordering: a capture with frames repeated and swapped (mergecap of the
# capture with a slice of itself shifted later) counts each repeated number once as a duplicate.
editcap -F nsecpcap -r "$tmp/clean.pcap" "$tmp/slice.pcap" 2000-2009
editcap -F nsecpcap -t 0.001 "$tmp/slice.pcap" "$tmp/slice-late.pcap"
mergecap -F nsecpcap -w "$tmp/dups.pcap" "$tmp/clean.pcap" "$tmp/slice-late.pcap"
expect_dups=$(tshark -r "$tmp/slice.pcap" "${decode_as[@]}" -Y moldudp64 -T fields \
	-e moldudp64.count 2>/dev/null | awk '$1 != 65535 { n += $1 } END { print n }')
"$FEEDCAP_STAT" -r "$tmp/dups.pcap" --gaps moldudp64 --json | tail -n 1 >"$tmp/dups.json"
expect_eq "$(jq '[.groups[].duplicates] | add' "$tmp/dups.json")" "$expect_dups" "duplicates"
expect_eq "$(jq '[.groups[].missing] | add' "$tmp/dups.json")" 0 "missing with duplicates"

# Reordering: the removed frames of holes.pcap appended 1 ms later fill their gaps.
editcap -F nsecpcap -r "$tmp/clean.pcap" "$tmp/late.pcap" "${remove[@]}"
editcap -F nsecpcap -t 0.0005 "$tmp/late.pcap" "$tmp/late2.pcap"
mergecap -F nsecpcap -w "$tmp/reord.pcap" "$tmp/holes.pcap" "$tmp/late2.pcap"
"$FEEDCAP_STAT" -r "$tmp/reord.pcap" --gaps moldudp64 --json | tail -n 1 >"$tmp/reord.json"
expect_eq "$(jq '[.groups[].missing] | add' "$tmp/reord.json")" 0 "missing after late fills"
expect_eq "$(jq '[.groups[].reordered] | add' "$tmp/reord.json")" \
	"$(awk '{ n += $4 - $3 + 1 } END { print n }' "$tmp/expect")" "reordered numbers"
pass "duplicates and reordering"

# The generic decoder: a 4-byte little-endian counter at the start of the payload, packets
# built by text2pcap with numbers 50, 51 and 200 left out (and 300 past 255 to need 2 bytes).
need_tools text2pcap
awk 'BEGIN { for (s = 1; s <= 300; s++) { if (s == 50 || s == 51 || s == 200) continue;
	printf "0000 %02x %02x 00 00 00 00 00 00 aa bb\n", s % 256, int(s / 256) } }' >"$tmp/g.txt"
text2pcap -q -4 10.0.0.1,239.9.9.9 -u 1234,40000 "$tmp/g.txt" "$tmp/g.pcap"
"$FEEDCAP_STAT" -r "$tmp/g.pcap" --gaps generic:0:4:le --json | tail -n 1 >"$tmp/g.json"
expect_eq "$(jq -c '[.groups[] | .dst, .missing, .gaps, (.sessions[] | .missing_ranges)]' "$tmp/g.json")" \
	'["239.9.9.9:40000",3,2,[[50,51],[200,200]]]' "generic:0:4:le missing ranges"
# read big-endian, the same bytes are other numbers: the decoder really uses the byte order
"$FEEDCAP_STAT" -r "$tmp/g.pcap" --gaps generic:0:4:be --json | tail -n 1 >"$tmp/gbe.json"
[[ $(jq -c '.groups[0].sessions[0].missing_ranges' "$tmp/gbe.json") != '[[50,51],[200,200]]' ]] ||
	fail "big-endian reading gave the little-endian answer"
pass "generic decoder"
