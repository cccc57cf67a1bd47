/**
 * A small Zstandard frame writer (RFC 8878) using only raw and RLE blocks: enough to make real
 * .zst files here without a compressor, and to place damage at known block offsets.
 */
export function zstdFrame(data: Uint8Array, o: { blockBytes?: number; windowLog?: number; checksum?: boolean } = {}): Uint8Array {
  const parts: number[] = [0x28, 0xb5, 0x2f, 0xfd];
  const windowLog = o.windowLog ?? 17;
  parts.push(o.checksum ? 0x04 : 0x00); // FHD: no single segment, no FCS, no dictionary
  parts.push((windowLog - 10) << 3); // window descriptor
  const block = o.blockBytes ?? 65536;
  if (data.length === 0) parts.push(0x01, 0x00, 0x00); // one empty last raw block
  for (let p = 0; p < data.length; p += block) {
    const part = data.subarray(p, Math.min(data.length, p + block));
    const last = p + block >= data.length ? 1 : 0;
    const rle = part.every((b) => b === part[0]);
    const h = last | ((rle ? 1 : 0) << 1) | (part.length << 3);
    parts.push(h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff);
    if (rle) parts.push(part[0]!);
    else for (const b of part) parts.push(b);
  }
  if (o.checksum) parts.push(0, 0, 0, 0);
  return Uint8Array.from(parts);
}
