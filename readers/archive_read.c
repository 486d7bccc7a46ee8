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
 * The byte source, the decoder thread and the seeks are in files of their own
 * (archive_read_file_internal.h lists them).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive_read_internal.h"
#include "archive_read_file_internal.h"

#define ZSTD_MAGIC 0xFD2FB528u

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

/*
 * The compressor of a file that starts with another one's magic (RFC 1952 gzip, xz, bzip2,
 * lz4 frame), or NULL.  libpcap would only say "unknown file format"; the name of the
 * program tells the user what to do.
 */
static const char *other_compression(const uint8_t head[4])
{
	static const struct {
		uint8_t magic[4];
		size_t len;
		const char *prog;
	} known[] = {
		{ { 0x1f, 0x8b }, 2, "gzip" },
		{ { 0xfd, '7', 'z', 'X' }, 4, "xz" },
		{ { 'B', 'Z', 'h' }, 3, "bzip2" },
		{ { 0x04, 0x22, 0x4d, 0x18 }, 4, "lz4" },
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (memcmp(head, known[i].magic, known[i].len) == 0) {
			return known[i].prog;
		}
	}
	return NULL;
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
		e = fcr_archive_enter_at(a, data_off, off);
		if (e) {
			fcr_read_set_err(err, -e,
					 "%s: cannot enter the archive at byte %" PRIu64
					 " after a %" PRIu64 "-byte header: %s",
					 path, off, data_off, strerror(e));
			goto fail;
		}
	}
	a->fp = fopencookie(&a->z, "r", fcr_zsrc_io);
	if (!a->fp) {
		e = errno;
		fcr_read_set_err(err, -e, "%s: fopencookie: %s", path, strerror(e));
		goto fail;
	}
	/* fewer, larger decompression calls than stdio's default 4 KiB buffer gives */
	setvbuf(a->fp, NULL, _IOFBF, 128u << 10);
	if (fcr_zsrc_peek_head(&a->z, a->head) == 4 && memcmp(a->head, "\n\r\r\n", 4) == 0) {
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
				path, a->z.frame, fcr_zsrc_coff(&a->z));
		} else if (!a->z.compressed && other_compression(a->head)) {
			fcr_read_set_err(
				err, -e,
				"%s: %s-compressed: only zstd-compressed archives are read "
				"(recompress: %s -dc FILE | zstd -o FILE.zst)",
				path, other_compression(a->head), other_compression(a->head));
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
			 z->frame, z->zerr ? z->zerr_coff : fcr_zsrc_coff(z));
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
	int rc = fcr_archive_zseek(a, ts);

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

uint8_t fcr_archive_tsresol(const struct fcr_archive *a)
{
	return a->ng ? fcr_ng_finest_tsresol(a->ng) : a->pcap_if.tsresol;
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
		fcr_zpipe_end(&a->z);
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
		(void)fcr_archive_zseek(a, ts);
	}
}

uint64_t fcr_archive_records_read(const struct fcr_archive *a)
{
	return a->records;
}
