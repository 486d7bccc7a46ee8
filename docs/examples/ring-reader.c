/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ring-reader.c - a complete, small feedcap ring reader: the example of docs/reader-api.md.
 *
 * It attaches read-only to a ring, starts at the newest record, the oldest one or a time,
 * reads records in place (next, use, done), counts IPv4 multicast frames by their destination
 * MAC (01:00:5e) to show a use of the payload in the shared mapping, prints a line per second with the frames it read,
 * the records it lost and how far it is behind the producer, and a summary at the end.  It
 * stops after -n frames, or once the producer is gone and everything it wrote has been read.
 *
 * Build it against an installed feedcap:
 *
 *	cc -O2 -o ring-reader ring-reader.c $(pkg-config --cflags --libs ringshm)
 *
 * Run it as a member of group feedcap (the ring is mode 0640 in that group):
 *
 *	ring-reader -f oldest md               ring "md" in /run/feedcap ($FEEDCAP_RING_DIR)
 *	ring-reader -f 1700000000000000000 /dev/hugepages/md
 *	ring-reader -r myreader -f newest md   visible in feedcap-stat's reader list
 *
 * Exit: 0 done, 1 the ring could not be read, 2 bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ringshm.h>

#define NS_PER_S UINT64_C(1000000000)

/* A producer that has not stored a heartbeat for this long is gone (it stores one per 100 ms). */
#define PRODUCER_MAX_AGE_NS (2 * NS_PER_S)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ring-reader [-f newest|oldest|UTC_NS] [-n FRAMES] [-r NAME] [-l SECONDS] "
		"RING\n"
		"  -f  where to start: the producer's head (default), the oldest record held,\n"
		"      or the first record at or after UTC_NS nanoseconds since the Unix epoch\n"
		"  -n  stop after FRAMES frames\n"
		"  -r  register as NAME, so feedcap-stat shows this reader's lag and losses\n"
		"  -l  once the producer is gone and all is read, linger SECONDS before exiting\n"
		"RING is a ring name (in $FEEDCAP_RING_DIR, default /run/feedcap) or a path.\n");
}

/* The clock block is laid out by timesync (timesync_format.h, docs/timing.md). */
static void print_clock(const struct ringshm_reader *rd)
{
	uint8_t blk[RINGSHM_CLOCK_BLOCK_SIZE];
	uint32_t magic = 0;
	uint16_t major = 0;
	int n = ringshm_reader_clock(rd, blk, sizeof(blk));

	if (n < 0) {
		printf("clock: no consistent copy (%s)\n", strerror(-n));
		return;
	}
	if (n >= 8) {
		/* Header offsets 0 (magic "FCTS") and 4 (version_major): timesync_format.h. */
		memcpy(&magic, blk, sizeof(magic));
		memcpy(&major, blk + 4, sizeof(major));
	}
	if (magic != 0x53544346) {
		printf("clock: %d bytes, no timesync block published\n", n);
		return;
	}
	printf("clock: %d bytes, timesync block version %u\n", n, (unsigned int)major);
}

int main(int argc, char **argv)
{
	enum ringshm_from from = RINGSHM_FROM_NEWEST;
	uint64_t from_ns = 0, max_frames = 0, linger_ns = 0;
	const char *reg_name = NULL;
	struct ringshm_error err = { 0 };
	struct ringshm_reader_stats st;
	struct ringshm_reader *rd;
	struct ringshm_record rec;
	uint64_t frames = 0, bytes = 0, markers = 0, tick_frames = 0, tick_lost = 0;
	uint64_t first_seq = 0, last_seq = 0, mcast_frames = 0, next_tick, idle_since = 0;
	int opt, rc, ret = 0;
	char *end;

	while ((opt = getopt(argc, argv, "f:n:r:l:h")) != -1) {
		switch (opt) {
		case 'f':
			if (strcmp(optarg, "newest") == 0) {
				from = RINGSHM_FROM_NEWEST;
			} else if (strcmp(optarg, "oldest") == 0) {
				from = RINGSHM_FROM_OLDEST;
			} else {
				errno = 0;
				from_ns = strtoull(optarg, &end, 10);
				if (errno || end == optarg || *end) {
					fprintf(stderr,
						"ring-reader: -f %s: not newest, oldest or a "
						"time in UTC nanoseconds\n",
						optarg);
					return 2;
				}
				from = RINGSHM_FROM_TIME;
			}
			break;
		case 'n':
		case 'l':
			errno = 0;
			uint64_t v = strtoull(optarg, &end, 10);

			if (errno || end == optarg || *end) {
				fprintf(stderr, "ring-reader: -%c %s: not a whole number\n", opt,
					optarg);
				return 2;
			}
			if (opt == 'n') {
				max_frames = v;
			} else {
				linger_ns = v * NS_PER_S;
			}
			break;
		case 'r':
			reg_name = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}

	/* Read-only attach: O_RDONLY + PROT_READ; group read permission is all it needs. */
	rd = ringshm_reader_open(argv[optind], &err);
	if (!rd) {
		fprintf(stderr, "ring-reader: %s\n", err.msg);
		return 1;
	}
	rc = ringshm_reader_seek(rd, from, from_ns);
	if (rc < 0) {
		fprintf(stderr, "ring-reader: %s: cannot seek: %s\n", argv[optind], strerror(-rc));
		ret = 1;
		goto out_close;
	}
	if (reg_name) {
		rc = ringshm_reader_register(rd, reg_name, &err);
		if (rc < 0) {
			fprintf(stderr, "ring-reader: %s\n", err.msg);
			ret = 1;
			goto out_close;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	print_clock(rd);

	next_tick = now_ns() + NS_PER_S;
	while (!stop && (max_frames == 0 || frames < max_frames)) {
		rc = ringshm_reader_next(rd, &rec);
		if (rc < 0) {
			fprintf(stderr, "ring-reader: %s: corrupt ring: %s\n", argv[optind],
				strerror(-rc));
			ret = 1;
			break;
		}
		if (rc == 0) {
			/*
			 * Nothing new.  A live producer will publish more: wait politely (spin,
			 * yield, short sleeps).  A stopped or dead one will not: we are done,
			 * after lingering if asked to (so feedcap-stat can still see us).
			 */
			if (!ringshm_reader_producer_alive(rd, PRODUCER_MAX_AGE_NS)) {
				if (idle_since == 0) {
					idle_since = now_ns();
				}
				if (now_ns() - idle_since >= linger_ns) {
					break;
				}
			}
			ringshm_reader_wait(rd, NS_PER_S / 10);
		} else {
			idle_since = 0;
			/*
			 * Use the record in place: rec.data points into the shared mapping, which
			 * the producer may overwrite at any moment.  What we make of it is
			 * provisional until done() says it stayed intact; if not, drop it (done()
			 * has counted it lost).
			 */
			bool frame = rec.type == RINGSHM_REC_FRAME;
			const uint8_t *eth = rec.data;
			bool mcast = frame && rec.cap_len >= 3 && eth[0] == 0x01 &&
				     eth[1] == 0x00 && eth[2] == 0x5e;

			if (ringshm_reader_done(rd)) {
				if (frame) {
					frames++;
					tick_frames++;
					bytes += rec.wire_len;
					mcast_frames += mcast;
				} else {
					markers++;
				}
				if (first_seq == 0) {
					first_seq = rec.seq;
				}
				last_seq = rec.seq;
			}
		}
		if (now_ns() >= next_tick) {
			ringshm_reader_stats(rd, &st);
			printf("second: frames %" PRIu64 " lost %" PRIu64 " lag %" PRIu64
			       " bytes\n",
			       tick_frames, st.lost_records - tick_lost, ringshm_reader_lag(rd));
			fflush(stdout);
			tick_frames = 0;
			tick_lost = st.lost_records;
			next_tick += NS_PER_S;
		}
	}

	ringshm_reader_stats(rd, &st);
	printf("total: frames %" PRIu64 " bytes %" PRIu64 " multicast %" PRIu64 " markers %" PRIu64
	       " seq %" PRIu64 "-%" PRIu64 " lost_records %" PRIu64 " lost_bytes %" PRIu64
	       " overruns %" PRIu64 " epochs_seen %" PRIu64 "\n",
	       frames, bytes, mcast_frames, markers, first_seq, last_seq, st.lost_records,
	       st.lost_bytes, st.overruns, st.epochs_seen);
out_close:
	ringshm_reader_close(rd);
	return ret;
}
