#!/bin/bash
# feedcap-stat --ring on a ring that feedcap-capture fills from net_pcap: the groups, rates,
# peaks and sequence gaps equal feedcap-stat -r on the input capture, and the one view shows the
# capture's own counters (port net_pcap0 with its frames, NIC drops, the capture filter) and
# the clock state timesync publishes.
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_STAT FEEDCAP_TESTDATA
source "$(dirname "${BASH_SOURCE[0]}")/capture_common.sh"
need_tools jq

make_tmpdir tmp statcap
in=$FEEDCAP_TESTDATA/marketdata.pcap
feeds=(--gaps moldudp64 --feed f1=239.1.1.1:30001,239.1.2.1:30001 --feed f3=239.1.1.3,239.1.2.3)
"$FEEDCAP_STAT" -r "$in" "${feeds[@]}" --json | tail -n 1 >"$tmp/file.json"

cap_ring ring all
"$FEEDCAP_CAPTURE" --ring "$ring" --ring-size 64M --vdev "net_pcap0,rx_pcap=$in" \
	--count 20000 --duration 60 -- $(cap_eal a) >"$tmp/a.log" 2>&1 ||
	{ cat "$tmp/a.log" >&2; fail "feedcap-capture failed"; }
"$FEEDCAP_STAT" --ring "$ring" --from oldest --no-follow "${feeds[@]}" --json |
	tail -n 1 >"$tmp/ring.json"
for q in '[.groups[] | [.dst, .frames, .bytes, .peak_fpms, .gaps, .missing, .duplicates]] | sort' \
	'[.feeds[] | [.name, .missing, .lost_a_only, .lost_b_only]]' '.frames' '.bytes'; do
	expect_eq "$(jq -c "$q" "$tmp/ring.json")" "$(jq -c "$q" "$tmp/file.json")" "ring vs archive: $q"
done
expect_eq "$(jq -r '.capture.ports[0].name' "$tmp/ring.json")" net_pcap0 "capture port name"
expect_eq "$(jq -r '.capture.ports[0].rx_frames' "$tmp/ring.json")" 20000 "capture port frames"
expect_eq "$(jq -r '.losses.nic_imissed' "$tmp/ring.json")" 0 "NIC imissed"
expect_eq "$(jq -r '.capture.clock.published' "$tmp/ring.json")" true "clock block published"
jq -e '.capture.clock.state | IN("locked", "holdover", "unlocked", "free-running")' \
	"$tmp/ring.json" >/dev/null || fail "clock state: $(jq -c .capture.clock "$tmp/ring.json")"
pass "ring filled by feedcap-capture: same numbers as the archive, capture counters, clock"

# The capture's own filter is a named loss place, equal to the ring's counter.
cap_ring ring2 filt
"$FEEDCAP_CAPTURE" --ring "$ring2" --ring-size 64M --vdev "net_pcap0,rx_pcap=$in" \
	--group 239.1.1.1 --filter-groups --no-igmp --duration 3 -- $(cap_eal b) >"$tmp/b.log" 2>&1 ||
	{ cat "$tmp/b.log" >&2; fail "feedcap-capture --filter-groups failed"; }
"$FEEDCAP_STAT" --ring "$ring2" --from oldest --no-follow --json | tail -n 1 >"$tmp/f.json"
kept=$(jq '.groups[] | select(.dst == "239.1.1.1:30001") | .frames' "$tmp/file.json")
expect_eq "$(jq .frames "$tmp/f.json")" "$kept" "frames kept by the capture filter"
expect_eq "$(jq .losses.capture_filter "$tmp/f.json")" "$((20000 - kept))" "capture_filter loss counter"
pass "capture filter counted in its own place"
