/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringshm_internal.h - private helpers shared by the ringshm sources and its tests.  Never
 * installed: nothing here is part of the contract.
 */
#ifndef RINGSHM_INTERNAL_H
#define RINGSHM_INTERNAL_H

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "ringshm.h"

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/*
 * Atomics on plain fields of the shared layout (the format has no _Atomic types, so that a
 * reader in another language sees plain integers).  GCC's __atomic builtins accept them.
 */
#define RS_LOAD_RELAXED(p)     __atomic_load_n((p), __ATOMIC_RELAXED)
#define RS_LOAD_ACQUIRE(p)     __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define RS_STORE_RELAXED(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define RS_STORE_RELEASE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define RS_FENCE_ACQUIRE()     __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define RS_FENCE_RELEASE()     __atomic_thread_fence(__ATOMIC_RELEASE)

/*
 * The registry file FILE.readers: a header line then RINGSHM_MAX_READERS slots
 * (docs/ring-format.md section 7).  The magic names the kind of file; version and slot_size
 * name the layout.  Version 1 (slots of 128 bytes, no writer status) was made by feedcap
 * before the writer fields: this library refuses it by name (-EPROTONOSUPPORT), and a
 * producer replaces it by a new file (rs_registry_create()).  An older library reading a
 * version 2 file refuses it as well, because it checks slot_size.
 */
#define RINGSHM_REG_MAGIC   UINT64_C(0x3130534745524346) /* "FCREGS01" */
#define RINGSHM_REG_VERSION 2

struct ringshm_reg_hdr {
	uint64_t magic;	    /* RINGSHM_REG_MAGIC, CAS-initialised by whoever creates the file */
	uint32_t version;   /* RINGSHM_REG_VERSION */
	uint32_t nslots;    /* RINGSHM_MAX_READERS */
	uint32_t slot_size; /* sizeof(struct ringshm_reg_slot) */
	uint8_t pad[44];
};

/*
 * One reader's slot.  Everything is written by the process that holds the slot (pid) only.
 * Progress fields are independent relaxed stores.  The writer status (write_errors,
 * last_error_ns, last_errno, last_error) changes together under the seqlock err_seq: odd
 * while it is being written, so a monitor never pairs a count with another error's text.
 * blocked is a flag of its own, stored relaxed.
 */
struct ringshm_reg_slot {
	uint64_t pid; /* 0: free; claimed with a CAS, released with a release store of 0 */
	uint64_t pos;
	uint64_t delivered;
	uint64_t lost_records;
	uint64_t lost_bytes;
	uint64_t updated_ns;
	uint64_t overruns;
	uint64_t epochs_seen;
	char name[32];
	/* version 2: what the reader's writer reports about its output */
	uint64_t write_errors;	/* errors noted since the slot was taken */
	uint64_t last_error_ns; /* CLOCK_REALTIME of the last one, 0 = none */
	uint32_t last_errno;	/* positive errno of the last one, 0 = none */
	uint32_t err_seq;	/* seqlock over the error fields: odd while written */
	uint32_t blocked;	/* 1 while the writer waits for its output to work again */
	uint32_t reserved;
	char last_error[RINGSHM_ERROR_TEXT]; /* NUL-terminated */
	uint8_t pad[32];
};

static_assert(sizeof(struct ringshm_reg_hdr) == 64, "registry header");
static_assert(sizeof(struct ringshm_reg_slot) == 256, "registry slot");
static_assert(offsetof(struct ringshm_reg_slot, name) == 64, "registry slot: name");
static_assert(offsetof(struct ringshm_reg_slot, write_errors) == 96, "registry slot: errors");
static_assert(offsetof(struct ringshm_reg_slot, err_seq) == 116, "registry slot: err_seq");
static_assert(offsetof(struct ringshm_reg_slot, blocked) == 120, "registry slot: blocked");
static_assert(offsetof(struct ringshm_reg_slot, last_error) == 128, "registry slot: text");

#define RINGSHM_REG_SIZE                                                                           \
	(sizeof(struct ringshm_reg_hdr) + RINGSHM_MAX_READERS * sizeof(struct ringshm_reg_slot))

/* Fill err (if any) with code and a formatted message; returns code. */
int rs_error(struct ringshm_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* CLOCK_REALTIME in ns. */
uint64_t rs_now_ns(void);

/* CLOCK_MONOTONIC in ns. */
uint64_t rs_mono_ns(void);

/*
 * Check a control area read from a file of file_bytes bytes: magic, version, geometry and
 * cursors.  @return 0, -EPROTO or -EPROTONOSUPPORT with err naming path and the field.
 */
int rs_check_ctl(const struct ringshm_ctl *c, uint64_t file_bytes, const char *path,
		 struct ringshm_error *err);

/* Bytes of control area a ring of nchunks chunks needs (before rounding to pages). */
uint64_t rs_ctl_bytes(uint32_t nchunks);

/* Whether a process exists (kill(pid, 0) succeeds or fails with EPERM). */
bool rs_pid_alive(uint64_t pid);

/* The registry path of a ring file: PATH.readers.  @return 0 or -ENAMETOOLONG. */
int rs_registry_path(const char *ring_path, char *out, size_t outlen);

/* Create the registry file for a ring (producer side): mode 0660, group gid (or -1). */
int rs_registry_create(const char *ring_path, long gid);

/* A reader handle (one thread). */
struct ringshm_reader {
	const struct ringshm_ctl *ctl;
	void *map; /* the whole file, PROT_READ */
	const uint8_t *data;
	uint64_t capacity;
	uint64_t mask; /* capacity - 1 */
	uint64_t chunk_mask;
	uint32_t chunk_size;
	uint32_t nchunks;
	unsigned int chunk_shift;
	size_t map_len;
	int fd;

	uint64_t pos;	     /* next record to read */
	uint64_t head;	     /* last head loaded */
	uint64_t expect_seq; /* seq the record at pos should carry */
	bool seq_tentative;  /* expect_seq is a snapshot of next_seq, not read from a record */
	bool pending;	     /* a record was returned by next() and not yet done() */
	bool skip_final;     /* test hook: see ringshm__test_skip_final_check() */
	uint64_t cur_pos;
	uint64_t cur_seq;
	uint32_t cur_size;
	uint64_t epoch; /* producer epoch last seen in the control area */
	struct ringshm_reader_stats st;

	/* registry (optional) */
	struct ringshm_reg_slot *slot;
	void *reg_map;
	size_t reg_len;
	uint32_t reg_count;

	char path[PATH_MAX];
};

/* Reader-side registry state. */
void rs_registry_update(struct ringshm_reader *rd, bool force);
void rs_registry_release(struct ringshm_reader *rd);

/*
 * Test hook (never in the public header): skip the final claim check in
 * ringshm_reader_done(), so the stress test can prove that the check is what keeps torn
 * records out.  A negative control; never use it anywhere else.
 */
void ringshm__test_skip_final_check(struct ringshm_reader *rd, bool skip);

#endif /* RINGSHM_INTERNAL_H */
