/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archset.h - a directory of archives as one time-indexed set: the index, the names a -w
 * pattern makes, retention, lookup by time, and the resume point of an archive job.
 * feedcap-dump writes through it, feedcap-replay and feedcap-stat read through it; nothing
 * else touches the index.
 *
 * The index (ARCHSET_INDEX_NAME in the directory) is JSON lines, append-only on the write path:
 *
 *   {"v":2,"file":"md-20261122T0010.pcap.zst","first_ts":...,"last_ts":...,"first":"...Z",
 *    "last":"...Z","frames":123,"bytes":4567,"format":"pcap","zstd":true,"multiframe":false,
 *    "pattern":"md-%Y%m%dT%H%M.pcap.zst","ring":"/run/feedcap/md","ring_id":179...,
 *    "epoch":3,"first_seq":1001,"last_seq":2000,"lost_before":0,"data_off":24,
 *    "seek":[[1048600,61234],[2097176,1000234567],...]}
 *   {"v":2,"removed":"md-20261121T0010.pcap.zst"}
 *
 * One line is one complete archive (or a tombstone for one that retention deleted), written
 * with a single write() to a descriptor opened O_APPEND under flock(LOCK_EX), then fsynced: two
 * jobs sharing a directory never lose each other's lines, and a crash leaves at most a partial
 * last line, which readers skip.  The last line naming a file wins.  Only archset_reindex()
 * rewrites the whole index (into a temporary file renamed over it).  Lines of version 1 (no
 * "v") are read as far as they go.  docs/archive-set.md is the prose twin of this format.
 *
 * Seeking inside a file: "seek" lists points where a record starts, each with the largest
 * timestamp of the records before it (struct archset_seekpt; in the line as [off, max_ts_before
 * - first_ts] pairs, to keep lines short): to read from time T, start at the last point whose
 * max_ts_before < T, which skips only records before T, even when two ports' clocks
 * interleave.  A reader feeds libpcap the container header (the first data_off bytes of the
 * uncompressed stream: the pcap file header, or the pcapng SHB and IDBs), then the file from
 * the point on.  Plain files: byte offsets of records.  Multi-frame zstd: offsets of frames.
 * Single-frame zstd (the default, since Wireshark 4.0 misreads several frames) has no seek
 * points: the file is decompressed from its start, and only files that overlap the range are
 * opened at all.
 *
 * Usage (feedcap-replay DIR --from T0 --to T1):
 *
 *	struct archset *s = archset_open("/var/lib/feedcap/md", ARCHSET_REPAIR, &err);
 *	size_t i, n = archset_count(s);
 *	for (i = 0; i < n; i++) {
 *		const struct archset_ent *e = archset_get(s, i);  // sorted by first_ts
 *		if (archset_overlaps(e, t0, t1))
 *			read_from(archset_path(s, i), archset_seek_offset(e, t0));
 *	}
 *	archset_close(s);
 *
 * Libraries never print: errors fill a struct fcr_error naming the file; warnings that did not
 * stop the call (a line skipped, an entry repaired) are kept for archset_warnings().
 */
#ifndef ARCHSET_H
#define ARCHSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fcreader.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ARCHSET_INDEX_NAME    FCR_INDEX_NAME /* "feedcap-index.jsonl" */
#define ARCHSET_INDEX_VERSION 2
#define ARCHSET_PART_SUFFIX   ".part"	   /* an archive being written */
#define ARCHSET_CKPT_SUFFIX   ".part.ckpt" /* its checkpoint: see struct archset_ckpt */
#define ARCHSET_MAX_SEEK      128	   /* seek points kept per file */

/* A place to start reading a file: a record (plain) or zstd frame (multi-frame) starts at off. */
struct archset_seekpt {
	uint64_t off;		/* byte offset in the file as stored (compressed bytes for zstd) */
	uint64_t max_ts_before; /* largest ts_ns of every record before off (0: none) */
};

/* One archive of the set, as its index line says (or as the file itself said, if repaired). */
struct archset_ent {
	char file[256];		    /* name inside the directory (no '/') */
	uint64_t first_ts, last_ts; /* ns since the epoch, UTC; smallest and largest in the file */
	uint64_t frames;
	uint64_t bytes; /* file size */
	enum fcr_format format;
	bool zstd;
	bool multiframe;      /* zstd, several frames (seekable) */
	char pattern[256];    /* the -w pattern's last component that made it ("" unknown) */
	char ring[256];	      /* the ring's resolved path ("" if not from a ring) */
	uint64_t ring_id;     /* the ring file's create_ns (0 unknown) */
	uint64_t epoch;	      /* producer epoch of the last record written */
	uint64_t first_seq;   /* ring sequence numbers of the first and last record the */
	uint64_t last_seq;    /* job took into this file (0 unknown) */
	uint64_t lost_before; /* ring records the job could not get just before this file */
	bool repaired;	      /* built from the file itself: no ring or seq data (seek points
			       * only for plain pcap) */
	uint64_t data_off;    /* container header length: uncompressed bytes before the first
			       * record (pcap 24; pcapng SHB + IDBs); 0: unknown, no seeking */
	uint32_t nseek;	      /* seek[0..nseek): increasing off */
	struct archset_seekpt seek[ARCHSET_MAX_SEEK];
};

struct archset;

/* archset_open() flags */
#define ARCHSET_REPAIR                                                                             \
	(1u << 0)		   /* append lines for unindexed archives, tombstones for
				    * lines whose file is gone (needs write access; else the
				    * repair is made in memory and a warning says so) */
#define ARCHSET_NO_CHECK (1u << 1) /* trust the index: no directory listing (--list) */

/*
 * archset_open - the archives of dir, in first_ts order (ties: file name).  Reads the index;
 * unless ARCHSET_NO_CHECK, lists the directory and repairs what does not match: an archive
 * without an index line is read once (first/last time, frames) and indexed (repaired = true);
 * a line whose file is gone is dropped.  A missing, truncated or corrupt index is not an
 * error: the set is rebuilt from the files and the warnings say what was wrong (line numbers).
 * .part files are not archives here (see archset_recover_parts()).
 * @return the set, or NULL with errno and err set: ENOENT/ENOTDIR/EACCES (dir), ENOMEM.
 */
struct archset *archset_open(const char *dir, unsigned int flags, struct fcr_error *err);

size_t archset_count(const struct archset *s);
const struct archset_ent *archset_get(const struct archset *s, size_t i);
/* DIR/FILE of entry i, valid until archset_close(). */
const char *archset_path(const struct archset *s, size_t i);
/* What the open repaired or skipped, one line each ("" if nothing), valid until close. */
const char *archset_warnings(const struct archset *s);
void archset_close(struct archset *s);

/* Whether e holds any time of [from, to): first_ts < to && last_ts >= from. */
bool archset_overlaps(const struct archset_ent *e, uint64_t from, uint64_t to);

/* The byte offset to start reading e at to meet every record >= from (0: from the start). */
uint64_t archset_seek_offset(const struct archset_ent *e, uint64_t from);

/*
 * archset_seek_add - add a seek point to e (a writer's durable point).  Points must come in
 * increasing off; one not past the last is ignored, as is one with max_ts_before 0 (nothing
 * before it: offset 0 serves).  At most ARCHSET_MAX_SEEK are kept, roughly evenly spaced:
 * when full, every second point is dropped and later points come at the wider spacing.
 */
void archset_seek_add(struct archset_ent *e, uint64_t off, uint64_t max_ts_before);

/* The entry for file (a name in the set's directory), or NULL.  Valid until close. */
const struct archset_ent *archset_find(const struct archset *s, const char *file);

/* The oldest first_ts and newest last_ts of the set; false if it holds no frame. */
bool archset_span(const struct archset *s, uint64_t *oldest, uint64_t *newest);

/*
 * archset_is_archive_name - whether a directory entry's name is one archset takes for an
 * archive by its name alone (.pcap, .pcapng, .cap, with or without .zst; not the index, a
 * .part or a .ckpt).  Files of other names are archives only if their first bytes say so.
 */
bool archset_is_archive_name(const char *file);

/* Whether the name is archset's own (the index, its temporary files, .part, .part.ckpt). */
bool archset_is_own_name(const char *file);
/* ------------------------------------------------------------------ the index */

/*
 * archset_index_append - append e as one line (flock, O_APPEND, one write(), fsync).
 * @return 0 or -errno (err names the index file).
 */
int archset_index_append(const char *dir, const struct archset_ent *e, struct fcr_error *err);

/* archset_index_remove - append a tombstone for file (retention deleted it). */
int archset_index_remove(const char *dir, const char *file, struct fcr_error *err);

/*
 * archset_index_forget - before a file is given the name of one the index lists (a single
 * file replaced, a name deleted by hand and made again): if the last line naming file is an
 * archive line, append a tombstone for it, under the lock that read it.  Then the index never
 * describes the new file with the old file's line, even if the writer dies before its own
 * line.  @return 1 (a tombstone appended), 0 (file not listed), or -errno (err names the index).
 */
int archset_index_forget(const char *dir, const char *file, struct fcr_error *err);

/*
 * archset_reindex - rebuild dir's index from the files: keep the lines whose file exists with
 * the size they give, read every other archive, drop everything else; written to a temporary
 * file and renamed over the index, under the index lock.  *nrepaired (may be NULL) counts the
 * entries built from files.  @return the number of archives indexed, or -errno.
 */
int archset_reindex(const char *dir, unsigned int *nrepaired, struct fcr_error *err);

/*
 * archset_entry_from_file - read an archive from start to end to fill e (times, frames,
 * size, format, zstd; repaired = true).  @return 0, or -errno / -EPROTO (damaged: e holds what
 * was read before the damage, err says where).
 */
int archset_entry_from_file(const char *dir, const char *file, struct archset_ent *e,
			    struct fcr_error *err);

/*
 * archset_ent_json - e as one line of JSON with the index's field names (no seek points), with
 * "path" first when path is not NULL (feedcap-replay --list --json).  @return a malloc'd
 * string without newline (free() it), or NULL (ENOMEM).
 */
char *archset_ent_json(const struct archset_ent *e, const char *path);

/* ------------------------------------------------------------------ names */

/*
 * archset_name - the file name the pattern (strftime conversions, UTC) gives for time ts.
 * @return 0, or -ENAMETOOLONG.
 */
int archset_name(const char *pattern, uint64_t ts, char *out, size_t len);

/*
 * archset_name_numbered - NAME with ".NNNNN" before its archive suffix
 * ("md.pcap.zst" -> "md.00003.pcap.zst").  @return 0, or -ENAMETOOLONG.
 */
int archset_name_numbered(const char *name, uint64_t n, char *out, size_t len);

/* Whether file (a name, no directory) is one the pattern makes, numbered or not. */
bool archset_pattern_match(const char *pattern, const char *file);

/*
 * archset_dirpat_match - whether dir is a directory the directory pattern dirpat makes
 * ("/a/%Y%m%d" makes "/a/20261122", not "/a/20261122.bak" nor "/b/20261122"): component by
 * component, conversions as archset_pattern_match() takes them, the rest literally.
 */
bool archset_dirpat_match(const char *dirpat, const char *dir);

/*
 * What a directory's index says of the names a pattern made, so that a writer never gives a
 * new archive the name of one the index lists (a stale line would describe the new file):
 * the numbers NAME.NNNNN used so far, and the names listed.
 */
struct archset_names;

/*
 * archset_names_load - read dir's index: every line, tombstones included, whose name is one
 * pattern makes with a number raises archset_names_next(); every name the index lists (the
 * last line naming it is an archive line, whatever its pattern) is archset_names_listed().
 * No index: an empty set.  @return the set, or NULL with errno and err set (the index cannot
 * be read, ENOMEM).  Free with archset_names_free().
 */
struct archset_names *archset_names_load(const char *dir, const char *pattern,
					 struct fcr_error *err);

/* One more than the largest number of a numbered name of the pattern in the index (0: none). */
uint64_t archset_names_next(const struct archset_names *n);

/*
 * Whether the index may list file: false means it does not (as loaded, plus the names added
 * since); true may rarely be wrong (names are kept as 64-bit hashes): archset_index_forget()
 * looks at the index itself.
 */
bool archset_names_listed(const struct archset_names *n, const char *file);

/* Count file as listed from now on (the writer appended its line).  0 or -ENOMEM. */
int archset_names_add(struct archset_names *n, const char *file);

void archset_names_free(struct archset_names *n);

/* ------------------------------------------------------------------ retention */

struct archset_retention {
	unsigned int keep_files; /* -W N, retention_files: at most N archives (0: no limit) */
	uint64_t max_age_ns;	 /* retention_age: last_ts older than now - this (0: none) */
	uint64_t max_bytes;	 /* retention_bytes: total size at most this (0: no limit) */
};

/*
 * archset_retain - delete the oldest archives of pattern in dir (by first_ts) until the set of
 * that pattern is within r, each with its tombstone; never a file of another pattern, never
 * one not in the index, never `keep` (the file just written, a name in dir; may be NULL).
 * now_ns is CLOCK_REALTIME.  *removed (may be NULL) counts the files deleted.  One directory:
 * archset_retainer_run() takes several as one set.
 * @return 0, or the first -errno of a delete that failed (err names the file; the others are
 *         still tried).
 */
int archset_retain(const char *dir, const char *pattern, const struct archset_retention *r,
		   uint64_t now_ns, const char *keep, unsigned int *removed, struct fcr_error *err);

/*
 * Retention over several directories taken as one set: the dated directories of one -w
 * pattern ("/a/%Y%m%d/md-%H.pcap" writes /a/20261121, /a/20261122, ...), each with its own
 * index.  The oldest archives of the pattern across all of them (by first_ts, then name, then
 * directory) are deleted until the whole set is within the retention, each tombstone going to
 * its own directory's index.  A directory left holding nothing but its index is removed with
 * it, and so are the parents it leaves empty below root.
 *
 * The retainer remembers, for each directory, what its index said (counts, bytes, oldest
 * times) and reads an index again only when it changed (another size, inode or time): a run
 * after each new archive reads the index of the directory written and those it deletes from,
 * not a year of days.  Not thread-safe; one per writer.
 *
 *	struct archset_retainer *t = archset_retainer_create(pattern, &r, "/a", &err);
 *	... after each archive is complete and indexed:
 *	archset_retainer_run(t, dirs, ndirs, now_ns, "/a/20261122/md-10.pcap", NULL, &err);
 *	archset_retainer_destroy(t);
 */
struct archset_retainer;

/*
 * archset_retainer_create - a retainer of pattern's archives (its last component counts)
 * with r.  root (may be NULL: no directory is ever removed) is the fixed directory the dated
 * ones are under; it is never removed itself.
 * @return the retainer, or NULL with errno and err set (EINVAL: no name pattern can be made of
 *         pattern; ENOMEM).
 */
struct archset_retainer *archset_retainer_create(const char *pattern,
						 const struct archset_retention *r,
						 const char *root, struct fcr_error *err);

/*
 * archset_retainer_run - apply the retention to the set that dirs[0..ndirs) make (the
 * directories that exist; those not named are forgotten), never deleting keep (a path, may be
 * NULL).  *removed (may be NULL) counts the files deleted.
 * @return 0, or the first -errno of an index that cannot be read or a delete that failed (err
 *         names the file; the rest is still done).
 */
int archset_retainer_run(struct archset_retainer *t, const char *const *dirs, size_t ndirs,
			 uint64_t now_ns, const char *keep, unsigned int *removed,
			 struct fcr_error *err);

void archset_retainer_destroy(struct archset_retainer *t);

/* ------------------------------------------------------------------ command lines */

/*
 * What a reader's command line names (feedcap-replay DIR|ARCHIVE..., feedcap-stat -r), as
 * archives in [from, to):
 *   - a directory: the archives of its set (archset_open() with the flags) that overlap;
 *   - a file: itself, described by its directory's index when that has a line of its size,
 *     else read (ARCHSET_PICK_READ: all of it; otherwise only its first record: first_ts);
 *   - "-": stdin, nothing known about it;
 *   - the index, a .part, a .part.ckpt: skipped, with a note (a shell glob of DIR names them).
 * Sorted by first_ts (ties: the order named), which lets fcr_archive_set_open_sources() open
 * them one at a time.
 */
#define ARCHSET_PICK_READ (1u << 8) /* read whole files the index does not describe */

struct archset_pick {
	char *path;	      /* DIR/FILE, or the argument as given */
	struct archset_ent e; /* from the index or the file; e.file is the last component */
	bool known;	      /* e's times and counts hold (false: "-", or first_ts only) */
};

struct archset_picks {
	struct archset_pick *v;
	size_t n;
	/* span of every archive named, picked or not: what the set holds */
	uint64_t oldest, newest;
	bool have_oldest;
	bool newest_known; /* false if some archive's last time is unknown */
	char *notes;	   /* what was repaired or skipped, one line each; "" if nothing */
};

/*
 * archset_pick - resolve args[0..nargs).  @return 0, or -errno with err naming the argument
 * (ENOENT, EPROTO: a file that is not an archive, ENOMEM).  Free with archset_picks_free().
 */
int archset_pick(char *const *args, unsigned int nargs, unsigned int flags, uint64_t from,
		 uint64_t to, struct archset_picks *out, struct fcr_error *err);

void archset_picks_free(struct archset_picks *p);

/*
 * archset_picks_sources - the picks as the sources of a merge (fcr_archive_set_open_sources()),
 * each with its seek point for from (0: none).  Paths point into p.  @return a malloc'd array
 * of p->n (free() it), or NULL (ENOMEM).
 */
struct fcr_source *archset_picks_sources(const struct archset_picks *p, uint64_t from);

/* ------------------------------------------------------------------ archive jobs */

/*
 * The checkpoint a job keeps beside NAME.part as NAME.part.ckpt: a fixed 128-byte block
 * rewritten in place (pwrite) at every durable point of the writer, so that a writer killed at
 * any moment leaves a .part whose first `off` bytes are a valid archive holding exactly the
 * records first_seq..last_seq it names.  Little-endian, checked by magic and crc.
 */
#define ARCHSET_CKPT_MAGIC UINT64_C(0x3174706b63706366) /* "fcpckpt1" */
/*
 * The writer finished the file (the last checkpoint, written before NAME.part is renamed): its
 * `off` bytes are the whole archive, trailer and the end of a zstd frame included, so recovery
 * adds nothing.  Without it, a single-frame zstd .part is cut inside its frame and gets the
 * empty last block that ends it.  (A reader that predates the flag reads it as reserved.)
 */
#define ARCHSET_CKPT_SEALED (1u << 0)

struct archset_ckpt {
	uint64_t magic;
	uint64_t off;	   /* the file is a valid archive up to here (durable offset) */
	uint64_t frames;   /* records in those bytes */
	uint64_t first_ts; /* of those records */
	uint64_t last_ts;
	uint64_t first_seq; /* ring sequence numbers of the first and last of them */
	uint64_t last_seq;
	uint64_t ring_id;
	uint64_t epoch;
	uint64_t lost_before;
	uint32_t format; /* enum fcr_format */
	uint32_t zstd;	 /* 0, 1 single frame, 2 multi-frame */
	uint32_t flags;	 /* ARCHSET_CKPT_SEALED */
	uint8_t reserved[32];
	uint32_t crc; /* CRC-32 (zlib's crc32()) of the bytes before it */
};

_Static_assert(sizeof(struct archset_ckpt) == 128, "archset_ckpt is 128 bytes");

/* Write c (magic and crc filled here) at offset 0 of fd.  @return 0 or -errno. */
int archset_ckpt_write(int fd, struct archset_ckpt *c);

/* Read and check fd's checkpoint.  @return 0, -ENODATA (none / torn / wrong crc), -errno. */
int archset_ckpt_read(int fd, struct archset_ckpt *c);

/*
 * archset_recover_parts - finish what killed writers of pattern left in dir: each NAME.part
 * with a valid checkpoint is cut to the checkpoint's offset, sealed (a zstd frame is ended),
 * checked by reading it back, renamed to NAME (NAME.NNNNN if NAME exists) and indexed with the
 * checkpoint's ring, epoch and sequence numbers; its .ckpt is removed.  A .part without a
 * usable checkpoint is kept readable as far as it is and indexed without sequence numbers
 * (repaired), with a warning.  ring is the job's ring path (for the index lines).
 * *nrecovered (may be NULL) counts the files.  Warnings (one line each) go to warn (may be NULL).
 * @return 0 or -errno (err names the file).
 */
int archset_recover_parts(const char *dir, const char *pattern, const char *ring,
			  unsigned int *nrecovered, char *warn, size_t warnlen,
			  struct fcr_error *err);

/*
 * archset_resume_point - where a job of pattern on ring (ring_id) stopped: the largest
 * last_seq over the set's entries of that pattern, ring and ring_id.
 * @return true with *last_seq (and *epoch) set, false if the set has no such entry (a first
 *         run, or a ring created anew: start at the oldest record).
 */
bool archset_resume_point(const struct archset *s, const char *pattern, const char *ring,
			  uint64_t ring_id, uint64_t *last_seq, uint64_t *epoch);

#ifdef __cplusplus
}
#endif

#endif /* ARCHSET_H */
