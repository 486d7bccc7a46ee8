#!/bin/bash
# feedcap-stat -r: per destination group and port, frames and bytes equal what tshark counts
# (UDP frames by ip.dst/ipv6.dst and udp.dstport, IP reassembly off so that only the first
# fragment carries the port), and the peak frames per millisecond equals what awk counts over
# tshark's timestamps.  The same numbers come out of the zstd and pcapng versions of the
# capture, the JSON intervals add up to the summary, the Prometheus file is complete, and bad
# usage exits 2.
source "$FEEDCAP_TESTLIB/common.sh"
source "$(dirname "$0")/stat_lib.sh"
need_env FEEDCAP_STAT FEEDCAP_TESTDATA
need_tools tshark jq zstd editcap capinfos

make_tmpdir tmp statcounts

tshark_groups() { # FILE -> "dst frames bytes" sorted
	tshark -r "$1" -o ip.defragment:FALSE -o ipv6.defragment:FALSE -Y 'udp && !icmp && !icmpv6' \
		-T fields -E separator=, -e ip.dst -e ipv6.dst -e udp.dstport -e frame.len 2>/dev/null |
		awk -F, '{ k = ($2 != "") ? "[" $2 "]:" $3 : $1 ":" $3; n[k]++; b[k] += $4 }
			END { for (k in n) print k, n[k], b[k] }' | sort
}

tshark_peaks() { # FILE -> "dst peak" sorted: most frames of a group in one millisecond
	tshark -r "$1" -o ip.defragment:FALSE -o ipv6.defragment:FALSE -Y 'udp && !icmp && !icmpv6' \
		-T fields -E separator=, -e ip.dst -e ipv6.dst -e udp.dstport -e frame.time_epoch \
		2>/dev/null |
		awk -F, '{ k = ($2 != "") ? "[" $2 "]:" $3 : $1 ":" $3;
			   split($4, t, "."); ms = t[1] substr(t[2], 1, 3);
			   c[k SUBSEP ms]++; if (c[k SUBSEP ms] > p[k]) p[k] = c[k SUBSEP ms] }
			END { for (k in p) print k, p[k] }' | sort
}

for name in marketdata oddframes; do
	in=$FEEDCAP_TESTDATA/$name.pcap
	tshark_groups "$in" >"$tmp/$name.expect"
	tshark_peaks "$in" >"$tmp/$name.peaks"
	[[ -s $tmp/$name.expect ]] || fail "tshark found no UDP groups in $in"

	zstd -q -c "$in" >"$tmp/$name.pcap.zst"
	editcap -F pcapng "$in" "$tmp/$name.pcapng"
	for f in "$in" "$tmp/$name.pcap.zst" "$tmp/$name.pcapng"; do
		"$FEEDCAP_STAT" -r "$f" --json >"$tmp/out.json" || fail "feedcap-stat -r $f failed"
		tail -n 1 "$tmp/out.json" >"$tmp/sum.json"
		expect_eq "$(jq -r .type "$tmp/sum.json")" summary "last line type ($f)"
		jq -r '.groups[] | "\(.dst) \(.frames) \(.bytes)"' "$tmp/sum.json" | sort >"$tmp/got"
		diff -u "$tmp/$name.expect" "$tmp/got" ||
			fail "$f: per-group frames/bytes differ from tshark's"
		jq -r '.groups[] | "\(.dst) \(.peak_fpms)"' "$tmp/sum.json" | sort >"$tmp/gotpk"
		diff -u "$tmp/$name.peaks" "$tmp/gotpk" || fail "$f: peak frames per ms differ"
		expect_eq "$(jq .frames "$tmp/sum.json")" \
			"$(capinfos -T -r -c "$in" | cut -f2)" "$f: total frames = capinfos"
	done
	pass "$name: groups, bytes and peaks equal tshark's, plain, zstd and pcapng"
done

# Intervals (in capture time) add up to the summary; every line is JSON.
in=$FEEDCAP_TESTDATA/marketdata.pcap
"$FEEDCAP_STAT" -r "$in" --json --interval 10ms >"$tmp/iv.json"
nint=$(jq -s '[.[] | select(.type == "interval")] | length' "$tmp/iv.json")
[[ $nint -ge 8 ]] || fail "expected at least 8 intervals of 10 ms over 81 ms, got $nint"
expect_eq "$(jq -s '[.[] | select(.type == "interval") | .frames] | add' "$tmp/iv.json")" \
	"$(tail -n 1 "$tmp/iv.json" | jq .frames)" "sum of interval frames = summary frames"

# Text output (not a terminal): a table with every group.
"$FEEDCAP_STAT" -r "$in" >"$tmp/text.out"
for g in $(cut -d' ' -f1 "$tmp/marketdata.expect"); do
	grep -q "^$g " "$tmp/text.out" || fail "text summary lacks group $g"
done

# Prometheus: written atomically (no temporary left), one sample per group.
"$FEEDCAP_STAT" -r "$in" --prom "$tmp/feedcap.prom" --gaps moldudp64 >/dev/null
[[ -f $tmp/feedcap.prom ]] || fail "--prom wrote no file"
ls "$tmp" | grep -q 'feedcap.prom.tmp' && fail "--prom left a temporary file"
while read -r dst frames bytes; do
	grep -qx "feedcap_group_frames_total{dst=\"$dst\"} $frames" "$tmp/feedcap.prom" ||
		fail "prom: no feedcap_group_frames_total for $dst = $frames"
	grep -qx "feedcap_group_bytes_total{dst=\"$dst\"} $bytes" "$tmp/feedcap.prom" ||
		fail "prom: no feedcap_group_bytes_total for $dst = $bytes"
done <"$tmp/marketdata.expect"
grep -q '^# TYPE feedcap_loss_total counter$' "$tmp/feedcap.prom" || fail "prom: no loss counter"
# every sample line is NAME{labels} VALUE or NAME VALUE
bad=$(grep -v '^#' "$tmp/feedcap.prom" | grep -Evc '^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9]+$' || true)
expect_eq "$bad" 0 "malformed Prometheus lines"
pass "intervals, text table and Prometheus file"

# Usage errors exit 2 and say what is wrong; --help exits 0.
check_usage
check_usage -r "$in" --gaps bogus
check_usage -r "$in" --gaps generic:1:3:be
check_usage -r "$in" --feed x=239.1.1.1,239.1.2.1
check_usage -r "$in" --gaps moldudp64 --feed nogroups
check_usage -r "$in" --ring somering
check_usage -r "$in" --interval 0
"$FEEDCAP_STAT" --help | grep -q -- '--gaps' || fail "--help does not describe --gaps"
set +e
"$FEEDCAP_STAT" -r "$tmp/does-not-exist.pcap" 2>"$tmp/err"
rc=$?
set -e
expect_eq "$rc" 1 "exit code for a missing archive"
grep -q "does-not-exist.pcap" "$tmp/err" || fail "the message does not name the file"
pass "usage errors"

# --help and the man page describe the same options.
need_env FEEDCAP_SRC
man_opts=$(grep -oE '\\-\\-[a-z]([a-z]|\\-)*' "$FEEDCAP_SRC/docs/man/feedcap-stat.1" | tr -d '\\' | sort -u)
help_opts=$("$FEEDCAP_STAT" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u)
diff <(echo "$man_opts") <(echo "$help_opts") || fail "--help and feedcap-stat.1 list different options"
pass "--help matches the man page"
