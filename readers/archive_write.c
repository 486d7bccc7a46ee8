/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archive_write.c - the archive writer core: staging buffer, file output, durability.
 *
 * Frames are encoded by the container ops into a staging buffer; when it fills, or when the
 * flush interval passes, the sink takes it to the file.  The core remembers the file offset
 * and the caller's tag of the last frame at each point where the file was a valid prefix of an
 * archive ("durable"): for a plain file that is after every complete write(), for zstd after
 * every ZSTD_e_flush.
 *
 * Disk full is the write error users meet, and it must leave a valid file.  So on a regular
 * file the writer reserves space ahead with fallocate(FALLOC_FL_KEEP_SIZE): a full disk then
 * shows up as a failed reservation before any byte of the frame is written, and the slack kept
 * reserved beyond what is written is what lets close() append the end of the file (a zstd
 * frame end, pcapng statistics) on a disk that has no room left.  close() cuts the file back
 * to its last durable point, seals it, and gives the reserved space back with ftruncate().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "archive_write_internal.h"

#define STAGE_SIZE     (1u << 20)  /* container bytes handed to the sink at a time */
#define RESERVE_STEP   (8u << 20)  /* fallocate() this much at a time */
#define RESERVE_SLACK  (64u << 10) /* always keep this much reserved past what is written */
#define FLUSH_BYTES    (1u << 20)  /* zstd: flush after this much input, one thread */
#define FLUSH_BYTES_MT (16u << 20) /* zstd: flush after this much input, with workers */
/* O_DIRECT: write this much at a time (as dd bs=4M), one write in flight while the next fills,
 * once the file has DIRECT_RAMP bytes: before, STAGE_SIZE, so that the first writes reserve
 * no more than write() did (a nearly full disk still takes the first MiB of a file) */
#define DIRECT_STAGE (4u << 20)
#define DIRECT_RAMP  (4u << 20)

static uint64_t mono_ns(void)
{
	struct timespec ts;

	/* vDSO: no system call on the write path. */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int fcr_writer_fail(struct fcr_writer *w, int code, const char *what)
{
	if (!w->broken) {
		w->broken = code;
		snprintf(w->errmsg, sizeof(w->errmsg), "%s: %s: %s", w->name, what,
			 strerror(-code));
	}
	return code;
}

static int reserve(struct fcr_writer *w, size_t len)
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

static int pwrite_all(int fd, const uint8_t *p, size_t len, uint64_t off)
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
		int rc = pwrite_all(d->fd, d->buf, d->len, d->off);
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

static void direct_off(struct fcr_writer *w)
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

/*
 * O_DIRECT output.  Why: buffered writes of a capture fill the page cache with bytes nobody
 * reads again, and the final fsync() (or the kernel's writeback, whenever it decides) then
 * pays for all of them at once: plain pcap ran anywhere between 0.3 and 0.95 GB/s run to run
 * (docs/performance.md).  Whole aligned blocks written with O_DIRECT go to the disk at once,
 * with no copy into the page cache.  O_DIRECT cannot write a partial block, so the partial
 * last block stays at the front of the staging buffer and is written through the page cache
 * (fd) only when a flush needs it on the file; the next direct write of that block makes the
 * kernel write back and drop the cached page first, so both views agree.
 */
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
	int rc = pwrite_all(w->fd, w->buf + (w->file_off - w->buf_off), (size_t)(end - w->file_off),
			    w->file_off);

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
	rc = reserve(w, (size_t)(end - w->file_off));
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
		if (w->cap < DIRECT_STAGE && w->buf_off + whole >= DIRECT_RAMP) {
			w->cap = DIRECT_STAGE; /* both buffers have that size */
		}
		/* counted as written now: an error shows at the next wait, before any durable point */
		written_to(w, w->buf_off + whole);
		w->buf_off += whole;
		w->len = tail;
		return 0;
	}
	if (whole) {
		rc = pwrite_all(w->dfd, w->buf, whole, w->buf_off);
		if (rc == 0 && !w->dio) {
			/* O_DIRECT works here: from now on, one write in flight while filling */
			w->dio = dio_start(w->dfd, DIRECT_STAGE);
		}
		if (rc == -EINVAL) {
			/* The file system took O_DIRECT at open() but not here: write as before. */
			direct_off(w);
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

int fcr_out_write(struct fcr_writer *w, const void *buf, size_t len)
{
	int rc;

	if (w->broken) {
		return w->broken;
	}
	rc = reserve(w, len);
	if (rc < 0) {
		return rc;
	}
	rc = raw_write(w, buf, len);
	if (rc < 0) {
		return fcr_writer_fail(w, rc, "write failed");
	}
	return 0;
}

/*
 * The durable point moved: tell the caller.  A seek point is where a reader can start
 * libpcap after feeding it the header: a record boundary of a plain file (the staging buffer
 * only ever holds whole records), or the start of the next frame of a multi-frame zstd file.
 */
static void report_durable(struct fcr_writer *w)
{
	struct fcr_durable d = {
		.off = w->durable_off,
		.frames = w->durable_frames,
		.first_ts = w->dur_min_ts,
		.last_ts = w->dur_max_ts,
		.have_tag = w->have_durable,
		.first_tag = w->dur_first_tag,
		.last_tag = w->durable_tag,
	};
	bool seekable = !w->o.zstd_level || w->o.zstd_multiframe;

	if (seekable && w->hdr_len) {
		/* points before a late interface block stay good: a reader meets the block */
		d.data_off = w->hdr_len;
		if (!w->finishing && !w->no_seek && w->durable_frames) {
			d.seek_off = w->durable_off;
			d.seek_max_ts = w->dur_max_ts;
		}
	}
	w->o.on_durable(w->o.durable_ctx, &d);
}

/* A batch of frames (the pending ones, or a mark's) is on the file up to off: durable. */
static void make_durable(struct fcr_writer *w, const struct fcr_mark *b)
{
	w->durable_off = b->off;
	w->durable_in = b->in;
	if (b->frames) {
		if (!w->durable_frames) {
			w->dur_first_tag = b->first_tag;
			w->dur_min_ts = b->min_ts;
		}
		if (b->min_ts < w->dur_min_ts) {
			w->dur_min_ts = b->min_ts;
		}
		if (b->max_ts > w->dur_max_ts) {
			w->dur_max_ts = b->max_ts;
		}
		w->have_durable = true;
		w->durable_tag = b->tag;
		w->durable_frames += b->frames;
	}
}

static struct fcr_mark pending_batch(const struct fcr_writer *w, uint64_t off)
{
	struct fcr_mark b = { .off = off, .in = w->st.bytes_in };

	if (w->have_pending && w->pending_frames) {
		b.frames = w->pending_frames;
		b.first_tag = w->pend_first_tag;
		b.tag = w->pending_tag;
		b.min_ts = w->pend_min_ts;
		b.max_ts = w->pend_max_ts;
	}
	return b;
}

/* O_DIRECT: the marks whose bytes are all on the file become durable, oldest first. */
static void commit_marks(struct fcr_writer *w)
{
	unsigned int i = 0, j;

	while (i < w->nmarks && w->marks[i].off <= w->synced_off) {
		make_durable(w, &w->marks[i]);
		i++;
	}
	for (j = 0; i < w->nmarks; i++, j++) {
		w->marks[j] = w->marks[i];
	}
	w->nmarks = j;
}

/*
 * O_DIRECT, after a failed push: the bytes up to the newest mark that fits in the space already
 * reserved are still in the staging buffer (buf[0..len) from buf_off): write them through the
 * page cache so the file keeps what write() would have kept (every earlier push).
 */
static void salvage(struct fcr_writer *w, size_t len)
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
	commit_marks(w);
}

static int push(struct fcr_writer *w, enum fcr_push_mode mode)
{
	uint64_t was_off = w->durable_off, was_frames = w->durable_frames;
	size_t len = w->len;
	int rc;

	if (w->broken) {
		return w->broken;
	}
	if (w->dfd >= 0 && mode == FCR_PUSH_CONTINUE) {
		/*
		 * O_DIRECT writes whole blocks, which may cut a record: a push is durable only once
		 * the block holding its last byte is on the file, a push or two later.  The staged
		 * bytes end on a record here (pushes come between records), so they are a mark.
		 */
		struct fcr_mark m = pending_batch(w, w->buf_off + len);

		if (w->nmarks == FCR_MAX_MARKS) {
			/* not expected (one write in flight): the newest mark grows */
			struct fcr_mark *o = &w->marks[w->nmarks - 1];

			if (m.frames) {
				if (!o->frames) {
					o->first_tag = m.first_tag;
					o->min_ts = m.min_ts;
					o->max_ts = m.max_ts;
				}
				o->min_ts = m.min_ts < o->min_ts ? m.min_ts : o->min_ts;
				o->max_ts = m.max_ts > o->max_ts ? m.max_ts : o->max_ts;
				o->tag = m.tag;
				o->frames += m.frames;
			}
			o->off = m.off;
			o->in = m.in;
		} else {
			w->marks[w->nmarks++] = m;
		}
		w->pending_frames = 0;
	}
	w->len = 0; /* the O_DIRECT sink puts back the partial block it keeps */
	rc = w->sink->push(w, w->buf, len, mode);
	if (rc < 0) {
		if (w->dfd >= 0) {
			salvage(w, len);
			if (w->o.on_durable && w->hdr_len &&
			    (w->durable_off != was_off || w->durable_frames != was_frames)) {
				report_durable(w);
			}
		}
		return rc;
	}
	if (mode != FCR_PUSH_CONTINUE || w->sink->durable_on_push) {
		if (w->dfd >= 0) {
			commit_marks(w); /* what a CONTINUE push left in flight first */
		}
		if (mode != FCR_PUSH_CONTINUE || w->dfd < 0) {
			struct fcr_mark b = pending_batch(w, w->file_off);

			make_durable(w, &b);
			w->pending_frames = 0;
			w->nmarks = 0;
		}
		if (w->o.on_durable && w->hdr_len &&
		    (w->durable_off != was_off || w->durable_frames != was_frames)) {
			report_durable(w);
		}
	}
	if (mode != FCR_PUSH_CONTINUE) {
		w->last_flush_ns = mono_ns();
		w->in_at_flush = w->st.bytes_in;
	}
	return 0;
}

uint8_t *fcr_wbuf_reserve(struct fcr_writer *w, size_t n)
{
	if (w->len + n > w->cap) {
		if (push(w, FCR_PUSH_CONTINUE) < 0) {
			return NULL;
		}
		if (w->len + n > w->cap) {
			/* a record larger than the buffer (aligned for O_DIRECT) */
			void *nb = NULL;

			if (posix_memalign(&nb, FCR_DIO_ALIGN, w->len + n) != 0) {
				fcr_writer_fail(w, -ENOMEM, "staging buffer");
				return NULL;
			}
			memcpy(nb, w->buf, w->len);
			free(w->buf);
			w->buf = nb;
			w->cap = w->len + n;
		}
	}
	w->len += n;
	w->st.bytes_in += n;
	return w->buf + w->len - n;
}

/*
 * A second descriptor of the same file with O_DIRECT (through /proc/self/fd: the caller's fd,
 * its flags and its offset stay as they are).  The staging buffer starts at the aligned block
 * holding file_off, read back when the file does not start there (a resumed file).  Any
 * failure leaves the writer on plain write().
 */
static void direct_on(struct fcr_writer *w)
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
		direct_off(w);
		return;
	}
	w->len = carry;
}

static void copy_err(const struct fcr_writer *w, struct fcr_error *err)
{
	if (err && w->broken) {
		err->code = w->broken;
		snprintf(err->msg, sizeof(err->msg), "%s", w->errmsg);
	}
}

static void free_writer(struct fcr_writer *w)
{
	if (w->sink && w->sink->free) {
		w->sink->free(w);
	}
	direct_off(w);
	free(w->comment);
	free(w->if_filter);
	free(w->buf);
	free(w->ifstats);
	free(w);
}

struct fcr_writer *fcr_writer_open(int fd, const char *name, const struct fcr_writer_opts *opts,
				   struct fcr_error *err)
{
	struct fcr_writer *w;
	struct stat sb;
	int rc;

	if (!opts || (opts->format != FCR_FMT_PCAP && opts->format != FCR_FMT_PCAPNG) ||
	    opts->zstd_level > 22 || opts->zstd_threads < 0 || opts->zstd_threads > 256 ||
	    opts->nports > FCR_MAX_IFACES) {
		if (err) {
			err->code = -EINVAL;
			snprintf(
				err->msg, sizeof(err->msg),
				"%s: bad archive options (format, zstd level 1..22, threads 0..256, ports <= %d)",
				name, FCR_MAX_IFACES);
		}
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		goto out_nomem;
	}
	w->dfd = -1;
	w->cap = STAGE_SIZE;
	if (posix_memalign((void **)&w->buf, FCR_DIO_ALIGN,
			   opts->direct_io && !opts->zstd_level ? DIRECT_STAGE : STAGE_SIZE) != 0) {
		free(w);
		goto out_nomem;
	}
	w->fd = fd;
	snprintf(w->name, sizeof(w->name), "%s", name ? name : "(archive)");
	w->o = *opts;
	w->o.if_filter = NULL;
	if (opts->if_filter && opts->if_filter[0]) {
		w->if_filter = strdup(opts->if_filter);
		if (!w->if_filter) {
			free(w->buf);
			free(w);
			goto out_nomem;
		}
	}
	w->o.section = NULL; /* read by the header only: not kept past the caller's lifetime */
	w->o.iface = NULL;
	w->pcap_dlt = opts->keep_meta && opts->iface ? opts->iface->linktype : DLT_EN10MB;
	w->pcap_usec = opts->keep_meta && opts->iface && opts->iface->tsresol == 6;
	w->sec_set = opts->keep_meta && opts->section;
	w->sec_key = w->sec_set ? opts->section->key : 0;
	w->hdr_section = opts->keep_meta ? opts->section : NULL;
	if (!w->o.flush_interval_ns) {
		w->o.flush_interval_ns = 1000000000u;
	}
	if (!w->o.snaplen) {
		w->o.snaplen = 65535;
	}
	w->fmt = opts->format == FCR_FMT_PCAPNG ? &fcr_fmt_pcapng : &fcr_fmt_pcap;
	w->sink = opts->zstd_level != 0 ? &fcr_sink_zstd : &fcr_sink_plain;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
		off_t off = lseek(fd, 0, SEEK_CUR);

		w->regular = true;
		w->can_reserve = true;
		w->file_off = off > 0 ? (uint64_t)off : 0;
		w->durable_off = w->file_off;
		w->reserve_end = w->file_off;
		if (opts->direct_io && !opts->zstd_level) {
			direct_on(w);
		}
	}
	w->last_flush_ns = mono_ns();
	if (opts->zstd_level) {
		/* Workers compress jobs of a few MiB in parallel: flushing stalls them. */
		w->flush_bytes = opts->zstd_threads > 0 ? FLUSH_BYTES_MT : FLUSH_BYTES;
	}

	rc = w->sink->open(w);
	if (rc == 0) {
		rc = w->fmt->header(w);
	}
	w->hdr_section = NULL;
	if (rc == 0) {
		w->hdr_len = w->st.bytes_in;
	}
	if (rc == 0) {
		/* The header alone is a valid (empty) archive: make it durable now. */
		rc = push(w, w->o.zstd_multiframe ? FCR_PUSH_END : FCR_PUSH_FLUSH);
	}
	if (rc < 0) {
		if (!w->broken) {
			fcr_writer_fail(w, rc, "cannot start the archive");
		}
		copy_err(w, err);
		free_writer(w);
		errno = -rc;
		return NULL;
	}
	return w;

out_nomem:
	if (err) {
		err->code = -ENOMEM;
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory", name);
	}
	errno = ENOMEM;
	return NULL;
}

int fcr_writer_flush(struct fcr_writer *w, struct fcr_error *err)
{
	int rc = push(w, w->o.zstd_multiframe && w->o.zstd_level ? FCR_PUSH_END : FCR_PUSH_FLUSH);

	if (rc < 0) {
		copy_err(w, err);
	}
	return rc;
}

int fcr_writer_tick(struct fcr_writer *w, struct fcr_error *err)
{
	if (w->broken) {
		copy_err(w, err);
		return w->broken;
	}
	if (!w->have_pending || w->pending_frames == 0) {
		/* (with O_DIRECT, buf may hold the partial block already on the file) */
		if (w->len == 0 || (w->dfd >= 0 && w->buf_off + w->len == w->file_off)) {
			return 0;
		}
	}
	if (mono_ns() - w->last_flush_ns < w->o.flush_interval_ns) {
		return 0;
	}
	return fcr_writer_flush(w, err);
}

int fcr_writer_write(struct fcr_writer *w, const struct fcr_pkt *pkt, uint64_t tag,
		     struct fcr_error *err)
{
	int rc;

	if (w->broken) {
		copy_err(w, err);
		return w->broken;
	}
	rc = w->fmt->frame(w, pkt);
	if (rc < 0) {
		copy_err(w, err);
		return rc;
	}
	if (!w->pending_frames) {
		w->pend_first_tag = tag;
		w->pend_min_ts = pkt->ts_ns;
		w->pend_max_ts = pkt->ts_ns;
	} else if (pkt->ts_ns < w->pend_min_ts) {
		w->pend_min_ts = pkt->ts_ns;
	} else if (pkt->ts_ns > w->pend_max_ts) {
		w->pend_max_ts = pkt->ts_ns;
	}
	w->have_pending = true;
	w->pending_tag = tag;
	w->pending_frames++;
	if (!w->st.frames || pkt->ts_ns < w->st.first_ts_ns) {
		w->st.first_ts_ns = pkt->ts_ns;
	}
	if (pkt->ts_ns > w->st.last_ts_ns) {
		w->st.last_ts_ns = pkt->ts_ns;
	}
	w->st.frames++;
	if (pkt->port < FCR_MAX_IFACES) {
		w->iface_frames[pkt->port]++;
	}
	/*
	 * Cheap enough per frame: a vDSO read of the coarse clock, no system call.  zstd also
	 * flushes by volume, which bounds what a write error or a kill can cost (the compressor
	 * holds everything since the last flush) at the price of one block end per flush.
	 */
	if (mono_ns() - w->last_flush_ns >= w->o.flush_interval_ns ||
	    (w->flush_bytes && w->st.bytes_in - w->in_at_flush >= w->flush_bytes)) {
		return fcr_writer_flush(w, err);
	}
	return 0;
}

int fcr_writer_comment(struct fcr_writer *w, const char *text)
{
	size_t n = strlen(text);
	char *c;

	if (w->o.format != FCR_FMT_PCAPNG) {
		return 0;
	}
	c = realloc(w->comment, w->comment_len + n + 2);
	if (!c) {
		return -ENOMEM;
	}
	if (w->comment_len) {
		c[w->comment_len++] = '\n';
	}
	memcpy(c + w->comment_len, text, n + 1);
	w->comment = c;
	w->comment_len += n;
	return 0;
}

void fcr_writer_dropcount(struct fcr_writer *w, uint64_t n)
{
	w->dropcount += n;
}

int fcr_writer_set_ifstats(struct fcr_writer *w, const struct fcr_ifstats *s)
{
	struct fcr_ifstats *n = realloc(w->ifstats, (w->nifstats + 1) * sizeof(*n));

	if (!n) {
		return -ENOMEM;
	}
	w->ifstats = n;
	n[w->nifstats++] = *s;
	return 0;
}

void fcr_writer_set_isb(struct fcr_writer *w, uint32_t port, const struct fcr_isb *isb)
{
	if (port < FCR_MAX_IFACES) {
		w->isb[port] = *isb;
		w->isb_set[port] = true;
	}
}

bool fcr_writer_durable_tag(const struct fcr_writer *w, uint64_t *tag)
{
	if (w->have_durable) {
		*tag = w->durable_tag;
	}
	return w->have_durable;
}

void fcr_writer_stats(const struct fcr_writer *w, struct fcr_writer_stats *st)
{
	*st = w->st;
	if (w->broken) {
		st->frames = w->durable_frames; /* what the file keeps once sealed */
	}
	st->durable = w->have_durable;
	st->durable_tag = w->durable_tag;
}

/*
 * A write failed: cut the file back to its last durable point and end it there.  Runs inside
 * the reserved slack, so it needs no free space on the disk.
 */
static void seal_broken(struct fcr_writer *w)
{
	if (!w->regular) {
		return; /* a pipe: what went out went out */
	}
	direct_off(w); /* the partial block in buf is gone with len = 0 below */
	if (ftruncate(w->fd, (off_t)w->durable_off) != 0 ||
	    lseek(w->fd, (off_t)w->durable_off, SEEK_SET) < 0) {
		return;
	}
	w->st.bytes_out -= w->file_off - w->durable_off;
	w->file_off = w->durable_off;
	w->st.frames = w->durable_frames;
	w->st.bytes_in = w->durable_in;
	w->len = 0;
	if (w->sink->durable_on_push && w->fmt->trailer) {
		/* Plain file: the closing statistics still fit in the slack. */
		int broken = w->broken;

		w->broken = 0;
		if (w->fmt->trailer(w) == 0 && w->len > 0) {
			(void)raw_write(w, w->buf, w->len);
		}
		w->len = 0;
		w->broken = broken;
	}
	if (w->sink->seal_broken) {
		(void)w->sink->seal_broken(w);
	}
}

/* Used by sinks to write inside the slack when sealing (no reservation, no error latch). */
int fcr_out_write_sealing(struct fcr_writer *w, const void *buf, size_t len);
int fcr_out_write_sealing(struct fcr_writer *w, const void *buf, size_t len)
{
	return raw_write(w, buf, len);
}

int fcr_writer_close(struct fcr_writer *w, struct fcr_error *err)
{
	return fcr_writer_finish(w, NULL, err);
}

int fcr_writer_finish(struct fcr_writer *w, struct fcr_writer_stats *st, struct fcr_error *err)
{
	int rc = 0;

	if (!w) {
		if (st) {
			memset(st, 0, sizeof(*st));
		}
		return 0;
	}
	w->finishing = true;
	if (!w->broken && w->fmt->trailer) {
		rc = w->fmt->trailer(w);
	}
	if (!w->broken) {
		rc = push(w, w->o.zstd_level ? FCR_PUSH_END : FCR_PUSH_FLUSH);
	}
	if (!w->broken && w->sink->finish) {
		rc = w->sink->finish(w);
	}
	if (w->broken) {
		rc = w->broken;
		copy_err(w, err);
		seal_broken(w);
	}
	if (w->regular && w->can_reserve) {
		/* Give back what fallocate() reserved past the end. */
		(void)ftruncate(w->fd, (off_t)w->file_off);
	}
	if (w->dfd >= 0) {
		/* pwrite() moved no offset: leave fd at the end, as write() would have */
		(void)lseek(w->fd, (off_t)w->file_off, SEEK_SET);
	}
	if (st) {
		fcr_writer_stats(w, st);
		if (w->broken) {
			st->frames = w->durable_frames;
		}
	}
	free_writer(w);
	return rc;
}

const char *fcr_writer_suffix(const struct fcr_writer_opts *opts)
{
	if (opts->format == FCR_FMT_PCAPNG) {
		return opts->zstd_level ? "pcapng.zst" : "pcapng";
	}
	return opts->zstd_level ? "pcap.zst" : "pcap";
}
