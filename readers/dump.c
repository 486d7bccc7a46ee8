/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * feedcap-dump - from the ring to archives.
 *
 *   feedcap-dump --ring PATH|NAME -w FILE|PATTERN|- [options] [filter expression]
 *
 * The loop: take the next record from the ring, copy it out (frames are ~200 bytes: the copy
 * costs less than keeping the producer's bytes under a filter and a compressor), confirm with
 * ringshm_reader_done() that the producer did not overwrite it meanwhile, then filter and write
 * the copy.  A record the producer overwrote is counted lost by ringshm, exactly, and the loss
 * becomes a comment in a pcapng archive.
 *
 * Files are written as NAME.part, fsynced, then renamed, so a directory listing never shows a
 * half-written archive under its final name; each directory keeps an index of what it holds.
 * On a write error the file is cut back to its last durable frame and sealed valid, the error
 * names the file and the cause, and the tool either stops (exit 1) or, with --on-error=wait,
 * retries every second and resumes at the first frame not in the file, if the ring still has
 * it (what it no longer has is counted lost).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fcreader.h"
#include "feedcap_config.h"
#include "timesync.h"

#define NS_PER_S	 UINT64_C(1000000000)
#define DEFAULT_ZSTD_LVL 1
#define IDLE_WAIT_NS	 (100 * 1000 * 1000)
#define RETRY_NS	 NS_PER_S

#ifndef FEEDCAP_VERSION
#define FEEDCAP_VERSION "0.1.0"
#endif

static volatile sig_atomic_t quit_sig;
static volatile sig_atomic_t usr1_sig;

struct options {
	const char *ring;
	const char *wpat;
	char *filter;
	struct fcr_from from;
	bool follow;
	uint64_t count;
	uint64_t duration_ns;
	struct fcr_writer_opts wo;
	bool format_set;
	bool zstd_set;
	uint64_t rot_size;
	uint64_t rot_ns;
	unsigned keep;
	bool on_error_wait;
	const char *reg_name;
	bool quiet;

	/* the config file: --job NAME, --check-config */
	const char *config;
	const char *job;
	bool check_config;
	bool from_set, threads_set, on_error_set;
	char job_wpat[PATH_MAX]; /* -w built from the job's directory and file_name */
	struct fcc_cpuset cpus;	 /* the job's CPUs */
	bool has_cpus;
	uint64_t retention_age_ns;
	unsigned filter_line; /* the job's filter line, for a bad expression */
};

/* The file being written. */
struct outfile {
	bool open;
	int fd;
	struct fcr_writer *w;
	char final[PATH_MAX];
	char part[PATH_MAX];
	uint64_t period; /* -G: start of the period this file covers (ns) */
	uint64_t lost;	 /* records lost to overrun while this file was open */
	uint64_t accepted;
	uint64_t in_at_check; /* -C with zstd: container bytes at the last size flush */
};

struct dump {
	struct options o;
	struct ringshm_reader *rd;
	struct fcr_filter *flt;
	struct outfile out;
	bool to_stdout;
	char dir[PATH_MAX];
	struct fcr_port_info ports[RINGSHM_MAX_PORTS];

	/* counters (printed on exit and SIGUSR1) */
	uint64_t read;		/* frames read from the ring (each counted once) */
	uint64_t written;	/* frames in closed files, durable */
	uint64_t filtered;	/* frames the filter rejected */
	uint64_t lost;		/* records lost to overrun (ringshm's exact count) */
	uint64_t lost_resume;	/* records the ring no longer held when resuming */
	uint64_t bytes_in;	/* captured bytes of frames read */
	uint64_t cbytes_closed; /* archive bytes before compression, closed files */
	uint64_t bytes_out;	/* bytes written to closed files */
	uint64_t files;
	uint64_t write_errors;
	uint64_t markers; /* LOSS, CLOCK, EPOCH records read */

	/* sequence bookkeeping for resuming after a write error */
	bool have_seen;
	uint64_t max_seq_seen;
	bool have_durable;
	uint64_t durable_seq;
	uint64_t lost_seen; /* ringshm lost_records already accounted */

	uint64_t counter; /* file sequence number for -C and name collisions */
	char **kept;	  /* -W: closed files, oldest first */
	unsigned nkept;

	char pending_note[2048]; /* comments made while no file was open */

	uint8_t frame[RINGSHM_MAX_CAPLEN] __attribute__((aligned(64)));
};

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void on_quit(int sig)
{
	quit_sig = sig;
}

static void on_usr1(int sig)
{
	(void)sig;
	usr1_sig = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: feedcap-dump --ring PATH|NAME -w FILE|PATTERN|- [options] [filter expression]\n"
		"\n"
		"Copy frames from a feedcap ring to pcap or pcapng archives, optionally zstd-compressed.\n"
		"The filter is a tcpdump (pcap-filter(7)) expression given as the trailing words.\n"
		"\n"
		"Source:\n"
		"  --ring PATH|NAME         the ring: a path, or a name under $FEEDCAP_RING_DIR (/run/feedcap)\n"
		"  --from WHERE             newest (default), oldest, TIME (ISO 8601 or epoch seconds),\n"
		"                           or -DURATION (e.g. -30s: the last 30 s the ring holds)\n"
		"  --no-follow              stop at the producer's position at start\n"
		"  -c COUNT                 stop after COUNT frames written\n"
		"  --duration DURATION      stop after DURATION of wall-clock time (30s, 5m, 1h)\n"
		"  --name NAME              name this reader in the ring's reader registry (feedcap-dump)\n"
		"\n"
		"Config file:\n"
		"  --job NAME               run [job NAME] of the config file; options given override it\n"
		"  --config FILE            the config file (default /etc/feedcap/feedcap.conf)\n"
		"  --check-config           validate the config file (and --job NAME, its filter) and exit\n"
		"\n"
		"Output:\n"
		"  -w FILE|PATTERN|-        the archive; strftime(3) conversions (UTC) with -G; - is stdout\n"
		"  -F pcap|pcapng           container format (default pcap, nanosecond; pcapng if the\n"
		"                           name contains .pcapng)\n"
		"  -z [LEVEL]               zstd-compress (level 1 by default; implied by a .zst suffix)\n"
		"  --zstd-threads N         zstd worker threads (default 0: compress in the reader)\n"
		"  --zstd-multiframe        end a zstd frame at every flush and append a seek table\n"
		"                           (seekable; Wireshark 4.0 cannot read such files)\n"
		"  --flush-interval DURATION\n"
		"                           push buffered data to the file at least this often (1s)\n"
		"  -C SIZE                  rotate when a file reaches SIZE (bytes; K, M, G suffixes;\n"
		"                           a bare number is millions of bytes, as in tcpdump)\n"
		"  -G SECONDS               rotate every SECONDS, on multiples of SECONDS of frame time\n"
		"  -W N                     keep at most N files of the pattern, earlier runs' included\n"
		"  --on-error=exit|wait     on a write error exit 1 (default), or retry every second and\n"
		"                           resume where the file stopped\n"
		"\n"
		"Other:\n"
		"  -q, --quiet              no progress line and no statistics on exit\n"
		"  -h, --help               this help\n"
		"  -V, --version            the version\n"
		"\n"
		"On exit and on SIGUSR1, statistics go to stderr: frames read, written, filtered out, lost\n"
		"to overrun, bytes in and out, compression ratio.  Exit status: 0 ok, 1 runtime failure\n"
		"(a write error, a ring error), 2 bad usage (options, filter expression, time specs).\n"
		"See feedcap-dump(1).\n");
}

static int bad_usage(const char *fmt, const char *a)
{
	fprintf(stderr, "feedcap-dump: ");
	fprintf(stderr, fmt, a);
	fprintf(stderr, "\nTry 'feedcap-dump --help'.\n");
	return 2;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && strcmp(s + n - m, suf) == 0;
}

static bool is_number(const char *s)
{
	if (*s == '-') {
		s++;
	}
	return *s && strspn(s, "0123456789") == strlen(s);
}

enum {
	OPT_RING = 256,
	OPT_FROM,
	OPT_NO_FOLLOW,
	OPT_DURATION,
	OPT_ZSTD_THREADS,
	OPT_ZSTD_MULTI,
	OPT_FLUSH,
	OPT_ON_ERROR,
	OPT_NAME,
	OPT_CONFIG,
	OPT_JOB,
	OPT_CHECK_CONFIG,
};

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "ring", required_argument, NULL, OPT_RING },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "no-follow", no_argument, NULL, OPT_NO_FOLLOW },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "zstd-threads", required_argument, NULL, OPT_ZSTD_THREADS },
		{ "zstd-multiframe", no_argument, NULL, OPT_ZSTD_MULTI },
		{ "flush-interval", required_argument, NULL, OPT_FLUSH },
		{ "on-error", required_argument, NULL, OPT_ON_ERROR },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "job", required_argument, NULL, OPT_JOB },
		{ "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct fcr_error err;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->follow = true;
	o->from.kind = FCR_FROM_NEWEST;
	o->reg_name = "feedcap-dump";
	/* '+': options first, then the filter words, as in the usage line. */
	while ((c = getopt_long(argc, argv, "+w:c:F:z::C:G:W:qhV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_RING:
			o->ring = optarg;
			break;
		case OPT_FROM:
			if (fcr_parse_from(optarg, &o->from, &err) != 0) {
				return bad_usage("%s", err.msg);
			}
			o->from_set = true;
			break;
		case OPT_NO_FOLLOW:
			o->follow = false;
			break;
		case OPT_DURATION:
			if (fcr_parse_duration(optarg, &o->duration_ns, &err) != 0) {
				return bad_usage("--duration: %s", err.msg);
			}
			if (o->duration_ns == 0) {
				return bad_usage("--duration '%s': the duration must be above 0",
						 optarg);
			}
			break;
		case 'c':
			errno = 0;
			o->count = strtoull(optarg, &end, 10);
			if (errno || *end || !*optarg || o->count == 0 || optarg[0] == '-') {
				return bad_usage("-c '%s': expected a positive frame count",
						 optarg);
			}
			break;
		case 'w':
			o->wpat = optarg;
			break;
		case 'F':
			o->format_set = true;
			if (strcmp(optarg, "pcap") == 0) {
				o->wo.format = FCR_FMT_PCAP;
			} else if (strcmp(optarg, "pcapng") == 0) {
				o->wo.format = FCR_FMT_PCAPNG;
			} else {
				return bad_usage("-F '%s': expected pcap or pcapng", optarg);
			}
			break;
		case 'z': {
			const char *lv = optarg;

			/* tcpdump-like "-z 3": take a following bare number as the level. */
			if (!lv && optind < argc && is_number(argv[optind])) {
				lv = argv[optind++];
			}
			o->zstd_set = true;
			o->wo.zstd_level = DEFAULT_ZSTD_LVL;
			if (lv) {
				long l = strtol(lv, &end, 10);

				if (*end || !is_number(lv) || l == 0 || l < -7 || l > 22) {
					return bad_usage(
						"-z '%s': expected a zstd level 1..22 (or -1..-7)",
						lv);
				}
				o->wo.zstd_level = (int)l;
			}
			break;
		}
		case OPT_ZSTD_THREADS: {
			long t = strtol(optarg, &end, 10);

			if (*end || !*optarg || t < 0 || t > 64) {
				return bad_usage("--zstd-threads '%s': expected 0..64", optarg);
			}
			o->wo.zstd_threads = (int)t;
			o->threads_set = true;
			break;
		}
		case OPT_ZSTD_MULTI:
			o->wo.zstd_multiframe = true;
			break;
		case OPT_FLUSH:
			if (fcr_parse_duration(optarg, &o->wo.flush_interval_ns, &err) != 0) {
				return bad_usage("--flush-interval: %s", err.msg);
			}
			if (o->wo.flush_interval_ns == 0) {
				return bad_usage(
					"--flush-interval '%s': the interval must be above 0",
					optarg);
			}
			break;
		case 'C':
			if (is_number(optarg) && optarg[0] != '-') {
				o->rot_size = strtoull(optarg, NULL, 10) * 1000000u;
			} else if (fcr_parse_size(optarg, &o->rot_size, &err) != 0) {
				return bad_usage("-C: %s", err.msg);
			}
			if (o->rot_size == 0) {
				return bad_usage("-C '%s': the size must be above 0", optarg);
			}
			break;
		case 'G': {
			uint64_t ns;

			if (fcr_parse_duration(optarg, &ns, &err) != 0 || ns < NS_PER_S ||
			    ns % NS_PER_S) {
				return bad_usage("-G '%s': expected a whole number of seconds >= 1",
						 optarg);
			}
			o->rot_ns = ns;
			break;
		}
		case 'W': {
			long n = strtol(optarg, &end, 10);

			if (*end || !*optarg || n < 1 || n > 1000000) {
				return bad_usage("-W '%s': expected a number of files >= 1",
						 optarg);
			}
			o->keep = (unsigned)n;
			break;
		}
		case OPT_ON_ERROR:
			if (strcmp(optarg, "exit") == 0) {
				o->on_error_wait = false;
			} else if (strcmp(optarg, "wait") == 0) {
				o->on_error_wait = true;
			} else {
				return bad_usage("--on-error '%s': expected exit or wait", optarg);
			}
			o->on_error_set = true;
			break;
		case OPT_NAME:
			o->reg_name = optarg;
			break;
		case OPT_CONFIG:
			o->config = optarg;
			break;
		case OPT_JOB:
			o->job = optarg;
			break;
		case OPT_CHECK_CONFIG:
			o->check_config = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("feedcap-dump %s\n", FEEDCAP_VERSION);
			exit(0);
		default:
			fprintf(stderr, "Try 'feedcap-dump --help'.\n");
			return 2;
		}
	}
	o->filter = fcr_join_args(argc - optind, argv + optind);
	if (!o->filter) {
		return bad_usage("%s", "out of memory");
	}
	return 0;
}

/* What the options say together, once the job (if any) filled in what they did not. */
static int check_args(struct options *o)
{
	if (!o->ring) {
		return bad_usage("%s", "--ring PATH|NAME is required");
	}
	if (!o->wpat) {
		return bad_usage("%s", "-w FILE|PATTERN|- is required");
	}
	if (strcmp(o->wpat, "-") == 0) {
		if (o->rot_size || o->rot_ns || o->keep) {
			return bad_usage("%s", "-C, -G and -W need a file name, not -w -");
		}
	} else {
		if (!o->format_set && strstr(o->wpat, ".pcapng")) {
			o->wo.format = FCR_FMT_PCAPNG;
		}
		if (!o->zstd_set && has_suffix(o->wpat, ".zst")) {
			o->wo.zstd_level = DEFAULT_ZSTD_LVL;
		}
	}
	if (o->keep && !o->rot_size && !o->rot_ns) {
		return bad_usage("%s", "-W needs -C or -G (there is only one file otherwise)");
	}
	if ((o->wo.zstd_threads || o->wo.zstd_multiframe) && !o->wo.zstd_level) {
		return bad_usage("%s",
				 "--zstd-threads and --zstd-multiframe need -z or a .zst name");
	}
	return 0;
}

/* ------------------------------------------------------------------ config file */

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
static int check_config(const struct options *o)
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

static int mkdirs(const char *path, mode_t mode)
{
	char tmp[PATH_MAX], *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
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
static int apply_job(struct options *o, struct fcc_config **cfgp)
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
	}
	if (!o->from_set) {
		o->from.kind = job->from == FCC_FROM_OLDEST ? FCR_FROM_OLDEST : FCR_FROM_NEWEST;
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

static void set_affinity(const struct options *o)
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

/* ------------------------------------------------------------------ statistics */

static void print_stats(struct dump *d, FILE *f)
{
	uint64_t written = d->written, cbytes = d->cbytes_closed, bout = d->bytes_out;

	if (d->out.open) {
		struct fcr_writer_stats st;

		fcr_writer_stats(d->out.w, &st);
		written += st.frames;
		cbytes += st.bytes_in;
		bout += st.bytes_out;
	}
	fprintf(f,
		"feedcap-dump: %" PRIu64 " frames read, %" PRIu64 " written, %" PRIu64
		" filtered out, %" PRIu64 " lost to overrun, %" PRIu64 " bytes in, %" PRIu64
		" bytes out, compression ratio %.2f",
		d->read, written, d->filtered, d->lost + d->lost_resume, d->bytes_in, bout,
		bout ? (double)cbytes / (double)bout : 1.0);
	if (d->write_errors) {
		fprintf(f, ", %" PRIu64 " write errors", d->write_errors);
	}
	fprintf(f, ", %" PRIu64 " markers, %" PRIu64 " files\n", d->markers, d->files);
	fflush(f);
}

/* ------------------------------------------------------------------ files */

/* The directory a name lives in. */
static void dir_of(const char *path, char *out, size_t len)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(out, len, "%s", dirname(tmp));
}

/*
 * The file name for a period starting at ts: strftime() in UTC, then a sequence number
 * inserted before the archive suffix when rotating by size or when the name is taken.
 */
static int make_name(struct dump *d, uint64_t ts, bool numbered, char *out, size_t len)
{
	static const char *const sufs[] = { ".pcapng.zst", ".pcap.zst", ".pcapng", ".pcap",
					    ".zst" };
	time_t t = (time_t)(ts / NS_PER_S);
	char base[PATH_MAX], part[PATH_MAX + 8];
	struct stat sb;
	struct tm tm;
	size_t i, n;

	gmtime_r(&t, &tm);
	if (strchr(d->o.wpat, '%')) {
		n = strftime(base, sizeof(base), d->o.wpat, &tm);
		if (n == 0) {
			return -ENAMETOOLONG;
		}
	} else {
		snprintf(base, sizeof(base), "%s", d->o.wpat);
	}
	for (;;) {
		if (!numbered) {
			snprintf(out, len, "%s", base);
		} else {
			const char *suf = "";

			for (i = 0; i < sizeof(sufs) / sizeof(sufs[0]); i++) {
				if (has_suffix(base, sufs[i])) {
					suf = sufs[i];
					break;
				}
			}
			n = strlen(base) - strlen(suf);
			snprintf(out, len, "%.*s.%05" PRIu64 "%s", (int)n, base, d->counter, suf);
			d->counter++;
		}
		/*
		 * A single -w FILE is replaced, as tcpdump does.  Otherwise (rotation, or a new
		 * file after a write error) never replace an archive that exists.  And never
		 * touch an existing NAME.part: another dump may be writing it, or it is what a
		 * killed one left, readable up to its last flush.
		 */
		snprintf(part, sizeof(part), "%s.part", out);
		if (stat(part, &sb) != 0 &&
		    (stat(out, &sb) != 0 ||
		     (d->files == 0 && !d->o.rot_ns && !d->o.rot_size && !numbered))) {
			return 0;
		}
		numbered = true;
	}
}

/*
 * The clock state in words, from timesync's clock block (a CLOCK record's payload, or the
 * ring's current block).  Returns false if the block is not one timesync can vouch for.
 */
static bool clock_words(const void *blk, uint32_t len, char *out, size_t outlen)
{
	struct timesync_block b;
	char gm[24] = "none";

	if (len < sizeof(b)) {
		return false;
	}
	/* Check an aligned copy: the caller's buffer may not be aligned for the struct. */
	memcpy(&b, blk, sizeof(b));
	if (timesync_block_check(&b, sizeof(b), NULL) != 0) {
		return false;
	}
	if (b.ptp.gm_present) {
		snprintf(gm, sizeof(gm), "%02x%02x%02x.%02x%02x.%02x%02x%02x", b.ptp.gm_identity[0],
			 b.ptp.gm_identity[1], b.ptp.gm_identity[2], b.ptp.gm_identity[3],
			 b.ptp.gm_identity[4], b.ptp.gm_identity[5], b.ptp.gm_identity[6],
			 b.ptp.gm_identity[7]);
	}
	snprintf(out, outlen,
		 "PTP %s (port %s, grandmaster %s), master offset %" PRId64
		 " ns, TSC model error %" PRIu32 " ns, TAI-UTC %d s (%s); timestamps are UTC",
		 timesync_state_name((enum timesync_state)b.ptp.state),
		 timesync_port_state_name(b.ptp.port_state), gm, b.ptp.offset_ns, b.tsc.err_ns,
		 b.hdr.tai_utc_s,
		 b.hdr.tai_source == TIMESYNC_TAI_PTP	   ? "from PTP"
		 : b.hdr.tai_source == TIMESYNC_TAI_KERNEL ? "from the kernel"
							   : "unknown, not to be trusted");
	return true;
}

static void clock_comment(const uint8_t *pl, uint32_t len, uint64_t ts, char *out, size_t outlen)
{
	char t[48], words[320];

	fcr_format_time(ts, t, sizeof(t));
	if (clock_words(pl, len, words, sizeof(words))) {
		snprintf(out, outlen, "feedcap: clock state changed at %s: %.300s", t, words);
	} else {
		snprintf(
			out, outlen,
			"feedcap: clock state changed at %s (a %u-byte clock block this version cannot read)",
			t, len);
	}
}

static void set_ports(struct dump *d)
{
	const struct ringshm_ctl *ctl = ringshm_reader_ctl(d->rd);
	uint32_t n = __atomic_load_n(&ctl->nports, __ATOMIC_RELAXED), i;

	if (n > RINGSHM_MAX_PORTS) {
		n = RINGSHM_MAX_PORTS;
	}
	for (i = 0; i < n; i++) {
		snprintf(d->ports[i].name, sizeof(d->ports[i].name), "%.63s", ctl->ports[i].name);
		snprintf(d->ports[i].descr, sizeof(d->ports[i].descr), "feedcap capture port %u",
			 i);
	}
	d->o.wo.nports = n;
	d->o.wo.ports = d->ports;
}

static int open_file(struct dump *d, uint64_t ts, struct fcr_error *err)
{
	struct outfile *f = &d->out;
	char comment[1024], t[48];
	int rc;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	if (d->o.rot_ns) {
		f->period = ts - ts % d->o.rot_ns;
	}
	set_ports(d);
	{
		uint8_t blk[RINGSHM_CLOCK_BLOCK_SIZE];
		char words[320] = "not published";
		int n = ringshm_reader_clock(d->rd, blk, sizeof(blk));

		if (n > 0 && !clock_words(blk, (uint32_t)n, words, sizeof(words))) {
			snprintf(words, sizeof(words), "unreadable (%d bytes)", n);
		}
		snprintf(
			comment, sizeof(comment),
			"feedcap-dump %s from ring %.200s; filter '%.200s'; file started %s; clock: %s",
			FEEDCAP_VERSION, d->o.ring, fcr_filter_expr(d->flt),
			fcr_format_time(now_ns(CLOCK_REALTIME), t, sizeof(t)), words);
	}
	d->o.wo.shb_comment = comment;
	if (d->to_stdout) {
		f->fd = STDOUT_FILENO;
		snprintf(f->final, sizeof(f->final), "(stdout)");
		snprintf(f->part, sizeof(f->part), "(stdout)");
	} else {
		rc = make_name(d, d->o.rot_ns ? f->period : ts, d->o.rot_size != 0, f->final,
			       sizeof(f->final));
		if (rc < 0 || snprintf(f->part, sizeof(f->part), "%s.part", f->final) >=
				      (int)sizeof(f->part)) {
			err->code = -ENAMETOOLONG;
			snprintf(err->msg, sizeof(err->msg), "%s: file name too long", d->o.wpat);
			return -ENAMETOOLONG;
		}
		f->fd = open(f->part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (f->fd < 0) {
			rc = -errno;
			err->code = rc;
			snprintf(err->msg, sizeof(err->msg), "%.400s: cannot create: %s", f->part,
				 strerror(-rc));
			return rc;
		}
	}
	f->w = fcr_writer_open(f->fd, f->part, &d->o.wo, err);
	if (!f->w) {
		rc = -errno;
		if (!d->to_stdout) {
			close(f->fd);
			unlink(f->part);
		}
		return rc;
	}
	f->open = true;
	if (d->pending_note[0]) {
		(void)fcr_writer_comment(f->w, d->pending_note);
		d->pending_note[0] = '\0';
	}
	return 0;
}

static void keep_limit(struct dump *d, const char *name)
{
	char **k;

	if (!d->o.keep) {
		return;
	}
	k = realloc(d->kept, (d->nkept + 1) * sizeof(*k));
	if (!k) {
		return;
	}
	d->kept = k;
	d->kept[d->nkept++] = strdup(name);
	while (d->nkept > d->o.keep) {
		if (d->kept[0] && unlink(d->kept[0]) != 0 && errno != ENOENT) {
			fprintf(stderr, "feedcap-dump: cannot remove %s (-W %u): %s\n", d->kept[0],
				d->o.keep, strerror(errno));
		}
		free(d->kept[0]);
		memmove(d->kept, d->kept + 1, (d->nkept - 1) * sizeof(*k));
		d->nkept--;
	}
}

/*
 * A glob for the names the -w pattern makes: strftime conversions become '*', and the
 * numbered form (NAME.00003.SUFFIX) is a second glob.  Used to find, in the directory's index,
 * the archives earlier runs of the same pattern left, so that -W counts them too (a service
 * restarted by systemd must not grow the directory without bound).
 */
static void pattern_globs(const char *pat, char *g, char *gnum, size_t len)
{
	static const char *const sufs[] = { ".pcapng.zst", ".pcap.zst", ".pcapng", ".pcap",
					    ".zst" };
	const char *base = strrchr(pat, '/') ? strrchr(pat, '/') + 1 : pat, *suf = "";
	size_t n = 0, i, cut;

	for (i = 0; base[i] && n + 3 < len; i++) {
		if (base[i] == '%' && base[i + 1]) {
			i++;
			if (base[i] == '%') {
				g[n++] = '%';
				continue;
			}
			if ((base[i] == 'E' || base[i] == 'O') && base[i + 1]) {
				i++;
			}
			if (n == 0 || g[n - 1] != '*') {
				g[n++] = '*';
			}
			continue;
		}
		if (strchr("*?[\\", base[i])) {
			g[n++] = '\\';
		}
		g[n++] = base[i];
	}
	g[n] = '\0';
	for (i = 0; i < sizeof(sufs) / sizeof(sufs[0]); i++) {
		if (has_suffix(g, sufs[i])) {
			suf = sufs[i];
			break;
		}
	}
	cut = strlen(g) - strlen(suf);
	snprintf(gnum, len, "%.*s.[0-9][0-9][0-9][0-9][0-9]%s", (int)cut, g, suf);
}

static int cmp_ent(const void *a, const void *b)
{
	const struct fcr_index_ent *x = a, *y = b;

	if (x->first_ts != y->first_ts) {
		return x->first_ts < y->first_ts ? -1 : 1;
	}
	return strcmp(x->file, y->file);
}

/* -W: start the list of kept files with what earlier runs of this pattern left (oldest first). */
static void seed_kept(struct dump *d)
{
	char g[PATH_MAX], gnum[PATH_MAX + 32], path[PATH_MAX];
	struct fcr_index_ent *ents;
	struct stat sb;
	int n, i;

	if (!d->o.keep || d->to_stdout) {
		return;
	}
	pattern_globs(d->o.wpat, g, gnum, sizeof(g));
	n = fcr_index_read(d->dir, &ents, NULL);
	if (n <= 0) {
		return;
	}
	qsort(ents, (size_t)n, sizeof(*ents), cmp_ent);
	for (i = 0; i < n; i++) {
		char **k;

		if (fnmatch(g, ents[i].file, 0) != 0 && fnmatch(gnum, ents[i].file, 0) != 0) {
			continue;
		}
		snprintf(path, sizeof(path), "%.3000s/%.255s", d->dir, ents[i].file);
		if (stat(path, &sb) != 0) {
			continue;
		}
		k = realloc(d->kept, (d->nkept + 1) * sizeof(*k));
		if (!k) {
			break;
		}
		d->kept = k;
		d->kept[d->nkept++] = strdup(path);
	}
	free(ents);
}

/*
 * The job's retention_age: delete the archives the directory's index lists whose last frame
 * is older than that (only files this tool wrote and indexed, never anything else).
 */
static void prune_by_age(struct dump *d)
{
	uint64_t now = now_ns(CLOCK_REALTIME);
	struct fcr_index_ent *ents;
	char path[PATH_MAX];
	int n, i;

	n = fcr_index_read(d->dir, &ents, NULL);
	for (i = 0; i < n; i++) {
		if (ents[i].last_ts && ents[i].last_ts + d->o.retention_age_ns < now &&
		    !strchr(ents[i].file, '/')) {
			snprintf(path, sizeof(path), "%.3000s/%.255s", d->dir, ents[i].file);
			if (unlink(path) != 0 && errno != ENOENT) {
				fprintf(stderr,
					"feedcap-dump: cannot remove %s (retention_age): %s\n",
					path, strerror(errno));
			}
		}
	}
	if (n > 0) {
		free(ents);
	}
}

/*
 * Close the current file: ISBs, the end of the zstd frame, fsync, rename NAME.part to NAME,
 * the index.  A file whose writer broke is sealed at its last durable frame and still renamed:
 * it is valid, and what it holds is what the index says.
 */
static int close_file(struct dump *d, struct fcr_error *err)
{
	struct outfile *f = &d->out;
	const struct ringshm_ctl *ctl;
	struct fcr_writer_stats st;
	struct fcr_index_ent ent;
	struct fcr_error cerr = { 0 };
	uint32_t i;
	int rc, ret = 0;

	if (!f->open) {
		return 0;
	}
	ctl = ringshm_reader_ctl(d->rd);
	for (i = 0; i < d->o.wo.nports || i == 0; i++) {
		struct fcr_isb isb = { 0 };

		if (i < RINGSHM_MAX_PORTS && i < d->o.wo.nports) {
			isb.if_recv = __atomic_load_n(&ctl->ports[i].rx_frames, __ATOMIC_RELAXED);
			isb.if_drop = __atomic_load_n(&ctl->ports[i].imissed, __ATOMIC_RELAXED) +
				      __atomic_load_n(&ctl->ports[i].rx_nombuf, __ATOMIC_RELAXED);
		}
		if (i == 0) {
			isb.os_drop = f->lost;
			isb.filter_accept = f->accepted;
		}
		fcr_writer_set_isb(f->w, i, &isb);
	}
	rc = fcr_writer_finish(f->w, &st, &cerr);
	if (st.durable) {
		d->have_durable = true;
		d->durable_seq = st.durable_tag;
	}
	f->w = NULL;
	f->open = false;
	if (rc < 0) {
		*err = cerr;
		ret = rc;
		/* The file was cut back to its last durable frame: that is what it holds. */
	} else if (st.frames) {
		/* Closed cleanly: every frame given to it is in it. */
	}
	d->written += st.frames;
	d->cbytes_closed += st.bytes_in;
	d->bytes_out += st.bytes_out;
	if (d->to_stdout) {
		d->files++;
		return ret;
	}
	if (rc < 0 && st.frames == 0) {
		/* A write error before any frame: no archive worth keeping (nor listing). */
		close(f->fd);
		f->fd = -1;
		unlink(f->part);
		return ret;
	}
	d->files++;
	if (fsync(f->fd) != 0 && ret == 0) {
		ret = -errno;
		err->code = ret;
		snprintf(err->msg, sizeof(err->msg), "%.400s: fsync failed: %s", f->part,
			 strerror(errno));
	}
	close(f->fd);
	f->fd = -1;
	if (rename(f->part, f->final) != 0) {
		rc = -errno;
		err->code = rc;
		snprintf(err->msg, sizeof(err->msg), "cannot rename %.240s to %.240s: %s", f->part,
			 f->final, strerror(errno));
		return rc;
	}
	{
		int dfd = open(d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	keep_limit(d, f->final);
	memset(&ent, 0, sizeof(ent));
	{
		char tmp[PATH_MAX];

		snprintf(tmp, sizeof(tmp), "%s", f->final);
		snprintf(ent.file, sizeof(ent.file), "%s", basename(tmp));
	}
	ent.first_ts = st.first_ts_ns;
	ent.last_ts = st.last_ts_ns;
	ent.frames = st.frames;
	ent.bytes = st.bytes_out;
	ent.format = d->o.wo.format;
	ent.zstd = d->o.wo.zstd_level != 0;
	if (fcr_index_add(d->dir, &ent, &cerr) != 0) {
		fprintf(stderr, "feedcap-dump: warning: %s\n", cerr.msg);
	}
	if (d->o.retention_age_ns) {
		prune_by_age(d);
	}
	return ret;
}

/* ------------------------------------------------------------------ the loop */

/* A comment for the next frame written (pcapng), kept across a file not yet open. */
static void add_note(struct dump *d, const char *msg)
{
	size_t n = strlen(d->pending_note);

	if (d->out.open) {
		(void)fcr_writer_comment(d->out.w, msg);
		return;
	}
	snprintf(d->pending_note + n, sizeof(d->pending_note) - n, "%s%s", n ? "\n" : "", msg);
}

/* Comments for markers the producer wrote into the ring (pcapng only). */
static void marker_comment(struct dump *d, const struct ringshm_record *rec, const uint8_t *pl)
{
	char msg[512], t[48];

	fcr_format_time(rec->ts_ns, t, sizeof(t));
	switch (rec->type) {
	case RINGSHM_REC_LOSS: {
		struct ringshm_loss_payload lp = { 0 };

		memcpy(&lp, pl, rec->cap_len < sizeof(lp) ? rec->cap_len : sizeof(lp));
		snprintf(msg, sizeof(msg),
			 "feedcap: the capture itself lost frames before %s: NIC imissed %" PRIu64
			 ", rx_nombuf %" PRIu64 ", ierrors %" PRIu64,
			 t, lp.nic_imissed, lp.nic_rx_nombuf, lp.nic_ierrors);
		break;
	}
	case RINGSHM_REC_EPOCH: {
		struct ringshm_epoch_payload ep = { 0 };

		memcpy(&ep, pl, rec->cap_len < sizeof(ep) ? rec->cap_len : sizeof(ep));
		snprintf(msg, sizeof(msg),
			 "feedcap: capture %s at %s: epoch %" PRIu64 ", pid %" PRIu64,
			 ep.epoch > 1 ? "restarted" : "started", t, ep.epoch, ep.pid);
		break;
	}
	case RINGSHM_REC_CLOCK:
		clock_comment(pl, rec->cap_len, rec->ts_ns, msg, sizeof(msg));
		break;
	default:
		return;
	}
	add_note(d, msg);
}

/* Account for what ringshm says this reader lost since the last look. */
static void check_overrun(struct dump *d)
{
	struct ringshm_reader_stats rs;
	char msg[200];
	uint64_t n;

	ringshm_reader_stats(d->rd, &rs);
	if (rs.lost_records == d->lost_seen) {
		return;
	}
	n = rs.lost_records - d->lost_seen;
	d->lost_seen = rs.lost_records;
	d->lost += n;
	if (d->out.open) {
		d->out.lost += n;
	}
	snprintf(
		msg, sizeof(msg),
		"feedcap-dump: reader overrun: %" PRIu64
		" records lost here (overwritten by the capture before this reader got them; %" PRIu64
		" lost in total)",
		n, d->lost + d->lost_resume);
	add_note(d, msg);
}

/*
 * After a write error, go back to the first record the archive does not hold (sequence number
 * `next`).  Records the ring no longer holds are lost: counted, and noted in the next file.
 * Returns 1 with the first record to process copied into d->frame / *rec, 0 if nothing yet,
 * or -errno.
 */
static int resume_at(struct dump *d, uint64_t next, struct ringshm_record *rec)
{
	int rc = ringshm_reader_seek(d->rd, RINGSHM_FROM_OLDEST, 0);

	if (rc < 0) {
		return rc;
	}
	for (;;) {
		bool ok;

		rc = ringshm_reader_next(d->rd, rec);
		if (rc <= 0) {
			return rc;
		}
		if (rec->seq < next) {
			(void)ringshm_reader_done(d->rd);
			continue;
		}
		memcpy(d->frame, rec->data, rec->cap_len);
		ok = ringshm_reader_done(d->rd);
		check_overrun(d);
		if (!ok) {
			continue;
		}
		rec->data = d->frame;
		/*
		 * Lost: the records this reader never saw.  Every retry resumes from the same
		 * place, so start after the newest record seen (each lost record is counted
		 * once); what it saw before the error (markers it handled, the frame whose
		 * write failed: counted as read) is not lost to the ring, whatever became of it.
		 */
		if (d->have_seen && d->max_seq_seen + 1 > next) {
			next = d->max_seq_seen + 1;
		}
		if (rec->seq > next) {
			uint64_t gone = rec->seq - next;
			char msg[200];

			/* Not in any archive and no longer in the ring: lost, exactly this many;
			 * the reader's own losses (feedcap-stat) count them as an overrun. */
			d->lost_resume += gone;
			ringshm_reader_note_lost(d->rd, gone);
			d->lost_seen += gone;
			snprintf(
				msg, sizeof(msg),
				"feedcap-dump: %" PRIu64
				" records lost while waiting out a write error (no longer in the ring)",
				gone);
			add_note(d, msg);
		}
		return 1;
	}
}

/*
 * Publish a write error in the ring's reader registry for feedcap-stat: "ENOSPC on FILE".  A
 * path too long for the registry's text keeps its end, where the file's own name is.
 */
static void note_write_error(struct dump *d, int code, const char *file)
{
	char what[RINGSHM_ERROR_TEXT];
	const char *name;
	size_t n, room, flen = strlen(file);

	if (code == 0) {
		code = -EIO; /* a writer that gave no errno: still an error of the output */
	}
	name = strerrorname_np(code < 0 ? -code : code);
	n = (size_t)snprintf(what, sizeof(what), "%s on ", name ? name : "error");
	room = sizeof(what) - 1 - n;
	if (flen > room) {
		snprintf(what + n, sizeof(what) - n, "...%s", file + flen - (room - 3));
	} else {
		snprintf(what + n, sizeof(what) - n, "%s", file);
	}
	ringshm_reader_note_error(d->rd, code, what);
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / NS_PER_S), (long)(ns % NS_PER_S) };

	nanosleep(&ts, NULL);
}

/* Progress on a terminal, once a second: only when stdout is one and is not the archive. */
static void progress(struct dump *d, bool final)
{
	fprintf(stdout,
		"\r%" PRIu64 " frames read, %" PRIu64 " filtered out, %" PRIu64
		" lost, lag %" PRIu64 " KiB   %s",
		d->read, d->filtered, d->lost + d->lost_resume, ringshm_reader_lag(d->rd) >> 10,
		final ? "\n" : "");
	fflush(stdout);
}

static uint64_t rot_check_step(uint64_t size)
{
	return size / 8 > 128 * 1024 ? size / 8 : 128 * 1024;
}

static int run(struct dump *d)
{
	const uint64_t start = now_ns(CLOCK_MONOTONIC);
	struct ringshm_record rec;
	struct fcr_error err = { 0 };
	uint64_t stop_pos = UINT64_MAX, last_progress = start, frames_out = 0;
	bool tty = !d->to_stdout && !d->o.quiet && isatty(STDOUT_FILENO);
	bool have_rec = false, waiting = false;
	int rc, status = 0;

	if (!d->o.follow) {
		stop_pos = ringshm_reader_head(d->rd);
	}
	while (!quit_sig) {
		struct fcr_pkt pkt;
		bool ok;

		if (usr1_sig) {
			usr1_sig = 0;
			print_stats(d, stderr);
		}
		if (!have_rec) {
			rc = ringshm_reader_next(d->rd, &rec);
			if (rc < 0) {
				fprintf(stderr, "feedcap-dump: %s: the ring is corrupt (%s)\n",
					d->o.ring, strerror(-rc));
				status = 1;
				break;
			}
		} else {
			rc = 1;
		}
		if (rc == 0 || (rc == 1 && rec.pos >= stop_pos && !have_rec)) {
			uint64_t now = now_ns(CLOCK_MONOTONIC);

			if (rc == 1) {
				(void)ringshm_reader_done(d->rd);
			}
			check_overrun(d);
			if (ringshm_reader_pos(d->rd) >= stop_pos || rc == 1) {
				break; /* --no-follow: reached where the producer was */
			}
			if (d->o.duration_ns && now - start >= d->o.duration_ns) {
				break;
			}
			if (d->out.open) {
				rc = fcr_writer_tick(d->out.w, &err);
				if (rc == 0 && d->o.rot_ns &&
				    now_ns(CLOCK_REALTIME) >=
					    d->out.period + d->o.rot_ns + NS_PER_S) {
					/* A quiet feed: close the period's file on time anyway. */
					rc = close_file(d, &err);
				}
				if (rc < 0) {
					goto write_error;
				}
			}
			if (tty && now - last_progress >= NS_PER_S) {
				last_progress = now;
				progress(d, false);
			}
			(void)ringshm_reader_wait(d->rd, IDLE_WAIT_NS);
			continue;
		}
		if (!have_rec) {
			/* Copy out, then confirm the producer did not overwrite it meanwhile. */
			if (rec.type == RINGSHM_REC_FRAME || rec.type == RINGSHM_REC_LOSS ||
			    rec.type == RINGSHM_REC_CLOCK || rec.type == RINGSHM_REC_EPOCH) {
				memcpy(d->frame, rec.data, rec.cap_len);
			}
			ok = ringshm_reader_done(d->rd);
			check_overrun(d);
			if (!ok) {
				continue;
			}
			rec.data = d->frame;
		}
		have_rec = false;
		if (rec.type != RINGSHM_REC_FRAME) {
			if (!d->have_seen || rec.seq > d->max_seq_seen) {
				d->have_seen = true;
				d->max_seq_seen = rec.seq;
				d->markers++;
			}
			marker_comment(d, &rec, d->frame);
			continue;
		}
		pkt.data = d->frame;
		pkt.cap_len = rec.cap_len;
		pkt.wire_len = rec.wire_len;
		pkt.ts_ns = rec.ts_ns;
		pkt.port = rec.port;
		pkt.flags = rec.flags;
		{
			/* Count each frame once, even when re-read after a write error. */
			bool fresh = !d->have_seen || rec.seq > d->max_seq_seen;

			if (fresh) {
				d->have_seen = true;
				d->max_seq_seen = rec.seq;
				d->read++;
				d->bytes_in += rec.cap_len;
			}
			if (!fcr_filter_match(d->flt, &pkt)) {
				if (fresh) {
					d->filtered++;
				}
				continue;
			}
		}
		/* Rotation: by period of frame time (-G), by size (-C). */
		if (d->out.open && d->o.rot_ns &&
		    rec.ts_ns - rec.ts_ns % d->o.rot_ns != d->out.period) {
			rc = close_file(d, &err);
			if (rc < 0) {
				goto write_error;
			}
		}
		if (!d->out.open) {
			rc = open_file(d, rec.ts_ns, &err);
			if (rc < 0) {
				goto write_error;
			}
		}
		rc = fcr_writer_write(d->out.w, &pkt, rec.seq, &err);
		if (rc < 0) {
			goto write_error;
		}
		d->out.accepted++;
		if (waiting) {
			fprintf(stderr, "feedcap-dump: writing again to %s\n", d->out.part);
			waiting = false;
			ringshm_reader_note_blocked(d->rd, false);
		}
		frames_out++;
		if (d->o.rot_size) {
			struct fcr_writer_stats st;

			fcr_writer_stats(d->out.w, &st);
			/*
			 * Plain: the file will be exactly the container bytes.  zstd: what the
			 * compressor emitted, which lags what it was given by up to its window;
			 * flushing every eighth of SIZE of input keeps a file within about an
			 * eighth of SIZE over (flushes cost little: blocks end there anyway).
			 */
			if (d->o.wo.zstd_level &&
			    st.bytes_in - d->out.in_at_check >= rot_check_step(d->o.rot_size)) {
				d->out.in_at_check = st.bytes_in;
				rc = fcr_writer_flush(d->out.w, &err);
				if (rc < 0) {
					goto write_error;
				}
				fcr_writer_stats(d->out.w, &st);
			}
			if ((d->o.wo.zstd_level ? st.bytes_out : st.bytes_in) >= d->o.rot_size) {
				rc = close_file(d, &err);
				if (rc < 0) {
					goto write_error;
				}
			}
		}
		if (d->o.count && frames_out >= d->o.count) {
			break;
		}
		if (d->o.duration_ns && (frames_out & 1023) == 0 &&
		    now_ns(CLOCK_MONOTONIC) - start >= d->o.duration_ns) {
			break;
		}
		if (tty && (frames_out & 4095) == 0) {
			uint64_t now = now_ns(CLOCK_MONOTONIC);

			if (now - last_progress >= NS_PER_S) {
				last_progress = now;
				progress(d, false);
			}
		}
		continue;

write_error:
		if (d->to_stdout && err.code == -EPIPE) {
			/* The reading end went away (| head, | tcpdump -c): a normal end. */
			struct fcr_error cerr = { 0 };

			(void)close_file(d, &cerr);
			break;
		}
		d->write_errors++;
		/* Every error, also each failed retry: feedcap-stat shows the count and the last. */
		note_write_error(d, err.code, d->out.part[0] ? d->out.part : d->o.wpat);
		if (!waiting) {
			fprintf(stderr, "feedcap-dump: %s\n", err.msg);
		}
		if (d->out.open) {
			struct fcr_error cerr = { 0 };
			const char *name = d->out.final;

			(void)close_file(d, &cerr);
			if (!waiting && !d->to_stdout) {
				fprintf(stderr,
					"feedcap-dump: %s closed and kept valid up to its last durable frame\n",
					name);
			}
		}
		if (!d->o.on_error_wait) {
			status = 1;
			break;
		}
		if (!waiting) {
			fprintf(stderr,
				"feedcap-dump: --on-error=wait: retrying every second, resuming after the last frame written\n");
			waiting = true;
			ringshm_reader_note_blocked(d->rd, true);
		}
		sleep_ns(RETRY_NS);
		rc = resume_at(d, d->have_durable ? d->durable_seq + 1 : 0, &rec);
		if (rc < 0) {
			fprintf(stderr, "feedcap-dump: %s: cannot resume: %s\n", d->o.ring,
				strerror(-rc));
			status = 1;
			break;
		}
		have_rec = rc == 1;
		frames_out = d->written;
	}
	if (d->out.open) {
		rc = close_file(d, &err);
		if (rc < 0) {
			fprintf(stderr, "feedcap-dump: %s\n", err.msg);
			status = 1;
		}
	} else if (d->files == 0 && !d->o.rot_ns && status == 0) {
		/* Nothing matched: still leave a valid, empty archive where one was asked for. */
		rc = open_file(d, now_ns(CLOCK_REALTIME), &err);
		if (rc == 0) {
			rc = close_file(d, &err);
		}
		if (rc < 0) {
			fprintf(stderr, "feedcap-dump: %s\n", err.msg);
			status = 1;
		}
	}
	check_overrun(d);
	if (tty) {
		progress(d, true);
	}
	return status;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct fcr_error err = { 0 };
	struct ringshm_error rerr = { 0 };
	struct ringshm_reader_stats rs;
	struct fcc_config *cfg = NULL;
	struct dump *d;
	int rc;

	d = calloc(1, sizeof(*d));
	if (!d) {
		fprintf(stderr, "feedcap-dump: out of memory\n");
		return 1;
	}
	rc = parse_args(argc, argv, &d->o);
	if (rc) {
		goto out;
	}
	if (d->o.check_config) {
		rc = check_config(&d->o);
		goto out;
	}
	if (d->o.job) {
		rc = apply_job(&d->o, &cfg);
		if (rc) {
			goto out;
		}
	}
	rc = check_args(&d->o);
	if (rc) {
		goto out;
	}
	set_affinity(&d->o);
	d->flt = fcr_filter_compile(d->o.filter, &err);
	if (!d->flt) {
		fprintf(stderr, "feedcap-dump: %s\n", err.msg);
		rc = 2;
		goto out;
	}
	d->to_stdout = strcmp(d->o.wpat, "-") == 0;
	if (d->to_stdout && isatty(STDOUT_FILENO)) {
		fprintf(stderr,
			"feedcap-dump: refusing to write an archive to a terminal (-w -)\n");
		rc = 2;
		goto out;
	}
	if (!d->to_stdout) {
		struct stat sb;

		dir_of(d->o.wpat, d->dir, sizeof(d->dir));
		if (stat(d->dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			fprintf(stderr, "feedcap-dump: -w %s: directory %s does not exist\n",
				d->o.wpat, d->dir);
			rc = 2;
			goto out;
		}
	}

	seed_kept(d);
	d->rd = fcr_attach(d->o.ring, &d->o.from, &err);
	if (!d->rd) {
		fprintf(stderr, "feedcap-dump: %s\n", err.msg);
		/* A ring that is not there, not a ring, or not named right: bad usage. */
		rc = errno == ENOENT || errno == EPROTO || errno == EPROTONOSUPPORT ||
				     errno == EACCES || errno == ENOTDIR || errno == EINVAL ||
				     errno == ENAMETOOLONG
			     ? 2
			     : 1;
		goto out;
	}
	ringshm_reader_stats(d->rd, &rs);
	d->lost_seen = rs.lost_records;
	if (ringshm_reader_register(d->rd, d->o.reg_name, &rerr) != 0 && !d->o.quiet) {
		fprintf(stderr, "feedcap-dump: warning: not registered as a reader: %s\n",
			rerr.msg);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_quit;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = run(d);
	if (!d->o.quiet) {
		print_stats(d, stderr);
	}
out:
	ringshm_reader_close(d->rd);
	fcr_filter_free(d->flt);
	free(d->o.filter);
	while (d->nkept) {
		free(d->kept[--d->nkept]);
	}
	free(d->kept);
	free(d);
	fcc_free(cfg);
	return rc;
}
