/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_odd.c - the frames a capture must survive, for --odd: jumbo (9000-byte MTU), 802.1Q and
 * QinQ tagged, IPv4 fragments, IPv6 multicast, non-UDP (ARP, IGMP, TCP, ICMP), runts and (only
 * on request) bad IPv4 and UDP checksums.  Each
 * kind carrying MoldUDP64 has its own session and group (239.1.9.K), so the regular feeds'
 * sequence numbers stay gap-free.
 */
#include <string.h>

#include "gendata.h"

const char *const gen_odd_names[ODD_N] = {
	"jumbo", "vlan", "qinq", "frag", "ipv6", "nonudp", "runt", "badcsum",
};

/* A checksum that is wrong, and for UDP not 0 (no checksum) nor 0xffff (0 again in one's
 * complement). */
static uint16_t wrong_csum(const uint8_t *p)
{
	uint16_t good = (uint16_t)(p[0] << 8 | p[1]), bad = good ^ 0x0101;

	return bad == 0 || bad == 0xffff ? (uint16_t)(good ^ 0x0202) : bad;
}

/*
 * badcsum: market data on 239.1.9.8:31008 whose IPv4 header checksum (event 1, 4, ...), UDP
 * checksum (2, 5, ...) or both (3, 6, ...) are wrong.  Legal on the wire as far as a capture
 * is concerned: a switch forwards it, and the capture must keep it as it came.
 */
static size_t odd_badcsum(struct gen *g, uint8_t *frame)
{
	struct gen_session *s = &g->odd_sess[ODD_BADCSUM];
	unsigned int which = (unsigned int)((g->odd_count[ODD_BADCSUM] - 1) % 3);
	uint64_t seq;
	uint16_t cnt;
	size_t plen, len;

	plen = gen_mold_packet(s, &g->rng, frame + 14 + 28, GEN_ETH_MTU - 28,
			       gen_msg_count(&g->rng), g->now, &cnt, &seq);
	len = gen_udp4_frame(g, frame, gen_src_mac_a, GEN_TAG_NONE, 0, IP4(10, 1, 0, 100),
			     IP4(239, 1, 9, 8), 31008, plen);
	if (which != 1) { /* IPv4 header checksum at 14 + 10 */
		put_be16(frame + 24, wrong_csum(frame + 24));
	}
	if (which != 0) { /* UDP checksum at 14 + 20 + 6 */
		put_be16(frame + 40, wrong_csum(frame + 40));
	}
	return len;
}

static void odd_frag(struct gen *g, uint8_t *frame)
{
	static uint8_t dgram[8 + 8192];
	struct gen_session *s = &g->odd_sess[ODD_FRAG];
	uint32_t src = IP4(10, 1, 0, 100), group = IP4(239, 1, 9, 4);
	size_t max = (size_t)gen_rng_range(&g->rng, 2000, 4400);
	uint16_t id = g->ipid++, cnt;
	uint8_t mac[6];
	uint64_t seq;
	size_t plen, total, off;

	plen = gen_mold_packet(s, &g->rng, dgram + 8, max, 1000, g->now, &cnt, &seq);
	gen_udp4(dgram, src, group, 31004, 31004, plen);
	total = 8 + plen;
	gen_mcast_mac4(mac, group);
	for (off = 0; off < total; off += 1480) {
		size_t n = total - off > 1480 ? 1480 : total - off;
		bool more = off + n < total;
		size_t l3 = gen_eth(frame, mac, gen_src_mac_a, GEN_TAG_NONE, 0, 0x0800);
		size_t l4 = l3 + gen_ipv4(frame + l3, src, group, 17, n, id,
					  (uint16_t)((more ? 0x2000 : 0) | (off / 8)), 16, false);

		memcpy(frame + l4, dgram + off, n);
		gen_emit(g, g->now + (off / 1480) * 1300, frame, l4 + n);
	}
}

static size_t odd_ipv6(struct gen *g, uint8_t *frame)
{
	static const uint8_t src[16] = { 0xfd, 0x00, 0xfc, 0xa9, [15] = 0x01 };
	static const uint8_t dst[16] = { 0xff, 0x15, [13] = 0x09, [15] = 0x05 };
	static const uint8_t mac[6] = { 0x33, 0x33, 0x00, 0x09, 0x00, 0x05 };
	struct gen_session *s = &g->odd_sess[ODD_IPV6];
	size_t l3 = gen_eth(frame, mac, gen_src_mac_a, GEN_TAG_NONE, 0, 0x86dd);
	uint8_t *ip = frame + l3;
	uint64_t seq;
	uint16_t cnt;
	size_t plen;

	plen = gen_mold_packet(s, &g->rng, ip + 48, GEN_ETH_MTU - 48, gen_msg_count(&g->rng),
			       g->now, &cnt, &seq);
	put_be32(ip, UINT32_C(6) << 28);
	put_be16(ip + 4, (uint16_t)(8 + plen));
	ip[6] = 17;
	ip[7] = 1;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	gen_udp6(ip + 40, src, dst, 31005, 31005, plen);
	return l3 + 48 + plen;
}

static size_t odd_nonudp(struct gen *g, uint8_t *frame)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint32_t me = IP4(10, 1, 0, 1), gw = IP4(10, 1, 0, 254);
	size_t l3, l4, n;
	uint8_t mac[6];

	switch (g->nonudp_next++ % 4) {
	case 0: /* ARP who-has */
		l3 = gen_eth(frame, bcast, gen_src_mac_a, GEN_TAG_NONE, 0, 0x0806);
		put_be16(frame + l3, 1);
		put_be16(frame + l3 + 2, 0x0800);
		frame[l3 + 4] = 6;
		frame[l3 + 5] = 4;
		put_be16(frame + l3 + 6, 1);
		memcpy(frame + l3 + 8, gen_src_mac_a, 6);
		put_be32(frame + l3 + 14, me);
		memset(frame + l3 + 18, 0, 6);
		put_be32(frame + l3 + 24, gw);
		return l3 + 28;
	case 1: { /* IGMPv2 membership report, Router Alert, TTL 1 */
		uint32_t group = IP4(239, 1, 1, 1 + (g->nonudp_next / 4) % g->o.groups);

		gen_mcast_mac4(mac, group);
		l3 = gen_eth(frame, mac, gen_src_mac_a, GEN_TAG_NONE, 0, 0x0800);
		l4 = l3 + gen_ipv4(frame + l3, me, group, 2, 8, g->ipid++, 0, 1, true);
		frame[l4] = 0x16;
		frame[l4 + 1] = 0;
		put_be16(frame + l4 + 2, 0);
		put_be32(frame + l4 + 4, group);
		put_be16(frame + l4 + 2, gen_csum(frame + l4, 8, 0));
		return l4 + 8;
	}
	case 2: { /* TCP segment with data (a unicast order-entry-like session) */
		uint32_t pseudo;

		n = 64 + (size_t)gen_rng_range(&g->rng, 0, 200);
		l3 = gen_eth(frame, gen_gw_mac, gen_src_mac_a, GEN_TAG_NONE, 0, 0x0800);
		l4 = l3 + gen_ipv4(frame + l3, me, gw, 6, 20 + n, g->ipid++, 0x4000, 64, false);
		put_be16(frame + l4, 40000);
		put_be16(frame + l4 + 2, 9100);
		put_be32(frame + l4 + 4, (uint32_t)g->written * 1000);
		put_be32(frame + l4 + 8, 1);
		put_be16(frame + l4 + 12, 0x5018); /* 20-byte header, PSH|ACK */
		put_be16(frame + l4 + 14, 65535);
		put_be32(frame + l4 + 16, 0);
		for (size_t i = 0; i < n; i++) {
			frame[l4 + 20 + i] = (uint8_t)('0' + (i + g->written) % 75);
		}
		pseudo = (me >> 16) + (me & 0xffff) + (gw >> 16) + (gw & 0xffff) + 6 +
			 (uint32_t)(20 + n);
		put_be16(frame + l4 + 16, gen_csum(frame + l4, 20 + n, pseudo));
		return l4 + 20 + n;
	}
	default: /* ICMP echo request */
		l3 = gen_eth(frame, gen_gw_mac, gen_src_mac_a, GEN_TAG_NONE, 0, 0x0800);
		l4 = l3 + gen_ipv4(frame + l3, me, gw, 1, 64, g->ipid++, 0x4000, 64, false);
		frame[l4] = 8;
		frame[l4 + 1] = 0;
		put_be16(frame + l4 + 2, 0);
		put_be16(frame + l4 + 4, 0x0fca);
		put_be16(frame + l4 + 6, (uint16_t)g->nonudp_next);
		for (int i = 8; i < 64; i++) {
			frame[l4 + i] = (uint8_t)i;
		}
		put_be16(frame + l4 + 2, gen_csum(frame + l4, 64, 0));
		return l4 + 64;
	}
}

void gen_odd_frame(struct gen *g)
{
	static uint8_t frame[GEN_FRAME_MAX];
	enum odd_kind kind;
	struct gen_session *s;
	uint64_t seq;
	uint16_t cnt;
	size_t plen, len;

	/* Rotate through the enabled kinds so that every kind shows up. */
	do {
		kind = (enum odd_kind)(g->odd_next++ % ODD_N);
	} while (!(g->o.odd_mask & (1u << kind)));
	g->odd_count[kind]++;
	s = &g->odd_sess[kind];

	switch (kind) {
	case ODD_JUMBO:
		plen = gen_mold_packet(s, &g->rng, frame + 14 + 28, GEN_JUMBO_MTU - 28, 1000,
				       g->now, &cnt, &seq);
		len = gen_udp4_frame(g, frame, gen_src_mac_a, GEN_TAG_NONE, 0, IP4(10, 1, 0, 100),
				     IP4(239, 1, 9, 1), 31001, plen);
		break;
	case ODD_VLAN:
	case ODD_QINQ:
		plen = gen_mold_packet(s, &g->rng, frame + 14 + 28, GEN_ETH_MTU - 28,
				       gen_msg_count(&g->rng), g->now, &cnt, &seq);
		len = gen_udp4_frame(g, frame, gen_src_mac_a,
				     kind == ODD_VLAN ? GEN_TAG_VLAN : GEN_TAG_QINQ,
				     (uint16_t)(10 + kind), IP4(10, 1, 0, 100),
				     IP4(239, 1, 9, kind == ODD_VLAN ? 2 : 3),
				     (uint16_t)(kind == ODD_VLAN ? 31002 : 31003), plen);
		break;
	case ODD_FRAG:
		odd_frag(g, frame);
		return;
	case ODD_IPV6:
		len = odd_ipv6(g, frame);
		break;
	case ODD_NONUDP:
		len = odd_nonudp(g, frame);
		break;
	case ODD_BADCSUM:
		len = odd_badcsum(g, frame);
		break;
	default: /* ODD_RUNT: the first 14 to 59 bytes of a multicast frame */
		plen = gen_mold_packet(s, &g->rng, frame + 14 + 28, 64, 1, g->now, &cnt, &seq);
		len = gen_udp4_frame(g, frame, gen_src_mac_a, GEN_TAG_NONE, 0, IP4(10, 1, 0, 100),
				     IP4(239, 1, 9, 7), 31007, plen);
		len = (size_t)gen_rng_range(&g->rng, 14, 59);
		break;
	}
	gen_emit(g, g->now, frame, len);
}
