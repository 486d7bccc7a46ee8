# Shared by the feedcap-stat integration scripts (sourced after common.sh, not a test).

# check_usage ARGS...: feedcap-stat ARGS exits 2 and says why on stderr ($tmp must be set).
check_usage() {
	local rc
	set +e
	"$FEEDCAP_STAT" "$@" >/dev/null 2>"$tmp/err"
	rc=$?
	set -e
	expect_eq "$rc" 2 "exit code of feedcap-stat $*"
	[[ -s $tmp/err ]] || fail "no message for feedcap-stat $*"
}
