/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * replay_cli.c - feedcap-replay's command line: the options, --help, the usage errors.
 * docs/man/feedcap-replay.1 defines the same options (tests/integration/config_man_help.sh).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "replay_internal.h"
#include "stat_internal.h"

#define DEFAULT_RING_SIZE (UINT64_C(64) << 20)

static const char usage_text[] =
	"Usage: feedcap-replay -w FILE|- [options] DIR|ARCHIVE... [filter expression]\n"
	"       feedcap-replay --to-ring PATH|NAME [options] DIR|ARCHIVE... [filter expression]\n"
	"       feedcap-replay --list [--from TIME] [--to TIME] [--json] DIR|ARCHIVE...\n"
	"       feedcap-replay --reindex DIR...\n"
	"\n"
	"Reads pcap and pcapng archives, plain or zstd-compressed (feedcap's, tcpdump's,\n"
	"Wireshark's), merges them by timestamp and writes one capture, or plays them into a ring.\n"
	"A directory means every archive in it, found through its index (feedcap-index.jsonl),\n"
	"which is repaired from the files when it disagrees with them; only the archives that\n"
	"overlap --from/--to are opened, a few at a time.  DIR|ARCHIVE arguments are taken while\n"
	"they name existing files or directories (\"-\" is stdin); the first word that does not\n"
	"starts the filter expression (or put -- before it).\n"
	"\n"
	"  -w, --write FILE|-      write a capture to FILE (zstd-compressed if it ends in .zst),\n"
	"                          or to stdout with -\n"
	"  -F, --format pcap|pcapng  output format (default pcapng if the name contains\n"
	"                          .pcapng, else pcap): pcapng keeps each frame's interface,\n"
	"                          comments and flags, and the interface statistics; pcap keeps\n"
	"                          the first archive's link type and time resolution\n"
	"      --from TIME         keep records at or after TIME (ISO 8601 or epoch seconds, UTC)\n"
	"      --to TIME           keep records before TIME\n"
	"      --require-window    exit 1 when the archives do not hold all of --from..--to\n"
	"      --to-ring PATH|NAME play into a ring instead (PATH with a '/': that file;\n"
	"                          a NAME: a ring in /dev/shm)\n"
	"      --pace original|max at the archive's own pace, or as fast as possible (default)\n"
	"      --ring-size SIZE    data bytes of a ring that does not exist yet (default 64M)\n"
	"      --list              list the archives that overlap --from/--to, from the index:\n"
	"                          file, first and last frame time, frames, bytes, format\n"
	"      --json              with --list: one JSON object per line, the index's fields\n"
	"      --reindex           rebuild each DIR's index from its files\n"
	"      --arbitrate NAME=A,B  groups A and B (ADDR:PORT or ADDR) carry the same feed:\n"
	"                          write each sequence number once, at its first arrival on\n"
	"                          either line, and report what neither delivered (repeatable)\n"
	"      --gaps DECODER      the arbitrated feeds' sequence decoder: moldudp64, pitch,\n"
	"                          iextp, mdp3, pillar, eobi, opra or generic:OFFSET:WIDTH:be|le\n"
	"  -v, --verbose           print what was read and written on stderr\n"
	"  -V, --version           the version\n"
	"  -h, --help              this help\n"
	"\n"
	"Exit status: 0 ok; 1 runtime failure, including a damaged (truncated or corrupt)\n"
	"archive, which is read up to its last complete record with a warning saying where it\n"
	"stopped; 2 bad usage.\n";

static enum fcr_format parse_format(const char *s)
{
	if (strcmp(s, "pcap") == 0) {
		return FCR_FMT_PCAP;
	}
	if (strcmp(s, "pcapng") == 0) {
		return FCR_FMT_PCAPNG;
	}
	fcr_cli_usage_error("-F %s: the format is pcap or pcapng", s);
}

static enum pace parse_pace(const char *s)
{
	if (strcmp(s, "original") == 0) {
		return PACE_ORIGINAL;
	}
	if (strcmp(s, "max") != 0) {
		fcr_cli_usage_error("--pace %s: original or max", s);
	}
	return PACE_MAX;
}

static void set_mode(struct replay_opts *o, enum replay_mode m, const char *opt)
{
	if (o->mode != MODE_PLAY && o->mode != m) {
		fcr_cli_usage_error("%s: --list and --reindex do not go together", opt);
	}
	o->mode = m;
}

/* The DIR|ARCHIVE words: from optind while they name something that exists. */
static bool looks_like_capture(const char *w)
{
	static const char *const sfx[] = { ".pcap", ".pcapng",	 ".cap",
					   ".zst",  ".pcap.zst", ".pcapng.zst" };
	size_t l = strlen(w);

	for (size_t k = 0; k < sizeof(sfx) / sizeof(sfx[0]); k++) {
		size_t n = strlen(sfx[k]);

		if (l > n && strcmp(w + l - n, sfx[k]) == 0) {
			return true;
		}
	}
	return false;
}

static int take_archives(int argc, char **argv, struct replay_opts *o)
{
	int i = optind;

	o->archives = argv + optind;
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
	/*
	 * A word that can only be a file (a capture suffix, or a path as the first argument) and
	 * does not exist is a missing archive: a runtime failure (1), as tcpdump -r says, not a
	 * filter word (a filter never starts with a path; "net 10.0.0.0/8" starts with "net").
	 */
	if (i < argc && strcmp(argv[i], "--") != 0 &&
	    (looks_like_capture(argv[i]) || (o->narchives == 0 && strchr(argv[i], '/')))) {
		fprintf(stderr, PROG ": %s: no such archive or directory\n", argv[i]);
		exit(1);
	}
	if (o->narchives == 0) {
		if (i < argc && strcmp(argv[i], "--") != 0) {
			fcr_cli_usage_error(
				"%s: no such archive or directory (DIR|ARCHIVE arguments come "
				"before the filter)",
				argv[i]);
		}
		fcr_cli_usage_error("no DIR or ARCHIVE given");
	}
	if (i < argc && strcmp(argv[i], "--") == 0) {
		i++;
	}
	return i;
}

/* Whether the words before any "--" ask for --list or --reindex. */
static bool lists_dirs(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--list") == 0 || strcmp(argv[i], "--reindex") == 0) {
			return true;
		}
	}
	return false;
}

void replay_parse_args(int argc, char **argv, struct replay_opts *o)
{
	enum {
		OPT_FROM = 256,
		OPT_TO,
		OPT_TO_RING,
		OPT_PACE,
		OPT_RING_SIZE,
		OPT_LIST,
		OPT_JSON,
		OPT_REINDEX,
		OPT_REQUIRE_WINDOW,
		OPT_ARBITRATE,
		OPT_GAPS,
	};
	static const struct option lopts[] = {
		{ "write", required_argument, NULL, 'w' },
		{ "format", required_argument, NULL, 'F' },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "to-ring", required_argument, NULL, OPT_TO_RING },
		{ "pace", required_argument, NULL, OPT_PACE },
		{ "ring-size", required_argument, NULL, OPT_RING_SIZE },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "reindex", no_argument, NULL, OPT_REINDEX },
		{ "require-window", no_argument, NULL, OPT_REQUIRE_WINDOW },
		{ "arbitrate", required_argument, NULL, OPT_ARBITRATE },
		{ "gaps", required_argument, NULL, OPT_GAPS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct fcr_error err = { 0 };
	int c, i;

	memset(o, 0, sizeof(*o));
	o->to = FCR_TIME_MAX;
	o->ring_size = DEFAULT_RING_SIZE;
	/*
	 * '+': stop at the first non-option, so filter words such as "-1" are not options.
	 * --list and --reindex take no filter, and their usage puts options after the
	 * directories (--list DIR... --from T --json): there getopt may permute.
	 */
	while ((c = getopt_long(argc, argv, lists_dirs(argc, argv) ? "w:F:vhV" : "+w:F:vhV", lopts,
				NULL)) != -1) {
		switch (c) {
		case 'w':
			o->out = optarg;
			break;
		case 'F':
			o->format = parse_format(optarg);
			o->format_set = true;
			break;
		case OPT_FROM:
			if (fcr_parse_time(optarg, &o->from, &err) < 0) {
				fcr_cli_usage_error("--from: %s", err.msg);
			}
			o->from_set = true;
			break;
		case OPT_TO:
			if (fcr_parse_time(optarg, &o->to, &err) < 0) {
				fcr_cli_usage_error("--to: %s", err.msg);
			}
			o->to_set = true;
			break;
		case OPT_TO_RING:
			o->ring = optarg;
			break;
		case OPT_PACE:
			o->pace = parse_pace(optarg);
			break;
		case OPT_RING_SIZE:
			if (fcr_parse_size(optarg, &o->ring_size, &err) < 0) {
				fcr_cli_usage_error("--ring-size: %s", err.msg);
			}
			break;
		case OPT_LIST:
			set_mode(o, MODE_LIST, "--list");
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_REINDEX:
			set_mode(o, MODE_REINDEX, "--reindex");
			break;
		case OPT_REQUIRE_WINDOW:
			o->require_window = true;
			break;
		case OPT_ARBITRATE:
			if (o->narb == REPLAY_MAX_ARB) {
				fcr_cli_usage_error("--arbitrate %s: at most %d feeds", optarg,
						    REPLAY_MAX_ARB);
			}
			o->arb[o->narb++] = optarg;
			break;
		case OPT_GAPS:
			o->arb_gaps = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		default: /* -h, -V, and what getopt refused */
			fcr_cli_common_option(c, usage_text);
		}
	}
	if (o->mode == MODE_PLAY && !o->out == !o->ring) {
		fcr_cli_usage_error("give exactly one of -w FILE|- and --to-ring PATH|NAME "
				    "(or --list, --reindex)");
	}
	if (o->mode != MODE_PLAY && (o->out || o->ring)) {
		fcr_cli_usage_error("--list and --reindex write nothing: no -w or --to-ring");
	}
	/* as feedcap-dump: the name says pcapng unless -F says otherwise */
	if (!o->format_set && o->out && strstr(o->out, ".pcapng")) {
		o->format = FCR_FMT_PCAPNG;
	}
	if (o->json && o->mode != MODE_LIST) {
		fcr_cli_usage_error("--json goes with --list");
	}
	if (o->mode == MODE_REINDEX && (o->from_set || o->to_set || o->require_window)) {
		fcr_cli_usage_error("--reindex takes directories only, no time range");
	}
	if (o->narb && !o->arb_gaps) {
		fcr_cli_usage_error(
			"--arbitrate needs the feed's sequence decoder: add --gaps "
			"moldudp64 (or pitch, iextp, mdp3, pillar, eobi, opra, generic:...)");
	}
	if (o->arb_gaps && !o->narb) {
		fcr_cli_usage_error("--gaps %s: goes with --arbitrate NAME=A,B", o->arb_gaps);
	}
	if (o->narb && o->mode != MODE_PLAY) {
		fcr_cli_usage_error("--arbitrate writes a stream: not with --list or --reindex");
	}
	if (o->from >= o->to) {
		fcr_cli_usage_error("--from is not before --to: nothing would be kept");
	}
	i = take_archives(argc, argv, o);
	if (o->mode != MODE_PLAY && i < argc) {
		fcr_cli_usage_error("%s: --list and --reindex take no filter expression", argv[i]);
	}
	if (o->mode == MODE_REINDEX) {
		for (unsigned int k = 0; k < o->narchives; k++) {
			struct stat st;

			if (stat(o->archives[k], &st) != 0 || !S_ISDIR(st.st_mode)) {
				fcr_cli_usage_error("--reindex %s: not a directory",
						    o->archives[k]);
			}
		}
	}
	o->filter = fcr_join_args(argc - i, argv + i);
	if (!o->filter) {
		fprintf(stderr, PROG ": out of memory\n");
		exit(1);
	}
}
