/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringshm_common.c - what the producer and the readers share: name resolution, error
 * messages, and the checks that decide whether a file is a ring this library can read.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "ringshm_internal.h"

int rs_error(struct ringshm_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

uint64_t rs_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t rs_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool rs_pid_alive(uint64_t pid)
{
	if (pid == 0 || pid > INT32_MAX) {
		return false;
	}
	/* EPERM: it exists but belongs to someone else (a reader checking the producer). */
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

int ringshm_resolve(const char *name_or_path, const char *dir, char *out, size_t outlen)
{
	int n;

	if (!name_or_path || !*name_or_path) {
		return -EINVAL;
	}
	if (strchr(name_or_path, '/')) {
		n = snprintf(out, outlen, "%s", name_or_path);
	} else {
		if (!dir) {
			dir = getenv("FEEDCAP_RING_DIR");
		}
		if (!dir || !*dir) {
			dir = RINGSHM_DEFAULT_DIR;
		}
		n = snprintf(out, outlen, "%s/%s", dir, name_or_path);
	}
	if (n < 0 || (size_t)n >= outlen) {
		return -ENAMETOOLONG;
	}
	return 0;
}

int rs_registry_path(const char *ring_path, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s.readers", ring_path);

	return (n < 0 || (size_t)n >= outlen) ? -ENAMETOOLONG : 0;
}

uint64_t rs_ctl_bytes(uint32_t nchunks)
{
	return sizeof(struct ringshm_ctl) + (uint64_t)nchunks * sizeof(struct ringshm_chunk_ent);
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* The magic as text, for messages: printable bytes or '.'. */
static void magic_text(uint64_t magic, char out[9])
{
	for (int i = 0; i < 8; i++) {
		unsigned char ch = (unsigned char)(magic >> (8 * i));

		out[i] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '.';
	}
	out[8] = '\0';
}

int rs_check_ctl(const struct ringshm_ctl *c, uint64_t file_bytes, const char *path,
		 struct ringshm_error *err)
{
	char mt[9];
	uint64_t need;

	if (file_bytes < sizeof(struct ringshm_ctl)) {
		return rs_error(
			err, -EPROTO,
			"%s: truncated ring header: the file has %llu bytes, a ring header needs at least %zu",
			path, (unsigned long long)file_bytes, sizeof(struct ringshm_ctl));
	}
	if (c->magic != RINGSHM_MAGIC) {
		magic_text(c->magic, mt);
		return rs_error(
			err, -EPROTO,
			"%s: not a feedcap ring: magic at offset 0 is 0x%016llx (\"%s\"), expected \"FCRING01\"",
			path, (unsigned long long)c->magic, mt);
	}
	if (c->version_major != RINGSHM_VERSION_MAJOR) {
		return rs_error(
			err, -EPROTONOSUPPORT,
			"%s: ring layout version %u.%u, this library reads only version %u.x: use readers from the same feedcap release as the capture",
			path, c->version_major, c->version_minor, RINGSHM_VERSION_MAJOR);
	}
#define CORRUPT(field, fmt, ...)                                                                   \
	rs_error(err, -EPROTO, "%s: corrupt ring header: " field " " fmt, path, __VA_ARGS__)
	if (!is_pow2(c->chunk_size) || c->chunk_size < RINGSHM_MIN_CHUNK) {
		return CORRUPT("chunk_size", "= %u (must be a power of two >= %u)", c->chunk_size,
			       RINGSHM_MIN_CHUNK);
	}
	if (!is_pow2(c->capacity) || c->capacity < 2 * (uint64_t)c->chunk_size) {
		return CORRUPT("capacity", "= %llu (must be a power of two >= 2 chunks of %u)",
			       (unsigned long long)c->capacity, c->chunk_size);
	}
	if ((uint64_t)c->nchunks != c->capacity / c->chunk_size) {
		return CORRUPT("nchunks", "= %u (capacity %llu / chunk_size %u = %llu)", c->nchunks,
			       (unsigned long long)c->capacity, c->chunk_size,
			       (unsigned long long)(c->capacity / c->chunk_size));
	}
	if (c->rec_align != RINGSHM_REC_ALIGN || c->rec_hdr_size != RINGSHM_REC_HDR_SIZE) {
		return CORRUPT("rec_align/rec_hdr_size", "= %u/%u (expected %u/%u)", c->rec_align,
			       c->rec_hdr_size, RINGSHM_REC_ALIGN, RINGSHM_REC_HDR_SIZE);
	}
	need = rs_ctl_bytes(c->nchunks);
	if (c->ctl_size % RINGSHM_CTL_ALIGN || c->ctl_size < need) {
		return CORRUPT("ctl_size", "= %llu (must be a multiple of %u and >= %llu)",
			       (unsigned long long)c->ctl_size, RINGSHM_CTL_ALIGN,
			       (unsigned long long)need);
	}
	/*
	 * ctl_size + capacity must not wrap: with capacity 2^62 and ctl_size 2^64 - 2^62 + 2 MiB
	 * the sum is 2 MiB, every check above and below passes on a 2 MiB file, and the data
	 * pointer (mapping + ctl_size) lands before the mapping -- where a reader would read and a
	 * restarting producer write.  Both terms are bounded by what the file can hold (an off_t)
	 * before they are added.
	 */
	if (c->capacity > (uint64_t)INT64_MAX || c->ctl_size > (uint64_t)INT64_MAX - c->capacity) {
		return CORRUPT("ctl_size + capacity",
			       "= %llu + %llu (overflows: larger than any file can be)",
			       (unsigned long long)c->ctl_size, (unsigned long long)c->capacity);
	}
	if (c->file_size != c->ctl_size + c->capacity) {
		return CORRUPT("file_size", "= %llu (ctl_size %llu + capacity %llu = %llu)",
			       (unsigned long long)c->file_size, (unsigned long long)c->ctl_size,
			       (unsigned long long)c->capacity,
			       (unsigned long long)(c->ctl_size + c->capacity));
	}
#undef CORRUPT
	if (file_bytes < c->file_size) {
		return rs_error(err, -EPROTO,
				"%s: truncated ring: the file has %llu bytes, its header says %llu",
				path, (unsigned long long)file_bytes,
				(unsigned long long)c->file_size);
	}
	return 0;
}
