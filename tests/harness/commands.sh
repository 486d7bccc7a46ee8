#!/bin/bash
# harness_commands: every command the test scripts call is installed by scripts/install-deps
# (scripts/debian-packages), or the script checks for it and skips naming it: commands.py on
# the whole tree, after a negative control on a script of its own.
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_SRC
need_tools shfmt dpkg-query python3
here=$(dirname "${BASH_SOURCE[0]}")
make_tmpdir tmp harncmd

# Negative control: a command no package installs here, called unchecked, and one from a
# package the list does not have (bc, when installed: else it is one of the first kind).
cat >"$tmp/t.sh" <<'SH'
x=$(echo "1 + 1" | feedcap-no-such-command-here)
echo 2 | bc
need_tools feedcap-other-missing-command
feedcap-other-missing-command --version
bash -c 'feedcap-third-missing-command'
SH
rc=0
python3 "$here/commands.py" "$FEEDCAP_SRC" "$tmp/t.sh" >"$tmp/neg.txt" || rc=$?
cat "$tmp/neg.txt"
expect_eq "$rc" 1 "exit status on a script calling uninstalled commands"
grep -q '^FAIL: feedcap-no-such-command-here: not installed' "$tmp/neg.txt" ||
	fail "a missing command in a command substitution was not caught"
grep -q '^FAIL: feedcap-third-missing-command: not installed' "$tmp/neg.txt" ||
	fail "a missing command inside bash -c '...' was not caught"
grep -q '^FAIL: bc: ' "$tmp/neg.txt" || fail "bc (not in scripts/debian-packages) was not caught"
if grep -q 'FAIL: feedcap-other-missing-command' "$tmp/neg.txt"; then
	fail "a command the script checks for (need_tools) was reported"
fi

python3 "$here/commands.py" "$FEEDCAP_SRC" >"$tmp/all.txt" || {
	cat "$tmp/all.txt"
	fail "commands called by the tests that scripts/install-deps does not install"
}
cat "$tmp/all.txt"
pass "$(tail -n 1 "$tmp/all.txt")"
