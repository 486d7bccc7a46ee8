/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * seqgap_generic.c - any feed with a per-packet sequence number at a fixed place: OFFSET
 * bytes into the UDP payload, WIDTH bytes (1, 2, 4, 8), big- or little-endian.  One packet
 * is one number; there are no sessions.
 */
#include "seqgap_internal.h"

static int generic_decode(const struct fcreader_seq_decoder *d, const uint8_t *p, size_t len,
			  struct fcreader_seq_msg *m)
{
	uint64_t v = 0;

	if (len < (size_t)d->offset + d->width) {
		return 0;
	}
	p += d->offset;
	for (unsigned int i = 0; i < d->width; i++) {
		unsigned int k = d->big_endian ? i : d->width - 1 - i;

		v = v << 8 | p[k];
	}
	m->session_len = 0;
	m->seq = v;
	m->count = 1;
	m->end = false;
	return 1;
}

const struct fcreader_seq_ops fcreader_seq_generic_ops = {
	.name = "generic",
	.decode = generic_decode,
};
