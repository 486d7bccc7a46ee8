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
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "replay_internal.h"
#include "stat_internal.h"

/*
 * The filter, compiled once per link type met (fcr_filter_compile() is for the ring's Ethernet
 * frames; archives from tcpdump -i any are Linux cooked, and one pcapng may mix Ethernet, raw
 * IP and loopback interfaces).
 */
#define MAX_FILTER_LT 16

struct filters {
	const char *expr; /* "" or NULL: none */
	uint32_t snaplen;
	unsigned int n;
	struct {
		int linktype;
		pcap_t *dead;
		struct bpf_program prog;
	} f[MAX_FILTER_LT];
};

/* The program for linktype; NULL with a message on stderr when it cannot be compiled. */
static struct bpf_program *filter_for(struct filters *fs, int linktype)
{
	unsigned int i;

	for (i = 0; i < fs->n; i++) {
		if (fs->f[i].linktype == linktype) {
			return &fs->f[i].prog;
		}
	}
	if (fs->n == MAX_FILTER_LT) {
		fprintf(stderr, PROG ": the archives hold more than %d link types\n",
			MAX_FILTER_LT);
		return NULL;
	}
	fs->f[i].linktype = linktype;
	fs->f[i].dead = pcap_open_dead(linktype, (int)fs->snaplen);
	if (!fs->f[i].dead ||
	    pcap_compile(fs->f[i].dead, &fs->f[i].prog, fs->expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		fprintf(stderr, PROG ": bad filter expression '%s' for %s frames: %s\n", fs->expr,
			pcap_datalink_val_to_name(linktype) ?: "unknown",
			fs->f[i].dead ? pcap_geterr(fs->f[i].dead) : "out of memory");
		if (fs->f[i].dead) {
			pcap_close(fs->f[i].dead);
		}
		return NULL;
	}
	fs->n++;
	return &fs->f[i].prog;
}

static void filters_free(struct filters *fs)
{
	for (unsigned int i = 0; i < fs->n; i++) {
		pcap_freecode(&fs->f[i].prog);
		pcap_close(fs->f[i].dead);
	}
	fs->n = 0;
}

struct counts {
	uint64_t read, filtered, arbitrated, written;
};

static int merge(struct fcr_archive_set *set, struct replay_output *out, struct filters *fs,
		 struct replay_arb *arb, struct counts *n)
{
	int linktype = fcr_archive_set_linktype(set);
	struct fcr_pkt pkt;
	int rc = 0;

	while (!fcr_cli_stopping() && (rc = fcr_archive_set_next(set, &pkt, NULL)) == 1) {
		int lt = pkt.meta && pkt.meta->iface ? pkt.meta->iface->linktype : linktype;

		n->read++;
		if (fs->expr[0]) {
			struct pcap_pkthdr h = { .caplen = pkt.cap_len, .len = pkt.wire_len };
			struct bpf_program *prog = filter_for(fs, lt);

			if (!prog) {
				return FCR_CLI_EXIT_USAGE;
			}
			if (!pcap_offline_filter(prog, &h, pkt.data)) {
				n->filtered++;
				continue;
			}
		}
		if (arb && !replay_arb_keep(arb, lt, &pkt)) {
			n->arbitrated++;
			continue;
		}
		if (replay_out_write(out, &pkt) < 0) {
			return out->gone ? 0 : 1;
		}
		n->written++;
	}
	if (rc < 0) {
		fprintf(stderr, PROG ": %s\n", fcr_archive_set_error(set));
		return 1;
	}
	return 0;
}

/* The first archive's first interface and section: what a pcap output takes after. */
static void first_desc(struct fcr_archive_set *set, const struct fcr_iface **f,
		       const struct fcr_section **sec, uint8_t *tsresol)
{
	*f = NULL;
	*sec = NULL;
	*tsresol = 9;
	for (unsigned int i = 0; set && i < fcr_archive_set_count(set); i++) {
		struct fcr_archive *a = fcr_archive_set_get(set, i);

		if (a) {
			*f = fcr_archive_iface(a);
			*sec = fcr_archive_section(a);
			*tsresol = fcr_archive_tsresol(a);
			return;
		}
	}
}

static int play(const struct replay_opts *o)
{
	struct archset_picks ps;
	struct fcr_error err = { 0 };
	struct replay_output out;
	struct fcr_archive_set *set = NULL;
	struct fcr_source *src = NULL;
	struct filters fs = { .expr = o->filter };
	struct counts n = { 0 };
	struct replay_arb *arb = NULL;
	const struct fcr_iface *iface;
	struct fcr_iface ns_iface;
	const struct fcr_section *sec;
	int status = 0, linktype = DLT_EN10MB;
	uint32_t snaplen = 65535;
	uint8_t tsresol;

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
	fs.snaplen = snaplen;
	if (o->filter[0] && !filter_for(&fs, linktype)) {
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
	first_desc(set, &iface, &sec, &tsresol);
	if (iface && (ps.n > 1 || tsresol == 9) && iface->tsresol != 9) {
		/*
		 * The other archives, or the other interfaces of a pcapng, may be finer than the
		 * first one: a merge is written in nanoseconds, which loses nothing.  One archive
		 * keeps its own resolution when all of it is that fine.
		 */
		ns_iface = *iface;
		ns_iface.tsresol = 9;
		iface = &ns_iface;
	}
	if (replay_out_open(&out, o, linktype, snaplen, iface, sec, ps.n == 1) < 0) {
		status = out.gone ? 0 : 1;
		goto out_set;
	}
	if (set) {
		status = merge(set, &out, &fs, arb, &n);
		for (unsigned int i = 0; i < fcr_archive_set_count(set); i++) {
			struct fcr_archive_result r;

			fcr_archive_set_result(set, i, &r);
			if (r.damaged) {
				fprintf(stderr, PROG ": warning: %s\n", r.message);
				status = 1;
			}
		}
	}
	if (set && out.w) {
		/* the archives' interface statistics, for the interfaces written (pcapng) */
		const struct fcr_ifstats *v;
		unsigned int k = fcr_archive_set_stats(set, &v);

		for (unsigned int i = 0; i < k; i++) {
			(void)fcr_writer_set_ifstats(out.w, &v[i]);
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
			     " filtered out, %" PRIu64
			     " already written by the other line, %" PRIu64 " written to %s\n",
			ps.n, n.read, n.filtered, n.arbitrated, n.written, out.name);
	}
out_set:
	replay_arb_free(arb);
	filters_free(&fs);
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
	/* a closed output pipe is EPIPE, then a quiet exit 0, as tcpdump -w - | head does */
	signal(SIGPIPE, SIG_IGN);
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
