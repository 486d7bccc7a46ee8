/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stat_ring.c - the ring's own side of feedcap-stat's view: the producer's counters, ports,
 * state and clock, this reader's losses, every registered reader.  Taken once per report so
 * that one report's numbers all come from the same moment.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stat_tool.h"

static uint64_t ld(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/*
 * The reader registry cannot be read (another feedcap version made it, damaged, permission):
 * the ring's counters are still good, so say so once, naming the file, and go on without the
 * readers.
 */
static void registry_warn(struct stat_ctx *s, int rc)
{
	char link[PATH_MAX], real[PATH_MAX];
	const char *why = "";

	if (rc == s->reg_rc) {
		return;
	}
	s->reg_rc = rc;
	if (ringshm_resolve(s->o.ring, NULL, link, sizeof(link)) != 0 || !realpath(link, real)) {
		snprintf(real, sizeof(real), "%s", s->o.ring);
	}
	if (rc == -EPROTONOSUPPORT) {
		why = " (a registry of another layout version, made by another feedcap version: restarting the capture makes it anew)";
	} else if (rc == -EPROTO) {
		why = " (not a reader registry: remove it, the capture makes it anew)";
	}
	fprintf(stderr, PROG ": warning: %s.readers: cannot list the registered readers: %s%s\n",
		real, strerror(-rc), why);
}

/*
 * Whether the producer process is there.  The heartbeat alone is not enough: a producer that
 * writes rarely (feedcap-replay at a slow archive's own pace) may beat less often than the
 * 2 s we wait, and one in another PID namespace cannot be looked up; either sign of life
 * counts.
 */
static bool producer_alive(struct stat_ctx *s, const struct stat_ring_view *v)
{
	if (v->state != RINGSHM_STATE_RUNNING) {
		return false;
	}
	if (ringshm_reader_producer_alive(s->rd, 2000000000u)) {
		return true;
	}
	return v->pid > 0 && v->pid <= INT_MAX && (kill((pid_t)v->pid, 0) == 0 || errno == EPERM);
}

void stat_ring_view_take(struct stat_ctx *s, struct stat_ring_view *v)
{
	const struct ringshm_ctl *ctl = ringshm_reader_ctl(s->rd);

	memset(v, 0, sizeof(*v));
	v->ok = true;
	v->c.frames = ld(&ctl->counters.frames);
	v->c.bytes = ld(&ctl->counters.bytes);
	v->c.truncated = ld(&ctl->counters.truncated);
	v->c.filtered = ld(&ctl->counters.filtered);
	v->c.nic_imissed = ld(&ctl->counters.nic_imissed);
	v->c.nic_rx_nombuf = ld(&ctl->counters.nic_rx_nombuf);
	v->c.nic_ierrors = ld(&ctl->counters.nic_ierrors);
	v->c.markers = ld(&ctl->counters.markers);
	v->epoch = ld(&ctl->epoch);
	v->pid = ld(&ctl->producer_pid);
	v->state = __atomic_load_n(&ctl->state, __ATOMIC_ACQUIRE);
	v->head = ringshm_reader_head(s->rd);
	v->alive = producer_alive(s, v);
	if (v->alive) {
		char path[64];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%" PRIu64 "/comm", v->pid);
		f = fopen(path, "r");
		if (f) {
			if (fgets(v->producer, sizeof(v->producer), f)) {
				v->producer[strcspn(v->producer, "\n")] = '\0';
			}
			fclose(f);
		}
	}
	v->nports = __atomic_load_n(&ctl->nports, __ATOMIC_RELAXED);
	if (v->nports > RINGSHM_MAX_PORTS) {
		v->nports = RINGSHM_MAX_PORTS;
	}
	for (uint32_t i = 0; i < v->nports; i++) {
		const struct ringshm_port *p = &ctl->ports[i];

		memcpy(v->ports[i].name, p->name, sizeof(p->name));
		v->ports[i].name[sizeof(p->name) - 1] = '\0';
		v->ports[i].rx_frames = ld(&p->rx_frames);
		v->ports[i].rx_bytes = ld(&p->rx_bytes);
		v->ports[i].imissed = ld(&p->imissed);
		v->ports[i].ierrors = ld(&p->ierrors);
		v->ports[i].rx_nombuf = ld(&p->rx_nombuf);
		v->ports[i].filtered = ld(&p->filtered);
	}
	ringshm_reader_stats(s->rd, &v->me);
	v->my_lag = ringshm_reader_lag(s->rd);
	v->nreaders = ringshm_registry_list(s->o.ring, v->readers, RINGSHM_MAX_READERS);
	if (v->nreaders < 0) {
		registry_warn(s, v->nreaders);
		v->nreaders = 0;
	} else {
		s->reg_rc = 0;
	}
	for (int i = 0; i < v->nreaders; i++) {
		v->writer_errors += v->readers[i].write_errors;
		v->writers_blocked += v->readers[i].blocked;
	}
	/* an empty block was never published (timesync would call its size wrong) */
	v->clock_rc = __atomic_load_n(&ctl->clock_len, __ATOMIC_RELAXED) == 0
			      ? -ENODATA
			      : timesync_block_read(s->rd, &v->clock, NULL);
}

const char *stat_producer_state(const struct stat_ring_view *v)
{
	switch (v->state) {
	case RINGSHM_STATE_INIT:
		return "starting";
	case RINGSHM_STATE_RUNNING:
		/* said running, yet neither a heartbeat nor the process: it died unannounced */
		return v->alive ? "running" : "gone";
	case RINGSHM_STATE_STOPPED:
		return "stopped";
	default:
		return "unknown";
	}
}
