/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control_igmp.c - the control thread's IGMP host: the memberships --group asks for, reported
 * at start (twice, the robustness repeat) and periodically while no querier is heard, answers
 * to the queries the poller hands over (within their Max Resp Time), re-joins when a link comes
 * back, and leaves at exit.  The messages themselves are built by igmp.c; they go out on each
 * port's TX queue.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "control_internal.h"

#define IGMP_ROBUST   2 /* RFC 3376 Robustness Variable: unsolicited reports are sent twice */
#define IGMP_UNSOL_NS CAP_NS_PER_S /* between them: Unsolicited Report Interval (v3: 1 s) */

/* One membership (v2: a group address; v3: a (source, group) pair). */
struct cap_member {
	struct capture_group g;
	uint64_t due[CAP_MAX_PORTS]; /* CLOCK_MONOTONIC ns a report is due, 0 = none */
	uint8_t kind[CAP_MAX_PORTS]; /* enum capture_igmp_kind of the due report */
};

static struct {
	struct cap_member mem[CAPTURE_MAX_GROUPS];
	int nmem;
	uint64_t last_query[CAP_MAX_PORTS];
	uint64_t next_unsol;
	int unsol_left;
	uint64_t reports, leaves, queries;
	unsigned seed;
	uint64_t rejoin_at[CAP_MAX_PORTS]; /* CLOCK_MONOTONIC ns of the second re-join, 0 none */
} cs;

void cap_igmp_init(struct cap_ctx *cx)
{
	const struct capture_opts *o = cx->o;
	int i, j;

	cs.seed = (unsigned)cap_real_ns();
	cs.nmem = 0;
	for (i = 0; i < o->ngroups; i++) {
		struct capture_group g = o->groups[i];

		g.port = 0;
		if (o->igmp_version == 2) {
			g.source = 0; /* IGMPv2 has no sources: the group is what counts */
		}
		for (j = 0; j < cs.nmem; j++) {
			if (cs.mem[j].g.addr == g.addr && cs.mem[j].g.source == g.source) {
				break;
			}
		}
		if (j == cs.nmem) {
			memset(&cs.mem[cs.nmem], 0, sizeof(cs.mem[0]));
			cs.mem[cs.nmem++].g = g;
		}
	}
}

static int igmp_tx(struct cap_ctx *cx, struct cap_port *p, enum capture_igmp_kind kind,
		   const struct capture_group *g, int n)
{
	struct rte_mbuf *m;
	uint8_t *d;
	size_t len;

	m = rte_pktmbuf_alloc(cx->tx_pool);
	if (!m) {
		return -ENOMEM;
	}
	d = (uint8_t *)rte_pktmbuf_append(m, CAPTURE_IGMP_MAX_FRAME > rte_pktmbuf_tailroom(m)
						     ? rte_pktmbuf_tailroom(m)
						     : CAPTURE_IGMP_MAX_FRAME);
	len = d ? capture_igmp_build(d, rte_pktmbuf_data_len(m), kind, cx->o->igmp_version,
				     p->mac.addr_bytes, cx->o->igmp_source, g, n)
		: 0;
	if (len == 0) {
		rte_pktmbuf_free(m);
		return -EINVAL;
	}
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - len));
	if (rte_eth_tx_burst(p->port_id, 0, &m, 1) != 1) {
		rte_pktmbuf_free(m);
		return -EAGAIN;
	}
	if (kind == CAPTURE_IGMP_LEAVE) {
		cs.leaves += (uint64_t)n;
	} else {
		cs.reports += (uint64_t)n;
	}
	return 0;
}

/* Send every due report on one port: one frame per group (v2), or batched records (v3). */
static void igmp_send_due(struct cap_ctx *cx, uint64_t now)
{
	struct capture_group batch[CAPTURE_IGMP_V3_PER_FRAME];
	int pi, i, kind, nb;

	for (pi = 0; pi < cx->nports; pi++) {
		struct cap_port *p = &cx->ports[pi];

		if (!p->has_tx) {
			continue;
		}
		for (kind = CAPTURE_IGMP_JOIN; kind <= CAPTURE_IGMP_ANSWER; kind++) {
			nb = 0;
			for (i = 0; i < cs.nmem; i++) {
				struct cap_member *mb = &cs.mem[i];

				if (!mb->due[pi] || mb->due[pi] > now || mb->kind[pi] != kind) {
					continue;
				}
				mb->due[pi] = 0;
				if (cx->o->igmp_version == 2) {
					igmp_tx(cx, p, (enum capture_igmp_kind)kind, &mb->g, 1);
					continue;
				}
				batch[nb++] = mb->g;
				if (nb == CAPTURE_IGMP_V3_PER_FRAME) {
					igmp_tx(cx, p, (enum capture_igmp_kind)kind, batch, nb);
					nb = 0;
				}
			}
			if (nb) {
				igmp_tx(cx, p, (enum capture_igmp_kind)kind, batch, nb);
			}
		}
	}
}

static void igmp_schedule(int pi, int i, uint64_t when, enum capture_igmp_kind kind)
{
	struct cap_member *mb = &cs.mem[i];

	/* RFC 2236 3: a report already due earlier than the new delay stays as it is. */
	if (mb->due[pi] && mb->due[pi] <= when) {
		return;
	}
	mb->due[pi] = when ? when : 1;
	mb->kind[pi] = (uint8_t)kind;
}

static void igmp_unsolicited(struct cap_ctx *cx, uint64_t now)
{
	int pi, i;

	for (pi = 0; pi < cx->nports; pi++) {
		for (i = 0; i < cs.nmem; i++) {
			igmp_schedule(pi, i, now, CAPTURE_IGMP_JOIN);
		}
	}
}

/*
 * A random delay within a query's Max Resp Time.  RFC 2236/3376 let a host pick it anywhere
 * in [0, Max Resp Time]; we pick in the first half, so the time the query waited in the
 * hand-over ring and the control thread's own scheduling on a busy host never push the answer
 * past the deadline.  (Spreading answers matters for report suppression among many hosts; a
 * capture appliance is one host among few on its link.)
 */
static uint64_t answer_delay(uint64_t window)
{
	return (uint64_t)rand_r(&cs.seed) % (window / 2 + 1);
}

/* A query the poller saw: schedule answers at a random time within its Max Resp Time. */
static void igmp_query(struct cap_ctx *cx, uint64_t w, uint64_t now)
{
	struct capture_igmp_query q;
	uint64_t window, delay;
	uint8_t idx;
	int i;

	capture_igmp_query_unpack(w, &q, &idx);
	if (idx >= cx->nports) {
		return;
	}
	cs.queries++;
	cs.last_query[idx] = now;
	window = (uint64_t)(q.max_resp_ms ? q.max_resp_ms : 100) * 1000000ull;
	/* RFC 3376 5.2: an IGMPv3 host answers with one report for all the groups the query
	 * asks about (one timer); IGMPv2 hosts time each group on its own (RFC 2236 3). */
	delay = answer_delay(window);
	for (i = 0; i < cs.nmem; i++) {
		if (q.group && q.group != cs.mem[i].g.addr) {
			continue;
		}
		if (cx->o->igmp_version == 2) {
			delay = answer_delay(window);
		}
		igmp_schedule(idx, i, now + delay, CAPTURE_IGMP_ANSWER);
	}
	cap_log(LOG_DEBUG, "port %s: IGMPv%u %s query, max resp %u ms", cx->ports[idx].name,
		q.version, q.group ? "group-specific" : "general", q.max_resp_ms);
}

void cap_igmp_tick(struct cap_ctx *cx, uint64_t now)
{
	void *objs[32];
	unsigned n, i;
	int pi;
	bool quiet = true;

	if (!cs.nmem || cx->o->no_igmp) {
		return;
	}
	while ((n = rte_ring_sc_dequeue_burst(cx->igmp_q, objs, 32, NULL)) > 0) {
		for (i = 0; i < n; i++) {
			igmp_query(cx, (uint64_t)(uintptr_t)objs[i], now);
		}
	}
	if (cs.next_unsol && now >= cs.next_unsol) {
		/* The start-up repeats, then periodic reports only while no querier is heard:
		 * with a querier present, answering its queries is what keeps the groups. */
		for (pi = 0; pi < cx->nports; pi++) {
			if (cs.last_query[pi] &&
			    now - cs.last_query[pi] <
				    (uint64_t)cx->o->igmp_interval * CAP_NS_PER_S) {
				quiet = false;
			}
		}
		if (cs.unsol_left > 0 || quiet) {
			igmp_unsolicited(cx, now);
		}
		if (cs.unsol_left > 0) {
			cs.unsol_left--;
		}
		cs.next_unsol = cs.unsol_left > 0 ? now + IGMP_UNSOL_NS
				: cx->o->igmp_interval
					? now + (uint64_t)cx->o->igmp_interval * CAP_NS_PER_S
					: 0;
	}
	igmp_send_due(cx, now);
}

uint64_t cap_igmp_next_due(const struct cap_ctx *cx)
{
	uint64_t next = UINT64_MAX;
	int pi, i;

	for (pi = 0; pi < cx->nports; pi++) {
		for (i = 0; i < cs.nmem; i++) {
			if (cs.mem[i].due[pi] && cs.mem[i].due[pi] < next) {
				next = cs.mem[i].due[pi];
			}
		}
	}
	return next;
}

void cap_igmp_leave_all(struct cap_ctx *cx)
{
	struct capture_group batch[CAPTURE_IGMP_V3_PER_FRAME];
	int pi, i, nb;

	if (!cs.nmem || cx->o->no_igmp) {
		return;
	}
	for (pi = 0; pi < cx->nports; pi++) {
		struct cap_port *p = &cx->ports[pi];

		if (!p->has_tx) {
			continue;
		}
		nb = 0;
		for (i = 0; i < cs.nmem; i++) {
			if (cx->o->igmp_version == 2) {
				igmp_tx(cx, p, CAPTURE_IGMP_LEAVE, &cs.mem[i].g, 1);
				continue;
			}
			batch[nb++] = cs.mem[i].g;
			if (nb == CAPTURE_IGMP_V3_PER_FRAME) {
				igmp_tx(cx, p, CAPTURE_IGMP_LEAVE, batch, nb);
				nb = 0;
			}
		}
		if (nb) {
			igmp_tx(cx, p, CAPTURE_IGMP_LEAVE, batch, nb);
		}
	}
}

bool cap_igmp_active(const struct cap_ctx *cx)
{
	return cs.nmem && !cx->o->no_igmp;
}

void cap_igmp_start(struct cap_ctx *cx, uint64_t now)
{
	if (cs.nmem && !cx->o->no_igmp) {
		cs.unsol_left = IGMP_ROBUST;
		cs.next_unsol = now;
	}
}

/*
 * The link is back: the switch forgot our groups while it was down (IGMP snooping ages them
 * out, a querier may have moved), and waiting for the next query can take 125 s.  Report
 * every membership now, and once more a second later (the robustness repeat).
 */
void cap_igmp_rejoin(struct cap_ctx *cx, int pi, uint64_t now)
{
	int i;

	if (!cs.nmem || cx->o->no_igmp || !cx->ports[pi].has_tx) {
		return;
	}
	for (i = 0; i < cs.nmem; i++) {
		igmp_schedule(pi, i, now, CAPTURE_IGMP_JOIN);
	}
	cs.rejoin_at[pi] = now + IGMP_UNSOL_NS;
}

void cap_igmp_rejoin_repeat(struct cap_ctx *cx, int pi, uint64_t now)
{
	int i;

	if (cs.rejoin_at[pi] && now >= cs.rejoin_at[pi]) {
		cs.rejoin_at[pi] = 0;
		for (i = 0; i < cs.nmem && !cx->o->no_igmp; i++) {
			igmp_schedule(pi, i, now, CAPTURE_IGMP_JOIN);
		}
	}
}

void cap_igmp_totals(struct cap_igmp_totals *t)
{
	t->reports = cs.reports;
	t->leaves = cs.leaves;
	t->queries = cs.queries;
}
