#!/bin/bash
# tests/lib/hugepages.sh and scripts/lib/hugepages.sh: raise only when needed, restore to the
# earlier count at exit, never below what is in use.  The arithmetic is checked on a fake
# sysfs directory (every case, including the refusals); the round trip on the real one.
source "$FEEDCAP_TESTLIB/common.sh"
source "$FEEDCAP_TESTLIB/hugepages.sh"
need_root
[[ -w /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages ]] ||
	skip "no writable 2 MiB hugepage count here"
make_tmpdir tmp hugepages

# 1. The rules, on a fake sysfs directory (writing nr_hugepages there changes nothing else).
fake() { # TOTAL FREE RESV
	mkdir -p "$tmp/sys"
	echo "$1" >"$tmp/sys/nr_hugepages"
	echo "$2" >"$tmp/sys/free_hugepages"
	echo "$3" >"$tmp/sys/resv_hugepages"
}
(
	HUGEPAGES_SYSFS=$tmp/sys
	fake 100 30 5
	expect_eq "$(hugepages_available)" 25 "available = free - reserved"
	expect_eq "$(hugepages_in_use)" 75 "in use = total - free + reserved"
	hugepages_reserve 20
	expect_eq "$(hugepages_total)/$HUGEPAGES_PREV/$HUGEPAGES_RAISED" 100/100/0 \
		"enough available: nothing raised"
	if hugepages_reserve 40 2>"$tmp/err"; then
		fail "reserve succeeded although the (fake) kernel gave no pages"
	fi
	expect_eq "$(hugepages_total)" 115 "raised by exactly what was missing (40 - 25)"
	[[ $(cat "$tmp/err") == *"40 needed"* ]] || fail "refusal does not say what is needed"
	expect_eq "$HUGEPAGES_SET" 115 "the count set is recorded"
	fake 115 40 0
	hugepages_restore 100 115
	expect_eq "$(hugepages_total)" 100 "restored to the earlier count"
	fake 115 5 0
	hugepages_restore 100 115
	expect_eq "$(hugepages_total)" 110 "restore stops at what is in use (115 - 5)"
	fake 90 90 0
	hugepages_restore 100 90
	expect_eq "$(hugepages_total)" 90 "restore never raises"
	fake 130 100 0
	hugepages_restore 100 115 2>"$tmp/err"
	expect_eq "$(hugepages_total)" 130 "someone else changed the count since: left alone"
	[[ $(cat "$tmp/err") == *"someone else"* ]] || fail "no note about leaving the count"
	fake 130 100 0
	hugepages_restore 100 ""
	expect_eq "$(hugepages_total)" 130 "nothing raised: restore does nothing"
)
pass "reserve/restore rules"

# 2. The real thing: a child asks for 4 more pages than are available, then exits; the count
# goes up by 4 and comes back.  The machine is shared: when another process takes pages or
# changes the count meanwhile, the round is repeated (three tries).
for try in 1 2 3; do
	prev=$(hugepages_total)
	want=$(($(hugepages_available) + 4))
	set +e
	bash -c 'source "$FEEDCAP_TESTLIB/common.sh"; source "$FEEDCAP_TESTLIB/hugepages.sh"
		hugepages_need "$1"
		(($(hugepages_available) >= $1)) || fail "only $(hugepages_available) available"
		echo "$(hugepages_total)" >"$2"' child "$want" "$tmp/raised"
	rc=$?
	set -e
	((rc == 0 || rc == 77)) || fail "the child failed ($rc)"
	raised=$(cat "$tmp/raised" 2>/dev/null || echo 0)
	after=$(hugepages_total)
	if ((rc == 0 && raised >= prev + 4 && after == prev)); then
		break
	fi
	log "try $try: prev $prev, in the child $raised, after $after (exit $rc): concurrent change, again"
	((try < 3)) || fail "nr_hugepages was not raised by 4 and restored in three tries"
	rm -f "$tmp/raised"
done
expect_eq "$after" "$prev" "nr_hugepages after the child exited"
awk '$2 == "/dev/hugepages" && $3 == "hugetlbfs" { f = 1 } END { exit !f }' /proc/mounts ||
	fail "no hugetlbfs at /dev/hugepages"
pass "raise and restore on the real sysfs ($prev -> $raised -> $(hugepages_total))"

# 3. scripts/hugepages: state file round trip without a change when enough is available.
"$FEEDCAP_SRC/scripts/hugepages" reserve 1 "$tmp/state" >/dev/null
expect_eq "$(cat "$tmp/state")" "$prev -" "state file: the earlier count, nothing set"
"$FEEDCAP_SRC/scripts/hugepages" restore "$tmp/state" >/dev/null
[[ ! -e $tmp/state ]] || fail "restore left the state file"
expect_eq "$(hugepages_total)" "$prev" "nr_hugepages after scripts/hugepages restore"
set +e
"$FEEDCAP_SRC/scripts/hugepages" reserve lots >/dev/null 2>&1
rc=$?
set -e
expect_eq "$rc" 2 "exit code of scripts/hugepages reserve lots"
