/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archset_retain.c - retention through the index: -W N, retention_age, retention_bytes, over
 * one directory or over the dated directories of one pattern taken as one set.
 *
 * Only what an index lists is ever deleted, and only the archives of one pattern: an index
 * line says which pattern made the file (a version 1 line does not: then the file's name must
 * be one the pattern makes, archset_pattern_match()).  A file found in a directory without a
 * line is left alone, whatever its name: it may be a user's.  Each deletion is followed by its
 * tombstone in the index of the file's own directory, so a crash in between leaves a line
 * without a file, which the next archset_open() drops (unless ARCHSET_NO_CHECK), and so does
 * the next pass here: the file still counts against the limit, so it is picked again, and gone
 * already, it gets its tombstone (feedcap-dump runs a pass when a job starts again for that
 * reason).
 *
 * Several directories: the oldest archive of the whole set goes first, wherever it is.  A
 * year of daily directories is too many indexes to read after every archive, so each
 * directory is summed up once (how many archives of the pattern, their bytes, the oldest
 * first_ts and last_ts) and read again only when its index changed; a run reads the entries
 * of a directory only when the oldest of the set may be there (its oldest first_ts is not
 * newer than the oldest entry read so far) or when it holds something past the age.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archset_internal.h"

/* One directory of the set, as its index was last summed up. */
struct ret_dir {
	char *dir;
	dev_t dev; /* of the directory: the kept file is matched by it, not by spelling */
	ino_t ino;
	bool known; /* the sums hold for the index as idx_* describe it */
	dev_t idx_dev;
	ino_t idx_ino; /* 0: there was no index */
	off_t idx_size;
	struct timespec idx_mtime;
	uint64_t n, bytes;		    /* the pattern's archives the index lists */
	uint64_t oldest_first, oldest_last; /* their smallest first_ts and last_ts */

	/* during one run */
	bool loaded;
	struct archset_vec vec; /* the pattern's entries, by time */
	size_t next;		/* vec.v[next]: the oldest not looked at yet */
	bool touched;		/* something deleted from it */
	bool fresh;		/* first seen in this run */
};

struct archset_retainer {
	char pat[256]; /* the pattern's last component */
	char *root;    /* NULL: never remove a directory */
	regex_t re;
	struct archset_retention r;
	struct ret_dir *d;
	size_t n;
};

struct archset_retainer *archset_retainer_create(const char *pattern,
						 const struct archset_retention *r,
						 const char *root, struct fcr_error *err)
{
	struct archset_retainer *t = calloc(1, sizeof(*t));
	int rc;

	if (!t || (root && !(t->root = strdup(root)))) {
		free(t);
		errno = ENOMEM;
		archset_fail(err, -ENOMEM, "%s: out of memory", pattern);
		return NULL;
	}
	rc = archset_pat_compile(pattern, &t->re);
	if (rc < 0) {
		free(t->root);
		free(t);
		errno = -rc;
		archset_fail(err, rc, "%s: cannot make a name pattern of it", pattern);
		return NULL;
	}
	snprintf(t->pat, sizeof(t->pat), "%s", archset_base_of(pattern));
	t->r = *r;
	return t;
}

static void dir_forget(struct ret_dir *d)
{
	free(d->dir);
	archset_vec_free(&d->vec);
}

void archset_retainer_destroy(struct archset_retainer *t)
{
	size_t i;

	if (!t) {
		return;
	}
	for (i = 0; i < t->n; i++) {
		dir_forget(&t->d[i]);
	}
	free(t->d);
	regfree(&t->re);
	free(t->root);
	free(t);
}

/*
 * The directories of this run, in the order given: those known keep their sums, those no
 * longer named are forgotten.  0 or -ENOMEM.
 */
static int set_dirs(struct archset_retainer *t, const char *const *dirs, size_t ndirs)
{
	struct ret_dir *nd = calloc(ndirs ? ndirs : 1, sizeof(*nd));
	size_t i, j;

	if (!nd) {
		return -ENOMEM;
	}
	for (i = 0; i < ndirs; i++) {
		for (j = 0; j < t->n; j++) {
			if (t->d[j].dir && strcmp(t->d[j].dir, dirs[i]) == 0) {
				nd[i] = t->d[j];
				t->d[j].dir = NULL;
				t->d[j].vec = (struct archset_vec){ 0 };
				break;
			}
		}
		nd[i].fresh = !nd[i].dir;
		if (!nd[i].dir && !(nd[i].dir = strdup(dirs[i]))) {
			for (j = 0; j < i; j++) {
				dir_forget(&nd[j]);
			}
			free(nd);
			return -ENOMEM;
		}
	}
	for (j = 0; j < t->n; j++) {
		dir_forget(&t->d[j]);
	}
	free(t->d);
	t->d = nd;
	t->n = ndirs;
	return 0;
}

/* Read d's index: the pattern's entries, sorted by time, and their sums.  0 or -errno. */
static int load(struct archset_retainer *t, struct ret_dir *d, const struct stat *idx,
		struct fcr_error *err)
{
	size_t i, n = 0;
	int rc;

	archset_vec_free(&d->vec);
	rc = archset_index_entries(d->dir, &d->vec, err);
	if (rc < 0) {
		d->known = false;
		return rc;
	}
	d->n = d->bytes = 0;
	d->oldest_first = d->oldest_last = UINT64_MAX;
	for (i = 0; i < d->vec.n; i++) {
		const struct archset_ent *e = &d->vec.v[i];
		bool mine = e->pattern[0] ? strcmp(archset_base_of(e->pattern), t->pat) == 0
					  : archset_pat_test(&t->re, e->file);

		if (!mine) {
			continue;
		}
		d->vec.v[n++] = *e;
		d->n++;
		d->bytes += e->bytes;
		if (e->first_ts < d->oldest_first) {
			d->oldest_first = e->first_ts;
		}
		if (e->last_ts < d->oldest_last) {
			d->oldest_last = e->last_ts;
		}
	}
	d->vec.n = n;
	archset_sort_by_time(&d->vec);
	d->loaded = true;
	d->next = 0;
	d->known = true;
	/*
	 * The index as stat() saw it before the read (idx NULL: the sums were up to date with
	 * what idx_* say): if a line came since, the stat differs next time and the index is
	 * read again.
	 */
	if (idx) {
		d->idx_dev = idx->st_dev;
		d->idx_ino = idx->st_ino;
		d->idx_size = idx->st_size;
		d->idx_mtime = idx->st_mtim;
	}
	return 0;
}

/*
 * Read a directory whose sums were counted already, in the middle of a run: the totals follow
 * what it says now (a line may have come since its sums).  A directory that cannot be read
 * counts for nothing, as in refresh().
 */
static void load_counted(struct archset_retainer *t, struct ret_dir *d, uint64_t *count,
			 uint64_t *total)
{
	*count -= d->n;
	*total -= d->bytes;
	if (load(t, d, NULL, NULL) < 0) {
		d->n = d->bytes = 0;
		return;
	}
	*count += d->n;
	*total += d->bytes;
}

/* Bring d's sums up to date, reading its index only if it changed.  0 or -errno. */
static int refresh(struct archset_retainer *t, struct ret_dir *d, struct fcr_error *err)
{
	char path[4096];
	struct stat st, ds;
	bool have;

	d->loaded = false;
	d->touched = false;
	if (stat(d->dir, &ds) == 0) {
		d->dev = ds.st_dev;
		d->ino = ds.st_ino;
	}
	if (archset_index_path(d->dir, path, sizeof(path)) < 0) {
		return archset_fail(err, -ENAMETOOLONG, "%.200s...: directory name too long",
				    d->dir);
	}
	have = stat(path, &st) == 0;
	if (!have) {
		/* No index: it lists nothing, and nothing of it is deleted. */
		d->known = true;
		d->idx_ino = 0;
		d->n = d->bytes = 0;
		return 0;
	}
	if (d->known && d->idx_ino == st.st_ino && d->idx_dev == st.st_dev &&
	    d->idx_size == st.st_size && d->idx_mtime.tv_sec == st.st_mtim.tv_sec &&
	    d->idx_mtime.tv_nsec == st.st_mtim.tv_nsec) {
		return 0;
	}
	return load(t, d, &st, err);
}

/* The loaded directory whose next entry is the oldest of them (ties: name, directory), or -1. */
static long oldest_loaded(const struct archset_retainer *t)
{
	long best = -1;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct ret_dir *d = &t->d[i];
		const struct archset_ent *e, *b;
		int c;

		if (!d->loaded || d->next >= d->vec.n) {
			continue;
		}
		if (best < 0) {
			best = (long)i;
			continue;
		}
		e = &d->vec.v[d->next];
		b = &t->d[best].vec.v[t->d[best].next];
		c = e->first_ts < b->first_ts ? -1 : e->first_ts > b->first_ts;
		if (!c) {
			c = strcmp(e->file, b->file);
		}
		if (!c) {
			c = strcmp(d->dir, t->d[best].dir);
		}
		if (c < 0) {
			best = (long)i;
		}
	}
	return best;
}

/* The directory not read yet that may hold the oldest archive, or -1. */
static long oldest_unloaded(const struct archset_retainer *t)
{
	long best = -1;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct ret_dir *d = &t->d[i];

		if (!d->loaded && d->n && (best < 0 || d->oldest_first < t->d[best].oldest_first)) {
			best = (long)i;
		}
	}
	return best;
}

/*
 * Remove dir if nothing but its index is left in it, then its parents below root that this
 * leaves empty.  The index is locked meanwhile, so no writer appends to it between the look
 * and the unlink; a file renamed into the directory meanwhile makes rmdir() fail, and that
 * file's writer, whose line waits for the lock, finds the index gone and makes a new one (the
 * old one listed nothing that was there).
 */
static void remove_emptied(const struct archset_retainer *t, const char *dir)
{
	char path[4096], up[4096];
	size_t rl = strlen(t->root);
	struct dirent *de;
	bool other = false;
	DIR *dp;
	int fd;

	if (rl && t->root[rl - 1] == '/') {
		rl--; /* "/" */
	}
	if (strcmp(t->root, ".") == 0 && dir[0] != '/' && strncmp(dir, "./", 2) != 0) {
		rl = 0; /* "20261122" below "." */
	} else if (strncmp(dir, t->root, rl) != 0 || dir[rl] != '/' || !dir[rl + 1]) {
		return; /* not below root: not a dated directory */
	}
	if (archset_index_path(dir, path, sizeof(path)) < 0) {
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && flock(fd, LOCK_EX) != 0) {
		close(fd);
		return;
	}
	dp = opendir(dir);
	while (dp && !other && (de = readdir(dp)) != NULL) {
		other = strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
			strcmp(de->d_name, ARCHSET_INDEX_NAME) != 0;
	}
	if (dp) {
		closedir(dp);
	}
	if (dp && !other && (fd < 0 || unlink(path) == 0)) {
		(void)rmdir(dir);
	}
	if (fd >= 0) {
		close(fd);
	}
	snprintf(up, sizeof(up), "%s", dir);
	for (;;) {
		char *slash = strrchr(up, '/');

		if (!slash || (size_t)(slash - up) <= rl) {
			break;
		}
		*slash = '\0';
		if (rmdir(up) != 0) {
			break;
		}
	}
}

/* Whether e in d is the file not to delete. */
static bool is_keep(const struct ret_dir *d, const struct archset_ent *e, const char *keep_name,
		    const struct stat *keep_dir)
{
	return keep_name && strcmp(e->file, keep_name) == 0 && keep_dir &&
	       keep_dir->st_dev == d->dev && keep_dir->st_ino == d->ino;
}

int archset_retainer_run(struct archset_retainer *t, const char *const *dirs, size_t ndirs,
			 uint64_t now_ns, const char *keep, unsigned int *removed,
			 struct fcr_error *err)
{
	const struct archset_retention *r = &t->r;
	const char *keep_name = keep ? archset_base_of(keep) : NULL;
	uint64_t count = 0, total = 0;
	struct stat keep_st, *keep_dir = NULL;
	unsigned int nrm = 0;
	int rc, first_err = 0;
	size_t i;

	if (removed) {
		*removed = 0;
	}
	if (!r->keep_files && !r->max_age_ns && !r->max_bytes) {
		return 0;
	}
	rc = set_dirs(t, dirs, ndirs);
	if (rc < 0) {
		return archset_fail(err, rc, "retention: out of memory");
	}
	if (keep) {
		char kd[4096];

		snprintf(kd, sizeof(kd), "%.*s", (int)(keep_name - keep), keep);
		if (stat(keep_name == keep ? "." : kd, &keep_st) == 0) {
			keep_dir = &keep_st;
		}
	}
	for (i = 0; i < t->n; i++) {
		struct ret_dir *d = &t->d[i];

		rc = refresh(t, d, first_err ? NULL : err);
		if (rc < 0) {
			/* Unreadable: nothing of it counts, nothing of it is deleted. */
			first_err = first_err ? first_err : rc;
			d->known = false;
			d->n = d->bytes = 0;
			continue;
		}
		count += d->n;
		total += d->bytes;
		/* Every directory holding something past the age is read whole. */
		if (r->max_age_ns && d->n && !d->loaded &&
		    d->oldest_last + r->max_age_ns < now_ns) {
			load_counted(t, d, &count, &total);
		}
	}
	for (;;) {
		bool over = (r->keep_files && count > r->keep_files) ||
			    (r->max_bytes && total > r->max_bytes);
		long b = oldest_loaded(t), u = over ? oldest_unloaded(t) : -1;
		const struct archset_ent *e;
		struct ret_dir *d;
		char path[4096];

		if (u >= 0 &&
		    (b < 0 || t->d[u].oldest_first <= t->d[b].vec.v[t->d[b].next].first_ts)) {
			/* The oldest of the set may be there: read it before going on. */
			load_counted(t, &t->d[u], &count, &total);
			continue;
		}
		if (b < 0) {
			break;
		}
		d = &t->d[b];
		e = &d->vec.v[d->next++];
		if (!over && !(r->max_age_ns && e->last_ts + r->max_age_ns < now_ns)) {
			continue;
		}
		if (is_keep(d, e, keep_name, keep_dir)) {
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", d->dir, e->file);
		if (unlink(path) != 0 && errno != ENOENT) {
			int e2 = errno;

			if (!first_err) {
				first_err =
					archset_fail(err, -e2, "%s: cannot delete (retention): %s",
						     path, strerror(e2));
			}
			continue;
		}
		count--;
		total -= e->bytes;
		nrm++;
		d->n--;
		d->touched = true;
		rc = archset_index_remove(d->dir, e->file, first_err ? NULL : err);
		if (rc < 0 && !first_err) {
			first_err = rc;
		}
	}
	for (i = 0; i < t->n; i++) {
		struct ret_dir *d = &t->d[i];

		/*
		 * Emptied now, or found so (a crash between the last delete and the rmdir), an
		 * archive set's directory goes, unless something else is in it.
		 */
		bool emptied = d->n == 0 && (d->touched || (d->fresh && d->known && d->idx_ino));

		if (d->touched) {
			d->known = false; /* its index has new lines: sum it up again next time */
		}
		if (emptied && t->root &&
		    !(keep_dir && keep_dir->st_dev == d->dev && keep_dir->st_ino == d->ino)) {
			remove_emptied(t, d->dir);
		}
		archset_vec_free(&d->vec);
		d->loaded = false;
	}
	if (removed) {
		*removed = nrm;
	}
	return first_err;
}

int archset_retain(const char *dir, const char *pattern, const struct archset_retention *r,
		   uint64_t now_ns, const char *keep, unsigned int *removed, struct fcr_error *err)
{
	struct archset_retainer *t;
	char kp[4096];
	int rc;

	if (removed) {
		*removed = 0;
	}
	if (!r->keep_files && !r->max_age_ns && !r->max_bytes) {
		return 0;
	}
	t = archset_retainer_create(pattern, r, NULL, err);
	if (!t) {
		return -errno;
	}
	if (keep) {
		snprintf(kp, sizeof(kp), "%s/%s", dir, archset_base_of(keep));
	}
	rc = archset_retainer_run(t, &dir, 1, now_ns, keep ? kp : NULL, removed, err);
	archset_retainer_destroy(t);
	return rc;
}
