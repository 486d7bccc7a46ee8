#!/bin/bash
# Rotation: -G SECONDS on frame time with strftime names, -C SIZE, -W N, and the .part rename
# (a file appears under its final name only when complete; a live file is NAME.part).
source "$(dirname "$0")/dump_lib.sh"

# 6000 frames, 2 ms apart: 12 s of frame time starting on a whole second.
base=1795000000000000000
"$FCR_RINGFILL" gen -o "$T/in.pcap" -n 6000 --seed 3 --ts-base $base --ts-step 2000000
"$FCR_RINGFILL" fill -r "$RING" -i "$T/in.pcap" --capacity $((32 << 20)) >/dev/null
frames_of "$T/in.pcap" >"$T/want.txt"
n=$(grep -c '^[0-9]' "$T/want.txt")

# -G 3: one file per 3 s period of frame time, named with strftime (UTC).
mkdir "$T/g"
"$FEEDCAP_DUMP" --ring "$RING" --from oldest --no-follow -q -G 3 -w "$T/g/md-%Y%m%dT%H%M%S.pcap"
periods=$(tshark -r "$T/in.pcap" -T fields -e frame.time_epoch 2>/dev/null | awk '{print int($1/3)*3}' | sort -u)
[[ $(ls "$T/g"/*.pcap | wc -l) == $(echo "$periods" | wc -l) ]] || fail "-G 3: $(ls "$T/g") for periods $periods"
for p in $periods; do
	f="$T/g/md-$(date -u -d @"$p" +%Y%m%dT%H%M%S).pcap"
	[[ -e $f ]] || fail "-G 3: no file for period $p ($f)"
	# every frame inside the period
	tshark -r "$f" -T fields -e frame.time_epoch 2>/dev/null | awk -v p="$p" '$1 < p || $1 >= p + 3 {bad=1} END {exit bad}' ||
		fail "-G 3: $f holds frames outside [$p, $p+3)"
done
cat "$T/g"/*.pcap >/dev/null
for f in "$T/g"/*.pcap; do frames_of "$f"; done >"$T/got.txt"
cmp -s "$T/want.txt" "$T/got.txt" || fail "-G 3: the files together are not the input"
[[ $(index_files "$T/g" | wc -l) == $(echo "$periods" | wc -l) ]] || fail "-G: index lists $(index_files "$T/g" | wc -l) files"
! ls "$T/g" | grep -q '\.part$' || fail "-G: .part files left"
echo "ok: -G 3: $(echo "$periods" | wc -l) files, each holding exactly its period"

# -C 200K: files of about 200 KiB, numbered, together the input.
mkdir "$T/c"
"$FEEDCAP_DUMP" --ring "$RING" --from oldest --no-follow -q -C 200K -w "$T/c/md.pcap"
files=$(ls "$T/c"/md.*.pcap | sort)
nf=$(echo "$files" | wc -l)
total=$(stat -c %s "$T/in.pcap")
((nf >= total / (200 * 1024) && nf <= total / (200 * 1024) + 1)) || fail "-C 200K: $nf files for $total bytes"
for f in $files; do
	s=$(stat -c %s "$f")
	((s < 200 * 1024 + 1600)) || fail "-C 200K: $f is $s bytes"
	frames_of "$f"
done >"$T/got.txt"
cmp -s "$T/want.txt" "$T/got.txt" || fail "-C: the files together are not the input"
echo "ok: -C 200K: $nf files, each <= 200 KiB + one frame, together the input"

# -W 3 with -C: only the 3 newest files remain, and the index lists only those.
mkdir "$T/w"
"$FEEDCAP_DUMP" --ring "$RING" --from oldest --no-follow -q -C 40K -W 3 -w "$T/w/md.pcap.zst" --zstd=1
ls "$T/w"/*.zst | sort >"$T/left"
[[ $(wc -l <"$T/left") == 3 ]] || fail "-W 3: $(cat "$T/left")"
last=$(ls "$T/c"/md.*.pcap | sort | tail -1 | xargs -n1 basename)
[[ $(index_files "$T/w" | wc -l) == 3 ]] || fail "-W 3: index: $(cat "$T/w/feedcap-index.jsonl")"
for f in $(cat "$T/left"); do
	index_files "$T/w" | grep -x "$(basename "$f")" >/dev/null || fail "-W 3: $f not in the index"
	zstd -tq "$f" || fail "-W 3: $f fails zstd -t"
done
# the last file holds the last frame of the input
lastts=$(tshark -r "$T/in.pcap" -T fields -e frame.time_epoch 2>/dev/null | tail -1)
[[ $(tshark -r "$(tail -1 "$T/left")" -T fields -e frame.time_epoch 2>/dev/null | tail -1) == "$lastts" ]] ||
	fail "-W 3: the newest file does not end with the last frame"
echo "ok: -W 3: the 3 newest files kept ($last was the last of the unbounded run), index follows"

# -z CMD, as tcpdump's: CMD FILE once for each completed file, which is whole when it runs.
mkdir "$T/z"
printf '%s\n' '#!/bin/bash' \
	'# a post-rotation command: note the file and how many frames tshark reads in it' \
	'n=$(tshark -r "$1" 2>/dev/null | wc -l)' \
	"echo \"\$1 \$n\" >>'$T/z.log'" >"$T/post.sh"
chmod +x "$T/post.sh"
"$FEEDCAP_DUMP" --ring "$RING" --from oldest --no-follow -q -C 200K -w "$T/z/md.pcap" -z "$T/post.sh"
nz=$(ls "$T/z"/md*.pcap | wc -l)
for _ in $(seq 100); do
	[[ -s $T/z.log && $(wc -l <"$T/z.log") == "$nz" ]] && break
	sleep 0.1
done
ls "$T/z"/md*.pcap | sort >"$T/zfiles"
cut -d' ' -f1 "$T/z.log" | sort >"$T/zran"
cmp -s "$T/zfiles" "$T/zran" || fail "-z: ran on $(cat "$T/zran"), files $(cat "$T/zfiles")"
while read -r f fn; do
	[[ $fn == "$(tshark -r "$f" 2>/dev/null | wc -l)" && $fn -gt 0 ]] || fail "-z: $f was not complete when CMD ran ($fn frames)"
done <"$T/z.log"
((nz > 1)) || fail "-z: only $nz files"
echo "ok: -z CMD ran once on each of $nz completed files, each whole"

# .part: a following dump shows NAME.part while it writes, NAME only once closed.
mkdir "$T/p"
"$FCR_RINGFILL" fill -r "$RING.live" -i "$T/in.pcap" --capacity $((16 << 20)) --hold 30 >/dev/null &
CLEANUP_PIDS+=($!)
RING_LIVE="$RING.live"
trap 'cleanup; rm -f "$RING_LIVE" "$RING_LIVE.readers"' EXIT
for _ in $(seq 50); do [[ -e "$RING.live" ]] && break; sleep 0.1; done
"$FEEDCAP_DUMP" --ring "$RING.live" --from oldest -q -w "$T/p/live.pcapng.zst" --flush-interval 100ms &
dpid=$!
CLEANUP_PIDS+=($dpid)
for _ in $(seq 50); do [[ -s "$T/p/live.pcapng.zst.part" ]] && break; sleep 0.1; done
sleep 0.5
[[ -e "$T/p/live.pcapng.zst.part" ]] || fail ".part: no NAME.part while writing: $(ls "$T/p")"
[[ ! -e "$T/p/live.pcapng.zst" ]] || fail ".part: the final name exists while writing"
kill -INT $dpid
wait $dpid || fail ".part: feedcap-dump exited $? on SIGINT"
[[ -e "$T/p/live.pcapng.zst" && ! -e "$T/p/live.pcapng.zst.part" ]] || fail ".part: not renamed on exit: $(ls "$T/p")"
[[ $(tshark_count "$T/p/live.pcapng.zst") == "$n" ]] || fail ".part: the renamed file has $(tshark_count "$T/p/live.pcapng.zst") frames"
echo "ok: .part while writing, renamed complete on exit"
