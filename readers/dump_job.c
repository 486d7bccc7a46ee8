/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dump_job.c - feedcap-dump --job NAME and --check-config: a [job] of feedcap.conf(5) as
 * options, and the job's CPUs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dump_internal.h"

static int config_error(const struct fcc_error *ce)
{
	char msg[FCC_ERROR_MAX];

	fcc_format_error(ce, msg, sizeof(msg));
	fprintf(stderr, "feedcap-dump: %s\n", msg);
	return FCC_EXIT_CONFIG;
}

/* A job's filter must compile: say where it is written when it does not. */
static int check_job_filter(const struct fcc_config *cfg, const struct fcc_job *job)
{
	struct fcr_error err = { 0 };
	struct fcr_filter *f = fcr_filter_compile(job->filter, &err);

	if (!f) {
		fprintf(stderr, "feedcap-dump: %s:%u: job.filter: %s\n", cfg->path,
			job->filter_line ? job->filter_line : job->line, err.msg);
		return FCC_EXIT_CONFIG;
	}
	fcr_filter_free(f);
	return 0;
}

/* --check-config [--config FILE] [--job NAME]: validate, print, exit status. */
int dump_check_config(const struct options *o)
{
	char msg[FCC_ERROR_MAX];
	struct fcc_config *cfg;
	struct fcc_error ce;
	unsigned i;
	int rc;

	rc = fcc_check(o->config, 0, o->job, msg, sizeof(msg));
	if (rc != 0) {
		fprintf(stderr, "feedcap-dump: %s\n", msg);
		return rc;
	}
	cfg = fcc_load(o->config, &ce);
	if (!cfg) {
		return config_error(&ce);
	}
	for (i = 0; i < cfg->njobs && rc == 0; i++) {
		if (!o->job || strcmp(o->job, cfg->jobs[i].name) == 0) {
			rc = check_job_filter(cfg, &cfg->jobs[i]);
		}
	}
	fcc_free(cfg);
	if (rc == 0) {
		printf("%s\n", msg);
	}
	return rc;
}

/*
 * mkdir -p path, but only up to its first component with a strftime conversion: a dated
 * directory ("/var/lib/feedcap/md/%Y%m%d") is made by the dump when a file goes into it, and
 * "%Y%m%d" itself must never be made.
 */
static int mkdirs(const char *path, mode_t mode)
{
	char tmp[PATH_MAX], *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	p = strchr(tmp, '%');
	if (p) {
		while (p > tmp && p[-1] != '/') {
			p--;
		}
		*p = '\0';
		if (!tmp[0]) {
			return 0;
		}
	}
	for (p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(tmp, mode) != 0 && errno != EEXIST) {
				return -errno;
			}
			*p = '/';
		}
	}
	if (mkdir(tmp, mode) != 0 && errno != EEXIST) {
		return -errno;
	}
	return 0;
}

/*
 * --job NAME: take what the command line did not say from [job NAME] of the config file (the
 * command line overrides the file).  *cfgp stays loaded: o->ring points into it.
 */
int dump_apply_job(struct options *o, struct fcc_config **cfgp)
{
	const struct fcc_job *job;
	const struct fcc_ring *ring;
	struct fcc_config *cfg;
	struct fcc_error ce;
	char dir[PATH_MAX];
	int rc;

	cfg = fcc_load(o->config, &ce);
	if (!cfg) {
		return config_error(&ce);
	}
	*cfgp = cfg;
	job = fcc_job_find(cfg, o->job, &ce);
	if (!job) {
		return config_error(&ce);
	}
	ring = fcc_ring_find(cfg, job->ring, &ce);
	if (!ring) {
		return config_error(&ce);
	}
	if (!o->ring) {
		o->ring = ring->path;
	}
	/*
	 * -w on the command line replaces the job's whole output (directory, name, format,
	 * compression, rotation, retention): where and how to write is one decision, and a file
	 * named on the command line must not be rotated away by the job's retention.
	 */
	if (!o->wpat) {
		if (!o->format_set) {
			o->wo.format =
				job->format == FCC_FORMAT_PCAPNG ? FCR_FMT_PCAPNG : FCR_FMT_PCAP;
			o->format_set = true;
		}
		if (!o->zstd_set) {
			o->wo.zstd_level =
				job->compression == FCC_COMPRESSION_ZSTD
					? (job->compression_level ? job->compression_level : 1)
					: 0;
			o->zstd_set = true;
		}
		if (!o->threads_set && o->wo.zstd_level) {
			o->wo.zstd_threads = (int)job->zstd_threads;
		}
		if (!o->rot_size) {
			o->rot_size = job->rotate_size;
		}
		if (!o->rot_ns) {
			if (job->rotate_interval_ns % NS_PER_S) {
				fprintf(stderr,
					"feedcap-dump: %s:%u: job.rotate_interval: use whole seconds for archive rotation\n",
					cfg->path, job->line);
				return FCC_EXIT_CONFIG;
			}
			o->rot_ns = job->rotate_interval_ns;
		}
		if (!o->keep) {
			o->keep = job->retention_files;
		}
		o->retention_age_ns = job->retention_age_ns;
		o->retention_bytes = job->retention_bytes;
	}
	if (!o->from_set) {
		o->from.kind = job->from == FCC_FROM_NEWEST ? FCR_FROM_NEWEST : FCR_FROM_OLDEST;
		o->resume = job->from == FCC_FROM_RESUME;
	}
	if (!o->on_error_set) {
		o->on_error_wait = job->on_error == FCC_ON_ERROR_WAIT;
	}
	if (!o->filter[0] && job->filter[0]) {
		rc = check_job_filter(cfg, job);
		if (rc) {
			return rc;
		}
		free(o->filter);
		o->filter = strdup(job->filter);
		if (!o->filter) {
			return 1;
		}
	}
	if (strcmp(o->reg_name, "feedcap-dump") == 0) {
		o->reg_name = job->name;
	}
	o->has_cpus = job->has_cpus;
	o->cpus = job->cpus;
	if (!o->wpat) {
		if (job->directory[0]) {
			snprintf(dir, sizeof(dir), "%s", job->directory);
		} else {
			snprintf(dir, sizeof(dir), "/var/lib/feedcap/%s", job->name);
		}
		rc = mkdirs(dir, 0750);
		if (rc < 0) {
			fprintf(stderr,
				"feedcap-dump: [job %s]: cannot create the directory %s: %s\n",
				job->name, dir, strerror(-rc));
			return 1;
		}
		snprintf(o->job_wpat, sizeof(o->job_wpat), "%.2000s/%.1000s.%s", dir,
			 job->file_name, fcr_writer_suffix(&o->wo));
		o->wpat = o->job_wpat;
	}
	return 0;
}

void dump_set_affinity(const struct options *o)
{
	cpu_set_t set;
	int cpu, n = 0;

	if (!o->has_cpus) {
		return;
	}
	CPU_ZERO(&set);
	for (cpu = 0; cpu < CPU_SETSIZE && cpu < FCC_MAX_CPUS; cpu++) {
		if (fcc_cpuset_has(&o->cpus, cpu)) {
			CPU_SET(cpu, &set);
			n++;
		}
	}
	if (n && sched_setaffinity(0, sizeof(set), &set) != 0) {
		fprintf(stderr, "feedcap-dump: warning: cannot run on the job's CPUs: %s\n",
			strerror(errno));
	}
}
