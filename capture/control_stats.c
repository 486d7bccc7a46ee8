/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control_stats.c - the control thread's counters.  At start, the ring header's port table and
 * the counters' baseline.  Once per stats interval (cap_stats_publish): the poller's per-queue
 * counters summed by port, what the NIC and the kernel dropped (the PMD's basic and extended
 * statistics, the AF_PACKET sockets' and the interface's drops), the NIC time check, all
 * published in the ring header, with a LOSS record for what the NIC lost.  Telemetry
 * (/feedcap/stats) reads the cache kept here, never the PMD.  At exit, the summary line.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <dirent.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>

#include "control_internal.h"

/* The per-port NIC counters, cached by the control thread once a second. */
struct cap_nic {
	uint64_t imissed, ierrors, rx_nombuf;
	uint64_t ipackets, ibytes;
	uint64_t stage[CAPTURE_NSTAGES]; /* extended statistics by stage (xstats.c) */
};

/*
 * One drop counter among the PMD's extended statistics, under its own name.  Only the
 * control thread ever asks the PMD (rte_eth_xstats_get_by_id): several PMDs build these totals
 * from clear-on-read registers without a lock, so a second reader (telemetry) would make
 * counts vanish.  Telemetry reads this cache, under cs.lock.
 */
struct cap_xstat {
	uint64_t id;
	uint64_t value; /* the PMD's total (since the port started) */
	int stage;
	bool oversize; /* frames over the MTU: the mtu hint */
	char name[RTE_ETH_XSTATS_NAME_SIZE];
};

#define CAP_MAX_XSTATS 32

static struct {
	struct cap_ctx *cx; /* for telemetry: NULL once cap_stats_finish() ran */

	pthread_mutex_t lock; /* guards nic[], xs[], cx and the ports' link fields for telemetry */
	struct cap_nic nic[CAP_MAX_PORTS];
	struct cap_xstat xs[CAP_MAX_PORTS][CAP_MAX_XSTATS];
	int nxs[CAP_MAX_PORTS];
	bool mtu_hinted[CAP_MAX_PORTS];
	struct ringshm_counters base;		  /* counters of earlier epochs, at start */
	struct ringshm_loss_payload pending_loss; /* NIC losses not yet in a LOSS record */
	/* NIC time checks, per port: what was last logged */
	uint64_t ts_fallback[CAP_MAX_PORTS]; /* frames refused, as of the last check */
	bool ts_refusing[CAP_MAX_PORTS];
	uint8_t ts_domain[CAP_MAX_PORTS];
} cs = { .lock = PTHREAD_MUTEX_INITIALIZER };

void cap_stats_lock(void)
{
	pthread_mutex_lock(&cs.lock);
}

void cap_stats_unlock(void)
{
	pthread_mutex_unlock(&cs.lock);
}

/*
 * DPDK 22.11's net_af_packet does not report what its sockets dropped when their rings were
 * full (PACKET_STATISTICS tp_drops): imissed stays 0 while the kernel drops.  Drops nobody
 * reports are the worst kind, so the control thread finds the PMD's AF_PACKET sockets bound to
 * the port's interface and reads their statistics itself (a read resets them: we accumulate).
 */
static void find_packet_sockets(struct cap_port *p)
{
	struct sockaddr_ll sll;
	socklen_t len;
	struct dirent *de;
	DIR *d;
	int fd, dom;

	if (!p->if_index || strcmp(p->driver, "net_af_packet")) {
		return;
	}
	d = opendir("/proc/self/fd");
	while (d && (de = readdir(d)) != NULL && p->npkt_fds < CAP_MAX_QUEUES) {
		fd = atoi(de->d_name);
		if (de->d_name[0] == '.' || fd == dirfd(d)) {
			continue;
		}
		len = sizeof(dom);
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) < 0 || dom != AF_PACKET) {
			continue;
		}
		len = sizeof(sll);
		if (getsockname(fd, (struct sockaddr *)&sll, &len) < 0 ||
		    (unsigned)sll.sll_ifindex != p->if_index) {
			continue;
		}
		p->pkt_fds[p->npkt_fds++] = fd;
	}
	if (d) {
		closedir(d);
	}
	cap_log(LOG_INFO, "port %s: reading drops of %d AF_PACKET socket(s)", p->name, p->npkt_fds);
}

/* What the kernel dropped for the port: its AF_PACKET sockets' tp_drops (accumulated, a read
 * resets them), and for net_af_xdp the interface's rx_dropped growth (port.c). */
static void read_kernel_drops(struct cap_port *p)
{
	struct tpacket_stats st;
	uint64_t v;
	socklen_t len;
	int i;

	for (i = 0; i < p->npkt_fds; i++) {
		len = sizeof(st);
		if (getsockopt(p->pkt_fds[i], SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
			p->sock_drops += st.tp_drops;
		}
	}
	if (p->kdrop_fd >= 0 && cap_read_counter(p->kdrop_fd, &v) == 0 && v >= p->kdrop_base) {
		p->kdrop = v - p->kdrop_base;
	}
}

/*
 * The ring's NIC counter table (readers: feedcap-stat, Prometheus): this port's counters by
 * name and stage.  The name's first byte is stored last, with a release store: a reader that
 * sees it set sees the whole entry.
 */
static void xstats_table_names(struct cap_ctx *cx, const struct cap_port *p, int pi)
{
	struct ringshm_xstat_table *t = ringshm_xstats(cx->ring);
	int i;

	if (!t) {
		return;
	}
	for (i = 0; i < RINGSHM_XSTATS_PER_PORT; i++) {
		struct ringshm_xstat *e = &t->port[p->idx][i];

		__atomic_store_n(&e->name[0], '\0', __ATOMIC_RELAXED);
		if (i >= cs.nxs[pi]) {
			continue;
		}
		snprintf(e->name + 1, sizeof(e->name) - 1, "%s", cs.xs[pi][i].name + 1);
		e->stage = (uint8_t)cs.xs[pi][i].stage;
		__atomic_store_n(&e->value, 0, __ATOMIC_RELAXED);
		/* Pairs with the reader's load-acquire of name[0]. */
		__atomic_store_n(&e->name[0], cs.xs[pi][i].name[0], __ATOMIC_RELEASE);
	}
}

/* Pick the port's drop counters among its extended statistics (once, at start). */
static void xstats_init(struct cap_ctx *cx, struct cap_port *p, int pi)
{
	struct rte_eth_xstat_name *names;
	char list[512];
	size_t used = 0;
	int n, i;

	cs.nxs[pi] = 0;
	n = rte_eth_xstats_get_names(p->port_id, NULL, 0);
	if (n <= 0) {
		return;
	}
	names = calloc((size_t)n, sizeof(*names));
	if (!names || rte_eth_xstats_get_names(p->port_id, names, (unsigned)n) != n) {
		free(names);
		return;
	}
	list[0] = '\0';
	for (i = 0; i < n && cs.nxs[pi] < CAP_MAX_XSTATS; i++) {
		struct cap_xstat *x = &cs.xs[pi][cs.nxs[pi]];
		int stage = capture_xstat_stage(names[i].name);

		if (stage < 0) {
			continue;
		}
		memset(x, 0, sizeof(*x));
		x->id = (uint64_t)i;
		x->stage = stage;
		x->oversize = capture_xstat_is_oversize(names[i].name);
		snprintf(x->name, sizeof(x->name), "%s", names[i].name);
		cs.nxs[pi]++;
		if (used < sizeof(list)) {
			int k = snprintf(list + used, sizeof(list) - used, "%s%s (%s)",
					 used ? ", " : "", x->name, capture_stage_name(stage));

			used += k > 0 ? (size_t)k : 0;
		}
	}
	free(names);
	cap_log(LOG_INFO, "port %s: %d drop counters among its extended statistics%s%s", p->name,
		cs.nxs[pi], cs.nxs[pi] ? ": " : "", list);
	xstats_table_names(cx, p, pi);
}

/*
 * Read the port's drop counters (the control thread only) into the cache; stage totals
 * follow.  Frames over the MTU, with no MTU asked for, get one warning that says so.
 */
static void xstats_read(struct cap_ctx *cx, struct cap_port *p, int pi, struct cap_nic *nic)
{
	uint64_t ids[CAP_MAX_XSTATS], vals[CAP_MAX_XSTATS];
	int n = cs.nxs[pi], i;

	if (n == 0) {
		return;
	}
	for (i = 0; i < n; i++) {
		ids[i] = cs.xs[pi][i].id;
	}
	if (rte_eth_xstats_get_by_id(p->port_id, ids, vals, (unsigned)n) != n) {
		return;
	}
	memset(nic->stage, 0, sizeof(nic->stage));
	for (i = 0; i < n; i++) {
		struct cap_xstat *x = &cs.xs[pi][i];
		struct ringshm_xstat_table *t = ringshm_xstats(cx->ring);

		x->value = vals[i];
		if (t && i < RINGSHM_XSTATS_PER_PORT) {
			PUT(t->port[p->idx][i].value, vals[i]);
		}
		nic->stage[x->stage] += vals[i];
		if (x->oversize && vals[i] && !cx->o->mtu && !cs.mtu_hinted[pi]) {
			cs.mtu_hinted[pi] = true;
			cap_log(LOG_WARNING,
				"port %s: %llu frames longer than the MTU (%u) dropped by the NIC (%s): if the feed carries such frames, set mtu = 9000 (--mtu 9000)",
				p->name, (unsigned long long)vals[i], p->mtu, x->name);
		}
	}
}

struct cap_port_sum {
	uint64_t frames, bytes, filtered, truncated, ts_fallback;
	uint8_t ts_domain; /* of the queue that last saw a NIC time */
};

static void port_sum(const struct cap_port *p, struct cap_port_sum *s)
{
	uint16_t q;

	memset(s, 0, sizeof(*s));
	for (q = 0; q < p->nb_rxq; q++) {
		s->frames += LOAD(p->qs[q].frames);
		s->bytes += LOAD(p->qs[q].bytes);
		s->filtered += LOAD(p->qs[q].filtered);
		s->truncated += LOAD(p->qs[q].truncated);
		s->ts_fallback += LOAD(p->qs[q].ts_fallback);
		if (LOAD(p->qs[q].ts_domain) != RINGSHM_TS_DOMAIN_UNKNOWN) {
			s->ts_domain = LOAD(p->qs[q].ts_domain);
		}
	}
	s->filtered += LOAD(p->hw_filtered); /* dropped by the NIC's catch-all rule */
}

static const char *ts_domain_name(uint8_t d)
{
	switch (d) {
	case RINGSHM_TS_DOMAIN_COUNTER:
		return "free-running counter";
	case RINGSHM_TS_DOMAIN_REALTIME:
		return "real-time ns";
	case RINGSHM_TS_DOMAIN_UNUSABLE:
		return "unusable";
	default:
		return "unknown";
	}
}

/*
 * The NIC time check, as seen from the control thread once per stats interval: the domain the
 * port's times were found in, and refusals (frames timed by the TSC instead, flagged).  Each
 * change is logged once, not every interval; the counts go to the ring header and telemetry.
 */
static void ts_check_report(struct cap_ctx *cx, struct cap_port *p, int pi,
			    const struct cap_port_sum *s)
{
	struct ringshm_port *rp = &cx->ctl->ports[p->idx];
	bool refusing;

	if (p->ts_mode != CAP_TS_NIC) {
		return;
	}
	refusing = s->ts_fallback > cs.ts_fallback[pi] ||
		   (cs.ts_refusing[pi] && s->ts_domain == RINGSHM_TS_DOMAIN_UNUSABLE);
	if (refusing && !cs.ts_refusing[pi]) {
		cap_log(LOG_WARNING,
			"port %s: NIC times disagree with the TSC beyond the bound (%llu us ahead, %llu ms behind): %llu frames timed by the TSC and flagged; back to NIC times when they agree",
			p->name, CAP_TS_AHEAD_NS / 1000, CAP_TS_BEHIND_NS / 1000000,
			(unsigned long long)(s->ts_fallback - cs.ts_fallback[pi]));
	} else if (!refusing && cs.ts_refusing[pi] && s->ts_domain != RINGSHM_TS_DOMAIN_UNUSABLE) {
		cap_log(LOG_NOTICE, "port %s: NIC times agree with the TSC again (%s): in use",
			p->name, ts_domain_name(s->ts_domain));
	}
	if (s->ts_domain != cs.ts_domain[pi] && s->ts_domain != RINGSHM_TS_DOMAIN_UNUSABLE &&
	    s->ts_domain != RINGSHM_TS_DOMAIN_UNKNOWN) {
		cap_log(LOG_NOTICE, "port %s: NIC timestamps are %s", p->name,
			ts_domain_name(s->ts_domain));
		cs.ts_domain[pi] = s->ts_domain;
	}
	cs.ts_refusing[pi] = refusing;
	cs.ts_fallback[pi] = s->ts_fallback;
	PUT(rp->ts_domain, s->ts_domain);
	PUT(rp->ts_refusing, (uint8_t)refusing);
}

static bool loss_pending(void)
{
	return cs.pending_loss.nic_imissed || cs.pending_loss.nic_rx_nombuf ||
	       cs.pending_loss.nic_ierrors || cs.pending_loss.nic_discards;
}

void cap_stats_publish(struct cap_ctx *cx, bool final)
{
	struct ringshm_ctl *ctl = cx->ctl;
	struct ringshm_loss_payload loss;
	uint64_t filtered = 0, imissed = 0, nombuf = 0, ierrors = 0, discards = 0, ts_fallback = 0;
	int i;

	memset(&loss, 0, sizeof(loss));
	cap_flows_count(cx);
	pthread_mutex_lock(&cs.lock);
	for (i = 0; i < cx->nports; i++) {
		struct cap_port *p = &cx->ports[i];
		struct rte_eth_stats st;
		struct cap_port_sum s;
		struct cap_nic *nic = &cs.nic[i];

		port_sum(p, &s);
		read_kernel_drops(p);
		if (rte_eth_stats_get(p->port_id, &st) == 0) {
			/*
			 * af_packet: the sockets' drops are nowhere else.  af_xdp: the interface's
			 * rx_dropped counts every frame the XDP redirect could not deliver, the
			 * PMD's imissed (XDP_STATISTICS) those of them the socket saw (an empty
			 * fill ring, with a deep RX ring): the larger is the whole, never the sum.
			 */
			st.imissed += p->sock_drops;
			if (p->kdrop_fd >= 0 && p->kdrop > st.imissed) {
				st.imissed = p->kdrop;
			}
			if (st.imissed > nic->imissed) {
				loss.nic_imissed += st.imissed - nic->imissed;
			}
			if (st.rx_nombuf > nic->rx_nombuf) {
				loss.nic_rx_nombuf += st.rx_nombuf - nic->rx_nombuf;
			}
			if (st.ierrors > nic->ierrors) {
				loss.nic_ierrors += st.ierrors - nic->ierrors;
			}
			nic->imissed = st.imissed;
			nic->ierrors = st.ierrors;
			nic->rx_nombuf = st.rx_nombuf;
			nic->ipackets = st.ipackets;
			nic->ibytes = st.ibytes;
		}
		{
			uint64_t before = nic->stage[CAPTURE_STAGE_DISCARD];

			xstats_read(cx, p, i, nic);
			if (nic->stage[CAPTURE_STAGE_DISCARD] > before) {
				loss.nic_discards += nic->stage[CAPTURE_STAGE_DISCARD] - before;
			}
		}
		PUT(ctl->ports[p->idx].rx_frames, s.frames);
		PUT(ctl->ports[p->idx].rx_bytes, s.bytes);
		PUT(ctl->ports[p->idx].filtered, s.filtered);
		PUT(ctl->ports[p->idx].imissed, nic->imissed);
		PUT(ctl->ports[p->idx].ierrors, nic->ierrors);
		PUT(ctl->ports[p->idx].rx_nombuf, nic->rx_nombuf);
		PUT(ctl->ports[p->idx].discards, nic->stage[CAPTURE_STAGE_DISCARD]);
		ts_check_report(cx, p, i, &s);
		ts_fallback += s.ts_fallback;
		discards += nic->stage[CAPTURE_STAGE_DISCARD];
		filtered += s.filtered;
		imissed += nic->imissed;
		ierrors += nic->ierrors;
		nombuf += nic->rx_nombuf;
	}
	pthread_mutex_unlock(&cs.lock);
	PUT(ctl->counters.filtered, cs.base.filtered + filtered);
	PUT(ctl->counters.nic_imissed, cs.base.nic_imissed + imissed);
	PUT(ctl->counters.nic_ierrors, cs.base.nic_ierrors + ierrors);
	PUT(ctl->counters.nic_rx_nombuf, cs.base.nic_rx_nombuf + nombuf);
	PUT(ctl->counters.nic_discards, cs.base.nic_discards + discards);
	PUT(ctl->counters.ts_fallback, cs.base.ts_fallback + ts_fallback);

	cs.pending_loss.nic_imissed += loss.nic_imissed;
	cs.pending_loss.nic_rx_nombuf += loss.nic_rx_nombuf;
	cs.pending_loss.nic_ierrors += loss.nic_ierrors;
	cs.pending_loss.nic_discards += loss.nic_discards;
	if (!final && loss_pending()) {
		if (cap_post_marker(cx, CAP_BOX_LOSS, RINGSHM_REC_LOSS, &cs.pending_loss,
				    sizeof(cs.pending_loss))) {
			memset(&cs.pending_loss, 0, sizeof(cs.pending_loss));
		}
	}
}

uint64_t cap_ring_fill_ppm(const struct cap_ctx *cx)
{
	uint64_t head = PEEK(cx->ctl->head), cap = cx->ctl->capacity;

	return head >= cap ? 1000000 : head * 1000000 / cap;
}

/* /feedcap/stats: totals, then one dict per port (telemetry nests one level only). */
int cap_stats_telemetry(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct cap_igmp_totals igmp;
	struct cap_ctx *cx;
	struct ringshm_ctl *ctl;
	int i;
	uint16_t q;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	pthread_mutex_lock(&cs.lock);
	cx = cs.cx;
	if (!cx) {
		pthread_mutex_unlock(&cs.lock);
		return -1;
	}
	ctl = cx->ctl;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "ring", ringshm_path(cx->ring));
	rte_tel_data_add_dict_u64(d, "epoch", PEEK(ctl->epoch));
	rte_tel_data_add_dict_u64(d, "frames", LOAD(cx->captured));
	rte_tel_data_add_dict_u64(d, "ring_frames", PEEK(ctl->counters.frames));
	rte_tel_data_add_dict_u64(d, "ring_bytes", PEEK(ctl->counters.bytes));
	rte_tel_data_add_dict_u64(d, "filtered", PEEK(ctl->counters.filtered));
	rte_tel_data_add_dict_u64(d, "imissed", PEEK(ctl->counters.nic_imissed));
	rte_tel_data_add_dict_u64(d, "ierrors", PEEK(ctl->counters.nic_ierrors));
	rte_tel_data_add_dict_u64(d, "rx_nombuf", PEEK(ctl->counters.nic_rx_nombuf));
	rte_tel_data_add_dict_u64(d, "discards", PEEK(ctl->counters.nic_discards));
	rte_tel_data_add_dict_u64(d, "ring_head", PEEK(ctl->head));
	rte_tel_data_add_dict_u64(d, "ring_capacity", ctl->capacity);
	rte_tel_data_add_dict_u64(d, "ring_fill_ppm", cap_ring_fill_ppm(cx));
	cap_igmp_totals(&igmp);
	rte_tel_data_add_dict_u64(d, "igmp_reports", igmp.reports);
	rte_tel_data_add_dict_u64(d, "igmp_leaves", igmp.leaves);
	rte_tel_data_add_dict_u64(d, "igmp_queries", LOAD(cx->igmp_queries));
	rte_tel_data_add_dict_u64(d, "loss_markers", LOAD(cx->markers_written));
	for (i = 0; i < cx->nports; i++) {
		struct cap_port *p = &cx->ports[i];
		struct rte_tel_data *pd = rte_tel_data_alloc();
		struct cap_port_sum s;
		char key[RTE_TEL_MAX_STRING_LEN];

		if (!pd) {
			break;
		}
		port_sum(p, &s);
		rte_tel_data_start_dict(pd);
		rte_tel_data_add_dict_string(pd, "name", p->name);
		rte_tel_data_add_dict_string(pd, "driver", p->driver);
		rte_tel_data_add_dict_string(pd, "timestamp", cap_ts_mode_name(p->ts_mode));
		rte_tel_data_add_dict_u64(pd, "frames", s.frames);
		rte_tel_data_add_dict_u64(pd, "bytes", s.bytes);
		rte_tel_data_add_dict_u64(pd, "filtered", s.filtered);
		rte_tel_data_add_dict_string(pd, "filter",
					     !cx->filter    ? "off"
					     : !p->nflows   ? "poller"
					     : p->sw_filter ? "nic+poller"
							    : "nic");
		rte_tel_data_add_dict_u64(pd, "flow_rules", (uint64_t)p->nflows);
		rte_tel_data_add_dict_u64(pd, "filtered_nic", LOAD(p->hw_filtered));
		rte_tel_data_add_dict_u64(pd, "truncated", s.truncated);
		if (p->ts_mode == CAP_TS_NIC) {
			rte_tel_data_add_dict_string(pd, "ts_domain", ts_domain_name(s.ts_domain));
			rte_tel_data_add_dict_u64(pd, "ts_fallback", s.ts_fallback);
			rte_tel_data_add_dict_u64(pd, "ts_refusing", cs.ts_refusing[i]);
		}
		rte_tel_data_add_dict_u64(pd, "imissed", cs.nic[i].imissed);
		rte_tel_data_add_dict_u64(pd, "ierrors", cs.nic[i].ierrors);
		rte_tel_data_add_dict_u64(pd, "rx_nombuf", cs.nic[i].rx_nombuf);
		rte_tel_data_add_dict_string(pd, "link",
					     p->link < 0 ? "unknown"
					     : p->link	 ? "up"
							 : "down");
		rte_tel_data_add_dict_u64(pd, "link_downs", p->link_downs);
		rte_tel_data_add_dict_u64(pd, "link_down_ns", p->link_down_ns);
		/* The stages, then each counter under its PMD name: from the cache, never the
		 * PMD (see struct cap_xstat). */
		for (q = 0; q < CAPTURE_NSTAGES; q++) {
			snprintf(key, sizeof(key), "stage_%s", capture_stage_name(q));
			rte_tel_data_add_dict_u64(pd, key, cs.nic[i].stage[q]);
		}
		for (int x = 0; x < cs.nxs[i]; x++) {
			snprintf(key, sizeof(key), "xstat_%s", cs.xs[i][x].name);
			rte_tel_data_add_dict_u64(pd, key, cs.xs[i][x].value);
		}
		for (q = 0; q < p->nb_rxq; q++) {
			snprintf(key, sizeof(key), "q%u_frames", q);
			rte_tel_data_add_dict_u64(pd, key, LOAD(p->qs[q].frames));
			snprintf(key, sizeof(key), "q%u_bytes", q);
			rte_tel_data_add_dict_u64(pd, key, LOAD(p->qs[q].bytes));
			snprintf(key, sizeof(key), "q%u_filtered", q);
			rte_tel_data_add_dict_u64(pd, key, LOAD(p->qs[q].filtered));
		}
		snprintf(key, sizeof(key), "port%u", p->idx);
		rte_tel_data_add_dict_container(d, key, pd, 0);
	}
	pthread_mutex_unlock(&cs.lock);
	return 0;
}

void cap_stats_init(struct cap_ctx *cx)
{
	struct ringshm_ctl *ctl = cx->ctl;
	int i;

	cs.cx = cx;
	memcpy(&cs.base, &ctl->counters, sizeof(cs.base));

	/* The ring's port table: what readers show next to every record's port index. */
	for (i = 0; i < cx->nports; i++) {
		struct cap_port *p = &cx->ports[i];
		struct ringshm_port *rp = &ctl->ports[p->idx];

		memset(rp, 0, sizeof(*rp));
		snprintf(rp->name, sizeof(rp->name), "%s", p->name);
		rp->port_id = p->port_id;
		rp->nb_rx_queues = p->nb_rxq;
		rp->numa_node = (uint16_t)(p->socket < 0 ? 0xffff : p->socket);
		rp->ts_source = p->ts_mode == CAP_TS_PMD_US ? RINGSHM_F_TS_SRC_PMD_US
				: p->ts_mode == CAP_TS_NIC  ? RINGSHM_F_TS_SRC_NIC
							    : RINGSHM_F_TS_SRC_TSC;
		memcpy(rp->mac, p->mac.addr_bytes, 6);
	}
	PUT(ctl->nports, (uint32_t)cx->nports);

	for (i = 0; i < cx->nports; i++) {
		find_packet_sockets(&cx->ports[i]);
		xstats_init(cx, &cx->ports[i], i);
	}
}

bool cap_stats_write_pending_loss(struct cap_ctx *cx, uint64_t now)
{
	if (loss_pending() && ringshm_marker(cx->ring, RINGSHM_REC_LOSS, &cs.pending_loss,
					     sizeof(cs.pending_loss), now) == 0) {
		memset(&cs.pending_loss, 0, sizeof(cs.pending_loss));
		return true;
	}
	return false;
}

void cap_stats_finish(struct cap_ctx *cx)
{
	struct cap_igmp_totals igmp;
	struct rte_eth_stats st;
	uint64_t delivered = 0;
	int i;

	for (i = 0; i < cx->nports; i++) {
		if (rte_eth_stats_get(cx->ports[i].port_id, &st) == 0) {
			delivered += st.ipackets;
		}
	}
	cap_igmp_totals(&igmp);
	cap_log(LOG_NOTICE,
		"captured %llu frames (%llu bytes) from %llu received; filtered %llu, imissed %llu, ierrors %llu, rx_nombuf %llu, discards %llu; IGMP reports %llu, leaves %llu, queries %llu",
		(unsigned long long)LOAD(cx->captured),
		(unsigned long long)(PEEK(cx->ctl->counters.bytes) - cs.base.bytes),
		(unsigned long long)delivered,
		(unsigned long long)(PEEK(cx->ctl->counters.filtered) - cs.base.filtered),
		(unsigned long long)(PEEK(cx->ctl->counters.nic_imissed) - cs.base.nic_imissed),
		(unsigned long long)(PEEK(cx->ctl->counters.nic_ierrors) - cs.base.nic_ierrors),
		(unsigned long long)(PEEK(cx->ctl->counters.nic_rx_nombuf) - cs.base.nic_rx_nombuf),
		(unsigned long long)(PEEK(cx->ctl->counters.nic_discards) - cs.base.nic_discards),
		(unsigned long long)igmp.reports, (unsigned long long)igmp.leaves,
		(unsigned long long)igmp.queries);
	pthread_mutex_lock(&cs.lock);
	cs.cx = NULL;
	pthread_mutex_unlock(&cs.lock);
}
