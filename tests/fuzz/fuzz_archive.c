/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_archive.c - libFuzzer target: the archive reader (fcr_archive_*: pcap through libpcap,
 * pcapng through feedcap's own block reader readers/pcapng_read.c, plain or zstd) on hostile
 * files.  Every string and option a record's metadata points to is read, so that a length
 * taken from the file that reaches past its block shows as an ASan report.
 *
 * feedcap-replay and feedcap-stat -r read archives that may have been cut short by a full disk,
 * damaged on the way from another host, or written by another tool.  The reader must return
 * the complete records before the damage, then stop with an error that says where, and never
 * crash, hang or read out of bounds.  Each input is read three ways: straight through; with a
 * time seek to the middle record seen in the first pass (the zstd frame seek path); and as a
 * set of two copies of itself merged by timestamp.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fcreader.h"

#define MAX_RECORDS 200000

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_archive: %s:%d: %s\n", __FILE__, __LINE__, #cond);   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static int memfd = -1;

static uint32_t touch_str(const char *s)
{
	return s ? (uint32_t)strlen(s) : 0;
}

static uint32_t touch(const struct fcr_pkt *pkt)
{
	const struct fcr_pkt_meta *m = pkt->meta;
	uint32_t sum = 0;

	for (uint32_t i = 0; i < pkt->cap_len; i++) {
		sum += ((const uint8_t *)pkt->data)[i];
	}
	CHECK(m && m->iface);
	for (uint32_t i = 0; i < m->ncomments; i++) {
		sum += touch_str(m->comments[i]);
	}
	for (uint32_t i = 0; i < m->section_nifaces; i++) {
		const struct fcr_iface *f = m->section_ifaces[i];

		sum += touch_str(f->name) + touch_str(f->descr) + touch_str(f->filter) +
		       touch_str(f->os) + touch_str(f->hardware) + f->tsresol;
		for (uint32_t k = 0; k < f->ncomments; k++) {
			sum += touch_str(f->comments[k]);
		}
	}
	CHECK(m->iface->pcapng ? m->local_id < m->section_nifaces : true);
	if (m->section) {
		sum += touch_str(m->section->hardware) + touch_str(m->section->os) +
		       touch_str(m->section->userappl);
		for (uint32_t k = 0; k < m->section->ncomments; k++) {
			sum += touch_str(m->section->comments[k]);
		}
	}
	return sum;
}

/* Read to the end; returns records read and, in *mid_ts, the middle record's timestamp. */
static uint64_t drain(struct fcr_archive *a, uint64_t *mid_ts)
{
	struct fcr_pkt pkt;
	uint64_t n = 0, off;
	uint32_t sum = 0;
	int rc;

	while (n < MAX_RECORDS && (rc = fcr_archive_next(a, &pkt)) == 1) {
		sum += touch(&pkt);
		if (mid_ts && (n & 1) == 0) {
			*mid_ts = pkt.ts_ns; /* ends near the middle: see below */
		}
		n++;
	}
	__asm__ volatile("" : : "r"(sum));
	if (n < MAX_RECORDS) {
		CHECK(rc == 0 || rc == -EPROTO || rc == -EIO);
		if (rc < 0) {
			/* Damage is reported, and the message names it. */
			CHECK(fcr_archive_damage_offset(a, &off));
			CHECK(fcr_archive_error(a)[0] != '\0');
		}
	}
	CHECK(fcr_archive_records(a) == n);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fcr_archive_set *set;
	struct fcr_archive *a;
	struct fcr_error err;
	struct fcr_pkt pkt;
	const char *paths[2];
	uint64_t n, mid_ts = 0, k = 0;
	bool clean;
	char path[64];
	int rc;

	if (memfd < 0) {
		memfd = memfd_create("fuzz_archive", MFD_CLOEXEC);
		if (memfd < 0) {
			abort();
		}
	}
	if (ftruncate(memfd, 0) != 0 || pwrite(memfd, data, size, 0) != (ssize_t)size) {
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);

	memset(&err, 0, sizeof(err));
	a = fcr_archive_open(path, &err);
	if (!a) {
		CHECK(err.msg[0] != '\0');
		return 0;
	}
	(void)fcr_archive_linktype(a);
	(void)fcr_archive_snaplen(a);
	(void)fcr_archive_container(a);
	(void)fcr_archive_compressed(a);
	n = drain(a, &mid_ts);
	/*
	 * A corrupt zstd frame can make libzstd (1.5.4) hand out bytes of buffers it never wrote
	 * before it reports the corruption (tests/fuzz/corpus/archive/regress-zstd-uninit-output):
	 * what a damaged compressed archive yields before its damage may differ between reads.
	 * Clean archives read the same every time.
	 */
	clean = !fcr_archive_damage_offset(a, NULL);
	{
		const struct fcr_ifstats *st;
		unsigned int ns = fcr_archive_stats(a, &st);

		for (unsigned int i = 0; i < ns; i++) {
			k += strlen(st[i].comment) + st[i].ifrecv;
		}
		if (fcr_archive_section(a)) {
			k += fcr_archive_section(a)->ncomments;
		}
		k = 0; /* only the reads count */
	}
	fcr_archive_close(a);

	/* A time seek never returns a record before the time, nor crashes on the way. */
	a = fcr_archive_open(path, &err);
	CHECK(a != NULL);
	rc = fcr_archive_seek_time(a, mid_ts);
	if (rc == 0 || rc == -ENOTSUP) {
		drain(a, NULL);
	}
	fcr_archive_close(a);

	/* Two copies merged by time: exactly twice the records when the file is clean. */
	paths[0] = path;
	paths[1] = path;
	set = fcr_archive_set_open(paths, 2, 0, FCR_TIME_MAX, &err);
	if (set) {
		while (k < 2 * MAX_RECORDS && fcr_archive_set_next(set, &pkt, NULL) == 1) {
			touch(&pkt);
			k++;
		}
		CHECK(k <= 2 * n + 2 || n >= MAX_RECORDS || !clean);
		fcr_archive_set_close(set);
	}
	return 0;
}
