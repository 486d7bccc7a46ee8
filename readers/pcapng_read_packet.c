/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcapng_read_packet.c - a packet block (enhanced, simple, or the obsolete packet block) into a
 * struct fcr_pkt and its metadata: the interface and section, the timestamp in nanoseconds,
 * and the options tshark shows (comments, flags, drop count, packet id, queue).
 *
 * The captured bytes and the comments stay where they are read (the block, and one buffer of
 * copies): valid until the next packet, as fcr_ng_next() says.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng_read_internal.h"

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
int fcr_ng_on_packet(struct fcr_ng *r, uint32_t type, struct fcr_pkt *pkt)
{
	struct fcr_pkt_meta *m = &r->meta;
	const uint8_t *b = r->blk;
	uint32_t len = r->blklen, id, caplen, wirelen, fixed;
	uint64_t ts = 0;
	struct ng_iface *f;

	memset(m, 0, sizeof(*m));
	if (type == BT_SPB) {
		if (len < 16) {
			fcr_ng_set_err(r, "simple packet block of %u bytes (at least 16)", len);
			return -EPROTO;
		}
		id = 0;
		wirelen = g32(r, b + 8);
		fixed = 12;
		f = fcr_ng_iface_of(r, 0, "a simple packet block");
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
			fcr_ng_set_err(r, "packet block of %u bytes (at least 32)", len);
			return -EPROTO;
		}
		id = type == BT_PB ? g16(r, b + 8) : g32(r, b + 8);
		ts = gts(r, b + 12);
		caplen = g32(r, b + 20);
		wirelen = g32(r, b + 24);
		f = fcr_ng_iface_of(r, id, "a packet");
		if (!f) {
			return -EPROTO;
		}
		if (caplen > len - 32) {
			fcr_ng_set_err(r, "packet of %u captured bytes in a block of %u bytes",
				       caplen, len);
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
				fcr_ng_set_err(r, "out of memory");
				return -EIO;
			}
			r->cbuf = n;
			r->ccap = len;
		}

		int rc = fcr_ng_walk_opts(r, b + optoff, len - 4 - optoff, epb_opt, &cused);

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
