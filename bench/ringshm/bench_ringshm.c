/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-ringshm - the ring's producer and reader rates next to the physical limit measured in
 * the same run: a plain memcpy of the same records into (or out of) the same memory.
 *
 *	bench-ringshm [--quick] [--size MiB] [--case SIZE:READERS|SIZE:a|SIZE:r]
 *
 * Producer: Mpps and GB/s (frame bytes) for 64, 256 and 1500-byte frames written with
 * ringshm_put_burst() as the poller writes them (bursts of 32: copies through the cache below
 * 320 bytes, streaming stores from there) with 0, 1 and 2 reader processes attached (readers on the
 * other core, copying and validating every record), and with ringshm_alloc() + memcpy with 0.
 * Reference: a plain memcpy of the same records (32-byte header + frame) into the same
 * memory; the human table adds the same copy with streaming stores (nt-copy).
 * Reader: copy + validate rate over a full ring, against memcpy of the same payloads.
 * Rates are per second of the measuring thread's CPU time (the machine is shared).
 * Every figure is the median of several runs alternating ring and references.  Prints each
 * BENCH row of bench/bench_report.h on stdout as soon as it is measured (stdout is line
 * buffered, so a run stopped by bench/run's time limit keeps every row it measured), then a
 * human table with ratios.
 *
 * The ring is 1 GiB on 2 MiB hugepages when that many are free, else 256 MiB, else /dev/shm.
 * --quick (about 10 s on an idle machine, within 25 s under load): 256 MiB, 3 runs of 0.06 s
 * of CPU time each (a run also ends after twice that of wall time).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

/*
 * Time is this thread's CPU time: the machine is shared, and a run descheduled half the time
 * would otherwise report half the rate.  (Contention for caches and memory still shows, and
 * the references suffer it the same way.)  A run ends after run_s of CPU time, or twice
 * that of wall time.
 */
static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct clk {
	double cpu0, wall0;
};

static struct clk clk_start(void)
{
	struct clk c = { cpu_s(), wall_s() };

	return c;
}

/* The rate of n events so far if the run is over, else 0. */
static double clk_done(const struct clk *c, uint64_t n)
{
	double cpu = cpu_s() - c->cpu0;

	if (cpu >= run_s || wall_s() - c->wall0 >= 2 * run_s) {
		return (double)n / cpu;
	}
	return 0;
}

/*
 * Stopped by a signal (bench/run's time limit sends SIGTERM): the reader processes stop, the
 * ring's files go (they hold hugepages), and the rows already printed stay.
 */
static pid_t main_pid;
static char reg_path[300];

static void on_signal(int sig)
{
	if (getpid() == main_pid) {
		if (sh) {
			__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
		}
		unlink(path);
		unlink(reg_path);
	}
	_exit(128 + sig);
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

/*
 * The producer as the poller uses it: bursts of 32, one commit per burst; the burst either
 * with ringshm_put_burst() or, frame by frame, ringshm_alloc() + memcpy.
 */
static double run_producer(struct ringshm *r, uint32_t len, bool put)
{
	uint64_t n = 0;
	struct clk c = clk_start();
	double rate;

	for (;;) {
		if (put) {
			struct ringshm_frame f[32];

			for (int i = 0; i < 32; i++, n++) {
				f[i] = (struct ringshm_frame){ .data = frames[n & 15],
							       .ts_ns = n,
							       .cap_len = len,
							       .wire_len = len,
							       .flags = RINGSHM_F_TS_SRC_TSC };
			}
			ringshm_put_burst(r, f, 32);
		} else {
			for (int i = 0; i < 32; i++, n++) {
				void *p = ringshm_alloc(r, len, len, n, 0, RINGSHM_F_TS_SRC_TSC);

				memcpy(p, frames[n & 15], len);
			}
		}
		ringshm_commit(r);
		if ((n & 1023) == 0 && (rate = clk_done(&c, n)) > 0) {
			return rate;
		}
	}
}

/* The reference: the same records (a 32-byte header + the frame) copied into the same memory. */
static double run_memcpy_in(uint8_t *data, uint64_t capacity, uint32_t len)
{
	uint64_t n = 0, off = 0, rs = ringshm_rec_size(len);
	uint8_t hdr[32] = { 0 };
	struct clk c = clk_start();
	double rate;

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
		if ((n & 1023) == 0 && (rate = clk_done(&c, n)) > 0) {
			return rate;
		}
	}
}

#ifdef __SSE2__
/* The streaming-store reference: the same records copied with SSE2 non-temporal stores. */
static double run_ntcopy_in(uint8_t *data, uint64_t capacity, uint32_t len)
{
	uint64_t n = 0, off = 0, rs = ringshm_rec_size(len);
	uint8_t hdr[32] = { 0 };
	__m128i tail[2];
	struct clk c = clk_start();
	double rate;

	for (;;) {
		for (int i = 0; i < 32; i++, n++) {
			const uint8_t *src = frames[n & 15];
			__m128i *dst;
			uint32_t k;

			if (off + rs > capacity) {
				off = 0;
			}
			dst = (__m128i *)(void *)(data + off);
			_mm_stream_si128(dst++, _mm_loadu_si128((const __m128i *)(void *)hdr));
			_mm_stream_si128(dst++,
					 _mm_loadu_si128((const __m128i *)(void *)(hdr + 16)));
			for (k = 0; k + 16 <= len; k += 16) {
				_mm_stream_si128(
					dst++,
					_mm_loadu_si128((const __m128i *)(const void *)(src + k)));
			}
			if (k < rs - 32) {
				memset(tail, 0, sizeof(tail));
				memcpy(tail, src + k, len - k);
				_mm_stream_si128(dst++, tail[0]);
				if (k + 16 < rs - 32) {
					_mm_stream_si128(dst, tail[1]);
				}
			}
			off += rs;
		}
		_mm_sfence();
		if ((n & 1023) == 0 && (rate = clk_done(&c, n)) > 0) {
			return rate;
		}
	}
}
#else
static double run_ntcopy_in(uint8_t *data, uint64_t capacity, uint32_t len)
{
	return run_memcpy_in(data, capacity, len);
}
#endif

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
	t0 = cpu_s();
	while (ringshm_reader_next(rd, &rec) == 1) {
		memcpy(buf, rec.data, rec.cap_len);
		n += ringshm_reader_done(rd);
	}
	t0 = cpu_s() - t0;
	ringshm_reader_close(rd);
	*count = n;
	return (double)n / t0;
}

/* The reference: memcpy of the same payloads out of the same memory, record by record. */
static double run_memcpy_out(const uint8_t *data, uint64_t n, uint32_t len)
{
	static uint8_t buf[65536];
	uint64_t rs = ringshm_rec_size(len), off = 0;
	double t0 = cpu_s();

	for (uint64_t i = 0; i < n; i++) {
		memcpy(buf, data + off + 32, len);
		__asm__ volatile("" ::: "memory");
		off += rs;
	}
	return (double)n / (cpu_s() - t0);
}

struct row {
	char name[64];
	double fc[MAXREP], ref[MAXREP], nt[MAXREP]; /* nt: the streaming-store reference */
	double bytes;				    /* frame bytes per record, for GB/s */
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
	struct row rows[NSIZES * 4 + NSIZES];
	uint64_t size_mib = 0, default_mib = 1024;
	int only_size = 0, only_readers = -1;
	bool only_alloc = false;
	char only_kind = 0;
	struct ringshm *r;
	uint8_t *data;
	int nrows = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			reps = 3;
			run_s = 0.06;
			default_mib = 256;
		} else if (!strcmp(argv[i], "--case") && i + 1 < argc &&
			   sscanf(argv[i + 1], "%d:%c", &only_size, &only_kind) == 2) {
			/* SIZE:N = the producer with N readers, SIZE:r = the reader alone */
			only_readers = only_kind == 'r'	  ? 9
				       : only_kind == 'a' ? 0
							  : only_kind - '0';
			only_alloc = only_kind == 'a';
			i++;
		} else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
			size_mib = strtoull(argv[++i], NULL, 10);
		} else {
			fprintf(stderr,
				"usage: bench-ringshm [--quick] [--size MiB] [--case SIZE:READERS|SIZE:a|SIZE:r]\n");
			return 2;
		}
	}
	/* Every line as soon as it is written: rows measured before a time limit are kept. */
	setvbuf(stdout, NULL, _IOLBF, 0);
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
	main_pid = getpid();
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	/* 1 GiB on hugepages if free, else 256 MiB, else /dev/shm. */
	snprintf(path, sizeof(path), "/dev/hugepages/bench-ringshm-%d", (int)getpid());
	r = NULL;
	for (int attempt = 0; attempt < 3 && !r; attempt++) {
		uint64_t mib = size_mib ? size_mib : attempt == 0 ? default_mib : 256;

		if (attempt == 2) {
			snprintf(path, sizeof(path), "/dev/shm/bench-ringshm-%d", (int)getpid());
		}
		snprintf(reg_path, sizeof(reg_path), "%s.readers", path);
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
	run_producer(r, 1500, true);

	/* put with 0, 1, 2 readers; alloc + memcpy with 0 (nr 3 below). */
	for (int v = 0; v <= 3; v++) {
		int nr = v == 3 ? 0 : v;
		bool put = v != 3;

		for (int s = 0; s < NSIZES; s++) {
			struct row *row;

			if (only_readers >= 0 &&
			    (nr != only_readers || (int)sizes[s] != only_size ||
			     only_alloc == put)) {
				continue;
			}
			row = &rows[nrows++];
			snprintf(row->name, sizeof(row->name), "ring producer %s %u B, %d reader%s",
				 put ? "put" : "alloc", sizes[s], nr, nr == 1 ? "" : "s");
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
				row->fc[k] = run_producer(r, sizes[s], put) / 1e6;
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
				row->nt[k] =
					run_ntcopy_in(data, ringshm_ctl(r)->capacity, sizes[s]) /
					1e6;
			}
			print_rows(row, 1);
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
		/* Fill the whole ring with records of this size once, then read it all, again. */
		uint64_t fill = ringshm_ctl(r)->capacity / ringshm_rec_size(sizes[s]);

		for (uint64_t i = 0; i < fill; i++) {
			ringshm_put(r, frames[i & 15], sizes[s], sizes[s], i, 0, 0);
			if ((i & 31) == 31) {
				ringshm_commit(r);
			}
		}
		ringshm_commit(r);
		for (int k = 0; k < reps; k++) {
			row->fc[k] = run_reader_full(&n) / 1e6;
			row->ref[k] = run_memcpy_out(data, n, sizes[s]) / 1e6;
		}
		print_rows(row, 1);
	}

	printf("\n%-40s %9s %9s %6s %9s %6s %9s\n", "(medians, Mpps)", "ring", "memcpy", "ratio",
	       "nt-copy", "ratio", "ring GB/s");
	for (int i = 0; i < nrows; i++) {
		struct bench_stat a = bench_stat_of(rows[i].fc, reps);
		struct bench_stat b = bench_stat_of(rows[i].ref, reps);
		bool has_nt = strncmp(rows[i].name, "ring producer", 13) == 0;
		struct bench_stat c = bench_stat_of(rows[i].nt, reps);

		printf("%-40s %9.1f %9.1f %5.0f%%", rows[i].name, a.median, b.median,
		       100 * a.median / b.median);
		if (has_nt) {
			printf(" %9.1f %5.0f%%", c.median, 100 * a.median / c.median);
		} else {
			printf(" %9s %6s", "-", "-");
		}
		printf(" %9.2f\n", a.median * rows[i].bytes / 1e3);
	}
	ringshm_close(r);
	unlink(path);
	unlink(reg_path);
	return 0;
}
