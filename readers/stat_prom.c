/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stat_prom.c - feedcap-stat --prom FILE: the Prometheus text format for node_exporter's
 * textfile collector, written to a temporary file and renamed so the collector never reads
 * half a file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "stat_tool_internal.h"

static void prom_metric(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value in the Prometheus text format: backslash, quote and newline escaped. */
static const char *prom_label(const char *in, char *out, size_t len)
{
	size_t n = 0;

	for (; *in && n + 3 < len; in++) {
		if (*in == '\\' || *in == '"') {
			out[n++] = '\\';
			out[n++] = *in;
		} else if (*in == '\n') {
			out[n++] = '\\';
			out[n++] = 'n';
		} else {
			out[n++] = *in;
		}
	}
	out[n] = '\0';
	return out;
}

int stat_write_prom(struct stat_ctx *s, const struct stat_ring_view *v)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", s->o.prom, (int)getpid()) >= (int)sizeof(tmp)) {
		return -ENAMETOOLONG;
	}
	f = fopen(tmp, "w");
	if (!f) {
		return -errno;
	}
	prom_metric(f, "feedcap_group_frames_total", "counter",
		    "Frames seen per destination group and UDP port.");
	for (size_t i = 0; i < s->ngroups; i++) {
		fprintf(f, "feedcap_group_frames_total{dst=\"%s\"} %" PRIu64 "\n",
			s->groups[i].name, s->groups[i].frames);
	}
	prom_metric(f, "feedcap_group_bytes_total", "counter",
		    "Wire bytes seen per destination group and UDP port.");
	for (size_t i = 0; i < s->ngroups; i++) {
		fprintf(f, "feedcap_group_bytes_total{dst=\"%s\"} %" PRIu64 "\n", s->groups[i].name,
			s->groups[i].bytes);
	}
	prom_metric(f, "feedcap_group_peak_frames_per_ms", "gauge",
		    "Most frames seen in one millisecond per group (microbursts).");
	for (size_t i = 0; i < s->ngroups; i++) {
		fprintf(f, "feedcap_group_peak_frames_per_ms{dst=\"%s\"} %" PRIu64 "\n",
			s->groups[i].name, s->groups[i].peak_fpms);
	}
	prom_metric(f, "feedcap_group_burst_peak_frames", "gauge",
		    "Most frames seen per group in any burst window (--burst-window).");
	for (size_t i = 0; i < s->ngroups; i++) {
		fprintf(f, "feedcap_group_burst_peak_frames{dst=\"%s\"} %" PRIu64 "\n",
			s->groups[i].name, s->groups[i].burst.peak_frames);
	}
	prom_metric(f, "feedcap_group_burst_peak_bytes", "gauge",
		    "Most wire bytes seen per group in any burst window (--burst-window).");
	for (size_t i = 0; i < s->ngroups; i++) {
		fprintf(f, "feedcap_group_burst_peak_bytes{dst=\"%s\"} %" PRIu64 "\n",
			s->groups[i].name, s->groups[i].burst.peak_bytes);
	}
	if (s->o.gaps) {
		prom_metric(f, "feedcap_seq_undecodable_total", "counter",
			    "Packets per group that do not parse as the group's sequence decoder.");
		for (size_t i = 0; i < s->ngroups; i++) {
			if (s->groups[i].dec) {
				fprintf(f,
					"feedcap_seq_undecodable_total{dst=\"%s\"} %" PRIu64 "\n",
					s->groups[i].name, s->groups[i].undecodable);
			}
		}
	}
	if (s->o.gaps) {
		prom_metric(f, "feedcap_seq_missing", "gauge",
			    "Sequence numbers never seen per group (a late fill lowers it).");
		for (size_t i = 0; i < s->ngroups; i++) {
			fprintf(f, "feedcap_seq_missing{dst=\"%s\"} %" PRIu64 "\n",
				s->groups[i].name, stat_sessions_sum(&s->groups[i].sess).missing);
		}
		prom_metric(f, "feedcap_seq_duplicates_total", "counter",
			    "Sequence numbers seen more than once per group.");
		for (size_t i = 0; i < s->ngroups; i++) {
			fprintf(f, "feedcap_seq_duplicates_total{dst=\"%s\"} %" PRIu64 "\n",
				s->groups[i].name,
				stat_sessions_sum(&s->groups[i].sess).duplicates);
		}
	}
	if (s->o.nfeeds) {
		prom_metric(f, "feedcap_feed_missing", "gauge",
			    "Sequence numbers lost on both lines of an A/B feed.");
		for (unsigned int i = 0; i < s->o.nfeeds; i++) {
			fprintf(f, "feedcap_feed_missing{feed=\"%s\"} %" PRIu64 "\n",
				s->feeds[i].o->name, stat_sessions_sum(&s->feeds[i].sess).missing);
		}
		prom_metric(f, "feedcap_feed_lost_one_line", "gauge",
			    "Sequence numbers lost on one line only and recovered from the other.");
		for (unsigned int i = 0; i < s->o.nfeeds; i++) {
			for (int l = 0; l < 2; l++) {
				fprintf(f,
					"feedcap_feed_lost_one_line{feed=\"%s\",line=\"%c\"} %" PRIu64
					"\n",
					s->feeds[i].o->name, 'a' + l,
					stat_lost_on_line_only(s, &s->feeds[i], l));
			}
		}
	}
	if (s->o.nfeeds) {
		prom_metric(f, "feedcap_feed_won_total", "counter",
			    "Sequence numbers both lines delivered, by the line that was first.");
		for (unsigned int i = 0; i < s->o.nfeeds; i++) {
			for (int l = 0; l < 2; l++) {
				fprintf(f,
					"feedcap_feed_won_total{feed=\"%s\",line=\"%c\"} %" PRIu64
					"\n",
					s->feeds[i].o->name, 'a' + l, s->feeds[i].race.won[l]);
			}
		}
		prom_metric(f, "feedcap_feed_delay_ns", "gauge",
			    "How much later the slower line delivered a number (quantile 1: max).");
		for (unsigned int i = 0; i < s->o.nfeeds; i++) {
			const struct stat_race *r = &s->feeds[i].race;

			fprintf(f,
				"feedcap_feed_delay_ns{feed=\"%s\",quantile=\"0.5\"} %" PRIu64 "\n",
				s->feeds[i].o->name, stat_race_percentile(r, 0.5));
			fprintf(f,
				"feedcap_feed_delay_ns{feed=\"%s\",quantile=\"0.99\"} %" PRIu64
				"\n",
				s->feeds[i].o->name, stat_race_percentile(r, 0.99));
			fprintf(f,
				"feedcap_feed_delay_ns{feed=\"%s\",quantile=\"1\"} %" PRIu64 "\n",
				s->feeds[i].o->name, r->max_ns);
		}
	}
	prom_metric(f, "feedcap_loss_total", "counter",
		    "Frames lost, by the place they were lost: one counter per place.");
	if (v && v->ok) {
		fprintf(f, "feedcap_loss_total{place=\"nic_imissed\"} %" PRIu64 "\n",
			v->c.nic_imissed);
		fprintf(f, "feedcap_loss_total{place=\"nic_rx_nombuf\"} %" PRIu64 "\n",
			v->c.nic_rx_nombuf);
		fprintf(f, "feedcap_loss_total{place=\"nic_ierrors\"} %" PRIu64 "\n",
			v->c.nic_ierrors);
		fprintf(f, "feedcap_loss_total{place=\"nic_discards\"} %" PRIu64 "\n",
			v->c.nic_discards);
		fprintf(f, "feedcap_loss_total{place=\"capture_filter\"} %" PRIu64 "\n",
			v->c.filtered);
		fprintf(f,
			"feedcap_loss_total{place=\"ring_overrun\",reader=\"feedcap-stat\"} %" PRIu64
			"\n",
			v->me.lost_records);
		for (int i = 0; i < v->nreaders; i++) {
			fprintf(f,
				"feedcap_loss_total{place=\"ring_overrun\",reader=\"%s\"} %" PRIu64
				"\n",
				v->readers[i].name, v->readers[i].lost_records);
		}
		prom_metric(f, "feedcap_reader_lag_bytes", "gauge",
			    "Bytes between a registered reader and the producer's head.");
		for (int i = 0; i < v->nreaders; i++) {
			const struct ringshm_reader_info *r = &v->readers[i];

			fprintf(f, "feedcap_reader_lag_bytes{reader=\"%s\"} %" PRIu64 "\n", r->name,
				v->head > r->pos ? v->head - r->pos : 0);
		}
		prom_metric(f, "feedcap_writer_errors_total", "counter",
			    "Write errors of a registered reader's output (disk full, I/O error).");
		for (int i = 0; i < v->nreaders; i++) {
			fprintf(f, "feedcap_writer_errors_total{reader=\"%s\"} %" PRIu64 "\n",
				v->readers[i].name, v->readers[i].write_errors);
		}
		prom_metric(
			f, "feedcap_writer_blocked", "gauge",
			"1 while a registered reader's writer waits for its output to work again.");
		for (int i = 0; i < v->nreaders; i++) {
			fprintf(f, "feedcap_writer_blocked{reader=\"%s\"} %d\n", v->readers[i].name,
				v->readers[i].blocked ? 1 : 0);
		}
		prom_metric(f, "feedcap_writer_last_error_timestamp_seconds", "gauge",
			    "When a registered reader's writer last failed, with the error.");
		for (int i = 0; i < v->nreaders; i++) {
			const struct ringshm_reader_info *r = &v->readers[i];
			const char *en = strerrorname_np(r->last_errno);
			char text[2 * RINGSHM_ERROR_TEXT];

			if (!r->write_errors) {
				continue;
			}
			fprintf(f,
				"feedcap_writer_last_error_timestamp_seconds{reader=\"%s\",errno=\"%s\",error=\"%s\"} %.3f\n",
				r->name, en ? en : "0",
				prom_label(r->last_error, text, sizeof(text)),
				(double)r->last_error_ns / STAT_NS);
		}
		prom_metric(f, "feedcap_capture_frames_total", "counter",
			    "Frames the capture wrote into the ring.");
		fprintf(f, "feedcap_capture_frames_total %" PRIu64 "\n", v->c.frames);
		prom_metric(f, "feedcap_producer_alive", "gauge",
			    "1 if the capture is running and its heartbeat is recent.");
		fprintf(f, "feedcap_producer_alive %d\n", v->alive ? 1 : 0);
		prom_metric(f, "feedcap_port_link_up", "gauge",
			    "1 while a capture port's link is up.");
		for (uint32_t i = 0; i < v->nports; i++) {
			fprintf(f, "feedcap_port_link_up{port=\"%s\"} %u\n", v->ports[i].name,
				v->ports[i].link_up);
		}
		prom_metric(f, "feedcap_port_link_downs_total", "counter",
			    "Times a capture port's link went down (frames lost meanwhile).");
		for (uint32_t i = 0; i < v->nports; i++) {
			fprintf(f, "feedcap_port_link_downs_total{port=\"%s\"} %u\n",
				v->ports[i].name, v->ports[i].link_downs);
		}
		prom_metric(
			f, "feedcap_port_discards_total", "counter",
			"Frames a capture port discarded before any queue (PMD extended statistics).");
		for (uint32_t i = 0; i < v->nports; i++) {
			fprintf(f, "feedcap_port_discards_total{port=\"%s\"} %" PRIu64 "\n",
				v->ports[i].name, v->ports[i].discards);
		}
		prom_metric(
			f, "feedcap_nic_drops_total", "counter",
			"A capture port's drop counter among the PMD's extended statistics, by its own name and stage.");
		for (uint32_t i = 0; i < v->nports; i++) {
			for (int k = 0; k < RINGSHM_XSTATS_PER_PORT; k++) {
				const struct ringshm_xstat *x = &v->xs[i][k];

				char pn[2 * sizeof(v->ports[i].name)], cn[2 * RINGSHM_XSTAT_NAME];

				if (x->name[0]) {
					fprintf(f,
						"feedcap_nic_drops_total{port=\"%s\",stage=\"%s\",counter=\"%s\"} %" PRIu64
						"\n",
						prom_label(v->ports[i].name, pn, sizeof(pn)),
						stat_stage_name(x->stage),
						prom_label(x->name, cn, sizeof(cn)), x->value);
				}
			}
		}
		prom_metric(
			f, "feedcap_ts_fallback_total", "counter",
			"Frames whose NIC time disagreed with the TSC: TSC time used, flagged.");
		fprintf(f, "feedcap_ts_fallback_total %" PRIu64 "\n", v->c.ts_fallback);
		if (v->clock_rc == 0) {
			prom_metric(
				f, "feedcap_clock_locked", "gauge",
				"1 if the capture's clock is locked to PTP within the threshold.");
			fprintf(f, "feedcap_clock_locked %d\n",
				v->clock.ptp.state == TIMESYNC_LOCKED ? 1 : 0);
			prom_metric(f, "feedcap_clock_offset_ns", "gauge",
				    "The capture clock's last offset from the PTP master.");
			fprintf(f, "feedcap_clock_offset_ns %" PRId64 "\n", v->clock.ptp.offset_ns);
		}
	} else {
		fprintf(f, "feedcap_loss_total{place=\"archive_damaged\"} %u\n", s->damaged);
	}
	if (s->o.gaps) {
		fprintf(f, "feedcap_loss_total{place=\"sequence\"} %" PRIu64 "\n",
			stat_seq_missing_total(s));
	}
	if (fflush(f) != 0 || ferror(f)) {
		int e = errno;

		fclose(f);
		unlink(tmp);
		return -e;
	}
	fclose(f);
	if (rename(tmp, s->o.prom) < 0) {
		int e = errno;

		unlink(tmp);
		return -e;
	}
	return 0;
}
