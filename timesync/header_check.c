/* SPDX-License-Identifier: BSD-3-Clause */
/* Compiles timesync.h on its own: it must pull in everything it needs. */
#include "timesync.h"
