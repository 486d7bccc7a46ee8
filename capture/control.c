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
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <dirent.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include <systemd/sd-daemon.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_telemetry.h>

#include "capture_internal.h"

#define CAP_NS_PER_S  1000000000ull
#define TICK_NS	      (100 * 1000000ull)
#define IGMP_ROBUST   2 /* RFC 3376 Robustness Variable: unsolicited reports are sent twice */
#define IGMP_UNSOL_NS CAP_NS_PER_S /* between them: Unsolicited Report Interval (v3: 1 s) */
/* TIME_PROPERTIES_DATA_SET flags (IEEE 1588 flagField, second octet). */
#define PTP_TP_UTC_VALID     0x04
#define PTP_TP_PTP_TIMESCALE 0x08
/* A NIC clock read this far from its model jumped (nic_clock_step). */
#define CAP_NIC_JUMP_NS 1000000ll

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

/* One membership (v2: a group address; v3: a (source, group) pair). */
struct cap_member {
	struct capture_group g;
	uint64_t due[CAP_MAX_PORTS]; /* CLOCK_MONOTONIC ns a report is due, 0 = none */
	uint8_t kind[CAP_MAX_PORTS]; /* enum capture_igmp_kind of the due report */
};

static struct {
	struct cap_ctx *cx;
	struct timesync_calib *cal;
	struct timesync_model tsc;
	struct timesync_block blk;

	struct cap_member mem[CAPTURE_MAX_GROUPS];
	int nmem;
	uint64_t last_query[CAP_MAX_PORTS];
	uint64_t next_unsol;
	int unsol_left;
	uint64_t reports, leaves, queries, tx_failed;

	pthread_mutex_t lock; /* guards nic[], xs[] and the totals below for telemetry */
	struct cap_nic nic[CAP_MAX_PORTS];
	struct cap_xstat xs[CAP_MAX_PORTS][CAP_MAX_XSTATS];
	int nxs[CAP_MAX_PORTS];
	bool mtu_hinted[CAP_MAX_PORTS];
	struct ringshm_counters base; /* counters of earlier epochs, at start */
	uint64_t started_ns;
	uint64_t watchdog_usec;
	unsigned seed;
	struct ringshm_loss_payload pending_loss; /* NIC losses not yet in a LOSS record */
	struct timesync_ptp *ptp;		  /* NULL: no ptp4l to ask */
	struct timesync_ptp_status ptp_st;
	enum timesync_state state;
	bool clock_marker_due;
	/* link events waiting for the poller to write them (LOSS records with an event) */
	struct ringshm_loss_payload link_q[16];
	unsigned link_head, link_tail;
	uint64_t rejoin_at[CAP_MAX_PORTS]; /* CLOCK_MONOTONIC ns of the second re-join, 0 none */
	/* NIC time checks, per port: what was last logged */
	uint64_t ts_fallback[CAP_MAX_PORTS]; /* frames refused, as of the last check */
	bool ts_refusing[CAP_MAX_PORTS];
	uint8_t ts_domain[CAP_MAX_PORTS];
} cs = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * CAP_NS_PER_S + (uint64_t)ts.tv_nsec;
}

static uint64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * CAP_NS_PER_S + (uint64_t)ts.tv_nsec;
}

#define LOAD(x)	  atomic_load_explicit(&(x), memory_order_relaxed)
#define PUT(f, v) __atomic_store_n(&(f), (v), __ATOMIC_RELAXED)
#define PEEK(f)	  __atomic_load_n(&(f), __ATOMIC_RELAXED)

/* ------------------------------------------------------------------ IGMP */

static void igmp_members_init(struct cap_ctx *cx)
{
	const struct capture_opts *o = cx->o;
	int i, j;

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
		cs.tx_failed++;
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
		cs.tx_failed++;
		return -EINVAL;
	}
	rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - len));
	if (rte_eth_tx_burst(p->port_id, 0, &m, 1) != 1) {
		rte_pktmbuf_free(m);
		cs.tx_failed++;
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

static void igmp_tick(struct cap_ctx *cx, uint64_t now)
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

/* The earliest report due (CLOCK_MONOTONIC ns), or UINT64_MAX. */
static uint64_t igmp_next_due(const struct cap_ctx *cx)
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

static void igmp_leave_all(struct cap_ctx *cx)
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

/* ------------------------------------------------------------------ statistics */

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

/* Pick the port's drop counters among its extended statistics (once, at start). */
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

/*
 * Ask the poller to write a marker record.  @return false if the box still holds the previous
 * request (the poller serves it within 10 ms; the caller tries again next time).
 */
static bool post_marker(struct cap_ctx *cx, int box, enum ringshm_rec_type type,
			const void *payload, uint32_t len)
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

/* Publish counters in the ring header; ask the poller for a LOSS record if the NIC lost. */
static void stats_publish(struct cap_ctx *cx, bool final)
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
		if (post_marker(cx, CAP_BOX_LOSS, RINGSHM_REC_LOSS, &cs.pending_loss,
				sizeof(cs.pending_loss))) {
			memset(&cs.pending_loss, 0, sizeof(cs.pending_loss));
		}
	}
}

static uint64_t ring_fill_ppm(const struct cap_ctx *cx)
{
	uint64_t head = PEEK(cx->ctl->head), cap = cx->ctl->capacity;

	return head >= cap ? 1000000 : head * 1000000 / cap;
}

/* /feedcap/stats: totals, then one dict per port (telemetry nests one level only). */
static int telemetry_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
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
	rte_tel_data_add_dict_u64(d, "ring_fill_ppm", ring_fill_ppm(cx));
	rte_tel_data_add_dict_u64(d, "igmp_reports", cs.reports);
	rte_tel_data_add_dict_u64(d, "igmp_leaves", cs.leaves);
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

/* ------------------------------------------------------------------ link */

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
	       post_marker(cx, CAP_BOX_LINK, RINGSHM_REC_LOSS,
			   &cs.link_q[cs.link_tail % RTE_DIM(cs.link_q)],
			   sizeof(struct ringshm_loss_payload))) {
		cs.link_tail++;
	}
}

/*
 * The link is back: the switch forgot our groups while it was down (IGMP snooping ages them
 * out, a querier may have moved), and waiting for the next query can take 125 s.  Report
 * every membership now, and once more a second later (the robustness repeat).
 */
static void igmp_rejoin(struct cap_ctx *cx, int pi, uint64_t now)
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

/*
 * Check the links: ports with LSC interrupts when one came (and once a second, in case one
 * was missed), the others at every tick.  A change becomes a LOSS record with the event (link
 * down; link up with the outage's length), counters in the ring header, a log line, and on
 * link up an immediate IGMP re-join.
 */
static void link_tick(struct cap_ctx *cx, uint64_t now, bool poll_all)
{
	struct ringshm_ctl *ctl = cx->ctl;
	int pi, i;

	for (pi = 0; pi < cx->nports; pi++) {
		struct cap_port *p = &cx->ports[pi];
		/* Pairs with the release store in the LSC callback (port.c). */
		bool ev = atomic_exchange_explicit(&p->link_event, false, memory_order_acquire);
		struct rte_eth_link l;
		uint64_t t;
		int up;

		if (cs.rejoin_at[pi] && now >= cs.rejoin_at[pi]) {
			cs.rejoin_at[pi] = 0;
			for (i = 0; i < cs.nmem && !cx->o->no_igmp; i++) {
				igmp_schedule(pi, i, now, CAPTURE_IGMP_JOIN);
			}
		}
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
		t = real_ns();
		pthread_mutex_lock(&cs.lock);
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
			igmp_rejoin(cx, pi, now);
			cap_log(LOG_NOTICE, "port %s: link up after %.3f s down%s", p->name,
				(double)outage / 1e9,
				cs.nmem && !cx->o->no_igmp ? ": IGMP reports sent again" : "");
		}
		p->link = up;
		pthread_mutex_unlock(&cs.lock);
		PUT(ctl->ports[p->idx].link_downs, p->link_downs);
		PUT(ctl->ports[p->idx].link_down_ns, p->link_down_ns);
		PUT(ctl->ports[p->idx].link_up, (uint32_t)up);
	}
	link_flush(cx);
}

/* ------------------------------------------------------------------ clock */

/* The tightest of 8 brackets CLOCK_REALTIME / rte_eth_read_clock() / CLOCK_REALTIME. */
static int nic_bracket(const struct cap_port *p, struct timesync_bracket *best)
{
	struct timesync_bracket b;
	int i;

	memset(best, 0, sizeof(*best));
	for (i = 0; i < 8; i++) {
		b.sys_before = real_ns();
		if (rte_eth_read_clock(p->port_id, &b.counter) != 0) {
			return -EIO;
		}
		b.sys_after = real_ns();
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
 * port's model is the first one, not yet confirmed (cap_control_init()).  Returns true when the
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
	    post_marker(cx, CAP_BOX_CLOCK, RINGSHM_REC_CLOCK, &cs.blk, sizeof(cs.blk))) {
		cs.clock_marker_due = false;
	}
}

/* ------------------------------------------------------------------ life cycle */

int cap_control_init(struct cap_ctx *cx, char *err, size_t errlen)
{
	struct ringshm_ctl *ctl = cx->ctl;
	uint64_t deadline;
	int i, rc;

	cs.cx = cx;
	cs.seed = (unsigned)real_ns();
	cs.started_ns = real_ns();
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
	deadline = mono_ns() + 2 * CAP_NS_PER_S;
	while ((rc = timesync_calib_step(cs.cal, TIMESYNC_FREE_RUNNING, cx->o->clock_threshold_ns,
					 &cx->tsc_cell, &cs.tsc)) == -EAGAIN) {
		struct timespec ts = { 0, 5000000 };

		if (mono_ns() > deadline) {
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
		deadline = mono_ns() + CAP_NS_PER_S;
		while (p->nic_fit && mono_ns() < deadline) {
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

	igmp_members_init(cx);
	if (rte_telemetry_register_cmd(
		    "/feedcap/stats", telemetry_stats,
		    "feedcap-capture counters: totals and per port and queue. No parameters.") <
	    0) {
		cap_log(LOG_WARNING, "cannot register the telemetry command /feedcap/stats");
	}
	return 0;
}

int cap_control_run(struct cap_ctx *cx, unsigned poller_lcore)
{
	const struct capture_opts *o = cx->o;
	uint64_t now = mono_ns(), next_sec = now + CAP_NS_PER_S, deadline = 0, next_wd = 0;
	uint64_t next_stats = now + o->stats_interval_ns, next_link = 0;
	uint64_t last_loops = 0;
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
	if (sd_watchdog_enabled(0, &cs.watchdog_usec) <= 0) {
		cs.watchdog_usec = 0;
	}
	if (cs.nmem && !o->no_igmp) {
		cs.unsol_left = IGMP_ROBUST;
		cs.next_unsol = now;
	}
	sd_notifyf(0, "READY=1\nSTATUS=capturing %d port(s) into %s", cx->nports,
		   ringshm_path(cx->ring));

	for (;;) {
		struct timespec ts = { 0, TICK_NS };
		uint64_t due = igmp_next_due(cx);

		/* Wake early for a report that is due before the next tick. */
		if (due != UINT64_MAX) {
			uint64_t t = mono_ns();

			ts.tv_nsec = due <= t ? 0 : (long)RTE_MIN(due - t, (uint64_t)TICK_NS);
		}
		sig = sigtimedwait(&set, &si, &ts);
		if (sig == SIGINT || sig == SIGTERM) {
			reason = sig;
			break;
		}
		now = mono_ns();
		/* Pairs with the poller's release store: its last counters are visible. */
		if (atomic_load_explicit(&cx->poller_done, memory_order_acquire)) {
			break;
		}
		if (deadline && now >= deadline) {
			break;
		}
		ringshm_heartbeat(cx->ring);
		link_tick(cx, now, now >= next_link);
		if (now >= next_link) {
			next_link = now + CAP_NS_PER_S;
		}
		igmp_tick(cx, now);
		if (now >= next_sec) {
			next_sec += CAP_NS_PER_S;
			if (next_sec < now) {
				next_sec = now + CAP_NS_PER_S;
			}
			clock_step(cx, false);
			cap_log(LOG_INFO, "frames %llu filtered %llu imissed %llu ring fill %.1f%%",
				(unsigned long long)LOAD(cx->captured),
				(unsigned long long)PEEK(cx->ctl->counters.filtered),
				(unsigned long long)PEEK(cx->ctl->counters.nic_imissed),
				(double)ring_fill_ppm(cx) / 1e4);
		}
		if (now >= next_stats) {
			next_stats += o->stats_interval_ns;
			if (next_stats < now) {
				next_stats = now + o->stats_interval_ns;
			}
			stats_publish(cx, false);
		}
		/* The watchdog is fed only while the poller's loop counter moves: a stuck
		 * poller must get us restarted, not a healthy control thread. */
		if (cs.watchdog_usec && now >= next_wd) {
			uint64_t loops = LOAD(cx->poller_loops);

			if (loops != last_loops) {
				sd_notify(0, "WATCHDOG=1");
			}
			last_loops = loops;
			next_wd = now + cs.watchdog_usec * 1000 / 2;
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
	uint64_t now = timesync_model_convert(&cs.tsc, rte_rdtsc());
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
	while (cs.link_tail != cs.link_head &&
	       ringshm_marker(cx->ring, RINGSHM_REC_LOSS,
			      &cs.link_q[cs.link_tail % RTE_DIM(cs.link_q)],
			      sizeof(struct ringshm_loss_payload), now) == 0) {
		cs.link_tail++;
		wrote = true;
	}
	if (loss_pending() && ringshm_marker(cx->ring, RINGSHM_REC_LOSS, &cs.pending_loss,
					     sizeof(cs.pending_loss), now) == 0) {
		memset(&cs.pending_loss, 0, sizeof(cs.pending_loss));
		wrote = true;
	}
	if (wrote) {
		ringshm_commit(cx->ring);
	}
}

void cap_control_finish(struct cap_ctx *cx)
{
	struct rte_eth_stats st;
	uint64_t delivered = 0;
	int i;

	struct timespec drain = { 0, 20000000 };

	stats_publish(cx, true);
	flush_markers(cx);
	ringshm_heartbeat(cx->ring);
	igmp_leave_all(cx);
	nanosleep(&drain, NULL); /* let the NIC send the leaves before the port stops */
	for (i = 0; i < cx->nports; i++) {
		if (rte_eth_stats_get(cx->ports[i].port_id, &st) == 0) {
			delivered += st.ipackets;
		}
	}
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
		(unsigned long long)cs.reports, (unsigned long long)cs.leaves,
		(unsigned long long)cs.queries);
	pthread_mutex_lock(&cs.lock);
	cs.cx = NULL;
	pthread_mutex_unlock(&cs.lock);
	timesync_calib_destroy(cs.cal);
	cs.cal = NULL;
	timesync_ptp_close(cs.ptp);
	cs.ptp = NULL;
	for (i = 0; i < cx->nports; i++) {
		timesync_fit_destroy(cx->ports[i].nic_fit);
		cx->ports[i].nic_fit = NULL;
	}
}
