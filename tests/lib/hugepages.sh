# shellcheck shell=bash
# hugepages.sh - a test asks for the hugepages it needs; the count is restored when it exits.
#
#   source "$FEEDCAP_TESTLIB/common.sh"
#   source "$FEEDCAP_TESTLIB/hugepages.sh"
#   hugepages_need 128      # 128 x 2 MiB available, raised only if needed, restored at exit
#
# The logic (raise only if needed, never lower below the earlier count or below what is in
# use) lives in scripts/lib/hugepages.sh, shared with scripts/hugepages.
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/hugepages.sh"

# hugepages_need N: make N 2 MiB pages available for this test; skip (77) when that needs root
# and we are not.  Registers the restore with at_exit when it raised the count.
hugepages_need() {
	local want=$1
	[[ -r $HUGEPAGES_SYSFS/nr_hugepages ]] || skip "no 2 MiB hugepage support ($HUGEPAGES_SYSFS)"
	if (($(hugepages_available) >= want)) &&
		awk -v m="$HUGEPAGES_MOUNT" '$2 == m && $3 == "hugetlbfs" { f = 1 } END { exit !f }' \
			/proc/mounts; then
		return 0
	fi
	[[ $(id -u) -eq 0 ]] ||
		skip "needs $want free 2 MiB hugepages, $(hugepages_available) available, and root to reserve them"
	hugepages_mount || skip "cannot mount hugetlbfs at $HUGEPAGES_MOUNT"
	# Not enough pages is this machine's limit, not the code's: skip, saying why.
	hugepages_reserve "$want" || skip "cannot make $want 2 MiB hugepages available (see above)"
	if ((HUGEPAGES_RAISED)); then
		log "raised nr_hugepages from $HUGEPAGES_PREV to $(hugepages_total); restored at exit"
		at_exit hugepages_restore "$HUGEPAGES_PREV" "$HUGEPAGES_SET"
	fi
}
