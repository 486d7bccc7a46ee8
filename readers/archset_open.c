/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archset_open.c - the set as readers see it: the index checked against the directory (and
 * repaired), sorted by time; lookups by time, by name, by seek point; the resume point of an
 * archive job; archset_reindex().
 *
 * The repair appends, like any writer: lines for the archives it had to read, tombstones for
 * the lines whose file is gone.  Reading files takes time, during which a job may append the
 * real line of a file the repair is about to describe from the file alone (it renamed the file
 * before appending its line).  So the repair, once it holds the lock, reads the lines appended
 * since it read the index and leaves alone every file they name: the job's line, with its ring
 * and sequence numbers, stays the last word.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archset_internal.h"

struct archset {
	char *dir;
	struct archset_vec vec; /* by (first_ts, file) */
	size_t *by_name;	/* indices into vec, by file name */
	char **paths;		/* DIR/FILE of each entry */
	struct archset_warn warn;
};

/* What archset_load() found. */
struct loaded {
	struct archset_rec *recs;
	size_t nrecs;
	unsigned int lineno;
	uint64_t end; /* offset after the last complete line */
	bool have_index;
};

/* What a check of the index against the directory holds while it runs. */
struct check {
	struct loaded ld;
	struct archset_dirlist dl;
	char **gone; /* names of lines whose file is gone */
	size_t ngone;
	size_t *fresh; /* entries read from their files */
	size_t nfresh;
};

static void check_free(struct check *c)
{
	size_t i;

	for (i = 0; i < c->ngone; i++) {
		free(c->gone[i]);
	}
	free(c->gone);
	free(c->fresh);
	free(c->ld.recs);
	archset_dir_free(&c->dl);
	memset(c, 0, sizeof(*c));
}

/* Read the index (fd locked by the caller, or -1 to open and lock it shared here). */
static int load(const char *dir, int fd, struct loaded *ld, struct archset_vec *vec,
		struct archset_warn *w)
{
	char path[4096];
	struct fcr_error err = { 0 };
	bool own = fd < 0;
	int rc;

	memset(ld, 0, sizeof(*ld));
	archset_index_path(dir, path, sizeof(path));
	if (own) {
		fd = archset_index_lock(dir, false, &err);
		if (fd == -ENOENT) {
			archset_warnf(w, "%s: no index: the set is built from the files", path);
			return 0;
		}
		if (fd < 0) {
			archset_warnf(w, "%s: the set is built from the files", err.msg);
			return 0;
		}
	}
	rc = archset_index_parse(fd, path, 0, &ld->recs, &ld->nrecs, &ld->lineno, &ld->end, w);
	if (own) {
		close(fd);
	}
	if (rc == -ENOMEM) {
		return rc;
	}
	if (rc < 0) {
		archset_warnf(w, "%s: cannot read the index (%s): the set is built from the files",
			      path, strerror(-rc));
		return 0;
	}
	ld->have_index = true;
	/* resolve a copy: ld->recs is kept in line order for nobody, so reorder freely */
	return archset_index_resolve(ld->recs, ld->nrecs, vec);
}

static long vec_find_linear(const struct archset_vec *vec, const char *file)
{
	size_t i;

	for (i = 0; i < vec->n; i++) {
		if (strcmp(vec->v[i].file, file) == 0) {
			return (long)i;
		}
	}
	return -1;
}

/* Drop entry i of vec (order does not matter yet: the set is sorted at the end). */
static void vec_del(struct archset_vec *vec, size_t i)
{
	vec->v[i] = vec->v[vec->n - 1];
	vec->stale[i] = vec->stale[vec->n - 1];
	vec->n--;
}

/*
 * Append what the check found to the index: lines for the entries read from files (fresh
 * indices into vec), tombstones for gone.  Lines appended meanwhile by others win, and are
 * taken into vec.
 */
static void repair_index(const char *dir, struct archset_vec *vec, uint64_t loaded_end,
			 unsigned int lineno, char **gone, size_t ngone, const size_t *fresh,
			 size_t nfresh, struct archset_warn *w)
{
	struct fcr_error err = { 0 };
	struct archset_rec *newer = NULL;
	size_t nnewer = 0, i, len = 0, cap = 0;
	char **fresh_names = NULL, *buf = NULL, path[4096];
	uint64_t end;
	int fd, rc;

	archset_index_path(dir, path, sizeof(path));
	fd = archset_index_lock(dir, true, &err);
	if (fd < 0) {
		archset_warnf(w, "%s: the repair was made in memory only", err.msg);
		return;
	}
	fresh_names = calloc(nfresh ? nfresh : 1, sizeof(*fresh_names));
	if (!fresh_names) {
		goto out;
	}
	for (i = 0; i < nfresh; i++) {
		fresh_names[i] = vec->v[fresh[i]].file;
	}
	rc = archset_index_parse(fd, path, loaded_end, &newer, &nnewer, &lineno, &end, NULL);
	for (i = 0; rc == 0 && i < nnewer; i++) {
		const struct archset_rec *r = &newer[i];
		long k = vec_find_linear(vec, r->e.file);
		size_t j;

		for (j = 0; j < nfresh; j++) {
			if (fresh_names[j] && strcmp(fresh_names[j], r->e.file) == 0) {
				fresh_names[j] = NULL; /* its writer described it */
			}
		}
		for (j = 0; j < ngone; j++) {
			if (gone[j] && strcmp(gone[j], r->e.file) == 0) {
				free(gone[j]);
				gone[j] = NULL;
			}
		}
		if (r->tomb) {
			if (k >= 0) {
				vec_del(vec, (size_t)k);
			}
			continue;
		}
		if (k < 0) {
			struct archset_ent *e = archset_vec_push(vec);

			if (!e) {
				goto out;
			}
			k = (long)vec->n - 1;
		}
		vec->v[k] = r->e;
	}
	/* every line in one write(): the lock orders it against other writers */
	for (i = 0; i < nfresh + ngone; i++) {
		size_t l = 0;
		char *line;

		if (i < nfresh) {
			long k;

			if (!fresh_names[i]) {
				continue;
			}
			k = vec_find_linear(vec, fresh_names[i]);
			if (k < 0) {
				continue;
			}
			line = archset_index_line(&vec->v[k], &l);
		} else {
			if (!gone[i - nfresh]) {
				continue;
			}
			line = archset_index_tomb_line(gone[i - nfresh], &l);
		}
		if (!line) {
			goto out;
		}
		if (len + l + 1 > cap) {
			size_t nc = (len + l + 1) * 2;
			char *nb = realloc(buf, nc);

			if (!nb) {
				free(line);
				goto out;
			}
			buf = nb;
			cap = nc;
		}
		memcpy(buf + len, line, l);
		len += l;
		free(line);
	}
	if (len) {
		rc = archset_index_write_locked(fd, buf, len);
		if (rc < 0) {
			archset_warnf(w, "%s: cannot append the repair (%s): made in memory only",
				      path, strerror(-rc));
		}
	}
out:
	close(fd);
	free(buf);
	free(fresh_names);
	free(newer);
}

static int cmp_by_name(const void *a, const void *b, void *ctx)
{
	const struct archset_vec *vec = ctx;

	return strcmp(vec->v[*(const size_t *)a].file, vec->v[*(const size_t *)b].file);
}

static int finish(struct archset *s)
{
	size_t i, dl = strlen(s->dir);

	archset_sort_by_time(&s->vec);
	s->by_name = malloc((s->vec.n ? s->vec.n : 1) * sizeof(*s->by_name));
	s->paths = calloc(s->vec.n ? s->vec.n : 1, sizeof(*s->paths));
	if (!s->by_name || !s->paths) {
		return -ENOMEM;
	}
	for (i = 0; i < s->vec.n; i++) {
		size_t fl = strlen(s->vec.v[i].file);

		s->by_name[i] = i;
		s->paths[i] = malloc(dl + fl + 2);
		if (!s->paths[i]) {
			return -ENOMEM;
		}
		memcpy(s->paths[i], s->dir, dl);
		s->paths[i][dl] = '/';
		memcpy(s->paths[i] + dl + 1, s->vec.v[i].file, fl + 1);
	}
	qsort_r(s->by_name, s->vec.n, sizeof(*s->by_name), cmp_by_name, &s->vec);
	return 0;
}

struct archset *archset_open(const char *dir, unsigned int flags, struct fcr_error *err)
{
	struct archset *s;
	struct check c = { 0 };
	struct stat st;
	int rc;

	if (stat(dir, &st) != 0) {
		int e = errno;

		archset_fail(err, -e, "%s: %s", dir, strerror(e));
		errno = e;
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		archset_fail(err, -ENOTDIR, "%s: not a directory", dir);
		errno = ENOTDIR;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->dir = strdup(dir))) {
		free(s);
		archset_fail(err, -ENOMEM, "%s: out of memory", dir);
		errno = ENOMEM;
		return NULL;
	}
	rc = load(dir, -1, &c.ld, &s->vec, &s->warn);
	if (rc == 0 && (!(flags & ARCHSET_NO_CHECK) || !c.ld.have_index)) {
		rc = archset_dir_list(dir, &c.dl, err);
		if (rc == 0) {
			rc = archset_reconcile(dir, &s->vec, &c.dl, &s->warn, &c.gone, &c.ngone,
					       &c.fresh, &c.nfresh);
		}
		if (rc == 0 && (c.ngone || c.nfresh) && (flags & ARCHSET_REPAIR)) {
			repair_index(dir, &s->vec, c.ld.end, c.ld.lineno, c.gone, c.ngone, c.fresh,
				     c.nfresh, &s->warn);
		} else if (rc == 0 && (c.ngone || c.nfresh)) {
			archset_warnf(&s->warn,
				      "%s: the index was not changed (repaired in memory only; "
				      "feedcap-replay --reindex %s writes it)",
				      dir, dir);
		}
	}
	if (rc == 0) {
		rc = finish(s);
	}
	check_free(&c);
	if (rc < 0) {
		if (rc == -ENOMEM) {
			archset_fail(err, rc, "%s: out of memory", dir);
		}
		archset_close(s);
		errno = -rc;
		return NULL;
	}
	return s;
}

size_t archset_count(const struct archset *s)
{
	return s->vec.n;
}

const struct archset_ent *archset_get(const struct archset *s, size_t i)
{
	return i < s->vec.n ? &s->vec.v[i] : NULL;
}

const char *archset_path(const struct archset *s, size_t i)
{
	return i < s->vec.n ? s->paths[i] : NULL;
}

const char *archset_warnings(const struct archset *s)
{
	return archset_warn_str((struct archset_warn *)(uintptr_t)&s->warn);
}

void archset_close(struct archset *s)
{
	size_t i;

	if (!s) {
		return;
	}
	for (i = 0; s->paths && i < s->vec.n; i++) {
		free(s->paths[i]);
	}
	free(s->paths);
	free(s->by_name);
	archset_vec_free(&s->vec);
	archset_warn_free(&s->warn);
	free(s->dir);
	free(s);
}

const struct archset_ent *archset_find(const struct archset *s, const char *file)
{
	size_t lo = 0, hi = s->vec.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct archset_ent *e = &s->vec.v[s->by_name[mid]];
		int c = strcmp(e->file, file);

		if (c == 0) {
			return e;
		}
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return NULL;
}

bool archset_span(const struct archset *s, uint64_t *oldest, uint64_t *newest)
{
	bool any = false;
	size_t i;

	for (i = 0; i < s->vec.n; i++) {
		const struct archset_ent *e = &s->vec.v[i];

		if (!e->frames) {
			continue;
		}
		if (!any || e->first_ts < *oldest) {
			*oldest = e->first_ts;
		}
		if (!any || e->last_ts > *newest) {
			*newest = e->last_ts;
		}
		any = true;
	}
	return any;
}

/* ------------------------------------------------------------------ time */

bool archset_overlaps(const struct archset_ent *e, uint64_t from, uint64_t to)
{
	return e->first_ts < to && e->last_ts >= from;
}

uint64_t archset_seek_offset(const struct archset_ent *e, uint64_t from)
{
	uint32_t lo = 0, hi = e->nseek;

	if (!e->data_off || !e->nseek) {
		return 0;
	}
	/* max_ts_before grows with off: the last point whose max_ts_before < from */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (e->seek[mid].max_ts_before < from) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo ? e->seek[lo - 1].off : 0;
}

void archset_seek_add(struct archset_ent *e, uint64_t off, uint64_t max_ts_before)
{
	uint32_t n = e->nseek, i;

	if (!max_ts_before || (n && off <= e->seek[n - 1].off)) {
		return;
	}
	if (n >= 2) {
		/*
		 * Keep the spacing the thinning made: a point closer to the last one than 3/4
		 * of the average gap waits for a later one.
		 */
		uint64_t span = e->seek[n - 1].off - e->seek[0].off;

		if ((off - e->seek[n - 1].off) * 4 * (n - 1) < span * 3) {
			return;
		}
	}
	if (n == ARCHSET_MAX_SEEK) {
		for (i = 0; i < n / 2; i++) {
			e->seek[i] = e->seek[2 * i + 1];
		}
		n /= 2;
	}
	e->seek[n].off = off;
	e->seek[n].max_ts_before = max_ts_before;
	e->nseek = n + 1;
}

/* ------------------------------------------------------------------ jobs */

bool archset_resume_point(const struct archset *s, const char *pattern, const char *ring,
			  uint64_t ring_id, uint64_t *last_seq, uint64_t *epoch)
{
	bool found = false;
	size_t i;

	for (i = 0; i < s->vec.n; i++) {
		const struct archset_ent *e = &s->vec.v[i];

		if (!e->last_seq || e->ring_id != ring_id || strcmp(e->pattern, pattern) != 0 ||
		    strcmp(e->ring, ring) != 0) {
			continue;
		}
		if (!found || e->last_seq > *last_seq) {
			*last_seq = e->last_seq;
			if (epoch) {
				*epoch = e->epoch;
			}
			found = true;
		}
	}
	return found;
}

/* ------------------------------------------------------------------ reindex */

int archset_reindex(const char *dir, unsigned int *nrepaired, struct fcr_error *err)
{
	struct archset_warn w = { 0 };
	struct archset_vec vec = { 0 };
	struct check c = { 0 };
	char path[4096], tmp[4200];
	size_t i;
	int fd, tfd = -1, rc;

	if (archset_index_path(dir, path, sizeof(path)) < 0) {
		return archset_fail(err, -ENAMETOOLONG, "%.200s...: name too long", dir);
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	fd = archset_index_lock(dir, true, err);
	if (fd < 0) {
		return fd;
	}
	rc = load(dir, fd, &c.ld, &vec, &w);
	if (rc == 0) {
		rc = archset_dir_list(dir, &c.dl, err);
	}
	if (rc == 0) {
		rc = archset_reconcile(dir, &vec, &c.dl, &w, &c.gone, &c.ngone, &c.fresh,
				       &c.nfresh);
	}
	if (rc == -ENOMEM) {
		archset_fail(err, rc, "%s: out of memory", dir);
	}
	if (rc < 0) {
		goto out;
	}
	archset_sort_by_time(&vec);
	tfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (tfd < 0) {
		rc = archset_fail(err, -errno, "%s: cannot create: %s", tmp, strerror(errno));
		goto out;
	}
	for (i = 0; i < vec.n && rc == 0; i++) {
		size_t l = 0;
		char *line = archset_index_line(&vec.v[i], &l);

		rc = line ? archset_write_all(tfd, line, l) : -ENOMEM;
		free(line);
	}
	if (rc == 0 && fsync(tfd) != 0) {
		rc = -errno;
	}
	if (close(tfd) != 0 && rc == 0) {
		rc = -errno;
	}
	if (rc == 0 && rename(tmp, path) != 0) {
		rc = -errno;
	}
	if (rc < 0) {
		unlink(tmp);
		archset_fail(err, rc, "%s: cannot write the new index: %s", path, strerror(-rc));
		goto out;
	}
	{
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	if (nrepaired) {
		*nrepaired = (unsigned int)c.nfresh;
	}
	rc = (int)vec.n;
out:
	close(fd); /* the lock, on the old index: lockers waiting on it look again */
	check_free(&c);
	archset_vec_free(&vec);
	archset_warn_free(&w);
	return rc;
}
