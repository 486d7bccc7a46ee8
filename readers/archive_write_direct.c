/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archive_write_direct.c - O_DIRECT output of plain archives (fcr_writer_opts.direct_io):
 * whole aligned blocks from two staging buffers, one write in flight on a thread of its own.
 *
 * Why: buffered writes of a capture fill the page cache with bytes nobody reads again, and the
 * final fsync() (or the kernel's writeback, whenever it decides) then pays for all of them at once:
 * plain pcap ran anywhere between 0.3 and 0.95 GB/s run to run (docs/performance.md).  Whole
 * aligned blocks written with O_DIRECT go to the disk at once, with no copy into the page
 * cache.  O_DIRECT cannot write a partial block, so the partial last block stays at the front of
 * the staging buffer and is written through the page cache (fd) only when a flush needs it on the
 * file; the next direct write of that block makes the kernel write back and drop the cached page
 * first, so both views agree.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive_write_internal.h"

/*
 * One O_DIRECT write in flight, on a thread of its own: while the disk takes one 1 MiB block
 * the caller fills the other buffer from the ring (double buffering; the two overlap, so the
 * file is written at the disk's rate rather than at disk + copy).  The caller learns the
 * result when it next needs a buffer, or at a flush, before any durable point is reported.
 */
struct fcr_dio {
	pthread_t thr;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool busy; /* a job is queued or running */
	bool quit;
	int fd;
	uint8_t *buf; /* the job's buffer while busy; else the spare buffer */
	size_t cap;   /* of each buffer */
	size_t len;
	uint64_t off;
	int rc; /* the first failed job's -errno */
};

static void *dio_main(void *arg)
{
	struct fcr_dio *d = arg;

	pthread_mutex_lock(&d->mu);
	for (;;) {
		while (!d->busy && !d->quit) {
			pthread_cond_wait(&d->cv, &d->mu);
		}
		if (!d->busy) {
			break;
		}
		pthread_mutex_unlock(&d->mu);
		int rc = fcr_pwrite_all(d->fd, d->buf, d->len, d->off);
		pthread_mutex_lock(&d->mu);
		if (rc < 0 && !d->rc) {
			d->rc = rc;
		}
		d->busy = false;
		pthread_cond_broadcast(&d->cv);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

/* Wait for the write in flight; its result (0 or -errno of the first failure). */
static int dio_wait(struct fcr_dio *d)
{
	int rc;

	pthread_mutex_lock(&d->mu);
	while (d->busy) {
		pthread_cond_wait(&d->cv, &d->mu);
	}
	rc = d->rc;
	pthread_mutex_unlock(&d->mu);
	return rc;
}

static struct fcr_dio *dio_start(int fd, size_t cap)
{
	struct fcr_dio *d = calloc(1, sizeof(*d));

	if (!d) {
		return NULL;
	}
	if (posix_memalign((void **)&d->buf, FCR_DIO_ALIGN, cap) != 0) {
		free(d);
		return NULL;
	}
	d->fd = fd;
	d->cap = cap;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	if (pthread_create(&d->thr, NULL, dio_main, d) != 0) {
		pthread_cond_destroy(&d->cv);
		pthread_mutex_destroy(&d->mu);
		free(d->buf);
		free(d);
		return NULL;
	}
	return d;
}

static void dio_stop(struct fcr_dio *d)
{
	pthread_mutex_lock(&d->mu);
	d->quit = true;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->thr, NULL);
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	free(d->buf);
	free(d);
}

void fcr_direct_off(struct fcr_writer *w)
{
	if (w->dio) {
		dio_stop(w->dio); /* waits for the write in flight */
		w->dio = NULL;
	}
	if (w->dfd >= 0) {
		close(w->dfd);
		w->dfd = -1;
	}
}

/* The file now holds what was written up to off (counted once). */
static void written_to(struct fcr_writer *w, uint64_t off)
{
	if (off > w->file_off) {
		w->st.bytes_out += off - w->file_off;
		w->file_off = off;
	}
}

/* O_DIRECT: write buf's bytes from file_off up to end through the page cache (fd). */
static int buffered_to(struct fcr_writer *w, uint64_t end)
{
	int rc = fcr_pwrite_all(w->fd, w->buf + (w->file_off - w->buf_off),
				(size_t)(end - w->file_off), w->file_off);

	if (rc == 0) {
		written_to(w, end);
		w->synced_off = end;
	}
	return rc;
}

int fcr_out_direct(struct fcr_writer *w, size_t len, enum fcr_push_mode mode)
{
	uint64_t end = w->buf_off + len;
	size_t whole = (size_t)((end & ~(uint64_t)(FCR_DIO_ALIGN - 1)) - w->buf_off);
	size_t tail = len - whole;
	int rc;

	if (w->broken) {
		return w->broken;
	}
	rc = fcr_out_reserve(w, (size_t)(end - w->file_off));
	if (rc < 0) {
		return rc;
	}
	if (w->dio && (whole || mode != FCR_PUSH_CONTINUE)) {
		rc = dio_wait(w->dio);
		if (rc < 0) {
			return fcr_writer_fail(w, rc, "write failed");
		}
		if (w->dio->off + w->dio->len > w->synced_off) {
			w->synced_off = w->dio->off + w->dio->len;
		}
	}
	if (whole && w->dio && w->dio->cap >= w->cap && mode == FCR_PUSH_CONTINUE) {
		/* hand this buffer to the thread, go on in its spare */
		struct fcr_dio *d = w->dio;
		uint8_t *spare = d->buf;

		memcpy(spare, w->buf + whole, tail);
		pthread_mutex_lock(&d->mu);
		d->buf = w->buf;
		d->len = whole;
		d->off = w->buf_off;
		d->busy = true;
		pthread_cond_signal(&d->cv);
		pthread_mutex_unlock(&d->mu);
		w->buf = spare;
		if (w->cap < FCR_DIO_STAGE && w->buf_off + whole >= FCR_DIO_RAMP) {
			w->cap = FCR_DIO_STAGE; /* both buffers have that size */
		}
		/* counted as written now: an error shows at the next wait, before any durable point */
		written_to(w, w->buf_off + whole);
		w->buf_off += whole;
		w->len = tail;
		return 0;
	}
	if (whole) {
		rc = fcr_pwrite_all(w->dfd, w->buf, whole, w->buf_off);
		if (rc == 0 && !w->dio) {
			/* O_DIRECT works here: from now on, one write in flight while filling */
			w->dio = dio_start(w->dfd, FCR_DIO_STAGE);
		}
		if (rc == -EINVAL) {
			/* The file system took O_DIRECT at open() but not here: write as before. */
			fcr_direct_off(w);
			rc = buffered_to(w, end);
			if (rc == 0 && lseek(w->fd, (off_t)end, SEEK_SET) < 0) {
				rc = -errno;
			}
			return rc < 0 ? fcr_writer_fail(w, rc, "write failed") : 0;
		}
		if (rc < 0) {
			return fcr_writer_fail(w, rc, "write failed");
		}
		written_to(w, w->buf_off + whole);
		if (w->buf_off + whole > w->synced_off) {
			w->synced_off = w->buf_off + whole;
		}
	}
	if (mode != FCR_PUSH_CONTINUE && end > w->file_off) {
		rc = buffered_to(w, end);
		if (rc < 0) {
			return fcr_writer_fail(w, rc, "write failed");
		}
	}
	if (whole && tail) {
		memmove(w->buf, w->buf + whole, tail);
	}
	w->buf_off += whole;
	w->len = tail;
	return 0;
}

/*
 * O_DIRECT, after a failed push: the bytes up to the newest mark that fits in the space already
 * reserved are still in the staging buffer (buf[0..len) from buf_off): write them through the
 * page cache so the file keeps what write() would have kept (every earlier push).
 */
void fcr_direct_salvage(struct fcr_writer *w, size_t len)
{
	unsigned int i;

	if (w->dio) {
		/* the write in flight lands (or not) first */
		if (dio_wait(w->dio) == 0 && w->dio->off + w->dio->len > w->synced_off) {
			w->synced_off = w->dio->off + w->dio->len;
		}
		dio_stop(w->dio);
		w->dio = NULL;
	}
	for (i = w->nmarks; i-- > 0;) {
		uint64_t off = w->marks[i].off;

		if (off <= w->synced_off) {
			break;
		}
		if (off > w->buf_off + len || off > w->reserve_end || w->file_off < w->buf_off ||
		    w->synced_off < w->file_off) {
			continue;
		}
		(void)buffered_to(w, off);
		break;
	}
	fcr_commit_marks(w);
}

/*
 * A second descriptor of the same file with O_DIRECT (through /proc/self/fd: the caller's fd,
 * its flags and its offset stay as they are).  The staging buffer starts at the aligned block
 * holding file_off, read back when the file does not start there (a resumed file).  Any
 * failure leaves the writer on plain write().
 */
void fcr_direct_on(struct fcr_writer *w)
{
	char path[64];
	size_t carry = (size_t)(w->file_off & (FCR_DIO_ALIGN - 1));

	snprintf(path, sizeof(path), "/proc/self/fd/%d", w->fd);
	w->dfd = open(path, O_WRONLY | O_DIRECT | O_CLOEXEC);
	if (w->dfd < 0) {
		return;
	}
	w->buf_off = w->file_off - carry;
	w->synced_off = w->file_off;
	if (carry && pread(w->fd, w->buf, carry, (off_t)w->buf_off) != (ssize_t)carry) {
		fcr_direct_off(w);
		return;
	}
	w->len = carry;
}
