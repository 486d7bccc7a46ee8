/* SPDX-License-Identifier: BSD-3-Clause */
/* fcreader.h compiles on its own (built, never run: the check is that this file compiles). */
#include "fcreader.h"

int fcr_header_check_dummy(void);
int fcr_header_check_dummy(void)
{
	return (int)sizeof(struct fcr_pkt);
}
