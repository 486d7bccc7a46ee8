/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * seqgap.c - gap tracking over sequence numbers.
 *
 * A feed's missing numbers are kept as a sorted list of inclusive ranges.  New gaps open at
 * the high end (appended, O(1)); a late packet fills part of a range (binary search, then a
 * trim or a split).  Market-data gaps are few and short, so the list stays small even over a
 * long run; the counters are exact whatever its size.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seqgap_internal.h"

/* ------------------------------------------------------------------ ranges */

uint64_t fcreader_seq_ranges_total(const struct fcreader_seq_ranges *r)
{
	uint64_t t = 0;

	for (size_t i = 0; i < r->n; i++) {
		t += r->v[i].hi - r->v[i].lo + 1;
	}
	return t;
}

uint64_t fcreader_seq_ranges_overlap(const struct fcreader_seq_ranges *a,
				     const struct fcreader_seq_ranges *b)
{
	size_t i = 0, j = 0;
	uint64_t t = 0;

	while (i < a->n && j < b->n) {
		uint64_t lo = a->v[i].lo > b->v[j].lo ? a->v[i].lo : b->v[j].lo;
		uint64_t hi = a->v[i].hi < b->v[j].hi ? a->v[i].hi : b->v[j].hi;

		if (lo <= hi) {
			t += hi - lo + 1;
		}
		if (a->v[i].hi < b->v[j].hi) {
			i++;
		} else {
			j++;
		}
	}
	return t;
}

uint64_t fcreader_seq_ranges_count(const struct fcreader_seq_ranges *r, uint64_t lo, uint64_t hi)
{
	struct fcreader_seq_range one = { lo, hi };
	struct fcreader_seq_ranges q = { &one, 1, 1 };

	return fcreader_seq_ranges_overlap(r, &q);
}

static int ranges_reserve(struct fcreader_seq_ranges *r, size_t extra)
{
	if (r->n + extra <= r->cap) {
		return 0;
	}

	size_t nc = r->cap ? r->cap * 2 : 16;

	while (nc < r->n + extra) {
		nc *= 2;
	}

	struct fcreader_seq_range *v = realloc(r->v, nc * sizeof(*v));

	if (!v) {
		return -ENOMEM;
	}
	r->v = v;
	r->cap = nc;
	return 0;
}

/* Room was reserved by the caller. */
static void ranges_insert(struct fcreader_seq_ranges *r, size_t at, uint64_t lo, uint64_t hi)
{
	memmove(&r->v[at + 1], &r->v[at], (r->n - at) * sizeof(r->v[0]));
	r->v[at].lo = lo;
	r->v[at].hi = hi;
	r->n++;
}

/* Remove [lo, hi] from the set; one split may need one more slot (reserved by the caller). */
static uint64_t ranges_remove(struct fcreader_seq_ranges *r, uint64_t lo, uint64_t hi)
{
	size_t a = 0, b = r->n;
	uint64_t removed = 0;

	while (a < b) { /* first range with hi >= lo */
		size_t m = a + (b - a) / 2;

		if (r->v[m].hi < lo) {
			a = m + 1;
		} else {
			b = m;
		}
	}
	for (size_t i = a; i < r->n && r->v[i].lo <= hi;) {
		struct fcreader_seq_range *g = &r->v[i];
		uint64_t olo = g->lo > lo ? g->lo : lo;
		uint64_t ohi = g->hi < hi ? g->hi : hi;

		removed += ohi - olo + 1;
		if (olo == g->lo && ohi == g->hi) {
			memmove(g, g + 1, (r->n - i - 1) * sizeof(*g));
			r->n--;
			continue;
		}
		if (olo == g->lo) {
			g->lo = ohi + 1;
		} else if (ohi == g->hi) {
			g->hi = olo - 1;
		} else {
			uint64_t end = g->hi;

			g->hi = olo - 1;
			ranges_insert(r, i + 1, ohi + 1, end);
			break;
		}
		i++;
	}
	return removed;
}

/* ------------------------------------------------------------------ tracker */

static void open_gap(struct fcreader_seq_track *t, size_t at, uint64_t lo, uint64_t hi, uint64_t ts,
		     struct fcreader_seq_gap *gap)
{
	ranges_insert(&t->missing, at, lo, hi);
	t->gaps_opened++;
	gap->lo = lo;
	gap->hi = hi;
	gap->before_ts = t->last_ts;
	gap->after_ts = ts;
}

int fcreader_seq_track_add(struct fcreader_seq_track *t, uint64_t seq, uint32_t count, uint64_t ts,
			   struct fcreader_seq_gap *gap)
{
	struct fcreader_seq_gap none;

	if (!gap) {
		gap = &none;
	}
	gap->lo = 1;
	gap->hi = 0;
	if (ranges_reserve(&t->missing, 2) < 0) {
		return -ENOMEM;
	}
	if (count == 0) {
		if (!t->started) {
			t->started = true;
			t->first = seq;
			t->next = seq;
			t->last_ts = ts;
		} else if (seq > t->next) {
			open_gap(t, t->missing.n, t->next, seq - 1, ts, gap);
			t->next = seq;
			t->last_ts = ts;
		}
		return 0;
	}

	uint64_t lo = seq;
	uint64_t hi = seq + count - 1 < seq ? UINT64_MAX - 1 : seq + count - 1;

	t->packets++;
	if (!t->started) {
		t->started = true;
		t->first = lo;
		t->next = hi + 1;
		t->received += hi - lo + 1;
		t->last_ts = ts;
		return 0;
	}
	if (lo < t->first) {
		/* came late, from before anything seen: reordered (it cannot be a duplicate) */
		uint64_t old_first = t->first;
		uint64_t phi = hi < old_first - 1 ? hi : old_first - 1;

		t->reordered += phi - lo + 1;
		t->received += phi - lo + 1;
		if (phi < old_first - 1) {
			/* no time: the numbers between came neither before nor after it */
			ranges_insert(&t->missing, 0, phi + 1, old_first - 1);
			t->gaps_opened++;
		}
		t->first = lo;
		if (hi < old_first) {
			return 0;
		}
		lo = old_first;
	}
	if (lo < t->next) {
		uint64_t ohi = hi < t->next - 1 ? hi : t->next - 1;
		uint64_t filled = ranges_remove(&t->missing, lo, ohi);

		t->reordered += filled;
		t->received += filled;
		t->duplicates += (ohi - lo + 1) - filled;
		if (hi < t->next) {
			return 0;
		}
		lo = t->next;
	}
	if (lo > t->next) {
		open_gap(t, t->missing.n, t->next, lo - 1, ts, gap);
	}
	t->received += hi - lo + 1;
	t->next = hi + 1;
	t->last_ts = ts;
	return 0;
}

bool fcreader_seq_track_reset(struct fcreader_seq_track *t, uint64_t seq, uint64_t ts)
{
	if (!t->started) {
		return false; /* nothing to restart: the first packet starts the sequence anyway */
	}
	if (seq >= t->first && seq < t->next &&
	    t->next - t->first <= FCREADER_SEQ_RESET_ECHO_SPAN) {
		return false;
	}
	t->missing_before += fcreader_seq_ranges_total(&t->missing);
	t->gaps_before += t->missing.n;
	t->missing.n = 0;
	t->started = false;
	t->ended = false;
	t->resets++;
	t->reset_ts = ts;
	return true;
}

void fcreader_seq_track_free(struct fcreader_seq_track *t)
{
	free(t->missing.v);
	memset(t, 0, sizeof(*t));
}

/* ------------------------------------------------------------------ sessions */

struct fcreader_seq_session *fcreader_seq_session_get(struct fcreader_seq_sessions *ss,
						      const struct fcreader_seq_msg *m)
{
	for (size_t i = 0; i < ss->n; i++) {
		if (ss->v[i].len == m->session_len &&
		    memcmp(ss->v[i].id, m->session, m->session_len) == 0) {
			return &ss->v[i];
		}
	}
	if (m->count == 0) {
		errno = ENOENT;
		return NULL;
	}
	if (ss->n == ss->cap) {
		size_t nc = ss->cap ? ss->cap * 2 : 4;
		struct fcreader_seq_session *v = realloc(ss->v, nc * sizeof(*v));

		if (!v) {
			errno = ENOMEM;
			return NULL;
		}
		ss->v = v;
		ss->cap = nc;
	}

	struct fcreader_seq_session *x = &ss->v[ss->n++];

	memset(x, 0, sizeof(*x));
	memcpy(x->id, m->session, m->session_len);
	x->len = m->session_len;
	return x;
}

void fcreader_seq_sessions_free(struct fcreader_seq_sessions *ss)
{
	for (size_t k = 0; k < ss->n; k++) {
		fcreader_seq_track_free(&ss->v[k].t);
	}
	free(ss->v);
	memset(ss, 0, sizeof(*ss));
}
