/* SPDX-License-Identifier: BSD-3-Clause */
/* xdpguard.h - feedcap-capture's XDP guard (xdpguard.c).  Never installed. */
#ifndef CAPTURE_XDPGUARD_H
#define CAPTURE_XDPGUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * The XDP guard (xdpguard.c): a process that detaches the net_af_xdp PMD's XDP programs from
 * their interfaces once the capture is gone, however it went.  capture_xdp_guard_spawn()
 * records the program attached now to each of the n interfaces and starts the guard (this
 * executable, "--xdp-guard"); *keep_fd is the pipe the capture keeps open for as long as it
 * lives, never to be closed by hand.  main() hands over to capture_xdp_guard_main() when
 * capture_is_xdp_guard().
 * @return 0, or -errno with err saying what failed.
 */
int capture_xdp_guard_spawn(const unsigned *ifindex, int n, int *keep_fd, pid_t *pid, char *err,
			    size_t errlen);
bool capture_is_xdp_guard(int argc, char **argv);
int capture_xdp_guard_main(int argc, char **argv);

#endif /* CAPTURE_XDPGUARD_H */
