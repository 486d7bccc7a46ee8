/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * timesync_format.h - the layout of the clock block a feedcap ring carries.
 *
 * ringshm reserves RINGSHM_CLOCK_BLOCK_SIZE bytes in the ring's control area (struct
 * ringshm_ctl, `clock[]`) and protects them with its seqlock `clock_seq`; what the bytes mean
 * is defined here.  The capture's control thread writes the whole block with
 * ringshm_clock_publish(); a reader takes a consistent copy with ringshm_reader_clock() and
 * then checks the magic and the major version (timesync_block_check()).  The same bytes are
 * the payload of a RINGSHM_REC_CLOCK marker record, so archives carry the clock state too.
 *
 *   offset    0  struct timesync_block_hdr    64 bytes: magic, version, timescale, threshold,
 *                                              record flags in force, generation
 *   offset   64  struct timesync_block_ptp   128 bytes: linuxptp state (ptp4l, phc2sys)
 *   offset  192  struct timesync_model        48 bytes: the TSC model
 *   offset  240  struct timesync_model[16]   768 bytes: one model per capture port (the
 *                                              port's RX-timestamp counter -> UTC ns)
 *   offset 1008  reserved, 16 bytes, zero
 *
 * All integers are host-endian (little-endian on every platform feedcap runs on: the block is
 * shared between processes of one host), nothing is packed, every field sits at its natural
 * alignment (pinned by the static_asserts below).  Minor versions only use reserved bytes; a
 * reader refuses another major.  A block that was never published is all zero (magic 0).
 *
 * Timescale: every nanosecond value is UTC nanoseconds since the Unix epoch (the
 * CLOCK_REALTIME timescale) unless its comment says otherwise.  `tai_utc_s` records the TAI-UTC
 * offset known when the block was written and where it came from, so a user who needs TAI can
 * add it without guessing (the classic 37-second mistake).
 */
#ifndef TIMESYNC_FORMAT_H
#define TIMESYNC_FORMAT_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "ringshm_format.h"

/* "FCTS" as it appears at offset 0, read as a little-endian 32-bit integer. */
#define TIMESYNC_BLOCK_MAGIC	     UINT32_C(0x53544346)
#define TIMESYNC_BLOCK_VERSION_MAJOR 1
#define TIMESYNC_BLOCK_VERSION_MINOR 0
#define TIMESYNC_MAX_PORTS	     RINGSHM_MAX_PORTS

/*
 * A clock model: counter -> UTC ns.
 *
 *   ns(counter) = base_ns + ((counter - base_counter) * mult) >> shift
 *
 * computed with a 128-bit product, so any counter rate from about 1 Hz to many GHz works with
 * shift 32.  A counter before base_counter extrapolates backwards, or, when
 * TIMESYNC_MODEL_F_CLAMP_PAST is set, returns base_ns (the TSC model sets it: the only counter
 * older than the base the poller can hold is one read just before the control thread published
 * a new model, and clamping keeps converted time from going backwards across that update).
 *
 * err_ns is the model's own error bound against the system clock when it was computed
 * (remaining offset being slewed + half the tightest bracket + fit residual); it says nothing of
 * the system clock's own error against UTC, which the PTP state covers.
 *
 * rec_flags are the RINGSHM_F_TS_SYNC / _HOLDOVER / _STEPPED bits the control thread decided
 * for records converted with this model: the poller ORs them in with its source bits and never
 * decides anything itself.
 */
struct timesync_model {
	uint64_t base_counter; /* counter value at the base point */
	uint64_t base_ns;      /* UTC ns at the base point */
	uint64_t mult;	       /* ns per counter tick, scaled by 2^shift */
	uint64_t computed_ns;  /* CLOCK_REALTIME when this model was computed */
	uint32_t err_ns;       /* error bound of the model at computed_ns, saturated */
	uint16_t shift;
	uint16_t rec_flags;  /* RINGSHM_F_TS_SYNC | _HOLDOVER | _STEPPED for its records */
	uint16_t flags;	     /* TIMESYNC_MODEL_F_* */
	uint8_t state;	     /* enum timesync_state of the clock behind the model */
	uint8_t source;	     /* RINGSHM_F_TS_SRC_* this model serves */
	uint32_t generation; /* +1 on every new model from the same fitter */
};

#define TIMESYNC_MODEL_F_VALID	    0x0001u /* the model may be used */
#define TIMESYNC_MODEL_F_CLAMP_PAST 0x0002u /* counters before the base convert to base_ns */
#define TIMESYNC_MODEL_F_STEPPED    0x0004u /* this model stepped (did not slew) from the last */
#define TIMESYNC_MODEL_F_SLEWING    0x0008u /* an offset is being slewed out */

/* Where the TAI-UTC offset in the block came from. */
enum timesync_tai_source {
	TIMESYNC_TAI_UNKNOWN = 0, /* nobody told us: tai_utc_s is 0 and must not be trusted */
	TIMESYNC_TAI_KERNEL = 1,  /* the kernel's TAI offset (adjtimex), set by phc2sys/ntpd */
	TIMESYNC_TAI_PTP = 2,	  /* currentUtcOffset of ptp4l's TIME_PROPERTIES_DATA_SET, valid */
};

/* How the system clock (CLOCK_REALTIME, what the TSC model follows) relates to PTP. */
enum timesync_sys_sync {
	TIMESYNC_SYS_UNKNOWN = 0,  /* no PTP, or not determined */
	TIMESYNC_SYS_IS_PTP = 1,   /* ptp4l uses software timestamping: its clock IS the system
				    * clock, no phc2sys needed */
	TIMESYNC_SYS_IN_STEP = 2,  /* the system clock was measured within the threshold of the
				    * PHC ptp4l disciplines (phc2sys keeps it in step) */
	TIMESYNC_SYS_OFF_STEP = 3, /* measured outside the threshold: phc2sys not running? */
};

struct timesync_block_hdr {
	uint32_t magic;		/* TIMESYNC_BLOCK_MAGIC */
	uint16_t version_major; /* TIMESYNC_BLOCK_VERSION_MAJOR */
	uint16_t version_minor;
	uint32_t size;	       /* sizeof(struct timesync_block) of the writer */
	uint16_t nports;       /* entries of port[] in use */
	uint8_t sys_sync;      /* enum timesync_sys_sync */
	uint8_t tai_source;    /* enum timesync_tai_source */
	uint64_t published_ns; /* CLOCK_REALTIME when the block was written */
	uint64_t generation;   /* +1 on every publish */
	uint64_t threshold_ns; /* |offset| under which the clock counts as synchronised */
	uint64_t holdover_ns;  /* how long `holdover` lasts before `unlocked` */
	int32_t tai_utc_s;     /* TAI - UTC in seconds, see tai_source (37 since 2017) */
	uint16_t rec_flags;    /* RINGSHM_F_TS_* in force for TSC records (= tsc.rec_flags) */
	uint8_t timescale;     /* TIMESYNC_TIMESCALE_UTC: records are UTC ns */
	uint8_t reserved0;
	uint8_t reserved[8];
};

#define TIMESYNC_TIMESCALE_UTC 1

/* linuxptp state, as the capture's control thread last saw it. */
struct timesync_block_ptp {
	uint8_t state;	     /* enum timesync_state: locked, holdover, unlocked, free-running */
	uint8_t port_state;  /* IEEE 1588 portState of the best ptp4l port (9 = SLAVE), 0 unknown */
	uint8_t gm_present;  /* TIME_STATUS_NP gmPresent */
	uint8_t reachable;   /* ptp4l answered the last poll */
	uint8_t time_source; /* TIME_PROPERTIES_DATA_SET timeSource (0xA0 = internal osc.) */
	uint8_t tp_flags;    /* TIME_PROPERTIES_DATA_SET flags (bit 2 utc offset valid, ..) */
	int16_t utc_offset;  /* TIME_PROPERTIES_DATA_SET currentUtcOffset, seconds */
	uint8_t gm_identity[8];	 /* grandmaster clock identity */
	int64_t offset_ns;	 /* TIME_STATUS_NP master_offset of the last poll */
	int64_t offset_min_ns;	 /* over the offset history window */
	int64_t offset_max_ns;	 /* over the offset history window */
	uint64_t offset_rms_ns;	 /* over the offset history window */
	int64_t sys_offset_ns;	 /* system clock - PHC (TIMESYNC_SYS_IN/OFF_STEP), else 0 */
	uint64_t path_delay_ns;	 /* reserved for CURRENT_DATA_SET meanPathDelay, 0 for now */
	uint64_t updated_ns;	 /* CLOCK_REALTIME of the last poll that reached ptp4l */
	uint64_t state_since_ns; /* CLOCK_REALTIME when `state` was entered */
	uint64_t last_locked_ns; /* CLOCK_REALTIME of the last poll that found it locked, or 0 */
	uint32_t history_n;	 /* samples behind offset_min/max/rms */
	uint32_t polls_failed;	 /* consecutive polls ptp4l did not answer */
	uint8_t reserved[32];
};

struct timesync_block {
	struct timesync_block_hdr hdr;
	struct timesync_block_ptp ptp;
	struct timesync_model tsc;
	struct timesync_model port[TIMESYNC_MAX_PORTS];
	uint8_t reserved[16];
};

static_assert(sizeof(struct timesync_model) == 48, "model size");
static_assert(offsetof(struct timesync_model, err_ns) == 32, "model layout");
static_assert(offsetof(struct timesync_model, generation) == 44, "model layout");
static_assert(sizeof(struct timesync_block_hdr) == 64, "block header size");
static_assert(offsetof(struct timesync_block_hdr, published_ns) == 16, "block header layout");
static_assert(offsetof(struct timesync_block_hdr, tai_utc_s) == 48, "block header layout");
static_assert(sizeof(struct timesync_block_ptp) == 128, "ptp part size");
static_assert(offsetof(struct timesync_block_ptp, offset_ns) == 16, "ptp part layout");
static_assert(offsetof(struct timesync_block_ptp, history_n) == 88, "ptp part layout");
static_assert(offsetof(struct timesync_block, ptp) == 64, "block: ptp");
static_assert(offsetof(struct timesync_block, tsc) == 192, "block: tsc model");
static_assert(offsetof(struct timesync_block, port) == 240, "block: port models");
static_assert(sizeof(struct timesync_block) == RINGSHM_CLOCK_BLOCK_SIZE, "block fills the slot");

#endif /* TIMESYNC_FORMAT_H */
