#!/bin/bash
# feedcap-dump keeps exactly the frames `tcpdump -r input.pcap EXPR` keeps, for a set of
# expressions; a bad expression exits 2 with libpcap's message naming it.
source "$(dirname "$0")/dump_lib.sh"

"$FCR_RINGFILL" gen -o "$T/in.pcap" -n 20000 --seed 7
"$FCR_RINGFILL" fill -r "$RING" -i "$T/in.pcap" --capacity $((32 << 20)) >/dev/null

exprs=(
	"udp"
	"tcp"
	"arp"
	"ip6"
	"vlan"
	"icmp"
	"udp and dst port 30001"
	"dst host 239.1.1.2 or dst host 239.1.1.3"
	"ip multicast and udp[8:4] = 0x53455353"
	"greater 300"
	"less 100"
	"ip[6:2] & 0x1fff != 0"
	"vlan 101 and udp"
	"tcp[tcpflags] & tcp-syn != 0"
	"not udp"
	"ether multicast and not ip6"
	"net 10.0.0.0/24 and not port 443"
	"portrange 30001-30002 and src host 10.0.0.2"
)
total=$(tcpdump -r "$T/in.pcap" 2>/dev/null | wc -l)
nonempty=0
for e in "${exprs[@]}"; do
	# shellcheck disable=SC2086 # the filter is trailing words, exactly as for tcpdump
	"$FEEDCAP_DUMP" --ring "$RING" --from oldest --no-follow -w "$T/got.pcap" $e 2>"$T/log" ||
		fail "feedcap-dump failed on '$e': $(cat "$T/log")"
	# shellcheck disable=SC2086
	tcpdump --time-stamp-precision=nano -r "$T/in.pcap" -w "$T/want.pcap" $e 2>/dev/null
	frames_of "$T/want.pcap" >"$T/want.txt"
	frames_of "$T/got.pcap" >"$T/got.txt"
	n=$(grep -c '^[0-9]' "$T/want.txt" || true)
	if ! cmp -s "$T/want.txt" "$T/got.txt"; then
		diff "$T/want.txt" "$T/got.txt" | head -20 >&2 || true
		fail "'$e': feedcap-dump kept $(grep -c '^[0-9]' "$T/got.txt") frames, tcpdump $n"
	fi
	[[ $(stat_of "$T/log" "written") == "$n" ]] || fail "'$e': statistics say $(stat_of "$T/log" written) written, file has $n"
	[[ $(stat_of "$T/log" "filtered out") == "$((total - n))" ]] ||
		fail "'$e': statistics say $(stat_of "$T/log" 'filtered out') filtered out, expected $((total - n))"
	echo "ok: '$e': $n of $total frames, same as tcpdump"
	if ((n > 0 && n < total)); then
		nonempty=$((nonempty + 1))
	fi
done
# Guard against a generator that makes every expression trivially agree (all or nothing).
((nonempty >= ${#exprs[@]} - 1)) || fail "only $nonempty expressions selected a proper subset"

# A bad expression: exit 2, libpcap's reason, the expression named.
set +e
"$FEEDCAP_DUMP" --ring "$RING" --no-follow -w "$T/bad.pcap" udp prot 1 2>"$T/log"
rc=$?
set -e
[[ $rc == 2 ]] || fail "bad filter exited $rc, not 2"
grep -q "'udp prot 1'" "$T/log" || fail "message does not name the expression: $(cat "$T/log")"
grep -q "syntax error" "$T/log" || fail "message lacks libpcap's reason: $(cat "$T/log")"
[[ ! -e "$T/bad.pcap" && ! -e "$T/bad.pcap.part" ]] || fail "a bad filter left a file behind"
echo "ok: bad filter: exit 2: $(cat "$T/log")"
