/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archive_set.c - several archives read as one stream in timestamp order (fcr_archive_set_*),
 * over the single-archive reader of archive_read.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "archive_read_internal.h"
#include "fcreader.h"

/*
 * A merge over sources that may be many more than the process can hold open: a source is
 * opened when the merge reaches its first timestamp (known from an archive set's index) and
 * closed as soon as it is done, so a day of one-minute files costs one or two open files at a
 * time.  Opening at first_ts gives exactly the order a merge of every file opened at once
 * gives: no record of a source can be smaller than its first_ts.
 */
struct src_state {
	struct fcr_source src; /* path is owned (strdup) */
	struct fcr_archive *a; /* open, or NULL */
	struct fcr_pkt cur;    /* head record while in the heap */
	uint64_t records;      /* returned, kept after close */
	char *damage;	       /* the damage message, kept after close; NULL if none */
	bool opened;
	bool entered; /* at an index seek point: fall back to the start on damage */
};

struct fcr_archive_set {
	unsigned int n;
	struct src_state *ss;
	unsigned int *order; /* sources by first_ts (stable): the order they are opened in */
	unsigned int next;   /* next in order[] to open */
	unsigned int *heap;  /* source indices, min-heap on (ts, index) */
	unsigned int hn;
	unsigned int nopen, max_open;
	int pending; /* source whose record was handed out last: advance it first */
	uint64_t from, to;
	int linktype;
	bool have_linktype;
	uint32_t snaplen;
	int error; /* -errno once a lazy open failed: the set stops */
	char msg[768];
	struct fcr_ifstats *stats; /* of the archives closed so far */
	unsigned int nstats;
};

static bool heap_less(const struct fcr_archive_set *s, unsigned int x, unsigned int y)
{
	if (s->ss[x].cur.ts_ns != s->ss[y].cur.ts_ns) {
		return s->ss[x].cur.ts_ns < s->ss[y].cur.ts_ns;
	}
	return x < y;
}

static void heap_swap(struct fcr_archive_set *s, unsigned int i, unsigned int j)
{
	unsigned int t = s->heap[i];

	s->heap[i] = s->heap[j];
	s->heap[j] = t;
}

static void heap_push(struct fcr_archive_set *s, unsigned int v)
{
	unsigned int i = s->hn++;

	s->heap[i] = v;
	while (i > 0 && heap_less(s, s->heap[i], s->heap[(i - 1) / 2])) {
		heap_swap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static unsigned int heap_pop(struct fcr_archive_set *s)
{
	unsigned int top = s->heap[0];
	unsigned int i = 0;

	s->heap[0] = s->heap[--s->hn];
	for (;;) {
		unsigned int l = 2 * i + 1, r = l + 1, m = i;

		if (l < s->hn && heap_less(s, s->heap[l], s->heap[m])) {
			m = l;
		}
		if (r < s->hn && heap_less(s, s->heap[r], s->heap[m])) {
			m = r;
		}
		if (m == i) {
			break;
		}
		heap_swap(s, i, m);
		i = m;
	}
	return top;
}

/* The interface statistics of an archive about to close, kept for fcr_archive_set_stats(). */
static void stats_keep(struct fcr_archive_set *s, struct fcr_archive *a)
{
	const struct fcr_ifstats *v;
	unsigned int n = fcr_archive_stats(a, &v);
	struct fcr_ifstats *nv;

	if (n == 0) {
		return;
	}
	nv = realloc(s->stats, (s->nstats + n) * sizeof(*nv));
	if (!nv) {
		return; /* statistics are a courtesy: the frames matter */
	}
	s->stats = nv;
	memcpy(s->stats + s->nstats, v, n * sizeof(*v));
	s->nstats += n;
}

static void src_close(struct fcr_archive_set *s, struct src_state *x)
{
	if (!x->a) {
		return;
	}
	x->records = fcr_archive_records(x->a);
	stats_keep(s, x->a);
	if (fcr_archive_damage_offset(x->a, NULL) && !x->damage) {
		x->damage = strdup(fcr_archive_error(x->a));
	}
	fcr_archive_close(x->a);
	x->a = NULL;
	s->nopen--;
}

static int set_fail(struct fcr_archive_set *s, int code, struct fcr_error *err)
{
	s->error = code;
	snprintf(s->msg, sizeof(s->msg), "%s", err->msg);
	return code;
}

/* Open source i (at its seek point when it has one); 0 or -errno with s->msg. */
static int src_open(struct fcr_archive_set *s, unsigned int i, bool at_seek)
{
	struct src_state *x = &s->ss[i];
	struct fcr_error err = { 0 };
	bool use_seek = at_seek && x->src.data_off && x->src.seek_off > x->src.data_off;

	if (s->nopen >= s->max_open) {
		char t[48];

		snprintf(
			err.msg, sizeof(err.msg),
			"%s: more than %u archives hold records of one moment (around %s): "
			"that is more files than this process may keep open (ulimit -n); raise "
			"the limit or read fewer archives at once",
			x->src.path, s->max_open,
			fcr_format_time(x->src.first_ts ? x->src.first_ts : s->from, t, sizeof(t)));
		return set_fail(s, -EMFILE, &err);
	}
	x->a = use_seek ? fcr_archive_open_at(x->src.path, x->src.data_off, x->src.seek_off, &err)
			: fcr_archive_open(x->src.path, &err);
	if (!x->a) {
		return set_fail(s, -errno, &err);
	}
	s->nopen++;
	x->opened = true;
	x->entered = use_seek;
	/*
	 * Archives of other link types merge too: every record carries its interface
	 * (pkt->meta->iface), and the writer decides whether the output can hold them.
	 */
	if (!s->have_linktype) {
		s->linktype = fcr_archive_linktype(x->a);
		s->have_linktype = true;
	}
	if (fcr_archive_snaplen(x->a) > s->snaplen) {
		s->snaplen = fcr_archive_snaplen(x->a);
	}
	if (s->from > 0) {
		/* whether or not a seek helps */
		fcr_archive_skip_before(x->a, s->from, !use_seek);
	}
	return 0;
}

/* The source's next record before `to`; false when it is done (or past to + slack). */
static bool src_advance(struct fcr_archive_set *s, unsigned int i)
{
	struct src_state *x = &s->ss[i];
	int rc;

	while ((rc = fcr_archive_next(x->a, &x->cur)) == 1) {
		uint64_t ts = x->cur.ts_ns;

		x->entered = false; /* the seek point was good */
		if (ts < s->to) {
			return true;
		}
		if (ts - s->to > FCR_ARCHIVE_TO_SLACK_NS) {
			break;
		}
	}
	if (rc < 0 && x->entered && fcr_archive_records_read(x->a) == 0) {
		/* A seek point that did not lead to a record (an index out of date): start over. */
		src_close(s, x);
		if (src_open(s, i, false) == 0) {
			return src_advance(s, i);
		}
		return false;
	}
	src_close(s, x);
	return false;
}

/* Open every source due: its first_ts is not after the smallest head record. */
static int open_due(struct fcr_archive_set *s)
{
	while (s->next < s->n) {
		unsigned int i = s->order[s->next];
		const struct src_state *x = &s->ss[i];

		if (x->src.first_ts && x->src.first_ts >= s->to) {
			s->next = s->n; /* sorted: no later source holds anything before to */
			break;
		}
		if (s->hn > 0 && x->src.first_ts > s->ss[s->heap[0]].cur.ts_ns) {
			break;
		}
		s->next++;
		if (src_open(s, i, true) < 0) {
			return s->error;
		}
		if (src_advance(s, i)) {
			heap_push(s, i);
		}
	}
	return 0;
}

static void set_err_nomem(struct fcr_error *err)
{
	fcr_read_set_err(err, -ENOMEM, "out of memory");
	errno = ENOMEM;
}

struct fcr_archive_set *fcr_archive_set_open_sources(const struct fcr_source *src, unsigned int n,
						     uint64_t from_ns, uint64_t to_ns,
						     unsigned int max_open, struct fcr_error *err)
{
	struct fcr_archive_set *s = calloc(1, sizeof(*s));
	unsigned int cap = n ? n : 1, i;

	if (!s) {
		set_err_nomem(err);
		return NULL;
	}
	s->pending = -1;
	s->from = from_ns;
	s->to = to_ns;
	s->max_open = max_open ? max_open : 1;
	s->ss = calloc(cap, sizeof(*s->ss));
	s->order = calloc(cap, sizeof(*s->order));
	s->heap = calloc(cap, sizeof(*s->heap));
	if (!s->ss || !s->order || !s->heap) {
		set_err_nomem(err);
		fcr_archive_set_close(s);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		s->ss[i].src = src[i];
		s->ss[i].src.path = strdup(src[i].path);
		s->n = i + 1;
		if (!s->ss[i].src.path) {
			set_err_nomem(err);
			fcr_archive_set_close(s);
			return NULL;
		}
	}
	/* stable by first_ts: insertion sort is fine for the already sorted lists of an index */
	for (i = 0; i < n; i++) {
		unsigned int j = i;

		while (j > 0 && s->ss[s->order[j - 1]].src.first_ts > src[i].first_ts) {
			s->order[j] = s->order[j - 1];
			j--;
		}
		s->order[j] = i;
	}
	/* the first sources now: the link type and snap length are needed before any record */
	if (open_due(s) < 0) {
		fcr_read_set_err(err, s->error, "%s", s->msg);
		errno = -s->error;
		fcr_archive_set_close(s);
		return NULL;
	}
	return s;
}

struct fcr_archive_set *fcr_archive_set_open(const char *const *paths, unsigned int n,
					     uint64_t from_ns, uint64_t to_ns,
					     struct fcr_error *err)
{
	struct fcr_source *src = calloc(n ? n : 1, sizeof(*src));
	struct fcr_archive_set *s;

	if (!src) {
		set_err_nomem(err);
		return NULL;
	}
	for (unsigned int i = 0; i < n; i++) {
		src[i].path = paths[i]; /* first_ts 0: every one opened at once, as given */
	}
	s = fcr_archive_set_open_sources(src, n, from_ns, to_ns, n ? n : 1, err);
	free(src);
	return s;
}

int fcr_archive_set_next(struct fcr_archive_set *s, struct fcr_pkt *pkt, unsigned int *src)
{
	if (s->error) {
		return s->error;
	}
	if (s->pending >= 0) {
		unsigned int i = (unsigned int)s->pending;

		s->pending = -1;
		if (src_advance(s, i)) {
			heap_push(s, i);
		}
	}
	if (open_due(s) < 0) {
		return s->error;
	}
	if (s->hn == 0) {
		return 0;
	}

	unsigned int i = heap_pop(s);

	s->pending = (int)i;
	*pkt = s->ss[i].cur;
	if (src) {
		*src = i;
	}
	return 1;
}

const char *fcr_archive_set_error(const struct fcr_archive_set *s)
{
	return s->msg;
}

unsigned int fcr_archive_set_count(const struct fcr_archive_set *s)
{
	return s->n;
}

struct fcr_archive *fcr_archive_set_get(const struct fcr_archive_set *s, unsigned int i)
{
	return i < s->n ? s->ss[i].a : NULL;
}

void fcr_archive_set_result(const struct fcr_archive_set *s, unsigned int i,
			    struct fcr_archive_result *r)
{
	const struct src_state *x = &s->ss[i];

	memset(r, 0, sizeof(*r));
	if (i >= s->n) {
		return;
	}
	r->path = x->src.path;
	r->opened = x->opened;
	r->records = x->a ? fcr_archive_records(x->a) : x->records;
	if (x->a && fcr_archive_damage_offset(x->a, NULL)) {
		r->damaged = true;
		r->message = fcr_archive_error(x->a);
	} else if (x->damage) {
		r->damaged = true;
		r->message = x->damage;
	} else {
		r->message = "";
	}
}

unsigned int fcr_archive_set_stats(const struct fcr_archive_set *s, const struct fcr_ifstats **out)
{
	*out = s->stats;
	return s->nstats;
}

int fcr_archive_set_linktype(const struct fcr_archive_set *s)
{
	return s->linktype;
}

uint32_t fcr_archive_set_snaplen(const struct fcr_archive_set *s)
{
	/*
	 * Sources not opened yet may have a larger snap length than those seen: promise what
	 * libpcap accepts at most, so no record written later is longer than the header says.
	 */
	if (s->next < s->n && s->snaplen < 262144u) {
		return 262144u;
	}
	return s->snaplen;
}

void fcr_archive_set_close(struct fcr_archive_set *s)
{
	if (!s) {
		return;
	}
	for (unsigned int i = 0; s->ss && i < s->n; i++) {
		if (s->ss[i].a) {
			fcr_archive_close(s->ss[i].a);
		}
		free((char *)(uintptr_t)s->ss[i].src.path);
		free(s->ss[i].damage);
	}
	free(s->ss);
	free(s->order);
	free(s->heap);
	free(s->stats);
	free(s);
}
