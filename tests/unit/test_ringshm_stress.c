/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ringshm_stress.c - the ring under fire: a producer process writing as fast as it can,
 * records that carry their own sequence number and checksum, and reader processes, one of
 * them slow enough to be lapped again and again.  Every record a reader accepts is checked;
 * for every reader, delivered + lost == produced, exactly.
 *
 * A negative control proves the test can fail: a reader with the final claim check switched
 * off (an internal test hook) accepts overwritten records, and this test sees them.
 *
 * FEEDCAP_STRESS_SECONDS sets the main run's duration (default 20).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ringshm.h"
#include "ringshm_internal.h"

enum reader_kind { FAST, SLOW, UNCHECKED };

struct reader_result {
	uint64_t delivered, lost, lost_bytes, overruns;
	uint64_t frames_ok;    /* delivered frames whose checksum held */
	uint64_t bad_accepted; /* done() said intact, the checksum said otherwise */
	uint64_t bad_discarded;
	uint64_t epochs;
	int err; /* nonzero: the reader failed (see code) */
	int ready;
	int finished;
};

struct shared {
	int go;
	int producer_done;
	uint64_t produced; /* records: next_seq - 1 at the end */
	uint64_t frames;
	struct reader_result r[4];
};

static char ring_path[PATH_MAX];
static struct shared *sh;

static void cleanup(void)
{
	char p[PATH_MAX + 16];

	unlink(ring_path);
	snprintf(p, sizeof(p), "%s.readers", ring_path);
	unlink(p);
}

/* A record's payload: seq, checksum, then words that depend on seq. */
static inline uint64_t word(uint64_t seq, uint64_t i)
{
	uint64_t z = seq * 0x9e3779b97f4a7c15ull + i * 0xbf58476d1ce4e5b9ull;

	return z ^ (z >> 29);
}

static inline uint32_t payload_len(uint64_t seq)
{
	return 24 + 8 * (uint32_t)(word(seq, 99) % 186); /* 24 .. 1504 bytes */
}

static void write_payload(uint64_t *w, uint32_t len, uint64_t seq)
{
	uint64_t sum = len;
	uint32_t n = len / 8;

	w[0] = seq;
	for (uint32_t i = 2; i < n; i++) {
		w[i] = word(seq, i);
		sum += w[i] * (2 * i + 1);
	}
	w[1] = sum;
}

/* Checked in place, in the shared mapping, as a zero-copy reader would use it. */
static bool payload_ok(const volatile uint64_t *w, uint32_t len, uint64_t seq)
{
	uint64_t sum = len;
	uint32_t n = len / 8;

	if (len < 24 || len % 8 || w[0] != seq) {
		return false;
	}
	for (uint32_t i = 2; i < n; i++) {
		sum += w[i] * (2 * i + 1);
	}
	return sum == w[1];
}

static uint64_t now_ns(void)
{
	return rs_mono_ns();
}

static void producer(struct ringshm *r, double seconds)
{
	uint64_t seq = ringshm_ctl(r)->next_seq, frames = 0;
	static uint64_t buf[2048 / 8];
	uint64_t end = now_ns() + (uint64_t)(seconds * 1e9);

	while (!__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE)) {
		usleep(1000);
	}
	do {
		for (int i = 0; i < 32; i++, seq++, frames++) {
			uint32_t len = payload_len(seq);

			/* Both write paths: in place, and streaming stores (their fences matter). */
			if (seq & 1) {
				write_payload(
					ringshm_alloc(r, len, len, seq, 0, RINGSHM_F_TS_SRC_TSC),
					len, seq);
			} else {
				write_payload(buf, len, seq);
				ringshm_put(r, buf, len, len, seq, 0, RINGSHM_F_TS_SRC_TSC);
			}
		}
		ringshm_commit(r);
	} while ((frames & 0x3ff) || now_ns() < end);
	sh->produced = ringshm_ctl(r)->next_seq - 1;
	sh->frames = frames;
	ringshm_close(r);
	__atomic_store_n(&sh->producer_done, 1, __ATOMIC_RELEASE);
}

static void reader(int idx, enum reader_kind kind)
{
	struct reader_result *res = &sh->r[idx];
	struct ringshm_reader_stats st;
	struct ringshm_error err = { 0 };
	struct ringshm_reader *rd = ringshm_reader_open(ring_path, &err);
	struct ringshm_record rec;
	uint64_t n = 0;
	int rc;

	if (!rd) {
		res->err = 1;
		return;
	}
	if (kind == UNCHECKED) {
		ringshm__test_skip_final_check(rd, true);
	}
	if (ringshm_reader_seek(rd, RINGSHM_FROM_OLDEST, 0) != 0) {
		res->err = 2;
		return;
	}
	__atomic_store_n(&res->ready, 1, __ATOMIC_RELEASE);
	for (;;) {
		rc = ringshm_reader_next(rd, &rec);
		if (rc < 0) {
			res->err = 3;
			break;
		}
		if (rc == 0) {
			if (__atomic_load_n(&sh->producer_done, __ATOMIC_ACQUIRE) &&
			    ringshm_reader_next(rd, &rec) == 0) {
				break;
			}
			ringshm_reader_wait(rd, 10000000);
			continue;
		}
		n++;
		/* The slow reader sleeps in the middle of using a record, and between records. */
		if (kind == SLOW && n % 512 == 0) {
			usleep(2000);
		}
		if (kind == UNCHECKED && n % 32 == 0) {
			usleep(50);
		}
		bool ok =
			rec.type != RINGSHM_REC_FRAME || payload_ok(rec.data, rec.cap_len, rec.seq);
		bool intact = ringshm_reader_done(rd);

		if (intact && ok && rec.type == RINGSHM_REC_FRAME) {
			res->frames_ok++;
		}
		if (intact && !ok) {
			res->bad_accepted++;
		}
		if (!intact && !ok) {
			res->bad_discarded++;
		}
		if (kind == SLOW && n % 4096 == 0) {
			usleep(5000);
		}
	}
	ringshm_reader_stats(rd, &st);
	res->delivered = st.delivered;
	res->lost = st.lost_records;
	res->lost_bytes = st.lost_bytes;
	res->overruns = st.overruns;
	res->epochs = st.epochs_seen;
	ringshm_reader_close(rd);
	__atomic_store_n(&res->finished, 1, __ATOMIC_RELEASE);
}

/* Run a producer and readers of the given kinds; returns when all are done. */
static void run(const char *tag, uint64_t capacity, const enum reader_kind *kinds, int nreaders,
		double seconds)
{
	struct ringshm_params p = { .capacity = capacity, .chunk_size = 64 << 10, .no_lock = true };
	struct ringshm_error err = { 0 };
	struct ringshm *r;
	pid_t pids[5];
	int status;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(sh, MAP_FAILED);
	snprintf(ring_path, sizeof(ring_path), "/dev/shm/rstest-stress-%s-%d", tag, (int)getpid());
	cleanup();
	r = ringshm_create(ring_path, &p, &err);
	cr_assert_not_null(r, "%s", err.msg);
	for (int i = 0; i < nreaders; i++) {
		pids[i] = fork();
		cr_assert_geq(pids[i], 0);
		if (pids[i] == 0) {
			reader(i, kinds[i]);
			_exit(0);
		}
	}
	pids[nreaders] = fork();
	cr_assert_geq(pids[nreaders], 0);
	if (pids[nreaders] == 0) {
		producer(r, seconds);
		_exit(0);
	}
	for (int i = 0; i < nreaders; i++) {
		while (!__atomic_load_n(&sh->r[i].ready, __ATOMIC_ACQUIRE) && !sh->r[i].err) {
			usleep(1000);
		}
	}
	__atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);
	for (int i = 0; i <= nreaders; i++) {
		waitpid(pids[i], &status, 0);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "process %d: status %#x",
			  i, status);
	}
	cr_log_info("%s: produced %llu records (%llu frames) in %.0f s", tag,
		    (unsigned long long)sh->produced, (unsigned long long)sh->frames, seconds);
	for (int i = 0; i < nreaders; i++) {
		struct reader_result *x = &sh->r[i];

		cr_log_info(
			"  reader %d (%s): delivered %llu lost %llu (%llu bytes) overruns %llu, checksum failures accepted %llu discarded %llu",
			i,
			kinds[i] == FAST   ? "fast"
			: kinds[i] == SLOW ? "slow"
					   : "unchecked",
			(unsigned long long)x->delivered, (unsigned long long)x->lost,
			(unsigned long long)x->lost_bytes, (unsigned long long)x->overruns,
			(unsigned long long)x->bad_accepted, (unsigned long long)x->bad_discarded);
	}
	ringshm_close(r); /* the parent's copy of the handle (the child closed its own) */
}

static double stress_seconds(void)
{
	const char *s = getenv("FEEDCAP_STRESS_SECONDS");
	double v = s ? atof(s) : 20.0;

	return v > 0 ? v : 20.0;
}

TestSuite(ringshm_stress, .fini = cleanup, .timeout = 120);

Test(ringshm_stress, producer_and_three_readers)
{
	static const enum reader_kind kinds[] = { FAST, FAST, SLOW };

	run("main", 8u << 20, kinds, 3, stress_seconds());
	cr_assert_gt(sh->frames, 100000, "the producer must have run");
	for (int i = 0; i < 3; i++) {
		struct reader_result *x = &sh->r[i];

		cr_assert_eq(x->err, 0, "reader %d failed (%d)", i, x->err);
		cr_assert(x->finished);
		cr_assert_eq(x->bad_accepted, 0, "reader %d accepted %llu corrupt records", i,
			     (unsigned long long)x->bad_accepted);
		cr_assert_eq(x->delivered + x->lost, sh->produced,
			     "reader %d: delivered %llu + lost %llu != produced %llu", i,
			     (unsigned long long)x->delivered, (unsigned long long)x->lost,
			     (unsigned long long)sh->produced);
		cr_assert_gt(x->frames_ok, 0);
		cr_assert_gt(x->delivered, 0);
	}
	cr_assert_geq(sh->r[2].overruns, 3, "the slow reader must be lapped again and again");
	cr_assert_gt(sh->r[2].lost, 0);
}

/*
 * The negative control: without the final claim check a reader accepts records the producer
 * overwrote while they were in use; with it (the second reader, same behaviour) none.
 */
Test(ringshm_stress, negative_control_without_final_check)
{
	static const enum reader_kind kinds[] = { UNCHECKED, FAST };
	double s = stress_seconds() < 4 ? stress_seconds() : 4;

	run("control", 256u << 10, kinds, 2, s);
	cr_assert_eq(sh->r[0].err, 0);
	cr_assert_gt(
		sh->r[0].bad_accepted, 0,
		"without the final claim check, overwritten records must get through (else this test proves nothing)");
	cr_assert_eq(sh->r[1].bad_accepted, 0);
	cr_assert_eq(sh->r[1].delivered + sh->r[1].lost, sh->produced);
}
