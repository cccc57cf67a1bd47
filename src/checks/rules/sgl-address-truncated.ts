/**
 * An element of the driver's SGL carries the IOVM address it should have had with the high bits
 * dropped: the address expected at that point of the transfer (buffer.address + the lengths of
 * the elements before it) lies at or above 4 GiB, and the element holds it modulo 2^32 (or modulo
 * 2^bits for the HBA's declared width). A 32-bit descriptor field, or a uint32_t on the way to
 * it: the hardware then moves the data to or from someone else's memory.
 */
import { hex } from '../helpers.js';
import { defineRule } from '../rule.js';
import { walkSgl } from '../sgl.js';

export default defineRule({
  meta: {
    id: 'sgl-address-truncated',
    category: 'dma',
    severity: 'error',
    description: "An SGL element holds the task's IOVM address with its high bits dropped (a 32-bit truncation)",
    messages: {
      truncated:
        'SGL element {index} is at {address}, which is IOVM address {expected} (byte {offset} of the range) cut to {bits} bits: the HBA moves these {bytes} bytes to or from other memory{more}',
    },
  },
  create({ state, report }) {
    return {
      submit(s) {
        const w = walkSgl(s, state.limits.addressBits);
        if (!w || w.truncated === 0) return;
        const i = w.firstTruncated;
        const more = w.truncated > 1 ? `; ${w.truncated} of ${w.elements} elements are cut the same way (${w.truncatedBytes} bytes)` : '';
        report({
          messageId: 'truncated',
          data: {
            index: i,
            address: hex(w.firstTruncatedAddress),
            expected: hex(w.firstTruncatedExpected),
            offset: w.firstTruncatedOffset,
            bits: w.truncatedToBits,
            bytes: s.segments.length(i),
            more,
          },
          at: s,
          task: s,
          evidence: {
            element: i,
            address: hex(w.firstTruncatedAddress),
            expectedAddress: hex(w.firstTruncatedExpected),
            transferOffset: w.firstTruncatedOffset,
            truncatedToBits: w.truncatedToBits,
            truncatedElements: w.truncated,
            truncatedBytes: w.truncatedBytes,
            elements: w.elements,
            bufferAddress: hex(s.buffer!.address),
            bufferLength: s.buffer!.length,
          },
        });
      },
    };
  },
});
