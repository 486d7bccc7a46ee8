#!/bin/bash
# Retention over dated directories, and names that come back, against the index:
#  - -W 5 -G 3600 with -w '%Y%m%d/md-%H.pcap' over three days, in two runs (the second
#    resumes): the directories are one set, so 5 files are left in all (the newest, in the last
#    day), an emptied day's directory is removed with its index, a day's directory holding a
#    file of the user's stays (its index lists no archive, a tombstone for each), and a look-alike
#    directory the pattern does not make (20261119.bak) is never touched;
#  - retention_age and retention_bytes of [job]s whose directory has conversions: the files
#    left over all the days are those of the age and of the budget, nothing older in any day,
#    and no directory named literally "%Y%m%d" is made;
#  - -C numbers never come back: a second run continues after the first run's numbers (tcpdump
#    -C -W reuses file0..fileN-1 as a ring; feedcap never reuses a name it deleted), so each
#    name has one archive line and names sort in time order;
#  - a name that is written again (a single -w FILE replaced, a -G file deleted by hand and
#    written anew) gets a tombstone in the index before its new line.
# The archives left open in capinfos and tcpdump.
source "$(dirname "$0")/dump_lib.sh"

base=1795046400 # 2026-11-19T00:00:00Z
hour=3600
day=86400

# index_kinds DIR NAME: the kinds of DIR's index lines naming NAME, in order ("file", "removed").
index_kinds() {
	python3 - "$1/feedcap-index.jsonl" "$2" <<'PY'
import json, sys
out = []
for line in open(sys.argv[1]):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if o.get("removed") == sys.argv[2]:
        out.append("removed")
    elif o.get("file") == sys.argv[2]:
        out.append("file")
print(" ".join(out))
PY
}

# index_truthful DIR: no name has two archive lines without a tombstone between them.
index_truthful() {
	python3 - "$1/feedcap-index.jsonl" <<'PY' >"$T/why" || fail "$1: $(cat "$T/why")"
import json, sys
last = {}
bad = []
for n, line in enumerate(open(sys.argv[1]), 1):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if "removed" in o:
        last[o["removed"]] = "removed"
    elif "file" in o:
        if last.get(o["file"]) == "file":
            bad.append("line %d: %s listed again without a tombstone" % (n, o["file"]))
        last[o["file"]] = "file"
print("; ".join(bad))
sys.exit(1 if bad else 0)
PY
}

# removed_count DIR: tombstones in DIR's index.
removed_count() {
	grep -c '"removed"' "$1/feedcap-index.jsonl" || true
}

# index_matches_disk DIR GLOB: DIR's index lists exactly the archives GLOB names on disk.
index_matches_disk() {
	(cd "$1" && ls $2 2>/dev/null | sort) >"$T/disk"
	index_files "$1" >"$T/idx"
	cmp -s "$T/disk" "$T/idx" ||
		fail "$1: the index lists $(tr '\n' ' ' <"$T/idx")but the disk holds $(tr '\n' ' ' <"$T/disk")"
}

# packets FILE: what capinfos counts.
packets() {
	capinfos -c -M "$1" 2>/dev/null | awk -F: '/Number of packets/ {gsub(/ /, "", $2); print $2}'
}

# wait_dump_sees N: until a dump of the ring (-w -, read by tcpdump) has N frames, 20 s at most.
wait_dump_sees() {
	local i n=0
	for ((i = 0; i < 200; i++)); do
		n=$("$FEEDCAP_DUMP" --ring "$RING" --from oldest --no-follow -w - 2>/dev/null |
			tcpdump -nn -r - 2>/dev/null | wc -l) || true
		((n >= $1)) && return 0
		sleep 0.1
	done
	fail "the ring shows $n frames, not $1, after 20 s"
}

# --- -W across dated directories, two runs ------------------------------------------------
# 432 frames 10 minutes apart from midnight: three days, 6 frames an hour; paused after 216
# (day 2, 11:50).
"$FCR_RINGFILL" gen -o "$T/in.pcap" -n 432 --seed 7
"$FCR_RINGFILL" fill -r "$RING" -i "$T/in.pcap" --capacity $((16 << 20)) \
	--ts-base ${base}000000000 --ts-step $((600 * 1000000000)) --pause-at 216 \
	--go-file "$T/go" >"$T/produced" &
prod=$!
CLEANUP_PIDS+=("$prod")
for _ in $(seq 200); do
	[[ -e "$RING" ]] && break
	sleep 0.05
done
mkdir -p "$T/a/20261119" "$T/a/20261119.bak"
echo "the user's" >"$T/a/20261119/notes.txt"
# 20261119.bak: a copy a user made, with an index line of the pattern older than anything
cp "$T/in.pcap" "$T/a/20261119.bak/md-00.pcap"
printf '{"v":2,"file":"md-00.pcap","first_ts":%s,"last_ts":%s,"frames":432,"bytes":%s,"format":"pcap","zstd":false,"pattern":"md-%%H.pcap"}\n' \
	$(((base - day) * 1000000000)) $(((base - day + 60) * 1000000000)) \
	"$(stat -c %s "$T/in.pcap")" >"$T/a/20261119.bak/feedcap-index.jsonl"
wait_dump_sees 216
pat="$T/a/%Y%m%d/md-%H.pcap"
"$FEEDCAP_DUMP" --ring "$RING" --from resume --no-follow -q -G $hour -W 5 -w "$pat" ||
	fail "-W 5 over dated directories, first run: exit $?"
(cd "$T/a" && find . -name 'md-*.pcap' ! -path './20261119.bak/*' | sort) >"$T/got1"
printf './20261120/md-%02d.pcap\n' 7 8 9 10 11 >"$T/want1"
diff "$T/want1" "$T/got1" >&2 || fail "-W 5, first run: not the 5 newest files of the set"
touch "$T/go"
wait $prod || fail "the producer failed"
"$FEEDCAP_DUMP" --ring "$RING" --from resume --no-follow -q -G $hour -W 5 -w "$pat" ||
	fail "-W 5 over dated directories, second run: exit $?"
(cd "$T/a" && find . -name 'md-*.pcap' ! -path './20261119.bak/*' | sort) >"$T/got2"
printf './20261121/md-%02d.pcap\n' 19 20 21 22 23 >"$T/want2"
diff "$T/want2" "$T/got2" >&2 || fail "-W 5, second run: not the 5 newest files of the set"
[[ ! -e $T/a/20261120 ]] || fail "the emptied directory 20261120 is still there: $(ls -A "$T/a/20261120")"
[[ -e $T/a/20261119/notes.txt ]] || fail "a user's file in a dated directory was deleted"
[[ -z $(index_files "$T/a/20261119") ]] || fail "20261119's index still lists $(index_files "$T/a/20261119")"
[[ $(removed_count "$T/a/20261119") == 24 ]] ||
	fail "20261119's index has $(removed_count "$T/a/20261119") tombstones, not 24"
index_matches_disk "$T/a/20261121" "md-*.pcap"
[[ $(removed_count "$T/a/20261121") == 19 ]] ||
	fail "20261121's index has $(removed_count "$T/a/20261121") tombstones, not 19 (hours 00-18)"
[[ -e $T/a/20261119.bak/md-00.pcap && $(index_files "$T/a/20261119.bak") == md-00.pcap ]] ||
	fail "the look-alike directory 20261119.bak was touched"
for f in $(cat "$T/got2"); do
	[[ $(packets "$T/a/$f") == 6 ]] || fail "$f: capinfos counts $(packets "$T/a/$f") packets, not 6"
	[[ $(tcpdump -nn -r "$T/a/$f" 2>/dev/null | wc -l) == 6 ]] || fail "$f: tcpdump -nn -r does not read 6 packets"
done
first=$(tshark -r "$T/a/20261121/md-19.pcap" -T fields -e frame.time_epoch 2>/dev/null | head -1)
[[ ${first%.*} == $((base + 2 * day + 19 * hour)) ]] || fail "md-19.pcap starts at $first"
index_truthful "$T/a/20261121"
echo "ok: -W 5 over three days of dated directories, two runs: $(tr '\n' ' ' <"$T/got2")left, 20261120 removed, 20261119 kept for notes.txt (24 tombstones), 20261119.bak untouched"

# --- -C numbers across a restart ------------------------------------------------------------
# The same ring (432 frames): 150 frames in a first run, the rest in a second that resumes.
mkdir "$T/c"
"$FEEDCAP_DUMP" --ring "$RING" --from resume --no-follow -q -c 150 -C 4K -W 3 -w "$T/c/md.pcap" ||
	fail "-C 4K -W 3, first run: exit $?"
(cd "$T/c" && ls md.*) >"$T/c1"
"$FEEDCAP_DUMP" --ring "$RING" --from resume --no-follow -q -C 4K -W 3 -w "$T/c/md.pcap" ||
	fail "-C 4K -W 3, second run: exit $?"
(cd "$T/c" && ls md.*) >"$T/c2"
[[ $(wc -l <"$T/c2") == 3 ]] || fail "-C 4K -W 3: $(tr '\n' ' ' <"$T/c2")"
python3 - "$T/c/feedcap-index.jsonl" <<'PY' >"$T/cnames" || fail "-C numbers: $(cat "$T/cnames")"
import json, sys
files = []
for line in open(sys.argv[1]):
    o = json.loads(line)
    if "file" in o:
        files.append((o["first_ts"], o["file"]))
names = [f for _, f in files]
dup = sorted(set(n for n in names if names.count(n) > 1))
if dup:
    print("names written twice: " + " ".join(dup))
    sys.exit(1)
if [f for _, f in sorted(files)] != sorted(names):
    print("name order is not time order: " + " ".join(f for _, f in sorted(files)))
    sys.exit(1)
print(" ".join(names))
PY
last=$(tail -1 "$T/c2")
lastin=$(tcpdump -nn -r "$T/c/$last" -tt --time-stamp-precision=nano 2>/dev/null | tail -1 | cut -d' ' -f1)
[[ ${lastin%.*} == $((base + 431 * 600)) ]] || fail "-C 4K -W 3: $last does not end with the last frame ($lastin)"
index_matches_disk "$T/c" "md.*"
index_truthful "$T/c"
echo "ok: -C 4K -W 3 across a restart: numbers continue ($(head -1 "$T/c1") .. $(tail -1 "$T/c1"), then .. $last), one archive line a name, $(tr '\n' ' ' <"$T/c2")left"

# --- names written again --------------------------------------------------------------------
mkdir "$T/s" "$T/h"
for run in 1 2; do
	"$FEEDCAP_DUMP" --ring "$RING" --from oldest --no-follow -q -c 50 -w "$T/s/one.pcap" ||
		fail "-w one.pcap, run $run: exit $?"
done
[[ $(index_kinds "$T/s" one.pcap) == "file removed file" ]] ||
	fail "one.pcap replaced: its index lines are '$(index_kinds "$T/s" one.pcap)', not 'file removed file'"
[[ $(packets "$T/s/one.pcap") == 50 ]] || fail "one.pcap: $(packets "$T/s/one.pcap") packets"
"$FEEDCAP_DUMP" --ring "$RING" --from oldest --no-follow -q -c 60 -G $hour -w "$T/h/md-%H.pcap" ||
	fail "-G into h/: exit $?"
rm "$T/h/md-03.pcap" # by hand: the index still lists it
"$FEEDCAP_DUMP" --ring "$RING" --from oldest --no-follow -q -c 60 -G $hour -w "$T/h/md-%H.pcap" ||
	fail "-G into h/, again: exit $?"
[[ $(index_kinds "$T/h" md-03.pcap) == "file removed file" ]] ||
	fail "md-03.pcap written again: its index lines are '$(index_kinds "$T/h" md-03.pcap)', not 'file removed file'"
[[ $(packets "$T/h/md-03.pcap") == 6 ]] || fail "md-03.pcap: $(packets "$T/h/md-03.pcap") packets"
index_truthful "$T/s"
index_truthful "$T/h"
echo "ok: a name written again is removed from the index before its new line (one.pcap, md-03.pcap)"

# --- retention_age and retention_bytes in [job]s with dated directories ----------------------
# Three days up to now, 100 frames an hour (about 21 KB a file, 1.5 MB in all).
rm -f "$RING" "$RING.readers"
now=$(date +%s)
start=$(((now - 3 * day) / hour * hour))
"$FCR_RINGFILL" gen -o "$T/recent.pcap" -n 7200 --seed 9
"$FCR_RINGFILL" fill -r "$RING" -i "$T/recent.pcap" --capacity $((16 << 20)) \
	--ts-base ${start}000000000 --ts-step $((36 * 1000000000)) >/dev/null ||
	fail "cannot fill the ring"
# job NAME LIMIT: a [job] of hourly files NAME-%H in $T/NAME/%Y%m%d with the retention LIMIT.
job() {
	printf '\n[job %s]\nring = t\ndirectory = %s/%%Y%%m%%d\nfile_name = %s-%%H\n' "$1" "$T/$1" "$1"
	printf 'rotate_interval = 1h\n%s\non_error = exit\n' "$2"
}
{
	printf '[ring t]\npath = %s\nbacking = file\n' "$RING"
	job g "retention_age = 25h"
	job b "retention_bytes = 1M"
} >"$T/feedcap.conf"
"$FEEDCAP_DUMP" --config "$T/feedcap.conf" --job g --no-follow -q || fail "--job g: exit $?"
[[ ! -e "$T/g/%Y%m%d" ]] || fail "[job g] made a directory named %Y%m%d"
limit=$(($(date +%s) - 25 * hour))
n=0
for f in $(find "$T/g" -name 'g-*.pcap' | sort); do
	t=$(tcpdump -nn -r "$f" -tt 2>/dev/null | tail -1 | cut -d' ' -f1)
	((${t%.*} >= limit - 1)) || fail "retention_age 25h: $f ends at $t, before $limit"
	n=$((n + 1))
done
((n >= 25 && n <= 27)) || fail "retention_age 25h over 72 one-hour files: $n left"
for d in "$T"/g/*/; do
	compgen -G "$d/g-*.pcap" >/dev/null || fail "retention_age: $d holds no archive but is still there"
	index_matches_disk "$d" "g-*.pcap"
done
echo "ok: retention_age 25h over dated directories: $n files in $(ls "$T/g" | wc -l) directories, none older, emptied days removed"

"$FEEDCAP_DUMP" --config "$T/feedcap.conf" --job b --no-follow -q || fail "--job b: exit $?"
sum=$(find "$T/b" -name 'b-*.pcap' -printf '%s\n' | awk '{s += $1} END {print s}')
oldest=$(find "$T/b" -name 'b-*.pcap' | sort | head -1)
((sum <= 1 << 20)) || fail "retention_bytes 1M over dated directories: $sum bytes left"
((sum + $(stat -c %s "$oldest") > 1000000)) || fail "retention_bytes 1M: only $sum bytes left"
[[ $(tcpdump -nn -r "$(find "$T/b" -name 'b-*.pcap' | sort | tail -1)" -tt 2>/dev/null | tail -1 | cut -d' ' -f1 | cut -d. -f1) == $((start + 7199 * 36)) ]] ||
	fail "retention_bytes: the newest file is not kept"
for d in "$T"/b/*/; do
	compgen -G "$d/b-*.pcap" >/dev/null || fail "retention_bytes: $d holds no archive but is still there"
	index_matches_disk "$d" "b-*.pcap"
done
echo "ok: retention_bytes 1M over dated directories: $sum bytes in $(find "$T/b" -name 'b-*.pcap' | wc -l) files, the newest kept"
