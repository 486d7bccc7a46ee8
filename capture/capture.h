/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * capture.h - the parts of feedcap-capture that do not need DPDK: its command line, IGMP
 * message building and parsing, and the host checks.
 *
 * feedcap-capture itself (capture/main.c and the *_internal.h files) is a DPDK program: one
 * poller lcore drains every configured port and RX queue into a ringshm ring, the main lcore
 * is the control thread.  What is here is kept free of DPDK so that it can be unit tested and
 * reused by other tools (feedcap's config loader, feedcap-stat):
 *
 *	struct capture_opts o;
 *	char err[256];
 *	if (capture_opts_parse(&o, argc, argv, err, sizeof(err)) < 0) {
 *		fprintf(stderr, "feedcap-capture: %s\n", err);
 *		exit(2);
 *	}
 *
 *	uint8_t pkt[CAPTURE_IGMP_MAX_FRAME];
 *	size_t n = capture_igmp_build(pkt, sizeof(pkt), CAPTURE_IGMP_JOIN, 3, mac, src_ip,
 *				      o.groups, o.ngroups);
 *
 * Addresses in struct capture_group are in network byte order, UDP ports in host order.
 */
#ifndef CAPTURE_H
#define CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CAPTURE_MAX_VDEVS  16
#define CAPTURE_MAX_GROUPS 64
#define CAPTURE_MAX_EAL	   64

/* RX descriptors per queue when --rx-desc is not given: the PMD's maximum, up to this. */
#define CAPTURE_DEFAULT_RXD 4096
/* --mtu range: IPv4's minimum to the largest jumbo frame NICs take. */
#define CAPTURE_MIN_MTU 68
#define CAPTURE_MAX_MTU 9600

/* Ethernet flow control (PAUSE frames), --flow-control; the values of enum fcc_flow_control. */
enum capture_fc {
	CAPTURE_FC_OFF = 0,  /* neither honoured nor sent: a backlog is our loss, counted */
	CAPTURE_FC_RX = 1,   /* the port honours PAUSE from the link partner */
	CAPTURE_FC_TX = 2,   /* the port sends PAUSE when its buffers fill */
	CAPTURE_FC_FULL = 3, /* both */
};

/* Exit codes of every feedcap tool. */
#define CAPTURE_EXIT_OK	     0
#define CAPTURE_EXIT_FAILURE 1
#define CAPTURE_EXIT_USAGE   2

/* One multicast group to join: (source, group) for SSM, group alone for any-source. */
struct capture_group {
	uint32_t addr;	 /* group, network order, 224.0.0.0/4 */
	uint32_t source; /* source for IGMPv3 source-specific joins, network order; 0 = any */
	uint16_t port;	 /* UDP destination port the filter checks, host order; 0 = any */
};

struct capture_opts {
	const char *config; /* -c FILE */
	const char *ring;   /* --ring PATH or name */
	uint64_t ring_size; /* --ring-size, bytes, power of two; 0 = ringshm's default */
	int backing;	    /* --ring-backing, enum ringshm_backing */
	char *vdevs[CAPTURE_MAX_VDEVS]; /* point into argv */
	int nvdevs;
	const char *lcores; /* --lcores CONTROL,POLLER */
	int control_lcore;  /* parsed from lcores; -1 = default */
	int poller_lcore;   /* parsed from lcores; -1 = default */
	struct capture_group groups[CAPTURE_MAX_GROUPS];
	int ngroups;
	uint64_t count;		/* --count: stop after this many frames; 0 = never */
	double duration;	/* --duration seconds; 0 = never */
	uint32_t snaplen;	/* --snaplen; 0 = whole frame */
	uint16_t rxq;		/* --rx-queues per port */
	uint16_t rxd;		/* --rx-desc per queue */
	bool filter;		/* --filter-groups: keep only frames to the groups */
	int filter_offload;	/* --filter-offload: enum capture_offload */
	bool promisc;		/* --promisc */
	int igmp_version;	/* --igmp-version 2 or 3 */
	uint32_t igmp_source;	/* --igmp-source: IPv4 source of reports, network order */
	unsigned igmp_interval; /* --igmp-interval seconds between unsolicited reports, 0 off */
	bool no_igmp;		/* --no-igmp: program the filter but send no IGMP */
	bool strict;		/* --strict */
	bool check_host;	/* --check-host */
	bool help;		/* --help */
	bool version;		/* --version */
	int verbose;		/* -v, repeatable */
	char *pci[CAPTURE_MAX_VDEVS]; /* PCI devices from the config file (EAL -a) */
	int npci;
	uint32_t chunk_size;	     /* ring chunk size from the config file; 0 = automatic */
	const char *ring_group;	     /* ring file group from the config file; NULL = default */
	int timestamp;		     /* --timestamp: CAPTURE_TS_AUTO, _NIC or _TSC */
	const char *ptp_socket;	     /* --ptp-socket: ptp4l's management socket; NULL/"" = none */
	uint64_t clock_threshold_ns; /* |ptp offset| under which records are synchronised */
	uint64_t clock_holdover_ns;  /* holdover before unlocked */
	uint32_t mbufs;		     /* --mbufs per port; 0 = sized from the queues */
	uint16_t mtu;		     /* --mtu; 0 = the port's own default */
	int flow_control;	     /* --flow-control: enum capture_fc */
	uint64_t stats_interval_ns;  /* counters published this often (1 s) */
	bool check_config;	     /* --check-config */
	uint64_t given;		     /* which options the command line gave (config merging) */
	int eal_argc;		     /* EAL arguments after "--" */
	char **eal_argv;	     /* points into the argv given to capture_opts_parse() */
};

enum capture_offload {
	CAPTURE_OFFLOAD_AUTO = 0,    /* rte_flow where the PMD takes every rule, else software */
	CAPTURE_OFFLOAD_OFF = 1,     /* the poller filters, always */
	CAPTURE_OFFLOAD_REQUIRE = 2, /* rte_flow, or refuse to start */
};

enum capture_ts {
	CAPTURE_TS_AUTO = 0, /* the PMD's RX timestamp where there is one, else the TSC */
	CAPTURE_TS_NIC = 1,  /* the PMD's RX timestamp, or refuse to start */
	CAPTURE_TS_TSC = 2,  /* always the calibrated TSC */
};

/* The --help text (the man page's OPTIONS section mirrors it). */
extern const char capture_usage[];

/* Fill o with the defaults (no ring, IGMPv2, interval 60 s, 1 queue of 1024 descriptors). */
void capture_opts_init(struct capture_opts *o);

/*
 * capture_opts_parse - parse feedcap-capture's command line into o (capture_opts_init()
 * first).  Arguments after "--" are EAL arguments, kept in o->eal_argv.  Strings in o point
 * into argv.
 * @return 0, or -EINVAL with err naming the option and the value ("--ring-size: \"3G\" is
 *         not a power of two").
 */
int capture_opts_parse(struct capture_opts *o, int argc, char **argv, char *err, size_t errlen);

struct fcc_config;

/*
 * capture_opts_apply_config - fill every option the command line did not give from a loaded
 * and validated config file (feedcap.conf: its [capture] section, the ring it names and every
 * [port]).  Command-line options override the file.  Strings in o then point into cfg: keep
 * it until o is no longer used.
 * @return 0, or -EINVAL with err naming the file, key and problem (e.g. an IPv6 group).
 */
int capture_opts_apply_config(struct capture_opts *o, const struct fcc_config *cfg, char *err,
			      size_t errlen);

/*
 * capture_parse_size - "8G", "256M", "65536", "2MiB" to bytes (K, M, G, T are powers of 1024).
 * @return 0, or -EINVAL.
 */
int capture_parse_size(const char *s, uint64_t *out);

/* "off", "rx", "tx" or "full" into enum capture_fc.  @return 0 or -EINVAL. */
int capture_parse_flow_control(const char *s, int *out);

/* The name of an enum capture_fc value ("off", ...). */
const char *capture_flow_control_name(int fc);

/*
 * capture_parse_group - "239.1.1.1", "239.1.1.1:30001", "10.0.0.5@232.1.1.1:30001"
 * (source-specific).  @return 0, or -EINVAL with err saying what is wrong.
 */
int capture_parse_group(const char *s, struct capture_group *g, char *err, size_t errlen);

/*
 * capture_filter_match - whether an Ethernet frame (up to two VLAN tags) is an IPv4 packet to
 * one of the groups: destination address, source for a source-specific group, and UDP
 * destination port when the group has one.  Fragments after the first carry no UDP header:
 * they match on the addresses alone, so a datagram to the group is kept whole.
 */
bool capture_filter_match(const struct capture_group *groups, int ngroups, const uint8_t *frame,
			  uint32_t len);

/* ------------------------------------------------------------------ IGMP */

#define CAPTURE_IGMP_ALL_SYSTEMS  0xe0000001u /* 224.0.0.1, host order */
#define CAPTURE_IGMP_ALL_ROUTERS  0xe0000002u /* 224.0.0.2: IGMPv2 leaves */
#define CAPTURE_IGMP_V3_ROUTERS	  0xe0000016u /* 224.0.0.22: IGMPv3 reports */
#define CAPTURE_IGMP_MAX_FRAME	  1514
#define CAPTURE_IGMP_V3_PER_FRAME 32 /* group records per IGMPv3 report we build */

enum capture_igmp_kind {
	CAPTURE_IGMP_JOIN = 1,	 /* unsolicited report: state change to joined */
	CAPTURE_IGMP_ANSWER = 2, /* answer to a query: current state */
	CAPTURE_IGMP_LEAVE = 3,	 /* leave */
};

/*
 * capture_igmp_build - one Ethernet frame carrying an IGMP message about groups.
 * IGMPv2 (version 2): one group only (ngroups must be 1): a membership report to the group,
 * or a leave to 224.0.0.2.  IGMPv3 (version 3): a report to 224.0.0.22 with one group record
 * per group (at most CAPTURE_IGMP_V3_PER_FRAME): CHANGE_TO_EXCLUDE({}) / ALLOW_NEW_SOURCES(S)
 * to join, MODE_IS_EXCLUDE({}) / MODE_IS_INCLUDE(S) to answer, CHANGE_TO_INCLUDE({}) /
 * BLOCK_OLD_SOURCES(S) to leave.  The IPv4 header has TTL 1, TOS 0xc0 and the Router Alert
 * option (RFC 2113), as RFC 2236 and RFC 3376 require.
 * @return the frame length, or 0 if buf is too small or the arguments are invalid.
 */
size_t capture_igmp_build(uint8_t *buf, size_t buflen, enum capture_igmp_kind kind, int version,
			  const uint8_t src_mac[6], uint32_t src_ip,
			  const struct capture_group *groups, int ngroups);

/* What capture_igmp_parse_query() found in a frame. */
struct capture_igmp_query {
	uint32_t group;	      /* 0 for a general query, network order */
	uint32_t max_resp_ms; /* the query's Max Resp Time, in milliseconds */
	uint8_t version;      /* 1, 2 or 3 (from the message length and max resp field) */
};

/*
 * capture_igmp_is_query - cheap test for the poller: is this Ethernet frame (possibly with one
 * VLAN tag) an IPv4 IGMP membership query?  Reads only the headers inside len.
 */
bool capture_igmp_is_query(const uint8_t *frame, uint32_t len);

/*
 * capture_igmp_parse_query - decode a membership query (checks the IGMP checksum).
 * @return 0, or -EINVAL if the frame is not a valid query.
 */
int capture_igmp_parse_query(const uint8_t *frame, uint32_t len, struct capture_igmp_query *q);

/* Pack and unpack a query into one word, for the poller -> control thread rte_ring. */
uint64_t capture_igmp_query_pack(const struct capture_igmp_query *q, uint8_t port);
void capture_igmp_query_unpack(uint64_t w, struct capture_igmp_query *q, uint8_t *port);

/* The Internet checksum (RFC 1071) of len bytes, folded, not inverted. */
uint16_t capture_csum_fold(const void *data, size_t len);

/* Multicast MAC for an IPv4 group (network order). */
void capture_group_mac(uint32_t group, uint8_t mac[6]);

/* ------------------------------------------------------------------ host checks */

enum capture_check_status {
	CAPTURE_CHECK_OK = 0,
	CAPTURE_CHECK_WARN = 1, /* works, but not how a production host should be */
	CAPTURE_CHECK_FAIL = 2, /* cannot work as asked */
};

struct capture_check {
	const char *name; /* "isolcpus", "nohz_full", ... */
	enum capture_check_status status;
	char value[96]; /* what was found */
	char fix[160];	/* what to do about it (empty when OK) */
};

#define CAPTURE_MAX_CHECKS 32

/* Stages of the NIC's drops, from the PMD's extended statistics (xstats.c). */
enum capture_stage {
	CAPTURE_STAGE_DISCARD = 0,  /* discarded by the port before any queue (PHY, MAC) */
	CAPTURE_STAGE_MISSED = 1,   /* no RX descriptor */
	CAPTURE_STAGE_NOBUF = 2,    /* no mbuf */
	CAPTURE_STAGE_ERROR = 3,    /* a bad frame (CRC, length, oversize) */
	CAPTURE_STAGE_FILTERED = 4, /* dropped on purpose by a filter feedcap set up */
	CAPTURE_NSTAGES = 5,
};

/*
 * capture_xstat_stage - the stage of an extended statistic by its PMD name, or -1 when it is
 * not a drop counter (traffic counts, TX, PAUSE frames, ethdev's copies of rte_eth_stats).
 */
int capture_xstat_stage(const char *name);

/* "discard", "missed", "nobuf", "error", "filtered". */
const char *capture_stage_name(int stage);

/* Whether an extended statistic counts frames longer than the MTU (an "mtu" hint). */
bool capture_xstat_is_oversize(const char *name);

/* NUMA (numa.c).  root: "" or NULL for the real /sys, a directory for tests. */

/* The node of a CPU (its nodeN entry in sysfs), or -1 if unknown. */
int capture_cpu_node(const char *root, int cpu);

/* The node of a PCI device ("0000:3b:00.0" or "3b:00.0"), or -1 (none or unknown). */
int capture_pci_node(const char *root, const char *pci);

/*
 * capture_mem_node - the node most of [addr, addr + len) is on, asked of the kernel page by
 * page (move_pages(2), query mode; up to 64 pages sampled evenly; they must be faulted in).
 * *on_node: sampled pages on that node; *sampled: pages asked about.
 * @return the node, -ENOENT (no page present), or -errno of move_pages.
 */
int capture_mem_node(const void *addr, size_t len, size_t page, int *on_node, int *sampled);

/* Prefer node for this thread's next allocations (set_mempolicy); node < 0: the default. */
int capture_prefer_node(int node);

/*
 * capture_pick_cpus - default CPUs among cpus[] (ascending): the poller on node's last CPU, the
 * control thread on node's first (or anywhere else if node has one); node < 0 or none of
 * cpus[] on it: the first and the last CPU.  @return 0, or -ERANGE (fewer than 2 CPUs).
 */
int capture_pick_cpus(const char *root, const int *cpus, int ncpus, int node, int *control,
		      int *poller);

/* Characters of the ring's name kept in an EAL file prefix (the rest becomes a hash). */
#define CAPTURE_EAL_PREFIX_NAME 24

/*
 * capture_eal_prefix - the EAL --file-prefix of the capture into ring (a name or a path):
 * "feedcap-NAME" for a plain name of up to CAPTURE_EAL_PREFIX_NAME safe characters, else
 * "feedcap-SHORTENED-HASH" (the hash of the whole ring argument: two rings, two prefixes).
 * @return 0, or -1 if out is too small.
 */
int capture_eal_prefix(const char *ring, char *out, size_t outlen);

/*
 * capture_eal_defaults - the EAL arguments feedcap-capture adds to the user's (o->eal_argv):
 * --file-prefix from the ring unless the user gave one (prefix is then filled, else ""), and
 * --in-memory unless the user chose --in-memory, --huge-unlink or --no-huge.  add[] points at
 * string literals or at prefix, which must outlive the EAL's use of them.
 * @return the number of entries put in add (at most 3), or -1 (maxadd < 3, prefix too small).
 */
int capture_eal_defaults(const struct capture_opts *o, char *prefix, size_t prefixlen,
			 const char **add, int maxadd);

/*
 * capture_host_check - what matters on the host for a poller on CPU poller_cpu and a ring of
 * ring_size bytes: the poller CPU in isolcpus, nohz_full and rcu_nocbs, hugepages, transparent
 * hugepages, the CPU frequency governor, and what tuned's cpu-partitioning profile sets for an
 * isolated core: no device IRQ allowed on it, irqbalance stopped or banned from it,
 * kernel.nmi_watchdog 0, kernel.numa_balancing 0, vm.stat_interval >= 10, no idle state deeper
 * than 10 us, no swap.  Reads /proc, /sys and /etc under root (normally "").
 * @return the number of entries written to out (at most max).
 */
int capture_host_check(const char *root, int poller_cpu, uint64_t ring_size,
		       struct capture_check *out, int max);

/*
 * capture_numa_check - where the poller CPU, each PCI port and the ring's memory are, and
 * where the mbuf pool goes; a warning, with the fix, for anything off the poller's node.
 * ring_path is read (mapped read-only) only when it exists and root is "" (the real host).
 * @return the number of entries written to out (at most max).
 */
int capture_numa_check(const char *root, int poller_cpu, char *const *pci, int npci,
		       const char *ring_path, struct capture_check *out, int max);

/*
 * capture_cpulist_has - whether a kernel CPU list ("1-3,5", "" or "(null)") contains cpu.
 */
bool capture_cpulist_has(const char *list, int cpu);

/*
 * Privileges (privs.c).
 *
 * capture_ring_dir_check() refuses a ring directory that other users can write (mode o+w,
 * sticky bit or not: the sticky bit stops them removing the ring, not creating the name
 * first).  capture_ring_path_check() checks the directory holding @path.
 * @return 0; -EPERM for a directory others can write, -ENOENT, -ENOTDIR, -errno of stat();
 *         @err names the directory, its mode and the fix.
 */
int capture_ring_dir_check(const char *dir, char *err, size_t errlen);
int capture_ring_path_check(const char *path, char *err, size_t errlen);

/*
 * Drop every capability outside @keep (a mask of CAP_* bits) in every thread of the process,
 * clear the inheritable and ambient sets, set no_new_privs, lock the secure bits and shrink the
 * bounding set (these two when CAP_SETPCAP allows), then read every thread's
 * /proc/self/task/TID/status back.  Uses a real-time signal (SIGRTMIN + 5) whose handler stays
 * installed.  *@nthreads (if not NULL) gets how many threads were seen.
 * @return 0; -EPERM if a thread could not drop; -EAGAIN if threads kept appearing; -errno.
 */
int capture_drop_privileges(uint64_t keep, int *nthreads, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* CAPTURE_H */
