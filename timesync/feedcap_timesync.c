/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * feedcap-timesync - print the clock state feedcap timestamps with, or wait until it is locked.
 *
 * Live mode (default) asks ptp4l itself through its management socket (root, or the socket's
 * group) and calibrates the TSC for a moment; --ring reads what the capture published in a
 * ring's clock block (any member of the ring's group).  --wait-locked polls until the state is
 * `locked`: the ExecStartPre gate of feedcap-capture.service.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "timesync.h"
#ifdef TIMESYNC_HAVE_RINGSHM
#include "ringshm.h"
#endif

#define EXIT_USAGE 2

static const char usage[] =
	"Usage: feedcap-timesync [OPTIONS]\n"
	"Print the clock state feedcap timestamps with: linuxptp state (locked, holdover,\n"
	"unlocked, free-running), offset from the master, system clock and TSC models.\n"
	"\n"
	"Source (default: ask ptp4l now and calibrate the TSC for a moment):\n"
	"  --ptp4l-socket PATH  ptp4l's management socket (uds_address) [/var/run/ptp4l]\n"
	"  --no-ptp             no PTP on this host: report free-running\n"
	"  --phc DEV            check the system clock against this PHC (/dev/ptpN), as\n"
	"                       phc2sys should keep it\n"
	"  --domain N           ptp4l's domainNumber [0]\n"
	"  --ring PATH|NAME     read the clock block a running capture publishes in a ring\n"
	"\n"
	"State:\n"
	"  --threshold NS       |offset| under which the clock counts as locked [1000]\n"
	"  --holdover S         seconds in holdover before unlocked [60]\n"
	"                       (live mode; --ring shows the capture's own settings)\n"
	"\n"
	"Output and gate:\n"
	"  --json               one JSON object (json-c)\n"
	"  --wait-locked        poll until the state is locked: exit 0 when it is, 1 on\n"
	"                       timeout (an ExecStartPre gate)\n"
	"  --timeout S          give up --wait-locked after S seconds [60]\n"
	"  --watch              keep polling: one line per poll (time, state, offset, port\n"
	"                       state, record flags); with --json one JSON object per line\n"
	"  --interval S         seconds between polls of --watch and --wait-locked [1]\n"
	"  --count N            stop --watch after N polls [0: never]\n"
	"  -V, --version        the version\n"
	"  -h, --help           this text\n"
	"\n"
	"Output is a table on a terminal, plain \"key value\" lines otherwise.\n"
	"Exit status: 0 ok (or locked), 1 runtime failure (or not locked in time), 2 usage.\n";

struct opts {
	const char *ptp4l_socket;
	const char *phc;
	const char *ring;
	bool no_ptp;
	bool json;
	bool wait_locked;
	bool watch;
	double timeout_s;
	double interval_s;
	unsigned long count;
	uint64_t threshold_ns;
	uint64_t holdover_ns;
	unsigned domain;
};

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void fmt_time(uint64_t ns, char *buf, size_t len)
{
	time_t s = (time_t)(ns / 1000000000u);
	struct tm tm;

	if (ns == 0) {
		snprintf(buf, len, "-");
		return;
	}
	gmtime_r(&s, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09" PRIu64 "Z", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ns % 1000000000u);
}

static void fmt_clockid(const uint8_t *id, char *buf, size_t len)
{
	snprintf(buf, len, "%02x%02x%02x.%02x%02x.%02x%02x%02x", id[0], id[1], id[2], id[3], id[4],
		 id[5], id[6], id[7]);
}

static void fmt_flags(uint16_t f, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", (f & RINGSHM_F_TS_SYNC) ? "sync " : "",
		 (f & RINGSHM_F_TS_HOLDOVER) ? "holdover " : "",
		 (f & RINGSHM_F_TS_STEPPED) ? "stepped " : "",
		 (f & (RINGSHM_F_TS_SYNC | RINGSHM_F_TS_HOLDOVER | RINGSHM_F_TS_STEPPED)) ? ""
											  : "none");
	if (buf[0] != '\0' && buf[strlen(buf) - 1] == ' ') {
		buf[strlen(buf) - 1] = '\0';
	}
}

static const char *sys_sync_name(unsigned s)
{
	switch (s) {
	case TIMESYNC_SYS_IS_PTP:
		return "is-ptp-clock";
	case TIMESYNC_SYS_IN_STEP:
		return "in-step";
	case TIMESYNC_SYS_OFF_STEP:
		return "off-step";
	default:
		return "unknown";
	}
}

static const char *tai_source_name(unsigned s)
{
	switch (s) {
	case TIMESYNC_TAI_KERNEL:
		return "kernel";
	case TIMESYNC_TAI_PTP:
		return "ptp";
	default:
		return "unknown";
	}
}

/* One output line: key, value, and a short description for the table. */
struct line {
	char key[32];
	char val[96];
	const char *what;
};

struct out {
	struct line l[96];
	int n;
	json_object *j;
};

static void put(struct out *o, const char *key, const char *what, json_object *jv, const char *fmt,
		...) __attribute__((format(printf, 5, 6)));

static void put(struct out *o, const char *key, const char *what, json_object *jv, const char *fmt,
		...)
{
	va_list ap;

	if (o->n < (int)(sizeof(o->l) / sizeof(o->l[0]))) {
		struct line *l = &o->l[o->n++];

		snprintf(l->key, sizeof(l->key), "%s", key);
		va_start(ap, fmt);
		vsnprintf(l->val, sizeof(l->val), fmt, ap);
		va_end(ap);
		l->what = what;
	}
	json_object_object_add(o->j, key, jv);
}

static void put_model(struct out *o, const char *pfx, const struct timesync_model *m)
{
	char k[32], f[64];
	double hz = timesync_model_hz(m);

	snprintf(k, sizeof(k), "%s_valid", pfx);
	put(o, k, "model usable", json_object_new_boolean(timesync_model_valid(m)), "%s",
	    timesync_model_valid(m) ? "yes" : "no");
	if (!timesync_model_valid(m)) {
		return;
	}
	snprintf(k, sizeof(k), "%s_hz", pfx);
	put(o, k, "counter frequency", json_object_new_double(hz), "%.3f", hz);
	snprintf(k, sizeof(k), "%s_err_ns", pfx);
	put(o, k, "model error bound", json_object_new_int64(m->err_ns), "%" PRIu32, m->err_ns);
	snprintf(k, sizeof(k), "%s_state", pfx);
	put(o, k, "clock state behind it", json_object_new_string(timesync_state_name(m->state)),
	    "%s", timesync_state_name(m->state));
	fmt_flags(m->rec_flags, f, sizeof(f));
	snprintf(k, sizeof(k), "%s_flags", pfx);
	put(o, k, "record flags", json_object_new_string(f), "%s", f);
	snprintf(k, sizeof(k), "%s_generation", pfx);
	put(o, k, "models so far", json_object_new_int64(m->generation), "%" PRIu32, m->generation);
}

static void describe(const struct timesync_block *b, const char *source, struct out *o)
{
	const struct timesync_block_ptp *p = &b->ptp;
	char buf[64], gm[32];
	unsigned i;

	put(o, "source", "where this comes from", json_object_new_string(source), "%s", source);
	put(o, "state", "clock state", json_object_new_string(timesync_state_name(p->state)), "%s",
	    timesync_state_name(p->state));
	put(o, "offset_ns", "offset from the master", json_object_new_int64(p->offset_ns),
	    "%" PRId64, p->offset_ns);
	put(o, "threshold_ns", "sync threshold",
	    json_object_new_int64((int64_t)b->hdr.threshold_ns), "%" PRIu64, b->hdr.threshold_ns);
	put(o, "holdover_s", "holdover time",
	    json_object_new_double((double)b->hdr.holdover_ns / 1e9), "%g",
	    (double)b->hdr.holdover_ns / 1e9);
	put(o, "ptp4l_reachable", "ptp4l answered", json_object_new_boolean(p->reachable), "%s",
	    p->reachable ? "yes" : "no");
	put(o, "port_state", "ptp4l port state",
	    json_object_new_string(timesync_port_state_name(p->port_state)), "%s",
	    timesync_port_state_name(p->port_state));
	put(o, "gm_present", "grandmaster present", json_object_new_boolean(p->gm_present), "%s",
	    p->gm_present ? "yes" : "no");
	fmt_clockid(p->gm_identity, gm, sizeof(gm));
	put(o, "gm_identity", "grandmaster identity", json_object_new_string(gm), "%s", gm);
	put(o, "offset_min_ns", "offset min (history)", json_object_new_int64(p->offset_min_ns),
	    "%" PRId64, p->offset_min_ns);
	put(o, "offset_max_ns", "offset max (history)", json_object_new_int64(p->offset_max_ns),
	    "%" PRId64, p->offset_max_ns);
	put(o, "offset_rms_ns", "offset rms (history)",
	    json_object_new_int64((int64_t)p->offset_rms_ns), "%" PRIu64, p->offset_rms_ns);
	put(o, "history_n", "offset samples", json_object_new_int64(p->history_n), "%" PRIu32,
	    p->history_n);
	put(o, "utc_offset_s", "PTP currentUtcOffset", json_object_new_int(p->utc_offset), "%d",
	    p->utc_offset);
	put(o, "sys_clock", "system clock vs PTP",
	    json_object_new_string(sys_sync_name(b->hdr.sys_sync)), "%s",
	    sys_sync_name(b->hdr.sys_sync));
	if (b->hdr.sys_sync == TIMESYNC_SYS_IN_STEP || b->hdr.sys_sync == TIMESYNC_SYS_OFF_STEP) {
		put(o, "sys_offset_ns", "system clock - PHC",
		    json_object_new_int64(p->sys_offset_ns), "%" PRId64, p->sys_offset_ns);
	}
	put(o, "timescale", "record timescale", json_object_new_string("UTC"), "UTC");
	put(o, "tai_utc_s", "TAI - UTC", json_object_new_int(b->hdr.tai_utc_s), "%d",
	    b->hdr.tai_utc_s);
	put(o, "tai_utc_source", "where TAI - UTC came from",
	    json_object_new_string(tai_source_name(b->hdr.tai_source)), "%s",
	    tai_source_name(b->hdr.tai_source));
	fmt_time(p->state_since_ns, buf, sizeof(buf));
	put(o, "state_since", "state entered", json_object_new_string(buf), "%s", buf);
	fmt_time(p->last_locked_ns, buf, sizeof(buf));
	put(o, "last_locked", "last seen locked", json_object_new_string(buf), "%s", buf);
	fmt_time(b->hdr.published_ns, buf, sizeof(buf));
	put(o, "published", "state taken at", json_object_new_string(buf), "%s", buf);
	put_model(o, "tsc", &b->tsc);
	for (i = 0; i < b->hdr.nports && i < TIMESYNC_MAX_PORTS; i++) {
		char pfx[16];

		snprintf(pfx, sizeof(pfx), "port%u", i);
		put_model(o, pfx, &b->port[i]);
	}
}

static void print(struct out *o, bool json)
{
	int i;

	if (json) {
		printf("%s\n",
		       json_object_to_json_string_ext(
			       o->j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		return;
	}
	if (isatty(STDOUT_FILENO)) {
		printf("%-16s %-36s %s\n", "FIELD", "VALUE", "MEANING");
		for (i = 0; i < o->n; i++) {
			printf("%-16s %-36s %s\n", o->l[i].key, o->l[i].val, o->l[i].what);
		}
		return;
	}
	for (i = 0; i < o->n; i++) {
		printf("%s %s\n", o->l[i].key, o->l[i].val);
	}
}

static int parse_num(const char *opt, const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= min && v <= max)) {
		fprintf(stderr, "feedcap-timesync: %s: \"%s\" is not a number in [%g, %g]\n", opt,
			s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

/* Sleep, unless a signal asked us to stop: then return at once (the loop ends cleanly and
 * the management socket we bound is removed). */
static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	while (!quit && nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

/* A TSC calibrator with a first model (about 50 ms of samples), or NULL. */
static struct timesync_calib *calib_start(void)
{
	struct timesync_calib *c = timesync_calib_create(NULL);
	struct timesync_model m;
	int i;

	for (i = 0; c != NULL && i < 10; i++) {
		timesync_calib_sample(c, &m);
		sleep_s(0.005);
	}
	return c;
}

/* One line per poll for --watch. */
static void print_watch(const struct timesync_block *b, bool json)
{
	char t[64], f[64];

	fmt_time(b->hdr.published_ns, t, sizeof(t));
	fmt_flags(b->tsc.rec_flags, f, sizeof(f));
	if (json) {
		json_object *j = json_object_new_object();

		json_object_object_add(j, "time", json_object_new_string(t));
		json_object_object_add(j, "state",
				       json_object_new_string(timesync_state_name(b->ptp.state)));
		json_object_object_add(j, "offset_ns", json_object_new_int64(b->ptp.offset_ns));
		json_object_object_add(
			j, "port_state",
			json_object_new_string(timesync_port_state_name(b->ptp.port_state)));
		json_object_object_add(j, "gm_present", json_object_new_boolean(b->ptp.gm_present));
		json_object_object_add(j, "flags", json_object_new_string(f));
		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
		json_object_put(j);
	} else {
		printf("%s state=%s offset_ns=%" PRId64 " port_state=%s gm_present=%s flags=%s\n",
		       t, timesync_state_name(b->ptp.state), b->ptp.offset_ns,
		       timesync_port_state_name(b->ptp.port_state),
		       b->ptp.gm_present ? "yes" : "no", f);
	}
	fflush(stdout);
}

/* A capture that stopped or hangs leaves its last state behind: never take it for current. */
#define ALIVE_MAX_AGE_NS UINT64_C(3000000000)

#ifdef TIMESYNC_HAVE_RINGSHM
static int ring_read(const char *ring, struct timesync_block *b, bool *alive)
{
	struct ringshm_error rerr = { 0 };
	struct timesync_error terr = { 0 };
	struct ringshm_reader *rd = ringshm_reader_open(ring, &rerr);
	int rc;

	if (rd == NULL) {
		fprintf(stderr, "feedcap-timesync: %s\n", rerr.msg);
		return -1;
	}
	rc = timesync_block_read(rd, b, &terr);
	*alive = ringshm_reader_producer_alive(rd, ALIVE_MAX_AGE_NS);
	ringshm_reader_close(rd);
	if (rc < 0) {
		fprintf(stderr, "feedcap-timesync: %s: %s\n", ring, terr.msg);
		return -1;
	}
	return 0;
}
#else
static int ring_read(const char *ring, struct timesync_block *b, bool *alive)
{
	(void)b;
	*alive = false;
	fprintf(stderr, "feedcap-timesync: --ring %s: this build has no ring support\n", ring);
	return -1;
}
#endif

int main(int argc, char **argv)
{
	enum {
		O_SOCK = 256,
		O_NOPTP,
		O_PHC,
		O_DOMAIN,
		O_RING,
		O_THR,
		O_HOLD,
		O_JSON,
		O_WAIT,
		O_TIMEOUT,
		O_WATCH,
		O_INTERVAL,
		O_COUNT
	};
	static const struct option lo[] = {
		{ "ptp4l-socket", required_argument, NULL, O_SOCK },
		{ "no-ptp", no_argument, NULL, O_NOPTP },
		{ "phc", required_argument, NULL, O_PHC },
		{ "domain", required_argument, NULL, O_DOMAIN },
		{ "ring", required_argument, NULL, O_RING },
		{ "threshold", required_argument, NULL, O_THR },
		{ "holdover", required_argument, NULL, O_HOLD },
		{ "json", no_argument, NULL, O_JSON },
		{ "wait-locked", no_argument, NULL, O_WAIT },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "watch", no_argument, NULL, O_WATCH },
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ "count", required_argument, NULL, O_COUNT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts op = { .timeout_s = 60,
			   .threshold_ns = TIMESYNC_DEFAULT_THRESHOLD_NS,
			   .holdover_ns = TIMESYNC_DEFAULT_HOLDOVER_NS,
			   .interval_s = 1 };
	struct timesync_ptp *ptp = NULL;
	struct timesync_block b;
	struct out o = { 0 };
	struct timesync_calib *cal = NULL;
	unsigned long polls = 0;
	bool alive = true; /* live mode: we are the one asking */
	uint64_t deadline;
	double v;
	int c, ret = 0;

	while ((c = getopt_long(argc, argv, "hV", lo, NULL)) != -1) {
		switch (c) {
		case O_SOCK:
			op.ptp4l_socket = optarg;
			break;
		case O_NOPTP:
			op.no_ptp = true;
			break;
		case O_PHC:
			op.phc = optarg;
			break;
		case O_DOMAIN:
			if (parse_num("--domain", optarg, 0, 255, &v) < 0) {
				return EXIT_USAGE;
			}
			op.domain = (unsigned)v;
			break;
		case O_RING:
			op.ring = optarg;
			break;
		case O_THR:
			if (parse_num("--threshold", optarg, 1, 1e12, &v) < 0) {
				return EXIT_USAGE;
			}
			op.threshold_ns = (uint64_t)v;
			break;
		case O_HOLD:
			if (parse_num("--holdover", optarg, 0.001, 1e6, &v) < 0) {
				return EXIT_USAGE;
			}
			op.holdover_ns = (uint64_t)(v * 1e9);
			break;
		case O_JSON:
			op.json = true;
			break;
		case O_WAIT:
			op.wait_locked = true;
			break;
		case O_TIMEOUT:
			if (parse_num("--timeout", optarg, 0, 1e7, &v) < 0) {
				return EXIT_USAGE;
			}
			op.timeout_s = v;
			break;
		case O_WATCH:
			op.watch = true;
			break;
		case O_INTERVAL:
			if (parse_num("--interval", optarg, 0.01, 3600, &v) < 0) {
				return EXIT_USAGE;
			}
			op.interval_s = v;
			break;
		case O_COUNT:
			if (parse_num("--count", optarg, 0, 1e12, &v) < 0) {
				return EXIT_USAGE;
			}
			op.count = (unsigned long)v;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			printf("feedcap-timesync %s\n", FEEDCAP_VERSION);
			return 0;
		default:
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "feedcap-timesync: unexpected argument \"%s\"\n%s", argv[optind],
			usage);
		return EXIT_USAGE;
	}
	if (op.watch && op.wait_locked) {
		fprintf(stderr, "feedcap-timesync: --watch and --wait-locked exclude each other\n");
		return EXIT_USAGE;
	}
	if (op.ring != NULL && (op.ptp4l_socket != NULL || op.phc != NULL || op.no_ptp)) {
		fprintf(stderr,
			"feedcap-timesync: --ring reads the capture's state; it does not take --ptp4l-socket, --phc or --no-ptp\n");
		return EXIT_USAGE;
	}

	/* Before the management socket is bound: a SIGTERM from then on must end the loop
	 * cleanly and remove it, never kill the process with the socket left behind. */
	{
		struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART */

		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		/* a closed output pipe (--watch | head) ends the watch cleanly, status 0 */
		sigaction(SIGPIPE, &sa, NULL);
	}
	if (op.ring == NULL) {
		struct timesync_ptp_params pp = {
			.ptp4l_socket = op.ptp4l_socket,
			.phc_device = op.phc,
			.domain = (uint8_t)op.domain,
			.threshold_ns = op.threshold_ns,
			.holdover_ns = op.holdover_ns,
			.disabled = op.no_ptp,
		};
		struct timesync_error err = { 0 };

		ptp = timesync_ptp_open(&pp, &err);
		if (ptp == NULL) {
			fprintf(stderr, "feedcap-timesync: %s\n", err.msg);
			return 1;
		}
	}
	if (op.ring == NULL) {
		cal = calib_start();
	}
	deadline = now_ns(CLOCK_MONOTONIC) + (uint64_t)(op.timeout_s * 1e9);
	for (;;) {
		if (op.ring != NULL) {
			if (ring_read(op.ring, &b, &alive) < 0) {
				ret = 1;
				break;
			}
		} else {
			struct timesync_ptp_status st;
			int rc = timesync_ptp_poll(ptp, &st);

			if (rc < 0) {
				fprintf(stderr, "feedcap-timesync: asking ptp4l at %s: %s\n",
					op.ptp4l_socket ? op.ptp4l_socket
							: TIMESYNC_DEFAULT_PTP4L_SOCKET,
					strerror(-rc));
				ret = 1;
				break;
			}
			timesync_block_init(&b, op.threshold_ns, op.holdover_ns);
			timesync_block_set_ptp(&b, &st);
			b.hdr.published_ns = now_ns(CLOCK_REALTIME);
			if (cal != NULL && timesync_calib_step(cal, st.state, op.threshold_ns, NULL,
							       &b.tsc) == 0) {
				b.hdr.rec_flags = b.tsc.rec_flags;
			}
		}
		polls++;
		if (quit) {
			ret = op.watch ? 0 : 1;
			break;
		}
		if (op.watch) {
			print_watch(&b, op.json);
			if (op.count != 0 && polls >= op.count) {
				break;
			}
		} else if (!op.wait_locked || (b.ptp.state == TIMESYNC_LOCKED && alive)) {
			break;
		} else if (now_ns(CLOCK_MONOTONIC) >= deadline) {
			ret = 1;
			break;
		}
		sleep_s(op.interval_s);
		if (quit && op.watch) {
			break;
		}
	}
	timesync_calib_destroy(cal);
	if (ptp != NULL) {
		timesync_ptp_close(ptp);
	}
	if (op.watch || (ret != 0 && !op.wait_locked)) {
		return ret;
	}
	o.j = json_object_new_object();
	if (op.ring != NULL) {
		describe(&b, op.ring, &o);
		put(&o, "capture_alive", "capture running (heartbeat)",
		    json_object_new_boolean(alive), "%s",
		    alive ? "yes" : "no (this is its last state, not the current one)");
	} else {
		char src[160];

		snprintf(src, sizeof(src), "%s",
			 op.no_ptp	   ? "none"
			 : op.ptp4l_socket ? op.ptp4l_socket
					   : TIMESYNC_DEFAULT_PTP4L_SOCKET);
		describe(&b, src, &o);
	}
	if (op.wait_locked) {
		json_object_object_add(o.j, "locked", json_object_new_boolean(ret == 0));
	}
	print(&o, op.json);
	json_object_put(o.j);
	if (op.wait_locked && ret != 0) {
		fprintf(stderr, "feedcap-timesync: not locked after %g s (state %s%s)\n",
			op.timeout_s, timesync_state_name(b.ptp.state),
			alive ? "" : ", and the capture that published it is not running");
	}
	return ret;
}
