#!/bin/bash
# Retention through the index, across restarts of a resuming job:
#  - -W 3: two runs (the second resumes after the first), 3 files of the pattern in all, the
#    newest; another pattern's files in the same directory are never touched;
#  - retention_bytes (a [job]): the files kept total at most that many bytes, the newest;
#  - retention_age (a [job]): files whose last frame is older than that are deleted.
# After each, the index lists exactly the files on disk (tombstones for the deleted).
source "$(dirname "$0")/dump_lib.sh"

# The files on disk and the index agree: DIR PATTERN-GLOB.
index_matches_disk() {
	(cd "$1" && ls $2 2>/dev/null | sort) >"$T/disk"
	index_files "$1" | grep -E "$3" >"$T/idx" || true
	cmp -s "$T/disk" "$T/idx" || fail "$1: the index lists $(tr '\n' ' ' <"$T/idx") but the disk holds $(tr '\n' ' ' <"$T/disk")"
}

# -W 3 across a restart: 3000 frames 1 ms apart, the job down after the first 1500.
"$FCR_RINGFILL" gen -o "$T/in.pcap" -n 3000 --seed 5 --ts-base 1795000000000000000 --ts-step 1000000
"$FCR_RINGFILL" fill -r "$RING" -i "$T/in.pcap" --capacity $((16 << 20)) --pause-at 1500 \
	--go-file "$T/go" >"$T/produced" &
prod=$!
CLEANUP_PIDS+=($prod)
for _ in $(seq 200); do [[ -e "$RING" ]] && break; sleep 0.05; done
mkdir "$T/w"
cp "$T/in.pcap" "$T/w/other.pcap" # not of the pattern: never deleted
for _ in $(seq 200); do
	n=$("$FEEDCAP_DUMP" --ring "$RING" --from oldest --no-follow -w - 2>/dev/null | tcpdump -r - 2>/dev/null | wc -l) || true
	((n >= 1500)) && break
	sleep 0.05
done
"$FEEDCAP_DUMP" --ring "$RING" --from resume --no-follow -q -G 1 -W 3 -w "$T/w/w-%H%M%S.pcap" ||
	fail "-W 3, first run: exit $?"
first=$(ls "$T"/w/w-* | wc -l)
touch "$T/go"
wait $prod || fail "the producer failed"
"$FEEDCAP_DUMP" --ring "$RING" --from resume --no-follow -q -G 1 -W 3 -w "$T/w/w-%H%M%S.pcap" ||
	fail "-W 3, second run: exit $?"
ls "$T"/w/w-* >"$T/kept"
[[ $(wc -l <"$T/kept") == 3 ]] || fail "-W 3 across runs: $(cat "$T/kept")"
[[ -e $T/w/other.pcap ]] || fail "-W 3 deleted a file of no pattern"
# The newest are kept: one of them ends with the input's last frame.
lastin=$(tshark -r "$T/in.pcap" -T fields -e frame.time_epoch 2>/dev/null | tail -1)
for f in $(cat "$T/kept"); do tshark -r "$f" -T fields -e frame.time_epoch 2>/dev/null | tail -1; done >"$T/ends"
grep -qx "$lastin" "$T/ends" || fail "-W 3: the file with the last frame is not kept: $(cat "$T/kept")"
index_matches_disk "$T/w" "w-*" '^w-'
echo "ok: -W 3 across a restart ($first files after the first run): $(basename -a $(cat "$T/kept") | tr '\n' ' ')kept, the index agrees, other.pcap untouched"

# retention_bytes and retention_age in [job]s.  Frames of the last 10 minutes, 100 ms apart.
rm -f "$RING" "$RING.readers"
now=$(date +%s)
"$FCR_RINGFILL" gen -o "$T/recent.pcap" -n 6000 --seed 9 --ts-base $(((now - 600) * 1000000000)) \
	--ts-step 100000000
"$FCR_RINGFILL" fill -r "$RING" -i "$T/recent.pcap" --capacity $((16 << 20)) >/dev/null ||
	fail "cannot fill the ring"
cat >"$T/feedcap.conf" <<CONF
[ring t]
path = $RING
backing = file

[job bytes]
ring = t
directory = $T/b
file_name = b-%Y%m%dT%H%M%S
rotate_interval = 10s
retention_bytes = 1M
on_error = exit

[job age]
ring = t
directory = $T/g
file_name = g-%Y%m%dT%H%M%S
rotate_interval = 60s
retention_age = 5m
on_error = exit
CONF
"$FEEDCAP_DUMP" --config "$T/feedcap.conf" --job bytes --no-follow -q || fail "--job bytes: exit $?"
sum=$(stat -c %s "$T"/b/b-* | awk '{s += $1} END {print s}')
((sum <= 1 << 20)) || fail "retention_bytes 1M: $sum bytes kept"
((sum + $(stat -c %s "$T/b/$(ls "$T/b" | grep '^b-' | head -1)") > 900000)) ||
	fail "retention_bytes 1M: only $sum bytes kept"
last=$(tshark -r "$T/recent.pcap" -T fields -e frame.time_epoch 2>/dev/null | tail -1)
[[ $(tshark -r "$(ls "$T"/b/b-* | tail -1)" -T fields -e frame.time_epoch 2>/dev/null | tail -1) == "$last" ]] ||
	fail "retention_bytes: the newest file is not kept"
index_matches_disk "$T/b" "b-*" '^b-'
echo "ok: retention_bytes 1M: $(ls "$T"/b/b-* | wc -l) newest files, $sum bytes, the index agrees"

"$FEEDCAP_DUMP" --config "$T/feedcap.conf" --job age --no-follow -q || fail "--job age: exit $?"
limit=$(($(date +%s) - 300))
for f in "$T"/g/g-*; do
	t=$(tshark -r "$f" -T fields -e frame.time_epoch 2>/dev/null | tail -1)
	((${t%.*} >= limit - 1)) || fail "retention_age 5m: $f ends at $t, before $limit"
done
n=$(ls "$T"/g/g-* | wc -l)
((n >= 5 && n <= 7)) || fail "retention_age 5m over 10 min of 1-minute files: $n files kept"
index_matches_disk "$T/g" "g-*" '^g-'
echo "ok: retention_age 5m: $n files of the last 5 minutes kept, the index agrees"
