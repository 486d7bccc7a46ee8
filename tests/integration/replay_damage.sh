#!/bin/bash
# Damaged archives, truncated at hundreds of byte offsets and corrupted at random bytes
# (bounded: a 60-record file): feedcap-replay and feedcap-stat never crash, give back every
# complete record before the damage (byte for byte), and say where they stopped; exit 1 for
# a damaged archive, 0 for a file cut exactly between records.  The oracles: the record
# boundaries tshark reports, what `zstd -dc` can decode of a cut .zst, what tshark reads of a
# cut pcapng.
source "$FEEDCAP_TESTLIB/common.sh"
need_env FEEDCAP_REPLAY FEEDCAP_STAT FEEDCAP_TESTDATA
need_tools editcap tshark zstd tcpdump jq

make_tmpdir tmp replaydmg
cd "$tmp"
editcap -F nsecpcap -r "$FEEDCAP_TESTDATA/marketdata.pcap" small.pcap 1-60
mapfile -t caps < <(tshark -r small.pcap -T fields -e frame.cap_len 2>/dev/null)
expect_eq "${#caps[@]}" 60 "records in the small file"
ends=()
off=24
for c in "${caps[@]}"; do
	off=$((off + 16 + c))
	ends+=("$off")
done
size=$(stat -c %s small.pcap)
expect_eq "$off" "$size" "record ends add up to the file size"

complete_before() { # OFFSET -> records that end at or before it
	local k=0
	while ((k < ${#ends[@]} && ends[k] <= $1)); do
		k=$((k + 1))
	done
	echo "$k"
}

# run_replay FILE: sets rc; never a crash (a signal gives 128+N)
run_replay() {
	rm -f o.pcap
	set +e
	"$FEEDCAP_REPLAY" -w o.pcap "$1" 2>err
	rc=$?
	set -e
	no_sanitizer_report err "feedcap-replay $1"
	((rc == 0 || rc == 1)) || fail "feedcap-replay $1 exited $rc: $(cat err)"
}
# run_stat ARGS...: feedcap-stat, exit 0 or 1 and no sanitizer report; its stdout in s.out
run_stat() {
	local src=0
	"$FEEDCAP_STAT" "$@" >s.out 2>serr || src=$?
	no_sanitizer_report serr "feedcap-stat $*"
	((src == 0 || src == 1)) || fail "feedcap-stat $* exited $src: $(cat serr)"
}

# ---------------------------------------------------------------- plain pcap, truncated
offsets=($(seq 0 30) $(seq 31 61 "$size"))
for e in "${ends[@]::20}"; do offsets+=($((e - 1)) "$e" $((e + 1))); done
n=0
for cut in "${offsets[@]}"; do
	((cut < size)) || continue
	head -c "$cut" small.pcap >t.pcap
	run_replay t.pcap
	n=$((n + 1))
	if ((cut < 24)); then
		expect_eq "$rc" 1 "exit code, cut at $cut (inside the file header)" >/dev/null
		grep -q 't.pcap' err || fail "cut $cut: the message does not name the file: $(cat err)"
		continue
	fi
	k=$(complete_before "$cut")
	end=24
	((k > 0)) && end=${ends[k - 1]}
	cmp -s o.pcap <(head -c "$end" small.pcap) ||
		fail "cut $cut: the output is not the $k complete records before the cut"
	if ((cut == end)); then
		expect_eq "$rc" 0 "exit code, cut $cut on a record boundary" >/dev/null
	else
		expect_eq "$rc" 1 "exit code, cut $cut inside a record" >/dev/null
		grep -q "t.pcap: damaged archive: stopped after record $k, at byte offset $end" err ||
			fail "cut $cut: the message does not say where: $(cat err)"
	fi
	if ((n % 10 == 0)); then
		run_stat -r t.pcap --json
		expect_eq "$(tail -n 1 s.out | jq .frames)" "$k" "feedcap-stat frames, cut $cut" >/dev/null
	fi
done
pass "plain pcap cut at $n offsets: every complete record back, the message says where"

# ---------------------------------------------------------------- zstd, truncated
zstd -q -c small.pcap >small.pcap.zst
zsize=$(stat -c %s small.pcap.zst)
n=0
for cut in $(seq 0 19 "$((zsize - 1))"); do
	head -c "$cut" small.pcap.zst >t.pcap.zst
	run_replay t.pcap.zst
	n=$((n + 1))
	got=$( (zstd -dc t.pcap.zst 2>/dev/null || true) | wc -c)
	k=$(complete_before "$got")
	expect_eq "$rc" 1 "exit code, .zst cut at $cut" >/dev/null
	grep -q 't.pcap.zst' err || fail "zst cut $cut: the message does not name the file"
	if ((got < 24)); then
		continue
	fi
	grep -q 'zstd frame 0' err || fail "zst cut $cut: the message does not name the zstd frame: $(cat err)"
	end=24
	((k > 0)) && end=${ends[k - 1]}
	cmp -s o.pcap <(head -c "$end" small.pcap) ||
		fail "zst cut $cut: not the $k complete records zstd -dc can give"
done
pass "zstd cut at $n offsets: what zstd -dc decodes, in complete records"

# ---------------------------------------------------------------- pcapng, truncated
editcap -F pcapng small.pcap small.pcapng
ngsize=$(stat -c %s small.pcapng)
n=0
for cut in $(seq 0 419 "$((ngsize - 1))") $((ngsize - 1)); do
	head -c "$cut" small.pcapng >t.pcapng
	run_replay t.pcapng
	n=$((n + 1))
	k=$(tshark -r t.pcapng 2>/dev/null | wc -l || true)
	if [[ ! -f o.pcap ]]; then
		expect_eq "$k" 0 "tshark records of a pcapng cut at $cut that we could not open"
		continue
	fi
	end=24
	((k > 0)) && end=${ends[k - 1]}
	cmp -s o.pcap <(head -c "$end" small.pcap) ||
		fail "pcapng cut $cut: not the $k records tshark reads"
	# a cut between two blocks is a clean end; anywhere else, a warning saying where
	if ((rc == 1)); then
		grep -q "t.pcapng: damaged archive: stopped after record $k, at byte offset" err ||
			fail "pcapng cut $cut: no message: $(cat err)"
	else
		[[ ! -s err ]] || fail "pcapng cut $cut: exit 0 with a message: $(cat err)"
	fi
done
pass "pcapng cut at $n offsets: the records tshark reads"

# ---------------------------------------------------------------- corruption
RANDOM=4242
corrupt() { # SRC DST OFFSET: one byte replaced by a different value
	cp "$1" "$2"
	local old new
	old=$(od -An -tu1 -j "$3" -N1 "$1" | tr -d ' ')
	new=$(((old + 1 + RANDOM % 255) % 256))
	printf "$(printf '\\%03o' "$new")" | dd of="$2" bs=1 seek="$3" conv=notrunc status=none
}
for i in $(seq 1 100); do
	at=$((24 + RANDOM % (size - 24)))
	corrupt small.pcap c.pcap "$at"
	run_replay c.pcap
	k=$(complete_before "$at")
	end=24
	((k > 0)) && end=${ends[k - 1]}
	cmp -s <(head -c "$end" o.pcap) <(head -c "$end" small.pcap) ||
		fail "byte $at corrupted: the records before it did not come back intact"
	tcpdump -r o.pcap -w /dev/null 2>/dev/null || fail "byte $at corrupted: the output is not a valid pcap"
	if ((rc == 1)); then
		grep -q 'c.pcap: damaged archive: stopped after record' err || fail "no place in: $(cat err)"
	fi
	run_stat -r c.pcap --gaps moldudp64
done
for f in small.pcap.zst small.pcapng; do
	fsize=$(stat -c %s "$f")
	for i in $(seq 1 40); do
		at=$((RANDOM % fsize))
		corrupt "$f" "c.$f" "$at"
		run_replay "c.$f"
		if [[ -f o.pcap ]]; then
			tcpdump -r o.pcap -w /dev/null 2>/dev/null || fail "$f byte $at: output not a valid pcap"
		fi
		run_stat -r "c.$f"
	done
done
pass "random corruption (100 pcap, 40 zstd, 40 pcapng): no crash, intact records before the damage"
