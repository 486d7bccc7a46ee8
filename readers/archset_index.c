/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archset_index.c - the index file: its lines (JSON via json-c), its lock, appending, reading.
 *
 * Why append under flock() and not a rewrite by rename: two archive jobs sharing a directory
 * each rewrote the whole index from what they had read a moment before, and a job's line
 * written in between was lost.  A line is now one write() of a descriptor opened O_APPEND,
 * under LOCK_EX, then fsync(): the lock orders whole lines (a write() to a regular file may be
 * cut short, and O_APPEND alone does not stop a reader from seeing half of one), and a crash
 * can only leave the last line incomplete.  Readers skip such a line, and the next writer
 * starts its line on a fresh line, so a torn line never swallows the next one.
 *
 * archset_reindex() is the one rewrite: it holds LOCK_EX on the old file while it writes the
 * new one and renames it over, so a writer that was waiting for the lock wakes up holding a
 * file that is no longer the index.  Every locker therefore checks, once it has the lock, that
 * the name still points at its inode, and opens it again otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "archset_internal.h"

/* ------------------------------------------------------------------ warnings, errors */

void archset_warnf(struct archset_warn *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!w) {
		return;
	}
	if (w->nlines >= ARCHSET_WARN_MAX) {
		w->more++;
		return;
	}
	for (;;) {
		size_t room = w->cap - w->len;

		if (w->buf && room > 2) {
			va_start(ap, fmt);
			n = vsnprintf(w->buf + w->len, room - 1, fmt, ap);
			va_end(ap);
			if (n >= 0 && (size_t)n < room - 1) {
				w->len += (size_t)n;
				w->buf[w->len++] = '\n';
				w->buf[w->len] = '\0';
				w->nlines++;
				return;
			}
		}

		size_t nc = w->cap ? 2 * w->cap : 1024;
		char *nb = realloc(w->buf, nc);

		if (!nb) {
			w->more++; /* a warning lost to memory: counted at least */
			return;
		}
		if (!w->buf) {
			nb[0] = '\0';
		}
		w->buf = nb;
		w->cap = nc;
	}
}

const char *archset_warn_str(struct archset_warn *w)
{
	if (w->more) {
		unsigned int more = w->more;

		w->more = 0;
		w->nlines = 0; /* room for the summary line */
		archset_warnf(w, "(%u more warnings like these)", more);
		w->nlines = ARCHSET_WARN_MAX;
	}
	return w->buf ? w->buf : "";
}

void archset_warn_free(struct archset_warn *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

int archset_fail(struct fcr_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

int archset_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

const char *archset_base_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* ------------------------------------------------------------------ vectors */

struct archset_ent *archset_vec_push(struct archset_vec *vec)
{
	if (vec->n == vec->cap) {
		size_t nc = vec->cap ? 2 * vec->cap : 64;
		struct archset_ent *nv = realloc(vec->v, nc * sizeof(*nv));
		bool *ns;

		if (!nv) {
			return NULL;
		}
		vec->v = nv;
		ns = realloc(vec->stale, nc * sizeof(*ns));
		if (!ns) {
			return NULL;
		}
		vec->stale = ns;
		vec->cap = nc;
	}
	memset(&vec->v[vec->n], 0, sizeof(vec->v[0]));
	vec->stale[vec->n] = false;
	return &vec->v[vec->n++];
}

void archset_vec_free(struct archset_vec *vec)
{
	free(vec->v);
	free(vec->stale);
	memset(vec, 0, sizeof(*vec));
}

/* ------------------------------------------------------------------ the file and its lock */

int archset_index_path(const char *dir, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", dir, ARCHSET_INDEX_NAME);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int archset_index_lock(const char *dir, bool exclusive, struct fcr_error *err)
{
	char path[4096];
	int tries;

	if (archset_index_path(dir, path, sizeof(path)) < 0) {
		return archset_fail(err, -ENAMETOOLONG, "%.200s...: directory name too long", dir);
	}
	for (tries = 0; tries < 100; tries++) {
		int fd = exclusive ? open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644)
				   : open(path, O_RDONLY | O_CLOEXEC);
		struct stat a, b;

		if (fd < 0) {
			int e = errno;

			return archset_fail(err, -e, "%s: cannot open the index%s: %s", path,
					    exclusive ? " for writing" : "", strerror(e));
		}
		while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0) {
			if (errno != EINTR) {
				int e = errno;

				close(fd);
				return archset_fail(err, -e, "%s: cannot lock the index: %s", path,
						    strerror(e));
			}
		}
		/* A reindex may have renamed a new index over the one we locked: lock that. */
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev) {
			return fd;
		}
		close(fd);
	}
	return archset_fail(err, -EAGAIN, "%s: the index keeps being replaced", path);
}

/* ------------------------------------------------------------------ lines out */

static void add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static char *to_line(struct json_object *o, size_t *len)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	size_t n = s ? strlen(s) : 0;
	char *line = s ? malloc(n + 2) : NULL;

	if (line) {
		memcpy(line, s, n);
		line[n] = '\n';
		line[n + 1] = '\0';
		*len = n + 1;
	}
	json_object_put(o);
	return line;
}

/*
 * The fields an entry shares with its index line ("path" first when given: --list --json),
 * without the version, the seek points and data_off.
 */
static struct json_object *ent_object(const struct archset_ent *e, const char *path)
{
	struct json_object *o = json_object_new_object();
	char t[48];

	if (!o) {
		return NULL;
	}
	if (path) {
		json_object_object_add(o, "path", json_object_new_string(path));
	} else {
		add_u64(o, "v", ARCHSET_INDEX_VERSION);
	}
	json_object_object_add(o, "file", json_object_new_string(e->file));
	add_u64(o, "first_ts", e->first_ts);
	add_u64(o, "last_ts", e->last_ts);
	json_object_object_add(o, "first",
			       json_object_new_string(fcr_format_time(e->first_ts, t, sizeof(t))));
	json_object_object_add(o, "last",
			       json_object_new_string(fcr_format_time(e->last_ts, t, sizeof(t))));
	add_u64(o, "frames", e->frames);
	add_u64(o, "bytes", e->bytes);
	json_object_object_add(
		o, "format",
		json_object_new_string(e->format == FCR_FMT_PCAPNG ? "pcapng" : "pcap"));
	json_object_object_add(o, "zstd", json_object_new_boolean(e->zstd));
	json_object_object_add(o, "multiframe", json_object_new_boolean(e->multiframe));
	json_object_object_add(o, "pattern", json_object_new_string(e->pattern));
	json_object_object_add(o, "ring", json_object_new_string(e->ring));
	add_u64(o, "ring_id", e->ring_id);
	add_u64(o, "epoch", e->epoch);
	add_u64(o, "first_seq", e->first_seq);
	add_u64(o, "last_seq", e->last_seq);
	add_u64(o, "lost_before", e->lost_before);
	if (e->repaired || path) {
		json_object_object_add(o, "repaired", json_object_new_boolean(e->repaired));
	}
	return o;
}

char *archset_ent_json(const struct archset_ent *e, const char *path)
{
	struct json_object *o = ent_object(e, path);
	size_t len;
	char *line;

	if (!o) {
		return NULL;
	}
	line = to_line(o, &len);
	if (line) {
		line[len - 1] = '\0'; /* no newline */
	}
	return line;
}

char *archset_index_line(const struct archset_ent *e, size_t *len)
{
	struct json_object *o = ent_object(e, NULL), *seek;
	uint32_t i;

	if (!o) {
		return NULL;
	}
	add_u64(o, "data_off", e->data_off);
	seek = json_object_new_array_ext((int)e->nseek);
	for (i = 0; seek && i < e->nseek && i < ARCHSET_MAX_SEEK; i++) {
		struct json_object *pt = json_object_new_array_ext(2);
		uint64_t rel = e->seek[i].max_ts_before >= e->first_ts
				       ? e->seek[i].max_ts_before - e->first_ts
				       : 0;

		json_object_array_add(pt, json_object_new_uint64(e->seek[i].off));
		json_object_array_add(pt, json_object_new_uint64(rel));
		json_object_array_add(seek, pt);
	}
	json_object_object_add(o, "seek", seek);
	return to_line(o, len);
}

char *archset_index_tomb_line(const char *file, size_t *len)
{
	struct json_object *o = json_object_new_object();

	if (!o) {
		return NULL;
	}
	add_u64(o, "v", ARCHSET_INDEX_VERSION);
	json_object_object_add(o, "removed", json_object_new_string(file));
	return to_line(o, len);
}

int archset_index_write_locked(int fd, const char *buf, size_t len)
{
	struct stat st;
	char last = '\n';

	/* A line a crash left incomplete must not swallow ours: start on a new line. */
	if (fstat(fd, &st) != 0) {
		return -errno;
	}
	if (st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) != 1) {
		return -errno;
	}
	if (last != '\n') {
		if (write(fd, "\n", 1) != 1) {
			return errno ? -errno : -EIO;
		}
	}
	for (;;) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			return -errno;
		}
		if ((size_t)n != len) {
			/*
			 * Cut short (disk full): the torn tail is skipped by readers; say so
			 * rather than write the rest as a second piece.
			 */
			return -ENOSPC;
		}
		break;
	}
	return fsync(fd) == 0 ? 0 : -errno;
}

static int append(const char *dir, const char *line, size_t len, const char *what,
		  struct fcr_error *err)
{
	char path[4096];
	int fd, rc;

	if (!line) {
		return archset_fail(err, -ENOMEM, "%s/%s: out of memory", dir, ARCHSET_INDEX_NAME);
	}
	fd = archset_index_lock(dir, true, err);
	if (fd < 0) {
		return fd;
	}
	rc = archset_index_write_locked(fd, line, len);
	close(fd); /* drops the lock */
	if (rc < 0) {
		archset_index_path(dir, path, sizeof(path));
		return archset_fail(err, rc, "%s: cannot append %s: %s", path, what, strerror(-rc));
	}
	return 0;
}

static bool plain_name(const char *file)
{
	return file[0] && !strchr(file, '/') && strcmp(file, ".") != 0 && strcmp(file, "..") != 0;
}

int archset_index_append(const char *dir, const struct archset_ent *e, struct fcr_error *err)
{
	size_t len = 0;
	char *line;
	int rc;

	if (!plain_name(e->file)) {
		return archset_fail(err, -EINVAL, "%s: index entry \"%s\": not a file name", dir,
				    e->file);
	}
	line = archset_index_line(e, &len);
	rc = append(dir, line, len, e->file, err);
	free(line);
	return rc;
}

int archset_index_remove(const char *dir, const char *file, struct fcr_error *err)
{
	size_t len = 0;
	char *line;
	int rc;

	if (!plain_name(file)) {
		return archset_fail(err, -EINVAL, "%s: tombstone \"%s\": not a file name", dir,
				    file);
	}
	line = archset_index_tomb_line(file, &len);
	rc = append(dir, line, len, file, err);
	free(line);
	return rc;
}

int archset_index_forget(const char *dir, const char *file, struct fcr_error *err)
{
	struct archset_rec *recs = NULL;
	unsigned int lineno = 0;
	size_t nrecs = 0, i, len = 0;
	bool listed = false;
	char path[4096], *line;
	uint64_t end;
	int fd, rc;

	if (!plain_name(file)) {
		return archset_fail(err, -EINVAL, "%s: tombstone \"%s\": not a file name", dir,
				    file);
	}
	if (archset_index_path(dir, path, sizeof(path)) < 0 || access(path, F_OK) != 0) {
		return 0; /* no index (or none that can be named): nothing listed */
	}
	/* Read and append under one lock: no line can come between the look and the tombstone. */
	fd = archset_index_lock(dir, true, err);
	if (fd < 0) {
		return fd;
	}
	rc = archset_index_parse(fd, path, 0, &recs, &nrecs, &lineno, &end, NULL);
	for (i = 0; rc == 0 && i < nrecs; i++) {
		if (strcmp(recs[i].e.file, file) == 0) {
			listed = !recs[i].tomb;
		}
	}
	free(recs);
	if (rc == 0 && listed) {
		line = archset_index_tomb_line(file, &len);
		rc = line ? archset_index_write_locked(fd, line, len) : -ENOMEM;
		free(line);
	}
	close(fd);
	if (rc < 0) {
		return archset_fail(err, rc, "%s: cannot remove %s before it is written again: %s",
				    path, file, strerror(-rc));
	}
	return listed ? 1 : 0;
}

/* ------------------------------------------------------------------ lines in */

static bool get_u64(struct json_object *o, const char *key, uint64_t *v)
{
	struct json_object *x;

	if (!json_object_object_get_ex(o, key, &x) || !json_object_is_type(x, json_type_int)) {
		return false;
	}
	*v = json_object_get_uint64(x);
	return true;
}

static void get_str(struct json_object *o, const char *key, char *out, size_t len)
{
	struct json_object *x;

	if (json_object_object_get_ex(o, key, &x) && json_object_is_type(x, json_type_string)) {
		snprintf(out, len, "%s", json_object_get_string(x));
	}
}

static bool get_bool(struct json_object *o, const char *key)
{
	struct json_object *x;

	return json_object_object_get_ex(o, key, &x) && json_object_get_boolean(x);
}

static void get_seek(struct json_object *o, struct archset_ent *e)
{
	struct json_object *arr;
	size_t i, n;

	if (!json_object_object_get_ex(o, "seek", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		return;
	}
	n = json_object_array_length(arr);
	for (i = 0; i < n && e->nseek < ARCHSET_MAX_SEEK; i++) {
		struct json_object *pt = json_object_array_get_idx(arr, i), *a, *b;

		if (!json_object_is_type(pt, json_type_array) ||
		    json_object_array_length(pt) != 2) {
			continue;
		}
		a = json_object_array_get_idx(pt, 0);
		b = json_object_array_get_idx(pt, 1);
		if (!json_object_is_type(a, json_type_int) ||
		    !json_object_is_type(b, json_type_int)) {
			continue;
		}
		archset_seek_add(e, json_object_get_uint64(a),
				 e->first_ts + json_object_get_uint64(b));
	}
}

/* One line into rec; false (with *why) if it is not an index line. */
static bool parse_line(struct json_object *o, struct archset_rec *rec, const char **why)
{
	struct archset_ent *e = &rec->e;
	struct json_object *x;
	uint64_t v = 1;
	char fmt[16] = "";

	if (!json_object_is_type(o, json_type_object)) {
		*why = "not a JSON object";
		return false;
	}
	if (get_u64(o, "v", &v) && v > ARCHSET_INDEX_VERSION) {
		*why = "written by a newer feedcap (index version above 2)";
		return false;
	}
	if (json_object_object_get_ex(o, "removed", &x)) {
		get_str(o, "removed", e->file, sizeof(e->file));
		rec->tomb = true;
		if (!plain_name(e->file)) {
			*why = "\"removed\" is not a file name";
			return false;
		}
		return true;
	}
	get_str(o, "file", e->file, sizeof(e->file));
	if (!plain_name(e->file)) {
		*why = "no \"file\", or not a file name";
		return false;
	}
	/* Without these the line cannot place the file in time: read the file instead. */
	rec->stale = !get_u64(o, "first_ts", &e->first_ts) | !get_u64(o, "last_ts", &e->last_ts) |
		     !get_u64(o, "frames", &e->frames) | !get_u64(o, "bytes", &e->bytes);
	get_str(o, "format", fmt, sizeof(fmt));
	e->format = strcmp(fmt, "pcapng") == 0 ? FCR_FMT_PCAPNG : FCR_FMT_PCAP;
	e->zstd = get_bool(o, "zstd");
	e->multiframe = get_bool(o, "multiframe");
	e->repaired = get_bool(o, "repaired");
	get_str(o, "pattern", e->pattern, sizeof(e->pattern));
	get_str(o, "ring", e->ring, sizeof(e->ring));
	get_u64(o, "ring_id", &e->ring_id);
	get_u64(o, "epoch", &e->epoch);
	get_u64(o, "first_seq", &e->first_seq);
	get_u64(o, "last_seq", &e->last_seq);
	get_u64(o, "lost_before", &e->lost_before);
	get_u64(o, "data_off", &e->data_off);
	get_seek(o, e);
	return true;
}

static int read_from(int fd, uint64_t from, char **out, size_t *len)
{
	struct stat st;
	size_t n = 0, cap;
	char *buf;

	if (fstat(fd, &st) != 0) {
		return -errno;
	}
	cap = st.st_size > (off_t)from ? (size_t)(st.st_size - (off_t)from) + 1 : 1;
	buf = malloc(cap + 1);
	if (!buf) {
		return -ENOMEM;
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *nb = realloc(buf, 2 * cap + 1);

			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		r = pread(fd, buf + n, cap - n, (off_t)(from + n));
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r < 0) {
			int e = -errno;

			free(buf);
			return e;
		}
		if (r == 0) {
			break;
		}
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int archset_index_parse(int fd, const char *path, uint64_t from, struct archset_rec **recs,
			size_t *nrecs, unsigned int *lineno, uint64_t *end, struct archset_warn *w)
{
	struct json_tokener *tok = json_tokener_new();
	size_t len = 0, pos = 0, cap = *nrecs;
	char *buf = NULL;
	int rc;

	if (!tok) {
		return -ENOMEM;
	}
	rc = read_from(fd, from, &buf, &len);
	if (rc < 0) {
		json_tokener_free(tok);
		return rc;
	}
	while (pos < len) {
		char *nl = memchr(buf + pos, '\n', len - pos);
		size_t ll;
		struct json_object *o;
		const char *why = NULL;

		++*lineno;
		if (!nl) {
			archset_warnf(w,
				      "%s:%u: incomplete last line (a writer was interrupted): "
				      "skipped",
				      path, *lineno);
			break;
		}
		ll = (size_t)(nl - (buf + pos));
		if (ll == 0 || strspn(buf + pos, " \t\r") == ll) {
			pos += ll + 1;
			continue; /* blank (a separator a writer added after a torn line) */
		}
		json_tokener_reset(tok);
		o = json_tokener_parse_ex(tok, buf + pos, (int)ll);
		if (!o || json_tokener_get_error(tok) != json_tokener_success ||
		    json_tokener_get_parse_end(tok) < ll) {
			size_t rest = o ? json_tokener_get_parse_end(tok) : 0;

			/* trailing blanks after the object are fine */
			if (!o || strspn(buf + pos + rest, " \t\r") != ll - rest) {
				archset_warnf(w, "%s:%u: not a JSON line: skipped", path, *lineno);
				json_object_put(o);
				pos += ll + 1;
				continue;
			}
		}
		if (*nrecs == cap) {
			size_t nc = cap ? 2 * cap : 256;
			struct archset_rec *nr = realloc(*recs, nc * sizeof(*nr));

			if (!nr) {
				json_object_put(o);
				rc = -ENOMEM;
				break;
			}
			*recs = nr;
			cap = nc;
		}
		memset(&(*recs)[*nrecs], 0, sizeof(**recs));
		if (parse_line(o, &(*recs)[*nrecs], &why)) {
			(*recs)[*nrecs].line = *lineno;
			++*nrecs;
		} else {
			archset_warnf(w, "%s:%u: %s: skipped", path, *lineno, why);
		}
		json_object_put(o);
		pos += ll + 1;
	}
	*end = from + pos;
	free(buf);
	json_tokener_free(tok);
	return rc;
}

static int cmp_rec(const void *a, const void *b)
{
	const struct archset_rec *x = a, *y = b;
	int c = strcmp(x->e.file, y->e.file);

	if (c) {
		return c;
	}
	return x->line < y->line ? -1 : x->line > y->line;
}

int archset_index_resolve(struct archset_rec *recs, size_t nrecs, struct archset_vec *out)
{
	size_t i;

	if (nrecs > 1) { /* recs may be NULL when there is none: qsort() must not see it */
		qsort(recs, nrecs, sizeof(*recs), cmp_rec);
	}
	for (i = 0; i < nrecs; i++) {
		struct archset_ent *e;

		if (i + 1 < nrecs && strcmp(recs[i].e.file, recs[i + 1].e.file) == 0) {
			continue; /* a later line names this file: it wins */
		}
		if (recs[i].tomb) {
			continue;
		}
		e = archset_vec_push(out);
		if (!e) {
			return -ENOMEM;
		}
		*e = recs[i].e;
		out->stale[out->n - 1] = recs[i].stale;
	}
	return 0;
}

int archset_index_entries(const char *dir, struct archset_vec *vec, struct fcr_error *err)
{
	struct archset_rec *recs = NULL;
	size_t nrecs = 0;
	unsigned int lineno = 0;
	uint64_t end;
	char path[4096];
	int fd, rc;

	fd = archset_index_lock(dir, false, err);
	if (fd == -ENOENT) {
		return 0;
	}
	if (fd < 0) {
		return fd;
	}
	archset_index_path(dir, path, sizeof(path));
	rc = archset_index_parse(fd, path, 0, &recs, &nrecs, &lineno, &end, NULL);
	close(fd);
	if (rc == 0) {
		rc = archset_index_resolve(recs, nrecs, vec);
	}
	free(recs);
	if (rc < 0) {
		archset_fail(err, rc, "%s: cannot read the index: %s", path, strerror(-rc));
	}
	return rc;
}
