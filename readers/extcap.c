/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * feedcap-extcap - Wireshark's extcap protocol in front of feedcap's rings: every ring under
 * $FEEDCAP_RING_DIR (/run/feedcap) is a capture interface in Wireshark and tshark.
 *
 * Wireshark runs this program from its extcap folder (`tshark -G folders`) with:
 *   --extcap-interfaces                      list the interfaces (one per ring)
 *   --extcap-dlts --extcap-interface IF      the link type (Ethernet)
 *   --extcap-config --extcap-interface IF    the options offered: from, filter
 *   --capture --extcap-interface IF --fifo F [--from X] [--extcap-capture-filter EXPR]
 * (doc/extcap.pod in Wireshark's sources; the lines printed here follow its grammar).
 *
 * A capture is feedcap-dump writing pcapng to the FIFO: the same reader (read-only mapping,
 * overrun accounting, loss and clock comments, epb_flags, epb_dropcount) with the rights of
 * the user who runs Wireshark, a member of the feedcap group, and nothing more.  This program
 * only translates: it opens the FIFO, makes it the standard output and execs feedcap-dump
 * ($FEEDCAP_DUMP, else the installed one, else the one on PATH).  When Wireshark stops
 * reading, feedcap-dump sees a closed pipe and ends with status 0.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fcreader.h"
#include "ringshm.h"

#define PROG	  "feedcap-extcap"
#define IF_PREFIX "feedcap-"

#ifndef FEEDCAP_DUMP_PATH
#define FEEDCAP_DUMP_PATH "/usr/local/bin/feedcap-dump"
#endif

static const char usage_text[] =
	"Usage: feedcap-extcap --extcap-interfaces\n"
	"       feedcap-extcap --extcap-interface feedcap-RING --extcap-dlts|--extcap-config\n"
	"       feedcap-extcap --extcap-interface feedcap-RING --capture --fifo FIFO\n"
	"                      [--from newest|oldest|-30s|TIME] [--extcap-capture-filter EXPR]\n"
	"\n"
	"Wireshark's extcap for feedcap rings: every ring under $FEEDCAP_RING_DIR (default\n"
	"/run/feedcap) is a capture interface named feedcap-NAME, streamed live as pcapng by\n"
	"feedcap-dump.  Wireshark runs it from its extcap folder; a person rarely does.\n"
	"\n"
	"  --extcap-interfaces          list the rings as interfaces\n"
	"  --extcap-interface IF        the interface (feedcap-NAME) the other options are about\n"
	"  --extcap-dlts                its link type (Ethernet)\n"
	"  --extcap-config              the options Wireshark offers: from, filter\n"
	"  --capture --fifo FIFO        stream the ring as pcapng into FIFO until it is closed\n"
	"  --from WHERE                 newest (default), oldest, -30s (the last 30 s the ring\n"
	"                               holds) or a time (ISO 8601 or epoch seconds)\n"
	"  --extcap-capture-filter EXPR, --filter EXPR\n"
	"                               a libpcap (tcpdump) filter expression\n"
	"  --extcap-version VER         Wireshark's version (ignored)\n"
	"  -V, --version                the version\n"
	"  -h, --help                   this help\n"
	"\n"
	"Environment: FEEDCAP_RING_DIR (where rings are), FEEDCAP_DUMP (the feedcap-dump to run).\n"
	"Exit status: 0 ok; 1 runtime failure (no such ring, the FIFO cannot be opened, an\n"
	"invalid capture filter); 2 bad usage.\n";

struct opts {
	bool list, dlts, config, capture;
	const char *iface, *fifo, *from, *filter;
};

static const char *ring_dir(void)
{
	const char *d = getenv("FEEDCAP_RING_DIR");

	return d && *d ? d : RINGSHM_DEFAULT_DIR;
}

/* Whether path is a ring file this user can read (its magic; nothing is registered). */
static bool is_ring(const char *path)
{
	uint64_t magic = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	bool ok;

	if (fd < 0) {
		return false;
	}
	ok = pread(fd, &magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
	     magic == RINGSHM_MAGIC;
	close(fd);
	return ok;
}

static int list_interfaces(void)
{
	const char *dir = ring_dir();
	struct dirent **ents = NULL;
	int n;

	printf("extcap {version=%s}{help=https://github.com/feedcap/feedcap}\n", FEEDCAP_VERSION);
	n = scandir(dir, &ents, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		const char *name = ents[i]->d_name;

		if (name[0] != '.' && strchr(name, '\n') == NULL && strchr(name, '}') == NULL &&
		    snprintf(path, sizeof(path), "%s/%s", dir, name) < (int)sizeof(path) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode) && is_ring(path)) {
			printf("interface {value=" IF_PREFIX "%s}{display=feedcap ring %s (%s)}\n",
			       name, name, path);
		}
		free(ents[i]);
	}
	free(ents);
	return 0;
}

/* The ring an interface names: its file under the ring directory. */
static const char *ring_of(const char *iface)
{
	if (!iface || strncmp(iface, IF_PREFIX, strlen(IF_PREFIX)) != 0 ||
	    !iface[strlen(IF_PREFIX)] || strchr(iface + strlen(IF_PREFIX), '/')) {
		return NULL;
	}
	return iface + strlen(IF_PREFIX);
}

static int print_dlts(void)
{
	printf("dlt {number=1}{name=EN10MB}{display=Ethernet}\n");
	return 0;
}

static int print_config(void)
{
	printf("arg {number=0}{call=--from}{display=Start at}{type=string}{default=newest}"
	       "{tooltip=newest (live), oldest (everything the ring holds), -30s (the last 30 s "
	       "the ring holds), or a time: 2026-11-22T09:30:00Z or epoch seconds}"
	       "{validation=^(newest|oldest|-.+|[0-9@].*)$}{group=Ring}\n");
	printf("arg {number=1}{call=--filter}{display=Capture filter}{type=string}"
	       "{tooltip=a libpcap (tcpdump) filter expression, e.g. udp dst port 30001}"
	       "{group=Ring}\n");
	return 0;
}

/* Make sure a capture filter compiles, as Wireshark asks before a capture. */
static int check_filter(const char *expr)
{
	struct fcr_error err = { 0 };
	struct fcr_filter *f = fcr_filter_compile(expr, &err);

	if (!f) {
		printf("%s\n", err.msg); /* Wireshark shows what the extcap prints */
		return 1;
	}
	fcr_filter_free(f);
	return 0;
}

static int capture(const struct opts *o, const char *ring)
{
	char path[4096];
	const char *dump = getenv("FEEDCAP_DUMP");
	const char *argv[16];
	int fd, n = 0, rc;

	rc = ringshm_resolve(ring, ring_dir(), path, sizeof(path));
	if (rc < 0 || access(path, R_OK) != 0) {
		fprintf(stderr, PROG ": %s: no readable ring (%s)\n", path,
			rc < 0 ? strerror(-rc) : strerror(errno));
		return 1;
	}
	fd = open(o->fifo, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, PROG ": %s: cannot open the FIFO: %s\n", o->fifo, strerror(errno));
		return 1;
	}
	if (fd != STDOUT_FILENO) {
		if (dup2(fd, STDOUT_FILENO) < 0) {
			fprintf(stderr, PROG ": dup2: %s\n", strerror(errno));
			return 1;
		}
		close(fd);
	}
	argv[n++] = "feedcap-dump";
	argv[n++] = "--ring";
	argv[n++] = path;
	argv[n++] = "--from";
	argv[n++] = o->from ? o->from : "newest";
	argv[n++] = "-F";
	argv[n++] = "pcapng";
	argv[n++] = "--flush-interval";
	argv[n++] = "100ms"; /* a live view: frames on screen within 0.1 s */
	argv[n++] = "-q";
	argv[n++] = "-w";
	argv[n++] = "-";
	if (o->filter && o->filter[0]) {
		argv[n++] = "--";
		argv[n++] = o->filter;
	}
	argv[n] = NULL;
	if (dump && *dump) {
		execv(dump, (char *const *)(uintptr_t)argv);
	} else {
		execv(FEEDCAP_DUMP_PATH, (char *const *)(uintptr_t)argv);
		execvp("feedcap-dump", (char *const *)(uintptr_t)argv);
	}
	fprintf(stderr, PROG ": cannot run feedcap-dump (%s, then PATH): %s\n",
		dump && *dump ? dump : FEEDCAP_DUMP_PATH, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	enum {
		OPT_LIST = 256,
		OPT_DLTS,
		OPT_CONFIG,
		OPT_IFACE,
		OPT_CAPTURE,
		OPT_FIFO,
		OPT_FROM,
		OPT_FILTER,
		OPT_VER,
		OPT_IGNORED,
	};
	static const struct option lopts[] = {
		{ "extcap-interfaces", no_argument, NULL, OPT_LIST },
		{ "extcap-dlts", no_argument, NULL, OPT_DLTS },
		{ "extcap-config", no_argument, NULL, OPT_CONFIG },
		{ "extcap-interface", required_argument, NULL, OPT_IFACE },
		{ "capture", no_argument, NULL, OPT_CAPTURE },
		{ "fifo", required_argument, NULL, OPT_FIFO },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "extcap-capture-filter", required_argument, NULL, OPT_FILTER },
		{ "filter", required_argument, NULL, OPT_FILTER },
		{ "extcap-version", optional_argument, NULL, OPT_VER },
		/* what Wireshark may pass that this extcap has no use for */
		{ "extcap-control-in", required_argument, NULL, OPT_IGNORED },
		{ "extcap-control-out", required_argument, NULL, OPT_IGNORED },
		{ "extcap-reload-option", required_argument, NULL, OPT_IGNORED },
		{ "debug", no_argument, NULL, OPT_IGNORED },
		{ "debug-file", required_argument, NULL, OPT_IGNORED },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { 0 };
	struct fcr_from from;
	struct fcr_error err = { 0 };
	const char *ring;
	int c;

	while ((c = getopt_long(argc, argv, "Vh", lopts, NULL)) != -1) {
		switch (c) {
		case OPT_LIST:
			o.list = true;
			break;
		case OPT_DLTS:
			o.dlts = true;
			break;
		case OPT_CONFIG:
			o.config = true;
			break;
		case OPT_IFACE:
			o.iface = optarg;
			break;
		case OPT_CAPTURE:
			o.capture = true;
			break;
		case OPT_FIFO:
			o.fifo = optarg;
			break;
		case OPT_FROM:
			o.from = optarg;
			break;
		case OPT_FILTER:
			/* the capture filter field wins over the option of the same meaning */
			if (!o.filter || !o.filter[0]) {
				o.filter = optarg;
			}
			break;
		case OPT_VER:
		case OPT_IGNORED:
			break;
		case 'V':
			printf(PROG " %s\n", FEEDCAP_VERSION);
			return 0;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fprintf(stderr, "Try '" PROG " --help'.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": %s: no such option or argument\nTry '" PROG " --help'.\n",
			argv[optind]);
		return 2;
	}
	if (o.list) {
		return list_interfaces();
	}
	ring = ring_of(o.iface);
	if (!ring) {
		fprintf(stderr,
			PROG ": --extcap-interface %s: not one of this extcap's interfaces "
			     "(feedcap-NAME)\nTry '" PROG " --help'.\n",
			o.iface ? o.iface : "(missing)");
		return 2;
	}
	if (o.dlts) {
		return print_dlts();
	}
	if (o.config) {
		return print_config();
	}
	if (o.from && fcr_parse_from(o.from, &from, &err) < 0) {
		fprintf(stderr, PROG ": --from: %s\n", err.msg);
		return 2;
	}
	if (o.filter && o.filter[0] && check_filter(o.filter) != 0) {
		return 1;
	}
	if (!o.capture) {
		return 0; /* a capture filter check: it compiles */
	}
	if (!o.fifo) {
		fprintf(stderr, PROG ": --capture needs --fifo FIFO\n");
		return 2;
	}
	return capture(&o, ring);
}
