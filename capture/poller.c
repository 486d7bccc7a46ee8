/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The poller: the one lcore that drains every configured port and RX queue into the ring.
 *
 * After the few system calls at its start (thread name, thread id), the loop below makes no
 * system call, allocates nothing and never logs: it reads the NIC, copies into hugepage memory
 * prepared by ringshm_create(), and counts.  Anything that needs the kernel (IGMP answers,
 * statistics, the clock) is the control thread's, reached through memory only.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "capture_internal.h"

/* Copy cap_len bytes of a (possibly multi-segment) mbuf into the ring. */
static inline void copy_frame(uint8_t *dst, const struct rte_mbuf *m, uint32_t cap_len)
{
	uint32_t n;

	if (likely(m->data_len >= cap_len)) {
		rte_memcpy(dst, rte_pktmbuf_mtod(m, const void *), cap_len);
		return;
	}
	while (m && cap_len) {
		n = RTE_MIN((uint32_t)m->data_len, cap_len);
		rte_memcpy(dst, rte_pktmbuf_mtod(m, const void *), n);
		dst += n;
		cap_len -= n;
		m = m->next;
	}
}

/*
 * Give a burst back to its pool.  An mbuf that is one direct segment of the receive pool with
 * one reference is free as it is (DPDK's MBUF_FAST_FREE rule): then the burst goes back into
 * the lcore's cache in one copy, without rte_pktmbuf_free_bulk()'s per-mbuf work and without
 * touching the mbufs' second cache line.  Anything else takes the general path.
 */
static inline void free_burst(struct rte_mempool *pool, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n; i++) {
		const struct rte_mbuf *m = pkts[i];

		if (unlikely(m->pool != pool || m->nb_segs != 1 || !RTE_MBUF_DIRECT(m) ||
			     rte_mbuf_refcnt_read(m) != 1)) {
			rte_pktmbuf_free_bulk(pkts, n);
			return;
		}
	}
	rte_mempool_put_bulk(pool, (void **)pkts, n);
}

/* A cheap first look: IPv4 with protocol IGMP, possibly behind a VLAN tag. */
static inline bool maybe_igmp(const uint8_t *p, uint32_t len)
{
	uint16_t type;

	if (unlikely(len < 24)) {
		return false;
	}
	type = (uint16_t)(p[12] << 8 | p[13]);
	if (type == RTE_ETHER_TYPE_IPV4) {
		return p[23] == IPPROTO_IGMP;
	}
	return type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ;
}

static inline void hand_over_query(struct cap_ctx *cx, const struct rte_mbuf *m, uint8_t idx)
{
	struct capture_igmp_query q;
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint64_t w;

	if (!capture_igmp_is_query(p, m->data_len) ||
	    capture_igmp_parse_query(p, m->data_len, &q) < 0) {
		return;
	}
	w = capture_igmp_query_pack(&q, idx);
	/* A single-producer enqueue is a few stores: no lock, no system call. */
	if (rte_ring_sp_enqueue(cx->igmp_q, (void *)(uintptr_t)w) == 0) {
		atomic_fetch_add_explicit(&cx->igmp_queries, 1, memory_order_relaxed);
	} else {
		atomic_fetch_add_explicit(&cx->igmp_q_full, 1, memory_order_relaxed);
	}
}

/* Whether a NIC time t lies within the bound around the burst's TSC time (capture_internal.h). */
static inline bool ts_agrees(uint64_t t, uint64_t tsc)
{
	return t <= tsc + CAP_TS_AHEAD_NS && t + CAP_TS_BEHIND_NS >= tsc;
}

/*
 * Once per burst, on its newest frame: what the port's NIC times count, judged by which
 * reading agrees with the TSC.  Real-time nanoseconds (mlx5's real-time clock, ice's PHC: the
 * stamp minus TAI - UTC) are tried first, then a free-running counter through the model fitted
 * from rte_eth_read_clock() (mlx5's default).  Neither: the NIC time is refused.  A PMD's own
 * rte_eth_read_clock() cannot settle it: mlx5 in real-time mode still reads the free-running
 * counter there, and ice returns host time.
 */
static inline uint8_t nic_domain(const struct timesync_model *nm, uint64_t v, int64_t tai,
				 uint64_t tsc, uint8_t last)
{
	const bool ctr_ok = ts_agrees(timesync_model_convert(nm, v), tsc);

	if (last == RINGSHM_TS_DOMAIN_COUNTER && ctr_ok) {
		return RINGSHM_TS_DOMAIN_COUNTER;
	}
	if (ts_agrees(v - (uint64_t)tai, tsc)) {
		return RINGSHM_TS_DOMAIN_REALTIME;
	}
	return ctr_ok ? RINGSHM_TS_DOMAIN_COUNTER : RINGSHM_TS_DOMAIN_UNUSABLE;
}

/* What the frames of one burst from a NIC-timestamping queue share (docs/timing.md). */
struct nic_stamps {
	const struct timesync_model *nm;  /* the port's NIC clock model */
	const struct timesync_model *tsc; /* the TSC model, for the system's flags */
	int64_t tai;			  /* TAI - UTC, for a PHC in real time */
	uint8_t dom;			  /* what the NIC times count: RINGSHM_TS_DOMAIN_* */
};

/* The NIC time the PMD put in the mbuf, if it put one. */
static inline bool mbuf_nic_time(const struct cap_ctx *cx, const struct rte_mbuf *m, uint64_t *v)
{
	if (unlikely(!(m->ol_flags & cx->ts_dynflag))) {
		return false;
	}
	*v = *RTE_MBUF_DYNFIELD(m, cx->ts_dynoff, rte_mbuf_timestamp_t *);
	return true;
}

/* Once per burst, on its newest frame m: the domain of the queue's NIC times, published when
 * it changes. */
static inline void burst_domain(struct cap_ctx *cx, struct cap_pollq *pq, const struct rte_mbuf *m,
				struct nic_stamps *ns, uint64_t ts_burst)
{
	uint64_t v;

	ns->tai = atomic_load_explicit(&cx->phc_tai_ns, memory_order_relaxed);
	if (!timesync_model_valid(ns->tsc)) {
		ns->dom = RINGSHM_TS_DOMAIN_COUNTER; /* nothing to check against */
	} else if (likely(mbuf_nic_time(cx, m, &v))) {
		ns->dom = nic_domain(ns->nm, v, ns->tai, ts_burst, pq->ts_domain);
	}
	if (unlikely(ns->dom != pq->ts_domain)) {
		pq->ts_domain = ns->dom;
		atomic_store_explicit(&pq->st->ts_domain, ns->dom, memory_order_relaxed);
	}
}

/*
 * A frame's own time, on a queue whose times come from the PMD or the NIC: replaces the burst's
 * TSC time and flags in *ts and *flags.  A frame without one keeps the TSC time; returns false
 * when the NIC time is refused (the frame keeps the TSC time, flagged as a fallback).
 */
static inline bool nic_stamp(const struct cap_ctx *cx, const struct cap_pollq *pq,
			     const struct nic_stamps *ns, const struct rte_mbuf *m, uint64_t *ts,
			     uint16_t *flags)
{
	uint64_t v;

	if (unlikely(!mbuf_nic_time(cx, m, &v))) {
		return true;
	}
	if (pq->ts_mode == CAP_TS_PMD_US) {
		*ts = v * 1000;
		*flags = RINGSHM_F_TS_SRC_PMD_US;
	} else if (ns->dom == RINGSHM_TS_DOMAIN_REALTIME) {
		/* The PHC follows PTP as the system clock does: the system's flags. */
		*ts = v - (uint64_t)ns->tai;
		*flags = RINGSHM_F_TS_SRC_NIC | ns->tsc->rec_flags;
	} else if (ns->dom == RINGSHM_TS_DOMAIN_UNUSABLE) {
		*flags |= RINGSHM_F_TS_FALLBACK;
		return false;
	} else {
		*ts = timesync_model_convert(ns->nm, v);
		*flags = RINGSHM_F_TS_SRC_NIC | ns->nm->rec_flags;
	}
	return true;
}

/*
 * Whether a frame is captured, on a queue that looks at frames in software: IGMP queries go to
 * the control thread; with the filter on the NIC, IGMP and VLAN-tagged frames came through
 * rules of their own and are judged here, as every frame is on a queue filtered in software.
 */
static inline bool keep_frame(struct cap_ctx *cx, const struct cap_pollq *pq,
			      const struct rte_mbuf *m, const uint8_t *p, bool look_special)
{
	bool check = pq->sw_filter;

	if (look_special && unlikely(maybe_igmp(p, m->data_len))) {
		if (cx->igmp_on) {
			hand_over_query(cx, m, pq->idx);
		}
		check = cx->filter;
	}
	return !check || capture_filter_match(cx->o->groups, cx->o->ngroups, p, m->data_len);
}

/* One frame for ringshm_put_burst(), which copies the burst after it has all been looked at:
 * ask for the frame's first line now. */
static inline void stage_frame(struct ringshm_frame *f, const uint8_t *p, uint64_t ts,
			       uint32_t cap_len, uint32_t wire, uint16_t flags, uint8_t port)
{
	rte_prefetch0(p);
	*f = (struct ringshm_frame){
		.data = p,
		.ts_ns = ts,
		.cap_len = cap_len,
		.wire_len = wire,
		.flags = flags,
		.port = port,
	};
}

/* Add a burst to the queue's counters: its own cache line, written by the poller only. */
static inline void publish_burst(struct cap_qstats *st, uint64_t written, uint64_t bytes,
				 uint64_t filtered, uint64_t truncated, uint64_t refused)
{
	/* Plain relaxed read-modify-writes: there is no other writer. */
	atomic_store_explicit(&st->frames,
			      atomic_load_explicit(&st->frames, memory_order_relaxed) + written,
			      memory_order_relaxed);
	atomic_store_explicit(&st->bytes,
			      atomic_load_explicit(&st->bytes, memory_order_relaxed) + bytes,
			      memory_order_relaxed);
	atomic_store_explicit(&st->bursts,
			      atomic_load_explicit(&st->bursts, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	if (filtered) {
		atomic_store_explicit(&st->filtered,
				      atomic_load_explicit(&st->filtered, memory_order_relaxed) +
					      filtered,
				      memory_order_relaxed);
	}
	if (truncated) {
		atomic_store_explicit(&st->truncated,
				      atomic_load_explicit(&st->truncated, memory_order_relaxed) +
					      truncated,
				      memory_order_relaxed);
	}
	if (unlikely(refused)) {
		atomic_store_explicit(&st->ts_fallback,
				      atomic_load_explicit(&st->ts_fallback, memory_order_relaxed) +
					      refused,
				      memory_order_relaxed);
	}
}

/* Write the marker records the control thread asked for, if any. */
static void write_markers(struct cap_ctx *cx, uint64_t now_ns)
{
	int i;

	for (i = 0; i < CAP_NBOX; i++) {
		struct cap_marker_box *b = &cx->box[i];
		/* Pairs with the control thread's release store after it filled the box. */
		uint64_t seq = atomic_load_explicit(&b->seq, memory_order_acquire);

		if (seq == atomic_load_explicit(&b->done, memory_order_relaxed)) {
			continue;
		}
		if (ringshm_marker(cx->ring, (enum ringshm_rec_type)b->type, b->payload, b->len,
				   now_ns) == 0) {
			ringshm_commit(cx->ring);
			atomic_fetch_add_explicit(&cx->markers_written, 1, memory_order_relaxed);
		}
		/* Pairs with the control thread's acquire load before it refills the box. */
		atomic_store_explicit(&b->done, seq, memory_order_release);
	}
}

int cap_poller_main(void *arg)
{
	struct cap_ctx *cx = arg;
	struct rte_mbuf *pkts[CAP_BURST];
	struct ringshm_frame fr[CAP_BURST];
	struct timesync_model model, nic[CAP_MAX_PORTS];
	uint32_t model_seen = 1, nic_seen[CAP_MAX_PORTS]; /* odd: forces the first load */
	const uint32_t snaplen = cx->snaplen;
	const uint64_t gate = cx->tsc_hz / 100; /* housekeeping every 10 ms */
	uint64_t captured = 0, count = cx->count, last = 0, loops = 0, now;
	bool stop = false, idle_round = false;
	int qi, drain_left = -1;

	/* The last system calls this thread makes: a name and an id for the operator's tools. */
	pthread_setname_np(pthread_self(), "feedcap-poll");
	atomic_store(&cx->poller_tid, (int)syscall(SYS_gettid));
	memset(&model, 0, sizeof(model));
	memset(nic, 0, sizeof(nic));
	for (qi = 0; qi < CAP_MAX_PORTS; qi++) {
		nic_seen[qi] = 1;
	}
	timesync_cell_refresh(&cx->tsc_cell, &model, &model_seen);

	/*
	 * On quit, keep draining until a round finds every queue empty (at most 64 rounds, for
	 * sources that never run dry): frames the NIC already holds when we are told to stop are
	 * captured, not silently left behind.
	 */
	while (!stop) {
		if (unlikely(atomic_load_explicit(&cx->quit, memory_order_relaxed))) {
			if (drain_left < 0) {
				drain_left = 64;
			} else if (idle_round || drain_left-- == 0) {
				break;
			}
		}
		if (unlikely(count && captured >= count)) {
			break; /* leave the rest in the NIC: --count N means exactly N */
		}
		idle_round = true;
		now = 0; /* the TSC of this round's latest burst */
		for (qi = 0; qi < cx->npollq && !stop; qi++) {
			struct cap_pollq *pq = &cx->pollq[qi];
			uint64_t ts_burst, bytes = 0, filtered = 0, truncated = 0, refused = 0;
			uint16_t n, i, written = 0, nfr = 0, burst_flags;
			struct nic_stamps ns = { .dom = RINGSHM_TS_DOMAIN_UNKNOWN };
			const bool look_special = cx->igmp_on || (cx->filter && !pq->sw_filter);
			const uint64_t room = count ? count - captured : UINT64_MAX;

			n = rte_eth_rx_burst(pq->port_id, pq->queue, pkts, CAP_BURST);
			if (unlikely(n == 0)) {
				continue;
			}
			idle_round = false;
			/* One TSC read per burst, through the model the control thread keeps
			 * calibrated; the refresh is one load when the model did not change. */
			timesync_cell_refresh(&cx->tsc_cell, &model, &model_seen);
			if (pq->ts_mode == CAP_TS_NIC) {
				timesync_cell_refresh(&cx->nic_cell[pq->idx], &nic[pq->idx],
						      &nic_seen[pq->idx]);
			}
			now = rte_rdtsc();
			if (likely(timesync_model_valid(&model))) {
				ts_burst = timesync_model_convert(&model, now);
				burst_flags = RINGSHM_F_TS_SRC_TSC | model.rec_flags;
			} else {
				ts_burst = 0;
				burst_flags = RINGSHM_F_TS_SRC_NONE;
			}
			/* NIC times: checked once per burst against the TSC (docs/timing.md). */
			if (pq->ts_mode == CAP_TS_NIC) {
				ns = (struct nic_stamps){ .nm = &nic[pq->idx], .tsc = &model };
				burst_domain(cx, pq, pkts[n - 1], &ns, ts_burst);
			}
			for (i = 0; i < n; i++) {
				struct rte_mbuf *m = pkts[i];
				const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
				const uint32_t wire = m->pkt_len, cap_len = RTE_MIN(wire, snaplen);
				uint64_t ts = ts_burst;
				uint16_t flags = burst_flags;

				if (unlikely(written >= room)) {
					stop = true; /* --count N means exactly N */
					break;
				}
				if (unlikely(look_special || pq->sw_filter) &&
				    !keep_frame(cx, pq, m, p, look_special)) {
					filtered++;
					continue;
				}
				if (pq->ts_mode != CAP_TS_TSC &&
				    !nic_stamp(cx, pq, &ns, m, &ts, &flags)) {
					refused++;
				}
				if (unlikely(cap_len < wire)) {
					flags |= RINGSHM_F_TRUNCATED;
					truncated++;
				}
				if (likely(m->data_len >= cap_len)) {
					stage_frame(&fr[nfr++], p, ts, cap_len, wire, flags,
						    pq->idx);
				} else {
					/* Chained mbufs (rare): in order, after those before. */
					ringshm_put_burst(cx->ring, fr, nfr);
					nfr = 0;
					copy_frame(ringshm_alloc(cx->ring, cap_len, wire, ts,
								 pq->idx, flags),
						   m, cap_len);
				}
				bytes += wire;
				written++;
			}
			ringshm_put_burst(cx->ring, fr, nfr);
			free_burst(cx->rx_pool, pkts, n);
			ringshm_commit(cx->ring);
			captured += written;
			publish_burst(pq->st, written, bytes, filtered, truncated, refused);
			atomic_store_explicit(&cx->captured, captured, memory_order_relaxed);
		}
		/* Housekeeping gated by a TSC delta: the loop itself stays a pure poll.  A round
		 * that received reuses its burst's TSC read (rdtsc takes tens of cycles). */
		loops++;
		if (idle_round) {
			now = rte_rdtsc();
		}
		if (unlikely(now - last > gate)) {
			last = now;
			atomic_store_explicit(&cx->poller_loops, loops, memory_order_relaxed);
			if (timesync_model_valid(&model)) {
				timesync_cell_refresh(&cx->tsc_cell, &model, &model_seen);
				write_markers(cx, timesync_model_convert(&model, last));
			}
		}
	}
	atomic_store_explicit(&cx->poller_loops, loops, memory_order_relaxed);
	atomic_store_explicit(&cx->captured, captured, memory_order_relaxed);
	/* Pairs with the control thread's acquire load: everything above is visible. */
	atomic_store_explicit(&cx->poller_done, true, memory_order_release);
	return 0;
}
