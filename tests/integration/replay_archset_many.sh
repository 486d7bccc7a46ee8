#!/bin/bash
# 5,000 archives under `ulimit -n 64`: feedcap-replay (directory, DIR/*, a range), --list and
# feedcap-stat -r keep a few files open at a time, and give every frame (tcpdump and capinfos
# as the oracles).  More archives than may be open holding records of one moment is an error
# that names the limit and the time.
source "$FEEDCAP_TESTLIB/common.sh"
source "$FEEDCAP_SRC/tests/integration/archset_lib.sh"
need_env FEEDCAP_REPLAY FEEDCAP_STAT FEEDCAP_GENDATA
need_tools tcpdump capinfos editcap

make_tmpdir tmp replaymany
R=$FEEDCAP_REPLAY

# 40,000 frames over ~5,000 s, cut into one-second archives: about 5,000 files.
"$FEEDCAP_GENDATA" -w "$tmp/all.pcap" -n 40000 -r 8 --burst 0 --start 1900000000
mkdir "$tmp/d"
editcap -F nsecpcap -i 1 "$tmp/all.pcap" "$tmp/d/s.pcap" >/dev/null
n=$(ls "$tmp/d" | wc -l)
[[ $n -ge 4900 ]] || fail "only $n files"
log "$n archives"
frame_lines "$tmp/all.pcap" >"$tmp/all.txt"
# control: the limit bites a tool that opens every file at once
(
	ulimit -n 64
	mergecap -w /dev/null "$tmp"/d/*.pcap
) 2>/dev/null && fail "mergecap opened $n files under ulimit -n 64: the limit is not in force"

(
	ulimit -n 64
	"$R" -w "$tmp/out.pcap" "$tmp/d" 2>"$tmp/err"
) || fail "replay of $n archives under ulimit -n 64: $(tail -n 3 "$tmp/err")"
frame_lines "$tmp/out.pcap" | cmp -s - "$tmp/all.txt" || fail "the frames of $n archives differ"
pass "$n archives replay under ulimit -n 64 (the index built from the files)"

(
	ulimit -n 64
	"$R" -w "$tmp/glob.pcap" "$tmp"/d/* 2>"$tmp/err"
) || fail "replay of DIR/* under ulimit -n 64: $(tail -n 3 "$tmp/err")"
grep -q "feedcap-index.jsonl: skipped" "$tmp/err" || fail "no note for the index: $(cat "$tmp/err")"
frame_lines "$tmp/glob.pcap" | cmp -s - "$tmp/all.txt" || fail "the frames of DIR/* differ"
pass "DIR/* ($n arguments) under ulimit -n 64"

from=1900002500.5 to=1900002510.25
editcap -F nsecpcap -A $from -B $to "$tmp/all.pcap" "$tmp/e.pcap"
(
	ulimit -n 64
	"$R" -w "$tmp/r.pcap" --from $from --to $to "$tmp/d"
) || fail "a range under ulimit -n 64"
frame_lines "$tmp/e.pcap" >"$tmp/e.txt"
frame_lines "$tmp/r.pcap" | cmp -s - "$tmp/e.txt" || fail "--from $from --to $to differs from editcap"
(
	ulimit -n 64
	"$R" --list --from $from --to $to "$tmp/d" >"$tmp/list.txt"
	"$FEEDCAP_STAT" -r "$tmp/d" >"$tmp/stat.txt"
) || fail "--list or feedcap-stat under ulimit -n 64"
expect_eq "$(($(wc -l <"$tmp/list.txt") - 1))" \
	"$(capinfos_rows "$tmp"/d/*.pcap | awk -v f=$from -v t=$to '$4 < t && $5 >= f' | wc -l)" \
	"--list rows for a 10-second range (capinfos: the files that overlap)"
grep -q "^summary .* frames 40000 " "$tmp/stat.txt" || fail "feedcap-stat -r DIR: $(head -n 1 "$tmp/stat.txt")"
pass "a range, --list and feedcap-stat under ulimit -n 64"

# the same minute 60 times over: 60 archives open at one moment, more than 32 - 16 allow
mkdir "$tmp/same"
for i in $(seq -w 1 60); do cp "$tmp/d/$(ls "$tmp/d" | grep -m1 '\.pcap$')" "$tmp/same/c$i.pcap"; done
set +e
(
	ulimit -n 32
	"$R" -w "$tmp/x.pcap" "$tmp/same" 2>"$tmp/err"
)
rc=$?
set -e
expect_eq "$rc" 1 "exit status with 60 archives open at one moment under ulimit -n 32"
grep -q "more than 16 archives hold records of one moment (around 2030-" "$tmp/err" ||
	fail "the error does not name the limit and the time: $(cat "$tmp/err")"
grep -q "ulimit -n" "$tmp/err" || fail "the error does not say what to do: $(cat "$tmp/err")"
pass "too many archives at one moment: a clear error"
