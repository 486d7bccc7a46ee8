/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * attach.c - attach to a ring at a start position, and the parsers for the times, durations
 * and sizes the reader tools take on their command lines.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fcreader.h"

#define NS_PER_S UINT64_C(1000000000)

static int fail(struct fcr_error *err, int code, const char *fmt, const char *v)
{
	if (err) {
		err->code = code;
		snprintf(err->msg, sizeof(err->msg), fmt, v);
	}
	return code;
}

/*
 * A decimal "123" or "123.456" at *s: the value times unit, exactly (integers throughout,
 * so "0.1s" is 100000000 ns and never 99999999).  Moves *s past the digits.
 */
static int parse_decimal(const char **s, uint64_t unit, uint64_t *out)
{
	unsigned __int128 ip = 0, fp = 0, scale = 1, v;
	const char *p = *s;
	bool digits = false;

	while (isdigit((unsigned char)*p)) {
		ip = ip * 10 + (unsigned)(*p++ - '0');
		digits = true;
		if (ip > UINT64_MAX) {
			return -ERANGE;
		}
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (scale < (unsigned __int128)NS_PER_S * 1000) {
				fp = fp * 10 + (unsigned)(*p - '0');
				scale *= 10;
			}
			p++;
			digits = true;
		}
	}
	if (!digits) {
		return -EINVAL;
	}
	v = ip * unit + fp * unit / scale;
	if (v > UINT64_MAX) {
		return -ERANGE;
	}
	*out = (uint64_t)v;
	*s = p;
	return 0;
}

int fcr_parse_duration(const char *s, uint64_t *ns, struct fcr_error *err)
{
	static const struct {
		const char *suffix;
		uint64_t unit;
	} units[] = {
		{ "ns", 1 },
		{ "us", 1000 },
		{ "ms", 1000000 },
		{ "s", NS_PER_S },
		{ "m", 60 * NS_PER_S },
		{ "min", 60 * NS_PER_S },
		{ "h", 3600 * NS_PER_S },
		{ "d", 86400 * NS_PER_S },
		{ "", NS_PER_S },
	};
	const char *p, *num_end;
	uint64_t dummy;
	size_t i;

	if (!s) {
		return fail(err, -EINVAL, "missing duration%s", "");
	}
	p = s;
	if (parse_decimal(&p, 1, &dummy) != 0) {
		return fail(
			err, -EINVAL,
			"bad duration '%s': expected a number with an optional unit ns, us, ms, s, m, h or d (e.g. 30s, 1.5s, 500ms)",
			s);
	}
	num_end = p;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(num_end, units[i].suffix) == 0) {
			p = s;
			if (parse_decimal(&p, units[i].unit, ns) != 0) {
				return fail(err, -ERANGE, "duration '%s' is too large", s);
			}
			return 0;
		}
	}
	return fail(
		err, -EINVAL,
		"bad duration '%s': expected a number with an optional unit ns, us, ms, s, m, h or d (e.g. 30s, 1.5s, 500ms)",
		s);
}

int fcr_parse_size(const char *s, uint64_t *bytes, struct fcr_error *err)
{
	static const struct {
		const char *suffix;
		uint64_t unit;
	} units[] = {
		{ "", 1 },
		{ "k", 1024 },
		{ "K", 1024 },
		{ "KiB", 1024 },
		{ "M", 1024 * 1024 },
		{ "MiB", 1024 * 1024 },
		{ "G", UINT64_C(1) << 30 },
		{ "GiB", UINT64_C(1) << 30 },
		{ "T", UINT64_C(1) << 40 },
		{ "TiB", UINT64_C(1) << 40 },
		{ "kB", 1000 },
		{ "KB", 1000 },
		{ "MB", 1000000 },
		{ "GB", 1000000000 },
		{ "TB", UINT64_C(1000000000000) },
	};
	const char *p = s;
	uint64_t dummy;
	size_t i;

	if (!s || parse_decimal(&p, 1, &dummy) != 0) {
		return fail(
			err, -EINVAL,
			"bad size '%s': expected a number with an optional unit K, M, G, T (powers of 1024) or kB, MB, GB, TB (powers of 1000)",
			s ? s : "");
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].suffix) == 0) {
			p = s;
			if (parse_decimal(&p, units[i].unit, bytes) != 0) {
				return fail(err, -ERANGE, "size '%s' is too large", s);
			}
			return 0;
		}
	}
	return fail(
		err, -EINVAL,
		"bad size '%s': expected a number with an optional unit K, M, G, T (powers of 1024) or kB, MB, GB, TB (powers of 1000)",
		s);
}

static const char time_forms[] =
	"bad time '%s': expected ISO 8601 (2026-11-22T00:10:00Z, 2026-11-22T00:10:00.5+01:00, 2026-11-22 00:10:00 (UTC), 2026-11-22) or seconds since the epoch (1795000000, 1795000000.25, @1795000000)";

int fcr_parse_time(const char *s, uint64_t *ns, struct fcr_error *err)
{
	struct tm tm;
	const char *p;
	uint64_t frac = 0, secs;
	int64_t off = 0;
	time_t t;

	if (!s || !*s) {
		return fail(err, -EINVAL, time_forms, s ? s : "");
	}
	p = s[0] == '@' ? s + 1 : s;
	/* Epoch seconds: only digits and at most one dot (a date has dashes). */
	if (strspn(p, "0123456789.") == strlen(p)) {
		if (parse_decimal(&p, NS_PER_S, ns) != 0 || *p) {
			return fail(err, -EINVAL, time_forms, s);
		}
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%d", &tm);
	if (!p) {
		return fail(err, -EINVAL, time_forms, s);
	}
	if (*p == 'T' || *p == ' ' || *p == 't') {
		const char *q = strptime(p + 1, "%H:%M:%S", &tm);

		if (!q) {
			q = strptime(p + 1, "%H:%M", &tm);
		}
		if (!q) {
			return fail(err, -EINVAL, time_forms, s);
		}
		p = q;
		if (*p == '.' || *p == ',') {
			char buf[32];
			const char *d = p + 1;
			size_t n = strspn(d, "0123456789");

			if (n == 0 || n >= sizeof(buf) - 2) {
				return fail(err, -EINVAL, time_forms, s);
			}
			buf[0] = '0';
			buf[1] = '.';
			memcpy(buf + 2, d, n);
			buf[n + 2] = '\0';
			d = buf;
			if (parse_decimal(&d, NS_PER_S, &frac) != 0) {
				return fail(err, -EINVAL, time_forms, s);
			}
			p = p + 1 + n;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1;
			unsigned hh, mm = 0;
			int n = 0;

			if (sscanf(p + 1, "%2u:%2u%n", &hh, &mm, &n) == 2 ||
			    sscanf(p + 1, "%2u%2u%n", &hh, &mm, &n) == 2 ||
			    sscanf(p + 1, "%2u%n", &hh, &n) == 1) {
				off = sign * (int64_t)(hh * 3600 + mm * 60);
				p += 1 + n;
			} else {
				return fail(err, -EINVAL, time_forms, s);
			}
		}
	}
	if (*p) {
		return fail(err, -EINVAL, time_forms, s);
	}
	t = timegm(&tm);
	if (t == (time_t)-1 || (int64_t)t - off < 0) {
		return fail(err, -EINVAL, time_forms, s);
	}
	secs = (uint64_t)((int64_t)t - off);
	*ns = secs * NS_PER_S + frac;
	return 0;
}

char *fcr_format_time(uint64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / NS_PER_S);
	struct tm tm;
	char date[24];

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09" PRIu64 "Z", date, ns % NS_PER_S);
	return buf;
}

int fcr_parse_from(const char *s, struct fcr_from *from, struct fcr_error *err)
{
	memset(from, 0, sizeof(*from));
	if (!s) {
		return fail(err, -EINVAL, "missing --from value%s", "");
	}
	if (strcmp(s, "newest") == 0) {
		from->kind = FCR_FROM_NEWEST;
		return 0;
	}
	if (strcmp(s, "oldest") == 0) {
		from->kind = FCR_FROM_OLDEST;
		return 0;
	}
	if (s[0] == '-') {
		struct fcr_error e;

		from->kind = FCR_FROM_AGO;
		if (fcr_parse_duration(s + 1, &from->ago_ns, &e) != 0) {
			return fail(
				err, -EINVAL,
				"bad --from '%s': expected newest, oldest, -DURATION (e.g. -30s) or a time (ISO 8601 or epoch seconds)",
				s);
		}
		return 0;
	}
	from->kind = FCR_FROM_TIME;
	if (fcr_parse_time(s, &from->ts_ns, NULL) != 0) {
		return fail(
			err, -EINVAL,
			"bad --from '%s': expected newest, oldest, -DURATION (e.g. -30s) or a time (ISO 8601 like 2026-11-22T00:10:00Z, or epoch seconds)",
			s);
	}
	return 0;
}

/*
 * The timestamp of the newest record the ring holds.  The chunk index gives the first
 * timestamp of the chunk head is in; reading from there to head (at most one chunk) finds the
 * newest.  The scan goes through the ordinary reader API, so a record overwritten under it is
 * never trusted.  If the index entry is stale (the chunk is being rewritten) the scan starts at
 * the oldest record instead: slower, same answer.
 */
static int newest_ts(struct ringshm_reader *rd, uint64_t *out)
{
	const struct ringshm_ctl *ctl = ringshm_reader_ctl(rd);
	uint64_t head = ringshm_reader_head(rd);
	uint64_t chunk = ctl->chunk_size, c, ts = 0;
	const struct ringshm_chunk_ent *ent;
	struct ringshm_record rec;
	bool found = false;
	int rc;

	if (head == 0) {
		return -ENOENT;
	}
	c = (head - 1) & ~(chunk - 1);
	ent = &ctl->chunk_index[(c / chunk) % ctl->nchunks];
	/* Pairs with the producer's release store of chunk_pos after first_ts. */
	if (__atomic_load_n(&ent->chunk_pos, __ATOMIC_ACQUIRE) == c) {
		rc = ringshm_reader_seek(rd, RINGSHM_FROM_TIME, ent->first_ts);
	} else {
		rc = ringshm_reader_seek(rd, RINGSHM_FROM_OLDEST, 0);
	}
	if (rc < 0) {
		return rc;
	}
	while (ringshm_reader_pos(rd) < head) {
		rc = ringshm_reader_next(rd, &rec);
		if (rc <= 0) {
			if (rc < 0) {
				return rc;
			}
			break;
		}
		if (rec.pos >= head) {
			(void)ringshm_reader_done(rd);
			break;
		}
		/* Frame time: markers carry the producer's wall clock, not the feed's. */
		if (ringshm_reader_done(rd) && rec.type == RINGSHM_REC_FRAME && rec.ts_ns > ts) {
			ts = rec.ts_ns;
			found = true;
		}
	}
	if (!found) {
		return -ENOENT;
	}
	*out = ts;
	return 0;
}

int fcr_seek(struct ringshm_reader *rd, const struct fcr_from *from)
{
	uint64_t ts;
	int rc;

	if (!from) {
		return ringshm_reader_seek(rd, RINGSHM_FROM_NEWEST, 0);
	}
	switch (from->kind) {
	case FCR_FROM_NEWEST:
		return ringshm_reader_seek(rd, RINGSHM_FROM_NEWEST, 0);
	case FCR_FROM_OLDEST:
		return ringshm_reader_seek(rd, RINGSHM_FROM_OLDEST, 0);
	case FCR_FROM_TIME:
		return ringshm_reader_seek(rd, RINGSHM_FROM_TIME, from->ts_ns);
	case FCR_FROM_AGO: {
		struct ringshm_reader_stats before;

		/*
		 * The scan for the newest timestamp is not reading: what it delivers, and what a
		 * producer lapping it overwrites, must not show in the reader's totals (they
		 * would count as losses of a reader that has not started).
		 */
		ringshm_reader_stats(rd, &before);
		rc = newest_ts(rd, &ts);
		ringshm_reader_restore_stats(rd, &before);
		if (rc == -ENOENT) {
			/* An empty ring: nothing is held, so start live. */
			return ringshm_reader_seek(rd, RINGSHM_FROM_NEWEST, 0);
		}
		if (rc < 0) {
			return rc;
		}
		ts = ts > from->ago_ns ? ts - from->ago_ns : 0;
		return ringshm_reader_seek(rd, RINGSHM_FROM_TIME, ts);
	}
	}
	return -EINVAL;
}

static int ring_window(struct ringshm_reader *rd, uint64_t *oldest, uint64_t *newest)
{
	struct ringshm_record rec;
	int rc;

	/*
	 * The oldest frame: the first one the producer has not overwritten under the look (a
	 * record overwritten moves the cursor to the oldest held; markers are skipped).
	 */
	rc = ringshm_reader_seek(rd, RINGSHM_FROM_OLDEST, 0);
	if (rc < 0) {
		return rc;
	}
	for (;;) {
		rc = ringshm_reader_next(rd, &rec);
		if (rc <= 0) {
			return rc < 0 ? rc : -ENOENT;
		}
		if (ringshm_reader_done(rd) && rec.type == RINGSHM_REC_FRAME) {
			break;
		}
	}
	*oldest = rec.ts_ns;
	rc = newest_ts(rd, newest);
	if (rc < 0) {
		return rc;
	}
	if (*newest < *oldest) {
		*newest = *oldest; /* two ports' clocks: the newest record may be a little older */
	}
	return 0;
}

int fcr_ring_window(struct ringshm_reader *rd, uint64_t *oldest, uint64_t *newest)
{
	struct ringshm_reader_stats before;
	int rc;

	/* A look, not a read: nothing it delivers or loses is the reader's (as fcr_seek()). */
	ringshm_reader_stats(rd, &before);
	rc = ring_window(rd, oldest, newest);
	ringshm_reader_restore_stats(rd, &before);
	return rc;
}

struct ringshm_reader *fcr_attach(const char *ring, const struct fcr_from *from,
				  struct fcr_error *err)
{
	struct ringshm_error rerr = { 0 };
	struct ringshm_reader *rd;
	int rc;

	rd = ringshm_reader_open(ring, &rerr);
	if (!rd) {
		int e = errno;

		if (err) {
			err->code = -e;
			snprintf(err->msg, sizeof(err->msg), "%s", rerr.msg);
		}
		errno = e;
		return NULL;
	}
	rc = fcr_seek(rd, from);
	if (rc < 0) {
		if (err) {
			err->code = rc;
			snprintf(err->msg, sizeof(err->msg),
				 "%s: cannot find the start position: %s", ring, strerror(-rc));
		}
		ringshm_reader_close(rd);
		errno = -rc;
		return NULL;
	}
	return rd;
}
