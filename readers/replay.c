/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * feedcap-replay - archives back to one pcap or pcapng stream, or into a ring.
 *
 * Every archive is read through the reader library (libpcap under a zstd stream), the files
 * are merged by timestamp, kept to --from/--to, filtered with a libpcap expression, and
 * written out.  A damaged archive is read up to its last complete record; the warning says
 * where it stopped and the exit code is 1 (the output is complete up to that point and valid).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "fcreader.h"
#include "ringshm.h"
#include "stat_internal.h"

#define PROG "feedcap-replay"

#define RING_BURST	  32
#define DEFAULT_RING_SIZE (UINT64_C(64) << 20)

static const char usage_text[] =
	"Usage: feedcap-replay -w FILE|- [options] ARCHIVE... [filter expression]\n"
	"       feedcap-replay --to-ring PATH|NAME [options] ARCHIVE... [filter expression]\n"
	"\n"
	"Reads pcap and pcapng archives, plain or zstd-compressed (feedcap's, tcpdump's,\n"
	"Wireshark's), merges them by timestamp and writes one capture, or plays them into a ring.\n"
	"ARCHIVE arguments are taken while they name existing files (\"-\" is stdin); the first\n"
	"word that does not starts the filter expression (or put -- before it).\n"
	"\n"
	"  -w, --write FILE|-      write a capture to FILE (zstd-compressed if it ends in .zst),\n"
	"                          or to stdout with -\n"
	"  -F, --format pcap|pcapng  output format (default pcap, nanosecond timestamps)\n"
	"      --from TIME         keep records at or after TIME (ISO 8601 or epoch seconds)\n"
	"      --to TIME           keep records before TIME\n"
	"      --to-ring PATH|NAME play into a ring instead (PATH with a '/': that file;\n"
	"                          a NAME: a ring in /dev/shm)\n"
	"      --pace original|max at the archive's own pace, or as fast as possible (default)\n"
	"      --ring-size SIZE    data bytes of a ring that does not exist yet (default 64M)\n"
	"  -v, --verbose           print what was read and written on stderr\n"
	"  -h, --help              this help\n"
	"\n"
	"Exit status: 0 ok; 1 runtime failure, including a damaged (truncated or corrupt)\n"
	"archive, which is read up to its last complete record with a warning saying where it\n"
	"stopped; 2 bad usage.\n";

enum pace { PACE_MAX, PACE_ORIGINAL };

struct opts {
	const char *out;
	const char *ring;
	enum fcr_format format;
	enum pace pace;
	uint64_t from, to;
	uint64_t ring_size;
	bool verbose;
	const char *const *archives;
	unsigned int narchives;
	char *filter;
};

static void parse_args(int argc, char **argv, struct opts *o)
{
	enum { OPT_FROM = 256, OPT_TO, OPT_TO_RING, OPT_PACE, OPT_RING_SIZE };
	static const struct option lopts[] = {
		{ "write", required_argument, NULL, 'w' },
		{ "format", required_argument, NULL, 'F' },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "to-ring", required_argument, NULL, OPT_TO_RING },
		{ "pace", required_argument, NULL, OPT_PACE },
		{ "ring-size", required_argument, NULL, OPT_RING_SIZE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fcr_error err = { 0 };
	int c;

	memset(o, 0, sizeof(*o));
	o->to = FCR_TIME_MAX;
	o->ring_size = DEFAULT_RING_SIZE;
	/* '+': stop at the first non-option, so filter words such as "-1" are not options */
	while ((c = getopt_long(argc, argv, "+w:F:vh", lopts, NULL)) != -1) {
		switch (c) {
		case 'w':
			o->out = optarg;
			break;
		case 'F':
			if (strcmp(optarg, "pcap") == 0) {
				o->format = FCR_FMT_PCAP;
			} else if (strcmp(optarg, "pcapng") == 0) {
				o->format = FCR_FMT_PCAPNG;
			} else {
				fcr_cli_usage_error("-F %s: the format is pcap or pcapng", optarg);
			}
			break;
		case OPT_FROM:
			if (fcr_parse_time(optarg, &o->from, &err) < 0) {
				fcr_cli_usage_error("--from: %s", err.msg);
			}
			break;
		case OPT_TO:
			if (fcr_parse_time(optarg, &o->to, &err) < 0) {
				fcr_cli_usage_error("--to: %s", err.msg);
			}
			break;
		case OPT_TO_RING:
			o->ring = optarg;
			break;
		case OPT_PACE:
			if (strcmp(optarg, "original") == 0) {
				o->pace = PACE_ORIGINAL;
			} else if (strcmp(optarg, "max") == 0) {
				o->pace = PACE_MAX;
			} else {
				fcr_cli_usage_error("--pace %s: original or max", optarg);
			}
			break;
		case OPT_RING_SIZE:
			if (fcr_parse_size(optarg, &o->ring_size, &err) < 0) {
				fcr_cli_usage_error("--ring-size: %s", err.msg);
			}
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			fprintf(stderr, "Try '" PROG " --help'.\n");
			exit(FCR_CLI_EXIT_USAGE);
		}
	}
	if (!o->out == !o->ring) {
		fcr_cli_usage_error("give exactly one of -w FILE|- and --to-ring PATH|NAME");
	}
	if (o->from >= o->to) {
		fcr_cli_usage_error("--from is not before --to: nothing would be kept");
	}

	int i = optind;

	/* the archives are the argv words from optind on that name files: no copy needed */
	o->archives = (const char *const *)(argv + optind);
	for (; i < argc; i++) {
		struct stat st;

		if (strcmp(argv[i], "--") == 0) {
			break;
		}
		if (strcmp(argv[i], "-") != 0 && stat(argv[i], &st) < 0) {
			break;
		}
		o->narchives++;
	}
	if (o->narchives == 0) {
		if (i < argc) {
			fcr_cli_usage_error(
				"%s: no such archive (ARCHIVE arguments come before the filter)",
				argv[i]);
		}
		fcr_cli_usage_error("no ARCHIVE given");
	}
	if (i < argc && strcmp(argv[i], "--") == 0) {
		i++;
	}
	o->filter = fcr_join_args(argc - i, argv + i);
	if (!o->filter) {
		fprintf(stderr, PROG ": out of memory\n");
		exit(1);
	}
}

/* ------------------------------------------------------------------ outputs */

/*
 * The output: a pcap written by libpcap's own dumper (nanosecond magic), or the reader
 * library's writer for pcapng, or a ring.
 */
struct output {
	/* pcap */
	pcap_t *dead;
	pcap_dumper_t *dumper;
	/* pcapng */
	struct fcr_writer *w;
	FILE *wfp;
	/* ring */
	struct ringshm *ring;
	unsigned int burst;
	uint64_t pace_base_ts, pace_base_wall, last_hb;
	uint32_t max_caplen;
	enum pace pace;
	const char *name;
};

static int out_open(struct output *out, const struct opts *o, int linktype, uint32_t snaplen)
{
	memset(out, 0, sizeof(*out));
	out->name = o->ring ? o->ring : (strcmp(o->out, "-") == 0 ? "stdout" : o->out);
	out->pace = o->pace;
	if (o->ring) {
		struct ringshm_params p = {
			.capacity = o->ring_size,
			.backing =
				strchr(o->ring, '/') ? RINGSHM_BACKING_FILE : RINGSHM_BACKING_SHM,
			.no_lock = true,
		};
		struct ringshm_error rerr = { 0 };

		if (linktype != DLT_EN10MB) {
			fprintf(stderr,
				PROG ": %s: a ring holds Ethernet frames; the archives are %s\n",
				o->ring, pcap_datalink_val_to_name(linktype));
			return -EINVAL;
		}
		if (p.capacity < (UINT64_C(8) << 20)) {
			p.chunk_size = RINGSHM_MIN_CHUNK; /* small rings for tests */
		}
		out->ring = ringshm_create(o->ring, &p, &rerr);
		if (!out->ring) {
			fprintf(stderr, PROG ": %s\n", rerr.msg);
			return -1;
		}

		struct ringshm_ctl *ctl = ringshm_ctl(out->ring);

		snprintf(ctl->ports[0].name, sizeof(ctl->ports[0].name), "replay");
		ctl->ports[0].ts_source = RINGSHM_F_TS_SRC_NONE;
		__atomic_store_n(&ctl->nports, 1, __ATOMIC_RELAXED);
		ringshm_heartbeat(out->ring);
		out->max_caplen = ringshm_max_caplen(out->ring);
		return 0;
	}

	FILE *fp = strcmp(o->out, "-") == 0 ? stdout : fopen(o->out, "wb");
	size_t olen = strlen(o->out);
	bool zst = olen > 4 && strcmp(o->out + olen - 4, ".zst") == 0;

	if (!fp) {
		fprintf(stderr, PROG ": %s: cannot create: %s\n", o->out, strerror(errno));
		return -1;
	}
	if (linktype == DLT_EN10MB) {
		/* the reader library's writers: pcap (ns) or pcapng, zstd for a .zst name */
		struct fcr_writer_opts wo = {
			.format = o->format,
			.zstd_level = zst ? 1 : 0,
			.snaplen = snaplen,
		};
		struct fcr_error err = { 0 };

		out->wfp = fp;
		out->w = fcr_writer_open(fileno(fp), out->name, &wo, &err);
		if (!out->w) {
			fprintf(stderr, PROG ": %s\n", err.msg);
			return -1;
		}
		return 0;
	}
	/*
	 * Other link types (Linux cooked captures from tcpdump -i any, raw IP): the library's
	 * writers write Ethernet, so libpcap's own dumper writes the pcap.
	 */
	if (o->format == FCR_FMT_PCAPNG || zst) {
		fprintf(stderr,
			PROG ": %s: the archives are %s: only plain pcap output (-F pcap, no .zst) "
			     "keeps that link type\n",
			out->name, pcap_datalink_val_to_name(linktype));
		if (fp != stdout) {
			fclose(fp);
		}
		return -EINVAL;
	}
	out->dead = pcap_open_dead_with_tstamp_precision(linktype, (int)snaplen,
							 PCAP_TSTAMP_PRECISION_NANO);
	if (!out->dead) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	out->dumper = pcap_dump_fopen(out->dead, fp);
	if (!out->dumper) {
		fprintf(stderr, PROG ": %s: %s\n", out->name, pcap_geterr(out->dead));
		return -1;
	}
	return 0;
}

static void pace_wait(struct output *out, uint64_t ts)
{
	if (out->pace_base_wall == 0) {
		out->pace_base_wall = fcr_cli_now_ns(CLOCK_MONOTONIC);
		out->pace_base_ts = ts;
		return;
	}
	if (ts <= out->pace_base_ts) {
		return;
	}

	uint64_t due = out->pace_base_wall + (ts - out->pace_base_ts);

	if (fcr_cli_now_ns(CLOCK_MONOTONIC) >= due) {
		return;
	}
	/* publish what is ready before sleeping, so readers see it on time */
	if (out->burst) {
		ringshm_commit(out->ring);
		out->burst = 0;
	}

	struct timespec t = { .tv_sec = (time_t)(due / 1000000000u),
			      .tv_nsec = (long)(due % 1000000000u) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR &&
	       !fcr_cli_stopping()) {
	}
}

static int out_write(struct output *out, const struct fcr_pkt *pkt)
{
	if (out->ring) {
		uint32_t cap = pkt->cap_len;
		uint16_t flags = RINGSHM_F_TS_SRC_NONE;

		if (out->pace == PACE_ORIGINAL) {
			pace_wait(out, pkt->ts_ns);
		}
		if (cap > out->max_caplen) {
			cap = out->max_caplen;
		}
		if (cap < pkt->wire_len) {
			flags |= RINGSHM_F_TRUNCATED;
		}
		memcpy(ringshm_alloc(out->ring, cap, pkt->wire_len, pkt->ts_ns, 0, flags),
		       pkt->data, cap);
		if (++out->burst == RING_BURST) {
			ringshm_commit(out->ring);
			out->burst = 0;

			uint64_t now = fcr_cli_now_ns(CLOCK_MONOTONIC);

			if (now - out->last_hb > 100000000u) {
				ringshm_heartbeat(out->ring);
				out->last_hb = now;
			}
		}
		return 0;
	}
	if (out->w) {
		struct fcr_error err = { 0 };
		int rc = fcr_writer_write(out->w, pkt, 0, &err);

		if (rc < 0) {
			fprintf(stderr, PROG ": %s\n", err.msg);
		}
		return rc;
	}

	struct pcap_pkthdr h = {
		.ts.tv_sec = (time_t)(pkt->ts_ns / 1000000000u),
		.ts.tv_usec =
			(suseconds_t)(pkt->ts_ns % 1000000000u), /* ns: the dead handle is nano */
		.caplen = pkt->cap_len,
		.len = pkt->wire_len,
	};

	pcap_dump((u_char *)out->dumper, &h, pkt->data);
	return 0;
}

static int out_close(struct output *out)
{
	int rc = 0;

	if (out->ring) {
		ringshm_commit(out->ring);
		ringshm_heartbeat(out->ring);
		ringshm_close(out->ring);
	}
	if (out->w) {
		struct fcr_error err = { 0 };

		if (fcr_writer_close(out->w, &err) < 0) {
			fprintf(stderr, PROG ": %s\n", err.msg);
			rc = -1;
		}
		if (out->wfp != stdout ? fclose(out->wfp) != 0 : fflush(stdout) != 0) {
			fprintf(stderr, PROG ": %s: %s\n", out->name, strerror(errno));
			rc = -1;
		}
	}
	if (out->dumper) {
		FILE *fp = pcap_dump_file(out->dumper);
		bool err = pcap_dump_flush(out->dumper) < 0 || ferror(fp);

		if (err) {
			fprintf(stderr, PROG ": %s: write error: %s\n", out->name, strerror(errno));
			rc = -1;
		}
		pcap_dump_close(out->dumper);
	}
	if (out->dead) {
		pcap_close(out->dead);
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct fcr_error err = { 0 };
	struct output out;
	int status = 0;

	fcr_cli_prog = PROG;
	parse_args(argc, argv, &o);

	fcr_cli_catch_stop_signals();

	struct fcr_archive_set *set =
		fcr_archive_set_open(o.archives, o.narchives, o.from, o.to, &err);
	struct bpf_program prog = { 0 };
	pcap_t *fdead = NULL;

	if (!set) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		status = 1;
		goto out_filter;
	}

	int linktype = fcr_archive_set_linktype(set);
	uint32_t snaplen = fcr_archive_set_snaplen(set);

	if (o.filter[0]) {
		/*
		 * Compiled for the archives' own link type (fcr_filter_compile() is for the
		 * ring's Ethernet frames; archives from tcpdump -i any are Linux cooked).
		 */
		fdead = pcap_open_dead(linktype, (int)snaplen);
		if (!fdead || pcap_compile(fdead, &prog, o.filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			fprintf(stderr, PROG ": bad filter expression '%s': %s\n", o.filter,
				fdead ? pcap_geterr(fdead) : "out of memory");
			status = FCR_CLI_EXIT_USAGE;
			goto out_set;
		}
	}
	if (out_open(&out, &o, linktype, snaplen) < 0) {
		status = 1;
		goto out_prog;
	}

	struct fcr_pkt pkt;
	uint64_t read = 0, written = 0, filtered = 0;

	while (!fcr_cli_stopping() && fcr_archive_set_next(set, &pkt, NULL) == 1) {
		read++;
		if (fdead) {
			struct pcap_pkthdr h = { .caplen = pkt.cap_len, .len = pkt.wire_len };

			if (!pcap_offline_filter(&prog, &h, pkt.data)) {
				filtered++;
				continue;
			}
		}
		if (out_write(&out, &pkt) < 0) {
			status = 1;
			break;
		}
		written++;
	}
	for (unsigned int i = 0; i < fcr_archive_set_count(set); i++) {
		struct fcr_archive_result r;

		fcr_archive_set_result(set, i, &r);
		if (r.damaged) {
			fprintf(stderr, PROG ": warning: %s\n", r.message);
			status = 1;
		}
	}
	if (out_close(&out) < 0) {
		status = 1;
	}
	if (o.verbose) {
		fprintf(stderr,
			PROG ": %" PRIu64 " records read in range, %" PRIu64
			     " filtered out, %" PRIu64 " written to %s\n",
			read, filtered, written, out.name);
	}
out_prog:
	if (fdead) {
		pcap_freecode(&prog);
	}
out_set:
	if (fdead) {
		pcap_close(fdead);
	}
	fcr_archive_set_close(set);
out_filter:
	free(o.filter);
	return status;
}
