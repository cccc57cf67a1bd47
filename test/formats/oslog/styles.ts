/**
 * Wraps SCT1 messages the way macOS `log show` / `log stream` print a DriverKit extension's
 * os_log lines in each style, with the header, footer and unrelated kernel lines a real export
 * has. A dext's message reaches the log through the kernel (xnu log_data() logs it with
 * OS_LOG_DEFAULT and "%s"), so it appears as process `kernel`, PID 0, no subsystem or category,
 * with the dext as the sender: `kernel: (com.example.MyHBADriver) SCT1B ...` (docs/FORMAT.md,
 * "Reading", cites the sources). Column layouts follow published `log` output.
 */

export type LogStyle =
  | 'show-default'
  | 'show-compact'
  | 'show-syslog'
  | 'show-ndjson'
  | 'show-json'
  | 'stream-default'
  | 'stream-compact'
  | 'stream-syslog'
  | 'stream-ndjson'
  | 'stream-json';
export const LOG_STYLES: readonly LogStyle[] = [
  'show-default',
  'show-compact',
  'show-syslog',
  'show-ndjson',
  'show-json',
  'stream-default',
  'stream-compact',
  'stream-syslog',
  'stream-ndjson',
  'stream-json',
];

/** The dext's executable: the sender log prints in parentheses. */
const DEXT = 'com.example.MyHBADriver';
const DEXT_PATH = `/Library/SystemExtensions/6C1F2A3B-44D5-4E6F-8A9B-0C1D2E3F4A5B/${DEXT}.dext/${DEXT}`;
const DEXT_UUID = '3C0E7E0E-5B1A-3C43-9D9A-3F1B2C5E8A11';
const KERNEL_UUID = 'CBC2F718-53E4-3C8D-BEC7-FB6DDC3318E1';

interface Line {
  message: string;
  /** The sender in parentheses; undefined for the kernel itself. */
  sender: string | undefined;
  senderPath: string;
  senderUuid: string;
  thread: number;
  type: 'Default' | 'Error';
  formatString: string;
}

/** Other kernel lines an export without a message predicate holds. */
const NOISE: Line[] = [
  {
    message: 'usb-drd1-port-hs@01100000: AppleUSBHostPort::createDevice: enumerated 0x05ac/8600/0100 (Keyboard) at 480 Mbps',
    sender: 'IOUSBHostFamily',
    senderPath: '/System/Library/Extensions/IOUSBHostFamily.kext/Contents/MacOS/IOUSBHostFamily',
    senderUuid: '080CCAD9-1651-3258-B38F-027B76E7DCFE',
    thread: 0x91f22,
    type: 'Default',
    formatString: '%s: %s: enumerated %s at %s',
  },
  {
    message: 'AppleACPIPlatformPower Wake reason: XDCI',
    sender: 'AppleACPIPlatform',
    senderPath: '/System/Library/Extensions/AppleACPIPlatform.kext/Contents/MacOS/AppleACPIPlatform',
    senderUuid: '5E5C46C9-6B0D-3A55-8F27-6A1A9C0B3D21',
    thread: 0x74,
    type: 'Default',
    formatString: 'AppleACPIPlatformPower Wake reason: %s\n',
  },
  {
    message: 'memorystatus: low swap: unthrottling',
    sender: undefined,
    senderPath: '/kernel',
    senderUuid: KERNEL_UUID,
    thread: 0x2a1,
    type: 'Error',
    formatString: 'memorystatus: low swap: unthrottling\n',
  },
];

const ours = (message: string, thread: number): Line => ({
  message,
  sender: DEXT,
  senderPath: DEXT_PATH,
  senderUuid: DEXT_UUID,
  thread,
  type: 'Default',
  formatString: '%s',
});

/** A time i steps into the export: "2026-01-05 10:20:30.123473-0800" (compact: to the ms, no zone). */
function stamp(i: number, compact: boolean): string {
  const us = String(123456 + i * 17).padStart(6, '0');
  return compact ? `2026-01-05 10:20:30.${us.slice(0, 3)}` : `2026-01-05 10:20:30.${us}-0800`;
}

/** Apple's JSON writer escapes every "/" as "\/". */
function appleJson(value: unknown): string {
  return JSON.stringify(value).replace(/\//g, '\\/');
}

/** The fields of one event as `log --style ndjson/json` prints them, in its order. */
function jsonObject(l: Line, i: number): Record<string, unknown> {
  return {
    timezoneName: '',
    messageType: l.type,
    eventType: 'logEvent',
    source: null,
    formatString: l.formatString,
    userID: 0,
    activityIdentifier: 0,
    subsystem: '',
    category: '',
    threadID: l.thread,
    senderImageUUID: l.senderUuid,
    backtrace: { frames: [{ imageOffset: 21504 + i, imageUUID: l.senderUuid }] },
    bootUUID: 'E312ED28-914E-4C3C-9B9E-4926AFCCD890',
    processImagePath: '/kernel',
    senderImagePath: l.senderPath,
    timestamp: stamp(i, false),
    machTimestamp: 2_008_018_969_949 + i * 409,
    eventMessage: l.message,
    processImageUUID: KERNEL_UUID,
    traceID: 176_338_472_796_164 + i * 4,
    processID: 0,
    senderProgramCounter: 21504 + i,
    parentActivityIdentifier: 0,
  };
}

/** `log --style json`: a pretty-printed array, `"key" : value`, nested objects indented. */
function prettyJson(value: unknown, indent: string): string {
  if (Array.isArray(value)) return `[\n${value.map((v) => `${indent}  ${prettyJson(v, `${indent}  `)}`).join(',\n')}\n${indent}]`;
  if (value && typeof value === 'object') {
    const fields = Object.entries(value).map(([k, v]) => `${indent}  ${appleJson(k)} : ${prettyJson(v, `${indent}  `)}`);
    return `{\n${fields.join(',\n')}\n${indent}}`;
  }
  return appleJson(value);
}

const hexThread = (t: number) => `0x${t.toString(16)}`;

/**
 * The export of `messages` (the dext's SCT1 lines, one os_log call each) in one style. With
 * noise (the default), every third message is followed by an unrelated kernel line, as in an
 * export filtered by process only; without, the export is what the README's predicate keeps.
 */
export function wrapInLogStyle(messages: readonly string[], style: LogStyle, { noise = true } = {}): string {
  const lines: Line[] = [];
  messages.forEach((m, i) => {
    lines.push(ours(m, 0x2a1f));
    if (noise && i % 3 === 0) lines.push(NOISE[i % NOISE.length]!);
  });
  const predicate = noise ? 'process == "kernel"' : 'process == "kernel" AND composedMessage BEGINSWITH "SCT1"';
  const filtering = `Filtering the log data using "${predicate}"`;
  const sender = (l: Line) => (l.sender ? `(${l.sender}) ` : '');
  const out: string[] = [];
  switch (style) {
    case 'show-default':
    case 'stream-default':
      out.push(filtering);
      if (style === 'show-default') out.push('Skipping info and debug messages, pass --info and/or --debug to include.');
      out.push('Timestamp                       Thread     Type        Activity             PID    TTL  ');
      lines.forEach((l, i) => {
        out.push(
          `${stamp(i, false)} ${hexThread(l.thread).padEnd(10)} ${l.type.padEnd(11)} ${'0x0'.padEnd(20)} ${'0'.padEnd(6)} ${'0'.padEnd(4)} kernel: ${sender(l)}${l.message}`,
        );
      });
      if (style === 'show-default') {
        out.push('--------------------------------------------------------------------------------------------------------------------');
        const errors = lines.filter((l) => l.type === 'Error').length;
        out.push(
          `Log      - Default:          ${lines.length - errors}, Info:                0, Debug:             0, Error:          ${errors}, Fault:          0`,
        );
        out.push('Activity - Create:           0, Transition:          0, Actions:           0');
      }
      break;
    case 'show-compact':
    case 'stream-compact':
      out.push(filtering);
      out.push('Timestamp               Ty Process[PID:TID]');
      lines.forEach((l, i) => out.push(`${stamp(i, true)} ${l.type === 'Error' ? 'E ' : 'Df'} kernel[0:${l.thread.toString(16)}] ${sender(l)}${l.message}`));
      break;
    case 'show-syslog':
    case 'stream-syslog':
      out.push(filtering);
      out.push('Timestamp                       (process)[PID]    ');
      lines.forEach((l, i) => out.push(`${stamp(i, false)}  localhost kernel[0]: ${sender(l)}${l.message}`));
      break;
    case 'show-ndjson':
    case 'stream-ndjson':
      if (style === 'stream-ndjson') out.push(filtering);
      lines.forEach((l, i) => out.push(appleJson(jsonObject(l, i))));
      break;
    case 'show-json':
    case 'stream-json':
      if (style === 'stream-json') out.push(filtering);
      out.push(`[${lines.map((l, i) => prettyJson(jsonObject(l, i), '')).join(',')}]`);
      break;
  }
  return out.join('\n') + '\n';
}
