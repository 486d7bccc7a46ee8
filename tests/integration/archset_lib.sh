# shellcheck shell=bash
# archset_lib.sh - what the archive-set tests share: frame lists from independent tools.
#
#   source "$FEEDCAP_SRC/tests/integration/archset_lib.sh"

# frame_lines FILE...: one line per frame (time with ns, then its bytes in hex) of every FILE,
# read by tcpdump (zstd files through the zstd CLI), sorted: a multiset to compare.  -S: TCP
# sequence numbers as they are, not relative to a connection's first frame in the same file.
frame_lines() {
	local f
	for f in "$@"; do
		if [[ $(head -c 4 "$f" | od -An -tx1 | tr -d ' ') == 28b52ffd ]]; then
			zstd -q -dc "$f" | tcpdump -r - -nn -S -tt --nano -xx 2>/dev/null
		else
			tcpdump -r "$f" -nn -S -tt --nano -xx 2>/dev/null
		fi
	done | awk '/^[0-9]+\.[0-9]+ / { if (l != "") print l; l = $0; next }
		{ l = l " " $0 } END { if (l != "") print l }' | sort
}

# capinfos_rows FILE...: "path frames bytes first last" per file, times as epoch.ns (capinfos
# -S, which writes a microsecond file's times with 6 digits), sorted by path.
capinfos_rows() {
	capinfos -a -e -c -s -T -r -S "$@" | awk -F'\t' '
		function ns(t, a) { split(t, a, "."); return a[1] "." substr(a[2] "000000000", 1, 9) }
		{ print $1, $2, $3, ns($4), ns($5) }' | sort
}

# list_rows DIR...: the same columns from feedcap-replay --list --json, sorted by path.
list_rows() {
	"$FEEDCAP_REPLAY" --list --json "$@" | python3 -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    f, l = o["first_ts"], o["last_ts"]
    print(o["path"], o["frames"], o["bytes"], "%d.%09d" % divmod(f, 10**9),
          "%d.%09d" % divmod(l, 10**9))
' | sort
}
