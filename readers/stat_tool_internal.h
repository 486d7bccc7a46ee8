/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stat_tool_internal.h - feedcap-stat's state, shared by the program's files (never a library):
 *
 *	stat.c          options, the config file's [decoder] and [feed] sections, main()
 *	stat_input.c    the sources: a ring live (or its backlog), archives
 *	stat_groups.c   per group accounting: counts, bursts, the sequence decoders, gaps
 *	stat_race.c     the A/B race of a feed: which line won each number, by how much
 *	stat_ring.c     the ring's own counters, readers and clock, as one consistent view
 *	stat_output.c   the text table and lines, JSON
 *	stat_prom.c     the Prometheus text file
 */
#ifndef FEEDCAP_STAT_TOOL_H
#define FEEDCAP_STAT_TOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fcreader.h"
#include "ringshm.h"
#include "seqgap_internal.h"
#include "stat_internal.h"
#include "timesync.h"

#define PROG "feedcap-stat"

#define STAT_MAX_FEEDS	  64
#define STAT_MAX_RULES	  64
#define STAT_MAX_DECODERS 64
#define STAT_GAPS_LISTED  10000 /* gaps listed with their times per group (counts stay exact) */
#define STAT_RANGES_SHOWN 1000	/* missing ranges listed per session */
#define STAT_TEXT_RANGES  10
#define STAT_COPY_MAX	  2048 /* frame bytes copied out of the ring before validation */
#define STAT_NS		  1000000000.0

/* ------------------------------------------------------------------ options */

/* --gaps DECODER[@GROUP[:PORT]]: which decoder reads which groups (first match wins). */
struct stat_rule {
	const struct fcreader_seq_decoder *dec;
	bool all;		  /* no @: every UDP group */
	struct fcreader_flow dst; /* af, dst, dport */
	bool any_port;
	char text[128]; /* as written, for messages */
};

struct stat_feed_opt {
	char name[64];
	struct fcreader_flow line[2];
	bool any_port[2];
	char spec[2][64];
	char decoder[FCREADER_SEQ_NAME_MAX]; /* [feed NAME] decoder = ...; "" from --feed */
};

struct stat_opts {
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
	const char *config;
	char *filter_expr; /* trailing filter expression, or NULL */
	uint64_t burst_ns;
	bool gaps;
	/* decoders: built-ins are referenced in place; user ones live here */
	struct fcreader_seq_decoder user_dec[STAT_MAX_DECODERS];
	unsigned int nuser_dec;
	struct stat_rule rules[STAT_MAX_RULES];
	unsigned int nrules;
	const char *gaps_spec[STAT_MAX_RULES]; /* --gaps arguments, resolved after the config */
	unsigned int ngaps_spec;
	struct stat_feed_opt feeds[STAT_MAX_FEEDS];
	unsigned int nfeeds;
};

/* ------------------------------------------------------------------ accounting */

struct stat_gap_ev {
	uint64_t lo, hi;
	uint64_t before_ts, after_ts;
	uint32_t sess; /* index in the owner's sessions */
};

struct stat_gap_log {
	struct stat_gap_ev *v;
	size_t n, cap;
	uint64_t not_listed;
};

/* Frames and bytes in the last window_ns of capture time, and the most ever seen. */
struct stat_burst {
	uint64_t *ts;
	uint32_t *len;
	size_t head, n, cap;
	uint64_t frames, bytes;
	uint64_t peak_frames, peak_bytes;
	uint64_t i_peak_frames, i_peak_bytes;
};

struct stat_group {
	struct fcreader_flow key;
	char name[64];
	uint64_t frames, bytes;
	uint64_t i_frames, i_bytes; /* this interval */
	uint64_t cur_ms, cur_ms_frames;
	uint64_t peak_fpms, i_peak_fpms; /* calendar milliseconds */
	struct stat_burst burst;
	const struct fcreader_seq_decoder *dec; /* NULL: no sequence decoding */
	uint64_t undecodable, heartbeats, unsequenced, resets;
	struct fcreader_seq_sessions sess;
	struct stat_gap_log gaps;
	int feed; /* index in feeds[], or -1 */
	int line; /* 0 = A, 1 = B */
};

#define STAT_RACE_BUCKETS 2048

/* Numbers seen on one line, waiting for the other (stat_race.c). */
struct stat_race_entry {
	uint64_t seq;
	uint64_t ts;
	uint32_t sess;
	uint32_t count;
	uint8_t line;
	bool used;
};

struct stat_race {
	struct stat_race_entry *tab; /* open addressing, 2^k slots */
	size_t mask, used;
	struct {
		uint64_t seq, ts;
		uint32_t sess;
	} * fifo; /* insertion order, for expiry */
	size_t fhead, flen, fcap;
	uint64_t won[2];		  /* numbers each line delivered first */
	uint64_t unmatched[2];		  /* numbers seen on one line only (within the window) */
	uint64_t hist[STAT_RACE_BUCKETS]; /* delay of the later line, by numbers */
	uint64_t max_ns;
};

struct stat_feed {
	struct stat_feed_opt *o;
	int group[2];			   /* group index, -1 until seen */
	struct fcreader_seq_sessions sess; /* both lines together */
	struct stat_gap_log gaps;
	struct stat_race race;
};

struct stat_totals {
	uint64_t frames, bytes;
	uint64_t cur_ms, cur_ms_frames, peak_fpms;
	uint64_t i_frames, i_bytes, i_peak_fpms;
	struct stat_burst burst;
	uint64_t frag_frames, frag_bytes; /* later IP fragments (no UDP header) */
	uint64_t other_frames, other_bytes;
	uint64_t filtered_out; /* frames the filter expression left out */
	uint64_t first_ts, last_ts;
	uint64_t i_first_ts, i_last_ts, i_count; /* capture times of this interval's frames */
	uint64_t backlog_frames, i_backlog;	 /* ring records already there when stat attached */
	uint64_t loss_markers, epochs, clock_markers;
};

struct stat_ctx {
	struct stat_opts o;
	struct stat_group *groups;
	size_t ngroups, gcap;
	uint32_t *hash; /* group index + 1, 0 = empty */
	size_t hcap;
	size_t *order; /* group indexes sorted by address and port */
	size_t norder;
	struct stat_feed feeds[STAT_MAX_FEEDS];
	struct stat_totals tot;
	struct fcr_filter *filter;
	bool oom;
	bool tty;
	bool print_gaps; /* text lines: print each gap as it is found */
	/* ring */
	struct ringshm_reader *rd;
	uint64_t start_wall, last_wall;
	uint64_t attach_head; /* records below it are backlog */
	/* archives */
	struct fcr_archive_set *set;
	uint64_t i_start_ts;
	unsigned int damaged;
	int reg_rc; /* the last ringshm_registry_list() error warned about, 0 = none */
};

/* stat_groups.c */
void stat_account(struct stat_ctx *s, int linktype, const uint8_t *data, uint32_t caplen,
		  uint32_t wire_len, uint64_t ts, bool backlog);
void stat_interval_reset(struct stat_ctx *s);
const size_t *stat_group_order(struct stat_ctx *s);
void stat_free(struct stat_ctx *s);

struct stat_seqsum {
	uint64_t gaps, missing, duplicates, reordered, resets;
};
struct stat_seqsum stat_sessions_sum(const struct fcreader_seq_sessions *ss);
uint64_t stat_lost_on_line_only(const struct stat_ctx *s, const struct stat_feed *f, int l);
uint64_t stat_seq_missing_total(const struct stat_ctx *s);
void stat_session_name(const struct fcreader_seq_session *x, char *out, size_t len);
/* Numbers of a gap still missing now (a late packet may have filled some). */
uint64_t stat_gap_still_missing(const struct fcreader_seq_sessions *ss,
				const struct stat_gap_ev *g);

/* stat_race.c */
int stat_race_add(struct stat_race *r, uint32_t sess, uint64_t seq, uint32_t count, int line,
		  uint64_t ts);
uint64_t stat_race_percentile(const struct stat_race *r, double p);
void stat_race_free(struct stat_race *r);

/* stat_ring.c */
struct stat_ring_view {
	bool ok;
	struct ringshm_counters c;
	uint64_t epoch, head, pid;
	uint32_t state, nports;
	bool alive;
	char producer[32]; /* the producing program's name (/proc/PID/comm), "" if unknown */
	struct ringshm_port ports[RINGSHM_MAX_PORTS];
	/* the NIC's drop counters by PMD name (the ring's table; name[0] == 0: unused) */
	struct ringshm_xstat xs[RINGSHM_MAX_PORTS][RINGSHM_XSTATS_PER_PORT];
	struct ringshm_reader_stats me;
	uint64_t my_lag;
	struct ringshm_reader_info readers[RINGSHM_MAX_READERS];
	int nreaders;
	uint64_t writer_errors; /* every registered reader's write errors, summed */
	int writers_blocked;	/* registered readers whose writer waits for its output */
	int clock_rc;		/* timesync_block_read(): 0, -ENODATA (never published), ... */
	struct timesync_block clock;
};

void stat_ring_view_take(struct stat_ctx *s, struct stat_ring_view *v);
/* The stage of a NIC drop counter (ringshm_xstat.stage): "discard", "missed", ... */
const char *stat_stage_name(uint8_t stage);
/* The producer's state as one word: "running", "stopped", "init", "gone" (the state says
 * running but no heartbeat: the producer died without saying so). */
const char *stat_producer_state(const struct stat_ring_view *v);

/* stat_output.c */
void stat_emit_json(struct stat_ctx *s, bool summary, double dur, uint64_t ts,
		    const struct stat_ring_view *v, bool capture_time);
void stat_emit_line(struct stat_ctx *s, double dur, uint64_t ts, const struct stat_ring_view *v);
void stat_emit_table(struct stat_ctx *s, bool summary, double dur, uint64_t ts,
		     const struct stat_ring_view *v, bool capture_time);
void stat_print_gap(const struct stat_ctx *s, const struct stat_group *g,
		    const struct fcreader_seq_session *x, const struct fcreader_seq_gap *gap);

/* stat_prom.c */
int stat_write_prom(struct stat_ctx *s, const struct stat_ring_view *v);

/* stat_input.c */
int stat_run_archives(struct stat_ctx *s);
int stat_run_ring(struct stat_ctx *s);
void stat_report(struct stat_ctx *s, bool summary, double dur, uint64_t ts, bool capture_time);

static inline double stat_secs(uint64_t ns)
{
	return (double)ns / STAT_NS;
}

#endif /* FEEDCAP_STAT_TOOL_H */
