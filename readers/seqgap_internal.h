/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * seqgap_internal.h - sequence-number decoders and gap tracking for feedcap-stat.
 *
 * A decoder turns a UDP payload into (session, first sequence number, message count).  It sits
 * behind struct fcreader_seq_ops so that further feed protocols are one small file each:
 *
 *	struct fcreader_seq_decoder d;
 *	fcreader_seq_decoder_parse("moldudp64", &d, err, sizeof(err));
 *	struct fcreader_seq_msg m;
 *	if (d.ops->decode(&d, payload, len, &m) == 1)
 *		fcreader_seq_track_add(&trk, m.seq, m.count);
 *
 * A tracker follows one session: the next sequence number expected, and the ranges that are
 * still missing.  A range missing when a later number arrived and filled afterwards counts as
 * reordered, not missing; a number seen twice counts as a duplicate.
 */
#ifndef FCREADER_SEQGAP_INTERNAL_H
#define FCREADER_SEQGAP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FCREADER_SEQ_SESSION_MAX 16

/* What a decoder read from one packet. */
struct fcreader_seq_msg {
	uint8_t session[FCREADER_SEQ_SESSION_MAX];
	uint8_t session_len; /* 0: the protocol has no sessions */
	uint64_t seq;	     /* first sequence number in the packet */
	uint32_t count;	     /* messages in it; 0 = a heartbeat saying seq is next */
	bool end;	     /* end of session */
};

struct fcreader_seq_decoder;

struct fcreader_seq_ops {
	const char *name;
	/* @return 1 with *m filled, 0 if the payload cannot be this protocol (too short) */
	int (*decode)(const struct fcreader_seq_decoder *d, const uint8_t *p, size_t len,
		      struct fcreader_seq_msg *m);
};

struct fcreader_seq_decoder {
	const struct fcreader_seq_ops *ops;
	uint32_t offset; /* generic: byte offset in the UDP payload */
	uint8_t width;	 /* generic: 1, 2, 4 or 8 bytes */
	bool big_endian; /* generic: byte order */
};

extern const struct fcreader_seq_ops fcreader_seq_moldudp64_ops;
extern const struct fcreader_seq_ops fcreader_seq_generic_ops;

/*
 * fcreader_seq_decoder_parse - "moldudp64" or "generic:OFFSET:WIDTH:be|le".
 * @return 0, or -EINVAL with err naming the part that is wrong.
 */
int fcreader_seq_decoder_parse(const char *spec, struct fcreader_seq_decoder *d, char *err,
			       size_t errlen);

/* Inclusive ranges of sequence numbers, sorted, disjoint, not adjacent. */
struct fcreader_seq_range {
	uint64_t lo, hi;
};

struct fcreader_seq_ranges {
	struct fcreader_seq_range *v;
	size_t n, cap;
};

/* Numbers in the set. */
uint64_t fcreader_seq_ranges_total(const struct fcreader_seq_ranges *r);

/* Numbers in both sets. */
uint64_t fcreader_seq_ranges_overlap(const struct fcreader_seq_ranges *a,
				     const struct fcreader_seq_ranges *b);

struct fcreader_seq_track {
	bool started;
	bool ended;
	uint64_t first; /* lowest number seen */
	uint64_t next;	/* one past the highest number seen (or announced by a heartbeat) */
	struct fcreader_seq_ranges missing;
	uint64_t packets;
	uint64_t received;   /* distinct numbers seen */
	uint64_t duplicates; /* numbers seen again */
	uint64_t reordered;  /* numbers that came after a higher one */
	uint64_t gaps_opened;
};

/*
 * fcreader_seq_track_add - one packet's range [seq, seq + count).  count 0 is a heartbeat:
 * it says seq is the next number, so anything before it not seen is missing.
 * @return 0, or -ENOMEM (the tracker is unchanged).
 */
int fcreader_seq_track_add(struct fcreader_seq_track *t, uint64_t seq, uint32_t count);

/* Numbers never seen between first and next. */
static inline uint64_t fcreader_seq_track_missing(const struct fcreader_seq_track *t)
{
	return fcreader_seq_ranges_total(&t->missing);
}

void fcreader_seq_track_free(struct fcreader_seq_track *t);

#endif /* FCREADER_SEQGAP_INTERNAL_H */
