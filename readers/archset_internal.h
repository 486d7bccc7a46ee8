/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archset_internal.h - what the archset_*.c files share: the parsed index lines, the locked
 * index file, the warning buffer, the directory scan.  Never installed.
 */
#ifndef ARCHSET_INTERNAL_H
#define ARCHSET_INTERNAL_H

#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archset.h"

/* Warnings kept for archset_warnings(): one line each, the first ARCHSET_WARN_MAX in full. */
#define ARCHSET_WARN_MAX 50

struct archset_warn {
	char *buf; /* NUL-terminated lines, each ending in '\n' */
	size_t len, cap;
	unsigned int nlines;
	unsigned int more; /* lines not kept */
};

void archset_warnf(struct archset_warn *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The buffer as a string ("" if empty; adds the "N more" line).  Owned by w. */
const char *archset_warn_str(struct archset_warn *w);
void archset_warn_free(struct archset_warn *w);

/* An error for struct fcr_error; returns code (a -errno). */
int archset_fail(struct fcr_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One line of the index: an entry or a tombstone. */
struct archset_rec {
	struct archset_ent e; /* e.file is set for both kinds */
	bool tomb;
	bool stale; /* lacks what a v2 line has (a v1 line, a field missing): re-read if checked */
	unsigned int line;
};

/* A growable array of entries; stale[i]: entry i must be read again from its file. */
struct archset_vec {
	struct archset_ent *v;
	bool *stale;
	size_t n, cap;
};

/* Room for one more; NULL on ENOMEM. */
struct archset_ent *archset_vec_push(struct archset_vec *vec);
void archset_vec_free(struct archset_vec *vec);

/* DIR/ARCHSET_INDEX_NAME into buf; -ENAMETOOLONG if it does not fit. */
int archset_index_path(const char *dir, char *buf, size_t len);

/*
 * archset_index_lock - open dir's index and flock() it (LOCK_SH to read, LOCK_EX to write,
 * creating it then), making sure the locked file is still the one the name points at (a
 * reindex renames a new one over it).  @return the descriptor, or -errno (-ENOENT: no index
 * and not creating).
 */
int archset_index_lock(const char *dir, bool exclusive, struct fcr_error *err);

/*
 * archset_index_parse - the complete lines of fd from byte `from` on, after the entries
 * already in *recs (line numbers continue from *lineno).  A last line without its newline (a
 * writer interrupted) and lines that are not index lines are skipped with a warning.  *end is
 * the offset after the last complete line.  @return 0 or -errno / -ENOMEM.
 */
int archset_index_parse(int fd, const char *path, uint64_t from, struct archset_rec **recs,
			size_t *nrecs, unsigned int *lineno, uint64_t *end, struct archset_warn *w);

/*
 * archset_index_resolve - the entries the lines leave (the last line naming a file wins, a
 * tombstone removes), appended to out in file-name order.  recs is reordered.
 */
int archset_index_resolve(struct archset_rec *recs, size_t nrecs, struct archset_vec *out);

/*
 * archset_index_entries - the entries dir's index leaves, in file-name order, without looking
 * at the directory (an empty vec if there is no index).  0 or -errno.
 */
int archset_index_entries(const char *dir, struct archset_vec *vec, struct fcr_error *err);

/* One index line for e (or a tombstone for file) with its '\n'; malloc'd, or NULL (ENOMEM). */
char *archset_index_line(const struct archset_ent *e, size_t *len);
char *archset_index_tomb_line(const char *file, size_t *len);

/* Append buf (whole lines) to the locked index fd: one write(), then fsync.  0 or -errno. */
int archset_index_write_locked(int fd, const char *buf, size_t len);

/* write() all of buf, again after EINTR and short writes.  0 or -errno. */
int archset_write_all(int fd, const void *buf, size_t len);

/* The last component of a path. */
const char *archset_base_of(const char *path);

/* ------------------------------------------------------------------ directory */

/* The archives of a directory listing (sorted names), for the check against the index. */
struct archset_dirlist {
	char **names;
	uint64_t *sizes;
	size_t n, cap;
};

/* List dir's archives (archset_is_archive_name(), or a capture by its magic).  0 or -errno. */
int archset_dir_list(const char *dir, struct archset_dirlist *dl, struct fcr_error *err);
/* Index in dl of file, or -1. */
long archset_dir_find(const struct archset_dirlist *dl, const char *file);
void archset_dir_free(struct archset_dirlist *dl);

/*
 * archset_reconcile - check the entries in *vec against the listing: drop (and name in
 * *gone, malloc'd names) those whose file is not there, re-read those whose size differs or
 * that are stale, read the archives without an entry.  Entries read from files are marked
 * repaired and their names listed in *fresh (indices into vec after the call).
 * @return 0 or -ENOMEM.
 */
int archset_reconcile(const char *dir, struct archset_vec *vec, const struct archset_dirlist *dl,
		      struct archset_warn *w, char ***gone, size_t *ngone, size_t **fresh,
		      size_t *nfresh);

/* ------------------------------------------------------------------ names */

/* The regular expression of the names pattern makes (see archset_names.c).  0 or -errno. */
int archset_pat_compile(const char *pattern, regex_t *re);
bool archset_pat_test(const regex_t *re, const char *file);
/* Whether file is a numbered name of the pattern (NAME.NNNNN.SUFFIX), and its number. */
bool archset_pat_number(const regex_t *re, const char *file, uint64_t *num);

/* Sort entries by (first_ts, file). */
void archset_sort_by_time(struct archset_vec *vec);

#endif /* ARCHSET_INTERNAL_H */
