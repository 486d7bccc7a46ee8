#!/bin/bash
# feedcap-replay --arbitrate: the A and B lines of each feed into one stream holding each
# sequence number once, at its first arrival; what neither line delivered is counted.  tshark
# (its MoldUDP64 dissector) reads the input and the output: the oracle shares no code with
# feedcap, and the generator's own log of what it dropped on both lines checks the count.
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_REPLAY FEEDCAP_GENDATA
need_tools jq python3 tshark

make_tmpdir tmp replayarb
"$FEEDCAP_GENDATA" -w "$tmp/ab.pcap" --seed 5 --count 16000 --groups 3 --ab --ab-loss 0.02 \
	--gaps 0.004 --odd 0.01 --gaps-log "$tmp/gaps.log"
feeds=()
for n in 1 2 3; do
	feeds+=(--arbitrate "f$n=239.1.1.$n:3000$n,239.1.2.$n:3000$n")
done
"$FEEDCAP_REPLAY" -w "$tmp/arb.pcap" "${feeds[@]}" --gaps moldudp64 "$tmp/ab.pcap" 2>"$tmp/err"

decode_as=(-d udp.port==30001,moldudp64 -d udp.port==30002,moldudp64 -d udp.port==30003,moldudp64)
numbers() { # pcap -> "feed seq time" for every message number of every MoldUDP64 data packet
	tshark -r "$1" "${decode_as[@]}" -Y 'moldudp64.count > 0 && moldudp64.count < 65535' \
		-T fields -E separator=' ' -e frame.time_epoch -e ip.dst -e moldudp64.sequence \
		-e moldudp64.count 2>/dev/null |
		awk '{ split($2, a, "."); for (i = 0; i < $4; i++) print "f" a[4], $3 + i, $1 }'
}
numbers "$tmp/ab.pcap" | sort -k1,1 -k2,2n -k3,3 | awk '!seen[$1 " " $2]++' >"$tmp/first"
numbers "$tmp/arb.pcap" | sort -k1,1 -k2,2n >"$tmp/out"
expect_eq "$(cut -d' ' -f1,2 "$tmp/out" | uniq -d | wc -l)" 0 "numbers written twice"
diff -q <(cut -d' ' -f1,2 "$tmp/first") <(cut -d' ' -f1,2 "$tmp/out") >/dev/null ||
	fail "the output does not hold every number either line delivered"
cmp -s "$tmp/first" "$tmp/out" || fail "a number was not written at its first arrival"
pass "each number once, at its first arrival on either line"

# Frames without a number pass: every frame that is not a MoldUDP64 data packet of a feed.
others() {
	tshark -r "$1" "${decode_as[@]}" -Y 'not (moldudp64.count > 0 && moldudp64.count < 65535)' \
		2>/dev/null | wc -l
}
expect_eq "$(others "$tmp/arb.pcap")" "$(others "$tmp/ab.pcap")" "frames without a number, passed"
# Time order kept.
tshark -r "$tmp/arb.pcap" -T fields -e frame.time_epoch 2>/dev/null | sort -c -n ||
	fail "the output is not in time order"

# What neither line delivered: the generator's both-line drops, those a later packet reveals.
tshark -r "$tmp/ab.pcap" "${decode_as[@]}" -Y moldudp64 -T fields -E separator=' ' \
	-e ip.dst -e moldudp64.sequence 2>/dev/null |
	awk '{ split($1, a, "."); k = "f" a[4]; if ($2 > m[k]) m[k] = $2 } END { for (k in m) print k, m[k] }' \
		>"$tmp/last"
for n in 1 2 3; do
	want=$(awk -v g="239.1.1.$n:3000$n" -v l="$(awk -v k="f$n" '$1 == k { print $2 }' "$tmp/last")" \
		'$1 == "AB" && $2 == g && $4 < l { s += $5 } END { print s + 0 }' "$tmp/gaps.log")
	got=$(sed -n "s/.*--arbitrate f$n: .* \([0-9]*\) numbers delivered by neither line.*/\1/p" "$tmp/err")
	expect_eq "$got" "$want" "f$n: numbers neither line delivered"
done
pass "frames without a number pass, time order, what neither line delivered"

# Usage.
set +e
"$FEEDCAP_REPLAY" -w "$tmp/x.pcap" --arbitrate f=239.1.1.1,239.1.2.1 "$tmp/ab.pcap" 2>/dev/null
expect_eq $? 2 "--arbitrate without --gaps"
"$FEEDCAP_REPLAY" -w "$tmp/x.pcap" --arbitrate f=239.1.1.1 --gaps moldudp64 "$tmp/ab.pcap" 2>/dev/null
expect_eq $? 2 "--arbitrate without a B line"
"$FEEDCAP_REPLAY" -w "$tmp/x.pcap" --gaps moldudp64 "$tmp/ab.pcap" 2>/dev/null
expect_eq $? 2 "--gaps without --arbitrate"
set -e
pass "usage errors"
