/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archset_parts.c - what a killed writer leaves: NAME.part (and NAME.part.ckpt), made into a
 * valid, indexed archive before a job starts again.
 *
 * With a checkpoint, the file is cut to the checkpoint's durable offset, which the writer
 * reported after the bytes up to it had reached the file: a plain file ends there on a record,
 * a zstd stream on a flushed block (single frame: it gets the 3-byte empty last block that
 * ends a frame, RFC 8878 3.1.1.2) or a frame end (several frames).  The checkpoint also knows
 * which ring records those bytes hold, which is what lets the job resume right after them.
 *
 * Without a usable checkpoint (none yet, torn, or claiming more than a file cut by a power
 * loss holds), the file is read as far as it goes: a plain one is cut after its last complete
 * record; a zstd one is decompressed that far and compressed again (cutting a zstd stream
 * anywhere but a block end would need parsing its blocks).  It is indexed without sequence
 * numbers: the job cannot know which records it holds, and resumes from what it does know.
 *
 * A running writer holds LOCK_EX on its .part (flock): such a file is never touched here.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "archset_internal.h"

#define PART_LEN (sizeof(ARCHSET_PART_SUFFIX) - 1)

/* ------------------------------------------------------------------ salvage */

/* Frames readable in the file, and where the last complete record ends (uncompressed). */
static int readable_prefix(const char *path, uint64_t *frames, uint64_t *good, bool *zstd)
{
	struct fcr_archive *a = fcr_archive_open(path, NULL);
	struct fcr_pkt pkt;

	*frames = 0;
	if (!a) {
		/*
		 * EPROTO: not even a container header (a writer killed between creating the
		 * file and its first write): nothing readable, which is 0 frames, not an error
		 * that would stop every later run of the job at this file.
		 */
		return errno == EPROTO ? 0 : -errno;
	}
	while (fcr_archive_next(a, &pkt) == 1) {
		++*frames;
	}
	*zstd = fcr_archive_compressed(a);
	*good = fcr_archive_offset(a);
	fcr_archive_close(a);
	return 0;
}

/* Compress the first `keep` uncompressed bytes of zstd file src again into dst. */
static int rezstd(int src, int dst, uint64_t keep)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t icap = ZSTD_DStreamInSize(), mcap = ZSTD_DStreamOutSize();
	size_t ocap = ZSTD_CStreamOutSize();
	uint8_t *ib = malloc(icap), *mb = malloc(mcap), *ob = malloc(ocap);
	uint64_t done = 0;
	off_t coff = 0;
	int rc = 0;

	if (!d || !c || !ib || !mb || !ob) {
		rc = -ENOMEM;
		goto out;
	}
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 1);
	while (rc == 0 && done < keep) {
		ssize_t n = pread(src, ib, icap, coff);
		ZSTD_inBuffer in = { ib, n > 0 ? (size_t)n : 0, 0 };

		if (n <= 0) {
			rc = n < 0 ? -errno : -EPROTO;
			break;
		}
		coff += n;
		while (rc == 0 && in.pos < in.size && done < keep) {
			ZSTD_outBuffer mo = { mb, mcap, 0 };
			size_t r = ZSTD_decompressStream(d, &mo, &in);

			if (ZSTD_isError(r)) {
				rc = -EPROTO;
				break;
			}
			if (mo.pos > keep - done) {
				mo.pos = (size_t)(keep - done);
			}
			done += mo.pos;

			ZSTD_inBuffer ci = { mb, mo.pos, 0 };

			while (rc == 0 && ci.pos < ci.size) {
				ZSTD_outBuffer co = { ob, ocap, 0 };

				if (ZSTD_isError(
					    ZSTD_compressStream2(c, &co, &ci, ZSTD_e_continue))) {
					rc = -EIO;
				} else {
					rc = archset_write_all(dst, ob, co.pos);
				}
			}
		}
	}
	for (size_t rem = 1; rc == 0 && rem;) {
		ZSTD_inBuffer ci = { NULL, 0, 0 };
		ZSTD_outBuffer co = { ob, ocap, 0 };

		rem = ZSTD_compressStream2(c, &co, &ci, ZSTD_e_end);
		rc = ZSTD_isError(rem) ? -EIO : archset_write_all(dst, ob, co.pos);
	}
out:
	ZSTD_freeDCtx(d);
	ZSTD_freeCCtx(c);
	free(ib);
	free(mb);
	free(ob);
	return rc;
}

/*
 * Make path (a .part, fd open on it) valid as far as it reads.  *frames: what it keeps.
 * @return 0 or -errno.
 */
static int salvage(const char *path, int fd, uint64_t *frames)
{
	uint64_t good;
	bool zstd;
	int rc = readable_prefix(path, frames, &good, &zstd);
	char tmp[4200];
	int tfd;

	if (rc < 0 || *frames == 0) {
		return rc;
	}
	if (!zstd) {
		return ftruncate(fd, (off_t)good) == 0 ? 0 : -errno;
	}
	/* NAME.salvage.part: an own name, skipped by listings while it exists */
	snprintf(tmp, sizeof(tmp), "%.*s.salvage%s", (int)(strlen(path) - PART_LEN), path,
		 ARCHSET_PART_SUFFIX);
	tfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (tfd < 0) {
		return -errno;
	}
	rc = rezstd(fd, tfd, good);
	if (rc == 0 && fsync(tfd) != 0) {
		rc = -errno;
	}
	close(tfd);
	if (rc == 0 && rename(tmp, path) != 0) {
		rc = -errno;
	}
	if (rc < 0) {
		unlink(tmp);
	}
	return rc;
}

/* ------------------------------------------------------------------ one .part */

/* Cut fd to the checkpoint and end it there.  0, or -errno (then the file is salvaged). */
static int apply_ckpt(int fd, const struct archset_ckpt *c)
{
	static const uint8_t last_empty_raw_block[3] = { 0x01, 0x00, 0x00 };
	struct stat st;

	if (fstat(fd, &st) != 0) {
		return -errno;
	}
	if ((uint64_t)st.st_size < c->off) {
		return -ERANGE; /* the checkpoint outlived the data (a power loss) */
	}
	if (ftruncate(fd, (off_t)c->off) != 0) {
		return -errno;
	}
	/* A sealed file's frame is ended already: the block would be garbage after it. */
	if (c->zstd == 1 && !(c->flags & ARCHSET_CKPT_SEALED) &&
	    pwrite(fd, last_empty_raw_block, 3, (off_t)c->off) != 3) {
		return errno ? -errno : -EIO;
	}
	return fsync(fd) == 0 ? 0 : -errno;
}

/*
 * NAME, or NAME.00001... if taken: renamed without ever replacing a file, nor taking a name the
 * index lists (its line would describe this file until ours comes).  0 or -errno.
 */
static int rename_free(const char *dir, const char *part, const char *name,
		       const struct archset_names *listed, char *final, size_t len)
{
	char from[4096], to[4096];
	uint64_t n;

	snprintf(from, sizeof(from), "%s/%s", dir, part);
	snprintf(final, len, "%s", name);
	for (n = 1; n < 100000; n++) {
		snprintf(to, sizeof(to), "%s/%s", dir, final);
		if (listed && archset_names_listed(listed, final)) {
			errno = EEXIST;
		} else if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0) {
			return 0;
		}
		if (errno != EEXIST) {
			return -errno;
		}
		if (archset_name_numbered(name, n, final, len) < 0) {
			return -ENAMETOOLONG;
		}
	}
	return -EEXIST;
}

struct recover_ctx {
	const char *dir, *pattern, *ring;
	struct archset_names *listed; /* NULL: the index could not be read */
	struct archset_warn w;
	unsigned int nrecovered;
};

static int recover_one(struct recover_ctx *rc_, const char *part, struct fcr_error *err)
{
	const char *dir = rc_->dir;
	char name[256], path[4096], ckpath[4200], final[256];
	struct archset_ckpt c;
	struct archset_ent e;
	struct fcr_error rerr = { 0 };
	bool have_ckpt = false;
	uint64_t frames = 0;
	int fd, cfd, rc;

	snprintf(name, sizeof(name), "%.*s", (int)(strlen(part) - PART_LEN), part);
	snprintf(path, sizeof(path), "%s/%s", dir, part);
	snprintf(ckpath, sizeof(ckpath), "%s%s", path, ".ckpt");
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		return errno == ENOENT ? 0
				       : archset_fail(err, -errno, "%s: cannot open: %s", path,
						      strerror(errno));
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		archset_warnf(&rc_->w, "%s: a running writer holds it: left alone", path);
		return 0;
	}
	cfd = open(ckpath, O_RDONLY | O_CLOEXEC);
	if (cfd >= 0) {
		have_ckpt = archset_ckpt_read(cfd, &c) == 0;
		close(cfd);
	}
	if (have_ckpt && c.frames == 0) {
		archset_warnf(&rc_->w, "%s: no frame had reached the file: removed", path);
		goto drop;
	}
	if (have_ckpt) {
		rc = apply_ckpt(fd, &c);
		if (rc < 0) {
			archset_warnf(&rc_->w,
				      "%s: its checkpoint (%" PRIu64 " bytes, %" PRIu64
				      " frames) cannot be applied (%s): read as far as it goes",
				      path, c.off, c.frames, strerror(-rc));
			have_ckpt = false;
		}
	}
	if (!have_ckpt) {
		rc = salvage(path, fd, &frames);
		if (rc < 0) {
			close(fd);
			return archset_fail(err, rc, "%s: cannot recover it: %s", path,
					    strerror(-rc));
		}
		if (frames == 0) {
			archset_warnf(&rc_->w, "%s: no complete frame: removed", path);
			goto drop;
		}
	}
	rc = archset_entry_from_file(dir, part, &e, &rerr);
	if (rc < 0 && e.frames == 0) {
		close(fd);
		return archset_fail(err, rc, "%s", rerr.msg);
	}
	if (have_ckpt && (rc < 0 || e.frames != c.frames)) {
		archset_warnf(&rc_->w,
			      "%s: holds %" PRIu64 " frames where its checkpoint says %" PRIu64
			      ": indexed without sequence numbers",
			      path, e.frames, c.frames);
		have_ckpt = false;
	}
	snprintf(e.pattern, sizeof(e.pattern), "%s", archset_base_of(rc_->pattern));
	snprintf(e.ring, sizeof(e.ring), "%s", rc_->ring ? rc_->ring : "");
	if (have_ckpt) {
		e.repaired = false;
		e.ring_id = c.ring_id;
		e.epoch = c.epoch;
		e.first_seq = c.first_seq;
		e.last_seq = c.last_seq;
		e.lost_before = c.lost_before;
	} else {
		archset_warnf(&rc_->w,
			      "%s: no usable checkpoint: kept as far as it reads (%" PRIu64
			      " frames), without sequence numbers",
			      path, e.frames);
	}
	rc = rename_free(dir, part, name, rc_->listed, final, sizeof(final));
	close(fd);
	if (rc < 0) {
		return archset_fail(err, rc, "%s: cannot rename it to %s: %s", path, name,
				    strerror(-rc));
	}
	/*
	 * The line first, then the checkpoint goes: killed in between, the next run finds NAME
	 * beside NAME.part.ckpt and indexes it from there (dump_recover.c).  The other order
	 * would leave NAME with neither, indexed later from its contents without sequence
	 * numbers, and its records taken from the ring a second time.
	 */
	snprintf(e.file, sizeof(e.file), "%s", final);
	rc = archset_index_append(dir, &e, err);
	if (rc < 0) {
		return rc;
	}
	unlink(ckpath);
	if (rc_->listed && archset_names_add(rc_->listed, final) < 0) {
		archset_names_free(rc_->listed);
		rc_->listed = NULL;
	}
	archset_warnf(&rc_->w, "%s: recovered as %s/%s (%" PRIu64 " frames)", path, dir, final,
		      e.frames);
	rc_->nrecovered++;
	return 0;

drop:
	unlink(path);
	unlink(ckpath);
	close(fd);
	return 0;
}

int archset_recover_parts(const char *dir, const char *pattern, const char *ring,
			  unsigned int *nrecovered, char *warn, size_t warnlen,
			  struct fcr_error *err)
{
	struct recover_ctx ctx = { .dir = dir, .pattern = pattern, .ring = ring };
	struct archset_dirlist parts = { 0 };
	DIR *d = opendir(dir);
	struct dirent *de;
	regex_t re;
	size_t i;
	int rc = 0, first = 0;

	if (nrecovered) {
		*nrecovered = 0;
	}
	if (warn && warnlen) {
		warn[0] = '\0';
	}
	if (!d) {
		return archset_fail(err, -errno, "%s: cannot list the directory: %s", dir,
				    strerror(errno));
	}
	rc = archset_pat_compile(pattern, &re);
	if (rc < 0) {
		closedir(d);
		return archset_fail(err, rc, "%s: cannot make a name pattern of it", pattern);
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		char name[256];

		if (l <= PART_LEN || l >= sizeof(name) + PART_LEN ||
		    strcmp(de->d_name + l - PART_LEN, ARCHSET_PART_SUFFIX) != 0) {
			continue;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(l - PART_LEN), de->d_name);
		if (archset_pat_test(&re, name)) {
			struct archset_dirlist *p = &parts;
			char **nn = realloc(p->names, (p->n + 1) * sizeof(*nn));

			if (!nn || !(nn[p->n] = strdup(de->d_name))) {
				p->names = nn ? nn : p->names;
				rc = -ENOMEM;
				break;
			}
			p->names = nn;
			p->n++;
		}
	}
	closedir(d);
	regfree(&re);
	if (rc == 0 && parts.n) {
		ctx.listed = archset_names_load(dir, pattern, NULL);
	}
	for (i = 0; rc == 0 && i < parts.n; i++) {
		int r = recover_one(&ctx, parts.names[i], first ? NULL : err);

		if (r < 0 && !first) {
			first = r; /* the others are still tried */
		}
	}
	if (rc == -ENOMEM) {
		first = archset_fail(err, rc, "%s: out of memory", dir);
	}
	if (ctx.nrecovered) {
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	if (warn && warnlen) {
		snprintf(warn, warnlen, "%s", archset_warn_str(&ctx.w));
	}
	archset_warn_free(&ctx.w);
	archset_names_free(ctx.listed);
	for (i = 0; i < parts.n; i++) {
		free(parts.names[i]);
	}
	free(parts.names);
	if (nrecovered) {
		*nrecovered = ctx.nrecovered;
	}
	return first;
}
