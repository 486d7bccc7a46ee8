/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * phc.c - read a PTP hardware clock (/dev/ptpN) against the system clock.
 *
 * PTP_SYS_OFFSET_EXTENDED has the driver read the system clock immediately before and after
 * the PHC read, inside the driver, which is as tight a bracket as software can get (the plain
 * PTP_SYS_OFFSET brackets the whole ioctl).  Of the samples the kernel returns, the tightest
 * is kept.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/ptp_clock.h>

#include "timesync.h"

static uint64_t pct_ns(const struct ptp_clock_time *t)
{
	return (uint64_t)t->sec * 1000000000u + t->nsec;
}

int timesync_phc_read(int fd, unsigned samples, struct timesync_bracket *out)
{
	struct ptp_sys_offset_extended x;
	uint64_t best = UINT64_MAX;
	unsigned i;

	if (samples == 0 || samples > PTP_MAX_SAMPLES) {
		return -EINVAL;
	}
	memset(&x, 0, sizeof(x));
	x.n_samples = samples;
	if (ioctl(fd, PTP_SYS_OFFSET_EXTENDED, &x) < 0) {
		return errno == ENOTTY ? -EOPNOTSUPP : -errno;
	}
	for (i = 0; i < samples; i++) {
		uint64_t before = pct_ns(&x.ts[i][0]);
		uint64_t phc = pct_ns(&x.ts[i][1]);
		uint64_t after = pct_ns(&x.ts[i][2]);

		if (after < before) {
			continue;
		}
		if (after - before < best) {
			best = after - before;
			out->sys_before = before;
			out->counter = phc;
			out->sys_after = after;
		}
	}
	return best == UINT64_MAX ? -EAGAIN : 0;
}
