/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * feedcap-capture: drain DPDK ports into a feedcap ring.
 *
 * Start-up order matters: the ring first (a second producer is refused before DPDK takes any
 * memory), signals blocked before the EAL creates its threads (only the control thread ever
 * takes them, through sigtimedwait), then ports, the clock model, and the poller last, once
 * everything it touches exists and has been touched.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/mman.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "capture_internal.h"
#include "feedcap_config.h"

#define PROG "feedcap-capture"

int cap_log_level = LOG_NOTICE;

void(cap_log)(int level, const char *fmt, ...)
{
	static const char *const names[] = { "emergency", "alert",  "critical", "error",
					     "warning",	  "notice", "info",	"debug" };
	va_list ap;
	char buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (level <= LOG_WARNING) {
		fprintf(stderr, PROG ": %s: %s\n", names[level & 7], buf);
	} else {
		fprintf(stderr, PROG ": %s\n", buf);
	}
}

/* The PCI ports: from the config file, and -a / --allow among the EAL arguments. */
static int pci_ports(const struct capture_opts *o, char **out, int max)
{
	int n = 0, i;

	for (i = 0; i < o->npci && n < max; i++) {
		out[n++] = o->pci[i];
	}
	for (i = 0; i < o->eal_argc && n < max; i++) {
		const char *a = o->eal_argv[i];

		if ((!strcmp(a, "-a") || !strcmp(a, "--allow")) && i + 1 < o->eal_argc) {
			out[n++] = o->eal_argv[++i];
		} else if (!strncmp(a, "--allow=", 8)) {
			out[n++] = (char *)(uintptr_t)(a + 8);
		} else if (!strncmp(a, "-a", 2) && a[2]) {
			out[n++] = (char *)(uintptr_t)(a + 2);
		}
	}
	return n;
}

/*
 * Default CPUs (no --lcores, no poller_core): on the first PCI port's NUMA node, the poller on
 * its last CPU we may run on and the control thread on its first; without a PCI port (virtual
 * devices) or NUMA, the first and the last CPU we may run on.  Devices arguments keep their
 * ",devargs" tail: the address is what comes before.
 */
static int default_lcores(struct capture_opts *o)
{
	char *pci[CAPTURE_MAX_VDEVS + CAPTURE_MAX_EAL], addr[64];
	int cpus[CPU_SETSIZE], ncpus = 0, node = -1, i;
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) < 0) {
		return -errno;
	}
	for (i = 0; i < CPU_SETSIZE; i++) {
		if (CPU_ISSET(i, &set)) {
			cpus[ncpus++] = i;
		}
	}
	if (ncpus < 2) {
		return -ERANGE;
	}
	if (o->control_lcore >= 0) {
		return 0;
	}
	if (pci_ports(o, pci, (int)(sizeof(pci) / sizeof(pci[0]))) > 0) {
		snprintf(addr, sizeof(addr), "%.*s", (int)strcspn(pci[0], ","), pci[0]);
		node = capture_pci_node("", addr);
	}
	return capture_pick_cpus("", cpus, ncpus, node, &o->control_lcore, &o->poller_lcore);
}

static const char *status_word(enum capture_check_status s)
{
	return s == CAPTURE_CHECK_OK ? "ok" : s == CAPTURE_CHECK_WARN ? "WARN" : "FAIL";
}

/*
 * The host checks.  With --check-host: the table, and the exit status.  Otherwise: a warning
 * per problem about the poller core (--strict refuses to start), and the hugepage check is
 * left to ringshm_create(), which knows the backing.
 * @return 0 to go on, else the exit status.
 */
static int host_checks(const struct capture_opts *o)
{
	struct capture_check c[CAPTURE_MAX_CHECKS];
	uint64_t ring_size = o->ring_size ? o->ring_size : RINGSHM_DEFAULT_CAPACITY;
	int n, i, bad = 0;

	n = capture_host_check("", o->poller_lcore, ring_size, c, CAPTURE_MAX_CHECKS);
	if (o->check_host) {
		char *pci[CAPTURE_MAX_VDEVS + CAPTURE_MAX_EAL], path[PATH_MAX], real[PATH_MAX];
		int np = pci_ports(o, pci, (int)(sizeof(pci) / sizeof(pci[0])));

		for (i = 0; i < np; i++) { /* the address without the devargs */
			pci[i] = strndup(pci[i], strcspn(pci[i], ","));
		}
		if (ringshm_resolve(o->ring, NULL, path, sizeof(path)) < 0 ||
		    !realpath(path, real)) {
			real[0] = '\0';
		}
		n += capture_numa_check("", o->poller_lcore, pci, np, real[0] ? real : NULL, c + n,
					CAPTURE_MAX_CHECKS - n);
		for (i = 0; i < np; i++) {
			free(pci[i]);
		}
	}
	if (o->check_host) {
		printf("%-22s %-5s %-52s %s\n", "CHECK", "", "FOUND", "FIX");
		for (i = 0; i < n; i++) {
			printf("%-22s %-5s %-52s %s\n", c[i].name, status_word(c[i].status),
			       c[i].value, c[i].fix);
			bad += c[i].status != CAPTURE_CHECK_OK;
		}
		return o->strict && bad ? CAPTURE_EXIT_FAILURE : -1;
	}
	for (i = 0; i < n; i++) {
		bool core = !strcmp(c[i].name, "isolcpus") || !strcmp(c[i].name, "nohz_full") ||
			    !strcmp(c[i].name, "rcu_nocbs");

		if (!core || c[i].status == CAPTURE_CHECK_OK) {
			continue;
		}
		bad++;
		cap_log(LOG_WARNING, "poller CPU %d: %s: %s: %s%s", o->poller_lcore, c[i].name,
			c[i].value, c[i].fix,
			o->strict ? "" : " (the poller will be interrupted by the kernel)");
	}
	if (bad && o->strict) {
		cap_log(LOG_ERR,
			"--strict: refusing to start with the poller on CPU %d, which the kernel still uses (see --check-host)",
			o->poller_lcore);
		return CAPTURE_EXIT_FAILURE;
	}
	return 0;
}

static int ring_exit_code(int code)
{
	switch (code) {
	case -EINVAL:
	case -EEXIST:
	case -EPROTO:
	case -EPROTONOSUPPORT: /* a ring file of another layout version */
	case -EISDIR:	       /* --ring names a directory */
	case -ENOTDIR:
	case -ENAMETOOLONG:
		return CAPTURE_EXIT_USAGE;
	default:
		return CAPTURE_EXIT_FAILURE;
	}
}

/*
 * Refuse ring directories other users can write, before anything is created: the directory of
 * --ring (a path), or for a name the directory of its link and, with --ring-backing shm or
 * auto, the RINGSHM_SHM_DIR that ringshm puts a shm file in (if it exists: else ringshm makes
 * it 0750).  The hugetlbfs mount a name lands on is known only after ringshm_create(): main()
 * checks ringshm_path() then.  *existed says whether the ring was there before (main()
 * removes only a ring it made).
 * @return 0 or the exit status.
 */
static int ring_dirs_check(const struct capture_opts *o, char *link, size_t linklen, bool *existed)
{
	char err[1024], real[PATH_MAX], d[PATH_MAX];
	char *slash;
	int rc;

	rc = ringshm_resolve(o->ring, NULL, link, linklen);
	if (rc < 0) {
		fprintf(stderr, PROG ": ring name \"%s\": empty or too long\n", o->ring);
		return CAPTURE_EXIT_USAGE;
	}
	*existed = realpath(link, real) != NULL;
	snprintf(d, sizeof(d), "%s", link);
	slash = strrchr(d, '/');
	if (slash && slash != d) {
		*slash = '\0';
	}
	/* Only "others can write" is refused here: a directory that is missing or not one is
	 * ringshm_create()'s to report (it makes a name's directory, 0755). */
	rc = capture_ring_dir_check(d, err, sizeof(err));
	if (rc == -EPERM) {
		fprintf(stderr, PROG ": %s\n", err);
		return CAPTURE_EXIT_USAGE;
	}
	/* A name on shm (or AUTO's fallback) is a file in RINGSHM_SHM_DIR: refused up front
	 * when others can write there, so nothing in it is opened as if it were our ring. */
	if (!strchr(o->ring, '/') &&
	    (o->backing == RINGSHM_BACKING_SHM || o->backing == RINGSHM_BACKING_AUTO) &&
	    capture_ring_dir_check(RINGSHM_SHM_DIR, err, sizeof(err)) == -EPERM) {
		fprintf(stderr, PROG ": %s\n", err);
		fprintf(stderr,
			PROG
			": ring names with --ring-backing shm (or auto without hugepages) live in %s: chmod o-w %s, or remove it and it is made again 0750\n",
			RINGSHM_SHM_DIR, RINGSHM_SHM_DIR);
		return CAPTURE_EXIT_USAGE;
	}
	return 0;
}

/*
 * Remove the ring this run created (and its registry, and a name's link to it): a capture
 * that fails to start leaves nothing behind.  A ring that was there before is left alone.
 */
static void remove_new_ring(struct ringshm *ring, const char *link)
{
	char readers[PATH_MAX + 8];

	snprintf(readers, sizeof(readers), "%s.readers", ringshm_path(ring));
	unlink(readers);
	unlink(ringshm_path(ring));
	if (strcmp(link, ringshm_path(ring)) != 0) {
		unlink(link);
	}
}

/*
 * net_af_xdp ports: start the XDP guard (xdpguard.c) while we still hold CAP_NET_ADMIN, so
 * that their XDP programs come off the interfaces when this process is gone.
 */
static int start_xdp_guard(const struct cap_ctx *cx)
{
	static int keep_fd = -1; /* open until the process ends: its closing is the signal */
	unsigned ifs[CAPTURE_MAX_VDEVS];
	char err[256];
	pid_t pid;
	int i, n = 0, rc;

	for (i = 0; i < cx->nports && n < CAPTURE_MAX_VDEVS; i++) {
		if (!strcmp(cx->ports[i].driver, "net_af_xdp") && cx->ports[i].if_index) {
			ifs[n++] = cx->ports[i].if_index;
		}
	}
	if (n == 0) {
		return 0;
	}
	rc = capture_xdp_guard_spawn(ifs, n, &keep_fd, &pid, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return rc;
	}
	cap_log(LOG_INFO,
		"XDP guard (PID %d) detaches the af_xdp programs from %d interface(s) at exit",
		(int)pid, n);
	return 0;
}

int main(int argc, char **argv)
{
	static struct capture_opts opts;
	struct fcc_config *cfg = NULL; /* o's strings point into it: kept until exit */
	struct capture_opts *o = &opts;
	struct ringshm_params rp;
	struct ringshm_error rerr;
	struct ringshm *ring = NULL;
	struct cap_ctx *cx = NULL;
	char *eal_argv[4 * CAPTURE_MAX_VDEVS + CAPTURE_MAX_EAL + 12];
	char lcores[32], main_lcore[16], err[1024], link[PATH_MAX], prefix[64];
	const char *eal_add[3];
	bool existed = false, captured = false;
	int poller_node;
	int eal_argc = 0, i, rc, status = CAPTURE_EXIT_FAILURE;
	bool user_log_level = false;
	sigset_t sigs;

	if (capture_is_xdp_guard(argc, argv)) {
		return capture_xdp_guard_main(argc, argv);
	}
	capture_opts_init(o);
	if (capture_opts_parse(o, argc, argv, err, sizeof(err)) < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return CAPTURE_EXIT_USAGE;
	}
	if (o->help) {
		fputs(capture_usage, stdout);
		return CAPTURE_EXIT_OK;
	}
	if (o->version) {
		printf(PROG " %s\n", FEEDCAP_VERSION);
		return CAPTURE_EXIT_OK;
	}
	cap_log_level = LOG_NOTICE + o->verbose;
	if (o->config || o->check_config) {
		const char *path = o->config ? o->config : FCC_DEFAULT_PATH;
		struct fcc_error fe;
		char msg[FCC_ERROR_MAX];

		memset(&fe, 0, sizeof(fe));
		cfg = fcc_load(path, &fe);
		if (!cfg || fcc_validate(cfg, FCC_VALIDATE_CAPTURE, &fe) < 0) {
			fcc_format_error(&fe, msg, sizeof(msg));
			fprintf(stderr, PROG ": %s\n", msg);
			fcc_free(cfg);
			return CAPTURE_EXIT_USAGE;
		}
		if (capture_opts_apply_config(o, cfg, err, sizeof(err)) < 0) {
			fprintf(stderr, PROG ": %s\n", err);
			fcc_free(cfg);
			return CAPTURE_EXIT_USAGE;
		}
		if (o->check_config) {
			printf("%s: OK (ring %s, %d port(s), %d group(s), poller CPU %d)\n", path,
			       o->ring, o->nvdevs + o->npci, o->ngroups, o->poller_lcore);
			fcc_free(cfg);
			return CAPTURE_EXIT_OK;
		}
	}
	rc = default_lcores(o);
	if (rc < 0) {
		fprintf(stderr, PROG
			": needs two CPUs (control thread and poller) and may run on only one; give --lcores CONTROL,POLLER\n");
		return CAPTURE_EXIT_USAGE;
	}
	rc = host_checks(o);
	if (o->check_host) {
		return rc < 0 ? CAPTURE_EXIT_OK : rc;
	}
	if (rc) {
		return rc;
	}

	/* Only the control thread takes these signals (sigtimedwait); every thread the EAL
	 * creates inherits this mask, so a signal never interrupts the poller. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	memset(&rp, 0, sizeof(rp));
	memset(&rerr, 0, sizeof(rerr));
	rp.capacity = o->ring_size;
	rp.chunk_size = o->chunk_size;
	rp.group = o->ring_group;
	/* Small rings (tests) get smaller chunks: a ring holds at least four of them. */
	if (!o->chunk_size && o->ring_size && o->ring_size < 4 * (uint64_t)RINGSHM_DEFAULT_CHUNK) {
		rp.chunk_size = (uint32_t)RTE_MAX(o->ring_size / 4, (uint64_t)RINGSHM_MIN_CHUNK);
	}
	rp.backing = (enum ringshm_backing)o->backing;
	rc = ring_dirs_check(o, link, sizeof(link), &existed);
	if (rc) {
		return rc;
	}
	/*
	 * The ring's pages are faulted in by ringshm_create(), here, before the EAL starts: under
	 * a policy that prefers the poller CPU's node, so the memory the poller writes is local
	 * to it (a ring that exists keeps its pages: the log reads back where they are).
	 */
	poller_node = capture_cpu_node("", o->poller_lcore);
	if (poller_node >= 0 && (rc = capture_prefer_node(poller_node)) < 0) {
		cap_log(LOG_WARNING,
			"set_mempolicy(node %d): %s: the ring goes where the kernel puts it",
			poller_node, strerror(-rc));
	}
	ring = ringshm_create(o->ring, &rp, &rerr);
	capture_prefer_node(-1);
	if (!ring) {
		rc = rerr.code ? rerr.code : -errno;
		fprintf(stderr, PROG ": %s\n", rerr.msg[0] ? rerr.msg : strerror(-rc));
		if (rc == -EBUSY) {
			fprintf(stderr,
				PROG
				": refusing to start a second producer on ring %s: stop the running capture first\n",
				o->ring);
		}
		return ring_exit_code(rc);
	}
	if (rerr.msg[0]) {
		fprintf(stderr, PROG ": %s\n", rerr.msg); /* e.g. the /dev/shm fallback warning */
		if (o->strict) {
			fprintf(stderr, PROG
				": --strict: refusing a ring that is not where it should be (reserve hugepages or choose --ring-backing)\n");
			goto out_ring;
		}
	}
	/* Where the ring really went (a name's hugetlbfs mount, or the /dev/shm fallback). */
	if (capture_ring_path_check(ringshm_path(ring), err, sizeof(err)) == -EPERM) {
		fprintf(stderr, PROG ": %s\n", err);
		if (!existed) {
			remove_new_ring(ring, link);
		}
		status = CAPTURE_EXIT_USAGE;
		goto out_ring;
	}
	cap_log(LOG_INFO, "ring %s: %llu bytes", ringshm_path(ring),
		(unsigned long long)ringshm_ctl(ring)->capacity);

	snprintf(lcores, sizeof(lcores), "%d,%d", o->control_lcore, o->poller_lcore);
	snprintf(main_lcore, sizeof(main_lcore), "%d", o->control_lcore);
	eal_argv[eal_argc++] = argv[0];
	eal_argv[eal_argc++] = "-l";
	eal_argv[eal_argc++] = lcores;
	eal_argv[eal_argc++] = "--main-lcore";
	eal_argv[eal_argc++] = main_lcore;
	for (i = 0; i < o->nvdevs; i++) {
		eal_argv[eal_argc++] = "--vdev";
		eal_argv[eal_argc++] = o->vdevs[i];
	}
	for (i = 0; i < o->npci; i++) {
		eal_argv[eal_argc++] = "-a";
		eal_argv[eal_argc++] = o->pci[i];
	}
	for (i = 0; i < o->eal_argc; i++) {
		if (!strncmp(o->eal_argv[i], "--log-level", 11)) {
			user_log_level = true;
		}
		if (!strcmp(o->eal_argv[i], "-l") || !strcmp(o->eal_argv[i], "--lcores") ||
		    !strcmp(o->eal_argv[i], "-c") || !strcmp(o->eal_argv[i], "--main-lcore")) {
			fprintf(stderr,
				PROG
				": EAL option %s after --: choose the CPUs with --lcores CONTROL,POLLER instead\n",
				o->eal_argv[i]);
			status = CAPTURE_EXIT_USAGE;
			goto out_ring;
		}
		eal_argv[eal_argc++] = o->eal_argv[i];
	}
	if (!user_log_level && o->verbose < 2) {
		eal_argv[eal_argc++] = o->verbose ? "--log-level=info" : "--log-level=notice";
	}
	/* A file prefix of this ring's own and no hugepage files: see ealargs.c. */
	rc = capture_eal_defaults(o, prefix, sizeof(prefix), eal_add, 3);
	for (i = 0; i < rc; i++) {
		eal_argv[eal_argc++] = (char *)(uintptr_t)eal_add[i];
	}
	eal_argv[eal_argc] = NULL;
	if (prefix[0]) {
		cap_log(LOG_INFO, "EAL file prefix %s (/var/run/dpdk/%s)", prefix, prefix);
	}

	rc = cap_eal_init(eal_argc, eal_argv, prefix, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, PROG ": DPDK EAL initialisation failed: %s\n", err);
		status = rc == -EINVAL ? CAPTURE_EXIT_USAGE : CAPTURE_EXIT_FAILURE;
		goto out_ring;
	}

	/* Everything the poller touches on its own node: the context, pools, queue counters. */
	cx = rte_zmalloc_socket("cap_ctx", sizeof(*cx), RTE_CACHE_LINE_SIZE,
				(int)rte_lcore_to_socket_id((unsigned)o->poller_lcore));
	if (!cx) {
		fprintf(stderr, PROG ": no hugepage memory for the capture context\n");
		goto out_eal;
	}
	cx->o = o;
	cx->ring = ring;
	cx->ctl = ringshm_ctl(ring);
	cx->count = o->count;
	cx->filter = o->filter;
	cx->igmp_on = o->ngroups > 0 && !o->no_igmp;
	cx->tsc_hz = rte_get_tsc_hz(); /* only to gate housekeeping: ~0.2% off is fine here */
	cx->snaplen = ringshm_max_caplen(ring);
	if (o->snaplen && o->snaplen < cx->snaplen) {
		cx->snaplen = o->snaplen;
	}
	timesync_cell_init(&cx->tsc_cell);
	cx->poller_socket = (int)rte_lcore_to_socket_id((unsigned)o->poller_lcore);
	cx->igmp_q =
		rte_ring_create("cap_igmp", 1024, cx->poller_socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!cx->igmp_q) {
		fprintf(stderr, PROG ": cannot create the IGMP hand-over ring: %s\n",
			rte_strerror(rte_errno));
		goto out_ctx;
	}

	rc = cap_ports_setup(cx, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		status = rc == -ENODEV || rc == -ENOTSUP || rc == -EINVAL ? CAPTURE_EXIT_USAGE
									  : CAPTURE_EXIT_FAILURE;
		goto out_ports;
	}
	for (i = 0; i < cx->nports; i++) {
		struct cap_port *p = &cx->ports[i];

		cap_log(LOG_NOTICE,
			"port %u %s (%s): %u RX queue(s) of %u descriptors, MTU %u%s, flow control %s, timestamps %s%s%s",
			p->idx, p->name, p->driver, p->nb_rxq, p->nb_rxd, p->mtu,
			p->scatter ? " (scatter)" : "",
			p->flow_control < 0 ? "unknown"
					    : capture_flow_control_name(p->flow_control),
			cap_ts_mode_name(p->ts_mode), p->ts_offload ? " (offload on)" : "",
			p->has_tx ? "" : ", no TX queue (no IGMP)");
		if (p->socket >= 0 && p->socket != cx->poller_socket) {
			cap_log(LOG_WARNING,
				"port %s is on NUMA node %d but the poller CPU %d is on node %d: every frame crosses the interconnect; pick a poller CPU on node %d",
				p->name, p->socket, o->poller_lcore, cx->poller_socket, p->socket);
			if (o->strict) {
				cap_log(LOG_ERR,
					"--strict: refusing a poller on another NUMA node");
				goto out_ports;
			}
		}
	}

	cap_numa_report(cx);
	rc = cap_control_init(cx, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		goto out_ports;
	}
	if (start_xdp_guard(cx) < 0) {
		goto out_ports;
	}

	/* Code and data pages the loop needs stay resident: no major fault in the poller. */
	if (mlockall(MCL_CURRENT) < 0) {
		cap_log(LOG_WARNING, "mlockall: %s: pages may be swapped out under pressure",
			strerror(errno));
	}
	/*
	 * Start-up is over: every file, socket, device and hugepage the capture needs is open and
	 * mapped, and memory is locked.  From here on nothing needs a capability (IGMP goes out
	 * through a DPDK TX queue, the clock is read from open descriptors), so every thread of
	 * the process, the EAL's included, drops them all before the poller's loop starts.
	 */
	rc = capture_drop_privileges(CAPTURE_KEEP_CAPS, &i, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		goto out_ports;
	}
	cap_log(LOG_INFO, "capabilities dropped in %d thread(s)", i);
	rc = rte_eal_remote_launch(cap_poller_main, cx, (unsigned)o->poller_lcore);
	if (rc < 0) {
		fprintf(stderr, PROG ": cannot start the poller on CPU %d: %s\n", o->poller_lcore,
			strerror(-rc));
		goto out_ports;
	}
	cap_log(LOG_NOTICE, "capturing %d port(s), %d queue(s) into %s (poller CPU %d)", cx->nports,
		cx->npollq, ringshm_path(ring), o->poller_lcore);
	captured = true;

	cap_control_run(cx, (unsigned)o->poller_lcore);
	atomic_store_explicit(&cx->quit, true, memory_order_relaxed);
	rte_eal_wait_lcore((unsigned)o->poller_lcore);
	cap_control_finish(cx);
	status = CAPTURE_EXIT_OK;

out_ports:
	cap_ports_close(cx);
	rte_ring_free(cx->igmp_q);
out_ctx:
	rte_free(cx);
out_eal:
	cap_eal_cleanup();
out_ring:
	/* A start that failed leaves no new ring (one that was there before is kept). */
	if (!captured && !existed && ring) {
		remove_new_ring(ring, link);
	}
	ringshm_close(ring);
	fcc_free(cfg);
	return status;
}
