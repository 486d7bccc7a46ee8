/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-ringshm - the ring's producer and reader rates next to the physical limit measured in
 * the same run: a plain memcpy of the same records into (or out of) the same memory.
 *
 *	bench-ringshm [--quick] [--size MiB] [--case SIZE:READERS|SIZE:r]
 *
 * Producer: Mpps and GB/s (frame bytes) for 64, 256 and 1500-byte frames with 0, 1 and 2
 * reader processes attached (readers on the other core, copying and validating every record).
 * Reader: copy + validate rate over a full ring, against memcpy of the same payloads.
 * Every figure is the median of several runs alternating ring and memcpy.  Prints the
 * BENCH rows of bench/bench_report.h on stdout, then a human table with ratios.
 *
 * The ring is 1 GiB on 2 MiB hugepages when that many are free, else 256 MiB, else /dev/shm.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_report.h"
#include "ringshm.h"

#define MAXREP 9

static const uint32_t sizes[] = { 64, 256, 1500 };
#define NSIZES 3

struct shared {
	int stop;
	int ready[2];
	uint64_t delivered[2], lost[2], eproto[2];
};

static struct shared *sh;
static char path[256];
static int reps = 5;
static double run_s = 0.5;
static uint8_t frames[16][2048]; /* source frames, hot in cache as a NIC's mbufs would be */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		return;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* The producer as the poller uses it: bursts of 32, alloc + copy, one commit per burst. */
static double run_producer(struct ringshm *r, uint32_t len)
{
	uint64_t n = 0;
	double t0 = now_s(), t;

	for (;;) {
		for (int i = 0; i < 32; i++) {
			void *p = ringshm_alloc(r, len, len, n, 0, RINGSHM_F_TS_SRC_TSC);

			memcpy(p, frames[n & 15], len);
			n++;
		}
		ringshm_commit(r);
		if ((n & 1023) == 0 && (t = now_s()) - t0 >= run_s) {
			return (double)n / (t - t0);
		}
	}
}

/* The reference: the same records (a 32-byte header + the frame) copied into the same memory. */
static double run_memcpy_in(uint8_t *data, uint64_t capacity, uint32_t len)
{
	uint64_t n = 0, off = 0, rs = ringshm_rec_size(len);
	uint8_t hdr[32] = { 0 };
	double t0 = now_s(), t;

	for (;;) {
		for (int i = 0; i < 32; i++) {
			if (off + rs > capacity) {
				off = 0;
			}
			memcpy(data + off, hdr, sizeof(hdr));
			memcpy(data + off + 32, frames[n & 15], len);
			off += rs;
			n++;
		}
		__asm__ volatile("" ::: "memory");
		if ((n & 1023) == 0 && (t = now_s()) - t0 >= run_s) {
			return (double)n / (t - t0);
		}
	}
}

/* A reader process: copy every record out and validate it, until told to stop. */
static void reader_proc(int idx)
{
	struct ringshm_reader *rd;
	struct ringshm_reader_stats st;
	struct ringshm_record rec;
	static uint8_t buf[65536];
	uint64_t eproto = 0;
	int rc;

	pin(1);
	rd = ringshm_reader_open(path, NULL);
	if (!rd) {
		_exit(1);
	}
	__atomic_store_n(&sh->ready[idx], 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		rc = ringshm_reader_next(rd, &rec);
		if (rc == 1) {
			memcpy(buf, rec.data, rec.cap_len);
			ringshm_reader_done(rd);
		} else if (rc < 0) {
			/* The memcpy reference scribbled over old chunks: start again at the head. */
			eproto++;
			ringshm_reader_seek(rd, RINGSHM_FROM_NEWEST, 0);
		} else {
			ringshm_reader_wait(rd, 1000000);
		}
	}
	ringshm_reader_stats(rd, &st);
	sh->delivered[idx] = st.delivered;
	sh->lost[idx] = st.lost_records;
	sh->eproto[idx] = eproto;
	ringshm_reader_close(rd);
	_exit(0);
}

/* Copy + validate a whole ring from the oldest record: records per second. */
static double run_reader_full(uint64_t *count)
{
	struct ringshm_reader *rd = ringshm_reader_open(path, NULL);
	struct ringshm_record rec;
	static uint8_t buf[65536];
	uint64_t n = 0;
	double t0;

	ringshm_reader_seek(rd, RINGSHM_FROM_OLDEST, 0);
	t0 = now_s();
	while (ringshm_reader_next(rd, &rec) == 1) {
		memcpy(buf, rec.data, rec.cap_len);
		n += ringshm_reader_done(rd);
	}
	t0 = now_s() - t0;
	ringshm_reader_close(rd);
	*count = n;
	return (double)n / t0;
}

/* The reference: memcpy of the same payloads out of the same memory, record by record. */
static double run_memcpy_out(const uint8_t *data, uint64_t n, uint32_t len)
{
	static uint8_t buf[65536];
	uint64_t rs = ringshm_rec_size(len), off = 0, per_chunk = (64u << 10) / rs;
	double t0 = now_s();

	(void)per_chunk;
	for (uint64_t i = 0; i < n; i++) {
		memcpy(buf, data + off + 32, len);
		__asm__ volatile("" ::: "memory");
		off += rs;
	}
	return (double)n / (now_s() - t0);
}

struct row {
	char name[64];
	double fc[MAXREP], ref[MAXREP];
	double bytes; /* frame bytes per record, for GB/s */
};

static void print_rows(struct row *rows, int n)
{
	for (int i = 0; i < n; i++) {
		double gfc[MAXREP], gref[MAXREP];

		bench_report_row(rows[i].name, "Mpps", rows[i].fc, reps, "memcpy", rows[i].ref,
				 reps);
		for (int k = 0; k < reps; k++) {
			gfc[k] = rows[i].fc[k] * rows[i].bytes / 1e3;
			gref[k] = rows[i].ref[k] * rows[i].bytes / 1e3;
		}
		bench_report_row(rows[i].name, "GB/s", gfc, reps, "memcpy", gref, reps);
	}
}

int main(int argc, char **argv)
{
	struct ringshm_params p = { .chunk_size = RINGSHM_DEFAULT_CHUNK };
	struct ringshm_error err = { 0 };
	struct row rows[NSIZES * 3 + NSIZES];
	uint64_t size_mib = 0;
	int only_size = 0, only_readers = -1;
	char only_kind = 0;
	struct ringshm *r;
	uint8_t *data;
	int nrows = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			reps = 3;
			run_s = 0.25;
		} else if (!strcmp(argv[i], "--case") && i + 1 < argc &&
			   sscanf(argv[i + 1], "%d:%c", &only_size, &only_kind) == 2) {
			/* SIZE:N = the producer with N readers, SIZE:r = the reader alone */
			only_readers = only_kind == 'r' ? 9 : only_kind - '0';
			i++;
		} else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
			size_mib = strtoull(argv[++i], NULL, 10);
		} else {
			fprintf(stderr,
				"usage: bench-ringshm [--quick] [--size MiB] [--case SIZE:READERS|SIZE:r]\n");
			return 2;
		}
	}
	for (int i = 0; i < 16; i++) {
		for (int k = 0; k < 2048; k++) {
			frames[i][k] = (uint8_t)(i * 7 + k);
		}
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	/* 1 GiB on hugepages if free, else 256 MiB, else /dev/shm. */
	snprintf(path, sizeof(path), "/dev/hugepages/bench-ringshm-%d", (int)getpid());
	r = NULL;
	for (int attempt = 0; attempt < 3 && !r; attempt++) {
		uint64_t mib = size_mib ? size_mib : attempt == 0 ? 1024 : 256;

		if (attempt == 2) {
			snprintf(path, sizeof(path), "/dev/shm/bench-ringshm-%d", (int)getpid());
		}
		p.capacity = mib << 20;
		r = ringshm_create(path, &p, &err);
		if (!r) {
			fprintf(stderr, "bench-ringshm: %s\n", err.msg);
		}
	}
	if (!r) {
		return 1;
	}
	data = (uint8_t *)ringshm_ctl(r) + ringshm_ctl(r)->ctl_size;
	printf("# ring %s: %llu MiB, chunks of %u KiB, %s pages of %llu KiB, locked\n", path,
	       (unsigned long long)(ringshm_ctl(r)->capacity >> 20),
	       ringshm_ctl(r)->chunk_size >> 10,
	       ringshm_ctl(r)->backing == RINGSHM_BACKING_HUGETLBFS ? "huge" : "small",
	       (unsigned long long)(ringshm_ctl(r)->page_size >> 10));
	printf("# producer pinned to cpu 0, readers to cpu 1; %d runs of %.2f s each, alternating\n",
	       reps, run_s);
	pin(0);

	/* Warm up: one full lap so every page is touched by both. */
	run_memcpy_in(data, ringshm_ctl(r)->capacity, 1500);
	run_producer(r, 1500);

	for (int nr = 0; nr <= 2; nr++) {
		for (int s = 0; s < NSIZES; s++) {
			struct row *row;

			if (only_readers >= 0 &&
			    (nr != only_readers || (int)sizes[s] != only_size)) {
				continue;
			}
			row = &rows[nrows++];
			snprintf(row->name, sizeof(row->name), "ring producer %u B, %d reader%s",
				 sizes[s], nr, nr == 1 ? "" : "s");
			row->bytes = sizes[s];
			for (int k = 0; k < reps; k++) {
				pid_t pids[2];
				int status;

				memset(sh, 0, sizeof(*sh));
				for (int i = 0; i < nr; i++) {
					pids[i] = fork();
					if (pids[i] == 0) {
						reader_proc(i);
					}
				}
				for (int i = 0; i < nr; i++) {
					while (!__atomic_load_n(&sh->ready[i], __ATOMIC_ACQUIRE)) {
						usleep(100);
					}
				}
				row->fc[k] = run_producer(r, sizes[s]) / 1e6;
				__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
				for (int i = 0; i < nr; i++) {
					waitpid(pids[i], &status, 0);
					printf("#   %s run %d: reader %d delivered %llu lost %llu%s\n",
					       row->name, k, i,
					       (unsigned long long)sh->delivered[i],
					       (unsigned long long)sh->lost[i],
					       sh->eproto[i] ? " (resynced after the memcpy run)"
							     : "");
				}
				row->ref[k] =
					run_memcpy_in(data, ringshm_ctl(r)->capacity, sizes[s]) /
					1e6;
			}
		}
	}
	for (int s = 0; s < NSIZES; s++) {
		struct row *row;
		uint64_t n = 0;

		if (only_readers >= 0 && (only_readers != 9 || (int)sizes[s] != only_size)) {
			continue;
		}
		row = &rows[nrows++];
		snprintf(row->name, sizeof(row->name), "ring reader copy+validate %u B", sizes[s]);
		row->bytes = sizes[s];
		for (int k = 0; k < reps; k++) {
			/* Fill the whole ring with records of this size, then read it all. */
			uint64_t fill = ringshm_ctl(r)->capacity / ringshm_rec_size(sizes[s]);

			for (uint64_t i = 0; i < fill; i++) {
				memcpy(ringshm_alloc(r, sizes[s], sizes[s], i, 0, 0),
				       frames[i & 15], sizes[s]);
				if ((i & 31) == 31) {
					ringshm_commit(r);
				}
			}
			ringshm_commit(r);
			row->fc[k] = run_reader_full(&n) / 1e6;
			row->ref[k] = run_memcpy_out(data, n, sizes[s]) / 1e6;
		}
	}
	print_rows(rows, nrows);

	printf("\n%-40s %10s %10s %7s %10s %10s\n", "", "ring", "memcpy", "ratio", "ring GB/s",
	       "memcpy GB/s");
	for (int i = 0; i < nrows; i++) {
		struct bench_stat a = bench_stat_of(rows[i].fc, reps);
		struct bench_stat b = bench_stat_of(rows[i].ref, reps);

		printf("%-40s %8.1f M %8.1f M %6.0f%% %10.2f %10.2f\n", rows[i].name, a.median,
		       b.median, 100 * a.median / b.median, a.median * rows[i].bytes / 1e3,
		       b.median * rows[i].bytes / 1e3);
	}
	ringshm_close(r);
	unlink(path);
	{
		char reg[300];

		snprintf(reg, sizeof(reg), "%s.readers", path);
		unlink(reg);
	}
	return 0;
}
