/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gendata.h - internals of feedcap-gendata, the synthetic market-data generator.
 *
 * The generator is a test tool, not a library: it lives under tests/gen/ and links libpcap
 * only.  Everything it writes is a function of its options and the seed: the random source
 * is integer-only (splitmix64 + xoshiro256**), no libm, no clock, no address, so a given
 * command line produces the same bytes on every machine and every run.
 */
#ifndef GENDATA_H
#define GENDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pcap/pcap.h>

#define GEN_FRAME_MAX	9216 /* largest frame we build (jumbo, 9000-byte IP MTU) */
#define GEN_ETH_MTU	1500
#define GEN_JUMBO_MTU	9000
#define GEN_MOLD_HDR	20 /* session(10) + sequence(8) + message count(2) */
#define GEN_SESSION_LEN 10
#define GEN_MAX_FEEDS	64
#define GEN_STOCKS	8

/* Deterministic random source (xoshiro256**, seeded through splitmix64). */
struct gen_rng {
	uint64_t s[4];
};

void gen_rng_seed(struct gen_rng *r, uint64_t seed);
uint64_t gen_rng_next(struct gen_rng *r);
/* Uniform in [lo, hi] (inclusive). */
uint64_t gen_rng_range(struct gen_rng *r, uint64_t lo, uint64_t hi);
/* True with probability thresh / 2^32. */
bool gen_rng_chance(struct gen_rng *r, uint32_t thresh);
/* Exponentially distributed with the given mean (integer-only approximation of -ln U). */
uint64_t gen_rng_exp(struct gen_rng *r, uint64_t mean);

/* Big-endian stores. */
static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static inline void put_be48(uint8_t *p, uint64_t v)
{
	put_be16(p, v >> 32);
	put_be32(p + 2, v);
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, v >> 32);
	put_be32(p + 4, v);
}

/* One MoldUDP64 session: a feed line's sequence space and its ITCH-like order book. */
struct gen_session {
	char name[GEN_SESSION_LEN + 1];
	uint64_t next_seq;   /* sequence number of the next message */
	uint64_t next_order; /* next order reference number */
	uint32_t price[GEN_STOCKS];
	uint16_t tracking;
};

void gen_session_init(struct gen_session *s, const char *name, uint64_t salt);

/*
 * Fill buf with a MoldUDP64 packet of nmsg messages (0 = heartbeat) that fits in max bytes;
 * fewer messages are written when they would not fit.  ts_ns is the packet's time (the
 * ITCH timestamps are nanoseconds since midnight).  Returns the payload length and the
 * message count written in *count; advances the session's sequence.
 */
size_t gen_mold_packet(struct gen_session *s, struct gen_rng *r, uint8_t *buf, size_t max,
		       unsigned int nmsg, uint64_t ts_ns, uint16_t *count, uint64_t *first_seq);

/* --proto: the venue protocol the market data is framed as (gen_proto.c). */
enum gen_proto {
	GEN_PROTO_MOLD,
	GEN_PROTO_PITCH,
	GEN_PROTO_IEXTP,
	GEN_PROTO_MDP3,
	GEN_PROTO_PILLAR,
	GEN_PROTO_EOBI,
	GEN_PROTO_OPRA,
	GEN_PROTO_N
};

extern const char *const gen_proto_names[GEN_PROTO_N];

/* Per feed: what the protocol numbers besides the MoldUDP64 session. */
struct gen_proto_state {
	uint64_t pkt_seq;	/* mdp3, eobi: packets are numbered */
	uint64_t stream_offset; /* iextp */
	uint32_t session_id;	/* iextp */
	uint32_t segment;	/* eobi MarketSegmentID */
	uint8_t unit;		/* pitch */
	bool reset_pending;	/* pillar, eobi: flag the first packet after a reset */
};

/*
 * Re-frame the MoldUDP64 packet mold (mlen bytes) as protocol p into out; *seq and *count
 * are the sequence number and count the protocol carries (count 0: a heartbeat).
 * Returns the payload length.
 */
size_t gen_proto_wrap(enum gen_proto p, struct gen_proto_state *st, const uint8_t *mold,
		      size_t mlen, uint8_t *out, uint64_t ts, uint64_t *seq, uint32_t *count);
/* Restart a feed's numbering at 1 (MoldUDP64: a new session). */
void gen_proto_reset(enum gen_proto p, struct gen_proto_state *st, struct gen_session *s);

/* How many messages the next market-data packet carries (heavy-tailed, mean about 4). */
unsigned int gen_msg_count(struct gen_rng *r);

/* Layer 2 to 4 builders.  Each returns the number of bytes written. */
enum gen_tag { GEN_TAG_NONE, GEN_TAG_VLAN, GEN_TAG_QINQ };

size_t gen_eth(uint8_t *p, const uint8_t dst[6], const uint8_t src[6], enum gen_tag tag,
	       uint16_t vid, uint16_t ethertype);
void gen_mcast_mac4(uint8_t mac[6], uint32_t group);
uint16_t gen_csum(const uint8_t *p, size_t len, uint32_t sum);
/* IPv4 header (20 bytes, or 24 with the Router Alert option when ra is set). */
size_t gen_ipv4(uint8_t *p, uint32_t src, uint32_t dst, uint8_t proto, size_t payload_len,
		uint16_t id, uint16_t frag, uint8_t ttl, bool ra);
/* UDP header + payload already at p + 8; checksum over the IPv4 pseudo header. */
void gen_udp4(uint8_t *p, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
	      size_t payload_len);
void gen_udp6(uint8_t *p, const uint8_t src[16], const uint8_t dst[16], uint16_t sport,
	      uint16_t dport, size_t payload_len);

/* ------------------------------------------------------------------ the generator */

#define NSEC_PER_SEC	UINT64_C(1000000000)
#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((c) << 8) | (d))

/*
 * ODD_BADCSUM (a bad IPv4 header checksum, a bad UDP checksum, or both) comes last and only on
 * request (--odd-kinds): the default set, GEN_ODD_DEFAULT, is what the bundled captures were
 * made with, and the rotation through the kinds skips it without changing their bytes.
 */
enum odd_kind {
	ODD_JUMBO,
	ODD_VLAN,
	ODD_QINQ,
	ODD_FRAG,
	ODD_IPV6,
	ODD_NONUDP,
	ODD_RUNT,
	ODD_BADCSUM,
	ODD_N
};
#define GEN_ODD_DEFAULT ((1u << ODD_BADCSUM) - 1)

extern const char *const gen_odd_names[ODD_N];
extern const uint8_t gen_src_mac_a[6]; /* the A line and every odd frame */
extern const uint8_t gen_src_mac_b[6];
extern const uint8_t gen_gw_mac[6]; /* unicast peer of the non-UDP frames */

struct opts {
	const char *out;
	uint64_t count;
	uint64_t seed;
	uint64_t rate;
	unsigned int groups;
	uint64_t start_ns;
	bool us;
	bool ab;
	uint64_t ab_delay_ns;
	uint32_t ab_loss;
	uint32_t gaps;
	uint32_t burst;
	unsigned int burst_len;
	uint32_t odd;
	unsigned int odd_mask;
	const char *gaps_log;
	bool verbose;
	enum gen_proto proto;
	uint32_t dup;	      /* probability a packet comes twice on line A */
	uint32_t reorder;     /* probability a packet comes after the next one on line A */
	uint64_t reset_after; /* restart a feed's numbering every N data packets (0: never) */
};

struct qframe {
	uint64_t ts;
	size_t len;
	uint8_t data[GEN_ETH_MTU + 14];
};

struct gen {
	struct opts o;
	struct gen_rng rng;
	pcap_t *pd;
	pcap_dumper_t *dump;
	FILE *gaps_log;
	struct gen_session feed[GEN_MAX_FEEDS];
	struct gen_session odd_sess[ODD_N];
	struct gen_proto_state pst[GEN_MAX_FEEDS];
	uint64_t feed_packets[GEN_MAX_FEEDS];
	struct qframe *held; /* --reorder: per feed, a line A frame waiting for the next one */
	uint64_t holding;    /* bit per feed */
	uint64_t now;
	uint64_t last_ts;
	uint64_t written;
	uint64_t bytes;
	unsigned int burst_left;
	unsigned int odd_next;
	unsigned int nonudp_next;
	uint16_t ipid;
	/* Line B copies wait here until the A line's clock passes them (time order). */
	struct qframe *q;
	size_t qcap;
	size_t qhead;
	size_t qlen;
	uint64_t last_b_ts;
	/* What was written, for -v. */
	uint64_t md_frames;
	uint64_t heartbeats;
	uint64_t lost_both;
	uint64_t lost_a;
	uint64_t lost_b;
	uint64_t odd_count[ODD_N];
	uint64_t min_len;
	uint64_t max_len;
};

/* gen_stream.c: the market-data stream and the pcap output. */
int gen_run(struct gen *g);
/* Write a frame at ts (never before the last one written); line B copies due first go first. */
void gen_emit(struct gen *g, uint64_t ts, const uint8_t *data, size_t len);
/* Ethernet + IPv4 + UDP to a multicast group around a payload of plen bytes that the caller
 * put at frame + 42 (after untagged headers); moves it when tags make the headers longer. */
size_t gen_udp4_frame(struct gen *g, uint8_t *frame, const uint8_t *src_mac, enum gen_tag tag,
		      uint16_t vid, uint32_t src, uint32_t group, uint16_t port, size_t plen);

/* gen_odd.c: one odd event (a frame, or several IPv4 fragments) at the current time. */
void gen_odd_frame(struct gen *g);

#endif /* GENDATA_H */
