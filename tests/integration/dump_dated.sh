#!/bin/bash
# strftime conversions in the directory part of -w ("%Y%m%d/%H/md-%H%M.pcapng"): each file
# goes into the directory of its own -G period (UTC, as date -u names it), directories are
# made as needed, each directory is an archive set of its own (its index lists exactly its
# files), the directories together hold the input, and --from resume finds the last archive
# in the newest directory, so a restart writes nothing twice.
source "$(dirname "$0")/dump_lib.sh"
need_gendata() { [[ -n ${FEEDCAP_GENDATA:-} ]] || { echo "SKIP: FEEDCAP_GENDATA unset"; exit 77; }; }
need_gendata

# ten minutes of two feeds across an hour boundary, one frame a second
"$FEEDCAP_GENDATA" -w "$T/in.pcap" -n 600 -r 1 -g 2 --burst 0 --start $((1800000000 - 300)) >/dev/null
"$FCR_RINGFILL" fill -r "$RING" -i "$T/in.pcap" --capacity $((32 << 20)) >/dev/null
mkdir "$T/a"
pat="$T/a/%Y%m%d/%H/md-%H%M.pcapng"
"$FEEDCAP_DUMP" --ring "$RING" --from resume --no-follow -q -G 60 -w "$pat" ||
	fail "feedcap-dump -w $pat"

# where tshark's timestamps say each frame belongs, against where it is
tshark -r "$T/in.pcap" -T fields -e frame.time_epoch 2>/dev/null | cut -d. -f1 |
	while read -r s; do date -u -d "@$s" "+$T/a/%Y%m%d/%H/md-%H%M.pcapng"; done | uniq -c |
	awk '{print $2, $1}' >"$T/want"
for f in $(find "$T/a" -name '*.pcapng' | sort); do
	echo "$f $(tshark -r "$f" 2>/dev/null | wc -l)"
done >"$T/got"
diff "$T/want" "$T/got" >&2 || fail "files are not in the directories of their frames' times"
ndirs=$(find "$T/a" -name 'feedcap-index.jsonl' | wc -l)
((ndirs == 2)) || fail "$ndirs indexes, expected 2 (hours 07 and 08)"
for idx in $(find "$T/a" -name 'feedcap-index.jsonl'); do
	d=$(dirname "$idx")
	diff <(grep -o '"file":"[^"]*"' "$idx" | cut -d'"' -f4 | sort) \
		<(cd "$d" && ls md-*.pcapng | sort) >&2 || fail "$idx does not list exactly its directory's files"
done
echo "ok: $(wc -l <"$T/got") files in the directories of their times, one index per directory"

# together the input, through feedcap-replay of the directories (and tcpdump as the oracle)
dirs=$(find "$T/a" -name 'feedcap-index.jsonl' -printf '%h\n' | sort)
"$FEEDCAP_REPLAY" -w "$T/all.pcap" $dirs || fail "feedcap-replay of the dated directories"
cmp -s <(frames_of "$T/in.pcap") <(frames_of "$T/all.pcap") || fail "the directories together are not the input"
echo "ok: the dated directories together are the input"

# a restart resumes after the last archive, found in the newest directory
"$FEEDCAP_DUMP" --ring "$RING" --from resume --no-follow -G 60 -w "$pat" 2>"$T/log" || fail "resume: $(cat "$T/log")"
grep -q " 0 written" "$T/log" || fail "resume wrote frames again: $(cat "$T/log")"
echo "ok: --from resume across dated directories writes nothing twice"
