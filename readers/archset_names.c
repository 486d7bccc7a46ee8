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
 *
 * Numbers and names are never given twice in one directory: archset_names_load() says which
 * numbers its index has seen (tombstones included: a number retention deleted is not given
 * again, so names of a -C set sort in time order) and which names it lists.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/*
 * The number of a numbered name is the last group: conversions never expand to a group of
 * their own and the suffix is literal, so archset_pat_number() finds it as re_nsub.
 */
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
	return regcomp(re, buf, REG_EXTENDED) == 0 ? 0 : -EINVAL;
}

bool archset_pat_test(const regex_t *re, const char *file)
{
	return regexec(re, file, 0, NULL, 0) == 0;
}

bool archset_pat_number(const regex_t *re, const char *file, uint64_t *num)
{
	regmatch_t m[64];
	size_t g = re->re_nsub;

	if (g == 0 || g >= sizeof(m) / sizeof(m[0]) || regexec(re, file, g + 1, m, 0) != 0 ||
	    m[g].rm_so < 0) {
		return false;
	}
	*num = strtoull(file + m[g].rm_so + 1, NULL, 10); /* after the '.' */
	return true;
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

/* ------------------------------------------------------------------ names an index holds */

/*
 * The listed names are kept as 64-bit hashes in an open-addressing table (0 is "empty"): a
 * day of one-second files is 86,400 names, 1.4 MB of table, and a name looked up for each new
 * archive.  A collision only costs archset_index_forget() a look at the index.
 */
struct archset_names {
	uint64_t next;
	uint64_t *slot;
	size_t mask, used;
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325); /* FNV-1a */

	for (; *s; s++) {
		h = (h ^ (uint8_t)*s) * UINT64_C(0x100000001b3);
	}
	h ^= h >> 33; /* spread the low bits the mask keeps */
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	return h ? h : 1;
}

static void slot_put(uint64_t *slot, size_t mask, uint64_t h)
{
	size_t i = (size_t)h & mask;

	while (slot[i] && slot[i] != h) {
		i = (i + 1) & mask;
	}
	slot[i] = h;
}

int archset_names_add(struct archset_names *n, const char *file)
{
	uint64_t h = name_hash(file);

	if (2 * (n->used + 1) > n->mask + 1) {
		size_t cap = 2 * (n->mask + 1), i;
		uint64_t *ns = calloc(cap, sizeof(*ns));

		if (!ns) {
			return -ENOMEM;
		}
		for (i = 0; i <= n->mask; i++) {
			if (n->slot[i]) {
				slot_put(ns, cap - 1, n->slot[i]);
			}
		}
		free(n->slot);
		n->slot = ns;
		n->mask = cap - 1;
	}
	if (!archset_names_listed(n, file)) {
		slot_put(n->slot, n->mask, h);
		n->used++;
	}
	return 0;
}

bool archset_names_listed(const struct archset_names *n, const char *file)
{
	uint64_t h = name_hash(file);
	size_t i = (size_t)h & n->mask;

	while (n->slot[i]) {
		if (n->slot[i] == h) {
			return true;
		}
		i = (i + 1) & n->mask;
	}
	return false;
}

uint64_t archset_names_next(const struct archset_names *n)
{
	return n->next;
}

void archset_names_free(struct archset_names *n)
{
	if (n) {
		free(n->slot);
		free(n);
	}
}

struct archset_names *archset_names_load(const char *dir, const char *pattern,
					 struct fcr_error *err)
{
	struct archset_names *n = calloc(1, sizeof(*n));
	struct archset_rec *recs = NULL;
	struct archset_vec live = { 0 };
	unsigned int lineno = 0;
	size_t nrecs = 0, i;
	char path[4096];
	uint64_t end;
	regex_t re;
	int fd, rc;

	if (!n || !(n->slot = calloc(64, sizeof(*n->slot)))) {
		archset_names_free(n);
		errno = ENOMEM;
		archset_fail(err, -ENOMEM, "%s: out of memory", dir);
		return NULL;
	}
	n->mask = 63;
	rc = archset_pat_compile(pattern, &re);
	if (rc < 0) {
		archset_names_free(n);
		errno = -rc;
		archset_fail(err, rc, "%s: cannot make a name pattern of it", pattern);
		return NULL;
	}
	fd = archset_index_lock(dir, false, err);
	if (fd == -ENOENT) {
		regfree(&re);
		return n; /* no index: nothing used */
	}
	rc = fd;
	if (fd >= 0) {
		archset_index_path(dir, path, sizeof(path));
		rc = archset_index_parse(fd, path, 0, &recs, &nrecs, &lineno, &end, NULL);
		close(fd);
	}
	for (i = 0; rc == 0 && i < nrecs; i++) {
		uint64_t num;

		if (archset_pat_number(&re, recs[i].e.file, &num) && num + 1 > n->next) {
			n->next = num + 1;
		}
	}
	if (rc == 0) {
		rc = archset_index_resolve(recs, nrecs, &live);
	}
	for (i = 0; rc == 0 && i < live.n; i++) {
		rc = archset_names_add(n, live.v[i].file);
	}
	archset_vec_free(&live);
	free(recs);
	regfree(&re);
	if (rc < 0) {
		if (fd >= 0) {
			archset_fail(err, rc, "%s: cannot read the index: %s", path, strerror(-rc));
		}
		archset_names_free(n);
		errno = -rc;
		return NULL;
	}
	return n;
}
