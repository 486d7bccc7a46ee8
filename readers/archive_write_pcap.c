/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archive_write_pcap.c - the container formats: pcap with nanosecond timestamps, and pcapng.
 *
 * No Debian library writes pcapng (libpcap only reads it), so the blocks are written here by
 * the specification (draft-ietf-opsawg-pcapng): a Section Header Block, one Interface
 * Description Block per capture port with if_tsresol 9 (nanoseconds), Enhanced Packet Blocks,
 * and Interface Statistics Blocks at close.  Everything is host byte order, which pcapng
 * allows (the byte-order magic tells readers).  Reader overruns and clock changes travel as
 * opt_comment on the next packet, which tshark and Wireshark show as packet comments.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#include "archive_write_internal.h"

#define PAD4(n) (((n) + 3u) & ~3u)

/* ------------------------------------------------------------------ pcap */

#define PCAP_MAGIC_NS 0xa1b23c4du

struct pcap_file_hdr {
	uint32_t magic;
	uint16_t version_major;
	uint16_t version_minor;
	int32_t thiszone;
	uint32_t sigfigs;
	uint32_t snaplen;
	uint32_t linktype;
};

struct pcap_rec_hdr {
	uint32_t ts_sec;
	uint32_t ts_nsec;
	uint32_t caplen;
	uint32_t len;
};

static int pcap_header(struct fcr_writer *w)
{
	struct pcap_file_hdr h = {
		.magic = PCAP_MAGIC_NS,
		.version_major = 2,
		.version_minor = 4,
		.snaplen = w->o.snaplen,
		.linktype = DLT_EN10MB,
	};
	uint8_t *p = fcr_wbuf_reserve(w, sizeof(h));

	if (!p) {
		return w->broken;
	}
	memcpy(p, &h, sizeof(h));
	return 0;
}

static int pcap_frame(struct fcr_writer *w, const struct fcr_pkt *pkt)
{
	struct pcap_rec_hdr h = {
		.ts_sec = (uint32_t)(pkt->ts_ns / 1000000000u),
		.ts_nsec = (uint32_t)(pkt->ts_ns % 1000000000u),
		.caplen = pkt->cap_len,
		.len = pkt->wire_len,
	};
	uint8_t *p = fcr_wbuf_reserve(w, sizeof(h) + pkt->cap_len);

	if (!p) {
		return w->broken;
	}
	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), pkt->data, pkt->cap_len);
	return 0;
}

const struct fcr_fmt_ops fcr_fmt_pcap = {
	.name = "pcap",
	.header = pcap_header,
	.frame = pcap_frame,
	.trailer = NULL,
};

/* ------------------------------------------------------------------ pcapng */

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_ISB 0x00000005u
#define BT_EPB 0x00000006u

#define OPT_ENDOFOPT 0
#define OPT_COMMENT  1
#define SHB_HARDWARE 2
#define SHB_OS	     3
#define SHB_USERAPPL 4
#define IF_NAME	     2
#define IF_DESCR     3
#define IF_TSRESOL   9
#define ISB_START    2
#define ISB_END	     3
#define ISB_IFRECV   4
#define ISB_IFDROP   5
#define ISB_FACCEPT  6
#define ISB_OSDROP   7
#define ISB_USRDELIV 8

#define MAX_OPT_LEN 65532u /* an option's length is 16 bits; keep it 4-aligned */

static size_t opt_size(size_t len)
{
	return 4 + PAD4(len);
}

static uint8_t *put_u32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
	return p + 4;
}

static uint8_t *put_opt(uint8_t *p, uint16_t code, const void *val, size_t len)
{
	uint16_t c = code, l = (uint16_t)len;

	memcpy(p, &c, 2);
	memcpy(p + 2, &l, 2);
	memcpy(p + 4, val, len);
	memset(p + 4 + len, 0, PAD4(len) - len);
	return p + 4 + PAD4(len);
}

static uint8_t *put_opt_u64(uint8_t *p, uint16_t code, uint64_t v)
{
	return put_opt(p, code, &v, 8);
}

/* pcapng timestamps with if_tsresol 9: a 64-bit count of ns, high word first. */
static uint8_t *put_ts(uint8_t *p, uint64_t ns)
{
	p = put_u32(p, (uint32_t)(ns >> 32));
	return put_u32(p, (uint32_t)ns);
}

static int ng_header(struct fcr_writer *w)
{
	char os[128] = "Linux", appl[64];
	const char *comment = w->o.shb_comment;
	size_t clen = comment ? strlen(comment) : 0, oslen, alen, total;
	uint16_t v16;
	int64_t seclen = -1;
	uint8_t *p, *start;
	FILE *f;

	f = fopen("/proc/sys/kernel/osrelease", "r");
	if (f) {
		char rel[96];

		if (fgets(rel, sizeof(rel), f)) {
			rel[strcspn(rel, "\n")] = '\0';
			snprintf(os, sizeof(os), "Linux %s", rel);
		}
		fclose(f);
	}
	snprintf(appl, sizeof(appl), "feedcap");
	if (clen > MAX_OPT_LEN) {
		clen = MAX_OPT_LEN;
	}
	oslen = strlen(os);
	alen = strlen(appl);
	total = 28 + opt_size(oslen) + opt_size(alen) + (clen ? opt_size(clen) : 0) + 4;
	start = p = fcr_wbuf_reserve(w, total);
	if (!p) {
		return w->broken;
	}
	p = put_u32(p, BT_SHB);
	p = put_u32(p, (uint32_t)total);
	p = put_u32(p, 0x1A2B3C4Du);
	v16 = 1;
	memcpy(p, &v16, 2);
	v16 = 0;
	memcpy(p + 2, &v16, 2);
	p += 4;
	memcpy(p, &seclen, 8);
	p += 8;
	if (clen) {
		p = put_opt(p, OPT_COMMENT, comment, clen);
	}
	p = put_opt(p, SHB_OS, os, oslen);
	p = put_opt(p, SHB_USERAPPL, appl, alen);
	p = put_u32(p, 0); /* opt_endofopt */
	p = put_u32(p, (uint32_t)total);
	return p - start == (ptrdiff_t)total ? 0 : -EFAULT;
}

static int ng_idb(struct fcr_writer *w, uint32_t id)
{
	char name[64], descr[64];
	size_t nlen, dlen, total;
	uint8_t res = 9, *p;
	uint16_t lt = DLT_EN10MB, zero = 0;

	if (w->o.ports && id < w->o.nports && w->o.ports[id].name[0]) {
		snprintf(name, sizeof(name), "%s", w->o.ports[id].name);
		snprintf(descr, sizeof(descr), "%s", w->o.ports[id].descr);
	} else {
		snprintf(name, sizeof(name), "port%u", id);
		descr[0] = '\0';
	}
	if (!descr[0]) {
		snprintf(descr, sizeof(descr), "feedcap capture port %u", id);
	}
	nlen = strlen(name);
	dlen = strlen(descr);
	total = 20 + opt_size(nlen) + opt_size(dlen) + opt_size(1) + 4;
	p = fcr_wbuf_reserve(w, total);
	if (!p) {
		return w->broken;
	}
	p = put_u32(p, BT_IDB);
	p = put_u32(p, (uint32_t)total);
	memcpy(p, &lt, 2);
	memcpy(p + 2, &zero, 2);
	p += 4;
	p = put_u32(p, w->o.snaplen);
	p = put_opt(p, IF_NAME, name, nlen);
	p = put_opt(p, IF_DESCR, descr, dlen);
	p = put_opt(p, IF_TSRESOL, &res, 1);
	p = put_u32(p, 0);
	put_u32(p, (uint32_t)total);
	return 0;
}

static int ng_ensure_iface(struct fcr_writer *w, uint32_t id)
{
	while (w->nifaces <= id) {
		int rc;

		/* A reader entering at a later record would not know this interface. */
		if (w->hdr_len) {
			w->no_seek = true;
		}
		rc = ng_idb(w, w->nifaces);

		if (rc < 0) {
			return rc;
		}
		w->nifaces++;
	}
	return 0;
}

static int ng_file_header(struct fcr_writer *w)
{
	int rc = ng_header(w);

	if (rc == 0) {
		rc = ng_ensure_iface(w, w->o.nports ? w->o.nports - 1 : 0);
	}
	return rc;
}

static int ng_frame(struct fcr_writer *w, const struct fcr_pkt *pkt)
{
	uint32_t iface = pkt->port < FCR_MAX_IFACES ? pkt->port : FCR_MAX_IFACES - 1;
	size_t clen = w->comment ? w->comment_len : 0, total;
	uint8_t *p;
	int rc;

	rc = ng_ensure_iface(w, iface);
	if (rc < 0) {
		return rc;
	}
	if (clen > MAX_OPT_LEN) {
		clen = MAX_OPT_LEN;
	}
	total = 28 + PAD4(pkt->cap_len) + (clen ? opt_size(clen) + 4 : 0) + 4;
	p = fcr_wbuf_reserve(w, total);
	if (!p) {
		return w->broken;
	}
	p = put_u32(p, BT_EPB);
	p = put_u32(p, (uint32_t)total);
	p = put_u32(p, iface);
	p = put_ts(p, pkt->ts_ns);
	p = put_u32(p, pkt->cap_len);
	p = put_u32(p, pkt->wire_len);
	memcpy(p, pkt->data, pkt->cap_len);
	memset(p + pkt->cap_len, 0, PAD4(pkt->cap_len) - pkt->cap_len);
	p += PAD4(pkt->cap_len);
	if (clen) {
		p = put_opt(p, OPT_COMMENT, w->comment, clen);
		p = put_u32(p, 0);
	}
	put_u32(p, (uint32_t)total);
	if (w->comment) {
		w->comment[0] = '\0';
		w->comment_len = 0;
	}
	return 0;
}

static int ng_isb(struct fcr_writer *w, uint32_t id, uint64_t now)
{
	const struct fcr_isb *s = &w->isb[id];
	bool set = w->isb_set[id];
	uint64_t deliv = set && s->usr_deliv ? s->usr_deliv : w->iface_frames[id];
	char comment[256];
	size_t clen, total;
	uint8_t *p;

	clen = (size_t)snprintf(
		comment, sizeof(comment),
		"feedcap: %llu frames in this file from this interface; reader overrun lost %llu records (all ports); NIC drops %llu",
		(unsigned long long)deliv, (unsigned long long)(set ? s->os_drop : 0),
		(unsigned long long)(set ? s->if_drop : 0));
	if (clen >= sizeof(comment)) {
		clen = sizeof(comment) - 1;
	}
	total = 20 + 2 * opt_size(8) + opt_size(8) + (set ? 4 * opt_size(8) : 0) + opt_size(clen) +
		4 + 4;
	p = fcr_wbuf_reserve(w, total);
	if (!p) {
		return w->broken;
	}
	p = put_u32(p, BT_ISB);
	p = put_u32(p, (uint32_t)total);
	p = put_u32(p, id);
	p = put_ts(p, now);
	{
		uint32_t t[2];
		uint64_t st = w->st.first_ts_ns ? w->st.first_ts_ns : now;
		uint64_t en = w->st.last_ts_ns ? w->st.last_ts_ns : now;

		t[0] = (uint32_t)(st >> 32);
		t[1] = (uint32_t)st;
		p = put_opt(p, ISB_START, t, 8);
		t[0] = (uint32_t)(en >> 32);
		t[1] = (uint32_t)en;
		p = put_opt(p, ISB_END, t, 8);
	}
	if (set) {
		p = put_opt_u64(p, ISB_IFRECV, s->if_recv);
		p = put_opt_u64(p, ISB_IFDROP, s->if_drop);
		p = put_opt_u64(p, ISB_FACCEPT, s->filter_accept);
		p = put_opt_u64(p, ISB_OSDROP, s->os_drop);
	}
	p = put_opt_u64(p, ISB_USRDELIV, deliv);
	p = put_opt(p, OPT_COMMENT, comment, clen);
	p = put_u32(p, 0);
	put_u32(p, (uint32_t)total);
	return 0;
}

static int ng_trailer(struct fcr_writer *w)
{
	struct timespec ts;
	uint64_t now;
	uint32_t i;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	for (i = 0; i < w->nifaces; i++) {
		int rc = ng_isb(w, i, now);

		if (rc < 0) {
			return rc;
		}
	}
	return 0;
}

const struct fcr_fmt_ops fcr_fmt_pcapng = {
	.name = "pcapng",
	.header = ng_file_header,
	.frame = ng_frame,
	.trailer = ng_trailer,
};
