// SPDX-License-Identifier: BSD-3-Clause
/*
 * config_values.c - the value types of feedcap.conf as text: sizes (8G), durations (500ms),
 * booleans, integers, CPU lists, multicast groups, PCI addresses and DPDK virtual devices read,
 * and sizes and durations written back for messages.
 *
 * The parsers take exactly the syntax and nothing around it (no blanks, no trailing text) and
 * say -ERANGE rather than wrap; where a list can be wrong in several ways, "why" says which.
 */
#include "config_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

static int parse_u64(const char *s, const char **end, uint64_t *out)
{
	uint64_t v = 0;

	if (!isdigit((unsigned char)*s)) {
		return -EINVAL;
	}
	for (; isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10) {
			return -ERANGE;
		}
		v = v * 10 + d;
	}
	*end = s;
	*out = v;
	return 0;
}

int fcc_parse_size(const char *s, uint64_t *out)
{
	const char *p;
	uint64_t v;
	unsigned shift = 0;
	int rc = parse_u64(s, &p, &v);

	if (rc < 0) {
		return rc;
	}
	switch (toupper((unsigned char)*p)) {
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	case '\0':
	case 'B':
		break;
	default:
		return -EINVAL;
	}
	if (shift) {
		p++;
		if (!strcmp(p, "iB") || !strcmp(p, "B")) {
			p += strlen(p);
		}
	} else if (*p == 'B' || *p == 'b') {
		p++;
	}
	if (*p) {
		return -EINVAL;
	}
	if (shift && v > (UINT64_MAX >> shift)) {
		return -ERANGE;
	}
	*out = v << shift;
	return 0;
}

int fcc_parse_duration(const char *s, uint64_t *out_ns)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {
		{ "ns", 1 },
		{ "us", 1000 },
		{ "ms", 1000000 },
		{ "s", 1000000000ull },
		{ "m", 60000000000ull },
		{ "h", 3600000000000ull },
		{ "", 1000000000ull },
	};
	const char *p;
	uint64_t v;
	size_t i;
	int rc = parse_u64(s, &p, &v);

	if (rc < 0) {
		return rc;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(p, units[i].unit)) {
			if (v > UINT64_MAX / units[i].ns) {
				return -ERANGE;
			}
			*out_ns = v * units[i].ns;
			return 0;
		}
	}
	return -EINVAL;
}

int fcc_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

int fcc_parse_int(const char *s, int64_t *out)
{
	const char *p = s;
	uint64_t v;
	bool neg = false;
	int rc;

	if (*p == '-') {
		neg = true;
		p++;
	}
	rc = parse_u64(p, &p, &v);
	if (rc < 0) {
		return rc;
	}
	if (*p) {
		return -EINVAL;
	}
	if (v > (uint64_t)INT64_MAX + neg) {
		return -ERANGE;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

bool fcc_is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t';
}

int fcc_parse_cpus(const char *s, struct fcc_cpuset *set, char *why, size_t whylen)
{
	memset(set, 0, sizeof(*set));
	while (*s) {
		const char *p;
		uint64_t lo, hi, c;

		if (fcc_is_sep(*s)) {
			s++;
			continue;
		}
		if (parse_u64(s, &p, &lo) < 0) {
			snprintf(why, whylen, "\"%s\" is not a CPU list (use 2 or 2-5 or 0,2-3)",
				 s);
			return -EINVAL;
		}
		hi = lo;
		if (*p == '-') {
			if (parse_u64(p + 1, &p, &hi) < 0) {
				snprintf(why, whylen, "\"%s\" is not a CPU range (use 2-5)", s);
				return -EINVAL;
			}
		}
		if (*p && !fcc_is_sep(*p)) {
			snprintf(why, whylen, "\"%s\" is not a CPU list (use 2 or 2-5 or 0,2-3)",
				 s);
			return -EINVAL;
		}
		if (hi < lo) {
			snprintf(why, whylen, "CPU range %" PRIu64 "-%" PRIu64 " runs backwards",
				 lo, hi);
			return -EINVAL;
		}
		if (hi >= FCC_MAX_CPUS) {
			snprintf(why, whylen, "CPU %" PRIu64 " is above the maximum %d", hi,
				 FCC_MAX_CPUS - 1);
			return -EINVAL;
		}
		for (c = lo; c <= hi; c++) {
			set->bits[c / 64] |= UINT64_C(1) << (c % 64);
		}
		s = p;
	}
	return 0;
}

bool fcc_cpuset_has(const struct fcc_cpuset *set, int cpu)
{
	if (cpu < 0 || cpu >= FCC_MAX_CPUS) {
		return false;
	}
	return (set->bits[cpu / 64] >> (cpu % 64)) & 1;
}

unsigned fcc_cpuset_count(const struct fcc_cpuset *set)
{
	unsigned i, n = 0;

	for (i = 0; i < FCC_MAX_CPUS / 64; i++) {
		n += (unsigned)__builtin_popcountll(set->bits[i]);
	}
	return n;
}

static bool addr_is_multicast(int family, const uint8_t *a)
{
	return family == AF_INET ? (a[0] & 0xf0) == 0xe0 : a[0] == 0xff;
}

/* [SOURCE@]GROUP[:PORT] (the syntax of feedcap-capture --group), GROUP an IPv4 address or an
 * IPv6 one, in brackets when a port follows. */
int fcc_parse_group(const char *s, struct fcc_group *g, char *why, size_t whylen)
{
	char buf[128], addr[128];
	char *at, *port = NULL, *colon, *grp = buf;
	const char *a, *src = NULL;

	memset(g, 0, sizeof(*g));
	if (strlen(s) >= sizeof(buf)) {
		snprintf(why, whylen, "\"%.40s...\" is too long for a group", s);
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	at = strchr(buf, '@');
	if (at) {
		*at = '\0';
		src = buf;
		grp = at + 1;
	}
	if (grp[0] == '[') {
		char *close = strchr(grp, ']');

		if (!close || (close[1] && close[1] != ':')) {
			snprintf(why, whylen,
				 "\"%s\": write an IPv6 group with a port as [ff3e::1]:30001", s);
			return -EINVAL;
		}
		*close = '\0';
		a = grp + 1;
		if (close[1] == ':') {
			port = close + 2;
		}
		g->family = AF_INET6;
	} else {
		colon = strchr(grp, ':');
		if (colon && strchr(colon + 1, ':')) {
			g->family = AF_INET6; /* bare IPv6, no port */
		} else {
			g->family = AF_INET;
			if (colon) {
				*colon = '\0';
				port = colon + 1;
			}
		}
		a = grp;
	}
	snprintf(addr, sizeof(addr), "%s", a);
	if (inet_pton(g->family, addr, g->addr) != 1) {
		snprintf(why, whylen, "\"%s\" is not an %s address", addr,
			 g->family == AF_INET ? "IPv4" : "IPv6");
		return -EINVAL;
	}
	if (!addr_is_multicast(g->family, g->addr)) {
		snprintf(why, whylen,
			 "%s is not a multicast group (IPv4 224.0.0.0/4, IPv6 ff00::/8)", addr);
		return -EINVAL;
	}
	if (port) {
		const char *end;
		uint64_t v;

		if (parse_u64(port, &end, &v) < 0 || *end || v < 1 || v > 65535) {
			snprintf(why, whylen, "\"%s\" in \"%s\" is not a UDP port (1 to 65535)",
				 port, s);
			return -EINVAL;
		}
		g->port = (uint16_t)v;
	}
	if (src) {
		char sbuf[128];
		size_t n = strlen(src);

		if (g->family == AF_INET6 && n > 1 && src[0] == '[' && src[n - 1] == ']') {
			snprintf(sbuf, sizeof(sbuf), "%.*s", (int)(n - 2), src + 1);
		} else {
			snprintf(sbuf, sizeof(sbuf), "%s", src);
		}
		if (inet_pton(g->family, sbuf, g->source) != 1) {
			snprintf(why, whylen, "source \"%s\" in \"%s\" is not an %s address", src,
				 s, g->family == AF_INET ? "IPv4" : "IPv6");
			return -EINVAL;
		}
		if (addr_is_multicast(g->family, g->source)) {
			snprintf(
				why, whylen,
				"source %s in \"%s\" is a multicast address; a source is the sender's unicast address",
				sbuf, s);
			return -EINVAL;
		}
		g->has_source = true;
	}
	return 0;
}

bool fcc_same_group(const struct fcc_group *a, const struct fcc_group *b)
{
	return a->family == b->family && !memcmp(a->addr, b->addr, 16) && a->port == b->port &&
	       a->has_source == b->has_source && !memcmp(a->source, b->source, 16);
}

/* A PCI address: [DDDD:]BB:DD.F, hexadecimal, function 0-7. */
bool fcc_is_pci(const char *s)
{
	static const char pat_short[] = "xx:xx.f";
	static const char pat_long[] = "xxxx:xx:xx.f";
	const char *pat = strlen(s) == sizeof(pat_long) - 1 ? pat_long : pat_short;
	size_t i;

	if (strlen(s) != strlen(pat)) {
		return false;
	}
	for (i = 0; pat[i]; i++) {
		if (pat[i] == 'x' && !isxdigit((unsigned char)s[i])) {
			return false;
		}
		if (pat[i] == 'f' && (s[i] < '0' || s[i] > '7')) {
			return false;
		}
		if ((pat[i] == ':' || pat[i] == '.') && s[i] != pat[i]) {
			return false;
		}
	}
	return true;
}

/* DPDK vdev arguments: a driver name net_xxx (or its old alias eth_xxx), then ,key=value... */
bool fcc_is_vdev(const char *s)
{
	const char *p;

	if (strncmp(s, "net_", 4) && strncmp(s, "eth_", 4)) {
		return false;
	}
	for (p = s + 4; *p && *p != ','; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_') {
			return false;
		}
	}
	if (p == s + 4) {
		return false;
	}
	for (; *p; p++) {
		if (isspace((unsigned char)*p)) {
			return false;
		}
	}
	return true;
}

/* "1G", "512M", "64K", "12345" for messages: the largest unit that divides exactly. */
void fcc_fmt_size(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (u < 3 && v && (v & 1023) == 0) {
		v >>= 10;
		u++;
	}
	if (u < 0) {
		snprintf(buf, len, "%" PRIu64, v);
	} else {
		snprintf(buf, len, "%" PRIu64 "%c", v, units[u]);
	}
}

void fcc_fmt_duration(uint64_t ns, char *buf, size_t len)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {
		{ "h", 3600000000000ull }, { "m", 60000000000ull }, { "s", 1000000000ull },
		{ "ms", 1000000 },	   { "us", 1000 },	    { "ns", 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ns && ns % units[i].ns == 0) {
			snprintf(buf, len, "%" PRIu64 "%s", ns / units[i].ns, units[i].unit);
			return;
		}
	}
	snprintf(buf, len, "0");
}
