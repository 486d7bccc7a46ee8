#!/bin/bash
# Canary: a test that cannot run here says why.  The harness must report it skipped, with the
# reason.
source "$FEEDCAP_TESTLIB/common.sh"
skip "canary: this machine lacks what the test needs"
