# shellcheck shell=bash
# common.sh - what every integration script sources first.
#
#   source "$FEEDCAP_TESTLIB/common.sh"
#
# Strict mode, one EXIT trap that runs registered clean-ups in reverse order (also on failure,
# SIGINT and SIGTERM), and small assertion helpers.  Exit codes: 0 pass, 1 fail, 77 skip
# (CTest's SKIP_RETURN_CODE, set by feedcap_script_test()), after a "SKIP: [test] reason" line
# (skip, or skip_later for a part that cannot run here).
set -euo pipefail

FEEDCAP_TEST_NAME=${FEEDCAP_TEST_NAME:-$(basename "${BASH_SOURCE[1]:-$0}" .sh)}
_feedcap_cleanups=()
_feedcap_skips=()

# at_exit CMD [ARGS...]: run CMD when the script exits, however it exits.  Clean-ups run
# last-registered first; a failing clean-up does not stop the others.
at_exit() {
	local s
	printf -v s '%q ' "$@"
	_feedcap_cleanups+=("$s")
}

_feedcap_exit() {
	local rc=$? i
	set +e
	trap - EXIT
	# Checks that could not run (skip_later): a test that passed the others is skipped.
	if ((rc == 0 && ${#_feedcap_skips[@]} > 0)); then
		for i in "${_feedcap_skips[@]}"; do
			echo "SKIP: [$FEEDCAP_TEST_NAME] $i" >&2
		done
		rc=77
	fi
	for ((i = ${#_feedcap_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_feedcap_cleanups[i]}"
	done
	exit "$rc"
}
trap _feedcap_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { echo "[$FEEDCAP_TEST_NAME] $*" >&2; }
fail() {
	echo "FAIL: [$FEEDCAP_TEST_NAME] $*" >&2
	exit 1
}
skip() {
	echo "SKIP: [$FEEDCAP_TEST_NAME] $*" >&2
	exit 77
}
# skip_later REASON: a part of the test cannot run here; the rest goes on, and the test is
# reported skipped with REASON (not passed) if nothing fails.
skip_later() {
	echo "[$FEEDCAP_TEST_NAME] not checked here: $*" >&2
	_feedcap_skips+=("$*")
}
pass() { echo "PASS: [$FEEDCAP_TEST_NAME] $*"; }

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
	[[ $1 == "$2" ]] || fail "$3: got '$1', expected '$2'"
	echo "ok: $3 = $1"
}

# need_env VAR...: skip when a binary this test drives has not been built (its module has not
# landed yet); the message names what is missing.
need_env() {
	local v
	for v in "$@"; do
		[[ -n ${!v:-} ]] || skip "\$$v is not set: its target is not built (run through ctest)"
	done
}

# need_tools TOOL...: skip when a tool is missing (scripts/install-deps installs them all).
need_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip "$t is not installed (run scripts/install-deps)"
	done
}

# wait_until SECONDS CMD [ARGS...]: run CMD every 0.1 s until it succeeds; 1 after SECONDS.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" 2>/dev/null; do
		((SECONDS < deadline)) || return 1
		sleep 0.1
	done
}

# no_sanitizer_report FILE WHAT: fail if FILE (what a tool wrote on stderr) holds a sanitizer
# report.  For tools a test lets exit 0 or 1 (a damaged archive): the sanitizers' own exit
# statuses (86, 87: cmake/FeedcapTesting.cmake) say it too, this says which run it was.
no_sanitizer_report() {
	local re='==[0-9]+==ERROR: [A-Za-z]+Sanitizer|runtime error: '
	if grep -qE "$re" "$1" 2>/dev/null; then
		fail "$2: a sanitizer report: $(grep -m 1 -E "$re" "$1")"
	fi
}

need_root() {
	[[ $(id -u) -eq 0 ]] || skip "needs root (network namespaces, hugepages)"
}

# make_tmpdir VAR TAG: a private temporary directory, removed at exit unless
# FEEDCAP_KEEP_TMP=1 (then its path is printed for a post-mortem).
make_tmpdir() {
	local d
	d=$(mktemp -d "${TMPDIR:-/tmp}/feedcap-$2.XXXXXX")
	if [[ ${FEEDCAP_KEEP_TMP:-0} == 1 ]]; then
		at_exit echo "kept $d"
	else
		at_exit rm -rf "$d"
	fi
	printf -v "$1" '%s' "$d"
}
