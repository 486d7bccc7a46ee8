/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control_internal.h - what the files of the control thread share: one line per function
 * another of them calls, the clocks and the relaxed-atomic shorthands.  Never installed.
 *
 *   control.c        life cycle (init, run, finish), the tick loop, the marker boxes to the
 *                    poller
 *   control_igmp.c   memberships: joins, answers to queries, re-joins, leaves
 *   control_stats.c  counters: the ring header's port table and counters, the PMD's extended
 *                    statistics, kernel drops, NIC time checks, LOSS records, telemetry
 *   control_link.c   link state changes: markers, counters, log lines
 *   control_clock.c  the TSC model, ptp4l's state, NIC clock models, the ring's clock block
 *
 * Each file keeps its own state file-static; what another file needs of it goes through the
 * functions below.  Everything here runs on the control thread, except cap_stats_telemetry()
 * (the telemetry thread), which is why cap_stats_lock() exists.
 */
#ifndef CONTROL_INTERNAL_H
#define CONTROL_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <rte_ethdev.h> /* before capture_internal.h: struct cap_port needs it */

#include "capture_internal.h"
#include "ringshm.h"

#define CAP_NS_PER_S 1000000000ull

#define LOAD(x)	  atomic_load_explicit(&(x), memory_order_relaxed)
#define PUT(f, v) __atomic_store_n(&(f), (v), __ATOMIC_RELAXED)
#define PEEK(f)	  __atomic_load_n(&(f), __ATOMIC_RELAXED)

struct rte_tel_data;

static inline uint64_t cap_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * CAP_NS_PER_S + (uint64_t)ts.tv_nsec;
}

static inline uint64_t cap_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * CAP_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* control.c: ask the poller to write a marker record (box: CAP_BOX_*).  @return false if the
 * box still holds the previous request: the caller tries again next time. */
bool cap_post_marker(struct cap_ctx *cx, int box, enum ringshm_rec_type type, const void *payload,
		     uint32_t len);

/* control_igmp.c */
struct cap_igmp_totals {
	uint64_t reports, leaves; /* memberships reported, left (v3: records, not frames) */
	uint64_t queries;	  /* queries answered */
};

/* The memberships --group asks for (before the poller starts). */
void cap_igmp_init(struct cap_ctx *cx);
/* There are memberships and IGMP is on. */
bool cap_igmp_active(const struct cap_ctx *cx);
/* The start-up reports (RFC 3376 robustness: twice, 1 s apart), from now. */
void cap_igmp_start(struct cap_ctx *cx, uint64_t now);
/* Queries the poller handed over, unsolicited reports, and every report due by now. */
void cap_igmp_tick(struct cap_ctx *cx, uint64_t now);
/* The earliest report due (CLOCK_MONOTONIC ns), or UINT64_MAX. */
uint64_t cap_igmp_next_due(const struct cap_ctx *cx);
/* Port pi's link is back: report every membership now, and again a second later. */
void cap_igmp_rejoin(struct cap_ctx *cx, int pi, uint64_t now);
/* The second report of a re-join on port pi, if it is due by now. */
void cap_igmp_rejoin_repeat(struct cap_ctx *cx, int pi, uint64_t now);
/* A leave for every membership on every port that can send. */
void cap_igmp_leave_all(struct cap_ctx *cx);
void cap_igmp_totals(struct cap_igmp_totals *t);

/* control_stats.c */
/*
 * The ring header's port table and the counters' baseline (the earlier epochs'), then the
 * PMDs' drop counters and the AF_PACKET sockets to read drops from.  Telemetry sees cx from
 * here until cap_stats_finish().
 */
void cap_stats_init(struct cap_ctx *cx);
/* Publish counters in the ring header; unless final, ask the poller for a LOSS record of
 * what the NIC lost. */
void cap_stats_publish(struct cap_ctx *cx, bool final);
/* The poller has stopped: write the NIC losses no LOSS record holds yet, stamped now.
 * @return true if a record was written (the caller commits). */
bool cap_stats_write_pending_loss(struct cap_ctx *cx, uint64_t now);
/* The last counters' summary line; telemetry no longer sees cx. */
void cap_stats_finish(struct cap_ctx *cx);
/* How full the ring is, in parts per million of its capacity. */
uint64_t cap_ring_fill_ppm(const struct cap_ctx *cx);
/* The lock telemetry holds while it reads the control thread's counters and the ports' link
 * fields: taken by whoever changes them. */
void cap_stats_lock(void);
void cap_stats_unlock(void);
/* /feedcap/stats (rte_telemetry_register_cmd), in the telemetry thread. */
int cap_stats_telemetry(const char *cmd, const char *params, struct rte_tel_data *d);

/* control_link.c */
/* Check the links (every port when poll_all, else those without LSC interrupts or with one
 * pending) and hand the changes to the poller as markers. */
void cap_link_tick(struct cap_ctx *cx, uint64_t now, bool poll_all);
/* The poller has stopped: write the link events still queued, stamped now.
 * @return true if a record was written (the caller commits). */
bool cap_link_write_pending(struct cap_ctx *cx, uint64_t now);

/* control_clock.c */
/* The first TSC model, ptp4l's socket if configured, a first model of each NIC clock.
 * @return 0, or -errno with err filled. */
int cap_clock_init(struct cap_ctx *cx, char *err, size_t errlen);
/* Once a second: new models, the clock block, a CLOCK record on a state change. */
void cap_clock_step(struct cap_ctx *cx);
/* Now, in ns since the epoch, through the current TSC model. */
uint64_t cap_clock_now(void);
void cap_clock_finish(struct cap_ctx *cx);

#endif /* CONTROL_INTERNAL_H */
