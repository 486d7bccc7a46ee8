#!/bin/bash
# feedcap-dump runs unprivileged: a user with no capabilities, in the ring file's group only,
# reads a mode-0640 ring and writes its archive; one outside the group gets a clear error and
# exit 1 (a ring it cannot read: a runtime failure, as tcpdump's unreadable file).  The binary
# never links DPDK.  SIGUSR1 prints the statistics while it runs.
source "$(dirname "$0")/dump_lib.sh"

if readelf -d "$FEEDCAP_DUMP" | grep -qi 'librte_'; then
	fail "feedcap-dump links DPDK: $(readelf -d "$FEEDCAP_DUMP" | grep -i librte_ | head -3)"
fi
echo "ok: feedcap-dump links no DPDK library"

command -v setpriv >/dev/null || { echo "SKIP: setpriv (util-linux) is missing"; exit 77; }
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to switch users"; exit 77; }
uid=$(id -u nobody) gid=$(getent group nogroup | cut -d: -f3)
[[ -n $uid && -n $gid ]] || { echo "SKIP: no user nobody / group nogroup"; exit 77; }

"$FCR_RINGFILL" gen -o "$T/in.pcap" -n 3000 --seed 23
"$FCR_RINGFILL" fill -r "$RING" -i "$T/in.pcap" --capacity $((8 << 20)) >/dev/null
chgrp "$gid" "$RING"
chmod 0640 "$RING"
chmod 0755 "$T"
mkdir "$T/out"
chown "$uid" "$T/out"

# In the ring's group, no capabilities at all.
setpriv --reuid="$uid" --regid=65534 --groups="$gid" --inh-caps=-all --bounding-set=-all \
	"$FEEDCAP_DUMP" --ring "$RING" --from oldest --no-follow -w "$T/out/u.pcapng.zst" 2>"$T/log" ||
	fail "unprivileged dump failed: $(cat "$T/log")"
[[ $(tshark_count "$T/out/u.pcapng.zst") == 3000 ]] || fail "unprivileged dump: $(tshark_count "$T/out/u.pcapng.zst") frames"
echo "ok: a capability-less user in the ring's group dumps it"

# Outside the group: refused, exit 1 (unreadable, not bad usage), the message names the ring.
chgrp root "$RING"
set +e
setpriv --reuid="$uid" --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
	"$FEEDCAP_DUMP" --ring "$RING" --from oldest --no-follow -w "$T/out/x.pcap" 2>"$T/log"
rc=$?
set -e
[[ $rc == 1 ]] || fail "outside the group: exit $rc, not 1: $(cat "$T/log")"
grep -q "$RING" "$T/log" || fail "outside the group: the message does not name the ring: $(cat "$T/log")"
echo "ok: outside the group: exit 1: $(cat "$T/log")"

# SIGUSR1: the statistics line while following.
"$FEEDCAP_DUMP" --ring "$RING" --from oldest --name usr1 -w "$T/out/s.pcap" 2>"$T/log" &
dump=$!
CLEANUP_PIDS+=($dump)
wait_caught_up usr1 3000
kill -USR1 $dump
wait_log "$T/log" "frames read"
grep -q "3000 frames read, 3000 written, 0 filtered out, 0 lost to overrun" "$T/log" ||
	fail "SIGUSR1: no statistics: $(cat "$T/log")"
kill -0 $dump || fail "SIGUSR1 stopped the dump"
kill -TERM $dump
wait $dump || fail "SIGTERM: exit $?"
[[ $(grep -c "frames read" "$T/log") == 2 ]] || fail "SIGTERM: no final statistics"
echo "ok: SIGUSR1 prints the statistics and the dump goes on; SIGTERM ends it cleanly"
