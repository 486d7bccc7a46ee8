/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * san_canary.c - a program with the bugs the sanitizers must report: san_canary heap | ub |
 * leak | ok.  Built with feedcap's flags (feedcap_warnings: -fsanitize=...) by
 * tests/harness/canary.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "ok";
	volatile int big = INT_MAX, one = 1;
	volatile size_t len = 16;

	if (!strcmp(mode, "heap")) {
		char *p = malloc(len);

		p[len] = 1; /* one past the end */
		free(p);
	} else if (!strcmp(mode, "ub")) {
		printf("%d\n", big + one); /* signed overflow */
	} else if (!strcmp(mode, "leak")) {
		char *volatile p = malloc(len);

		p[0] = 1;
		p = NULL; /* the only pointer to it: lost */
	} else if (strcmp(mode, "ok")) {
		fprintf(stderr, "usage: san_canary heap|ub|leak|ok\n");
		return 2;
	}
	printf("san_canary %s: done\n", mode);
	return 0;
}
