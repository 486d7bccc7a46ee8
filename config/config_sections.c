// SPDX-License-Identifier: BSD-3-Clause
/*
 * config_sections.c - the sections of feedcap.conf: their kinds ([ring NAME], [capture], ...),
 * the named instances a config holds (added with the table defaults, found by name, each with
 * the line of its header), and the keys each kind takes, with the messages that name them.
 */
#include "config_internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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

unsigned fcc_entry_line(const struct fcc_config *cfg, enum fcc_section sec, unsigned i)
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
void fcc_section_defaults(struct fcc_config *cfg, enum fcc_section sec, unsigned idx)
{
	size_t n, i;
	const struct fcc_key *keys = fcc_keys(&n);
	struct fcc_error err;

	for (i = 0; i < n; i++) {
		if (fcc_key_section(i) != sec) {
			continue;
		}
		fcc_err_clear(&err);
		(void)fcc_key_apply(cfg, sec, idx, i, keys[i].def, "", 0, &err);
	}
}

int fcc_find_named(const struct fcc_config *cfg, enum fcc_section sec, const char *name)
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
	if (fcc_find_named(cfg, sec, name) >= 0) {
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
	fcc_section_defaults(cfg, sec, *idx);
	return 0;
}

void fcc_section_add_error(struct fcc_error *err, const char *file, unsigned line,
			   enum fcc_section sec, const char *name, int rc)
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

/*
 * Split "ring md" into kind and name.  Returns the kind or -1; *name points into buf (the
 * trimmed rest, "" if none).
 */
int fcc_split_section(char *buf, const char **name)
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

int fcc_find_key(enum fcc_section sec, const char *name)
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

void fcc_unknown_key(struct fcc_error *err, const char *file, unsigned line, enum fcc_section sec,
		     const char *name)
{
	char key[96], list[400];

	snprintf(key, sizeof(key), "%s.%s", section_names[sec], name);
	key_list(sec, list, sizeof(list));
	fcc_err_set(err, file, line, key, "unknown key in [%s] (known keys: %s)",
		    section_names[sec], list);
}

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
