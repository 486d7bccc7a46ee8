#!/bin/bash
# feedcap-stat --ring, live: a ring fed at the capture's own pace by feedcap-replay, with a
# registered reader (feedcap-dump --name): one JSON object per interval with rates, a summary
# that counts every frame, the capture's state and counters, every loss place by name, the
# reader's lag and losses; the Prometheus file carries the same; a line per interval when
# stdout is not a terminal, a refreshing table when it is.
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_REPLAY FEEDCAP_STAT FEEDCAP_DUMP FEEDCAP_GENDATA
need_tools jq script

make_tmpdir tmp statring
"$FEEDCAP_GENDATA" -w "$tmp/cap.pcap" --count 6000 --rate 2000 --groups 3 # ~3 s
"$FEEDCAP_STAT" -r "$tmp/cap.pcap" --json | tail -n 1 >"$tmp/file.json"

"$FEEDCAP_REPLAY" --to-ring "$tmp/ring" --ring-size 16M --pace original "$tmp/cap.pcap" &
replay=$!
at_exit kill "$replay"
for _ in $(seq 50); do [[ -f $tmp/ring ]] && break; sleep 0.1; done
sleep 0.2
"$FEEDCAP_DUMP" --ring "$tmp/ring" --from oldest --name lagger --duration 8s -w "$tmp/d.pcap" 2>/dev/null &
dump=$!
at_exit kill "$dump"
"$FEEDCAP_STAT" --ring "$tmp/ring" --from oldest --interval 250ms --duration 5s --json \
	--prom "$tmp/stat.prom" >"$tmp/out.json"

nint=$(jq -s '[.[] | select(.type == "interval")] | length' "$tmp/out.json")
((nint >= 12)) || fail "only $nint intervals of 250 ms in 5 s"
# the capture plays for ~3 s: even a late start (a loaded machine) leaves live intervals
jq -e -s '[.[] | select(.type == "interval" and .frames > 0 and .pps > 0)] | length >= 2' \
	"$tmp/out.json" >/dev/null || fail "intervals show no traffic"
jq -e -s '[.[] | select(.type == "interval") | .capture.state] | index("running") != null' \
	"$tmp/out.json" >/dev/null || fail "no interval saw the producer running"
tail -n 1 "$tmp/out.json" >"$tmp/sum.json"
expect_eq "$(jq -r .type "$tmp/sum.json")" summary "last line"
expect_eq "$(jq .frames "$tmp/sum.json")" 6000 "frames counted live"
expect_eq "$(jq -c '[.groups[] | [.dst, .frames, .bytes]] | sort' "$tmp/sum.json")" \
	"$(jq -c '[.groups[] | [.dst, .frames, .bytes]] | sort' "$tmp/file.json")" \
	"live groups = the archive's groups"
expect_eq "$(jq -c '.losses | keys' "$tmp/sum.json")" \
	'["capture_filter","capture_truncated","nic_ierrors","nic_imissed","nic_rx_nombuf","ring_overrun_readers","ring_overrun_this_reader","writer_errors"]' \
	"every loss place named"
expect_eq "$(jq '.capture.readers | map(select(.name == "lagger")) | length' "$tmp/sum.json")" 1 \
	"the registered reader is listed"
jq -e '.capture.readers[] | select(.name == "lagger") | has("lag_bytes") and has("lost_records")' \
	"$tmp/sum.json" >/dev/null || fail "reader entry lacks lag or losses"
# a writer that never failed: no errors, not blocked, no last error (dump_diskfull: one that did)
jq -e '.capture.readers[] | select(.name == "lagger") | .write_errors == 0 and .blocked == false and .last_error == null and .last_errno == 0' \
	"$tmp/sum.json" >/dev/null || fail "reader entry: writer status of a writer without errors: $(jq -c .capture.readers "$tmp/sum.json")"
expect_eq "$(jq -c .losses.writer_errors "$tmp/sum.json")" '{"lagger":0}' "writer errors among the losses"
expect_eq "$(jq '.capture.clock | has("published")' "$tmp/sum.json")" true "clock state shown"
expect_eq "$(jq -r .capture.this_reader.lost_records "$tmp/sum.json")" 0 "stat lost nothing"
for m in 'feedcap_loss_total{place="nic_imissed"} 0' 'feedcap_capture_frames_total 6000' \
	'feedcap_loss_total{place="ring_overrun",reader="lagger"}' 'feedcap_reader_lag_bytes{reader="lagger"}' \
	'feedcap_writer_errors_total{reader="lagger"} 0' 'feedcap_writer_blocked{reader="lagger"} 0'; do
	grep -qF "$m" "$tmp/stat.prom" || fail "Prometheus file lacks: $m"
done
pass "live JSON intervals, summary, losses, readers, Prometheus"

# Not a terminal: one line per interval.  A terminal: a refreshing table.
"$FEEDCAP_STAT" --ring "$tmp/ring" --interval 200ms --duration 1s >"$tmp/lines.txt"
nl=$(grep -c ' frames=' "$tmp/lines.txt" || true)
((nl >= 3)) || fail "expected one line per interval, got: $(cat "$tmp/lines.txt")"
script -qec "$FEEDCAP_STAT --ring $tmp/ring --interval 200ms --duration 700ms" /dev/null >"$tmp/tty.txt"
grep -q $'\033\\[2J' "$tmp/tty.txt" || fail "no screen refresh on a terminal"
grep -q 'GROUP' "$tmp/tty.txt" || fail "no table on a terminal"
pass "line per interval off a terminal, refreshing table on one"

# The tools never link DPDK.
for b in "$FEEDCAP_STAT" "$FEEDCAP_REPLAY"; do
	if ldd "$b" | grep -q 'librte_'; then
		fail "$b links DPDK"
	fi
done

# SIGINT ends a live run cleanly: exit 0 and the summary as the last line.  Sent once its
# intervals have counted every frame (not after a guess of how long that takes).
"$FEEDCAP_STAT" --ring "$tmp/ring" --from oldest --interval 200ms --json >"$tmp/int.json" &
st=$!
at_exit kill "$st"
counted() { jq -s '[.[] | select(.type == "interval") | .frames] | add // 0' "$tmp/int.json" 2>/dev/null || echo 0; }
all_counted() { (($(counted) >= 6000)); }
wait_until 30 all_counted || fail "feedcap-stat's intervals counted $(counted) of 6000 frames in 30 s"
kill -INT "$st"
wait "$st" || fail "feedcap-stat exited $? on SIGINT"
expect_eq "$(tail -n 1 "$tmp/int.json" | jq -r .type)" summary "last line after SIGINT"
expect_eq "$(tail -n 1 "$tmp/int.json" | jq .frames)" 6000 "frames in the SIGINT summary"

# A ring that is not there: exit 1 with the path.
set +e
"$FEEDCAP_STAT" --ring "$tmp/nothing" --duration 1s 2>"$tmp/err"
rc=$?
set -e
expect_eq "$rc" 1 "exit code for a missing ring (runtime failure, as feedcap-dump)"
grep -q "$tmp/nothing" "$tmp/err" || fail "message does not name the ring"
pass "SIGINT ends a live run with the summary; a missing ring is bad usage"

# Last, as it needs root and group feedcap (scripts/install-deps makes it): a user in group
# feedcap (nobody, with that group only) reads the ring.
getent group feedcap >/dev/null || skip "no group feedcap (scripts/install-deps creates it): the unprivileged read is not checked"
[[ $(id -u) -eq 0 ]] || skip "not root: the unprivileged read (as nobody:feedcap) is not checked"
chmod 755 "$tmp"
gid=$(getent group feedcap | cut -d: -f3)
setpriv --reuid=65534 --regid="$gid" --clear-groups \
	"$FEEDCAP_STAT" --ring "$tmp/ring" --from oldest --no-follow --json >"$tmp/nobody.json" ||
	fail "feedcap-stat as nobody:feedcap could not read the ring"
expect_eq "$(tail -n 1 "$tmp/nobody.json" | jq .frames)" 6000 "frames read as nobody:feedcap"
pass "unprivileged reader in group feedcap"
