/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archset_scan.c - the directory side of the set: which files are archives, what an archive
 * holds when read from its start to its end, and the check of the index against both.
 *
 * The index is only a cache of what the files say, so every disagreement is settled by the
 * files: an index line without its file is dropped, a file without a line (or of another size
 * than its line says) is read.  Reading a file costs a full decompression, which is why it is
 * done only for the files that disagree.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archset_internal.h"

static bool has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

bool archset_is_own_name(const char *file)
{
	return strncmp(file, ARCHSET_INDEX_NAME, strlen(ARCHSET_INDEX_NAME)) == 0 ||
	       has_suffix(file, ARCHSET_PART_SUFFIX) || has_suffix(file, ARCHSET_CKPT_SUFFIX);
}

bool archset_is_archive_name(const char *file)
{
	static const char *const sufs[] = { ".pcap",	 ".pcapng",	".cap",
					    ".pcap.zst", ".pcapng.zst", ".cap.zst" };
	size_t i;

	if (file[0] == '.' || archset_is_own_name(file)) {
		return false;
	}
	for (i = 0; i < sizeof(sufs) / sizeof(sufs[0]); i++) {
		if (has_suffix(file, sufs[i])) {
			return true;
		}
	}
	return false;
}

/* A file of another name is an archive if it starts like one (pcap, pcapng, zstd). */
static bool sniff_capture(int dfd, const char *file)
{
	static const uint32_t magics[] = { 0xa1b2c3d4u, 0xd4c3b2a1u, 0xa1b23c4du,
					   0x4d3cb2a1u, 0x0a0d0d0au, 0xfd2fb528u };
	uint8_t b[4];
	uint32_t m;
	size_t i;
	int fd = openat(dfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	ssize_t n;

	if (fd < 0) {
		return false;
	}
	n = read(fd, b, sizeof(b));
	close(fd);
	if (n != 4) {
		return false;
	}
	m = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	for (i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
		if (m == magics[i]) {
			return true;
		}
	}
	return false;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int dl_add(struct archset_dirlist *dl, const char *name, uint64_t size)
{
	if (dl->n == dl->cap) {
		size_t nc = dl->cap ? 2 * dl->cap : 256;
		char **nn = realloc(dl->names, nc * sizeof(*nn));
		uint64_t *ns;

		if (!nn) {
			return -ENOMEM;
		}
		dl->names = nn;
		ns = realloc(dl->sizes, nc * sizeof(*ns));
		if (!ns) {
			return -ENOMEM;
		}
		dl->sizes = ns;
		dl->cap = nc;
	}
	dl->names[dl->n] = strdup(name);
	if (!dl->names[dl->n]) {
		return -ENOMEM;
	}
	dl->sizes[dl->n++] = size;
	return 0;
}

int archset_dir_list(const char *dir, struct archset_dirlist *dl, struct fcr_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;

	memset(dl, 0, sizeof(*dl));
	if (!d) {
		int e = errno;

		return archset_fail(err, -e, "%s: cannot list the directory: %s", dir, strerror(e));
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (de->d_name[0] == '.' || archset_is_own_name(de->d_name) ||
		    strlen(de->d_name) >= sizeof(((struct archset_ent *)0)->file)) {
			continue;
		}
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode)) {
			continue;
		}
		if (!archset_is_archive_name(de->d_name) && !sniff_capture(dirfd(d), de->d_name)) {
			continue;
		}
		rc = dl_add(dl, de->d_name, (uint64_t)st.st_size);
		if (rc < 0) {
			archset_fail(err, rc, "%s: out of memory listing the directory", dir);
			break;
		}
	}
	closedir(d);
	if (rc < 0) {
		archset_dir_free(dl);
		return rc;
	}
	/* names and sizes sorted together: sort an index, then permute */
	{
		size_t i;
		char **names = dl->names;
		struct {
			char *name;
			uint64_t size;
		} *tmp = malloc((dl->n ? dl->n : 1) * sizeof(*tmp));

		if (!tmp) {
			archset_dir_free(dl);
			return archset_fail(err, -ENOMEM, "%s: out of memory", dir);
		}
		for (i = 0; i < dl->n; i++) {
			tmp[i].name = names[i];
			tmp[i].size = dl->sizes[i];
		}
		qsort(tmp, dl->n, sizeof(*tmp), cmp_name); /* name is the first member */
		for (i = 0; i < dl->n; i++) {
			names[i] = tmp[i].name;
			dl->sizes[i] = tmp[i].size;
		}
		free(tmp);
	}
	return 0;
}

long archset_dir_find(const struct archset_dirlist *dl, const char *file)
{
	size_t lo = 0, hi = dl->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(dl->names[mid], file);

		if (c == 0) {
			return (long)mid;
		}
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return -1;
}

void archset_dir_free(struct archset_dirlist *dl)
{
	size_t i;

	for (i = 0; i < dl->n; i++) {
		free(dl->names[i]);
	}
	free(dl->names);
	free(dl->sizes);
	memset(dl, 0, sizeof(*dl));
}

/* ------------------------------------------------------------------ one file */

#define SEEK_MIN_STEP (64u << 10)

/*
 * Plain pcap read from its start: every record end is where the next record starts, so the
 * repair can give the file seek points as the writer would have.  A pcapng file may hold
 * interface blocks after the first records, which a reader entering later would miss: none.
 */
static void seek_points_plain(struct archset_ent *e, uint64_t rec_end, uint64_t max_ts,
			      uint64_t *next_at, uint64_t step)
{
	if (rec_end >= *next_at) {
		archset_seek_add(e, rec_end, max_ts);
		*next_at = rec_end + step;
	}
}

int archset_entry_from_file(const char *dir, const char *file, struct archset_ent *e,
			    struct fcr_error *err)
{
	char path[4096];
	struct fcr_archive *a;
	struct fcr_pkt pkt;
	struct stat st;
	uint64_t next_at, step, off;
	bool plain;
	int rc;

	memset(e, 0, sizeof(*e));
	if (snprintf(e->file, sizeof(e->file), "%s", file) >= (int)sizeof(e->file) ||
	    snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path)) {
		return archset_fail(err, -ENAMETOOLONG, "%s/%s: name too long", dir, file);
	}
	e->repaired = true;
	a = fcr_archive_open(path, err);
	if (!a) {
		return -errno;
	}
	if (fstat(fcr_archive_fd(a), &st) == 0) {
		e->bytes = (uint64_t)st.st_size;
	}
	e->zstd = fcr_archive_compressed(a);
	e->format = fcr_archive_container(a) == FCR_CONT_PCAPNG ? FCR_FMT_PCAPNG : FCR_FMT_PCAP;
	plain = !e->zstd && e->format == FCR_FMT_PCAP;
	if (plain) {
		e->data_off = fcr_archive_offset(a);
	}
	/*
	 * About ARCHSET_MAX_SEEK / 2 points over the file, at least SEEK_MIN_STEP apart: reading
	 * that much costs less than a longer index line costs every reader of the index.
	 */
	step = e->bytes / (ARCHSET_MAX_SEEK / 2) + 1;
	if (step < SEEK_MIN_STEP) {
		step = SEEK_MIN_STEP;
	}
	next_at = step;
	while ((rc = fcr_archive_next(a, &pkt)) == 1) {
		if (!e->frames || pkt.ts_ns < e->first_ts) {
			e->first_ts = pkt.ts_ns;
		}
		if (pkt.ts_ns > e->last_ts) {
			e->last_ts = pkt.ts_ns;
		}
		e->frames++;
		if (plain) {
			off = fcr_archive_offset(a);
			seek_points_plain(e, off, e->last_ts, &next_at, step);
		}
	}
	if (e->zstd) {
		e->multiframe = fcr_archive_zstd_frames(a) > 1;
	}
	if (plain && e->nseek && e->seek[e->nseek - 1].off >= e->bytes) {
		e->nseek--; /* the end of the file is no place to start */
	}
	if (rc < 0) {
		archset_fail(err, rc, "%s", fcr_archive_error(a));
		e->nseek = 0; /* the file is damaged: read it from its start */
	}
	fcr_archive_close(a);
	return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------ the check */

static int add_name(char ***v, size_t *n, const char *name)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv) {
		return -ENOMEM;
	}
	*v = nv;
	nv[*n] = strdup(name);
	if (!nv[*n]) {
		return -ENOMEM;
	}
	++*n;
	return 0;
}

static int add_idx(size_t **v, size_t *n, size_t i)
{
	size_t *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv) {
		return -ENOMEM;
	}
	*v = nv;
	nv[(*n)++] = i;
	return 0;
}

/* Read file into *e; false (with a warning) if nothing can be made of it. */
static bool read_entry(const char *dir, const char *file, struct archset_ent *e,
		       struct archset_warn *w)
{
	struct fcr_error err = { 0 };
	int rc = archset_entry_from_file(dir, file, e, &err);

	if (rc == 0) {
		return true;
	}
	if ((rc == -EPROTO || rc == -EIO) && e->frames > 0) {
		archset_warnf(w, "%s (indexed with the %llu frames before the damage)", err.msg,
			      (unsigned long long)e->frames);
		return true;
	}
	archset_warnf(w, "%s: not indexed", err.msg[0] ? err.msg : file);
	return false;
}

/* Per-file warnings of one kind: the first few by name, then a count. */
#define NAMED_MAX 3

int archset_reconcile(const char *dir, struct archset_vec *vec, const struct archset_dirlist *dl,
		      struct archset_warn *w, char ***gone, size_t *ngone, size_t **fresh,
		      size_t *nfresh)
{
	bool *seen = calloc(dl->n ? dl->n : 1, sizeof(*seen));
	bool had_index = vec->n > 0;
	size_t i, out = 0, ndropped = 0, nnew = 0;
	int rc = 0;

	if (!seen) {
		return -ENOMEM;
	}
	for (i = 0; i < vec->n && rc == 0; i++) {
		struct archset_ent *e = &vec->v[i];
		long k = archset_dir_find(dl, e->file);

		if (k < 0) {
			if (++ndropped <= NAMED_MAX) {
				archset_warnf(w,
					      "%s/%s: in the index, not in the directory: dropped",
					      dir, e->file);
			}
			rc = add_name(gone, ngone, e->file);
			continue;
		}
		seen[k] = true;
		if (vec->stale[i] || e->bytes != dl->sizes[k]) {
			struct archset_ent n;

			if (!vec->stale[i]) {
				archset_warnf(
					w,
					"%s/%s: the index says %llu bytes, the file has %llu: "
					"read again",
					dir, e->file, (unsigned long long)e->bytes,
					(unsigned long long)dl->sizes[k]);
			}
			if (!read_entry(dir, e->file, &n, w)) {
				rc = add_name(gone, ngone, e->file);
				continue;
			}
			/* the pattern that made it still holds (retention goes by it) */
			memcpy(n.pattern, e->pattern, sizeof(n.pattern));
			vec->v[out] = n;
			rc = add_idx(fresh, nfresh, out);
		} else if (out != i) {
			vec->v[out] = *e;
		}
		vec->stale[out] = false;
		out++;
	}
	vec->n = out;
	for (i = 0; i < dl->n && rc == 0; i++) {
		struct archset_ent *e;

		if (seen[i]) {
			continue;
		}
		e = archset_vec_push(vec);
		if (!e) {
			rc = -ENOMEM;
			break;
		}
		if (!read_entry(dir, dl->names[i], e, w)) {
			vec->n--;
			continue;
		}
		if (had_index && ++nnew <= NAMED_MAX) {
			archset_warnf(w, "%s/%s: not in the index: indexed from the file", dir,
				      dl->names[i]);
		}
		rc = add_idx(fresh, nfresh, vec->n - 1);
	}
	free(seen);
	if (ndropped > NAMED_MAX) {
		archset_warnf(w, "%s: %zu more index lines without their file: dropped", dir,
			      ndropped - NAMED_MAX);
	}
	if (nnew > NAMED_MAX) {
		archset_warnf(w, "%s: %zu more archives not in the index: indexed from the files",
			      dir, nnew - NAMED_MAX);
	}
	if (!had_index && vec->n) {
		archset_warnf(w, "%s: %zu archives indexed from the files", dir, vec->n);
	}
	return rc;
}

static int cmp_time(const void *a, const void *b)
{
	const struct archset_ent *x = a, *y = b;

	if (x->first_ts != y->first_ts) {
		return x->first_ts < y->first_ts ? -1 : 1;
	}
	return strcmp(x->file, y->file);
}

void archset_sort_by_time(struct archset_vec *vec)
{
	if (vec->n > 1) { /* v is NULL for an empty set */
		qsort(vec->v, vec->n, sizeof(vec->v[0]), cmp_time);
	}
}
