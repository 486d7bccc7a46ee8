#!/bin/bash
# -G never goes back, and honest windows.
#  - Eight frames within 3 us of a minute boundary, from two ports whose clocks disagree
#    (alternately just before and just after it): exactly 2 files, named without a sequence
#    number, holding the 8 frames (tshark).
#  - --from a time the ring does not hold (2020, or -30s of a ring holding 10 s): stderr says
#    what the ring holds (its oldest and newest time); --require-window exits 1.
source "$(dirname "$0")/dump_lib.sh"

B=1795000020 # a whole minute: 2026-11-18T11:07:00Z
python3 - "$T/jit.pcap" "$B" <<'EOF'
import struct, sys
out, b = sys.argv[1], int(sys.argv[2])
offs = [-3000, 1000, -2000, 2000, -1000, 3000, -500, 500]  # ns around the boundary
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 65535, 1))
    for i, o in enumerate(offs):
        ns = b * 10**9 + o
        frame = bytes.fromhex("01005e000001020000000001") + b"\x08\x00" + bytes(46 + i)
        f.write(struct.pack("<IIII", ns // 10**9, ns % 10**9, len(frame), len(frame)) + frame)
EOF
# The producer exits once every frame is in the ring; the ring stays.
"$FCR_RINGFILL" fill -r "$RING" -i "$T/jit.pcap" --capacity $((4 << 20)) --ports 2 >/dev/null ||
	fail "cannot fill the ring"
mkdir "$T/g"
"$FEEDCAP_DUMP" --ring "$RING" --from oldest --no-follow -q -G 60 -w "$T/g/md-%Y%m%dT%H%M%S.pcap"
ls "$T/g" | grep -v feedcap-index >"$T/g.list"
[[ $(wc -l <"$T/g.list") == 2 ]] || fail "-G 60 across a boundary jittered by 3 us made $(wc -l <"$T/g.list") files: $(cat "$T/g.list")"
[[ $(sed -n 1p "$T/g.list") == md-20261118T110600.pcap && $(sed -n 2p "$T/g.list") == md-20261118T110700.pcap ]] ||
	fail "-G 60: expected md-20261118T110600.pcap and md-20261118T110700.pcap: $(cat "$T/g.list")"
total=0
for f in "$T"/g/md-*; do total=$((total + $(tshark_count "$f"))); done
((total == 8)) || fail "-G 60: the files hold $total of the 8 frames"
[[ $(tshark_count "$T/g/md-20261118T110600.pcap") == 1 ]] || fail "-G 60: the first file should hold only the frame before the first one past the boundary"
echo "ok: -G 60, 8 frames within 3 us of a boundary from two ports: 2 files without sequence numbers, 8 frames"

# Honest windows, on a ring holding 10 s of 2026-11-18 (the same path: cleaned up at exit).
rm -f "$RING" "$RING.readers"
RING2=$RING
"$FCR_RINGFILL" gen -o "$T/in.pcap" -n 1000 --seed 3 --ts-base 1795000000000000000 --ts-step 10000000
"$FCR_RINGFILL" fill -r "$RING2" -i "$T/in.pcap" --capacity $((4 << 20)) >/dev/null ||
	fail "cannot fill the second ring"

"$FEEDCAP_DUMP" --ring "$RING2" --from 2020-01-01 --no-follow -q -w "$T/w1.pcap" 2>"$T/w1.err" ||
	fail "--from 2020-01-01 without --require-window exited $?: $(cat "$T/w1.err")"
grep -q "the ring holds 2026-11-18T11:06:40" "$T/w1.err" || fail "--from 2020-01-01: stderr does not say what the ring holds: $(cat "$T/w1.err")"
grep -q "2020-01-01T00:00:00" "$T/w1.err" || fail "--from 2020-01-01: stderr does not name the time asked for: $(cat "$T/w1.err")"
[[ $(tshark_count "$T/w1.pcap") == 1000 ]] || fail "--from 2020-01-01: expected the 1000 frames the ring holds"
echo "ok: --from 2020-01-01 --no-follow: $(cat "$T/w1.err")"

rc=0
"$FEEDCAP_DUMP" --ring "$RING2" --from 2020-01-01 --no-follow --require-window -q -w "$T/w2.pcap" 2>"$T/w2.err" || rc=$?
((rc == 1)) || fail "--require-window on a window the ring does not hold exited $rc: $(cat "$T/w2.err")"
grep -q "require-window" "$T/w2.err" || fail "--require-window: stderr does not say why: $(cat "$T/w2.err")"
echo "ok: --require-window exits 1: $(cat "$T/w2.err")"

rc=0
"$FEEDCAP_DUMP" --ring "$RING2" --from -30s --no-follow --require-window -q -w "$T/w3.pcap" 2>"$T/w3.err" || rc=$?
((rc == 1)) || fail "--from -30s of a ring holding 10 s with --require-window exited $rc: $(cat "$T/w3.err")"
grep -q "the ring holds" "$T/w3.err" || fail "--from -30s: stderr does not say what the ring holds: $(cat "$T/w3.err")"
echo "ok: --from -30s of a 10 s ring: $(cat "$T/w3.err")"

# A window the ring holds: no word, exit 0, even with --require-window.
"$FEEDCAP_DUMP" --ring "$RING2" --from -5s --no-follow --require-window -q -w "$T/w4.pcap" 2>"$T/w4.err" ||
	fail "--from -5s of a 10 s ring exited $?: $(cat "$T/w4.err")"
[[ ! -s "$T/w4.err" ]] || fail "--from -5s of a 10 s ring: unexpected words: $(cat "$T/w4.err")"
n=$(tshark_count "$T/w4.pcap")
((n >= 499 && n <= 502)) || fail "--from -5s of 10 s at 100 frames/s: $n frames"
echo "ok: --from -5s of a 10 s ring with --require-window: $n frames, no warning"
