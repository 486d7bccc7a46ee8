/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archive_write.c - the archive writer's calls (fcreader.h): open, write, flush, the
 * statistics and comments, and close, which after a write error cuts the file back to its last
 * durable point and ends it there.
 *
 * Frames are encoded by the container ops into a staging buffer; when it fills, or when the
 * flush interval passes, the sink takes it to the file.  The writer remembers the file offset
 * and the caller's tag of the last frame at each point where the file was a valid prefix of an
 * archive ("durable"): for a plain file that is after every complete write(), for zstd after
 * every ZSTD_e_flush.
 *
 * Where the rest is: archive_write_internal.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "archive_write_internal.h"

#define STAGE_SIZE     (1u << 20)  /* container bytes handed to the sink at a time */
#define FLUSH_BYTES    (1u << 20)  /* zstd: flush after this much input, one thread */
#define FLUSH_BYTES_MT (16u << 20) /* zstd: flush after this much input, with workers */

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
	fcr_direct_off(w);
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
			   opts->direct_io && !opts->zstd_level ? FCR_DIO_STAGE : STAGE_SIZE) !=
	    0) {
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
			fcr_direct_on(w);
		}
	}
	w->last_flush_ns = fcr_mono_ns();
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
		rc = fcr_writer_push(w, w->o.zstd_multiframe ? FCR_PUSH_END : FCR_PUSH_FLUSH);
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
	int rc = fcr_writer_push(w, w->o.zstd_multiframe && w->o.zstd_level ? FCR_PUSH_END
									    : FCR_PUSH_FLUSH);

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
	if (fcr_mono_ns() - w->last_flush_ns < w->o.flush_interval_ns) {
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
	if (fcr_mono_ns() - w->last_flush_ns >= w->o.flush_interval_ns ||
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
	fcr_direct_off(w); /* the partial block in buf is gone with len = 0 below */
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
			(void)fcr_out_write_sealing(w, w->buf, w->len);
		}
		w->len = 0;
		w->broken = broken;
	}
	if (w->sink->seal_broken) {
		(void)w->sink->seal_broken(w);
	}
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
		rc = fcr_writer_push(w, w->o.zstd_level ? FCR_PUSH_END : FCR_PUSH_FLUSH);
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
