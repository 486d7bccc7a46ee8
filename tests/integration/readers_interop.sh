#!/bin/bash
# Captures written by other tools, as other venues send them, read by feedcap-replay and
# feedcap-stat with tshark as the oracle: Linux cooked v2 (tcpdump -i any since libpcap 1.10,
# made here by text2pcap -l 276), a pcapng that mergecap made of a microsecond and a
# nanosecond capture (its first interface is microsecond), one whose nanosecond interface
# comes after the first frame, a byte-swapped (big-endian) pcap, a pcap of no frame, and files
# compressed with something other than zstd, which must be refused with a message that names
# the file and the compressor, exit 1.
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_REPLAY FEEDCAP_STAT
need_tools tshark capinfos editcap mergecap text2pcap gzip python3 jq

make_tmpdir tmp interop
cd "$tmp" # filter words are told from archives by not naming a file: keep the cwd clean
R=$FEEDCAP_REPLAY
S=$FEEDCAP_STAT
export TSHARK_RUN_AS_ROOT=1 # tshark as root (CI): its warning goes to stderr, dropped

# frames.txt: six UDP frames to two groups, a time code with nanoseconds before each, in
# text2pcap's hexdump format; KIND eth or sll2 says what comes before the IPv4 header.
hexdump_frames() {
	python3 - "$1" <<'EOF'
import struct, sys
for i in range(6):
    data = bytes([i]) * (20 + i)
    udp = struct.pack('>HHHH', 30001, 30001 + i % 2, 8 + len(data), 0) + data
    ip = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0,
                     bytes([10, 0, 0, 1]), bytes([239, 1, 1, 1 + i % 2])) + udp
    if sys.argv[1] == 'sll2':  # protocol, reserved, ifindex, arphrd, pkttype, addr len, addr
        f = struct.pack('>HHIHBB8s', 0x0800, 0, 2, 1, 0, 6, bytes.fromhex('02000000000100')) + ip
    else:
        f = bytes.fromhex('01005e010101020000000001') + b'\x08\x00' + ip
    print('1800000000.%09d' % (i * 1000 + 7 * i + 1))
    for off in range(0, len(f), 16):
        print('%06x %s' % (off, ' '.join('%02x' % b for b in f[off:off + 16])))
    print()
EOF
}
# times FILE: every frame's epoch time, wire and captured length, as tshark reads them
times() { tshark -r "$1" -T fields -e frame.time_epoch -e frame.len -e frame.cap_len 2>/dev/null; }
# groups FILE: "DST:PORT FRAMES" per UDP group, tshark's count
groups() {
	tshark -r "$1" -Y udp -T fields -e ip.dst -e udp.dstport 2>/dev/null |
		awk '{n[$1 ":" $2]++} END {for (k in n) print k, n[k]}' | sort
}
# stat_groups FILE: the same from feedcap-stat's summary
stat_groups() {
	"$S" -r "$1" --json 2>stat.err | tail -n 1 | jq -r '.groups[] | "\(.dst) \(.frames)"' | sort
	no_sanitizer_report stat.err "feedcap-stat -r $1"
}

hexdump_frames eth >eth.txt
hexdump_frames sll2 >sll2.txt
text2pcap -q -F nsecpcap -t '%s.%f' eth.txt ns.pcap
text2pcap -q -F pcap -t '%s.%f' eth.txt us.pcap
text2pcap -q -F nsecpcap -l 276 -t '%s.%f' sll2.txt sll2.pcap
capinfos -E sll2.pcap | grep -q 'cooked-mode capture v2' || fail "text2pcap -l 276 made no SLL2"

# ------------------------------------------------------------------ Linux cooked v2
want=$(groups sll2.pcap)
[[ $(wc -l <<<"$want") == 2 ]] || fail "tshark should see two groups in sll2.pcap: $want"
expect_eq "$(stat_groups sll2.pcap)" "$want" "feedcap-stat groups of an SLL2 capture"
"$R" -w sll2-out.pcap sll2.pcap 2>err || fail "replay of sll2.pcap: $(cat err)"
no_sanitizer_report err "feedcap-replay sll2.pcap"
cmp -s sll2.pcap sll2-out.pcap || fail "an SLL2 pcap does not come back byte for byte"
"$R" -w sll2-g1.pcap sll2.pcap dst host 239.1.1.1
expect_eq "$(tshark -r sll2-g1.pcap 2>/dev/null | wc -l)" 3 "SLL2 frames kept by 'dst host 239.1.1.1'"

# ------------------------------------------------------------------ mixed if_tsresol
# mergecap keeps each input's resolution: interface 0 microsecond, interface 1 nanosecond.
mergecap -F pcapng -w mixres.pcapng us.pcap ns.pcap
tshark -r mixres.pcapng -T fields -e frame.time_epoch 2>/dev/null | grep -q '[1-9]$' ||
	fail "mergecap's pcapng holds no sub-microsecond time: the test proves nothing"
"$R" -w mixres.pcap mixres.pcapng 2>err || fail "replay of mixres.pcapng: $(cat err)"
no_sanitizer_report err "feedcap-replay mixres.pcapng"
capinfos -t mixres.pcap | grep -q 'nanosecond pcap' ||
	fail "pcap of a pcapng with a nanosecond interface is not nanosecond: $(capinfos -t mixres.pcap)"
diff <(times mixres.pcapng) <(times mixres.pcap) >/dev/null ||
	fail "pcapng (us + ns interfaces) -> pcap changed timestamps: $(diff <(times mixres.pcapng) <(times mixres.pcap) | head -4)"
"$R" -w us-out.pcap us.pcap
capinfos -t us-out.pcap | grep -q 'nanosecond' && fail "a microsecond pcap alone became nanosecond"
echo "ok: pcapng of microsecond and nanosecond interfaces -> nanosecond pcap, every time kept"

# A nanosecond interface described only after the first frame (no tool here writes one: the
# blocks straight from the specification): the pcap header already said microseconds, so
# the frame is refused with a message, never cut; pcapng keeps it.
python3 - <<'EOF'
import struct

def blk(t, body):
    body += b'\0' * (-len(body) % 4)
    return struct.pack('<II', t, len(body) + 12) + body + struct.pack('<I', len(body) + 12)

frame = open('ns.pcap', 'rb').read()[40:40 + 60]
out = blk(0x0A0D0D0A, struct.pack('<IHHq', 0x1A2B3C4D, 1, 0, -1))
out += blk(1, struct.pack('<HHI', 1, 0, 0))  # interface 0: if_tsresol 6 (the default)
for iface, ts in ((0, 1800000000 * 10**6 + 1), (1, 1800000000 * 10**9 + 2001)):
    if iface == 1:  # interface 1, if_tsresol 9, after interface 0's frame
        out += blk(1, struct.pack('<HHI', 1, 0, 0) + struct.pack('<HH', 9, 1) + b'\x09\0\0\0'
                   + struct.pack('<I', 0))
    out += blk(6, struct.pack('<IIIII', iface, ts >> 32, ts & 0xffffffff, len(frame), len(frame))
               + frame)
open('late.pcapng', 'wb').write(out)
EOF
expect_eq "$(times late.pcapng | cut -f 1 | tr '\n' ' ')" "1800000000.000001000 1800000000.000002001 " \
	"tshark's times of the late nanosecond interface"
set +e
"$R" -w late.pcap late.pcapng 2>err
rc=$?
set -e
no_sanitizer_report err "feedcap-replay late.pcapng"
expect_eq "$rc" 1 "exit status of a nanosecond frame into a microsecond pcap"
expect_eq "$(grep -c 'late.pcap: frame 2 has a time finer than microseconds' err)" 1 \
	"times the microsecond error is said"
"$R" -w late-out.pcapng late.pcapng
diff <(times late.pcapng) <(times late-out.pcapng) >/dev/null || fail "late.pcapng -> pcapng: times differ"
echo "ok: a nanosecond interface after the first frame: pcap refuses, pcapng keeps"

# ------------------------------------------------------------------ byte-swapped pcap
python3 - <<'EOF'
import struct
b = open('ns.pcap', 'rb').read()
out, off = struct.pack('>IHHiIII', *struct.unpack('<IHHiIII', b[:24])), 24
while off < len(b):
    h = struct.unpack('<IIII', b[off:off + 16])
    out += struct.pack('>IIII', *h) + b[off + 16:off + 16 + h[2]]
    off += 16 + h[2]
open('be.pcap', 'wb').write(out)
EOF
diff <(times ns.pcap) <(times be.pcap) >/dev/null || fail "the big-endian copy differs for tshark"
"$R" -w be-out.pcap be.pcap
diff <(times be.pcap) <(times be-out.pcap) >/dev/null || fail "big-endian pcap: times differ"
expect_eq "$(stat_groups be.pcap)" "$(groups be.pcap)" "feedcap-stat groups of a big-endian pcap"

# ------------------------------------------------------------------ no frame at all
# editcap keeps the header and no record: a valid, empty capture in, one out; --list has no
# first or last time to show (capinfos says n/a), never 1970.
editcap -F nsecpcap -r ns.pcap empty.pcap 0
"$R" -w empty-out.pcap empty.pcap 2>err || fail "replay of an empty pcap: $(cat err)"
expect_eq "$(capinfos -c -M empty-out.pcap | sed -n 's/^Number of packets: *//p')" 0 \
	"frames in the replay of an empty pcap"
expect_eq "$("$S" -r empty.pcap --json 2>err | tail -n 1 | jq .frames)" 0 "feedcap-stat frames of an empty pcap"
"$R" --list empty.pcap >list 2>err || fail "--list of an empty pcap: $(cat err)"
grep -q '1970' list && fail "--list shows an empty archive at 1970: $(cat list)"
expect_eq "$(awk 'NR == 2 {print $2, $3, $4}' list)" "- - 0" "--list first, last, frames of an empty pcap"

# ------------------------------------------------------------------ other compressors
gzip -c ns.pcap >ns.pcap.gz
for tool in replay stat; do
	set +e
	if [[ $tool == replay ]]; then
		"$R" -w gz-out.pcap ns.pcap.gz 2>err
	else
		"$S" -r ns.pcap.gz 2>err >/dev/null
	fi
	rc=$?
	set -e
	no_sanitizer_report err "feedcap-$tool ns.pcap.gz"
	expect_eq "$rc" 1 "feedcap-$tool exit status on a gzip file"
	grep -q 'ns.pcap.gz: gzip-compressed: only zstd' err ||
		fail "feedcap-$tool does not say the file is gzip: $(cat err)"
done

# ------------------------------------------------------------------ one message per error
printf '0000 45 00 00 1c 00 01 00 00 40 11 00 00 0a 00 00 01 0a 00 00 02 00 35 00 35 00 08 00 00\n' >raw.txt
text2pcap -q -l 101 raw.txt raw.pcap
mergecap -F pcapng -w two.pcapng ns.pcap raw.pcap
set +e
"$R" -w two.pcap two.pcapng 2>err
rc=$?
set -e
expect_eq "$rc" 1 "exit status of a pcap asked to hold two link types"
expect_eq "$(grep -c 'pcap file holds one link type' err)" 1 "times the link type error is said"
pass "SLL2, mixed time resolutions, big-endian, empty and gzip files read as tshark reads them"
