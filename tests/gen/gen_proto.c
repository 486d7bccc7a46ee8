/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_proto.c - feedcap-gendata --proto: the same market data framed as another venue's
 * protocol.  A MoldUDP64 packet is built first (so the random stream, and every other option,
 * stay the same), then its messages are re-framed with the protocol's packet header and its
 * message length convention, laid out as each public specification says:
 *
 *	pitch	Cboe Multicast PITCH 2.41 Sequenced Unit Header (8 bytes, LE), 1-byte lengths
 *	iextp	IEX-TP 1.25 segment header (40 bytes, LE), 2-byte lengths
 *	mdp3	CME MDP 3.0 packet header (MsgSeqNum, SendingTime; LE), MsgSize per message
 *	pillar	NYSE XDP Common Client 2.3a packet header (16 bytes, LE), MsgSize per message
 *	eobi	Eurex EOBI 10.0 PacketHeader (template 13005, 32 bytes, LE), BodyLen per message
 *	opra	OPRA Binary (Pillar) 4.0 Block Header (21 bytes, LE), messages back to back
 *
 * mdp3 and eobi number packets, the others messages.  The message bodies stay ITCH-like: the
 * sequence layer is what these feeds are generated for.
 */
#include <string.h>

#include "gendata.h"

const char *const gen_proto_names[GEN_PROTO_N] = {
	[GEN_PROTO_MOLD] = "moldudp64", [GEN_PROTO_PITCH] = "pitch",   [GEN_PROTO_IEXTP] = "iextp",
	[GEN_PROTO_MDP3] = "mdp3",	[GEN_PROTO_PILLAR] = "pillar", [GEN_PROTO_EOBI] = "eobi",
	[GEN_PROTO_OPRA] = "opra",
};

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

/* The messages of a MoldUDP64 packet: *n bodies at off[i], len[i]. */
static unsigned int mold_messages(const uint8_t *m, size_t mlen, size_t off[], size_t len[])
{
	unsigned int n = 0;
	size_t at = GEN_MOLD_HDR;

	while (at + 2 <= mlen && n < 255) {
		size_t l = (size_t)(m[at] << 8 | m[at + 1]);

		off[n] = at + 2;
		len[n] = l;
		n++;
		at += 2 + l;
	}
	return n;
}

size_t gen_proto_wrap(enum gen_proto p, struct gen_proto_state *st, const uint8_t *mold,
		      size_t mlen, uint8_t *out, uint64_t ts, uint64_t *seq, uint32_t *count)
{
	size_t off[256], len[256], o;
	unsigned int n = mold_messages(mold, mlen, off, len);
	uint64_t mseq = 0;
	bool hb = n == 0;

	for (int i = 10; i < 18; i++) {
		mseq = mseq << 8 | mold[i];
	}
	*seq = mseq;
	*count = n;
	switch (p) {
	case GEN_PROTO_MOLD:
		memcpy(out, mold, mlen);
		return mlen;
	case GEN_PROTO_PITCH:
		o = 8;
		for (unsigned int i = 0; i < n; i++) {
			out[o] = (uint8_t)(len[i] + 1);
			memcpy(out + o + 1, mold + off[i], len[i]);
			o += 1 + len[i];
		}
		put_le16(out, (uint16_t)o);
		out[2] = (uint8_t)n;
		out[3] = st->unit;
		put_le32(out + 4, (uint32_t)mseq); /* heartbeat: the next number */
		return o;
	case GEN_PROTO_IEXTP:
		o = 40;
		for (unsigned int i = 0; i < n; i++) {
			put_le16(out + o, (uint16_t)len[i]);
			memcpy(out + o + 2, mold + off[i], len[i]);
			o += 2 + len[i];
		}
		memset(out, 0, 40);
		out[0] = 1;
		put_le16(out + 2, 0x8003);
		put_le32(out + 4, 1);
		put_le32(out + 8, st->session_id);
		put_le16(out + 12, (uint16_t)(o - 40));
		put_le16(out + 14, (uint16_t)n);
		put_le64(out + 16, st->stream_offset);
		put_le64(out + 24, mseq);
		put_le64(out + 32, ts);
		st->stream_offset += o - 40;
		return o;
	case GEN_PROTO_MDP3:
		o = 12;
		for (unsigned int i = 0; i < n; i++) {
			put_le16(out + o, (uint16_t)(len[i] + 2));
			memcpy(out + o + 2, mold + off[i], len[i]);
			o += 2 + len[i];
		}
		*seq = st->pkt_seq++;
		*count = 1; /* a heartbeat packet is numbered too */
		put_le32(out, (uint32_t)*seq);
		put_le64(out + 4, ts);
		return o;
	case GEN_PROTO_PILLAR:
		o = 16;
		for (unsigned int i = 0; i < n; i++) {
			put_le16(out + o, (uint16_t)(len[i] + 2));
			memcpy(out + o + 2, mold + off[i], len[i]);
			o += 2 + len[i];
		}
		put_le16(out, (uint16_t)o);
		out[2] = hb ? 1 : st->reset_pending ? 12 : 11;
		out[3] = (uint8_t)n;
		put_le32(out + 4, (uint32_t)mseq);
		put_le32(out + 8, (uint32_t)(ts / NSEC_PER_SEC));
		put_le32(out + 12, (uint32_t)(ts % NSEC_PER_SEC));
		if (!hb) {
			st->reset_pending = false;
		}
		return o;
	case GEN_PROTO_EOBI:
		memset(out, 0, 32);
		o = 32;
		if (hb) {
			/* Heartbeat (13001): LastMsgSeqNumProcessed, the last packet's number */
			memset(out + o, 0, 16);
			put_le16(out + o, 16);
			put_le16(out + o + 2, 13001);
			put_le32(out + o + 8, (uint32_t)(st->pkt_seq - 1));
			o += 16;
			*seq = st->pkt_seq - 1;
			*count = 0;
		} else {
			for (unsigned int i = 0; i < n; i++) {
				/* message header: BodyLen, TemplateID (13100 OrderAdd), MsgSeqNum */
				put_le16(out + o, (uint16_t)(8 + len[i]));
				put_le16(out + o + 2, 13100);
				put_le32(out + o + 4, i + 1);
				memcpy(out + o + 8, mold + off[i], len[i]);
				o += 8 + len[i];
			}
			*seq = st->pkt_seq++;
			*count = 1;
		}
		put_le16(out, 32);
		put_le16(out + 2, 13005);
		put_le32(out + 8, (uint32_t)*seq);
		put_le32(out + 12, st->segment);
		out[16] = 1; /* PartitionID */
		out[17] = 1; /* CompletionIndicator: complete */
		out[18] = !hb && st->reset_pending ? 1 : 0;
		put_le64(out + 24, ts);
		if (!hb) {
			st->reset_pending = false;
		}
		return o;
	case GEN_PROTO_OPRA:
		o = 21;
		for (unsigned int i = 0; i < n; i++) {
			memcpy(out + o, mold + off[i], len[i]);
			o += len[i];
		}
		memset(out, 0, 21);
		out[0] = 6;
		put_le16(out + 1, (uint16_t)o);
		out[3] = 'O';
		out[4] = ' ';
		put_le32(out + 6, (uint32_t)mseq);
		out[10] = (uint8_t)n;
		put_le32(out + 11, (uint32_t)(ts / NSEC_PER_SEC));
		put_le32(out + 15, (uint32_t)(ts % NSEC_PER_SEC));
		return o;
	case GEN_PROTO_N:
		break;
	}
	return 0;
}

void gen_proto_reset(enum gen_proto p, struct gen_proto_state *st, struct gen_session *s)
{
	s->next_seq = 1;
	st->pkt_seq = 1;
	st->reset_pending = true;
	st->session_id++;
	if (p == GEN_PROTO_MOLD) {
		/* MoldUDP64 has no reset: a new session starts at 1 */
		s->name[GEN_SESSION_LEN - 1] =
			(char)('A' + (s->name[GEN_SESSION_LEN - 1] - '0' + 1) % 26);
	}
}
