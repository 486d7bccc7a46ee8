/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringshm_reader.c - attaching read-only to a ring, following the producer, and counting
 * exactly what was lost.
 *
 * The reader never trusts what it reads until it has checked, AFTER reading, that the producer
 * had not claimed the chunk meanwhile: load the header (and let the caller use the payload),
 * acquire fence, load `claim`; the record at p is intact only if claim <= p + capacity.  Lost
 * records are counted from sequence numbers (every record but PAD takes one, and they continue
 * across producer restarts), so the count is exact however the reader was lapped; lost bytes
 * are the ring bytes the cursor jumped over.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ringshm_internal.h"

/* How far ahead of the cursor next() prefetches (bench-ringshm: 1 KiB was best of 0.5-4). */
#define RS_PREFETCH 1024

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/*
 * The header at p, as four relaxed 8-byte loads: the producer may be rewriting it, so each
 * field is read once into a local and only the local copy is checked and used.
 */
static inline void load_hdr(const struct ringshm_reader *rd, uint64_t p, struct ringshm_rec_hdr *h)
{
	const uint64_t *w = (const uint64_t *)(rd->data + (p & rd->mask));
	uint64_t w3;

	h->pos = RS_LOAD_RELAXED(&w[0]);
	h->ts_ns = RS_LOAD_RELAXED(&w[1]);
	h->seq = RS_LOAD_RELAXED(&w[2]);
	w3 = RS_LOAD_RELAXED(&w[3]);
	memcpy(&h->cap_len, &w3, sizeof(w3));
}

static void refresh_head(struct ringshm_reader *rd)
{
	/* Pairs with the release store of head in ringshm_commit(). */
	uint64_t h = RS_LOAD_ACQUIRE(&rd->ctl->head);
	uint64_t e = RS_LOAD_RELAXED(&rd->ctl->epoch);

	if (unlikely(e != rd->epoch)) {
		if (e > rd->epoch) {
			rd->st.epochs_seen += e - rd->epoch;
		}
		rd->epoch = e;
	}
	rd->head = h;
}

/* The producer's claim, after everything this thread read before. */
static inline uint64_t claim_after(const struct ringshm_reader *rd)
{
	/*
	 * Pairs with the release fence after the producer's store of claim: if any byte we read
	 * came from a write after that fence, this load sees the new claim.
	 */
	RS_FENCE_ACQUIRE();
	return RS_LOAD_RELAXED(&rd->ctl->claim);
}

/*
 * Whether the producer's claim has overwritten the record at p: claim > p + capacity, written
 * so that it cannot overflow.  Real positions never get near 2^64 (47 years at 100 Gb/s), but
 * a damaged control area can hold any value, and an overflowed sum made a reader seeking in
 * such a file loop forever (found by tests/fuzz/fuzz_ring).
 */
static inline bool overwritten(const struct ringshm_reader *rd, uint64_t claim, uint64_t p)
{
	return claim > p && claim - p > rd->capacity;
}

/* The first position still intact given claim: the start of the oldest chunk held. */
static inline uint64_t oldest_for(const struct ringshm_reader *rd, uint64_t claim)
{
	return claim > rd->capacity ? claim - rd->capacity : 0;
}

static bool hdr_sane(const struct ringshm_reader *rd, uint64_t p, const struct ringshm_rec_hdr *h)
{
	uint64_t size;

	if (h->pos != p) {
		return false;
	}
	switch (h->type) {
	case RINGSHM_REC_PAD:
		return true;
	case RINGSHM_REC_FRAME:
	case RINGSHM_REC_LOSS:
	case RINGSHM_REC_CLOCK:
	case RINGSHM_REC_EPOCH:
		size = ringshm_rec_size(h->cap_len);
		return (p & rd->chunk_mask) + size <= rd->chunk_size && p + size <= rd->head &&
		       h->seq != 0;
	default:
		return false;
	}
}

/*
 * Read and check the header at p.
 * @return 1 (*h is a sane header that was intact when read), 0 (p is at or past head: nothing
 *         yet), -EAGAIN (lapped: the producer claimed p's chunk), -EPROTO (corrupt).
 */
static int peek(struct ringshm_reader *rd, uint64_t p, struct ringshm_rec_hdr *h)
{
	bool sane;

	if (p >= rd->head) {
		refresh_head(rd);
		if (p >= rd->head) {
			return 0;
		}
	}
	if (unlikely(p & (RINGSHM_REC_ALIGN - 1))) {
		return -EPROTO;
	}
	load_hdr(rd, p, h);
	sane = hdr_sane(rd, p, h);
	if (overwritten(rd, claim_after(rd), p)) {
		return -EAGAIN;
	}
	/* Not lapped, so what we read was a finished record: if it is not sane, nothing is. */
	return sane ? 1 : -EPROTO;
}

/* Lapped at rd->pos: jump to the oldest chunk still held, counting the bytes skipped. */
static void lapped(struct ringshm_reader *rd)
{
	uint64_t t = oldest_for(rd, RS_LOAD_RELAXED(&rd->ctl->claim));

	rd->st.overruns++;
	if (t > rd->pos) {
		rd->st.lost_bytes += t - rd->pos;
		rd->pos = t;
	}
}

int ringshm_reader_next(struct ringshm_reader *rd, struct ringshm_record *rec)
{
	struct ringshm_rec_hdr h;
	int rc;

	/*
	 * Validating the previous record here and dropping the answer would let a caller go on
	 * with data the producer overwrote while it was in use: only the caller can undo what it
	 * made of a record, so only the caller asks done().
	 */
	if (unlikely(rd->pending)) {
		return -EBUSY;
	}
	/*
	 * Each header's address depends on the previous header's cap_len, so the CPU cannot run
	 * ahead on its own: prefetch the lines a few records on (measured: bench-ringshm).
	 */
	__builtin_prefetch(rd->data + ((rd->pos + RS_PREFETCH) & rd->mask));
	for (;;) {
		rc = peek(rd, rd->pos, &h);
		if (rc == 0) {
			return 0;
		}
		if (rc == -EAGAIN) {
			lapped(rd);
			continue;
		}
		if (rc < 0) {
			return rc;
		}
		if (h.type != RINGSHM_REC_PAD) {
			break;
		}
		rd->pos = (rd->pos | rd->chunk_mask) + 1;
	}
	rec->data = rd->data + (rd->pos & rd->mask) + RINGSHM_REC_HDR_SIZE;
	rec->pos = rd->pos;
	rec->seq = h.seq;
	rec->ts_ns = h.ts_ns;
	rec->cap_len = h.cap_len;
	rec->wire_len = h.wire_len;
	rec->flags = h.flags;
	rec->port = h.port;
	rec->type = h.type;
	rd->pending = true;
	rd->cur_pos = rd->pos;
	rd->cur_seq = h.seq;
	rd->cur_size = ringshm_rec_size(h.cap_len);
	return 1;
}

bool ringshm_reader_done(struct ringshm_reader *rd)
{
	if (!rd->pending) {
		return false;
	}
	rd->pending = false;
	/* The final check: was any byte of the record rewritten while the caller used it? */
	if (likely(!rd->skip_final) && overwritten(rd, claim_after(rd), rd->cur_pos)) {
		lapped(rd);
		return false;
	}
	/*
	 * Every record between the last one delivered and this one was lost (lapped, or
	 * discarded by done()).  A tentative expectation (a next_seq snapshot taken at the
	 * producer's head) may be ahead of the truth by a burst: never count a negative gap.
	 */
	if (rd->cur_seq > rd->expect_seq) {
		rd->st.lost_records += rd->cur_seq - rd->expect_seq;
	}
	rd->expect_seq = rd->cur_seq + 1;
	rd->seq_tentative = false;
	rd->st.delivered++;
	rd->pos = rd->cur_pos + rd->cur_size;
	if (rd->slot && (++rd->reg_count & 1023) == 0) {
		rs_registry_update(rd, false);
	}
	return true;
}

void ringshm__test_skip_final_check(struct ringshm_reader *rd, bool skip)
{
	rd->skip_final = skip;
}

/* ------------------------------------------------------------------ seek */

/* Start at the producer's head: the expected seq is a snapshot of next_seq. */
static void seek_head(struct ringshm_reader *rd)
{
	uint64_t h1, h2, ns;

	do {
		h1 = RS_LOAD_ACQUIRE(&rd->ctl->head);
		ns = RS_LOAD_RELAXED(&rd->ctl->next_seq);
		RS_FENCE_ACQUIRE();
		h2 = RS_LOAD_RELAXED(&rd->ctl->head);
	} while (h1 != h2);
	rd->head = h1;
	rd->pos = h1;
	rd->expect_seq = ns;
	rd->seq_tentative = true;
}

/*
 * Walk from p to the first record (not PAD) with ts_ns >= ts and park the cursor there, with
 * its seq as the expected one; at the head if there is none.  Restarts from the oldest chunk
 * if lapped while walking (nothing is counted lost: the reader had not started).
 */
static int settle(struct ringshm_reader *rd, uint64_t p, uint64_t ts)
{
	struct ringshm_rec_hdr h;
	int rc;

	for (;;) {
		rc = peek(rd, p, &h);
		if (rc == 0) {
			seek_head(rd);
			if (rd->pos <= p) {
				return 0;
			}
			continue; /* more arrived meanwhile */
		}
		if (rc == -EAGAIN) {
			uint64_t t = oldest_for(rd, RS_LOAD_RELAXED(&rd->ctl->claim));

			p = t > p ? t : p;
			continue;
		}
		if (rc < 0) {
			return rc;
		}
		if (h.type == RINGSHM_REC_PAD) {
			p = (p | rd->chunk_mask) + 1;
			continue;
		}
		if (h.ts_ns >= ts) {
			rd->pos = p;
			rd->expect_seq = h.seq;
			rd->seq_tentative = false;
			return 0;
		}
		p += ringshm_rec_size(h.cap_len);
	}
}

/* Whether chunk number i started before ts (a chunk overwritten since counts as before). */
static bool chunk_before(const struct ringshm_reader *rd, uint64_t i, uint64_t ts)
{
	const struct ringshm_chunk_ent *e = &rd->ctl->chunk_index[i & (rd->nchunks - 1)];
	/* Pairs with the producer's release store of chunk_pos after first_ts. */
	uint64_t cp = RS_LOAD_ACQUIRE(&e->chunk_pos);
	uint64_t first = RS_LOAD_RELAXED(&e->first_ts);

	/*
	 * If the producer started rewriting this entry for the next lap while we read it,
	 * first_ts may be the new one; it had claimed the chunk before, so claim tells.
	 */
	if (cp != i << rd->chunk_shift || claim_after(rd) > cp + rd->capacity) {
		return true;
	}
	return first < ts;
}

/* The start of the last chunk held whose first record is older than ts. */
static uint64_t time_search(struct ringshm_reader *rd, uint64_t ts)
{
	uint64_t lo_pos = oldest_for(rd, RS_LOAD_ACQUIRE(&rd->ctl->claim));
	uint64_t lo, hi, ans;

	refresh_head(rd);
	if (rd->head <= lo_pos) {
		return lo_pos;
	}
	lo = lo_pos >> rd->chunk_shift;
	hi = (rd->head - 1) >> rd->chunk_shift;
	ans = lo;
	while (lo <= hi) {
		uint64_t m = lo + (hi - lo) / 2;

		if (chunk_before(rd, m, ts)) {
			ans = m;
			lo = m + 1;
		} else {
			if (m == 0) {
				break;
			}
			hi = m - 1;
		}
	}
	return ans << rd->chunk_shift;
}

int ringshm_reader_seek(struct ringshm_reader *rd, enum ringshm_from from, uint64_t ts_ns)
{
	rd->pending = false;
	refresh_head(rd);
	switch (from) {
	case RINGSHM_FROM_NEWEST:
		seek_head(rd);
		return 0;
	case RINGSHM_FROM_OLDEST:
		return settle(rd, oldest_for(rd, RS_LOAD_ACQUIRE(&rd->ctl->claim)), 0);
	case RINGSHM_FROM_TIME:
		return settle(rd, time_search(rd, ts_ns), ts_ns);
	}
	return -EINVAL;
}

/* ------------------------------------------------------------------ waiting */

static inline bool data_ready(const struct ringshm_reader *rd)
{
	return RS_LOAD_ACQUIRE(&rd->ctl->head) > rd->pos;
}

int ringshm_reader_wait(struct ringshm_reader *rd, uint64_t timeout_ns)
{
	uint64_t start, now, step = 1000;
	struct timespec ts;

	for (int i = 0; i < 512; i++) {
		if (data_ready(rd)) {
			return 0;
		}
		cpu_relax();
	}
	start = rs_mono_ns();
	for (int i = 0; i < 16; i++) {
		if (data_ready(rd)) {
			return 0;
		}
		sched_yield();
	}
	if (rd->slot) {
		rs_registry_update(rd, true);
	}
	for (;;) {
		if (data_ready(rd)) {
			return 0;
		}
		now = rs_mono_ns();
		if (now - start >= timeout_ns) {
			return -ETIMEDOUT;
		}
		if (step > timeout_ns - (now - start)) {
			step = timeout_ns - (now - start);
		}
		ts.tv_sec = 0;
		ts.tv_nsec = (long)step;
		nanosleep(&ts, NULL);
		step = step * 2 > 1000000 ? 1000000 : step * 2;
	}
}

/* ------------------------------------------------------------------ open/close */

static int open_error(const char *path, int e, struct ringshm_error *err)
{
	struct stat st;
	struct group *g;
	char gname[64];

	if (e == ENOENT) {
		return rs_error(
			err, -ENOENT,
			"%s: no such ring (is the capture running? names resolve under $FEEDCAP_RING_DIR or %s)",
			path, RINGSHM_DEFAULT_DIR);
	}
	if (e == EACCES && stat(path, &st) == 0) {
		g = getgrgid(st.st_gid);
		if (g) {
			snprintf(gname, sizeof(gname), "%s", g->gr_name);
		} else {
			snprintf(gname, sizeof(gname), "%u", (unsigned)st.st_gid);
		}
		return rs_error(
			err, -EACCES,
			"%s: permission denied: the ring is mode %04o, owner uid %u, group %s (gid %u); run the reader as a member of group %s",
			path, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, gname,
			(unsigned)st.st_gid, gname);
	}
	return rs_error(err, -e, "%s: cannot open the ring: %s", path, strerror(e));
}

struct ringshm_reader *ringshm_reader_open(const char *name_or_path, struct ringshm_error *err)
{
	struct ringshm_reader *rd;
	struct ringshm_ctl c;
	char path[PATH_MAX];
	struct stat st;
	void *map;
	int rc, fd;

	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
	rc = ringshm_resolve(name_or_path, NULL, path, sizeof(path));
	if (rc) {
		rs_error(err, rc, "ring name \"%s\": empty or too long",
			 name_or_path ? name_or_path : "(null)");
		errno = -rc;
		return NULL;
	}
	/* O_NONBLOCK: a FIFO at the path must not hang the reader; it is refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		rc = open_error(path, errno, err);
		errno = -rc;
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = rs_error(err, -EPROTO, "%s: not a ring: not a regular file", path);
		goto out_close;
	}
	for (int tries = 0;; tries++) {
		ssize_t n;

		if (fstat(fd, &st) != 0) {
			rc = rs_error(err, -errno, "%s: fstat: %s", path, strerror(errno));
			goto out_close;
		}
		memset(&c, 0, sizeof(c));
		n = pread(fd, &c, sizeof(c), 0);
		if (n < 0) {
			rc = rs_error(err, -errno, "%s: read: %s", path, strerror(errno));
			goto out_close;
		}
		/* A producer still writing the identity: wait up to 1 s for the version. */
		if (st.st_size >= (off_t)sizeof(c) && c.magic == RINGSHM_MAGIC &&
		    c.version_major == 0) {
			if (tries >= 100) {
				rc = rs_error(
					err, -ETIMEDOUT,
					"%s: the producer never published the ring's version (waited 1 s): it may have died while creating the ring",
					path);
				goto out_close;
			}
			usleep(10000);
			continue;
		}
		break;
	}
	rc = rs_check_ctl(&c, (uint64_t)st.st_size, path, err);
	if (rc) {
		goto out_close;
	}
	map = mmap(NULL, c.file_size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		rc = rs_error(err, -errno, "%s: mmap of %llu bytes: %s", path,
			      (unsigned long long)c.file_size, strerror(errno));
		goto out_close;
	}
	rd = calloc(1, sizeof(*rd));
	if (!rd) {
		munmap(map, c.file_size);
		rc = rs_error(err, -ENOMEM, "out of memory");
		goto out_close;
	}
	rd->fd = fd;
	rd->ctl = map;
	rd->map = map;
	rd->map_len = c.file_size;
	/* Geometry from the checked copy: a hostile file cannot change it under us. */
	rd->data = (const uint8_t *)map + c.ctl_size;
	rd->capacity = c.capacity;
	rd->mask = c.capacity - 1;
	rd->chunk_size = c.chunk_size;
	rd->chunk_mask = c.chunk_size - 1;
	rd->nchunks = c.nchunks;
	rd->chunk_shift = (unsigned int)__builtin_ctz(c.chunk_size);
	rd->epoch = RS_LOAD_RELAXED(&rd->ctl->epoch);
	if (!realpath(path, rd->path)) {
		snprintf(rd->path, sizeof(rd->path), "%s", path);
	}
	seek_head(rd);
	return rd;

out_close:
	close(fd);
	errno = -rc;
	return NULL;
}

void ringshm_reader_close(struct ringshm_reader *rd)
{
	if (!rd) {
		return;
	}
	rs_registry_release(rd);
	munmap(rd->map, rd->map_len);
	close(rd->fd);
	free(rd);
}

/* ------------------------------------------------------------------ accessors */

void ringshm_reader_stats(const struct ringshm_reader *rd, struct ringshm_reader_stats *st)
{
	*st = rd->st;
}

uint64_t ringshm_reader_head(const struct ringshm_reader *rd)
{
	return RS_LOAD_ACQUIRE(&rd->ctl->head);
}

uint64_t ringshm_reader_lag(const struct ringshm_reader *rd)
{
	uint64_t h = ringshm_reader_head(rd);

	return h > rd->pos ? h - rd->pos : 0;
}

uint64_t ringshm_reader_pos(const struct ringshm_reader *rd)
{
	return rd->pos;
}

const struct ringshm_ctl *ringshm_reader_ctl(const struct ringshm_reader *rd)
{
	return rd->ctl;
}

const struct ringshm_xstat_table *ringshm_reader_xstats(const struct ringshm_reader *rd)
{
	/* Checked against the geometry the reader validated at open, without overflow. */
	uint64_t off = RS_LOAD_RELAXED(&rd->ctl->xstats_off);
	uint64_t ctl_size = (uint64_t)(rd->data - (const uint8_t *)rd->map);

	if (off == 0 || off % RINGSHM_CACHELINE || off < rs_ctl_bytes(rd->nchunks) ||
	    off > ctl_size || ctl_size - off < sizeof(struct ringshm_xstat_table)) {
		return NULL;
	}
	return (const struct ringshm_xstat_table *)(const void *)((const uint8_t *)rd->map + off);
}

int ringshm_reader_clock(const struct ringshm_reader *rd, void *buf, uint32_t len)
{
	const struct ringshm_ctl *c = rd->ctl;

	for (int tries = 0; tries < 100000; tries++) {
		/* Pairs with the final release store of clock_seq in ringshm_clock_publish(). */
		uint32_t s1 = RS_LOAD_ACQUIRE(&c->clock_seq), s2, n;

		if (s1 & 1) {
			cpu_relax();
			continue;
		}
		n = RS_LOAD_RELAXED(&c->clock_len);
		if (n > RINGSHM_CLOCK_BLOCK_SIZE) {
			n = RINGSHM_CLOCK_BLOCK_SIZE;
		}
		if (n > len) {
			n = len;
		}
		memcpy(buf, c->clock, n);
		/* Pairs with the release fence after the writer made clock_seq odd. */
		RS_FENCE_ACQUIRE();
		s2 = RS_LOAD_RELAXED(&c->clock_seq);
		if (s1 == s2) {
			return (int)n;
		}
	}
	return -EAGAIN;
}

bool ringshm_reader_producer_alive(const struct ringshm_reader *rd, uint64_t max_age_ns)
{
	uint64_t hb = RS_LOAD_RELAXED(&rd->ctl->heartbeat_ns);
	uint64_t now = rs_now_ns();

	if (RS_LOAD_ACQUIRE(&rd->ctl->state) != RINGSHM_STATE_RUNNING) {
		return false;
	}
	return hb >= now || now - hb <= max_age_ns;
}
