/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringshm_producer_internal.h - the producer's handle, shared by the hot path
 * (ringshm_producer.c) and the code that creates a ring and starts an epoch
 * (ringshm_create.c).  Never installed.
 */
#ifndef RINGSHM_PRODUCER_INTERNAL_H
#define RINGSHM_PRODUCER_INTERNAL_H

#include "ringshm_internal.h"

struct ringshm {
	struct ringshm_ctl *ctl;
	uint8_t *data;
	uint64_t mask;	     /* capacity - 1 */
	uint64_t chunk_size; /* as a 64-bit value for the position arithmetic */
	uint64_t nchunks_mask;
	unsigned int chunk_shift;
	uint32_t max_caplen;
	bool nt_pending; /* streaming stores since the last commit */

	uint64_t pos;	/* where the next record goes (may be ahead of the published head) */
	uint64_t claim; /* end of the chunk being written, as last published */
	uint64_t seq;	/* sequence number of the next record */

	/* totals over the life of the file, published by ringshm_commit() */
	uint64_t frames, bytes, cap_bytes, truncated, markers, refused;

	size_t map_len;
	int fd;
	char path[PATH_MAX];
};

/* Write a PAD record at pos: the rest of its chunk is padding (ringshm_producer.c). */
void rs_write_pad(struct ringshm *r, uint64_t pos);

#endif
