/*
 * Line-length check of emit/scsitrace.h: for each unit size read from stdin, emits a unit of
 * that many bytes through sct_oslog_emit() and prints "size lines longest" (lines 0 when the
 * emitter refused the unit). Any line longer than SCT_OSLOG_LINE_MAX, or whose strlen differs
 * from what the callback was told, is printed as "FAILED ...". Mode "lines SIZE" prints the
 * lines of one unit instead (unit byte i is (i * 131 + 7) & 0xFF).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../emit/scsitrace.h"

static uint8_t unit[SCT_MAX_BODY_LENGTH + SCT_RECORD_OVERHEAD];
static size_t lines, longest;
static int failures;

static void measure(void *context, const char *line) {
    size_t n = strlen(line);
    (void)context;
    lines++;
    if (n > longest) longest = n;
    if (n > SCT_OSLOG_LINE_MAX) {
        printf("FAILED line of %lu characters\n", (unsigned long)n);
        failures++;
    }
}

static void print(void *context, const char *line) {
    (void)context;
    puts(line);
}

int main(int argc, char **argv) {
    int encoding;
    size_t i;
    unsigned long size;
    uint32_t seq = 0;
    if (argc < 2) return 2;
    encoding = strcmp(argv[1], "hex") == 0 ? SCT_OSLOG_HEX : SCT_OSLOG_BASE64;
    for (i = 0; i < sizeof unit; i++) unit[i] = (uint8_t)((i * 131u + 7u) & 0xFFu);
    if (argc > 3 && strcmp(argv[2], "lines") == 0) {
        size = strtoul(argv[3], NULL, 10);
        return sct_oslog_emit(unit, (size_t)size, &seq, encoding, print, NULL) ? 0 : 1;
    }
    while (scanf("%lu", &size) == 1) {
        uint32_t before = seq;
        size_t emitted;
        if (size > sizeof unit) return 2;
        lines = 0;
        longest = 0;
        emitted = sct_oslog_emit(unit, (size_t)size, &seq, encoding, measure, NULL);
        if (emitted != lines || (emitted ? seq != before + 1u : seq != before)) {
            printf("FAILED size %lu: returned %lu for %lu lines\n", size, (unsigned long)emitted, (unsigned long)lines);
            failures++;
        }
        printf("%lu %lu %lu\n", size, (unsigned long)lines, (unsigned long)longest);
    }
    return failures ? 1 : 0;
}
