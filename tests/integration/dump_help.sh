#!/bin/bash
# --help and the man page list the same options; --version and bad usage exit as documented.
set -euo pipefail
if [[ -z "${FEEDCAP_DUMP:-}" || -z "${FEEDCAP_SRC:-}" ]]; then
	echo "SKIP: FEEDCAP_DUMP and FEEDCAP_SRC must be set (run through ctest)"
	exit 77
fi
man=$FEEDCAP_SRC/docs/man/feedcap-dump.1
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# Options in --help: the option lines of the help text (two spaces, then a dash).
"$FEEDCAP_DUMP" --help >/tmp/fcr-help.$$ || fail "--help exited $?"
help_opts=$(grep -E '^  -' /tmp/fcr-help.$$ | grep -oE '(^|[ ,])--?[A-Za-z][A-Za-z-]*' |
	tr -d ' ,' | sort -u)
rm -f /tmp/fcr-help.$$
# Options in the man page: the tag line after every .TP.
man_opts=$(awk 'tp {print; tp = 0} /^\.TP/ {tp = 1}' "$man" | sed 's/\\-/-/g' |
	grep -oE '(^|[ ",])--?[A-Za-z][A-Za-z-]*' | tr -d ' ,"' | sort -u)
[[ -n $help_opts ]] || fail "no options found in --help"
if [[ "$help_opts" != "$man_opts" ]]; then
	diff <(echo "$help_opts") <(echo "$man_opts") >&2 || true
	fail "--help (<) and feedcap-dump.1 (>) list different options"
fi
echo "ok: --help and the man page list the same $(echo "$help_opts" | wc -l) options"

"$FEEDCAP_DUMP" --version | grep -q '^feedcap-dump [0-9]' || fail "--version"
set +e
"$FEEDCAP_DUMP" -w /tmp/x.pcap 2>/dev/null
[[ $? == 2 ]] || fail "missing --ring does not exit 2"
"$FEEDCAP_DUMP" --ring x -w /tmp/x.pcap --bogus 2>/dev/null
[[ $? == 2 ]] || fail "an unknown option does not exit 2"
"$FEEDCAP_DUMP" --ring /nonexistent/ring -w /tmp/fcr-never.pcap 2>/tmp/fcr-help-err.$$
rc=$?
set -e
[[ $rc == 1 ]] && grep -q "/nonexistent/ring" /tmp/fcr-help-err.$$ || fail "a missing ring: exit $rc: $(cat /tmp/fcr-help-err.$$)"
rm -f /tmp/fcr-help-err.$$
[[ ! -e /tmp/fcr-never.pcap ]] || fail "a failed start left a file"
echo "ok: --version, exit 2 on bad usage, 1 for a missing ring (named)"
