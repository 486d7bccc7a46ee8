#!/bin/bash
# Bad input on the command line: bad ring paths, ring files of another version or with a
# damaged header (made by ringshm, then damaged at the documented offsets), bad filter
# expressions, bad time specs and durations, bad archives.  What must happen: exit code 2 for
# bad usage (a ring that cannot be opened included, for every reader tool), a message
# naming what is wrong, and nothing half-done: no archive, .part file or ring file created, a
# damaged ring left byte for byte as it was, no reader left registered.
# (Malformed config files through --check-config: config_check_config.sh.)
source "$FEEDCAP_TESTLIB/common.sh"
source "$FEEDCAP_SRC/tests/integration/faults_lib.sh"
need_env FEEDCAP_DUMP FEEDCAP_STAT FEEDCAP_REPLAY FEEDCAP_TESTDATA
need_tools python3 cmp

make_tmpdir tmp faultsbad
out=$tmp/out # every command runs here and writes here: it must stay empty
mkdir "$out"
ring=$tmp/ring
"$tool" produce "$ring" $((4 << 20)) 10000 1 >/dev/null || fail "cannot make the test ring"
cases=0

# bad RC "WHAT THE MESSAGE SAYS" CMD...: exit code RC, stderr names it, $out still empty
bad() {
	local want=$1 what=$2 rc=0 cmd
	shift 2
	cmd="${1##*/} ${*:2}"
	cmd=${cmd:0:200}
	(cd "$out" && timeout 60 "$@") >"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
	((rc == want)) || fail "exit $rc, expected $want: $cmd: $(head -c 400 "$tmp/stderr")"
	grep -qF -- "$what" "$tmp/stderr" ||
		fail "$cmd: the message does not say \"$what\": $(head -c 400 "$tmp/stderr")"
	[[ -z $(ls -A "$out") ]] || fail "$cmd: left behind: $(ls -A "$out")"
	cases=$((cases + 1))
}

# ---------------------------------------------------------------- ring files
# damage NAME OFFSET BYTES(hex) [TRUNCATE]: a copy of the ring with bytes replaced at OFFSET
# (ringshm_format.h: magic 0, version_major 8, file_size 16, ctl_size 24, capacity 32,
# chunk_size 40, nchunks 44, rec_align 48)
damage() {
	cp "$ring" "$tmp/$1"
	python3 - "$tmp/$1" "$2" "$3" "${4:-}" <<'PY'
import sys
path, off, data, trunc = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3]), sys.argv[4]
with open(path, "r+b") as f:
    f.seek(off)
    f.write(data)
    if trunc:
        f.truncate(int(trunc))
PY
	cp "$tmp/$1" "$tmp/$1.orig"
}
damage badmagic 0 "58585858"
damage version2 8 "0200000000000000"
damage version0x 8 "ff00000000000000"
damage capacity 32 "03"
damage chunk 40 "00100000"
damage nchunks 44 "07000000"
damage recalign 48 "40000000"
damage ctlsize 24 "0010"
damage filesize 16 "01"
damage truncated 0 "46" $((3 << 20))
damage tiny 0 "46" 100
: >"$tmp/empty"
cp "$tmp/empty" "$tmp/empty.orig"
head -c 8M /dev/urandom >"$tmp/random"
cp "$tmp/random" "$tmp/random.orig"
mkdir "$tmp/adir"

declare -A says=(
	[badmagic]='not a feedcap ring: magic at offset 0'
	[version2]='ring layout version 2.0, this library reads only version 1.x'
	[version0x]='ring layout version 255.0'
	[capacity]='corrupt ring header: capacity'
	[chunk]='corrupt ring header: chunk_size'
	[nchunks]='corrupt ring header: nchunks'
	[recalign]='corrupt ring header: rec_align'
	[ctlsize]='corrupt ring header: ctl_size'
	[filesize]='corrupt ring header: file_size'
	[truncated]='truncated ring: the file has 3145728 bytes'
	[tiny]='truncated ring header: the file has 100 bytes'
	[empty]='truncated ring header: the file has 0 bytes'
	[random]='not a feedcap ring'
)
for r in "${!says[@]}"; do
	bad 1 "$tmp/$r: ${says[$r]}" "$FEEDCAP_DUMP" --ring "$tmp/$r" -w o.pcap --no-follow --name bad
	bad 1 "$tmp/$r: ${says[$r]}" "$FEEDCAP_STAT" --ring "$tmp/$r" --json --no-follow
	cmp -s "$tmp/$r" "$tmp/$r.orig" || fail "a reader changed the damaged ring $r"
done
bad 1 "$tmp/nonexistent: no such ring" "$FEEDCAP_DUMP" --ring "$tmp/nonexistent" -w o.pcap
bad 1 "$tmp/nonexistent: no such ring" "$FEEDCAP_STAT" --ring "$tmp/nonexistent" --json
bad 1 "$tmp/adir: not a ring" "$FEEDCAP_DUMP" --ring "$tmp/adir" -w o.pcap
bad 1 "no such ring" env FEEDCAP_RING_DIR="$tmp/nodir" "$FEEDCAP_DUMP" --ring md -w o.pcap
bad 2 'ring name "": empty or too long' "$FEEDCAP_DUMP" --ring "" -w o.pcap
long=$(printf 'x%.0s' $(seq 5000))
bad 2 'ring name "'"$tmp/xxxx" "$FEEDCAP_DUMP" --ring "$tmp/$long" -w o.pcap
[[ -z $(ls -A "$out") ]] || fail "left behind: $(ls -A "$out")"
# No refused reader stays registered (a refused open never gets that far).
slots=$(python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read()
print(sum(1 for i in range(struct.unpack_from("<I", d, 12)[0])
          if struct.unpack_from("<Q", d, 64 + struct.unpack_from("<I", d, 16)[0] * i)[0]))' "$ring.readers")
expect_eq "$slots" 0 "registry slots held after the refusals"
echo "ok: ${#says[@]} damaged ring files and 5 bad ring paths refused by feedcap-dump and feedcap-stat"

# The capture on a damaged ring: refused with the reason, and the file not touched.
if [[ -n ${FEEDCAP_CAPTURE:-} ]]; then
	eal=(--no-pci --in-memory -m 256 --file-prefix fflt$$)
	for r in version2 capacity nchunks truncated adir; do
		what=${says[$r]:-Is a directory}
		bad 2 "$tmp/$r" "$FEEDCAP_CAPTURE" --ring "$tmp/$r" --ring-size 4M --ring-backing file \
			--vdev net_null0 --duration 1 --lcores 0,1 -- "${eal[@]}"
		grep -qF -- "$what" "$tmp/stderr" || fail "capture on $r: no \"$what\" in $(cat "$tmp/stderr")"
		[[ ! -f $tmp/$r.orig ]] || cmp -s "$tmp/$r" "$tmp/$r.orig" ||
			fail "feedcap-capture changed the ring $r it refused"
	done
	bad 2 'not a power of two' "$FEEDCAP_CAPTURE" --ring "$out/r" --ring-size 3M
	bad 2 'is not auto, hugetlbfs, shm or file' "$FEEDCAP_CAPTURE" --ring "$out/r" --ring-backing floppy
	bad 2 'the ring name or path is empty' "$FEEDCAP_CAPTURE" --ring ''
	echo "ok: feedcap-capture refuses damaged rings and bad ring options, the file untouched"
else
	skip_later "feedcap-capture is not built: its checks of damaged rings do not run"
fi

# ---------------------------------------------------------------- filters, times, options
d=("$FEEDCAP_DUMP" --ring "$ring" -w o.pcap --no-follow)
bad 2 "bad filter expression 'udp and'" "${d[@]}" udp and
bad 2 "bad filter expression 'tcp port 99999'" "${d[@]}" tcp port 99999
bad 2 "bad filter expression 'foo bar'" "${d[@]}" foo bar
bad 2 "bad filter expression 'ether host zz'" "${d[@]}" ether host zz
bad 2 "bad --from '2026-13-45T00:00:00Z'" "${d[@]}" --from 2026-13-45T00:00:00Z
bad 2 "bad --from '-30x'" "${d[@]}" --from -30x
bad 2 "bad --from 'yesterday'" "${d[@]}" --from yesterday
bad 2 "bad duration '-5s'" "${d[@]}" --duration -5s
bad 2 "bad duration 'abc'" "${d[@]}" --duration abc
bad 2 "--duration '0': the duration must be above 0" "${d[@]}" --duration 0
bad 2 "--flush-interval '0s': the interval must be above 0" "${d[@]}" --flush-interval 0s
bad 2 "-c 'abc'" "${d[@]}" -c abc
bad 2 "-c '-1'" "${d[@]}" -c -1
bad 2 "-C '0'" "${d[@]}" -C 0
bad 2 "-G 'x'" "${d[@]}" -G x
bad 2 "-W '-1'" "${d[@]}" -W -1
bad 2 "-F 'tiff'" "${d[@]}" -F tiff
bad 2 "--zstd=99" "${d[@]}" --zstd=99
bad 2 "--zstd-threads 'many'" "${d[@]}" --zstd-threads many
bad 2 "--on-error 'maybe'" "${d[@]}" --on-error=maybe
bad 2 "directory $tmp/nodir does not exist" "$FEEDCAP_DUMP" --ring "$ring" -w "$tmp/nodir/o.pcap"
echo "ok: feedcap-dump refuses bad filters, times, durations and options"

pcap=$FEEDCAP_TESTDATA/marketdata.pcap
head -c 100 /dev/urandom >"$tmp/junk.pcap"
bad 1 "nonexist.pcap: no such archive" "$FEEDCAP_REPLAY" -w o.pcap nonexist.pcap
bad 1 "junk.pcap: not a readable pcap or pcapng file" "$FEEDCAP_REPLAY" -w o.pcap "$tmp/junk.pcap"
bad 2 "--from: bad time 'garbage'" "$FEEDCAP_REPLAY" -w o.pcap --from garbage "$pcap"
bad 2 "--to: bad time '2026-99-01'" "$FEEDCAP_REPLAY" -w o.pcap --to 2026-99-01 "$pcap"
bad 2 "bad filter expression 'udp and'" "$FEEDCAP_REPLAY" -w o.pcap "$pcap" udp and
bad 2 "-F tiff" "$FEEDCAP_REPLAY" -w o.pcap -F tiff "$pcap"
bad 2 "--pace warp" "$FEEDCAP_REPLAY" --to-ring "$out/r" --pace warp "$pcap"
bad 1 "junk.pcap: not a readable pcap or pcapng file" "$FEEDCAP_STAT" -r "$tmp/junk.pcap"
bad 2 "--gaps bogus: unknown decoder" "$FEEDCAP_STAT" -r "$pcap" --gaps bogus
bad 2 "--feed bad: expected NAME=GROUP_A,GROUP_B" "$FEEDCAP_STAT" -r "$pcap" --feed bad
bad 2 "--interval: bad duration '-1'" "$FEEDCAP_STAT" -r "$pcap" --interval -1
echo "ok: feedcap-replay and feedcap-stat refuse bad archives, times, filters and options"
pass "$cases bad inputs refused with the right exit code and a message naming them; nothing left behind"
