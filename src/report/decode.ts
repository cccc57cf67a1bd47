import type { TaskRecord } from '../analysis/tasks.js';
import { ServiceResponse } from '../model/events.js';
import { cdbSummary, quickSense, decodeSense, taskStatusName } from '../scsi/index.js';
import type { Paint } from '../cli/output.js';
import { taskJson } from './task-view.js';
import { formatDuration, formatTimestamp } from './time.js';

/** How one task becomes one line of `decode` output. */
export type TaskLineRenderer = (t: TaskRecord, paint: Paint) => string;

function jsonLine(t: TaskRecord): string {
  return JSON.stringify(taskJson(t));
}

/** BigInt#toString is several times slower than Number's; ids are almost always small. */
function idText(v: bigint): string {
  return v <= 0xffff_ffffn ? String(Number(v)) : v.toString();
}

function textLine(t: TaskRecord, p: Paint): string {
  const s = t.submit;
  const c = t.complete;
  const where = `${s.targetLabel ?? idText(s.targetId)}:${s.lun}`;
  const latency = c ? `+${formatDuration(c.timeNs - s.timeNs)}` : '+?';
  let line = `${formatTimestamp(s.timeNs)} ${latency.padStart(9)} ${where} #${idText(s.tag)} ${cdbSummary(s.cdb)}`;
  if (!c) return `${line} → ${p.yellow('NEVER COMPLETED')}`;
  const status = taskStatusName(c.serviceResponse, c.status);
  const good = c.serviceResponse === ServiceResponse.TaskComplete && (c.status === 0 || c.status === 0x04);
  line += ` → ${good ? p.green(status) : p.red(status)}`;
  if (c.bytesTransferred !== s.requestedBytes) line += ` xfer ${c.bytesTransferred}/${s.requestedBytes} B`;
  if (c.residualFlags) line += ` residual ${c.residual}${c.residualFlags & 1 ? ' under' : ''}${c.residualFlags & 2 ? ' over' : ''}`;
  if (c.sense.length) {
    const q = quickSense(c.sense);
    line += ` ${q ? decodeSense(c.sense).summary : `sense (${c.sense.length} bytes, unparsable)`}`;
  }
  return line;
}

export const decodeRenderers: Record<'text' | 'json', TaskLineRenderer> = {
  text: textLine,
  json: jsonLine,
};
