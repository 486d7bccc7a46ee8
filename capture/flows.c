/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flows.c - the group filter (--filter-groups) on the NIC: rte_flow rules made when a port is
 * set up (port.c), destroyed when it closes, and the catch-all rule's count queried by the
 * control thread.  Where the PMD refuses them, the poller filters in software.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <rte_ethdev.h>
#include <rte_flow.h>

#include "capture_internal.h"

/*
 * The group filter on the NIC, as rte_flow rules at two priorities:
 *
 *   0: ETH / IPV4 dst GROUP [src SOURCE] / END  ->  the port's queues (QUEUE, or RSS over all)
 *      ETH / IPV4 proto IGMP / END             ->  queue 0 (queries must reach the poller)
 *      ETH type 0x8100 / END, ETH type 0x88a8   ->  the port's queues (tagged frames)
 *   1: ETH / END                               ->  COUNT, DROP
 *
 * ETH / IPV4 does not match a VLAN-tagged frame, and rules per tag stack would multiply; so
 * tagged frames go to the poller, which judges them (and IGMP) with the software filter, as
 * it would without the NIC's help: the ring holds the same frames either way.
 *
 * The rules match addresses only, never UDP ports: a non-first IP fragment has no UDP header
 * and would be dropped, so when a group has a port the poller still checks the ports in
 * software (on frames the NIC already narrowed to the groups).  The catch-all's COUNT is how
 * frames filtered out stay counted: a PMD that cannot count gets no rule at all.  All or
 * nothing: if the PMD refuses any rule, the ones made are destroyed and the poller filters.
 */
struct flow_spec {
	struct rte_flow_attr attr;
	struct rte_flow_item items[3];
	struct rte_flow_item_ipv4 ip, ip_mask;
	struct rte_flow_item_eth eth, eth_mask;
	struct rte_flow_action actions[3];
	struct rte_flow_action_queue queue;
	struct rte_flow_action_rss rss;
	struct rte_flow_action_count count;
	uint16_t queues[CAP_MAX_QUEUES];
};

/* The action sending matched frames to the port's queues: queue 0, or RSS over all. */
static void flow_to_queues(struct flow_spec *f, const struct cap_port *p, bool only_q0)
{
	uint16_t q;

	if (p->nb_rxq == 1 || only_q0) {
		f->queue.index = 0;
		f->actions[0] = (struct rte_flow_action){ RTE_FLOW_ACTION_TYPE_QUEUE, &f->queue };
	} else {
		for (q = 0; q < p->nb_rxq; q++) {
			f->queues[q] = q;
		}
		f->rss.func = RTE_ETH_HASH_FUNCTION_DEFAULT;
		f->rss.types = p->rss_hf;
		f->rss.queue_num = p->nb_rxq;
		f->rss.queue = f->queues;
		f->actions[0] = (struct rte_flow_action){ RTE_FLOW_ACTION_TYPE_RSS, &f->rss };
	}
	f->actions[1] = (struct rte_flow_action){ RTE_FLOW_ACTION_TYPE_END, NULL };
}

/* ETH / IPV4 (the fields of ip_mask that are set) / END */
static void flow_ipv4(struct flow_spec *f)
{
	f->items[0] = (struct rte_flow_item){ .type = RTE_FLOW_ITEM_TYPE_ETH };
	f->items[1] = (struct rte_flow_item){ .type = RTE_FLOW_ITEM_TYPE_IPV4,
					      .spec = &f->ip,
					      .mask = &f->ip_mask };
	f->items[2] = (struct rte_flow_item){ .type = RTE_FLOW_ITEM_TYPE_END };
}

static int flow_make(struct cap_port *p, struct flow_spec *f, const char *what,
		     struct rte_flow **out, char *why, size_t whylen)
{
	struct rte_flow_error e;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = rte_flow_validate(p->port_id, &f->attr, f->items, f->actions, &e);
	if (rc == 0) {
		*out = rte_flow_create(p->port_id, &f->attr, f->items, f->actions, &e);
		rc = *out ? 0 : -rte_errno;
	}
	if (rc < 0) {
		if (e.message && strcmp(e.message, strerror(-rc))) {
			snprintf(why, whylen, "the rule for %s: %s (%s)", what, e.message,
				 strerror(-rc));
		} else {
			snprintf(why, whylen, "the rule for %s: %s", what, strerror(-rc));
		}
	}
	return rc;
}

void cap_flows_destroy(struct cap_port *p)
{
	struct rte_flow_error e;

	while (p->nflows > 0) {
		rte_flow_destroy(p->port_id, p->flows[--p->nflows], &e);
	}
	p->catchall = NULL;
}

static int flows_install(struct cap_ctx *cx, struct cap_port *p, char *why, size_t whylen)
{
	const struct capture_opts *o = cx->o;
	struct flow_spec f;
	char what[64], addr[INET_ADDRSTRLEN];
	int i, j, rc;

	for (i = 0; i < o->ngroups; i++) {
		const struct capture_group *g = &o->groups[i];

		for (j = 0; j < i; j++) { /* one rule per (group, source); ports are software's */
			if (o->groups[j].addr == g->addr && o->groups[j].source == g->source) {
				break;
			}
		}
		if (j < i) {
			continue;
		}
		memset(&f, 0, sizeof(f));
		f.attr.ingress = 1;
		f.ip.hdr.dst_addr = g->addr;
		f.ip_mask.hdr.dst_addr = UINT32_MAX;
		if (g->source) {
			f.ip.hdr.src_addr = g->source;
			f.ip_mask.hdr.src_addr = UINT32_MAX;
		}
		flow_ipv4(&f);
		flow_to_queues(&f, p, false);
		inet_ntop(AF_INET, &g->addr, addr, sizeof(addr));
		snprintf(what, sizeof(what), "group %s", addr);
		rc = flow_make(p, &f, what, &p->flows[p->nflows], why, whylen);
		if (rc < 0) {
			return rc;
		}
		p->nflows++;
	}
	if (cx->igmp_on) {
		memset(&f, 0, sizeof(f));
		f.attr.ingress = 1;
		f.ip.hdr.next_proto_id = IPPROTO_IGMP;
		f.ip_mask.hdr.next_proto_id = UINT8_MAX;
		flow_ipv4(&f);
		flow_to_queues(&f, p, true);
		rc = flow_make(p, &f, "IGMP", &p->flows[p->nflows], why, whylen);
		if (rc < 0) {
			return rc;
		}
		p->nflows++;
	}
	for (i = 0; i < 2; i++) {
		memset(&f, 0, sizeof(f));
		f.attr.ingress = 1;
		f.eth.hdr.ether_type =
			rte_cpu_to_be_16(i ? RTE_ETHER_TYPE_QINQ : RTE_ETHER_TYPE_VLAN);
		f.eth_mask.hdr.ether_type = UINT16_MAX;
		f.items[0] = (struct rte_flow_item){ .type = RTE_FLOW_ITEM_TYPE_ETH,
						     .spec = &f.eth,
						     .mask = &f.eth_mask };
		f.items[1] = (struct rte_flow_item){ .type = RTE_FLOW_ITEM_TYPE_END };
		flow_to_queues(&f, p, false);
		rc = flow_make(p, &f, i ? "QinQ-tagged frames" : "VLAN-tagged frames",
			       &p->flows[p->nflows], why, whylen);
		if (rc < 0) {
			return rc;
		}
		p->nflows++;
	}
	memset(&f, 0, sizeof(f));
	f.attr.ingress = 1;
	f.attr.priority = 1;
	f.items[0] = (struct rte_flow_item){ .type = RTE_FLOW_ITEM_TYPE_ETH };
	f.items[1] = (struct rte_flow_item){ .type = RTE_FLOW_ITEM_TYPE_END };
	f.actions[0] = (struct rte_flow_action){ RTE_FLOW_ACTION_TYPE_COUNT, &f.count };
	f.actions[1] = (struct rte_flow_action){ RTE_FLOW_ACTION_TYPE_DROP, NULL };
	f.actions[2] = (struct rte_flow_action){ RTE_FLOW_ACTION_TYPE_END, NULL };
	rc = flow_make(p, &f, "everything else (count and drop)", &p->flows[p->nflows], why,
		       whylen);
	if (rc < 0) {
		return rc;
	}
	p->catchall = p->flows[p->nflows++];
	return 0;
}

/*
 * Put the group filter on the NIC if asked and possible.  Called once before the port starts
 * (most PMDs take rules on a configured port) and, if that failed, once after.  A rule made
 * after the start leaves frames that arrived before it unfiltered, so then the poller keeps
 * checking every frame too.
 * @return 0 (offloaded or not), or -ENOTSUP for --filter-offload require.
 */
int cap_flows_setup(struct cap_ctx *cx, struct cap_port *p, bool started, char *err, size_t errlen)
{
	const struct capture_opts *o = cx->o;
	char why[256];
	int i, rc;

	if (p->nflows) {
		return 0; /* in place since before the start */
	}
	p->sw_filter = cx->filter;
	if (!cx->filter || o->filter_offload == CAPTURE_OFFLOAD_OFF) {
		return 0;
	}
	rc = flows_install(cx, p, why, sizeof(why));
	if (rc == 0) {
		p->sw_filter = started;
		for (i = 0; i < o->ngroups && !p->sw_filter; i++) {
			p->sw_filter = o->groups[i].port != 0;
		}
		cap_log(LOG_NOTICE, "port %s (%s): group filter on the NIC: %d rte_flow rules%s",
			p->name, p->driver, p->nflows,
			p->sw_filter ? ", UDP ports checked by the poller" : "");
		return 0;
	}
	cap_flows_destroy(p);
	if (!started) {
		return 0; /* try again once the port runs */
	}
	if (o->filter_offload == CAPTURE_OFFLOAD_REQUIRE) {
		snprintf(err, errlen,
			 "port %s (%s): --filter-offload require, but the PMD refused %s", p->name,
			 p->driver, why);
		return -ENOTSUP;
	}
	cap_log(LOG_NOTICE, "port %s (%s): group filter in the poller: the PMD refused %s", p->name,
		p->driver, why);
	return 0;
}

void cap_flows_count(struct cap_ctx *cx)
{
	struct rte_flow_query_count c;
	struct rte_flow_action a[2] = {
		{ RTE_FLOW_ACTION_TYPE_COUNT, NULL },
		{ RTE_FLOW_ACTION_TYPE_END, NULL },
	};
	struct rte_flow_error e;
	int i;

	for (i = 0; i < cx->nports; i++) {
		struct cap_port *p = &cx->ports[i];

		if (!p->catchall) {
			continue;
		}
		memset(&c, 0, sizeof(c));
		if (rte_flow_query(p->port_id, p->catchall, a, &c, &e) == 0 && c.hits_set) {
			atomic_store_explicit(&p->hw_filtered, c.hits, memory_order_relaxed);
		}
	}
}
