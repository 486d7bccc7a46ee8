/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_report.h - the one output format of feedcap's benchmarks (see bench/CMakeLists.txt):
 *
 *	BENCH\trow\tunit\tmedian\tmin\tmax\treference\tref-median\tref-min\tref-max\n
 *
 * bench/run gathers these lines from every benchmark into one table.  Header-only: a
 * benchmark includes it and calls bench_report_row() once per row.
 *
 *	double fc[5], ref[5];                 // alternate: fc[i] = run_feedcap(); ref[i] = run_memcpy();
 *	bench_report_row("ring producer 64 B", "Mpps", fc, 5, "memcpy", ref, 5);
 */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bench_stat {
	double median;
	double min;
	double max;
};

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median, min and max of n values (n <= 64; the input is not modified). */
static inline struct bench_stat bench_stat_of(const double *v, int n)
{
	double s[64];
	struct bench_stat st = { 0, 0, 0 };

	if (n <= 0) {
		return st;
	}
	if (n > 64) {
		n = 64;
	}
	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), bench_cmp_double);
	st.min = s[0];
	st.max = s[n - 1];
	st.median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	return st;
}

/* One table row; ref may be NULL (or nref 0) when no reference applies. */
static inline void bench_report_row(const char *row, const char *unit, const double *fc, int nfc,
				    const char *ref_name, const double *ref, int nref)
{
	struct bench_stat a = bench_stat_of(fc, nfc);

	printf("BENCH\t%s\t%s\t%.6g\t%.6g\t%.6g", row, unit, a.median, a.min, a.max);
	if (ref && nref > 0) {
		struct bench_stat b = bench_stat_of(ref, nref);

		printf("\t%s\t%.6g\t%.6g\t%.6g\n", ref_name, b.median, b.min, b.max);
	} else {
		printf("\t-\t-\t-\t-\n");
	}
	fflush(stdout);
}

#endif /* BENCH_REPORT_H */
