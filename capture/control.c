/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread (the main lcore): everything the poller must not do because it takes a
 * system call, a lock or time.  Once every 100 ms: heartbeat, IGMP queries handed over by the
 * poller, reports that are due.  Once a second: the clock model, the counters in the ring
 * header and for telemetry, LOSS records for what the NIC dropped, the systemd watchdog.
 *
 * The tick is sigtimedwait() on SIGINT/SIGTERM, which every thread blocks (main() blocks them
 * before the EAL creates its threads): a signal never lands on the poller, and the control
 * thread sleeps and waits for signals with one call.
 *
 * This file holds the life cycle (init, run, finish), the tick loop and the marker boxes the
 * other control files hand records to the poller through; control_internal.h lists the rest.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include <rte_common.h>
#include <rte_telemetry.h>

#include "control_internal.h"

#define TICK_NS (100 * 1000000ull)

/* ------------------------------------------------------------------ markers */

/*
 * Ask the poller to write a marker record.  @return false if the box still holds the previous
 * request (the poller serves it within 10 ms; the caller tries again next time).
 */
bool cap_post_marker(struct cap_ctx *cx, int box, enum ringshm_rec_type type, const void *payload,
		     uint32_t len)
{
	struct cap_marker_box *b = &cx->box[box];
	/* Pairs with the poller's release store of done: it no longer reads the payload. */
	uint64_t done = atomic_load_explicit(&b->done, memory_order_acquire);
	uint64_t seq = LOAD(b->seq);

	if (done != seq || len > sizeof(b->payload)) {
		return false;
	}
	b->type = type;
	b->len = len;
	memcpy(b->payload, payload, len);
	/* Pairs with the poller's acquire load of seq: the payload is complete. */
	atomic_store_explicit(&b->seq, seq + 1, memory_order_release);
	return true;
}

/* ------------------------------------------------------------------ life cycle */

int cap_control_init(struct cap_ctx *cx, char *err, size_t errlen)
{
	int rc;

	cap_igmp_init(cx);
	cap_stats_init(cx);
	rc = cap_clock_init(cx, err, errlen);
	if (rc < 0) {
		return rc;
	}
	if (rte_telemetry_register_cmd(
		    "/feedcap/stats", cap_stats_telemetry,
		    "feedcap-capture counters: totals and per port and queue. No parameters.") <
	    0) {
		cap_log(LOG_WARNING, "cannot register the telemetry command /feedcap/stats");
	}
	return 0;
}

int cap_control_run(struct cap_ctx *cx, unsigned poller_lcore)
{
	const struct capture_opts *o = cx->o;
	uint64_t now = cap_mono_ns(), next_sec = now + CAP_NS_PER_S, deadline = 0, next_wd = 0;
	uint64_t next_stats = now + o->stats_interval_ns, next_link = 0;
	uint64_t last_loops = 0, watchdog_usec;
	sigset_t set;
	siginfo_t si;
	int sig, reason = 0;

	RTE_SET_USED(poller_lcore);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (o->duration > 0) {
		deadline = now + (uint64_t)(o->duration * 1e9);
	}
	if (sd_watchdog_enabled(0, &watchdog_usec) <= 0) {
		watchdog_usec = 0;
	}
	cap_igmp_start(cx, now);
	sd_notifyf(0, "READY=1\nSTATUS=capturing %d port(s) into %s", cx->nports,
		   ringshm_path(cx->ring));

	for (;;) {
		struct timespec ts = { 0, TICK_NS };
		uint64_t due = cap_igmp_next_due(cx);

		/* Wake early for a report that is due before the next tick. */
		if (due != UINT64_MAX) {
			uint64_t t = cap_mono_ns();

			ts.tv_nsec = due <= t ? 0 : (long)RTE_MIN(due - t, (uint64_t)TICK_NS);
		}
		sig = sigtimedwait(&set, &si, &ts);
		if (sig == SIGINT || sig == SIGTERM) {
			reason = sig;
			break;
		}
		now = cap_mono_ns();
		/* Pairs with the poller's release store: its last counters are visible. */
		if (atomic_load_explicit(&cx->poller_done, memory_order_acquire)) {
			break;
		}
		if (deadline && now >= deadline) {
			break;
		}
		ringshm_heartbeat(cx->ring);
		cap_link_tick(cx, now, now >= next_link);
		if (now >= next_link) {
			next_link = now + CAP_NS_PER_S;
		}
		cap_igmp_tick(cx, now);
		if (now >= next_sec) {
			next_sec += CAP_NS_PER_S;
			if (next_sec < now) {
				next_sec = now + CAP_NS_PER_S;
			}
			cap_clock_step(cx);
			cap_log(LOG_INFO, "frames %llu filtered %llu imissed %llu ring fill %.1f%%",
				(unsigned long long)LOAD(cx->captured),
				(unsigned long long)PEEK(cx->ctl->counters.filtered),
				(unsigned long long)PEEK(cx->ctl->counters.nic_imissed),
				(double)cap_ring_fill_ppm(cx) / 1e4);
		}
		if (now >= next_stats) {
			next_stats += o->stats_interval_ns;
			if (next_stats < now) {
				next_stats = now + o->stats_interval_ns;
			}
			cap_stats_publish(cx, false);
		}
		/* The watchdog is fed only while the poller's loop counter moves: a stuck
		 * poller must get us restarted, not a healthy control thread. */
		if (watchdog_usec && now >= next_wd) {
			uint64_t loops = LOAD(cx->poller_loops);

			if (loops != last_loops) {
				sd_notify(0, "WATCHDOG=1");
			}
			last_loops = loops;
			next_wd = now + watchdog_usec * 1000 / 2;
		}
	}
	if (reason) {
		cap_log(LOG_NOTICE, "%s: stopping", strsignal(reason));
	}
	sd_notify(0, "STOPPING=1");
	return reason;
}

/*
 * After the poller stopped (rte_eal_wait_lcore() orders its last ring writes before ours), the
 * control thread is the ring's only writer: requests the poller did not serve and losses seen
 * by the final statistics go in-band here, so an archive ends with what the capture lost.
 */
static void flush_markers(struct cap_ctx *cx)
{
	uint64_t now = cap_clock_now();
	bool wrote = false;
	int i;

	for (i = 0; i < CAP_NBOX; i++) {
		struct cap_marker_box *b = &cx->box[i];

		if (LOAD(b->seq) != LOAD(b->done) &&
		    ringshm_marker(cx->ring, (enum ringshm_rec_type)b->type, b->payload, b->len,
				   now) == 0) {
			atomic_store_explicit(&b->done, LOAD(b->seq), memory_order_relaxed);
			wrote = true;
		}
	}
	if (cap_link_write_pending(cx, now)) {
		wrote = true;
	}
	if (cap_stats_write_pending_loss(cx, now)) {
		wrote = true;
	}
	if (wrote) {
		ringshm_commit(cx->ring);
	}
}

void cap_control_finish(struct cap_ctx *cx)
{
	struct timespec drain = { 0, 20000000 };

	cap_stats_publish(cx, true);
	flush_markers(cx);
	ringshm_heartbeat(cx->ring);
	cap_igmp_leave_all(cx);
	nanosleep(&drain, NULL); /* let the NIC send the leaves before the port stops */
	cap_stats_finish(cx);
	cap_clock_finish(cx);
}
