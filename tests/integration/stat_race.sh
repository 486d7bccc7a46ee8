#!/bin/bash
# The A/B race, gaps with times, heartbeats that reveal a loss, burst peaks over a window, the
# trailing filter expression.  Oracles: tshark's frame times and MoldUDP64 sequence numbers
# (per number: which line came first, by how much), tcpdump for the filter, and packets built
# byte by byte here for the heartbeat cases.
source "$FEEDCAP_TESTLIB/common.sh"
source "$(dirname "$0")/stat_lib.sh"
need_env FEEDCAP_STAT FEEDCAP_GENDATA
need_tools jq python3 tshark tcpdump

make_tmpdir tmp statrace
decode_as=(-d udp.port==30001,moldudp64 -d udp.port==30002,moldudp64)

# B 20 us behind A (plus up to 25% jitter), some one-line losses.
"$FEEDCAP_GENDATA" -w "$tmp/ab.pcap" --seed 9 --count 12000 --groups 2 --ab --ab-delay 20000 \
	--ab-loss 0.01
feeds=(--feed f1=239.1.1.1:30001,239.1.2.1:30001 --feed f2=239.1.1.2:30002,239.1.2.2:30002)
"$FEEDCAP_STAT" -r "$tmp/ab.pcap" --gaps moldudp64 "${feeds[@]}" --json | tail -n 1 >"$tmp/ab.json"

# The oracle: every MoldUDP64 packet's time and numbers, by tshark; per number seen on both
# lines, the first line wins and the other's delay is the difference.
tshark -r "$tmp/ab.pcap" "${decode_as[@]}" -Y 'moldudp64.count > 0 && moldudp64.count < 65535' \
	-T fields -E separator=' ' -e frame.time_epoch -e ip.dst -e moldudp64.sequence \
	-e moldudp64.count 2>/dev/null >"$tmp/ab.ts"
cat >"$tmp/race.py" <<'PY'
import sys, collections, json
first = {}
won = collections.Counter()
delays = collections.defaultdict(list)
for line in open(sys.argv[1]):
    t, dst, seq, cnt = line.split()
    t_ns = int(t.replace('.', ''))  # nanosecond pcap: 9 decimals
    feed, line_ = 'f' + dst.split('.')[3], 'a' if dst.split('.')[2] == '1' else 'b'
    for n in range(int(seq), int(seq) + int(cnt)):
        k = (feed, n)
        if k not in first:
            first[k] = (t_ns, line_)
        elif first[k][1] != line_ and first[k][1] is not None:
            won[(feed, first[k][1])] += 1
            delays[feed].append(t_ns - first[k][0])
            first[k] = (t_ns, None)
out = {}
for f in sorted(delays):
    d = sorted(delays[f])
    out[f] = {'won_a': won[(f, 'a')], 'won_b': won[(f, 'b')], 'p50': d[len(d) // 2],
              'max': d[-1]}
print(json.dumps(out))
PY
python3 "$tmp/race.py" "$tmp/ab.ts" >"$tmp/race.json"
for f in f1 f2; do
	o=$(jq -c ".$f" "$tmp/race.json")
	r=$(jq -c ".feeds[] | select(.name == \"$f\") | .race" "$tmp/ab.json")
	expect_eq "$(jq .won_a <<<"$r")" "$(jq .won_a <<<"$o")" "$f: numbers A won"
	expect_eq "$(jq .won_b <<<"$r")" "$(jq .won_b <<<"$o")" "$f: numbers B won"
	expect_eq "$(jq .delay_max_ns <<<"$r")" "$(jq .max <<<"$o")" "$f: largest delay of B"
	# the median within the histogram's resolution (32 steps per power of two: ~3%)
	jq -e -n --argjson r "$r" --argjson o "$o" \
		'($r.delay_p50_ns - $o.p50 | fabs) <= $o.p50 * 0.035' >/dev/null ||
		fail "$f: median delay $(jq .delay_p50_ns <<<"$r") ns, tshark's $(jq .p50 <<<"$o") ns"
	jq -e -n --argjson r "$r" '$r.delay_p50_ns >= 20000 and $r.delay_p99_ns <= 25000 * 1.04' \
		>/dev/null || fail "$f: delays outside the generator's 20-25 us: $r"
done
pass "A/B race: numbers won per line and the delay of the later line, as tshark's times say"

# The same feeds with the lines declared the other way round: B wins everything.
"$FEEDCAP_STAT" -r "$tmp/ab.pcap" --gaps moldudp64 --json \
	--feed r1=239.1.2.1:30001,239.1.1.1:30001 | tail -n 1 >"$tmp/rev.json"
expect_eq "$(jq -c '.feeds[0].race | [.won_a, .won_b == '"$(jq .f1.won_a "$tmp/race.json")"']' "$tmp/rev.json")" \
	'[0,true]' "lines swapped: the later line never wins"
# and from a config file, with its own decoder name
cat >"$tmp/feeds.conf" <<EOF
[decoder mold2]
based_on = moldudp64
[feed f1]
a = 239.1.1.1:30001
b = 239.1.2.1:30001
decoder = mold2
EOF
"$FEEDCAP_STAT" -r "$tmp/ab.pcap" --config "$tmp/feeds.conf" --json | tail -n 1 >"$tmp/conf.json"
expect_eq "$(jq -c '.feeds[0] | [.name, .race.won_a, .missing]' "$tmp/conf.json")" \
	"$(jq -c '.feeds[] | select(.name == "f1") | [.name, .race.won_a, .missing]' "$tmp/ab.json")" \
	"[feed] and [decoder] sections = --feed and --gaps"
pass "A/B race from the config file, lines either way"

# Gaps with times, and heartbeats that announce the next number: MoldUDP64 packets built here.
# Session S1: 1-3, 4-5 lost, 6, then a gap 7-9 only a heartbeat announcing 10 reveals, at 5 ms.
cat >"$tmp/hb.py" <<'PY'
import struct, sys
out = open(sys.argv[1], 'wb')
out.write(struct.pack('<IHHiIII', 0xa1b23c4d, 2, 4, 0, 0, 65535, 1))
def pkt(t_us, seq, count, nmsg):
    payload = b'S1        ' + struct.pack('>QH', seq, count) + b''.join(b'\x00\x01A' for _ in range(nmsg))
    udp = struct.pack('>HHHH', 5000, 30001, 8 + len(payload), 0) + payload
    ip = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 1, 17, 0,
                     bytes([10, 0, 0, 1]), bytes([239, 1, 1, 1])) + udp
    eth = b'\x01\x00\x5e\x01\x01\x01' + b'\x02' * 6 + b'\x08\x00' + ip
    t = 1700000000 * 10**9 + t_us * 1000
    out.write(struct.pack('<IIII', t // 10**9, t % 10**9, len(eth), len(eth)) + eth)
pkt(0, 1, 3, 3)
pkt(1000, 6, 1, 1)      # 4-5 missing, between the frames at 0 and 1 ms
pkt(5000, 10, 0, 0)     # heartbeat: 10 is next, so 7-9 are missing
PY
python3 "$tmp/hb.py" "$tmp/hb.pcap"
"$FEEDCAP_STAT" -r "$tmp/hb.pcap" --gaps moldudp64 --json | tail -n 1 >"$tmp/hb.json"
expect_eq "$(jq -c '[.gaps[] | [.group, .session, .first, .last, .count, .before, .after]]' "$tmp/hb.json")" \
	'[["239.1.1.1:30001","S1        ",4,5,2,"2023-11-14T22:13:20.000000000Z","2023-11-14T22:13:20.001000000Z"],["239.1.1.1:30001","S1        ",7,9,3,"2023-11-14T22:13:20.001000000Z","2023-11-14T22:13:20.005000000Z"]]' \
	"gaps with the times of the frames on either side; the heartbeat reveals 7-9"
expect_eq "$(jq -c '.groups[0] | [.missing, .heartbeats]' "$tmp/hb.json")" '[5,1]' "missing, heartbeats"
"$FEEDCAP_STAT" -r "$tmp/hb.pcap" --gaps moldudp64 >"$tmp/hb.txt"
[[ $(head -n 1 "$tmp/hb.txt") == "gap 239.1.1.1:30001 session S1        : 4-5 (2) between 2023-11-14T22:13:20.000000000Z and 2023-11-14T22:13:20.001000000Z" ]] ||
	fail "text mode does not print the gap as found first: $(head -n 1 "$tmp/hb.txt")"
pass "gaps with times, heartbeats announcing the next number, text gaps as found"

# Burst peaks over a sliding window, against a window computed from tshark's frame times.
"$FEEDCAP_GENDATA" -w "$tmp/b.pcap" --seed 4 --count 8000 --groups 2 --burst 0.01
tshark -r "$tmp/b.pcap" -T fields -E separator=' ' -e frame.time_epoch -e frame.len -e ip.dst \
	-e udp.dstport 2>/dev/null >"$tmp/b.ts"
cat >"$tmp/burst.py" <<'PY'
import sys, collections
w = int(sys.argv[2])
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    t, n, dst, port = line.split()
    rows[dst + ':' + port].append((int(t.replace('.', '')), int(n)))
for g in sorted(rows):
    r, i, fr, by, pf, pb = rows[g], 0, 0, 0, 0, 0
    for j, (t, n) in enumerate(r):
        fr += 1; by += n
        while t - r[i][0] >= w:
            fr -= 1; by -= r[i][1]; i += 1
        pf, pb = max(pf, fr), max(pb, by)
    print(g, pf, pb)
PY
for w in 10us 1ms; do
	ns=$( [[ $w == 10us ]] && echo 10000 || echo 1000000 )
	"$FEEDCAP_STAT" -r "$tmp/b.pcap" --burst-window "$w" --json | tail -n 1 >"$tmp/b.json"
	expect_eq "$(jq -r '.groups[] | "\(.dst) \(.peak_frames) \(.peak_bytes)"' "$tmp/b.json")" \
		"$(python3 "$tmp/burst.py" "$tmp/b.ts" "$ns")" "burst peaks over $w"
	expect_eq "$(jq .burst_window_ns "$tmp/b.json")" "$ns" "burst_window_ns for $w"
done
pass "burst peaks in frames and bytes over --burst-window"

# A trailing filter expression, as tcpdump reads it; the rest counted as filtered out.
expr='udp and dst port 30002'
want=$(tcpdump -r "$tmp/b.pcap" -nn "$expr" 2>/dev/null | wc -l)
"$FEEDCAP_STAT" -r "$tmp/b.pcap" --json $expr | tail -n 1 >"$tmp/f.json"
expect_eq "$(jq -c '[.frames, (.groups | length), .filtered_out + .frames]' "$tmp/f.json")" \
	"[$want,1,8000]" "frames the filter keeps, as tcpdump counts them"
"$FEEDCAP_STAT" -r "$tmp/b.pcap" --json -- udp and dst port 30002 | tail -n 1 >"$tmp/f2.json"
expect_eq "$(jq .frames "$tmp/f2.json")" "$want" "-- before the expression"
check_usage -r "$tmp/b.pcap" udp prot 1
check_usage -r "$tmp/b.pcap" --burst-window 100ns
check_usage -r "$tmp/b.pcap" --gaps moldudp64@
check_usage -r "$tmp/b.pcap" --gaps pitch@239.1.1.1 --gaps moldudp64@239.1.1.2 --feed x=239.1.1.1,239.1.1.2
pass "filter expression and usage errors"
