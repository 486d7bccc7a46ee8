/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ealargs.c - the EAL options feedcap-capture adds so that several captures share a host.
 *
 * DPDK keeps a primary process's state under /var/run/dpdk/PREFIX and, unless told otherwise,
 * backs its memory with PREFIXmap_N files in the hugetlbfs mount.  With the default prefix
 * ("rte") a second capture on the same host fails to lock /var/run/dpdk/rte/config, and every
 * run leaves its map files holding hugepages after it exits.  So each capture gets a prefix of
 * its own, derived from its ring (two captures never share a ring: ringshm refuses the second
 * producer first), and runs --in-memory.
 *
 * Why --in-memory rather than --huge-unlink: both map the same hugepages, populated and pinned
 * when the EAL or a mempool allocates them, so neither adds a page fault to the poller's loop
 * (everything it touches is allocated before it starts, then mlockall()ed).  --in-memory also
 * writes no shared config, fbarray or lock files, so a capture killed with SIGKILL leaves
 * nothing behind.  What it gives up, DPDK secondary processes (dpdk-pdump, dpdk-proc-info),
 * feedcap does not use: its readers attach to the ring, never to DPDK.
 */
#include <stdio.h>
#include <string.h>

#include "capture.h"

/* Characters kept in a prefix as they are (it becomes a directory and file-name part). */
static bool prefix_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_' || ch == '.';
}

/* FNV-1a, 32 bits: tells apart two rings whose names read the same once shortened. */
static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h = (h ^ (uint8_t)*s) * 16777619u;
	}
	return h;
}

int capture_eal_prefix(const char *ring, char *out, size_t outlen)
{
	const char *base = strrchr(ring, '/');
	bool plain = !base;
	char name[CAPTURE_EAL_PREFIX_NAME + 1];
	size_t i, n;
	int len;

	base = base ? base + 1 : ring;
	n = strlen(base);
	if (n > CAPTURE_EAL_PREFIX_NAME) {
		n = CAPTURE_EAL_PREFIX_NAME;
		plain = false;
	}
	for (i = 0; i < n; i++) {
		if (!prefix_char(base[i])) {
			plain = false;
		}
		name[i] = prefix_char(base[i]) ? base[i] : '_';
	}
	name[n] = '\0';
	if (n == 0 || name[0] == '.') {
		plain = false;
	}
	/*
	 * A plain ring name is the prefix as it is (an operator finds /var/run/dpdk/feedcap-md);
	 * a path, or a name that had to be changed, gets a hash of the whole so that two rings
	 * never share a prefix.
	 */
	if (plain) {
		len = snprintf(out, outlen, "feedcap-%s", name);
	} else {
		len = snprintf(out, outlen, "feedcap-%s-%08x", name, fnv1a(ring));
	}
	return len < 0 || (size_t)len >= outlen ? -1 : 0;
}

/* Whether the EAL arguments hold option opt, alone or as opt=VALUE. */
static bool has_opt(int argc, char *const *argv, const char *opt)
{
	size_t n = strlen(opt);

	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], opt, n) && (argv[i][n] == '\0' || argv[i][n] == '=')) {
			return true;
		}
	}
	return false;
}

int capture_eal_defaults(const struct capture_opts *o, char *prefix, size_t prefixlen,
			 const char **add, int maxadd)
{
	int n = 0;

	prefix[0] = '\0';
	if (maxadd < 3) {
		return -1;
	}
	if (!has_opt(o->eal_argc, o->eal_argv, "--file-prefix")) {
		if (capture_eal_prefix(o->ring, prefix, prefixlen) < 0) {
			return -1;
		}
		add[n++] = "--file-prefix";
		add[n++] = prefix;
	}
	/* The user chose how memory is backed: respect it (--no-huge runs, tests). */
	if (!has_opt(o->eal_argc, o->eal_argv, "--in-memory") &&
	    !has_opt(o->eal_argc, o->eal_argv, "--huge-unlink") &&
	    !has_opt(o->eal_argc, o->eal_argv, "--no-huge")) {
		add[n++] = "--in-memory";
	}
	return n;
}
