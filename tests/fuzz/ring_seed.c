/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ring_seed.c - writes the seed corpus of fuzz_ring from rings a real producer wrote.
 *
 *	fuzz_ring_seed OUTDIR
 *
 * Each seed is a ring file the producer made (records of many sizes, markers, PAD records at
 * chunk ends, a wrapped ring, a restarted producer), cut into fuzz_ring's input layout (see
 * fuzz_ring.c): the template form (cursors, chunk index, data area) and the raw form (the
 * first 4096 bytes of the file, then the data area).  Timestamps and payloads come
 * from the record number; only the producer pid and start time differ between runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ringshm.h"

#define CHUNK (64u << 10)

static void die(const char *what)
{
	fprintf(stderr, "fuzz_ring_seed: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Fill a ring: n frames of sizes cycling through a list, with a marker every 50. */
static void produce(struct ringshm *r, unsigned n, uint64_t *seq)
{
	static const uint32_t sizes[] = { 60, 64, 200, 1500, 9000, 0, 31, 33, 1 };
	uint8_t buf[9000];

	for (unsigned i = 0; i < n; i++, (*seq)++) {
		uint32_t len = sizes[*seq % (sizeof(sizes) / sizeof(sizes[0]))];
		uint8_t *p;

		if (*seq % 50 == 49) {
			struct ringshm_loss_payload loss = { .nic_imissed = *seq };

			ringshm_marker(r, RINGSHM_REC_LOSS, &loss, sizeof(loss),
				       1900000000000000000ull + *seq * 1000);
		}
		for (uint32_t k = 0; k < len; k++) {
			buf[k] = (uint8_t)(*seq + k);
		}
		p = ringshm_alloc(r, len, len + 4, 1900000000000000000ull + *seq * 1000, 0,
				  RINGSHM_F_TS_SRC_TSC);
		memcpy(p, buf, len);
		if (i % 8 == 7) {
			ringshm_commit(r);
		}
	}
	ringshm_commit(r);
}

static void put(const char *dir, const char *name, const void *a, size_t alen, const void *b,
		size_t blen)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f || fwrite(a, 1, alen, f) != alen || (blen && fwrite(b, 1, blen, f) != blen) ||
	    fclose(f) != 0) {
		die(path);
	}
}

/* The data area up to its last non-zero byte: fuzz_ring zero-fills the rest anyway. */
static size_t used(const uint8_t *data, size_t len)
{
	while (len && data[len - 1] == 0) {
		len--;
	}
	return len;
}

/* Cut the ring file at path into seeds NAME-t* (template) and NAME-r* (raw). */
static void cut(const char *path, const char *dir, const char *name, uint64_t seek_ts)
{
	struct ringshm_ctl c;
	uint8_t *file, in[1 + 8 * 4 + 64 + 16];
	struct stat st;
	char sname[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) != 0) {
		die(path);
	}
	file = malloc((size_t)st.st_size);
	if (!file || pread(fd, file, (size_t)st.st_size, 0) != st.st_size) {
		die(path);
	}
	close(fd);
	memcpy(&c, file, sizeof(c));

	/* Template form, for each seek mode; the last one with the "producer" moving. */
	for (int mode = 0; mode < 5; mode++) {
		uint8_t m = (uint8_t)((mode < 4 ? mode << 1 : (1 << 1) | 8) |
				      (c.capacity == 4 * CHUNK ? 0x10 : 0));
		uint8_t *q = in;

		*q++ = m;
		memcpy(q, &c.claim, 8), q += 8;
		memcpy(q, &c.head, 8), q += 8;
		memcpy(q, &c.next_seq, 8), q += 8;
		memcpy(q, &seek_ts, 8), q += 8;
		memset(q, 0, 64);
		memcpy(q, file + sizeof(c), c.nchunks * 16), q += 64;
		for (int k = 0; k < 16; k++) {
			*q++ = mode == 4 && k >= 8 ? (uint8_t)(k % 6) : 0;
		}
		if (mode != 1 && mode != 4 && strcmp(name, "small") != 0) {
			continue; /* the fuzzer flips the mode byte by itself */
		}
		snprintf(sname, sizeof(sname), "%s-t%d", name, mode);
		put(dir, sname, in, (size_t)(q - in), file + c.ctl_size,
		    used(file + c.ctl_size, c.capacity));
	}
	/* Raw form: header bytes as the file has them. */
	{
		size_t len = 1 + 8 + 16 + 4096;
		uint8_t *raw = calloc(1, len);

		raw[0] = 1 | (1 << 1);
		memcpy(raw + 1, &seek_ts, 8);
		memcpy(raw + 1 + 8 + 16, file, 4096);
		snprintf(sname, sizeof(sname), "%s-raw", name);
		put(dir, sname, raw, len, file + c.ctl_size, used(file + c.ctl_size, c.capacity));
		free(raw);
	}
	free(file);
}

static struct ringshm *create(const char *path, const struct ringshm_params *p)
{
	struct ringshm_error err;
	struct ringshm *r = ringshm_create(path, p, &err);

	if (!r) {
		fprintf(stderr, "fuzz_ring_seed: %s\n", err.msg);
		exit(1);
	}
	return r;
}

int main(int argc, char **argv)
{
	struct ringshm_params p = { .capacity = 2 * CHUNK,
				    .chunk_size = CHUNK,
				    .backing = RINGSHM_BACKING_FILE,
				    .no_lock = true };
	char tmpl[] = "/tmp/fuzz_ring_seed.XXXXXX", path[4096];
	struct ringshm *r;
	uint64_t seq = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: fuzz_ring_seed OUTDIR\n");
		return 2;
	}
	if (!mkdtemp(tmpl)) {
		die("mkdtemp");
	}

	/* 1. A few records, nothing wrapped. */
	snprintf(path, sizeof(path), "%s/small", tmpl);
	r = create(path, &p);
	produce(r, 20, &seq);
	ringshm_close(r);
	cut(path, argv[1], "small", 1900000000000000000ull + 10 * 1000);
	unlink(path);

	/* 2. Wrapped several times: PAD records, a chunk index that has moved on. */
	snprintf(path, sizeof(path), "%s/wrapped", tmpl);
	r = create(path, &p);
	produce(r, 300, &seq);
	ringshm_close(r);
	cut(path, argv[1], "wrapped", 1900000000000000000ull + (seq - 40) * 1000);

	/* 3. The same file after a producer restart: an EPOCH record, positions moved on. */
	r = create(path, &p);
	produce(r, 30, &seq);
	ringshm_close(r);
	cut(path, argv[1], "restarted", 1900000000000000000ull + (seq - 10) * 1000);
	unlink(path);

	/* 4. Four chunks. */
	p.capacity = 4 * CHUNK;
	snprintf(path, sizeof(path), "%s/four", tmpl);
	r = create(path, &p);
	produce(r, 120, &seq);
	ringshm_close(r);
	cut(path, argv[1], "four", 1900000000000000000ull + (seq - 60) * 1000);
	unlink(path);
	rmdir(tmpl);
	return 0;
}
