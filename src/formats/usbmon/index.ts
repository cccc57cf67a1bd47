import { eventBatches } from '../../model/batch-builder.js';
import type { TraceFormat } from '../registry.js';
import { headText, looksLikeText } from '../ftrace/lines.js';
import { USBMON_LINE } from './line.js';
import { readUsbmon } from './reader.js';

/** The first line that is not blank is a usbmon text line ('u' or 't' layout). */
function sniff(head: Uint8Array): boolean {
  if (!looksLikeText(head)) return false;
  const first = headText(head)
    .split('\n')
    .find((l) => l.trim() !== '');
  return first !== undefined && USBMON_LINE.test(first);
}

export const usbmonFormat: TraceFormat = {
  id: 'usbmon',
  description: 'Linux usbmon text (/sys/kernel/debug/usb/usbmon/<bus>u or <bus>t): USB mass storage BOT/UAS',
  sniff,
  read: (chunks, stats) => eventBatches(readUsbmon(chunks, stats)),
};
