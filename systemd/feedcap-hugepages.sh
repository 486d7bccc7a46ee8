#!/bin/sh
# feedcap-hugepages COUNT - make sure at least COUNT 2 MiB hugepages are reserved.
#
# Raises the pool, never lowers it (other users of hugepages keep theirs).  The kernel may
# reserve fewer than asked when memory is fragmented: then this says how many it got and
# exits 1, so the capture is not started on a pool too small for its ring.
# FEEDCAP_SYSFS overrides /sys (for tests).
set -u
want=${1:-}
sys=${FEEDCAP_SYSFS:-/sys}
nr=$sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages

case $want in
'' | *[!0-9]*)
	echo "feedcap-hugepages: usage: feedcap-hugepages COUNT (2 MiB pages), got '$want'" >&2
	exit 2
	;;
esac
if [ ! -e "$nr" ]; then
	echo "feedcap-hugepages: $nr does not exist: no 2 MiB hugepage support in this kernel" >&2
	exit 1
fi
# read_count: the pool size, or a message and exit 1 when it is not a number.
read_count() {
	n=$(cat "$nr" 2>/dev/null)
	case $n in
	'' | *[!0-9]*)
		echo "feedcap-hugepages: cannot read a count from $nr (got '$n')" >&2
		exit 1
		;;
	esac
	echo "$n"
}
have=$(read_count) || exit 1
if [ "$have" -ge "$want" ]; then
	echo "feedcap-hugepages: $have 2 MiB hugepages reserved (at least $want wanted)"
	exit 0
fi
if ! echo "$want" >"$nr"; then
	echo "feedcap-hugepages: cannot write $nr (root needed)" >&2
	exit 1
fi
got=$(read_count) || exit 1
if [ "$got" -lt "$want" ]; then
	echo "feedcap-hugepages: asked for $want 2 MiB hugepages, the kernel reserved $got (memory fragmented): reserve them on the kernel command line (hugepagesz=2M hugepages=$want)" >&2
	exit 1
fi
echo "feedcap-hugepages: raised 2 MiB hugepages from $have to $got"
