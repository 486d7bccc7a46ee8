/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * feedcap_config.h - feedcap's one configuration file, /etc/feedcap/feedcap.conf.
 *
 * The file is INI (parsed by inih, Debian's libinih): sections name what they configure,
 * named sections carry their name after a space:
 *
 *	[ring md]                       ; one section per ring; readers say --ring md
 *	size = 8G
 *
 *	[port a]                        ; one section per NIC port or DPDK virtual device
 *	device = 0000:3b:00.0           ; a PCI address, or vdev arguments (net_pcap0,rx_pcap=..)
 *
 *	[capture]                       ; the one capture process (feedcap-capture)
 *	ring = md
 *	poller_core = 2
 *	groups = 239.1.1.1:30001, 239.1.1.2:30002
 *
 *	[job archive]                   ; one reader job per section: feedcap-dump --job archive
 *	ring = md
 *	directory = /var/lib/feedcap/archive
 *
 *	[decoder mypitch]               ; a sequence decoder for feedcap-stat --gaps mypitch
 *	based_on = pitch
 *	session = none
 *
 *	[feed itch]                     ; an A/B feed feedcap-stat watches (feedcap-stat -c FILE)
 *	a = 239.1.1.1:30001
 *	b = 239.1.2.1:30001
 *	decoder = moldudp64
 *
 * Every key lives in one table (fcc_keys()) with its type, default, range and help text;
 * config/feedcap.conf.example and feedcap.conf(5) document the same table.  Unknown sections,
 * unknown keys, duplicate keys and duplicate section names are errors, never ignored.
 *
 * --check-config in one call (prints nothing itself):
 *
 *	char msg[FCC_ERROR_MAX];
 *	int rc = fcc_check(config_path, FCC_VALIDATE_CAPTURE, NULL, msg, sizeof(msg));
 *	fprintf(rc ? stderr : stdout, "%s\n", msg);
 *	return rc;                                              // 0, or 2 (FCC_EXIT_CONFIG)
 *
 * Running from the file (feedcap-capture -c FILE, feedcap-dump --job NAME):
 *
 *	struct fcc_error err;
 *	struct fcc_config *cfg = fcc_load(path, &err);
 *	if (!cfg) {
 *		char msg[FCC_ERROR_MAX];
 *		fcc_format_error(&err, msg, sizeof(msg));
 *		fprintf(stderr, "feedcap-dump: %s\n", msg);
 *		return FCC_EXIT_CONFIG;                         // 2
 *	}
 *	// command-line options override the file, validated by the same table, then the
 *	// checks across sections run again:
 *	if (fcc_set(cfg, "capture", "snaplen", optarg, &err) < 0) ...
 *	if (fcc_validate(cfg, FCC_VALIDATE_CAPTURE, &err) < 0) ...   // capture only
 *	const struct fcc_job *job = fcc_job_find(cfg, "archive", &err);
 *	const struct fcc_ring *ring = fcc_ring_find(cfg, job->ring, &err);
 *	...
 *	fcc_free(cfg);
 *
 * A program that runs without a file starts from fcc_new() (every default applied) and adds
 * what its options say with fcc_set() and fcc_ring_add()/fcc_port_add()/fcc_job_add().
 *
 * Libraries never print: every failure fills a struct fcc_error naming file, line, key and
 * problem; fcc_format_error() renders it as "FILE:LINE: KEY: problem".
 *
 * Lifetime: a struct fcc_config and every pointer into it are valid until fcc_free().  The
 * library keeps no global state; one config may be read from several threads at once but
 * changed (fcc_set, fcc_*_add, fcc_validate) by one thread only.
 */
#ifndef FEEDCAP_CONFIG_H
#define FEEDCAP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FCC_DEFAULT_PATH "/etc/feedcap/feedcap.conf"
#define FCC_EXIT_CONFIG	 2 /* exit code for a bad config or bad usage */

#define FCC_NAME_MAX	 32  /* ring, port and job names: [A-Za-z0-9_.-], 1..31 chars */
#define FCC_PATH_MAX	 256 /* paths */
#define FCC_TEXT_MAX	 512 /* filter expressions, vdev arguments */
#define FCC_ERROR_MAX	 768 /* enough for any fcc_format_error() output */
#define FCC_MAX_RINGS	 8
#define FCC_MAX_PORTS	 16
#define FCC_MAX_GROUPS	 256
#define FCC_MAX_JOBS	 64
#define FCC_MAX_DECODERS 32
#define FCC_MAX_FEEDS	 64
#define FCC_SPEC_MAX	 64 /* a decoder key's value (offsets, widths, rules) */
#define FCC_MAX_CPUS	 1024

/* Where a config error is.  line 0: not tied to a line (whole file, or the command line). */
struct fcc_error {
	char file[FCC_PATH_MAX]; /* as given to fcc_load(); "command line" for fcc_set() */
	unsigned line;		 /* 1-based; 0 if none */
	char key[64];		 /* "ring.size", "job.ring", ...; "" if none */
	char msg[FCC_TEXT_MAX];	 /* the problem and, where possible, what to write instead */
	unsigned count;		 /* errors found in the file (only the first is described) */
};

/* Same values as enum ringshm_backing, so callers may cast. */
enum fcc_backing {
	FCC_BACKING_AUTO = 0,	   /* hugetlbfs if a mount has room, else /dev/shm */
	FCC_BACKING_HUGETLBFS = 1, /* hugetlbfs, or fail */
	FCC_BACKING_SHM = 2,	   /* /dev/shm (tmpfs) */
	FCC_BACKING_FILE = 3,	   /* exactly ring.path */
};

struct fcc_ring {
	char name[FCC_NAME_MAX];
	uint64_t size;	     /* data area bytes, a power of two */
	uint32_t chunk_size; /* bytes, a power of two */
	enum fcc_backing backing;
	char path[FCC_PATH_MAX];  /* the ring file: ring.path, else ring.dir/NAME */
	char group[FCC_NAME_MAX]; /* group owning the ring file (readers' group) */
	unsigned line;		  /* line of the [ring NAME] header (0: not from a file) */
};

enum fcc_device_kind {
	FCC_DEVICE_PCI = 0,  /* device is a PCI address DDDD:BB:DD.F (domain optional) */
	FCC_DEVICE_VDEV = 1, /* device is a DPDK --vdev argument string */
};

struct fcc_port {
	char name[FCC_NAME_MAX];
	enum fcc_device_kind kind;
	char device[FCC_TEXT_MAX];
	uint16_t queues;	 /* RX queues (RSS) polled by the poller */
	uint16_t rx_descriptors; /* per queue */
	unsigned line;
};

/* One multicast group to join: [SOURCE@]GROUP[:PORT] (IPv6 with a port: [GROUP]:PORT). */
struct fcc_group {
	int family;	    /* AF_INET or AF_INET6 */
	uint8_t addr[16];   /* network byte order; IPv4 in the first 4 bytes */
	uint16_t port;	    /* UDP destination port, host order; 0 = any */
	bool has_source;    /* source-specific (IGMPv3/MLDv2 only) */
	uint8_t source[16]; /* network byte order, same family */
};

/* A CPU set independent of glibc's cpu_set_t (no _GNU_SOURCE needed to include this). */
struct fcc_cpuset {
	uint64_t bits[FCC_MAX_CPUS / 64];
};

enum fcc_filter { FCC_FILTER_OFF = 0, FCC_FILTER_GROUPS = 1 };
enum fcc_offload { FCC_OFFLOAD_AUTO = 0, FCC_OFFLOAD_OFF = 1, FCC_OFFLOAD_REQUIRE = 2 };
enum fcc_timestamp { FCC_TS_AUTO = 0, FCC_TS_NIC = 1, FCC_TS_TSC = 2 };
enum fcc_flow_control { FCC_FC_OFF = 0, FCC_FC_RX = 1, FCC_FC_TX = 2, FCC_FC_FULL = 3 };

struct fcc_capture {
	char ring[FCC_NAME_MAX]; /* the ring written; "" in the file = the only ring */
	unsigned ring_line;
	int poller_core;  /* the isolated core running the hot loop */
	int control_core; /* housekeeping core of the control thread */
	struct fcc_group groups[FCC_MAX_GROUPS];
	unsigned ngroups;
	unsigned igmp_version;		 /* 2 or 3 */
	enum fcc_filter filter;		 /* keep only frames to the groups (rte_flow or software) */
	enum fcc_offload filter_offload; /* where that filter runs */
	uint32_t snaplen;		 /* bytes kept per frame */
	enum fcc_timestamp timestamp;
	uint64_t clock_max_offset_ns;	    /* |ptp offset| above this: clock not synchronised */
	uint64_t clock_max_holdover_ns;	    /* unsynchronised after this long without ptp4l lock */
	char ptp_socket[FCC_PATH_MAX];	    /* ptp4l management socket; "" = do not ask ptp4l */
	uint32_t mbufs;			    /* mbuf pool size per port */
	uint16_t mtu;			    /* 0: the port's default */
	enum fcc_flow_control flow_control; /* Ethernet PAUSE frames */
	uint64_t stats_interval_ns;
	bool strict;	      /* refuse to start when a host check fails */
	unsigned line;	      /* line of the [capture] header (0: none in the file) */
	unsigned groups_line; /* line of the groups key (0: default or command line) */
};

enum fcc_format { FCC_FORMAT_PCAP = 0, FCC_FORMAT_PCAPNG = 1 };
enum fcc_compression { FCC_COMPRESSION_NONE = 0, FCC_COMPRESSION_ZSTD = 1 };
enum fcc_from { FCC_FROM_NEWEST = 0, FCC_FROM_OLDEST = 1, FCC_FROM_RESUME = 2 };
enum fcc_on_error { FCC_ON_ERROR_EXIT = 0, FCC_ON_ERROR_WAIT = 1 };

struct fcc_job {
	char name[FCC_NAME_MAX];
	char ring[FCC_NAME_MAX]; /* "" in the file = the only ring */
	unsigned ring_line;
	char filter[FCC_TEXT_MAX]; /* libpcap expression; "" = every frame */
	unsigned filter_line;	   /* so feedcap-dump can point at a bad expression */
	enum fcc_format format;
	enum fcc_compression compression;
	int compression_level;	      /* zstd level */
	unsigned zstd_threads;	      /* 0 = compress in the reader thread */
	char directory[FCC_PATH_MAX]; /* archive directory */
	char file_name[FCC_PATH_MAX]; /* strftime pattern in directory, WITHOUT extension:
				       * feedcap-dump adds .pcap or .pcapng, then .zst */
	uint64_t rotate_size;	      /* bytes; 0 = no size rotation (-C) */
	uint64_t rotate_interval_ns;  /* 0 = no time rotation (-G) */
	unsigned retention_files;     /* keep at most N files; 0 = all (-W) */
	uint64_t retention_age_ns;    /* delete files older than this; 0 = never */
	uint64_t retention_bytes;     /* keep at most this many bytes of archives; 0 = all */
	enum fcc_from from;
	enum fcc_on_error on_error;
	struct fcc_cpuset cpus; /* CPUs the job may run on */
	bool has_cpus;		/* false: no affinity set */
	unsigned line;
};

/*
 * [decoder NAME]: a sequence decoder for feedcap-stat and feedcap-replay.  The values are
 * kept as written; the readers (who know the decoders) give them meaning and, with the line
 * numbers, say where a value is wrong.  "" = not given.
 */
struct fcc_decoder {
	char name[FCC_NAME_MAX];
	char based_on[FCC_NAME_MAX];
	char seq[FCC_SPEC_MAX], count[FCC_SPEC_MAX], session[FCC_SPEC_MAX];
	char heartbeat[FCC_SPEC_MAX], heartbeat_next[FCC_SPEC_MAX], reset[FCC_SPEC_MAX];
	char end[FCC_SPEC_MAX], magic[FCC_SPEC_MAX], length[FCC_SPEC_MAX];
	char min_length[FCC_SPEC_MAX];
	unsigned based_on_line, seq_line, count_line, session_line, heartbeat_line,
		heartbeat_next_line, reset_line, end_line, magic_line, length_line, min_length_line;
	unsigned line;
};

/* [feed NAME]: an A/B pair of groups carrying the same packets, and their decoder. */
struct fcc_feed {
	char name[FCC_NAME_MAX];
	char a[FCC_SPEC_MAX], b[FCC_SPEC_MAX]; /* GROUP[:PORT] or [IPV6]:PORT */
	char decoder[FCC_NAME_MAX];
	unsigned a_line, b_line, decoder_line;
	unsigned line;
};

struct fcc_config {
	char path[FCC_PATH_MAX]; /* file loaded; "" for fcc_new() */
	struct fcc_ring rings[FCC_MAX_RINGS];
	unsigned nrings;
	struct fcc_port ports[FCC_MAX_PORTS];
	unsigned nports;
	struct fcc_capture capture;
	struct fcc_job jobs[FCC_MAX_JOBS];
	unsigned njobs;
	struct fcc_decoder decoders[FCC_MAX_DECODERS];
	unsigned ndecoders;
	struct fcc_feed feeds[FCC_MAX_FEEDS];
	unsigned nfeeds;
};

/**
 * fcc_load - read, parse and validate a config file (fcc_validate(cfg, 0)).
 * @path: the file; NULL = FCC_DEFAULT_PATH.
 * @err: filled on failure (may be NULL).
 * @return a new config (fcc_free() it), or NULL with errno: ENOENT/EACCES/... (cannot open:
 *         err names the file and the cause), EINVAL (the file is wrong: err says where and why),
 *         ENOMEM.
 */
struct fcc_config *fcc_load(const char *path, struct fcc_error *err);

/**
 * fcc_load_string - as fcc_load(), from text in memory; @name is the file name used in errors.
 */
struct fcc_config *fcc_load_string(const char *text, const char *name, struct fcc_error *err);

/**
 * fcc_new - an empty config (no ring, port or job) with every [capture] default applied.
 * @return the config, or NULL with errno ENOMEM.
 */
struct fcc_config *fcc_new(void);

/** fcc_free - release a config from fcc_load*() or fcc_new(); NULL is fine. */
void fcc_free(struct fcc_config *cfg);

/**
 * fcc_defaults - reset cfg to an empty config with every [capture] default applied (what
 * fcc_new() returns).  Ring, port and job defaults are applied by fcc_*_add().
 */
void fcc_defaults(struct fcc_config *cfg);

/**
 * fcc_ring_add, fcc_port_add, fcc_job_add - add a section NAME with every default applied,
 * as a [ring NAME] header with no keys would.
 * @return the new entry (valid until fcc_free()), or NULL with errno: EINVAL (bad name: err
 *         says which characters are allowed), EEXIST (already there), ENOSPC (too many).
 */
struct fcc_ring *fcc_ring_add(struct fcc_config *cfg, const char *name, struct fcc_error *err);
struct fcc_port *fcc_port_add(struct fcc_config *cfg, const char *name, struct fcc_error *err);
struct fcc_job *fcc_job_add(struct fcc_config *cfg, const char *name, struct fcc_error *err);

/**
 * fcc_set - set one key from text, checked exactly as in the file (command-line overrides).
 * @section: "capture", "ring NAME", "port NAME" or "job NAME"; a named section that does not
 *           exist yet is added with its defaults.
 * @return 0, or -EINVAL (err: file "command line", key and problem), -ENOSPC.
 */
int fcc_set(struct fcc_config *cfg, const char *section, const char *key, const char *value,
	    struct fcc_error *err);

#define FCC_VALIDATE_CAPTURE (1u << 0) /* also what feedcap-capture needs: >= 1 port, ... */

/**
 * fcc_validate - check what single keys cannot: references between sections (job.ring,
 * capture.ring name a ring; an empty ring key needs exactly one ring), distinct cores.
 * With FCC_VALIDATE_CAPTURE, also at least one ring and one port.  Fills empty ring keys.
 * @return 0, or -EINVAL with err.
 */
int fcc_validate(struct fcc_config *cfg, unsigned flags, struct fcc_error *err);

/**
 * fcc_ring_find, fcc_job_find, fcc_port_find - look a section up by name.
 * @err: may be NULL; when not found, says so and lists the names that exist.
 * @return the entry (valid until fcc_free()), or NULL with errno ENOENT.
 */
const struct fcc_ring *fcc_ring_find(const struct fcc_config *cfg, const char *name,
				     struct fcc_error *err);
const struct fcc_job *fcc_job_find(const struct fcc_config *cfg, const char *name,
				   struct fcc_error *err);
const struct fcc_port *fcc_port_find(const struct fcc_config *cfg, const char *name,
				     struct fcc_error *err);

/**
 * fcc_format_error - render err as it should be printed: "FILE:LINE: KEY: problem", without
 * the parts that are empty, plus " (and N more errors)" when the file had more than one.
 * @return the length snprintf() would have written.
 */
int fcc_format_error(const struct fcc_error *err, char *buf, size_t len);

/**
 * fcc_check - what --check-config does, in one call: load @path (NULL = FCC_DEFAULT_PATH),
 * fcc_validate() it with @flags, and when @job is not NULL check that [job JOB] exists.
 * @msg: set to what to print: the formatted first error (for stderr), or on success
 *       "FILE: OK (R rings, P ports, J jobs)" (for stdout).
 * @return 0 when valid, else FCC_EXIT_CONFIG (2) -- use it as the exit status.
 */
int fcc_check(const char *path, unsigned flags, const char *job, char *msg, size_t len);

/** fcc_cpuset_has - whether cpu is in set (false when out of range). */
bool fcc_cpuset_has(const struct fcc_cpuset *set, int cpu);
/** fcc_cpuset_count - how many CPUs are in set. */
unsigned fcc_cpuset_count(const struct fcc_cpuset *set);

/* The key table: what the parser accepts, what the docs and the example list. */
enum fcc_type {
	FCC_TYPE_STRING,   /* free text (a filter expression) */
	FCC_TYPE_NAME,	   /* a ring name: [A-Za-z0-9_.-]{1,31} */
	FCC_TYPE_PATH,	   /* an absolute path */
	FCC_TYPE_DEVICE,   /* a PCI address or DPDK vdev arguments */
	FCC_TYPE_SIZE,	   /* bytes with an optional K, M, G or T suffix (powers of 1024) */
	FCC_TYPE_DURATION, /* a number with ns, us, ms, s, m or h (bare number: seconds) */
	FCC_TYPE_BOOL,	   /* yes/no, true/false, on/off, 1/0 */
	FCC_TYPE_ENUM,	   /* one of the listed words */
	FCC_TYPE_INT,	   /* a decimal integer */
	FCC_TYPE_GROUPS,   /* multicast [SOURCE@]GROUP[:PORT], comma or space separated */
	FCC_TYPE_CPUS,	   /* a CPU list: 0,2-5,8 */
};

struct fcc_key {
	const char *section; /* "ring", "port", "capture", "job", "decoder" or "feed" */
	const char *name;    /* "size" */
	enum fcc_type type;
	const char *def;	   /* default as written in the file; "" = empty/none */
	int64_t min, max;	   /* INT, SIZE (bytes), DURATION (ns); max 0 = no limit */
	const char *const *values; /* ENUM: NULL-terminated list of the accepted words */
	const char *help;	   /* one or two sentences */
	bool required;		   /* must be set: no usable default */
};

/**
 * fcc_keys - the key table.
 * @count: set to the number of entries.
 * @return the table (static storage).
 */
const struct fcc_key *fcc_keys(size_t *count);

/** fcc_type_name - "size", "duration", ... for docs and messages. */
const char *fcc_type_name(enum fcc_type type);

#ifdef __cplusplus
}
#endif

#endif /* FEEDCAP_CONFIG_H */
