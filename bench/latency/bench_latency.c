/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-latency - how long a frame takes from entering the ring to a reader seeing it.
 *
 *	bench-latency [--quick] [--rate PPS] [--frames N] [--runs N] [--size B] [--no-rt]
 *	bench-latency --stamped RING [--frames N] [--timeout S]
 *	bench-latency --stamped-pcap FILE
 *	bench-latency --count-ring RING     (frames the ring holds; prints RING frames lost counter)
 *
 * Default mode: a producer process pinned to one core writes one 200-byte record (--size B) at a time
 * through ringshm_put_burst()/ringshm_commit() as the poller writes, paced to --rate, with the
 * TSC read just before the copy carried in the payload; a reader process on the other core attached
 * read-only with ringshm_reader_open() reads the TSC again as soon as ringshm_reader_next()
 * returns the record.  The difference, converted with a TSC rate calibrated here against
 * CLOCK_MONOTONIC_RAW, is the latency.  Two readers are measured:
 *   - busy: polls ringshm_reader_next() in a loop (a dedicated reader core);
 *   - polite: ringshm_reader_wait() between records (spin, yield, then sleep: what
 *     feedcap-dump does when the feed is quiet).
 * Both run SCHED_FIFO (priority 1) unless --no-rt: on a shared machine the scheduler would
 * otherwise measure other people's work, while a deployment gives the poller and the reader
 * their own isolated cores.  The kernel's RT throttling still leaves other work 5% of a second,
 * which shows in the max.
 * The reference, measured in the same run alternating with the ring, is the physical floor:
 * the same pacing with the TSC stored in one shared cache line and a reader spinning on it
 * (one cache-line transfer between the two cores).
 *
 * --stamped RING: read a ring fed by feedcap-capture from bench-live-send --stamp, whose
 * frames carry the sender's CLOCK_REALTIME just before sendmmsg() in their last 16 bytes
 * (magic + ns).  Prints the distribution of (record ts_ns - sent) "sender to ring" and of
 * (CLOCK_REALTIME when the reader saw it - sent) "sender to reader"; the reader idles with
 * ringshm_reader_wait() as feedcap-dump does.
 *
 * --stamped-pcap FILE: the same "sender to capture timestamp" distribution from a pcap with
 * nanosecond timestamps (tcpdump --time-stamp-precision=nano): the kernel's receive time, the
 * reference bench-live compares feedcap's record timestamps with.
 *
 * Output: BENCH rows (bench/bench_report.h): median, p99 and max, each the median over the
 * runs with the min and max over the runs.  Nothing here passes or fails on a timing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pcap/pcap.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "bench_report.h"
#include "ringshm.h"

#define MAXRUNS	      15
#define FRAME_DEFAULT 200
#define FRAME_MAX     1514 /* --size: the largest frame */

static uint32_t frame_len = FRAME_DEFAULT;	 /* --size */
#define STAMP_MAGIC UINT64_C(0x66656564636170ff) /* "feedcap" + 0xff, bench-live-send */

enum mode { MODE_BUSY, MODE_POLITE, MODE_CACHELINE };

/* Shared between the producer (parent) and the reader (child). */
struct shared {
	uint64_t line_seq __attribute__((aligned(64))); /* cache-line reference: seq then tsc */
	uint64_t line_tsc;
	int ready __attribute__((aligned(64)));
	int done;
	uint64_t got;
	uint64_t lost;
	int64_t lat[]; /* ticks, one per frame */
};

static struct shared *sh;
static double tsc_ns_per_tick = 1.0;
static bool use_rt = true;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static inline uint64_t ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	_mm_pause();
#endif
}

static uint64_t mono_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* TSC rate against CLOCK_MONOTONIC_RAW over ~200 ms, bracketed reads (not rte_get_tsc_hz). */
static void calibrate(void)
{
#if defined(__x86_64__) || defined(__i386__)
	uint64_t t0 = mono_ns(CLOCK_MONOTONIC_RAW), c0 = ticks(), t1, c1;

	while ((t1 = mono_ns(CLOCK_MONOTONIC_RAW)) - t0 < 200000000u) {
		relax();
	}
	c1 = ticks();
	tsc_ns_per_tick = (double)(t1 - t0) / (double)(c1 - c0);
#endif
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
	if (use_rt) {
		/* Stand-in for an isolated core: other work on the machine no longer preempts
		 * us (the kernel's RT throttling still leaves it 5% of each second). */
		struct sched_param sp = { .sched_priority = 1 };

		if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0) {
			use_rt = false;
		}
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

struct dist {
	double med, p99, max;
};

/* Sorts v in place. */
static struct dist dist_of(int64_t *v, uint64_t n, double scale)
{
	struct dist d = { 0, 0, 0 };

	if (n == 0) {
		return d;
	}
	qsort(v, n, sizeof(*v), cmp_i64);
	d.med = (double)v[n / 2] * scale;
	d.p99 = (double)v[(n * 99) / 100] * scale;
	d.max = (double)v[n - 1] * scale;
	return d;
}

/* ------------------------------------------------------------------ ring pair */

static void reader_proc(const char *path, enum mode mode, uint64_t n)
{
	struct ringshm_error err = { 0 };
	struct ringshm_reader *rd = NULL;
	struct ringshm_record rec;
	uint64_t got = 0, seen = 0;

	pin(1);
	if (mode != MODE_CACHELINE) {
		rd = ringshm_reader_open(path, &err);
		if (!rd) {
			fprintf(stderr, "bench-latency: reader: %s\n", err.msg);
			_exit(1);
		}
		ringshm_reader_seek(rd, RINGSHM_FROM_NEWEST, 0);
	}
	__atomic_store_n(&sh->ready, 1, __ATOMIC_RELEASE);
	while (got < n && !__atomic_load_n(&sh->done, __ATOMIC_ACQUIRE)) {
		if (mode == MODE_CACHELINE) {
			/* Pairs with the producer's release store of line_seq. */
			uint64_t s = __atomic_load_n(&sh->line_seq, __ATOMIC_ACQUIRE);

			if (s == seen) {
				relax();
				continue;
			}
			uint64_t now = ticks();

			seen = s;
			sh->lat[got++] = (int64_t)(now - sh->line_tsc);
			continue;
		}
		int rc = ringshm_reader_next(rd, &rec);

		if (rc == 0) {
			if (mode == MODE_POLITE) {
				ringshm_reader_wait(rd, 10000000);
			} else {
				relax();
			}
			continue;
		}
		if (rc < 0) {
			fprintf(stderr, "bench-latency: reader: ringshm_reader_next: %d\n", rc);
			_exit(1);
		}
		uint64_t now = ticks();
		uint64_t t;

		if (rec.type != RINGSHM_REC_FRAME || rec.cap_len < sizeof(t)) {
			ringshm_reader_done(rd);
			continue;
		}
		memcpy(&t, rec.data, sizeof(t));
		if (ringshm_reader_done(rd)) {
			sh->lat[got++] = (int64_t)(now - t);
		}
	}
	if (rd) {
		struct ringshm_reader_stats st;

		ringshm_reader_stats(rd, &st);
		sh->lost = st.lost_records;
		ringshm_reader_close(rd);
	}
	sh->got = got;
	_exit(0);
}

/* One run: returns the number of latencies in sh->lat, or -1. */
static int64_t run_pair(struct ringshm *r, const char *path, enum mode mode, uint64_t n,
			double rate)
{
	uint64_t period = (uint64_t)(1e9 / rate / tsc_ns_per_tick), next;
	uint64_t spin_ticks = (uint64_t)(8000 / tsc_ns_per_tick); /* 8 us */
	uint8_t frame[FRAME_MAX] = { 0 };
	int status;
	pid_t pid;

	memset(frame, 0x5a, sizeof(frame));
	sh->ready = 0;
	sh->done = 0;
	sh->got = 0;
	sh->lost = 0;
	sh->line_seq = 0;
	pid = fork();
	if (pid < 0) {
		return -1;
	}
	if (pid == 0) {
		reader_proc(path, mode, n);
	}
	while (!__atomic_load_n(&sh->ready, __ATOMIC_ACQUIRE)) {
		usleep(100);
	}
	usleep(1000);
	next = ticks();
	for (uint64_t i = 0; i < n; i++) {
		uint64_t t;

		next += period;
		/* Sleep until a few microseconds before the slot, then spin: the producer must
		 * not run flat out, or the kernel's RT throttling (950 ms a second) stops it. */
		t = ticks();
		if (next > t + spin_ticks) {
			uint64_t ns = (uint64_t)((double)(next - t - spin_ticks) * tsc_ns_per_tick);
			struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
					       .tv_nsec = (long)(ns % 1000000000u) };

			nanosleep(&ts, NULL);
		}
		while ((t = ticks()) < next) {
			relax();
		}
		t = ticks();
		if (mode == MODE_CACHELINE) {
			sh->line_tsc = t;
			/* Pairs with the reader's acquire load of line_seq. */
			__atomic_store_n(&sh->line_seq, i + 1, __ATOMIC_RELEASE);
		} else {
			const struct ringshm_frame f = { .data = frame,
							 .cap_len = frame_len,
							 .wire_len = frame_len,
							 .flags = RINGSHM_F_TS_SRC_TSC };

			/* As the poller writes a burst (here of one frame). */
			memcpy(frame, &t, sizeof(t));
			ringshm_put_burst(r, &f, 1);
			ringshm_commit(r);
		}
	}
	/* Let the reader drain, then stop it. */
	usleep(20000);
	__atomic_store_n(&sh->done, 1, __ATOMIC_RELEASE);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		return -1;
	}
	/* The busy reader spun SCHED_FIFO for the whole run: give the RT budget time to refill
	 * before the next one, so throttling does not land inside a measurement. */
	usleep(300000);
	return (int64_t)sh->got;
}

struct series {
	double med[MAXRUNS], p99[MAXRUNS], max[MAXRUNS];
};

/* One row "latency ring->reader WHAT" against the cache line; frames of another size than
 * the default say so in the name, so the default rows keep theirs. */
static void report_rows(const char *what, const double *fc, const double *ref, int runs)
{
	char row[96];

	if (frame_len == FRAME_DEFAULT) {
		snprintf(row, sizeof(row), "latency ring->reader %s", what);
	} else {
		snprintf(row, sizeof(row), "latency ring->reader %u B %s", frame_len, what);
	}
	bench_report_row(row, "ns", fc, runs, "cache line", ref, runs);
}

static int ring_mode(bool quick, double rate, uint64_t n, int runs)
{
	struct ringshm_params p = { .capacity = 64u << 20, .chunk_size = RINGSHM_DEFAULT_CHUNK };
	struct ringshm_error err = { 0 };
	struct series s[3];
	const char *names[3] = { "busy", "polite", "cacheline" };
	char path[128], reg[160];
	struct ringshm *r;
	int rc = 0;

	(void)quick;
	sh = mmap(NULL, sizeof(*sh) + n * sizeof(int64_t), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("bench-latency: mmap");
		return 1;
	}
	snprintf(path, sizeof(path), "/dev/hugepages/bench-latency-%d", (int)getpid());
	r = ringshm_create(path, &p, &err);
	if (!r) {
		fprintf(stderr, "bench-latency: %s; trying /dev/shm\n", err.msg);
		snprintf(path, sizeof(path), "/dev/shm/bench-latency-%d", (int)getpid());
		r = ringshm_create(path, &p, &err);
	}
	if (!r) {
		fprintf(stderr, "bench-latency: %s\n", err.msg);
		return 1;
	}
	calibrate();
	pin(0);
	printf("# ring %s (%llu MiB); producer pinned to cpu 0, reader process to cpu 1, %s\n",
	       path, (unsigned long long)(p.capacity >> 20),
	       use_rt ? "both SCHED_FIFO 1 (as on isolated cores)" : "normal scheduling");
	printf("# TSC %.3f MHz (calibrated against CLOCK_MONOTONIC_RAW); %d runs of %llu frames "
	       "of %u B at %.0f pps, alternating busy, polite, cache line\n",
	       1e3 / tsc_ns_per_tick, runs, (unsigned long long)n, frame_len, rate);
	for (int k = 0; k < runs; k++) {
		for (int m = 0; m < 3; m++) {
			int64_t got = run_pair(r, path, (enum mode)m, n, rate);
			struct dist d;

			if (got <= 0) {
				fprintf(stderr, "bench-latency: %s run %d: reader failed\n",
					names[m], k);
				rc = 1;
				goto out;
			}
			d = dist_of(sh->lat, (uint64_t)got, tsc_ns_per_tick);
			s[m].med[k] = d.med;
			s[m].p99[k] = d.p99;
			s[m].max[k] = d.max;
			printf("#   run %d %-9s: %lld of %llu seen (lost %llu), median %.0f ns, "
			       "p99 %.0f ns, max %.0f ns\n",
			       k, names[m], (long long)got, (unsigned long long)n,
			       (unsigned long long)sh->lost, d.med, d.p99, d.max);
		}
	}
	report_rows("busy, median", s[0].med, s[2].med, runs);
	report_rows("busy, p99", s[0].p99, s[2].p99, runs);
	report_rows("busy, max", s[0].max, s[2].max, runs);
	report_rows("polite, median", s[1].med, s[2].med, runs);
	report_rows("polite, p99", s[1].p99, s[2].p99, runs);
	report_rows("polite, max", s[1].max, s[2].max, runs);
out:
	ringshm_close(r);
	unlink(path);
	snprintf(reg, sizeof(reg), "%s.readers", path);
	unlink(reg);
	return rc;
}

/* ------------------------------------------------------------------ stamped frames */

static int stamped_mode(const char *ring, uint64_t n, double timeout_s, const char *label)
{
	struct ringshm_error err = { 0 };
	struct ringshm_reader *rd = NULL;
	struct ringshm_record rec;
	int64_t *to_ring, *to_reader;
	uint64_t got = 0, frames = 0, deadline;
	struct dist a, b;

	to_ring = calloc(n, sizeof(*to_ring));
	to_reader = calloc(n, sizeof(*to_reader));
	if (!to_ring || !to_reader) {
		perror("bench-latency: calloc");
		return 1;
	}
	deadline = mono_ns(CLOCK_MONOTONIC) + (uint64_t)(timeout_s * 1e9);
	/* The capture may still be creating the ring: retry for a while. */
	while (!rd && mono_ns(CLOCK_MONOTONIC) < deadline) {
		rd = ringshm_reader_open(ring, &err);
		if (!rd) {
			usleep(20000);
		}
	}
	if (!rd) {
		fprintf(stderr, "bench-latency: %s\n", err.msg);
		return 1;
	}
	ringshm_reader_seek(rd, RINGSHM_FROM_OLDEST, 0);
	printf("READY\n");
	fflush(stdout);
	while (got < n && !stop && mono_ns(CLOCK_MONOTONIC) < deadline) {
		int rc = ringshm_reader_next(rd, &rec);
		uint64_t now, magic, sent;

		if (rc == 0) {
			ringshm_reader_wait(rd, 10000000);
			continue;
		}
		if (rc < 0) {
			fprintf(stderr, "bench-latency: %s: ringshm_reader_next: %d\n", ring, rc);
			break;
		}
		now = mono_ns(CLOCK_REALTIME);
		if (rec.type != RINGSHM_REC_FRAME || rec.cap_len < 16) {
			ringshm_reader_done(rd);
			continue;
		}
		frames++;
		memcpy(&magic, (const uint8_t *)rec.data + rec.cap_len - 16, 8);
		memcpy(&sent, (const uint8_t *)rec.data + rec.cap_len - 8, 8);
		if (ringshm_reader_done(rd) && magic == STAMP_MAGIC) {
			to_ring[got] = (int64_t)(rec.ts_ns - sent);
			to_reader[got] = (int64_t)(now - sent);
			got++;
		}
	}
	ringshm_reader_close(rd);
	a = dist_of(to_ring, got, 1.0);
	b = dist_of(to_reader, got, 1.0);
	printf("STAMPED\t%s\t%llu\t%llu\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\n", label,
	       (unsigned long long)frames, (unsigned long long)got, a.med, a.p99, a.max, b.med,
	       b.p99, b.max);
	free(to_ring);
	free(to_reader);
	return got ? 0 : 1;
}

/* How many frames the ring holds, read from the oldest record: bench-live's own count of what
 * feedcap-capture captured, independent of the capture's counters (printed beside them). */
static int count_ring_mode(const char *ring)
{
	struct ringshm_error err = { 0 };
	struct ringshm_reader *rd = ringshm_reader_open(ring, &err);
	struct ringshm_reader_stats st;
	struct ringshm_record rec;
	uint64_t frames = 0;
	int rc;

	if (!rd) {
		fprintf(stderr, "bench-latency: %s\n", err.msg);
		return 1;
	}
	ringshm_reader_seek(rd, RINGSHM_FROM_OLDEST, 0);
	while ((rc = ringshm_reader_next(rd, &rec)) > 0) {
		bool frame = rec.type == RINGSHM_REC_FRAME;

		if (ringshm_reader_done(rd) && frame) {
			frames++;
		}
	}
	ringshm_reader_stats(rd, &st);
	printf("RING\t%llu\t%llu\t%llu\n", (unsigned long long)frames,
	       (unsigned long long)st.lost_records,
	       (unsigned long long)__atomic_load_n(&ringshm_reader_ctl(rd)->counters.frames,
						   __ATOMIC_RELAXED));
	ringshm_reader_close(rd);
	return rc < 0 ? 1 : 0;
}

/* The reference: a pcap written by tcpdump --time-stamp-precision=nano from the same stamped
 * frames; its timestamps are the kernel's receive time of each frame. */
static int stamped_pcap_mode(const char *file, const char *label)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	int64_t *v = NULL;
	uint64_t frames = 0, got = 0, cap = 0;
	struct dist a;
	pcap_t *p;

	p = pcap_open_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p) {
		fprintf(stderr, "bench-latency: %s\n", errbuf);
		return 1;
	}
	while (pcap_next_ex(p, &h, &d) == 1) {
		uint64_t magic, sent, ts;

		frames++;
		if (h->caplen < 16 || h->caplen != h->len) {
			continue;
		}
		memcpy(&magic, d + h->caplen - 16, 8);
		memcpy(&sent, d + h->caplen - 8, 8);
		if (magic != STAMP_MAGIC) {
			continue;
		}
		if (got == cap) {
			cap = cap ? cap * 2 : 65536;
			v = realloc(v, cap * sizeof(*v));
			if (!v) {
				perror("bench-latency: realloc");
				return 1;
			}
		}
		ts = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
		v[got++] = (int64_t)(ts - sent);
	}
	pcap_close(p);
	a = dist_of(v, got, 1.0);
	printf("STAMPED\t%s\t%llu\t%llu\t%.0f\t%.0f\t%.0f\t-\t-\t-\n", label,
	       (unsigned long long)frames, (unsigned long long)got, a.med, a.p99, a.max);
	free(v);
	return got ? 0 : 1;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: bench-latency [--quick] [--rate PPS] [--frames N] [--runs N] [--size B] "
		"[--no-rt]\n"
		"       bench-latency --stamped RING [--frames N] [--timeout S] "
		"[--label L]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *stamped = NULL, *stamped_pcap = NULL, *count_ring = NULL, *label = "feedcap";
	double rate = 50000, timeout_s = 30;
	uint64_t n = 0;
	int runs = 0;
	bool quick = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			quick = true;
		} else if (!strcmp(argv[i], "--rate") && i + 1 < argc) {
			rate = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--frames") && i + 1 < argc) {
			n = strtoull(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
			runs = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--stamped") && i + 1 < argc) {
			stamped = argv[++i];
		} else if (!strcmp(argv[i], "--count-ring") && i + 1 < argc) {
			count_ring = argv[++i];
		} else if (!strcmp(argv[i], "--stamped-pcap") && i + 1 < argc) {
			stamped_pcap = argv[++i];
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			timeout_s = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
			frame_len = (uint32_t)strtoul(argv[++i], NULL, 10);
			if (frame_len < 16 || frame_len > FRAME_MAX) {
				fprintf(stderr, "bench-latency: --size %s: give 16 to %d bytes\n",
					argv[i], FRAME_MAX);
				return 2;
			}
		} else if (!strcmp(argv[i], "--no-rt")) {
			use_rt = false;
		} else if (!strcmp(argv[i], "--label") && i + 1 < argc) {
			label = argv[++i];
		} else {
			return usage();
		}
	}
	if (count_ring) {
		return count_ring_mode(count_ring);
	}
	if (stamped_pcap) {
		return stamped_pcap_mode(stamped_pcap, "tcpdump");
	}
	if (stamped) {
		signal(SIGTERM, on_signal);
		signal(SIGINT, on_signal);
		return stamped_mode(stamped, n ? n : 100000, timeout_s, label);
	}
	if (rate < 1 || rate > 1e7) {
		fprintf(stderr, "bench-latency: --rate %.0f: give 1 to 10000000 frames/s\n", rate);
		return 2;
	}
	if (!n) {
		n = quick ? 20000 : 40000; /* 0.8 s at 50 kpps: under the 950 ms RT budget */
	}
	if (!runs) {
		runs = quick ? 3 : 7;
	}
	if (runs > MAXRUNS) {
		runs = MAXRUNS;
	}
	return ring_mode(quick, rate, n, runs);
}
