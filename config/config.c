// SPDX-License-Identifier: BSD-3-Clause
/*
 * config.c - feedcap_config.h's calls around the parser: a config made or changed by code
 * (fcc_new(), fcc_ring_add(), fcc_set(), ...), look-ups by name, error messages, and
 * fcc_check().
 *
 * The file is read by config_parse.c; what a section is, by config_sections.c; the keys, their
 * value types and the checks across sections, by keys.c.
 */
#include "config_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void fcc_err_clear(struct fcc_error *err)
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
/* A config made or changed by code */

static void *section_add_api(struct fcc_config *cfg, enum fcc_section sec, const char *name,
			     struct fcc_error *err)
{
	unsigned idx;
	int rc;

	fcc_err_clear(err);
	rc = fcc_section_add(cfg, sec, name ? name : "", 0, &idx);
	if (rc < 0) {
		fcc_section_add_error(err, FILE_ORIGIN_CLI, 0, sec, name ? name : "", rc);
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
	fcc_section_defaults(cfg, SEC_CAPTURE, 0);
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

int fcc_set(struct fcc_config *cfg, const char *section, const char *key, const char *value,
	    struct fcc_error *err)
{
	char buf[128];
	const char *name;
	int sec, k, ni;
	unsigned idx = 0;

	fcc_err_clear(err);
	snprintf(buf, sizeof(buf), "%s", section ? section : "");
	sec = fcc_split_section(buf, &name);
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
		ni = fcc_find_named(cfg, (enum fcc_section)sec, name);
		if (ni < 0) {
			int rc = fcc_section_add(cfg, (enum fcc_section)sec, name, 0, &idx);

			if (rc < 0) {
				fcc_section_add_error(err, FILE_ORIGIN_CLI, 0,
						      (enum fcc_section)sec, name, rc);
				return rc == -ENOSPC ? -ENOSPC : -EINVAL;
			}
		} else {
			idx = (unsigned)ni;
		}
	}
	k = fcc_find_key((enum fcc_section)sec, key ? key : "");
	if (k < 0) {
		fcc_unknown_key(err, FILE_ORIGIN_CLI, 0, (enum fcc_section)sec, key ? key : "");
		return -EINVAL;
	}
	return fcc_key_apply(cfg, (enum fcc_section)sec, idx, (size_t)k, value ? value : "",
			     FILE_ORIGIN_CLI, 0, err);
}

/* ------------------------------------------------------------------------------------------ */
/* Look-ups */

static const void *find_api(const struct fcc_config *cfg, enum fcc_section sec, const char *name,
			    struct fcc_error *err)
{
	int i;

	fcc_err_clear(err);
	i = fcc_find_named(cfg, sec, name ? name : "");
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
