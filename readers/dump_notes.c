/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dump_notes.c - the words feedcap-dump puts in archives: pcapng comments for the producer's
 * markers (capture losses, clock state, restarts) and the clock state in the section header.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dump_internal.h"
#include "timesync.h"

/*
 * The clock state in words, from timesync's clock block (a CLOCK record's payload, or the
 * ring's current block).  Returns false if the block is not one timesync can vouch for.
 */
bool dump_clock_words(const void *blk, uint32_t len, char *out, size_t outlen)
{
	struct timesync_block b;
	char gm[24] = "none";

	if (len < sizeof(b)) {
		return false;
	}
	/* Check an aligned copy: the caller's buffer may not be aligned for the struct. */
	memcpy(&b, blk, sizeof(b));
	if (timesync_block_check(&b, sizeof(b), NULL) != 0) {
		return false;
	}
	if (b.ptp.gm_present) {
		snprintf(gm, sizeof(gm), "%02x%02x%02x.%02x%02x.%02x%02x%02x", b.ptp.gm_identity[0],
			 b.ptp.gm_identity[1], b.ptp.gm_identity[2], b.ptp.gm_identity[3],
			 b.ptp.gm_identity[4], b.ptp.gm_identity[5], b.ptp.gm_identity[6],
			 b.ptp.gm_identity[7]);
	}
	snprintf(out, outlen,
		 "PTP %s (port %s, grandmaster %s), master offset %" PRId64
		 " ns, TSC model error %" PRIu32 " ns, TAI-UTC %d s (%s); timestamps are UTC",
		 timesync_state_name((enum timesync_state)b.ptp.state),
		 timesync_port_state_name(b.ptp.port_state), gm, b.ptp.offset_ns, b.tsc.err_ns,
		 b.hdr.tai_utc_s,
		 b.hdr.tai_source == TIMESYNC_TAI_PTP	   ? "from PTP"
		 : b.hdr.tai_source == TIMESYNC_TAI_KERNEL ? "from the kernel"
							   : "unknown, not to be trusted");
	return true;
}

static void dump_clock_comment(const uint8_t *pl, uint32_t len, uint64_t ts, char *out,
			       size_t outlen)
{
	char t[48], words[320];

	fcr_format_time(ts, t, sizeof(t));
	if (dump_clock_words(pl, len, words, sizeof(words))) {
		snprintf(out, outlen, "feedcap: clock state changed at %s: %.300s", t, words);
	} else {
		snprintf(
			out, outlen,
			"feedcap: clock state changed at %s (a %u-byte clock block this version cannot read)",
			t, len);
	}
}

/*
 * A comment for the next frame written (pcapng).  Kept here, not in the writer, until that
 * frame is written (dump_write()): a file closed before it (-G on time in a quiet feed, -C)
 * would drop it with the writer, and the marker it tells of would be in no archive.
 */
void dump_add_note(struct dump *d, const char *msg)
{
	size_t n = strlen(d->pending_note);

	snprintf(d->pending_note + n, sizeof(d->pending_note) - n, "%s%s", n ? "\n" : "", msg);
}

/* Comments for markers the producer wrote into the ring (pcapng only). */
void dump_marker_comment(struct dump *d, const struct ringshm_record *rec, const uint8_t *pl)
{
	char msg[512], t[48];

	fcr_format_time(rec->ts_ns, t, sizeof(t));
	switch (rec->type) {
	case RINGSHM_REC_LOSS: {
		struct ringshm_loss_payload lp = { 0 };

		memcpy(&lp, pl, rec->cap_len < sizeof(lp) ? rec->cap_len : sizeof(lp));
		if (lp.event == RINGSHM_LOSS_LINK_DOWN || lp.event == RINGSHM_LOSS_LINK_UP) {
			/* A link outage: frames lost that no counter saw. */
			fcr_format_time(lp.event_ns, t, sizeof(t));
			if (lp.event == RINGSHM_LOSS_LINK_DOWN) {
				snprintf(
					msg, sizeof(msg),
					"feedcap: link down on capture port %u at %s: frames are lost until it is back",
					lp.port, t);
			} else {
				snprintf(
					msg, sizeof(msg),
					"feedcap: link up on capture port %u at %s after %.3f s down",
					lp.port, t, (double)lp.outage_ns / 1e9);
			}
			break;
		}
		snprintf(msg, sizeof(msg),
			 "feedcap: the capture itself lost frames before %s: NIC imissed %" PRIu64
			 ", rx_nombuf %" PRIu64 ", ierrors %" PRIu64 ", discards %" PRIu64,
			 t, lp.nic_imissed, lp.nic_rx_nombuf, lp.nic_ierrors, lp.nic_discards);
		break;
	}
	case RINGSHM_REC_EPOCH: {
		struct ringshm_epoch_payload ep = { 0 };

		memcpy(&ep, pl, rec->cap_len < sizeof(ep) ? rec->cap_len : sizeof(ep));
		snprintf(msg, sizeof(msg),
			 "feedcap: capture %s at %s: epoch %" PRIu64 ", pid %" PRIu64,
			 ep.epoch > 1 ? "restarted" : "started", t, ep.epoch, ep.pid);
		break;
	}
	case RINGSHM_REC_CLOCK:
		dump_clock_comment(pl, rec->cap_len, rec->ts_ns, msg, sizeof(msg));
		break;
	default:
		return;
	}
	dump_add_note(d, msg);
}
