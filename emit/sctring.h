/*
 * sctring.h: a lossless capture channel for scsitrace native records, as a single-producer /
 * single-consumer ring in shared memory (docs/FORMAT.md, "The shared-memory ring").
 *
 * The producer is the driver: a DriverKit extension creates the memory with
 * IOBufferMemoryDescriptor::Create() and hands it to a user-space reader from its user client's
 * CopyClientMemoryForType(); the reader maps it with IOConnectMapMemory64() (docs/driverkit.md).
 * The consumer is emit/sctring-drain.c, which writes an .sct file.
 *
 * - The producer writes whole native records (as emit/scsitrace.h encodes them) and never
 *   overwrites what the consumer has not released: when a record does not fit it is dropped
 *   and counted, and the count travels in the stream as a DROP entry in front of the next record
 *   that fits. The consumer turns each into a CAPTURE_GAP record, so a lost record is reported,
 *   never silently missing, and a record is never torn.
 * - Producer fast path: no allocation, no lock, no system call; two atomic loads and one
 *   atomic store. One producer at a time: serialise sct_ring_put() calls (an IOLock around it)
 *   when more than one queue records, or give each queue its own ring.
 * - Ordering: the producer writes an entry's bytes, then publishes it with a release store of
 *   `head`; the consumer reads `head` with acquire, reads the entries, then releases them with a
 *   release store of `tail`; the producer reads `tail` with acquire before it reuses space.
 *   Written with the GCC/Clang __atomic builtins (the primitives C11 <stdatomic.h> and C++
 *   <atomic> are built on) so the same code is C99, C++ and usable on plain shared memory.
 * - Neither side trusts the other: the producer bounds the consumer's `tail`; the consumer
 *   bounds every length and offset and checks every record's CRC32C before it uses it.
 * - Little-endian layout (every Mac); the header refuses to compile on a big-endian target.
 */
#ifndef SCTRING_H
#define SCTRING_H

#include "scsitrace.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "sctring.h: the ring layout is little-endian"
#endif

#define SCT_RING_VERSION_MAJOR 1u
#define SCT_RING_VERSION_MINOR 0u
/* The header in front of the data area; its fields, by offset. */
#define SCT_RING_HEADER_BYTES 512u
#define SCT_RING_MAGIC_AT 0u         /* u64: the bytes "SCTRING" 0x00 */
#define SCT_RING_MAJOR_AT 8u         /* u16 */
#define SCT_RING_MINOR_AT 10u        /* u16 */
#define SCT_RING_HEADER_LENGTH_AT 12u /* u32: where the data area starts */
#define SCT_RING_DATA_SIZE_AT 16u    /* u64: S, a power of two */
#define SCT_RING_TICK_AT 24u         /* u32: nanoseconds per record timestamp tick */
#define SCT_RING_FLAGS_AT 28u        /* u32: 0 */
#define SCT_RING_WALL_AT 32u         /* i64: wall clock at timestamp 0, ns since 1970 (0 = unknown) */
#define SCT_RING_PRODUCER_LENGTH_AT 40u /* u16 */
#define SCT_RING_PRODUCER_AT 48u     /* up to SCT_RING_PRODUCER_MAX bytes of UTF-8 */
#define SCT_RING_PRODUCER_MAX 200u
/* Written only by the producer (its own 128-byte block, away from the consumer's). */
#define SCT_RING_HEAD_AT 256u        /* u64: bytes published since the start; release store */
#define SCT_RING_PUBLISHED_AT 264u   /* u64: records published */
#define SCT_RING_DROPPED_AT 272u     /* u64: records dropped */
#define SCT_RING_DROPPED_BYTES_AT 280u /* u64: bytes of the records dropped */
#define SCT_RING_PENDING_AT 288u     /* u64: records dropped since the last DROP entry */
#define SCT_RING_PENDING_BYTES_AT 296u
#define SCT_RING_PENDING_FIRST_AT 304u /* u64: timestamp of the first of them */
#define SCT_RING_PENDING_LAST_AT 312u  /* u64: timestamp of the last of them */
#define SCT_RING_LAST_TIME_AT 320u   /* u64: timestamp of the last record published */
#define SCT_RING_CLOSED_AT 328u      /* u32: 1 once the producer has stopped; release store */
/* Written only by the consumer. */
#define SCT_RING_TAIL_AT 384u        /* u64: bytes released since the start; release store */

#define SCT_RING_MIN_DATA 4096u
#define SCT_RING_MAX_DATA 0x40000000u /* 1 GiB */
/* Bytes of shared memory for a data area of S bytes. */
#define SCT_RING_MEMORY_BYTES(data_size) ((size_t)SCT_RING_HEADER_BYTES + (size_t)(data_size))

/* Entries in the data area, each starting 8-byte aligned. A native record starts with its sync
 * word A5 5A C3 3C; the two ring entries with these words: */
#define SCT_RING_DROP 0x504F5244u /* bytes "DROP" */
#define SCT_RING_WRAP 0x50415257u /* bytes "WRAP": the rest of the data area is unused */
#define SCT_RING_DROP_BYTES 56u
#define SCT_RING_RECORD_SYNC 0x3CC35AA5u

#define SCT_ATOMIC_LOAD_ACQUIRE_(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define SCT_ATOMIC_LOAD_RELAXED_(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define SCT_ATOMIC_STORE_RELEASE_(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define SCT_ATOMIC_STORE_RELAXED_(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

static inline uint64_t *sct_ring_u64_(uint8_t *base, size_t at) {
    return (uint64_t *)(void *)(base + at);
}
static inline uint32_t *sct_ring_u32_(uint8_t *base, size_t at) {
    return (uint32_t *)(void *)(base + at);
}
static inline uint32_t sct_get16_(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}
static inline uint32_t sct_get32_(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t sct_get64_(const uint8_t *p) {
    return (uint64_t)sct_get32_(p) | ((uint64_t)sct_get32_(p + 4) << 32);
}

/* ---- producer --------------------------------------------------------------------------- */

/* The producer's own state. It lives in the driver's memory, not in the shared block, so the
 * consumer cannot change it; the shared counters are copies for the consumer to read. */
typedef struct sct_ring {
    uint8_t *base;           /* the shared memory: header, then the data area */
    uint8_t *data;
    uint64_t size;           /* S */
    uint64_t head;
    uint64_t published, dropped, dropped_bytes;
    uint64_t pending, pending_bytes, pending_first, pending_last;
    uint64_t last_time;      /* of the last record published */
    int published_any;
} sct_ring;

/*
 * Lays out a ring in `memory` (8-byte aligned; page-aligned when it comes from
 * IOBufferMemoryDescriptor): the data area is the largest power of two that fits after the
 * 512-byte header, at most 1 GiB. Returns the data area's size, or 0 when the memory is
 * smaller than SCT_RING_MEMORY_BYTES(4096) or the arguments are out of range. The magic is
 * written last, with release, so a reader that sees it sees a complete header.
 */
static inline uint64_t sct_ring_init(sct_ring *r, void *memory, size_t memory_length, const char *producer,
                                     uint32_t tick_ns, int64_t start_wall_ns) {
    static const uint8_t magic[8] = {'S', 'C', 'T', 'R', 'I', 'N', 'G', 0};
    uint8_t *base = (uint8_t *)memory;
    size_t producer_length = sct_strlen_(producer), i;
    uint64_t size = SCT_RING_MAX_DATA, m = 0;
    if (!r || !base || ((uintptr_t)base & 7u) || tick_ns == 0 || producer_length > SCT_RING_PRODUCER_MAX) return 0;
    if (memory_length < SCT_RING_MEMORY_BYTES(SCT_RING_MIN_DATA)) return 0;
    while (SCT_RING_MEMORY_BYTES(size) > memory_length) size >>= 1;
    sct_zero_(base, SCT_RING_HEADER_BYTES);
    sct_put16_(base + SCT_RING_MAJOR_AT, SCT_RING_VERSION_MAJOR);
    sct_put16_(base + SCT_RING_MINOR_AT, SCT_RING_VERSION_MINOR);
    sct_put32_(base + SCT_RING_HEADER_LENGTH_AT, SCT_RING_HEADER_BYTES);
    sct_put64_(base + SCT_RING_DATA_SIZE_AT, size);
    sct_put32_(base + SCT_RING_TICK_AT, tick_ns);
    sct_put64_(base + SCT_RING_WALL_AT, (uint64_t)start_wall_ns);
    sct_put16_(base + SCT_RING_PRODUCER_LENGTH_AT, (uint32_t)producer_length);
    sct_copy_(base + SCT_RING_PRODUCER_AT, (const uint8_t *)producer, producer_length);
    sct_zero_((uint8_t *)r, sizeof *r);
    r->base = base;
    r->data = base + SCT_RING_HEADER_BYTES;
    r->size = size;
    for (i = 0; i < 8; i++) m |= (uint64_t)magic[i] << (8u * i);
    SCT_ATOMIC_STORE_RELEASE_(sct_ring_u64_(base, SCT_RING_MAGIC_AT), m);
    return size;
}

static inline void sct_ring_publish_counters_(sct_ring *r) {
    SCT_ATOMIC_STORE_RELAXED_(sct_ring_u64_(r->base, SCT_RING_PUBLISHED_AT), r->published);
    SCT_ATOMIC_STORE_RELAXED_(sct_ring_u64_(r->base, SCT_RING_DROPPED_AT), r->dropped);
    SCT_ATOMIC_STORE_RELAXED_(sct_ring_u64_(r->base, SCT_RING_DROPPED_BYTES_AT), r->dropped_bytes);
    SCT_ATOMIC_STORE_RELAXED_(sct_ring_u64_(r->base, SCT_RING_PENDING_AT), r->pending);
    SCT_ATOMIC_STORE_RELAXED_(sct_ring_u64_(r->base, SCT_RING_PENDING_BYTES_AT), r->pending_bytes);
    SCT_ATOMIC_STORE_RELAXED_(sct_ring_u64_(r->base, SCT_RING_PENDING_FIRST_AT), r->pending_first);
    SCT_ATOMIC_STORE_RELAXED_(sct_ring_u64_(r->base, SCT_RING_PENDING_LAST_AT), r->pending_last);
    SCT_ATOMIC_STORE_RELAXED_(sct_ring_u64_(r->base, SCT_RING_LAST_TIME_AT), r->last_time);
}

/* A native record's timestamp: the first field of every record body (0 when it has none). */
static inline uint64_t sct_record_time_(const uint8_t *record, size_t length) {
    return length >= SCT_RECORD_OVERHEAD + 8u ? sct_get64_(record + SCT_RECORD_HEADER) : 0u;
}

/*
 * Publishes one native record (sync word through CRC, as the sct_encode_* functions write it).
 * Returns 1 when it is in the ring, 0 when it was dropped for want of space (counted, and
 * reported to the consumer in front of the next record that fits), -1 when `record` is not a
 * record (nothing counted). Never blocks and never overwrites unreleased bytes.
 */
static inline int sct_ring_put(sct_ring *r, const uint8_t *record, size_t length) {
    uint64_t tail, used, pos, pad, need, t;
    size_t entry;
    uint8_t *p;
    if (!r || !r->base || !record || length < SCT_RECORD_OVERHEAD || (length & 7u)) return -1;
    if (sct_get32_(record) != SCT_RING_RECORD_SYNC || (size_t)sct_get32_(record + 8) + SCT_RECORD_OVERHEAD != length) return -1;
    t = sct_record_time_(record, length);
    entry = length + (r->pending ? SCT_RING_DROP_BYTES : 0u);
    tail = SCT_ATOMIC_LOAD_ACQUIRE_(sct_ring_u64_(r->base, SCT_RING_TAIL_AT));
    used = r->head - tail;
    pos = r->head & (r->size - 1u);
    pad = pos + entry > r->size ? r->size - pos : 0u;
    need = pad + entry;
    /* A tail ahead of head or more than S behind it is not the consumer's to write: full. */
    if (tail > r->head || used > r->size || entry > r->size || need > r->size - used) {
        if (!r->pending) r->pending_first = t;
        r->pending++;
        r->pending_bytes += length;
        r->pending_last = t;
        r->dropped++;
        r->dropped_bytes += length;
        sct_ring_publish_counters_(r);
        return 0;
    }
    if (pad) {
        sct_put32_(r->data + pos, SCT_RING_WRAP);
        pos = 0;
    }
    p = r->data + pos;
    if (r->pending) {
        sct_put32_(p, SCT_RING_DROP);
        sct_put32_(p + 4, SCT_RING_DROP_BYTES);
        sct_put64_(p + 8, r->pending);
        sct_put64_(p + 16, r->pending_bytes);
        sct_put64_(p + 24, r->published_any ? r->last_time : r->pending_first);
        sct_put64_(p + 32, t);
        sct_put64_(p + 40, r->pending_first);
        sct_put64_(p + 48, r->pending_last);
        p += SCT_RING_DROP_BYTES;
        r->pending = r->pending_bytes = r->pending_first = r->pending_last = 0;
    }
    sct_copy_(p, record, length);
    r->published++;
    r->published_any = 1;
    r->last_time = t;
    r->head += need;
    sct_ring_publish_counters_(r);
    SCT_ATOMIC_STORE_RELEASE_(sct_ring_u64_(r->base, SCT_RING_HEAD_AT), r->head);
    return 1;
}

/* Marks the capture finished: the counters are final once a reader sees closed = 1. */
static inline void sct_ring_close(sct_ring *r) {
    if (!r || !r->base) return;
    sct_ring_publish_counters_(r);
    SCT_ATOMIC_STORE_RELEASE_(sct_ring_u32_(r->base, SCT_RING_CLOSED_AT), 1u);
}

/* ---- consumer ----------------------------------------------------------------------------- */

/* Longest CAPTURE_GAP detail the reader writes: a 45-character lead, four 20-digit numbers and
 * 40 characters of words (165), rounded up to a multiple of 8. */
#define SCT_RING_GAP_DETAIL_MAX 168u

/* Receives one unit: a native record, from the ring or a CAPTURE_GAP the reader made. Returns 0
 * to go on; anything else stops the drain (e.g. a failed write). */
typedef int (*sct_unit_fn)(void *context, const uint8_t *unit, size_t length);

typedef struct sct_ring_reader {
    uint8_t *base;
    const uint8_t *data;
    uint64_t size;
    uint64_t tail;
    uint64_t records;        /* records delivered from the ring */
    uint64_t gaps;           /* CAPTURE_GAP records made */
    uint64_t dropped_reported; /* records the gaps reported */
    uint64_t dropped_bytes_reported;
    uint64_t last_time;      /* timestamp of the last record delivered */
    const char *error;       /* why the last call failed */
    uint64_t error_at;       /* stream byte (head/tail count) where it failed */
    uint8_t gap[SCT_RECORD_OVERHEAD + SCT_CAPTURE_GAP_FIXED + SCT_RING_GAP_DETAIL_MAX];
} sct_ring_reader;

/* Checks the header of a mapped ring. Returns 1, or 0 with r->error set. */
static inline int sct_ring_attach(sct_ring_reader *r, void *memory, size_t memory_length) {
    static const uint8_t magic[8] = {'S', 'C', 'T', 'R', 'I', 'N', 'G', 0};
    uint8_t *base = (uint8_t *)memory;
    uint64_t m, size, head;
    size_t i;
    sct_zero_((uint8_t *)r, sizeof *r);
    r->error = "memory too small for a ring header";
    if (!base || ((uintptr_t)base & 7u) || memory_length < SCT_RING_HEADER_BYTES) return 0;
    m = SCT_ATOMIC_LOAD_ACQUIRE_(sct_ring_u64_(base, SCT_RING_MAGIC_AT));
    for (i = 0; i < 8; i++) {
        if (((m >> (8u * i)) & 0xFFu) != magic[i]) {
            r->error = "no ring here (magic is not \"SCTRING\")";
            return 0;
        }
    }
    size = sct_get64_(base + SCT_RING_DATA_SIZE_AT);
    if (sct_get16_(base + SCT_RING_MAJOR_AT) != SCT_RING_VERSION_MAJOR) {
        r->error = "unsupported ring major version";
        return 0;
    }
    if (sct_get32_(base + SCT_RING_HEADER_LENGTH_AT) != SCT_RING_HEADER_BYTES || size < SCT_RING_MIN_DATA || size > SCT_RING_MAX_DATA ||
        (size & (size - 1u)) || SCT_RING_MEMORY_BYTES(size) > memory_length || sct_get16_(base + SCT_RING_PRODUCER_LENGTH_AT) > SCT_RING_PRODUCER_MAX ||
        sct_get32_(base + SCT_RING_TICK_AT) == 0) {
        r->error = "ring header out of range (data size, header length, producer length or tick)";
        return 0;
    }
    r->base = base;
    r->data = base + SCT_RING_HEADER_BYTES;
    r->size = size;
    r->tail = SCT_ATOMIC_LOAD_ACQUIRE_(sct_ring_u64_(base, SCT_RING_TAIL_AT));
    head = SCT_ATOMIC_LOAD_ACQUIRE_(sct_ring_u64_(base, SCT_RING_HEAD_AT));
    if (r->tail > head || head - r->tail > size) {
        r->error = "ring indices out of range (tail ahead of head, or more than the data size behind)";
        r->error_at = r->tail;
        return 0;
    }
    r->error = 0;
    return 1;
}

/* The .sct file header for what the ring carries (producer, tick, wall clock). */
static inline size_t sct_ring_file_header(const sct_ring_reader *r, uint8_t *buf, size_t capacity) {
    char producer[SCT_RING_PRODUCER_MAX + 1u];
    size_t n = sct_get16_(r->base + SCT_RING_PRODUCER_LENGTH_AT), i;
    for (i = 0; i < n; i++) producer[i] = (char)r->base[SCT_RING_PRODUCER_AT + i];
    producer[n] = '\0';
    return sct_encode_file_header(buf, capacity, producer, sct_get32_(r->base + SCT_RING_TICK_AT),
                                  (int64_t)sct_get64_(r->base + SCT_RING_WALL_AT));
}

static inline size_t sct_put_text_(char *out, size_t at, const char *s) {
    while (*s) out[at++] = *s++;
    return at;
}

/* Makes the CAPTURE_GAP record for `records` records (`bytes` bytes) the ring dropped. */
static inline size_t sct_ring_gap_(sct_ring_reader *r, const char *what, uint64_t before, uint64_t after, uint64_t records,
                                   uint64_t bytes, uint64_t first, uint64_t last) {
    char detail[SCT_RING_GAP_DETAIL_MAX];
    size_t n = 0;
    sct_capture_gap g;
    n = sct_put_text_(detail, n, what);
    n += sct_put_decimal_(detail + n, (size_t)records);
    n = sct_put_text_(detail, n, " records (");
    n += sct_put_decimal_(detail + n, (size_t)bytes);
    n = sct_put_text_(detail, n, " bytes) dropped, timestamps ");
    n += sct_put_decimal_(detail + n, (size_t)first);
    n = sct_put_text_(detail, n, "..");
    n += sct_put_decimal_(detail + n, (size_t)last);
    detail[n] = '\0';
    /* Records of different queues can be timestamped out of order; a gap never ends before it
     * starts. */
    g.time = before;
    g.end_time = after < before ? before : after;
    g.lost = records;
    g.target_id = SCT_ALL_TARGETS;
    g.unit = SCT_GAP_RECORDS;
    g.affects = SCT_GAP_AFFECTS_ALL;
    g.detail = detail;
    r->gaps++;
    r->dropped_reported += records;
    r->dropped_bytes_reported += bytes;
    return sct_encode_capture_gap(r->gap, sizeof r->gap, &g);
}

static inline long sct_ring_fail_(sct_ring_reader *r, const char *why) {
    r->error = why;
    r->error_at = r->tail;
    return -1;
}

/*
 * Delivers everything published so far, in order, releasing the space of each entry after the
 * sink returns. Returns the number of units delivered (0 when the ring is empty), or -1 with
 * r->error and r->error_at (a damaged ring, or the sink's refusal) and nothing more released.
 */
static inline long sct_ring_drain(sct_ring_reader *r, sct_unit_fn sink, void *context) {
    long delivered = 0;
    uint64_t head = SCT_ATOMIC_LOAD_ACQUIRE_(sct_ring_u64_(r->base, SCT_RING_HEAD_AT));
    if (head < r->tail || head - r->tail > r->size) return sct_ring_fail_(r, "ring head out of range");
    while (r->tail < head) {
        uint64_t pos = r->tail & (r->size - 1u), avail = head - r->tail, room = r->size - pos, step;
        const uint8_t *p = r->data + pos;
        uint32_t word;
        if (avail < 8u) return sct_ring_fail_(r, "ring entry shorter than 8 bytes");
        word = sct_get32_(p);
        if (word == SCT_RING_WRAP) {
            if (pos == 0 || room > avail) return sct_ring_fail_(r, "ring wrap marker where none can be");
            step = room;
        } else if (word == SCT_RING_DROP) {
            size_t n;
            if (sct_get32_(p + 4) != SCT_RING_DROP_BYTES || SCT_RING_DROP_BYTES > room || SCT_RING_DROP_BYTES > avail)
                return sct_ring_fail_(r, "ring DROP entry malformed");
            n = sct_ring_gap_(r, "ring overrun: ", sct_get64_(p + 24), sct_get64_(p + 32), sct_get64_(p + 8), sct_get64_(p + 16),
                              sct_get64_(p + 40), sct_get64_(p + 48));
            if (!n || sink(context, r->gap, n)) return sct_ring_fail_(r, "could not write a CAPTURE_GAP record");
            delivered++;
            step = SCT_RING_DROP_BYTES;
        } else if (word == SCT_RING_RECORD_SYNC) {
            uint64_t body, length;
            if (room < SCT_RECORD_OVERHEAD || avail < SCT_RECORD_OVERHEAD) return sct_ring_fail_(r, "ring record header cut");
            body = sct_get32_(p + 8);
            length = body + SCT_RECORD_OVERHEAD;
            if ((body & 7u) || body > SCT_MAX_BODY_LENGTH || length > room || length > avail)
                return sct_ring_fail_(r, "ring record length out of range");
            if (sct_crc32c(0, p + 4, (size_t)body + 8u) != sct_get32_(p + 12 + body)) return sct_ring_fail_(r, "ring record CRC32C mismatch (torn record)");
            if (sink(context, p, (size_t)length)) return sct_ring_fail_(r, "the sink refused a record");
            r->records++;
            r->last_time = sct_record_time_(p, (size_t)length);
            delivered++;
            step = length;
        } else {
            return sct_ring_fail_(r, "ring entry with an unknown marker");
        }
        r->tail += step;
        SCT_ATOMIC_STORE_RELEASE_(sct_ring_u64_(r->base, SCT_RING_TAIL_AT), r->tail);
    }
    return delivered;
}

/* 1 once the producer has closed the ring (its counters are then final). */
static inline int sct_ring_closed(const sct_ring_reader *r) {
    return SCT_ATOMIC_LOAD_ACQUIRE_(sct_ring_u32_(r->base, SCT_RING_CLOSED_AT)) != 0u;
}

/*
 * Ends a drain: delivers what is left, then reports as a CAPTURE_GAP the records the producer
 * dropped that no DROP entry has reported (after a close: those dropped since the last record
 * that fit; when the reader stops early: also those whose DROP entry it will not read).
 * Returns the units delivered, or -1 as sct_ring_drain().
 */
static inline long sct_ring_finish(sct_ring_reader *r, sct_unit_fn sink, void *context) {
    int closed = sct_ring_closed(r);
    long delivered = sct_ring_drain(r, sink, context);
    uint64_t dropped, bytes, first, last;
    if (delivered < 0) return delivered;
    dropped = SCT_ATOMIC_LOAD_RELAXED_(sct_ring_u64_(r->base, SCT_RING_DROPPED_AT));
    if (dropped > r->dropped_reported) {
        size_t n;
        uint64_t missing = dropped - r->dropped_reported;
        bytes = SCT_ATOMIC_LOAD_RELAXED_(sct_ring_u64_(r->base, SCT_RING_DROPPED_BYTES_AT)) - r->dropped_bytes_reported;
        first = SCT_ATOMIC_LOAD_RELAXED_(sct_ring_u64_(r->base, SCT_RING_PENDING_FIRST_AT));
        last = SCT_ATOMIC_LOAD_RELAXED_(sct_ring_u64_(r->base, SCT_RING_PENDING_LAST_AT));
        n = sct_ring_gap_(r, closed ? "ring overrun at the end of the capture: " : "reader stopped; ring overrun not yet placed: ",
                          r->records ? r->last_time : first, last, missing, bytes, first, last);
        if (!n || sink(context, r->gap, n)) return sct_ring_fail_(r, "could not write a CAPTURE_GAP record");
        delivered++;
    }
    return delivered;
}

#ifdef __cplusplus
}
#endif

#endif /* SCTRING_H */
