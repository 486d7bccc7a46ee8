#!/bin/bash
# feedcap-extcap with the real tshark: its answers follow Wireshark's extcap grammar
# (doc/extcap.pod: "extcap {version=..}", "interface {value=..}{display=..}",
# "dlt {number=..}{name=..}{display=..}", "arg {number=..}{call=..}{display=..}{type=..}..."),
# `tshark -D` lists the ring, and `tshark -i feedcap-RING -o extcap.feedcap_RING.from:oldest
# -c N -w out.pcapng` captures exactly the ring's first N frames; a capture filter (-f) keeps
# what tshark's own filter keeps of the same frames.
#
# tshark 4.0 searches only its global extcap folder, or $WIRESHARK_EXTCAP_DIR when it does not
# run with special privileges (root counts): tshark runs here as nobody in the feedcap group,
# which is also the point: a member of the feedcap group, nothing more, sees the ring.
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_EXTCAP FEEDCAP_DUMP FCR_RINGFILL
need_tools tshark setpriv tcpdump

make_tmpdir tmp extcap
chmod 755 "$tmp"
mkdir -p "$tmp/extcap" "$tmp/rings" "$tmp/out" "$tmp/home"
cp "$FEEDCAP_EXTCAP" "$tmp/extcap/feedcap-extcap"
chmod 755 "$tmp/extcap" "$tmp/rings" "$tmp/home"
chmod 777 "$tmp/out"
export FEEDCAP_RING_DIR=$tmp/rings FEEDCAP_DUMP

"$FCR_RINGFILL" gen -o "$tmp/in.pcap" -n 500 --seed 5
"$FCR_RINGFILL" fill -r "$tmp/rings/md" -i "$tmp/in.pcap" --capacity $((32 << 20)) --ports 2 >/dev/null
: >"$tmp/rings/not-a-ring"

as_user=()
if (($(id -u) == 0)); then
	gid=$(stat -c %g "$tmp/rings/md")
	as_user=(setpriv --reuid=65534 --regid="$gid" --clear-groups)
fi
ts() { HOME=$tmp/home WIRESHARK_EXTCAP_DIR=$tmp/extcap timeout 120 "${as_user[@]}" tshark "$@"; }
X=$tmp/extcap/feedcap-extcap

# ------------------------------------------------------------------ the protocol's grammar
"$X" --extcap-interfaces >"$tmp/ifs"
grep -Eq '^extcap \{version=[^}]+\}(\{help=[^}]+\})?$' "$tmp/ifs" || fail "no extcap line: $(cat "$tmp/ifs")"
grep -Eq '^interface \{value=feedcap-md\}\{display=[^}]+\}$' "$tmp/ifs" || fail "ring md not listed: $(cat "$tmp/ifs")"
! grep -q 'not-a-ring' "$tmp/ifs" || fail "a file that is not a ring is listed"
[[ $(grep -cv -E '^(extcap|interface) \{' "$tmp/ifs") == 0 ]] || fail "lines outside the grammar: $(cat "$tmp/ifs")"
"$X" --extcap-interface feedcap-md --extcap-dlts >"$tmp/dlts"
grep -Eq '^dlt \{number=1\}\{name=EN10MB\}\{display=Ethernet\}$' "$tmp/dlts" || fail "dlts: $(cat "$tmp/dlts")"
"$X" --extcap-interface feedcap-md --extcap-config >"$tmp/config"
grep -Eq '^arg \{number=0\}\{call=--from\}\{display=[^}]+\}\{type=string\}\{default=newest\}' "$tmp/config" ||
	fail "no from argument: $(cat "$tmp/config")"
grep -Eq '^arg \{number=1\}\{call=--filter\}\{display=[^}]+\}\{type=string\}' "$tmp/config" ||
	fail "no filter argument: $(cat "$tmp/config")"
[[ $(grep -cv -E '^arg \{number=[0-9]+\}\{call=--[a-z-]+\}(\{[a-z]+=[^}]*\})+$' "$tmp/config") == 0 ]] ||
	fail "config lines outside the grammar: $(cat "$tmp/config")"
"$X" --extcap-interface feedcap-md --extcap-capture-filter 'udp and' >"$tmp/bad" && fail "a bad capture filter is accepted"
[[ -s $tmp/bad ]] || fail "a bad capture filter is refused without a word"
"$X" --extcap-interface feedcap-md --extcap-capture-filter 'udp' || fail "a good capture filter is refused"
set +e
"$X" --extcap-interface eth0 --extcap-dlts 2>/dev/null
rc=$?
set -e
expect_eq "$rc" 2 "exit status for an interface not of this extcap"
echo "ok: --extcap-interfaces, --extcap-dlts, --extcap-config and filter checks follow the grammar"

# ------------------------------------------------------------------ with tshark
ts -D 2>/dev/null >"$tmp/D"
grep -q 'feedcap-md' "$tmp/D" || fail "tshark -D does not list the ring: $(cat "$tmp/D")"
ts -G currentprefs 2>/dev/null | grep -q 'extcap.feedcap_md.from' || fail "tshark does not offer the from option"
echo "ok: tshark -D lists feedcap-md, and its from option"

fields() { tshark -r "$@" -T fields -e frame.time_epoch -e frame.len -e frame.cap_len -e data.data -e udp.dstport 2>/dev/null; }
for n in 1 37 500; do
	rm -f "$tmp/out/c.pcapng"
	ts -i feedcap-md -o extcap.feedcap_md.from:oldest -c $n -w "$tmp/out/c.pcapng" >/dev/null 2>&1 ||
		fail "tshark -i feedcap-md -c $n failed"
	fields "$tmp/out/c.pcapng" >"$tmp/got"
	fields "$tmp/in.pcap" -c $n >"$tmp/want"
	expect_eq "$(wc -l <"$tmp/got")" "$n" "frames tshark captured with -c $n"
	cmp -s "$tmp/got" "$tmp/want" || fail "-c $n: not the ring's first $n frames: $(diff "$tmp/got" "$tmp/want" | head -5)"
done
echo "ok: tshark -c N from oldest captures exactly the ring's first N frames (1, 37, 500)"

rm -f "$tmp/out/f.pcapng"
ts -i feedcap-md -o extcap.feedcap_md.from:oldest -f 'udp dst port 30001' -c 20 -w "$tmp/out/f.pcapng" >/dev/null 2>&1 ||
	fail "tshark with a capture filter failed"
fields "$tmp/out/f.pcapng" >"$tmp/got"
tcpdump --time-stamp-precision=nano -r "$tmp/in.pcap" -c 20 -w "$tmp/want.pcap" 'udp dst port 30001' 2>/dev/null
fields "$tmp/want.pcap" >"$tmp/want"
expect_eq "$(wc -l <"$tmp/got")" 20 "frames captured with -f 'udp dst port 30001' -c 20"
cmp -s "$tmp/got" "$tmp/want" || fail "-f udp dst port 30001: $(diff "$tmp/got" "$tmp/want" | head -6)"
echo "ok: a capture filter keeps what tcpdump keeps with the same expression"
pass "feedcap-extcap: Wireshark sees the ring"
