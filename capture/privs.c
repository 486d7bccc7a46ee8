/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Privileges of feedcap-capture: where a ring may live, and the capabilities the process
 * keeps once it runs.
 *
 * Capabilities, the bounding set, the ambient set, the secure bits and no_new_privs all belong
 * to a thread, not to the process: capset(2) changes only the calling thread, and by the time
 * start-up is over the EAL has made its own threads (interrupts, telemetry, the poller lcore)
 * which still hold everything the process started with.  libpsx would change them all at once,
 * but it only knows the threads created through its pthread_create() wrapper, which the EAL's
 * shared library never calls; so this does what libpsx does, for every thread the kernel
 * lists: each thread under /proc/self/task gets a real-time signal whose handler drops its own
 * capabilities (a handful of system calls, all async-signal-safe), and the caller then reads
 * every thread's status back and repeats for any thread that is not yet dropped (one the EAL
 * made meanwhile).  The handler is installed with SA_RESTART: a thread in accept() or read()
 * carries on as if nothing happened.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "capture.h"

int capture_ring_dir_check(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		int e = errno;

		snprintf(err, errlen, "ring directory %s: %s", dir, strerror(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "ring directory %s: not a directory", dir);
		return -ENOTDIR;
	}
	if (st.st_mode & S_IWOTH) {
		snprintf(
			err, errlen,
			"ring directory %s has mode %04o: any user can write there, so another user could create or replace the ring file before feedcap-capture opens it (the sticky bit does not stop that); keep rings in a directory only root and group feedcap may enter, e.g. install -d -m 0750 -g feedcap %s/feedcap and use --ring %s/feedcap/NAME",
			dir, (unsigned)(st.st_mode & 07777), dir, dir);
		return -EPERM;
	}
	return 0;
}

int capture_ring_path_check(const char *path, char *err, size_t errlen)
{
	char d[4096];
	char *slash;

	if (snprintf(d, sizeof(d), "%s", path) >= (int)sizeof(d)) {
		snprintf(err, errlen, "ring path %s is too long", path);
		return -ENAMETOOLONG;
	}
	slash = strrchr(d, '/');
	if (!slash) {
		snprintf(d, sizeof(d), ".");
	} else if (slash == d) {
		d[1] = '\0';
	} else {
		*slash = '\0';
	}
	return capture_ring_dir_check(d, err, errlen);
}

/* What every thread drops to: set once before the first signal, read by the handler. */
static struct __user_cap_data_struct drop_to[_LINUX_CAPABILITY_U32S_3];
static int last_cap;
static _Atomic unsigned drop_done;
static _Atomic unsigned drop_failed;

/* Drop the calling thread's privileges.  Async-signal-safe: system calls only. */
static int drop_self(uint64_t keep)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	int c, bad = 0;

	/*
	 * Root stays root, but never again gains capabilities from being root (execve), and the
	 * bounding set shrinks to what is kept.  Both need CAP_SETPCAP, which a service started
	 * with only the capabilities it needs may not have: best effort (no_new_privs below
	 * already stops an execve from gaining anything).  CAP_SETPCAP itself goes with capset.
	 */
	prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
					 SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
					 SECBIT_NO_CAP_AMBIENT_RAISE |
					 SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED);
	for (c = 0; c <= last_cap; c++) {
		if (!(keep >> c & 1)) {
			prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
		bad++;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		bad++;
	}
	if (syscall(SYS_capset, &hdr, drop_to) != 0) {
		bad++;
	}
	return bad ? -EPERM : 0;
}

static void drop_handler(int sig)
{
	int saved = errno;

	(void)sig;
	if (drop_self(((uint64_t)drop_to[1].permitted << 32) | drop_to[0].permitted) != 0) {
		atomic_fetch_add(&drop_failed, 1);
	}
	atomic_fetch_add(&drop_done, 1); /* the caller waits for this (seq_cst both sides) */
	errno = saved;
}

/* Parse "Name:\t<hex>" lines of one thread's status into the five values to compare. */
struct thread_privs {
	uint64_t eff, prm, inh, bnd, amb;
	int nnp;
};

static int read_thread_privs(int tid, struct thread_privs *t)
{
	char path[64], line[256];
	FILE *f;
	int seen = 0;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	f = fopen(path, "re");
	if (!f) {
		return -errno;
	}
	memset(t, 0, sizeof(*t));
	while (fgets(line, sizeof(line), f)) {
		seen += sscanf(line, "CapEff: %" SCNx64, &t->eff) == 1;
		seen += sscanf(line, "CapPrm: %" SCNx64, &t->prm) == 1;
		seen += sscanf(line, "CapInh: %" SCNx64, &t->inh) == 1;
		seen += sscanf(line, "CapBnd: %" SCNx64, &t->bnd) == 1;
		seen += sscanf(line, "CapAmb: %" SCNx64, &t->amb) == 1;
		seen += sscanf(line, "NoNewPrivs: %d", &t->nnp) == 1;
	}
	fclose(f);
	return seen == 6 ? 0 : -EPROTO;
}

static bool thread_dropped(const struct thread_privs *t, uint64_t keep)
{
	/* The bounding set is best effort (see drop_self()): not part of "dropped". */
	return !(t->eff & ~keep) && !(t->prm & ~keep) && !t->inh && !t->amb && t->nnp == 1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int capture_drop_privileges(uint64_t keep, int *nthreads, char *err, size_t errlen)
{
	struct sigaction sa;
	struct thread_privs t;
	int sig = SIGRTMIN + 5, pass, self = (int)syscall(SYS_gettid), rc = 0, n = 0;
	FILE *f;

	f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	if (!f || fscanf(f, "%d", &last_cap) != 1 || last_cap < 0 || last_cap > 63) {
		last_cap = 63; /* PR_CAPBSET_DROP says EINVAL past the last one */
	}
	if (f) {
		fclose(f);
	}
	memset(drop_to, 0, sizeof(drop_to));
	drop_to[0].permitted = drop_to[0].effective = (uint32_t)keep;
	drop_to[1].permitted = drop_to[1].effective = (uint32_t)(keep >> 32);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = drop_handler;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	/* Left installed afterwards: a signal still on its way to a slow thread must not kill the
	 * process (the default action of a real-time signal). */
	if (sigaction(sig, &sa, NULL) != 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot drop capabilities: sigaction: %s", strerror(errno));
		return rc;
	}
	/* A thread the EAL creates while this runs inherits from an undropped creator: a few
	 * passes until every thread listed reads back as dropped. */
	for (pass = 0; pass < 5; pass++) {
		DIR *d = opendir("/proc/self/task");
		struct dirent *de;
		int pending = 0;

		if (!d) {
			rc = -errno;
			snprintf(err, errlen, "cannot drop capabilities: /proc/self/task: %s",
				 strerror(errno));
			goto out;
		}
		n = 0;
		while ((de = readdir(d))) {
			int tid = atoi(de->d_name), ms;
			unsigned before;

			if (tid <= 0) {
				continue;
			}
			n++;
			if (read_thread_privs(tid, &t) == 0 && thread_dropped(&t, keep)) {
				continue;
			}
			pending++;
			if (tid == self) {
				if (drop_self(keep) != 0) {
					atomic_fetch_add(&drop_failed, 1);
				}
				continue;
			}
			before = atomic_load(&drop_done);
			if (syscall(SYS_tgkill, getpid(), tid, sig) != 0) {
				continue; /* it exited: the next pass no longer lists it */
			}
			for (ms = 0; ms < 2000 && atomic_load(&drop_done) == before; ms++) {
				sleep_ms(1);
			}
		}
		closedir(d);
		if (atomic_load(&drop_failed)) {
			rc = -EPERM;
			snprintf(
				err, errlen,
				"cannot drop capabilities: a thread could not change its own (CAP_SETPCAP missing?)");
			goto out;
		}
		if (!pending) {
			break;
		}
	}
	if (pass == 5) {
		rc = -EAGAIN;
		snprintf(
			err, errlen,
			"cannot drop capabilities: threads still hold them after 5 passes over /proc/self/task");
	}
out:
	if (nthreads) {
		*nthreads = n;
	}
	return rc;
}
