/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * replay_output.c - feedcap-replay's outputs: the reader library's writer (pcap or pcapng, plain
 * or zstd) with keep_meta, so that what the archives say about each frame (its interface and
 * link type, comments, flags, the timestamp as stored) is written back as it was; or a ring.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "replay_internal.h"
#include "stat_internal.h"

#define RING_BURST 32

int replay_out_open(struct replay_output *out, const struct replay_opts *o, int linktype,
		    uint32_t snaplen, const struct fcr_iface *iface, const struct fcr_section *sec,
		    bool one_archive)
{
	memset(out, 0, sizeof(*out));
	out->name = o->ring ? o->ring : (strcmp(o->out, "-") == 0 ? "stdout" : o->out);
	out->pace = o->pace;
	if (o->ring) {
		struct ringshm_params p = {
			.capacity = o->ring_size,
			.backing =
				strchr(o->ring, '/') ? RINGSHM_BACKING_FILE : RINGSHM_BACKING_SHM,
			.no_lock = true,
		};
		struct ringshm_error rerr = { 0 };

		if (linktype != DLT_EN10MB) {
			fprintf(stderr,
				PROG ": %s: a ring holds Ethernet frames; the archives are %s\n",
				o->ring, pcap_datalink_val_to_name(linktype));
			return -EINVAL;
		}
		if (p.capacity < (UINT64_C(8) << 20)) {
			p.chunk_size = RINGSHM_MIN_CHUNK; /* small rings for tests */
		}
		out->ring = ringshm_create(o->ring, &p, &rerr);
		if (!out->ring) {
			fprintf(stderr, PROG ": %s\n", rerr.msg);
			return -1;
		}

		struct ringshm_ctl *ctl = ringshm_ctl(out->ring);

		snprintf(ctl->ports[0].name, sizeof(ctl->ports[0].name), "replay");
		ctl->ports[0].ts_source = RINGSHM_F_TS_SRC_NONE;
		__atomic_store_n(&ctl->nports, 1, __ATOMIC_RELAXED);
		ringshm_heartbeat(out->ring);
		out->max_caplen = ringshm_max_caplen(out->ring);
		return 0;
	}

	FILE *fp = strcmp(o->out, "-") == 0 ? stdout : fopen(o->out, "wb");
	size_t olen = strlen(o->out);
	bool zst = olen > 4 && strcmp(o->out + olen - 4, ".zst") == 0;
	struct fcr_writer_opts wo = {
		.format = o->format,
		.zstd_level = zst ? 1 : 0,
		.snaplen = snaplen,
		.keep_meta = true,
		.keep_sections = one_archive,
		.section = sec,
		.iface = iface,
		/* plain pcap to a file: O_DIRECT, written while the next block is decoded */
		.direct_io = true,
	};
	struct fcr_error err = { 0 };

	if (!fp) {
		fprintf(stderr, PROG ": %s: cannot create: %s\n", o->out, strerror(errno));
		return -1;
	}
	out->wfp = fp;
	out->w = fcr_writer_open(fileno(fp), out->name, &wo, &err);
	if (!out->w) {
		if (err.code == -EPIPE) {
			out->gone = true;
			return -EPIPE;
		}
		fprintf(stderr, PROG ": %s\n", err.msg);
		goto out_close;
	}
	return 0;

out_close:
	out->wfp = NULL;
	if (fp != stdout) {
		fclose(fp);
	}
	return -1;
}

static void pace_wait(struct replay_output *out, uint64_t ts)
{
	if (out->pace_base_wall == 0) {
		out->pace_base_wall = fcr_cli_now_ns(CLOCK_MONOTONIC);
		out->pace_base_ts = ts;
		return;
	}
	if (ts <= out->pace_base_ts) {
		return;
	}

	uint64_t due = out->pace_base_wall + (ts - out->pace_base_ts);

	if (fcr_cli_now_ns(CLOCK_MONOTONIC) >= due) {
		return;
	}
	/* publish what is ready before sleeping, so readers see it on time */
	if (out->burst) {
		ringshm_commit(out->ring);
		out->burst = 0;
	}

	struct timespec t = { .tv_sec = (time_t)(due / 1000000000u),
			      .tv_nsec = (long)(due % 1000000000u) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR &&
	       !fcr_cli_stopping()) {
	}
}

int replay_out_write(struct replay_output *out, const struct fcr_pkt *pkt)
{
	if (out->ring) {
		uint32_t cap = pkt->cap_len;
		uint16_t flags = RINGSHM_F_TS_SRC_NONE;

		if (pkt->meta && pkt->meta->iface && pkt->meta->iface->linktype != DLT_EN10MB) {
			/* a pcapng mixing link types: the ring's readers take every frame as Ethernet */
			fprintf(stderr,
				PROG
				": %s: a ring holds Ethernet frames; a frame of interface %u is "
				"%s\n",
				out->name, pkt->meta->iface_id,
				pcap_datalink_val_to_name(pkt->meta->iface->linktype) ?: "unknown");
			return -EINVAL;
		}

		if (out->pace == PACE_ORIGINAL) {
			pace_wait(out, pkt->ts_ns);
		}
		if (cap > out->max_caplen) {
			cap = out->max_caplen;
		}
		if (cap < pkt->wire_len) {
			flags |= RINGSHM_F_TRUNCATED;
		}
		memcpy(ringshm_alloc(out->ring, cap, pkt->wire_len, pkt->ts_ns, 0, flags),
		       pkt->data, cap);
		if (++out->burst == RING_BURST) {
			ringshm_commit(out->ring);
			out->burst = 0;

			uint64_t now = fcr_cli_now_ns(CLOCK_MONOTONIC);

			if (now - out->last_hb > 100000000u) {
				ringshm_heartbeat(out->ring);
				out->last_hb = now;
			}
		}
		return 0;
	}
	struct fcr_error err = { 0 };
	int rc = fcr_writer_write(out->w, pkt, 0, &err);

	if (rc == -EPIPE) {
		out->gone = true; /* tcpdump -c N has what it wanted: not an error */
	} else if (rc < 0) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		out->reported = true;
	}
	return rc;
}

int replay_out_close(struct replay_output *out)
{
	int rc = 0;

	if (out->ring) {
		ringshm_commit(out->ring);
		ringshm_heartbeat(out->ring);
		ringshm_close(out->ring);
	}
	if (out->w) {
		struct fcr_error err = { 0 };

		if (fcr_writer_close(out->w, &err) < 0 && !out->gone && err.code != -EPIPE) {
			if (!out->reported) {
				fprintf(stderr, PROG ": %s\n", err.msg);
			}
			rc = -1;
		}
		if (out->wfp != stdout ? fclose(out->wfp) != 0 : fflush(stdout) != 0) {
			if (errno != EPIPE && !out->gone) {
				fprintf(stderr, PROG ": %s: %s\n", out->name, strerror(errno));
				rc = -1;
			}
		}
	}
	return rc;
}
