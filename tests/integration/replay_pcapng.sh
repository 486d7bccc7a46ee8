#!/bin/bash
# Every pcapng tshark reads is read by feedcap's tools, and pcapng -> pcapng through
# feedcap-replay keeps, field by field as tshark shows them, each frame's interface (id, link
# type, name, description, filter, time resolution), comments, flags, drop count, bytes and
# timestamp; the section comments and the interface statistics.  The inputs are made by
# other tools (text2pcap, mergecap, editcap) and, for what no tool here writes (big-endian
# sections, if_tsresol 2^-20 and 10^-3, several sections, simple packet blocks, ISBs), by a
# few lines of Python straight from the specification; tshark is the oracle every time.
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_REPLAY FEEDCAP_STAT FEEDCAP_TESTDATA
need_tools tshark capinfos editcap mergecap text2pcap zstd python3 tcpdump

make_tmpdir tmp replayng
cd "$tmp" # filter words are told from archives by not naming a file: keep the cwd clean
R=$FEEDCAP_REPLAY

# ------------------------------------------------------------------ inputs
# Wireshark's multi-interface capture: Ethernet, raw IP, NULL/loopback and Linux cooked (SLL)
# interfaces.
printf '0000 45 00 00 1c 00 01 00 00 40 11 00 00 0a 00 00 01 0a 00 00 02 00 35 00 35 00 08 00 00\n' >raw.txt
printf '0000 02 00 00 00 45 00 00 1c 00 01 00 00 40 11 00 00 7f 00 00 01 7f 00 00 01 00 35 00 35 00 08 00 00\n' >null.txt
text2pcap -q -l 101 -t '%s.' raw.txt raw.pcap
text2pcap -q -l 0 null.txt null.pcap
printf '0000 00 00 00 01 00 06 02 00 00 00 00 01 00 00 08 00 45 00 00 1c 00 01 00 00 40 11 00 00 0a 00 00 03 0a 00 00 04 00 35 00 35 00 08 00 00\n' >sll.txt
text2pcap -q -l 113 sll.txt sll.pcap
editcap -r "$FEEDCAP_TESTDATA/marketdata.pcap" eth.pcapng 1-60
mergecap -F pcapng -w merged.pcapng eth.pcapng raw.pcap null.pcap sll.pcap
editcap -a '3:a frame comment' -a '61:raw one' -a '62:loopback, two' merged.pcapng mixed.pcapng
zstd -q -c mixed.pcapng >mixed.pcapng.zst

# What no tool here writes: a big-endian section with if_tsresol 2^-20, comments, epb_flags,
# epb_dropcount, an SPB and an ISB; then a little-endian section with if_tsresol 10^-3, two
# interfaces and its own comment.
python3 - <<'EOF'
import struct

def blk(e, t, body):
    body += b'\0' * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack(e + 'II', t, n) + body + struct.pack(e + 'I', n)

def opt(e, c, v):
    return struct.pack(e + 'HH', c, len(v)) + v + b'\0' * (-len(v) % 4)

def end(e):
    return struct.pack(e + 'I', 0)

frame = bytes.fromhex('01005e010101' '020000000001' '0800' '4500001c00010000401100000a0000010a000002'
                      '7531753100080000')
pad = b'\0' * (-len(frame) % 4)  # packet data is padded to 32 bits before the options
out = b''
e = '>'
out += blk(e, 0x0A0D0D0A, struct.pack(e + 'IHHq', 0x1A2B3C4D, 1, 0, -1)
           + opt(e, 1, b'big-endian section') + opt(e, 4, b'hand-made') + end(e))
out += blk(e, 1, struct.pack(e + 'HHI', 1, 0, 0) + opt(e, 2, b'lineA') + opt(e, 3, b'feed A line')
           + opt(e, 9, b'\x94') + opt(e, 11, b'\x00udp port 30001') + end(e))
for i in range(5):
    ts = (1800000000 << 20) + i * 12345
    opts = opt(e, 1, b'be frame %d' % i) + opt(e, 2, struct.pack(e + 'I', 0x1 | (i << 2)))
    if i == 3:
        opts += opt(e, 4, struct.pack(e + 'Q', 7))
    out += blk(e, 6, struct.pack(e + 'IIIII', 0, ts >> 32, ts & 0xffffffff, len(frame), len(frame) + 4)
               + frame + pad + opts + end(e))
out += blk(e, 3, struct.pack(e + 'I', len(frame)) + frame)   # SPB: no timestamp
ts = (1800000001 << 20)
out += blk(e, 5, struct.pack(e + 'III', 0, ts >> 32, ts & 0xffffffff) + opt(e, 1, b'stats A')
           + opt(e, 4, struct.pack(e + 'Q', 100)) + opt(e, 5, struct.pack(e + 'Q', 3)) + end(e))
e = '<'
out += blk(e, 0x0A0D0D0A, struct.pack(e + 'IHHq', 0x1A2B3C4D, 1, 0, -1)
           + opt(e, 1, b'second section') + end(e))
for name, res in ((b'lineB', b'\x03'), (b'lineC', b'\x09')):
    out += blk(e, 1, struct.pack(e + 'HHI', 1, 0, 65535) + opt(e, 2, name) + opt(e, 9, res) + end(e))
for i in range(4):
    iface = i % 2
    ts = 1800000002000 + i if iface == 0 else 1800000002000000000 + i
    out += blk(e, 6, struct.pack(e + 'IIIII', iface, ts >> 32, ts & 0xffffffff, len(frame), len(frame))
               + frame + pad + opt(e, 1, b'le frame %d' % i) + end(e))
open('hand.pcapng', 'wb').write(out)
EOF
tshark -r hand.pcapng >/dev/null 2>&1 || fail "tshark does not read the hand-made pcapng"

# ------------------------------------------------------------------ oracle
F=(-T fields -E separator=/t -e frame.interface_id -e frame.encap_type -e frame.interface_name
	-e frame.interface_description -e frame.comment -e frame.time_epoch -e frame.len
	-e frame.cap_len -e frame.packet_flags -e frame.drop_count -e frame.protocols)
fields() { tshark -r "$1" "${F[@]}" 2>/dev/null; }
bytes() { tshark -r "$1" -x 2>/dev/null | md5sum | cut -d' ' -f1; }
# what capinfos says of interfaces and sections, without the file's own name, size, hashes
ifaces() {
	capinfos -I -k "$1" 2>/dev/null |
		grep -E 'Capture comment|Interface #|Encapsulation|Name =|Description =|Capture length|Time precision|Time resolution|Capture filter|stat entries|Number of packets =|Number of interfaces'
}

check_same() { # input, output, what
	local a b
	a=$(fields "$1")
	b=$(fields "$2")
	[[ -n $a ]] || fail "$3: tshark shows nothing in $1"
	[[ $a == "$b" ]] || fail "$3: frames differ (tshark fields):
$(diff <(echo "$a") <(echo "$b") | head -20)"
	[[ $(bytes "$1") == "$(bytes "$2")" ]] || fail "$3: frame bytes differ (tshark -x)"
	diff <(ifaces "$1") <(ifaces "$2") >&2 || fail "$3: interfaces, comments or statistics differ (capinfos)"
	echo "ok: $3: $(echo "$a" | wc -l) frames, fields, bytes, interfaces and statistics as tshark shows the input"
}

# ------------------------------------------------------------------ round trips
"$R" -w mixed-out.pcapng mixed.pcapng || fail "replay of a multi-link-type pcapng"
check_same mixed.pcapng mixed-out.pcapng "Ethernet + raw IP + loopback + Linux SLL pcapng -> pcapng"
[[ $(fields mixed-out.pcapng | cut -f2 | sort -u | tr '\n' ' ') == "1 15 25 7 " ]] ||
	fail "the output does not hold the four link types: $(fields mixed-out.pcapng | cut -f2 | sort -u | tr '\n' ' ')"

"$R" -w mixed-out2.pcapng.zst mixed.pcapng.zst || fail "replay of a zstd pcapng"
zstd -q -d -c mixed-out2.pcapng.zst >mixed-out2.pcapng
check_same mixed.pcapng mixed-out2.pcapng "zstd pcapng -> .pcapng.zst (pcapng from the name)"

"$R" -w hand-out.pcapng hand.pcapng || fail "replay of the hand-made pcapng"
check_same hand.pcapng hand-out.pcapng "big- and little-endian sections, tsresol 2^-20 and 10^-3, SPB, ISB"
capinfos hand-out.pcapng | grep -q 'big-endian section' || fail "the first section comment is lost"
capinfos hand-out.pcapng | grep -q 'second section' || fail "the second section comment is lost"

# pcap -> pcap keeps the bytes, lengths and timestamps at the input's resolution: byte for byte
tcpdump -r "$FEEDCAP_TESTDATA/marketdata.pcap" --time-stamp-precision=micro -w us.pcap 2>/dev/null
"$R" -w us-out.pcap us.pcap
cmp -s us.pcap us-out.pcap || fail "a microsecond pcap does not come back byte for byte"
text2pcap -q -F pcap -l 101 -t '%s.' raw.txt raw2.pcap
capinfos -t raw2.pcap | grep -q 'pcap$' || fail "text2pcap -F pcap did not write pcap"
"$R" -w raw-out.pcap raw2.pcap
cmp -s raw2.pcap raw-out.pcap || fail "a raw IP pcap does not come back byte for byte"
echo "ok: pcap -> pcap (microsecond Ethernet, raw IP) byte for byte"

# A pcap cannot hold two link types: said, exit 1, never a mislabelled file
set +e
"$R" -w mixed.pcap mixed.pcapng 2>err
rc=$?
set -e
expect_eq "$rc" 1 "exit status of a pcap asked to hold four link types"
grep -q "pcap file holds one link type" err || fail "no message: $(cat err)"

# ------------------------------------------------------------------ reading, every tool
# feedcap-stat counts what tshark counts; a filter keeps what tshark keeps for each link type
n=$(tshark -r mixed.pcapng 2>/dev/null | wc -l)
got=$("$FEEDCAP_STAT" -r mixed.pcapng --json | python3 -c 'import json,sys
for l in sys.stdin:
    o = json.loads(l)
    if o.get("type") == "summary":
        print(o["frames"])')
expect_eq "$got" "$n" "feedcap-stat frames of the multi-link-type pcapng"
"$R" -w udp53.pcapng mixed.pcapng udp port 53
expect_eq "$(tshark -r udp53.pcapng 2>/dev/null | wc -l)" \
	"$(tshark -r mixed.pcapng -Y 'udp.port == 53' 2>/dev/null | wc -l)" \
	"frames kept by 'udp port 53' across four link types"
"$R" -F pcapng -w - mixed.pcapng | tshark -r - 2>/dev/null | wc -l | grep -qx "$n" ||
	fail "pcapng on stdout: tshark reads another count"

# a closed pipe is a quiet exit 0 (tcpdump -c 2 has what it wanted)
"$R" -w - "$FEEDCAP_TESTDATA/marketdata.pcap" 2>err | tcpdump -r - -c 2 >/dev/null 2>&1
expect_eq "${PIPESTATUS[0]}" 0 "feedcap-replay exit status under tcpdump -c 2"
[[ ! -s err ]] || fail "feedcap-replay said something on a closed pipe: $(cat err)"
echo "ok: feedcap-stat and filters read every link type; a closed pipe ends replay with 0"
pass "pcapng from other tools in and out without loss"
