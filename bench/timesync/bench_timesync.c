/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-timesync - how good and how cheap is a TSC timestamp converted through timesync?
 *
 * Set up as the capture runs: a control thread calls timesync_calib_step() once a second and
 * stores the model in a cell; the measuring thread (the "poller") refreshes its copy from the
 * cell and converts.  Every millisecond for --duration seconds it takes
 *
 *	r1 = clock_gettime(CLOCK_REALTIME); tsc = rdtsc; r2 = clock_gettime(CLOCK_REALTIME)
 *
 * and records convert(tsc) - (r1 + r2) / 2: the error of the converted timestamp against the
 * system clock at the same instant, within half the bracket (reported too: it is the
 * measurement's own floor).  Brackets wider than 2 us (the thread was interrupted between the
 * reads) are not "the same instant" and are counted, not used.
 *
 * Cost: N x (cell refresh + rdtsc + convert), what the poller does per burst, against N x
 * clock_gettime(CLOCK_REALTIME) (the vDSO), alternated 7 times.
 *
 * Output: a readable table on stdout, and BENCH rows (bench_report.h) for bench/run.
 * Targets from the issue: max error under 1 us, conversion at least 5 x cheaper.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "bench_report.h"
#include "timesync.h"

#define WINDOWS	  5    /* error statistics per window, then median/min/max across windows */
#define MAX_WIDTH 2000 /* ns: a wider bracket was interrupted */
#define COST_RUNS 7
#define COST_N	  2000000

struct ctl {
	struct timesync_cell cell;
	_Atomic int stop;
	_Atomic int ready;
	_Atomic uint64_t updates;
};

static uint64_t ns_of(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ns_of(&ts);
}

static void *control(void *arg)
{
	struct ctl *c = arg;
	struct timesync_calib *cal = timesync_calib_create(NULL);
	struct timesync_model m;
	struct timespec ms5 = { 0, 5000000 };

	if (cal == NULL) {
		atomic_store(&c->ready, -1);
		return NULL;
	}
	/* First model: 50 ms of samples, then once a second as the capture does. */
	while (timesync_calib_step(cal, TIMESYNC_FREE_RUNNING, 1000, &c->cell, &m) == -EAGAIN) {
		nanosleep(&ms5, NULL);
	}
	for (int i = 0; i < 9; i++) {
		nanosleep(&ms5, NULL);
		timesync_calib_step(cal, TIMESYNC_FREE_RUNNING, 1000, &c->cell, &m);
	}
	atomic_store(&c->ready, 1);
	while (!atomic_load(&c->stop)) {
		struct timespec s100 = { 0, 100000000 };

		for (int i = 0; i < 10 && !atomic_load(&c->stop); i++) {
			nanosleep(&s100, NULL);
		}
		timesync_calib_step(cal, TIMESYNC_FREE_RUNNING, 1000, &c->cell, &m);
		atomic_fetch_add(&c->updates, 1);
	}
	timesync_calib_destroy(cal);
	return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

struct errstat {
	double median, p99, max, half_width_median;
	size_t n, dropped;
};

/* Statistics of |error| over v[0..n). */
static void stat_of(int64_t *abs_err, int64_t *hw, size_t n, size_t dropped, struct errstat *s)
{
	memset(s, 0, sizeof(*s));
	s->n = n;
	s->dropped = dropped;
	if (n == 0) {
		return;
	}
	qsort(abs_err, n, sizeof(*abs_err), cmp_i64);
	qsort(hw, n, sizeof(*hw), cmp_i64);
	s->median = (double)abs_err[n / 2];
	s->p99 = (double)abs_err[(size_t)((double)(n - 1) * 0.99)];
	s->max = (double)abs_err[n - 1];
	s->half_width_median = (double)hw[n / 2];
}

static volatile uint64_t sink;

/* The poller's read: rte_rdtsc() is a plain rdtsc, no fence. */
static inline uint64_t plain_rdtsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#else
	return timesync_rdtsc();
#endif
}

/*
 * ns per (refresh + convert) of a counter value the caller already has: a NIC timestamp from
 * the mbuf, or the TSC read once per burst.  This is what replaces a clock_gettime() call.
 */
static double cost_convert(struct ctl *c)
{
	struct timesync_model m;
	uint32_t seen = 1;
	uint64_t t0, acc = 0, cnt;
	int i;

	timesync_cell_load(&c->cell, &m);
	cnt = m.base_counter;
	t0 = mono_ns();
	for (i = 0; i < COST_N; i++) {
		timesync_cell_refresh(&c->cell, &m, &seen);
		acc += timesync_model_convert(&m, cnt + ((uint64_t)i & 4095));
	}
	sink = acc;
	return (double)(mono_ns() - t0) / COST_N;
}

/* ns per (rdtsc + refresh + convert): a TSC timestamp from nothing. */
static double cost_rdtsc_convert(struct ctl *c)
{
	struct timesync_model m;
	uint32_t seen = 1;
	uint64_t t0, acc = 0;
	int i;

	timesync_cell_load(&c->cell, &m);
	t0 = mono_ns();
	for (i = 0; i < COST_N; i++) {
		timesync_cell_refresh(&c->cell, &m, &seen);
		acc += timesync_model_convert(&m, plain_rdtsc());
	}
	sink = acc;
	return (double)(mono_ns() - t0) / COST_N;
}

/* ns per rdtsc alone: the floor under every clock read on this machine. */
static double cost_rdtsc(void)
{
	uint64_t t0, acc = 0;
	int i;

	t0 = mono_ns();
	for (i = 0; i < COST_N; i++) {
		acc += plain_rdtsc();
	}
	sink = acc;
	return (double)(mono_ns() - t0) / COST_N;
}

/* ns per clock_gettime(CLOCK_REALTIME). */
static double cost_gettime(void)
{
	struct timespec ts;
	uint64_t t0, acc = 0;
	int i;

	t0 = mono_ns();
	for (i = 0; i < COST_N; i++) {
		clock_gettime(CLOCK_REALTIME, &ts);
		acc += (uint64_t)ts.tv_nsec;
	}
	sink = acc;
	return (double)(mono_ns() - t0) / COST_N;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = { { "duration", required_argument, NULL, 'd' },
					    { "quick", no_argument, NULL, 'q' },
					    { "help", no_argument, NULL, 'h' },
					    { NULL, 0, NULL, 0 } };
	double duration = 60, conv[COST_RUNS], gt[COST_RUNS], rconv[COST_RUNS], rd[COST_RUNS];
	struct errstat ws[WINDOWS], all;
	struct ctl *c;
	pthread_t th;
	int64_t *err, *hw;
	size_t cap, n = 0, dropped = 0, wstart = 0, wdropped = 0;
	uint64_t t_end, t_start;
	int o, w = 0, i;

	while ((o = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (o) {
		case 'd':
			duration = atof(optarg);
			if (!(duration >= 1 && duration <= 86400)) {
				fprintf(stderr,
					"bench-timesync: --duration %s: give 1 to 86400 s\n",
					optarg);
				return 2;
			}
			break;
		case 'q':
			duration = 25;
			break;
		case 'h':
			printf("Usage: bench-timesync [--duration S (60)] [--quick (25 s)]\n");
			return 0;
		default:
			return 2;
		}
	}
	c = aligned_alloc(64, sizeof(*c));
	if (c == NULL) {
		return 1;
	}
	memset(c, 0, sizeof(*c));
	timesync_cell_init(&c->cell);
	if (pthread_create(&th, NULL, control, c) != 0) {
		perror("bench-timesync: pthread_create");
		return 1;
	}
	while (atomic_load(&c->ready) == 0) {
		struct timespec ms = { 0, 1000000 };

		nanosleep(&ms, NULL);
	}
	if (atomic_load(&c->ready) < 0) {
		fprintf(stderr, "bench-timesync: no calibrator\n");
		return 1;
	}

	/* Accuracy. */
	cap = (size_t)(duration * 1000) + 1024;
	err = calloc(cap, sizeof(*err));
	hw = calloc(cap, sizeof(*hw));
	if (err == NULL || hw == NULL) {
		return 1;
	}
	t_start = mono_ns();
	t_end = t_start + (uint64_t)(duration * 1e9);
	{
		struct timesync_model m;
		uint32_t seen = 1;
		uint64_t wlen = (t_end - t_start) / WINDOWS;

		timesync_cell_load(&c->cell, &m);

		while (mono_ns() < t_end && n < cap) {
			struct timespec r1, r2, ms = { 0, 1000000 };
			uint64_t tsc, a, b;

			timesync_cell_refresh(&c->cell, &m, &seen);
			clock_gettime(CLOCK_REALTIME, &r1);
			tsc = timesync_rdtsc();
			clock_gettime(CLOCK_REALTIME, &r2);
			a = ns_of(&r1);
			b = ns_of(&r2);
			if (b < a || b - a > MAX_WIDTH) {
				dropped++;
				wdropped++;
			} else {
				int64_t e = (int64_t)(timesync_model_convert(&m, tsc) -
						      (a + (b - a) / 2));

				err[n] = e < 0 ? -e : e;
				hw[n] = (int64_t)(b - a) / 2;
				n++;
			}
			/* Windows are disjoint slices; sorting one in place leaves the others
			 * alone, and the whole run is sorted last anyway. */
			if (w < WINDOWS - 1 && mono_ns() >= t_start + (uint64_t)(w + 1) * wlen) {
				stat_of(err + wstart, hw + wstart, n - wstart, wdropped, &ws[w]);
				wstart = n;
				wdropped = 0;
				w++;
			}
			nanosleep(&ms, NULL);
		}
		stat_of(err + wstart, hw + wstart, n - wstart, wdropped, &ws[w]);
		w++;
	}
	stat_of(err, hw, n, dropped, &all);

	/* Cost, alternated. */
	for (i = 0; i < COST_RUNS; i++) {
		conv[i] = cost_convert(c);
		gt[i] = cost_gettime();
		rconv[i] = cost_rdtsc_convert(c);
		rd[i] = cost_rdtsc();
	}
	atomic_store(&c->stop, 1);
	pthread_join(th, NULL);

	{
		struct timesync_model m;
		struct bench_stat cs = bench_stat_of(conv, COST_RUNS),
				  gs = bench_stat_of(gt, COST_RUNS),
				  rcs = bench_stat_of(rconv, COST_RUNS),
				  rs = bench_stat_of(rd, COST_RUNS);

		timesync_cell_load(&c->cell, &m);
		printf("timesync accuracy: %.0f s, %zu samples (%zu brackets over %d ns dropped), "
		       "%" PRIu64 " model updates, TSC fitted at %.3f MHz\n",
		       duration, all.n, all.dropped, MAX_WIDTH, (uint64_t)atomic_load(&c->updates),
		       timesync_model_hz(&m) / 1e6);
		printf("  %-44s %10s %10s %10s\n", "|convert(tsc) - CLOCK_REALTIME|", "median",
		       "p99", "max");
		printf("  %-44s %8.0f ns %8.0f ns %8.0f ns   (target: max < 1000 ns)\n",
		       "whole run", all.median, all.p99, all.max);
		for (i = 0; i < w; i++) {
			char lbl[64];

			snprintf(lbl, sizeof(lbl), "window %d (%zu samples)", i + 1, ws[i].n);
			printf("  %-44s %8.0f ns %8.0f ns %8.0f ns\n", lbl, ws[i].median, ws[i].p99,
			       ws[i].max);
		}
		printf("  %-44s %8.0f ns   (the measurement's own floor)\n", "half bracket, median",
		       all.half_width_median);
		printf("timesync cost, %d alternated runs of %d calls: median [min-max] ns/call\n",
		       COST_RUNS, COST_N);
		printf("  %-44s %6.2f [%.2f-%.2f]\n", "refresh + convert (counter in hand)",
		       cs.median, cs.min, cs.max);
		printf("  %-44s %6.2f [%.2f-%.2f]\n", "rdtsc + refresh + convert", rcs.median,
		       rcs.min, rcs.max);
		printf("  %-44s %6.2f [%.2f-%.2f]\n", "rdtsc alone", rs.median, rs.min, rs.max);
		printf("  %-44s %6.2f [%.2f-%.2f]\n", "clock_gettime(CLOCK_REALTIME)", gs.median,
		       gs.min, gs.max);
		printf("  %-44s %6.2f x   (target: >= 5 x)\n", "clock_gettime / convert",
		       gs.median / cs.median);
		printf("  %-44s %6.2f x   (clock_gettime reads the TSC too)\n",
		       "clock_gettime / (rdtsc + convert)", gs.median / rcs.median);
	}
	{
		double med[WINDOWS], p99[WINDOWS], mx[WINDOWS], hwm[WINDOWS];

		for (i = 0; i < w; i++) {
			med[i] = ws[i].median;
			p99[i] = ws[i].p99;
			mx[i] = ws[i].max;
			hwm[i] = ws[i].half_width_median;
		}
		bench_report_row("timesync error median", "ns", med, w, "half-bracket", hwm, w);
		bench_report_row("timesync error p99", "ns", p99, w, "half-bracket", hwm, w);
		bench_report_row("timesync error max", "ns", mx, w, "half-bracket", hwm, w);
		bench_report_row("timesync convert cost", "ns/call", conv, COST_RUNS,
				 "clock_gettime", gt, COST_RUNS);
		bench_report_row("timesync rdtsc+convert cost", "ns/call", rconv, COST_RUNS,
				 "clock_gettime", gt, COST_RUNS);
	}
	free(err);
	free(hw);
	free(c);
	return all.n == 0 ? 1 : 0;
}
