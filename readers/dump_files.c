/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dump_files.c - feedcap-dump's output files: names, opening NAME.part and its checkpoint,
 * following the writer's durable points, closing (fsync, rename, the index line through
 * archset), and retention (-W, retention_age, retention_bytes) through the index.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dump_internal.h"

/*
 * -w with strftime conversions in its directory part ("%Y%m%d/md-%H%M.pcap"): every directory
 * it names has an index of its own (and its own .part recovery), because the index and
 * everything built on it is per directory (docs/archive-set.md); retention alone takes them
 * all as one set.  A file goes into the directory of its own time (its -G period), made as
 * needed with mkdir -p semantics.
 */
int dump_enter_dir(struct dump *d, uint64_t ts, struct fcr_error *err)
{
	char dir[PATH_MAX];
	int rc = archset_name(d->dirpat, ts, dir, sizeof(dir));

	if (rc < 0) {
		err->code = rc;
		snprintf(err->msg, sizeof(err->msg), "%.400s: directory name too long", d->dirpat);
		return rc;
	}
	for (char *p = dir + 1;; p++) {
		bool end = *p == '\0';

		if (*p == '/' || end) {
			*p = '\0';
			if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
				rc = -errno;
				err->code = rc;
				snprintf(err->msg, sizeof(err->msg), "%.400s: cannot create: %s",
					 dir, strerror(errno));
				return rc;
			}
			if (end) {
				break;
			}
			*p = '/';
		}
	}
	snprintf(d->dir, sizeof(d->dir), "%s", dir);
	return 0;
}

char **dump_dated_dirs(const struct dump *d, size_t *n)
{
	char pat[PATH_MAX], **out = NULL;
	size_t k = 0;
	glob_t g;

	*n = 0;
	/* every conversion may be anything: %Y%m%d -> *** (a glob, not a parse) */
	for (const char *s = d->dirpat; *s && k + 2 < sizeof(pat); s++) {
		if (*s == '%' && s[1]) {
			s++;
			if (*s == '%') {
				pat[k++] = '%';
			} else {
				pat[k++] = '*';
			}
		} else if (strchr("*?[\\", *s)) {
			pat[k++] = '\\';
			pat[k++] = *s;
		} else {
			pat[k++] = *s;
		}
	}
	pat[k] = '\0';
	if (glob(pat, GLOB_ONLYDIR | GLOB_MARK, NULL, &g) != 0) {
		return NULL;
	}
	out = calloc(g.gl_pathc ? g.gl_pathc : 1, sizeof(*out));
	for (size_t i = g.gl_pathc; out && i-- > 0;) { /* glob sorts: newest last */
		size_t l = strlen(g.gl_pathv[i]);
		char *p = strdup(g.gl_pathv[i]);

		if (!p) {
			break;
		}
		if (l > 1 && p[l - 1] == '/') {
			p[l - 1] = '\0';
		}
		/*
		 * The glob is loose (a conversion is any text): 20261122.bak is not a directory
		 * of the pattern, and retention must not delete in it.
		 */
		if (!archset_dirpat_match(d->dirpat, p)) {
			free(p);
			continue;
		}
		out[(*n)++] = p;
	}
	globfree(&g);
	return out;
}

void dump_free_dirs(char **dirs, size_t n)
{
	for (size_t i = 0; dirs && i < n; i++) {
		free(dirs[i]);
	}
	free(dirs);
}

/* The directory a name lives in. */
void dump_dir_of(const char *path, char *out, size_t len)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(out, len, "%s", dirname(tmp));
}

/*
 * What the index of the directory about to be written says of names, read once per
 * directory: the numbers it has seen, tombstones included, so that a -C number is never given
 * again (not even one retention deleted: names of a set then sort in time order, and no name
 * ever stands for two files), and the names it lists, which dump_close_file() removes from it
 * before a file takes one of them again.
 */
static void learn_names(struct dump *d)
{
	struct fcr_error err = { 0 };

	if (d->names && strcmp(d->names_dir, d->dir) == 0) {
		return;
	}
	archset_names_free(d->names);
	d->names = archset_names_load(d->dir, d->pattern, &err);
	if (!d->names) {
		/* Every name is then looked up in the index when its file is complete. */
		fprintf(stderr, "feedcap-dump: warning: %s\n", err.msg);
		return;
	}
	snprintf(d->names_dir, sizeof(d->names_dir), "%s", d->dir);
	if (archset_names_next(d->names) > d->counter) {
		d->counter = archset_names_next(d->names);
	}
}

/*
 * The file name for time ts (the period's start with -G): the pattern's strftime conversions
 * in UTC (archset_name()), numbered (NAME.00003.SUFFIX) when rotating by size or when the name
 * is taken.
 */
static int make_name(struct dump *d, uint64_t ts, bool numbered, char *out, size_t len)
{
	char base[256], name[256], part[PATH_MAX + 8];
	struct stat sb;
	int rc;

	rc = archset_name(d->pattern, ts, base, sizeof(base));
	if (rc < 0) {
		return rc;
	}
	for (;;) {
		if (!numbered) {
			snprintf(name, sizeof(name), "%s", base);
		} else {
			rc = archset_name_numbered(base, d->counter++, name, sizeof(name));
			if (rc < 0) {
				return rc;
			}
		}
		if (snprintf(out, len, "%s/%s", d->dir, name) >= (int)len) {
			return -ENAMETOOLONG;
		}
		/*
		 * A single -w FILE is replaced, as tcpdump does, unless the job resumes: then it
		 * is an earlier run's archive.  Otherwise (rotation, or a new file after a write
		 * error) never replace an archive that exists.  And never touch an existing
		 * NAME.part: another dump may be writing it, or it is what a killed one left,
		 * readable up to its last flush.
		 */
		snprintf(part, sizeof(part), "%s" ARCHSET_PART_SUFFIX, out);
		if (stat(part, &sb) != 0 &&
		    (stat(out, &sb) != 0 || (d->files == 0 && !d->o.rot_ns && !d->o.rot_size &&
					     !numbered && !d->o.resume))) {
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

/*
 * -z CMD, as tcpdump's: CMD FILE for each completed file, not waited for (compressing or
 * shipping a file must not hold up the reader, which would fall behind the ring).  Children
 * that ended are reaped here, at the next file.
 */
static void run_post_cmd(struct dump *d, const char *file)
{
	char *const argv[] = { (char *)(uintptr_t)d->o.post_cmd, (char *)(uintptr_t)file, NULL };
	pid_t pid;
	int rc;

	while (waitpid(-1, NULL, WNOHANG) > 0) {
	}
	rc = posix_spawnp(&pid, d->o.post_cmd, NULL, NULL, argv, environ);
	if (rc != 0) {
		fprintf(stderr, "feedcap-dump: warning: -z %s %s: cannot run it: %s\n",
			d->o.post_cmd, file, strerror(rc));
	}
}

/* ------------------------------------------------------------------ checkpoints */

/* What the index line of the file about to be opened will say, but for what writing adds. */
static void start_entry(struct dump *d)
{
	struct outfile *f = &d->out;
	struct archset_ent *e = &f->ent;
	const char *slash = strrchr(f->final, '/');

	memset(e, 0, sizeof(*e));
	snprintf(e->file, sizeof(e->file), "%.255s", slash ? slash + 1 : f->final);
	snprintf(e->pattern, sizeof(e->pattern), "%.255s", d->pattern);
	snprintf(e->ring, sizeof(e->ring), "%.255s", d->ring_path);
	e->format = d->o.wo.format;
	e->zstd = d->o.wo.zstd_level != 0;
	e->multiframe = e->zstd && d->o.wo.zstd_multiframe;
	e->ring_id = d->ring_id;
	e->lost_before = d->lost_before;
	d->lost_before = 0;

	memset(&f->ck, 0, sizeof(f->ck));
	f->ck.ring_id = d->ring_id;
	f->ck.epoch = d->epoch;
	f->ck.lost_before = e->lost_before;
	f->ck.format = (uint32_t)e->format;
	f->ck.zstd = e->zstd ? (e->multiframe ? 2 : 1) : 0;
}

/*
 * NAME.part.ckpt, created with the file: at first it says "the header, no record", which is
 * what the file holds once fcr_writer_open() returned (its durable point said so).
 */
static int start_ckpt(struct dump *d, struct fcr_error *err)
{
	struct outfile *f = &d->out;
	int rc;

	f->ckpt_fd = open(f->ckpt, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (f->ckpt_fd < 0) {
		rc = -errno;
		err->code = rc;
		snprintf(err->msg, sizeof(err->msg), "%.400s: cannot create the checkpoint: %s",
			 f->ckpt, strerror(-rc));
		return rc;
	}
	f->ck_dirty = true;
	dump_ckpt_sync(d, true);
	return 0;
}

void dump_ckpt_sync(struct dump *d, bool force)
{
	struct outfile *f = &d->out;
	uint64_t now;
	int rc;

	if (!f->ck_dirty || f->ckpt_fd < 0) {
		return;
	}
	now = dump_now_ns(CLOCK_MONOTONIC);
	if (!force && now - f->ck_written_ns < CKPT_EVERY_NS) {
		return;
	}
	/*
	 * The bytes the checkpoint vouches for reach the disk before it does: after a power
	 * loss the checkpoint may be older than the file, never newer (an older one only means
	 * more records are taken again from the ring, into the next file).
	 */
	rc = f->fd < 0 || fdatasync(f->fd) == 0 ? archset_ckpt_write(f->ckpt_fd, &f->ck) : -errno;
	if (rc == 0 && force) {
		rc = fdatasync(f->ckpt_fd) == 0 ? 0 : -errno;
	}
	if (rc < 0 && !d->ckpt_warned) {
		d->ckpt_warned = true;
		fprintf(stderr, "feedcap-dump: warning: %s: cannot write the checkpoint: %s\n",
			f->ckpt, strerror(-rc));
	}
	f->ck_dirty = false;
	f->ck_written_ns = now;
}

/*
 * The writer's durable point (fcr_writer_opts.on_durable, inside its calls): the file's first
 * du->off bytes are a valid archive holding du->frames frames, the ring records first_tag to
 * last_tag.  The checkpoint takes it (written at most every CKPT_EVERY_NS, and when idle or
 * closing) and, where the file can be entered there, the index line gets a seek point.
 */
static void on_durable(void *ctx, const struct fcr_durable *du)
{
	struct dump *d = ctx;
	struct outfile *f = &d->out;
	const struct ringshm_ctl *ctl = ringshm_reader_ctl(d->rd);

	if (du->data_off) {
		f->ent.data_off = du->data_off;
	}
	if (du->seek_off) {
		archset_seek_add(&f->ent, du->seek_off, du->seek_max_ts);
	}
	f->ck.off = du->off;
	f->ck.frames = du->frames;
	f->ck.first_ts = du->first_ts;
	f->ck.last_ts = du->last_ts;
	if (du->have_tag) {
		f->ck.first_seq = du->first_tag;
		f->ck.last_seq = du->last_tag;
	}
	f->ck.epoch = __atomic_load_n(&ctl->epoch, __ATOMIC_RELAXED);
	f->ck_dirty = true;
	dump_ckpt_sync(d, false); /* a no-op while opening: no checkpoint file yet */
}

int dump_write(struct dump *d, const struct fcr_pkt *pkt, uint64_t seq, struct fcr_error *err)
{
	struct outfile *f = &d->out;

	if (!f->have_first_seq) {
		f->have_first_seq = true;
		f->ent.first_seq = seq;
	}
	/* What happened before this frame (dump_add_note(), dump_check_overrun()) goes with it. */
	if (d->pending_drops) {
		fcr_writer_dropcount(f->w, d->pending_drops);
		d->pending_drops = 0;
	}
	if (d->pending_note[0]) {
		(void)fcr_writer_comment(f->w, d->pending_note);
		d->pending_note[0] = '\0';
	}
	return fcr_writer_write(f->w, pkt, seq, err);
}

int dump_tick(struct dump *d, bool now, struct fcr_error *err)
{
	int rc = now ? fcr_writer_flush(d->out.w, err) : fcr_writer_tick(d->out.w, err);

	if (rc == 0) {
		dump_ckpt_sync(d, false);
	}
	return rc;
}

int dump_open_file(struct dump *d, uint64_t ts, struct fcr_error *err)
{
	struct outfile *f = &d->out;
	char comment[1024], t[48];
	int rc;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->ckpt_fd = -1;
	if (d->o.rot_ns) {
		/* -G never goes back: a file's period starts no earlier than the last one's end. */
		f->period = ts - ts % d->o.rot_ns;
		if (f->period < d->min_period) {
			f->period = d->min_period;
		}
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
	d->o.wo.if_filter = fcr_filter_expr(d->flt); /* if_filter of every IDB */
	if (d->to_stdout) {
		f->fd = STDOUT_FILENO;
		snprintf(f->final, sizeof(f->final), "(stdout)");
		snprintf(f->part, sizeof(f->part), "(stdout)");
	} else {
		if (d->dir_dated) {
			rc = dump_enter_dir(d, d->o.rot_ns ? f->period : ts, err);
			if (rc < 0) {
				return rc;
			}
		}
		learn_names(d);
		rc = make_name(d, d->o.rot_ns ? f->period : ts, d->o.rot_size != 0, f->final,
			       sizeof(f->final));
		if (rc < 0 ||
		    snprintf(f->part, sizeof(f->part), "%s" ARCHSET_PART_SUFFIX, f->final) >=
			    (int)sizeof(f->part) ||
		    snprintf(f->ckpt, sizeof(f->ckpt), "%s" ARCHSET_CKPT_SUFFIX, f->final) >=
			    (int)sizeof(f->ckpt)) {
			err->code = -ENAMETOOLONG;
			snprintf(err->msg, sizeof(err->msg), "%s: file name too long", d->o.wpat);
			return -ENAMETOOLONG;
		}
		f->fd = open(f->part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (f->fd < 0 && errno == ENOENT && d->dir_dated) {
			/*
			 * Another job's retention removed the directory between our mkdir and
			 * now, finding it empty: make it again, once.
			 */
			rc = dump_enter_dir(d, d->o.rot_ns ? f->period : ts, err);
			if (rc < 0) {
				return rc;
			}
			f->fd = open(f->part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		}
		if (f->fd < 0) {
			rc = -errno;
			err->code = rc;
			snprintf(err->msg, sizeof(err->msg), "%.400s: cannot create: %s", f->part,
				 strerror(-rc));
			return rc;
		}
		/*
		 * Held until NAME.part is renamed: another run of the job, started while this
		 * one writes, recovers only the .part files nobody holds (archset_parts.c).
		 * It fails only if such a run took the file in the moment since it was made.
		 */
		if (flock(f->fd, LOCK_EX | LOCK_NB) != 0) {
			rc = -errno;
			err->code = rc;
			snprintf(err->msg, sizeof(err->msg), "%.400s: cannot lock: %s", f->part,
				 strerror(-rc));
			close(f->fd);
			f->fd = -1;
			return rc;
		}
	}
	start_entry(d);
	if (!d->to_stdout) {
		d->o.wo.on_durable = on_durable;
		d->o.wo.durable_ctx = d;
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
	if (!d->to_stdout) {
		rc = start_ckpt(d, err);
		if (rc < 0) {
			return rc;
		}
	}
	return 0;
}

/*
 * -W, retention_age, retention_bytes: through the index, this pattern's archives only, over
 * the whole set: with dated directories, every directory the pattern makes (the retainer
 * reads again only the indexes that changed, and removes the directories it empties).  keep:
 * the path of the file just written, never deleted (may be NULL).
 */
void dump_retain(struct dump *d, const char *keep)
{
	struct archset_retention r = {
		.keep_files = d->o.keep,
		.max_age_ns = d->o.retention_age_ns,
		.max_bytes = d->o.retention_bytes,
	};
	const char *one[1] = { d->dir };
	const char *const *dirs = one;
	struct fcr_error err = { 0 };
	size_t n = 1;

	if (!r.keep_files && !r.max_age_ns && !r.max_bytes) {
		return;
	}
	if (!d->keeper) {
		d->keeper = archset_retainer_create(d->pattern, &r, d->dir_dated ? d->root : NULL,
						    &err);
		if (!d->keeper) {
			fprintf(stderr, "feedcap-dump: warning: retention: %s\n", err.msg);
			return;
		}
	}
	/*
	 * The directories change when a file goes into a new one: listed (a glob, each name
	 * checked against the pattern) then, not after every file.  One that retention removed
	 * since stays in the list meanwhile, as a directory without an index.
	 */
	if (d->dir_dated && strcmp(d->set_dirs_at, d->dir) != 0) {
		dump_free_dirs(d->set_dirs, d->nset_dirs);
		d->set_dirs = dump_dated_dirs(d, &d->nset_dirs);
		snprintf(d->set_dirs_at, sizeof(d->set_dirs_at), "%s", d->dir);
	}
	if (d->dir_dated && d->set_dirs && d->nset_dirs) {
		dirs = (const char *const *)d->set_dirs;
		n = d->nset_dirs;
	}
	if (archset_retainer_run(d->keeper, dirs, n, dump_now_ns(CLOCK_REALTIME), keep, NULL,
				 &err) < 0) {
		fprintf(stderr, "feedcap-dump: warning: retention: %s\n", err.msg);
	}
}

/*
 * Close the current file: ISBs, the end of the zstd frame, fsync, the final checkpoint,
 * rename NAME.part to NAME, the index line, the checkpoint removed, retention.  A file whose
 * writer broke is sealed at its last durable frame and still renamed: it is valid, and what
 * it holds is what the index says.  A kill between two steps leaves what dump_recover()
 * finishes: a .part with its checkpoint, or NAME with a checkpoint and no index line.
 */
int dump_close_file(struct dump *d, struct fcr_error *err)
{
	struct outfile *f = &d->out;
	const struct ringshm_ctl *ctl;
	struct fcr_writer_stats st;
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
	if (d->o.rot_ns) {
		d->min_period = f->period + d->o.rot_ns;
	}
	if (rc < 0) {
		/* The file was cut back to its last durable frame: that is what it holds. */
		*err = cerr;
		ret = rc;
	}
	d->written += st.frames;
	d->cbytes_closed += st.bytes_in;
	d->bytes_out += st.bytes_out;
	if (d->to_stdout) {
		d->files++;
		/* the reader went away while the end was written (| head, Wireshark stopping) */
		return ret == -EPIPE ? 0 : ret;
	}
	if (rc < 0 && st.frames == 0) {
		/* A write error before any frame: no archive worth keeping (nor listing). */
		close(f->fd);
		f->fd = -1;
		unlink(f->part);
		goto out_ckpt;
	}
	d->files++;
	if (fsync(f->fd) != 0 && ret == 0) {
		ret = -errno;
		err->code = ret;
		snprintf(err->msg, sizeof(err->msg), "%.400s: fsync failed: %s", f->part,
			 strerror(errno));
	}

	/* What the file holds now, complete or cut back to its last durable frame. */
	if (rc == 0) {
		f->ck.first_ts = st.first_ts_ns;
		f->ck.last_ts = st.last_ts_ns;
	}
	f->ck.off = st.bytes_out;
	f->ck.frames = st.frames;
	f->ck.first_seq = st.frames ? f->ent.first_seq : 0; /* the trailer's push is not reported */
	f->ck.last_seq = st.frames && st.durable ? st.durable_tag : 0;
	f->ck.flags |= ARCHSET_CKPT_SEALED; /* recovery must not end the zstd frame again */
	f->ck_dirty = true;
	dump_ckpt_sync(d, true);

	/*
	 * A name the index lists already (a single -w FILE replaced, a file deleted by hand and
	 * made again): its old line goes first, so that it never describes this file, not even
	 * if we die between the rename and our own line.
	 */
	if (!d->names || archset_names_listed(d->names, f->ent.file)) {
		if (archset_index_forget(d->dir, f->ent.file, &cerr) < 0) {
			fprintf(stderr, "feedcap-dump: warning: %s\n", cerr.msg);
		}
	}
	rc = rename(f->part, f->final) == 0 ? 0 : -errno;
	close(f->fd); /* and with it the lock, once there is no .part of this name */
	f->fd = -1;
	if (rc < 0) {
		err->code = rc;
		snprintf(err->msg, sizeof(err->msg), "cannot rename %.240s to %.240s: %s", f->part,
			 f->final, strerror(-rc));
		close(f->ckpt_fd);
		f->ckpt_fd = -1;
		return rc;
	}
	{
		int dfd = open(d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	if (d->o.post_cmd) {
		run_post_cmd(d, f->final);
	}
	f->ent.first_ts = f->ck.first_ts;
	f->ent.last_ts = f->ck.last_ts;
	f->ent.frames = st.frames;
	f->ent.bytes = st.bytes_out;
	f->ent.epoch = f->ck.epoch;
	f->ent.first_seq = f->ck.first_seq;
	f->ent.last_seq = f->ck.last_seq;
	while (f->ent.nseek && f->ent.seek[f->ent.nseek - 1].off >= st.bytes_out) {
		f->ent.nseek--; /* past a cut-back end */
	}
	if (archset_index_append(d->dir, &f->ent, &cerr) != 0) {
		fprintf(stderr, "feedcap-dump: warning: %s\n", cerr.msg);
		/* Keep the checkpoint: the next resume indexes the file from it. */
		close(f->ckpt_fd);
		f->ckpt_fd = -1;
		return ret;
	}
	if (d->names && archset_names_add(d->names, f->ent.file) < 0) {
		archset_names_free(d->names); /* look every name up in the index instead */
		d->names = NULL;
	}
	dump_retain(d, f->final);
out_ckpt:
	if (f->ckpt_fd >= 0) {
		close(f->ckpt_fd);
		f->ckpt_fd = -1;
		unlink(f->ckpt);
	}
	return ret;
}
