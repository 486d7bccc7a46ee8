/* SPDX-License-Identifier: BSD-3-Clause */
/* fctest.c - see fctest.h. */
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "fctest.h"
#include "ringshm.h"

static bool in_group(gid_t gid)
{
	gid_t groups[256];
	int i, n;

	if (getegid() == gid) {
		return true;
	}
	n = getgroups(256, groups);
	for (i = 0; i < n; i++) {
		if (groups[i] == gid) {
			return true;
		}
	}
	return false;
}

const char *fctest_ring_group(void)
{
	static char own[16];
	const struct group *g;

	if (geteuid() == 0) {
		return NULL;
	}
	g = getgrnam(RINGSHM_GROUP);
	if (!g || in_group(g->gr_gid)) {
		return NULL;
	}
	snprintf(own, sizeof(own), "%u", (unsigned)getegid());
	return own;
}
