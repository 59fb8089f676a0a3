// The simulated disk: an in-memory file system with a page cache and crash semantics. A write
// lands in the cache at once and is durable only once synced (fsync, or a write through an O_DSYNC
// handle when it completes); a directory entry (create, rename, remove) is durable once its
// directory is synced. A power loss keeps what is durable, and of a file's unsynced tail a prefix,
// a prefix with a byte flipped, or a prefix then zeros (a torn write); a killed process loses
// nothing the kernel already has. Asynchronous calls complete after a delay drawn from the seed,
// sometimes long (a slow or stalled fsync), as events of the process that made them: a process
// that dies never sees them complete.
import { constants } from 'node:fs';
import type { FileHandleLike, FileSystem } from '../src/shell/file-system.ts';
import type { Random } from './random.ts';
import type { Proc, Scheduler } from './scheduler.ts';

export interface DiskOptions {
  /** Completion delay of an asynchronous call, in ms. */
  readonly minDelay: number;
  readonly maxDelay: number;
  /** Probability that a sync (or O_DSYNC write) stalls for up to `stallMs`. */
  readonly stallChance: number;
  readonly stallMs: number;
  /** On a power loss, the chance that an unsynced tail is torn rather than lost whole. */
  readonly tornChance: number;
}

type Inode = FileNode | DirNode;
interface FileNode {
  readonly kind: 'file';
  data: Buffer;
  synced: Buffer;
}
interface DirNode {
  readonly kind: 'dir';
  entries: Map<string, Inode>;
  durable: Map<string, Inode>;
}

function fsError(code: string, what: string, path: string): Error {
  return Object.assign(new Error(`${code}: ${what} '${path}' (simulated)`), { code });
}

const parts = (path: string) => path.split('/').filter((p) => p !== '' && p !== '.');

export class SimDisk {
  private root: DirNode = { kind: 'dir', entries: new Map(), durable: new Map() };
  private readonly fds = new Map<number, { readonly node: Inode; pos: number; readonly dsync: boolean; readonly path: string }>();
  private nextFd = 3;
  /** What the last power losses did to unsynced tails (for the run's report). */
  readonly tears: string[] = [];
  /** Every mutating call, when debugging a run (ZABKIT_SIM_FS=1 with --verbose). */
  note: ((line: string) => void) | null = null;

  constructor(
    private readonly sched: Scheduler,
    private readonly random: Random,
    public options: DiskOptions,
  ) {}

  /** The file system as process `owner` uses it. */
  view(owner: Proc): FileSystem {
    return new SimFileSystem(this, owner);
  }

  // ---------------------------------------------------------------- faults

  /** Power loss: only what is durable stays, and perhaps a torn piece of an unsynced tail. */
  powerLoss(): void {
    this.note?.('POWER LOSS');
    this.fds.clear();
    const walk = (d: DirNode, path: string) => {
      d.entries = new Map(d.durable);
      for (const [name, n] of d.entries) {
        if (n.kind === 'dir') walk(n, `${path}/${name}`);
        else this.tear(n, `${path}/${name}`);
      }
    };
    walk(this.root, '');
  }

  /** A killed process: its open files close; the kernel keeps every write. */
  processDied(): void {
    this.fds.clear();
  }

  /** The whole directory is gone (a lost disk): the server must rebuild from its peers. */
  wipe(dir: string): void {
    const ps = parts(dir);
    const parent = this.lookup(ps.slice(0, -1));
    const name = ps[ps.length - 1];
    if (parent?.kind !== 'dir' || name === undefined) return;
    parent.entries.delete(name);
    parent.durable.delete(name);
  }

  private tear(f: FileNode, path: string): void {
    const { data, synced } = f;
    const appended = data.length > synced.length && data.subarray(0, synced.length).equals(synced);
    if (!appended || !this.random.chance(this.options.tornChance)) {
      f.data = Buffer.from(synced);
      return;
    }
    const extra = data.subarray(synced.length);
    const keep = this.random.int(0, extra.length);
    const mode = this.random.pick(['prefix', 'flip', 'zeros'] as const);
    const piece = Buffer.from(extra.subarray(0, keep));
    if (mode === 'flip' && keep > 0) {
      const i = this.random.int(0, keep - 1);
      piece[i] = piece[i]! ^ 0xff;
    }
    const tail = mode === 'zeros' ? Buffer.concat([piece, Buffer.alloc(extra.length - keep)]) : piece;
    f.data = Buffer.concat([synced, tail]);
    f.synced = Buffer.from(f.data);
    this.tears.push(`${path}: ${keep} of ${extra.length} unsynced bytes kept (${mode})`);
  }

  // ---------------------------------------------------------------- the file system

  lookup(ps: readonly string[]): Inode | undefined {
    let n: Inode = this.root;
    for (const p of ps) {
      if (n.kind !== 'dir') return undefined;
      const next: Inode | undefined = n.entries.get(p);
      if (!next) return undefined;
      n = next;
    }
    return n;
  }

  parentOf(path: string): { dir: DirNode; name: string } {
    const ps = parts(path);
    const name = ps.pop();
    const dir = this.lookup(ps);
    if (name === undefined || dir?.kind !== 'dir') throw fsError('ENOENT', 'no such directory for', path);
    return { dir, name };
  }

  mkdir(dir: string): string | undefined {
    let n: DirNode = this.root;
    let first: string | undefined;
    let at = '';
    for (const p of parts(dir)) {
      at += `/${p}`;
      const next = n.entries.get(p);
      if (next?.kind === 'file') throw fsError('ENOTDIR', 'not a directory', at);
      if (next) n = next;
      else {
        const made: DirNode = { kind: 'dir', entries: new Map(), durable: new Map() };
        n.entries.set(p, made);
        first ??= at;
        n = made;
      }
    }
    return first;
  }

  openFile(path: string, create: boolean, truncate: boolean, dsync: boolean): number {
    if (create || truncate) this.note?.(`open ${path}${create ? ' create' : ''}${truncate ? ' truncate' : ''}${dsync ? ' dsync' : ''}`);
    let node = this.lookup(parts(path));
    if (!node) {
      if (!create) throw fsError('ENOENT', 'no such file', path);
      const { dir, name } = this.parentOf(path);
      node = { kind: 'file', data: Buffer.alloc(0), synced: Buffer.alloc(0) };
      dir.entries.set(name, node);
    } else if (node.kind === 'file' && truncate) node.data = Buffer.alloc(0);
    const fd = this.nextFd++;
    this.fds.set(fd, { node, pos: 0, dsync, path });
    return fd;
  }

  fd(fd: number): { readonly node: Inode; pos: number; readonly dsync: boolean; readonly path: string } {
    const f = this.fds.get(fd);
    if (!f) throw fsError('EBADF', 'bad file descriptor', String(fd));
    return f;
  }

  closeFd(fd: number): void {
    this.fds.delete(fd);
  }

  writeAt(fd: number, bytes: Uint8Array, pos: number): void {
    const f = this.fd(fd);
    this.note?.(`write ${f.path} ${bytes.length} at ${pos}`);
    if (f.node.kind !== 'file') throw fsError('EISDIR', 'is a directory', f.path);
    const n = f.node;
    const end = pos + bytes.length;
    const data = end > n.data.length ? Buffer.concat([n.data, Buffer.alloc(end - n.data.length)]) : Buffer.from(n.data);
    data.set(bytes, pos);
    n.data = data;
    f.pos = end;
  }

  sync(fd: number, upTo?: number): void {
    const f = this.fds.get(fd);
    if (!f) return; // closed by a crash meanwhile
    this.note?.(`sync ${f.path}${upTo !== undefined ? ` to ${upTo}` : ''}`);
    if (f.node.kind === 'dir') f.node.durable = new Map(f.node.entries);
    else f.node.synced = Buffer.from(upTo === undefined ? f.node.data : f.node.data.subarray(0, Math.max(upTo, f.node.synced.length)));
  }

  /** An asynchronous call's completion, as an event of `owner`. */
  later<T>(owner: Proc, work: () => T, mayStall: boolean): Promise<T> {
    const { minDelay, maxDelay, stallChance, stallMs } = this.options;
    let d = this.random.int(minDelay, maxDelay);
    if (mayStall && this.random.chance(stallChance)) d += this.random.int(stallMs / 4, stallMs);
    return new Promise<T>((resolve, reject) => {
      this.sched.after(d, owner, () => {
        try {
          resolve(work());
        } catch (e) {
          reject(e as Error);
        }
      });
    });
  }
}

class SimFileSystem implements FileSystem {
  constructor(
    private readonly disk: SimDisk,
    private readonly owner: Proc,
  ) {}

  private alive(): void {
    if (!this.owner.alive) throw new Error(`${this.owner.name} is not running (simulated)`);
  }

  mkdirSync(dir: string): string | undefined {
    this.alive();
    return this.disk.mkdir(dir);
  }
  existsSync(path: string): boolean {
    return this.disk.lookup(parts(path)) !== undefined;
  }
  readdirSync(dir: string): string[] {
    const n = this.disk.lookup(parts(dir));
    if (n?.kind !== 'dir') throw fsError('ENOTDIR', 'not a directory', dir);
    return [...n.entries.keys()].sort();
  }
  readFileSync(path: string): Buffer {
    const n = this.disk.lookup(parts(path));
    if (!n) throw fsError('ENOENT', 'no such file', path);
    if (n.kind !== 'file') throw fsError('EISDIR', 'is a directory', path);
    return Buffer.from(n.data);
  }
  openSync(path: string, flags: string): number {
    this.alive();
    if (flags === 'r') {
      if (!this.disk.lookup(parts(path))) throw fsError('ENOENT', 'no such file', path);
      return this.disk.openFile(path, false, false, false);
    }
    return this.disk.openFile(path, flags === 'w', flags === 'w', false);
  }
  writeFileSync(fd: number, data: Uint8Array): void {
    this.alive();
    const f = this.disk.fd(fd);
    this.disk.writeAt(fd, data, f.pos);
  }
  fsyncSync(fd: number): void {
    this.alive();
    this.disk.sync(fd);
  }
  ftruncateSync(fd: number, length: number): void {
    this.alive();
    this.disk.note?.(`ftruncate ${this.disk.fd(fd).path} ${length}`);
    const f = this.disk.fd(fd);
    if (f.node.kind === 'file') f.node.data = Buffer.from(f.node.data.subarray(0, length));
  }
  closeSync(fd: number): void {
    this.disk.closeFd(fd);
  }
  renameSync(from: string, to: string): void {
    this.alive();
    this.disk.note?.(`rename ${from} ${to}`);
    const a = this.disk.parentOf(from);
    const node = a.dir.entries.get(a.name);
    if (!node) throw fsError('ENOENT', 'no such file', from);
    const b = this.disk.parentOf(to);
    a.dir.entries.delete(a.name);
    b.dir.entries.set(b.name, node);
  }
  rmSync(path: string): void {
    this.alive();
    this.disk.note?.(`rm ${path}`);
    const { dir, name } = this.disk.parentOf(path);
    if (!dir.entries.delete(name)) throw fsError('ENOENT', 'no such file', path);
  }
  open(path: string, flags: string | number): Promise<FileHandleLike> {
    this.alive();
    const disk = this.disk;
    const owner = this.owner;
    const create = typeof flags === 'number' ? (flags & constants.O_CREAT) !== 0 : flags === 'w';
    const truncate = typeof flags === 'number' ? (flags & constants.O_TRUNC) !== 0 : flags === 'w';
    const dsync = typeof flags === 'number' && (flags & constants.O_DSYNC) !== 0;
    return disk.later(
      owner,
      () => {
        const fd = disk.openFile(path, create, truncate, dsync);
        let pos = 0;
        const handle: FileHandleLike = {
          write: (buffer, offset, length, position) => {
            disk.writeAt(fd, buffer.subarray(offset, offset + length), position);
            pos = position + length;
            const end = pos;
            return disk.later(owner, () => {
              if (dsync) disk.sync(fd, end);
              return { bytesWritten: length };
            }, dsync);
          },
          writev: (buffers) => {
            for (const b of buffers) {
              disk.writeAt(fd, b, pos);
              pos += b.length;
            }
            return disk.later(owner, () => undefined, false);
          },
          sync: () => disk.later(owner, () => disk.sync(fd), true),
          close: () => disk.later(owner, () => disk.closeFd(fd), false),
        };
        return handle;
      },
      false,
    );
  }
}
