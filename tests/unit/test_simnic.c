/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_simnic: the simulated NIC (tests/simnic, net_fcsim) through the ethdev API, where
 * dpdk-testpmd cannot look: the clock's rate and start, RX timestamps equal to the ticks in the
 * probe frames, the probes' headers and pacing, a clock step on a file's cue (jump_on=),
 * rx_nombuf leaving frames pending (none lost), rx_ring=N dropping into imissed, loop=N, a
 * COUNT query with reset.  Each test is its own process (Criterion), so each brings up its own
 * EAL: --no-huge, no hugepages needed.  The driver comes from FEEDCAP_SIMNIC_PMD (the test
 * skips without it).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_udp.h>

#define NB_DESC 512

static uint16_t port;
static struct rte_mempool *pool;

static uint64_t now_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char *testdata(const char *name)
{
	static char path[512];
	const char *dir = getenv("FEEDCAP_TESTDATA");

	cr_assert(dir, "FEEDCAP_TESTDATA is not set (run through ctest)");
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* Whether path or a directory above it is writable by others (sticky or not). */
static bool world_writable(const char *path)
{
	char *real = realpath(path, NULL), *slash;
	struct stat st;
	bool ww = false;

	cr_assert(real, "%s: %s", path, strerror(errno));
	if (stat(real, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & S_IWOTH)) {
		ww = true;
	}
	while (!ww && (slash = strrchr(real, '/')) != NULL && slash != real) {
		*slash = '\0';
		ww = stat(real, &st) == 0 && (st.st_mode & S_IWOTH);
	}
	free(real);
	return ww;
}

/*
 * The EAL loads no plugin from under a world-writable directory, sticky or not (DPDK's
 * verify_perms), and a clone may well live under /tmp: the driver is then copied to a private
 * directory (root's /run, else $XDG_RUNTIME_DIR or $HOME), as simnic_common.sh does for the
 * scripts.  The copy goes once the EAL has loaded it (copy_remove()).
 */
static char copy_dir[PATH_MAX], copy_path[PATH_MAX + 64];

static const char *loadable(const char *pmd)
{
	const char *bases[] = { "/run", getenv("XDG_RUNTIME_DIR"), getenv("HOME") };
	char buf[1 << 16];
	ssize_t n;
	size_t i;
	int in, out;

	if (!world_writable(pmd)) {
		return pmd;
	}
	copy_dir[0] = '\0';
	for (i = 0; i < sizeof(bases) / sizeof(bases[0]) && !copy_dir[0]; i++) {
		if (!bases[i] || access(bases[i], W_OK) != 0 || world_writable(bases[i])) {
			continue;
		}
		snprintf(copy_dir, sizeof(copy_dir), "%s/feedcap-simnic.XXXXXX", bases[i]);
		if (!mkdtemp(copy_dir)) {
			copy_dir[0] = '\0';
		}
	}
	if (!copy_dir[0]) {
		cr_skip_test(
			"the EAL refuses plugins under a world-writable directory (%s), and there is no private one (/run, $XDG_RUNTIME_DIR, $HOME) to copy it to",
			pmd);
	}
	snprintf(copy_path, sizeof(copy_path), "%s/%s", copy_dir, strrchr(pmd, '/') + 1);
	in = open(pmd, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(in, 0, "%s: %s", pmd, strerror(errno));
	out = open(copy_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	cr_assert_geq(out, 0, "%s: %s", copy_path, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		cr_assert_eq(write(out, buf, (size_t)n), n, "%s: %s", copy_path, strerror(errno));
	}
	cr_assert_eq(n, 0, "%s: %s", pmd, strerror(errno));
	close(in);
	cr_assert_eq(close(out), 0, "%s: %s", copy_path, strerror(errno));
	return copy_path;
}

/* The loaded copy is mapped: the file and its directory can go. */
static void copy_remove(void)
{
	if (copy_dir[0]) {
		unlink(copy_path);
		rmdir(copy_dir);
		copy_dir[0] = '\0';
	}
}

/* EAL with net_fcsim0,DEVARGS; the port configured with nrxq RX queues and started. */
static void up(const char *devargs, uint16_t nrxq, bool ts, unsigned nmbufs)
{
	const char *pmd = getenv("FEEDCAP_SIMNIC_PMD");
	char vdev[1024], prefix[64], path[1024];
	struct rte_eth_conf conf;
	uint16_t q;
	int rc;

	if (!pmd || !pmd[0]) {
		cr_skip_test(
			"the simulated NIC is not built: run scripts/dpdk-driver-sdk, re-run cmake");
	}
	snprintf(path, sizeof(path), "%s", loadable(pmd));
	snprintf(vdev, sizeof(vdev), "net_fcsim0%s%s", devargs[0] ? "," : "", devargs);
	snprintf(prefix, sizeof(prefix), "simnicut%d", (int)getpid());
	char *argv[] = { "test_simnic", "-d",	  path,	 "--no-pci",
			 "--no-huge",	"-m",	  "128", "--file-prefix",
			 prefix,	"--vdev", vdev,	 "--log-level",
			 "lib.*:error", "-l",	  "0",	 NULL };
	rc = rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv);
	copy_remove();
	cr_assert_geq(rc, 0, "rte_eal_init: %s", rte_strerror(rte_errno));
	cr_assert_eq(rte_eth_dev_count_avail(), 1, "net_fcsim0 probed");
	port = 0;
	pool = rte_pktmbuf_pool_create("simnic", nmbufs, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	cr_assert(pool, "mbuf pool: %s", rte_strerror(rte_errno));
	memset(&conf, 0, sizeof(conf));
	if (ts) {
		conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_TIMESTAMP;
	}
	cr_assert_eq(rte_eth_dev_configure(port, nrxq, 1, &conf), 0);
	for (q = 0; q < nrxq; q++) {
		cr_assert_eq(rte_eth_rx_queue_setup(port, q, NB_DESC, 0, NULL, pool), 0);
	}
	cr_assert_eq(rte_eth_tx_queue_setup(port, 0, NB_DESC, 0, NULL), 0);
	cr_assert_eq(rte_eth_dev_start(port), 0);
}

static void down(void)
{
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	rte_mempool_free(pool);
	rte_eal_cleanup();
}

/* Everything queue q has now (frames all due: one pass until a burst comes back empty). */
static uint64_t drain(uint16_t q)
{
	struct rte_mbuf *m[32];
	uint64_t n = 0;
	uint16_t k;

	while ((k = rte_eth_rx_burst(port, q, m, 32)) > 0) {
		rte_pktmbuf_free_bulk(m, k);
		n += k;
	}
	return n;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--) {
		v = v << 8 | p[i];
	}
	return v;
}

Test(simnic, clock_rate_and_start)
{
	const double hz = 100e6, ppm = -250.5;
	uint64_t c0, c1, r0, r1, prev, c;
	double rate, want = hz * (1 + ppm / 1e6) / 1e9;
	int i;

	up("clock_hz=100000000,ppm=-250.5,clock_start=1000", 1, false, 1024);
	cr_assert_eq(rte_eth_read_clock(port, &c0), 0);
	cr_assert(c0 >= 1000 && c0 < 1000 + (uint64_t)hz, "clock_start: read %" PRIu64, c0);
	r0 = now_ns(CLOCK_MONOTONIC_RAW);
	rte_eth_read_clock(port, &c0);
	prev = c0;
	for (i = 0; i < 3000; i++) { /* monotonic, read after read */
		rte_eth_read_clock(port, &c);
		cr_assert_geq(c, prev);
		prev = c;
		usleep(100);
	}
	r1 = now_ns(CLOCK_MONOTONIC_RAW);
	rte_eth_read_clock(port, &c1);
	rate = (double)(c1 - c0) / (double)(r1 - r0);
	cr_expect(fabs(rate / want - 1) < 2e-6,
		  "%.9f ticks/ns over %.3f s, configured %.9f (%.2f ppm apart)", rate,
		  (r1 - r0) / 1e9, want, (rate / want - 1) * 1e6);
	down();
}

/* Probes: headers, pacing, payload; every frame's RX timestamp is the ticks in its payload. */
Test(simnic, probes_and_timestamps)
{
	const unsigned n = 50;
	struct rte_eth_dev_info info;
	uint64_t flag, first_real = 0, last_real = 0, before, after, got = 0, deadline;
	struct rte_mbuf *m[32];
	int off, bit;

	up("probe=50,probe_dst=239.1.2.3:5000,pps=1000", 1, true, 1024);
	rte_eth_dev_info_get(port, &info);
	cr_assert(info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP);
	off = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, NULL);
	bit = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, NULL);
	cr_assert(off >= 0 && bit >= 0, "the PMD registered the timestamp field and flag");
	flag = RTE_BIT64(bit);
	deadline = now_ns(CLOCK_MONOTONIC) + 5000000000u;
	while (got < n && now_ns(CLOCK_MONOTONIC) < deadline) {
		uint16_t k, i;

		before = now_ns(CLOCK_REALTIME);
		k = rte_eth_rx_burst(port, 0, m, 32);
		after = now_ns(CLOCK_REALTIME);
		for (i = 0; i < k; i++, got++) {
			const uint8_t *p = rte_pktmbuf_mtod(m[i], const uint8_t *);
			const struct rte_ipv4_hdr *ip = (const void *)(p + 14);
			const struct rte_udp_hdr *udp = (const void *)(ip + 1);
			const uint8_t mac[6] = { 0x01, 0x00, 0x5e, 0x01, 0x02, 0x03 };
			uint64_t real = le64(p + 50), ticks = le64(p + 58);

			cr_assert_eq(m[i]->pkt_len, 74);
			cr_assert_eq(memcmp(p, mac, 6), 0, "multicast MAC of 239.1.2.3");
			cr_assert_eq(rte_ipv4_cksum(ip), 0, "IPv4 header checksum");
			cr_assert_eq(ip->dst_addr, rte_cpu_to_be_32(0xef010203));
			cr_assert_eq(udp->dst_port, rte_cpu_to_be_16(5000));
			cr_assert_eq(memcmp(p + 42, "FCSIMTS", 8), 0, "magic");
			cr_assert_eq(le64(p + 66), got, "probe index");
			cr_assert(real >= before && real <= after, "CLOCK_REALTIME of the burst");
			cr_assert(m[i]->ol_flags & flag, "RX timestamp flag");
			cr_assert_eq(*RTE_MBUF_DYNFIELD(m[i], off, rte_mbuf_timestamp_t *), ticks,
				     "timestamp = payload ticks");
			if (got == 0) {
				first_real = real;
			}
			last_real = real;
		}
		rte_pktmbuf_free_bulk(m, k);
		usleep(200);
	}
	cr_assert_eq(got, n);
	/* 1000/s: the 50th is due 49 ms after the first. */
	cr_expect_geq(last_real - first_real, 48000000u, "paced: %" PRIu64 " ns",
		      last_real - first_real);
	down();
}

/* The NIC clock's offset in ticks against CLOCK_MONOTONIC_RAW at 156.25 MHz (the default
 * clock_hz, ppm 0): the tightest of 8 brackets, good to a tick or so. */
static double clock_offset(void)
{
	uint64_t r0, r1, c, best = UINT64_MAX;
	double off = 0;
	int i;

	for (i = 0; i < 8; i++) {
		r0 = now_ns(CLOCK_MONOTONIC_RAW);
		cr_assert_eq(rte_eth_read_clock(port, &c), 0);
		r1 = now_ns(CLOCK_MONOTONIC_RAW);
		if (r1 - r0 < best) {
			best = r1 - r0;
			off = (double)c - (double)(r0 + (r1 - r0) / 2) * 0.15625;
		}
	}
	return off;
}

/* A probe's NIC clock against CLOCK_REALTIME in ns, from its payload: ticks of 6.4 ns (156.25
 * MHz) less the CLOCK_REALTIME the driver read with them. */
static int64_t probe_offset(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);

	return (int64_t)(le64(p + 58) * 32 / 5) - (int64_t)le64(p + 50);
}

static char jump_dir[] = "/tmp/simnic-jump.XXXXXX", jump_file[64];

/* The cue file and its directory go, whether the test passed or not. */
static void jump_cleanup(void)
{
	if (jump_file[0]) {
		unlink(jump_file);
	}
	rmdir(jump_dir);
}

/*
 * jump=0:5000000,jump_on=FILE: no step while FILE is missing; once it is there, none in
 * read_clock() until an rx_burst delivers frames; the first such burst's frames carry the step
 * (5 ms: 781250 ticks), and read_clock() from then on.  The driver looks for FILE every 10 ms
 * on the EAL's interrupt thread, which may wait its turn on a loaded machine: the test waits
 * for the step rather than for a fixed time.
 */
Test(simnic, jump_on_a_file, .fini = jump_cleanup)
{
	const char *file = jump_file;
	char dev[256];
	struct rte_mbuf *m[32];
	int64_t prev = 0, d;
	uint64_t deadline;
	double clk0, pre;
	bool have = false, stepped = false;
	int fd, i;
	uint16_t k;

	cr_assert(mkdtemp(jump_dir), "mkdtemp: %s", strerror(errno));
	snprintf(jump_file, sizeof(jump_file), "%s/go", jump_dir);
	snprintf(dev, sizeof(dev),
		 "probe=100000,probe_dst=239.1.2.3:5000,pps=1000,jump=0:5000000,jump_on=%s", file);
	up(dev, 1, true, 1024);
	clk0 = clock_offset();
	for (i = 0; i < 20; i++) { /* 200 ms without the file: no step in the probes */
		usleep(10000);
		while ((k = rte_eth_rx_burst(port, 0, m, 32)) > 0) {
			for (int j = 0; j < k; j++) {
				d = probe_offset(m[j]);
				cr_assert(!have || llabs(d - prev) < 20000,
					  "no step without %s: %" PRId64 " ns", file, d - prev);
				prev = d;
				have = true;
			}
			rte_pktmbuf_free_bulk(m, k);
		}
	}
	cr_assert(have, "probes delivered");
	cr_assert(fabs(clock_offset() - clk0) < 1000, "read_clock: no step without %s", file);
	fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0, "%s: %s", file, strerror(errno));
	close(fd);
	usleep(200000);
	cr_assert(fabs(clock_offset() - clk0) < 1000,
		  "read_clock: no step before an rx_burst delivers frames (%.0f ticks)",
		  clock_offset() - clk0);
	deadline = now_ns(CLOCK_MONOTONIC) + 20000000000u;
	while (!stepped && now_ns(CLOCK_MONOTONIC) < deadline) {
		pre = clock_offset();
		k = rte_eth_rx_burst(port, 0, m, 32);
		for (i = 0; i < k; i++) {
			d = probe_offset(m[i]);
			if (llabs(d - prev - 5000000) < 20000) {
				cr_assert(i == 0 && !stepped,
					  "the step comes with a burst: frame %d", i);
				cr_assert(
					fabs(pre - clk0) < 1000,
					"read_clock showed no step before the frames did (%.0f ticks)",
					pre - clk0);
				stepped = true;
			} else {
				cr_assert(llabs(d - prev) < 20000,
					  "a step of %" PRId64 " ns, not 5 ms", d - prev);
			}
			prev = d;
		}
		rte_pktmbuf_free_bulk(m, k);
		usleep(10000);
	}
	cr_assert(stepped, "no step within 20 s of creating %s", file);
	cr_assert(fabs(clock_offset() - clk0 - 781250) < 1000, "read_clock stepped by %.0f ticks",
		  clock_offset() - clk0);
	down();
}

Test(simnic, ts0_offers_no_timestamp)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;

	up("ts=0", 1, false, 1024);
	rte_eth_dev_info_get(port, &info);
	cr_assert_eq(info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP, 0);
	rte_eth_dev_stop(port);
	memset(&conf, 0, sizeof(conf));
	conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_TIMESTAMP;
	cr_assert_lt(rte_eth_dev_configure(port, 1, 1, &conf), 0, "ethdev refuses the offload");
	rte_eth_dev_close(port);
	rte_mempool_free(pool);
	rte_eal_cleanup();
}

/* An empty pool: rx_nombuf counts, the frame waits, nothing is lost. */
Test(simnic, rx_nombuf_loses_nothing)
{
	char dev[600];
	struct rte_mbuf *held[256];
	struct rte_eth_stats st;
	unsigned nheld = 0;
	uint64_t total;
	uint16_t k;

	snprintf(dev, sizeof(dev), "rx_pcap=%s", testdata("marketdata.pcap"));
	up(dev, 1, false, 200);
	while ((k = rte_eth_rx_burst(port, 0, held + nheld, 32)) > 0) {
		nheld += k;
		cr_assert_leq(nheld, 200);
	}
	rte_eth_stats_get(port, &st);
	cr_assert_gt(st.rx_nombuf, 0, "rx_nombuf counted");
	cr_assert_eq(rte_eth_rx_burst(port, 0, held + nheld, 32), 0);
	rte_eth_stats_get(port, &st);
	cr_assert_gt(st.rx_nombuf, 1, "counted again at the next burst");
	rte_pktmbuf_free_bulk(held, nheld);
	total = nheld + drain(0);
	cr_assert_eq(total, 20000, "every frame delivered once the pool refilled");
	rte_eth_stats_get(port, &st);
	cr_assert_eq(st.ipackets, 20000);
	cr_assert_eq(st.imissed, 0);
	down();
}

/* rx_ring=64: queue 1 not drained fills its 64 descriptors, the rest of its share is missed. */
Test(simnic, rx_ring_drops_into_imissed)
{
	char dev[600];
	struct rte_eth_stats st;
	uint64_t q0, q1;

	snprintf(dev, sizeof(dev), "rx_pcap=%s,rx_ring=64", testdata("marketdata.pcap"));
	up(dev, 2, false, 4096);
	q0 = drain(0);
	rte_eth_stats_get(port, &st);
	cr_assert_gt(st.imissed, 0, "frames for the undrained queue were missed");
	q1 = drain(1);
	cr_assert_eq(q1, 64, "queue 1 held its ring: %" PRIu64, q1);
	cr_assert_eq(q0 + q1 + st.imissed, 20000,
		     "delivered %" PRIu64 " + %" PRIu64 " + missed %" PRIu64, q0, q1, st.imissed);
	cr_assert_eq(st.q_ipackets[0], q0);
	down();
}

/* A ring smaller than the burst: each burst brings at most the ring, and nothing is missed
 * while the one queue keeps being drained. */
Test(simnic, rx_ring_smaller_than_a_burst)
{
	struct rte_mbuf *m[32];
	struct rte_eth_stats st;
	uint64_t total = 0;
	char dev[600];
	uint16_t k;

	snprintf(dev, sizeof(dev), "rx_pcap=%s,rx_ring=16", testdata("marketdata.pcap"));
	up(dev, 1, false, 4096);
	while ((k = rte_eth_rx_burst(port, 0, m, 32)) > 0) {
		cr_assert_leq(k, 16);
		rte_pktmbuf_free_bulk(m, k);
		total += k;
	}
	rte_eth_stats_get(port, &st);
	cr_assert_eq(total, 20000);
	cr_assert_eq(st.imissed, 0);
	down();
}

Test(simnic, loop_delivers_the_file_n_times)
{
	char dev[600];

	snprintf(dev, sizeof(dev), "rx_pcap=%s,loop=3", testdata("marketdata.pcap"));
	up(dev, 1, false, 4096);
	cr_assert_eq(drain(0), 60000);
	down();
}

/* A COUNT query with reset returns the hits, then starts again from 0. */
Test(simnic, count_query_reset)
{
	struct rte_flow_attr attr = { .ingress = 1 };
	struct rte_flow_item_ipv4 ip = { .hdr.dst_addr = RTE_BE32(0xef010101) }; /* 239.1.1.1 */
	struct rte_flow_item_ipv4 dst_only = { .hdr.dst_addr = RTE_BE32(0xffffffff) };
	struct rte_flow_item pattern[] = {
		{ .type = RTE_FLOW_ITEM_TYPE_ETH },
		{ .type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &ip, .mask = &dst_only },
		{ .type = RTE_FLOW_ITEM_TYPE_END },
	};
	struct rte_flow_action_count cnt = { 0 };
	struct rte_flow_action actions[] = {
		{ .type = RTE_FLOW_ACTION_TYPE_DROP },
		{ .type = RTE_FLOW_ACTION_TYPE_COUNT, .conf = &cnt },
		{ .type = RTE_FLOW_ACTION_TYPE_END },
	};
	struct rte_flow_query_count q = { .reset = 1 };
	struct rte_flow_error err;
	struct rte_flow *f;
	char dev[600];
	uint64_t got;

	snprintf(dev, sizeof(dev), "rx_pcap=%s", testdata("marketdata.pcap"));
	up(dev, 1, false, 4096);
	f = rte_flow_create(port, &attr, pattern, actions, &err);
	cr_assert(f, "rte_flow_create: %s", err.message ? err.message : "?");
	got = drain(0);
	cr_assert_eq(rte_flow_query(port, f, &actions[1], &q, &err), 0);
	cr_assert(q.hits_set && q.bytes_set);
	cr_assert_gt(q.hits, 0);
	cr_assert_eq(got + q.hits, 20000, "dropped by the rule + delivered");
	memset(&q, 0, sizeof(q));
	cr_assert_eq(rte_flow_query(port, f, &actions[1], &q, &err), 0);
	cr_assert_eq(q.hits, 0, "reset by the previous query");
	cr_assert_eq(q.bytes, 0);
	cr_assert_eq(rte_flow_destroy(port, f, &err), 0);
	down();
}
