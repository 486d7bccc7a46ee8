/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archive_write_internal.h - the two ops tables behind struct fcr_writer.
 *
 * A writer is a container format (pcap, pcapng: fcr_fmt_ops) feeding a staging buffer, and a
 * sink (plain file, zstd stream: fcr_sink_ops) that takes the staged bytes to the file
 * descriptor.  The core owns the buffer, the file offset and the "durable" bookkeeping: which
 * frames have reached the file, so that after a write error the file can be cut back to a
 * valid end and the caller knows where to resume.  The core is four files:
 *
 *	archive_write.c		the calls of fcreader.h: open, write, flush, close (and
 *				sealing a file after a write error)
 *	archive_write_push.c	the staging buffer handed to the sink; the durable points
 *	archive_write_file.c	writes to the file, with space reserved ahead (disk full)
 *	archive_write_direct.c	O_DIRECT output, one write in flight on a thread of its own
 *
 * and the ops are archive_write_pcap.c (formats) and archive_write_zstd.c (sinks).
 */
#ifndef FCR_ARCHIVE_WRITE_INTERNAL_H
#define FCR_ARCHIVE_WRITE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "fcreader.h"

#define FCR_MAX_IFACES 256

enum fcr_push_mode {
	FCR_PUSH_CONTINUE = 0, /* the sink may keep data buffered (zstd) */
	FCR_PUSH_FLUSH = 1,    /* everything given so far must reach the file */
	FCR_PUSH_END = 2,      /* as FLUSH, and end the stream (zstd frame end) */
};

struct fcr_writer;

/* O_DIRECT: a push's end (a record boundary) and the frames staged since the previous one. */
struct fcr_mark {
	uint64_t off, in; /* file offset and st.bytes_in at the end of the push */
	uint64_t frames, first_tag, tag, min_ts, max_ts;
};
#define FCR_MAX_MARKS 4

struct fcr_fmt_ops {
	const char *name;
	/* Emit the file header into the staging buffer.  0 or -errno. */
	int (*header)(struct fcr_writer *w);
	/* Emit one frame (and the pending comment, if the format can carry it). */
	int (*frame)(struct fcr_writer *w, const struct fcr_pkt *pkt);
	/* Emit what ends a file (pcapng ISBs); NULL if nothing. */
	int (*trailer)(struct fcr_writer *w);
};

struct fcr_sink_ops {
	const char *name;
	int (*open)(struct fcr_writer *w);
	/* Take len staged bytes toward the file, honouring mode. */
	int (*push)(struct fcr_writer *w, const uint8_t *buf, size_t len, enum fcr_push_mode mode);
	/* After the file was cut back to the last durable point: make it a valid end. */
	int (*seal_broken)(struct fcr_writer *w);
	/* After a successful END push: write anything that follows the stream (seek table). */
	int (*finish)(struct fcr_writer *w);
	void (*free)(struct fcr_writer *w);
	/* Every completed push is on the file (no compressor state in between). */
	bool durable_on_push;
};

extern const struct fcr_fmt_ops fcr_fmt_pcap;
extern const struct fcr_fmt_ops fcr_fmt_pcapng;
extern const struct fcr_sink_ops fcr_sink_plain;
extern const struct fcr_sink_ops fcr_sink_zstd;

struct fcr_writer {
	int fd;
	char name[256];
	struct fcr_writer_opts o;
	const struct fcr_fmt_ops *fmt;
	const struct fcr_sink_ops *sink;
	void *sink_priv;

	/* staging buffer: container bytes not yet given to the sink */
	uint8_t *buf;
	size_t len;
	size_t cap;

	/*
	 * O_DIRECT output (opts.direct_io): dfd is a second descriptor of the same file opened
	 * with O_DIRECT, or -1.  buf[0] is then the file byte at buf_off, a multiple of
	 * FCR_DIO_ALIGN: bytes of the file's partial last block stay at the front of buf (already
	 * on the file through fd if a flush wrote them) until the block fills.
	 */
	int dfd;
	uint64_t buf_off;
	struct fcr_dio *dio; /* the write in flight, on its own thread (archive_write_direct.c) */
	uint64_t synced_off; /* every byte below it has reached the file */
	struct fcr_mark marks[FCR_MAX_MARKS]; /* pushes not yet wholly on the file, oldest first */
	unsigned int nmarks;

	/* the file */
	bool regular;	      /* a regular file: can be reserved, truncated */
	bool can_reserve;     /* fallocate(KEEP_SIZE) works here */
	uint64_t file_off;    /* bytes written to fd */
	uint64_t durable_off; /* file_off at the last point the file was a valid prefix */
	uint64_t reserve_end; /* bytes reserved with fallocate(), beyond file_off */
	int broken;	      /* the first write error, -errno; 0 if none */
	char errmsg[512];

	/* which frames are in the file */
	bool have_pending;
	uint64_t pending_tag; /* the last frame given to the sink or staged */
	uint64_t pending_frames;
	bool have_durable;
	uint64_t durable_tag;
	uint64_t durable_frames;
	uint64_t durable_in; /* st.bytes_in at the last durable point */
	uint64_t pend_min_ts, pend_max_ts, pend_first_tag; /* of the pending frames */
	uint64_t dur_min_ts, dur_max_ts, dur_first_tag;	   /* of the durable frames */
	uint64_t hdr_len;	/* container header length (bytes_in after it); 0 until written */
	bool no_seek;		/* an interface block came after the header: no seek points */
	bool finishing;		/* fcr_writer_finish() pushes the trailer: no seek point */
	uint64_t last_flush_ns; /* CLOCK_MONOTONIC */
	uint64_t in_at_flush;	/* st.bytes_in at the last flush */
	uint64_t flush_bytes;	/* flush after this much container input (zstd) */

	/* pcapng */
	uint32_t nifaces;   /* IDBs written: interface ids 0..nifaces-1 */
	char *if_filter;    /* fcr_writer_opts.if_filter (copy), or NULL */
	char *comment;	    /* pending comment, or NULL */
	uint64_t dropcount; /* pending epb_dropcount (fcr_writer_dropcount()) */
	size_t comment_len;
	struct fcr_isb isb[FCR_MAX_IFACES];
	bool isb_set[FCR_MAX_IFACES];
	uint64_t iface_frames[FCR_MAX_IFACES];

	/* keep_meta: output interfaces by the input's fcr_iface.key, in the current section */
	uint64_t ifkey[FCR_MAX_IFACES];
	uint8_t ifres[FCR_MAX_IFACES];		       /* their if_tsresol */
	const struct fcr_iface *ifptr[FCR_MAX_IFACES]; /* keep_sections: the input's, for the
							 * ISBs at a section's end */
	uint32_t last_if;
	bool sec_set;
	uint64_t sec_key;
	struct fcr_ifstats *ifstats; /* fcr_writer_set_ifstats() */
	unsigned int nifstats;
	const struct fcr_section *hdr_section; /* only while the header is written */
	int pcap_dlt;			       /* pcap: the header's link type (DLT_*) */
	bool pcap_usec;			       /* pcap: microsecond timestamps */

	struct fcr_writer_stats st;
};

static inline uint64_t fcr_mono_ns(void)
{
	struct timespec ts;

	/* vDSO: no system call on the write path. */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- archive_write_push.c */

/* Room for n bytes in the staging buffer (pushing it on when full); NULL on a write error. */
uint8_t *fcr_wbuf_reserve(struct fcr_writer *w, size_t n);

/* Give the staged bytes to the sink, honouring mode, and report a durable point that moved. */
int fcr_writer_push(struct fcr_writer *w, enum fcr_push_mode mode);

/* O_DIRECT: the marks whose bytes are all on the file become durable, oldest first. */
void fcr_commit_marks(struct fcr_writer *w);

/* ---- archive_write_file.c */

/* Write len bytes to the file at file_off (reserving space ahead).  0 or -errno. */
int fcr_out_write(struct fcr_writer *w, const void *buf, size_t len);

/* Write inside the reserved slack when sealing a broken file (no reservation, no error latch). */
int fcr_out_write_sealing(struct fcr_writer *w, const void *buf, size_t len);

/* Reserve room for len more bytes past file_off (and the slack), if the file can.  0 or -errno. */
int fcr_out_reserve(struct fcr_writer *w, size_t len);

/* Write all of p at off (retrying short writes and EINTR).  0 or -errno. */
int fcr_pwrite_all(int fd, const uint8_t *p, size_t len, uint64_t off);

/* Record a write error with its message (the first one wins).  Returns code. */
int fcr_writer_fail(struct fcr_writer *w, int code, const char *what);

/* ---- archive_write_direct.c */

#define FCR_DIO_ALIGN 4096u
/* O_DIRECT: write this much at a time (as dd bs=4M), one write in flight while the next fills,
 * once the file has FCR_DIO_RAMP bytes: before, STAGE_SIZE (archive_write.c), so that the
 * first writes reserve no more than write() did (a nearly full disk still takes the first MiB
 * of a file) */
#define FCR_DIO_STAGE (4u << 20)
#define FCR_DIO_RAMP  (4u << 20)

/* O_DIRECT sink: write buf[0..len) (file bytes from buf_off); see struct fcr_writer.dfd. */
int fcr_out_direct(struct fcr_writer *w, size_t len, enum fcr_push_mode mode);

/* Open the O_DIRECT descriptor (struct fcr_writer.dfd); on any failure, stay on write(). */
void fcr_direct_on(struct fcr_writer *w);

/* Back to write(): the write in flight waited for, the O_DIRECT descriptor closed. */
void fcr_direct_off(struct fcr_writer *w);

/* After a failed push of len staged bytes: keep on the file what write() would have kept. */
void fcr_direct_salvage(struct fcr_writer *w, size_t len);

#endif /* FCR_ARCHIVE_WRITE_INTERNAL_H */
