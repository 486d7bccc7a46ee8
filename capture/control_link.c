/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control_link.c - link state as the control thread follows it: each change becomes a LOSS
 * record with the event (written in-band by the poller), the outage counters in the ring
 * header, a log line, and on link up an IGMP re-join.  The LSC callback (port.c) only flags a
 * port; ports without LSC interrupts are polled.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <syslog.h>

#include <rte_common.h>
#include <rte_ethdev.h>

#include "control_internal.h"

/* Link events waiting for the poller to write them (LOSS records with an event). */
static struct {
	struct ringshm_loss_payload link_q[16];
	unsigned link_head, link_tail;
} cs;

/* Queue a link event; the poller writes it in-band (a LOSS record) when the box is free. */
static void link_post(uint16_t port, enum ringshm_loss_event ev, uint64_t at, uint64_t outage)
{
	struct ringshm_loss_payload *e;

	if (cs.link_head - cs.link_tail == RTE_DIM(cs.link_q)) {
		cs.link_tail++; /* 16 events within 100 ms: keep the newest */
	}
	e = &cs.link_q[cs.link_head++ % RTE_DIM(cs.link_q)];
	memset(e, 0, sizeof(*e));
	e->event = (uint16_t)ev;
	e->port = port;
	e->event_ns = at;
	e->outage_ns = outage;
}

static void link_flush(struct cap_ctx *cx)
{
	while (cs.link_tail != cs.link_head &&
	       cap_post_marker(cx, CAP_BOX_LINK, RINGSHM_REC_LOSS,
			       &cs.link_q[cs.link_tail % RTE_DIM(cs.link_q)],
			       sizeof(struct ringshm_loss_payload))) {
		cs.link_tail++;
	}
}

/*
 * Check the links: ports with LSC interrupts when one came (and once a second, in case one
 * was missed), the others at every tick.  A change becomes a LOSS record with the event (link
 * down; link up with the outage's length), counters in the ring header, a log line, and on
 * link up an immediate IGMP re-join.
 */
void cap_link_tick(struct cap_ctx *cx, uint64_t now, bool poll_all)
{
	struct ringshm_ctl *ctl = cx->ctl;
	int pi;

	for (pi = 0; pi < cx->nports; pi++) {
		struct cap_port *p = &cx->ports[pi];
		/* Pairs with the release store in the LSC callback (port.c). */
		bool ev = atomic_exchange_explicit(&p->link_event, false, memory_order_acquire);
		struct rte_eth_link l;
		uint64_t t;
		int up;

		cap_igmp_rejoin_repeat(cx, pi, now);
		if (p->lsc && !ev && !poll_all) {
			continue;
		}
		memset(&l, 0, sizeof(l));
		if (rte_eth_link_get_nowait(p->port_id, &l) != 0) {
			continue;
		}
		up = l.link_status == RTE_ETH_LINK_UP;
		if (p->link == up) {
			continue;
		}
		t = cap_real_ns();
		cap_stats_lock();
		if (!up) {
			p->link_downs++;
			p->link_down_since = t;
			link_post(p->idx, RINGSHM_LOSS_LINK_DOWN, t, 0);
			cap_log(LOG_WARNING,
				"port %s: link down%s: frames are lost until it is back", p->name,
				p->link < 0 ? " at start" : "");
		} else if (p->link == 0) {
			uint64_t outage = t - p->link_down_since;

			p->link_down_ns += outage;
			link_post(p->idx, RINGSHM_LOSS_LINK_UP, t, outage);
			cap_igmp_rejoin(cx, pi, now);
			cap_log(LOG_NOTICE, "port %s: link up after %.3f s down%s", p->name,
				(double)outage / 1e9,
				cap_igmp_active(cx) ? ": IGMP reports sent again" : "");
		}
		p->link = up;
		cap_stats_unlock();
		PUT(ctl->ports[p->idx].link_downs, p->link_downs);
		PUT(ctl->ports[p->idx].link_down_ns, p->link_down_ns);
		PUT(ctl->ports[p->idx].link_up, (uint32_t)up);
	}
	link_flush(cx);
}

bool cap_link_write_pending(struct cap_ctx *cx, uint64_t now)
{
	bool wrote = false;

	while (cs.link_tail != cs.link_head &&
	       ringshm_marker(cx->ring, RINGSHM_REC_LOSS,
			      &cs.link_q[cs.link_tail % RTE_DIM(cs.link_q)],
			      sizeof(struct ringshm_loss_payload), now) == 0) {
		cs.link_tail++;
		wrote = true;
	}
	return wrote;
}
