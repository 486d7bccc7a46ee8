/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * replay_arb.c - feedcap-replay --arbitrate NAME=A,B --gaps DECODER: the A and B lines of a
 * feed merged into one stream that holds each sequence number once, at its first arrival on
 * whichever line, in arrival order (the merge is already in time order).
 *
 * A packet of line A or B that carries only numbers already written is dropped; one that
 * carries any number not yet written is written whole (a venue sends the same packets on both
 * lines, so a partial overlap is rare and never loses a number).  Frames that carry no
 * sequence (heartbeats, other groups, other protocols, undecodable payloads) pass through.
 * The numbers neither line delivered are the feed tracker's missing ones, reported at the
 * end.  The decoders and the tracker are feedcap-stat's (seqgap_internal.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay_internal.h"
#include "seqgap_internal.h"
#include "stat_internal.h"

struct arb_feed {
	char name[64];
	struct fcreader_flow line[2];
	bool any_port[2];
	struct fcreader_seq_sessions sess;
	uint64_t written[2], dropped[2], undecodable, passed;
};

struct replay_arb {
	struct fcreader_seq_decoder dec;
	struct arb_feed feeds[REPLAY_MAX_ARB];
	unsigned int nfeeds;
	bool oom;
};

struct replay_arb *replay_arb_new(const struct replay_opts *o)
{
	struct replay_arb *a = calloc(1, sizeof(*a));
	char msg[512];

	if (!a) {
		return NULL;
	}
	if (fcreader_seq_decoder_parse(o->arb_gaps, &a->dec, msg, sizeof(msg)) < 0) {
		free(a);
		fcr_cli_usage_error("%s", msg);
	}
	for (unsigned int i = 0; i < o->narb; i++) {
		struct fcreader_feed_spec fs;
		struct arb_feed *f = &a->feeds[i];

		if (fcreader_feed_parse(o->arb[i], &fs, msg, sizeof(msg)) < 0) {
			free(a);
			fcr_cli_usage_error("--arbitrate %s: %s", o->arb[i], msg);
		}
		memcpy(f->name, fs.name, sizeof(f->name));
		for (int l = 0; l < 2; l++) {
			f->line[l] = fs.line[l];
			f->any_port[l] = fs.any_port[l];
		}
	}
	a->nfeeds = o->narb;
	return a;
}

/* Numbers of [lo, hi] the tracker has not seen yet. */
static uint64_t unseen(const struct fcreader_seq_track *t, uint64_t lo, uint64_t hi)
{
	uint64_t n = 0;

	if (!t->started) {
		return hi - lo + 1;
	}
	if (lo < t->first) {
		n += (hi < t->first ? hi : t->first - 1) - lo + 1;
	}
	if (hi >= t->next) {
		n += hi - (lo > t->next ? lo : t->next) + 1;
	}
	return n + fcreader_seq_ranges_count(&t->missing, lo, hi);
}

bool replay_arb_keep(struct replay_arb *a, int linktype, const struct fcr_pkt *pkt)
{
	struct fcreader_flow fl;
	struct fcreader_seq_msg m;
	struct arb_feed *f = NULL;
	struct fcreader_seq_session *x;
	int line = 0;

	if (fcreader_flow_parse(linktype, pkt->data, pkt->cap_len, &fl) != FCREADER_FLOW_UDP) {
		return true;
	}
	for (unsigned int i = 0; i < a->nfeeds && !f; i++) {
		for (int l = 0; l < 2; l++) {
			if (fcreader_dst_match(&a->feeds[i].line[l], a->feeds[i].any_port[l],
					       &fl)) {
				f = &a->feeds[i];
				line = l;
				break;
			}
		}
	}
	if (!f) {
		return true;
	}
	enum fcreader_seq_kind k =
		fcreader_seq_decode(&a->dec, fl.payload, fl.paylen, fl.udplen, &m);

	if (k == FCREADER_SEQ_UNDECODABLE) {
		f->undecodable++;
		return true;
	}
	if (k != FCREADER_SEQ_DATA || m.count == 0) {
		f->passed++; /* a heartbeat, or outside the live sequence: no number to arbitrate */
		return true;
	}
	x = fcreader_seq_session_get(&f->sess, &m);
	if (!x) {
		a->oom = true;
		return true; /* never lose a frame for want of memory */
	}
	if (m.reset) {
		fcreader_seq_track_reset(&x->t, m.seq, pkt->ts_ns);
	}

	uint64_t hi = m.seq + m.count - 1 < m.seq ? UINT64_MAX - 1 : m.seq + m.count - 1;
	bool fresh = unseen(&x->t, m.seq, hi) > 0;

	if (fcreader_seq_track_add(&x->t, m.seq, m.count, pkt->ts_ns, NULL) < 0) {
		a->oom = true;
	}
	if (!fresh) {
		f->dropped[line]++;
		return false;
	}
	f->written[line]++;
	return true;
}

int replay_arb_report(const struct replay_arb *a)
{
	for (unsigned int i = 0; i < a->nfeeds; i++) {
		const struct arb_feed *f = &a->feeds[i];
		uint64_t missing = 0, gaps = 0;

		for (size_t k = 0; k < f->sess.n; k++) {
			missing += fcreader_seq_track_missing(&f->sess.v[k].t);
			gaps += fcreader_seq_track_gaps(&f->sess.v[k].t);
		}
		fprintf(stderr,
			PROG ": --arbitrate %s: packets written %" PRIu64 " from A, %" PRIu64
			     " from B; %" PRIu64 " already written dropped (%" PRIu64 " A, %" PRIu64
			     " B); %" PRIu64 " without a number passed, %" PRIu64
			     " undecodable passed; %" PRIu64
			     " numbers delivered by neither line (%" PRIu64 " gaps)\n",
			f->name, f->written[0], f->written[1], f->dropped[0] + f->dropped[1],
			f->dropped[0], f->dropped[1], f->passed, f->undecodable, missing, gaps);
	}
	if (a->oom) {
		fprintf(stderr,
			PROG ": --arbitrate: out of memory: some duplicates were written\n");
		return -ENOMEM;
	}
	return 0;
}

void replay_arb_free(struct replay_arb *a)
{
	if (!a) {
		return;
	}
	for (unsigned int i = 0; i < a->nfeeds; i++) {
		fcreader_seq_sessions_free(&a->feeds[i].sess);
	}
	free(a);
}
