#!/bin/bash
# capture_privileges: what feedcap-capture may do once it runs (issue 9, Privileges).
#  1. A ring in a directory other users can write (o+w: 0777, 1777 with the sticky bit, 0773)
#     is refused: exit 2, a message naming the directory, its mode and the fix, and no ring file
#     made.  0750 and 0770 directories are accepted.  A ring name with shm backing (or auto's
#     fallback) lives in /dev/shm/feedcap: accepted when that is 0750, refused when it is o+w.
#  2. After start-up EVERY thread of the process (main/control, the EAL's interrupt and
#     telemetry threads, the poller) holds the capabilities docs/operations.md lists (none):
#     CapEff, CapPrm, CapInh, CapAmb and CapBnd are 0 and NoNewPrivs is 1, read from
#     /proc/PID/task/*/status; and the capture still works: every frame of a net_pcap input
#     arrives in the ring byte for byte, and SIGTERM exits 0 after sending the IGMP leaves
#     through the DPDK TX queue (tshark reads them from net_pcap's tx_pcap).
source "$FEEDCAP_TESTLIB/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/capture_common.sh"
need_tools tshark capinfos

make_tmpdir tmp cappriv
run=(--ring-size 4M --ring-backing file --vdev net_null0 --lcores 0,1 --duration 1)

# 1. Ring directories.
for mode in 0777 1777 0773; do
	d=$tmp/ww$mode
	mkdir "$d"
	chmod "$mode" "$d"
	rc=0
	timeout 60 "$FEEDCAP_CAPTURE" --ring "$d/r" "${run[@]}" -- $(cap_eal "w$mode") \
		>/dev/null 2>"$tmp/err" || rc=$?
	expect_eq "$rc" 2 "exit status for a ring in a directory of mode $mode"
	grep -qF "ring directory $d has mode $mode" "$tmp/err" ||
		fail "mode $mode: the message does not name $d and its mode: $(cat "$tmp/err")"
	grep -qF "install -d -m 0750" "$tmp/err" || fail "mode $mode: the message gives no fix"
	[[ ! -e $d/r ]] || fail "mode $mode: the ring file was made anyway"
done
for mode in 0750 0770; do
	d=$tmp/ok$mode
	mkdir "$d"
	chmod "$mode" "$d"
	timeout 60 "$FEEDCAP_CAPTURE" --ring "$d/r" "${run[@]}" -- $(cap_eal "o$mode") \
		>"$tmp/ok.log" 2>&1 || { cat "$tmp/ok.log" >&2; fail "ring in a $mode directory refused"; }
	[[ -s $d/r ]] || fail "no ring file in the $mode directory"
done
# A name with --ring-backing shm (or auto falling back: 1 MiB does not fit 2 MiB hugepages)
# lands in /dev/shm/feedcap/NAME, never in /dev/shm (1777) itself.  ringshm makes the directory
# 0750 when it is missing; a 0750 one is accepted; one someone made o+w is refused (exit 2, the
# message names it) before anything is made there.  The
# directory's mode is put back (or it is removed, if this test made it and it is empty).
shmdir=/dev/shm/feedcap
name=cappriv$$
install -d -m 0755 "$tmp/names"
if [[ -d $shmdir ]]; then
	at_exit chmod "$(stat -c %a "$shmdir")" "$shmdir"
else
	at_exit rmdir --ignore-fail-on-non-empty "$shmdir"
fi
at_exit rm -f "$shmdir/$name" "$shmdir/$name.readers"
shm_capture() { # BACKING TAG: exit status in rc, stderr in $tmp/err
	rc=0
	FEEDCAP_RING_DIR=$tmp/names timeout 60 "$FEEDCAP_CAPTURE" --ring "$name" --ring-size 1M \
		--ring-backing "$1" --vdev net_null0 --lcores 0,1 --duration 1 -- $(cap_eal "$2") \
		>/dev/null 2>"$tmp/err" || rc=$?
}
[[ -d $shmdir ]] && chmod 0750 "$shmdir"
for b in shm auto; do
	shm_capture "$b" "a$b"
	[[ $rc == 0 ]] || fail "backing $b: a ring name on a 0750 $shmdir refused ($rc): $(cat "$tmp/err")"
	expect_eq "$(stat -c %a "$shmdir")" 750 "mode of $shmdir"
	[[ -s $shmdir/$name ]] || fail "backing $b: no ring file $shmdir/$name"
	expect_eq "$(readlink "$tmp/names/$name")" "$shmdir/$name" "backing $b: the name's link"
	rm -f "$shmdir/$name" "$shmdir/$name.readers" "$tmp/names/$name"
done
chmod 0757 "$shmdir"
for b in shm auto; do
	shm_capture "$b" "n$b"
	expect_eq "$rc" 2 "exit status for a ring name on an o+w $shmdir (backing $b)"
	grep -qF "ring directory $shmdir has mode 0757" "$tmp/err" ||
		fail "backing $b: the message does not name $shmdir: $(cat "$tmp/err")"
	[[ ! -e $shmdir/$name && ! -e $shmdir/$name.readers ]] ||
		fail "backing $b: a ring file was left in $shmdir"
	[[ ! -L $tmp/names/$name ]] || fail "backing $b: the name's link was left behind"
done
chmod 0750 "$shmdir"
echo "ok: rings in o+w directories refused (exit 2), 0750 and 0770 accepted, $shmdir too"

# 2. Capabilities of every thread, with a capture that works.
input=$tmp/in.pcap
cp "$FEEDCAP_TESTDATA/oddframes.pcap" "$input"
total=$(capinfos -c -M -T "$input" | awk -F'\t' 'NR==2 {print $2}')
cap_ring ring priv
cap_start cap "$tmp/cap.log" --ring "$ring" --ring-size 64M -v \
	--vdev "net_pcap0,rx_pcap=$input,tx_pcap=$tmp/tx.pcap" --group 239.1.1.1 \
	--group 239.1.1.2 --igmp-version 2 -- $(cap_eal p)
for ((i = 0; i < 100; i++)); do
	[[ $(cap_counter "$ring" frames) == "$total" ]] && break
	sleep 0.1
done
threads=0
for t in /proc/"$cap"/task/*; do
	comm=$(cat "$t/comm")
	st=$(awk '/^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):/ {printf "%s%s ", $1, $2}' "$t/status")
	log "thread $comm: $st"
	expect_eq "$st" "CapInh:0000000000000000 CapPrm:0000000000000000 CapEff:0000000000000000 CapBnd:0000000000000000 CapAmb:0000000000000000 NoNewPrivs:1 " \
		"privileges of thread $comm"
	threads=$((threads + 1))
done
# The main thread, the EAL interrupt thread, the poller lcore at least (telemetry when built).
((threads >= 3)) || fail "only $threads threads seen"
grep -q "capabilities dropped in $threads thread(s)" "$tmp/cap.log" ||
	fail "the log does not say the capabilities were dropped in $threads threads"
expect_eq "$(cap_counter "$ring" frames)" "$total" "frames captured after the drop"
cap_stop "$cap"
"$CAPTOOL" cmp "$ring" "$input" | tail -1 >"$tmp/cmp.txt"
grep -q "compared $total frames, 0 mismatches" "$tmp/cmp.txt" || fail "ring differs: $(cat "$tmp/cmp.txt")"
leaves=$(tshark -n -r "$tmp/tx.pcap" -Y 'igmp.type == 0x17' -T fields -e igmp.maddr | sort -u | tr '\n' ' ')
expect_eq "$leaves" "239.1.1.1 239.1.1.2 " "IGMPv2 leaves sent through DPDK TX at SIGTERM"
# 3. Started as the systemd unit starts it: group feedcap, a bounding set of the unit's four
#    capabilities and no CAP_SETPCAP.  The bounding set cannot shrink then (best effort), but the
#    effective and permitted sets of every thread still end empty and no_new_privs is set.
need_tools setpriv
cap_ring ring2 unit
CAP_PREFIX=(setpriv --regid feedcap --clear-groups
	--bounding-set -all,+ipc_lock,+net_raw,+net_admin,+sys_rawio --inh-caps=-all --)
cap_start cap2 "$tmp/unit.log" --ring "$ring2" --ring-size 16M -v --vdev net_null0 -- $(cap_eal u)
for t in /proc/"$cap2"/task/*; do
	st=$(awk '/^(CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):/ {printf "%s%s ", $1, $2}' "$t/status")
	expect_eq "$st" "CapPrm:0000000000000000 CapEff:0000000000000000 CapBnd:0000000000027000 CapAmb:0000000000000000 NoNewPrivs:1 " \
		"privileges of thread $(cat "$t/comm") started as the unit starts it"
done
cap_stop "$cap2"
pass "every thread ($threads) runs without capabilities; $total frames captured; leaves sent"
