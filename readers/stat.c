/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * feedcap-stat - what is on the wire, live from a ring or from archives.
 *
 * Per destination group and port: frames, bytes, rates and burst peaks; with --gaps, sequence
 * gaps per feed session decoded by the venue's protocol, each gap with its capture times;
 * with --feed (or [feed NAME] in the config file), A/B arbitration and the race between the
 * lines.  From a ring it also shows the capture's own counters, the clock block and every
 * registered reader, so that every place a frame can be lost has its own named counter in one
 * view.
 *
 * Output: a refreshing table on a terminal, one line per interval otherwise, or --json (one
 * object per interval, the last one a summary of the whole run); --prom FILE in addition
 * writes the Prometheus text format for node_exporter's textfile collector.
 *
 * This file: the options and the config file; stat_tool_internal.h lists the others.
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
#include <unistd.h>

#include "feedcap_config.h"
#include "stat_tool_internal.h"

static const char usage_text[] =
	"Usage: feedcap-stat --ring PATH|NAME [options] [filter expression]\n"
	"       feedcap-stat -r ARCHIVE... [options] [ARCHIVE...] [filter expression]\n"
	"\n"
	"Per destination group and port: frames, bytes, rates and burst peaks; sequence gaps\n"
	"with their times, A/B arbitration and the race between the lines; from a ring also the\n"
	"capture's own counters, the clock state and every registered reader's lag, losses and\n"
	"write errors.  Trailing ARCHIVE arguments are taken while they name existing files;\n"
	"the first word that does not starts the filter expression (or put -- before it).\n"
	"\n"
	"  -R, --ring PATH|NAME   read a ring live (a NAME resolves under $FEEDCAP_RING_DIR)\n"
	"  -r, --read ARCHIVE     read archives (pcap/pcapng, plain or zstd; a directory: every\n"
	"                         archive in it, through its index)\n"
	"      --from WHERE       ring: newest (default), oldest, TIME or -30s\n"
	"      --no-follow        ring: stop at the producer's position instead of following\n"
	"      --duration TIME    ring: stop after this long (30s, 5m, ...)\n"
	"  -i, --interval TIME    report every TIME (default 1s for a ring; for archives, in\n"
	"                         capture time, and only when given)\n"
	"  -j, --json             one JSON object per interval; the last line is the summary\n"
	"      --prom FILE        also write Prometheus text format to FILE (atomically)\n"
	"      --gaps DECODER[@GROUP[:PORT]]\n"
	"                         sequence gaps of the groups GROUP[:PORT] (without @: every\n"
	"                         UDP group) read with DECODER: moldudp64, pitch, iextp, mdp3,\n"
	"                         pillar, eobi, opra, a [decoder NAME] of the config file, or\n"
	"                         generic:OFFSET:WIDTH:be|le[,count=OFFSET:WIDTH:be|le]\n"
	"                         [,session=OFFSET:LENGTH][,heartbeat=...][,reset=...];\n"
	"                         repeatable, the first that matches a group wins\n"
	"      --feed NAME=A,B    groups A and B carry the same feed: a sequence number counts\n"
	"                         as missing only if both lines lost it, and the race between\n"
	"                         the lines is measured (A, B: ADDR:PORT or ADDR; repeatable;\n"
	"                         needs --gaps)\n"
	"      --burst-window TIME  burst peaks: most frames and bytes in any TIME of capture\n"
	"                         time (default 1ms, 1us to 1s)\n"
	"  -c, --config FILE      read [decoder NAME] and [feed NAME] sections from FILE\n"
	"  -V, --version          the version\n"
	"  -h, --help             this help\n"
	"\n"
	"Exit status: 0 ok; 1 runtime failure (including a damaged archive, counted up to its\n"
	"last complete record with a warning saying where it stopped); 2 bad usage or config.\n";

static void parse_feed(struct stat_opts *o, const char *arg)
{
	struct fcreader_feed_spec fs;
	struct stat_feed_opt *f;
	char msg[256];

	if (o->nfeeds == STAT_MAX_FEEDS) {
		fcr_cli_usage_error("--feed %s: at most %d feeds", arg, STAT_MAX_FEEDS);
	}
	if (fcreader_feed_parse(arg, &fs, msg, sizeof(msg)) < 0) {
		fcr_cli_usage_error("--feed %s: %s", arg, msg);
	}
	f = &o->feeds[o->nfeeds++];
	memset(f, 0, sizeof(*f));
	memcpy(f->name, fs.name, sizeof(f->name));
	for (int l = 0; l < 2; l++) {
		memcpy(f->spec[l], fs.spec[l], sizeof(f->spec[l]));
		f->line[l] = fs.line[l];
		f->any_port[l] = fs.any_port[l];
	}
}

static bool is_file(const char *p)
{
	struct stat st;

	return strcmp(p, "-") == 0 || stat(p, &st) == 0;
}

static void parse_args(int argc, char **argv, struct stat_opts *o)
{
	enum {
		OPT_FROM = 256,
		OPT_NO_FOLLOW,
		OPT_DURATION,
		OPT_PROM,
		OPT_GAPS,
		OPT_FEED,
		OPT_BURST,
	};
	static const struct option lopts[] = {
		{ "ring", required_argument, NULL, 'R' },
		{ "read", required_argument, NULL, 'r' },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "no-follow", no_argument, NULL, OPT_NO_FOLLOW },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "interval", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "prom", required_argument, NULL, OPT_PROM },
		{ "gaps", required_argument, NULL, OPT_GAPS },
		{ "feed", required_argument, NULL, OPT_FEED },
		{ "burst-window", required_argument, NULL, OPT_BURST },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct fcr_error err = { 0 };
	int c;

	memset(o, 0, sizeof(*o));
	o->interval_ns = 1000000000u;
	o->burst_ns = 1000000u;
	o->archives = calloc((size_t)argc + 1, sizeof(*o->archives));
	if (!o->archives) {
		fprintf(stderr, PROG ": out of memory\n");
		exit(1);
	}
	while ((c = getopt_long(argc, argv, "R:r:i:jc:hV", lopts, NULL)) != -1) {
		switch (c) {
		case 'R':
			o->ring = optarg;
			break;
		case 'r':
			o->archives[o->narchives++] = optarg;
			break;
		case OPT_FROM:
			if (fcr_parse_from(optarg, &o->from, &err) < 0) {
				fcr_cli_usage_error("--from: %s", err.msg);
			}
			break;
		case OPT_NO_FOLLOW:
			o->no_follow = true;
			break;
		case OPT_DURATION:
			if (fcr_parse_duration(optarg, &o->duration_ns, &err) < 0) {
				fcr_cli_usage_error("--duration: %s", err.msg);
			}
			break;
		case 'i':
			if (fcr_parse_duration(optarg, &o->interval_ns, &err) < 0) {
				fcr_cli_usage_error("--interval: %s", err.msg);
			}
			if (o->interval_ns < 1000000u) {
				fcr_cli_usage_error("--interval %s: at least 1ms", optarg);
			}
			o->interval_given = true;
			break;
		case 'j':
			o->json = true;
			break;
		case OPT_PROM:
			o->prom = optarg;
			break;
		case OPT_GAPS:
			if (o->ngaps_spec == STAT_MAX_RULES) {
				fcr_cli_usage_error("--gaps %s: at most %d --gaps options", optarg,
						    STAT_MAX_RULES);
			}
			o->gaps_spec[o->ngaps_spec++] = optarg;
			break;
		case OPT_FEED:
			parse_feed(o, optarg);
			break;
		case OPT_BURST:
			if (fcr_parse_duration(optarg, &o->burst_ns, &err) < 0) {
				fcr_cli_usage_error("--burst-window: %s", err.msg);
			}
			if (o->burst_ns < 1000u || o->burst_ns > 1000000000u) {
				fcr_cli_usage_error("--burst-window %s: from 1us to 1s", optarg);
			}
			break;
		case 'c':
			o->config = optarg;
			break;
		default: /* -h, -V, and what getopt refused */
			fcr_cli_common_option(c, usage_text);
		}
	}

	bool dashdash = optind > 0 && strcmp(argv[optind - 1], "--") == 0;

	if (o->narchives > 0) {
		while (optind < argc && !dashdash && is_file(argv[optind])) {
			o->archives[o->narchives++] = argv[optind++];
		}
	}
	if (optind < argc) {
		o->filter_expr = fcr_join_args(argc - optind, argv + optind);
		if (!o->filter_expr) {
			fprintf(stderr, PROG ": out of memory\n");
			exit(1);
		}
	}
	if (!o->ring == !o->narchives) {
		fcr_cli_usage_error("give exactly one of --ring PATH|NAME and -r ARCHIVE...");
	}
	if (o->ring == NULL &&
	    (o->no_follow || o->duration_ns || o->from.kind != FCR_FROM_NEWEST)) {
		fcr_cli_usage_error("--from, --no-follow and --duration apply to --ring only");
	}
}

/* ------------------------------------------------------------------ decoders and feeds */

static const struct fcreader_seq_decoder *decoder_find(const struct stat_opts *o, const char *name)
{
	for (unsigned int i = 0; i < o->nuser_dec; i++) {
		if (strcmp(o->user_dec[i].name, name) == 0) {
			return &o->user_dec[i];
		}
	}
	return fcreader_seq_builtin_find(name);
}

/* A decoder by name or spec; generic:... specs are kept among the user decoders. */
static const struct fcreader_seq_decoder *decoder_resolve(struct stat_opts *o, const char *spec,
							  const char *what)
{
	const struct fcreader_seq_decoder *d = decoder_find(o, spec);
	char msg[512];

	if (d) {
		return d;
	}
	if (o->nuser_dec == STAT_MAX_DECODERS) {
		fcr_cli_usage_error("%s: at most %d decoders", what, STAT_MAX_DECODERS);
	}
	if (fcreader_seq_decoder_parse(spec, &o->user_dec[o->nuser_dec], msg, sizeof(msg)) < 0) {
		fcr_cli_usage_error("%s%s", msg,
				    o->config || strncmp(spec, "generic:", 8) == 0
					    ? ""
					    : " (a [decoder NAME] needs --config FILE)");
	}
	return &o->user_dec[o->nuser_dec++];
}

static void add_rule(struct stat_opts *o, const struct fcreader_seq_decoder *d, const char *dst,
		     const char *text)
{
	struct stat_rule *r;

	if (o->nrules == STAT_MAX_RULES) {
		fcr_cli_usage_error("%s: at most %d --gaps rules", text, STAT_MAX_RULES);
	}
	r = &o->rules[o->nrules];
	memset(r, 0, sizeof(*r));
	r->dec = d;
	snprintf(r->text, sizeof(r->text), "%s", text);
	if (!dst) {
		r->all = true;
	} else if (fcreader_dst_parse(dst, &r->dst, &r->any_port) < 0) {
		fcr_cli_usage_error("%s: \"%s\" is not GROUP, GROUP:PORT or [IPV6]:PORT", text,
				    dst);
	}
	o->nrules++;
	o->gaps = true;
}

/* --gaps DECODER[@GROUP[:PORT]] */
static void parse_gaps(struct stat_opts *o, const char *arg)
{
	char buf[512], text[560];
	char *at;

	snprintf(text, sizeof(text), "--gaps %s", arg);
	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf)) {
		fcr_cli_usage_error("%s: too long", text);
	}
	at = strrchr(buf, '@');
	if (at) {
		*at = '\0';
		if (at[1] == '\0') {
			fcr_cli_usage_error("%s: nothing after @ (expected GROUP or GROUP:PORT)",
					    text);
		}
	}
	add_rule(o, decoder_resolve(o, buf, text), at ? at + 1 : NULL, text);
}

static const struct stat_rule *rule_for(const struct stat_opts *o, const struct fcreader_flow *f)
{
	for (unsigned int i = 0; i < o->nrules; i++) {
		const struct stat_rule *r = &o->rules[i];

		if (r->all || fcreader_dst_match(&r->dst, r->any_port, f)) {
			return r;
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------ the config file */

static void config_exit(const struct fcc_error *ce) __attribute__((noreturn));

static void config_exit(const struct fcc_error *ce)
{
	char msg[FCC_ERROR_MAX];

	fcc_format_error(ce, msg, sizeof(msg));
	fprintf(stderr, PROG ": %s\n", msg);
	exit(FCC_EXIT_CONFIG);
}

static void config_fail(const struct fcc_config *cfg, unsigned line, const char *key,
			const char *fmt, ...) __attribute__((format(printf, 4, 5), noreturn));

/* "FILE:LINE: KEY: problem", exit 2. */
static void config_fail(const struct fcc_config *cfg, unsigned line, const char *key,
			const char *fmt, ...)
{
	struct fcc_error ce = { 0 };
	va_list ap;

	snprintf(ce.file, sizeof(ce.file), "%s", cfg->path);
	ce.line = line;
	snprintf(ce.key, sizeof(ce.key), "%s", key);
	va_start(ap, fmt);
	vsnprintf(ce.msg, sizeof(ce.msg), fmt, ap);
	va_end(ap);
	config_exit(&ce);
}

/* [decoder NAME] and [feed NAME]: the config module checks the keys' form, this the
 * meaning (it knows the decoders); errors name the file and line. */
static void load_config(struct stat_opts *o)
{
	struct fcc_error ce = { 0 };
	struct fcc_config *cfg = fcc_load(o->config, &ce);

	if (!cfg) {
		config_exit(&ce);
	}
	if (fcc_validate(cfg, 0, &ce) < 0) {
		config_exit(&ce);
	}
	for (unsigned int i = 0; i < cfg->ndecoders; i++) {
		const struct fcc_decoder *cd = &cfg->decoders[i];
		struct fcreader_seq_decoder *d = &o->user_dec[o->nuser_dec];
		const struct {
			const char *key, *value;
			unsigned line;
		} kv[] = {
			{ "based_on", cd->based_on, cd->based_on_line },
			{ "seq", cd->seq, cd->seq_line },
			{ "count", cd->count, cd->count_line },
			{ "session", cd->session, cd->session_line },
			{ "heartbeat", cd->heartbeat, cd->heartbeat_line },
			{ "heartbeat_next", cd->heartbeat_next, cd->heartbeat_next_line },
			{ "reset", cd->reset, cd->reset_line },
			{ "end", cd->end, cd->end_line },
			{ "magic", cd->magic, cd->magic_line },
			{ "length", cd->length, cd->length_line },
			{ "min_length", cd->min_length, cd->min_length_line },
		};
		char msg[512];

		if (fcreader_seq_builtin_find(cd->name)) {
			config_fail(
				cfg, cd->line, "decoder",
				"[decoder %s]: a built-in decoder has that name: choose another",
				cd->name);
		}
		if (o->nuser_dec == STAT_MAX_DECODERS) {
			config_fail(cfg, cd->line, "decoder", "at most %d decoders",
				    STAT_MAX_DECODERS);
		}
		memset(d, 0, sizeof(*d));
		snprintf(d->name, sizeof(d->name), "%s", cd->name);
		/* based_on first: it replaces the whole row, the others change it */
		for (size_t k = 0; k < sizeof(kv) / sizeof(kv[0]); k++) {
			if (kv[k].value[0] && fcreader_seq_decoder_set(d, kv[k].key, kv[k].value,
								       msg, sizeof(msg)) < 0) {
				char key[64];

				snprintf(key, sizeof(key), "decoder.%s", kv[k].key);
				config_fail(cfg, kv[k].line, key, "%s", msg);
			}
		}
		if (fcreader_seq_decoder_check(d, msg, sizeof(msg)) < 0) {
			config_fail(cfg, cd->line, "decoder", "[decoder %s]: %s", cd->name, msg);
		}
		o->nuser_dec++;
	}
	for (unsigned int i = 0; i < cfg->nfeeds; i++) {
		const struct fcc_feed *cf = &cfg->feeds[i];
		const struct fcreader_seq_decoder *d = decoder_find(o, cf->decoder);
		struct stat_feed_opt *f = &o->feeds[o->nfeeds];
		const char *ab[2] = { cf->a, cf->b };
		unsigned abl[2] = { cf->a_line, cf->b_line };
		char text[FCC_PATH_MAX + 80];

		if (!d) {
			config_fail(
				cfg, cf->decoder_line, "feed.decoder",
				"\"%s\" is neither a built-in decoder (%s) nor a [decoder NAME] "
				"of this file",
				cf->decoder, fcreader_seq_builtin_names());
		}
		if (o->nfeeds == STAT_MAX_FEEDS) {
			config_fail(cfg, cf->line, "feed", "at most %d feeds", STAT_MAX_FEEDS);
		}
		memset(f, 0, sizeof(*f));
		snprintf(f->name, sizeof(f->name), "%s", cf->name);
		snprintf(f->decoder, sizeof(f->decoder), "%s", cf->decoder);
		for (int l = 0; l < 2; l++) {
			snprintf(f->spec[l], sizeof(f->spec[l]), "%s", ab[l]);
			if (fcreader_dst_parse(ab[l], &f->line[l], &f->any_port[l]) < 0) {
				config_fail(cfg, abl[l], l ? "feed.b" : "feed.a",
					    "\"%s\" is not GROUP:PORT, GROUP or [IPV6]:PORT",
					    ab[l]);
			}
			snprintf(text, sizeof(text), "%s:%u: [feed %s]", cfg->path, cf->line,
				 cf->name);
			add_rule(o, d, f->spec[l], text);
		}
		o->nfeeds++;
	}
	fcc_free(cfg);
}

static void resolve(struct stat_opts *o)
{
	if (o->config) {
		load_config(o);
	}
	for (unsigned int i = 0; i < o->ngaps_spec; i++) {
		parse_gaps(o, o->gaps_spec[i]);
	}
	if (o->nfeeds && !o->gaps) {
		fcr_cli_usage_error(
			"--feed needs a sequence decoder: add --gaps moldudp64 (or pitch, ...)");
	}
	for (unsigned int i = 0; i < o->nfeeds; i++) {
		const struct stat_feed_opt *f = &o->feeds[i];
		const struct stat_rule *a = rule_for(o, &f->line[0]);
		const struct stat_rule *b = rule_for(o, &f->line[1]);

		if (!a || !b) {
			fcr_cli_usage_error("--feed %s: no --gaps rule covers group %s: add --gaps "
					    "DECODER@%s",
					    f->name, a ? f->spec[1] : f->spec[0],
					    a ? f->spec[1] : f->spec[0]);
		}
		if (a->dec != b->dec) {
			fcr_cli_usage_error(
				"--feed %s: its lines are read with different decoders "
				"(%s by %s, %s by %s): both lines carry the same packets",
				f->name, a->dec->name, a->text, b->dec->name, b->text);
		}
	}
}

/* A group mostly undecodable is probably read with the wrong decoder: say so once. */
static void warn_wrong_decoders(struct stat_ctx *s)
{
	for (size_t i = 0; i < s->ngroups; i++) {
		const struct stat_group *g = &s->groups[i];

		if (g->dec && g->undecodable > 0 && g->undecodable * 2 > g->frames) {
			fprintf(stderr,
				PROG ": warning: %s: %" PRIu64 " of %" PRIu64
				     " packets are not %s: another protocol? (--gaps DECODER@%s)\n",
				g->name, g->undecodable, g->frames, g->dec->name, g->name);
		}
	}
}

int main(int argc, char **argv)
{
	static struct stat_ctx s;
	int status;

	fcr_cli_prog = PROG;
	parse_args(argc, argv, &s.o);
	resolve(&s.o);
	if (s.o.filter_expr) {
		struct fcr_error err = { 0 };

		s.filter = fcr_filter_compile(s.o.filter_expr, &err);
		if (!s.filter) {
			fcr_cli_usage_error("%s", err.msg);
		}
	}
	for (unsigned int i = 0; i < s.o.nfeeds; i++) {
		s.feeds[i].o = &s.o.feeds[i];
		s.feeds[i].group[0] = s.feeds[i].group[1] = -1;
	}
	s.tty = isatty(STDOUT_FILENO) && !s.o.json;
	s.print_gaps = !s.o.json && !s.tty && s.o.gaps;

	fcr_cli_catch_stop_signals();

	status = s.o.ring ? stat_run_ring(&s) : stat_run_archives(&s);
	warn_wrong_decoders(&s);
	if (s.oom) {
		fprintf(stderr,
			PROG ": out of memory: some groups or sequence ranges are not counted\n");
		status = 1;
	}
	stat_free(&s);
	return status;
}
