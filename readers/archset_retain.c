/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archset_retain.c - retention through the index: -W N, retention_age, retention_bytes.
 *
 * Only what the index lists is ever deleted, and only the archives of one pattern: an index
 * line says which pattern made the file (a version 1 line does not: then the file's name must
 * be one the pattern makes, archset_pattern_match()).  A file found in the directory without
 * a line is left alone, whatever its name: it may be a user's.  Each deletion is followed by
 * its tombstone, so a crash in between leaves a line without a file, which the next
 * archset_open() drops (unless ARCHSET_NO_CHECK), and so does the next pass here: the file
 * still counts against the limit, so it is picked again, and gone already, it gets its
 * tombstone (feedcap-dump runs a pass when a job starts again for that reason).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archset_internal.h"

int archset_retain(const char *dir, const char *pattern, const struct archset_retention *r,
		   uint64_t now_ns, const char *keep, unsigned int *removed, struct fcr_error *err)
{
	struct archset_vec vec = { 0 };
	const char *pat = archset_base_of(pattern);
	const char *keep_name = keep ? archset_base_of(keep) : NULL;
	uint64_t count = 0, total = 0;
	unsigned int nrm = 0;
	regex_t re;
	size_t i, n = 0;
	int rc, first_err = 0;

	if (removed) {
		*removed = 0;
	}
	if (!r->keep_files && !r->max_age_ns && !r->max_bytes) {
		return 0;
	}
	rc = archset_pat_compile(pattern, &re);
	if (rc < 0) {
		return archset_fail(err, rc, "%s: cannot make a name pattern of it", pattern);
	}
	rc = archset_index_entries(dir, &vec, err);
	if (rc < 0) {
		regfree(&re);
		return rc;
	}
	/* the pattern's entries, at the front */
	for (i = 0; i < vec.n; i++) {
		const struct archset_ent *e = &vec.v[i];
		bool mine = e->pattern[0] ? strcmp(archset_base_of(e->pattern), pat) == 0
					  : archset_pat_test(&re, e->file);

		if (mine) {
			vec.v[n++] = *e;
			count++;
			total += e->bytes;
		}
	}
	regfree(&re);
	vec.n = n;
	archset_sort_by_time(&vec);
	for (i = 0; i < vec.n; i++) {
		const struct archset_ent *e = &vec.v[i];
		bool too_many = r->keep_files && count > r->keep_files;
		bool too_old = r->max_age_ns && e->last_ts + r->max_age_ns < now_ns;
		bool too_big = r->max_bytes && total > r->max_bytes;
		char path[4096];

		if (!too_many && !too_old && !too_big) {
			continue;
		}
		if (keep_name && strcmp(e->file, keep_name) == 0) {
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, e->file);
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
		rc = archset_index_remove(dir, e->file, first_err ? NULL : err);
		if (rc < 0 && !first_err) {
			first_err = rc;
		}
	}
	archset_vec_free(&vec);
	if (removed) {
		*removed = nrm;
	}
	return first_err;
}
