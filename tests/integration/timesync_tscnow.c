/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * timesync_tscnow.c - an oracle for feedcap-timesync's fitted TSC rate, sharing no code with
 * it: prints "TSC REALTIME_NS BRACKET_NS", the TSC read between two CLOCK_REALTIME reads,
 * the tightest of 1000 tries (REALTIME_NS is the bracket's middle).  Two of these a fraction of
 * a second apart give the TSC ticks per second of the clock feedcap-timesync fits against
 * (timesync_cli.sh), to a few ppm: unlike /proc/cpuinfo's "cpu MHz" (the core's current
 * clock), this does not move with CPU frequency scaling.  Off x86, feedcap's counter is
 * CLOCK_MONOTONIC_RAW in ns (timesync_rdtsc()): so is this one's.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

static uint64_t ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t counter(void)
{
#if defined(__x86_64__) || defined(__i386__)
	uint64_t t;

	_mm_lfence(); /* the TSC read stays between the two clock reads */
	t = __rdtsc();
	_mm_lfence();
	return t;
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

int main(void)
{
	uint64_t best_width = UINT64_MAX, best_tsc = 0, best_mid = 0;

	for (int i = 0; i < 1000; i++) {
		uint64_t a = ns();
		uint64_t t = counter();
		uint64_t b = ns();

		if (b - a < best_width) {
			best_width = b - a;
			best_tsc = t;
			best_mid = a + (b - a) / 2;
		}
	}
	printf("%llu %llu %llu\n", (unsigned long long)best_tsc, (unsigned long long)best_mid,
	       (unsigned long long)best_width);
	return 0;
}
