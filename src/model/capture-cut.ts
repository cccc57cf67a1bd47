/**
 * The note a reader puts on a task when the capture kept fewer bytes of its CDB or sense than
 * the device sent (usbmon text keeps 32 bytes of a URB, a pcap its snap length). Rules that
 * judge a CDB's or sense's length ask for it, so that what the capture cut is not reported as
 * the device's fault.
 */
export type CaptureCutPart = 'CDB' | 'sense data';

export function captureCutNote(part: CaptureCutPart, captured: number, sent: number): string {
  return `${part}: only ${captured} of ${sent} bytes are in the capture`;
}

const CUT = /^(CDB|sense data): only \d+ of \d+ bytes are in the capture$/;

/** Which part a capture-cut note is about, or undefined for any other note. */
export function captureCutPart(text: string): CaptureCutPart | undefined {
  return CUT.exec(text)?.[1] as CaptureCutPart | undefined;
}
