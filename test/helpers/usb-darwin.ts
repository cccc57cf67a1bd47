/**
 * macOS USB captures (LINKTYPE_USB_DARWIN, 266) built from the documented header layout
 * (src/formats/usb/darwin.ts, docs/captures.md): a host that submits and completes transfers on
 * one controller, and two sessions a Mac's mass-storage drivers would produce, a Bulk-Only
 * device at SuperSpeed and a UAS device at high speed. No public capture of this link type
 * exists; these are what the tests and the tshark comparison read.
 */
import { cbw, concat, csw, fixedSense, uasCommand, uasReady, uasSense, type Packet } from './pcap.js';

/** IOReturn values (xnu IOReturn.h; IOUSBHostFamilyDefinitions.h for the stall). */
export const IOReturn = { Success: 0, Aborted: 0xe00002eb, Underrun: 0xe00002e7, PipeStalled: 0xe0005000 } as const;
/** tEndpointType. */
export const DarwinEndpoint = { Control: 0, Isochronous: 1, Bulk: 2, Interrupt: 3 } as const;

export interface DarwinUrb {
  id: bigint;
  submit: boolean;
  /** locationID: bus in the top byte, then one nibble per port. */
  location?: number;
  speed?: number;
  device?: number;
  endpoint: number;
  type: number;
  status?: number;
  length: number;
  data?: Uint8Array;
  /** Header overrides, for damage tests. */
  headerLength?: number;
  version?: number;
  frameCount?: number;
  /** An isochronous transfer's frames: their headers (and, on completion, data) follow the header. */
  isoFrames?: DarwinIsoFrameSpec[];
}

/** One isochronous frame, as src/formats/usb/darwin.ts (DarwinIsoFrame) reads it. */
export interface DarwinIsoFrameSpec {
  /** Requested (submission) or transferred (completion) bytes. */
  length: number;
  frameNumber: bigint;
  status?: number;
  timestamp?: bigint;
  /** Completion only: the frame's bytes (padded to 4 after it). */
  data?: Uint8Array;
  /** The frame header's length field; 28 unless a test says otherwise. */
  headerLength?: number;
}

const ISO_FRAME_HEADER = 28;

/** Frame headers (28 bytes: length, frame length, status, frame number, timestamp) and data, each frame 4-byte aligned. */
export function darwinIsoFrames(frames: DarwinIsoFrameSpec[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of frames) {
    const h = new Uint8Array(ISO_FRAME_HEADER);
    const v = new DataView(h.buffer);
    v.setUint32(0, f.headerLength ?? ISO_FRAME_HEADER, true);
    v.setUint32(4, f.length, true);
    v.setUint32(8, f.status ?? 0, true);
    v.setBigUint64(12, f.frameNumber, true);
    v.setBigUint64(20, f.timestamp ?? 0n, true);
    parts.push(h);
    if (f.data) parts.push(f.data, new Uint8Array((4 - (f.data.length % 4)) % 4));
  }
  return concat(parts);
}

/** One LINKTYPE_USB_DARWIN packet: the 32-byte version 1.0 header, then the data. */
export function darwinPacket(u: DarwinUrb): Uint8Array {
  const headerLength = u.headerLength ?? 32;
  const h = new Uint8Array(Math.max(32, headerLength));
  const v = new DataView(h.buffer);
  v.setUint16(0, u.version ?? 0x0100, true);
  h[2] = headerLength;
  h[3] = u.submit ? 0 : 1;
  v.setUint32(4, u.length, true);
  v.setUint32(8, u.status ?? 0, true);
  v.setUint32(12, u.frameCount ?? u.isoFrames?.length ?? 0, true);
  v.setBigUint64(16, u.id, true);
  v.setUint32(24, u.location ?? 0x14200000, true);
  h[28] = u.speed ?? 3;
  h[29] = u.device ?? 3;
  h[30] = u.endpoint;
  h[31] = u.type;
  return concat([h, u.isoFrames ? darwinIsoFrames(u.isoFrames) : (u.data ?? new Uint8Array(0))]);
}

/** A standard SETUP packet (USB 2.0 9.3). */
export function setup(requestType: number, request: number, value: number, index: number, length: number): Uint8Array {
  return Uint8Array.of(requestType, request, value & 0xff, value >> 8, index & 0xff, index >> 8, length & 0xff, length >> 8);
}

/** Transfers on one device of one controller, each a submission and a completion. */
export class DarwinHost {
  readonly packets: Packet[] = [];
  private nextId: bigint;
  timeNs = 0;

  constructor(
    readonly device: { address: number; location: number; speed: number },
    idBase = 0xffffff8012340000n,
  ) {
    this.nextId = idBase;
  }

  private urb(u: Omit<DarwinUrb, 'location' | 'speed' | 'device'>, stepNs: number): void {
    this.timeNs += stepNs;
    this.packets.push({
      timeNs: this.timeNs,
      data: darwinPacket({ ...u, location: this.device.location, speed: this.device.speed, device: this.device.address }),
    });
  }

  newId(): bigint {
    const id = this.nextId;
    this.nextId += 0x100n;
    return id;
  }

  submit(id: bigint, endpoint: number, type: number, length: number, data?: Uint8Array, stepNs = 20_000): void {
    this.urb({ id, submit: true, endpoint, type, length, ...(data ? { data } : {}) }, stepNs);
  }

  complete(id: bigint, endpoint: number, type: number, length: number, o: { data?: Uint8Array; status?: number } = {}, stepNs = 60_000): void {
    this.urb({ id, submit: false, endpoint, type, length, status: o.status ?? IOReturn.Success, ...(o.data ? { data: o.data } : {}) }, stepNs);
  }

  /** A control transfer on endpoint 0: SETUP (+ OUT data) submitted, IN data on completion. */
  control(s: Uint8Array, o: { dataIn?: Uint8Array; dataOut?: Uint8Array; status?: number } = {}): void {
    const id = this.newId();
    const wLength = s[6]! | (s[7]! << 8);
    const dirIn = (s[0]! & 0x80) !== 0;
    this.submit(id, dirIn ? 0x80 : 0x00, DarwinEndpoint.Control, wLength, o.dataOut ? concat([s, o.dataOut]) : s);
    this.complete(id, dirIn ? 0x80 : 0x00, DarwinEndpoint.Control, o.dataIn?.length ?? o.dataOut?.length ?? 0, {
      ...(o.dataIn ? { data: o.dataIn } : {}),
      ...(o.status !== undefined ? { status: o.status } : {}),
    });
  }

  bulkOut(endpoint: number, data: Uint8Array, o: { status?: number; stepNs?: number } = {}): void {
    const id = this.newId();
    this.submit(id, endpoint, DarwinEndpoint.Bulk, data.length, data);
    this.complete(id, endpoint, DarwinEndpoint.Bulk, o.status ? 0 : data.length, o.status !== undefined ? { status: o.status } : {}, o.stepNs);
  }

  bulkIn(endpoint: number, requested: number, data: Uint8Array, o: { status?: number; stepNs?: number } = {}): void {
    const id = this.newId();
    this.submit(id, endpoint, DarwinEndpoint.Bulk, requested);
    this.complete(id, endpoint, DarwinEndpoint.Bulk, data.length, { data, ...(o.status !== undefined ? { status: o.status } : {}) }, o.stepNs);
  }

  /**
   * An isochronous IN transfer of `frames.length` frames from `firstFrame` (one per 1 ms
   * frame at full speed): submitted with each frame's requested length, completed with what
   * each frame brought.
   */
  isoIn(endpoint: number, requested: number, firstFrame: bigint, frames: Uint8Array[], stepNs = 1_000_000): void {
    const id = this.newId();
    const count = frames.length;
    this.urb(
      {
        id,
        submit: true,
        endpoint,
        type: DarwinEndpoint.Isochronous,
        length: requested * count,
        isoFrames: frames.map((_, i) => ({ length: requested, frameNumber: firstFrame + BigInt(i) })),
      },
      1000,
    );
    const start = BigInt(this.timeNs);
    this.urb(
      {
        id,
        submit: false,
        endpoint,
        type: DarwinEndpoint.Isochronous,
        length: frames.reduce((n, f) => n + f.length, 0),
        isoFrames: frames.map((data, i) => ({ length: data.length, frameNumber: firstFrame + BigInt(i), timestamp: start + BigInt(i) * 1_000_000n, data })),
      },
      stepNs * count,
    );
  }

  /** USB 2.0 9.4.1 CLEAR_FEATURE(ENDPOINT_HALT), as a host sends it after a stall. */
  clearHalt(endpoint: number): void {
    this.control(setup(0x02, 0x01, 0, endpoint, 0));
  }
}

// ---- Descriptors (USB 2.0 9.6, USB 3.2 9.6.7, UAS-2 5.2.3) --------------------------------

function deviceDescriptor(bcdUsb: number, idProduct: number): Uint8Array {
  return Uint8Array.of(
    18,
    1,
    bcdUsb & 0xff,
    bcdUsb >> 8,
    0,
    0,
    0,
    bcdUsb >= 0x300 ? 9 : 64,
    0x5c,
    0x05,
    idProduct & 0xff,
    idProduct >> 8,
    0x00,
    0x01,
    1,
    2,
    3,
    1,
  );
}

function endpoint(address: number, maxPacket: number, companion: boolean, streams = 0): number[] {
  const ep = [7, 5, address, 0x02, maxPacket & 0xff, maxPacket >> 8, 0];
  return companion ? [...ep, 6, 0x30, 15, streams, 0, 0] : ep;
}

function configuration(interfaces: number[][]): Uint8Array {
  const body = interfaces.flat();
  const total = 9 + body.length;
  return Uint8Array.from([9, 2, total & 0xff, total >> 8, 1, 1, 0, 0x80, 50, ...body]);
}

/** A SuperSpeed Bulk-Only interface (class 08h, SCSI transparent 06h, protocol 50h). */
export const BOT_CONFIGURATION = configuration([[9, 4, 0, 0, 2, 0x08, 0x06, 0x50, 0, ...endpoint(0x81, 1024, true), ...endpoint(0x02, 1024, true)]]);

/** A high-speed UAS device: alternate 0 Bulk-Only, alternate 1 UAS (62h) with pipe usage descriptors. */
export const UAS_CONFIGURATION = configuration([
  [9, 4, 0, 0, 2, 0x08, 0x06, 0x50, 0, ...endpoint(0x81, 512, false), ...endpoint(0x02, 512, false)],
  [
    9,
    4,
    0,
    1,
    4,
    0x08,
    0x06,
    0x62,
    0,
    ...endpoint(0x01, 512, false),
    4,
    0x24,
    1,
    0,
    ...endpoint(0x82, 512, false),
    4,
    0x24,
    2,
    0,
    ...endpoint(0x83, 512, false),
    4,
    0x24,
    3,
    0,
    ...endpoint(0x04, 512, false),
    4,
    0x24,
    4,
    0,
  ],
]);

function stringDescriptor(text: string): Uint8Array {
  const b = [2 + text.length * 2, 3];
  for (const c of text) b.push(c.charCodeAt(0), 0);
  return Uint8Array.from(b);
}

/** What macOS reads from a new device (xHCI assigns the address itself: no SET_ADDRESS). */
function enumerate(host: DarwinHost, device: Uint8Array, config: Uint8Array, product: string): void {
  host.control(setup(0x80, 6, 0x0100, 0, 8), { dataIn: device.subarray(0, 8) });
  host.control(setup(0x80, 6, 0x0100, 0, 18), { dataIn: device });
  host.control(setup(0x80, 6, 0x0200, 0, 9), { dataIn: config.subarray(0, 9) });
  host.control(setup(0x80, 6, 0x0200, 0, config.length), { dataIn: config });
  host.control(setup(0x80, 6, 0x0300, 0, 255), { dataIn: Uint8Array.of(4, 3, 0x09, 0x04) });
  host.control(setup(0x80, 6, 0x0302, 0x0409, 255), { dataIn: stringDescriptor(product) });
  host.control(setup(0x00, 9, 1, 0, 0));
}

// ---- SCSI payloads ----------------------------------------------------------------------------

const be32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
export const CDB = {
  testUnitReady: [0x00, 0, 0, 0, 0, 0],
  requestSense: (n: number) => [0x03, 0, 0, 0, n, 0],
  inquiry: (n: number, page?: number) => [0x12, page === undefined ? 0 : 1, page ?? 0, 0, n, 0],
  modeSense6: (page: number, n: number) => [0x1a, 0, page, 0, n, 0],
  startStop: (start: boolean, eject: boolean) => [0x1b, 0, 0, 0, (eject ? 2 : 0) | (start ? 1 : 0), 0],
  preventAllow: (prevent: boolean) => [0x1e, 0, 0, 0, prevent ? 1 : 0, 0],
  readCapacity10: [0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  read10: (lba: number, n: number) => [0x28, 0, ...be32(lba), 0, (n >> 8) & 255, n & 255, 0],
  write10: (lba: number, n: number) => [0x2a, 0, ...be32(lba), 0, (n >> 8) & 255, n & 255, 0],
  synchronizeCache10: [0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  read16: (lba: number, n: number) => [0x88, 0, 0, 0, 0, 0, ...be32(lba), ...be32(n), 0, 0],
  readCapacity16: [0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0],
  reportLuns: [0xa0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0],
};

const BLOCKS = 0x00fffff; // 1 Mi blocks of 512 bytes: a 512 MiB stick
export function inquiryData(product: string, removable = true): Uint8Array {
  const b = new Uint8Array(36);
  b[1] = removable ? 0x80 : 0;
  b[2] = 6;
  b[3] = 2;
  b[4] = 31;
  const text = `SCSITRAC${product.padEnd(16).slice(0, 16)}1.00`;
  for (let i = 0; i < text.length; i++) b[8 + i] = text.charCodeAt(i);
  return b;
}
const readCapacity10Data = () => Uint8Array.from([...be32(BLOCKS - 1), ...be32(512)]);
const readCapacity16Data = () => Uint8Array.from([0, 0, 0, 0, ...be32(BLOCKS - 1), ...be32(512), ...new Array<number>(20).fill(0)]);
/** Deterministic block contents: each byte says which block it belongs to. */
function blocks(lba: number, n: number): Uint8Array {
  const b = new Uint8Array(n * 512);
  for (let i = 0; i < n; i++) b.fill((lba + i) & 0xff, i * 512, (i + 1) * 512);
  return b;
}

// ---- Bulk-Only (BOT 1.0) ----------------------------------------------------------------------

const BOT_IN = 0x81;
const BOT_OUT = 0x02;

interface BotStep {
  lun?: number;
  cdb: number[];
  /** Data-in the device returns, data-out the host sends, or neither. */
  dataIn?: Uint8Array;
  dataOut?: Uint8Array;
  /** dCBWDataTransferLength when it differs from the data (allocation length). */
  expected?: number;
  status?: number;
  /** The data phase ends in a STALL (BOT 6.7.2): cleared, then the CSW is read. */
  stall?: boolean;
  /** Sense for a failed command: the host's REQUEST SENSE that follows returns it. */
  sense?: number[];
  /** Time the device takes, ns. */
  busyNs?: number;
}

function botCommand(host: DarwinHost, tag: number, s: BotStep): void {
  const dataLength = s.dataIn?.length ?? s.dataOut?.length ?? 0;
  const expected = s.expected ?? dataLength;
  host.bulkOut(BOT_OUT, cbw(tag, expected, s.dataOut === undefined && expected > 0, s.cdb, s.lun ?? 0));
  if (s.dataOut) host.bulkOut(BOT_OUT, s.dataOut, { stepNs: s.busyNs ?? 200_000 });
  if (s.stall) {
    host.bulkIn(BOT_IN, expected, new Uint8Array(0), { status: IOReturn.PipeStalled, stepNs: s.busyNs ?? 150_000 });
    host.clearHalt(BOT_IN);
  } else if (s.dataIn) host.bulkIn(BOT_IN, expected, s.dataIn, { stepNs: s.busyNs ?? 150_000 });
  const residue = s.stall ? expected : expected - dataLength;
  host.bulkIn(BOT_IN, 13, csw(tag, residue, s.status ?? 0), { stepNs: s.dataIn || s.dataOut || s.stall ? 40_000 : (s.busyNs ?? 120_000) });
}

/**
 * A SuperSpeed USB stick on a Mac (XHC20, locationID 0x14200000, address 3) read by
 * IOUSBMassStorageDriver-like traffic: enumeration, GET MAX LUN (two LUNs), the usual probe,
 * reads and writes, a unit attention, a read past the end, a data phase that stalls, a phase
 * error with reset recovery, and a read aborted after a timeout. Failed commands are followed
 * by REQUEST SENSE (BOT has no autosense).
 */
export function darwinBotCapture(): Packet[] {
  const host = new DarwinHost({ address: 3, location: 0x14200000, speed: 3 });
  // A keyboard on the same controller: interrupt transfers the reader must ignore.
  const keyboard = new DarwinHost({ address: 2, location: 0x14100000, speed: 1 }, 0xffffff8056780000n);
  enumerate(host, deviceDescriptor(0x0320, 0x1666), BOT_CONFIGURATION, 'USB 3 Stick');
  host.control(setup(0xa1, 0xfe, 0, 0, 1), { dataIn: Uint8Array.of(1) }); // GET MAX LUN: LUNs 0-1
  let tag = 0x1000;
  const run = (s: BotStep) => {
    botCommand(host, tag++, s);
    if (s.status === 1 && s.sense)
      botCommand(host, tag++, { ...(s.lun !== undefined ? { lun: s.lun } : {}), cdb: CDB.requestSense(18), dataIn: Uint8Array.from(s.sense) });
  };
  const UA = fixedSense(6, 0x29, 0x00);
  run({ cdb: CDB.inquiry(36), dataIn: inquiryData('USB3 Stick') });
  run({ lun: 1, cdb: CDB.inquiry(36), dataIn: inquiryData('USB3 Stick SD') });
  run({ cdb: CDB.testUnitReady, status: 1, sense: UA });
  run({ cdb: CDB.testUnitReady });
  run({ lun: 1, cdb: CDB.testUnitReady, status: 1, sense: fixedSense(2, 0x3a, 0x00) }); // no card
  run({ cdb: CDB.readCapacity10, dataIn: readCapacity10Data() });
  run({ cdb: CDB.readCapacity16, dataIn: readCapacity16Data(), expected: 32 });
  run({ cdb: CDB.modeSense6(0x3f, 0xc0), dataIn: Uint8Array.of(3, 0, 0, 0), expected: 0xc0 });
  run({ cdb: CDB.inquiry(0xff, 0x80), stall: true, status: 1, sense: fixedSense(5, 0x24, 0x00) });
  run({ cdb: CDB.preventAllow(true) });
  for (let i = 0; i < 4; i++) run({ cdb: CDB.read10(i * 8, 8), dataIn: blocks(i * 8, 8) });
  run({ cdb: CDB.read10(BLOCKS - 8, 8), dataIn: blocks(BLOCKS - 8, 8) });
  run({ cdb: CDB.write10(0x800, 2), dataOut: blocks(0x800, 2), busyNs: 900_000 });
  run({ cdb: CDB.synchronizeCache10, busyNs: 2_000_000 });
  run({ cdb: CDB.read10(BLOCKS + 10, 1), dataIn: new Uint8Array(0), expected: 512, status: 1, sense: fixedSense(5, 0x21, 0x00) });
  // Phase error: the host resets the device (BOT 5.3.4) and clears both halts.
  run({ cdb: CDB.write10(0x900, 1), dataOut: blocks(0x900, 1), status: 2 });
  host.control(setup(0x21, 0xff, 0, 0, 0)); // Bulk-Only Mass Storage Reset
  host.clearHalt(BOT_IN);
  host.clearHalt(BOT_OUT);
  for (let i = 0; i < 3; i++) {
    keyboard.timeNs = host.timeNs;
    const id = keyboard.newId();
    keyboard.submit(id, 0x81, DarwinEndpoint.Interrupt, 8, undefined, 1000);
    keyboard.complete(id, 0x81, DarwinEndpoint.Interrupt, 8, { data: Uint8Array.of(0, 0, 4 + i, 0, 0, 0, 0, 0) }, 8_000_000);
  }
  run({ lun: 1, cdb: CDB.read10(0, 1), dataIn: blocks(0, 1) });
  // A read the device never answers: after the driver's timeout the pipe is aborted
  // (kIOReturnAborted), the device reset, and the command gets no CSW.
  host.bulkOut(BOT_OUT, cbw(tag++, 4096, true, CDB.read10(64, 8)));
  host.bulkIn(BOT_IN, 4096, new Uint8Array(0), { status: IOReturn.Aborted, stepNs: 30_000_000_000 });
  host.control(setup(0x21, 0xff, 0, 0, 0));
  host.clearHalt(BOT_IN);
  host.clearHalt(BOT_OUT);
  run({ cdb: CDB.testUnitReady });
  run({ cdb: CDB.startStop(false, true) });
  // After the eject, a full-speed USB headset (address 4) streams audio in: isochronous IN
  // transfers of 4 frames of 48 kHz 16-bit stereo (192 bytes a frame; one frame short), which
  // the reader checks and does not use.
  const headset = new DarwinHost({ address: 4, location: 0x14400000, speed: 1 }, 0xffffff809abc0000n);
  headset.timeNs = host.timeNs;
  const audio = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 3 + seed) & 0xff);
  headset.isoIn(0x83, 192, 0x2a10n, [audio(192, 1), audio(192, 2), audio(190, 3), audio(192, 4)]);
  headset.isoIn(0x83, 192, 0x2a14n, [audio(192, 5), audio(192, 6), audio(192, 7), audio(192, 8)]);
  return [...host.packets, ...keyboard.packets, ...headset.packets].sort((a, b) => a.timeNs - b.timeNs);
}

// ---- USB Attached SCSI (UAS-2), high speed: READ READY / WRITE READY, no streams --------------

const UAS_COMMAND = 0x01;
const UAS_STATUS = 0x82;
const UAS_DATA_IN = 0x83;
const UAS_DATA_OUT = 0x04;

function responseIu(tag: number, code: number): Uint8Array {
  return Uint8Array.of(0x04, 0, tag >> 8, tag & 0xff, 0, 0, 0, code);
}

/** UAS-2 6.2.3 Task Management IU. */
function taskManagementIu(tag: number, fn: number, taskTag: number, lun = 0): Uint8Array {
  const b = new Uint8Array(16);
  b[0] = 0x05;
  b[2] = tag >> 8;
  b[3] = tag & 0xff;
  b[4] = fn;
  b[6] = taskTag >> 8;
  b[7] = taskTag & 0xff;
  b[9] = lun;
  return b;
}

/**
 * A high-speed UAS disk on a Mac (XHC20, locationID 0x14300000, address 5) driven the way a UAS
 * host without streams must (UAS-2 5.3): the status pipe reads READ READY / WRITE READY before
 * each data phase. Enumeration with SET_INTERFACE to the UAS alternate setting, the probe, two
 * commands in flight, CHECK CONDITION with sense in Sense IUs, a Response IU (INVALID IU) for a
 * bad command, a data-in pipe that stalls, and an ABORT TASK that the device completes.
 */
export function darwinUasCapture(): Packet[] {
  const host = new DarwinHost({ address: 5, location: 0x14300000, speed: 2 }, 0xffffff80abcd0000n);
  enumerate(host, deviceDescriptor(0x0210, 0x2777), UAS_CONFIGURATION, 'UAS Disk');
  host.control(setup(0x01, 0x0b, 1, 0, 0)); // SET_INTERFACE alternate 1 (UAS)
  let tag = 1;
  const statusRead = (iu: Uint8Array) => host.bulkIn(UAS_STATUS, 112, iu);
  const command = (t: number, cdb: number[], lun = 0) => host.bulkOut(UAS_COMMAND, uasCommand(t, cdb, lun));
  /** One command, alone in flight. */
  const run = (cdb: number[], o: { dataIn?: Uint8Array; dataOut?: Uint8Array; status?: number; sense?: number[]; lun?: number } = {}) => {
    const t = tag++;
    command(t, cdb, o.lun);
    if (o.dataIn) {
      statusRead(uasReady(t, true));
      host.bulkIn(UAS_DATA_IN, o.dataIn.length, o.dataIn, { stepNs: 120_000 });
    }
    if (o.dataOut) {
      statusRead(uasReady(t, false));
      host.bulkOut(UAS_DATA_OUT, o.dataOut, { stepNs: 300_000 });
    }
    statusRead(uasSense(t, o.status ?? 0, o.sense ?? []));
  };
  run(CDB.inquiry(36), { dataIn: inquiryData('UAS Disk', false) });
  run(CDB.reportLuns, { dataIn: Uint8Array.of(0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) });
  run(CDB.testUnitReady, { status: 2, sense: fixedSense(6, 0x29, 0x00) });
  run(CDB.testUnitReady);
  run(CDB.readCapacity16, { dataIn: readCapacity16Data() });
  run(CDB.inquiry(0xff, 0xb0), { status: 2, sense: fixedSense(5, 0x24, 0x00) });
  run(CDB.modeSense6(0x1c, 0xc0), { dataIn: Uint8Array.of(11, 0, 0x10, 0, 0x1c, 6, 0, 0, 0, 0, 0, 0) });
  for (let i = 0; i < 3; i++) run(CDB.read10(i * 16, 16), { dataIn: blocks(i * 16, 16) });
  run(CDB.write10(0x4000, 4), { dataOut: blocks(0x4000, 4) });
  // Two commands in flight: READ(10) tag a and READ(16) tag b; the device serves b first.
  const a = tag++;
  const b = tag++;
  command(a, CDB.read10(0x100, 2));
  command(b, CDB.read16(0x200, 1));
  statusRead(uasReady(b, true));
  host.bulkIn(UAS_DATA_IN, 512, blocks(0x200, 1));
  statusRead(uasSense(b, 0));
  statusRead(uasReady(a, true));
  host.bulkIn(UAS_DATA_IN, 1024, blocks(0x100, 2));
  statusRead(uasSense(a, 0));
  // A medium error: data-in stalls, the host clears the halt, the Sense IU says why.
  const m = tag++;
  command(m, CDB.read10(0x3000, 8));
  statusRead(uasReady(m, true));
  host.bulkIn(UAS_DATA_IN, 4096, new Uint8Array(0), { status: IOReturn.PipeStalled });
  host.clearHalt(UAS_DATA_IN);
  statusRead(uasSense(m, 2, fixedSense(3, 0x11, 0x00)));
  // A command IU the device refuses (UAS-2 6.2.6 RESPONSE CODE 02h INVALID INFORMATION UNIT).
  const bad = tag++;
  command(bad, [0xd9, 0, 0, 0, 0, 0]);
  statusRead(responseIu(bad, 0x02));
  // A read that hangs, aborted with ABORT TASK (Task Management IU), answered FUNCTION COMPLETE.
  const hung = tag++;
  command(hung, CDB.read10(0x5000, 8));
  host.timeNs += 5_000_000_000;
  const tmf = tag++;
  host.bulkOut(UAS_COMMAND, taskManagementIu(tmf, 0x01, hung));
  statusRead(responseIu(tmf, 0x00));
  run(CDB.synchronizeCache10);
  run(CDB.startStop(false, true));
  return host.packets;
}
