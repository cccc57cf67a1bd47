/**
 * The normalized event model. Every input format (native .sct, pcap/pcapng, ftrace text,
 * os_log text, JSON Lines) ends in these events; nothing downstream knows which format
 * produced them. Plain types and enum values only; no logic beyond tiny constructors.
 */

/** Task attribute, values as DriverKit's SCSITaskAttribute (SAM-6 task attributes). */
export const TaskAttribute = {
  Simple: 0,
  Ordered: 1,
  HeadOfQueue: 2,
  ACA: 3,
} as const;
export type TaskAttribute = (typeof TaskAttribute)[keyof typeof TaskAttribute];

/** Data transfer direction, values as DriverKit's kSCSIDataTransfer_*. */
export const DataDirection = {
  None: 0,
  ToDevice: 1,
  FromDevice: 2,
  /** Bidirectional (iSCSI R+W); DriverKit has no such value. */
  Bidirectional: 3,
} as const;
export type DataDirection = (typeof DataDirection)[keyof typeof DataDirection];

/** SCSIServiceResponse values as DriverKit defines them (SAM service responses). */
export const ServiceResponse = {
  RequestInProcess: 0,
  ServiceDeliveryOrTargetFailure: 1,
  TaskComplete: 2,
  LinkedCommandComplete: 3,
  FunctionComplete: 4,
  FunctionRejected: 5,
} as const;
export type ServiceResponse = (typeof ServiceResponse)[keyof typeof ServiceResponse];

/** SAM-6 status codes, meaningful when the service response is TASK_COMPLETE. */
export const SamStatus = {
  Good: 0x00,
  CheckCondition: 0x02,
  ConditionMet: 0x04,
  Busy: 0x08,
  Intermediate: 0x10,
  IntermediateConditionMet: 0x14,
  ReservationConflict: 0x18,
  CommandTerminated: 0x22,
  TaskSetFull: 0x28,
  AcaActive: 0x30,
  TaskAborted: 0x40,
} as const;

/**
 * DriverKit's delivery-failure statuses (kSCSITaskStatus_*), meaningful when the service
 * response is SERVICE_DELIVERY_OR_TARGET_FAILURE. Note 0x02 and 0x04 collide with SAM codes.
 */
export const DeliveryStatus = {
  TaskTimeoutOccurred: 0x01,
  ProtocolTimeoutOccurred: 0x02,
  DeviceNotResponding: 0x03,
  DeviceNotPresent: 0x04,
  DeliveryFailure: 0x05,
  NoStatus: 0xff,
} as const;

/** Kinds of HBA-level events a driver records. */
export const HbaEventKind = {
  ControllerCacheFlush: 1,
  PowerStateChange: 2,
  BusReset: 3,
  TargetReset: 4,
  LogicalUnitReset: 5,
  TaskAbort: 6,
  DriverTimeout: 7,
  HardwareCommand: 8,
} as const;
export type HbaEventKind = (typeof HbaEventKind)[keyof typeof HbaEventKind];

/** Whether an HBA event marks a point, the start, or the end of a hardware operation. */
export const HbaEventPhase = {
  Instant: 0,
  Issued: 1,
  Completed: 2,
} as const;
export type HbaEventPhase = (typeof HbaEventPhase)[keyof typeof HbaEventPhase];

/** Residual flags on a completion (iSCSI U/O bits; a driver may set them too). */
export const ResidualFlag = {
  Underflow: 0x01,
  Overflow: 0x02,
} as const;

/** Where an event came from in its source: what a user needs to find the record. */
export interface EventOrigin {
  /** Byte offset of the record (or packet, or line) in the input file. */
  offset: number;
  /** Zero-based index of the record in the input. */
  index: number;
  /** Time since the start of the capture (the header's timeOriginNs, when set), in nanoseconds. */
  timeNs: number;
}

/**
 * A scatter/gather list kept as packed little-endian (u64 address, u64 length) pairs so
 * that million-task traces do not allocate an object per segment.
 */
export interface SegmentList {
  readonly count: number;
  /** Segment address, exact. */
  address(i: number): bigint;
  /** Segment length in bytes. */
  length(i: number): number;
  /** High and low 32 bits of the address, for fast limit checks without bigint. */
  addressHigh(i: number): number;
  addressLow(i: number): number;
  /** Sum of all lengths. */
  totalBytes(): number;
}

export interface TraceHeader extends EventOrigin {
  kind: 'header';
  format: string;
  version: string;
  /** Wall-clock time of timestamp 0, nanoseconds since the Unix epoch (0 when unknown). */
  startWallNs: bigint;
  producer: string;
  /**
   * Whether completions carry the sense data the target returned (a CHECK CONDITION without
   * sense then means there was none). Absent: not known from the source; the checker learns it
   * from the trace (a completion with sense shows that sense is recorded).
   */
  senseCaptured?: boolean;
  /**
   * Whether the source can show the controller's own cache flushes (CONTROLLER_CACHE_FLUSH HBA
   * events). False for a wire capture (iSCSI, USB, FCoE) or kernel tracepoints: they see what
   * crosses the wire or the SCSI midlayer, never inside the controller, and their HBA events are
   * task management and timeouts. Absent: a driver's own trace, where the checker takes any HBA
   * event as showing that the driver records them.
   */
  flushEventsRecorded?: boolean;
  /**
   * Where this trace's event times are counted from, in ns after timestamp 0, when not 0: a
   * trace whose timestamps are too large for exact doubles (past 2^52 ns, e.g. a host's uptime
   * clock) has its events' timeNs counted from here, so that they and the latencies between
   * them stay exact. The time since timestamp 0 is timeOriginNs + timeNs; renderers print that.
   */
  timeOriginNs?: bigint;
}

export interface TaskSubmitted extends EventOrigin {
  kind: 'submit';
  taskId: bigint;
  targetId: bigint;
  /**
   * How the source names the target, when not by a plain number: Linux `host:channel:id`
   * for tracepoints. Renderers show it in place of targetId.
   */
  targetLabel?: string;
  /** SAM LUN, first level decoded (peripheral or flat addressing). */
  lun: number;
  tag: bigint;
  attribute: TaskAttribute;
  direction: DataDirection;
  requestedBytes: number;
  /** Timeout the framework gave the task, in milliseconds (0 = none). */
  timeoutMs: number;
  cdb: Uint8Array;
  /**
   * The scatter/gather list the driver programmed into its hardware (IOVM / bus addresses).
   * A DriverKit extension is never handed a list: it builds this one from `buffer`
   * (SCSIControllerDriverKit's SCSIUserParallelTask carries only fBufferIOVMAddr). Empty when
   * the source recorded none (see `sglRecorded`).
   */
  segments: SegmentList;
  /**
   * Whether `segments` is a recorded list (possibly empty, for a task that moves no data), as
   * opposed to "not recorded". Absent means: recorded when it has segments.
   */
  sglRecorded?: boolean;
  /**
   * The one data buffer the framework handed the driver: for DriverKit, the IOVM range
   * fBufferIOVMAddr covering fRequestedTransferCount bytes. Absent when the source has none
   * (pcap, ftrace, kext traces that record only the list).
   */
  buffer?: DataBuffer;
  /** Bundled-task slot index, when the task came in a bundle. */
  bundleSlot?: number;
}

/** One contiguous range of I/O virtual (or bus) addresses. */
export interface DataBuffer {
  address: bigint;
  length: number;
}

/** What a completion says of its task, wherever it comes from (an event, a reader's task sink). */
export interface Completion extends EventOrigin {
  serviceResponse: number;
  status: number;
  bytesTransferred: number;
  /** Residual count, meaningful when residualFlags is non-zero. */
  residual: number;
  residualFlags: number;
}

export interface TaskCompleted extends Completion {
  kind: 'complete';
  taskId: bigint;
  sense: Uint8Array;
}

export type ConstraintValue = number | string | boolean;

export interface HbaConstraints extends EventOrigin {
  kind: 'constraints';
  entries: Record<string, ConstraintValue>;
}

export interface HbaEvent extends EventOrigin {
  kind: 'hba';
  hbaKind: HbaEventKind | number;
  phase: HbaEventPhase | number;
  taskId?: bigint;
  /** 0 = success; otherwise the driver's status (e.g. a kern_return_t). */
  status: number;
  durationNs: number;
  /** Meaning by kind: power from/to state, target id and LUN for resets, hardware opcode. */
  arg0: bigint;
  arg1: bigint;
  detail: string;
}

export interface DataDigest extends EventOrigin {
  kind: 'digest';
  taskId: bigint;
  /** First LBA the data belongs to (undefined when unknown). */
  lba?: bigint;
  byteCount: number;
  direction: DataDirection;
  /** CRC32C of all the data the task moved. */
  crc32c: number;
  /** Bytes per chunk digest; 0 when only the whole-transfer digest is present. */
  chunkBytes: number;
  chunkDigests: Uint32Array;
}

export interface Note extends EventOrigin {
  kind: 'note';
  taskId?: bigint;
  text: string;
}

/** What a capture gap may have swallowed. */
export const GapAffects = {
  /** Anything: submissions, completions and HBA events alike (a lost log line, a ring overrun). */
  All: 0,
  /** Only what travels initiator → target (commands, data out): a TCP gap in that direction. */
  Submissions: 1,
  /** Only what travels target → initiator (responses, data in, sense). */
  Completions: 2,
} as const;
export type GapAffects = (typeof GapAffects)[keyof typeof GapAffects];

/** The unit a capture gap's `lost` count is in. */
export const GapUnit = {
  Unknown: 0,
  /** Log lines the log lost (a source that counts lines, not what they carried). */
  Lines: 1,
  /**
   * Native records: SCT1 units whose sequence numbers never arrived or that arrived in part
   * (one unit is one record or file header), the records a ring overrun dropped.
   */
  Records: 2,
  /** Packets or TCP segments. */
  Packets: 3,
  /** Bytes of a stream. */
  Bytes: 4,
} as const;
export type GapUnit = (typeof GapUnit)[keyof typeof GapUnit];

/**
 * The capture lost something here: the input itself is intact, but the source that made it
 * dropped data (the kernel log dropped messages, a ring buffer was overrun, packets were not
 * captured). Not damage: rules consult gaps so that what a lost record would explain (a
 * completion never seen, a completion for a task never seen) is not reported as a driver bug.
 * `timeNs` is the time of the last thing seen before the loss.
 */
export interface CaptureGap extends EventOrigin {
  kind: 'gap';
  /** Time of the first thing seen after the loss (equal to timeNs when unknown). */
  endNs: number;
  /** How much was lost, in `unit`; 0 when unknown. */
  lost: number;
  unit: GapUnit;
  affects: GapAffects;
  /** The target the gap concerns (an iSCSI connection's target); undefined = all targets. */
  targetId?: bigint;
  /** One line for a person: what was lost, where (`SCT1 units 0x1a..0x1f missing (6 units) between …`, `ring overrun: 12 records …`). */
  detail: string;
}

/** A damaged or unreadable stretch of input; reading went on after it where framing allowed. */
export interface Diagnostic extends EventOrigin {
  kind: 'diagnostic';
  message: string;
  skippedBytes: number;
  skippedRecords: number;
  /** True when nothing after it could be read (truncation, or not a trace at all). */
  fatal: boolean;
}

export type TraceEvent = TraceHeader | TaskSubmitted | TaskCompleted | HbaConstraints | HbaEvent | DataDigest | Note | CaptureGap | Diagnostic;
