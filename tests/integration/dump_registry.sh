#!/bin/bash
# The reader registry (RING.readers) of another layout version, as a feedcap from before the
# writer fields left it (version 1, 128-byte slots, a live reader in one of them): feedcap-dump
# still dumps, unregistered, with a warning naming the file and both versions; feedcap-stat
# still counts the ring and warns, naming the file; neither changes it.  The next producer
# start replaces it with a new file of version 2, and both tools use it again.  The Python
# reader written from docs/ring-format.md refuses the old file and reads the new one.
source "$(dirname "$0")/dump_lib.sh"
if [[ -z ${FEEDCAP_STAT:-} ]] || ! command -v jq >/dev/null; then
	echo "SKIP: feedcap-stat (FEEDCAP_STAT) and jq are needed"
	exit 77
fi

"$FCR_RINGFILL" gen -o "$T/in.pcap" -n 2000 --seed 5
"$FCR_RINGFILL" fill -r "$RING" -i "$T/in.pcap" --capacity $((16 << 20)) >/dev/null
[[ -f $RING.readers ]] || fail "the producer made no registry"
# version 2 written by the producer: magic, version 2, 64 slots of 256 bytes
[[ $(od -An -tu4 -j8 -N12 "$RING.readers" | tr -s ' ') == " 2 64 256" ]] ||
	fail "registry header: $(od -An -tu4 -j8 -N12 "$RING.readers")"

# A version 1 registry with this shell as a live reader named old-dump.
python3 - "$RING.readers" $$ <<'PY'
import struct, sys
buf = bytearray(64 + 64 * 128)
struct.pack_into("<8sIII", buf, 0, b"FCREGS01", 1, 64, 128)
struct.pack_into("<Q", buf, 64, int(sys.argv[2]))
buf[64 + 64:64 + 72] = b"old-dump"
open(sys.argv[1], "wb").write(buf)
PY
chmod 0660 "$RING.readers"
sha_before=$(sha256sum <"$RING.readers")

"$FEEDCAP_DUMP" --ring "$RING" --from oldest --no-follow --name newdump -w "$T/a.pcap" 2>"$T/log" ||
	fail "feedcap-dump failed on a ring with an old registry: $(cat "$T/log")"
grep -q "warning: not registered as a reader: $RING.readers: reader registry of layout version 1 .*version 2" "$T/log" ||
	fail "feedcap-dump: no warning naming the file and both versions: $(cat "$T/log")"
[[ $(tshark_count "$T/a.pcap") == 2000 ]] || fail "feedcap-dump: $(tshark_count "$T/a.pcap") frames, not 2000"
"$FEEDCAP_STAT" --ring "$RING" --from oldest --no-follow --json 2>"$T/err" | tail -n 1 >"$T/s.json" ||
	fail "feedcap-stat failed on a ring with an old registry: $(cat "$T/err")"
expect=$(jq .frames "$T/s.json")
[[ $expect == 2000 ]] || fail "feedcap-stat counted $expect frames, not 2000"
[[ $(jq '.capture.readers | length' "$T/s.json") == 0 ]] || fail "feedcap-stat listed readers from a registry it cannot read"
grep -q "warning: $RING.readers: cannot list the registered readers: .*another layout version" "$T/err" ||
	fail "feedcap-stat: no warning naming the registry: $(cat "$T/err")"
[[ $(grep -c warning "$T/err") == 1 ]] || fail "feedcap-stat warned more than once: $(cat "$T/err")"
[[ $(sha256sum <"$RING.readers") == "$sha_before" ]] || fail "a reader changed the old registry"
# The reader written from docs/ring-format.md alone refuses it too, by its version.
set +e
bash "$FEEDCAP_SRC/tests/integration/ringshm_pyreader.sh" "$RING" --registry >/dev/null 2>"$T/py"
rc=$?
set -e
[[ $rc == 3 ]] && grep -q "layout version 1, not 2" "$T/py" || fail "the Python reader: exit $rc, $(cat "$T/py")"
echo "ok: an old registry: dump and stat work without it, warn naming it, leave it as it is"

# The producer restarts (a new epoch in the same ring): a new registry file of version 2.
ino_before=$(stat -c %i "$RING.readers")
"$FCR_RINGFILL" fill -r "$RING" -i "$T/in.pcap" --capacity $((16 << 20)) >/dev/null
[[ $(stat -c %i "$RING.readers") != "$ino_before" ]] || fail "the registry was rewritten in place, not replaced"
[[ $(od -An -tu4 -j8 -N12 "$RING.readers" | tr -s ' ') == " 2 64 256" ]] ||
	fail "registry header after the restart: $(od -An -tu4 -j8 -N12 "$RING.readers")"
[[ $(stat -c %a "$RING.readers") == 660 ]] || fail "registry mode $(stat -c %a "$RING.readers")"
"$FEEDCAP_DUMP" --ring "$RING" --from oldest --name newdump -w "$T/b.pcap" 2>"$T/log" &
dump=$!
CLEANUP_PIDS+=($dump)
for _ in $(seq 50); do
	"$FEEDCAP_STAT" --ring "$RING" --no-follow --json 2>"$T/err" | tail -n 1 >"$T/s.json"
	[[ $(jq '.capture.readers | map(select(.name == "newdump")) | length' "$T/s.json") == 1 ]] && break
	sleep 0.1
done
[[ $(jq '.capture.readers | map(select(.name == "newdump")) | length' "$T/s.json") == 1 ]] ||
	fail "after the restart the reader is not listed: $(cat "$T/s.json") $(cat "$T/err")"
[[ ! -s $T/err ]] || fail "feedcap-stat still warns: $(cat "$T/err")"
grep -q "not registered" "$T/log" && fail "feedcap-dump still not registered: $(cat "$T/log")"
bash "$FEEDCAP_SRC/tests/integration/ringshm_pyreader.sh" "$RING" --registry | grep -q "^newdump $dump " ||
	fail "the Python reader does not list feedcap-dump in the new registry"
kill -INT $dump
wait $dump || fail "feedcap-dump exited $?: $(cat "$T/log")"
echo "ok: the producer's restart made the registry anew (version 2, mode 0660); dump registers, stat lists it"
