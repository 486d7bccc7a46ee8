/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config_internal.h - shared by the files of fcconfig (never installed):
 *
 *	config.c		the calls of feedcap_config.h around the parser, errors
 *	config_parse.c		reading the file with inih
 *	config_sections.c	section kinds, named instances, the keys each kind takes
 *	keys.c			the key table, and storing a value by it
 *	config_values.c		the value types: parsers, and formatters for messages
 *	config_validate.c	the checks across keys and sections (fcc_validate)
 */
#ifndef FEEDCAP_CONFIG_INTERNAL_H
#define FEEDCAP_CONFIG_INTERNAL_H

#include "feedcap_config.h"

#include <sys/types.h>

#define FCC_MAX_KEYS 96 /* table entries; checked by a static assertion in keys.c */

enum fcc_section { SEC_RING, SEC_PORT, SEC_CAPTURE, SEC_JOB, SEC_DECODER, SEC_FEED };
#define SEC_COUNT 6

/* ---- config.c */

void fcc_err_set(struct fcc_error *err, const char *file, unsigned line, const char *key,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void fcc_err_clear(struct fcc_error *err);

/* ---- config_sections.c */

const char *fcc_section_name(enum fcc_section sec);
void *fcc_section_base(struct fcc_config *cfg, enum fcc_section sec, unsigned idx);
/* A named section's name ("" for [capture]). */
const char *fcc_entry_name(const struct fcc_config *cfg, enum fcc_section sec, unsigned i);
/* The line of a named section's header. */
unsigned fcc_entry_line(const struct fcc_config *cfg, enum fcc_section sec, unsigned i);
/* Add a named section with its defaults.  0, -EINVAL (bad name), -EEXIST or -ENOSPC. */
int fcc_section_add(struct fcc_config *cfg, enum fcc_section sec, const char *name, unsigned line,
		    unsigned *idx);
/* fcc_section_add()'s error rc as a message naming the section. */
void fcc_section_add_error(struct fcc_error *err, const char *file, unsigned line,
			   enum fcc_section sec, const char *name, int rc);
/* Apply the table defaults of one section instance. */
void fcc_section_defaults(struct fcc_config *cfg, enum fcc_section sec, unsigned idx);
/* The index of the named section, or -1. */
int fcc_find_named(const struct fcc_config *cfg, enum fcc_section sec, const char *name);
/* Split "ring md" into kind and name: the kind or -1; *name points into buf. */
int fcc_split_section(char *buf, const char **name);
/* The table index of key name in section sec, or -1. */
int fcc_find_key(enum fcc_section sec, const char *name);
/* An "unknown key" error listing the keys section sec takes. */
void fcc_unknown_key(struct fcc_error *err, const char *file, unsigned line, enum fcc_section sec,
		     const char *name);
/* A "no [ring NAME]" error listing the sections of that kind the config has. */
void fcc_not_found(const struct fcc_config *cfg, enum fcc_section sec, const char *name,
		   const char *file, unsigned line, const char *key, struct fcc_error *err);

/* ---- keys.c */

enum fcc_section fcc_key_section(size_t k);

/* Parse value for key k of section instance (sec, idx) and store it.  0 or -EINVAL. */
int fcc_key_apply(struct fcc_config *cfg, enum fcc_section sec, unsigned idx, size_t k,
		  const char *value, const char *file, unsigned line, struct fcc_error *err);

/* ---- config_values.c */

/* Value parsers, exposed for the unit tests.  0 or -EINVAL (-ERANGE on overflow). */
int fcc_parse_size(const char *s, uint64_t *out);
int fcc_parse_duration(const char *s, uint64_t *out_ns);
int fcc_parse_bool(const char *s, bool *out);
int fcc_parse_int(const char *s, int64_t *out);
int fcc_parse_cpus(const char *s, struct fcc_cpuset *set, char *why, size_t whylen);
int fcc_parse_group(const char *s, struct fcc_group *g, char *why, size_t whylen);

/* A separator of list values: a comma or a blank. */
bool fcc_is_sep(char c);
/* The same group, port and source. */
bool fcc_same_group(const struct fcc_group *a, const struct fcc_group *b);
/* A PCI address [DDDD:]BB:DD.F; DPDK virtual device arguments (net_xxx[,key=value...]). */
bool fcc_is_pci(const char *s);
bool fcc_is_vdev(const char *s);
/* v as "1G", "512M", "64K", "12345"; ns as "500ms", "10s", "1h": for messages. */
void fcc_fmt_size(uint64_t v, char *buf, size_t len);
void fcc_fmt_duration(uint64_t ns, char *buf, size_t len);

#endif /* FEEDCAP_CONFIG_INTERNAL_H */
