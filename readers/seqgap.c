/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * seqgap.c - gap tracking over sequence numbers, and the decoder registry.
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

static const struct fcreader_seq_ops *const decoders[] = {
	&fcreader_seq_moldudp64_ops,
	&fcreader_seq_generic_ops,
};

int fcreader_seq_decoder_parse(const char *spec, struct fcreader_seq_decoder *d, char *err,
			       size_t errlen)
{
	memset(d, 0, sizeof(*d));
	if (strncmp(spec, "generic:", 8) == 0) {
		char *end;
		const char *p = spec + 8;
		unsigned long off, width;

		errno = 0;
		off = strtoul(p, &end, 10);
		if (end == p || *end != ':' || errno || off > 65535) {
			snprintf(err, errlen,
				 "--gaps %s: OFFSET must be a byte offset in the UDP payload "
				 "(0-65535), as in generic:OFFSET:WIDTH:be|le",
				 spec);
			return -EINVAL;
		}
		p = end + 1;
		width = strtoul(p, &end, 10);
		if (end == p || *end != ':' ||
		    (width != 1 && width != 2 && width != 4 && width != 8)) {
			snprintf(err, errlen, "--gaps %s: WIDTH must be 1, 2, 4 or 8 (bytes)",
				 spec);
			return -EINVAL;
		}
		p = end + 1;
		if (strcmp(p, "be") == 0) {
			d->big_endian = true;
		} else if (strcmp(p, "le") == 0) {
			d->big_endian = false;
		} else {
			snprintf(err, errlen, "--gaps %s: byte order must be be or le", spec);
			return -EINVAL;
		}
		d->ops = &fcreader_seq_generic_ops;
		d->offset = (uint32_t)off;
		d->width = (uint8_t)width;
		return 0;
	}
	for (size_t i = 0; i < sizeof(decoders) / sizeof(decoders[0]); i++) {
		if (decoders[i] != &fcreader_seq_generic_ops &&
		    strcmp(spec, decoders[i]->name) == 0) {
			d->ops = decoders[i];
			return 0;
		}
	}
	snprintf(err, errlen,
		 "--gaps %s: unknown decoder; known: moldudp64, generic:OFFSET:WIDTH:be|le", spec);
	return -EINVAL;
}

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

static void open_gap(struct fcreader_seq_track *t, size_t at, uint64_t lo, uint64_t hi)
{
	ranges_insert(&t->missing, at, lo, hi);
	t->gaps_opened++;
}

int fcreader_seq_track_add(struct fcreader_seq_track *t, uint64_t seq, uint32_t count)
{
	if (ranges_reserve(&t->missing, 2) < 0) {
		return -ENOMEM;
	}
	if (count == 0) {
		if (!t->started) {
			t->started = true;
			t->first = seq;
			t->next = seq;
		} else if (seq > t->next) {
			open_gap(t, t->missing.n, t->next, seq - 1);
			t->next = seq;
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
		return 0;
	}
	if (lo < t->first) {
		/* came late, from before anything seen: reordered (it cannot be a duplicate) */
		uint64_t old_first = t->first;
		uint64_t phi = hi < old_first - 1 ? hi : old_first - 1;

		t->reordered += phi - lo + 1;
		t->received += phi - lo + 1;
		if (phi < old_first - 1) {
			open_gap(t, 0, phi + 1, old_first - 1);
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
		open_gap(t, t->missing.n, t->next, lo - 1);
	}
	t->received += hi - lo + 1;
	t->next = hi + 1;
	return 0;
}

void fcreader_seq_track_free(struct fcreader_seq_track *t)
{
	free(t->missing.v);
	memset(t, 0, sizeof(*t));
}
