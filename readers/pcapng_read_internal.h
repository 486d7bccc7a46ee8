/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcapng_read_internal.h - the pcapng block reader inside, shared by its files (never
 * installed; the archive reader sees pcapng_read.h):
 *
 *	pcapng_read.c		blocks read whole, their option lists, the calls of pcapng_read.h
 *	pcapng_read_ifaces.c	section headers, interface descriptions and statistics: the
 *				sections and interfaces a packet refers to
 *	pcapng_read_packet.c	packet blocks (EPB, SPB, PB) and their options into fcr_pkt
 *	pcapng_convert.c	link types (LINKTYPE_* and DLT_*) and time units to nanoseconds
 */
#ifndef FCR_PCAPNG_READ_INTERNAL_H
#define FCR_PCAPNG_READ_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pcapng_read.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_PB  0x00000002u /* obsolete Packet Block */
#define BT_SPB 0x00000003u
#define BT_ISB 0x00000005u
#define BT_EPB 0x00000006u

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

static inline uint16_t g16(const struct fcr_ng *r, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return r->swap ? __builtin_bswap16(v) : v;
}

static inline uint32_t g32(const struct fcr_ng *r, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return r->swap ? __builtin_bswap32(v) : v;
}

static inline uint64_t g64(const struct fcr_ng *r, const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return r->swap ? __builtin_bswap64(v) : v;
}

/* pcapng timestamps: two 32-bit words, high first, each in the section's byte order. */
static inline uint64_t gts(const struct fcr_ng *r, const uint8_t *p)
{
	return (uint64_t)g32(r, p) << 32 | g32(r, p + 4);
}

/* ---- pcapng_read.c */

/* Set the message fcr_ng_error() returns. */
void fcr_ng_set_err(struct fcr_ng *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Options: calls fn for each until opt_endofopt or the end; -EPROTO if one overruns. */
typedef int (*fcr_ng_opt_fn)(struct fcr_ng *r, void *ctx, uint16_t code, const uint8_t *v,
			     uint16_t len);

int fcr_ng_walk_opts(struct fcr_ng *r, const uint8_t *p, size_t n, fcr_ng_opt_fn fn, void *ctx);

/* ---- pcapng_read_ifaces.c: the block in r->blk; 0, -EPROTO, -ENOMEM */

int fcr_ng_on_shb(struct fcr_ng *r);
int fcr_ng_on_idb(struct fcr_ng *r);
int fcr_ng_on_isb(struct fcr_ng *r);

/* The current section's interface id, or NULL with the error set. */
struct ng_iface *fcr_ng_iface_of(struct fcr_ng *r, uint32_t id, const char *what);

void fcr_ng_iface_free(struct ng_iface *f);
void fcr_ng_section_free(struct ng_section *s);

/* ---- pcapng_read_packet.c */

/* A packet block in r->blk into *pkt.  1 or -EPROTO/-EIO. */
int fcr_ng_on_packet(struct fcr_ng *r, uint32_t type, struct fcr_pkt *pkt);

/* ---- pcapng_convert.c */

/* Units per second of if_tsresol res, 0 if it does not fit 64 bits. */
uint64_t fcr_ng_res_units(uint8_t res);

#endif /* FCR_PCAPNG_READ_INTERNAL_H */
