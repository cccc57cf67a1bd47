/**
 * Pull-style reading of a byte stream that arrives in chunks: exact-length reads, skips and
 * NUL-terminated strings, with the absolute offset of the next byte. trace.dat is a sequence
 * of length-prefixed structures, read front to back without seeking.
 */
const EMPTY = new Uint8Array(0);

export class ByteSource {
  private readonly it: AsyncIterator<Uint8Array>;
  private chunk: Uint8Array = EMPTY;
  private pos = 0;
  private done = false;
  private consumed = 0;

  constructor(
    chunks: AsyncIterable<Uint8Array>,
    private readonly baseOffset = 0,
    private readonly onBytes?: (n: number) => void,
    /** Every byte is reported at baseOffset (bytes decompressed from what starts there). */
    private readonly fixed = false,
  ) {
    this.it = chunks[Symbol.asyncIterator]();
  }

  /**
   * A source over bytes decompressed from the file at `fileOffset`: its bytes have no file
   * offset of their own, so they all report that one.
   */
  static decompressed(bytes: Uint8Array, fileOffset: number): ByteSource {
    return new ByteSource(
      (async function* () {
        yield bytes;
      })(),
      fileOffset,
      undefined,
      true,
    );
  }

  /** Offset of the next byte in the file. */
  get offset(): number {
    return this.fixed ? this.baseOffset : this.baseOffset + this.consumed;
  }

  private async fill(): Promise<boolean> {
    while (this.pos >= this.chunk.length) {
      if (this.done) return false;
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        return false;
      }
      this.chunk = r.value;
      this.pos = 0;
      this.onBytes?.(r.value.length);
    }
    return true;
  }

  /** `n` bytes, or fewer when the input ends first. A view when they lie in one chunk. */
  async read(n: number): Promise<Uint8Array> {
    if (!(await this.fill()) || n <= 0) return EMPTY;
    if (this.chunk.length - this.pos >= n) {
      const v = this.chunk.subarray(this.pos, this.pos + n);
      this.pos += n;
      this.consumed += n;
      return v;
    }
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n && (await this.fill())) {
      const take = Math.min(n - got, this.chunk.length - this.pos);
      out.set(this.chunk.subarray(this.pos, this.pos + take), got);
      this.pos += take;
      got += take;
      this.consumed += take;
    }
    return got === n ? out : out.subarray(0, got);
  }

  /** Skips `n` bytes; returns how many there were. */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0 && (await this.fill())) {
      const take = Math.min(left, this.chunk.length - this.pos);
      this.pos += take;
      this.consumed += take;
      left -= take;
    }
    return n - left;
  }

  /** Bytes up to a NUL (which is consumed), at most `max`; undefined when no NUL comes in time. */
  async cstring(max: number): Promise<string | undefined> {
    const parts: number[] = [];
    while (parts.length <= max) {
      if (!(await this.fill())) return undefined;
      const b = this.chunk[this.pos++]!;
      this.consumed++;
      if (b === 0) return Buffer.from(parts).toString('latin1');
      parts.push(b);
    }
    return undefined;
  }

  /** True when nothing is left. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill());
  }
}
