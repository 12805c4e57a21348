import { AssertionError } from '../errors.js';

/**
 * Writer into a caller-provided (or internally grown) buffer. Encoders take a Writer so a caller
 * can encode straight into its own buffer at an offset (dns-packet's encode(obj, buf, offset)).
 */
export class Writer {
  buf: Buffer;
  pos: number;
  private readonly fixed: boolean;

  constructor(bufOrSize: Buffer | number = 256, offset = 0) {
    if (typeof bufOrSize === 'number') {
      this.buf = Buffer.alloc(bufOrSize);
      this.fixed = false;
    } else {
      this.buf = bufOrSize;
      this.fixed = true;
    }
    this.pos = offset;
  }

  /** Room for `n` more bytes (grows the buffer unless it is the caller's). */
  protected ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.fixed)
      throw new AssertionError(`writer overflow: need ${n} at ${this.pos}/${this.buf.length}`);
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v & 0xffff, this.pos);
    this.pos += 2;
    return this;
  }

  u24(v: number): this {
    this.ensure(3);
    this.buf.writeUIntBE(v & 0xffffff, this.pos, 3);
    this.pos += 3;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  u64(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigUInt64BE(BigInt.asUintN(64, v), this.pos);
    this.pos += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
    return this;
  }

  /** Reserve `n` bytes now (e.g. a length field) and return their offset for a later patch. */
  reserve(n: number): number {
    const at = this.pos;
    this.zeros(n);
    return at;
  }

  patchU16(at: number, v: number): void {
    this.buf.writeUInt16BE(v & 0xffff, at);
  }

  patchU32(at: number, v: number): void {
    this.buf.writeUInt32BE(v >>> 0, at);
  }

  /** Copy of the bytes written from `start` (default 0) to the current position. */
  finish(start = 0): Buffer {
    return Buffer.from(this.buf.subarray(start, this.pos));
  }
}
