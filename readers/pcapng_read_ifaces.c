/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcapng_read_ifaces.c - section header, interface description and interface statistics
 * blocks, with their options: the sections and interfaces every packet refers to.
 *
 * Interfaces are numbered across sections, as tshark's frame.interface_id is: a new section
 * starts numbering its own IDBs at the count reached so far.  Strings are copied out of the
 * block (NUL-terminated) so that the interface and section descriptions outlive it.  Each
 * section and interface gets a key (FNV-1a over its fields: fcr_iface.key, fcr_section.key),
 * equal for equal descriptions, so that readers of several archives can tell them apart.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng_read_internal.h"

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

void fcr_ng_section_free(struct ng_section *s)
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

int fcr_ng_on_shb(struct fcr_ng *r)
{
	uint16_t major = g16(r, r->blk + 12);
	struct ng_section *s;
	int rc;

	if (major != 1) {
		fcr_ng_set_err(r, "section header version %u.%u: only 1.x is pcapng", major,
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
	rc = fcr_ng_walk_opts(r, r->blk + 24, r->blklen - 28, shb_opt, s);
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
			if (!fcr_ng_res_units(v[0])) {
				fcr_ng_set_err(r, "if_tsresol %u is finer than 64 bits can count",
					       v[0]);
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

void fcr_ng_iface_free(struct ng_iface *f)
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

int fcr_ng_on_idb(struct fcr_ng *r)
{
	struct ng_iface *f;
	int rc;

	if (r->blklen < 20) {
		fcr_ng_set_err(r, "interface description block of %u bytes (at least 20)",
			       r->blklen);
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
	rc = fcr_ng_walk_opts(r, r->blk + 16, r->blklen - 20, idb_opt, f);
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
struct ng_iface *fcr_ng_iface_of(struct fcr_ng *r, uint32_t id, const char *what)
{
	if (id >= r->nifs - r->sec_base || r->nifs == 0) {
		fcr_ng_set_err(r, "%s for interface %u, but the section describes %u interface(s)",
			       what, id, r->nifs - r->sec_base);
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

int fcr_ng_on_isb(struct fcr_ng *r)
{
	struct fcr_ifstats s = { 0 };
	struct ng_iface *f;
	int rc;

	if (r->blklen < 24) {
		fcr_ng_set_err(r, "interface statistics block of %u bytes (at least 24)",
			       r->blklen);
		return -EPROTO;
	}
	f = fcr_ng_iface_of(r, g32(r, r->blk + 8), "statistics");
	if (!f) {
		return -EPROTO;
	}
	s.ts_units = gts(r, r->blk + 12);
	rc = fcr_ng_walk_opts(r, r->blk + 20, r->blklen - 24, isb_opt, &s);
	if (rc < 0) {
		return rc;
	}
	s.iface_key = f->pub.key;
	f->stats = s; /* counters are totals: the last block says it all */
	f->have_stats = true;
	f->pub.stats = &f->stats;
	return 0;
}
