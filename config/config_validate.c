// SPDX-License-Identifier: BSD-3-Clause
/*
 * config_validate.c - fcc_validate(): the checks that span keys and sections, once every value
 * has parsed (a ring smaller than its chunks, two rings on one file, two ports on one device, a
 * job on the poller's core, ring references resolved, ...).
 */
#include "config_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *where(const struct fcc_config *cfg)
{
	return cfg->path[0] ? cfg->path : "command line";
}

/* Resolve a ring reference: "" means the only ring. */
static int resolve_ring(struct fcc_config *cfg, char *ring, unsigned line, unsigned sline,
			const char *key, bool need, struct fcc_error *err)
{
	unsigned i;

	if (!ring[0]) {
		if (cfg->nrings != 1 && !need) {
			return 0; /* nothing refers to a ring here */
		}
		if (cfg->nrings == 1) {
			snprintf(ring, FCC_NAME_MAX, "%s", cfg->rings[0].name);
			return 0;
		}
		if (cfg->nrings == 0) {
			if (!need) {
				return 0;
			}
			fcc_err_set(
				err, where(cfg), sline, key,
				"no [ring NAME] section: add one (e.g. [ring md] with size = 1G)");
			return -EINVAL;
		}
		fcc_err_set(err, where(cfg), sline, key,
			    "%u rings are defined: say which one with ring = NAME", cfg->nrings);
		return -EINVAL;
	}
	for (i = 0; i < cfg->nrings; i++) {
		if (!strcmp(cfg->rings[i].name, ring)) {
			return 0;
		}
	}
	fcc_not_found(cfg, SEC_RING, ring, where(cfg), line, key, err);
	return -EINVAL;
}

int fcc_validate(struct fcc_config *cfg, unsigned flags, struct fcc_error *err)
{
	struct fcc_error local;
	unsigned i, j;
	bool capture = flags & FCC_VALIDATE_CAPTURE;
	char a[32], b[32];

	if (!err) {
		err = &local;
	}
	memset(err, 0, sizeof(*err));

	for (i = 0; i < cfg->nrings; i++) {
		const struct fcc_ring *r = &cfg->rings[i];

		if (r->size < r->chunk_size) {
			fcc_fmt_size(r->size, a, sizeof(a));
			fcc_fmt_size(r->chunk_size, b, sizeof(b));
			fcc_err_set(err, where(cfg), r->line, "ring.size",
				    "[ring %s]: size %s is smaller than chunk_size %s", r->name, a,
				    b);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (!strcmp(r->path, cfg->rings[j].path)) {
				fcc_err_set(err, where(cfg), r->line, "ring.path",
					    "[ring %s] and [ring %s] use the same file %s", r->name,
					    cfg->rings[j].name, r->path);
				return -EINVAL;
			}
		}
	}
	for (i = 0; i < cfg->nfeeds; i++) {
		const struct fcc_feed *f = &cfg->feeds[i];
		const char *missing = !f->a[0]	       ? "a"
				      : !f->b[0]       ? "b"
				      : !f->decoder[0] ? "decoder"
						       : NULL;

		if (missing) {
			fcc_err_set(err, where(cfg), f->line, "feed",
				    "[feed %s] has no %s: a feed needs a = GROUP[:PORT], b = "
				    "GROUP[:PORT] and decoder = NAME",
				    f->name, missing);
			return -EINVAL;
		}
	}
	for (i = 0; i < cfg->nports; i++) {
		const struct fcc_port *p = &cfg->ports[i];

		if (!p->device[0]) {
			fcc_err_set(
				err, where(cfg), p->line, "port.device",
				"[port %s] has no device: give a PCI address (0000:3b:00.0) or DPDK virtual device arguments (net_pcap0,rx_pcap=FILE)",
				p->name);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (!strcmp(p->device, cfg->ports[j].device)) {
				fcc_err_set(err, where(cfg), p->line, "port.device",
					    "[port %s] and [port %s] are the same device %s",
					    p->name, cfg->ports[j].name, p->device);
				return -EINVAL;
			}
		}
	}

	/* The capture section: only checked in full when the capture is what is being run. */
	if (resolve_ring(cfg, cfg->capture.ring, cfg->capture.ring_line, cfg->capture.line,
			 "capture.ring", capture || cfg->capture.line, err) < 0) {
		return -EINVAL;
	}
	if (cfg->capture.poller_core == cfg->capture.control_core) {
		fcc_err_set(
			err, where(cfg), cfg->capture.line, "capture.poller_core",
			"poller_core and control_core are both %d: the poller needs a core of its own",
			cfg->capture.poller_core);
		return -EINVAL;
	}
	if (cfg->capture.igmp_version < 3) {
		for (i = 0; i < cfg->capture.ngroups; i++) {
			if (cfg->capture.groups[i].has_source) {
				fcc_err_set(
					err, where(cfg), cfg->capture.groups_line, "capture.groups",
					"source-specific groups (SOURCE@GROUP) need igmp_version = 3");
				return -EINVAL;
			}
		}
	}
	if (capture && cfg->nports == 0) {
		fcc_err_set(
			err, where(cfg), cfg->capture.line, "capture",
			"no [port NAME] section: the capture has nothing to poll (add [port a] with device = 0000:3b:00.0)");
		return -EINVAL;
	}

	for (i = 0; i < cfg->njobs; i++) {
		struct fcc_job *jb = &cfg->jobs[i];

		if (resolve_ring(cfg, jb->ring, jb->ring_line, jb->line, "job.ring", true, err) <
		    0) {
			return -EINVAL;
		}
		if (jb->has_cpus && fcc_cpuset_has(&jb->cpus, cfg->capture.poller_core)) {
			fcc_err_set(
				err, where(cfg), jb->line, "job.cpus",
				"[job %s] may run on CPU %d, the capture's poller core: a reader there starves the poller",
				jb->name, cfg->capture.poller_core);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (!strcmp(jb->directory, cfg->jobs[j].directory) &&
			    !strcmp(jb->file_name, cfg->jobs[j].file_name)) {
				fcc_err_set(
					err, where(cfg), jb->line, "job.directory",
					"[job %s] and [job %s] would write the same files in %s: give each its own directory or file_name",
					jb->name, cfg->jobs[j].name, jb->directory);
				return -EINVAL;
			}
		}
	}
	return 0;
}
