/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * seqgap_decoders.c - the built-in sequence decoders: one row per venue protocol, each read
 * from the protocol's public specification (docs/sequence-gaps.md has the prose and the
 * versions).  Offsets are from the start of the UDP payload.
 *
 * Sequence resets: MoldUDP64 and IEX-TP start a new session (a new key) instead; EOBI and
 * XDP/Pillar flag the reset packet; the others start again at 1 ("restart").
 */
#include <string.h>

#include "seqgap_internal.h"

#define F(o, w, b)                                                                                 \
	{                                                                                          \
		.off = (o), .width = (w), .be = (b)                                                \
	}
#define BE true
#define LE false

const struct fcreader_seq_decoder fcreader_seq_builtin[] = {
	{
		/* session(10) sequence(8) count(2), big-endian; count 0 heartbeat, 0xFFFF end of
		 * session, both carrying the next number; messages: 2-byte length, then body. */
		.name = "moldudp64",
		.spec = "Nasdaq MoldUDP64 Protocol Specification, version 1.00",
		.min_len = 20,
		.session = F(0, 10, BE),
		.seq = F(10, 8, BE),
		.count = F(18, 2, BE),
		.has_end = true,
		.end_count = 0xffff,
		.hb = FCREADER_SEQ_HB_COUNT0,
		.hb_next = true,
		.msglen = F(0, 2, BE),
		.msg_start = 20,
		.msg_count = true,
	},
	{
		/* Sequenced Unit Header: length(2) count(1) unit(1) sequence(4), little-endian;
		 * sequences run per unit; unit 0 is unsequenced; count 0 is a heartbeat carrying
		 * the unit's next number; each message starts with its own 1-byte length. */
		.name = "pitch",
		.spec = "Cboe US Equities/Options Multicast Depth of Book (PITCH) Specification, "
			"version 2.41 (Sequenced Unit Header)",
		.min_len = 8,
		.length = F(0, 2, LE),
		.count = F(2, 1, LE),
		.session = F(3, 1, LE),
		.seq = F(4, 4, LE),
		.hb = FCREADER_SEQ_HB_COUNT0,
		.hb_next = true,
		.reset = FCREADER_SEQ_RESET_RESTART,
		.skip_field = F(3, 1, LE),
		.skip_lo = 0,
		.skip_hi = 0,
		.msglen = F(0, 1, LE),
		.msglen_self = true,
		.msg_start = 8,
		.msg_count = true,
	},
	{
		/* IEX-TP v1 segment header (40 bytes, little-endian): version(1)=1, reserved(1),
		 * protocol(2), channel(4), session(4), payload length(2), message count(2), stream
		 * offset(8), first message sequence number(8), send time(8); a segment without
		 * messages is a heartbeat carrying the next number; messages: 2-byte length. */
		.name = "iextp",
		.spec = "IEX Transport Protocol (IEX-TP) Specification, version 1.25",
		.min_len = 40,
		.magic = F(0, 1, LE),
		.magic_value = 1,
		.length = F(12, 2, LE),
		.length_adj = 40,
		.session = F(4, 8, LE), /* channel and session: a new session restarts numbers */
		.count = F(14, 2, LE),
		.seq = F(24, 8, LE),
		.hb = FCREADER_SEQ_HB_COUNT0,
		.hb_next = true,
		.msglen = F(0, 2, LE),
		.msg_start = 40,
		.msg_count = true,
	},
	{
		/* Binary packet header: MsgSeqNum(4) SendingTime(8), little-endian; one number per
		 * packet, heartbeats included; messages: MsgSize(2) counting itself. */
		.name = "mdp3",
		.spec = "CME Group MDP 3.0 Market Data Packet Header (MDP 3.0 binary packet "
			"structure: MsgSeqNum, SendingTime; SBE message header MsgSize)",
		.min_len = 12,
		.seq = F(0, 4, LE),
		.reset = FCREADER_SEQ_RESET_RESTART,
		.msglen = F(0, 2, LE),
		.msglen_self = true,
		.msg_start = 12,
	},
	{
		/* Packet header: PktSize(2) DeliveryFlag(1) NumberMsgs(1) SeqNum(4) SendTime(4)
		 * SendTimeNS(4), little-endian; flag 1 heartbeat, 12 sequence number reset, 13-21
		 * retransmission and refresh (not the live sequence); messages: MsgSize(2). */
		.name = "pillar",
		.spec = "NYSE XDP Common Client Specification, version 2.3a (packet header, "
			"delivery flags), as used by the NYSE Pillar XDP feeds",
		.min_len = 16,
		.length = F(0, 2, LE),
		.count = F(3, 1, LE),
		.seq = F(4, 4, LE),
		.hb = FCREADER_SEQ_HB_FIELD,
		.hb_field = F(2, 1, LE),
		.hb_value = 1,
		.reset = FCREADER_SEQ_RESET_FIELD,
		.reset_field = F(2, 1, LE),
		.reset_value = 12,
		.skip_field = F(2, 1, LE),
		.skip_lo = 13,
		.skip_hi = 21,
		.msglen = F(0, 2, LE),
		.msglen_self = true,
		.msg_start = 16,
		.msg_count = true,
	},
	{
		/* PacketHeader (template 13005, 32 bytes, little-endian): BodyLen(2) TemplateID(2)
		 * MsgSeqNum(4) ApplSeqNum(4) MarketSegmentID(4) PartitionID(1)
		 * CompletionIndicator(1) ApplSeqResetIndicator(1) DSCP(1) pad(4) TransactTime(8);
		 * ApplSeqNum counts packets per market segment; a packet holding a Heartbeat
		 * (13001) announces nothing; messages: BodyLen counting itself. */
		.name = "eobi",
		.spec = "Eurex T7 Enhanced Order Book Interface (EOBI) Manual, release 10.0 "
			"(PacketHeader)",
		.min_len = 32,
		.magic = F(2, 2, LE),
		.magic_value = 13005,
		.seq = F(8, 4, LE),
		.session = F(12, 4, LE),
		.reset = FCREADER_SEQ_RESET_FIELD,
		.reset_field = F(18, 1, LE),
		.reset_value = 1,
		.hb = FCREADER_SEQ_HB_FIELD,
		.hb_field = F(34, 2, LE),
		.hb_value = 13001,
		.msglen = F(0, 2, LE),
		.msglen_self = true,
		.msg_start = 0,
	},
	{
		/* Block header (21 bytes, little-endian): version(1) block size(2) data feed(1)
		 * retransmission(1) session(1) block sequence number(4) messages in block(1)
		 * timestamp(8) checksum(2); the block sequence number is the first message's. */
		.name = "opra",
		.spec = "OPRA Binary Data Recipient Interface Specification (Pillar), version 4.0 "
			"(Block Header)",
		.min_len = 21,
		.length = F(1, 2, LE),
		.seq = F(6, 4, LE),
		.count = F(10, 1, LE),
		.reset = FCREADER_SEQ_RESET_RESTART,
	},
};

const size_t fcreader_seq_nbuiltin = sizeof(fcreader_seq_builtin) / sizeof(fcreader_seq_builtin[0]);

const struct fcreader_seq_decoder *fcreader_seq_builtin_find(const char *name)
{
	for (size_t i = 0; i < fcreader_seq_nbuiltin; i++) {
		if (strcmp(fcreader_seq_builtin[i].name, name) == 0) {
			return &fcreader_seq_builtin[i];
		}
	}
	return NULL;
}

const char *fcreader_seq_builtin_names(void)
{
	return "moldudp64, pitch, iextp, mdp3, pillar, eobi, opra";
}
