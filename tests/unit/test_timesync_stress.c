/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_timesync_stress.c - the model cell's seqlock under a writer and readers hammering it,
 * in threads and in processes sharing memory.  Every model the writer stores is
 * self-consistent (all fields derived from one number k); a reader that ever sees fields of two
 * different k saw a half-written model.
 *
 * The negative control copies the same words without the seqlock and must see torn copies:
 * it proves the check would catch tearing, so a pass means something.
 *
 * FEEDCAP_STRESS_SECONDS sets the duration (the `stress` label runs it long; the `unit` label
 * runs a short version of the same tests).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fctest.h"
#include "timesync.h"
#include "ringshm.h"

/* New models a reader must have seen for the run to prove anything. */
#define MIN_CHANGES 100u

struct shared {
	struct timesync_cell cell;
	_Atomic int stop;
	_Atomic uint64_t stores;
};

static double duration_s(void)
{
	const char *s = getenv("FEEDCAP_STRESS_SECONDS");

	return s != NULL ? atof(s) : 0.5;
}

static void model_of(uint64_t k, struct timesync_model *m)
{
	memset(m, 0, sizeof(*m));
	m->base_counter = k;
	m->base_ns = k * 3 + 1;
	m->mult = k * 5 + 2;
	m->computed_ns = ~k;
	m->err_ns = (uint32_t)(k * 7);
	m->shift = (uint16_t)(k & 63);
	m->rec_flags = (uint16_t)(k * 11);
	m->flags = (uint16_t)(k * 13);
	m->state = (uint8_t)(k * 17);
	m->source = (uint8_t)(k * 19);
	m->generation = (uint32_t)(k * 23);
}

static bool consistent(const struct timesync_model *m)
{
	static const struct timesync_model zero;
	struct timesync_model want;

	if (memcmp(m, &zero, sizeof(zero)) == 0) {
		return true; /* the cell as initialised, before the first store */
	}
	model_of(m->base_counter, &want);
	return memcmp(m, &want, sizeof(want)) == 0;
}

static uint64_t now_ns(void);

static void *writer(void *arg)
{
	struct shared *s = arg;
	struct timesync_model m;
	uint64_t k = 1;
	/* A hard stop of its own: a writer must never outlive a test that failed. */
	uint64_t end = now_ns() + (uint64_t)(duration_s() * 1e9) + UINT64_C(30000000000);

	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		if ((k & 1023) == 0 && now_ns() > end) {
			break;
		}
		model_of(k++, &m);
		timesync_cell_store(&s->cell, &m);
		atomic_store_explicit(&s->stores, k, memory_order_relaxed);
	}
	return NULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Read for `secs`; returns torn copies seen (seqlock path); *reads counts refreshes. */
static uint64_t reader_loop(struct shared *s, double secs, uint64_t *reads, uint64_t *changes)
{
	struct timesync_model m;
	uint32_t seen = 1;
	uint64_t torn = 0, now = now_ns(), last_k = 0;
	uint64_t end = now + (uint64_t)(secs * 1e9);
	/* On a loaded machine a reader may get little CPU while the writer runs: keep going
	 * (up to 20 s more) until it has really raced the writer MIN_CHANGES times. */
	uint64_t hard_end = end + UINT64_C(20000000000);

	*reads = 0;
	*changes = 0;
	while ((now = now_ns()) < end || (*changes < MIN_CHANGES && now < hard_end)) {
		int i;

		for (i = 0; i < 1000; i++) {
			if (timesync_cell_refresh(&s->cell, &m, &seen)) {
				if (!consistent(&m)) {
					torn++;
				}
				/* The writer only moves forward: so must what a reader sees. */
				if (m.base_counter < last_k) {
					torn++;
				}
				last_k = m.base_counter;
				(*changes)++;
			}
			(*reads)++;
		}
		/* The waiting load: always consistent, never older than what was seen. */
		timesync_cell_load(&s->cell, &m);
		if (!consistent(&m) || m.base_counter < last_k) {
			torn++;
		}
		if (m.base_counter != last_k) {
			(*changes)++;
		}
		last_k = m.base_counter;
	}
	return torn;
}

static struct shared *shared_map(void)
{
	struct shared *s =
		mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	cr_assert_neq(s, MAP_FAILED);
	memset(s, 0, sizeof(*s));
	timesync_cell_init(&s->cell);
	return s;
}

Test(seqlock, threads_never_see_a_half_written_model, .timeout = 600)
{
	struct shared *s = shared_map();
	pthread_t w;
	uint64_t reads, changes, torn;

	cr_assert_eq(pthread_create(&w, NULL, writer, s), 0);
	torn = reader_loop(s, duration_s(), &reads, &changes);
	atomic_store(&s->stop, 1);
	pthread_join(w, NULL);
	cr_log_info("threads: %llu reads, %llu new models seen, %llu stores",
		    (unsigned long long)reads, (unsigned long long)changes,
		    (unsigned long long)atomic_load(&s->stores));
	cr_assert_eq(torn, 0u, "%llu torn models", (unsigned long long)torn);
	cr_assert_geq(changes, MIN_CHANGES, "the reader must actually race the writer");
	munmap(s, sizeof(*s));
}

Test(seqlock, processes_never_see_a_half_written_model, .timeout = 600)
{
	struct shared *s = shared_map();
	pid_t pids[2];
	int i;

	/* Writer process and two reader processes on one shared mapping (the ring's case). */
	pids[0] = fork();
	cr_assert_geq(pids[0], 0);
	if (pids[0] == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		writer(s);
		_exit(0);
	}
	for (i = 0; i < 1; i++) {
		pids[1 + i] = fork();
		cr_assert_geq(pids[1 + i], 0);
		if (pids[1 + i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			uint64_t reads, changes,
				torn = reader_loop(s, duration_s(), &reads, &changes);

			_exit(torn != 0 ? 1 : changes < MIN_CHANGES ? 2 : 0);
		}
	}
	{
		uint64_t reads, changes, torn = reader_loop(s, duration_s(), &reads, &changes);
		int rst, wst;

		/* Stop and reap the children before any assertion can end this process. */
		waitpid(pids[1], &rst, 0);
		atomic_store(&s->stop, 1);
		waitpid(pids[0], &wst, 0);
		cr_assert_eq(torn, 0u);
		cr_assert_geq(changes, MIN_CHANGES);
		cr_assert(WIFEXITED(rst) && WEXITSTATUS(rst) == 0, "reader process: status %d",
			  rst);
		cr_assert(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
	}
	munmap(s, sizeof(*s));
}

/* The same reads without the seqlock: must tear, or the test above proves nothing. */
Test(seqlock, negative_control_unprotected_copy_tears, .timeout = 600)
{
	struct shared *s = shared_map();
	pthread_t w;
	uint64_t torn = 0, copies = 0, end;

	cr_assert_eq(pthread_create(&w, NULL, writer, s), 0);
	/* Stops at the first tear; a loaded machine may take longer to show one. */
	end = now_ns() + (uint64_t)(duration_s() * 1e9) + UINT64_C(20000000000);
	while (now_ns() < end && torn == 0) {
		int i;

		for (i = 0; i < 1000; i++) {
			uint64_t wds[TIMESYNC_MODEL_WORDS];
			struct timesync_model m;
			size_t j;

			for (j = 0; j < TIMESYNC_MODEL_WORDS; j++) {
				wds[j] = atomic_load_explicit(&s->cell.w[j], memory_order_relaxed);
			}
			memcpy(&m, wds, sizeof(m));
			if (m.base_counter != 0 && !consistent(&m)) {
				torn++;
			}
			copies++;
		}
	}
	atomic_store(&s->stop, 1);
	pthread_join(w, NULL);
	cr_log_info("negative control: %llu torn of %llu copies", (unsigned long long)torn,
		    (unsigned long long)copies);
	cr_assert_gt(torn, 0u,
		     "an unprotected copy never tore: the stress test cannot see tearing");
	munmap(s, sizeof(*s));
}

/* ------------------------------------------------------------------ the ring's clock block */

/* A block whose every byte after the header derives from its generation. */
static void block_of(uint64_t k, struct timesync_block *b)
{
	uint8_t *p = (uint8_t *)&b->ptp;
	size_t i;

	timesync_block_init(b, 1000, 0);
	for (i = 0; i < sizeof(*b) - sizeof(b->hdr); i++) {
		p[i] = (uint8_t)(k * 31 + i);
	}
}

static bool block_consistent(const struct timesync_block *b)
{
	/* publish() bumps generation before copying, so block k carries generation k. */
	const uint8_t *p = (const uint8_t *)&b->ptp;
	uint64_t k = b->hdr.generation;
	size_t i;

	for (i = 0; i < sizeof(*b) - sizeof(b->hdr); i++) {
		if (p[i] != (uint8_t)(k * 31 + i)) {
			return false;
		}
	}
	return true;
}

Test(seqlock, ring_block_readers_never_see_a_half_written_block, .timeout = 600)
{
	char path[96], rpath[128];
	struct ringshm_params rp = { .capacity = 1u << 20,
				     .chunk_size = RINGSHM_MIN_CHUNK,
				     .no_lock = true,
				     .group = fctest_ring_group() };
	struct ringshm_error err = { 0 };
	struct ringshm *r;
	pid_t pid;
	int st;

	snprintf(path, sizeof(path), "/dev/shm/tsstress-%d", (int)getpid());
	snprintf(rpath, sizeof(rpath), "%s.readers", path);
	unlink(path);
	r = ringshm_create(path, &rp, &err);
	cr_assert_not_null(r, "%s", err.msg);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* Reader process: read-only mapping, as feedcap-stat would. */
		struct ringshm_reader *rd;
		struct timesync_block b;
		uint64_t end = now_ns() + (uint64_t)(duration_s() * 1e9), seen = 0, bad = 0;
		uint64_t hard_end = end + UINT64_C(20000000000), last = 0, now;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		rd = ringshm_reader_open(path, NULL);
		if (rd == NULL) {
			_exit(3);
		}
		while ((now = now_ns()) < end || (seen < MIN_CHANGES && now < hard_end)) {
			int rc = timesync_block_read(rd, &b, NULL);

			if (rc == -ENODATA || rc == -EAGAIN) {
				continue;
			}
			if (rc != 0 || !block_consistent(&b) || b.hdr.generation < last) {
				bad++;
			}
			if (b.hdr.generation != last) {
				seen++;
			}
			last = b.hdr.generation;
		}
		ringshm_reader_close(rd);
		_exit(bad != 0 ? 1 : seen < MIN_CHANGES ? 2 : 0);
	}
	{
		struct timesync_block b;
		uint64_t k = 0,
			 end = now_ns() + (uint64_t)(duration_s() * 1e9) + UINT64_C(25000000000);
		int rc = 0;

		/* Publish until the reader is done (it decides how long), within a hard cap. */
		timesync_block_init(&b, 1000, 0);
		while (waitpid(pid, &st, WNOHANG) == 0) {
			uint64_t gen = b.hdr.generation + 1;

			if (now_ns() > end) {
				kill(pid, SIGKILL);
				waitpid(pid, &st, 0);
				break;
			}
			block_of(gen, &b);
			b.hdr.generation = gen - 1;
			rc |= timesync_block_publish(r, &b);
			k++;
		}
		cr_assert_eq(rc, 0);
		ringshm_close(r);
		unlink(path);
		unlink(rpath);
		cr_log_info("ring block: %llu publishes", (unsigned long long)k);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "reader process: status 0x%x", st);
	}
}
