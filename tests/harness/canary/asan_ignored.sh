#!/bin/bash
# Canary: a tool's heap overflow, its exit status ignored; the report reaches the test's output.
# The harness must report this test failed.
source "$FEEDCAP_TESTLIB/common.sh"
"$SAN_CANARY" heap || true
pass "ignored san_canary's exit status"
