/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sequence decoders and the gap tracker behind feedcap-stat --gaps.  The tracker is checked
 * against a brute-force model (a bitmap of numbers seen) on random permutations with drops and
 * duplicates, so the expectations are computed, not written down.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "seqgap_internal.h"

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

Test(seqgap, decoder_specs)
{
	struct fcreader_seq_decoder d;
	char err[256];

	cr_assert_eq(fcreader_seq_decoder_parse("moldudp64", &d, err, sizeof(err)), 0);
	cr_assert_str_eq(d.name, "moldudp64");
	cr_assert_eq(fcreader_seq_decoder_parse("generic:12:4:le", &d, err, sizeof(err)), 0);
	cr_assert_str_eq(d.name, "generic");
	cr_assert_eq(d.seq.off, 12);
	cr_assert_eq(d.seq.width, 4);
	cr_assert(!d.seq.be);
	cr_assert_eq(d.count.width, 0, "one number per packet unless count= says otherwise");
	cr_assert_eq(fcreader_seq_decoder_parse("generic:4:4:le,count=2:1,session=0:2", &d, err,
						sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(d.count.off, 2);
	cr_assert_eq(d.count.width, 1);
	cr_assert_eq(d.session.width, 2);
	cr_assert_eq(d.min_len, 8);

	static const char *bad[] = {
		"mold",
		"generic",
		"generic:1:3:be",
		"generic:x:4:be",
		"generic:1:4:xx",
		"generic:1:4",
		"generic:70000:4:be",
		"",
		"generic:0:4:le,count=1:3:le",
		"generic:0:4:le,session=0:17",
		"generic:0:4:le,heartbeat=count0",
		"generic:0:4:le,bogus=1",
		"generic:0:4:le,heartbeat_next=yes",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(fcreader_seq_decoder_parse(bad[i], &d, err, sizeof(err)), -EINVAL,
			     "%s accepted", bad[i]);
		cr_assert(strstr(err, "--gaps") != NULL, "message for %s: %s", bad[i], err);
	}
	for (size_t i = 0; i < fcreader_seq_nbuiltin; i++) {
		cr_assert_not_null(fcreader_seq_builtin[i].spec, "%s cites no specification",
				   fcreader_seq_builtin[i].name);
		cr_assert(strstr(fcreader_seq_builtin_names(), fcreader_seq_builtin[i].name));
	}
}

/* A MoldUDP64 packet of n messages of 3 bytes each (2-byte length + 1). */
static size_t mold(uint8_t *p, uint64_t seq, unsigned int n, uint16_t count_field)
{
	size_t len = 20;

	memcpy(p, "SESSION001", 10);
	put_be(p + 10, seq, 8);
	put_be(p + 18, count_field, 2);
	for (unsigned int i = 0; i < n; i++) {
		put_be(p + len, 1, 2);
		p[len + 2] = 'A';
		len += 3;
	}
	return len;
}

Test(seqgap, moldudp64_header)
{
	struct fcreader_seq_decoder d;
	struct fcreader_seq_msg m;
	uint8_t p[64] = { 0 };
	char err[128];
	size_t len;

	fcreader_seq_decoder_parse("moldudp64", &d, err, sizeof(err));
	len = mold(p, 0x0102030405060708ull, 3, 3);
	cr_assert_eq(fcreader_seq_decode(&d, p, len, len, &m), FCREADER_SEQ_DATA);
	cr_assert_eq(m.seq, 0x0102030405060708ull);
	cr_assert_eq(m.count, 3);
	cr_assert_eq(m.session_len, 10);
	cr_assert_eq(memcmp(m.session, "SESSION001", 10), 0);
	cr_assert(!m.end);
	len = mold(p, 77, 0, 0xffff);
	cr_assert_eq(fcreader_seq_decode(&d, p, len, len, &m), FCREADER_SEQ_DATA);
	cr_assert(m.end);
	cr_assert_eq(m.count, 0, "end of session carries no messages, announces the next");
	cr_assert_eq(fcreader_seq_decode(&d, p, 19, 19, &m), FCREADER_SEQ_UNDECODABLE,
		     "19 bytes cannot hold the header");
	/* the count says 3 but 4 messages follow: not MoldUDP64 */
	len = mold(p, 5, 4, 3);
	cr_assert_eq(fcreader_seq_decode(&d, p, len, len, &m), FCREADER_SEQ_UNDECODABLE);
	/* cut by the snap length inside the messages: judged on what was captured */
	len = mold(p, 5, 4, 4);
	cr_assert_eq(fcreader_seq_decode(&d, p, len - 4, len, &m), FCREADER_SEQ_DATA);
}

Test(seqgap, generic_both_byte_orders)
{
	struct fcreader_seq_decoder d;
	struct fcreader_seq_msg m;
	uint8_t p[16] = { 0 };
	char err[128];

	put_be(p + 4, 0xa1b2c3d4u, 4);
	fcreader_seq_decoder_parse("generic:4:4:be", &d, err, sizeof(err));
	cr_assert_eq(fcreader_seq_decode(&d, p, sizeof(p), sizeof(p), &m), FCREADER_SEQ_DATA);
	cr_assert_eq(m.seq, 0xa1b2c3d4u);
	cr_assert_eq(m.count, 1);
	fcreader_seq_decoder_parse("generic:4:4:le", &d, err, sizeof(err));
	fcreader_seq_decode(&d, p, sizeof(p), sizeof(p), &m);
	cr_assert_eq(m.seq, 0xd4c3b2a1u);
	fcreader_seq_decoder_parse("generic:14:2:be", &d, err, sizeof(err));
	cr_assert_eq(fcreader_seq_decode(&d, p, 15, 15, &m), FCREADER_SEQ_UNDECODABLE,
		     "field past the payload end");
	cr_assert_eq(fcreader_seq_decode(&d, p, 16, 16, &m), FCREADER_SEQ_DATA);
}

Test(seqgap, gaps_fill_duplicates)
{
	struct fcreader_seq_track t = { 0 };

	fcreader_seq_track_add(&t, 100, 5, 0, NULL); /* 100-104 */
	fcreader_seq_track_add(&t, 110, 2, 0, NULL); /* gap 105-109 */
	fcreader_seq_track_add(&t, 120, 1, 0, NULL); /* gap 112-119 */
	cr_assert_eq(t.missing.n, 2);
	cr_assert_eq(fcreader_seq_track_missing(&t), 13);
	fcreader_seq_track_add(&t, 107, 1, 0, NULL); /* late: splits 105-109 */
	cr_assert_eq(t.missing.n, 3);
	cr_assert_eq(t.missing.v[0].lo, 105);
	cr_assert_eq(t.missing.v[0].hi, 106);
	cr_assert_eq(t.missing.v[1].lo, 108);
	cr_assert_eq(t.reordered, 1);
	fcreader_seq_track_add(&t, 103, 4, 0, NULL); /* 103,104 dup; 105,106 fill */
	cr_assert_eq(t.duplicates, 2);
	cr_assert_eq(t.reordered, 3);
	cr_assert_eq(fcreader_seq_track_missing(&t), 10);
	fcreader_seq_track_add(&t, 125, 0, 0, NULL); /* heartbeat: 121-124 missing */
	cr_assert_eq(t.next, 125);
	cr_assert_eq(fcreader_seq_track_missing(&t), 14);
	fcreader_seq_track_add(&t, 95, 2, 0, NULL); /* before the first: reordered, 97-99 missing */
	cr_assert_eq(t.first, 95);
	cr_assert_eq(t.missing.v[0].lo, 97);
	cr_assert_eq(t.missing.v[0].hi, 99);
	cr_assert_eq(fcreader_seq_track_missing(&t), 17);
	fcreader_seq_track_free(&t);
}

/* Random streams against a bitmap model. */
Test(seqgap, random_against_model)
{
	enum { N = 4000 };
	static uint8_t seen[N];
	static uint32_t order[N];

	srand(12345);
	for (int round = 0; round < 50; round++) {
		struct fcreader_seq_track t = { 0 };
		uint64_t base = 1000 + (uint64_t)round * 7, dups = 0, sent_first = UINT64_MAX;
		int n = 0;

		memset(seen, 0, sizeof(seen));
		for (int i = 0; i < N; i++) {
			if (rand() % 10 != 0) { /* 10% dropped */
				order[n++] = (uint32_t)i;
			}
		}
		for (int i = 0; i < n; i++) { /* local reordering: swap near neighbours */
			int j = i + rand() % 4;

			if (j < n && rand() % 5 == 0) {
				uint32_t x = order[i];

				order[i] = order[j];
				order[j] = x;
			}
		}
		for (int i = 0; i < n; i++) {
			int reps = rand() % 30 == 0 ? 2 : 1; /* some duplicates */

			for (int r = 0; r < reps; r++) {
				uint32_t k = order[i];

				if (seen[k]) {
					dups++;
				}
				seen[k] = 1;
				if (base + k < sent_first) {
					sent_first = base + k;
				}
				cr_assert_eq(fcreader_seq_track_add(&t, base + k, 1, 0, NULL), 0);
			}
		}

		uint64_t lo = UINT64_MAX, hi = 0, miss = 0, ranges = 0;

		for (int k = 0; k < N; k++) {
			if (seen[k]) {
				lo = lo < (uint64_t)k ? lo : (uint64_t)k;
				hi = (uint64_t)k;
			}
		}
		for (uint64_t k = lo; k <= hi; k++) {
			if (!seen[k]) {
				miss++;
				if (k == lo || seen[k - 1]) {
					ranges++;
				}
			}
		}
		cr_assert_eq(t.first, base + lo);
		cr_assert_eq(t.next, base + hi + 1);
		cr_assert_eq(fcreader_seq_track_missing(&t), miss, "round %d", round);
		cr_assert_eq(t.missing.n, ranges, "round %d", round);
		cr_assert_eq(t.duplicates, dups, "round %d", round);
		/* every range really is unseen and bounded by seen numbers */
		for (size_t r = 0; r < t.missing.n; r++) {
			for (uint64_t k = t.missing.v[r].lo; k <= t.missing.v[r].hi; k++) {
				cr_assert(!seen[k - base]);
			}
			cr_assert(seen[t.missing.v[r].lo - 1 - base]);
			cr_assert(seen[t.missing.v[r].hi + 1 - base]);
		}
		fcreader_seq_track_free(&t);
	}
}

Test(seqgap, ranges_overlap)
{
	struct fcreader_seq_range av[] = { { 1, 5 }, { 10, 20 }, { 30, 30 } };
	struct fcreader_seq_range bv[] = { { 4, 12 }, { 18, 31 } };
	struct fcreader_seq_ranges a = { av, 3, 3 }, b = { bv, 2, 2 };

	/* 4,5 + 10,11,12 + 18,19,20 + 30 */
	cr_assert_eq(fcreader_seq_ranges_overlap(&a, &b), 9);
	cr_assert_eq(fcreader_seq_ranges_overlap(&b, &a), 9);
	cr_assert_eq(fcreader_seq_ranges_total(&a), 17);
}

/* A reset starts the numbering again; its echo (the B line's copy) is not a second one. */
Test(seqgap, resets_and_echoes)
{
	struct fcreader_seq_track t = { 0 };

	cr_assert_not(fcreader_seq_track_reset(&t, 1, 0), "nothing to reset yet");
	fcreader_seq_track_add(&t, 1, 2000, 0, NULL);
	fcreader_seq_track_add(&t, 2010, 10, 1, NULL); /* 2001-2009 missing */
	cr_assert(fcreader_seq_track_reset(&t, 1, 2));
	fcreader_seq_track_add(&t, 1, 5, 2, NULL);
	cr_assert_not(fcreader_seq_track_reset(&t, 1, 3), "the same reset again, young numbering");
	cr_assert_eq(t.resets, 1);
	cr_assert_eq(fcreader_seq_track_missing(&t), 9, "missing before the reset stays counted");
	cr_assert_eq(fcreader_seq_track_gaps(&t), 1);
	fcreader_seq_track_add(&t, 8, 1, 4, NULL); /* 6-7 missing after the reset */
	cr_assert_eq(fcreader_seq_track_missing(&t), 11);
	fcreader_seq_track_free(&t);
}

/* Sessions are made by data packets, never by a heartbeat. */
Test(seqgap, sessions_from_data_only)
{
	struct fcreader_seq_sessions ss = { 0 };
	struct fcreader_seq_msg m = { .session_len = 2, .seq = 5, .count = 0 };

	memcpy(m.session, "AB", 2);
	errno = 0;
	cr_assert_null(fcreader_seq_session_get(&ss, &m));
	cr_assert_eq(errno, ENOENT);
	m.count = 3;
	cr_assert_not_null(fcreader_seq_session_get(&ss, &m));
	m.count = 0;
	cr_assert_eq(fcreader_seq_session_get(&ss, &m), &ss.v[0]);
	cr_assert_eq(ss.n, 1);
	fcreader_seq_sessions_free(&ss);
}
