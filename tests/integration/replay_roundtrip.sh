#!/bin/bash
# feedcap-replay round trip: pcap (ns, and us as tcpdump writes it), zstd made by the zstd CLI
# from those, pcapng made by editcap (plain and zstd): the frames that come out are the frames
# that went in, bytes and timestamps (tcpdump -xx --nano prints both).  A nanosecond pcap
# comes back byte for byte; pcapng and .zst outputs are read by capinfos, tshark and zstd -t;
# `feedcap-replay -w - | tcpdump -r -` works.
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_REPLAY FEEDCAP_TESTDATA
need_tools tcpdump tshark capinfos editcap zstd

make_tmpdir tmp replayrt
in=$FEEDCAP_TESTDATA/marketdata.pcap
cd "$tmp" # filter words are told from archives by not naming a file: keep the cwd clean

frames() { tcpdump -r "$1" -nn -tt --nano -xx 2>/dev/null | md5sum | cut -d' ' -f1; }

ref=$(frames "$in")
tcpdump -r "$in" --time-stamp-precision=micro -w "$tmp/us.pcap" 2>/dev/null
ref_us=$(frames "$tmp/us.pcap")
[[ $ref != "$ref_us" ]] || fail "the microsecond copy should print differently from the ns one"
zstd -q -c "$in" >"$tmp/ns.pcap.zst"
zstd -q -c "$tmp/us.pcap" >"$tmp/us.pcap.zst"
editcap -F pcapng "$in" "$tmp/ns.pcapng"
zstd -q -c "$tmp/ns.pcapng" >"$tmp/ns.pcapng.zst"

for f in "$in" "$tmp/ns.pcap.zst" "$tmp/ns.pcapng" "$tmp/ns.pcapng.zst" "$tmp/us.pcap" \
	"$tmp/us.pcap.zst"; do
	expect=$ref
	[[ $f == *us.* ]] && expect=$ref_us
	"$FEEDCAP_REPLAY" -w "$tmp/out.pcap" "$f" || fail "replay of $f failed"
	expect_eq "$(frames "$tmp/out.pcap")" "$expect" "frames of $(basename "$f") through -w FILE"
	expect_eq "$("$FEEDCAP_REPLAY" -w - "$f" | tcpdump -r - -nn -tt --nano -xx 2>/dev/null |
		md5sum | cut -d' ' -f1)" "$expect" "frames of $(basename "$f") through -w - | tcpdump -r -"
done
"$FEEDCAP_REPLAY" -w "$tmp/out.pcap" "$tmp/ns.pcapng.zst"
cmp "$in" "$tmp/out.pcap" || fail "a nanosecond pcap does not come back byte for byte"
pass "pcap/pcapng, plain/zstd in: identical frames out"

# Output formats: pcapng, and zstd by the .zst name; every standard tool reads them.
"$FEEDCAP_REPLAY" -F pcapng -w "$tmp/o.pcapng" "$tmp/us.pcap.zst"
"$FEEDCAP_REPLAY" -w "$tmp/o.pcap.zst" "$in"
"$FEEDCAP_REPLAY" -F pcapng -w "$tmp/o.pcapng.zst" "$in"
zstd -q -t "$tmp/o.pcap.zst" || fail "zstd -t rejects o.pcap.zst"
zstd -q -t "$tmp/o.pcapng.zst" || fail "zstd -t rejects o.pcapng.zst"
expect_eq "$(frames "$tmp/o.pcapng")" "$ref_us" "pcapng output frames"
expect_eq "$(zstd -dc "$tmp/o.pcap.zst" | tcpdump -r - -nn -tt --nano -xx 2>/dev/null |
	md5sum | cut -d' ' -f1)" "$ref" "pcap.zst output frames"
for f in o.pcapng o.pcap.zst o.pcapng.zst; do
	expect_eq "$(capinfos -T -r -c "$tmp/$f" | cut -f2)" 20000 "capinfos count of $f"
	expect_eq "$(tshark -r "$tmp/$f" 2>/dev/null | wc -l)" 20000 "tshark -r count of $f"
done
# the input is a microsecond pcap: the pcapng keeps its resolution (if_tsresol 6)
capinfos "$tmp/o.pcapng" | grep -q "microseconds" || fail "pcapng output of a microsecond pcap is not microsecond"
pass "pcapng and .zst outputs read by capinfos, tshark, zstd -t"

# Filter: exactly what tcpdump keeps with the same expression (and never nothing).
for src in "$in" "$FEEDCAP_TESTDATA/oddframes.pcap"; do
	for expr in "udp dst port 30002" "dst net 239.1.1.0/24 and greater 300" "vlan or ip6" \
		"ip[6:2] & 0x1fff != 0"; do
		# shellcheck disable=SC2086
		"$FEEDCAP_REPLAY" -w "$tmp/f.pcap" "$src" $expr
		# shellcheck disable=SC2086
		want=$(tcpdump -r "$src" -nn -tt --nano -xx $expr 2>/dev/null | md5sum | cut -d' ' -f1)
		[[ $src == "$in" && $expr == vlan* ]] || [[ $src == "$in" && $expr == ip* ]] ||
			[[ $want != d41d8cd98f00b204e9800998ecf8427e ]] || fail "'$expr' keeps nothing of $src"
		expect_eq "$(frames "$tmp/f.pcap")" "$want" "filter '$expr' on $(basename "$src")"
	done
done
# "--" ends the archive list: a filter word that happens to name a file still filters
touch udp
"$FEEDCAP_REPLAY" -w f2.pcap "$in" -- udp
rm udp
expect_eq "$(capinfos -T -r -c "$tmp/f2.pcap" | cut -f2)" 20000 "-- before the filter"

# Another link type keeps its link type (libpcap's dumper writes it).
editcap -F nsecpcap -T user0 "$in" "$tmp/user0.pcap"
"$FEEDCAP_REPLAY" -w "$tmp/u.pcap" "$tmp/user0.pcap"
cmp "$tmp/user0.pcap" "$tmp/u.pcap" || fail "a USER0 pcap did not come back byte for byte"
pass "filters and other link types"

# Bad usage exits 2.
for args in "" "-w $tmp/x.pcap" "-w $tmp/x.pcap -F bogus $in" "-w $tmp/x.pcap --from yesterday $in" \
	"-w $tmp/x.pcap $in udp prot 1" "--to-ring r -w $tmp/x.pcap $in"; do
	set +e
	# shellcheck disable=SC2086
	"$FEEDCAP_REPLAY" $args >/dev/null 2>"$tmp/err"
	rc=$?
	set -e
	expect_eq "$rc" 2 "exit code of feedcap-replay $args"
	[[ -s $tmp/err ]] || fail "no message for feedcap-replay $args"
done
"$FEEDCAP_REPLAY" --help | grep -q -- '--to-ring' || fail "--help does not describe --to-ring"
pass "usage errors"

# --help and the man page describe the same options.
need_env FEEDCAP_SRC
man_opts=$(grep -oE '\\-\\-[a-z]([a-z]|\\-)*' "$FEEDCAP_SRC/docs/man/feedcap-replay.1" | tr -d '\\' | sort -u)
help_opts=$("$FEEDCAP_REPLAY" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u)
diff <(echo "$man_opts") <(echo "$help_opts") || fail "--help and feedcap-replay.1 list different options"
pass "--help matches the man page"
