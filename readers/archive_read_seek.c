/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archive_read_seek.c - where reading an archive starts: at a seek point an archive set's index
 * gives (fcr_archive_open_at()), or at a time (fcr_archive_seek_time()).
 *
 * The one place that looks at bytes itself is the time seek over a multi-frame zstd archive:
 * it reads the 16-byte pcap record header at the start of a frame to learn that frame's first
 * time.  That only chooses where libpcap starts reading; if anything there looks wrong the
 * seek is abandoned and the archive read from the start, which is always correct, only slower.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_read_file_internal.h"

#define PCAP_FILE_HDR_LEN 24
#define PCAP_REC_HDR_LEN  16
#define PCAP_SANE_MAX_CAP (256u << 10)

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
int fcr_archive_zseek(struct fcr_archive *a, uint64_t target)
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
int fcr_archive_enter_at(struct fcr_archive *a, uint64_t data_off, uint64_t off)
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
