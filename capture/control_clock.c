/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control_clock.c - the clocks, as the control thread keeps them: the TSC model the poller
 * stamps frames with (timesync's calibrator), ptp4l's state when a socket is configured (the
 * records' synchronised and holdover flags, the PHC's TAI offset), a model of each NIC clock
 * whose timestamps are used, and the ring's clock block for readers.  A state change goes
 * in-band as a CLOCK record.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "control_internal.h"

/* TIME_PROPERTIES_DATA_SET flags (IEEE 1588 flagField, second octet). */
#define PTP_TP_UTC_VALID     0x04
#define PTP_TP_PTP_TIMESCALE 0x08
/* A NIC clock read this far from its model jumped (nic_clock_step). */
#define CAP_NIC_JUMP_NS 1000000ll

static struct {
	struct timesync_calib *cal;
	struct timesync_model tsc;
	struct timesync_block blk;
	struct timesync_ptp *ptp; /* NULL: no ptp4l to ask */
	struct timesync_ptp_status ptp_st;
	enum timesync_state state;
	bool clock_marker_due;
} cs;

/* The tightest of 8 brackets CLOCK_REALTIME / rte_eth_read_clock() / CLOCK_REALTIME. */
static int nic_bracket(const struct cap_port *p, struct timesync_bracket *best)
{
	struct timesync_bracket b;
	int i;

	memset(best, 0, sizeof(*best));
	for (i = 0; i < 8; i++) {
		b.sys_before = cap_real_ns();
		if (rte_eth_read_clock(p->port_id, &b.counter) != 0) {
			return -EIO;
		}
		b.sys_after = cap_real_ns();
		if (i == 0 || b.sys_after - b.sys_before < best->sys_after - best->sys_before) {
			*best = b;
		}
	}
	return 0;
}

/*
 * A NIC clock sample: the tightest of 8 brackets CLOCK_REALTIME / rte_eth_read_clock() /
 * CLOCK_REALTIME, fed to the port's fitter; then a new model for the poller (continuous with
 * the last one, slewed, as the TSC model is) and for readers in the clock block.  first: the
 * port's model is the first one, not yet confirmed (cap_clock_init()).  Returns true when the
 * clock read more than CAP_NIC_JUMP_NS off the model: it jumped, and is being fitted again.
 */
static bool nic_clock_step(struct cap_ctx *cx, struct cap_port *p, bool first)
{
	struct timesync_bracket best;
	struct timesync_model m, cur;
	bool jumped = false;
	int64_t off;

	if (nic_bracket(p, &best) < 0) {
		return false;
	}
	/*
	 * A NIC clock that jumped (someone stepped the PHC, the NIC reset its counter forward):
	 * a fit through samples on both sides of the jump would be wrong for a whole window, so
	 * start again from two samples 12 ms apart.  Until the new model is published the
	 * poller's check refuses the NIC times the old one converts wrongly.
	 */
	timesync_cell_load(&cx->nic_cell[p->idx], &cur);
	if (timesync_model_valid(&cur)) {
		off = (int64_t)(timesync_model_convert(&cur, best.counter) -
				(best.sys_before + (best.sys_after - best.sys_before) / 2));
		if (off > (int64_t)CAP_NIC_JUMP_NS || off < -(int64_t)CAP_NIC_JUMP_NS) {
			struct timespec ts = { 0, 12000000 };

			/* A first model fitted through a step is off by its rate, not by the
			 * step: the reading says only that the clock jumped. */
			if (first) {
				cap_log(LOG_WARNING,
					"port %s: the NIC clock jumped while its first model was being fitted (a reading %+.3f ms off it): fitting it again",
					p->name, (double)off / 1e6);
			} else {
				cap_log(LOG_WARNING,
					"port %s: the NIC clock jumped by %+.3f ms against the system clock: fitting it again",
					p->name, (double)off / 1e6);
			}
			jumped = true;
			timesync_fit_reset(p->nic_fit);
			timesync_fit_add(p->nic_fit, &best);
			nanosleep(&ts, NULL);
			if (nic_bracket(p, &best) < 0) {
				return jumped;
			}
		}
	}
	if (timesync_fit_add(p->nic_fit, &best) < 0 ||
	    timesync_fit_update(p->nic_fit, timesync_calib_stepped(cs.cal), &m) < 0) {
		return jumped;
	}
	timesync_model_set_quality(&m, cs.state, cx->o->clock_threshold_ns);
	timesync_cell_store(&cx->nic_cell[p->idx], &m);
	cs.blk.port[p->idx] = m;
	return jumped;
}

/*
 * Once a second: ptp4l's state (if we ask it), then a new TSC model carrying the record flags
 * that state gives (synchronised, holdover), published to the poller's cell and, with the PTP
 * evidence, to the ring's clock block for readers.  A state change also goes in-band as a
 * CLOCK record, so an archive shows where its timestamps stopped (or started) being trusted.
 */
static void clock_step(struct cap_ctx *cx, bool first)
{
	const struct capture_opts *o = cx->o;
	enum timesync_state prev = cs.state;
	int rc, i;

	if (cs.ptp) {
		const struct timesync_block_ptp *b;
		int64_t tai = 0;

		timesync_ptp_poll(cs.ptp, &cs.ptp_st);
		cs.state = cs.ptp_st.state;
		timesync_block_set_ptp(&cs.blk, &cs.ptp_st);
		/* A PHC on the PTP timescale runs TAI: its stamps less currentUtcOffset are UTC. */
		b = &cs.ptp_st.blk;
		if ((b->tp_flags & PTP_TP_UTC_VALID) && (b->tp_flags & PTP_TP_PTP_TIMESCALE)) {
			tai = (int64_t)b->utc_offset * (int64_t)CAP_NS_PER_S;
		}
		atomic_store_explicit(&cx->phc_tai_ns, tai, memory_order_relaxed);
	}
	rc = timesync_calib_step(cs.cal, cs.state, o->clock_threshold_ns, &cx->tsc_cell, &cs.tsc);
	if (rc < 0) {
		return;
	}
	if (first || cs.state != prev) {
		cap_log(first ? LOG_INFO : LOG_NOTICE,
			"clock: %s%s, TSC %.6f MHz, model error %u ns",
			timesync_state_name(cs.state), cs.ptp ? "" : " (no ptp4l asked)",
			timesync_model_hz(&cs.tsc) / 1e6, cs.tsc.err_ns);
		cs.clock_marker_due = !first;
	}
	for (i = 0; i < cx->nports; i++) {
		if (cx->ports[i].nic_fit) {
			nic_clock_step(cx, &cx->ports[i], false);
		}
	}
	cs.blk.tsc = cs.tsc;
	cs.blk.hdr.rec_flags = cs.tsc.rec_flags;
	timesync_block_publish(cx->ring, &cs.blk);
	if (cs.clock_marker_due &&
	    cap_post_marker(cx, CAP_BOX_CLOCK, RINGSHM_REC_CLOCK, &cs.blk, sizeof(cs.blk))) {
		cs.clock_marker_due = false;
	}
}

void cap_clock_step(struct cap_ctx *cx)
{
	clock_step(cx, false);
}

int cap_clock_init(struct cap_ctx *cx, char *err, size_t errlen)
{
	uint64_t deadline;
	int i, rc;

	/* A first TSC model before the poller starts: every record then has a time. */
	cs.cal = timesync_calib_create(NULL);
	if (!cs.cal) {
		snprintf(err, errlen, "cannot create the TSC calibrator: %s", strerror(errno));
		return -errno;
	}
	cs.state = TIMESYNC_FREE_RUNNING;
	if (cx->o->ptp_socket && cx->o->ptp_socket[0]) {
		struct timesync_ptp_params pp;
		struct timesync_error te;

		memset(&pp, 0, sizeof(pp));
		memset(&te, 0, sizeof(te));
		pp.ptp4l_socket = cx->o->ptp_socket;
		pp.timeout_ms = 50; /* the control thread must not stall: ptp4l answers in us */
		pp.threshold_ns = cx->o->clock_threshold_ns;
		pp.holdover_ns = cx->o->clock_holdover_ns;
		cs.ptp = timesync_ptp_open(&pp, &te);
		if (!cs.ptp) {
			snprintf(err, errlen, "ptp4l socket %s: %s", cx->o->ptp_socket,
				 te.msg[0] ? te.msg : strerror(errno));
			return -EINVAL;
		}
	}
	timesync_block_init(&cs.blk, cx->o->clock_threshold_ns, cx->o->clock_holdover_ns);
	cs.blk.hdr.nports = (uint16_t)cx->nports;
	deadline = cap_mono_ns() + 2 * CAP_NS_PER_S;
	while ((rc = timesync_calib_step(cs.cal, TIMESYNC_FREE_RUNNING, cx->o->clock_threshold_ns,
					 &cx->tsc_cell, &cs.tsc)) == -EAGAIN) {
		struct timespec ts = { 0, 5000000 };

		if (cap_mono_ns() > deadline) {
			snprintf(err, errlen, "the TSC calibration found no model within 2 s");
			return -ETIMEDOUT;
		}
		nanosleep(&ts, NULL);
	}
	clock_step(cx, true);

	/*
	 * NIC clocks: a first model each before the poller starts (the fit needs 10 ms), kept once
	 * a bracket 20 ms later agrees with it.  A clock stepped while the first brackets were
	 * taken (phc2sys, started with the capture, steps the PHC first) gives a line through the
	 * step, its rate tens of percent off; the poller's check would let its times through
	 * wherever they err behind (up to 20 ms) until the next second's bracket.  20 ms on, such
	 * a model is off by 1.5 to 2 times the step (three brackets 5 ms apart), so a step of
	 * CAP_NIC_JUMP_NS or more is caught as a jump, fitted again, and the new model confirmed
	 * in turn.
	 */
	for (i = 0; i < cx->nports; i++) {
		struct cap_port *p = &cx->ports[i];
		struct timesync_fit_params fp;
		struct timesync_model m;
		bool had, jumped;

		if (p->ts_mode != CAP_TS_NIC) {
			continue;
		}
		memset(&fp, 0, sizeof(fp));
		fp.source = RINGSHM_F_TS_SRC_NIC;
		timesync_cell_init(&cx->nic_cell[p->idx]);
		p->nic_fit = timesync_fit_create(&fp);
		deadline = cap_mono_ns() + CAP_NS_PER_S;
		while (p->nic_fit && cap_mono_ns() < deadline) {
			struct timespec ts = { 0, 5000000 };

			timesync_cell_load(&cx->nic_cell[p->idx], &m);
			had = timesync_model_valid(&m);
			jumped = nic_clock_step(cx, p, true);
			timesync_cell_load(&cx->nic_cell[p->idx], &m);
			if (had && !jumped && timesync_model_valid(&m)) {
				break; /* confirmed */
			}
			if (timesync_model_valid(&m)) {
				ts.tv_nsec = 20000000;
			}
			nanosleep(&ts, NULL);
		}
		timesync_cell_load(&cx->nic_cell[p->idx], &m);
		if (!timesync_model_valid(&m)) {
			snprintf(
				err, errlen,
				"port %s (%s): no model of its NIC clock within 1 s (rte_eth_read_clock); use --timestamp tsc",
				p->name, p->driver);
			return -EIO;
		}
		cap_log(LOG_INFO, "port %s: NIC clock %.6f MHz", p->name,
			timesync_model_hz(&m) / 1e6);
	}
	return 0;
}

uint64_t cap_clock_now(void)
{
	return timesync_model_convert(&cs.tsc, rte_rdtsc());
}

void cap_clock_finish(struct cap_ctx *cx)
{
	int i;

	timesync_calib_destroy(cs.cal);
	cs.cal = NULL;
	timesync_ptp_close(cs.ptp);
	cs.ptp = NULL;
	for (i = 0; i < cx->nports; i++) {
		timesync_fit_destroy(cx->ports[i].nic_fit);
		cx->ports[i].nic_fit = NULL;
	}
}
