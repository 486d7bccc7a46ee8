/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringshm.h - feedcap's shared capture ring: one producer that never waits, any number of
 * read-only readers that count exactly what they lose.
 *
 * The ring is a file (on hugetlbfs, or in /dev/shm/feedcap as a fallback) holding a control area and a
 * power-of-two data area of records (ringshm_format.h, docs/ring-format.md).  The producer
 * overwrites the oldest data without ever looking at readers.  A reader maps the file
 * PROT_READ from an O_RDONLY descriptor, keeps its own cursor, uses each record in place and
 * then asks whether the producer overwrote it meanwhile; if so the record is discarded and
 * counted lost, exactly.
 *
 * Producer (capture poller), one burst:
 *
 *	struct ringshm *r = ringshm_create("md", &params, &err);
 *	for (i = 0; i < n; i++) {
 *		void *p = ringshm_alloc(r, len[i], wire[i], ts, port, flags);
 *		memcpy(p, frame[i], len[i]);
 *	}
 *	ringshm_commit(r);                     // one release store per burst
 *
 * Reader:
 *
 *	struct ringshm_reader *rd = ringshm_reader_open("md", &err);
 *	ringshm_reader_seek(rd, RINGSHM_FROM_OLDEST, 0);
 *	struct ringshm_record rec;
 *	for (;;) {
 *		int rc = ringshm_reader_next(rd, &rec);
 *		if (rc == 0) { ringshm_reader_wait(rd, 100000000); continue; }
 *		if (rc < 0) break;
 *		use(rec.data, rec.cap_len);             // zero-copy, in the shared mapping
 *		if (!ringshm_reader_done(rd))
 *			discard_what_use_did();         // overwritten meanwhile: counted lost
 *	}
 *
 * Libraries never print: every function that can fail for a reason a person must fix fills
 * a struct ringshm_error (may be NULL) with a message naming the file and the problem.
 *
 * Threads: a producer handle is used by one poller thread for alloc/put/commit/marker; the
 * control-plane calls (counters, ports, clock, heartbeat) may come from one other thread.  A
 * reader handle belongs to one thread.
 *
 * Caveats (for operators):
 * - Memory: the default 8 GiB ring needs 4097 free 2 MiB hugepages; with AUTO and too few, it
 *   lands in RINGSHM_SHM_DIR (4 KiB pages, counted against /dev/shm's size) with a warning in
 *   err->msg.
 *   Pick the capacity from the hugepages you reserve.  2 MiB pages are preferred: 1 GiB pages
 *   would make the control area a whole 1 GiB page.
 * - The file outlives the producer and keeps its size: a restart with another capacity is
 *   refused (EEXIST) until the file is removed.  Readers map the file they opened: a ring
 *   removed and created anew is a different file they do not see.
 * - A reader started at the newest record takes next_seq as its first expected sequence
 *   number; if it is lapped before it reads its first record, the loss it counts can be short
 *   by the records of one burst.  From then on the count is exact.
 * - The registry recognises dead readers by pid: a registered reader that died and whose
 *   pid was reused keeps its slot until that process exits.
 */
#ifndef RINGSHM_H
#define RINGSHM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ringshm_format.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RINGSHM_DEFAULT_CAPACITY (UINT64_C(8) << 30) /* 8 GiB */
#define RINGSHM_DEFAULT_CHUNK	 (2u << 20)	     /* 2 MiB */
#define RINGSHM_MIN_CHUNK	 (64u << 10)	     /* 64 KiB: small rings for tests */
#define RINGSHM_DEFAULT_DIR	 "/run/feedcap"	     /* names resolve here ($FEEDCAP_RING_DIR) */
#define RINGSHM_GROUP		 "feedcap"	     /* readers' group, if it exists */
/* Named rings on /dev/shm live here as RINGSHM_SHM_DIR/NAME, never in /dev/shm (1777) itself:
 * made 0750 in the ring's group if missing, used as it is if it exists. */
#define RINGSHM_SHM_DIR "/dev/shm/feedcap"

/* A message a person can act on, naming the file and the problem. */
struct ringshm_error {
	int code; /* the -errno the call returned */
	char msg[512];
};

/* Where the ring's memory comes from. */
enum ringshm_backing {
	RINGSHM_BACKING_AUTO = 0,      /* hugetlbfs if a mount has room, else shm + warning */
	RINGSHM_BACKING_HUGETLBFS = 1, /* a hugetlbfs mount (found with libhugetlbfs), or fail */
	RINGSHM_BACKING_SHM = 2,       /* RINGSHM_SHM_DIR on /dev/shm (tmpfs, 4 KiB pages) */
	RINGSHM_BACKING_FILE = 3,      /* exactly the path given, whatever file system it is on */
};

struct ringshm_params {
	uint64_t capacity;	      /* data bytes, power of two; 0 = RINGSHM_DEFAULT_CAPACITY */
	uint32_t chunk_size;	      /* power of two >= RINGSHM_MIN_CHUNK; 0 = default */
	enum ringshm_backing backing; /* RINGSHM_BACKING_AUTO by default */
	const char *dir;	      /* ring directory for names; NULL = $FEEDCAP_RING_DIR or
					* RINGSHM_DEFAULT_DIR */
	const char *group;	      /* file group; NULL = RINGSHM_GROUP when it exists */
	bool no_lock; /* skip mlock (tests without CAP_IPC_LOCK); still pre-faults */
};

/*
 * ringshm_resolve - the file a ring name or path refers to.
 * A name with no '/' resolves to DIR/NAME (dir, else $FEEDCAP_RING_DIR, else
 * RINGSHM_DEFAULT_DIR); anything with a '/' is used as given.
 * @return 0, or -ENAMETOOLONG.
 */
int ringshm_resolve(const char *name_or_path, const char *dir, char *out, size_t outlen);

/* ------------------------------------------------------------------ producer */

struct ringshm;

/*
 * ringshm_create - create the ring file, or start a new epoch in an existing one.
 *
 * A new file is sized, pre-faulted and (unless no_lock) locked, so the hot path never takes a
 * page fault; mode 0640, group params->group.  For a name, the file lives on the chosen backing
 * (a hugetlbfs mount as feedcap-NAME, or RINGSHM_SHM_DIR/NAME, that directory made 0750 in
 * the ring's group if missing) and DIR/NAME is it or a symlink to it.  If the file exists with the same geometry, the new
 * producer keeps its data, continues positions from the next chunk after the old claim and
 * sequence numbers from the old next_seq, increments the epoch and writes an EPOCH record.
 * Refuses (-EBUSY) when the file's producer is still alive; a different geometry is
 * -EEXIST (remove the file or use the same size).
 *
 * params->group is a group name or a numeric gid.  On hugetlbfs the capacity must be a
 * multiple of the huge page size (2 MiB pages: any power of two >= 2 MiB).
 *
 * @return the handle, or NULL with errno set and err filled: EINVAL (bad params), ENOMEM
 *         (no room: message says how many hugepages are free and needed), EBUSY, EEXIST,
 *         EACCES, EPROTO (an existing file that is not a compatible ring), EPROTONOSUPPORT
 *         (an existing ring of another major version).  On success err->code is 0 and
 *         err->msg is empty or holds a warning for main() to print (AUTO fell back to
 *         RINGSHM_SHM_DIR, and why).
 */
struct ringshm *ringshm_create(const char *name_or_path, const struct ringshm_params *params,
			       struct ringshm_error *err);

/*
 * ringshm_close - mark the ring stopped, publish final counters, unmap.  The file stays, so
 * readers can still dump what it holds.  NULL is a no-op.
 */
void ringshm_close(struct ringshm *r);

/*
 * ringshm_alloc - room for one frame in the current burst.
 * Writes the record header (visible to readers only after ringshm_commit()) and returns where
 * the cap_len payload bytes go.  Never waits: it overwrites the oldest data.  wire_len above
 * 65535 is clamped and flagged.
 * @return pointer into the ring, valid until the next ringshm_commit(); NULL if cap_len is
 *         over ringshm_max_caplen(r): nothing is written, the call is counted in
 *         counters.refused (clamp cap_len first, or use ringshm_put(), which cuts it).
 */
void *ringshm_alloc(struct ringshm *r, uint32_t cap_len, uint32_t wire_len, uint64_t ts_ns,
		    uint8_t port, uint16_t flags);

/*
 * ringshm_put - copy one contiguous frame into the ring (header and cap_len bytes from frame)
 * in the current burst.  Large frames go with streaming (non-temporal) stores on x86-64, which
 * leave the ring out of the producer's cache; small ones through the cache, whichever is
 * faster for the size (bench-ringshm, bench/capture).  Same rules and counters as
 * ringshm_alloc(), except that a cap_len over ringshm_max_caplen() is cut to it (and flagged
 * truncated); never reads past frame + cap_len.  Visible to readers after ringshm_commit().
 */
void ringshm_put(struct ringshm *r, const void *frame, uint32_t cap_len, uint32_t wire_len,
		 uint64_t ts_ns, uint8_t port, uint16_t flags);

/* One frame for ringshm_put_burst(): the arguments of ringshm_put(). */
struct ringshm_frame {
	const void *data; /* cap_len contiguous bytes */
	uint64_t ts_ns;
	uint32_t cap_len;
	uint32_t wire_len;
	uint16_t flags;
	uint8_t port;
};

/*
 * ringshm_put_burst - ringshm_put() of n frames in order, in one call: what a poller does with
 * the frames of one receive burst.
 */
void ringshm_put_burst(struct ringshm *r, const struct ringshm_frame *f, unsigned int n);

/*
 * ringshm_marker - write a non-frame record (LOSS, CLOCK, EPOCH) of len payload bytes in the
 * current burst.  Same thread as ringshm_alloc().  @return 0, or -EINVAL (type or len).
 */
int ringshm_marker(struct ringshm *r, enum ringshm_rec_type type, const void *payload, uint32_t len,
		   uint64_t ts_ns);

/*
 * ringshm_commit - publish every record allocated since the last commit, with one release
 * store of head, and add them to the frame and byte counters.
 */
void ringshm_commit(struct ringshm *r);

/* The largest cap_len ringshm_alloc() takes: min(65535, chunk_size - header). */
uint32_t ringshm_max_caplen(const struct ringshm *r);

/*
 * ringshm_ctl - the control area, for the producer process's control thread: counters, ports,
 * heartbeat.  Write aligned 64-bit fields with relaxed atomic stores.  Valid until
 * ringshm_close().
 */
struct ringshm_ctl *ringshm_ctl(struct ringshm *r);

/*
 * ringshm_xstats - the NIC counter table for the producer's control thread to fill (names and
 * stages once, values with relaxed stores), or NULL when the ring has no room for one.  Valid
 * until ringshm_close().
 */
struct ringshm_xstat_table *ringshm_xstats(struct ringshm *r);

/* Store a heartbeat (CLOCK_REALTIME ns) for readers to judge the producer alive. */
void ringshm_heartbeat(struct ringshm *r);

/*
 * ringshm_clock_publish - write len bytes (<= RINGSHM_CLOCK_BLOCK_SIZE) into the seqlocked
 * clock block.  Control thread only.  @return 0 or -EINVAL.
 */
int ringshm_clock_publish(struct ringshm *r, const void *blk, uint32_t len);

/* The file the ring lives in (after symlinks), valid until ringshm_close(). */
const char *ringshm_path(const struct ringshm *r);

/* ------------------------------------------------------------------ reader */

struct ringshm_reader;

/* Where a reader starts. */
enum ringshm_from {
	RINGSHM_FROM_NEWEST = 0, /* the producer's head: only what comes next (live) */
	RINGSHM_FROM_OLDEST = 1, /* the oldest record still held */
	RINGSHM_FROM_TIME = 2,	 /* the first record with ts_ns >= the given time */
};

/*
 * One record as a reader sees it; data points into the shared mapping.  seq: every record but
 * PAD takes the next number, from 1 for the first record of a file, continuing across epochs.
 */
struct ringshm_record {
	const void *data; /* cap_len bytes, valid until ringshm_reader_done() */
	uint64_t pos;
	uint64_t seq;
	uint64_t ts_ns;
	uint32_t cap_len;
	uint32_t wire_len;
	uint16_t flags;
	uint8_t port;
	uint8_t type; /* enum ringshm_rec_type: FRAME, LOSS, CLOCK or EPOCH, never PAD */
};

/* A reader's own totals. */
struct ringshm_reader_stats {
	uint64_t delivered;    /* records returned by next() and confirmed by done() */
	uint64_t lost_records; /* records overwritten before this reader got them (exact) */
	uint64_t lost_bytes;   /* ring bytes of those records, headers and padding included */
	uint64_t overruns;     /* times the reader was lapped */
	uint64_t epochs_seen;  /* producer restarts noticed since open */
};

/*
 * ringshm_reader_open - attach read-only to a ring by name or path.
 * Opens O_RDONLY and maps PROT_READ: the reader cannot modify the ring, and needs no
 * capability (group read permission is enough).  Waits up to 1 s for a producer that is still
 * creating the file to publish the version.  Starts at RINGSHM_FROM_NEWEST.
 * @return the handle, or NULL with errno set and err filled: ENOENT (no such ring), EACCES
 *         (permission: names the file, its group and mode), EPROTO (bad magic, truncated or
 *         corrupt header: names what is wrong), EPROTONOSUPPORT (another major version: names
 *         both), ETIMEDOUT (version never published).
 */
struct ringshm_reader *ringshm_reader_open(const char *name_or_path, struct ringshm_error *err);

/* Detach; unregisters the reader if it registered.  NULL is a no-op. */
void ringshm_reader_close(struct ringshm_reader *rd);

/*
 * ringshm_reader_seek - move the cursor.  For RINGSHM_FROM_TIME, a binary search of the chunk
 * index then a scan finds the first record at or after ts_ns (the newest position if none).
 * Losses are counted from the record the cursor lands on.
 * @return 0, -EINVAL (from), or -EPROTO (a corrupt record header on the way).
 */
int ringshm_reader_seek(struct ringshm_reader *rd, enum ringshm_from from, uint64_t ts_ns);

/*
 * ringshm_reader_next - the next record, in place.
 * PAD records are skipped.  If the reader was lapped, it moves to the oldest valid record and
 * adds exactly what it skipped to its lost counters before returning it.  A new producer epoch
 * is noticed here (epochs_seen grows; the EPOCH record itself is returned).
 * Whether a record was intact is for the caller to learn from ringshm_reader_done(): next()
 * never validates the previous record on the caller's behalf.
 * @return 1 with *rec filled (call ringshm_reader_done() after use), 0 if nothing new yet,
 *         -EPROTO if the ring is corrupt (a record header that cannot be), -EBUSY if the
 *         record the previous call returned was not released with ringshm_reader_done()
 *         (nothing moved; a ringshm_reader_seek() also releases it, unconfirmed).
 */
int ringshm_reader_next(struct ringshm_reader *rd, struct ringshm_record *rec);

/*
 * ringshm_reader_done - validate and release the record from ringshm_reader_next().
 * @return true if the record was intact all the while it was used (count it delivered);
 *         false if the producer overwrote it meanwhile: the caller must discard whatever it
 *         made of it; it is counted lost and the cursor moves to the oldest valid record.
 */
bool ringshm_reader_done(struct ringshm_reader *rd);

/*
 * ringshm_reader_wait - idle politely until the producer publishes more: spin a little, then
 * yield, then sleep in short steps (at most 1 ms), up to timeout_ns.
 * @return 0 when data is available, -ETIMEDOUT.
 */
int ringshm_reader_wait(struct ringshm_reader *rd, uint64_t timeout_ns);

/* The reader's own totals. */
void ringshm_reader_stats(const struct ringshm_reader *rd, struct ringshm_reader_stats *st);

/* Bytes between this reader's cursor and the producer's head. */
uint64_t ringshm_reader_lag(const struct ringshm_reader *rd);

/* The producer's head position now (for "stop at the producer's position"). */
uint64_t ringshm_reader_head(const struct ringshm_reader *rd);

/* The reader's cursor position. */
uint64_t ringshm_reader_pos(const struct ringshm_reader *rd);

/*
 * ringshm_reader_ctl - the read-only control area (identity, counters, ports, state,
 * heartbeat).  Take values with relaxed atomic loads.  Valid until ringshm_reader_close().
 */
const struct ringshm_ctl *ringshm_reader_ctl(const struct ringshm_reader *rd);

/*
 * ringshm_reader_xstats - the NIC counter table (ringshm_format.h): per port, the PMD's drop
 * counters under their own names.  Read an entry's name only when its first byte is set
 * (load-acquire), values with relaxed loads.  Valid until ringshm_reader_close().
 * @return the table, or NULL when the ring has none (made before minor 2 without room, or an
 *         offset that does not fit the control area).
 */
const struct ringshm_xstat_table *ringshm_reader_xstats(const struct ringshm_reader *rd);

/*
 * ringshm_reader_clock - a consistent copy of the clock block (seqlock read, retried).
 * @return bytes copied (clock_len, at most len), or -EAGAIN if never consistent after many
 *         tries.
 */
int ringshm_reader_clock(const struct ringshm_reader *rd, void *buf, uint32_t len);

/* Whether the producer is alive: state RUNNING and a heartbeat within max_age_ns. */
bool ringshm_reader_producer_alive(const struct ringshm_reader *rd, uint64_t max_age_ns);

/* ------------------------------------------------------------------ reader registry */

/*
 * Readers that want to be seen (feedcap-stat's reader lag) register in a small separate file,
 * FILE.readers next to the ring (FILE = the ring's real path, symlinks resolved; mode 0660 in
 * the ring's group, created by the producer; never read by the poller).  Entries of dead
 * processes are reclaimed by the next register.  Layout: docs/ring-format.md.
 *
 * A reader that writes what it reads somewhere (feedcap-dump's archives) also publishes
 * there how its output fares: every write error (count, errno, time, a short text naming the
 * file) and whether it is blocked waiting for the output to work again.  feedcap-stat shows
 * them next to the reader's losses.
 *
 *	ringshm_reader_register(rd, "archive-a", &err);
 *	...
 *	if (write(fd, buf, n) < 0) {
 *		snprintf(what, sizeof(what), "%s on %s", strerrorname_np(errno), path);
 *		ringshm_reader_note_error(rd, errno, what);
 *		ringshm_reader_note_blocked(rd, true);	// waiting for space
 *	}
 *	...
 *	ringshm_reader_note_blocked(rd, false);		// writing again
 *
 * The registry has a layout version of its own.  A registry file of another version (made by
 * an older or newer feedcap) is refused by readers and monitors (-EPROTONOSUPPORT, naming
 * the file and both versions) and left as it is; the next producer start replaces it with a
 * file of its own version (processes still holding the old one keep writing to the old,
 * unlinked file, harming nobody).
 */
#define RINGSHM_MAX_READERS 64
#define RINGSHM_ERROR_TEXT  96 /* bytes of a writer's last error text, NUL included */

struct ringshm_reader_info {
	char name[32];
	uint64_t pid;
	uint64_t pos;
	uint64_t delivered;
	uint64_t lost_records;
	uint64_t lost_bytes;
	uint64_t updated_ns; /* CLOCK_REALTIME of the last update */
	/* the reader's writer (ringshm_reader_note_error(), ringshm_reader_note_blocked()) */
	uint64_t write_errors;		     /* write errors noted since it registered */
	uint64_t last_error_ns;		     /* CLOCK_REALTIME of the last one, 0 = none yet */
	int last_errno;			     /* positive errno of the last one, 0 = none yet */
	bool blocked;			     /* waiting for its output to work again */
	char last_error[RINGSHM_ERROR_TEXT]; /* e.g. "ENOSPC on /srv/a/md.pcap.part", "" */
};

/*
 * ringshm_reader_register - take a slot in the registry under name; the reader's position and
 * losses are then published there (cheap stores, rate-limited).  The slot starts with no
 * write error and not blocked, whatever a dead reader left in it.
 * @return 0, -ENOSPC (every slot held by a live process), -EACCES (cannot create or write the
 *         registry: names it), -EPROTONOSUPPORT (a registry of another layout version, made
 *         by another feedcap version: names the file and both versions; restarting the
 *         producer replaces it), -EPROTO (a file that is not a registry: names it).
 */
int ringshm_reader_register(struct ringshm_reader *rd, const char *name, struct ringshm_error *err);

/*
 * ringshm_reader_note_error - publish that writing this reader's output failed: adds one to
 * write_errors and records err, the time (CLOCK_REALTIME) and what, in this reader's slot.
 * err is the errno (a negative -errno, as actions return, is taken as its absolute value).
 * what is a short text for an operator, cut to RINGSHM_ERROR_TEXT - 1 bytes: say the error
 * and the file, "ENOSPC on /srv/a/md-20261122.pcap.part"; NULL is "".  A few plain stores,
 * no system call but clock_gettime: call it on every error.  A no-op for a reader that is not
 * registered.
 */
void ringshm_reader_note_error(struct ringshm_reader *rd, int err, const char *what);

/*
 * ringshm_reader_note_blocked - publish whether this reader's writer is blocked waiting for
 * its output to work again (feedcap-dump --on-error=wait): true when it starts waiting, false
 * once it writes again.  The error count stays.  One store; a no-op for a reader that is not
 * registered.
 */
void ringshm_reader_note_blocked(struct ringshm_reader *rd, bool blocked);

/*
 * ringshm_reader_note_lost - count records the reader skipped on purpose because the ring no
 * longer held them (feedcap-dump resuming after --on-error=wait, when the producer lapped it
 * meanwhile) among its lost records, as an overrun: ringshm_reader_stats() and the registry
 * (feedcap-stat's lost_records for this reader) include them at once.  Works unregistered too.
 */
void ringshm_reader_note_lost(struct ringshm_reader *rd, uint64_t records);

/*
 * ringshm_reader_restore_stats - put back totals taken with ringshm_reader_stats() before a
 * scan that looked for a start position (the newest timestamp, a sequence number to resume
 * after) rather than read: what that scan delivered, and what the producer overwrote under it,
 * were never this reader's to read, so they are not counted (a gap the caller means to count
 * it counts itself, with ringshm_reader_note_lost(), once).  The registry (feedcap-stat) shows
 * the restored totals at once.  Works unregistered too.
 */
void ringshm_reader_restore_stats(struct ringshm_reader *rd, const struct ringshm_reader_stats *st);

/*
 * ringshm_registry_list - the live readers registered on a ring (dead ones are left out),
 * each with a consistent copy of its writer status.
 * @return the number written to out (at most max; 0 when the ring has no registry yet), or
 *         -errno: -ENOENT (no such ring), -EACCES, -EPROTONOSUPPORT (a registry of another
 *         layout version: see above), -EPROTO (not a registry).
 */
int ringshm_registry_list(const char *name_or_path, struct ringshm_reader_info *out, int max);

#ifdef __cplusplus
}
#endif

#endif /* RINGSHM_H */
