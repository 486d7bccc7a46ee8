/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * timesync.h - nanosecond timestamps a user can trust, and how far to trust them.
 *
 * A clock model (struct timesync_model, timesync_format.h) maps a counter - the CPU's TSC, or a
 * NIC clock in its PMD's units - to UTC nanoseconds with one 128-bit multiply and a shift.  The
 * capture's control thread keeps the models calibrated and the PTP state current; the poller
 * only ever converts, with no system call:
 *
 * Control thread (capture), about once a second:
 *
 *	struct timesync_calib *cal = timesync_calib_create(NULL);    // TSC vs CLOCK_REALTIME
 *	struct timesync_ptp *ptp = timesync_ptp_open(&pp, &err);  // ptp4l's socket
 *	struct timesync_model m;
 *	struct timesync_ptp_status st;
 *	while (timesync_calib_sample(cal, &m) == -EAGAIN)            // first model: ~10 ms
 *		nanosleep(&five_ms, NULL);
 *	for (;;) {
 *		timesync_ptp_poll(ptp, &st);                          // locked, holdover, ...
 *		timesync_calib_step(cal, st.state, threshold, &shm->tsc_cell, &m);
 *		timesync_block_set_ptp(&blk, &st);                    // blk from timesync_block_init()
 *		blk.tsc = m;
 *		timesync_block_publish(ring, &blk);                    // readers' copy
 *		sleep(1);
 *	}
 *
 * Poller, once per burst:
 *
 *	timesync_cell_refresh(&shm->tsc_cell, &model, &seen);    // one load if unchanged
 *	uint64_t ts = timesync_model_convert(&model, rte_rdtsc());
 *	uint16_t flags = RINGSHM_F_TS_SRC_TSC | model.rec_flags;
 *
 * Threads: a calibrator, fitter or PTP handle belongs to one thread (the control thread).
 * A cell has one writer and any number of readers.  Nothing here allocates or calls the
 * kernel on the convert/refresh path.  Libraries never print: errors come back as -errno and,
 * where a person must act, in a struct timesync_error naming the socket, device or field.
 */
#ifndef TIMESYNC_H
#define TIMESYNC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "timesync_format.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TIMESYNC_DEFAULT_PTP4L_SOCKET "/var/run/ptp4l"
#define TIMESYNC_DEFAULT_THRESHOLD_NS 1000u			   /* 1 us */
#define TIMESYNC_DEFAULT_HOLDOVER_NS  (UINT64_C(60) * 1000000000u) /* 60 s */

/* A message a person can act on (socket path, device, value). */
struct timesync_error {
	int code; /* the -errno the call returned */
	char msg[256];
};

/* ------------------------------------------------------------------ clock model (hot path) */

/*
 * timesync_model_convert - counter -> UTC ns.  A few integer instructions, no system call.
 * The model must have TIMESYNC_MODEL_F_VALID (an invalid model converts to garbage, never
 * crashes).
 */
static inline uint64_t timesync_model_convert(const struct timesync_model *m, uint64_t counter)
{
	uint64_t d = counter - m->base_counter;

	if ((int64_t)d >= 0) {
		return m->base_ns + (uint64_t)(((unsigned __int128)d * m->mult) >> m->shift);
	}
	if (m->flags & TIMESYNC_MODEL_F_CLAMP_PAST) {
		return m->base_ns;
	}
	d = -d;
	return m->base_ns - (uint64_t)(((unsigned __int128)d * m->mult) >> m->shift);
}

static inline bool timesync_model_valid(const struct timesync_model *m)
{
	return (m->flags & TIMESYNC_MODEL_F_VALID) != 0;
}

/* The model's counter frequency in Hz (for display). */
double timesync_model_hz(const struct timesync_model *m);

/*
 * A cell holds one model under a seqlock, in ordinary or shared memory: the control thread
 * stores, the poller refreshes its private copy once per burst.  Initialise with
 * timesync_cell_init() (or zero it).  One writer.
 */
#define TIMESYNC_MODEL_WORDS (sizeof(struct timesync_model) / sizeof(uint64_t))

struct timesync_cell {
	_Atomic uint32_t seq; /* odd while a store is in progress */
	uint32_t pad;
	_Atomic uint64_t w[TIMESYNC_MODEL_WORDS]; /* the model, word by word */
} __attribute__((aligned(64)));

void timesync_cell_init(struct timesync_cell *c);

/* timesync_cell_store - publish a model (writer side of the seqlock).  One writer only. */
void timesync_cell_store(struct timesync_cell *c, const struct timesync_model *m);

/*
 * timesync_cell_refresh - bring *m up to date if the cell changed since *seen.
 * One acquire load when nothing changed.  It never waits: if the control thread is in the
 * middle of a store (or finishes one during the copy), *m and *seen stay as they were and the
 * caller keeps converting with its previous model, which is still valid; the next call picks
 * the new one up.  A poller must not spin on a writer that may have been preempted.  Start
 * with *seen = 1 (odd: never a stable value) to force the first load.
 * @return true if *m was replaced by a consistent copy.
 */
static inline bool timesync_cell_refresh(const struct timesync_cell *c, struct timesync_model *m,
					 uint32_t *seen)
{
	/* Pairs with the release store of seq at the end of timesync_cell_store(). */
	uint32_t s1 = atomic_load_explicit(&c->seq, memory_order_acquire);
	uint64_t w[TIMESYNC_MODEL_WORDS];
	size_t i;

	if (s1 == *seen || (s1 & 1)) {
		return false;
	}
	for (i = 0; i < TIMESYNC_MODEL_WORDS; i++) {
		w[i] = atomic_load_explicit(&c->w[i], memory_order_relaxed);
	}
	/* Orders the word loads before the re-check; pairs with the writer's release fence
	 * after it made seq odd. */
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&c->seq, memory_order_relaxed) != s1) {
		return false;
	}
	memcpy(m, w, sizeof(*m));
	*seen = s1;
	return true;
}

/*
 * timesync_cell_load - a consistent copy of the cell's model, for threads that may wait
 * (retries, yielding the CPU to a preempted writer).
 */
void timesync_cell_load(const struct timesync_cell *c, struct timesync_model *m);

/* ------------------------------------------------------------------ states and flags */

/* The state of a clock source.  timesync_state_name() gives the exact words. */
enum timesync_state {
	TIMESYNC_FREE_RUNNING = 0, /* "free-running": no PTP at all (no ptp4l configured/seen) */
	TIMESYNC_UNLOCKED = 1,	   /* "unlocked": PTP present but not within the threshold */
	TIMESYNC_LOCKED = 2,	   /* "locked": slave of a present master, |offset| <= threshold */
	TIMESYNC_HOLDOVER = 3,	   /* "holdover": was locked, lost it less than holdover ago */
};

/* "locked", "holdover", "unlocked", "free-running" (or "?" for a bad value). */
const char *timesync_state_name(enum timesync_state s);

/* Parse those words.  @return 0 or -EINVAL. */
int timesync_state_parse(const char *s, enum timesync_state *out);

/*
 * timesync_record_flags - the RINGSHM_F_TS_* quality bits for records converted with a model:
 *   RINGSHM_F_TS_SYNC      state is locked and the model's err_ns <= threshold_ns;
 *   RINGSHM_F_TS_HOLDOVER  state is holdover;
 *   RINGSHM_F_TS_STEPPED   stepped (the system clock stepped recently, see the calibrator).
 * Unlocked and free-running give neither SYNC nor HOLDOVER.
 */
uint16_t timesync_record_flags(enum timesync_state state, uint64_t model_err_ns,
			       uint64_t threshold_ns, bool stepped);

/*
 * timesync_model_set_quality - set m->state and m->rec_flags for a model a fitter produced
 * (e.g. a port's NIC model): timesync_record_flags() of the state, the model's err_ns, and
 * STEPPED if the fitter flagged the model's records as near a step.
 */
void timesync_model_set_quality(struct timesync_model *m, enum timesync_state state,
				uint64_t threshold_ns);

/* ------------------------------------------------------------------ fitter (any counter) */

/*
 * One reading of a counter bracketed by two system clock (CLOCK_REALTIME) readings taken just
 * before and just after it.  The counter is taken to be read at the midpoint; the bracket's
 * width bounds the error of that reading.  From rte_eth_read_clock() between two
 * clock_gettime() calls, or from timesync_phc_read().
 */
struct timesync_bracket {
	uint64_t counter;
	uint64_t sys_before; /* CLOCK_REALTIME ns */
	uint64_t sys_after;  /* CLOCK_REALTIME ns, >= sys_before */
};

/* Fitter tuning; zero fields take the defaults shown. */
struct timesync_fit_params {
	uint32_t window;	  /* samples kept for the rate fit: 32 */
	uint64_t min_span_ns;	  /* sample span needed before a first model: 10 ms */
	uint32_t max_slew_ppb;	  /* largest rate correction used to slew an offset: 100000 */
	uint64_t slew_ns;	  /* time over which an offset is slewed out: 2 s */
	uint64_t step_ns;	  /* offset above which the model steps instead: 1 ms */
	uint64_t stepped_hold_ns; /* models say STEPPED this long after a step: 2 s */
	uint64_t horizon_ns;	  /* err_ns also covers the rate's uncertainty this long after
				   * the model is computed (the update interval): 1 s */
	uint16_t source;	  /* RINGSHM_F_TS_SRC_* stored in the models */
	bool clamp_past;	  /* set TIMESYNC_MODEL_F_CLAMP_PAST in the models (TSC) */
};

/* What a fitter knows about itself (diagnostics, the bench and the CLI). */
struct timesync_fit_info {
	uint64_t samples;      /* brackets accepted since create/reset */
	uint64_t updates;      /* models produced */
	uint64_t steps;	       /* of which stepped */
	double hz;	       /* fitted counter frequency */
	double ppm;	       /* published rate vs fitted rate (slew in progress), ppm */
	int64_t offset_ns;     /* fit - model at the last update (what is being slewed) */
	uint64_t bracket_ns;   /* width of the last bracket */
	double residual_ns;    /* RMS residual of the rate fit */
	uint64_t last_step_ns; /* sys time of the last step, 0 if none */
};

struct timesync_fit;

/* @return a fitter, or NULL with errno ENOMEM or EINVAL (window < 2). */
struct timesync_fit *timesync_fit_create(const struct timesync_fit_params *p);

/* NULL is a no-op. */
void timesync_fit_destroy(struct timesync_fit *f);

/* Forget every sample and the model (after a counter reset, e.g. a NIC restart). */
void timesync_fit_reset(struct timesync_fit *f);

/*
 * timesync_fit_add - add one bracket.
 * @return 0; -EINVAL if sys_after < sys_before; -ERANGE if the counter went backwards
 *         (the fitter resets itself: a counter reset is not a clock error).
 */
int timesync_fit_add(struct timesync_fit *f, const struct timesync_bracket *b);

/*
 * timesync_fit_update - a new model, continuous with the previous one at the last bracket's
 * counter: the offset between the fit and the previous model is slewed out over slew_ns (rate
 * correction at most max_slew_ppb) so converted time never goes backwards and never jumps.
 * It steps instead (TIMESYNC_MODEL_F_STEPPED) when sys_stepped (the caller detected a system
 * clock step) or when the offset exceeds step_ns.  rec_flags is left 0 except STEPPED within
 * stepped_hold_ns of a step; state is left FREE_RUNNING: the caller sets both.
 * @return 0; -EAGAIN when the samples do not span min_span_ns yet.
 */
int timesync_fit_update(struct timesync_fit *f, bool sys_stepped, struct timesync_model *out);

void timesync_fit_info(const struct timesync_fit *f, struct timesync_fit_info *out);

/* ------------------------------------------------------------------ TSC calibrator */

/* Calibrator; zero fields take the defaults shown.  Injected functions drive the tests. */
struct timesync_calib_params {
	struct timesync_fit_params fit;	     /* .clamp_past is forced on, .source = SRC_TSC */
	uint64_t (*read_counter)(void *arg); /* NULL: timesync_rdtsc() */
	uint64_t (*read_clock)(void *arg, clockid_t clk); /* NULL: clock_gettime() in ns */
	void *arg;
	uint32_t brackets;	 /* brackets per sample, the tightest kept: 16 */
	uint64_t step_detect_ns; /* change of REALTIME - MONOTONIC taken as a step: 20 us */
};

struct timesync_calib;

/* @return a calibrator, or NULL with errno (ENOMEM, EINVAL). */
struct timesync_calib *timesync_calib_create(const struct timesync_calib_params *p);

void timesync_calib_destroy(struct timesync_calib *c);

/*
 * timesync_calib_sample - take one sample (the tightest of `brackets` REALTIME/counter/REALTIME
 * brackets), check whether the system clock stepped (CLOCK_REALTIME - CLOCK_MONOTONIC changed:
 * NTP/phc2sys slewing moves both, a step or a leap second moves one), and produce the current
 * model.  Call periodically (about once a second) from the control thread; it takes a few
 * microseconds and never sleeps.
 * @return 0 with *out filled; -EAGAIN before the first model (call again after a few ms).
 */
int timesync_calib_sample(struct timesync_calib *c, struct timesync_model *out);

/* Whether the last sample detected a system clock step. */
bool timesync_calib_stepped(const struct timesync_calib *c);

void timesync_calib_info(const struct timesync_calib *c, struct timesync_fit_info *out);

/*
 * timesync_calib_step - the control thread's whole periodic TSC job: sample, set state and
 * rec_flags from the PTP state (timesync_record_flags()), store in the poller's cell.
 * @return as timesync_calib_sample().
 */
int timesync_calib_step(struct timesync_calib *c, enum timesync_state state, uint64_t threshold_ns,
			struct timesync_cell *cell, struct timesync_model *out);

/* The TSC (rdtsc; on other architectures a monotonic raw clock in ns). */
uint64_t timesync_rdtsc(void);

/* ------------------------------------------------------------------ PHC (/dev/ptpN) */

/*
 * timesync_phc_read - one bracket of a PTP hardware clock: PTP_SYS_OFFSET_EXTENDED with
 * `samples` readings (1..25), the tightest kept; counter = PHC ns (TAI when ptp4l disciplines
 * it).  fd from open("/dev/ptpN", O_RDONLY).
 * @return 0, or -errno of the ioctl (EOPNOTSUPP: driver without the extended call).
 */
int timesync_phc_read(int fd, unsigned samples, struct timesync_bracket *out);

/* ------------------------------------------------------------------ linuxptp */

/*
 * A native client of ptp4l's UNIX management socket, like `pmc -u`: it binds its own socket
 * (a unique path under local_dir), sends IEEE 1588 management GETs and decodes the responses.
 * It also runs the state machine: locked / holdover / unlocked / free-running.
 */
struct timesync_ptp_params {
	const char *ptp4l_socket; /* ptp4l's uds_address; NULL: TIMESYNC_DEFAULT_PTP4L_SOCKET */
	const char *local_dir;	  /* where our own socket is bound; NULL: "/var/run" */
	const char *phc_device;	  /* "/dev/ptpN" to check the system clock against (phc2sys);
				   * NULL: no check (software timestamping needs none) */
	uint8_t domain;		  /* ptp4l's domainNumber: 0 */
	uint32_t timeout_ms;	  /* per request: 200 */
	uint64_t threshold_ns;	  /* |offset| for `locked`: TIMESYNC_DEFAULT_THRESHOLD_NS */
	uint64_t holdover_ns;	  /* `holdover` before `unlocked`: TIMESYNC_DEFAULT_HOLDOVER_NS */
	uint64_t stale_ns;	  /* no new Sync for this long = master lost: 4 s */
	uint32_t history;	  /* offsets kept for min/max/rms: 64 */
	bool disabled;		  /* no PTP configured: always free-running, no socket */
};

/* One answer from ptp4l (what a poll learnt), before the state machine. */
struct timesync_ptp_obs {
	bool reachable;	    /* ptp4l answered TIME_STATUS_NP */
	bool have_port;	    /* PORT_DATA_SET answered */
	bool have_tp;	    /* TIME_PROPERTIES_DATA_SET answered */
	uint8_t port_state; /* IEEE 1588 portState (9 = SLAVE) */
	int8_t log_sync_interval;
	bool gm_present;
	uint8_t gm_identity[8];
	int64_t master_offset_ns;
	int64_t ingress_ns; /* time of the last Sync ingress, in ptp4l's clock */
	int16_t utc_offset;
	uint8_t tp_flags;
	uint8_t time_source;
	int timestamping; /* PORT_PROPERTIES_NP: 0 software, 1 hardware, ... -1 unknown */
	bool have_sys_offset;
	int64_t sys_offset_ns; /* system clock - PHC (- UTC offset if the PHC runs TAI) */
};

/* The state and its evidence; the same fields as the block's ptp part. */
struct timesync_ptp_status {
	enum timesync_state state;
	struct timesync_block_ptp blk; /* ready to copy into the clock block */
	enum timesync_sys_sync sys_sync;
};

/* One entry of the offset history. */
struct timesync_offset_sample {
	uint64_t sys_ns;
	int64_t offset_ns;
	uint8_t port_state;
};

struct timesync_ptp;

/*
 * timesync_ptp_open - prepare the client (binds the local socket; ptp4l need not be running).
 * @return a handle, or NULL with errno set and err filled (the local path that could not be
 *         bound, ENAMETOOLONG for a socket path over 107 bytes).
 */
struct timesync_ptp *timesync_ptp_open(const struct timesync_ptp_params *p,
				       struct timesync_error *err);

/* Close and unlink the local socket.  NULL is a no-op. */
void timesync_ptp_close(struct timesync_ptp *t);

/*
 * timesync_ptp_query - ask ptp4l (TIME_STATUS_NP, PORT_DATA_SET, TIME_PROPERTIES_DATA_SET,
 * PORT_PROPERTIES_NP) and fill *obs; blocks at most about 4 x timeout_ms.
 * @return 0 (obs->reachable says whether ptp4l answered), or -errno for a local failure.
 */
int timesync_ptp_query(struct timesync_ptp *t, struct timesync_ptp_obs *obs);

/*
 * timesync_ptp_feed - run the state machine on one observation made at now_ns, a monotonic
 * time (timesync_ptp_poll() gives CLOCK_MONOTONIC, so system clock steps do not move
 * durations, and publishes CLOCK_REALTIME times); fills *out.  Tests drive this directly.
 *   locked:   port SLAVE, gmPresent, a new Sync within stale_ns, |offset| <= threshold_ns
 *   holdover: was locked and is not any more (master lost, ptp4l gone, offset out), for less
 *             than holdover_ns since the last locked observation
 *   unlocked: ptp4l seen but neither of those
 *   free-running: PTP disabled, or ptp4l never answered
 */
void timesync_ptp_feed(struct timesync_ptp *t, const struct timesync_ptp_obs *obs, uint64_t now_ns,
		       struct timesync_ptp_status *out);

/*
 * timesync_ptp_poll - query + feed with CLOCK_MONOTONIC; the times in *out (updated, state
 * since, last locked) are CLOCK_REALTIME.  @return as timesync_ptp_query().
 */
int timesync_ptp_poll(struct timesync_ptp *t, struct timesync_ptp_status *out);

/* Copy the newest offset samples, oldest first (sys_ns as CLOCK_REALTIME after poll()).
 * @return how many (<= max). */
int timesync_ptp_history(const struct timesync_ptp *t, struct timesync_offset_sample *out, int max);

/* The IEEE 1588 port state name: "SLAVE", "LISTENING", ... ("?" if unknown). */
const char *timesync_port_state_name(uint8_t port_state);

#define TIMESYNC_PS_SLAVE 9 /* IEEE 1588 portState SLAVE */

/* ------------------------------------------------------------------ clock block (ring) */

struct ringshm;
struct ringshm_reader;

/* Zero the block and fill the header (magic, version, timescale, threshold, holdover). */
void timesync_block_init(struct timesync_block *b, uint64_t threshold_ns, uint64_t holdover_ns);

/* Copy the PTP status into the block (ptp part, sys_sync, TAI offset if PTP says it is valid). */
void timesync_block_set_ptp(struct timesync_block *b, const struct timesync_ptp_status *st);

/*
 * timesync_block_check - validate a block copied from a ring or a CLOCK record.
 * @return 0; -ENODATA (all zero: never published); -EPROTO (bad magic or size: names it in
 *         err if given); -EPROTONOSUPPORT (another major version).
 */
int timesync_block_check(const void *buf, size_t len, struct timesync_error *err);

/*
 * timesync_block_publish - stamp published_ns and generation, then ringshm_clock_publish() the
 * whole block.  Control thread of the producer.  @return 0 or -errno from ringshm.
 */
int timesync_block_publish(struct ringshm *r, struct timesync_block *b);

/*
 * timesync_block_read - a consistent copy of a ring's clock block, checked.
 * @return 0, -EAGAIN (never consistent), or timesync_block_check()'s errors.
 */
int timesync_block_read(const struct ringshm_reader *rd, struct timesync_block *out,
			struct timesync_error *err);

#ifdef __cplusplus
}
#endif

#endif /* TIMESYNC_H */
