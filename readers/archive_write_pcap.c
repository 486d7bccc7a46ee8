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
#include "pcapng_read.h"

#define PAD4(n) (((n) + 3u) & ~3u)

/* ------------------------------------------------------------------ pcap */

#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_MAGIC_US 0xa1b2c3d4u

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
		.magic = w->pcap_usec ? PCAP_MAGIC_US : PCAP_MAGIC_NS,
		.version_major = 2,
		.version_minor = 4,
		.snaplen = w->o.snaplen,
		.linktype = fcr_ng_linktype(w->pcap_dlt),
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
	uint8_t *p;

	if (w->o.keep_meta && pkt->meta && pkt->meta->iface &&
	    pkt->meta->iface->linktype != w->pcap_dlt) {
		char what[200];

		snprintf(what, sizeof(what),
			 "frame %llu is %s but a pcap file holds one link type (%s): write pcapng "
			 "(a .pcapng name) to keep both",
			 (unsigned long long)w->st.frames + 1,
			 pcap_datalink_val_to_name(pkt->meta->iface->linktype) ?: "unknown",
			 pcap_datalink_val_to_name(w->pcap_dlt) ?: "unknown");
		return fcr_writer_fail(w, -EINVAL, what);
	}
	if (w->pcap_usec) {
		if (h.ts_nsec % 1000u) {
			/*
			 * An interface described after the first frame counts finer than the
			 * microseconds the header already promised: refuse rather than cut.
			 */
			char what[200];

			snprintf(
				what, sizeof(what),
				"frame %llu has a time finer than microseconds but this pcap is "
				"microsecond (the first interface's): write pcapng (a .pcapng name) "
				"to keep it",
				(unsigned long long)w->st.frames + 1);
			return fcr_writer_fail(w, -EINVAL, what);
		}
		h.ts_nsec /= 1000u;
	}
	p = fcr_wbuf_reserve(w, sizeof(h) + pkt->cap_len);

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
#define BT_SPB 0x00000003u
#define BT_ISB 0x00000005u
#define BT_EPB 0x00000006u

#define OPT_ENDOFOPT  0
#define OPT_COMMENT   1
#define SHB_HARDWARE  2
#define SHB_OS	      3
#define SHB_USERAPPL  4
#define IF_NAME	      2
#define IF_DESCR      3
#define IF_TSRESOL    9
#define IF_FILTER     11
#define IF_OS	      12
#define EPB_FLAGS     2
#define EPB_DROPCOUNT 4
#define EPB_PACKETID  5
#define EPB_QUEUE     6
#define ISB_START     2
#define ISB_END	      3
#define ISB_IFRECV    4
#define ISB_IFDROP    5
#define ISB_FACCEPT   6
#define ISB_OSDROP    7
#define ISB_USRDELIV  8

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

/* Room for a block of total bytes, its type and length written: NULL on a write error. */
static uint8_t *block_head(struct fcr_writer *w, uint32_t type, size_t total)
{
	uint8_t *p = fcr_wbuf_reserve(w, total);

	if (!p) {
		return NULL;
	}
	p = put_u32(p, type);
	return put_u32(p, (uint32_t)total);
}

/* A section header of an archive's section, as it was (keep_meta). */
static int ng_header_of(struct fcr_writer *w, const struct fcr_section *sec)
{
	const char *strs[3] = { sec->hardware, sec->os, sec->userappl };
	size_t total = 28 + 4, l;
	int64_t seclen = -1;
	uint16_t v16[2] = { 1, 0 };
	uint8_t *p;

	for (uint32_t i = 0; i < sec->ncomments; i++) {
		l = strlen(sec->comments[i]);
		total += opt_size(l > MAX_OPT_LEN ? MAX_OPT_LEN : l);
	}
	for (int i = 0; i < 3; i++) {
		if (strs[i]) {
			l = strlen(strs[i]);
			total += opt_size(l > MAX_OPT_LEN ? MAX_OPT_LEN : l);
		}
	}
	p = block_head(w, BT_SHB, total);
	if (!p) {
		return w->broken;
	}
	p = put_u32(p, 0x1A2B3C4Du);
	memcpy(p, v16, 4);
	p += 4;
	memcpy(p, &seclen, 8);
	p += 8;
	for (uint32_t i = 0; i < sec->ncomments; i++) {
		l = strlen(sec->comments[i]);
		p = put_opt(p, OPT_COMMENT, sec->comments[i], l > MAX_OPT_LEN ? MAX_OPT_LEN : l);
	}
	for (int i = 0; i < 3; i++) {
		if (strs[i]) {
			l = strlen(strs[i]);
			p = put_opt(p, (uint16_t)(SHB_HARDWARE + i), strs[i],
				    l > MAX_OPT_LEN ? MAX_OPT_LEN : l);
		}
	}
	p = put_u32(p, 0);
	put_u32(p, (uint32_t)total);
	return 0;
}

static int ng_header(struct fcr_writer *w)
{
	char os[128] = "Linux", appl[64];
	const char *comment = w->o.shb_comment;
	size_t clen = comment ? strlen(comment) : 0, oslen, alen, total;

	if (w->hdr_section) {
		return ng_header_of(w, w->hdr_section);
	}
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
	start = p = block_head(w, BT_SHB, total);
	if (!p) {
		return w->broken;
	}
	start -= 8;
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

static int ng_idb_of(struct fcr_writer *w, const struct fcr_iface *f);

/*
 * A capture port's interface: its name and description (the PCI address, the port's role),
 * nanosecond timestamps, and the filter the archive job applied (if_filter), so that tshark
 * and capinfos say which line and which selection of it the file holds.
 */
static int ng_idb(struct fcr_writer *w, uint32_t id)
{
	char name[64], descr[64];
	struct fcr_iface f = {
		.linktype = DLT_EN10MB,
		.snaplen = w->o.snaplen,
		.tsresol = 9,
		.fcslen = -1,
		.name = name,
		.descr = descr,
		.filter = w->if_filter,
	};

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
	return ng_idb_of(w, &f);
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

	if (rc == 0 && w->o.keep_meta) {
		return 0; /* interfaces come with the frames */
	}
	if (rc == 0) {
		rc = ng_ensure_iface(w, w->o.nports ? w->o.nports - 1 : 0);
	}
	return rc;
}

static size_t str_opt_size(const char *s)
{
	size_t l = s ? strlen(s) : 0;

	return s ? opt_size(l > MAX_OPT_LEN ? MAX_OPT_LEN : l) : 0;
}

static uint8_t *put_str_opt(uint8_t *p, uint16_t code, const char *s)
{
	size_t l;

	if (!s) {
		return p;
	}
	l = strlen(s);
	return put_opt(p, code, s, l > MAX_OPT_LEN ? MAX_OPT_LEN : l);
}

/* An archive's interface, as it was (keep_meta). */
static int ng_idb_of(struct fcr_writer *w, const struct fcr_iface *f)
{
	size_t flen = f->filter ? strlen(f->filter) : 0, total = 20 + 4;
	uint16_t lt = (uint16_t)fcr_ng_linktype(f->linktype), zero = 0;
	uint8_t *p, fcs = (uint8_t)f->fcslen;

	if (flen > MAX_OPT_LEN - 1) {
		flen = MAX_OPT_LEN - 1;
	}
	for (uint32_t i = 0; i < f->ncomments; i++) {
		total += str_opt_size(f->comments[i]);
	}
	total += str_opt_size(f->name) + str_opt_size(f->descr) + str_opt_size(f->os) +
		 str_opt_size(f->hardware) + (f->filter ? opt_size(flen + 1) : 0) +
		 (f->tsresol != 6 ? opt_size(1) : 0) + (f->tsoffset ? opt_size(8) : 0) +
		 (f->fcslen >= 0 ? opt_size(1) : 0) + (f->speed ? opt_size(8) : 0);
	p = block_head(w, BT_IDB, total);
	if (!p) {
		return w->broken;
	}
	memcpy(p, &lt, 2);
	memcpy(p + 2, &zero, 2);
	p += 4;
	p = put_u32(p, f->snaplen);
	for (uint32_t i = 0; i < f->ncomments; i++) {
		p = put_str_opt(p, OPT_COMMENT, f->comments[i]);
	}
	p = put_str_opt(p, IF_NAME, f->name);
	p = put_str_opt(p, IF_DESCR, f->descr);
	if (f->speed) {
		p = put_opt_u64(p, 8, f->speed);
	}
	if (f->tsresol != 6) {
		p = put_opt(p, IF_TSRESOL, &f->tsresol, 1);
	}
	if (f->filter) {
		/* if_filter: a code byte (0: a libpcap expression), then the expression */
		uint16_t hdr[2] = { IF_FILTER, (uint16_t)(flen + 1) };

		memcpy(p, hdr, 4);
		p[4] = 0;
		memcpy(p + 5, f->filter, flen);
		memset(p + 5 + flen, 0, PAD4(flen + 1) - (flen + 1));
		p += 4 + PAD4(flen + 1);
	}
	p = put_str_opt(p, IF_OS, f->os);
	if (f->fcslen >= 0) {
		p = put_opt(p, 13, &fcs, 1);
	}
	if (f->tsoffset) {
		p = put_opt_u64(p, 14, (uint64_t)f->tsoffset);
	}
	p = put_str_opt(p, 15, f->hardware);
	p = put_u32(p, 0);
	put_u32(p, (uint32_t)total);
	return 0;
}

static int ng_isb_of(struct fcr_writer *w, uint32_t id, const struct fcr_ifstats *s);

/* The output interface of an archive's frame (keep_meta): an IDB when it is new. */
static int ng_iface_of(struct fcr_writer *w, const struct fcr_pkt_meta *m, uint32_t *id)
{
	const struct fcr_iface *f = m->iface;
	int rc;

	if (m->section && !w->sec_set) {
		w->sec_set = true; /* the header was feedcap's own */
		w->sec_key = m->section->key;
	} else if (m->section && m->section->key != w->sec_key && w->o.keep_sections) {
		/*
		 * Another section of the one archive read: the statistics of the interfaces of
		 * the section that ends (read before this section's header), then the new
		 * section, whose interfaces are numbered afresh.
		 */
		for (uint32_t i = 0; i < w->nifaces; i++) {
			if (w->ifptr[i] && w->ifptr[i]->stats) {
				rc = ng_isb_of(w, i, w->ifptr[i]->stats);
				if (rc < 0) {
					return rc;
				}
			}
		}
		w->no_seek = true;
		rc = ng_header_of(w, m->section);
		if (rc < 0) {
			return rc;
		}
		w->nifaces = 0;
		w->sec_key = m->section->key;
	}
	if (w->last_if < w->nifaces && w->ifkey[w->last_if] == f->key) {
		*id = w->last_if;
		return 0;
	}
	for (uint32_t i = 0; i < w->nifaces; i++) {
		if (w->ifkey[i] == f->key) {
			*id = w->last_if = i;
			return 0;
		}
	}
	/*
	 * A new interface: first those before it in its section that are not written yet, so
	 * that a file read alone keeps its interface numbering (tshark's frame.interface_id).
	 */
	for (uint32_t k = 0; k <= m->local_id && k < m->section_nifaces; k++) {
		const struct fcr_iface *g = m->section_ifaces[k];
		bool have = false;

		for (uint32_t i = 0; i < w->nifaces && !have; i++) {
			have = w->ifkey[i] == g->key;
		}
		if (have) {
			continue;
		}
		if (w->nifaces == FCR_MAX_IFACES) {
			return fcr_writer_fail(w, -E2BIG,
					       "more interfaces than a writer keeps (256)");
		}
		if (w->hdr_len) {
			w->no_seek = true;
		}
		rc = ng_idb_of(w, g);
		if (rc < 0) {
			return rc;
		}
		w->ifkey[w->nifaces] = g->key;
		w->ifres[w->nifaces] = g->tsresol;
		w->ifptr[w->nifaces] = w->o.keep_sections ? g : NULL;
		if (g->key == f->key) {
			*id = w->last_if = w->nifaces;
		}
		w->nifaces++;
	}
	if (w->last_if >= w->nifaces || w->ifkey[w->last_if] != f->key) {
		/* not among its section's (a pcap file's interface) */
		if (w->nifaces == FCR_MAX_IFACES) {
			return fcr_writer_fail(w, -E2BIG,
					       "more interfaces than a writer keeps (256)");
		}
		rc = ng_idb_of(w, f);
		if (rc < 0) {
			return rc;
		}
		w->ifkey[w->nifaces] = f->key;
		w->ifres[w->nifaces] = f->tsresol;
		w->ifptr[w->nifaces] = w->o.keep_sections ? f : NULL;
		*id = w->last_if = w->nifaces++;
	}
	return 0;
}

/*
 * epb_flags of a ring frame: inbound, and the record's timestamp quality (RINGSHM_F_TS_SRC_*,
 * SYNC, HOLDOVER, STEPPED: its low 6 bits) in bits 9-14, which tshark shows as
 * frame.packet_flags_reserved (docs/timing.md says why there, and the filters).
 */
#define EPB_INBOUND	0x1u
#define EPB_TSQ_SHIFT	9
#define EPB_TSQ_MASK	0x3fu
#define EPB_TS_FALLBACK (1u << 15) /* RINGSHM_F_TS_FALLBACK: the NIC's time was refused */

/* A Simple Packet Block, as it came: no timestamp, no options, interface 0. */
static int ng_spb(struct fcr_writer *w, const struct fcr_pkt *pkt)
{
	size_t total = 16 + PAD4(pkt->cap_len);
	uint8_t *p = block_head(w, BT_SPB, total);

	if (!p) {
		return w->broken;
	}
	p = put_u32(p, pkt->wire_len);
	memcpy(p, pkt->data, pkt->cap_len);
	memset(p + pkt->cap_len, 0, PAD4(pkt->cap_len) - pkt->cap_len);
	put_u32(p + PAD4(pkt->cap_len), (uint32_t)total);
	return 0;
}

static int ng_frame(struct fcr_writer *w, const struct fcr_pkt *pkt)
{
	const struct fcr_pkt_meta *m = w->o.keep_meta ? pkt->meta : NULL;
	uint32_t iface = pkt->port < FCR_MAX_IFACES ? pkt->port : FCR_MAX_IFACES - 1;
	size_t clen = w->comment ? w->comment_len : 0, total, optlen = 0;
	uint32_t flags = EPB_INBOUND | (pkt->flags & EPB_TSQ_MASK) << EPB_TSQ_SHIFT |
			 (pkt->flags & RINGSHM_F_TS_FALLBACK ? EPB_TS_FALLBACK : 0);
	uint64_t units = pkt->ts_ns;
	uint8_t *p;
	int rc;

	rc = m ? ng_iface_of(w, m, &iface) : ng_ensure_iface(w, iface);
	if (rc < 0) {
		return rc;
	}
	if (m && m->no_ts && iface == 0 && !clen) {
		return ng_spb(w, pkt);
	}
	if (clen > MAX_OPT_LEN) {
		clen = MAX_OPT_LEN;
	}
	if (m) {
		units = m->ts_units;
		for (uint32_t i = 0; i < m->ncomments; i++) {
			optlen += str_opt_size(m->comments[i]);
		}
		optlen += (m->have_flags ? opt_size(4) : 0) +
			  (m->have_dropcount ? opt_size(8) : 0) +
			  (m->have_packetid ? opt_size(8) : 0) + (m->have_queue ? opt_size(4) : 0);
	} else {
		optlen += opt_size(4) + (w->dropcount ? opt_size(8) : 0);
	}
	optlen += clen ? opt_size(clen) : 0;
	total = 28 + PAD4(pkt->cap_len) + (optlen ? optlen + 4 : 0) + 4;
	p = block_head(w, BT_EPB, total);
	if (!p) {
		return w->broken;
	}
	p = put_u32(p, iface);
	p = put_ts(p, units);
	p = put_u32(p, pkt->cap_len);
	p = put_u32(p, pkt->wire_len);
	memcpy(p, pkt->data, pkt->cap_len);
	memset(p + pkt->cap_len, 0, PAD4(pkt->cap_len) - pkt->cap_len);
	p += PAD4(pkt->cap_len);
	if (m) {
		for (uint32_t i = 0; i < m->ncomments; i++) {
			p = put_str_opt(p, OPT_COMMENT, m->comments[i]);
		}
	}
	if (clen) {
		p = put_opt(p, OPT_COMMENT, w->comment, clen);
	}
	if (m) {
		if (m->have_flags) {
			p = put_opt(p, EPB_FLAGS, &m->epb_flags, 4);
		}
		if (m->have_dropcount) {
			p = put_opt_u64(p, EPB_DROPCOUNT, m->dropcount);
		}
		if (m->have_packetid) {
			p = put_opt_u64(p, EPB_PACKETID, m->packetid);
		}
		if (m->have_queue) {
			p = put_opt(p, EPB_QUEUE, &m->queue, 4);
		}
	} else {
		p = put_opt(p, EPB_FLAGS, &flags, 4);
		if (w->dropcount) {
			p = put_opt_u64(p, EPB_DROPCOUNT, w->dropcount);
			w->dropcount = 0;
		}
	}
	if (optlen) {
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
	p = block_head(w, BT_ISB, total);
	if (!p) {
		return w->broken;
	}
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

/* An archive's statistics block, as it was, for output interface id (keep_meta). */
static int ng_isb_of(struct fcr_writer *w, uint32_t id, const struct fcr_ifstats *s)
{
	size_t total = 28 + (s->have & FCR_IFS_COMMENT ? str_opt_size(s->comment) : 0);
	uint64_t v[] = { s->start_units,  s->end_units, s->ifrecv,  s->ifdrop,
			 s->filteraccept, s->osdrop,	s->usrdeliv };
	uint8_t *p;

	for (int i = 0; i < 7; i++) {
		total += s->have & (1u << i) ? opt_size(8) : 0;
	}
	p = block_head(w, BT_ISB, total);
	if (!p) {
		return w->broken;
	}
	p = put_u32(p, id);
	p = put_ts(p, s->ts_units);
	if (s->have & FCR_IFS_COMMENT) {
		p = put_str_opt(p, OPT_COMMENT, s->comment);
	}
	for (int i = 0; i < 7; i++) {
		if (s->have & (1u << i)) {
			if (i < 2) {
				uint8_t t[8];

				put_ts(t, v[i]);
				p = put_opt(p, (uint16_t)(ISB_START + i), t, 8);
			} else {
				p = put_opt_u64(p, (uint16_t)(ISB_START + i), v[i]);
			}
		}
	}
	p = put_u32(p, 0);
	put_u32(p, (uint32_t)total);
	return 0;
}

static int ng_trailer(struct fcr_writer *w)
{
	struct timespec ts;
	uint64_t now;
	uint32_t i;

	if (w->o.keep_meta) {
		for (unsigned int k = 0; k < w->nifstats; k++) {
			for (i = 0; i < w->nifaces; i++) {
				if (w->ifkey[i] == w->ifstats[k].iface_key) {
					int rc = ng_isb_of(w, i, &w->ifstats[k]);

					if (rc < 0) {
						return rc;
					}
					break;
				}
			}
		}
		return 0;
	}

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
