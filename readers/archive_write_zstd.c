/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archive_write_zstd.c - the sinks: a plain file, and a zstd stream.
 *
 * zstd, by default, writes ONE frame per file that is flushed (ZSTD_e_flush), never ended,
 * until close: Debian 12's Wireshark 4.0 misreads files of several zstd frames, and a flushed
 * frame is decodable up to the last flush even if the writer is killed (DESIGN.md, measured).
 * The frame carries no content checksum, on purpose: a file cut back after a write error is
 * then ended with a bare empty last block (3 bytes, RFC 8878 section 3.1.1.2), which needs no
 * compressor state and fits in the space the writer keeps reserved.
 *
 * The multi-frame option ends a frame at every flush instead and appends a seek table in the
 * zstd seekable format (zstd contrib/seekable_format, a skippable frame) at close, so readers
 * can start at a frame near the time they want.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "archive_write_internal.h"

/* ------------------------------------------------------------------ plain */

static int plain_open(struct fcr_writer *w)
{
	(void)w;
	return 0;
}

static int plain_push(struct fcr_writer *w, const uint8_t *buf, size_t len, enum fcr_push_mode mode)
{
	if (w->dfd >= 0) {
		return fcr_out_direct(w, len, mode); /* buf is w->buf */
	}
	(void)mode; /* nothing is held back: every push reaches the file */
	return len ? fcr_out_write(w, buf, len) : 0;
}

const struct fcr_sink_ops fcr_sink_plain = {
	.name = "plain",
	.open = plain_open,
	.push = plain_push,
	.durable_on_push = true,
};

/* ------------------------------------------------------------------ zstd */

#define SEEK_SKIPPABLE_MAGIC 0x184D2A5Eu
#define SEEKABLE_MAGIC	     0x8F92EAB1u

struct seek_ent {
	uint32_t csize;
	uint32_t dsize;
};

struct zsink {
	ZSTD_CCtx *cctx;
	uint8_t *out;
	size_t out_cap;
	bool frame_open;     /* a frame was started and not ended */
	uint64_t frame_coff; /* file offset where the current frame began */
	uint64_t frame_dlen; /* uncompressed bytes in the current frame */
	struct seek_ent *ents;
	size_t nents, cap_ents;
};

static int zerr(struct fcr_writer *w, size_t r, const char *what)
{
	char msg[200];

	snprintf(msg, sizeof(msg), "zstd %s failed (%s)", what, ZSTD_getErrorName(r));
	return fcr_writer_fail(w, -EIO, msg);
}

static int zstd_open(struct fcr_writer *w)
{
	struct zsink *z = calloc(1, sizeof(*z));
	size_t r;

	if (!z) {
		return -ENOMEM;
	}
	w->sink_priv = z;
	z->cctx = ZSTD_createCCtx();
	z->out_cap = ZSTD_CStreamOutSize();
	z->out = malloc(z->out_cap);
	if (!z->cctx || !z->out) {
		return -ENOMEM;
	}
	r = ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_compressionLevel, w->o.zstd_level);
	if (ZSTD_isError(r)) {
		return zerr(w, r, "level");
	}
	r = ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_checksumFlag, 0);
	if (ZSTD_isError(r)) {
		return zerr(w, r, "checksum flag");
	}
	if (w->o.zstd_threads > 0) {
		r = ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_nbWorkers, w->o.zstd_threads);
		if (ZSTD_isError(r)) {
			return zerr(w, r, "worker threads (libzstd without multithreading?)");
		}
	}
	return 0;
}

static int zstd_push(struct fcr_writer *w, const uint8_t *buf, size_t len, enum fcr_push_mode mode)
{
	struct zsink *z = w->sink_priv;
	ZSTD_EndDirective end = mode == FCR_PUSH_END	 ? ZSTD_e_end
				: mode == FCR_PUSH_FLUSH ? ZSTD_e_flush
							 : ZSTD_e_continue;
	ZSTD_inBuffer in = { buf, len, 0 };
	size_t remaining;
	int rc;

	if (!z->frame_open) {
		if (len == 0 && mode != FCR_PUSH_CONTINUE && w->o.zstd_multiframe) {
			return 0; /* nothing to put in a new frame */
		}
		z->frame_open = true;
		z->frame_coff = w->file_off;
		z->frame_dlen = 0;
	}
	z->frame_dlen += len;
	do {
		ZSTD_outBuffer out = { z->out, z->out_cap, 0 };

		remaining = ZSTD_compressStream2(z->cctx, &out, &in, end);
		if (ZSTD_isError(remaining)) {
			return zerr(w, remaining, "compression");
		}
		if (out.pos) {
			rc = fcr_out_write(w, z->out, out.pos);
			if (rc < 0) {
				return rc;
			}
		}
	} while (end == ZSTD_e_continue ? in.pos < in.size : remaining != 0);

	if (end == ZSTD_e_end) {
		if (z->nents == z->cap_ents) {
			size_t n = z->cap_ents ? 2 * z->cap_ents : 64;
			struct seek_ent *e = realloc(z->ents, n * sizeof(*e));

			if (!e) {
				return fcr_writer_fail(w, -ENOMEM, "seek table");
			}
			z->ents = e;
			z->cap_ents = n;
		}
		z->ents[z->nents].csize = (uint32_t)(w->file_off - z->frame_coff);
		z->ents[z->nents].dsize = (uint32_t)z->frame_dlen;
		z->nents++;
		z->frame_open = false;
		w->st.zstd_frames++;
	}
	return 0;
}

static size_t seek_table(const struct zsink *z, uint8_t **out)
{
	size_t n = z->nents, size = 8 + n * 8 + 9, i;
	uint32_t v;
	uint8_t *p = malloc(size), *q;

	*out = p;
	if (!p) {
		return 0;
	}
	q = p;
	v = SEEK_SKIPPABLE_MAGIC;
	memcpy(q, &v, 4);
	v = (uint32_t)(size - 8);
	memcpy(q + 4, &v, 4);
	q += 8;
	for (i = 0; i < n; i++) {
		memcpy(q, &z->ents[i].csize, 4);
		memcpy(q + 4, &z->ents[i].dsize, 4);
		q += 8;
	}
	v = (uint32_t)n;
	memcpy(q, &v, 4);
	q[4] = 0; /* descriptor: no checksums */
	v = SEEKABLE_MAGIC;
	memcpy(q + 5, &v, 4);
	return size;
}

static int zstd_finish(struct fcr_writer *w)
{
	struct zsink *z = w->sink_priv;
	uint8_t *tab;
	size_t n;
	int rc;

	if (!w->o.zstd_multiframe) {
		return 0;
	}
	n = seek_table(z, &tab);
	if (!tab) {
		return fcr_writer_fail(w, -ENOMEM, "seek table");
	}
	rc = fcr_out_write(w, tab, n);
	free(tab);
	return rc;
}

static int zstd_seal_broken(struct fcr_writer *w)
{
	static const uint8_t last_empty_raw_block[3] = { 0x01, 0x00, 0x00 };
	struct zsink *z = w->sink_priv;
	uint8_t *tab;
	size_t n;
	int rc;

	if (!w->o.zstd_multiframe) {
		/* The file ends at a flush point inside the frame: end the frame there. */
		if (w->file_off > z->frame_coff) {
			return fcr_out_write_sealing(w, last_empty_raw_block, 3);
		}
		return 0;
	}
	/* Multi-frame: durable points are frame ends; keep the frames that are whole. */
	{
		uint64_t off = 0;
		size_t i, keep = 0;

		for (i = 0; i < z->nents; i++) {
			if (off + z->ents[i].csize > w->file_off) {
				break;
			}
			off += z->ents[i].csize;
			keep++;
		}
		z->nents = keep;
	}
	n = seek_table(z, &tab);
	if (!tab) {
		return -ENOMEM;
	}
	rc = fcr_out_write_sealing(w, tab, n);
	free(tab);
	return rc;
}

static void zstd_free(struct fcr_writer *w)
{
	struct zsink *z = w->sink_priv;

	if (!z) {
		return;
	}
	ZSTD_freeCCtx(z->cctx);
	free(z->out);
	free(z->ents);
	free(z);
	w->sink_priv = NULL;
}

const struct fcr_sink_ops fcr_sink_zstd = {
	.name = "zstd",
	.open = zstd_open,
	.push = zstd_push,
	.seal_broken = zstd_seal_broken,
	.finish = zstd_finish,
	.free = zstd_free,
	.durable_on_push = false,
};
