/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xstats.c - which of a PMD's extended statistics are drops, and of which stage.
 *
 * rte_eth_stats has three drop counters (imissed, ierrors, rx_nombuf), and PMDs fill them
 * differently: mlx5's imissed is only out_of_buffer, while its physical-port discards
 * (rx_discards_phy) exist only as an extended statistic.  So every extended statistic whose
 * name says it is a drop is read too, kept under its own PMD name, and folded into a stage:
 *
 *   discard   the port discarded the frame before any queue (PHY, MAC, buffer): "discard",
 *             "drop"
 *   missed    no RX descriptor: "missed", "out_of_buffer", "no_desc"
 *   nobuf     no mbuf: "nombuf", "no_mbuf", "alloc_fail"
 *   error     a bad frame: "error", "crc", "oversize", "undersize", "jabber", "fragment",
 *             "length", "symbol", "runt"
 *   filtered  dropped on purpose (a multicast or flow filter feedcap set up): "filter",
 *             "flow_drop"; not a loss
 *
 * ethdev's own generic entries (rx_good_packets, rx_missed_errors = imissed, rx_errors =
 * ierrors, rx_mbuf_allocation_errors = rx_nombuf, per-queue rx_qN_*) repeat rte_eth_stats and
 * are left out, as is everything on the TX side and PAUSE frame counts (not drops).
 */
#include <ctype.h>
#include <string.h>

#include "capture.h"

static bool has(const char *s, const char *word)
{
	return strstr(s, word) != NULL;
}

int capture_xstat_stage(const char *name)
{
	static const char *const generic[] = { "rx_good_packets", "rx_good_bytes",
					       "rx_missed_errors", "rx_errors",
					       "rx_mbuf_allocation_errors" };
	char s[64];
	size_t i;

	for (i = 0; name[i] && i < sizeof(s) - 1; i++) {
		s[i] = (char)tolower((unsigned char)name[i]);
	}
	s[i] = '\0';
	if (!strncmp(s, "tx_", 3) || has(s, "_tx_") || has(s, "pause") || has(s, "xon") ||
	    has(s, "xoff")) {
		return -1;
	}
	if (!strncmp(s, "rx_q", 4) && isdigit((unsigned char)s[4])) {
		return -1;
	}
	for (i = 0; i < sizeof(generic) / sizeof(generic[0]); i++) {
		if (!strcmp(s, generic[i])) {
			return -1;
		}
	}
	if (has(s, "filter") || has(s, "flow_drop")) {
		return CAPTURE_STAGE_FILTERED;
	}
	if (has(s, "discard") || has(s, "drop")) {
		return CAPTURE_STAGE_DISCARD;
	}
	if (has(s, "missed") || has(s, "out_of_buffer") || has(s, "no_desc") || has(s, "nodesc")) {
		return CAPTURE_STAGE_MISSED;
	}
	if (has(s, "nombuf") || has(s, "no_mbuf") || has(s, "no_buf") || has(s, "alloc_fail")) {
		return CAPTURE_STAGE_NOBUF;
	}
	if (has(s, "error") || has(s, "crc") || has(s, "oversize") || has(s, "undersize") ||
	    has(s, "jabber") || has(s, "fragment") || has(s, "length") || has(s, "symbol") ||
	    has(s, "runt")) {
		return CAPTURE_STAGE_ERROR;
	}
	return -1;
}

const char *capture_stage_name(int stage)
{
	static const char *const names[CAPTURE_NSTAGES] = { "discard", "missed", "nobuf", "error",
							    "filtered" };

	return stage >= 0 && stage < CAPTURE_NSTAGES ? names[stage] : "?";
}

bool capture_xstat_is_oversize(const char *name)
{
	return has(name, "oversize") || has(name, "jabber") || has(name, "too_long") ||
	       has(name, "length_err");
}
