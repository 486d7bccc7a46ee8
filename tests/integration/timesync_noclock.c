/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * timesync_noclock.c - LD_PRELOAD library that makes every clock-setting call a successful
 * no-op, so a ptp4l slave with software timestamping (whose clock IS the machine's
 * CLOCK_REALTIME, which network namespaces do not isolate) runs its servo, reaches SLAVE, and
 * never touches the clock of the machine the test runs on.
 *
 * Reads pass through: clock_adjtime()/adjtimex() with modes == 0 only query the kernel.
 * Anything that would set the time, the frequency, the offset, the TAI offset or the status
 * (leap second flags) returns success without a system call.  FEEDCAP_NOCLOCK_LOG=path appends
 * one line per swallowed call, so the test can prove the library was in the path.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

static void note(const char *what, long mode)
{
	const char *path = getenv("FEEDCAP_NOCLOCK_LOG");
	char line[96];
	int fd, n;

	if (path == NULL) {
		return;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		return;
	}
	n = snprintf(line, sizeof(line), "%d %s 0x%lx\n", (int)getpid(), what, mode);
	if (n > 0 && write(fd, line, (size_t)n) < 0) {
		/* nothing to do: the log is a courtesy */
	}
	close(fd);
}

int clock_adjtime(clockid_t clk, struct timex *tx)
{
	if (tx->modes == 0) {
		return (int)syscall(SYS_clock_adjtime, clk, tx);
	}
	note("clock_adjtime", (long)tx->modes);
	return TIME_OK; /* what a kernel that obeyed would say */
}

int adjtimex(struct timex *tx)
{
	return clock_adjtime(CLOCK_REALTIME, tx);
}

int ntp_adjtime(struct timex *tx)
{
	return clock_adjtime(CLOCK_REALTIME, tx);
}

int clock_settime(clockid_t clk, const struct timespec *ts)
{
	(void)clk;
	(void)ts;
	note("clock_settime", 0);
	return 0;
}

int settimeofday(const struct timeval *tv, const struct timezone *tz)
{
	(void)tv;
	(void)tz;
	note("settimeofday", 0);
	return 0;
}

int adjtime(const struct timeval *delta, struct timeval *olddelta)
{
	(void)delta;
	if (olddelta != NULL) {
		memset(olddelta, 0, sizeof(*olddelta));
	}
	note("adjtime", 0);
	return 0;
}
