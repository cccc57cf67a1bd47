/*
 * Test driver for emit/sctring.h: threads stand in for the dext (producer) and its user-space
 * reader (consumer). Built by test/emit/ring.test.ts, also under -fsanitize=thread.
 *
 *   ring threads N BURST RING_BYTES OUT.sct
 *       A producer thread puts N records as fast as it can, in bursts of at least BURST
 *       records; a consumer thread drains only when the producer has dropped something since
 *       it last looked (a slow reader), or when the producer, between bursts, asks it to (so
 *       that every burst ends in an overrun that the next record reports in the stream). No
 *       sleeps: every wait is for a condition. The consumer writes OUT.sct.
 *   ring produce-file PATH N RING_BYTES
 *       Creates PATH holding a ring, puts N records with no reader (the ring fills, the rest is
 *       dropped), closes it. For emit/sctring-drain.c --file.
 *
 * Record i (0-based) has timestamp i + 1, which identifies it. Records come in fives: a
 * submission (task id i), a DriverKit submission with its buffer and SGL (task id i), the
 * completion of the first (task id i - 2), a note about it, a TARGET_INFO. Every run also writes
 * OUT.expect: for each i, u32 length and u32 CRC32C of record i as generated, so the test can
 * check every record that arrived is the one that was put. Prints the producer's own counts.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "../../emit/sctring.h"

#define MAX_RECORD (2u * 1024u * 1024u + 16u)

static uint64_t ring_data_size;
static uint8_t note_text[SCT_MAX_BODY_LENGTH];

/* Record i, deterministic: every record type a dext writes, sizes from 40 bytes up. */
static size_t generate(uint64_t i, uint8_t *buf, size_t capacity) {
    static const uint8_t cdb[16] = {0x88, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 8, 0, 0};
    sct_segment segs[16];
    uint32_t k;
    uint64_t t = i + 1u;
    if (i % 4999u == 4998u) /* larger than the whole data area: can never fit, always dropped */
        return sct_encode_note(buf, capacity, t, i, (const char *)note_text, (size_t)ring_data_size);
    switch (i % 5u) {
    case 0:
    case 1: {
        sct_submit s;
        memset(&s, 0, sizeof s);
        s.time = t;
        s.task_id = i;
        s.target_id = i % 7u;
        sct_lun_from_number(s.lun, (uint32_t)(i % 3u));
        s.tag = i;
        s.requested_bytes = 4096u * (1u + i % 4u);
        s.timeout_ms = 30000;
        s.direction = (uint8_t)(1u + i % 2u);
        s.bundle_slot = SCT_NO_BUNDLE_SLOT;
        s.cdb = cdb;
        s.cdb_length = (uint16_t)(i % 3u == 0 ? 6u : i % 3u == 1 ? 10u : 16u);
        s.segment_count = (uint32_t)(i % 9u);
        for (k = 0; k < s.segment_count; k++) {
            segs[k].address = UINT64_C(0x100000000) + i * 0x10000u + k * 0x1000u;
            segs[k].length = 512u;
        }
        s.segments = segs;
        if (i % 5u == 1u) { /* a DriverKit task: the framework's buffer and the driver's SGL */
            s.has_buffer = 1;
            s.buffer_address = UINT64_C(0x100000000) + i * 0x10000u;
            s.buffer_length = s.requested_bytes;
            s.sgl_recorded = 1;
        }
        return sct_encode_submit(buf, capacity, &s);
    }
    case 2: {
        sct_complete c;
        uint8_t sense[18] = {0x70, 0, 5, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 0, 0, 0, 0, 0};
        memset(&c, 0, sizeof c);
        c.time = t;
        c.task_id = i - 2u;
        c.service_response = SCT_SR_TASK_COMPLETE;
        c.status = i % 2u ? 0x02 : 0x00;
        c.sense_length = (uint8_t)(i % 2u ? 18u : 0u);
        c.sense = sense;
        c.bytes_transferred = 4096;
        return sct_encode_complete(buf, capacity, &c);
    }
    case 3:
        return sct_encode_note(buf, capacity, t, i - 3u, (const char *)note_text, (size_t)((i * 7u) % 301u));
    default: {
        char label[32];
        int n = snprintf(label, sizeof label, "host%u:0:%u", (unsigned)(i % 4u), (unsigned)(i % 16u));
        return sct_encode_target_info(buf, capacity, t, i % 7u, label, (size_t)n);
    }
    }
}

static void write_expectations(const char *path, uint64_t n) {
    static uint8_t buf[MAX_RECORD];
    uint64_t i;
    FILE *f = fopen(path, "wb");
    if (!f) exit(3);
    for (i = 0; i < n; i++) {
        size_t len = generate(i, buf, sizeof buf);
        uint8_t out[8];
        if (len == 0) exit(4);
        sct_put32_(out, (uint32_t)len);
        sct_put32_(out + 4, sct_get32_(buf + len - 4u));
        if (fwrite(out, 1, 8, f) != 8) exit(3);
    }
    fclose(f);
}

struct shared {
    sct_ring ring;
    void *memory;
    size_t memory_length;
    uint64_t n, burst;
    /* producer → consumer: "drain now" (burst number); consumer → producer: done up to */
    uint64_t want, done;
    const char *out_path;
    sct_ring_reader reader;
    long status;
};

static void *producer(void *arg) {
    struct shared *s = (struct shared *)arg;
    static uint8_t buf[MAX_RECORD];
    uint64_t i = 0, bursts = 0;
    while (i < s->n) {
        uint64_t in_burst = 0;
        /* A burst goes on until it has dropped something, so the next record reports it. */
        while (i < s->n && (in_burst < s->burst || s->ring.pending == 0)) {
            size_t len = generate(i, buf, sizeof buf);
            if (sct_ring_put(&s->ring, buf, len) < 0) exit(5);
            i++;
            in_burst++;
        }
        bursts++;
        __atomic_store_n(&s->want, bursts, __ATOMIC_RELEASE);
        while (i < s->n && __atomic_load_n(&s->done, __ATOMIC_ACQUIRE) < bursts) sched_yield();
    }
    sct_ring_close(&s->ring);
    return NULL;
}

static int write_unit(void *context, const uint8_t *unit, size_t length) {
    return fwrite(unit, 1, length, (FILE *)context) == length ? 0 : 1;
}

static uint64_t shared_dropped(struct shared *s) {
    return __atomic_load_n(sct_ring_u64_((uint8_t *)s->memory, SCT_RING_DROPPED_AT), __ATOMIC_ACQUIRE);
}

static void *consumer(void *arg) {
    struct shared *s = (struct shared *)arg;
    uint8_t header[SCT_FILE_HEADER_FIXED + SCT_RING_PRODUCER_MAX + 8u];
    size_t n;
    FILE *out = fopen(s->out_path, "wb");
    if (!out || !sct_ring_attach(&s->reader, s->memory, s->memory_length)) exit(6);
    n = sct_ring_file_header(&s->reader, header, sizeof header);
    if (!n || fwrite(header, 1, n, out) != n) exit(6);
    for (;;) {
        int closed = sct_ring_closed(&s->reader);
        uint64_t asked = __atomic_load_n(&s->want, __ATOMIC_ACQUIRE);
        uint64_t seen = shared_dropped(s);
        if (sct_ring_drain(&s->reader, write_unit, out) < 0) break;
        if (asked > __atomic_load_n(&s->done, __ATOMIC_RELAXED)) __atomic_store_n(&s->done, asked, __ATOMIC_RELEASE);
        if (closed) break;
        /* Slow reader: look again only when the producer has dropped more, or asks, or stops. */
        while (shared_dropped(s) == seen && __atomic_load_n(&s->want, __ATOMIC_ACQUIRE) <= __atomic_load_n(&s->done, __ATOMIC_RELAXED) &&
               !sct_ring_closed(&s->reader))
            sched_yield();
    }
    s->status = s->reader.error ? -1 : sct_ring_finish(&s->reader, write_unit, out);
    if (fclose(out) != 0) s->status = -1;
    return NULL;
}

static void print_counts(const sct_ring *r, uint64_t n) {
    printf("produced %llu published %llu dropped %llu dropped_bytes %llu data_size %llu\n", (unsigned long long)n,
           (unsigned long long)r->published, (unsigned long long)r->dropped, (unsigned long long)r->dropped_bytes,
           (unsigned long long)r->size);
}

int main(int argc, char **argv) {
    static struct shared s;
    char expect[4096];
    memset(note_text, 'n', sizeof note_text);
    if (argc == 6 && strcmp(argv[1], "threads") == 0) {
        pthread_t p, c;
        s.n = strtoull(argv[2], NULL, 10);
        s.burst = strtoull(argv[3], NULL, 10);
        s.memory_length = (size_t)strtoull(argv[4], NULL, 10);
        s.out_path = argv[5];
        s.memory = aligned_alloc(4096, (s.memory_length + 4095u) & ~(size_t)4095u); /* C11: a multiple of the alignment */
        if (!s.memory) return 3;
        ring_data_size = sct_ring_init(&s.ring, s.memory, s.memory_length, "ring test (threads)", 1, 1767600000000000000);
        if (!ring_data_size) return 3;
        snprintf(expect, sizeof expect, "%s.expect", s.out_path);
        write_expectations(expect, s.n);
        if (pthread_create(&c, NULL, consumer, &s) || pthread_create(&p, NULL, producer, &s)) return 3;
        pthread_join(p, NULL);
        pthread_join(c, NULL);
        print_counts(&s.ring, s.n);
        printf("read %llu gaps %llu reported %llu reported_bytes %llu\n", (unsigned long long)s.reader.records,
               (unsigned long long)s.reader.gaps, (unsigned long long)s.reader.dropped_reported,
               (unsigned long long)s.reader.dropped_bytes_reported);
        if (s.status < 0) {
            fprintf(stderr, "ring: %s at %llu\n", s.reader.error ? s.reader.error : "write failed", (unsigned long long)s.reader.error_at);
            return 1;
        }
        free(s.memory);
        return 0;
    }
    if (argc == 5 && strcmp(argv[1], "produce-file") == 0) {
        static uint8_t buf[MAX_RECORD];
        size_t length = (size_t)strtoull(argv[4], NULL, 10);
        uint64_t n = strtoull(argv[3], NULL, 10), i;
        void *memory;
        int fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || ftruncate(fd, (off_t)length) != 0) return 3;
        memory = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        if (memory == MAP_FAILED) return 3;
        ring_data_size = sct_ring_init(&s.ring, memory, length, "ring test (file)", 1, 0);
        if (!ring_data_size) return 3;
        snprintf(expect, sizeof expect, "%s.expect", argv[2]);
        write_expectations(expect, n);
        for (i = 0; i < n; i++) {
            size_t len = generate(i, buf, sizeof buf);
            if (sct_ring_put(&s.ring, buf, len) < 0) return 5;
        }
        sct_ring_close(&s.ring);
        print_counts(&s.ring, n);
        return munmap(memory, length) == 0 ? 0 : 3;
    }
    fprintf(stderr, "usage: ring threads N BURST RING_BYTES OUT.sct | ring produce-file PATH N RING_BYTES\n");
    return 2;
}
