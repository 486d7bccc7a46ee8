/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ringshm.c - unit tests of the shared ring: real files in /dev/shm and /dev/hugepages,
 * real processes (Criterion runs each test in its own process).
 */
#define _GNU_SOURCE /* setresuid, setresgid, unshare */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fctest.h"
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
	struct ringshm_params p = { .capacity = capacity,
				    .chunk_size = CHUNK,
				    .no_lock = true,
				    .group = fctest_ring_group() };
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

/*
 * Suite ringshm_system: the tests that need root (another group, another user, a mount
 * namespace, the system's ring directory RINGSHM_SHM_DIR) or hugepages.  They run as their own
 * CTest entry, test_ringshm_system (label integration), and skip, saying which, when the
 * machine does not give them what they need; test_ringshm (label unit) runs the rest as any
 * user.
 */
TestSuite(ringshm_system, .fini = cleanup_files);

static void need_root(const char *why)
{
	if (geteuid() != 0) {
		cr_skip_test("needs root: %s", why);
	}
}

/* A hugetlbfs mount at /dev/hugepages this process may create files in, with n free 2 MiB
 * pages (scripts/hugepages reserves them).  A ring there takes its size plus a page for its
 * reader registry (FILE.readers). */
/* The number in a one-number file, or dflt when it cannot be read. */
static long read_long(const char *path, long dflt)
{
	FILE *f = fopen(path, "re");
	long v = dflt;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1) {
			v = dflt;
		}
		fclose(f);
	}
	return v;
}

static void need_hugepages(long n)
{
	long fr = -1, rsv = 0;
	struct statfs sf;

	if (statfs("/dev/hugepages", &sf) != 0 || sf.f_type != HUGETLBFS_MAGIC) {
		cr_skip_test("needs hugetlbfs mounted at /dev/hugepages");
	}
	if (access("/dev/hugepages", W_OK) != 0) {
		cr_skip_test("needs to create files in /dev/hugepages: %s", strerror(errno));
	}
	fr = read_long("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", fr);
	rsv = read_long("/sys/kernel/mm/hugepages/hugepages-2048kB/resv_hugepages", rsv);
	if (fr - rsv < n) {
		cr_skip_test("needs %ld free 2 MiB hugepages, %ld free (scripts/hugepages reserve)",
			     n, fr < 0 ? 0 : fr - rsv);
	}
}

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
/*
 * ringshm_alloc() cannot cut a frame (the caller copies cap_len bytes), so it refuses one over
 * the maximum: NULL, nothing written, counted.  ringshm_put() cuts it.
 */
Test(ringshm, alloc_refuses_oversize)
{
	struct ringshm *r = mk_ring(tmp_ring("oversize"), 1 << 20);
	struct ringshm_reader *rd = mk_reader(ring_path);
	uint32_t max = ringshm_max_caplen(r);
	struct ringshm_record rec;
	uint64_t head, seq;
	uint8_t *frame = calloc(1, max + 64);

	cr_assert_eq(max, CHUNK - RINGSHM_REC_HDR_SIZE, "a 64 KiB chunk bounds it below 65535");
	cr_assert_not_null(frame);
	ringshm_commit(r);
	head = ringshm_ctl(r)->head;
	seq = ringshm_ctl(r)->next_seq;
	cr_assert_null(ringshm_alloc(r, max + 1, max + 1, 1, 0, 0));
	cr_assert_null(ringshm_alloc(r, UINT32_MAX, 100, 1, 0, 0));
	ringshm_commit(r);
	cr_assert_eq(ringshm_ctl(r)->head, head, "nothing was written");
	cr_assert_eq(ringshm_ctl(r)->next_seq, seq);
	cr_assert_eq(ringshm_ctl(r)->counters.refused, 2);
	cr_assert_eq(ringshm_ctl(r)->counters.frames, 0);
	cr_assert_eq(ringshm_reader_next(rd, &rec), 0);
	/* The largest one fits exactly in a chunk. */
	cr_assert_not_null(ringshm_alloc(r, max, max, 2, 0, 0));
	/* put() cuts what alloc() refuses, and flags it. */
	ringshm_put(r, frame, max + 16, max + 16, 3, 0, 0);
	ringshm_commit(r);
	cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
	cr_assert_eq(rec.cap_len, max);
	cr_assert(ringshm_reader_done(rd));
	cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
	cr_assert_eq(rec.cap_len, max);
	cr_assert_eq(rec.wire_len, max + 16);
	cr_assert(rec.flags & RINGSHM_F_TRUNCATED);
	cr_assert(ringshm_reader_done(rd));
	free(frame);
	ringshm_close(r);
	/* The count survives a restart, like the other counters. */
	r = mk_ring(ring_path, 1 << 20);
	cr_assert_eq(ringshm_ctl(r)->counters.refused, 2);
	ringshm_reader_close(rd);
	ringshm_close(r);
}

/*
 * next() leaves the verdict on a record to the caller: asked again before done(), it refuses
 * (-EBUSY) and moves nothing, even when the producer overwrote the record meanwhile.
 */
Test(ringshm, next_leaves_done_to_the_caller)
{
	struct ringshm *r = mk_ring(tmp_ring("pending"), 4 * CHUNK);
	struct ringshm_reader *rd = mk_reader(ring_path);
	struct ringshm_reader_stats st;
	struct ringshm_record rec, again;
	uint64_t n;

	for (n = 0; n < 3; n++) {
		put_frame(r, 100, n);
	}
	ringshm_commit(r);
	cr_assert_eq(ringshm_reader_seek(rd, RINGSHM_FROM_OLDEST, 0), 0);
	cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
	cr_assert_eq(ringshm_reader_next(rd, &again), -EBUSY);
	cr_assert_eq(ringshm_reader_pos(rd), rec.pos, "nothing moved");
	ringshm_reader_stats(rd, &st);
	cr_assert_eq(st.delivered, 0, "next() confirmed nothing on the caller's behalf");
	cr_assert(ringshm_reader_done(rd));
	cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
	cr_assert_eq(rec.ts_ns, 0, "the first frame, after the EPOCH record");
	/* Lapped while pending: next() still refuses; done() gives the verdict and counts. */
	for (; n < 4000; n++) {
		put_frame(r, 100, n);
	}
	ringshm_commit(r);
	cr_assert_eq(ringshm_reader_next(rd, &again), -EBUSY);
	cr_assert_not(ringshm_reader_done(rd));
	cr_assert_not(ringshm_reader_done(rd), "a second done() has nothing to judge");
	cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
	cr_assert(ringshm_reader_done(rd));
	ringshm_reader_stats(rd, &st);
	cr_assert_eq(st.delivered, 2);
	cr_assert_eq(st.lost_records, rec.seq - 2, "the discarded record counts as lost");
	/* seek() releases a pending record without confirming it. */
	cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
	cr_assert_eq(ringshm_reader_seek(rd, RINGSHM_FROM_NEWEST, 0), 0);
	cr_assert_eq(ringshm_reader_next(rd, &rec), 0);
	ringshm_reader_stats(rd, &st);
	cr_assert_eq(st.delivered, 2);
	ringshm_reader_close(rd);
	ringshm_close(r);
}

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
	cr_assert_lt(rs_mono_ns() - t0, 3000000000ull, "the wait ends when data comes");
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
	/* 0.3 s, or longer on a loaded machine until enough consistent copies were checked. */
	for (uint64_t t0 = rs_mono_ns();
	     rs_mono_ns() - t0 < 300000000 || (ok < 100 && rs_mono_ns() - t0 < 5000000000ull);) {
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

/* ------------------------------------------------------------------ bad files */

/* Make a closed ring, then let the test damage it; returns the data file size. */
static uint64_t closed_ring(const char *tag)
{
	struct ringshm *r = mk_ring(tmp_ring(tag), 1 << 20);
	uint64_t size = ringshm_ctl(r)->file_size;

	put_frame(r, 100, 1);
	ringshm_commit(r);
	ringshm_close(r);
	return size;
}

static void poke(off_t off, const void *p, size_t len)
{
	int fd = open(ring_path, O_WRONLY);

	cr_assert_geq(fd, 0);
	cr_assert_eq(pwrite(fd, p, len, off), (ssize_t)len);
	close(fd);
}

/* Open must fail with code and a message containing each of the given strings. */
static void refused(int code, const char *s1, const char *s2)
{
	struct ringshm_error err = { 0 };
	struct ringshm_reader *rd = ringshm_reader_open(ring_path, &err);
	int e = errno;

	cr_assert_null(rd, "a damaged ring was accepted");
	cr_assert_eq(e, code, "errno %d, expected %d (%s)", e, code, err.msg);
	cr_assert_eq(err.code, -code);
	cr_assert(strstr(err.msg, ring_path), "message names the file: %s", err.msg);
	cr_assert(strstr(err.msg, s1), "message says \"%s\": %s", s1, err.msg);
	cr_assert(!s2 || strstr(err.msg, s2), "message says \"%s\": %s", s2, err.msg);
}

Test(ringshm, refuses_missing)
{
	tmp_ring("missing");
	refused(ENOENT, "no such ring", NULL);
}

Test(ringshm, refuses_bad_magic)
{
	closed_ring("magic");
	poke(0, "GARBAGE!", 8);
	refused(EPROTO, "not a feedcap ring", "\"GARBAGE!\"");
}

Test(ringshm, refuses_other_major_version)
{
	uint32_t v = 2, minor = 7;

	closed_ring("version");
	poke(offsetof(struct ringshm_ctl, version_major), &v, sizeof(v));
	poke(offsetof(struct ringshm_ctl, version_minor), &minor, sizeof(minor));
	refused(EPROTONOSUPPORT, "version 2.7", "reads only version 1.x");
	/* A producer refuses to start a new epoch in it too. */
	struct ringshm_params p = { .capacity = 1 << 20,
				    .chunk_size = CHUNK,
				    .no_lock = true,
				    .group = fctest_ring_group() };
	struct ringshm_error err = { 0 };
	cr_assert_null(ringshm_create(ring_path, &p, &err));
	cr_assert_eq(err.code, -EPROTONOSUPPORT, "%s", err.msg);
}

Test(ringshm, refuses_truncated_header)
{
	closed_ring("trunc");
	cr_assert_eq(truncate(ring_path, 100), 0);
	refused(EPROTO, "truncated ring header", "has 100 bytes");
	cr_assert_eq(truncate(ring_path, 0), 0);
	refused(EPROTO, "truncated ring header", "has 0 bytes");
}

Test(ringshm, refuses_truncated_data)
{
	uint64_t size = closed_ring("truncd");

	cr_assert_eq(truncate(ring_path, (off_t)(size - 4096)), 0);
	refused(EPROTO, "truncated ring: the file has", "its header says");
}

Test(ringshm, refuses_corrupt_header)
{
	uint32_t v = 5;
	uint64_t big = 3;

	closed_ring("corrupt");
	poke(offsetof(struct ringshm_ctl, nchunks), &v, sizeof(v));
	refused(EPROTO, "corrupt ring header: nchunks = 5", NULL);
	cleanup_files();
	closed_ring("corrupt2");
	poke(offsetof(struct ringshm_ctl, capacity), &big, sizeof(big));
	refused(EPROTO, "corrupt ring header: capacity = 3", NULL);
}

/*
 * The hostile 2 MiB ring of issue 16: capacity 2^62 and ctl_size 2^64 - 2^62 + 2 MiB, whose
 * sum wraps to the file's 2 MiB.  Every other field is consistent, so only an overflow-safe
 * check refuses it; accepted, the data area would start before the mapping.  Neither a
 * reader nor a restarting producer may take it, and the producer must not write to it.
 */
Test(ringshm, refuses_wrapping_geometry)
{
	const uint64_t file = 2u << 20;
	struct ringshm_params p = { .capacity = 1 << 20,
				    .chunk_size = CHUNK,
				    .no_lock = true,
				    .group = fctest_ring_group() };
	struct ringshm_error err = { 0 };
	struct ringshm_ctl c = { 0 };
	struct ringshm_ctl back;
	int fd;

	c.magic = RINGSHM_MAGIC;
	c.version_major = RINGSHM_VERSION_MAJOR;
	c.version_minor = RINGSHM_VERSION_MINOR;
	c.capacity = UINT64_C(1) << 62;
	c.chunk_size = 1u << 31;
	c.nchunks = (uint32_t)(c.capacity / c.chunk_size);
	c.rec_align = RINGSHM_REC_ALIGN;
	c.rec_hdr_size = RINGSHM_REC_HDR_SIZE;
	c.ctl_size = (uint64_t)0 - c.capacity + file;
	c.file_size = c.ctl_size + c.capacity; /* wraps to 2 MiB: the attack */
	c.epoch = 1;
	c.state = RINGSHM_STATE_STOPPED;
	c.claim = c.chunk_size;
	c.next_seq = 1;
	cr_assert_eq(c.file_size, file);
	cr_assert_eq(c.ctl_size % RINGSHM_CTL_ALIGN, 0);
	cr_assert_geq(c.ctl_size, rs_ctl_bytes(c.nchunks), "only the overflow is wrong");

	tmp_ring("wrap");
	fd = open(ring_path, O_RDWR | O_CREAT | O_EXCL, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, (off_t)file), 0);
	cr_assert_eq(pwrite(fd, &c, sizeof(c), 0), (ssize_t)sizeof(c));
	close(fd);

	refused(EPROTO, "corrupt ring header: ctl_size + capacity", "overflows");
	cr_assert_null(ringshm_create(ring_path, &p, &err), "a producer restarted in it");
	cr_assert_eq(err.code, -EPROTO, "%s", err.msg);
	cr_assert(strstr(err.msg, "ctl_size + capacity"), "%s", err.msg);
	/* The refused producer changed nothing (no epoch, no pad written anywhere). */
	fd = open(ring_path, O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pread(fd, &back, sizeof(back), 0), (ssize_t)sizeof(back));
	close(fd);
	cr_assert_eq(memcmp(&back, &c, sizeof(c)), 0);
	/* The same check straight on the header, with a file as large as the largest real one. */
	cr_assert_eq(rs_check_ctl(&c, UINT64_MAX, "x", NULL), -EPROTO);
	c.capacity = UINT64_C(1) << 63;
	c.nchunks = (uint32_t)(c.capacity / c.chunk_size);
	cr_assert_eq(rs_check_ctl(&c, UINT64_MAX, "x", NULL), -EPROTO);
}

/* The NIC counter table: there in a new ring, refused by the reader where it cannot fit. */
Test(ringshm, xstats_table_checked)
{
	struct ringshm *r = mk_ring(tmp_ring("xstats"), 1 << 20);
	struct ringshm_reader *rd = mk_reader(ring_path);
	struct ringshm_xstat_table *t = ringshm_xstats(r);
	const struct ringshm_xstat_table *rt = ringshm_reader_xstats(rd);
	struct ringshm_ctl *c = ringshm_ctl(r);
	uint64_t off = c->xstats_off;

	cr_assert_not_null(t);
	cr_assert_not_null(rt);
	cr_assert_geq(off, rs_ctl_bytes(c->nchunks), "after the chunk index");
	cr_assert_leq(off + sizeof(*t), c->ctl_size, "inside the control area");
	snprintf(t->port[3][1].name, sizeof(t->port[3][1].name), "rx_discards_phy");
	t->port[3][1].value = 42;
	cr_assert_str_eq(rt->port[3][1].name, "rx_discards_phy");
	cr_assert_eq(rt->port[3][1].value, 42);
	/* Hostile offsets: past the area, wrapping, unaligned, inside the chunk index. */
	c->xstats_off = c->ctl_size - sizeof(*t) + 64;
	cr_assert_null(ringshm_reader_xstats(rd));
	c->xstats_off = UINT64_MAX - 63;
	cr_assert_null(ringshm_reader_xstats(rd));
	c->xstats_off = off + 8;
	cr_assert_null(ringshm_reader_xstats(rd));
	c->xstats_off = 64;
	cr_assert_null(ringshm_reader_xstats(rd));
	/* An older ring (no table yet) gets one at restart when there is room. */
	c->xstats_off = 0;
	cr_assert_null(ringshm_reader_xstats(rd));
	ringshm_close(r);
	r = mk_ring(ring_path, 1 << 20);
	cr_assert_eq(ringshm_ctl(r)->xstats_off, off);
	cr_assert_not_null(ringshm_reader_xstats(rd));
	ringshm_reader_close(rd);
	ringshm_close(r);
}

Test(ringshm, waits_for_version_then_times_out)
{
	uint32_t v = 0;
	uint64_t t0;

	closed_ring("nover");
	poke(offsetof(struct ringshm_ctl, version_major), &v, sizeof(v));
	t0 = rs_mono_ns();
	refused(ETIMEDOUT, "never published", NULL);
	cr_assert_geq(rs_mono_ns() - t0, 900000000ull, "the reader waits about 1 s");
}

/* A hostile record header never makes the reader read out of bounds: it says EPROTO. */
Test(ringshm, corrupt_record_is_eproto)
{
	struct ringshm *r = mk_ring(tmp_ring("badrec"), 1 << 20);
	struct ringshm_reader *rd = mk_reader(ring_path);
	struct ringshm_record rec;
	struct ringshm_rec_hdr *h;

	h = (struct ringshm_rec_hdr *)ringshm_alloc(r, 100, 100, 1, 0, 0) - 1;
	ringshm_commit(r);
	h->type = 9;
	cr_assert_eq(ringshm_reader_next(rd, &rec), -EPROTO);
	h->type = RINGSHM_REC_FRAME;
	h->cap_len = 60000; /* beyond head and chunk */
	cr_assert_eq(ringshm_reader_next(rd, &rec), -EPROTO);
	h->cap_len = 100;
	cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
	cr_assert(ringshm_reader_done(rd));
	ringshm_reader_close(rd);
	ringshm_close(r);
}

/* ------------------------------------------------------------------ producers */

Test(ringshm, refuses_second_live_producer)
{
	struct ringshm *r = mk_ring(tmp_ring("busy"), 1 << 20);
	struct ringshm_params p = { .capacity = 1 << 20,
				    .chunk_size = CHUNK,
				    .no_lock = true,
				    .group = fctest_ring_group() };
	struct ringshm_error err = { 0 };
	char pid[32];

	cr_assert_null(ringshm_create(ring_path, &p, &err));
	cr_assert_eq(errno, EBUSY);
	snprintf(pid, sizeof(pid), "pid %d", (int)getpid());
	cr_assert(strstr(err.msg, "live producer") && strstr(err.msg, pid), "%s", err.msg);
	/* The refused attempt changed nothing. */
	cr_assert_eq(ringshm_ctl(r)->epoch, 1);
	ringshm_close(r);
	/* A stopped ring of another size is not silently resized. */
	p.capacity = 2 << 20;
	cr_assert_null(ringshm_create(ring_path, &p, &err));
	cr_assert_eq(err.code, -EEXIST, "%s", err.msg);
	cr_assert(strstr(err.msg, "remove the file"), "%s", err.msg);
}

/* A producer that dies mid-burst: the next one continues, readers see the epoch, lose nothing. */
Test(ringshm, epoch_restart_after_crash)
{
	struct ringshm_params p = { .capacity = 8 * CHUNK,
				    .chunk_size = CHUNK,
				    .no_lock = true,
				    .group = fctest_ring_group() };
	struct ringshm_reader_stats st;
	const struct ringshm_epoch_payload *ep;
	struct ringshm_reader *rd;
	struct ringshm_record rec;
	struct ringshm *r;
	uint64_t n = 0, old_head, old_claim, frames = 0;
	int status;
	pid_t pid;

	r = mk_ring(tmp_ring("epoch"), 8 * CHUNK);
	rd = mk_reader(ring_path);
	cr_assert_eq(ringshm_reader_seek(rd, RINGSHM_FROM_OLDEST, 0), 0);
	ringshm_close(r); /* the test's producers run in children */
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct ringshm *c = ringshm_create(ring_path, &p, NULL);

		if (!c) {
			_exit(1);
		}
		for (n = 0; n < 1000; n++) {
			put_frame(c, 200, n);
		}
		ringshm_commit(c);
		/* Die in the middle of a burst that spans a chunk boundary. */
		for (; n < 1600; n++) {
			put_frame(c, 200, n);
		}
		kill(getpid(), SIGKILL);
	}
	waitpid(pid, &status, 0);
	cr_assert(WIFSIGNALED(status), "the first producer must crash");
	const struct ringshm_ctl *c = ringshm_reader_ctl(rd);
	cr_assert_eq(c->state, RINGSHM_STATE_RUNNING, "a crashed producer leaves RUNNING");
	cr_assert_not(ringshm_reader_producer_alive(rd, 0));
	old_head = c->head;
	old_claim = c->claim;
	cr_assert_gt(old_claim - old_head, CHUNK, "uncommitted bytes span a chunk boundary");

	/* Read everything the dead producer committed. */
	while (ringshm_reader_next(rd, &rec) == 1) {
		if (rec.type == RINGSHM_REC_FRAME) {
			cr_assert(check(rec.data, rec.cap_len, frames));
			frames++;
		}
		cr_assert(ringshm_reader_done(rd));
	}
	cr_assert_eq(frames, 1000);
	cr_assert_eq(ringshm_reader_pos(rd), old_head);

	/* The restart. */
	r = mk_ring(ring_path, 8 * CHUNK);
	cr_assert_eq(ringshm_ctl(r)->epoch, 3);
	for (n = 5000; n < 5100; n++) {
		put_frame(r, 200, n);
	}
	ringshm_commit(r);
	cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
	cr_assert_eq(rec.type, RINGSHM_REC_EPOCH, "the uncommitted frames must never appear");
	cr_assert_eq(rec.pos, old_claim, "the new epoch starts at the chunk after the old claim");
	ep = rec.data;
	cr_assert_eq(ep->epoch, 3);
	cr_assert_eq(ep->pid, (uint64_t)getpid());
	cr_assert_eq(ep->resumed_from, old_head);
	cr_assert(ringshm_reader_done(rd));
	for (n = 5000; n < 5100; n++) {
		cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
		cr_assert(check(rec.data, rec.cap_len, n));
		cr_assert(ringshm_reader_done(rd));
	}
	ringshm_reader_stats(rd, &st);
	cr_assert_eq(st.epochs_seen, 2, "epoch 1 -> 2 (crashed) -> 3");
	cr_assert_eq(st.lost_records, 0);
	cr_assert_eq(st.delivered, 1 + 1 + 1000 + 1 + 100);
	cr_assert_eq(ringshm_ctl(r)->counters.frames, 1000 + 100,
		     "counters are totals over the life of the file, as committed");
	ringshm_reader_close(rd);

	/* A reader opened now finds every epoch's records from the oldest, seq without a gap. */
	rd = mk_reader(ring_path);
	cr_assert_eq(ringshm_reader_seek(rd, RINGSHM_FROM_OLDEST, 0), 0);
	uint64_t seq = 0;
	while (ringshm_reader_next(rd, &rec) == 1) {
		cr_assert(seq == 0 || rec.seq == seq + 1);
		seq = rec.seq;
		cr_assert(ringshm_reader_done(rd));
	}
	cr_assert_eq(seq, ringshm_ctl(r)->next_seq - 1);
	ringshm_reader_close(rd);
	ringshm_close(r);
}

/* ------------------------------------------------------------------ names and backings */

static char name_dir[256], name_target[PATH_MAX];
static char name_buf[64];

static void name_cleanup(void)
{
	char p[PATH_MAX + 96];

	if (name_target[0]) {
		unlink(name_target);
		snprintf(p, sizeof(p), "%s.readers", name_target);
		unlink(p);
	}
	if (name_dir[0]) {
		snprintf(p, sizeof(p), "%s/%s", name_dir, name_buf);
		unlink(p);
		rmdir(name_dir);
	}
}

static void by_name(enum ringshm_backing b, const char *expect_prefix, uint32_t expect_backing)
{
	struct ringshm_params p = { .capacity = 4u << 20,
				    .chunk_size = CHUNK,
				    .backing = b,
				    .group = fctest_ring_group() };
	struct ringshm_error err = { 0 };
	struct ringshm_reader *rd;
	struct ringshm_record rec;
	struct ringshm *r;
	char link[512], buf[PATH_MAX];
	ssize_t n;

	snprintf(name_dir, sizeof(name_dir), "/tmp/rstest-dir-%d", (int)getpid());
	snprintf(name_buf, sizeof(name_buf), "rstest%d", (int)getpid());
	snprintf(link, sizeof(link), "%s/%s", name_dir, name_buf);
	p.dir = name_dir;
	r = ringshm_create(name_buf, &p, &err);
	cr_assert_not_null(r, "%s", err.msg);
	snprintf(name_target, sizeof(name_target), "%s", ringshm_path(r));
	cr_assert(strncmp(ringshm_path(r), expect_prefix, strlen(expect_prefix)) == 0, "%s",
		  ringshm_path(r));
	if (b == RINGSHM_BACKING_FILE) {
		cr_assert_str_eq(link, ringshm_path(r), "FILE: DIR/NAME is the ring itself");
	} else {
		n = readlink(link, buf, sizeof(buf) - 1);
		cr_assert_gt(n, 0, "DIR/NAME is a symlink to the ring");
		buf[n] = '\0';
		cr_assert_str_eq(buf, ringshm_path(r));
	}
	cr_assert_eq(ringshm_ctl(r)->backing, expect_backing);
	put_frame(r, 500, 3);
	ringshm_commit(r);
	setenv("FEEDCAP_RING_DIR", name_dir, 1);
	rd = ringshm_reader_open(name_buf, &err);
	cr_assert_not_null(rd, "%s", err.msg);
	cr_assert_eq(ringshm_reader_seek(rd, RINGSHM_FROM_OLDEST, 0), 0);
	cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
	cr_assert_eq(rec.type, RINGSHM_REC_EPOCH);
	cr_assert(ringshm_reader_done(rd));
	cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
	cr_assert(check(rec.data, 500, 3));
	cr_assert(ringshm_reader_done(rd));
	ringshm_reader_close(rd);
	ringshm_close(r);
	/* Restart by name: the same file, a new epoch. */
	r = ringshm_create(name_buf, &p, &err);
	cr_assert_not_null(r, "%s", err.msg);
	cr_assert_str_eq(ringshm_path(r), name_target);
	cr_assert_eq(ringshm_ctl(r)->epoch, 2);
	ringshm_close(r);
}

Test(ringshm_system, backing_hugetlbfs_by_name, .fini = name_cleanup)
{
	need_hugepages(3);
	by_name(RINGSHM_BACKING_HUGETLBFS, "/dev/hugepages/feedcap-", RINGSHM_BACKING_HUGETLBFS);
	struct ringshm_reader *rd = mk_reader(name_target);
	cr_assert_eq(ringshm_reader_ctl(rd)->page_size, 2u << 20);
	ringshm_reader_close(rd);
}

Test(ringshm_system, backing_auto_prefers_hugetlbfs, .fini = name_cleanup)
{
	need_hugepages(3);
	by_name(RINGSHM_BACKING_AUTO, "/dev/hugepages/feedcap-", RINGSHM_BACKING_HUGETLBFS);
}

Test(ringshm_system, backing_shm_by_name, .fini = name_cleanup)
{
	need_root("rings by name in the system's " RINGSHM_SHM_DIR);
	by_name(RINGSHM_BACKING_SHM, RINGSHM_SHM_DIR "/rstest", RINGSHM_BACKING_SHM);
}

/*
 * A name on shm goes in RINGSHM_SHM_DIR, never in /dev/shm (1777) itself: ringshm makes the
 * directory 0750 in the ring's group (whatever the umask), and uses one that exists as it is.
 * On a fresh tmpfs over /dev/shm in a mount namespace of this test process only, so the
 * directory really is new and nothing else on the host sees it.
 */
Test(ringshm_system, shm_dir_made_0750_in_the_rings_group, .fini = name_cleanup)
{
	struct ringshm_params p = { .capacity = 4 * CHUNK,
				    .chunk_size = CHUNK,
				    .backing = RINGSHM_BACKING_SHM,
				    .dir = name_dir,
				    .group = "54321",
				    .no_lock = true };
	struct ringshm_error err = { 0 };
	struct ringshm *r;
	struct stat st;

	need_root("a mount namespace and a tmpfs over /dev/shm");
	cr_assert_eq(unshare(CLONE_NEWNS), 0, "unshare: %s", strerror(errno));
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0, "%s", strerror(errno));
	cr_assert_eq(mount("rstest", "/dev/shm", "tmpfs", 0, "mode=1777,size=8m"), 0, "%s",
		     strerror(errno));
	cr_assert_neq(stat(RINGSHM_SHM_DIR, &st), 0, "a fresh tmpfs has no %s", RINGSHM_SHM_DIR);
	umask(077);
	snprintf(name_dir, sizeof(name_dir), "/tmp/rstest-dir-%d", (int)getpid());
	snprintf(name_buf, sizeof(name_buf), "rstest%d", (int)getpid());
	r = ringshm_create(name_buf, &p, &err);
	cr_assert_not_null(r, "%s", err.msg);
	snprintf(name_target, sizeof(name_target), "%s/%s", RINGSHM_SHM_DIR, name_buf);
	cr_assert_str_eq(ringshm_path(r), name_target);
	cr_assert_eq(stat(RINGSHM_SHM_DIR, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0750, "mode %04o", (unsigned)(st.st_mode & 07777));
	cr_assert_eq(st.st_gid, 54321u, "the ring's group, got %u", (unsigned)st.st_gid);
	cr_assert_eq(st.st_uid, geteuid(), "owner unchanged");
	cr_assert_eq(stat(name_target, &st), 0);
	cr_assert_eq(st.st_gid, 54321u);
	ringshm_close(r);
	/* An existing directory is used as it is: neither its mode nor its group change. */
	cr_assert_eq(chmod(RINGSHM_SHM_DIR, 0700), 0);
	cr_assert_eq(chown(RINGSHM_SHM_DIR, (uid_t)-1, 0), 0);
	p.group = "54322";
	snprintf(name_buf, sizeof(name_buf), "rstest%d-b", (int)getpid());
	r = ringshm_create(name_buf, &p, &err);
	cr_assert_not_null(r, "%s", err.msg);
	ringshm_close(r);
	cr_assert_eq(stat(RINGSHM_SHM_DIR, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0700);
	cr_assert_eq(st.st_gid, 0u);
	/* The rings go with the namespace's tmpfs; the links in name_dir: name_cleanup(). */
	snprintf(name_target, sizeof(name_target), "%s/rstest%d", name_dir, (int)getpid());
	unlink(name_target);
	name_target[0] = '\0';
}

Test(ringshm, backing_file_by_name, .fini = name_cleanup)
{
	snprintf(name_dir, sizeof(name_dir), "/tmp/rstest-dir-%d", (int)getpid());
	by_name(RINGSHM_BACKING_FILE, name_dir, RINGSHM_BACKING_FILE);
}

Test(ringshm_system, hugetlbfs_too_big_says_how_many_pages)
{
	struct ringshm_params p = { .capacity = UINT64_C(64) << 30,
				    .backing = RINGSHM_BACKING_HUGETLBFS,
				    .dir = "/tmp" };
	struct ringshm_error err = { 0 };

	need_hugepages(0);
	cr_assert_null(ringshm_create("rstest-toobig", &p, &err));
	cr_assert_eq(err.code, -ENOMEM, "%s", err.msg);
	cr_assert(strstr(err.msg, "free 2048 KiB hugepages, 32769 needed"), "%s", err.msg);
}

Test(ringshm_system, numeric_and_unknown_group)
{
	struct ringshm_params p = {
		.capacity = 1 << 20, .chunk_size = CHUNK, .no_lock = true, .group = "54321"
	};
	struct ringshm_error err = { 0 };
	char reg[PATH_MAX + 16];
	struct ringshm *r;
	struct stat st;

	need_root("a ring given to a group this process is not in");
	r = ringshm_create(tmp_ring("grp"), &p, &err);
	cr_assert_not_null(r, "%s", err.msg);
	cr_assert_eq(stat(ring_path, &st), 0);
	cr_assert_eq(st.st_gid, 54321);
	cr_assert_eq(st.st_mode & 0777, 0640);
	snprintf(reg, sizeof(reg), "%s.readers", ring_path);
	cr_assert_eq(stat(reg, &st), 0);
	cr_assert_eq(st.st_gid, 54321);
	cr_assert_eq(st.st_mode & 0777, 0660);
	ringshm_close(r);
	cleanup_files();
	p.group = "no-such-group-rstest";
	cr_assert_null(ringshm_create(tmp_ring("grp2"), &p, &err));
	cr_assert_eq(err.code, -EINVAL);
	cr_assert(strstr(err.msg, "no-such-group-rstest\" does not exist"), "%s", err.msg);
}

/* ------------------------------------------------------------------ registry */

/*
 * Fork a reader registered as name: it runs setup (if any), tells the parent it is ready, then
 * runs body forever (or waits to be killed).  Returns its pid once it is ready; it dies with
 * the test process.
 */
static pid_t fork_registered(const char *name, void (*setup)(struct ringshm_reader *),
			     void (*body)(struct ringshm_reader *))
{
	int pfd[2];
	pid_t pid;
	char ch;

	cr_assert_eq(pipe(pfd), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct ringshm_reader *c = ringshm_reader_open(ring_path, NULL);

		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives a failed test */
		if (!c || ringshm_reader_register(c, name, NULL) != 0) {
			_exit(1);
		}
		if (setup) {
			setup(c);
		}
		if (write(pfd[1], "x", 1) != 1) {
			_exit(1);
		}
		for (;;) {
			if (body) {
				body(c);
			} else {
				pause();
			}
		}
	}
	cr_assert_eq(read(pfd[0], &ch, 1), 1, "the child reader did not start");
	close(pfd[0]);
	close(pfd[1]);
	return pid;
}

Test(ringshm, registry_lists_live_readers)
{
	struct ringshm *r = mk_ring(tmp_ring("reg"), 1 << 20);
	struct ringshm_reader *a = mk_reader(ring_path), *b = mk_reader(ring_path);
	struct ringshm_reader_info info[RINGSHM_MAX_READERS];
	struct ringshm_error err = { 0 };
	struct ringshm_record rec;
	int status;
	pid_t pid;

	cr_assert_eq(ringshm_registry_list(ring_path, info, RINGSHM_MAX_READERS), 0);
	cr_assert_eq(ringshm_reader_register(a, "dump", &err), 0, "%s", err.msg);
	cr_assert_eq(ringshm_reader_register(b, "stat", &err), 0, "%s", err.msg);
	pid = fork_registered("doomed", NULL, NULL);
	cr_assert_eq(ringshm_registry_list(ring_path, info, RINGSHM_MAX_READERS), 3);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	/* The dead reader's entry is left out, and its slot is taken by the next register. */
	cr_assert_eq(ringshm_registry_list(ring_path, info, RINGSHM_MAX_READERS), 2);
	put_frame(r, 100, 1);
	ringshm_commit(r);
	cr_assert_eq(ringshm_reader_next(a, &rec), 1);
	cr_assert(ringshm_reader_done(a));
	cr_assert_eq(ringshm_reader_wait(a, 1000000), -ETIMEDOUT); /* publishes when idle */
	cr_assert_eq(ringshm_registry_list(ring_path, info, RINGSHM_MAX_READERS), 2);
	cr_assert_str_eq(info[0].name, "dump");
	cr_assert_eq(info[0].pid, (uint64_t)getpid());
	cr_assert_eq(info[0].delivered, 1);
	cr_assert_eq(info[0].pos, ringshm_reader_pos(a));
	cr_assert_gt(info[0].updated_ns, 0);
	cr_assert_str_eq(info[1].name, "stat");
	ringshm_reader_close(b);
	cr_assert_eq(ringshm_registry_list(ring_path, info, RINGSHM_MAX_READERS), 1);
	ringshm_reader_close(a);
	cr_assert_eq(ringshm_registry_list(ring_path, info, RINGSHM_MAX_READERS), 0);
	ringshm_close(r);
}

static const struct ringshm_reader_info *info_named(const struct ringshm_reader_info *info, int n,
						    const char *name)
{
	for (int i = 0; i < n; i++) {
		if (strcmp(info[i].name, name) == 0) {
			return &info[i];
		}
	}
	cr_assert_fail("reader %s is not listed", name);
	return NULL;
}

/* A writer's status: count, errno, time, text and blocked, per reader, as noted. */
Test(ringshm, registry_writer_status)
{
	struct ringshm *r = mk_ring(tmp_ring("regw"), 1 << 20);
	struct ringshm_reader *a = mk_reader(ring_path), *b = mk_reader(ring_path);
	struct ringshm_reader *unreg = mk_reader(ring_path);
	struct ringshm_reader_info info[RINGSHM_MAX_READERS];
	const struct ringshm_reader_info *ia;
	struct ringshm_error err = { 0 };
	char longtext[200];
	uint64_t t0, t1;

	cr_assert_eq(ringshm_reader_register(a, "dump", &err), 0, "%s", err.msg);
	cr_assert_eq(ringshm_reader_register(b, "stat", &err), 0, "%s", err.msg);
	/* Not registered: nothing to publish, and nothing breaks. */
	ringshm_reader_note_error(unreg, ENOSPC, "ENOSPC on nowhere");
	ringshm_reader_note_blocked(unreg, true);
	ringshm_reader_note_error(NULL, EIO, NULL);

	cr_assert_eq(ringshm_registry_list(ring_path, info, RINGSHM_MAX_READERS), 2);
	ia = info_named(info, 2, "dump");
	cr_assert_eq(ia->write_errors, 0);
	cr_assert_eq(ia->last_errno, 0);
	cr_assert_eq(ia->last_error_ns, 0);
	cr_assert_str_empty(ia->last_error);
	cr_assert_not(ia->blocked);

	t0 = rs_now_ns();
	ringshm_reader_note_error(a, -ENOSPC, "ENOSPC on /srv/a/md-20261122.pcap.part");
	ringshm_reader_note_blocked(a, true);
	t1 = rs_now_ns();
	cr_assert_eq(ringshm_registry_list(ring_path, info, RINGSHM_MAX_READERS), 2);
	ia = info_named(info, 2, "dump");
	cr_assert_eq(ia->write_errors, 1);
	cr_assert_eq(ia->last_errno, ENOSPC, "a -errno is taken as the errno");
	cr_assert_str_eq(ia->last_error, "ENOSPC on /srv/a/md-20261122.pcap.part");
	cr_assert(ia->last_error_ns >= t0 && ia->last_error_ns <= t1,
		  "time %llu not in [%llu, %llu]", (unsigned long long)ia->last_error_ns,
		  (unsigned long long)t0, (unsigned long long)t1);
	cr_assert(ia->blocked);
	/* The other reader is untouched. */
	cr_assert_eq(info_named(info, 2, "stat")->write_errors, 0);
	cr_assert_not(info_named(info, 2, "stat")->blocked);

	/* A text too long is cut to the field; a shorter one after it leaves no tail behind. */
	memset(longtext, 'x', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	ringshm_reader_note_error(a, EIO, longtext);
	cr_assert_eq(ringshm_registry_list(ring_path, info, RINGSHM_MAX_READERS), 2);
	ia = info_named(info, 2, "dump");
	cr_assert_eq(ia->write_errors, 2);
	cr_assert_eq(ia->last_errno, EIO);
	cr_assert_eq(strlen(ia->last_error), RINGSHM_ERROR_TEXT - 1);
	ringshm_reader_note_error(a, ENOSPC, "short");
	ringshm_reader_note_blocked(a, false);
	cr_assert_eq(ringshm_registry_list(ring_path, info, RINGSHM_MAX_READERS), 2);
	ia = info_named(info, 2, "dump");
	cr_assert_eq(ia->write_errors, 3, "the count stays when the writer is no longer blocked");
	cr_assert_str_eq(ia->last_error, "short");
	cr_assert_not(ia->blocked);
	ringshm_reader_note_error(a, ENOSPC, NULL);
	cr_assert_eq(ringshm_registry_list(ring_path, info, RINGSHM_MAX_READERS), 2);
	cr_assert_str_empty(info_named(info, 2, "dump")->last_error);

	/* Re-registering starts clean: the status belongs to a registration. */
	cr_assert_eq(ringshm_reader_register(a, "dump2", &err), 0, "%s", err.msg);
	cr_assert_eq(ringshm_registry_list(ring_path, info, RINGSHM_MAX_READERS), 2);
	cr_assert_eq(info_named(info, 2, "dump2")->write_errors, 0);
	ringshm_reader_close(a);
	ringshm_reader_close(b);
	ringshm_reader_close(unreg);
	ringshm_close(r);
}

/*
 * Records a reader skips because the ring lapped it while its writer waited count among its
 * lost records, in its own statistics and in the registry at once; an unregistered reader
 * counts them too; other readers are untouched.
 */
Test(ringshm, registry_note_lost)
{
	struct ringshm *r = mk_ring(tmp_ring("regl"), 1 << 20);
	struct ringshm_reader *a = mk_reader(ring_path), *b = mk_reader(ring_path);
	struct ringshm_reader *unreg = mk_reader(ring_path);
	struct ringshm_reader_info info[RINGSHM_MAX_READERS];
	struct ringshm_reader_stats st;
	struct ringshm_error err = { 0 };

	cr_assert_eq(ringshm_reader_register(a, "dump", &err), 0, "%s", err.msg);
	cr_assert_eq(ringshm_reader_register(b, "stat", &err), 0, "%s", err.msg);
	ringshm_reader_note_lost(a, 7);
	ringshm_reader_note_lost(a, 0);
	ringshm_reader_note_lost(a, 5);
	ringshm_reader_note_lost(NULL, 3);
	ringshm_reader_note_lost(unreg, 4);
	ringshm_reader_stats(a, &st);
	cr_assert_eq(st.lost_records, 12);
	ringshm_reader_stats(unreg, &st);
	cr_assert_eq(st.lost_records, 4);
	cr_assert_eq(ringshm_registry_list(ring_path, info, RINGSHM_MAX_READERS), 2);
	cr_assert_eq(info_named(info, 2, "dump")->lost_records, 12, "published at once");
	cr_assert_eq(info_named(info, 2, "stat")->lost_records, 0);
	ringshm_reader_close(a);
	ringshm_reader_close(b);
	ringshm_reader_close(unreg);
	ringshm_close(r);
}

/*
 * A reader that died with errors and blocked is left out of the list, and whoever takes its
 * slot next starts with no error and not blocked.
 */
static void note_enospc_blocked(struct ringshm_reader *c)
{
	ringshm_reader_note_error(c, ENOSPC, "ENOSPC on /doomed.part");
	ringshm_reader_note_blocked(c, true);
}

Test(ringshm, registry_dead_writer_leaves_no_status)
{
	struct ringshm *r = mk_ring(tmp_ring("regd"), 1 << 20);
	struct ringshm_reader_info info[RINGSHM_MAX_READERS];
	const struct ringshm_reg_slot *slots;
	struct ringshm_reader *rd;
	struct ringshm_error err = { 0 };
	char reg[PATH_MAX + 16];
	int status, fd;
	pid_t pid;

	pid = fork_registered("doomed", note_enospc_blocked, NULL);
	cr_assert_eq(ringshm_registry_list(ring_path, info, RINGSHM_MAX_READERS), 1);
	cr_assert_str_eq(info[0].name, "doomed");
	cr_assert_eq(info[0].write_errors, 1);
	cr_assert(info[0].blocked);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	cr_assert_eq(ringshm_registry_list(ring_path, info, RINGSHM_MAX_READERS), 0,
		     "a dead writer is not listed, blocked or not");

	rd = mk_reader(ring_path);
	cr_assert_eq(ringshm_reader_register(rd, "fresh", &err), 0, "%s", err.msg);
	/* It took the dead reader's slot (the first), whose fields were set... */
	snprintf(reg, sizeof(reg), "%s.readers", ring_path);
	fd = open(reg, O_RDONLY);
	cr_assert_geq(fd, 0);
	slots = mmap(NULL, RINGSHM_REG_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	cr_assert_neq(slots, MAP_FAILED);
	close(fd);
	slots = (const void *)((const uint8_t *)slots + sizeof(struct ringshm_reg_hdr));
	cr_assert_eq(slots[0].pid, (uint64_t)getpid());
	/* ...and starts clean. */
	cr_assert_eq(ringshm_registry_list(ring_path, info, RINGSHM_MAX_READERS), 1);
	cr_assert_str_eq(info[0].name, "fresh");
	cr_assert_eq(info[0].write_errors, 0);
	cr_assert_eq(info[0].last_errno, 0);
	cr_assert_eq(info[0].last_error_ns, 0);
	cr_assert_str_empty(info[0].last_error);
	cr_assert_not(info[0].blocked);
	ringshm_reader_close(rd);
	ringshm_close(r);
}

#define LONG_FMT "ENOSPC %llu on /a/long/path/to/an/archive/that/fills/md-20261122.pcap.part"

/* Note errors as fast as possible: odd counts ENOSPC and a long text, even EIO and a short. */
static void hammer(struct ringshm_reader *c)
{
	char text[RINGSHM_ERROR_TEXT];

	for (uint64_t n = 1;; n++) {
		if (n & 1) {
			snprintf(text, sizeof(text), LONG_FMT, (unsigned long long)n);
			ringshm_reader_note_error(c, ENOSPC, text);
		} else {
			snprintf(text, sizeof(text), "EIO %llu", (unsigned long long)n);
			ringshm_reader_note_error(c, EIO, text);
		}
	}
}

/*
 * The writer status is one consistent snapshot: a monitor listing while a writer notes errors
 * as fast as it can never pairs one error's errno with another's text or time.
 */
Test(ringshm, registry_writer_status_is_consistent, .timeout = 30)
{
	struct ringshm *r = mk_ring(tmp_ring("regc"), 1 << 20);
	struct ringshm_reader_info info[RINGSHM_MAX_READERS];
	uint64_t last_count = 0, seen_odd = 0, seen_even = 0;
	int status;
	pid_t pid = fork_registered("hammer", NULL, hammer);

	for (int look = 0; look < 5000; look++) {
		char want[RINGSHM_ERROR_TEXT];
		const struct ringshm_reader_info *h;

		cr_assert_eq(ringshm_registry_list(ring_path, info, RINGSHM_MAX_READERS), 1);
		h = &info[0];
		cr_assert_geq(h->write_errors, last_count, "the count never goes back");
		last_count = h->write_errors;
		if (h->write_errors == 0) {
			continue;
		}
		if (h->write_errors & 1) {
			snprintf(want, sizeof(want), LONG_FMT, (unsigned long long)h->write_errors);
			cr_assert_eq(h->last_errno, ENOSPC);
			seen_odd++;
		} else {
			snprintf(want, sizeof(want), "EIO %llu",
				 (unsigned long long)h->write_errors);
			cr_assert_eq(h->last_errno, EIO);
			seen_even++;
		}
		cr_assert_str_eq(h->last_error, want, "count %llu with another error's text",
				 (unsigned long long)h->write_errors);
		cr_assert_gt(h->last_error_ns, 0);
	}
	cr_assert(seen_odd > 0 && seen_even > 0, "both kinds seen (%llu, %llu)",
		  (unsigned long long)seen_odd, (unsigned long long)seen_even);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	ringshm_close(r);
}

/* Write a version 1 registry (what feedcap made before the writer fields) at FILE.readers. */
static void write_v1_registry(const char *reg, uint64_t live_pid)
{
	uint8_t buf[64 + 64 * 128] = { 0 };
	uint32_t v[3] = { 1, 64, 128 };
	int fd;

	memcpy(buf, "FCREGS01", 8);
	memcpy(buf + 8, v, sizeof(v));
	memcpy(buf + 64, &live_pid, 8);
	memcpy(buf + 64 + 64, "old-dump", 8);
	fd = open(reg, O_WRONLY | O_CREAT | O_TRUNC, 0660);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	close(fd);
}

static size_t slurp(const char *path, uint8_t *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	cr_assert_geq(fd, 0, "%s", path);
	n = read(fd, buf, len);
	cr_assert_geq(n, 0);
	close(fd);
	return (size_t)n;
}

/*
 * A registry of the old layout (version 1, 128-byte slots), as an older feedcap left it:
 * readers and monitors refuse it by name without touching it; the next producer start makes
 * it anew in its own version, in the ring's group and mode, and registering works again.
 * Garbage in its place is refused and replaced the same way.
 */
Test(ringshm, registry_of_another_version_refused_then_replaced)
{
	static uint8_t before[1 << 16], after[1 << 16];
	struct ringshm *r = mk_ring(tmp_ring("regv1"), 1 << 20);
	struct ringshm_reader_info info[RINGSHM_MAX_READERS];
	struct ringshm_error err = { 0 };
	struct ringshm_reg_hdr hdr;
	struct ringshm_reader *rd;
	char reg[PATH_MAX + 16];
	struct stat st1, st2;
	size_t n1, n2;

	snprintf(reg, sizeof(reg), "%s.readers", ring_path);
	unlink(reg);
	write_v1_registry(reg, (uint64_t)getpid());
	cr_assert_eq(stat(reg, &st1), 0);
	n1 = slurp(reg, before, sizeof(before));

	rd = mk_reader(ring_path);
	cr_assert_eq(ringshm_reader_register(rd, "new", &err), -EPROTONOSUPPORT, "%s", err.msg);
	cr_assert_eq(err.code, -EPROTONOSUPPORT);
	cr_assert(strstr(err.msg, reg), "names the file: %s", err.msg);
	cr_assert(strstr(err.msg, "layout version 1") && strstr(err.msg, "version 2"),
		  "names both versions: %s", err.msg);
	cr_assert(strstr(err.msg, "restart the producer"), "says what to do: %s", err.msg);
	cr_assert_eq(ringshm_registry_list(ring_path, info, RINGSHM_MAX_READERS), -EPROTONOSUPPORT);
	n2 = slurp(reg, after, sizeof(after));
	cr_assert(n1 == n2 && memcmp(before, after, n1) == 0, "the old file was changed");

	/* The producer restarts: its version is the one in force. */
	ringshm_close(r);
	r = mk_ring(ring_path, 1 << 20);
	cr_assert_eq(stat(reg, &st2), 0);
	cr_assert_neq(st1.st_ino, st2.st_ino, "a new file, not the old one rewritten in place");
	cr_assert_eq(st2.st_mode & 0777, 0660);
	slurp(reg, (uint8_t *)&hdr, sizeof(hdr));
	cr_assert_eq(hdr.magic, RINGSHM_REG_MAGIC);
	cr_assert_eq(hdr.version, RINGSHM_REG_VERSION);
	cr_assert_eq(hdr.slot_size, 256);
	cr_assert_eq(ringshm_registry_list(ring_path, info, RINGSHM_MAX_READERS), 0,
		     "the old file's entries are gone with it");
	cr_assert_eq(ringshm_reader_register(rd, "new", &err), 0, "%s", err.msg);
	ringshm_reader_note_error(rd, ENOSPC, "ENOSPC on x");
	cr_assert_eq(ringshm_registry_list(ring_path, info, RINGSHM_MAX_READERS), 1);
	cr_assert_str_eq(info[0].name, "new");
	cr_assert_eq(info[0].write_errors, 1);
	ringshm_reader_close(rd);

	/* Not a registry at all. */
	ringshm_close(r);
	{
		int fd = open(reg, O_WRONLY | O_TRUNC);
		char junk[64];

		memset(junk, 'j', sizeof(junk));
		memcpy(junk, "not a registry", 14);
		cr_assert_geq(fd, 0);
		cr_assert_eq(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
		close(fd);
	}
	rd = mk_reader(ring_path);
	cr_assert_eq(ringshm_reader_register(rd, "new", &err), -EPROTO, "%s", err.msg);
	cr_assert(strstr(err.msg, reg) && strstr(err.msg, "not a feedcap reader registry"), "%s",
		  err.msg);
	cr_assert_eq(ringshm_registry_list(ring_path, info, RINGSHM_MAX_READERS), -EPROTO);
	r = mk_ring(ring_path, 1 << 20);
	cr_assert_eq(ringshm_reader_register(rd, "new", &err), 0, "%s", err.msg);
	cr_assert_eq(ringshm_registry_list(ring_path, info, RINGSHM_MAX_READERS), 1);
	ringshm_reader_close(rd);
	ringshm_close(r);
}

/* ------------------------------------------------------------------ privileges */

/* A reader's mapping is read-only: a write kills it with SIGSEGV. */
Test(ringshm, reader_write_faults)
{
	struct ringshm *r = mk_ring(tmp_ring("segv"), 1 << 20);
	struct ringshm_reader *rd = mk_reader(ring_path);
	int status;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		volatile uint64_t *head =
			(volatile uint64_t *)(uintptr_t)&ringshm_reader_ctl(rd)->head;

		signal(SIGSEGV, SIG_DFL); /* no sanitizer's handler: the kernel's verdict */
		*head = 0;		  /* must fault */
		_exit(0);
	}
	waitpid(pid, &status, 0);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
		  "a reader that writes to the ring must die of SIGSEGV (status %#x)", status);
	cr_assert_eq(ringshm_ctl(r)->head, ringshm_reader_head(rd));
	cr_assert_neq(ringshm_reader_head(rd), 0);
	ringshm_reader_close(rd);
	ringshm_close(r);
}

/* ... and cannot make it writable either: the descriptor is O_RDONLY. */
Test(ringshm, reader_cannot_mprotect_writable)
{
	struct ringshm *r = mk_ring(tmp_ring("mprot"), 1 << 20);
	struct ringshm_reader *rd = mk_reader(ring_path);
	void *base = (void *)(uintptr_t)ringshm_reader_ctl(rd);

	cr_assert_eq(mprotect(base, 4096, PROT_READ | PROT_WRITE), -1);
	cr_assert_eq(errno, EACCES);
	ringshm_reader_close(rd);
	ringshm_close(r);
}

/* Become uid/gid 65534 with supplementary groups {grp}, open the ring, report by exit code. */
static int unprivileged_reader(gid_t grp, char *msg, size_t msglen)
{
	int pfd[2], status;
	pid_t pid;
	ssize_t n;

	cr_assert_eq(pipe(pfd), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct ringshm_error err = { 0 };
		struct ringshm_reader *rd;
		struct ringshm_record rec;

		close(pfd[0]);
		if (setgroups(1, &grp) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534)) {
			_exit(10);
		}
		rd = ringshm_reader_open(ring_path, &err);
		if (!rd) {
			if (write(pfd[1], err.msg, strlen(err.msg)) < 0) {
				_exit(11);
			}
			_exit(errno == EACCES ? 3 : 4);
		}
		if (ringshm_reader_seek(rd, RINGSHM_FROM_OLDEST, 0) ||
		    ringshm_reader_next(rd, &rec) != 1 || !ringshm_reader_done(rd)) {
			_exit(5);
		}
		if (ringshm_reader_register(rd, "nobody", &err) != 0) {
			_exit(6);
		}
		_exit(0);
	}
	close(pfd[1]);
	n = read(pfd[0], msg, msglen - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(pfd[0]);
	waitpid(pid, &status, 0);
	cr_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void unprivileged_case(uint64_t capacity)
{
	struct ringshm_params p = {
		.capacity = capacity, .chunk_size = CHUNK, .no_lock = true, .group = "54322"
	};
	struct ringshm_error err = { 0 };
	struct ringshm *r = ringshm_create(ring_path, &p, &err);
	struct ringshm_reader_info info[4];
	uint64_t head;
	char msg[512];

	cr_assert_not_null(r, "%s", err.msg);
	put_frame(r, 100, 1);
	ringshm_commit(r);
	head = ringshm_ctl(r)->head;
	cr_assert_eq(unprivileged_reader(54322, msg, sizeof(msg)), 0,
		     "a member of the ring's group reads and registers: %s", msg);
	cr_assert_eq(unprivileged_reader(54323, msg, sizeof(msg)), 3, "an outsider: %s", msg);
	cr_assert(strstr(msg, "permission denied") && strstr(msg, ring_path) &&
			  strstr(msg, "mode 0640") && strstr(msg, "gid 54322"),
		  "a clear message: %s", msg);
	/* Neither changed the ring; the member's registry slot went with it. */
	cr_assert_eq(ringshm_ctl(r)->head, head);
	cr_assert_eq(ringshm_ctl(r)->counters.frames, 1);
	cr_assert_eq(ringshm_registry_list(ring_path, info, 4), 0);
	ringshm_close(r);
}

Test(ringshm_system, unprivileged_group_member_reads_outsider_refused)
{
	need_root("a ring given to another group, read as uid 65534");
	tmp_ring("priv");
	unprivileged_case(1 << 20);
}

/* The same on hugetlbfs, the production backing: no capability needed to map it. */
Test(ringshm_system, unprivileged_reader_on_hugetlbfs, .fini = cleanup_files)
{
	need_root("a ring given to another group, read as uid 65534");
	need_hugepages(2);
	snprintf(ring_path, sizeof(ring_path), "/dev/hugepages/rstest-priv-%d", (int)getpid());
	cleanup_files();
	unprivileged_case(2u << 20);
}

/* A reader SIGKILLed in the middle of using a record changes nothing for anyone else. */
Test(ringshm, killed_reader_harms_nobody)
{
	struct ringshm *r = mk_ring(tmp_ring("kill"), 64u << 20);
	struct ringshm_reader_info info[4];
	const uint64_t total = 200000; /* 200000 * 160 bytes: fits, so nobody may lose anything */
	int apipe[2], bpipe[2], status, killed = 0;
	pid_t a, b;
	char ch;

	cr_assert_eq(pipe(apipe), 0);
	cr_assert_eq(pipe(bpipe), 0);
	a = fork();
	cr_assert_geq(a, 0);
	if (a == 0) {
		struct ringshm_reader *rd = ringshm_reader_open(ring_path, NULL);
		struct ringshm_reader_stats st;
		struct ringshm_record rec;
		uint64_t frames = 0;

		if (!rd || ringshm_reader_register(rd, "survivor", NULL) ||
		    ringshm_reader_seek(rd, RINGSHM_FROM_OLDEST, 0) ||
		    write(apipe[1], "r", 1) != 1) {
			_exit(10);
		}
		while (frames < total) {
			int rc = ringshm_reader_next(rd, &rec);

			if (rc == 0) {
				ringshm_reader_wait(rd, 100000000);
				continue;
			}
			if (rc < 0 || (rec.type == RINGSHM_REC_FRAME &&
				       !check(rec.data, rec.cap_len, rec.seq - 2))) {
				_exit(11);
			}
			if (!ringshm_reader_done(rd)) {
				_exit(12);
			}
			frames += rec.type == RINGSHM_REC_FRAME;
		}
		ringshm_reader_stats(rd, &st);
		_exit(st.lost_records == 0 && st.delivered == total + 1 ? 0 : 13);
	}
	b = fork();
	cr_assert_geq(b, 0);
	if (b == 0) {
		struct ringshm_reader *rd = ringshm_reader_open(ring_path, NULL);
		struct ringshm_record rec;
		uint64_t n = 0;

		if (!rd || ringshm_reader_register(rd, "victim", NULL) ||
		    write(bpipe[1], "r", 1) != 1) {
			_exit(10);
		}
		for (;;) {
			if (ringshm_reader_next(rd, &rec) != 1) {
				ringshm_reader_wait(rd, 100000000);
				continue;
			}
			if (++n == 5000) {
				/* Mid-read: tell the parent, and hold the record until killed. */
				if (write(bpipe[1], "k", 1) != 1) {
					_exit(11);
				}
				for (;;) {
					check(rec.data, rec.cap_len, rec.seq - 2);
				}
			}
			ringshm_reader_done(rd);
		}
	}
	cr_assert_eq(read(apipe[0], &ch, 1), 1);
	cr_assert_eq(read(bpipe[0], &ch, 1), 1);
	cr_assert_eq(ringshm_registry_list(ring_path, info, 4), 2);
	for (uint64_t n = 0; n < total; n++) {
		put_frame(r, 128, n);
		if (n % 32 == 31) {
			ringshm_commit(r);
		}
		/* Half way, kill the victim while it holds a record (it has 5000 by now). */
		if (n == total / 2) {
			ringshm_commit(r);
			cr_assert_eq(read(bpipe[0], &ch, 1), 1);
			kill(b, SIGKILL);
			killed = 1;
		}
	}
	ringshm_commit(r);
	waitpid(b, &status, 0);
	cr_assert(killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		  "the victim must be killed mid-read");
	waitpid(a, &status, 0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the surviving reader got every record intact (status %#x)", status);
	cr_assert_eq(ringshm_ctl(r)->counters.frames, total);
	cr_assert_eq(ringshm_ctl(r)->next_seq, total + 2);
	cr_assert_eq(ringshm_registry_list(ring_path, info, 4), 0, "both readers are gone");
	ringshm_close(r);
}

Test(ringshm, refuses_fifo_without_hanging)
{
	tmp_ring("fifo");
	cr_assert_eq(mkfifo(ring_path, 0600), 0);
	refused(EPROTO, "not a regular file", NULL);
}

/* AUTO falls back to /dev/shm when no hugetlbfs mount fits, and says so without failing. */
Test(ringshm_system, auto_falls_back_to_shm_with_a_warning, .fini = name_cleanup)
{
	struct ringshm_params p = { .capacity = 4 * CHUNK,
				    .chunk_size = CHUNK,
				    .group = fctest_ring_group() };
	struct ringshm_error err = { 0 };
	struct ringshm *r;

	need_root("rings by name in the system's " RINGSHM_SHM_DIR);
	need_hugepages(0); /* a mount the 256 KiB ring does not fit: the fallback's reason */
	snprintf(name_dir, sizeof(name_dir), "/tmp/rstest-dir-%d", (int)getpid());
	snprintf(name_buf, sizeof(name_buf), "rstest%d", (int)getpid());
	p.dir = name_dir;
	/* 256 KiB cannot live on 2 MiB pages. */
	r = ringshm_create(name_buf, &p, &err);
	cr_assert_not_null(r, "%s", err.msg);
	snprintf(name_target, sizeof(name_target), "%s", ringshm_path(r));
	cr_assert_eq(err.code, 0);
	cr_assert(strstr(err.msg, "warning: ring") && strstr(err.msg, "/dev/shm") &&
			  strstr(err.msg, "multiple of the page size"),
		  "%s", err.msg);
	cr_assert_eq(ringshm_ctl(r)->backing, RINGSHM_BACKING_SHM);
	/* In the private directory, never in /dev/shm (1777) itself. */
	{
		char want[PATH_MAX];

		snprintf(want, sizeof(want), "%s/%s", RINGSHM_SHM_DIR, name_buf);
		cr_assert_str_eq(name_target, want);
	}
	ringshm_close(r);
	name_cleanup();
	name_target[0] = '\0';
	/* Forced hugetlbfs: an error, not a fallback. */
	p.backing = RINGSHM_BACKING_HUGETLBFS;
	cr_assert_null(ringshm_create(name_buf, &p, &err));
	cr_assert_eq(err.code, -EINVAL, "%s", err.msg);
}

/* ringshm_put writes exactly what alloc + memcpy would, for every length (both copy paths). */
Test(ringshm, put_writes_every_length)
{
	struct ringshm *r = mk_ring(tmp_ring("put"), 4 * CHUNK);
	struct ringshm_reader *rd = mk_reader(ring_path);
	struct ringshm_record rec;
	uint8_t src[2048];
	uint64_t n = 0, got = 0;

	cr_assert_eq(ringshm_reader_seek(rd, RINGSHM_FROM_NEWEST, 0), 0);
	for (uint32_t len = 0; len <= 1600; len++, n++) {
		fill(src, len, n);
		if (n % 2) {
			ringshm_put(r, src, len, len + 4, 1000 * n, 3, RINGSHM_F_TS_SRC_NIC);
		} else {
			memcpy(ringshm_alloc(r, len, len + 4, 1000 * n, 3, RINGSHM_F_TS_SRC_NIC),
			       src, len);
		}
		if (n % 7 == 6) {
			ringshm_commit(r);
			while (ringshm_reader_next(rd, &rec) == 1) {
				cr_assert_eq(rec.cap_len, got);
				cr_assert_eq(rec.wire_len, got + 4);
				cr_assert_eq(rec.ts_ns, 1000 * got);
				cr_assert_eq(rec.port, 3);
				cr_assert_eq(rec.flags, RINGSHM_F_TS_SRC_NIC | RINGSHM_F_TRUNCATED);
				cr_assert(check(rec.data, rec.cap_len, got), "length %llu",
					  (unsigned long long)got);
				cr_assert(ringshm_reader_done(rd));
				got++;
			}
		}
	}
	cr_assert_eq(got, 1596);
	cr_assert_eq(ringshm_ctl(r)->counters.frames, 1596);
	cr_assert_eq(ringshm_ctl(r)->counters.truncated, 1596);
	ringshm_reader_close(rd);
	ringshm_close(r);
}

/*
 * ringshm_put_burst writes, frame for frame, what ringshm_put does, on both sides of the size
 * where it changes from copies through the cache to streaming stores, and around every copy
 * width; each frame in a buffer of exactly its length, so a read past it is a sanitizer error.
 * Bursts of 1 to 32 frames, across chunk ends.
 */
Test(ringshm, put_burst_writes_what_put_writes)
{
	static const uint32_t lens[] = { 0,   1,   14,	15,  16,  17,  31,  32,	 33,  47,
					 48,  63,  64,	65,  95,  96,  127, 128, 129, 200,
					 255, 256, 257, 318, 319, 320, 321, 335, 511, 1500 };
	const uint32_t nlens = sizeof(lens) / sizeof(lens[0]);
	struct ringshm *r = mk_ring(tmp_ring("burst"), 4 * CHUNK);
	struct ringshm_reader *rd = mk_reader(ring_path);
	struct ringshm_frame f[32];
	uint8_t *buf[32];
	struct ringshm_record rec;
	uint64_t n = 0, got = 0;

	cr_assert_eq(ringshm_reader_seek(rd, RINGSHM_FROM_NEWEST, 0), 0);
	for (uint32_t round = 0; round < 400; round++) {
		const uint32_t burst = 1 + round % 32;

		for (uint32_t i = 0; i < burst; i++, n++) {
			const uint32_t len = lens[n % nlens];

			buf[i] = malloc(len ? len : 1);
			cr_assert_not_null(buf[i]);
			fill(buf[i], len, n);
			f[i] = (struct ringshm_frame){ .data = buf[i],
						       .ts_ns = 7 * n,
						       .cap_len = len,
						       .wire_len = len + (uint32_t)(n % 2),
						       .flags = RINGSHM_F_TS_SRC_TSC,
						       .port = (uint8_t)(n % 5) };
		}
		if (round % 2) {
			ringshm_put_burst(r, f, burst);
		} else {
			for (uint32_t i = 0; i < burst; i++) {
				ringshm_put(r, f[i].data, f[i].cap_len, f[i].wire_len, f[i].ts_ns,
					    f[i].port, f[i].flags);
			}
		}
		ringshm_commit(r);
		for (uint32_t i = 0; i < burst; i++) {
			free(buf[i]);
		}
		while (ringshm_reader_next(rd, &rec) == 1) {
			const uint32_t len = lens[got % nlens];

			cr_assert_eq(rec.cap_len, len, "frame %llu", (unsigned long long)got);
			cr_assert_eq(rec.wire_len, len + got % 2);
			cr_assert_eq(rec.ts_ns, 7 * got);
			cr_assert_eq(rec.port, got % 5);
			cr_assert_eq(rec.flags,
				     RINGSHM_F_TS_SRC_TSC | (got % 2 ? RINGSHM_F_TRUNCATED : 0));
			cr_assert(check(rec.data, rec.cap_len, got), "frame %llu, %u bytes",
				  (unsigned long long)got, len);
			cr_assert(ringshm_reader_done(rd), "frame %llu not lapped",
				  (unsigned long long)got);
			got++;
		}
	}
	cr_assert_eq(got, n);
	cr_assert_eq(ringshm_ctl(r)->counters.frames, n);
	cr_assert_gt(ringshm_ctl(r)->claim, 4 * CHUNK, "the ring wrapped");
	ringshm_reader_close(rd);
	ringshm_close(r);
}

Test(ringshm, put_cuts_oversized_frames)
{
	struct ringshm *r = mk_ring(tmp_ring("putbig"), 4 * CHUNK);
	struct ringshm_reader *rd = mk_reader(ring_path);
	static uint8_t big[CHUNK + 100];
	struct ringshm_record rec;

	fill(big, sizeof(big), 9);
	ringshm_put(r, big, sizeof(big), sizeof(big), 1, 0, 0);
	ringshm_commit(r);
	cr_assert_eq(ringshm_reader_next(rd, &rec), 1);
	cr_assert_eq(rec.cap_len, ringshm_max_caplen(r));
	cr_assert_eq(rec.wire_len, 65535);
	cr_assert_eq(rec.flags, RINGSHM_F_TRUNCATED | RINGSHM_F_WIRE_CLAMPED);
	cr_assert(check(rec.data, rec.cap_len, 9));
	cr_assert_eq((rec.pos & (CHUNK - 1)) + ringshm_rec_size(rec.cap_len), CHUNK,
		     "the largest record fills a chunk exactly");
	cr_assert(ringshm_reader_done(rd));
	ringshm_reader_close(rd);
	ringshm_close(r);
}

/* ------------------------------------------------------------------ the format, independently */

static uint32_t crc32_of(const uint8_t *p, uint32_t len)
{
	uint32_t c = 0xffffffffu;

	for (uint32_t i = 0; i < len; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++) {
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
		}
	}
	return ~c;
}

/* The library's view, in the Python reader's output format. */
static void lib_lines(const char *path, enum ringshm_from from, uint64_t ts, char *out,
		      size_t outlen)
{
	struct ringshm_reader *rd = mk_reader(path);
	struct ringshm_reader_stats st;
	struct ringshm_record rec;
	size_t n = 0;

	cr_assert_eq(ringshm_reader_seek(rd, from, ts), 0);
	while (ringshm_reader_next(rd, &rec) == 1) {
		n += (size_t)snprintf(out + n, outlen - n, "%u %llu %llu %llu %u %u %u %u %u\n",
				      rec.type, (unsigned long long)rec.seq,
				      (unsigned long long)rec.pos, (unsigned long long)rec.ts_ns,
				      rec.cap_len, rec.wire_len, rec.port, rec.flags,
				      crc32_of(rec.data, rec.cap_len));
		cr_assert_lt(n, outlen);
		cr_assert(ringshm_reader_done(rd));
	}
	ringshm_reader_stats(rd, &st);
	snprintf(out + n, outlen - n, "lost %llu\n", (unsigned long long)st.lost_records);
	ringshm_reader_close(rd);
}

static void py_lines(const char *path, const char *ts, char *out, size_t outlen)
{
	char cmd[PATH_MAX * 2];
	size_t n = 0, k;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "bash %s/tests/integration/ringshm_pyreader.sh %s %s",
		 FEEDCAP_SOURCE_DIR, path, ts ? ts : "");
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	while ((k = fread(out + n, 1, outlen - 1 - n, f)) > 0) {
		n += k;
	}
	out[n] = '\0';
	cr_assert_eq(pclose(f), 0, "the Python reader failed: %s", cmd);
}

/*
 * A reader written from docs/ring-format.md alone, in another language, sees exactly what the
 * library sees: every record from the oldest held, and from a time, across laps, padding,
 * markers and a producer restart.
 */
Test(ringshm, format_doc_is_enough_for_another_reader, .timeout = 60)
{
	static char lib[4 << 20], py[4 << 20];
	struct ringshm_loss_payload lp = { .nic_imissed = 3 };
	uint64_t base = rs_now_ns() - 10000000000ull, n, mid = 0;
	struct ringshm *r = mk_ring(tmp_ring("pyfmt"), 8 * CHUNK);
	char ts[32];

	for (n = 0; n < 3000; n++) {
		put_frame(r, (uint32_t)(1 + (n * 37) % 1400), n);
		if (n % 16 == 15) {
			ringshm_commit(r);
		}
		if (n == 2500) {
			ringshm_marker(r, RINGSHM_REC_LOSS, &lp, sizeof(lp), base + 1000 * n);
		}
	}
	ringshm_commit(r);
	ringshm_close(r);
	r = mk_ring(ring_path, 8 * CHUNK); /* epoch 2: PADs, an EPOCH record */
	for (n = 3000; n < 3400; n++) {
		ringshm_put(r, (uint8_t[1024]){ (uint8_t)n }, (uint32_t)(n % 1000), 1500,
			    rs_now_ns(), 1, RINGSHM_F_TS_SRC_SYS);
		if (n == 3200) {
			mid = rs_now_ns();
			ringshm_commit(r);
		}
	}
	ringshm_commit(r);
	ringshm_close(r);

	lib_lines(ring_path, RINGSHM_FROM_OLDEST, 0, lib, sizeof(lib));
	py_lines(ring_path, NULL, py, sizeof(py));
	cr_assert_gt(strlen(lib), 10000, "enough records held to compare");
	cr_assert_str_eq(py, lib, "oldest: Python and the library disagree");
	cr_assert(strstr(lib, "\n5 "), "the EPOCH record is among them");

	snprintf(ts, sizeof(ts), "%llu", (unsigned long long)mid);
	lib_lines(ring_path, RINGSHM_FROM_TIME, mid, lib, sizeof(lib));
	py_lines(ring_path, ts, py, sizeof(py));
	cr_assert_str_eq(py, lib, "from a time: Python and the library disagree");
	cr_assert_lt(strlen(lib), 30000, "the time search skipped the older records");

	/* The registry, too. */
	struct ringshm_reader *a = mk_reader(ring_path), *b = mk_reader(ring_path);
	struct ringshm_reader_info info[4];
	struct ringshm_record rec;
	size_t off = 0;
	int nr;

	cr_assert_eq(ringshm_reader_register(a, "pyfmt-a", NULL), 0);
	cr_assert_eq(ringshm_reader_register(b, "pyfmt-b", NULL), 0);
	cr_assert_eq(ringshm_reader_seek(a, RINGSHM_FROM_OLDEST, 0), 0);
	while (ringshm_reader_next(a, &rec) == 1) {
		ringshm_reader_done(a);
	}
	cr_assert_eq(ringshm_reader_wait(a, 1000), -ETIMEDOUT); /* publishes */
	ringshm_reader_note_error(b, EIO, "EIO on /srv/x y/md.pcap.part");
	ringshm_reader_note_error(b, ENOSPC, "ENOSPC on /srv/x y/md.pcap.part");
	ringshm_reader_note_blocked(b, true);
	nr = ringshm_registry_list(ring_path, info, 4);
	cr_assert_eq(nr, 2);
	for (int i = 0; i < nr; i++) {
		off += (size_t)snprintf(
			lib + off, sizeof(lib) - off, "%s %llu %llu %llu %llu %llu %d %d %llu %s\n",
			info[i].name, (unsigned long long)info[i].pid,
			(unsigned long long)info[i].pos, (unsigned long long)info[i].delivered,
			(unsigned long long)info[i].lost_records,
			(unsigned long long)info[i].write_errors, info[i].blocked,
			info[i].last_errno, (unsigned long long)info[i].last_error_ns,
			info[i].last_error);
	}
	py_lines(ring_path, "--registry", py, sizeof(py));
	cr_assert_str_eq(py, lib, "registry: Python and the library disagree");
	cr_assert(strstr(lib, "pyfmt-a") && strstr(lib, "pyfmt-b"));
	cr_assert(strstr(lib, " 2 1 28 "), "the writer status is among what is compared: %s", lib);
	ringshm_reader_close(a);
	ringshm_reader_close(b);

	/* And it refuses what the library refuses. */
	char cmd[PATH_MAX * 2];
	int status;

	poke(0, "GARBAGE!", 8);
	refused(EPROTO, "not a feedcap ring", NULL);
	snprintf(cmd, sizeof(cmd),
		 "bash %s/tests/integration/ringshm_pyreader.sh %s 2>/dev/null >/dev/null",
		 FEEDCAP_SOURCE_DIR, ring_path);
	status = system(cmd);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 3, "status %#x", status);
}

/* The link in DIR lost (DIR on a tmpfs that was cleared): the ring file is found again. */
Test(ringshm_system, relinks_an_existing_ring_file, .fini = name_cleanup)
{
	struct ringshm_params p = { .capacity = 4 * CHUNK,
				    .group = fctest_ring_group(),
				    .chunk_size = CHUNK,
				    .backing = RINGSHM_BACKING_SHM,
				    .no_lock = true };
	struct ringshm_error err = { 0 };
	struct ringshm *r;
	char link[512];

	need_root("rings by name in the system's " RINGSHM_SHM_DIR);
	snprintf(name_dir, sizeof(name_dir), "/tmp/rstest-dir-%d", (int)getpid());
	snprintf(name_buf, sizeof(name_buf), "rstest%d", (int)getpid());
	snprintf(link, sizeof(link), "%s/%s", name_dir, name_buf);
	p.dir = name_dir;
	r = ringshm_create(name_buf, &p, &err);
	cr_assert_not_null(r, "%s", err.msg);
	snprintf(name_target, sizeof(name_target), "%s", ringshm_path(r));
	put_frame(r, 100, 1);
	ringshm_commit(r);
	ringshm_close(r);
	cr_assert_eq(unlink(link), 0);
	r = ringshm_create(name_buf, &p, &err);
	cr_assert_not_null(r, "%s", err.msg);
	cr_assert_str_eq(ringshm_path(r), name_target);
	cr_assert_eq(ringshm_ctl(r)->epoch, 2, "the same file, a new epoch");
	cr_assert_eq(ringshm_ctl(r)->counters.frames, 1);
	ringshm_close(r);
}

/* A reader waiting on a quiet ring sleeps: it must not burn the core it waits on. */
Test(ringshm, idle_wait_does_not_spin)
{
	struct ringshm *r = mk_ring(tmp_ring("idle"), 1 << 20);
	struct ringshm_reader *rd = mk_reader(ring_path);
	struct rusage a, b;
	double cpu;

	getrusage(RUSAGE_SELF, &a);
	for (int i = 0; i < 5; i++) {
		cr_assert_eq(ringshm_reader_wait(rd, 100000000), -ETIMEDOUT);
	}
	getrusage(RUSAGE_SELF, &b);
	cpu = (double)(b.ru_utime.tv_sec - a.ru_utime.tv_sec + b.ru_stime.tv_sec -
		       a.ru_stime.tv_sec) +
	      (double)(b.ru_utime.tv_usec - a.ru_utime.tv_usec + b.ru_stime.tv_usec -
		       a.ru_stime.tv_usec) *
		      1e-6;
	cr_assert_lt(cpu, 0.1, "0.5 s of waiting used %.3f s of CPU", cpu);
	ringshm_reader_close(rd);
	ringshm_close(r);
}

/*
 * A hugetlbfs ring smaller than a huge page (1 MiB on 2 MiB pages), by path and by name: refused
 * before any file is made, and the message names the size, the page size and what to ask for
 * instead (not "cannot size the ring: Invalid argument").  2 MiB, the smallest size it names,
 * then works at the same path.
 */
Test(ringshm_system, hugetlbfs_ring_smaller_than_a_page_says_what_fits, .fini = name_cleanup)
{
	struct ringshm_params p = { .capacity = UINT64_C(1) << 20,
				    .group = fctest_ring_group(),
				    .chunk_size = 256u << 10,
				    .backing = RINGSHM_BACKING_HUGETLBFS };
	struct ringshm_error err = { 0 };
	struct ringshm *r;
	char path[128], tmp[160];

	need_hugepages(2);
	snprintf(path, sizeof(path), "/dev/hugepages/rstest-small-%d", (int)getpid());
	unlink(path);
	cr_assert_null(ringshm_create(path, &p, &err));
	cr_assert_eq(err.code, -EINVAL, "%s", err.msg);
	cr_assert_eq(errno, EINVAL);
	cr_assert(
		strstr(err.msg, path) &&
			strstr(err.msg,
			       "a ring of 1 MiB (1048576 bytes) cannot live on 2 MiB hugepages") &&
			strstr(err.msg, "ask for 2 MiB or more"),
		"%s", err.msg);
	cr_assert(access(path, F_OK) != 0, "%s was made anyway", path);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	cr_assert(access(tmp, F_OK) != 0, "%s was left behind", tmp);

	/* By name: the mount's 2 MiB pages are named, not a larger page size tried after. */
	snprintf(name_dir, sizeof(name_dir), "/tmp/rstest-dir-%d", (int)getpid());
	snprintf(name_buf, sizeof(name_buf), "rstest-small%d", (int)getpid());
	p.dir = name_dir;
	memset(&err, 0, sizeof(err));
	cr_assert_null(ringshm_create(name_buf, &p, &err));
	cr_assert_eq(err.code, -EINVAL, "%s", err.msg);
	cr_assert(strstr(err.msg, "cannot live on 2 MiB hugepages") &&
			  strstr(err.msg, "ask for 2 MiB or more"),
		  "%s", err.msg);

	/* What the message asks for works. */
	p.dir = NULL;
	p.capacity = UINT64_C(2) << 20;
	r = ringshm_create(path, &p, &err);
	cr_assert_not_null(r, "%s", err.msg);
	cr_assert_eq(ringshm_ctl(r)->capacity, UINT64_C(2) << 20);
	ringshm_close(r);
	unlink(path);
	snprintf(tmp, sizeof(tmp), "%s.readers", path);
	unlink(tmp);
}
