/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archset_names.c - the names a -w pattern makes, and which names a pattern made.
 *
 * A pattern is a file name with strftime() conversions, expanded in UTC.  Whether a name
 * comes from a pattern is decided with a POSIX extended regular expression built from it, in
 * which each conversion becomes what it can expand to (%Y four digits, %H two, %s digits, a
 * month name letters): "md-%H%M.pcap" then matches md-1200.pcap but not md-x-1200.pcap, which
 * a pattern md-x-%H%M.pcap made.  Retention deletes by this test, so it must not be loose.
 * The numbered form of a name (NAME.00003.SUFFIX, when a name is taken) matches too.  Dated
 * directories are matched the same way, component by component.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "archset_internal.h"

static const char *const archive_sufs[] = { ".pcapng.zst", ".pcap.zst", ".cap.zst", ".pcapng",
					    ".pcap",	   ".cap",	".zst" };

/* The archive suffix of name ("" if none). */
static const char *suffix_of(const char *name)
{
	size_t n = strlen(name), i;

	for (i = 0; i < sizeof(archive_sufs) / sizeof(archive_sufs[0]); i++) {
		size_t l = strlen(archive_sufs[i]);

		if (n > l && strcmp(name + n - l, archive_sufs[i]) == 0) {
			return name + n - l;
		}
	}
	return name + n;
}

int archset_name(const char *pattern, uint64_t ts, char *out, size_t len)
{
	time_t t = (time_t)(ts / 1000000000u);
	struct tm tm;
	size_t n;

	if (!strchr(pattern, '%')) {
		return snprintf(out, len, "%s", pattern) < (int)len ? 0 : -ENAMETOOLONG;
	}
	gmtime_r(&t, &tm);
	n = strftime(out, len, pattern, &tm);
	return n == 0 && pattern[0] ? -ENAMETOOLONG : 0;
}

int archset_name_numbered(const char *name, uint64_t n, char *out, size_t len)
{
	const char *suf = suffix_of(name);
	int r = snprintf(out, len, "%.*s.%05" PRIu64 "%s", (int)(suf - name), name, n, suf);

	return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}

/* ------------------------------------------------------------------ matching */

struct rx {
	char *s;
	size_t n, cap;
	bool full;
};

static void rx_put(struct rx *r, const char *s)
{
	size_t l = strlen(s);

	if (r->n + l + 1 > r->cap) {
		r->full = true;
		return;
	}
	memcpy(r->s + r->n, s, l + 1);
	r->n += l;
}

static void rx_lit(struct rx *r, char c)
{
	char b[3] = { c, 0, 0 };

	if (strchr(".[]()*+?{}|^$\\", c)) {
		b[0] = '\\';
		b[1] = c;
	}
	rx_put(r, b);
}

/* What conversion c can expand to, as an ERE. */
static const char *conv_rx(char c)
{
	switch (c) {
	case 'Y':
	case 'G':
		return "[0-9]{4}";
	case 'C':
	case 'y':
	case 'g':
	case 'm':
	case 'd':
	case 'H':
	case 'I':
	case 'M':
	case 'S':
	case 'U':
	case 'V':
	case 'W':
		return "[0-9]{2}";
	case 'e':
	case 'k':
	case 'l':
		return "[ 0-9][0-9]";
	case 'j':
		return "[0-9]{3}";
	case 'u':
	case 'w':
		return "[0-9]";
	case 's':
		return "[0-9]+";
	case 'F':
		return "[0-9]{4}-[0-9]{2}-[0-9]{2}";
	case 'T':
		return "[0-9]{2}:[0-9]{2}:[0-9]{2}";
	case 'R':
		return "[0-9]{2}:[0-9]{2}";
	case 'z':
		return "[-+][0-9]{4}";
	case 'n':
		return "\n";
	case 't':
		return "\t";
	default: /* names of days and months, %Z, %p, %c, ... */
		return "[^/]+";
	}
}

/* What the pattern text [p, end) can expand to, as an ERE: one group per conversion. */
static void rx_pattern(struct rx *r, const char *p, const char *end)
{
	for (; p < end; p++) {
		if (*p == '%' && p + 1 < end) {
			p++;
			if ((*p == 'E' || *p == 'O') && p + 1 < end) {
				p++;
			}
			if (*p == '%') {
				rx_lit(r, '%');
			} else {
				rx_put(r, "(");
				rx_put(r, conv_rx(*p));
				rx_put(r, ")");
			}
			continue;
		}
		rx_lit(r, *p);
	}
}

int archset_pat_compile(const char *pattern, regex_t *re)
{
	const char *base = strrchr(pattern, '/') ? strrchr(pattern, '/') + 1 : pattern;
	const char *suf = suffix_of(base), *p;
	char buf[4096];
	struct rx r = { buf, 0, sizeof(buf), false };

	rx_put(&r, "^");
	rx_pattern(&r, base, suf);
	rx_put(&r, "(\\.[0-9]{5,})?");
	for (p = suf; *p; p++) {
		rx_lit(&r, *p);
	}
	rx_put(&r, "$");
	if (r.full) {
		return -ENAMETOOLONG;
	}
	return regcomp(re, buf, REG_EXTENDED | REG_NOSUB) == 0 ? 0 : -EINVAL;
}

bool archset_pat_test(const regex_t *re, const char *file)
{
	return regexec(re, file, 0, NULL, 0) == 0;
}

bool archset_pattern_match(const char *pattern, const char *file)
{
	regex_t re;
	bool m;

	if (archset_pat_compile(pattern, &re) < 0) {
		return false;
	}
	m = archset_pat_test(&re, file);
	regfree(&re);
	return m;
}

/* Whether the directory component [c, c + n) is one the pattern component [p, p + pn) makes. */
static bool component_match(const char *p, size_t pn, const char *c, size_t n)
{
	char buf[2048], comp[1024];
	struct rx r = { buf, 0, sizeof(buf), false };
	regex_t re;
	bool m;

	if (!memchr(p, '%', pn)) {
		return pn == n && memcmp(p, c, n) == 0;
	}
	if (n >= sizeof(comp)) {
		return false;
	}
	rx_put(&r, "^");
	rx_pattern(&r, p, p + pn);
	rx_put(&r, "$");
	if (r.full || regcomp(&re, buf, REG_EXTENDED | REG_NOSUB) != 0) {
		return false;
	}
	memcpy(comp, c, n);
	comp[n] = '\0';
	m = regexec(&re, comp, 0, NULL, 0) == 0;
	regfree(&re);
	return m;
}

bool archset_dirpat_match(const char *dirpat, const char *dir)
{
	const char *p = dirpat, *c = dir;

	for (;;) {
		size_t pn = strcspn(p, "/"), n = strcspn(c, "/");

		if (!component_match(p, pn, c, n)) {
			return false;
		}
		p += pn;
		c += n;
		if (!*p || !*c) {
			return !*p && !*c;
		}
		p++;
		c++;
	}
}
