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

# Every step waits on what tshark has written (dumpcap writes each packet as it comes), never
# on time; the timing checks below are on the messages' own timestamps.
# tshark_start VAR FILE: tshark capturing IGMP on the far end into FILE, its PID in VAR, once
# it has written the file's header.
tshark_start() {
	local i
	netns_spawn "$1" "$far" tshark -n -i "$far_if" -f igmp -w "$2"
	for ((i = 0; i < 200; i++)); do
		[[ -s $2 ]] && return 0
		sleep 0.1
	done
	fail "tshark did not start capturing in 20 s"
}
# tshark_stop PID: SIGINT to tshark itself (inside the namespace): it finishes the file, exits.
tshark_stop() {
	local i
	for i in $(ip netns pids "$far"); do
		kill -INT "$i" 2>/dev/null || true
	done
	timeout 10 tail --pid="$1" -f /dev/null || fail "tshark did not stop"
}
# wait_sent FILE N [FILTER]: until tshark has written N of feedcap-capture's IGMP messages
# (all but queries, and FILTER) to FILE; 30 s at most.
sent() { tshark -n -r "$1" -Y "igmp && igmp.type != 0x11${2:+ && $2}" 2>/dev/null | wc -l; }
wait_sent() {
	local i
	for ((i = 0; i < 100; i++)); do
		(($(sent "$1" "${3:-}") >= $2)) && return 0
		sleep 0.3
	done
	fail "feedcap-capture's IGMP messages in $1${3:+ ($3)}: $(sent "$1" "${3:-}"), $2 expected within 30 s"
}

# run_case VERSION TAG MESSAGES GROUP-ARGS...: capture with tshark on the far end, send a
# general query and a group-specific one for the first group, stop; decoded messages in
# $tmp/TAG.txt.  MESSAGES: how many messages a report for all the groups takes (IGMPv2: one
# per group; IGMPv3: one).
run_case() {
	local ver=$1 tag=$2 m=$3 cap tsh qgroup
	shift 3
	qgroup=${QGROUP:?}
	tshark_start tsh "$tmp/$tag.pcapng"
	cap_ring ring "$tag"
	cap_start cap "$tmp/$tag.log" --ring "$ring" --ring-size 16M --igmp-version "$ver" \
		--igmp-source 10.99.0.1 --vdev "net_af_packet0,iface=$near" "$@" -- $(cap_eal "$tag")
	wait_sent "$tmp/$tag.pcapng" $((2 * m)) # the unsolicited report and its repeat 1 s later
	netns_exec "$far" "$CAPTOOL" query "$far_if" 0.0.0.0 10 "v$ver" # general, 1 s
	wait_sent "$tmp/$tag.pcapng" $((3 * m)) # its answer
	netns_exec "$far" "$CAPTOOL" query "$far_if" "$qgroup" 5 "v$ver" # group-specific, 0.5 s
	wait_sent "$tmp/$tag.pcapng" $((3 * m + 1)) # its answer
	cap_stop "$cap"
	wait_sent "$tmp/$tag.pcapng" $((4 * m + 1)) # the leaves
	tshark_stop "$tsh"
	tshark -n -r "$tmp/$tag.pcapng" -o ip.check_checksum:TRUE -E occurrence=a -E aggregator=/s/ \
		-T fields -e frame.time_epoch -e ip.src -e ip.dst -e ip.ttl -e ip.opt.ra \
		-e ip.checksum.status -e igmp.type -e igmp.checksum.status -e igmp.maddr \
		-e igmp.record_type -e igmp.saddr -e igmp.max_resp >"$tmp/$tag.txt"
	grep -q "IGMP reports" "$tmp/$tag.log" && grep "IGMP" "$tmp/$tag.log" | tail -1 >&2
	cat "$tmp/$tag.txt" >&2
}

QGROUP=239.1.1.2 run_case 2 v2 3 --group 239.1.1.1 --group 239.1.1.2:30002 --group 239.1.1.3
QGROUP=239.1.1.1 run_case 3 v3 1 --group 239.1.1.1:30001 --group 10.99.0.2@232.1.1.1

# Periodic unsolicited reports while no querier is heard: with --igmp-interval 2, reports at
# 0 s and 1 s (start-up, Robustness 2), then every 2 s: the first four, 1, 2 and 2 s apart
# (their own timestamps, within 0.4 s), and only reports for the group until the leave.
tshark_start tsh "$tmp/per.pcapng"
cap_ring ring per
cap_start cap "$tmp/per.log" --ring "$ring" --ring-size 16M --igmp-interval 2 \
	--vdev "net_af_packet0,iface=$near" --group 239.5.5.5 -- $(cap_eal per)
wait_sent "$tmp/per.pcapng" 4 'igmp.type == 0x16 && igmp.maddr == 239.5.5.5'
cap_stop "$cap"
wait_sent "$tmp/per.pcapng" 1 'igmp.type == 0x17'
tshark_stop "$tsh"
tshark -n -r "$tmp/per.pcapng" -Y 'igmp.type != 0x11' -T fields -e frame.time_epoch \
	-e igmp.type -e igmp.maddr >"$tmp/per.txt"
python3 - "$tmp/per.txt" <<'PY' || fail "periodic reports: $(cat "$tmp/per.txt")"
import sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()]
rep = [float(t) for t, ty, g in rows if int(ty, 0) == 0x16 and g == "239.5.5.5"]
if len(rows) != len(rep) + 1 or int(rows[-1][1], 0) != 0x17:
    sys.exit("not only reports for 239.5.5.5, then one leave: %s" % rows)
gaps = [b - a for a, b in zip(rep, rep[1:4])]
if len(gaps) != 3 or any(abs(g - w) > 0.4 for g, w in zip(gaps, (1, 2, 2))):
    sys.exit("reports %s s apart, want 1, 2, 2" % " ".join("%.3f" % g for g in gaps))
print("ok: %d unsolicited reports with --igmp-interval 2, the first 1, 2, 2 s apart: %s" %
      (len(rep), " ".join("%.3f" % g for g in gaps)))
PY

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
    # The group-specific query follows as soon as this answer is seen: its answer is not one.
    ans = [r for r in reports if r["maddr"] == [g] and gq["t"] < r["t"] <= min(gq["t"] + 1.0, sq["t"])]
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
ans = [r for r in ours if gq["t"] < r["t"] <= min(gq["t"] + 1.0, sq["t"])]
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
