/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * replay_list.c - feedcap-replay --list (what the archives hold, from their index, without
 * opening them) and --reindex (the index rebuilt from the files).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay_internal.h"
#include "stat_internal.h"

static const char *format_name(const struct archset_ent *e)
{
	if (e->format == FCR_FMT_PCAPNG) {
		return e->zstd ? "pcapng.zst" : "pcapng";
	}
	return e->zstd ? "pcap.zst" : "pcap";
}

static int print_json(const struct archset_pick *p)
{
	char *line = archset_ent_json(&p->e, p->path);

	if (!line) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	puts(line);
	free(line);
	return 0;
}

static void print_text(const struct archset_picks *ps)
{
	int wpath = 4, wframes = 6, wbytes = 5;
	char t0[48], t1[48];
	size_t i;

	for (i = 0; i < ps->n; i++) {
		char n[32];
		int l = (int)strlen(ps->v[i].path);

		wpath = l > wpath ? l : wpath;
		l = snprintf(n, sizeof(n), "%" PRIu64, ps->v[i].e.frames);
		wframes = l > wframes ? l : wframes;
		l = snprintf(n, sizeof(n), "%" PRIu64, ps->v[i].e.bytes);
		wbytes = l > wbytes ? l : wbytes;
	}
	printf("%-*s  %-30s  %-30s  %*s  %*s  %s\n", wpath, "FILE", "FIRST", "LAST", wframes,
	       "FRAMES", wbytes, "BYTES", "FORMAT");
	for (i = 0; i < ps->n; i++) {
		const struct archset_ent *e = &ps->v[i].e;
		/* an archive of no frame has no first or last time, not 1970 (capinfos: n/a) */
		bool none = e->frames == 0;

		printf("%-*s  %-30s  %-30s  %*" PRIu64 "  %*" PRIu64 "  %s\n", wpath, ps->v[i].path,
		       none ? "-" : fcr_format_time(e->first_ts, t0, sizeof(t0)),
		       none ? "-" : fcr_format_time(e->last_ts, t1, sizeof(t1)), wframes, e->frames,
		       wbytes, e->bytes, format_name(e));
	}
}

int replay_list(const struct replay_opts *o)
{
	struct archset_picks ps;
	struct fcr_error err = { 0 };
	int status = 0;

	if (archset_pick(o->archives, o->narchives, ARCHSET_NO_CHECK | ARCHSET_PICK_READ, o->from,
			 o->to, &ps, &err) < 0) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		return 1;
	}
	fcr_cli_print_notes(ps.notes);
	if (replay_window(&ps, o) && o->require_window) {
		status = 1;
	}
	if (o->json) {
		for (size_t i = 0; i < ps.n && status == 0; i++) {
			if (print_json(&ps.v[i]) < 0) {
				status = 1;
			}
		}
	} else {
		print_text(&ps);
	}
	if (fflush(stdout) != 0) {
		perror(PROG ": stdout");
		status = 1;
	}
	archset_picks_free(&ps);
	return status;
}

int replay_reindex(const struct replay_opts *o)
{
	int status = 0;

	for (unsigned int i = 0; i < o->narchives; i++) {
		struct fcr_error err = { 0 };
		unsigned int fresh = 0;
		int n = archset_reindex(o->archives[i], &fresh, &err);

		if (n < 0) {
			fprintf(stderr, PROG ": %s\n", err.msg);
			status = 1;
			continue;
		}
		printf("%s: %d archives indexed, %u of them read from their files\n",
		       o->archives[i], n, fresh);
	}
	return status;
}
