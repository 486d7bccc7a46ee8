#!/bin/bash
# fuzz.sh - build the libFuzzer targets with clang and run one on its seed corpus.
#
#   FUZZ_TARGET=fuzz_ring [FUZZ_RUNS=20000 | FUZZ_TIME=SECONDS] [FUZZ_JOBS=N] bash fuzz.sh
#
# The clang build lives in $FEEDCAP_BUILD/fuzz-clang (ASan + UBSan, every linked library
# instrumented for coverage), configured once and then only rebuilt.  The run starts from the
# corpus kept in the repo (tests/fuzz/corpus/<target minus "fuzz_">/), which it never writes:
# new inputs go to a scratch corpus, crashes to $FEEDCAP_BUILD/fuzz-clang/crashes/, and the
# test fails naming the crash file (add it to the repo corpus once fixed: it then runs as a
# regression test on every run).  Short by default (the test suite); FUZZ_TIME=3600 for an hour.
source "$FEEDCAP_TESTLIB/common.sh"
need_env FUZZ_TARGET
need_tools clang cmake

src=$FEEDCAP_SRC
inner=${FEEDCAP_FUZZ_BUILD:-$FEEDCAP_BUILD/fuzz-clang}
name=${FUZZ_TARGET#fuzz_}
corpus=$src/tests/fuzz/corpus/$name

# libFuzzer's runtime (Debian: libclang-rt-14-dev) must be there: a clang without it is a
# missing tool, said plainly, not a failing fuzzer.
probe=$(mktemp -d "${TMPDIR:-/tmp}/feedcap-fuzzprobe.XXXXXX")
at_exit rm -rf "$probe"
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return d && n == 0; }' \
	>"$probe/p.c"
clang -fsanitize=fuzzer "$probe/p.c" -o "$probe/p" 2>"$probe/err" ||
	skip "clang cannot link libFuzzer (install libclang-rt-14-dev): $(head -1 "$probe/err")"

if [[ ! -f $inner/CMakeCache.txt ]]; then
	log "configuring the clang fuzz build in $inner"
	cmake -S "$src" -B "$inner" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DFEEDCAP_SANITIZE=address,undefined -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link \
		-DFEEDCAP_FUZZ_INNER=ON -DFEEDCAP_BUILD_BENCH=OFF >"$inner.configure.log" 2>&1 ||
		fail "configuring the clang build failed: see $inner.configure.log"
fi
# Re-run the configure step each time: a target that appeared since (a module merged) is then
# known to make.
cmake "$inner" >>"$inner.configure.log" 2>&1 || fail "re-configuring $inner failed"
cmake --build "$inner" -j2 --target "$FUZZ_TARGET" >"$inner.$name.build.log" 2>&1 || {
	if ! grep -q "No rule to make target '$FUZZ_TARGET'\|unknown target" "$inner.$name.build.log"; then
		tail -30 "$inner.$name.build.log" >&2
		fail "building $FUZZ_TARGET with clang failed"
	fi
	# fuzz_archive exists once readers/archive_read.c (the stat branch) is in the tree.
	skip "$FUZZ_TARGET is not a target in this tree yet (its module has not landed)"
}
bin=$inner/tests/fuzz/$FUZZ_TARGET
[[ -d $corpus ]] || fail "no seed corpus $corpus"

make_tmpdir scratch "fuzz-$name"
crashes=$inner/crashes
mkdir -p "$crashes"

# 1. Every file in the repo corpus (seeds and regression inputs) runs once, alone: a fix that
# regresses fails here even if the fuzzing below happens not to get there.
mapfile -t seeds < <(find "$corpus" -type f ! -name README ! -name '*.md' | sort)
log "${#seeds[@]} corpus inputs of $corpus, each once"
"$bin" -runs=0 -timeout=10 "${seeds[@]}" >"$scratch/replay.log" 2>&1 || {
	tail -40 "$scratch/replay.log" >&2
	fail "$FUZZ_TARGET fails on an input of the repo corpus (see above)"
}

# 2. Fuzz from the corpus.  -max_len covers the largest seed (ring seeds hold 256 KiB).
limit=(-runs="${FUZZ_RUNS:-20000}")
[[ -n ${FUZZ_TIME:-} ]] && limit=(-max_total_time="$FUZZ_TIME")
maxlen=$(find "$corpus" -type f -printf '%s\n' | sort -n | tail -1)
((maxlen < 4096)) && maxlen=4096
args=("${limit[@]}" -max_len="$maxlen" -timeout=10 -rss_limit_mb=2048
	-artifact_prefix="$crashes/$name-" -print_final_stats=1)
dict=$src/tests/fuzz/$name.dict
[[ -f $dict ]] && args+=(-dict="$dict")
log "$FUZZ_TARGET ${args[*]}"
rc=0
if [[ -n ${FUZZ_JOBS:-} ]]; then
	(cd "$scratch" && "$bin" "${args[@]}" -jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS" \
		"$scratch" "$corpus") >"$scratch/fuzz.log" 2>&1 || rc=$?
	cat "$scratch"/fuzz-*.log >>"$scratch/fuzz.log" 2>/dev/null || true
else
	"$bin" "${args[@]}" "$scratch" "$corpus" >"$scratch/fuzz.log" 2>&1 || rc=$?
fi
grep -E '^(stat::|#[0-9]+ +DONE)' "$scratch/fuzz.log" >&2 || true
if ((rc != 0)); then
	grep -E -A30 'ERROR: |==ERROR|SUMMARY|runtime error|fuzz_[a-z]+: ' "$scratch/fuzz.log" |
		head -60 >&2 || tail -40 "$scratch/fuzz.log" >&2
	ls -1 "$crashes"/"$name"-* 2>/dev/null >&2 || true
	fail "$FUZZ_TARGET found a crash (input saved under $crashes/)"
fi
if [[ -n ${FUZZ_KEEP_CORPUS:-} ]]; then
	mkdir -p "$FUZZ_KEEP_CORPUS" && cp -n "$scratch"/* "$FUZZ_KEEP_CORPUS"/ 2>/dev/null || true
fi
pass "$FUZZ_TARGET: no crash, no leak, no hang on $(find "$scratch" -type f | wc -l) new inputs"
