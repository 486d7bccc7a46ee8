/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * capture_internal.h - the DPDK side of feedcap-capture: what the poller and the control
 * thread share.  Never installed.
 *
 * Memory: struct cap_ctx and every counter the poller writes live in rte_zmalloc() memory
 * (hugepages) allocated and touched before the poller starts, so the hot loop takes no page
 * fault.  Ownership of every field is written next to it: "poller" fields are written only by
 * the poller lcore, "control" fields only by the main lcore; the other side reads them with
 * relaxed atomic loads (a counter read a little stale is harmless: the next second's read
 * catches up).
 */
#ifndef CAPTURE_INTERNAL_H
#define CAPTURE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>

#include "capture.h"
#include "xdpguard.h"
#include "ringshm.h"
#include "timesync.h"

#define CAP_BURST      32
#define CAP_MAX_PORTS  RINGSHM_MAX_PORTS
#define CAP_MAX_QUEUES 64
#define CAP_MAX_POLLQ  (CAP_MAX_PORTS * 4)

/*
 * The capabilities feedcap-capture keeps once started (a CAP_* bit mask): none.  Everything
 * that needs one (hugepages, VFIO, AF_PACKET sockets, mlock, the ring file in its group) is done
 * during start-up; docs/operations.md "Capabilities" lists what was tried at run time.
 */
#define CAPTURE_KEEP_CAPS UINT64_C(0)

struct rte_flow;
struct rte_mempool;
struct rte_ring;

/* How a port's frames get their time. */
enum cap_ts_mode {
	CAP_TS_TSC = 0,	   /* TSC once per burst, through the calibrated TSC model */
	CAP_TS_PMD_US = 1, /* the PMD's dynfield in microseconds since the epoch (net_pcap) */
	CAP_TS_NIC = 2,	   /* the PMD's dynfield in its NIC clock's units, through the port's
			    * NIC clock model (rte_eth_read_clock() fitted to CLOCK_REALTIME) */
};

/* One RX queue's counters: written by the poller only, one cache line each. */
struct cap_qstats {
	_Atomic uint64_t frames;   /* frames written to the ring */
	_Atomic uint64_t bytes;	   /* their wire bytes */
	_Atomic uint64_t filtered; /* frames the group filter dropped */
	_Atomic uint64_t truncated;
	_Atomic uint64_t bursts;      /* non-empty bursts */
	_Atomic uint64_t ts_fallback; /* frames whose NIC time was refused (TSC time used) */
	_Atomic uint8_t ts_domain;    /* enum ringshm_ts_domain of the last burst */
} __rte_cache_aligned;

/*
 * The bound a NIC timestamp must keep against the TSC time of the burst that delivered it
 * (docs/timing.md, "Checking NIC times").  A frame cannot have arrived after the poll that
 * returned it: its NIC time may be later than the burst's TSC time only by the two models'
 * errors (AHEAD).  It may be earlier by as long as a frame can wait in the RX ring: a full
 * 4096-descriptor ring at 1 Mpps, or the poller preempted on a shared core (BEHIND).
 */
#define CAP_TS_AHEAD_NS	 50000ull    /* 50 us */
#define CAP_TS_BEHIND_NS 20000000ull /* 20 ms */

/* One port as set up at start (control thread; read-only afterwards). */
struct cap_port {
	uint16_t port_id;
	uint16_t nb_rxq;
	uint16_t nb_rxd;  /* RX descriptors per queue, as set up */
	uint16_t mtu;	  /* as configured (the port's default unless --mtu) */
	bool scatter;	  /* RX scatter on: only for an MTU over the mbuf size */
	bool ts_offload;  /* RTE_ETH_RX_OFFLOAD_TIMESTAMP on: only while NIC times are used */
	int flow_control; /* enum capture_fc in effect, or -1 when the PMD cannot say */
	bool has_tx;	  /* a TX queue for IGMP */
	bool allmulti;	  /* fell back to allmulticast */
	uint8_t idx;	  /* index in the ring's ports[] and in records */
	enum cap_ts_mode ts_mode;
	int socket;
	char name[RTE_ETH_NAME_MAX_LEN];
	char driver[32];
	struct rte_ether_addr mac;
	struct cap_qstats *qs;	     /* nb_rxq entries */
	unsigned if_index;	     /* kernel interface (net_af_packet), 0 if none */
	int pkt_fds[CAP_MAX_QUEUES]; /* the PMD's AF_PACKET sockets (control thread reads drops) */
	int npkt_fds;
	uint64_t sock_drops;	      /* drops those sockets reported (control thread) */
	int kdrop_fd;		      /* net_af_xdp: the interface's sysfs rx_dropped, or -1 */
	uint64_t kdrop_base;	      /* its value before the port's queues were set up */
	uint64_t kdrop;		      /* its growth since (control thread) */
	struct timesync_fit *nic_fit; /* CAP_TS_NIC: NIC clock -> CLOCK_REALTIME (control) */
	uint64_t rss_hf;	      /* RSS hash types configured (nb_rxq > 1) */
	/* The group filter (--filter-groups): rte_flow rules on the NIC, or the poller. */
	bool sw_filter; /* the poller checks this port's frames against the groups */
	int nflows;	/* rte_flow rules installed (0: none, software filter) */
	struct rte_flow *flows[CAPTURE_MAX_GROUPS + 4];
	struct rte_flow *catchall;    /* the lowest-priority rule: COUNT + DROP */
	_Atomic uint64_t hw_filtered; /* its hits (control thread; telemetry reads) */
	/* Link state: LSC interrupts where the PMD has them, else polled by the control thread. */
	bool lsc;		  /* the PMD signals link changes (RTE_ETH_EVENT_INTR_LSC) */
	_Atomic bool link_event;  /* set by the LSC callback (interrupt thread) */
	int link;		  /* -1 unknown, 0 down, 1 up (control thread) */
	uint64_t link_down_since; /* CLOCK_REALTIME ns of the current outage (control) */
	uint32_t link_downs;	  /* outages since start (control) */
	uint64_t link_down_ns;	  /* finished outages' total (control) */
};

/* One (port, queue) the poller drains. */
struct cap_pollq {
	uint16_t port_id;
	uint16_t queue;
	uint8_t idx;
	uint8_t ts_mode;
	uint8_t ts_domain; /* enum ringshm_ts_domain of the last NIC-timed burst (poller) */
	bool sw_filter;	   /* copy of the port's */
	struct cap_qstats *st;
};

/*
 * A request from the control thread for the poller to write a marker record (LOSS, CLOCK):
 * markers go in-band, between the frames, and only the poller writes the ring.  The control
 * thread fills type/len/payload only when done == seq (the previous one is written), then
 * release-stores seq + 1; the poller acquire-loads seq, writes the record, release-stores done.
 */
struct cap_marker_box {
	_Atomic uint64_t seq;
	_Atomic uint64_t done;
	uint32_t type;
	uint32_t len;
	uint8_t payload[RINGSHM_CLOCK_BLOCK_SIZE];
};

enum { CAP_BOX_LOSS = 0, CAP_BOX_CLOCK = 1, CAP_BOX_LINK = 2, CAP_NBOX = 3 };

struct cap_ctx {
	/* set up before the poller starts, read-only afterwards */
	const struct capture_opts *o;
	struct ringshm *ring;
	struct ringshm_ctl *ctl;
	struct cap_port ports[CAP_MAX_PORTS];
	int nports;
	struct cap_pollq pollq[CAP_MAX_POLLQ];
	int npollq;
	struct rte_mempool *rx_pool;
	struct rte_mempool *tx_pool;
	struct rte_ring *igmp_q; /* poller -> control: packed IGMP queries */
	int ts_dynoff;		 /* RX timestamp dynfield offset, -1 if none */
	uint64_t ts_dynflag;	 /* its mbuf flag, 0 if none */
	uint32_t snaplen;	 /* effective: min(--snaplen, ring's max cap_len) */
	bool igmp_on;		 /* hand queries to the control thread */
	bool filter;
	uint64_t count; /* stop after this many frames, 0 = never */
	uint64_t tsc_hz;
	int poller_socket; /* NUMA node of the poller's CPU: its memory goes there */

	/* clock: control stores, poller refreshes its copy once per burst */
	struct timesync_cell tsc_cell;
	/* TAI - UTC in ns, from ptp4l's TIME_PROPERTIES when the PHC runs the PTP timescale; 0
	 * otherwise.  Subtracted from real-time NIC stamps.  Control stores, poller loads. */
	_Atomic int64_t phc_tai_ns;
	struct timesync_cell nic_cell[CAP_MAX_PORTS]; /* CAP_TS_NIC ports' models, by idx */

	/* control -> poller */
	_Atomic bool quit;
	struct cap_marker_box box[CAP_NBOX] __rte_cache_aligned;

	/* poller -> control */
	_Atomic bool poller_done __rte_cache_aligned;
	_Atomic int poller_tid;
	_Atomic uint64_t poller_loops;	  /* advances while the loop runs (watchdog) */
	_Atomic uint64_t captured;	  /* frames written, all queues */
	_Atomic uint64_t igmp_queries;	  /* queries handed over */
	_Atomic uint64_t igmp_q_full;	  /* queries lost: the hand-over ring was full */
	_Atomic uint64_t markers_written; /* LOSS records */
};

/* poller.c: the lcore function (rte_eal_remote_launch). */
/*
 * cap_eal_init - rte_eal_init(), with the EAL's own reason on failure: why gets the first
 * error line the EAL logged (the real cause, e.g. a config lock another primary holds, where
 * rte_errno says "Success"), naming prefix when it is a lock conflict.
 * @return what rte_eal_init() returned (>= 0), -EINVAL (bad EAL arguments) or -EIO.
 */
int cap_eal_init(int argc, char **argv, const char *prefix, char *why, size_t whylen);

/* rte_eal_cleanup(); the EAL's runtime directory goes at exit if it is left empty. */
void cap_eal_cleanup(void);

int cap_poller_main(void *arg);

/* port.c: set up, start and program every probed port; fill cx->ports and cx->pollq. */
int cap_ports_setup(struct cap_ctx *cx, char *err, size_t errlen);
/* Log where the ring, the mbuf pool and the ports are against the poller's node (read back). */
void cap_numa_report(struct cap_ctx *cx);
void cap_ports_close(struct cap_ctx *cx);
/*
 * flows.c: the group filter as rte_flow rules on a port.  cap_flows_setup() before the port
 * starts and again after (a PMD may take rules only on a started port); cap_flows_destroy()
 * before it closes.  @return (setup) 0, filtered on the NIC or not, or -ENOTSUP with err filled
 * when --filter-offload require could not be met.
 */
int cap_flows_setup(struct cap_ctx *cx, struct cap_port *p, bool started, char *err, size_t errlen);
void cap_flows_destroy(struct cap_port *p);
/* flows.c: the hits of each port's catch-all flow rule into hw_filtered (control thread). */
void cap_flows_count(struct cap_ctx *cx);
int cap_read_counter(int fd, uint64_t *v);
const char *cap_ts_mode_name(enum cap_ts_mode m);

/*
 * control.c: the control thread.  cap_control_init() before the poller starts (clock model,
 * telemetry, ring ports); cap_control_run() until a signal, --count or --duration, with the
 * poller running; cap_control_finish() after the poller stopped (final counters, leaves).
 */
int cap_control_init(struct cap_ctx *cx, char *err, size_t errlen);
int cap_control_run(struct cap_ctx *cx, unsigned poller_lcore);
void cap_control_finish(struct cap_ctx *cx);

/* main.c: log to stderr at a syslog level, if -v allows it (LOG_NOTICE and more urgent by
 * default, LOG_INFO with -v, LOG_DEBUG with -vv). */
extern int cap_log_level;
void cap_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define cap_log(level, ...)                                                                        \
	do {                                                                                       \
		if ((level) <= cap_log_level) {                                                    \
			(cap_log)((level), __VA_ARGS__);                                           \
		}                                                                                  \
	} while (0)

#endif /* CAPTURE_INTERNAL_H */
