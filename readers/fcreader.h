/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fcreader.h - feedcap's reader library: what feedcap-dump, feedcap-stat and feedcap-replay
 * share instead of three copies.
 *
 *   - attach:  a ringshm reader positioned at newest, oldest, a time, or "the last N seconds"
 *              (--from newest|oldest|TIME|-30s), plus the time, duration and size parsers
 *              every tool's options use;
 *   - filter:  a tcpdump/libpcap expression compiled with pcap_compile() on a dead handle and
 *              run on each frame with pcap_offline_filter(): no capture handle, no privilege;
 *   - writer:  archive outputs behind one ops table: pcap with nanosecond timestamps and
 *              pcapng (one IDB per capture port, if_tsresol 9), each plain or zstd;
 *   - archive: reading pcap (libpcap) and pcapng (every interface, section and option tshark
 *              shows), plain or zstd (detected by magic), record by record, with "damaged at
 *              byte N" reporting.
 *
 * Libraries never print: a call that can fail for a reason a person must fix fills a
 * struct fcr_error (may be NULL) naming the file, option or value.  Frames are Ethernet
 * (DLT_EN10MB) in the ring.  Nothing here links DPDK.
 *
 * A dump loop (feedcap-dump, simplified):
 *
 *	struct fcr_from from;
 *	fcr_parse_from("-30s", &from, &err);
 *	struct ringshm_reader *rd = fcr_attach("md", &from, &err);
 *	struct fcr_filter *flt = fcr_filter_compile("udp and dst port 30001", &err);
 *	struct fcr_writer_opts wo = { .format = FCR_FMT_PCAPNG, .zstd_level = 1 };
 *	struct fcr_writer *w = fcr_writer_open(fd, "out.pcapng.zst.part", &wo, &err);
 *	while (ringshm_reader_next(rd, &rec) == 1) {
 *		struct fcr_pkt pkt = { rec.data, rec.cap_len, rec.wire_len, rec.ts_ns, rec.port };
 *		bool keep = fcr_filter_match(flt, &pkt);      // use...
 *		if (!ringshm_reader_done(rd))                 // ...then validate
 *			continue;                             // overwritten: counted lost
 *		if (keep)
 *			fcr_writer_write(w, &pkt, rec.pos);   // (copy first in real code)
 *	}
 *	fcr_writer_close(w, &err);
 *
 * An archive loop (feedcap-stat -r, feedcap-replay):
 *
 *	struct fcr_archive *a = fcr_archive_open("x.pcapng.zst", &err);
 *	while ((rc = fcr_archive_next(a, &pkt)) == 1)
 *		use(&pkt);                                    // valid until the next call
 *	if (rc < 0)                                           // damaged: say where
 *		warn("%s", fcr_archive_error(a));
 *	fcr_archive_close(a);
 *
 * Threads: every handle belongs to one thread at a time; there is no global mutable state
 * (libpcap's pcap_compile() is serialised by libpcap itself).
 */
#ifndef FCREADER_H
#define FCREADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ringshm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A message a person can act on, naming the file, option or value. */
struct fcr_error {
	int code; /* the -errno the call returned (or errno for constructors) */
	char msg[512];
};

/* One frame as the library passes it around: from the ring, to a writer, from an archive. */
struct fcr_pkt {
	const void *data;  /* cap_len bytes; lifetime set by whoever filled it */
	uint32_t cap_len;  /* bytes captured */
	uint32_t wire_len; /* bytes on the wire (>= cap_len) */
	uint64_t ts_ns;	   /* UTC nanoseconds since the Unix epoch */
	uint32_t port;	   /* capture port (ring) or pcapng interface id (archive; 0 for pcap) */
	uint32_t flags;	   /* RINGSHM_F_* from the ring; 0 from an archive */
	/* what the archive says about the frame (fcr_archive_next()); NULL from the ring */
	const struct fcr_pkt_meta *meta;
};

/*
 * An archive's interface: the pcap file header, or one pcapng Interface Description Block.
 * Strings are NULL when the file has no such option.  Owned by the archive; valid until it
 * is closed.
 */
struct fcr_iface {
	uint64_t key;	   /* equal for interfaces with equal fields below, the same id in
			    * their section and the same section number in their file (a hash
			    * of them): how a writer merging several archives (rotated files of
			    * the same ports) finds "the same" one */
	int linktype;	   /* DLT_* (libpcap's numbering; pcapng's LINKTYPE_* mapped) */
	uint32_t snaplen;  /* 0: none given */
	uint8_t tsresol;   /* if_tsresol as stored: 6 = microseconds (pcap, pcapng default),
			    * 9 = ns; bit 7 set: a negative power of 2 */
	int64_t tsoffset;  /* if_tsoffset, seconds added to every timestamp */
	int fcslen;	   /* if_fcslen, -1 when absent */
	uint64_t speed;	   /* if_speed in bit/s, 0 when absent */
	const char *name;  /* if_name */
	const char *descr; /* if_description */
	const char
		*filter; /* if_filter as a libpcap expression (code 0); BPF byte code is dropped */
	const char *os;	 /* if_os */
	const char *hardware;	     /* if_hardware */
	const char *const *comments; /* opt_comment, in file order */
	uint32_t ncomments;
	bool pcapng;			 /* false: the pcap file header */
	const struct fcr_ifstats *stats; /* the last ISB read for it so far, or NULL */
};

/* A pcapng section (Section Header Block): its options, NULL when absent. */
struct fcr_section {
	uint64_t key; /* equal for sections with equal options */
	const char *hardware, *os, *userappl;
	const char *const *comments;
	uint32_t ncomments;
};

/* Statistics of one interface (pcapng ISB): the last one the archive held for it. */
struct fcr_ifstats {
	uint64_t iface_key;		 /* fcr_iface.key of the interface */
	uint64_t ts_units;		 /* the block's timestamp in the interface's units */
	uint32_t have;			 /* FCR_IFS_* bits: which fields below the block had */
	uint64_t start_units, end_units; /* isb_starttime, isb_endtime (interface's units) */
	uint64_t ifrecv, ifdrop, filteraccept, osdrop, usrdeliv;
	char comment[256]; /* the first opt_comment, cut to fit; "" if none */
};

#define FCR_IFS_START	 (1u << 0)
#define FCR_IFS_END	 (1u << 1)
#define FCR_IFS_IFRECV	 (1u << 2)
#define FCR_IFS_IFDROP	 (1u << 3)
#define FCR_IFS_FACCEPT	 (1u << 4)
#define FCR_IFS_OSDROP	 (1u << 5)
#define FCR_IFS_USRDELIV (1u << 6)
#define FCR_IFS_COMMENT	 (1u << 7)

/* What an archive record carries besides its bytes.  Valid as long as pkt->data is. */
struct fcr_pkt_meta {
	const struct fcr_iface *iface;	   /* never NULL from an archive */
	const struct fcr_section *section; /* NULL for pcap */
	uint32_t iface_id;	     /* the interface's number in the file, counted across sections
			       * (tshark's frame.interface_id) */
	uint64_t ts_units;	     /* the timestamp as stored, in the interface's units (exact) */
	const char *const *comments; /* opt_comment, in file order */
	uint32_t ncomments;
	/* the interfaces of the frame's section read so far, in file order (a writer keeps
	 * their numbering by writing them in that order) */
	const struct fcr_iface *const *section_ifaces;
	uint32_t section_nifaces;
	uint32_t local_id; /* the interface's id within its section */
	bool have_flags, have_dropcount, have_packetid, have_queue;
	bool no_ts;	    /* a Simple Packet Block: no timestamp (ts_ns 0), interface 0 */
	uint32_t epb_flags; /* epb_flags (direction, reception type, FCS length, errors) */
	uint64_t dropcount; /* epb_dropcount */
	uint64_t packetid;  /* epb_packetid */
	uint32_t queue;	    /* epb_queue */
};

/* ------------------------------------------------------------------ time, sizes */

/*
 * fcr_parse_time - an absolute time: ISO 8601 ("2026-11-22T00:10:00Z",
 * "2026-11-22T00:10:00.123456789+01:00", "2026-11-22 00:10:00" = UTC, a bare date = its
 * midnight UTC) or epoch seconds with an optional fraction ("1795000000.25", "@1795000000").
 * @return 0 with *ns set, or -EINVAL (err names the value and the accepted forms).
 */
int fcr_parse_time(const char *s, uint64_t *ns, struct fcr_error *err);

/*
 * fcr_parse_duration - "30s", "1.5s", "500ms", "250us", "100ns", "2m", "1h", "1d"; a bare
 * number is seconds.  @return 0 with *ns set, or -EINVAL.
 */
int fcr_parse_duration(const char *s, uint64_t *ns, struct fcr_error *err);

/*
 * fcr_parse_size - "4096", "64k"/"64K"/"64KiB" (x1024), "10M"/"10MiB", "2G", "1T"; "10MB"
 * (x1000000) and friends for decimal units.  @return 0 with *bytes set, or -EINVAL/-ERANGE.
 */
int fcr_parse_size(const char *s, uint64_t *bytes, struct fcr_error *err);

/*
 * fcr_format_time - ns since the epoch as ISO 8601 UTC with nanoseconds
 * ("2026-11-22T00:10:00.123456789Z").  @return buf.  len >= 32 always suffices.
 */
char *fcr_format_time(uint64_t ns, char *buf, size_t len);

/* ------------------------------------------------------------------ attach */

/* Where a reader starts (feedcap-dump --from). */
enum fcr_from_kind {
	FCR_FROM_NEWEST = 0, /* only what the producer writes next (live) */
	FCR_FROM_OLDEST = 1, /* the oldest record the ring still holds */
	FCR_FROM_TIME = 2,   /* the first record with ts_ns >= ts_ns */
	FCR_FROM_AGO = 3,    /* the last ago_ns held: the first record with
			      * ts_ns >= (timestamp of the newest record) - ago_ns */
};

struct fcr_from {
	enum fcr_from_kind kind;
	uint64_t ts_ns;	 /* FCR_FROM_TIME */
	uint64_t ago_ns; /* FCR_FROM_AGO */
};

/*
 * fcr_parse_from - "newest", "oldest", "-30s" (any fcr_parse_duration() after a '-'), or a
 * time fcr_parse_time() takes.  @return 0, or -EINVAL naming the value.
 */
int fcr_parse_from(const char *s, struct fcr_from *from, struct fcr_error *err);

/*
 * fcr_attach - open a ring read-only by name or path (ringshm_reader_open()) and seek to from.
 * FCR_FROM_AGO is anchored on the newest record's timestamp, not the wall clock: "the last 30
 * seconds the ring holds", which is what a user wants after the fact and what a stopped
 * capture still has.  from may be NULL (newest).  The scan that finds the newest timestamp
 * is not counted in the reader's totals (ringshm_reader_stats()): they start at zero, however
 * often a producer lapped that scan.
 * @return the reader (close it with ringshm_reader_close()), or NULL with errno and err set as
 *         ringshm_reader_open() does.
 */
struct ringshm_reader *fcr_attach(const char *ring, const struct fcr_from *from,
				  struct fcr_error *err);

/*
 * fcr_seek - (re)position an open reader as fcr_attach() does.  @return 0, -EINVAL, or -EPROTO
 * (corrupt ring met while finding the newest timestamp).
 */
int fcr_seek(struct ringshm_reader *rd, const struct fcr_from *from);

/*
 * fcr_ring_window - the time span the ring holds: the timestamps of its oldest and newest
 * records (records of two ports interleave, so a record inside may be a little outside).
 * Moves the cursor: seek again afterwards.  feedcap-dump says this when --from asks for time
 * the ring no longer (or not yet) holds.
 * @return 0, -ENOENT (no record yet), or -EPROTO (a corrupt ring).
 */
int fcr_ring_window(struct ringshm_reader *rd, uint64_t *oldest, uint64_t *newest);

/* ------------------------------------------------------------------ filter */

struct fcr_filter;

/*
 * fcr_filter_compile - compile a tcpdump expression for Ethernet frames (pcap_open_dead() +
 * pcap_compile(), optimised, netmask unknown).  NULL or "" matches everything.
 * @return the filter, or NULL with errno EINVAL and err holding libpcap's message with the
 *         expression ("bad filter expression 'udp prot 1': syntax error"), or ENOMEM.
 */
struct fcr_filter *fcr_filter_compile(const char *expr, struct fcr_error *err);

/* fcr_filter_match - whether the frame passes (pcap_offline_filter()).  Hot path: no syscall. */
bool fcr_filter_match(const struct fcr_filter *f, const struct fcr_pkt *pkt);

/* The expression as compiled ("" for match-all), valid until fcr_filter_free(). */
const char *fcr_filter_expr(const struct fcr_filter *f);

/* NULL is a no-op. */
void fcr_filter_free(struct fcr_filter *f);

/*
 * fcr_join_args - the trailing words of a command line joined with single spaces, as tcpdump
 * does ("udp", "and", "port", "1" -> "udp and port 1").  @return a malloc'd string ("" when
 * argc is 0; free() it), or NULL with errno ENOMEM.
 */
char *fcr_join_args(int argc, char *const argv[]);

/* ------------------------------------------------------------------ archive writer */

/* Container formats.  Both carry nanosecond timestamps. */
enum fcr_format {
	FCR_FMT_PCAP = 0,   /* libpcap format, magic 0xa1b23c4d (nanosecond) */
	FCR_FMT_PCAPNG = 1, /* SHB, one IDB per port (if_tsresol 9), EPBs, ISBs at close */
};

/* One capture port, for pcapng IDBs (name and description shown by tshark/capinfos). */
struct fcr_port_info {
	char name[64]; /* "0000:3b:00.0", "net_pcap0" */
	char descr[64];
};

/*
 * A durable point of a writer (fcr_writer_opts.on_durable): the file, up to off, is a valid
 * archive holding exactly the frames described here, whatever happens to the process next.
 * This is what an archive job writes into its checkpoint, and where the index's seek points
 * come from.
 */
struct fcr_durable {
	uint64_t off;	   /* byte offset in the file up to which it is a valid archive */
	uint64_t frames;   /* frames in those bytes */
	uint64_t first_ts; /* smallest and largest timestamp of those frames (0 if none) */
	uint64_t last_ts;
	bool have_tag;	    /* frames > 0: the tags below are valid */
	uint64_t first_tag; /* fcr_writer_write()'s tag of the first and last of them */
	uint64_t last_tag;
	/*
	 * Seek point (archset_seek_add()): the next record will start at seek_off, and every
	 * frame before it has a timestamp <= seek_max_ts.  seek_off is 0 when the file cannot be
	 * entered there: single-frame zstd, after a pcapng interface block written after the
	 * header (the points before it stay good), the end of the file.  data_off is the
	 * container header's length in the uncompressed stream (archset_ent.data_off); 0 for
	 * single-frame zstd.
	 */
	uint64_t seek_off;
	uint64_t seek_max_ts;
	uint64_t data_off;
};

struct fcr_writer_opts {
	enum fcr_format format;
	int zstd_level;		    /* 0: no compression; 1..22 zstd level; <0 fast levels */
	int zstd_threads;	    /* ZSTD_c_nbWorkers; 0: compress in the calling thread */
	bool zstd_multiframe;	    /* end a zstd frame at every flush and append a seek table
				      * (zstd seekable format) at close; default: one frame */
	uint64_t flush_interval_ns; /* push buffered data to the file at least this often
				      * (ZSTD_e_flush for zstd); 0 = 1 s.  Checked on writes and
				      * by fcr_writer_tick(). */
	uint32_t snaplen;	    /* 0 = 65535 */
	uint32_t nports;	    /* pcapng IDBs: ports 0..nports-1 (0 = one interface) */
	const struct fcr_port_info *ports; /* nports entries, or NULL: "port0".. */
	const char *shb_comment;	   /* pcapng SHB comment, or NULL */
	const char *if_filter;		   /* pcapng if_filter of every port's IDB (the job's
					    * filter expression), or NULL/"" for none; copied */
	/*
	 * Frames from archives (pkt->meta set) keep what they came with: pcapng writes an IDB for
	 * each distinct interface (fcr_iface.key) when its first frame comes, then each frame's
	 * stored timestamp units, comments, flags and drop count; the header has no IDB and the
	 * ISBs at close are those of fcr_writer_set_ifstats().  pcap writes the link type and time unit of
	 * `iface` and refuses a frame of another link type (-EINVAL: pcap holds one).
	 */
	bool keep_meta;
	/*
	 * keep_meta pcapng, one archive read: a frame of another section than the last one
	 * starts a new section (its SHB, its IDBs afresh, the ISBs of the section ending
	 * first).  Otherwise every frame goes into the first section, interfaces merged by key.
	 */
	bool keep_sections;
	const struct fcr_section *section; /* keep_meta pcapng: the first SHB's options */
	const struct fcr_iface *iface;	   /* keep_meta pcap: link type, snap length, time unit
					    * (tsresol 6: microsecond magic); NULL: Ethernet, ns */
	/*
	 * Uncompressed output to a regular file: write whole 4 KiB blocks with O_DIRECT through
	 * a second descriptor (the caller's fd, its flags and offset are untouched), 1 MiB at a
	 * time with one write in flight on a thread of the writer's own, and only the partial
	 * last block at each flush through the page cache.  Falls back to plain write() where
	 * the file system refuses O_DIRECT.  A staging-buffer write is then durable (on_durable)
	 * once the block holding its last byte is on the file: one or two writes later, and at
	 * every flush.
	 */
	bool direct_io;
	/*
	 * Called each time the durable point advances: after the header at open, then at every
	 * push that reaches the file (plain: every write of the staging buffer, with direct_io
	 * once its last block is written; zstd: every flush), not for the trailer at close.  Runs inside the writer's calls: it must not
	 * call the writer.  NULL: none.
	 */
	void (*on_durable)(void *ctx, const struct fcr_durable *d);
	void *durable_ctx;
};

/* Final statistics for pcapng ISBs, one per port (see fcr_writer_set_isb()). */
struct fcr_isb {
	uint64_t if_recv;	/* isb_ifrecv: frames the port received (capture counter) */
	uint64_t if_drop;	/* isb_ifdrop: frames the NIC dropped (imissed + rx_nombuf) */
	uint64_t filter_accept; /* isb_filteraccept: frames this writer's filter accepted */
	uint64_t os_drop;	/* isb_osdrop: records this reader lost to overrun */
	uint64_t usr_deliv;	/* isb_usrdeliv: frames written to this file */
};

/* What a writer did (totals over its life). */
struct fcr_writer_stats {
	uint64_t frames;      /* frames accepted by fcr_writer_write() */
	uint64_t bytes_in;    /* container bytes produced (before compression) */
	uint64_t bytes_out;   /* bytes written to the file (after compression) */
	uint64_t first_ts_ns; /* first and last frame timestamps (0 if none) */
	uint64_t last_ts_ns;
	uint64_t zstd_frames; /* zstd frames ended (0 while the single frame is open) */
	bool durable;	      /* a frame has reached the file: durable_tag is valid */
	uint64_t durable_tag; /* the tag of the last frame that reached the file */
};

struct fcr_writer;

/*
 * fcr_writer_open - start an archive on fd (a regular file, pipe or terminal-less stdout),
 * writing the file header at once.  name is used in messages only.  The writer does not own
 * fd: fcr_writer_close() leaves it open (the caller fsyncs, closes and renames).
 * @return the writer, or NULL with errno/err set: EINVAL (bad options), ENOMEM, or the write
 *         error of the header.
 */
struct fcr_writer *fcr_writer_open(int fd, const char *name, const struct fcr_writer_opts *opts,
				   struct fcr_error *err);

/*
 * fcr_writer_write - append one frame.  tag is the caller's token for it (a ring position):
 * fcr_writer_durable_tag() tells later which frames are safely in the file.  The pending
 * comment, if any, is attached to this frame (pcapng).  Data is buffered: nothing is copied
 * out of pkt after the call returns.
 * @return 0, or the -errno of a write that failed (-ENOSPC, -EIO, -EPIPE, ...) with err naming
 *         the file and the cause; the writer is then broken: only fcr_writer_close() is
 *         allowed, which makes the file valid up to the last durable frame.
 */
int fcr_writer_write(struct fcr_writer *w, const struct fcr_pkt *pkt, uint64_t tag,
		     struct fcr_error *err);

/*
 * fcr_writer_comment - a note attached to the next frame written (pcapng opt_comment, which
 * tshark shows as a packet comment); notes accumulate, one line each, until that frame.  Used
 * for "reader overrun: N records lost" and clock state changes.  pcap has no place for it:
 * ignored there (0).  @return 0 or -ENOMEM.
 */
int fcr_writer_comment(struct fcr_writer *w, const char *text);

/*
 * fcr_writer_dropcount - frames lost before the next frame written (a reader overrun): pcapng
 * writes them as that frame's epb_dropcount ("packets lost between this packet and the
 * preceding one"); counts add up until then.  pcap has no place for it.
 */
void fcr_writer_dropcount(struct fcr_writer *w, uint64_t n);

/* The statistics written to the ISBs at close (pcapng only; kept until close). */
void fcr_writer_set_isb(struct fcr_writer *w, uint32_t port, const struct fcr_isb *isb);

/*
 * fcr_writer_set_ifstats - keep_meta: an archive's interface statistics, written as they are
 * (an ISB) at close for the output interface made of the input interface s->iface_key, if
 * any frame of it was written.  @return 0 or -ENOMEM.
 */
int fcr_writer_set_ifstats(struct fcr_writer *w, const struct fcr_ifstats *s);

/*
 * fcr_writer_tick - push buffered data out if flush_interval_ns has passed since the last
 * flush (call it when idle).  @return 0 or a write error as fcr_writer_write().
 */
int fcr_writer_tick(struct fcr_writer *w, struct fcr_error *err);

/* fcr_writer_flush - push everything buffered to the file now (ZSTD_e_flush). */
int fcr_writer_flush(struct fcr_writer *w, struct fcr_error *err);

/*
 * fcr_writer_durable_tag - the tag of the last frame that has reached the file (write()
 * returned), and whether there is one.  After a write error this is where to resume.
 */
bool fcr_writer_durable_tag(const struct fcr_writer *w, uint64_t *tag);

/* Totals so far. */
void fcr_writer_stats(const struct fcr_writer *w, struct fcr_writer_stats *st);

/*
 * fcr_writer_close - finish the file: pcapng ISBs, the zstd frame end (and seek table), then
 * free the writer.  After a write error, the file is cut back (ftruncate) to the last durable
 * frame and ended so that it stays valid (a zstd frame is ended with an empty last block).
 * fd stays open.  NULL is a no-op (0).
 * @return 0, or the first write error (the writer is freed anyway).
 */
int fcr_writer_close(struct fcr_writer *w, struct fcr_error *err);

/*
 * fcr_writer_finish - fcr_writer_close() that also reports the final totals (frames the file
 * keeps, bytes written including the trailer and the end of the zstd frame) in *st.
 */
int fcr_writer_finish(struct fcr_writer *w, struct fcr_writer_stats *st, struct fcr_error *err);

/* "pcap", "pcapng", "pcap.zst", "pcapng.zst": the usual file suffix for the options. */
const char *fcr_writer_suffix(const struct fcr_writer_opts *opts);

/* ------------------------------------------------------------------ archive reader */

/*
 * pcap files are read by libpcap (pcap_fopen_offline_with_tstamp_precision on a FILE*), pcapng
 * files by feedcap's block reader (pcapng_read.c: libpcap 1.10 refuses interfaces of mixed link
 * types and hides comments, flags and statistics); a zstd archive is decompressed by a
 * fopencookie() stream under either.  So pcap (micro and nanosecond, either byte order) and
 * pcapng from feedcap, tcpdump, dumpcap/Wireshark, editcap and mergecap all read.  Compression
 * is detected by the zstd magic, not the file name.
 */
enum fcr_container {
	FCR_CONT_PCAP = 0,
	FCR_CONT_PCAPNG = 1,
};

struct fcr_archive;

/*
 * fcr_archive_open - open an archive ("-" reads stdin) and read its header.
 * @return the archive, or NULL with errno and err set: ENOENT/EACCES (names the file), EPROTO
 *         (not pcap/pcapng, or a damaged header: libpcap's message and the file), ENOMEM.
 */
struct fcr_archive *fcr_archive_open(const char *path, struct fcr_error *err);

/*
 * fcr_archive_open_at - open path and start reading at byte offset off of the file, where a
 * record (plain file) or a zstd frame (multi-frame zstd) starts, after reading the container
 * header from the first data_off bytes of the uncompressed stream: an archive set's seek
 * points (archset_seek_offset(), archset_ent.data_off).  off <= data_off or data_off 0 is
 * fcr_archive_open().  A wrong offset shows as a damaged record at the first read.
 * @return as fcr_archive_open().
 */
struct fcr_archive *fcr_archive_open_at(const char *path, uint64_t data_off, uint64_t off,
					struct fcr_error *err);

/*
 * fcr_archive_next - the next record.  pkt->data stays valid until the next call or close;
 * ts_ns is nanoseconds whatever the file's resolution; port is the pcapng interface id
 * (counted across sections), 0 for pcap; pkt->meta says the rest (interface, comments, flags).
 * @return 1 with *pkt filled, 0 at a clean end of file, or -EPROTO (a damaged or truncated
 *         record: everything before it was returned; fcr_archive_error() and
 *         fcr_archive_damage_offset() say where), -EIO (read or decompression error, same).
 */
int fcr_archive_next(struct fcr_archive *a, struct fcr_pkt *pkt);

/*
 * fcr_archive_damage_offset - whether the archive stopped early, and where: *offset is the
 * byte offset, in the uncompressed container stream, of the end of the last complete record
 * (everything before it was read).  @return true if damaged/truncated.
 */
bool fcr_archive_damage_offset(const struct fcr_archive *a, uint64_t *offset);

/*
 * fcr_archive_error - a message for the last failure, naming the file and the offset
 * ("x.pcap.zst: truncated at byte 123456 of the pcap stream (zstd frame cut short); 812
 * records read"), or "" if none.  Valid until the next call or close.
 */
const char *fcr_archive_error(const struct fcr_archive *a);

/*
 * fcr_archive_seek_time - skip forward to the first record with ts_ns >= ts, using seek
 * points when the file has them (zstd seek table, feedcap's directory index) and reading
 * otherwise.  @return 0, -ENOTSUP (no faster way than reading: the caller filters), or an
 * error as fcr_archive_next().
 */
int fcr_archive_seek_time(struct fcr_archive *a, uint64_t ts);

int fcr_archive_linktype(const struct fcr_archive *a); /* DLT_* */
enum fcr_container fcr_archive_container(const struct fcr_archive *a);
bool fcr_archive_compressed(const struct fcr_archive *a);  /* zstd */
const char *fcr_archive_path(const struct fcr_archive *a); /* as opened */
uint64_t fcr_archive_records(const struct fcr_archive *a); /* returned so far */

/* The archive's file descriptor (owned by the archive: do not close it). */
int fcr_archive_fd(const struct fcr_archive *a);

/*
 * fcr_archive_offset - where libpcap is in the uncompressed container stream: after the last
 * record returned (after the file header right after open).  For a plain file read from its
 * start, or entered with fcr_archive_open_at(), this is the byte offset in the file.
 */
uint64_t fcr_archive_offset(const struct fcr_archive *a);

/* zstd frames whose end was decoded so far (0 for a plain file). */
uint32_t fcr_archive_zstd_frames(const struct fcr_archive *a);

/* Close the archive and free everything.  NULL is a no-op. */
void fcr_archive_close(struct fcr_archive *a);

/* ------------------------------------------------------------------ archive sets */
/*
 * Several archives read as one stream in timestamp order, through a heap over the archives
 * (ties keep the order the sources were given in), restricted to [from_ns, to_ns).  A damaged archive ends early without stopping the
 * others: after the set is done, fcr_archive_set_result() says how each one ended.
 *
 * Sources whose first timestamp is known (an archive set's index: archset.h) are opened only
 * when the merge reaches that time, and every archive is closed as soon as it is done, so the
 * set holds open only the archives that overlap the moment being merged (at most max_open).
 * A source with a seek point is entered there (fcr_archive_open_at()); others by
 * fcr_archive_seek_time(from_ns) where the file allows it.  Each archive is left once one of
 * its records is more than FCR_ARCHIVE_TO_SLACK_NS past to_ns: archives are in time order,
 * give or take a little between capture ports.
 */
#define FCR_ARCHIVE_TO_SLACK_NS UINT64_C(1000000000)
#define FCR_TIME_MAX		UINT64_MAX

/* One archive of a set. */
struct fcr_source {
	const char *path;  /* copied by the set */
	uint64_t first_ts; /* smallest timestamp in the file; 0: unknown (opened at once) */
	uint64_t data_off; /* container header length (archset_ent.data_off); 0: no seeking */
	uint64_t seek_off; /* where to enter for from_ns (archset_seek_offset()); 0: the start */
};

struct fcr_archive_set;

/*
 * fcr_archive_set_open_sources - the merge of src[0..n), opening the first of them now (the
 * link type and snap length are known on return).  Archives of different link types merge:
 * each record's pkt->meta->iface says its own.
 * @return the set, or NULL with errno and err set: as fcr_archive_open() for an archive that
 *         cannot be opened, EMFILE when
 *         more than max_open archives would be open at once (names the time), ENOMEM.
 */
struct fcr_archive_set *fcr_archive_set_open_sources(const struct fcr_source *src, unsigned int n,
						     uint64_t from_ns, uint64_t to_ns,
						     unsigned int max_open, struct fcr_error *err);

/*
 * fcr_archive_set_open - every path opened at once (first_ts unknown), as given.
 * @return as fcr_archive_set_open_sources().
 */
struct fcr_archive_set *fcr_archive_set_open(const char *const *paths, unsigned int n,
					     uint64_t from_ns, uint64_t to_ns,
					     struct fcr_error *err);

/*
 * fcr_archive_set_next - the next record of the merged stream; *src (may be NULL) is the index
 * of its source.  pkt->data stays valid until the next call.
 * @return 1 with *pkt filled, 0 when every archive is done (cleanly or at damage), or a
 *         -errno of an archive opened late (as fcr_archive_set_open_sources() says; the
 *         message in fcr_archive_set_error()): the set stops there.
 */
int fcr_archive_set_next(struct fcr_archive_set *s, struct fcr_pkt *pkt, unsigned int *src);

/* The message of the error fcr_archive_set_next() returned ("" if none). */
const char *fcr_archive_set_error(const struct fcr_archive_set *s);

/* How one source of the set ended, valid until the set is closed. */
struct fcr_archive_result {
	const char *path;
	bool opened;	     /* false: never needed (outside the time range) */
	uint64_t records;    /* records returned */
	bool damaged;	     /* stopped early: message says where (fcr_archive_error()) */
	const char *message; /* "" if not damaged */
};

void fcr_archive_set_result(const struct fcr_archive_set *s, unsigned int i,
			    struct fcr_archive_result *r);

unsigned int fcr_archive_set_count(const struct fcr_archive_set *s);
/* Source i's archive while it is open, else NULL (use fcr_archive_set_result()). */
struct fcr_archive *fcr_archive_set_get(const struct fcr_archive_set *s, unsigned int i);
int fcr_archive_set_linktype(const struct fcr_archive_set *s); /* DLT_* */
/* The largest snap length of the files opened so far; 262144 (libpcap's maximum) while
 * sources are still to be opened, so that a header written now fits every record. */
uint32_t fcr_archive_set_snaplen(const struct fcr_archive_set *s);

/* Close every archive and free the set.  NULL is a no-op. */
void fcr_archive_set_close(struct fcr_archive_set *s);

/* The archive's snap length (pcap header, or the first pcapng IDB; 262144 for its "none"). */
uint32_t fcr_archive_snaplen(const struct fcr_archive *a);

/* The first pcapng section (NULL for pcap), valid until the archive is closed. */
const struct fcr_section *fcr_archive_section(const struct fcr_archive *a);

/* The first interface (the pcap header's for pcap; NULL for a pcapng with none yet). */
const struct fcr_iface *fcr_archive_iface(const struct fcr_archive *a);

/*
 * fcr_archive_tsresol - the time resolution a pcap copy of the archive needs to keep every
 * timestamp: 6 (microseconds) when the pcap header, or every pcapng interface described so
 * far (those before the first frame, at least), counts in microseconds or coarser; else 9.
 * A pcapng's first interface alone does not say it: mergecap puts a microsecond capture and
 * a nanosecond one side by side.
 */
uint8_t fcr_archive_tsresol(const struct fcr_archive *a);

/*
 * fcr_archive_stats - the last interface statistics block (ISB) read for each interface that
 * had one so far: read to the end first.  *out is valid until the next call or close.
 * @return how many.
 */
unsigned int fcr_archive_stats(struct fcr_archive *a, const struct fcr_ifstats **out);

/*
 * fcr_archive_set_stats - fcr_archive_stats() of every archive of the set that is done (all
 * of them once fcr_archive_set_next() returned 0).  *out valid until the set is closed.
 */
unsigned int fcr_archive_set_stats(const struct fcr_archive_set *s, const struct fcr_ifstats **out);

/* ------------------------------------------------------------------ directory index */

/*
 * The directory index belongs to archset (archset.h: ARCHSET_INDEX_NAME, the format, the lock).
 * The two calls below are version 1's, kept as thin wrappers until feedcap-dump calls archset
 * itself; new code must not use them.
 */
#define FCR_INDEX_NAME "feedcap-index.jsonl"

struct fcr_index_ent {
	char file[256]; /* name relative to the directory */
	uint64_t first_ts;
	uint64_t last_ts;
	uint64_t frames;
	uint64_t bytes; /* file size */
	enum fcr_format format;
	bool zstd;
};

/* fcr_index_add - archset_index_append() of those fields.  @return 0 or -errno. */
int fcr_index_add(const char *dir, const struct fcr_index_ent *ent, struct fcr_error *err);

/*
 * fcr_index_read - the entries archset_open(dir, ARCHSET_NO_CHECK) gives, in time order.
 * @return the number of entries stored in *out (malloc'd; free() it), or -errno.
 */
int fcr_index_read(const char *dir, struct fcr_index_ent **out, struct fcr_error *err);

#ifdef __cplusplus
}
#endif

#endif /* FCREADER_H */
