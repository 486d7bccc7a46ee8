/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * feedcap-capture's command line.  The option names are the interface (issue 4): tests,
 * systemd units and the man page all use them, so they change only with the man page.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "feedcap_config.h"
#include "ringshm_format.h"
#include "ringshm.h"

const char capture_usage[] =
	"Usage: feedcap-capture [OPTIONS] [-- EAL-ARGS...]\n"
	"Capture every frame of the DPDK ports into a feedcap ring.\n"
	"\n"
	"  -c, --config FILE          read the capture section of FILE (options override it)\n"
	"      --ring PATH            ring name (under $FEEDCAP_RING_DIR or /run/feedcap) or path\n"
	"                             (default: feedcap)\n"
	"      --ring-size SIZE       ring data size, a power of two: 256M, 8G (default: 8G)\n"
	"      --ring-backing KIND    auto, hugetlbfs, shm or file (default: auto)\n"
	"      --vdev ARGS            add a DPDK virtual device, e.g. net_pcap0,rx_pcap=in.pcap\n"
	"                             (repeatable; PCI NICs come from the EAL arguments)\n"
	"      --lcores CONTROL,POLLER  CPUs of the control thread and of the poller\n"
	"                             (default: the first and the last CPU we may run on)\n"
	"      --group [SRC@]ADDR[:PORT]  join this IPv4 multicast group (repeatable); SRC makes\n"
	"                             it a source-specific IGMPv3 join\n"
	"      --filter-groups        keep only frames to a joined group (and port, if given);\n"
	"                             count the others as filtered\n"
	"      --filter-offload auto|off|require  filter with rte_flow rules on the NIC where\n"
	"                             the PMD takes them all (auto), never (off: in the\n"
	"                             poller), or refuse to start without them (require)\n"
	"                             (default: auto)\n"
	"      --count N              stop after N frames\n"
	"      --duration SECONDS     stop after SECONDS\n"
	"      --snaplen N            store at most N bytes of each frame (default: whole frame)\n"
	"      --rx-queues N          RX queues per port, spread by RSS (default: 1)\n"
	"      --rx-desc N            RX descriptors per queue (default: 1024)\n"
	"      --promisc              put the ports in promiscuous mode\n"
	"      --igmp-version 2|3     IGMP version of reports and leaves (default: 2)\n"
	"      --igmp-source ADDR     IPv4 source address of IGMP messages (default: 0.0.0.0)\n"
	"      --igmp-interval SECONDS  repeat unsolicited reports while no querier is heard\n"
	"                             (default: 60; 0: only at start)\n"
	"      --no-igmp              program the multicast filter but send no IGMP\n"
	"      --timestamp auto|nic|tsc  where frame times come from: the NIC's RX timestamp\n"
	"                             where the PMD gives one (auto), only that (nic), or the\n"
	"                             calibrated TSC (tsc) (default: auto)\n"
	"      --ptp-socket PATH      ask ptp4l at PATH whether the clock is synchronised\n"
	"                             (default: do not ask: records are never synchronised)\n"
	"      --mbufs N              packet buffers per port (default: sized from the queues)\n"
	"      --strict               refuse to start on a host check warning\n"
	"      --check-host           print the host checks and exit\n"
	"      --check-config         check the config file (-c, default\n"
	"                             /etc/feedcap/feedcap.conf) and exit\n"
	"  -v, --verbose              more messages (repeatable)\n"
	"  -h, --help                 print this help and exit\n"
	"  -V, --version              print the version and exit\n"
	"\n"
	"Exit status: 0 stopped cleanly, 1 runtime failure, 2 bad usage or configuration.\n";

enum {
	OPT_RING = 256,
	OPT_RING_SIZE,
	OPT_RING_BACKING,
	OPT_VDEV,
	OPT_LCORES,
	OPT_GROUP,
	OPT_FILTER,
	OPT_COUNT,
	OPT_DURATION,
	OPT_SNAPLEN,
	OPT_RXQ,
	OPT_RXD,
	OPT_PROMISC,
	OPT_IGMP_VERSION,
	OPT_IGMP_SOURCE,
	OPT_IGMP_INTERVAL,
	OPT_NO_IGMP,
	OPT_STRICT,
	OPT_CHECK_HOST,
	OPT_VERSION,
	OPT_CHECK_CONFIG,
	OPT_TIMESTAMP,
	OPT_PTP_SOCKET,
	OPT_MBUFS,
	OPT_FILTER_OFFLOAD,
};

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "ring", required_argument, NULL, OPT_RING },
	{ "ring-size", required_argument, NULL, OPT_RING_SIZE },
	{ "ring-backing", required_argument, NULL, OPT_RING_BACKING },
	{ "vdev", required_argument, NULL, OPT_VDEV },
	{ "lcores", required_argument, NULL, OPT_LCORES },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "filter-groups", no_argument, NULL, OPT_FILTER },
	{ "filter-offload", required_argument, NULL, OPT_FILTER_OFFLOAD },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "snaplen", required_argument, NULL, OPT_SNAPLEN },
	{ "rx-queues", required_argument, NULL, OPT_RXQ },
	{ "rx-desc", required_argument, NULL, OPT_RXD },
	{ "promisc", no_argument, NULL, OPT_PROMISC },
	{ "igmp-version", required_argument, NULL, OPT_IGMP_VERSION },
	{ "igmp-source", required_argument, NULL, OPT_IGMP_SOURCE },
	{ "igmp-interval", required_argument, NULL, OPT_IGMP_INTERVAL },
	{ "no-igmp", no_argument, NULL, OPT_NO_IGMP },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "check-host", no_argument, NULL, OPT_CHECK_HOST },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
	{ "timestamp", required_argument, NULL, OPT_TIMESTAMP },
	{ "ptp-socket", required_argument, NULL, OPT_PTP_SOCKET },
	{ "mbufs", required_argument, NULL, OPT_MBUFS },
	{ NULL, 0, NULL, 0 },
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

void capture_opts_init(struct capture_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->ring = "feedcap";
	o->backing = RINGSHM_BACKING_AUTO;
	o->control_lcore = -1;
	o->poller_lcore = -1;
	o->rxq = 1;
	o->rxd = 1024;
	o->igmp_version = 2;
	o->igmp_interval = 60;
	o->clock_threshold_ns = 1000;
	o->clock_holdover_ns = 10ull * 1000000000u;
	o->stats_interval_ns = 1000000000u;
}

int capture_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!s || !*s || *s == '-') {
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s) {
		return -EINVAL;
	}
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	case '\0':
		break;
	default:
		return -EINVAL;
	}
	if (shift) {
		end++;
		/* Accept the usual spellings of the binary units: 8G, 8GB, 8GiB. */
		if (strcmp(end, "") && strcmp(end, "B") && strcmp(end, "iB")) {
			return -EINVAL;
		}
	}
	if (v > (UINT64_MAX >> shift)) {
		return -EINVAL;
	}
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-') {
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max) {
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_ipv4(const char *s, uint32_t *addr)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		return -EINVAL;
	}
	*addr = a.s_addr;
	return 0;
}

int capture_parse_group(const char *s, struct capture_group *g, char *err, size_t errlen)
{
	char buf[64];
	char *grp = buf, *at, *colon;
	uint64_t port = 0;

	memset(g, 0, sizeof(*g));
	if (strlen(s) >= sizeof(buf)) {
		return fail(err, errlen, "--group: \"%s\" is too long", s);
	}
	strcpy(buf, s);
	at = strchr(buf, '@');
	if (at) {
		*at = '\0';
		grp = at + 1;
		if (parse_ipv4(buf, &g->source) < 0 || g->source == 0) {
			return fail(err, errlen,
				    "--group: \"%s\": source \"%s\" is not a unicast IPv4 address",
				    s, buf);
		}
	}
	colon = strchr(grp, ':');
	if (colon) {
		*colon = '\0';
		if (parse_u64(colon + 1, 1, 65535, &port) < 0) {
			return fail(err, errlen,
				    "--group: \"%s\": port \"%s\" is not a number from 1 to 65535",
				    s, colon + 1);
		}
	}
	if (parse_ipv4(grp, &g->addr) < 0) {
		return fail(err, errlen, "--group: \"%s\": \"%s\" is not an IPv4 address", s, grp);
	}
	/* 224.0.0.0/24 is link-local control traffic that hosts never join with IGMP. */
	if ((ntohl(g->addr) >> 28) != 0xe || (ntohl(g->addr) >> 8) == 0xe00000) {
		return fail(
			err, errlen,
			"--group: \"%s\": %s is not a joinable multicast group (224.0.1.0 to 239.255.255.255)",
			s, grp);
	}
	if (g->source && (ntohl(g->source) >> 28) >= 0xe) {
		return fail(err, errlen, "--group: \"%s\": source %s is not a unicast address", s,
			    buf);
	}
	g->port = (uint16_t)port;
	return 0;
}

static int parse_lcores(struct capture_opts *o, const char *s, char *err, size_t errlen)
{
	char *end;
	long a, b;

	errno = 0;
	a = strtol(s, &end, 10);
	if (errno || end == s || *end != ',' || a < 0 || a >= 1024) {
		goto bad;
	}
	s = end + 1;
	b = strtol(s, &end, 10);
	if (errno || end == s || *end || b < 0 || b >= 1024) {
		goto bad;
	}
	if (a == b) {
		return fail(
			err, errlen,
			"--lcores: the control thread and the poller need two different CPUs, not %ld and %ld",
			a, b);
	}
	o->control_lcore = (int)a;
	o->poller_lcore = (int)b;
	return 0;
bad:
	return fail(err, errlen,
		    "--lcores: \"%s\" is not CONTROL,POLLER (two CPU numbers, e.g. 0,1)",
		    o->lcores);
}

/* The index of s in words (NULL-terminated, in the order of the option's enum), or -1. */
static int pick(const char *s, const char *const *words)
{
	int i;

	for (i = 0; words[i]; i++) {
		if (!strcmp(s, words[i])) {
			return i;
		}
	}
	return -1;
}

int capture_opts_parse(struct capture_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	uint64_t v;
	char *end;
	int c, i, rc;

	opterr = 0;
	optind = 0; /* glibc: full reinitialisation, so a second parse works too */
	while ((c = getopt_long(argc, argv, "+:c:vhV", long_opts, NULL)) != -1) {
		if (c >= OPT_RING) {
			o->given |= UINT64_C(1) << (c - OPT_RING);
		}
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case OPT_RING:
			if (!*optarg) {
				return fail(err, errlen, "--ring: the ring name or path is empty");
			}
			o->ring = optarg;
			break;
		case OPT_RING_SIZE:
			if (capture_parse_size(optarg, &v) < 0 || v == 0) {
				return fail(err, errlen,
					    "--ring-size: \"%s\" is not a size (e.g. 256M, 8G)",
					    optarg);
			}
			if (v & (v - 1)) {
				return fail(
					err, errlen,
					"--ring-size: \"%s\" is not a power of two (e.g. 256M, 8G)",
					optarg);
			}
			if (v < 2 * (uint64_t)RINGSHM_MIN_CHUNK) {
				return fail(err, errlen,
					    "--ring-size: \"%s\" is too small: at least 128K",
					    optarg);
			}
			o->ring_size = v;
			break;
		case OPT_RING_BACKING:
			if (!strcmp(optarg, "auto")) {
				o->backing = RINGSHM_BACKING_AUTO;
			} else if (!strcmp(optarg, "hugetlbfs")) {
				o->backing = RINGSHM_BACKING_HUGETLBFS;
			} else if (!strcmp(optarg, "shm")) {
				o->backing = RINGSHM_BACKING_SHM;
			} else if (!strcmp(optarg, "file")) {
				o->backing = RINGSHM_BACKING_FILE;
			} else {
				return fail(
					err, errlen,
					"--ring-backing: \"%s\" is not auto, hugetlbfs, shm or file",
					optarg);
			}
			break;
		case OPT_VDEV:
			if (o->nvdevs == CAPTURE_MAX_VDEVS) {
				return fail(err, errlen, "--vdev: more than %d virtual devices",
					    CAPTURE_MAX_VDEVS);
			}
			if (!*optarg) {
				return fail(err, errlen, "--vdev: empty device arguments");
			}
			o->vdevs[o->nvdevs++] = optarg;
			break;
		case OPT_LCORES:
			o->lcores = optarg;
			rc = parse_lcores(o, optarg, err, errlen);
			if (rc < 0) {
				return rc;
			}
			break;
		case OPT_GROUP:
			if (o->ngroups == CAPTURE_MAX_GROUPS) {
				return fail(err, errlen, "--group: more than %d groups",
					    CAPTURE_MAX_GROUPS);
			}
			rc = capture_parse_group(optarg, &o->groups[o->ngroups], err, errlen);
			if (rc < 0) {
				return rc;
			}
			for (i = 0; i < o->ngroups; i++) {
				if (!memcmp(&o->groups[i], &o->groups[o->ngroups],
					    sizeof(o->groups[i]))) {
					return fail(err, errlen, "--group: \"%s\" is given twice",
						    optarg);
				}
			}
			o->ngroups++;
			break;
		case OPT_FILTER:
			o->filter = true;
			break;
		case OPT_FILTER_OFFLOAD: {
			static const char *const w[] = { "auto", "off", "require", NULL };

			o->filter_offload = pick(optarg, w);
			if (o->filter_offload < 0) {
				return fail(err, errlen,
					    "--filter-offload: \"%s\" is not auto, off or require",
					    optarg);
			}
			break;
		}
		case OPT_COUNT:
			if (parse_u64(optarg, 1, UINT64_MAX, &o->count) < 0) {
				return fail(err, errlen, "--count: \"%s\" is not a positive number",
					    optarg);
			}
			break;
		case OPT_DURATION:
			errno = 0;
			o->duration = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(o->duration) ||
			    o->duration <= 0 || o->duration > 1e9) {
				return fail(
					err, errlen,
					"--duration: \"%s\" is not a positive number of seconds",
					optarg);
			}
			break;
		case OPT_SNAPLEN:
			if (parse_u64(optarg, 14, RINGSHM_MAX_CAPLEN, &v) < 0) {
				return fail(err, errlen,
					    "--snaplen: \"%s\" is not a length from 14 to %u bytes",
					    optarg, RINGSHM_MAX_CAPLEN);
			}
			o->snaplen = (uint32_t)v;
			break;
		case OPT_RXQ:
			if (parse_u64(optarg, 1, 64, &v) < 0) {
				return fail(err, errlen,
					    "--rx-queues: \"%s\" is not a number from 1 to 64",
					    optarg);
			}
			o->rxq = (uint16_t)v;
			break;
		case OPT_RXD:
			if (parse_u64(optarg, 32, 32768, &v) < 0) {
				return fail(err, errlen,
					    "--rx-desc: \"%s\" is not a number from 32 to 32768",
					    optarg);
			}
			o->rxd = (uint16_t)v;
			break;
		case OPT_PROMISC:
			o->promisc = true;
			break;
		case OPT_IGMP_VERSION:
			if (strcmp(optarg, "2") && strcmp(optarg, "3")) {
				return fail(err, errlen, "--igmp-version: \"%s\" is not 2 or 3",
					    optarg);
			}
			o->igmp_version = optarg[0] - '0';
			break;
		case OPT_IGMP_SOURCE:
			if (parse_ipv4(optarg, &o->igmp_source) < 0) {
				return fail(err, errlen,
					    "--igmp-source: \"%s\" is not an IPv4 address", optarg);
			}
			break;
		case OPT_IGMP_INTERVAL:
			if (parse_u64(optarg, 0, 86400, &v) < 0) {
				return fail(
					err, errlen,
					"--igmp-interval: \"%s\" is not a number of seconds from 0 to 86400",
					optarg);
			}
			o->igmp_interval = (unsigned)v;
			break;
		case OPT_NO_IGMP:
			o->no_igmp = true;
			break;
		case OPT_STRICT:
			o->strict = true;
			break;
		case OPT_CHECK_HOST:
			o->check_host = true;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			o->help = true;
			break;
		case 'V':
		case OPT_VERSION:
			o->version = true;
			break;
		case OPT_CHECK_CONFIG:
			o->check_config = true;
			break;
		case OPT_TIMESTAMP: {
			static const char *const w[] = { "auto", "nic", "tsc", NULL };

			o->timestamp = pick(optarg, w);
			if (o->timestamp < 0) {
				return fail(err, errlen,
					    "--timestamp: \"%s\" is not auto, nic or tsc", optarg);
			}
			break;
		}
		case OPT_PTP_SOCKET:
			o->ptp_socket = optarg;
			break;
		case OPT_MBUFS:
			if (parse_u64(optarg, 1023, 4194303, &v) < 0) {
				return fail(err, errlen,
					    "--mbufs: \"%s\" is not a number from 1023 to 4194303",
					    optarg);
			}
			o->mbufs = (uint32_t)v;
			break;
		case ':':
			return fail(err, errlen, "%s needs a value", argv[optind - 1]);
		case '?':
		default:
			if (optopt && optopt < 256) {
				if (strchr("c", optopt)) {
					return fail(err, errlen, "-%c needs a value", optopt);
				}
				return fail(err, errlen, "unknown option -%c (see --help)", optopt);
			}
			/* getopt_long leaves the offending word before optind. */
			if (optind > 0 && optind <= argc && argv[optind - 1] &&
			    !strncmp(argv[optind - 1], "--", 2) &&
			    strchr(argv[optind - 1], '=') == NULL) {
				for (i = 0; long_opts[i].name; i++) {
					if (long_opts[i].has_arg == required_argument &&
					    !strcmp(argv[optind - 1] + 2, long_opts[i].name)) {
						return fail(err, errlen, "%s needs a value",
							    argv[optind - 1]);
					}
				}
			}
			return fail(err, errlen, "unknown option %s (see --help)",
				    optind > 0 && optind <= argc ? argv[optind - 1] : "?");
		}
	}
	if (optind < argc) {
		if (optind > 0 && !strcmp(argv[optind - 1], "--")) {
			o->eal_argc = argc - optind;
			o->eal_argv = &argv[optind];
		} else {
			return fail(err, errlen,
				    "unexpected argument \"%s\" (EAL arguments go after \"--\")",
				    argv[optind]);
		}
	}
	if (o->eal_argc > CAPTURE_MAX_EAL) {
		return fail(err, errlen, "more than %d EAL arguments after \"--\"",
			    CAPTURE_MAX_EAL);
	}
	if (o->filter && o->ngroups == 0) {
		return fail(err, errlen, "--filter-groups needs at least one --group");
	}
	if (o->filter_offload == CAPTURE_OFFLOAD_REQUIRE && !o->filter && !o->config &&
	    !o->check_config) {
		return fail(err, errlen,
			    "--filter-offload require: there is no filter without --filter-groups");
	}
	return 0;
}

#define GIVEN(o, opt) (((o)->given & (UINT64_C(1) << ((opt)-OPT_RING))) != 0)

int capture_opts_apply_config(struct capture_opts *o, const struct fcc_config *cfg, char *err,
			      size_t errlen)
{
	const struct fcc_capture *c = &cfg->capture;
	const struct fcc_ring *r;
	struct fcc_error fe;
	char msg[FCC_ERROR_MAX], addr[INET6_ADDRSTRLEN];
	unsigned i;

	memset(&fe, 0, sizeof(fe));
	r = fcc_ring_find(cfg, c->ring, &fe);
	if (!r) {
		fcc_format_error(&fe, msg, sizeof(msg));
		return fail(err, errlen, "%s", msg);
	}
	if (!GIVEN(o, OPT_RING)) {
		o->ring = r->path;
	}
	if (!GIVEN(o, OPT_RING_SIZE)) {
		o->ring_size = r->size;
		o->chunk_size = r->chunk_size;
	}
	if (!GIVEN(o, OPT_RING_BACKING)) {
		o->backing = (int)r->backing; /* the same values, by design */
	}
	if (r->group[0]) {
		o->ring_group = r->group;
	}

	if (!GIVEN(o, OPT_VDEV)) {
		for (i = 0; i < cfg->nports && i < CAPTURE_MAX_VDEVS; i++) {
			const struct fcc_port *p = &cfg->ports[i];
			/* The EAL takes char *: these strings live as long as cfg, unmodified. */
			char *dev = (char *)(uintptr_t)p->device;

			if (p->kind == FCC_DEVICE_VDEV) {
				o->vdevs[o->nvdevs++] = dev;
			} else {
				o->pci[o->npci++] = dev;
			}
			if (!GIVEN(o, OPT_RXQ) && p->queues > o->rxq) {
				o->rxq = p->queues;
			}
			if (!GIVEN(o, OPT_RXD) && i == 0) {
				o->rxd = p->rx_descriptors;
			}
		}
	}
	if (!GIVEN(o, OPT_LCORES)) {
		o->control_lcore = c->control_core;
		o->poller_lcore = c->poller_core;
	}
	if (!GIVEN(o, OPT_GROUP)) {
		for (i = 0; i < c->ngroups && i < CAPTURE_MAX_GROUPS; i++) {
			const struct fcc_group *g = &c->groups[i];

			if (g->family != AF_INET) {
				inet_ntop(g->family, g->addr, addr, sizeof(addr));
				return fail(
					err, errlen,
					"%s:%u: capture.groups: %s is an IPv6 group: feedcap-capture joins IPv4 groups only (IGMP; MLD is not implemented)",
					cfg->path, c->groups_line, addr);
			}
			memset(&o->groups[o->ngroups], 0, sizeof(o->groups[0]));
			memcpy(&o->groups[o->ngroups].addr, g->addr, 4);
			if (g->has_source) {
				memcpy(&o->groups[o->ngroups].source, g->source, 4);
			}
			o->groups[o->ngroups].port = g->port;
			o->ngroups++;
		}
	}
	if (!GIVEN(o, OPT_IGMP_VERSION)) {
		o->igmp_version = (int)c->igmp_version;
	}
	if (!GIVEN(o, OPT_FILTER)) {
		o->filter = c->filter == FCC_FILTER_GROUPS;
	}
	if (!GIVEN(o, OPT_FILTER_OFFLOAD)) {
		o->filter_offload = c->filter_offload == FCC_OFFLOAD_OFF ? CAPTURE_OFFLOAD_OFF
				    : c->filter_offload == FCC_OFFLOAD_REQUIRE
					    ? CAPTURE_OFFLOAD_REQUIRE
					    : CAPTURE_OFFLOAD_AUTO;
	}
	if (!GIVEN(o, OPT_SNAPLEN) && c->snaplen < RINGSHM_MAX_CAPLEN) {
		o->snaplen = c->snaplen;
	}
	if (!GIVEN(o, OPT_TIMESTAMP)) {
		o->timestamp = c->timestamp == FCC_TS_NIC   ? CAPTURE_TS_NIC
			       : c->timestamp == FCC_TS_TSC ? CAPTURE_TS_TSC
							    : CAPTURE_TS_AUTO;
	}
	if (!GIVEN(o, OPT_PTP_SOCKET)) {
		o->ptp_socket = c->ptp_socket[0] ? c->ptp_socket : NULL;
	}
	if (!GIVEN(o, OPT_MBUFS)) {
		o->mbufs = c->mbufs;
	}
	if (!GIVEN(o, OPT_STRICT)) {
		o->strict = c->strict;
	}
	o->clock_threshold_ns = c->clock_max_offset_ns;
	o->clock_holdover_ns = c->clock_max_holdover_ns;
	o->stats_interval_ns = c->stats_interval_ns;
	if (o->filter && o->ngroups == 0) {
		return fail(err, errlen, "%s:%u: capture.filter: \"groups\" with no group to keep",
			    cfg->path, c->line);
	}
	if (o->filter_offload == CAPTURE_OFFLOAD_REQUIRE && !o->filter) {
		return fail(
			err, errlen,
			"%s:%u: capture.filter_offload: \"require\" but no filter (filter = off)",
			cfg->path, c->line);
	}
	return 0;
}
