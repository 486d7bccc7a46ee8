// SPDX-License-Identifier: BSD-3-Clause
/*
 * config.c - feedcap.conf: the key table, the value types, and the inih handler.
 *
 * inih does the INI work (sections, "key = value", comments, whitespace).  Two things it
 * cannot tell its handler in Debian's build, and which an operator needs in a message, are
 * the line number (INI_HANDLER_LINENO is off) and where a section starts (the handler is only
 * called for keys, so "[ring md]" with no keys, or the same header twice, would be invisible).
 * Both come from our own line reader given to ini_parse_stream(): it counts lines, rejects
 * binary data and over-long lines before inih sees them, and notes section header lines, so
 * the handler always knows which section instance and which line it is in.
 */
#include "config_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>

#define FILE_ORIGIN_CLI "command line"

/* ------------------------------------------------------------------------------------------ */
/* Errors */

void fcc_err_set(struct fcc_error *err, const char *file, unsigned line, const char *key,
		 const char *fmt, ...)
{
	va_list ap;

	if (!err) {
		return;
	}
	err->count++;
	if (err->count > 1) {
		return; /* describe the first one only: it is the one to fix first */
	}
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	err->line = line;
	snprintf(err->key, sizeof(err->key), "%s", key ? key : "");
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

static void err_clear(struct fcc_error *err)
{
	if (err) {
		memset(err, 0, sizeof(*err));
	}
}

int fcc_format_error(const struct fcc_error *err, char *buf, size_t len)
{
	char where[FCC_PATH_MAX + 32];
	char more[64] = "";

	if (err->line) {
		snprintf(where, sizeof(where), "%s:%u", err->file, err->line);
	} else {
		snprintf(where, sizeof(where), "%s", err->file);
	}
	if (err->count > 1) {
		snprintf(more, sizeof(more), " (and %u more error%s)", err->count - 1,
			 err->count > 2 ? "s" : "");
	}
	if (err->key[0]) {
		return snprintf(buf, len, "%s: %s: %s%s", where, err->key, err->msg, more);
	}
	return snprintf(buf, len, "%s: %s%s", where, err->msg, more);
}

/* ------------------------------------------------------------------------------------------ */
/* Sections */

static const char *const section_names[] = {
	[SEC_RING] = "ring", [SEC_PORT] = "port",	[SEC_CAPTURE] = "capture",
	[SEC_JOB] = "job",   [SEC_DECODER] = "decoder", [SEC_FEED] = "feed",
};

const char *fcc_section_name(enum fcc_section sec)
{
	return section_names[sec];
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= FCC_NAME_MAX) {
		return false;
	}
	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-')) {
			return false;
		}
	}
	return true;
}

void *fcc_section_base(struct fcc_config *cfg, enum fcc_section sec, unsigned idx)
{
	switch (sec) {
	case SEC_RING:
		return &cfg->rings[idx];
	case SEC_PORT:
		return &cfg->ports[idx];
	case SEC_CAPTURE:
		return &cfg->capture;
	case SEC_JOB:
		return &cfg->jobs[idx];
	case SEC_DECODER:
		return &cfg->decoders[idx];
	case SEC_FEED:
		return &cfg->feeds[idx];
	}
	return NULL;
}

/* Named sections: count, capacity, and an entry's name and header line. */
static unsigned *named_count(struct fcc_config *cfg, enum fcc_section sec)
{
	switch (sec) {
	case SEC_RING:
		return &cfg->nrings;
	case SEC_PORT:
		return &cfg->nports;
	case SEC_JOB:
		return &cfg->njobs;
	case SEC_DECODER:
		return &cfg->ndecoders;
	case SEC_FEED:
		return &cfg->nfeeds;
	case SEC_CAPTURE:
		break;
	}
	return NULL;
}

static unsigned max_of(enum fcc_section sec)
{
	switch (sec) {
	case SEC_RING:
		return FCC_MAX_RINGS;
	case SEC_PORT:
		return FCC_MAX_PORTS;
	case SEC_JOB:
		return FCC_MAX_JOBS;
	case SEC_DECODER:
		return FCC_MAX_DECODERS;
	case SEC_FEED:
		return FCC_MAX_FEEDS;
	case SEC_CAPTURE:
		break;
	}
	return 0;
}

/* Every named section's struct starts with its name; the header line is found by type. */
const char *fcc_entry_name(const struct fcc_config *cfg, enum fcc_section sec, unsigned i)
{
	if (sec == SEC_CAPTURE) {
		return "";
	}
	return (const char *)fcc_section_base((struct fcc_config *)(uintptr_t)cfg, sec, i);
}

static unsigned entry_line(const struct fcc_config *cfg, enum fcc_section sec, unsigned i)
{
	switch (sec) {
	case SEC_RING:
		return cfg->rings[i].line;
	case SEC_PORT:
		return cfg->ports[i].line;
	case SEC_JOB:
		return cfg->jobs[i].line;
	case SEC_DECODER:
		return cfg->decoders[i].line;
	case SEC_FEED:
		return cfg->feeds[i].line;
	case SEC_CAPTURE:
		break;
	}
	return 0;
}

/* Apply the table defaults of one section instance; they go through the same setters as the
 * file, so a default that does not parse is caught by the unit tests. */
static void section_defaults(struct fcc_config *cfg, enum fcc_section sec, unsigned idx)
{
	size_t n, i;
	const struct fcc_key *keys = fcc_keys(&n);
	struct fcc_error err;

	for (i = 0; i < n; i++) {
		if (fcc_key_section(i) != sec) {
			continue;
		}
		err_clear(&err);
		(void)fcc_key_apply(cfg, sec, idx, i, keys[i].def, "", 0, &err);
	}
}

static int find_named(const struct fcc_config *cfg, enum fcc_section sec, const char *name)
{
	const unsigned *count = named_count((struct fcc_config *)(uintptr_t)cfg, sec);

	for (unsigned i = 0; count && i < *count; i++) {
		if (!strcmp(fcc_entry_name(cfg, sec, i), name)) {
			return (int)i;
		}
	}
	return -1;
}

/* Add a named section with its defaults; errors are reported by the caller's wording. */
int fcc_section_add(struct fcc_config *cfg, enum fcc_section sec, const char *name, unsigned line,
		    unsigned *idx)
{
	unsigned *count = named_count(cfg, sec);

	if (!count) {
		return -EINVAL;
	}
	if (!name_ok(name)) {
		return -EINVAL;
	}
	if (find_named(cfg, sec, name) >= 0) {
		return -EEXIST;
	}
	if (*count >= max_of(sec)) {
		return -ENOSPC;
	}
	*idx = (*count)++;
	switch (sec) {
	case SEC_RING: {
		struct fcc_ring *r = &cfg->rings[*idx];

		memset(r, 0, sizeof(*r));
		snprintf(r->name, sizeof(r->name), "%s", name);
		r->line = line;
		break;
	}
	case SEC_PORT: {
		struct fcc_port *p = &cfg->ports[*idx];

		memset(p, 0, sizeof(*p));
		snprintf(p->name, sizeof(p->name), "%s", name);
		p->line = line;
		break;
	}
	case SEC_JOB: {
		struct fcc_job *j = &cfg->jobs[*idx];

		memset(j, 0, sizeof(*j));
		snprintf(j->name, sizeof(j->name), "%s", name);
		j->line = line;
		break;
	}
	case SEC_DECODER: {
		struct fcc_decoder *d = &cfg->decoders[*idx];

		memset(d, 0, sizeof(*d));
		snprintf(d->name, sizeof(d->name), "%s", name);
		d->line = line;
		break;
	}
	case SEC_FEED: {
		struct fcc_feed *f = &cfg->feeds[*idx];

		memset(f, 0, sizeof(*f));
		snprintf(f->name, sizeof(f->name), "%s", name);
		f->line = line;
		break;
	}
	case SEC_CAPTURE:
		break;
	}
	section_defaults(cfg, sec, *idx);
	return 0;
}

static void add_error(struct fcc_error *err, const char *file, unsigned line, enum fcc_section sec,
		      const char *name, int rc)
{
	char key[32];

	snprintf(key, sizeof(key), "%s", section_names[sec]);
	if (rc == -EINVAL) {
		fcc_err_set(
			err, file, line, key,
			"\"%s\" is not a valid name (1 to %d characters: letters, digits, '_', '.', '-')",
			name, FCC_NAME_MAX - 1);
	} else if (rc == -EEXIST) {
		fcc_err_set(err, file, line, key, "[%s %s] is defined twice", section_names[sec],
			    name);
	} else {
		fcc_err_set(err, file, line, key, "too many [%s] sections (at most %u)",
			    section_names[sec], max_of(sec));
	}
}

static void *section_add_api(struct fcc_config *cfg, enum fcc_section sec, const char *name,
			     struct fcc_error *err)
{
	unsigned idx;
	int rc;

	err_clear(err);
	rc = fcc_section_add(cfg, sec, name ? name : "", 0, &idx);
	if (rc < 0) {
		add_error(err, FILE_ORIGIN_CLI, 0, sec, name ? name : "", rc);
		errno = -rc;
		return NULL;
	}
	return fcc_section_base(cfg, sec, idx);
}

struct fcc_ring *fcc_ring_add(struct fcc_config *cfg, const char *name, struct fcc_error *err)
{
	return section_add_api(cfg, SEC_RING, name, err);
}

struct fcc_port *fcc_port_add(struct fcc_config *cfg, const char *name, struct fcc_error *err)
{
	return section_add_api(cfg, SEC_PORT, name, err);
}

struct fcc_job *fcc_job_add(struct fcc_config *cfg, const char *name, struct fcc_error *err)
{
	return section_add_api(cfg, SEC_JOB, name, err);
}

void fcc_defaults(struct fcc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	section_defaults(cfg, SEC_CAPTURE, 0);
}

struct fcc_config *fcc_new(void)
{
	struct fcc_config *cfg = malloc(sizeof(*cfg));

	if (!cfg) {
		errno = ENOMEM;
		return NULL;
	}
	fcc_defaults(cfg);
	return cfg;
}

void fcc_free(struct fcc_config *cfg)
{
	free(cfg);
}

/*
 * Split "ring md" into kind and name.  Returns the kind or -1; *name points into buf (the
 * trimmed rest, "" if none).
 */
static int split_section(char *buf, const char **name)
{
	char *p = buf;
	int sec;

	while (*p && *p != ' ' && *p != '\t') {
		p++;
	}
	if (*p) {
		*p++ = '\0';
		while (*p == ' ' || *p == '\t') {
			p++;
		}
	}
	*name = p;
	for (sec = 0; sec < SEC_COUNT; sec++) {
		if (!strcmp(buf, section_names[sec])) {
			return sec;
		}
	}
	return -1;
}

static int find_key(enum fcc_section sec, const char *name)
{
	size_t n, i;
	const struct fcc_key *keys = fcc_keys(&n);

	for (i = 0; i < n; i++) {
		if (fcc_key_section(i) == sec && !strcmp(keys[i].name, name)) {
			return (int)i;
		}
	}
	return -1;
}

/* "size, chunk_size, backing, ..." for "unknown key" messages. */
static void key_list(enum fcc_section sec, char *buf, size_t len)
{
	size_t n, i, off = 0;
	const struct fcc_key *keys = fcc_keys(&n);

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++) {
		if (fcc_key_section(i) != sec) {
			continue;
		}
		off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
					keys[i].name);
	}
}

static void unknown_key(struct fcc_error *err, const char *file, unsigned line,
			enum fcc_section sec, const char *name)
{
	char key[96], list[400];

	snprintf(key, sizeof(key), "%s.%s", section_names[sec], name);
	key_list(sec, list, sizeof(list));
	fcc_err_set(err, file, line, key, "unknown key in [%s] (known keys: %s)",
		    section_names[sec], list);
}

int fcc_set(struct fcc_config *cfg, const char *section, const char *key, const char *value,
	    struct fcc_error *err)
{
	char buf[128];
	const char *name;
	int sec, k, ni;
	unsigned idx = 0;

	err_clear(err);
	snprintf(buf, sizeof(buf), "%s", section ? section : "");
	sec = split_section(buf, &name);
	if (sec < 0) {
		fcc_err_set(
			err, FILE_ORIGIN_CLI, 0, "",
			"unknown section [%s] (sections: [ring NAME], [port NAME], [capture], [job NAME], [decoder NAME], [feed NAME])",
			section ? section : "");
		return -EINVAL;
	}
	if (sec == SEC_CAPTURE) {
		if (*name) {
			fcc_err_set(err, FILE_ORIGIN_CLI, 0, "capture",
				    "[capture] takes no name (got \"%s\")", name);
			return -EINVAL;
		}
	} else {
		ni = find_named(cfg, (enum fcc_section)sec, name);
		if (ni < 0) {
			int rc = fcc_section_add(cfg, (enum fcc_section)sec, name, 0, &idx);

			if (rc < 0) {
				add_error(err, FILE_ORIGIN_CLI, 0, (enum fcc_section)sec, name, rc);
				return rc == -ENOSPC ? -ENOSPC : -EINVAL;
			}
		} else {
			idx = (unsigned)ni;
		}
	}
	k = find_key((enum fcc_section)sec, key ? key : "");
	if (k < 0) {
		unknown_key(err, FILE_ORIGIN_CLI, 0, (enum fcc_section)sec, key ? key : "");
		return -EINVAL;
	}
	return fcc_key_apply(cfg, (enum fcc_section)sec, idx, (size_t)k, value ? value : "",
			     FILE_ORIGIN_CLI, 0, err);
}

/* ------------------------------------------------------------------------------------------ */
/* Parsing a file */

struct parse_state {
	struct fcc_config *cfg;
	struct fcc_error *err;
	const char *file;

	/* input: a FILE or a string */
	FILE *fp;
	const char *text, *text_end;
	char *buf;
	size_t cap;
	unsigned lineno;
	bool stop;	 /* binary data: stop reading, one message is enough */
	const char *raw; /* the current raw line (for continuation detection) */

	/* the current section instance */
	bool in_section; /* a header was seen */
	bool skip;	 /* the current section is invalid: ignore its keys */
	enum fcc_section sec;
	unsigned idx;
	unsigned key_line[FCC_MAX_KEYS]; /* where each key of this section was set */
	unsigned nsections, nkeys;
	int last_key; /* table index of the previous key in this section, or -1 */
};

static void open_section(struct parse_state *st, char *header, unsigned line)
{
	const char *name;
	char orig[FCC_TEXT_MAX];
	int sec;
	struct fcc_config *cfg = st->cfg;
	unsigned idx = 0;
	int rc;

	snprintf(orig, sizeof(orig), "%s", header);
	sec = split_section(header, &name);
	st->in_section = true;
	st->skip = true;
	st->nsections++;
	st->last_key = -1;
	memset(st->key_line, 0, sizeof(st->key_line));
	if (sec < 0) {
		fcc_err_set(
			st->err, st->file, line, "",
			"unknown section [%s] (sections: [ring NAME], [port NAME], [capture], [job NAME], [decoder NAME], [feed NAME])",
			orig);
		return;
	}
	if (sec == SEC_CAPTURE) {
		if (*name) {
			fcc_err_set(
				st->err, st->file, line, "capture",
				"[capture] takes no name (got \"%s\"): there is one capture per host",
				name);
			return;
		}
		if (cfg->capture.line) {
			fcc_err_set(st->err, st->file, line, "capture",
				    "[capture] is defined twice (first on line %u)",
				    cfg->capture.line);
			return;
		}
		cfg->capture.line = line;
	} else {
		if (!*name) {
			fcc_err_set(st->err, st->file, line, section_names[sec],
				    "[%s] needs a name: [%s NAME]", section_names[sec],
				    section_names[sec]);
			return;
		}
		rc = fcc_section_add(cfg, (enum fcc_section)sec, name, line, &idx);
		if (rc == -EEXIST) {
			int first = find_named(cfg, (enum fcc_section)sec, name);

			fcc_err_set(st->err, st->file, line, section_names[sec],
				    "[%s %s] is defined twice (first on line %u)",
				    section_names[sec], name,
				    entry_line(cfg, (enum fcc_section)sec, (unsigned)first));
			return;
		}
		if (rc < 0) {
			add_error(st->err, st->file, line, (enum fcc_section)sec, name, rc);
			return;
		}
	}
	st->sec = (enum fcc_section)sec;
	st->idx = idx;
	st->skip = false;
}

/* A strict check of UTF-8 (no overlongs, no surrogates); returns the offset of the first bad
 * byte or -1. */
static long utf8_bad(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len, k;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return (long)i;
		}
		if (i + len > n) {
			return (long)i;
		}
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80) {
				return (long)i;
			}
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff)) {
			return (long)i;
		}
		i += len;
	}
	return -1;
}

static ssize_t next_line(struct parse_state *st)
{
	const char *nl;
	size_t n;

	if (st->fp) {
		return getline(&st->buf, &st->cap, st->fp);
	}
	if (st->text >= st->text_end) {
		return -1;
	}
	nl = memchr(st->text, '\n', (size_t)(st->text_end - st->text));
	n = nl ? (size_t)(nl - st->text) + 1 : (size_t)(st->text_end - st->text);
	if (n + 1 > st->cap) {
		char *b = realloc(st->buf, n + 1);

		if (!b) {
			return -1;
		}
		st->buf = b;
		st->cap = n + 1;
	}
	memcpy(st->buf, st->text, n);
	st->buf[n] = '\0';
	st->text += n;
	return (ssize_t)n;
}

/* The ini_reader given to inih: one line per call, exactly as fgets() would give it. */
static char *reader(char *str, int num, void *stream)
{
	struct parse_state *st = stream;
	ssize_t n;
	long bad;
	size_t i;
	char *p;

	if (st->stop) {
		return NULL;
	}
	n = next_line(st);
	if (n < 0) {
		if (st->fp && ferror(st->fp)) {
			fcc_err_set(st->err, st->file, st->lineno + 1, "", "cannot read: %s",
				    strerror(errno));
		}
		return NULL;
	}
	st->lineno++;
	/* Binary data: say so once and stop, rather than one error per "line" of garbage. */
	for (i = 0; i < (size_t)n; i++) {
		unsigned char c = (unsigned char)st->buf[i];

		if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f) {
			fcc_err_set(
				st->err, st->file, st->lineno, "",
				"binary data (byte 0x%02x at column %zu): this is not a text config file",
				c, i + 1);
			st->stop = true;
			return NULL;
		}
	}
	bad = utf8_bad((const unsigned char *)st->buf, (size_t)n);
	if (bad >= 0) {
		fcc_err_set(
			st->err, st->file, st->lineno, "",
			"not UTF-8 text (byte 0x%02x at column %ld): this is not a text config file",
			(unsigned char)st->buf[bad], bad + 1);
		st->stop = true;
		return NULL;
	}
	/* inih reads at most num - 1 bytes a line; a longer one would be split in two. */
	if (n > (ssize_t)num - 1) {
		fcc_err_set(st->err, st->file, st->lineno, "",
			    "line is %zd characters long; lines are limited to %d (inih)",
			    n - (st->buf[n - 1] == '\n'), num - 2);
		snprintf(str, (size_t)num, "\n");
		st->raw = "";
		return str;
	}
	memcpy(str, st->buf, (size_t)n + 1);
	st->raw = st->buf;

	/* Section headers: inih's rule is a '[' after leading blanks, up to the ']'. */
	p = st->buf;
	if (st->lineno == 1 && !strncmp(p, "\xef\xbb\xbf", 3)) {
		p += 3; /* inih skips a UTF-8 BOM */
	}
	while (*p == ' ' || *p == '\t') {
		p++;
	}
	if (*p == '[') {
		char header[FCC_TEXT_MAX];
		char *end = strchr(p, ']');
		size_t len;

		if (!end) {
			/* inih reports the syntax error; keys after it belong to no section */
			st->in_section = true;
			st->skip = true;
			return str;
		}
		p++;
		while (*p == ' ' || *p == '\t') {
			p++;
		}
		len = (size_t)(end - p);
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) {
			len--;
		}
		snprintf(header, sizeof(header), "%.*s", (int)len, p);
		open_section(st, header, st->lineno);
	}
	return str;
}

/* inih's handler: one call per "key = value" (and per continuation line, which we refuse). */
static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;
	const char *raw = st->raw ? st->raw : "";
	size_t nlen = strlen(name);
	char key[96];
	int k;

	(void)section;
	if (st->stop) {
		return 1;
	}
	st->nkeys++;
	if (!st->in_section) {
		fcc_err_set(
			st->err, st->file, st->lineno, name,
			"key outside any section: put it under [capture], [ring NAME], [port NAME] or [job NAME]");
		return 1;
	}
	if (st->skip) {
		return 1; /* the header was wrong and has been reported */
	}
	/*
	 * inih passes an indented line after a key as a continuation of that key's value.  We
	 * never want that: a value is one line, and an indented "key = value" must not silently
	 * become part of the previous value.
	 */
	while (*raw == ' ' || *raw == '\t') {
		raw++;
	}
	if (strncmp(raw, name, nlen) || !strchr(" \t=:", raw[nlen])) {
		snprintf(key, sizeof(key), "%s.%s", section_names[st->sec], name);
		fcc_err_set(
			st->err, st->file, st->lineno, key,
			"indented line continues the value of the previous key; values are one line: remove the indentation or write \"key = value\"");
		return 1;
	}
	k = find_key(st->sec, name);
	if (k < 0) {
		unknown_key(st->err, st->file, st->lineno, st->sec, name);
		return 1;
	}
	snprintf(key, sizeof(key), "%s.%s", section_names[st->sec], name);
	if (st->key_line[k]) {
		fcc_err_set(st->err, st->file, st->lineno, key,
			    "set twice in the same section (first on line %u)", st->key_line[k]);
		return 1;
	}
	st->key_line[k] = st->lineno;
	st->last_key = k;
	(void)fcc_key_apply(st->cfg, st->sec, st->idx, (size_t)k, value, st->file, st->lineno,
			    st->err);
	return 1; /* keep going: the error count tells the operator how much is left */
}

static struct fcc_config *parse(struct parse_state *st)
{
	struct fcc_error local;
	int rc;

	if (!st->err) {
		st->err = &local;
	}
	err_clear(st->err);
	st->cfg = fcc_new();
	if (!st->cfg) {
		return NULL;
	}
	snprintf(st->cfg->path, sizeof(st->cfg->path), "%s", st->file);
	rc = ini_parse_stream(reader, st, handler, st);
	free(st->buf);
	st->buf = NULL;
	if (rc == -2) {
		fcc_free(st->cfg);
		errno = ENOMEM;
		return NULL;
	}
	if (rc > 0) {
		/* inih's own syntax error; keep whichever error comes first in the file */
		struct fcc_error syn = { 0 };

		fcc_err_set(&syn, st->file, (unsigned)rc, "",
			    "not a section header \"[...]\" or a \"key = value\" line");
		if (!st->err->count || st->err->line > (unsigned)rc) {
			syn.count = st->err->count + 1;
			*st->err = syn;
		} else {
			st->err->count++;
		}
	}
	if (!st->err->count && !st->nsections && !st->nkeys) {
		fcc_err_set(
			st->err, st->file, 0, "",
			"the file is empty (no section and no key): at least a [ring NAME] section is needed, see feedcap.conf(5)");
	}
	if (!st->err->count) {
		(void)fcc_validate(st->cfg, 0, st->err);
	}
	if (st->err->count) {
		fcc_free(st->cfg);
		errno = EINVAL;
		return NULL;
	}
	return st->cfg;
}

struct fcc_config *fcc_load(const char *path, struct fcc_error *err)
{
	struct parse_state st = { 0 };
	struct fcc_config *cfg;
	struct stat sb;
	int e;

	if (!path) {
		path = FCC_DEFAULT_PATH;
	}
	err_clear(err);
	st.file = path;
	st.err = err;
	st.fp = fopen(path, "re");
	if (!st.fp) {
		e = errno;
		fcc_err_set(err, path, 0, "", "cannot open: %s", strerror(e));
		errno = e;
		return NULL;
	}
	if (fstat(fileno(st.fp), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		fclose(st.fp);
		fcc_err_set(err, path, 0, "", "is a directory, not a config file");
		errno = EISDIR;
		return NULL;
	}
	cfg = parse(&st);
	e = errno;
	fclose(st.fp);
	errno = e;
	return cfg;
}

struct fcc_config *fcc_load_string(const char *text, const char *name, struct fcc_error *err)
{
	struct parse_state st = { 0 };

	st.file = name ? name : "(string)";
	st.err = err;
	st.text = text ? text : "";
	st.text_end = st.text + strlen(st.text);
	return parse(&st);
}

/* ------------------------------------------------------------------------------------------ */
/* Look-ups */

static void name_list(const struct fcc_config *cfg, enum fcc_section sec, char *buf, size_t len)
{
	const unsigned *count = named_count((struct fcc_config *)(uintptr_t)cfg, sec);
	unsigned i, n = count ? *count : 0;
	size_t off = 0;

	snprintf(buf, len, "none");
	for (i = 0; i < n && off < len; i++) {
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
					fcc_entry_name(cfg, sec, i));
	}
}

void fcc_not_found(const struct fcc_config *cfg, enum fcc_section sec, const char *name,
		   const char *file, unsigned line, const char *key, struct fcc_error *err)
{
	char list[300];

	name_list(cfg, sec, list, sizeof(list));
	fcc_err_set(err, file, line, key, "no [%s %s] in the config (%ss defined: %s)",
		    section_names[sec], name, section_names[sec], list);
}

static const void *find_api(const struct fcc_config *cfg, enum fcc_section sec, const char *name,
			    struct fcc_error *err)
{
	int i;

	err_clear(err);
	i = find_named(cfg, sec, name ? name : "");
	if (i < 0) {
		fcc_not_found(cfg, sec, name ? name : "",
			      cfg->path[0] ? cfg->path : FILE_ORIGIN_CLI, 0, "", err);
		errno = ENOENT;
		return NULL;
	}
	return fcc_section_base((struct fcc_config *)(uintptr_t)cfg, sec, (unsigned)i);
}

const struct fcc_ring *fcc_ring_find(const struct fcc_config *cfg, const char *name,
				     struct fcc_error *err)
{
	return find_api(cfg, SEC_RING, name, err);
}

const struct fcc_job *fcc_job_find(const struct fcc_config *cfg, const char *name,
				   struct fcc_error *err)
{
	return find_api(cfg, SEC_JOB, name, err);
}

const struct fcc_port *fcc_port_find(const struct fcc_config *cfg, const char *name,
				     struct fcc_error *err)
{
	return find_api(cfg, SEC_PORT, name, err);
}

int fcc_check(const char *path, unsigned flags, const char *job, char *msg, size_t len)
{
	struct fcc_error err;
	struct fcc_config *cfg = fcc_load(path, &err);
	int rc = FCC_EXIT_CONFIG;

	if (!cfg) {
		fcc_format_error(&err, msg, len);
		return rc;
	}
	if (fcc_validate(cfg, flags, &err) < 0 || (job && !fcc_job_find(cfg, job, &err))) {
		fcc_format_error(&err, msg, len);
		goto out_free;
	}
	snprintf(msg, len, "%s: OK (%u ring%s, %u port%s, %u job%s)", cfg->path, cfg->nrings,
		 cfg->nrings == 1 ? "" : "s", cfg->nports, cfg->nports == 1 ? "" : "s", cfg->njobs,
		 cfg->njobs == 1 ? "" : "s");
	rc = 0;
out_free:
	fcc_free(cfg);
	return rc;
}
