/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * seqgap_internal.h - sequence-number decoders and gap tracking for feedcap-stat and
 * feedcap-replay.
 *
 * A decoder is data, not code: a row that says where a packet header keeps its sequence
 * number (offset, width, byte order), how many numbers the packet covers (a count field, or
 * 1), the session or stream key, what a heartbeat is and whether it announces the next
 * number, what a reset is, and the checks that tell a packet of this protocol from anything
 * else (a magic field, a length field, the message blocks tiling the payload).  The built-in
 * rows (seqgap_decoders.c) each follow one public specification; users add rows in
 * feedcap.conf ([decoder NAME]) or on the command line (generic:...), parsed by
 * seqgap_spec.c into the same struct.  One function, fcreader_seq_decode(), reads any row.
 *
 *	struct fcreader_seq_decoder d;
 *	fcreader_seq_decoder_parse("pitch", &d, err, sizeof(err));
 *	struct fcreader_seq_msg m;
 *	switch (fcreader_seq_decode(&d, payload, caplen, udplen, &m)) {
 *	case FCREADER_SEQ_DATA:		// m.seq, m.count (heartbeats that announce: count 0)
 *		fcreader_seq_track_add(&trk, m.seq, m.count, ts_ns, &gap);
 *	...
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
#define FCREADER_SEQ_NAME_MAX	 32

/* A fixed-place unsigned integer in the UDP payload.  width 0: the field is absent. */
struct fcreader_seq_field {
	uint16_t off;
	uint8_t width; /* 1, 2, 4 or 8 bytes (a session key: 1 to 16 raw bytes) */
	bool be;       /* big-endian */
};

enum fcreader_seq_heartbeat {
	FCREADER_SEQ_HB_NONE = 0,   /* the protocol has no heartbeat packet we can tell */
	FCREADER_SEQ_HB_COUNT0 = 1, /* a packet with message count 0 */
	FCREADER_SEQ_HB_FIELD = 2,  /* hb_field == hb_value */
};

enum fcreader_seq_reset {
	FCREADER_SEQ_RESET_NONE = 0,
	FCREADER_SEQ_RESET_FIELD = 1,	/* reset_field == reset_value */
	FCREADER_SEQ_RESET_RESTART = 2, /* the numbers start again at 1 */
};

/* One decoder: a row of the table. */
struct fcreader_seq_decoder {
	char name[FCREADER_SEQ_NAME_MAX];
	const char *spec; /* the public specification the row follows (built-ins), or NULL */
	uint16_t min_len; /* payload bytes the header needs */
	struct fcreader_seq_field seq;
	struct fcreader_seq_field count;   /* absent: every packet is one number */
	struct fcreader_seq_field session; /* absent: one stream per group */
	/* checks: a packet failing one is undecodable */
	struct fcreader_seq_field magic; /* must equal magic_value */
	uint64_t magic_value;
	struct fcreader_seq_field length; /* must equal the UDP payload length minus length_adj */
	int32_t length_adj;
	struct fcreader_seq_field msglen; /* each message's length prefix, from msg_start on; the
					   * messages must fill the payload exactly */
	uint16_t msg_start;
	bool msglen_self; /* the prefix counts itself */
	bool msg_count;	  /* the walk must find exactly count messages */
	/* kinds of packets */
	bool has_end;
	uint64_t end_count; /* count field value meaning end of session (announces the next) */
	enum fcreader_seq_heartbeat hb;
	struct fcreader_seq_field hb_field;
	uint64_t hb_value;
	bool hb_next; /* a heartbeat's sequence field is the next number expected */
	enum fcreader_seq_reset reset;
	struct fcreader_seq_field reset_field;
	uint64_t reset_value;
	struct fcreader_seq_field skip_field; /* values in [skip_lo, skip_hi]: no live sequence */
	uint64_t skip_lo, skip_hi;
};

/* What fcreader_seq_decode() found. */
enum fcreader_seq_kind {
	FCREADER_SEQ_UNDECODABLE = 0, /* not this protocol: counted, never a gap or a session */
	FCREADER_SEQ_DATA = 1,	      /* numbers [seq, seq + count); count 0: announced next */
	FCREADER_SEQ_HEARTBEAT = 2,   /* a heartbeat announcing nothing */
	FCREADER_SEQ_UNSEQUENCED = 3, /* valid, but outside the live sequence (unit 0, refresh) */
};

struct fcreader_seq_msg {
	uint8_t session[FCREADER_SEQ_SESSION_MAX];
	uint8_t session_len; /* 0: the protocol has no sessions */
	uint64_t seq;	     /* first sequence number in the packet */
	uint32_t count;	     /* numbers it covers; 0 = a heartbeat saying seq is next */
	bool heartbeat;	     /* a heartbeat or end of session */
	bool end;	     /* end of session */
	bool reset;	     /* the sender restarted its numbering here */
};

/**
 * fcreader_seq_decode - read one UDP payload with decoder d.
 * @p, @caplen: the captured payload bytes.
 * @len: the payload length by the UDP header (caplen when not known); checks past the
 *       captured bytes are skipped, never failed.
 * @return the kind; *m is filled for DATA (and for HEARTBEAT, UNSEQUENCED as far as read).
 */
enum fcreader_seq_kind fcreader_seq_decode(const struct fcreader_seq_decoder *d, const uint8_t *p,
					   size_t caplen, size_t len, struct fcreader_seq_msg *m);

/* The built-in decoders (seqgap_decoders.c), and how many. */
extern const struct fcreader_seq_decoder fcreader_seq_builtin[];
extern const size_t fcreader_seq_nbuiltin;

/* A built-in by name, or NULL. */
const struct fcreader_seq_decoder *fcreader_seq_builtin_find(const char *name);

/**
 * fcreader_seq_decoder_parse - a built-in name ("moldudp64", "pitch", ...) or
 * "generic:OFFSET:WIDTH:be|le[,KEY=VALUE...]" with the keys of fcreader_seq_decoder_set().
 * @return 0, or -EINVAL with err naming the part that is wrong ("--gaps SPEC: ...").
 */
int fcreader_seq_decoder_parse(const char *spec, struct fcreader_seq_decoder *d, char *err,
			       size_t errlen);

/**
 * fcreader_seq_decoder_set - one KEY = VALUE of a user-defined decoder (a [decoder NAME]
 * line, or a ,KEY=VALUE of generic:...).  Keys: seq, count, session, heartbeat,
 * heartbeat_next, reset, end, magic, length, min_length, based_on.
 * @return 0, or -EINVAL with err saying what the value should look like (without the key).
 */
int fcreader_seq_decoder_set(struct fcreader_seq_decoder *d, const char *key, const char *value,
			     char *err, size_t errlen);

/* Checks across keys once a user decoder is complete, and its header length.
 * @return 0, or -EINVAL with err. */
int fcreader_seq_decoder_check(struct fcreader_seq_decoder *d, char *err, size_t errlen);

/* The names of the built-ins, comma separated, for messages. */
const char *fcreader_seq_builtin_names(void);

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

/* Numbers of [lo, hi] in the set. */
uint64_t fcreader_seq_ranges_count(const struct fcreader_seq_ranges *r, uint64_t lo, uint64_t hi);

/* Whether n is in the set. */
static inline bool fcreader_seq_ranges_has(const struct fcreader_seq_ranges *r, uint64_t n)
{
	return fcreader_seq_ranges_count(r, n, n) != 0;
}

struct fcreader_seq_track {
	bool started;
	bool ended;
	uint64_t first; /* lowest number seen since the last reset */
	uint64_t next;	/* one past the highest number seen (or announced by a heartbeat) */
	struct fcreader_seq_ranges missing;
	uint64_t last_ts; /* capture time of the last packet that moved next (ns) */
	uint64_t packets;
	uint64_t received;   /* distinct numbers seen */
	uint64_t duplicates; /* numbers seen again */
	uint64_t reordered;  /* numbers that came after a higher one */
	uint64_t gaps_opened;
	uint64_t resets;
	uint64_t reset_ts;	 /* capture time of the last reset */
	uint64_t missing_before; /* missing numbers of the sequences before the resets */
	uint64_t gaps_before;	 /* and their ranges */
};

/* A gap a packet revealed: [lo, hi] missing, between the packets at before_ts and after_ts. */
struct fcreader_seq_gap {
	uint64_t lo, hi;
	uint64_t before_ts, after_ts;
};

/*
 * fcreader_seq_track_add - one packet's range [seq, seq + count) at capture time ts.  count 0
 * is a heartbeat: it says seq is the next number, so anything before it not seen is missing.
 * @gap: set to the gap the packet revealed, if any (gap->hi >= gap->lo), else lo > hi.
 * @return 0, or -ENOMEM (the tracker is unchanged).
 */
int fcreader_seq_track_add(struct fcreader_seq_track *t, uint64_t seq, uint32_t count, uint64_t ts,
			   struct fcreader_seq_gap *gap);

/*
 * fcreader_seq_track_reset - the sender restarted its numbering at a packet of time ts.  The
 * missing numbers so far stay counted (missing_before).  A reset packet whose number was
 * already seen while the sequence is still young (at most FCREADER_SEQ_RESET_ECHO_SPAN
 * numbers since its start or last reset) is the same packet again, the other line of an A/B
 * pair or a duplicate: @return false and nothing changes; so is a reset before anything was
 * seen.  (By numbers, not time: an archive replays a day in seconds.)
 */
#define FCREADER_SEQ_RESET_ECHO_SPAN 1024u
bool fcreader_seq_track_reset(struct fcreader_seq_track *t, uint64_t seq, uint64_t ts);

/* Numbers never seen between first and next, over every reset. */
static inline uint64_t fcreader_seq_track_missing(const struct fcreader_seq_track *t)
{
	return fcreader_seq_ranges_total(&t->missing) + t->missing_before;
}

/* Missing ranges, over every reset. */
static inline uint64_t fcreader_seq_track_gaps(const struct fcreader_seq_track *t)
{
	return t->missing.n + t->gaps_before;
}

void fcreader_seq_track_free(struct fcreader_seq_track *t);

/* The sessions of a group or feed: a tracker per session key. */
struct fcreader_seq_session {
	uint8_t id[FCREADER_SEQ_SESSION_MAX];
	uint8_t len;
	struct fcreader_seq_track t;
};

struct fcreader_seq_sessions {
	struct fcreader_seq_session *v;
	size_t n, cap;
};

/*
 * fcreader_seq_session_get - the session of m's key; a new one for a data packet (count > 0).
 * A heartbeat of a session never seen has nothing to check yet, and a packet of another
 * protocol that happens to look like an empty heartbeat must not add a session.
 * @return the session (valid until the next call), or NULL with errno ENOENT (a heartbeat of
 *         no known session) or ENOMEM.
 */
struct fcreader_seq_session *fcreader_seq_session_get(struct fcreader_seq_sessions *ss,
						      const struct fcreader_seq_msg *m);

/* Free every tracker and the set. */
void fcreader_seq_sessions_free(struct fcreader_seq_sessions *ss);

#endif /* FCREADER_SEQGAP_INTERNAL_H */
