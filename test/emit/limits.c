/* Refusals and edge cases of emit/scsitrace.h; prints one line per failed check, "ok" otherwise. */
#include <stdio.h>
#include <string.h>
#include "../../emit/scsitrace.h"

static int failures = 0;
#define CHECK(cond) do { if (!(cond)) { printf("FAILED line %d: %s\n", __LINE__, #cond); failures++; } } while (0)

static size_t lines_seen = 0;
static void count_line(void *context, const char *line) {
    (void)line;
    (void)context;
    lines_seen++;
}

static uint8_t big[SCT_MAX_BODY_LENGTH + SCT_RECORD_OVERHEAD];

int main(void) {
    static uint8_t buf[SCT_SUBMIT_MAX_BYTES(260, 2)];
    static const uint8_t cdb[260] = {0x7f};
    static const char digits[] = "123456789";
    char line[SCT_OSLOG_LINE_MAX + 1];
    sct_segment segs[2] = {{0x1000, 512}, {0x2000, 512}};
    sct_submit t;
    sct_complete c;
    sct_capture_gap g;
    uint32_t seq = 0xFFFFFFFFu;
    size_t n;

    /* RFC 7143 / docs/FORMAT.md check value. */
    CHECK(sct_crc32c(0, (const uint8_t *)digits, 9) == 0xE3069283u);

    memset(&t, 0, sizeof t);
    t.cdb = cdb;
    t.cdb_length = 10;
    t.segments = segs;
    t.segment_count = 2;
    t.bundle_slot = SCT_NO_BUNDLE_SLOT;
    n = sct_encode_submit(buf, sizeof buf, &t);
    /* No buffer, SGL recorded because it has segments: the 1.0 body, without the extension. */
    CHECK(n == SCT_SUBMIT_MAX_BYTES(10, 2) - SCT_SUBMIT_EXTENSION);
    CHECK(n == sct_submit_size(&t));
    /* One byte short: refused, nothing written past the end. */
    memset(buf, 0xEE, sizeof buf);
    CHECK(sct_encode_submit(buf, n - 1, &t) == 0);
    CHECK(buf[0] == 0xEE);
    /* A buffer adds the 24-byte extension; so does an empty list marked recorded (a 1.0 body
     * would read as "not recorded"); a list with segments needs no mark. */
    t.has_buffer = 1;
    t.buffer_length = UINT64_C(0x1FFFFFFFFFFFFF);
    CHECK(sct_encode_submit(buf, sizeof buf, &t) == SCT_SUBMIT_MAX_BYTES(10, 2));
    t.buffer_length = UINT64_C(0x20000000000000); /* 2^53: out of range */
    CHECK(sct_encode_submit(buf, sizeof buf, &t) == 0);
    t.has_buffer = 0;
    t.sgl_recorded = 1;
    CHECK(sct_submit_size(&t) == SCT_SUBMIT_MAX_BYTES(10, 2) - SCT_SUBMIT_EXTENSION);
    t.segment_count = 0;
    CHECK(sct_submit_size(&t) == SCT_SUBMIT_MAX_BYTES(10, 0)); /* recorded and empty */
    t.sgl_recorded = 0;
    CHECK(sct_submit_size(&t) == SCT_SUBMIT_MAX_BYTES(10, 0) - SCT_SUBMIT_EXTENSION);
    t.segment_count = 2;
    t.sgl_recorded = 2;
    CHECK(sct_encode_submit(buf, sizeof buf, &t) == 0);
    t.sgl_recorded = 0;
    t.has_buffer = 2;
    CHECK(sct_encode_submit(buf, sizeof buf, &t) == 0);
    t.has_buffer = 0;
    t.cdb_length = 0;
    CHECK(sct_encode_submit(buf, sizeof buf, &t) == 0);
    t.cdb_length = 261;
    CHECK(sct_encode_submit(buf, sizeof buf, &t) == 0);
    t.cdb_length = 260;
    CHECK(sct_encode_submit(buf, sizeof buf, &t) == SCT_SUBMIT_MAX_BYTES(260, 2) - SCT_SUBMIT_EXTENSION);
    t.segments = NULL;
    CHECK(sct_encode_submit(buf, sizeof buf, &t) == 0);

    memset(&c, 0, sizeof c);
    c.sense_length = 18;
    CHECK(sct_encode_complete(buf, sizeof buf, &c) == 0); /* sense pointer missing */
    c.sense = cdb;
    CHECK(sct_encode_complete(buf, sizeof buf, &c) == SCT_COMPLETE_MAX_BYTES(18));
    CHECK(sct_encode_complete(buf, SCT_COMPLETE_MAX_BYTES(18) - 1, &c) == 0);

    CHECK(sct_encode_file_header(buf, sizeof buf, "x", 0, 0) == 0); /* tick 0 */
    CHECK(sct_encode_file_header(buf, 47, "12345678", 1, 0) == 0);
    CHECK(sct_encode_file_header(buf, 48, "12345678", 1, 0) == 48);
    CHECK(buf[10] == 1 && buf[11] == 0); /* minor version 1 */

    /* TARGET_INFO and CAPTURE_GAP refusals. */
    CHECK(sct_encode_target_info(buf, sizeof buf, 0, 1, NULL, 3) == 0);
    CHECK(sct_encode_target_info(buf, sizeof buf, 0, 1, "0:0:1", 5) == 16 + 24 + 8);
    CHECK(sct_encode_target_info(buf, 16 + 24 + 7, 0, 1, "0:0:1", 5) == 0);
    CHECK(sct_encode_target_info(buf, sizeof buf, 0, 1, (const char *)cdb, 0) == 16 + 24); /* removes the label */
    CHECK(sct_encode_target_info(big, sizeof big, 0, 1, (const char *)big, SCT_MAX_TARGET_LABEL) == 16 + 24 + SCT_MAX_TARGET_LABEL);
    CHECK(sct_encode_target_info(big, sizeof big, 0, 1, (const char *)big, SCT_MAX_TARGET_LABEL + 1) == 0);
    memset(&g, 0, sizeof g);
    g.target_id = SCT_ALL_TARGETS;
    CHECK(sct_encode_capture_gap(buf, sizeof buf, &g) == 16 + 40);
    g.unit = SCT_GAP_BYTES + 1;
    CHECK(sct_encode_capture_gap(buf, sizeof buf, &g) == 0);
    g.unit = SCT_GAP_RECORDS;
    g.affects = SCT_GAP_AFFECTS_COMPLETIONS + 1;
    CHECK(sct_encode_capture_gap(buf, sizeof buf, &g) == 0);
    g.affects = SCT_GAP_AFFECTS_ALL;
    g.time = 10;
    g.end_time = 9; /* ends before it starts: contradictory */
    CHECK(sct_encode_capture_gap(buf, sizeof buf, &g) == 0);
    g.end_time = 10;
    CHECK(sct_encode_capture_gap(buf, sizeof buf, &g) == 16 + 40);

    /* Lines: 160 bytes take two base64 lines, 108 two hex lines; a too-small buffer is refused. */
    CHECK(sct_oslog_parts(159, SCT_OSLOG_BASE64) == 1);
    CHECK(sct_oslog_parts(160, SCT_OSLOG_BASE64) == 2);
    CHECK(sct_oslog_parts(107, SCT_OSLOG_HEX) == 1);
    CHECK(sct_oslog_parts(108, SCT_OSLOG_HEX) == 2);
    CHECK(sct_oslog_parts(10, 7) == 0);
    CHECK(sct_oslog_line(line, sizeof line, big, 160, 1, 3, SCT_OSLOG_BASE64) == 0);
    CHECK(sct_oslog_line(line, 20, big, 160, 1, 1, SCT_OSLOG_BASE64) == 0);
    n = sct_oslog_line(line, sizeof line, big, 108, 0xABCDEF01u, 2, SCT_OSLOG_HEX);
    CHECK(n == strlen(line));
    CHECK(strncmp(line, "SCT1X abcdef01 2/2 ", 19) == 0);
    CHECK(n == 19 + 2);
    /* The longest hex line is exactly the limit; one byte less of buffer is refused. */
    n = sct_oslog_line(line, sizeof line, big, SCT_OSLOG_MAX_UNIT(SCT_OSLOG_HEX), 0, 4096, SCT_OSLOG_HEX);
    CHECK(n == SCT_OSLOG_LINE_MAX);
    CHECK(sct_oslog_line(line, SCT_OSLOG_LINE_MAX, big, SCT_OSLOG_MAX_UNIT(SCT_OSLOG_HEX), 0, 4096, SCT_OSLOG_HEX) == 0);
    CHECK(sct_oslog_emit(big, 160, &seq, SCT_OSLOG_BASE64, count_line, NULL) == 2);
    CHECK(lines_seen == 2);
    CHECK(seq == 0); /* wraps */
    CHECK(sct_oslog_emit(big, 0, &seq, SCT_OSLOG_BASE64, count_line, NULL) == 0);
    /* The largest loggable unit takes 4096 lines; one byte more is refused whole. */
    lines_seen = 0;
    CHECK(sct_oslog_emit(big, SCT_OSLOG_MAX_UNIT(SCT_OSLOG_BASE64), &seq, SCT_OSLOG_BASE64, count_line, NULL) == 4096);
    CHECK(lines_seen == 4096 && seq == 1);
    lines_seen = 0;
    CHECK(sct_oslog_emit(big, SCT_OSLOG_MAX_UNIT(SCT_OSLOG_BASE64) + 1, &seq, SCT_OSLOG_BASE64, count_line, NULL) == 0);
    CHECK(sct_oslog_emit(big, SCT_OSLOG_MAX_UNIT(SCT_OSLOG_HEX) + 1, &seq, SCT_OSLOG_HEX, count_line, NULL) == 0);
    CHECK(lines_seen == 0 && seq == 1);
    CHECK(SCT_OSLOG_MAX_UNIT(SCT_OSLOG_BASE64) == 651264u && SCT_OSLOG_MAX_UNIT(SCT_OSLOG_HEX) == 438272u);

    {
        uint8_t lun[8];
        sct_lun_from_number(lun, 300);
        CHECK(lun[0] == 0x41 && lun[1] == 0x2C);
        sct_lun_from_number(lun, 5);
        CHECK(lun[0] == 0 && lun[1] == 5);
    }
    if (!failures) printf("ok\n");
    return failures ? 1 : 0;
}
