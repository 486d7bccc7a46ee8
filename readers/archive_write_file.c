/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archive_write_file.c - the archive writer's writes to its file: space reserved ahead,
 * whole writes, and the first write error kept with its message.
 *
 * Disk full is the write error users meet, and it must leave a valid file.  So on a regular
 * file the writer reserves space ahead with fallocate(FALLOC_FL_KEEP_SIZE): a full disk then
 * shows up as a failed reservation before any byte of the frame is written, and the slack kept
 * reserved beyond what is written is what lets close() append the end of the file (a zstd
 * frame end, pcapng statistics) on a disk that has no room left.  close() cuts the file back
 * to its last durable point, seals it, and gives the reserved space back with ftruncate().
 *
 * What is written and when it counts as durable is archive_write_push.c's; O_DIRECT output
 * is archive_write_direct.c's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "archive_write_internal.h"

#define RESERVE_STEP  (8u << 20)  /* fallocate() this much at a time */
#define RESERVE_SLACK (64u << 10) /* always keep this much reserved past what is written */

int fcr_writer_fail(struct fcr_writer *w, int code, const char *what)
{
	if (!w->broken) {
		w->broken = code;
		snprintf(w->errmsg, sizeof(w->errmsg), "%s: %s: %s", w->name, what,
			 strerror(-code));
	}
	return code;
}

int fcr_out_reserve(struct fcr_writer *w, size_t len)
{
	uint64_t need = w->file_off + len + RESERVE_SLACK;
	uint64_t step;

	if (!w->can_reserve || need <= w->reserve_end) {
		return 0;
	}
	step = need - w->reserve_end;
	if (step < RESERVE_STEP) {
		step = RESERVE_STEP;
	}
	if (fallocate(w->fd, FALLOC_FL_KEEP_SIZE, (off_t)w->reserve_end, (off_t)step) == 0) {
		w->reserve_end += step;
		return 0;
	}
	if (errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL) {
		w->can_reserve = false; /* this file system cannot: write and see */
		return 0;
	}
	/* Try for exactly what is needed before calling the disk full. */
	step = need - w->reserve_end;
	if (fallocate(w->fd, FALLOC_FL_KEEP_SIZE, (off_t)w->reserve_end, (off_t)step) == 0) {
		w->reserve_end += step;
		return 0;
	}
	return fcr_writer_fail(w, -errno, "cannot reserve space");
}

/* Write all of p: at off, or at the descriptor's position (off < 0; a pipe).  0 or -errno. */
static int write_all(int fd, const uint8_t *p, size_t len, int64_t off)
{
	while (len > 0) {
		ssize_t n = off < 0 ? write(fd, p, len) : pwrite(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -errno;
		}
		p += n;
		len -= (size_t)n;
		if (off >= 0) {
			off += n;
		}
	}
	return 0;
}

int fcr_pwrite_all(int fd, const uint8_t *p, size_t len, uint64_t off)
{
	return write_all(fd, p, len, (int64_t)off);
}

/* Write without reserving (used inside the reserved slack when sealing a broken file). */
static int raw_write(struct fcr_writer *w, const void *buf, size_t len)
{
	int rc = write_all(w->fd, buf, len, -1);

	if (rc == 0) {
		w->file_off += len;
		w->st.bytes_out += len;
	}
	return rc;
}

int fcr_out_write(struct fcr_writer *w, const void *buf, size_t len)
{
	int rc;

	if (w->broken) {
		return w->broken;
	}
	rc = fcr_out_reserve(w, len);
	if (rc < 0) {
		return rc;
	}
	rc = raw_write(w, buf, len);
	if (rc < 0) {
		return fcr_writer_fail(w, rc, "write failed");
	}
	return 0;
}

int fcr_out_write_sealing(struct fcr_writer *w, const void *buf, size_t len)
{
	return raw_write(w, buf, len);
}
