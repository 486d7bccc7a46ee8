/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcapng_read.c - pcapng (draft-ietf-opsawg-pcapng) read block by block.  See pcapng_read.h
 * for why this is not libpcap.
 *
 * A block is read whole into one buffer (its length is checked at both ends, as tshark does),
 * then parsed in place: nothing is read past the block's own length, and every option length
 * is checked against what is left of the block.
 *
 * The blocks' contents are parsed in files of their own (pcapng_read_internal.h lists them).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng_read_internal.h"

#define BOM 0x1A2B3C4Du

void fcr_ng_set_err(struct fcr_ng *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
}

/* Read exactly n bytes; 1, 0 at EOF before any byte, -1 on a short read (*got says how much). */
static int read_full(struct fcr_ng *r, void *buf, size_t n, size_t *got)
{
	*got = fread(buf, 1, n, r->fp);
	if (*got == n) {
		return 1;
	}
	return *got == 0 ? 0 : -1;
}

/*
 * The next block into r->blk.  1, 0 at a clean end (no byte left), -EPROTO, -EIO.  A new
 * section's byte order is learnt here, before its length can be read.
 */
static int read_block(struct fcr_ng *r, const uint8_t *first4)
{
	uint8_t h[12];
	size_t got = 0;
	int rc;

	if (first4) {
		memcpy(h, first4, 4);
		rc = read_full(r, h + 4, 4, &got);
		got += 4;
		rc = rc == 1 ? 1 : -1;
	} else {
		rc = read_full(r, h, 8, &got);
		if (rc == 0) {
			return ferror(r->fp) ? -EIO : 0;
		}
	}
	if (rc < 0) {
		if (ferror(r->fp)) {
			return -EIO;
		}
		fcr_ng_set_err(r, "the file ends inside a block header (%zu of 8 bytes)", got);
		return -EPROTO;
	}

	uint32_t type, len;

	memcpy(&type, h, 4);
	if (type == BT_SHB) {
		/* the byte-order magic follows the length: read it first */
		uint32_t bom;

		if (read_full(r, h + 8, 4, &got) != 1) {
			if (ferror(r->fp)) {
				return -EIO;
			}
			fcr_ng_set_err(r, "the file ends inside a section header");
			return -EPROTO;
		}
		memcpy(&bom, h + 8, 4);
		if (bom == BOM) {
			r->swap = false;
		} else if (bom == __builtin_bswap32(BOM)) {
			r->swap = true;
		} else {
			fcr_ng_set_err(r, "section header with a bad byte-order magic 0x%08x", bom);
			return -EPROTO;
		}
	}
	type = g32(r, h);
	len = g32(r, h + 4);
	if (len < 12 || len % 4 || len > FCR_NG_MAX_BLOCK || (type == BT_SHB && len < 28)) {
		fcr_ng_set_err(r, "block type 0x%08x has an impossible length %u", type, len);
		return -EPROTO;
	}
	if (len > r->blkcap) {
		size_t nc = r->blkcap ? r->blkcap : 4096;
		uint8_t *n;

		while (nc < len) {
			nc *= 2;
		}
		n = realloc(r->blk, nc);
		if (!n) {
			fcr_ng_set_err(r, "out of memory for a %u-byte block", len);
			return -EIO;
		}
		r->blk = n;
		r->blkcap = nc;
	}

	size_t head = type == BT_SHB ? 12 : 8;

	memcpy(r->blk, h, head);
	if (read_full(r, r->blk + head, len - head, &got) != 1) {
		if (ferror(r->fp)) {
			return -EIO;
		}
		fcr_ng_set_err(r, "the file ends inside a block of type 0x%08x (%zu of %u bytes)",
			       type, head + got, len);
		return -EPROTO;
	}
	if (g32(r, r->blk + len - 4) != len) {
		fcr_ng_set_err(r,
			       "block type 0x%08x: trailing length %u differs from the leading %u",
			       type, g32(r, r->blk + len - 4), len);
		return -EPROTO;
	}
	r->blklen = len;
	return 1;
}

/* Options: calls fn for each until opt_endofopt or the end; -EPROTO if one overruns. */
typedef int (*fcr_ng_opt_fn)(struct fcr_ng *r, void *ctx, uint16_t code, const uint8_t *v,
			     uint16_t len);

int fcr_ng_walk_opts(struct fcr_ng *r, const uint8_t *p, size_t n, fcr_ng_opt_fn fn, void *ctx)
{
	while (n >= 4) {
		uint16_t code = g16(r, p), len = g16(r, p + 2);
		size_t padded = ((size_t)len + 3u) & ~(size_t)3u;

		if (code == 0) {
			return 0;
		}
		if (padded > n - 4) {
			fcr_ng_set_err(r, "option %u of length %u runs past the end of its block",
				       code, len);
			return -EPROTO;
		}
		int rc = fn(r, ctx, code, p + 4, len);

		if (rc < 0) {
			return rc;
		}
		p += 4 + padded;
		n -= 4 + padded;
	}
	return 0;
}

/* Blocks up to the next packet; 1 with blk holding it, 0 at the end, -errno. */
static int to_packet(struct fcr_ng *r, uint32_t *type)
{
	for (;;) {
		int rc = read_block(r, NULL);

		if (rc <= 0) {
			return rc;
		}
		*type = g32(r, r->blk);
		switch (*type) {
		case BT_SHB:
			rc = fcr_ng_on_shb(r);
			break;
		case BT_IDB:
			rc = fcr_ng_on_idb(r);
			break;
		case BT_ISB:
			rc = fcr_ng_on_isb(r);
			break;
		case BT_EPB:
		case BT_SPB:
		case BT_PB:
			return 1;
		default:
			rc = 0; /* name resolution, decryption secrets, custom: not frames */
			break;
		}
		if (rc == -ENOMEM) {
			fcr_ng_set_err(r, "out of memory");
			return -EIO;
		}
		if (rc < 0) {
			return rc;
		}
	}
}

struct fcr_ng *fcr_ng_open(FILE *fp, const uint8_t first4[4], char *msg, size_t msglen)
{
	struct fcr_ng *r = calloc(1, sizeof(*r));
	uint32_t type;
	int rc;

	if (!r) {
		snprintf(msg, msglen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	r->fp = fp;
	rc = read_block(r, first4);
	if (rc == 1) {
		rc = fcr_ng_on_shb(r);
	} else if (rc == 0) {
		rc = -EPROTO;
		fcr_ng_set_err(r, "empty file");
	}
	/* up to the first packet, so that the first interface (the link type) is known */
	if (rc == 0) {
		rc = to_packet(r, &type);
		r->pending = rc == 1;
	}
	if (rc < 0) {
		snprintf(msg, msglen, "%s", rc == -ENOMEM ? "out of memory" : r->err);
		fcr_ng_close(r);
		errno = rc == -ENOMEM ? ENOMEM : EPROTO;
		return NULL;
	}
	return r;
}

int fcr_ng_next(struct fcr_ng *r, struct fcr_pkt *pkt)
{
	uint32_t type;
	int rc;

	if (r->pending) {
		r->pending = false;
	} else {
		rc = to_packet(r, &type);
		if (rc <= 0) {
			return rc;
		}
	}
	return fcr_ng_on_packet(r, g32(r, r->blk), pkt);
}

const char *fcr_ng_error(const struct fcr_ng *r)
{
	return r->err;
}

const struct fcr_iface *fcr_ng_first_iface(const struct fcr_ng *r)
{
	return r->nifs ? &r->ifs[0]->pub : NULL;
}

uint8_t fcr_ng_finest_tsresol(const struct fcr_ng *r)
{
	uint8_t res = 6;

	for (uint32_t i = 0; i < r->nifs; i++) {
		uint8_t t = r->ifs[i]->pub.tsresol;

		/* 10^-0..10^-6 count whole microseconds; 2^-n and 10^-7.. do not */
		if ((t & 0x80) || t > 6) {
			res = 9;
		}
	}
	return res;
}

const struct fcr_section *fcr_ng_first_section(const struct fcr_ng *r)
{
	return r->nsecs ? &r->secs[0]->pub : NULL;
}

unsigned int fcr_ng_stats(struct fcr_ng *r, const struct fcr_ifstats **out)
{
	unsigned int n = 0;

	free(r->statv);
	r->statv = calloc(r->nifs ? r->nifs : 1, sizeof(*r->statv));
	if (!r->statv) {
		*out = NULL;
		return 0;
	}
	for (uint32_t i = 0; i < r->nifs; i++) {
		if (r->ifs[i]->have_stats) {
			r->statv[n++] = r->ifs[i]->stats;
		}
	}
	*out = r->statv;
	return n;
}

void fcr_ng_close(struct fcr_ng *r)
{
	if (!r) {
		return;
	}
	for (uint32_t i = 0; i < r->nifs; i++) {
		fcr_ng_iface_free(r->ifs[i]);
	}
	for (uint32_t i = 0; i < r->nsecs; i++) {
		fcr_ng_section_free(r->secs[i]);
	}
	free(r->ifs);
	free(r->pubs);
	free(r->secs);
	free(r->blk);
	free(r->cbuf);
	free(r->statv);
	free(r);
}
