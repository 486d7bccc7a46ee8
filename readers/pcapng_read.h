/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcapng_read.h - the pcapng block reader behind fcr_archive_* (never installed).
 *
 * libpcap 1.10 refuses a pcapng whose interfaces do not all share the first one's link type
 * and hides interfaces, comments, flags and statistics; Wireshark's libwiretap is GPL, reads
 * only named files and misreads multi-frame zstd (docs/architecture.md, "Reading archives").
 * So pcapng is read here, block by block, from the FILE* the archive reader feeds (plain or
 * decompressed): every section, both byte orders, every if_tsresol, the interface, packet and
 * statistics options tshark shows.  Hostile input is the normal case: tests/fuzz/fuzz_archive.
 *
 *	struct fcr_ng *r = fcr_ng_open(fp, first4, msg, sizeof(msg));
 *	while ((rc = fcr_ng_next(r, &pkt)) == 1)
 *		use(&pkt);        // pkt.meta describes the interface, comments, flags
 *	fcr_ng_close(r);
 */
#ifndef FCR_PCAPNG_READ_H
#define FCR_PCAPNG_READ_H

#include <stdint.h>
#include <stdio.h>

#include "fcreader.h"

#define FCR_NG_MAX_BLOCK (64u << 20) /* larger blocks are taken for damage */

struct fcr_ng;

/*
 * fcr_ng_open - read a pcapng section header from fp, whose first 4 bytes (the block type)
 * were already read into first4, and the blocks up to the first packet.  fp stays the
 * caller's.
 * @return the reader, or NULL with errno EPROTO (msg says what is wrong) or ENOMEM.
 */
struct fcr_ng *fcr_ng_open(FILE *fp, const uint8_t first4[4], char *msg, size_t msglen);

/*
 * fcr_ng_next - the next packet (EPB, SPB or the obsolete PB), with pkt->meta filled.
 * Valid until the next call.  @return 1, 0 at a clean end, -EPROTO (damage: fcr_ng_error())
 * or -EIO (fp failed).
 */
int fcr_ng_next(struct fcr_ng *r, struct fcr_pkt *pkt);

const char *fcr_ng_error(const struct fcr_ng *r);

/* The first interface (the link type an archive reports), or NULL when none yet. */
const struct fcr_iface *fcr_ng_first_iface(const struct fcr_ng *r);

/* The finest if_tsresol of the interfaces described so far (6, microseconds, when none is
 * finer; 9 when one counts in other units than powers of ten of a second up to 10^-6). */
uint8_t fcr_ng_finest_tsresol(const struct fcr_ng *r);

/* The first section. */
const struct fcr_section *fcr_ng_first_section(const struct fcr_ng *r);

/* The last statistics read for each interface that had any; *out valid until the next call. */
unsigned int fcr_ng_stats(struct fcr_ng *r, const struct fcr_ifstats **out);

void fcr_ng_close(struct fcr_ng *r);

/*
 * fcr_ng_dlt - a pcapng/pcap LINKTYPE_* value as libpcap's DLT_*, and back: they differ for a
 * few types (LINKTYPE_RAW 101 is DLT_RAW 12 on Linux).
 */
int fcr_ng_dlt(uint32_t linktype);
uint32_t fcr_ng_linktype(int dlt);

/* ns since the epoch of ts units at if_tsresol res (clamped at 0 and UINT64_MAX). */
uint64_t fcr_ng_units_to_ns(uint64_t ts, uint8_t res, int64_t tsoffset);

#endif /* FCR_PCAPNG_READ_H */
