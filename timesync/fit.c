/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fit.c - fit a counter to the system clock and turn the fit into slewed clock models.
 *
 * Each sample is a counter reading bracketed by two CLOCK_REALTIME readings; the counter is
 * taken at the bracket's midpoint and the bracket's width says how much to trust it.  The rate
 * (ns per tick) is a weighted least-squares line through the last `window` samples, weights
 * 1/width^2, so a sample delayed by an interrupt barely counts.  Centred sums in double
 * precision: 32 samples a second apart on a 3 GHz counter give x up to 1e11, whose squares
 * (1e22) double still carries to 1e-16, far below the ppb the rate needs.
 *
 * The published model is not the fit itself: it must be continuous with the previous model,
 * or converted time would jump (and go backwards half the time) at every update.  So each new
 * model starts where the previous one is at the latest sample's counter, and runs at the
 * fitted rate plus a correction that absorbs the remaining offset (fit - model) over slew_ns,
 * bounded by max_slew_ppb - the kernel's NTP code slews the same way.  Only a system clock
 * step (which the caller detects: the fit cannot tell a step from a bad sample), or an offset
 * too large to slew in reasonable time, makes the model step, and then it says so.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "timesync.h"

#define FIT_SHIFT 32

struct fit_sample {
	uint64_t counter;
	uint64_t sys_ns; /* bracket midpoint */
	uint64_t width;	 /* bracket width */
};

struct timesync_fit {
	struct timesync_fit_params p;
	struct fit_sample *s; /* ring of p.window samples */
	uint32_t n;	      /* samples held */
	uint32_t next;	      /* where the next sample goes */
	double slope;	      /* ns per tick of the last fit, 0 if none yet */
	double span_ns;	      /* sys time the last fit spanned */
	double rate_err;      /* its relative rate uncertainty */
	struct timesync_model model;
	bool have_model;
	struct timesync_fit_info info;
};

static void fit_defaults(struct timesync_fit_params *p)
{
	if (p->window == 0) {
		p->window = 32;
	}
	if (p->min_span_ns == 0) {
		p->min_span_ns = 10000000; /* 10 ms */
	}
	if (p->max_slew_ppb == 0) {
		p->max_slew_ppb = 100000; /* 100 ppm */
	}
	if (p->slew_ns == 0) {
		p->slew_ns = 2000000000; /* 2 s: half the offset per update at one a second */
	}
	if (p->step_ns == 0) {
		p->step_ns = 1000000; /* 1 ms */
	}
	if (p->stepped_hold_ns == 0) {
		p->stepped_hold_ns = 2000000000;
	}
	if (p->horizon_ns == 0) {
		p->horizon_ns = 1000000000;
	}
}

struct timesync_fit *timesync_fit_create(const struct timesync_fit_params *p)
{
	struct timesync_fit *f = calloc(1, sizeof(*f));

	if (f == NULL) {
		return NULL;
	}
	if (p != NULL) {
		f->p = *p;
	}
	fit_defaults(&f->p);
	if (f->p.window < 2) {
		free(f);
		errno = EINVAL;
		return NULL;
	}
	f->s = calloc(f->p.window, sizeof(*f->s));
	if (f->s == NULL) {
		free(f);
		errno = ENOMEM;
		return NULL;
	}
	return f;
}

void timesync_fit_destroy(struct timesync_fit *f)
{
	if (f == NULL) {
		return;
	}
	free(f->s);
	free(f);
}

void timesync_fit_reset(struct timesync_fit *f)
{
	f->n = 0;
	f->next = 0;
	f->slope = 0.0;
	f->span_ns = 0.0;
	f->rate_err = 0.0;
	f->have_model = false;
	memset(&f->model, 0, sizeof(f->model));
	memset(&f->info, 0, sizeof(f->info));
}

static const struct fit_sample *fit_at(const struct timesync_fit *f, uint32_t i)
{
	/* i = 0 is the oldest sample held. */
	return &f->s[(f->next + f->p.window - f->n + i) % f->p.window];
}

static const struct fit_sample *fit_last(const struct timesync_fit *f)
{
	return fit_at(f, f->n - 1);
}

int timesync_fit_add(struct timesync_fit *f, const struct timesync_bracket *b)
{
	struct fit_sample *s;

	if (b->sys_after < b->sys_before) {
		return -EINVAL;
	}
	if (f->n > 0 && b->counter < fit_last(f)->counter) {
		/* A counter that goes back was reset (NIC restart): start over. */
		timesync_fit_reset(f);
		return -ERANGE;
	}
	s = &f->s[f->next];
	s->counter = b->counter;
	s->width = b->sys_after - b->sys_before;
	s->sys_ns = b->sys_before + s->width / 2;
	f->next = (f->next + 1) % f->p.window;
	if (f->n < f->p.window) {
		f->n++;
	}
	f->info.samples++;
	f->info.bracket_ns = s->width;
	return 0;
}

/* Keep only the newest sample (after a system clock step the older ones lie). */
static void fit_keep_last(struct timesync_fit *f)
{
	struct fit_sample last = *fit_last(f);

	f->s[0] = last;
	f->n = 1;
	f->next = 1 % f->p.window;
}

/*
 * Weighted least squares of sys_ns on counter, relative to the newest sample.  Returns the
 * fitted sys time at the newest counter as an offset from its sys_ns (in ns), the slope, and
 * the weighted RMS residual.
 */
static void fit_line(const struct timesync_fit *f, double *at_last, double *slope, double *resid)
{
	const struct fit_sample *last = fit_last(f);
	double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, mx, my, sr = 0;
	uint32_t i;

	for (i = 0; i < f->n; i++) {
		const struct fit_sample *s = fit_at(f, i);
		double w = 1.0 / (((double)s->width + 1.0) * ((double)s->width + 1.0));
		double x = -(double)(last->counter - s->counter);
		double y = (double)((int64_t)(s->sys_ns - last->sys_ns));

		sw += w;
		sx += w * x;
		sy += w * y;
	}
	mx = sx / sw;
	my = sy / sw;
	for (i = 0; i < f->n; i++) {
		const struct fit_sample *s = fit_at(f, i);
		double w = 1.0 / (((double)s->width + 1.0) * ((double)s->width + 1.0));
		double x = -(double)(last->counter - s->counter) - mx;
		double y = (double)((int64_t)(s->sys_ns - last->sys_ns)) - my;

		sxx += w * x * x;
		sxy += w * x * y;
	}
	*slope = sxx > 0 ? sxy / sxx : 0.0;
	/* The line at x = 0 (the newest sample). */
	*at_last = my - *slope * mx;
	for (i = 0; i < f->n; i++) {
		const struct fit_sample *s = fit_at(f, i);
		double w = 1.0 / (((double)s->width + 1.0) * ((double)s->width + 1.0));
		double x = -(double)(last->counter - s->counter);
		double y = (double)((int64_t)(s->sys_ns - last->sys_ns));
		double r = y - (*at_last + *slope * x);

		sr += w * r * r;
	}
	*resid = sqrt(sr / sw);
}

static uint64_t mult_of(double ns_per_tick)
{
	return (uint64_t)llround(ns_per_tick * (double)(UINT64_C(1) << FIT_SHIFT));
}

static uint32_t sat_u32(double v)
{
	v = fabs(v);
	return v >= 4294967295.0 ? UINT32_MAX : (uint32_t)ceil(v);
}

int timesync_fit_update(struct timesync_fit *f, bool sys_stepped, struct timesync_model *out)
{
	const struct fit_sample *last;
	double at_last = 0, slope = f->slope, resid = 0, offset = 0, rate;
	bool step;
	struct timesync_model m;
	uint64_t target_ns;

	if (f->n == 0) {
		return -EAGAIN;
	}
	if (sys_stepped) {
		fit_keep_last(f);
	}
	last = fit_last(f);
	if (f->n >= 2 && last->sys_ns - fit_at(f, 0)->sys_ns >= f->p.min_span_ns) {
		fit_line(f, &at_last, &slope, &resid);
		if (slope <= 0) {
			return -EAGAIN; /* a counter that does not move */
		}
		f->slope = slope;
	} else if (slope <= 0) {
		return -EAGAIN; /* no rate known yet */
	}
	target_ns = last->sys_ns + (uint64_t)llround(at_last);

	memset(&m, 0, sizeof(m));
	m.base_counter = last->counter;
	m.shift = FIT_SHIFT;
	m.computed_ns = last->sys_ns;
	m.source = (uint8_t)f->p.source;
	m.flags = TIMESYNC_MODEL_F_VALID | (f->p.clamp_past ? TIMESYNC_MODEL_F_CLAMP_PAST : 0);
	m.generation = f->have_model ? f->model.generation + 1 : 1;

	step = !f->have_model || sys_stepped;
	if (!step) {
		uint64_t prev = timesync_model_convert(&f->model, last->counter);

		offset = (double)(int64_t)(target_ns - prev);
		if (fabs(offset) > (double)f->p.step_ns) {
			step = true;
		} else {
			double corr = offset / (double)f->p.slew_ns;
			double lim = (double)f->p.max_slew_ppb * 1e-9;

			if (corr > lim) {
				corr = lim;
			} else if (corr < -lim) {
				corr = -lim;
			}
			rate = slope * (1.0 + corr);
			m.base_ns = prev;
			m.mult = mult_of(rate);
			if (offset != 0.0) {
				m.flags |= TIMESYNC_MODEL_F_SLEWING;
			}
			f->info.ppm = corr * 1e6;
		}
	}
	if (step) {
		if (f->have_model) {
			m.flags |= TIMESYNC_MODEL_F_STEPPED;
			f->info.steps++;
			f->info.last_step_ns = last->sys_ns;
		}
		m.base_ns = target_ns;
		m.mult = mult_of(slope);
		f->info.ppm = 0.0;
		offset = f->have_model ? offset : 0.0;
	}
	if (f->info.last_step_ns != 0) {
		uint64_t since = last->sys_ns > f->info.last_step_ns
					 ? last->sys_ns - f->info.last_step_ns
					 : f->info.last_step_ns - last->sys_ns;

		if (since < f->p.stepped_hold_ns) {
			m.rec_flags |= RINGSHM_F_TS_STEPPED;
		}
	}
	/* What is not slewed out yet, what the newest reading cannot resolve, how well the line
	 * fits, and how far an uncertain rate carries the model off before the next update: the
	 * ends of the fit are each known to about half their bracket plus the residual, so the
	 * rate to about that over the span.  A first model fitted over 10 ms is good to a few
	 * ppm - microseconds a second later - and must not claim better. */
	{
		double span = f->n >= 2 ? (double)(last->sys_ns - fit_at(f, 0)->sys_ns) : 0.0;
		double drift = 0.0;

		if (span > 0) {
			drift = ((double)(last->width + fit_at(f, 0)->width) / 2.0 + 2.0 * resid) /
				span * (double)f->p.horizon_ns;
		} else if (f->span_ns > 0) {
			drift = f->rate_err *
				(double)f->p.horizon_ns; /* after a step: the old fit's */
		}
		if (span > 0) {
			f->span_ns = span;
			f->rate_err = drift / (double)f->p.horizon_ns;
		}
		m.err_ns = sat_u32((step ? 0.0 : fabs(offset)) + (double)last->width / 2.0 + resid +
				   drift);
	}

	f->model = m;
	f->have_model = true;
	f->info.updates++;
	f->info.hz = 1e9 / slope;
	f->info.offset_ns = (int64_t)llround(offset);
	f->info.residual_ns = resid;
	*out = m;
	return 0;
}

void timesync_fit_info(const struct timesync_fit *f, struct timesync_fit_info *out)
{
	*out = f->info;
}
