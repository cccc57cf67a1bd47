import { UsageError } from '../model/errors.js';
import { RowKind, type TaskBatch } from '../model/batch.js';
import { ServiceResponse } from '../model/events.js';
import { commandServiceAction, isGoodStatus } from '../scsi/index.js';

/** Which tasks `decode` (and others) keep. Parsed from CLI options; pure predicate. */
export interface TaskFilter {
  luns?: Set<number>;
  /** Opcode, or opcode << 16 | service action, as keys. */
  opcodes?: Set<number>;
  statuses?: Set<StatusClass | number>;
  sinceNs?: number;
  untilNs?: number;
}

export type StatusClass = 'good' | 'check' | 'failed' | 'incomplete';
const STATUS_CLASSES: ReadonlySet<string> = new Set(['good', 'check', 'failed', 'incomplete']);

export function parseFilter(o: { lun?: string[]; opcode?: string[]; status?: string[]; since?: string; until?: string }): TaskFilter {
  const f: TaskFilter = {};
  if (o.lun?.length) f.luns = new Set(o.lun.flatMap(splitList).map((x) => parseIntStrict(x, '--lun')));
  if (o.opcode?.length) {
    f.opcodes = new Set(
      o.opcode.flatMap(splitList).map((x) => {
        const [op, sa] = x.split('/');
        const code = parseIntStrict(op!, '--opcode');
        if (code > 0xff) throw new UsageError(`--opcode ${x}: opcode above 0xff`);
        return sa === undefined ? code : (code << 16) | parseIntStrict(sa, '--opcode service action') | 0x100_0000;
      }),
    );
  }
  if (o.status?.length) {
    f.statuses = new Set(
      o.status.flatMap(splitList).map((x) => {
        const lower = x.toLowerCase();
        if (STATUS_CLASSES.has(lower)) return lower as StatusClass;
        const code = /^(0x[0-9a-f]{1,2}|\d{1,3})$/i.test(x.trim()) ? Number(x.trim()) : NaN;
        if (!(code >= 0 && code <= 0xff)) {
          throw new UsageError(
            `--status: "${x}" is not one of ${[...STATUS_CLASSES].join(', ')}, or a SAM status code 0-255 (e.g. 0x02 CHECK CONDITION, 0x08 BUSY, 0x28 TASK SET FULL)`,
          );
        }
        return code;
      }),
    );
  }
  if (o.since !== undefined) f.sinceNs = parseSeconds(o.since, '--since');
  if (o.until !== undefined) f.untilNs = parseSeconds(o.until, '--until');
  if (f.sinceNs !== undefined && f.untilNs !== undefined && f.sinceNs > f.untilNs) {
    throw new UsageError(`--since ${o.since} is after --until ${o.until}: no task can match (both are seconds since capture start)`);
  }
  return f;
}

/** What a filter looks at of a task. */
export interface FilterSubject {
  lun: number;
  timeNs: number;
  cdb: Uint8Array;
  completed: boolean;
  serviceResponse: number;
  status: number;
}

export function matchesFilter(f: TaskFilter, t: FilterSubject): boolean {
  if (f.luns && !f.luns.has(t.lun)) return false;
  if (f.sinceNs !== undefined && t.timeNs < f.sinceNs) return false;
  if (f.untilNs !== undefined && t.timeNs > f.untilNs) return false;
  if (f.opcodes) {
    const op = t.cdb[0]!;
    const sa = commandServiceAction(t.cdb);
    if (!f.opcodes.has(op) && !(sa !== undefined && f.opcodes.has((op << 16) | sa | 0x100_0000))) return false;
  }
  if (f.statuses) {
    const complete = t.serviceResponse === ServiceResponse.TaskComplete;
    const cls: StatusClass = !t.completed
      ? 'incomplete'
      : !complete
        ? 'failed'
        : t.status === 0x02
          ? 'check'
          : isGoodStatus(t.serviceResponse, t.status)
            ? 'good'
            : 'failed';
    if (!f.statuses.has(cls) && !(t.completed && complete && f.statuses.has(t.status))) return false;
  }
  return true;
}

/** The filter over the task in row r of a paired batch (a Complete row completed; others did not). */
export function matchesFilterAt(f: TaskFilter, b: TaskBatch, r: number): boolean {
  if (f.luns === undefined && f.sinceNs === undefined && f.untilNs === undefined && f.opcodes === undefined && f.statuses === undefined) return true;
  const at = b.cdbAt[r]!;
  subject.lun = b.lun[r]!;
  subject.timeNs = b.subTimeNs[r]!;
  subject.cdb = f.opcodes ? b.slab.subarray(at, at + b.cdbLength[r]!) : NO_CDB;
  subject.completed = b.kind[r] === RowKind.Complete;
  subject.serviceResponse = b.serviceResponse[r]!;
  subject.status = b.status[r]!;
  return matchesFilter(f, subject);
}

const NO_CDB = new Uint8Array(0);
const subject: FilterSubject = { lun: 0, timeNs: 0, cdb: NO_CDB, completed: false, serviceResponse: 0, status: 0 };

function splitList(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

function parseIntStrict(s: string, what: string): number {
  const t = s.trim().toLowerCase();
  const n = /^0x[0-9a-f]+$/.test(t) ? parseInt(t, 16) : /^\d+$/.test(t) ? parseInt(t, 10) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`${what}: "${s}" is not a number (decimal or 0x hex)`);
  return n;
}

function parseSeconds(s: string, what: string): number {
  const n = Number(s);
  if (!Number.isFinite(n) || s.trim() === '') throw new UsageError(`${what}: "${s}" is not a time in seconds`);
  return n * 1e9;
}
