#!/bin/bash
# The tools behave alike, and like tcpdump where tcpdump has a say: -V and --version print
# "NAME VERSION" and exit 0 in every tool; a closed output pipe (| head, | tcpdump -c) ends
# any tool quietly with status 0; a ring or archive that is missing or unreadable is exit 1
# (a runtime failure), while bad usage stays 2.
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_DUMP FEEDCAP_STAT FEEDCAP_REPLAY FEEDCAP_TESTDATA
need_tools tcpdump

make_tmpdir tmp alike
cd "$tmp"
in=$FEEDCAP_TESTDATA/marketdata.pcap

# ------------------------------------------------------------------ -V / --version
for t in FEEDCAP_DUMP FEEDCAP_STAT FEEDCAP_REPLAY FEEDCAP_TIMESYNC FEEDCAP_CAPTURE FEEDCAP_EXTCAP; do
	bin=${!t:-}
	if [[ -z $bin || ! -x $bin ]]; then
		echo "not built: $t"
		continue
	fi
	name=$(basename "$bin")
	for v in -V --version; do
		out=$("$bin" $v 2>&1) || fail "$name $v: exit $?"
		[[ $out =~ ^$name\ [0-9]+\.[0-9]+ ]] || fail "$name $v says '$out'"
	done
	echo "ok: $name -V and --version: $out"
done

# ------------------------------------------------------------------ closed pipes
"$FEEDCAP_REPLAY" --to-ring "$tmp/ring" "$in" || fail "cannot make the test ring"
check_pipe() { # what, then the command; its output goes into head -c 100
	local what=$1 rc
	shift
	set +e
	"$@" 2>"$tmp/err" | head -c 100 >/dev/null
	rc=${PIPESTATUS[0]}
	set -e
	[[ $rc == 0 ]] || fail "$what under | head: exit $rc: $(head -c 300 "$tmp/err")"
	[[ ! -s $tmp/err ]] || fail "$what under | head said: $(head -c 300 "$tmp/err")"
	echo "ok: $what | head -c 100: exit 0, nothing on stderr"
}
check_pipe "feedcap-replay -w -" "$FEEDCAP_REPLAY" -w - "$in"
check_pipe "feedcap-dump -w -" "$FEEDCAP_DUMP" --ring "$tmp/ring" --from oldest --no-follow -q -w -
check_pipe "feedcap-stat -r --interval" "$FEEDCAP_STAT" -r "$in" --interval 1ms
check_pipe "feedcap-stat --ring --json" "$FEEDCAP_STAT" --ring "$tmp/ring" --json --interval 10ms --duration 5s
if [[ -x ${FEEDCAP_TIMESYNC:-} ]]; then
	check_pipe "feedcap-timesync --watch" "$FEEDCAP_TIMESYNC" --no-ptp --watch --interval 0.01 --count 1000
fi
set +e
"$FEEDCAP_REPLAY" -w - "$in" 2>"$tmp/err" | tcpdump -r - -c 2 >/dev/null 2>&1
rc=${PIPESTATUS[0]}
set -e
expect_eq "$rc" 0 "feedcap-replay -w - | tcpdump -c 2"

# ------------------------------------------------------------------ missing or unreadable: 1
exit_of() { local rc=0; "$@" >/dev/null 2>"$tmp/err" || rc=$?; echo "$rc"; }
expect_eq "$(exit_of "$FEEDCAP_DUMP" --ring "$tmp/nothing" -w o.pcap)" 1 "feedcap-dump, a missing ring"
expect_eq "$(exit_of "$FEEDCAP_STAT" --ring "$tmp/nothing" --json)" 1 "feedcap-stat, a missing ring"
expect_eq "$(exit_of "$FEEDCAP_STAT" -r "$tmp/nothing.pcap")" 1 "feedcap-stat, a missing archive"
expect_eq "$(exit_of "$FEEDCAP_REPLAY" -w o.pcap "$tmp/nothing.pcap")" 1 "feedcap-replay, a missing archive"
head -c 64 /dev/urandom >"$tmp/junk.pcap"
expect_eq "$(exit_of "$FEEDCAP_REPLAY" -w o.pcap "$tmp/junk.pcap")" 1 "feedcap-replay, an unreadable archive"
expect_eq "$(exit_of "$FEEDCAP_DUMP" --ring "$tmp/ring" --bogus -w o.pcap)" 2 "feedcap-dump, bad usage"
expect_eq "$(exit_of "$FEEDCAP_REPLAY" --bogus -w o.pcap "$in")" 2 "feedcap-replay, bad usage"
expect_eq "$(exit_of "$FEEDCAP_STAT" --bogus -r "$in")" 2 "feedcap-stat, bad usage"
pass "the tools behave alike"
