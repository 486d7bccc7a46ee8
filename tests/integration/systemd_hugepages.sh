#!/bin/bash
# feedcap-hugepages (run by feedcap-hugepages.service): raises the 2 MiB pool to COUNT, never
# lowers it, refuses bad arguments with exit 2, fails with a reason when the kernel reserves
# fewer pages than asked.  Driven against a fake sysfs (FEEDCAP_SYSFS), then against the real
# one with the current count (a no-op: the shared pool is never changed here).
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_SRC
script=$FEEDCAP_SRC/systemd/feedcap-hugepages.sh
make_tmpdir tmp hugepages
sys=$tmp/sys
nr=$sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
mkdir -p "$(dirname "$nr")"

echo 100 >"$nr"
out=$(FEEDCAP_SYSFS=$sys sh "$script" 50) || fail "50 with 100 reserved: exit $?: $out"
expect_eq "$(cat "$nr")" 100 "a smaller count leaves the pool alone"
out=$(FEEDCAP_SYSFS=$sys sh "$script" 300) || fail "300: exit $?: $out"
expect_eq "$(cat "$nr")" 300 "the pool is raised"
[[ $out == *"raised 2 MiB hugepages from 100 to 300"* ]] || fail "no report of the raise: $out"

for bad in "" abc -5 12x; do
	rc=0
	FEEDCAP_SYSFS=$sys sh "$script" $bad >/dev/null 2>"$tmp/err" || rc=$?
	expect_eq "$rc" 2 "exit code for COUNT '$bad'"
	grep -q usage "$tmp/err" || fail "no usage message for '$bad'"
done

# nr_hugepages that does not read back a number (here /dev/null): refused, not "raised".
rm -f "$nr"
ln -s /dev/null "$nr"
rc=0
out=$(FEEDCAP_SYSFS=$sys sh "$script" 10 2>&1) || rc=$?
expect_eq "$rc" 1 "exit code when the count cannot be read"
[[ $out == *"cannot read a count"* ]] || fail "no reason given: $out"

rm -rf "$sys"
mkdir -p "$sys"
rc=0
FEEDCAP_SYSFS=$sys sh "$script" 10 >/dev/null 2>"$tmp/err" || rc=$?
expect_eq "$rc" 1 "exit code without hugepage support"
grep -q "no 2 MiB hugepage support" "$tmp/err" || fail "no reason given: $(cat "$tmp/err")"

real=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
if [[ -r $real ]]; then
	before=$(cat "$real")
	out=$(sh "$script" "$before") || fail "real sysfs, current count $before: $out"
	expect_eq "$(cat "$real")" "$before" "the real pool is unchanged"
fi
pass "feedcap-hugepages"
