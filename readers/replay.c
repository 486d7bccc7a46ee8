/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * feedcap-replay - archives back to one pcap or pcapng stream, or into a ring.
 *
 * The command line names archives and directories (archive sets); archset_pick() turns them
 * into the archives that overlap --from/--to, in time order, with the seek points of each
 * directory's index.  The reader library merges them by timestamp, opening each when the
 * merge reaches its first record and closing it when it is done, so a day of one-minute files
 * needs a handful of descriptors; each is entered at the last seek point before --from.  The
 * frames are filtered with a libpcap expression and written out.  A damaged archive is read
 * up to its last complete record; the warning says where it stopped and the exit code is 1
 * (the output is complete up to that point and valid).
 *
 * Files: replay_cli.c (options), replay_output.c (outputs), replay_list.c (--list,
 * --reindex), replay_window.c (what the archives hold, when asked for more), replay_arb.c
 * (--arbitrate: A and B lines into one stream, each sequence number once).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "replay_internal.h"
#include "stat_internal.h"

static int compile_filter(const char *expr, int linktype, uint32_t snaplen, pcap_t **dead,
			  struct bpf_program *prog)
{
	/*
	 * Compiled for the archives' own link type (fcr_filter_compile() is for the ring's
	 * Ethernet frames; archives from tcpdump -i any are Linux cooked).
	 */
	*dead = pcap_open_dead(linktype, (int)snaplen);
	if (!*dead || pcap_compile(*dead, prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		fprintf(stderr, PROG ": bad filter expression '%s': %s\n", expr,
			*dead ? pcap_geterr(*dead) : "out of memory");
		return -1;
	}
	return 0;
}

struct counts {
	uint64_t read, filtered, arbitrated, written;
};

static int merge(struct fcr_archive_set *set, struct replay_output *out, pcap_t *fdead,
		 struct bpf_program *prog, struct replay_arb *arb, struct counts *n)
{
	int linktype = fcr_archive_set_linktype(set);
	struct fcr_pkt pkt;
	int rc = 0;

	while (!fcr_cli_stopping() && (rc = fcr_archive_set_next(set, &pkt, NULL)) == 1) {
		n->read++;
		if (fdead) {
			struct pcap_pkthdr h = { .caplen = pkt.cap_len, .len = pkt.wire_len };

			if (!pcap_offline_filter(prog, &h, pkt.data)) {
				n->filtered++;
				continue;
			}
		}
		if (arb && !replay_arb_keep(arb, linktype, &pkt)) {
			n->arbitrated++;
			continue;
		}
		if (replay_out_write(out, &pkt) < 0) {
			return 1;
		}
		n->written++;
	}
	if (rc < 0) {
		fprintf(stderr, PROG ": %s\n", fcr_archive_set_error(set));
		return 1;
	}
	return 0;
}

static int play(const struct replay_opts *o)
{
	struct archset_picks ps;
	struct fcr_error err = { 0 };
	struct replay_output out;
	struct fcr_archive_set *set = NULL;
	struct fcr_source *src = NULL;
	struct bpf_program prog = { 0 };
	struct counts n = { 0 };
	struct replay_arb *arb = NULL;
	pcap_t *fdead = NULL;
	int status = 0, linktype = DLT_EN10MB;
	uint32_t snaplen = 65535;

	if (archset_pick(o->archives, o->narchives, ARCHSET_REPAIR, o->from, o->to, &ps, &err) <
	    0) {
		fprintf(stderr, PROG ": %s\n", err.msg);
		return 1;
	}
	fcr_cli_print_notes(ps.notes);
	if (replay_window(&ps, o) && o->require_window) {
		fprintf(stderr, PROG ": --require-window: nothing written\n");
		status = 1;
		goto out_picks;
	}
	src = archset_picks_sources(&ps, o->from);
	if (!src) {
		fprintf(stderr, PROG ": out of memory\n");
		status = 1;
		goto out_picks;
	}
	if (ps.n > 0) {
		set = fcr_archive_set_open_sources(src, (unsigned int)ps.n, o->from, o->to,
						   fcr_cli_max_open_files(), &err);
		if (!set) {
			fprintf(stderr, PROG ": %s\n", err.msg);
			status = 1;
			goto out_picks;
		}
		linktype = fcr_archive_set_linktype(set);
		snaplen = fcr_archive_set_snaplen(set);
	}
	/* nothing in the range: still a valid, empty capture (Ethernet) */
	if (o->filter[0] && compile_filter(o->filter, linktype, snaplen, &fdead, &prog) < 0) {
		status = FCR_CLI_EXIT_USAGE;
		goto out_set;
	}
	if (o->narb) {
		arb = replay_arb_new(o);
		if (!arb) {
			fprintf(stderr, PROG ": out of memory\n");
			status = 1;
			goto out_set;
		}
	}
	if (replay_out_open(&out, o, linktype, snaplen) < 0) {
		status = 1;
		goto out_set;
	}
	if (set) {
		status = merge(set, &out, fdead, &prog, arb, &n);
		for (unsigned int i = 0; i < fcr_archive_set_count(set); i++) {
			struct fcr_archive_result r;

			fcr_archive_set_result(set, i, &r);
			if (r.damaged) {
				fprintf(stderr, PROG ": warning: %s\n", r.message);
				status = 1;
			}
		}
	}
	if (replay_out_close(&out) < 0) {
		status = 1;
	}
	if (arb && replay_arb_report(arb) < 0) {
		status = 1;
	}
	if (o->verbose) {
		fprintf(stderr,
			PROG ": %zu archives in range, %" PRIu64 " records read in range, %" PRIu64
			     " filtered out, %" PRIu64 " already written by the other line, %" PRIu64
			     " written to %s\n",
			ps.n, n.read, n.filtered, n.arbitrated, n.written, out.name);
	}
out_set:
	replay_arb_free(arb);
	if (fdead) {
		pcap_freecode(&prog);
		pcap_close(fdead);
	}
	fcr_archive_set_close(set);
out_picks:
	free(src);
	archset_picks_free(&ps);
	return status;
}

int main(int argc, char **argv)
{
	struct replay_opts o;
	int status;

	fcr_cli_prog = PROG;
	replay_parse_args(argc, argv, &o);
	fcr_cli_catch_stop_signals();
	switch (o.mode) {
	case MODE_LIST:
		status = replay_list(&o);
		break;
	case MODE_REINDEX:
		status = replay_reindex(&o);
		break;
	default:
		status = play(&o);
		break;
	}
	free(o.filter);
	return status;
}
