#!/bin/bash
# harness_canaries: the test harness cannot let a failure pass or a skip go unseen.  The
# canaries of tests/harness/canary go through feedcap's own registration
# (cmake/FeedcapTesting.cmake) and a real CTest, in a project built here:
#   - san_canary's heap overflow, signed overflow and leak each end the process with the exit
#     status the test environment gives them (86 AddressSanitizer/LeakSanitizer, 87
#     UndefinedBehaviorSanitizer), with the report on stderr, which no_sanitizer_report sees;
#   - CTest reports failed: a test that ignores the status of a tool with a heap overflow (the
#     report in its output), tests that let a tool exit 0 or 1 while it had a heap overflow,
#     undefined behaviour or a leak, a Criterion test with a heap overflow, and a Criterion run
#     where one test skipped and another failed;
#   - CTest reports skipped: a script calling skip, one that passed but for a part it could
#     not run (skip_later), and a Criterion run where one test skipped and the others passed;
#     their reasons reach scripts/test's report;
#   - scripts/test's report (scripts/lib/test-report.py) counts a skip that gives no reason as a
#     failure, prints the one summary line, and in CI mode fails on any skip not allowed.
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_SRC
need_tools cmake ctest python3 pkg-config
[[ -n ${ASAN_OPTIONS:-} ]] ||
	skip "not a sanitizer build (FEEDCAP_SANITIZE is empty): no sanitizer harness to check"
make_tmpdir tmp harness
here=$(dirname "${BASH_SOURCE[0]}")
b=$tmp/build

# Never print what the canaries wrote: their sanitizer reports would fail this test too.
cmake -S "$here/canary" -B "$b" -DFEEDCAP_SRC="$FEEDCAP_SRC" \
	-DFEEDCAP_SANITIZE=address,undefined >"$tmp/configure.log" 2>&1 ||
	fail "configuring the canaries failed (log: FEEDCAP_KEEP_TMP=1, $tmp/configure.log)"
cmake --build "$b" -j2 >"$tmp/build.log" 2>&1 ||
	fail "building the canaries failed (log: FEEDCAP_KEEP_TMP=1, $tmp/build.log)"

# 1. The exit statuses, in this test's own environment (the one every test gets).
for m in heap:86:AddressSanitizer ub:87:'runtime error' leak:86:LeakSanitizer ok:0:; do
	IFS=: read -r mode want what <<<"$m"
	rc=0
	"$b/san_canary" "$mode" >/dev/null 2>"$tmp/$mode.err" || rc=$?
	expect_eq "$rc" "$want" "exit status of san_canary $mode"
	if [[ -n $what ]]; then
		grep -q "$what" "$tmp/$mode.err" || fail "san_canary $mode: no $what report on stderr"
	fi
done

# no_sanitizer_report (tests/lib/common.sh), the damage tests' check of a tool's stderr.
for mode in heap ub leak; do
	if (no_sanitizer_report "$tmp/$mode.err" "san_canary $mode") >/dev/null 2>&1; then
		fail "no_sanitizer_report missed san_canary $mode's report"
	fi
done
(no_sanitizer_report "$tmp/ok.err" "san_canary ok") || fail "no_sanitizer_report on a clean run"

# 2. What CTest makes of the canaries.
rc=0
ctest --test-dir "$b" --output-junit "$tmp/junit.xml" >"$tmp/ctest.log" 2>&1 || rc=$?
((rc != 0)) || fail "ctest passed a run with failing canaries"
python3 - "$tmp/junit.xml" <<'PY' || fail "a canary was not reported as it must be"
import sys
import xml.etree.ElementTree as ET

want = {
    "asan_ignored": "failed", "asan_tolerated": "failed", "ubsan_tolerated": "failed",
    "leak_tolerated": "failed", "crit_heap": "failed", "crit_skip_and_fail": "failed",
    "script_skip": "skipped", "script_skip_silent": "skipped", "crit_skip": "skipped",
    "script_skip_later": "skipped",
    "script_clean": "passed", "crit_clean": "passed",
}
got = {}
for tc in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    if tc.find("skipped") is not None:
        got[tc.get("name")] = "skipped"
    elif tc.find("failure") is not None or tc.get("status") != "run":
        got[tc.get("name")] = "failed"
    else:
        got[tc.get("name")] = "passed"
bad = 0
for name, w in sorted(want.items()):
    g = got.get(name, "missing")
    print(f"{'ok' if g == w else 'WRONG'}: canary {name}: {g}, must be {w}")
    bad += g != w
sys.exit(bad != 0)
PY

# 3. scripts/test's report of that run.
rep=$FEEDCAP_SRC/scripts/lib/test-report.py
rc=0
python3 "$rep" "$tmp/junit.xml" >"$tmp/report.txt" || rc=$?
expect_eq "$rc" 1 "report exit status with failed canaries"
expect_eq "$(tail -n 1 "$tmp/report.txt")" "2 passed, 7 failed, 3 skipped" "report's last line"
grep -qx "  script_skip: canary: this machine lacks what the test needs" "$tmp/report.txt" ||
	fail "the script's skip reason is not in the report"
grep -qx "  script_skip_later: canary: one part cannot run here" "$tmp/report.txt" ||
	fail "the reason of a part skipped (skip_later) is not in the report"
grep -qx "  crit_skip: skip::cannot_run_here: canary: this machine lacks what the test needs" \
	"$tmp/report.txt" || fail "the Criterion skip reason is not in the report"
grep -q "^  script_skip_silent (skipped without saying why" "$tmp/report.txt" ||
	fail "a skip without a reason is not counted failed"
# CI mode: a skip that is not allowed fails the run, even when nothing failed.
python3 - "$tmp/junit.xml" "$tmp/skips.xml" <<'PY'
import sys
import xml.etree.ElementTree as ET
t = ET.parse(sys.argv[1])
root = t.getroot()
for tc in list(root.iter("testcase")):
    if tc.get("name") not in ("script_clean", "script_skip", "crit_skip"):
        root.remove(tc)
t.write(sys.argv[2])
PY
rc=0
python3 "$rep" "$tmp/skips.xml" --strict-skips --allow-skip crit_skip >"$tmp/ci.txt" || rc=$?
expect_eq "$rc" 1 "CI report exit status with a skip not allowed"
grep -q "^CI: .*: script_skip$" "$tmp/ci.txt" || fail "CI mode does not name the skip: $(cat "$tmp/ci.txt")"
expect_eq "$(tail -n 1 "$tmp/ci.txt")" "1 passed, 0 failed, 2 skipped" "CI report's last line"
rc=0
python3 "$rep" "$tmp/skips.xml" >/dev/null || rc=$?
expect_eq "$rc" 0 "report exit status with skips outside CI"
pass "sanitizer reports fail their tests, skips are reported with their reasons"
