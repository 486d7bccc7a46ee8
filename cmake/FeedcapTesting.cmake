# Test registration helpers.  Labels: unit, stress, integration, bench (bench never runs in
# the default test command).
#
# feedcap_criterion_test(NAME <name> SOURCES <files> LIBS <targets> LABELS <labels>
#                        [TIMEOUT <seconds>])
#   A Criterion executable; Criterion runs every test in its own process.
# feedcap_script_test(NAME <name> SCRIPT <file> LABELS <labels> [TIMEOUT <seconds>])
#   An integration script that drives the real binaries (bash; source tests/lib/common.sh;
#   exit 77 = skipped).  It gets their paths from the environment (FEEDCAP_CAPTURE, FEEDCAP_DUMP, FEEDCAP_STAT, FEEDCAP_REPLAY, FEEDCAP_TIMESYNC,
#   FEEDCAP_GENDATA, FEEDCAP_EXTCAP, FEEDCAP_SRC, FEEDCAP_BUILD, FEEDCAP_TESTLIB).

function(feedcap_test_env out)
	set(env
		"FEEDCAP_SRC=${PROJECT_SOURCE_DIR}"
		"FEEDCAP_BUILD=${PROJECT_BINARY_DIR}"
		"FEEDCAP_TESTLIB=${PROJECT_SOURCE_DIR}/tests/lib"
		"FEEDCAP_TESTDATA=${PROJECT_SOURCE_DIR}/tests/data")
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
		# handle_segv=0: tests assert that writing to a read-only ring mapping dies with
		# SIGSEGV; ASan would otherwise turn the signal into a report and exit(1).  DPDK
		# with --in-memory runs under ASan here (checked with net_pcap).  LeakSanitizer
		# cannot run under ptrace: a test that straces a binary sets detect_leaks=0 for it.
		# tests/lsan.supp: leaks inside third-party libraries, each with its reason.
		list(APPEND env "ASAN_OPTIONS=detect_leaks=1:handle_segv=0:halt_on_error=1"
			"UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
			"LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/lsan.supp:print_suppressions=0")
	endif()
	set(${out} "${env}" PARENT_SCOPE)
endfunction()

function(feedcap_criterion_test)
	cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
	add_executable(${T_NAME} ${T_SOURCES})
	target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} PkgConfig::CRITERION feedcap_warnings)
	add_test(NAME ${T_NAME} COMMAND ${T_NAME} --jobs 2)
	feedcap_test_env(env)
	if(NOT T_TIMEOUT)
		set(T_TIMEOUT 300)
	endif()
	set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
		ENVIRONMENT "${env}")
endfunction()

function(feedcap_script_test)
	cmake_parse_arguments(T "" "NAME;SCRIPT;TIMEOUT" "LABELS" ${ARGN})
	add_test(NAME ${T_NAME} COMMAND bash ${T_SCRIPT})
	feedcap_test_env(env)
	if(NOT T_TIMEOUT)
		set(T_TIMEOUT 600)
	endif()
	# Exit 77 means skipped (a missing privilege or tool, said on stderr): see tests/lib.
	set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
		ENVIRONMENT "${env};FEEDCAP_TEST_NAME=${T_NAME}" SKIP_RETURN_CODE 77)
endfunction()
