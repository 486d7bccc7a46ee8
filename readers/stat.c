/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * feedcap-stat - what is on the wire, live from a ring or from archives.
 *
 * Per destination group and port: frames, bytes, rates and the peak frames in one
 * millisecond; with --gaps, sequence gaps per feed session; with --feed, A/B arbitration.
 * From a ring it also shows the capture's own counters, the clock block and every registered
 * reader, so that every place a frame can be lost has its own named counter in one view.
 *
 * Output: a refreshing table on a terminal, one line per interval otherwise, or --json (one
 * object per interval, the last one a summary of the whole run); --prom FILE in addition
 * writes the Prometheus text format for node_exporter's textfile collector.
 *
 * Ring records are used in place and validated afterwards (ringshm_reader_done()): what this
 * tool takes from a frame is copied out first and only counted once the record proves intact,
 * so an overwritten record never reaches the statistics.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <pcap/pcap.h>

#include "archset.h"
#include "fcreader.h"
#include "ringshm.h"
#include "seqgap_internal.h"
#include "stat_internal.h"
#include "timesync.h"

#define PROG "feedcap-stat"

#define MAX_FEEDS    64
#define RANGES_SHOWN 1000 /* missing ranges listed per session (counts stay exact) */
#define TEXT_RANGES  10
#define COPY_MAX     2048 /* frame bytes copied out of the ring before validation */
#define NS	     1000000000.0

static const char usage_text[] =
	"Usage: feedcap-stat --ring PATH|NAME [options]\n"
	"       feedcap-stat -r ARCHIVE... [options]\n"
	"\n"
	"Per destination group and port: frames, bytes, rate and peak frames per millisecond;\n"
	"sequence gaps, A/B arbitration; from a ring also the capture's own counters, the clock\n"
	"state and every registered reader's lag, losses and write errors.\n"
	"\n"
	"  -R, --ring PATH|NAME   read a ring live (a NAME resolves under $FEEDCAP_RING_DIR)\n"
	"  -r, --read ARCHIVE     read archives (pcap/pcapng, plain or zstd; a directory: every\n"
	"                         archive in it, through its index); further ARCHIVE\n"
	"                         arguments may follow the options\n"
	"      --from WHERE       ring: newest (default), oldest, TIME or -30s\n"
	"      --no-follow        ring: stop at the producer's position instead of following\n"
	"      --duration TIME    ring: stop after this long (30s, 5m, ...)\n"
	"  -i, --interval TIME    report every TIME (default 1s for a ring; for archives, in\n"
	"                         capture time, and only when given)\n"
	"  -j, --json             one JSON object per interval; the last line is the summary\n"
	"      --prom FILE        also write Prometheus text format to FILE (atomically)\n"
	"      --gaps DECODER     sequence gaps: moldudp64, or generic:OFFSET:WIDTH:be|le (a\n"
	"                         WIDTH-byte number OFFSET bytes into the UDP payload)\n"
	"      --feed NAME=A,B    groups A and B carry the same feed: a sequence number counts\n"
	"                         as missing only if both lines lost it (A, B: ADDR:PORT or\n"
	"                         ADDR; repeatable; needs --gaps)\n"
	"  -h, --help             this help\n"
	"\n"
	"Exit status: 0 ok; 1 runtime failure (including a damaged archive, counted up to its\n"
	"last complete record with a warning saying where it stopped); 2 bad usage.\n";

/* ------------------------------------------------------------------ state */

struct session {
	uint8_t id[FCREADER_SEQ_SESSION_MAX];
	uint8_t len;
	struct fcreader_seq_track t;
};

struct sessions {
	struct session *v;
	size_t n, cap;
};

struct group {
	struct fcreader_flow key;
	char name[64];
	uint64_t frames, bytes;
	uint64_t i_frames, i_bytes; /* this interval */
	uint64_t cur_ms, cur_ms_frames;
	uint64_t peak_fpms, i_peak_fpms;
	uint64_t undecoded; /* --gaps: payloads the decoder could not read */
	struct sessions sess;
	int feed; /* index in feeds[], or -1 */
	int line; /* 0 = A, 1 = B */
};

struct feed {
	char name[64];
	struct fcreader_flow line[2];
	bool any_port[2];
	char spec[2][64];
	int group[2];	      /* group index, -1 until seen */
	struct sessions sess; /* both lines together */
};

struct totals {
	uint64_t frames, bytes;
	uint64_t cur_ms, cur_ms_frames, peak_fpms;
	uint64_t i_frames, i_bytes, i_peak_fpms;
	uint64_t frag_frames, frag_bytes; /* later IP fragments (no UDP header) */
	uint64_t other_frames, other_bytes;
	uint64_t first_ts, last_ts;
	uint64_t loss_markers, epochs, clock_markers;
};

struct opts {
	const char *ring;
	const char **archives;
	unsigned int narchives;
	struct fcr_from from;
	bool no_follow;
	uint64_t duration_ns;
	uint64_t interval_ns;
	bool interval_given;
	bool json;
	const char *prom;
	bool gaps;
	struct fcreader_seq_decoder dec;
	struct feed feeds[MAX_FEEDS];
	unsigned int nfeeds;
};

struct stat_ctx {
	struct opts o;
	struct group *groups;
	size_t ngroups, gcap;
	uint32_t *hash; /* group index + 1, 0 = empty */
	size_t hcap;
	struct totals tot;
	bool oom;
	bool tty;
	/* ring */
	struct ringshm_reader *rd;
	uint64_t start_wall, last_wall;
	/* archives */
	struct fcr_archive_set *set;
	uint64_t i_start_ts;
	unsigned int damaged;
	int reg_rc; /* the last ringshm_registry_list() error warned about, 0 = none */
};

static void parse_feed(struct opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	const char *comma = eq ? strchr(eq + 1, ',') : NULL;
	struct feed *f;

	if (o->nfeeds == MAX_FEEDS) {
		fcr_cli_usage_error("--feed %s: at most %d feeds", arg, MAX_FEEDS);
	}
	if (!eq || !comma || eq == arg || (size_t)(eq - arg) >= sizeof(f->name)) {
		fcr_cli_usage_error("--feed %s: expected NAME=GROUP_A,GROUP_B, e.g. "
				    "itch=239.1.1.1:30001,239.1.2.1:30001",
				    arg);
	}
	f = &o->feeds[o->nfeeds];
	memset(f, 0, sizeof(*f));
	memcpy(f->name, arg, (size_t)(eq - arg));
	f->group[0] = f->group[1] = -1;

	const char *parts[2] = { eq + 1, comma + 1 };
	size_t lens[2] = { (size_t)(comma - eq - 1), strlen(comma + 1) };

	for (int l = 0; l < 2; l++) {
		if (lens[l] == 0 || lens[l] >= sizeof(f->spec[l])) {
			fcr_cli_usage_error("--feed %s: group %c is empty or too long", arg,
					    'A' + l);
		}
		memcpy(f->spec[l], parts[l], lens[l]);
		f->spec[l][lens[l]] = '\0';
		if (fcreader_dst_parse(f->spec[l], &f->line[l], &f->any_port[l]) < 0) {
			fcr_cli_usage_error(
				"--feed %s: group %c \"%s\" is not ADDR:PORT, ADDR or [IPV6]:PORT",
				arg, 'A' + l, f->spec[l]);
		}
	}
	o->nfeeds++;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	enum { OPT_FROM = 256, OPT_NO_FOLLOW, OPT_DURATION, OPT_PROM, OPT_GAPS, OPT_FEED };
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fcr_error err = { 0 };
	char msg[256];
	int c;

	memset(o, 0, sizeof(*o));
	o->interval_ns = 1000000000u;
	o->archives = calloc((size_t)argc + 1, sizeof(*o->archives));
	if (!o->archives) {
		fprintf(stderr, PROG ": out of memory\n");
		exit(1);
	}
	while ((c = getopt_long(argc, argv, "R:r:i:jh", lopts, NULL)) != -1) {
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
			if (fcreader_seq_decoder_parse(optarg, &o->dec, msg, sizeof(msg)) < 0) {
				fcr_cli_usage_error("%s", msg);
			}
			o->gaps = true;
			break;
		case OPT_FEED:
			parse_feed(o, optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			fprintf(stderr, "Try '" PROG " --help'.\n");
			exit(FCR_CLI_EXIT_USAGE);
		}
	}
	if (o->narchives > 0) {
		for (int i = optind; i < argc; i++) {
			o->archives[o->narchives++] = argv[i];
		}
	} else if (optind < argc) {
		fcr_cli_usage_error("%s: unexpected argument (archives are read with -r)",
				    argv[optind]);
	}
	if (!o->ring == !o->narchives) {
		fcr_cli_usage_error("give exactly one of --ring PATH|NAME and -r ARCHIVE...");
	}
	if (o->nfeeds && !o->gaps) {
		fcr_cli_usage_error(
			"--feed needs a sequence decoder: add --gaps moldudp64 (or generic:...)");
	}
	if (o->ring == NULL &&
	    (o->no_follow || o->duration_ns || o->from.kind != FCR_FROM_NEWEST)) {
		fcr_cli_usage_error("--from, --no-follow and --duration apply to --ring only");
	}
}

/* ------------------------------------------------------------------ groups */

static uint64_t flow_hash(const struct fcreader_flow *f)
{
	uint64_t h = 1469598103934665603u;

	for (int i = 0; i < (f->af == 6 ? 16 : 4); i++) {
		h = (h ^ f->dst[i]) * 1099511628211u;
	}
	h = (h ^ f->dport) * 1099511628211u;
	return h ^ (h >> 29);
}

static bool flow_eq(const struct fcreader_flow *a, const struct fcreader_flow *b)
{
	return a->af == b->af && a->dport == b->dport &&
	       memcmp(a->dst, b->dst, a->af == 6 ? 16 : 4) == 0;
}

static bool feed_line_matches(const struct feed *f, int l, const struct fcreader_flow *k)
{
	const struct fcreader_flow *m = &f->line[l];

	return m->af == k->af && memcmp(m->dst, k->dst, m->af == 6 ? 16 : 4) == 0 &&
	       (f->any_port[l] || m->dport == k->dport);
}

static int hash_grow(struct stat_ctx *s)
{
	size_t nc = s->hcap ? s->hcap * 2 : 256;
	uint32_t *h = calloc(nc, sizeof(*h));

	if (!h) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->ngroups; i++) {
		size_t j = flow_hash(&s->groups[i].key) & (nc - 1);

		while (h[j]) {
			j = (j + 1) & (nc - 1);
		}
		h[j] = (uint32_t)i + 1;
	}
	free(s->hash);
	s->hash = h;
	s->hcap = nc;
	return 0;
}

/* The group of a destination; a new one the first time (the only allocation per frame). */
static struct group *group_get(struct stat_ctx *s, const struct fcreader_flow *f)
{
	if (s->hcap == 0 && hash_grow(s) < 0) {
		return NULL;
	}

	size_t j = flow_hash(f) & (s->hcap - 1);

	while (s->hash[j]) {
		struct group *g = &s->groups[s->hash[j] - 1];

		if (flow_eq(&g->key, f)) {
			return g;
		}
		j = (j + 1) & (s->hcap - 1);
	}
	if ((s->ngroups + 1) * 2 > s->hcap) {
		if (hash_grow(s) < 0) {
			return NULL;
		}
		return group_get(s, f);
	}
	if (fcr_grow((void **)&s->groups, &s->gcap, s->ngroups, sizeof(*s->groups), 64) < 0) {
		return NULL;
	}

	struct group *g = &s->groups[s->ngroups];

	memset(g, 0, sizeof(*g));
	g->key.af = f->af;
	memcpy(g->key.dst, f->dst, sizeof(g->key.dst));
	g->key.dport = f->dport;
	g->feed = -1;
	fcreader_flow_dst_str(f, g->name, sizeof(g->name));
	for (unsigned int i = 0; i < s->o.nfeeds && g->feed < 0; i++) {
		for (int l = 0; l < 2; l++) {
			if (s->o.feeds[i].group[l] < 0 && feed_line_matches(&s->o.feeds[i], l, f)) {
				s->o.feeds[i].group[l] = (int)s->ngroups;
				g->feed = (int)i;
				g->line = l;
				break;
			}
		}
	}
	s->hash[j] = (uint32_t)++s->ngroups;
	return g;
}

static struct session *session_get(struct sessions *ss, const struct fcreader_seq_msg *m)
{
	for (size_t i = 0; i < ss->n; i++) {
		if (ss->v[i].len == m->session_len &&
		    memcmp(ss->v[i].id, m->session, m->session_len) == 0) {
			return &ss->v[i];
		}
	}
	if (fcr_grow((void **)&ss->v, &ss->cap, ss->n, sizeof(*ss->v), 4) < 0) {
		return NULL;
	}

	struct session *x = &ss->v[ss->n++];

	memset(x, 0, sizeof(*x));
	memcpy(x->id, m->session, m->session_len);
	x->len = m->session_len;
	return x;
}

static void count_ms(uint64_t ts, uint64_t *cur_ms, uint64_t *cur, uint64_t *peak, uint64_t *ipeak)
{
	uint64_t ms = ts / 1000000u;

	if (ms != *cur_ms || *cur == 0) {
		*cur_ms = ms;
		*cur = 0;
	}
	++*cur;
	if (*cur > *peak) {
		*peak = *cur;
	}
	if (*cur > *ipeak) {
		*ipeak = *cur;
	}
}

static void track(struct stat_ctx *s, struct group *g, const struct fcreader_flow *f)
{
	struct fcreader_seq_msg m;
	struct session *x;

	if (s->o.dec.ops->decode(&s->o.dec, f->payload, f->paylen, &m) != 1) {
		g->undecoded++;
		return;
	}
	x = session_get(&g->sess, &m);
	if (!x || fcreader_seq_track_add(&x->t, m.seq, m.count) < 0) {
		s->oom = true;
		return;
	}
	if (g->feed >= 0) {
		x = session_get(&s->o.feeds[g->feed].sess, &m);
		if (!x || fcreader_seq_track_add(&x->t, m.seq, m.count) < 0) {
			s->oom = true;
		}
	}
}

static void account(struct stat_ctx *s, int linktype, const uint8_t *data, uint32_t caplen,
		    uint32_t wire_len, uint64_t ts)
{
	struct fcreader_flow f;
	struct totals *t = &s->tot;

	if (t->frames == 0) {
		t->first_ts = ts;
	}
	if (ts > t->last_ts) {
		t->last_ts = ts;
	}
	t->frames++;
	t->bytes += wire_len;
	t->i_frames++;
	t->i_bytes += wire_len;
	count_ms(ts, &t->cur_ms, &t->cur_ms_frames, &t->peak_fpms, &t->i_peak_fpms);

	switch (fcreader_flow_parse(linktype, data, caplen, &f)) {
	case FCREADER_FLOW_UDP: {
		struct group *g = group_get(s, &f);

		if (!g) {
			s->oom = true;
			return;
		}
		g->frames++;
		g->bytes += wire_len;
		g->i_frames++;
		g->i_bytes += wire_len;
		count_ms(ts, &g->cur_ms, &g->cur_ms_frames, &g->peak_fpms, &g->i_peak_fpms);
		if (s->o.gaps) {
			track(s, g, &f);
		}
		break;
	}
	case FCREADER_FLOW_FRAGMENT:
		t->frag_frames++;
		t->frag_bytes += wire_len;
		break;
	default:
		t->other_frames++;
		t->other_bytes += wire_len;
		break;
	}
}

/* ------------------------------------------------------------------ sequence summaries */

struct seqsum {
	uint64_t gaps, missing, duplicates, reordered;
};

static struct seqsum sessions_sum(const struct sessions *ss)
{
	struct seqsum r = { 0 };

	for (size_t i = 0; i < ss->n; i++) {
		r.gaps += ss->v[i].t.missing.n;
		r.missing += fcreader_seq_track_missing(&ss->v[i].t);
		r.duplicates += ss->v[i].t.duplicates;
		r.reordered += ss->v[i].t.reordered;
	}
	return r;
}

static const struct session *session_find(const struct sessions *ss, const struct session *x)
{
	for (size_t i = 0; i < ss->n; i++) {
		if (ss->v[i].len == x->len && memcmp(ss->v[i].id, x->id, x->len) == 0) {
			return &ss->v[i];
		}
	}
	return NULL;
}

/* Numbers line l lost that the other line delivered: its missing minus the feed's missing. */
static uint64_t lost_on_line_only(const struct stat_ctx *s, const struct feed *f, int l)
{
	uint64_t n = 0;

	if (f->group[l] < 0) {
		return 0;
	}

	const struct sessions *ls = &s->groups[f->group[l]].sess;

	for (size_t i = 0; i < ls->n; i++) {
		const struct session *fx = session_find(&f->sess, &ls->v[i]);
		uint64_t miss = fcreader_seq_track_missing(&ls->v[i].t);

		n += miss -
		     (fx ? fcreader_seq_ranges_overlap(&ls->v[i].t.missing, &fx->t.missing) : 0);
	}
	return n;
}

static void session_name(const struct session *x, char *out, size_t len)
{
	size_t o = 0;

	if (x->len == 0) {
		snprintf(out, len, "-");
		return;
	}
	for (size_t i = 0; i < x->len && o + 5 < len; i++) {
		uint8_t c = x->id[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			out[o++] = (char)c;
		} else {
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", c);
		}
	}
	out[o] = '\0';
}

/* ------------------------------------------------------------------ ring extras */

struct ring_view {
	bool ok;
	struct ringshm_counters c;
	uint64_t epoch, head, pid;
	uint32_t state, nports;
	bool alive;
	struct ringshm_port ports[RINGSHM_MAX_PORTS];
	struct ringshm_reader_stats me;
	uint64_t my_lag;
	struct ringshm_reader_info readers[RINGSHM_MAX_READERS];
	int nreaders;
	uint64_t writer_errors; /* every registered reader's write errors, summed */
	int writers_blocked;	/* registered readers whose writer waits for its output */
	int clock_rc;		/* timesync_block_read(): 0, -ENODATA (never published), ... */
	struct timesync_block clock;
};

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

static void ring_view_take(struct stat_ctx *s, struct ring_view *v)
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
	v->state = __atomic_load_n(&ctl->state, __ATOMIC_RELAXED);
	v->head = ringshm_reader_head(s->rd);
	v->alive = ringshm_reader_producer_alive(s->rd, 2000000000u);
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

static const char *state_name(uint32_t st)
{
	switch (st) {
	case RINGSHM_STATE_INIT:
		return "init";
	case RINGSHM_STATE_RUNNING:
		return "running";
	case RINGSHM_STATE_STOPPED:
		return "stopped";
	default:
		return "unknown";
	}
}

/* ------------------------------------------------------------------ JSON */

static json_object *ju(uint64_t v)
{
	return json_object_new_uint64(v);
}

static json_object *jd(double v)
{
	return json_object_new_double(v);
}

static double secs(uint64_t ns)
{
	return (double)ns / NS;
}

static json_object *losses_json(const struct stat_ctx *s, const struct ring_view *v,
				uint64_t seq_missing)
{
	json_object *l = json_object_new_object();

	if (v && v->ok) {
		json_object_object_add(l, "nic_imissed", ju(v->c.nic_imissed));
		json_object_object_add(l, "nic_rx_nombuf", ju(v->c.nic_rx_nombuf));
		json_object_object_add(l, "nic_ierrors", ju(v->c.nic_ierrors));
		json_object_object_add(l, "capture_filter", ju(v->c.filtered));
		json_object_object_add(l, "capture_truncated", ju(v->c.truncated));
		json_object_object_add(l, "ring_overrun_this_reader", ju(v->me.lost_records));

		json_object *r = json_object_new_object();

		for (int i = 0; i < v->nreaders; i++) {
			json_object_object_add(r, v->readers[i].name,
					       ju(v->readers[i].lost_records));
		}
		json_object_object_add(l, "ring_overrun_readers", r);

		json_object *w = json_object_new_object();

		for (int i = 0; i < v->nreaders; i++) {
			json_object_object_add(w, v->readers[i].name,
					       ju(v->readers[i].write_errors));
		}
		json_object_object_add(l, "writer_errors", w);
	} else {
		json_object_object_add(l, "archives_damaged", ju(s->damaged));
	}
	if (s->o.gaps) {
		json_object_object_add(l, "sequence_missing", ju(seq_missing));
	}
	return l;
}

/* The clock block timesync publishes in the ring: state, offsets, the TSC model. */
static json_object *clock_json(const struct ring_view *v)
{
	json_object *c = json_object_new_object();
	const struct timesync_block *b = &v->clock;

	json_object_object_add(c, "published", json_object_new_boolean(v->clock_rc == 0));
	if (v->clock_rc != 0) {
		json_object_object_add(c, "error", json_object_new_string(strerror(-v->clock_rc)));
		return c;
	}
	json_object_object_add(
		c, "state",
		json_object_new_string(timesync_state_name((enum timesync_state)b->ptp.state)));
	json_object_object_add(c, "port_state",
			       json_object_new_string(timesync_port_state_name(b->ptp.port_state)));
	json_object_object_add(c, "gm_present", json_object_new_boolean(b->ptp.gm_present));
	json_object_object_add(c, "offset_ns", json_object_new_int64(b->ptp.offset_ns));
	json_object_object_add(c, "offset_min_ns", json_object_new_int64(b->ptp.offset_min_ns));
	json_object_object_add(c, "offset_max_ns", json_object_new_int64(b->ptp.offset_max_ns));
	json_object_object_add(c, "offset_rms_ns", ju(b->ptp.offset_rms_ns));
	json_object_object_add(c, "threshold_ns", ju(b->hdr.threshold_ns));
	json_object_object_add(c, "tai_utc_s", json_object_new_int(b->hdr.tai_utc_s));
	json_object_object_add(c, "published_ns", ju(b->hdr.published_ns));
	json_object_object_add(c, "generation", ju(b->hdr.generation));
	json_object_object_add(c, "tsc_model_valid",
			       json_object_new_boolean(timesync_model_valid(&b->tsc)));
	json_object_object_add(c, "tsc_err_ns", ju(b->tsc.err_ns));
	return c;
}

static const char *clock_state(const struct ring_view *v)
{
	if (v->clock_rc != 0) {
		return "not published";
	}
	return timesync_state_name((enum timesync_state)v->clock.ptp.state);
}

static json_object *ring_json(const struct ring_view *v)
{
	json_object *c = json_object_new_object();
	json_object *ports = json_object_new_array();
	json_object *readers = json_object_new_array();

	json_object_object_add(c, "state", json_object_new_string(state_name(v->state)));
	json_object_object_add(c, "producer_alive", json_object_new_boolean(v->alive));
	json_object_object_add(c, "producer_pid", ju(v->pid));
	json_object_object_add(c, "epoch", ju(v->epoch));
	json_object_object_add(c, "frames", ju(v->c.frames));
	json_object_object_add(c, "bytes", ju(v->c.bytes));
	json_object_object_add(c, "markers", ju(v->c.markers));
	for (uint32_t i = 0; i < v->nports; i++) {
		json_object *p = json_object_new_object();

		json_object_object_add(p, "name", json_object_new_string(v->ports[i].name));
		json_object_object_add(p, "rx_frames", ju(v->ports[i].rx_frames));
		json_object_object_add(p, "rx_bytes", ju(v->ports[i].rx_bytes));
		json_object_object_add(p, "imissed", ju(v->ports[i].imissed));
		json_object_object_add(p, "rx_nombuf", ju(v->ports[i].rx_nombuf));
		json_object_object_add(p, "ierrors", ju(v->ports[i].ierrors));
		json_object_object_add(p, "filtered", ju(v->ports[i].filtered));
		json_object_array_add(ports, p);
	}
	json_object_object_add(c, "ports", ports);
	for (int i = 0; i < v->nreaders; i++) {
		const struct ringshm_reader_info *r = &v->readers[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(r->name));
		json_object_object_add(o, "pid", ju(r->pid));
		json_object_object_add(o, "lag_bytes", ju(v->head > r->pos ? v->head - r->pos : 0));
		json_object_object_add(o, "delivered", ju(r->delivered));
		json_object_object_add(o, "lost_records", ju(r->lost_records));
		json_object_object_add(o, "lost_bytes", ju(r->lost_bytes));
		json_object_object_add(o, "write_errors", ju(r->write_errors));
		json_object_object_add(o, "blocked", json_object_new_boolean(r->blocked));
		json_object_object_add(o, "last_errno", json_object_new_int(r->last_errno));
		json_object_object_add(o, "last_error",
				       r->write_errors ? json_object_new_string(r->last_error)
						       : NULL);
		json_object_object_add(o, "last_error_ns", ju(r->last_error_ns));
		json_object_array_add(readers, o);
	}
	json_object_object_add(c, "readers", readers);

	json_object *me = json_object_new_object();

	json_object_object_add(me, "lag_bytes", ju(v->my_lag));
	json_object_object_add(me, "delivered", ju(v->me.delivered));
	json_object_object_add(me, "lost_records", ju(v->me.lost_records));
	json_object_object_add(me, "overruns", ju(v->me.overruns));
	json_object_object_add(me, "epochs_seen", ju(v->me.epochs_seen));
	json_object_object_add(c, "this_reader", me);

	json_object_object_add(c, "clock", clock_json(v));
	return c;
}

static json_object *group_json(const struct stat_ctx *s, const struct group *g, bool summary,
			       double dur)
{
	json_object *o = json_object_new_object();
	uint64_t fr = summary ? g->frames : g->i_frames;
	uint64_t by = summary ? g->bytes : g->i_bytes;

	json_object_object_add(o, "dst", json_object_new_string(g->name));
	json_object_object_add(o, "frames", ju(fr));
	json_object_object_add(o, "bytes", ju(by));
	json_object_object_add(o, "pps", jd(dur > 0 ? (double)fr / dur : 0));
	json_object_object_add(o, "mbps", jd(dur > 0 ? (double)by * 8 / dur / 1e6 : 0));
	json_object_object_add(o, "peak_fpms", ju(summary ? g->peak_fpms : g->i_peak_fpms));
	if (s->o.gaps && (g->sess.n || summary)) {
		struct seqsum q = sessions_sum(&g->sess);

		json_object_object_add(o, "gaps", ju(q.gaps));
		json_object_object_add(o, "missing", ju(q.missing));
		json_object_object_add(o, "duplicates", ju(q.duplicates));
		json_object_object_add(o, "reordered", ju(q.reordered));
		if (summary) {
			json_object *sa = json_object_new_array();

			json_object_object_add(o, "undecoded", ju(g->undecoded));
			for (size_t i = 0; i < g->sess.n; i++) {
				const struct session *x = &g->sess.v[i];
				json_object *so = json_object_new_object();
				json_object *ra = json_object_new_array();
				char name[80];

				session_name(x, name, sizeof(name));
				json_object_object_add(so, "session", json_object_new_string(name));
				json_object_object_add(so, "first", ju(x->t.first));
				json_object_object_add(so, "next", ju(x->t.next));
				json_object_object_add(so, "received", ju(x->t.received));
				json_object_object_add(so, "gaps", ju(x->t.missing.n));
				json_object_object_add(so, "missing",
						       ju(fcreader_seq_track_missing(&x->t)));
				json_object_object_add(so, "duplicates", ju(x->t.duplicates));
				json_object_object_add(so, "reordered", ju(x->t.reordered));
				for (size_t k = 0; k < x->t.missing.n && k < RANGES_SHOWN; k++) {
					json_object *r = json_object_new_array();

					json_object_array_add(r, ju(x->t.missing.v[k].lo));
					json_object_array_add(r, ju(x->t.missing.v[k].hi));
					json_object_array_add(ra, r);
				}
				json_object_object_add(so, "missing_ranges", ra);
				json_object_array_add(sa, so);
			}
			json_object_object_add(o, "sessions", sa);
		}
	}
	return o;
}

static json_object *feeds_json(const struct stat_ctx *s)
{
	json_object *a = json_object_new_array();

	for (unsigned int i = 0; i < s->o.nfeeds; i++) {
		const struct feed *f = &s->o.feeds[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(f->name));
		json_object_object_add(o, "a",
				       json_object_new_string(f->group[0] >= 0
								      ? s->groups[f->group[0]].name
								      : f->spec[0]));
		json_object_object_add(o, "b",
				       json_object_new_string(f->group[1] >= 0
								      ? s->groups[f->group[1]].name
								      : f->spec[1]));
		json_object_object_add(o, "missing", ju(sessions_sum(&f->sess).missing));
		json_object_object_add(o, "lost_a_only", ju(lost_on_line_only(s, f, 0)));
		json_object_object_add(o, "lost_b_only", ju(lost_on_line_only(s, f, 1)));
		json_object_array_add(a, o);
	}
	return a;
}

static uint64_t seq_missing_total(const struct stat_ctx *s)
{
	uint64_t m = 0;

	if (s->o.nfeeds == 0) {
		for (size_t i = 0; i < s->ngroups; i++) {
			m += sessions_sum(&s->groups[i].sess).missing;
		}
		return m;
	}
	/* with A/B feeds, a feed's lines count once (lost on both), other groups as they are */
	for (unsigned int i = 0; i < s->o.nfeeds; i++) {
		m += sessions_sum(&s->o.feeds[i].sess).missing;
	}
	for (size_t i = 0; i < s->ngroups; i++) {
		if (s->groups[i].feed < 0) {
			m += sessions_sum(&s->groups[i].sess).missing;
		}
	}
	return m;
}

static void emit_json(struct stat_ctx *s, bool summary, double dur, uint64_t ts,
		      const struct ring_view *v)
{
	json_object *o = json_object_new_object();
	json_object *ga = json_object_new_array();
	const struct totals *t = &s->tot;
	char tb[40];
	uint64_t fr = summary ? t->frames : t->i_frames;
	uint64_t by = summary ? t->bytes : t->i_bytes;

	json_object_object_add(o, "type", json_object_new_string(summary ? "summary" : "interval"));
	json_object_object_add(o, "time",
			       json_object_new_string(fcr_format_time(ts, tb, sizeof(tb))));
	json_object_object_add(o, "ts_ns", ju(ts));
	json_object_object_add(o, summary ? "duration_s" : "interval_s", jd(dur));
	json_object_object_add(o, "frames", ju(fr));
	json_object_object_add(o, "bytes", ju(by));
	json_object_object_add(o, "pps", jd(dur > 0 ? (double)fr / dur : 0));
	json_object_object_add(o, "mbps", jd(dur > 0 ? (double)by * 8 / dur / 1e6 : 0));
	json_object_object_add(o, "peak_fpms", ju(summary ? t->peak_fpms : t->i_peak_fpms));
	for (size_t i = 0; i < s->ngroups; i++) {
		json_object_array_add(ga, group_json(s, &s->groups[i], summary, dur));
	}
	json_object_object_add(o, "groups", ga);
	if (summary || s->o.nfeeds) {
		json_object_object_add(o, "feeds", feeds_json(s));
	}

	json_object *other = json_object_new_object();

	json_object_object_add(other, "frames", ju(t->other_frames));
	json_object_object_add(other, "bytes", ju(t->other_bytes));
	json_object_object_add(other, "fragments", ju(t->frag_frames));
	json_object_object_add(other, "fragment_bytes", ju(t->frag_bytes));
	json_object_object_add(o, "other", other);
	json_object_object_add(o, "losses", losses_json(s, v, seq_missing_total(s)));
	if (v && v->ok) {
		json_object_object_add(o, "capture", ring_json(v));
	}
	if (summary && s->set) {
		json_object *aa = json_object_new_array();

		for (unsigned int i = 0; i < fcr_archive_set_count(s->set); i++) {
			struct fcr_archive_result r;
			json_object *ao = json_object_new_object();

			fcr_archive_set_result(s->set, i, &r);
			json_object_object_add(ao, "file", json_object_new_string(r.path));
			json_object_object_add(ao, "records", ju(r.records));
			json_object_object_add(ao, "damaged", json_object_new_boolean(r.damaged));
			if (r.damaged) {
				json_object_object_add(ao, "message",
						       json_object_new_string(r.message));
			}
			json_object_array_add(aa, ao);
		}
		json_object_object_add(o, "archives", aa);
	}
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	fflush(stdout);
	json_object_put(o);
}

/* ------------------------------------------------------------------ text */

static void emit_line(struct stat_ctx *s, double dur, uint64_t ts, const struct ring_view *v)
{
	const struct totals *t = &s->tot;
	char tb[40];

	printf("%s frames=%" PRIu64 " pps=%.0f Mbit/s=%.3f peak/ms=%" PRIu64 " groups=%zu",
	       fcr_format_time(ts, tb, sizeof(tb)), t->i_frames,
	       dur > 0 ? (double)t->i_frames / dur : 0,
	       dur > 0 ? (double)t->i_bytes * 8 / dur / 1e6 : 0, t->i_peak_fpms, s->ngroups);
	if (s->o.gaps) {
		printf(" seq_missing=%" PRIu64, seq_missing_total(s));
	}
	if (v && v->ok) {
		printf(" nic_imissed=%" PRIu64 " nic_rx_nombuf=%" PRIu64 " capture_filter=%" PRIu64
		       " ring_lost=%" PRIu64 " readers=%d writer_errors=%" PRIu64
		       " writers_blocked=%d",
		       v->c.nic_imissed, v->c.nic_rx_nombuf, v->c.filtered, v->me.lost_records,
		       v->nreaders, v->writer_errors, v->writers_blocked);
	}
	putchar('\n');
	fflush(stdout);
}

static void emit_table(struct stat_ctx *s, bool summary, double dur, uint64_t ts,
		       const struct ring_view *v)
{
	const struct totals *t = &s->tot;
	char tb[40];

	if (!summary && s->tty) {
		fputs("\033[H\033[2J", stdout);
	}
	printf("%s  %s %.3fs  frames %" PRIu64 "  bytes %" PRIu64 "  peak/ms %" PRIu64 "\n",
	       summary ? "summary" : "interval", fcr_format_time(ts, tb, sizeof(tb)), dur,
	       summary ? t->frames : t->i_frames, summary ? t->bytes : t->i_bytes,
	       summary ? t->peak_fpms : t->i_peak_fpms);
	printf("%-24s %12s %14s %12s %10s %8s", "GROUP", "FRAMES", "BYTES", "PPS", "MBIT/S",
	       "PEAK/MS");
	if (s->o.gaps) {
		printf(" %8s %10s %8s %8s", "GAPS", "MISSING", "DUPS", "REORD");
	}
	putchar('\n');
	for (size_t i = 0; i < s->ngroups; i++) {
		const struct group *g = &s->groups[i];
		uint64_t fr = summary ? g->frames : g->i_frames;
		uint64_t by = summary ? g->bytes : g->i_bytes;

		printf("%-24s %12" PRIu64 " %14" PRIu64 " %12.0f %10.3f %8" PRIu64, g->name, fr, by,
		       dur > 0 ? (double)fr / dur : 0, dur > 0 ? (double)by * 8 / dur / 1e6 : 0,
		       summary ? g->peak_fpms : g->i_peak_fpms);
		if (s->o.gaps) {
			struct seqsum q = sessions_sum(&g->sess);

			printf(" %8" PRIu64 " %10" PRIu64 " %8" PRIu64 " %8" PRIu64, q.gaps,
			       q.missing, q.duplicates, q.reordered);
		}
		putchar('\n');
	}
	if (t->other_frames || t->frag_frames) {
		printf("%-24s %12" PRIu64 " %14" PRIu64 "\n", "(later IP fragments)",
		       t->frag_frames, t->frag_bytes);
		printf("%-24s %12" PRIu64 " %14" PRIu64 "\n", "(other)", t->other_frames,
		       t->other_bytes);
	}
	if (summary && s->o.gaps) {
		for (size_t i = 0; i < s->ngroups; i++) {
			const struct group *g = &s->groups[i];

			for (size_t k = 0; k < g->sess.n; k++) {
				const struct session *x = &g->sess.v[k];
				char name[80];

				if (x->t.missing.n == 0) {
					continue;
				}
				session_name(x, name, sizeof(name));
				printf("missing %s session %s:", g->name, name);
				for (size_t r = 0; r < x->t.missing.n && r < TEXT_RANGES; r++) {
					printf(" %" PRIu64 "-%" PRIu64, x->t.missing.v[r].lo,
					       x->t.missing.v[r].hi);
				}
				if (x->t.missing.n > TEXT_RANGES) {
					printf(" ... (%zu ranges)", x->t.missing.n);
				}
				putchar('\n');
			}
		}
	}
	if (s->o.nfeeds) {
		printf("%-24s %10s %12s %12s\n", "FEED", "MISSING", "LOST_A_ONLY", "LOST_B_ONLY");
		for (unsigned int i = 0; i < s->o.nfeeds; i++) {
			const struct feed *f = &s->o.feeds[i];

			printf("%-24s %10" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n", f->name,
			       sessions_sum(&f->sess).missing, lost_on_line_only(s, f, 0),
			       lost_on_line_only(s, f, 1));
		}
	}
	if (v && v->ok) {
		printf("capture: %s%s epoch %" PRIu64 " pid %" PRIu64 "  frames %" PRIu64
		       "  clock %s",
		       state_name(v->state), v->alive ? "" : " (producer not alive)", v->epoch,
		       v->pid, v->c.frames, clock_state(v));
		if (v->clock_rc == 0) {
			printf(" offset %" PRId64 " ns", v->clock.ptp.offset_ns);
		}
		putchar('\n');
		printf("losses: nic_imissed %" PRIu64 "  nic_rx_nombuf %" PRIu64
		       "  nic_ierrors %" PRIu64 "  capture_filter %" PRIu64
		       "  ring_overrun(this reader) %" PRIu64,
		       v->c.nic_imissed, v->c.nic_rx_nombuf, v->c.nic_ierrors, v->c.filtered,
		       v->me.lost_records);
		if (s->o.gaps) {
			printf("  sequence_missing %" PRIu64, seq_missing_total(s));
		}
		putchar('\n');
		for (int i = 0; i < v->nreaders; i++) {
			const struct ringshm_reader_info *r = &v->readers[i];

			printf("reader %-20s pid %-8" PRIu64 " lag %12" PRIu64
			       " B  delivered %12" PRIu64 "  lost %10" PRIu64
			       "  write_errors %6" PRIu64 "%s\n",
			       r->name, r->pid, v->head > r->pos ? v->head - r->pos : 0,
			       r->delivered, r->lost_records, r->write_errors,
			       r->blocked ? "  blocked (waiting for its output)" : "");
			if (r->write_errors) {
				printf("       last write error %s: %s\n",
				       fcr_format_time(r->last_error_ns, tb, sizeof(tb)),
				       r->last_error);
			}
		}
	} else if (summary) {
		printf("losses: archives_damaged %u", s->damaged);
		if (s->o.gaps) {
			printf("  sequence_missing %" PRIu64, seq_missing_total(s));
		}
		putchar('\n');
	}
	fflush(stdout);
}

/* ------------------------------------------------------------------ Prometheus */

static void prom_metric(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value in the Prometheus text format: backslash, quote and newline escaped. */
static const char *prom_label(const char *in, char *out, size_t len)
{
	size_t n = 0;

	for (; *in && n + 3 < len; in++) {
		if (*in == '\\' || *in == '"') {
			out[n++] = '\\';
			out[n++] = *in;
		} else if (*in == '\n') {
			out[n++] = '\\';
			out[n++] = 'n';
		} else {
			out[n++] = *in;
		}
	}
	out[n] = '\0';
	return out;
}

static int write_prom(struct stat_ctx *s, const struct ring_view *v)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", s->o.prom, (int)getpid()) >= (int)sizeof(tmp)) {
		return -ENAMETOOLONG;
	}
	f = fopen(tmp, "w");
	if (!f) {
		return -errno;
	}
	prom_metric(f, "feedcap_group_frames_total", "counter",
		    "Frames seen per destination group and UDP port.");
	for (size_t i = 0; i < s->ngroups; i++) {
		fprintf(f, "feedcap_group_frames_total{dst=\"%s\"} %" PRIu64 "\n",
			s->groups[i].name, s->groups[i].frames);
	}
	prom_metric(f, "feedcap_group_bytes_total", "counter",
		    "Wire bytes seen per destination group and UDP port.");
	for (size_t i = 0; i < s->ngroups; i++) {
		fprintf(f, "feedcap_group_bytes_total{dst=\"%s\"} %" PRIu64 "\n", s->groups[i].name,
			s->groups[i].bytes);
	}
	prom_metric(f, "feedcap_group_peak_frames_per_ms", "gauge",
		    "Most frames seen in one millisecond per group (microbursts).");
	for (size_t i = 0; i < s->ngroups; i++) {
		fprintf(f, "feedcap_group_peak_frames_per_ms{dst=\"%s\"} %" PRIu64 "\n",
			s->groups[i].name, s->groups[i].peak_fpms);
	}
	if (s->o.gaps) {
		prom_metric(f, "feedcap_seq_missing", "gauge",
			    "Sequence numbers never seen per group (a late fill lowers it).");
		for (size_t i = 0; i < s->ngroups; i++) {
			fprintf(f, "feedcap_seq_missing{dst=\"%s\"} %" PRIu64 "\n",
				s->groups[i].name, sessions_sum(&s->groups[i].sess).missing);
		}
		prom_metric(f, "feedcap_seq_duplicates_total", "counter",
			    "Sequence numbers seen more than once per group.");
		for (size_t i = 0; i < s->ngroups; i++) {
			fprintf(f, "feedcap_seq_duplicates_total{dst=\"%s\"} %" PRIu64 "\n",
				s->groups[i].name, sessions_sum(&s->groups[i].sess).duplicates);
		}
	}
	if (s->o.nfeeds) {
		prom_metric(f, "feedcap_feed_missing", "gauge",
			    "Sequence numbers lost on both lines of an A/B feed.");
		for (unsigned int i = 0; i < s->o.nfeeds; i++) {
			fprintf(f, "feedcap_feed_missing{feed=\"%s\"} %" PRIu64 "\n",
				s->o.feeds[i].name, sessions_sum(&s->o.feeds[i].sess).missing);
		}
		prom_metric(f, "feedcap_feed_lost_one_line", "gauge",
			    "Sequence numbers lost on one line only and recovered from the other.");
		for (unsigned int i = 0; i < s->o.nfeeds; i++) {
			for (int l = 0; l < 2; l++) {
				fprintf(f,
					"feedcap_feed_lost_one_line{feed=\"%s\",line=\"%c\"} %" PRIu64
					"\n",
					s->o.feeds[i].name, 'a' + l,
					lost_on_line_only(s, &s->o.feeds[i], l));
			}
		}
	}
	prom_metric(f, "feedcap_loss_total", "counter",
		    "Frames lost, by the place they were lost: one counter per place.");
	if (v && v->ok) {
		fprintf(f, "feedcap_loss_total{place=\"nic_imissed\"} %" PRIu64 "\n",
			v->c.nic_imissed);
		fprintf(f, "feedcap_loss_total{place=\"nic_rx_nombuf\"} %" PRIu64 "\n",
			v->c.nic_rx_nombuf);
		fprintf(f, "feedcap_loss_total{place=\"nic_ierrors\"} %" PRIu64 "\n",
			v->c.nic_ierrors);
		fprintf(f, "feedcap_loss_total{place=\"capture_filter\"} %" PRIu64 "\n",
			v->c.filtered);
		fprintf(f,
			"feedcap_loss_total{place=\"ring_overrun\",reader=\"feedcap-stat\"} %" PRIu64
			"\n",
			v->me.lost_records);
		for (int i = 0; i < v->nreaders; i++) {
			fprintf(f,
				"feedcap_loss_total{place=\"ring_overrun\",reader=\"%s\"} %" PRIu64
				"\n",
				v->readers[i].name, v->readers[i].lost_records);
		}
		prom_metric(f, "feedcap_reader_lag_bytes", "gauge",
			    "Bytes between a registered reader and the producer's head.");
		for (int i = 0; i < v->nreaders; i++) {
			const struct ringshm_reader_info *r = &v->readers[i];

			fprintf(f, "feedcap_reader_lag_bytes{reader=\"%s\"} %" PRIu64 "\n", r->name,
				v->head > r->pos ? v->head - r->pos : 0);
		}
		prom_metric(f, "feedcap_writer_errors_total", "counter",
			    "Write errors of a registered reader's output (disk full, I/O error).");
		for (int i = 0; i < v->nreaders; i++) {
			fprintf(f, "feedcap_writer_errors_total{reader=\"%s\"} %" PRIu64 "\n",
				v->readers[i].name, v->readers[i].write_errors);
		}
		prom_metric(
			f, "feedcap_writer_blocked", "gauge",
			"1 while a registered reader's writer waits for its output to work again.");
		for (int i = 0; i < v->nreaders; i++) {
			fprintf(f, "feedcap_writer_blocked{reader=\"%s\"} %d\n", v->readers[i].name,
				v->readers[i].blocked ? 1 : 0);
		}
		prom_metric(f, "feedcap_writer_last_error_timestamp_seconds", "gauge",
			    "When a registered reader's writer last failed, with the error.");
		for (int i = 0; i < v->nreaders; i++) {
			const struct ringshm_reader_info *r = &v->readers[i];
			const char *en = strerrorname_np(r->last_errno);
			char text[2 * RINGSHM_ERROR_TEXT];

			if (!r->write_errors) {
				continue;
			}
			fprintf(f,
				"feedcap_writer_last_error_timestamp_seconds{reader=\"%s\",errno=\"%s\",error=\"%s\"} %.3f\n",
				r->name, en ? en : "0",
				prom_label(r->last_error, text, sizeof(text)),
				(double)r->last_error_ns / NS);
		}
		prom_metric(f, "feedcap_capture_frames_total", "counter",
			    "Frames the capture wrote into the ring.");
		fprintf(f, "feedcap_capture_frames_total %" PRIu64 "\n", v->c.frames);
		prom_metric(f, "feedcap_producer_alive", "gauge",
			    "1 if the capture is running and its heartbeat is recent.");
		fprintf(f, "feedcap_producer_alive %d\n", v->alive ? 1 : 0);
		if (v->clock_rc == 0) {
			prom_metric(
				f, "feedcap_clock_locked", "gauge",
				"1 if the capture's clock is locked to PTP within the threshold.");
			fprintf(f, "feedcap_clock_locked %d\n",
				v->clock.ptp.state == TIMESYNC_LOCKED ? 1 : 0);
			prom_metric(f, "feedcap_clock_offset_ns", "gauge",
				    "The capture clock's last offset from the PTP master.");
			fprintf(f, "feedcap_clock_offset_ns %" PRId64 "\n", v->clock.ptp.offset_ns);
		}
	} else {
		fprintf(f, "feedcap_loss_total{place=\"archive_damaged\"} %u\n", s->damaged);
	}
	if (s->o.gaps) {
		fprintf(f, "feedcap_loss_total{place=\"sequence\"} %" PRIu64 "\n",
			seq_missing_total(s));
	}
	if (fflush(f) != 0 || ferror(f)) {
		int e = errno;

		fclose(f);
		unlink(tmp);
		return -e;
	}
	fclose(f);
	if (rename(tmp, s->o.prom) < 0) {
		int e = errno;

		unlink(tmp);
		return -e;
	}
	return 0;
}

/* ------------------------------------------------------------------ reports */

static void report(struct stat_ctx *s, bool summary, double dur, uint64_t ts)
{
	struct ring_view v = { 0 };

	if (s->rd) {
		ring_view_take(s, &v);
	}
	if (s->o.json) {
		emit_json(s, summary, dur, ts, &v);
	} else if (summary || s->tty) {
		emit_table(s, summary, dur, ts, &v);
	} else {
		emit_line(s, dur, ts, &v);
	}
	if (s->o.prom) {
		int rc = write_prom(s, &v);

		if (rc < 0) {
			fprintf(stderr, PROG ": --prom %s: %s\n", s->o.prom, strerror(-rc));
		}
	}
	s->tot.i_frames = s->tot.i_bytes = s->tot.i_peak_fpms = 0;
	for (size_t i = 0; i < s->ngroups; i++) {
		s->groups[i].i_frames = s->groups[i].i_bytes = s->groups[i].i_peak_fpms = 0;
	}
}

/* ------------------------------------------------------------------ sources */

static int run_archives(struct stat_ctx *s)
{
	struct fcr_error err = { 0 };
	struct fcr_pkt pkt;

	/* directories are archive sets: every archive in them, in time order, a few open at once */
	struct archset_picks ps;
	struct fcr_source *src;
	int rc = 0;

	if (archset_pick((char *const *)(uintptr_t)s->o.archives, s->o.narchives, ARCHSET_REPAIR,
			 0, FCR_TIME_MAX, &ps, &err) < 0) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		return 1;
	}
	fcr_cli_print_notes(ps.notes);
	src = archset_picks_sources(&ps, 0);
	s->set = src ? fcr_archive_set_open_sources(src, (unsigned int)ps.n, 0, FCR_TIME_MAX,
						    fcr_cli_max_open_files(), &err)
		     : NULL;
	free(src);
	archset_picks_free(&ps);
	if (!s->set) {
		fprintf(stderr, PROG ": %s\n", src ? err.msg : "out of memory");
		return 1;
	}

	int lt = fcr_archive_set_linktype(s->set);
	bool intervals = s->o.interval_given;

	while (!fcr_cli_stopping() && (rc = fcr_archive_set_next(s->set, &pkt, NULL)) == 1) {
		if (intervals) {
			if (s->tot.frames == 0) {
				s->i_start_ts = pkt.ts_ns - pkt.ts_ns % s->o.interval_ns;
			}
			while (pkt.ts_ns >= s->i_start_ts + s->o.interval_ns) {
				s->i_start_ts += s->o.interval_ns;
				report(s, false, secs(s->o.interval_ns), s->i_start_ts);
			}
		}
		account(s, lt, pkt.data, pkt.cap_len, pkt.wire_len, pkt.ts_ns);
	}
	if (rc < 0) {
		fprintf(stderr, PROG ": %s\n", fcr_archive_set_error(s->set));
		s->damaged++;
	}
	for (unsigned int i = 0; i < fcr_archive_set_count(s->set); i++) {
		struct fcr_archive_result r;

		fcr_archive_set_result(s->set, i, &r);
		if (r.damaged) {
			fprintf(stderr, PROG ": warning: %s\n", r.message);
			s->damaged++;
		}
	}
	if (intervals && s->tot.i_frames) {
		report(s, false, secs(s->tot.last_ts - s->i_start_ts), s->tot.last_ts);
	}

	uint64_t dur = s->tot.frames ? s->tot.last_ts - s->tot.first_ts : 0;

	report(s, true, secs(dur), s->tot.last_ts);
	return s->damaged ? 1 : 0;
}

static int run_ring(struct stat_ctx *s)
{
	struct fcr_error err = { 0 };
	struct ringshm_record rec;
	uint8_t buf[COPY_MAX];
	int status = 0;

	s->rd = fcr_attach(s->o.ring, &s->o.from, &err);
	if (!s->rd) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		/* As feedcap-dump: a ring that is not there, not a ring, or not named right is bad
		 * usage (2); anything else went wrong at run time (1). */
		return errno == ENOENT || errno == EPROTO || errno == EPROTONOSUPPORT ||
				       errno == EACCES || errno == ENOTDIR || errno == EINVAL ||
				       errno == ENAMETOOLONG
			       ? FCR_CLI_EXIT_USAGE
			       : 1;
	}
	s->start_wall = s->last_wall = fcr_cli_now_ns(CLOCK_MONOTONIC);

	uint64_t stop_at = s->o.no_follow ? ringshm_reader_head(s->rd) : UINT64_MAX;

	while (!fcr_cli_stopping()) {
		uint64_t now = fcr_cli_now_ns(CLOCK_MONOTONIC);

		if (now - s->last_wall >= s->o.interval_ns) {
			report(s, false, secs(now - s->last_wall), fcr_cli_now_ns(CLOCK_REALTIME));
			s->last_wall = now;
		}
		if (s->o.duration_ns && now - s->start_wall >= s->o.duration_ns) {
			break;
		}
		if (ringshm_reader_pos(s->rd) >= stop_at) {
			break;
		}

		int rc = ringshm_reader_next(s->rd, &rec);

		if (rc == 0) {
			if (s->o.no_follow) {
				break;
			}
			ringshm_reader_wait(s->rd, 100000000u);
			continue;
		}
		if (rc < 0) {
			fprintf(stderr,
				PROG ": %s: %s: the ring is corrupt at position %" PRIu64 "\n",
				s->o.ring, strerror(-rc), ringshm_reader_pos(s->rd));
			status = 1;
			break;
		}

		uint32_t n = rec.cap_len < sizeof(buf) ? rec.cap_len : (uint32_t)sizeof(buf);
		struct ringshm_record r = rec;

		if (rec.type == RINGSHM_REC_FRAME) {
			memcpy(buf, rec.data, n);
		}
		if (!ringshm_reader_done(s->rd)) {
			continue; /* overwritten while copied: counted in the reader's losses */
		}
		switch (r.type) {
		case RINGSHM_REC_FRAME:
			account(s, DLT_EN10MB, buf, n, r.wire_len, r.ts_ns);
			break;
		case RINGSHM_REC_LOSS:
			s->tot.loss_markers++;
			break;
		case RINGSHM_REC_CLOCK:
			s->tot.clock_markers++;
			break;
		case RINGSHM_REC_EPOCH:
			s->tot.epochs++;
			break;
		default:
			break;
		}
	}

	uint64_t end = fcr_cli_now_ns(CLOCK_MONOTONIC);

	if (!s->o.json && !s->tty && end - s->last_wall > 0 && s->tot.i_frames) {
		report(s, false, secs(end - s->last_wall), fcr_cli_now_ns(CLOCK_REALTIME));
	}
	report(s, true, secs(end - s->start_wall), fcr_cli_now_ns(CLOCK_REALTIME));
	ringshm_reader_close(s->rd);
	return status;
}

static void ctx_free(struct stat_ctx *s)
{
	for (size_t i = 0; i < s->ngroups; i++) {
		for (size_t k = 0; k < s->groups[i].sess.n; k++) {
			fcreader_seq_track_free(&s->groups[i].sess.v[k].t);
		}
		free(s->groups[i].sess.v);
	}
	for (unsigned int i = 0; i < s->o.nfeeds; i++) {
		for (size_t k = 0; k < s->o.feeds[i].sess.n; k++) {
			fcreader_seq_track_free(&s->o.feeds[i].sess.v[k].t);
		}
		free(s->o.feeds[i].sess.v);
	}
	free(s->groups);
	free(s->hash);
	free(s->o.archives);
	fcr_archive_set_close(s->set);
}

int main(int argc, char **argv)
{
	static struct stat_ctx s;
	int status;

	fcr_cli_prog = PROG;
	parse_args(argc, argv, &s.o);
	s.tty = isatty(STDOUT_FILENO) && !s.o.json;

	fcr_cli_catch_stop_signals();

	status = s.o.ring ? run_ring(&s) : run_archives(&s);
	if (s.oom) {
		fprintf(stderr,
			PROG ": out of memory: some groups or sequence ranges are not counted\n");
		status = 1;
	}
	ctx_free(&s);
	return status;
}
