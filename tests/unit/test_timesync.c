/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_timesync.c - clock models, fitter, TSC calibrator (with an injected counter and
 * injected clocks), record flags, the PTP state machine, the management message codec and the
 * clock block checks.
 *
 * The injected world: a "true" time in ns advances by `cost` on every read (so a bracket is
 * 2 x cost wide, plus a pseudo-random extra now and then, like an interrupt), CLOCK_REALTIME =
 * true + rt_off (a step changes rt_off only: CLOCK_MONOTONIC does not move), and the counter
 * runs at hz ticks per true second.  A rate change of the counter against the clocks is what
 * NTP/phc2sys slewing the system clock looks like from the TSC's side.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fctest.h"
#include "timesync.h"
#include "timesync_internal.h"
#include "ringshm.h"

/* ------------------------------------------------------------------ injected world */

struct world {
	uint64_t now;	 /* true ns */
	int64_t rt_off;	 /* REALTIME - true */
	double hz;	 /* counter ticks per true second */
	double cnt;	 /* counter, fractional */
	uint64_t cnt_at; /* true time cnt refers to */
	uint64_t cost;	 /* ns per read */
	uint32_t rng;	 /* jitter */
	uint32_t jitter; /* extra ns on one read in 8, at most */
};

static void w_advance(struct world *w, uint64_t ns)
{
	w->now += ns;
}

static uint64_t w_counter_at(struct world *w)
{
	/* Integrate the counter piecewise so a rate change does not rewrite history. */
	w->cnt += (double)(w->now - w->cnt_at) * w->hz / 1e9;
	w->cnt_at = w->now;
	return (uint64_t)w->cnt;
}

static void w_set_hz(struct world *w, double hz)
{
	w_counter_at(w);
	w->hz = hz;
}

static uint64_t w_tick(struct world *w)
{
	uint64_t extra = 0;

	w->rng = w->rng * 1103515245u + 12345u;
	if (w->jitter != 0 && ((w->rng >> 16) & 7) == 0) {
		extra = (w->rng >> 8) % w->jitter;
	}
	return w->cost + extra;
}

static uint64_t w_read_counter(void *arg)
{
	struct world *w = arg;
	uint64_t c;

	w_advance(w, w_tick(w));
	c = w_counter_at(w);
	return c;
}

static uint64_t w_read_clock(void *arg, clockid_t clk)
{
	struct world *w = arg;
	uint64_t t;

	w_advance(w, w_tick(w));
	t = w->now;
	if (clk == CLOCK_REALTIME) {
		return (uint64_t)((int64_t)t + w->rt_off);
	}
	return t;
}

/* What the counter reads now and what REALTIME truly is at that instant. */
static void w_truth(struct world *w, uint64_t *counter, uint64_t *real)
{
	*counter = w_counter_at(w);
	*real = (uint64_t)((int64_t)w->now + w->rt_off);
}

static void w_init(struct world *w, double hz)
{
	memset(w, 0, sizeof(*w));
	w->now = UINT64_C(1700000000) * 1000000000u; /* true time: a 2023 date */
	w->rt_off = 0;
	w->hz = hz;
	w->cnt = 123456789.0;
	w->cnt_at = w->now;
	w->cost = 15;
	w->rng = 42;
	w->jitter = 2000;
}

static struct timesync_calib *w_calib(struct world *w)
{
	struct timesync_calib_params p = { 0 };
	struct timesync_calib *c;

	p.read_counter = w_read_counter;
	p.read_clock = w_read_clock;
	p.arg = w;
	c = timesync_calib_create(&p);
	cr_assert_not_null(c);
	return c;
}

/* Sample every `every` ns of true time, n times; returns the last model. */
static void w_run(struct world *w, struct timesync_calib *c, int n, uint64_t every,
		  struct timesync_model *m)
{
	int i;

	for (i = 0; i < n; i++) {
		int rc = timesync_calib_sample(c, m);

		/* The first sample cannot give a rate. */
		cr_assert(rc == 0 || (i == 0 && rc == -EAGAIN), "sample %d: %d", i, rc);
		w_advance(w, every);
	}
}

static int64_t w_error(struct world *w, const struct timesync_model *m)
{
	uint64_t c, real;

	w_truth(w, &c, &real);
	return (int64_t)(timesync_model_convert(m, c) - real);
}

/* ------------------------------------------------------------------ model */

Test(model, convert_exact_and_backwards)
{
	struct timesync_model m = { 0 };

	/* A counter in ns: mult = 2^32 with shift 32 is the identity. */
	m.base_counter = 1000;
	m.base_ns = 5000000000;
	m.mult = UINT64_C(1) << 32;
	m.shift = 32;
	m.flags = TIMESYNC_MODEL_F_VALID;
	cr_assert_eq(timesync_model_convert(&m, 1000), 5000000000u);
	cr_assert_eq(timesync_model_convert(&m, 1500), 5000000500u);
	cr_assert_eq(timesync_model_convert(&m, 400), 4999999400u);
	m.flags |= TIMESYNC_MODEL_F_CLAMP_PAST;
	cr_assert_eq(timesync_model_convert(&m, 400), 5000000000u);
	cr_assert_eq(timesync_model_convert(&m, 1500), 5000000500u);
}

Test(model, convert_large_delta_no_overflow)
{
	struct timesync_model m = { 0 };
	double hz = 2596091234.0;
	uint64_t day = UINT64_C(86400) * (uint64_t)hz;
	long double ref;

	m.base_counter = UINT64_C(1) << 40;
	m.base_ns = UINT64_C(1700000000000000000);
	m.mult = (uint64_t)llroundl((long double)1e9 / hz * 4294967296.0L);
	m.shift = 32;
	m.flags = TIMESYNC_MODEL_F_VALID;
	/* One day of a 2.6 GHz counter: 2.2e14 ticks, times a 31-bit mult, needs 128 bits. */
	ref = (long double)m.base_ns + (long double)day * (long double)m.mult / 4294967296.0L;
	cr_assert_lt(fabsl((long double)timesync_model_convert(&m, m.base_counter + day) - ref),
		     2.0L);
	cr_assert_float_eq(timesync_model_hz(&m), hz, 1.0);
}

Test(model, cell_roundtrip_and_refresh)
{
	struct timesync_cell cell;
	struct timesync_model a = { 0 }, b;
	uint32_t seen = 1;

	timesync_cell_init(&cell);
	a.base_counter = 1;
	a.base_ns = 2;
	a.mult = 3;
	a.computed_ns = 4;
	a.err_ns = 5;
	a.shift = 6;
	a.rec_flags = 7;
	a.flags = 8;
	a.state = 2;
	a.source = 1;
	a.generation = 9;
	timesync_cell_store(&cell, &a);
	cr_assert(timesync_cell_refresh(&cell, &b, &seen));
	cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0);
	cr_assert_not(timesync_cell_refresh(&cell, &b, &seen), "nothing changed");
	a.generation = 10;
	timesync_cell_store(&cell, &a);
	cr_assert(timesync_cell_refresh(&cell, &b, &seen));
	cr_assert_eq(b.generation, 10);
	memset(&b, 0, sizeof(b));
	timesync_cell_load(&cell, &b);
	cr_assert_eq(memcmp(&a, &b, sizeof(a)), 0);
}

/* ------------------------------------------------------------------ states and flags */

Test(flags, state_names_are_the_interface)
{
	enum timesync_state s;

	cr_assert_str_eq(timesync_state_name(TIMESYNC_LOCKED), "locked");
	cr_assert_str_eq(timesync_state_name(TIMESYNC_HOLDOVER), "holdover");
	cr_assert_str_eq(timesync_state_name(TIMESYNC_UNLOCKED), "unlocked");
	cr_assert_str_eq(timesync_state_name(TIMESYNC_FREE_RUNNING), "free-running");
	cr_assert_str_eq(timesync_state_name((enum timesync_state)17), "?");
	cr_assert_eq(timesync_state_parse("holdover", &s), 0);
	cr_assert_eq(s, TIMESYNC_HOLDOVER);
	cr_assert_eq(timesync_state_parse("free-running", &s), 0);
	cr_assert_eq(s, TIMESYNC_FREE_RUNNING);
	cr_assert_eq(timesync_state_parse("synced", &s), -EINVAL);
	cr_assert_str_eq(timesync_port_state_name(9), "SLAVE");
	cr_assert_str_eq(timesync_port_state_name(4), "LISTENING");
	cr_assert_str_eq(timesync_port_state_name(0), "?");
}

Test(flags, record_flags_follow_state)
{
	const uint16_t S = RINGSHM_F_TS_SYNC, H = RINGSHM_F_TS_HOLDOVER, X = RINGSHM_F_TS_STEPPED;

	cr_assert_eq(timesync_record_flags(TIMESYNC_LOCKED, 10, 1000, false), S);
	cr_assert_eq(timesync_record_flags(TIMESYNC_LOCKED, 1000, 1000, false), S);
	/* Locked PTP but a model worse than the threshold: not synchronised. */
	cr_assert_eq(timesync_record_flags(TIMESYNC_LOCKED, 1001, 1000, false), 0);
	cr_assert_eq(timesync_record_flags(TIMESYNC_LOCKED, 10, 1000, true), S | X);
	cr_assert_eq(timesync_record_flags(TIMESYNC_HOLDOVER, 10, 1000, false), H);
	cr_assert_eq(timesync_record_flags(TIMESYNC_HOLDOVER, 5000, 1000, true), H | X);
	cr_assert_eq(timesync_record_flags(TIMESYNC_UNLOCKED, 10, 1000, false), 0);
	cr_assert_eq(timesync_record_flags(TIMESYNC_FREE_RUNNING, 0, 1000, false), 0);
	cr_assert_eq(timesync_record_flags(TIMESYNC_FREE_RUNNING, 0, 1000, true), X);
}

Test(flags, set_quality_keeps_fitter_stepped_bit)
{
	struct timesync_model m = { 0 };

	m.err_ns = 100;
	m.rec_flags = RINGSHM_F_TS_STEPPED;
	timesync_model_set_quality(&m, TIMESYNC_LOCKED, 1000);
	cr_assert_eq(m.state, TIMESYNC_LOCKED);
	cr_assert_eq(m.rec_flags, RINGSHM_F_TS_SYNC | RINGSHM_F_TS_STEPPED);
	m.rec_flags = 0;
	timesync_model_set_quality(&m, TIMESYNC_HOLDOVER, 1000);
	cr_assert_eq(m.rec_flags, RINGSHM_F_TS_HOLDOVER);
}

/* ------------------------------------------------------------------ calibrator */

Test(calib, needs_a_span_before_the_first_model)
{
	struct world w;
	struct timesync_calib *c;
	struct timesync_model m;

	w_init(&w, 2596091234.0);
	c = w_calib(&w);
	cr_assert_eq(timesync_calib_sample(c, &m), -EAGAIN);
	w_advance(&w, 1000000); /* 1 ms: below the 10 ms span */
	cr_assert_eq(timesync_calib_sample(c, &m), -EAGAIN);
	w_advance(&w, 10000000);
	cr_assert_eq(timesync_calib_sample(c, &m), 0);
	cr_assert(timesync_model_valid(&m));
	/* A rate fitted over 11 ms is uncertain by ppm: microseconds over the next second, and
	 * the model must say so (no SYNC flag from it yet). */
	cr_assert_gt(m.err_ns, 1000u, "err_ns %u for a 11 ms fit", m.err_ns);
	cr_assert_eq(timesync_record_flags(TIMESYNC_LOCKED, m.err_ns, 1000, false), 0);
	cr_assert(m.flags & TIMESYNC_MODEL_F_CLAMP_PAST);
	cr_assert_eq(m.source, RINGSHM_F_TS_SRC_TSC);
	timesync_calib_destroy(c);
}

Test(calib, rate_error_is_tiny_with_a_non_round_frequency)
{
	struct world w;
	struct timesync_calib *c;
	struct timesync_model m;
	struct timesync_fit_info info;
	double hz = 2596091234.0; /* rte_get_tsc_hz() would say 2600000000: 1506 ppm off */
	int64_t err;

	w_init(&w, hz);
	c = w_calib(&w);
	w_run(&w, c, 40, 1000000000, &m);
	timesync_calib_info(c, &info);
	cr_assert_lt(fabs(info.hz - hz) / hz, 5e-9, "fitted %.3f Hz for %.3f (%.3f ppb)", info.hz,
		     hz, (info.hz - hz) / hz * 1e9);
	/* One second after the last sample, the model is still within 100 ns of the truth. */
	err = w_error(&w, &m);
	cr_assert_lt(llabs(err), 100, "error %lld ns", (long long)err);
	cr_assert_lt(m.err_ns, 1000u);
	cr_assert_gt(m.err_ns, 0u);
	cr_assert_eq(info.steps, 0u);
	timesync_calib_destroy(c);
}

Test(calib, slews_without_going_backwards_or_jumping)
{
	struct world w;
	struct timesync_calib *c;
	struct timesync_model m, prev;
	uint64_t last_ts = 0;
	int i, k;

	w_init(&w, 3000000000.0);
	c = w_calib(&w);
	w_run(&w, c, 20, 1000000000, &m);
	/* The system clock starts being slewed 80 ppm against the TSC (NTP or phc2sys at work):
	 * the model must follow by slewing, never stepping, never going back. */
	w_set_hz(&w, 3000000000.0 * (1 + 80e-6));
	for (i = 0; i < 60; i++) {
		uint64_t c0, real, cb;

		/* Conversions all through the second before the update, with the old model. */
		for (k = 0; k < 100; k++) {
			uint64_t ts;

			w_advance(&w, 9990000);
			w_truth(&w, &c0, &real);
			ts = timesync_model_convert(&m, c0);
			cr_assert_geq(ts, last_ts, "went back by %llu ns before update %d",
				      (unsigned long long)(last_ts - ts), i);
			last_ts = ts;
		}
		prev = m;
		cr_assert_eq(timesync_calib_sample(c, &m), 0);
		cr_assert_not(m.flags & TIMESYNC_MODEL_F_STEPPED, "stepped at update %d", i);
		cr_assert_not(timesync_calib_stepped(c));
		/* No jump at the switch: old and new agree at the new base. */
		cb = m.base_counter;
		cr_assert_leq(llabs((int64_t)(timesync_model_convert(&m, cb) -
					      timesync_model_convert(&prev, cb))),
			      1, "jump at update %d", i);
		/* A counter read just before the update converts, with the new model, to no less
		 * than what the old one gave it. */
		cr_assert_geq(timesync_model_convert(&m, cb - 1000),
			      timesync_model_convert(&prev, cb - 1000));
		/* And the published rate never strays more than max slew from the fit. */
		{
			struct timesync_fit_info info;

			timesync_calib_info(c, &info);
			cr_assert_leq(fabs(info.ppm), 100.0 + 1e-6);
		}
	}
	/* Converged on the new rate: within a microsecond. */
	cr_assert_lt(llabs(w_error(&w, &m)), 1000, "error %lld ns", (long long)w_error(&w, &m));
	timesync_calib_destroy(c);
}

Test(calib, detects_a_step_and_flags_it)
{
	struct world w;
	struct timesync_calib *c;
	struct timesync_model m;
	struct timesync_fit_info info;
	int i;

	w_init(&w, 2596091234.0);
	c = w_calib(&w);
	w_run(&w, c, 10, 1000000000, &m);
	cr_assert_eq(m.rec_flags & RINGSHM_F_TS_STEPPED, 0);
	/* Someone sets the clock 3 ms ahead: REALTIME moves, MONOTONIC does not. */
	w.rt_off += 3000000;
	cr_assert_eq(timesync_calib_sample(c, &m), 0);
	cr_assert(timesync_calib_stepped(c));
	cr_assert(m.flags & TIMESYNC_MODEL_F_STEPPED);
	cr_assert(m.rec_flags & RINGSHM_F_TS_STEPPED);
	/* The model followed the step at once (no 30 s slew of 3 ms). */
	cr_assert_lt(llabs(w_error(&w, &m)), 1000, "error %lld ns", (long long)w_error(&w, &m));
	timesync_calib_info(c, &info);
	cr_assert_eq(info.steps, 1u);
	/* Records keep the STEPPED flag for stepped_hold_ns (2 s), then lose it. */
	w_advance(&w, 1000000000);
	cr_assert_eq(timesync_calib_sample(c, &m), 0);
	cr_assert_not(timesync_calib_stepped(c));
	cr_assert(m.rec_flags & RINGSHM_F_TS_STEPPED);
	for (i = 0; i < 3; i++) {
		w_advance(&w, 1000000000);
		cr_assert_eq(timesync_calib_sample(c, &m), 0);
	}
	cr_assert_eq(m.rec_flags & RINGSHM_F_TS_STEPPED, 0);
	/* And a step back is caught too. */
	w.rt_off -= 50000;
	cr_assert_eq(timesync_calib_sample(c, &m), 0);
	cr_assert(timesync_calib_stepped(c));
	cr_assert_lt(llabs(w_error(&w, &m)), 1000);
	timesync_calib_destroy(c);
}

Test(calib, rate_change_is_never_taken_for_a_step)
{
	struct world w;
	struct timesync_calib *c;
	struct timesync_model m;
	int i;

	w_init(&w, 2000000000.0);
	c = w_calib(&w);
	w_run(&w, c, 5, 1000000000, &m);
	/* 500 ppm, the kernel's largest NTP frequency correction, moves REALTIME and MONOTONIC
	 * alike: the detector must stay quiet. */
	w_set_hz(&w, 2000000000.0 * (1 - 500e-6));
	for (i = 0; i < 20; i++) {
		w_advance(&w, 1000000000);
		cr_assert_eq(timesync_calib_sample(c, &m), 0);
		cr_assert_not(timesync_calib_stepped(c), "false step at %d", i);
	}
	timesync_calib_destroy(c);
}

Test(calib, step_sets_cell_and_flags_from_state)
{
	struct world w;
	struct timesync_calib *c;
	struct timesync_cell cell;
	struct timesync_model m, seen;
	int i;

	w_init(&w, 2400000000.0);
	c = w_calib(&w);
	timesync_cell_init(&cell);
	cr_assert_eq(timesync_calib_step(c, TIMESYNC_LOCKED, 1000, &cell, &m), -EAGAIN);
	for (i = 0; i < 5; i++) {
		w_advance(&w, 1000000000);
		cr_assert_eq(timesync_calib_step(c, TIMESYNC_LOCKED, 1000, &cell, &m), 0);
	}
	timesync_cell_load(&cell, &seen);
	cr_assert_eq(memcmp(&m, &seen, sizeof(m)), 0);
	cr_assert_eq(seen.state, TIMESYNC_LOCKED);
	cr_assert_eq(seen.rec_flags, RINGSHM_F_TS_SYNC);
	cr_assert_eq(timesync_calib_step(c, TIMESYNC_HOLDOVER, 1000, &cell, &m), 0);
	timesync_cell_load(&cell, &seen);
	cr_assert_eq(seen.rec_flags, RINGSHM_F_TS_HOLDOVER);
	timesync_calib_destroy(c);
}

Test(calib, real_tsc_against_real_clock)
{
	struct timesync_calib *c = timesync_calib_create(NULL);
	struct timesync_model m;
	struct timespec ts, ms20 = { 0, 20000000 };
	uint64_t tsc, real;
	int i, rc = -EAGAIN;

	cr_assert_not_null(c);
	for (i = 0; i < 10; i++) {
		rc = timesync_calib_sample(c, &m);
		nanosleep(&ms20, NULL);
	}
	cr_assert_eq(rc, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	tsc = timesync_rdtsc();
	real = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	/* 200 ms of calibration on a noisy shared machine: within 50 us a few ms later. */
	cr_assert_lt(llabs((int64_t)(timesync_model_convert(&m, tsc) - real)), 50000);
	timesync_calib_destroy(c);
}

/* ------------------------------------------------------------------ fitter (NIC clocks) */

Test(fit, microsecond_counter_with_wide_brackets)
{
	struct timesync_fit *f = timesync_fit_create(NULL);
	struct timesync_model m;
	uint64_t t0 = UINT64_C(1700000000000000000);
	int i;

	cr_assert_not_null(f);
	/* A NIC clock ticking in microseconds, 37 s ahead (TAI-like), 20 ppm fast, read through a
	 * PCIe access 1-3 us wide. */
	for (i = 0; i < 30; i++) {
		uint64_t t = t0 + (uint64_t)i * 1000000000u;
		uint64_t w = 1000 + (uint64_t)(i * 677) % 2000;
		struct timesync_bracket b = {
			.counter = (uint64_t)((double)(t - t0) * 1.00002 / 1000.0) + (t0 / 1000) +
				   37000000,
			.sys_before = t - w / 2,
			.sys_after = t + w / 2,
		};

		cr_assert_eq(timesync_fit_add(f, &b), 0);
		cr_assert_eq(timesync_fit_update(f, false, &m), i == 0 ? -EAGAIN : 0, "i=%d", i);
	}
	{
		uint64_t t = t0 + UINT64_C(30) * 1000000000u;
		uint64_t cnt =
			(uint64_t)((double)(t - t0) * 1.00002 / 1000.0) + (t0 / 1000) + 37000000;

		cr_assert_lt(llabs((int64_t)(timesync_model_convert(&m, cnt) - t)), 2000);
	}
	cr_assert_not(m.flags & TIMESYNC_MODEL_F_CLAMP_PAST);
	{
		struct timesync_fit_info info;

		/* The fit: within 0.05 ppm despite whole-microsecond readings.  The model runs at
		 * the fit plus the slew correction of the quantisation noise: within 1 ppm. */
		timesync_fit_info(f, &info);
		cr_assert_float_eq(info.hz, 1e6 * 1.00002, 0.05, "fit %.6f Hz", info.hz);
		cr_assert_float_eq(timesync_model_hz(&m), 1e6 * 1.00002, 1.0);
	}
	timesync_fit_destroy(f);
}

Test(fit, rejects_bad_brackets_and_resets_on_counter_reset)
{
	struct timesync_fit *f = timesync_fit_create(NULL);
	struct timesync_bracket b = { .counter = 1000, .sys_before = 200, .sys_after = 100 };
	struct timesync_fit_info info;
	struct timesync_model m;
	struct timesync_fit_params bad = { .window = 1 };

	cr_assert_eq(timesync_fit_add(f, &b), -EINVAL);
	b.sys_before = 100;
	b.sys_after = 200;
	cr_assert_eq(timesync_fit_add(f, &b), 0);
	b.counter = 2000000;
	b.sys_before += 100000000;
	b.sys_after += 100000000;
	cr_assert_eq(timesync_fit_add(f, &b), 0);
	cr_assert_eq(timesync_fit_update(f, false, &m), 0);
	b.counter = 5; /* the NIC restarted */
	cr_assert_eq(timesync_fit_add(f, &b), -ERANGE);
	timesync_fit_info(f, &info);
	cr_assert_eq(info.samples, 0u);
	cr_assert_eq(timesync_fit_update(f, false, &m), -EAGAIN);
	timesync_fit_destroy(f);
	errno = 0;
	cr_assert_null(timesync_fit_create(&bad));
	cr_assert_eq(errno, EINVAL);
}

Test(fit, large_offset_steps_even_without_a_clock_step)
{
	struct timesync_fit *f = timesync_fit_create(NULL);
	struct timesync_model m;
	uint64_t t = UINT64_C(1700000000000000000);
	int i;

	for (i = 0; i < 5; i++, t += 1000000000u) {
		struct timesync_bracket b = { (uint64_t)i * 1000000000u, t - 20, t + 20 };

		cr_assert_eq(timesync_fit_add(f, &b), 0);
		timesync_fit_update(f, false, &m);
	}
	/* The counter's relation to the clock moves by 5 ms (beyond step_ns, 1 ms). */
	{
		struct timesync_bracket b = { 5000000000u, t + 5000000 - 20, t + 5000000 + 20 };

		cr_assert_eq(timesync_fit_add(f, &b), 0);
		cr_assert_eq(timesync_fit_update(f, false, &m), 0);
		cr_assert(m.flags & TIMESYNC_MODEL_F_STEPPED);
		cr_assert(m.rec_flags & RINGSHM_F_TS_STEPPED);
	}
	timesync_fit_destroy(f);
}

/* ------------------------------------------------------------------ PTP state machine */

static struct timesync_ptp *ptp_open_test(uint64_t thr, uint64_t hold)
{
	struct timesync_ptp_params p = {
		.ptp4l_socket = "/nonexistent/ptp4l",
		.local_dir = "/tmp",
		.threshold_ns = thr,
		.holdover_ns = hold,
		.stale_ns = 3000000000u,
		.history = 8,
	};
	struct timesync_error err = { 0 };
	struct timesync_ptp *t = timesync_ptp_open(&p, &err);

	cr_assert_not_null(t, "%s", err.msg);
	return t;
}

static struct timesync_ptp_obs obs_slave(int64_t off, int64_t ingress)
{
	struct timesync_ptp_obs o = { 0 };

	o.reachable = true;
	o.have_port = true;
	o.port_state = TIMESYNC_PS_SLAVE;
	o.gm_present = true;
	o.master_offset_ns = off;
	o.ingress_ns = ingress;
	o.timestamping = 0;
	return o;
}

#define SEC UINT64_C(1000000000)

Test(ptp, state_machine_locked_holdover_unlocked)
{
	struct timesync_ptp *t = ptp_open_test(1000, 10 * SEC);
	struct timesync_ptp_obs none = { .timestamping = -1 }, o;
	struct timesync_ptp_status st;
	uint64_t now = 1000 * SEC;
	int64_t ingress = 1;

	/* Never reached: free-running. */
	timesync_ptp_feed(t, &none, now, &st);
	cr_assert_eq(st.state, TIMESYNC_FREE_RUNNING);
	cr_assert_eq(st.blk.polls_failed, 1u);
	/* Reached, listening: unlocked. */
	o = obs_slave(0, ingress);
	o.port_state = 4;
	timesync_ptp_feed(t, &o, now += SEC, &st);
	cr_assert_eq(st.state, TIMESYNC_UNLOCKED);
	/* SLAVE with a fresh Sync and a small offset: locked. */
	o = obs_slave(-300, ++ingress);
	timesync_ptp_feed(t, &o, now += SEC, &st);
	cr_assert_eq(st.state, TIMESYNC_LOCKED);
	cr_assert_eq(st.blk.offset_ns, -300);
	cr_assert_eq(st.sys_sync, TIMESYNC_SYS_IS_PTP);
	cr_assert_eq(st.blk.last_locked_ns, now);
	/* Offset out of the threshold: holdover (was locked, within holdover). */
	o = obs_slave(5000, ++ingress);
	timesync_ptp_feed(t, &o, now += SEC, &st);
	cr_assert_eq(st.state, TIMESYNC_HOLDOVER);
	o = obs_slave(200, ++ingress);
	timesync_ptp_feed(t, &o, now += SEC, &st);
	cr_assert_eq(st.state, TIMESYNC_LOCKED);
	/* The master goes silent: the ingress time stops; after stale_ns (3 s): holdover. */
	timesync_ptp_feed(t, &o, now += SEC, &st);
	cr_assert_eq(st.state, TIMESYNC_LOCKED);
	timesync_ptp_feed(t, &o, now += SEC, &st);
	timesync_ptp_feed(t, &o, now += SEC, &st);
	cr_assert_eq(st.state, TIMESYNC_LOCKED, "exactly stale_ns is still fresh");
	timesync_ptp_feed(t, &o, now += SEC, &st);
	cr_assert_eq(st.state, TIMESYNC_HOLDOVER);
	cr_assert_eq(st.blk.state_since_ns, now);
	/* ptp4l itself disappears: still holdover until holdover_ns after the last lock. */
	timesync_ptp_feed(t, &none, now += 5 * SEC, &st);
	cr_assert_eq(st.state, TIMESYNC_HOLDOVER);
	cr_assert_not(st.blk.reachable);
	timesync_ptp_feed(t, &none, now += 3 * SEC, &st);
	cr_assert_eq(st.state, TIMESYNC_HOLDOVER, "9 s after the last lock");
	timesync_ptp_feed(t, &none, now += SEC, &st);
	cr_assert_eq(st.state, TIMESYNC_UNLOCKED, "holdover expired: unlocked, not free-running");
	/* Back: locked again. */
	o = obs_slave(10, ++ingress);
	timesync_ptp_feed(t, &o, now += SEC, &st);
	cr_assert_eq(st.state, TIMESYNC_LOCKED);
	/* A master that is not present (gmPresent false) never locks. */
	o = obs_slave(10, ++ingress);
	o.gm_present = false;
	timesync_ptp_feed(t, &o, now += 11 * SEC, &st);
	cr_assert_eq(st.state, TIMESYNC_UNLOCKED);
	timesync_ptp_close(t);
}

Test(ptp, offset_history_stats)
{
	struct timesync_ptp *t = ptp_open_test(1000, 10 * SEC);
	struct timesync_ptp_status st;
	struct timesync_offset_sample h[16];
	const int64_t offs[] = { 100, -300, 400, -200, 0, 50, 7, -7, 1000, -1000 };
	double sq = 0;
	int i, n;

	for (i = 0; i < 10; i++) {
		struct timesync_ptp_obs o = obs_slave(offs[i], i + 1);

		timesync_ptp_feed(t, &o, (uint64_t)(i + 1) * SEC, &st);
	}
	/* History of 8: the last 8 offsets. */
	for (i = 2; i < 10; i++) {
		sq += (double)offs[i] * (double)offs[i];
	}
	cr_assert_eq(st.blk.history_n, 8u);
	cr_assert_eq(st.blk.offset_min_ns, -1000);
	cr_assert_eq(st.blk.offset_max_ns, 1000);
	cr_assert_eq(st.blk.offset_rms_ns, (uint64_t)llround(sqrt(sq / 8)));
	n = timesync_ptp_history(t, h, 16);
	cr_assert_eq(n, 8);
	cr_assert_eq(h[0].offset_ns, offs[2], "oldest first");
	cr_assert_eq(h[7].offset_ns, offs[9]);
	cr_assert_eq(h[7].sys_ns, 10 * SEC);
	n = timesync_ptp_history(t, h, 3);
	cr_assert_eq(n, 3);
	cr_assert_eq(h[2].offset_ns, offs[9]);
	timesync_ptp_close(t);
}

Test(ptp, disabled_is_free_running_and_phc_sys_check)
{
	struct timesync_ptp_params p = { .disabled = true };
	struct timesync_ptp *t = timesync_ptp_open(&p, NULL);
	struct timesync_ptp_obs o = obs_slave(0, 1);
	struct timesync_ptp_status st;

	cr_assert_not_null(t);
	timesync_ptp_feed(t, &o, SEC, &st);
	cr_assert_eq(st.state, TIMESYNC_FREE_RUNNING);
	timesync_ptp_close(t);

	t = ptp_open_test(1000, SEC);
	o.timestamping = 1; /* hardware: the system clock needs phc2sys */
	o.have_sys_offset = true;
	o.sys_offset_ns = 400;
	timesync_ptp_feed(t, &o, SEC, &st);
	cr_assert_eq(st.sys_sync, TIMESYNC_SYS_IN_STEP);
	cr_assert_eq(st.blk.sys_offset_ns, 400);
	o.sys_offset_ns = -40000;
	timesync_ptp_feed(t, &o, 2 * SEC, &st);
	cr_assert_eq(st.sys_sync, TIMESYNC_SYS_OFF_STEP);
	o.have_sys_offset = false;
	timesync_ptp_feed(t, &o, 3 * SEC, &st);
	cr_assert_eq(st.sys_sync, TIMESYNC_SYS_UNKNOWN);
	timesync_ptp_close(t);
}

Test(ptp, unreachable_socket_answers_nothing_quickly)
{
	struct timesync_ptp *t = ptp_open_test(1000, SEC);
	struct timesync_ptp_obs o;

	cr_assert_eq(timesync_ptp_query(t, &o), 0);
	cr_assert_not(o.reachable);
	timesync_ptp_close(t);
}

Test(ptp, socket_path_too_long_is_named)
{
	char longp[200];
	struct timesync_ptp_params p = { .ptp4l_socket = longp };
	struct timesync_error err = { 0 };

	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	cr_assert_null(timesync_ptp_open(&p, &err));
	cr_assert_eq(errno, ENAMETOOLONG);
	cr_assert_not_null(strstr(err.msg, "too long"));
	cr_assert_not_null(strstr(err.msg, "/aaaa"));
}

/* ------------------------------------------------------------------ management codec */

Test(pmc, encode_get_time_status)
{
	uint8_t buf[256];
	size_t n = pmc_encode_get(buf, sizeof(buf), PMC_MID_TIME_STATUS_NP, 0x1234, 7, 0x4321);

	/* 34 header + 10 target + 4 + TLV (4 + 2 id + 50 zero data) */
	cr_assert_eq(n, 104u);
	cr_assert_eq(buf[0] & 0x0f, 0x0d, "management message");
	cr_assert_eq(buf[1] & 0x0f, 2, "PTPv2");
	cr_assert_eq((buf[2] << 8) | buf[3], 104);
	cr_assert_eq(buf[4], 7, "domain");
	cr_assert_eq((buf[28] << 8) | buf[29], 0x4321, "source port number");
	cr_assert_eq((buf[30] << 8) | buf[31], 0x1234, "sequence id");
	cr_assert_eq(buf[32], 4, "control: management");
	for (int i = 34; i < 44; i++) {
		cr_assert_eq(buf[i], 0xff, "wildcard target at %d", i);
	}
	cr_assert_eq(buf[46] & 0x0f, 0, "GET");
	cr_assert_eq((buf[48] << 8) | buf[49], 1, "TLV MANAGEMENT");
	cr_assert_eq((buf[50] << 8) | buf[51], 52, "TLV length: id + 50 data bytes");
	cr_assert_eq((buf[52] << 8) | buf[53], 0xC000);
	cr_assert_eq(pmc_encode_get(buf, 50, PMC_MID_TIME_STATUS_NP, 1, 0, 1), 0u, "too small");
}

/* A response as ptp4l builds it: the request turned around, action RESPONSE, data filled. */
static size_t make_resp(uint8_t *buf, uint16_t seq, uint16_t tlv_type, uint16_t mid,
			const uint8_t *data, uint16_t dlen)
{
	size_t n = pmc_encode_get(buf, 512, mid, seq, 0, 1);
	size_t total = 54 + dlen;

	cr_assert_neq(n, 0u);
	memset(buf + 48, 0, 512 - 48);
	buf[2] = (uint8_t)(total >> 8);
	buf[3] = (uint8_t)total;
	buf[20] = 0xaa; /* clock identity of the responder */
	buf[29] = 1;	/* its port 1 */
	buf[46] = 2;	/* RESPONSE */
	buf[48] = (uint8_t)(tlv_type >> 8);
	buf[49] = (uint8_t)tlv_type;
	buf[50] = (uint8_t)((dlen + 2) >> 8);
	buf[51] = (uint8_t)(dlen + 2);
	buf[52] = (uint8_t)(mid >> 8);
	buf[53] = (uint8_t)mid;
	memcpy(buf + 54, data, dlen);
	return total;
}

Test(pmc, decode_response_error_and_junk)
{
	uint8_t buf[512], data[50] = { 0 };
	struct pmc_resp r;
	size_t n;

	data[7] = 0x2a; /* master_offset = 42 */
	data[41] = 1;	/* gmPresent */
	n = make_resp(buf, 9, 1, PMC_MID_TIME_STATUS_NP, data, 50);
	cr_assert_eq(pmc_decode(buf, n, 9, PMC_MID_TIME_STATUS_NP, &r), 0);
	cr_assert_eq(r.len, 50);
	cr_assert_eq(r.src_port, 1);
	cr_assert_eq(r.src_clock[0], 0xaa);
	cr_assert_eq(r.data[7], 0x2a);
	cr_assert_eq(r.error, 0);
	/* Another sequence or another id: not ours. */
	cr_assert_eq(pmc_decode(buf, n, 10, PMC_MID_TIME_STATUS_NP, &r), -EAGAIN);
	cr_assert_eq(pmc_decode(buf, n, 9, PMC_MID_PORT_DATA_SET, &r), -EAGAIN);
	/* Truncated: the message says more bytes than came. */
	cr_assert_eq(pmc_decode(buf, n - 10, 9, PMC_MID_TIME_STATUS_NP, &r), -EPROTO);
	cr_assert_eq(pmc_decode(buf, 20, 9, PMC_MID_TIME_STATUS_NP, &r), -EPROTO);
	/* A GET (our own request echoed) is not a response. */
	buf[46] = 0;
	cr_assert_eq(pmc_decode(buf, n, 9, PMC_MID_TIME_STATUS_NP, &r), -EAGAIN);
	/* MANAGEMENT_ERROR_STATUS: errorId NO_SUCH_ID (2), managementId, reserved. */
	{
		uint8_t e[6] = { 0xC0, 0x04, 0, 0, 0, 0 };

		n = make_resp(buf, 3, 2, 0x0002, e, 6);
		cr_assert_eq(pmc_decode(buf, n, 3, PMC_MID_PORT_PROPERTIES_NP, &r), 0);
		cr_assert_eq(r.error, 2);
		cr_assert_eq(r.mid, PMC_MID_PORT_PROPERTIES_NP);
	}
}

/* ------------------------------------------------------------------ clock block */

Test(block, layout_check_errors)
{
	struct timesync_block b;
	struct timesync_error err;

	memset(&b, 0, sizeof(b));
	cr_assert_eq(timesync_block_check(&b, sizeof(b), &err), -ENODATA);
	timesync_block_init(&b, 0, 0);
	cr_assert_eq(b.hdr.threshold_ns, TIMESYNC_DEFAULT_THRESHOLD_NS);
	cr_assert_eq(b.hdr.timescale, TIMESYNC_TIMESCALE_UTC);
	cr_assert_eq(timesync_block_check(&b, sizeof(b), &err), 0);
	cr_assert_eq(timesync_block_check(&b, 40, &err), -EPROTO);
	b.hdr.version_major = 2;
	cr_assert_eq(timesync_block_check(&b, sizeof(b), &err), -EPROTONOSUPPORT);
	cr_assert_not_null(strstr(err.msg, "2.0"), "%s", err.msg);
	b.hdr.version_major = 1;
	b.hdr.magic = 0x12345678;
	cr_assert_eq(timesync_block_check(&b, sizeof(b), &err), -EPROTO);
	cr_assert_not_null(strstr(err.msg, "0x12345678"), "%s", err.msg);
	b.hdr.magic = TIMESYNC_BLOCK_MAGIC;
	b.hdr.nports = 40;
	cr_assert_eq(timesync_block_check(&b, sizeof(b), &err), -EPROTO);
}

Test(block, set_ptp_takes_a_valid_utc_offset)
{
	struct timesync_block b;
	struct timesync_ptp_status st = { 0 };

	timesync_block_init(&b, 500, 0);
	st.state = TIMESYNC_LOCKED;
	st.blk.state = TIMESYNC_LOCKED;
	st.blk.reachable = 1;
	st.blk.utc_offset = 37;
	st.blk.tp_flags = 0x04 | 0x08; /* UTC offset valid, PTP timescale */
	st.sys_sync = TIMESYNC_SYS_IS_PTP;
	timesync_block_set_ptp(&b, &st);
	cr_assert_eq(b.hdr.tai_utc_s, 37);
	cr_assert_eq(b.hdr.tai_source, TIMESYNC_TAI_PTP);
	cr_assert_eq(b.hdr.sys_sync, TIMESYNC_SYS_IS_PTP);
	cr_assert_eq(b.ptp.state, TIMESYNC_LOCKED);
	/* Without the valid flag the PTP value is not used (kernel's, or unknown). */
	st.blk.tp_flags = 0;
	timesync_block_set_ptp(&b, &st);
	cr_assert_neq(b.hdr.tai_source, TIMESYNC_TAI_PTP);
}

/* ------------------------------------------------------------------ through a real ring */

static char ring_path[128];

static void ring_cleanup(void)
{
	char p[160];

	unlink(ring_path);
	snprintf(p, sizeof(p), "%s.readers", ring_path);
	unlink(p);
}

static struct ringshm *ring_make(void)
{
	struct ringshm_params p = { .capacity = 1u << 20,
				    .chunk_size = RINGSHM_MIN_CHUNK,
				    .no_lock = true,
				    .group = fctest_ring_group() };
	struct ringshm_error err = { 0 };
	struct ringshm *r;

	snprintf(ring_path, sizeof(ring_path), "/dev/shm/tstest-%d", (int)getpid());
	ring_cleanup();
	r = ringshm_create(ring_path, &p, &err);
	cr_assert_not_null(r, "create %s: %s", ring_path, err.msg);
	return r;
}

static void block_sample(struct timesync_block *b)
{
	timesync_block_init(b, 750, 30 * SEC);
	b->ptp.state = TIMESYNC_HOLDOVER;
	b->ptp.port_state = TIMESYNC_PS_SLAVE;
	b->ptp.offset_ns = -1234;
	b->ptp.reachable = 1;
	b->ptp.gm_present = 1;
	b->ptp.gm_identity[0] = 0x2e;
	b->ptp.gm_identity[7] = 0x9b;
	b->hdr.sys_sync = TIMESYNC_SYS_IS_PTP;
	b->hdr.tai_utc_s = 37;
	b->hdr.tai_source = TIMESYNC_TAI_PTP;
	b->tsc.flags = TIMESYNC_MODEL_F_VALID;
	b->tsc.mult = UINT64_C(1652000000);
	b->tsc.shift = 32;
	b->tsc.err_ns = 42;
	b->tsc.state = TIMESYNC_HOLDOVER;
	b->tsc.rec_flags = RINGSHM_F_TS_HOLDOVER;
	b->hdr.nports = 1;
	b->port[0].flags = TIMESYNC_MODEL_F_VALID;
	b->port[0].mult = UINT64_C(1) << 32;
	b->port[0].shift = 32;
	b->port[0].source = RINGSHM_F_TS_SRC_NIC;
}

Test(ring, publish_and_read_back, .fini = ring_cleanup)
{
	struct ringshm *r = ring_make();
	struct ringshm_error rerr = { 0 };
	struct ringshm_reader *rd = ringshm_reader_open(ring_path, &rerr);
	struct timesync_block b, got;
	struct timesync_error err = { 0 };

	cr_assert_not_null(rd, "%s", rerr.msg);
	/* Before anything is published the block reads as never published. */
	cr_assert_eq(timesync_block_read(rd, &got, &err), -ENODATA, "%s", err.msg);
	block_sample(&b);
	cr_assert_eq(timesync_block_publish(r, &b), 0);
	cr_assert_eq(b.hdr.generation, 1u);
	cr_assert_neq(b.hdr.published_ns, 0u);
	cr_assert_eq(b.hdr.rec_flags, RINGSHM_F_TS_HOLDOVER, "header mirrors the TSC flags");
	cr_assert_eq(timesync_block_read(rd, &got, &err), 0, "%s", err.msg);
	cr_assert_eq(memcmp(&b, &got, sizeof(b)), 0);
	cr_assert_eq(timesync_block_publish(r, &b), 0);
	cr_assert_eq(timesync_block_read(rd, &got, &err), 0);
	cr_assert_eq(got.hdr.generation, 2u);
	ringshm_reader_close(rd);
	ringshm_close(r);
}

/* Run feedcap-timesync with args; its stdout into out.  @return its exit status. */
static int run_cli(const char *const argv[], char *out, size_t len)
{
	int pfd[2], st;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	cr_assert_eq(pipe(pfd), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		char *copy[16];
		int i;

		for (i = 0; i < 15 && argv[i] != NULL; i++) {
			copy[i] = strdup(argv[i]);
		}
		copy[i] = NULL;
		execv(copy[0], copy);
		_exit(127);
	}
	close(pfd[1]);
	while (got < len - 1 && (n = read(pfd[0], out + got, len - 1 - got)) > 0) {
		got += (size_t)n;
	}
	out[got] = '\0';
	close(pfd[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

Test(ring, cli_reads_the_published_block, .fini = ring_cleanup)
{
	const char *cli = getenv("FEEDCAP_TIMESYNC");
	struct ringshm *r;
	struct timesync_block b;
	static char out[16384];
	json_object *j, *v;

	cr_assert_not_null(cli, "FEEDCAP_TIMESYNC is not set (run through ctest)");
	r = ring_make();
	block_sample(&b);
	cr_assert_eq(timesync_block_publish(r, &b), 0);
	ringshm_heartbeat(r);
	{
		const char *argv[] = { cli, "--ring", ring_path, "--json", NULL };

		cr_assert_eq(run_cli(argv, out, sizeof(out)), 0, "%s", out);
	}
	j = json_tokener_parse(out);
	cr_assert_not_null(j, "not JSON: %s", out);
	cr_assert(json_object_object_get_ex(j, "state", &v));
	cr_assert_str_eq(json_object_get_string(v), "holdover");
	cr_assert(json_object_object_get_ex(j, "offset_ns", &v));
	cr_assert_eq(json_object_get_int64(v), -1234);
	cr_assert(json_object_object_get_ex(j, "threshold_ns", &v));
	cr_assert_eq(json_object_get_int64(v), 750);
	cr_assert(json_object_object_get_ex(j, "gm_identity", &v));
	cr_assert_str_eq(json_object_get_string(v), "2e0000.0000.00009b");
	cr_assert(json_object_object_get_ex(j, "tai_utc_s", &v));
	cr_assert_eq(json_object_get_int(v), 37);
	cr_assert(json_object_object_get_ex(j, "tsc_flags", &v));
	cr_assert_str_eq(json_object_get_string(v), "holdover");
	cr_assert(json_object_object_get_ex(j, "port0_valid", &v));
	cr_assert(json_object_get_boolean(v));
	json_object_put(j);
	/* Plain lines (stdout is a pipe, not a terminal). */
	{
		const char *argv[] = { cli, "--ring", ring_path, NULL };

		cr_assert_eq(run_cli(argv, out, sizeof(out)), 0);
		cr_assert_not_null(strstr(out, "\nstate holdover\n"), "%s", out);
		cr_assert_not_null(strstr(out, "\ntimescale UTC\n"), "%s", out);
	}
	/* --wait-locked on a ring that stays in holdover: exit 1 after the timeout. */
	{
		const char *argv[] = { cli,	    "--ring", ring_path,    "--wait-locked",
				       "--timeout", "0.3",    "--interval", "0.1",
				       NULL };

		cr_assert_eq(run_cli(argv, out, sizeof(out)), 1);
	}
	b.ptp.state = TIMESYNC_LOCKED;
	cr_assert_eq(timesync_block_publish(r, &b), 0);
	ringshm_heartbeat(r);
	{
		const char *argv[] = { cli,	    "--ring", ring_path, "--wait-locked",
				       "--timeout", "2",      NULL };

		cr_assert_eq(run_cli(argv, out, sizeof(out)), 0);
		cr_assert_not_null(strstr(out, "\nstate locked\n"), "%s", out);
		cr_assert_not_null(strstr(out, "\ncapture_alive yes\n"), "%s", out);
	}
	ringshm_close(r);
	/* The capture stopped: its last state says locked, but that is not current. */
	{
		const char *argv[] = { cli,	    "--ring", ring_path,    "--wait-locked",
				       "--timeout", "0.3",    "--interval", "0.1",
				       NULL };

		cr_assert_eq(run_cli(argv, out, sizeof(out)), 1, "%s", out);
		cr_assert_not_null(strstr(out, "\ncapture_alive no"), "%s", out);
	}
	/* A ring that does not exist: exit 1 with a message; bad usage: 2. */
	{
		const char *argv[] = { cli, "--ring", "/dev/shm/tstest-none-here", NULL };
		const char *bad[] = { cli, "--threshold", "abc", NULL };

		cr_assert_eq(run_cli(argv, out, sizeof(out)), 1);
		cr_assert_eq(run_cli(bad, out, sizeof(out)), 2);
	}
}

/* ------------------------------------------------------------------ PHC reader */

Test(phc, not_a_ptp_device_and_bad_sample_counts)
{
	struct timesync_bracket b;
	int fd = open("/dev/null", O_RDONLY);

	cr_assert_geq(fd, 0);
	/* No PHC can be emulated on this kernel: what can be checked is that a descriptor that
	 * is not one is refused cleanly, and the sample bounds. */
	cr_assert_eq(timesync_phc_read(fd, 5, &b), -EOPNOTSUPP);
	cr_assert_eq(timesync_phc_read(fd, 0, &b), -EINVAL);
	cr_assert_eq(timesync_phc_read(fd, 26, &b), -EINVAL);
	close(fd);
	cr_assert_eq(timesync_phc_read(-1, 5, &b), -EBADF);
}

/* A socket that exists but never answers (ptp4l hung): the poll gives up after the timeout. */
Test(ptp, silent_ptp4l_times_out)
{
	char path[108];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timesync_ptp_params p = { .local_dir = "/tmp", .timeout_ms = 100 };
	struct timesync_ptp_obs o;
	struct timesync_ptp *t;
	struct timespec a, b;
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	double secs;
	char buf[256];

	snprintf(path, sizeof(path), "/tmp/tstest-silent-%d", (int)getpid());
	unlink(path);
	strcpy(sa.sun_path, path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	p.ptp4l_socket = path;
	t = timesync_ptp_open(&p, NULL);
	cr_assert_not_null(t);
	clock_gettime(CLOCK_MONOTONIC, &a);
	cr_assert_eq(timesync_ptp_query(t, &o), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	cr_assert_not(o.reachable);
	cr_assert_geq(secs, 0.09, "gave up after %.3f s, before its timeout", secs);
	cr_assert_lt(secs, 1.5, "took %.3f s for a 100 ms timeout", secs);
	/* What it sent is a management GET for TIME_STATUS_NP, as the codec test expects. */
	cr_assert_eq(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), 104);
	cr_assert_eq(buf[0] & 0x0f, 0x0d);
	cr_assert_eq(((uint8_t)buf[52] << 8) | (uint8_t)buf[53], PMC_MID_TIME_STATUS_NP);
	timesync_ptp_close(t);
	close(fd);
	unlink(path);
}
