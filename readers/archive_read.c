/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archive_read.c - pcap/pcapng archives, plain or zstd: pcap through libpcap, pcapng through
 * pcapng_read.c.
 *
 * libpcap reads no compressed file.  So an archive is opened as a FILE* made by fopencookie()
 * whose read function gives either the file as it is or what ZSTD_decompressStream() makes of
 * it.  A pcap file goes to libpcap (pcap_fopen_offline_with_tstamp_precision(), nanosecond
 * timestamps whatever the file has).  A pcapng file goes to feedcap's own block reader, because
 * libpcap 1.10 refuses interfaces of different link types and hides what pcapng carries per
 * interface and per packet (docs/architecture.md, "Reading archives", says why not libwiretap).
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
#include <pthread.h>

#include "fcreader.h"
#include "archive_read_internal.h"
#include "pcapng_read.h"

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
	/* bytes served before the file: the magic read to detect zstd, or the container header
	 * when the archive is entered at a seek point (then malloc'd) */
	uint8_t *prefix;
	uint8_t magic[4];
	size_t prefix_len, prefix_pos;
	struct zpipe *pipe; /* the decoder thread, once started (zpipe_read()) */
	bool piped;	    /* it was started (once per archive) */
};

struct fcr_archive {
	char *path;
	struct zsrc z;
	FILE *fp;
	pcap_t *pc;		  /* a pcap file, or NULL */
	struct fcr_ng *ng;	  /* a pcapng file, or NULL */
	uint8_t head[4];	  /* the first bytes of the container stream */
	struct fcr_iface pcap_if; /* a pcap file's one interface */
	struct fcr_pkt_meta pmeta;
	bool usec;	      /* a pcap file with microsecond timestamps */
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

static ssize_t zdecode(struct zsrc *z, char *buf, size_t size);
static ssize_t zpipe_read(struct zsrc *z, char *buf, size_t size);

static ssize_t zsrc_read(void *cookie, char *buf, size_t size)
{
	struct zsrc *z = cookie;
	ssize_t got;

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
	got = zpipe_read(z, buf, size);
	if (got == -2) {
		got = zdecode(z, buf, size); /* no decoder thread: decode here */
	}
	if (got > 0) {
		z->uoff += (uint64_t)got;
	}
	return got;
}

/* Decompress into buf: some bytes, 0 at the end or on a zstd error (kept in z), -1 on a read error. */
static ssize_t zdecode(struct zsrc *z, char *buf, size_t size)
{
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
	return (ssize_t)out.pos;
}

/*
 * Decompression on a thread of its own.  Replaying a zstd archive is two jobs of about the same
 * cost, decompressing and then parsing and writing the records (libpcap, the output), and in one
 * thread they add up: at 0.4-0.7 of `zstd -d` (docs/performance.md).  Past the first ZPIPE_AFTER
 * bytes (the header, a time seek, and small archives stay in the caller's thread, as do archives
 * merged by the hundred in a set: most never get there) a decoder thread fills blocks of
 * ZPIPE_BLOCK bytes ahead of the reader, ZPIPE_BLOCKS at most.  It works on its own copy of the
 * source (t); the reader takes the decoder's state back when the thread has ended (the end of
 * the stream, a zstd or read error), so every error message reads the same fields as before.
 */
#define ZPIPE_BLOCKS 4
#define ZPIPE_BLOCK  (1u << 20)
#define ZPIPE_AFTER  (1u << 20)

struct zpipe {
	pthread_t thr;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct zsrc t; /* the decoder's copy of the source; the reader's again after the join */
	uint8_t *data[ZPIPE_BLOCKS];
	size_t len[ZPIPE_BLOCKS];
	uint32_t frame[ZPIPE_BLOCKS]; /* t.frame after each block, for fcr_archive_zstd_frames() */
	unsigned int head, tail;      /* filled blocks: tail .. head - 1 (mod ZPIPE_BLOCKS) */
	size_t pos;		      /* the reader's position in block tail */
	bool done;		      /* the decoder made its last block */
	int err;		      /* with done: errno of a read error, or 0 */
	bool stop;		      /* the reader closes: end now */
};

static void *zpipe_main(void *arg)
{
	struct zpipe *p = arg;
	bool end = false;

	while (!end) {
		unsigned int i;
		size_t len = 0;
		int err = 0;

		pthread_mutex_lock(&p->mu);
		while (p->head - p->tail == ZPIPE_BLOCKS && !p->stop) {
			pthread_cond_wait(&p->cv, &p->mu);
		}
		i = p->head % ZPIPE_BLOCKS;
		end = p->stop;
		pthread_mutex_unlock(&p->mu);
		if (end) {
			break;
		}
		while (len < ZPIPE_BLOCK) {
			ssize_t n = zdecode(&p->t, (char *)p->data[i] + len, ZPIPE_BLOCK - len);

			if (n <= 0) {
				err = n < 0 ? errno : 0;
				end = true;
				break;
			}
			len += (size_t)n;
		}
		pthread_mutex_lock(&p->mu);
		p->len[i] = len;
		p->frame[i] = p->t.frame;
		p->head++;
		p->done = end;
		p->err = err;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

/* Stop the decoder and take its state back (the reader's own fields kept). */
static void zpipe_end(struct zsrc *z)
{
	struct zpipe *p = z->pipe;
	struct zsrc keep = *z;

	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thr, NULL);
	*z = p->t;
	z->uoff = keep.uoff;
	z->prefix = keep.prefix;
	z->prefix_len = keep.prefix_len;
	z->prefix_pos = keep.prefix_pos;
	z->piped = true;
	z->pipe = NULL;
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	for (unsigned int i = 0; i < ZPIPE_BLOCKS; i++) {
		free(p->data[i]);
	}
	free(p);
}

static int zpipe_start(struct zsrc *z)
{
	struct zpipe *p = calloc(1, sizeof(*p));
	unsigned int i;

	z->piped = true; /* one try */
	if (!p) {
		return -1;
	}
	for (i = 0; i < ZPIPE_BLOCKS; i++) {
		p->data[i] = malloc(ZPIPE_BLOCK);
		if (!p->data[i]) {
			goto out_free;
		}
	}
	p->t = *z;
	p->t.pipe = NULL;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&p->thr, NULL, zpipe_main, p) != 0) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		goto out_free;
	}
	z->pipe = p;
	return 0;

out_free:
	while (i-- > 0) {
		free(p->data[i]);
	}
	free(p);
	return -1;
}

/* Bytes from the decoder thread (started here when due); -2: none, decode in this thread. */
static ssize_t zpipe_read(struct zsrc *z, char *buf, size_t size)
{
	struct zpipe *p;
	unsigned int i;
	size_t n;

	if (!z->pipe &&
	    (z->piped || z->uoff < ZPIPE_AFTER || z->zerr || z->eof || zpipe_start(z) < 0)) {
		return -2;
	}
	p = z->pipe;
	pthread_mutex_lock(&p->mu);
	while (p->tail == p->head && !p->done) {
		pthread_cond_wait(&p->cv, &p->mu);
	}
	if (p->tail == p->head) {
		int err = p->err;

		pthread_mutex_unlock(&p->mu);
		zpipe_end(z); /* the decoder's end state (eof, zstd error) is the reader's now */
		if (err) {
			errno = err;
			return -1;
		}
		return 0;
	}
	pthread_mutex_unlock(&p->mu);
	i = p->tail % ZPIPE_BLOCKS;
	n = p->len[i] - p->pos;
	if (n > size) {
		n = size;
	}
	memcpy(buf, p->data[i] + p->pos, n);
	p->pos += n;
	z->frame = p->frame[i];
	if (p->pos == p->len[i]) {
		pthread_mutex_lock(&p->mu);
		p->tail++;
		p->pos = 0;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	return (ssize_t)n;
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
	ZSTD_DCtx *probe = NULL;
	size_t nfr = 0, cap = 0;
	uint8_t hdr[PCAP_FILE_HDR_LEN];
	bool swap, nano;
	uint32_t snaplen;
	int rc = -ENOTSUP;

	if (!z->compressed || z->pipe || z->zerr || fstat(z->fd, &st) < 0 || !S_ISREG(st.st_mode) ||
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
	/*
	 * Probe with a context of its own: the stream's is in the middle of frame 0 (libpcap has
	 * read the file header), and must stay so when there turns out to be nothing to skip.
	 */
	probe = ZSTD_createDCtx();
	if (!probe || !frame_prefix(probe, map, (size_t)fr[1].off, hdr, sizeof(hdr)) ||
	    !pcap_hdr_parse(hdr, &swap, &nano, &snaplen)) {
		goto out;
	}

	/* the last frame in [1, nfr) whose first record is before target; 0 if none */
	size_t lo = 0, hi = nfr;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t end = mid + 1 < nfr ? fr[mid + 1].off : size;
		uint64_t ts;

		if (!probe_ts(probe, map + fr[mid].off, end - fr[mid].off, swap, nano, snaplen,
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
	ZSTD_freeDCtx(probe);
	free(fr);
	munmap((void *)(uintptr_t)map, size);
	return rc;
}

void fcr_read_set_err(struct fcr_error *err, int code, const char *fmt, ...)
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

/* The first len bytes of the uncompressed stream of a zstd file, read from its start. */
static int zstd_head(struct zsrc *z, uint8_t *out, size_t len)
{
	ZSTD_outBuffer ob = { out, len, 0 };
	uint64_t coff = 0;

	ZSTD_DCtx_reset(z->dctx, ZSTD_reset_session_only);
	while (ob.pos < len) {
		ssize_t n = pread(z->fd, z->ibuf, z->icap, (off_t)coff);
		ZSTD_inBuffer in = { z->ibuf, n > 0 ? (size_t)n : 0, 0 };

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return n < 0 ? errno : EPROTO;
		}
		while (in.pos < in.size && ob.pos < len) {
			size_t r = ZSTD_decompressStream(z->dctx, &ob, &in);

			if (ZSTD_isError(r)) {
				return EPROTO;
			}
		}
		coff += in.pos;
	}
	ZSTD_DCtx_reset(z->dctx, ZSTD_reset_session_only);
	return 0;
}

/*
 * Enter at a seek point (an archive set's index): serve libpcap the container header first,
 * then the file from off.  libpcap keeps no state between records beyond what the header
 * gave it, so it cannot tell the difference.  Plain files keep exact offsets (uoff starts
 * where the header would have ended had the file been read to off).
 */
static int enter_at(struct fcr_archive *a, uint64_t data_off, uint64_t off)
{
	struct zsrc *z = &a->z;
	uint8_t *hdr;
	int e = 0;

	if (data_off > (16u << 20)) {
		return EINVAL;
	}
	hdr = malloc(data_off);
	if (!hdr) {
		return ENOMEM;
	}
	if (z->compressed) {
		e = zstd_head(z, hdr, data_off);
	} else {
		ssize_t n = pread(z->fd, hdr, data_off, 0);

		e = n == (ssize_t)data_off ? 0 : n < 0 ? errno : EPROTO;
	}
	if (!e && lseek(z->fd, (off_t)off, SEEK_SET) < 0) {
		e = errno;
	}
	if (e) {
		free(hdr);
		return e;
	}
	z->prefix = hdr;
	z->prefix_len = data_off;
	z->prefix_pos = 0;
	if (z->compressed) {
		z->in.size = 0; /* drop the magic read at open: the stream restarts at off */
		z->in.pos = 0;
		z->cbase = off;
		a->seeked = true;
	} else {
		z->uoff = off - data_off;
	}
	return 0;
}

/*
 * The first bytes of the container stream, without consuming them: they decide between pcap
 * (libpcap) and pcapng (pcapng_read.c).  Whatever had to be read to learn them is served again
 * through the prefix.
 */
static size_t peek_head(struct zsrc *z, uint8_t head[4])
{
	size_t got = 0;

	if (z->prefix_len - z->prefix_pos >= 4) {
		memcpy(head, z->prefix + z->prefix_pos, 4);
		return 4;
	}
	if (!z->compressed) {
		got = z->prefix_len - z->prefix_pos; /* a file shorter than 4 bytes */
		memcpy(head, z->prefix + z->prefix_pos, got);
		return got;
	}
	while (got < 4) {
		ssize_t n = zsrc_read(z, (char *)head + got, 4 - got);

		if (n <= 0) {
			break;
		}
		got += (size_t)n;
	}
	memcpy(z->magic, head, got);
	z->prefix = z->magic;
	z->prefix_len = got;
	z->prefix_pos = 0;
	z->uoff -= got;
	return got;
}

static uint64_t key_of_pcap_if(const struct fcr_iface *f)
{
	uint64_t k = UINT64_C(0xcbf29ce484222325);
	const uint8_t *b;
	uint32_t v[3] = { (uint32_t)f->linktype, f->snaplen, f->tsresol };

	b = (const uint8_t *)v;
	for (size_t i = 0; i < sizeof(v); i++) {
		k = (k ^ b[i]) * UINT64_C(0x100000001b3);
	}
	return k;
}

struct fcr_archive *fcr_archive_open(const char *path, struct fcr_error *err)
{
	return fcr_archive_open_at(path, 0, 0, err);
}

struct fcr_archive *fcr_archive_open_at(const char *path, uint64_t data_off, uint64_t off,
					struct fcr_error *err)
{
	struct fcr_archive *a = calloc(1, sizeof(*a));
	char perr[PCAP_ERRBUF_SIZE];
	uint8_t magic[4] = { 0 };
	size_t got = 0;
	int e;

	if (!a) {
		fcr_read_set_err(err, -ENOMEM, "%s: out of memory", path);
		errno = ENOMEM;
		return NULL;
	}
	a->z.fd = -1;
	a->path = strdup(path);
	if (!a->path) {
		e = ENOMEM;
		fcr_read_set_err(err, -e, "%s: out of memory", path);
		goto fail;
	}
	a->z.fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	if (a->z.fd < 0) {
		e = errno;
		fcr_read_set_err(err, -e, "%s: cannot open: %s", path, strerror(e));
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
			fcr_read_set_err(err, -e, "%s: cannot read: %s", path, strerror(e));
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
			fcr_read_set_err(err, -e, "%s: out of memory", path);
			goto fail;
		}
		memcpy(a->z.ibuf, magic, got); /* the compressed stream's first bytes */
		a->z.in.src = a->z.ibuf;
		a->z.in.size = got;
	} else {
		memcpy(a->z.magic, magic, got);
		a->z.prefix = a->z.magic;
		a->z.prefix_len = got;
	}
	if (data_off && off > data_off) {
		e = enter_at(a, data_off, off);
		if (e) {
			fcr_read_set_err(err, -e,
					 "%s: cannot enter the archive at byte %" PRIu64
					 " after a %" PRIu64 "-byte header: %s",
					 path, off, data_off, strerror(e));
			goto fail;
		}
	}
	a->fp = fopencookie(&a->z, "r", zsrc_io);
	if (!a->fp) {
		e = errno;
		fcr_read_set_err(err, -e, "%s: fopencookie: %s", path, strerror(e));
		goto fail;
	}
	/* fewer, larger decompression calls than stdio's default 4 KiB buffer gives */
	setvbuf(a->fp, NULL, _IOFBF, 128u << 10);
	if (peek_head(&a->z, a->head) == 4 && memcmp(a->head, "\n\r\r\n", 4) == 0) {
		uint8_t first4[4];

		if (fread(first4, 1, 4, a->fp) != 4) {
			e = EIO;
			fcr_read_set_err(err, -e, "%s: cannot read the section header", path);
			goto fail;
		}
		a->ng = fcr_ng_open(a->fp, first4, perr, sizeof(perr));
		if (!a->ng) {
			e = errno;
			if (a->z.zerr || a->z.truncated_frame) {
				snprintf(perr, sizeof(perr), "%s",
					 a->z.zerr ? ZSTD_getErrorName(a->z.zerr)
						   : "the file ends inside a zstd frame");
			}
			fcr_read_set_err(err, -e, "%s: not a readable pcapng file%s: %s", path,
					 a->z.compressed ? " inside the zstd stream" : "", perr);
			goto fail;
		}
		a->good_uoff = (uint64_t)ftello(a->fp);
		return a;
	}
	a->pc = pcap_fopen_offline_with_tstamp_precision(a->fp, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!a->pc) {
		e = EPROTO;
		if (a->z.zerr) {
			fcr_read_set_err(err, -e,
					 "%s: zstd: %s at compressed byte offset %" PRIu64
					 ": no record could be read",
					 path, ZSTD_getErrorName(a->z.zerr), a->z.zerr_coff);
		} else if (a->z.truncated_frame) {
			fcr_read_set_err(
				err, -e,
				"%s: truncated zstd stream: the file ends inside zstd frame %" PRIu32
				" at compressed byte offset %" PRIu64
				" before a pcap header could be decompressed (zstd decodes whole "
				"blocks of up to 128 KiB): no record could be read",
				path, a->z.frame, coff_now(&a->z));
		} else {
			fcr_read_set_err(
				err, -e, "%s: not a readable pcap or pcapng file%s: libpcap: %s",
				path, a->z.compressed ? " inside the zstd stream" : "", perr);
		}
		fclose(a->fp);
		a->fp = NULL;
		goto fail;
	}
	a->good_uoff = (uint64_t)ftello(a->fp);

	/* a1b2c3d4 (either byte order) and Kuznetsov's a1b2cd34 count microseconds */
	uint32_t hm;

	memcpy(&hm, a->head, 4);
	a->usec = hm != PCAP_MAGIC_NS && hm != __builtin_bswap32(PCAP_MAGIC_NS);
	a->pcap_if.linktype = pcap_datalink(a->pc);
	a->pcap_if.snaplen = (uint32_t)pcap_snapshot(a->pc);
	a->pcap_if.tsresol = a->usec ? 6 : 9;
	a->pcap_if.fcslen = -1;
	a->pcap_if.key = key_of_pcap_if(&a->pcap_if);
	a->pmeta.iface = &a->pcap_if;
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

/* Whether the decompressor stopped the stream (an error or a cut frame): what into what. */
static bool zstd_what(const struct fcr_archive *a, char *what, size_t len, int *rc)
{
	if (a->z.zerr) {
		snprintf(what, len, "zstd: %s", ZSTD_getErrorName(a->z.zerr));
		*rc = -EIO;
		return true;
	}
	if (a->z.truncated_frame) {
		snprintf(what, len, "the file ends inside a zstd frame (truncated)");
		return true;
	}
	return false;
}

/* The pcapng path of fcr_archive_next(). */
static int ng_next(struct fcr_archive *a, struct fcr_pkt *pkt)
{
	while (!a->done) {
		int r = fcr_ng_next(a->ng, pkt);

		if (r == 1) {
			a->records++;
			a->good_uoff = (uint64_t)ftello(a->fp);
			if (pkt->ts_ns < a->skip_before) {
				continue;
			}
			a->returned++;
			return 1;
		}
		a->done = true;

		char what[512];
		int rc = r == -EIO ? -EIO : -EPROTO;

		if (zstd_what(a, what, sizeof(what), &rc)) {
			/* the decompressor stopped first: what the container reader saw follows */
		} else if (r == -EIO) {
			snprintf(what, sizeof(what), "read error: %s",
				 fcr_ng_error(a->ng)[0] ? fcr_ng_error(a->ng) : strerror(errno));
		} else if (r < 0) {
			snprintf(what, sizeof(what), "pcapng: %s", fcr_ng_error(a->ng));
		} else {
			return 0; /* clean end */
		}
		make_damage(a, what);
		return rc;
	}
	return 0;
}

int fcr_archive_next(struct fcr_archive *a, struct fcr_pkt *pkt)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	int r;

	if (a->ng) {
		return ng_next(a, pkt);
	}
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
			a->pmeta.ts_units = a->usec ? ts / 1000u : ts;
			pkt->meta = &a->pmeta;
			a->returned++;
			return 1;
		}
		a->done = true;

		char what[PCAP_ERRBUF_SIZE + 128];
		int rc = -EPROTO;

		if (zstd_what(a, what, sizeof(what), &rc)) {
			/* the decompressor stopped first */
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
	if (a->ng) {
		const struct fcr_iface *f = fcr_ng_first_iface(a->ng);

		return f ? f->linktype : DLT_EN10MB;
	}
	return pcap_datalink(a->pc);
}

uint32_t fcr_archive_snaplen(const struct fcr_archive *a)
{
	if (a->ng) {
		const struct fcr_iface *f = fcr_ng_first_iface(a->ng);

		/* pcapng's 0 is "no limit": libpcap's largest; no interface yet: the pcap default */
		return !f ? 65535u : f->snaplen ? f->snaplen : 262144u;
	}

	int s = pcap_snapshot(a->pc);

	return s > 0 ? (uint32_t)s : 65535u;
}

enum fcr_container fcr_archive_container(const struct fcr_archive *a)
{
	return a->ng ? FCR_CONT_PCAPNG : FCR_CONT_PCAP;
}

const struct fcr_section *fcr_archive_section(const struct fcr_archive *a)
{
	return a->ng ? fcr_ng_first_section(a->ng) : NULL;
}

const struct fcr_iface *fcr_archive_iface(const struct fcr_archive *a)
{
	return a->ng ? fcr_ng_first_iface(a->ng) : &a->pcap_if;
}

unsigned int fcr_archive_stats(struct fcr_archive *a, const struct fcr_ifstats **out)
{
	*out = NULL;
	return a->ng ? fcr_ng_stats(a->ng, out) : 0;
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
	fcr_ng_close(a->ng);
	if (a->pc) {
		pcap_close(a->pc); /* fcloses fp; the cookie's close leaves the source to us */
	} else if (a->fp) {
		fclose(a->fp);
	}
	if (a->z.pipe) {
		zpipe_end(&a->z);
	}
	if (a->z.fd >= 0) {
		close(a->z.fd);
	}
	ZSTD_freeDCtx(a->z.dctx);
	free(a->z.ibuf);
	if (a->z.prefix != a->z.magic) {
		free(a->z.prefix);
	}
	free(a->path);
	free(a);
}

void fcr_archive_skip_before(struct fcr_archive *a, uint64_t ts, bool try_seek)
{
	a->skip_before = ts;
	if (try_seek) {
		(void)zseek(a, ts);
	}
}

uint64_t fcr_archive_records_read(const struct fcr_archive *a)
{
	return a->records;
}
