/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench-live-send - replay the frames of a pcap file out of one interface as fast as this
 * core allows (or at a given rate), bounded in count and time.
 *
 *	bench-live-send -i IFACE -r FILE.pcap [-c COUNT] [-t SECONDS] [--rate PPS] [--stamp]
 *
 * The file (tests/data/marketdata.pcap, feedcap-gendata's synthetic multicast market data)
 * is read once with libpcap into memory; the frames are then sent in turn, looping over the
 * file, through an AF_PACKET socket with sendmmsg() in batches of 64 and the qdisc bypassed
 * (PACKET_QDISC_BYPASS), which is the fastest plain-socket path into a veth.  Every tool in
 * bench-live sees the same frames in the same order.
 *
 * --stamp (latency runs): the last 16 bytes of each frame are overwritten with a magic and the
 * CLOCK_REALTIME nanoseconds just before the send, one frame per sendmmsg(), so a ring reader
 * (bench-latency --stamped) can measure sender-to-ring time.  The UDP checksum is then stale;
 * nothing on the capture path checks it.
 *
 * Prints one line on stdout:  SENT <frames> <seconds> <pps> <send-errors>
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH	    64
#define STAMP_MAGIC UINT64_C(0x66656564636170ff) /* must match bench-latency */

struct frame {
	uint8_t *data;
	uint32_t len;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int load(const char *file, struct frame **out, size_t *n)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	struct frame *v = NULL;
	size_t cap = 0, k = 0;
	pcap_t *p;
	int rc;

	p = pcap_open_offline(file, errbuf);
	if (!p) {
		fprintf(stderr, "bench-live-send: %s\n", errbuf);
		return -1;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		fprintf(stderr, "bench-live-send: %s: not an Ethernet capture\n", file);
		pcap_close(p);
		return -1;
	}
	while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
		if (h->caplen < 14 || h->caplen > 9000) {
			continue;
		}
		if (k == cap) {
			cap = cap ? cap * 2 : 4096;
			v = realloc(v, cap * sizeof(*v));
			if (!v) {
				perror("bench-live-send: realloc");
				exit(1);
			}
		}
		v[k].data = malloc(h->caplen);
		if (!v[k].data) {
			perror("bench-live-send: malloc");
			exit(1);
		}
		memcpy(v[k].data, d, h->caplen);
		v[k].len = h->caplen;
		k++;
	}
	if (rc == -1) {
		fprintf(stderr, "bench-live-send: %s: %s\n", file, pcap_geterr(p));
	}
	pcap_close(p);
	*out = v;
	*n = k;
	return k ? 0 : -1;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench-live-send -i IFACE -r FILE.pcap [-c COUNT] [-t SECONDS] "
			"[--rate PPS] [--stamp]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *ifname = NULL, *file = NULL;
	uint64_t count = 1000000, sent = 0, errors = 0, t0, t1, deadline, period = 0, next;
	double seconds = 10, rate = 0;
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll sll;
	bool stamp = false;
	struct frame *fr;
	size_t nfr, idx = 0;
	int fd, one = 1, batch;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-i") && i + 1 < argc) {
			ifname = argv[++i];
		} else if (!strcmp(argv[i], "-r") && i + 1 < argc) {
			file = argv[++i];
		} else if (!strcmp(argv[i], "-c") && i + 1 < argc) {
			count = strtoull(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "-t") && i + 1 < argc) {
			seconds = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--rate") && i + 1 < argc) {
			rate = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--stamp")) {
			stamp = true;
		} else {
			return usage();
		}
	}
	if (!ifname || !file || count == 0 || seconds <= 0) {
		return usage();
	}
	if (load(file, &fr, &nfr) < 0) {
		return 1;
	}
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("bench-live-send: socket(AF_PACKET)");
		return 1;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "bench-live-send: %s: no such interface\n", ifname);
		return 1;
	}
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		fprintf(stderr, "bench-live-send: bind %s: %s\n", ifname, strerror(errno));
		return 1;
	}
	/* Straight to the driver: no qdisc, as a kernel-bypass sender would. */
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	batch = stamp || rate > 0 ? 1 : BATCH;
	if (rate > 0) {
		period = (uint64_t)(1e9 / rate);
	}
	memset(msgs, 0, sizeof(msgs));
	t0 = now_ns(CLOCK_MONOTONIC);
	deadline = t0 + (uint64_t)(seconds * 1e9);
	next = t0;
	while (sent < count && !stop) {
		int n = (int)(count - sent < (uint64_t)batch ? count - sent : (uint64_t)batch), k;
		uint64_t t = now_ns(CLOCK_MONOTONIC);

		if (t >= deadline) {
			break;
		}
		if (period) {
			/* Sleep, not spin: the ring reader under test shares this core. */
			if (t < next) {
				struct timespec ts = { .tv_sec = (time_t)(next / 1000000000u),
						       .tv_nsec = (long)(next % 1000000000u) };

				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
			}
			next += period;
		}
		for (int i = 0; i < n; i++) {
			struct frame *f = &fr[(idx + (size_t)i) % nfr];

			if (stamp && f->len >= 14 + 28 + 16) {
				uint64_t m = STAMP_MAGIC, ts = now_ns(CLOCK_REALTIME);

				memcpy(f->data + f->len - 16, &m, 8);
				memcpy(f->data + f->len - 8, &ts, 8);
			}
			iov[i].iov_base = f->data;
			iov[i].iov_len = f->len;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		k = sendmmsg(fd, msgs, (unsigned int)n, 0);
		if (k < 0) {
			/* ENOBUFS: the device queue is full; count it and try again. */
			errors++;
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "bench-live-send: sendmmsg: %s\n", strerror(errno));
				break;
			}
			continue;
		}
		sent += (uint64_t)k;
		idx = (idx + (size_t)k) % nfr;
	}
	t1 = now_ns(CLOCK_MONOTONIC);
	printf("SENT %llu %.3f %.0f %llu\n", (unsigned long long)sent, (double)(t1 - t0) / 1e9,
	       (double)sent / ((double)(t1 - t0) / 1e9), (unsigned long long)errors);
	close(fd);
	return 0;
}
