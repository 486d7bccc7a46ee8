/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fcr-ringfill - a small test producer for the reader tests (not installed).
 *
 *   fcr-ringfill gen  -o OUT.pcap -n N [--seed S] [--ts-base NS] [--ts-step NS]
 *       N synthetic Ethernet frames of many kinds (UDP multicast market data on several
 *       groups and ports, TCP, ARP, ICMP, IPv6 UDP, VLAN-tagged UDP, IP fragments), so filter
 *       expressions have something to tell apart.  Written with libpcap (nanosecond pcap).
 *
 *   fcr-ringfill fill -r RING -i IN.pcap [--capacity BYTES] [--chunk BYTES] [--loops L]
 *                     [--ts-base NS --ts-step NS] [--pause-at N --go-file PATH]
 *                     [--hold SECONDS] [--ports P] [--clock-marker] [--loss-marker]
 *       (--clock-marker: a timesync clock block, free-running, published at start; a CLOCK
 *       record with the block turned locked half-way, and the ring's block updated)
 *       Creates the ring file RING (a path, tmpfs backing, no mlock) and writes the frames of
 *       IN.pcap (read with libpcap) into it in bursts of 32 with ringshm's producer API.
 *       --ts-base/--ts-step replace the timestamps; --loops repeats the input with timestamps
 *       moved on; --pause-at N stops after N frames, and after the markers due before the
 *       next one (LOSS before frame n/3 + 1, CLOCK before frame n/2 + 1 of the input's n), until
 *       GO-FILE exists; --hold keeps the producer alive (heartbeat) for that long at the end.
 *       Prints "frames F records R" (R is every sequence number used, markers included) on
 *       stdout when done.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "ringshm.h"
#include "timesync.h"

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2) {
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	}
	if (n & 1) {
		s += (uint32_t)(p[n - 1] << 8);
	}
	while (s >> 16) {
		s = (s & 0xffff) + (s >> 16);
	}
	return (uint16_t)~s;
}

/* Ethernet header; returns the offset of the payload (after an optional VLAN tag). */
static size_t eth(uint8_t *f, const uint8_t *dst, uint16_t type, int vlan)
{
	static const uint8_t src[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	if (vlan >= 0) {
		put16(f + 12, 0x8100);
		put16(f + 14, (uint16_t)vlan);
		put16(f + 16, type);
		return 18;
	}
	put16(f + 12, type);
	return 14;
}

static size_t ipv4(uint8_t *p, uint8_t proto, uint32_t src, uint32_t dst, size_t payload,
		   uint16_t frag)
{
	p[0] = 0x45;
	p[1] = 0;
	put16(p + 2, (uint16_t)(20 + payload));
	put16(p + 4, (uint16_t)rnd());
	put16(p + 6, frag);
	p[8] = 16;
	p[9] = proto;
	put16(p + 10, 0);
	put32(p + 12, src);
	put32(p + 16, dst);
	put16(p + 10, csum(p, 20));
	return 20;
}

static size_t udp(uint8_t *p, uint16_t sport, uint16_t dport, size_t payload)
{
	put16(p, sport);
	put16(p + 2, dport);
	put16(p + 4, (uint16_t)(8 + payload));
	put16(p + 6, 0);
	return 8;
}

static void fill_payload(uint8_t *p, size_t n, uint64_t i)
{
	size_t k;

	/* A MoldUDP64-like header then message bytes: compressible, as market data is. */
	for (k = 0; k < n; k++) {
		p[k] = k < 20 ? (uint8_t) "SESSION001"[k % 10] : (uint8_t)((k * 7 + i) % 26 + 65);
	}
	if (n >= 18) {
		p[10] = (uint8_t)(i >> 56);
		memcpy(p + 10, &i, 8);
	}
}

static size_t make_frame(uint8_t *f, uint64_t i)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t ucast[6] = { 0x02, 0x00, 0x5e, 0x20, 0x00, 0x02 };
	unsigned kind = (unsigned)(rnd() % 100);
	size_t off, pl;

	if (kind < 60) { /* UDP multicast market data: 4 groups x 2 ports, sizes 60..400 */
		unsigned g = (unsigned)(rnd() % 4), port = 30001 + (unsigned)(rnd() % 2);
		uint8_t mac[6] = { 0x01, 0x00, 0x5e, 0x01, 0x01, (uint8_t)(1 + g) };

		pl = 20 + rnd() % 340;
		off = eth(f, mac, 0x0800, -1);
		off += ipv4(f + off, 17, 0x0a000001 + (uint32_t)(rnd() % 3), 0xef010101 + g, 8 + pl,
			    0x4000);
		off += udp(f + off, (uint16_t)(40000 + g), (uint16_t)port, pl);
		fill_payload(f + off, pl, i);
		return off + pl;
	}
	if (kind < 70) { /* VLAN-tagged multicast */
		uint8_t mac[6] = { 0x01, 0x00, 0x5e, 0x02, 0x02, 0x02 };

		pl = 30 + rnd() % 200;
		off = eth(f, mac, 0x0800, 100 + (int)(rnd() % 2));
		off += ipv4(f + off, 17, 0x0a000101, 0xef020202, 8 + pl, 0x4000);
		off += udp(f + off, 41000, 31001, pl);
		fill_payload(f + off, pl, i);
		return off + pl;
	}
	if (kind < 80) { /* TCP to a unicast host, with SYN or ACK|PSH */
		pl = rnd() % 100;
		off = eth(f, ucast, 0x0800, -1);
		off += ipv4(f + off, 6, 0x0a000001, 0x0a000002, 20 + pl, 0x4000);
		put16(f + off, 5000);
		put16(f + off + 2, (uint16_t)(rnd() % 2 ? 443 : 8080));
		put32(f + off + 4, (uint32_t)rnd());
		put32(f + off + 8, (uint32_t)rnd());
		f[off + 12] = 0x50;
		f[off + 13] = pl ? 0x18 : 0x02;
		put16(f + off + 14, 65535);
		put16(f + off + 16, 0);
		put16(f + off + 18, 0);
		off += 20;
		fill_payload(f + off, pl, i);
		return off + pl;
	}
	if (kind < 85) { /* ARP request */
		off = eth(f, bcast, 0x0806, -1);
		put16(f + off, 1);
		put16(f + off + 2, 0x0800);
		f[off + 4] = 6;
		f[off + 5] = 4;
		put16(f + off + 6, 1);
		memset(f + off + 8, 0x11, 6);
		put32(f + off + 14, 0x0a000001);
		memset(f + off + 18, 0, 6);
		put32(f + off + 24, 0x0a0000fe);
		return off + 28 + 18; /* padded to 60 */
	}
	if (kind < 90) { /* ICMP echo */
		pl = 56;
		off = eth(f, ucast, 0x0800, -1);
		off += ipv4(f + off, 1, 0x0a000002, 0x0a000001, 8 + pl, 0);
		f[off] = 8;
		f[off + 1] = 0;
		memset(f + off + 2, 0, 6);
		fill_payload(f + off + 8, pl, i);
		return off + 8 + pl;
	}
	if (kind < 95) { /* IPv6 UDP to ff15::1 */
		uint8_t mac[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };

		pl = 40 + rnd() % 100;
		off = eth(f, mac, 0x86dd, -1);
		f[off] = 0x60;
		memset(f + off + 1, 0, 3);
		put16(f + off + 4, (uint16_t)(8 + pl));
		f[off + 6] = 17;
		f[off + 7] = 8;
		memset(f + off + 8, 0, 32);
		f[off + 8] = 0xfe;
		f[off + 9] = 0x80;
		f[off + 23] = 1;
		f[off + 24] = 0xff;
		f[off + 25] = 0x15;
		f[off + 39] = 1;
		off += 40;
		off += udp(f + off, 42000, 30001, pl);
		fill_payload(f + off, pl, i);
		return off + pl;
	}
	/* A non-first IPv4 fragment of a multicast datagram (no UDP header in it) */
	{
		uint8_t mac[6] = { 0x01, 0x00, 0x5e, 0x01, 0x01, 0x01 };

		pl = 200;
		off = eth(f, mac, 0x0800, -1);
		off += ipv4(f + off, 17, 0x0a000001, 0xef010101, pl, 185);
		fill_payload(f + off, pl, i);
		return off + pl;
	}
}

static int cmd_gen(int argc, char **argv)
{
	static const struct option lo[] = { { "seed", required_argument, NULL, 's' },
					    { "ts-base", required_argument, NULL, 'b' },
					    { "ts-step", required_argument, NULL, 't' },
					    { NULL, 0, NULL, 0 } };
	const char *out = NULL;
	uint64_t n = 1000, base = UINT64_C(1795000000000000000), step = 1000000, i;
	uint8_t frame[2048];
	pcap_dumper_t *dp;
	pcap_t *dead;
	int c;

	while ((c = getopt_long(argc, argv, "o:n:", lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'n':
			n = strtoull(optarg, NULL, 10);
			break;
		case 's':
			rng_state = strtoull(optarg, NULL, 10) | 1;
			break;
		case 'b':
			base = strtoull(optarg, NULL, 10);
			break;
		case 't':
			step = strtoull(optarg, NULL, 10);
			break;
		default:
			return 2;
		}
	}
	if (!out) {
		fprintf(stderr, "gen: -o OUT.pcap is required\n");
		return 2;
	}
	dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
	dp = pcap_dump_open(dead, out);
	if (!dp) {
		fprintf(stderr, "gen: %s: %s\n", out, pcap_geterr(dead));
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct pcap_pkthdr h;
		uint64_t ts = base + i * step + rnd() % (step / 2 + 1);
		size_t len = make_frame(frame, i);

		if (len < 60) {
			memset(frame + len, 0, 60 - len);
			len = 60;
		}
		h.ts.tv_sec = (time_t)(ts / 1000000000u);
		h.ts.tv_usec = (suseconds_t)(ts % 1000000000u); /* ns: nano-precision dumper */
		h.caplen = (bpf_u_int32)len;
		h.len = (bpf_u_int32)len;
		pcap_dump((u_char *)dp, &h, frame);
	}
	pcap_dump_close(dp);
	pcap_close(dead);
	return 0;
}

struct frame {
	uint64_t ts;
	uint32_t len, wire;
	uint8_t *data;
};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int cmd_fill(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "capacity", required_argument, NULL, 'C' },
		{ "chunk", required_argument, NULL, 'k' },
		{ "loops", required_argument, NULL, 'l' },
		{ "ts-base", required_argument, NULL, 'b' },
		{ "ts-step", required_argument, NULL, 't' },
		{ "pause-at", required_argument, NULL, 'p' },
		{ "go-file", required_argument, NULL, 'g' },
		{ "hold", required_argument, NULL, 'H' },
		{ "ports", required_argument, NULL, 'P' },
		{ "clock-marker", no_argument, NULL, 'K' },
		{ "loss-marker", no_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	struct ringshm_params params = { 0 };
	struct ringshm_error err = { 0 };
	struct timesync_block blk;
	const char *ring = NULL, *in = NULL, *go = NULL;
	uint64_t base = 0, step = 0, loops = 1, pause_at = UINT64_MAX, produced = 0, l;
	unsigned hold = 0, ports = 1;
	bool clock_marker = false, loss_marker = false;
	char ebuf[PCAP_ERRBUF_SIZE];
	struct frame *fr = NULL;
	size_t nf = 0, cap = 0, i;
	struct pcap_pkthdr *h;
	const u_char *data;
	struct ringshm *r;
	pcap_t *p;
	int c;

	params.capacity = 16u << 20;
	params.chunk_size = 64u << 10;
	params.backing = RINGSHM_BACKING_FILE;
	params.no_lock = true;
	while ((c = getopt_long(argc, argv, "r:i:", lo, NULL)) != -1) {
		switch (c) {
		case 'r':
			ring = optarg;
			break;
		case 'i':
			in = optarg;
			break;
		case 'C':
			params.capacity = strtoull(optarg, NULL, 0);
			break;
		case 'k':
			params.chunk_size = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'l':
			loops = strtoull(optarg, NULL, 10);
			break;
		case 'b':
			base = strtoull(optarg, NULL, 10);
			break;
		case 't':
			step = strtoull(optarg, NULL, 10);
			break;
		case 'p':
			pause_at = strtoull(optarg, NULL, 10);
			break;
		case 'g':
			go = optarg;
			break;
		case 'H':
			hold = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'P':
			ports = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'K':
			clock_marker = true;
			break;
		case 'L':
			loss_marker = true;
			break;
		default:
			return 2;
		}
	}
	if (!ring || !in) {
		fprintf(stderr, "fill: -r RING and -i IN.pcap are required\n");
		return 2;
	}
	p = pcap_open_offline_with_tstamp_precision(in, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!p) {
		fprintf(stderr, "fill: %s\n", ebuf);
		return 1;
	}
	while (pcap_next_ex(p, &h, &data) == 1) {
		if (nf == cap) {
			cap = cap ? 2 * cap : 1024;
			fr = realloc(fr, cap * sizeof(*fr));
		}
		fr[nf].ts = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
		fr[nf].len = h->caplen;
		fr[nf].wire = h->len;
		fr[nf].data = malloc(h->caplen);
		memcpy(fr[nf].data, data, h->caplen);
		nf++;
	}
	pcap_close(p);
	if (nf == 0) {
		fprintf(stderr, "fill: %s has no frames\n", in);
		return 1;
	}

	r = ringshm_create(ring, &params, &err);
	if (!r) {
		fprintf(stderr, "fill: %s\n", err.msg);
		return 1;
	}
	for (i = 0; i < ports && i < RINGSHM_MAX_PORTS; i++) {
		struct ringshm_ctl *ctl = ringshm_ctl(r);

		snprintf(ctl->ports[i].name, sizeof(ctl->ports[i].name), "testport%zu", i);
		ctl->nports = (uint32_t)(i + 1);
	}
	ringshm_heartbeat(r);
	timesync_block_init(&blk, 1000, 5000000000u);
	if (clock_marker) {
		(void)ringshm_clock_publish(r, &blk, sizeof(blk));
	}
	for (l = 0; l < loops; l++) {
		uint64_t span = fr[nf - 1].ts - fr[0].ts + 1000;

		for (i = 0; i < nf; i++) {
			uint64_t ts = step ? base + produced * step : fr[i].ts + l * span;
			void *dst;

			if (clock_marker && produced == nf / 2) {
				/* The clock went from free-running to locked. */
				blk.ptp.state = TIMESYNC_LOCKED;
				blk.ptp.port_state = TIMESYNC_PS_SLAVE;
				blk.ptp.gm_present = 1;
				blk.ptp.offset_ns = -123;
				blk.hdr.tai_utc_s = 37;
				blk.hdr.tai_source = TIMESYNC_TAI_PTP;
				(void)ringshm_marker(r, RINGSHM_REC_CLOCK, &blk, sizeof(blk), ts);
				(void)ringshm_clock_publish(r, &blk, sizeof(blk));
			}
			if (loss_marker && produced == nf / 3) {
				struct ringshm_loss_payload lp = { .nic_imissed = 7 };

				(void)ringshm_marker(r, RINGSHM_REC_LOSS, &lp, sizeof(lp), ts);
			}
			/* After the markers due here: a pause can leave a marker as the newest record. */
			if (produced == pause_at && go) {
				ringshm_commit(r);
				while (access(go, F_OK) != 0) {
					ringshm_heartbeat(r);
					sleep_ms(10);
				}
			}
			dst = ringshm_alloc(r, fr[i].len, fr[i].wire, ts,
					    (uint8_t)(produced % ports), RINGSHM_F_TS_SRC_TSC);
			memcpy(dst, fr[i].data, fr[i].len);
			produced++;
			if ((produced & 31) == 0) {
				ringshm_commit(r);
			}
		}
	}
	ringshm_commit(r);
	for (i = 0; i < hold * 10; i++) {
		ringshm_heartbeat(r);
		sleep_ms(100);
	}
	/* Sequence numbers start at 1 (0 means "none"): next_seq - 1 records in a new ring. */
	printf("frames %" PRIu64 " records %" PRIu64 "\n", produced,
	       __atomic_load_n(&ringshm_ctl(r)->next_seq, __ATOMIC_RELAXED) - 1);
	fflush(stdout);
	ringshm_close(r);
	for (i = 0; i < nf; i++) {
		free(fr[i].data);
	}
	free(fr);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: fcr-ringfill gen|fill ...\n");
		return 2;
	}
	if (strcmp(argv[1], "gen") == 0) {
		return cmd_gen(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "fill") == 0) {
		return cmd_fill(argc - 1, argv + 1);
	}
	fprintf(stderr, "usage: fcr-ringfill gen|fill ...\n");
	return 2;
}
