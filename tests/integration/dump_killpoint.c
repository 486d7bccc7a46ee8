/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dump_killpoint.c - LD_PRELOAD library for the tests (never linked into feedcap): SIGKILL a
 * process at one exact system call, to land a kill in the windows a random kill almost never
 * hits (between a rename and the index line that follows it, between a checkpoint and the
 * rename, between two files of a rotation).
 *
 *   FEEDCAP_KILLPOINT=WHEN:CALL:SUFFIX:N  [FEEDCAP_KILLPOINT_LOG=FILE]
 *
 * WHEN is "before" (the call is not made) or "after" (it is made, its result thrown away);
 * CALL one of
 *
 *   open       open, open64, openat, openat64 (the path given)
 *   rename     rename, renameat, renameat2 (the old path)
 *   unlink     unlink, unlinkat (the path)
 *   write      write, pwrite, pwrite64 (the file the descriptor is open on)
 *   fsync      fsync (the same)
 *   fdatasync  fdatasync (the same)
 *
 * SUFFIX is what the path must end with (".part" is not ".part.ckpt"), and N (1, 2, ...) which
 * matching call kills: the Nth of this process.  Then the process raises SIGKILL, as kill -9
 * from outside would end it at that moment: no handler, no exit path, no buffered output
 * flushed.  FEEDCAP_KILLPOINT_LOG gets one line first ("PID WHEN CALL PATH N"), so the test
 * knows the kill landed where it was asked to and not somewhere else.  Without
 * FEEDCAP_KILLPOINT every call goes straight through.
 *
 * Like timesync_noclock, it does not link feedcap_warnings: it is loaded into binaries built
 * with AddressSanitizer, whose runtime must come first (the test preloads it before this).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum kp_call { KP_NONE, KP_OPEN, KP_RENAME, KP_UNLINK, KP_WRITE, KP_FSYNC, KP_FDATASYNC };

static const char *const call_names[] = {
	[KP_OPEN] = "open",   [KP_RENAME] = "rename", [KP_UNLINK] = "unlink",
	[KP_WRITE] = "write", [KP_FSYNC] = "fsync",   [KP_FDATASYNC] = "fdatasync",
};

static struct {
	enum kp_call call;
	bool after;
	char suffix[256];
	unsigned long nth;
	unsigned long seen;
} kp;

/* Each real function, looked up the first time (dlsym may allocate: not in a constructor). */
#define REAL(name)                                                                                 \
	({                                                                                         \
		static __typeof__(name) *real_;                                                    \
		if (!real_) {                                                                      \
			real_ = (__typeof__(name) *)dlsym(RTLD_NEXT, #name);                       \
		}                                                                                  \
		real_;                                                                             \
	})

__attribute__((constructor)) static void kp_init(void)
{
	const char *spec = getenv("FEEDCAP_KILLPOINT");
	char when[16], call[16];
	size_t i;

	if (!spec ||
	    sscanf(spec, "%15[^:]:%15[^:]:%255[^:]:%lu", when, call, kp.suffix, &kp.nth) != 4) {
		if (spec && *spec) {
			fprintf(stderr,
				"dump_killpoint: FEEDCAP_KILLPOINT=%s: not WHEN:CALL:SUFFIX:N\n",
				spec);
		}
		return;
	}
	if (strcmp(when, "before") != 0 && strcmp(when, "after") != 0) {
		fprintf(stderr, "dump_killpoint: %s: WHEN is before or after\n", when);
		return;
	}
	kp.after = strcmp(when, "after") == 0;
	for (i = 1; i < sizeof(call_names) / sizeof(call_names[0]); i++) {
		if (strcmp(call, call_names[i]) == 0) {
			kp.call = (enum kp_call)i;
		}
	}
	if (kp.call == KP_NONE || kp.nth == 0) {
		fprintf(stderr, "dump_killpoint: %s: no such call, or N is 0\n", spec);
	}
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The path fd is open on, for the calls that take a descriptor ("" when unknown). */
static void fd_path(int fd, char *out, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, out, len - 1);
	out[n > 0 ? n : 0] = '\0';
}

/* Whether this call is the one: counts the matching calls of this process. */
static bool is_target(enum kp_call call, const char *path)
{
	if (kp.call != call || !path || !ends_with(path, kp.suffix)) {
		return false;
	}
	return __atomic_add_fetch(&kp.seen, 1, __ATOMIC_RELAXED) == kp.nth;
}

static void die_here(const char *path)
{
	const char *log = getenv("FEEDCAP_KILLPOINT_LOG");
	char line[512];
	int fd, n;

	if (log) {
		fd = REAL(open)(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0) {
			n = snprintf(line, sizeof(line), "%d %s %s %s %lu\n", (int)getpid(),
				     kp.after ? "after" : "before", call_names[kp.call], path,
				     kp.nth);
			if (n > 0 && REAL(write)(fd, line, (size_t)n) < 0) {
				/* the kill still comes; the test then says the log is missing */
			}
			close(fd);
		}
	}
	raise(SIGKILL);
	_exit(137); /* not reached */
}

/* The one shape of every wrapper: maybe die before, make the call, maybe die after. */
#define WRAP(which, path, expr)                                                                    \
	do {                                                                                       \
		bool target_ = kp.call != KP_NONE && is_target(which, path);                       \
		__typeof__(expr) rc_;                                                              \
		if (target_ && !kp.after) {                                                        \
			die_here(path);                                                            \
		}                                                                                  \
		rc_ = (expr);                                                                      \
		if (target_) {                                                                     \
			die_here(path);                                                            \
		}                                                                                  \
		return rc_;                                                                        \
	} while (0)

/* The same for calls on a descriptor: its path is looked up only when a kill point is set. */
#define WRAP_FD(which, fd, expr)                                                                   \
	do {                                                                                       \
		char p_[4096] = "";                                                                \
		if (kp.call == which) {                                                            \
			fd_path(fd, p_, sizeof(p_));                                               \
		}                                                                                  \
		WRAP(which, p_, expr);                                                             \
	} while (0)

/* open()'s third argument, there only with O_CREAT or O_TMPFILE: in a variadic function. */
#define MODE_ARG(flags)                                                                            \
	({                                                                                         \
		mode_t m_ = 0;                                                                     \
		if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {                       \
			va_list ap_;                                                               \
			va_start(ap_, flags);                                                      \
			m_ = va_arg(ap_, mode_t);                                                  \
			va_end(ap_);                                                               \
		}                                                                                  \
		m_;                                                                                \
	})

int open(const char *path, int flags, ...)
{
	mode_t mode = MODE_ARG(flags);

	WRAP(KP_OPEN, path, REAL(open)(path, flags, mode));
}

int open64(const char *path, int flags, ...)
{
	mode_t mode = MODE_ARG(flags);

	WRAP(KP_OPEN, path, REAL(open64)(path, flags, mode));
}

int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = MODE_ARG(flags);

	WRAP(KP_OPEN, path, REAL(openat)(dirfd, path, flags, mode));
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = MODE_ARG(flags);

	WRAP(KP_OPEN, path, REAL(openat64)(dirfd, path, flags, mode));
}

int rename(const char *from, const char *to)
{
	WRAP(KP_RENAME, from, REAL(rename)(from, to));
}

int renameat(int fromfd, const char *from, int tofd, const char *to)
{
	WRAP(KP_RENAME, from, REAL(renameat)(fromfd, from, tofd, to));
}

int renameat2(int fromfd, const char *from, int tofd, const char *to, unsigned int flags)
{
	WRAP(KP_RENAME, from, REAL(renameat2)(fromfd, from, tofd, to, flags));
}

int unlink(const char *path)
{
	WRAP(KP_UNLINK, path, REAL(unlink)(path));
}

int unlinkat(int dirfd, const char *path, int flags)
{
	WRAP(KP_UNLINK, path, REAL(unlinkat)(dirfd, path, flags));
}

ssize_t write(int fd, const void *buf, size_t len)
{
	WRAP_FD(KP_WRITE, fd, REAL(write)(fd, buf, len));
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	WRAP_FD(KP_WRITE, fd, REAL(pwrite)(fd, buf, len, off));
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	WRAP_FD(KP_WRITE, fd, REAL(pwrite64)(fd, buf, len, off));
}

int fsync(int fd)
{
	WRAP_FD(KP_FSYNC, fd, REAL(fsync)(fd));
}

int fdatasync(int fd)
{
	WRAP_FD(KP_FDATASYNC, fd, REAL(fdatasync)(fd));
}
