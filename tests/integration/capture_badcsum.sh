#!/bin/bash
# capture_badcsum: frames with a bad IPv4 header checksum, a bad UDP checksum or both are odd
# but legal on the wire (a switch forwards them): feedcap-capture keeps them as they came,
# byte for byte, checksums still wrong.  feedcap-gendata --odd-kinds badcsum makes them (not in
# the bundled captures, whose bytes stay as they are); tshark with checksum validation on is
# the oracle, on the input and on what the ring holds.
source "$FEEDCAP_TESTLIB/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/capture_common.sh"
need_env FEEDCAP_GENDATA
need_tools tshark tcpdump capinfos cmp

make_tmpdir tmp capbc
input=$tmp/badcsum.pcap
"$FEEDCAP_GENDATA" -w "$input" --seed 21 --count 1500 --odd 0.4 --odd-kinds badcsum,vlan,runt
total=$(capinfos -c -M -T "$input" | awk -F'\t' 'NR==2 {print $2}')

# bad_counts PCAP: "IP_BAD UDP_BAD BOTH_BAD UDP_GOOD" by tshark's checksum validation.
bad_counts() {
	local f
	f=$(tshark -r "$1" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
		-o ip.defragment:FALSE -T fields -e ip.checksum.status -e udp.checksum.status \
		-E separator=, 2>/dev/null)
	printf '%s %s %s %s\n' \
		"$(grep -c '^0,' <<<"$f")" "$(grep -c ',0$' <<<"$f")" \
		"$(grep -c '^0,0$' <<<"$f")" "$(grep -c ',1$' <<<"$f")"
}
read -r ip_bad udp_bad both_bad udp_good < <(bad_counts "$input")
log "input: $total frames; bad IPv4 header checksum $ip_bad, bad UDP checksum $udp_bad," \
	"both $both_bad; good UDP checksum $udp_good"
# The oracle must see each kind of damage, and good checksums as good (it can say both).
((ip_bad - both_bad >= 50 && udp_bad - both_bad >= 50 && both_bad >= 50)) ||
	fail "the input lacks bad checksums of every kind ($ip_bad $udp_bad $both_bad)"
((udp_good >= 500)) || fail "tshark validated only $udp_good good UDP checksums"

cap_ring ring bc
"$FEEDCAP_CAPTURE" --ring "$ring" --ring-size 64M --vdev "net_pcap0,rx_pcap=$input" \
	--count "$total" --duration 60 -- $(cap_eal a) >"$tmp/a.log" 2>&1 ||
	{ cat "$tmp/a.log" >&2; fail "feedcap-capture failed"; }
grep -q "captured $total frames" "$tmp/a.log" || { cat "$tmp/a.log" >&2; fail "not all frames captured"; }
"$CAPTOOL" cmp "$ring" "$input" | tee "$tmp/cmp.txt" | tail -1
grep -q "compared $total frames, 0 mismatches" "$tmp/cmp.txt" || fail "ring differs from the input"

# What the ring holds, as a pcap: the same frame bytes (tcpdump's hex of every frame), the same
# checksums wrong.
"$CAPTOOL" topcap "$ring" "$tmp/ring.pcap" >/dev/null
tcpdump -nn -t -xx -r "$input" 2>/dev/null >"$tmp/in.hex"
tcpdump -nn -t -xx -r "$tmp/ring.pcap" 2>/dev/null >"$tmp/out.hex"
[[ -s $tmp/in.hex ]] || fail "tcpdump printed nothing for the input"
cmp "$tmp/in.hex" "$tmp/out.hex" || fail "frame bytes in the ring differ from the input (tcpdump -xx)"
expect_eq "$(bad_counts "$tmp/ring.pcap")" "$ip_bad $udp_bad $both_bad $udp_good" \
	"bad IPv4 / bad UDP / both / good UDP checksums in the ring (tshark)"
pass "$total frames captured byte for byte; $((ip_bad - both_bad)) with a bad IPv4 header" \
	"checksum, $((udp_bad - both_bad)) with a bad UDP checksum, $both_bad with both: still bad"
