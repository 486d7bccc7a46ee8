/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ptp.c - what ptp4l says, and the clock state feedcap derives from it.
 *
 * ptp4l is asked four things each poll: TIME_STATUS_NP (offset from the master, whether a
 * grandmaster is present and which, when the last Sync came in), PORT_DATA_SET (the port's
 * state: only SLAVE means the servo is locked), TIME_PROPERTIES_DATA_SET (the UTC offset and
 * whether the PTP timescale is in use) and PORT_PROPERTIES_NP (software or hardware
 * timestamping: with software timestamping ptp4l's clock IS the system clock, so nobody
 * needs phc2sys).
 *
 * Why the Sync ingress time matters: when the master disappears, ptp4l keeps its port SLAVE
 * and reports the last offset until the announce receipt timeout (6 s with the defaults) and
 * longer on some profiles.  An ingress time that stops moving is the earliest sign, so it
 * drives `holdover` before ptp4l itself notices.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "timesync.h"
#include "timesync_internal.h"

#define TS_SOFTWARE 0 /* linuxptp enum timestamp_type */

struct timesync_ptp {
	struct timesync_ptp_params p;
	struct pmc_client pmc;
	bool pmc_ok;
	int phc_fd;
	enum timesync_state state;
	uint64_t state_since_ns;
	bool ever_reached;
	bool ever_locked;
	uint64_t last_locked_ns;
	int64_t last_ingress;
	uint64_t ingress_seen_ns; /* when last_ingress last changed */
	uint64_t last_update_ns;
	uint32_t polls_failed;
	struct timesync_ptp_obs last_obs;
	struct timesync_offset_sample *hist;
	uint32_t hist_n, hist_next;
	/* The state machine runs on the time feed() is given (CLOCK_MONOTONIC from poll(), so a
	 * step of the system clock - ptp4l's own first step, a leap second - cannot shorten or
	 * stretch a holdover); published times are that plus this, CLOCK_REALTIME. */
	int64_t disp_off;
};

struct timesync_ptp *timesync_ptp_open(const struct timesync_ptp_params *p,
				       struct timesync_error *err)
{
	struct timesync_ptp *t = calloc(1, sizeof(*t));
	int rc;

	if (t == NULL) {
		return NULL;
	}
	t->phc_fd = -1;
	t->pmc.fd = -1;
	if (p != NULL) {
		t->p = *p;
	}
	if (t->p.ptp4l_socket == NULL) {
		t->p.ptp4l_socket = TIMESYNC_DEFAULT_PTP4L_SOCKET;
	}
	if (t->p.local_dir == NULL) {
		t->p.local_dir = "/var/run";
	}
	if (t->p.timeout_ms == 0) {
		t->p.timeout_ms = 200;
	}
	if (t->p.threshold_ns == 0) {
		t->p.threshold_ns = TIMESYNC_DEFAULT_THRESHOLD_NS;
	}
	if (t->p.holdover_ns == 0) {
		t->p.holdover_ns = TIMESYNC_DEFAULT_HOLDOVER_NS;
	}
	if (t->p.stale_ns == 0) {
		t->p.stale_ns = UINT64_C(4000000000);
	}
	if (t->p.history == 0) {
		t->p.history = 64;
	}
	t->hist = calloc(t->p.history, sizeof(*t->hist));
	if (t->hist == NULL) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	if (t->p.disabled) {
		return t;
	}
	rc = pmc_open(&t->pmc, t->p.ptp4l_socket, t->p.local_dir, t->p.domain, t->p.timeout_ms);
	if (rc < 0) {
		if (err != NULL) {
			err->code = rc;
			if (rc == -ENAMETOOLONG) {
				snprintf(
					err->msg, sizeof(err->msg),
					"ptp4l socket %s or local dir %s: path too long for a UNIX socket (107 bytes)",
					t->p.ptp4l_socket, t->p.local_dir);
			} else {
				snprintf(err->msg, sizeof(err->msg),
					 "cannot bind a management client socket in %s: %s",
					 t->p.local_dir, strerror(-rc));
			}
		}
		free(t->hist);
		free(t);
		errno = -rc;
		return NULL;
	}
	t->pmc_ok = true;
	if (t->p.phc_device != NULL) {
		t->phc_fd = open(t->p.phc_device, O_RDONLY | O_CLOEXEC);
		if (t->phc_fd < 0) {
			int e = errno;

			if (err != NULL) {
				err->code = -e;
				snprintf(err->msg, sizeof(err->msg), "%s: %s", t->p.phc_device,
					 strerror(e));
			}
			pmc_close(&t->pmc);
			free(t->hist);
			free(t);
			errno = e;
			return NULL;
		}
	}
	return t;
}

void timesync_ptp_close(struct timesync_ptp *t)
{
	if (t == NULL) {
		return;
	}
	if (t->pmc_ok) {
		pmc_close(&t->pmc);
	}
	if (t->phc_fd >= 0) {
		close(t->phc_fd);
	}
	free(t->hist);
	free(t);
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++) {
		v = (v << 8) | p[i];
	}
	return v;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Port states in the order PORT_DATA_SET reports the best one: SLAVE first. */
static int port_rank(uint8_t ps)
{
	switch (ps) {
	case TIMESYNC_PS_SLAVE:
		return 4;
	case 8: /* UNCALIBRATED */
		return 3;
	case 6: /* MASTER */
	case 7: /* PASSIVE */
		return 2;
	case 4: /* LISTENING */
		return 1;
	default:
		return 0;
	}
}

int timesync_ptp_query(struct timesync_ptp *t, struct timesync_ptp_obs *o)
{
	struct pmc_resp r[8];
	int n, i;

	memset(o, 0, sizeof(*o));
	o->timestamping = -1;
	if (!t->pmc_ok) {
		return 0;
	}
	n = pmc_get(&t->pmc, PMC_MID_TIME_STATUS_NP, r, 1);
	if (n <= 0) {
		/* ENOENT, ECONNREFUSED, a timeout: ptp4l is not there.  Not our failure. */
		return (n == 0 || n == -ENOENT || n == -ECONNREFUSED || n == -EACCES) ? 0 : n;
	}
	if (r[0].error == 0 && r[0].len >= 50) {
		const uint8_t *d = r[0].data;

		o->reachable = true;
		o->master_offset_ns = (int64_t)be64(d);
		o->ingress_ns = (int64_t)be64(d + 8);
		/* +16 cumulativeScaledRateOffset, +20 scaledLastGmPhaseChange,
		 * +24 gmTimeBaseIndicator, +26 lastGmPhaseChange (12), +38 gmPresent */
		o->gm_present = be32(d + 38) != 0;
		memcpy(o->gm_identity, d + 42, 8);
	}
	if (!o->reachable) {
		return 0;
	}
	n = pmc_get(&t->pmc, PMC_MID_PORT_DATA_SET, r, 8);
	for (i = 0; i < n; i++) {
		/* portIdentity (10), portState, logMinDelayReqInterval, peerMeanPathDelay (8),
		 * logAnnounceInterval, announceReceiptTimeout, logSyncInterval, ... */
		if (r[i].error != 0 || r[i].len < 26) {
			continue;
		}
		if (!o->have_port || port_rank(r[i].data[10]) > port_rank(o->port_state)) {
			o->have_port = true;
			o->port_state = r[i].data[10];
			o->log_sync_interval = (int8_t)r[i].data[22];
		}
	}
	n = pmc_get(&t->pmc, PMC_MID_TIME_PROPERTIES_DATA_SET, r, 1);
	if (n > 0 && r[0].error == 0 && r[0].len >= 4) {
		o->have_tp = true;
		o->utc_offset = (int16_t)((r[0].data[0] << 8) | r[0].data[1]);
		o->tp_flags = r[0].data[2];
		o->time_source = r[0].data[3];
	}
	n = pmc_get(&t->pmc, PMC_MID_PORT_PROPERTIES_NP, r, 8);
	for (i = 0; i < n; i++) {
		/* portIdentity (10), port_state, timestamping, interface (PTPText) */
		if (r[i].error == 0 && r[i].len >= 12) {
			o->timestamping = r[i].data[11];
			break;
		}
	}
	if (t->phc_fd >= 0 && o->timestamping != TS_SOFTWARE) {
		struct timesync_bracket b;

		if (timesync_phc_read(t->phc_fd, 9, &b) == 0) {
			int64_t phc_utc = (int64_t)b.counter;

			/* A PHC on the PTP timescale runs TAI: take the UTC offset out. */
			if (o->have_tp && (o->tp_flags & 0x08)) {
				phc_utc -= (int64_t)o->utc_offset * 1000000000;
			}
			o->have_sys_offset = true;
			o->sys_offset_ns =
				(int64_t)(b.sys_before + (b.sys_after - b.sys_before) / 2) -
				phc_utc;
		}
	}
	return 0;
}

/* A state machine time as CLOCK_REALTIME (0 stays 0: "never"). */
static uint64_t disp(const struct timesync_ptp *t, uint64_t ns)
{
	return ns == 0 ? 0 : (uint64_t)((int64_t)ns + t->disp_off);
}

/* now - then, 0 if the clock went back meanwhile (durations must not wrap). */
static uint64_t elapsed(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

static void hist_add(struct timesync_ptp *t, uint64_t now, const struct timesync_ptp_obs *o)
{
	struct timesync_offset_sample *s = &t->hist[t->hist_next];

	s->sys_ns = now;
	s->offset_ns = o->master_offset_ns;
	s->port_state = o->port_state;
	t->hist_next = (t->hist_next + 1) % t->p.history;
	if (t->hist_n < t->p.history) {
		t->hist_n++;
	}
}

int timesync_ptp_history(const struct timesync_ptp *t, struct timesync_offset_sample *out, int max)
{
	uint32_t i, n = t->hist_n < (uint32_t)max ? t->hist_n : (uint32_t)max;

	for (i = 0; i < n; i++) {
		out[i] = t->hist[(t->hist_next + t->p.history - n + i) % t->p.history];
		out[i].sys_ns = disp(t, out[i].sys_ns);
	}
	return (int)n;
}

static void fill_status(struct timesync_ptp *t, const struct timesync_ptp_obs *o,
			struct timesync_ptp_status *out)
{
	struct timesync_block_ptp *b = &out->blk;
	double sq = 0;
	uint32_t i;

	memset(out, 0, sizeof(*out));
	out->state = t->state;
	b->state = (uint8_t)t->state;
	b->reachable = o->reachable;
	b->port_state = o->have_port ? o->port_state : 0;
	b->gm_present = o->gm_present;
	memcpy(b->gm_identity, o->gm_identity, 8);
	b->offset_ns = o->master_offset_ns;
	if (o->have_tp) {
		b->utc_offset = o->utc_offset;
		b->tp_flags = o->tp_flags;
		b->time_source = o->time_source;
	}
	b->updated_ns = disp(t, t->last_update_ns);
	b->state_since_ns = disp(t, t->state_since_ns);
	b->last_locked_ns = t->ever_locked ? disp(t, t->last_locked_ns) : 0;
	b->polls_failed = t->polls_failed;
	b->history_n = t->hist_n;
	for (i = 0; i < t->hist_n; i++) {
		int64_t v = t->hist[i].offset_ns;

		if (i == 0 || v < b->offset_min_ns) {
			b->offset_min_ns = v;
		}
		if (i == 0 || v > b->offset_max_ns) {
			b->offset_max_ns = v;
		}
		sq += (double)v * (double)v;
	}
	b->offset_rms_ns = t->hist_n ? (uint64_t)llround(sqrt(sq / t->hist_n)) : 0;
	if (!o->reachable) {
		out->sys_sync = TIMESYNC_SYS_UNKNOWN;
	} else if (o->timestamping == TS_SOFTWARE) {
		out->sys_sync = TIMESYNC_SYS_IS_PTP;
	} else if (o->have_sys_offset) {
		b->sys_offset_ns = o->sys_offset_ns;
		out->sys_sync = (uint64_t)llabs(o->sys_offset_ns) <= t->p.threshold_ns
					? TIMESYNC_SYS_IN_STEP
					: TIMESYNC_SYS_OFF_STEP;
	} else {
		out->sys_sync = TIMESYNC_SYS_UNKNOWN;
	}
}

void timesync_ptp_feed(struct timesync_ptp *t, const struct timesync_ptp_obs *o, uint64_t now,
		       struct timesync_ptp_status *out)
{
	enum timesync_state s;
	bool good = false;

	if (t->p.disabled) {
		s = TIMESYNC_FREE_RUNNING;
	} else {
		if (o->reachable) {
			t->ever_reached = true;
			t->polls_failed = 0;
			t->last_update_ns = now;
			if (o->ingress_ns != t->last_ingress || t->ingress_seen_ns == 0) {
				t->last_ingress = o->ingress_ns;
				t->ingress_seen_ns = now;
			}
			hist_add(t, now, o);
			good = o->have_port && o->port_state == TIMESYNC_PS_SLAVE &&
			       o->gm_present && elapsed(now, t->ingress_seen_ns) <= t->p.stale_ns &&
			       (uint64_t)llabs(o->master_offset_ns) <= t->p.threshold_ns;
		} else {
			t->polls_failed++;
		}
		if (good) {
			s = TIMESYNC_LOCKED;
			t->ever_locked = true;
			t->last_locked_ns = now;
		} else if (t->ever_locked && elapsed(now, t->last_locked_ns) < t->p.holdover_ns) {
			s = TIMESYNC_HOLDOVER;
		} else if (t->ever_reached) {
			s = TIMESYNC_UNLOCKED;
		} else {
			s = TIMESYNC_FREE_RUNNING;
		}
	}
	if (s != t->state || t->state_since_ns == 0) {
		t->state = s;
		t->state_since_ns = now;
	}
	t->last_obs = *o;
	fill_status(t, o, out);
}

int timesync_ptp_poll(struct timesync_ptp *t, struct timesync_ptp_status *out)
{
	struct timesync_ptp_obs o;
	struct timespec mono, real;
	int rc = timesync_ptp_query(t, &o);
	uint64_t m;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	m = (uint64_t)mono.tv_sec * 1000000000u + (uint64_t)mono.tv_nsec;
	t->disp_off = (int64_t)((uint64_t)real.tv_sec * 1000000000u + (uint64_t)real.tv_nsec - m);
	timesync_ptp_feed(t, &o, m, out);
	return rc;
}

static const char *const port_states[] = {
	[1] = "INITIALIZING", [2] = "FAULTY",	    [3] = "DISABLED",
	[4] = "LISTENING",    [5] = "PRE_MASTER",   [6] = "MASTER",
	[7] = "PASSIVE",      [8] = "UNCALIBRATED", [9] = "SLAVE",
};

const char *timesync_port_state_name(uint8_t ps)
{
	if (ps == 0 || ps >= sizeof(port_states) / sizeof(port_states[0])) {
		return "?";
	}
	return port_states[ps];
}
