# Shared setup for the feedcap-dump integration scripts (sourced, not a test).
# Needs FEEDCAP_DUMP (the binary) and FCR_RINGFILL (the test producer, built with the tests).
set -euo pipefail

if [[ -z "${FEEDCAP_DUMP:-}" || -z "${FCR_RINGFILL:-}" ]]; then
	echo "SKIP: FEEDCAP_DUMP and FCR_RINGFILL must be set (run through ctest)"
	exit 77
fi
for tool in tcpdump tshark capinfos zstd; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool is not installed"
		exit 77
	fi
done

T=$(mktemp -d /tmp/fcr-dump.XXXXXX)
RING=/dev/shm/fcr-dump-$$
CLEANUP_PIDS=()
CLEANUP_MOUNTS=()

cleanup() {
	local p m live
	# Only those still this shell's jobs (running or stopped): a PID already reaped may be someone
	# else's by now.
	live=" $(jobs -p | tr '\n' ' ') "
	for p in "${CLEANUP_PIDS[@]}"; do
		[[ $live == *" $p "* ]] || continue
		kill -CONT "$p" 2>/dev/null || true
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	for m in "${CLEANUP_MOUNTS[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	rm -rf "$T" "$RING" "$RING.readers"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# paused_ring ARGS...: a new $RING from fcr-ringfill fill ARGS, paused until $T/go exists
# (ARGS carry --pause-at), its output in $T/produced; RINGFILL_PID is the producer's PID.
# Returns once the ring file is there.
paused_ring() {
	rm -f "$RING" "$RING.readers" "$T/go"
	"$FCR_RINGFILL" fill -r "$RING" --go-file "$T/go" "$@" >"$T/produced" &
	RINGFILL_PID=$!
	CLEANUP_PIDS+=($RINGFILL_PID)
	for _ in $(seq 200); do
		[[ -e "$RING" ]] && break
		sleep 0.05
	done
	[[ -e $RING ]] || fail "fcr-ringfill fill $*: the producer never made the ring"
}

# Whether a file starts with the zstd frame magic.
is_zstd() {
	[[ $(head -c4 "$1" | od -An -tx1 | tr -d ' ') == 28b52ffd ]]
}

# Frames of a capture file as text (timestamps in ns and every byte), compressed or not.
frames_of() {
	local f=$1
	if [[ $f == *.part ]]; then
		# A killed writer's file: tshark reads up to the last flush (zstd -d stops early).
		tshark -r "$f" -F nsecpcap -w - 2>/dev/null | tcpdump -nn -S -r - --time-stamp-precision=nano -tt -xx 2>/dev/null
	elif is_zstd "$f"; then
		zstd -dc "$f" | tcpdump -nn -S -r - --time-stamp-precision=nano -tt -xx 2>/dev/null
	else
		tcpdump -nn -S -r "$f" --time-stamp-precision=nano -tt -xx 2>/dev/null
	fi
}

# Number of frames tshark reads from a file.
tshark_count() {
	tshark -r "$1" -T fields -e frame.number 2>/dev/null | wc -l
}

# A field of feedcap-dump's statistics line, e.g. stat_of "$log" "lost to overrun".
stat_of() {
	grep -o "[0-9]* $2" "$1" | tail -1 | cut -d' ' -f1
}

# Waits on the ring's state, as feedcap-stat sees it, never on time: a loaded machine takes
# as long as it takes, up to 30 s, and then the test fails saying what did not happen.
# ring_json: feedcap-stat's summary of $RING (one JSON line).
ring_json() {
	if [[ -z ${FEEDCAP_STAT:-} ]] || ! command -v jq >/dev/null; then
		echo "SKIP: feedcap-stat (FEEDCAP_STAT) and jq are needed to wait on the ring's state"
		exit 77
	fi
	"$FEEDCAP_STAT" --ring "$RING" --no-follow --json 2>/dev/null | tail -n 1
}

# wait_ring_frames N: until the producer has committed N frames (the ring's own counter).
wait_ring_frames() {
	local i
	for ((i = 0; i < 300; i++)); do
		[[ $(ring_json | jq '.capture.frames' 2>/dev/null) == "$1" ]] && return 0
		sleep 0.1
	done
	fail "the producer did not commit $1 frames in 30 s: $(ring_json | jq -c .capture)"
}

# wait_caught_up NAME [N]: until the feedcap-dump registered as NAME (--name) has read all
# the ring holds: its lag is 0 bytes, and it has delivered at least N records (a reader seen
# before it has positioned itself would show no lag yet).
wait_caught_up() {
	local i
	for ((i = 0; i < 300; i++)); do
		ring_json | jq -e --arg n "$1" --argjson d "${2:-0}" \
			'[.capture.readers[] | select(.name == $n and .lag_bytes == 0 and .delivered >= $d)] | length == 1' \
			>/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "feedcap-dump --name $1 did not catch up with the ring in 30 s: $(ring_json | jq -c .capture.readers)"
}

# wait_log FILE PATTERN: until FILE has a line matching PATTERN (grep -E).
wait_log() {
	local i
	for ((i = 0; i < 300; i++)); do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "no '$2' in $1 after 30 s: $(cat "$1")"
}

# small_disk SIZE NAME: a tmpfs of SIZE mounted on $T/mnt (unmounted at exit), the disk the
# write-error tests fill; and feedcap-stat with jq, to check what it shows.  Skips without.
small_disk() {
	if ! { mkdir -p "$T/mnt" && mount -t tmpfs -o size="$1" "$2" "$T/mnt"; } 2>/dev/null; then
		echo "SKIP: cannot mount a tmpfs (needs root)"
		exit 77
	fi
	CLEANUP_MOUNTS+=("$T/mnt")
	if [[ -z ${FEEDCAP_STAT:-} ]] || ! command -v jq >/dev/null; then
		echo "SKIP: feedcap-stat (FEEDCAP_STAT) and jq are needed to check what it shows"
		exit 77
	fi
}

# index_files DIR: the archives DIR's index lists, one name a line, sorted: the index is
# append-only (archset.h), so the last line naming a file wins and a "removed" line drops it.
index_files() {
	python3 - "$1/feedcap-index.jsonl" <<'PY'
import json, sys
live = {}
for line in open(sys.argv[1]):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if "removed" in o:
        live.pop(o["removed"], None)
    elif "file" in o:
        live[o["file"]] = o
print("\n".join(sorted(live)))
PY
}
