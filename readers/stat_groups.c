/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stat_groups.c - feedcap-stat's per group accounting: frames and bytes, burst peaks, and for
 * groups a --gaps rule gives a decoder, the sequence sessions, gaps with their capture times,
 * and the A/B feed a group is one line of.
 *
 * Everything here runs once per frame: the group is one hash probe, a session one short scan,
 * and nothing is allocated except when a group, a session or a gap is new.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stat_tool.h"

/* ------------------------------------------------------------------ groups */

static uint64_t flow_hash(const struct fcreader_flow *f)
{
	uint64_t h = 1469598103934665603u;

	for (int i = 0; i < (f->af == 6 ? 16 : 4); i++) {
		h = (h ^ f->dst[i]) * 1099511628211u;
	}
	h = (h ^ f->dport) * 1099511628211u;
	return h ^ (h >> 29);
}

static bool flow_eq(const struct fcreader_flow *a, const struct fcreader_flow *b)
{
	return a->af == b->af && a->dport == b->dport &&
	       memcmp(a->dst, b->dst, a->af == 6 ? 16 : 4) == 0;
}

static int hash_grow(struct stat_ctx *s)
{
	size_t nc = s->hcap ? s->hcap * 2 : 256;
	uint32_t *h = calloc(nc, sizeof(*h));

	if (!h) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->ngroups; i++) {
		size_t j = flow_hash(&s->groups[i].key) & (nc - 1);

		while (h[j]) {
			j = (j + 1) & (nc - 1);
		}
		h[j] = (uint32_t)i + 1;
	}
	free(s->hash);
	s->hash = h;
	s->hcap = nc;
	return 0;
}

static void group_setup(struct stat_ctx *s, struct stat_group *g, const struct fcreader_flow *f)
{
	memset(g, 0, sizeof(*g));
	g->key.af = f->af;
	memcpy(g->key.dst, f->dst, sizeof(g->key.dst));
	g->key.dport = f->dport;
	g->feed = -1;
	fcreader_flow_dst_str(f, g->name, sizeof(g->name));
	for (unsigned int i = 0; i < s->o.nrules && !g->dec; i++) {
		const struct stat_rule *r = &s->o.rules[i];

		if (r->all || fcreader_dst_match(&r->dst, r->any_port, f)) {
			g->dec = r->dec;
		}
	}
	for (unsigned int i = 0; i < s->o.nfeeds && g->feed < 0; i++) {
		struct stat_feed *fd = &s->feeds[i];

		for (int l = 0; l < 2; l++) {
			if (fd->group[l] < 0 &&
			    fcreader_dst_match(&fd->o->line[l], fd->o->any_port[l], f)) {
				fd->group[l] = (int)s->ngroups;
				g->feed = (int)i;
				g->line = l;
				break;
			}
		}
	}
}

/* The group of a destination; a new one the first time (the only allocation per frame). */
static struct stat_group *group_get(struct stat_ctx *s, const struct fcreader_flow *f)
{
	if (s->hcap == 0 && hash_grow(s) < 0) {
		return NULL;
	}

	size_t j = flow_hash(f) & (s->hcap - 1);

	while (s->hash[j]) {
		struct stat_group *g = &s->groups[s->hash[j] - 1];

		if (flow_eq(&g->key, f)) {
			return g;
		}
		j = (j + 1) & (s->hcap - 1);
	}
	if ((s->ngroups + 1) * 2 > s->hcap) {
		if (hash_grow(s) < 0) {
			return NULL;
		}
		return group_get(s, f);
	}
	if (fcr_grow((void **)&s->groups, &s->gcap, s->ngroups, sizeof(*s->groups), 64) < 0) {
		return NULL;
	}

	struct stat_group *g = &s->groups[s->ngroups];

	group_setup(s, g, f);
	s->hash[j] = (uint32_t)++s->ngroups;
	return g;
}

static int flow_cmp(const struct fcreader_flow *a, const struct fcreader_flow *b)
{
	if (a->af != b->af) {
		return a->af < b->af ? -1 : 1;
	}

	int c = memcmp(a->dst, b->dst, a->af == 6 ? 16 : 4);

	if (c) {
		return c;
	}
	return a->dport < b->dport ? -1 : a->dport > b->dport;
}

static const struct stat_group *sort_base;

static int order_cmp(const void *a, const void *b)
{
	return flow_cmp(&sort_base[*(const size_t *)a].key, &sort_base[*(const size_t *)b].key);
}

/* Groups in address and port order (IPv4 first), recomputed when a group was added. */
const size_t *stat_group_order(struct stat_ctx *s)
{
	if (s->norder != s->ngroups) {
		size_t *o = realloc(s->order, (s->ngroups ? s->ngroups : 1) * sizeof(*o));

		if (!o) {
			s->oom = true;
			return NULL;
		}
		s->order = o;
		for (size_t i = 0; i < s->ngroups; i++) {
			o[i] = i;
		}
		sort_base = s->groups;
		qsort(o, s->ngroups, sizeof(*o), order_cmp);
		s->norder = s->ngroups;
	}
	return s->order;
}

/* ------------------------------------------------------------------ bursts */

static void count_ms(uint64_t ts, uint64_t *cur_ms, uint64_t *cur, uint64_t *peak, uint64_t *ipeak)
{
	uint64_t ms = ts / 1000000u;

	if (ms != *cur_ms || *cur == 0) {
		*cur_ms = ms;
		*cur = 0;
	}
	++*cur;
	if (*cur > *peak) {
		*peak = *cur;
	}
	if (*cur > *ipeak) {
		*ipeak = *cur;
	}
}

/*
 * A sliding window over capture time: the frames of the last window_ns are kept in a ring of
 * (time, length), so the peak is the most frames (and bytes) in any window of that length,
 * not in a calendar slot that a burst may straddle.  Frames out of time order (merged lines)
 * count as if they came at the newest time seen.
 */
static int burst_add(struct stat_burst *b, uint64_t window_ns, uint64_t ts, uint32_t len)
{
	if (b->n && ts < b->ts[(b->head + b->n - 1) & (b->cap - 1)]) {
		ts = b->ts[(b->head + b->n - 1) & (b->cap - 1)];
	}
	while (b->n && ts - b->ts[b->head] >= window_ns) {
		b->frames--;
		b->bytes -= b->len[b->head];
		b->head = (b->head + 1) & (b->cap - 1);
		b->n--;
	}
	if (b->n == b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 64;
		uint64_t *t = malloc(nc * sizeof(*t));
		uint32_t *l = malloc(nc * sizeof(*l));

		if (!t || !l) {
			free(t);
			free(l);
			return -ENOMEM;
		}
		for (size_t i = 0; i < b->n; i++) {
			t[i] = b->ts[(b->head + i) & (b->cap - 1)];
			l[i] = b->len[(b->head + i) & (b->cap - 1)];
		}
		free(b->ts);
		free(b->len);
		b->ts = t;
		b->len = l;
		b->head = 0;
		b->cap = nc;
	}
	b->ts[(b->head + b->n) & (b->cap - 1)] = ts;
	b->len[(b->head + b->n) & (b->cap - 1)] = len;
	b->n++;
	b->frames++;
	b->bytes += len;
	if (b->frames > b->peak_frames) {
		b->peak_frames = b->frames;
	}
	if (b->bytes > b->peak_bytes) {
		b->peak_bytes = b->bytes;
	}
	if (b->frames > b->i_peak_frames) {
		b->i_peak_frames = b->frames;
	}
	if (b->bytes > b->i_peak_bytes) {
		b->i_peak_bytes = b->bytes;
	}
	return 0;
}

static void burst_free(struct stat_burst *b)
{
	free(b->ts);
	free(b->len);
}

/* ------------------------------------------------------------------ sequences */

static int gap_log(struct stat_gap_log *gl, const struct fcreader_seq_gap *gap, size_t sess)
{
	if (gl->n >= STAT_GAPS_LISTED) {
		gl->not_listed++;
		return 0;
	}
	if (fcr_grow((void **)&gl->v, &gl->cap, gl->n, sizeof(*gl->v), 16) < 0) {
		return -ENOMEM;
	}
	gl->v[gl->n++] = (struct stat_gap_ev){ .lo = gap->lo,
					       .hi = gap->hi,
					       .before_ts = gap->before_ts,
					       .after_ts = gap->after_ts,
					       .sess = (uint32_t)sess };
	return 0;
}

/* One decoded packet into a set of sessions; *x_out the session.  @return 0 or -ENOMEM. */
static int seq_add(struct fcreader_seq_sessions *ss, struct stat_gap_log *gl,
		   const struct fcreader_seq_msg *m, uint64_t ts, uint64_t *resets,
		   struct fcreader_seq_session **x_out, struct fcreader_seq_gap *gap)
{
	struct fcreader_seq_session *x = fcreader_seq_session_get(ss, m);

	gap->lo = 1;
	gap->hi = 0;
	*x_out = NULL;
	if (!x) {
		return errno == ENOENT ? 0 : -ENOMEM; /* ENOENT: a heartbeat of no session yet */
	}
	if (m->reset && fcreader_seq_track_reset(&x->t, m->seq, ts)) {
		++*resets;
	}
	if (fcreader_seq_track_add(&x->t, m->seq, m->count, ts, gap) < 0) {
		return -ENOMEM;
	}
	if (m->end) {
		x->t.ended = true;
	}
	*x_out = x;
	if (gap->lo <= gap->hi && gap_log(gl, gap, (size_t)(x - ss->v)) < 0) {
		return -ENOMEM;
	}
	return 0;
}

static void track(struct stat_ctx *s, struct stat_group *g, const struct fcreader_flow *f,
		  uint64_t ts)
{
	struct fcreader_seq_msg m;
	struct fcreader_seq_gap gap;
	struct fcreader_seq_session *x;
	uint64_t feed_resets = 0;

	switch (fcreader_seq_decode(g->dec, f->payload, f->paylen, f->udplen, &m)) {
	case FCREADER_SEQ_UNDECODABLE:
		g->undecodable++;
		return;
	case FCREADER_SEQ_HEARTBEAT:
		g->heartbeats++;
		return;
	case FCREADER_SEQ_UNSEQUENCED:
		g->unsequenced++;
		return;
	case FCREADER_SEQ_DATA:
		break;
	}
	if (m.heartbeat) {
		g->heartbeats++;
	}
	if (seq_add(&g->sess, &g->gaps, &m, ts, &g->resets, &x, &gap) < 0) {
		s->oom = true;
		return;
	}
	if (gap.lo <= gap.hi && s->print_gaps) {
		stat_print_gap(s, g, x, &gap);
	}
	if (g->feed >= 0 && x) {
		struct stat_feed *fd = &s->feeds[g->feed];

		if (seq_add(&fd->sess, &fd->gaps, &m, ts, &feed_resets, &x, &gap) < 0) {
			s->oom = true;
			return;
		}
		if (m.count && x &&
		    stat_race_add(&fd->race, (uint32_t)(x - fd->sess.v), m.seq, m.count, g->line,
				  ts) < 0) {
			s->oom = true;
		}
	}
}

/* ------------------------------------------------------------------ per frame */

void stat_account(struct stat_ctx *s, int linktype, const uint8_t *data, uint32_t caplen,
		  uint32_t wire_len, uint64_t ts, bool backlog)
{
	struct fcreader_flow f;
	struct stat_totals *t = &s->tot;

	if (s->filter) {
		struct fcr_pkt pkt = {
			.ts_ns = ts, .cap_len = caplen, .wire_len = wire_len, .data = data
		};

		if (!fcr_filter_match(s->filter, &pkt)) {
			t->filtered_out++;
			return;
		}
	}
	if (t->frames == 0) {
		t->first_ts = ts;
	}
	if (ts > t->last_ts) {
		t->last_ts = ts;
	}
	if (t->i_count == 0 || ts < t->i_first_ts) {
		t->i_first_ts = ts;
	}
	if (ts > t->i_last_ts) {
		t->i_last_ts = ts;
	}
	t->i_count++;
	if (backlog) {
		t->backlog_frames++;
		t->i_backlog++;
	}
	t->frames++;
	t->bytes += wire_len;
	t->i_frames++;
	t->i_bytes += wire_len;
	count_ms(ts, &t->cur_ms, &t->cur_ms_frames, &t->peak_fpms, &t->i_peak_fpms);
	if (burst_add(&t->burst, s->o.burst_ns, ts, wire_len) < 0) {
		s->oom = true;
	}

	switch (fcreader_flow_parse(linktype, data, caplen, &f)) {
	case FCREADER_FLOW_UDP: {
		struct stat_group *g = group_get(s, &f);

		if (!g) {
			s->oom = true;
			return;
		}
		g->frames++;
		g->bytes += wire_len;
		g->i_frames++;
		g->i_bytes += wire_len;
		count_ms(ts, &g->cur_ms, &g->cur_ms_frames, &g->peak_fpms, &g->i_peak_fpms);
		if (burst_add(&g->burst, s->o.burst_ns, ts, wire_len) < 0) {
			s->oom = true;
		}
		if (g->dec) {
			track(s, g, &f, ts);
		}
		break;
	}
	case FCREADER_FLOW_FRAGMENT:
		t->frag_frames++;
		t->frag_bytes += wire_len;
		break;
	default:
		t->other_frames++;
		t->other_bytes += wire_len;
		break;
	}
}

void stat_interval_reset(struct stat_ctx *s)
{
	struct stat_totals *t = &s->tot;

	t->i_frames = t->i_bytes = t->i_peak_fpms = 0;
	t->i_count = t->i_backlog = 0;
	t->i_first_ts = t->i_last_ts = 0;
	t->burst.i_peak_frames = t->burst.i_peak_bytes = 0;
	for (size_t i = 0; i < s->ngroups; i++) {
		struct stat_group *g = &s->groups[i];

		g->i_frames = g->i_bytes = g->i_peak_fpms = 0;
		g->burst.i_peak_frames = g->burst.i_peak_bytes = 0;
	}
}

/* ------------------------------------------------------------------ summaries */

struct stat_seqsum stat_sessions_sum(const struct fcreader_seq_sessions *ss)
{
	struct stat_seqsum r = { 0 };

	for (size_t i = 0; i < ss->n; i++) {
		r.gaps += fcreader_seq_track_gaps(&ss->v[i].t);
		r.missing += fcreader_seq_track_missing(&ss->v[i].t);
		r.duplicates += ss->v[i].t.duplicates;
		r.reordered += ss->v[i].t.reordered;
		r.resets += ss->v[i].t.resets;
	}
	return r;
}

static const struct fcreader_seq_session *session_find(const struct fcreader_seq_sessions *ss,
						       const struct fcreader_seq_session *x)
{
	for (size_t i = 0; i < ss->n; i++) {
		if (ss->v[i].len == x->len && memcmp(ss->v[i].id, x->id, x->len) == 0) {
			return &ss->v[i];
		}
	}
	return NULL;
}

/* Numbers line l lost that the other line delivered: its missing minus the feed's missing. */
uint64_t stat_lost_on_line_only(const struct stat_ctx *s, const struct stat_feed *f, int l)
{
	uint64_t n = 0;

	if (f->group[l] < 0) {
		return 0;
	}

	const struct fcreader_seq_sessions *ls = &s->groups[f->group[l]].sess;

	for (size_t i = 0; i < ls->n; i++) {
		const struct fcreader_seq_session *fx = session_find(&f->sess, &ls->v[i]);
		uint64_t miss = fcreader_seq_track_missing(&ls->v[i].t);
		uint64_t both =
			fx ? fcreader_seq_ranges_overlap(&ls->v[i].t.missing, &fx->t.missing) +
					(fx->t.missing_before < ls->v[i].t.missing_before
						 ? fx->t.missing_before
						 : ls->v[i].t.missing_before)
			   : 0;

		n += miss > both ? miss - both : 0;
	}
	return n;
}

uint64_t stat_seq_missing_total(const struct stat_ctx *s)
{
	uint64_t m = 0;

	/* a feed's lines count once (lost on both), other groups as they are */
	for (unsigned int i = 0; i < s->o.nfeeds; i++) {
		m += stat_sessions_sum(&s->feeds[i].sess).missing;
	}
	for (size_t i = 0; i < s->ngroups; i++) {
		if (s->groups[i].feed < 0) {
			m += stat_sessions_sum(&s->groups[i].sess).missing;
		}
	}
	return m;
}

uint64_t stat_gap_still_missing(const struct fcreader_seq_sessions *ss, const struct stat_gap_ev *g)
{
	const struct fcreader_seq_track *t = &ss->v[g->sess].t;

	/* a reset since: the gap's numbers belong to the sequence before it, counted whole */
	if (t->resets && g->after_ts <= t->reset_ts) {
		return g->hi - g->lo + 1;
	}
	return fcreader_seq_ranges_count(&t->missing, g->lo, g->hi);
}

void stat_session_name(const struct fcreader_seq_session *x, char *out, size_t len)
{
	size_t o = 0;

	if (x->len == 0) {
		snprintf(out, len, "-");
		return;
	}
	for (size_t i = 0; i < x->len && o + 5 < len; i++) {
		uint8_t c = x->id[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			out[o++] = (char)c;
		} else {
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", c);
		}
	}
	out[o] = '\0';
}

void stat_free(struct stat_ctx *s)
{
	for (size_t i = 0; i < s->ngroups; i++) {
		fcreader_seq_sessions_free(&s->groups[i].sess);
		free(s->groups[i].gaps.v);
		burst_free(&s->groups[i].burst);
	}
	for (unsigned int i = 0; i < s->o.nfeeds; i++) {
		fcreader_seq_sessions_free(&s->feeds[i].sess);
		free(s->feeds[i].gaps.v);
		stat_race_free(&s->feeds[i].race);
	}
	burst_free(&s->tot.burst);
	free(s->groups);
	free(s->hash);
	free(s->order);
	free(s->o.archives);
	free(s->o.filter_expr);
	fcr_filter_free(s->filter);
	fcr_archive_set_close(s->set);
}
