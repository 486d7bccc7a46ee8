#!/bin/bash
# Canary: a sanitizer report (CANARY_MODE: heap, ub or leak) in a tool allowed to exit 0 or 1
# (as a damaged archive may), its stderr kept in a file, so only the exit status can tell.  The
# harness must report this test failed.
source "$FEEDCAP_TESTLIB/common.sh"
make_tmpdir tmp canary
rc=0
"$SAN_CANARY" "$CANARY_MODE" 2>"$tmp/err" || rc=$?
((rc == 0 || rc == 1)) || fail "san_canary $CANARY_MODE exited $rc"
pass "san_canary $CANARY_MODE exited $rc"
