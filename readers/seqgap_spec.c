/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * seqgap_spec.c - decoders from text: a built-in's name, "generic:OFFSET:WIDTH:be|le" with
 * ",KEY=VALUE" extras on the command line, and the KEY = VALUE lines of a [decoder NAME]
 * section of feedcap.conf.  Both go through fcreader_seq_decoder_set(), so a key means the
 * same thing in both places.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seqgap_internal.h"

static int parse_u64(const char *s, char **end, uint64_t *v)
{
	errno = 0;
	if (*s == '-' || *s == '\0') {
		return -EINVAL;
	}
	*v = strtoull(s, end, 0);
	return errno || *end == s ? -EINVAL : 0;
}

/* "OFF:W:be|le" (the order may be left out for WIDTH 1); stops at '=' or '+' or the end. */
static int parse_field(const char *s, struct fcreader_seq_field *f, const char **rest)
{
	uint64_t off, w;
	char *e;

	if (parse_u64(s, &e, &off) < 0 || *e != ':' || off > 65535) {
		return -EINVAL;
	}
	if (parse_u64(e + 1, &e, &w) < 0 || (w != 1 && w != 2 && w != 4 && w != 8)) {
		return -EINVAL;
	}
	f->off = (uint16_t)off;
	f->width = (uint8_t)w;
	f->be = true;
	if (*e == ':') {
		if (strncmp(e + 1, "be", 2) == 0) {
			f->be = true;
		} else if (strncmp(e + 1, "le", 2) == 0) {
			f->be = false;
		} else {
			return -EINVAL;
		}
		e += 3;
	} else if (w != 1) {
		return -EINVAL;
	}
	*rest = e;
	return 0;
}

/* "OFF:W:ORD=VALUE" */
static int parse_field_eq(const char *s, struct fcreader_seq_field *f, uint64_t *val)
{
	const char *r;
	char *e;

	if (parse_field(s, f, &r) < 0 || *r != '=' || parse_u64(r + 1, &e, val) < 0 || *e) {
		return -EINVAL;
	}
	return 0;
}

static int parse_bool(const char *v, bool *b)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1")) {
		*b = true;
	} else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") ||
		   !strcmp(v, "0")) {
		*b = false;
	} else {
		return -EINVAL;
	}
	return 0;
}

#define BAD(...)                                                                                   \
	do {                                                                                       \
		snprintf(err, errlen, __VA_ARGS__);                                                \
		return -EINVAL;                                                                    \
	} while (0)

static const char field_form[] = "OFFSET:WIDTH:be|le (WIDTH 1, 2, 4 or 8 bytes)";

int fcreader_seq_decoder_set(struct fcreader_seq_decoder *d, const char *key, const char *value,
			     char *err, size_t errlen)
{
	struct fcreader_seq_field f = { 0 };
	const char *r;
	uint64_t v;
	char *e;

	if (!strcmp(key, "based_on")) {
		const struct fcreader_seq_decoder *b = fcreader_seq_builtin_find(value);
		char name[FCREADER_SEQ_NAME_MAX];

		if (!b) {
			BAD("\"%s\" is not a built-in decoder (%s)", value,
			    fcreader_seq_builtin_names());
		}
		memcpy(name, d->name, sizeof(name));
		*d = *b;
		memcpy(d->name, name, sizeof(name));
		d->spec = NULL;
		return 0;
	}
	if (!strcmp(key, "seq") || !strcmp(key, "count")) {
		if (!strcmp(key, "count") && !strcmp(value, "none")) {
			memset(&d->count, 0, sizeof(d->count));
			return 0;
		}
		if (parse_field(value, &f, &r) < 0 || *r) {
			BAD("\"%s\" is not %s%s", value, field_form,
			    key[0] == 'c' ? " or none" : "");
		}
		*(key[0] == 's' ? &d->seq : &d->count) = f;
		return 0;
	}
	if (!strcmp(key, "session")) {
		uint64_t off, len;

		if (!strcmp(value, "none")) {
			memset(&d->session, 0, sizeof(d->session));
			return 0;
		}
		if (parse_u64(value, &e, &off) < 0 || *e != ':' || off > 65535 ||
		    parse_u64(e + 1, &e, &len) < 0 || *e || len < 1 ||
		    len > FCREADER_SEQ_SESSION_MAX) {
			BAD("\"%s\" is not OFFSET:LENGTH (the session key's bytes, 1 to %d) or none",
			    value, FCREADER_SEQ_SESSION_MAX);
		}
		d->session.off = (uint16_t)off;
		d->session.width = (uint8_t)len;
		return 0;
	}
	if (!strcmp(key, "heartbeat")) {
		if (!strcmp(value, "none")) {
			d->hb = FCREADER_SEQ_HB_NONE;
		} else if (!strcmp(value, "count0")) {
			d->hb = FCREADER_SEQ_HB_COUNT0;
		} else if (parse_field_eq(value, &d->hb_field, &d->hb_value) == 0) {
			d->hb = FCREADER_SEQ_HB_FIELD;
		} else {
			BAD("\"%s\" is not none, count0 (a packet of 0 messages) or "
			    "OFFSET:WIDTH:be|le=VALUE",
			    value);
		}
		return 0;
	}
	if (!strcmp(key, "heartbeat_next")) {
		if (parse_bool(value, &d->hb_next) < 0) {
			BAD("\"%s\" is not yes or no", value);
		}
		return 0;
	}
	if (!strcmp(key, "reset")) {
		if (!strcmp(value, "none")) {
			d->reset = FCREADER_SEQ_RESET_NONE;
		} else if (!strcmp(value, "restart")) {
			d->reset = FCREADER_SEQ_RESET_RESTART;
		} else if (parse_field_eq(value, &d->reset_field, &d->reset_value) == 0) {
			d->reset = FCREADER_SEQ_RESET_FIELD;
		} else {
			BAD("\"%s\" is not none, restart (numbers start again at 1) or "
			    "OFFSET:WIDTH:be|le=VALUE",
			    value);
		}
		return 0;
	}
	if (!strcmp(key, "end")) {
		if (!strcmp(value, "none")) {
			d->has_end = false;
			return 0;
		}
		if (parse_u64(value, &e, &v) < 0 || *e) {
			BAD("\"%s\" is not the count value that ends a session, or none", value);
		}
		d->has_end = true;
		d->end_count = v;
		return 0;
	}
	if (!strcmp(key, "magic")) {
		if (!strcmp(value, "none")) {
			memset(&d->magic, 0, sizeof(d->magic));
			return 0;
		}
		if (parse_field_eq(value, &d->magic, &d->magic_value) < 0) {
			BAD("\"%s\" is not OFFSET:WIDTH:be|le=VALUE or none", value);
		}
		return 0;
	}
	if (!strcmp(key, "length")) {
		long adj = 0;

		if (!strcmp(value, "none")) {
			memset(&d->length, 0, sizeof(d->length));
			return 0;
		}
		if (parse_field(value, &f, &r) < 0) {
			BAD("\"%s\" is not OFFSET:WIDTH:be|le[+ADJUST] (the field plus ADJUST is "
			    "the UDP payload length) or none",
			    value);
		}
		if (*r == '+' || *r == '-') {
			errno = 0;
			adj = strtol(r, &e, 10);
			if (errno || e == r + 1 || *e || adj < -65535 || adj > 65535) {
				BAD("\"%s\": ADJUST must be a number of bytes, e.g. +40", value);
			}
		} else if (*r) {
			BAD("\"%s\" is not OFFSET:WIDTH:be|le[+ADJUST]", value);
		}
		d->length = f;
		d->length_adj = (int32_t)adj;
		return 0;
	}
	if (!strcmp(key, "min_length")) {
		if (parse_u64(value, &e, &v) < 0 || *e || v > 65535) {
			BAD("\"%s\" is not a byte count (0-65535)", value);
		}
		d->min_len = (uint16_t)v;
		return 0;
	}
	BAD("unknown key (known: based_on, seq, count, session, heartbeat, heartbeat_next, "
	    "reset, end, magic, length, min_length)");
}

static uint32_t field_end(const struct fcreader_seq_field *f)
{
	return f->width ? (uint32_t)f->off + f->width : 0;
}

/* The header bytes a decoder reads. */
static uint16_t header_len(const struct fcreader_seq_decoder *d)
{
	uint32_t m = d->min_len;
	const struct fcreader_seq_field *fs[] = { &d->seq, &d->count, &d->session, &d->magic,
						  &d->length };

	for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++) {
		if (field_end(fs[i]) > m) {
			m = field_end(fs[i]);
		}
	}
	return (uint16_t)(m > 65535 ? 65535 : m);
}

int fcreader_seq_decoder_check(struct fcreader_seq_decoder *d, char *err, size_t errlen)
{
	if (d->seq.width == 0) {
		BAD("no seq: give the sequence number's place, seq = OFFSET:WIDTH:be|le");
	}
	if (d->hb_next && d->hb == FCREADER_SEQ_HB_NONE) {
		BAD("heartbeat_next = yes needs a heartbeat rule (heartbeat = count0 or "
		    "OFFSET:WIDTH:be|le=VALUE)");
	}
	if (d->hb == FCREADER_SEQ_HB_COUNT0 && d->count.width == 0) {
		BAD("heartbeat = count0 needs a count field (count = OFFSET:WIDTH:be|le)");
	}
	if (d->has_end && d->count.width == 0) {
		BAD("end needs a count field (count = OFFSET:WIDTH:be|le)");
	}
	d->min_len = header_len(d);
	return 0;
}

int fcreader_seq_decoder_parse(const char *spec, struct fcreader_seq_decoder *d, char *err,
			       size_t errlen)
{
	const struct fcreader_seq_decoder *b;
	struct fcreader_seq_field f;
	char buf[512], msg[256];
	const char *r;

	memset(d, 0, sizeof(*d));
	if (strncmp(spec, "generic:", 8) != 0) {
		b = fcreader_seq_builtin_find(spec);
		if (!b) {
			BAD("--gaps %s: unknown decoder; known: %s, generic:OFFSET:WIDTH:be|le"
			    "[,count=...,session=...] or a [decoder NAME] of the config file",
			    spec, fcreader_seq_builtin_names());
		}
		*d = *b;
		return 0;
	}
	snprintf(d->name, sizeof(d->name), "generic");
	if (parse_field(spec + 8, &f, &r) < 0 || (*r && *r != ',')) {
		BAD("--gaps %s: expected generic:OFFSET:WIDTH:be|le (OFFSET a byte offset in the "
		    "UDP payload 0-65535, WIDTH 1, 2, 4 or 8 bytes), then ,KEY=VALUE extras",
		    spec);
	}
	d->seq = f;
	if (snprintf(buf, sizeof(buf), "%s", r) >= (int)sizeof(buf)) {
		BAD("--gaps %s: too long", spec);
	}

	char *save = NULL;

	for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');

		if (!eq) {
			BAD("--gaps %s: \"%s\" is not KEY=VALUE", spec, kv);
		}
		*eq = '\0';
		if (!strcmp(kv, "based_on")) {
			BAD("--gaps %s: based_on is for [decoder NAME] sections", spec);
		}
		if (fcreader_seq_decoder_set(d, kv, eq + 1, msg, sizeof(msg)) < 0) {
			BAD("--gaps %s: %s: %s", spec, kv, msg);
		}
	}
	if (fcreader_seq_decoder_check(d, msg, sizeof(msg)) < 0) {
		BAD("--gaps %s: %s", spec, msg);
	}
	return 0;
}
