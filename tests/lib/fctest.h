/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fctest.h - what the Criterion tests share (tests/lib/fctest.c, linked into each of them).
 */
#ifndef FCTEST_H
#define FCTEST_H

/*
 * fctest_ring_group - the group to give the rings a test creates (struct ringshm_params
 * .group).  NULL (ringshm's default: group feedcap when it exists) for root and for members
 * of feedcap; otherwise this process's own gid, as a number, so that the unit tests run as
 * any user: the library refuses, rightly, to give a ring to a group its creator is not in.
 * The string is static: valid for the life of the process.
 */
const char *fctest_ring_group(void);

#endif
