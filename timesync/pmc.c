/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pmc.c - a native client of ptp4l's UNIX management socket, what `pmc -u` does.
 *
 * The message is an IEEE 1588-2008 management message (section 15), the same bytes ptp4l
 * accepts on the network, sent as one datagram to ptp4l's uds_address from a socket bound to
 * a path of our own (ptp4l answers to the sender's address, so an unbound client never hears
 * back):
 *
 *   offset  0  common header, 34 bytes
 *                0 transportSpecific|messageType (0x0D: management)
 *                1 versionPTP (2)            2 messageLength (be16)
 *                4 domainNumber              5 reserved
 *                6 flagField (2)             8 correctionField (8)
 *               16 reserved (4)             20 sourcePortIdentity (clockIdentity 8, port be16)
 *               30 sequenceId (be16)        32 controlField (4: management)
 *               33 logMessageInterval (0x7f)
 *   offset 34  targetPortIdentity (10): all ones = every port of the clock
 *   offset 44  startingBoundaryHops, boundaryHops, actionField (low nibble: 0 GET,
 *              2 RESPONSE), reserved
 *   offset 48  TLV: tlvType (be16: 1 MANAGEMENT, 2 MANAGEMENT_ERROR_STATUS), lengthField (be16),
 *              managementId (be16), data
 *
 * A GET carries a zero-filled data field of the data set's size, as pmc sends by default.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "timesync_internal.h"

#define PTP_HDR_LEN	34
#define MGMT_HDR_LEN	48
#define TLV_HDR_LEN	4
#define MSG_MANAGEMENT	0x0D
#define CTL_MANAGEMENT	4
#define ACTION_GET	0
#define ACTION_RESPONSE 2
#define TLV_MANAGEMENT	0x0001
#define TLV_MGMT_ERROR	0x0002
#define LINGER_MS	20 /* after the first response: wait this long for other ports */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* Size of the data set in a GET's data field (what pmc sends without -z). */
static uint16_t get_datalen(uint16_t mid)
{
	switch (mid) {
	case PMC_MID_TIME_STATUS_NP:
		return 50;
	case PMC_MID_PORT_DATA_SET:
		return 26;
	case PMC_MID_TIME_PROPERTIES_DATA_SET:
		return 4;
	default:
		return 0;
	}
}

size_t pmc_encode_get(uint8_t *buf, size_t len, uint16_t mid, uint16_t seq, uint8_t domain,
		      uint16_t port_number)
{
	uint16_t dlen = get_datalen(mid);
	size_t total = MGMT_HDR_LEN + TLV_HDR_LEN + 2 + dlen;

	if (len < total) {
		return 0;
	}
	memset(buf, 0, total);
	buf[0] = MSG_MANAGEMENT;
	buf[1] = 2;
	put16(buf + 2, (uint16_t)total);
	buf[4] = domain;
	/* sourcePortIdentity: clockIdentity zero, portNumber = our pid (as pmc does). */
	put16(buf + 28, port_number);
	put16(buf + 30, seq);
	buf[32] = CTL_MANAGEMENT;
	buf[33] = 0x7f;
	memset(buf + 34, 0xff, 10); /* every port */
	buf[44] = 0;		    /* boundary hops: 0, the clock answering is the one we ask */
	buf[45] = 0;
	buf[46] = ACTION_GET;
	put16(buf + 48, TLV_MANAGEMENT);
	put16(buf + 50, (uint16_t)(2 + dlen));
	put16(buf + 52, mid);
	return total;
}

int pmc_decode(const uint8_t *buf, size_t len, uint16_t seq, uint16_t mid, struct pmc_resp *r)
{
	uint16_t msglen, tlv_type, tlv_len;

	if (len < MGMT_HDR_LEN + TLV_HDR_LEN) {
		return -EPROTO;
	}
	if ((buf[0] & 0x0f) != MSG_MANAGEMENT || (buf[1] & 0x0f) != 2) {
		return -EAGAIN;
	}
	msglen = get16(buf + 2);
	if (msglen > len || msglen < MGMT_HDR_LEN + TLV_HDR_LEN) {
		return -EPROTO;
	}
	if (get16(buf + 30) != seq || (buf[46] & 0x0f) != ACTION_RESPONSE) {
		return -EAGAIN;
	}
	tlv_type = get16(buf + MGMT_HDR_LEN);
	tlv_len = get16(buf + MGMT_HDR_LEN + 2);
	if (MGMT_HDR_LEN + TLV_HDR_LEN + (size_t)tlv_len > msglen) {
		return -EPROTO;
	}
	memset(r, 0, offsetof(struct pmc_resp, data));
	r->error = 0;
	memcpy(r->src_clock, buf + 20, 8);
	r->src_port = get16(buf + 28);
	if (tlv_type == TLV_MGMT_ERROR) {
		/* managementErrorId, managementId, reserved (4), displayData */
		if (tlv_len < 8) {
			return -EPROTO;
		}
		r->error = get16(buf + MGMT_HDR_LEN + 4);
		r->mid = get16(buf + MGMT_HDR_LEN + 6);
		r->len = 0;
		return r->mid == mid ? 0 : -EAGAIN;
	}
	if (tlv_type != TLV_MANAGEMENT || tlv_len < 2) {
		return -EPROTO;
	}
	r->mid = get16(buf + MGMT_HDR_LEN + 4);
	if (r->mid != mid) {
		return -EAGAIN;
	}
	r->len = (uint16_t)(tlv_len - 2);
	if (r->len > sizeof(r->data)) {
		return -EPROTO;
	}
	memcpy(r->data, buf + MGMT_HDR_LEN + 6, r->len);
	return 0;
}

/*
 * Sockets of clients that died without closing (SIGKILL, a crash) stay in the directory; the
 * next client removes those whose process is gone, so they cannot pile up in /run.
 */
static void reclaim_dead(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL) {
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
		unsigned n;
		int pid;

		if (sscanf(e->d_name, "feedcap-pmc.%d.%u", &pid, &n) != 2 || pid <= 0) {
			continue;
		}
		if (kill(pid, 0) == 0 || errno != ESRCH) {
			continue;
		}
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < (int)sizeof(path)) {
			unlink(path);
		}
	}
	closedir(d);
}

int pmc_open(struct pmc_client *c, const char *ptp4l_path, const char *dir, uint8_t domain,
	     uint32_t timeout_ms)
{
	static atomic_uint counter;
	struct sockaddr_un local;
	int n;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->domain = domain;
	c->timeout_ms = timeout_ms;
	c->seq = (uint16_t)getpid();
	if (strlen(ptp4l_path) >= sizeof(c->peer.sun_path)) {
		return -ENAMETOOLONG;
	}
	c->peer.sun_family = AF_UNIX;
	strcpy(c->peer.sun_path, ptp4l_path);
	n = snprintf(c->local, sizeof(c->local), "%s/feedcap-pmc.%d.%u", dir, (int)getpid(),
		     atomic_fetch_add(&counter, 1));
	if (n < 0 || (size_t)n >= sizeof(c->local)) {
		return -ENAMETOOLONG;
	}
	c->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		return -errno;
	}
	memset(&local, 0, sizeof(local));
	local.sun_family = AF_UNIX;
	strcpy(local.sun_path, c->local);
	reclaim_dead(dir);
	unlink(c->local); /* a leftover of a process that had our pid */
	if (bind(c->fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		int e = errno;

		close(c->fd);
		c->fd = -1;
		c->local[0] = '\0';
		return -e;
	}
	/* ptp4l runs as root; a client of another user must be reachable for its answers. */
	chmod(c->local, 0660);
	return 0;
}

void pmc_close(struct pmc_client *c)
{
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	if (c->local[0] != '\0') {
		unlink(c->local);
		c->local[0] = '\0';
	}
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int pmc_get(struct pmc_client *c, uint16_t mid, struct pmc_resp *out, int max)
{
	uint8_t buf[1600];
	size_t len;
	uint64_t deadline;
	int got = 0;

	/* Answers to an earlier request that timed out must not be taken for this one. */
	while (recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
	}
	c->seq++;
	len = pmc_encode_get(buf, sizeof(buf), mid, c->seq, c->domain, (uint16_t)getpid());
	if (sendto(c->fd, buf, len, 0, (struct sockaddr *)&c->peer, sizeof(c->peer)) < 0) {
		return -errno;
	}
	deadline = mono_ms() + c->timeout_ms;
	while (got < max) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		uint64_t now = mono_ms();
		ssize_t n;
		int rc;

		if (now >= deadline) {
			break;
		}
		rc = poll(&pfd, 1, (int)(deadline - now));
		if (rc < 0 && errno == EINTR) {
			continue;
		}
		if (rc <= 0) {
			break;
		}
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				continue;
			}
			return got > 0 ? got : -errno;
		}
		if (pmc_decode(buf, (size_t)n, c->seq, mid, &out[got]) == 0) {
			if (got == 0 && deadline > mono_ms() + LINGER_MS) {
				deadline = mono_ms() + LINGER_MS;
			}
			got++;
		}
	}
	return got;
}
