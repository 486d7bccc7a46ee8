/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * feedcap-dump - from the ring to archives.
 *
 *   feedcap-dump --ring PATH|NAME -w FILE|PATTERN|- [options] [filter expression]
 *
 * The loop: take the next record from the ring, copy it out (frames are ~200 bytes: the copy
 * costs less than keeping the producer's bytes under a filter and a compressor), confirm with
 * ringshm_reader_done() that the producer did not overwrite it meanwhile, then filter and write
 * the copy.  A record the producer overwrote is counted lost by ringshm, exactly, and the loss
 * becomes a comment in a pcapng archive.
 *
 * Files are written as NAME.part, fsynced, then renamed, so a directory listing never shows a
 * half-written archive under its final name; each directory keeps an index of what it holds.
 * On a write error the file is cut back to its last durable frame and sealed valid, the error
 * names the file and the cause, and the tool either stops (exit 1) or, with --on-error=wait,
 * retries every second and resumes at the first frame not in the file, if the ring still has
 * it (what it no longer has is counted lost).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dump_internal.h"

volatile sig_atomic_t quit_sig;
volatile sig_atomic_t usr1_sig;

uint64_t dump_now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void on_quit(int sig)
{
	quit_sig = sig;
}

static void on_usr1(int sig)
{
	(void)sig;
	usr1_sig = 1;
}

/*
 * The ring as the index names it: its file, symlinks resolved, so that "md" and
 * /run/feedcap/md are one ring to --from resume.
 */
static void ring_path(struct dump *d)
{
	char path[PATH_MAX];

	if (ringshm_resolve(d->o.ring, NULL, path, sizeof(path)) != 0 ||
	    !realpath(path, d->ring_path)) {
		snprintf(d->ring_path, sizeof(d->ring_path), "%s", d->o.ring);
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct fcr_error err = { 0 };
	struct ringshm_error rerr = { 0 };
	struct ringshm_reader_stats rs;
	struct fcc_config *cfg = NULL;
	struct ringshm_record first;
	bool have_first = false;
	struct dump *d;
	int rc;

	d = calloc(1, sizeof(*d));
	if (!d) {
		fprintf(stderr, "feedcap-dump: out of memory\n");
		return 1;
	}
	rc = dump_parse_args(argc, argv, &d->o);
	if (rc) {
		goto out;
	}
	if (d->o.check_config) {
		rc = dump_check_config(&d->o);
		goto out;
	}
	if (d->o.job) {
		rc = dump_apply_job(&d->o, &cfg);
		if (rc) {
			goto out;
		}
	}
	rc = dump_check_args(&d->o);
	if (rc) {
		goto out;
	}
	dump_set_affinity(&d->o);
	d->flt = fcr_filter_compile(d->o.filter, &err);
	if (!d->flt) {
		fprintf(stderr, "feedcap-dump: %s\n", err.msg);
		rc = 2;
		goto out;
	}
	d->to_stdout = strcmp(d->o.wpat, "-") == 0;
	if (d->to_stdout && isatty(STDOUT_FILENO)) {
		fprintf(stderr,
			"feedcap-dump: refusing to write an archive to a terminal (-w -)\n");
		rc = 2;
		goto out;
	}
	if (!d->to_stdout) {
		struct stat sb;

		dump_dir_of(d->o.wpat, d->dirpat, sizeof(d->dirpat));
		snprintf(d->dir, sizeof(d->dir), "%s", d->dirpat);
		d->dir_dated = strchr(d->dirpat, '%') != NULL;
		if (d->dir_dated) {
			/* the part before the first dated component must exist: it is the setup */
			char *cut = strchr(d->dir, '%');

			while (cut > d->dir && cut[-1] != '/') {
				cut--;
			}
			*cut = '\0';
			if (!d->dir[0]) {
				snprintf(d->dir, sizeof(d->dir), ".");
			}
			/* retention removes emptied dated directories below it, never it */
			snprintf(d->root, sizeof(d->root), "%s", d->dir);
			for (size_t l = strlen(d->root); l > 1 && d->root[l - 1] == '/'; l--) {
				d->root[l - 1] = '\0';
			}
		}
		if (stat(d->dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			fprintf(stderr, "feedcap-dump: -w %s: directory %s does not exist\n",
				d->o.wpat, d->dir);
			rc = 2;
			goto out;
		}
		/* the directory of now, made only when a file goes into it */
		if (d->dir_dated && archset_name(d->dirpat, dump_now_ns(CLOCK_REALTIME), d->dir,
						 sizeof(d->dir)) < 0) {
			rc = dump_bad_usage("-w %s: the directory name is too long", d->o.wpat);
			goto out;
		}
	}

	if (!d->to_stdout) {
		const char *slash = strrchr(d->o.wpat, '/');

		if (snprintf(d->pattern, sizeof(d->pattern), "%s", slash ? slash + 1 : d->o.wpat) >=
		    (int)sizeof(d->pattern)) {
			rc = dump_bad_usage("-w %s: the file name is too long", d->o.wpat);
			goto out;
		}
	}
	ring_path(d);
	/* At the producer's head for now: dump_start() moves it where the options say. */
	d->rd = fcr_attach(d->o.ring, NULL, &err);
	if (!d->rd) {
		fprintf(stderr, "feedcap-dump: %s\n", err.msg);
		/*
		 * As tcpdump with a file it cannot read: a ring that is not there, not a ring or
		 * not readable is a runtime failure (1); only a name that cannot be one (2).
		 */
		rc = errno == EINVAL || errno == ENAMETOOLONG ? 2 : 1;
		goto out;
	}
	ringshm_reader_stats(d->rd, &rs);
	d->lost_seen = rs.lost_records;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_quit;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = dump_start(d, &first, &have_first);
	if (rc) {
		goto out;
	}
	/*
	 * Registered once in place: feedcap-stat never sees the reader at the producer's head
	 * where it attached, nor without the losses a resume counted.
	 */
	if (ringshm_reader_register(d->rd, d->o.reg_name, &rerr) != 0 && !d->o.quiet) {
		fprintf(stderr, "feedcap-dump: warning: not registered as a reader: %s\n",
			rerr.msg);
	}
	rc = dump_run(d, have_first ? &first : NULL);
	if (!d->o.quiet) {
		dump_print_stats(d, stderr);
	}
out:
	archset_retainer_destroy(d->keeper);
	dump_free_dirs(d->set_dirs, d->nset_dirs);
	archset_names_free(d->names);
	ringshm_reader_close(d->rd);
	fcr_filter_free(d->flt);
	free(d->o.filter);
	free(d);
	fcc_free(cfg);
	return rc;
}
