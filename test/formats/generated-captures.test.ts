/**
 * The capture fixtures in traces/ that are built, not recorded (no public capture exists, or no
 * way to record one here): each must be exactly what its generator in test/helpers/ writes, so
 * a change to a generator is a change to its fixture, reviewed together.
 * `UPDATE_GOLDEN=1 npx vitest run test/formats/generated-captures.test.ts` rewrites them (test/helpers/golden.ts).
 */
import { describe, it } from 'vitest';
import { expectGolden } from '../helpers/golden.js';
import { pcapFile, pcapngFile } from '../helpers/pcap.js';
import { darwinBotCapture, darwinUasCapture } from '../helpers/usb-darwin.js';
import { fcoeCapture } from '../helpers/fcoe.js';

const DARWIN = 266;

export const GENERATED: { file: string; bytes: () => Uint8Array }[] = [
  { file: 'usb-darwin-bot.pcapng', bytes: () => pcapngFile(darwinBotCapture(), { interfaces: [{ linkType: DARWIN }] }) },
  { file: 'usb-darwin-uas.pcap', bytes: () => pcapFile(darwinUasCapture(), { linkType: DARWIN }) },
  { file: 'fcoe-fcp.pcapng', bytes: () => pcapngFile(fcoeCapture(), { interfaces: [{ linkType: 1, tsresol: 9 }] }) },
];

describe('generated capture fixtures', () => {
  it.each(GENERATED.map((g) => [g.file, g] as const))('traces/%s is what its generator writes', (file, g) => {
    const path = new URL(`../../traces/${file}`, import.meta.url);
    expectGolden(path, g.bytes());
  });
});
