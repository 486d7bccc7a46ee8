#!/bin/bash
# docs_reader_example: the example reader of docs/reader-api.md works as the guide says.
# 1. `cmake --install` into a DESTDIR, then the installed copy of docs/examples/ring-reader.c
#    builds out of tree with exactly `cc ... $(pkg-config --cflags --libs ringshm)` against the
#    installed ringshm.pc (no --static, no extra flags: what a user types).
# 2. feedcap-capture fills a hugetlbfs ring from tests/data/marketdata.pcap through DPDK
#    net_pcap; the example reads it from the oldest record, from a time, for -n frames, as a
#    registered reader seen by feedcap-stat, and as an unprivileged user in the ring's group.
#    capinfos and tshark on the input are the oracles.
source "$FEEDCAP_TESTLIB/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/capture_common.sh"
need_env FEEDCAP_STAT
need_tools cmake pkg-config cc capinfos tshark jq setpriv

make_tmpdir tmp docsrd
input=$FEEDCAP_TESTDATA/marketdata.pcap
total=$(capinfos -c -M -T "$input" | awk -F'\t' 'NR==2 {print $2}')
databytes=$(capinfos -d -M -T "$input" | awk -F'\t' 'NR==2 {print $2}')
mcast=$(tshark -r "$input" -Y 'eth.dst[0:3] == 01:00:5e' -T fields -e frame.number | wc -l)
((total > 1000)) || fail "input has only $total frames"
log "input: $total frames, $databytes bytes, $mcast to IPv4 multicast MACs"

# 1. Install, and build the installed example the way docs/reader-api.md says.
dest=$tmp/dest
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$FEEDCAP_BUILD/CMakeCache.txt")
DESTDIR=$dest cmake --install "$FEEDCAP_BUILD" >"$tmp/install.log" 2>&1 ||
	fail "cmake --install failed: $(tail -n 20 "$tmp/install.log")"
pc=$(find "$dest" -name ringshm.pc | head -n 1)
[[ -n $pc ]] || fail "ringshm.pc is not installed"
src=$(find "$dest$prefix" -path '*/examples/ring-reader.c' | head -n 1)
[[ -n $src ]] || fail "the example ring-reader.c is not installed with the documentation"
cmp -s "$src" "$FEEDCAP_SRC/docs/examples/ring-reader.c" || fail "$src differs from the source tree's"
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
flags=$(pkg-config --cflags --libs ringshm) || fail "pkg-config does not find the installed ringshm.pc"
case $flags in
*"$dest"*) ;;
*) fail "pkg-config flags do not point into the installed tree: $flags" ;;
esac
# A sanitized build installs a sanitized library: link the example the same way.
san=$(sed -n 's/^FEEDCAP_SANITIZE:STRING=//p' "$FEEDCAP_BUILD/CMakeCache.txt")
sanflags=()
[[ -z $san ]] || sanflags=("-fsanitize=$san")
reader=$tmp/ring-reader
# shellcheck disable=SC2086
cc -std=gnu11 -O2 -Wall -Wextra -Werror "${sanflags[@]}" -o "$reader" "$src" $flags ||
	fail "the example does not build with \`cc ring-reader.c \$(pkg-config --cflags --libs ringshm)\` ($flags)"
# The same flags link a program that calls the producer side (libhugetlbfs): with the default
# static libringshm, --libs alone must carry it.
cat >"$tmp/producer.c" <<'C'
#include <ringshm.h>
int main(void)
{
	struct ringshm_params p = { .capacity = 1u << 20, .chunk_size = RINGSHM_MIN_CHUNK,
				    .backing = RINGSHM_BACKING_FILE, .no_lock = true };
	struct ringshm *r = ringshm_create(RING_PATH, &p, NULL);

	if (!r)
		return 1;
	ringshm_close(r);
	return 0;
}
C
# shellcheck disable=SC2086
cc -std=gnu11 -Wall -Werror "${sanflags[@]}" -DRING_PATH="\"$tmp/p.ring\"" -o "$tmp/producer" \
	"$tmp/producer.c" $flags || fail "a producer does not link with pkg-config --libs ringshm ($flags)"
"$tmp/producer" || fail "the producer built against the installed tree cannot create $tmp/p.ring"
"$reader" -f oldest "$tmp/p.ring" >"$tmp/p.txt" || fail "the example cannot read $tmp/p.ring"
grep -q '^total: frames 0 .* markers 1 ' "$tmp/p.txt" || fail "an empty ring: $(cat "$tmp/p.txt")"
libdir=$(pkg-config --variable=libdir ringshm)
export LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
pass "installed example builds with pkg-config --cflags --libs ringshm"

"$reader" -h | grep -q '^usage: ring-reader' || fail "-h prints no usage"
set +e
"$reader" -f sideways x >/dev/null 2>&1
rc=$?
"$reader" "$tmp/no-such-ring" >/dev/null 2>"$tmp/err"
rc2=$?
set -e
expect_eq "$rc" 2 "exit status for a bad -f"
expect_eq "$rc2" 1 "exit status for a missing ring"
grep -q "$tmp/no-such-ring" "$tmp/err" || fail "the error does not name the ring: $(cat "$tmp/err")"

# 2. A ring filled by the real capture.
cap_ring ring rd
# shellcheck disable=SC2046 # cap_eal prints several EAL arguments
"$FEEDCAP_CAPTURE" --ring "$ring" --ring-size 64M --vdev "net_pcap0,rx_pcap=$input" \
	--count "$total" --duration 60 -- $(cap_eal a) >"$tmp/cap.log" 2>&1 ||
	{ cat "$tmp/cap.log" >&2; fail "feedcap-capture failed"; }
grep -q "captured $total frames" "$tmp/cap.log" || { cat "$tmp/cap.log" >&2; fail "not all frames captured"; }

# field NAME FILE: the number after NAME on the "total:" line.
field() { sed -n "s/^total: .*\<$1 \([0-9]*\).*/\1/p" "$2"; }

# 2a. Everything, from the oldest record.
"$reader" -f oldest "$ring" >"$tmp/all.txt" 2>"$tmp/all.err" || fail "reader failed: $(cat "$tmp/all.err")"
cat "$tmp/all.txt"
grep -q '^clock: ' "$tmp/all.txt" || fail "no clock line"
expect_eq "$(field frames "$tmp/all.txt")" "$total" "frames read (capinfos)"
expect_eq "$(field bytes "$tmp/all.txt")" "$databytes" "wire bytes read (capinfos data size)"
expect_eq "$(field multicast "$tmp/all.txt")" "$mcast" "frames to multicast MACs (tshark)"
expect_eq "$(field lost_records "$tmp/all.txt")" 0 "records lost"
markers=$(field markers "$tmp/all.txt")
((markers >= 1)) || fail "no EPOCH marker read"
seqs=$(sed -n 's/^total: .* seq \([0-9]*\)-\([0-9]*\) .*/\1 \2/p' "$tmp/all.txt")
read -r s1 s2 <<<"$seqs"
expect_eq "$((s2 - s1 + 1))" "$((total + markers))" "sequence numbers span every record read"

# 2b. -n stops after that many frames.
"$reader" -f oldest -n 5000 "$ring" >"$tmp/n.txt" || fail "reader -n failed"
expect_eq "$(field frames "$tmp/n.txt")" 5000 "frames read with -n 5000"

# 2c. From a time: the ring holds net_pcap's microseconds, so count the input's frames whose
# timestamp, cut to the microsecond, is at or after frame 12345's.
tshark -r "$input" -T fields -e frame.time_epoch |
	awk -F. '{ printf "%s%s\n", $1, substr($2 "000000", 1, 6) }' >"$tmp/us.txt"
t_us=$(sed -n 12345p "$tmp/us.txt")
want=$(awk -v t="$t_us" '$1 >= t' "$tmp/us.txt" | wc -l)
((want < total)) || fail "the time oracle selects every frame"
"$reader" -f "${t_us}000" "$ring" >"$tmp/t.txt" || fail "reader -f TIME failed"
expect_eq "$(field frames "$tmp/t.txt")" "$want" "frames at or after ${t_us}000 ns (tshark)"

# 2d. Registered: feedcap-stat lists the reader with what it delivered while it lingers; then
# SIGTERM ends it cleanly with its summary.
"$reader" -f oldest -r "docs$$" -l 60 "$ring" >"$tmp/reg.txt" 2>&1 &
rpid=$!
_cap_pids+=("$rpid")
stat_delivered() {
	"$FEEDCAP_STAT" --ring "$ring" --interval 200ms --duration 400ms --json | tail -n 1 >"$tmp/stat.json" &&
		jq -e ".capture.readers[] | select(.name == \"docs$$\") | .delivered == $((total + markers))" \
			"$tmp/stat.json" >/dev/null
}
wait_until 30 stat_delivered || fail "feedcap-stat never showed reader docs$$ with $((total + markers)) records delivered: $(cat "$tmp/stat.json")"
expect_eq "$(jq "[.capture.readers[] | select(.name == \"docs$$\")] | length" "$tmp/stat.json")" 1 \
	"feedcap-stat lists the registered example reader once"
kill -TERM "$rpid"
wait "$rpid" || fail "registered reader failed: $(cat "$tmp/reg.txt")"
expect_eq "$(field frames "$tmp/reg.txt")" "$total" "frames read by the registered reader"
"$FEEDCAP_STAT" --ring "$ring" --interval 200ms --duration 400ms --json | tail -n 1 >"$tmp/stat2.json"
expect_eq "$(jq "[.capture.readers[] | select(.name == \"docs$$\")] | length" "$tmp/stat2.json")" 0 \
	"the reader's registry slot is freed when it closes"

# 2e. Unprivileged, in the ring's group only, no capabilities: reads all of it.
uid=$(id -u nobody)
gid=$(stat -c %g "$ring")
chmod 0755 "$tmp"
setpriv --reuid="$uid" --regid=65534 --groups="$gid" --inh-caps=-all --bounding-set=-all \
	"$reader" -f oldest "$ring" >"$tmp/u.txt" 2>"$tmp/u.err" ||
	fail "unprivileged reader failed: $(cat "$tmp/u.err")"
expect_eq "$(field frames "$tmp/u.txt")" "$total" "frames read by nobody in group $gid"

# 2f. The payload use (multicast MACs) must be able to say no: every market data frame is
# multicast, so read a capture of odd frames too (broadcast, IPv6 multicast, unicast ...).
odd=$FEEDCAP_TESTDATA/oddframes.pcap
oddtotal=$(capinfos -c -M -T "$odd" | awk -F'\t' 'NR==2 {print $2}')
oddmcast=$(tshark -r "$odd" -Y 'eth.dst[0:3] == 01:00:5e' -T fields -e frame.number | wc -l)
((oddmcast > 0 && oddmcast < oddtotal)) || fail "$odd: $oddmcast of $oddtotal to multicast MACs"
cap_ring ring2 odd
# shellcheck disable=SC2046
"$FEEDCAP_CAPTURE" --ring "$ring2" --ring-size 64M --vdev "net_pcap0,rx_pcap=$odd" \
	--count "$oddtotal" --duration 60 -- $(cap_eal b) >"$tmp/cap2.log" 2>&1 ||
	{ cat "$tmp/cap2.log" >&2; fail "feedcap-capture of $odd failed"; }
"$reader" -f oldest "$ring2" >"$tmp/odd.txt" || fail "reader on the odd frames failed"
expect_eq "$(field frames "$tmp/odd.txt")" "$oddtotal" "odd frames read (capinfos)"
expect_eq "$(field multicast "$tmp/odd.txt")" "$oddmcast" "odd frames to IPv4 multicast MACs (tshark)"
pass "the example reads captured rings: oldest, -n, time, registered, unprivileged, payload use"
