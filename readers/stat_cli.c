/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stat_cli.c - what the main() of feedcap-stat and feedcap-replay share: the usage-error exit,
 * the stop flag set by SIGINT/SIGTERM, the clock.  Linked into the two programs only (the
 * stop flag is process state, which a library must not have).
 */
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "stat_internal.h"

const char *fcr_cli_prog = "feedcap";

static atomic_bool stop;

void fcr_cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", fcr_cli_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", fcr_cli_prog);
	exit(FCR_CLI_EXIT_USAGE);
}

void fcr_cli_common_option(int c, const char *usage_text)
{
	switch (c) {
	case 'h':
		fputs(usage_text, stdout);
		exit(0);
	case 'V':
		printf("%s %s\n", fcr_cli_prog, FEEDCAP_VERSION);
		exit(0);
	default: /* getopt said what was wrong */
		fprintf(stderr, "Try '%s --help'.\n", fcr_cli_prog);
		exit(FCR_CLI_EXIT_USAGE);
	}
}

static void on_signal(int sig)
{
	(void)sig;
	atomic_store_explicit(&stop, true, memory_order_relaxed);
}

void fcr_cli_catch_stop_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a closed output pipe (| head) ends the tool as ^C does: cleanly, status 0 */
	sigaction(SIGPIPE, &sa, NULL);
}

bool fcr_cli_stopping(void)
{
	return atomic_load_explicit(&stop, memory_order_relaxed);
}

uint64_t fcr_cli_now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Descriptors kept for everything but archives: stdio, the output, libraries. */
#define RESERVED_FDS 16
#define MAX_OPEN_CAP 4096

unsigned int fcr_cli_max_open_files(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > MAX_OPEN_CAP + RESERVED_FDS) {
		return MAX_OPEN_CAP;
	}
	return rl.rlim_cur > RESERVED_FDS + 1 ? (unsigned int)(rl.rlim_cur - RESERVED_FDS) : 1;
}

void fcr_cli_print_notes(const char *notes)
{
	while (*notes) {
		size_t l = strcspn(notes, "\n");

		fprintf(stderr, "%s: %.*s\n", fcr_cli_prog, (int)l, notes);
		notes += l + (notes[l] == '\n');
	}
}
