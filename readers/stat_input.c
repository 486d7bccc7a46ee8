/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stat_input.c - feedcap-stat's sources: archives (intervals and rates in capture time), and
 * a ring read live or from its backlog.
 *
 * Ring records are used in place and validated afterwards (ringshm_reader_done()): what this
 * tool takes from a frame is copied out first and only counted once the record proves intact,
 * so an overwritten record never reaches the statistics.  Records that were already in the
 * ring when stat attached (--from oldest, --from TIME) are backlog: read far faster than they
 * arrived, so their rates divide by capture time, never by the wall-clock time reading took.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#include "archset.h"
#include "stat_tool_internal.h"

void stat_report(struct stat_ctx *s, bool summary, double dur, uint64_t ts, bool capture_time)
{
	struct stat_ring_view v = { 0 };

	if (s->rd) {
		stat_ring_view_take(s, &v);
	}
	if (s->o.json) {
		stat_emit_json(s, summary, dur, ts, &v, capture_time);
	} else if (summary || s->tty) {
		stat_emit_table(s, summary, dur, ts, &v, capture_time);
	} else {
		stat_emit_line(s, dur, ts, &v);
	}
	if (s->o.prom) {
		int rc = stat_write_prom(s, &v);

		if (rc < 0) {
			fprintf(stderr, PROG ": --prom %s: %s\n", s->o.prom, strerror(-rc));
		}
	}
	stat_interval_reset(s);
}

int stat_run_archives(struct stat_ctx *s)
{
	struct fcr_error err = { 0 };
	struct fcr_pkt pkt;

	/* directories are archive sets: every archive in them, in time order, a few open at once */
	struct archset_picks ps;
	struct fcr_source *src;
	int rc = 0;

	if (archset_pick((char *const *)(uintptr_t)s->o.archives, s->o.narchives, ARCHSET_REPAIR, 0,
			 FCR_TIME_MAX, &ps, &err) < 0) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		return 1;
	}
	fcr_cli_print_notes(ps.notes);
	src = archset_picks_sources(&ps, 0);
	s->set = src ? fcr_archive_set_open_sources(src, (unsigned int)ps.n, 0, FCR_TIME_MAX,
						    fcr_cli_max_open_files(), &err)
		     : NULL;
	free(src);
	archset_picks_free(&ps);
	if (!s->set) {
		fprintf(stderr, PROG ": %s\n", src ? err.msg : "out of memory");
		return 1;
	}

	int lt = fcr_archive_set_linktype(s->set);
	bool intervals = s->o.interval_given;

	while (!fcr_cli_stopping() && (rc = fcr_archive_set_next(s->set, &pkt, NULL)) == 1) {
		if (intervals) {
			if (s->tot.frames == 0) {
				s->i_start_ts = pkt.ts_ns - pkt.ts_ns % s->o.interval_ns;
			}
			while (pkt.ts_ns >= s->i_start_ts + s->o.interval_ns) {
				s->i_start_ts += s->o.interval_ns;
				stat_report(s, false, stat_secs(s->o.interval_ns), s->i_start_ts,
					    true);
			}
		}
		/* a pcapng may mix link types: each frame is decoded by its own interface's */
		stat_account(s, pkt.meta && pkt.meta->iface ? pkt.meta->iface->linktype : lt,
			     pkt.data, pkt.cap_len, pkt.wire_len, pkt.ts_ns, true);
	}
	if (rc < 0) {
		fprintf(stderr, PROG ": %s\n", fcr_archive_set_error(s->set));
		s->damaged++;
	}
	for (unsigned int i = 0; i < fcr_archive_set_count(s->set); i++) {
		struct fcr_archive_result r;

		fcr_archive_set_result(s->set, i, &r);
		if (r.damaged) {
			fprintf(stderr, PROG ": warning: %s\n", r.message);
			s->damaged++;
		}
	}
	if (intervals && s->tot.i_frames) {
		stat_report(s, false, stat_secs(s->tot.last_ts - s->i_start_ts), s->tot.last_ts,
			    true);
	}

	uint64_t dur = s->tot.frames ? s->tot.last_ts - s->tot.first_ts : 0;

	stat_report(s, true, stat_secs(dur), s->tot.last_ts, true);
	return s->damaged ? 1 : 0;
}

/*
 * An interval of ring records: in capture time when any was backlog (the span of their
 * timestamps), else in wall-clock time since the last report.
 */
/*
 * A LOSS record that is a link event: an outage of the capture's port, shown as it comes
 * (text output; JSON shows the ports' link counts).  Frames were lost that nobody counted.
 */
static void stat_link_event(struct stat_ctx *s, const uint8_t *payload,
			    const struct ringshm_record *r)
{
	const struct ringshm_ctl *ctl = ringshm_reader_ctl(s->rd);
	struct ringshm_loss_payload lp;
	char tb[40], name[sizeof(ctl->ports[0].name)] = "?";

	memcpy(&lp, payload, sizeof(lp));
	if (lp.event != RINGSHM_LOSS_LINK_DOWN && lp.event != RINGSHM_LOSS_LINK_UP) {
		return;
	}
	if (lp.port < RINGSHM_MAX_PORTS) {
		memcpy(name, ctl->ports[lp.port].name, sizeof(name));
		name[sizeof(name) - 1] = '\0';
	}
	if (s->o.json) {
		return;
	}
	if (lp.event == RINGSHM_LOSS_LINK_DOWN) {
		printf("%s event: port %s link down (seq %" PRIu64
		       "): frames lost until it is back\n",
		       fcr_format_time(lp.event_ns, tb, sizeof(tb)), name, r->seq);
	} else {
		printf("%s event: port %s link up after %.3f s down (seq %" PRIu64 ")\n",
		       fcr_format_time(lp.event_ns, tb, sizeof(tb)), name,
		       (double)lp.outage_ns / 1e9, r->seq);
	}
	fflush(stdout);
}

static void ring_interval(struct stat_ctx *s, uint64_t now)
{
	struct stat_totals *t = &s->tot;
	bool ct = t->i_backlog > 0;
	uint64_t dur = ct ? t->i_last_ts - t->i_first_ts : now - s->last_wall;

	stat_report(s, false, stat_secs(dur), ct ? t->i_last_ts : fcr_cli_now_ns(CLOCK_REALTIME),
		    ct);
}

int stat_run_ring(struct stat_ctx *s)
{
	struct fcr_error err = { 0 };
	struct ringshm_record rec;
	uint8_t buf[STAT_COPY_MAX];
	int status = 0;

	s->rd = fcr_attach(s->o.ring, &s->o.from, &err);
	if (!s->rd) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		/* As feedcap-dump: a ring that is not there, not a ring or not readable is a
		 * runtime failure (1); only a name that cannot be one is bad usage (2). */
		return errno == EINVAL || errno == ENAMETOOLONG ? FCR_CLI_EXIT_USAGE : 1;
	}
	s->start_wall = s->last_wall = fcr_cli_now_ns(CLOCK_MONOTONIC);
	s->attach_head = ringshm_reader_head(s->rd);

	uint64_t stop_at = s->o.no_follow ? s->attach_head : UINT64_MAX;

	while (!fcr_cli_stopping()) {
		uint64_t now = fcr_cli_now_ns(CLOCK_MONOTONIC);

		if (now - s->last_wall >= s->o.interval_ns) {
			ring_interval(s, now);
			s->last_wall = now;
		}
		if (s->o.duration_ns && now - s->start_wall >= s->o.duration_ns) {
			break;
		}
		if (ringshm_reader_pos(s->rd) >= stop_at) {
			break;
		}

		uint64_t pos = ringshm_reader_pos(s->rd);
		int rc = ringshm_reader_next(s->rd, &rec);

		if (rc == 0) {
			if (s->o.no_follow) {
				break;
			}
			ringshm_reader_wait(s->rd, 100000000u);
			continue;
		}
		if (rc < 0) {
			fprintf(stderr,
				PROG ": %s: %s: the ring is corrupt at position %" PRIu64 "\n",
				s->o.ring, strerror(-rc), ringshm_reader_pos(s->rd));
			status = 1;
			break;
		}

		uint32_t n = rec.cap_len < sizeof(buf) ? rec.cap_len : (uint32_t)sizeof(buf);
		struct ringshm_record r = rec;

		if (rec.type == RINGSHM_REC_FRAME || rec.type == RINGSHM_REC_LOSS) {
			memcpy(buf, rec.data, n);
		}
		if (!ringshm_reader_done(s->rd)) {
			continue; /* overwritten while copied: counted in the reader's losses */
		}
		switch (r.type) {
		case RINGSHM_REC_FRAME:
			r.data = buf;
			stat_account(s, DLT_EN10MB, buf, n, r.wire_len, r.ts_ns,
				     pos < s->attach_head);
			break;
		case RINGSHM_REC_LOSS:
			s->tot.loss_markers++;
			if (n >= sizeof(struct ringshm_loss_payload)) {
				stat_link_event(s, buf, &r);
			}
			break;
		case RINGSHM_REC_CLOCK:
			s->tot.clock_markers++;
			break;
		case RINGSHM_REC_EPOCH:
			s->tot.epochs++;
			break;
		default:
			break;
		}
	}

	uint64_t end = fcr_cli_now_ns(CLOCK_MONOTONIC);

	if (!s->o.json && !s->tty && end - s->last_wall > 0 && s->tot.i_frames) {
		ring_interval(s, end);
	}

	bool ct = s->tot.backlog_frames > 0;
	uint64_t dur = ct ? s->tot.last_ts - s->tot.first_ts : end - s->start_wall;

	stat_report(s, true, stat_secs(dur), ct ? s->tot.last_ts : fcr_cli_now_ns(CLOCK_REALTIME),
		    ct);
	ringshm_reader_close(s->rd);
	return status;
}
