#!/bin/bash
# capture_port_defaults: what feedcap-capture asks of a port by default and when asked (issue
# 16, item 5), read back from the simulated NIC's own view (net_fcsim conf_out=: the MTU,
# offloads, descriptors and flow control the driver was given).
#
# Defaults: the port's own MTU (1500) and no scatter, even though the NIC offers scatter; the
# PMD's maximum of RX descriptors up to 4096; flow control off on a NIC that comes up with
# PAUSE on; the timestamp offload on only while NIC times are used (off with --timestamp tsc,
# off when the NIC clock cannot be read).  Frames over the MTU never reach the ring (tshark
# counts which ones the input has).  --mtu 9000: MTU 9000 with scatter, and every frame of a
# jumbo-laden input arrives whole, byte for byte (capture-testtool cmp, libpcap reading the
# input); on a NIC without scatter it is refused, naming the option (exit 2).
# --flow-control full and --rx-desc are passed through.
source "$FEEDCAP_TESTLIB/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/capture_common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/simnic_common.sh"
need_tools tshark capinfos

make_tmpdir tmp capdef
input=$FEEDCAP_TESTDATA/oddframes.pcap
total=$(capinfos -c -M -T "$input" | awk -F'\t' 'NR==2 {print $2}')
# Frames an MTU of 1500 admits: 14 bytes of Ethernet header and up to two VLAN tags.
small=$(tshark -r "$input" -Y 'frame.len <= 1522' -T fields -e frame.number 2>/dev/null | wc -l)
((small < total)) || fail "the input has no frame over 1522 bytes"

# conf KEY FILE: one value of the driver's conf_out file.
conf() { sed -n "s/^$1=//p" "$2"; }

# run TAG EXPECT_RC ARGS...: feedcap-capture on net_fcsim0 (rx_pcap=$input plus $DEV), its
# conf_out in $tmp/TAG.conf, its log in $tmp/TAG.log.
DEV=
RING=
run() {
	local tag=$1 want=$2 rc=0 ring
	shift 2
	# Hugepages are shared: the previous run's ring goes first, one test ring at a time.
	[[ -z $RING ]] || rm -f "$RING" "$RING".*
	cap_ring ring "$tag"
	"$FEEDCAP_CAPTURE" -v --ring "$ring" --ring-size 16M \
		--vdev "net_fcsim0,rx_pcap=$input,mtu_drop=1,conf_out=$tmp/$tag.conf$DEV" "$@" \
		-- -d "$FEEDCAP_SIMNIC_PMD" $(cap_eal "$tag") >"$tmp/$tag.log" 2>&1 || rc=$?
	[[ $rc == "$want" ]] || { cat "$tmp/$tag.log" >&2; fail "$tag: exit status $rc, expected $want"; }
	RING=$ring
}

# 1. Defaults (NIC: scatter offered, flow control full at power-up, 32768 descriptors max).
run def 0 --duration 3
expect_eq "$(conf mtu "$tmp/def.conf")" 1500 "default MTU (the port's own)"
expect_eq "$(conf scatter "$tmp/def.conf")" 0 "scatter by default"
expect_eq "$(conf rx_desc "$tmp/def.conf")" 4096 "RX descriptors by default (PMD max 32768, capped)"
expect_eq "$(conf flow_control "$tmp/def.conf")" none "flow control by default (NIC came up with full)"
expect_eq "$(conf timestamp "$tmp/def.conf")" 1 "timestamp offload while NIC times are used"
grep -q "4096 descriptors, MTU 1500, flow control off, timestamps nic-clock (offload on)" "$tmp/def.log" ||
	fail "the port line does not say what was set: $(grep 'port 0' "$tmp/def.log")"
expect_eq "$(cap_counter "$RING" frames)" "$small" "frames in the ring: those an MTU of 1500 admits (tshark)"

# 2. --timestamp tsc: the offload is not even enabled.
run tsc 0 --duration 2 --timestamp tsc
expect_eq "$(conf timestamp "$tmp/tsc.conf")" 0 "timestamp offload with --timestamp tsc"
# A clock that cannot be read would leave NIC times unusable: no offload then either
# (clock=host makes read_clock work, so use a PMD-less way: ts=0 offers no offload at all).
DEV=,ts=0
run nots 0 --duration 2
expect_eq "$(conf timestamp "$tmp/nots.conf")" 0 "timestamp offload on a NIC that offers none"
DEV=

# 3. --mtu 9000: MTU and scatter, every frame whole.
run jumbo 0 --mtu 9000 --count "$total" --duration 60
expect_eq "$(conf mtu "$tmp/jumbo.conf")" 9000 "MTU with --mtu 9000"
expect_eq "$(conf scatter "$tmp/jumbo.conf")" 1 "scatter with --mtu 9000 (frames over an mbuf)"
grep -q "captured $total frames" "$tmp/jumbo.log" || fail "not every frame captured: $(tail -2 "$tmp/jumbo.log")"
"$CAPTOOL" cmp "$RING" "$input" --any-ts | tee "$tmp/cmp.txt" | tail -1
grep -q "compared $total frames, 0 mismatches" "$tmp/cmp.txt" || fail "jumbo frames differ from the input"
# An MTU that fits in one mbuf needs no scatter.
run m1800 0 --mtu 1800 --duration 2
expect_eq "$(conf mtu "$tmp/m1800.conf")/$(conf scatter "$tmp/m1800.conf")" 1800/0 "MTU/scatter with --mtu 1800"

# 4. --mtu 9000 on a NIC that cannot scatter: refused, naming the option (exit 2).
DEV=,scatter=0
run noscat 2 --mtu 9000 --duration 2
grep -q "mtu 9000: frames of up to 9026 bytes do not fit in one 2048-byte mbuf and port net_fcsim0 (net_fcsim) cannot scatter" "$tmp/noscat.log" ||
	fail "unclear refusal: $(grep -i mtu "$tmp/noscat.log")"
[[ ! -e $RING ]] || fail "the refused start left its ring behind"
DEV=

# 5. --flow-control full and --rx-desc 512 reach the NIC; the CLI's bad values are usage errors.
DEV=,fc=none
run fc 0 --flow-control full --rx-desc 512 --duration 2
expect_eq "$(conf flow_control "$tmp/fc.conf")" full "flow control with --flow-control full"
expect_eq "$(conf rx_desc "$tmp/fc.conf")" 512 "RX descriptors with --rx-desc 512"
DEV=
rc=0
"$FEEDCAP_CAPTURE" --flow-control pause >"$tmp/bad.log" 2>&1 || rc=$?
expect_eq "$rc" 2 "exit status of --flow-control pause"
grep -q -- '--flow-control: "pause" is not off, rx, tx or full' "$tmp/bad.log" || fail "$(cat "$tmp/bad.log")"
rc=0
"$FEEDCAP_CAPTURE" --mtu 20000 >"$tmp/bad2.log" 2>&1 || rc=$?
expect_eq "$rc" 2 "exit status of --mtu 20000"
pass "MTU, scatter, descriptors, flow control and timestamp offload as asked, and no more"
