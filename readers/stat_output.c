/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stat_output.c - feedcap-stat's reports: one JSON object per interval and a summary, a line
 * per interval when stdout is not a terminal, the table otherwise; gaps printed as found.
 *
 * Rates divide by capture time whenever the records were not read live (archives, a ring's
 * backlog), by wall-clock time otherwise; every report says which ("time_base").
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "stat_tool.h"

static json_object *ju(uint64_t v)
{
	return json_object_new_uint64(v);
}

static json_object *jd(double v)
{
	return json_object_new_double(v);
}

static json_object *jtime(uint64_t ns)
{
	char tb[40];

	return json_object_new_string(fcr_format_time(ns, tb, sizeof(tb)));
}

/* ------------------------------------------------------------------ JSON */

static json_object *losses_json(const struct stat_ctx *s, const struct stat_ring_view *v)
{
	json_object *l = json_object_new_object();

	if (v && v->ok) {
		json_object_object_add(l, "nic_imissed", ju(v->c.nic_imissed));
		json_object_object_add(l, "nic_rx_nombuf", ju(v->c.nic_rx_nombuf));
		json_object_object_add(l, "nic_ierrors", ju(v->c.nic_ierrors));
		json_object_object_add(l, "capture_filter", ju(v->c.filtered));
		json_object_object_add(l, "capture_truncated", ju(v->c.truncated));
		json_object_object_add(l, "ring_overrun_this_reader", ju(v->me.lost_records));

		json_object *r = json_object_new_object();

		for (int i = 0; i < v->nreaders; i++) {
			json_object_object_add(r, v->readers[i].name,
					       ju(v->readers[i].lost_records));
		}
		json_object_object_add(l, "ring_overrun_readers", r);

		json_object *w = json_object_new_object();

		for (int i = 0; i < v->nreaders; i++) {
			json_object_object_add(w, v->readers[i].name,
					       ju(v->readers[i].write_errors));
		}
		json_object_object_add(l, "writer_errors", w);
	} else {
		json_object_object_add(l, "archives_damaged", ju(s->damaged));
	}
	if (s->o.gaps) {
		json_object_object_add(l, "sequence_missing", ju(stat_seq_missing_total(s)));
	}
	return l;
}

/* The clock block timesync publishes in the ring: state, offsets, the TSC model. */
static json_object *clock_json(const struct stat_ring_view *v)
{
	json_object *c = json_object_new_object();
	const struct timesync_block *b = &v->clock;

	json_object_object_add(c, "published", json_object_new_boolean(v->clock_rc == 0));
	if (v->clock_rc != 0) {
		json_object_object_add(c, "error", json_object_new_string(strerror(-v->clock_rc)));
		return c;
	}
	json_object_object_add(
		c, "state",
		json_object_new_string(timesync_state_name((enum timesync_state)b->ptp.state)));
	json_object_object_add(c, "port_state",
			       json_object_new_string(timesync_port_state_name(b->ptp.port_state)));
	json_object_object_add(c, "gm_present", json_object_new_boolean(b->ptp.gm_present));
	json_object_object_add(c, "offset_ns", json_object_new_int64(b->ptp.offset_ns));
	json_object_object_add(c, "offset_min_ns", json_object_new_int64(b->ptp.offset_min_ns));
	json_object_object_add(c, "offset_max_ns", json_object_new_int64(b->ptp.offset_max_ns));
	json_object_object_add(c, "offset_rms_ns", ju(b->ptp.offset_rms_ns));
	json_object_object_add(c, "threshold_ns", ju(b->hdr.threshold_ns));
	json_object_object_add(c, "tai_utc_s", json_object_new_int(b->hdr.tai_utc_s));
	json_object_object_add(c, "published_ns", ju(b->hdr.published_ns));
	json_object_object_add(c, "generation", ju(b->hdr.generation));
	json_object_object_add(c, "tsc_model_valid",
			       json_object_new_boolean(timesync_model_valid(&b->tsc)));
	json_object_object_add(c, "tsc_err_ns", ju(b->tsc.err_ns));
	return c;
}

static const char *clock_state(const struct stat_ring_view *v)
{
	if (v->clock_rc != 0) {
		return "not published";
	}
	return timesync_state_name((enum timesync_state)v->clock.ptp.state);
}

static json_object *ring_json(const struct stat_ring_view *v)
{
	json_object *c = json_object_new_object();
	json_object *ports = json_object_new_array();
	json_object *readers = json_object_new_array();

	json_object_object_add(c, "state", json_object_new_string(stat_producer_state(v)));
	json_object_object_add(c, "producer_alive", json_object_new_boolean(v->alive));
	json_object_object_add(c, "producer",
			       v->producer[0] ? json_object_new_string(v->producer) : NULL);
	json_object_object_add(c, "producer_pid", ju(v->pid));
	json_object_object_add(c, "epoch", ju(v->epoch));
	json_object_object_add(c, "frames", ju(v->c.frames));
	json_object_object_add(c, "bytes", ju(v->c.bytes));
	json_object_object_add(c, "markers", ju(v->c.markers));
	for (uint32_t i = 0; i < v->nports; i++) {
		json_object *p = json_object_new_object();

		json_object_object_add(p, "name", json_object_new_string(v->ports[i].name));
		json_object_object_add(p, "rx_frames", ju(v->ports[i].rx_frames));
		json_object_object_add(p, "rx_bytes", ju(v->ports[i].rx_bytes));
		json_object_object_add(p, "imissed", ju(v->ports[i].imissed));
		json_object_object_add(p, "rx_nombuf", ju(v->ports[i].rx_nombuf));
		json_object_object_add(p, "ierrors", ju(v->ports[i].ierrors));
		json_object_object_add(p, "filtered", ju(v->ports[i].filtered));
		json_object_array_add(ports, p);
	}
	json_object_object_add(c, "ports", ports);
	for (int i = 0; i < v->nreaders; i++) {
		const struct ringshm_reader_info *r = &v->readers[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(r->name));
		json_object_object_add(o, "pid", ju(r->pid));
		json_object_object_add(o, "lag_bytes", ju(v->head > r->pos ? v->head - r->pos : 0));
		json_object_object_add(o, "delivered", ju(r->delivered));
		json_object_object_add(o, "lost_records", ju(r->lost_records));
		json_object_object_add(o, "lost_bytes", ju(r->lost_bytes));
		json_object_object_add(o, "write_errors", ju(r->write_errors));
		json_object_object_add(o, "blocked", json_object_new_boolean(r->blocked));
		json_object_object_add(o, "last_errno", json_object_new_int(r->last_errno));
		json_object_object_add(o, "last_error",
				       r->write_errors ? json_object_new_string(r->last_error)
						       : NULL);
		json_object_object_add(o, "last_error_ns", ju(r->last_error_ns));
		json_object_array_add(readers, o);
	}
	json_object_object_add(c, "readers", readers);

	json_object *me = json_object_new_object();

	json_object_object_add(me, "lag_bytes", ju(v->my_lag));
	json_object_object_add(me, "delivered", ju(v->me.delivered));
	json_object_object_add(me, "lost_records", ju(v->me.lost_records));
	json_object_object_add(me, "overruns", ju(v->me.overruns));
	json_object_object_add(me, "epochs_seen", ju(v->me.epochs_seen));
	json_object_object_add(c, "this_reader", me);

	json_object_object_add(c, "clock", clock_json(v));
	return c;
}

static json_object *gap_json(const struct stat_ctx *s, const struct fcreader_seq_sessions *ss,
			     const struct stat_gap_ev *e, const char *group, int feed, int line)
{
	json_object *o = json_object_new_object();
	char name[80];

	stat_session_name(&ss->v[e->sess], name, sizeof(name));
	json_object_object_add(o, "group", group ? json_object_new_string(group) : NULL);
	json_object_object_add(o, "feed",
			       feed >= 0 ? json_object_new_string(s->feeds[feed].o->name) : NULL);
	json_object_object_add(o, "line",
			       feed >= 0 && line >= 0 ? json_object_new_string(line ? "B" : "A")
						      : NULL);
	json_object_object_add(o, "session", json_object_new_string(name));
	json_object_object_add(o, "first", ju(e->lo));
	json_object_object_add(o, "last", ju(e->hi));
	json_object_object_add(o, "count", ju(e->hi - e->lo + 1));
	json_object_object_add(o, "still_missing", ju(stat_gap_still_missing(ss, e)));
	json_object_object_add(o, "before_ns", ju(e->before_ts));
	json_object_object_add(o, "after_ns", ju(e->after_ts));
	json_object_object_add(o, "before", jtime(e->before_ts));
	json_object_object_add(o, "after", jtime(e->after_ts));
	return o;
}

static json_object *sessions_json(const struct fcreader_seq_sessions *ss)
{
	json_object *sa = json_object_new_array();

	for (size_t i = 0; i < ss->n; i++) {
		const struct fcreader_seq_session *x = &ss->v[i];
		json_object *so = json_object_new_object();
		json_object *ra = json_object_new_array();
		char name[80];

		stat_session_name(x, name, sizeof(name));
		json_object_object_add(so, "session", json_object_new_string(name));
		json_object_object_add(so, "first", ju(x->t.first));
		json_object_object_add(so, "next", ju(x->t.next));
		json_object_object_add(so, "received", ju(x->t.received));
		json_object_object_add(so, "gaps", ju(fcreader_seq_track_gaps(&x->t)));
		json_object_object_add(so, "missing", ju(fcreader_seq_track_missing(&x->t)));
		json_object_object_add(so, "duplicates", ju(x->t.duplicates));
		json_object_object_add(so, "reordered", ju(x->t.reordered));
		json_object_object_add(so, "resets", ju(x->t.resets));
		json_object_object_add(so, "ended", json_object_new_boolean(x->t.ended));
		for (size_t k = 0; k < x->t.missing.n && k < STAT_RANGES_SHOWN; k++) {
			json_object *r = json_object_new_array();

			json_object_array_add(r, ju(x->t.missing.v[k].lo));
			json_object_array_add(r, ju(x->t.missing.v[k].hi));
			json_object_array_add(ra, r);
		}
		json_object_object_add(so, "missing_ranges", ra);
		json_object_array_add(sa, so);
	}
	return sa;
}

static json_object *group_json(const struct stat_ctx *s, const struct stat_group *g, bool summary,
			       double dur)
{
	json_object *o = json_object_new_object();
	uint64_t fr = summary ? g->frames : g->i_frames;
	uint64_t by = summary ? g->bytes : g->i_bytes;

	json_object_object_add(o, "dst", json_object_new_string(g->name));
	json_object_object_add(o, "frames", ju(fr));
	json_object_object_add(o, "bytes", ju(by));
	json_object_object_add(o, "pps", jd(dur > 0 ? (double)fr / dur : 0));
	json_object_object_add(o, "mbps", jd(dur > 0 ? (double)by * 8 / dur / 1e6 : 0));
	json_object_object_add(o, "peak_fpms", ju(summary ? g->peak_fpms : g->i_peak_fpms));
	json_object_object_add(o, "peak_frames",
			       ju(summary ? g->burst.peak_frames : g->burst.i_peak_frames));
	json_object_object_add(o, "peak_bytes",
			       ju(summary ? g->burst.peak_bytes : g->burst.i_peak_bytes));
	if (g->feed >= 0) {
		json_object_object_add(o, "feed",
				       json_object_new_string(s->feeds[g->feed].o->name));
		json_object_object_add(o, "line", json_object_new_string(g->line ? "B" : "A"));
	}
	if (g->dec && (g->sess.n || g->undecodable || summary)) {
		struct stat_seqsum q = stat_sessions_sum(&g->sess);

		json_object_object_add(o, "decoder", json_object_new_string(g->dec->name));
		json_object_object_add(o, "gaps", ju(q.gaps));
		json_object_object_add(o, "missing", ju(q.missing));
		json_object_object_add(o, "duplicates", ju(q.duplicates));
		json_object_object_add(o, "reordered", ju(q.reordered));
		json_object_object_add(o, "resets", ju(g->resets));
		json_object_object_add(o, "undecodable", ju(g->undecodable));
		json_object_object_add(o, "heartbeats", ju(g->heartbeats));
		json_object_object_add(o, "unsequenced", ju(g->unsequenced));
		if (summary) {
			json_object_object_add(o, "sessions", sessions_json(&g->sess));
		}
	}
	return o;
}

static json_object *race_json(const struct stat_race *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "both", ju(r->won[0] + r->won[1]));
	json_object_object_add(o, "won_a", ju(r->won[0]));
	json_object_object_add(o, "won_b", ju(r->won[1]));
	json_object_object_add(o, "unmatched_a", ju(r->unmatched[0]));
	json_object_object_add(o, "unmatched_b", ju(r->unmatched[1]));
	json_object_object_add(o, "delay_p50_ns", ju(stat_race_percentile(r, 0.50)));
	json_object_object_add(o, "delay_p99_ns", ju(stat_race_percentile(r, 0.99)));
	json_object_object_add(o, "delay_max_ns", ju(r->max_ns));
	return o;
}

static json_object *feeds_json(const struct stat_ctx *s, bool summary)
{
	json_object *a = json_object_new_array();

	for (unsigned int i = 0; i < s->o.nfeeds; i++) {
		const struct stat_feed *f = &s->feeds[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(f->o->name));
		for (int l = 0; l < 2; l++) {
			json_object_object_add(
				o, l ? "b" : "a",
				json_object_new_string(f->group[l] >= 0
							       ? s->groups[f->group[l]].name
							       : f->o->spec[l]));
		}

		struct stat_seqsum q = stat_sessions_sum(&f->sess);

		json_object_object_add(o, "missing", ju(q.missing));
		json_object_object_add(o, "lost_a_only", ju(stat_lost_on_line_only(s, f, 0)));
		json_object_object_add(o, "lost_b_only", ju(stat_lost_on_line_only(s, f, 1)));
		json_object_object_add(o, "resets", ju(q.resets));
		json_object_object_add(o, "race", race_json(&f->race));
		if (summary) {
			json_object *ga = json_object_new_array();

			/* only what neither line delivered: the rest was a race, not a loss */
			for (size_t k = 0; k < f->gaps.n; k++) {
				if (stat_gap_still_missing(&f->sess, &f->gaps.v[k])) {
					json_object_array_add(ga,
							      gap_json(s, &f->sess, &f->gaps.v[k],
								       NULL, (int)i, -1));
				}
			}
			json_object_object_add(o, "gaps", ga);
		}
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *gaps_json(struct stat_ctx *s, const size_t *order)
{
	json_object *a = json_object_new_array();

	for (size_t k = 0; k < s->ngroups; k++) {
		const struct stat_group *g = &s->groups[order ? order[k] : k];

		for (size_t i = 0; i < g->gaps.n; i++) {
			json_object_array_add(
				a, gap_json(s, &g->sess, &g->gaps.v[i], g->name, g->feed, g->line));
		}
	}
	return a;
}

void stat_emit_json(struct stat_ctx *s, bool summary, double dur, uint64_t ts,
		    const struct stat_ring_view *v, bool capture_time)
{
	json_object *o = json_object_new_object();
	json_object *ga = json_object_new_array();
	const struct stat_totals *t = &s->tot;
	const size_t *order = stat_group_order(s);
	uint64_t fr = summary ? t->frames : t->i_frames;
	uint64_t by = summary ? t->bytes : t->i_bytes;

	json_object_object_add(o, "type", json_object_new_string(summary ? "summary" : "interval"));
	json_object_object_add(o, "time", jtime(ts));
	json_object_object_add(o, "ts_ns", ju(ts));
	json_object_object_add(o, summary ? "duration_s" : "interval_s", jd(dur));
	json_object_object_add(o, "time_base",
			       json_object_new_string(capture_time ? "capture" : "wall"));
	json_object_object_add(o, "frames", ju(fr));
	json_object_object_add(o, "bytes", ju(by));
	json_object_object_add(o, "pps", jd(dur > 0 ? (double)fr / dur : 0));
	json_object_object_add(o, "mbps", jd(dur > 0 ? (double)by * 8 / dur / 1e6 : 0));
	json_object_object_add(o, "peak_fpms", ju(summary ? t->peak_fpms : t->i_peak_fpms));
	json_object_object_add(o, "burst_window_ns", ju(s->o.burst_ns));
	json_object_object_add(o, "peak_frames",
			       ju(summary ? t->burst.peak_frames : t->burst.i_peak_frames));
	json_object_object_add(o, "peak_bytes",
			       ju(summary ? t->burst.peak_bytes : t->burst.i_peak_bytes));
	if (s->filter) {
		json_object_object_add(o, "filter",
				       json_object_new_string(fcr_filter_expr(s->filter)));
		json_object_object_add(o, "filtered_out", ju(t->filtered_out));
	}
	for (size_t i = 0; i < s->ngroups; i++) {
		json_object_array_add(
			ga, group_json(s, &s->groups[order ? order[i] : i], summary, dur));
	}
	json_object_object_add(o, "groups", ga);
	if (summary || s->o.nfeeds) {
		json_object_object_add(o, "feeds", feeds_json(s, summary));
	}
	if (summary && s->o.gaps) {
		json_object_object_add(o, "gaps", gaps_json(s, order));
	}

	json_object *other = json_object_new_object();

	json_object_object_add(other, "frames", ju(t->other_frames));
	json_object_object_add(other, "bytes", ju(t->other_bytes));
	json_object_object_add(other, "fragments", ju(t->frag_frames));
	json_object_object_add(other, "fragment_bytes", ju(t->frag_bytes));
	json_object_object_add(o, "other", other);
	json_object_object_add(o, "losses", losses_json(s, v));
	if (v && v->ok) {
		json_object_object_add(o, "capture", ring_json(v));
	}
	if (summary && s->set) {
		json_object *aa = json_object_new_array();

		for (unsigned int i = 0; i < fcr_archive_set_count(s->set); i++) {
			struct fcr_archive_result r;
			json_object *ao = json_object_new_object();

			fcr_archive_set_result(s->set, i, &r);
			json_object_object_add(ao, "file", json_object_new_string(r.path));
			json_object_object_add(ao, "records", ju(r.records));
			json_object_object_add(ao, "damaged", json_object_new_boolean(r.damaged));
			if (r.damaged) {
				json_object_object_add(ao, "message",
						       json_object_new_string(r.message));
			}
			json_object_array_add(aa, ao);
		}
		json_object_object_add(o, "archives", aa);
	}
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	fflush(stdout);
	json_object_put(o);
}

/* ------------------------------------------------------------------ text */

void stat_print_gap(const struct stat_ctx *s, const struct stat_group *g,
		    const struct fcreader_seq_session *x, const struct fcreader_seq_gap *gap)
{
	char name[80], t0[40], t1[40];

	stat_session_name(x, name, sizeof(name));
	printf("gap %s", g->name);
	if (g->feed >= 0) {
		printf(" (feed %s line %c)", s->feeds[g->feed].o->name, g->line ? 'B' : 'A');
	}
	printf(" session %s: %" PRIu64 "-%" PRIu64 " (%" PRIu64 ") between %s and %s\n", name,
	       gap->lo, gap->hi, gap->hi - gap->lo + 1,
	       fcr_format_time(gap->before_ts, t0, sizeof(t0)),
	       fcr_format_time(gap->after_ts, t1, sizeof(t1)));
	fflush(stdout);
}

void stat_emit_line(struct stat_ctx *s, double dur, uint64_t ts, const struct stat_ring_view *v)
{
	const struct stat_totals *t = &s->tot;
	char tb[40];

	printf("%s frames=%" PRIu64 " pps=%.0f Mbit/s=%.3f peak/ms=%" PRIu64 " peak_frames=%" PRIu64
	       " peak_bytes=%" PRIu64 " groups=%zu",
	       fcr_format_time(ts, tb, sizeof(tb)), t->i_frames,
	       dur > 0 ? (double)t->i_frames / dur : 0,
	       dur > 0 ? (double)t->i_bytes * 8 / dur / 1e6 : 0, t->i_peak_fpms,
	       t->burst.i_peak_frames, t->burst.i_peak_bytes, s->ngroups);
	if (s->o.gaps) {
		printf(" seq_missing=%" PRIu64, stat_seq_missing_total(s));
	}
	if (v && v->ok) {
		printf(" producer=%s nic_imissed=%" PRIu64 " nic_rx_nombuf=%" PRIu64
		       " capture_filter=%" PRIu64 " ring_lost=%" PRIu64
		       " readers=%d writer_errors=%" PRIu64 " writers_blocked=%d",
		       stat_producer_state(v), v->c.nic_imissed, v->c.nic_rx_nombuf, v->c.filtered,
		       v->me.lost_records, v->nreaders, v->writer_errors, v->writers_blocked);
	}
	putchar('\n');
	fflush(stdout);
}

static void fmt_ns(uint64_t ns, char *out, size_t len)
{
	if (ns < 10000) {
		snprintf(out, len, "%" PRIu64 "ns", ns);
	} else if (ns < 10000000) {
		snprintf(out, len, "%.1fus", (double)ns / 1e3);
	} else {
		snprintf(out, len, "%.1fms", (double)ns / 1e6);
	}
}

static void table_feeds(const struct stat_ctx *s)
{
	printf("%-16s %10s %12s %12s %12s %12s %9s %9s %9s\n", "FEED", "MISSING", "LOST_A_ONLY",
	       "LOST_B_ONLY", "WON_A", "WON_B", "DELAY_P50", "DELAY_P99", "DELAY_MAX");
	for (unsigned int i = 0; i < s->o.nfeeds; i++) {
		const struct stat_feed *f = &s->feeds[i];
		char p50[16], p99[16], mx[16];

		fmt_ns(stat_race_percentile(&f->race, 0.5), p50, sizeof(p50));
		fmt_ns(stat_race_percentile(&f->race, 0.99), p99, sizeof(p99));
		fmt_ns(f->race.max_ns, mx, sizeof(mx));
		printf("%-16s %10" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64
		       " %9s %9s %9s\n",
		       f->o->name, stat_sessions_sum(&f->sess).missing,
		       stat_lost_on_line_only(s, f, 0), stat_lost_on_line_only(s, f, 1),
		       f->race.won[0], f->race.won[1], p50, p99, mx);
	}
}

static void table_missing(const struct stat_ctx *s, const size_t *order)
{
	for (size_t i = 0; i < s->ngroups; i++) {
		const struct stat_group *g = &s->groups[order ? order[i] : i];

		for (size_t k = 0; k < g->sess.n; k++) {
			const struct fcreader_seq_session *x = &g->sess.v[k];
			char name[80];

			if (x->t.missing.n == 0) {
				continue;
			}
			stat_session_name(x, name, sizeof(name));
			printf("missing %s session %s:", g->name, name);
			for (size_t r = 0; r < x->t.missing.n && r < STAT_TEXT_RANGES; r++) {
				printf(" %" PRIu64 "-%" PRIu64, x->t.missing.v[r].lo,
				       x->t.missing.v[r].hi);
			}
			if (x->t.missing.n > STAT_TEXT_RANGES) {
				printf(" ... (%zu ranges)", x->t.missing.n);
			}
			putchar('\n');
		}
	}
}

static void table_ring(const struct stat_ctx *s, const struct stat_ring_view *v)
{
	char tb[40];

	printf("producer: %s %s pid %" PRIu64 " epoch %" PRIu64 "  frames %" PRIu64 "  clock %s",
	       v->producer[0] ? v->producer : "-", stat_producer_state(v), v->pid, v->epoch,
	       v->c.frames, clock_state(v));
	if (v->clock_rc == 0) {
		printf(" offset %" PRId64 " ns", v->clock.ptp.offset_ns);
	}
	putchar('\n');
	printf("losses: nic_imissed %" PRIu64 "  nic_rx_nombuf %" PRIu64 "  nic_ierrors %" PRIu64
	       "  capture_filter %" PRIu64 "  ring_overrun(this reader) %" PRIu64,
	       v->c.nic_imissed, v->c.nic_rx_nombuf, v->c.nic_ierrors, v->c.filtered,
	       v->me.lost_records);
	if (s->o.gaps) {
		printf("  sequence_missing %" PRIu64, stat_seq_missing_total(s));
	}
	putchar('\n');
	for (int i = 0; i < v->nreaders; i++) {
		const struct ringshm_reader_info *r = &v->readers[i];

		printf("reader %-20s pid %-8" PRIu64 " lag %12" PRIu64 " B  delivered %12" PRIu64
		       "  lost %10" PRIu64 "  write_errors %6" PRIu64 "%s\n",
		       r->name, r->pid, v->head > r->pos ? v->head - r->pos : 0, r->delivered,
		       r->lost_records, r->write_errors,
		       r->blocked ? "  blocked (waiting for its output)" : "");
		if (r->write_errors) {
			printf("       last write error %s: %s\n",
			       fcr_format_time(r->last_error_ns, tb, sizeof(tb)), r->last_error);
		}
	}
}

void stat_emit_table(struct stat_ctx *s, bool summary, double dur, uint64_t ts,
		     const struct stat_ring_view *v, bool capture_time)
{
	const struct stat_totals *t = &s->tot;
	const size_t *order = stat_group_order(s);
	char tb[40];

	if (!summary && s->tty) {
		fputs("\033[H\033[2J", stdout);
	}
	printf("%s  %s %.3fs (%s time)  frames %" PRIu64 "  bytes %" PRIu64 "  peak/ms %" PRIu64
	       "  peak/%" PRIu64 "us %" PRIu64 " frames %" PRIu64 " bytes\n",
	       summary ? "summary" : "interval", fcr_format_time(ts, tb, sizeof(tb)), dur,
	       capture_time ? "capture" : "wall", summary ? t->frames : t->i_frames,
	       summary ? t->bytes : t->i_bytes, summary ? t->peak_fpms : t->i_peak_fpms,
	       s->o.burst_ns / 1000, summary ? t->burst.peak_frames : t->burst.i_peak_frames,
	       summary ? t->burst.peak_bytes : t->burst.i_peak_bytes);
	printf("%-24s %12s %14s %12s %10s %8s %10s", "GROUP", "FRAMES", "BYTES", "PPS", "MBIT/S",
	       "PEAK/MS", "PEAK_BYTES");
	if (s->o.gaps) {
		printf(" %8s %10s %8s %8s %6s %8s", "GAPS", "MISSING", "DUPS", "REORD", "RESETS",
		       "UNDECOD");
	}
	putchar('\n');
	for (size_t i = 0; i < s->ngroups; i++) {
		const struct stat_group *g = &s->groups[order ? order[i] : i];
		uint64_t fr = summary ? g->frames : g->i_frames;
		uint64_t by = summary ? g->bytes : g->i_bytes;

		printf("%-24s %12" PRIu64 " %14" PRIu64 " %12.0f %10.3f %8" PRIu64 " %10" PRIu64,
		       g->name, fr, by, dur > 0 ? (double)fr / dur : 0,
		       dur > 0 ? (double)by * 8 / dur / 1e6 : 0,
		       summary ? g->peak_fpms : g->i_peak_fpms,
		       summary ? g->burst.peak_bytes : g->burst.i_peak_bytes);
		if (g->dec) {
			struct stat_seqsum q = stat_sessions_sum(&g->sess);

			printf(" %8" PRIu64 " %10" PRIu64 " %8" PRIu64 " %8" PRIu64 " %6" PRIu64
			       " %8" PRIu64,
			       q.gaps, q.missing, q.duplicates, q.reordered, g->resets,
			       g->undecodable);
		}
		putchar('\n');
	}
	if (t->other_frames || t->frag_frames) {
		printf("%-24s %12" PRIu64 " %14" PRIu64 "\n", "(later IP fragments)",
		       t->frag_frames, t->frag_bytes);
		printf("%-24s %12" PRIu64 " %14" PRIu64 "\n", "(other)", t->other_frames,
		       t->other_bytes);
	}
	if (s->filter) {
		printf("%-24s %12" PRIu64 "  (filter: %s)\n", "(filtered out)", t->filtered_out,
		       fcr_filter_expr(s->filter));
	}
	if (summary && s->o.gaps) {
		table_missing(s, order);
	}
	if (s->o.nfeeds) {
		table_feeds(s);
	}
	if (v && v->ok) {
		table_ring(s, v);
	} else if (summary) {
		printf("losses: archives_damaged %u", s->damaged);
		if (s->o.gaps) {
			printf("  sequence_missing %" PRIu64, stat_seq_missing_total(s));
		}
		putchar('\n');
	}
	fflush(stdout);
}
