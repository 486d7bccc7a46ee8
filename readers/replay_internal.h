/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * replay_internal.h - what feedcap-replay's files share: the options, the output, the
 * listing.  Never installed.
 */
#ifndef REPLAY_INTERNAL_H
#define REPLAY_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <pcap/pcap.h>

#include "archset.h"
#include "fcreader.h"
#include "ringshm.h"

#define PROG "feedcap-replay"

enum pace { PACE_MAX, PACE_ORIGINAL };

enum replay_mode {
	MODE_PLAY = 0, /* -w or --to-ring */
	MODE_LIST,     /* --list */
	MODE_REINDEX,  /* --reindex */
};

#define REPLAY_MAX_ARB 64

struct replay_opts {
	enum replay_mode mode;
	const char *out;
	const char *ring;
	enum fcr_format format;
	bool format_set;
	enum pace pace;
	uint64_t from, to;
	bool from_set, to_set;
	uint64_t ring_size;
	bool verbose;
	bool json;
	bool require_window;
	char *const *archives; /* DIR|ARCHIVE arguments (into argv) */
	unsigned int narchives;
	char *filter;
	const char *arb[REPLAY_MAX_ARB]; /* --arbitrate NAME=A,B */
	unsigned int narb;
	const char *arb_gaps; /* --gaps DECODER of the arbitrated feeds */
};

/* replay_cli.c: parse the command line (exits 2 on bad usage, 0 after --help). */
void replay_parse_args(int argc, char **argv, struct replay_opts *o);

/* replay_output.c: a pcap written by libpcap's dumper, the library's writer, or a ring. */
struct replay_output {
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
	bool gone;     /* the output's reader went away (EPIPE): stop quietly */
	bool reported; /* a write error was printed: the writer's close repeats it */
};

/*
 * iface and sec: the first archive's first interface and section (NULL: Ethernet, feedcap's),
 * which a pcap output takes its link type and time unit from; one_archive: a pcapng output
 * keeps the archive's sections (fcr_writer_opts.keep_sections).  replay_out_write() returns
 * -EPIPE quietly when the reader of the output went away (tcpdump -c N): the caller stops.
 */
int replay_out_open(struct replay_output *out, const struct replay_opts *o, int linktype,
		    uint32_t snaplen, const struct fcr_iface *iface, const struct fcr_section *sec,
		    bool one_archive);
int replay_out_write(struct replay_output *out, const struct fcr_pkt *pkt);
int replay_out_close(struct replay_output *out);

/* replay_list.c: --list and --reindex.  Return the exit status. */
int replay_list(const struct replay_opts *o);
int replay_reindex(const struct replay_opts *o);

/*
 * replay_window.c: say on stderr what the archives hold when --from/--to ask for more.
 * @return true if the range asked for is not all held (--require-window makes that exit 1).
 */
bool replay_window(const struct archset_picks *p, const struct replay_opts *o);

/*
 * replay_arb.c: --arbitrate.  replay_arb_new() exits 2 on a bad --arbitrate or --gaps (it
 * parses them); replay_arb_keep() says whether a frame goes out (false: its numbers were all
 * written already); replay_arb_report() prints per feed what came from which line and what
 * neither delivered (@return 0, or -ENOMEM if some duplicates went out).
 */
struct replay_arb;
struct replay_arb *replay_arb_new(const struct replay_opts *o);
bool replay_arb_keep(struct replay_arb *a, int linktype, const struct fcr_pkt *pkt);
int replay_arb_report(const struct replay_arb *a);
void replay_arb_free(struct replay_arb *a);

#endif /* REPLAY_INTERNAL_H */
