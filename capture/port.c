/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port set-up: every DPDK port the EAL probed (PCI NICs, --vdev devices) becomes a capture
 * port with --rx-queues RX queues drained by the poller and one TX queue the control thread
 * uses for IGMP.  The group filter's rte_flow rules are made in flows.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "capture_internal.h"

#define CAP_TXD 256

/*
 * How this PMD timestamps.  Debian's DPDK 22.11 net_pcap fills the RX timestamp dynfield on
 * every mbuf, in microseconds since the epoch, without advertising RTE_ETH_RX_OFFLOAD_TIMESTAMP:
 * we recognise it by name.  A PMD that advertises the offload gets it enabled; its units are
 * its own (raw NIC ticks on mlx5 free-running), so such a port is timestamped through a model
 * of its NIC clock, fitted by the control thread from rte_eth_read_clock() (mlx5, cnxk in
 * 22.11).  Without a readable clock the ticks cannot be converted: the TSC it is.
 */
static enum cap_ts_mode port_ts_mode(const struct rte_eth_dev_info *info)
{
	if (info->driver_name && !strcmp(info->driver_name, "net_pcap")) {
		return CAP_TS_PMD_US;
	}
	if (info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP) {
		return CAP_TS_NIC; /* if its clock is readable once started: cap_ports_setup() */
	}
	return CAP_TS_TSC;
}

/*
 * A kernel counter as a number (sysfs), read with pread() on a descriptor opened at start-up.
 * @return 0, or -1.
 */
int cap_read_counter(int fd, uint64_t *v)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0) {
		return -1;
	}
	buf[n] = '\0';
	return sscanf(buf, "%" SCNu64, v) == 1 ? 0 : -1;
}

/*
 * net_af_xdp: when the socket's RX ring is full, the kernel drops the frame at the XDP
 * redirect and counts it in the interface's rx_dropped only; DPDK 22.11's af_xdp imissed
 * (XDP_STATISTICS rx_dropped) never sees it.  Keep the interface counter open to report its
 * growth from before the queues exist (the frames the port lost) as imissed.
 */
static void open_kernel_drops(struct cap_port *p)
{
	char name[IF_NAMESIZE], path[96];

	p->kdrop_fd = -1;
	if (!p->if_index || strcmp(p->driver, "net_af_xdp") || !if_indextoname(p->if_index, name)) {
		return;
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/rx_dropped", name);
	p->kdrop_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (p->kdrop_fd < 0 || cap_read_counter(p->kdrop_fd, &p->kdrop_base) < 0) {
		cap_log(LOG_WARNING, "port %s: %s: %s: the kernel's drops are not reported",
			p->name, path, strerror(errno));
		if (p->kdrop_fd >= 0) {
			close(p->kdrop_fd);
		}
		p->kdrop_fd = -1;
	}
}

/*
 * What a port will be given, decided before the mbuf pool is sized: its queues and descriptors.
 * Descriptors: --rx-desc, else the PMD's maximum up to CAPTURE_DEFAULT_RXD, because a deep ring
 * is what absorbs a microburst while the poller is busy with another queue (1024 descriptors
 * hold 10 us of 64-byte frames at 100 Gb/s).
 */
static int plan_one(struct cap_ctx *cx, struct cap_port *p, uint16_t pid, char *err, size_t errlen)
{
	const struct capture_opts *o = cx->o;
	struct rte_eth_dev_info info;
	int rc;

	p->port_id = pid;
	rte_eth_dev_get_name_by_port(pid, p->name);
	rc = rte_eth_dev_info_get(pid, &info);
	if (rc < 0) {
		snprintf(err, errlen, "port %s: cannot get device info: %s", p->name,
			 strerror(-rc));
		return rc;
	}
	snprintf(p->driver, sizeof(p->driver), "%s", info.driver_name ? info.driver_name : "?");
	p->socket = rte_eth_dev_socket_id(pid);
	p->nb_rxq = RTE_MIN(o->rxq, info.max_rx_queues);
	p->nb_rxd = o->rxd;
	if (!p->nb_rxd) {
		p->nb_rxd = info.rx_desc_lim.nb_max ? info.rx_desc_lim.nb_max : CAPTURE_DEFAULT_RXD;
		p->nb_rxd = RTE_MIN(p->nb_rxd, (uint16_t)CAPTURE_DEFAULT_RXD);
	}
	return 0;
}

/*
 * The MTU and scatter: only when asked (--mtu, mtu =).  A jumbo MTU and scatter by default
 * cost where nothing needs them: on mlx5 scatter turns off vectorised RX, and the MTU is
 * shared with the kernel interface of a bifurcated port.  An MTU whose frames exceed an mbuf
 * needs scatter; a PMD without it is refused rather than dropping every long frame.
 */
static int plan_mtu(const struct capture_opts *o, struct cap_port *p,
		    const struct rte_eth_dev_info *info, struct rte_eth_conf *conf, char *err,
		    size_t errlen)
{
	const uint32_t room = RTE_MBUF_DEFAULT_BUF_SIZE - RTE_PKTMBUF_HEADROOM;
	uint32_t frame;

	if (!o->mtu) {
		return 0;
	}
	if (o->mtu > info->max_mtu || o->mtu < info->min_mtu) {
		snprintf(err, errlen, "mtu %u: port %s (%s) takes an MTU from %u to %u", o->mtu,
			 p->name, p->driver, info->min_mtu, info->max_mtu);
		return -EINVAL;
	}
	conf->rxmode.mtu = o->mtu;
	/* Ethernet header, two VLAN tags and the CRC around the IP packet. */
	frame = o->mtu + RTE_ETHER_HDR_LEN + 2 * RTE_VLAN_HLEN + RTE_ETHER_CRC_LEN;
	if (frame > room) {
		if (!(info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)) {
			snprintf(
				err, errlen,
				"mtu %u: frames of up to %u bytes do not fit in one %u-byte mbuf and port %s (%s) cannot scatter them over several: use an MTU of at most %u",
				o->mtu, frame, room, p->name, p->driver,
				room - (RTE_ETHER_HDR_LEN + 2 * RTE_VLAN_HLEN + RTE_ETHER_CRC_LEN));
			return -EINVAL;
		}
		conf->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
		p->scatter = true;
	}
	return 0;
}

/*
 * RTE_ETH_EVENT_INTR_LSC, in the EAL's interrupt thread: only note it.  The control thread
 * reads the link, writes the markers and re-joins the groups (control_link.c: cap_link_tick).
 */
static int link_changed(uint16_t port_id, enum rte_eth_event_type type, void *arg, void *ret)
{
	struct cap_port *p = arg;

	RTE_SET_USED(port_id);
	RTE_SET_USED(type);
	RTE_SET_USED(ret);
	atomic_store_explicit(&p->link_event, true, memory_order_release);
	return 0;
}

static int setup_one(struct cap_ctx *cx, struct cap_port *p, char *err, size_t errlen)
{
	const struct capture_opts *o = cx->o;
	const uint16_t pid = p->port_id;
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	struct rte_eth_txconf txconf;
	uint16_t rxd = p->nb_rxd, txd = CAP_TXD, q;
	uint64_t clk;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(pid, &info);
	if (rc < 0) {
		snprintf(err, errlen, "port %s (%s): cannot get device info: %s", p->name,
			 p->driver, strerror(-rc));
		return rc;
	}
	if (p->nb_rxq < o->rxq) {
		cap_log(LOG_WARNING,
			"port %s (%s): has %u RX queues, not the %u of --rx-queues: polling %u",
			p->name, p->driver, info.max_rx_queues, o->rxq, p->nb_rxq);
	}
	if (p->nb_rxq > 1 && info.flow_type_rss_offloads) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
		p->rss_hf = conf.rx_adv_conf.rss_conf.rss_hf;
	}
	rc = plan_mtu(o, p, &info, &conf, err, errlen);
	if (rc < 0) {
		return rc;
	}
	p->ts_mode = port_ts_mode(&info);
	if (o->timestamp == CAPTURE_TS_TSC && p->ts_mode == CAP_TS_NIC) {
		p->ts_mode = CAP_TS_TSC; /* the offload is not even enabled */
	}
	if (p->ts_mode == CAP_TS_NIC) {
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
	}
	/* Link changes by interrupt where the PMD has them (else the control thread polls). */
	p->lsc = info.dev_flags && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC);
	conf.intr_conf.lsc = p->lsc;
	p->link = -1;
	p->has_tx = info.max_tx_queues >= 1;
	rc = rte_eth_dev_configure(pid, p->nb_rxq, p->has_tx ? 1 : 0, &conf);
	/*
	 * NIC timestamps are usable only through a model of the NIC clock, fitted from
	 * rte_eth_read_clock().  If the clock cannot be read, the timestamps would never be used:
	 * configure again without the offload rather than leave it on (on some NICs it costs
	 * descriptor bandwidth, on mlx5 it selects another RX burst function).
	 */
	if (rc == 0 && p->ts_mode == CAP_TS_NIC && rte_eth_read_clock(pid, &clk) != 0) {
		cap_log(LOG_WARNING,
			"port %s (%s): RX timestamps in NIC clock units, but the clock cannot be read (rte_eth_read_clock) to convert them: using the TSC, timestamp offload off",
			p->name, p->driver);
		p->ts_mode = CAP_TS_TSC;
		conf.rxmode.offloads &= ~RTE_ETH_RX_OFFLOAD_TIMESTAMP;
		rc = rte_eth_dev_configure(pid, p->nb_rxq, p->has_tx ? 1 : 0, &conf);
	}
	if (rc < 0) {
		snprintf(err, errlen, "port %s (%s): cannot configure %u RX queues%s: %s", p->name,
			 p->driver, p->nb_rxq, o->mtu ? " with this mtu" : "", strerror(-rc));
		return rc;
	}
	p->ts_offload = conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_TIMESTAMP;
	if (rte_eth_dev_get_mtu(pid, &p->mtu) != 0) {
		p->mtu = o->mtu;
	}
	p->if_index = info.if_index;
	if (p->kdrop_fd < 0) {
		open_kernel_drops(p);
	}
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &rxd, &txd);
	if (rc < 0) {
		snprintf(err, errlen, "port %s: cannot adjust descriptors: %s", p->name,
			 strerror(-rc));
		return rc;
	}
	p->nb_rxd = rxd;
	for (q = 0; q < p->nb_rxq; q++) {
		/* The descriptor ring on the port's node: the NIC writes it, the poller reads. */
		rc = rte_eth_rx_queue_setup(pid, q, rxd,
					    p->socket < 0 ? (unsigned)cx->poller_socket
							  : (unsigned)p->socket,
					    NULL, cx->rx_pool);
		if (rc < 0) {
			snprintf(err, errlen,
				 "port %s: cannot set up RX queue %u (%u descriptors): %s", p->name,
				 q, rxd, strerror(-rc));
			return rc;
		}
	}
	if (p->has_tx) {
		txconf = info.default_txconf;
		txconf.offloads = 0;
		rc = rte_eth_tx_queue_setup(pid, 0, txd, rte_socket_id(), &txconf);
		if (rc < 0) {
			cap_log(LOG_WARNING, "port %s: no TX queue for IGMP (%s): no reports sent",
				p->name, strerror(-rc));
			p->has_tx = false;
		}
	}
	if (p->lsc &&
	    rte_eth_dev_callback_register(pid, RTE_ETH_EVENT_INTR_LSC, link_changed, p) != 0) {
		p->lsc = false; /* polled then */
	}
	rte_eth_macaddr_get(pid, &p->mac);
	if (!p->qs) {
		p->qs = rte_zmalloc_socket("cap_qstats", sizeof(*p->qs) * p->nb_rxq,
					   RTE_CACHE_LINE_SIZE, cx->poller_socket);
	}
	if (!p->qs) {
		snprintf(err, errlen, "port %s: no hugepage memory for counters", p->name);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Flow control off unless asked: with PAUSE on, a backlog in the NIC turns into PAUSE frames
 * and the losses happen upstream, in a switch, where no counter of ours sees them.  Off, the
 * NIC drops and counts (imissed and the extended statistics).  A PMD that cannot change it is
 * reported, never fatal: the port still captures.
 */
static void set_flow_control(const struct capture_opts *o, struct cap_port *p)
{
	static const enum rte_eth_fc_mode modes[] = { RTE_ETH_FC_NONE, RTE_ETH_FC_RX_PAUSE,
						      RTE_ETH_FC_TX_PAUSE, RTE_ETH_FC_FULL };
	struct rte_eth_fc_conf fc;
	int rc;

	p->flow_control = -1;
	memset(&fc, 0, sizeof(fc));
	rc = rte_eth_dev_flow_ctrl_get(p->port_id, &fc);
	if (rc == 0 && fc.mode == modes[o->flow_control]) {
		p->flow_control = o->flow_control;
		return;
	}
	if (rc == 0) {
		fc.mode = modes[o->flow_control];
		rc = rte_eth_dev_flow_ctrl_set(p->port_id, &fc);
	}
	if (rc == 0) {
		p->flow_control = o->flow_control;
		return;
	}
	cap_log(o->flow_control == CAPTURE_FC_OFF ? LOG_INFO : LOG_WARNING,
		"port %s (%s): cannot set flow control %s (%s)%s", p->name, p->driver,
		capture_flow_control_name(o->flow_control), strerror(-rc),
		o->flow_control == CAPTURE_FC_OFF ? ": the PMD has none to turn off" : "");
}

/*
 * Layer-2 multicast filter: the exact MAC list where the PMD has one, else allmulticast.  With
 * IGMP on, the list also holds 01:00:5e:00:00:01 (224.0.0.1, all hosts): general queries go
 * there, and a NIC filtering exactly would drop them, so no report would answer the querier
 * and a snooping switch would stop forwarding the groups (seen on net_fcsim,mc_filter=1).
 */
static void program_multicast(struct cap_ctx *cx, struct cap_port *p)
{
	struct rte_ether_addr macs[CAPTURE_MAX_GROUPS + 1];
	uint32_t n = 0, i, j;
	int rc;

	for (i = 0; i <= (uint32_t)cx->o->ngroups; i++) {
		struct rte_ether_addr m;

		if (i < (uint32_t)cx->o->ngroups) {
			capture_group_mac(cx->o->groups[i].addr, m.addr_bytes);
		} else if (cx->igmp_on) {
			capture_group_mac(htonl(UINT32_C(0xe0000001)), m.addr_bytes);
		} else {
			break;
		}
		for (j = 0; j < n && !rte_is_same_ether_addr(&macs[j], &m); j++) {
		}
		if (j == n) {
			macs[n++] = m;
		}
	}
	if (n == 0) {
		return;
	}
	rc = rte_eth_dev_set_mc_addr_list(p->port_id, macs, n);
	if (rc == 0) {
		cap_log(LOG_INFO, "port %s: %u multicast MAC addresses programmed", p->name, n);
		return;
	}
	rc = rte_eth_allmulticast_enable(p->port_id);
	if (rc == 0) {
		p->allmulti = true;
		cap_log(LOG_INFO, "port %s: no multicast address filter, allmulticast enabled",
			p->name);
		return;
	}
	cap_log(LOG_WARNING,
		"port %s (%s): neither a multicast address filter nor allmulticast (%s): the groups arrive only if the port already receives them",
		p->name, p->driver, strerror(-rc));
}

int cap_ports_setup(struct cap_ctx *cx, char *err, size_t errlen)
{
	const struct capture_opts *o = cx->o;
	unsigned nb_mbufs = 0;
	uint16_t pid, q;
	int rc, i;

	RTE_ETH_FOREACH_DEV (pid) {
		if (cx->nports == CAP_MAX_PORTS) {
			snprintf(err, errlen, "more than %d ports: the ring records at most %d",
				 CAP_MAX_PORTS, CAP_MAX_PORTS);
			return -E2BIG;
		}
		cx->ports[cx->nports].idx = (uint8_t)cx->nports;
		cx->ports[cx->nports].kdrop_fd = -1;
		rc = plan_one(cx, &cx->ports[cx->nports], pid, err, errlen);
		if (rc < 0) {
			return rc;
		}
		nb_mbufs += (unsigned)cx->ports[cx->nports].nb_rxq *
			    ((unsigned)cx->ports[cx->nports].nb_rxd + CAP_BURST) * 2;
		cx->nports++;
	}
	if (cx->nports == 0) {
		snprintf(
			err, errlen,
			"no DPDK port: give --vdev ARGS, or a PCI NIC bound to vfio-pci (EAL -a ADDR after --)");
		return -ENODEV;
	}
	/* Enough mbufs to fill every RX ring, plus a burst in flight per queue and the
	 * per-lcore caches (counted above, twice over: a chained jumbo frame takes several). */
	nb_mbufs += 4096;
	if (o->mbufs) {
		nb_mbufs = (unsigned)cx->nports * o->mbufs;
	}
	cx->rx_pool = rte_pktmbuf_pool_create("cap_rx", nb_mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					      cx->poller_socket);
	if (!cx->rx_pool) {
		snprintf(
			err, errlen,
			"cannot create the RX mbuf pool (%u mbufs): %s; give the EAL more memory (-m)",
			nb_mbufs, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	cx->tx_pool = rte_pktmbuf_pool_create("cap_tx", 511, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					      cx->poller_socket);
	if (!cx->tx_pool) {
		snprintf(err, errlen, "cannot create the TX mbuf pool: %s",
			 rte_strerror(rte_errno));
		return -ENOMEM;
	}

	for (i = 0; i < cx->nports; i++) {
		rc = setup_one(cx, &cx->ports[i], err, errlen);
		if (rc < 0) {
			return rc;
		}
	}

	for (i = 0; i < cx->nports; i++) {
		struct cap_port *p = &cx->ports[i];

		rc = cap_flows_setup(cx, p, false, err, errlen);
		if (rc < 0) {
			return rc;
		}
		rc = rte_eth_dev_start(p->port_id);
		if (rc < 0) {
			snprintf(err, errlen, "port %s: cannot start: %s", p->name, strerror(-rc));
			return rc;
		}
		set_flow_control(o, p);
		if (o->promisc) {
			rc = rte_eth_promiscuous_enable(p->port_id);
			if (rc < 0) {
				cap_log(LOG_WARNING, "port %s: cannot enable promiscuous mode: %s",
					p->name, strerror(-rc));
			}
		}
		program_multicast(cx, p);
		rc = cap_flows_setup(cx, p, true, err, errlen);
		if (rc < 0) {
			return rc;
		}
		for (q = 0; q < p->nb_rxq; q++) {
			struct cap_pollq *pq;

			if (cx->npollq == CAP_MAX_POLLQ) {
				snprintf(err, errlen, "more than %d RX queues in all",
					 CAP_MAX_POLLQ);
				return -E2BIG;
			}
			pq = &cx->pollq[cx->npollq++];
			pq->port_id = p->port_id;
			pq->queue = q;
			pq->idx = p->idx;
			pq->sw_filter = p->sw_filter;
			pq->st = &p->qs[q];
		}
	}

	/* The PMDs register the timestamp field when they start; look it up once, here. */
	cx->ts_dynoff = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, NULL);
	rc = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, NULL);
	cx->ts_dynflag = rc >= 0 ? RTE_BIT64(rc) : 0;
	for (i = 0; i < cx->nports; i++) {
		struct cap_port *p = &cx->ports[i];

		uint64_t clk;

		if (p->ts_mode == CAP_TS_NIC && rte_eth_read_clock(p->port_id, &clk) != 0) {
			cap_log(LOG_WARNING,
				"port %s (%s): RX timestamps in NIC clock units, but the clock cannot be read (rte_eth_read_clock) to convert them: using the TSC",
				p->name, p->driver);
			p->ts_mode = CAP_TS_TSC;
		}
		if (p->ts_mode != CAP_TS_TSC && (cx->ts_dynoff < 0 || !cx->ts_dynflag)) {
			cap_log(LOG_WARNING,
				"port %s (%s): no RX timestamp field registered: using the TSC",
				p->name, p->driver);
			p->ts_mode = CAP_TS_TSC;
		}
	}
	for (i = 0; i < cx->nports; i++) {
		struct cap_port *p = &cx->ports[i];

		if (o->timestamp == CAPTURE_TS_TSC) {
			p->ts_mode = CAP_TS_TSC;
		} else if (o->timestamp == CAPTURE_TS_NIC && p->ts_mode == CAP_TS_TSC) {
			snprintf(
				err, errlen,
				"port %s (%s): --timestamp nic, but this port gives no RX timestamp feedcap can convert; use --timestamp auto or tsc",
				p->name, p->driver);
			return -ENOTSUP;
		}
	}
	for (i = 0; i < cx->npollq; i++) {
		cx->pollq[i].ts_mode = (uint8_t)cx->ports[cx->pollq[i].idx].ts_mode;
	}
	return 0;
}

void cap_ports_close(struct cap_ctx *cx)
{
	int i;

	for (i = 0; i < cx->nports; i++) {
		if (cx->ports[i].lsc) {
			rte_eth_dev_callback_unregister(cx->ports[i].port_id,
							RTE_ETH_EVENT_INTR_LSC, link_changed,
							&cx->ports[i]);
		}
		cap_flows_destroy(&cx->ports[i]);
		rte_eth_dev_stop(cx->ports[i].port_id);
		rte_eth_dev_close(cx->ports[i].port_id);
		if (cx->ports[i].kdrop_fd >= 0) {
			close(cx->ports[i].kdrop_fd);
			cx->ports[i].kdrop_fd = -1;
		}
	}
}

const char *cap_ts_mode_name(enum cap_ts_mode m)
{
	switch (m) {
	case CAP_TS_PMD_US:
		return "pmd-us";
	case CAP_TS_NIC:
		return "nic-clock";
	case CAP_TS_TSC:
	default:
		return "tsc";
	}
}

/* The node most of a mempool's memory is on, read back from the kernel. */
static int pool_node(struct rte_mempool *mp, int *on, int *sampled)
{
	struct rte_mempool_memhdr *hdr = STAILQ_FIRST(&mp->mem_list);

	if (!hdr) {
		return -ENOENT;
	}
	return capture_mem_node(hdr->addr, hdr->len, 2u << 20, on, sampled);
}

void cap_numa_report(struct cap_ctx *cx)
{
	const struct ringshm_ctl *c = cx->ctl;
	int rnode, pnode, on = 0, sampled = 0, pon = 0, psampled = 0, i;
	bool bad = false;

	rnode = capture_mem_node(c, c->ctl_size + c->capacity, c->page_size ? c->page_size : 4096,
				 &on, &sampled);
	pnode = pool_node(cx->rx_pool, &pon, &psampled);
	cap_log(LOG_NOTICE,
		"NUMA: poller CPU %d on node %d; ring on node %d (%d of %d pages sampled); mbuf pool on node %d (%d of %d)",
		cx->o->poller_lcore, cx->poller_socket, rnode, on, sampled, pnode, pon, psampled);
	if (rnode >= 0 && rnode != cx->poller_socket) {
		cap_log(LOG_WARNING,
			"the ring is on node %d, the poller on node %d: every write crosses the interconnect (a ring made before on another node keeps its pages: remove it and start again; else free hugepages on node %d)",
			rnode, cx->poller_socket, cx->poller_socket);
		bad = true;
	}
	if (pnode >= 0 && pnode != cx->poller_socket) {
		cap_log(LOG_WARNING,
			"the mbuf pool is on node %d, the poller on node %d: give the EAL memory on node %d (--socket-mem)",
			pnode, cx->poller_socket, cx->poller_socket);
		bad = true;
	}
	for (i = 0; i < cx->nports; i++) {
		if (cx->ports[i].socket >= 0 && cx->ports[i].socket != cx->poller_socket) {
			bad = true; /* main() says which port and what to do */
		}
	}
	if (!bad) {
		cap_log(LOG_INFO, "NUMA: everything the poller touches is on its node %d",
			cx->poller_socket);
	}
}
