/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dump_files.c - feedcap-dump's output files: names, opening NAME.part, closing (fsync,
 * rename, index), and retention (-W, retention_age).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dump_internal.h"

/* The directory a name lives in. */
void dump_dir_of(const char *path, char *out, size_t len)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(out, len, "%s", dirname(tmp));
}

/*
 * The file name for a period starting at ts: strftime() in UTC, then a sequence number
 * inserted before the archive suffix when rotating by size or when the name is taken.
 */
static int make_name(struct dump *d, uint64_t ts, bool numbered, char *out, size_t len)
{
	static const char *const sufs[] = { ".pcapng.zst", ".pcap.zst", ".pcapng", ".pcap",
					    ".zst" };
	time_t t = (time_t)(ts / NS_PER_S);
	char base[PATH_MAX], part[PATH_MAX + 8];
	struct stat sb;
	struct tm tm;
	size_t i, n;

	gmtime_r(&t, &tm);
	if (strchr(d->o.wpat, '%')) {
		n = strftime(base, sizeof(base), d->o.wpat, &tm);
		if (n == 0) {
			return -ENAMETOOLONG;
		}
	} else {
		snprintf(base, sizeof(base), "%s", d->o.wpat);
	}
	for (;;) {
		if (!numbered) {
			snprintf(out, len, "%s", base);
		} else {
			const char *suf = "";

			for (i = 0; i < sizeof(sufs) / sizeof(sufs[0]); i++) {
				if (dump_has_suffix(base, sufs[i])) {
					suf = sufs[i];
					break;
				}
			}
			n = strlen(base) - strlen(suf);
			snprintf(out, len, "%.*s.%05" PRIu64 "%s", (int)n, base, d->counter, suf);
			d->counter++;
		}
		/*
		 * A single -w FILE is replaced, as tcpdump does.  Otherwise (rotation, or a new
		 * file after a write error) never replace an archive that exists.  And never
		 * touch an existing NAME.part: another dump may be writing it, or it is what a
		 * killed one left, readable up to its last flush.
		 */
		snprintf(part, sizeof(part), "%s.part", out);
		if (stat(part, &sb) != 0 &&
		    (stat(out, &sb) != 0 ||
		     (d->files == 0 && !d->o.rot_ns && !d->o.rot_size && !numbered))) {
			return 0;
		}
		numbered = true;
	}
}

static void set_ports(struct dump *d)
{
	const struct ringshm_ctl *ctl = ringshm_reader_ctl(d->rd);
	uint32_t n = __atomic_load_n(&ctl->nports, __ATOMIC_RELAXED), i;

	if (n > RINGSHM_MAX_PORTS) {
		n = RINGSHM_MAX_PORTS;
	}
	for (i = 0; i < n; i++) {
		snprintf(d->ports[i].name, sizeof(d->ports[i].name), "%.63s", ctl->ports[i].name);
		snprintf(d->ports[i].descr, sizeof(d->ports[i].descr), "feedcap capture port %u",
			 i);
	}
	d->o.wo.nports = n;
	d->o.wo.ports = d->ports;
}

int dump_open_file(struct dump *d, uint64_t ts, struct fcr_error *err)
{
	struct outfile *f = &d->out;
	char comment[1024], t[48];
	int rc;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	if (d->o.rot_ns) {
		f->period = ts - ts % d->o.rot_ns;
	}
	set_ports(d);
	{
		uint8_t blk[RINGSHM_CLOCK_BLOCK_SIZE];
		char words[320] = "not published";
		int n = ringshm_reader_clock(d->rd, blk, sizeof(blk));

		if (n > 0 && !dump_clock_words(blk, (uint32_t)n, words, sizeof(words))) {
			snprintf(words, sizeof(words), "unreadable (%d bytes)", n);
		}
		snprintf(
			comment, sizeof(comment),
			"feedcap-dump %s from ring %.200s; filter '%.200s'; file started %s; clock: %s",
			FEEDCAP_VERSION, d->o.ring, fcr_filter_expr(d->flt),
			fcr_format_time(dump_now_ns(CLOCK_REALTIME), t, sizeof(t)), words);
	}
	d->o.wo.shb_comment = comment;
	if (d->to_stdout) {
		f->fd = STDOUT_FILENO;
		snprintf(f->final, sizeof(f->final), "(stdout)");
		snprintf(f->part, sizeof(f->part), "(stdout)");
	} else {
		rc = make_name(d, d->o.rot_ns ? f->period : ts, d->o.rot_size != 0, f->final,
			       sizeof(f->final));
		if (rc < 0 || snprintf(f->part, sizeof(f->part), "%s.part", f->final) >=
				      (int)sizeof(f->part)) {
			err->code = -ENAMETOOLONG;
			snprintf(err->msg, sizeof(err->msg), "%s: file name too long", d->o.wpat);
			return -ENAMETOOLONG;
		}
		f->fd = open(f->part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (f->fd < 0) {
			rc = -errno;
			err->code = rc;
			snprintf(err->msg, sizeof(err->msg), "%.400s: cannot create: %s", f->part,
				 strerror(-rc));
			return rc;
		}
	}
	f->w = fcr_writer_open(f->fd, f->part, &d->o.wo, err);
	if (!f->w) {
		rc = -errno;
		if (!d->to_stdout) {
			close(f->fd);
			unlink(f->part);
		}
		return rc;
	}
	f->open = true;
	if (d->pending_note[0]) {
		(void)fcr_writer_comment(f->w, d->pending_note);
		d->pending_note[0] = '\0';
	}
	return 0;
}

static void keep_limit(struct dump *d, const char *name)
{
	char **k;

	if (!d->o.keep) {
		return;
	}
	k = realloc(d->kept, (d->nkept + 1) * sizeof(*k));
	if (!k) {
		return;
	}
	d->kept = k;
	d->kept[d->nkept++] = strdup(name);
	while (d->nkept > d->o.keep) {
		if (d->kept[0] && unlink(d->kept[0]) != 0 && errno != ENOENT) {
			fprintf(stderr, "feedcap-dump: cannot remove %s (-W %u): %s\n", d->kept[0],
				d->o.keep, strerror(errno));
		}
		free(d->kept[0]);
		memmove(d->kept, d->kept + 1, (d->nkept - 1) * sizeof(*k));
		d->nkept--;
	}
}

/*
 * A glob for the names the -w pattern makes: strftime conversions become '*', and the
 * numbered form (NAME.00003.SUFFIX) is a second glob.  Used to find, in the directory's index,
 * the archives earlier runs of the same pattern left, so that -W counts them too (a service
 * restarted by systemd must not grow the directory without bound).
 */
static void pattern_globs(const char *pat, char *g, char *gnum, size_t len)
{
	static const char *const sufs[] = { ".pcapng.zst", ".pcap.zst", ".pcapng", ".pcap",
					    ".zst" };
	const char *base = strrchr(pat, '/') ? strrchr(pat, '/') + 1 : pat, *suf = "";
	size_t n = 0, i, cut;

	for (i = 0; base[i] && n + 3 < len; i++) {
		if (base[i] == '%' && base[i + 1]) {
			i++;
			if (base[i] == '%') {
				g[n++] = '%';
				continue;
			}
			if ((base[i] == 'E' || base[i] == 'O') && base[i + 1]) {
				i++;
			}
			if (n == 0 || g[n - 1] != '*') {
				g[n++] = '*';
			}
			continue;
		}
		if (strchr("*?[\\", base[i])) {
			g[n++] = '\\';
		}
		g[n++] = base[i];
	}
	g[n] = '\0';
	for (i = 0; i < sizeof(sufs) / sizeof(sufs[0]); i++) {
		if (dump_has_suffix(g, sufs[i])) {
			suf = sufs[i];
			break;
		}
	}
	cut = strlen(g) - strlen(suf);
	snprintf(gnum, len, "%.*s.[0-9][0-9][0-9][0-9][0-9]%s", (int)cut, g, suf);
}

static int cmp_ent(const void *a, const void *b)
{
	const struct fcr_index_ent *x = a, *y = b;

	if (x->first_ts != y->first_ts) {
		return x->first_ts < y->first_ts ? -1 : 1;
	}
	return strcmp(x->file, y->file);
}

/* -W: start the list of kept files with what earlier runs of this pattern left (oldest first). */
void dump_seed_kept(struct dump *d)
{
	char g[PATH_MAX], gnum[PATH_MAX + 32], path[PATH_MAX];
	struct fcr_index_ent *ents;
	struct stat sb;
	int n, i;

	if (!d->o.keep || d->to_stdout) {
		return;
	}
	pattern_globs(d->o.wpat, g, gnum, sizeof(g));
	n = fcr_index_read(d->dir, &ents, NULL);
	if (n <= 0) {
		return;
	}
	qsort(ents, (size_t)n, sizeof(*ents), cmp_ent);
	for (i = 0; i < n; i++) {
		char **k;

		if (fnmatch(g, ents[i].file, 0) != 0 && fnmatch(gnum, ents[i].file, 0) != 0) {
			continue;
		}
		snprintf(path, sizeof(path), "%.3000s/%.255s", d->dir, ents[i].file);
		if (stat(path, &sb) != 0) {
			continue;
		}
		k = realloc(d->kept, (d->nkept + 1) * sizeof(*k));
		if (!k) {
			break;
		}
		d->kept = k;
		d->kept[d->nkept++] = strdup(path);
	}
	free(ents);
}

/*
 * The job's retention_age: delete the archives the directory's index lists whose last frame
 * is older than that (only files this tool wrote and indexed, never anything else).
 */
static void prune_by_age(struct dump *d)
{
	uint64_t now = dump_now_ns(CLOCK_REALTIME);
	struct fcr_index_ent *ents;
	char path[PATH_MAX];
	int n, i;

	n = fcr_index_read(d->dir, &ents, NULL);
	for (i = 0; i < n; i++) {
		if (ents[i].last_ts && ents[i].last_ts + d->o.retention_age_ns < now &&
		    !strchr(ents[i].file, '/')) {
			snprintf(path, sizeof(path), "%.3000s/%.255s", d->dir, ents[i].file);
			if (unlink(path) != 0 && errno != ENOENT) {
				fprintf(stderr,
					"feedcap-dump: cannot remove %s (retention_age): %s\n",
					path, strerror(errno));
			}
		}
	}
	if (n > 0) {
		free(ents);
	}
}

/*
 * Close the current file: ISBs, the end of the zstd frame, fsync, rename NAME.part to NAME,
 * the index.  A file whose writer broke is sealed at its last durable frame and still renamed:
 * it is valid, and what it holds is what the index says.
 */
int dump_close_file(struct dump *d, struct fcr_error *err)
{
	struct outfile *f = &d->out;
	const struct ringshm_ctl *ctl;
	struct fcr_writer_stats st;
	struct fcr_index_ent ent;
	struct fcr_error cerr = { 0 };
	uint32_t i;
	int rc, ret = 0;

	if (!f->open) {
		return 0;
	}
	ctl = ringshm_reader_ctl(d->rd);
	for (i = 0; i < d->o.wo.nports || i == 0; i++) {
		struct fcr_isb isb = { 0 };

		if (i < RINGSHM_MAX_PORTS && i < d->o.wo.nports) {
			isb.if_recv = __atomic_load_n(&ctl->ports[i].rx_frames, __ATOMIC_RELAXED);
			isb.if_drop = __atomic_load_n(&ctl->ports[i].imissed, __ATOMIC_RELAXED) +
				      __atomic_load_n(&ctl->ports[i].rx_nombuf, __ATOMIC_RELAXED);
		}
		if (i == 0) {
			isb.os_drop = f->lost;
			isb.filter_accept = f->accepted;
		}
		fcr_writer_set_isb(f->w, i, &isb);
	}
	rc = fcr_writer_finish(f->w, &st, &cerr);
	if (st.durable) {
		d->have_durable = true;
		d->durable_seq = st.durable_tag;
	}
	f->w = NULL;
	f->open = false;
	if (rc < 0) {
		*err = cerr;
		ret = rc;
		/* The file was cut back to its last durable frame: that is what it holds. */
	} else if (st.frames) {
		/* Closed cleanly: every frame given to it is in it. */
	}
	d->written += st.frames;
	d->cbytes_closed += st.bytes_in;
	d->bytes_out += st.bytes_out;
	if (d->to_stdout) {
		d->files++;
		return ret;
	}
	if (rc < 0 && st.frames == 0) {
		/* A write error before any frame: no archive worth keeping (nor listing). */
		close(f->fd);
		f->fd = -1;
		unlink(f->part);
		return ret;
	}
	d->files++;
	if (fsync(f->fd) != 0 && ret == 0) {
		ret = -errno;
		err->code = ret;
		snprintf(err->msg, sizeof(err->msg), "%.400s: fsync failed: %s", f->part,
			 strerror(errno));
	}
	close(f->fd);
	f->fd = -1;
	if (rename(f->part, f->final) != 0) {
		rc = -errno;
		err->code = rc;
		snprintf(err->msg, sizeof(err->msg), "cannot rename %.240s to %.240s: %s", f->part,
			 f->final, strerror(errno));
		return rc;
	}
	{
		int dfd = open(d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	keep_limit(d, f->final);
	memset(&ent, 0, sizeof(ent));
	{
		char tmp[PATH_MAX];

		snprintf(tmp, sizeof(tmp), "%s", f->final);
		snprintf(ent.file, sizeof(ent.file), "%s", basename(tmp));
	}
	ent.first_ts = st.first_ts_ns;
	ent.last_ts = st.last_ts_ns;
	ent.frames = st.frames;
	ent.bytes = st.bytes_out;
	ent.format = d->o.wo.format;
	ent.zstd = d->o.wo.zstd_level != 0;
	if (fcr_index_add(d->dir, &ent, &cerr) != 0) {
		fprintf(stderr, "feedcap-dump: warning: %s\n", cerr.msg);
	}
	if (d->o.retention_age_ns) {
		prune_by_age(d);
	}
	return ret;
}
