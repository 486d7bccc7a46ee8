#!/bin/bash
# A/B arbitration: with both lines of each feed declared (--feed NAME=A,B), a sequence number
# lost on one line only is not missing (it counts in lost_a_only / lost_b_only), and one lost
# on both lines is.  The generator's own log of what it dropped is the oracle.
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_STAT FEEDCAP_GENDATA
need_tools jq tshark

make_tmpdir tmp statab
"$FEEDCAP_GENDATA" -w "$tmp/ab.pcap" --seed 5 --count 16000 --groups 3 --ab --ab-loss 0.01 \
	--gaps 0.004 --gaps-log "$tmp/gaps.log"
[[ $(grep -c '^AB ' "$tmp/gaps.log") -gt 2 ]] || fail "the generator dropped nothing on both lines"
[[ $(grep -c '^A ' "$tmp/gaps.log") -gt 2 ]] || fail "the generator dropped nothing on A only"

# Losses after a line's last delivered packet cannot be seen; leave them out of the oracle.
decode_as=(-d udp.port==30001,moldudp64 -d udp.port==30002,moldudp64 -d udp.port==30003,moldudp64)
tshark -r "$tmp/ab.pcap" "${decode_as[@]}" -Y moldudp64 -T fields -E separator=' ' \
	-e ip.dst -e udp.dstport -e moldudp64.sequence 2>/dev/null |
	awk '{ k = $1 ":" $2; if ($3 > m[k]) m[k] = $3 } END { for (k in m) print k, m[k] }' \
		>"$tmp/last"

feeds=()
for n in 1 2 3; do
	feeds+=(--feed "f$n=239.1.1.$n:3000$n,239.1.2.$n:3000$n")
done
"$FEEDCAP_STAT" -r "$tmp/ab.pcap" --gaps moldudp64 "${feeds[@]}" --json | tail -n 1 >"$tmp/sum.json"

for n in 1 2 3; do
	a="239.1.1.$n:3000$n"
	b="239.1.2.$n:3000$n"
	lastA=$(awk -v k="$a" '$1 == k { print $2 }' "$tmp/last")
	lastB=$(awk -v k="$b" '$1 == k { print $2 }' "$tmp/last")
	both=$(awk -v g="$a" -v la="$lastA" -v lb="$lastB" \
		'$1 == "AB" && $2 == g && ($4 < la || $4 < lb) { n += $5 } END { print n + 0 }' "$tmp/gaps.log")
	aonly=$(awk -v g="$a" -v la="$lastA" '$1 == "A" && $2 == g && $4 < la { n += $5 } END { print n + 0 }' "$tmp/gaps.log")
	bonly=$(awk -v g="$b" -v lb="$lastB" '$1 == "B" && $2 == g && $4 < lb { n += $5 } END { print n + 0 }' "$tmp/gaps.log")
	f=$(jq -c ".feeds[] | select(.name == \"f$n\")" "$tmp/sum.json")
	expect_eq "$(jq .missing <<<"$f")" "$both" "f$n missing (lost on both lines)"
	expect_eq "$(jq .lost_a_only <<<"$f")" "$aonly" "f$n lost_a_only"
	expect_eq "$(jq .lost_b_only <<<"$f")" "$bonly" "f$n lost_b_only"
	# each line on its own does see its one-line losses
	expect_eq "$(jq ".groups[] | select(.dst == \"$a\") | .missing" "$tmp/sum.json")" \
		"$((both + aonly))" "$a missing on its own"
done
expect_eq "$(jq .losses.sequence_missing "$tmp/sum.json")" "$(jq '[.feeds[].missing] | add' "$tmp/sum.json")" \
	"sequence_missing counts A/B feeds once"
pass "A/B arbitration: one-line losses are not missing, both-line losses are"

# A port-less group spec works too, and the text table lists the feeds.
"$FEEDCAP_STAT" -r "$tmp/ab.pcap" --gaps moldudp64 --feed x=239.1.1.1,239.1.2.1 >"$tmp/text"
grep -q '^x ' "$tmp/text" || fail "text output lacks the feed line"
pass "feed with address-only groups"
