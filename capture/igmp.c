/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IGMP messages, built and parsed without DPDK.
 *
 * A DPDK-owned port has no kernel stack behind it, so nothing answers the querier and the
 * switch stops forwarding the groups after a few minutes unless feedcap speaks IGMP itself.
 * The messages follow RFC 2236 (v2) and RFC 3376 (v3) to the letter on the points switches
 * check: IP TTL 1, the Router Alert option, and the IGMP checksum.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "capture.h"

#define ETH_HLEN      14
#define ETH_P_IPV4    0x0800
#define ETH_P_VLAN    0x8100
#define ETH_P_QINQ    0x88a8
#define IP_HLEN_RA    24 /* 20 + Router Alert option */
#define IPPROTO_IGMP_ 2

#define IGMP_QUERY     0x11
#define IGMP_V2_REPORT 0x16
#define IGMP_V2_LEAVE  0x17
#define IGMP_V3_REPORT 0x22

/* IGMPv3 group record types (RFC 3376 4.2.12). */
#define MODE_IS_INCLUDE	  1
#define MODE_IS_EXCLUDE	  2
#define CHANGE_TO_INCLUDE 3
#define CHANGE_TO_EXCLUDE 4
#define ALLOW_NEW_SOURCES 5
#define BLOCK_OLD_SOURCES 6

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint16_t capture_csum_fold(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		sum += get16(p + i);
	}
	if (len & 1) {
		sum += (uint32_t)p[len - 1] << 8;
	}
	while (sum >> 16) {
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return (uint16_t)sum;
}

void capture_group_mac(uint32_t group, uint8_t mac[6])
{
	uint32_t g = ntohl(group);

	mac[0] = 0x01;
	mac[1] = 0x00;
	mac[2] = 0x5e;
	mac[3] = (uint8_t)((g >> 16) & 0x7f);
	mac[4] = (uint8_t)(g >> 8);
	mac[5] = (uint8_t)g;
}

static uint8_t v3_record_type(enum capture_igmp_kind kind, bool ssm)
{
	switch (kind) {
	case CAPTURE_IGMP_JOIN:
		return ssm ? ALLOW_NEW_SOURCES : CHANGE_TO_EXCLUDE;
	case CAPTURE_IGMP_ANSWER:
		return ssm ? MODE_IS_INCLUDE : MODE_IS_EXCLUDE;
	case CAPTURE_IGMP_LEAVE:
	default:
		return ssm ? BLOCK_OLD_SOURCES : CHANGE_TO_INCLUDE;
	}
}

size_t capture_igmp_build(uint8_t *buf, size_t buflen, enum capture_igmp_kind kind, int version,
			  const uint8_t src_mac[6], uint32_t src_ip,
			  const struct capture_group *groups, int ngroups)
{
	uint8_t *ip = buf + ETH_HLEN, *igmp = ip + IP_HLEN_RA;
	uint32_t dst;
	size_t igmp_len, i;
	uint8_t *rec;

	if (ngroups < 1 || (version == 2 && ngroups != 1) ||
	    (version == 3 && ngroups > CAPTURE_IGMP_V3_PER_FRAME) ||
	    (version != 2 && version != 3)) {
		return 0;
	}
	if (version == 2) {
		/* RFC 2236: leaves go to all-routers, reports to the group itself. */
		dst = kind == CAPTURE_IGMP_LEAVE ? htonl(CAPTURE_IGMP_ALL_ROUTERS) : groups[0].addr;
		igmp_len = 8;
	} else {
		dst = htonl(CAPTURE_IGMP_V3_ROUTERS);
		igmp_len = 8;
		for (i = 0; i < (size_t)ngroups; i++) {
			igmp_len += 8 + (groups[i].source ? 4 : 0);
		}
	}
	if (buflen < ETH_HLEN + IP_HLEN_RA + igmp_len) {
		return 0;
	}
	memset(buf, 0, ETH_HLEN + IP_HLEN_RA + igmp_len);

	capture_group_mac(dst, buf);
	memcpy(buf + 6, src_mac, 6);
	put16(buf + 12, ETH_P_IPV4);

	ip[0] = 0x46; /* version 4, IHL 6 words: one option */
	ip[1] = 0xc0; /* precedence internetwork control, as Linux sends IGMP */
	put16(ip + 2, (uint16_t)(IP_HLEN_RA + igmp_len));
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 1;	       /* TTL 1: IGMP never leaves the link */
	ip[9] = IPPROTO_IGMP_;
	memcpy(ip + 12, &src_ip, 4);
	memcpy(ip + 16, &dst, 4);
	ip[20] = 0x94; /* Router Alert (RFC 2113): copied, class 0, number 20, length 4 */
	ip[21] = 0x04;
	put16(ip + 10, (uint16_t)~capture_csum_fold(ip, IP_HLEN_RA));

	if (version == 2) {
		igmp[0] = kind == CAPTURE_IGMP_LEAVE ? IGMP_V2_LEAVE : IGMP_V2_REPORT;
		memcpy(igmp + 4, &groups[0].addr, 4);
	} else {
		igmp[0] = IGMP_V3_REPORT;
		put16(igmp + 6, (uint16_t)ngroups);
		rec = igmp + 8;
		for (i = 0; i < (size_t)ngroups; i++) {
			rec[0] = v3_record_type(kind, groups[i].source != 0);
			put16(rec + 2, groups[i].source ? 1 : 0);
			memcpy(rec + 4, &groups[i].addr, 4);
			rec += 8;
			if (groups[i].source) {
				memcpy(rec, &groups[i].source, 4);
				rec += 4;
			}
		}
	}
	put16(igmp + 2, (uint16_t)~capture_csum_fold(igmp, igmp_len));
	return ETH_HLEN + IP_HLEN_RA + igmp_len;
}

/* The IPv4 header of an Ethernet frame with at most two VLAN tags, or NULL. */
static const uint8_t *ipv4_header(const uint8_t *f, uint32_t len, uint32_t *left)
{
	uint32_t off = 12;
	uint16_t type;
	int tags = 0;

	for (;;) {
		if (len < off + 2) {
			return NULL;
		}
		type = get16(f + off);
		if ((type == ETH_P_VLAN || type == ETH_P_QINQ) && tags++ < 2) {
			off += 4;
			continue;
		}
		break;
	}
	if (type != ETH_P_IPV4 || len < off + 2 + 20) {
		return NULL;
	}
	*left = len - off - 2;
	return f + off + 2;
}

bool capture_igmp_is_query(const uint8_t *frame, uint32_t len)
{
	const uint8_t *ip;
	uint32_t left, ihl;

	ip = ipv4_header(frame, len, &left);
	if (!ip || ip[9] != IPPROTO_IGMP_ || (ip[0] >> 4) != 4) {
		return false;
	}
	ihl = (uint32_t)(ip[0] & 0xf) * 4;
	return left >= ihl + 8 && ip[ihl] == IGMP_QUERY;
}

int capture_igmp_parse_query(const uint8_t *frame, uint32_t len, struct capture_igmp_query *q)
{
	const uint8_t *ip, *igmp;
	uint32_t left, ihl, tot, igmp_len, code, ds;

	ip = ipv4_header(frame, len, &left);
	if (!ip || (ip[0] >> 4) != 4 || ip[9] != IPPROTO_IGMP_) {
		return -EINVAL;
	}
	ihl = (uint32_t)(ip[0] & 0xf) * 4;
	tot = get16(ip + 2);
	if (ihl < 20 || tot > left || tot < ihl + 8) {
		return -EINVAL;
	}
	igmp = ip + ihl;
	igmp_len = tot - ihl;
	if (igmp[0] != IGMP_QUERY || capture_csum_fold(igmp, igmp_len) != 0xffff) {
		return -EINVAL;
	}
	memcpy(&q->group, igmp + 4, 4);
	code = igmp[1];
	if (igmp_len >= 12) {
		/* RFC 3376 4.1.1: codes from 128 are a floating point value. */
		q->version = 3;
		ds = code < 128 ? code : (uint32_t)((code & 0xf) | 0x10) << (((code >> 4) & 7) + 3);
	} else if (code == 0) {
		q->version = 1; /* RFC 2236 4: an IGMPv1 query means 10 s */
		ds = 100;
	} else {
		q->version = 2;
		ds = code;
	}
	q->max_resp_ms = ds * 100;
	return 0;
}

/*
 * One 64-bit word: group (32 bits) | max resp in deciseconds (16) | version (8) | port (8).
 * The largest IGMPv3 max resp time, 31744 ds, fits in 16 bits.
 */
uint64_t capture_igmp_query_pack(const struct capture_igmp_query *q, uint8_t port)
{
	uint64_t ds = q->max_resp_ms / 100;

	if (ds > 0xffff) {
		ds = 0xffff;
	}
	return (uint64_t)q->group << 32 | ds << 16 | (uint64_t)q->version << 8 | port;
}

void capture_igmp_query_unpack(uint64_t w, struct capture_igmp_query *q, uint8_t *port)
{
	q->group = (uint32_t)(w >> 32);
	q->max_resp_ms = (uint32_t)((w >> 16) & 0xffff) * 100;
	q->version = (uint8_t)(w >> 8);
	*port = (uint8_t)w;
}

bool capture_filter_match(const struct capture_group *groups, int ngroups, const uint8_t *frame,
			  uint32_t len)
{
	const uint8_t *ip;
	uint32_t left, ihl, dst, src;
	uint16_t frag, dport = 0;
	bool have_port = false;
	int i;

	ip = ipv4_header(frame, len, &left);
	if (!ip || (ip[0] >> 4) != 4) {
		return false;
	}
	ihl = (uint32_t)(ip[0] & 0xf) * 4;
	memcpy(&src, ip + 12, 4);
	memcpy(&dst, ip + 16, 4);
	frag = get16(ip + 6) & 0x1fff;
	if (frag == 0 && ip[9] == 17 && left >= ihl + 4) {
		dport = get16(ip + ihl + 2);
		have_port = true;
	}
	for (i = 0; i < ngroups; i++) {
		if (groups[i].addr != dst || (groups[i].source && groups[i].source != src)) {
			continue;
		}
		if (!groups[i].port || frag != 0 || (have_port && dport == groups[i].port)) {
			return true;
		}
	}
	return false;
}
