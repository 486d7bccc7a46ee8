#!/bin/bash
# Every tool's --help and its man page's OPTIONS section define the same options: each long
# (--ring) and short (-w) option defined in one is defined in the other.  A tool whose binary
# is not built yet is skipped with the reason printed; a built tool without a man page fails.
#
# What counts as a definition:
#   --help   lines that start with blanks then '-': the option part before the description
#            (which starts after two blanks or a tab), e.g. "  -c, --config FILE   read ..."
#   man      the tag line after each .TP (or an .IP tag) in the OPTIONS section, e.g.
#            .TP
#            \fB\-c\fR, \fB\-\-config\fR \fIFILE\fR
# Usage lines and prose that mention options elsewhere are not definitions.
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_SRC

mandir=$FEEDCAP_SRC/docs/man
declare -A bins=(
	[feedcap-capture]=${FEEDCAP_CAPTURE:-} [feedcap-dump]=${FEEDCAP_DUMP:-}
	[feedcap-stat]=${FEEDCAP_STAT:-} [feedcap-replay]=${FEEDCAP_REPLAY:-}
	[feedcap-timesync]=${FEEDCAP_TIMESYNC:-} [feedcap-extcap]=${FEEDCAP_EXTCAP:-}
)
make_tmpdir tmp manhelp

# options_of_specs: option tokens in the spec text on stdin, one per line, sorted.
options_of_specs() {
	{ grep -oE '(^|[][ ,|=/])--?[A-Za-z0-9?][-A-Za-z0-9]*' || true; } |
		sed -E 's/^[][ ,|=\/]//; s/=.*//' | sort -u
}

help_options() {
	"$1" --help 2>&1 |
		sed -nE 's/^[[:space:]]{1,12}(-[^[:space:]].*)$/\1/p' |
		sed -E 's/(  |\t).*//' | options_of_specs
}

man_options() {
	# the OPTIONS section, de-grofffed: fonts off, \- to -
	awk '/^\.SH/ { in_opt = ($0 ~ /^\.SH "?OPTIONS"?/) ; next } in_opt' "$1" |
		sed -E 's/\\f[BIRP]//g; s/\\f\(..//g; s/\\-/-/g; s/\\ / /g; s/\\&//g' |
		awk '
			/^\.TP/ { tag = 1; next }
			/^\.IP/ { sub(/^\.IP[ \t]*/, ""); if ($0 ~ /^"?-/) print; next }
			/^\.(B|BR|BI|I|IR) / && tag { sub(/^\.[A-Z]+ /, ""); print; tag = 0; next }
			/^\./ { next }
			tag { print; tag = 0 }
		' | tr -d '"' | options_of_specs
}

checked=0
for tool in feedcap-capture feedcap-dump feedcap-stat feedcap-replay feedcap-timesync; do
	bin=${bins[$tool]}
	if [[ -z $bin || ! -x $bin ]]; then
		echo "skip: $tool is not built yet (no binary), its --help cannot be compared"
		continue
	fi
	page=$mandir/$tool.1
	[[ -f $page ]] || fail "$tool is built but docs/man/$tool.1 does not exist"
	help_options "$bin" >"$tmp/$tool.help"
	man_options "$page" >"$tmp/$tool.man"
	[[ -s $tmp/$tool.help ]] || fail "$tool --help defines no option (is the format as above?)"
	[[ -s $tmp/$tool.man ]] || fail "$tool.1 OPTIONS defines no option (.TP tag lines?)"
	only_help=$(comm -23 "$tmp/$tool.help" "$tmp/$tool.man" | tr '\n' ' ')
	only_man=$(comm -13 "$tmp/$tool.help" "$tmp/$tool.man" | tr '\n' ' ')
	[[ -z $only_help ]] || fail "$tool: in --help but not in $tool.1 OPTIONS: $only_help"
	[[ -z $only_man ]] || fail "$tool: in $tool.1 OPTIONS but not in --help: $only_man"
	pass "$tool: --help and $tool.1 define the same $(wc -l <"$tmp/$tool.help") options"
	checked=$((checked + 1))
done

# The comparison itself must be able to fail: a made-up tool whose help has one option more
# than its page.
cat >"$tmp/fake-tool" <<'EOF'
#!/bin/sh
cat <<'HELP'
Usage: fake-tool [options] [-w FILE]
  -w, --write FILE      write here
  --extra               only in the help
HELP
EOF
chmod +x "$tmp/fake-tool"
cat >"$tmp/fake-tool.1" <<'EOF'
.TH FAKE-TOOL 1
.SH OPTIONS
.TP
\fB\-w\fR, \fB\-\-write\fR \fIFILE\fR
write here (\fB\-\-extra\fR is mentioned in prose, which does not count)
.SH SEE ALSO
EOF
help_options "$tmp/fake-tool" >"$tmp/fake.help"
man_options "$tmp/fake-tool.1" >"$tmp/fake.man"
expect_eq "$(tr '\n' ' ' <"$tmp/fake.help")" "--extra --write -w " "options in the fake help"
expect_eq "$(tr '\n' ' ' <"$tmp/fake.man")" "--write -w " "options in the fake page"
[[ -n $(comm -23 "$tmp/fake.help" "$tmp/fake.man") ]] || fail "the comparison misses --extra"
pass "negative control: a help option missing from the page is caught"

((checked > 0)) || skip "no tool binary is built yet: nothing to compare (see the lines above)"
