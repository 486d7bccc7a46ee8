/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcapng_convert.c - the numbers pcapng and libpcap (or feedcap) write differently: link types
 * (a LINKTYPE_* in a file, a DLT_* in libpcap) and timestamps (if_tsresol units and
 * if_tsoffset seconds, to nanoseconds since the epoch).  The archive writer uses them too.
 */
#include <stdint.h>

#include <pcap/pcap.h>

#include "pcapng_read_internal.h"

int fcr_ng_dlt(uint32_t lt)
{
	switch (lt) {
	case 101: /* LINKTYPE_RAW */
		return DLT_RAW;
	case 100: /* LINKTYPE_ATM_RFC1483 */
		return DLT_ATM_RFC1483;
	case 102:
		return DLT_SLIP_BSDOS;
	case 103:
		return DLT_PPP_BSDOS;
	default:
		return (int)lt;
	}
}

uint32_t fcr_ng_linktype(int dlt)
{
	switch (dlt) {
	case DLT_RAW:
#if DLT_RAW != 14
	case 14: /* OpenBSD's DLT_RAW */
#endif
		return 101;
	case DLT_ATM_RFC1483:
		return 100;
	case DLT_SLIP_BSDOS:
		return 102;
	case DLT_PPP_BSDOS:
		return 103;
	default:
		return (uint32_t)dlt;
	}
}

/* Units per second of if_tsresol res, 0 if it does not fit 64 bits. */
uint64_t fcr_ng_res_units(uint8_t res)
{
	uint64_t u = 1;

	if (res & 0x80) {
		return (res & 0x7f) < 64 ? UINT64_C(1) << (res & 0x7f) : 0;
	}
	if (res > 19) {
		return 0;
	}
	for (uint8_t i = 0; i < res; i++) {
		u *= 10;
	}
	return u;
}

uint64_t fcr_ng_units_to_ns(uint64_t ts, uint8_t res, int64_t tsoffset)
{
	uint64_t u = fcr_ng_res_units(res);
	unsigned __int128 ns;
	__int128 v;

	if (u == 0) {
		u = 1000000;
	}
	ns = (unsigned __int128)(ts / u) * 1000000000u +
	     (unsigned __int128)(ts % u) * 1000000000u / u;
	v = (__int128)ns + (__int128)tsoffset * 1000000000;
	if (v < 0) {
		return 0;
	}
	return v > (__int128)UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}
