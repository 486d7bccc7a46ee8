/* SPDX-License-Identifier: BSD-3-Clause */
/* canary_criterion.c - Criterion canaries: suites clean, skip, heap, fail (CMakeLists.txt). */
#include <criterion/criterion.h>
#include <stdlib.h>

Test(clean, passes)
{
	cr_assert_eq(1 + 1, 2);
}

Test(skip, cannot_run_here)
{
	cr_skip_test("canary: this machine lacks what the test needs");
}

Test(heap, overflows)
{
	volatile size_t len = 16;
	char *p = malloc(len);

	p[len] = 1;
	free(p);
}

Test(fail, fails)
{
	cr_assert_eq(1 + 1, 3, "canary: a failed assertion");
}
