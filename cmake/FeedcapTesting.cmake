# Test registration helpers.
#
# Labels (every test has one of the first five; README "Tests" says how long each takes):
#   unit         no root, no hugepages, no network namespace, no DPDK device: `ctest -L unit`
#                is the one-minute loop for everyday edits
#   integration  the real binaries on real DPDK virtual devices, veth pairs in network
#                namespaces, hugepages, root
#   stress       long races and soaks
#   fuzz         libFuzzer runs (a second, clang build of the tree: tests/fuzz)
#   bench        benchmarks (bench/): never in the default run
#   quick        added to the integration tests `scripts/test --quick` runs with `unit`: those
#                that take a few seconds
#
# feedcap_criterion_test(NAME <name> SOURCES <files> LIBS <targets> LABELS <labels>
#                        [TIMEOUT <seconds>] [FILTER <pattern>])
#   A Criterion executable; Criterion runs every test in its own process.  Its main() is
#   tests/lib/criterion_main.c: a skipped test is printed with its reason and a run that
#   skipped something exits 77 (skipped for CTest) unless something failed.  FILTER (a
#   Criterion --filter pattern, e.g. "!(ringshm_system/*)") runs only part of the binary.
# feedcap_criterion_cases(NAME <name> BINARY <target> FILTER <pattern> LABELS <labels>
#                         [TIMEOUT <seconds>])
#   Another CTest entry for the tests of an existing Criterion executable FILTER selects, e.g.
#   those that need root or hugepages, under labels of their own.
# feedcap_script_test(NAME <name> SCRIPT <file> LABELS <labels> [TIMEOUT <seconds>])
#   An integration script that drives the real binaries (bash; source tests/lib/common.sh;
#   exit 77 = skipped).  It gets their paths from the environment (FEEDCAP_CAPTURE, FEEDCAP_DUMP, FEEDCAP_STAT, FEEDCAP_REPLAY, FEEDCAP_TIMESYNC,
#   FEEDCAP_GENDATA, FEEDCAP_EXTCAP, FEEDCAP_SRC, FEEDCAP_BUILD, FEEDCAP_TESTLIB).
#
# Every test, whatever registered it: the sanitizer options below in its environment (so in
# every process it starts), skipped on exit 77, failed when a sanitizer report appears in its
# output whatever its exit status.  tests/harness checks all of this on canaries.
#
# The paths are relative to this file, not to the project: tests/harness includes it from a
# project of its own.
get_filename_component(FEEDCAP_TESTING_SRC "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)

set(FEEDCAP_TEST_LABELS unit integration stress fuzz bench quick)
# CTest's SKIP_RETURN_CODE for every test (tests/lib/common.sh skip(), criterion_main.c).
set(FEEDCAP_TEST_SKIP_CODE 77)
# What a sanitizer report starts with: "==PID==ERROR: AddressSanitizer: ...", "==PID==ERROR:
# LeakSanitizer: ...", "FILE:LINE:COL: runtime error: ..." (UndefinedBehaviorSanitizer).  Seen
# anywhere in a test's output, the test fails, even if whatever printed it was allowed to fail.
set(FEEDCAP_SANITIZER_REPORT_REGEX "==[0-9]+==ERROR: [A-Za-z]+Sanitizer" "runtime error: ")

function(feedcap_test_env out)
	set(env
		"FEEDCAP_SRC=${FEEDCAP_TESTING_SRC}"
		"FEEDCAP_BUILD=${PROJECT_BINARY_DIR}"
		"FEEDCAP_TESTLIB=${FEEDCAP_TESTING_SRC}/tests/lib"
		"FEEDCAP_TESTDATA=${FEEDCAP_TESTING_SRC}/tests/data")
	foreach(pair
			"FEEDCAP_CAPTURE=feedcap-capture" "FEEDCAP_DUMP=feedcap-dump"
			"FEEDCAP_STAT=feedcap-stat" "FEEDCAP_REPLAY=feedcap-replay"
			"FEEDCAP_TIMESYNC=feedcap-timesync" "FEEDCAP_GENDATA=feedcap-gendata"
			"FEEDCAP_EXTCAP=feedcap-extcap")
		string(REPLACE "=" ";" kv "${pair}")
		list(GET kv 0 var)
		list(GET kv 1 tgt)
		if(TARGET ${tgt})
			list(APPEND env "${var}=$<TARGET_FILE:${tgt}>")
		endif()
	endforeach()
	if(FEEDCAP_SANITIZE)
		# exitcode: a report ends the process with a status of its own, which no tool uses:
		# 86 for AddressSanitizer and LeakSanitizer, 87 for UndefinedBehaviorSanitizer, so
		# a test that lets a tool exit 0 or 1 (a damaged archive) still sees it.  LeakSanitizer
		# takes AddressSanitizer's exitcode: its own (LSAN_OPTIONS) would replace both.
		# halt_on_error: the first report ends the process (the build also has
		# -fno-sanitize-recover).  handle_segv=0: tests assert that writing to a read-only
		# ring mapping dies with SIGSEGV; ASan would otherwise turn the signal into a report.
		# DPDK with --in-memory runs under ASan here (checked with net_pcap).  LeakSanitizer
		# cannot run under ptrace: a test that straces a binary adds detect_leaks=0 to
		# $ASAN_OPTIONS for it (never replaces it).  tests/lsan.supp: leaks inside
		# third-party libraries, each with its reason.
		list(APPEND env
			"ASAN_OPTIONS=detect_leaks=1:handle_segv=0:halt_on_error=1:exitcode=86"
			"UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=87"
			"LSAN_OPTIONS=suppressions=${FEEDCAP_TESTING_SRC}/tests/lsan.supp:print_suppressions=0")
	endif()
	set(${out} "${env}" PARENT_SCOPE)
endfunction()

# feedcap_test_properties(NAME LABELS TIMEOUT): what every test gets.
function(feedcap_test_properties name labels timeout)
	foreach(l IN LISTS labels)
		if(NOT l IN_LIST FEEDCAP_TEST_LABELS)
			message(FATAL_ERROR "test ${name}: label '${l}' is not one of ${FEEDCAP_TEST_LABELS}")
		endif()
	endforeach()
	feedcap_test_env(env)
	set_tests_properties(${name} PROPERTIES LABELS "${labels}" TIMEOUT ${timeout}
		ENVIRONMENT "${env};FEEDCAP_TEST_NAME=${name}"
		SKIP_RETURN_CODE ${FEEDCAP_TEST_SKIP_CODE}
		FAIL_REGULAR_EXPRESSION "${FEEDCAP_SANITIZER_REPORT_REGEX}")
endfunction()

function(feedcap_criterion_test)
	cmake_parse_arguments(T "" "NAME;TIMEOUT;FILTER" "SOURCES;LIBS;LABELS" ${ARGN})
	add_executable(${T_NAME} ${T_SOURCES} ${FEEDCAP_TESTING_SRC}/tests/lib/criterion_main.c)
	target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} PkgConfig::CRITERION feedcap_warnings)
	if(TARGET fctest)
		target_link_libraries(${T_NAME} PRIVATE fctest)
	endif()
	set(args --jobs 2)
	if(T_FILTER)
		list(APPEND args --filter "${T_FILTER}")
	endif()
	add_test(NAME ${T_NAME} COMMAND ${T_NAME} ${args})
	if(NOT T_TIMEOUT)
		set(T_TIMEOUT 300)
	endif()
	feedcap_test_properties(${T_NAME} "${T_LABELS}" ${T_TIMEOUT})
endfunction()

function(feedcap_criterion_cases)
	cmake_parse_arguments(T "" "NAME;BINARY;FILTER;TIMEOUT" "LABELS" ${ARGN})
	add_test(NAME ${T_NAME} COMMAND ${T_BINARY} --jobs 2 --filter "${T_FILTER}")
	if(NOT T_TIMEOUT)
		set(T_TIMEOUT 300)
	endif()
	feedcap_test_properties(${T_NAME} "${T_LABELS}" ${T_TIMEOUT})
endfunction()

function(feedcap_script_test)
	cmake_parse_arguments(T "" "NAME;SCRIPT;TIMEOUT" "LABELS" ${ARGN})
	add_test(NAME ${T_NAME} COMMAND bash ${T_SCRIPT})
	if(NOT T_TIMEOUT)
		set(T_TIMEOUT 600)
	endif()
	feedcap_test_properties(${T_NAME} "${T_LABELS}" ${T_TIMEOUT})
endfunction()
