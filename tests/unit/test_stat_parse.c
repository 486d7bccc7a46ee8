/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * feedcap-stat's frame classifier: Ethernet, VLAN and QinQ, Linux cooked v1 and v2, IPv4 with
 * options and fragments, IPv6 with extension headers, UDP; truncated frames never read past
 * the capture.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pcap/dlt.h>
#include <string.h>

#include "stat_internal.h"

static size_t eth(uint8_t *p, const uint16_t *tags, int ntags, uint16_t type)
{
	size_t o = 12;

	memset(p, 0x11, 12);
	for (int i = 0; i < ntags; i++) {
		p[o] = (uint8_t)(tags[i] >> 8);
		p[o + 1] = (uint8_t)tags[i];
		p[o + 2] = 0;
		p[o + 3] = (uint8_t)(10 + i);
		o += 4;
	}
	p[o] = (uint8_t)(type >> 8);
	p[o + 1] = (uint8_t)type;
	return o + 2;
}

static size_t ipv4_udp(uint8_t *p, const uint8_t dst[4], uint16_t dport, uint16_t frag,
		       size_t optlen, size_t paylen)
{
	size_t ihl = 20 + optlen;

	memset(p, 0, ihl + 8 + paylen);
	p[0] = (uint8_t)(0x40 | (ihl / 4));
	p[2] = (uint8_t)((ihl + 8 + paylen) >> 8);
	p[3] = (uint8_t)(ihl + 8 + paylen);
	p[6] = (uint8_t)(frag >> 8);
	p[7] = (uint8_t)frag;
	p[8] = 1;
	p[9] = 17;
	memcpy(p + 16, dst, 4);
	p[ihl + 2] = (uint8_t)(dport >> 8);
	p[ihl + 3] = (uint8_t)dport;
	p[ihl + 4] = (uint8_t)((8 + paylen) >> 8);
	p[ihl + 5] = (uint8_t)(8 + paylen);
	for (size_t i = 0; i < paylen; i++) {
		p[ihl + 8 + i] = (uint8_t)i;
	}
	return ihl + 8 + paylen;
}

static const uint8_t grp[4] = { 239, 1, 1, 7 };

Test(stat_parse, plain_vlan_qinq)
{
	static const uint16_t q1[] = { 0x8100 }, q2[] = { 0x88a8, 0x8100 };
	const uint16_t *tags[] = { NULL, q1, q2 };
	uint8_t f[256];
	struct fcreader_flow fl;
	char s[64];

	for (int n = 0; n < 3; n++) {
		size_t o = eth(f, tags[n], n, 0x0800);
		size_t len = o + ipv4_udp(f + o, grp, 30007, 0, 0, 40);

		cr_assert_eq(fcreader_flow_parse(DLT_EN10MB, f, (uint32_t)len, &fl),
			     FCREADER_FLOW_UDP);
		cr_assert_eq(fl.vlans, n);
		cr_assert_eq(fl.dport, 30007);
		cr_assert_eq(fl.paylen, 40);
		cr_assert_eq(fl.payload[5], 5);
		fcreader_flow_dst_str(&fl, s, sizeof(s));
		cr_assert_str_eq(s, "239.1.1.7:30007");
	}
}

Test(stat_parse, ipv4_options_padding_fragments)
{
	uint8_t f[256];
	struct fcreader_flow fl;
	size_t o = eth(f, NULL, 0, 0x0800);
	size_t len = o + ipv4_udp(f + o, grp, 30001, 0, 8, 4);

	/* Ethernet padding to 60 bytes is not payload */
	memset(f + len, 0xee, 60 - len);
	cr_assert_eq(fcreader_flow_parse(DLT_EN10MB, f, 60, &fl), FCREADER_FLOW_UDP);
	cr_assert_eq(fl.paylen, 4);
	/* first fragment (MF set, offset 0): counted as UDP with its group */
	len = o + ipv4_udp(f + o, grp, 30001, 0x2000, 0, 100);
	cr_assert_eq(fcreader_flow_parse(DLT_EN10MB, f, (uint32_t)len, &fl), FCREADER_FLOW_UDP);
	/* a later fragment has no UDP header */
	len = o + ipv4_udp(f + o, grp, 30001, 0x0010, 0, 100);
	cr_assert_eq(fcreader_flow_parse(DLT_EN10MB, f, (uint32_t)len, &fl),
		     FCREADER_FLOW_FRAGMENT);
	cr_assert_eq(memcmp(fl.dst, grp, 4), 0);
}

Test(stat_parse, ipv6_extension_headers)
{
	uint8_t f[256] = { 0 };
	struct fcreader_flow fl;
	size_t o = eth(f, NULL, 0, 0x86dd);
	uint8_t *ip = f + o;
	char s[64];

	ip[0] = 0x60;
	ip[4] = 0;
	ip[5] = 8 + 8 + 12; /* hop-by-hop 8, UDP 8, payload 12 */
	ip[6] = 0;	    /* hop-by-hop */
	ip[24] = 0xff;
	ip[25] = 0x15;
	ip[39] = 0x01;
	ip[40] = 17; /* next: UDP */
	ip[41] = 0;  /* 8 bytes */
	ip[48 + 2] = 0x75;
	ip[48 + 3] = 0x31; /* 30001 */
	ip[48 + 5] = 20;
	cr_assert_eq(fcreader_flow_parse(DLT_EN10MB, f, (uint32_t)(o + 40 + 8 + 8 + 12), &fl),
		     FCREADER_FLOW_UDP);
	fcreader_flow_dst_str(&fl, s, sizeof(s));
	cr_assert_str_eq(s, "[ff15::1]:30001");
	cr_assert_eq(fl.paylen, 12);
	/* later IPv6 fragment */
	ip[6] = 44;
	ip[40] = 17;
	ip[42] = 0x00;
	ip[43] = 0x08; /* offset 1 (x8) */
	cr_assert_eq(fcreader_flow_parse(DLT_EN10MB, f, (uint32_t)(o + 40 + 8 + 8 + 12), &fl),
		     FCREADER_FLOW_FRAGMENT);
}

Test(stat_parse, every_truncation_is_safe)
{
	static const uint16_t q2[] = { 0x88a8, 0x8100 };
	uint8_t f[256];
	struct fcreader_flow fl;
	size_t o = eth(f, q2, 2, 0x0800);
	size_t len = o + ipv4_udp(f + o, grp, 30001, 0, 4, 30);

	/*
	 * Every prefix that stops before the UDP destination port is "other"; from there on it
	 * is UDP to its group, with the payload that was captured (none inside the header).
	 */
	for (size_t cut = 0; cut <= len; cut++) {
		enum fcreader_flow_kind k = fcreader_flow_parse(DLT_EN10MB, f, (uint32_t)cut, &fl);

		if (cut < o + 24 + 4) {
			cr_assert_eq(k, FCREADER_FLOW_OTHER, "cut %zu", cut);
		} else {
			cr_assert_eq(k, FCREADER_FLOW_UDP, "cut %zu", cut);
			cr_assert_eq(fl.dport, 30001, "cut %zu", cut);
			cr_assert_eq(fl.paylen, cut < o + 24 + 8 ? 0 : cut - (o + 24 + 8),
				     "cut %zu", cut);
		}
	}
}

/* tcpdump -i any: SLL (16 bytes, protocol last) and SLL2 (20 bytes, protocol first) */
Test(stat_parse, linux_cooked_v1_v2)
{
	static const struct {
		int dlt;
		size_t hlen, proto_off;
	} c[] = { { DLT_LINUX_SLL, 16, 14 }, { DLT_LINUX_SLL2, 20, 0 } };
	uint8_t f[256];
	struct fcreader_flow fl;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(f, 0x22, c[i].hlen);
		f[c[i].proto_off] = 0x08;
		f[c[i].proto_off + 1] = 0x00;

		size_t len = c[i].hlen + ipv4_udp(f + c[i].hlen, grp, 30009, 0, 0, 12);

		for (size_t cut = 0; cut <= len; cut++) {
			enum fcreader_flow_kind k =
				fcreader_flow_parse(c[i].dlt, f, (uint32_t)cut, &fl);

			cr_assert_eq(k,
				     cut < c[i].hlen + 24 ? FCREADER_FLOW_OTHER : FCREADER_FLOW_UDP,
				     "dlt %d cut %zu", c[i].dlt, cut);
		}
		cr_assert_eq(fl.dport, 30009, "dlt %d", c[i].dlt);
		cr_assert_eq(fl.paylen, 12, "dlt %d", c[i].dlt);
		cr_assert_eq(memcmp(fl.dst, grp, 4), 0, "dlt %d", c[i].dlt);
	}
}

Test(stat_parse, dst_specs)
{
	struct fcreader_flow f;
	bool any;

	cr_assert_eq(fcreader_dst_parse("239.1.1.1:30001", &f, &any), 0);
	cr_assert(!any);
	cr_assert_eq(f.dport, 30001);
	cr_assert_eq(fcreader_dst_parse("239.1.1.1", &f, &any), 0);
	cr_assert(any);
	cr_assert_eq(fcreader_dst_parse("[ff15::1]:5", &f, &any), 0);
	cr_assert_eq(f.af, 6);
	cr_assert_eq(fcreader_dst_parse("239.1.1:1", &f, &any), -EINVAL);
	cr_assert_eq(fcreader_dst_parse("239.1.1.1:70000", &f, &any), -EINVAL);
	cr_assert_eq(fcreader_dst_parse("[ff15::1", &f, &any), -EINVAL);
}

Test(stat_parse, feed_specs)
{
	struct fcreader_feed_spec f;
	struct fcreader_flow k = { 0 };
	char err[256];

	cr_assert_eq(fcreader_feed_parse("itch=239.1.1.1:30001,239.1.2.1", &f, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_str_eq(f.name, "itch");
	cr_assert_str_eq(f.spec[1], "239.1.2.1");
	cr_assert(!f.any_port[0]);
	cr_assert(f.any_port[1]);
	k.af = 4;
	memcpy(k.dst, (uint8_t[]){ 239, 1, 2, 1 }, 4);
	k.dport = 999;
	cr_assert(fcreader_dst_match(&f.line[1], f.any_port[1], &k), "any port of B's address");
	cr_assert_not(fcreader_dst_match(&f.line[0], f.any_port[0], &k));
	static const char *bad[] = { "itch", "=a,b", "x=239.1.1.1", "x=239.1.1.1,",
				     "x=1.2,239.1.1.1" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_assert_eq(fcreader_feed_parse(bad[i], &f, err, sizeof(err)), -EINVAL, "%s",
			     bad[i]);
		cr_assert(err[0], "no message for %s", bad[i]);
	}
}
