/* SPDX-License-Identifier: BSD-3-Clause */
/* archset.h compiles on its own. */
#include "archset.h"
