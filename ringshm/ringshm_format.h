/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringshm_format.h - the on-memory format of a feedcap ring file.
 *
 * A ring file is a format, not just a set of structs: a reader written in another language
 * must be able to follow it from this comment and docs/ring-format.md alone.  All integers are
 * little-endian (the producer and its readers share one host), all offsets are from the start
 * of the file, and nothing is packed: every field sits at its natural alignment, which the
 * static_asserts at the bottom pin down.
 *
 *   offset 0                      struct ringshm_ctl        (control area, ctl_size bytes,
 *                                  identity, cursors,         a multiple of 2 MiB)
 *                                  counters, clock block,
 *                                  ports, chunk index[]
 *   ctl_size                      data area, capacity bytes (a power of two), cut into
 *                                  chunks of chunk_size bytes (a power of two)
 *
 * Who writes what, and with which memory order:
 *   - identity line: the producer, once at create; `version_major` is stored LAST with a
 *     release store.  A reader load-acquires it and waits (bounded) while it is 0.
 *   - cursor line (`claim`, `head`, `next_seq`): the producer only.
 *       `claim` is the end of the chunk the producer is writing in.  It is stored (relaxed,
 *       followed by a release fence) BEFORE the first byte of that chunk is overwritten, so a
 *       reader that saw overwritten bytes and then loads `claim` after an acquire fence sees
 *       the new value.
 *       `next_seq` is stored (relaxed) and then `head` is stored with a release store, once per
 *       burst: every byte below `head` belongs to a complete record.
 *   - counters, ports, heartbeat, state: the producer process (poller or control thread),
 *     relaxed stores of aligned 64-bit values; readers take relaxed snapshots.
 *   - clock block: the producer's control thread, under the seqlock `clock_seq` (odd while a
 *     write is in progress), as the vDSO does.
 *   - chunk index: the poller, when it starts a chunk: `first_ts` relaxed, then `chunk_pos` with
 *     a release store.  A reader load-acquires `chunk_pos`, reads `first_ts`, and trusts it only
 *     if the chunk is still inside the valid window afterwards.
 *
 * Positions are 64-bit byte counts that only grow: the record at position p lives at file
 * offset ctl_size + (p & (capacity - 1)).  A record never crosses a chunk boundary; when the
 * next record does not fit in the rest of a chunk, a PAD record fills the rest, so every chunk
 * starts with a record and a lapped reader resynchronises at a chunk start.
 *
 * A reader's record at position p is valid only if, after using it, an acquire fence and a load
 * of `claim` give claim <= p + capacity.  Otherwise the producer may have overwritten it.
 *
 * Sequence numbers start at 1 in a new file.  A restarted producer (a new epoch) turns the
 * never-published bytes [head, claim) into PAD records (one at head, one at every chunk start
 * below claim), then continues at position `claim` with sequence `next_seq`, beginning with an
 * EPOCH record: readers need no special case.  docs/ring-format.md is the full specification.
 */
#ifndef RINGSHM_FORMAT_H
#define RINGSHM_FORMAT_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

/* The 8 bytes "FCRING01" as they appear at offset 0, read as a little-endian integer. */
#define RINGSHM_MAGIC UINT64_C(0x3130474e49524346)

/* A reader refuses any other major; minors only add fields in reserved space. */
#define RINGSHM_VERSION_MAJOR 1
#define RINGSHM_VERSION_MINOR 2

#define RINGSHM_CACHELINE	 64
#define RINGSHM_REC_ALIGN	 32	/* every record starts on a 32-byte boundary */
#define RINGSHM_REC_HDR_SIZE	 32	/* sizeof(struct ringshm_rec_hdr) */
#define RINGSHM_MAX_CAPLEN	 65535u /* cap_len and wire_len are 16-bit */
#define RINGSHM_MAX_PORTS	 16
#define RINGSHM_CLOCK_BLOCK_SIZE 1024	    /* opaque to ringshm, laid out by timesync */
#define RINGSHM_CTL_ALIGN	 (2u << 20) /* control area is a whole number of 2 MiB pages */

/* Record types.  Every record but PAD takes one sequence number. */
enum ringshm_rec_type {
	RINGSHM_REC_FRAME = 1, /* a captured frame: cap_len bytes of it follow the header */
	RINGSHM_REC_PAD = 2,   /* fills the rest of the chunk; no payload, no sequence number */
	RINGSHM_REC_LOSS = 3,  /* the capture itself lost frames: struct ringshm_loss_payload */
	RINGSHM_REC_CLOCK = 4, /* the clock state changed: a copy of the clock block */
	RINGSHM_REC_EPOCH = 5, /* first record of a producer epoch: struct ringshm_epoch_payload */
};

/* Record flags: timestamp source and quality, and frame properties. */
#define RINGSHM_F_TS_SRC_MASK	0x0007u
#define RINGSHM_F_TS_SRC_NONE	0x0000u /* no timestamp could be taken */
#define RINGSHM_F_TS_SRC_TSC	0x0001u /* CPU TSC, read once per burst, through the TSC model */
#define RINGSHM_F_TS_SRC_NIC	0x0002u /* the NIC's RX timestamp, through that port's model */
#define RINGSHM_F_TS_SRC_SYS	0x0003u /* clock_gettime(CLOCK_REALTIME) (control thread only) */
#define RINGSHM_F_TS_SRC_PMD_US 0x0004u /* PMD field in microseconds (net_pcap): us precision */
#define RINGSHM_F_TS_SYNC	0x0008u /* the clock was synchronised within the threshold */
#define RINGSHM_F_TS_HOLDOVER	0x0010u /* the clock was in holdover when the frame came */
#define RINGSHM_F_TS_STEPPED	0x0020u /* the system clock stepped near this record */
#define RINGSHM_F_TRUNCATED	0x0040u /* cap_len < wire_len: cut by the snap length */
#define RINGSHM_F_WIRE_CLAMPED	0x0080u /* the wire length was over 65535 and is clamped */
#define RINGSHM_F_TS_FALLBACK                                                                      \
	0x0100u /* the NIC's time was refused (it disagreed with the
					 * TSC beyond the bound): the TSC's is used */

/*
 * Record header, 32 bytes, at a 32-byte aligned position.  The next record starts at
 * pos + ringshm_rec_size(cap_len); a PAD record always runs to the end of its chunk.
 */
struct ringshm_rec_hdr {
	uint64_t pos;	   /* this record's own absolute position: a reader detects a lap cheaply */
	uint64_t ts_ns;	   /* UTC nanoseconds since the Unix epoch (0 for PAD) */
	uint64_t seq;	   /* per-ring sequence number, continues across epochs (0 for PAD) */
	uint16_t cap_len;  /* payload bytes stored after the header */
	uint16_t wire_len; /* length of the frame on the wire (FRAME), else = cap_len */
	uint8_t port;	   /* capture port index (see ports[]), 0 for markers */
	uint8_t type;	   /* enum ringshm_rec_type */
	uint16_t flags;	   /* RINGSHM_F_* */
};

/* Bytes a record of cap_len payload bytes takes in the ring. */
static inline uint32_t ringshm_rec_size(uint32_t cap_len)
{
	return (RINGSHM_REC_HDR_SIZE + cap_len + RINGSHM_REC_ALIGN - 1) &
	       ~(uint32_t)(RINGSHM_REC_ALIGN - 1);
}

/* LOSS record events: a link outage loses frames nobody can count. */
enum ringshm_loss_event {
	RINGSHM_LOSS_COUNTS = 0,    /* only the counters below */
	RINGSHM_LOSS_LINK_DOWN = 1, /* port `port` lost its link at event_ns */
	RINGSHM_LOSS_LINK_UP = 2,   /* ... and has it again: it was down for outage_ns */
};

/*
 * Payload of a RINGSHM_REC_LOSS record: what the capture lost since the previous one, and for
 * a link event which port and when.  Readers of files written before the event fields see
 * event 0 (COUNTS).
 */
struct ringshm_loss_payload {
	uint64_t nic_imissed;	/* the NIC had no RX descriptor */
	uint64_t nic_rx_nombuf; /* no mbuf in the mempool */
	uint64_t nic_ierrors;	/* frames the NIC received in error */
	uint64_t nic_discards;	/* the port discarded before any queue (extended statistics) */
	uint16_t event;		/* enum ringshm_loss_event */
	uint16_t port;		/* the port of a link event (index in ports[]) */
	uint32_t reserved0;
	uint64_t event_ns;  /* CLOCK_REALTIME when the capture saw the link event */
	uint64_t outage_ns; /* LINK_UP: how long the link was down */
	uint64_t reserved[1];
};

/* Payload of a RINGSHM_REC_EPOCH record. */
struct ringshm_epoch_payload {
	uint64_t epoch;
	uint64_t pid;
	uint64_t start_ns;     /* CLOCK_REALTIME when the producer started */
	uint64_t resumed_from; /* position the previous epoch had committed (its head) */
};

/* What a port's NIC timestamps count (ringshm_port.ts_domain), as the capture found them. */
enum ringshm_ts_domain {
	RINGSHM_TS_DOMAIN_UNKNOWN = 0, /* not a NIC-timed port, or no frame yet */
	RINGSHM_TS_DOMAIN_COUNTER = 1, /* a free-running counter, converted through the model */
	RINGSHM_TS_DOMAIN_REALTIME =
		2, /* nanoseconds of a real-time clock (PHC), used as they are */
	RINGSHM_TS_DOMAIN_UNUSABLE = 3, /* neither agreed with the TSC: refused */
};

/* Producer state. */
enum ringshm_state {
	RINGSHM_STATE_INIT = 0,
	RINGSHM_STATE_RUNNING = 1,
	RINGSHM_STATE_STOPPED = 2,
};

/* Drop and traffic counters, totals over the life of the file, producer-written. */
struct ringshm_counters {
	uint64_t frames;	/* FRAME records written */
	uint64_t bytes;		/* wire bytes of those frames */
	uint64_t cap_bytes;	/* captured bytes of those frames */
	uint64_t truncated;	/* frames cut by the snap length */
	uint64_t filtered;	/* frames the capture filter rejected (not in the ring) */
	uint64_t nic_imissed;	/* drops by cause: NIC had no descriptor */
	uint64_t nic_rx_nombuf; /*   no mbuf */
	uint64_t nic_ierrors;	/*   receive errors */
	uint64_t markers;	/* LOSS, CLOCK and EPOCH records written */
	uint64_t refused;	/* ringshm_alloc() calls refused: cap_len over the maximum */
	uint64_t nic_discards;	/* drops by cause: the port discarded (extended statistics) */
	uint64_t ts_fallback;	/* frames whose NIC time was refused: TSC time, flagged */
	uint64_t reserved[4];
};

/* One capture port, written by the producer's control thread once per second. */
struct ringshm_port {
	char name[64];	  /* "0000:3b:00.0" or "net_pcap0", NUL-terminated */
	uint16_t port_id; /* DPDK port id */
	uint16_t nb_rx_queues;
	uint16_t numa_node;
	uint16_t ts_source; /* RINGSHM_F_TS_SRC_* the poller uses for this port */
	uint8_t mac[6];
	uint8_t ts_domain;   /* enum ringshm_ts_domain of the NIC's times (NIC ports) */
	uint8_t ts_refusing; /* 1 while the NIC's times are refused (records: TSC, flagged) */
	uint64_t rx_frames;
	uint64_t rx_bytes;
	uint64_t imissed;
	uint64_t ierrors;
	uint64_t rx_nombuf;
	uint64_t filtered;
	uint64_t discards;     /* discard-stage extended statistics (e.g. mlx5 rx_discards_phy) */
	uint32_t link_downs;   /* times the link went down since the capture started */
	uint32_t link_up;      /* 1 while the link is up (0 before the first check) */
	uint64_t link_down_ns; /* time spent with the link down, finished outages */
};

/*
 * The NIC counter table (minor 2), at ctl->xstats_off inside the control area, after the chunk
 * index: per port, the drop counters among the PMD's extended statistics under their own
 * names, by stage.  name and stage are written once when the capture starts (name last, its
 * first byte with a release store), value by the control thread about once a second.
 */
#define RINGSHM_XSTATS_PER_PORT 32
#define RINGSHM_XSTAT_NAME	48

struct ringshm_xstat {
	char name[RINGSHM_XSTAT_NAME]; /* the PMD's name, NUL-terminated; "" = unused entry */
	uint8_t stage;		       /* 0 discard, 1 missed, 2 nobuf, 3 error, 4 filtered */
	uint8_t pad[7];
	uint64_t value; /* the PMD's total since the port started */
};

struct ringshm_xstat_table {
	struct ringshm_xstat port[RINGSHM_MAX_PORTS][RINGSHM_XSTATS_PER_PORT];
};

/* One chunk index entry: which lap of the chunk it describes, and its first timestamp. */
struct ringshm_chunk_ent {
	uint64_t chunk_pos; /* absolute position of the chunk start, release-stored last */
	uint64_t first_ts;  /* ts_ns of the first record the producer wrote in it */
};

struct ringshm_ctl {
	/* identity: written once at create; version_major last */
	uint64_t magic;		/* RINGSHM_MAGIC */
	uint32_t version_major; /* RINGSHM_VERSION_MAJOR, release-stored last */
	uint32_t version_minor;
	uint64_t file_size;    /* ctl_size + capacity */
	uint64_t ctl_size;     /* offset of the data area */
	uint64_t capacity;     /* data bytes, power of two */
	uint32_t chunk_size;   /* power of two */
	uint32_t nchunks;      /* capacity / chunk_size = entries in chunk_index[] */
	uint32_t rec_align;    /* RINGSHM_REC_ALIGN */
	uint32_t rec_hdr_size; /* RINGSHM_REC_HDR_SIZE */
	uint64_t create_ns;    /* CLOCK_REALTIME when the file was made (minor 1; 0 before):
			       * with the path, which ring a sequence number belongs to */

	/* producer identity: written when a producer starts */
	uint64_t epoch; /* 1 for the first producer, +1 on every restart */
	uint64_t producer_pid;
	uint64_t producer_start_ns;
	uint32_t state;	       /* enum ringshm_state */
	uint32_t backing;      /* enum ringshm_backing, as created */
	uint64_t heartbeat_ns; /* CLOCK_REALTIME, control thread, about every 100 ms */
	uint64_t page_size;    /* page size of the backing memory */
	uint64_t xstats_off;   /* minor 2: file offset of the NIC counter table, 0 if none */
	uint8_t pad1[8];

	/* cursors: one cache line, producer-written, once per burst */
	uint64_t claim;
	uint64_t head;
	uint64_t next_seq; /* sequence number of the record at head */
	uint8_t pad2[40];

	struct ringshm_counters counters; /* two cache lines */

	/* clock block: seqlocked, opaque here (timesync lays it out) */
	uint32_t clock_seq;
	uint32_t clock_len; /* bytes of clock[] in use */
	uint8_t pad3[56];
	uint8_t clock[RINGSHM_CLOCK_BLOCK_SIZE];

	/* capture ports */
	uint32_t nports;
	uint8_t pad4[60];
	struct ringshm_port ports[RINGSHM_MAX_PORTS];

	/* chunk index: nchunks entries, indexed by (chunk_pos / chunk_size) % nchunks */
	struct ringshm_chunk_ent chunk_index[];
};

static_assert(sizeof(struct ringshm_rec_hdr) == RINGSHM_REC_HDR_SIZE, "record header size");
static_assert(offsetof(struct ringshm_rec_hdr, cap_len) == 24, "record header layout");
static_assert(sizeof(struct ringshm_counters) == 128, "counters size");
static_assert(sizeof(struct ringshm_port) == 152, "port size");
static_assert(sizeof(struct ringshm_loss_payload) == 64, "LOSS payload size");
static_assert(offsetof(struct ringshm_ctl, create_ns) == 56, "ctl: identity");
static_assert(offsetof(struct ringshm_ctl, epoch) == 64, "ctl: producer line");
static_assert(offsetof(struct ringshm_ctl, xstats_off) == 112, "ctl: xstats table offset");
static_assert(sizeof(struct ringshm_xstat) == 64, "xstat entry");
static_assert(offsetof(struct ringshm_ctl, claim) == 128, "ctl: cursor line");
static_assert(offsetof(struct ringshm_ctl, counters) == 192, "ctl: counters");
static_assert(offsetof(struct ringshm_ctl, clock_seq) == 320, "ctl: clock block");
static_assert(offsetof(struct ringshm_ctl, clock) == 384, "ctl: clock data");
static_assert(offsetof(struct ringshm_ctl, nports) == 1408, "ctl: ports");
static_assert(offsetof(struct ringshm_ctl, ports) == 1472, "ctl: ports array");
static_assert(offsetof(struct ringshm_ctl, chunk_index) == 3904, "ctl: chunk index");

#endif /* RINGSHM_FORMAT_H */
