/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * criterion_main.c - the main() of every Criterion test binary (cmake/FeedcapTesting.cmake
 * links it in): Criterion's own run, plus skips made visible.
 *
 * Criterion counts a test that calls cr_skip_test() neither as passed nor as failed, prints
 * nothing about it unless --verbose, and exits 0: CTest would report the binary as passed.
 * Here every skipped test is printed as "SKIP: [CTEST_NAME] suite::test: reason" on stderr
 * (the line scripts/test collects, as tests/lib/common.sh's skip() prints it), and a run in
 * which nothing failed but something was skipped exits 77, CTest's SKIP_RETURN_CODE.  A
 * failure always wins: a run with a failed test exits 1 whatever else was skipped.
 *
 * Tests left out by --filter are not skipped tests (Criterion counts them as skipped in its
 * global statistics, but never reports them one by one): only the per-test reports count.
 */
#define _GNU_SOURCE /* program_invocation_short_name */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define EXIT_SKIPPED 77

static size_t skipped;

ReportHook(POST_TEST)(struct criterion_test_stats *st)
{
	const char *name = getenv("FEEDCAP_TEST_NAME");

	if (st->test_status != CR_STATUS_SKIPPED) {
		return;
	}
	skipped++;
	fprintf(stderr, "SKIP: [%s] %s::%s: %s\n", name ? name : program_invocation_short_name,
		st->test->category, st->test->name,
		st->message && st->message[0] ? st->message : "(cr_skip_test gave no reason)");
}

int main(int argc, char *argv[])
{
	struct criterion_test_set *tests = criterion_initialize();
	int failed = 0;

	if (criterion_handle_args(argc, argv, true)) {
		failed = !criterion_run_all_tests(tests);
	}
	criterion_finalize(tests);
	if (failed) {
		return 1;
	}
	return skipped ? EXIT_SKIPPED : 0;
}
