/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archset_pick.c - from a reader's command line to the archives it means, in time order.
 *
 * A file named on its own is looked up in its directory's index (only the index: listing a
 * directory the user did not name could mean reading every file in it); a line of the file's
 * size describes it.  Otherwise its first record is enough to place it in a merge that opens
 * files as it reaches them, which keeps feedcap-replay on a shell glob of a directory within
 * the open-file limit however many files the shell expands.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "archset_internal.h"

/* The indexes of the directories of files named on their own. */
struct dircache {
	char *dir;
	struct archset_vec vec; /* by file name */
};

struct pick_ctx {
	struct archset_picks *out;
	size_t cap;
	struct dircache *dc;
	size_t ndc;
	struct archset_warn notes;
	unsigned int flags;
	uint64_t from, to;
};

static struct archset_pick *pick_push(struct pick_ctx *c, const char *path)
{
	struct archset_picks *o = c->out;
	struct archset_pick *p;

	if (o->n == c->cap) {
		size_t nc = c->cap ? 2 * c->cap : 64;
		struct archset_pick *nv = realloc(o->v, nc * sizeof(*nv));

		if (!nv) {
			return NULL;
		}
		o->v = nv;
		c->cap = nc;
	}
	p = &o->v[o->n];
	memset(p, 0, sizeof(*p));
	p->path = strdup(path);
	if (!p->path) {
		return NULL;
	}
	o->n++;
	return p;
}

static void span_add(struct archset_picks *o, const struct archset_ent *e, bool known)
{
	if (!e->frames && known) {
		return;
	}
	if (e->first_ts && (!o->have_oldest || e->first_ts < o->oldest)) {
		o->oldest = e->first_ts;
		o->have_oldest = true;
	}
	if (!known) {
		o->newest_known = false;
	} else if (e->last_ts > o->newest) {
		o->newest = e->last_ts;
	}
}

static const struct archset_vec *dir_index(struct pick_ctx *c, const char *dir,
					   struct fcr_error *err)
{
	struct dircache *n;
	size_t i;

	for (i = 0; i < c->ndc; i++) {
		if (strcmp(c->dc[i].dir, dir) == 0) {
			return &c->dc[i].vec;
		}
	}
	n = realloc(c->dc, (c->ndc + 1) * sizeof(*n));
	if (!n) {
		return NULL;
	}
	c->dc = n;
	n = &c->dc[c->ndc];
	memset(n, 0, sizeof(*n));
	n->dir = strdup(dir);
	if (!n->dir) {
		return NULL;
	}
	c->ndc++;
	/* an unreadable index only means reading the file itself */
	if (archset_index_entries(dir, &n->vec, err) < 0) {
		archset_vec_free(&n->vec);
	}
	return &n->vec;
}

static const struct archset_ent *vec_find(const struct archset_vec *v, const char *file)
{
	size_t lo = 0, hi = v->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int k = strcmp(v->v[mid].file, file);

		if (k == 0) {
			return &v->v[mid];
		}
		if (k < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return NULL;
}

/* The first record's time (and the container), without reading further. */
static int probe(const char *path, struct archset_ent *e, struct fcr_error *err)
{
	struct fcr_archive *a = fcr_archive_open(path, err);
	struct fcr_pkt pkt;

	if (!a) {
		return -errno;
	}
	e->zstd = fcr_archive_compressed(a);
	e->format = fcr_archive_container(a) == FCR_CONT_PCAPNG ? FCR_FMT_PCAPNG : FCR_FMT_PCAP;
	if (fcr_archive_next(a, &pkt) == 1) {
		e->first_ts = pkt.ts_ns;
		e->frames = 1; /* at least */
	}
	fcr_archive_close(a);
	return 0;
}

static int pick_dir(struct pick_ctx *c, const char *dir, struct fcr_error *err)
{
	struct archset *s = archset_open(dir, c->flags & (ARCHSET_REPAIR | ARCHSET_NO_CHECK), err);
	const char *w;
	size_t i;

	if (!s) {
		return -errno;
	}
	for (w = archset_warnings(s); *w;) {
		size_t l = strcspn(w, "\n");

		archset_warnf(&c->notes, "%.*s", (int)l, w);
		w += l + (w[l] == '\n');
	}
	for (i = 0; i < archset_count(s); i++) {
		const struct archset_ent *e = archset_get(s, i);
		struct archset_pick *p;

		span_add(c->out, e, true);
		if (!archset_overlaps(e, c->from, c->to)) {
			continue;
		}
		p = pick_push(c, archset_path(s, i));
		if (!p) {
			archset_close(s);
			return archset_fail(err, -ENOMEM, "%s: out of memory", dir);
		}
		p->e = *e;
		p->known = true;
	}
	archset_close(s);
	return 0;
}

static int pick_file(struct pick_ctx *c, const char *arg, struct fcr_error *err)
{
	char dbuf[4096], fbuf[4096];
	const struct archset_vec *idx;
	const struct archset_ent *ie;
	struct archset_ent e;
	struct archset_pick *p;
	struct stat st;
	const char *base, *dir;
	int rc;

	snprintf(fbuf, sizeof(fbuf), "%s", arg);
	snprintf(dbuf, sizeof(dbuf), "%s", arg);
	base = basename(fbuf);
	dir = dirname(dbuf);
	if (archset_is_own_name(base)) {
		archset_warnf(
			&c->notes,
			"%s: skipped (the archive set's own file: index, .part or checkpoint)",
			arg);
		return 0;
	}
	if (stat(arg, &st) != 0) {
		return archset_fail(err, -errno, "%s: %s", arg, strerror(errno));
	}
	memset(&e, 0, sizeof(e));
	snprintf(e.file, sizeof(e.file), "%s", base);
	idx = dir_index(c, dir, NULL);
	ie = idx ? vec_find(idx, base) : NULL;
	if (ie && ie->bytes == (uint64_t)st.st_size) {
		e = *ie;
	} else if (c->flags & ARCHSET_PICK_READ) {
		struct fcr_error rerr = { 0 };

		rc = archset_entry_from_file(dir, base, &e, &rerr);
		if (rc < 0 && e.frames == 0) {
			return archset_fail(err, rc, "%s", rerr.msg);
		}
		if (rc < 0) {
			archset_warnf(&c->notes, "%s", rerr.msg);
		}
	} else {
		rc = probe(arg, &e, err);
		if (rc < 0) {
			return rc;
		}
		p = pick_push(c, arg);
		if (!p) {
			return archset_fail(err, -ENOMEM, "%s: out of memory", arg);
		}
		p->e = e;
		span_add(c->out, &e, false);
		if (e.first_ts >= c->to) {
			free(p->path);
			c->out->n--;
		}
		return 0;
	}
	span_add(c->out, &e, true);
	if (!archset_overlaps(&e, c->from, c->to)) {
		return 0;
	}
	p = pick_push(c, arg);
	if (!p) {
		return archset_fail(err, -ENOMEM, "%s: out of memory", arg);
	}
	p->e = e;
	p->known = true;
	return 0;
}

static int cmp_pick(const void *a, const void *b, void *ctx)
{
	const struct archset_pick *v = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	if (v[x].e.first_ts != v[y].e.first_ts) {
		return v[x].e.first_ts < v[y].e.first_ts ? -1 : 1;
	}
	return x < y ? -1 : x > y; /* ties: the order named */
}

/* Sort by first_ts, stably (qsort is not: sort positions, then move the picks). */
static int sort_picks(struct archset_picks *o)
{
	size_t *ix = malloc(o->n * sizeof(*ix)), i;
	struct archset_pick *nv = malloc(o->n * sizeof(*nv));

	if (!ix || !nv) {
		free(ix);
		free(nv);
		return -ENOMEM;
	}
	for (i = 0; i < o->n; i++) {
		ix[i] = i;
	}
	qsort_r(ix, o->n, sizeof(*ix), cmp_pick, o->v);
	for (i = 0; i < o->n; i++) {
		nv[i] = o->v[ix[i]];
	}
	free(o->v);
	free(ix);
	o->v = nv;
	return 0;
}

int archset_pick(char *const *args, unsigned int nargs, unsigned int flags, uint64_t from,
		 uint64_t to, struct archset_picks *out, struct fcr_error *err)
{
	struct pick_ctx c = { .out = out, .flags = flags, .from = from, .to = to };
	unsigned int i;
	size_t k;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->newest_known = true;
	for (i = 0; i < nargs && rc == 0; i++) {
		struct stat st;

		if (strcmp(args[i], "-") == 0) {
			struct archset_pick *p = pick_push(&c, "-");

			if (!p) {
				rc = archset_fail(err, -ENOMEM, "out of memory");
				break;
			}
			snprintf(p->e.file, sizeof(p->e.file), "-");
			out->newest_known = false;
			continue;
		}
		if (stat(args[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			rc = pick_dir(&c, args[i], err);
		} else {
			rc = pick_file(&c, args[i], err);
		}
	}
	if (rc == 0 && out->n > 1 && sort_picks(out) < 0) {
		rc = archset_fail(err, -ENOMEM, "out of memory");
	}
	for (k = 0; k < c.ndc; k++) {
		free(c.dc[k].dir);
		archset_vec_free(&c.dc[k].vec);
	}
	free(c.dc);
	out->notes = strdup(archset_warn_str(&c.notes));
	archset_warn_free(&c.notes);
	if (rc == 0 && !out->notes) {
		rc = archset_fail(err, -ENOMEM, "out of memory");
	}
	if (rc < 0) {
		archset_picks_free(out);
	}
	return rc;
}

void archset_picks_free(struct archset_picks *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].path);
	}
	free(p->v);
	free(p->notes);
	memset(p, 0, sizeof(*p));
}

struct fcr_source *archset_picks_sources(const struct archset_picks *p, uint64_t from)
{
	struct fcr_source *src = calloc(p->n ? p->n : 1, sizeof(*src));

	for (size_t i = 0; src && i < p->n; i++) {
		const struct archset_ent *e = &p->v[i].e;

		src[i].path = p->v[i].path;
		src[i].first_ts = e->first_ts;
		if (from > 0 && p->v[i].known) {
			src[i].data_off = e->data_off;
			src[i].seek_off = archset_seek_offset(e, from);
		}
	}
	return src;
}
