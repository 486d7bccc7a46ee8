/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-capture-memcpy SIZE SECONDS [RING_MIB]: the copy ceiling of the capture, the reference
 * bench/capture prints next to feedcap-capture.  It writes the same records the poller writes
 * (a 32-byte header and SIZE frame bytes, 32-byte aligned, a record never crossing a 2 MiB
 * chunk) into a hugepage area of the same size as the ring, from 32 frame buffers reused
 * burst after burst as a mempool's hot mbufs are, with plain memcpy.  Prints "Mpps X".
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "ringshm_format.h"

static uint64_t head; /* the ring's head cursor */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	uint32_t size, rec, chunk = 2u << 20;
	uint64_t cap, mask, pos = 0, frames = 0, t0, t1 = 0, seq = 0;
	static uint8_t src[32][2048 * 5];
	double secs;
	uint8_t *ring;
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: bench-capture-memcpy SIZE SECONDS [RING_MIB]\n");
		return 2;
	}
	size = (uint32_t)atoi(argv[1]);
	secs = atof(argv[2]);
	cap = (uint64_t)(argc > 3 ? atoi(argv[3]) : 256) << 20;
	if (size < 14 || size > sizeof(src[0]) || cap < 2 * chunk) {
		return 2;
	}
	mask = cap - 1;
	ring = mmap(NULL, cap, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
	if (ring == MAP_FAILED) {
		ring = mmap(NULL, cap, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (ring == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		fprintf(stderr, "bench-capture-memcpy: no hugepages, 4 KiB pages\n");
	}
	for (i = 0; i < 32; i++) {
		memset(src[i], i, sizeof(src[i]));
	}
	rec = ringshm_rec_size(size);
	t0 = now_ns();
	for (;;) {
		for (i = 0; i < 32; i++) {
			uint64_t off = pos & mask;
			struct ringshm_rec_hdr *h;

			if ((off & (chunk - 1)) + rec > chunk) {
				/* the padding record the ring writes at a chunk's end */
				h = (struct ringshm_rec_hdr *)(ring + off);
				h->pos = pos;
				h->type = RINGSHM_REC_PAD;
				pos += chunk - (off & (chunk - 1));
				off = pos & mask;
			}
			h = (struct ringshm_rec_hdr *)(ring + off);
			h->pos = pos;
			h->ts_ns = frames;
			h->seq = seq++;
			h->cap_len = (uint16_t)size;
			h->wire_len = (uint16_t)size;
			h->port = 0;
			h->type = RINGSHM_REC_FRAME;
			h->flags = 0;
			memcpy(h + 1, src[i], size);
			pos += rec;
		}
		frames += 32;
		/* the commit's release store, once per burst */
		__atomic_store_n(&head, pos, __ATOMIC_RELEASE);
		if ((frames & 0xffff) == 0) {
			t1 = now_ns();
			if (t1 - t0 >= (uint64_t)(secs * 1e9)) {
				break;
			}
		}
	}
	printf("Mpps %.3f\n", (double)frames / ((double)(t1 - t0) / 1e3));
	return 0;
}
