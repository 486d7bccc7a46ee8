#!/bin/bash
# Canary: a test that skips without saying why.  scripts/test must count it failed.
exit 77
