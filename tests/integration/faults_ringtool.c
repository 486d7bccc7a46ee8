/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * faults_ringtool.c - a producer and a checking reader on ringshm, for the fault tests
 * (tests/integration/faults_*.sh).  Not a tool users see.
 *
 *   faults_ringtool produce RING CAPACITY RATE SECONDS [--exit-running]
 *	Creates RING (a file path; a new epoch if it exists), writes RATE frames a second for
 *	SECONDS in bursts of up to 32, then closes the ring (state STOPPED) unless
 *	--exit-running.  Each frame carries a self-check (below).  At exit it prints one line:
 *	"produced N epoch E maxgap_us G", where G is the longest time between two commits.
 *   faults_ringtool read RING oldest|newest [--slow-us U] [--name NAME]
 *	Reads and checks every record until the producer has stopped and the reader is at its
 *	head (or SIGTERM), then prints "delivered D lost L lostbytes B overruns O epochs E bad X
 *	dup Y frames F first S last T": bad counts frames whose self-check failed (torn or
 *	overwritten records returned as good), dup records whose sequence number did not grow.
 *   faults_ringtool ctl RING
 *	Prints "frames F head H epoch E state S next_seq Q pid P" from the control area.
 *
 * Frame payload (200 bytes): magic, producer pid, the producer's own frame counter, then
 * filler bytes derived from the three, and a checksum over everything before it.  A reader
 * that returns a frame whose payload was partly overwritten sees the checksum fail.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ringshm.h"

#define FRAME_LEN   200u
#define FRAME_MAGIC UINT64_C(0x54534554544c4146) /* "FALTTEST" */
#define BURST	    32u

struct frame {
	uint64_t magic;
	uint64_t pid;
	uint64_t counter;
	uint8_t fill[FRAME_LEN - 4 * sizeof(uint64_t)];
	uint64_t sum;
};

static_assert(sizeof(struct frame) == FRAME_LEN, "frame size");

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(int clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* FNV-1a over the frame up to the checksum. */
static uint64_t frame_sum(const struct frame *f)
{
	const uint8_t *p = (const uint8_t *)f;
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < offsetof(struct frame, sum); i++) {
		h = (h ^ p[i]) * UINT64_C(0x100000001b3);
	}
	return h;
}

static void frame_fill(struct frame *f, uint64_t pid, uint64_t counter)
{
	f->magic = FRAME_MAGIC;
	f->pid = pid;
	f->counter = counter;
	for (size_t i = 0; i < sizeof(f->fill); i++) {
		f->fill[i] = (uint8_t)(counter * 31 + pid + i);
	}
	f->sum = frame_sum(f);
}

static int produce(int argc, char **argv)
{
	struct ringshm_params p = { .backing = RINGSHM_BACKING_FILE, .no_lock = true };
	uint64_t rate, secs, t0, last, maxgap = 0, sent = 0, pid = (uint64_t)getpid();
	bool exit_running = argc > 6 && strcmp(argv[6], "--exit-running") == 0;
	struct ringshm_error err;
	struct ringshm *r;
	struct frame f;

	if (argc < 6) {
		return 2;
	}
	p.capacity = strtoull(argv[3], NULL, 0);
	rate = strtoull(argv[4], NULL, 0);
	secs = strtoull(argv[5], NULL, 0);
	r = ringshm_create(argv[2], &p, &err);
	if (!r) {
		fprintf(stderr, "faults_ringtool: %s\n", err.msg);
		return 1;
	}
	signal(SIGTERM, on_term);
	t0 = now_ns(CLOCK_MONOTONIC);
	last = t0;
	while (!stop) {
		uint64_t now = now_ns(CLOCK_MONOTONIC), due, n;

		if (now - t0 >= secs * 1000000000u) {
			break;
		}
		/* Paced: as many frames as are due by now, at most a burst. */
		due = (now - t0) * rate / 1000000000u;
		n = due > sent ? due - sent : 0;
		n = n > BURST ? BURST : n;
		if (n == 0) {
			continue; /* spin: a poller never sleeps either */
		}
		for (uint64_t i = 0; i < n; i++) {
			frame_fill(&f, pid, sent + i);
			memcpy(ringshm_alloc(r, FRAME_LEN, FRAME_LEN, now_ns(CLOCK_REALTIME), 0,
					     RINGSHM_F_TS_SRC_SYS),
			       &f, sizeof(f));
		}
		ringshm_commit(r);
		sent += n;
		if (now - last > maxgap) {
			maxgap = now - last;
		}
		last = now;
		if ((sent & 1023) < n) {
			ringshm_heartbeat(r);
		}
	}
	printf("produced %" PRIu64 " epoch %" PRIu64 " maxgap_us %" PRIu64 "\n", sent,
	       ringshm_ctl(r)->epoch, maxgap / 1000);
	fflush(stdout);
	if (exit_running) {
		_exit(0); /* like a crash right after the last commit: state stays RUNNING */
	}
	ringshm_close(r);
	return 0;
}

static int readloop(int argc, char **argv)
{
	uint64_t bad = 0, dup = 0, frames = 0, first = 0, last = 0, last_pid = 0, last_cnt = 0;
	enum ringshm_from from = RINGSHM_FROM_NEWEST;
	struct ringshm_reader_stats st;
	struct ringshm_record rec;
	struct ringshm_error err;
	struct ringshm_reader *rd;
	const char *name = NULL;
	unsigned slow_us = 0;
	bool have = false;

	if (argc < 4) {
		return 2;
	}
	if (strcmp(argv[3], "oldest") == 0) {
		from = RINGSHM_FROM_OLDEST;
	}
	for (int i = 4; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--slow-us") == 0) {
			slow_us = (unsigned)strtoul(argv[i + 1], NULL, 0);
		} else if (strcmp(argv[i], "--name") == 0) {
			name = argv[i + 1];
		}
	}
	rd = ringshm_reader_open(argv[2], &err);
	if (!rd) {
		fprintf(stderr, "faults_ringtool: %s\n", err.msg);
		return 1;
	}
	if (name && ringshm_reader_register(rd, name, &err) != 0) {
		fprintf(stderr, "faults_ringtool: %s\n", err.msg);
		return 1;
	}
	if (ringshm_reader_seek(rd, from, 0) != 0) {
		return 1;
	}
	signal(SIGTERM, on_term);
	while (!stop) {
		struct frame f;
		int rc = ringshm_reader_next(rd, &rec);

		if (rc < 0) {
			fprintf(stderr, "faults_ringtool: next: %s\n", strerror(-rc));
			return 1;
		}
		if (rc == 0) {
			const struct ringshm_ctl *c = ringshm_reader_ctl(rd);

			if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) == RINGSHM_STATE_STOPPED &&
			    ringshm_reader_lag(rd) == 0) {
				break;
			}
			ringshm_reader_wait(rd, 50000000);
			continue;
		}
		if (rec.type == RINGSHM_REC_FRAME && rec.cap_len == FRAME_LEN) {
			memcpy(&f, rec.data, sizeof(f)); /* copy, then validate */
		} else {
			memset(&f, 0, sizeof(f));
		}
		if (slow_us) {
			usleep(slow_us);
		}
		if (!ringshm_reader_done(rd)) {
			continue; /* overwritten while copied: counted lost by the library */
		}
		if (have && rec.seq <= last) {
			dup++;
		}
		if (!have) {
			first = rec.seq;
		}
		have = true;
		last = rec.seq;
		if (rec.type != RINGSHM_REC_FRAME) {
			continue;
		}
		frames++;
		if (rec.cap_len != FRAME_LEN || f.magic != FRAME_MAGIC || f.sum != frame_sum(&f)) {
			bad++;
			continue;
		}
		/* The same producer never sends a counter twice, nor goes back. */
		if (f.pid == last_pid && f.counter <= last_cnt) {
			dup++;
		}
		last_pid = f.pid;
		last_cnt = f.counter;
	}
	ringshm_reader_stats(rd, &st);
	printf("delivered %" PRIu64 " lost %" PRIu64 " lostbytes %" PRIu64 " overruns %" PRIu64
	       " epochs %" PRIu64 " bad %" PRIu64 " dup %" PRIu64 " frames %" PRIu64
	       " first %" PRIu64 " last %" PRIu64 "\n",
	       st.delivered, st.lost_records, st.lost_bytes, st.overruns, st.epochs_seen, bad, dup,
	       frames, first, last);
	ringshm_reader_close(rd);
	return 0;
}

static int ctl(int argc, char **argv)
{
	struct ringshm_error err;
	struct ringshm_reader *rd;
	const struct ringshm_ctl *c;

	if (argc < 3) {
		return 2;
	}
	rd = ringshm_reader_open(argv[2], &err);
	if (!rd) {
		fprintf(stderr, "faults_ringtool: %s\n", err.msg);
		return 1;
	}
	c = ringshm_reader_ctl(rd);
	printf("frames %" PRIu64 " head %" PRIu64 " epoch %" PRIu64 " state %u next_seq %" PRIu64
	       " pid %" PRIu64 "\n",
	       __atomic_load_n(&c->counters.frames, __ATOMIC_RELAXED),
	       __atomic_load_n(&c->head, __ATOMIC_ACQUIRE),
	       __atomic_load_n(&c->epoch, __ATOMIC_RELAXED),
	       __atomic_load_n(&c->state, __ATOMIC_RELAXED),
	       __atomic_load_n(&c->next_seq, __ATOMIC_RELAXED),
	       __atomic_load_n(&c->producer_pid, __ATOMIC_RELAXED));
	ringshm_reader_close(rd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "produce") == 0) {
		return produce(argc, argv);
	}
	if (argc >= 2 && strcmp(argv[1], "read") == 0) {
		return readloop(argc, argv);
	}
	if (argc >= 2 && strcmp(argv[1], "ctl") == 0) {
		return ctl(argc, argv);
	}
	fprintf(stderr, "usage: faults_ringtool produce|read|ctl RING ...\n");
	return 2;
}
