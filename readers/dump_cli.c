/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dump_cli.c - feedcap-dump's command line: the options, --help, and what the options say
 * together once a job filled in what they did not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump_internal.h"

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
		"                           -DURATION (e.g. -30s: the last 30 s the ring holds), or\n"
		"                           resume: right after the last record this -w pattern's\n"
		"                           archives hold from this ring (oldest if none)\n"
		"  --require-window         exit 1 when the ring does not hold the time --from asks for\n"
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
		"  -w FILE|PATTERN|-        the archive; strftime(3) conversions (UTC) with -G, also in\n"
		"                           directories (made as needed, an index each); - is stdout\n"
		"  -F pcap|pcapng           container format (default pcap, nanosecond; pcapng if the\n"
		"                           name contains .pcapng)\n"
		"  --zstd[=LEVEL]           zstd-compress (level 1 by default; implied by a .zst suffix)\n"
		"  --zstd-threads N         zstd worker threads (default 0: compress in the reader)\n"
		"  --zstd-multiframe        end a zstd frame at every flush and append a seek table\n"
		"                           (seekable; Wireshark 4.0 cannot read such files)\n"
		"  --flush-interval DURATION\n"
		"                           push buffered data to the file at least this often (1s)\n"
		"  -C SIZE                  rotate when a file reaches SIZE (bytes; K, M, G suffixes;\n"
		"                           a bare number is millions of bytes, as in tcpdump)\n"
		"  -G SECONDS               rotate every SECONDS, on multiples of SECONDS of frame time\n"
		"  -W N                     keep the newest N files of the pattern, earlier runs' and\n"
		"                           every dated directory's included\n"
		"  -z CMD                   run CMD FILE after each file is complete, as tcpdump does\n"
		"                           (not waited for; e.g. -z gzip, or a script that ships it)\n"
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

int dump_bad_usage(const char *fmt, const char *a)
{
	fprintf(stderr, "feedcap-dump: ");
	fprintf(stderr, fmt, a);
	fprintf(stderr, "\nTry 'feedcap-dump --help'.\n");
	return 2;
}

bool dump_has_suffix(const char *s, const char *suf)
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
	OPT_REQUIRE_WINDOW,
	OPT_ZSTD,
};

int dump_parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "ring", required_argument, NULL, OPT_RING },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "no-follow", no_argument, NULL, OPT_NO_FOLLOW },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "zstd", optional_argument, NULL, OPT_ZSTD },
		{ "zstd-threads", required_argument, NULL, OPT_ZSTD_THREADS },
		{ "zstd-multiframe", no_argument, NULL, OPT_ZSTD_MULTI },
		{ "flush-interval", required_argument, NULL, OPT_FLUSH },
		{ "on-error", required_argument, NULL, OPT_ON_ERROR },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "job", required_argument, NULL, OPT_JOB },
		{ "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
		{ "require-window", no_argument, NULL, OPT_REQUIRE_WINDOW },
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
	/* plain archives go to the disk with O_DIRECT (docs/performance.md says why) */
	o->wo.direct_io = true;
	/* '+': options first, then the filter words, as in the usage line. */
	while ((c = getopt_long(argc, argv, "+w:c:F:z:C:G:W:qhV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_RING:
			o->ring = optarg;
			break;
		case OPT_FROM:
			o->from_set = true;
			o->resume = strcmp(optarg, "resume") == 0;
			if (o->resume) {
				o->from.kind = FCR_FROM_OLDEST; /* with no earlier archive */
				break;
			}
			if (fcr_parse_from(optarg, &o->from, &err) != 0) {
				return dump_bad_usage("%s (or resume)", err.msg);
			}
			break;
		case OPT_NO_FOLLOW:
			o->follow = false;
			break;
		case OPT_DURATION:
			if (fcr_parse_duration(optarg, &o->duration_ns, &err) != 0) {
				return dump_bad_usage("--duration: %s", err.msg);
			}
			if (o->duration_ns == 0) {
				return dump_bad_usage(
					"--duration '%s': the duration must be above 0", optarg);
			}
			break;
		case 'c':
			errno = 0;
			o->count = strtoull(optarg, &end, 10);
			if (errno || *end || !*optarg || o->count == 0 || optarg[0] == '-') {
				return dump_bad_usage("-c '%s': expected a positive frame count",
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
				return dump_bad_usage("-F '%s': expected pcap or pcapng", optarg);
			}
			break;
		case 'z':
			/* tcpdump's: a command for each completed file (zstd is --zstd) */
			if (!optarg[0]) {
				return dump_bad_usage(
					"%s", "-z needs a command (zstd is --zstd[=LEVEL])");
			}
			o->post_cmd = optarg;
			break;
		case OPT_ZSTD: {
			const char *lv = optarg;

			o->zstd_set = true;
			o->wo.zstd_level = DEFAULT_ZSTD_LVL;
			if (lv) {
				long l = strtol(lv, &end, 10);

				if (*end || !is_number(lv) || l == 0 || l < -7 || l > 22) {
					return dump_bad_usage(
						"--zstd=%s: expected a zstd level 1..22 (or -1..-7)",
						lv);
				}
				o->wo.zstd_level = (int)l;
			}
			break;
		}
		case OPT_ZSTD_THREADS: {
			long t = strtol(optarg, &end, 10);

			if (*end || !*optarg || t < 0 || t > 64) {
				return dump_bad_usage("--zstd-threads '%s': expected 0..64",
						      optarg);
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
				return dump_bad_usage("--flush-interval: %s", err.msg);
			}
			if (o->wo.flush_interval_ns == 0) {
				return dump_bad_usage(
					"--flush-interval '%s': the interval must be above 0",
					optarg);
			}
			break;
		case 'C':
			if (is_number(optarg) && optarg[0] != '-') {
				o->rot_size = strtoull(optarg, NULL, 10) * 1000000u;
			} else if (fcr_parse_size(optarg, &o->rot_size, &err) != 0) {
				return dump_bad_usage("-C: %s", err.msg);
			}
			if (o->rot_size == 0) {
				return dump_bad_usage("-C '%s': the size must be above 0", optarg);
			}
			break;
		case 'G': {
			uint64_t ns;

			if (fcr_parse_duration(optarg, &ns, &err) != 0 || ns < NS_PER_S ||
			    ns % NS_PER_S) {
				return dump_bad_usage(
					"-G '%s': expected a whole number of seconds >= 1", optarg);
			}
			o->rot_ns = ns;
			break;
		}
		case 'W': {
			long n = strtol(optarg, &end, 10);

			if (*end || !*optarg || n < 1 || n > 1000000) {
				return dump_bad_usage("-W '%s': expected a number of files >= 1",
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
				return dump_bad_usage("--on-error '%s': expected exit or wait",
						      optarg);
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
		case OPT_REQUIRE_WINDOW:
			o->require_window = true;
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
		return dump_bad_usage("%s", "out of memory");
	}
	return 0;
}

/* What the options say together, once the job (if any) filled in what they did not. */
int dump_check_args(struct options *o)
{
	if (!o->ring) {
		return dump_bad_usage("%s", "--ring PATH|NAME is required");
	}
	if (!o->wpat) {
		return dump_bad_usage("%s", "-w FILE|PATTERN|- is required");
	}
	if (strcmp(o->wpat, "-") == 0) {
		if (o->rot_size || o->rot_ns || o->keep) {
			return dump_bad_usage("%s", "-C, -G and -W need a file name, not -w -");
		}
		if (o->resume) {
			return dump_bad_usage(
				"%s",
				"--from resume continues the archives of a -w FILE|PATTERN, not -w -");
		}
		if (o->post_cmd) {
			return dump_bad_usage("-z %s: runs on completed files: not with -w -",
					      o->post_cmd);
		}
	} else {
		if (!o->format_set && strstr(o->wpat, ".pcapng")) {
			o->wo.format = FCR_FMT_PCAPNG;
		}
		if (!o->zstd_set && dump_has_suffix(o->wpat, ".zst")) {
			o->wo.zstd_level = DEFAULT_ZSTD_LVL;
		}
	}
	if (o->require_window && o->from.kind != FCR_FROM_TIME && o->from.kind != FCR_FROM_AGO) {
		return dump_bad_usage("%s",
				      "--require-window needs --from TIME or --from -DURATION");
	}
	if (o->keep && !o->rot_size && !o->rot_ns) {
		return dump_bad_usage("%s", "-W needs -C or -G (there is only one file otherwise)");
	}
	if ((o->wo.zstd_threads || o->wo.zstd_multiframe) && !o->wo.zstd_level) {
		return dump_bad_usage(
			"%s", "--zstd-threads and --zstd-multiframe need --zstd or a .zst name");
	}
	return 0;
}
