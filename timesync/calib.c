/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * calib.c - the TSC calibrator: brackets TSC reads between CLOCK_REALTIME reads, watches for
 * system clock steps, and feeds a fitter.
 *
 * Why not rte_get_tsc_hz(): DPDK rounds it to 10 MHz (1506 ppm off on the machine feedcap was
 * developed on, 1.5 ms of error per second).  Why a fit and not two readings: the bracket of
 * one reading is 20-60 ns wide and now and then an interrupt makes it microseconds; the
 * tightest of 16 brackets, then a line through half a minute of them, gives the rate to a few
 * ppb.
 *
 * Step detection: NTP and phc2sys slew CLOCK_REALTIME by changing the timekeeper's rate, which
 * moves CLOCK_MONOTONIC identically; only a step (clock_settime, ADJ_SETOFFSET, a leap second)
 * changes REALTIME - MONOTONIC.  So that difference, measured each sample, is a step detector
 * that a frequency correction can never trip.
 */
#include <errno.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "timesync.h"

struct timesync_calib {
	struct timesync_calib_params p;
	struct timesync_fit *fit;
	int64_t rt_minus_mono; /* REALTIME - MONOTONIC at the last sample */
	bool have_rt_minus_mono;
	bool stepped;
};

uint64_t timesync_rdtsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	/* lfence: the read is not hoisted above the clock read before it (the vDSO orders its
	 * own rdtsc the same way), so the bracket really brackets it. */
	_mm_lfence();
	return __rdtsc();
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

static uint64_t default_counter(void *arg)
{
	(void)arg;
	return timesync_rdtsc();
}

static uint64_t default_clock(void *arg, clockid_t clk)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct timesync_calib *timesync_calib_create(const struct timesync_calib_params *p)
{
	struct timesync_calib *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		return NULL;
	}
	if (p != NULL) {
		c->p = *p;
	}
	if (c->p.read_counter == NULL) {
		c->p.read_counter = default_counter;
	}
	if (c->p.read_clock == NULL) {
		c->p.read_clock = default_clock;
	}
	if (c->p.brackets == 0) {
		c->p.brackets = 16;
	}
	if (c->p.step_detect_ns == 0) {
		c->p.step_detect_ns = 20000;
	}
	c->p.fit.clamp_past = true;
	c->p.fit.source = RINGSHM_F_TS_SRC_TSC;
	c->fit = timesync_fit_create(&c->p.fit);
	if (c->fit == NULL) {
		int e = errno;

		free(c);
		errno = e;
		return NULL;
	}
	return c;
}

void timesync_calib_destroy(struct timesync_calib *c)
{
	if (c == NULL) {
		return;
	}
	timesync_fit_destroy(c->fit);
	free(c);
}

/* REALTIME - MONOTONIC, with a REALTIME bracket around the MONOTONIC read. */
static int64_t rt_minus_mono(struct timesync_calib *c)
{
	uint64_t r1 = c->p.read_clock(c->p.arg, CLOCK_REALTIME);
	uint64_t m = c->p.read_clock(c->p.arg, CLOCK_MONOTONIC);
	uint64_t r2 = c->p.read_clock(c->p.arg, CLOCK_REALTIME);

	return (int64_t)(r1 + (r2 - r1) / 2 - m);
}

int timesync_calib_sample(struct timesync_calib *c, struct timesync_model *out)
{
	struct timesync_bracket best = { 0 };
	uint64_t best_w = UINT64_MAX;
	int64_t d;
	uint32_t i;
	int rc;

	for (i = 0; i < c->p.brackets; i++) {
		struct timesync_bracket b;

		b.sys_before = c->p.read_clock(c->p.arg, CLOCK_REALTIME);
		b.counter = c->p.read_counter(c->p.arg);
		b.sys_after = c->p.read_clock(c->p.arg, CLOCK_REALTIME);
		if (b.sys_after < b.sys_before) {
			continue; /* the clock stepped back inside the bracket */
		}
		if (b.sys_after - b.sys_before < best_w) {
			best = b;
			best_w = b.sys_after - b.sys_before;
		}
	}
	d = rt_minus_mono(c);
	c->stepped = c->have_rt_minus_mono &&
		     (uint64_t)llabs(d - c->rt_minus_mono) > c->p.step_detect_ns;
	c->rt_minus_mono = d;
	c->have_rt_minus_mono = true;
	if (best_w == UINT64_MAX) {
		return -EAGAIN;
	}
	rc = timesync_fit_add(c->fit, &best);
	if (rc == -ERANGE) {
		/* The TSC went backwards: another CPU's unsynchronised TSC, or a reset.  The fitter
		 * started over with this sample. */
		rc = timesync_fit_add(c->fit, &best);
	}
	if (rc < 0) {
		return rc;
	}
	return timesync_fit_update(c->fit, c->stepped, out);
}

bool timesync_calib_stepped(const struct timesync_calib *c)
{
	return c->stepped;
}

void timesync_calib_info(const struct timesync_calib *c, struct timesync_fit_info *out)
{
	timesync_fit_info(c->fit, out);
}

int timesync_calib_step(struct timesync_calib *c, enum timesync_state state, uint64_t threshold_ns,
			struct timesync_cell *cell, struct timesync_model *out)
{
	struct timesync_model m;
	int rc = timesync_calib_sample(c, &m);

	if (rc < 0) {
		return rc;
	}
	timesync_model_set_quality(&m, state, threshold_ns);
	if (cell != NULL) {
		timesync_cell_store(cell, &m);
	}
	if (out != NULL) {
		*out = m;
	}
	return 0;
}
