# shellcheck shell=bash
# hugepages.sh - reserve 2 MiB hugepages and give them back, shared by scripts/hugepages,
# scripts/demo, scripts/test and tests/lib/hugepages.sh.
#
# The rules: raise nr_hugepages only when fewer pages are available than asked for, remember
# the count found before and the count set, and when restoring never go below the count found
# before nor below what is in use at that moment (pages mapped by running processes, or
# reserved by a mapping not yet faulted in).  nr_hugepages is one knob for the whole machine:
# if it no longer holds the count this run set, someone else has changed it since, and the
# restore leaves it alone rather than take their pages away.
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
# found before, HUGEPAGES_RAISED to 1 if it raised it and HUGEPAGES_SET to the count it set
# (what hugepages_restore takes: hugepages_restore "$HUGEPAGES_PREV" "$HUGEPAGES_SET").
# Returns 0, 2 when the count cannot be written (not root, read-only sysfs in a container),
# 1 when the kernel gave fewer pages than asked (memory too small or fragmented).
# shellcheck disable=SC2034 # HUGEPAGES_* are read by the callers
hugepages_reserve() {
	local want=$1 total avail target
	total=$(hugepages_total)
	avail=$(hugepages_available)
	HUGEPAGES_PREV=$total
	HUGEPAGES_RAISED=0
	HUGEPAGES_SET=""
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
	HUGEPAGES_SET=$(hugepages_total)
	avail=$(hugepages_available)
	if ((avail < want)); then
		echo "hugepages: asked the kernel for $target pages, got $(hugepages_total);" \
			"$avail available, $want needed: memory is too fragmented or too small" \
			"(reserve them at boot: hugepages=$target on the kernel command line)" >&2
		return 1
	fi
}

# hugepages_restore PREV SET: lower nr_hugepages from SET (the count hugepages_reserve set)
# back towards PREV, never below PREV and never below the pages in use now.  Does nothing when
# SET is empty (nothing was raised), when the count is no longer SET (someone else changed
# it since: theirs now) or when it is already at or below that floor.
hugepages_restore() {
	local prev=$1 set=${2:-} total floor
	[[ -n $set ]] || return 0
	total=$(hugepages_total)
	if ((total != set)); then
		echo "hugepages: nr_hugepages is $total, not the $set this run set: changed by" \
			"someone else since, left as it is" >&2
		return 0
	fi
	floor=$(hugepages_in_use)
	((floor > prev)) || floor=$prev
	if ((total > floor)); then
		echo "$floor" >"$HUGEPAGES_SYSFS/nr_hugepages"
	fi
}
