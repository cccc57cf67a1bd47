/*
 * scsitrace.h: a header-only C99 writer of scsitrace native records (docs/FORMAT.md), for
 * drivers that want to record what the SCSI framework handed them and what they answered.
 *
 * - No allocation, no libc I/O, no libc calls: every function encodes into a buffer the caller
 *   owns and returns the bytes written (0 when the buffer is too small or a field is out of
 *   range; nothing is written past `capacity`). An optimising compiler may itself emit calls to
 *   memcpy, memset, memmove or memcmp for the byte loops; GCC and Clang require every
 *   environment, freestanding included, to provide those four.
 * - Byte order is handled here (records are little-endian whatever the CPU).
 * - Compiles as C99 and as C++ (DriverKit drivers are C++): warning-free under
 *   -std=c99 -Wall -Wextra -pedantic and g++ -std=c++17 -Wall -Wextra (also -Wconversion).
 * - A DriverKit extension cannot write files: sct_oslog_emit() turns a record into
 *   "SCT1" text lines (docs/FORMAT.md, "Carrying records in a text log") of at most
 *   SCT_OSLOG_LINE_MAX (239) characters, what a dext's os_log delivers uncut, and hands each
 *   line to a callback that logs it with os_log(OS_LOG_DEFAULT, "%{public}s", line) (in a
 *   kext: "%s", since kernel os_log drops a format with a privacy annotation).
 *   emit/sctring.h is the lossless alternative: a shared-memory ring read through a user client.
 *
 * Usage (see emit/README.md and docs/driverkit.md for a DriverKit UserProcessParallelTask /
 * completion example):
 *
 *     uint8_t rec[SCT_SUBMIT_MAX_BYTES(SCT_DRIVERKIT_CDB_MAX, 0)];
 *     sct_submit t = ...;                       // fields as the framework gave them
 *     size_t n = sct_encode_submit(rec, sizeof rec, &t);
 *     if (n) sct_oslog_emit(rec, n, &seq, SCT_OSLOG_BASE64, log_line, NULL);
 */
#ifndef SCSITRACE_H
#define SCSITRACE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SCT_FORMAT_MAJOR 1u
#define SCT_FORMAT_MINOR 1u

/* A compile-time check that works in C99 and C++ (a negative array size fails to compile). */
#define SCT_STATIC_ASSERT_(name, condition) typedef char sct_static_assert_##name##_[(condition) ? 1 : -1]

/* Sizes from docs/FORMAT.md. */
#define SCT_FILE_HEADER_FIXED 40u
#define SCT_RECORD_HEADER 12u
#define SCT_RECORD_TRAILER 4u
#define SCT_RECORD_OVERHEAD (SCT_RECORD_HEADER + SCT_RECORD_TRAILER)
#define SCT_SUBMIT_FIXED 64u
#define SCT_COMPLETE_FIXED 40u
#define SCT_CONSTRAINTS_FIXED 16u
#define SCT_CONSTRAINT_ENTRY_FIXED 8u
#define SCT_HBA_EVENT_FIXED 56u
#define SCT_DIGEST_FIXED 48u
#define SCT_NOTE_FIXED 24u
#define SCT_TARGET_INFO_FIXED 24u
#define SCT_MAX_TARGET_LABEL 1024u
#define SCT_CAPTURE_GAP_FIXED 40u
/* The 1.1 TASK_SUBMITTED extension after the segment list: buffer address, length, flags. */
#define SCT_SUBMIT_EXTENSION 24u
/* A buffer length is below 2^53 (docs/FORMAT.md, task extension). */
#define SCT_MAX_BUFFER_LENGTH UINT64_C(0x20000000000000)
#define SCT_MAX_CDB_LENGTH 260u
/* The longest CDB a DriverKit controller is handed: kSCSICDBSize_Maximum (SCSIControllerDriverKit
 * SCSIDefinitions.h), the size of SCSIUserParallelTask's fCommandDescriptorBlock. */
#define SCT_DRIVERKIT_CDB_MAX 16u
#define SCT_MAX_SEGMENTS 65536u
#define SCT_MAX_BODY_LENGTH 2097152u
#define SCT_MAX_HEADER_LENGTH 65536u
#define SCT_SEGMENT_BYTES 16u

#define SCT_PAD8(n) (((n) + 7u) & ~(size_t)7u)
/* Bytes a record needs at most, for sizing buffers at compile time (a submission with the 1.1
 * extension; sct_submit_size() gives the exact size of one). */
#define SCT_SUBMIT_MAX_BYTES(cdb_length, segment_count) \
    (SCT_RECORD_OVERHEAD + SCT_SUBMIT_FIXED + SCT_PAD8((size_t)(cdb_length)) + (size_t)(segment_count) * SCT_SEGMENT_BYTES + SCT_SUBMIT_EXTENSION)
#define SCT_COMPLETE_MAX_BYTES(sense_length) (SCT_RECORD_OVERHEAD + SCT_COMPLETE_FIXED + SCT_PAD8((size_t)(sense_length)))

/* "No task" in HBA events, digests and notes; "unknown" LBA in digests; "all targets" in gaps. */
#define SCT_NO_TASK UINT64_C(0xFFFFFFFFFFFFFFFF)
#define SCT_ALL_TARGETS UINT64_C(0xFFFFFFFFFFFFFFFF)
#define SCT_NO_LBA UINT64_C(0xFFFFFFFFFFFFFFFF)
#define SCT_NO_BUNDLE_SLOT 0xFFFFu

/* Record types. */
enum {
    SCT_RECORD_TASK_SUBMITTED = 1,
    SCT_RECORD_TASK_COMPLETED = 2,
    SCT_RECORD_HBA_CONSTRAINTS = 3,
    SCT_RECORD_HBA_EVENT = 4,
    SCT_RECORD_DATA_DIGEST = 5,
    SCT_RECORD_NOTE = 6,
    SCT_RECORD_TARGET_INFO = 7,
    SCT_RECORD_CAPTURE_GAP = 8
};

/* Task attribute, as DriverKit's SCSITaskAttribute. */
enum { SCT_ATTR_SIMPLE = 0, SCT_ATTR_ORDERED = 1, SCT_ATTR_HEAD_OF_QUEUE = 2, SCT_ATTR_ACA = 3 };
/* Data direction, as DriverKit's kSCSIDataTransfer_NoDataTransfer / _FromInitiatorToTarget /
 * _FromTargetToInitiator (SCSIDefinitions.h); DriverKit has no bidirectional value. */
enum { SCT_DIR_NONE = 0, SCT_DIR_TO_DEVICE = 1, SCT_DIR_FROM_DEVICE = 2, SCT_DIR_BIDIRECTIONAL = 3 };
/* SCSIServiceResponse (SCSIDefinitions.h: kSCSIServiceResponse_*). */
enum {
    SCT_SR_REQUEST_IN_PROCESS = 0,
    SCT_SR_SERVICE_DELIVERY_OR_TARGET_FAILURE = 1,
    SCT_SR_TASK_COMPLETE = 2,
    SCT_SR_LINK_COMMAND_COMPLETE = 3,
    SCT_SR_FUNCTION_COMPLETE = 4,
    SCT_SR_FUNCTION_REJECTED = 5
};
/* Task status under SERVICE_DELIVERY_OR_TARGET_FAILURE (DriverKit's kSCSITaskStatus_*). */
enum {
    SCT_STATUS_TASK_TIMEOUT = 0x01,
    SCT_STATUS_PROTOCOL_TIMEOUT = 0x02,
    SCT_STATUS_DEVICE_NOT_RESPONDING = 0x03,
    SCT_STATUS_DEVICE_NOT_PRESENT = 0x04,
    SCT_STATUS_DELIVERY_FAILURE = 0x05,
    SCT_STATUS_NO_STATUS = 0xFF
};
/* HBA event kinds and phases. */
enum {
    SCT_HBA_CONTROLLER_CACHE_FLUSH = 1,
    SCT_HBA_POWER_STATE_CHANGE = 2,
    SCT_HBA_BUS_RESET = 3,
    SCT_HBA_TARGET_RESET = 4,
    SCT_HBA_LOGICAL_UNIT_RESET = 5,
    SCT_HBA_TASK_ABORT = 6,
    SCT_HBA_DRIVER_TIMEOUT = 7,
    SCT_HBA_HARDWARE_COMMAND = 8
};
enum { SCT_PHASE_INSTANT = 0, SCT_PHASE_ISSUED = 1, SCT_PHASE_COMPLETED = 2 };
/* Constraint value types. */
enum { SCT_CONSTRAINT_UNSIGNED = 0, SCT_CONSTRAINT_STRING = 1, SCT_CONSTRAINT_BOOLEAN = 2 };
/* TASK_SUBMITTED 1.1 task flags. */
#define SCT_TASK_FLAG_BUFFER 1u
#define SCT_TASK_FLAG_SGL_RECORDED 2u
/* CAPTURE_GAP: the unit of `lost`, and what the loss may have swallowed. */
enum { SCT_GAP_UNKNOWN = 0, SCT_GAP_LINES = 1, SCT_GAP_RECORDS = 2, SCT_GAP_PACKETS = 3, SCT_GAP_BYTES = 4 };
enum { SCT_GAP_AFFECTS_ALL = 0, SCT_GAP_AFFECTS_SUBMISSIONS = 1, SCT_GAP_AFFECTS_COMPLETIONS = 2 };

typedef struct sct_segment {
    uint64_t address;
    uint64_t length;
} sct_segment;

/*
 * TASK_SUBMITTED: what SCSIUserParallelTask carries (SCSIControllerDriverKit
 * IOUserSCSIParallelInterfaceController.iig), plus the SGL the driver built from it.
 * Timestamps are in the file's ticks. With has_buffer 0, and sgl_recorded 0 or segments, the body
 * is a 1.0 body; a buffer, or an empty list marked recorded, adds the 1.1 extension.
 */
typedef struct sct_submit {
    uint64_t time;
    uint64_t task_id;         /* fControllerTaskIdentifier */
    uint64_t target_id;       /* fTargetID */
    uint8_t lun[8];           /* the 8-byte SAM LUN (fLogicalUnitBytes), or sct_lun_from_number() */
    uint64_t tag;             /* fTaskTagIdentifier; the task id when the transport has none */
    uint64_t requested_bytes; /* fRequestedTransferCount */
    uint32_t timeout_ms;      /* fTimeoutInMilliSec; 0 = none */
    uint8_t attribute;        /* SCT_ATTR_* (fTaskAttribute) */
    uint8_t direction;        /* SCT_DIR_* (fTransferDirection) */
    uint16_t bundle_slot;     /* SCT_NO_BUNDLE_SLOT unless the task came in a bundle */
    const uint8_t *cdb;       /* fCommandDescriptorBlock (DriverKit: at most 16 bytes) */
    uint16_t cdb_length;      /* fCommandSize; 1..260 */
    const sct_segment *segments; /* the SGL the driver programmed into its hardware */
    uint32_t segment_count;   /* 0..65536 */
    uint8_t sgl_recorded;     /* 1: segments is the driver's SGL even when empty (a list with
                                 segments always is); 0: recorded iff segment_count > 0 */
    uint8_t has_buffer;       /* 1: buffer_address/buffer_length are the framework's data buffer */
    uint64_t buffer_address;  /* fBufferIOVMAddr */
    uint64_t buffer_length;   /* bytes the range covers: fRequestedTransferCount; below 2^53 */
} sct_submit;

/* TASK_COMPLETED: what SCSIUserParallelResponse carries. */
typedef struct sct_complete {
    uint64_t time;
    uint64_t task_id;           /* fControllerTaskIdentifier */
    uint64_t bytes_transferred; /* fBytesTransferred */
    uint64_t residual;          /* DriverKit's response has no residual field: the driver's own count, or 0 */
    uint8_t service_response;   /* SCT_SR_* (fServiceResponse) */
    uint8_t status;             /* SAM status, or SCT_STATUS_* under a delivery failure (fCompletionStatus) */
    uint8_t residual_flags;     /* bit 0 underflow, bit 1 overflow */
    uint8_t sense_length;       /* 0..255 (fSenseLength) */
    const uint8_t *sense;       /* fSenseBuffer */
} sct_complete;

/* One HBA_CONSTRAINTS entry. key and string are NUL-terminated UTF-8. */
typedef struct sct_constraint {
    const char *key;     /* e.g. "IOMaximumSegmentCountWrite" */
    uint8_t type;        /* SCT_CONSTRAINT_* */
    uint64_t number;     /* UNSIGNED value, or BOOLEAN (non-zero = true) */
    const char *string;  /* STRING value */
} sct_constraint;

typedef struct sct_hba_event {
    uint64_t time;
    uint64_t task_id;  /* SCT_NO_TASK when not about one task */
    uint16_t kind;     /* SCT_HBA_* */
    uint16_t phase;    /* SCT_PHASE_* */
    uint32_t status;   /* 0 success, else an IOReturn */
    uint64_t duration; /* ticks, 0 = unknown */
    uint64_t arg0;
    uint64_t arg1;
    const char *detail; /* NUL-terminated UTF-8, or NULL */
} sct_hba_event;

typedef struct sct_digest {
    uint64_t time;
    uint64_t task_id;
    uint64_t lba;        /* SCT_NO_LBA when unknown */
    uint64_t byte_count;
    uint32_t crc32c;     /* sct_crc32c() of all the data */
    uint8_t direction;   /* SCT_DIR_TO_DEVICE or SCT_DIR_FROM_DEVICE */
    uint32_t chunk_bytes;
    const uint32_t *chunk_digests;
    uint32_t chunk_count;
} sct_digest;

/* CAPTURE_GAP: the capture lost something between two timestamps. */
typedef struct sct_capture_gap {
    uint64_t time;      /* the last thing captured before the loss, ticks */
    uint64_t end_time;  /* the first thing captured after it, ticks; >= time (= time when unknown) */
    uint64_t lost;      /* how much, in `unit`; 0 = unknown */
    uint64_t target_id; /* SCT_ALL_TARGETS unless the loss concerns one target */
    uint8_t unit;       /* SCT_GAP_UNKNOWN / _LINES / _RECORDS / _PACKETS / _BYTES */
    uint8_t affects;    /* SCT_GAP_AFFECTS_* */
    const char *detail; /* NUL-terminated UTF-8 for a person, or NULL */
} sct_capture_gap;

/* ---- internals ---------------------------------------------------------------------- */

static const uint32_t sct_crc32c_table[256] = {
    0x00000000u, 0xf26b8303u, 0xe13b70f7u, 0x1350f3f4u, 0xc79a971fu, 0x35f1141cu,
    0x26a1e7e8u, 0xd4ca64ebu, 0x8ad958cfu, 0x78b2dbccu, 0x6be22838u, 0x9989ab3bu,
    0x4d43cfd0u, 0xbf284cd3u, 0xac78bf27u, 0x5e133c24u, 0x105ec76fu, 0xe235446cu,
    0xf165b798u, 0x030e349bu, 0xd7c45070u, 0x25afd373u, 0x36ff2087u, 0xc494a384u,
    0x9a879fa0u, 0x68ec1ca3u, 0x7bbcef57u, 0x89d76c54u, 0x5d1d08bfu, 0xaf768bbcu,
    0xbc267848u, 0x4e4dfb4bu, 0x20bd8edeu, 0xd2d60dddu, 0xc186fe29u, 0x33ed7d2au,
    0xe72719c1u, 0x154c9ac2u, 0x061c6936u, 0xf477ea35u, 0xaa64d611u, 0x580f5512u,
    0x4b5fa6e6u, 0xb93425e5u, 0x6dfe410eu, 0x9f95c20du, 0x8cc531f9u, 0x7eaeb2fau,
    0x30e349b1u, 0xc288cab2u, 0xd1d83946u, 0x23b3ba45u, 0xf779deaeu, 0x05125dadu,
    0x1642ae59u, 0xe4292d5au, 0xba3a117eu, 0x4851927du, 0x5b016189u, 0xa96ae28au,
    0x7da08661u, 0x8fcb0562u, 0x9c9bf696u, 0x6ef07595u, 0x417b1dbcu, 0xb3109ebfu,
    0xa0406d4bu, 0x522bee48u, 0x86e18aa3u, 0x748a09a0u, 0x67dafa54u, 0x95b17957u,
    0xcba24573u, 0x39c9c670u, 0x2a993584u, 0xd8f2b687u, 0x0c38d26cu, 0xfe53516fu,
    0xed03a29bu, 0x1f682198u, 0x5125dad3u, 0xa34e59d0u, 0xb01eaa24u, 0x42752927u,
    0x96bf4dccu, 0x64d4cecfu, 0x77843d3bu, 0x85efbe38u, 0xdbfc821cu, 0x2997011fu,
    0x3ac7f2ebu, 0xc8ac71e8u, 0x1c661503u, 0xee0d9600u, 0xfd5d65f4u, 0x0f36e6f7u,
    0x61c69362u, 0x93ad1061u, 0x80fde395u, 0x72966096u, 0xa65c047du, 0x5437877eu,
    0x4767748au, 0xb50cf789u, 0xeb1fcbadu, 0x197448aeu, 0x0a24bb5au, 0xf84f3859u,
    0x2c855cb2u, 0xdeeedfb1u, 0xcdbe2c45u, 0x3fd5af46u, 0x7198540du, 0x83f3d70eu,
    0x90a324fau, 0x62c8a7f9u, 0xb602c312u, 0x44694011u, 0x5739b3e5u, 0xa55230e6u,
    0xfb410cc2u, 0x092a8fc1u, 0x1a7a7c35u, 0xe811ff36u, 0x3cdb9bddu, 0xceb018deu,
    0xdde0eb2au, 0x2f8b6829u, 0x82f63b78u, 0x709db87bu, 0x63cd4b8fu, 0x91a6c88cu,
    0x456cac67u, 0xb7072f64u, 0xa457dc90u, 0x563c5f93u, 0x082f63b7u, 0xfa44e0b4u,
    0xe9141340u, 0x1b7f9043u, 0xcfb5f4a8u, 0x3dde77abu, 0x2e8e845fu, 0xdce5075cu,
    0x92a8fc17u, 0x60c37f14u, 0x73938ce0u, 0x81f80fe3u, 0x55326b08u, 0xa759e80bu,
    0xb4091bffu, 0x466298fcu, 0x1871a4d8u, 0xea1a27dbu, 0xf94ad42fu, 0x0b21572cu,
    0xdfeb33c7u, 0x2d80b0c4u, 0x3ed04330u, 0xccbbc033u, 0xa24bb5a6u, 0x502036a5u,
    0x4370c551u, 0xb11b4652u, 0x65d122b9u, 0x97baa1bau, 0x84ea524eu, 0x7681d14du,
    0x2892ed69u, 0xdaf96e6au, 0xc9a99d9eu, 0x3bc21e9du, 0xef087a76u, 0x1d63f975u,
    0x0e330a81u, 0xfc588982u, 0xb21572c9u, 0x407ef1cau, 0x532e023eu, 0xa145813du,
    0x758fe5d6u, 0x87e466d5u, 0x94b49521u, 0x66df1622u, 0x38cc2a06u, 0xcaa7a905u,
    0xd9f75af1u, 0x2b9cd9f2u, 0xff56bd19u, 0x0d3d3e1au, 0x1e6dcdeeu, 0xec064eedu,
    0xc38d26c4u, 0x31e6a5c7u, 0x22b65633u, 0xd0ddd530u, 0x0417b1dbu, 0xf67c32d8u,
    0xe52cc12cu, 0x1747422fu, 0x49547e0bu, 0xbb3ffd08u, 0xa86f0efcu, 0x5a048dffu,
    0x8ecee914u, 0x7ca56a17u, 0x6ff599e3u, 0x9d9e1ae0u, 0xd3d3e1abu, 0x21b862a8u,
    0x32e8915cu, 0xc083125fu, 0x144976b4u, 0xe622f5b7u, 0xf5720643u, 0x07198540u,
    0x590ab964u, 0xab613a67u, 0xb831c993u, 0x4a5a4a90u, 0x9e902e7bu, 0x6cfbad78u,
    0x7fab5e8cu, 0x8dc0dd8fu, 0xe330a81au, 0x115b2b19u, 0x020bd8edu, 0xf0605beeu,
    0x24aa3f05u, 0xd6c1bc06u, 0xc5914ff2u, 0x37faccf1u, 0x69e9f0d5u, 0x9b8273d6u,
    0x88d28022u, 0x7ab90321u, 0xae7367cau, 0x5c18e4c9u, 0x4f48173du, 0xbd23943eu,
    0xf36e6f75u, 0x0105ec76u, 0x12551f82u, 0xe03e9c81u, 0x34f4f86au, 0xc69f7b69u,
    0xd5cf889du, 0x27a40b9eu, 0x79b737bau, 0x8bdcb4b9u, 0x988c474du, 0x6ae7c44eu,
    0xbe2da0a5u, 0x4c4623a6u, 0x5f16d052u, 0xad7d5351u
};

static inline void sct_put16_(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)((v >> 8) & 0xFFu);
}
static inline void sct_put32_(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v & 0xFFu);
    p[1] = (uint8_t)((v >> 8) & 0xFFu);
    p[2] = (uint8_t)((v >> 16) & 0xFFu);
    p[3] = (uint8_t)((v >> 24) & 0xFFu);
}
static inline void sct_put64_(uint8_t *p, uint64_t v) {
    sct_put32_(p, (uint32_t)(v & 0xFFFFFFFFu));
    sct_put32_(p + 4, (uint32_t)(v >> 32));
}
static inline void sct_copy_(uint8_t *dst, const uint8_t *src, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) dst[i] = src[i];
}
static inline void sct_zero_(uint8_t *dst, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) dst[i] = 0;
}
/* The length of a NUL-terminated string, or SCT_MAX_BODY_LENGTH + 1 for one at least that long
 * (no field can hold it: every caller refuses it). The bound also keeps GCC from turning the loop
 * into a call to strlen, which a freestanding environment need not have; compilers may still
 * emit memcpy/memset/memmove/memcmp for the byte loops above, which they require everywhere. */
static inline size_t sct_strlen_(const char *s) {
    size_t n = 0;
    if (s) while (n <= SCT_MAX_BODY_LENGTH && s[n]) n++;
    return n;
}

/* CRC32C (Castagnoli, reflected 0x82F63B78) of n bytes, continuing from `previous` (0 to start). */
static inline uint32_t sct_crc32c(uint32_t previous, const uint8_t *p, size_t n) {
    uint32_t crc = ~previous;
    size_t i;
    for (i = 0; i < n; i++) crc = sct_crc32c_table[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}

/* Writes the 12-byte record header; the caller fills the body, then calls sct_end_record_. */
static inline uint8_t *sct_begin_record_(uint8_t *buf, uint16_t type, size_t body_length) {
    buf[0] = 0xA5; buf[1] = 0x5A; buf[2] = 0xC3; buf[3] = 0x3C;
    sct_put16_(buf + 4, type);
    sct_put16_(buf + 6, 0);
    sct_put32_(buf + 8, (uint32_t)body_length);
    return buf + SCT_RECORD_HEADER;
}
static inline size_t sct_end_record_(uint8_t *buf, size_t body_length) {
    size_t crc_at = SCT_RECORD_HEADER + body_length;
    sct_put32_(buf + crc_at, sct_crc32c(0, buf + 4, crc_at - 4));
    return crc_at + SCT_RECORD_TRAILER;
}

/* ---- public API --------------------------------------------------------------------- */

/* SAM-6 4.7 single-level LUN: peripheral addressing below 256, flat addressing up to 16383. */
static inline void sct_lun_from_number(uint8_t lun[8], uint32_t number) {
    sct_zero_(lun, 8);
    if (number < 256u) {
        lun[1] = (uint8_t)number;
    } else {
        lun[0] = (uint8_t)(0x40u | ((number >> 8) & 0x3Fu));
        lun[1] = (uint8_t)(number & 0xFFu);
    }
}

/* The file header: producer (NUL-terminated UTF-8, e.g. "MyHBA 1.2 on Mac14,3"), ticks, wall start. */
static inline size_t sct_encode_file_header(uint8_t *buf, size_t capacity, const char *producer,
                                            uint32_t tick_ns, int64_t start_wall_ns) {
    size_t producer_length = sct_strlen_(producer);
    size_t length = SCT_PAD8(SCT_FILE_HEADER_FIXED + producer_length);
    static const uint8_t magic[8] = {0x89, 0x53, 0x43, 0x54, 0x0D, 0x0A, 0x1A, 0x0A};
    if (tick_ns == 0 || producer_length > 0xFFFFu || length > SCT_MAX_HEADER_LENGTH || length > capacity) return 0;
    sct_zero_(buf, length);
    sct_copy_(buf, magic, 8);
    sct_put16_(buf + 8, SCT_FORMAT_MAJOR);
    sct_put16_(buf + 10, SCT_FORMAT_MINOR);
    sct_put32_(buf + 12, (uint32_t)length);
    sct_put32_(buf + 16, tick_ns);
    sct_put64_(buf + 24, (uint64_t)start_wall_ns);
    sct_put16_(buf + 32, (uint32_t)producer_length);
    sct_copy_(buf + SCT_FILE_HEADER_FIXED, (const uint8_t *)producer, producer_length);
    return length;
}

/* The 1.1 task flags of a submission, and whether its body needs the extension to say them
 * (a 1.0 body means: no buffer, SGL recorded iff it has segments). */
static inline uint32_t sct_submit_flags_(const sct_submit *t) {
    uint32_t flags = t->has_buffer ? SCT_TASK_FLAG_BUFFER : 0u;
    if (t->sgl_recorded || t->segment_count > 0u) flags |= SCT_TASK_FLAG_SGL_RECORDED;
    return flags;
}
static inline int sct_submit_needs_extension_(const sct_submit *t) {
    uint32_t flags = sct_submit_flags_(t);
    return (flags & SCT_TASK_FLAG_BUFFER) != 0u || ((flags & SCT_TASK_FLAG_SGL_RECORDED) != 0u) != (t->segment_count > 0u);
}

/* Exact bytes sct_encode_submit() writes for t. */
static inline size_t sct_submit_size(const sct_submit *t) {
    return SCT_RECORD_OVERHEAD + SCT_SUBMIT_FIXED + SCT_PAD8((size_t)t->cdb_length) + (size_t)t->segment_count * SCT_SEGMENT_BYTES +
           (sct_submit_needs_extension_(t) ? SCT_SUBMIT_EXTENSION : 0u);
}

static inline size_t sct_encode_submit(uint8_t *buf, size_t capacity, const sct_submit *t) {
    size_t cdb_padded = SCT_PAD8((size_t)t->cdb_length);
    size_t body_length, i;
    uint8_t *b, *s;
    if (t->cdb_length < 1u || t->cdb_length > SCT_MAX_CDB_LENGTH || !t->cdb) return 0;
    if (t->segment_count > SCT_MAX_SEGMENTS || (t->segment_count && !t->segments)) return 0;
    if (t->sgl_recorded > 1u || t->has_buffer > 1u || (t->has_buffer && t->buffer_length >= SCT_MAX_BUFFER_LENGTH)) return 0;
    body_length = sct_submit_size(t) - SCT_RECORD_OVERHEAD;
    if (body_length > SCT_MAX_BODY_LENGTH || SCT_RECORD_OVERHEAD + body_length > capacity) return 0;
    b = sct_begin_record_(buf, SCT_RECORD_TASK_SUBMITTED, body_length);
    sct_put64_(b, t->time);
    sct_put64_(b + 8, t->task_id);
    sct_put64_(b + 16, t->target_id);
    sct_copy_(b + 24, t->lun, 8);
    sct_put64_(b + 32, t->tag);
    sct_put64_(b + 40, t->requested_bytes);
    sct_put32_(b + 48, t->timeout_ms);
    b[52] = t->attribute;
    b[53] = t->direction;
    sct_put16_(b + 54, t->cdb_length);
    sct_put32_(b + 56, t->segment_count);
    sct_put16_(b + 60, t->bundle_slot);
    sct_put16_(b + 62, 0);
    sct_copy_(b + SCT_SUBMIT_FIXED, t->cdb, t->cdb_length);
    sct_zero_(b + SCT_SUBMIT_FIXED + t->cdb_length, cdb_padded - t->cdb_length);
    s = b + SCT_SUBMIT_FIXED + cdb_padded;
    for (i = 0; i < t->segment_count; i++) {
        sct_put64_(s + i * SCT_SEGMENT_BYTES, t->segments[i].address);
        sct_put64_(s + i * SCT_SEGMENT_BYTES + 8, t->segments[i].length);
    }
    if (sct_submit_needs_extension_(t)) {
        uint8_t *x = s + (size_t)t->segment_count * SCT_SEGMENT_BYTES;
        sct_put64_(x, t->has_buffer ? t->buffer_address : 0u);
        sct_put64_(x + 8, t->has_buffer ? t->buffer_length : 0u);
        sct_put32_(x + 16, sct_submit_flags_(t));
        sct_put32_(x + 20, 0);
    }
    return sct_end_record_(buf, body_length);
}

static inline size_t sct_encode_complete(uint8_t *buf, size_t capacity, const sct_complete *c) {
    size_t body_length = SCT_COMPLETE_FIXED + SCT_PAD8((size_t)c->sense_length);
    uint8_t *b;
    if (c->sense_length && !c->sense) return 0;
    if (SCT_RECORD_OVERHEAD + body_length > capacity) return 0;
    b = sct_begin_record_(buf, SCT_RECORD_TASK_COMPLETED, body_length);
    sct_zero_(b, body_length);
    sct_put64_(b, c->time);
    sct_put64_(b + 8, c->task_id);
    sct_put64_(b + 16, c->bytes_transferred);
    sct_put64_(b + 24, c->residual);
    b[32] = c->service_response;
    b[33] = c->status;
    b[34] = c->sense_length;
    b[35] = c->residual_flags;
    if (c->sense_length) sct_copy_(b + SCT_COMPLETE_FIXED, c->sense, c->sense_length);
    return sct_end_record_(buf, body_length);
}

static inline size_t sct_constraint_value_length_(const sct_constraint *e) {
    return e->type == SCT_CONSTRAINT_UNSIGNED ? 8u : e->type == SCT_CONSTRAINT_BOOLEAN ? 1u : sct_strlen_(e->string);
}

static inline size_t sct_encode_constraints(uint8_t *buf, size_t capacity, uint64_t time,
                                            const sct_constraint *entries, uint16_t count) {
    size_t body_length = SCT_CONSTRAINTS_FIXED, i, o;
    uint8_t *b;
    for (i = 0; i < count; i++) {
        size_t k = sct_strlen_(entries[i].key);
        if (k > 0xFFFFu || entries[i].type > SCT_CONSTRAINT_BOOLEAN) return 0;
        body_length += SCT_PAD8(SCT_CONSTRAINT_ENTRY_FIXED + k + sct_constraint_value_length_(&entries[i]));
        if (body_length > SCT_MAX_BODY_LENGTH) return 0;
    }
    if (SCT_RECORD_OVERHEAD + body_length > capacity) return 0;
    b = sct_begin_record_(buf, SCT_RECORD_HBA_CONSTRAINTS, body_length);
    sct_zero_(b, body_length);
    sct_put64_(b, time);
    sct_put16_(b + 8, count);
    o = SCT_CONSTRAINTS_FIXED;
    for (i = 0; i < count; i++) {
        const sct_constraint *e = &entries[i];
        size_t k = sct_strlen_(e->key), v = sct_constraint_value_length_(e);
        uint8_t *p = b + o;
        p[0] = e->type;
        sct_put16_(p + 2, (uint32_t)k);
        sct_put32_(p + 4, (uint32_t)v);
        sct_copy_(p + SCT_CONSTRAINT_ENTRY_FIXED, (const uint8_t *)e->key, k);
        if (e->type == SCT_CONSTRAINT_UNSIGNED) sct_put64_(p + SCT_CONSTRAINT_ENTRY_FIXED + k, e->number);
        else if (e->type == SCT_CONSTRAINT_BOOLEAN) p[SCT_CONSTRAINT_ENTRY_FIXED + k] = (uint8_t)(e->number != 0);
        else sct_copy_(p + SCT_CONSTRAINT_ENTRY_FIXED + k, (const uint8_t *)e->string, v);
        o += SCT_PAD8(SCT_CONSTRAINT_ENTRY_FIXED + k + v);
    }
    return sct_end_record_(buf, body_length);
}

static inline size_t sct_encode_hba_event(uint8_t *buf, size_t capacity, const sct_hba_event *e) {
    size_t d = sct_strlen_(e->detail);
    size_t body_length = SCT_HBA_EVENT_FIXED + SCT_PAD8(d);
    uint8_t *b;
    if (d > 0xFFFFu || SCT_RECORD_OVERHEAD + body_length > capacity) return 0;
    b = sct_begin_record_(buf, SCT_RECORD_HBA_EVENT, body_length);
    sct_zero_(b, body_length);
    sct_put64_(b, e->time);
    sct_put64_(b + 8, e->task_id);
    sct_put16_(b + 16, e->kind);
    sct_put16_(b + 18, e->phase);
    sct_put32_(b + 20, e->status);
    sct_put64_(b + 24, e->duration);
    sct_put64_(b + 32, e->arg0);
    sct_put64_(b + 40, e->arg1);
    sct_put16_(b + 48, (uint32_t)d);
    sct_copy_(b + SCT_HBA_EVENT_FIXED, (const uint8_t *)e->detail, d);
    return sct_end_record_(buf, body_length);
}

static inline size_t sct_encode_digest(uint8_t *buf, size_t capacity, const sct_digest *d) {
    size_t body_length, i;
    uint8_t *b;
    if (d->chunk_count && !d->chunk_digests) return 0;
    if (d->chunk_count > (SCT_MAX_BODY_LENGTH - SCT_DIGEST_FIXED) / 4u) return 0;
    body_length = SCT_DIGEST_FIXED + SCT_PAD8((size_t)d->chunk_count * 4u);
    if (SCT_RECORD_OVERHEAD + body_length > capacity) return 0;
    b = sct_begin_record_(buf, SCT_RECORD_DATA_DIGEST, body_length);
    sct_zero_(b, body_length);
    sct_put64_(b, d->time);
    sct_put64_(b + 8, d->task_id);
    sct_put64_(b + 16, d->lba);
    sct_put64_(b + 24, d->byte_count);
    sct_put32_(b + 32, d->crc32c);
    b[36] = d->direction;
    sct_put32_(b + 40, d->chunk_bytes);
    sct_put32_(b + 44, d->chunk_count);
    for (i = 0; i < d->chunk_count; i++) sct_put32_(b + SCT_DIGEST_FIXED + i * 4u, d->chunk_digests[i]);
    return sct_end_record_(buf, body_length);
}

/* A NOTE: `length` bytes of UTF-8 text (need not be NUL-terminated). */
static inline size_t sct_encode_note(uint8_t *buf, size_t capacity, uint64_t time, uint64_t task_id,
                                     const char *text, size_t length) {
    size_t body_length = SCT_NOTE_FIXED + SCT_PAD8(length);
    uint8_t *b;
    if ((length && !text) || body_length > SCT_MAX_BODY_LENGTH || SCT_RECORD_OVERHEAD + body_length > capacity) return 0;
    b = sct_begin_record_(buf, SCT_RECORD_NOTE, body_length);
    sct_zero_(b, body_length);
    sct_put64_(b, time);
    sct_put64_(b + 8, task_id);
    sct_put32_(b + 16, (uint32_t)length);
    sct_copy_(b + SCT_NOTE_FIXED, (const uint8_t *)text, length);
    return sct_end_record_(buf, body_length);
}

/*
 * TARGET_INFO: from `time` on, tasks of target_id carry this label (e.g. Linux "host:channel:id");
 * an empty label removes it. `length` bytes of UTF-8 (need not be NUL-terminated), at most 1024.
 */
static inline size_t sct_encode_target_info(uint8_t *buf, size_t capacity, uint64_t time, uint64_t target_id,
                                            const char *label, size_t length) {
    size_t body_length = SCT_TARGET_INFO_FIXED + SCT_PAD8(length);
    uint8_t *b;
    if ((length && !label) || length > SCT_MAX_TARGET_LABEL || SCT_RECORD_OVERHEAD + body_length > capacity) return 0;
    b = sct_begin_record_(buf, SCT_RECORD_TARGET_INFO, body_length);
    sct_zero_(b, body_length);
    sct_put64_(b, time);
    sct_put64_(b + 8, target_id);
    sct_put16_(b + 16, (uint32_t)length);
    sct_copy_(b + SCT_TARGET_INFO_FIXED, (const uint8_t *)label, length);
    return sct_end_record_(buf, body_length);
}

/* CAPTURE_GAP: what the capture lost (a ring overrun, dropped log lines). end_time must not be
 * earlier than time (that would be a contradictory record). Write it where the loss happened:
 * before the records captured after it (readers judge each record against the gaps before it). */
static inline size_t sct_encode_capture_gap(uint8_t *buf, size_t capacity, const sct_capture_gap *g) {
    size_t d = sct_strlen_(g->detail);
    size_t body_length = SCT_CAPTURE_GAP_FIXED + SCT_PAD8(d);
    uint8_t *b;
    if (d > 0xFFFFu || g->unit > SCT_GAP_BYTES || g->affects > SCT_GAP_AFFECTS_COMPLETIONS || g->end_time < g->time) return 0;
    if (SCT_RECORD_OVERHEAD + body_length > capacity) return 0;
    b = sct_begin_record_(buf, SCT_RECORD_CAPTURE_GAP, body_length);
    sct_zero_(b, body_length);
    sct_put64_(b, g->time);
    sct_put64_(b + 8, g->end_time);
    sct_put64_(b + 16, g->lost);
    sct_put64_(b + 24, g->target_id);
    b[32] = g->unit;
    b[33] = g->affects;
    sct_put16_(b + 34, (uint32_t)d);
    sct_copy_(b + SCT_CAPTURE_GAP_FIXED, (const uint8_t *)g->detail, d);
    return sct_end_record_(buf, body_length);
}

/* ---- SCT1 text lines for os_log -------------------------------------------------------- */

#define SCT_OSLOG_BASE64 0
#define SCT_OSLOG_HEX 1

/*
 * The longest line, in characters without the NUL. A dext's os_log message reaches the unified
 * log through the log_data syscall, which copies at most OS_LOG_DATA_MAX_SIZE bytes and makes
 * the last one a NUL (xnu bsd/kern/sys_generic.c log_data(); libkern/os/log.h:
 * OS_LOG_DATA_MAX_SIZE = OS_LOG_BUFFER_MAX_SIZE - 16 = 256 - 16 = 240). 239 characters and the
 * NUL arrive whole; a longer line arrives cut and its unit fails its CRC.
 */
#define SCT_OSLOG_LINE_MAX 239u
/* Most lines (fragments) one unit may take (docs/FORMAT.md: parts is 1 … 4096). */
#define SCT_OSLOG_MAX_PARTS 4096u
/* "SCT1B " + 8 seq digits + " " + part + "/" + parts + " ", with part and parts at most 4096. */
#define SCT_OSLOG_PREFIX_MAX (6u + 8u + 1u + 4u + 1u + 4u + 1u)
/* Unit bytes per line: the most that keeps the longest line within SCT_OSLOG_LINE_MAX. */
#define SCT_OSLOG_FRAGMENT_BASE64 159u /* 4 * ceil(159 / 3) = 212 characters: lines of at most 237 */
#define SCT_OSLOG_FRAGMENT_HEX 107u    /* 2 * 107 = 214 characters: lines of at most 239 */
#define SCT_OSLOG_FRAGMENT_BYTES(encoding) ((encoding) == SCT_OSLOG_HEX ? SCT_OSLOG_FRAGMENT_HEX : SCT_OSLOG_FRAGMENT_BASE64)
/* Payload characters for n bytes. */
#define SCT_OSLOG_PAYLOAD_CHARS(encoding, n) \
    ((encoding) == SCT_OSLOG_HEX ? 2u * (size_t)(n) : 4u * (((size_t)(n) + 2u) / 3u))
/* The largest unit that can be logged: 4096 lines of a full fragment (651264 bytes in base64,
 * 438272 in hex). A bigger record (a submission with tens of thousands of segments, a long
 * note) is refused by sct_oslog_emit(); send it through the ring (emit/sctring.h). */
#define SCT_OSLOG_MAX_UNIT(encoding) ((size_t)SCT_OSLOG_MAX_PARTS * SCT_OSLOG_FRAGMENT_BYTES(encoding))

SCT_STATIC_ASSERT_(oslog_base64_line_fits, SCT_OSLOG_PREFIX_MAX + SCT_OSLOG_PAYLOAD_CHARS(SCT_OSLOG_BASE64, SCT_OSLOG_FRAGMENT_BASE64) <= SCT_OSLOG_LINE_MAX);
SCT_STATIC_ASSERT_(oslog_hex_line_fits, SCT_OSLOG_PREFIX_MAX + SCT_OSLOG_PAYLOAD_CHARS(SCT_OSLOG_HEX, SCT_OSLOG_FRAGMENT_HEX) <= SCT_OSLOG_LINE_MAX);
SCT_STATIC_ASSERT_(oslog_parts_fit_four_digits, SCT_OSLOG_MAX_PARTS <= 9999u);

/* How many lines a unit takes (0 for an empty unit or an unknown encoding). */
static inline size_t sct_oslog_parts(size_t unit_length, int encoding) {
    size_t f = SCT_OSLOG_FRAGMENT_BYTES(encoding);
    if (unit_length == 0 || (encoding != SCT_OSLOG_BASE64 && encoding != SCT_OSLOG_HEX)) return 0;
    return (unit_length + f - 1u) / f;
}

static inline size_t sct_put_decimal_(char *out, size_t v) {
    char tmp[20];
    size_t n = 0, i;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v);
    for (i = 0; i < n; i++) out[i] = tmp[n - 1u - i];
    return n;
}

/*
 * Formats line `part` (1-based) of a unit as a NUL-terminated string of at most
 * SCT_OSLOG_LINE_MAX characters. Returns its length without the NUL, or 0 when out is too small
 * (SCT_OSLOG_LINE_MAX + 1 always suffices), the unit needs more than SCT_OSLOG_MAX_PARTS lines,
 * or the arguments are out of range.
 */
static inline size_t sct_oslog_line(char *out, size_t capacity, const uint8_t *unit, size_t unit_length,
                                    uint32_t seq, size_t part, int encoding) {
    static const char hex[] = "0123456789abcdef";
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t fragment_bytes = SCT_OSLOG_FRAGMENT_BYTES(encoding);
    size_t parts = sct_oslog_parts(unit_length, encoding);
    size_t start, length, n = 0, i;
    const uint8_t *f;
    if (parts == 0 || parts > SCT_OSLOG_MAX_PARTS || part < 1u || part > parts || !unit) return 0;
    start = (part - 1u) * fragment_bytes;
    length = unit_length - start < fragment_bytes ? unit_length - start : fragment_bytes;
    if (SCT_OSLOG_PREFIX_MAX + SCT_OSLOG_PAYLOAD_CHARS(encoding, length) + 1u > capacity) return 0;
    f = unit + start;
    out[n++] = 'S'; out[n++] = 'C'; out[n++] = 'T'; out[n++] = '1';
    out[n++] = encoding == SCT_OSLOG_HEX ? 'X' : 'B';
    out[n++] = ' ';
    for (i = 0; i < 8u; i++) out[n++] = hex[(seq >> (28u - 4u * i)) & 0xFu];
    out[n++] = ' ';
    n += sct_put_decimal_(out + n, part);
    out[n++] = '/';
    n += sct_put_decimal_(out + n, parts);
    out[n++] = ' ';
    if (encoding == SCT_OSLOG_HEX) {
        for (i = 0; i < length; i++) {
            out[n++] = hex[f[i] >> 4];
            out[n++] = hex[f[i] & 0xFu];
        }
    } else {
        for (i = 0; i + 2u < length; i += 3u) {
            uint32_t v = ((uint32_t)f[i] << 16) | ((uint32_t)f[i + 1] << 8) | f[i + 2];
            out[n++] = b64[(v >> 18) & 63u];
            out[n++] = b64[(v >> 12) & 63u];
            out[n++] = b64[(v >> 6) & 63u];
            out[n++] = b64[v & 63u];
        }
        if (length - i == 1u) {
            uint32_t v = (uint32_t)f[i] << 16;
            out[n++] = b64[(v >> 18) & 63u];
            out[n++] = b64[(v >> 12) & 63u];
            out[n++] = '=';
            out[n++] = '=';
        } else if (length - i == 2u) {
            uint32_t v = ((uint32_t)f[i] << 16) | ((uint32_t)f[i + 1] << 8);
            out[n++] = b64[(v >> 18) & 63u];
            out[n++] = b64[(v >> 12) & 63u];
            out[n++] = b64[(v >> 6) & 63u];
            out[n++] = '=';
        }
    }
    out[n] = '\0';
    return n;
}

/* Receives one NUL-terminated line; a DriverKit driver logs it with os_log(OS_LOG_DEFAULT, "%{public}s", line),
 * a kext with os_log(OS_LOG_DEFAULT, "%s", line) (docs/FORMAT.md, "Logging the lines from a driver"). */
typedef void (*sct_line_fn)(void *context, const char *line);

/*
 * Emits a unit (a record or the file header) as SCT1 lines of at most SCT_OSLOG_LINE_MAX
 * characters, using *seq as its sequence number and then incrementing it. Uses a
 * SCT_OSLOG_LINE_MAX + 1 byte line buffer on the stack, never the heap. Returns the number of
 * lines emitted; 0 (nothing emitted, *seq unchanged) on bad arguments or a unit larger than
 * SCT_OSLOG_MAX_UNIT(encoding).
 * *seq must not be shared between threads without a lock: give each queue its own counter
 * starting at a different high nibble, or serialise the calls.
 */
static inline size_t sct_oslog_emit(const uint8_t *unit, size_t unit_length, uint32_t *seq, int encoding,
                                    sct_line_fn emit_line, void *context) {
    char line[SCT_OSLOG_LINE_MAX + 1u];
    size_t parts = sct_oslog_parts(unit_length, encoding), k;
    if (parts == 0 || parts > SCT_OSLOG_MAX_PARTS || !emit_line || !seq || !unit) return 0;
    for (k = 1; k <= parts; k++) {
        if (!sct_oslog_line(line, sizeof line, unit, unit_length, *seq, k, encoding)) return k - 1u;
        emit_line(context, line);
    }
    *seq += 1u;
    return parts;
}

#ifdef __cplusplus
}
#endif

#endif /* SCSITRACE_H */
