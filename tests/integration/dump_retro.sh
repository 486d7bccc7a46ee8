#!/bin/bash
# Retroactive dump: on a ring holding more than N seconds, `--from -Ns` gives exactly the
# frames of the last N seconds (timestamps >= newest - N); --from TIME gives those at or after
# TIME.  The oracle is tshark's time filter on a full dump of the ring.
source "$(dirname "$0")/dump_lib.sh"

# 20000 frames 1 ms apart (+ jitter): 20 s in the ring; the producer stays alive.
"$FCR_RINGFILL" gen -o "$T/in.pcap" -n 20000 --seed 5 --ts-base 1795000000123456789 --ts-step 1000000
"$FCR_RINGFILL" fill -r "$RING" -i "$T/in.pcap" --capacity $((32 << 20)) --hold 60 >/dev/null &
CLEANUP_PIDS+=($!)
for _ in $(seq 100); do
	"$FEEDCAP_DUMP" --ring "$RING" --from oldest --no-follow -q -w "$T/all.pcap" 2>/dev/null || true
	[[ -e "$T/all.pcap" ]] && (($(tshark_count "$T/all.pcap") == 20000)) && break
	sleep 0.1
done
[[ $(tshark_count "$T/all.pcap") == 20000 ]] || fail "the ring does not hold the 20000 frames"

newest=$(tshark -r "$T/all.pcap" -T fields -e frame.time_epoch 2>/dev/null | sort | tail -1)
[[ $newest =~ ^([0-9]+)\.([0-9]{9})$ ]] || fail "tshark's newest time '$newest' is not SECONDS.NANOSECONDS"
newest_ns=$((10#${BASH_REMATCH[1]} * 1000000000 + 10#${BASH_REMATCH[2]}))
for secs in 3 0.5 7.25; do
	# newest - secs, to the nanosecond, in 64-bit integers (ns since the epoch fit)
	frac=${secs#*.}
	[[ $secs == *.* ]] || frac=
	frac=${frac}000000000
	cut_ns=$((newest_ns - 10#${secs%%.*} * 1000000000 - 10#${frac:0:9}))
	cut=$((cut_ns / 1000000000)).$(printf '%09d' $((cut_ns % 1000000000)))
	tshark -r "$T/all.pcap" -Y "frame.time_epoch >= $cut" -F nsecpcap -w "$T/want.pcap" 2>/dev/null
	"$FEEDCAP_DUMP" --ring "$RING" --from "-${secs}s" --no-follow -q -w "$T/got.pcap"
	frames_of "$T/want.pcap" >"$T/want.txt"
	frames_of "$T/got.pcap" >"$T/got.txt"
	w=$(grep -c '^[0-9]' "$T/want.txt")
	((w > 0 && w < 20000)) || fail "--from -${secs}s: the oracle selected $w frames"
	cmp -s "$T/want.txt" "$T/got.txt" || fail "--from -${secs}s: got $(grep -c '^[0-9]' "$T/got.txt") frames, want $w"
	echo "ok: --from -${secs}s: exactly the $w frames with ts >= $cut"
done

# --from TIME (ISO 8601 and epoch) picks the first frame at or after it.
mid=$(tshark -r "$T/all.pcap" -T fields -e frame.time_epoch 2>/dev/null | sed -n 12345p)
iso=$(date -u -d "@${mid%.*}" +%Y-%m-%dT%H:%M:%S).${mid#*.}Z
for spec in "$mid" "$iso"; do
	"$FEEDCAP_DUMP" --ring "$RING" --from "$spec" --no-follow -q -w "$T/got.pcap"
	[[ $(tshark_count "$T/got.pcap") == $((20000 - 12344)) ]] || fail "--from $spec: $(tshark_count "$T/got.pcap") frames"
	[[ $(tshark -r "$T/got.pcap" -c1 -T fields -e frame.time_epoch 2>/dev/null) == "$mid" ]] || fail "--from $spec: wrong first frame"
	echo "ok: --from $spec: starts at frame 12345"
done

# Bad time specs: exit 2 with the value named.
for bad in "-3 parsecs" "yesterday" "2026-13-45T00:00:00Z"; do
	set +e
	"$FEEDCAP_DUMP" --ring "$RING" --from "$bad" --no-follow -w "$T/x.pcap" 2>"$T/log"
	rc=$?
	set -e
	[[ $rc == 2 ]] && grep -qF -- "$bad" "$T/log" || fail "--from '$bad': exit $rc: $(cat "$T/log")"
done
echo "ok: bad --from values exit 2 naming the value"
