/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_ring.c - libFuzzer target: a ringshm reader attached to a hostile ring file.
 *
 * The reader maps a file that anyone in group feedcap may be able to damage (a bug, a stray
 * dd, a disk error on a tmpfs backing), so it must either refuse the file with an error or read
 * it without ever touching a byte outside the data area, without returning a PAD record, a
 * record that crosses a chunk, or looping forever.  The file lives in a memfd; the reader opens
 * it by its /proc/self/fd path exactly as it opens a ring on hugetlbfs.
 *
 * Input (tests/fuzz/corpus/ring/ and tests/fuzz/ring_seed.c, which writes seeds from a real
 * producer):
 *   byte 0   mode: bit 0 raw header; bits 1-2 seek (newest, oldest, time, oldest then time);
 *            bit 3 the "producer" moves cursors between next() and done(); bit 4 capacity
 *            256 KiB instead of 128 KiB (template mode)
 *   raw mode:      8 bytes seek time, 16 op bytes, then 4096 bytes copied to file offset 0
 *                  (the whole control area the fuzzer controls), the rest to the data area.
 *                  The file is as long as the header says when that is at most 64 MiB.
 *   template mode: a valid header (chunk 64 KiB) with claim, head, next_seq, seek time,
 *                  4 chunk index entries and 16 op bytes from the input, the rest to the data
 *                  area.
 * A magic with version_major 0 would make ringshm_reader_open() wait 1 s for the producer to
 * publish the version (tested in test_ringshm): here such a header gets major 2 instead, so
 * the fuzzer does not spend its time sleeping.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ringshm.h"

#define CHUNK	 (64u << 10)
#define CTL_SIZE RINGSHM_CTL_ALIGN
#define RAW_HDR	 4096u
#define MAX_FILE (64u << 20)
#define MAX_ITER 4096

static int memfd = -1;
static int verbose = -1; /* FUZZ_VERBOSE=1: what each input delivered (seed checks) */

struct input {
	const uint8_t *p;
	size_t n;
};

static uint64_t take64(struct input *in)
{
	uint64_t v = 0;
	size_t k = in->n < 8 ? in->n : 8;

	memcpy(&v, in->p, k);
	in->p += k;
	in->n -= k;
	return v;
}

static void take(struct input *in, void *out, size_t len)
{
	size_t k = in->n < len ? in->n : len;

	memset(out, 0, len);
	memcpy(out, in->p, k);
	in->p += k;
	in->n -= k;
}

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_ring: %s:%d: %s\n", __FILE__, __LINE__, #cond);      \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Write the file: returns its geometry (from the header as written) in *hdr. */
static int build_file(uint8_t mode, struct input *in, uint64_t *seek_ts, uint8_t ops[16],
		      struct ringshm_ctl *hdr)
{
	uint64_t size, data_off;

	if (ftruncate(memfd, 0) != 0) {
		abort();
	}
	if (mode & 1) {
		uint8_t raw[RAW_HDR];

		*seek_ts = take64(in);
		take(in, ops, 16);
		take(in, raw, sizeof(raw));
		memcpy(hdr, raw, sizeof(*hdr));
		if (hdr->magic == RINGSHM_MAGIC && hdr->version_major == 0) {
			hdr->version_major = 2;
			memcpy(raw, hdr, sizeof(*hdr));
		}
		size = hdr->file_size <= MAX_FILE && hdr->file_size > RAW_HDR ? hdr->file_size
									      : RAW_HDR + in->n;
		data_off = hdr->ctl_size < size ? hdr->ctl_size : RAW_HDR;
		if (data_off < RAW_HDR) {
			data_off = RAW_HDR;
		}
		if (ftruncate(memfd, (off_t)size) != 0 ||
		    pwrite(memfd, raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
			abort();
		}
	} else {
		struct ringshm_chunk_ent idx[4];

		memset(hdr, 0, sizeof(*hdr));
		hdr->magic = RINGSHM_MAGIC;
		hdr->version_major = RINGSHM_VERSION_MAJOR;
		hdr->capacity = (mode & 0x10) ? 4 * CHUNK : 2 * CHUNK;
		hdr->chunk_size = CHUNK;
		hdr->nchunks = (uint32_t)(hdr->capacity / CHUNK);
		hdr->rec_align = RINGSHM_REC_ALIGN;
		hdr->rec_hdr_size = RINGSHM_REC_HDR_SIZE;
		hdr->ctl_size = CTL_SIZE;
		hdr->file_size = CTL_SIZE + hdr->capacity;
		hdr->epoch = 1;
		hdr->state = RINGSHM_STATE_RUNNING;
		hdr->claim = take64(in);
		hdr->head = take64(in);
		hdr->next_seq = take64(in);
		*seek_ts = take64(in);
		take(in, idx, sizeof(idx));
		take(in, ops, 16);
		size = hdr->file_size;
		data_off = CTL_SIZE;
		if (ftruncate(memfd, (off_t)size) != 0 ||
		    pwrite(memfd, hdr, sizeof(*hdr), 0) != (ssize_t)sizeof(*hdr) ||
		    pwrite(memfd, idx, hdr->nchunks * sizeof(idx[0]), sizeof(*hdr)) !=
			    (ssize_t)(hdr->nchunks * sizeof(idx[0]))) {
			abort();
		}
	}
	if (in->n > size - data_off) {
		in->n = size - data_off;
	}
	if (in->n && pwrite(memfd, in->p, in->n, (off_t)data_off) != (ssize_t)in->n) {
		abort();
	}
	return (int)size;
}

/* What the "producer" does between next() and done(), driven by one op byte. */
static void mutate(uint8_t *w, const struct ringshm_ctl *hdr, uint8_t op, uint64_t pos)
{
	struct ringshm_ctl *c = (struct ringshm_ctl *)w;

	switch (op & 7) {
	case 1: /* lap the reader */
		__atomic_store_n(&c->claim, pos + hdr->capacity + CHUNK, __ATOMIC_RELEASE);
		break;
	case 2: /* publish more */
		__atomic_store_n(&c->head, c->head + (uint64_t)(op >> 3) * 32, __ATOMIC_RELEASE);
		break;
	case 3: /* restart: a new epoch */
		__atomic_store_n(&c->epoch, c->epoch + 1, __ATOMIC_RELAXED);
		break;
	case 4: /* rewrite the record's header under the reader */
		if (hdr->ctl_size < hdr->file_size) {
			uint64_t *h = (uint64_t *)(w + hdr->ctl_size + (pos & (hdr->capacity - 1)));

			h[0] = ~h[0];
		}
		break;
	case 5: /* a cursor moves backwards */
		__atomic_store_n(&c->head, pos, __ATOMIC_RELEASE);
		__atomic_store_n(&c->claim, 0, __ATOMIC_RELEASE);
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct ringshm_reader_stats st;
	struct ringshm_record rec;
	struct ringshm_error err;
	struct ringshm_reader *rd;
	struct ringshm_ctl hdr;
	uint8_t ops[16], clk[RINGSHM_CLOCK_BLOCK_SIZE], mode, *w = NULL;
	uint64_t seek_ts, fsize, ok_pos = 0;
	const uint8_t *base, *end;
	char path[64];
	int rc, it;

	if (size < 1) {
		return 0;
	}
	if (memfd < 0) {
		memfd = memfd_create("fuzz_ring", MFD_CLOEXEC);
		if (memfd < 0) {
			abort();
		}
	}
	if (verbose < 0) {
		verbose = getenv("FUZZ_VERBOSE") != NULL;
	}
	mode = data[0];
	in.p++;
	in.n--;
	fsize = (uint64_t)build_file(mode, &in, &seek_ts, ops, &hdr);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);

	rd = ringshm_reader_open(path, &err);
	if (!rd) {
		CHECK(err.code < 0 && err.msg[0] != '\0');
		return 0;
	}
	/*
	 * Accepted: the geometry must be one the file really has, checked without wrapping (a
	 * plain ctl_size + capacity == file_size accepted the 2 MiB file whose sum wraps, as
	 * the library did: corpus/ring/regress-wrapping-geometry).
	 */
	CHECK(hdr.file_size <= fsize && hdr.ctl_size <= hdr.file_size &&
	      hdr.capacity == hdr.file_size - hdr.ctl_size);
	base = (const uint8_t *)ringshm_reader_ctl(rd) + hdr.ctl_size;
	end = base + hdr.capacity;
	{
		/* The NIC counter table, if accepted, lies inside the control area. */
		const struct ringshm_xstat_table *xt = ringshm_reader_xstats(rd);
		const uint8_t *ctl0 = (const uint8_t *)ringshm_reader_ctl(rd);
		uint32_t xsum = 0;

		if (xt) {
			CHECK((const uint8_t *)xt >= ctl0 + sizeof(struct ringshm_ctl) &&
			      (const uint8_t *)(xt + 1) <= base);
			for (size_t i = 0; i < sizeof(*xt); i += 64) {
				xsum += ((const uint8_t *)xt)[i];
			}
			__asm__ volatile("" : : "r"(xsum));
		}
	}
	if (mode & 8) {
		w = mmap(NULL, fsize, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
		CHECK(w != MAP_FAILED);
	}

	switch ((mode >> 1) & 3) {
	case 0:
		rc = ringshm_reader_seek(rd, RINGSHM_FROM_NEWEST, 0);
		break;
	case 1:
		rc = ringshm_reader_seek(rd, RINGSHM_FROM_OLDEST, 0);
		break;
	case 2:
		rc = ringshm_reader_seek(rd, RINGSHM_FROM_TIME, seek_ts);
		break;
	default:
		rc = ringshm_reader_seek(rd, RINGSHM_FROM_OLDEST, 0);
		if (rc == 0) {
			rc = ringshm_reader_seek(rd, RINGSHM_FROM_TIME, seek_ts);
		}
		break;
	}
	CHECK(rc == 0 || rc == -EPROTO);

	for (it = 0; rc == 0 && it < MAX_ITER; it++) {
		uint32_t sum = 0;

		rc = ringshm_reader_next(rd, &rec);
		if (rc <= 0) {
			CHECK(rc == 0 || rc == -EPROTO);
			break;
		}
		rc = 0;
		/* A record handed out lies wholly in the data area, inside one chunk. */
		CHECK(rec.type != RINGSHM_REC_PAD && rec.type >= RINGSHM_REC_FRAME &&
		      rec.type <= RINGSHM_REC_EPOCH);
		CHECK((rec.pos & (RINGSHM_REC_ALIGN - 1)) == 0);
		CHECK((const uint8_t *)rec.data >= base + RINGSHM_REC_HDR_SIZE);
		CHECK((const uint8_t *)rec.data + rec.cap_len <= end);
		CHECK((rec.pos & (hdr.chunk_size - 1)) + ringshm_rec_size(rec.cap_len) <=
		      hdr.chunk_size);
		CHECK((const uint8_t *)rec.data - base - RINGSHM_REC_HDR_SIZE ==
		      (ptrdiff_t)(rec.pos & (hdr.capacity - 1)));
		for (uint32_t i = 0; i < rec.cap_len; i++) {
			sum += ((const uint8_t *)rec.data)[i];
		}
		__asm__ volatile("" : : "r"(sum));
		if (w) {
			mutate(w, &hdr, ops[it & 15], rec.pos);
		}
		if (ringshm_reader_done(rd)) {
			/* Delivered records only move forward. */
			CHECK(it == 0 || rec.pos >= ok_pos);
			ok_pos = rec.pos;
		}
	}
	ringshm_reader_stats(rd, &st);
	CHECK(st.delivered <= (uint64_t)it + 1);
	if (verbose) {
		fprintf(stderr,
			"fuzz_ring: mode 0x%02x: delivered %llu lost %llu overruns %llu rc %d\n",
			mode, (unsigned long long)st.delivered, (unsigned long long)st.lost_records,
			(unsigned long long)st.overruns, rc);
	}
	(void)ringshm_reader_lag(rd);
	(void)ringshm_reader_head(rd);
	(void)ringshm_reader_pos(rd);
	CHECK(ringshm_reader_clock(rd, clk, sizeof(clk)) <= (int)sizeof(clk));
	(void)ringshm_reader_producer_alive(rd, 1000000000);
	ringshm_reader_close(rd);
	if (w) {
		munmap(w, fsize);
	}
	return 0;
}
