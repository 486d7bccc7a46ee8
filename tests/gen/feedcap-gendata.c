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
 * multicast, non-UDP (ARP, IGMP, TCP, ICMP), runts (under 60 bytes) and, only when
 * --odd-kinds names it, badcsum (bad IPv4 header and/or UDP checksums).  --proto frames the
 * same data as another venue's protocol (gen_proto.c); --dup, --reorder and --reset-after
 * add what a sequence checker must tell apart from losses.
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

#include "gendata.h"

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
		"      --odd-kinds LIST   comma-separated odd kinds (default all but badcsum): %s\n"
		"      --proto NAME       frame the feeds as moldudp64 (default), pitch, iextp, mdp3,\n"
		"                         pillar, eobi or opra\n"
		"      --dup P            probability a packet comes twice on line A (default 0)\n"
		"      --reorder P        probability a packet comes after the next one on line A\n"
		"      --reset-after N    restart each feed's numbering every N data packets\n"
		"  -v, --verbose          print a summary on stderr\n",
		GEN_MAX_FEEDS, "jumbo,vlan,qinq,frag,ipv6,nonudp,runt",
		"jumbo,vlan,qinq,frag,ipv6,nonudp,runt,badcsum");
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
			if (!strcmp(t, gen_odd_names[k])) {
				break;
			}
		}
		if (k == ODD_N) {
			fprintf(stderr,
				"feedcap-gendata: --odd-kinds: unknown kind \"%s\" (known: jumbo, vlan, qinq, frag, ipv6, nonudp, runt, badcsum)\n",
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
	OPT_PROTO,
	OPT_DUP,
	OPT_REORDER,
	OPT_RESET_AFTER,
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
		{ "proto", required_argument, NULL, OPT_PROTO },
		{ "dup", required_argument, NULL, OPT_DUP },
		{ "reorder", required_argument, NULL, OPT_REORDER },
		{ "reset-after", required_argument, NULL, OPT_RESET_AFTER },
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
			    .odd_mask = GEN_ODD_DEFAULT };

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
		case OPT_PROTO: {
			int k;

			for (k = 0; k < GEN_PROTO_N && strcmp(optarg, gen_proto_names[k]); k++) {
			}
			if (k == GEN_PROTO_N) {
				fprintf(stderr,
					"feedcap-gendata: --proto: unknown protocol \"%s\" (known: moldudp64, pitch, iextp, mdp3, pillar, eobi, opra)\n",
					optarg);
				rc = -EINVAL;
			}
			o->proto = (enum gen_proto)k;
			break;
		}
		case OPT_DUP:
			rc = parse_prob("--dup", optarg, &o->dup);
			break;
		case OPT_REORDER:
			rc = parse_prob("--reorder", optarg, &o->reorder);
			break;
		case OPT_RESET_AFTER:
			rc = parse_u64("--reset-after", optarg, 1, UINT64_MAX / 2, &o->reset_after);
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
			fprintf(stderr, " %s %" PRIu64, gen_odd_names[k], g->odd_count[k]);
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
	rc = gen_run(&g);
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
