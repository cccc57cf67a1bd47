/**
 * One line of Linux usbmon's text interface (Documentation/usb/usbmon.rst, "Raw text data
 * format"; the kernel's printer is drivers/usb/mon/mon_text.c). Two layouts:
 *
 *   'u' (/sys/kernel/debug/usb/usbmon/<N>u, and 0u for all buses):
 *     ffff8e0a47a4b0c0 3355873471 S Bo:2:002:2 -115 31 = 55534243 1e000000 ...
 *   't' (<N>t, the older one; no bus number, no interrupt/ISO details):
 *     ffff8e0a47a4b0c0 3355873471 S Bo:002:02 -115 31 = 55534243 1e000000 ...
 *
 * Words: URB tag; timestamp (microseconds, 32 bits, wrapping); event type S(ubmit),
 * C(allback) or E(rror); address (transfer type C/Z/I/B and direction i/o, then [bus:]device:
 * endpoint); then either a setup packet ("s bmRequestType bRequest wValue wIndex wLength",
 * control submissions), a setup that could not be captured ("Z __ __ ____ ____ ____"), or the
 * URB status (with ":interval" for interrupt and ":interval:start_frame[:error_count]" plus the
 * ISO descriptors for isochronous URBs in 'u'); the data length; then "=" and the data words
 * (at most 32 bytes: mon_text.c DATA_MAX), or one character saying why no data was captured
 * ('<' IN submission, '>' OUT callback, 'Z' no buffer, 'D' highmem page, 'E' error event).
 */
import { UsbTransfer } from '../pcap/link.js';

/** mon_text.c DATA_MAX: the text shows at most this many data bytes of a URB. */
export const USBMON_TEXT_DATA_MAX = 32;
/** mon_text.c ISODESC_MAX: ISO descriptors printed at most. */
const ISODESC_MAX = 5;
/** An URB tag is an address in hex, or "any other unique string, within reason" (usbmon.rst). */
const MAX_TAG_LENGTH = 64;

const TRANSFER: Readonly<Record<string, number>> = { C: UsbTransfer.Control, Z: UsbTransfer.Isochronous, I: UsbTransfer.Interrupt, B: UsbTransfer.Bulk };

export interface UsbmonLine {
  tag: string;
  /** Microseconds, as printed (32 bits: seconds modulo 4096 in current kernels). */
  timestampUs: number;
  type: 'S' | 'C' | 'E';
  /** 'u' or 't' layout. */
  layout: 'u' | 't';
  transfer: number;
  in: boolean;
  /** Bus number; undefined in the 't' layout, which does not print it. */
  bus: number | undefined;
  device: number;
  /** Endpoint number, without the direction bit. */
  endpoint: number;
  /** URB status (-115 -EINPROGRESS on submissions); 0 for a control submission with setup. */
  status: number;
  setup?: Uint8Array;
  /** Requested length (S) or actual length (C); may be larger than data. */
  length: number;
  /** The captured data (at most 32 bytes). */
  data: Uint8Array;
  /** Why there is no data: '<', '>', 'Z', 'D', 'E', 'L'..., when the line gives one. */
  dataFlag?: string;
}

const ADDRESS = /^([CZIB])([io]):(?:(\d{1,5}):)?(\d{1,3}):(\d{1,3})$/;
const INT = /^-?\d{1,10}$/;
const HEX_WORD = /^(?:[0-9a-fA-F]{2}){1,4}$/;

function int(s: string | undefined): number | undefined {
  if (s === undefined || !INT.test(s)) return undefined;
  const v = Number(s);
  return v >= -0x80000000 && v <= 0xffffffff ? v : undefined;
}

/** Parses one line; a string says why it is not a usbmon text line. */
export function parseUsbmonLine(text: string): UsbmonLine | string {
  const w = text.trim().split(/ +/);
  if (w.length < 6) return `${w.length} words; a usbmon line has at least 6 (tag, timestamp, type, address, status, length)`;
  const tag = w[0]!;
  if (tag.length > MAX_TAG_LENGTH) return `URB tag of ${tag.length} characters`;
  const ts = w[1]!;
  if (!/^\d{1,10}$/.test(ts) || Number(ts) > 0xffffffff) return `timestamp "${ts.slice(0, 20)}" is not a 32-bit count of microseconds`;
  const type = w[2]!;
  if (type !== 'S' && type !== 'C' && type !== 'E') return `event type "${type.slice(0, 8)}" is not S, C or E`;
  const a = ADDRESS.exec(w[3]!);
  if (!a) return `address "${w[3]!.slice(0, 24)}" is not <type><dir>:[bus:]device:endpoint`;
  const layout = a[3] === undefined ? 't' : 'u';
  const transfer = TRANSFER[a[1]!]!;
  const device = Number(a[4]);
  const endpoint = Number(a[5]);
  if (device > 127 || endpoint > 15) return `address ${w[3]}: device ${device} or endpoint ${endpoint} out of range`;
  const line: UsbmonLine = {
    tag,
    timestampUs: Number(ts),
    type,
    layout,
    transfer,
    in: a[2] === 'i',
    bus: layout === 'u' ? Number(a[3]) : undefined,
    device,
    endpoint,
    status: 0,
    length: 0,
    data: EMPTY,
  };
  let i = 4;
  const first = w[i]!;
  if (first === 's') {
    // Setup packet: bytes 0 and 1, then wValue, wIndex, wLength as 16-bit numbers (USB 2.0 9.3).
    const f = w.slice(i + 1, i + 6);
    if (f.length < 5 || !/^[0-9a-f]{2}$/i.test(f[0]!) || !/^[0-9a-f]{2}$/i.test(f[1]!) || !f.slice(2).every((x) => /^[0-9a-f]{4}$/i.test(x))) {
      return 'setup packet is not "s bb bb wwww wwww wwww"';
    }
    const s = new Uint8Array(8);
    s[0] = parseInt(f[0]!, 16);
    s[1] = parseInt(f[1]!, 16);
    for (let k = 0; k < 3; k++) {
      const v = parseInt(f[2 + k]!, 16);
      s[2 + 2 * k] = v & 0xff;
      s[3 + 2 * k] = v >> 8;
    }
    line.setup = s;
    i += 6;
  } else if (first.length === 1 && !/\d/.test(first) && w[i + 1] === '__') {
    // A setup packet that could not be captured: "Z __ __ ____ ____ ____".
    if (w.slice(i + 1, i + 6).join(' ') !== '__ __ ____ ____ ____') return 'uncaptured setup is not "X __ __ ____ ____ ____"';
    i += 6;
  } else {
    const parts = first.split(':');
    const status = int(parts[0]);
    if (status === undefined || parts.length > 4 || !parts.slice(1).every((p) => int(p) !== undefined)) return `status "${first.slice(0, 24)}" is not a number`;
    line.status = status;
    i++;
    if (layout === 'u' && transfer === UsbTransfer.Isochronous && type !== 'E') {
      // ISO: descriptor count, then up to ISODESC_MAX "status:offset:length" descriptors.
      const n = int(w[i]);
      if (n === undefined) return 'isochronous URB without a descriptor count';
      i++;
      for (let k = 0; k < Math.min(Math.max(n, 0), ISODESC_MAX); k++, i++) {
        if (!/^-?\d+:\d+:\d+$/.test(w[i] ?? '')) return `isochronous descriptor ${k} is not status:offset:length`;
      }
    }
  }
  const length = int(w[i]);
  if (length === undefined) return `data length "${(w[i] ?? '').slice(0, 24)}" is not a number`;
  line.length = length;
  i++;
  if (i < w.length) {
    const marker = w[i]!;
    if (marker === '=') {
      const words = w.slice(i + 1);
      let bytes = 0;
      for (const word of words) {
        if (!HEX_WORD.test(word)) return `data word "${word.slice(0, 16)}" is not hex bytes`;
        bytes += word.length >> 1;
      }
      const expected = Math.min(length, USBMON_TEXT_DATA_MAX);
      if (bytes !== expected) return `${bytes} data bytes where the length ${length} says ${expected}`;
      const data = new Uint8Array(bytes);
      let o = 0;
      for (const word of words) for (let k = 0; k < word.length; k += 2) data[o++] = parseInt(word.slice(k, k + 2), 16);
      line.data = data;
    } else if (marker.length === 1 && i + 1 === w.length) {
      line.dataFlag = marker;
    } else {
      return `unexpected "${marker.slice(0, 16)}" after the data length`;
    }
  }
  return line;
}

/** True when the line looks like usbmon text (sniffing: the first words only). */
export const USBMON_LINE = /^\S{1,64} \d{1,10} [SCE] [CZIB][io]:(?:\d{1,5}:)?\d{1,3}:\d{1,3} \S/;

const EMPTY = new Uint8Array(0);
