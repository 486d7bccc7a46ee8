/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_packet.c - random source, MoldUDP64/ITCH-like payloads and header builders for
 * feedcap-gendata.  Integer arithmetic only, so the output is identical everywhere.
 */
#include <string.h>

#include "gendata.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

void gen_rng_seed(struct gen_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++) {
		r->s[i] = splitmix64(&seed);
	}
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t gen_rng_next(struct gen_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t gen_rng_range(struct gen_rng *r, uint64_t lo, uint64_t hi)
{
	if (hi <= lo) {
		return lo;
	}
	/* The modulo bias is below 2^-40 for the small ranges used here. */
	return lo + gen_rng_next(r) % (hi - lo + 1);
}

bool gen_rng_chance(struct gen_rng *r, uint32_t thresh)
{
	return (uint32_t)(gen_rng_next(r) >> 32) < thresh;
}

uint64_t gen_rng_exp(struct gen_rng *r, uint64_t mean)
{
	/*
	 * -ln(U) = ln 2 * -log2(U).  U = x / 2^53 with x in [1, 2^53); log2(x) is the position
	 * of its top bit plus the mantissa fraction (a linear approximation of log2 on [1, 2),
	 * off by at most 0.086: good enough for inter-arrival times, and exact integers).
	 */
	uint64_t x = (gen_rng_next(r) >> 11) | 1;
	int msb = 63 - __builtin_clzll(x);
	uint64_t frac16 = msb >= 16 ? (x >> (msb - 16)) & 0xffff : (x << (16 - msb)) & 0xffff;
	uint64_t neglog2_q16 = ((uint64_t)(53 - msb) << 16) - frac16;
	uint64_t neg_ln_q16 = (neglog2_q16 * 45426) >> 16; /* ln 2 = 45426 / 2^16 */

	return (neg_ln_q16 * mean) >> 16;
}

static const char *const stock_names[GEN_STOCKS] = {
	"FCAP    ", "ORDR    ", "TICK    ", "BOOK    ",
	"QUOT    ", "FILL    ", "MDAT    ", "RING    ",
};

void gen_session_init(struct gen_session *s, const char *name, uint64_t salt)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->name, name, GEN_SESSION_LEN);
	s->name[GEN_SESSION_LEN] = '\0';
	s->next_seq = 1;
	s->next_order = 1000000 + salt * 1000000;
	for (int i = 0; i < GEN_STOCKS; i++) {
		s->price[i] = (uint32_t)(100000 + 250000 * i + salt * 1300); /* 4 decimals */
	}
}

/* ITCH 5.0 message lengths (without MoldUDP64's 2-byte length prefix). */
enum { LEN_A = 36, LEN_D = 19, LEN_X = 23, LEN_E = 31, LEN_U = 35, LEN_P = 44 };

/* The message mix, in percent: mostly adds and deletes, as on a real order-by-order feed. */
static const struct {
	unsigned int below;
	char type;
	size_t len;
} itch_mix[] = {
	{ 40, 'A', LEN_A }, { 62, 'D', LEN_D }, { 76, 'X', LEN_X },
	{ 88, 'E', LEN_E }, { 96, 'U', LEN_U }, { 100, 'P', LEN_P },
};

static size_t itch_message(struct gen_session *s, struct gen_rng *r, uint8_t *m, uint64_t ts_ns)
{
	uint64_t since_midnight = ts_ns % (UINT64_C(86400) * 1000000000);
	unsigned int pick = (unsigned int)gen_rng_range(r, 0, 99);
	unsigned int stock = (unsigned int)gen_rng_range(r, 0, GEN_STOCKS - 1);
	uint64_t live = s->next_order > 1000
				? gen_rng_range(r, s->next_order - 1000, s->next_order - 1)
				: s->next_order;
	uint32_t *px = &s->price[stock];
	unsigned int k;
	char type;
	size_t len;

	/* A small random walk keeps prices plausible (and compressible, like real books). */
	*px += (uint32_t)gen_rng_range(r, 0, 200) - 100;
	if (*px < 10000 || *px > 100000000) {
		*px = 10000 + (uint32_t)gen_rng_range(r, 0, 100000);
	}

	for (k = 0; pick >= itch_mix[k].below; k++) {
	}
	type = itch_mix[k].type;
	len = itch_mix[k].len;

	m[0] = (uint8_t)type;
	put_be16(m + 1, (uint16_t)(stock + 1)); /* stock locate */
	put_be16(m + 3, s->tracking++);
	put_be48(m + 5, since_midnight);
	switch (type) {
	case 'A':
		put_be64(m + 11, s->next_order++);
		m[19] = gen_rng_chance(r, 1u << 31) ? 'B' : 'S';
		put_be32(m + 20, (uint32_t)gen_rng_range(r, 1, 50) * 100);
		memcpy(m + 24, stock_names[stock], 8);
		put_be32(m + 32, *px);
		break;
	case 'D':
		put_be64(m + 11, live);
		break;
	case 'X':
		put_be64(m + 11, live);
		put_be32(m + 19, (uint32_t)gen_rng_range(r, 1, 10) * 100);
		break;
	case 'E':
		put_be64(m + 11, live);
		put_be32(m + 19, (uint32_t)gen_rng_range(r, 1, 10) * 100);
		put_be64(m + 23, s->next_order * 7 + s->tracking); /* match number */
		break;
	case 'U':
		put_be64(m + 11, live);
		put_be64(m + 19, s->next_order++);
		put_be32(m + 27, (uint32_t)gen_rng_range(r, 1, 50) * 100);
		put_be32(m + 31, *px);
		break;
	default: /* 'P' */
		put_be64(m + 11, 0);
		m[19] = gen_rng_chance(r, 1u << 31) ? 'B' : 'S';
		put_be32(m + 20, (uint32_t)gen_rng_range(r, 1, 20) * 100);
		memcpy(m + 24, stock_names[stock], 8);
		put_be32(m + 32, *px);
		put_be64(m + 36, s->next_order * 3 + s->tracking);
		break;
	}
	return len;
}

unsigned int gen_msg_count(struct gen_rng *r)
{
	unsigned int p = (unsigned int)gen_rng_range(r, 0, 99);

	/* Mostly one or two messages, a long tail up to a full 1500-byte packet. */
	if (p < 60) {
		return (unsigned int)gen_rng_range(r, 1, 2);
	}
	if (p < 88) {
		return (unsigned int)gen_rng_range(r, 3, 6);
	}
	if (p < 98) {
		return (unsigned int)gen_rng_range(r, 7, 16);
	}
	return (unsigned int)gen_rng_range(r, 17, 60);
}

size_t gen_mold_packet(struct gen_session *s, struct gen_rng *r, uint8_t *buf, size_t max,
		       unsigned int nmsg, uint64_t ts_ns, uint16_t *count, uint64_t *first_seq)
{
	uint8_t msg[64];
	size_t off = GEN_MOLD_HDR;
	unsigned int n = 0;

	while (n < nmsg) {
		/* Draw the message first so the random stream does not depend on max. */
		size_t len = itch_message(s, r, msg, ts_ns);

		if (off + 2 + len > max) {
			break;
		}
		put_be16(buf + off, (uint16_t)len);
		memcpy(buf + off + 2, msg, len);
		off += 2 + len;
		n++;
	}
	memcpy(buf, s->name, GEN_SESSION_LEN);
	put_be64(buf + 10, s->next_seq);
	put_be16(buf + 18, (uint16_t)n);
	*first_seq = s->next_seq;
	*count = (uint16_t)n;
	s->next_seq += n;
	return off;
}

void gen_mcast_mac4(uint8_t mac[6], uint32_t group)
{
	mac[0] = 0x01;
	mac[1] = 0x00;
	mac[2] = 0x5e;
	mac[3] = (group >> 16) & 0x7f;
	mac[4] = group >> 8;
	mac[5] = group;
}

size_t gen_eth(uint8_t *p, const uint8_t dst[6], const uint8_t src[6], enum gen_tag tag,
	       uint16_t vid, uint16_t ethertype)
{
	size_t off = 12;

	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	if (tag == GEN_TAG_QINQ) {
		put_be16(p + off, 0x88a8); /* 802.1ad service tag */
		put_be16(p + off + 2, (uint16_t)(100 + (vid & 0xff)));
		off += 4;
	}
	if (tag != GEN_TAG_NONE) {
		put_be16(p + off, 0x8100); /* 802.1Q customer tag */
		put_be16(p + off + 2, (uint16_t)((3u << 13) | (vid & 0x0fff)));
		off += 4;
	}
	put_be16(p + off, ethertype);
	return off + 2;
}

uint16_t gen_csum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	}
	if (len & 1) {
		sum += (uint32_t)p[len - 1] << 8;
	}
	while (sum >> 16) {
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return (uint16_t)~sum;
}

size_t gen_ipv4(uint8_t *p, uint32_t src, uint32_t dst, uint8_t proto, size_t payload_len,
		uint16_t id, uint16_t frag, uint8_t ttl, bool ra)
{
	size_t hl = ra ? 24 : 20;

	p[0] = (uint8_t)(0x40 | (hl / 4));
	p[1] = ra ? 0xc0 : 0x00; /* IGMP: internetwork control */
	put_be16(p + 2, (uint16_t)(hl + payload_len));
	put_be16(p + 4, id);
	put_be16(p + 6, frag);
	p[8] = ttl;
	p[9] = proto;
	put_be16(p + 10, 0);
	put_be32(p + 12, src);
	put_be32(p + 16, dst);
	if (ra) {
		put_be32(p + 20, 0x94040000); /* Router Alert (RFC 2113) */
	}
	put_be16(p + 10, gen_csum(p, hl, 0));
	return hl;
}

/* UDP header at p, payload after it; pseudo is the pseudo header's sum without the length. */
static void udp_header(uint8_t *p, uint32_t pseudo, uint16_t sport, uint16_t dport,
		       size_t payload_len)
{
	uint16_t ulen = (uint16_t)(8 + payload_len);
	uint16_t sum;

	put_be16(p, sport);
	put_be16(p + 2, dport);
	put_be16(p + 4, ulen);
	put_be16(p + 6, 0);
	sum = gen_csum(p, ulen, pseudo + 17 + ulen);
	put_be16(p + 6, sum ? sum : 0xffff); /* 0 means "no checksum" */
}

void gen_udp4(uint8_t *p, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
	      size_t payload_len)
{
	udp_header(p, (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff), sport, dport,
		   payload_len);
}

void gen_udp6(uint8_t *p, const uint8_t src[16], const uint8_t dst[16], uint16_t sport,
	      uint16_t dport, size_t payload_len)
{
	uint32_t pseudo = 0;

	for (int i = 0; i < 16; i += 2) {
		pseudo += (uint32_t)src[i] << 8 | src[i + 1];
		pseudo += (uint32_t)dst[i] << 8 | dst[i + 1];
	}
	udp_header(p, pseudo, sport, dport, payload_len);
}
