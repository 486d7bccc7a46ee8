/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archive_write_index.c - the version 1 index calls, now thin wrappers over archset (which
 * owns the index: readers/archset.h).  Kept only until feedcap-dump calls archset itself;
 * nothing new should use them.
 *
 * fcr_index_add() appends one line (it no longer rewrites the index, and no longer drops the
 * lines of files that are gone: tombstones and archset_open()'s repair do that now).
 * fcr_index_read() gives what the index says, without looking at the directory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archset.h"
#include "fcreader.h"

int fcr_index_read(const char *dir, struct fcr_index_ent **out, struct fcr_error *err)
{
	struct archset *s = archset_open(dir, ARCHSET_NO_CHECK, err);
	struct fcr_index_ent *ents;
	size_t i, n;

	*out = NULL;
	if (!s) {
		return -errno;
	}
	n = archset_count(s);
	ents = calloc(n ? n : 1, sizeof(*ents));
	if (!ents) {
		archset_close(s);
		if (err) {
			err->code = -ENOMEM;
			snprintf(err->msg, sizeof(err->msg), "%s: out of memory", dir);
		}
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		const struct archset_ent *e = archset_get(s, i);

		memcpy(ents[i].file, e->file, sizeof(ents[i].file));
		ents[i].first_ts = e->first_ts;
		ents[i].last_ts = e->last_ts;
		ents[i].frames = e->frames;
		ents[i].bytes = e->bytes;
		ents[i].format = e->format;
		ents[i].zstd = e->zstd;
	}
	archset_close(s);
	*out = ents;
	return (int)n;
}

int fcr_index_add(const char *dir, const struct fcr_index_ent *ent, struct fcr_error *err)
{
	struct archset_ent *e = calloc(1, sizeof(*e));
	int rc;

	if (!e) {
		return -ENOMEM;
	}
	memcpy(e->file, ent->file, sizeof(e->file));
	e->first_ts = ent->first_ts;
	e->last_ts = ent->last_ts;
	e->frames = ent->frames;
	e->bytes = ent->bytes;
	e->format = ent->format;
	e->zstd = ent->zstd;
	rc = archset_index_append(dir, e, err);
	free(e);
	return rc;
}
