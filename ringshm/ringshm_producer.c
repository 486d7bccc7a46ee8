/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringshm_producer.c - the producer's hot path (ringshm_alloc/put/put_burst/marker/commit) and
 * the few control-plane stores its process makes while it runs.
 *
 * The hot path touches only the mapping and this handle: no system call, no lock, no wait.
 * Once per chunk it publishes `claim` (before overwriting the chunk) and the chunk index
 * entry; once per burst it publishes `head`.  Creating the file and starting an epoch are in
 * ringshm_create.c.
 */
#include <errno.h>
#include <string.h>

#include "ringshm_producer_internal.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* stream_record() builds the header's last word by shifts: */
static_assert(offsetof(struct ringshm_rec_hdr, wire_len) == 26, "wire_len at byte 26");
static_assert(offsetof(struct ringshm_rec_hdr, port) == 28, "port at byte 28");
static_assert(offsetof(struct ringshm_rec_hdr, type) == 29, "type at byte 29");
static_assert(offsetof(struct ringshm_rec_hdr, flags) == 30, "flags at byte 30");

/* ------------------------------------------------------------------ hot path */

static inline struct ringshm_rec_hdr *hdr_at(struct ringshm *r, uint64_t pos)
{
	return (struct ringshm_rec_hdr *)(r->data + (pos & r->mask));
}

void rs_write_pad(struct ringshm *r, uint64_t pos)
{
	struct ringshm_rec_hdr h = { .pos = pos, .type = RINGSHM_REC_PAD };

	*hdr_at(r, pos) = h;
}

/*
 * The record at r->pos does not fit in the current chunk (or no chunk is claimed yet): pad the
 * rest of the chunk, claim the next one and index it.  Returns the new write position.
 */
static __attribute__((noinline)) uint64_t next_chunk(struct ringshm *r, uint64_t ts_ns)
{
	uint64_t pos = r->pos;
	struct ringshm_chunk_ent *ent;

	if (pos != r->claim) {
		rs_write_pad(r, pos);
		pos = r->claim;
	}
	r->claim = pos + r->chunk_size;
	/*
	 * Publish the claim BEFORE the first byte of the chunk (which still holds the records of
	 * the previous lap) is overwritten.  Pairs with the acquire fence + claim load a reader
	 * does after using a record: a reader that saw any byte written below has to see this
	 * claim, and so discards what it read.
	 */
	RS_STORE_RELAXED(&r->ctl->claim, r->claim);
	RS_FENCE_RELEASE();
#ifdef __SSE2__
	/* Streaming stores (put_frame) may pass earlier stores: not this one. */
	_mm_sfence();
#endif
	ent = &r->ctl->chunk_index[(pos >> r->chunk_shift) & r->nchunks_mask];
	RS_STORE_RELAXED(&ent->first_ts, ts_ns);
	/* Pairs with the reader's load-acquire of chunk_pos in the time search. */
	RS_STORE_RELEASE(&ent->chunk_pos, pos);
	return pos;
}

static inline void *put_record(struct ringshm *r, uint32_t cap_len, uint32_t wire_len,
			       uint64_t ts_ns, uint8_t port, uint8_t type, uint16_t flags)
{
	uint32_t size = ringshm_rec_size(cap_len);
	uint64_t pos = r->pos;
	struct ringshm_rec_hdr *h;

	if (unlikely(pos + size > r->claim)) {
		pos = next_chunk(r, ts_ns);
	}
	h = hdr_at(r, pos);
	h->pos = pos;
	h->ts_ns = ts_ns;
	h->seq = r->seq++;
	h->cap_len = (uint16_t)cap_len;
	h->wire_len = (uint16_t)wire_len;
	h->port = port;
	h->type = type;
	h->flags = flags;
	r->pos = pos + size;
	return h + 1;
}

/* Count a frame and fix its wire length and flags (clamped, truncated). */
static inline uint16_t frame_flags(struct ringshm *r, uint32_t cap_len, uint32_t *wire_len,
				   uint16_t flags)
{
	r->frames++;
	r->bytes += *wire_len;
	r->cap_bytes += cap_len;
	if (unlikely(*wire_len > RINGSHM_MAX_CAPLEN)) {
		*wire_len = RINGSHM_MAX_CAPLEN;
		flags |= RINGSHM_F_WIRE_CLAMPED;
	}
	if (cap_len < *wire_len || (flags & RINGSHM_F_WIRE_CLAMPED)) {
		flags |= RINGSHM_F_TRUNCATED;
		r->truncated++;
	}
	return flags;
}

void *ringshm_alloc(struct ringshm *r, uint32_t cap_len, uint32_t wire_len, uint64_t ts_ns,
		    uint8_t port, uint16_t flags)
{
	/*
	 * The caller writes cap_len bytes at the pointer we return, so we cannot cut it as
	 * ringshm_put() does: a larger record would cross its chunk into bytes of the previous
	 * lap that no claim covers, and readers would take them as intact.  Refuse it, write
	 * nothing, count it.
	 */
	if (unlikely(cap_len > r->max_caplen)) {
		r->refused++;
		RS_STORE_RELAXED(&r->ctl->counters.refused, r->refused);
		return NULL;
	}
	flags = frame_flags(r, cap_len, &wire_len, flags);
	return put_record(r, cap_len, wire_len, ts_ns, port, RINGSHM_REC_FRAME, flags);
}

/*
 * Frames of at least this many bytes go into the ring with streaming stores, smaller ones
 * through the cache.  Streaming stores write whole lines without reading them first and leave
 * the ring out of the producer's cache: at 1500 B they double the poller's rate.  Below a few
 * hundred bytes the sfence each burst then needs (the write-combining buffers drain) costs
 * more than the lines it saves: at 64 and 256 B the copy through the cache is 10-20% faster
 * (bench/capture, docs/performance.md).
 */
#define RS_STREAM_MIN 320

/*
 * The copies through the cache in 32-byte moves where the CPU has AVX2, 16-byte ones where it
 * has only SSE2: one build for every x86-64, the version picked when the program loads.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__AVX2__)
#define RS_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define RS_CLONES
#endif

#ifdef __SSE2__
/*
 * One record with streaming stores.  The header is built in registers (a struct written field
 * by field and loaded as vectors would stall on store forwarding); its last word is cap_len,
 * wire_len, port, type, flags as struct ringshm_rec_hdr lays them out (little-endian).  The
 * tail goes through a zeroed copy: never read past the frame, fill the record out.
 */
static inline void stream_record(uint8_t *at, const uint8_t *src, uint32_t cap_len, uint32_t size,
				 uint64_t pos, uint64_t seq, uint64_t ts_ns, uint64_t meta)
{
	__m128i *dst = (__m128i *)(void *)at, tail[2];
	uint32_t i;

	_mm_stream_si128(dst, _mm_set_epi64x((long long)ts_ns, (long long)pos));
	_mm_stream_si128(dst + 1, _mm_set_epi64x((long long)meta, (long long)seq));
	dst += 2;
	for (i = 0; i + 16 <= cap_len; i += 16) {
		_mm_stream_si128(dst++, _mm_loadu_si128((const __m128i *)(const void *)(src + i)));
	}
	if (i < size - RINGSHM_REC_HDR_SIZE) {
		memset(tail, 0, sizeof(tail));
		memcpy(tail, src + i, cap_len - i);
		_mm_stream_si128(dst++, tail[0]);
		if (i + 16 < size - RINGSHM_REC_HDR_SIZE) {
			_mm_stream_si128(dst, tail[1]);
		}
	}
}
#endif

/*
 * A frame below RS_STREAM_MIN through the cache: fixed-size copies the compiler turns into the
 * widest vector moves of the target (RS_CLONES), the last one ending at the frame's last byte
 * (it may overlap the one before).  Inline, no call, never a read past the frame.
 */
static inline void copy_cached(uint8_t *dst, const uint8_t *src, uint32_t len)
{
	uint32_t i;

	if (len >= 64) {
		for (i = 0; i + 64 < len; i += 64) {
			memcpy(dst + i, src + i, 64);
		}
		memcpy(dst + len - 64, src + len - 64, 64);
	} else if (len >= 32) {
		memcpy(dst, src, 32);
		memcpy(dst + len - 32, src + len - 32, 32);
	} else if (len >= 16) {
		memcpy(dst, src, 16);
		memcpy(dst + len - 16, src + len - 16, 16);
	} else {
		memcpy(dst, src, len);
	}
}

/*
 * Copy one contiguous frame into the current burst: ringshm_put() and ringshm_put_burst().
 * A cap_len over max_caplen is cut (the copy is ours, unlike ringshm_alloc()'s, so we cut
 * it rather than cross the chunk).  The caller publishes with ringshm_commit().
 */
static inline void put_frame(struct ringshm *r, const void *frame, uint32_t cap_len,
			     uint32_t wire_len, uint64_t ts_ns, uint8_t port, uint16_t flags)
{
	uint64_t pos = r->pos;
	uint32_t size;

	if (unlikely(cap_len > r->max_caplen)) {
		cap_len = r->max_caplen;
	}
	size = ringshm_rec_size(cap_len);
	flags = frame_flags(r, cap_len, &wire_len, flags);
	if (unlikely(pos + size > r->claim)) {
		pos = next_chunk(r, ts_ns);
	}
#ifdef __SSE2__
	if (cap_len >= RS_STREAM_MIN) {
		stream_record(r->data + (pos & r->mask), frame, cap_len, size, pos, r->seq++, ts_ns,
			      (uint64_t)cap_len | (uint64_t)wire_len << 16 | (uint64_t)port << 32 |
				      (uint64_t)RINGSHM_REC_FRAME << 40 | (uint64_t)flags << 48);
		r->pos = pos + size;
		r->nt_pending = true;
		return;
	}
#endif
	{
		const struct ringshm_rec_hdr h = {
			.pos = pos,
			.ts_ns = ts_ns,
			.seq = r->seq++,
			.cap_len = (uint16_t)cap_len,
			.wire_len = (uint16_t)wire_len,
			.port = port,
			.type = RINGSHM_REC_FRAME,
			.flags = flags,
		};
		struct ringshm_rec_hdr *dst = hdr_at(r, pos);

		*dst = h;
		copy_cached((uint8_t *)(dst + 1), frame, cap_len);
		r->pos = pos + size;
	}
}

RS_CLONES void ringshm_put(struct ringshm *r, const void *frame, uint32_t cap_len,
			   uint32_t wire_len, uint64_t ts_ns, uint8_t port, uint16_t flags)
{
	put_frame(r, frame, cap_len, wire_len, ts_ns, port, flags);
}

RS_CLONES void ringshm_put_burst(struct ringshm *r, const struct ringshm_frame *f, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		put_frame(r, f[i].data, f[i].cap_len, f[i].wire_len, f[i].ts_ns, f[i].port,
			  f[i].flags);
	}
}

int ringshm_marker(struct ringshm *r, enum ringshm_rec_type type, const void *payload, uint32_t len,
		   uint64_t ts_ns)
{
	void *p;

	if ((type != RINGSHM_REC_LOSS && type != RINGSHM_REC_CLOCK && type != RINGSHM_REC_EPOCH) ||
	    len > r->max_caplen || (len && !payload)) {
		return -EINVAL;
	}
	p = put_record(r, len, len, ts_ns, 0, (uint8_t)type, 0);
	if (len) {
		memcpy(p, payload, len);
	}
	r->markers++;
	return 0;
}

void ringshm_commit(struct ringshm *r)
{
	struct ringshm_ctl *c = r->ctl;

#ifdef __SSE2__
	if (r->nt_pending) {
		/* Make the streaming stores visible before head. */
		_mm_sfence();
		r->nt_pending = false;
	}
#endif
	RS_STORE_RELAXED(&c->next_seq, r->seq);
	/*
	 * Every record below r->pos is complete.  Pairs with the reader's load-acquire of head:
	 * a reader that sees this head sees the headers and payloads below it.
	 */
	RS_STORE_RELEASE(&c->head, r->pos);
	RS_STORE_RELAXED(&c->counters.frames, r->frames);
	RS_STORE_RELAXED(&c->counters.bytes, r->bytes);
	RS_STORE_RELAXED(&c->counters.cap_bytes, r->cap_bytes);
	RS_STORE_RELAXED(&c->counters.truncated, r->truncated);
	RS_STORE_RELAXED(&c->counters.markers, r->markers);
}

uint32_t ringshm_max_caplen(const struct ringshm *r)
{
	return r->max_caplen;
}

/* ------------------------------------------------------------------ control plane */

struct ringshm_ctl *ringshm_ctl(struct ringshm *r)
{
	return r->ctl;
}

struct ringshm_xstat_table *ringshm_xstats(struct ringshm *r)
{
	uint64_t off = r->ctl->xstats_off;

	return off ? (struct ringshm_xstat_table *)(void *)((uint8_t *)r->ctl + off) : NULL;
}

void ringshm_heartbeat(struct ringshm *r)
{
	RS_STORE_RELAXED(&r->ctl->heartbeat_ns, rs_now_ns());
}

int ringshm_clock_publish(struct ringshm *r, const void *blk, uint32_t len)
{
	struct ringshm_ctl *c = r->ctl;
	uint32_t s;

	if (len > RINGSHM_CLOCK_BLOCK_SIZE || (len && !blk)) {
		return -EINVAL;
	}
	s = RS_LOAD_RELAXED(&c->clock_seq);
	s += s & 1; /* a previous producer died mid-write: start from an even value */
	/* Odd while writing; the release fence orders it before the data (vDSO seqlock). */
	RS_STORE_RELAXED(&c->clock_seq, s + 1);
	RS_FENCE_RELEASE();
	memcpy(c->clock, blk, len);
	RS_STORE_RELAXED(&c->clock_len, len);
	/* Pairs with the reader's acquire fence before its second load of clock_seq. */
	RS_STORE_RELEASE(&c->clock_seq, s + 2);
	return 0;
}

const char *ringshm_path(const struct ringshm *r)
{
	return r->path;
}
