# shellcheck shell=bash
# hugepages.sh - reserve 2 MiB hugepages and give them back, shared by scripts/hugepages,
# scripts/demo, scripts/test and tests/lib/hugepages.sh.
#
# The rules: raise nr_hugepages only when fewer pages are available than asked for, remember
# the count found before, and when restoring never go below that count nor below what is in
# use at that moment (pages mapped by running processes, or reserved by a mapping not yet
# faulted in).  The machine may be shared: another user's pages are never taken away.
#
# HUGEPAGES_SYSFS can point at another directory (tests use a fake one).

HUGEPAGES_SYSFS=${HUGEPAGES_SYSFS:-/sys/kernel/mm/hugepages/hugepages-2048kB}
HUGEPAGES_MOUNT=${HUGEPAGES_MOUNT:-/dev/hugepages}

_hp_read() { cat "$HUGEPAGES_SYSFS/$1"; }

hugepages_total() { _hp_read nr_hugepages; }

# Pages a new mapping can get now: free minus those promised to existing mappings.
hugepages_available() { echo $(($(_hp_read free_hugepages) - $(_hp_read resv_hugepages))); }

# Pages that cannot be given back now: mapped, or reserved by a mapping.
hugepages_in_use() {
	echo $(($(_hp_read nr_hugepages) - $(_hp_read free_hugepages) + $(_hp_read resv_hugepages)))
}

# hugepages_mount: make sure a hugetlbfs (2 MiB pages) is mounted at $HUGEPAGES_MOUNT.
hugepages_mount() {
	if awk -v m="$HUGEPAGES_MOUNT" '$2 == m && $3 == "hugetlbfs" { found = 1 }
			END { exit !found }' /proc/mounts; then
		return 0
	fi
	mkdir -p "$HUGEPAGES_MOUNT"
	mount -t hugetlbfs -o pagesize=2M nodev "$HUGEPAGES_MOUNT" || {
		echo "hugepages: cannot mount hugetlbfs at $HUGEPAGES_MOUNT (are you root?)" >&2
		return 1
	}
}

# hugepages_reserve N: make at least N pages available.  Sets HUGEPAGES_PREV to the count
# found before (what hugepages_restore takes) and HUGEPAGES_RAISED to 1 if it raised it.
# Returns 0, 2 when the count cannot be written (not root, read-only sysfs in a container),
# 1 when the kernel gave fewer pages than asked (memory too small or fragmented).
hugepages_reserve() {
	local want=$1 total avail target
	total=$(hugepages_total)
	avail=$(hugepages_available)
	HUGEPAGES_PREV=$total
	HUGEPAGES_RAISED=0
	if ((avail >= want)); then
		return 0
	fi
	target=$((total + want - avail))
	if ! echo "$target" >"$HUGEPAGES_SYSFS/nr_hugepages" 2>/dev/null; then
		echo "hugepages: need $want free 2 MiB pages, $avail available, and cannot raise" \
			"$HUGEPAGES_SYSFS/nr_hugepages to $target (are you root?)" >&2
		return 2
	fi
	HUGEPAGES_RAISED=1
	avail=$(hugepages_available)
	if ((avail < want)); then
		echo "hugepages: asked the kernel for $target pages, got $(hugepages_total);" \
			"$avail available, $want needed: memory is too fragmented or too small" \
			"(reserve them at boot: hugepages=$target on the kernel command line)" >&2
		return 1
	fi
}

# hugepages_restore PREV: lower nr_hugepages back towards PREV, never below PREV and never
# below the pages in use now.  Does nothing when the count is already at or below that.
hugepages_restore() {
	local prev=$1 total floor
	total=$(hugepages_total)
	floor=$(hugepages_in_use)
	((floor > prev)) || floor=$prev
	if ((total > floor)); then
		echo "$floor" >"$HUGEPAGES_SYSFS/nr_hugepages"
	fi
}
