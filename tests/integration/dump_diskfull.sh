#!/bin/bash
# Disk full (a small tmpfs mounted here): the file is closed valid at its last durable frame
# and renamed, the error names the file and the cause, exit 1.  With --on-error=wait it
# retries, and once space is freed resumes where the file stopped: every frame ends up in
# exactly one file, none twice, none missing.
source "$(dirname "$0")/dump_lib.sh"

if ! mount -t tmpfs -o size=2m fcrdumpfull "$T/mnt" 2>/dev/null && ! { mkdir -p "$T/mnt" && mount -t tmpfs -o size=2m fcrdumpfull "$T/mnt"; }; then
	echo "SKIP: cannot mount a tmpfs (needs root)"
	exit 77
fi
CLEANUP_MOUNTS+=("$T/mnt")

"$FCR_RINGFILL" gen -o "$T/in.pcap" -n 20000 --seed 17 # about 4 MB: twice the tmpfs
"$FCR_RINGFILL" fill -r "$RING" -i "$T/in.pcap" --capacity $((32 << 20)) >/dev/null

for fmt in pcap pcapng.zst pcapng; do
	rm -f "$T/mnt"/*
	opts=()
	# zstd makes the 4 MB about 0.6 MB: leave it less room than that
	if [[ $fmt == *.zst ]]; then
		head -c $((1700 * 1024)) /dev/urandom >"$T/mnt/filler"
	fi
	set +e
	"$FEEDCAP_DUMP" --ring "$RING" --from oldest --no-follow -w "$T/mnt/out.$fmt" "${opts[@]}" 2>"$T/log"
	rc=$?
	set -e
	cat "$T/log"
	[[ $rc == 1 ]] || fail "$fmt: disk full exited $rc, not 1"
	grep -q "out.$fmt.part.*No space left on device" "$T/log" || fail "$fmt: the error does not name the file and the cause"
	[[ -e "$T/mnt/out.$fmt" && ! -e "$T/mnt/out.$fmt.part" ]] || fail "$fmt: not closed and renamed: $(ls "$T/mnt")"
	written=$(stat_of "$T/log" "written")
	((written > 0 && written < 20000)) || fail "$fmt: $written frames written"
	[[ $(tshark_count "$T/mnt/out.$fmt") == "$written" ]] || fail "$fmt: tshark reads $(tshark_count "$T/mnt/out.$fmt"), statistics say $written"
	capinfos "$T/mnt/out.$fmt" >/dev/null 2>&1 || fail "$fmt: capinfos rejects the file"
	if is_zstd "$T/mnt/out.$fmt"; then
		zstd -tq "$T/mnt/out.$fmt" || fail "$fmt: zstd -t rejects the file"
	fi
	frames_of "$T/mnt/out.$fmt" >"$T/got.txt"
	frames_of "$T/in.pcap" >"$T/all.txt"
	head -n "$(wc -l <"$T/got.txt")" "$T/all.txt" >"$T/want.txt"
	cmp -s "$T/want.txt" "$T/got.txt" || fail "$fmt: the file is not the first $written input frames"
	echo "ok: $fmt: disk full: exit 1, named, file valid with the first $written frames"
done

# --on-error=wait: resume after space is freed, nothing lost, nothing twice.
rm -f "$T/mnt"/*
head -c $((1024 * 1024)) /dev/urandom >"$T/mnt/filler"
"$FEEDCAP_DUMP" --ring "$RING" --from oldest --no-follow --on-error=wait -C 300K \
	-w "$T/mnt/w.pcap" 2>"$T/log" &
dump=$!
CLEANUP_PIDS+=($dump)
for _ in $(seq 100); do grep -q "retrying" "$T/log" && break; sleep 0.1; done
grep -q "No space left on device" "$T/log" || fail "wait: no disk-full error reported: $(cat "$T/log")"
sleep 1.5
kill -0 $dump || fail "wait: feedcap-dump did not wait"
# Move what was written away, free the space, and let it resume.
mkdir "$T/done"
mv "$T/mnt"/w.*.pcap "$T/done/"
rm -f "$T/mnt/filler"
# The rest (about 4 MB) still does not fit in 2 MB: keep moving complete files out.
for _ in $(seq 300); do
	kill -0 $dump 2>/dev/null || break
	for f in "$T/mnt"/w.*.pcap; do [[ -e $f ]] && mv "$f" "$T/done/"; done
	sleep 0.1
done
wait $dump || fail "wait: exited $?: $(cat "$T/log")"
mv "$T/mnt"/w.*.pcap "$T/done/" 2>/dev/null || true
cat "$T/log"
for f in $(ls "$T/done"/w.*.pcap | sort); do frames_of "$f"; done >"$T/got.txt"
frames_of "$T/in.pcap" >"$T/want.txt"
cmp -s "$T/want.txt" "$T/got.txt" || fail "wait: the files together are not the input ($(grep -c '^[0-9]' "$T/got.txt") frames)"
echo "ok: --on-error=wait: resumed after the disk-full error; all 20000 frames, once each, in $(ls "$T/done" | wc -l) files"
