#!/bin/bash
# capture_manpage: docs/man/feedcap-capture.1's OPTIONS section and `feedcap-capture --help`
# list the same options, in the same order, with the same arguments and the same words.
# groff renders the page (the text a user reads); both sides are normalised for line breaks.
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_CAPTURE FEEDCAP_SRC
need_tools groff python3

make_tmpdir tmp capman
"$FEEDCAP_CAPTURE" --help >"$tmp/help.txt"
groff -man -Tascii -P-cbou "$FEEDCAP_SRC/docs/man/feedcap-capture.1" 2>"$tmp/groff.err" >"$tmp/man.txt"
[[ ! -s $tmp/groff.err ]] || fail "groff warnings: $(cat "$tmp/groff.err")"
python3 - "$tmp/help.txt" "$tmp/man.txt" <<'PY'
import re, sys

def help_opts(path):
    opts = []
    for line in open(path):
        line = line.rstrip("\n")
        m = re.match(r"^  (-\S.*?|    --\S.*?)(?:\s{2,}(\S.*))?$", line)
        if m and line.lstrip().startswith("-"):
            opts.append([m.group(1).strip(), m.group(2) or ""])
        elif opts and re.match(r"^\s{20,}\S", line):
            opts[-1][1] += " " + line.strip()
        elif not line.strip() and opts:
            break
    return opts

def man_opts(path):
    text = open(path).read()
    sec = text[text.index("\nOPTIONS\n"):]
    sec = sec[: re.search(r"\n\S", sec[1:]).start() + 1]
    opts = []
    for line in sec.splitlines()[1:]:
        if re.match(r"^ {7}-", line):
            opts.append([line.strip(), ""])
        elif re.match(r"^ {14}\S", line) and opts:
            opts[-1][1] += " " + line.strip()
        elif re.match(r"^ {7}\S", line):
            break  # the prose after the list
    return opts

norm = lambda s: " ".join(s.split())
h, m = help_opts(sys.argv[1]), man_opts(sys.argv[2])
if len(h) < 20:
    print("FAIL: parsed only %d options from --help" % len(h)); sys.exit(1)
for i in range(max(len(h), len(m))):
    a = h[i] if i < len(h) else ["(none)", ""]
    b = m[i] if i < len(m) else ["(none)", ""]
    if norm(a[0]) != norm(b[0]) or norm(a[1]) != norm(b[1]):
        print("FAIL: option %d differs:\n  --help: %s | %s\n  man:    %s | %s" %
              (i + 1, a[0], norm(a[1]), b[0], norm(b[1])))
        sys.exit(1)
print("ok: %d options, same order, same words" % len(h))
PY
pass "man page OPTIONS = --help"
