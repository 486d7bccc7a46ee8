/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * feedcap-gendata - deterministic synthetic multicast market data, written as a pcap file.
 *
 * Several feeds, each a MoldUDP64 session on its own UDP multicast group (line A:
 * 239.1.1.N:3000N, line B with --ab: 239.1.2.N, the same port, a few microseconds later).
 * Payloads are MoldUDP64 (10-byte session, 8-byte big-endian sequence number, 2-byte
 * message count, then messages of a 2-byte length and an ITCH 5.0-like body: add order,
 * delete, cancel, executed, replace, trade), heartbeats now and then.  Frame sizes run from
 * 62 to 1514 bytes with a mean near 200; inter-arrival times are exponential around --rate
 * with bursts at near line rate.  --gaps and --ab-loss drop packets the way a network does
 * (a gap in the sequence numbers), --gaps-log says which.  --odd mixes in the frames a
 * capture must survive: jumbo (9000-byte MTU), VLAN and QinQ tagged, IPv4 fragments, IPv6
 * multicast, non-UDP (ARP, IGMP, TCP, ICMP) and runts (under 60 bytes).
 *
 * The same options always give the same bytes (see gendata.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "gendata.h"

#define NSEC_PER_SEC UINT64_C(1000000000)

enum odd_kind { ODD_JUMBO, ODD_VLAN, ODD_QINQ, ODD_FRAG, ODD_IPV6, ODD_NONUDP, ODD_RUNT, ODD_N };

static const char *const odd_names[ODD_N] = {
	"jumbo", "vlan", "qinq", "frag", "ipv6", "nonudp", "runt",
};

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

static const uint8_t src_mac_a[6] = { 0x02, 0xfc, 0x00, 0x0a, 0x00, 0x01 };
static const uint8_t src_mac_b[6] = { 0x02, 0xfc, 0x00, 0x0b, 0x00, 0x01 };
static const uint8_t gw_mac[6] = { 0x02, 0xfc, 0x00, 0x00, 0x00, 0xfe };

#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((c) << 8) | (d))

static void write_raw(struct gen *g, uint64_t ts, const uint8_t *data, size_t len)
{
	struct pcap_pkthdr h;
	uint64_t frac = ts % NSEC_PER_SEC;

	if (g->written >= g->o.count) {
		return;
	}
	if (ts < g->last_ts) {
		ts = g->last_ts;
		frac = ts % NSEC_PER_SEC;
	}
	h.ts.tv_sec = (time_t)(ts / NSEC_PER_SEC);
	/* In a nanosecond pcap tv_usec carries nanoseconds. */
	h.ts.tv_usec = (suseconds_t)(g->o.us ? frac / 1000 : frac);
	h.caplen = (bpf_u_int32)len;
	h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)g->dump, &h, data);
	g->last_ts = ts;
	g->written++;
	g->bytes += len;
	if (len < g->min_len) {
		g->min_len = len;
	}
	if (len > g->max_len) {
		g->max_len = len;
	}
}

static void flush_queue(struct gen *g, uint64_t upto)
{
	while (g->qlen > 0 && g->q[g->qhead].ts <= upto) {
		struct qframe *f = &g->q[g->qhead];

		write_raw(g, f->ts, f->data, f->len);
		g->qhead = (g->qhead + 1) % g->qcap;
		g->qlen--;
	}
}

static void emit(struct gen *g, uint64_t ts, const uint8_t *data, size_t len)
{
	flush_queue(g, ts);
	write_raw(g, ts, data, len);
}

static void enqueue_b(struct gen *g, uint64_t ts, const uint8_t *data, size_t len)
{
	struct qframe *f;

	if (g->qlen == g->qcap) {
		/* Only with a huge --ab-delay: write the oldest early, time order is kept. */
		write_raw(g, g->q[g->qhead].ts, g->q[g->qhead].data, g->q[g->qhead].len);
		g->qhead = (g->qhead + 1) % g->qcap;
		g->qlen--;
	}
	f = &g->q[(g->qhead + g->qlen) % g->qcap];
	f->ts = ts;
	f->len = len;
	memcpy(f->data, data, len);
	g->qlen++;
}

/* Ethernet + IPv4 + UDP around a payload already at frame + off + 8 (off = L3 start). */
static size_t udp4_frame(struct gen *g, uint8_t *frame, const uint8_t *src_mac, enum gen_tag tag,
			 uint16_t vid, uint32_t src, uint32_t group, uint16_t port, size_t plen)
{
	uint8_t mac[6];
	size_t l3, l4;

	gen_mcast_mac4(mac, group);
	l3 = gen_eth(frame, mac, src_mac, tag, vid, 0x0800);
	/* The caller put the payload after a 20-byte IP and 8-byte UDP header at l3 == 14. */
	if (l3 != 14) {
		memmove(frame + l3 + 28, frame + 14 + 28, plen);
	}
	l4 = l3 + gen_ipv4(frame + l3, src, group, 17, 8 + plen, g->ipid++, 0x4000, 16, false);
	gen_udp4(frame + l4, src, group, port, port, plen);
	return l4 + 8 + plen;
}

static void log_loss(struct gen *g, const char *line, unsigned int feed, uint64_t seq,
		     uint16_t count)
{
	if (g->gaps_log) {
		fprintf(g->gaps_log, "%s 239.1.%s.%u:%u %s %" PRIu64 " %u\n", line,
			line[0] == 'B' ? "2" : "1", feed + 1, 30001 + feed, g->feed[feed].name, seq,
			count);
	}
}

static unsigned int pick_feed(struct gen *g)
{
	/* Feed i has weight groups - i: the first feeds are the busiest, as in real venues. */
	unsigned int n = g->o.groups;
	uint64_t x = gen_rng_range(&g->rng, 0, (uint64_t)n * (n + 1) / 2 - 1);

	for (unsigned int i = 0; i < n; i++) {
		if (x < n - i) {
			return i;
		}
		x -= n - i;
	}
	return 0;
}

static void md_packet(struct gen *g)
{
	static uint8_t frame[GEN_ETH_MTU + 14];
	unsigned int fi = pick_feed(g);
	bool heartbeat = gen_rng_chance(&g->rng, UINT32_MAX / 64);
	unsigned int nmsg = heartbeat ? 0 : gen_msg_count(&g->rng);
	bool drop_both = gen_rng_chance(&g->rng, g->o.gaps);
	bool drop_one = gen_rng_chance(&g->rng, g->o.ab_loss);
	bool drop_is_a = gen_rng_chance(&g->rng, 1u << 31);
	uint64_t jitter = gen_rng_range(&g->rng, 0, g->o.ab_delay_ns / 4);
	uint64_t seq;
	uint16_t cnt;
	size_t plen, len;

	plen = gen_mold_packet(&g->feed[fi], &g->rng, frame + 14 + 28, GEN_ETH_MTU - 28, nmsg,
			       g->now, &cnt, &seq);
	if (cnt == 0) {
		/* A lost heartbeat leaves no gap: never drop one. */
		drop_both = drop_one = false;
		g->heartbeats++;
	}
	if (!g->o.ab) {
		drop_one = false;
	}
	if (drop_both) {
		g->lost_both++;
		log_loss(g, "AB", fi, seq, cnt);
		return;
	}
	if (drop_one) {
		(*(drop_is_a ? &g->lost_a : &g->lost_b))++;
		log_loss(g, drop_is_a ? "A" : "B", fi, seq, cnt);
	}
	len = udp4_frame(g, frame, src_mac_a, GEN_TAG_NONE, 0, IP4(10, 1, 0, fi + 1),
			 IP4(239, 1, 1, fi + 1), (uint16_t)(30001 + fi), plen);
	if (!(drop_one && drop_is_a)) {
		emit(g, g->now, frame, len);
		g->md_frames++;
	}
	if (g->o.ab && !(drop_one && !drop_is_a)) {
		uint64_t tb = g->now + g->o.ab_delay_ns + jitter;

		if (tb <= g->last_b_ts) {
			tb = g->last_b_ts + 1;
		}
		g->last_b_ts = tb;
		len = udp4_frame(g, frame, src_mac_b, GEN_TAG_NONE, 0, IP4(10, 2, 0, fi + 1),
				 IP4(239, 1, 2, fi + 1), (uint16_t)(30001 + fi), plen);
		enqueue_b(g, tb, frame, len);
		g->md_frames++;
	}
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
		size_t l3 = gen_eth(frame, mac, src_mac_a, GEN_TAG_NONE, 0, 0x0800);
		size_t l4 = l3 + gen_ipv4(frame + l3, src, group, 17, n, id,
					  (uint16_t)((more ? 0x2000 : 0) | (off / 8)), 16, false);

		memcpy(frame + l4, dgram + off, n);
		emit(g, g->now + (off / 1480) * 1300, frame, l4 + n);
	}
}

static size_t odd_ipv6(struct gen *g, uint8_t *frame)
{
	static const uint8_t src[16] = { 0xfd, 0x00, 0xfc, 0xa9, [15] = 0x01 };
	static const uint8_t dst[16] = { 0xff, 0x15, [13] = 0x09, [15] = 0x05 };
	static const uint8_t mac[6] = { 0x33, 0x33, 0x00, 0x09, 0x00, 0x05 };
	struct gen_session *s = &g->odd_sess[ODD_IPV6];
	size_t l3 = gen_eth(frame, mac, src_mac_a, GEN_TAG_NONE, 0, 0x86dd);
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
		l3 = gen_eth(frame, bcast, src_mac_a, GEN_TAG_NONE, 0, 0x0806);
		put_be16(frame + l3, 1);
		put_be16(frame + l3 + 2, 0x0800);
		frame[l3 + 4] = 6;
		frame[l3 + 5] = 4;
		put_be16(frame + l3 + 6, 1);
		memcpy(frame + l3 + 8, src_mac_a, 6);
		put_be32(frame + l3 + 14, me);
		memset(frame + l3 + 18, 0, 6);
		put_be32(frame + l3 + 24, gw);
		return l3 + 28;
	case 1: { /* IGMPv2 membership report, Router Alert, TTL 1 */
		uint32_t group = IP4(239, 1, 1, 1 + (g->nonudp_next / 4) % g->o.groups);

		gen_mcast_mac4(mac, group);
		l3 = gen_eth(frame, mac, src_mac_a, GEN_TAG_NONE, 0, 0x0800);
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
		l3 = gen_eth(frame, gw_mac, src_mac_a, GEN_TAG_NONE, 0, 0x0800);
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
		l3 = gen_eth(frame, gw_mac, src_mac_a, GEN_TAG_NONE, 0, 0x0800);
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

static void odd_frame(struct gen *g)
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
		len = udp4_frame(g, frame, src_mac_a, GEN_TAG_NONE, 0, IP4(10, 1, 0, 100),
				 IP4(239, 1, 9, 1), 31001, plen);
		break;
	case ODD_VLAN:
	case ODD_QINQ:
		plen = gen_mold_packet(s, &g->rng, frame + 14 + 28, GEN_ETH_MTU - 28,
				       gen_msg_count(&g->rng), g->now, &cnt, &seq);
		len = udp4_frame(g, frame, src_mac_a,
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
	default: /* ODD_RUNT: the first 14 to 59 bytes of a multicast frame */
		plen = gen_mold_packet(s, &g->rng, frame + 14 + 28, 64, 1, g->now, &cnt, &seq);
		len = udp4_frame(g, frame, src_mac_a, GEN_TAG_NONE, 0, IP4(10, 1, 0, 100),
				 IP4(239, 1, 9, 7), 31007, plen);
		len = (size_t)gen_rng_range(&g->rng, 14, 59);
		break;
	}
	emit(g, g->now, frame, len);
}

static void advance(struct gen *g)
{
	uint64_t mean = NSEC_PER_SEC / g->o.rate;
	uint64_t dt;

	if (g->burst_left > 0) {
		/* Back to back at 10 Gb/s: ~170 ns for a 200-byte frame. */
		g->burst_left--;
		dt = gen_rng_range(&g->rng, 70, 400);
	} else if (gen_rng_chance(&g->rng, g->o.burst)) {
		g->burst_left = (unsigned int)gen_rng_range(&g->rng, 16, g->o.burst_len);
		dt = gen_rng_range(&g->rng, 70, 400);
	} else {
		dt = gen_rng_exp(&g->rng, mean);
	}
	g->now += dt < 60 ? 60 : dt;
}

static int run(struct gen *g)
{
	char name[GEN_SESSION_LEN + 1];

	g->qcap = 4096;
	g->q = calloc(g->qcap, sizeof(*g->q));
	if (!g->q) {
		fprintf(stderr, "feedcap-gendata: out of memory\n");
		return 1;
	}
	gen_rng_seed(&g->rng, g->o.seed);
	for (unsigned int i = 0; i < g->o.groups; i++) {
		snprintf(name, sizeof(name), "FCAP%06u", (i + 1) % 1000000);
		gen_session_init(&g->feed[i], name, i);
	}
	for (unsigned int k = 0; k < ODD_N; k++) {
		snprintf(name, sizeof(name), "ODD%-7.7s", odd_names[k]);
		for (char *c = name; *c; c++) {
			*c = *c == ' ' ? '0' : (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
		}
		gen_session_init(&g->odd_sess[k], name, 100 + k);
	}
	g->now = g->o.start_ns;
	g->min_len = UINT64_MAX;

	while (g->written < g->o.count) {
		if (g->o.odd && gen_rng_chance(&g->rng, g->o.odd)) {
			odd_frame(g);
		} else {
			md_packet(g);
		}
		advance(g);
	}
	free(g->q);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: feedcap-gendata -w FILE|- [options]\n"
		"Deterministic synthetic multicast market data (MoldUDP64, ITCH-like) as pcap.\n"
		"  -w, --write FILE       output pcap ('-' for stdout)\n"
		"  -n, --count N          frames to write (default 10000)\n"
		"  -s, --seed N           random seed (default 1)\n"
		"  -r, --rate PPS         mean packets per second outside bursts (default 100000)\n"
		"  -g, --groups N         feeds, one multicast group each: 239.1.1.N:3000N (default 4, max %d)\n"
		"      --start SECONDS    first timestamp, seconds since the epoch (default 1700000000)\n"
		"      --precision ns|us  timestamp precision of the pcap (default ns)\n"
		"      --ab               add a B line copy of every feed on 239.1.2.N\n"
		"      --ab-delay NS      B line delay after A (default 3000, plus up to 25%% jitter)\n"
		"      --ab-loss P        probability a packet is lost on one line only (default 0)\n"
		"      --gaps P           probability a packet is lost on every line (default 0)\n"
		"      --gaps-log FILE    write one line per dropped packet: LINE GROUP SESSION SEQ COUNT\n"
		"      --burst P          probability a burst starts at a packet (default 0.002)\n"
		"      --burst-len N      longest burst in packets (default 200)\n"
		"      --odd P            fraction of odd frames (default 0): %s\n"
		"      --odd-kinds LIST   comma-separated subset of the odd kinds (default all)\n"
		"  -v, --verbose          print a summary on stderr\n",
		GEN_MAX_FEEDS, "jumbo,vlan,qinq,frag,ipv6,nonudp,runt");
}

static int parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *v < min || *v > max || s[0] == '-') {
		fprintf(stderr,
			"feedcap-gendata: %s: \"%s\" is not an integer in [%" PRIu64 ", %" PRIu64
			"]\n",
			opt, s, min, max);
		return -EINVAL;
	}
	return 0;
}

static int parse_prob(const char *opt, const char *s, uint32_t *thresh)
{
	char *end;
	double p;

	errno = 0;
	p = strtod(s, &end);
	if (errno || end == s || *end || !(p >= 0.0 && p <= 1.0)) {
		fprintf(stderr, "feedcap-gendata: %s: \"%s\" is not a probability in [0, 1]\n", opt,
			s);
		return -EINVAL;
	}
	*thresh = p >= 1.0 ? UINT32_MAX : (uint32_t)(p * 4294967296.0);
	return 0;
}

static int parse_kinds(const char *s, unsigned int *mask)
{
	char buf[256], *save = NULL;

	if (strlen(s) >= sizeof(buf)) {
		fprintf(stderr, "feedcap-gendata: --odd-kinds: list too long\n");
		return -EINVAL;
	}
	strcpy(buf, s);
	*mask = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		unsigned int k;

		for (k = 0; k < ODD_N; k++) {
			if (!strcmp(t, odd_names[k])) {
				break;
			}
		}
		if (k == ODD_N) {
			fprintf(stderr,
				"feedcap-gendata: --odd-kinds: unknown kind \"%s\" (known: jumbo, vlan, qinq, frag, ipv6, nonudp, runt)\n",
				t);
			return -EINVAL;
		}
		*mask |= 1u << k;
	}
	if (!*mask) {
		fprintf(stderr, "feedcap-gendata: --odd-kinds: empty list\n");
		return -EINVAL;
	}
	return 0;
}

enum {
	OPT_START = 256,
	OPT_PRECISION,
	OPT_AB,
	OPT_AB_DELAY,
	OPT_AB_LOSS,
	OPT_GAPS,
	OPT_GAPS_LOG,
	OPT_BURST,
	OPT_BURST_LEN,
	OPT_ODD,
	OPT_ODD_KINDS,
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "write", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'r' },
		{ "groups", required_argument, NULL, 'g' },
		{ "start", required_argument, NULL, OPT_START },
		{ "precision", required_argument, NULL, OPT_PRECISION },
		{ "ab", no_argument, NULL, OPT_AB },
		{ "ab-delay", required_argument, NULL, OPT_AB_DELAY },
		{ "ab-loss", required_argument, NULL, OPT_AB_LOSS },
		{ "gaps", required_argument, NULL, OPT_GAPS },
		{ "gaps-log", required_argument, NULL, OPT_GAPS_LOG },
		{ "burst", required_argument, NULL, OPT_BURST },
		{ "burst-len", required_argument, NULL, OPT_BURST_LEN },
		{ "odd", required_argument, NULL, OPT_ODD },
		{ "odd-kinds", required_argument, NULL, OPT_ODD_KINDS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c, rc = 0;

	*o = (struct opts){ .count = 10000,
			    .seed = 1,
			    .rate = 100000,
			    .groups = 4,
			    .start_ns = UINT64_C(1700000000) * NSEC_PER_SEC,
			    .ab_delay_ns = 3000,
			    .burst = (uint32_t)(0.002 * 4294967296.0),
			    .burst_len = 200,
			    .odd_mask = (1u << ODD_N) - 1 };

	while (rc == 0 && (c = getopt_long(argc, argv, "w:n:s:r:g:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'w':
			o->out = optarg;
			break;
		case 'n':
			rc = parse_u64("--count", optarg, 1, UINT64_MAX / 2, &o->count);
			break;
		case 's':
			rc = parse_u64("--seed", optarg, 0, UINT64_MAX, &o->seed);
			break;
		case 'r':
			rc = parse_u64("--rate", optarg, 1, NSEC_PER_SEC / 100, &o->rate);
			break;
		case 'g':
			rc = parse_u64("--groups", optarg, 1, GEN_MAX_FEEDS, &v);
			o->groups = (unsigned int)v;
			break;
		case OPT_START:
			rc = parse_u64("--start", optarg, 0, UINT64_C(4000000000), &v);
			o->start_ns = v * NSEC_PER_SEC;
			break;
		case OPT_PRECISION:
			if (!strcmp(optarg, "us")) {
				o->us = true;
			} else if (!strcmp(optarg, "ns")) {
				o->us = false;
			} else {
				fprintf(stderr,
					"feedcap-gendata: --precision: \"%s\" is neither ns nor us\n",
					optarg);
				rc = -EINVAL;
			}
			break;
		case OPT_AB:
			o->ab = true;
			break;
		case OPT_AB_DELAY:
			rc = parse_u64("--ab-delay", optarg, 0, NSEC_PER_SEC, &o->ab_delay_ns);
			break;
		case OPT_AB_LOSS:
			rc = parse_prob("--ab-loss", optarg, &o->ab_loss);
			break;
		case OPT_GAPS:
			rc = parse_prob("--gaps", optarg, &o->gaps);
			break;
		case OPT_GAPS_LOG:
			o->gaps_log = optarg;
			break;
		case OPT_BURST:
			rc = parse_prob("--burst", optarg, &o->burst);
			break;
		case OPT_BURST_LEN:
			rc = parse_u64("--burst-len", optarg, 16, 100000, &v);
			o->burst_len = (unsigned int)v;
			break;
		case OPT_ODD:
			rc = parse_prob("--odd", optarg, &o->odd);
			break;
		case OPT_ODD_KINDS:
			rc = parse_kinds(optarg, &o->odd_mask);
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (rc) {
		return rc;
	}
	if (optind < argc) {
		fprintf(stderr, "feedcap-gendata: unexpected argument \"%s\"\n", argv[optind]);
		return -EINVAL;
	}
	if (!o->out) {
		fprintf(stderr, "feedcap-gendata: -w FILE is required ('-' for stdout)\n");
		usage(stderr);
		return -EINVAL;
	}
	if (o->ab_loss && !o->ab) {
		fprintf(stderr, "feedcap-gendata: --ab-loss needs --ab\n");
		return -EINVAL;
	}
	return 0;
}

static void summary(const struct gen *g)
{
	fprintf(stderr,
		"feedcap-gendata: %" PRIu64 " frames, %" PRIu64 " bytes (mean %" PRIu64
		", min %" PRIu64 ", max %" PRIu64 "), %.6f s\n",
		g->written, g->bytes, g->written ? g->bytes / g->written : 0,
		g->written ? g->min_len : 0, g->max_len,
		(double)(g->last_ts - g->o.start_ns) / 1e9);
	fprintf(stderr,
		"feedcap-gendata: market data %" PRIu64 " frames (%" PRIu64
		" heartbeats), dropped on both lines %" PRIu64 ", A only %" PRIu64
		", B only %" PRIu64 "\n",
		g->md_frames, g->heartbeats, g->lost_both, g->lost_a, g->lost_b);
	if (g->o.odd) {
		fprintf(stderr, "feedcap-gendata: odd events:");
		for (int k = 0; k < ODD_N; k++) {
			fprintf(stderr, " %s %" PRIu64, odd_names[k], g->odd_count[k]);
		}
		fprintf(stderr, "\n");
	}
}

int main(int argc, char **argv)
{
	static struct gen g;
	int rc;

	if (parse_args(argc, argv, &g.o)) {
		return 2;
	}
	g.pd = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 262144,
						    g.o.us ? PCAP_TSTAMP_PRECISION_MICRO
							   : PCAP_TSTAMP_PRECISION_NANO);
	if (!g.pd) {
		fprintf(stderr, "feedcap-gendata: pcap_open_dead failed\n");
		return 1;
	}
	g.dump = pcap_dump_open(g.pd, g.o.out);
	if (!g.dump) {
		fprintf(stderr, "feedcap-gendata: %s: %s\n", g.o.out, pcap_geterr(g.pd));
		pcap_close(g.pd);
		return 1;
	}
	if (g.o.gaps_log) {
		g.gaps_log = fopen(g.o.gaps_log, "w");
		if (!g.gaps_log) {
			fprintf(stderr, "feedcap-gendata: %s: %s\n", g.o.gaps_log, strerror(errno));
			pcap_dump_close(g.dump);
			pcap_close(g.pd);
			return 1;
		}
	}
	rc = run(&g);
	if (pcap_dump_flush(g.dump) != 0) {
		fprintf(stderr, "feedcap-gendata: %s: write failed: %s\n", g.o.out,
			strerror(errno));
		rc = 1;
	}
	pcap_dump_close(g.dump);
	pcap_close(g.pd);
	if (g.gaps_log && fclose(g.gaps_log) != 0) {
		fprintf(stderr, "feedcap-gendata: %s: %s\n", g.o.gaps_log, strerror(errno));
		rc = 1;
	}
	if (rc == 0 && g.o.verbose) {
		summary(&g);
	}
	return rc;
}
