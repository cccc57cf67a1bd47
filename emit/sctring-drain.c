/*
 * sctring-drain: the reference reader of the scsitrace shared-memory ring (emit/sctring.h,
 * docs/FORMAT.md "The shared-memory ring"). It maps the ring, writes an .sct file (the file
 * header, then every record in the order the driver published it, with a CAPTURE_GAP record
 * wherever the driver had to drop records), and stops when the driver closes the ring or on
 * Ctrl-C.
 *
 *   sctring-drain --service MyHBADriver [--type 0] -o capture.sct   (macOS: the dext's user client)
 *   sctring-drain --file ring.bin -o capture.sct                    (a ring in a shared file)
 *
 * --service opens the first IOService of that class with IOServiceOpen() and maps the memory
 * the driver's user client returns from CopyClientMemoryForType(type) with
 * IOConnectMapMemory64() (IOKitUser IOKitLib.h; xnu iokit/DriverKit/IOUserClient.iig).
 * Build: cc -O2 -o sctring-drain sctring-drain.c -framework IOKit   (macOS)
 *        cc -O2 -o sctring-drain sctring-drain.c                    (elsewhere: --file only)
 * Exit status: 0 the capture was written, 2 bad usage, an unreadable ring or a failed write.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __APPLE__
#include <IOKit/IOKitLib.h>
#include <mach/mach.h>
#endif
#include "sctring.h"

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

static void die(const char *what, const char *detail) {
    fprintf(stderr, "sctring-drain: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(2);
}

static int write_unit(void *context, const uint8_t *unit, size_t length) {
    return fwrite(unit, 1, length, (FILE *)context) == length ? 0 : 1;
}

static void *map_file(const char *path, size_t *length) {
    struct stat st;
    void *memory;
    int fd = open(path, O_RDWR);
    if (fd < 0) die(path, strerror(errno));
    if (fstat(fd, &st) != 0) die(path, strerror(errno));
    *length = (size_t)st.st_size;
    memory = mmap(NULL, *length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (memory == MAP_FAILED) die(path, strerror(errno));
    return memory;
}

#ifdef __APPLE__
static void *map_service(const char *class_name, uint32_t type, size_t *length) {
    io_connect_t connect = IO_OBJECT_NULL;
    mach_vm_address_t address = 0;
    mach_vm_size_t size = 0;
    kern_return_t kr;
    /* MACH_PORT_NULL is kIOMainPortDefault (IOKitUser IOKitLib.c). */
    io_service_t service = IOServiceGetMatchingService(MACH_PORT_NULL, IOServiceMatching(class_name));
    if (service == IO_OBJECT_NULL) die("no IOService of class", class_name);
    kr = IOServiceOpen(service, mach_task_self(), 0, &connect);
    IOObjectRelease(service);
    if (kr != KERN_SUCCESS) die("IOServiceOpen failed (does the driver implement NewUserClient?)", class_name);
    kr = IOConnectMapMemory64(connect, type, mach_task_self(), &address, &size, kIOMapAnywhere);
    if (kr != KERN_SUCCESS) die("IOConnectMapMemory64 failed (does the user client implement CopyClientMemoryForType?)", class_name);
    *length = (size_t)size;
    return (void *)(uintptr_t)address;
}
#endif

int main(int argc, char **argv) {
    const char *file = NULL, *service = NULL, *out_path = NULL;
    uint32_t type = 0;
    size_t length = 0, n;
    void *memory;
    sct_ring_reader reader;
    uint8_t header[SCT_FILE_HEADER_FIXED + SCT_RING_PRODUCER_MAX + 8u];
    FILE *out;
    struct sigaction sa;
    int i, closed = 0;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--file") == 0 && i + 1 < argc) file = argv[++i];
        else if (strcmp(argv[i], "--service") == 0 && i + 1 < argc) service = argv[++i];
        else if (strcmp(argv[i], "--type") == 0 && i + 1 < argc) type = (uint32_t)strtoul(argv[++i], NULL, 0);
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) out_path = argv[++i];
        else die("usage: sctring-drain (--service CLASS [--type N] | --file PATH) -o OUT.sct", NULL);
    }
    if (!out_path || (!file) == (!service)) die("usage: sctring-drain (--service CLASS [--type N] | --file PATH) -o OUT.sct", NULL);
#ifdef __APPLE__
    memory = file ? map_file(file, &length) : map_service(service, type, &length);
#else
    if (service) die("--service needs macOS (IOKit); use --file", NULL);
    (void)type;
    memory = map_file(file, &length);
#endif
    if (!sct_ring_attach(&reader, memory, length)) die("not a readable ring", reader.error);
    out = fopen(out_path, "wb");
    if (!out) die(out_path, strerror(errno));
    n = sct_ring_file_header(&reader, header, sizeof header);
    if (!n || fwrite(header, 1, n, out) != n) die(out_path, "could not write the file header");

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    while (!stop_requested) {
        long got;
        closed = sct_ring_closed(&reader);
        got = sct_ring_drain(&reader, write_unit, out);
        if (got < 0) break;
        if (closed) break; /* everything published before the close has been read */
        if (got == 0) {
            struct timespec pause = {0, 1000000}; /* nothing new: look again in 1 ms */
            nanosleep(&pause, NULL);
        }
    }
    if (!reader.error && sct_ring_finish(&reader, write_unit, out) < 0) {
        /* reported below */
    }
    if (fclose(out) != 0 && !reader.error) die(out_path, strerror(errno));
    if (reader.error) {
        fprintf(stderr, "sctring-drain: at stream byte %llu (data offset %llu): %s\n", (unsigned long long)reader.error_at,
                (unsigned long long)(reader.error_at & (reader.size - 1u)), reader.error);
        return 2;
    }
    fprintf(stderr, "sctring-drain: %llu records, %llu capture gaps (%llu records dropped by the driver)%s -> %s\n",
            (unsigned long long)reader.records, (unsigned long long)reader.gaps, (unsigned long long)reader.dropped_reported,
            closed ? "" : ", stopped before the driver closed the ring", out_path);
    return 0;
}
