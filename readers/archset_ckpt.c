/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archset_ckpt.c - the checkpoint block beside an archive being written (NAME.part.ckpt).
 *
 * 128 bytes rewritten in place with one pwrite() at every durable point of the writer.  A
 * pwrite() of 128 bytes at offset 0 sits in one page and one disk sector in practice, but
 * nothing promises it is atomic across a crash: the CRC is what tells a torn block from a
 * good one, and a torn block means "no checkpoint" (the .part is then recovered by reading
 * it, without its sequence numbers).  Fields are little-endian; this is a little-endian-only
 * program (x86-64, as DPDK builds it), which the static assert on the magic's bytes keeps
 * honest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "archset_internal.h"

_Static_assert(offsetof(struct archset_ckpt, flags) == 88, "flags after format and zstd");
_Static_assert(offsetof(struct archset_ckpt, crc) == 124, "crc is the last 4 bytes");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the checkpoint is little-endian");

static uint32_t ckpt_crc(const struct archset_ckpt *c)
{
	return (uint32_t)crc32(0L, (const Bytef *)c, offsetof(struct archset_ckpt, crc));
}

int archset_ckpt_write(int fd, struct archset_ckpt *c)
{
	ssize_t n;

	c->magic = ARCHSET_CKPT_MAGIC;
	memset(c->reserved, 0, sizeof(c->reserved));
	c->crc = ckpt_crc(c);
	do {
		n = pwrite(fd, c, sizeof(*c), 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		return -errno;
	}
	return n == (ssize_t)sizeof(*c) ? 0 : -EIO;
}

int archset_ckpt_read(int fd, struct archset_ckpt *c)
{
	ssize_t n;

	do {
		n = pread(fd, c, sizeof(*c), 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		return -errno;
	}
	if (n != (ssize_t)sizeof(*c) || c->magic != ARCHSET_CKPT_MAGIC || c->crc != ckpt_crc(c)) {
		return -ENODATA;
	}
	return 0;
}
