/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the reader library (fcreader): parsers, filter, archive writers, attach,
 * directory index.  Archives written here are read back with libpcap and libzstd, never with
 * our own parsing; the integration tests add capinfos, tshark, tcpdump and the zstd CLI.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <zstd.h>

#include "fctest.h"
#include "fcreader.h"

/* ------------------------------------------------------------------ helpers */

static char tmpdir[256];

static void mk_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/fcr-unit-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void rm_tmpdir(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	(void)system(cmd);
}

/* The whole file in memory. */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0, r;

	cr_assert_not_null(f, "open %s", path);
	for (;;) {
		if (n == cap) {
			cap = cap ? 2 * cap : 65536;
			buf = realloc(buf, cap);
		}
		r = fread(buf + n, 1, cap - n, f);
		if (r == 0) {
			break;
		}
		n += r;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* Decompress a whole zstd file with libzstd; fails the test on any error or truncation. */
static uint8_t *unzstd(const uint8_t *in, size_t inlen, size_t *outlen)
{
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	ZSTD_inBuffer ib = { in, inlen, 0 };
	size_t cap = 1 << 20, n = 0, r = 0;
	uint8_t *out = malloc(cap);

	while (ib.pos < ib.size) {
		ZSTD_outBuffer ob;

		if (cap - n < (1 << 17)) {
			cap *= 2;
			out = realloc(out, cap);
		}
		ob.dst = out + n;
		ob.size = cap - n;
		ob.pos = 0;
		r = ZSTD_decompressStream(dc, &ob, &ib);
		cr_assert(!ZSTD_isError(r), "zstd: %s", ZSTD_getErrorName(r));
		n += ob.pos;
	}
	cr_assert_eq(r, 0, "zstd stream ends inside a frame");
	ZSTD_freeDCtx(dc);
	*outlen = n;
	return out;
}

struct got {
	uint64_t ts;
	uint32_t caplen, len;
	uint8_t data[2048];
};

/* Read every record of an archive image with libpcap (via fmemopen). */
static int read_pcap_image(uint8_t *img, size_t len, struct got *out, int max, int *linktype)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	FILE *f = fmemopen(img, len, "rb");
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *p;
	int n = 0;

	cr_assert_not_null(f);
	p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	cr_assert_not_null(p, "libpcap: %s", ebuf);
	if (linktype) {
		*linktype = pcap_datalink(p);
	}
	while (pcap_next_ex(p, &h, &d) == 1 && n < max) {
		out[n].ts = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
		out[n].caplen = h->caplen;
		out[n].len = h->len;
		memcpy(out[n].data, d, h->caplen < 2048 ? h->caplen : 2048);
		n++;
	}
	pcap_close(p);
	return n;
}

/* A UDP/IPv4 multicast frame with i in it. */
static size_t udp_frame(uint8_t *f, uint16_t dport, unsigned i, size_t pl)
{
	static const uint8_t hdr[42] = {
		0x01, 0x00, 0x5e, 0x01, 0x01, 0x01, 0x02, 0, 0,	 0,  0, 1, 0x08, 0x00, /* eth */
		0x45, 0,    0,	  0,	0,    0,    0x40, 0, 16, 17, 0, 0, 10,	 0,
		0,    1,    239,  1,	1,    1,	     /* ip */
		0x9c, 0x40, 0,	  0,	0,    0,    0,	  0, /* udp */
	};
	size_t k;

	memcpy(f, hdr, sizeof(hdr));
	f[16] = (uint8_t)((28 + pl) >> 8);
	f[17] = (uint8_t)(28 + pl);
	f[36] = (uint8_t)(dport >> 8);
	f[37] = (uint8_t)dport;
	f[38] = (uint8_t)((8 + pl) >> 8);
	f[39] = (uint8_t)(8 + pl);
	for (k = 0; k < pl; k++) {
		f[42 + k] = (uint8_t)(i + k);
	}
	return 42 + pl;
}

/* ------------------------------------------------------------------ parsers */

/* `date -u -d STR +%s%N` as the oracle for the ISO 8601 forms. */
static uint64_t date_oracle(const char *s)
{
	char cmd[256], out[64] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "date -u -d '%s' +%%s%%N", s);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_not_null(fgets(out, sizeof(out), p));
	pclose(p);
	return strtoull(out, NULL, 10);
}

Test(readers_parse, iso8601_matches_date)
{
	/* Each form, and how to say the same instant to date(1) (which assumes local time). */
	static const char *const forms[][2] = {
		{ "2026-11-22T00:10:00Z", "2026-11-22T00:10:00Z" },
		{ "2026-11-22T00:10:00.123456789Z", "2026-11-22T00:10:00.123456789Z" },
		{ "2026-11-22T00:10:00.5+01:00", "2026-11-22T00:10:00.5+01:00" },
		{ "2026-11-22T00:10:00-05:30", "2026-11-22T00:10:00-05:30" },
		{ "2026-11-22 00:10:00", "2026-11-22 00:10:00Z" },
		{ "2026-11-22", "2026-11-22 00:00Z" },
		{ "2024-02-29T23:59:59.000000001Z", "2024-02-29T23:59:59.000000001Z" },
	};
	size_t i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		uint64_t ns = 0;
		struct fcr_error err;

		cr_assert_eq(fcr_parse_time(forms[i][0], &ns, &err), 0, "%s: %s", forms[i][0],
			     err.msg);
		cr_assert_eq(ns, date_oracle(forms[i][1]), "%s", forms[i][0]);
	}
}

Test(readers_parse, epoch_and_bad_times)
{
	uint64_t ns;
	struct fcr_error err;

	cr_assert_eq(fcr_parse_time("1795000000.25", &ns, &err), 0);
	cr_assert_eq(ns, date_oracle("@1795000000.25"));
	cr_assert_eq(fcr_parse_time("@1795000000", &ns, &err), 0);
	cr_assert_eq(ns, date_oracle("@1795000000"));
	cr_assert_eq(fcr_parse_time("2026-13-40", &ns, &err), -EINVAL);
	cr_assert(strstr(err.msg, "2026-13-40"), "message names the value: %s", err.msg);
	cr_assert_eq(fcr_parse_time("yesterday", &ns, &err), -EINVAL);
	cr_assert_eq(fcr_parse_time("2026-11-22T00:10:00Zjunk", &ns, &err), -EINVAL);
}

Test(readers_parse, durations_sizes_from)
{
	uint64_t v;
	struct fcr_from from;
	struct fcr_error err;

	cr_assert_eq(fcr_parse_duration("30s", &v, &err), 0);
	cr_assert_eq(v, 30ull * 1000000000u);
	cr_assert_eq(fcr_parse_duration("0.1s", &v, &err), 0);
	cr_assert_eq(v, 100000000u); /* exact, not 99999999 */
	cr_assert_eq(fcr_parse_duration("1.5m", &v, &err), 0);
	cr_assert_eq(v, 90ull * 1000000000u);
	cr_assert_eq(fcr_parse_duration("250us", &v, &err), 0);
	cr_assert_eq(v, 250000u);
	cr_assert_eq(fcr_parse_duration("7", &v, &err), 0);
	cr_assert_eq(v, 7ull * 1000000000u);
	cr_assert_eq(fcr_parse_duration("3 parsecs", &v, &err), -EINVAL);
	cr_assert(strstr(err.msg, "3 parsecs"));

	cr_assert_eq(fcr_parse_size("64K", &v, &err), 0);
	cr_assert_eq(v, 65536u);
	cr_assert_eq(fcr_parse_size("10MB", &v, &err), 0);
	cr_assert_eq(v, 10000000u);
	cr_assert_eq(fcr_parse_size("1.5GiB", &v, &err), 0);
	cr_assert_eq(v, 3ull << 29);
	cr_assert_eq(fcr_parse_size("12Q", &v, &err), -EINVAL);

	cr_assert_eq(fcr_parse_from("-30s", &from, &err), 0);
	cr_assert_eq(from.kind, FCR_FROM_AGO);
	cr_assert_eq(from.ago_ns, 30ull * 1000000000u);
	cr_assert_eq(fcr_parse_from("oldest", &from, &err), 0);
	cr_assert_eq(from.kind, FCR_FROM_OLDEST);
	cr_assert_eq(fcr_parse_from("2026-11-22T00:10:00Z", &from, &err), 0);
	cr_assert_eq(from.kind, FCR_FROM_TIME);
	cr_assert_eq(from.ts_ns, date_oracle("2026-11-22T00:10:00Z"));
	cr_assert_eq(fcr_parse_from("-soon", &from, &err), -EINVAL);
	cr_assert(strstr(err.msg, "-soon"));
}

Test(readers_parse, format_time_round_trips)
{
	uint64_t ns = date_oracle("2026-11-22T01:02:03Z") + 4567, back = 0;
	char buf[48];

	fcr_format_time(ns, buf, sizeof(buf));
	cr_assert_str_eq(buf, "2026-11-22T01:02:03.000004567Z");
	cr_assert_eq(fcr_parse_time(buf, &back, NULL), 0);
	cr_assert_eq(back, ns);
}

/* ------------------------------------------------------------------ filter */

Test(readers_filter, matches_like_libpcap_and_names_bad_expressions)
{
	uint8_t f[200];
	struct fcr_pkt pkt = { .data = f };
	struct fcr_error err = { 0 };
	struct fcr_filter *flt;
	char *joined;
	char *words[] = { "udp", "and", "dst", "port", "30001" };

	pkt.cap_len = pkt.wire_len = (uint32_t)udp_frame(f, 30001, 1, 100);
	joined = fcr_join_args(5, words);
	cr_assert_str_eq(joined, "udp and dst port 30001");
	flt = fcr_filter_compile(joined, &err);
	cr_assert_not_null(flt, "%s", err.msg);
	cr_assert(fcr_filter_match(flt, &pkt));
	pkt.cap_len = pkt.wire_len = (uint32_t)udp_frame(f, 30002, 1, 100);
	cr_assert_not(fcr_filter_match(flt, &pkt));
	fcr_filter_free(flt);
	free(joined);

	flt = fcr_filter_compile("", &err);
	cr_assert(fcr_filter_match(flt, &pkt));
	fcr_filter_free(flt);
	flt = fcr_filter_compile("tcp", &err);
	cr_assert_not(fcr_filter_match(flt, &pkt));
	fcr_filter_free(flt);

	flt = fcr_filter_compile("udp prot 1", &err);
	cr_assert_null(flt);
	cr_assert_eq(errno, EINVAL);
	cr_assert(strstr(err.msg, "'udp prot 1'"), "names the expression: %s", err.msg);
	cr_assert(strstr(err.msg, "syntax error"), "carries libpcap's reason: %s", err.msg);
}

/* ------------------------------------------------------------------ writers */

#define NFRAMES 3000

static void write_archive(const char *path, const struct fcr_writer_opts *o, int nframes)
{
	uint8_t f[600];
	struct fcr_error err = { 0 };
	struct fcr_writer *w;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644), i;

	cr_assert_geq(fd, 0);
	w = fcr_writer_open(fd, path, o, &err);
	cr_assert_not_null(w, "%s", err.msg);
	for (i = 0; i < nframes; i++) {
		struct fcr_pkt pkt = { .data = f,
				       .ts_ns = 1795000000000000000ull + (uint64_t)i * 1001,
				       .port = (uint32_t)(i % 3) };

		pkt.cap_len = (uint32_t)udp_frame(f, 30001, (unsigned)i, (size_t)(20 + i % 500));
		pkt.wire_len = pkt.cap_len + (i % 7 == 0 ? 10 : 0);
		if (i == 10) {
			cr_assert_eq(fcr_writer_comment(w, "reader overrun: 5 records lost"), 0);
		}
		cr_assert_eq(fcr_writer_write(w, &pkt, (uint64_t)i, &err), 0, "%s", err.msg);
	}
	cr_assert_eq(fcr_writer_close(w, &err), 0, "%s", err.msg);
	close(fd);
}

static void check_archive(const char *path, bool zstd, int nframes)
{
	static struct got got[NFRAMES];
	uint8_t *img, *raw, f[600];
	size_t len, rawlen;
	int n, i, lt = 0;

	raw = slurp(path, &rawlen);
	if (zstd) {
		cr_assert(rawlen > 4 && memcmp(raw, "\x28\xb5\x2f\xfd", 4) == 0,
			  "%s starts with a zstd frame", path);
		img = unzstd(raw, rawlen, &len);
		free(raw);
	} else {
		img = raw;
		len = rawlen;
	}
	n = read_pcap_image(img, len, got, NFRAMES, &lt);
	cr_assert_eq(lt, DLT_EN10MB);
	cr_assert_eq(n, nframes, "%s: %d frames read back, %d written", path, n, nframes);
	for (i = 0; i < n; i++) {
		size_t cl = udp_frame(f, 30001, (unsigned)i, (size_t)(20 + i % 500));

		cr_assert_eq(got[i].ts, 1795000000000000000ull + (uint64_t)i * 1001, "ts %d", i);
		cr_assert_eq(got[i].caplen, cl);
		cr_assert_eq(got[i].len, cl + (i % 7 == 0 ? 10 : 0));
		cr_assert_arr_eq(got[i].data, f, cl, "bytes of frame %d", i);
	}
	free(img);
}

Test(readers_writer, every_format_reads_back_with_libpcap, .init = mk_tmpdir, .fini = rm_tmpdir)
{
	static const struct {
		enum fcr_format fmt;
		int level, threads;
		bool multi;
	} cases[] = {
		{ FCR_FMT_PCAP, 0, 0, false }, { FCR_FMT_PCAPNG, 0, 0, false },
		{ FCR_FMT_PCAP, 1, 0, false }, { FCR_FMT_PCAPNG, 3, 0, false },
		{ FCR_FMT_PCAP, 1, 2, false }, { FCR_FMT_PCAPNG, 1, 2, false },
		{ FCR_FMT_PCAP, 1, 0, true },  { FCR_FMT_PCAPNG, 19, 0, true },
	};
	size_t c;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct fcr_writer_opts o = { .format = cases[c].fmt,
					     .zstd_level = cases[c].level,
					     .zstd_threads = cases[c].threads,
					     .zstd_multiframe = cases[c].multi,
					     .nports = 3 };
		char path[400];

		snprintf(path, sizeof(path), "%s/a%zu.%s", tmpdir, c, fcr_writer_suffix(&o));
		write_archive(path, &o, NFRAMES);
		check_archive(path, cases[c].level != 0, NFRAMES);
	}
}

/* What on_durable said, for the O_DIRECT test. */
struct durables {
	size_t n;
	uint64_t off[4096], frames[4096];
};

static void note_durable(void *ctx, const struct fcr_durable *d)
{
	struct durables *ds = ctx;

	if (ds->n < 4096) {
		ds->off[ds->n] = d->off;
		ds->frames[ds->n++] = d->frames;
	}
}

/*
 * direct_io: a plain pcap of frames of every size, 24 MB (past the switch to 4 MiB writes),
 * appended at an unaligned offset after bytes that must survive: the file is the prefix, then
 * exactly the frames; every durable point reported on the way is a record boundary with the
 * frames it claims, and they come through the file as it goes, not only at the end.
 */
Test(readers_writer, direct_io_durable_points_are_record_boundaries, .init = mk_tmpdir,
     .fini = rm_tmpdir)
{
	static struct durables ds;
	struct fcr_writer_opts o = { .format = FCR_FMT_PCAP,
				     .direct_io = true,
				     .flush_interval_ns = 3600000000000ull,
				     .on_durable = note_durable,
				     .durable_ctx = &ds };
	struct fcr_error err = { 0 };
	const size_t pre = 1000, nframes = 40000;
	uint8_t f[1600], *img;
	char path[400];
	size_t len, i, off, k;
	struct fcr_writer *w;
	int fd;

	snprintf(path, sizeof(path), "%s/direct.pcap", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_geq(fd, 0);
	memset(f, 'x', pre);
	cr_assert_eq(write(fd, f, pre), (ssize_t)pre);
	w = fcr_writer_open(fd, path, &o, &err);
	cr_assert_not_null(w, "%s", err.msg);
	for (i = 0; i < nframes; i++) {
		struct fcr_pkt pkt = { .data = f, .ts_ns = 1000000000ull * (uint64_t)i };

		pkt.cap_len = pkt.wire_len = (uint32_t)udp_frame(f, 30001, (unsigned)i, i % 1500);
		cr_assert_eq(fcr_writer_write(w, &pkt, (uint64_t)i, &err), 0, "%s", err.msg);
	}
	cr_assert_eq(fcr_writer_close(w, &err), 0, "%s", err.msg);
	cr_assert_eq(lseek(fd, 0, SEEK_CUR),
		     (off_t)(pre + 24 + nframes * 16 + nframes * 42 +
			     (nframes / 1500) * (1499 * 1500 / 2) +
			     (nframes % 1500) * (nframes % 1500 - 1) / 2),
		     "the descriptor is left at the end");
	close(fd);
	img = slurp(path, &len);
	for (k = 0; k < pre; k++) {
		cr_assert_eq(img[k], 'x', "the bytes before the archive are kept");
	}
	cr_assert_gt(ds.n, 3, "durable points come as the file grows (%zu)", ds.n);
	/* walk the records; each durable point must fall on one, with its frame count */
	off = pre + 24;
	k = 0;
	for (i = 0; i <= nframes; i++) {
		uint32_t caplen;

		while (k < ds.n && ds.off[k] <= off) {
			if (ds.off[k] == off) {
				cr_assert_eq(ds.frames[k], i,
					     "durable point %zu at %zu: %zu frames, not %zu", k,
					     off, (size_t)ds.frames[k], i);
			} else {
				cr_assert_fail("durable point %zu at %zu is inside a record", k,
					       (size_t)ds.off[k]);
			}
			k++;
		}
		if (i == nframes) {
			break;
		}
		cr_assert_leq(off + 16, len);
		memcpy(&caplen, img + off + 8, 4);
		cr_assert_eq(caplen, 42 + i % 1500, "frame %zu", i);
		off += 16 + caplen;
	}
	cr_assert_eq(off, len, "the file ends after the last frame");
	cr_assert_eq(k, ds.n, "every durable point is a record boundary");
	free(img);
}

/*
 * A write error (the file size limit, as a full disk would be) mid-archive: the write that
 * fails reports it with the file name, and close() leaves a complete zstd stream holding
 * exactly the frames the writer called durable.
 */
Test(readers_writer, write_error_leaves_a_valid_file, .init = mk_tmpdir, .fini = rm_tmpdir)
{
	static const int levels[] = { 0, 1 };
	size_t c;

	signal(SIGXFSZ, SIG_IGN);
	for (c = 0; c < 2; c++) {
		struct fcr_writer_opts o = { .format = FCR_FMT_PCAPNG,
					     .zstd_level = levels[c],
					     .flush_interval_ns = 1 };
		struct rlimit rl = { 3000000, RLIM_INFINITY }; /* over the 1 MiB staging */
		struct fcr_error err = { 0 };
		struct fcr_writer_stats st;
		static struct got got[NFRAMES * 4];
		uint8_t f[600], *img;
		char path[400];
		uint64_t tag = 0;
		size_t len;
		int fd, i, rc = 0, n;
		struct fcr_writer *w;

		snprintf(path, sizeof(path), "%s/full%zu.%s", tmpdir, c, fcr_writer_suffix(&o));
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
		w = fcr_writer_open(fd, path, &o, &err);
		cr_assert_not_null(w, "%s", err.msg);
		for (i = 0; i < NFRAMES * 4; i++) {
			struct fcr_pkt pkt = { .data = f, .ts_ns = 1000000000ull * (uint64_t)i };

			/* Incompressible payload so that the limit is reached. */
			pkt.cap_len = pkt.wire_len = (uint32_t)udp_frame(f, 30001, 0, 500);
			for (size_t k = 42; k < 542; k++) {
				f[k] = (uint8_t)(rand() >> 7);
			}
			rc = fcr_writer_write(w, &pkt, (uint64_t)i, &err);
			if (rc < 0) {
				break;
			}
		}
		cr_assert_eq(rc, -EFBIG, "the write error surfaces (%d)", rc);
		cr_assert(strstr(err.msg, path), "the message names the file: %s", err.msg);
		cr_assert(fcr_writer_durable_tag(w, &tag));
		fcr_writer_stats(w, &st);
		cr_assert_eq(st.frames, tag + 1, "durable frames are frames 0..tag");
		cr_assert_lt(fcr_writer_close(w, &err), 0);
		close(fd);
		rl.rlim_cur = RLIM_INFINITY;
		setrlimit(RLIMIT_FSIZE, &rl);

		img = slurp(path, &len);
		if (levels[c]) {
			uint8_t *d = unzstd(img, len, &len); /* fails on a cut-short frame */

			free(img);
			img = d;
		}
		n = read_pcap_image(img, len, got, NFRAMES * 4, NULL);
		cr_assert_eq((uint64_t)n, tag + 1, "file holds the %llu durable frames, read %d",
			     (unsigned long long)tag + 1, n);
		free(img);
	}
}

/* ------------------------------------------------------------------ attach */

/* A ring in a plain file with 64 KiB chunks, not locked: rings the tests make themselves. */
static struct ringshm_params file_ring(uint64_t capacity)
{
	return (struct ringshm_params){ .capacity = capacity,
					.chunk_size = 64u << 10,
					.backing = RINGSHM_BACKING_FILE,
					.no_lock = true,
					.group = fctest_ring_group() };
}

Test(readers_attach, from_ago_is_anchored_on_the_newest_record, .init = mk_tmpdir,
     .fini = rm_tmpdir)
{
	struct ringshm_params params = file_ring(4u << 20);
	struct ringshm_error rerr = { 0 };
	struct fcr_error err = { 0 };
	const uint64_t base = 1795000000000000000ull, step = 10000000; /* 10 ms */
	struct ringshm_record rec;
	struct ringshm_reader *rd;
	struct fcr_from from;
	struct ringshm *r;
	char ring[400];
	uint8_t f[200];
	uint64_t n = 0, first = 0;
	int i;

	snprintf(ring, sizeof(ring), "%s/ring", tmpdir);
	r = ringshm_create(ring, &params, &rerr);
	cr_assert_not_null(r, "%s", rerr.msg);
	for (i = 0; i < 2000; i++) {
		size_t len = udp_frame(f, 30001, (unsigned)i, 100);

		memcpy(ringshm_alloc(r, (uint32_t)len, (uint32_t)len, base + (uint64_t)i * step, 0,
				     0),
		       f, len);
		if (i % 32 == 31) {
			ringshm_commit(r);
		}
	}
	ringshm_commit(r);

	cr_assert_eq(fcr_parse_from("-3s", &from, &err), 0);
	rd = fcr_attach(ring, &from, &err);
	cr_assert_not_null(rd, "%s", err.msg);
	while (ringshm_reader_next(rd, &rec) == 1) {
		if (rec.type != RINGSHM_REC_FRAME) {
			(void)ringshm_reader_done(rd);
			continue;
		}
		if (!n) {
			first = rec.ts_ns;
		}
		cr_assert(ringshm_reader_done(rd));
		n++;
	}
	/* Newest is frame 1999; 3 s at 10 ms is 300 frames before it: frames 1699..1999. */
	cr_assert_eq(first, base + 1699 * step);
	cr_assert_eq(n, 301);
	ringshm_reader_close(rd);
	ringshm_close(r);
}

/*
 * --from -DURATION scans the newest chunk for the newest frame time before it seeks: that scan
 * is not reading, so a producer lapping it there loses nothing of the reader's.  Right after
 * fcr_attach() the reader has read nothing, so its own counters (the ring's reader-side truth)
 * must all be zero, however often the producer lapped the scan.  A forked producer writes a
 * 256 KiB ring as fast as it can, lapping it every few microseconds; each attach has many
 * chances to be lapped.
 */
Test(readers_attach, scan_before_from_ago_counts_no_losses, .init = mk_tmpdir, .fini = rm_tmpdir)
{
	struct ringshm_params params = file_ring(256u << 10);
	struct ringshm_error rerr = { 0 };
	struct fcr_error err = { 0 };
	const uint64_t base = 1795000000000000000ull;
	struct ringshm_reader_stats st;
	struct fcr_from from;
	struct ringshm *r;
	char ring[400];
	uint8_t f[200];
	size_t len = udp_frame(f, 30001, 1, 100);
	pid_t prod;
	int i, status;

	snprintf(ring, sizeof(ring), "%s/ring", tmpdir);
	r = ringshm_create(ring, &params, &rerr);
	cr_assert_not_null(r, "%s", rerr.msg);
	/* A full ring before the first attach: every scan has a chunk of frames to walk. */
	for (i = 0; i < 4096; i++) {
		memcpy(ringshm_alloc(r, (uint32_t)len, (uint32_t)len, base + (uint64_t)i * 1000, 0,
				     0),
		       f, len);
		if (i % 32 == 31) {
			ringshm_commit(r);
		}
	}
	ringshm_commit(r);
	prod = fork();
	cr_assert_neq(prod, -1);
	if (prod == 0) {
		/* Bounded: the parent kills it long before, by its pid. */
		for (uint64_t n = 4096; n < 4096 + (400ull << 20) / len; n++) {
			memcpy(ringshm_alloc(r, (uint32_t)len, (uint32_t)len, base + n * 1000, 0,
					     0),
			       f, len);
			if (n % 32 == 31) {
				ringshm_commit(r);
			}
		}
		ringshm_commit(r);
		_exit(0);
	}
	cr_assert_eq(fcr_parse_from("-1ms", &from, &err), 0);
	for (i = 0; i < 3000; i++) {
		struct ringshm_reader *rd = fcr_attach(ring, &from, &err);

		if (!rd) {
			kill(prod, SIGKILL);
			waitpid(prod, &status, 0);
			cr_assert_fail("attach %d: %s", i, err.msg);
		}
		ringshm_reader_stats(rd, &st);
		ringshm_reader_close(rd);
		if (st.lost_records || st.lost_bytes || st.overruns || st.delivered) {
			break;
		}
	}
	kill(prod, SIGKILL);
	waitpid(prod, &status, 0);
	cr_expect_eq(st.lost_records, 0,
		     "attach %d: %llu records counted lost before the reader read any", i,
		     (unsigned long long)st.lost_records);
	cr_expect_eq(st.lost_bytes, 0, "attach %d: %llu bytes counted lost", i,
		     (unsigned long long)st.lost_bytes);
	cr_expect_eq(st.overruns, 0, "attach %d: %llu overruns counted", i,
		     (unsigned long long)st.overruns);
	cr_expect_eq(st.delivered, 0, "attach %d: %llu records counted delivered", i,
		     (unsigned long long)st.delivered);
	ringshm_close(r);
}

/* ------------------------------------------------------------------ index */

Test(readers_index, add_and_read_wrap_archset, .init = mk_tmpdir, .fini = rm_tmpdir)
{
	struct fcr_index_ent e = { .first_ts = 1,
				   .last_ts = 2,
				   .frames = 3,
				   .bytes = 4,
				   .format = FCR_FMT_PCAPNG,
				   .zstd = true };
	struct fcr_index_ent *got;
	struct fcr_error err;
	int n, i;

	for (i = 0; i < 3; i++) {
		snprintf(e.file, sizeof(e.file), "f%d.pcapng.zst", i);
		e.first_ts = (uint64_t)(10 - i);
		e.frames = (uint64_t)i;
		cr_assert_eq(fcr_index_add(tmpdir, &e, &err), 0, "%s", err.msg);
	}
	snprintf(e.file, sizeof(e.file), "f2.pcapng.zst");
	e.frames = 99;
	cr_assert_eq(fcr_index_add(tmpdir, &e, &err), 0);
	n = fcr_index_read(tmpdir, &got, &err);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(got[0].file, "f2.pcapng.zst"); /* time order; the last line wins */
	cr_assert_eq(got[0].frames, 99);
	cr_assert_eq(got[0].format, FCR_FMT_PCAPNG);
	cr_assert(got[0].zstd);
	cr_assert_str_eq(got[2].file, "f0.pcapng.zst");
	free(got);
}
