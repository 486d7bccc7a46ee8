/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the capture module's DPDK-free parts: the command line, IGMP messages, the
 * group filter and the host checks.  The wire formats are checked field by field against the
 * RFCs here; the integration test capture_igmp has tshark decode what goes on a real link.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "capture.h"
#include "ringshm.h"

static int parse(struct capture_opts *o, char *err, size_t errlen, int argc, char **argv)
{
	capture_opts_init(o);
	return capture_opts_parse(o, argc, argv, err, errlen);
}

#define ARGV(...)	   ((char *[]){ "feedcap-capture", __VA_ARGS__, NULL })
#define ARGC(...)	   ((int)(sizeof((char *[]){ "feedcap-capture", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(o, err, ...) parse(o, err, sizeof(err), ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

Test(capture_opts, defaults_and_every_option)
{
	/* A named array: o.eal_argv points into it, so it must outlive the checks. */
	char *argv[] = { "feedcap-capture",
			 "--ring",
			 "md",
			 "--ring-size",
			 "256M",
			 "--vdev",
			 "net_null0",
			 "--vdev",
			 "net_null1",
			 "--lcores",
			 "0,1",
			 "--group",
			 "239.1.1.1:30001",
			 "--group",
			 "10.0.0.5@232.1.1.2",
			 "--filter-groups",
			 "--count",
			 "1000",
			 "--duration",
			 "2.5",
			 "--snaplen",
			 "128",
			 "--rx-queues",
			 "2",
			 "--rx-desc",
			 "512",
			 "--promisc",
			 "--igmp-version",
			 "3",
			 "--igmp-source",
			 "10.0.0.9",
			 "--igmp-interval",
			 "0",
			 "--strict",
			 "-v",
			 "-v",
			 "--",
			 "--no-pci",
			 "--in-memory",
			 NULL };
	struct capture_opts o;
	char err[256] = "";

	cr_assert_eq(parse(&o, err, sizeof(err), (int)(sizeof(argv) / sizeof(argv[0])) - 1, argv),
		     0, "%s", err);
	cr_expect_str_eq(o.ring, "md");
	cr_expect_eq(o.ring_size, 256ull << 20);
	cr_expect_eq(o.nvdevs, 2);
	cr_expect_str_eq(o.vdevs[1], "net_null1");
	cr_expect_eq(o.control_lcore, 0);
	cr_expect_eq(o.poller_lcore, 1);
	cr_expect_eq(o.ngroups, 2);
	cr_expect_eq(o.groups[0].addr, inet_addr("239.1.1.1"));
	cr_expect_eq(o.groups[0].port, 30001);
	cr_expect_eq(o.groups[0].source, 0);
	cr_expect_eq(o.groups[1].source, inet_addr("10.0.0.5"));
	cr_expect_eq(o.groups[1].port, 0);
	cr_expect(o.filter && o.promisc && o.strict);
	cr_expect_eq(o.count, 1000);
	cr_expect_float_eq(o.duration, 2.5, 1e-9);
	cr_expect_eq(o.snaplen, 128);
	cr_expect_eq(o.rxq, 2);
	cr_expect_eq(o.rxd, 512);
	cr_expect_eq(o.igmp_version, 3);
	cr_expect_eq(o.igmp_source, inet_addr("10.0.0.9"));
	cr_expect_eq(o.igmp_interval, 0);
	cr_expect_eq(o.verbose, 2);
	cr_expect_eq(o.eal_argc, 2);
	cr_expect_str_eq(o.eal_argv[0], "--no-pci");

	cr_assert_eq(PARSE(&o, err, "--help"), 0);
	cr_expect(o.help);
	cr_expect_str_eq(o.ring, "feedcap");
	cr_expect_eq(o.igmp_version, 2);
	cr_expect_eq(o.rxq, 1);
}

/* Every bad value is refused with a message that names the option and the value. */
Test(capture_opts, bad_usage_names_option_and_value)
{
	static const struct {
		const char *opt, *val, *expect;
	} cases[] = {
		{ "--ring-size", "3G", "power of two" },
		{ "--ring-size", "12Q", "not a size" },
		{ "--ring-size", "64K", "too small" },
		{ "--ring-backing", "nfs", "\"nfs\"" },
		{ "--lcores", "1", "CONTROL,POLLER" },
		{ "--lcores", "1,1", "two different CPUs" },
		{ "--group", "10.1.1.1", "not a joinable multicast group" },
		{ "--group", "224.0.0.5", "not a joinable multicast group" },
		{ "--group", "239.1.1.1:0", "port \"0\"" },
		{ "--group", "239.1.1.1:70000", "port \"70000\"" },
		{ "--group", "x@239.1.1.1", "source \"x\"" },
		{ "--group", "239.1.1", "not an IPv4 address" },
		{ "--count", "0", "not a positive number" },
		{ "--count", "-5", "not a positive number" },
		{ "--duration", "abc", "not a positive number of seconds" },
		{ "--snaplen", "10", "from 14 to 65535" },
		{ "--snaplen", "70000", "from 14 to 65535" },
		{ "--rx-queues", "0", "from 1 to 64" },
		{ "--rx-desc", "8", "from 32 to 32768" },
		{ "--igmp-version", "1", "not 2 or 3" },
		{ "--igmp-source", "foo", "not an IPv4 address" },
		{ "--igmp-interval", "-1", "from 0 to 86400" },
	};
	struct capture_opts o;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = { "feedcap-capture", (char *)(uintptr_t)cases[i].opt,
				 (char *)(uintptr_t)cases[i].val, NULL };

		err[0] = '\0';
		cr_expect_eq(parse(&o, err, sizeof(err), 3, argv), -EINVAL, "%s %s accepted",
			     cases[i].opt, cases[i].val);
		cr_expect(strstr(err, cases[i].opt) != NULL, "%s: message \"%s\" lacks the option",
			  cases[i].opt, err);
		cr_expect(strstr(err, cases[i].expect) != NULL,
			  "%s %s: message \"%s\" lacks \"%s\"", cases[i].opt, cases[i].val, err,
			  cases[i].expect);
	}
}

Test(capture_opts, unknown_missing_stray)
{
	struct capture_opts o;
	char err[256];

	cr_expect_eq(PARSE(&o, err, "--bogus"), -EINVAL);
	cr_expect(strstr(err, "unknown option --bogus") != NULL, "%s", err);
	cr_expect_eq(PARSE(&o, err, "--ring"), -EINVAL);
	cr_expect(strstr(err, "--ring needs a value") != NULL, "%s", err);
	cr_expect_eq(PARSE(&o, err, "-c"), -EINVAL);
	cr_expect(strstr(err, "needs a value") != NULL, "%s", err);
	cr_expect_eq(PARSE(&o, err, "stray"), -EINVAL);
	cr_expect(strstr(err, "unexpected argument \"stray\"") != NULL, "%s", err);
	cr_expect_eq(PARSE(&o, err, "--filter-groups"), -EINVAL);
	cr_expect(strstr(err, "--group") != NULL, "%s", err);
	cr_expect_eq(PARSE(&o, err, "--group", "239.1.1.1", "--group", "239.1.1.1"), -EINVAL);
	cr_expect(strstr(err, "twice") != NULL, "%s", err);
}

Test(capture_opts, sizes)
{
	uint64_t v;

	cr_expect_eq(capture_parse_size("8G", &v), 0);
	cr_expect_eq(v, 8ull << 30);
	cr_expect_eq(capture_parse_size("2MiB", &v), 0);
	cr_expect_eq(v, 2ull << 20);
	cr_expect_eq(capture_parse_size("4096", &v), 0);
	cr_expect_eq(v, 4096);
	cr_expect_eq(capture_parse_size("1k", &v), 0);
	cr_expect_eq(v, 1024);
	cr_expect_eq(capture_parse_size("", &v), -EINVAL);
	cr_expect_eq(capture_parse_size("G", &v), -EINVAL);
	cr_expect_eq(capture_parse_size("5X", &v), -EINVAL);
	cr_expect_eq(capture_parse_size("99999999999T", &v), -EINVAL);
}

/* The usage text and the man page list the same options (the man page test checks it). */
Test(capture_opts, usage_lists_every_option)
{
	static const char *const names[] = { "--config",       "--ring",	  "--ring-size",
					     "--ring-backing", "--vdev",	  "--lcores",
					     "--group",	       "--filter-groups", "--count",
					     "--duration",     "--snaplen",	  "--rx-queues",
					     "--rx-desc",      "--promisc",	  "--igmp-version",
					     "--igmp-source",  "--igmp-interval", "--no-igmp",
					     "--strict",       "--check-host",	  "--verbose",
					     "--help",	       "--version" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		cr_expect(strstr(capture_usage, names[i]) != NULL, "%s missing from --help",
			  names[i]);
	}
}

/* ------------------------------------------------------------------ IGMP */

static const uint8_t mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void check_ip(const uint8_t *f, size_t len, const char *dst)
{
	const uint8_t *ip = f + 14;
	uint32_t d;

	cr_assert_geq(len, 14 + 24 + 8);
	cr_expect_eq(be16(f + 12), 0x0800);
	cr_expect_eq(ip[0], 0x46, "IHL 6: the Router Alert option");
	cr_expect_eq(ip[8], 1, "TTL 1");
	cr_expect_eq(ip[9], 2, "protocol IGMP");
	cr_expect_eq(be16(ip + 2), len - 14);
	cr_expect_eq(capture_csum_fold(ip, 24), 0xffff, "IPv4 header checksum");
	cr_expect_eq(ip[20], 0x94);
	cr_expect_eq(ip[21], 0x04);
	memcpy(&d, ip + 16, 4);
	cr_expect_eq(d, inet_addr(dst));
	/* Ethernet destination: the IP destination's multicast MAC. */
	cr_expect_eq(f[0], 0x01);
	cr_expect_eq(f[2], 0x5e);
	cr_expect_eq(f[5], (uint8_t)(ntohl(d) & 0xff));
	cr_expect_eq(memcmp(f + 6, mac, 6), 0);
	cr_expect_eq(capture_csum_fold(ip + 24, len - 14 - 24), 0xffff, "IGMP checksum");
}

Test(capture_igmp, v2_report_and_leave)
{
	struct capture_group g = { .addr = inet_addr("239.1.2.3") };
	uint8_t f[CAPTURE_IGMP_MAX_FRAME];
	size_t len;
	uint32_t a;

	len = capture_igmp_build(f, sizeof(f), CAPTURE_IGMP_JOIN, 2, mac, inet_addr("10.0.0.1"), &g,
				 1);
	cr_assert_eq(len, 14 + 24 + 8);
	check_ip(f, len, "239.1.2.3");
	cr_expect_eq(f[38], 0x16, "v2 membership report");
	memcpy(&a, f + 42, 4);
	cr_expect_eq(a, g.addr);
	memcpy(&a, f + 26, 4);
	cr_expect_eq(a, inet_addr("10.0.0.1"), "source address");

	len = capture_igmp_build(f, sizeof(f), CAPTURE_IGMP_LEAVE, 2, mac, 0, &g, 1);
	check_ip(f, len, "224.0.0.2");
	cr_expect_eq(f[38], 0x17, "v2 leave");

	/* v2 carries one group; too small a buffer builds nothing. */
	cr_expect_eq(capture_igmp_build(f, sizeof(f), CAPTURE_IGMP_JOIN, 2, mac, 0, &g, 0), 0);
	cr_expect_eq(capture_igmp_build(f, 40, CAPTURE_IGMP_JOIN, 2, mac, 0, &g, 1), 0);
	cr_expect_eq(capture_igmp_build(f, sizeof(f), CAPTURE_IGMP_JOIN, 1, mac, 0, &g, 1), 0);
}

Test(capture_igmp, v3_records)
{
	struct capture_group g[2] = { { .addr = inet_addr("239.1.1.1") },
				      { .addr = inet_addr("232.1.1.1"),
					.source = inet_addr("10.9.9.9") } };
	static const struct {
		enum capture_igmp_kind kind;
		uint8_t asm_type, ssm_type;
	} kinds[] = { { CAPTURE_IGMP_JOIN, 4, 5 },
		      { CAPTURE_IGMP_ANSWER, 2, 1 },
		      { CAPTURE_IGMP_LEAVE, 3, 6 } };
	uint8_t f[CAPTURE_IGMP_MAX_FRAME];
	size_t len, k;
	uint32_t a;

	for (k = 0; k < 3; k++) {
		const uint8_t *igmp = f + 38, *r;

		len = capture_igmp_build(f, sizeof(f), kinds[k].kind, 3, mac, 0, g, 2);
		cr_assert_eq(len, 14 + 24 + 8 + 8 + 12);
		check_ip(f, len, "224.0.0.22");
		cr_expect_eq(igmp[0], 0x22);
		cr_expect_eq(be16(igmp + 6), 2, "two group records");
		r = igmp + 8;
		cr_expect_eq(r[0], kinds[k].asm_type, "any-source record type");
		cr_expect_eq(be16(r + 2), 0);
		memcpy(&a, r + 4, 4);
		cr_expect_eq(a, g[0].addr);
		r += 8;
		cr_expect_eq(r[0], kinds[k].ssm_type, "source-specific record type");
		cr_expect_eq(be16(r + 2), 1);
		memcpy(&a, r + 8, 4);
		cr_expect_eq(a, g[1].source);
	}
}

/* A query built by hand (RFC 2236 / 3376 layouts) parses back to what it says. */
static size_t make_query(uint8_t *f, uint32_t group, uint8_t code, bool v3, bool vlan)
{
	uint8_t *ip, *igmp;
	size_t off = vlan ? 18 : 14, ilen = v3 ? 12 : 8;
	uint16_t c;

	memset(f, 0, 128);
	if (vlan) {
		f[12] = 0x81;
		f[13] = 0x00;
		f[16] = 0x08;
	} else {
		f[12] = 0x08;
	}
	ip = f + off;
	ip[0] = 0x46;
	ip[2] = 0;
	ip[3] = (uint8_t)(24 + ilen);
	ip[8] = 1;
	ip[9] = 2;
	igmp = ip + 24;
	igmp[0] = 0x11;
	igmp[1] = code;
	memcpy(igmp + 4, &group, 4);
	c = (uint16_t)~capture_csum_fold(igmp, ilen);
	igmp[2] = (uint8_t)(c >> 8);
	igmp[3] = (uint8_t)c;
	return off + 24 + ilen;
}

Test(capture_igmp, parse_queries)
{
	struct capture_igmp_query q, u;
	uint8_t f[128], port;
	size_t len;

	len = make_query(f, 0, 100, false, false);
	cr_assert(capture_igmp_is_query(f, (uint32_t)len));
	cr_assert_eq(capture_igmp_parse_query(f, (uint32_t)len, &q), 0);
	cr_expect_eq(q.version, 2);
	cr_expect_eq(q.group, 0);
	cr_expect_eq(q.max_resp_ms, 10000);

	len = make_query(f, inet_addr("239.1.1.1"), 0, false, true);
	cr_assert(capture_igmp_is_query(f, (uint32_t)len), "behind a VLAN tag");
	cr_assert_eq(capture_igmp_parse_query(f, (uint32_t)len, &q), 0);
	cr_expect_eq(q.version, 1);
	cr_expect_eq(q.max_resp_ms, 10000, "IGMPv1: 10 s");
	cr_expect_eq(q.group, inet_addr("239.1.1.1"));

	/* v3 floating point code: 0x8f = exp 0, mant 15: (15|16) << 3 = 248 ds. */
	len = make_query(f, 0, 0x8f, true, false);
	cr_assert_eq(capture_igmp_parse_query(f, (uint32_t)len, &q), 0);
	cr_expect_eq(q.version, 3);
	cr_expect_eq(q.max_resp_ms, 24800);
	len = make_query(f, 0, 0xff, true, false);
	cr_assert_eq(capture_igmp_parse_query(f, (uint32_t)len, &q), 0);
	cr_expect_eq(q.max_resp_ms, 3174400, "largest v3 code: 31744 ds");
	capture_igmp_query_unpack(capture_igmp_query_pack(&q, 7), &u, &port);
	cr_expect_eq(port, 7);
	cr_expect_eq(u.max_resp_ms, q.max_resp_ms);
	cr_expect_eq(u.version, 3);

	/* A corrupt checksum, a report, or a truncated frame is no query. */
	len = make_query(f, 0, 100, false, false);
	f[38 + 4] ^= 1;
	cr_expect_eq(capture_igmp_parse_query(f, (uint32_t)len, &q), -EINVAL);
	len = make_query(f, 0, 100, false, false);
	f[38] = 0x16;
	cr_expect_not(capture_igmp_is_query(f, (uint32_t)len));
	cr_expect_eq(capture_igmp_parse_query(f, (uint32_t)len, &q), -EINVAL);
	len = make_query(f, 0, 100, false, false);
	cr_expect_eq(capture_igmp_parse_query(f, (uint32_t)len - 4, &q), -EINVAL);
	cr_expect_not(capture_igmp_is_query(f, 30));
}

/* ------------------------------------------------------------------ filter */

static size_t udp_frame(uint8_t *f, const char *src, const char *dst, uint16_t dport, uint16_t frag,
			uint8_t proto)
{
	uint32_t s = inet_addr(src), d = inet_addr(dst);
	uint8_t *ip = f + 14;

	memset(f, 0, 64);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[6] = (uint8_t)(frag >> 8);
	ip[7] = (uint8_t)frag;
	ip[9] = proto;
	memcpy(ip + 12, &s, 4);
	memcpy(ip + 16, &d, 4);
	ip[22] = (uint8_t)(dport >> 8);
	ip[23] = (uint8_t)dport;
	return 64;
}

Test(capture_filter, groups_ports_sources_fragments)
{
	struct capture_group g[2];
	uint8_t f[64];
	char err[128];

	cr_assert_eq(capture_parse_group("239.1.1.1:30001", &g[0], err, sizeof(err)), 0);
	cr_assert_eq(capture_parse_group("10.0.0.5@232.1.1.1", &g[1], err, sizeof(err)), 0);
	udp_frame(f, "10.0.0.1", "239.1.1.1", 30001, 0, 17);
	cr_expect(capture_filter_match(g, 2, f, 64));
	udp_frame(f, "10.0.0.1", "239.1.1.1", 30002, 0, 17);
	cr_expect_not(capture_filter_match(g, 2, f, 64), "other UDP port");
	udp_frame(f, "10.0.0.1", "239.1.1.1", 30002, 0x0010, 17);
	cr_expect(capture_filter_match(g, 2, f, 64), "a later fragment has no UDP header");
	udp_frame(f, "10.0.0.1", "239.1.1.1", 30001, 0, 6);
	cr_expect_not(capture_filter_match(g, 2, f, 64), "TCP to a UDP group port");
	udp_frame(f, "10.0.0.1", "239.1.1.2", 30001, 0, 17);
	cr_expect_not(capture_filter_match(g, 2, f, 64), "other group");
	udp_frame(f, "10.0.0.5", "232.1.1.1", 9, 0, 17);
	cr_expect(capture_filter_match(g, 2, f, 64), "source-specific, right source");
	udp_frame(f, "10.0.0.6", "232.1.1.1", 9, 0, 17);
	cr_expect_not(capture_filter_match(g, 2, f, 64), "source-specific, other source");
	f[12] = 0x86;
	f[13] = 0xdd;
	cr_expect_not(capture_filter_match(g, 2, f, 64), "IPv6");
	cr_expect_not(capture_filter_match(g, 2, f, 20), "runt");
}

/* ------------------------------------------------------------------ host checks */

static void write_file(const char *root, const char *path, const char *text)
{
	char full[512], cmd[600];
	FILE *fp;

	snprintf(full, sizeof(full), "%s%s", root, path);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", full);
	cr_assert_eq(system(cmd), 0);
	fp = fopen(full, "w");
	cr_assert_not_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void rm_root(const char *root)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	cr_expect_eq(system(cmd), 0);
}

static const struct capture_check *find(const struct capture_check *c, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++) {
		if (!strcmp(c[i].name, name)) {
			return &c[i];
		}
	}
	cr_assert_fail("no check %s", name);
	return NULL;
}

Test(capture_host, isolated_and_not)
{
	char root[] = "/tmp/capture-hostcheck.XXXXXX";
	struct capture_check c[CAPTURE_MAX_CHECKS];
	int n;

	cr_assert_not_null(mkdtemp(root));
	write_file(root, "/proc/cmdline",
		   "BOOT_IMAGE=/vmlinuz isolcpus=managed_irq,domain,2-3 "
		   "nohz_full=2-3 rcu_nocbs=1,3\n");
	write_file(root, "/sys/devices/system/cpu/isolated", "\n");
	write_file(
		root, "/proc/meminfo",
		"HugePages_Total:    1024\nHugePages_Free:      512\nHugepagesize:       2048 kB\n");
	write_file(root, "/sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never\n");
	write_file(root, "/sys/devices/system/cpu/cpu3/cpufreq/scaling_governor", "powersave\n");

	n = capture_host_check(root, 3, 512ull << 20, c, CAPTURE_MAX_CHECKS);
	cr_expect_eq(find(c, n, "isolcpus")->status, CAPTURE_CHECK_OK, "%s",
		     find(c, n, "isolcpus")->value);
	cr_expect_eq(find(c, n, "nohz_full")->status, CAPTURE_CHECK_OK);
	cr_expect_eq(find(c, n, "rcu_nocbs")->status, CAPTURE_CHECK_OK);
	cr_expect_eq(find(c, n, "hugepages")->status, CAPTURE_CHECK_OK, "%s",
		     find(c, n, "hugepages")->value);
	cr_expect_eq(find(c, n, "transparent_hugepage")->status, CAPTURE_CHECK_WARN);
	cr_expect_eq(find(c, n, "cpufreq_governor")->status, CAPTURE_CHECK_WARN);

	n = capture_host_check(root, 2, 2ull << 30, c, CAPTURE_MAX_CHECKS);
	cr_expect_eq(find(c, n, "rcu_nocbs")->status, CAPTURE_CHECK_WARN);
	cr_expect(strstr(find(c, n, "rcu_nocbs")->fix, "rcu_nocbs=2") != NULL);
	cr_expect_eq(find(c, n, "hugepages")->status, CAPTURE_CHECK_WARN,
		     "2 GiB needs 1024 pages, 512 free");
	cr_expect(strstr(find(c, n, "hugepages")->value, "needs 1024") != NULL, "%s",
		  find(c, n, "hugepages")->value);

	/* sysfs wins over the command line when it has a value. */
	write_file(root, "/sys/devices/system/cpu/isolated", "5\n");
	n = capture_host_check(root, 3, 1 << 20, c, CAPTURE_MAX_CHECKS);
	cr_expect_eq(find(c, n, "isolcpus")->status, CAPTURE_CHECK_WARN);
	rm_root(root);
}

/* A fake two-node host: CPUs 0-1 on node 0, 2-3 on node 1, the NIC on node 1. */
static void numa_host(const char *root)
{
	write_file(root, "/sys/devices/system/cpu/online", "0-3\n");
	write_file(root, "/sys/devices/system/cpu/cpu0/node0/x", "");
	write_file(root, "/sys/devices/system/cpu/cpu1/node0/x", "");
	write_file(root, "/sys/devices/system/cpu/cpu2/node1/x", "");
	write_file(root, "/sys/devices/system/cpu/cpu3/node1/x", "");
	write_file(root, "/sys/bus/pci/devices/0000:3b:00.0/numa_node", "1\n");
	write_file(root, "/sys/bus/pci/devices/0000:af:00.0/numa_node", "-1\n");
}

/* NUMA: nodes of CPUs and ports, default CPUs on the port's node, a warning off it. */
Test(capture_numa, nodes_default_cpus_and_mismatch)
{
	char root[] = "/tmp/capture-numa.XXXXXX";
	struct capture_check c[CAPTURE_MAX_CHECKS];
	char *pci[] = { "0000:3b:00.0", "af:00.0" };
	const int all[] = { 0, 1, 2, 3 }, some[] = { 0, 1, 3 };
	int n, ctl = -1, pol = -1;

	cr_assert_not_null(mkdtemp(root));
	numa_host(root);
	cr_expect_eq(capture_cpu_node(root, 3), 1);
	cr_expect_eq(capture_cpu_node(root, 0), 0);
	cr_expect_eq(capture_cpu_node(root, 7), -1);
	cr_expect_eq(capture_pci_node(root, "3b:00.0"), 1, "the short form names the same device");
	cr_expect_eq(capture_pci_node(root, "0000:af:00.0"), -1);

	cr_assert_eq(capture_pick_cpus(root, all, 4, 1, &ctl, &pol), 0);
	cr_expect(ctl == 2 && pol == 3, "port on node 1: control 2, poller 3 (got %d, %d)", ctl,
		  pol);
	cr_assert_eq(capture_pick_cpus(root, some, 3, 1, &ctl, &pol), 0);
	cr_expect(ctl == 0 && pol == 3, "one CPU of node 1 allowed: poller there (got %d, %d)", ctl,
		  pol);
	cr_assert_eq(capture_pick_cpus(root, all, 4, -1, &ctl, &pol), 0);
	cr_expect(ctl == 0 && pol == 3, "no node: first and last (got %d, %d)", ctl, pol);
	cr_expect_eq(capture_pick_cpus(root, all, 1, 0, &ctl, &pol), -ERANGE);

	n = capture_numa_check(root, 1, pci, 2, NULL, c, CAPTURE_MAX_CHECKS);
	cr_expect_str_eq(find(c, n, "numa_poller")->value, "CPU 1 on node 0");
	cr_expect_eq(c[1].status, CAPTURE_CHECK_WARN, "port on node 1, poller on 0: %s",
		     c[1].value);
	cr_expect(strstr(c[1].fix, "pick a poller CPU on node 1") != NULL, "%s", c[1].fix);
	cr_expect_eq(c[2].status, CAPTURE_CHECK_OK, "no node for the second port: %s", c[2].value);
	cr_expect(strstr(find(c, n, "numa_ring")->value, "node 0 (the poller's)") != NULL);
	n = capture_numa_check(root, 3, pci, 1, NULL, c, CAPTURE_MAX_CHECKS);
	cr_expect_eq(c[1].status, CAPTURE_CHECK_OK, "%s", c[1].value);
	rm_root(root);
}

/* What tuned's cpu-partitioning sets for an isolated core, each with the line that fixes it. */
Test(capture_host, tuned_cpu_partitioning)
{
	char root[] = "/tmp/capture-tuned.XXXXXX";
	struct capture_check c[CAPTURE_MAX_CHECKS];
	const struct capture_check *x;
	int n;

	cr_assert_not_null(mkdtemp(root));
	numa_host(root);
	write_file(root, "/proc/irq/24/smp_affinity_list", "0-3\n");
	write_file(root, "/proc/irq/24/eth0-rx-0/x", "");
	write_file(root, "/proc/irq/25/smp_affinity_list", "0\n");
	write_file(root, "/proc/irq/25/nvme0q1/x", "");
	write_file(root, "/proc/irq/26/smp_affinity_list", "0-3\n"); /* no handler: unused */
	write_file(root, "/proc/123/comm", "irqbalance\n");
	write_file(root, "/proc/sys/kernel/nmi_watchdog", "1\n");
	write_file(root, "/proc/sys/kernel/numa_balancing", "0\n");
	write_file(root, "/proc/sys/vm/stat_interval", "1\n");
	write_file(root, "/sys/devices/system/cpu/cpu3/cpuidle/state0/latency", "0\n");
	write_file(root, "/sys/devices/system/cpu/cpu3/cpuidle/state0/disable", "0\n");
	write_file(root, "/sys/devices/system/cpu/cpu3/cpuidle/state1/latency", "133\n");
	write_file(root, "/sys/devices/system/cpu/cpu3/cpuidle/state1/disable", "0\n");
	write_file(root, "/sys/devices/system/cpu/cpu3/cpuidle/state1/name", "C6\n");
	write_file(root, "/proc/swaps",
		   "Filename\tType\tSize\tUsed\tPriority\n/dev/sda2\tpartition\t1\t0\t-2\n");

	n = capture_host_check(root, 3, 1 << 20, c, CAPTURE_MAX_CHECKS);
	x = find(c, n, "irq_affinity");
	cr_expect_eq(x->status, CAPTURE_CHECK_WARN);
	cr_expect_str_eq(x->value, "1 IRQ(s) may run on CPU 3: 24",
			 "only 24: 25 is elsewhere, 26 unused");
	cr_expect(strstr(x->fix, "echo 0-2 > $i/smp_affinity_list") != NULL, "%s", x->fix);
	x = find(c, n, "irqbalance");
	cr_expect_eq(x->status, CAPTURE_CHECK_WARN, "%s", x->value);
	cr_expect(strstr(x->fix, "IRQBALANCE_BANNED_CPULIST=3") != NULL, "%s", x->fix);
	x = find(c, n, "nmi_watchdog");
	cr_expect_eq(x->status, CAPTURE_CHECK_WARN);
	cr_expect(strstr(x->fix, "sysctl -w kernel.nmi_watchdog=0") != NULL, "%s", x->fix);
	cr_expect_eq(find(c, n, "numa_balancing")->status, CAPTURE_CHECK_OK);
	x = find(c, n, "stat_interval");
	cr_expect_eq(x->status, CAPTURE_CHECK_WARN);
	cr_expect(strstr(x->fix, "vm.stat_interval=10") != NULL, "%s", x->fix);
	x = find(c, n, "cstates");
	cr_expect_eq(x->status, CAPTURE_CHECK_WARN, "%s", x->value);
	cr_expect(strstr(x->value, "C6 (133 us)") != NULL, "%s", x->value);
	cr_expect(strstr(x->fix, "cpupower -c 3 idle-set -D 10") != NULL, "%s", x->fix);
	cr_expect_eq(find(c, n, "swap")->status, CAPTURE_CHECK_WARN);

	/* The fixed host: irqbalance banned from CPU 3, the IRQ moved, the rest set. */
	write_file(root, "/etc/default/irqbalance",
		   "# comment\nIRQBALANCE_BANNED_CPULIST=\"2-3\"\n");
	write_file(root, "/proc/irq/24/smp_affinity_list", "0-2\n");
	write_file(root, "/proc/sys/kernel/nmi_watchdog", "0\n");
	write_file(root, "/proc/sys/vm/stat_interval", "10\n");
	write_file(root, "/sys/devices/system/cpu/cpu3/cpuidle/state1/disable", "1\n");
	write_file(root, "/proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n");
	n = capture_host_check(root, 3, 1 << 20, c, CAPTURE_MAX_CHECKS);
	for (const char *const *k =
		     (const char *const[]){ "irq_affinity", "irqbalance", "nmi_watchdog",
					    "stat_interval", "cstates", "swap", NULL };
	     *k; k++) {
		cr_expect_eq(find(c, n, *k)->status, CAPTURE_CHECK_OK, "%s: %s", *k,
			     find(c, n, *k)->value);
	}
	rm_root(root);
}

Test(capture_host, cpulists)
{
	cr_expect(capture_cpulist_has("1-3,5", 2));
	cr_expect(capture_cpulist_has("1-3,5", 5));
	cr_expect_not(capture_cpulist_has("1-3,5", 4));
	cr_expect_not(capture_cpulist_has("", 0));
	cr_expect_not(capture_cpulist_has("(null)", 0));
	cr_expect(capture_cpulist_has("0", 0));
}

/* ------------------------------------------------------------------ config file */

#include "feedcap_config.h"

static const char conf_text[] = "[ring md]\n"
				"path = /dev/hugepages/md-test\n"
				"size = 256M\n"
				"backing = file\n"
				"\n"
				"[port a]\n"
				"device = net_pcap0,rx_pcap=/srv/in.pcap\n"
				"queues = 2\n"
				"rx_descriptors = 2048\n"
				"\n"
				"[port b]\n"
				"device = 0000:3b:00.0\n"
				"\n"
				"[capture]\n"
				"ring = md\n"
				"control_core = 2\n"
				"poller_core = 3\n"
				"groups = 239.1.1.1:30001, 10.0.0.5@232.1.1.1\n"
				"igmp_version = 3\n"
				"filter = groups\n"
				"filter_offload = require\n"
				"snaplen = 128\n"
				"timestamp = tsc\n"
				"ptp_socket = /var/run/ptp4l-test\n"
				"mtu = 9000\n"
				"flow_control = rx\n"
				"strict = yes\n";

static struct fcc_config *load_conf(const char *text)
{
	struct fcc_error fe;
	struct fcc_config *cfg;

	memset(&fe, 0, sizeof(fe));
	cfg = fcc_load_string(text, "test.conf", &fe);
	cr_assert_not_null(cfg, "%s", fe.msg);
	cr_assert_eq(fcc_validate(cfg, FCC_VALIDATE_CAPTURE, &fe), 0, "%s", fe.msg);
	return cfg;
}

Test(capture_config, file_fills_what_the_command_line_leaves)
{
	struct fcc_config *cfg = load_conf(conf_text);
	struct capture_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "-c", "test.conf"), 0, "%s", err);
	cr_assert_eq(capture_opts_apply_config(&o, cfg, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(o.ring, "/dev/hugepages/md-test");
	cr_expect_eq(o.ring_size, 256ull << 20);
	cr_expect_eq(o.backing, RINGSHM_BACKING_FILE);
	cr_expect_eq(o.nvdevs, 1);
	cr_expect_str_eq(o.vdevs[0], "net_pcap0,rx_pcap=/srv/in.pcap");
	cr_expect_eq(o.npci, 1);
	cr_expect_str_eq(o.pci[0], "0000:3b:00.0");
	cr_expect_eq(o.rxq, 2);
	cr_expect_eq(o.rxd, 2048);
	cr_expect_eq(o.control_lcore, 2);
	cr_expect_eq(o.poller_lcore, 3);
	cr_assert_eq(o.ngroups, 2);
	cr_expect_eq(o.groups[0].addr, inet_addr("239.1.1.1"));
	cr_expect_eq(o.groups[0].port, 30001);
	cr_expect_eq(o.groups[1].source, inet_addr("10.0.0.5"));
	cr_expect_eq(o.igmp_version, 3);
	cr_expect(o.filter);
	cr_expect_eq(o.filter_offload, CAPTURE_OFFLOAD_REQUIRE);
	cr_expect_eq(o.snaplen, 128);
	cr_expect_eq(o.timestamp, CAPTURE_TS_TSC);
	cr_expect_str_eq(o.ptp_socket, "/var/run/ptp4l-test");
	cr_expect_eq(o.mtu, 9000);
	cr_expect_eq(o.flow_control, CAPTURE_FC_RX);
	cr_expect(o.strict);
	fcc_free(cfg);
}

Test(capture_config, command_line_overrides_the_file)
{
	struct fcc_config *cfg = load_conf(conf_text);
	struct capture_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "-c", "test.conf", "--ring", "other", "--vdev", "net_null0",
			   "--group", "239.9.9.9", "--igmp-version", "2", "--lcores", "0,1",
			   "--timestamp", "auto", "--ptp-socket", "", "--filter-offload", "off",
			   "--mtu", "1500", "--flow-control", "off"),
		     0, "%s", err);
	cr_assert_eq(capture_opts_apply_config(&o, cfg, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(o.ring, "other");
	cr_expect_eq(o.ring_size, 256ull << 20, "not overridden: from the file");
	cr_expect_eq(o.nvdevs, 1);
	cr_expect_str_eq(o.vdevs[0], "net_null0");
	cr_expect_eq(o.npci, 0, "--vdev replaces the file's ports");
	cr_expect_eq(o.ngroups, 1);
	cr_expect_eq(o.groups[0].addr, inet_addr("239.9.9.9"));
	cr_expect_eq(o.igmp_version, 2);
	cr_expect_eq(o.poller_lcore, 1);
	cr_expect_eq(o.timestamp, CAPTURE_TS_AUTO);
	cr_expect_str_eq(o.ptp_socket, "");
	cr_expect_eq(o.filter_offload, CAPTURE_OFFLOAD_OFF);
	cr_expect_eq(o.mtu, 1500);
	cr_expect_eq(o.flow_control, CAPTURE_FC_OFF);
	fcc_free(cfg);
}

/* Port defaults: no MTU asked, flow control off, descriptors left to the PMD; bad values named. */
Test(capture_opts, mtu_flow_control_rx_desc)
{
	struct capture_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "--ring", "x"), 0, "%s", err);
	cr_expect_eq(o.mtu, 0);
	cr_expect_eq(o.flow_control, CAPTURE_FC_OFF);
	cr_expect_eq(o.rxd, 0, "0: the PMD's maximum up to %d", CAPTURE_DEFAULT_RXD);
	cr_assert_eq(PARSE(&o, err, "--flow-control", "full", "--mtu", "9600"), 0, "%s", err);
	cr_expect_eq(o.flow_control, CAPTURE_FC_FULL);
	cr_expect_eq(o.mtu, 9600);
	cr_assert_lt(PARSE(&o, err, "--mtu", "67"), 0);
	cr_expect(strstr(err, "--mtu: \"67\" is not a number from 68 to 9600"), "%s", err);
	cr_assert_lt(PARSE(&o, err, "--flow-control", "on"), 0);
	cr_expect(strstr(err, "--flow-control: \"on\" is not off, rx, tx or full"), "%s", err);
	cr_expect_str_eq(capture_flow_control_name(CAPTURE_FC_TX), "tx");
}

/* --filter-offload: the three modes, a bad word named, require without a filter refused
 * (command line and file, the file's with its path and line). */
Test(capture_opts, filter_offload)
{
	struct fcc_config *cfg;
	struct capture_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "--group", "239.1.1.1", "--filter-groups"), 0, "%s", err);
	cr_expect_eq(o.filter_offload, CAPTURE_OFFLOAD_AUTO, "the default");
	cr_assert_eq(PARSE(&o, err, "--group", "239.1.1.1", "--filter-groups", "--filter-offload",
			   "require"),
		     0, "%s", err);
	cr_expect_eq(o.filter_offload, CAPTURE_OFFLOAD_REQUIRE);
	cr_expect_eq(PARSE(&o, err, "--filter-offload", "hw"), -EINVAL);
	cr_expect(strstr(err, "--filter-offload: \"hw\" is not auto, off or require") != NULL, "%s",
		  err);
	cr_expect_eq(PARSE(&o, err, "--group", "239.1.1.1", "--filter-offload", "require"),
		     -EINVAL);
	cr_expect(strstr(err, "without --filter-groups") != NULL, "%s", err);

	cfg = load_conf("[ring md]\nsize = 64M\n[port a]\ndevice = net_null0\n"
			"[capture]\ngroups = 239.1.1.1\nfilter_offload = require\n");
	cr_assert_eq(PARSE(&o, err, "-c", "test.conf"), 0, "%s", err);
	cr_expect_eq(capture_opts_apply_config(&o, cfg, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "test.conf:5: capture.filter_offload: \"require\" but no filter") !=
			  NULL,
		  "%s", err);
	fcc_free(cfg);
}

Test(capture_config, ipv6_group_is_refused_with_file_and_line)
{
	struct fcc_config *cfg = load_conf("[ring md]\nsize = 64M\n[port a]\ndevice = net_null0\n"
					   "[capture]\ngroups = ff15::1\n");
	struct capture_opts o;
	char err[256] = "";

	cr_assert_eq(PARSE(&o, err, "--count", "1"), 0, "%s", err);
	cr_expect_eq(capture_opts_apply_config(&o, cfg, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "test.conf:6: capture.groups") != NULL, "%s", err);
	cr_expect(strstr(err, "IPv6") != NULL, "%s", err);
	fcc_free(cfg);
}

/* Ring directories: o+w refused (sticky or not) with the directory, its mode and the fix in the
 * message; owner- and group-writable directories accepted; a missing one reported as such. */
Test(capture_privs, ring_dir_check)
{
	static const struct {
		mode_t mode;
		int want;
	} cases[] = { { 0777, -EPERM }, { 01777, -EPERM }, { 0773, -EPERM }, { 0702, -EPERM },
		      { 0755, 0 },	{ 0750, 0 },	   { 0770, 0 },	     { 01770, 0 } };
	char base[] = "/tmp/test_capture_privsXXXXXX", d[128], path[160], err[1024], want[160];
	size_t i;

	cr_assert_not_null(mkdtemp(base));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(d, sizeof(d), "%s/d%zu", base, i);
		cr_assert_eq(mkdir(d, 0700), 0);
		cr_assert_eq(chmod(d, cases[i].mode), 0);
		err[0] = '\0';
		cr_expect_eq(capture_ring_dir_check(d, err, sizeof(err)), cases[i].want,
			     "mode %04o: %s", (unsigned)cases[i].mode, err);
		snprintf(path, sizeof(path), "%s/ring", d);
		cr_expect_eq(capture_ring_path_check(path, err, sizeof(err)), cases[i].want,
			     "path in mode %04o: %s", (unsigned)cases[i].mode, err);
		if (cases[i].want) {
			snprintf(want, sizeof(want), "ring directory %s has mode %04o", d,
				 (unsigned)cases[i].mode);
			cr_expect(strstr(err, want), "no \"%s\" in: %s", want, err);
			cr_expect(strstr(err, "install -d -m 0750"), "no fix in: %s", err);
		}
		rmdir(d);
	}
	snprintf(d, sizeof(d), "%s/missing", base);
	cr_expect_eq(capture_ring_dir_check(d, err, sizeof(err)), -ENOENT);
	cr_expect(strstr(err, d), "the message does not name %s: %s", d, err);
	rmdir(base);
}

/* Each ring gets its own EAL file prefix; the user's EAL choices win over feedcap's defaults. */
Test(capture_eal, prefix_per_ring_and_user_choices_kept)
{
	char a[64], b[64], prefix[64];
	const char *add[3];
	char *user[4];
	struct capture_opts o;

	cr_assert_eq(capture_eal_prefix("md", a, sizeof(a)), 0);
	cr_assert_str_eq(a, "feedcap-md");
	/* Paths and names that had to change get a hash of the whole: never the same prefix. */
	cr_assert_eq(capture_eal_prefix("/dev/hugepages/md", a, sizeof(a)), 0);
	cr_assert_eq(capture_eal_prefix("/mnt/other/md", b, sizeof(b)), 0);
	cr_assert_eq(strncmp(a, "feedcap-md-", 11), 0, "%s", a);
	cr_assert_eq(strlen(a), strlen("feedcap-md-") + 8, "%s", a);
	cr_assert_str_neq(a, b);
	cr_assert_eq(capture_eal_prefix("a b/c", a, sizeof(a)), 0);
	cr_assert_eq(strncmp(a, "feedcap-c-", 10), 0, "%s", a);
	cr_assert_eq(capture_eal_prefix("feed a", a, sizeof(a)), 0);
	cr_assert_eq(strncmp(a, "feedcap-feed_a-", 15), 0, "%s", a);
	cr_assert_eq(capture_eal_prefix("feed_a", b, sizeof(b)), 0);
	cr_assert_str_neq(a, b, "a name with a space and its underscore twin differ");
	cr_assert_eq(capture_eal_prefix("a-very-long-ring-name-for-line-a-and-b", a, sizeof(a)), 0);
	cr_assert_eq(strlen(a), strlen("feedcap-") + CAPTURE_EAL_PREFIX_NAME + 9, "%s", a);
	cr_assert_eq(capture_eal_prefix("..", a, sizeof(a)), 0);
	cr_assert_neq(strcmp(a, "feedcap-.."), 0, "%s", a);
	cr_assert_eq(capture_eal_prefix("md", a, 8), -1);

	capture_opts_init(&o);
	o.ring = "md";
	cr_assert_eq(capture_eal_defaults(&o, prefix, sizeof(prefix), add, 3), 3);
	cr_assert_str_eq(add[0], "--file-prefix");
	cr_assert_str_eq(add[1], "feedcap-md");
	cr_assert_eq(add[1], prefix);
	cr_assert_str_eq(add[2], "--in-memory");
	user[0] = "--file-prefix=mine";
	user[1] = "--huge-unlink";
	o.eal_argv = user;
	o.eal_argc = 2;
	cr_assert_eq(capture_eal_defaults(&o, prefix, sizeof(prefix), add, 3), 0);
	cr_assert_str_eq(prefix, "");
	user[0] = "--file-prefixes"; /* not the option: a prefix of it */
	user[1] = "--no-huge";
	cr_assert_eq(capture_eal_defaults(&o, prefix, sizeof(prefix), add, 3), 2);
	cr_assert_str_eq(add[0], "--file-prefix");
	user[0] = "--in-memory";
	user[1] = "-m";
	cr_assert_eq(capture_eal_defaults(&o, prefix, sizeof(prefix), add, 3), 2);
	cr_assert_str_eq(add[1], "feedcap-md");
	cr_assert_eq(capture_eal_defaults(&o, prefix, sizeof(prefix), add, 2), -1);
}

/* Which extended statistics are drops, and of which stage, by the names real PMDs use. */
Test(capture_xstat, stages_by_pmd_name)
{
	static const struct {
		const char *name;
		int stage;
	} t[] = {
		{ "rx_discards_phy", CAPTURE_STAGE_DISCARD },	 /* mlx5 */
		{ "rx_prio0_discards", CAPTURE_STAGE_DISCARD },	 /* mlx5 */
		{ "rx_dropped_packets", CAPTURE_STAGE_DISCARD }, /* i40e, ice */
		{ "rx_out_of_buffer", CAPTURE_STAGE_MISSED },	 /* mlx5 (= imissed) */
		{ "rx_mac_missed", CAPTURE_STAGE_MISSED },
		{ "rx_no_mbuf", CAPTURE_STAGE_NOBUF },
		{ "rx_crc_errors_phy", CAPTURE_STAGE_ERROR },	 /* mlx5 */
		{ "rx_oversize_pkts_phy", CAPTURE_STAGE_ERROR }, /* mlx5 */
		{ "rx_jabber_errors", CAPTURE_STAGE_ERROR },	 /* ice */
		{ "rx_length_errors", CAPTURE_STAGE_ERROR },	 /* ixgbe */
		{ "rx_mc_filtered", CAPTURE_STAGE_FILTERED },	 /* net_fcsim */
		{ "rx_flow_dropped", CAPTURE_STAGE_FILTERED },	 /* net_fcsim */
		{ "rx_good_packets", -1 },			 /* ethdev: traffic */
		{ "rx_missed_errors", -1 },			 /* ethdev: = imissed */
		{ "rx_errors", -1 },				 /* ethdev: = ierrors */
		{ "rx_mbuf_allocation_errors", -1 },		 /* ethdev: = rx_nombuf */
		{ "rx_q0_errors", -1 },				 /* ethdev: per queue */
		{ "tx_errors", -1 },
		{ "tx_phy_dropped", -1 },
		{ "rx_xoff_packets", -1 }, /* PAUSE frames */
		{ "rx_pause_ctrl_phy", -1 },
		{ "rx_wire_packets", -1 },
		{ "rx_bytes_phy", -1 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cr_expect_eq(capture_xstat_stage(t[i].name), t[i].stage,
			     "%s: stage %d, expected %d", t[i].name, capture_xstat_stage(t[i].name),
			     t[i].stage);
	}
	cr_expect_str_eq(capture_stage_name(CAPTURE_STAGE_NOBUF), "nobuf");
	cr_expect(capture_xstat_is_oversize("rx_oversize_packets"));
	cr_expect_not(capture_xstat_is_oversize("rx_discards_phy"));
}
