#!/bin/bash
# Soak: a producer at a high steady rate and three readers (two checking readers and
# feedcap-dump writing rotating archives) for FAULTS_SOAK_SECONDS (60 by default; 600 for the
# issue's ten minutes).  What must happen: readers that keep up lose nothing (delivered = every
# frame, checksums good); no process grows: resident memory sampled every 5 s stays flat after
# warm-up (within 8 MiB) and the number of open file descriptors does not grow (feedcap-dump
# rotates archives all along: -C 50M -W 3).
source "$FEEDCAP_TESTLIB/common.sh"
source "$FEEDCAP_SRC/tests/integration/faults_lib.sh"
need_env FEEDCAP_DUMP

# Under AddressSanitizer, freed memory waits in a quarantine (256 MiB by default) before it is
# reused, so RSS climbs with every free whatever the program does: measure the program's own
# growth with the quarantine off.
if [[ -n ${ASAN_OPTIONS:-} ]]; then
	export ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
fi

SECS=${FAULTS_SOAK_SECONDS:-60}
RATE=${FAULTS_SOAK_RATE:-200000} # frames/s of 200 bytes; 256 MiB holds ~5.7 s of them
make_tmpdir tmp faultssoak
ring=$tmp/ring
mkdir "$tmp/arch"

start_producer "$ring" $((256 << 20)) "$RATE" "$SECS"
"$tool" read "$ring" oldest --name soak1 >"$tmp/r1.out" 2>"$tmp/r1.err" &
r1=$!
"$tool" read "$ring" oldest --name soak2 >"$tmp/r2.out" 2>"$tmp/r2.err" &
r2=$!
"$FEEDCAP_DUMP" --ring "$ring" --from oldest --name soakdump -w "$tmp/arch/soak-%s.pcap" \
	-C 50M -W 3 >"$tmp/dump.out" 2>"$tmp/dump.err" &
dump=$!
at_exit kill_wait "$r1" "$r2" "$dump"

# sample NAME PID: "rss_kib fds" of a process we started
sample() {
	local rss fds
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$2/status" 2>/dev/null) || return 1
	fds=$(find "/proc/$2/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	echo "$1 $rss $fds" >>"$tmp/samples"
}
t=0
while kill -0 "$prod" 2>/dev/null; do
	sleep 5
	t=$((t + 5))
	for p in prod r1 r2 dump; do
		sample "$t:$p" "${!p}" || true
	done
done
wait "$prod" || fail "producer: $(cat "$tmp/producer.err")"
produced=$(field "$(cat "$tmp/producer.out")" produced)
log "producer: $(cat "$tmp/producer.out")"

for r in r1 r2; do
	wait "${!r}" || fail "reader $r failed: $(cat "$tmp/$r.err")"
	o=$(cat "$tmp/$r.out")
	log "$r: $o"
	expect_eq "$(field "$o" lost)" 0 "records reader $r lost"
	expect_eq "$(field "$o" bad)" 0 "bad frames reader $r got"
	expect_eq "$(field "$o" frames)" "$produced" "frames reader $r checked"
done
# feedcap-dump follows live: give it until it has caught up, then stop it.
for _ in $(seq 100); do
	reg=$(python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read()
for i in range(struct.unpack_from("<I", d, 12)[0]):
    o = 64 + struct.unpack_from("<I", d, 16)[0] * i  # slot_size
    if d[o + 64:o + 96].split(b"\0")[0] == b"soakdump":
        print(struct.unpack_from("<Q", d, o + 16)[0])' "$ring.readers")
	((${reg:-0} >= produced)) && break
	sleep 0.2
done
kill -INT "$dump"
wait "$dump" || fail "feedcap-dump failed: $(cat "$tmp/dump.err")"
d=$(tail -n 3 "$tmp/dump.err")
log "feedcap-dump: $d"
[[ $d =~ ([0-9]+)\ frames\ read,\ ([0-9]+)\ written,.*\ ([0-9]+)\ lost\ to\ overrun ]] ||
	fail "no statistics from feedcap-dump: $d"
expect_eq "${BASH_REMATCH[1]}" "$produced" "frames feedcap-dump read"
expect_eq "${BASH_REMATCH[3]}" 0 "frames feedcap-dump lost"
n=$(find "$tmp/arch" -name 'soak-*.pcap' | wc -l)
((n <= 3)) || fail "-W 3 kept $n archives"

# Flat memory and a constant number of descriptors, after a 10 s warm-up.
python3 - "$tmp/samples" <<'PY' || fail "a process grew during the soak (samples above)"
import collections, sys
s = collections.defaultdict(list)
for line in open(sys.argv[1]):
    key, rss, fds = line.split()
    t, p = key.split(":")
    s[p].append((int(t), int(rss), int(fds)))
bad = False
for p, v in s.items():
    warm = [x for x in v if x[0] >= 10] or v
    rss = [x[1] for x in warm]
    fds = [x[2] for x in warm]
    print(f"{p}: rss {min(rss)}..{max(rss)} KiB over {len(warm)} samples, fds {min(fds)}..{max(fds)}")
    if max(rss) - rss[0] > 8192:
        print(f"  {p}: RSS grew by {max(rss) - rss[0]} KiB")
        bad = True
    # feedcap-dump briefly holds one more while it rotates (the next file, the index): a leak
    # of one per rotation would show as many more as there were rotations
    if max(fds) - min(fds) > 1:
        print(f"  {p}: file descriptors grew")
        bad = True
sys.exit(1 if bad else 0)
PY
pass "soak of $SECS s at $RATE frames/s with three readers: nothing lost, RSS and fds flat"
