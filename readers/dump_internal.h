/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dump_internal.h - what the files of feedcap-dump share: its options, the file being
 * written, the counters, and one line per function another file calls.  Not installed.
 *
 *   dump_main.c   main: options, job, attach, signals, run
 *   dump_cli.c    the command line and --help
 *   dump_job.c    --job NAME and --check-config (feedcap.conf(5))
 *   dump_start.c  where the dump starts: --from resume (after the last record on disk), the
 *                 window the ring holds (--require-window), seeking by sequence number
 *   dump_files.c  opening, closing and naming the archives, checkpoints, the index (archset),
 *                 retention
 *   dump_notes.c  pcapng comments: markers, clock state
 *   dump_loop.c   the ring loop, write errors, statistics
 */
#ifndef DUMP_INTERNAL_H
#define DUMP_INTERNAL_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "archset.h"
#include "fcreader.h"
#include "feedcap_config.h"

#define NS_PER_S	 UINT64_C(1000000000)
#define DEFAULT_ZSTD_LVL 1
#define IDLE_WAIT_NS	 (100 * 1000 * 1000)
#define RETRY_NS	 NS_PER_S
#define CKPT_EVERY_NS	 (200 * 1000 * 1000) /* checkpoints at most this often */

#ifndef FEEDCAP_VERSION
#define FEEDCAP_VERSION "0.1.0"
#endif

/* Set by the signal handlers (dump_main.c), read by the loop. */
extern volatile sig_atomic_t quit_sig;
extern volatile sig_atomic_t usr1_sig;

struct options {
	const char *ring;
	const char *wpat;
	char *filter;
	struct fcr_from from;
	bool resume;	     /* --from resume: after the last record this job put on disk */
	bool require_window; /* exit 1 when the ring does not hold the time --from asks for */
	bool follow;
	uint64_t count;
	uint64_t duration_ns;
	struct fcr_writer_opts wo;
	bool format_set;
	bool zstd_set;
	const char *post_cmd; /* -z CMD: run as CMD FILE after each completed file */
	uint64_t rot_size;
	uint64_t rot_ns;
	unsigned keep;
	bool on_error_wait;
	const char *reg_name;
	bool quiet;

	/* the config file: --job NAME, --check-config */
	const char *config;
	const char *job;
	bool check_config;
	bool from_set, threads_set, on_error_set;
	char job_wpat[PATH_MAX]; /* -w built from the job's directory and file_name */
	struct fcc_cpuset cpus;	 /* the job's CPUs */
	bool has_cpus;
	uint64_t retention_age_ns;
	uint64_t retention_bytes;
	unsigned filter_line; /* the job's filter line, for a bad expression */
};

/*
 * The file being written: NAME.part, and beside it NAME.part.ckpt, the checkpoint that says
 * which prefix of NAME.part is a valid archive holding which ring records (struct
 * archset_ckpt), so that a job killed at any moment resumes after exactly those records.
 */
struct outfile {
	bool open;
	int fd;
	int ckpt_fd; /* -1: none (stdout) */
	struct fcr_writer *w;
	char final[PATH_MAX];
	char part[PATH_MAX];
	char ckpt[PATH_MAX];
	uint64_t period; /* -G: start of the period this file covers (ns) */
	uint64_t lost;	 /* records lost to overrun while this file was open */
	uint64_t accepted;
	uint64_t in_at_check; /* -C with zstd: container bytes at the last size flush */

	/* what the index line will say; seek points gathered at durable points */
	struct archset_ent ent;
	bool have_first_seq;

	/* the last durable point, and whether the checkpoint says it yet */
	struct archset_ckpt ck;
	bool ck_dirty;
	uint64_t ck_written_ns; /* CLOCK_MONOTONIC of the last checkpoint write */
};

struct dump {
	struct options o;
	struct ringshm_reader *rd;
	struct fcr_filter *flt;
	struct outfile out;
	bool to_stdout;
	char dir[PATH_MAX];    /* the directory of the file being written (of now, before) */
	char dirpat[PATH_MAX]; /* -w's directory part; strftime conversions when dir_dated */
	bool dir_dated;	       /* one archive set (index) per directory the pattern names */
	char root[PATH_MAX];   /* dir_dated: the directory before the first dated component */
	struct archset_retainer *keeper; /* -W, retention_*: over every dated directory */
	char **set_dirs;		 /* the dated directories of the set (dump_dated_dirs()), */
	size_t nset_dirs;		 /* listed again when a file goes into another one */
	char set_dirs_at[PATH_MAX];
	struct archset_names *names; /* what names_dir's index lists (NULL: unknown) */
	char names_dir[PATH_MAX];
	struct fcr_port_info ports[RINGSHM_MAX_PORTS];

	/* counters (printed on exit and SIGUSR1) */
	uint64_t read;		/* frames read from the ring (each counted once) */
	uint64_t written;	/* frames in closed files, durable */
	uint64_t filtered;	/* frames the filter rejected */
	uint64_t lost;		/* records lost to overrun (ringshm's exact count) */
	uint64_t lost_resume;	/* records the ring no longer held when resuming */
	uint64_t bytes_in;	/* captured bytes of frames read */
	uint64_t cbytes_closed; /* archive bytes before compression, closed files */
	uint64_t bytes_out;	/* bytes written to closed files */
	uint64_t files;
	uint64_t write_errors;
	uint64_t markers; /* LOSS, CLOCK, EPOCH records read */

	/* the ring as the index names it: resolved path, identity, producer epoch */
	char ring_path[PATH_MAX];
	uint64_t ring_id;
	uint64_t epoch;
	char pattern[256];    /* -w's last component: which archives of dir are this job's */
	uint64_t lost_before; /* records lost before the next file (its index line) */
	uint64_t min_period;  /* -G: no new file's period before this (the last file's end) */
	uint64_t wall_ahead;  /* -G: how far the wall clock was ahead of the last frame's time */

	/* sequence bookkeeping for resuming after a write error or a restart */
	bool have_seen;
	uint64_t max_seq_seen;
	bool have_durable;
	uint64_t durable_seq;
	uint64_t lost_seen; /* ringshm lost_records already accounted */

	uint64_t counter; /* file sequence number for -C and name collisions */
	bool ckpt_warned;

	char pending_note[2048]; /* comments for the next frame written (dump_write()) */
	uint64_t pending_drops;	 /* records lost before the next frame written (epb_dropcount) */

	uint8_t frame[RINGSHM_MAX_CAPLEN] __attribute__((aligned(64)));
};

/* dump_main.c */
uint64_t dump_now_ns(clockid_t c);

/* dump_cli.c: 0, or the exit status (2) after saying what is wrong. */
int dump_parse_args(int argc, char **argv, struct options *o);
int dump_check_args(struct options *o);
int dump_bad_usage(const char *fmt, const char *a);
bool dump_has_suffix(const char *s, const char *suf);

/* dump_job.c */
int dump_check_config(const struct options *o);
int dump_apply_job(struct options *o, struct fcc_config **cfgp);
void dump_set_affinity(const struct options *o);

/* dump_files.c */
void dump_dir_of(const char *path, char *out, size_t len);
int dump_open_file(struct dump *d, uint64_t ts, struct fcr_error *err);

/*
 * dump_enter_dir - with strftime conversions in -w's directory part: make d->dir the
 * directory for time ts, creating what is missing.  @return 0 or -errno with err set.
 */
int dump_enter_dir(struct dump *d, uint64_t ts, struct fcr_error *err);

/* Free what dump_dated_dirs() returned. */
void dump_free_dirs(char **dirs, size_t n);
/* dump_dated_dirs - the existing directories the pattern makes (archset_dirpat_match()),
 * newest (last by name) first: a malloc'd array of malloc'd paths (free both), or NULL; *n
 * their count. */
char **dump_dated_dirs(const struct dump *d, size_t *n);
int dump_close_file(struct dump *d, struct fcr_error *err);
/*
 * Retention of this job's archives in d->dir (-W, retention_age, retention_bytes), never
 * keep (NULL: none spared); a failure is a warning.
 */
void dump_retain(struct dump *d, const char *keep);
/* One frame to the current file (tag: its ring sequence number); as fcr_writer_write(). */
int dump_write(struct dump *d, const struct fcr_pkt *pkt, uint64_t seq, struct fcr_error *err);
/* fcr_writer_tick(), or fcr_writer_flush() if now; then the checkpoint if due. */
int dump_tick(struct dump *d, bool now, struct fcr_error *err);
/* Write the checkpoint if a durable point is not in it yet and `force` or it is due. */
void dump_ckpt_sync(struct dump *d, bool force);
/*
 * What earlier runs of this job left: .part files recovered (cut to their checkpoint,
 * renamed, indexed), checkpoints of files renamed but not indexed finished, a retention
 * pass killed between a deletion and its tombstone finished.  Then *have says
 * whether the index knows where this job stopped on this ring: *last_seq, and the newest
 * frame time of that file (*last_ts, a hint for seeking).  0, or 1 after saying why.
 */
int dump_recover(struct dump *d, bool *have, uint64_t *last_seq, uint64_t *last_ts);

/* dump_start.c */
/*
 * Position the reader where the options say (after attach): --from resume (recovering what
 * killed runs left), or a time, saying what the ring holds when it does not hold what was
 * asked.  *have_rec: the first record is in d->frame / *rec already.  0, or the exit status.
 */
int dump_start(struct dump *d, struct ringshm_record *rec, bool *have_rec);
/*
 * Move to the first record whose sequence number is `next` or more (from a time near hint_ts
 * when non-zero, else from the oldest), counting as lost (stderr, the next file's comment and
 * index line, feedcap-stat) the records between that the ring no longer holds; why says when
 * they were lost.  1 with the record copied to d->frame and *rec, 0 if none yet, or -errno.
 */
int dump_seek_seq(struct dump *d, uint64_t next, uint64_t hint_ts, const char *why,
		  struct ringshm_record *rec);
/* Account for what ringshm says this reader lost since the last look (dump_loop.c). */
void dump_check_overrun(struct dump *d);

/* dump_notes.c */
bool dump_clock_words(const void *blk, uint32_t len, char *out, size_t outlen);
void dump_add_note(struct dump *d, const char *msg);
void dump_marker_comment(struct dump *d, const struct ringshm_record *rec, const uint8_t *pl);

/* dump_loop.c */
void dump_print_stats(struct dump *d, FILE *f);
/* The loop, from the first record if dump_start() read it already (else NULL). */
int dump_run(struct dump *d, const struct ringshm_record *first);

#endif /* DUMP_INTERNAL_H */
