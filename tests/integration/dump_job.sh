#!/bin/bash
# feedcap-dump --job NAME runs [job NAME] of a config file (--config FILE), options on the
# command line override it; --check-config validates the file and the job's filter, naming
# FILE:LINE: job.filter for a bad expression (exit 2).
source "$(dirname "$0")/dump_lib.sh"

"$FCR_RINGFILL" gen -o "$T/in.pcap" -n 6000 --seed 21 --ts-base 1795000000000000000 --ts-step 1000000
"$FCR_RINGFILL" fill -r "$RING" -i "$T/in.pcap" --capacity $((16 << 20)) >/dev/null
cat >"$T/feedcap.conf" <<CONF
[ring t]
path = $RING
backing = file

[job a]
ring = t
filter = udp and dst port 30001
format = pcapng
compression = zstd
directory = $T/archive
file_name = a-%Y%m%dT%H%M%S
rotate_interval = 2s
retention_files = 2
on_error = exit
CONF

out=$("$FEEDCAP_DUMP" --check-config --config "$T/feedcap.conf" --job a) || fail "--check-config: exit $?"
[[ $out == *"OK"* ]] || fail "--check-config: $out"
echo "ok: --check-config --job a: $out"

# Run the job (until the producer's position: --no-follow on the command line).
"$FEEDCAP_DUMP" --config "$T/feedcap.conf" --job a --no-follow -q || fail "--job a: exit $?"
ls "$T/archive"/a-*.pcapng.zst >"$T/files" || fail "--job a: no archives in $T/archive"
# 6 s of frames, 2 s files, keep 2: the last two periods
[[ $(wc -l <"$T/files") == 2 ]] || fail "--job a: retention_files 2: $(cat "$T/files")"
for f in $(cat "$T/files"); do
	zstd -tq "$f" || fail "$f: zstd -t"
	capinfos -M "$f" | grep -q "pcapng" || fail "$f: not pcapng"
done
for f in $(cat "$T/files"); do frames_of "$f"; done >"$T/got.txt"
tcpdump --time-stamp-precision=nano -r "$T/in.pcap" -w "$T/want.pcap" udp and dst port 30001 2>/dev/null
last=$(tshark -r "$(head -1 "$T/files")" -c1 -T fields -e frame.time_epoch 2>/dev/null)
tshark -r "$T/want.pcap" -Y "frame.time_epoch >= $last" -F nsecpcap -w "$T/want2.pcap" 2>/dev/null
frames_of "$T/want2.pcap" >"$T/want.txt"
cmp -s "$T/want.txt" "$T/got.txt" || fail "--job a: the kept files are not the job's filter over the last periods"
echo "ok: --job a: the job's ring, filter, pcapng+zstd, rotation, retention, start"

# Run it again (a service restarted): the job resumes (from = resume, the default) after what
# it archived, so nothing is written twice and the 2 files kept stay those of the last periods.
"$FEEDCAP_DUMP" --config "$T/feedcap.conf" --job a --no-follow -q || fail "--job a again: exit $?"
ls "$T/archive"/a-*.pcapng.zst >"$T/files2"
[[ $(wc -l <"$T/files2") == 2 ]] || fail "second run: retention_files 2 across runs: $(cat "$T/files2")"
[[ $(index_files "$T/archive" | wc -l) == 2 ]] || fail "second run: index: $(cat "$T/archive/feedcap-index.jsonl")"
for f in $(cat "$T/files2"); do frames_of "$f"; done >"$T/got2.txt"
cmp -s "$T/want.txt" "$T/got2.txt" || fail "second run: the kept files are not the last periods"
echo "ok: a second run keeps 2 files in all (retention counts earlier runs' files)"

# The command line overrides the job: pcap, no filter words -> the job's filter still applies.
"$FEEDCAP_DUMP" --config "$T/feedcap.conf" --job a --no-follow -q -F pcap -w "$T/over.pcap" ||
	fail "override: exit $?"
[[ $(head -c4 "$T/over.pcap" | od -An -tx1 | tr -d ' ') == 4d3cb2a1 ]] || fail "override: -F pcap -w not honoured"
[[ $(tshark_count "$T/over.pcap") == $(tshark_count "$T/want.pcap") ]] || fail "override: the job's filter was not applied"
"$FEEDCAP_DUMP" --config "$T/feedcap.conf" --job a --no-follow -q -w "$T/over2.pcap" tcp || fail "override filter: exit $?"
[[ $(tshark_count "$T/over2.pcap") == $(tcpdump -r "$T/in.pcap" tcp 2>/dev/null | wc -l) ]] || fail "override: the command line filter did not win"
echo "ok: command-line options override the job"

# A bad filter in the job: exit 2, FILE:LINE: job.filter.
sed -i 's/^filter = .*/filter = udp prot 1/' "$T/feedcap.conf"
set +e
"$FEEDCAP_DUMP" --check-config --config "$T/feedcap.conf" --job a 2>"$T/log"
rc1=$?
"$FEEDCAP_DUMP" --config "$T/feedcap.conf" --job a --no-follow 2>"$T/log2"
rc2=$?
"$FEEDCAP_DUMP" --config "$T/feedcap.conf" --job nosuch --no-follow 2>"$T/log3"
rc3=$?
set -e
[[ $rc1 == 2 && $rc2 == 2 ]] || fail "bad job filter: exits $rc1 and $rc2, not 2"
grep -q "feedcap.conf:7: job.filter: bad filter expression 'udp prot 1'" "$T/log" || fail "bad job filter: $(cat "$T/log")"
grep -q "feedcap.conf:7: job.filter" "$T/log2" || fail "bad job filter at run: $(cat "$T/log2")"
[[ $rc3 == 2 ]] && grep -q "no \[job nosuch\]" "$T/log3" || fail "unknown job: exit $rc3: $(cat "$T/log3")"
echo "ok: a bad job filter and an unknown job exit 2 naming the place"
