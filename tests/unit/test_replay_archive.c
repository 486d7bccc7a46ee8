/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The archive reader under feedcap-replay and feedcap-stat -r: pcap (written here with
 * libpcap's own pcap_dump), zstd in one frame and in many record-aligned frames (compressed
 * here with libzstd), truncated at every byte offset, merged as a set, and entered by time.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "fcreader.h"

#define NREC	40
#define BASE_TS UINT64_C(1700000000000000000)

static char dir[] = "/tmp/feedcap-test-archive.XXXXXX";

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

static uint32_t rec_len(int i)
{
	return 60 + (uint32_t)(i * 37) % 200;
}

static uint64_t rec_ts(int i, int file)
{
	return BASE_TS + (uint64_t)i * 1000003u + (uint64_t)file * 500001u;
}

static void rec_data(uint8_t *p, int i, int file)
{
	for (uint32_t k = 0; k < rec_len(i); k++) {
		p[k] = (uint8_t)(i * 7 + k + file * 101);
	}
}

/* A nanosecond pcap of NREC records; *ends gets each record's end offset. */
static void write_pcap(const char *path, int file, uint64_t *ends)
{
	pcap_t *d =
		pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
	pcap_dumper_t *w = pcap_dump_open(d, path);
	uint8_t buf[512];
	uint64_t off = 24;

	cr_assert_not_null(w);
	for (int i = 0; i < NREC; i++) {
		struct pcap_pkthdr h = { .caplen = rec_len(i), .len = rec_len(i) + (i % 3) };

		h.ts.tv_sec = (time_t)(rec_ts(i, file) / 1000000000u);
		h.ts.tv_usec = (suseconds_t)(rec_ts(i, file) % 1000000000u);
		rec_data(buf, i, file);
		pcap_dump((u_char *)w, &h, buf);
		off += 16 + rec_len(i);
		if (ends) {
			ends[i] = off;
		}
	}
	pcap_dump_close(w);
	pcap_close(d);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long n;

	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static void spit(const char *path, const void *b, size_t len)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(b, 1, len, f), len);
	fclose(f);
}

/* Compress src into zstd frames cut at the given offsets (0 cuts: one frame). */
static void write_zstd(const char *path, const uint8_t *src, size_t len, const uint64_t *cuts,
		       int ncuts)
{
	size_t cap = ZSTD_compressBound(len) + 64 * (size_t)(ncuts + 1);
	uint8_t *out = malloc(cap);
	size_t o = 0, prev = 0;

	for (int c = 0; c <= ncuts; c++) {
		size_t end = c < ncuts ? cuts[c] : len;
		size_t r = ZSTD_compress(out + o, cap - o, src + prev, end - prev, 3);

		cr_assert(!ZSTD_isError(r));
		o += r;
		prev = end;
	}
	spit(path, out, o);
	free(out);
}

static void check_rec(const struct fcr_pkt *p, int i, int file)
{
	uint8_t buf[512];

	rec_data(buf, i, file);
	cr_assert_eq(p->ts_ns, rec_ts(i, file), "record %d time", i);
	cr_assert_eq(p->cap_len, rec_len(i));
	cr_assert_eq(p->wire_len, rec_len(i) + (uint32_t)(i % 3));
	cr_assert_eq(memcmp(p->data, buf, p->cap_len), 0, "record %d bytes", i);
}

TestSuite(archive, .init = setup, .fini = teardown);

Test(archive, pcap_plain_and_zstd_read_all)
{
	char p[256], z[256], zm[256];
	uint64_t ends[NREC];
	size_t len;

	snprintf(p, sizeof(p), "%s/a.pcap", dir);
	snprintf(z, sizeof(z), "%s/a.pcap.zst", dir);
	snprintf(zm, sizeof(zm), "%s/a-multi", dir); /* no suffix: content decides */
	write_pcap(p, 0, ends);

	uint8_t *raw = slurp(p, &len);
	uint64_t cuts[] = { ends[9], ends[19], ends[29] };

	write_zstd(z, raw, len, NULL, 0);
	write_zstd(zm, raw, len, cuts, 3);

	const char *files[] = { p, z, zm };

	for (int f = 0; f < 3; f++) {
		struct fcr_error err = { 0 };
		struct fcr_archive *a = fcr_archive_open(files[f], &err);
		struct fcr_pkt pkt;
		int i = 0, rc;

		cr_assert_not_null(a, "%s: %s", files[f], err.msg);
		cr_assert_eq(fcr_archive_compressed(a), f > 0);
		cr_assert_eq(fcr_archive_container(a), FCR_CONT_PCAP);
		cr_assert_eq(fcr_archive_linktype(a), DLT_EN10MB);
		while ((rc = fcr_archive_next(a, &pkt)) == 1) {
			check_rec(&pkt, i++, 0);
		}
		cr_assert_eq(rc, 0, "%s: %s", files[f], fcr_archive_error(a));
		cr_assert_eq(i, NREC);
		cr_assert_eq(fcr_archive_records(a), NREC);
		cr_assert(!fcr_archive_damage_offset(a, NULL));
		fcr_archive_close(a);
	}
	free(raw);
}

/* Cut the file at every offset: every complete record before the cut, and a message. */
Test(archive, truncated_at_every_offset)
{
	char p[256], t[256], tz[256];
	uint64_t ends[NREC];
	size_t len;

	snprintf(p, sizeof(p), "%s/b.pcap", dir);
	snprintf(t, sizeof(t), "%s/cut.pcap", dir);
	snprintf(tz, sizeof(tz), "%s/cut.pcap.zst", dir);
	write_pcap(p, 0, ends);

	uint8_t *raw = slurp(p, &len);

	/* every byte offset of the first 16 records (~2.5 KB) */
	for (size_t cut = 0; cut < ends[15]; cut++) {
		struct fcr_error err = { 0 };
		struct fcr_archive *a;
		struct fcr_pkt pkt;
		int i = 0, rc, expect = 0;
		uint64_t off = 0;

		while (expect < NREC && ends[expect] <= cut) {
			expect++;
		}
		spit(t, raw, cut);
		a = fcr_archive_open(t, &err);
		if (cut < 24) {
			cr_assert_null(a, "cut %zu: a header this short cannot open", cut);
			cr_assert_eq(errno, EPROTO);
			cr_assert(strstr(err.msg, t) != NULL, "message names the file: %s",
				  err.msg);
			continue;
		}
		cr_assert_not_null(a, "cut %zu: %s", cut, err.msg);
		while ((rc = fcr_archive_next(a, &pkt)) == 1) {
			check_rec(&pkt, i++, 0);
		}
		cr_assert_eq(i, expect, "cut %zu: records", cut);
		if (cut == 24 || (expect > 0 && cut == ends[expect - 1])) {
			cr_assert_eq(rc, 0, "cut %zu on a record boundary is a clean end", cut);
		} else {
			cr_assert_eq(rc, -EPROTO, "cut %zu", cut);
			cr_assert(fcr_archive_damage_offset(a, &off));
			cr_assert_eq(off, expect ? ends[expect - 1] : 24, "cut %zu: offset", cut);
			cr_assert(strstr(fcr_archive_error(a), t) != NULL);
			cr_assert(strstr(fcr_archive_error(a), "byte offset") != NULL, "%s",
				  fcr_archive_error(a));
		}
		fcr_archive_close(a);
	}

	/* zstd: cut the compressed file; what zstd could decode is what we get, never more */
	write_zstd(p, raw, len, NULL, 0);

	size_t zlen;
	uint8_t *zraw = slurp(p, &zlen);

	for (size_t cut = 0; cut < zlen; cut += 5) {
		struct fcr_error err = { 0 };
		struct fcr_archive *a;
		struct fcr_pkt pkt;
		int i = 0, rc;

		spit(tz, zraw, cut);
		a = fcr_archive_open(tz, &err);
		if (!a) {
			cr_assert(strstr(err.msg, tz) != NULL);
			continue;
		}
		while ((rc = fcr_archive_next(a, &pkt)) == 1) {
			check_rec(&pkt, i++, 0);
		}
		cr_assert_lt(rc, 0, "cut %zu of %zu: a cut zstd file is never a clean end", cut,
			     zlen);
		cr_assert(strstr(fcr_archive_error(a), "zstd frame") != NULL, "%s",
			  fcr_archive_error(a));
		fcr_archive_close(a);
	}
	free(zraw);
	free(raw);
}

Test(archive, seek_by_zstd_frame)
{
	char p[256], zm[256];
	uint64_t ends[NREC];
	size_t len;

	snprintf(p, sizeof(p), "%s/c.pcap", dir);
	snprintf(zm, sizeof(zm), "%s/c.pcap.zst", dir);
	write_pcap(p, 0, ends);

	uint8_t *raw = slurp(p, &len);
	uint64_t cuts[] = { ends[4], ends[9], ends[14], ends[19], ends[24], ends[29], ends[34] };

	write_zstd(zm, raw, len, cuts, 7);
	for (int target = 0; target < NREC; target += 3) {
		struct fcr_error err = { 0 };
		struct fcr_archive *a = fcr_archive_open(zm, &err);
		struct fcr_pkt pkt;
		int rc = fcr_archive_seek_time(a, rec_ts(target, 0));

		if (target <= 5) {
			cr_assert_eq(rc, -ENOTSUP, "target %d is in the first frames", target);
			fcr_archive_close(a);
			continue;
		}
		cr_assert_eq(rc, 0, "target %d", target);
		cr_assert_eq(fcr_archive_next(a, &pkt), 1);
		check_rec(&pkt, target, 0);
		/* fewer records read than the whole prefix: the frames before were skipped */
		cr_assert_lt(fcr_archive_records(a), (uint64_t)target + 1);
		fcr_archive_close(a);
	}

	/* a plain file has no faster way */
	struct fcr_archive *a = fcr_archive_open(p, NULL);

	cr_assert_eq(fcr_archive_seek_time(a, rec_ts(20, 0)), -ENOTSUP);
	fcr_archive_close(a);
	free(raw);
}

Test(archive, set_merges_by_time_and_keeps_range)
{
	char p0[256], p1[256];

	snprintf(p0, sizeof(p0), "%s/m0.pcap", dir);
	snprintf(p1, sizeof(p1), "%s/m1.pcap", dir);
	write_pcap(p0, 0, NULL);
	write_pcap(p1, 1, NULL);

	const char *files[] = { p1, p0 };
	uint64_t from = rec_ts(5, 0), to = rec_ts(30, 1);
	struct fcr_error err = { 0 };
	struct fcr_archive_set *s = fcr_archive_set_open(files, 2, from, to, &err);
	struct fcr_pkt pkt;
	unsigned int src;
	int n[2] = { 0 }, total = 0;
	uint64_t last = 0;

	cr_assert_not_null(s, "%s", err.msg);
	while (fcr_archive_set_next(s, &pkt, &src) == 1) {
		int file = src == 0 ? 1 : 0;
		int i = 0;

		while (rec_ts(i, file) != pkt.ts_ns) {
			i++;
			cr_assert_lt(i, NREC, "a record that is in neither file");
		}
		check_rec(&pkt, i, file);
		cr_assert_geq(pkt.ts_ns, last, "merged in time order");
		cr_assert_geq(pkt.ts_ns, from);
		cr_assert_lt(pkt.ts_ns, to);
		last = pkt.ts_ns;
		n[file]++;
		total++;
	}

	int expect = 0;

	for (int f = 0; f < 2; f++) {
		for (int i = 0; i < NREC; i++) {
			expect += rec_ts(i, f) >= from && rec_ts(i, f) < to;
		}
	}
	cr_assert_eq(total, expect);
	cr_assert_gt(n[0], 0);
	cr_assert_gt(n[1], 0);
	fcr_archive_set_close(s);
}

Test(archive, open_errors_name_the_file)
{
	char p[256];
	struct fcr_error err = { 0 };

	snprintf(p, sizeof(p), "%s/nothing", dir);
	cr_assert_null(fcr_archive_open(p, &err));
	cr_assert_eq(errno, ENOENT);
	cr_assert(strstr(err.msg, p) != NULL);
	spit(p, "this is not a capture file at all", 33);
	cr_assert_null(fcr_archive_open(p, &err));
	cr_assert_eq(errno, EPROTO);
	cr_assert(strstr(err.msg, "libpcap") != NULL, "%s", err.msg);
}
