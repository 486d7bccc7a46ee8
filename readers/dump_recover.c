/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dump_recover.c - what earlier runs of an archive job left, finished before --from resume
 * asks the index where the job stopped.
 *
 * A run killed while writing leaves NAME.part and NAME.part.ckpt: archset_recover_parts() cuts
 * the file to its checkpoint, seals, renames and indexes it.  A run killed while closing, after
 * the rename and before the index line, leaves NAME and NAME.part.ckpt: the checkpoint (written
 * final and synced before the rename) says what NAME holds, and the line is appended here.
 * Without it the file would be indexed from its contents alone, without sequence numbers, and
 * the job would take its records again.  The same holds for a recovery killed between its
 * rename and its line (the checkpoint goes last there too), whose NAME may be numbered.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump_internal.h"

/* Each line of a warning text as "feedcap-dump: warning: LINE". */
static void print_warnings(const char *w)
{
	while (w && *w) {
		const char *nl = strchr(w, '\n');
		int n = nl ? (int)(nl - w) : (int)strlen(w);

		if (n > 0) {
			fprintf(stderr, "feedcap-dump: warning: %.*s\n", n, w);
		}
		w += n + (nl ? 1 : 0);
	}
}

/*
 * Which archive NAME.part.ckpt describes: NAME, or NAME.00001... when the .part was recovered
 * under a numbered name because NAME was taken (archset_recover_parts() never replaces a
 * file).  It is the one whose contents are what the checkpoint says, frames and times: a
 * checkpoint's sequence numbers must never go on another archive's line.  1 with the file's
 * name in file and its entry in e, 0 if none is.
 */
static int ckpt_owner(struct dump *d, const char *name, const struct archset_ckpt *c, char *file,
		      size_t len, struct archset_ent *e)
{
	for (uint64_t n = 0; n < 100000; n++) {
		struct fcr_error err = { 0 };
		char path[PATH_MAX];
		struct stat sb;
		int rc;

		if (n == 0) {
			snprintf(file, len, "%s", name);
		} else if (archset_name_numbered(name, n, file, len) < 0) {
			return 0;
		}
		snprintf(path, sizeof(path), "%.3800s/%.255s", d->dir, file);
		if (stat(path, &sb) != 0) {
			if (n == 0) {
				continue;
			}
			return 0; /* numbered names are taken in order: no further one */
		}
		rc = archset_entry_from_file(d->dir, file, e, &err);
		if ((rc == 0 || rc == -EPROTO) && e->frames == c->frames &&
		    e->first_ts == c->first_ts && e->last_ts == c->last_ts) {
			return 1;
		}
	}
	return 0;
}

/* A renamed archive without its index line: append the line, with the checkpoint's numbers. */
static int index_from_ckpt(struct dump *d, struct archset_ent *e, const struct archset_ckpt *c)
{
	struct fcr_error err = { 0 };
	int rc;

	snprintf(e->pattern, sizeof(e->pattern), "%.255s", d->pattern);
	snprintf(e->ring, sizeof(e->ring), "%.255s", d->ring_path);
	e->ring_id = c->ring_id;
	e->epoch = c->epoch;
	e->first_seq = c->first_seq;
	e->last_seq = c->last_seq;
	e->lost_before = c->lost_before;
	e->repaired = false;
	rc = archset_index_append(d->dir, e, &err);
	if (rc < 0) {
		fprintf(stderr, "feedcap-dump: %s\n", err.msg);
	}
	return rc;
}

/* Checkpoints without their .part: finish the close they belong to, or drop them. */
static int finish_orphans(struct dump *d)
{
	struct fcr_error err = { 0 };
	struct archset *s = NULL;
	struct dirent *de;
	DIR *dir;
	int rc = 0;

	dir = opendir(d->dir);
	if (!dir) {
		fprintf(stderr, "feedcap-dump: %s: cannot list: %s\n", d->dir, strerror(errno));
		return -errno;
	}
	while ((de = readdir(dir)) != NULL) {
		size_t n = strlen(de->d_name), sl = strlen(ARCHSET_CKPT_SUFFIX);
		char name[256], path[PATH_MAX];
		struct archset_ckpt c;
		struct stat sb;
		int fd;

		if (n <= sl || n - sl >= sizeof(name) ||
		    strcmp(de->d_name + n - sl, ARCHSET_CKPT_SUFFIX) != 0) {
			continue;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(n - sl), de->d_name);
		if (!archset_pattern_match(d->pattern, name)) {
			continue; /* another job's */
		}
		snprintf(path, sizeof(path), "%.3800s/%.255s" ARCHSET_PART_SUFFIX, d->dir, name);
		if (stat(path, &sb) == 0) {
			continue; /* a .part archset_recover_parts() could not finish: keep both */
		}
		snprintf(path, sizeof(path), "%.3800s/%.255s", d->dir, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			continue;
		}
		rc = archset_ckpt_read(fd, &c);
		close(fd);
		if (rc == 0 && c.last_seq) {
			const struct archset_ent *listed;
			struct archset_ent e;
			char file[256];

			if (!s) {
				s = archset_open(d->dir, ARCHSET_NO_CHECK, &err);
			}
			listed = s ? archset_find(s, name) : NULL;
			/* Killed after its line was appended: nothing left to do but the unlink. */
			if (listed && listed->last_seq == c.last_seq) {
				goto drop;
			}
			if (ckpt_owner(d, name, &c, file, sizeof(file), &e) != 1) {
				snprintf(path, sizeof(path), "%.3800s/%.255s", d->dir, name);
				if (stat(path, &sb) == 0) {
					fprintf(stderr,
						"feedcap-dump: warning: %s: does not hold the %" PRIu64
						" frames its checkpoint names: not indexed from it\n",
						path, c.frames);
				}
				goto drop;
			}
			listed = s ? archset_find(s, file) : NULL;
			if (!listed || listed->last_seq != c.last_seq) {
				if (index_from_ckpt(d, &e, &c) < 0) {
					continue; /* keep the checkpoint for the next try */
				}
				fprintf(stderr,
					"feedcap-dump: %s/%s: indexed from the checkpoint a killed run left\n",
					d->dir, file);
			}
		}
drop:
		snprintf(path, sizeof(path), "%.3800s/%.255s", d->dir, de->d_name);
		(void)unlink(path);
		rc = 0;
	}
	closedir(dir);
	archset_close(s);
	return 0;
}

int dump_recover(struct dump *d, bool *have, uint64_t *last_seq, uint64_t *last_ts)
{
	struct fcr_error err = { 0 };
	char warn[4096] = "", index[PATH_MAX];
	unsigned int n = 0;
	bool first_run;
	struct archset *s;
	uint64_t epoch;
	size_t i, cnt;

	*have = false;
	if (archset_recover_parts(d->dir, d->pattern, d->ring_path, &n, warn, sizeof(warn), &err) <
	    0) {
		fprintf(stderr, "feedcap-dump: --from resume: %s\n", err.msg);
		return 1;
	}
	print_warnings(warn);
	if (n) {
		fprintf(stderr,
			"feedcap-dump: %s: recovered %u archive%s a killed run left (.part)\n",
			d->dir, n, n == 1 ? "" : "s");
	}
	if (finish_orphans(d) < 0) {
		return 1;
	}
	/*
	 * A run killed between a deletion and its tombstone left a line naming a file that is
	 * gone.  The file was deleted because it broke a limit, and still counts against it
	 * (count, age, bytes), so the same rules pick it first again: gone already, it gets
	 * its tombstone.  Without this the line stays until the job next closes a file.
	 */
	dump_retain(d, NULL);
	snprintf(index, sizeof(index), "%.3800s/" ARCHSET_INDEX_NAME, d->dir);
	first_run = access(index, F_OK) != 0;
	/*
	 * The index alone: files renamed but not indexed were finished above from their
	 * checkpoints, and a listing would race other jobs of the directory closing files.
	 */
	s = archset_open(d->dir, ARCHSET_NO_CHECK, &err);
	if (!s) {
		fprintf(stderr, "feedcap-dump: --from resume: %s\n", err.msg);
		return 1;
	}
	if (!first_run) {
		/* What the index lacked or had wrong (on a first run: that there is none). */
		print_warnings(archset_warnings(s));
	}
	*have = archset_resume_point(s, d->pattern, d->ring_path, d->ring_id, last_seq, &epoch);
	if (*have) {
		/* The time of the newest frame of that file: where to look for the next record. */
		cnt = archset_count(s);
		for (i = 0; i < cnt; i++) {
			const struct archset_ent *e = archset_get(s, i);

			if (e->last_seq == *last_seq && e->ring_id == d->ring_id &&
			    strcmp(e->pattern, d->pattern) == 0) {
				*last_ts = e->last_ts;
			}
		}
	}
	archset_close(s);
	return 0;
}
