/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archive_read.c - pcap/pcapng archives, plain or zstd, read through libpcap.
 *
 * libpcap reads no compressed file, and feedcap must not parse pcap or pcapng itself.  So an
 * archive is opened as a FILE* made by fopencookie() whose read function feeds libpcap either
 * the file as it is or what ZSTD_decompressStream() makes of it, and libpcap does the rest
 * (pcap_fopen_offline_with_tstamp_precision(), nanosecond timestamps whatever the file has).
 * The cookie keeps count of where it is in both streams, which is how a damaged archive's
 * message can say where it stopped.
 *
 * The one place that looks at bytes itself is the time seek over a multi-frame zstd archive:
 * it reads the 16-byte pcap record header at the start of a frame to learn that frame's first
 * time.  That only chooses where libpcap starts reading; if anything there looks wrong the
 * seek is abandoned and the archive read from the start, which is always correct, only slower.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdio_ext.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <zstd.h>

#include "fcreader.h"

#define ZSTD_MAGIC	  0xFD2FB528u
#define ZSTD_SKIP_MAGIC	  0x184D2A50u /* low 4 bits free */
#define PCAP_MAGIC_US	  0xa1b2c3d4u
#define PCAP_MAGIC_NS	  0xa1b23c4du
#define PCAP_FILE_HDR_LEN 24
#define PCAP_REC_HDR_LEN  16
#define PCAP_SANE_MAX_CAP (256u << 10)

/* The byte source under libpcap's FILE*. */
struct zsrc {
	int fd;
	bool compressed;
	ZSTD_DCtx *dctx;
	uint8_t *ibuf;
	size_t icap;
	ZSTD_inBuffer in;
	uint64_t cbase; /* file offset of ibuf[0] */
	uint64_t uoff;	/* bytes handed to libpcap */
	uint32_t frame; /* index of the zstd frame being decoded (or next one) */
	bool in_frame;	/* inside a frame that has not ended yet */
	bool eof;
	bool truncated_frame; /* the file ended inside a frame */
	size_t zerr;	      /* a ZSTD error result, or 0 */
	uint64_t zerr_coff;
	/* bytes served before the file (a seek's copy of the pcap file header) */
	uint8_t prefix[PCAP_FILE_HDR_LEN];
	size_t prefix_len, prefix_pos;
};

struct fcr_archive {
	char *path;
	struct zsrc z;
	FILE *fp;
	pcap_t *pc;
	uint64_t skip_before; /* fcr_archive_seek_time(): records before this are skipped */
	uint64_t records;     /* records read from libpcap */
	uint64_t returned;    /* records returned */
	uint64_t good_uoff;   /* end of the last complete record, in bytes handed to libpcap */
	bool seeked;	      /* entered at a later zstd frame */
	bool done;
	bool damaged;
	char msg[768];
};

static uint64_t coff_now(const struct zsrc *z)
{
	return z->cbase + z->in.pos;
}

static ssize_t zsrc_read(void *cookie, char *buf, size_t size)
{
	struct zsrc *z = cookie;

	if (z->prefix_pos < z->prefix_len) {
		size_t n = z->prefix_len - z->prefix_pos;

		if (n > size) {
			n = size;
		}
		memcpy(buf, z->prefix + z->prefix_pos, n);
		z->prefix_pos += n;
		z->uoff += n;
		return (ssize_t)n;
	}
	if (!z->compressed) {
		ssize_t n;

		do {
			n = read(z->fd, buf, size);
		} while (n < 0 && errno == EINTR);
		if (n > 0) {
			z->uoff += (uint64_t)n;
		}
		return n;
	}
	if (z->zerr || z->eof) {
		return 0;
	}

	ZSTD_outBuffer out = { buf, size, 0 };

	while (out.pos == 0) {
		if (z->in.pos == z->in.size) {
			ssize_t n = read(z->fd, z->ibuf, z->icap);

			if (n < 0) {
				if (errno == EINTR) {
					continue;
				}
				return -1;
			}
			z->cbase += z->in.size;
			z->in.src = z->ibuf;
			z->in.size = (size_t)n;
			z->in.pos = 0;
			if (n == 0) {
				z->eof = true;
				z->truncated_frame = z->in_frame;
				break;
			}
		}

		size_t r = ZSTD_decompressStream(z->dctx, &out, &z->in);

		if (ZSTD_isError(r)) {
			z->zerr = r;
			z->zerr_coff = coff_now(z);
			break;
		}
		if (r == 0) {
			z->in_frame = false;
			z->frame++;
		} else {
			z->in_frame = true;
		}
	}
	z->uoff += out.pos;
	return (ssize_t)out.pos;
}

/* Only "where am I" is supported: it lets ftell() report the offset libpcap has reached. */
static int zsrc_seek(void *cookie, off64_t *offset, int whence)
{
	struct zsrc *z = cookie;

	if (whence == SEEK_CUR && *offset == 0) {
		*offset = (off64_t)z->uoff;
		return 0;
	}
	errno = ESPIPE;
	return -1;
}

static int zsrc_close(void *cookie)
{
	(void)cookie; /* the archive frees the source after pcap_close() */
	return 0;
}

static uint32_t rd32(const uint8_t *p, bool swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/* A pcap file header: whether it is one, its byte order and time unit. */
static bool pcap_hdr_parse(const uint8_t *h, bool *swap, bool *nano, uint32_t *snaplen)
{
	uint32_t m;

	memcpy(&m, h, 4);
	if (m == PCAP_MAGIC_US || m == PCAP_MAGIC_NS) {
		*swap = false;
	} else if (__builtin_bswap32(m) == PCAP_MAGIC_US || __builtin_bswap32(m) == PCAP_MAGIC_NS) {
		*swap = true;
		m = __builtin_bswap32(m);
	} else {
		return false;
	}
	*nano = m == PCAP_MAGIC_NS;
	*snaplen = rd32(h + 16, *swap);
	return true;
}

/* The first `want` decompressed bytes of the frame at src (one frame, size bytes). */
static bool frame_prefix(ZSTD_DCtx *d, const uint8_t *src, size_t size, uint8_t *out, size_t want)
{
	ZSTD_inBuffer in = { src, size, 0 };
	ZSTD_outBuffer ob = { out, want, 0 };

	ZSTD_DCtx_reset(d, ZSTD_reset_session_only);
	while (ob.pos < want) {
		size_t r = ZSTD_decompressStream(d, &ob, &in);

		if (ZSTD_isError(r) || (r == 0 && ob.pos < want) ||
		    (in.pos == in.size && ob.pos < want)) {
			ZSTD_DCtx_reset(d, ZSTD_reset_session_only);
			return false;
		}
	}
	ZSTD_DCtx_reset(d, ZSTD_reset_session_only);
	return true;
}

struct zframe {
	uint64_t off;
};

/* The first record of a frame, parsed only to learn its time; false if it does not look like
 * a record header (the frame does not start on a record: no seek). */
static bool probe_ts(ZSTD_DCtx *d, const uint8_t *src, size_t size, bool swap, bool nano,
		     uint32_t snaplen, uint64_t *ts)
{
	uint8_t rh[PCAP_REC_HDR_LEN];

	if (!frame_prefix(d, src, size, rh, sizeof(rh))) {
		return false;
	}

	uint32_t sec = rd32(rh, swap), frac = rd32(rh + 4, swap);
	uint32_t caplen = rd32(rh + 8, swap), len = rd32(rh + 12, swap);

	if (caplen > PCAP_SANE_MAX_CAP || (snaplen && caplen > snaplen) || caplen > len ||
	    frac >= (nano ? 1000000000u : 1000000u)) {
		return false;
	}
	*ts = (uint64_t)sec * 1000000000u + (uint64_t)frac * (nano ? 1 : 1000);
	return true;
}

/*
 * Move a multi-frame zstd pcap to the last frame whose first record is before ts, if that is
 * ahead of where the stream is.  -ENOTSUP whenever the file does not look like a
 * record-aligned multi-frame pcap or there is nothing to skip.
 */
static int zseek(struct fcr_archive *a, uint64_t target)
{
	struct zsrc *z = &a->z;
	struct stat st;
	struct zframe *fr = NULL;
	size_t nfr = 0, cap = 0;
	uint8_t hdr[PCAP_FILE_HDR_LEN];
	bool swap, nano;
	uint32_t snaplen;
	int rc = -ENOTSUP;

	if (!z->compressed || z->zerr || fstat(z->fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < 8) {
		return -ENOTSUP;
	}

	size_t size = (size_t)st.st_size;
	const uint8_t *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, z->fd, 0);

	if (map == MAP_FAILED) {
		return -ENOTSUP;
	}
	for (size_t off = 0; off < size;) {
		size_t fs = ZSTD_findFrameCompressedSize(map + off, size - off);
		uint32_t m;

		if (ZSTD_isError(fs) || fs == 0) {
			break; /* a damaged tail: the sequential read will report it */
		}
		memcpy(&m, map + off, 4);
		if ((m & 0xFFFFFFF0u) != ZSTD_SKIP_MAGIC) {
			if (nfr == cap) {
				size_t nc = cap ? cap * 2 : 64;
				struct zframe *n = realloc(fr, nc * sizeof(*n));

				if (!n) {
					goto out;
				}
				fr = n;
				cap = nc;
			}
			fr[nfr++] = (struct zframe){ .off = off };
		}
		off += fs;
	}
	if (nfr < 2 || fr[0].off != 0) {
		goto out;
	}
	/* frame 0 holds the file header: the format, byte order and time unit */
	if (!frame_prefix(z->dctx, map, (size_t)fr[1].off, hdr, sizeof(hdr)) ||
	    !pcap_hdr_parse(hdr, &swap, &nano, &snaplen)) {
		goto out;
	}

	/* the last frame in [1, nfr) whose first record is before target; 0 if none */
	size_t lo = 0, hi = nfr;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t end = mid + 1 < nfr ? fr[mid + 1].off : size;
		uint64_t ts;

		if (!probe_ts(z->dctx, map + fr[mid].off, end - fr[mid].off, swap, nano, snaplen,
			      &ts)) {
			goto out;
		}
		if (ts < target) {
			lo = mid;
		} else {
			hi = mid;
		}
	}
	if (lo == 0 || a->records > 0) {
		/*
		 * Nothing to skip, or records were read already: libpcap has consumed only the
		 * file header as long as no record was read, and frame lo >= 1 starts after it.
		 */
		goto out;
	}
	/*
	 * libpcap has read the file header and keeps no other state between pcap records, so the
	 * stream under it can jump to a record boundary: drop what stdio buffered, start the
	 * decompressor afresh at the frame.
	 */
	if (lseek(z->fd, (off_t)fr[lo].off, SEEK_SET) < 0) {
		goto out;
	}
	__fpurge(a->fp);
	ZSTD_DCtx_reset(z->dctx, ZSTD_reset_session_only);
	z->in.size = 0;
	z->in.pos = 0;
	z->cbase = fr[lo].off;
	z->frame = (uint32_t)lo;
	z->in_frame = false;
	z->eof = false;
	z->truncated_frame = false;
	a->seeked = true;
	rc = 0;
out:
	free(fr);
	munmap((void *)(uintptr_t)map, size);
	return rc;
}

static void set_err(struct fcr_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(struct fcr_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err) {
		return;
	}
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

static const cookie_io_functions_t zsrc_io = {
	.read = zsrc_read,
	.seek = zsrc_seek,
	.close = zsrc_close,
};

struct fcr_archive *fcr_archive_open(const char *path, struct fcr_error *err)
{
	struct fcr_archive *a = calloc(1, sizeof(*a));
	char perr[PCAP_ERRBUF_SIZE];
	uint8_t magic[4] = { 0 };
	size_t got = 0;
	int e;

	if (!a) {
		set_err(err, -ENOMEM, "%s: out of memory", path);
		errno = ENOMEM;
		return NULL;
	}
	a->z.fd = -1;
	a->path = strdup(path);
	if (!a->path) {
		e = ENOMEM;
		set_err(err, -e, "%s: out of memory", path);
		goto fail;
	}
	a->z.fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	if (a->z.fd < 0) {
		e = errno;
		set_err(err, -e, "%s: cannot open: %s", path, strerror(e));
		goto fail;
	}
	/*
	 * The magic decides: read it from the stream (stdin cannot seek) and serve it back to
	 * libpcap through the prefix.
	 */
	while (got < sizeof(magic)) {
		ssize_t n = read(a->z.fd, magic + got, sizeof(magic) - got);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			e = errno;
			set_err(err, -e, "%s: cannot read: %s", path, strerror(e));
			goto fail;
		}
		if (n == 0) {
			break;
		}
		got += (size_t)n;
	}

	uint32_t m = (uint32_t)magic[0] | (uint32_t)magic[1] << 8 | (uint32_t)magic[2] << 16 |
		     (uint32_t)magic[3] << 24;

	if (got == 4 && (m == ZSTD_MAGIC || (m & 0xFFFFFFF0u) == ZSTD_SKIP_MAGIC)) {
		a->z.compressed = true;
		a->z.dctx = ZSTD_createDCtx();
		a->z.icap = ZSTD_DStreamInSize();
		a->z.ibuf = malloc(a->z.icap);
		if (!a->z.dctx || !a->z.ibuf) {
			e = ENOMEM;
			set_err(err, -e, "%s: out of memory", path);
			goto fail;
		}
		memcpy(a->z.ibuf, magic, got); /* the compressed stream's first bytes */
		a->z.in.src = a->z.ibuf;
		a->z.in.size = got;
	} else {
		memcpy(a->z.prefix, magic, got);
		a->z.prefix_len = got;
	}
	a->fp = fopencookie(&a->z, "r", zsrc_io);
	if (!a->fp) {
		e = errno;
		set_err(err, -e, "%s: fopencookie: %s", path, strerror(e));
		goto fail;
	}
	/* fewer, larger decompression calls than stdio's default 4 KiB buffer gives */
	setvbuf(a->fp, NULL, _IOFBF, 128u << 10);
	a->pc = pcap_fopen_offline_with_tstamp_precision(a->fp, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!a->pc) {
		e = EPROTO;
		if (a->z.zerr) {
			set_err(err, -e,
				"%s: zstd: %s at compressed byte offset %" PRIu64
				": no record could be read",
				path, ZSTD_getErrorName(a->z.zerr), a->z.zerr_coff);
		} else if (a->z.truncated_frame) {
			set_err(err, -e,
				"%s: truncated zstd stream: the file ends inside zstd frame %" PRIu32
				" at compressed byte offset %" PRIu64
				" before a pcap header could be decompressed (zstd decodes whole "
				"blocks of up to 128 KiB): no record could be read",
				path, a->z.frame, coff_now(&a->z));
		} else {
			set_err(err, -e, "%s: not a readable pcap or pcapng file%s: libpcap: %s",
				path, a->z.compressed ? " inside the zstd stream" : "", perr);
		}
		fclose(a->fp);
		a->fp = NULL;
		goto fail;
	}
	a->good_uoff = (uint64_t)ftello(a->fp);
	return a;

fail:
	fcr_archive_close(a);
	errno = e;
	return NULL;
}

/* Fill a->msg: the file, the records read, where it stopped and why. */
static void make_damage(struct fcr_archive *a, const char *what)
{
	char where[320];
	struct zsrc *z = &a->z;

	if (z->compressed) {
		snprintf(where, sizeof(where),
			 "uncompressed byte offset %" PRIu64 "%s; zstd frame %" PRIu32
			 " (counting from 0) at compressed byte offset %" PRIu64,
			 a->good_uoff,
			 a->seeked ? " counted from where the time seek entered the file" : "",
			 z->frame, z->zerr ? z->zerr_coff : coff_now(z));
	} else {
		snprintf(where, sizeof(where), "byte offset %" PRIu64, a->good_uoff);
	}
	/* a very long path may cut the tail of the message; the file and offsets come first */
	if (snprintf(a->msg, sizeof(a->msg),
		     "%s: damaged archive: stopped after record %" PRIu64 ", at %s: %s; everything "
		     "before that point was read",
		     a->path, a->records, where, what) >= (int)sizeof(a->msg)) {
		a->msg[sizeof(a->msg) - 2] = '.';
	}
	a->damaged = true;
}

int fcr_archive_next(struct fcr_archive *a, struct fcr_pkt *pkt)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	int r;

	while (!a->done) {
		r = pcap_next_ex(a->pc, &h, &d);
		if (r == 1) {
			uint64_t ts =
				(uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;

			a->records++;
			a->good_uoff = (uint64_t)ftello(a->fp);
			if (ts < a->skip_before) {
				continue;
			}
			pkt->data = d;
			pkt->cap_len = h->caplen;
			pkt->wire_len = h->len;
			pkt->ts_ns = ts;
			pkt->port = 0;
			pkt->flags = 0;
			a->returned++;
			return 1;
		}
		a->done = true;

		char what[PCAP_ERRBUF_SIZE + 128];
		int rc = -EPROTO;

		if (a->z.zerr) {
			snprintf(what, sizeof(what), "zstd: %s", ZSTD_getErrorName(a->z.zerr));
			rc = -EIO;
		} else if (a->z.truncated_frame) {
			snprintf(what, sizeof(what),
				 "the file ends inside a zstd frame (truncated)");
		} else if (r == PCAP_ERROR) {
			snprintf(what, sizeof(what), "libpcap: %s", pcap_geterr(a->pc));
		} else {
			return 0; /* clean end */
		}
		if (r == PCAP_ERROR && (a->z.zerr || a->z.truncated_frame)) {
			size_t l = strlen(what);

			snprintf(what + l, sizeof(what) - l, " (libpcap: %s)", pcap_geterr(a->pc));
		}
		make_damage(a, what);
		return rc;
	}
	return 0;
}

bool fcr_archive_damage_offset(const struct fcr_archive *a, uint64_t *offset)
{
	if (a->damaged && offset) {
		*offset = a->good_uoff;
	}
	return a->damaged;
}

const char *fcr_archive_error(const struct fcr_archive *a)
{
	return a->msg;
}

int fcr_archive_seek_time(struct fcr_archive *a, uint64_t ts)
{
	int rc = zseek(a, ts);

	if (rc == 0) {
		a->skip_before = ts;
	}
	return rc;
}

int fcr_archive_linktype(const struct fcr_archive *a)
{
	return pcap_datalink(a->pc);
}

uint32_t fcr_archive_snaplen(const struct fcr_archive *a)
{
	int s = pcap_snapshot(a->pc);

	return s > 0 ? (uint32_t)s : 65535u;
}

enum fcr_container fcr_archive_container(const struct fcr_archive *a)
{
	/* libpcap reports a pcapng file as version 1.0 (its section header), pcap as 2.4 */
	return pcap_major_version(a->pc) == 1 ? FCR_CONT_PCAPNG : FCR_CONT_PCAP;
}

bool fcr_archive_compressed(const struct fcr_archive *a)
{
	return a->z.compressed;
}

const char *fcr_archive_path(const struct fcr_archive *a)
{
	return a->path;
}

uint64_t fcr_archive_records(const struct fcr_archive *a)
{
	return a->returned;
}

int fcr_archive_fd(const struct fcr_archive *a)
{
	return a->z.fd;
}

uint64_t fcr_archive_offset(const struct fcr_archive *a)
{
	return a->good_uoff;
}

uint32_t fcr_archive_zstd_frames(const struct fcr_archive *a)
{
	return a->z.compressed ? a->z.frame : 0;
}

void fcr_archive_close(struct fcr_archive *a)
{
	if (!a) {
		return;
	}
	if (a->pc) {
		pcap_close(a->pc); /* fcloses fp; the cookie's close leaves the source to us */
	} else if (a->fp) {
		fclose(a->fp);
	}
	if (a->z.fd >= 0) {
		close(a->z.fd);
	}
	ZSTD_freeDCtx(a->z.dctx);
	free(a->z.ibuf);
	free(a->path);
	free(a);
}

/* ------------------------------------------------------------------ sets */

struct fcr_archive_set {
	unsigned int n;
	struct fcr_archive **a;
	struct fcr_pkt *cur; /* head record of each archive */
	unsigned int *heap;  /* archive indices, min-heap on (ts, index) */
	unsigned int hn;
	int pending; /* archive whose record was handed out last: advance it first */
	uint64_t to;
	int linktype;
	uint32_t snaplen;
};

static bool heap_less(const struct fcr_archive_set *s, unsigned int x, unsigned int y)
{
	if (s->cur[x].ts_ns != s->cur[y].ts_ns) {
		return s->cur[x].ts_ns < s->cur[y].ts_ns;
	}
	return x < y;
}

static void heap_swap(struct fcr_archive_set *s, unsigned int i, unsigned int j)
{
	unsigned int t = s->heap[i];

	s->heap[i] = s->heap[j];
	s->heap[j] = t;
}

static void heap_push(struct fcr_archive_set *s, unsigned int v)
{
	unsigned int i = s->hn++;

	s->heap[i] = v;
	while (i > 0 && heap_less(s, s->heap[i], s->heap[(i - 1) / 2])) {
		heap_swap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static unsigned int heap_pop(struct fcr_archive_set *s)
{
	unsigned int top = s->heap[0];
	unsigned int i = 0;

	s->heap[0] = s->heap[--s->hn];
	for (;;) {
		unsigned int l = 2 * i + 1, r = l + 1, m = i;

		if (l < s->hn && heap_less(s, s->heap[l], s->heap[m])) {
			m = l;
		}
		if (r < s->hn && heap_less(s, s->heap[r], s->heap[m])) {
			m = r;
		}
		if (m == i) {
			break;
		}
		heap_swap(s, i, m);
		i = m;
	}
	return top;
}

/* The archive's next record before `to`; false when it is done (or past to + slack). */
static bool set_advance(struct fcr_archive_set *s, unsigned int i)
{
	while (fcr_archive_next(s->a[i], &s->cur[i]) == 1) {
		uint64_t ts = s->cur[i].ts_ns;

		if (ts < s->to) {
			return true;
		}
		if (ts - s->to > FCR_ARCHIVE_TO_SLACK_NS) {
			return false;
		}
	}
	return false;
}

struct fcr_archive_set *fcr_archive_set_open(const char *const *paths, unsigned int n,
					     uint64_t from_ns, uint64_t to_ns,
					     struct fcr_error *err)
{
	struct fcr_archive_set *s = calloc(1, sizeof(*s));
	unsigned int cap = n ? n : 1;
	int e = ENOMEM;

	if (!s) {
		set_err(err, -ENOMEM, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	s->pending = -1;
	s->to = to_ns;
	s->a = calloc(cap, sizeof(*s->a));
	s->cur = calloc(cap, sizeof(*s->cur));
	s->heap = calloc(cap, sizeof(*s->heap));
	if (!s->a || !s->cur || !s->heap) {
		set_err(err, -ENOMEM, "out of memory");
		goto fail;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct fcr_archive *a = fcr_archive_open(paths[i], err);

		if (!a) {
			e = errno;
			goto fail;
		}
		s->a[i] = a;
		s->n = i + 1;
		if (i == 0) {
			s->linktype = fcr_archive_linktype(a);
		} else if (fcr_archive_linktype(a) != s->linktype) {
			e = EINVAL;
			set_err(err, -e,
				"%s: link type %s differs from %s's %s: read them separately",
				paths[i], pcap_datalink_val_to_name(fcr_archive_linktype(a)),
				paths[0], pcap_datalink_val_to_name(s->linktype));
			goto fail;
		}
		if (fcr_archive_snaplen(a) > s->snaplen) {
			s->snaplen = fcr_archive_snaplen(a);
		}
		if (from_ns > 0) {
			a->skip_before = from_ns; /* whether or not a frame seek helps */
			(void)zseek(a, from_ns);
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		if (set_advance(s, i)) {
			heap_push(s, i);
		}
	}
	return s;
fail:
	fcr_archive_set_close(s);
	errno = e;
	return NULL;
}

int fcr_archive_set_next(struct fcr_archive_set *s, struct fcr_pkt *pkt, unsigned int *src)
{
	if (s->pending >= 0) {
		unsigned int i = (unsigned int)s->pending;

		s->pending = -1;
		if (set_advance(s, i)) {
			heap_push(s, i);
		}
	}
	if (s->hn == 0) {
		return 0;
	}

	unsigned int i = heap_pop(s);

	s->pending = (int)i;
	*pkt = s->cur[i];
	if (src) {
		*src = i;
	}
	return 1;
}

unsigned int fcr_archive_set_count(const struct fcr_archive_set *s)
{
	return s->n;
}

struct fcr_archive *fcr_archive_set_get(const struct fcr_archive_set *s, unsigned int i)
{
	return i < s->n ? s->a[i] : NULL;
}

int fcr_archive_set_linktype(const struct fcr_archive_set *s)
{
	return s->linktype;
}

uint32_t fcr_archive_set_snaplen(const struct fcr_archive_set *s)
{
	return s->snaplen;
}

void fcr_archive_set_close(struct fcr_archive_set *s)
{
	if (!s) {
		return;
	}
	for (unsigned int i = 0; i < s->n; i++) {
		fcr_archive_close(s->a[i]);
	}
	free(s->a);
	free(s->cur);
	free(s->heap);
	free(s);
}
