/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * seqgap_decode.c - read a UDP payload with any decoder row (struct fcreader_seq_decoder).
 *
 * The checks come first and decide whether the packet is this protocol at all: a feed of
 * another protocol read with the wrong decoder must show up as "undecodable", not as one new
 * session per packet or as millions of missing numbers.  The message walk is the strongest
 * check (a wrong protocol almost never has length prefixes that tile the payload exactly); it
 * stops at the captured bytes, so a frame cut by the snap length is judged on what was kept.
 */
#include <string.h>

#include "seqgap_internal.h"

static bool field_read(const struct fcreader_seq_field *f, const uint8_t *p, size_t caplen,
		       uint64_t *v)
{
	uint64_t x = 0;

	if (f->width == 0 || (size_t)f->off + f->width > caplen) {
		return false;
	}
	p += f->off;
	for (unsigned int i = 0; i < f->width; i++) {
		x = x << 8 | p[f->be ? i : f->width - 1u - i];
	}
	*v = x;
	return true;
}

/* The messages from d->msg_start on fill len exactly; @return how many there are, or -1. */
static long walk(const struct fcreader_seq_decoder *d, const uint8_t *p, size_t caplen, size_t len)
{
	size_t at = d->msg_start;
	long n = 0;

	while (at < len) {
		struct fcreader_seq_field f = d->msglen;
		uint64_t ml;

		f.off = (uint16_t)(at + d->msglen.off);
		if ((size_t)f.off + f.width > caplen) {
			/* past the captured bytes: cannot tell, accept; past the payload: wrong */
			return caplen < len ? -2 : -1;
		}
		if (at + d->msglen.off > 0xffffu || !field_read(&f, p, caplen, &ml)) {
			return -1;
		}
		if (!d->msglen_self) {
			ml += (uint64_t)d->msglen.off + d->msglen.width;
		}
		if (ml == 0 || ml < (uint64_t)d->msglen.off + d->msglen.width || ml > len - at) {
			return -1;
		}
		at += ml;
		n++;
	}
	return at == len ? n : -1;
}

enum fcreader_seq_kind fcreader_seq_decode(const struct fcreader_seq_decoder *d, const uint8_t *p,
					   size_t caplen, size_t len, struct fcreader_seq_msg *m)
{
	uint64_t v, count = 1;

	memset(m, 0, sizeof(*m));
	if (len < caplen) {
		len = caplen;
	}
	if (caplen < d->min_len) {
		return FCREADER_SEQ_UNDECODABLE;
	}
	if (d->magic.width && (!field_read(&d->magic, p, caplen, &v) || v != d->magic_value)) {
		return FCREADER_SEQ_UNDECODABLE;
	}
	if (d->length.width && (!field_read(&d->length, p, caplen, &v) ||
				(int64_t)v + d->length_adj != (int64_t)len)) {
		return FCREADER_SEQ_UNDECODABLE;
	}
	if (!field_read(&d->seq, p, caplen, &m->seq)) {
		return FCREADER_SEQ_UNDECODABLE;
	}
	if (d->count.width && !field_read(&d->count, p, caplen, &count)) {
		return FCREADER_SEQ_UNDECODABLE;
	}
	if (d->session.width) {
		if ((size_t)d->session.off + d->session.width > caplen) {
			return FCREADER_SEQ_UNDECODABLE;
		}
		memcpy(m->session, p + d->session.off, d->session.width);
		m->session_len = d->session.width;
	}
	m->end = d->has_end && count == d->end_count;
	if (d->msglen.width) {
		long n = walk(d, p, caplen, len);

		if (n == -1 ||
		    (n >= 0 && d->msg_count && d->count.width && !m->end && (uint64_t)n != count)) {
			return FCREADER_SEQ_UNDECODABLE;
		}
	}
	if (d->skip_field.width && field_read(&d->skip_field, p, caplen, &v) && v >= d->skip_lo &&
	    v <= d->skip_hi) {
		return FCREADER_SEQ_UNSEQUENCED;
	}
	if (d->reset == FCREADER_SEQ_RESET_FIELD) {
		m->reset = field_read(&d->reset_field, p, caplen, &v) && v == d->reset_value;
	} else if (d->reset == FCREADER_SEQ_RESET_RESTART) {
		m->reset = m->seq == 1;
	}

	bool hb = m->end;

	if (d->hb == FCREADER_SEQ_HB_COUNT0) {
		hb = hb || (d->count.width && count == 0);
	} else if (d->hb == FCREADER_SEQ_HB_FIELD) {
		hb = hb || (field_read(&d->hb_field, p, caplen, &v) && v == d->hb_value);
	}
	if (hb) {
		m->heartbeat = true;
		m->reset = false; /* a reset is a data packet's: the first of the new numbering */
		m->count = 0;
		if (!(d->hb_next || m->end)) {
			return FCREADER_SEQ_HEARTBEAT;
		}
		return FCREADER_SEQ_DATA;
	}
	if (count == 0) {
		return FCREADER_SEQ_UNSEQUENCED; /* no messages, not a heartbeat: nothing to count */
	}
	m->count = count > UINT32_MAX ? UINT32_MAX : (uint32_t)count;
	return FCREADER_SEQ_DATA;
}
