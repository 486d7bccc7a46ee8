/* SPDX-License-Identifier: BSD-3-Clause */
/* config_internal.h - shared between config.c (parsing) and keys.c (table, types).  Never
 * installed. */
#ifndef FEEDCAP_CONFIG_INTERNAL_H
#define FEEDCAP_CONFIG_INTERNAL_H

#include "feedcap_config.h"

#include <sys/types.h>

#define FCC_MAX_KEYS 96 /* table entries; checked by a static assertion in keys.c */

enum fcc_section { SEC_RING, SEC_PORT, SEC_CAPTURE, SEC_JOB, SEC_DECODER, SEC_FEED };
#define SEC_COUNT 6

const char *fcc_section_name(enum fcc_section sec);
enum fcc_section fcc_key_section(size_t k);
void *fcc_section_base(struct fcc_config *cfg, enum fcc_section sec, unsigned idx);
/* A named section's name ("" for [capture]). */
const char *fcc_entry_name(const struct fcc_config *cfg, enum fcc_section sec, unsigned i);
int fcc_section_add(struct fcc_config *cfg, enum fcc_section sec, const char *name, unsigned line,
		    unsigned *idx);

/* Parse value for key k of section instance (sec, idx) and store it.  0 or -EINVAL. */
int fcc_key_apply(struct fcc_config *cfg, enum fcc_section sec, unsigned idx, size_t k,
		  const char *value, const char *file, unsigned line, struct fcc_error *err);

void fcc_err_set(struct fcc_error *err, const char *file, unsigned line, const char *key,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void fcc_not_found(const struct fcc_config *cfg, enum fcc_section sec, const char *name,
		   const char *file, unsigned line, const char *key, struct fcc_error *err);

/* Value parsers, exposed for the unit tests.  0 or -EINVAL (-ERANGE on overflow). */
int fcc_parse_size(const char *s, uint64_t *out);
int fcc_parse_duration(const char *s, uint64_t *out_ns);
int fcc_parse_bool(const char *s, bool *out);
int fcc_parse_int(const char *s, int64_t *out);
int fcc_parse_cpus(const char *s, struct fcc_cpuset *set, char *why, size_t whylen);
int fcc_parse_group(const char *s, struct fcc_group *g, char *why, size_t whylen);

#endif /* FEEDCAP_CONFIG_INTERNAL_H */
