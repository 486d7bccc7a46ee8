/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archive_read_source.c - the bytes under an archive's FILE*: first a prefix (the magic read to
 * tell zstd from the rest, or the container header when a reader enters at a seek point), then
 * the file as it is, or what ZSTD_decompressStream() makes of it.
 *
 * The source keeps count of where it is in both streams (bytes handed to stdio, compressed
 * bytes consumed, the zstd frame), which is how a damaged archive's message can say where it
 * stopped.  Past the first MiB of a zstd stream the decompression moves to a thread
 * (archive_read_zpipe.c) when it can.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "archive_read_file_internal.h"

static ssize_t zsrc_read(void *cookie, char *buf, size_t size)
{
	struct zsrc *z = cookie;
	ssize_t got;

	if (z->prefix_pos < z->prefix_len) {
		size_t n = z->prefix_len - z->prefix_pos;

		if (n > size) {
			n = size;
		}
		memcpy(buf, z->prefix + z->prefix_pos, n);
		z->prefix_pos += n;
		z->uoff += n;
		return (ssize_t)n;
	}
	if (!z->compressed) {
		ssize_t n;

		do {
			n = read(z->fd, buf, size);
		} while (n < 0 && errno == EINTR);
		if (n > 0) {
			z->uoff += (uint64_t)n;
		}
		return n;
	}
	got = fcr_zpipe_read(z, buf, size);
	if (got == -2) {
		got = fcr_zsrc_decode(z, buf, size); /* no decoder thread: decode here */
	}
	if (got > 0) {
		z->uoff += (uint64_t)got;
	}
	return got;
}

/* Decompress into buf: some bytes, 0 at the end or on a zstd error (kept in z), -1 on a read error. */
ssize_t fcr_zsrc_decode(struct zsrc *z, char *buf, size_t size)
{
	if (z->zerr || z->eof) {
		return 0;
	}

	ZSTD_outBuffer out = { buf, size, 0 };

	while (out.pos == 0) {
		if (z->in.pos == z->in.size) {
			ssize_t n = read(z->fd, z->ibuf, z->icap);

			if (n < 0) {
				if (errno == EINTR) {
					continue;
				}
				return -1;
			}
			z->cbase += z->in.size;
			z->in.src = z->ibuf;
			z->in.size = (size_t)n;
			z->in.pos = 0;
			if (n == 0) {
				z->eof = true;
				z->truncated_frame = z->in_frame;
				break;
			}
		}

		size_t r = ZSTD_decompressStream(z->dctx, &out, &z->in);

		if (ZSTD_isError(r)) {
			z->zerr = r;
			z->zerr_coff = fcr_zsrc_coff(z);
			break;
		}
		if (r == 0) {
			z->in_frame = false;
			z->frame++;
		} else {
			z->in_frame = true;
		}
	}
	return (ssize_t)out.pos;
}

/* Only "where am I" is supported: it lets ftell() report the offset libpcap has reached. */
static int zsrc_seek(void *cookie, off64_t *offset, int whence)
{
	struct zsrc *z = cookie;

	if (whence == SEEK_CUR && *offset == 0) {
		*offset = (off64_t)z->uoff;
		return 0;
	}
	errno = ESPIPE;
	return -1;
}

static int zsrc_close(void *cookie)
{
	(void)cookie; /* the archive frees the source after pcap_close() */
	return 0;
}

const cookie_io_functions_t fcr_zsrc_io = {
	.read = zsrc_read,
	.seek = zsrc_seek,
	.close = zsrc_close,
};

/*
 * The first bytes of the container stream, without consuming them: they decide between pcap
 * (libpcap) and pcapng (pcapng_read.c).  Whatever had to be read to learn them is served again
 * through the prefix.
 */
size_t fcr_zsrc_peek_head(struct zsrc *z, uint8_t head[4])
{
	size_t got = 0;

	if (z->prefix_len - z->prefix_pos >= 4) {
		memcpy(head, z->prefix + z->prefix_pos, 4);
		return 4;
	}
	if (!z->compressed) {
		got = z->prefix_len - z->prefix_pos; /* a file shorter than 4 bytes */
		memcpy(head, z->prefix + z->prefix_pos, got);
		return got;
	}
	while (got < 4) {
		ssize_t n = zsrc_read(z, (char *)head + got, 4 - got);

		if (n <= 0) {
			break;
		}
		got += (size_t)n;
	}
	memcpy(z->magic, head, got);
	z->prefix = z->magic;
	z->prefix_len = got;
	z->prefix_pos = 0;
	z->uoff -= got;
	return got;
}
