// SPDX-License-Identifier: BSD-3-Clause
/*
 * test_config.c - feedcap.conf: every value type with good and bad input, every key with a
 * wrong type and an out-of-range value, the structural errors (duplicates, unknown keys and
 * sections, empty files, binary garbage), the cross-section checks, and the example file
 * against the key table.
 */
#include "config_internal.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char msgbuf[FCC_ERROR_MAX];

static const char *fmt(const struct fcc_error *err)
{
	fcc_format_error(err, msgbuf, sizeof(msgbuf));
	return msgbuf;
}

/* Load text that must fail; returns the error. */
static struct fcc_error load_bad(const char *text)
{
	struct fcc_error err;
	struct fcc_config *cfg = fcc_load_string(text, "t.conf", &err);

	cr_assert_null(cfg, "accepted:\n%s", text);
	cr_assert_eq(errno, EINVAL);
	cr_assert_gt(err.count, 0);
	return err;
}

static struct fcc_config *load_ok(const char *text)
{
	struct fcc_error err;
	struct fcc_config *cfg = fcc_load_string(text, "t.conf", &err);

	cr_assert_not_null(cfg, "rejected: %s\n%s", fmt(&err), text);
	return cfg;
}

static const char *example_path(void)
{
	static char path[PATH_MAX];
	const char *src = getenv("FEEDCAP_SRC");

	cr_assert_not_null(src, "FEEDCAP_SRC is not set (run through ctest)");
	snprintf(path, sizeof(path), "%s/config/feedcap.conf.example", src);
	return path;
}

/* ------------------------------------------------------------------------------------------ */
/* Value types */

Test(config_types, size)
{
	uint64_t v;

	cr_assert_eq(fcc_parse_size("0", &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(fcc_parse_size("4096", &v), 0);
	cr_assert_eq(v, 4096);
	cr_assert_eq(fcc_parse_size("64K", &v), 0);
	cr_assert_eq(v, 65536);
	cr_assert_eq(fcc_parse_size("512m", &v), 0);
	cr_assert_eq(v, UINT64_C(512) << 20);
	cr_assert_eq(fcc_parse_size("8G", &v), 0);
	cr_assert_eq(v, UINT64_C(8) << 30);
	cr_assert_eq(fcc_parse_size("8GiB", &v), 0);
	cr_assert_eq(v, UINT64_C(8) << 30);
	cr_assert_eq(fcc_parse_size("2T", &v), 0);
	cr_assert_eq(v, UINT64_C(2) << 40);
	cr_assert_eq(fcc_parse_size("100B", &v), 0);
	cr_assert_eq(v, 100);
	cr_assert_eq(fcc_parse_size("8X", &v), -EINVAL);
	cr_assert_eq(fcc_parse_size("", &v), -EINVAL);
	cr_assert_eq(fcc_parse_size("G", &v), -EINVAL);
	cr_assert_eq(fcc_parse_size("-1G", &v), -EINVAL);
	cr_assert_eq(fcc_parse_size("1.5G", &v), -EINVAL);
	cr_assert_eq(fcc_parse_size("8 G", &v), -EINVAL);
	cr_assert_eq(fcc_parse_size("8Gx", &v), -EINVAL);
	cr_assert_eq(fcc_parse_size("99999999999999999999", &v), -ERANGE);
	cr_assert_eq(fcc_parse_size("17179869184G", &v), -ERANGE);
}

Test(config_types, duration)
{
	uint64_t v;

	cr_assert_eq(fcc_parse_duration("0", &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(fcc_parse_duration("250ns", &v), 0);
	cr_assert_eq(v, 250);
	cr_assert_eq(fcc_parse_duration("3us", &v), 0);
	cr_assert_eq(v, 3000);
	cr_assert_eq(fcc_parse_duration("500ms", &v), 0);
	cr_assert_eq(v, 500000000);
	cr_assert_eq(fcc_parse_duration("10s", &v), 0);
	cr_assert_eq(v, UINT64_C(10000000000));
	cr_assert_eq(fcc_parse_duration("10", &v), 0);
	cr_assert_eq(v, UINT64_C(10000000000));
	cr_assert_eq(fcc_parse_duration("5m", &v), 0);
	cr_assert_eq(v, UINT64_C(300000000000));
	cr_assert_eq(fcc_parse_duration("2h", &v), 0);
	cr_assert_eq(v, UINT64_C(7200000000000));
	cr_assert_eq(fcc_parse_duration("5x", &v), -EINVAL);
	cr_assert_eq(fcc_parse_duration("s", &v), -EINVAL);
	cr_assert_eq(fcc_parse_duration("1.5s", &v), -EINVAL);
	cr_assert_eq(fcc_parse_duration("-1s", &v), -EINVAL);
	cr_assert_eq(fcc_parse_duration("10 s", &v), -EINVAL);
	cr_assert_eq(fcc_parse_duration("9999999999999h", &v), -ERANGE);
}

Test(config_types, boolean)
{
	static const char *const yes[] = { "yes", "YES", "true", "On", "1" };
	static const char *const no[] = { "no", "False", "off", "0" };
	static const char *const bad[] = { "", "maybe", "2", "yess", "y" };
	bool b;
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		b = false;
		cr_assert_eq(fcc_parse_bool(yes[i], &b), 0, "%s", yes[i]);
		cr_assert(b, "%s", yes[i]);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		b = true;
		cr_assert_eq(fcc_parse_bool(no[i], &b), 0, "%s", no[i]);
		cr_assert_not(b, "%s", no[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(fcc_parse_bool(bad[i], &b), -EINVAL, "%s", bad[i]);
	}
}

Test(config_types, integer)
{
	int64_t v;

	cr_assert_eq(fcc_parse_int("0", &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(fcc_parse_int("-7", &v), 0);
	cr_assert_eq(v, -7);
	cr_assert_eq(fcc_parse_int("65535", &v), 0);
	cr_assert_eq(v, 65535);
	cr_assert_eq(fcc_parse_int("9223372036854775807", &v), 0);
	cr_assert_eq(v, INT64_MAX);
	cr_assert_eq(fcc_parse_int("-9223372036854775808", &v), 0);
	cr_assert_eq(v, INT64_MIN);
	cr_assert_eq(fcc_parse_int("9223372036854775808", &v), -ERANGE);
	cr_assert_eq(fcc_parse_int("", &v), -EINVAL);
	cr_assert_eq(fcc_parse_int("-", &v), -EINVAL);
	cr_assert_eq(fcc_parse_int("1k", &v), -EINVAL);
	cr_assert_eq(fcc_parse_int("0x10", &v), -EINVAL);
	cr_assert_eq(fcc_parse_int("+3", &v), -EINVAL);
	cr_assert_eq(fcc_parse_int("3 ", &v), -EINVAL);
}

Test(config_types, cpus)
{
	struct fcc_cpuset set;
	char why[256];

	cr_assert_eq(fcc_parse_cpus("0,2-5,8", &set, why, sizeof(why)), 0);
	cr_assert_eq(fcc_cpuset_count(&set), 6);
	cr_assert(fcc_cpuset_has(&set, 0));
	cr_assert_not(fcc_cpuset_has(&set, 1));
	cr_assert(fcc_cpuset_has(&set, 5));
	cr_assert(fcc_cpuset_has(&set, 8));
	cr_assert_not(fcc_cpuset_has(&set, -1));
	cr_assert_not(fcc_cpuset_has(&set, FCC_MAX_CPUS));
	cr_assert_eq(fcc_parse_cpus(" 3 , 1023 ", &set, why, sizeof(why)), 0);
	cr_assert_eq(fcc_cpuset_count(&set), 2);
	cr_assert(fcc_cpuset_has(&set, 1023));
	cr_assert_eq(fcc_parse_cpus("", &set, why, sizeof(why)), 0);
	cr_assert_eq(fcc_cpuset_count(&set), 0);
	cr_assert_eq(fcc_parse_cpus("5-2", &set, why, sizeof(why)), -EINVAL);
	cr_assert(strstr(why, "backwards"), "%s", why);
	cr_assert_eq(fcc_parse_cpus("1024", &set, why, sizeof(why)), -EINVAL);
	cr_assert(strstr(why, "maximum 1023"), "%s", why);
	cr_assert_eq(fcc_parse_cpus("a", &set, why, sizeof(why)), -EINVAL);
	cr_assert_eq(fcc_parse_cpus("1-", &set, why, sizeof(why)), -EINVAL);
	cr_assert_eq(fcc_parse_cpus("1;2", &set, why, sizeof(why)), -EINVAL);
}

Test(config_types, groups_good)
{
	struct fcc_group g;
	char why[256];
	uint8_t want[16];

	cr_assert_eq(fcc_parse_group("239.1.1.1:30001", &g, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(g.family, AF_INET);
	inet_pton(AF_INET, "239.1.1.1", want);
	cr_assert_arr_eq(g.addr, want, 4);
	cr_assert_eq(g.port, 30001);
	cr_assert_not(g.has_source);

	cr_assert_eq(fcc_parse_group("224.0.0.251", &g, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(g.port, 0);

	cr_assert_eq(fcc_parse_group("ff15::1:1", &g, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(g.family, AF_INET6);
	inet_pton(AF_INET6, "ff15::1:1", want);
	cr_assert_arr_eq(g.addr, want, 16);
	cr_assert_eq(g.port, 0);

	cr_assert_eq(fcc_parse_group("2001:db8::5@[ff3e::8000:1]:31000", &g, why, sizeof(why)), 0,
		     "%s", why);
	cr_assert_eq(g.family, AF_INET6);
	cr_assert_eq(g.port, 31000);
	cr_assert(g.has_source);
	inet_pton(AF_INET6, "2001:db8::5", want);
	cr_assert_arr_eq(g.source, want, 16);

	cr_assert_eq(fcc_parse_group("10.1.2.3@232.1.1.1:31001", &g, why, sizeof(why)), 0, "%s",
		     why);
	cr_assert(g.has_source);
	inet_pton(AF_INET, "10.1.2.3", want);
	cr_assert_arr_eq(g.source, want, 4);
}

Test(config_types, groups_bad)
{
	static const struct {
		const char *in, *why;
	} cases[] = {
		{ "10.0.0.1", "not a multicast group" },
		{ "2001:db8::1", "not a multicast group" },
		{ "239.1.1", "not an IPv4 address" },
		{ "239.1.1.1:0", "not a UDP port" },
		{ "239.1.1.1:65536", "not a UDP port" },
		{ "239.1.1.1:x", "not a UDP port" },
		{ "[ff15::1]x", "[ff3e::1]:30001" },
		{ "[ff15::1", "[ff3e::1]:30001" },
		{ "ff15::zz", "not an IPv6 address" },
		{ "239.2.2.2@239.1.1.1", "is a multicast address" },
		{ "ff::1@239.1.1.1", "not an IPv4 address" },
		{ "host.example", "not an IPv4 address" },
	};
	struct fcc_group g;
	char why[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		cr_assert_eq(fcc_parse_group(cases[i].in, &g, why, sizeof(why)), -EINVAL, "%s",
			     cases[i].in);
		cr_assert(strstr(why, cases[i].why), "%s: \"%s\" lacks \"%s\"", cases[i].in, why,
			  cases[i].why);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* The key table */

Test(config_table, well_formed)
{
	size_t n, i, j;
	const struct fcc_key *k = fcc_keys(&n);

	cr_assert_gt(n, 30);
	for (i = 0; i < n; i++) {
		cr_assert(k[i].section && k[i].name && k[i].def && k[i].help, "entry %zu", i);
		cr_assert_gt(strlen(k[i].help), 20, "%s.%s: help too short", k[i].section,
			     k[i].name);
		cr_assert_neq(strcmp(fcc_type_name(k[i].type), "?"), 0);
		if (k[i].type == FCC_TYPE_ENUM) {
			cr_assert_not_null(k[i].values, "%s.%s", k[i].section, k[i].name);
			cr_assert_not_null(k[i].values[0]);
		}
		if (k[i].type == FCC_TYPE_INT || k[i].type == FCC_TYPE_SIZE ||
		    k[i].type == FCC_TYPE_DURATION) {
			cr_assert_leq(k[i].min, k[i].max, "%s.%s", k[i].section, k[i].name);
		}
		for (j = 0; j < i; j++) {
			cr_assert(strcmp(k[i].section, k[j].section) ||
					  strcmp(k[i].name, k[j].name),
				  "%s.%s twice in the table", k[i].section, k[i].name);
		}
	}
}

/* Every default goes through the setter and gives what the table says. */
Test(config_table, defaults_parse)
{
	size_t n, i;
	const struct fcc_key *k = fcc_keys(&n);
	struct fcc_config *cfg = fcc_new();
	struct fcc_error err;
	char section[64];

	cr_assert_not_null(cfg);
	cr_assert_not_null(fcc_ring_add(cfg, "r", &err), "%s", fmt(&err));
	cr_assert_not_null(fcc_port_add(cfg, "p", &err), "%s", fmt(&err));
	cr_assert_not_null(fcc_job_add(cfg, "j", &err), "%s", fmt(&err));
	for (i = 0; i < n; i++) {
		if (!strcmp(k[i].section, "capture")) {
			snprintf(section, sizeof(section), "capture");
		} else {
			snprintf(section, sizeof(section), "%s %c", k[i].section, k[i].section[0]);
		}
		cr_assert_eq(fcc_set(cfg, section, k[i].name, k[i].def, &err), 0, "%s.%s = %s: %s",
			     k[i].section, k[i].name, k[i].def, fmt(&err));
	}
	fcc_free(cfg);

	/* and the defaults stored by fcc_new()/fcc_*_add() are the documented ones */
	cfg = fcc_new();
	cr_assert_eq(cfg->capture.poller_core, 1);
	cr_assert_eq(cfg->capture.control_core, 0);
	cr_assert_eq(cfg->capture.snaplen, 65535);
	cr_assert_eq(cfg->capture.igmp_version, 2);
	cr_assert_eq(cfg->capture.clock_max_offset_ns, 1000);
	cr_assert_eq(cfg->capture.clock_max_holdover_ns, UINT64_C(10000000000));
	cr_assert_eq(cfg->capture.stats_interval_ns, UINT64_C(1000000000));
	cr_assert_str_eq(cfg->capture.ptp_socket, "/var/run/ptp4l");
	cr_assert_eq(cfg->capture.timestamp, FCC_TS_AUTO);
	cr_assert_eq(cfg->capture.filter, FCC_FILTER_OFF);
	cr_assert_not(cfg->capture.strict);
	const struct fcc_ring *r = fcc_ring_add(cfg, "md", &err);
	cr_assert_eq(r->size, UINT64_C(1) << 30);
	cr_assert_eq(r->chunk_size, 2u << 20);
	cr_assert_eq(r->backing, FCC_BACKING_AUTO);
	cr_assert_str_eq(r->path, "/run/feedcap/md");
	cr_assert_str_eq(r->group, "feedcap");
	const struct fcc_job *j = fcc_job_add(cfg, "arch", &err);
	cr_assert_str_eq(j->directory, "/var/lib/feedcap/arch");
	cr_assert_str_eq(j->file_name, "%Y%m%dT%H%M%S");
	cr_assert_eq(j->rotate_interval_ns, UINT64_C(3600000000000));
	cr_assert_eq(j->on_error, FCC_ON_ERROR_WAIT);
	cr_assert_not(j->has_cpus);
	const struct fcc_port *p = fcc_port_add(cfg, "a", &err);
	cr_assert_eq(p->queues, 1);
	cr_assert_eq(p->rx_descriptors, 4096);
	fcc_free(cfg);
}

/* A value of the wrong type for one key of each type. */
static const char *wrong_value(enum fcc_type t)
{
	switch (t) {
	case FCC_TYPE_SIZE:
		return "8X";
	case FCC_TYPE_DURATION:
		return "5x";
	case FCC_TYPE_BOOL:
		return "maybe";
	case FCC_TYPE_ENUM:
		return "bogus";
	case FCC_TYPE_INT:
		return "twelve";
	case FCC_TYPE_GROUPS:
		return "10.0.0.1";
	case FCC_TYPE_CPUS:
		return "x-y";
	case FCC_TYPE_PATH:
		return "relative/path";
	case FCC_TYPE_NAME:
		return "a b";
	case FCC_TYPE_DEVICE:
		return "eth0";
	case FCC_TYPE_STRING:
		return NULL; /* any text is a string; too long is tested separately */
	}
	return NULL;
}

static const char *wrong_expect(enum fcc_type t)
{
	switch (t) {
	case FCC_TYPE_SIZE:
		return "is not a size";
	case FCC_TYPE_DURATION:
		return "is not a duration";
	case FCC_TYPE_BOOL:
		return "is not a boolean";
	case FCC_TYPE_ENUM:
		return "is not one of:";
	case FCC_TYPE_INT:
		return "is not an integer";
	case FCC_TYPE_GROUPS:
		return "not a multicast group";
	case FCC_TYPE_CPUS:
		return "not a CPU list";
	case FCC_TYPE_PATH:
		return "not an absolute path";
	case FCC_TYPE_NAME:
		return "not a valid name";
	case FCC_TYPE_DEVICE:
		return "neither a PCI address";
	case FCC_TYPE_STRING:
		return NULL;
	}
	return NULL;
}

/* "[ring r]\n[SECTION]\nKEY = VALUE\n": the key sits on line 3 (line 2 for [ring r] keys). */
static void key_file(char *buf, size_t len, const struct fcc_key *k, const char *value,
		     unsigned *line)
{
	if (!strcmp(k->section, "ring")) {
		snprintf(buf, len, "[ring r]\n%s = %s\n", k->name, value);
		*line = 2;
	} else if (!strcmp(k->section, "capture")) {
		snprintf(buf, len, "[ring r]\n[capture]\n%s = %s\n", k->name, value);
		*line = 3;
	} else if (!strcmp(k->section, "port") && strcmp(k->name, "device")) {
		snprintf(buf, len, "[ring r]\n[port x]\n%s = %s\ndevice = net_null0\n", k->name,
			 value);
		*line = 3;
	} else {
		snprintf(buf, len, "[ring r]\n[%s x]\n%s = %s\n", k->section, k->name, value);
		*line = 3;
	}
}

Test(config_keys, every_key_wrong_type)
{
	size_t n, i, tested = 0;
	const struct fcc_key *k = fcc_keys(&n);
	char text[512], key[96];
	unsigned line;

	for (i = 0; i < n; i++) {
		const char *bad = wrong_value(k[i].type);
		struct fcc_error err;

		if (!bad) {
			continue;
		}
		key_file(text, sizeof(text), &k[i], bad, &line);
		err = load_bad(text);
		snprintf(key, sizeof(key), "%s.%s", k[i].section, k[i].name);
		cr_assert_eq(err.line, line, "%s: %s", key, fmt(&err));
		cr_assert_str_eq(err.key, key, "%s", fmt(&err));
		cr_assert_str_eq(err.file, "t.conf");
		cr_assert(strstr(err.msg, wrong_expect(k[i].type)), "%s: %s", key, fmt(&err));
		cr_assert(strstr(err.msg, bad), "the message quotes the value: %s", fmt(&err));
		tested++;
	}
	cr_assert_gt(tested, 30);
}

static void int_text(const struct fcc_key *k, int64_t v, char *buf, size_t len)
{
	static const struct {
		const char *unit;
		int64_t mul;
	} size_units[] = { { "T", INT64_C(1) << 40 },
			   { "G", INT64_C(1) << 30 },
			   { "M", INT64_C(1) << 20 },
			   { "K", INT64_C(1) << 10 } },
	  dur_units[] = { { "h", INT64_C(3600000000000) },
			  { "m", INT64_C(60000000000) },
			  { "s", INT64_C(1000000000) },
			  { "ms", INT64_C(1000000) },
			  { "us", INT64_C(1000) } };
	size_t i;

	if (k->type == FCC_TYPE_SIZE) {
		for (i = 0; i < 4; i++) {
			if (v > 0 && v % size_units[i].mul == 0) {
				snprintf(buf, len, "%" PRId64 "%s", v / size_units[i].mul,
					 size_units[i].unit);
				return;
			}
		}
		snprintf(buf, len, "%" PRId64, v);
	} else if (k->type == FCC_TYPE_DURATION) {
		for (i = 0; i < 5; i++) {
			if (v > 0 && v % dur_units[i].mul == 0) {
				snprintf(buf, len, "%" PRId64 "%s", v / dur_units[i].mul,
					 dur_units[i].unit);
				return;
			}
		}
		snprintf(buf, len, "%" PRId64 "ns", v);
	} else {
		snprintf(buf, len, "%" PRId64, v);
	}
}

/* Every ranged key: min and max are accepted, max + 1 and min - 1 (unless 0 means off) are
 * refused with a message giving the range. */
Test(config_keys, every_key_out_of_range)
{
	size_t n, i, tested = 0;
	const struct fcc_key *k = fcc_keys(&n);
	char text[512], val[64], key[96];
	unsigned line;

	for (i = 0; i < n; i++) {
		struct fcc_error err;
		struct fcc_config *cfg;

		if (k[i].type != FCC_TYPE_INT && k[i].type != FCC_TYPE_SIZE &&
		    k[i].type != FCC_TYPE_DURATION) {
			continue;
		}
		snprintf(key, sizeof(key), "%s.%s", k[i].section, k[i].name);
		/* the bounds themselves are fine (where nothing else forbids them) */
		if (strcmp(key, "ring.size") && strcmp(key, "ring.chunk_size") &&
		    strcmp(key, "capture.poller_core") && strcmp(key, "capture.control_core")) {
			int_text(&k[i], k[i].max, val, sizeof(val));
			key_file(text, sizeof(text), &k[i], val, &line);
			cfg = fcc_load_string(text, "t.conf", &err);
			cr_assert_not_null(cfg, "%s = %s: %s", key, val, fmt(&err));
			fcc_free(cfg);
			int_text(&k[i], k[i].min, val, sizeof(val));
			key_file(text, sizeof(text), &k[i], val, &line);
			cfg = fcc_load_string(text, "t.conf", &err);
			cr_assert_not_null(cfg, "%s = %s: %s", key, val, fmt(&err));
			fcc_free(cfg);
		}
		/* above the maximum */
		int_text(&k[i], k[i].type == FCC_TYPE_INT ? k[i].max + 1 : k[i].max * 2, val,
			 sizeof(val));
		key_file(text, sizeof(text), &k[i], val, &line);
		err = load_bad(text);
		cr_assert_str_eq(err.key, key, "%s", fmt(&err));
		cr_assert_eq(err.line, line, "%s", fmt(&err));
		cr_assert(strstr(err.msg, "out of range"), "%s = %s: %s", key, val, fmt(&err));
		tested++;
		/* below the minimum */
		if (k[i].min > 0 && !(k[i].min == 1 && k[i].type != FCC_TYPE_INT)) {
			int64_t below = k[i].type == FCC_TYPE_INT ? k[i].min - 1 : k[i].min / 2;

			if (below == 0 && strstr(k[i].help, "0: ")) {
				continue; /* 0 means off for this key */
			}
			int_text(&k[i], below, val, sizeof(val));
			key_file(text, sizeof(text), &k[i], val, &line);
			err = load_bad(text);
			cr_assert_str_eq(err.key, key, "%s", fmt(&err));
			cr_assert(strstr(err.msg, "out of range"), "%s = %s: %s", key, val,
				  fmt(&err));
		}
	}
	cr_assert_geq(tested, 18);
}

Test(config_keys, sizes_power_of_two)
{
	struct fcc_error err = load_bad("[ring r]\nsize = 3G\n");

	cr_assert_str_eq(fmt(&err),
			 "t.conf:2: ring.size: \"3G\" is not a power of two (use 2G or 4G)");
	err = load_bad("[ring r]\nchunk_size = 96K\n");
	cr_assert(strstr(err.msg, "use 64K or 128K"), "%s", fmt(&err));
}

Test(config_keys, brief_example_message)
{
	struct fcc_error err = load_bad("# feedcap\n\n[ring md]\nsize = 8X\n");

	cr_assert_str_eq(fmt(&err),
			 "t.conf:4: ring.size: \"8X\" is not a size (use 8G, 512M, 64K, or bytes)");
}

Test(config_keys, strings_too_long)
{
	char text[400], big[250];
	struct fcc_error err;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	/* a name longer than 31 characters */
	snprintf(text, sizeof(text), "[ring r]\n[capture]\nring = %.40s\n", big);
	err = load_bad(text);
	cr_assert(strstr(err.msg, "at most 31"), "%s", fmt(&err));
	/* a section name longer than 31 characters */
	snprintf(text, sizeof(text), "[ring %.40s]\n", big);
	err = load_bad(text);
	cr_assert(strstr(err.msg, "not a valid name"), "%s", fmt(&err));
	/* a line longer than inih takes */
	snprintf(text, sizeof(text), "[ring r]\n[job j]\nfilter = %s\n", big);
	err = load_bad(text);
	cr_assert_eq(err.line, 3);
	cr_assert(strstr(err.msg, "lines are limited to"), "%s", fmt(&err));
}

/* ------------------------------------------------------------------------------------------ */
/* Structure of the file */

Test(config_file, good_file_values)
{
	struct fcc_config *cfg = load_ok("[ring md]\n"
					 "size = 256M ; a test ring\n"
					 "backing = shm\n"
					 "[port a]\n"
					 "device = 3b:00.1\n"
					 "queues = 4\n"
					 "[port b]\n"
					 "device = net_pcap0,rx_pcap=/tmp/in.pcap,infinite_rx=1\n"
					 "[capture]\n"
					 "poller_core = 3\n"
					 "groups = 239.1.1.1:30001 239.1.1.2,[ff15::1]:1\n"
					 "timestamp = tsc\n"
					 "strict = on\n"
					 "[job j]\n"
					 "filter = udp and dst port 30001\n"
					 "compression = zstd\n"
					 "compression_level = -3\n"
					 "cpus = 0,2\n");

	cr_assert_eq(cfg->nrings, 1);
	cr_assert_eq(cfg->rings[0].size, UINT64_C(256) << 20);
	cr_assert_eq(cfg->rings[0].backing, FCC_BACKING_SHM);
	cr_assert_eq(cfg->nports, 2);
	cr_assert_str_eq(cfg->ports[0].device, "0000:3b:00.1");
	cr_assert_eq(cfg->ports[0].kind, FCC_DEVICE_PCI);
	cr_assert_eq(cfg->ports[0].queues, 4);
	cr_assert_eq(cfg->ports[0].line, 4);
	cr_assert_eq(cfg->ports[1].kind, FCC_DEVICE_VDEV);
	cr_assert_str_eq(cfg->ports[1].device, "net_pcap0,rx_pcap=/tmp/in.pcap,infinite_rx=1");
	cr_assert_str_eq(cfg->capture.ring, "md", "the only ring is the default");
	cr_assert_eq(cfg->capture.poller_core, 3);
	cr_assert_eq(cfg->capture.ngroups, 3);
	cr_assert_eq(cfg->capture.groups[1].port, 0);
	cr_assert_eq(cfg->capture.groups[2].family, AF_INET6);
	cr_assert_eq(cfg->capture.groups_line, 11);
	cr_assert_eq(cfg->capture.timestamp, FCC_TS_TSC);
	cr_assert(cfg->capture.strict);
	cr_assert_eq(cfg->capture.line, 9);
	cr_assert_eq(cfg->njobs, 1);
	const struct fcc_job *j = fcc_job_find(cfg, "j", NULL);
	cr_assert_not_null(j);
	cr_assert_str_eq(j->ring, "md");
	cr_assert_str_eq(j->filter, "udp and dst port 30001");
	cr_assert_eq(j->filter_line, 15);
	cr_assert_eq(j->compression, FCC_COMPRESSION_ZSTD);
	cr_assert_eq(j->compression_level, -3);
	cr_assert(j->has_cpus);
	cr_assert(fcc_cpuset_has(&j->cpus, 2));
	cr_assert_not(fcc_cpuset_has(&j->cpus, 1));
	fcc_free(cfg);
}

Test(config_file, empty_and_comments_only)
{
	static const char *const empties[] = { "", "\n\n\n", "# nothing\n; still nothing\n",
					       "   \n\t\n" };
	size_t i;

	for (i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
		struct fcc_error err = load_bad(empties[i]);

		cr_assert_eq(err.line, 0);
		cr_assert(strstr(err.msg, "the file is empty"), "%s", fmt(&err));
		cr_assert(strstr(err.msg, "[ring NAME]"), "says what is needed: %s", fmt(&err));
	}
}

Test(config_file, binary_garbage)
{
	unsigned seed, i;
	char buf[4096];
	struct fcc_error err;

	for (seed = 1; seed <= 50; seed++) {
		char path[] = "/tmp/fcc_garbageXXXXXX";
		int fd = mkstemp(path);
		struct fcc_config *cfg;

		cr_assert_geq(fd, 0);
		srand(seed);
		for (i = 0; i < sizeof(buf); i++) {
			buf[i] = (char)(rand() & 0xff);
		}
		cr_assert_eq(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
		close(fd);
		cfg = fcc_load(path, &err);
		unlink(path);
		cr_assert_null(cfg, "seed %u accepted", seed);
		cr_assert(strstr(err.msg, "this is not a text config file"), "seed %u: %s", seed,
			  fmt(&err));
		cr_assert_gt(err.line, 0);
		cr_assert_eq(err.count, 1, "one message for garbage, not one per line");
	}
}

Test(config_file, nul_in_file)
{
	char path[] = "/tmp/fcc_nulXXXXXX";
	int fd = mkstemp(path);
	static const char text[] = "[ring r]\nsize = 1G\n\n# x\0y\n";
	struct fcc_error err;
	struct fcc_config *cfg;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	cfg = fcc_load(path, &err);
	unlink(path);
	cr_assert_null(cfg);
	cr_assert_eq(err.line, 4);
	cr_assert(strstr(err.msg, "binary data (byte 0x00 at column 4)"), "%s", fmt(&err));
}

Test(config_file, not_utf8)
{
	struct fcc_error err = load_bad("[ring r]\n# caf\xe9 latin-1\n");

	cr_assert_eq(err.line, 2);
	cr_assert(strstr(err.msg, "not UTF-8"), "%s", fmt(&err));
	/* valid UTF-8 and a BOM are fine */
	fcc_free(load_ok("\xef\xbb\xbf[ring r]\n# caf\xc3\xa9\n"));
}

Test(config_file, unknown_key)
{
	struct fcc_error err = load_bad("[ring r]\n[job j]\nformat = pcap\nfromat = pcap\n");

	cr_assert_eq(err.line, 4);
	cr_assert_str_eq(err.key, "job.fromat");
	cr_assert(strstr(err.msg, "unknown key in [job]"), "%s", fmt(&err));
	cr_assert(strstr(err.msg, "format"), "lists the known keys: %s", fmt(&err));
}

Test(config_file, unknown_section)
{
	struct fcc_error err = load_bad("[ring r]\n[rings x]\nsize = 1G\n");

	cr_assert_eq(err.line, 2);
	cr_assert(strstr(err.msg, "unknown section [rings x]"), "%s", fmt(&err));
	err = load_bad("[capture main]\n");
	cr_assert(strstr(err.msg, "takes no name"), "%s", fmt(&err));
	err = load_bad("[job]\n");
	cr_assert(strstr(err.msg, "needs a name"), "%s", fmt(&err));
	err = load_bad("[ring a/b]\n");
	cr_assert(strstr(err.msg, "not a valid name"), "%s", fmt(&err));
}

Test(config_file, duplicates)
{
	struct fcc_error err;

	err = load_bad("[ring r]\nsize = 1G\nbacking = shm\nsize = 2G\n");
	cr_assert_str_eq(fmt(&err),
			 "t.conf:4: ring.size: set twice in the same section (first on line 2)");
	err = load_bad("[ring r]\n[job a]\n[job b]\n[job a]\n");
	cr_assert_eq(err.line, 4);
	cr_assert(strstr(err.msg, "[job a] is defined twice (first on line 2)"), "%s", fmt(&err));
	err = load_bad("[ring r]\n[capture]\n[capture]\n");
	cr_assert(strstr(err.msg, "[capture] is defined twice (first on line 2)"), "%s", fmt(&err));
	/* the same key in two sections is fine */
	fcc_free(load_ok("[ring a]\nsize = 1G\n[ring b]\nsize = 1G\n[job x]\nring = a\n"));
	/* the same group twice */
	err = load_bad("[ring r]\n[capture]\ngroups = 239.1.1.1:1, 239.1.1.1:1\n");
	cr_assert(strstr(err.msg, "listed twice"), "%s", fmt(&err));
}

Test(config_file, syntax_errors)
{
	struct fcc_error err;

	err = load_bad("[ring r]\nsize 1G\n");
	cr_assert_eq(err.line, 2);
	cr_assert(strstr(err.msg, "key = value"), "%s", fmt(&err));
	err = load_bad("[ring r\nsize = 1G\n");
	cr_assert_eq(err.line, 1);
	err = load_bad("size = 1G\n[ring r]\n");
	cr_assert_eq(err.line, 1);
	cr_assert(strstr(err.msg, "outside any section"), "%s", fmt(&err));
	/* inih's continuation lines are refused, not glued to the previous value */
	err = load_bad("[ring r]\n[job j]\n  format = pcap\n  compression = zstd\n");
	cr_assert_eq(err.line, 4);
	cr_assert(strstr(err.msg, "indented line"), "%s", fmt(&err));
}

Test(config_file, counts_every_error_reports_first)
{
	struct fcc_error err =
		load_bad("[ring r]\nsize = 8X\nbogus = 1\n[job j]\nformat = tiff\nx y z\n");

	cr_assert_eq(err.line, 2);
	cr_assert_eq(err.count, 4, "%u", err.count);
	cr_assert(strstr(fmt(&err), "(and 3 more errors)"), "%s", fmt(&err));
	/* a syntax error before the first value error is the one described */
	err = load_bad("[ring r]\nnonsense\nsize = 8X\n");
	cr_assert_eq(err.line, 2);
	cr_assert_eq(err.count, 2);
	cr_assert(strstr(fmt(&err), "(and 1 more error)"), "%s", fmt(&err));
}

Test(config_file, open_errors)
{
	struct fcc_error err;
	struct fcc_config *cfg = fcc_load("/nonexistent/feedcap.conf", &err);

	cr_assert_null(cfg);
	cr_assert_eq(errno, ENOENT);
	cr_assert_str_eq(fmt(&err),
			 "/nonexistent/feedcap.conf: cannot open: No such file or directory");
	cfg = fcc_load("/tmp", &err);
	cr_assert_null(cfg);
	cr_assert_eq(errno, EISDIR);
	cr_assert(strstr(err.msg, "is a directory"), "%s", fmt(&err));
}

/* ------------------------------------------------------------------------------------------ */
/* Checks across sections, look-ups, command-line overrides */

Test(config_validate, ring_references)
{
	struct fcc_error err;

	err = load_bad("[ring a]\n[ring b]\n[job j]\n");
	cr_assert_eq(err.line, 3);
	cr_assert_str_eq(err.key, "job.ring");
	cr_assert(strstr(err.msg, "2 rings are defined"), "%s", fmt(&err));
	err = load_bad("[ring a]\n[ring b]\n[job j]\nring = c\n");
	cr_assert_eq(err.line, 4);
	cr_assert(strstr(err.msg, "no [ring c]"), "%s", fmt(&err));
	cr_assert(strstr(err.msg, "a, b"), "lists the rings: %s", fmt(&err));
	err = load_bad("[job j]\nformat = pcap\n");
	cr_assert(strstr(err.msg, "no [ring NAME] section"), "%s", fmt(&err));
	err = load_bad("[ring a]\n[ring b]\n[capture]\n");
	cr_assert_str_eq(err.key, "capture.ring");
	err = load_bad("[ring a]\n[ring b]\npath = /run/feedcap/a\n");
	cr_assert(strstr(err.msg, "same file"), "%s", fmt(&err));
	err = load_bad("[ring a]\nsize = 1M\n");
	cr_assert(strstr(err.msg, "smaller than chunk_size 2M"), "%s", fmt(&err));
}

Test(config_validate, capture_needs)
{
	struct fcc_error err;
	struct fcc_config *cfg = load_ok("[ring a]\n[capture]\n");

	cr_assert_eq(fcc_validate(cfg, 0, &err), 0);
	cr_assert_eq(fcc_validate(cfg, FCC_VALIDATE_CAPTURE, &err), -EINVAL);
	cr_assert(strstr(err.msg, "no [port NAME] section"), "%s", fmt(&err));
	cr_assert_eq(err.line, 2);
	cr_assert_not_null(fcc_port_add(cfg, "p", &err));
	cr_assert_eq(fcc_validate(cfg, FCC_VALIDATE_CAPTURE, &err), -EINVAL);
	cr_assert(strstr(err.msg, "has no device"), "%s", fmt(&err));
	cr_assert_eq(fcc_set(cfg, "port p", "device", "net_null0", &err), 0, "%s", fmt(&err));
	cr_assert_eq(fcc_validate(cfg, FCC_VALIDATE_CAPTURE, &err), 0, "%s", fmt(&err));
	fcc_free(cfg);

	err = load_bad("[ring a]\n[capture]\npoller_core = 0\n");
	cr_assert(strstr(err.msg, "both 0"), "%s", fmt(&err));
	err = load_bad("[ring a]\n[capture]\ngroups = 10.0.0.1@232.1.1.1\n");
	cr_assert_eq(err.line, 3);
	cr_assert(strstr(err.msg, "igmp_version = 3"), "%s", fmt(&err));
	fcc_free(load_ok("[ring a]\n[capture]\nigmp_version = 3\ngroups = 10.0.0.1@232.1.1.1\n"));
	err = load_bad("[ring a]\n[port x]\ndevice = net_null0\n[port y]\ndevice = net_null0\n");
	cr_assert(strstr(err.msg, "same device"), "%s", fmt(&err));
	err = load_bad("[ring a]\n[port x]\n");
	cr_assert(strstr(err.msg, "[port x] has no device"), "%s", fmt(&err));
	err = load_bad("[ring a]\n[job a]\ncpus = 0-3\n");
	cr_assert(strstr(err.msg, "poller core"), "%s", fmt(&err));
	err = load_bad("[ring a]\n[job a]\n[job b]\ndirectory = /var/lib/feedcap/a\n");
	cr_assert(strstr(err.msg, "same files"), "%s", fmt(&err));
}

Test(config_api, find)
{
	struct fcc_error err;
	struct fcc_config *cfg =
		load_ok("[ring md]\n[job a]\n[job b]\n[port p]\ndevice = net_null0\n");

	cr_assert_not_null(fcc_job_find(cfg, "b", &err));
	cr_assert_not_null(fcc_ring_find(cfg, "md", &err));
	cr_assert_not_null(fcc_port_find(cfg, "p", &err));
	cr_assert_null(fcc_job_find(cfg, "c", &err));
	cr_assert_eq(errno, ENOENT);
	cr_assert_str_eq(fmt(&err), "t.conf: no [job c] in the config (jobs defined: a, b)");
	cr_assert_null(fcc_ring_find(cfg, "x", NULL));
	fcc_free(cfg);
}

Test(config_api, overrides)
{
	struct fcc_error err;
	struct fcc_config *cfg = load_ok("[ring md]\nsize = 1G\n[capture]\nsnaplen = 128\n");

	cr_assert_eq(fcc_set(cfg, "capture", "snaplen", "256", &err), 0, "%s", fmt(&err));
	cr_assert_eq(cfg->capture.snaplen, 256);
	cr_assert_eq(fcc_set(cfg, "ring md", "size", "2G", &err), 0);
	cr_assert_eq(cfg->rings[0].size, UINT64_C(2) << 30);
	cr_assert_eq(fcc_set(cfg, "ring md", "size", "2X", &err), -EINVAL);
	cr_assert_str_eq(
		fmt(&err),
		"command line: ring.size: \"2X\" is not a size (use 8G, 512M, 64K, or bytes)");
	cr_assert_eq(fcc_set(cfg, "capture", "nope", "1", &err), -EINVAL);
	cr_assert(strstr(err.msg, "unknown key"), "%s", fmt(&err));
	cr_assert_eq(fcc_set(cfg, "ringz md", "size", "1G", &err), -EINVAL);
	cr_assert(strstr(err.msg, "unknown section"), "%s", fmt(&err));
	/* a new named section is added with its defaults */
	cr_assert_eq(fcc_set(cfg, "job live", "format", "pcapng", &err), 0, "%s", fmt(&err));
	const struct fcc_job *j = fcc_job_find(cfg, "live", &err);
	cr_assert_not_null(j);
	cr_assert_eq(j->format, FCC_FORMAT_PCAPNG);
	cr_assert_str_eq(j->directory, "/var/lib/feedcap/live");
	cr_assert_eq(fcc_validate(cfg, 0, &err), 0, "%s", fmt(&err));
	cr_assert_str_eq(j->ring, "md");
	cr_assert_null(fcc_ring_add(cfg, "md", &err));
	cr_assert_eq(errno, EEXIST);
	cr_assert_null(fcc_job_add(cfg, "bad name", &err));
	cr_assert_eq(errno, EINVAL);
	fcc_free(cfg);
}

Test(config_api, format_error_parts)
{
	struct fcc_error err = { .file = "f.conf", .line = 0, .key = "", .msg = "m", .count = 1 };

	cr_assert_str_eq(fmt(&err), "f.conf: m");
	err.line = 3;
	cr_assert_str_eq(fmt(&err), "f.conf:3: m");
	snprintf(err.key, sizeof(err.key), "ring.size");
	cr_assert_str_eq(fmt(&err), "f.conf:3: ring.size: m");
}

/* ------------------------------------------------------------------------------------------ */
/* The example file and the table stay in step */

struct seen {
	char keys[128][96];
	unsigned n;
};

static int collect(void *user, const char *section, const char *name, const char *value)
{
	struct seen *s = user;
	char kind[32];

	(void)value;
	sscanf(section, "%31s", kind);
	cr_assert_lt(s->n, 128);
	snprintf(s->keys[s->n++], sizeof(s->keys[0]), "%s.%s", kind, name);
	return 1;
}

Test(config_example, parses)
{
	struct fcc_error err;
	struct fcc_config *cfg = fcc_load(example_path(), &err);

	cr_assert_not_null(cfg, "%s", fmt(&err));
	cr_assert_eq(fcc_validate(cfg, FCC_VALIDATE_CAPTURE, &err), 0, "%s", fmt(&err));
	cr_assert_geq(cfg->njobs, 1);
	fcc_free(cfg);
}

Test(config_example, every_key_both_ways)
{
	struct seen s = { 0 };
	size_t n, i, j;
	const struct fcc_key *k = fcc_keys(&n);
	char key[96];

	/* inih itself, not our library, lists what the example contains */
	cr_assert_eq(ini_parse(example_path(), collect, &s), 0);
	for (i = 0; i < n; i++) {
		bool found = false;

		snprintf(key, sizeof(key), "%s.%s", k[i].section, k[i].name);
		for (j = 0; j < s.n && !found; j++) {
			found = !strcmp(s.keys[j], key);
		}
		cr_assert(found, "%s is in the table but not in feedcap.conf.example", key);
	}
	for (j = 0; j < s.n; j++) {
		bool found = false;

		for (i = 0; i < n && !found; i++) {
			snprintf(key, sizeof(key), "%s.%s", k[i].section, k[i].name);
			found = !strcmp(s.keys[j], key);
		}
		cr_assert(found, "%s is in feedcap.conf.example but not in the table", s.keys[j]);
	}
}

/* Each key's first appearance is preceded by a comment giving its default. */
Test(config_example, documents_defaults)
{
	FILE *f = fopen(example_path(), "r");
	char line[512], comment[4096] = "", section[64] = "";
	size_t n, i;
	const struct fcc_key *k = fcc_keys(&n);
	bool documented[FCC_MAX_KEYS] = { false };

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		char name[64];

		if (line[0] == '#') {
			strncat(comment, line, sizeof(comment) - strlen(comment) - 1);
			continue;
		}
		if (line[0] == '[') {
			sscanf(line + 1, "%63[a-z]", section);
			comment[0] = '\0';
			continue;
		}
		if (sscanf(line, "%63[a-z_] =", name) == 1) {
			for (i = 0; i < n; i++) {
				char want[160];

				if (strcmp(k[i].section, section) || strcmp(k[i].name, name) ||
				    documented[i]) {
					continue;
				}
				if (k[i].required) {
					snprintf(want, sizeof(want), "(no default)");
				} else {
					snprintf(want, sizeof(want), "(default: %s)",
						 k[i].def[0] ? k[i].def : "empty");
				}
				/* the comment may wrap "(default: X)" over two lines */
				for (char *c = comment; *c; c++) {
					if (*c == '\n' || *c == '#') {
						*c = ' ';
					}
				}
				char flat[4096];
				size_t o = 0;
				for (char *c = comment; *c && o + 1 < sizeof(flat); c++) {
					if (!(*c == ' ' && o && flat[o - 1] == ' ')) {
						flat[o++] = *c;
					}
				}
				flat[o] = '\0';
				cr_assert(strstr(flat, want),
					  "%s.%s: the comment above it lacks \"%s\"", section, name,
					  want);
				documented[i] = true;
			}
		}
		comment[0] = '\0';
	}
	fclose(f);
	for (i = 0; i < n; i++) {
		cr_assert(documented[i], "%s.%s is not documented in the example", k[i].section,
			  k[i].name);
	}
}

/* feedcap.conf(5) documents every key of the table in its section, and nothing else. */
Test(config_example, man_page_lists_every_key)
{
	static char path[PATH_MAX];
	const char *src = getenv("FEEDCAP_SRC");
	char line[1024], section[32] = "";
	size_t n, i;
	const struct fcc_key *k = fcc_keys(&n);
	bool listed[FCC_MAX_KEYS] = { false };
	unsigned tags = 0;
	FILE *f;

	cr_assert_not_null(src);
	snprintf(path, sizeof(path), "%s/docs/man/feedcap.conf.5", src);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	while (fgets(line, sizeof(line), f)) {
		char name[64];

		if (!strncmp(line, ".SH", 3)) {
			section[0] = '\0';
			sscanf(line, ".SH \"[%31[a-z]", section);
			continue;
		}
		if (!section[0] || sscanf(line, "\\fB%63[a-z_]\\fR = ", name) != 1) {
			continue;
		}
		tags++;
		for (i = 0; i < n; i++) {
			if (!strcmp(k[i].section, section) && !strcmp(k[i].name, name)) {
				break;
			}
		}
		cr_assert_lt(i, n, "feedcap.conf.5 documents %s.%s, which is not in the table",
			     section, name);
		cr_assert_not(listed[i], "%s.%s is documented twice", section, name);
		listed[i] = true;
	}
	fclose(f);
	for (i = 0; i < n; i++) {
		cr_assert(listed[i], "%s.%s is not documented in feedcap.conf.5", k[i].section,
			  k[i].name);
	}
	cr_assert_eq(tags, n);
}

Test(config_api, check)
{
	char msg[FCC_ERROR_MAX], path[] = "/tmp/fcc_checkXXXXXX";
	int fd = mkstemp(path);
	static const char text[] = "[ring md]\n[job a]\n[port p]\ndevice = net_null0\n";

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	cr_assert_eq(fcc_check(path, FCC_VALIDATE_CAPTURE, "a", msg, sizeof(msg)), 0, "%s", msg);
	cr_assert(strstr(msg, ": OK (1 ring, 1 port, 1 job)"), "%s", msg);
	cr_assert_eq(fcc_check(path, 0, "b", msg, sizeof(msg)), FCC_EXIT_CONFIG);
	cr_assert(strstr(msg, "no [job b] in the config (jobs defined: a)"), "%s", msg);
	cr_assert_eq(fcc_check(example_path(), FCC_VALIDATE_CAPTURE, "archive", msg, sizeof(msg)),
		     0, "%s", msg);
	unlink(path);
	cr_assert_eq(fcc_check(path, 0, NULL, msg, sizeof(msg)), FCC_EXIT_CONFIG);
	cr_assert(strstr(msg, "cannot open: No such file or directory"), "%s", msg);
}
