/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ringshm.c - unit tests of the shared ring: real files in /dev/shm and /dev/hugepages,
 * real processes (Criterion runs each test in its own process).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ringshm.h"
#include "ringshm_internal.h"

#define KIB   1024u
#define CHUNK (64 * KIB)

static char ring_path[PATH_MAX];

static void cleanup_files(void)
{
	char p[PATH_MAX + 16];

	if (!ring_path[0]) {
		return;
	}
	unlink(ring_path);
	snprintf(p, sizeof(p), "%s.readers", ring_path);
	unlink(p);
}

static const char *tmp_ring(const char *tag)
{
	snprintf(ring_path, sizeof(ring_path), "/dev/shm/rstest-%s-%d", tag, (int)getpid());
	cleanup_files();
	return ring_path;
}

static struct ringshm *mk_ring(const char *path, uint64_t capacity)
{
	struct ringshm_params p = { .capacity = capacity, .chunk_size = CHUNK, .no_lock = true };
	struct ringshm_error err = { 0 };
	struct ringshm *r = ringshm_create(path, &p, &err);

	cr_assert(r != NULL, "create %s: %s", path, err.msg);
	return r;
}

static struct ringshm_reader *mk_reader(const char *path)
{
	struct ringshm_error err = { 0 };
	struct ringshm_reader *rd = ringshm_reader_open(path, &err);

	cr_assert(rd != NULL, "open %s: %s", path, err.msg);
	return rd;
}

/* A frame whose bytes are a function of its number: checked on the way out. */
static void fill(uint8_t *p, uint32_t len, uint64_t n)
{
	for (uint32_t i = 0; i < len; i++) {
		p[i] = (uint8_t)(n * 131 + i);
	}
}

static bool check(const uint8_t *p, uint32_t len, uint64_t n)
{
	for (uint32_t i = 0; i < len; i++) {
		if (p[i] != (uint8_t)(n * 131 + i)) {
			return false;
		}
	}
	return true;
}

static void put_frame(struct ringshm *r, uint32_t len, uint64_t n)
{
	void *p = ringshm_alloc(r, len, len, 1000 * n, (uint8_t)(n % 4), RINGSHM_F_TS_SRC_TSC);

	fill(p, len, n);
}

TestSuite(ringshm, .fini = cleanup_files);

Test(ringshm, resolve)
{
	char out[64];

	cr_assert_eq(ringshm_resolve("md", "/run/x", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/run/x/md");
	cr_assert_eq(ringshm_resolve("/a/b", "/run/x", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/a/b");
	setenv("FEEDCAP_RING_DIR", "/tmp/rd", 1);
	cr_assert_eq(ringshm_resolve("md", NULL, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/tmp/rd/md");
	unsetenv("FEEDCAP_RING_DIR");
	cr_assert_eq(ringshm_resolve("md", NULL, out, sizeof(out)), 0);
	cr_assert_str_eq(out, RINGSHM_DEFAULT_DIR "/md");
	cr_assert_eq(ringshm_resolve("a-very-long-name-that-will-not-fit", "/run/x/y/z", out, 16),
		     -ENAMETOOLONG);
}

Test(ringshm, bad_params)
{
	struct ringshm_params p = { .capacity = 3 << 20, .no_lock = true };
	struct ringshm_error err = { 0 };

	struct ringshm *r = ringshm_create(tmp_ring("badp"), &p, &err);
	int e = errno;

	cr_assert_null(r);
	cr_assert_eq(e, EINVAL);
	cr_assert(strstr(err.msg, "powers of two"), "%s", err.msg);
	p.capacity = 1 << 20;
	p.chunk_size = 4096;
	cr_assert_null(ringshm_create(ring_path, &p, &err));
	cr_assert_eq(err.code, -EINVAL);
}

Test(ringshm, create_attach_read)
{
	struct ringshm *r = mk_ring(tmp_ring("basic"), 1 << 20);
	struct ringshm_reader *rd = mk_reader(ring_path);
	struct ringshm_reader_stats st;
	struct ringshm_record rec;
	const struct ringshm_epoch_payload *ep;
	struct stat sb;

	cr_assert_eq(stat(ring_path, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0640);
	cr_assert_str_eq(ringshm_path(r), ring_path);
	cr_assert_eq(ringshm_max_caplen(r), CHUNK - 32 < 65535 ? CHUNK - 32 : 65535);

	/* A new reader starts at the newest: nothing yet. */
	cr_assert_eq(ringshm_reader_next(rd, &rec), 0);
	cr_assert_eq(ringshm_reader_seek(rd, RINGSHM_FROM_OLDEST, 0), 0);
	cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
	cr_assert_eq(rec.type, RINGSHM_REC_EPOCH);
	cr_assert_eq(rec.seq, 1);
	cr_assert_eq(rec.pos, 0);
	cr_assert_eq(rec.cap_len, sizeof(*ep));
	ep = rec.data;
	cr_assert_eq(ep->epoch, 1);
	cr_assert_eq(ep->pid, (uint64_t)getpid());
	cr_assert(ringshm_reader_done(rd));

	for (uint64_t n = 0; n < 100; n++) {
		put_frame(r, (uint32_t)(60 + n * 7), n);
	}
	cr_assert_eq(ringshm_reader_next(rd, &rec), 0, "nothing is visible before commit");
	ringshm_commit(r);
	cr_assert_eq(ringshm_reader_lag(rd), ringshm_reader_head(rd) - ringshm_reader_pos(rd));
	for (uint64_t n = 0; n < 100; n++) {
		cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
		cr_assert_eq(rec.type, RINGSHM_REC_FRAME);
		cr_assert_eq(rec.seq, n + 2);
		cr_assert_eq(rec.cap_len, 60 + n * 7);
		cr_assert_eq(rec.wire_len, rec.cap_len);
		cr_assert_eq(rec.ts_ns, 1000 * n);
		cr_assert_eq(rec.port, n % 4);
		cr_assert_eq(rec.flags, RINGSHM_F_TS_SRC_TSC);
		cr_assert_eq(rec.pos % RINGSHM_REC_ALIGN, 0);
		cr_assert(check(rec.data, rec.cap_len, n), "frame %llu", (unsigned long long)n);
		cr_assert(ringshm_reader_done(rd));
	}
	cr_assert_eq(ringshm_reader_next(rd, &rec), 0);
	cr_assert_eq(ringshm_reader_lag(rd), 0);
	ringshm_reader_stats(rd, &st);
	cr_assert_eq(st.delivered, 101);
	cr_assert_eq(st.lost_records, 0);
	cr_assert_eq(st.lost_bytes, 0);
	cr_assert_eq(st.overruns, 0);

	/* Counters and identity in the control area. */
	const struct ringshm_ctl *c = ringshm_reader_ctl(rd);
	cr_assert_eq(c->counters.frames, 100);
	cr_assert_eq(c->counters.markers, 1);
	cr_assert_eq(c->next_seq, 102);
	cr_assert_eq(c->epoch, 1);
	cr_assert_eq(c->state, RINGSHM_STATE_RUNNING);
	cr_assert_eq(c->backing, RINGSHM_BACKING_SHM);
	cr_assert(ringshm_reader_producer_alive(rd, 1000000000ull));
	ringshm_close(r);
	cr_assert_not(ringshm_reader_producer_alive(rd, 1000000000ull));
	cr_assert_eq(c->state, RINGSHM_STATE_STOPPED);

	/* The file outlives the producer: a new reader still dumps what it holds. */
	struct ringshm_reader *rd2 = mk_reader(ring_path);
	uint64_t n = 0;

	cr_assert_eq(ringshm_reader_seek(rd2, RINGSHM_FROM_OLDEST, 0), 0);
	while (ringshm_reader_next(rd2, &rec) == 1) {
		cr_assert(ringshm_reader_done(rd2));
		n++;
	}
	cr_assert_eq(n, 101);
	ringshm_reader_close(rd2);
	ringshm_reader_close(rd);
}

Test(ringshm, truncation_and_clamp_flags)
{
	struct ringshm *r = mk_ring(tmp_ring("flags"), 1 << 20);
	struct ringshm_reader *rd = mk_reader(ring_path);
	struct ringshm_record rec;

	ringshm_alloc(r, 64, 1500, 1, 0, 0);
	ringshm_alloc(r, 64, 70000, 2, 1, 0);
	ringshm_commit(r);
	cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
	cr_assert_eq(rec.wire_len, 1500);
	cr_assert_eq(rec.flags, RINGSHM_F_TRUNCATED);
	cr_assert(ringshm_reader_done(rd));
	cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
	cr_assert_eq(rec.wire_len, 65535);
	cr_assert_eq(rec.flags, RINGSHM_F_TRUNCATED | RINGSHM_F_WIRE_CLAMPED);
	cr_assert(ringshm_reader_done(rd));
	cr_assert_eq(ringshm_ctl(r)->counters.truncated, 2);
	cr_assert_eq(ringshm_ctl(r)->counters.bytes, 71500);
	ringshm_reader_close(rd);
	ringshm_close(r);
}

Test(ringshm, markers)
{
	struct ringshm *r = mk_ring(tmp_ring("mark"), 1 << 20);
	struct ringshm_reader *rd = mk_reader(ring_path);
	struct ringshm_loss_payload lp = { .nic_imissed = 7, .nic_rx_nombuf = 3 };
	struct ringshm_record rec;

	cr_assert_eq(ringshm_marker(r, RINGSHM_REC_LOSS, &lp, sizeof(lp), 42), 0);
	cr_assert_eq(ringshm_marker(r, RINGSHM_REC_PAD, NULL, 0, 42), -EINVAL);
	cr_assert_eq(ringshm_marker(r, RINGSHM_REC_FRAME, &lp, sizeof(lp), 42), -EINVAL);
	cr_assert_eq(ringshm_marker(r, RINGSHM_REC_CLOCK, &lp, ringshm_max_caplen(r) + 1, 42),
		     -EINVAL);
	ringshm_commit(r);
	cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
	cr_assert_eq(rec.type, RINGSHM_REC_LOSS);
	cr_assert_eq(rec.ts_ns, 42);
	cr_assert_eq(memcmp(rec.data, &lp, sizeof(lp)), 0);
	cr_assert(ringshm_reader_done(rd));
	cr_assert_eq(ringshm_ctl(r)->counters.markers, 2);
	ringshm_reader_close(rd);
	ringshm_close(r);
}

/* A reader that keeps up across many laps: every record, in order, none crossing a chunk. */
Test(ringshm, wrap_and_padding)
{
	struct ringshm *r = mk_ring(tmp_ring("wrap"), 4 * CHUNK);
	struct ringshm_reader *rd = mk_reader(ring_path);
	struct ringshm_reader_stats st;
	struct ringshm_record rec;
	uint64_t expect = 0, last_pos = 0, pads = 0, total = 20000;

	cr_assert_eq(ringshm_reader_seek(rd, RINGSHM_FROM_OLDEST, 0), 0);
	cr_assert_eq(ringshm_reader_next(rd, &rec), 1); /* the EPOCH record */
	last_pos = rec.pos + ringshm_rec_size(rec.cap_len);
	cr_assert(ringshm_reader_done(rd));
	for (uint64_t n = 0; n < total; n++) {
		put_frame(r, (uint32_t)(1 + (n * 7919) % 1500), n);
		if (n % 8 == 7 || n == total - 1) {
			ringshm_commit(r);
			while (ringshm_reader_next(rd, &rec) == 1) {
				uint64_t off = rec.pos & (CHUNK - 1);

				cr_assert_eq(rec.seq, expect + 2);
				cr_assert(off + ringshm_rec_size(rec.cap_len) <= CHUNK,
					  "record at %llu crosses a chunk",
					  (unsigned long long)rec.pos);
				if (rec.pos != last_pos) {
					cr_assert_eq(rec.pos & (CHUNK - 1), 0,
						     "a gap must be a pad to the chunk end");
					pads++;
				}
				cr_assert(check(rec.data, rec.cap_len, expect));
				last_pos = rec.pos + ringshm_rec_size(rec.cap_len);
				cr_assert(ringshm_reader_done(rd));
				expect++;
			}
		}
	}
	cr_assert_eq(expect, total);
	cr_assert_gt(ringshm_reader_pos(rd), 10 * 4 * CHUNK, "the test must wrap many times");
	cr_assert_gt(pads, 10);
	ringshm_reader_stats(rd, &st);
	cr_assert_eq(st.lost_records, 0);
	cr_assert_eq(st.overruns, 0);
	ringshm_reader_close(rd);
	ringshm_close(r);
}

/* A reader that sleeps through several laps: exact loss, then every later record. */
Test(ringshm, lapped_reader_counts_exactly)
{
	struct ringshm *r = mk_ring(tmp_ring("lap"), 4 * CHUNK);
	struct ringshm_reader *rd = mk_reader(ring_path);
	struct ringshm_reader_stats st;
	struct ringshm_record rec;
	uint64_t n = 0, first = 0, got = 0;

	cr_assert_eq(ringshm_reader_seek(rd, RINGSHM_FROM_OLDEST, 0), 0);
	for (; n < 5000; n++) {
		put_frame(r, 300, n);
		ringshm_commit(r);
	}
	/* 5000 * 352 bytes is almost seven laps of 256 KiB. */
	cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
	cr_assert(ringshm_reader_done(rd));
	first = rec.seq;
	cr_assert_gt(first, 2);
	got = 1;
	while (ringshm_reader_next(rd, &rec) == 1) {
		cr_assert_eq(rec.seq, first + got);
		cr_assert(check(rec.data, rec.cap_len, rec.seq - 2));
		cr_assert(ringshm_reader_done(rd));
		got++;
	}
	ringshm_reader_stats(rd, &st);
	/* 5001 records were produced (EPOCH + frames): delivered + lost covers them exactly. */
	cr_assert_eq(st.delivered, got);
	cr_assert_eq(st.delivered + st.lost_records, 5001);
	cr_assert_eq(st.lost_records, first - 1);
	cr_assert_geq(st.overruns, 1);
	cr_assert_gt(st.lost_bytes, 0);
	/* The reader resumed at the oldest chunk held. */
	cr_assert_geq(got * 352, 3 * CHUNK - 352);
	ringshm_reader_close(rd);
	ringshm_close(r);
}

/* A record overwritten while in use: done() says so and counts it lost. */
Test(ringshm, overwritten_in_use)
{
	struct ringshm *r = mk_ring(tmp_ring("inuse"), 4 * CHUNK);
	struct ringshm_reader *rd = mk_reader(ring_path);
	struct ringshm_reader_stats st;
	struct ringshm_record rec;
	uint64_t n;

	for (n = 0; n < 10; n++) {
		put_frame(r, 100, n);
	}
	ringshm_commit(r);
	cr_assert_eq(ringshm_reader_seek(rd, RINGSHM_FROM_OLDEST, 0), 0);
	cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
	cr_assert_eq(rec.type, RINGSHM_REC_EPOCH);
	/* While the caller "uses" it, the producer laps the ring. */
	for (; n < 4000; n++) {
		put_frame(r, 100, n);
	}
	ringshm_commit(r);
	cr_assert_not(ringshm_reader_done(rd));
	cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
	cr_assert(ringshm_reader_done(rd));
	ringshm_reader_stats(rd, &st);
	cr_assert_eq(st.delivered, 1);
	cr_assert_eq(st.lost_records, rec.seq - 1, "the discarded EPOCH record counts as lost");
	ringshm_reader_close(rd);
	ringshm_close(r);
}

Test(ringshm, find_by_time)
{
	struct ringshm *r = mk_ring(tmp_ring("time"), 8 * CHUNK);
	struct ringshm_reader *rd = mk_reader(ring_path);
	struct ringshm_record rec;
	const uint64_t total = 10000; /* 10000 * 224 bytes: four laps of 512 KiB */

	for (uint64_t n = 0; n < total; n++) {
		put_frame(r, 190, n); /* ts = 1000 n */
		if (n % 16 == 15) {
			ringshm_commit(r);
		}
	}
	ringshm_commit(r);
	/* A time inside the ring: the first record at or after it. */
	for (uint64_t n = total - 2000; n < total; n += 97) {
		cr_assert_eq(ringshm_reader_seek(rd, RINGSHM_FROM_TIME, 1000 * n - 500), 0);
		cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
		cr_assert_eq(rec.ts_ns, 1000 * n, "seek to %llu", (unsigned long long)n);
		cr_assert(ringshm_reader_done(rd));
		cr_assert_eq(ringshm_reader_seek(rd, RINGSHM_FROM_TIME, 1000 * n), 0);
		cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
		cr_assert_eq(rec.ts_ns, 1000 * n);
		cr_assert(ringshm_reader_done(rd));
	}
	/* Before the oldest record held: the oldest. */
	cr_assert_eq(ringshm_reader_seek(rd, RINGSHM_FROM_OLDEST, 0), 0);
	cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
	uint64_t oldest = rec.ts_ns;
	cr_assert_gt(oldest, 0, "the ring must have wrapped");
	cr_assert_eq(ringshm_reader_pos(rd) & (CHUNK - 1), 0);
	cr_assert_eq(ringshm_reader_seek(rd, RINGSHM_FROM_TIME, 5), 0);
	cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
	cr_assert_eq(rec.ts_ns, oldest);
	/* After the newest: the head, nothing to read until more comes. */
	cr_assert_eq(ringshm_reader_seek(rd, RINGSHM_FROM_TIME, 1000 * total), 0);
	cr_assert_eq(ringshm_reader_next(rd, &rec), 0);
	cr_assert_eq(ringshm_reader_pos(rd), ringshm_reader_head(rd));
	put_frame(r, 10, total);
	ringshm_commit(r);
	cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
	cr_assert_eq(rec.ts_ns, 1000 * total);
	cr_assert_eq(ringshm_reader_seek(rd, 7, 0), -EINVAL);
	ringshm_reader_close(rd);
	ringshm_close(r);
}

Test(ringshm, wait_times_out_and_wakes)
{
	struct ringshm *r = mk_ring(tmp_ring("wait"), 1 << 20);
	struct ringshm_reader *rd = mk_reader(ring_path);
	uint64_t t0 = rs_mono_ns();
	pid_t pid;
	int status;

	cr_assert_eq(ringshm_reader_wait(rd, 20000000), -ETIMEDOUT);
	cr_assert_geq(rs_mono_ns() - t0, 20000000);
	cr_assert_eq(ringshm_reader_wait(rd, 0), -ETIMEDOUT);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		usleep(50000);
		put_frame(r, 10, 1);
		ringshm_commit(r);
		_exit(0);
	}
	t0 = rs_mono_ns();
	cr_assert_eq(ringshm_reader_wait(rd, 5000000000ull), 0);
	cr_assert_lt(rs_mono_ns() - t0, 1000000000ull);
	waitpid(pid, &status, 0);
	ringshm_reader_close(rd);
	ringshm_close(r);
}

Test(ringshm, clock_block_and_heartbeat)
{
	struct ringshm *r = mk_ring(tmp_ring("clock"), 1 << 20);
	struct ringshm_reader *rd = mk_reader(ring_path);
	uint8_t blk[RINGSHM_CLOCK_BLOCK_SIZE], out[RINGSHM_CLOCK_BLOCK_SIZE + 8];

	cr_assert_eq(ringshm_reader_clock(rd, out, sizeof(out)), 0);
	memset(blk, 0xab, sizeof(blk));
	cr_assert_eq(ringshm_clock_publish(r, blk, 100), 0);
	cr_assert_eq(ringshm_clock_publish(r, blk, RINGSHM_CLOCK_BLOCK_SIZE + 1), -EINVAL);
	cr_assert_eq(ringshm_reader_clock(rd, out, sizeof(out)), 100);
	cr_assert_eq(memcmp(out, blk, 100), 0);
	cr_assert_eq(ringshm_reader_clock(rd, out, 10), 10);
	cr_assert_eq(ringshm_reader_ctl(rd)->clock_seq % 2, 0);
	ringshm_heartbeat(r);
	cr_assert(ringshm_reader_producer_alive(rd, 1000000000ull));
	ringshm_ctl(r)->heartbeat_ns -= 5000000000ull;
	cr_assert_not(ringshm_reader_producer_alive(rd, 1000000000ull));
	ringshm_reader_close(rd);
	ringshm_close(r);
}

/* The seqlock under fire: a writer publishing constantly never yields a mixed block. */
Test(ringshm, clock_seqlock_consistent)
{
	struct ringshm *r = mk_ring(tmp_ring("clk2"), 1 << 20);
	struct ringshm_reader *rd = mk_reader(ring_path);
	uint8_t blk[512] = { 0 }, out[512];
	int status, ok = 0;
	pid_t pid;

	ringshm_clock_publish(r, blk, sizeof(blk));
	pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		for (unsigned v = 0;; v++) {
			memset(blk, (int)(v & 0xff), sizeof(blk));
			ringshm_clock_publish(r, blk, sizeof(blk));
		}
	}
	for (uint64_t t0 = rs_mono_ns(); rs_mono_ns() - t0 < 300000000;) {
		int n = ringshm_reader_clock(rd, out, sizeof(out));

		if (n == (int)sizeof(out)) {
			for (size_t k = 1; k < sizeof(out); k++) {
				cr_assert_eq(out[k], out[0], "torn clock block at byte %zu", k);
			}
			ok++;
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	cr_assert_gt(ok, 10);
	ringshm_reader_close(rd);
	ringshm_close(r);
}
