#!/bin/bash
# Disk full (a small tmpfs mounted here): the file is closed valid at its last durable frame
# and renamed, the error names the file and the cause, exit 1.  With --on-error=wait it
# retries, and once space is freed resumes where the file stopped: every frame ends up in
# exactly one file, none twice, none missing.
source "$(dirname "$0")/dump_lib.sh"

small_disk 2m fcrdumpfull

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

# --on-error=wait: resume after space is freed, nothing lost, nothing twice.  Meanwhile
# feedcap-stat (JSON, text, Prometheus) shows this writer's errors and the ENOSPC naming its
# file, blocked while it waits, and after space is freed still the count, no longer blocked.
rm -f "$T/mnt"/*
head -c $((1024 * 1024)) /dev/urandom >"$T/mnt/filler"
"$FEEDCAP_DUMP" --ring "$RING" --from oldest --on-error=wait -C 300K --name diskfull \
	-w "$T/mnt/w.pcap" 2>"$T/log" &
dump=$!
CLEANUP_PIDS+=($dump)
for _ in $(seq 100); do grep -q "retrying" "$T/log" && break; sleep 0.1; done
grep -q "No space left on device" "$T/log" || fail "wait: no disk-full error reported: $(cat "$T/log")"
sleep 1.5
kill -0 $dump || fail "wait: feedcap-dump did not wait"

# This writer's entry in feedcap-stat's JSON summary (the last line), saved to $T/$1.json.
stat_writer() {
	"$FEEDCAP_STAT" --ring "$RING" --no-follow --json --prom "$T/$1.prom" | tail -n 1 >"$T/$1.json"
	jq -c '.capture.readers[] | select(.name == "diskfull")' "$T/$1.json"
}
w=$(stat_writer blocked)
[[ -n $w ]] || fail "stat: the writer is not listed: $(cat "$T/blocked.json")"
jq -e '.blocked == true and .write_errors > 0 and .last_errno == 28 and .last_error_ns > 0' <<<"$w" >/dev/null ||
	fail "stat --json while waiting: not blocked with errors: $w"
errfile=$(jq -r .last_error <<<"$w")
# The file of the last retry (an empty one is removed again, so it need not be there).
[[ $errfile =~ ^ENOSPC\ on\ ($T/mnt/w\.[0-9]+\.pcap\.part)$ ]] || fail "stat --json: last error '$errfile' is not ENOSPC on a file in $T/mnt"
errfile=${BASH_REMATCH[1]}
jq -e '.losses.writer_errors.diskfull > 0' "$T/blocked.json" >/dev/null || fail "no writer_errors among the losses: $(jq -c .losses "$T/blocked.json")"
errors1=$(jq .write_errors <<<"$w")
"$FEEDCAP_STAT" --ring "$RING" --no-follow >"$T/blocked.txt"
grep -Eq "^reader diskfull .* write_errors +[1-9][0-9]*  blocked" "$T/blocked.txt" ||
	fail "stat text while waiting: no blocked writer with errors: $(cat "$T/blocked.txt")"
grep -Fq ": ENOSPC on $errfile" "$T/blocked.txt" || fail "stat text: no last error naming $errfile: $(cat "$T/blocked.txt")"
grep -q '^feedcap_writer_blocked{reader="diskfull"} 1$' "$T/blocked.prom" || fail "Prometheus: not blocked: $(grep writer "$T/blocked.prom")"
grep -Eq '^feedcap_writer_errors_total\{reader="diskfull"\} [1-9]' "$T/blocked.prom" || fail "Prometheus: no errors"
grep -Fq "feedcap_writer_last_error_timestamp_seconds{reader=\"diskfull\",errno=\"ENOSPC\",error=\"ENOSPC on $errfile\"}" \
	"$T/blocked.prom" || fail "Prometheus: no last error: $(grep writer "$T/blocked.prom")"
"$FEEDCAP_STAT" --ring "$RING" --interval 200ms --duration 500ms >"$T/lines.txt"
grep -Eq ' writer_errors=[1-9][0-9]* writers_blocked=1$' "$T/lines.txt" ||
	fail "stat lines while waiting: no blocked writer with errors: $(cat "$T/lines.txt")"
# Every failed retry (one a second) is an error of its own.
sleep 2.5
errors2=$(stat_writer blocked2 | jq .write_errors)
((errors2 > errors1)) || fail "stat: errors did not grow while retrying ($errors1, then $errors2)"
echo "ok: --on-error=wait: feedcap-stat shows the writer blocked, $errors2 errors, ENOSPC on $errfile"

# Move what was written away, free the space, and let it resume.
mkdir "$T/done"
mv "$T/mnt"/w.*.pcap "$T/done/"
rm -f "$T/mnt/filler"
# The rest (about 4 MB) still does not fit in 2 MB: keep moving complete files out until
# feedcap-dump has caught up with the ring (it follows, so it stays registered).
w=
for _ in $(seq 300); do
	kill -0 $dump 2>/dev/null || fail "wait: feedcap-dump ended: $(cat "$T/log")"
	for f in "$T/mnt"/w.*.pcap; do [[ -e $f ]] && mv "$f" "$T/done/"; done
	w=$(stat_writer resumed)
	jq -e '.blocked == false and .lag_bytes == 0' <<<"$w" >/dev/null && break
	sleep 0.1
done
jq -e '.blocked == false and .lag_bytes == 0' <<<"$w" >/dev/null || fail "stat: the writer never caught up unblocked: $w"
errors3=$(jq .write_errors <<<"$w")
((errors3 >= errors2)) || fail "stat: the error count went back ($errors2, then $errors3)"
[[ $(jq -r .last_error <<<"$w") == ENOSPC\ on\ *.part ]] || fail "stat: the last error is gone: $w"
"$FEEDCAP_STAT" --ring "$RING" --no-follow >"$T/resumed.txt"
grep -Eq "^reader diskfull .* write_errors +$errors3\$" "$T/resumed.txt" ||
	fail "stat text after resuming: not '$errors3 errors, not blocked': $(cat "$T/resumed.txt")"
grep -q '^feedcap_writer_blocked{reader="diskfull"} 0$' "$T/resumed.prom" || fail "Prometheus: still blocked"
kill -INT $dump
wait $dump || fail "wait: exited $?: $(cat "$T/log")"
mv "$T/mnt"/w.*.pcap "$T/done/" 2>/dev/null || true
cat "$T/log"
grep -q ", $errors3 write errors" "$T/log" || fail "feedcap-dump counted other than the $errors3 errors stat showed"
for f in $(ls "$T/done"/w.*.pcap | sort -V); do frames_of "$f"; done >"$T/got.txt"
frames_of "$T/in.pcap" >"$T/want.txt"
cmp -s "$T/want.txt" "$T/got.txt" || fail "wait: the files together are not the input ($(grep -c '^[0-9]' "$T/got.txt") frames)"
echo "ok: --on-error=wait: resumed after the disk-full error; all 20000 frames, once each, in $(ls "$T/done" | wc -l) files; stat then showed $errors3 errors, not blocked"
