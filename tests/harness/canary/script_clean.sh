#!/bin/bash
# Canary: a clean run of san_canary.  The harness must report it passed.
source "$FEEDCAP_TESTLIB/common.sh"
"$SAN_CANARY" ok >/dev/null
pass "san_canary ok"
