/**
 * One page (sub-buffer) of the kernel's ring buffer as trace.dat stores it
 * (kernel/trace/ring_buffer.c; libtraceevent's kbuffer-parse.c reads the same), laid out by
 * the file's events/header_page format:
 *
 *   timestamp  u64      time of the page's first event
 *   commit     local_t  bytes of event data; bit 31: events were lost before this page,
 *                       bit 30: their count is stored after the data (a long)
 *   data       ...      events, each after a 32-bit header: type_len (5 bits), time_delta
 *                       (27 bits) as header_event describes it (little-endian order shown):
 *     type_len 1..28  data of type_len * 4 bytes
 *     type_len 0      data length - 4 in the next word, then the data
 *     29 padding      the next word is its length (time_delta 0: the rest of the page)
 *     30 time extend  delta = next word << 27 | time_delta
 *     31 time stamp   absolute: next word << 27 | time_delta, top 5 bits from the page's time
 */

/** Where header_page puts the page's fields. */
export interface PageLayout {
  pageSize: number;
  timestampOffset: number;
  commitOffset: number;
  /** 4 or 8: the kernel's long. */
  commitSize: number;
  dataOffset: number;
  littleEndian: boolean;
}

export interface RingEvent {
  /** Trace-clock time of the event. */
  timestamp: bigint;
  /** Offset of the event's header in the page. */
  offset: number;
  record: DataView;
}

export interface DecodedPage {
  events: RingEvent[];
  /** Events lost before this page: a count, -1 when the kernel did not store one, 0 when none. */
  lost: number;
  timestamp: bigint;
  /** What was wrong with the page (offsets within the page); each message says what was skipped. */
  damage: { offset: number; message: string }[];
}

const COMMIT_MASK = (1 << 27) - 1;
const MISSING_EVENTS = 0x8000_0000;
const MISSING_STORED = 0x4000_0000;
const TS_SHIFT = 27n;
const TS_MSB = 0xf8n << 56n;
const PADDING = 29;
const TIME_EXTEND = 30;
const TIME_STAMP = 31;

export function decodePage(page: Uint8Array, layout: PageLayout): DecodedPage {
  const v = new DataView(page.buffer, page.byteOffset, page.byteLength);
  const le = layout.littleEndian;
  let timestamp = v.getBigUint64(layout.timestampOffset, le);
  const flags = layout.commitSize === 8 && !le ? v.getUint32(layout.commitOffset + 4, le) : v.getUint32(layout.commitOffset, le);
  const base = layout.dataOffset;
  const room = page.length - base;
  let size = flags & COMMIT_MASK;
  const out: DecodedPage = { events: [], lost: 0, timestamp, damage: [] };
  if (size > room) {
    out.damage.push({
      offset: layout.commitOffset,
      message: `page commit says ${size} bytes of events, the page holds ${room}; events are read to the end of the page`,
    });
    size = room;
  }
  if (flags & MISSING_EVENTS) {
    out.lost = -1;
    if (flags & MISSING_STORED && base + size + layout.commitSize <= page.length) {
      const n = layout.commitSize === 8 ? v.getBigUint64(base + size, le) : BigInt(v.getUint32(base + size, le));
      out.lost = n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : -1;
    }
  }
  let i = 0;
  while (i < size) {
    if (i + 4 > size) return damaged(out, base + i, 'event header runs past the page data');
    const word = v.getUint32(base + i, le);
    // header_event: the same 5/27 bit split, from the other end of the word on big-endian.
    const typeLen = le ? word & 31 : word >>> 27;
    const delta = le ? word >>> 5 : word & COMMIT_MASK;
    let next: number;
    switch (typeLen) {
      case PADDING: {
        if (delta === 0) return out; // the rest of the page is unused
        if (i + 8 > size) return damaged(out, base + i, 'padding event without its length');
        next = i + 4 + v.getUint32(base + i + 4, le);
        timestamp += BigInt(delta);
        break;
      }
      case TIME_EXTEND:
      case TIME_STAMP: {
        if (i + 8 > size) return damaged(out, base + i, 'time stamp event runs past the page data');
        const t = (BigInt(v.getUint32(base + i + 4, le)) << TS_SHIFT) + BigInt(delta);
        timestamp = typeLen === TIME_STAMP ? t | (timestamp & TS_MSB) : timestamp + t;
        next = i + 8;
        break;
      }
      case 0: {
        if (i + 8 > size) return damaged(out, base + i, 'event length runs past the page data');
        const length = v.getUint32(base + i + 4, le) - 4;
        if (length < 0) return damaged(out, base + i, `event length ${length + 4} is shorter than its length word`);
        next = i + 8 + Math.ceil(length / 4) * 4;
        if (next > size) return damaged(out, base + i, `event of ${length} bytes runs past the page data`);
        timestamp += BigInt(delta);
        out.events.push({ timestamp, offset: base + i, record: new DataView(page.buffer, page.byteOffset + base + i + 8, length) });
        break;
      }
      default: {
        next = i + 4 + typeLen * 4;
        if (next > size) return damaged(out, base + i, `event of ${typeLen * 4} bytes runs past the page data`);
        timestamp += BigInt(delta);
        out.events.push({ timestamp, offset: base + i, record: new DataView(page.buffer, page.byteOffset + base + i + 4, typeLen * 4) });
      }
    }
    if (next <= i || next > size) return damaged(out, base + i, `event at page offset ${base + i} runs past the page data`);
    i = next;
  }
  return out;
}

function damaged(out: DecodedPage, offset: number, message: string): DecodedPage {
  out.damage.push({ offset, message: `${message}; the rest of the page is skipped` });
  return out;
}
