#!/bin/bash
# A directory as an archive set, through feedcap-replay (and feedcap-stat -r): every frame of
# the directory in time order; --list against capinfos; ranges against editcap -A/-B; only the
# archives that overlap are opened; honest windows; the index removed, truncated, corrupted
# and stale, repaired; --reindex; DIR/* with the index, .part and .ckpt files; a directory of
# files written by other tools (editcap, mergecap, tcpdump, the zstd CLI) as well as feedcap's.
# Oracles: tcpdump, capinfos, editcap, tshark, the zstd CLI; never feedcap's own reader alone.
# (5,000 files under ulimit -n 64: replay_archset_many.sh.)
source "$FEEDCAP_TESTLIB/common.sh"
source "$FEEDCAP_SRC/tests/integration/archset_lib.sh"
need_env FEEDCAP_REPLAY FEEDCAP_STAT FEEDCAP_GENDATA FEEDCAP_TESTDATA
need_tools tcpdump tshark capinfos editcap mergecap zstd python3 strace

make_tmpdir tmp replayset
export ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 # strace'd runs below
R=$FEEDCAP_REPLAY

# 20 minutes of market data, 10 frames a second, cut into one-minute nanosecond pcaps.
"$FEEDCAP_GENDATA" -w "$tmp/day.pcap" -n 12000 -r 10 --burst 0 --start 1800000000
mkdir "$tmp/d"
editcap -F nsecpcap -i 60 "$tmp/day.pcap" "$tmp/d/md.pcap" >/dev/null
nfiles=$(ls "$tmp/d" | wc -l)
[[ $nfiles -ge 20 ]] || fail "editcap -i 60 made $nfiles files"
frame_lines "$tmp/day.pcap" >"$tmp/day.txt"

# ------------------------------------------------------------------ the whole directory
"$R" -w "$tmp/all.pcap" "$tmp/d" 2>"$tmp/err" || fail "replay of the directory: $(cat "$tmp/err")"
grep -q "indexed from the files" "$tmp/err" || fail "no word about indexing the files: $(cat "$tmp/err")"
frame_lines "$tmp/all.pcap" | cmp -s - "$tmp/day.txt" || fail "the directory's frames differ from the capture's"
tshark -r "$tmp/all.pcap" -T fields -e frame.time_epoch 2>/dev/null | sort -c -n ||
	fail "the directory's frames are not in time order"
expect_eq "$(wc -l <"$tmp/d/feedcap-index.jsonl")" "$nfiles" "index lines written by the repair"
"$R" -w "$tmp/all2.pcap" "$tmp/d" 2>"$tmp/err"
[[ ! -s $tmp/err ]] || fail "a second run still repairs: $(cat "$tmp/err")"
"$FEEDCAP_STAT" -r "$tmp/d" >"$tmp/stat-dir.txt"
"$FEEDCAP_STAT" -r "$tmp/day.pcap" >"$tmp/stat-file.txt"
cmp -s "$tmp/stat-dir.txt" "$tmp/stat-file.txt" || fail "feedcap-stat -r DIR differs from the capture's"
pass "a directory replays (and feedcap-stat reads it) as the capture it was cut from"

# ------------------------------------------------------------------ --list against capinfos
capinfos_rows "$tmp"/d/*.pcap >"$tmp/cap.txt"
list_rows "$tmp/d" >"$tmp/list.txt"
diff "$tmp/cap.txt" "$tmp/list.txt" >&2 || fail "--list differs from capinfos"
"$R" --list "$tmp/d" >"$tmp/list-text.txt"
head -n 1 "$tmp/list-text.txt" | grep -q '^FILE  *FIRST  *LAST  *FRAMES  *BYTES  *FORMAT$' ||
	fail "--list header: $(head -n 1 "$tmp/list-text.txt")"
expect_eq "$(($(wc -l <"$tmp/list-text.txt") - 1))" "$nfiles" "--list rows"
awk 'NR > 1 && $6 != "pcap" { exit 1 }' "$tmp/list-text.txt" || fail "--list format column"
# the columns line up: text columns start, number columns end, at the header's places
python3 - "$tmp/list-text.txt" <<'EOF' || fail "--list columns are not aligned"
import re, sys
rows = [[(m.start(), m.end()) for m in re.finditer(r"\S+", l)] for l in open(sys.argv[1])]
key = lambda r: [r[0][0], r[1][0], r[2][0], r[3][1], r[4][1], r[5][0]]
sys.exit(any(key(r) != key(rows[0]) for r in rows))
EOF
# a range: the archives that overlap it, and only those (capinfos says which)
from=1800000300.5 to=1800000420.25
capinfos_rows "$tmp"/d/*.pcap | awk -v f=$from -v t=$to '$4 < t && $5 >= f' >"$tmp/cap-r.txt"
list_rows --from $from --to $to "$tmp/d" >"$tmp/list-r.txt"
diff "$tmp/cap-r.txt" "$tmp/list-r.txt" >&2 || fail "--list --from/--to differs from capinfos"
expect_eq "$(wc -l <"$tmp/list-r.txt")" 3 "archives overlapping two minutes from mid-minute"
# the usage's own order: options after the directories
"$R" --list "$tmp/d" --from $from --to $to --json >"$tmp/list-after.json" ||
	fail "--list DIR --from --to --json: exit $?"
"$R" --list --from $from --to $to --json "$tmp/d" | cmp -s - "$tmp/list-after.json" ||
	fail "--list with the options after DIR lists something else"
expect_eq "$(wc -l <"$tmp/list-after.json")" 3 "--list DIR --from --to --json lines"
pass "--list matches capinfos (frames, bytes, first and last frame time), whole and in a range"

# ------------------------------------------------------------------ ranges against editcap
t_exact=$(tshark -r "$tmp/day.pcap" -Y 'frame.number == 3001' -T fields -e frame.time_epoch 2>/dev/null)
for range in "1800000300.5 1800000301.5" "1800000359.5 1800000360.5" "$t_exact 1800000420" \
	"1800000000 1800000000.5" "1800001100 1800001300"; do
	read -r from to <<<"$range"
	editcap -F nsecpcap -A "$from" -B "$to" "$tmp/day.pcap" "$tmp/e.pcap"
	strace -f -o "$tmp/trace" -e trace=openat "$R" -w "$tmp/r.pcap" --from "$from" --to "$to" "$tmp/d" 2>/dev/null
	frame_lines "$tmp/r.pcap" >"$tmp/r.txt"
	frame_lines "$tmp/e.pcap" | cmp -s - "$tmp/r.txt" ||
		fail "--from $from --to $to: the frames differ from editcap -A/-B's"
	want=$(capinfos_rows "$tmp"/d/*.pcap | awk -v f="$from" -v t="$to" '$4 < t && $5 >= f' | wc -l)
	opened=$(grep -c 'd/md_.*\.pcap", O_RDONLY' "$tmp/trace" || true)
	# each overlapping archive once for the merge, never one that does not overlap
	[[ $opened -eq $want ]] || fail "--from $from --to $to: $opened archives opened, $want overlap"
	log "--from $from --to $to: $(wc -l <"$tmp/r.txt") frames as editcap; $opened of $nfiles archives opened"
done
pass "ranges keep what editcap -A/-B keeps, opening only the archives that overlap"

# ------------------------------------------------------------------ honest windows
"$R" -w "$tmp/w.pcap" --from 1799999000 --to 1800000001 "$tmp/d" 2>"$tmp/err" ||
	fail "a window larger than held must not fail without --require-window"
grep -q "is before the oldest record held (2027-01-15T08:00:00" "$tmp/err" ||
	fail "no word about the oldest record: $(cat "$tmp/err")"
grep -q "the archives hold 2027-01-15T08:00:00.*Z to 2027-01-15T08:" "$tmp/err" ||
	fail "no word about what is held: $(cat "$tmp/err")"
rm -f "$tmp/w.pcap"
set +e
"$R" -w "$tmp/w.pcap" --require-window --from 1800000100 --to 1900000000 "$tmp/d" 2>"$tmp/err"
rc=$?
set -e
expect_eq "$rc" 1 "--require-window with --to after the newest record"
grep -q "is after the newest record held" "$tmp/err" || fail "$(cat "$tmp/err")"
[[ ! -e $tmp/w.pcap ]] || fail "--require-window wrote an output anyway"
"$R" -w "$tmp/w.pcap" --require-window --from 1800000100 --to 1800000200 "$tmp/d" 2>"$tmp/err" ||
	fail "--require-window failed on a window that is held: $(cat "$tmp/err")"
[[ ! -s $tmp/err ]] || fail "a held window gets a note: $(cat "$tmp/err")"
pass "windows outside the archives are named on stderr; --require-window exits 1"

# ------------------------------------------------------------------ a damaged index
check_dir() { # DIR WHAT: the directory still replays and lists as the capture
	"$R" -w "$tmp/c.pcap" "$1" 2>/dev/null
	frame_lines "$tmp/c.pcap" | cmp -s - "$tmp/day.txt" || fail "$2: replay differs"
	capinfos_rows "$1"/*.pcap >"$tmp/c.txt"
	list_rows "$1" 2>/dev/null >"$tmp/l.txt"
	diff "$tmp/c.txt" "$tmp/l.txt" >&2 || fail "$2: --list differs from capinfos"
}
cp -r "$tmp/d" "$tmp/x"
rm "$tmp/x/feedcap-index.jsonl"
"$R" --list "$tmp/x" >/dev/null 2>"$tmp/err"
grep -q "feedcap-index.jsonl: no index" "$tmp/err" || fail "index removed: $(cat "$tmp/err")"
[[ ! -e $tmp/x/feedcap-index.jsonl ]] || fail "--list wrote an index"
check_dir "$tmp/x" "index removed"
expect_eq "$(wc -l <"$tmp/x/feedcap-index.jsonl")" "$nfiles" "index lines after replay repaired a removed index"

truncate -s $(($(stat -c %s "$tmp/x/feedcap-index.jsonl") * 2 / 3)) "$tmp/x/feedcap-index.jsonl"
"$R" -w /dev/null "$tmp/x" 2>"$tmp/err"
grep -Eq "feedcap-index.jsonl:[0-9]+: incomplete last line" "$tmp/err" || fail "truncated: $(cat "$tmp/err")"
check_dir "$tmp/x" "index truncated"

printf 'garbage\n{"v":2,"file":"md.pcap",' >"$tmp/junk"
python3 - "$tmp/x/feedcap-index.jsonl" "$tmp/junk" <<'EOF'
import sys
p, junk = sys.argv[1], open(sys.argv[2], "rb").read()
b = open(p, "rb").read().split(b"\n")
b[3] = junk          # line 4 replaced by garbage and half a line
open(p, "wb").write(b"\n".join(b))
EOF
"$R" -w /dev/null "$tmp/x" 2>"$tmp/err"
grep -q "feedcap-index.jsonl:4: not a JSON line" "$tmp/err" || fail "corrupt: $(cat "$tmp/err")"
grep -q "not in the index: indexed from the file" "$tmp/err" || fail "corrupt: $(cat "$tmp/err")"
check_dir "$tmp/x" "index corrupted"

# a line whose file is gone: dropped with a tombstone; the frames of that file are gone too
gone=$(ls "$tmp/x" | grep -m1 '_00003_')
rm "$tmp/x/$gone"
"$R" --list "$tmp/x" >"$tmp/l.txt" 2>"$tmp/err" # --list trusts the index
grep -q "$gone" "$tmp/l.txt" || fail "--list (index only) should still show $gone"
"$R" -w /dev/null "$tmp/x" 2>"$tmp/err"
grep -q "$gone: in the index, not in the directory: dropped" "$tmp/err" || fail "stale: $(cat "$tmp/err")"
tail -n 1 "$tmp/x/feedcap-index.jsonl" | grep -q "\"removed\":\"$gone\"" || fail "no tombstone for $gone"
"$R" --list "$tmp/x" | grep -q "$gone" && fail "$gone still listed after its tombstone"

"$R" --reindex "$tmp/x" >"$tmp/out" || fail "--reindex"
grep -q "$((nfiles - 1)) archives indexed, 0 of them read" "$tmp/out" || fail "--reindex said: $(cat "$tmp/out")"
expect_eq "$(wc -l <"$tmp/x/feedcap-index.jsonl")" "$((nfiles - 1))" "lines after --reindex"
rm "$tmp/x"/*_0000[12]_*
"$R" --reindex "$tmp/x" >/dev/null
"$R" -w /dev/null "$tmp/x" 2>"$tmp/err"
[[ ! -s $tmp/err ]] || fail "after --reindex the index still disagrees: $(cat "$tmp/err")"
pass "an index removed, truncated, corrupted or stale is repaired from the files; --reindex rewrites it"

# ------------------------------------------------------------------ DIR/* and own files
cp -r "$tmp/d" "$tmp/g"
cp "$tmp/g/$(ls "$tmp/g" | grep -m1 '_00005_')" "$tmp/g/md-next.pcap.part"
head -c 128 /dev/urandom >"$tmp/g/md-next.pcap.part.ckpt"
"$R" -w "$tmp/glob.pcap" "$tmp"/g/* 2>"$tmp/err" || fail "DIR/*: $(cat "$tmp/err")"
for f in feedcap-index.jsonl md-next.pcap.part md-next.pcap.part.ckpt; do
	grep -q "g/$f: skipped (the archive set's own file" "$tmp/err" || fail "no note for $f: $(cat "$tmp/err")"
done
frame_lines "$tmp/glob.pcap" | cmp -s - "$tmp/day.txt" || fail "DIR/* frames differ"
"$R" -w "$tmp/glob-r.pcap" --from 1800000600.25 --to 1800000601 "$tmp"/g/*.pcap 2>/dev/null
editcap -F nsecpcap -A 1800000600.25 -B 1800000601 "$tmp/day.pcap" "$tmp/e.pcap"
frame_lines "$tmp/e.pcap" >"$tmp/e.txt"
frame_lines "$tmp/glob-r.pcap" | cmp -s - "$tmp/e.txt" || fail "DIR/*.pcap with a range"
pass "DIR/* skips the index, .part and .part.ckpt with a note"

# ------------------------------------------------------------------ other tools' files
# Disjoint slices of the day, each written by another tool, plus the bundled capture
# through tcpdump with microsecond timestamps.
mkdir "$tmp/m"
slice() { editcap -F nsecpcap -A "$1" -B "$2" "$tmp/day.pcap" "$3"; }
slice 1800000000 1800000100 "$tmp/m/a-editcap.pcap"
slice 1800000100 1800000200 "$tmp/s.pcap"
editcap -F pcapng "$tmp/s.pcap" "$tmp/m/b-editcap.pcapng"
slice 1800000200 1800000250 "$tmp/s1.pcap"
slice 1800000250 1800000300 "$tmp/s2.pcap"
mergecap -F nsecpcap -w "$tmp/m/c-mergecap.pcap" "$tmp/s1.pcap" "$tmp/s2.pcap"
slice 1800000300 1800000400 "$tmp/s.pcap"
tcpdump --time-stamp-precision=nano -r "$tmp/s.pcap" -w "$tmp/m/d-tcpdump.pcap" 2>/dev/null
slice 1800000400 1800000500 "$tmp/s.pcap"
zstd -q -c "$tmp/s.pcap" >"$tmp/m/e-zstdcli.pcap.zst"
slice 1800000500 1800000600 "$tmp/s.pcap"
"$R" -F pcapng -w "$tmp/m/f-feedcap.pcapng.zst" "$tmp/s.pcap"
"$R" -w "$tmp/m/g-feedcap.pcap" --from 1800000550 "$tmp/s.pcap" # a part of it again: overlap
# several zstd frames, each starting on a record (zstd CLI on pieces, concatenated)
slice 1800000600 1800000650 "$tmp/s1.pcap"
slice 1800000650 1800000700 "$tmp/s2.pcap"
{ zstd -q -c "$tmp/s1.pcap"; tail -c +25 "$tmp/s2.pcap" | zstd -q -c; } >"$tmp/m/h-frames.pcap.zst"
slice 1800000700 1800001300 "$tmp/m/i-rest.pcap"
tcpdump -r "$FEEDCAP_TESTDATA/marketdata.pcap" -w "$tmp/m/j-tcpdump-us.pcap" 2>/dev/null
"$R" -w "$tmp/mixed.pcap" "$tmp/m" 2>"$tmp/err" || fail "mixed directory: $(cat "$tmp/err")"
frame_lines "$tmp"/m/*.p* >"$tmp/m-ref.txt"
frame_lines "$tmp/mixed.pcap" | cmp -s - "$tmp/m-ref.txt" || fail "the mixed directory's frames differ"
tshark -r "$tmp/mixed.pcap" -T fields -e frame.time_epoch 2>/dev/null | sort -c -n ||
	fail "the mixed directory is not merged in time order"
# --list of the same against capinfos (zstd single frames: Wireshark reads them)
capinfos_rows $(ls "$tmp"/m/* | grep -v -e index -e h-frames) >"$tmp/cap.txt"
list_rows "$tmp/m" | grep -v h-frames >"$tmp/list.txt"
diff "$tmp/cap.txt" "$tmp/list.txt" >&2 || fail "--list of the mixed directory differs from capinfos"
editcap -F nsecpcap -A 1800000540 -B 1800000660 "$tmp/day.pcap" "$tmp/e.pcap"
"$R" -w "$tmp/r.pcap" --from 1800000540 --to 1800000660 "$tmp/m" 2>/dev/null
# g-feedcap.pcap holds 1800000550..1800000600 a second time: those frames come twice
frame_lines "$tmp/e.pcap" >"$tmp/e.txt"
awk '$1 >= 1800000550 && $1 < 1800000600' "$tmp/e.txt" | sort -m - "$tmp/e.txt" >"$tmp/want.txt"
frame_lines "$tmp/r.pcap" | cmp -s - "$tmp/want.txt" || fail "a range over the mixed directory"
pass "a directory of pcap, pcapng and zstd files from editcap, mergecap, tcpdump, zstd and feedcap"
