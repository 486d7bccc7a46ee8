#!/bin/bash
# capture_igmp: feedcap-capture speaks IGMP for the groups it joins, on a real link.  A veth
# pair, the far end in a namespace where tshark captures and decodes everything IGMP; the
# near end is feedcap-capture's net_af_packet port.
#   IGMPv2: unsolicited reports for every group at start (twice: Robustness 2), an answer for
#   every group to a general query and for the group to a group-specific query, each within
#   the query's Max Resp Time; leaves to 224.0.0.2 at SIGTERM.
#   IGMPv3 (--igmp-version 3, one source-specific group): reports to 224.0.0.22 with the right
#   record types (CHANGE_TO_EXCLUDE / ALLOW_NEW_SOURCES, MODE_IS_* answers, CHANGE_TO_INCLUDE /
#   BLOCK_OLD_SOURCES leaves) and the source address.
# Every message: IP TTL 1, Router Alert option, IP and IGMP checksums good (tshark).
source "$FEEDCAP_TESTLIB/common.sh"
source "$FEEDCAP_TESTLIB/netns.sh"
source "$(dirname "${BASH_SOURCE[0]}")/capture_common.sh"
need_tools tshark ip python3

make_tmpdir tmp capig
netns_new far cap
netns_veth near far_if "" "$far" cap
sysctl -qw "net.ipv6.conf.$near.disable_ipv6=1"
netns_exec "$far" sysctl -qw "net.ipv6.conf.$far_if.disable_ipv6=1"
netns_addr "$far" "$far_if" 10.99.0.2/24

# run_case VERSION TAG GROUP-ARGS...: capture with tshark on the far end, send a general
# query and a group-specific one for the first group, stop; decoded messages in $tmp/TAG.txt.
run_case() {
	local ver=$1 tag=$2 cap tsh i qgroup
	shift 2
	qgroup=${QGROUP:?}
	netns_spawn tsh "$far" tshark -n -i "$far_if" -f igmp -w "$tmp/$tag.pcapng"
	for ((i = 0; i < 100; i++)); do
		[[ -s $tmp/$tag.pcapng ]] && break
		sleep 0.1
	done
	sleep 0.5
	cap_ring ring "$tag"
	cap_start cap "$tmp/$tag.log" --ring "$ring" --ring-size 16M --igmp-version "$ver" \
		--igmp-source 10.99.0.1 --vdev "net_af_packet0,iface=$near" "$@" -- $(cap_eal "$tag")
	sleep 1.5 # the unsolicited report and its repeat 1 s later
	netns_exec "$far" "$CAPTOOL" query "$far_if" 0.0.0.0 10 "v$ver" # general, 1 s
	sleep 1.5
	netns_exec "$far" "$CAPTOOL" query "$far_if" "$qgroup" 5 "v$ver" # group-specific, 0.5 s
	sleep 1
	cap_stop "$cap"
	sleep 0.5
	# SIGINT to tshark itself (inside the namespace): it finishes the file and exits.
	for i in $(ip netns pids "$far"); do
		kill -INT "$i" 2>/dev/null || true
	done
	timeout 10 tail --pid="$tsh" -f /dev/null || fail "tshark did not stop"
	tshark -n -r "$tmp/$tag.pcapng" -o ip.check_checksum:TRUE -E occurrence=a -E aggregator=/s/ \
		-T fields -e frame.time_epoch -e ip.src -e ip.dst -e ip.ttl -e ip.opt.ra \
		-e ip.checksum.status -e igmp.type -e igmp.checksum.status -e igmp.maddr \
		-e igmp.record_type -e igmp.saddr -e igmp.max_resp >"$tmp/$tag.txt"
	grep -q "IGMP reports" "$tmp/$tag.log" && grep "IGMP" "$tmp/$tag.log" | tail -1 >&2
	cat "$tmp/$tag.txt" >&2
}

QGROUP=239.1.1.2 run_case 2 v2 --group 239.1.1.1 --group 239.1.1.2:30002 --group 239.1.1.3
QGROUP=239.1.1.1 run_case 3 v3 --group 239.1.1.1:30001 --group 10.99.0.2@232.1.1.1

# Periodic unsolicited reports while no querier is heard: --igmp-interval 2 for 6 s gives
# reports at 0 s and 1 s (start-up, Robustness 2), then 3 s and 5 s.
netns_spawn tsh "$far" tshark -n -i "$far_if" -f igmp -w "$tmp/per.pcapng"
for ((i = 0; i < 100; i++)); do [[ -s $tmp/per.pcapng ]] && break; sleep 0.1; done
sleep 0.5
cap_ring ring per
cap_start cap "$tmp/per.log" --ring "$ring" --ring-size 16M --igmp-interval 2 \
	--vdev "net_af_packet0,iface=$near" --group 239.5.5.5 -- $(cap_eal per)
sleep 6
cap_stop "$cap"
sleep 0.5
for i in $(ip netns pids "$far"); do kill -INT "$i" 2>/dev/null || true; done
timeout 10 tail --pid="$tsh" -f /dev/null || fail "tshark did not stop"
per=$(tshark -n -r "$tmp/per.pcapng" -Y 'igmp.type == 0x16 && igmp.maddr == 239.5.5.5' | wc -l)
((per >= 4 && per <= 5)) || fail "$per reports in 6 s with --igmp-interval 2 (want 4, or 5 at the edge)"
echo "ok: $per unsolicited reports in 6 s with --igmp-interval 2"

python3 - "$tmp/v2.txt" "$tmp/v3.txt" <<'PY'
import sys

def load(path):
    rows = []
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        f += [""] * (12 - len(f))
        rows.append(dict(t=float(f[0]), src=f[1], dst=f[2], ttl=f[3], ra=f[4], ipck=f[5],
                         type=int(f[6], 0) if f[6] else 0, ck=f[7], maddr=f[8].split(" "),
                         rtype=f[9].split(" ") if f[9] else [], saddr=f[10], maxresp=f[11]))
    return rows

def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)

def check_ours(rows):
    ours = [r for r in rows if r["type"] != 0x11]
    if not ours:
        fail("no IGMP message from feedcap-capture")
    for r in ours:
        if r["src"] != "10.99.0.1":
            fail("source address %s" % r["src"])
        if r["ttl"] != "1":
            fail("TTL %s" % r["ttl"])
        if not r["ra"]:
            fail("no Router Alert option: %s" % r)
        if r["ck"] not in ("2", "Good", "1") or r["ipck"] not in ("2", "Good", "1"):
            fail("checksum status IP %s IGMP %s" % (r["ipck"], r["ck"]))
    return ours

def queries(rows):
    q = [r for r in rows if r["type"] == 0x11]
    if len(q) != 2:
        fail("expected 2 queries, saw %d" % len(q))
    return q

# IGMPv2
rows = load(sys.argv[1])
ours = check_ours(rows)
gq, sq = queries(rows)
groups = ["239.1.1.1", "239.1.1.2", "239.1.1.3"]
reports = [r for r in ours if r["type"] == 0x16]
leaves = [r for r in ours if r["type"] == 0x17]
for g in groups:
    unsol = [r for r in reports if r["maddr"] == [g] and r["t"] < gq["t"]]
    if len(unsol) < 2:
        fail("v2 %s: %d unsolicited reports before the query, want 2" % (g, len(unsol)))
    if any(r["dst"] != g for r in reports if r["maddr"] == [g]):
        fail("v2 %s: report not sent to the group" % g)
    ans = [r for r in reports if r["maddr"] == [g] and gq["t"] < r["t"] <= gq["t"] + 1.0]
    if len(ans) != 1:
        fail("v2 %s: %d answers within 1 s of the general query" % (g, len(ans)))
    lv = [r for r in leaves if r["maddr"] == [g]]
    if len(lv) != 1 or lv[0]["dst"] != "224.0.0.2":
        fail("v2 %s: leaves %s" % (g, lv))
after_sq = [r for r in reports if r["t"] > sq["t"] and r["t"] < min(l["t"] for l in leaves)]
if [r["maddr"] for r in after_sq] != [["239.1.1.2"]] or after_sq[0]["t"] > sq["t"] + 0.5:
    fail("v2: answer to the group-specific query for 239.1.1.2 within 0.5 s: %s" % after_sq)
print("ok: IGMPv2: reports for %s, answers to a general and a group-specific query within Max Resp Time, leaves" % groups)

# IGMPv3
rows = load(sys.argv[2])
ours = check_ours(rows)
gq, sq = queries(rows)
if any(r["type"] != 0x22 or r["dst"] != "224.0.0.22" for r in ours):
    fail("v3: a message that is not a v3 report to 224.0.0.22")
def recs(r):
    return dict(zip(r["maddr"], r["rtype"]))
first = recs(ours[0])
if first != {"239.1.1.1": "4", "232.1.1.1": "5"}:
    fail("v3 join records %s (want CHANGE_TO_EXCLUDE 239.1.1.1, ALLOW_NEW_SOURCES 232.1.1.1)" % first)
if ours[0]["saddr"] != "10.99.0.2":
    fail("v3 source %s" % ours[0]["saddr"])
ans = [r for r in ours if gq["t"] < r["t"] <= gq["t"] + 1.0]
if len(ans) != 1 or recs(ans[0]) != {"239.1.1.1": "2", "232.1.1.1": "1"}:
    fail("v3 answer to the general query: %s" % ans)
sans = [r for r in ours if sq["t"] < r["t"] <= sq["t"] + 0.5]
if len(sans) != 1 or recs(sans[0]) != {"239.1.1.1": "2"}:
    fail("v3 answer to the group-specific query: %s" % sans)
last = recs(ours[-1])
if last != {"239.1.1.1": "3", "232.1.1.1": "6"}:
    fail("v3 leave records %s (want CHANGE_TO_INCLUDE, BLOCK_OLD_SOURCES)" % last)
print("ok: IGMPv3: join, answers, leave records; source-specific group with its source")
PY
pass "IGMPv2 and IGMPv3 on a veth pair, decoded by tshark"
