/**
 * Wraps SCT1 messages the way macOS `log show` / `log stream` print them in each style, with
 * the header, footer and unrelated lines a real export has. Shapes follow log(1) output.
 */

export type LogStyle = 'show-default' | 'show-compact' | 'show-ndjson' | 'show-json' | 'stream-default' | 'stream-compact';
export const LOG_STYLES: readonly LogStyle[] = ['show-default', 'show-compact', 'show-ndjson', 'show-json', 'stream-default', 'stream-compact'];

const PROCESS = 'com.example.MyHBADriver';
const NOISE = [
  'kernel: (AppleUSBHostController) port 3 connect change',
  'bluetoothd: [com.apple.bluetooth:Server] HCI event 0x13',
  'com.example.MyHBADriver: (MyHBADriver) [com.example.hba:power] link up at 12 Gb/s',
];

function stamp(i: number, compact: boolean): string {
  const us = String(123456 + i * 17).padStart(6, '0');
  return compact ? `2026-01-05 10:20:30.${us.slice(0, 3)}` : `2026-01-05 10:20:30.${us}-0800`;
}

/** Apple's JSON writer escapes every "/" as "\/". */
function appleJson(value: unknown): string {
  return JSON.stringify(value).replace(/\//g, '\\/');
}

function ndjsonObject(message: string, i: number): Record<string, unknown> {
  return {
    traceID: 8_000_000 + i,
    eventMessage: message,
    eventType: 'logEvent',
    source: null,
    formatString: '%{public}s',
    activityIdentifier: 0,
    subsystem: 'com.example.hba',
    category: 'trace',
    threadID: 7982,
    senderImageUUID: '3C0E7E0E-5B1A-3C43-9D9A-3F1B2C5E8A11',
    processImagePath: `/Library/DriverExtensions/${PROCESS}.dext/${PROCESS}`,
    timestamp: stamp(i, false),
    senderImagePath: `/Library/DriverExtensions/${PROCESS}.dext/${PROCESS}`,
    machTimestamp: 9_000_000_000 + i,
    messageType: 'Default',
    processID: 412,
    senderProgramCounter: 5120,
    parentActivityIdentifier: 0,
    timezoneName: '',
  };
}

/** The export of `messages` in one style; every third message is followed by an unrelated line. */
export function wrapInLogStyle(messages: readonly string[], style: LogStyle): string {
  const out: string[] = [];
  const withNoise: Array<{ msg: string; ours: boolean }> = [];
  messages.forEach((m, i) => {
    withNoise.push({ msg: m, ours: true });
    if (i % 3 === 0) withNoise.push({ msg: NOISE[i % NOISE.length]!, ours: false });
  });
  switch (style) {
    case 'show-default':
    case 'stream-default':
      out.push(style === 'show-default' ? 'Filtering the log data using "subsystem == "com.example.hba""' : 'Filtering the log data using "subsystem == "com.example.hba""');
      if (style === 'show-default') out.push('Skipping info and debug messages, pass --info and/or --debug to include.');
      out.push('Timestamp                       Thread     Type        Activity             PID    TTL  ');
      withNoise.forEach(({ msg, ours }, i) => {
        const body = ours ? `${PROCESS}: (${PROCESS}) [com.example.hba:trace] ${msg}` : msg;
        out.push(`${stamp(i, false)} 0x1f2e     Default     0x0                  412    0    ${body}`);
      });
      if (style === 'show-default') {
        out.push('--------------------------------------------------------------------------------------------------------------------');
        out.push(`Log      - Default:          ${withNoise.length}, Info:                0, Debug:             0, Error:          0, Fault:          0`);
        out.push('Activity - Create:           0, Transition:          0, Actions:           0');
      }
      break;
    case 'show-compact':
    case 'stream-compact':
      out.push('Filtering the log data using "subsystem == "com.example.hba""');
      out.push('Timestamp               Ty Process[PID:TID]');
      withNoise.forEach(({ msg, ours }, i) => {
        out.push(ours ? `${stamp(i, true)} Df ${PROCESS}[412:1f2e] [com.example.hba:trace] ${msg}` : `${stamp(i, true)} Df kernel[0:2a1] ${msg}`);
      });
      break;
    case 'show-ndjson':
      withNoise.forEach(({ msg }, i) => out.push(appleJson(ndjsonObject(msg, i))));
      break;
    case 'show-json': {
      // A pretty-printed JSON array, one field per line, as `log show --style json` writes it.
      out.push('[{');
      withNoise.forEach(({ msg }, i) => {
        const fields = Object.entries(ndjsonObject(msg, i)).map(([k, v]) => `  ${appleJson(k)} : ${appleJson(v)}`);
        out.push(fields.join(',\n'));
        out.push(i === withNoise.length - 1 ? '}]' : '},{');
      });
      break;
    }
  }
  return out.join('\n') + '\n';
}
