/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stat_parse.c - find a frame's destination group and UDP port.
 *
 * Only the fixed headers are read, each one after checking that the capture holds it, so a
 * runt or a frame cut by the snap length is counted as "other" rather than read past its end.
 * IPv4 fragments: only the first one carries the UDP header, so it is counted with its group
 * and the later ones apart (FCREADER_FLOW_FRAGMENT), never misread as UDP.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pcap/dlt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stat_internal.h"

#define ETH_HLEN      14
#define ETHERTYPE_IP  0x0800
#define ETHERTYPE_IP6 0x86dd
#define ETHERTYPE_VLN 0x8100
#define ETHERTYPE_QNQ 0x88a8
#define ETHERTYPE_Q91 0x9100
#define IPPROTO_UDP_  17
#define SLL_HLEN      16
#define SLL2_HLEN     20

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The destination port is in the first 4 bytes: a frame cut inside the UDP header still
 * belongs to its group (as tshark counts it), with no payload to decode. */
static enum fcreader_flow_kind udp(const uint8_t *p, uint32_t len, struct fcreader_flow *f)
{
	if (len < 4) {
		return f->kind = FCREADER_FLOW_OTHER;
	}
	f->dport = be16(p + 2);
	if (len < 8) {
		f->payload = p + len;
		f->paylen = 0;
		f->udplen = 0;
		return f->kind = FCREADER_FLOW_UDP;
	}

	uint32_t ulen = be16(p + 4);

	f->payload = p + 8;
	f->paylen = len - 8;
	if (ulen >= 8 && ulen - 8 < f->paylen) {
		f->paylen = ulen - 8; /* Ethernet padding is not payload */
	}
	f->udplen = ulen >= 8 ? ulen - 8 : f->paylen;
	return f->kind = FCREADER_FLOW_UDP;
}

static enum fcreader_flow_kind ipv4(const uint8_t *p, uint32_t len, struct fcreader_flow *f)
{
	if (len < 20 || (p[0] >> 4) != 4) {
		return f->kind = FCREADER_FLOW_OTHER;
	}

	uint32_t ihl = (uint32_t)(p[0] & 0x0f) * 4;
	uint16_t frag = be16(p + 6);

	if (ihl < 20 || ihl > len) {
		return f->kind = FCREADER_FLOW_OTHER;
	}
	f->af = 4;
	memcpy(f->dst, p + 16, 4);
	if ((frag & 0x1fff) != 0) {
		return f->kind = FCREADER_FLOW_FRAGMENT;
	}
	if (p[9] != IPPROTO_UDP_) {
		return f->kind = FCREADER_FLOW_OTHER;
	}

	uint32_t tot = be16(p + 2);

	if (tot >= ihl && tot < len) {
		len = tot; /* trailing Ethernet padding */
	}
	return udp(p + ihl, len - ihl, f);
}

static enum fcreader_flow_kind ipv6(const uint8_t *p, uint32_t len, struct fcreader_flow *f)
{
	if (len < 40 || (p[0] >> 4) != 6) {
		return f->kind = FCREADER_FLOW_OTHER;
	}
	f->af = 6;
	memcpy(f->dst, p + 24, 16);

	uint8_t nh = p[6];
	uint32_t off = 40;
	uint32_t plen = be16(p + 4);

	if (plen + 40 < len) {
		len = plen + 40;
	}
	for (int hops = 0; hops < 8; hops++) {
		switch (nh) {
		case IPPROTO_UDP_:
			return udp(p + off, len - off, f);
		case 0:	 /* hop-by-hop */
		case 43: /* routing */
		case 60: /* destination options */
			if (len - off < 8) {
				return f->kind = FCREADER_FLOW_OTHER;
			}
			nh = p[off];
			off += ((uint32_t)p[off + 1] + 1) * 8;
			if (off > len) {
				return f->kind = FCREADER_FLOW_OTHER;
			}
			break;
		case 44: /* fragment */
			if (len - off < 8) {
				return f->kind = FCREADER_FLOW_OTHER;
			}
			if ((be16(p + off + 2) & 0xfff8) != 0) {
				return f->kind = FCREADER_FLOW_FRAGMENT;
			}
			nh = p[off];
			off += 8;
			break;
		default:
			return f->kind = FCREADER_FLOW_OTHER;
		}
	}
	return f->kind = FCREADER_FLOW_OTHER;
}

static enum fcreader_flow_kind ether(const uint8_t *p, uint32_t len, uint16_t type,
				     struct fcreader_flow *f)
{
	while (type == ETHERTYPE_VLN || type == ETHERTYPE_QNQ || type == ETHERTYPE_Q91) {
		if (len < 4) {
			return f->kind = FCREADER_FLOW_OTHER;
		}
		type = be16(p + 2);
		p += 4;
		len -= 4;
		f->vlans++;
	}
	if (type == ETHERTYPE_IP) {
		return ipv4(p, len, f);
	}
	if (type == ETHERTYPE_IP6) {
		return ipv6(p, len, f);
	}
	return f->kind = FCREADER_FLOW_OTHER;
}

enum fcreader_flow_kind fcreader_flow_parse(int linktype, const uint8_t *p, uint32_t caplen,
					    struct fcreader_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->kind = FCREADER_FLOW_OTHER;
	switch (linktype) {
	case DLT_EN10MB:
		if (caplen < ETH_HLEN) {
			return f->kind;
		}
		return ether(p + ETH_HLEN, caplen - ETH_HLEN, be16(p + 12), f);
	case DLT_LINUX_SLL:
		if (caplen < SLL_HLEN) {
			return f->kind;
		}
		return ether(p + SLL_HLEN, caplen - SLL_HLEN, be16(p + 14), f);
	case DLT_LINUX_SLL2:
		/* tcpdump -i any since libpcap 1.10: the protocol type comes first */
		if (caplen < SLL2_HLEN) {
			return f->kind;
		}
		return ether(p + SLL2_HLEN, caplen - SLL2_HLEN, be16(p), f);
	case DLT_RAW:
	case 228: /* LINKTYPE_IPV4 */
	case 229: /* LINKTYPE_IPV6 */
		if (caplen < 1) {
			return f->kind;
		}
		return (p[0] >> 4) == 6 ? ipv6(p, caplen, f) : ipv4(p, caplen, f);
	default:
		return f->kind;
	}
}

void fcreader_flow_dst_str(const struct fcreader_flow *f, char *out, size_t outlen)
{
	char a[INET6_ADDRSTRLEN];

	if (f->af == 6) {
		inet_ntop(AF_INET6, f->dst, a, sizeof(a));
		snprintf(out, outlen, "[%s]:%u", a, f->dport);
	} else {
		inet_ntop(AF_INET, f->dst, a, sizeof(a));
		snprintf(out, outlen, "%s:%u", a, f->dport);
	}
}

int fcreader_dst_parse(const char *s, struct fcreader_flow *f, bool *any_port)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = NULL;
	size_t hl;

	memset(f, 0, sizeof(*f));
	if (s[0] == '[') {
		const char *e = strchr(s, ']');

		if (!e) {
			return -EINVAL;
		}
		hl = (size_t)(e - s - 1);
		if (hl >= sizeof(host)) {
			return -EINVAL;
		}
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		if (e[1] == ':') {
			port = e + 2;
		} else if (e[1] != '\0') {
			return -EINVAL;
		}
		if (inet_pton(AF_INET6, host, f->dst) != 1) {
			return -EINVAL;
		}
		f->af = 6;
	} else {
		const char *c = strchr(s, ':');

		hl = c ? (size_t)(c - s) : strlen(s);
		if (hl >= sizeof(host)) {
			return -EINVAL;
		}
		memcpy(host, s, hl);
		host[hl] = '\0';
		port = c ? c + 1 : NULL;
		if (inet_pton(AF_INET, host, f->dst) != 1) {
			return -EINVAL;
		}
		f->af = 4;
	}
	*any_port = port == NULL;
	if (port) {
		char *end;
		unsigned long v = strtoul(port, &end, 10);

		if (end == port || *end || v > 65535) {
			return -EINVAL;
		}
		f->dport = (uint16_t)v;
	}
	return 0;
}

bool fcreader_dst_match(const struct fcreader_flow *m, bool any_port, const struct fcreader_flow *k)
{
	return m->af == k->af && memcmp(m->dst, k->dst, m->af == 6 ? 16 : 4) == 0 &&
	       (any_port || m->dport == k->dport);
}

int fcreader_feed_parse(const char *arg, struct fcreader_feed_spec *f, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	const char *comma = eq ? strchr(eq + 1, ',') : NULL;

	memset(f, 0, sizeof(*f));
	if (!eq || !comma || eq == arg || (size_t)(eq - arg) >= sizeof(f->name)) {
		snprintf(
			err, errlen,
			"expected NAME=GROUP_A,GROUP_B, e.g. itch=239.1.1.1:30001,239.1.2.1:30001");
		return -EINVAL;
	}
	memcpy(f->name, arg, (size_t)(eq - arg));

	const char *parts[2] = { eq + 1, comma + 1 };
	size_t lens[2] = { (size_t)(comma - eq - 1), strlen(comma + 1) };

	for (int l = 0; l < 2; l++) {
		if (lens[l] == 0 || lens[l] >= sizeof(f->spec[l])) {
			snprintf(err, errlen, "group %c is empty or too long", 'A' + l);
			return -EINVAL;
		}
		memcpy(f->spec[l], parts[l], lens[l]);
		f->spec[l][lens[l]] = '\0';
		if (fcreader_dst_parse(f->spec[l], &f->line[l], &f->any_port[l]) < 0) {
			snprintf(err, errlen,
				 "group %c \"%s\" is not ADDR:PORT, ADDR or [IPV6]:PORT", 'A' + l,
				 f->spec[l]);
			return -EINVAL;
		}
	}
	return 0;
}
