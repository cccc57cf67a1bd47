/**
 * LINKTYPE_USB_DARWIN (266): the header macOS puts before each USB transfer it captures on an
 * `XHCn` interface, turned into the URB event the mass-storage decoder reads (the same shape
 * usbmon and USBPcap packets become).
 *
 * Layout (little-endian), as Apple's engineer specified it when the link type was requested
 * (tcpdump-workers, "DLT_ request", December 2016) and as Wireshark's packet-usb.c
 * (dissect_darwin_buffer_packet_header) reads it; see docs/captures.md:
 *
 *   0 u16 bcdVersion (0x0100)   2 u8 headerLength    3 u8 requestType (0 submit, 1 complete)
 *   4 u32 ioLength (requested on submit, transferred on completion)
 *   8 u32 ioStatus (IOReturn)   12 u32 ioFrameCount (isochronous frames after the header)
 *  16 u64 ioID (same on submit and completion)      24 u32 locationID (bus in the top byte)
 *  28 u8 deviceSpeed   29 u8 deviceAddress   30 u8 endpointAddress (0x80 = IN)
 *  31 u8 endpointType (0 control, 1 isochronous, 2 bulk, 3 interrupt)
 *
 * The transfer's data follows at headerLength (a later header version may be longer). A
 * control transfer's submission starts with its 8-byte setup packet (Wireshark treats every
 * control submission as a setup stage).
 *
 * An isochronous transfer has instead ioFrameCount frames, each a frame header (DarwinIsoFrame)
 * and, on completion, the frame's data; every frame starts on a 4-byte boundary (Wireshark's
 * dissect_darwin_usb_iso_transfer). The frames are checked to fit the packet and not handed on:
 * USB mass storage (BOT, UAS) moves its commands and data on bulk endpoints only.
 */
import { UsbTransfer, type UrbEvent } from '../pcap/link.js';

/** Field offsets of the version 1.0 header and its size. */
export const DarwinUsbHeader = {
  version: 0,
  headerLength: 2,
  requestType: 3,
  ioLength: 4,
  ioStatus: 8,
  ioFrameCount: 12,
  ioId: 16,
  locationId: 24,
  speed: 28,
  deviceAddress: 29,
  endpointAddress: 30,
  endpointType: 31,
  size: 32,
} as const;

/**
 * The header before each isochronous frame (little-endian), at the offsets Wireshark's
 * packet-usb.c reads them: its own length (at least 20 bytes; the frame's data, on completion,
 * follows at that length), the frame's length, its frame number, and on completion its status
 * (IOReturn) and timestamp (in a header of 28 bytes or more).
 */
export const DarwinIsoFrame = {
  headerLength: 0,
  frameLength: 4,
  status: 8,
  frameNumber: 12,
  timestamp: 20,
  minimumSize: 20,
} as const;

export interface DarwinIsoFrameHeader {
  /** Byte offset of the frame header within the packet. */
  at: number;
  headerLength: number;
  frameLength: number;
  frameNumber: bigint;
  /** On completion only (a submission's frames have not run). */
  status?: number;
  timestamp?: bigint;
}

const roundUp4 = (n: number) => (n + 3) & ~3;

/**
 * The isochronous frame headers of a Darwin packet whose header is `headerLength` bytes, or why
 * they do not fit it (with the frame header's offset in the packet). Frames past what the snap
 * length kept are not read and are no damage: `cut` says the packet was cut.
 */
export function readDarwinIsoFrames(d: Uint8Array, headerLength: number, frameCount: number, complete: boolean, cut: boolean): DarwinIsoFrameHeader[] | string {
  const F = DarwinIsoFrame;
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const frames: DarwinIsoFrameHeader[] = [];
  let at = headerLength;
  // Each frame takes at least its 20-byte header: the loop ends with the packet, whatever the count says.
  for (let i = 0; i < frameCount; i++) {
    if (at + F.minimumSize > d.length) {
      if (cut) break;
      return `Darwin USB isochronous frame ${i} of ${frameCount}: its header at packet byte ${at} needs ${F.minimumSize} bytes, the ${d.length}-byte packet has ${Math.max(0, d.length - at)}`;
    }
    const length = v.getUint32(at + F.headerLength, true);
    const frameLength = v.getUint32(at + F.frameLength, true);
    if (length < F.minimumSize) return `Darwin USB isochronous frame ${i} at packet byte ${at}: header length ${length} is below ${F.minimumSize}`;
    const end = at + length + (complete ? frameLength : 0);
    if (end > d.length && !cut)
      return `Darwin USB isochronous frame ${i} at packet byte ${at}: its ${length}-byte header${complete ? ` and ${frameLength} bytes of data` : ''} run past the ${d.length}-byte packet`;
    // The timestamp is there when the header holds it (Wireshark reads it at 20 regardless).
    const timestamp = complete && length >= F.timestamp + 8 && at + F.timestamp + 8 <= d.length ? { timestamp: v.getBigUint64(at + F.timestamp, true) } : {};
    frames.push({
      at,
      headerLength: length,
      frameLength,
      frameNumber: v.getBigUint64(at + F.frameNumber, true),
      ...(complete ? { status: v.getUint32(at + F.status, true), ...timestamp } : {}),
    });
    at = roundUp4(end);
  }
  return frames;
}

/** tAppleUSBHostPacketFilterRequestType (tcpdump-workers, 9 Dec 2016). */
const REQUEST_SUBMIT = 0;
const REQUEST_COMPLETE = 1;

/** tEndpointType (the bmAttributes transfer type) to the usbmon numbering UrbEvent uses. */
const TRANSFER_TYPES: readonly number[] = [UsbTransfer.Control, UsbTransfer.Isochronous, UsbTransfer.Bulk, UsbTransfer.Interrupt];

/**
 * IOReturn kIOReturnUnderrun (xnu iokit/IOKit/IOReturn.h, iokit_common_err(0x2e7)): a transfer
 * that moved fewer bytes than asked. For bulk data that is a short transfer, which usbmon
 * reports as status 0; it is normalised to 0 here so that BOT/UAS count its bytes alike.
 */
const IO_RETURN_UNDERRUN = 0xe00002e7;

/** A Darwin packet, or why its header cannot be read (a diagnostic at the packet). */
export type DarwinUrb = { urb: UrbEvent } | { problem: string };

/**
 * Reads one LINKTYPE_USB_DARWIN packet. `originalLength` is the packet's length before the
 * snap length cut it: a header longer than what was captured is damage only when the packet
 * itself was that short.
 */
export function parseUsbDarwin(d: Uint8Array, originalLength: number): DarwinUrb {
  const H = DarwinUsbHeader;
  if (d.length < H.size) return { problem: `Darwin USB header cut short: ${d.length} of ${H.size} bytes` };
  const version = d[H.version]! | (d[H.version + 1]! << 8);
  if (version >> 8 !== 1) return { problem: `Darwin USB header version 0x${version.toString(16).padStart(4, '0')} (only major version 1 is known)` };
  const headerLength = d[H.headerLength]!;
  if (headerLength < H.size) return { problem: `Darwin USB header length ${headerLength} is below the ${H.size} bytes of version 1.0` };
  if (headerLength > Math.max(originalLength, d.length))
    return { problem: `Darwin USB header length ${headerLength} exceeds the ${Math.max(originalLength, d.length)}-byte packet` };
  const requestType = d[H.requestType]!;
  if (requestType !== REQUEST_SUBMIT && requestType !== REQUEST_COMPLETE) return { problem: `Darwin USB request type ${requestType} (0 submit, 1 complete)` };
  const endpointType = d[H.endpointType]!;
  const transfer = TRANSFER_TYPES[endpointType];
  if (transfer === undefined) return { problem: `Darwin USB endpoint type ${endpointType} (0 control to 3 interrupt)` };
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const status = v.getUint32(H.ioStatus, true);
  const submit = requestType === REQUEST_SUBMIT;
  if (transfer === UsbTransfer.Isochronous) {
    const frames = readDarwinIsoFrames(d, headerLength, v.getUint32(H.ioFrameCount, true), !submit, d.length < originalLength);
    if (typeof frames === 'string') return { problem: frames };
  }
  const urb: UrbEvent = {
    urbId: v.getBigUint64(H.ioId, true),
    submit,
    bus: d[H.locationId + 3]!,
    device: d[H.deviceAddress]!,
    endpoint: d[H.endpointAddress]!,
    transfer,
    status: status === IO_RETURN_UNDERRUN ? 0 : status,
    length: v.getUint32(H.ioLength, true),
    // Isochronous payloads are frame headers and frames, checked above; no mass-storage
    // protocol uses them, so their bytes are not handed on.
    data: d.subarray(Math.min(headerLength, d.length)),
  };
  const ioLength = urb.length;
  if (transfer === UsbTransfer.Isochronous) urb.data = urb.data.subarray(0, 0);
  else if (transfer !== UsbTransfer.Control && urb.data.length > ioLength) urb.data = urb.data.subarray(0, ioLength);
  if (transfer === UsbTransfer.Control && submit && urb.data.length >= 8) {
    urb.setup = urb.data.subarray(0, 8);
    urb.data = urb.data.subarray(8);
  }
  return { urb };
}
