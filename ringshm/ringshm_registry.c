/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringshm_registry.c - FILE.readers: where readers that want to be seen publish their position
 * and losses (feedcap-stat's reader lag).
 *
 * A small file next to the ring, mode 0660 in the ring's group, so a reader can write its slot
 * without being able to touch the ring.  The producer's poller never reads it.  A slot is taken
 * with a compare-and-swap of its pid (0 = free, or the pid of a process that no longer exists),
 * so two readers registering at once never share a slot; the only consequence of a stale view
 * of another slot is a retry on the next one.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "ringshm_internal.h"

static struct ringshm_reg_slot *slots_of(void *map)
{
	return (struct ringshm_reg_slot *)((uint8_t *)map + sizeof(struct ringshm_reg_hdr));
}

/*
 * Whether the mapped file h (size bytes) is a registry this library can use.  @return 0,
 * -ENODATA (all zero: not initialised yet), or -EPROTONOSUPPORT / -EPROTO with err naming
 * path and what is wrong.
 */
static int reg_check(const struct ringshm_reg_hdr *h, uint64_t size, const char *path,
		     struct ringshm_error *err)
{
	/* Pairs with the release CAS of magic in reg_map(): the fields below were set before. */
	uint64_t magic = RS_LOAD_ACQUIRE(&h->magic);
	uint32_t version, nslots, slot_size;

	if (magic == 0) {
		return -ENODATA;
	}
	if (magic != RINGSHM_REG_MAGIC) {
		return rs_error(
			err, -EPROTO,
			"%s: not a feedcap reader registry (magic %#018llx, expected \"FCREGS01\"): remove it, the producer makes it anew",
			path, (unsigned long long)magic);
	}
	version = RS_LOAD_RELAXED(&h->version);
	nslots = RS_LOAD_RELAXED(&h->nslots);
	slot_size = RS_LOAD_RELAXED(&h->slot_size);
	if (version != RINGSHM_REG_VERSION) {
		return rs_error(
			err, -EPROTONOSUPPORT,
			"%s: reader registry of layout version %u (made by another feedcap version), this feedcap uses version %d: restart the producer, which makes it anew, or remove the file",
			path, version, RINGSHM_REG_VERSION);
	}
	if (nslots != RINGSHM_MAX_READERS || slot_size != sizeof(struct ringshm_reg_slot)) {
		return rs_error(
			err, -EPROTO,
			"%s: reader registry version %u with %u slots of %u bytes, expected %d of %zu: damaged, remove it",
			path, version, nslots, slot_size, RINGSHM_MAX_READERS,
			sizeof(struct ringshm_reg_slot));
	}
	if (size < RINGSHM_REG_SIZE) {
		return rs_error(err, -EPROTO,
				"%s: reader registry truncated (%llu bytes, %zu needed): remove it",
				path, (unsigned long long)size, RINGSHM_REG_SIZE);
	}
	return 0;
}

/*
 * Map a registry file, sizing and initialising it if writable and still empty.  A file that is
 * already a registry, of whatever version, is never changed here: the version is judged
 * before anything is written.  @return 0, -ENODATA (read-only and not initialised yet: no
 * reader has registered), or -errno with err filled.
 */
static int reg_map(int fd, const char *path, bool writable, void **map, size_t *len,
		   struct ringshm_error *err)
{
	const int prot = PROT_READ | (writable ? PROT_WRITE : 0);
	struct ringshm_reg_hdr *h;
	struct statfs sfs;
	struct stat st;
	uint64_t need = RINGSHM_REG_SIZE, bs = 4096, magic = 0;
	int rc;

	if (fstat(fd, &st) != 0) {
		return rs_error(err, -errno, "%s: %s", path, strerror(errno));
	}
	if (st.st_size > 0 && (uint64_t)st.st_size < sizeof(struct ringshm_reg_hdr)) {
		return rs_error(err, -EPROTO, "%s: not a feedcap reader registry (%lld bytes)",
				path, (long long)st.st_size);
	}
	if (st.st_size > 0) {
		*len = (size_t)st.st_size;
		*map = mmap(NULL, *len, prot, MAP_SHARED, fd, 0);
		if (*map == MAP_FAILED) {
			return rs_error(err, -errno, "%s: cannot map: %s", path, strerror(errno));
		}
		rc = reg_check(*map, (uint64_t)st.st_size, path, err);
		if (rc == 0) {
			return 0;
		}
		munmap(*map, *len);
		if (rc != -ENODATA || !writable) {
			return rc;
		}
		/* All zero: nobody finished making it; size it and take part below. */
	} else if (!writable) {
		return -ENODATA;
	}
	if (fstatfs(fd, &sfs) == 0 && sfs.f_bsize > 0) {
		bs = (uint64_t)sfs.f_bsize; /* hugetlbfs files are sized in whole huge pages */
	}
	need = (need + bs - 1) / bs * bs;
	if ((uint64_t)st.st_size < need && ftruncate(fd, (off_t)need) != 0) {
		return rs_error(err, -errno, "%s: cannot size the reader registry: %s", path,
				strerror(errno));
	}
	*len = (uint64_t)st.st_size > need ? (size_t)st.st_size : (size_t)need;
	*map = mmap(NULL, *len, prot, MAP_SHARED, fd, 0);
	if (*map == MAP_FAILED) {
		return rs_error(err, -errno, "%s: cannot map: %s", path, strerror(errno));
	}
	h = *map;
	/* Everyone writes the same constants, then one CAS publishes the magic. */
	RS_STORE_RELAXED(&h->version, RINGSHM_REG_VERSION);
	RS_STORE_RELAXED(&h->nslots, RINGSHM_MAX_READERS);
	RS_STORE_RELAXED(&h->slot_size, (uint32_t)sizeof(struct ringshm_reg_slot));
	/* Pairs with the acquire load of magic in reg_check(). */
	__atomic_compare_exchange_n(&h->magic, &magic, RINGSHM_REG_MAGIC, false, __ATOMIC_RELEASE,
				    __ATOMIC_RELAXED);
	rc = reg_check(h, *len, path, err);
	if (rc) {
		munmap(*map, *len);
		if (rc == -ENODATA) {
			rc = rs_error(err, -EPROTO, "%s: reader registry not initialised", path);
		}
	}
	return rc;
}

/*
 * Replace a registry this producer cannot use (another layout version, or damaged) by a new
 * one: made complete under a temporary name, then renamed over it, so that a reader opening
 * the path sees the old file or the new one, never half of either.  Processes still holding
 * the old file keep their mapping of the unlinked inode: their stores reach nobody, and
 * nothing they do can damage the new file.
 */
static int reg_replace(const char *path, long gid)
{
	char tmp[PATH_MAX + 48];
	size_t len;
	void *map;
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.new.%d", path, (int)getpid()) >= (int)sizeof(tmp)) {
		return -ENAMETOOLONG;
	}
	unlink(tmp); /* a leftover of a producer with this pid that died here */
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0660);
	if (fd < 0) {
		return -errno;
	}
	if (gid >= 0 && fchown(fd, (uid_t)-1, (gid_t)gid) != 0) {
		rc = -errno;
		goto out_unlink;
	}
	if (fchmod(fd, 0660) != 0) {
		rc = -errno;
		goto out_unlink;
	}
	rc = reg_map(fd, tmp, true, &map, &len, NULL);
	if (rc) {
		goto out_unlink;
	}
	munmap(map, len);
	if (rename(tmp, path) != 0) {
		rc = -errno;
		goto out_unlink;
	}
	close(fd);
	return 0;

out_unlink:
	close(fd);
	unlink(tmp);
	return rc;
}

int rs_registry_create(const char *ring_path, long gid)
{
	char path[PATH_MAX + 16], real[PATH_MAX];
	size_t len;
	void *map;
	int fd, rc;

	if (!realpath(ring_path, real) || rs_registry_path(real, path, sizeof(path))) {
		return -ENAMETOOLONG;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660);
	if (fd < 0) {
		return -errno;
	}
	rc = reg_map(fd, path, true, &map, &len, NULL);
	if (rc == 0) {
		munmap(map, len);
		if (gid >= 0 && fchown(fd, (uid_t)-1, (gid_t)gid) != 0) {
			rc = -errno;
		} else if (fchmod(fd, 0660) != 0) {
			rc = -errno;
		}
	}
	close(fd);
	if (rc == -EPROTONOSUPPORT || rc == -EPROTO) {
		/* The running producer's version is the one in force. */
		rc = reg_replace(path, gid);
	}
	return rc;
}

/*
 * The writer status of a slot changes under the seqlock err_seq, by the slot's owner only
 * (one thread): odd while written, the data in between, then even again.  Like the clock
 * block's seqlock (ringshm_clock_publish()).
 */
static void err_write(struct ringshm_reg_slot *s, uint64_t count, uint32_t err, uint64_t ts_ns,
		      const char *what)
{
	char text[RINGSHM_ERROR_TEXT] = { 0 };
	uint32_t q = RS_LOAD_RELAXED(&s->err_seq);

	q += q & 1; /* a dead owner stopped mid-write: start from an even value */
	if (what) {
		/* Whole field, zero-filled: no tail of a longer earlier text survives. */
		snprintf(text, sizeof(text), "%s", what);
	}
	/* Odd while writing; the release fence orders it before the data (vDSO seqlock). */
	RS_STORE_RELAXED(&s->err_seq, q + 1);
	RS_FENCE_RELEASE();
	RS_STORE_RELAXED(&s->write_errors, count);
	RS_STORE_RELAXED(&s->last_errno, err);
	RS_STORE_RELAXED(&s->last_error_ns, ts_ns);
	memcpy(s->last_error, text, sizeof(text));
	/* Pairs with the monitor's acquire fence before its second load of err_seq (err_read()). */
	RS_STORE_RELEASE(&s->err_seq, q + 2);
}

/* Copy a slot's writer status, torn or not. */
static void err_copy(const struct ringshm_reg_slot *s, struct ringshm_reader_info *o)
{
	o->write_errors = RS_LOAD_RELAXED(&s->write_errors);
	o->last_errno = (int)RS_LOAD_RELAXED(&s->last_errno);
	o->last_error_ns = RS_LOAD_RELAXED(&s->last_error_ns);
	memcpy(o->last_error, s->last_error, sizeof(o->last_error));
	o->last_error[sizeof(o->last_error) - 1] = '\0';
}

/*
 * A consistent copy of a slot's writer status, retried while its owner is writing it.  An
 * owner in the middle of a write may also have been preempted there for milliseconds on a
 * busy machine: its sequence stays odd while it lives, and is waited for, up to a second.
 * Only an owner that died mid-write (pid gone), or one stuck for that second, gets its
 * status taken as it is.
 */
static void err_read(const struct ringshm_reg_slot *s, uint64_t pid, struct ringshm_reader_info *o)
{
	uint64_t odd_since = 0;
	uint32_t stuck_at = 0;

	for (;;) {
		/* Pairs with the final release store of err_seq in err_write(). */
		uint32_t q1 = RS_LOAD_ACQUIRE(&s->err_seq), q2;

		if (q1 & 1) {
			uint64_t now = rs_now_ns();

			if (q1 != stuck_at || !odd_since) {
				stuck_at = q1;
				odd_since = now;
			} else if (!rs_pid_alive(pid) || now - odd_since > UINT64_C(1000000000)) {
				err_copy(s, o);
				return;
			}
			sched_yield(); /* the owner is between two stores */
			continue;
		}
		err_copy(s, o);
		/* Pairs with the release fence after the owner made err_seq odd. */
		RS_FENCE_ACQUIRE();
		q2 = RS_LOAD_RELAXED(&s->err_seq);
		if (q1 == q2) {
			return;
		}
	}
}

void ringshm_reader_note_error(struct ringshm_reader *rd, int err, const char *what)
{
	struct ringshm_reg_slot *s = rd ? rd->slot : NULL;

	if (!s) {
		return;
	}
	err_write(s, RS_LOAD_RELAXED(&s->write_errors) + 1, (uint32_t)(err < 0 ? -err : err),
		  rs_now_ns(), what ? what : "");
}

void ringshm_reader_note_blocked(struct ringshm_reader *rd, bool blocked)
{
	struct ringshm_reg_slot *s = rd ? rd->slot : NULL;

	if (!s) {
		return;
	}
	RS_STORE_RELAXED(&s->blocked, blocked ? 1u : 0u);
	RS_STORE_RELAXED(&s->updated_ns, rs_now_ns());
}

void ringshm_reader_note_lost(struct ringshm_reader *rd, uint64_t records)
{
	if (!rd || !records) {
		return;
	}
	rd->st.lost_records += records;
	if (rd->slot) {
		rs_registry_update(rd, true);
	}
}

void ringshm_reader_restore_stats(struct ringshm_reader *rd, const struct ringshm_reader_stats *st)
{
	if (!rd || !st) {
		return;
	}
	rd->st = *st;
	if (rd->slot) {
		rs_registry_update(rd, true);
	}
}

void rs_registry_update(struct ringshm_reader *rd, bool force)
{
	struct ringshm_reg_slot *s = rd->slot;

	(void)force;
	if (!s) {
		return;
	}
	RS_STORE_RELAXED(&s->pos, rd->pos);
	RS_STORE_RELAXED(&s->delivered, rd->st.delivered);
	RS_STORE_RELAXED(&s->lost_records, rd->st.lost_records);
	RS_STORE_RELAXED(&s->lost_bytes, rd->st.lost_bytes);
	RS_STORE_RELAXED(&s->overruns, rd->st.overruns);
	RS_STORE_RELAXED(&s->epochs_seen, rd->st.epochs_seen);
	RS_STORE_RELAXED(&s->updated_ns, rs_now_ns());
}

void rs_registry_release(struct ringshm_reader *rd)
{
	if (rd->slot) {
		rs_registry_update(rd, true);
		/* Pairs with the acquire load of pid in ringshm_registry_list(). */
		RS_STORE_RELEASE(&rd->slot->pid, 0);
		rd->slot = NULL;
	}
	if (rd->reg_map) {
		munmap(rd->reg_map, rd->reg_len);
		rd->reg_map = NULL;
	}
}

int ringshm_reader_register(struct ringshm_reader *rd, const char *name, struct ringshm_error *err)
{
	char path[PATH_MAX + 16];
	struct ringshm_reg_slot *slots, *s;
	uint64_t me = (uint64_t)getpid();
	struct stat st;
	int fd, rc;

	if (rd->slot) {
		rs_registry_release(rd);
	}
	if (rs_registry_path(rd->path, path, sizeof(path))) {
		return rs_error(err, -ENAMETOOLONG, "%s.readers: path too long", rd->path);
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		/* No producer made it (an older ring): make it, in the ring's group. */
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660);
		if (fd >= 0 && fstat(rd->fd, &st) == 0) {
			if (fchown(fd, (uid_t)-1, st.st_gid) != 0 || fchmod(fd, 0660) != 0) {
				/* best effort: the file still works for this user */
			}
		}
	}
	if (fd < 0) {
		return rs_error(
			err, -errno,
			"%s: cannot open the reader registry for writing: %s (it must be mode 0660 in the ring's group, or its directory writable)",
			path, strerror(errno));
	}
	rc = reg_map(fd, path, true, &rd->reg_map, &rd->reg_len, err);
	close(fd);
	if (rc) {
		rd->reg_map = NULL;
		return rc;
	}
	slots = slots_of(rd->reg_map);
	for (int i = 0; i < RINGSHM_MAX_READERS; i++) {
		uint64_t cur = RS_LOAD_ACQUIRE(&slots[i].pid);

		s = &slots[i];
		if (cur != 0 && rs_pid_alive(cur)) {
			continue;
		}
		/* Free, or its reader died without closing: take it (a lost race moves on). */
		if (!__atomic_compare_exchange_n(&s->pid, &cur, me, false, __ATOMIC_ACQ_REL,
						 __ATOMIC_RELAXED)) {
			continue;
		}
		/*
		 * A dead reader's writer status is not ours: start clean.  Until this is done a
		 * monitor may list our pid with the dead reader's name or errors; the only
		 * consequence is one stale line, gone at its next look.
		 */
		memset(s->name, 0, sizeof(s->name));
		snprintf(s->name, sizeof(s->name), "%s", name ? name : "");
		rd->slot = s;
		err_write(s, 0, 0, 0, NULL);
		RS_STORE_RELAXED(&s->blocked, 0);
		rs_registry_update(rd, true);
		return 0;
	}
	munmap(rd->reg_map, rd->reg_len);
	rd->reg_map = NULL;
	return rs_error(
		err, -ENOSPC,
		"%s: all %d reader slots are held by live processes (feedcap-stat lists them)",
		path, RINGSHM_MAX_READERS);
}

int ringshm_registry_list(const char *name_or_path, struct ringshm_reader_info *out, int max)
{
	char link[PATH_MAX], real[PATH_MAX], path[PATH_MAX + 16];
	struct ringshm_reg_slot *slots;
	size_t len;
	void *map;
	int fd, rc, n = 0;

	rc = ringshm_resolve(name_or_path, NULL, link, sizeof(link));
	if (rc) {
		return rc;
	}
	if (!realpath(link, real)) {
		return -errno;
	}
	if (rs_registry_path(real, path, sizeof(path))) {
		return -ENAMETOOLONG;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return errno == ENOENT ? 0 : -errno;
	}
	rc = reg_map(fd, path, false, &map, &len, NULL);
	close(fd);
	if (rc) {
		return rc == -ENODATA ? 0 : rc; /* not initialised: nobody registered yet */
	}
	slots = slots_of(map);
	for (int i = 0; i < RINGSHM_MAX_READERS && n < max; i++) {
		struct ringshm_reg_slot *s = &slots[i];
		uint64_t pid = RS_LOAD_ACQUIRE(&s->pid);

		if (!pid || !rs_pid_alive(pid)) {
			continue;
		}
		memcpy(out[n].name, s->name, sizeof(out[n].name));
		out[n].name[sizeof(out[n].name) - 1] = '\0';
		out[n].pid = pid;
		out[n].pos = RS_LOAD_RELAXED(&s->pos);
		out[n].delivered = RS_LOAD_RELAXED(&s->delivered);
		out[n].lost_records = RS_LOAD_RELAXED(&s->lost_records);
		out[n].lost_bytes = RS_LOAD_RELAXED(&s->lost_bytes);
		out[n].updated_ns = RS_LOAD_RELAXED(&s->updated_ns);
		out[n].blocked = RS_LOAD_RELAXED(&s->blocked) != 0;
		err_read(s, pid, &out[n]);
		n++;
	}
	munmap(map, len);
	return n;
}
