/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archive_write_push.c - the staging buffer handed to the sink, and the durable points: which
 * frames are on the file, told to the caller through fcr_writer_opts.on_durable.
 *
 * Container ops fill the staging buffer (fcr_wbuf_reserve()); a push gives what is staged to
 * the sink, when the buffer is full (CONTINUE), at a flush and at the end.  A push is durable
 * once every byte of it is on the file: at once for write(), at a flush for zstd, and for
 * O_DIRECT once the block holding its last byte is written, which is what the marks track.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "archive_write_internal.h"

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
void fcr_commit_marks(struct fcr_writer *w)
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

int fcr_writer_push(struct fcr_writer *w, enum fcr_push_mode mode)
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
			fcr_direct_salvage(w, len);
			if (w->o.on_durable && w->hdr_len &&
			    (w->durable_off != was_off || w->durable_frames != was_frames)) {
				report_durable(w);
			}
		}
		return rc;
	}
	if (mode != FCR_PUSH_CONTINUE || w->sink->durable_on_push) {
		if (w->dfd >= 0) {
			fcr_commit_marks(w); /* what a CONTINUE push left in flight first */
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
		w->last_flush_ns = fcr_mono_ns();
		w->in_at_flush = w->st.bytes_in;
	}
	return 0;
}

uint8_t *fcr_wbuf_reserve(struct fcr_writer *w, size_t n)
{
	if (w->len + n > w->cap) {
		if (fcr_writer_push(w, FCR_PUSH_CONTINUE) < 0) {
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
