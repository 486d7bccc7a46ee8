/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archive_read_file_internal.h - one archive's reader inside, shared by its files (never
 * installed; archive_set.c sees only archive_read_internal.h):
 *
 *	archive_read.c		fcr_archive_open(): the format, pcap through libpcap or pcapng
 *				through pcapng_read.c; records; damage messages; close
 *	archive_read_source.c	the byte source under the FILE* they read: plain or zstd
 *	archive_read_zpipe.c	zstd decompression on a thread of its own, past the first MiB
 *	archive_read_seek.c	where reading starts: a seek point of an index, a time
 *
 * Its includers define _GNU_SOURCE (cookie_io_functions_t) before any include.
 */
#ifndef FCR_ARCHIVE_READ_FILE_INTERNAL_H
#define FCR_ARCHIVE_READ_FILE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <pcap/pcap.h>
#include <zstd.h>

#include "fcreader.h"
#include "pcapng_read.h"

#define ZSTD_SKIP_MAGIC 0x184D2A50u /* low 4 bits free */
#define PCAP_MAGIC_US	0xa1b2c3d4u
#define PCAP_MAGIC_NS	0xa1b23c4du

/* The byte source under libpcap's FILE*. */
struct zsrc {
	int fd;
	bool compressed;
	ZSTD_DCtx *dctx;
	uint8_t *ibuf;
	size_t icap;
	ZSTD_inBuffer in;
	uint64_t cbase; /* file offset of ibuf[0] */
	uint64_t uoff;	/* bytes handed to libpcap */
	uint32_t frame; /* index of the zstd frame being decoded (or next one) */
	bool in_frame;	/* inside a frame that has not ended yet */
	bool eof;
	bool truncated_frame; /* the file ended inside a frame */
	size_t zerr;	      /* a ZSTD error result, or 0 */
	uint64_t zerr_coff;
	/* bytes served before the file: the magic read to detect zstd, or the container header
	 * when the archive is entered at a seek point (then malloc'd) */
	uint8_t *prefix;
	uint8_t magic[4];
	size_t prefix_len, prefix_pos;
	struct zpipe *pipe; /* the decoder thread, once started (fcr_zpipe_read()) */
	bool piped;	    /* it was started (once per archive) */
};

struct fcr_archive {
	char *path;
	struct zsrc z;
	FILE *fp;
	pcap_t *pc;		  /* a pcap file, or NULL */
	struct fcr_ng *ng;	  /* a pcapng file, or NULL */
	uint8_t head[4];	  /* the first bytes of the container stream */
	struct fcr_iface pcap_if; /* a pcap file's one interface */
	struct fcr_pkt_meta pmeta;
	bool usec;	      /* a pcap file with microsecond timestamps */
	uint64_t skip_before; /* fcr_archive_seek_time(): records before this are skipped */
	uint64_t records;     /* records read from libpcap */
	uint64_t returned;    /* records returned */
	uint64_t good_uoff;   /* end of the last complete record, in bytes handed to libpcap */
	bool seeked;	      /* entered at a later zstd frame */
	bool done;
	bool damaged;
	char msg[768];
};

/* The compressed file offset the decoder has reached. */
static inline uint64_t fcr_zsrc_coff(const struct zsrc *z)
{
	return z->cbase + z->in.pos;
}

/* ---- archive_read_source.c */

/* The stdio cookie functions over struct zsrc: fopencookie(&a->z, "r", fcr_zsrc_io). */
extern const cookie_io_functions_t fcr_zsrc_io;

/*
 * Decompress into buf in this thread: some bytes, 0 at the end or on a zstd error (kept in z),
 * -1 on a read error.
 */
ssize_t fcr_zsrc_decode(struct zsrc *z, char *buf, size_t size);

/* The first 4 bytes of the container stream, served again through the prefix; how many. */
size_t fcr_zsrc_peek_head(struct zsrc *z, uint8_t head[4]);

/* ---- archive_read_zpipe.c */

/* Bytes from the decoder thread (started here when due); -2: none, decode in this thread. */
ssize_t fcr_zpipe_read(struct zsrc *z, char *buf, size_t size);

/* Stop the decoder and take its state back (the reader's own fields kept). */
void fcr_zpipe_end(struct zsrc *z);

/* ---- archive_read_seek.c */

/* Serve the data_off-byte container header first, then the file from off.  0 or an errno. */
int fcr_archive_enter_at(struct fcr_archive *a, uint64_t data_off, uint64_t off);

/*
 * Move a multi-frame zstd pcap to the last frame whose first record is before target.  0, or
 * -ENOTSUP when the file does not allow it or there is nothing to skip.
 */
int fcr_archive_zseek(struct fcr_archive *a, uint64_t target);

#endif /* FCR_ARCHIVE_READ_FILE_INTERNAL_H */
