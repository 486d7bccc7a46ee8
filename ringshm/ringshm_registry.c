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

/* Map a registry file, sizing and initialising it if writable.  @return 0 or -errno. */
static int reg_map(int fd, bool writable, void **map, size_t *len)
{
	struct ringshm_reg_hdr *h;
	struct statfs sfs;
	struct stat st;
	uint64_t need = RINGSHM_REG_SIZE, bs = 4096, magic = 0;

	if (fstat(fd, &st) != 0) {
		return -errno;
	}
	if (fstatfs(fd, &sfs) == 0 && sfs.f_bsize > 0) {
		bs = (uint64_t)sfs.f_bsize; /* hugetlbfs files are sized in whole huge pages */
	}
	need = (need + bs - 1) / bs * bs;
	if ((uint64_t)st.st_size < RINGSHM_REG_SIZE) {
		if (!writable) {
			return -EPROTO;
		}
		if (ftruncate(fd, (off_t)need) != 0) {
			return -errno;
		}
		st.st_size = (off_t)need;
	}
	*len = (size_t)st.st_size;
	*map = mmap(NULL, *len, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
	if (*map == MAP_FAILED) {
		return -errno;
	}
	h = *map;
	if (writable && RS_LOAD_ACQUIRE(&h->magic) == 0) {
		/* Everyone writes the same constants, then one CAS publishes the magic. */
		RS_STORE_RELAXED(&h->version, RINGSHM_REG_VERSION);
		RS_STORE_RELAXED(&h->nslots, RINGSHM_MAX_READERS);
		RS_STORE_RELAXED(&h->slot_size, (uint32_t)sizeof(struct ringshm_reg_slot));
		__atomic_compare_exchange_n(&h->magic, &magic, RINGSHM_REG_MAGIC, false,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	}
	if (RS_LOAD_ACQUIRE(&h->magic) != RINGSHM_REG_MAGIC || h->nslots != RINGSHM_MAX_READERS ||
	    h->slot_size != sizeof(struct ringshm_reg_slot)) {
		munmap(*map, *len);
		return -EPROTO;
	}
	return 0;
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
	if (gid >= 0 && fchown(fd, (uid_t)-1, (gid_t)gid) != 0) {
		rc = -errno;
		goto out_close;
	}
	if (fchmod(fd, 0660) != 0) {
		rc = -errno;
		goto out_close;
	}
	rc = reg_map(fd, true, &map, &len);
	if (rc == 0) {
		munmap(map, len);
	}
out_close:
	close(fd);
	return rc;
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
	rc = reg_map(fd, true, &rd->reg_map, &rd->reg_len);
	close(fd);
	if (rc) {
		rd->reg_map = NULL;
		return rs_error(err, rc, "%s: cannot use the reader registry: %s", path,
				strerror(-rc));
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
		memset(s->name, 0, sizeof(s->name));
		snprintf(s->name, sizeof(s->name), "%s", name ? name : "");
		rd->slot = s;
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
	rc = reg_map(fd, false, &map, &len);
	close(fd);
	if (rc) {
		return rc;
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
		n++;
	}
	munmap(map, len);
	return n;
}
