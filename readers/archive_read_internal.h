/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archive_read_internal.h - what the archive set (archive_set.c) needs of a single archive's
 * reader (archive_read.c) beyond fcreader.h.  Never installed.
 */
#ifndef FCR_ARCHIVE_READ_INTERNAL_H
#define FCR_ARCHIVE_READ_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "fcreader.h"

/* Fill err (may be NULL) with code and a printf message. */
void fcr_read_set_err(struct fcr_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Skip the records before ts when reading a (whatever else happens); with try_seek, also
 * jump ahead to the last zstd frame that starts before ts, where the file allows it.
 */
void fcr_archive_skip_before(struct fcr_archive *a, uint64_t ts, bool try_seek);

/* Records read from the file so far, skipped ones included. */
uint64_t fcr_archive_records_read(const struct fcr_archive *a);

#endif /* FCR_ARCHIVE_READ_INTERNAL_H */
