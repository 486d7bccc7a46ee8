/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP guard: a small process that takes the net_af_xdp PMD's XDP program off its
 * interfaces when feedcap-capture exits, however it exits.
 *
 * The PMD attaches an XDP program to every af_xdp interface and detaches it in
 * rte_eth_dev_close().  Detaching needs CAP_NET_ADMIN, which the capture has dropped long
 * before it closes its ports (capture_drop_privileges()); and a capture that is killed never
 * closes them at all.  Either way the program stays attached, the interface keeps steering
 * frames to sockets that no longer exist, and the next af_xdp start on it fails ("Existing
 * program is not using a dispatcher").
 *
 * So, while it still holds its capabilities, the capture spawns itself as the guard
 * (posix_spawn, no fork of a process mapping gigabytes of hugepages) with the read end of a
 * pipe whose write end only the capture holds.  The guard keeps CAP_NET_ADMIN and nothing
 * else, ignores the signals an operator or systemd sends to the whole group, and waits for the
 * pipe to close: that happens when the capture process is gone, whether it returned from
 * main() or was killed.  Then, for every interface, it detaches the program if it is still the
 * one the capture started with (another program attached since is someone else's).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/if_link.h>

#include <bpf/libbpf.h>

#include "capture.h"
#include "xdpguard.h"

#define GUARD_FD 3

/* The program attached to ifindex and the flag that names its mode; 0 if none. */
static uint32_t attached_prog(int ifindex, uint32_t *mode_flag)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q) != 0) {
		return 0;
	}
	switch (q.attach_mode) {
	case XDP_ATTACHED_DRV:
		*mode_flag = XDP_FLAGS_DRV_MODE;
		return q.drv_prog_id;
	case XDP_ATTACHED_SKB:
		*mode_flag = XDP_FLAGS_SKB_MODE;
		return q.skb_prog_id;
	case XDP_ATTACHED_HW:
		*mode_flag = XDP_FLAGS_HW_MODE;
		return q.hw_prog_id;
	case XDP_ATTACHED_MULTI:
		*mode_flag = q.drv_prog_id ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
		return q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
	default:
		return 0;
	}
}

int capture_xdp_guard_spawn(const unsigned *ifindex, int n, int *keep_fd, pid_t *pid, char *err,
			    size_t errlen)
{
	char args[CAPTURE_MAX_VDEVS][32];
	char *argv[CAPTURE_MAX_VDEVS + 3];
	posix_spawn_file_actions_t fa;
	int p[2], i, argc = 0, rc;
	uint32_t mode;

	if (n <= 0 || n > CAPTURE_MAX_VDEVS) {
		snprintf(err, errlen, "XDP guard: %d interfaces", n);
		return -EINVAL;
	}
	argv[argc++] = (char *)"feedcap-capture";
	argv[argc++] = (char *)"--xdp-guard";
	for (i = 0; i < n; i++) {
		uint32_t id = attached_prog((int)ifindex[i], &mode);

		snprintf(args[i], sizeof(args[i]), "%u:%" PRIu32, ifindex[i], id);
		argv[argc++] = args[i];
	}
	argv[argc] = NULL;
	/* The write end stays with us only (close-on-exec); the read end becomes the guard's
	 * descriptor 3, everything else of ours is closed in the guard. */
	if (pipe2(p, O_CLOEXEC) != 0) {
		rc = -errno;
		snprintf(err, errlen, "XDP guard: pipe: %s", strerror(errno));
		return rc;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[0], GUARD_FD);
	posix_spawn_file_actions_addclosefrom_np(&fa, GUARD_FD + 1);
	rc = posix_spawn(pid, "/proc/self/exe", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[0]);
	if (rc != 0) {
		close(p[1]);
		snprintf(err, errlen, "XDP guard: cannot start /proc/self/exe: %s", strerror(rc));
		return -rc;
	}
	*keep_fd = p[1];
	return 0;
}

bool capture_is_xdp_guard(int argc, char **argv)
{
	return argc >= 2 && !strcmp(argv[1], "--xdp-guard");
}

int capture_xdp_guard_main(int argc, char **argv)
{
	const uint64_t keep = UINT64_C(1) << CAP_NET_ADMIN;
	char err[256], name[IF_NAMESIZE], buf[64];
	int i, rc, status = CAPTURE_EXIT_OK;
	ssize_t r;

	/* SIGTERM to the service's group, ^C to the terminal's: the capture handles those and
	 * exits; the guard outlives it. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	if (capture_drop_privileges(keep, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "feedcap-capture[xdp-guard]: %s\n", err);
	}
	do {
		r = read(GUARD_FD, buf, sizeof(buf));
	} while (r > 0 || (r < 0 && errno == EINTR));

	for (i = 2; i < argc; i++) {
		unsigned ifindex = 0;
		uint32_t want = 0, now, mode = 0;

		if (sscanf(argv[i], "%u:%" SCNu32, &ifindex, &want) != 2 || !ifindex || !want) {
			continue;
		}
		if (!if_indextoname(ifindex, name)) {
			snprintf(name, sizeof(name), "ifindex %u", ifindex);
		}
		now = attached_prog((int)ifindex, &mode);
		if (now != want) {
			if (now) {
				fprintf(stderr,
					"feedcap-capture[xdp-guard]: %s: XDP program %" PRIu32
					" is not the capture's (%" PRIu32 "): left attached\n",
					name, now, want);
			}
			continue;
		}
		rc = bpf_xdp_detach((int)ifindex, mode, NULL);
		if (rc != 0) {
			fprintf(stderr,
				"feedcap-capture[xdp-guard]: %s: cannot detach XDP program %" PRIu32
				": %s; run: ip link set dev %s xdp off\n",
				name, now, strerror(-rc), name);
			status = CAPTURE_EXIT_FAILURE;
		} else {
			fprintf(stderr,
				"feedcap-capture[xdp-guard]: %s: XDP program %" PRIu32
				" detached\n",
				name, now);
		}
	}
	return status;
}
