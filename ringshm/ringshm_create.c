/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringshm_create.c - creating a ring file or taking over an existing one: the backing
 * (hugetlbfs or shared memory), its size and group, mapping and pre-faulting, the producer's
 * lock, and the new epoch that continues where the previous producer stopped.
 */
#define _GNU_SOURCE /* renameat2 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <hugetlbfs.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <unistd.h>

#include "ringshm_producer_internal.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

/* ------------------------------------------------------------------ create */

static long resolve_group(const char *group, struct ringshm_error *err)
{
	struct group *g;
	char *end;
	long gid;

	if (!group) {
		g = getgrnam(RINGSHM_GROUP);
		return g ? (long)g->gr_gid : -1;
	}
	gid = strtol(group, &end, 10);
	if (*group && !*end && gid >= 0) {
		return gid;
	}
	g = getgrnam(group);
	if (!g) {
		rs_error(
			err, -EINVAL,
			"ring group \"%s\" does not exist: create it (groupadd %s) or give a numeric gid",
			group, group);
		return -2;
	}
	return (long)g->gr_gid;
}

/* Free (unreserved) hugepages of size pagesz, from sysfs; -1 if unknown. */
static long free_hugepages(long pagesz)
{
	char path[128];
	long fr = -1, rsv = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%ldkB/free_hugepages",
		 pagesz >> 10);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%ld", &fr) != 1) {
			fr = -1;
		}
		fclose(f);
	}
	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%ldkB/resv_hugepages",
		 pagesz >> 10);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%ld", &rsv) != 1) {
			rsv = 0;
		}
		fclose(f);
	}
	return fr < 0 ? -1 : fr - rsv;
}

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/* Where the NIC counter table goes: after the chunk index, 64-byte aligned. */
static uint64_t xstats_off_for(uint32_t nchunks)
{
	return round_up(rs_ctl_bytes(nchunks), RINGSHM_CACHELINE);
}

static uint64_t ctl_size_for(uint32_t nchunks, uint64_t page)
{
	return round_up(xstats_off_for(nchunks) + sizeof(struct ringshm_xstat_table),
			page > RINGSHM_CTL_ALIGN ? page : RINGSHM_CTL_ALIGN);
}

/* "1 MiB", "2 MiB", "1 GiB", "64 KiB" or "N bytes", for messages. */
static const char *size_words(uint64_t b, char *buf, size_t len)
{
	if (b >= (UINT64_C(1) << 30) && !(b & ((UINT64_C(1) << 30) - 1))) {
		snprintf(buf, len, "%llu GiB", (unsigned long long)(b >> 30));
	} else if (b >= (UINT64_C(1) << 20) && !(b & ((UINT64_C(1) << 20) - 1))) {
		snprintf(buf, len, "%llu MiB", (unsigned long long)(b >> 20));
	} else if (b >= 1024 && !(b & 1023)) {
		snprintf(buf, len, "%llu KiB", (unsigned long long)(b >> 10));
	} else {
		snprintf(buf, len, "%llu bytes", (unsigned long long)b);
	}
	return buf;
}

/*
 * A hugetlbfs file is sized in whole huge pages (ftruncate() to anything else is EINVAL), and
 * the data area follows a control area of whole pages, so the capacity must be a multiple of
 * the page size.  Capacity and page size are both powers of two: that means "at least one
 * page".  Rounding the capacity up silently would make a restart with the same --ring-size
 * ask for a different ring than the one on disk, so the caller is told instead.
 */
static int page_mismatch(struct ringshm_error *err, const char *where, uint64_t capacity,
			 uint64_t page)
{
	char c[32], pg[32];

	return rs_error(
		err, -EINVAL,
		"%s%sa ring of %s (%llu bytes) cannot live on %s hugepages: on hugetlbfs the capacity must be a multiple of the page size; ask for %s or more (a power of two), or use another backing (file or shm)",
		where, where[0] ? ": " : "", size_words(capacity, c, sizeof(c)),
		(unsigned long long)capacity, size_words(page, pg, sizeof(pg)), pg);
}

/*
 * A hugetlbfs mount with room for a ring of this geometry: fills dir and *pagesz.
 * @return 0, -ENOENT (no mount), -ENOMEM (no room; err says how many pages are free/needed).
 */
static int pick_hugetlbfs(uint64_t capacity, uint32_t nchunks, char *dir, size_t dirlen,
			  long *pagesz, struct ringshm_error *err)
{
	long sizes[8];
	int n = gethugepagesizes(sizes, 8);
	int best = -ENOENT;

	/* 2 MiB pages first: bigger pages would need a control area of a whole page. */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < n; i++) {
			long sz = sizes[i];
			const char *mnt;
			uint64_t need;
			long fr;

			if ((pass == 0) != (sz == (long)RINGSHM_CTL_ALIGN)) {
				continue;
			}
			mnt = hugetlbfs_find_path_for_size(sz);
			if (!mnt) {
				continue;
			}
			if (capacity % (uint64_t)sz) {
				/* The first mount's page size (2 MiB) is the one to name. */
				if (best == -ENOENT) {
					best = page_mismatch(err, mnt, capacity, (uint64_t)sz);
				}
				continue;
			}
			need = (ctl_size_for(nchunks, (uint64_t)sz) + capacity) / (uint64_t)sz;
			fr = free_hugepages(sz);
			if (fr >= 0 && (uint64_t)fr < need) {
				best = rs_error(
					err, -ENOMEM,
					"hugetlbfs %s: %ld free %ld KiB hugepages, %llu needed for a %llu MiB ring (raise vm.nr_hugepages or make the ring smaller)",
					mnt, fr, sz >> 10, (unsigned long long)need,
					(unsigned long long)(capacity >> 20));
				continue;
			}
			snprintf(dir, dirlen, "%s", mnt);
			*pagesz = sz;
			return 0;
		}
	}
	if (best == -ENOENT) {
		best = rs_error(
			err, -ENOENT,
			"no hugetlbfs mount found (mount -t hugetlbfs nodev /dev/hugepages)");
	}
	return best;
}

static int map_and_fault(struct ringshm *r, uint64_t size, bool lock, struct ringshm_error *err)
{
	volatile uint8_t *p;
	long page = sysconf(_SC_PAGESIZE);
	void *m;

	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, 0);
	if (m == MAP_FAILED) {
		return rs_error(err, -errno, "%s: mmap of %llu bytes failed: %s", r->path,
				(unsigned long long)size, strerror(errno));
	}
	r->map_len = size;
	r->ctl = m;
	p = m;
	/*
	 * Write-fault every page now so the poller never does.  Rewriting the byte it holds keeps
	 * the data of a previous epoch intact.
	 */
	for (uint64_t off = 0; off < size; off += (uint64_t)page) {
		p[off] = p[off];
	}
	if (lock && mlock(m, size) != 0) {
		int e = errno;

		return rs_error(
			err, -e,
			"%s: mlock of %llu MiB failed: %s (needs CAP_IPC_LOCK or a higher RLIMIT_MEMLOCK; or set no_lock)",
			r->path, (unsigned long long)(size >> 20), strerror(e));
	}
	return 0;
}

/*
 * A ring an older producer made has no NIC counter table; its control area may still have
 * room for one after the chunk index (the bytes there were never written: zeros).
 */
static void adopt_xstats(struct ringshm *r)
{
	struct ringshm_ctl *c = r->ctl;
	uint64_t off = xstats_off_for(c->nchunks);

	if (c->xstats_off == 0 && off <= c->ctl_size &&
	    c->ctl_size - off >= sizeof(struct ringshm_xstat_table)) {
		RS_STORE_RELAXED(&c->xstats_off, off);
	}
}

static void start_epoch(struct ringshm *r)
{
	struct ringshm_ctl *c = r->ctl;
	struct ringshm_epoch_payload ep;
	uint64_t old_head = c->head, old_claim = c->claim;

	RS_STORE_RELAXED(&c->state, RINGSHM_STATE_INIT);
	/*
	 * Bytes between the old head and the old claim were never published: the previous producer
	 * died in the middle of a burst.  They may hold whole or torn records with the right
	 * positions, so turn them into padding before the head moves past them: a reader waiting
	 * at the old head then skips them.
	 */
	for (uint64_t p = old_head; p < old_claim; p = (p | (r->chunk_size - 1)) + 1) {
		rs_write_pad(r, p);
	}
	r->pos = old_claim;
	r->claim = old_claim;
	r->seq = c->next_seq;
	r->frames = c->counters.frames;
	r->bytes = c->counters.bytes;
	r->cap_bytes = c->counters.cap_bytes;
	r->truncated = c->counters.truncated;
	r->markers = c->counters.markers;
	r->refused = c->counters.refused;

	ep.epoch = c->epoch + 1;
	ep.pid = (uint64_t)getpid();
	ep.start_ns = rs_now_ns();
	ep.resumed_from = old_head;
	RS_STORE_RELAXED(&c->producer_pid, ep.pid);
	RS_STORE_RELAXED(&c->producer_start_ns, ep.start_ns);
	RS_STORE_RELAXED(&c->epoch, ep.epoch);
	ringshm_marker(r, RINGSHM_REC_EPOCH, &ep, sizeof(ep), ep.start_ns);
	ringshm_commit(r);
	ringshm_heartbeat(r);
	RS_STORE_RELEASE(&c->state, RINGSHM_STATE_RUNNING);
}

static void setup_geometry(struct ringshm *r)
{
	struct ringshm_ctl *c = r->ctl;

	r->data = (uint8_t *)c + c->ctl_size;
	r->mask = c->capacity - 1;
	r->chunk_size = c->chunk_size;
	r->nchunks_mask = c->nchunks - 1;
	r->chunk_shift = (unsigned int)__builtin_ctzll(c->chunk_size);
	r->max_caplen = c->chunk_size - RINGSHM_REC_HDR_SIZE;
	if (r->max_caplen > RINGSHM_MAX_CAPLEN) {
		r->max_caplen = RINGSHM_MAX_CAPLEN;
	}
}

static uint32_t backing_of(int fd)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs) != 0) {
		return RINGSHM_BACKING_FILE;
	}
	if ((unsigned long)sfs.f_type == (unsigned long)HUGETLBFS_MAGIC) {
		return RINGSHM_BACKING_HUGETLBFS;
	}
	if ((unsigned long)sfs.f_type == (unsigned long)TMPFS_MAGIC) {
		return RINGSHM_BACKING_SHM;
	}
	return RINGSHM_BACKING_FILE;
}

static int lock_producer(struct ringshm *r, struct ringshm_error *err)
{
	struct ringshm_ctl c;

	if (flock(r->fd, LOCK_EX | LOCK_NB) == 0) {
		return 0;
	}
	if (errno != EWOULDBLOCK) {
		return rs_error(err, -errno, "%s: flock: %s", r->path, strerror(errno));
	}
	memset(&c, 0, sizeof(c));
	if (pread(r->fd, &c, sizeof(c), 0) < 0) {
		c.producer_pid = 0;
	}
	return rs_error(
		err, -EBUSY,
		"%s: the ring is in use by a live producer (pid %llu, epoch %llu): stop it first",
		r->path, (unsigned long long)c.producer_pid, (unsigned long long)c.epoch);
}

static int open_existing(struct ringshm *r, const struct ringshm_params *p,
			 struct ringshm_error *err)
{
	struct ringshm_ctl c;
	struct stat st;
	ssize_t n;
	int rc;

	r->fd = open(r->path, O_RDWR | O_CLOEXEC);
	if (r->fd < 0) {
		return rs_error(err, -errno, "%s: cannot open the existing ring for writing: %s",
				r->path, strerror(errno));
	}
	rc = lock_producer(r, err);
	if (rc) {
		return rc;
	}
	if (fstat(r->fd, &st) != 0) {
		return rs_error(err, -errno, "%s: fstat: %s", r->path, strerror(errno));
	}
	memset(&c, 0, sizeof(c));
	n = pread(r->fd, &c, sizeof(c), 0);
	if (n < 0) {
		return rs_error(err, -errno, "%s: read: %s", r->path, strerror(errno));
	}
	rc = rs_check_ctl(&c, (uint64_t)st.st_size, r->path, err);
	if (rc) {
		return rc;
	}
	if (c.capacity != p->capacity || c.chunk_size != p->chunk_size) {
		return rs_error(
			err, -EEXIST,
			"%s: an existing ring of %llu bytes in chunks of %u; asked for %llu in chunks of %u: remove the file or ask for the same size",
			r->path, (unsigned long long)c.capacity, c.chunk_size,
			(unsigned long long)p->capacity, p->chunk_size);
	}
	if (c.claim % c.chunk_size || c.head > c.claim || c.claim - c.head > c.capacity ||
	    c.next_seq == 0) {
		return rs_error(
			err, -EPROTO,
			"%s: corrupt ring cursors: claim %llu, head %llu, next_seq %llu: remove the file",
			r->path, (unsigned long long)c.claim, (unsigned long long)c.head,
			(unsigned long long)c.next_seq);
	}
	/* flock is held: whatever pid the file names is not a producer of this ring any more. */
	return map_and_fault(r, c.file_size, !p->no_lock, err);
}

static int create_new(struct ringshm *r, const char *target, const struct ringshm_params *p,
		      long gid, uint64_t page, struct ringshm_error *err)
{
	struct ringshm_ctl *c;
	uint32_t nchunks = (uint32_t)(p->capacity / p->chunk_size);
	uint64_t ctl_size = ctl_size_for(nchunks, page);
	uint64_t size = ctl_size + p->capacity;
	char tmp[PATH_MAX];
	int rc;

	/* Build under a temporary name: readers never see a half-made file. */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", target, (int)getpid()) >= (int)sizeof(tmp)) {
		return rs_error(err, -ENAMETOOLONG, "%s: path too long", target);
	}
	snprintf(r->path, sizeof(r->path), "%s", tmp);
	r->fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (r->fd < 0) {
		return rs_error(err, -errno, "%s: cannot create: %s", tmp, strerror(errno));
	}
	if (flock(r->fd, LOCK_EX | LOCK_NB) != 0) {
		rc = rs_error(err, -errno, "%s: flock: %s", tmp, strerror(errno));
		goto out_unlink;
	}
	if (gid >= 0 && fchown(r->fd, (uid_t)-1, (gid_t)gid) != 0) {
		rc = rs_error(err, -errno, "%s: cannot give the ring to group %ld: %s", tmp, gid,
			      strerror(errno));
		goto out_unlink;
	}
	if (fchmod(r->fd, 0640) != 0 || ftruncate(r->fd, (off_t)size) != 0) {
		struct statfs sfs;
		int e = errno;

		/* Not expected (the page size was checked above), but if a hugetlbfs refuses the
		 * size, say which page size it wanted. */
		if (e == EINVAL && fstatfs(r->fd, &sfs) == 0 &&
		    (unsigned long)sfs.f_type == (unsigned long)HUGETLBFS_MAGIC &&
		    p->capacity % (uint64_t)sfs.f_bsize) {
			rc = page_mismatch(err, tmp, p->capacity, (uint64_t)sfs.f_bsize);
		} else {
			rc = rs_error(err, -e, "%s: cannot size the ring to %llu bytes: %s", tmp,
				      (unsigned long long)size, strerror(e));
		}
		goto out_unlink;
	}
	/* Reserve every page now: a full /dev/shm or hugepage pool fails here, not in the poller. */
	rc = posix_fallocate(r->fd, 0, (off_t)size);
	if (rc != 0 && rc != EOPNOTSUPP && rc != EINVAL) {
		rc = rs_error(err, rc == ENOSPC ? -ENOMEM : -rc,
			      "%s: cannot reserve %llu MiB for the ring: %s", tmp,
			      (unsigned long long)(size >> 20), strerror(rc));
		goto out_unlink;
	}
	rc = map_and_fault(r, size, !p->no_lock, err);
	if (rc) {
		goto out_unlink;
	}
	c = r->ctl;
	c->magic = RINGSHM_MAGIC;
	c->version_minor = RINGSHM_VERSION_MINOR;
	c->file_size = size;
	c->ctl_size = ctl_size;
	c->capacity = p->capacity;
	c->chunk_size = p->chunk_size;
	c->nchunks = nchunks;
	c->rec_align = RINGSHM_REC_ALIGN;
	c->rec_hdr_size = RINGSHM_REC_HDR_SIZE;
	c->backing = backing_of(r->fd);
	c->page_size = page;
	c->xstats_off = xstats_off_for(nchunks);
	c->next_seq = 1; /* seq 0 means "none" (PAD) */
	c->create_ns = rs_now_ns();
	/* Identity complete: pairs with the reader's load-acquire of version_major. */
	RS_STORE_RELEASE(&c->version_major, RINGSHM_VERSION_MAJOR);
	/* Never replace a ring another producer created meanwhile. */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, target, RENAME_NOREPLACE) != 0 &&
	    (errno != EINVAL || link(tmp, target) != 0 || unlink(tmp) != 0)) {
		rc = rs_error(err, errno == EEXIST ? -EBUSY : -errno,
			      "%s: cannot put the new ring in place: %s%s", target, strerror(errno),
			      errno == EEXIST ? " (another producer created it meanwhile)" : "");
		goto out_unlink;
	}
	snprintf(r->path, sizeof(r->path), "%s", target);
	return 0;

out_unlink:
	unlink(tmp);
	return rc;
}

/*
 * The file of a named ring on /dev/shm: RINGSHM_SHM_DIR/NAME.  /dev/shm itself is 1777, so the
 * ring goes in a private directory, made 0750 in the ring's group (gid, -1 = leave it) when
 * missing; one that exists is used as it is.
 * @return 0, or -errno with err filled.
 */
static int shm_target(const char *name, long gid, char *target, size_t len,
		      struct ringshm_error *err)
{
	struct stat st;
	int fd, rc = 0;

	if (snprintf(target, len, "%s/%s", RINGSHM_SHM_DIR, name) >= (int)len) {
		return rs_error(err, -ENAMETOOLONG, "ring name %s: too long for %s", name,
				RINGSHM_SHM_DIR);
	}
	if (mkdir(RINGSHM_SHM_DIR, 0750) != 0) {
		if (errno != EEXIST) {
			return rs_error(err, -errno, "%s: cannot create the ring directory: %s",
					RINGSHM_SHM_DIR, strerror(errno));
		}
		if (stat(RINGSHM_SHM_DIR, &st) != 0 || !S_ISDIR(st.st_mode)) {
			return rs_error(err, -ENOTDIR, "%s: not a directory: remove it",
					RINGSHM_SHM_DIR);
		}
		return 0;
	}
	/* New: the umask may have taken bits off 0750, and the group is the ring's. */
	fd = open(RINGSHM_SHM_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || (gid >= 0 && fchown(fd, (uid_t)-1, (gid_t)gid) != 0) ||
	    fchmod(fd, 0750) != 0) {
		rc = rs_error(err, -errno, "%s: cannot make it mode 0750, group %ld: %s",
			      RINGSHM_SHM_DIR, gid, strerror(errno));
		rmdir(RINGSHM_SHM_DIR);
	}
	if (fd >= 0) {
		close(fd);
	}
	return rc;
}

static void destroy(struct ringshm *r)
{
	if (r->ctl) {
		munmap(r->ctl, r->map_len);
	}
	if (r->fd >= 0) {
		close(r->fd);
	}
	free(r);
}

struct ringshm *ringshm_create(const char *name_or_path, const struct ringshm_params *params,
			       struct ringshm_error *err)
{
	struct ringshm_params p = { 0 };
	char link[PATH_MAX], target[PATH_MAX], hdir[PATH_MAX / 2];
	const char *name = name_or_path;
	struct ringshm *r;
	bool is_name, existed = false;
	long gid, page = RINGSHM_CTL_ALIGN;
	struct stat st;
	int rc;

	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
	if (params) {
		p = *params;
	}
	if (!p.capacity) {
		p.capacity = RINGSHM_DEFAULT_CAPACITY;
	}
	if (!p.chunk_size) {
		p.chunk_size = RINGSHM_DEFAULT_CHUNK;
	}
	if (p.chunk_size < RINGSHM_MIN_CHUNK || (p.chunk_size & (p.chunk_size - 1)) ||
	    (p.capacity & (p.capacity - 1)) || p.capacity < 2 * (uint64_t)p.chunk_size ||
	    p.capacity / p.chunk_size > UINT32_MAX || (unsigned)p.backing > RINGSHM_BACKING_FILE) {
		errno = EINVAL;
		rs_error(
			err, -EINVAL,
			"ring geometry: capacity %llu and chunk_size %u must be powers of two, chunk >= %u, capacity >= 2 chunks",
			(unsigned long long)p.capacity, p.chunk_size, RINGSHM_MIN_CHUNK);
		return NULL;
	}
	rc = ringshm_resolve(name, p.dir, link, sizeof(link));
	if (rc) {
		errno = -rc;
		rs_error(err, rc, "ring name \"%s\": empty or too long", name ? name : "(null)");
		return NULL;
	}
	gid = resolve_group(p.group, err);
	if (gid == -2) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		rs_error(err, -ENOMEM, "out of memory");
		return NULL;
	}
	r->fd = -1;
	is_name = !strchr(name, '/');

	if (realpath(link, target)) {
		/* An existing ring: a new epoch. */
		snprintf(r->path, sizeof(r->path), "%s", target);
		rc = open_existing(r, &p, err);
		if (rc) {
			goto out_fail;
		}
		goto out_start;
	}
	if (errno != ENOENT) {
		rc = rs_error(err, -errno, "%s: %s", link, strerror(errno));
		goto out_fail;
	}
	if (is_name) {
		/* A dangling symlink (its hugetlbfs file was removed): replace it. */
		if (lstat(link, &st) == 0 && S_ISLNK(st.st_mode)) {
			unlink(link);
		}
		{
			char d[PATH_MAX];
			char *slash;

			snprintf(d, sizeof(d), "%s", link);
			slash = strrchr(d, '/');
			if (slash && slash != d) {
				*slash = '\0';
				if (mkdir(d, 0755) != 0 && errno != EEXIST) {
					rc = rs_error(err, -errno,
						      "%s: cannot create the ring directory: %s", d,
						      strerror(errno));
					goto out_fail;
				}
			}
		}
		switch (p.backing) {
		case RINGSHM_BACKING_AUTO:
		case RINGSHM_BACKING_HUGETLBFS:
			rc = pick_hugetlbfs(p.capacity, (uint32_t)(p.capacity / p.chunk_size), hdir,
					    sizeof(hdir), &page, err);
			if (rc == 0) {
				if (snprintf(target, sizeof(target), "%s/feedcap-%s", hdir, name) >=
				    (int)sizeof(target)) {
					rc = rs_error(err, -ENAMETOOLONG, "ring name too long");
					goto out_fail;
				}
				break;
			}
			if (p.backing == RINGSHM_BACKING_HUGETLBFS) {
				goto out_fail;
			}
			/* AUTO: fall back to /dev/shm, and say so (err->code stays 0 on success). */
			{
				char why[sizeof(err->msg)];

				snprintf(why, sizeof(why), "%s", err ? err->msg : "");
				rc = shm_target(name, gid, target, sizeof(target), err);
				if (rc) {
					goto out_fail;
				}
				rs_error(
					err, 0,
					"warning: ring %s on /dev/shm with 4 KiB pages (slower, more TLB misses): %s",
					name, why);
			}
			page = RINGSHM_CTL_ALIGN;
			break;
		case RINGSHM_BACKING_SHM:
			rc = shm_target(name, gid, target, sizeof(target), err);
			if (rc) {
				goto out_fail;
			}
			break;
		case RINGSHM_BACKING_FILE:
			snprintf(target, sizeof(target), "%s", link);
			break;
		}
	} else {
		struct statfs sfs;
		char d[PATH_MAX];
		char *slash;

		snprintf(target, sizeof(target), "%s", link);
		snprintf(d, sizeof(d), "%s", link);
		slash = strrchr(d, '/');
		if (slash == d) {
			d[1] = '\0';
		} else if (slash) {
			*slash = '\0';
		}
		if (statfs(d, &sfs) == 0 &&
		    (unsigned long)sfs.f_type == (unsigned long)HUGETLBFS_MAGIC) {
			page = sfs.f_bsize;
			if (p.capacity % (uint64_t)page) {
				rc = page_mismatch(err, target, p.capacity, (uint64_t)page);
				goto out_fail;
			}
		}
	}
	if (is_name && strcmp(target, link) != 0 && lstat(target, &st) == 0) {
		/* The ring file is there but its link in DIR is not (removed, or DIR is new). */
		snprintf(r->path, sizeof(r->path), "%s", target);
		rc = open_existing(r, &p, err);
		if (rc) {
			goto out_fail;
		}
		existed = true;
	} else {
		rc = create_new(r, target, &p, gid, (uint64_t)page, err);
		if (rc) {
			goto out_fail;
		}
	}
	if (is_name && strcmp(target, link) != 0 && symlink(target, link) != 0) {
		rc = rs_error(err, -errno, "%s: cannot link to %s: %s", link, target,
			      strerror(errno));
		if (!existed) {
			unlink(target);
		}
		goto out_fail;
	}
out_start:
	/* The registry next to the ring, in the ring's group (made again if it was removed). */
	rs_registry_create(r->path, fstat(r->fd, &st) == 0 ? (long)st.st_gid : gid);
	setup_geometry(r);
	adopt_xstats(r);
	start_epoch(r);
	return r;

out_fail:
	destroy(r);
	errno = -rc;
	if (err) {
		err->code = rc;
	}
	return NULL;
}

void ringshm_close(struct ringshm *r)
{
	if (!r) {
		return;
	}
	ringshm_heartbeat(r);
	RS_STORE_RELEASE(&r->ctl->state, RINGSHM_STATE_STOPPED);
	destroy(r);
}
