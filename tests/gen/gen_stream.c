/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_stream.c - feedcap-gendata's frame stream: MoldUDP64 feeds on their multicast groups,
 * optional B lines a few microseconds behind (held in a small queue so the file stays in time
 * order), losses on one or both lines, bursts, and the pcap output.
 */
#include <stdlib.h>
#include <string.h>

#include "gendata.h"

const uint8_t gen_src_mac_a[6] = { 0x02, 0xfc, 0x00, 0x0a, 0x00, 0x01 };
const uint8_t gen_src_mac_b[6] = { 0x02, 0xfc, 0x00, 0x0b, 0x00, 0x01 };
const uint8_t gen_gw_mac[6] = { 0x02, 0xfc, 0x00, 0x00, 0x00, 0xfe };

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

void gen_emit(struct gen *g, uint64_t ts, const uint8_t *data, size_t len)
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
size_t gen_udp4_frame(struct gen *g, uint8_t *frame, const uint8_t *src_mac, enum gen_tag tag,
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
		     uint32_t count)
{
	if (g->gaps_log) {
		fprintf(g->gaps_log, "%s 239.1.%s.%u:%u %s %" PRIu64 " %u\n", line,
			line[0] == 'B' ? "2" : "1", feed + 1, 30001 + feed, g->feed[feed].name, seq,
			count);
	}
}

/* --dup and --reorder act on line A only; both are logged as "DUP" / "REORDER" lines. */
static void emit_a(struct gen *g, const uint8_t *frame, size_t len, unsigned int fi, uint64_t seq,
		   uint32_t cnt)
{
	bool dup = g->o.dup && gen_rng_chance(&g->rng, g->o.dup);
	uint64_t bit = UINT64_C(1) << fi;
	bool reorder = g->o.reorder && !(g->holding & bit) && gen_rng_chance(&g->rng, g->o.reorder);

	if (reorder && g->held) {
		g->held[fi].ts = g->now;
		g->held[fi].len = len;
		memcpy(g->held[fi].data, frame, len);
		g->holding |= bit;
		log_loss(g, "REORDER", fi, seq, cnt);
		return;
	}
	gen_emit(g, g->now, frame, len);
	if (dup) {
		gen_emit(g, g->now + 1, frame, len);
		g->md_frames++;
		log_loss(g, "DUP", fi, seq, cnt);
	}
	if (g->holding & bit) {
		gen_emit(g, g->now + 2, g->held[fi].data, g->held[fi].len);
		g->md_frames++;
		g->holding &= ~bit;
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
	uint16_t mcnt;
	uint32_t cnt;
	size_t plen, len;

	if (g->o.reset_after && nmsg && g->feed_packets[fi] &&
	    g->feed_packets[fi] % g->o.reset_after == 0) {
		gen_proto_reset(g->o.proto, &g->pst[fi], &g->feed[fi]);
		log_loss(g, "RESET", fi, 1, 0);
	}
	if (nmsg) {
		g->feed_packets[fi]++;
	}
	/* other protocols' headers are longer: leave them room in the MTU */
	plen = gen_mold_packet(&g->feed[fi], &g->rng, frame + 14 + 28,
			       GEN_ETH_MTU - 28 - (g->o.proto == GEN_PROTO_MOLD ? 0 : 400), nmsg,
			       g->now, &mcnt, &seq);
	cnt = mcnt;
	if (g->o.proto != GEN_PROTO_MOLD) {
		static uint8_t wrapped[GEN_ETH_MTU];

		plen = gen_proto_wrap(g->o.proto, &g->pst[fi], frame + 14 + 28, plen, wrapped,
				      g->now, &seq, &cnt);
		memcpy(frame + 14 + 28, wrapped, plen);
	}
	if (mcnt == 0) {
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
	len = gen_udp4_frame(g, frame, gen_src_mac_a, GEN_TAG_NONE, 0, IP4(10, 1, 0, fi + 1),
			     IP4(239, 1, 1, fi + 1), (uint16_t)(30001 + fi), plen);
	if (!(drop_one && drop_is_a)) {
		emit_a(g, frame, len, fi, seq, cnt);
		g->md_frames++;
	}
	if (g->o.ab && !(drop_one && !drop_is_a)) {
		uint64_t tb = g->now + g->o.ab_delay_ns + jitter;

		if (tb <= g->last_b_ts) {
			tb = g->last_b_ts + 1;
		}
		g->last_b_ts = tb;
		len = gen_udp4_frame(g, frame, gen_src_mac_b, GEN_TAG_NONE, 0,
				     IP4(10, 2, 0, fi + 1), IP4(239, 1, 2, fi + 1),
				     (uint16_t)(30001 + fi), plen);
		enqueue_b(g, tb, frame, len);
		g->md_frames++;
	}
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

int gen_run(struct gen *g)
{
	char name[GEN_SESSION_LEN + 1];

	g->qcap = 4096;
	g->q = calloc(g->qcap, sizeof(*g->q));
	if (g->o.reorder) {
		g->held = calloc(GEN_MAX_FEEDS, sizeof(*g->held));
	}
	if (!g->q || (g->o.reorder && !g->held)) {
		fprintf(stderr, "feedcap-gendata: out of memory\n");
		return 1;
	}
	gen_rng_seed(&g->rng, g->o.seed);
	for (unsigned int i = 0; i < g->o.groups; i++) {
		snprintf(name, sizeof(name), "FCAP%06u", (i + 1) % 1000000);
		gen_session_init(&g->feed[i], name, i);
		g->pst[i].pkt_seq = 1;
		g->pst[i].session_id = 1000 + i;
		g->pst[i].segment = 50 + i;
		g->pst[i].unit = (uint8_t)(i + 1);
	}
	for (unsigned int k = 0; k < ODD_N; k++) {
		snprintf(name, sizeof(name), "ODD%-7.7s", gen_odd_names[k]);
		for (char *c = name; *c; c++) {
			*c = *c == ' ' ? '0' : (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
		}
		gen_session_init(&g->odd_sess[k], name, 100 + k);
	}
	g->now = g->o.start_ns;
	g->min_len = UINT64_MAX;

	while (g->written < g->o.count) {
		if (g->o.odd && gen_rng_chance(&g->rng, g->o.odd)) {
			gen_odd_frame(g);
		} else {
			md_packet(g);
		}
		advance(g);
	}
	for (unsigned int i = 0; i < g->o.groups; i++) {
		if (g->holding & (UINT64_C(1) << i)) {
			gen_emit(g, g->now, g->held[i].data, g->held[i].len);
		}
	}
	free(g->held);
	free(g->q);
	return 0;
}
