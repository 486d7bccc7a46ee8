/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * model.c - clock model helpers, the seqlocked model cell, states and record flags.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "timesync.h"

double timesync_model_hz(const struct timesync_model *m)
{
	if (m->mult == 0) {
		return 0.0;
	}
	/* mult / 2^shift is ns per tick. */
	return 1e9 * (double)((uint64_t)1 << m->shift) / (double)m->mult;
}

void timesync_cell_init(struct timesync_cell *c)
{
	size_t i;

	atomic_store_explicit(&c->seq, 0, memory_order_relaxed);
	c->pad = 0;
	for (i = 0; i < TIMESYNC_MODEL_WORDS; i++) {
		atomic_store_explicit(&c->w[i], 0, memory_order_relaxed);
	}
	atomic_thread_fence(memory_order_release);
}

void timesync_cell_store(struct timesync_cell *c, const struct timesync_model *m)
{
	uint64_t w[TIMESYNC_MODEL_WORDS];
	uint32_t s = atomic_load_explicit(&c->seq, memory_order_relaxed);
	size_t i;

	memcpy(w, m, sizeof(w));
	/* Odd: a store is in progress.  The release fence orders this store before the word
	 * stores below; it pairs with the reader's acquire fence before its re-check of seq. */
	atomic_store_explicit(&c->seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	for (i = 0; i < TIMESYNC_MODEL_WORDS; i++) {
		atomic_store_explicit(&c->w[i], w[i], memory_order_relaxed);
	}
	/* Even again: pairs with the reader's acquire load of seq. */
	atomic_store_explicit(&c->seq, s + 2, memory_order_release);
}

void timesync_cell_load(const struct timesync_cell *c, struct timesync_model *m)
{
	unsigned tries = 0;

	for (;;) {
		uint32_t seen = 1; /* odd: never equal to a stable seq, forces the copy */

		if (timesync_cell_refresh(c, m, &seen)) {
			return;
		}
		/* A store takes nanoseconds; if it has not finished after a few tries the
		 * writer was preempted mid-store: give it the CPU. */
		if (++tries > 16) {
			sched_yield();
		}
	}
}

static const char *const state_names[] = {
	[TIMESYNC_FREE_RUNNING] = "free-running",
	[TIMESYNC_UNLOCKED] = "unlocked",
	[TIMESYNC_LOCKED] = "locked",
	[TIMESYNC_HOLDOVER] = "holdover",
};

const char *timesync_state_name(enum timesync_state s)
{
	if ((unsigned)s >= sizeof(state_names) / sizeof(state_names[0])) {
		return "?";
	}
	return state_names[s];
}

int timesync_state_parse(const char *s, enum timesync_state *out)
{
	size_t i;

	for (i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++) {
		if (strcmp(s, state_names[i]) == 0) {
			*out = (enum timesync_state)i;
			return 0;
		}
	}
	return -EINVAL;
}

uint16_t timesync_record_flags(enum timesync_state state, uint64_t model_err_ns,
			       uint64_t threshold_ns, bool stepped)
{
	uint16_t f = 0;

	if (state == TIMESYNC_LOCKED && model_err_ns <= threshold_ns) {
		f |= RINGSHM_F_TS_SYNC;
	}
	if (state == TIMESYNC_HOLDOVER) {
		f |= RINGSHM_F_TS_HOLDOVER;
	}
	if (stepped) {
		f |= RINGSHM_F_TS_STEPPED;
	}
	return f;
}

void timesync_model_set_quality(struct timesync_model *m, enum timesync_state state,
				uint64_t threshold_ns)
{
	bool stepped = (m->rec_flags & RINGSHM_F_TS_STEPPED) != 0;

	m->state = (uint8_t)state;
	m->rec_flags = timesync_record_flags(state, m->err_ns, threshold_ns, stepped);
}
