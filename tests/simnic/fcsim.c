/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_fcsim: a simulated NIC for feedcap's tests, a DPDK poll-mode driver loaded as an EAL
 * plugin (-d librte_net_fcsim.so --vdev net_fcsim0,ARGS).  It is a test fixture, never part of
 * feedcap: it gives the code paths no PMD on a development machine exercises something real to
 * run against -- a free-running NIC clock readable with rte_eth_read_clock() that stamps RX
 * timestamps in its own ticks, with a rate error, and a flow engine (fcsim_flow.c).  README.md
 * in this folder lists the devargs.
 *
 * The wire: frames come from a pcap file read into memory at probe (delivered as fast as the
 * application polls, `loop` times) and from the probe generator (UDP multicast frames paced
 * at `pps`, whose payload carries CLOCK_REALTIME and the NIC ticks read at the rx_burst that
 * delivers them: the oracle for timestamp conversion).  Each frame goes through the
 * multicast filter (mc_filter=1), the flow rules, else RSS, into the chosen queue's
 * descriptor FIFO.  A FIFO holds nb_rx_desc frames; when one is full the wire waits
 * (lossless, as with pause frames) unless rx_ring=N is given: then a frame finding N frames
 * ahead of it is dropped and counted in imissed, as a NIC whose ring the software did not
 * drain in time.  rx_burst moves frames from the wire into FIFOs until its own queue has a
 * burst, then copies from its FIFO into mbufs of the queue's pool; an empty pool counts
 * rx_nombuf and leaves the frame in the FIFO.  Deterministic, no threads, never blocks.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>
#include <rte_alarm.h>
#include <rte_pause.h>
#include <rte_ip.h>
#include <rte_kvargs.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_thash.h>
#include <rte_udp.h>

#include "fcsim_internal.h"

RTE_LOG_REGISTER(fcsim_logtype, pmd.net.fcsim, NOTICE);

#define FCSIM_MAX_PKTLEN  9600
#define FCSIM_DEFAULT_HZ  156250000.0 /* a 10GBASE-R-like 156.25 MHz: deliberately not ns */
#define FCSIM_DEFAULT_T0  UINT64_C(0x1234567890ab) /* arbitrary, far from 0 */
#define FCSIM_PROBE_SPORT 40000
#define FCSIM_PROBE_SRC	  UINT32_C(0xc0000201) /* 192.0.2.1, TEST-NET-1 */
#define FCSIM_REF_PROBE	  (UINT64_C(1) << 63)  /* a FIFO entry that is a probe frame */
#define FCSIM_NS_PER_S	  UINT64_C(1000000000)

static const char *const fcsim_keys[] = {
	"rx_pcap",    "tx_pcap",    "loop",	   "pace",	"probe",   "probe_dst", "pps",
	"clock_hz",   "ppm",	    "clock_start", "ts",	"rx_ring", "mac",	"mc_filter",
	"flow",	      "flow_count", "flow_max",	   "conf_out",	"fc",	   "scatter",	"discard",
	"xstats_cor", "lsc",	    "flap",	   "ts_format", "clock",   "jump",	"mtu_drop",
	"jump_on",    "jump_read",  NULL
};

static const uint8_t fcsim_rss_key[FCSIM_RSS_KEY_LEN] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* ------------------------------------------------------------------ clocks */

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * FCSIM_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* jump=: whether the clock reads stepped at raw time raw. */
static bool jumped(const struct fcsim_dev *d, uint64_t raw)
{
	return d->a.jump_ns && raw >= __atomic_load_n(&d->jump_from, __ATOMIC_RELAXED);
}

/*
 * The NIC clock: clock_start + (raw - t0) * clock_hz * (1 + ppm / 1e6) / 1e9 ticks, with raw
 * CLOCK_MONOTONIC_RAW ns (the closest Linux has to a free-running oscillator).  rate_num is the
 * rate in 1e-18 ticks per ns, rounded once at probe: the product with the elapsed ns stays
 * exact in 128 bits for centuries, so the clock neither wraps nor drifts from its formula.
 */
static uint64_t nic_ticks(const struct fcsim_dev *d, uint64_t raw)
{
	__int128 dt = (__int128)raw - (__int128)d->clock_t0;
	uint64_t t =
		d->a.clock_start + (uint64_t)(dt * d->rate_num / (__int128)1000000000000000000LL);

	/* jump=AT:NS: the clock is stepped by NS (in ticks: NS * clock_hz / 1e9) from then on. */
	if (jumped(d, raw)) {
		t += (uint64_t)llround((double)d->a.jump_ns * d->a.clock_hz / 1e9);
	}
	return t;
}

/*
 * The same oscillator as a PHC counting nanoseconds (ts_format=ns, clock=host): real-time ns
 * at probe, running at (1 + ppm/1e6), stepped by jump=.  What mlx5's real-time mode and ice
 * put in RX timestamps.
 */
static uint64_t phc_ns(const struct fcsim_dev *d, uint64_t raw)
{
	double dt = (double)((int64_t)(raw - d->clock_t0)) * (1.0 + d->a.ppm / 1e6);
	uint64_t t = d->real_t0 + (uint64_t)llround(dt);

	if (jumped(d, raw)) {
		t += (uint64_t)d->a.jump_ns;
	}
	return t;
}

/* ------------------------------------------------------------------ frames */

/* The fields the filter, the rules and RSS look at; missing layers are left false. */
static void parse_frame(const uint8_t *p, uint32_t len, struct fcsim_hdrs *h)
{
	const struct rte_ipv4_hdr *ip;
	uint32_t ihl;

	memset(h, 0, sizeof(*h));
	h->len = len;
	if (len < RTE_ETHER_HDR_LEN) {
		return;
	}
	memcpy(&h->dst, p, RTE_ETHER_ADDR_LEN);
	memcpy(&h->src, p + RTE_ETHER_ADDR_LEN, RTE_ETHER_ADDR_LEN);
	h->type = (uint16_t)(p[12] << 8 | p[13]);
	if (h->type != RTE_ETHER_TYPE_IPV4 || len < RTE_ETHER_HDR_LEN + sizeof(*ip)) {
		return;
	}
	ip = (const struct rte_ipv4_hdr *)(p + RTE_ETHER_HDR_LEN);
	ihl = (ip->version_ihl & 0xf) * 4u;
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip)) {
		return;
	}
	h->ipv4 = true;
	h->proto = ip->next_proto_id;
	memcpy(&h->sip, &ip->src_addr, 4);
	memcpy(&h->dip, &ip->dst_addr, 4);
	if (h->proto == IPPROTO_UDP &&
	    !(rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK) &&
	    len >= RTE_ETHER_HDR_LEN + ihl + sizeof(struct rte_udp_hdr)) {
		const uint8_t *u = p + RTE_ETHER_HDR_LEN + ihl;

		h->udp = true;
		memcpy(&h->sport, u, 2);
		memcpy(&h->dport, u + 2, 2);
	}
}

/* Toeplitz over IPv4 addresses, and UDP ports when there are; 0 for anything else. */
static uint32_t rss_hash(const struct fcsim_hdrs *h)
{
	uint32_t t[3];

	if (!h->ipv4) {
		return 0;
	}
	t[0] = rte_be_to_cpu_32(h->sip);
	t[1] = rte_be_to_cpu_32(h->dip);
	if (!h->udp) {
		return rte_softrss(t, 2, fcsim_rss_key);
	}
	t[2] = (uint32_t)rte_be_to_cpu_16(h->sport) << 16 | rte_be_to_cpu_16(h->dport);
	return rte_softrss(t, 3, fcsim_rss_key);
}

static bool mc_allowed(const struct fcsim_dev *d, const struct fcsim_hdrs *h)
{
	const struct rte_eth_dev_data *data = d->eth->data;
	uint32_t i;

	if (!d->a.mc_filter || !rte_is_multicast_ether_addr(&h->dst) ||
	    rte_is_broadcast_ether_addr(&h->dst) || data->promiscuous || data->all_multicast) {
		return true;
	}
	for (i = 0; i < d->nmc; i++) {
		if (rte_is_same_ether_addr(&d->mc[i], &h->dst)) {
			return true;
		}
	}
	return false;
}

/* ------------------------------------------------------------------ RX */

static uint32_t fifo_free(const struct fcsim_rxq *q)
{
	return q->cap - q->count;
}

static void fifo_push(struct fcsim_rxq *q, uint64_t ref)
{
	q->fifo[(q->head + q->count) % q->cap] = ref;
	q->count++;
}

/* When pcap frame number n (counting loops) is due: at once, or its time in the file (pace=1). */
static uint64_t pcap_due(const struct fcsim_dev *d, uint64_t n)
{
	if (!d->a.pace) {
		return 0;
	}
	return d->probe_t0 + n / d->nframes * d->span + d->frames[n % d->nframes].t;
}

/*
 * The next frame on the wire at raw time now, without taking it; false when none is due.  Of
 * a due probe and a due pcap frame, the one due first.
 */
static bool wire_peek(const struct fcsim_dev *d, uint64_t now, uint64_t *ref)
{
	uint64_t tp = UINT64_MAX, tf = UINT64_MAX;

	if (d->probe_next < d->a.probe_n) {
		tp = d->probe_t0 + (uint64_t)((double)d->probe_next * 1e9 / d->a.pps);
	}
	if (d->nframes && d->pcap_next < (uint64_t)d->nframes * d->a.loop) {
		tf = pcap_due(d, d->pcap_next);
	}
	if (tp <= now && tp <= tf) {
		*ref = FCSIM_REF_PROBE | d->probe_next;
		return true;
	}
	if (tf <= now) {
		*ref = d->pcap_next % d->nframes;
		return true;
	}
	return false;
}

static void wire_take(struct fcsim_dev *d, uint64_t ref)
{
	if (ref & FCSIM_REF_PROBE) {
		d->probe_next++;
	} else {
		d->pcap_next++;
	}
}

static void count_hit(struct rte_flow *f, const struct fcsim_hdrs *h)
{
	if (f && f->count) {
		f->hits++;
		f->bytes += h->len;
	}
}

/*
 * Frames from the wire into the queues' FIFOs (under lock) until queue want holds `burst`
 * frames, nothing more is due, or a full FIFO holds the wire back (lossless mode).
 */
static void wire_to_fifos(struct fcsim_dev *d, uint64_t now, struct fcsim_rxq *want, uint32_t burst)
{
	uint16_t nb_rxq = d->eth->data->nb_rx_queues;
	struct fcsim_hdrs hb;
	const struct fcsim_hdrs *h;
	struct rte_flow *f;
	uint64_t ref;

	burst = RTE_MIN(burst, want->cap); /* a ring smaller than the burst fills, then stops */
	while (want->count < burst && wire_peek(d, now, &ref)) {
		struct fcsim_rxq *q;
		uint16_t qid = 0;
		uint32_t hash;

		if (ref & FCSIM_REF_PROBE) {
			h = &d->probe_hdrs;
		} else {
			parse_frame(d->store + d->frames[ref].off, d->frames[ref].len, &hb);
			h = &hb;
		}
		/* The PHY and MAC first: discards (discard=N), then frames over the MTU. */
		if (d->a.discard && (d->wire_seen + 1) % d->a.discard == 0) {
			d->wire_seen++;
			d->discards_phy++;
			wire_take(d, ref);
			continue;
		}
		if (d->a.mtu_drop &&
		    h->len > (uint32_t)d->eth->data->mtu + RTE_ETHER_HDR_LEN + 2 * RTE_VLAN_HLEN) {
			d->wire_seen++;
			d->oversize++;
			d->ierrors++;
			wire_take(d, ref);
			continue;
		}
		if (!mc_allowed(d, h)) {
			d->wire_seen++;
			d->mc_filtered++;
			wire_take(d, ref);
			continue;
		}
		hash = rss_hash(h);
		f = fcsim_flow_match(d, h);
		if (f && f->fate == FCSIM_FATE_DROP) {
			count_hit(f, h);
			d->wire_seen++;
			d->flow_dropped++;
			wire_take(d, ref);
			continue;
		}
		if (f) {
			qid = f->queues[f->nqueues > 1 ? hash % f->nqueues : 0];
		} else {
			qid = h->ipv4 ? (uint16_t)(hash % nb_rxq) : 0;
		}
		q = d->rxq[qid];
		if (q && fifo_free(q) == 0 && !d->a.rx_ring) {
			return; /* lossless: the wire waits for the application to drain q */
		}
		count_hit(f, h);
		wire_take(d, ref);
		d->wire_seen++;
		if (!q || fifo_free(q) == 0) {
			d->imissed++; /* no queue there, or it was not drained in time */
			continue;
		}
		fifo_push(q, ref);
	}
}

static void put_le64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++) {
		p[i] = (uint8_t)(v >> (8 * i));
	}
}

/*
 * One clock reading per burst, as the descriptors of one burst carry nearly one time, and
 * CLOCK_REALTIME with it for the probes' payload: the oracle is only as good as the two are
 * simultaneous.  A thread preempted between two reads (a 4 ms scheduler tick on a shared CPU)
 * would pair a stale CLOCK_REALTIME with the frames that became due meanwhile, so the
 * realtime read is bracketed by two raw reads and the tightest of a few tries is kept, its
 * raw time the middle of the bracket.
 */
static void read_clocks(uint64_t *raw, uint64_t *real)
{
	uint64_t best = UINT64_MAX, r0, r1, t;
	int i;

	for (i = 0; i < 4 && best > 1000; i++) {
		r0 = clock_ns(CLOCK_MONOTONIC_RAW);
		t = clock_ns(CLOCK_REALTIME);
		r1 = clock_ns(CLOCK_MONOTONIC_RAW);
		if (r1 - r0 < best) {
			best = r1 - r0;
			*raw = r0 + (r1 - r0) / 2;
			*real = t;
		}
	}
}

/* While the link is down the wire still carries frames: whatever becomes due is lost. */
static void wire_drop_all(struct fcsim_dev *d, uint64_t now)
{
	uint64_t ref;

	while (wire_peek(d, now, &ref)) {
		wire_take(d, ref);
		d->wire_seen++;
		d->link_dropped++;
	}
}

/* Copy len bytes into m and, with scatter, the segments chained after it (already allocated). */
static void fill_segs(struct rte_mbuf *m, struct rte_mbuf **more, unsigned nmore,
		      const uint8_t *src, uint32_t len)
{
	struct rte_mbuf *last = m;
	uint32_t n = RTE_MIN(len, (uint32_t)rte_pktmbuf_tailroom(m));
	unsigned i;

	rte_memcpy(rte_pktmbuf_mtod(m, uint8_t *), src, n);
	m->data_len = (uint16_t)n;
	m->pkt_len = len;
	m->nb_segs = (uint16_t)(1 + nmore);
	for (i = 0; i < nmore; i++) {
		uint32_t k = RTE_MIN(len - n, (uint32_t)rte_pktmbuf_tailroom(more[i]));

		rte_memcpy(rte_pktmbuf_mtod(more[i], uint8_t *), src + n, k);
		more[i]->data_len = (uint16_t)k;
		last->next = more[i];
		last = more[i];
		n += k;
	}
}

/*
 * jump_on=: a step that came due is applied by the first rx_burst from then on that delivers
 * frames, before it reads the clock (under lock).  So frames carry the step from the moment
 * read_clock() shows it: an application fitting its model to read_clock() cannot see the step
 * first and fit it away before any frame showed it, as it could if the step came with time
 * alone while its poller was held up.
 */
static void jump_apply(struct fcsim_dev *d, uint64_t raw)
{
	uint64_t due = __atomic_load_n(&d->jump_due, __ATOMIC_RELAXED);

	if (due && raw >= due && __atomic_load_n(&d->jump_from, __ATOMIC_RELAXED) == UINT64_MAX) {
		__atomic_store_n(&d->jump_from, raw, __ATOMIC_RELAXED);
	}
}

static uint16_t fcsim_rx_burst(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct fcsim_rxq *q = queue;
	struct fcsim_dev *d = q->dev;
	const bool scatter = d->eth->data->dev_conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_SCATTER;
	uint64_t raw = 0, real = 0, ticks, stamp;
	uint16_t n = 0;

	if (unlikely(!d->started)) {
		return 0;
	}
	rte_spinlock_lock(&d->lock);
	read_clocks(&raw, &real);
	if (unlikely(__atomic_load_n(&d->link_down, __ATOMIC_ACQUIRE))) {
		wire_drop_all(d, raw);
		rte_spinlock_unlock(&d->lock);
		return 0;
	}
	wire_to_fifos(d, raw, q, nb_pkts);
	if (unlikely(d->a.jump_on[0]) && q->count) {
		jump_apply(d, raw);
	}
	ticks = nic_ticks(d, raw);
	stamp = d->a.ts_ns ? phc_ns(d, raw) : ticks;
	while (n < nb_pkts && q->count) {
		uint64_t ref = q->fifo[q->head];
		struct rte_mbuf *m, *more[8];
		const uint8_t *src;
		unsigned nmore = 0;
		uint32_t len, room;

		if (ref & FCSIM_REF_PROBE) {
			src = d->probe_tmpl;
			len = FCSIM_PROBE_LEN;
		} else {
			src = d->store + d->frames[ref].off;
			len = d->frames[ref].len;
		}
		m = rte_pktmbuf_alloc(q->mp);
		if (unlikely(!m)) {
			d->eth->data->rx_mbuf_alloc_failed++; /* the frame stays in the FIFO */
			break;
		}
		room = rte_pktmbuf_tailroom(m);
		if (len > room && scatter) {
			/* Chained segments of the pool's data room, all allocated or none. */
			uint32_t seg = rte_pktmbuf_data_room_size(q->mp); /* no headroom after */

			nmore = RTE_MIN((len - room + seg - 1) / seg, (uint32_t)RTE_DIM(more));
			if (rte_pktmbuf_alloc_bulk(q->mp, more, nmore) != 0) {
				rte_pktmbuf_free(m);
				d->eth->data->rx_mbuf_alloc_failed++;
				break;
			}
			for (unsigned i = 0; i < nmore; i++) {
				rte_pktmbuf_reset_headroom(more[i]);
				more[i]->data_off = 0;
			}
		}
		q->head = (q->head + 1) % q->cap;
		q->count--;
		if (unlikely(len > room && !scatter)) {
			d->ierrors++; /* no scatter: a frame longer than an mbuf is an error */
			rte_pktmbuf_free(m);
			continue;
		}
		fill_segs(m, more, nmore, src, len);
		if (ref & FCSIM_REF_PROBE) {
			uint8_t *pl = rte_pktmbuf_mtod_offset(m, uint8_t *, FCSIM_PROBE_PAYOFF);

			memcpy(pl, "FCSIMTS", 8);
			put_le64(pl + 8, real);
			put_le64(pl + 16, stamp);
			put_le64(pl + 24, ref & ~FCSIM_REF_PROBE);
		}
		m->port = d->eth->data->port_id;
		if (d->ts_on) {
			*RTE_MBUF_DYNFIELD(m, d->ts_off, rte_mbuf_timestamp_t *) = stamp;
			m->ol_flags |= d->ts_flag;
		}
		q->ipackets++;
		q->ibytes += len;
		pkts[n++] = m;
	}
	rte_spinlock_unlock(&d->lock);
	return n;
}

/* ------------------------------------------------------------------ TX */

static uint16_t fcsim_tx_burst(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct fcsim_txq *q = queue;
	struct fcsim_dev *d = q->dev;
	uint8_t buf[FCSIM_MAX_PKTLEN];
	uint16_t i;

	if (d->tx_dumper) {
		struct pcap_pkthdr ph;
		uint64_t real = clock_ns(CLOCK_REALTIME);

		rte_spinlock_lock(&d->tx_lock);
		for (i = 0; i < nb_pkts; i++) {
			const uint8_t *p;

			memset(&ph, 0, sizeof(ph));
			ph.ts.tv_sec = (time_t)(real / FCSIM_NS_PER_S);
			ph.ts.tv_usec = (suseconds_t)(real % FCSIM_NS_PER_S); /* ns: a nano pcap */
			ph.len = pkts[i]->pkt_len;
			ph.caplen = RTE_MIN(pkts[i]->pkt_len, (uint32_t)sizeof(buf));
			p = rte_pktmbuf_read(pkts[i], 0, ph.caplen, buf);
			if (p) {
				pcap_dump(d->tx_dumper, &ph, p);
			}
		}
		pcap_dump_flush(d->tx_dumper); /* a test reads the file while the port runs */
		rte_spinlock_unlock(&d->tx_lock);
	}
	for (i = 0; i < nb_pkts; i++) {
		q->opackets++;
		q->obytes += pkts[i]->pkt_len;
		rte_pktmbuf_free(pkts[i]);
	}
	return nb_pkts;
}

/* ------------------------------------------------------------------ ethdev ops */

static int fcsim_configure(struct rte_eth_dev *dev)
{
	struct fcsim_dev *d = dev->data->dev_private;
	int rc;

	if (!(dev->data->dev_conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_TIMESTAMP)) {
		d->ts_on = false;
		return 0;
	}
	rc = rte_mbuf_dyn_rx_timestamp_register(&d->ts_off, &d->ts_flag);
	if (rc < 0) {
		FCSIM_LOG(ERR, "cannot register the RX timestamp field: %s",
			  rte_strerror(rte_errno));
		return -rte_errno;
	}
	d->ts_on = true;
	return 0;
}

static const char *fc_name(int mode)
{
	switch (mode) {
	case RTE_ETH_FC_NONE:
		return "none";
	case RTE_ETH_FC_RX_PAUSE:
		return "rx";
	case RTE_ETH_FC_TX_PAUSE:
		return "tx";
	default:
		return "full";
	}
}

/*
 * conf_out=FILE: what the application configured, as the NIC sees it, rewritten (atomically)
 * at every start, stop and flow-control change.  The tests' oracle for port defaults.
 */
static void conf_dump(struct fcsim_dev *d)
{
	const struct rte_eth_dev_data *dd = d->eth->data;
	char tmp[PATH_MAX + 8];
	FILE *f;

	if (!d->a.conf_out[0]) {
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->a.conf_out);
	f = fopen(tmp, "w");
	if (!f) {
		FCSIM_LOG(ERR, "conf_out=%s: %s", d->a.conf_out, strerror(errno));
		return;
	}
	fprintf(f, "started=%d\nmtu=%u\nscatter=%d\ntimestamp=%d\nrx_queues=%u\nrx_desc=%u\n",
		d->started, dd->mtu, !!(dd->dev_conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_SCATTER),
		!!(dd->dev_conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_TIMESTAMP), dd->nb_rx_queues,
		d->rxq[0] ? d->rxq[0]->nb_desc : 0);
	fprintf(f, "flow_control=%s\nlsc_interrupt=%d\n", fc_name(d->fc_mode),
		!!dd->dev_conf.intr_conf.lsc);
	if (fclose(f) != 0 || rename(tmp, d->a.conf_out) != 0) {
		FCSIM_LOG(ERR, "conf_out=%s: %s", d->a.conf_out, strerror(errno));
	}
}

/* Set the link as the flap schedule says; LSC callbacks if the application asked for them. */
static void link_set(struct fcsim_dev *d, bool down)
{
	struct rte_eth_dev *dev = d->eth;
	struct rte_eth_link link = dev->data->dev_link;

	/* Pairs with the acquire load in rx_burst. */
	__atomic_store_n(&d->link_down, down, __ATOMIC_RELEASE);
	link.link_status = down ? RTE_ETH_LINK_DOWN : RTE_ETH_LINK_UP;
	rte_eth_linkstatus_set(dev, &link);
	FCSIM_LOG(INFO, "port %u: link %s", dev->data->port_id, down ? "down" : "up");
	if (d->a.lsc && dev->data->dev_conf.intr_conf.lsc) {
		rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, NULL);
	}
}

/*
 * flap=AT:DOWN[:N:EVERY]: an EAL alarm (the interrupt thread, as a NIC's LSC interrupt)
 * takes the link down AT ms after the first start, up again DOWN ms later, N times, EVERY ms
 * apart.
 */
static void flap_alarm(void *arg)
{
	struct fcsim_dev *d = arg;
	bool down = !__atomic_load_n(&d->link_down, __ATOMIC_RELAXED);
	uint64_t next_ms = 0;

	link_set(d, down);
	if (down) {
		next_ms = d->a.flap_ms;
	} else if (++d->flaps_done < d->a.flap_n) {
		next_ms = d->a.flap_every_ms - d->a.flap_ms;
	}
	if (next_ms) {
		rte_eal_alarm_set(next_ms * 1000, flap_alarm, d);
	}
}

/*
 * jump_on=FILE: an EAL alarm (the interrupt thread) looks for FILE every 10 ms from the first
 * start; once it is there, the step of jump=AT:NS is due AT ms later (jump_apply()).  The test
 * creates FILE when the application is ready to see the clock step.
 */
static void jump_alarm(void *arg)
{
	struct fcsim_dev *d = arg;

	if (access(d->a.jump_on, F_OK) == 0) {
		__atomic_store_n(&d->jump_due,
				 clock_ns(CLOCK_MONOTONIC_RAW) + d->a.jump_at_ms * 1000000,
				 __ATOMIC_RELAXED);
		FCSIM_LOG(INFO,
			  "jump_on=%s is there: the clock steps by %+" PRId64 " ns in %" PRIu64
			  " ms, at the first rx_burst that delivers frames",
			  d->a.jump_on, d->a.jump_ns, d->a.jump_at_ms);
		return;
	}
	if (rte_eal_alarm_set(10000, jump_alarm, d) != 0) {
		FCSIM_LOG(ERR, "jump_on=%s: cannot set the alarm: the clock will not step",
			  d->a.jump_on);
	}
}

static int fcsim_start(struct rte_eth_dev *dev)
{
	struct fcsim_dev *d = dev->data->dev_private;
	bool first = false;
	uint16_t i;

	rte_spinlock_lock(&d->lock);
	if (!d->started_once) {
		d->probe_t0 = clock_ns(CLOCK_MONOTONIC_RAW); /* probe 0 is due at the first start */
		d->started_once = true;
		first = true;
		if (d->a.jump_ns && !d->a.jump_on[0] && !d->a.jump_read) {
			__atomic_store_n(&d->jump_from, d->probe_t0 + d->a.jump_at_ms * 1000000,
					 __ATOMIC_RELAXED);
		}
	}
	d->started = true;
	rte_spinlock_unlock(&d->lock);
	if (first && d->a.flap_ms) {
		rte_eal_alarm_set(RTE_MAX(d->a.flap_at_ms, 1) * 1000, flap_alarm, d);
	}
	if (first && d->a.jump_ns && d->a.jump_on[0]) {
		jump_alarm(d);
	}
	dev->data->dev_link.link_status = __atomic_load_n(&d->link_down, __ATOMIC_RELAXED)
						  ? RTE_ETH_LINK_DOWN
						  : RTE_ETH_LINK_UP;
	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		dev->data->rx_queue_state[i] = RTE_ETH_QUEUE_STATE_STARTED;
	}
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		dev->data->tx_queue_state[i] = RTE_ETH_QUEUE_STATE_STARTED;
	}
	conf_dump(d);
	return 0;
}

static int fcsim_stop(struct rte_eth_dev *dev)
{
	struct fcsim_dev *d = dev->data->dev_private;
	uint16_t i;

	rte_spinlock_lock(&d->lock);
	d->started = false;
	rte_spinlock_unlock(&d->lock);
	conf_dump(d);
	dev->data->dev_link.link_status = RTE_ETH_LINK_DOWN;
	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		dev->data->rx_queue_state[i] = RTE_ETH_QUEUE_STATE_STOPPED;
	}
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		dev->data->tx_queue_state[i] = RTE_ETH_QUEUE_STATE_STOPPED;
	}
	return 0;
}

static void rxq_release(struct rte_eth_dev *dev, uint16_t qid)
{
	struct fcsim_dev *d = dev->data->dev_private;
	struct fcsim_rxq *q = d->rxq[qid];

	if (q) {
		rte_spinlock_lock(&d->lock);
		d->rxq[qid] = NULL;
		rte_spinlock_unlock(&d->lock);
		rte_free(q->fifo);
		rte_free(q);
	}
	dev->data->rx_queues[qid] = NULL;
}

static void txq_release(struct rte_eth_dev *dev, uint16_t qid)
{
	struct fcsim_dev *d = dev->data->dev_private;

	rte_free(d->txq[qid]);
	d->txq[qid] = NULL;
	dev->data->tx_queues[qid] = NULL;
}

static void free_resources(struct fcsim_dev *d)
{
	fcsim_flow_free_all(d);
	if (d->tx_dumper) {
		pcap_dump_close(d->tx_dumper);
		d->tx_dumper = NULL;
	}
	if (d->tx_pcap) {
		pcap_close(d->tx_pcap);
		d->tx_pcap = NULL;
	}
	free(d->store);
	d->store = NULL;
	free(d->frames);
	d->frames = NULL;
	d->nframes = 0;
}

static int fcsim_close(struct rte_eth_dev *dev)
{
	struct fcsim_dev *d = dev->data->dev_private;
	uint16_t i;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		return 0;
	}
	rte_eal_alarm_cancel(flap_alarm, d);
	rte_eal_alarm_cancel(jump_alarm, d);
	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		rxq_release(dev, i);
	}
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		txq_release(dev, i);
	}
	free_resources(d);
	dev->data->mac_addrs = NULL; /* ours, in dev_private: not for rte_eth_dev_release_port */
	return 0;
}

static int fcsim_infos_get(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	struct fcsim_dev *d = dev->data->dev_private;

	info->max_mac_addrs = 1;
	info->max_rx_pktlen = FCSIM_MAX_PKTLEN;
	info->max_mtu = FCSIM_MAX_PKTLEN - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN;
	info->min_mtu = RTE_ETHER_MIN_MTU;
	info->max_rx_queues = FCSIM_MAX_QUEUES;
	info->max_tx_queues = FCSIM_MAX_QUEUES;
	info->rx_offload_capa = (d->a.ts ? RTE_ETH_RX_OFFLOAD_TIMESTAMP : 0) |
				(d->a.scatter ? RTE_ETH_RX_OFFLOAD_SCATTER : 0);
	info->tx_offload_capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	info->flow_type_rss_offloads = RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 |
				       RTE_ETH_RSS_NONFRAG_IPV4_UDP |
				       RTE_ETH_RSS_NONFRAG_IPV4_OTHER;
	info->hash_key_size = FCSIM_RSS_KEY_LEN;
	info->rx_desc_lim.nb_max = 32768;
	info->rx_desc_lim.nb_min = 32;
	info->rx_desc_lim.nb_align = 1;
	info->tx_desc_lim = info->rx_desc_lim;
	info->speed_capa = RTE_ETH_LINK_SPEED_100G;
	return 0;
}

static int fcsim_link_update(struct rte_eth_dev *dev, int wait)
{
	struct fcsim_dev *d = dev->data->dev_private;
	struct rte_eth_link link;

	RTE_SET_USED(wait);
	memset(&link, 0, sizeof(link));
	link.link_speed = RTE_ETH_SPEED_NUM_100G;
	link.link_duplex = RTE_ETH_LINK_FULL_DUPLEX;
	link.link_autoneg = RTE_ETH_LINK_FIXED;
	link.link_status =
		dev->data->dev_started && !__atomic_load_n(&d->link_down, __ATOMIC_ACQUIRE)
			? RTE_ETH_LINK_UP
			: RTE_ETH_LINK_DOWN;
	return rte_eth_linkstatus_set(dev, &link);
}

static int fcsim_rxq_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc, unsigned socket,
			   const struct rte_eth_rxconf *conf, struct rte_mempool *mp)
{
	struct fcsim_dev *d = dev->data->dev_private;
	struct fcsim_rxq *q;

	RTE_SET_USED(conf);
	if (d->rxq[qid]) {
		rxq_release(dev, qid);
	}
	q = rte_zmalloc_socket("fcsim_rxq", sizeof(*q), RTE_CACHE_LINE_SIZE, (int)socket);
	if (!q) {
		return -ENOMEM;
	}
	q->cap = d->a.rx_ring ? d->a.rx_ring : nb_desc;
	q->nb_desc = nb_desc;
	q->fifo = rte_zmalloc_socket("fcsim_fifo", sizeof(*q->fifo) * q->cap, 0, (int)socket);
	if (!q->fifo) {
		rte_free(q);
		return -ENOMEM;
	}
	q->dev = d;
	q->mp = mp;
	q->qid = qid;
	rte_spinlock_lock(&d->lock);
	d->rxq[qid] = q;
	rte_spinlock_unlock(&d->lock);
	dev->data->rx_queues[qid] = q;
	return 0;
}

static int fcsim_txq_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc, unsigned socket,
			   const struct rte_eth_txconf *conf)
{
	struct fcsim_dev *d = dev->data->dev_private;
	struct fcsim_txq *q;

	RTE_SET_USED(nb_desc);
	RTE_SET_USED(conf);
	if (d->txq[qid]) {
		txq_release(dev, qid);
	}
	q = rte_zmalloc_socket("fcsim_txq", sizeof(*q), RTE_CACHE_LINE_SIZE, (int)socket);
	if (!q) {
		return -ENOMEM;
	}
	q->dev = d;
	q->qid = qid;
	d->txq[qid] = q;
	dev->data->tx_queues[qid] = q;
	return 0;
}

static int fcsim_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *st)
{
	struct fcsim_dev *d = dev->data->dev_private;
	uint16_t i;

	rte_spinlock_lock(&d->lock);
	for (i = 0; i < dev->data->nb_rx_queues; i++) {
		const struct fcsim_rxq *q = d->rxq[i];

		if (!q) {
			continue;
		}
		st->ipackets += q->ipackets;
		st->ibytes += q->ibytes;
		if (i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			st->q_ipackets[i] = q->ipackets;
			st->q_ibytes[i] = q->ibytes;
		}
	}
	st->imissed = d->imissed;
	st->ierrors = d->ierrors;
	rte_spinlock_unlock(&d->lock);
	for (i = 0; i < dev->data->nb_tx_queues; i++) {
		const struct fcsim_txq *q = d->txq[i];

		if (!q) {
			continue;
		}
		st->opackets += q->opackets;
		st->obytes += q->obytes;
		if (i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			st->q_opackets[i] = q->opackets;
			st->q_obytes[i] = q->obytes;
		}
	}
	return 0;
}

static int fcsim_stats_reset(struct rte_eth_dev *dev)
{
	struct fcsim_dev *d = dev->data->dev_private;
	uint16_t i;

	rte_spinlock_lock(&d->lock);
	for (i = 0; i < FCSIM_MAX_QUEUES; i++) {
		if (d->rxq[i]) {
			d->rxq[i]->ipackets = 0;
			d->rxq[i]->ibytes = 0;
		}
		if (d->txq[i]) {
			d->txq[i]->opackets = 0;
			d->txq[i]->obytes = 0;
		}
	}
	d->imissed = 0;
	d->ierrors = 0;
	d->mc_filtered = 0;
	d->flow_dropped = 0;
	d->discards_phy = 0;
	d->oversize = 0;
	d->link_dropped = 0;
	d->wire_seen = 0;
	memset(d->xs_read, 0, sizeof(d->xs_read));
	memset(d->xs_total, 0, sizeof(d->xs_total));
	rte_spinlock_unlock(&d->lock);
	return 0;
}

/*
 * The drops that have no field in rte_eth_stats, under the names real PMDs use where there is
 * one (mlx5: rx_discards_phy; many: rx_oversize_packets), and the test's own oracle: every
 * frame the wire carried (rx_wire_packets) and those lost while the link was down.
 */
static const char *const fcsim_xstat_names[FCSIM_NXSTATS] = {
	"rx_mc_filtered",      "rx_flow_dropped",      "rx_discards_phy",
	"rx_oversize_packets", "rx_link_down_dropped", "rx_wire_packets",
};

static int fcsim_xstats_get_names(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
				  unsigned size)
{
	unsigned i, n = RTE_DIM(fcsim_xstat_names);

	RTE_SET_USED(dev);
	if (!names || size < n) {
		return (int)n;
	}
	for (i = 0; i < n; i++) {
		snprintf(names[i].name, sizeof(names[i].name), "%s", fcsim_xstat_names[i]);
	}
	return (int)n;
}

/*
 * xstats_cor=1: the counters are clear-on-read registers and the driver adds each read to
 * totals of its own without a lock, as ixgbe and e1000 do with their hardware statistics.  Two
 * threads reading at once then lose counts: a capture must read them from one thread only
 * (the window is widened here so that a race shows).
 */
static int fcsim_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xs, unsigned n)
{
	struct fcsim_dev *d = dev->data->dev_private;
	uint64_t v[FCSIM_NXSTATS];

	if (!xs || n < RTE_DIM(fcsim_xstat_names)) {
		return (int)RTE_DIM(fcsim_xstat_names);
	}
	rte_spinlock_lock(&d->lock);
	v[0] = d->mc_filtered;
	v[1] = d->flow_dropped;
	v[2] = d->discards_phy;
	v[3] = d->oversize;
	v[4] = d->link_dropped;
	v[5] = d->wire_seen;
	if (d->a.xstats_cor) {
		for (unsigned i = 0; i < FCSIM_NXSTATS; i++) {
			uint64_t reg =
				v[i] - d->xs_read[i]; /* the register, cleared by this read */

			d->xs_read[i] = v[i];
			v[i] = reg;
		}
	}
	rte_spinlock_unlock(&d->lock);
	if (d->a.xstats_cor) {
		/* Say so when a second thread reads: the race this mode models is then possible. */
		int self = (int)syscall(SYS_gettid), first = 0;

		if (!__atomic_compare_exchange_n(&d->xs_reader, &first, self, false,
						 __ATOMIC_RELAXED, __ATOMIC_RELAXED) &&
		    first != self && !__atomic_exchange_n(&d->xs_warned, true, __ATOMIC_RELAXED)) {
			FCSIM_LOG(
				ERR,
				"port %u: xstats_cor: extended statistics read by thread %d and thread %d: clear-on-read totals race, counts can be lost",
				dev->data->port_id, first, self);
		}
	}
	for (unsigned i = 0; i < FCSIM_NXSTATS; i++) {
		xs[i].id = i;
		if (d->a.xstats_cor) {
			uint64_t total = __atomic_load_n(&d->xs_total[i], __ATOMIC_RELAXED);

			for (int k = 0; k < 2000; k++) {
				rte_pause();
			}
			total += v[i];
			__atomic_store_n(&d->xs_total[i], total, __ATOMIC_RELAXED);
			xs[i].value = total;
		} else {
			xs[i].value = v[i];
		}
	}
	return (int)RTE_DIM(fcsim_xstat_names);
}

static int fcsim_xstats_reset(struct rte_eth_dev *dev)
{
	return fcsim_stats_reset(dev);
}

/* The modes themselves live in dev->data (promiscuous, all_multicast), set by ethdev. */
static int fcsim_mode_ok(struct rte_eth_dev *dev)
{
	RTE_SET_USED(dev);
	return 0;
}

static int fcsim_set_mc_addr_list(struct rte_eth_dev *dev, struct rte_ether_addr *mc, uint32_t n)
{
	struct fcsim_dev *d = dev->data->dev_private;

	if (n > FCSIM_MAX_MC) {
		return -ENOSPC;
	}
	rte_spinlock_lock(&d->lock);
	memcpy(d->mc, mc, sizeof(*mc) * n);
	d->nmc = n;
	rte_spinlock_unlock(&d->lock);
	return 0;
}

static int fcsim_mac_addr_set(struct rte_eth_dev *dev, struct rte_ether_addr *mac)
{
	struct fcsim_dev *d = dev->data->dev_private;

	d->mac = *mac;
	return 0;
}

/*
 * read_clock: the NIC's free-running ticks, or with clock=host the host's CLOCK_REALTIME.
 * jump_read=N: the step of jump=AT:NS is due AT ms after the Nth call, this one included when
 * AT is 0 -- a clock stepped while the application is fitting its model to these reads.
 */
static int fcsim_read_clock(struct rte_eth_dev *dev, uint64_t *clock)
{
	struct fcsim_dev *d = dev->data->dev_private;
	uint64_t raw = clock_ns(CLOCK_MONOTONIC_RAW);

	if (d->a.jump_read &&
	    __atomic_add_fetch(&d->reads, 1, __ATOMIC_RELAXED) == d->a.jump_read) {
		__atomic_store_n(&d->jump_from, raw + d->a.jump_at_ms * 1000000, __ATOMIC_RELAXED);
	}
	*clock = d->a.clock_host ? clock_ns(CLOCK_REALTIME) : nic_ticks(d, raw);
	return 0;
}

static int fcsim_flow_ctrl_get(struct rte_eth_dev *dev, struct rte_eth_fc_conf *fc)
{
	const struct fcsim_dev *d = dev->data->dev_private;

	memset(fc, 0, sizeof(*fc));
	fc->mode = (enum rte_eth_fc_mode)d->fc_mode;
	fc->autoneg = 1;
	return 0;
}

static int fcsim_flow_ctrl_set(struct rte_eth_dev *dev, struct rte_eth_fc_conf *fc)
{
	struct fcsim_dev *d = dev->data->dev_private;

	d->fc_mode = (int)fc->mode;
	conf_dump(d);
	return 0;
}

/* Any MTU up to max_mtu; ethdev keeps it in dev->data->mtu, which the MAC checks. */
static int fcsim_mtu_set(struct rte_eth_dev *dev, uint16_t mtu)
{
	RTE_SET_USED(dev);
	RTE_SET_USED(mtu);
	return 0;
}

static int fcsim_flow_ops_get(struct rte_eth_dev *dev, const struct rte_flow_ops **ops)
{
	struct fcsim_dev *d = dev->data->dev_private;

	/* flow=0: a NIC without a flow engine; rte_flow then fails with ENOSYS. */
	*ops = d->a.flow ? &fcsim_flow_ops : NULL;
	return 0;
}

static const struct eth_dev_ops fcsim_ops = {
	.dev_configure = fcsim_configure,
	.dev_start = fcsim_start,
	.dev_stop = fcsim_stop,
	.dev_close = fcsim_close,
	.dev_infos_get = fcsim_infos_get,
	.link_update = fcsim_link_update,
	.rx_queue_setup = fcsim_rxq_setup,
	.rx_queue_release = rxq_release,
	.tx_queue_setup = fcsim_txq_setup,
	.tx_queue_release = txq_release,
	.stats_get = fcsim_stats_get,
	.stats_reset = fcsim_stats_reset,
	.xstats_get = fcsim_xstats_get,
	.xstats_get_names = fcsim_xstats_get_names,
	.xstats_reset = fcsim_xstats_reset,
	.promiscuous_enable = fcsim_mode_ok,
	.promiscuous_disable = fcsim_mode_ok,
	.allmulticast_enable = fcsim_mode_ok,
	.allmulticast_disable = fcsim_mode_ok,
	.set_mc_addr_list = fcsim_set_mc_addr_list,
	.mac_addr_set = fcsim_mac_addr_set,
	.read_clock = fcsim_read_clock,
	.flow_ops_get = fcsim_flow_ops_get,
	.flow_ctrl_get = fcsim_flow_ctrl_get,
	.flow_ctrl_set = fcsim_flow_ctrl_set,
	.mtu_set = fcsim_mtu_set,
};

/* ------------------------------------------------------------------ probe */

static int bad_arg(const char *key, const char *val, const char *what)
{
	FCSIM_LOG(ERR, "devarg %s=%s: %s", key, val, what);
	return -EINVAL;
}

static int parse_u64(const char *key, const char *val, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(val, &end, 0);
	if (errno || end == val || *end || val[0] == '-' || v > max) {
		char what[64];

		snprintf(what, sizeof(what), "not a number from 0 to %" PRIu64, max);
		return bad_arg(key, val, what);
	}
	*out = v;
	return 0;
}

static int parse_double(const char *key, const char *val, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(val, &end);
	if (errno || end == val || *end || !(v >= lo && v <= hi)) {
		char what[80];

		snprintf(what, sizeof(what), "not a number from %g to %g", lo, hi);
		return bad_arg(key, val, what);
	}
	*out = v;
	return 0;
}

static int parse_bool(const char *key, const char *val, bool *out)
{
	if (strcmp(val, "0") && strcmp(val, "1")) {
		return bad_arg(key, val, "not 0 or 1");
	}
	*out = val[0] == '1';
	return 0;
}

/* probe_dst=A.B.C.D:PORT, a multicast group. */
static int parse_probe_dst(const char *key, const char *val, struct fcsim_args *a)
{
	char ip[INET_ADDRSTRLEN];
	const char *colon = strchr(val, ':');
	uint64_t port;
	struct in_addr in;

	if (!colon || (size_t)(colon - val) >= sizeof(ip)) {
		return bad_arg(key, val, "not GROUP:PORT, e.g. 239.1.1.1:5000");
	}
	memcpy(ip, val, (size_t)(colon - val));
	ip[colon - val] = '\0';
	if (inet_pton(AF_INET, ip, &in) != 1 || !IN_MULTICAST(ntohl(in.s_addr))) {
		return bad_arg(key, val, "the address is not an IPv4 multicast group");
	}
	if (parse_u64(key, colon + 1, 65535, &port) < 0 || port == 0) {
		return bad_arg(key, val, "the port is not from 1 to 65535");
	}
	a->probe_dst = in.s_addr;
	a->probe_port = (uint16_t)port;
	return 0;
}

static int parse_real_nic(const char *k, const char *v, struct fcsim_args *a);

static int parse_one(const char *k, const char *v, struct fcsim_args *a)
{
	uint64_t u;
	int rc;

	if (!strcmp(k, "rx_pcap") || !strcmp(k, "tx_pcap")) {
		char *dst = k[0] == 'r' ? a->rx_pcap : a->tx_pcap;

		if (!v[0] || strlen(v) >= PATH_MAX) {
			return bad_arg(k, v, "not a file name");
		}
		snprintf(dst, PATH_MAX, "%s", v);
		return 0;
	}
	if (!strcmp(k, "loop")) {
		return parse_u64(k, v, UINT32_MAX, &a->loop);
	}
	if (!strcmp(k, "pace")) {
		return parse_bool(k, v, &a->pace);
	}
	if (!strcmp(k, "probe")) {
		return parse_u64(k, v, UINT32_MAX, &a->probe_n);
	}
	if (!strcmp(k, "probe_dst")) {
		return parse_probe_dst(k, v, a);
	}
	if (!strcmp(k, "pps")) {
		return parse_double(k, v, 0.001, 1e8, &a->pps);
	}
	if (!strcmp(k, "clock_hz")) {
		return parse_double(k, v, 1e3, 5e9, &a->clock_hz);
	}
	if (!strcmp(k, "ppm")) {
		return parse_double(k, v, -1e5, 1e5, &a->ppm);
	}
	if (!strcmp(k, "clock_start")) {
		return parse_u64(k, v, UINT64_MAX, &a->clock_start);
	}
	if (!strcmp(k, "ts")) {
		return parse_bool(k, v, &a->ts);
	}
	if (!strcmp(k, "rx_ring")) {
		rc = parse_u64(k, v, 32768, &u);
		if (rc == 0 && u == 0) {
			return bad_arg(k, v, "a ring of 0 descriptors");
		}
		a->rx_ring = (uint32_t)u;
		return rc;
	}
	if (!strcmp(k, "mac")) {
		if (rte_ether_unformat_addr(v, &a->mac) < 0) {
			return bad_arg(k, v, "not a MAC address (xx:xx:xx:xx:xx:xx)");
		}
		a->mac_set = true;
		return 0;
	}
	if (!strcmp(k, "mc_filter")) {
		return parse_bool(k, v, &a->mc_filter);
	}
	if (!strcmp(k, "flow")) {
		return parse_bool(k, v, &a->flow);
	}
	if (!strcmp(k, "flow_count")) {
		return parse_bool(k, v, &a->flow_count);
	}
	if (!strcmp(k, "flow_max")) {
		rc = parse_u64(k, v, UINT32_MAX, &u);
		a->flow_max = (uint32_t)u;
		return rc;
	}
	return parse_real_nic(k, v, a);
}

/* AT:DOWN[:N:EVERY] in ms (flap=), or AT:NS (jump=, NS may be negative). */
static int parse_times(const char *k, const char *v, uint64_t out[4], int64_t *sns, int min,
		       int max)
{
	char *end;
	int n = 0;
	const char *p = v;

	while (*p && n < max) {
		errno = 0;
		if (sns && n == 1) {
			*sns = strtoll(p, &end, 10);
		} else {
			if (*p == '-') {
				return bad_arg(k, v, "a negative time");
			}
			out[n] = strtoull(p, &end, 10);
		}
		if (errno || end == p || (*end && *end != ':')) {
			return bad_arg(k, v, "not numbers separated by ':'");
		}
		n++;
		p = *end ? end + 1 : end;
	}
	if (n < min || *p) {
		return bad_arg(k, v, "wrong count of ':'-separated numbers");
	}
	return n;
}

/* The devargs of README.md's "Real-NIC behaviour". */
static int parse_real_nic(const char *k, const char *v, struct fcsim_args *a)
{
	uint64_t t[4] = { 0, 0, 1, 0 };
	int n;

	if (!strcmp(k, "conf_out")) {
		if (!v[0] || strlen(v) >= PATH_MAX - 8) {
			return bad_arg(k, v, "not a file name");
		}
		snprintf(a->conf_out, sizeof(a->conf_out), "%s", v);
		return 0;
	}
	if (!strcmp(k, "fc")) {
		static const char *const names[] = { "none", "rx", "tx", "full" };
		static const int modes[] = { RTE_ETH_FC_NONE, RTE_ETH_FC_RX_PAUSE,
					     RTE_ETH_FC_TX_PAUSE, RTE_ETH_FC_FULL };

		for (unsigned i = 0; i < RTE_DIM(names); i++) {
			if (!strcmp(v, names[i])) {
				a->fc = modes[i];
				return 0;
			}
		}
		return bad_arg(k, v, "not none, rx, tx or full");
	}
	if (!strcmp(k, "scatter")) {
		return parse_bool(k, v, &a->scatter);
	}
	if (!strcmp(k, "mtu_drop")) {
		return parse_bool(k, v, &a->mtu_drop);
	}
	if (!strcmp(k, "discard")) {
		return parse_u64(k, v, UINT32_MAX, &a->discard);
	}
	if (!strcmp(k, "xstats_cor")) {
		return parse_bool(k, v, &a->xstats_cor);
	}
	if (!strcmp(k, "lsc")) {
		return parse_bool(k, v, &a->lsc);
	}
	if (!strcmp(k, "flap")) {
		n = parse_times(k, v, t, NULL, 2, 4);
		if (n < 0) {
			return n;
		}
		if (n == 3 || t[1] == 0 || (t[2] > 1 && t[3] <= t[1])) {
			return bad_arg(k, v, "AT:DOWN[:N:EVERY] with DOWN > 0 and EVERY > DOWN");
		}
		a->flap_at_ms = t[0];
		a->flap_ms = t[1];
		a->flap_n = t[2] ? t[2] : 1;
		a->flap_every_ms = t[3];
		return 0;
	}
	if (!strcmp(k, "ts_format")) {
		if (strcmp(v, "ticks") && strcmp(v, "ns")) {
			return bad_arg(k, v, "not ticks or ns");
		}
		a->ts_ns = !strcmp(v, "ns");
		return 0;
	}
	if (!strcmp(k, "clock")) {
		if (strcmp(v, "nic") && strcmp(v, "host")) {
			return bad_arg(k, v, "not nic or host");
		}
		a->clock_host = !strcmp(v, "host");
		return 0;
	}
	if (!strcmp(k, "jump")) {
		n = parse_times(k, v, t, &a->jump_ns, 2, 2);
		if (n < 0) {
			return n;
		}
		a->jump_at_ms = t[0];
		return 0;
	}
	if (!strcmp(k, "jump_read")) {
		n = parse_u64(k, v, UINT64_MAX, &a->jump_read);
		if (n == 0 && a->jump_read == 0) {
			return bad_arg(k, v, "0: reads count from 1");
		}
		return n;
	}
	if (!strcmp(k, "jump_on")) {
		if (!v[0] || strlen(v) >= PATH_MAX) {
			return bad_arg(k, v, "not a file name");
		}
		snprintf(a->jump_on, sizeof(a->jump_on), "%s", v);
		return 0;
	}
	return bad_arg(k, v, "unknown devarg"); /* rte_kvargs_parse already refused it */
}

static int parse_args(const char *params, struct fcsim_args *a)
{
	struct rte_kvargs *kv;
	unsigned i;
	int rc = 0;

	memset(a, 0, sizeof(*a));
	a->loop = 1;
	a->pps = 1000;
	a->clock_hz = FCSIM_DEFAULT_HZ;
	a->clock_start = FCSIM_DEFAULT_T0;
	a->ts = true;
	a->flow = true;
	a->flow_count = true;
	a->fc = RTE_ETH_FC_FULL; /* as most NICs come up: PAUSE frames on */
	a->scatter = true;
	a->lsc = true;
	if (!params || !params[0]) {
		return 0;
	}
	kv = rte_kvargs_parse(params, fcsim_keys);
	if (!kv) {
		FCSIM_LOG(
			ERR,
			"bad devargs \"%s\" (known: rx_pcap tx_pcap loop pace probe probe_dst pps "
			"clock_hz ppm clock_start ts rx_ring mac mc_filter flow flow_count "
			"flow_max conf_out fc scatter discard xstats_cor lsc flap ts_format clock "
			"jump jump_on jump_read mtu_drop)",
			params);
		return -EINVAL;
	}
	for (i = 0; i < kv->count && rc == 0; i++) {
		rc = parse_one(kv->pairs[i].key, kv->pairs[i].value ? kv->pairs[i].value : "", a);
	}
	rte_kvargs_free(kv);
	if (a->clock_host) {
		a->ts_ns = true; /* ice: read_clock gives host time, packets the PHC in ns */
	}
	if (rc == 0 && (a->jump_on[0] || a->jump_read) && !a->jump_ns) {
		FCSIM_LOG(ERR, "devargs jump_on= and jump_read= need jump=AT:NS with NS not 0");
		rc = -EINVAL;
	}
	if (rc == 0 && a->jump_on[0] && a->jump_read) {
		FCSIM_LOG(ERR,
			  "devargs jump_on= and jump_read= are two cues for one step: give one");
		rc = -EINVAL;
	}
	if (rc == 0 && a->probe_n && !a->probe_dst) {
		FCSIM_LOG(ERR, "devarg probe=%" PRIu64 " needs probe_dst=GROUP:PORT", a->probe_n);
		rc = -EINVAL;
	}
	return rc;
}

/* Every frame of rx_pcap, in memory: one buffer, one index. */
static int load_pcap(struct fcsim_dev *d)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *ph;
	const u_char *data;
	uint64_t size = 0, cap = 0, t, t0 = 0;
	uint32_t nalloc = 0;
	pcap_t *p;
	int rc;

	p = pcap_open_offline_with_tstamp_precision(d->a.rx_pcap, PCAP_TSTAMP_PRECISION_NANO,
						    errbuf);
	if (!p) {
		FCSIM_LOG(ERR, "rx_pcap=%s: %s", d->a.rx_pcap, errbuf);
		return -EINVAL;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		FCSIM_LOG(ERR, "rx_pcap=%s: link type %s, not Ethernet", d->a.rx_pcap,
			  pcap_datalink_val_to_name(pcap_datalink(p)));
		pcap_close(p);
		return -EINVAL;
	}
	while ((rc = pcap_next_ex(p, &ph, &data)) == 1) {
		if (d->nframes == nalloc) {
			void *nf;

			nalloc = nalloc ? nalloc * 2 : 1024;
			nf = realloc(d->frames, sizeof(*d->frames) * nalloc);
			if (!nf) {
				goto out_nomem;
			}
			d->frames = nf;
		}
		if (size + ph->caplen > cap) {
			void *ns;

			cap = RTE_MAX(cap * 2, size + ph->caplen + 65536);
			ns = realloc(d->store, cap);
			if (!ns) {
				goto out_nomem;
			}
			d->store = ns;
		}
		t = (uint64_t)ph->ts.tv_sec * FCSIM_NS_PER_S + (uint64_t)ph->ts.tv_usec;
		if (d->nframes == 0) {
			t0 = t;
		}
		memcpy(d->store + size, data, ph->caplen);
		d->frames[d->nframes].t = t > t0 ? t - t0 : 0; /* a step back: at once */
		d->frames[d->nframes].off = size;
		d->frames[d->nframes].len = ph->caplen;
		d->nframes++;
		size += ph->caplen;
	}
	if (rc == -1) {
		FCSIM_LOG(ERR, "rx_pcap=%s: %s", d->a.rx_pcap, pcap_geterr(p));
		pcap_close(p);
		return -EINVAL;
	}
	pcap_close(p);
	/* A loop starts one mean inter-frame gap after the previous one's last frame. */
	if (d->nframes) {
		uint64_t last = d->frames[d->nframes - 1].t;

		d->span = last + (d->nframes > 1 ? last / (d->nframes - 1) : 0) + 1;
	}
	return 0;

out_nomem:
	pcap_close(p);
	FCSIM_LOG(ERR, "rx_pcap=%s: out of memory after %u frames", d->a.rx_pcap, d->nframes);
	return -ENOMEM;
}

/* The probes' Ethernet, IPv4 and UDP headers: a valid multicast datagram to probe_dst. */
static void build_probe(struct fcsim_dev *d)
{
	uint8_t *p = d->probe_tmpl;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + RTE_ETHER_HDR_LEN);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint32_t g = ntohl(d->a.probe_dst);
	const uint8_t mac[6] = { 0x01, 0x00, 0x5e, (g >> 16) & 0x7f, (g >> 8) & 0xff, g & 0xff };

	memset(p, 0, sizeof(d->probe_tmpl));
	memcpy(p, mac, 6);
	memcpy(p + 6, d->mac.addr_bytes, 6);
	p[12] = RTE_ETHER_TYPE_IPV4 >> 8;
	p[13] = RTE_ETHER_TYPE_IPV4 & 0xff;
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(FCSIM_PROBE_LEN - RTE_ETHER_HDR_LEN);
	ip->time_to_live = 16;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(FCSIM_PROBE_SRC);
	ip->dst_addr = d->a.probe_dst;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(FCSIM_PROBE_SPORT);
	udp->dst_port = rte_cpu_to_be_16(d->a.probe_port);
	udp->dgram_len = rte_cpu_to_be_16(FCSIM_PROBE_LEN - RTE_ETHER_HDR_LEN - sizeof(*ip));
	udp->dgram_cksum = 0; /* none: legal in IPv4, and the payload is written per frame */
	parse_frame(p, FCSIM_PROBE_LEN, &d->probe_hdrs);
}

static int open_tx_pcap(struct fcsim_dev *d)
{
	d->tx_pcap = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, FCSIM_MAX_PKTLEN,
							  PCAP_TSTAMP_PRECISION_NANO);
	if (!d->tx_pcap) {
		return -ENOMEM;
	}
	d->tx_dumper = pcap_dump_open(d->tx_pcap, d->a.tx_pcap);
	if (!d->tx_dumper) {
		FCSIM_LOG(ERR, "tx_pcap=%s: %s", d->a.tx_pcap, pcap_geterr(d->tx_pcap));
		return -EINVAL;
	}
	return 0;
}

static int fcsim_probe(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct rte_eth_dev *eth;
	struct fcsim_args a;
	struct fcsim_dev *d;
	double rate;
	int rc;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		FCSIM_LOG(ERR, "%s: secondary processes are not supported", name);
		return -ENOTSUP;
	}
	rc = parse_args(rte_vdev_device_args(vdev), &a);
	if (rc < 0) {
		return rc;
	}
	eth = rte_eth_vdev_allocate(vdev, sizeof(*d));
	if (!eth) {
		return -ENOMEM;
	}
	d = eth->data->dev_private;
	d->a = a;
	d->eth = eth;
	rte_spinlock_init(&d->lock);
	rte_spinlock_init(&d->tx_lock);
	TAILQ_INIT(&d->flows);
	memcpy(d->rss_key, fcsim_rss_key, sizeof(d->rss_key));
	if (a.mac_set) {
		d->mac = a.mac;
	} else {
		/* Locally administered, unicast, different for net_fcsim0, net_fcsim1, ... */
		const uint8_t mac[6] = { 0x02, 0xfc, 0x51, 0x00, 0x00, 0x00 };
		const char *c;

		memcpy(d->mac.addr_bytes, mac, 6);
		for (c = name; *c; c++) {
			d->mac.addr_bytes[5] = (uint8_t)(d->mac.addr_bytes[5] * 31 + *c);
		}
	}
	if (a.rx_pcap[0] && (rc = load_pcap(d)) < 0) {
		goto out_release;
	}
	if (a.probe_n) {
		build_probe(d);
	}
	if (a.tx_pcap[0] && (rc = open_tx_pcap(d)) < 0) {
		goto out_release;
	}
	rate = a.clock_hz * (1e6 + a.ppm) * 1e3; /* 1e-18 ticks per ns */
	d->rate_num = (__int128)llround(rate);
	d->clock_t0 = clock_ns(CLOCK_MONOTONIC_RAW);
	d->real_t0 = clock_ns(CLOCK_REALTIME);
	d->jump_from = UINT64_MAX;
	d->fc_mode = a.fc;

	eth->data->mac_addrs = &d->mac;
	eth->data->dev_flags |= RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS;
	if (a.lsc) {
		eth->data->dev_flags |= RTE_ETH_DEV_INTR_LSC;
	}
	eth->data->dev_link.link_speed = RTE_ETH_SPEED_NUM_100G;
	eth->data->dev_link.link_duplex = RTE_ETH_LINK_FULL_DUPLEX;
	eth->dev_ops = &fcsim_ops;
	eth->rx_pkt_burst = fcsim_rx_burst;
	eth->tx_pkt_burst = fcsim_tx_burst;
	rte_eth_dev_probing_finish(eth);
	FCSIM_LOG(INFO,
		  "%s: port %u, %u pcap frames x %" PRIu64 ", %" PRIu64
		  " probes at %g/s, clock %.0f Hz %+g ppm, timestamps %s, flow %s",
		  name, eth->data->port_id, d->nframes, a.loop, a.probe_n, a.pps, a.clock_hz, a.ppm,
		  a.ts ? "offered" : "off", a.flow ? "on" : "off");
	return 0;

out_release:
	free_resources(d);
	rte_eth_dev_release_port(eth);
	return rc;
}

static int fcsim_remove(struct rte_vdev_device *vdev)
{
	struct rte_eth_dev *eth = rte_eth_dev_allocated(rte_vdev_device_name(vdev));

	if (!eth) {
		return 0; /* closed already: rte_eth_dev_close() released the port */
	}
	fcsim_close(eth);
	return rte_eth_dev_release_port(eth);
}

static struct rte_vdev_driver fcsim_driver = {
	.probe = fcsim_probe,
	.remove = fcsim_remove,
};

RTE_PMD_REGISTER_VDEV(net_fcsim, fcsim_driver);
RTE_PMD_REGISTER_PARAM_STRING(
	net_fcsim, "rx_pcap=<file> loop=<n> pace=0|1 probe=<n> probe_dst=<group:port> pps=<rate> "
		   "clock_hz=<hz> ppm=<ppm> clock_start=<ticks> ts=0|1 tx_pcap=<file> "
		   "rx_ring=<n> mac=<mac> mc_filter=0|1 flow=0|1 flow_count=0|1 "
		   "flow_max=<n> conf_out=<file> fc=none|rx|tx|full scatter=0|1 discard=<n> "
		   "xstats_cor=0|1 lsc=0|1 flap=<at>:<down>[:<n>:<every>] ts_format=ticks|ns "
		   "clock=nic|host jump=<at>:<ns> jump_on=<file> jump_read=<n> mtu_drop=0|1");
