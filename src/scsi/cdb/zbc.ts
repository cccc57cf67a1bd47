/**
 * ZBC-2 (zoned block commands) CDB decoders: ZBC IN (95h) and ZBC OUT (94h).
 */
import { allocationLength, lba, serviceAction5 } from './common.js';
import { CdbReader, type CommandDecoder } from './reader.js';
import { ZONE_REPORTING_OPTIONS } from './values.js';

/** ZBC-2 REPORT ZONES / REPORT REALMS / REPORT ZONE DOMAINS: start LBA, ALLOCATION LENGTH, options. */
function zbcIn(r: CdbReader): void {
  serviceAction5(r);
  lba(r, 2, 8, r.byte(1) === 0 ? 'ZONE START LBA' : 'LBA');
  allocationLength(r, 10, 4);
  r.noteFlag('PARTIAL', 14, 7);
  const options = r.bits('REPORTING OPTIONS', 14, 0, 6, {
    hex: true,
    text: (v) => ((r.byte(1) & 0x1f) === 0 ? ZONE_REPORTING_OPTIONS.get(v) : undefined),
  });
  if (r.has(14) && options !== 0) r.note(`options ${options}`);
  r.control(15);
}

/** ZBC-2 CLOSE/FINISH/OPEN ZONE, RESET WRITE POINTER: ZONE ID, ZONE COUNT, ALL. */
function zbcOut(r: CdbReader): void {
  serviceAction5(r);
  lba(r, 2, 8, 'ZONE ID');
  const count = r.uint('ZONE COUNT', 12, 2);
  if (r.has(12, 2) && count > 1) r.note(`zones ${count}`);
  r.noteFlag('ALL', 14, 0, 'every zone');
  r.noData();
  r.control(15);
}

export const ZBC_COMMANDS: readonly CommandDecoder[] = [
  { opcode: 0x95, serviceAction: 0x00, length: 16, decode: zbcIn },
  { opcode: 0x94, serviceAction: 0x01, length: 16, decode: zbcOut },
  { opcode: 0x94, serviceAction: 0x02, length: 16, decode: zbcOut },
  { opcode: 0x94, serviceAction: 0x03, length: 16, decode: zbcOut },
  { opcode: 0x94, serviceAction: 0x04, length: 16, decode: zbcOut },
];
