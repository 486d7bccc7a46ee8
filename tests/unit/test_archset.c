/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The archive set (readers/archset*.c): index lines in and out, the lock under two writers at
 * once, damaged indexes (a torn last line, garbage, truncation, removal) repaired from the
 * files, tombstones, names and patterns, checkpoints, seek points, the resume point.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "archset.h"
#include "fcreader.h"

#define BASE_TS UINT64_C(1795000000000000000) /* 2026-11-18T... */
#define SEC	UINT64_C(1000000000)

static char dir[] = "/tmp/feedcap-test-archset.XXXXXX";

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

static void path_of(char *buf, size_t len, const char *file)
{
	snprintf(buf, len, "%s/%s", dir, file);
}

/* An archive of n frames, one every step ns from t0, written by the library's writer. */
static uint64_t make_archive(const char *file, enum fcr_format fmt, int zstd, uint64_t t0,
			     uint64_t step, unsigned int n)
{
	struct fcr_writer_opts wo = { .format = fmt, .zstd_level = zstd };
	struct fcr_writer_stats st;
	struct fcr_error err = { 0 };
	uint8_t frame[128];
	char path[600];
	int fd;

	path_of(path, sizeof(path), file);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_geq(fd, 0);

	struct fcr_writer *w = fcr_writer_open(fd, file, &wo, &err);

	cr_assert_not_null(w, "%s", err.msg);
	for (unsigned int i = 0; i < n; i++) {
		struct fcr_pkt p = {
			frame, sizeof(frame), sizeof(frame), t0 + i * step, 0, 0, NULL
		};

		memset(frame, (int)i, sizeof(frame));
		cr_assert_eq(fcr_writer_write(w, &p, i + 1, &err), 0, "%s", err.msg);
	}
	cr_assert_eq(fcr_writer_finish(w, &st, &err), 0, "%s", err.msg);
	close(fd);
	return st.bytes_out;
}

static void fill_ent(struct archset_ent *e, const char *file, uint64_t first, uint64_t last)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->file, sizeof(e->file), "%s", file);
	e->first_ts = first;
	e->last_ts = last;
	e->frames = 10;
	e->bytes = 1000;
}

static size_t count_lines(const char *file)
{
	char path[600], *line = NULL;
	size_t n = 0, cap = 0;
	FILE *f;

	path_of(path, sizeof(path), file);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	while (getline(&line, &cap, f) > 0) {
		n++;
	}
	free(line);
	fclose(f);
	return n;
}

/* ------------------------------------------------------------------ lines */

Test(archset_index, every_field_round_trips, .init = setup, .fini = teardown)
{
	struct archset_ent e;
	struct fcr_error err = { 0 };
	struct archset *s;
	const struct archset_ent *g;

	fill_ent(&e, "md-1.pcapng.zst", BASE_TS, BASE_TS + 60 * SEC);
	e.format = FCR_FMT_PCAPNG;
	e.zstd = true;
	e.multiframe = true;
	snprintf(e.pattern, sizeof(e.pattern), "md-%%H.pcapng.zst");
	snprintf(e.ring, sizeof(e.ring), "/run/feedcap/md");
	e.ring_id = 1794999999123456789u;
	e.epoch = 3;
	e.first_seq = 1001;
	e.last_seq = 2000;
	e.lost_before = 7;
	e.data_off = 200;
	archset_seek_add(&e, 4096, BASE_TS + 5);
	archset_seek_add(&e, 8192, BASE_TS + 30 * SEC);
	cr_assert_eq(archset_index_append(dir, &e, &err), 0, "%s", err.msg);

	s = archset_open(dir, ARCHSET_NO_CHECK, &err);
	cr_assert_not_null(s, "%s", err.msg);
	cr_assert_eq(archset_count(s), 1);
	g = archset_get(s, 0);
	cr_assert_str_eq(g->file, e.file);
	cr_assert_eq(g->first_ts, e.first_ts);
	cr_assert_eq(g->last_ts, e.last_ts);
	cr_assert_eq(g->frames, 10);
	cr_assert_eq(g->bytes, 1000);
	cr_assert_eq(g->format, FCR_FMT_PCAPNG);
	cr_assert(g->zstd && g->multiframe && !g->repaired);
	cr_assert_str_eq(g->pattern, "md-%H.pcapng.zst");
	cr_assert_str_eq(g->ring, "/run/feedcap/md");
	cr_assert_eq(g->ring_id, e.ring_id);
	cr_assert_eq(g->epoch, 3);
	cr_assert_eq(g->first_seq, 1001);
	cr_assert_eq(g->last_seq, 2000);
	cr_assert_eq(g->lost_before, 7);
	cr_assert_eq(g->data_off, 200);
	cr_assert_eq(g->nseek, 2);
	cr_assert_eq(g->seek[1].off, 8192);
	cr_assert_eq(g->seek[1].max_ts_before, BASE_TS + 30 * SEC);
	cr_assert_str_eq(archset_warnings(s), "");
	archset_close(s);
}

Test(archset_index, last_line_wins_and_tombstones_remove, .init = setup, .fini = teardown)
{
	struct archset_ent e;
	struct fcr_error err = { 0 };
	struct archset *s;

	fill_ent(&e, "a.pcap", BASE_TS + 2 * SEC, BASE_TS + 3 * SEC);
	cr_assert_eq(archset_index_append(dir, &e, &err), 0);
	fill_ent(&e, "b.pcap", BASE_TS, BASE_TS + SEC);
	cr_assert_eq(archset_index_append(dir, &e, &err), 0);
	e.frames = 99;
	cr_assert_eq(archset_index_append(dir, &e, &err), 0);
	fill_ent(&e, "c.pcap", BASE_TS, BASE_TS + SEC);
	cr_assert_eq(archset_index_append(dir, &e, &err), 0);
	cr_assert_eq(archset_index_remove(dir, "c.pcap", &err), 0);
	cr_assert_eq(count_lines(ARCHSET_INDEX_NAME), 5);

	s = archset_open(dir, ARCHSET_NO_CHECK, &err);
	cr_assert_not_null(s);
	cr_assert_eq(archset_count(s), 2);
	/* sorted by first_ts */
	cr_assert_str_eq(archset_get(s, 0)->file, "b.pcap");
	cr_assert_eq(archset_get(s, 0)->frames, 99);
	cr_assert_str_eq(archset_get(s, 1)->file, "a.pcap");
	cr_assert_not_null(archset_find(s, "a.pcap"));
	cr_assert_null(archset_find(s, "c.pcap"));
	archset_close(s);

	/* a tombstone then a new line: the file is back */
	fill_ent(&e, "c.pcap", BASE_TS, BASE_TS + SEC);
	cr_assert_eq(archset_index_append(dir, &e, &err), 0);
	s = archset_open(dir, ARCHSET_NO_CHECK, &err);
	cr_assert_eq(archset_count(s), 3);
	archset_close(s);
}

Test(archset_index, names_with_a_slash_are_refused, .init = setup, .fini = teardown)
{
	struct archset_ent e;
	struct fcr_error err = { 0 };

	fill_ent(&e, "../x.pcap", BASE_TS, BASE_TS);
	cr_assert_eq(archset_index_append(dir, &e, &err), -EINVAL);
	cr_assert(strstr(err.msg, "../x.pcap"));
	cr_assert_eq(archset_index_remove(dir, "a/b", &err), -EINVAL);
}

Test(archset_index, two_processes_appending_lose_no_line, .init = setup, .fini = teardown,
     .timeout = 60)
{
	enum { PER_CHILD = 300 };
	struct fcr_error err = { 0 };
	struct archset *s;
	pid_t kids[2];

	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		cr_assert_geq(kids[k], 0);
		if (kids[k] == 0) {
			struct archset_ent e;

			for (int i = 0; i < PER_CHILD; i++) {
				char name[64];

				snprintf(name, sizeof(name), "k%d-%04d.pcap", k, i);
				fill_ent(&e, name, BASE_TS + (uint64_t)i, BASE_TS + (uint64_t)i);
				/* a long line: a torn write would show */
				for (int p = 1; p <= 100; p++) {
					archset_seek_add(&e, (uint64_t)p * 1000,
							 BASE_TS + (uint64_t)p);
				}
				if (archset_index_append(dir, &e, NULL) != 0) {
					_exit(1);
				}
			}
			_exit(0);
		}
	}
	for (int k = 0; k < 2; k++) {
		int st;

		cr_assert_eq(waitpid(kids[k], &st, 0), kids[k]);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	cr_assert_eq(count_lines(ARCHSET_INDEX_NAME), 2 * PER_CHILD);
	s = archset_open(dir, ARCHSET_NO_CHECK, &err);
	cr_assert_not_null(s);
	cr_assert_eq(archset_count(s), 2 * PER_CHILD);
	cr_assert_str_eq(archset_warnings(s), "");
	for (size_t i = 0; i < archset_count(s); i++) {
		cr_assert_eq(archset_get(s, i)->nseek, 100);
	}
	archset_close(s);
}

Test(archset_index, torn_last_line_skipped_and_next_line_starts_fresh, .init = setup,
     .fini = teardown)
{
	struct archset_ent e;
	struct fcr_error err = { 0 };
	struct archset *s;
	char path[600];
	FILE *f;

	fill_ent(&e, "a.pcap", BASE_TS, BASE_TS);
	cr_assert_eq(archset_index_append(dir, &e, &err), 0);
	path_of(path, sizeof(path), ARCHSET_INDEX_NAME);
	f = fopen(path, "a");
	fputs("{\"v\":2,\"file\":\"b.pcap\",\"first_ts\":17", f); /* a writer killed mid-line */
	fclose(f);

	s = archset_open(dir, ARCHSET_NO_CHECK, &err);
	cr_assert_eq(archset_count(s), 1);
	cr_assert(strstr(archset_warnings(s), ":2: incomplete last line"), "%s",
		  archset_warnings(s));
	archset_close(s);

	fill_ent(&e, "c.pcap", BASE_TS, BASE_TS);
	cr_assert_eq(archset_index_append(dir, &e, &err), 0);
	s = archset_open(dir, ARCHSET_NO_CHECK, &err);
	cr_assert_eq(archset_count(s), 2, "the line after a torn one is read");
	cr_assert_not_null(archset_find(s, "c.pcap"));
	cr_assert(strstr(archset_warnings(s), ":2: not a JSON line"), "%s", archset_warnings(s));
	archset_close(s);
}

Test(archset_index, garbage_lines_are_named_and_skipped, .init = setup, .fini = teardown)
{
	struct archset_ent e;
	struct fcr_error err = { 0 };
	struct archset *s;
	char path[600];
	FILE *f;

	path_of(path, sizeof(path), ARCHSET_INDEX_NAME);
	f = fopen(path, "w");
	fputs("hello\n[1,2]\n{\"v\":9,\"file\":\"x.pcap\"}\n{\"file\":\"/etc/passwd\"}\n", f);
	fclose(f);
	fill_ent(&e, "a.pcap", BASE_TS, BASE_TS);
	cr_assert_eq(archset_index_append(dir, &e, &err), 0);
	s = archset_open(dir, ARCHSET_NO_CHECK, &err);
	cr_assert_eq(archset_count(s), 1);
	cr_assert(strstr(archset_warnings(s), ":1: not a JSON line"));
	cr_assert(strstr(archset_warnings(s), ":2: not a JSON object"));
	cr_assert(strstr(archset_warnings(s), ":3: written by a newer feedcap"));
	cr_assert(strstr(archset_warnings(s), ":4: no \"file\", or not a file name"));
	archset_close(s);
}

Test(archset_index, version_1_lines_are_read, .init = setup, .fini = teardown)
{
	struct fcr_error err = { 0 };
	struct archset *s;
	char path[600];
	FILE *f;

	path_of(path, sizeof(path), ARCHSET_INDEX_NAME);
	f = fopen(path, "w");
	fprintf(f,
		"{\"file\":\"old.pcapng.zst\",\"first_ts\":%llu,\"last_ts\":%llu,"
		"\"frames\":5,\"bytes\":77,\"format\":\"pcapng\",\"zstd\":true}\n",
		(unsigned long long)BASE_TS, (unsigned long long)(BASE_TS + SEC));
	fclose(f);
	s = archset_open(dir, ARCHSET_NO_CHECK, &err);
	cr_assert_eq(archset_count(s), 1);
	cr_assert_eq(archset_get(s, 0)->format, FCR_FMT_PCAPNG);
	cr_assert_eq(archset_get(s, 0)->frames, 5);
	cr_assert(archset_get(s, 0)->zstd);
	archset_close(s);
}

/* ------------------------------------------------------------------ repair */

/* Three archives of 10 frames, one a minute apart, indexed as a writer would. */
static void three_archives(void)
{
	static const char *const names[] = { "m0.pcap", "m1.pcapng", "m2.pcap.zst" };
	static const enum fcr_format fmts[] = { FCR_FMT_PCAP, FCR_FMT_PCAPNG, FCR_FMT_PCAP };
	struct fcr_error err = { 0 };

	for (int i = 0; i < 3; i++) {
		struct archset_ent e;
		uint64_t t0 = BASE_TS + (uint64_t)i * 60 * SEC;

		fill_ent(&e, names[i], t0, t0 + 9 * SEC);
		e.bytes = make_archive(names[i], fmts[i], i == 2, t0, SEC, 10);
		e.format = fmts[i];
		e.zstd = i == 2;
		snprintf(e.pattern, sizeof(e.pattern), "written");
		cr_assert_eq(archset_index_append(dir, &e, &err), 0);
	}
}

static void check_three(struct archset *s)
{
	cr_assert_eq(archset_count(s), 3, "%s", archset_warnings(s));
	for (int i = 0; i < 3; i++) {
		const struct archset_ent *e = archset_get(s, (size_t)i);
		uint64_t t0 = BASE_TS + (uint64_t)i * 60 * SEC;

		cr_assert_eq(e->first_ts, t0);
		cr_assert_eq(e->last_ts, t0 + 9 * SEC);
		cr_assert_eq(e->frames, 10);
	}
	cr_assert_eq(archset_get(s, 1)->format, FCR_FMT_PCAPNG);
	cr_assert(archset_get(s, 2)->zstd);
}

Test(archset_repair, removed_index_is_rebuilt_from_the_files, .init = setup, .fini = teardown)
{
	struct fcr_error err = { 0 };
	struct archset *s;
	char path[600];

	three_archives();
	path_of(path, sizeof(path), ARCHSET_INDEX_NAME);
	cr_assert_eq(unlink(path), 0);

	/* --list: no index, so it is rebuilt in memory, with a warning, and left alone */
	s = archset_open(dir, ARCHSET_NO_CHECK, &err);
	cr_assert_not_null(s);
	check_three(s);
	cr_assert(strstr(archset_warnings(s), "no index"));
	cr_assert(archset_get(s, 0)->repaired);
	archset_close(s);
	cr_assert_neq(access(path, F_OK), 0);

	s = archset_open(dir, ARCHSET_REPAIR, &err);
	check_three(s);
	archset_close(s);
	cr_assert_eq(count_lines(ARCHSET_INDEX_NAME), 3);
	s = archset_open(dir, ARCHSET_NO_CHECK, &err);
	check_three(s);
	cr_assert_str_eq(archset_warnings(s), "");
	archset_close(s);
}

Test(archset_repair, truncated_index_is_completed, .init = setup, .fini = teardown)
{
	struct fcr_error err = { 0 };
	struct archset *s;
	struct stat st;
	char path[600];

	three_archives();
	path_of(path, sizeof(path), ARCHSET_INDEX_NAME);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(truncate(path, st.st_size - st.st_size / 2), 0); /* mid-line 2 */

	s = archset_open(dir, ARCHSET_REPAIR, &err);
	check_three(s);
	cr_assert(strstr(archset_warnings(s), "incomplete last line"));
	cr_assert(strstr(archset_warnings(s), "not in the index"));
	/* the written line keeps what only the writer knew */
	cr_assert_str_eq(archset_find(s, "m0.pcap")->pattern, "written");
	archset_close(s);

	s = archset_open(dir, 0, &err);
	check_three(s);
	cr_assert_null(strstr(archset_warnings(s), "not in the index"), "%s", archset_warnings(s));
	archset_close(s);
}

Test(archset_repair, corrupt_index_is_rebuilt, .init = setup, .fini = teardown)
{
	struct fcr_error err = { 0 };
	struct archset *s;
	char path[600];
	int fd;

	three_archives();
	path_of(path, sizeof(path), ARCHSET_INDEX_NAME);
	fd = open(path, O_WRONLY);
	cr_assert_eq(pwrite(fd, "\x01\x02garbage{{{", 12, 5), 12); /* inside line 1 */
	close(fd);
	s = archset_open(dir, ARCHSET_REPAIR, &err);
	check_three(s);
	cr_assert(strstr(archset_warnings(s), ":1: not a JSON line"), "%s", archset_warnings(s));
	archset_close(s);

	cr_assert_eq(archset_reindex(dir, NULL, &err), 3, "%s", err.msg);
	cr_assert_eq(count_lines(ARCHSET_INDEX_NAME), 3);
	s = archset_open(dir, 0, &err);
	check_three(s);
	cr_assert_str_eq(archset_warnings(s), "");
	archset_close(s);
}

Test(archset_repair, gone_files_get_tombstones_and_changed_files_are_reread, .init = setup,
     .fini = teardown)
{
	struct fcr_error err = { 0 };
	struct archset *s;
	char path[600];

	three_archives();
	path_of(path, sizeof(path), "m0.pcap");
	cr_assert_eq(unlink(path), 0);
	/* m2 rewritten with 4 frames: its size no longer matches its line */
	make_archive("m2.pcap.zst", FCR_FMT_PCAP, 1, BASE_TS + 120 * SEC, SEC, 4);
	/* files that are not archives, and archset's own, are not taken */
	path_of(path, sizeof(path), "notes.txt");
	close(open(path, O_WRONLY | O_CREAT, 0644));
	path_of(path, sizeof(path), "m3.pcap.part");
	close(open(path, O_WRONLY | O_CREAT, 0644));
	path_of(path, sizeof(path), "m3.pcap.part.ckpt");
	close(open(path, O_WRONLY | O_CREAT, 0644));

	s = archset_open(dir, ARCHSET_REPAIR, &err);
	cr_assert_eq(archset_count(s), 2, "%s", archset_warnings(s));
	cr_assert_null(archset_find(s, "m0.pcap"));
	cr_assert_eq(archset_find(s, "m2.pcap.zst")->frames, 4);
	cr_assert(archset_find(s, "m2.pcap.zst")->repaired);
	cr_assert_str_eq(archset_find(s, "m2.pcap.zst")->pattern, "written");
	cr_assert(strstr(archset_warnings(s), "m0.pcap: in the index, not in the directory"));
	cr_assert(strstr(archset_warnings(s), "m2.pcap.zst: the index says"));
	archset_close(s);
	cr_assert_eq(count_lines(ARCHSET_INDEX_NAME), 5); /* + tombstone + m2 again */
	s = archset_open(dir, 0, &err);
	cr_assert_eq(archset_count(s), 2);
	cr_assert_str_eq(archset_warnings(s), "", "%s", archset_warnings(s));
	archset_close(s);
}

Test(archset_repair, without_repair_the_index_is_left_alone, .init = setup, .fini = teardown)
{
	struct fcr_error err = { 0 };
	struct archset *s;
	char path[600];

	three_archives();
	path_of(path, sizeof(path), "m1.pcapng");
	cr_assert_eq(unlink(path), 0);
	s = archset_open(dir, 0, &err);
	cr_assert_eq(archset_count(s), 2);
	cr_assert(strstr(archset_warnings(s), "repaired in memory only"));
	archset_close(s);
	cr_assert_eq(count_lines(ARCHSET_INDEX_NAME), 3);
}

Test(archset_repair, entry_from_file_reads_times_and_plain_seek_points, .init = setup,
     .fini = teardown)
{
	struct archset_ent e;
	struct fcr_error err = { 0 };

	make_archive("big.pcap", FCR_FMT_PCAP, 0, BASE_TS, 1000, 20000);
	cr_assert_eq(archset_entry_from_file(dir, "big.pcap", &e, &err), 0, "%s", err.msg);
	cr_assert_eq(e.frames, 20000);
	cr_assert_eq(e.first_ts, BASE_TS);
	cr_assert_eq(e.last_ts, BASE_TS + 19999 * 1000);
	cr_assert_eq(e.data_off, 24);
	cr_assert_gt(e.nseek, 30); /* 2.9 MB, a point every 64 KiB at least */
	/* each point is a record start: (off - 24) is a whole number of 16 + 128 byte records */
	for (uint32_t i = 0; i < e.nseek; i++) {
		uint64_t k = (e.seek[i].off - 24) / 144;

		cr_assert_eq((e.seek[i].off - 24) % 144, 0);
		cr_assert_eq(e.seek[i].max_ts_before, BASE_TS + (k - 1) * 1000);
	}
	cr_assert(!e.zstd && e.repaired);

	make_archive("z.pcapng.zst", FCR_FMT_PCAPNG, 1, BASE_TS, 1000, 50);
	cr_assert_eq(archset_entry_from_file(dir, "z.pcapng.zst", &e, &err), 0, "%s", err.msg);
	cr_assert_eq(e.frames, 50);
	cr_assert(e.zstd && !e.multiframe);
	cr_assert_eq(e.format, FCR_FMT_PCAPNG);
	cr_assert_eq(e.nseek, 0);
}

/* ------------------------------------------------------------------ seek points */

Test(archset_seek, offset_is_the_last_point_before_from)
{
	struct archset_ent e = { .first_ts = 100, .data_off = 24 };

	archset_seek_add(&e, 24, 0); /* nothing before: ignored */
	archset_seek_add(&e, 1000, 150);
	archset_seek_add(&e, 2000, 250);
	archset_seek_add(&e, 1500, 300); /* not past the last: ignored */
	archset_seek_add(&e, 3000, 350);
	cr_assert_eq(e.nseek, 3);
	cr_assert_eq(archset_seek_offset(&e, 100), 0);
	cr_assert_eq(archset_seek_offset(&e, 150), 0);
	cr_assert_eq(archset_seek_offset(&e, 151), 1000);
	cr_assert_eq(archset_seek_offset(&e, 250), 1000);
	cr_assert_eq(archset_seek_offset(&e, 251), 2000);
	cr_assert_eq(archset_seek_offset(&e, 999), 3000);
	e.data_off = 0; /* no header length: no seeking */
	cr_assert_eq(archset_seek_offset(&e, 999), 0);
}

Test(archset_seek, thinning_keeps_at_most_the_maximum_evenly)
{
	struct archset_ent e = { .first_ts = 1, .data_off = 24 };

	for (uint64_t i = 1; i <= 10000; i++) {
		archset_seek_add(&e, i * 100, i);
	}
	cr_assert_leq(e.nseek, ARCHSET_MAX_SEEK);
	cr_assert_geq(e.nseek, ARCHSET_MAX_SEEK / 2);
	for (uint32_t i = 1; i < e.nseek; i++) {
		uint64_t gap = e.seek[i].off - e.seek[i - 1].off;

		cr_assert_gt(e.seek[i].off, e.seek[i - 1].off);
		/* gaps within a factor 2 of each other after any number of thinnings */
		cr_assert_leq(gap, 2 * (e.seek[1].off - e.seek[0].off) + 100, "gap %u", i);
	}
	cr_assert_gt(e.seek[e.nseek - 1].off, 10000 * 100 / 2);
}

Test(archset_seek, overlaps_is_half_open)
{
	struct archset_ent e = { .first_ts = 100, .last_ts = 200 };

	cr_assert(archset_overlaps(&e, 0, 101));
	cr_assert_not(archset_overlaps(&e, 0, 100));
	cr_assert(archset_overlaps(&e, 200, 300));
	cr_assert_not(archset_overlaps(&e, 201, 300));
}

/* ------------------------------------------------------------------ names */

Test(archset_names, name_and_numbered)
{
	char out[256];

	/* 2026-11-22T00:10:05Z */
	cr_assert_eq(archset_name("md-%Y%m%dT%H%M%S.pcap.zst", UINT64_C(1795306205) * SEC, out,
				  sizeof(out)),
		     0);
	cr_assert_str_eq(out, "md-20261122T001005.pcap.zst");
	cr_assert_eq(archset_name("plain.pcap", 0, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "plain.pcap");
	cr_assert_eq(archset_name("%Y%Y%Y%Y", 0, out, 8), -ENAMETOOLONG);
	cr_assert_eq(archset_name_numbered("md.pcap.zst", 3, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "md.00003.pcap.zst");
	cr_assert_eq(archset_name_numbered("md.pcapng", 12, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "md.00012.pcapng");
	cr_assert_eq(archset_name_numbered("md", 1, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "md.00001");
	cr_assert_eq(archset_name_numbered("md.pcap", 1, out, 8), -ENAMETOOLONG);
}

Test(archset_names, pattern_match_is_strict)
{
	const char *p = "/var/lib/feedcap/md-%Y%m%dT%H%M.pcap.zst";

	cr_assert(archset_pattern_match(p, "md-20261122T0010.pcap.zst"));
	cr_assert(archset_pattern_match(p, "md-20261122T0010.00003.pcap.zst"));
	cr_assert_not(archset_pattern_match(p, "md-20261122T0010.pcap"));
	cr_assert_not(archset_pattern_match(p, "md-x-20261122T0010.pcap.zst"));
	cr_assert_not(archset_pattern_match(p, "md-2026112T0010.pcap.zst"));
	cr_assert_not(archset_pattern_match(p, "md-20261122T0010.pcap.zst.part"));
	cr_assert(archset_pattern_match("a.b[1]-%s.pcap", "a.b[1]-1795306205.pcap"));
	cr_assert_not(archset_pattern_match("a.b[1]-%s.pcap", "axb[1]-1795306205.pcap"));
	cr_assert(archset_pattern_match("md-%b.pcap", "md-Nov.pcap"));
	cr_assert(archset_pattern_match("fixed.pcapng", "fixed.pcapng"));
	cr_assert(archset_pattern_match("fixed.pcapng", "fixed.00001.pcapng"));
	cr_assert_not(archset_pattern_match("fixed.pcapng", "fixed2.pcapng"));
	cr_assert(archset_pattern_match("100%%-%H.pcap", "100%-12.pcap"));
}

Test(archset_names, own_and_archive_names)
{
	cr_assert(archset_is_own_name(ARCHSET_INDEX_NAME));
	cr_assert(archset_is_own_name(ARCHSET_INDEX_NAME ".tmp.123"));
	cr_assert(archset_is_own_name("x.pcap.part"));
	cr_assert(archset_is_own_name("x.pcap.part.ckpt"));
	cr_assert(archset_is_archive_name("x.pcap"));
	cr_assert(archset_is_archive_name("x.pcapng.zst"));
	cr_assert(archset_is_archive_name("x.cap"));
	cr_assert_not(archset_is_archive_name("x.pcap.part"));
	cr_assert_not(archset_is_archive_name(".hidden.pcap"));
	cr_assert_not(archset_is_archive_name("notes.txt"));
}

/* ------------------------------------------------------------------ checkpoints */

Test(archset_ckpt, write_read_and_torn, .init = setup, .fini = teardown)
{
	struct archset_ckpt c = { .off = 4096, .frames = 12, .first_seq = 5, .last_seq = 16 }, r;
	char path[600];
	int fd;

	path_of(path, sizeof(path), "x.pcap.part.ckpt");
	fd = open(path, O_RDWR | O_CREAT, 0644);
	cr_assert_eq(archset_ckpt_read(fd, &r), -ENODATA); /* empty */
	cr_assert_eq(archset_ckpt_write(fd, &c), 0);
	cr_assert_eq(archset_ckpt_read(fd, &r), 0);
	cr_assert_eq(r.off, 4096);
	cr_assert_eq(r.last_seq, 16);
	c.off = 8192;
	cr_assert_eq(archset_ckpt_write(fd, &c), 0);
	cr_assert_eq(archset_ckpt_read(fd, &r), 0);
	cr_assert_eq(r.off, 8192);
	cr_assert_eq(pwrite(fd, "\xff", 1, 20), 1); /* torn */
	cr_assert_eq(archset_ckpt_read(fd, &r), -ENODATA);
	close(fd);
}

/* ------------------------------------------------------------------ jobs */

Test(archset_jobs, resume_point_is_the_largest_last_seq_of_the_job, .init = setup, .fini = teardown)
{
	struct archset_ent e;
	struct fcr_error err = { 0 };
	uint64_t seq = 0, epoch = 0;
	struct archset *s;

	fill_ent(&e, "a.pcap", BASE_TS, BASE_TS);
	snprintf(e.pattern, sizeof(e.pattern), "md-%%H.pcap");
	snprintf(e.ring, sizeof(e.ring), "/dev/shm/md");
	e.ring_id = 42;
	e.epoch = 1;
	e.last_seq = 100;
	cr_assert_eq(archset_index_append(dir, &e, &err), 0);
	snprintf(e.file, sizeof(e.file), "b.pcap");
	e.last_seq = 300;
	e.epoch = 2;
	cr_assert_eq(archset_index_append(dir, &e, &err), 0);
	snprintf(e.file, sizeof(e.file), "c.pcap"); /* another ring incarnation */
	e.ring_id = 43;
	e.last_seq = 900;
	cr_assert_eq(archset_index_append(dir, &e, &err), 0);
	snprintf(e.file, sizeof(e.file), "d.pcap"); /* another pattern */
	e.ring_id = 42;
	snprintf(e.pattern, sizeof(e.pattern), "other-%%H.pcap");
	cr_assert_eq(archset_index_append(dir, &e, &err), 0);

	s = archset_open(dir, ARCHSET_NO_CHECK, &err);
	cr_assert(archset_resume_point(s, "md-%H.pcap", "/dev/shm/md", 42, &seq, &epoch));
	cr_assert_eq(seq, 300);
	cr_assert_eq(epoch, 2);
	cr_assert_not(archset_resume_point(s, "md-%H.pcap", "/dev/shm/md", 44, &seq, &epoch));
	cr_assert_not(archset_resume_point(s, "md-%H.pcap", "/dev/shm/xx", 42, &seq, &epoch));
	archset_close(s);
}

/* ------------------------------------------------------------------ writer to seek points */

struct durable_log {
	struct archset_ent e;
	unsigned int calls;
	uint64_t last_off, last_frames;
	bool tags_ok;
};

static void on_durable(void *ctx, const struct fcr_durable *d)
{
	struct durable_log *l = ctx;

	/* frames and offsets only grow; tags are 1..frames, as written */
	if (d->off < l->last_off || d->frames < l->last_frames ||
	    (d->frames && (!d->have_tag || d->first_tag != 1 || d->last_tag != d->frames))) {
		l->tags_ok = false;
	}
	l->last_off = d->off;
	l->last_frames = d->frames;
	l->calls++;
	l->e.frames = d->frames;
	l->e.first_ts = d->first_ts;
	l->e.last_ts = d->last_ts;
	l->e.data_off = d->data_off;
	if (d->seek_off) {
		archset_seek_add(&l->e, d->seek_off, d->seek_max_ts);
	}
}

/* n frames of 300 bytes, 1 ms apart, with a flush every `every` frames (0: none). */
static void write_logged(const char *file, enum fcr_format fmt, int zstd, bool multi,
			 unsigned int n, unsigned int every, struct durable_log *l)
{
	struct fcr_writer_opts wo = { .format = fmt,
				      .zstd_level = zstd,
				      .zstd_multiframe = multi,
				      .flush_interval_ns = 3600 * SEC,
				      .on_durable = on_durable,
				      .durable_ctx = l };
	struct fcr_error err = { 0 };
	uint8_t frame[300] = { 0 };
	char path[600];
	int fd;

	memset(l, 0, sizeof(*l));
	l->tags_ok = true;
	path_of(path, sizeof(path), file);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	struct fcr_writer *w = fcr_writer_open(fd, file, &wo, &err);

	cr_assert_not_null(w, "%s", err.msg);
	cr_assert_eq(l->calls, 1, "the header is a durable point");
	for (unsigned int i = 0; i < n; i++) {
		struct fcr_pkt p = {
			frame, sizeof(frame), sizeof(frame), BASE_TS + (uint64_t)i * 1000000u, 0,
			0,     NULL
		};

		memcpy(frame, &i, sizeof(i));
		cr_assert_eq(fcr_writer_write(w, &p, i + 1, &err), 0);
		if (every && (i + 1) % every == 0) {
			cr_assert_eq(fcr_writer_flush(w, &err), 0);
		}
	}
	cr_assert_eq(fcr_writer_close(w, &err), 0);
	close(fd);
	cr_assert(l->tags_ok);
	cr_assert_eq(l->e.frames, n);
	cr_assert_eq(l->e.first_ts, BASE_TS);
	cr_assert_eq(l->e.last_ts, BASE_TS + (uint64_t)(n - 1) * 1000000u, "%s: %llu", file,
		     (unsigned long long)(l->e.last_ts - BASE_TS));
}

/* From every seek point the index would give, the first record read is the first >= from. */
static void check_entries(const char *file, const struct archset_ent *e, unsigned int n)
{
	char path[600];

	path_of(path, sizeof(path), file);
	for (unsigned int k = 0; k < n; k += 97) {
		uint64_t from = BASE_TS + (uint64_t)k * 1000000u;
		uint64_t off = archset_seek_offset(e, from);
		struct fcr_error err = { 0 };
		struct fcr_archive *a = fcr_archive_open_at(path, e->data_off, off, &err);
		struct fcr_pkt p;
		unsigned int first = UINT32_MAX;

		cr_assert_not_null(a, "%s", err.msg);
		while (fcr_archive_next(a, &p) == 1) {
			if (p.ts_ns >= from) {
				memcpy(&first, p.data, sizeof(first));
				break;
			}
		}
		cr_assert_eq(first, k, "%s from frame %u: read %u (entered at %llu)", file, k,
			     first, (unsigned long long)off);
		fcr_archive_close(a);
	}
}

Test(archset_seek, writer_durable_points_are_seek_points, .init = setup, .fini = teardown)
{
	struct durable_log l;

	write_logged("p.pcap", FCR_FMT_PCAP, 0, false, 20000, 0, &l);
	cr_assert_eq(l.e.data_off, 24);
	cr_assert_gt(l.e.nseek, 3, "a 6 MB file pushed in 1 MiB pieces");
	check_entries("p.pcap", &l.e, 20000);

	write_logged("n.pcapng", FCR_FMT_PCAPNG, 0, false, 20000, 0, &l);
	cr_assert_gt(l.e.data_off, 28);
	cr_assert_gt(l.e.nseek, 3);
	check_entries("n.pcapng", &l.e, 20000);

	write_logged("m.pcap.zst", FCR_FMT_PCAP, 1, true, 3000, 250, &l);
	cr_assert_eq(l.e.data_off, 24);
	cr_assert_geq(l.e.nseek, 6);
	check_entries("m.pcap.zst", &l.e, 3000);

	write_logged("mn.pcapng.zst", FCR_FMT_PCAPNG, 1, true, 3000, 250, &l);
	cr_assert_geq(l.e.nseek, 6);
	check_entries("mn.pcapng.zst", &l.e, 3000);

	/* one zstd frame: durable points, but nowhere to enter */
	write_logged("s.pcap.zst", FCR_FMT_PCAP, 1, false, 3000, 250, &l);
	cr_assert_eq(l.e.data_off, 0);
	cr_assert_eq(l.e.nseek, 0);
	cr_assert_gt(l.calls, 10);
}

Test(archset_seek, pcapng_interface_after_the_header_stops_seek_points, .init = setup,
     .fini = teardown)
{
	struct durable_log l = { .tags_ok = true };
	struct fcr_writer_opts wo = { .format = FCR_FMT_PCAPNG,
				      .on_durable = on_durable,
				      .durable_ctx = &l };
	struct fcr_error err = { 0 };
	uint8_t frame[64] = { 0 };
	char path[600];
	int fd;

	path_of(path, sizeof(path), "i.pcapng");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	struct fcr_writer *w = fcr_writer_open(fd, "i.pcapng", &wo, &err);

	for (unsigned int i = 0; i < 10; i++) {
		struct fcr_pkt p = { frame, sizeof(frame), sizeof(frame), BASE_TS + i, i / 5,
				     0,	    NULL };

		cr_assert_eq(fcr_writer_write(w, &p, i + 1, &err), 0);
		cr_assert_eq(fcr_writer_flush(w, &err), 0);
	}
	cr_assert_eq(fcr_writer_close(w, &err), 0);
	close(fd);
	/* points while only interface 0 existed, none after interface 1's block */
	cr_assert_eq(l.e.nseek, 5, "%u", l.e.nseek);
	cr_assert_gt(l.e.data_off, 0);

	/* entered at the last point, libpcap meets interface 1's block on its way */
	struct fcr_archive *a = fcr_archive_open_at(path, l.e.data_off, l.e.seek[4].off, &err);
	struct fcr_pkt p;
	unsigned int n = 0;

	cr_assert_not_null(a, "%s", err.msg);
	while (fcr_archive_next(a, &p) == 1) {
		cr_assert_eq(p.ts_ns, BASE_TS + 5 + n);
		n++;
	}
	cr_assert_eq(n, 5);
	cr_assert_not(fcr_archive_damage_offset(a, NULL));
	fcr_archive_close(a);
}

/* ------------------------------------------------------------------ retention */

static void index_line(const char *file, const char *pattern, uint64_t first, uint64_t last,
		       uint64_t bytes, bool create)
{
	struct archset_ent e;
	struct fcr_error err = { 0 };
	char path[600];

	fill_ent(&e, file, first, last);
	e.bytes = bytes;
	snprintf(e.pattern, sizeof(e.pattern), "%s", pattern);
	if (create) {
		path_of(path, sizeof(path), file);
		close(open(path, O_WRONLY | O_CREAT, 0644));
	}
	cr_assert_eq(archset_index_append(dir, &e, &err), 0);
}

static bool exists(const char *file)
{
	char path[600];

	path_of(path, sizeof(path), file);
	return access(path, F_OK) == 0;
}

/* md-0..md-5 (one a minute, 100 bytes each), two of another pattern, one unindexed. */
static void retention_dir(void)
{
	for (int i = 0; i < 6; i++) {
		char name[64];

		snprintf(name, sizeof(name), "md-%02d.pcap", i);
		index_line(name, "md-%M.pcap", BASE_TS + (uint64_t)i * 60 * SEC,
			   BASE_TS + (uint64_t)i * 60 * SEC + 59 * SEC, 100, true);
	}
	index_line("md-x-00.pcap", "md-x-%M.pcap", BASE_TS - SEC, BASE_TS, 100, true);
	index_line("md-77.pcap", "", BASE_TS - 2 * SEC, BASE_TS - SEC, 100, true); /* v1-like */
	{
		char path[600];

		path_of(path, sizeof(path), "md-99.pcap"); /* not in the index: a user's */
		close(open(path, O_WRONLY | O_CREAT, 0644));
	}
}

Test(archset_retain, keep_files_deletes_the_oldest_of_the_pattern_only, .init = setup,
     .fini = teardown)
{
	struct archset_retention r = { .keep_files = 3 };
	struct fcr_error err = { 0 };
	unsigned int removed = 0;
	struct archset *s;

	retention_dir();
	/* md-77 (no pattern in its line, a name md-%M.pcap makes) is the oldest */
	cr_assert_eq(archset_retain(dir, "/some/where/md-%M.pcap", &r, BASE_TS, "md-00.pcap",
				    &removed, &err),
		     0, "%s", err.msg);
	cr_assert_eq(removed, 4);
	cr_assert_not(exists("md-77.pcap"));
	cr_assert(exists("md-00.pcap"), "the file just written is kept");
	cr_assert_not(exists("md-01.pcap"));
	cr_assert_not(exists("md-02.pcap"));
	cr_assert_not(exists("md-03.pcap"));
	cr_assert(exists("md-04.pcap") && exists("md-05.pcap"));
	cr_assert(exists("md-x-00.pcap"), "another pattern");
	cr_assert(exists("md-99.pcap"), "not in the index");
	s = archset_open(dir, ARCHSET_NO_CHECK, &err);
	cr_assert_eq(archset_count(s), 4); /* md-00, 04, 05, md-x-00: tombstones for the rest */
	archset_close(s);
}

Test(archset_retain, retention_age_deletes_what_ended_before_now_minus_age, .init = setup,
     .fini = teardown)
{
	struct archset_retention r = { .max_age_ns = 150 * SEC };
	struct fcr_error err = { 0 };
	unsigned int removed = 0;

	retention_dir();
	/* now = md-05's start: md-00 ends at +59 s, md-01 at +119 s, md-02 at +179 s */
	cr_assert_eq(
		archset_retain(dir, "md-%M.pcap", &r, BASE_TS + 300 * SEC, NULL, &removed, &err),
		0);
	cr_assert_eq(removed, 3, "%u", removed); /* md-77, md-00, md-01 */
	cr_assert_not(exists("md-00.pcap") || exists("md-01.pcap") || exists("md-77.pcap"));
	cr_assert(exists("md-02.pcap"));
	cr_assert(exists("md-x-00.pcap") && exists("md-99.pcap"));
}

Test(archset_retain, retention_bytes_keeps_the_newest_within_the_budget, .init = setup,
     .fini = teardown)
{
	struct archset_retention r = { .max_bytes = 250 };
	struct fcr_error err = { 0 };
	unsigned int removed = 0;

	retention_dir();
	cr_assert_eq(archset_retain(dir, "md-%M.pcap", &r, BASE_TS, NULL, &removed, &err), 0);
	cr_assert_eq(removed, 5); /* 7 files of 100 bytes of the pattern: 2 stay */
	cr_assert(exists("md-04.pcap") && exists("md-05.pcap"));
	cr_assert_not(exists("md-03.pcap"));
	cr_assert(exists("md-x-00.pcap"));
}

Test(archset_retain, a_file_that_cannot_be_deleted_is_named, .init = setup, .fini = teardown)
{
	struct archset_retention r = { .keep_files = 1 };
	struct fcr_error err = { 0 };
	char path[600];

	index_line("md-00.pcap", "md-%M.pcap", BASE_TS, BASE_TS, 1, false);
	mkdir((path_of(path, sizeof(path), "md-01.pcap"), path), 0755);
	path_of(path, sizeof(path), "md-01.pcap/x");
	close(open(path, O_WRONLY | O_CREAT, 0644)); /* a non-empty directory: unlink fails */
	index_line("md-01.pcap", "md-%M.pcap", BASE_TS + SEC, BASE_TS + SEC, 1, false);
	index_line("md-02.pcap", "md-%M.pcap", BASE_TS + 2 * SEC, BASE_TS + 2 * SEC, 1, true);
	cr_assert_lt(archset_retain(dir, "md-%M.pcap", &r, BASE_TS, NULL, NULL, &err), 0);
	cr_assert(strstr(err.msg, "md-01.pcap: cannot delete"), "%s", err.msg);
}

/* ------------------------------------------------------------------ retention over directories */

/* Under dir: SUB made, and a line of pattern md-%H.pcap for SUB/FILE, a minute from first. */
static void dated_line(const char *sub, const char *file, uint64_t first, uint64_t bytes,
		       bool create)
{
	struct archset_ent e;
	struct fcr_error err = { 0 };
	char d[600], path[700], cmd[700];

	path_of(d, sizeof(d), sub);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", d);
	cr_assert_eq(system(cmd), 0);
	fill_ent(&e, file, first, first + 59 * SEC);
	e.bytes = bytes;
	snprintf(e.pattern, sizeof(e.pattern), "md-%%H.pcap");
	if (create) {
		snprintf(path, sizeof(path), "%s/%s", d, file);
		close(open(path, O_WRONLY | O_CREAT, 0644));
	}
	cr_assert_eq(archset_index_append(d, &e, &err), 0, "%s", err.msg);
}

static bool exists_in(const char *sub, const char *file)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/%s%s%s", dir, sub, file[0] ? "/" : "", file);
	return access(path, F_OK) == 0;
}

/* The retainer over the subdirectories subs[0..n) of dir. */
static int run_over(struct archset_retainer *t, const char *const *subs, size_t n, uint64_t now,
		    const char *keep, unsigned int *removed)
{
	char paths[8][600], kp[700];
	const char *dirs[8];
	struct fcr_error err = { 0 };
	int rc;

	cr_assert_leq(n, 8);
	for (size_t i = 0; i < n; i++) {
		path_of(paths[i], sizeof(paths[i]), subs[i]);
		dirs[i] = paths[i];
	}
	if (keep) {
		path_of(kp, sizeof(kp), keep);
	}
	rc = archset_retainer_run(t, dirs, n, now, keep ? kp : NULL, removed, &err);
	cr_assert_eq(rc, 0, "%s", err.msg);
	return rc;
}

Test(archset_retain_dirs, keep_files_over_dated_directories_oldest_first, .init = setup,
     .fini = teardown)
{
	const char *subs[] = { "2026/12/01", "2026/11/19", "2026/11/20" }; /* not in time order */
	struct archset_retention r = { .keep_files = 2 };
	struct fcr_error err = { 0 };
	struct archset_retainer *t =
		archset_retainer_create("/x/%Y/%m/%d/md-%H.pcap", &r, dir, &err);
	unsigned int removed = 0;
	char d[600], notes[700];

	cr_assert_not_null(t, "%s", err.msg);
	dated_line("2026/11/19", "md-00.pcap", BASE_TS, 100, true);
	dated_line("2026/11/19", "md-01.pcap", BASE_TS + 3600 * SEC, 100, true);
	dated_line("2026/11/20", "md-00.pcap", BASE_TS + 86400 * SEC, 100, true);
	dated_line("2026/11/20", "md-01.pcap", BASE_TS + 90000 * SEC, 100, true);
	dated_line("2026/12/01", "md-00.pcap", BASE_TS + 12 * 86400 * SEC, 100, true);
	dated_line("2026/12/01", "md-01.pcap", BASE_TS + 12 * 86400 * SEC + 3600 * SEC, 100, true);
	path_of(d, sizeof(d), "2026/11/20");
	snprintf(notes, sizeof(notes), "%s/notes.txt", d);
	close(open(notes, O_WRONLY | O_CREAT, 0644)); /* a user's: 11/20 stays */

	run_over(t, subs, 3, BASE_TS, "2026/12/01/md-01.pcap", &removed);
	cr_assert_eq(removed, 4, "%u", removed);
	cr_assert_not(exists_in("2026/11/19", ""), "an emptied directory is removed");
	cr_assert(exists_in("2026/11", ""), "its parent holds 20: it stays");
	cr_assert(exists_in("2026/11/20", "notes.txt"));
	cr_assert_not(exists_in("2026/11/20", "md-00.pcap") ||
		      exists_in("2026/11/20", "md-01.pcap"));
	cr_assert(exists_in("2026/12/01", "md-00.pcap") && exists_in("2026/12/01", "md-01.pcap"));
	{
		struct archset *s = archset_open(d, ARCHSET_NO_CHECK, &err);

		cr_assert_eq(archset_count(s), 0, "11/20's index: a tombstone for each");
		archset_close(s);
	}

	/* 12/01 alone now: one more archive there, the oldest goes, 2026/11 stays for 20 */
	dated_line("2026/12/01", "md-02.pcap", BASE_TS + 12 * 86400 * SEC + 7200 * SEC, 100, true);
	run_over(t, subs + 0, 1, BASE_TS, "2026/12/01/md-02.pcap", &removed);
	cr_assert_eq(removed, 1);
	cr_assert_not(exists_in("2026/12/01", "md-00.pcap"));
	cr_assert(exists_in("2026/11/20", "notes.txt"));
	archset_retainer_destroy(t);

	/* found holding nothing but its index (a run died before its rmdir): it goes, and so
	 * does its parent it leaves empty */
	{
		const char *two[] = { "2026/11/20", "2026/12/01" };
		struct archset_retention r5 = { .keep_files = 5 };

		cr_assert_eq(unlink(notes), 0);
		t = archset_retainer_create("md-%H.pcap", &r5, dir, &err);
		run_over(t, two, 2, BASE_TS, NULL, &removed);
		cr_assert_eq(removed, 0);
		cr_assert_not(exists_in("2026/11", ""), "11/20, then 11, removed");
		cr_assert(exists_in("2026/12/01", "md-02.pcap"));
		archset_retainer_destroy(t);
	}
}

Test(archset_retain_dirs, emptied_parents_go_up_to_the_root, .init = setup, .fini = teardown)
{
	const char *subs[] = { "a/1", "b/2" };
	struct archset_retention r = { .keep_files = 1 };
	struct fcr_error err = { 0 };
	struct archset_retainer *t = archset_retainer_create("md-%H.pcap", &r, dir, &err);
	unsigned int removed = 0;

	dated_line("a/1", "md-00.pcap", BASE_TS, 100, true);
	dated_line("b/2", "md-00.pcap", BASE_TS + SEC, 100, true);
	run_over(t, subs, 2, BASE_TS, NULL, &removed);
	cr_assert_eq(removed, 1);
	cr_assert_not(exists_in("a", ""), "a/1 and then a, both emptied");
	cr_assert(exists_in("b/2", "md-00.pcap"));
	archset_retainer_destroy(t);

	/* without a root no directory is removed */
	dated_line("b/2", "md-01.pcap", BASE_TS + 2 * SEC, 100, true);
	t = archset_retainer_create("md-%H.pcap", &r, NULL, &err);
	dated_line("c/3", "md-02.pcap", BASE_TS + 3 * SEC, 100, true);
	{
		const char *three[] = { "b/2", "c/3" };

		run_over(t, three, 2, BASE_TS, NULL, &removed);
	}
	cr_assert_eq(removed, 2);
	cr_assert(exists_in("b/2", ""));
	archset_retainer_destroy(t);
}

Test(archset_retain_dirs, time_order_across_directories_not_their_names, .init = setup,
     .fini = teardown)
{
	const char *subs[] = { "a", "b" };
	struct archset_retention r = { .keep_files = 2 };
	struct fcr_error err = { 0 };
	struct archset_retainer *t = archset_retainer_create("md-%H.pcap", &r, NULL, &err);
	unsigned int removed = 0;

	dated_line("a", "md-00.pcap", BASE_TS + 10 * SEC, 100, true);
	dated_line("a", "md-01.pcap", BASE_TS + 30 * SEC, 100, true);
	dated_line("b", "md-02.pcap", BASE_TS + 20 * SEC, 100, true);
	run_over(t, subs, 2, BASE_TS, NULL, &removed);
	cr_assert_eq(removed, 1);
	cr_assert_not(exists_in("a", "md-00.pcap"));
	cr_assert(exists_in("b", "md-02.pcap") && exists_in("a", "md-01.pcap"));

	/*
	 * The retainer summed up a and b; a line appended to b since (older than everything)
	 * changes b's index, which is read again: that file is now the oldest.
	 */
	dated_line("b", "md-03.pcap", BASE_TS + 5 * SEC, 100, true);
	run_over(t, subs, 2, BASE_TS, NULL, &removed);
	cr_assert_eq(removed, 1);
	cr_assert_not(exists_in("b", "md-03.pcap"));
	cr_assert(exists_in("b", "md-02.pcap") && exists_in("a", "md-01.pcap"));

	/* unchanged indexes: nothing to do, nothing deleted */
	run_over(t, subs, 2, BASE_TS, NULL, &removed);
	cr_assert_eq(removed, 0);
	archset_retainer_destroy(t);
}

Test(archset_retain_dirs, age_and_bytes_over_the_whole_set, .init = setup, .fini = teardown)
{
	const char *subs[] = { "d1", "d2", "d3" };
	struct archset_retention ra = { .max_age_ns = 90 * SEC };
	struct archset_retention rb = { .max_bytes = 250 };
	struct fcr_error err = { 0 };
	struct archset_retainer *t;
	unsigned int removed = 0;

	/* d1: 0 s and 60 s, d2: 120 s, d3: 180 s; each file 100 bytes, a minute long */
	dated_line("d1", "md-00.pcap", BASE_TS, 100, true);
	dated_line("d1", "md-01.pcap", BASE_TS + 60 * SEC, 100, true);
	dated_line("d2", "md-02.pcap", BASE_TS + 120 * SEC, 100, true);
	dated_line("d3", "md-03.pcap", BASE_TS + 180 * SEC, 100, true);

	/* now = 240 s: what ended before 150 s goes (md-00 ends at 59 s, md-01 at 119 s) */
	t = archset_retainer_create("md-%H.pcap", &ra, dir, &err);
	run_over(t, subs, 3, BASE_TS + 240 * SEC, NULL, &removed);
	cr_assert_eq(removed, 2);
	cr_assert_not(exists_in("d1", ""), "d1 emptied");
	cr_assert(exists_in("d2", "md-02.pcap"));
	archset_retainer_destroy(t);

	/* 200 bytes left in d2 and d3; a budget of 150 leaves d3's */
	rb.max_bytes = 150;
	t = archset_retainer_create("md-%H.pcap", &rb, dir, &err);
	run_over(t, subs + 1, 2, BASE_TS, NULL, &removed);
	cr_assert_eq(removed, 1);
	cr_assert_not(exists_in("d2", ""));
	cr_assert(exists_in("d3", "md-03.pcap"));
	archset_retainer_destroy(t);

	/* everything past the age: every directory goes, never the root */
	t = archset_retainer_create("md-%H.pcap", &ra, dir, &err);
	run_over(t, subs + 2, 1, BASE_TS + 3600 * SEC, NULL, &removed);
	cr_assert_eq(removed, 1);
	cr_assert_not(exists_in("d3", ""));
	cr_assert(access(dir, F_OK) == 0, "the root is never removed");
	archset_retainer_destroy(t);
}

Test(archset_names, dirpat_match_is_strict_per_component)
{
	static const struct {
		const char *dirpat, *dir;
		bool match;
	} c[] = {
		{ "/a/%Y%m%d", "/a/20261122", true },	   { "/a/%Y/%m/%d", "/a/2026/11/22", true },
		{ "a/%Y%m%d/%H", "a/20261122/07", true },  { "/a/x-%F", "/a/x-2026-11-22", true },
		{ "/a/%Y%m%d", "/a/20261122.bak", false }, /* a copy the glob finds */
		{ "/a/%Y%m%d", "/b/20261122", false },	   { "/a/%Y%m%d", "/a/2026112", false },
		{ "/a/%Y%m%d", "/a/20261122/07", false },  { "/a/%Y/%m", "/a/2026", false },
		{ "/a/%Y%m%d", "/a/%Y%m%d", false },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		cr_assert_eq(archset_dirpat_match(c[i].dirpat, c[i].dir), c[i].match, "%s %s",
			     c[i].dirpat, c[i].dir);
	}
}

Test(archset_names, numbers_used_and_names_listed, .init = setup, .fini = teardown)
{
	struct fcr_error err = { 0 };
	struct archset_names *n;

	n = archset_names_load(dir, "md.%Y%m%d.pcap", &err);
	cr_assert_not_null(n, "no index: an empty set (%s)", err.msg);
	cr_assert_eq(archset_names_next(n), 0);
	cr_assert_not(archset_names_listed(n, "md.20261122.pcap"));
	archset_names_free(n);

	/* the date's digits are no number; the largest number counts, tombstoned or not */
	index_line("md.20261122.pcap", "md.%Y%m%d.pcap", BASE_TS, BASE_TS, 1, false);
	index_line("md.20261122.00007.pcap", "md.%Y%m%d.pcap", BASE_TS, BASE_TS, 1, false);
	index_line("md.20261122.00002.pcap", "md.%Y%m%d.pcap", BASE_TS, BASE_TS, 1, false);
	index_line("other.00099.pcap", "other.pcap", BASE_TS, BASE_TS, 1, false);
	cr_assert_eq(archset_index_remove(dir, "md.20261122.00007.pcap", &err), 0);
	n = archset_names_load(dir, "/any/where/md.%Y%m%d.pcap", &err);
	cr_assert_not_null(n, "%s", err.msg);
	cr_assert_eq(archset_names_next(n), 8, "%lu", (unsigned long)archset_names_next(n));
	cr_assert(archset_names_listed(n, "md.20261122.pcap"));
	cr_assert(archset_names_listed(n, "other.00099.pcap"), "listed, whatever its pattern");
	cr_assert_not(archset_names_listed(n, "md.20261122.00007.pcap"), "tombstoned");
	cr_assert_not(archset_names_listed(n, "md.20261123.pcap"));
	for (int i = 0; i < 1000; i++) { /* the table grows */
		char name[64];

		snprintf(name, sizeof(name), "md.20261122.%05d.pcap", 100 + i);
		cr_assert_eq(archset_names_add(n, name), 0);
	}
	cr_assert(archset_names_listed(n, "md.20261122.00100.pcap"));
	cr_assert(archset_names_listed(n, "md.20261122.01099.pcap"));
	cr_assert(archset_names_listed(n, "md.20261122.pcap"));
	archset_names_free(n);
}

Test(archset_index, forget_tombstones_a_listed_name_only, .init = setup, .fini = teardown)
{
	struct fcr_error err = { 0 };
	char path[600], buf[4096];
	ssize_t len;
	int fd;

	cr_assert_eq(archset_index_forget(dir, "one.pcap", &err), 0, "no index");
	index_line("one.pcap", "one.pcap", BASE_TS, BASE_TS, 1, true);
	cr_assert_eq(archset_index_forget(dir, "two.pcap", &err), 0, "not listed");
	cr_assert_eq(archset_index_forget(dir, "one.pcap", &err), 1, "%s", err.msg);
	cr_assert_eq(archset_index_forget(dir, "one.pcap", &err), 0, "tombstoned already");
	cr_assert_lt(archset_index_forget(dir, "../one.pcap", &err), 0);
	path_of(path, sizeof(path), "feedcap-index.jsonl");
	fd = open(path, O_RDONLY);
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	cr_assert_gt(len, 0);
	buf[len] = '\0';
	cr_assert(strstr(buf, "\n{\"v\":2,\"removed\":\"one.pcap\"}\n"), "%s", buf);
	cr_assert_null(strstr(strstr(buf, "removed") + 1, "removed"), "one tombstone: %s", buf);
}

/* ------------------------------------------------------------------ .part recovery */

struct ckpt_writer {
	int cfd;
	struct archset_ckpt c;
};

static void ckpt_on_durable(void *ctx, const struct fcr_durable *d)
{
	struct ckpt_writer *k = ctx;

	k->c.off = d->off;
	k->c.frames = d->frames;
	k->c.first_ts = d->first_ts;
	k->c.last_ts = d->last_ts;
	k->c.first_seq = d->first_tag;
	k->c.last_seq = d->last_tag;
	if (k->cfd >= 0) {
		cr_assert_eq(archset_ckpt_write(k->cfd, &k->c), 0);
	}
}

/*
 * A child writes NAME.part as a job does (with a checkpoint if ckpt), 1000 frames flushed
 * every 100, then 30 more that stay buffered and a torn write, and dies.
 */
static void killed_writer(const char *name, int zstd, bool ckpt)
{
	pid_t pid = fork();
	int st;

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct ckpt_writer k = { .cfd = -1, .c = { .ring_id = 42, .epoch = 1 } };
		struct fcr_writer_opts wo = { .format = FCR_FMT_PCAP,
					      .zstd_level = zstd,
					      .flush_interval_ns = 3600 * SEC,
					      .on_durable = ckpt_on_durable,
					      .durable_ctx = &k };
		uint8_t frame[200] = { 0 };
		char path[600];
		int fd;

		k.c.format = FCR_FMT_PCAP;
		k.c.zstd = zstd ? 1 : 0;
		snprintf(path, sizeof(path), "%s/%s.part", dir, name);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (ckpt) {
			snprintf(path, sizeof(path), "%s/%s.part.ckpt", dir, name);
			k.cfd = open(path, O_RDWR | O_CREAT, 0644);
		}

		struct fcr_writer *w = fcr_writer_open(fd, name, &wo, NULL);

		for (unsigned int i = 0; i < 1030; i++) {
			struct fcr_pkt p = { frame,
					     sizeof(frame),
					     sizeof(frame),
					     BASE_TS + (uint64_t)i * SEC / 100,
					     0,
					     0,
					     NULL };

			memcpy(frame, &i, sizeof(i));
			fcr_writer_write(w, &p, 1000 + i, NULL);
			if ((i + 1) % 100 == 0 && i < 1000) {
				fcr_writer_flush(w, NULL);
			}
		}
		if (write(fd, "\x01\x02\x03\x04\x05\x06\x07", 7) != 7) { /* a torn write */
			_exit(3);
		}
		_exit(0); /* no close: what a SIGKILL leaves */
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static uint64_t frames_in(const char *file, uint64_t *last_ts)
{
	struct fcr_error err = { 0 };
	struct archset_ent e;

	cr_assert_eq(archset_entry_from_file(dir, file, &e, &err), 0, "%s", err.msg);
	*last_ts = e.last_ts;
	return e.frames;
}

Test(archset_parts, checkpointed_parts_are_cut_sealed_renamed_and_indexed, .init = setup,
     .fini = teardown)
{
	struct fcr_error err = { 0 };
	unsigned int n = 0;
	uint64_t seq = 0, epoch = 0, last_ts;
	char warn[4096];
	struct archset *s;

	killed_writer("md-00.pcap", 0, true);
	killed_writer("md-01.pcap.zst", 1, true);
	cr_assert_eq(archset_recover_parts(dir, "md-%M.pcap*", "/dev/shm/md", &n, warn,
					   sizeof(warn), &err),
		     0, "%s", err.msg);
	/* "md-%M.pcap*": the '*' is a literal in a pattern, so nothing matched */
	cr_assert_eq(n, 0);

	cr_assert_eq(archset_recover_parts(dir, "md-%M.pcap", "/dev/shm/md", &n, warn, sizeof(warn),
					   &err),
		     0, "%s", err.msg);
	cr_assert_eq(n, 1, "%s", warn);
	cr_assert_eq(archset_recover_parts(dir, "md-%M.pcap.zst", "/dev/shm/md", &n, warn,
					   sizeof(warn), &err),
		     0, "%s", err.msg);
	cr_assert_eq(n, 1, "%s", warn);
	cr_assert_not(exists("md-00.pcap.part") || exists("md-00.pcap.part.ckpt"));
	cr_assert_not(exists("md-01.pcap.zst.part") || exists("md-01.pcap.zst.part.ckpt"));
	cr_assert_eq(frames_in("md-00.pcap", &last_ts), 1000);
	cr_assert_eq(last_ts, BASE_TS + 999 * SEC / 100);
	cr_assert_eq(frames_in("md-01.pcap.zst", &last_ts), 1000);

	s = archset_open(dir, 0, &err);
	cr_assert_eq(archset_count(s), 2);
	cr_assert_str_eq(archset_warnings(s), "", "%s", archset_warnings(s));
	cr_assert_eq(archset_find(s, "md-00.pcap")->first_seq, 1000);
	cr_assert_eq(archset_find(s, "md-00.pcap")->last_seq, 1999);
	cr_assert_not(archset_find(s, "md-00.pcap")->repaired);
	cr_assert(archset_resume_point(s, "md-%M.pcap", "/dev/shm/md", 42, &seq, &epoch));
	cr_assert_eq(seq, 1999);
	archset_close(s);
}

Test(archset_parts, without_a_checkpoint_the_part_is_kept_as_far_as_it_reads, .init = setup,
     .fini = teardown)
{
	struct fcr_error err = { 0 };
	unsigned int n = 0;
	uint64_t last_ts;
	char warn[4096];
	struct archset *s;

	killed_writer("md-00.pcap", 0, false);
	killed_writer("md-01.pcap", 1, false); /* zstd under a .pcap name: the magic decides */
	cr_assert_eq(archset_recover_parts(dir, "md-%M.pcap", "/dev/shm/md", &n, warn, sizeof(warn),
					   &err),
		     0, "%s", err.msg);
	cr_assert_eq(n, 2, "%s", warn);
	cr_assert(strstr(warn, "no usable checkpoint"), "%s", warn);
	/* the buffered and torn tail is lost; every flushed frame is there */
	cr_assert_geq(frames_in("md-00.pcap", &last_ts), 1000);
	cr_assert_geq(frames_in("md-01.pcap", &last_ts), 1000);
	s = archset_open(dir, 0, &err);
	cr_assert_eq(archset_count(s), 2);
	cr_assert(archset_find(s, "md-01.pcap")->repaired);
	cr_assert_eq(archset_find(s, "md-01.pcap")->last_seq, 0);
	cr_assert_str_eq(archset_warnings(s), "", "%s", archset_warnings(s));
	archset_close(s);
}

Test(archset_parts, a_taken_name_gets_a_number_and_a_locked_part_is_left, .init = setup,
     .fini = teardown)
{
	struct fcr_error err = { 0 };
	unsigned int n = 0;
	char warn[4096], path[600];
	int fd;

	killed_writer("md-00.pcap", 0, true);
	path_of(path, sizeof(path), "md-00.pcap");
	close(open(path, O_WRONLY | O_CREAT, 0644)); /* an earlier run's archive */
	path_of(path, sizeof(path), "md-05.pcap.part");
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	cr_assert_eq(flock(fd, LOCK_EX), 0); /* a running writer */
	cr_assert_eq(archset_recover_parts(dir, "md-%M.pcap", "", &n, warn, sizeof(warn), &err), 0,
		     "%s", err.msg);
	cr_assert_eq(n, 1);
	cr_assert(exists("md-00.00001.pcap"));
	cr_assert(exists("md-05.pcap.part"));
	cr_assert(strstr(warn, "md-05.pcap.part: a running writer holds it"), "%s", warn);
	close(fd);
}

/*
 * A job killed between its closing checkpoint and the rename: the file is complete, its zstd
 * frame ended.  The checkpoint says so (sealed): recovery must not end the frame again.
 */
Test(archset_parts, a_sealed_zstd_part_is_not_ended_twice, .init = setup, .fini = teardown)
{
	struct archset_ckpt c = { .frames = 50,
				  .first_ts = BASE_TS,
				  .last_ts = BASE_TS + 49 * SEC / 100,
				  .first_seq = 1,
				  .last_seq = 50,
				  .ring_id = 42,
				  .epoch = 1,
				  .format = FCR_FMT_PCAP,
				  .zstd = 1,
				  .flags = ARCHSET_CKPT_SEALED };
	struct fcr_error err = { 0 };
	unsigned int n = 0;
	uint64_t last_ts;
	char warn[4096], path[600];
	struct archset *s;
	int fd;

	c.off = make_archive("md-02.pcap.zst.part", FCR_FMT_PCAP, 1, BASE_TS, SEC / 100, 50);
	path_of(path, sizeof(path), "md-02.pcap.zst.part.ckpt");
	fd = open(path, O_RDWR | O_CREAT, 0644);
	cr_assert_eq(archset_ckpt_write(fd, &c), 0);
	close(fd);
	cr_assert_eq(archset_recover_parts(dir, "md-%M.pcap.zst", "", &n, warn, sizeof(warn), &err),
		     0, "%s", err.msg);
	cr_assert_eq(n, 1, "%s", warn);
	cr_assert_eq(frames_in("md-02.pcap.zst", &last_ts), 50); /* read without damage */
	s = archset_open(dir, 0, &err);
	cr_assert_eq(archset_find(s, "md-02.pcap.zst")->bytes, c.off);
	cr_assert_eq(archset_find(s, "md-02.pcap.zst")->last_seq, 50);
	cr_assert_not(archset_find(s, "md-02.pcap.zst")->repaired);
	archset_close(s);
}

/* Killed between creating NAME.part and its checkpoint: nothing readable, so removed. */
Test(archset_parts, an_empty_part_without_a_checkpoint_is_removed, .init = setup, .fini = teardown)
{
	struct fcr_error err = { 0 };
	unsigned int n = 9;
	char warn[4096], path[600];

	path_of(path, sizeof(path), "md-03.pcap.part");
	close(open(path, O_WRONLY | O_CREAT, 0644));
	cr_assert_eq(archset_recover_parts(dir, "md-%M.pcap", "", &n, warn, sizeof(warn), &err), 0,
		     "%s", err.msg);
	cr_assert_eq(n, 0);
	cr_assert_not(exists("md-03.pcap.part"));
	cr_assert(strstr(warn, "md-03.pcap.part: no complete frame: removed"), "%s", warn);
}

Test(archset_parts, a_name_the_index_lists_is_not_taken_again, .init = setup, .fini = teardown)
{
	struct fcr_error err = { 0 };
	unsigned int n = 0;
	struct archset *s;

	/* md-00.pcap was deleted by hand: its line is still there, and must not describe the
	 * recovered file */
	index_line("md-00.pcap", "md-%M.pcap", BASE_TS - 60 * SEC, BASE_TS - SEC, 1, false);
	killed_writer("md-00.pcap", 0, true);
	cr_assert_eq(archset_recover_parts(dir, "md-%M.pcap", "", &n, NULL, 0, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(n, 1);
	cr_assert_not(exists("md-00.pcap"));
	cr_assert(exists("md-00.00001.pcap"));
	s = archset_open(dir, ARCHSET_NO_CHECK, &err);
	cr_assert_eq(archset_find(s, "md-00.pcap")->last_ts, BASE_TS - SEC, "the old line, as is");
	cr_assert_gt(archset_find(s, "md-00.00001.pcap")->frames, 0);
	archset_close(s);
}

Test(archset_index, an_empty_directory_is_an_empty_set, .init = setup, .fini = teardown)
{
	struct archset_retention r = { .keep_files = 1 };
	struct fcr_error err = { 0 };
	unsigned int n = 9;
	uint64_t seq, epoch;
	struct archset *s;

	s = archset_open(dir, ARCHSET_REPAIR, &err);
	cr_assert_not_null(s, "%s", err.msg);
	cr_assert_eq(archset_count(s), 0);
	cr_assert_not(archset_span(s, &seq, &epoch));
	cr_assert_not(archset_resume_point(s, "x.pcap", "", 0, &seq, &epoch));
	archset_close(s);
	s = archset_open(dir, ARCHSET_NO_CHECK, &err);
	cr_assert_eq(archset_count(s), 0);
	archset_close(s);
	cr_assert_eq(archset_retain(dir, "x-%H.pcap", &r, 0, NULL, &n, &err), 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(archset_recover_parts(dir, "x-%H.pcap", "", &n, NULL, 0, &err), 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(archset_reindex(dir, &n, &err), 0);
	cr_assert_null(archset_open("/nonexistent/dir", 0, &err));
	cr_assert_eq(errno, ENOENT);
	cr_assert(strstr(err.msg, "/nonexistent/dir"));
}
