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

int main(void) {
    static uint8_t buf[SCT_SUBMIT_MAX_BYTES(260, 2)];
    static const uint8_t cdb[260] = {0x7f};
    static const char digits[] = "123456789";
    char line[SCT_OSLOG_LINE_MAX(SCT_OSLOG_FRAGMENT_BYTES)];
    sct_segment segs[2] = {{0x1000, 512}, {0x2000, 512}};
    sct_submit t;
    sct_complete c;
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
    CHECK(n == SCT_SUBMIT_MAX_BYTES(10, 2));
    CHECK(n == sct_submit_size(&t));
    /* One byte short: refused, nothing written past the end. */
    memset(buf, 0xEE, sizeof buf);
    CHECK(sct_encode_submit(buf, n - 1, &t) == 0);
    CHECK(buf[0] == 0xEE);
    t.cdb_length = 0;
    CHECK(sct_encode_submit(buf, sizeof buf, &t) == 0);
    t.cdb_length = 261;
    CHECK(sct_encode_submit(buf, sizeof buf, &t) == 0);
    t.cdb_length = 260;
    CHECK(sct_encode_submit(buf, sizeof buf, &t) == SCT_SUBMIT_MAX_BYTES(260, 2));
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

    /* Lines: a unit of 385 bytes takes two; a too-small line buffer is refused. */
    CHECK(sct_oslog_parts(385, SCT_OSLOG_FRAGMENT_BYTES) == 2);
    CHECK(sct_oslog_line(line, sizeof line, buf, 385, 1, 3, SCT_OSLOG_FRAGMENT_BYTES, SCT_OSLOG_BASE64) == 0);
    CHECK(sct_oslog_line(line, 20, buf, 385, 1, 1, SCT_OSLOG_FRAGMENT_BYTES, SCT_OSLOG_BASE64) == 0);
    n = sct_oslog_line(line, sizeof line, buf, 385, 0xABCDEF01u, 2, SCT_OSLOG_FRAGMENT_BYTES, SCT_OSLOG_HEX);
    CHECK(n == strlen(line));
    CHECK(strncmp(line, "SCT1X abcdef01 2/2 ", 19) == 0);
    CHECK(n == 19 + 2);
    CHECK(sct_oslog_emit(buf, 385, &seq, SCT_OSLOG_BASE64, count_line, NULL) == 2);
    CHECK(lines_seen == 2);
    CHECK(seq == 0); /* wraps */
    CHECK(sct_oslog_emit(buf, 0, &seq, SCT_OSLOG_BASE64, count_line, NULL) == 0);

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
