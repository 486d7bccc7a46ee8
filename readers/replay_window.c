/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * replay_window.c - honest windows: when --from or --to asks for time the archives do not
 * hold, say what they do hold (oldest and newest record), rather than quietly starting later
 * or stopping earlier than asked.  --require-window turns that into exit status 1.
 */
#include <stdio.h>

#include "replay_internal.h"

bool replay_window(const struct archset_picks *p, const struct replay_opts *o)
{
	char a[48], b[48], t[48];
	bool missing = false;

	if (!o->from_set && !o->to_set) {
		return false;
	}
	if (!p->have_oldest && !p->newest_known) {
		return false; /* standard input, or files only probed: nothing known to compare */
	}
	if (!p->have_oldest) {
		fprintf(stderr, PROG ": the archives hold no record: nothing of %s..%s\n",
			o->from_set ? fcr_format_time(o->from, a, sizeof(a)) : "the start",
			o->to_set ? fcr_format_time(o->to, b, sizeof(b)) : "the end");
		return true;
	}
	fcr_format_time(p->oldest, a, sizeof(a));
	fcr_format_time(p->newest, b, sizeof(b));
	if (o->from_set && o->from < p->oldest) {
		fprintf(stderr, PROG ": --from %s is before the oldest record held (%s)\n",
			fcr_format_time(o->from, t, sizeof(t)), a);
		missing = true;
	}
	if (o->from_set && p->newest_known && o->from > p->newest) {
		fprintf(stderr, PROG ": --from %s is after the newest record held (%s)\n",
			fcr_format_time(o->from, t, sizeof(t)), b);
		missing = true;
	}
	/* --to is exclusive: newest + 1 ns is the whole of what is held */
	if (o->to_set && p->newest_known && o->to > p->newest + 1) {
		fprintf(stderr, PROG ": --to %s is after the newest record held (%s)\n",
			fcr_format_time(o->to, t, sizeof(t)), b);
		missing = true;
	}
	if (o->to_set && o->to <= p->oldest) {
		fprintf(stderr, PROG ": --to %s is before the oldest record held (%s)\n",
			fcr_format_time(o->to, t, sizeof(t)), a);
		missing = true;
	}
	if (missing) {
		if (p->newest_known) {
			fprintf(stderr, PROG ": the archives hold %s to %s\n", a, b);
		} else {
			fprintf(stderr, PROG ": the archives hold records from %s on\n", a);
		}
	}
	return missing;
}
