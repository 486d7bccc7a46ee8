/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stat_internal.h - feedcap-stat's frame classification, kept apart from main() so that the
 * unit tests can reach it.
 */
#ifndef FCREADER_STAT_INTERNAL_H
#define FCREADER_STAT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* Where a frame goes, by destination. */
enum fcreader_flow_kind {
	FCREADER_FLOW_UDP = 0,	    /* UDP (or the first fragment of a fragmented datagram) */
	FCREADER_FLOW_FRAGMENT = 1, /* a later IP fragment: no UDP header, counted apart */
	FCREADER_FLOW_OTHER = 2,    /* not IP/UDP, or too short to tell */
};

struct fcreader_flow {
	enum fcreader_flow_kind kind;
	uint8_t af;		/* 4 or 6 */
	uint8_t dst[16];	/* IPv4 in the first 4 bytes */
	uint16_t dport;		/* host order */
	uint16_t vlans;		/* VLAN tags crossed (QinQ: 2) */
	const uint8_t *payload; /* UDP payload, what was captured of it */
	uint32_t paylen;
	uint32_t udplen; /* the payload's length by the UDP header (>= paylen when cut) */
};

/*
 * fcreader_flow_parse - classify a frame: Ethernet (DLT_EN10MB) with any number of 802.1Q /
 * 802.1ad tags, raw IP (DLT_RAW), or Linux cooked (DLT_LINUX_SLL); IPv4 with options and
 * fragments, IPv6 with extension headers; UDP.
 * @return the kind (also in f->kind).
 */
enum fcreader_flow_kind fcreader_flow_parse(int linktype, const uint8_t *p, uint32_t caplen,
					    struct fcreader_flow *f);

/* "239.1.1.1:30001" or "[ff15::1]:30001". */
void fcreader_flow_dst_str(const struct fcreader_flow *f, char *out, size_t outlen);

/*
 * fcreader_dst_parse - "239.1.1.1:30001", "239.1.1.1" (any port), "[ff15::1]:30001".
 * @return 0 with *f's af, dst, dport filled and *any_port set, or -EINVAL.
 */
int fcreader_dst_parse(const char *s, struct fcreader_flow *f, bool *any_port);

/* Whether destination k is m (any port of m's address when any_port). */
bool fcreader_dst_match(const struct fcreader_flow *m, bool any_port,
			const struct fcreader_flow *k);

/* An A/B pair as written on a command line: NAME=GROUP_A,GROUP_B. */
struct fcreader_feed_spec {
	char name[64];
	char spec[2][64]; /* the groups as written */
	struct fcreader_flow line[2];
	bool any_port[2];
};

/*
 * fcreader_feed_parse - "itch=239.1.1.1:30001,239.1.2.1:30001".
 * @return 0, or -EINVAL with err saying what is wrong (without the option's name).
 */
int fcreader_feed_parse(const char *arg, struct fcreader_feed_spec *f, char *err, size_t errlen);

/*
 * fcr_grow - room for one more element in a doubling array of *cap elements of elem bytes, n
 * in use (first is the size of the first allocation).  @return 0, or -1 (*v unchanged).
 */
static inline int fcr_grow(void **v, size_t *cap, size_t n, size_t elem, size_t first)
{
	if (n < *cap) {
		return 0;
	}

	size_t nc = *cap ? *cap * 2 : first;
	void *nv = realloc(*v, nc * elem);

	if (!nv) {
		return -1;
	}
	*v = nv;
	*cap = nc;
	return 0;
}

/* ------------------------------------------------------------------ the programs' main() */

/* Shared by feedcap-stat and feedcap-replay (stat_cli.c, linked into the programs only). */
#define FCR_CLI_EXIT_USAGE 2

extern const char *fcr_cli_prog; /* program name for messages */

/* "PROG: message", "Try 'PROG --help'.", exit 2. */
void fcr_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* SIGINT and SIGTERM set the stop flag (the loops check it and finish cleanly). */
/* The end of every tool's getopt switch: -h (usage_text on stdout, exit 0), -V (the
 * version, exit 0), anything else (getopt's complaint stands; exit 2). */
void fcr_cli_common_option(int c, const char *usage_text) __attribute__((noreturn));

void fcr_cli_catch_stop_signals(void);
bool fcr_cli_stopping(void);

uint64_t fcr_cli_now_ns(clockid_t c);

/* How many archives a merge may hold open: the open-file limit less a reserve. */
unsigned int fcr_cli_max_open_files(void);

/* Each line of notes (an archive set's warnings) on stderr after the program's name. */
void fcr_cli_print_notes(const char *notes);

#endif /* FCREADER_STAT_INTERNAL_H */
