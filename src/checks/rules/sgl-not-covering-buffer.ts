/**
 * The driver's SGL does not cover the IOVM range the framework handed (buffer) exactly once, in
 * transfer order: an element outside the range, a gap, an overlap, a short or long total, or the
 * right bytes in the wrong order. The range is the reference (it is what the framework mapped);
 * a range whose length differs from the requested transfer count is reported as well.
 * Elements that are the expected address cut to 32 bits are sgl-address-truncated's finding and
 * count here at the address they should have had.
 */
import { DataDirection } from '../../model/events.js';
import { hex } from '../helpers.js';
import { defineRule } from '../rule.js';
import { walkSgl, type CoverageProblem } from '../sgl.js';

/** What the wrong coverage does to the data, by direction. */
function effect(problem: CoverageProblem, direction: number): string {
  const read = direction === DataDirection.FromDevice;
  switch (problem) {
    case 'overlap':
      return read
        ? 'data read from the device lands twice in those bytes and some other bytes of the buffer are never filled'
        : 'those bytes are sent twice and others of the buffer never';
    case 'gap':
      return read
        ? 'those bytes of the buffer are never filled and the data meant for them lands elsewhere'
        : 'those bytes of the buffer are never sent; the device gets other data in their place';
    default:
      return '';
  }
}

export default defineRule({
  meta: {
    id: 'sgl-not-covering-buffer',
    category: 'dma',
    severity: 'error',
    description: "The driver's SGL does not cover the IOVM range of the task exactly, in order (gap, overlap, short or long, outside, out of order)",
    messages: {
      empty: 'the SGL has no element for the {length}-byte IOVM range {address}: the HBA has nowhere to move the data',
      outside:
        'SGL element {index} ({elementAddress} +{elementLength}) lies {where} the IOVM range {address} (+{length} bytes): {bytes} bytes of DMA go to memory not mapped for this task',
      long: 'the SGL walks the {length}-byte IOVM range {address} in order but covers {total} bytes: element {index} runs {bytes} bytes past its end, into memory not mapped for this task',
      overlap:
        'SGL element {index} covers bytes of the IOVM range {address} (from byte {offset}) that another element covers too, {bytes} bytes twice: {effect}',
      gap: 'the SGL leaves {bytes} bytes of the {length}-byte IOVM range {address} uncovered, the first at byte {offset}: {effect}',
      short: 'the SGL covers only {total} of the {length} bytes of the IOVM range {address}: the last {bytes} bytes (from byte {offset}) have nowhere to go',
      outOfOrder:
        'SGL element {index} ({elementAddress}) is not at byte {offset} of the IOVM range {address}, where the transfer stands: every byte is covered once but in the wrong order, so the data lands permuted',
      lengthMismatch: 'the IOVM range {address} covers {length} bytes but the task requests {requested}: {meaning}',
    },
  },
  create({ state, report }) {
    return {
      submit(s) {
        const b = s.buffer;
        if (b === undefined) return;
        const w = walkSgl(s, state.limits.addressBits);
        const base = { address: hex(b.address), length: b.length };
        const evidence = {
          bufferAddress: hex(b.address),
          bufferLength: b.length,
          requestedBytes: s.requestedBytes,
          ...(w ? { elements: w.elements, sglBytes: w.totalBytes } : {}),
        };
        if (w !== undefined && w.problem !== undefined) {
          const i = w.problemIndex;
          const element: Record<string, string | number> = i >= 0 ? { elementAddress: hex(s.segments.address(i)), elementLength: s.segments.length(i) } : {};
          const where = w.problemOffset < 0 ? 'before the start of' : w.problemOffset >= b.length ? 'past the end of' : 'partly outside';
          report({
            messageId: w.problem,
            data: {
              ...base,
              ...element,
              index: i,
              offset: w.problemOffset,
              bytes: w.problemBytes,
              total: w.totalBytes,
              where,
              effect: effect(w.problem, s.direction),
            },
            at: s,
            task: s,
            evidence: { ...evidence, problem: w.problem, ...(i >= 0 ? { element: i } : {}), rangeOffset: w.problemOffset, problemBytes: w.problemBytes },
          });
        }
        if (b.length !== s.requestedBytes) {
          const more = s.requestedBytes > b.length;
          report({
            messageId: 'lengthMismatch',
            severity: more ? 'error' : 'warning',
            data: {
              ...base,
              requested: s.requestedBytes,
              meaning: more
                ? `the device may move ${s.requestedBytes - b.length} bytes more than the range holds (for DriverKit both are fRequestedTransferCount: the recording is inconsistent, or the range was cut)`
                : 'the SGL is judged against the range, which is what the framework mapped (for DriverKit both are fRequestedTransferCount: the recording is inconsistent)',
            },
            at: s,
            task: s,
            evidence,
          });
        }
      },
    };
  },
});
