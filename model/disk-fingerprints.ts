// A fingerprint set larger than memory, after TLC's DiskFPSet: an in-memory open-addressing table
// of a fixed budget and one sorted file of every fingerprint flushed so far. When the table fills,
// its fingerprints are sorted and merged with the file into a new file (sequential reads and
// writes only). A lookup that misses the table reads the one 4 KB page of the file its fingerprint
// would be on, found by binary search in an in-memory index of each page's first fingerprint.
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';

const PAGE = 512; // fingerprints per page: 4 KB
const CHUNK = 1 << 17; // fingerprints per read or write while merging: 1 MB
const FILL = 0.75; // the table is flushed past this fill

export interface DiskFingerprintStats {
  readonly flushes: number;
  readonly onDisk: number;
  readonly diskReads: number;
}

/** hash64 never yields a 0 half (model/fingerprint.ts), so a 0 hi marks a free slot. */
export class DiskFingerprintSet {
  private readonly hi: Uint32Array;
  private readonly lo: Uint32Array;
  private readonly mask: number;
  private inMemory = 0;
  private onDisk = 0;
  private file: string | null = null;
  private fd = -1;
  private indexHi = new Uint32Array(0);
  private indexLo = new Uint32Array(0);
  private readonly page = new Uint32Array(PAGE * 2);
  private pageAt = -1;
  private readonly dir: string;
  private flushes = 0;
  private diskReads = 0;
  size = 0;

  /** `memoryBytes`: the table's budget (8 bytes a slot, rounded down to a power of two slots). */
  constructor(memoryBytes: number, parent = tmpdir()) {
    if (endianness() !== 'LE') throw new Error('DiskFingerprintSet: the run files assume a little-endian machine');
    let slots = 1 << 10;
    while (slots * 2 * 8 <= memoryBytes) slots *= 2;
    this.hi = new Uint32Array(slots);
    this.lo = new Uint32Array(slots);
    this.mask = slots - 1;
    this.dir = mkdtempSync(join(parent, 'zabkit-fps-'));
  }

  get bytes(): number {
    return this.hi.byteLength + this.lo.byteLength + this.indexHi.byteLength + this.indexLo.byteLength;
  }

  get stats(): DiskFingerprintStats {
    return { flushes: this.flushes, onDisk: this.onDisk, diskReads: this.diskReads };
  }

  /** Adds the fingerprint; returns false if it was already there (in memory or on disk). */
  add(hi: number, lo: number): boolean {
    const mask = this.mask;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    for (let probe = 0; probe <= mask; probe++) {
      const h = this.hi[i]!;
      if (h === 0) break;
      if (h === hi && this.lo[i] === lo) return false;
      i = (i + 1) & mask;
    }
    if (this.onDisk > 0 && this.onFile(hi, lo)) return false;
    this.hi[i] = hi;
    this.lo[i] = lo;
    this.size++;
    if (++this.inMemory > FILL * (mask + 1)) this.flush();
    return true;
  }

  /** Removes the run file and its directory. */
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    rmSync(this.dir, { recursive: true, force: true });
  }

  private onFile(hi: number, lo: number): boolean {
    // the last page whose first fingerprint is ≤ (hi, lo)
    let a = 0;
    let b = this.indexHi.length - 1;
    if (less(hi, lo, this.indexHi[0]!, this.indexLo[0]!)) return false;
    while (a < b) {
      const m = (a + b + 1) >>> 1;
      if (less(hi, lo, this.indexHi[m]!, this.indexLo[m]!)) b = m - 1;
      else a = m;
    }
    const p = this.page;
    if (this.pageAt !== a) {
      const bytes = readSync(this.fd, p, 0, PAGE * 8, a * PAGE * 8);
      if (bytes !== Math.min(PAGE, this.onDisk - a * PAGE) * 8) throw new Error('DiskFingerprintSet: short read');
      this.pageAt = a;
      this.diskReads++;
    }
    let x = 0;
    let y = Math.min(PAGE, this.onDisk - a * PAGE) - 1;
    while (x <= y) {
      const m = (x + y) >>> 1;
      const mh = p[2 * m + 1]!;
      const ml = p[2 * m]!;
      if (mh === hi && ml === lo) return true;
      if (less(mh, ml, hi, lo)) x = m + 1;
      else y = m - 1;
    }
    return false;
  }

  /** Sorts the table, merges it with the file into a new file, and empties the table. */
  private flush(): void {
    const n = this.inMemory;
    const sorted = new BigUint64Array(n);
    const words = new Uint32Array(sorted.buffer); // little-endian: [lo, hi] per fingerprint
    let k = 0;
    for (let i = 0; i <= this.mask; i++) {
      if (this.hi[i] === 0) continue;
      words[2 * k] = this.lo[i]!;
      words[2 * k + 1] = this.hi[i]!;
      k++;
    }
    sorted.sort();
    const total = this.onDisk + n;
    const path = join(this.dir, `run-${this.flushes}.bin`);
    const out = openSync(path, 'w');
    const outBuf = new Uint32Array(CHUNK * 2);
    const inBuf = new Uint32Array(CHUNK * 2);
    const indexHi = new Uint32Array(Math.ceil(total / PAGE));
    const indexLo = new Uint32Array(indexHi.length);
    let written = 0;
    let o = 0;
    const emit = (h: number, l: number): void => {
      if (written % PAGE === 0) {
        indexHi[written / PAGE] = h;
        indexLo[written / PAGE] = l;
      }
      outBuf[2 * o] = l;
      outBuf[2 * o + 1] = h;
      written++;
      if (++o === CHUNK) {
        writeSync(out, outBuf, 0, CHUNK * 8);
        o = 0;
      }
    };
    // merge: the old file, read a chunk at a time, and the sorted table
    let fileRead = 0; // fingerprints of the old file consumed into inBuf so far
    let inLen = 0;
    let inPos = 0;
    let m = 0;
    for (let steps = 0; steps < total; steps++) {
      if (inPos === inLen && fileRead < this.onDisk) {
        const want = Math.min(CHUNK, this.onDisk - fileRead);
        const bytes = readSync(this.fd, inBuf, 0, want * 8, fileRead * 8);
        if (bytes !== want * 8) throw new Error('DiskFingerprintSet: short read while merging');
        fileRead += want;
        inLen = want;
        inPos = 0;
      }
      const haveFile = inPos < inLen;
      const haveMem = m < n;
      if (haveFile && (!haveMem || less(inBuf[2 * inPos + 1]!, inBuf[2 * inPos]!, words[2 * m + 1]!, words[2 * m]!))) {
        emit(inBuf[2 * inPos + 1]!, inBuf[2 * inPos]!);
        inPos++;
      } else {
        emit(words[2 * m + 1]!, words[2 * m]!);
        m++;
      }
    }
    if (o > 0) writeSync(out, outBuf, 0, o * 8);
    closeSync(out);
    if (this.fd >= 0) closeSync(this.fd);
    if (this.file) rmSync(this.file);
    this.file = path;
    this.fd = openSync(path, 'r');
    this.indexHi = indexHi;
    this.indexLo = indexLo;
    this.onDisk = total;
    this.pageAt = -1;
    this.hi.fill(0);
    this.lo.fill(0);
    this.inMemory = 0;
    this.flushes++;
  }
}

function less(ah: number, al: number, bh: number, bl: number): boolean {
  return ah < bh || (ah === bh && al < bl);
}
