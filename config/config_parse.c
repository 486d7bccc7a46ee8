// SPDX-License-Identifier: BSD-3-Clause
/*
 * config_parse.c - reading feedcap.conf (fcc_load(), fcc_load_string()) with inih.
 *
 * inih does the INI work (sections, "key = value", comments, whitespace).  Two things it
 * cannot tell its handler in Debian's build, and which an operator needs in a message, are
 * the line number (INI_HANDLER_LINENO is off) and where a section starts (the handler is only
 * called for keys, so "[ring md]" with no keys, or the same header twice, would be invisible).
 * Both come from our own line reader given to ini_parse_stream(): it counts lines, rejects
 * binary data and over-long lines before inih sees them, and notes section header lines, so
 * the handler always knows which section instance and which line it is in.
 *
 * Parsing goes on after an error (the first one described, the others counted), so that one
 * pass tells the operator how much is left to fix.
 */
#include "config_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>

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
	sec = fcc_split_section(header, &name);
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
			fcc_err_set(st->err, st->file, line,
				    fcc_section_name((enum fcc_section)sec),
				    "[%s] needs a name: [%s NAME]",
				    fcc_section_name((enum fcc_section)sec),
				    fcc_section_name((enum fcc_section)sec));
			return;
		}
		rc = fcc_section_add(cfg, (enum fcc_section)sec, name, line, &idx);
		if (rc == -EEXIST) {
			int first = fcc_find_named(cfg, (enum fcc_section)sec, name);

			fcc_err_set(st->err, st->file, line,
				    fcc_section_name((enum fcc_section)sec),
				    "[%s %s] is defined twice (first on line %u)",
				    fcc_section_name((enum fcc_section)sec), name,
				    fcc_entry_line(cfg, (enum fcc_section)sec, (unsigned)first));
			return;
		}
		if (rc < 0) {
			fcc_section_add_error(st->err, st->file, line, (enum fcc_section)sec, name,
					      rc);
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
		snprintf(key, sizeof(key), "%s.%s", fcc_section_name(st->sec), name);
		fcc_err_set(
			st->err, st->file, st->lineno, key,
			"indented line continues the value of the previous key; values are one line: remove the indentation or write \"key = value\"");
		return 1;
	}
	k = fcc_find_key(st->sec, name);
	if (k < 0) {
		fcc_unknown_key(st->err, st->file, st->lineno, st->sec, name);
		return 1;
	}
	snprintf(key, sizeof(key), "%s.%s", fcc_section_name(st->sec), name);
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
	fcc_err_clear(st->err);
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
	fcc_err_clear(err);
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
