/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stat_race.c - the A/B race of one feed: for each sequence number both lines delivered,
 * which line was first and how much later the other one came.
 *
 * A packet's numbers wait in a hash table keyed by (session, first number) until the same
 * packet arrives on the other line; then the first line wins its numbers and the delay goes
 * into a log-linear histogram (32 steps per power of two: percentiles within about 3%).  A
 * packet the other line never delivers leaves after RACE_WINDOW_NS of capture time (or when
 * the table is full) and counts as unmatched: those are the one-line losses, or a packet the
 * two lines split differently.  Lines are matched by packet, which is how venues send them:
 * the same packet, byte for byte, on both.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stat_tool.h"

#define RACE_WINDOW_NS 1000000000u
#define RACE_MAX       (1u << 20) /* entries waiting at most */
#define SUB_BITS       5

static unsigned int bucket_of(uint64_t v)
{
	if (v < (1u << (SUB_BITS + 1))) {
		return (unsigned int)v;
	}

	unsigned int e = 63u - (unsigned int)__builtin_clzll(v);
	unsigned int sub = (unsigned int)(v >> (e - SUB_BITS)) & ((1u << SUB_BITS) - 1);
	unsigned int b = (1u << (SUB_BITS + 1)) + (e - SUB_BITS - 1) * (1u << SUB_BITS) + sub;

	return b < STAT_RACE_BUCKETS ? b : STAT_RACE_BUCKETS - 1;
}

/* The middle of a bucket's values. */
static uint64_t bucket_value(unsigned int b)
{
	if (b < (1u << (SUB_BITS + 1))) {
		return b;
	}

	unsigned int k = b - (1u << (SUB_BITS + 1));
	unsigned int e = k / (1u << SUB_BITS) + SUB_BITS + 1;
	uint64_t sub = k % (1u << SUB_BITS);
	uint64_t lo = (1ull << e) + (sub << (e - SUB_BITS));

	return lo + (1ull << (e - SUB_BITS)) / 2;
}

static uint64_t key_hash(uint32_t sess, uint64_t seq)
{
	uint64_t h = (seq ^ ((uint64_t)sess << 48)) * 0x9e3779b97f4a7c15u;

	return h ^ (h >> 31);
}

static struct stat_race_entry *find(struct stat_race *r, uint32_t sess, uint64_t seq)
{
	if (!r->tab) {
		return NULL;
	}
	for (size_t j = key_hash(sess, seq) & r->mask;; j = (j + 1) & r->mask) {
		struct stat_race_entry *e = &r->tab[j];

		if (!e->used) {
			return NULL;
		}
		if (e->seq == seq && e->sess == sess) {
			return e;
		}
	}
}

/* Backward-shift deletion keeps probe chains whole without tombstones. */
static void erase(struct stat_race *r, struct stat_race_entry *e)
{
	size_t i = (size_t)(e - r->tab);

	r->tab[i].used = false;
	r->used--;
	for (size_t j = (i + 1) & r->mask; r->tab[j].used; j = (j + 1) & r->mask) {
		size_t home = key_hash(r->tab[j].sess, r->tab[j].seq) & r->mask;

		/* move j to the hole i if its home is not in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			r->tab[i] = r->tab[j];
			r->tab[j].used = false;
			i = j;
		}
	}
}

static int grow(struct stat_race *r)
{
	size_t nslots = r->tab ? (r->mask + 1) * 2 : 1024;
	struct stat_race_entry *old = r->tab;
	size_t oldn = r->tab ? r->mask + 1 : 0;
	struct stat_race_entry *t = calloc(nslots, sizeof(*t));

	if (!t) {
		return -ENOMEM;
	}
	r->tab = t;
	r->mask = nslots - 1;
	for (size_t i = 0; i < oldn; i++) {
		if (old[i].used) {
			size_t j = key_hash(old[i].sess, old[i].seq) & r->mask;

			while (t[j].used) {
				j = (j + 1) & r->mask;
			}
			t[j] = old[i];
		}
	}
	free(old);
	return 0;
}

static int fifo_push(struct stat_race *r, uint32_t sess, uint64_t seq, uint64_t ts)
{
	if (r->flen == r->fcap) {
		size_t nc = r->fcap ? r->fcap * 2 : 1024;
		void *nf = malloc(nc * sizeof(*r->fifo));

		if (!nf) {
			return -ENOMEM;
		}
		for (size_t i = 0; i < r->flen; i++) {
			memcpy((char *)nf + i * sizeof(*r->fifo),
			       &r->fifo[(r->fhead + i) % r->fcap], sizeof(*r->fifo));
		}
		free(r->fifo);
		r->fifo = nf;
		r->fhead = 0;
		r->fcap = nc;
	}

	size_t k = (r->fhead + r->flen) % r->fcap;

	r->fifo[k].sess = sess;
	r->fifo[k].seq = seq;
	r->fifo[k].ts = ts;
	r->flen++;
	return 0;
}

/* Entries older than the window (or beyond RACE_MAX) leave as unmatched. */
static void expire(struct stat_race *r, uint64_t now)
{
	while (r->flen) {
		typeof(r->fifo[0]) *h = &r->fifo[r->fhead];

		if (now - h->ts < RACE_WINDOW_NS && now >= h->ts && r->flen <= RACE_MAX) {
			break;
		}

		struct stat_race_entry *e = find(r, h->sess, h->seq);

		if (e && e->ts == h->ts) {
			r->unmatched[e->line] += e->count;
			erase(r, e);
		}
		r->fhead = (r->fhead + 1) % r->fcap;
		r->flen--;
	}
}

int stat_race_add(struct stat_race *r, uint32_t sess, uint64_t seq, uint32_t count, int line,
		  uint64_t ts)
{
	struct stat_race_entry *e = find(r, sess, seq);

	if (e) {
		if (e->line == line) {
			return 0; /* the same line again: a duplicate, the first arrival stands */
		}

		uint64_t d = ts >= e->ts ? ts - e->ts : 0;
		uint32_t n = count < e->count ? count : e->count;

		r->won[e->line] += n;
		r->hist[bucket_of(d)] += n;
		if (d > r->max_ns) {
			r->max_ns = d;
		}
		if (e->count > n) {
			r->unmatched[e->line] += e->count - n;
		}
		erase(r, e);
		return 0;
	}
	expire(r, ts);
	if ((r->used + 1) * 2 > (r->tab ? r->mask + 1 : 0) && grow(r) < 0) {
		return -ENOMEM;
	}
	if (fifo_push(r, sess, seq, ts) < 0) {
		return -ENOMEM;
	}

	size_t j = key_hash(sess, seq) & r->mask;

	while (r->tab[j].used) {
		j = (j + 1) & r->mask;
	}
	r->tab[j] = (struct stat_race_entry){ .seq = seq,
					      .ts = ts,
					      .sess = sess,
					      .count = count,
					      .line = (uint8_t)line,
					      .used = true };
	r->used++;
	return 0;
}

uint64_t stat_race_percentile(const struct stat_race *r, double p)
{
	uint64_t total = 0, acc = 0;

	for (unsigned int b = 0; b < STAT_RACE_BUCKETS; b++) {
		total += r->hist[b];
	}
	if (total == 0) {
		return 0;
	}

	uint64_t want = (uint64_t)(p * (double)total);

	if (want >= total) {
		want = total - 1;
	}
	for (unsigned int b = 0; b < STAT_RACE_BUCKETS; b++) {
		acc += r->hist[b];
		if (acc > want) {
			uint64_t v = bucket_value(b);

			return v < r->max_ns ? v : r->max_ns;
		}
	}
	return r->max_ns;
}

void stat_race_free(struct stat_race *r)
{
	free(r->tab);
	free(r->fifo);
	memset(r, 0, sizeof(*r));
}
