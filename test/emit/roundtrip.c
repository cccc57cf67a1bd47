/*
 * Test driver for emit/scsitrace.h: reads a line-based description of records on stdin and
 * writes what the header encodes, either as raw native bytes ("sct") or as SCT1 lines
 * ("b64", "hex"). Compiled as C99 and as C++17 by test/emit/emitter.test.ts.
 *
 * Input lines (numbers decimal, byte strings hex, "-" for empty):
 *   H tick wall producer
 *   S time task target lun tag requested timeout attribute direction slot cdb nseg [addr len]...
 *     [sgl_recorded has_buffer buffer_address buffer_length]   (the 1.1 fields)
 *   C time task service_response status bytes residual residual_flags sense
 *   K time count [key type value]...        (value: decimal, or hex bytes for strings)
 *   E time task kind phase status duration arg0 arg1 detail
 *   D time task lba bytes direction crc chunk_bytes count [digest]...
 *   N time task text
 *   T time target label
 *   G time end lost target unit affects detail
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../emit/scsitrace.h"

#define MAX_BYTES 8192
#define MAX_SEGS 4096

static uint8_t unit_buf[SCT_SUBMIT_MAX_BYTES(260, MAX_SEGS)];
static sct_segment segs[MAX_SEGS];
static uint32_t digests[MAX_SEGS];
static int mode_raw = 1, encoding = SCT_OSLOG_BASE64;
static uint32_t seq = 0;

static void print_line(void *context, const char *line) {
    (void)context;
    fputs(line, stdout);
    fputc('\n', stdout);
}

static void fail(const char *what) {
    fprintf(stderr, "roundtrip: %s\n", what);
    exit(2);
}

static uint64_t num(void) {
    char *t = strtok(NULL, " \t\r\n");
    if (!t) fail("missing number");
    return (uint64_t)strtoull(t, NULL, 10);
}

/* Decodes a hex token into out (NUL-terminated too, for strings); returns the byte count. */
static size_t hexbytes(uint8_t *out, size_t cap) {
    char *t = strtok(NULL, " \t\r\n");
    size_t n = 0, len;
    if (!t) fail("missing hex");
    if (strcmp(t, "-") == 0) {
        out[0] = 0;
        return 0;
    }
    len = strlen(t);
    if (len % 2 || len / 2 >= cap) fail("bad hex");
    for (n = 0; n < len / 2; n++) {
        unsigned v;
        if (sscanf(t + 2 * n, "%2x", &v) != 1) fail("bad hex digit");
        out[n] = (uint8_t)v;
    }
    out[n] = 0;
    return n;
}

static void put(size_t n) {
    if (n == 0) fail("encoder refused the record");
    if (mode_raw) {
        if (fwrite(unit_buf, 1, n, stdout) != n) fail("write");
    } else if (sct_oslog_emit(unit_buf, n, &seq, encoding, print_line, NULL) == 0) {
        fail("sct_oslog_emit refused the unit");
    }
}

int main(int argc, char **argv) {
    static char line[65536];
    static uint8_t a[MAX_BYTES], b[MAX_BYTES];
    static uint8_t keys[16][256], strs[16][256];
    if (argc < 2) fail("usage: roundtrip sct|b64|hex [first-seq]");
    if (strcmp(argv[1], "sct") != 0) {
        mode_raw = 0;
        encoding = strcmp(argv[1], "hex") == 0 ? SCT_OSLOG_HEX : SCT_OSLOG_BASE64;
        if (argc > 2) seq = (uint32_t)strtoul(argv[2], NULL, 16);
    }
    while (fgets(line, sizeof line, stdin)) {
        char *kind = strtok(line, " \t\r\n");
        if (!kind) continue;
        if (kind[0] == 'H') {
            uint32_t tick = (uint32_t)num();
            int64_t wall = (int64_t)num();
            hexbytes(a, sizeof a);
            put(sct_encode_file_header(unit_buf, sizeof unit_buf, (const char *)a, tick, wall));
        } else if (kind[0] == 'S') {
            sct_submit t;
            uint32_t i;
            memset(&t, 0, sizeof t);
            t.time = num();
            t.task_id = num();
            t.target_id = num();
            sct_lun_from_number(t.lun, (uint32_t)num());
            t.tag = num();
            t.requested_bytes = num();
            t.timeout_ms = (uint32_t)num();
            t.attribute = (uint8_t)num();
            t.direction = (uint8_t)num();
            t.bundle_slot = (uint16_t)num();
            t.cdb_length = (uint16_t)hexbytes(a, sizeof a);
            t.cdb = a;
            t.segment_count = (uint32_t)num();
            if (t.segment_count > MAX_SEGS) fail("too many segments");
            for (i = 0; i < t.segment_count; i++) {
                segs[i].address = num();
                segs[i].length = num();
            }
            t.segments = segs;
            {
                char *sgl = strtok(NULL, " \t\r\n");
                if (sgl) {
                    t.sgl_recorded = (uint8_t)strtoul(sgl, NULL, 10);
                    t.has_buffer = (uint8_t)num();
                    t.buffer_address = num();
                    t.buffer_length = num();
                }
            }
            if (sct_submit_size(&t) > sizeof unit_buf) fail("submit too big");
            put(sct_encode_submit(unit_buf, sizeof unit_buf, &t));
        } else if (kind[0] == 'C') {
            sct_complete c;
            memset(&c, 0, sizeof c);
            c.time = num();
            c.task_id = num();
            c.service_response = (uint8_t)num();
            c.status = (uint8_t)num();
            c.bytes_transferred = num();
            c.residual = num();
            c.residual_flags = (uint8_t)num();
            c.sense_length = (uint8_t)hexbytes(a, 256);
            c.sense = a;
            put(sct_encode_complete(unit_buf, sizeof unit_buf, &c));
        } else if (kind[0] == 'K') {
            sct_constraint e[16];
            uint64_t time = num();
            uint16_t count = (uint16_t)num(), i;
            if (count > 16) fail("too many constraints");
            for (i = 0; i < count; i++) {
                hexbytes(keys[i], sizeof keys[i]);
                e[i].key = (const char *)keys[i];
                e[i].type = (uint8_t)num();
                e[i].number = 0;
                e[i].string = NULL;
                if (e[i].type == SCT_CONSTRAINT_STRING) {
                    hexbytes(strs[i], sizeof strs[i]);
                    e[i].string = (const char *)strs[i];
                } else {
                    e[i].number = num();
                }
            }
            put(sct_encode_constraints(unit_buf, sizeof unit_buf, time, e, count));
        } else if (kind[0] == 'E') {
            sct_hba_event e;
            e.time = num();
            e.task_id = num();
            e.kind = (uint16_t)num();
            e.phase = (uint16_t)num();
            e.status = (uint32_t)num();
            e.duration = num();
            e.arg0 = num();
            e.arg1 = num();
            hexbytes(a, sizeof a);
            e.detail = (const char *)a;
            put(sct_encode_hba_event(unit_buf, sizeof unit_buf, &e));
        } else if (kind[0] == 'D') {
            sct_digest d;
            uint32_t i;
            d.time = num();
            d.task_id = num();
            d.lba = num();
            d.byte_count = num();
            d.direction = (uint8_t)num();
            d.crc32c = (uint32_t)num();
            d.chunk_bytes = (uint32_t)num();
            d.chunk_count = (uint32_t)num();
            if (d.chunk_count > MAX_SEGS) fail("too many digests");
            for (i = 0; i < d.chunk_count; i++) digests[i] = (uint32_t)num();
            d.chunk_digests = digests;
            put(sct_encode_digest(unit_buf, sizeof unit_buf, &d));
        } else if (kind[0] == 'N') {
            uint64_t time = num(), task = num();
            size_t n = hexbytes(b, sizeof b);
            put(sct_encode_note(unit_buf, sizeof unit_buf, time, task, (const char *)b, n));
        } else if (kind[0] == 'T') {
            uint64_t time = num(), target = num();
            size_t n = hexbytes(b, sizeof b);
            put(sct_encode_target_info(unit_buf, sizeof unit_buf, time, target, (const char *)b, n));
        } else if (kind[0] == 'G') {
            sct_capture_gap g;
            g.time = num();
            g.end_time = num();
            g.lost = num();
            g.target_id = num();
            g.unit = (uint8_t)num();
            g.affects = (uint8_t)num();
            hexbytes(b, sizeof b);
            g.detail = (const char *)b;
            put(sct_encode_capture_gap(unit_buf, sizeof unit_buf, &g));
        } else {
            fail("unknown line kind");
        }
    }
    return 0;
}
