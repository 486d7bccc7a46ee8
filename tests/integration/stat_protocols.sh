#!/bin/bash
# Sequence gaps for every built-in decoder, on feeds feedcap-gendata frames to each protocol's
# specification with losses, duplicates, reordering, heartbeats and resets.  Two oracles that
# share no code with feedcap: a Python reader of each packet header written from the
# specifications (below), and tshark's own dissectors where Wireshark 4.0 has one (MoldUDP64
# moldudp64.sequence, EOBI eobi.applseqnum).  The generator's log of what it dropped,
# duplicated and reordered checks the oracle itself.
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_STAT FEEDCAP_GENDATA
need_tools jq python3 tshark

make_tmpdir tmp statproto

# The oracle: decode each UDP payload by the protocol's own header layout, then count per
# (group, session) what a gap checker must report.  Layouts (all little-endian but MoldUDP64):
#   moldudp64  session 0:10, seq 10:8 BE, count 18:2 BE (0 heartbeat with the next number)
#   pitch      length 0:2, count 2:1, unit 3:1 (the session), seq 4:4 (count 0: heartbeat)
#   iextp      channel+session 4:8, count 14:2, first seq 24:8 (count 0: heartbeat)
#   mdp3       MsgSeqNum 0:4, one per packet
#   pillar     flag 2:1 (1 heartbeat, 12 reset), count 3:1, seq 4:4
#   eobi       ApplSeqNum 8:4, MarketSegmentID 12:4, reset 18:1, heartbeat: template 13001 at 34
#   opra       block seq 6:4, messages 10:1
# Resets: pitch, mdp3, opra start again at 1; pillar and eobi flag the packet.
cat >"$tmp/oracle.py" <<'PY'
import json, struct, sys

proto, path = sys.argv[1], sys.argv[2]
data = open(path, 'rb').read()
magic = struct.unpack('<I', data[:4])[0]
assert magic in (0xa1b23c4d, 0xa1b2c3d4), hex(magic)
off = 24
groups = {}

def key_seq(p):
    """(session, seq, count, heartbeat_announces, reset) or None to skip"""
    le = lambda o, n: int.from_bytes(p[o:o + n], 'little')
    if proto == 'moldudp64':
        seq = int.from_bytes(p[10:18], 'big'); cnt = int.from_bytes(p[18:20], 'big')
        if cnt in (0, 0xffff):
            return (p[:10], seq, 0, True, False)
        return (p[:10], seq, cnt, False, False)
    if proto == 'pitch':
        cnt, unit, seq = p[2], p[3], le(4, 4)
        return (bytes([unit]), seq, cnt, cnt == 0, cnt > 0 and seq == 1)
    if proto == 'iextp':
        cnt, seq = le(14, 2), le(24, 8)
        return (p[4:12], seq, cnt, cnt == 0, False)
    if proto == 'mdp3':
        seq = le(0, 4)
        return (b'', seq, 1, False, seq == 1)
    if proto == 'pillar':
        flag, cnt, seq = p[2], p[3], le(4, 4)
        if flag == 1:
            return None
        return (b'', seq, cnt, False, flag == 12)
    if proto == 'eobi':
        if len(p) >= 36 and le(34, 2) == 13001:
            return None
        return (p[12:16], le(8, 4), 1, False, p[18] == 1)
    if proto == 'opra':
        cnt, seq = p[10], le(6, 4)
        if cnt == 0:
            return None
        return (b'', seq, cnt, False, seq == 1)

while off + 16 <= len(data):
    _, _, incl, _ = struct.unpack('<IIII', data[off:off + 16])
    f = data[off + 16:off + 16 + incl]
    off += 16 + incl
    if len(f) < 42 or f[12:14] != b'\x08\x00' or f[23] != 17:
        continue
    ihl = (f[14] & 15) * 4
    dst = '.'.join(str(b) for b in f[30:34])
    port = int.from_bytes(f[14 + ihl + 2:14 + ihl + 4], 'big')
    p = f[14 + ihl + 8:]
    k = key_seq(p)
    if k is None:
        continue
    sess, seq, cnt, hb, reset = k
    g = groups.setdefault('%s:%d' % (dst, port), {'missing': 0, 'dups': 0, 'resets': 0, 's': {}})
    st = g['s'].get(sess)
    if st is None:
        if cnt == 0:
            continue  # a heartbeat does not start a session
        st = g['s'][sess] = {'seen': set(), 'lo': seq, 'hi': seq - 1, 'done': 0}
    if reset and st['seen'] and (seq not in st['seen'] or st['hi'] - st['lo'] + 1 > 1024):
        st['done'] += (st['hi'] - st['lo'] + 1) - len(st['seen'])
        g['resets'] += 1
        st['seen'], st['lo'], st['hi'] = set(), seq, seq - 1
    if cnt == 0:
        if hb:
            st['hi'] = max(st['hi'], seq - 1)
        continue
    for n in range(seq, seq + cnt):
        if n in st['seen']:
            g['dups'] += 1
        st['seen'].add(n)
    st['lo'] = min(st['lo'], seq)
    st['hi'] = max(st['hi'], seq + cnt - 1)
out = {}
for gname, g in groups.items():
    miss = sum(st['done'] + (st['hi'] - st['lo'] + 1) - len(st['seen']) for st in g['s'].values())
    out[gname] = [miss, g['dups'], g['resets']]
print(json.dumps(out, sort_keys=True))
PY

got() { # summary JSON -> {"dst": [missing, duplicates, resets]}
	jq -c -S '[.groups[] | {key: .dst, value: [.missing, .duplicates, .resets]}] | from_entries' "$1"
}

for p in moldudp64 pitch iextp mdp3 pillar eobi opra; do
	# losses, duplicates and reordering (and heartbeats, the generator's own) in one run ...
	"$FEEDCAP_GENDATA" -w "$tmp/$p.pcap" --proto "$p" --count 12000 --groups 3 --seed 21 \
		--gaps 0.01 --dup 0.005 --reorder 0.005 --gaps-log "$tmp/$p.log"
	"$FEEDCAP_STAT" -r "$tmp/$p.pcap" --gaps "$p" --json | tail -n 1 >"$tmp/$p.json"
	expect_eq "$(got "$tmp/$p.json")" "$(python3 "$tmp/oracle.py" "$p" "$tmp/$p.pcap" | jq -c -S .)" \
		"$p: missing, duplicates, resets per group = the spec oracle's"
	expect_eq "$(jq '[.groups[].undecodable] | add' "$tmp/$p.json")" 0 "$p: undecodable"
	expect_eq "$(jq '[.groups[].duplicates] | add' "$tmp/$p.json")" \
		"$(awk '$1 == "DUP" { n += ($5 ? $5 : 0) } END { print n + 0 }' "$tmp/$p.log")" \
		"$p: duplicates = what the generator repeated"
	[[ $(jq '[.groups[].reordered] | add' "$tmp/$p.json") -gt 0 ]] || fail "$p: nothing reordered"
	[[ $(jq '[.groups[].missing] | add' "$tmp/$p.json") -gt 0 ]] || fail "$p: nothing missing"
	# every gap listed has its times in order and is within what the generator dropped
	jq -e '[.gaps[] | select(.before_ns > .after_ns or .count != .last - .first + 1)] | length == 0' \
		"$tmp/$p.json" >/dev/null || fail "$p: a gap's times or count are wrong"
	# ... and resets on their own
	"$FEEDCAP_GENDATA" -w "$tmp/$p-r.pcap" --proto "$p" --count 12000 --groups 2 --seed 22 \
		--gaps 0.01 --reset-after 1500 --gaps-log "$tmp/$p-r.log"
	"$FEEDCAP_STAT" -r "$tmp/$p-r.pcap" --gaps "$p" --json | tail -n 1 >"$tmp/$p-r.json"
	expect_eq "$(got "$tmp/$p-r.json")" "$(python3 "$tmp/oracle.py" "$p" "$tmp/$p-r.pcap" | jq -c -S .)" \
		"$p with resets: missing, duplicates, resets per group = the spec oracle's"
	if [[ $p == moldudp64 || $p == iextp ]]; then # no reset: a new session
		expect_eq "$(jq '[.groups[].sessions | length] | add' "$tmp/$p-r.json")" \
			"$(($(grep -c '^RESET' "$tmp/$p-r.log") + 2))" "$p: one session per restart"
	else
		expect_eq "$(jq '[.groups[].resets] | add' "$tmp/$p-r.json")" \
			"$(grep -c '^RESET' "$tmp/$p-r.log")" "$p: resets = the generator's"
	fi
done
pass "every built-in decoder agrees with the specification oracle"

# tshark's dissectors read the same numbers: MoldUDP64 and EOBI (disabled by default).
tshark_seq() { # pcap proto field... -> "dst:port session seq" per packet, decoded by tshark
	local f=$1 pr=$2
	shift 2
	tshark -r "$f" --enable-protocol "$pr" -d udp.port==30001,"$pr" -d udp.port==30002,"$pr" \
		-d udp.port==30003,"$pr" -Y "$pr" -T fields -E separator=' ' -E occurrence=a \
		-E aggregator=, -e ip.dst -e udp.dstport "$@" 2>/dev/null
}
tshark_seq "$tmp/moldudp64.pcap" moldudp64 -e moldudp64.session -e moldudp64.sequence \
	-e moldudp64.count >"$tmp/mold.ts"
tshark_seq "$tmp/eobi.pcap" eobi -e eobi.marketsegmentid -e eobi.applseqnum -e eobi.templateid \
	>"$tmp/eobi.ts"
cat >"$tmp/tsgaps.py" <<'PY'
import sys, collections
kind = sys.argv[1]
seen = collections.defaultdict(set)
for line in open(sys.argv[2]):
    dst, port, sess, seq, x = line.split()[:5]
    sess, seq = sess.split(',')[0], int(seq.split(',')[0])
    if kind == 'mold':
        x = int(x)
        if x in (0, 65535):
            continue
        nums = range(seq, seq + x)
    else:
        # the PacketHeader (13005) first; a packet holding a Heartbeat (13001) numbers nothing
        if x.split(',')[0] != '13005' or '13001' in x.split(','):
            continue
        nums = [seq]
    seen[(dst + ':' + port, sess)].update(nums)
miss = collections.Counter()
for (g, s), ns in seen.items():
    miss[g] += max(ns) - min(ns) + 1 - len(ns)
print(' '.join('%s=%d' % kv for kv in sorted(miss.items())))
PY
[[ $(wc -l <"$tmp/mold.ts") -gt 1000 ]] || fail "tshark decoded too little MoldUDP64"
[[ $(wc -l <"$tmp/eobi.ts") -gt 1000 ]] || fail "tshark decoded too little EOBI"
expect_eq "$(python3 "$tmp/tsgaps.py" mold "$tmp/mold.ts")" \
	"$(jq -r '[.groups[] | "\(.dst)=\(.missing)"] | join(" ")' "$tmp/moldudp64.json")" \
	"MoldUDP64 missing per group, by tshark's moldudp64.sequence"
expect_eq "$(python3 "$tmp/tsgaps.py" eobi "$tmp/eobi.ts")" \
	"$(jq -r '[.groups[] | "\(.dst)=\(.missing)"] | join(" ")' "$tmp/eobi.json")" \
	"EOBI missing per group, by tshark's eobi.applseqnum"
pass "tshark's MoldUDP64 and EOBI dissectors see the same gaps"

# A feed of one protocol read as another is undecodable: no sessions, nothing missing.
for pair in mdp3:moldudp64 moldudp64:mdp3 pitch:iextp opra:moldudp64 eobi:pillar; do
	"$FEEDCAP_STAT" -r "$tmp/${pair%%:*}.pcap" --gaps "${pair##*:}" --json 2>"$tmp/x.err" |
		tail -n 1 >"$tmp/x.json"
	grep -q "packets are not ${pair##*:}: another protocol" "$tmp/x.err" ||
		fail "${pair%%:*} read as ${pair##*:}: no warning on stderr"
	expect_eq "$(jq -c '[([.groups[].sessions | length] | add), ([.groups[].missing] | add)]' "$tmp/x.json")" \
		'[0,0]' "${pair%%:*} read as ${pair##*:}: no session, nothing missing"
	[[ $(jq '[.groups[].undecodable] | add' "$tmp/x.json") -gt 10000 ]] ||
		fail "${pair%%:*} read as ${pair##*:}: not counted as undecodable"
done
pass "a wrong decoder gives undecodable packets, not sessions or gaps"

# Per-group decoders: one group read as PITCH, the others as MoldUDP64 (mergecap of two feeds
# on different groups); a generic decoder with a count field reads PITCH too.
"$FEEDCAP_GENDATA" -w "$tmp/g1.pcap" --proto pitch --groups 1 --count 3000 --seed 5 --gaps 0.01
"$FEEDCAP_STAT" -r "$tmp/g1.pcap" --gaps pitch --json | tail -n 1 >"$tmp/g1.json"
"$FEEDCAP_STAT" -r "$tmp/g1.pcap" --json \
	--gaps 'generic:4:4:le,count=2:1,session=3:1,heartbeat=count0,heartbeat_next=yes' |
	tail -n 1 >"$tmp/g1g.json"
expect_eq "$(jq -c '[.groups[] | .missing, .gaps]' "$tmp/g1g.json")" \
	"$(jq -c '[.groups[] | .missing, .gaps]' "$tmp/g1.json")" "generic with count and session = pitch"
"$FEEDCAP_STAT" -r "$tmp/g1.pcap" --gaps generic:4:4:le --json | tail -n 1 >"$tmp/g1n.json"
[[ $(jq '.groups[0].missing' "$tmp/g1n.json") -gt $(jq '.groups[0].missing' "$tmp/g1.json") ]] ||
	fail "generic without count should report false gaps on multi-message packets"
"$FEEDCAP_STAT" -r "$tmp/moldudp64.pcap" --gaps pitch@239.1.1.2:30002 --gaps moldudp64 --json |
	tail -n 1 >"$tmp/mix.json"
expect_eq "$(jq -c '[.groups[] | [.dst, .decoder]]' "$tmp/mix.json")" \
	'[["239.1.1.1:30001","moldudp64"],["239.1.1.2:30002","pitch"],["239.1.1.3:30003","moldudp64"]]' \
	"--gaps DECODER@GROUP:PORT picks the decoder per group, groups in address order"
pass "per-group decoders, generic with count and session"
