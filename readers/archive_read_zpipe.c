/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archive_read_zpipe.c - zstd decompression on a thread of its own.
 *
 * Replaying a zstd archive is two jobs of about the same cost, decompressing and then parsing and
 * writing the records (libpcap, the output), and in one thread they add up: at 0.4-0.7 of `zstd -d`
 * (docs/performance.md).  Past the first ZPIPE_AFTER bytes (the header, a time seek, and small
 * archives stay in the caller's thread, as do archives merged by the hundred in a set: most never
 * get there) a decoder thread fills blocks of ZPIPE_BLOCK bytes ahead of the reader, ZPIPE_BLOCKS
 * at most.  It works on its own copy of the source (t); the reader takes the decoder's state back
 * when the thread has ended (the end of the stream, a zstd or read error), so every error message
 * reads the same fields as before.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "archive_read_file_internal.h"

#define ZPIPE_BLOCKS 4
#define ZPIPE_BLOCK  (1u << 20)
#define ZPIPE_AFTER  (1u << 20)

struct zpipe {
	pthread_t thr;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct zsrc t; /* the decoder's copy of the source; the reader's again after the join */
	uint8_t *data[ZPIPE_BLOCKS];
	size_t len[ZPIPE_BLOCKS];
	uint32_t frame[ZPIPE_BLOCKS]; /* t.frame after each block, for fcr_archive_zstd_frames() */
	unsigned int head, tail;      /* filled blocks: tail .. head - 1 (mod ZPIPE_BLOCKS) */
	size_t pos;		      /* the reader's position in block tail */
	bool done;		      /* the decoder made its last block */
	int err;		      /* with done: errno of a read error, or 0 */
	bool stop;		      /* the reader closes: end now */
};

static void *zpipe_main(void *arg)
{
	struct zpipe *p = arg;
	bool end = false;

	while (!end) {
		unsigned int i;
		size_t len = 0;
		int err = 0;

		pthread_mutex_lock(&p->mu);
		while (p->head - p->tail == ZPIPE_BLOCKS && !p->stop) {
			pthread_cond_wait(&p->cv, &p->mu);
		}
		i = p->head % ZPIPE_BLOCKS;
		end = p->stop;
		pthread_mutex_unlock(&p->mu);
		if (end) {
			break;
		}
		while (len < ZPIPE_BLOCK) {
			ssize_t n =
				fcr_zsrc_decode(&p->t, (char *)p->data[i] + len, ZPIPE_BLOCK - len);

			if (n <= 0) {
				err = n < 0 ? errno : 0;
				end = true;
				break;
			}
			len += (size_t)n;
		}
		pthread_mutex_lock(&p->mu);
		p->len[i] = len;
		p->frame[i] = p->t.frame;
		p->head++;
		p->done = end;
		p->err = err;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

/* Stop the decoder and take its state back (the reader's own fields kept). */
void fcr_zpipe_end(struct zsrc *z)
{
	struct zpipe *p = z->pipe;
	struct zsrc keep = *z;

	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thr, NULL);
	*z = p->t;
	z->uoff = keep.uoff;
	z->prefix = keep.prefix;
	z->prefix_len = keep.prefix_len;
	z->prefix_pos = keep.prefix_pos;
	z->piped = true;
	z->pipe = NULL;
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	for (unsigned int i = 0; i < ZPIPE_BLOCKS; i++) {
		free(p->data[i]);
	}
	free(p);
}

static int zpipe_start(struct zsrc *z)
{
	struct zpipe *p = calloc(1, sizeof(*p));
	unsigned int i;

	z->piped = true; /* one try */
	if (!p) {
		return -1;
	}
	for (i = 0; i < ZPIPE_BLOCKS; i++) {
		p->data[i] = malloc(ZPIPE_BLOCK);
		if (!p->data[i]) {
			goto out_free;
		}
	}
	p->t = *z;
	p->t.pipe = NULL;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&p->thr, NULL, zpipe_main, p) != 0) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		goto out_free;
	}
	z->pipe = p;
	return 0;

out_free:
	while (i-- > 0) {
		free(p->data[i]);
	}
	free(p);
	return -1;
}

/* Bytes from the decoder thread (started here when due); -2: none, decode in this thread. */
ssize_t fcr_zpipe_read(struct zsrc *z, char *buf, size_t size)
{
	struct zpipe *p;
	unsigned int i;
	size_t n;

	if (!z->pipe &&
	    (z->piped || z->uoff < ZPIPE_AFTER || z->zerr || z->eof || zpipe_start(z) < 0)) {
		return -2;
	}
	p = z->pipe;
	pthread_mutex_lock(&p->mu);
	while (p->tail == p->head && !p->done) {
		pthread_cond_wait(&p->cv, &p->mu);
	}
	if (p->tail == p->head) {
		int err = p->err;

		pthread_mutex_unlock(&p->mu);
		fcr_zpipe_end(
			z); /* the decoder's end state (eof, zstd error) is the reader's now */
		if (err) {
			errno = err;
			return -1;
		}
		return 0;
	}
	pthread_mutex_unlock(&p->mu);
	i = p->tail % ZPIPE_BLOCKS;
	n = p->len[i] - p->pos;
	if (n > size) {
		n = size;
	}
	memcpy(buf, p->data[i] + p->pos, n);
	p->pos += n;
	z->frame = p->frame[i];
	if (p->pos == p->len[i]) {
		pthread_mutex_lock(&p->mu);
		p->tail++;
		p->pos = 0;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	return (ssize_t)n;
}
