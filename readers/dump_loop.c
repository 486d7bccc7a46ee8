/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dump_loop.c - feedcap-dump's loop: from the ring to the current file, with the accounting of
 * what was lost, write errors (--on-error), rotation and the statistics.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dump_internal.h"

/* ------------------------------------------------------------------ statistics */

void dump_print_stats(struct dump *d, FILE *f)
{
	uint64_t written = d->written, cbytes = d->cbytes_closed, bout = d->bytes_out;

	if (d->out.open) {
		struct fcr_writer_stats st;

		fcr_writer_stats(d->out.w, &st);
		written += st.frames;
		cbytes += st.bytes_in;
		bout += st.bytes_out;
	}
	fprintf(f,
		"feedcap-dump: %" PRIu64 " frames read, %" PRIu64 " written, %" PRIu64
		" filtered out, %" PRIu64 " lost to overrun, %" PRIu64 " bytes in, %" PRIu64
		" bytes out, compression ratio %.2f",
		d->read, written, d->filtered, d->lost + d->lost_resume, d->bytes_in, bout,
		bout ? (double)cbytes / (double)bout : 1.0);
	if (d->write_errors) {
		fprintf(f, ", %" PRIu64 " write errors", d->write_errors);
	}
	fprintf(f, ", %" PRIu64 " markers, %" PRIu64 " files\n", d->markers, d->files);
	fflush(f);
}

/* ------------------------------------------------------------------ the loop */

/*
 * Whether the pipe on stdout has lost its reader: a live stream from a quiet ring would
 * otherwise learn it only at the next frame (EPIPE), which may be never.
 */
static bool stdout_gone(void)
{
	struct pollfd p = { .fd = STDOUT_FILENO, .events = 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP | POLLNVAL));
}

/* Account for what ringshm says this reader lost since the last look. */
void dump_check_overrun(struct dump *d)
{
	struct ringshm_reader_stats rs;
	char msg[200];
	uint64_t n;

	ringshm_reader_stats(d->rd, &rs);
	if (rs.lost_records == d->lost_seen) {
		return;
	}
	n = rs.lost_records - d->lost_seen;
	d->lost_seen = rs.lost_records;
	d->lost += n;
	if (d->out.open) {
		d->out.lost += n;
	}
	snprintf(
		msg, sizeof(msg),
		"feedcap-dump: reader overrun: %" PRIu64
		" records lost here (overwritten by the capture before this reader got them; %" PRIu64
		" lost in total)",
		n, d->lost + d->lost_resume);
	dump_add_note(d, msg);
	/* machine-readable too: epb_dropcount of the next frame written (pcapng; dump_write()) */
	d->pending_drops += n;
}

/*
 * Publish a write error in the ring's reader registry for feedcap-stat: "ENOSPC on FILE".  A
 * path too long for the registry's text keeps its end, where the file's own name is.
 */
static void note_write_error(struct dump *d, int code, const char *file)
{
	char what[RINGSHM_ERROR_TEXT];
	const char *name;
	size_t n, room, flen = strlen(file);

	if (code == 0) {
		code = -EIO; /* a writer that gave no errno: still an error of the output */
	}
	name = strerrorname_np(code < 0 ? -code : code);
	n = (size_t)snprintf(what, sizeof(what), "%s on ", name ? name : "error");
	room = sizeof(what) - 1 - n;
	if (flen > room) {
		snprintf(what + n, sizeof(what) - n, "...%s", file + flen - (room - 3));
	} else {
		snprintf(what + n, sizeof(what) - n, "%s", file);
	}
	ringshm_reader_note_error(d->rd, code, what);
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / NS_PER_S), (long)(ns % NS_PER_S) };

	nanosleep(&ts, NULL);
}

/* Progress on a terminal, once a second: only when stdout is one and is not the archive. */
static void progress(struct dump *d, bool final)
{
	fprintf(stdout,
		"\r%" PRIu64 " frames read, %" PRIu64 " filtered out, %" PRIu64
		" lost, lag %" PRIu64 " KiB   %s",
		d->read, d->filtered, d->lost + d->lost_resume, ringshm_reader_lag(d->rd) >> 10,
		final ? "\n" : "");
	fflush(stdout);
}

static uint64_t rot_check_step(uint64_t size)
{
	return size / 8 > 128 * 1024 ? size / 8 : 128 * 1024;
}

int dump_run(struct dump *d, const struct ringshm_record *first)
{
	const uint64_t start = dump_now_ns(CLOCK_MONOTONIC);
	struct ringshm_record rec;
	struct fcr_error err = { 0 };
	uint64_t stop_pos = UINT64_MAX, last_progress = start, frames_out = 0;
	bool tty = !d->to_stdout && !d->o.quiet && isatty(STDOUT_FILENO);
	bool have_rec = first != NULL, waiting = false;
	int rc, status = 0;

	if (first) {
		rec = *first; /* its bytes are in d->frame already */
	}
	if (!d->o.follow) {
		stop_pos = ringshm_reader_head(d->rd);
	}
	while (!quit_sig) {
		struct fcr_pkt pkt;
		bool ok;

		if (usr1_sig) {
			usr1_sig = 0;
			dump_print_stats(d, stderr);
		}
		if (!have_rec) {
			rc = ringshm_reader_next(d->rd, &rec);
			if (rc < 0) {
				fprintf(stderr, "feedcap-dump: %s: the ring is corrupt (%s)\n",
					d->o.ring, strerror(-rc));
				status = 1;
				break;
			}
		} else {
			rc = 1;
		}
		if (rc == 0 || (rc == 1 && rec.pos >= stop_pos && !have_rec)) {
			uint64_t now = dump_now_ns(CLOCK_MONOTONIC);

			if (rc == 1) {
				(void)ringshm_reader_done(d->rd);
			}
			dump_check_overrun(d);
			if (ringshm_reader_pos(d->rd) >= stop_pos || rc == 1) {
				break; /* --no-follow: reached where the producer was */
			}
			if (d->o.duration_ns && now - start >= d->o.duration_ns) {
				break;
			}
			if (d->to_stdout && stdout_gone()) {
				break; /* nothing to write, but the reader left (Wireshark stopped) */
			}
			if (d->out.open) {
				rc = dump_tick(d, false, &err);
				/*
				 * A quiet feed: close the period's file on time anyway, once
				 * frame time (the wall clock minus how far the last frame's
				 * time was behind it: a replayed feed runs days behind) has
				 * passed the period's end by a second.
				 */
				if (rc == 0 && d->o.rot_ns &&
				    dump_now_ns(CLOCK_REALTIME) - d->wall_ahead >=
					    d->out.period + d->o.rot_ns + NS_PER_S) {
					rc = dump_close_file(d, &err);
				}
				if (rc < 0) {
					goto write_error;
				}
			}
			if (tty && now - last_progress >= NS_PER_S) {
				last_progress = now;
				progress(d, false);
			}
			(void)ringshm_reader_wait(d->rd, IDLE_WAIT_NS);
			continue;
		}
		if (!have_rec) {
			/* Copy out, then confirm the producer did not overwrite it meanwhile. */
			if (rec.type == RINGSHM_REC_FRAME || rec.type == RINGSHM_REC_LOSS ||
			    rec.type == RINGSHM_REC_CLOCK || rec.type == RINGSHM_REC_EPOCH) {
				memcpy(d->frame, rec.data, rec.cap_len);
			}
			ok = ringshm_reader_done(d->rd);
			dump_check_overrun(d);
			if (!ok) {
				continue;
			}
			rec.data = d->frame;
		}
		have_rec = false;
		if (rec.type != RINGSHM_REC_FRAME) {
			if (!d->have_seen || rec.seq > d->max_seq_seen) {
				d->have_seen = true;
				d->max_seq_seen = rec.seq;
				d->markers++;
			}
			dump_marker_comment(d, &rec, d->frame);
			continue;
		}
		if (d->o.rot_ns) {
			uint64_t wall = dump_now_ns(CLOCK_REALTIME);

			d->wall_ahead = wall > rec.ts_ns ? wall - rec.ts_ns : 0;
		}
		pkt.data = d->frame;
		pkt.cap_len = rec.cap_len;
		pkt.wire_len = rec.wire_len;
		pkt.ts_ns = rec.ts_ns;
		pkt.port = rec.port;
		pkt.flags = rec.flags;
		pkt.meta = NULL;
		{
			/* Count each frame once, even when re-read after a write error. */
			bool fresh = !d->have_seen || rec.seq > d->max_seq_seen;

			if (fresh) {
				d->have_seen = true;
				d->max_seq_seen = rec.seq;
				d->read++;
				d->bytes_in += rec.cap_len;
			}
			if (!fcr_filter_match(d->flt, &pkt)) {
				if (fresh) {
					d->filtered++;
				}
				continue;
			}
		}
		/*
		 * Rotation: by period of frame time (-G), by size (-C).  -G never goes back: a
		 * frame of an earlier period (another port's clock a little behind, across a
		 * boundary) stays in the current file, so a boundary makes one new file, not one
		 * per port.
		 */
		if (d->out.open && d->o.rot_ns &&
		    rec.ts_ns - rec.ts_ns % d->o.rot_ns > d->out.period) {
			rc = dump_close_file(d, &err);
			if (rc < 0) {
				goto write_error;
			}
		}
		if (!d->out.open) {
			rc = dump_open_file(d, rec.ts_ns, &err);
			if (rc < 0) {
				goto write_error;
			}
		}
		rc = dump_write(d, &pkt, rec.seq, &err);
		if (rc < 0) {
			goto write_error;
		}
		d->out.accepted++;
		if (waiting) {
			fprintf(stderr, "feedcap-dump: writing again to %s\n", d->out.part);
			waiting = false;
			ringshm_reader_note_blocked(d->rd, false);
		}
		frames_out++;
		if (d->o.rot_size) {
			struct fcr_writer_stats st;

			fcr_writer_stats(d->out.w, &st);
			/*
			 * Plain: the file will be exactly the container bytes.  zstd: what the
			 * compressor emitted, which lags what it was given by up to its window;
			 * flushing every eighth of SIZE of input keeps a file within about an
			 * eighth of SIZE over (flushes cost little: blocks end there anyway).
			 */
			if (d->o.wo.zstd_level &&
			    st.bytes_in - d->out.in_at_check >= rot_check_step(d->o.rot_size)) {
				d->out.in_at_check = st.bytes_in;
				rc = dump_tick(d, true, &err);
				if (rc < 0) {
					goto write_error;
				}
				fcr_writer_stats(d->out.w, &st);
			}
			if ((d->o.wo.zstd_level ? st.bytes_out : st.bytes_in) >= d->o.rot_size) {
				rc = dump_close_file(d, &err);
				if (rc < 0) {
					goto write_error;
				}
			}
		}
		if (d->o.count && frames_out >= d->o.count) {
			break;
		}
		if (d->o.duration_ns && (frames_out & 1023) == 0 &&
		    dump_now_ns(CLOCK_MONOTONIC) - start >= d->o.duration_ns) {
			break;
		}
		if (tty && (frames_out & 4095) == 0) {
			uint64_t now = dump_now_ns(CLOCK_MONOTONIC);

			if (now - last_progress >= NS_PER_S) {
				last_progress = now;
				progress(d, false);
			}
		}
		continue;

write_error:
		if (d->to_stdout && err.code == -EPIPE) {
			/* The reading end went away (| head, | tcpdump -c): a normal end. */
			struct fcr_error cerr = { 0 };

			(void)dump_close_file(d, &cerr);
			break;
		}
		d->write_errors++;
		/* Every error, also each failed retry: feedcap-stat shows the count and the last. */
		note_write_error(d, err.code, d->out.part[0] ? d->out.part : d->o.wpat);
		if (!waiting) {
			fprintf(stderr, "feedcap-dump: %s\n", err.msg);
		}
		if (d->out.open) {
			struct fcr_error cerr = { 0 };
			const char *name = d->out.final;

			(void)dump_close_file(d, &cerr);
			if (!waiting && !d->to_stdout) {
				fprintf(stderr,
					"feedcap-dump: %s closed and kept valid up to its last durable frame\n",
					name);
			}
		}
		if (!d->o.on_error_wait) {
			status = 1;
			break;
		}
		if (!waiting) {
			fprintf(stderr,
				"feedcap-dump: --on-error=wait: retrying every second, resuming after the last frame written\n");
			waiting = true;
			ringshm_reader_note_blocked(d->rd, true);
		}
		sleep_ns(RETRY_NS);
		rc = dump_seek_seq(d, d->have_durable ? d->durable_seq + 1 : 0, 0,
				   "while waiting out a write error", &rec);
		if (rc < 0) {
			fprintf(stderr, "feedcap-dump: %s: cannot resume: %s\n", d->o.ring,
				strerror(-rc));
			status = 1;
			break;
		}
		have_rec = rc == 1;
		frames_out = d->written;
	}
	if (d->out.open) {
		rc = dump_close_file(d, &err);
		if (rc < 0) {
			fprintf(stderr, "feedcap-dump: %s\n", err.msg);
			status = 1;
		}
	} else if (d->files == 0 && !d->o.rot_ns && status == 0 &&
		   !(d->o.resume && d->have_durable)) {
		/*
		 * Nothing matched: still leave a valid, empty archive where one was asked for.
		 * Not when a job resumed after its earlier archives: each run of a job that had
		 * caught up would add an empty file to the set.
		 */
		rc = dump_open_file(d, dump_now_ns(CLOCK_REALTIME), &err);
		if (rc == 0) {
			rc = dump_close_file(d, &err);
		}
		if (rc < 0) {
			fprintf(stderr, "feedcap-dump: %s\n", err.msg);
			status = 1;
		}
	}
	dump_check_overrun(d);
	if (tty) {
		progress(d, true);
	}
	return status;
}
