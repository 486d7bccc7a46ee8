/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * capture-testtool: the capture tests' helper, reading rings with ringshm's reader API and
 * pcaps with libpcap (the independent oracle), and making traffic for the live tests.
 *
 *   capture-testtool cmp RING PCAP [--snaplen N] [--any-ts]
 *       every FRAME record of RING, oldest first, equals the next packet of PCAP: bytes,
 *       captured and wire length, timestamp to the microsecond (net_pcap's precision);
 *       no record left over on either side.
 *   capture-testtool topcap RING OUT.pcap
 *       write the ring's FRAME records to a nanosecond pcap (for tshark).
 *   capture-testtool seqcheck RING UDPPORT
 *       count the FRAME records carrying UDP to UDPPORT whose payload starts with a 64-bit
 *       sequence number (from `send`): prints frames=, in_order=, dups=, ts_sorted=.
 *   capture-testtool markers RING
 *       count the marker records (EPOCH, LOSS, CLOCK) and sum what the LOSS records report.
 *   capture-testtool probes RING
 *       one line per net_fcsim probe: index, record ts and flags, the probe's REALTIME and stamp
 *   capture-testtool clock RING
 *       the ring's clock block (state, ptp4l reachable, TSC model) and the FRAME records'
 *       timestamp flags: frames_sync=, frames_holdover=, frames_src_tsc=, ...
 *   capture-testtool counters RING
 *       the ring header's counters and ports, as KEY=VALUE lines.
 *   capture-testtool send GROUP PORT COUNT SIZE
 *       COUNT UDP datagrams of SIZE payload bytes to GROUP:PORT (TTL 1), sequence numbered.
 *   capture-testtool query IFACE [GROUP] [MAXRESP_DS] [V3]
 *       one IGMP membership query from IFACE (general, or group-specific), TTL 1, Router Alert.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture.h"
#include "ringshm.h"
#include "timesync.h"

static struct ringshm_reader *open_ring(const char *path)
{
	struct ringshm_error err;
	struct ringshm_reader *rd;

	memset(&err, 0, sizeof(err));
	rd = ringshm_reader_open(path, &err);
	if (!rd) {
		fprintf(stderr, "capture-testtool: %s: %s\n", path,
			err.msg[0] ? err.msg : strerror(errno));
		exit(2);
	}
	if (ringshm_reader_seek(rd, RINGSHM_FROM_OLDEST, 0) < 0) {
		fprintf(stderr, "capture-testtool: %s: cannot seek to the oldest record\n", path);
		exit(2);
	}
	return rd;
}

/* The next FRAME record, copied out and validated; 0 at the head, -1 on a corrupt ring. */
static int next_frame(struct ringshm_reader *rd, struct ringshm_record *rec, uint8_t *buf)
{
	int rc;

	for (;;) {
		rc = ringshm_reader_next(rd, rec);
		if (rc <= 0) {
			return rc < 0 ? -1 : 0;
		}
		if (rec->type != RINGSHM_REC_FRAME) {
			ringshm_reader_done(rd);
			continue;
		}
		memcpy(buf, rec->data, rec->cap_len);
		if (!ringshm_reader_done(rd)) {
			fprintf(stderr, "capture-testtool: record at %" PRIu64 " overwritten\n",
				rec->pos);
			return -1;
		}
		rec->data = buf;
		return 1;
	}
}

static int cmd_cmp(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	static uint8_t buf[65536];
	struct ringshm_reader *rd;
	struct ringshm_record rec;
	struct pcap_pkthdr *h;
	const u_char *pkt;
	uint64_t n = 0, pts;
	uint32_t snaplen = 0, want_cap, want_wire;
	bool any_ts = false; /* a PMD whose times are not the file's (net_fcsim) */
	pcap_t *p;
	int rc, bad = 0;

	if (argc < 4) {
		return 2;
	}
	for (int i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "--snaplen") && i + 1 < argc) {
			snaplen = (uint32_t)atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--any-ts")) {
			any_ts = true;
		}
	}
	p = pcap_open_offline_with_tstamp_precision(argv[3], PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p) {
		fprintf(stderr, "capture-testtool: %s\n", errbuf);
		return 2;
	}
	rd = open_ring(argv[2]);
	for (;;) {
		rc = pcap_next_ex(p, &h, &pkt);
		if (rc == PCAP_ERROR_BREAK) {
			break;
		}
		if (rc != 1) {
			fprintf(stderr, "capture-testtool: %s: %s\n", argv[3], pcap_geterr(p));
			return 2;
		}
		rc = next_frame(rd, &rec, buf);
		if (rc <= 0) {
			printf("MISSING: pcap frame %" PRIu64 " and after are not in the ring\n",
			       n + 1);
			return 1;
		}
		n++;
		want_cap = h->caplen;
		if (snaplen && want_cap > snaplen) {
			want_cap = snaplen;
		}
		want_wire = h->len > RINGSHM_MAX_CAPLEN ? RINGSHM_MAX_CAPLEN : h->len;
		pts = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
		if (rec.cap_len != want_cap || rec.wire_len != want_wire) {
			printf("frame %" PRIu64 ": lengths cap %u wire %u, pcap cap %u wire %u\n",
			       n, rec.cap_len, rec.wire_len, want_cap, want_wire);
			bad++;
		} else if (memcmp(rec.data, pkt, want_cap)) {
			printf("frame %" PRIu64 ": bytes differ (%u bytes)\n", n, want_cap);
			bad++;
		}
		/* net_pcap hands the time over in microseconds: compare at that precision. */
		if (!any_ts && (rec.ts_ns / 1000 != pts / 1000 || rec.ts_ns % 1000)) {
			printf("frame %" PRIu64 ": timestamp %" PRIu64 " ns, pcap %" PRIu64 " ns\n",
			       n, rec.ts_ns, pts);
			bad++;
		}
		if (bad > 20) {
			break;
		}
	}
	if (!bad && next_frame(rd, &rec, buf) > 0) {
		printf("EXTRA: the ring holds more frames than the pcap's %" PRIu64 "\n", n);
		bad++;
	}
	printf("compared %" PRIu64 " frames, %d mismatches\n", n, bad);
	pcap_close(p);
	ringshm_reader_close(rd);
	return bad ? 1 : 0;
}

static int cmd_topcap(int argc, char **argv)
{
	static uint8_t buf[65536];
	struct ringshm_reader *rd;
	struct ringshm_record rec;
	struct pcap_pkthdr h;
	pcap_dumper_t *d;
	pcap_t *p;
	uint64_t n = 0;
	int rc;

	if (argc < 4) {
		return 2;
	}
	p = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
	d = pcap_dump_open(p, argv[3]);
	if (!d) {
		fprintf(stderr, "capture-testtool: %s: %s\n", argv[3], pcap_geterr(p));
		return 2;
	}
	rd = open_ring(argv[2]);
	while ((rc = next_frame(rd, &rec, buf)) > 0) {
		h.ts.tv_sec = (time_t)(rec.ts_ns / 1000000000u);
		h.ts.tv_usec = (suseconds_t)(rec.ts_ns % 1000000000u);
		h.caplen = rec.cap_len;
		h.len = rec.wire_len;
		pcap_dump((u_char *)d, &h, buf);
		n++;
	}
	pcap_dump_close(d);
	pcap_close(p);
	ringshm_reader_close(rd);
	printf("frames=%" PRIu64 "\n", n);
	return rc < 0 ? 1 : 0;
}

static int cmd_seqcheck(int argc, char **argv)
{
	static uint8_t buf[65536];
	struct ringshm_reader *rd;
	struct ringshm_record rec;
	uint64_t frames = 0, others = 0, in_order = 0, dups = 0, gaps = 0, seq, last = 0;
	uint64_t last_ts = 0, unsorted = 0;
	uint16_t port;
	int rc;

	if (argc < 4) {
		return 2;
	}
	port = (uint16_t)atoi(argv[3]);
	rd = open_ring(argv[2]);
	while ((rc = next_frame(rd, &rec, buf)) > 0) {
		const uint8_t *ip = buf + 14;
		uint32_t ihl;

		if (rec.ts_ns < last_ts) {
			unsorted++;
		}
		last_ts = rec.ts_ns;
		if (rec.cap_len < 14 + 20 + 8 + 8 || buf[12] != 0x08 || buf[13] != 0 ||
		    ip[9] != 17) {
			others++;
			continue;
		}
		ihl = (uint32_t)(ip[0] & 0xf) * 4;
		if ((uint16_t)(ip[ihl + 2] << 8 | ip[ihl + 3]) != port) {
			others++;
			continue;
		}
		memcpy(&seq, ip + ihl + 8, 8);
		frames++;
		if (frames > 1 && seq <= last) {
			dups++;
		} else if (frames == 1 || seq == last + 1) {
			in_order++;
		} else {
			gaps += seq - last - 1;
			in_order++;
		}
		last = seq;
	}
	ringshm_reader_close(rd);
	printf("frames=%" PRIu64 "\nothers=%" PRIu64 "\nin_order=%" PRIu64 "\ndups=%" PRIu64
	       "\ngaps=%" PRIu64 "\nlast_seq=%" PRIu64 "\nts_unsorted=%" PRIu64 "\n",
	       frames, others, in_order, dups, gaps, last, unsorted);
	return rc < 0 ? 1 : 0;
}

static int cmd_markers(int argc, char **argv)
{
	struct ringshm_reader *rd;
	struct ringshm_record rec;
	struct ringshm_loss_payload lp;
	uint64_t n[8] = { 0 }, imissed = 0, nombuf = 0, ierrors = 0, discards = 0;
	uint64_t downs = 0, ups = 0;
	int rc;

	if (argc < 3) {
		return 2;
	}
	rd = open_ring(argv[2]);
	while ((rc = ringshm_reader_next(rd, &rec)) > 0) {
		if (rec.type == RINGSHM_REC_LOSS && rec.cap_len >= sizeof(lp)) {
			memcpy(&lp, rec.data, sizeof(lp));
		}
		if (!ringshm_reader_done(rd)) {
			continue;
		}
		n[rec.type & 7]++;
		if (rec.type == RINGSHM_REC_LOSS) {
			imissed += lp.nic_imissed;
			nombuf += lp.nic_rx_nombuf;
			ierrors += lp.nic_ierrors;
			discards += lp.nic_discards;
			if (lp.event == RINGSHM_LOSS_LINK_DOWN ||
			    lp.event == RINGSHM_LOSS_LINK_UP) {
				/* One line per link event, in ring order. */
				printf("link_event=%s port=%u event_ns=%" PRIu64
				       " outage_ns=%" PRIu64 " record_ts_ns=%" PRIu64
				       " seq=%" PRIu64 "\n",
				       lp.event == RINGSHM_LOSS_LINK_DOWN ? "down" : "up", lp.port,
				       lp.event_ns, lp.outage_ns, rec.ts_ns, rec.seq);
				downs += lp.event == RINGSHM_LOSS_LINK_DOWN;
				ups += lp.event == RINGSHM_LOSS_LINK_UP;
			}
		}
	}
	ringshm_reader_close(rd);
	printf("frame_records=%" PRIu64 "\nepoch_records=%" PRIu64 "\nloss_records=%" PRIu64
	       "\nclock_records=%" PRIu64 "\nloss_imissed=%" PRIu64 "\nloss_rx_nombuf=%" PRIu64
	       "\nloss_ierrors=%" PRIu64 "\nloss_discards=%" PRIu64 "\nlink_downs=%" PRIu64
	       "\nlink_ups=%" PRIu64 "\n",
	       n[RINGSHM_REC_FRAME], n[RINGSHM_REC_EPOCH], n[RINGSHM_REC_LOSS],
	       n[RINGSHM_REC_CLOCK], imissed, nombuf, ierrors, discards, downs, ups);
	return rc < 0 ? 1 : 0;
}

/*
 * probes RING: one line per net_fcsim probe frame in the ring (tests/simnic/README.md):
 * "INDEX TS_NS FLAGS REAL_NS STAMP": the record's time and flags, and what the simulated NIC
 * wrote in the probe: CLOCK_REALTIME at delivery and the RX timestamp it gave the frame.
 */
static int cmd_probes(int argc, char **argv)
{
	struct ringshm_reader *rd;
	struct ringshm_record rec;
	uint8_t pl[32];
	uint64_t real, stamp, idx;
	int rc;

	if (argc < 3) {
		return 2;
	}
	rd = open_ring(argv[2]);
	while ((rc = ringshm_reader_next(rd, &rec)) > 0) {
		bool probe = rec.type == RINGSHM_REC_FRAME && rec.cap_len >= 42 + sizeof(pl) &&
			     !memcmp((const uint8_t *)rec.data + 42, "FCSIMTS", 8);

		if (probe) {
			memcpy(pl, (const uint8_t *)rec.data + 42, sizeof(pl));
		}
		if (!ringshm_reader_done(rd) || !probe) {
			continue;
		}
		memcpy(&real, pl + 8, 8);
		memcpy(&stamp, pl + 16, 8);
		memcpy(&idx, pl + 24, 8);
		printf("%" PRIu64 " %" PRIu64 " %u %" PRIu64 " %" PRIu64 "\n", idx, rec.ts_ns,
		       rec.flags, real, stamp);
	}
	ringshm_reader_close(rd);
	return rc < 0 ? 1 : 0;
}

static int cmd_clock(int argc, char **argv)
{
	struct ringshm_reader *rd;
	struct ringshm_record rec;
	struct timesync_block blk;
	struct timesync_error te;
	uint64_t n = 0, sync = 0, hold = 0, src[8] = { 0 };
	int rc;

	if (argc < 3) {
		return 2;
	}
	rd = open_ring(argv[2]);
	memset(&te, 0, sizeof(te));
	rc = timesync_block_read(rd, &blk, &te);
	if (rc < 0) {
		fprintf(stderr, "capture-testtool: clock block: %s (%d)\n", te.msg, rc);
		return 1;
	}
	while ((rc = ringshm_reader_next(rd, &rec)) > 0) {
		uint16_t f = rec.flags;
		bool frame = rec.type == RINGSHM_REC_FRAME;

		if (!ringshm_reader_done(rd) || !frame) {
			continue;
		}
		n++;
		sync += (f & RINGSHM_F_TS_SYNC) != 0;
		hold += (f & RINGSHM_F_TS_HOLDOVER) != 0;
		src[f & RINGSHM_F_TS_SRC_MASK]++;
	}
	printf("clock_state=%s\nptp_reachable=%u\nptp_port_state=%u\nptp_offset_ns=%" PRId64
	       "\ntsc_valid=%d\ntsc_mhz=%.3f\ntsc_err_ns=%u\ntsc_rec_flags=%u\nframes=%" PRIu64
	       "\nframes_sync=%" PRIu64 "\nframes_holdover=%" PRIu64 "\nframes_src_tsc=%" PRIu64
	       "\nframes_src_nic=%" PRIu64 "\nframes_src_pmd_us=%" PRIu64
	       "\nframes_src_none=%" PRIu64 "\n",
	       timesync_state_name((enum timesync_state)blk.ptp.state), blk.ptp.reachable,
	       blk.ptp.port_state, blk.ptp.offset_ns, timesync_model_valid(&blk.tsc),
	       timesync_model_hz(&blk.tsc) / 1e6, blk.tsc.err_ns, blk.tsc.rec_flags, n, sync, hold,
	       src[RINGSHM_F_TS_SRC_TSC], src[RINGSHM_F_TS_SRC_NIC], src[RINGSHM_F_TS_SRC_PMD_US],
	       src[RINGSHM_F_TS_SRC_NONE]);
	ringshm_reader_close(rd);
	return rc < 0 ? 1 : 0;
}

static int cmd_counters(int argc, char **argv)
{
	struct ringshm_reader *rd;
	const struct ringshm_ctl *c;
	uint32_t i;

	if (argc < 3) {
		return 2;
	}
	rd = open_ring(argv[2]);
	c = ringshm_reader_ctl(rd);
	printf("epoch=%" PRIu64 "\nstate=%u\nproducer_pid=%" PRIu64 "\nhead=%" PRIu64
	       "\nframes=%" PRIu64 "\nbytes=%" PRIu64 "\nfiltered=%" PRIu64 "\ntruncated=%" PRIu64
	       "\nnic_imissed=%" PRIu64 "\nnic_rx_nombuf=%" PRIu64 "\nnic_ierrors=%" PRIu64
	       "\nmarkers=%" PRIu64 "\nnic_discards=%" PRIu64 "\nrefused=%" PRIu64
	       "\nts_fallback=%" PRIu64 "\nnports=%u\n",
	       c->epoch, c->state, c->producer_pid, c->head, c->counters.frames, c->counters.bytes,
	       c->counters.filtered, c->counters.truncated, c->counters.nic_imissed,
	       c->counters.nic_rx_nombuf, c->counters.nic_ierrors, c->counters.markers,
	       c->counters.nic_discards, c->counters.refused, c->counters.ts_fallback, c->nports);
	for (i = 0; i < c->nports && i < RINGSHM_MAX_PORTS; i++) {
		const struct ringshm_port *p = &c->ports[i];

		printf("port%u_ts_domain=%u\nport%u_ts_refusing=%u\n", i, p->ts_domain, i,
		       p->ts_refusing);
		printf("port%u_name=%s\nport%u_rx_frames=%" PRIu64 "\nport%u_rx_bytes=%" PRIu64
		       "\nport%u_imissed=%" PRIu64 "\nport%u_filtered=%" PRIu64
		       "\nport%u_ts_source=%u\nport%u_ierrors=%" PRIu64 "\nport%u_discards=%" PRIu64
		       "\nport%u_link_downs=%u\nport%u_link_up=%u\nport%u_link_down_ns=%" PRIu64
		       "\n",
		       i, p->name, i, p->rx_frames, i, p->rx_bytes, i, p->imissed, i, p->filtered,
		       i, p->ts_source, i, p->ierrors, i, p->discards, i, p->link_downs, i,
		       p->link_up, i, p->link_down_ns);
	}
	ringshm_reader_close(rd);
	return 0;
}

static int cmd_send(int argc, char **argv)
{
	struct sockaddr_in to;
	static uint8_t payload[9000];
	uint64_t count, i, sent = 0, failed = 0;
	unsigned ttl = 1;
	size_t size;
	int fd;

	if (argc < 6) {
		return 2;
	}
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons((uint16_t)atoi(argv[3]));
	if (inet_pton(AF_INET, argv[2], &to.sin_addr) != 1) {
		return 2;
	}
	count = strtoull(argv[4], NULL, 10);
	size = (size_t)atoi(argv[5]);
	if (size < 8 || size > sizeof(payload)) {
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
	for (i = 1; i <= count; i++) {
		memcpy(payload, &i, 8);
		/* A blocking socket: the kernel paces us, nothing is dropped at the sender. */
		while (sendto(fd, payload, size, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			if (errno != ENOBUFS && errno != EAGAIN) {
				perror("sendto");
				return 1;
			}
			failed++;
			usleep(100);
		}
		sent++;
	}
	close(fd);
	printf("sent=%" PRIu64 "\nretries=%" PRIu64 "\n", sent, failed);
	return 0;
}

static int cmd_query(int argc, char **argv)
{
	uint8_t pkt[64];
	struct sockaddr_in to;
	uint32_t group = 0, dst;
	unsigned maxresp = 10; /* 1 s */
	bool v3;
	size_t len;
	int fd, one = 1;

	if (argc < 3) {
		return 2;
	}
	if (argc >= 4 && inet_pton(AF_INET, argv[3], &group) != 1) {
		return 2;
	}
	if (argc >= 5) {
		maxresp = (unsigned)atoi(argv[4]);
	}
	v3 = argc >= 6 && !strcmp(argv[5], "v3");
	/* A general query goes to all-systems, a group-specific one to the group. */
	dst = group ? group : htonl(CAPTURE_IGMP_ALL_SYSTEMS);
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x11;
	pkt[1] = (uint8_t)maxresp;
	memcpy(pkt + 4, &group, 4);
	len = v3 ? 12 : 8; /* v3: S/QRV/QQIC and no sources */
	if (v3) {
		pkt[8] = 2;   /* QRV 2 */
		pkt[9] = 125; /* QQIC */
	}
	{
		uint16_t c = (uint16_t)~capture_csum_fold(pkt, len);

		pkt[2] = (uint8_t)(c >> 8);
		pkt[3] = (uint8_t)c;
	}
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_IGMP);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, argv[2], (socklen_t)strlen(argv[2])) < 0) {
		perror("SO_BINDTODEVICE");
		return 1;
	}
	{
		unsigned char ttl = 1;
		struct ip_mreqn mr;
		uint8_t ra[4] = { 0x94, 0x04, 0, 0 };

		memset(&mr, 0, sizeof(mr));
		mr.imr_ifindex = (int)if_nametoindex(argv[2]);
		setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr));
		setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
		setsockopt(fd, IPPROTO_IP, IP_OPTIONS, ra, sizeof(ra));
		setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof(one));
	}
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr.s_addr = dst;
	if (sendto(fd, pkt, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		perror("sendto");
		return 1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 2;

	if (argc >= 2) {
		if (!strcmp(argv[1], "cmp")) {
			rc = cmd_cmp(argc, argv);
		} else if (!strcmp(argv[1], "topcap")) {
			rc = cmd_topcap(argc, argv);
		} else if (!strcmp(argv[1], "seqcheck")) {
			rc = cmd_seqcheck(argc, argv);
		} else if (!strcmp(argv[1], "markers")) {
			rc = cmd_markers(argc, argv);
		} else if (!strcmp(argv[1], "probes")) {
			rc = cmd_probes(argc, argv);
		} else if (!strcmp(argv[1], "clock")) {
			rc = cmd_clock(argc, argv);
		} else if (!strcmp(argv[1], "counters")) {
			rc = cmd_counters(argc, argv);
		} else if (!strcmp(argv[1], "send")) {
			rc = cmd_send(argc, argv);
		} else if (!strcmp(argv[1], "query")) {
			rc = cmd_query(argc, argv);
		}
	}
	if (rc == 2) {
		fprintf(stderr,
			"usage: capture-testtool cmp|topcap|seqcheck|markers|probes|clock|counters|send|query ...\n"
			"(see the comment at the top of tests/unit/test_capture_tool.c)\n");
	}
	return rc;
}
