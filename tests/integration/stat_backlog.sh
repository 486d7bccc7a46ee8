#!/bin/bash
# A ring's backlog is read far faster than it arrived: its rates are in capture time, as
# capinfos computes them from the capture itself, never divided by the wall-clock time the
# read took.  And the producer's state is one word, whichever program produces: a slow
# feedcap-replay (heartbeats seconds apart) is running, not "running (producer not alive)".
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_REPLAY FEEDCAP_STAT FEEDCAP_GENDATA
need_tools jq capinfos

make_tmpdir tmp statbacklog
"$FEEDCAP_GENDATA" -w "$tmp/cap.pcap" --count 4000 --rate 2000 --groups 2 # ~2 s of traffic
"$FEEDCAP_REPLAY" --to-ring "$tmp/ring" --ring-size 16M --pace max "$tmp/cap.pcap"

"$FEEDCAP_STAT" --ring "$tmp/ring" --from oldest --no-follow --json | tail -n 1 >"$tmp/sum.json"
expect_eq "$(jq -r .time_base "$tmp/sum.json")" capture "time base of a backlog"
want=$(capinfos -T -r -x "$tmp/cap.pcap" | cut -f2)
jq -e -n --argjson got "$(jq .pps "$tmp/sum.json")" --argjson want "$want" \
	'($got - $want | fabs) <= $want * 0.001' >/dev/null ||
	fail "backlog rate $(jq .pps "$tmp/sum.json") pps; capinfos says $want"
expect_eq "$(jq -r .capture.state "$tmp/sum.json")" stopped "state after the replay ended"
pass "a ring's backlog: rates in capture time, as capinfos computes them"

# Live from the same backlog with intervals: each interval of backlog says capture time too
# (how many intervals the read spans depends on the machine: maybe none).
"$FEEDCAP_STAT" --ring "$tmp/ring" --from oldest --no-follow --interval 1ms --json >"$tmp/int.json"
jq -e -s '[.[] | select(.type == "interval" and .frames > 0) | .time_base] | all(. == "capture")' \
	"$tmp/int.json" >/dev/null || fail "backlog intervals not in capture time"

# A producer that beats rarely: 40 frames at 10 per second, a heartbeat every 32 frames.
"$FEEDCAP_GENDATA" -w "$tmp/slow.pcap" --count 40 --rate 10 --groups 1 --burst 0
"$FEEDCAP_REPLAY" --to-ring "$tmp/slow" --ring-size 16M --pace original "$tmp/slow.pcap" &
replay=$!
at_exit kill "$replay"
for _ in $(seq 50); do [[ -f $tmp/slow ]] && break; sleep 0.1; done
"$FEEDCAP_STAT" --ring "$tmp/slow" --duration 3500ms --interval 500ms --json >"$tmp/slow.json"
jq -e -s '[.[] | .capture | [.state, .producer_alive, .producer]] | unique == [["running", true, "feedcap-replay"]]' \
	"$tmp/slow.json" >/dev/null ||
	fail "slow producer: $(jq -c -s '[.[] | .capture | [.state, .producer_alive, .producer]] | unique' "$tmp/slow.json")"
"$FEEDCAP_STAT" --ring "$tmp/slow" --duration 600ms --interval 200ms >"$tmp/slow.txt"
grep -q 'producer=running' "$tmp/slow.txt" || fail "the line does not say producer=running"
if grep -q 'not alive' "$tmp/slow.txt"; then
	fail "a contradicting state: $(grep -m1 'not alive' "$tmp/slow.txt")"
fi
pass "a slow feedcap-replay is running, named, in one word"
