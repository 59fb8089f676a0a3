// The fingerprint set the workers of a parallel search share (model/parallel-check.ts): open
// addressing over one SharedArrayBuffer, lock-free. A slot is [hi, lo]; hi is claimed with a
// compare-and-swap, then lo is written. hash64 never yields a 0 half, so 0 marks a free slot and a
// claimed slot whose lo still reads 0 is being written by the other thread this very moment.

/** Control words shared by the main thread and every worker (Int32 indices into `control`). */
export const SIZE = 0; // fingerprints in the table
export const DONE = 1; // workers that have answered the current command
export const STOP = 2; // set: every worker stops expanding (a violation was found, or an error)
export const CONTROL_WORDS = 4;

const SPIN_LIMIT = 1 << 26; // a writer stores lo right after its CAS; this bounds the wait for it

export class SharedFingerprintSet {
  readonly slots: Int32Array;
  readonly mask: number;
  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly control: Int32Array,
  ) {
    this.slots = new Int32Array(buffer);
    this.mask = this.slots.length / 2 - 1;
  }

  static create(capacity: number, control: Int32Array): SharedFingerprintSet {
    if (capacity & (capacity - 1)) throw new Error(`capacity ${capacity} is not a power of two`);
    return new SharedFingerprintSet(new SharedArrayBuffer(capacity * 8), control);
  }

  get capacity(): number {
    return this.mask + 1;
  }

  get size(): number {
    return Atomics.load(this.control, SIZE);
  }

  get bytes(): number {
    return this.buffer.byteLength;
  }

  /** Adds the fingerprint; false if it was there already (whichever thread put it there). */
  add(hi: number, lo: number): boolean {
    const h = hi | 0;
    const l = lo | 0;
    const a = this.slots;
    const mask = this.mask;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    for (let probe = 0; probe <= mask; probe++) {
      const at = i << 1;
      let k = Atomics.load(a, at);
      if (k === 0) {
        k = Atomics.compareExchange(a, at, 0, h);
        if (k === 0) {
          Atomics.store(a, at + 1, l);
          Atomics.add(this.control, SIZE, 1);
          return true;
        }
      }
      if (k === h) {
        let v = Atomics.load(a, at + 1);
        for (let spin = 0; v === 0; spin++) {
          if (spin > SPIN_LIMIT) throw new Error('a fingerprint slot was claimed but never written');
          v = Atomics.load(a, at + 1);
        }
        if (v === l) return false;
      }
      i = (i + 1) & mask;
    }
    throw new Error('the shared fingerprint table is full');
  }

  /** A copy with `capacity` slots; only while no worker is adding (between commands). */
  grown(capacity: number): SharedFingerprintSet {
    const next = SharedFingerprintSet.create(capacity, this.control);
    const from = this.slots;
    const to = next.slots;
    const mask = next.mask;
    for (let j = 0; j < from.length; j += 2) {
      const h = from[j]!;
      if (h === 0) continue;
      const l = from[j + 1]!;
      let i = ((l >>> 0) ^ Math.imul(h >>> 0, 0x9e3779b1)) & mask;
      while (to[i << 1] !== 0) i = (i + 1) & mask;
      to[i << 1] = h;
      to[(i << 1) + 1] = l;
    }
    return next;
  }

  /** Every fingerprint in the table, for spilling to disk (between commands only). */
  *entries(): Generator<[number, number]> {
    const a = this.slots;
    for (let j = 0; j < a.length; j += 2) if (a[j] !== 0) yield [a[j]! >>> 0, a[j + 1]! >>> 0];
  }
}
