/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eal.c - starting and stopping the DPDK EAL so that a failure says why.
 *
 * rte_eal_init() logs its reasons and returns -1, but on several paths (the primary's config
 * lock among them) leaves rte_errno at 0: "initialisation failed: Success" is all a caller
 * could say.  So while the EAL starts, its log goes through a stream of ours that copies it to
 * stdout, as the EAL's console stream does, and keeps the first error-level line: the cause.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_log.h>

#include "capture_internal.h"

static struct {
	char line[512];
	size_t len;
	int level;	     /* of the message the line belongs to */
	char first_err[512]; /* the first line logged at RTE_LOG_ERR or worse */
} tee;

static void tee_line_done(void)
{
	tee.line[tee.len] = '\0';
	if (tee.level <= (int)RTE_LOG_ERR && tee.level > 0 && !tee.first_err[0] && tee.len) {
		snprintf(tee.first_err, sizeof(tee.first_err), "%s", tee.line);
	}
	tee.len = 0;
}

static ssize_t tee_write(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	/* Where the EAL's own console stream writes (stdout; journald takes both). */
	if (fwrite(buf, 1, size, stdout) != size) {
		return -1;
	}
	fflush(stdout);
	for (size_t i = 0; i < size; i++) {
		if (tee.len == 0) {
			tee.level = (int)rte_log_cur_msg_loglevel();
		}
		if (buf[i] == '\n') {
			tee_line_done();
		} else if (tee.len < sizeof(tee.line) - 1) {
			tee.line[tee.len++] = buf[i];
		}
	}
	return (ssize_t)size;
}

/* The EAL's runtime directory (/var/run/dpdk/PREFIX), known once it started. */
static char runtime_dir[PATH_MAX];

/*
 * With --in-memory the runtime directory holds only the telemetry socket, which DPDK's
 * telemetry removes in an atexit() handler of its own.  Registered before rte_eal_init(), this
 * one runs after it and removes the directory, now empty.  rmdir() refuses a directory that is
 * not empty, so another process's files there (a prefix given twice) are never touched.
 */
static void remove_runtime_dir(void)
{
	if (runtime_dir[0]) {
		(void)rmdir(runtime_dir);
	}
}

int cap_eal_init(int argc, char **argv, const char *prefix, char *why, size_t whylen)
{
	cookie_io_functions_t fns = { .write = tee_write };
	FILE *f = fopencookie(NULL, "w", fns);
	const char *cause;
	int rc, e;

	atexit(remove_runtime_dir);
	memset(&tee, 0, sizeof(tee));
	if (f) {
		setvbuf(f, NULL, _IOLBF, 0);
		rte_openlog_stream(f);
	}
	rc = rte_eal_init(argc, argv);
	e = rte_errno;
	if (f) {
		fflush(f);
		if (tee.len) {
			tee_line_done();
		}
		/* Back to the EAL's own console stream for the rest of the run. */
		rte_openlog_stream(NULL);
		fclose(f);
	}
	if (rc >= 0) {
		snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
		return rc;
	}
	cause = tee.first_err;
	if (!strncmp(cause, "EAL: ", 5)) {
		cause += 5;
	}
	if (!cause[0]) {
		cause = e ? rte_strerror(e) : "the EAL gave no reason (see its messages above)";
	}
	if (strstr(cause, "Cannot create lock")) {
		snprintf(
			why, whylen,
			"%s: another DPDK primary process runs with EAL file prefix %s: give this capture a --file-prefix of its own after -- (by default each ring gets feedcap-RING)",
			cause, prefix && *prefix ? prefix : "(the one given after --)");
	} else {
		snprintf(why, whylen, "%s", cause);
	}
	return e == EINVAL ? -EINVAL : -EIO;
}

void cap_eal_cleanup(void)
{
	rte_eal_cleanup();
}
