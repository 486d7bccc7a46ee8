/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcapng_read.c - pcapng (draft-ietf-opsawg-pcapng) read block by block.  See pcapng_read.h
 * for why this is not libpcap.
 *
 * A block is read whole into one buffer (its length is checked at both ends, as tshark does),
 * then parsed in place: nothing is read past the block's own length, and every option length
 * is checked against what is left of the block.  Interfaces are numbered across sections, as
 * tshark's frame.interface_id is: a new section starts numbering its own IDBs at the count
 * reached so far.  Strings are copied out of the block (NUL-terminated) so that the interface
 * and section descriptions outlive it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "pcapng_read.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_PB  0x00000002u /* obsolete Packet Block */
#define BT_SPB 0x00000003u
#define BT_ISB 0x00000005u
#define BT_EPB 0x00000006u

#define BOM	     0x1A2B3C4Du
#define MAX_COMMENTS 64 /* per packet; more are dropped */

struct ng_iface {
	struct fcr_iface pub;
	char *strs[5]; /* name, descr, filter, os, hardware */
	char **comments;
	uint32_t section;
	bool have_stats;
	struct fcr_ifstats stats;
};

struct ng_section {
	struct fcr_section pub;
	char *strs[3];
	char **comments;
};

struct fcr_ng {
	FILE *fp;
	bool swap;
	uint8_t *blk; /* the current block, whole */
	size_t blkcap;
	uint32_t blklen;
	struct ng_iface **ifs;
	const struct fcr_iface **pubs; /* &ifs[i]->pub: what meta.section_ifaces points into */
	uint32_t nifs, ifcap;
	uint32_t sec_base; /* global id of the current section's interface 0 */
	struct ng_section **secs;
	uint32_t nsecs, seccap;
	bool pending; /* a packet block read by open waits in blk */
	/* the current packet's comments (copies) */
	char *cbuf;
	size_t ccap;
	const char *cptr[MAX_COMMENTS];
	struct fcr_pkt_meta meta;
	struct fcr_ifstats *statv; /* fcr_ng_stats() */
	char err[384];
};

static void ng_err(struct fcr_ng *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void ng_err(struct fcr_ng *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
}

static uint16_t g16(const struct fcr_ng *r, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return r->swap ? __builtin_bswap16(v) : v;
}

static uint32_t g32(const struct fcr_ng *r, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return r->swap ? __builtin_bswap32(v) : v;
}

static uint64_t g64(const struct fcr_ng *r, const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return r->swap ? __builtin_bswap64(v) : v;
}

/* pcapng timestamps: two 32-bit words, high first, each in the section's byte order. */
static uint64_t gts(const struct fcr_ng *r, const uint8_t *p)
{
	return (uint64_t)g32(r, p) << 32 | g32(r, p + 4);
}

int fcr_ng_dlt(uint32_t lt)
{
	switch (lt) {
	case 101: /* LINKTYPE_RAW */
		return DLT_RAW;
	case 100: /* LINKTYPE_ATM_RFC1483 */
		return DLT_ATM_RFC1483;
	case 102:
		return DLT_SLIP_BSDOS;
	case 103:
		return DLT_PPP_BSDOS;
	default:
		return (int)lt;
	}
}

uint32_t fcr_ng_linktype(int dlt)
{
	switch (dlt) {
	case DLT_RAW:
#if DLT_RAW != 14
	case 14: /* OpenBSD's DLT_RAW */
#endif
		return 101;
	case DLT_ATM_RFC1483:
		return 100;
	case DLT_SLIP_BSDOS:
		return 102;
	case DLT_PPP_BSDOS:
		return 103;
	default:
		return (uint32_t)dlt;
	}
}

/* Units per second of if_tsresol res, 0 if it does not fit 64 bits. */
static uint64_t res_units(uint8_t res)
{
	uint64_t u = 1;

	if (res & 0x80) {
		return (res & 0x7f) < 64 ? UINT64_C(1) << (res & 0x7f) : 0;
	}
	if (res > 19) {
		return 0;
	}
	for (uint8_t i = 0; i < res; i++) {
		u *= 10;
	}
	return u;
}

uint64_t fcr_ng_units_to_ns(uint64_t ts, uint8_t res, int64_t tsoffset)
{
	uint64_t u = res_units(res);
	unsigned __int128 ns;
	__int128 v;

	if (u == 0) {
		u = 1000000;
	}
	ns = (unsigned __int128)(ts / u) * 1000000000u +
	     (unsigned __int128)(ts % u) * 1000000000u / u;
	v = (__int128)ns + (__int128)tsoffset * 1000000000;
	if (v < 0) {
		return 0;
	}
	return v > (__int128)UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

/* FNV-1a over a field list: the interface and section keys. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		h = (h ^ b[i]) * UINT64_C(0x100000001b3);
	}
	return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	return s ? fnv(h, s, strlen(s) + 1) : fnv(h, "\xff", 1);
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
		ng_err(r, "the file ends inside a block header (%zu of 8 bytes)", got);
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
			ng_err(r, "the file ends inside a section header");
			return -EPROTO;
		}
		memcpy(&bom, h + 8, 4);
		if (bom == BOM) {
			r->swap = false;
		} else if (bom == __builtin_bswap32(BOM)) {
			r->swap = true;
		} else {
			ng_err(r, "section header with a bad byte-order magic 0x%08x", bom);
			return -EPROTO;
		}
	}
	type = g32(r, h);
	len = g32(r, h + 4);
	if (len < 12 || len % 4 || len > FCR_NG_MAX_BLOCK || (type == BT_SHB && len < 28)) {
		ng_err(r, "block type 0x%08x has an impossible length %u", type, len);
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
			ng_err(r, "out of memory for a %u-byte block", len);
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
		ng_err(r, "the file ends inside a block of type 0x%08x (%zu of %u bytes)", type,
		       head + got, len);
		return -EPROTO;
	}
	if (g32(r, r->blk + len - 4) != len) {
		ng_err(r, "block type 0x%08x: trailing length %u differs from the leading %u", type,
		       g32(r, r->blk + len - 4), len);
		return -EPROTO;
	}
	r->blklen = len;
	return 1;
}

/* Options: calls fn for each until opt_endofopt or the end; -EPROTO if one overruns. */
typedef int (*opt_fn)(struct fcr_ng *r, void *ctx, uint16_t code, const uint8_t *v, uint16_t len);

static int walk_opts(struct fcr_ng *r, const uint8_t *p, size_t n, opt_fn fn, void *ctx)
{
	while (n >= 4) {
		uint16_t code = g16(r, p), len = g16(r, p + 2);
		size_t padded = ((size_t)len + 3u) & ~(size_t)3u;

		if (code == 0) {
			return 0;
		}
		if (padded > n - 4) {
			ng_err(r, "option %u of length %u runs past the end of its block", code,
			       len);
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

static char *dupn(const uint8_t *v, size_t len)
{
	char *s = malloc(len + 1);

	if (s) {
		memcpy(s, v, len);
		s[len] = '\0';
	}
	return s;
}

/* Append a string copy to a NULL-terminated-free list (count in *n). */
static int add_str(char ***list, uint32_t *n, const uint8_t *v, size_t len)
{
	char **nl = realloc(*list, (*n + 1) * sizeof(**list));

	if (!nl) {
		return -ENOMEM;
	}
	*list = nl;
	nl[*n] = dupn(v, len);
	if (!nl[*n]) {
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

static int set_str(char **slot, const uint8_t *v, size_t len)
{
	if (*slot) {
		return 0; /* the first one counts */
	}
	*slot = dupn(v, len);
	return *slot ? 0 : -ENOMEM;
}

static int shb_opt(struct fcr_ng *r, void *ctx, uint16_t code, const uint8_t *v, uint16_t len)
{
	struct ng_section *s = ctx;

	(void)r;
	switch (code) {
	case 1:
		return add_str(&s->comments, &s->pub.ncomments, v, len);
	case 2:
		return set_str(&s->strs[0], v, len);
	case 3:
		return set_str(&s->strs[1], v, len);
	case 4:
		return set_str(&s->strs[2], v, len);
	default:
		return 0;
	}
}

static void section_free(struct ng_section *s)
{
	if (!s) {
		return;
	}
	for (int i = 0; i < 3; i++) {
		free(s->strs[i]);
	}
	for (uint32_t i = 0; i < s->pub.ncomments; i++) {
		free(s->comments[i]);
	}
	free(s->comments);
	free(s);
}

static int on_shb(struct fcr_ng *r)
{
	uint16_t major = g16(r, r->blk + 12);
	struct ng_section *s;
	int rc;

	if (major != 1) {
		ng_err(r, "section header version %u.%u: only 1.x is pcapng", major,
		       g16(r, r->blk + 14));
		return -EPROTO;
	}
	if (r->nsecs == r->seccap) {
		uint32_t nc = r->seccap ? r->seccap * 2 : 4;
		struct ng_section **n = realloc(r->secs, nc * sizeof(*n));

		if (!n) {
			return -ENOMEM;
		}
		r->secs = n;
		r->seccap = nc;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		return -ENOMEM;
	}
	r->secs[r->nsecs++] = s;
	rc = walk_opts(r, r->blk + 24, r->blklen - 28, shb_opt, s);
	if (rc < 0) {
		return rc;
	}
	s->pub.hardware = s->strs[0];
	s->pub.os = s->strs[1];
	s->pub.userappl = s->strs[2];
	s->pub.comments = (const char *const *)s->comments;

	uint64_t k = UINT64_C(0xcbf29ce484222325);

	for (int i = 0; i < 3; i++) {
		k = fnv_str(k, s->strs[i]);
	}
	for (uint32_t i = 0; i < s->pub.ncomments; i++) {
		k = fnv_str(k, s->comments[i]);
	}
	s->pub.key = k;
	r->sec_base = r->nifs; /* interfaces of this section are numbered from here */
	return 0;
}

static int idb_opt(struct fcr_ng *r, void *ctx, uint16_t code, const uint8_t *v, uint16_t len)
{
	struct ng_iface *f = ctx;

	switch (code) {
	case 1:
		return add_str(&f->comments, &f->pub.ncomments, v, len);
	case 2:
		return set_str(&f->strs[0], v, len);
	case 3:
		return set_str(&f->strs[1], v, len);
	case 8:
		if (len == 8) {
			f->pub.speed = g64(r, v);
		}
		return 0;
	case 9:
		if (len >= 1) {
			if (!res_units(v[0])) {
				ng_err(r, "if_tsresol %u is finer than 64 bits can count", v[0]);
				return -EPROTO;
			}
			f->pub.tsresol = v[0];
		}
		return 0;
	case 11:
		/* code 0: a libpcap filter string; 1: BPF byte code, not kept */
		if (len >= 1 && v[0] == 0) {
			return set_str(&f->strs[2], v + 1, len - 1u);
		}
		return 0;
	case 12:
		return set_str(&f->strs[3], v, len);
	case 13:
		if (len >= 1) {
			f->pub.fcslen = v[0];
		}
		return 0;
	case 14:
		if (len == 8) {
			f->pub.tsoffset = (int64_t)g64(r, v);
		}
		return 0;
	case 15:
		return set_str(&f->strs[4], v, len);
	default:
		return 0;
	}
}

static void iface_free(struct ng_iface *f)
{
	if (!f) {
		return;
	}
	for (int i = 0; i < 5; i++) {
		free(f->strs[i]);
	}
	for (uint32_t i = 0; i < f->pub.ncomments; i++) {
		free(f->comments[i]);
	}
	free(f->comments);
	free(f);
}

static int on_idb(struct fcr_ng *r)
{
	struct ng_iface *f;
	int rc;

	if (r->blklen < 20) {
		ng_err(r, "interface description block of %u bytes (at least 20)", r->blklen);
		return -EPROTO;
	}
	if (r->nifs == r->ifcap) {
		uint32_t nc = r->ifcap ? r->ifcap * 2 : 8;
		struct ng_iface **n = realloc(r->ifs, nc * sizeof(*n));
		const struct fcr_iface **np;

		if (!n) {
			return -ENOMEM;
		}
		r->ifs = n;
		np = realloc(r->pubs, nc * sizeof(*np));
		if (!np) {
			return -ENOMEM;
		}
		r->pubs = np;
		r->ifcap = nc;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		return -ENOMEM;
	}
	uint32_t local = r->nifs - r->sec_base;

	r->pubs[r->nifs] = &f->pub;
	r->ifs[r->nifs++] = f;
	f->section = r->nsecs - 1;
	f->pub.pcapng = true;
	f->pub.linktype = fcr_ng_dlt(g16(r, r->blk + 8));
	f->pub.snaplen = g32(r, r->blk + 12);
	f->pub.tsresol = 6;
	f->pub.fcslen = -1;
	rc = walk_opts(r, r->blk + 16, r->blklen - 20, idb_opt, f);
	if (rc < 0) {
		return rc;
	}
	f->pub.name = f->strs[0];
	f->pub.descr = f->strs[1];
	f->pub.filter = f->strs[2];
	f->pub.os = f->strs[3];
	f->pub.hardware = f->strs[4];
	f->pub.comments = (const char *const *)f->comments;

	uint64_t k = UINT64_C(0xcbf29ce484222325);

	k = fnv(k, &local, sizeof(local));
	k = fnv(k, &f->section, sizeof(f->section));
	k = fnv(k, &f->pub.linktype, sizeof(f->pub.linktype));
	k = fnv(k, &f->pub.snaplen, sizeof(f->pub.snaplen));
	k = fnv(k, &f->pub.tsresol, sizeof(f->pub.tsresol));
	k = fnv(k, &f->pub.tsoffset, sizeof(f->pub.tsoffset));
	k = fnv(k, &f->pub.fcslen, sizeof(f->pub.fcslen));
	k = fnv(k, &f->pub.speed, sizeof(f->pub.speed));
	for (int i = 0; i < 5; i++) {
		k = fnv_str(k, f->strs[i]);
	}
	for (uint32_t i = 0; i < f->pub.ncomments; i++) {
		k = fnv_str(k, f->comments[i]);
	}
	f->pub.key = k;
	return 0;
}

/* The current section's interface id, or NULL with the error set. */
static struct ng_iface *iface_of(struct fcr_ng *r, uint32_t id, const char *what)
{
	if (id >= r->nifs - r->sec_base || r->nifs == 0) {
		ng_err(r, "%s for interface %u, but the section describes %u interface(s)", what,
		       id, r->nifs - r->sec_base);
		return NULL;
	}
	return r->ifs[r->sec_base + id];
}

static int isb_opt(struct fcr_ng *r, void *ctx, uint16_t code, const uint8_t *v, uint16_t len)
{
	struct fcr_ifstats *s = ctx;
	static const uint32_t bits[] = { 0,
					 0,
					 FCR_IFS_START,
					 FCR_IFS_END,
					 FCR_IFS_IFRECV,
					 FCR_IFS_IFDROP,
					 FCR_IFS_FACCEPT,
					 FCR_IFS_OSDROP,
					 FCR_IFS_USRDELIV };
	uint64_t *slot[] = { NULL,	  NULL,	      &s->start_units,	&s->end_units,
			     &s->ifrecv,  &s->ifdrop, &s->filteraccept, &s->osdrop,
			     &s->usrdeliv };

	if (code == 1) {
		if (!(s->have & FCR_IFS_COMMENT)) {
			size_t n = len < sizeof(s->comment) - 1 ? len : sizeof(s->comment) - 1;

			memcpy(s->comment, v, n);
			s->comment[n] = '\0';
			s->have |= FCR_IFS_COMMENT;
		}
		return 0;
	}
	if (code >= 2 && code <= 8 && len == 8) {
		*slot[code] = code <= 3 ? gts(r, v) : g64(r, v);
		s->have |= bits[code];
	}
	return 0;
}

static int on_isb(struct fcr_ng *r)
{
	struct fcr_ifstats s = { 0 };
	struct ng_iface *f;
	int rc;

	if (r->blklen < 24) {
		ng_err(r, "interface statistics block of %u bytes (at least 24)", r->blklen);
		return -EPROTO;
	}
	f = iface_of(r, g32(r, r->blk + 8), "statistics");
	if (!f) {
		return -EPROTO;
	}
	s.ts_units = gts(r, r->blk + 12);
	rc = walk_opts(r, r->blk + 20, r->blklen - 24, isb_opt, &s);
	if (rc < 0) {
		return rc;
	}
	s.iface_key = f->pub.key;
	f->stats = s; /* counters are totals: the last block says it all */
	f->have_stats = true;
	f->pub.stats = &f->stats;
	return 0;
}

static int epb_opt(struct fcr_ng *r, void *ctx, uint16_t code, const uint8_t *v, uint16_t len)
{
	struct fcr_pkt_meta *m = &r->meta;
	size_t *cused = ctx;

	switch (code) {
	case 1:
		if (m->ncomments < MAX_COMMENTS) {
			if (*cused + len + 1 > r->ccap) {
				/* room for every comment of this block: at most its length */
				return -ENOSPC;
			}
			memcpy(r->cbuf + *cused, v, len);
			r->cbuf[*cused + len] = '\0';
			r->cptr[m->ncomments++] = r->cbuf + *cused;
			*cused += len + 1;
		}
		return 0;
	case 2:
		if (len == 4) {
			m->epb_flags = g32(r, v);
			m->have_flags = true;
		}
		return 0;
	case 4:
		if (len == 8) {
			m->dropcount = g64(r, v);
			m->have_dropcount = true;
		}
		return 0;
	case 5:
		if (len == 8) {
			m->packetid = g64(r, v);
			m->have_packetid = true;
		}
		return 0;
	case 6:
		if (len == 4) {
			m->queue = g32(r, v);
			m->have_queue = true;
		}
		return 0;
	default:
		return 0;
	}
}

/* A packet block in r->blk into *pkt.  1 or -EPROTO/-EIO. */
static int on_packet(struct fcr_ng *r, uint32_t type, struct fcr_pkt *pkt)
{
	struct fcr_pkt_meta *m = &r->meta;
	const uint8_t *b = r->blk;
	uint32_t len = r->blklen, id, caplen, wirelen, fixed;
	uint64_t ts = 0;
	struct ng_iface *f;

	memset(m, 0, sizeof(*m));
	if (type == BT_SPB) {
		if (len < 16) {
			ng_err(r, "simple packet block of %u bytes (at least 16)", len);
			return -EPROTO;
		}
		id = 0;
		wirelen = g32(r, b + 8);
		fixed = 12;
		f = iface_of(r, 0, "a simple packet block");
		if (!f) {
			return -EPROTO;
		}
		caplen = wirelen;
		if (f->pub.snaplen && caplen > f->pub.snaplen) {
			caplen = f->pub.snaplen;
		}
		if (caplen > len - 16) {
			caplen = len - 16;
		}
	} else {
		fixed = 28;
		if (len < 32) {
			ng_err(r, "packet block of %u bytes (at least 32)", len);
			return -EPROTO;
		}
		id = type == BT_PB ? g16(r, b + 8) : g32(r, b + 8);
		ts = gts(r, b + 12);
		caplen = g32(r, b + 20);
		wirelen = g32(r, b + 24);
		f = iface_of(r, id, "a packet");
		if (!f) {
			return -EPROTO;
		}
		if (caplen > len - 32) {
			ng_err(r, "packet of %u captured bytes in a block of %u bytes", caplen,
			       len);
			return -EPROTO;
		}
	}
	if (wirelen < caplen) {
		wirelen = caplen; /* as tshark shows it: never shorter than what was captured */
	}

	size_t optoff = fixed + (((size_t)caplen + 3u) & ~(size_t)3u);

	if (type != BT_SPB && optoff + 4 <= len) {
		size_t cused = 0;

		if (r->ccap < len) {
			char *n = realloc(r->cbuf, len);

			if (!n) {
				ng_err(r, "out of memory");
				return -EIO;
			}
			r->cbuf = n;
			r->ccap = len;
		}

		int rc = walk_opts(r, b + optoff, len - 4 - optoff, epb_opt, &cused);

		if (rc < 0) {
			return rc == -ENOSPC ? -EPROTO : rc;
		}
		if (type == BT_PB) {
			/* the obsolete block's drops_count and pack_flags are the EPB's */
			m->dropcount = g16(r, b + 10);
			m->have_dropcount = m->dropcount != 0xffff;
		}
	}
	m->no_ts = type == BT_SPB;
	m->iface = &f->pub;
	m->section = &r->secs[f->section]->pub;
	m->iface_id = r->sec_base + id;
	m->local_id = id;
	m->section_ifaces = r->pubs + r->sec_base;
	m->section_nifaces = r->nifs - r->sec_base;
	m->ts_units = ts;
	m->comments = r->cptr;
	pkt->data = b + fixed;
	pkt->cap_len = caplen;
	pkt->wire_len = wirelen;
	pkt->ts_ns = type == BT_SPB ? 0 : fcr_ng_units_to_ns(ts, f->pub.tsresol, f->pub.tsoffset);
	pkt->port = m->iface_id;
	pkt->flags = 0;
	pkt->meta = m;
	return 1;
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
			rc = on_shb(r);
			break;
		case BT_IDB:
			rc = on_idb(r);
			break;
		case BT_ISB:
			rc = on_isb(r);
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
			ng_err(r, "out of memory");
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
		rc = on_shb(r);
	} else if (rc == 0) {
		rc = -EPROTO;
		ng_err(r, "empty file");
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
	return on_packet(r, g32(r, r->blk), pkt);
}

const char *fcr_ng_error(const struct fcr_ng *r)
{
	return r->err;
}

const struct fcr_iface *fcr_ng_first_iface(const struct fcr_ng *r)
{
	return r->nifs ? &r->ifs[0]->pub : NULL;
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
		iface_free(r->ifs[i]);
	}
	for (uint32_t i = 0; i < r->nsecs; i++) {
		section_free(r->secs[i]);
	}
	free(r->ifs);
	free(r->pubs);
	free(r->secs);
	free(r->blk);
	free(r->cbuf);
	free(r->statv);
	free(r);
}
