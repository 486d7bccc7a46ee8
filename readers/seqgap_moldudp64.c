/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * seqgap_moldudp64.c - MoldUDP64 downstream packets (Nasdaq): a 20-byte header of a 10-byte
 * session, the 64-bit big-endian sequence number of the first message and a 16-bit big-endian
 * message count, then the messages.  Count 0 is a heartbeat carrying the next sequence
 * number; 0xFFFF marks the end of the session (also carrying the next number).
 */
#include <string.h>

#include "seqgap_internal.h"

#define MOLD_SESSION_LEN 10
#define MOLD_HDR_LEN	 20
#define MOLD_END	 0xFFFFu

static int mold_decode(const struct fcreader_seq_decoder *d, const uint8_t *p, size_t len,
		       struct fcreader_seq_msg *m)
{
	uint64_t seq = 0;
	uint16_t count;

	(void)d;
	if (len < MOLD_HDR_LEN) {
		return 0;
	}
	memcpy(m->session, p, MOLD_SESSION_LEN);
	m->session_len = MOLD_SESSION_LEN;
	for (int i = 0; i < 8; i++) {
		seq = seq << 8 | p[MOLD_SESSION_LEN + i];
	}
	count = (uint16_t)(p[18] << 8 | p[19]);
	m->seq = seq;
	m->end = count == MOLD_END;
	m->count = m->end ? 0 : count;
	return 1;
}

const struct fcreader_seq_ops fcreader_seq_moldudp64_ops = {
	.name = "moldudp64",
	.decode = mold_decode,
};
