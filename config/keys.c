// SPDX-License-Identifier: BSD-3-Clause
/*
 * keys.c - the one table of every key in feedcap.conf, and storing a value by it
 * (fcc_key_apply()): parsed by its type, checked against the key's range and flags, written to
 * the key's field.
 *
 * The table is an X-macro so that the public view (struct fcc_key: what docs, the example
 * file and its test see) and the private view (where each value is stored) cannot drift
 * apart.  Defaults are text and go through the same parsers as the file: a default that does
 * not parse fails the unit tests, not a production start.
 */
#include "config_internal.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KiB  (INT64_C(1) << 10)
#define MiB  (INT64_C(1) << 20)
#define GiB  (INT64_C(1) << 30)
#define TiB  (INT64_C(1) << 40)
#define NS   INT64_C(1)
#define US   INT64_C(1000)
#define MS   INT64_C(1000000)
#define SEC  INT64_C(1000000000)
#define MIN  (60 * SEC)
#define HOUR (60 * MIN)

/* Private key flags */
#define F_POW2	   (1u << 0) /* a power of two */
#define F_ZERO_OFF (1u << 1) /* 0 (off) is accepted besides min..max */
#define F_DEFNAME  (1u << 2) /* empty: a default built from the section's name */
#define F_NONEMPTY (1u << 3) /* empty is an error */
#define F_NOSLASH  (1u << 4) /* no '/' (a file name, not a path) */
#define F_REQUIRED (1u << 5) /* must be given in the file (checked by fcc_validate) */

#define NONE		 SIZE_MAX
#define AT(type, member) offsetof(type, member)
#define SZ(type, member) sizeof(((type *)0)->member)

static const char *const backing_values[] = { "auto", "hugetlbfs", "shm", "file", NULL };
static const char *const filter_values[] = { "off", "groups", NULL };
static const char *const offload_values[] = { "auto", "off", "require", NULL };
static const char *const timestamp_values[] = { "auto", "nic", "tsc", NULL };
static const char *const flow_control_values[] = { "off", "rx", "tx", "full", NULL };
static const char *const format_values[] = { "pcap", "pcapng", NULL };
static const char *const compression_values[] = { "none", "zstd", NULL };
static const char *const from_values[] = { "newest", "oldest", "resume", NULL };
static const char *const on_error_values[] = { "exit", "wait", NULL };

/*
 * K(section, struct, member, "key", TYPE, "default", min, max, enum values, flags,
 *   aux offset, line offset, "help")
 * aux: ngroups for GROUPS, has_cpus for CPUS, kind for DEVICE.  line: where the key was set,
 * for fields other modules check later (a ring reference, a filter expression).
 */
#define FCC_KEY_LIST(K)                                                                             \
	K(SEC_RING, struct fcc_ring, size, "size", SIZE, "1G", MiB, TiB, NULL, F_POW2, NONE, NONE,  \
	  "Bytes of records the ring holds, a power of two. 8G holds about 7 s of 10 Gb/s line "    \
	  "rate and minutes of typical market data; on hugetlbfs it needs size / 2M free 2 MiB "    \
	  "hugepages.")                                                                             \
	K(SEC_RING, struct fcc_ring, chunk_size, "chunk_size", SIZE, "2M", 64 * KiB, GiB, NULL,     \
	  F_POW2, NONE, NONE,                                                                       \
	  "Records never cross a chunk and readers resynchronise at chunk starts after an "         \
	  "overrun. Keep the hugepage size unless testing.")                                        \
	K(SEC_RING, struct fcc_ring, backing, "backing", ENUM, "auto", 0, 0, backing_values, 0,     \
	  NONE, NONE,                                                                               \
	  "Where the ring's memory lives: auto (hugetlbfs if a mount has room, else /dev/shm "      \
	  "with a warning), hugetlbfs (or refuse to start), shm (/dev/shm, 4 KiB pages), file "     \
	  "(exactly path, any file system).")                                                       \
	K(SEC_RING, struct fcc_ring, path, "path", PATH, "", 0, 0, NULL, F_DEFNAME, NONE, NONE,     \
	  "The ring file readers open. Empty: /run/feedcap/NAME (a symlink to the hugetlbfs file "  \
	  "when the ring is on hugepages).")                                                        \
	K(SEC_RING, struct fcc_ring, group, "group", NAME, "feedcap", 0, 0, NULL, F_NONEMPTY,       \
	  NONE, NONE,                                                                               \
	  "Group owning the ring file (mode 0640): members may read the ring, nobody but the "      \
	  "capture may write it.")                                                                  \
	K(SEC_PORT, struct fcc_port, device, "device", DEVICE, "", 0, 0, NULL, F_REQUIRED,          \
	  AT(struct fcc_port, kind), NONE,                                                          \
	  "Required. A PCI address (0000:3b:00.0, the NIC bound to vfio-pci) or a DPDK virtual "    \
	  "device's arguments (net_pcap0,rx_pcap=/srv/in.pcap or net_af_packet0,iface=eth1).")      \
	K(SEC_PORT, struct fcc_port, queues, "queues", INT, "1", 1, 64, NULL, 0, NONE, NONE,        \
	  "RX queues of the port (RSS spreads flows over them); the one poller core polls them "    \
	  "all.")                                                                                   \
	K(SEC_PORT, struct fcc_port, rx_descriptors, "rx_descriptors", INT, "4096", 64, 32768,      \
	  NULL, 0, NONE, NONE,                                                                      \
	  "RX descriptors per queue: how many frames the NIC can hold while the poller is "         \
	  "late. Too few shows up as imissed.")                                                     \
	K(SEC_CAPTURE, struct fcc_capture, ring, "ring", NAME, "", 0, 0, NULL, 0, NONE,             \
	  AT(struct fcc_capture, ring_line),                                                        \
	  "The [ring NAME] the capture writes. Empty: the only ring in the file.")                  \
	K(SEC_CAPTURE, struct fcc_capture, poller_core, "poller_core", INT, "1", 0,                 \
	  FCC_MAX_CPUS - 1, NULL, 0, NONE, NONE,                                                    \
	  "The CPU running the hot loop. Isolate it: isolcpus, nohz_full and rcu_nocbs on the "     \
	  "kernel command line, no IRQs.")                                                          \
	K(SEC_CAPTURE, struct fcc_capture, control_core, "control_core", INT, "0", 0,               \
	  FCC_MAX_CPUS - 1, NULL, 0, NONE, NONE,                                                    \
	  "A housekeeping CPU for the control thread (statistics, IGMP, clock calibration, "        \
	  "watchdog). Must differ from poller_core.")                                               \
	K(SEC_CAPTURE, struct fcc_capture, groups, "groups", GROUPS, "", 0, 0, NULL, 0,             \
	  AT(struct fcc_capture, ngroups), AT(struct fcc_capture, groups_line),                     \
	  "Multicast groups to join, separated by commas or spaces: [SOURCE@]GROUP[:PORT], IPv6 "   \
	  "with a port as [GROUP]:PORT. A port narrows the filter; a source makes the join "        \
	  "source-specific (needs igmp_version = 3).")                                              \
	K(SEC_CAPTURE, struct fcc_capture, igmp_version, "igmp_version", INT, "2", 2, 3, NULL, 0,   \
	  NONE, NONE,                                                                               \
	  "IGMP version of the membership reports feedcap sends for the groups (MLDv1/v2 for "      \
	  "IPv6).")                                                                                 \
	K(SEC_CAPTURE, struct fcc_capture, filter, "filter", ENUM, "off", 0, 0, filter_values, 0,   \
	  NONE, NONE,                                                                               \
	  "groups: keep only frames sent to the groups (and ports) above, with rte_flow where the " \
	  "NIC takes the rule, else in software; the rest is counted as filtered. off: keep "       \
	  "every frame.")                                                                           \
	K(SEC_CAPTURE, struct fcc_capture, filter_offload, "filter_offload", ENUM, "auto", 0, 0,    \
	  offload_values, 0, NONE, NONE,                                                            \
	  "Where filter = groups runs. auto: rte_flow rules on the NIC where the driver takes "     \
	  "them all (a catch-all rule drops and counts the rest), else the poller; off: always "    \
	  "the poller; require: rte_flow or refuse to start.")                                      \
	K(SEC_CAPTURE, struct fcc_capture, snaplen, "snaplen", INT, "65535", 64, 65535, NULL, 0,    \
	  NONE, NONE,                                                                               \
	  "Bytes kept of each frame; a longer frame keeps its wire length in the record.")          \
	K(SEC_CAPTURE, struct fcc_capture, timestamp, "timestamp", ENUM, "auto", 0, 0,              \
	  timestamp_values, 0, NONE, NONE,                                                          \
	  "auto: the NIC's RX timestamp where the driver gives one, else the TSC; nic: NIC "        \
	  "timestamps or refuse to start; tsc: the calibrated TSC, read once per burst.")           \
	K(SEC_CAPTURE, struct fcc_capture, clock_max_offset_ns, "clock_max_offset", DURATION,       \
	  "1us", NS, SEC, NULL, 0, NONE, NONE,                                                      \
	  "Records are flagged unsynchronised while ptp4l's offset from its master exceeds "        \
	  "this.")                                                                                  \
	K(SEC_CAPTURE, struct fcc_capture, clock_max_holdover_ns, "clock_holdover", DURATION,       \
	  "10s", 0, HOUR, NULL, 0, NONE, NONE,                                                      \
	  "How long records stay flagged synchronised after ptp4l loses its lock or stops "         \
	  "answering.")                                                                             \
	K(SEC_CAPTURE, struct fcc_capture, ptp_socket, "ptp_socket", PATH, "/var/run/ptp4l", 0, 0,  \
	  NULL, 0, NONE, NONE,                                                                      \
	  "ptp4l's management socket, asked for the offset, port state and UTC offset. Empty: "     \
	  "do not ask ptp4l (every record is flagged unsynchronised).")                             \
	K(SEC_CAPTURE, struct fcc_capture, mbufs, "mbufs", INT, "65535", 1023, 4194303, NULL, 0,    \
	  NONE, NONE,                                                                               \
	  "Packet buffers per port (2^n - 1 is the most efficient). Too few shows up as "           \
	  "rx_nombuf.")                                                                             \
	K(SEC_CAPTURE, struct fcc_capture, mtu, "mtu", INT, "0", 68, 9600, NULL, F_ZERO_OFF, NONE,  \
	  NONE,                                                                                     \
	  "Largest IP packet the ports accept (jumbo frames: 9000); over the mbuf size, frames "    \
	  "arrive in chained buffers (scatter). 0: the port's own default (1500 on most NICs).")    \
	K(SEC_CAPTURE, struct fcc_capture, flow_control, "flow_control", ENUM, "off", 0, 0,         \
	  flow_control_values, 0, NONE, NONE,                                                       \
	  "Ethernet PAUSE frames: off (a backlog is lost here and counted, never pushed "           \
	  "upstream), rx (honour the partner's), tx (send when full) or full.")                     \
	K(SEC_CAPTURE, struct fcc_capture, stats_interval_ns, "stats_interval", DURATION, "1s",     \
	  10 * MS, HOUR, NULL, 0, NONE, NONE,                                                       \
	  "How often the control thread publishes counters (ring header, telemetry).")              \
	K(SEC_CAPTURE, struct fcc_capture, strict, "strict", BOOL, "no", 0, 0, NULL, 0, NONE,       \
	  NONE,                                                                                     \
	  "Refuse to start when a host check fails (poller core not isolated, NIC on another "      \
	  "NUMA node, ...) instead of warning.")                                                    \
	K(SEC_JOB, struct fcc_job, ring, "ring", NAME, "", 0, 0, NULL, 0, NONE,                     \
	  AT(struct fcc_job, ring_line),                                                            \
	  "The [ring NAME] the job reads. Empty: the only ring in the file.")                       \
	K(SEC_JOB, struct fcc_job, filter, "filter", STRING, "", 0, 0, NULL, 0, NONE,               \
	  AT(struct fcc_job, filter_line),                                                          \
	  "A tcpdump (libpcap) filter expression, unquoted; empty keeps every frame.")              \
	K(SEC_JOB, struct fcc_job, format, "format", ENUM, "pcap", 0, 0, format_values, 0, NONE,    \
	  NONE,                                                                                     \
	  "Archive format: pcap with nanosecond timestamps, or pcapng with drop statistics.")       \
	K(SEC_JOB, struct fcc_job, compression, "compression", ENUM, "none", 0, 0,                  \
	  compression_values, 0, NONE, NONE,                                                        \
	  "zstd: compressed archives (.zst) that zstdcat and Wireshark open; none: plain files.")   \
	K(SEC_JOB, struct fcc_job, compression_level, "compression_level", INT, "1", -7, 19, NULL,  \
	  0, NONE, NONE,                                                                            \
	  "zstd level; 1 keeps up with about 0.9 Mpps a core, higher levels compress more and "     \
	  "slower.")                                                                                \
	K(SEC_JOB, struct fcc_job, zstd_threads, "zstd_threads", INT, "0", 0, 64, NULL, 0, NONE,    \
	  NONE, "zstd worker threads; 0 compresses in the reader's own thread.")                    \
	K(SEC_JOB, struct fcc_job, directory, "directory", PATH, "", 0, 0, NULL, F_DEFNAME, NONE,   \
	  NONE,                                                                                     \
	  "Archive directory; strftime(3) conversions (UTC) make dated directories, e.g. "          \
	  "/var/lib/feedcap/md/%Y%m%d: one set for retention. Empty: /var/lib/feedcap/NAME. The "   \
	  "dump unit may only write under /var/lib/feedcap unless a drop-in adds "                  \
	  "ReadWritePaths=.")                                                                       \
	K(SEC_JOB, struct fcc_job, file_name, "file_name", STRING, "%Y%m%dT%H%M%S", 0, 0, NULL,     \
	  F_NONEMPTY | F_NOSLASH, NONE, NONE,                                                       \
	  "strftime(3) pattern of archive names (UTC), without extension: feedcap-dump adds "       \
	  ".pcap or .pcapng, then .zst.")                                                           \
	K(SEC_JOB, struct fcc_job, rotate_size, "rotate_size", SIZE, "0", MiB, TiB, NULL,           \
	  F_ZERO_OFF, NONE, NONE, "Start a new file after this many bytes; 0: never by size.")      \
	K(SEC_JOB, struct fcc_job, rotate_interval_ns, "rotate_interval", DURATION, "1h", SEC,      \
	  168 * HOUR, NULL, F_ZERO_OFF, NONE, NONE,                                                 \
	  "Start a new file at every multiple of this interval (clock-aligned); 0: never by "       \
	  "time.")                                                                                  \
	K(SEC_JOB, struct fcc_job, retention_files, "retention_files", INT, "0", 0, 1000000, NULL,  \
	  0, NONE, NONE,                                                                            \
	  "Keep at most this many archive files (over all the dated directories), deleting the "    \
	  "oldest; 0: keep all.")                                                                   \
	K(SEC_JOB, struct fcc_job, retention_age_ns, "retention_age", DURATION, "0", MIN,           \
	  87600 * HOUR, NULL, F_ZERO_OFF, NONE, NONE,                                               \
	  "Delete archive files whose last frame is older than this (in all the dated "             \
	  "directories); 0: never by age.")                                                         \
	K(SEC_JOB, struct fcc_job, retention_bytes, "retention_bytes", SIZE, "0", MiB, 1024 * TiB,  \
	  NULL, F_ZERO_OFF, NONE, NONE,                                                             \
	  "Keep at most this many bytes of archive files (over all the dated directories), "        \
	  "deleting the oldest; 0: no limit.")                                                      \
	K(SEC_JOB, struct fcc_job, from, "from", ENUM, "resume", 0, 0, from_values, 0, NONE, NONE,  \
	  "Where a job starts in the ring: resume (right after the last record the job's "          \
	  "archives hold from this ring, so a restart makes no duplicate and no gap while the "     \
	  "ring still holds the records; oldest on a first run), newest (live only) or oldest "     \
	  "(everything the ring still holds).")                                                     \
	K(SEC_JOB, struct fcc_job, on_error, "on_error", ENUM, "wait", 0, 0, on_error_values, 0,    \
	  NONE, NONE,                                                                               \
	  "On a write error (disk full): wait (close the file, retry, resume where it stopped if "  \
	  "the ring still holds it) or exit (non-zero; systemd restarts the job).")                 \
	K(SEC_JOB, struct fcc_job, cpus, "cpus", CPUS, "", 0, 0, NULL, 0,                           \
	  AT(struct fcc_job, has_cpus), NONE,                                                       \
	  "CPUs the job may run on (0,2-3). Empty: no affinity. Never the poller core.")            \
	K(SEC_DECODER, struct fcc_decoder, based_on, "based_on", NAME, "", 0, 0, NULL, 0, NONE,     \
	  AT(struct fcc_decoder, based_on_line),                                                    \
	  "A built-in decoder (moldudp64, pitch, iextp, mdp3, pillar, eobi, opra) this one starts " \
	  "from; the keys below change it. Empty: start from nothing (seq is then required).")      \
	K(SEC_DECODER, struct fcc_decoder, seq, "seq", STRING, "", 0, 0, NULL, 0, NONE,             \
	  AT(struct fcc_decoder, seq_line),                                                         \
	  "Where the sequence number is: OFFSET:WIDTH:be|le, OFFSET bytes into the UDP payload, "   \
	  "WIDTH 1, 2, 4 or 8 bytes.")                                                              \
	K(SEC_DECODER, struct fcc_decoder, count, "count", STRING, "", 0, 0, NULL, 0, NONE,         \
	  AT(struct fcc_decoder, count_line),                                                       \
	  "How many sequence numbers a packet covers: OFFSET:WIDTH:be|le of a message count, or "   \
	  "none (every packet is one number).")                                                     \
	K(SEC_DECODER, struct fcc_decoder, session, "session", STRING, "", 0, 0, NULL, 0, NONE,     \
	  AT(struct fcc_decoder, session_line),                                                     \
	  "The session or stream key: OFFSET:LENGTH (1 to 16 bytes; numbers run per key), or "      \
	  "none.")                                                                                  \
	K(SEC_DECODER, struct fcc_decoder, heartbeat, "heartbeat", STRING, "", 0, 0, NULL, 0,       \
	  NONE, AT(struct fcc_decoder, heartbeat_line),                                             \
	  "What a heartbeat is: count0 (a packet of 0 messages), OFFSET:WIDTH:be|le=VALUE, or "     \
	  "none.")                                                                                  \
	K(SEC_DECODER, struct fcc_decoder, heartbeat_next, "heartbeat_next", STRING, "", 0, 0,      \
	  NULL, 0, NONE, AT(struct fcc_decoder, heartbeat_next_line),                               \
	  "yes: a heartbeat's sequence field is the next number expected, so a loss shows before "  \
	  "the next data packet. no: heartbeats only say the line is alive.")                       \
	K(SEC_DECODER, struct fcc_decoder, reset, "reset", STRING, "", 0, 0, NULL, 0, NONE,         \
	  AT(struct fcc_decoder, reset_line),                                                       \
	  "What a sequence reset is: restart (numbers start again at 1), "                          \
	  "OFFSET:WIDTH:be|le=VALUE (a flag), or none.")                                            \
	K(SEC_DECODER, struct fcc_decoder, end, "end", STRING, "", 0, 0, NULL, 0, NONE,             \
	  AT(struct fcc_decoder, end_line),                                                         \
	  "The message count value that ends a session (MoldUDP64: 65535), or none.")               \
	K(SEC_DECODER, struct fcc_decoder, magic, "magic", STRING, "", 0, 0, NULL, 0, NONE,         \
	  AT(struct fcc_decoder, magic_line),                                                       \
	  "OFFSET:WIDTH:be|le=VALUE every packet of the protocol has; others are undecodable.")     \
	K(SEC_DECODER, struct fcc_decoder, length, "length", STRING, "", 0, 0, NULL, 0, NONE,       \
	  AT(struct fcc_decoder, length_line),                                                      \
	  "OFFSET:WIDTH:be|le[+ADJUST]: a field that, plus ADJUST, is the UDP payload length; "     \
	  "packets where it is not are undecodable.")                                               \
	K(SEC_DECODER, struct fcc_decoder, min_length, "min_length", STRING, "", 0, 0, NULL, 0,     \
	  NONE, AT(struct fcc_decoder, min_length_line),                                            \
	  "Payload bytes a packet needs at least (besides the fields above).")                      \
	K(SEC_FEED, struct fcc_feed, a, "a", STRING, "", 0, 0, NULL, F_REQUIRED, NONE,              \
	  AT(struct fcc_feed, a_line), "Required. The A line: GROUP:PORT, GROUP, or [IPV6]:PORT.")  \
	K(SEC_FEED, struct fcc_feed, b, "b", STRING, "", 0, 0, NULL, F_REQUIRED, NONE,              \
	  AT(struct fcc_feed, b_line), "Required. The B line, carrying the same packets as A.")     \
	K(SEC_FEED, struct fcc_feed, decoder, "decoder", NAME, "", 0, 0, NULL, F_REQUIRED, NONE,    \
	  AT(struct fcc_feed, decoder_line),                                                        \
	  "Required. The sequence decoder of both lines: a built-in (moldudp64, pitch, iextp, "     \
	  "mdp3, pillar, eobi, opra) or a [decoder NAME] of this file.")

#define PUBLIC_KEY(sec, type, member, name, typ, def, min, max, values, flags, aux, lineoff, help) \
	{ fcc_section_name_static(sec), name, FCC_TYPE_##typ, def, min, max, values, help,         \
	  ((flags)&F_REQUIRED) != 0 },

#define PRIVATE_KEY(sec, type, member, name, typ, def, min, max, values, flags, aux, lineoff,      \
		    help)                                                                          \
	{ sec, AT(type, member), SZ(type, member), aux, lineoff, flags },

#define fcc_section_name_static(sec)                                                               \
	((sec) == SEC_RING	? "ring"                                                           \
	 : (sec) == SEC_PORT	? "port"                                                           \
	 : (sec) == SEC_CAPTURE ? "capture"                                                        \
	 : (sec) == SEC_JOB	? "job"                                                            \
	 : (sec) == SEC_DECODER ? "decoder"                                                        \
				: "feed")

static const struct fcc_key keys[] = { FCC_KEY_LIST(PUBLIC_KEY) };

struct key_impl {
	enum fcc_section sec;
	size_t off, size, aux, line;
	unsigned flags;
};

static const struct key_impl impl[] = { FCC_KEY_LIST(PRIVATE_KEY) };

static_assert(sizeof(keys) / sizeof(keys[0]) == sizeof(impl) / sizeof(impl[0]), "key tables");
static_assert(sizeof(keys) / sizeof(keys[0]) <= FCC_MAX_KEYS, "raise FCC_MAX_KEYS");

const struct fcc_key *fcc_keys(size_t *count)
{
	*count = sizeof(keys) / sizeof(keys[0]);
	return keys;
}

enum fcc_section fcc_key_section(size_t k)
{
	return impl[k].sec;
}

const char *fcc_type_name(enum fcc_type type)
{
	static const char *const names[] = {
		[FCC_TYPE_STRING] = "string", [FCC_TYPE_NAME] = "name",
		[FCC_TYPE_PATH] = "path",     [FCC_TYPE_DEVICE] = "device",
		[FCC_TYPE_SIZE] = "size",     [FCC_TYPE_DURATION] = "duration",
		[FCC_TYPE_BOOL] = "boolean",  [FCC_TYPE_ENUM] = "enum",
		[FCC_TYPE_INT] = "integer",   [FCC_TYPE_GROUPS] = "group list",
		[FCC_TYPE_CPUS] = "CPU list",
	};

	if ((unsigned)type >= sizeof(names) / sizeof(names[0])) {
		return "?";
	}
	return names[type];
}

static void store_uint(void *field, size_t size, uint64_t v)
{
	if (size == 8) {
		uint64_t x = v;

		memcpy(field, &x, 8);
	} else if (size == 4) {
		uint32_t x = (uint32_t)v;

		memcpy(field, &x, 4);
	} else if (size == 2) {
		uint16_t x = (uint16_t)v;

		memcpy(field, &x, 2);
	} else {
		uint8_t x = (uint8_t)v;

		memcpy(field, &x, 1);
	}
}

static void store_int(void *field, size_t size, int64_t v)
{
	if (size == 4) {
		int32_t x = (int32_t)v;

		memcpy(field, &x, 4);
	} else {
		store_uint(field, size, (uint64_t)v);
	}
}

/* The default of an F_DEFNAME key. */
static void name_default(enum fcc_section sec, const char *name, char *field, size_t size)
{
	if (sec == SEC_RING) {
		snprintf(field, size, "/run/feedcap/%s", name);
	} else {
		snprintf(field, size, "/var/lib/feedcap/%s", name);
	}
}

/* The range check shared by INT, SIZE and DURATION. */
static bool in_range(const struct fcc_key *key, const struct key_impl *ki, int64_t v)
{
	if ((ki->flags & F_ZERO_OFF) && v == 0) {
		return true;
	}
	return v >= key->min && (key->max == 0 || v <= key->max);
}

int fcc_key_apply(struct fcc_config *cfg, enum fcc_section sec, unsigned idx, size_t k,
		  const char *value, const char *file, unsigned line, struct fcc_error *err)
{
	const struct fcc_key *key = &keys[k];
	const struct key_impl *ki = &impl[k];
	char *base = fcc_section_base(cfg, sec, idx);
	void *field = base + ki->off;
	char kname[64], why[FCC_TEXT_MAX], lo[32], hi[32];
	size_t len = strlen(value);
	uint64_t u;
	int64_t i;
	bool b;
	int rc;

	snprintf(kname, sizeof(kname), "%s.%s", key->section, key->name);
	why[0] = '\0';
	if (ki->line != NONE) {
		memcpy(base + ki->line, &line, sizeof(line));
	}

	switch (key->type) {
	case FCC_TYPE_SIZE:
		rc = fcc_parse_size(value, &u);
		if (rc == -ERANGE || (rc == 0 && u > INT64_MAX)) {
			fcc_err_set(err, file, line, kname, "\"%s\" is too large", value);
			return -EINVAL;
		}
		if (rc < 0) {
			fcc_err_set(err, file, line, kname,
				    "\"%s\" is not a size (use 8G, 512M, 64K, or bytes)", value);
			return -EINVAL;
		}
		if (!in_range(key, ki, (int64_t)u)) {
			fcc_fmt_size((uint64_t)key->min, lo, sizeof(lo));
			fcc_fmt_size((uint64_t)key->max, hi, sizeof(hi));
			fcc_err_set(err, file, line, kname, "\"%s\" is out of range (%s%s to %s)",
				    value, ki->flags & F_ZERO_OFF ? "0, or " : "", lo, hi);
			return -EINVAL;
		}
		if ((ki->flags & F_POW2) && (u & (u - 1))) {
			uint64_t down = UINT64_C(1) << (63 - __builtin_clzll(u));

			fcc_fmt_size(down, lo, sizeof(lo));
			fcc_fmt_size(down << 1, hi, sizeof(hi));
			fcc_err_set(err, file, line, kname,
				    "\"%s\" is not a power of two (use %s or %s)", value, lo, hi);
			return -EINVAL;
		}
		store_uint(field, ki->size, u);
		return 0;

	case FCC_TYPE_DURATION:
		rc = fcc_parse_duration(value, &u);
		if (rc == -ERANGE || (rc == 0 && u > INT64_MAX)) {
			fcc_err_set(err, file, line, kname, "\"%s\" is too long", value);
			return -EINVAL;
		}
		if (rc < 0) {
			fcc_err_set(
				err, file, line, kname,
				"\"%s\" is not a duration (use 500ms, 10s, 5m, 1h; also ns, us)",
				value);
			return -EINVAL;
		}
		if (!in_range(key, ki, (int64_t)u)) {
			fcc_fmt_duration((uint64_t)key->min, lo, sizeof(lo));
			fcc_fmt_duration((uint64_t)key->max, hi, sizeof(hi));
			fcc_err_set(err, file, line, kname, "\"%s\" is out of range (%s%s to %s)",
				    value, ki->flags & F_ZERO_OFF ? "0, or " : "", lo, hi);
			return -EINVAL;
		}
		store_uint(field, ki->size, u);
		return 0;

	case FCC_TYPE_INT:
		rc = fcc_parse_int(value, &i);
		if (rc < 0) {
			fcc_err_set(err, file, line, kname, "\"%s\" is not an integer", value);
			return -EINVAL;
		}
		if (!in_range(key, ki, i)) {
			fcc_err_set(err, file, line, kname,
				    "\"%s\" is out of range (%" PRId64 " to %" PRId64 ")", value,
				    key->min, key->max);
			return -EINVAL;
		}
		store_int(field, ki->size, i);
		return 0;

	case FCC_TYPE_BOOL:
		if (fcc_parse_bool(value, &b) < 0) {
			fcc_err_set(err, file, line, kname,
				    "\"%s\" is not a boolean (use yes or no)", value);
			return -EINVAL;
		}
		memcpy(field, &b, sizeof(b));
		return 0;

	case FCC_TYPE_ENUM: {
		size_t n, off = 0;

		for (n = 0; key->values[n]; n++) {
			if (!strcmp(value, key->values[n])) {
				store_int(field, ki->size, (int64_t)n);
				return 0;
			}
		}
		for (n = 0; key->values[n]; n++) {
			off += (size_t)snprintf(why + off, sizeof(why) - off, "%s%s", n ? ", " : "",
						key->values[n]);
		}
		fcc_err_set(err, file, line, kname, "\"%s\" is not one of: %s", value, why);
		return -EINVAL;
	}

	case FCC_TYPE_NAME:
	case FCC_TYPE_PATH:
	case FCC_TYPE_STRING:
	case FCC_TYPE_DEVICE:
		if (len == 0 && (ki->flags & F_NONEMPTY)) {
			fcc_err_set(err, file, line, kname, "must not be empty");
			return -EINVAL;
		}
		if (len >= ki->size) {
			fcc_err_set(err, file, line, kname, "is %zu characters long; at most %zu",
				    len, ki->size - 1);
			return -EINVAL;
		}
		if (len && key->type == FCC_TYPE_NAME) {
			const char *p;

			for (p = value; *p; p++) {
				if (!isalnum((unsigned char)*p) && !strchr("_.-", *p)) {
					fcc_err_set(
						err, file, line, kname,
						"\"%s\" is not a valid name (letters, digits, '_', '.', '-')",
						value);
					return -EINVAL;
				}
			}
		}
		if (len && key->type == FCC_TYPE_PATH && value[0] != '/') {
			fcc_err_set(err, file, line, kname,
				    "\"%s\" is not an absolute path (start it with /)", value);
			return -EINVAL;
		}
		if ((ki->flags & F_NOSLASH) && strchr(value, '/')) {
			fcc_err_set(
				err, file, line, kname,
				"\"%s\" contains '/': it is a file name; set the directory with directory =",
				value);
			return -EINVAL;
		}
		if (key->type == FCC_TYPE_DEVICE && len) {
			enum fcc_device_kind kind;

			if (fcc_is_pci(value)) {
				kind = FCC_DEVICE_PCI;
			} else if (fcc_is_vdev(value)) {
				kind = FCC_DEVICE_VDEV;
			} else {
				fcc_err_set(
					err, file, line, kname,
					"\"%s\" is neither a PCI address (0000:3b:00.0) nor DPDK virtual device arguments (net_pcap0,rx_pcap=FILE)",
					value);
				return -EINVAL;
			}
			memcpy(base + ki->aux, &kind, sizeof(kind));
			if (kind == FCC_DEVICE_PCI && len == 7) {
				/* write it as DPDK prints it, domain included */
				snprintf(field, ki->size, "0000:%s", value);
				return 0;
			}
		}
		if (len == 0 && (ki->flags & F_DEFNAME)) {
			name_default(sec, fcc_entry_name(cfg, sec, idx), field, ki->size);
			return 0;
		}
		memcpy(field, value, len + 1);
		return 0;

	case FCC_TYPE_GROUPS: {
		struct fcc_group *groups = field;
		unsigned n = 0, j;
		const char *p = value;

		while (*p) {
			char tok[160];
			size_t tl = 0;

			if (fcc_is_sep(*p)) {
				p++;
				continue;
			}
			while (p[tl] && !fcc_is_sep(p[tl])) {
				tl++;
			}
			snprintf(tok, sizeof(tok), "%.*s", (int)tl, p);
			p += tl;
			if (n >= FCC_MAX_GROUPS) {
				fcc_err_set(err, file, line, kname, "more than %d groups",
					    FCC_MAX_GROUPS);
				return -EINVAL;
			}
			if (fcc_parse_group(tok, &groups[n], why, sizeof(why)) < 0) {
				fcc_err_set(err, file, line, kname, "%s", why);
				return -EINVAL;
			}
			for (j = 0; j < n; j++) {
				if (fcc_same_group(&groups[j], &groups[n])) {
					fcc_err_set(err, file, line, kname, "%s is listed twice",
						    tok);
					return -EINVAL;
				}
			}
			n++;
		}
		memcpy(base + ki->aux, &n, sizeof(n));
		return 0;
	}

	case FCC_TYPE_CPUS: {
		bool has = false;

		if (fcc_parse_cpus(value, field, why, sizeof(why)) < 0) {
			fcc_err_set(err, file, line, kname, "%s", why);
			return -EINVAL;
		}
		has = fcc_cpuset_count(field) > 0;
		memcpy(base + ki->aux, &has, sizeof(has));
		return 0;
	}
	}
	fcc_err_set(err, file, line, kname, "internal error: unknown type");
	return -EINVAL;
}
