#!/bin/bash
# Exactly-once archive jobs, killed where a random kill almost never lands.  dump_killpoint.c
# (LD_PRELOAD) makes feedcap-dump SIGKILL itself at one chosen system call: between the rename
# of NAME.part and the index line, between the line's write() and its fsync(), after the fsync,
# between the last checkpoint and the rename, in a rotation once the next .part (or its
# checkpoint) exists, during a retention's deletions, and in the restarted run's recovery of
# what the first kill left.  Each case runs a job (--from resume, the jobs' default) over a
# ring of 3000 known frames until the kill point fires, then runs it again without the library
# until it has caught up (--no-follow), and once more, which must change nothing.  Then:
#   - no .part, .part.ckpt or .salvage.part is left;
#   - the frames of the completed archives, read by tcpdump (zstd files through the zstd CLI),
#     are the input's, each once (timestamps are unique, so a repeat or a gap shows);
#   - the index names each archive in exactly one line, no file that is not there, with ring
#     sequence ranges that tile the ring's records without overlap or hole;
#   - feedcap-replay --list (which trusts the index) agrees with capinfos on every file, and a
#     full feedcap-replay of the directory (which repairs the index if it disagrees with the
#     files) reads the input's frames and appends nothing to the index.
# Last, two cases of their own: a recovery that had to number its file, killed before its
# line; and a second run of a job started while the first writes, which must leave the
# first one's .part alone.  DUMP_KILLPOINTS_ONLY=REGEX runs only the matching kill cases.
source "$(dirname "$0")/dump_lib.sh"
source "$(dirname "$0")/archset_lib.sh"
if [[ -z ${FEEDCAP_REPLAY:-} || -z ${FEEDCAP_STAT:-} || -z ${FEEDCAP_KILLPOINT_LIB:-} ]]; then
	echo "SKIP: feedcap-replay, feedcap-stat and the kill point library (FEEDCAP_KILLPOINT_LIB) are needed"
	exit 77
fi
for tool in python3 jq; do
	if ! command -v $tool >/dev/null; then
		echo "SKIP: $tool is not installed"
		exit 77
	fi
done

N=3000
# 1 ms apart: 3 s of frame time, three files with -G 1.
"$FCR_RINGFILL" gen -o "$T/in.pcap" -n $N --seed 29 --ts-base 1795000000000000000 \
	--ts-step 1000000
"$FCR_RINGFILL" fill -r "$RING" -i "$T/in.pcap" --capacity $((32 << 20)) >"$T/fill.out"
frame_lines "$T/in.pcap" >"$T/want.txt"
[[ $(wc -l <"$T/want.txt") == "$N" ]] || fail "tcpdump reads $(wc -l <"$T/want.txt") of $N input frames"

# The library goes after the sanitizer runtime of a sanitized build, which must come first.
preload=$FEEDCAP_KILLPOINT_LIB
asan=$(ldd "$FEEDCAP_DUMP" | awk '$1 ~ /^libasan/ { print $3 }')
[[ -z $asan ]] || preload="$asan $preload"

# The jobs: pattern and options.  G and Z rotate by time (pcap, single-frame zstd), C and P by
# size (multi-file pcapng.zst and pcapng), S is one zstd file, R keeps 2 files (-W).
declare -A pat=(
	[G]="G-%Y%m%dT%H%M%S.pcap" [Z]="Z-%Y%m%dT%H%M%S.pcap.zst" [C]="C.pcapng.zst"
	[P]="P.pcapng" [S]="S.pcap.zst" [R]="R-%Y%m%dT%H%M%S.pcap"
)
declare -A opt=([G]="-G 1" [Z]="-G 1" [C]="-C 25k" [P]="-C 150k" [S]="" [R]="-G 1 -W 2")

# run_job CASE JOB SPEC [follow]: one run of JOB in $T/CASE; with SPEC (WHEN:CALL:SUFFIX:N) it
# must die of SIGKILL at that call; without, it must catch up and exit 0.  Bounded: 120 s.
run_job() {
	local c=$1 j=$2 spec=$3 follow=(--no-follow) rc=0
	[[ ${4:-} != follow ]] || follow=()
	if [[ -z $spec ]]; then
		# shellcheck disable=SC2086
		timeout 120 "$FEEDCAP_DUMP" --ring "$RING" --from resume -q --name "kp-$c" \
			-w "$T/$c/${pat[$j]}" ${opt[$j]} "${follow[@]}" 2>>"$T/$c.log" || rc=$?
		((rc == 0)) || fail "$c: a run without kill point exited $rc: $(tail -5 "$T/$c.log")"
		return
	fi
	rm -f "$T/kp.log"
	# shellcheck disable=SC2086
	timeout 120 env LD_PRELOAD="$preload" FEEDCAP_KILLPOINT="$spec" \
		FEEDCAP_KILLPOINT_LOG="$T/kp.log" "$FEEDCAP_DUMP" --ring "$RING" --from resume -q \
		--name "kp-$c" -w "$T/$c/${pat[$j]}" ${opt[$j]} "${follow[@]}" 2>>"$T/$c.log" || rc=$?
	# timeout passes the status on: 128 + 9 when the library killed the job
	((rc == 137)) || fail "$c: $spec: the run exited $rc, not killed there: $(tail -5 "$T/$c.log")"
	[[ -s $T/kp.log ]] || fail "$c: $spec: died of SIGKILL but the library logged no kill"
	echo "  $c: killed $(cut -d' ' -f2- "$T/kp.log")" >>"$T/$c.log"
}

# check_set CASE JOB: the exactly-once checks above on $T/CASE.
check_set() {
	local c=$1 j=$2 d=$T/$1 files f
	files=$(find "$d" -maxdepth 1 -type f ! -name feedcap-index.jsonl -printf '%f\n' | sort)
	! grep -E '\.part(\.ckpt)?$' <<<"$files" >/dev/null ||
		fail "$c: left behind: $(grep -E '\.part' <<<"$files" | tr '\n' ' ')"
	[[ -n $files ]] || fail "$c: no archive at all"
	arch=()
	for f in $files; do
		arch+=("$d/$f")
	done
	for f in "${arch[@]}"; do
		! is_zstd "$f" || zstd -tq "$f" 2>"$T/zstd.err" || fail "$c: $f: zstd -t: $(cat "$T/zstd.err")"
	done
	capinfos_rows "${arch[@]}" >"$T/cap.txt" 2>"$T/capinfos.err" ||
		fail "$c: capinfos cannot read the archives: $(cat "$T/capinfos.err")"
	# frames: every input frame once (the kept files' time span only, with retention)
	frame_lines "${arch[@]}" >"$T/got.txt"
	if [[ $j == R ]]; then
		first=$(head -n 1 "$T/got.txt" | cut -d' ' -f1)
		awk -v f="$first" '$1 "" >= f' "$T/want.txt" >"$T/want-$c.txt" # as strings
	else
		cp "$T/want.txt" "$T/want-$c.txt"
	fi
	if ! cmp -s "$T/want-$c.txt" "$T/got.txt"; then
		fail "$c: the archives hold $(wc -l <"$T/got.txt") frames for $(wc -l <"$T/want-$c.txt"): $(uniq -d "$T/got.txt" | wc -l) repeated, $(comm -23 "$T/want-$c.txt" "$T/got.txt" | wc -l) missing ($(ls "$d" | tr '\n' ' '))"
	fi
	# the index against the directory (before anything repairs it)
	python3 - "$d" "$T/fill.out" 2>"$T/py.err" <<'PY' || fail "$c: index: $(cat "$T/py.err")"
import json, os, sys
d = sys.argv[1]
records = int(open(sys.argv[2]).read().split()[3])   # "frames F records R"
lines, live = {}, {}
for n, l in enumerate(open(os.path.join(d, "feedcap-index.jsonl")), 1):
    if not l.endswith("\n"):
        sys.exit(f"line {n} is torn: {l!r}")
    if not l.strip():
        continue
    o = json.loads(l)
    if "removed" in o:
        live.pop(o["removed"], None)
        continue
    lines[o["file"]] = lines.get(o["file"], 0) + 1
    live[o["file"]] = o
disk = {f for f in os.listdir(d) if f != "feedcap-index.jsonl"}
for f, k in lines.items():
    if k != 1:
        sys.exit(f"{f} has {k} lines")
if set(live) != disk:
    sys.exit(f"listed but missing: {sorted(set(live) - disk)}; there but not listed: {sorted(disk - set(live))}")
prev = None
for o in sorted(live.values(), key=lambda o: o["first_seq"]):
    f = o["file"]
    if o.get("repaired") or not o["first_seq"] or not o["frames"]:
        sys.exit(f"{f}: no sequence numbers or no frame: {o}")
    if o["last_seq"] - o["first_seq"] + 1 != o["frames"]:
        sys.exit(f"{f}: {o['frames']} frames for sequence numbers {o['first_seq']}..{o['last_seq']}")
    if o["bytes"] != os.path.getsize(os.path.join(d, f)):
        sys.exit(f"{f}: {o['bytes']} bytes listed, {os.path.getsize(os.path.join(d, f))} on disk")
    if prev and o["first_seq"] != prev["last_seq"] + 1:
        sys.exit(f"{prev['file']} ends at record {prev['last_seq']}, {f} starts at {o['first_seq']}")
    prev = o
if prev["last_seq"] != records:
    sys.exit(f"the last archive ends at record {prev['last_seq']}, the ring holds {records}")
PY
	list_rows "$d" >"$T/list.txt"
	diff "$T/cap.txt" "$T/list.txt" >&2 || fail "$c: feedcap-replay --list differs from capinfos"
	cp "$d/feedcap-index.jsonl" "$T/index.before"
	"$FEEDCAP_REPLAY" -w "$T/replayed.pcap" "$d" 2>"$T/replay.err" ||
		fail "$c: feedcap-replay of the directory: $(cat "$T/replay.err")"
	frame_lines "$T/replayed.pcap" | cmp -s - "$T/want-$c.txt" ||
		fail "$c: feedcap-replay of the directory differs from the input"
	cmp -s "$d/feedcap-index.jsonl" "$T/index.before" ||
		fail "$c: reading the set repaired its index: $(cat "$T/replay.err")"
}

# kill_case CASE JOB SPEC...: the job killed at each SPEC in turn (SPEC@follow: a following
# run, killed once idle), then run without kill points until caught up, and once more.
ncases=0
kill_case() {
	local c=$1 j=$2 s how
	shift 2
	[[ -z ${DUMP_KILLPOINTS_ONLY:-} || $c =~ $DUMP_KILLPOINTS_ONLY ]] || return 0
	mkdir "$T/$c"
	for s in "$@"; do
		how=
		[[ $s != *@follow ]] || how=follow
		run_job "$c" "$j" "${s%@follow}" $how
	done
	run_job "$c" "$j" ""
	cp "$T/$c/feedcap-index.jsonl" "$T/index.caught-up"
	ls "$T/$c" >"$T/ls.caught-up"
	run_job "$c" "$j" ""
	if ! cmp -s "$T/$c/feedcap-index.jsonl" "$T/index.caught-up" ||
		! ls "$T/$c" | cmp -s - "$T/ls.caught-up"; then
		fail "$c: a run of the caught-up job changed the set: $(ls "$T/$c" | tr '\n' ' ')"
	fi
	check_set "$c" "$j"
	ncases=$((ncases + 1))
	echo "ok: $c (${pat[$j]} ${opt[$j]}): killed at $*: $(($(ls "$T/$c" | wc -l) - 1)) archives hold the frames once"
	rm -rf "${T:?}/$c"
}

# Closing a file: renamed, not yet indexed (also the last file of the run, after which
# nothing is left to read); the index line not written; written but not fsynced; fsynced but
# the checkpoint not removed; the last checkpoint written but the file not renamed.
for j in G Z C P; do
	kill_case "rename-after-$j" $j after:rename:.part:1
	kill_case "ckpt-before-rename-$j" $j before:rename:.part:1
done
kill_case rename-after-last-G G after:rename:.part:3
for j in G Z; do
	kill_case "index-before-write-$j" $j before:write:feedcap-index.jsonl:1
done
for j in G C; do
	kill_case "index-before-fsync-$j" $j after:write:feedcap-index.jsonl:1
	kill_case "index-after-fsync-$j" $j after:fsync:feedcap-index.jsonl:1
done

# Rotation: the next NAME.part created (empty), its checkpoint created (empty), its checkpoint
# written (the header, no frame).
for j in G Z C P; do
	kill_case "rotate-part-$j" $j after:open:.part:2
done
for j in G C; do
	kill_case "rotate-ckpt-open-$j" $j after:open:.part.ckpt:2
	kill_case "rotate-ckpt-sync-$j" $j after:fdatasync:.part.ckpt:3
done

# The restarted run's recovery, killed: after renaming the .part the first kill left (its
# checkpoint still there), and before its index line.  S: a single zstd file killed while
# idle (a checkpoint inside the zstd frame, so recovery ends the frame) then in recovery.
for j in G Z; do
	kill_case "recover-rename-$j" $j before:rename:.part:1 after:rename:.part:1
	kill_case "recover-index-$j" $j before:rename:.part:1 before:write:feedcap-index.jsonl:1
done
kill_case recover-midframe-S S after:write:.part.ckpt:2@follow before:write:feedcap-index.jsonl:1

# Retention (-W 2): killed after deleting the oldest file, before its tombstone.
kill_case retention-R R after:unlink:.pcap:1

# Recovery under a numbered name (NAME appeared meanwhile: recovery never replaces a file),
# killed between its rename and its line: the checkpoint NAME.part.ckpt is the numbered file's,
# found by its frames and times, and never goes on NAME's line.
mkdir "$T/num"
run_job num S before:rename:.part:1
"$FCR_RINGFILL" gen -o "$T/other.pcap" -n 100 --seed 30
zstd -q -c "$T/other.pcap" >"$T/num/S.pcap.zst" # another archive, which a reader indexes
"$FEEDCAP_REPLAY" -w /dev/null "$T/num" 2>/dev/null
run_job num S after:rename:.part:1 # S.pcap.zst is listed: recovery takes S.00001 at once
[[ -e $T/num/S.00001.pcap.zst && -e $T/num/S.pcap.zst.part.ckpt ]] ||
	fail "num: the recovery did not stop between S.00001.pcap.zst and its line: $(ls "$T/num")"
run_job num S ""
python3 - "$T/num" "$T/fill.out" 2>"$T/py.err" <<'PY' || fail "num: $(cat "$T/py.err") $(ls "$T/num")"
import json, os, sys
records = int(open(sys.argv[2]).read().split()[3])
live = {}
for l in open(os.path.join(sys.argv[1], "feedcap-index.jsonl")):
    o = json.loads(l)
    live[o["file"]] = o
if sorted(os.listdir(sys.argv[1])) != ["S.00001.pcap.zst", "S.pcap.zst", "feedcap-index.jsonl"]:
    sys.exit("files left or added")
if live["S.pcap.zst"]["last_seq"] or not live["S.pcap.zst"]["repaired"]:
    sys.exit(f"S.pcap.zst got the checkpoint's numbers: {live['S.pcap.zst']}")
if live["S.00001.pcap.zst"]["last_seq"] != records or live["S.00001.pcap.zst"]["frames"] != records - 1:
    sys.exit(f"S.00001.pcap.zst: {live['S.00001.pcap.zst']}")
PY
echo "ok: a recovery under a numbered name, killed before its line, is indexed from its checkpoint"

# A second run of a job while the first still writes leaves the first one's .part alone
# (the writer holds flock(LOCK_EX) on it: docs/archive-set.md).
mkdir "$T/two"
"$FEEDCAP_DUMP" --ring "$RING" --from resume -q --name kp-first -w "$T/two/${pat[S]}" \
	2>"$T/first.log" &
first=$!
CLEANUP_PIDS+=("$first")
wait_caught_up kp-first $N
part=$T/two/S.pcap.zst.part
[[ -e $part ]] || fail "the first run has no .part: $(ls "$T/two")"
inode=$(stat -c %i "$part")
timeout 120 "$FEEDCAP_DUMP" --ring "$RING" --from resume -q --no-follow --name kp-second \
	-w "$T/two/${pat[S]}" 2>"$T/second.log" || fail "the second run: exit $?: $(cat "$T/second.log")"
grep -q "a running writer holds it" "$T/second.log" ||
	fail "the second run did not leave the first one's .part alone: $(cat "$T/second.log")"
[[ -e $part && $(stat -c %i "$part") == "$inode" ]] ||
	fail "the second run moved or removed the first one's .part: $(ls "$T/two")"
kill -TERM "$first"
wait "$first" || fail "the first run, stopped: exit $?: $(cat "$T/first.log")"
[[ $(zstd -dc "$T/two/S.pcap.zst" | tcpdump -r - 2>/dev/null | wc -l) == "$N" ]] ||
	fail "the first run's archive does not hold the $N frames"
echo "ok: a second run of a job leaves the .part the first one is writing alone"

echo "ok: $ncases kill points: every frame in exactly one archive, every archive in one index line"
