/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The simulated NIC's flow engine (rte_flow_ops): a small TCAM.  Ingress rules in group 0,
 * priorities 0 to 7, matching Ethernet addresses and type, IPv4 addresses and protocol, UDP
 * ports, each with a mask, and deciding QUEUE, RSS over a queue list, or DROP, optionally with
 * a COUNT.  The first matching rule (lowest priority, then oldest) decides; no match means the
 * port's default RSS.  What a real NIC refuses, it refuses with a message naming what: other
 * items and actions (ENOTSUP), a queue index beyond the RX queues, two fates (EINVAL), a full
 * table (flow_max=N devarg: ENOSPC), COUNT when flow_count=0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ethdev_driver.h>
#include <rte_flow.h>
#include <rte_flow_driver.h>
#include <rte_malloc.h>

#include "fcsim_internal.h"

/*
 * rte_flow_error keeps a pointer to its message, read by the caller after we return: messages
 * with a number in them are formatted here, one buffer per thread, valid until that thread's
 * next flow call.
 */
static __thread char errmsg[160];

static int item_error(struct rte_flow_error *e, int code, const struct rte_flow_item *it,
		      const char *msg)
{
	return rte_flow_error_set(e, code, RTE_FLOW_ERROR_TYPE_ITEM, it, msg);
}

/* The mask of an item, or the item type's default mask when the application gave none. */
static const void *item_mask(const struct rte_flow_item *it, const void *dflt)
{
	return it->mask ? it->mask : dflt;
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--) {
		if (*b++) {
			return false;
		}
	}
	return true;
}

static int parse_eth(struct rte_flow *f, const struct rte_flow_item *it, struct rte_flow_error *e)
{
	const struct rte_flow_item_eth *s = it->spec;
	const struct rte_flow_item_eth *m = item_mask(it, &rte_flow_item_eth_mask);
	int i;

	if (!s) {
		return 0; /* any Ethernet frame */
	}
	if (m->has_vlan) {
		return item_error(e, ENOTSUP, it, "net_fcsim: ETH item: has_vlan is not supported");
	}
	for (i = 0; i < RTE_ETHER_ADDR_LEN; i++) {
		f->eth_dst_m.addr_bytes[i] = m->hdr.dst_addr.addr_bytes[i];
		f->eth_dst.addr_bytes[i] =
			s->hdr.dst_addr.addr_bytes[i] & m->hdr.dst_addr.addr_bytes[i];
		f->eth_src_m.addr_bytes[i] = m->hdr.src_addr.addr_bytes[i];
		f->eth_src.addr_bytes[i] =
			s->hdr.src_addr.addr_bytes[i] & m->hdr.src_addr.addr_bytes[i];
	}
	f->eth_type_m = rte_be_to_cpu_16(m->hdr.ether_type);
	f->eth_type = rte_be_to_cpu_16(s->hdr.ether_type) & f->eth_type_m;
	return 0;
}

static int parse_ipv4(struct rte_flow *f, const struct rte_flow_item *it, struct rte_flow_error *e)
{
	const struct rte_flow_item_ipv4 *s = it->spec;
	const struct rte_flow_item_ipv4 *m = item_mask(it, &rte_flow_item_ipv4_mask);
	struct rte_ipv4_hdr rest;

	if (f->eth_type_m &&
	    (f->eth_type & f->eth_type_m) != (RTE_ETHER_TYPE_IPV4 & f->eth_type_m)) {
		return item_error(e, EINVAL, it,
				  "net_fcsim: IPV4 item after an ETH item whose type is not IPv4");
	}
	f->want_ipv4 = true;
	if (!s) {
		return 0;
	}
	/* Only addresses and protocol: the fragment fields are ignored, anything else refused. */
	rest = m->hdr;
	rest.src_addr = 0;
	rest.dst_addr = 0;
	rest.next_proto_id = 0;
	rest.fragment_offset = 0;
	if (!all_zero(&rest, sizeof(rest))) {
		return item_error(
			e, ENOTSUP, it,
			"net_fcsim: IPV4 item: only src_addr, dst_addr and next_proto_id can be matched");
	}
	f->sip_m = m->hdr.src_addr;
	f->sip = s->hdr.src_addr & f->sip_m;
	f->dip_m = m->hdr.dst_addr;
	f->dip = s->hdr.dst_addr & f->dip_m;
	f->proto_m = m->hdr.next_proto_id;
	f->proto = s->hdr.next_proto_id & f->proto_m;
	return 0;
}

static int parse_udp(struct rte_flow *f, const struct rte_flow_item *it, struct rte_flow_error *e)
{
	const struct rte_flow_item_udp *s = it->spec;
	const struct rte_flow_item_udp *m = item_mask(it, &rte_flow_item_udp_mask);

	if (!f->want_ipv4) {
		return item_error(e, ENOTSUP, it,
				  "net_fcsim: UDP item without an IPV4 item before it (IPv6 is not "
				  "supported)");
	}
	if (f->proto_m && (f->proto & f->proto_m) != (IPPROTO_UDP & f->proto_m)) {
		return item_error(
			e, EINVAL, it,
			"net_fcsim: UDP item after an IPV4 item whose protocol is not UDP");
	}
	f->want_udp = true;
	if (!s) {
		return 0;
	}
	if (m->hdr.dgram_len || m->hdr.dgram_cksum) {
		return item_error(e, ENOTSUP, it,
				  "net_fcsim: UDP item: only src_port and dst_port can be matched");
	}
	f->sport_m = m->hdr.src_port;
	f->sport = s->hdr.src_port & f->sport_m;
	f->dport_m = m->hdr.dst_port;
	f->dport = s->hdr.dst_port & f->dport_m;
	return 0;
}

static int parse_pattern(struct rte_flow *f, const struct rte_flow_item *it,
			 struct rte_flow_error *e)
{
	bool seen_eth = false;
	int rc = 0;

	if (!it) {
		return rte_flow_error_set(e, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM_NUM, NULL,
					  "net_fcsim: no pattern");
	}
	for (; it->type != RTE_FLOW_ITEM_TYPE_END; it++) {
		if (it->type == RTE_FLOW_ITEM_TYPE_VOID) {
			continue;
		}
		if (it->last) {
			return item_error(
				e, ENOTSUP, it,
				"net_fcsim: ranges (the item's last field) are not supported");
		}
		switch (it->type) {
		case RTE_FLOW_ITEM_TYPE_ETH:
			if (seen_eth || f->want_ipv4) {
				return item_error(e, EINVAL, it,
						  "net_fcsim: ETH item must come first, once");
			}
			seen_eth = true;
			rc = parse_eth(f, it, e);
			break;
		case RTE_FLOW_ITEM_TYPE_IPV4:
			if (f->want_ipv4) {
				return item_error(e, EINVAL, it, "net_fcsim: two IPV4 items");
			}
			rc = parse_ipv4(f, it, e);
			break;
		case RTE_FLOW_ITEM_TYPE_UDP:
			if (f->want_udp) {
				return item_error(e, EINVAL, it, "net_fcsim: two UDP items");
			}
			rc = parse_udp(f, it, e);
			break;
		default:
			return item_error(
				e, ENOTSUP, it,
				"net_fcsim: item not supported (only VOID, ETH, IPV4, UDP)");
		}
		if (rc < 0) {
			return rc;
		}
	}
	return 0;
}

static int action_error(struct rte_flow_error *e, int code, const struct rte_flow_action *a,
			const char *msg)
{
	return rte_flow_error_set(e, code, RTE_FLOW_ERROR_TYPE_ACTION, a, msg);
}

static int parse_actions(struct fcsim_dev *d, struct rte_flow *f, const struct rte_flow_action *a,
			 struct rte_flow_error *e)
{
	uint16_t nb_rxq = d->eth->data->nb_rx_queues;
	uint32_t i;

	if (!a) {
		return rte_flow_error_set(e, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_NUM, NULL,
					  "net_fcsim: no actions");
	}
	for (; a->type != RTE_FLOW_ACTION_TYPE_END; a++) {
		switch (a->type) {
		case RTE_FLOW_ACTION_TYPE_VOID:
			continue;
		case RTE_FLOW_ACTION_TYPE_COUNT:
			if (!d->a.flow_count) {
				return action_error(
					e, ENOTSUP, a,
					"net_fcsim: COUNT is not supported (flow_count=0)");
			}
			if (f->count) {
				return action_error(e, EINVAL, a, "net_fcsim: two COUNT actions");
			}
			f->count = true;
			continue;
		case RTE_FLOW_ACTION_TYPE_DROP:
		case RTE_FLOW_ACTION_TYPE_QUEUE:
		case RTE_FLOW_ACTION_TYPE_RSS:
			break;
		default:
			return action_error(
				e, ENOTSUP, a,
				"net_fcsim: action not supported (only VOID, QUEUE, RSS, DROP, COUNT)");
		}
		/* A fate. */
		if (f->fate != FCSIM_FATE_NONE) {
			return action_error(
				e, EINVAL, a,
				"net_fcsim: more than one fate action (DROP, QUEUE, RSS)");
		}
		if (a->type == RTE_FLOW_ACTION_TYPE_DROP) {
			f->fate = FCSIM_FATE_DROP;
		} else if (a->type == RTE_FLOW_ACTION_TYPE_QUEUE) {
			const struct rte_flow_action_queue *q = a->conf;

			if (!q) {
				return action_error(e, EINVAL, a, "net_fcsim: QUEUE without conf");
			}
			if (q->index >= nb_rxq) {
				snprintf(errmsg, sizeof(errmsg),
					 "net_fcsim: QUEUE index %u, but the port has %u RX queues",
					 q->index, nb_rxq);
				return action_error(e, EINVAL, a, errmsg);
			}
			f->fate = FCSIM_FATE_QUEUE;
			f->queues[0] = q->index;
			f->nqueues = 1;
		} else {
			const struct rte_flow_action_rss *r = a->conf;

			if (!r || r->queue_num == 0 || r->queue_num > FCSIM_MAX_QUEUES) {
				return action_error(e, EINVAL, a,
						    "net_fcsim: RSS needs a list of 1 to 8 queues");
			}
			if (r->func != RTE_ETH_HASH_FUNCTION_DEFAULT &&
			    r->func != RTE_ETH_HASH_FUNCTION_TOEPLITZ) {
				return action_error(e, ENOTSUP, a,
						    "net_fcsim: RSS: only the Toeplitz hash");
			}
			if (r->level > 1) {
				return action_error(e, ENOTSUP, a,
						    "net_fcsim: RSS: no inner (tunnel) hashing");
			}
			for (i = 0; i < r->queue_num; i++) {
				if (r->queue[i] >= nb_rxq) {
					snprintf(
						errmsg, sizeof(errmsg),
						"net_fcsim: RSS queue %u, but the port has %u RX queues",
						r->queue[i], nb_rxq);
					return action_error(e, EINVAL, a, errmsg);
				}
				f->queues[i] = r->queue[i];
			}
			f->nqueues = (uint16_t)r->queue_num;
			f->fate = FCSIM_FATE_RSS;
		}
	}
	if (f->fate == FCSIM_FATE_NONE) {
		return rte_flow_error_set(e, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_NUM, NULL,
					  "net_fcsim: no fate action (DROP, QUEUE or RSS)");
	}
	return 0;
}

static int parse_attr(const struct rte_flow_attr *attr, struct rte_flow *f,
		      struct rte_flow_error *e)
{
	if (!attr) {
		return rte_flow_error_set(e, EINVAL, RTE_FLOW_ERROR_TYPE_ATTR, NULL,
					  "net_fcsim: no attributes");
	}
	if (attr->egress) {
		return rte_flow_error_set(e, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR_EGRESS, attr,
					  "net_fcsim: egress rules are not supported");
	}
	if (attr->transfer) {
		return rte_flow_error_set(e, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR_TRANSFER, attr,
					  "net_fcsim: transfer rules are not supported");
	}
	if (!attr->ingress) {
		return rte_flow_error_set(e, EINVAL, RTE_FLOW_ERROR_TYPE_ATTR_INGRESS, attr,
					  "net_fcsim: only ingress rules");
	}
	if (attr->group) {
		return rte_flow_error_set(e, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR_GROUP, attr,
					  "net_fcsim: only group 0");
	}
	if (attr->priority > FCSIM_MAX_PRIO) {
		snprintf(errmsg, sizeof(errmsg), "net_fcsim: priority %u, the lowest is %u",
			 attr->priority, FCSIM_MAX_PRIO);
		return rte_flow_error_set(e, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR_PRIORITY, attr,
					  errmsg);
	}
	f->prio = attr->priority;
	return 0;
}

static int parse_rule(struct fcsim_dev *d, const struct rte_flow_attr *attr,
		      const struct rte_flow_item pattern[], const struct rte_flow_action actions[],
		      struct rte_flow *f, struct rte_flow_error *e)
{
	int rc;

	memset(f, 0, sizeof(*f));
	rc = parse_attr(attr, f, e);
	if (rc == 0) {
		rc = parse_pattern(f, pattern, e);
	}
	if (rc == 0) {
		rc = parse_actions(d, f, actions, e);
	}
	return rc;
}

static int fcsim_flow_validate(struct rte_eth_dev *dev, const struct rte_flow_attr *attr,
			       const struct rte_flow_item pattern[],
			       const struct rte_flow_action actions[], struct rte_flow_error *e)
{
	struct rte_flow f;

	return parse_rule(dev->data->dev_private, attr, pattern, actions, &f, e);
}

static struct rte_flow *fcsim_flow_create(struct rte_eth_dev *dev, const struct rte_flow_attr *attr,
					  const struct rte_flow_item pattern[],
					  const struct rte_flow_action actions[],
					  struct rte_flow_error *e)
{
	struct fcsim_dev *d = dev->data->dev_private;
	struct rte_flow *f, *it;

	f = rte_zmalloc("fcsim_flow", sizeof(*f), 0);
	if (!f) {
		rte_flow_error_set(e, ENOMEM, RTE_FLOW_ERROR_TYPE_HANDLE, NULL,
				   "net_fcsim: out of memory");
		return NULL;
	}
	if (parse_rule(d, attr, pattern, actions, f, e) < 0) {
		rte_free(f);
		return NULL;
	}
	rte_spinlock_lock(&d->lock);
	if (d->a.flow_max && d->nflows >= d->a.flow_max) {
		rte_spinlock_unlock(&d->lock);
		rte_free(f);
		snprintf(errmsg, sizeof(errmsg),
			 "net_fcsim: flow table full (%u rules, flow_max=%u)", d->nflows,
			 d->a.flow_max);
		rte_flow_error_set(e, ENOSPC, RTE_FLOW_ERROR_TYPE_HANDLE, NULL, errmsg);
		return NULL;
	}
	f->seq = d->flow_seq++;
	/* Sorted by priority; a new rule goes after every rule of its priority. */
	TAILQ_FOREACH(it, &d->flows, next)
	{
		if (it->prio > f->prio) {
			break;
		}
	}
	if (it) {
		TAILQ_INSERT_BEFORE(it, f, next);
	} else {
		TAILQ_INSERT_TAIL(&d->flows, f, next);
	}
	d->nflows++;
	rte_spinlock_unlock(&d->lock);
	return f;
}

static bool known_flow(struct fcsim_dev *d, const struct rte_flow *f)
{
	const struct rte_flow *it;

	TAILQ_FOREACH(it, &d->flows, next)
	{
		if (it == f) {
			return true;
		}
	}
	return false;
}

static int fcsim_flow_destroy(struct rte_eth_dev *dev, struct rte_flow *f, struct rte_flow_error *e)
{
	struct fcsim_dev *d = dev->data->dev_private;

	rte_spinlock_lock(&d->lock);
	if (!known_flow(d, f)) {
		rte_spinlock_unlock(&d->lock);
		return rte_flow_error_set(e, EINVAL, RTE_FLOW_ERROR_TYPE_HANDLE, f,
					  "net_fcsim: no such rule");
	}
	TAILQ_REMOVE(&d->flows, f, next);
	d->nflows--;
	rte_spinlock_unlock(&d->lock);
	rte_free(f);
	return 0;
}

void fcsim_flow_free_all(struct fcsim_dev *d)
{
	struct rte_flow *f;

	while ((f = TAILQ_FIRST(&d->flows)) != NULL) {
		TAILQ_REMOVE(&d->flows, f, next);
		rte_free(f);
	}
	d->nflows = 0;
}

static int fcsim_flow_flush(struct rte_eth_dev *dev, struct rte_flow_error *e)
{
	struct fcsim_dev *d = dev->data->dev_private;
	struct fcsim_flow_list gone = TAILQ_HEAD_INITIALIZER(gone);
	struct rte_flow *f;

	RTE_SET_USED(e);
	rte_spinlock_lock(&d->lock);
	TAILQ_CONCAT(&gone, &d->flows, next);
	d->nflows = 0;
	rte_spinlock_unlock(&d->lock);
	while ((f = TAILQ_FIRST(&gone)) != NULL) {
		TAILQ_REMOVE(&gone, f, next);
		rte_free(f);
	}
	return 0;
}

static int fcsim_flow_query(struct rte_eth_dev *dev, struct rte_flow *f,
			    const struct rte_flow_action *a, void *data, struct rte_flow_error *e)
{
	struct fcsim_dev *d = dev->data->dev_private;
	struct rte_flow_query_count *c = data;

	for (; a && a->type == RTE_FLOW_ACTION_TYPE_VOID; a++) {
	}
	if (!a || a->type != RTE_FLOW_ACTION_TYPE_COUNT) {
		return action_error(e, ENOTSUP, a, "net_fcsim: only COUNT can be queried");
	}
	rte_spinlock_lock(&d->lock);
	if (!known_flow(d, f)) {
		rte_spinlock_unlock(&d->lock);
		return rte_flow_error_set(e, EINVAL, RTE_FLOW_ERROR_TYPE_HANDLE, f,
					  "net_fcsim: no such rule");
	}
	if (!f->count) {
		rte_spinlock_unlock(&d->lock);
		return action_error(e, EINVAL, a, "net_fcsim: this rule has no COUNT action");
	}
	c->hits = f->hits;
	c->bytes = f->bytes;
	c->hits_set = 1;
	c->bytes_set = 1;
	if (c->reset) {
		f->hits = 0;
		f->bytes = 0;
	}
	rte_spinlock_unlock(&d->lock);
	return 0;
}

const struct rte_flow_ops fcsim_flow_ops = {
	.validate = fcsim_flow_validate,
	.create = fcsim_flow_create,
	.destroy = fcsim_flow_destroy,
	.flush = fcsim_flow_flush,
	.query = fcsim_flow_query,
};

static bool mac_match(const struct rte_ether_addr *a, const struct rte_ether_addr *want,
		      const struct rte_ether_addr *mask)
{
	int i;

	for (i = 0; i < RTE_ETHER_ADDR_LEN; i++) {
		if ((a->addr_bytes[i] & mask->addr_bytes[i]) != want->addr_bytes[i]) {
			return false;
		}
	}
	return true;
}

static bool rule_match(const struct rte_flow *f, const struct fcsim_hdrs *h)
{
	if (!mac_match(&h->dst, &f->eth_dst, &f->eth_dst_m) ||
	    !mac_match(&h->src, &f->eth_src, &f->eth_src_m) ||
	    (h->type & f->eth_type_m) != f->eth_type) {
		return false;
	}
	if (!f->want_ipv4) {
		return true;
	}
	if (!h->ipv4 || (h->sip & f->sip_m) != f->sip || (h->dip & f->dip_m) != f->dip ||
	    (h->proto & f->proto_m) != f->proto) {
		return false;
	}
	if (!f->want_udp) {
		return true;
	}
	/* A non-first fragment has no UDP header: like a hardware parser, no UDP item matches it. */
	return h->udp && (h->sport & f->sport_m) == f->sport && (h->dport & f->dport_m) == f->dport;
}

struct rte_flow *fcsim_flow_match(struct fcsim_dev *d, const struct fcsim_hdrs *h)
{
	struct rte_flow *f;

	TAILQ_FOREACH(f, &d->flows, next)
	{
		if (rule_match(f, h)) {
			return f;
		}
	}
	return NULL;
}
