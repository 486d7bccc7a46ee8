/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * timesync_internal.h - private to the timesync library: the linuxptp management client.
 */
#ifndef TIMESYNC_INTERNAL_H
#define TIMESYNC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

/* IEEE 1588 management IDs (linuxptp tlv.h) feedcap asks for. */
#define PMC_MID_TIME_PROPERTIES_DATA_SET 0x2003
#define PMC_MID_PORT_DATA_SET		 0x2004
#define PMC_MID_TIME_STATUS_NP		 0xC000
#define PMC_MID_PORT_PROPERTIES_NP	 0xC004

/* One management response: which port sent it, and the TLV's data. */
struct pmc_resp {
	uint16_t mid;
	uint16_t src_port; /* sourcePortIdentity.portNumber (0 = the clock itself) */
	uint8_t src_clock[8];
	uint16_t len;	    /* bytes of data */
	uint8_t data[1500]; /* management TLV data, wire (big-endian) order */
	uint16_t error;	    /* managementErrorId if ptp4l answered with an error, else 0 */
};

struct pmc_client {
	int fd;
	struct sockaddr_un peer;
	char local[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint16_t seq;
	uint8_t domain;
	uint32_t timeout_ms;
};

/* Bind a unique local socket under dir; remember ptp4l's path.  @return 0 or -errno. */
int pmc_open(struct pmc_client *c, const char *ptp4l_path, const char *dir, uint8_t domain,
	     uint32_t timeout_ms);
void pmc_close(struct pmc_client *c);

/*
 * pmc_get - send a management GET for mid to every port (wildcard target) and collect the
 * responses: waits up to timeout_ms for the first, then a short while for more (one per port).
 * @return the number of responses stored in out (<= max), 0 if none came, or -errno of the
 *         send (ENOENT / ECONNREFUSED: no ptp4l at that path).
 */
int pmc_get(struct pmc_client *c, uint16_t mid, struct pmc_resp *out, int max);

/* Encode a GET into buf (exposed for the unit tests).  @return its length. */
size_t pmc_encode_get(uint8_t *buf, size_t len, uint16_t mid, uint16_t seq, uint8_t domain,
		      uint16_t port_number);

/*
 * Decode one received message.  @return 0 with *r filled; -EAGAIN for a message that is not
 * a management response to (seq, mid); -EPROTO for a malformed one.
 */
int pmc_decode(const uint8_t *buf, size_t len, uint16_t seq, uint16_t mid, struct pmc_resp *r);

#endif /* TIMESYNC_INTERNAL_H */
