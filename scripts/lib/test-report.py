#!/usr/bin/env python3
"""test-report.py - what scripts/test prints at the end of a run, from CTest's JUnit file.

    test-report.py JUNIT [--strict-skips] [--allow-skip NAME]...

Prints the skipped tests, each with the reasons it printed (its "SKIP: ..." lines: tests/lib/
common.sh skip(), tests/lib/criterion_main.c), the failed tests, and last exactly one line:

    N passed, N failed, N skipped

A test CTest could not run for another reason than its skip code (a missing executable, a
failed fixture) counts as failed, and so does a skip that gives no reason: a test that cannot
run must say why.  With --strict-skips (CI), any skip not named by --allow-skip is an error.
Exit status: 0 when nothing failed (and, with --strict-skips, nothing was skipped that had to
run), 1 otherwise, 2 when the JUnit file cannot be read.
"""
import argparse
import re
import sys
import xml.etree.ElementTree as ET

SKIP_LINE = re.compile(r"^SKIP: (?:\[[^]]*\] )?(.*)$")


def main():
    ap = argparse.ArgumentParser(description="summary of a CTest JUnit file")
    ap.add_argument("junit")
    ap.add_argument("--strict-skips", action="store_true")
    ap.add_argument("--allow-skip", action="append", default=[])
    a = ap.parse_args()
    try:
        root = ET.parse(a.junit).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"test-report: cannot read {a.junit}: {e}", file=sys.stderr)
        return 2

    passed, failed, skipped = [], [], []
    for tc in root.iter("testcase"):
        name = tc.get("name")
        out = tc.findtext("system-out") or ""
        sk = tc.find("skipped")
        if sk is not None and sk.get("message", "").startswith("SKIP_"):
            reasons = [m.group(1) for m in map(SKIP_LINE.match, out.splitlines()) if m]
            if reasons:
                skipped.append((name, reasons))
            else:
                failed.append((name, "skipped without saying why (no SKIP: line)"))
        elif sk is not None or tc.find("failure") is not None or tc.get("status") != "run":
            why = (sk if sk is not None else tc.find("failure"))
            failed.append((name, why.get("message", "") if why is not None else tc.get("status")))
        else:
            passed.append(name)

    if skipped:
        print("skipped tests, with the reasons they gave:")
        for name, reasons in skipped:
            for r in reasons:
                print(f"  {name}: {r}")
    if failed:
        print("failed tests:")
        for name, why in failed:
            print(f"  {name}" + (f" ({why})" if why else ""))
    bad_skips = []
    if a.strict_skips:
        bad_skips = [name for name, _ in skipped if name not in a.allow_skip]
        if bad_skips:
            print("CI: these tests skipped but must run here (the machine must give them what"
                  " they need): " + ", ".join(bad_skips))
    print(f"{len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped")
    return 1 if failed or bad_skips else 0


if __name__ == "__main__":
    sys.exit(main())
