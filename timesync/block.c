/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * block.c - the clock block in the ring: fill, check, publish, read.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/timex.h>

#include "timesync.h"
#ifdef TIMESYNC_HAVE_RINGSHM
#include "ringshm.h"
#endif

void timesync_block_init(struct timesync_block *b, uint64_t threshold_ns, uint64_t holdover_ns)
{
	memset(b, 0, sizeof(*b));
	b->hdr.magic = TIMESYNC_BLOCK_MAGIC;
	b->hdr.version_major = TIMESYNC_BLOCK_VERSION_MAJOR;
	b->hdr.version_minor = TIMESYNC_BLOCK_VERSION_MINOR;
	b->hdr.size = sizeof(*b);
	b->hdr.timescale = TIMESYNC_TIMESCALE_UTC;
	b->hdr.threshold_ns = threshold_ns ? threshold_ns : TIMESYNC_DEFAULT_THRESHOLD_NS;
	b->hdr.holdover_ns = holdover_ns ? holdover_ns : TIMESYNC_DEFAULT_HOLDOVER_NS;
	b->ptp.state = TIMESYNC_FREE_RUNNING;
}

void timesync_block_set_ptp(struct timesync_block *b, const struct timesync_ptp_status *st)
{
	struct timex tx;

	b->ptp = st->blk;
	b->hdr.sys_sync = (uint8_t)st->sys_sync;
	/* TIME_PROPERTIES flag 0x04: currentUtcOffsetValid.  Only a grandmaster that knows the
	 * offset sets it; otherwise the kernel's TAI offset (phc2sys or ntpd set it) if any. */
	if (st->blk.reachable && (st->blk.tp_flags & 0x04)) {
		b->hdr.tai_utc_s = st->blk.utc_offset;
		b->hdr.tai_source = TIMESYNC_TAI_PTP;
		return;
	}
	memset(&tx, 0, sizeof(tx));
	if (adjtimex(&tx) >= 0 && tx.tai != 0) {
		b->hdr.tai_utc_s = tx.tai;
		b->hdr.tai_source = TIMESYNC_TAI_KERNEL;
	} else {
		b->hdr.tai_utc_s = 0;
		b->hdr.tai_source = TIMESYNC_TAI_UNKNOWN;
	}
}

int timesync_block_check(const void *buf, size_t len, struct timesync_error *err)
{
	/*
	 * The block may come from anywhere (a record payload in an archive, a read buffer), so
	 * the header is copied out rather than read in place at an alignment nobody promised.
	 */
	struct timesync_block_hdr hdr;
	const struct timesync_block_hdr *h = &hdr;
	static const uint8_t zero[sizeof(struct timesync_block_hdr)];
	int rc = 0;

	if (len >= sizeof(hdr)) {
		memcpy(&hdr, buf, sizeof(hdr));
	}
	if (len < sizeof(*h)) {
		rc = -EPROTO;
		if (err != NULL) {
			snprintf(err->msg, sizeof(err->msg),
				 "clock block: %zu bytes, shorter than its %zu-byte header", len,
				 sizeof(*h));
		}
	} else if (memcmp(h, zero, sizeof(zero)) == 0) {
		rc = -ENODATA;
		if (err != NULL) {
			snprintf(
				err->msg, sizeof(err->msg),
				"clock block: never published (is the capture running with timesync?)");
		}
	} else if (h->magic != TIMESYNC_BLOCK_MAGIC) {
		rc = -EPROTO;
		if (err != NULL) {
			snprintf(err->msg, sizeof(err->msg),
				 "clock block: bad magic 0x%08x (expected 0x%08x \"FCTS\")",
				 h->magic, TIMESYNC_BLOCK_MAGIC);
		}
	} else if (h->version_major != TIMESYNC_BLOCK_VERSION_MAJOR) {
		rc = -EPROTONOSUPPORT;
		if (err != NULL) {
			snprintf(err->msg, sizeof(err->msg),
				 "clock block: layout version %u.%u, this build reads %u.x",
				 h->version_major, h->version_minor, TIMESYNC_BLOCK_VERSION_MAJOR);
		}
	} else if (h->size < sizeof(struct timesync_block) || len < sizeof(struct timesync_block) ||
		   h->nports > TIMESYNC_MAX_PORTS) {
		rc = -EPROTO;
		if (err != NULL) {
			snprintf(
				err->msg, sizeof(err->msg),
				"clock block: size %u (have %zu, need %zu) or nports %u (max %u) is wrong",
				h->size, len, sizeof(struct timesync_block), h->nports,
				TIMESYNC_MAX_PORTS);
		}
	}
	if (err != NULL) {
		err->code = rc;
		if (rc == 0) {
			err->msg[0] = '\0';
		}
	}
	return rc;
}

#ifdef TIMESYNC_HAVE_RINGSHM
int timesync_block_publish(struct ringshm *r, struct timesync_block *b)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	b->hdr.published_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	b->hdr.generation++;
	b->hdr.rec_flags = b->tsc.rec_flags;
	return ringshm_clock_publish(r, b, sizeof(*b));
}

int timesync_block_read(const struct ringshm_reader *rd, struct timesync_block *out,
			struct timesync_error *err)
{
	int n = ringshm_reader_clock(rd, out, sizeof(*out));

	if (n < 0) {
		if (err != NULL) {
			err->code = n;
			snprintf(err->msg, sizeof(err->msg),
				 "clock block: no consistent copy (the writer kept changing it)");
		}
		return n;
	}
	if (n == 0) {
		if (err != NULL) {
			err->code = -ENODATA;
			snprintf(
				err->msg, sizeof(err->msg),
				"clock block: never published (is the capture running with timesync?)");
		}
		return -ENODATA;
	}
	if ((size_t)n < sizeof(*out)) {
		memset((char *)out + n, 0, sizeof(*out) - (size_t)n);
	}
	return timesync_block_check(out, (size_t)n, err);
}
#else
/* Built before ringshm has an implementation: the calls exist and say so. */
int timesync_block_publish(struct ringshm *r, struct timesync_block *b)
{
	(void)r;
	(void)b;
	return -ENOSYS;
}

int timesync_block_read(const struct ringshm_reader *rd, struct timesync_block *out,
			struct timesync_error *err)
{
	(void)rd;
	(void)out;
	if (err != NULL) {
		err->code = -ENOSYS;
		snprintf(err->msg, sizeof(err->msg), "built without ringshm");
	}
	return -ENOSYS;
}
#endif
