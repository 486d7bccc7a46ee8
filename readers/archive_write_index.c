/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * archive_write_index.c - the per-directory archive index (FCR_INDEX_NAME), JSON lines via
 * json-c.  It is rewritten whole into a temporary file and renamed over the old one, so a
 * reader never sees half an index and a crash leaves the previous one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "fcreader.h"

static int fail(struct fcr_error *err, int code, const char *path, const char *what)
{
	if (err) {
		err->code = code;
		snprintf(err->msg, sizeof(err->msg), "%.400s: %s: %s", path, what, strerror(-code));
	}
	return code;
}

static uint64_t get_u64(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v)) {
		return 0;
	}
	return (uint64_t)json_object_get_uint64(v);
}

int fcr_index_read(const char *dir, struct fcr_index_ent **out, struct fcr_error *err)
{
	char path[4096], *line = NULL;
	struct fcr_index_ent *ents = NULL;
	size_t cap = 0, lcap = 0;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, FCR_INDEX_NAME);
	*out = NULL;
	f = fopen(path, "r");
	if (!f) {
		return fail(err, -errno, path, "cannot open the index");
	}
	while (getline(&line, &lcap, f) > 0) {
		struct json_object *o = json_tokener_parse(line), *v;
		struct fcr_index_ent *e;

		if (!o) {
			continue;
		}
		if (!json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, "file", &v)) {
			json_object_put(o);
			continue;
		}
		if ((size_t)n == cap) {
			size_t nc = cap ? 2 * cap : 64;
			struct fcr_index_ent *ne = realloc(ents, nc * sizeof(*ne));

			if (!ne) {
				json_object_put(o);
				free(ents);
				free(line);
				fclose(f);
				return fail(err, -ENOMEM, path, "reading the index");
			}
			ents = ne;
			cap = nc;
		}
		e = &ents[n++];
		memset(e, 0, sizeof(*e));
		snprintf(e->file, sizeof(e->file), "%s", json_object_get_string(v));
		e->first_ts = get_u64(o, "first_ts");
		e->last_ts = get_u64(o, "last_ts");
		e->frames = get_u64(o, "frames");
		e->bytes = get_u64(o, "bytes");
		if (json_object_object_get_ex(o, "format", &v)) {
			e->format = strcmp(json_object_get_string(v), "pcapng") == 0
					    ? FCR_FMT_PCAPNG
					    : FCR_FMT_PCAP;
		}
		if (json_object_object_get_ex(o, "zstd", &v)) {
			e->zstd = json_object_get_boolean(v);
		}
		json_object_put(o);
	}
	free(line);
	fclose(f);
	*out = ents;
	return n;
}

static int put_line(FILE *f, const struct fcr_index_ent *e)
{
	struct json_object *o = json_object_new_object();
	char t[48];
	int rc;

	if (!o) {
		return -ENOMEM;
	}
	json_object_object_add(o, "file", json_object_new_string(e->file));
	json_object_object_add(o, "first_ts", json_object_new_uint64(e->first_ts));
	json_object_object_add(o, "last_ts", json_object_new_uint64(e->last_ts));
	json_object_object_add(o, "first",
			       json_object_new_string(fcr_format_time(e->first_ts, t, sizeof(t))));
	json_object_object_add(o, "last",
			       json_object_new_string(fcr_format_time(e->last_ts, t, sizeof(t))));
	json_object_object_add(o, "frames", json_object_new_uint64(e->frames));
	json_object_object_add(o, "bytes", json_object_new_uint64(e->bytes));
	json_object_object_add(
		o, "format",
		json_object_new_string(e->format == FCR_FMT_PCAPNG ? "pcapng" : "pcap"));
	json_object_object_add(o, "zstd", json_object_new_boolean(e->zstd));
	rc = fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) < 0
		     ? -EIO
		     : 0;
	json_object_put(o);
	return rc;
}

int fcr_index_add(const char *dir, const struct fcr_index_ent *ent, struct fcr_error *err)
{
	char path[4096], tmp[4200], file[4400];
	struct fcr_index_ent *ents = NULL;
	int n, i, rc = 0, fd;
	struct stat sb;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, FCR_INDEX_NAME);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	n = fcr_index_read(dir, &ents, NULL);
	if (n < 0) {
		n = 0;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(ents);
		return fail(err, -errno, tmp, "cannot write the index");
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		free(ents);
		return fail(err, -errno, tmp, "cannot write the index");
	}
	for (i = 0; i < n && rc == 0; i++) {
		if (strcmp(ents[i].file, ent->file) == 0) {
			continue;
		}
		snprintf(file, sizeof(file), "%s/%s", dir, ents[i].file);
		if (stat(file, &sb) != 0) {
			continue; /* rotated away (-W) or removed by hand */
		}
		rc = put_line(f, &ents[i]);
	}
	if (rc == 0) {
		rc = put_line(f, ent);
	}
	free(ents);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		rc = -errno;
	}
	if (fclose(f) != 0 && rc == 0) {
		rc = -errno;
	}
	if (rc == 0 && rename(tmp, path) != 0) {
		rc = -errno;
	}
	if (rc < 0) {
		unlink(tmp);
		return fail(err, rc, path, "cannot update the index");
	}
	return 0;
}
