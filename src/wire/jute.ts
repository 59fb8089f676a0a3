// Jute, ZooKeeper's binary record encoding: big-endian ints and longs, one-byte booleans,
// length-prefixed buffers, strings and vectors (length −1 = null). Codecs are values that know
// how to read, write and describe themselves, so records are declared once and the tests can
// derive random values from the same declaration.

/** Malformed input. Thrown only inside this module's readers; `decode` turns it into a value. */
export class WireError extends Error {}

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export class Reader {
  private pos = 0;
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get remaining(): number {
    return this.bytes.length - this.pos;
  }
  private need(n: number, what: string): number {
    if (n > this.remaining) throw new WireError(`truncated ${what}: need ${n} bytes at offset ${this.pos}, have ${this.remaining}`);
    const at = this.pos;
    this.pos += n;
    return at;
  }
  int(): number {
    return this.view.getInt32(this.need(4, 'int'));
  }
  long(): bigint {
    return this.view.getBigInt64(this.need(8, 'long'));
  }
  bool(): boolean {
    const b = this.bytes[this.need(1, 'boolean')]!;
    if (b > 1) throw new WireError(`boolean byte ${b} at offset ${this.pos - 1}`);
    return b === 1;
  }
  /** A length prefix: −1 is null; anything else negative, or longer than what is left, is malformed. */
  length(what: string, unit = 1): number | null {
    const n = this.int();
    if (n === -1) return null;
    if (n < 0 || n * unit > this.remaining) throw new WireError(`${what} length ${n} at offset ${this.pos - 4} (${this.remaining} bytes left)`);
    return n;
  }
  buffer(): Uint8Array | null {
    const n = this.length('buffer');
    if (n === null) return null;
    const at = this.need(n, 'buffer');
    return this.bytes.subarray(at, at + n);
  }
  string(): string {
    const n = this.length('string');
    if (n === null) return ''; // a null string reads as empty: no record of ours tells them apart
    const at = this.need(n, 'string');
    return DECODER.decode(this.bytes.subarray(at, at + n));
  }
  end(what: string): void {
    if (this.remaining !== 0) throw new WireError(`${this.remaining} bytes after ${what}`);
  }
}

const DECODER = new TextDecoder('utf-8');
const ENCODER = new TextEncoder();

/**
 * Room to encode into: a slice of Node's shared pool for small sizes (a reply, a txn), not an
 * ArrayBuffer of its own each, whose allocation and tracking cost more than the encoding. The
 * bytes are not zeroed; a Writer hands out only what it wrote.
 */
const scratch = (n: number): Uint8Array => {
  const b = Buffer.allocUnsafe(n);
  return new Uint8Array(b.buffer, b.byteOffset, n); // a plain view: decoders give Uint8Arrays back
};

export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  private pos: number;
  /** `reserve` bytes are left at the front for a frame length. */
  constructor(size = 256, private readonly reserve = 0) {
    this.buf = scratch(Math.max(size, reserve + 16));
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.pos = reserve;
  }
  private room(n: number): number {
    if (this.pos + n > this.buf.length) {
      const next = scratch(Math.max(this.buf.length * 2, this.pos + n));
      next.set(this.buf.subarray(0, this.pos));
      this.buf = next;
      this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }
  int(v: number): this {
    const at = this.room(4); // before touching this.view: room() may replace it
    this.view.setInt32(at, v);
    return this;
  }
  long(v: bigint): this {
    const at = this.room(8);
    this.view.setBigInt64(at, BigInt.asIntN(64, v));
    return this;
  }
  bool(v: boolean): this {
    const at = this.room(1);
    this.buf[at] = v ? 1 : 0;
    return this;
  }
  buffer(v: Uint8Array | null): this {
    if (v === null) return this.int(-1);
    this.int(v.length);
    const at = this.room(v.length);
    this.buf.set(v, at);
    return this;
  }
  string(v: string): this {
    // Worst case 3 bytes per UTF-16 unit; encodeInto writes in place, then the length goes in front.
    const at = this.room(4 + v.length * 3);
    const { written } = ENCODER.encodeInto(v, this.buf.subarray(at + 4));
    this.view.setInt32(at, written);
    this.pos = at + 4 + written;
    return this;
  }
  raw(v: Uint8Array): this {
    const at = this.room(v.length);
    this.buf.set(v, at);
    return this;
  }
  /** The bytes written, with the frame length filled in when a prefix was reserved. */
  finish(): Uint8Array {
    if (this.reserve === 4) this.view.setInt32(0, this.pos - 4);
    return this.buf.subarray(0, this.pos);
  }
}

// ---------------------------------------------------------------- codecs

/** How a codec's values look: enough for tests to generate any value it can carry. */
export type Shape =
  | { readonly t: 'int' | 'long' | 'bool' | 'buffer' | 'string' }
  | { readonly t: 'vector'; readonly of: Shape }
  | { readonly t: 'record'; readonly fields: readonly (readonly [string, Shape])[] }
  /** A hand-written codec (multi, connect): its tests generate values themselves. */
  | { readonly t: 'custom'; readonly name: string };

export interface Codec<T> {
  readonly shape: Shape;
  read(r: Reader): T;
  write(w: Writer, v: T): void;
}

export const int: Codec<number> = { shape: { t: 'int' }, read: (r) => r.int(), write: (w, v) => void w.int(v) };
export const long: Codec<bigint> = { shape: { t: 'long' }, read: (r) => r.long(), write: (w, v) => void w.long(v) };
export const bool: Codec<boolean> = { shape: { t: 'bool' }, read: (r) => r.bool(), write: (w, v) => void w.bool(v) };
export const buffer: Codec<Uint8Array | null> = { shape: { t: 'buffer' }, read: (r) => r.buffer(), write: (w, v) => void w.buffer(v) };
export const string: Codec<string> = { shape: { t: 'string' }, read: (r) => r.string(), write: (w, v) => void w.string(v) };

/** A vector; null (−1) reads as empty, which every record here treats the same way. */
export function vector<T>(of: Codec<T>): Codec<T[]> {
  return {
    shape: { t: 'vector', of: of.shape },
    read(r) {
      const n = r.length('vector', 1) ?? 0; // every element takes at least one byte
      const out: T[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = of.read(r);
      return out;
    },
    write(w, v) {
      w.int(v.length);
      for (const x of v) of.write(w, x);
    },
  };
}

type Fields = Record<string, Codec<unknown>>;
type RecordOf<F extends Fields> = { -readonly [K in keyof F]: F[K] extends Codec<infer T> ? T : never };

/** A record: its fields in wire order. */
export function record<F extends Fields>(fields: F): Codec<RecordOf<F>> {
  const entries = Object.entries(fields);
  return {
    shape: { t: 'record', fields: entries.map(([k, c]) => [k, c.shape] as const) },
    read(r) {
      const out: Record<string, unknown> = {};
      for (const [k, c] of entries) out[k] = c.read(r);
      return out as RecordOf<F>;
    },
    write(w, v) {
      for (const [k, c] of entries) c.write(w, (v as Record<string, unknown>)[k]);
    },
  };
}

/** Decode a whole payload with `codec`; malformed or trailing bytes become an error value. */
export function decode<T>(codec: Codec<T>, bytes: Uint8Array, what = 'record'): Decoded<T> {
  return attempt(() => {
    const r = new Reader(bytes);
    const v = codec.read(r);
    r.end(what);
    return v;
  });
}

/** Run a reader; a WireError (or a RangeError from a view) becomes `{ ok: false }`. */
export function attempt<T>(f: () => T): Decoded<T> {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    if (e instanceof WireError || e instanceof RangeError) return { ok: false, error: e.message };
    throw e;
  }
}

export function encode<T>(codec: Codec<T>, v: T): Uint8Array {
  const w = new Writer();
  codec.write(w, v);
  return w.finish();
}
