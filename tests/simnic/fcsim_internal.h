/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fcsim_internal.h - what the simulated NIC's device (fcsim.c) and its flow engine
 * (fcsim_flow.c) share.  A test fixture: see README.md in this folder.
 *
 * Locking: one spinlock per device (struct fcsim_dev.lock) guards the frame stream, the RX
 * queues' descriptor FIFOs, the flow rules and their counters.  rx_burst takes it for one
 * burst, the flow operations and stats_get for their update; nothing under it sleeps or makes
 * a system call, so an rx_burst racing a flow_create on another thread waits at most for a
 * burst.  TX has its own lock (the tx_pcap file is written under it).
 */
#ifndef FCSIM_INTERNAL_H
#define FCSIM_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <rte_ether.h>
#include <rte_spinlock.h>

#define FCSIM_MAX_QUEUES   8
#define FCSIM_MAX_MC	   64 /* multicast addresses set_mc_addr_list keeps */
#define FCSIM_MAX_PRIO	   7  /* flow rule priorities 0 (first) to 7 */
#define FCSIM_RSS_KEY_LEN  40
#define FCSIM_PROBE_LEN	   74 /* Ethernet 14 + IPv4 20 + UDP 8 + payload 32 */
#define FCSIM_PROBE_PAYOFF 42 /* where the probe payload starts */
#define FCSIM_NXSTATS	   6  /* xstats the device reports (fcsim.c: fcsim_xstat_names) */

struct rte_eth_dev;
struct rte_flow;
struct rte_flow_ops;
struct rte_mempool;

/* The devargs (README.md has the table). */
struct fcsim_args {
	char rx_pcap[PATH_MAX];
	char tx_pcap[PATH_MAX];
	uint64_t loop;
	bool pace;
	uint64_t probe_n;
	uint32_t probe_dst; /* network order */
	uint16_t probe_port;
	double pps;
	double clock_hz;
	double ppm;
	uint64_t clock_start;
	bool ts;
	uint32_t rx_ring; /* 0: lossless (back-pressure), else drop beyond N and count imissed */
	bool mac_set;
	struct rte_ether_addr mac;
	bool mc_filter;
	bool flow;
	bool flow_count;
	uint32_t flow_max; /* 0: no limit */
	/* what a real NIC does that feedcap must handle (README.md: "Real-NIC behaviour") */
	char conf_out[PATH_MAX]; /* the configuration the application chose, as key=value */
	int fc;			 /* flow control at probe: enum rte_eth_fc_mode */
	bool scatter;		 /* offer RTE_ETH_RX_OFFLOAD_SCATTER */
	bool mtu_drop;		 /* the MAC drops frames over the MTU: rx_oversize_packets */
	uint64_t discard;	 /* every Nth wire frame dropped at the PHY: rx_discards_phy */
	bool xstats_cor;	 /* xstats clear on read, as some NICs' registers do */
	bool lsc;		 /* offer link-state-change interrupts */
	uint64_t flap_at_ms;	 /* the link goes down this long after the first start ... */
	uint64_t flap_ms;	 /* ... for this long (0: never) */
	uint64_t flap_n;	 /* ... this many times, flap_every_ms apart */
	uint64_t flap_every_ms;
	bool ts_ns;		/* RX timestamps in PHC nanoseconds (a real-time clock) */
	bool clock_host;	/* read_clock returns host CLOCK_REALTIME ns, not the NIC's */
	uint64_t jump_at_ms;	/* the NIC clock jumps this long after the first start ... */
	int64_t jump_ns;	/* ... by this much (0: never) */
	char jump_on[PATH_MAX]; /* ... or this long after this file appears (jump_on=) */
	uint64_t jump_read;	/* ... or after the Nth read_clock, from 1 (jump_read=) */
};

/* The header fields of one frame the RSS hash, the multicast filter and the rules look at. */
struct fcsim_hdrs {
	struct rte_ether_addr dst, src;
	uint16_t type; /* outer EtherType, host order */
	bool ipv4;
	bool udp; /* UDP with its header: not a non-first fragment, not cut short */
	uint8_t proto;
	uint32_t sip, dip;     /* network order */
	uint16_t sport, dport; /* network order, when udp */
	uint32_t len;	       /* frame bytes */
};

/* One RX queue: the descriptor ring is a FIFO of frame references (see fcsim.c). */
struct fcsim_rxq {
	struct fcsim_dev *dev;
	struct rte_mempool *mp;
	uint64_t *fifo;
	uint32_t cap, head, count;
	uint16_t qid;
	uint16_t nb_desc; /* as the application asked (cap differs with rx_ring=) */
	uint64_t ipackets, ibytes;
};

struct fcsim_txq {
	struct fcsim_dev *dev;
	uint16_t qid;
	uint64_t opackets, obytes; /* this queue's TX lcore only; read by stats_get */
};

/* A flow rule: what it matches (values already masked, network order) and what it does. */
enum fcsim_fate { FCSIM_FATE_NONE = 0, FCSIM_FATE_QUEUE, FCSIM_FATE_RSS, FCSIM_FATE_DROP };

struct rte_flow {
	TAILQ_ENTRY(rte_flow) next;
	uint32_t prio;
	uint64_t seq; /* creation order: equal priorities match first created first */
	struct rte_ether_addr eth_dst, eth_dst_m, eth_src, eth_src_m;
	uint16_t eth_type, eth_type_m;
	bool want_ipv4, want_udp;
	uint32_t sip, sip_m, dip, dip_m;
	uint8_t proto, proto_m;
	uint16_t sport, sport_m, dport, dport_m;
	enum fcsim_fate fate;
	uint16_t queues[FCSIM_MAX_QUEUES]; /* QUEUE: one; RSS: the list */
	uint16_t nqueues;
	bool count;
	uint64_t hits, bytes;
};

TAILQ_HEAD(fcsim_flow_list, rte_flow);

struct fcsim_frame {
	uint64_t off; /* in fcsim_dev.store */
	uint64_t t;   /* ns after the file's first frame (pace=1) */
	uint32_t len;
};

/* The device's private data (rte_eth_dev.data->dev_private). */
struct fcsim_dev {
	struct fcsim_args a;
	struct rte_eth_dev *eth;
	rte_spinlock_t lock;
	struct rte_ether_addr mac;
	uint8_t rss_key[FCSIM_RSS_KEY_LEN];

	/* the frames of rx_pcap, read at probe */
	uint8_t *store;
	struct fcsim_frame *frames;
	uint32_t nframes;
	uint64_t span; /* pace=1: ns from one loop's first frame to the next loop's */
	/* the probe frames' headers; the payload is written at delivery */
	uint8_t probe_tmpl[FCSIM_PROBE_LEN];
	struct fcsim_hdrs probe_hdrs;

	/* the stream (under lock): pcap frames first come first, probes when due */
	uint64_t pcap_next;  /* of nframes * loop */
	uint64_t probe_next; /* of probe_n */
	uint64_t probe_t0;   /* CLOCK_MONOTONIC_RAW ns of the first start */
	bool started_once;
	bool started;

	/* the NIC clock: ticks = clock_start + (raw - clock_t0) * rate_num / 1e18 */
	uint64_t clock_t0;
	__int128 rate_num;

	/* RX timestamps: registered once the application enabled the offload */
	bool ts_on;
	int ts_off;
	uint64_t ts_flag;

	struct fcsim_rxq *rxq[FCSIM_MAX_QUEUES];
	struct fcsim_txq *txq[FCSIM_MAX_QUEUES];

	/* counters (under lock) */
	uint64_t imissed, ierrors, mc_filtered, flow_dropped;
	uint64_t discards_phy, oversize, link_dropped, wire_seen;
	uint64_t xs_read[FCSIM_NXSTATS];  /* xstats_cor: the counts last read (registers cleared) */
	uint64_t xs_total[FCSIM_NXSTATS]; /* xstats_cor: the driver's totals, updated unlocked */
	int xs_reader;			  /* xstats_cor: the first thread that read them */
	bool xs_warned;			  /* ... and a second one was reported */

	/* link (lock-free flag: rx_burst reads it, the alarm thread writes it) */
	bool link_down;
	uint64_t flaps_done;
	/* the PHC in ns: real-time at clock_t0, for ts_ns and clock_host */
	uint64_t real_t0;
	/* jump=: the clock reads stepped from this CLOCK_MONOTONIC_RAW ns on (UINT64_MAX: not
	 * yet).  Written once (the first dev_start; with jump_on= an rx_burst, under lock; with
	 * jump_read= the Nth read_clock), read without the lock by read_clock and rx_burst:
	 * __atomic, one word, nothing else published with it. */
	uint64_t jump_from;
	/* jump_on=: when the step is due, once the file appeared (0: not yet).  The alarm
	 * thread writes it, rx_burst reads it (__atomic). */
	uint64_t jump_due;
	/* jump_read=: read_clock calls so far (__atomic: any thread may read the clock) */
	uint64_t reads;
	/* flow control as the application set it (enum rte_eth_fc_mode) */
	int fc_mode;

	/* layer 2 */
	struct rte_ether_addr mc[FCSIM_MAX_MC];
	uint32_t nmc;

	/* flow engine (under lock) */
	struct fcsim_flow_list flows;
	uint32_t nflows;
	uint64_t flow_seq;

	/* TX capture */
	rte_spinlock_t tx_lock;
	void *tx_pcap;	 /* pcap_t * (dead, for the dumper) */
	void *tx_dumper; /* pcap_dumper_t * */
};

/* fcsim_flow.c */
extern const struct rte_flow_ops fcsim_flow_ops;
/*
 * The rule that decides a frame's fate (under lock): the first matching one in priority, then
 * creation order; NULL when none matches (default RSS).  The caller counts the hit once the
 * frame's fate is final (a frame held back by a full FIFO is matched again later).
 */
struct rte_flow *fcsim_flow_match(struct fcsim_dev *d, const struct fcsim_hdrs *h);
/* Remove every rule (under lock, or when no other thread can run). */
void fcsim_flow_free_all(struct fcsim_dev *d);

extern int fcsim_logtype;
#define FCSIM_LOG(level, fmt, ...)                                                                 \
	rte_log(RTE_LOG_##level, fcsim_logtype, "net_fcsim: " fmt "\n", ##__VA_ARGS__)

#endif /* FCSIM_INTERNAL_H */
