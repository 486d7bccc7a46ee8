/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dump_start.c - where feedcap-dump starts reading the ring.
 *
 * --from resume continues an archive job exactly after the last ring record that reached its
 * disk: dump_recover() finishes what a killed run left and asks the directory's index for
 * the job's last sequence number on this ring (path and create_ns), and dump_seek_seq() finds
 * the next one.  Sequence numbers are per ring file and grow across producer restarts, so
 * "after N" is exact; records the ring overwrote while the job was down are not recoverable,
 * and are counted instead: seq of the oldest record held - (N + 1).
 *
 * --from TIME and --from -DURATION: when the ring does not hold the time asked for, say what
 * it does hold rather than silently starting later (--require-window: exit 1 instead).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dump_internal.h"

/* How far before the hint the first time seek lands; each miss goes back 8 times further. */
#define SEEK_BACK_NS NS_PER_S

/* Records between `next` and the first one held are gone: count them everywhere once. */
static void count_gone(struct dump *d, uint64_t gone, const char *why)
{
	char msg[300];

	d->lost_resume += gone;
	d->lost_before += gone;
	/* The reader's own losses (feedcap-stat) count them as an overrun. */
	ringshm_reader_note_lost(d->rd, gone);
	d->lost_seen += gone;
	snprintf(msg, sizeof(msg),
		 "feedcap-dump: %" PRIu64 " records lost %s (no longer in the ring %s)", gone, why,
		 d->o.ring);
	fprintf(stderr, "%s\n", msg);
	dump_add_note(d, msg);
}

/*
 * Put the cursor at or before the record with sequence number `next`, cheaply: a time seek a
 * little before hint_ts, checked by the first record's number (clocks of two ports disagree,
 * so a time is only a hint), going back further while it lands after `next`, and the oldest
 * record as the last resort.  Sequence numbers grow with position, so from there a forward
 * scan meets `next` (or the first record after it, if the ring no longer holds it).
 */
static int seek_before(struct dump *d, uint64_t next, uint64_t hint_ts)
{
	struct ringshm_record rec;
	uint64_t back = SEEK_BACK_NS;
	int rc;

	while (hint_ts > back) {
		rc = ringshm_reader_seek(d->rd, RINGSHM_FROM_TIME, hint_ts - back);
		if (rc < 0) {
			return rc;
		}
		rc = ringshm_reader_next(d->rd, &rec);
		if (rc < 0) {
			return rc;
		}
		if (rc == 0) {
			/* Nothing at or after that time: every record held is older, and the
			 * cursor is at the producer's head, past them all. */
			break;
		}
		if (ringshm_reader_done(d->rd) && rec.seq <= next) {
			return ringshm_reader_seek(d->rd, RINGSHM_FROM_TIME, hint_ts - back);
		}
		if (back > UINT64_MAX / 8) {
			break;
		}
		back *= 8;
	}
	return ringshm_reader_seek(d->rd, RINGSHM_FROM_OLDEST, 0);
}

int dump_seek_seq(struct dump *d, uint64_t next, uint64_t hint_ts, const char *why,
		  struct ringshm_record *rec)
{
	struct ringshm_reader_stats rs;
	int rc;

	/*
	 * The scan below looks for `next`; it does not read for the job.  Records the producer
	 * overwrote under it were below `next` (on disk already) or are part of the gap counted
	 * below, once: the reader's own totals (feedcap-stat's lost_records for this job) go
	 * back to what they were, plus the record found.
	 */
	ringshm_reader_stats(d->rd, &rs);
	rc = seek_before(d, next, hint_ts);
	if (rc < 0) {
		ringshm_reader_restore_stats(d->rd, &rs);
		return rc;
	}
	for (;;) {
		bool ok;

		rc = ringshm_reader_next(d->rd, rec);
		if (rc <= 0) {
			ringshm_reader_restore_stats(d->rd, &rs);
			return rc;
		}
		if (rec->seq < next) {
			(void)ringshm_reader_done(d->rd);
			continue;
		}
		memcpy(d->frame, rec->data, rec->cap_len);
		ok = ringshm_reader_done(d->rd);
		if (!ok) {
			continue;
		}
		rs.delivered++;
		ringshm_reader_restore_stats(d->rd, &rs);
		/* Not an overrun of this reader's either: the overrun count starts here. */
		d->lost_seen = rs.lost_records;
		rec->data = d->frame;
		/*
		 * Lost: the records this reader never saw.  Every retry after a write error
		 * resumes from the same place, so start after the newest record seen (each lost
		 * record is counted once); what it saw before the error (markers it handled, the
		 * frame whose write failed: counted as read) is not lost to the ring, whatever
		 * became of it.
		 */
		if (d->have_seen && d->max_seq_seen + 1 > next) {
			next = d->max_seq_seen + 1;
		}
		if (rec->seq > next) {
			count_gone(d, rec->seq - next, why);
		}
		return 1;
	}
}

/* --from TIME or -DURATION: the time asked for, and what the ring holds. */
static int check_window(struct dump *d)
{
	uint64_t oldest, newest, want;
	char a[48], b[48], w[48];
	bool short_of;
	int rc;

	if (d->o.from.kind != FCR_FROM_TIME && d->o.from.kind != FCR_FROM_AGO) {
		return 0;
	}
	rc = fcr_ring_window(d->rd, &oldest, &newest);
	if (rc == -ENOENT) {
		fprintf(stderr, "feedcap-dump: %s: the ring holds no record yet%s\n", d->o.ring,
			d->o.require_window ? "; --require-window: nothing of the time asked for"
					    : "");
		return d->o.require_window ? 1 : 0;
	}
	if (rc < 0) {
		fprintf(stderr, "feedcap-dump: %s: cannot read what the ring holds: %s\n",
			d->o.ring, strerror(-rc));
		return 1;
	}
	if (d->o.from.kind == FCR_FROM_TIME) {
		want = d->o.from.ts_ns;
	} else {
		want = newest > d->o.from.ago_ns ? newest - d->o.from.ago_ns : 0;
	}
	fcr_format_time(oldest, a, sizeof(a));
	fcr_format_time(newest, b, sizeof(b));
	fcr_format_time(want, w, sizeof(w));
	short_of = want < oldest;
	if (short_of) {
		fprintf(stderr,
			"feedcap-dump: %s: --from asks for %s but the ring holds %s to %s only: %s\n",
			d->o.ring, w, a, b,
			d->o.require_window
				? "exiting (--require-window)"
				: "starting at its oldest record (the time before it is not in the ring)");
	} else if (want > newest && !d->o.follow) {
		fprintf(stderr,
			"feedcap-dump: %s: --from asks for %s but the ring holds %s to %s: nothing from that time on (--no-follow)%s\n",
			d->o.ring, w, a, b,
			d->o.require_window ? "; exiting (--require-window)" : "");
		short_of = true;
	}
	return short_of && d->o.require_window ? 1 : 0;
}

int dump_start(struct dump *d, struct ringshm_record *rec, bool *have_rec)
{
	const struct ringshm_ctl *ctl = ringshm_reader_ctl(d->rd);
	uint64_t last_seq = 0, last_ts = 0;
	bool have = false;
	int rc = 0;

	*have_rec = false;
	d->ring_id = __atomic_load_n(&ctl->create_ns, __ATOMIC_RELAXED);
	d->epoch = __atomic_load_n(&ctl->epoch, __ATOMIC_RELAXED);
	if (!d->o.resume) {
		rc = check_window(d);
		if (rc) {
			return rc;
		}
		rc = fcr_seek(d->rd, &d->o.from);
		if (rc < 0) {
			fprintf(stderr, "feedcap-dump: %s: cannot find the start position: %s\n",
				d->o.ring, strerror(-rc));
			return 1;
		}
		return 0;
	}
	if (!d->dir_dated || access(d->dir, F_OK) == 0) {
		rc = dump_recover(d, &have, &last_seq, &last_ts);
		if (rc) {
			return rc;
		}
	}
	if (!have && d->dir_dated) {
		/*
		 * Dated directories: the last archive of this job may be in an earlier one (a
		 * restart after midnight with %Y%m%d/).  The newest directory that has one wins;
		 * its .part files are finished on the way, as the current one's were.
		 */
		char now_dir[PATH_MAX], **dirs;
		size_t n;

		snprintf(now_dir, sizeof(now_dir), "%s", d->dir);
		dirs = dump_dated_dirs(d, &n);
		for (size_t i = 0; i < n && !have && rc == 0; i++) {
			if (strcmp(dirs[i], now_dir) != 0) {
				snprintf(d->dir, sizeof(d->dir), "%s", dirs[i]);
				rc = dump_recover(d, &have, &last_seq, &last_ts);
			}
		}
		dump_free_dirs(dirs, n);
		snprintf(d->dir, sizeof(d->dir), "%s", now_dir);
		if (rc) {
			return rc;
		}
	}
	if (!have) {
		/* A first run, or a ring made anew (another create_ns): all it holds is new. */
		rc = ringshm_reader_seek(d->rd, RINGSHM_FROM_OLDEST, 0);
		if (rc < 0) {
			fprintf(stderr, "feedcap-dump: %s: cannot find the oldest record: %s\n",
				d->o.ring, strerror(-rc));
			return 1;
		}
		return 0;
	}
	d->have_durable = true;
	d->durable_seq = last_seq;
	rc = dump_seek_seq(d, last_seq + 1, last_ts, "while the job was down", rec);
	if (rc < 0) {
		fprintf(stderr, "feedcap-dump: %s: cannot resume after record %" PRIu64 ": %s\n",
			d->o.ring, last_seq, strerror(-rc));
		return 1;
	}
	*have_rec = rc == 1;
	return 0;
}
