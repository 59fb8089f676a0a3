// The BFS queue with its middle on disk: pushes go to an in-memory tail; past a budget, full
// batches of the tail are serialized (node:v8) to files; shifts take from an in-memory head,
// refilled from the oldest batch on disk, then from the tail. The order is exactly a plain
// array's, so the search (and its counts) does not change. A batch file is removed once read.
// What a serialized node loses: the structure it shared with its parent and its cached part
// hashes (model/fingerprint.ts), which its children then re-encode once.
import { closeSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';

const BATCHES_PER_FILE = 64;

interface Batch {
  readonly file: number;
  readonly offset: number;
  readonly bytes: number;
}

export class DiskFrontier<X> {
  private head: X[] = [];
  private at = 0;
  private tail: X[] = [];
  private readonly batches: Batch[] = [];
  private batchAt = 0;
  private readonly files = new Map<number, { fd: number; path: string; unread: number; size: number; count: number }>();
  private writing = -1;
  private readonly dir: string;
  private onDisk = 0;
  written = 0;

  /** `batch`: items per batch; `memory`: items kept in memory (head + tail) before spilling. */
  constructor(
    private readonly batch = 4096,
    private readonly memory = 65536,
    parent = tmpdir(),
  ) {
    this.dir = mkdtempSync(join(parent, 'zabkit-frontier-'));
  }

  get length(): number {
    return this.head.length - this.at + this.onDisk + this.tail.length;
  }

  push(x: X): void {
    this.tail.push(x);
    if (this.tail.length >= this.batch && this.head.length - this.at + this.tail.length > this.memory) this.spill();
  }

  shift(): X | undefined {
    if (this.at === this.head.length) this.refill();
    if (this.at === this.head.length) return undefined;
    const x = this.head[this.at]!;
    this.head[this.at++] = undefined as X; // let it go
    return x;
  }

  close(): void {
    for (const f of this.files.values()) closeSync(f.fd);
    this.files.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private spill(): void {
    const data = serialize(this.tail);
    if (this.writing < 0 || this.files.get(this.writing)!.count >= BATCHES_PER_FILE) {
      const old = this.files.get(this.writing);
      if (old && old.unread === 0) this.drop(this.writing);
      this.writing++;
      const path = join(this.dir, `batch-${this.writing}.bin`);
      this.files.set(this.writing, { fd: openSync(path, 'w+'), path, unread: 0, size: 0, count: 0 });
    }
    const f = this.files.get(this.writing)!;
    writeSync(f.fd, data, 0, data.length, f.size);
    this.batches.push({ file: this.writing, offset: f.size, bytes: data.length });
    f.size += data.length;
    f.unread++;
    f.count++;
    this.onDisk += this.tail.length;
    this.written += this.tail.length;
    this.tail = [];
  }

  private drop(file: number): void {
    const f = this.files.get(file)!;
    closeSync(f.fd);
    unlinkSync(f.path);
    this.files.delete(file);
  }

  private refill(): void {
    this.head = [];
    this.at = 0;
    if (this.batchAt < this.batches.length) {
      const b = this.batches[this.batchAt]!;
      this.batches[this.batchAt++] = undefined as unknown as Batch;
      const f = this.files.get(b.file)!;
      const buf = Buffer.allocUnsafe(b.bytes);
      if (readSync(f.fd, buf, 0, b.bytes, b.offset) !== b.bytes) throw new Error('DiskFrontier: short read');
      this.head = deserialize(buf) as X[];
      this.onDisk -= this.head.length;
      if (--f.unread === 0 && b.file !== this.writing) this.drop(b.file);
      return;
    }
    this.head = this.tail;
    this.tail = [];
  }
}
