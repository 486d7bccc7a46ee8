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

#endif /* GENDATA_H */
