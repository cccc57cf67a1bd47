/**
 * The IOVM range the framework handed a DriverKit task (fBufferIOVMAddr, fRequestedTransferCount
 * bytes) ends above the address width the driver declared for its HBA
 * (IOMaximumSegmentAddressableBitCount), or above the DMA specification's numAddressBits, below
 * which the framework's mapping is allocated. docs/rules/buffer-above-address-limit.md says which
 * limit does what.
 */
import { addressLimitText } from '../constraints.js';
import { hex } from '../helpers.js';
import { defineRule } from '../rule.js';

const TWO32 = 0x1_0000_0000;

/** The high 32-bit word of the range's last byte (exact), or -1 for an empty range. */
function lastByteHigh(address: bigint, length: number): number {
  if (length <= 0) return -1;
  const high = Number(address >> 32n);
  const low = Number(address & 0xffff_ffffn);
  return high + Math.floor((low + length - 1) / TWO32);
}

export default defineRule({
  meta: {
    id: 'buffer-above-address-limit',
    category: 'dma',
    severity: 'error',
    description: 'The IOVM range handed to a DriverKit task ends above the address width the HBA declared (IOMaximumSegmentAddressableBitCount)',
    messages: {
      above:
        'IOVM range {address} (+{length} bytes) lies above the {bits}-bit limit the driver declared for its HBA ({limit}, IOMaximumSegmentAddressableBitCount): the HBA cannot reach it; {mapping}',
      straddles:
        "IOVM range {address} (+{length} bytes) runs across the {bits}-bit limit the driver declared for its HBA ({limit}, IOMaximumSegmentAddressableBitCount): its tail is out of the HBA's reach; {mapping}",
      aboveMapping:
        'IOVM range {address} (+{length} bytes) ends above {limit}, but the DMA specification says numAddressBits {dmaBits}, below which the framework allocates the mapping: the recorded range or the recorded DMA specification is not the one in effect',
    },
  },
  create({ state, report }) {
    /** Whether numAddressBits was given (config or trace), worked out once per constraints change. */
    let seen: typeof state.resolved | undefined;
    let dmaKnown = false;
    return {
      submit(s) {
        const b = s.buffer;
        if (b === undefined || b.length <= 0) return;
        const { addressBits, dmaNumAddressBits } = state.limits;
        if (seen !== state.resolved) {
          seen = state.resolved;
          dmaKnown = seen.entries.some((e) => e.id === 'dmaNumAddressBits');
        }
        const lastHigh = lastByteHigh(b.address, b.length);
        const beyond = (bits: number): boolean => bits < 64 && lastHigh >= 2 ** (bits - 32);
        const evidence = { bufferAddress: hex(b.address), bufferLength: b.length, addressBits, dmaNumAddressBits: dmaKnown ? dmaNumAddressBits : 'unknown' };
        if (beyond(addressBits)) {
          const straddles = b.address < 1n << BigInt(addressBits);
          const mapping = !dmaKnown
            ? `the DMA specification's numAddressBits is not known (set dmaNumAddressBits): a value above ${addressBits} lets the framework hand such addresses; return numAddressBits ${addressBits} from UserGetDMASpecification`
            : dmaNumAddressBits > addressBits
              ? `the DMA specification's numAddressBits ${dmaNumAddressBits} lets the framework hand addresses up to ${addressLimitText(dmaNumAddressBits)}: return numAddressBits ${addressBits} from UserGetDMASpecification`
              : dmaNumAddressBits < addressBits
                ? `yet the DMA specification's numAddressBits ${dmaNumAddressBits} is narrower still: the recorded range or the recorded specification is not the one in effect`
                : `the DMA specification's numAddressBits is also ${addressBits}: the recorded range or the recorded specification is not the one in effect`;
          report({
            messageId: straddles ? 'straddles' : 'above',
            data: { address: hex(b.address), length: b.length, bits: addressBits, limit: hex(2n ** BigInt(addressBits)), mapping },
            at: s,
            task: s,
            evidence: { ...evidence, straddles },
          });
          return;
        }
        if (beyond(dmaNumAddressBits)) {
          report({
            messageId: 'aboveMapping',
            severity: 'warning',
            data: { address: hex(b.address), length: b.length, limit: addressLimitText(dmaNumAddressBits), dmaBits: dmaNumAddressBits },
            at: s,
            task: s,
            evidence,
          });
        }
      },
    };
  },
});
