// The storage layer against its own crash semantics (spec/persistence.md PERSIST-5, -9, -10, -11).
//
// Model: the durable state of PERSIST-1 as src/zab computes it (applyPersist, applySnapshot): the
// epochs and a history whose first entry may be a snapshot (zxid, tree). Random sequences of every
// Storage operation — append (batches, epoch changes), truncateAfter, a compaction snapshot (alone,
// or while appends go on, then a purge, as the server runs them), install (a SNAP with or without
// a snapshot, with tail txns), purge, writeEpoch, a graceful close and reopen — run against real
// files, through a file-system layer (src/shell/file-system.ts) that crashes at the N-th mutating
// call: that call does not happen, or, for a write, lands in part (a prefix; a prefix with a byte
// flipped; a prefix then zeros) — a torn last record; nothing after it happens (the machine is
// gone). N is drawn over every mutating call the sequence makes (a dry run on a copy counts them):
// between writing and renaming a temporary file, around the install and truncate markers, in the
// middle of finishing an install (old files part deleted, staged ones part renamed), inside
// recovery itself. Then `Storage.open` with node's own fs must recover exactly:
//   - after every completed operation, the model's state (reopening on the way included);
//   - for a crash inside an operation, the state before it or after it, nothing else — except an
//     append (one group-commit write), which may leave any prefix of its txns: none of them was
//     acknowledged, and a prefix of a history is a history (a torn record is cut);
//   - the same again if recovery itself crashes part-way and runs once more.
// The crash model takes each completed call as on disk (a page cache that loses unsynced writes is
// not simulated); instead the same layer audits the syncs: a file renamed into place has its data
// synced; the install and truncate markers commit only synced files and directories and go only
// once everything is synced; and every operation but purge returns with nothing unsynced (its
// promise is an acknowledgement), recovery included.
//
// Run with STORAGE_CRASH_SEED=… STORAGE_CRASH_RUNS=… to explore (STORAGE_CRASH_STATS=1 prints
// which calls the crashes fell on; STORAGE_CRASH_DIR=… puts the files elsewhere than /dev/shm);
// a failure prints the seed, the shrunk sequence and what was recovered against what was allowed.
import { constants, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeFileSystem, type FileHandleLike, type FileSystem } from '../../src/shell/file-system.ts';
import type { Logger } from '../../src/shell/logger.ts';
import { continues, Storage, StorageError, type Recovered } from '../../src/shell/storage.ts';
import { durableOf } from '../../src/shell/zab-node.ts';
import { apply, emptyTree, OPEN_ACL, prepare, type Tree, type Txn, type WriteOp } from '../../src/tree/index.ts';
import { encodeTxn } from '../../src/wire/txn.ts';
import type { Entry } from '../../src/server/types.ts';
import { applyPersist, applySnapshot, emptyDurable, type Durable, type Txn as ZabTxn } from '../../src/zab/index.ts';

// ------------------------------------------------------------------ directories

// In memory where there is /dev/shm: the test's files are many and small, and their fsyncs real.
const ROOT = mkdtempSync(join(process.env.STORAGE_CRASH_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir()), 'zabkit-storage-crash-'));
afterAll(() => rmSync(ROOT, { recursive: true, force: true }));
let dirCount = 0;
/** A new directory's path under ROOT (not made yet: Storage.open makes it). */
const freshRoot = (): string => join(ROOT, `w${dirCount++}`);

interface Dirs {
  readonly root: string;
  readonly data: string;
  readonly log: string;
}
const dirsAt = (root: string, sameDir: boolean): Dirs => ({ root, data: join(root, 'data'), log: sameDir ? join(root, 'data') : join(root, 'log') });
function copyDirs(d: Dirs, sameDir: boolean): Dirs {
  const to = freshRoot();
  if (existsSync(d.root)) cpSync(d.root, to, { recursive: true });
  return dirsAt(to, sameDir);
}

// ------------------------------------------------------------------ a logger that keeps what it is told

function memoryLogger(): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${msg} ${JSON.stringify(fields ?? {}, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

// ------------------------------------------------------------------ the crashing, auditing file system

class Crash extends Error {
  constructor(what: string) {
    super(`simulated crash at ${what}`);
  }
}

type TornMode = 'prefix' | 'flip' | 'zeros';
interface Torn {
  readonly mode: TornMode;
  /** How many bytes of the crashing write land: this modulo its length + 1. */
  readonly at: number;
  /** Which landed byte is flipped ('flip'): this modulo how many landed. */
  readonly flip: number;
}

const MARKERS = new Set(['installing', 'truncating']);

/**
 * node's fs, counting mutating calls (mkdir creating, open creating or truncating, write, writev,
 * ftruncate, rename, rm): the `crashAt`-th does not complete — a write lands in part, as `torn`
 * says — and it and every call after it throws Crash. It also keeps what is written but not synced.
 */
class CrashFs implements FileSystem {
  calls = 0;
  crashed = false;
  readonly trail: string[] = [];
  readonly violations: string[] = [];
  private readonly dirtyFiles = new Set<string>();
  private readonly dirtyDirs = new Set<string>();
  private readonly fds = new Map<number, { readonly path: string; readonly dir: boolean }>();
  readonly handles = new Set<CrashHandle>();
  readonly inflight = new Set<Promise<unknown>>();
  private lenient = false;

  constructor(
    private readonly crashAt: number,
    private readonly torn: Torn,
  ) {}

  alive(what: string): void {
    if (this.crashed) throw new Crash(`${what} (after the crash)`);
  }

  /** Begin a mutating call; true if it is the one that crashes (the caller lands its part, then throws). */
  begin(what: string): boolean {
    this.alive(what);
    this.calls++;
    this.trail.push(`#${this.calls} ${what}`);
    if (this.calls !== this.crashAt) return false;
    this.crashed = true;
    this.trail.push('  ^ crash');
    return true;
  }

  /** The part of `data` a crashing write leaves. */
  landed(data: Uint8Array): Uint8Array {
    const cut = this.torn.at % (data.length + 1);
    const out = Buffer.from(data.subarray(0, cut));
    if (this.torn.mode === 'flip' && cut > 0) {
      const i = this.torn.flip % cut;
      out[i] = out[i]! ^ 0xff;
    }
    if (this.torn.mode === 'zeros') return Buffer.concat([out, Buffer.alloc(data.length - cut)]);
    return out;
  }

  dirtyFile(path: string): void {
    this.dirtyFiles.add(path);
  }
  cleanFile(path: string): void {
    this.dirtyFiles.delete(path);
  }

  /** Everything a durable operation did is synced when it returns. */
  auditClean(what: string): void {
    if (this.dirtyFiles.size || this.dirtyDirs.size) {
      this.violations.push(`${what} returned with unsynced changes: files [${[...this.dirtyFiles].map((f) => basename(f))}] directories [${[...this.dirtyDirs]}]`);
      this.dirtyFiles.clear();
      this.dirtyDirs.clear();
    }
  }

  /** Run a purge: what it removes need not be durable (a log or snapshot it removed coming back is harmless). */
  purging<T>(f: () => T): T {
    this.lenient = true;
    try {
      return f();
    } finally {
      this.lenient = false;
    }
  }

  /** After a crash: let writes already in flight land, then close whatever is open. */
  async quiesce(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
    for (const h of this.handles) await h.real.close().catch(() => undefined);
    this.handles.clear();
    for (const fd of this.fds.keys()) nodeFileSystem.closeSync(fd);
    this.fds.clear();
  }

  mkdirSync(dir: string, options: { recursive: true }): string | undefined {
    const created: string[] = [];
    for (let d = dir; !existsSync(d); d = dirname(d)) created.push(d);
    if (created.length === 0) return nodeFileSystem.mkdirSync(dir, options);
    if (this.begin(`mkdir ${dir}`)) throw new Crash(`mkdir ${dir}`);
    const first = nodeFileSystem.mkdirSync(dir, options);
    for (const d of created) this.dirtyDirs.add(dirname(d));
    return first;
  }
  existsSync(path: string): boolean {
    this.alive(`exists ${path}`);
    return nodeFileSystem.existsSync(path);
  }
  readdirSync(dir: string): string[] {
    this.alive(`readdir ${dir}`);
    return nodeFileSystem.readdirSync(dir);
  }
  readFileSync(path: string): Buffer {
    this.alive(`read ${path}`);
    return nodeFileSystem.readFileSync(path);
  }
  private created(path: string): void {
    if (!existsSync(path)) this.dirtyDirs.add(dirname(path));
    else if (statSync(path).size > 0) this.dirtyFiles.add(path); // truncated
  }
  openSync(path: string, flags: string): number {
    const mutating = flags.startsWith('w');
    if (mutating) {
      if (this.begin(`open ${flags} ${basename(path)}`)) throw new Crash(`open ${path}`);
      this.created(path);
    } else this.alive(`open ${flags} ${path}`);
    const fd = nodeFileSystem.openSync(path, flags);
    this.fds.set(fd, { path, dir: statSync(path).isDirectory() });
    return fd;
  }
  writeFileSync(fd: number, data: Uint8Array): void {
    const f = this.fds.get(fd)!;
    if (this.begin(`write ${basename(f.path)}`)) {
      nodeFileSystem.writeFileSync(fd, this.landed(data));
      throw new Crash(`write ${f.path}`);
    }
    nodeFileSystem.writeFileSync(fd, data);
    this.dirtyFiles.add(f.path);
  }
  fsyncSync(fd: number): void {
    const f = this.fds.get(fd)!;
    this.alive(`fsync ${f.path}`);
    // Not passed on: a simulated crash loses nothing the kernel holds, so a real fsync would only
    // cost time (seconds per run on a disk); what was synced is kept here, and audited.
    if (f.dir) this.dirtyDirs.delete(f.path);
    else this.dirtyFiles.delete(f.path);
  }
  ftruncateSync(fd: number, length: number): void {
    const f = this.fds.get(fd)!;
    if (this.begin(`ftruncate ${basename(f.path)} ${length}`)) throw new Crash(`ftruncate ${f.path}`);
    nodeFileSystem.ftruncateSync(fd, length);
    this.dirtyFiles.add(f.path);
  }
  closeSync(fd: number): void {
    // Closing changes nothing on disk: allowed after the crash, so that nothing leaks.
    if (!this.fds.delete(fd)) return;
    nodeFileSystem.closeSync(fd);
  }
  renameSync(from: string, to: string): void {
    if (this.dirtyFiles.has(from)) this.violations.push(`rename ${basename(from)} → ${basename(to)} with its data unsynced`);
    if (MARKERS.has(basename(to))) this.auditCommit(`rename to the marker ${basename(to)}`, dirname(to));
    if (this.begin(`rename ${basename(from)} → ${basename(to)}`)) throw new Crash(`rename ${from}`);
    nodeFileSystem.renameSync(from, to);
    this.dirtyDirs.add(dirname(from));
    this.dirtyDirs.add(dirname(to));
    this.dirtyFiles.delete(to);
    if (this.dirtyFiles.delete(from)) this.dirtyFiles.add(to);
  }
  rmSync(path: string): void {
    if (MARKERS.has(basename(path))) this.auditCommit(`rm the marker ${basename(path)}`, undefined);
    if (this.begin(`rm ${basename(path)}`)) throw new Crash(`rm ${path}`);
    nodeFileSystem.rmSync(path);
    if (!this.lenient) this.dirtyDirs.add(dirname(path));
    this.dirtyFiles.delete(path);
  }
  /** A commit point: every file synced, every directory but `own` (the marker's, where it lands) synced. */
  private auditCommit(what: string, own: string | undefined): void {
    const dirs = [...this.dirtyDirs].filter((d) => d !== own);
    if (this.dirtyFiles.size || dirs.length) this.violations.push(`${what} with unsynced files [${[...this.dirtyFiles].map((f) => basename(f))}] directories [${dirs}]`);
  }
  async open(path: string, flags: string | number): Promise<FileHandleLike> {
    const mutating = typeof flags === 'string' ? flags.startsWith('w') : (flags & (constants.O_CREAT | constants.O_TRUNC)) !== 0;
    if (mutating) {
      if (this.begin(`open ${basename(path)}`)) throw new Crash(`open ${path}`);
      this.created(path);
    } else this.alive(`open ${path}`);
    const real = await nodeFileSystem.open(path, typeof flags === 'number' ? flags & ~constants.O_DSYNC : flags); // (as fsyncSync)
    const h = new CrashHandle(this, real as unknown as RealHandle, path, typeof flags === 'number' && (flags & constants.O_DSYNC) !== 0);
    this.handles.add(h);
    return h;
  }
}

interface RealHandle {
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  writev(buffers: readonly Uint8Array[]): Promise<unknown>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

class CrashHandle implements FileHandleLike {
  private closed = false;
  constructor(
    private readonly fs: CrashFs,
    readonly real: RealHandle,
    private readonly path: string,
    private readonly dsync: boolean,
  ) {}

  private track<T>(p: Promise<T>): Promise<T> {
    this.fs.inflight.add(p);
    void p.finally(() => this.fs.inflight.delete(p)).catch(() => undefined);
    return p;
  }

  async write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }> {
    if (this.fs.begin(`write ${basename(this.path)} @${position} +${length}`)) {
      const part = this.fs.landed(buffer.subarray(offset, offset + length));
      await this.track(this.real.write(part, 0, part.length, position));
      throw new Crash(`write ${this.path}`);
    }
    const r = await this.track(this.real.write(buffer, offset, length, position));
    if (!this.dsync) this.fs.dirtyFile(this.path);
    return r;
  }
  async writev(buffers: readonly Uint8Array[]): Promise<unknown> {
    if (this.fs.begin(`writev ${basename(this.path)}`)) {
      await this.track(this.real.writev([this.fs.landed(Buffer.concat(buffers))]));
      throw new Crash(`writev ${this.path}`);
    }
    const r = await this.track(this.real.writev(buffers));
    if (!this.dsync) this.fs.dirtyFile(this.path);
    return r;
  }
  async sync(): Promise<void> {
    this.fs.alive(`sync ${this.path}`);
    this.fs.cleanFile(this.path); // (not passed on, as fsyncSync)
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fs.handles.delete(this);
    await this.real.close();
  }
}

// ------------------------------------------------------------------ txns, trees and the model

type D = Durable<Entry>;
const E32 = 0x1_0000_0000;
const epochOf = (z: number) => Math.floor(z / E32);
const zx = (epoch: number, counter: number) => epoch * E32 + counter;
const hexZ = (z: number) => `${epochOf(z)}:${z % E32}`;
const SESSION = 7n;

const lastOf = (d: D): number => d.history.at(-1)?.zxid ?? 0;
const snapOf = (d: D): ZabTxn<Entry> | undefined => (d.history[0]?.snapshot ? d.history[0] : undefined);

/** The tree after every entry of `history` up to `z`. */
function treeAt(history: readonly ZabTxn<Entry>[], z: number): Tree {
  let tree = emptyTree();
  for (const e of history) {
    if (e.zxid > z) break;
    tree = e.value.kind === 'base' ? e.value.tree : apply(tree, e.value.txn).tree;
  }
  return tree;
}

/** The zxid after `last`: the next counter, or counter 1 of an epoch `bump` later. */
const nextZxid = (last: number, bump: number): number => (last === 0 ? zx(1 + bump, 1) : bump > 0 ? zx(epochOf(last) + bump, 1) : last + 1);

/**
 * `n` real txns after `last` on `tree`, prepared and applied by src/tree, with their digests: the
 * first `bump` epochs on, later ones now and then in a new epoch too (`plain`: never; creates only).
 */
function makeTxns(tree: Tree, last: number, n: number, bump: number, seed: number, plain = false): { txns: Txn[]; tree: Tree } {
  const txns: Txn[] = [];
  let z = last;
  for (let i = 0; i < n; i++) {
    z = nextZxid(z, i === 0 ? bump : !plain && ((seed >>> (i * 3)) & 7) === 0 ? 1 : 0);
    const r = plain ? 0 : (seed >>> i) % 5;
    const ours = [...tree.nodes.keys()].filter((p) => p.startsWith('/n')).sort();
    const write: WriteOp = !tree.sessions.has(SESSION)
      ? { op: 'createSession', timeout: 30_000 }
      : r === 3 && ours.length
        ? { op: 'setData', path: ours[(seed + i) % ours.length]!, data: Buffer.from(`set ${hexZ(z)}`), version: -1 }
        : r === 4 && ours.length
          ? { op: 'delete', path: ours[(seed + i) % ours.length]!, version: -1 }
          : { op: 'create', path: `/n${epochOf(z)}-${z % E32}`, data: Buffer.from(`at ${hexZ(z)}`), acl: OPEN_ACL, flags: 0 };
    const p = prepare(tree, { session: SESSION, auth: [], zxid: z, time: 1_000 + (z % E32), write });
    if (!p.ok) throw new Error(`test txn refused: ${JSON.stringify(write, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}` : v))} → ${p.err}`);
    tree = apply(tree, p.txn).tree;
    txns.push({ ...p.txn, digest: tree.digest });
  }
  return { txns, tree };
}

const txnEntry = (txn: Txn): ZabTxn<Entry> => ({ zxid: txn.zxid, value: { kind: 'txn', txn } });
const baseEntry = (zxid: number, tree: Tree): ZabTxn<Entry> => ({ zxid, value: { kind: 'base', tree }, snapshot: true });
const appendTo = (d: D, txns: readonly Txn[]): D => applyPersist(d, { kind: 'append', txns: txns.map(txnEntry) });

/** Every prefix of an append: what a crash inside its one write may leave. */
const prefixes = (d: D, txns: readonly Txn[]): D[] => Array.from({ length: txns.length + 1 }, (_, k) => appendTo(d, txns.slice(0, k)));

// A canonical key of a durable state (trees by content, txns by their log encoding), to compare
// what recovery returned with what the model allows.
const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? Buffer.from(x).toString('hex') : x));
const treeKeys = new WeakMap<Tree, string>();
function treeKey(t: Tree): string {
  let k = treeKeys.get(t);
  if (k === undefined) {
    const nodes = [...t.nodes.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([p, n]) => json([p, n.kind, n.czxid, n.mzxid, n.pzxid, n.ctime, n.mtime, n.version, n.aversion, n.childCreates, n.acl, n.data, [...n.children].sort()]));
    const sessions = [...t.sessions.entries()].map(([id, s]) => `${id}:${s.timeout}:${[...s.ephemerals].sort().join(',')}`).sort();
    k = `${nodes.join('\n')}|${sessions.join(',')}|${[...t.quotas].sort().join(',')}|${t.digest}`;
    treeKeys.set(t, k);
  }
  return k;
}
const durableKey = (d: D): string =>
  [
    `epochs ${d.acceptedEpoch} ${d.currentEpoch}`,
    ...d.history.map((e) => (e.value.kind === 'base' ? `S ${e.zxid} ${treeKey(e.value.tree)}` : `T ${e.zxid} ${Buffer.from(encodeTxn(e.value.txn)).toString('base64')}`)),
  ].join('\n');
/** For failure messages: epochs, then each entry's zxid (epoch:counter) and a hash of its content. */
const describeDurable = (d: D): string => {
  const hash = (text: string) => crc32(text).toString(16).padStart(8, '0').slice(0, 4);
  const entry = (e: ZabTxn<Entry>) =>
    e.value.kind === 'base'
      ? `snap@${hexZ(e.zxid)}(${e.value.tree.nodes.size} nodes #${hash(treeKey(e.value.tree))})`
      : `${hexZ(e.zxid)}#${hash(Buffer.from(encodeTxn(e.value.txn)).toString('base64'))}`;
  return `epochs ${d.acceptedEpoch}/${d.currentEpoch} [${d.history.map(entry).join(' ')}]`;
};

// ------------------------------------------------------------------ operations

type Op =
  | { readonly t: 'append'; readonly n: number; readonly bump: number; readonly seed: number }
  | { readonly t: 'truncate'; readonly pick: number }
  | { readonly t: 'snapshot'; readonly pick: number }
  | { readonly t: 'install'; readonly base: boolean; readonly fresh: boolean; readonly keep: number; readonly extra: number; readonly pick: number; readonly tail: number; readonly bump: number; readonly seed: number }
  | { readonly t: 'purge'; readonly retain: number }
  | { readonly t: 'epoch'; readonly which: 'acceptedEpoch' | 'currentEpoch'; readonly epoch: number }
  | { readonly t: 'snapshotWhileAppending'; readonly pick: number; readonly retain: number; readonly appends: readonly { readonly n: number; readonly bump: number; readonly seed: number }[] }
  | { readonly t: 'reopen' };

interface Ctx {
  storage: Storage;
  readonly dirs: Dirs;
  readonly fs: CrashFs;
  readonly logger: Logger;
  /** Storage promises that may still be running when a crash ends the step. */
  readonly started: Promise<unknown>[];
}

/** An operation made concrete against the model's state: what it does, and what a crash in it may leave. */
interface Step {
  readonly label: string;
  readonly after: D;
  /** No unsynced change may be left when it returns (everything but purge). */
  readonly durable: boolean;
  run(ctx: Ctx): Promise<void>;
  /** The states a crash inside it may leave (`before` and `after` included). */
  outcomes(): D[];
}

const bumpArb = fc.constantFrom(0, 0, 0, 1, 1, 2);
const appendArb = fc.record({ n: fc.integer({ min: 1, max: 4 }), bump: bumpArb, seed: fc.nat() });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: appendArb.map((a) => ({ t: 'append' as const, ...a })) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('truncate' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('snapshot' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('install' as const),
      base: fc.boolean(),
      fresh: fc.boolean(),
      keep: fc.nat(),
      extra: fc.integer({ min: 0, max: 3 }),
      pick: fc.nat(),
      tail: fc.integer({ min: 0, max: 3 }),
      bump: fc.integer({ min: 1, max: 2 }),
      seed: fc.nat(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('purge' as const), retain: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('epoch' as const), which: fc.constantFrom('acceptedEpoch' as const, 'currentEpoch' as const), epoch: fc.integer({ min: 0, max: 9 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('snapshotWhileAppending' as const), pick: fc.nat(), retain: fc.integer({ min: 1, max: 3 }), appends: fc.array(appendArb, { minLength: 1, maxLength: 3 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ t: 'reopen' as const }) },
);

function concretize(op: Op, d: D): Step {
  const zxids = d.history.map((e) => e.zxid);
  switch (op.t) {
    case 'append': {
      const { txns } = makeTxns(treeAt(d.history, Infinity), lastOf(d), op.n, op.bump, op.seed);
      const after = appendTo(d, txns);
      return { label: `append ${txns.map((t) => hexZ(t.zxid)).join(',')}`, after, durable: true, run: (c) => c.storage.append(txns), outcomes: () => prefixes(d, txns) };
    }
    case 'truncate': {
      const candidates = snapOf(d) ? zxids : [0, ...zxids];
      const z = candidates[op.pick % candidates.length]!;
      const after = applyPersist(d, { kind: 'truncate', zxid: z });
      return { label: `truncateAfter ${hexZ(z)}`, after, durable: true, run: (c) => c.storage.truncateAfter(z), outcomes: () => [d, after] };
    }
    case 'snapshot': {
      if (zxids.length === 0) return { label: 'snapshot (nothing to snapshot)', after: d, durable: true, run: async () => {}, outcomes: () => [d] };
      const z = zxids[op.pick % zxids.length]!;
      const tree = treeAt(d.history, z);
      const after = applySnapshot(d, z, { kind: 'base', tree });
      return { label: `snapshot ${hexZ(z)}`, after, durable: true, run: (c) => c.storage.snapshot(tree, z), outcomes: () => [d, after] };
    }
    case 'install': {
      // The leader's history: ours with new txns after it, or one made afresh in a later epoch.
      const last = lastOf(d);
      let leader: ZabTxn<Entry>[];
      if (op.base && !op.fresh) {
        const more = makeTxns(treeAt(d.history, Infinity), last, d.history.length === 0 ? Math.max(1, op.extra) : op.extra, op.bump, op.seed);
        leader = [...d.history, ...more.txns.map(txnEntry)];
      } else if (!op.base && !op.fresh && !snapOf(d)) {
        const kept = d.history.slice(0, op.keep % (d.history.length + 1));
        const more = makeTxns(treeAt(kept, Infinity), kept.at(-1)?.zxid ?? 0, op.extra, op.bump, op.seed);
        leader = [...kept, ...more.txns.map(txnEntry)];
      } else {
        const fresh = makeTxns(emptyTree(), zx(epochOf(last) + op.bump, 0), op.base ? Math.max(1, op.extra) : op.extra, 0, op.seed);
        leader = fresh.txns.map(txnEntry);
      }
      if (!op.base) {
        const txns = leader.map((e) => (e.value.kind === 'txn' ? e.value.txn : undefined)).filter((t): t is Txn => t !== undefined);
        const after = applyPersist(d, { kind: 'snapshot', txns: txns.map(txnEntry), snapIndex: 0 });
        return {
          label: `install no snapshot, txns ${txns.map((t) => hexZ(t.zxid)).join(',') || 'none'}`,
          after,
          durable: true,
          run: (c) => c.storage.install(undefined, txns),
          outcomes: () => [d, after],
        };
      }
      const at = op.pick % leader.length;
      const z = leader[at]!.zxid;
      const tree = treeAt(leader, z);
      const tail = leader.slice(at + 1, at + 1 + op.tail).map((e) => (e.value.kind === 'txn' ? e.value.txn : undefined)).filter((t): t is Txn => t !== undefined);
      const after = applyPersist(d, { kind: 'snapshot', txns: [baseEntry(z, tree), ...tail.map(txnEntry)], snapIndex: 1 });
      return {
        label: `install snapshot ${hexZ(z)}, txns ${tail.map((t) => hexZ(t.zxid)).join(',') || 'none'}`,
        after,
        durable: true,
        run: (c) => c.storage.install({ tree, zxid: z }, tail),
        outcomes: () => [d, after],
      };
    }
    case 'purge':
      return {
        label: `purge ${op.retain}`,
        after: d,
        durable: false,
        run: async (c) => {
          c.fs.purging(() => c.storage.purge(op.retain));
        },
        outcomes: () => [d],
      };
    case 'epoch': {
      const after = applyPersist(d, { kind: op.which, epoch: op.epoch });
      return {
        label: `${op.which} ${op.epoch}`,
        after,
        durable: true,
        run: async (c) => {
          c.storage.writeEpoch(op.which, op.epoch);
        },
        outcomes: () => [d, after],
      };
    }
    case 'snapshotWhileAppending': {
      // As the server runs a compaction: the snapshot is written while appends go on, and a
      // purge follows it. Any prefix of the appends may be durable, with or without the snapshot.
      if (zxids.length === 0) return concretize({ t: 'append', ...op.appends[0]! }, d);
      const z = zxids[op.pick % zxids.length]!;
      const tree = treeAt(d.history, z);
      const batches: Txn[][] = [];
      let m = d;
      for (const a of op.appends) {
        const { txns } = makeTxns(treeAt(m.history, Infinity), lastOf(m), a.n, a.bump, a.seed);
        batches.push(txns);
        m = appendTo(m, txns);
      }
      const progress = { appended: 0, snapshotted: false };
      return {
        label: `snapshot ${hexZ(z)} + purge ${op.retain} while appending ${batches.map((b) => b.map((t) => hexZ(t.zxid)).join(',')).join(' | ')}`,
        after: applySnapshot(m, z, { kind: 'base', tree }),
        durable: true,
        run: async (c) => {
          progress.appended = 0; // (the dry run used it too)
          progress.snapshotted = false;
          const storage = c.storage;
          const snap = storage.snapshot(tree, z).then(() => {
            progress.snapshotted = true;
            c.fs.purging(() => storage.purge(op.retain));
          });
          c.started.push(snap);
          snap.catch(() => undefined);
          for (const b of batches) {
            await storage.append(b);
            progress.appended++;
          }
          await snap;
        },
        outcomes: () => {
          let base = d;
          for (const b of batches.slice(0, progress.appended)) base = appendTo(base, b);
          const inFlight = batches[progress.appended];
          const appended = inFlight ? prefixes(base, inFlight) : [base];
          return appended.flatMap((x) => (progress.snapshotted ? [applySnapshot(x, z, { kind: 'base', tree })] : [x, applySnapshot(x, z, { kind: 'base', tree })]));
        },
      };
    }
    case 'reopen':
      return {
        label: 'close and reopen',
        after: d,
        durable: true,
        run: async (c) => {
          await c.storage.close();
          const { storage, recovered } = Storage.open(c.dirs.data, c.dirs.log, c.logger, c.fs);
          c.storage = storage;
          expectRecovered(recovered, [d], 'reopen after a graceful close');
        },
        outcomes: () => [d],
      };
  }
}

function expectRecovered(r: Recovered, allowed: readonly D[], what: string): D {
  const got = durableOf(r);
  const key = durableKey(got);
  const match = allowed.find((d) => durableKey(d) === key);
  if (match) return match;
  throw new Error(`${what}: recovered ${describeDurable(got)}\n  allowed:\n${[...new Set(allowed.map(describeDurable))].map((s) => `    ${s}`).join('\n')}`);
}

// ------------------------------------------------------------------ one segment: run, crash, recover

interface Segment {
  readonly ops: readonly Op[];
  /** Which of the segment's mutating calls crashes: this modulo their number + 1 (+ 1; the last: none does, killed after it). */
  readonly crash: number;
  readonly torn: Torn;
  /** Whether a segment that did not crash ends with a graceful close before the kill. */
  readonly close: boolean;
  /** Which of recovery's own mutating calls crashes (modulo their number), if one does. */
  readonly recoveryCrash: number | null;
}

const segmentArb: fc.Arbitrary<Segment> = fc.record({
  ops: fc.array(opArb, { minLength: 1, maxLength: 7 }),
  // Large numbers taken modulo a count: near uniform (fast-check biases small numbers and the
  // ends of a double's range, which would put most crashes on the first or after the last call).
  crash: fc.integer({ min: 0, max: 1 << 30 }),
  torn: fc.record({ mode: fc.constantFrom<TornMode>('prefix', 'flip', 'zeros'), at: fc.integer({ min: 0, max: 1 << 30 }), flip: fc.integer({ min: 0, max: 1 << 30 }) }),
  close: fc.boolean(),
  recoveryCrash: fc.option(fc.integer({ min: 0, max: 1 << 30 }), { nil: null }),
});

const NO_TEAR: Torn = { mode: 'prefix', at: 0, flip: 0 };

/** Open, run `steps`; a Crash ends it. Returns how far it got (-1: crashed in open; steps.length: all done). */
async function runSteps(dirs: Dirs, steps: readonly Step[], fs: CrashFs, model: D, close: boolean): Promise<{ reached: number; crashed: boolean }> {
  const logger = memoryLogger();
  let reached = -1;
  let ctx: Ctx | undefined;
  try {
    const { storage, recovered } = Storage.open(dirs.data, dirs.log, logger, fs);
    expectRecovered(recovered, [model], 'open before the segment');
    fs.auditClean('open');
    ctx = { storage, dirs, fs, logger, started: [] };
    for (reached = 0; reached < steps.length; reached++) {
      await steps[reached]!.run(ctx);
      if (steps[reached]!.durable) fs.auditClean(steps[reached]!.label);
    }
    if (close) await ctx.storage.close();
    return { reached, crashed: false };
  } catch (e) {
    if (!(e instanceof Crash)) throw e;
    await Promise.allSettled(ctx?.started ?? []);
    return { reached, crashed: true };
  } finally {
    await fs.quiesce();
  }
}

async function runSegment(dirs: Dirs, sameDir: boolean, model: D, seg: Segment): Promise<{ model: D; trail: string[] }> {
  const steps: Step[] = [];
  for (const op of seg.ops) steps.push(concretize(op, steps.at(-1)?.after ?? model));

  // A dry run on a copy counts the mutating calls (and audits a run without a crash).
  const dry = copyDirs(dirs, sameDir);
  const counter = new CrashFs(Infinity, NO_TEAR);
  await runSteps(dry, steps, counter, model, seg.close);
  rmSync(dry.root, { recursive: true, force: true });
  if (counter.violations.length) throw new Error(`durability audit:\n  ${counter.violations.join('\n  ')}`);

  const crashAt = 1 + (seg.crash % (counter.calls + 1)); // calls + 1: no crash
  if (STATS) stats.push(crashAt > counter.calls ? 'none' : '?');
  const fs = new CrashFs(crashAt, seg.torn);
  const { reached } = await runSteps(dirs, steps, fs, model, seg.close);
  if (fs.violations.length) throw new Error(`durability audit:\n  ${fs.violations.join('\n  ')}`);
  const before = reached <= 0 ? model : steps[reached - 1]!.after;
  const allowed = reached < 0 || reached >= steps.length ? [before] : steps[reached]!.outcomes();
  if (STATS) {
    const call = fs.trail.at(-2)?.replace(/^#\d+ /, '').replace(/\.[0-9a-f]{16}/g, '').replace(/ @\d+ \+\d+| \d+$|\/\S*\//g, '');
    stats[stats.length - 1] = reached < 0 ? `open: ${call}` : reached >= steps.length ? 'none' : `${steps[reached]!.label.split(' ')[0]!}: ${call}`;
  }
  const where = `crash at mutating call ${crashAt} of ${counter.calls} (${reached < 0 ? 'in open' : reached >= steps.length ? 'after the last step' : `in step ${reached}: ${steps[reached]!.label}`}); steps: ${steps.map((s, i) => `[${i}] ${s.label}`).join('; ')}\n  fs: ${fs.trail.slice(-12).join('\n      ')}`;

  // Recover a copy plainly (counting recovery's own mutating calls), then the directory itself,
  // crashing part-way through recovery first if the segment says so: the same state either way.
  const ref = copyDirs(dirs, sameDir);
  const refFs = new CrashFs(Infinity, NO_TEAR);
  let expected: D;
  try {
    const opened = Storage.open(ref.data, ref.log, memoryLogger(), refFs);
    refFs.auditClean('recovery');
    await opened.storage.close();
    expected = expectRecovered(opened.recovered, allowed, where);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n  ${where}`);
  }
  rmSync(ref.root, { recursive: true, force: true });
  if (refFs.violations.length) throw new Error(`durability audit (recovery):\n  ${refFs.violations.join('\n  ')}\n  ${where}`);
  if (seg.recoveryCrash !== null && refFs.calls > 0) {
    const again = new CrashFs(1 + (seg.recoveryCrash % refFs.calls), seg.torn);
    expect(() => Storage.open(dirs.data, dirs.log, memoryLogger(), again)).toThrow(Crash);
    await again.quiesce();
  }
  const final = Storage.open(dirs.data, dirs.log, memoryLogger()); // node's own fs
  await final.storage.close();
  try {
    expectRecovered(final.recovered, [expected], 'recovery after a crash inside recovery');
  } catch (e) {
    throw new Error(`${(e as Error).message}\n  ${where}`);
  }
  return { model: expected, trail: fs.trail };
}

// ------------------------------------------------------------------ the property

const SEED = Number(process.env.STORAGE_CRASH_SEED ?? 0x5eed_2026);
/** STORAGE_CRASH_STATS=1: print where the crashes fell. */
const STATS = process.env.STORAGE_CRASH_STATS === '1';
const stats: string[] = [];
const RUNS = Number(process.env.STORAGE_CRASH_RUNS ?? 250);

describe('storage: recovery returns exactly what was durable, whatever the crash (model-based)', () => {
  it(`random operation sequences, crashed at random mutating calls (seed ${SEED}, ${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(segmentArb, { minLength: 1, maxLength: 4 }), async (sameDir, segments) => {
        const dirs = dirsAt(freshRoot(), sameDir);
        try {
          let model = emptyDurable<Entry>();
          for (const seg of segments) model = (await runSegment(dirs, sameDir, model, seg)).model;
        } finally {
          rmSync(dirs.root, { recursive: true, force: true });
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    if (STATS) {
      const by = new Map<string, number>();
      for (const k of stats) by.set(k, (by.get(k) ?? 0) + 1);
      console.log(`crashes by step (${stats.length} segments):`, Object.fromEntries([...by].sort((a, b) => b[1] - a[1])));
    }
  }, 600_000);
});

// ------------------------------------------------------------------ fixed cases

/** A storage in a fresh directory, and a model kept beside it. */
async function fresh(sameDir = true) {
  const dirs = dirsAt(freshRoot(), sameDir);
  const logger = memoryLogger();
  let { storage } = Storage.open(dirs.data, dirs.log, logger);
  let model = emptyDurable<Entry>();
  let tree = emptyTree();
  const files = () =>
    readdirSync(join(dirs.log, 'version-2'))
      .filter((f) => f.startsWith('log.'))
      .sort();
  const w = {
    dirs,
    logger,
    get model() {
      return model;
    },
    get storage() {
      return storage;
    },
    logFile: (name: string) => join(dirs.log, 'version-2', name),
    snapFile: (name: string) => join(dirs.data, 'version-2', name),
    logs: files,
    async append(n: number, bump = 0): Promise<Txn[]> {
      const made = makeTxns(tree, lastOf(model), n, bump, 0, true);
      tree = made.tree;
      await storage.append(made.txns);
      model = appendTo(model, made.txns);
      return made.txns;
    },
    async snapshot(z = lastOf(model)): Promise<void> {
      const t = treeAt(model.history, z);
      await storage.snapshot(t, z);
      model = applySnapshot(model, z, { kind: 'base', tree: t });
    },
    async truncateAfter(z: number): Promise<void> {
      await storage.truncateAfter(z);
      model = applyPersist(model, { kind: 'truncate', zxid: z });
      tree = treeAt(model.history, Infinity);
    },
    async reopen(fs?: FileSystem): Promise<Recovered> {
      await storage.close();
      const o = Storage.open(dirs.data, dirs.log, logger, fs);
      storage = o.storage;
      return o.recovered;
    },
    expectModel(r: Recovered, what = 'recovered'): void {
      expectRecovered(r, [model], what);
    },
  };
  return w;
}

const flipByteIn = (file: string, needle: string): void => {
  const bytes = readFileSync(file);
  const at = bytes.indexOf(Buffer.from(needle));
  expect(at, `${needle} in ${file}`).toBeGreaterThan(0);
  bytes[at] = bytes[at]! ^ 0xff;
  writeFileSync(file, bytes);
};

describe('storage: gaps are refused, covered logs skipped', () => {
  it('a log file removed from the middle is a gap: refused, naming the file and the zxids', async () => {
    const w = await fresh();
    await w.append(3); // log.…1: 1:1..1:3
    await w.reopen();
    await w.append(3); // 1:4..1:6
    await w.reopen();
    await w.append(2); // 1:7..1:8
    await w.storage.close();
    expect(w.logs()).toEqual(['log.0000000100000001', 'log.0000000100000004', 'log.0000000100000007']);
    rmSync(w.logFile('log.0000000100000004'));
    expect(() => Storage.open(w.dirs.data, w.dirs.log, w.logger)).toThrow(StorageError);
    expect(() => Storage.open(w.dirs.data, w.dirs.log, w.logger)).toThrow(/log\.0000000100000007: txn 0000000100000007 follows 0000000100000003/);
  });

  it('the snapshot a purge relied on, deleted: the log after it is refused, named (dataDir ≠ dataLogDir)', async () => {
    const w = await fresh(false);
    await w.append(4); // log.…1:1: 1:1..1:4
    await w.snapshot(); // at 1:4; the next append rolls the log
    await w.append(3); // log.…1:5: 1:5..1:7
    await w.snapshot(); // at 1:7
    await w.append(2); // log.…1:8: 1:8..1:9
    expect(w.storage.purge(1)).toEqual({ snapshots: 1, logs: 2 });
    await w.storage.close();
    expect(w.logs()).toEqual(['log.0000000100000008']);
    rmSync(w.snapFile('snapshot.0000000100000007'));
    expect(() => Storage.open(w.dirs.data, w.dirs.log, w.logger)).toThrow(/log\.0000000100000008: txn 0000000100000008 follows nothing \(no snapshot\)/);
  });

  it('the newest snapshot deleted while an older one and the logs after it stay: no gap, the same history', async () => {
    const w = await fresh(false);
    await w.append(4);
    await w.snapshot(); // at 1:4
    await w.append(3);
    await w.snapshot(); // at 1:7
    await w.append(2, 1); // 2:1..2:2
    expect(w.storage.purge(2)).toEqual({ snapshots: 0, logs: 1 });
    await w.storage.close();
    rmSync(w.snapFile('snapshot.0000000100000007'));
    const r = await w.reopen();
    expect(r.snapshot?.zxid).toBe(zx(1, 4));
    expect(r.txns.map((t) => hexZ(t.zxid))).toEqual(['1:5', '1:6', '1:7', '2:1', '2:2']);
    expect(treeAt(durableOf(r).history, Infinity).digest).toBe(treeAt(w.model.history, Infinity).digest);
  });

  it('a snapshot deleted with the log that led to it purged: refused, naming the log (same epoch)', async () => {
    const w = await fresh();
    await w.append(4);
    await w.snapshot();
    await w.append(3); // 1:5..1:7, in a new log
    w.storage.purge(1);
    await w.storage.close();
    rmSync(w.snapFile('snapshot.0000000100000004'));
    expect(() => Storage.open(w.dirs.data, w.dirs.log, w.logger)).toThrow(/log\.0000000100000005: txn 0000000100000005 follows nothing/);
  });

  it('a log the snapshot wholly covers is not read: damage in it costs nothing and it is left as it is', async () => {
    const w = await fresh();
    await w.append(5); // log.…1
    await w.snapshot(); // at 1:5
    await w.append(3); // log.…6
    await w.storage.close();
    const covered = w.logFile('log.0000000100000001');
    flipByteIn(covered, 'at 1:2');
    const size = statSync(covered).size;
    const r = await w.reopen();
    w.expectModel(r);
    expect(r.snapshot?.zxid).toBe(zx(1, 5));
    expect(r.txns.map((t) => t.zxid)).toEqual([zx(1, 6), zx(1, 7), zx(1, 8)]);
    expect(w.logger.lines.join('\n')).not.toContain('damaged');
    expect(statSync(covered).size).toBe(size);
  });

  it('continues: same epoch +1, a new epoch from counter 1, nothing before: counter 1', () => {
    expect(continues(0, zx(3, 1))).toBe(true);
    expect(continues(0, zx(3, 2))).toBe(false);
    expect(continues(zx(1, 4), zx(1, 5))).toBe(true);
    expect(continues(zx(1, 4), zx(1, 6))).toBe(false);
    expect(continues(zx(1, 4), zx(3, 1))).toBe(true);
    expect(continues(zx(1, 4), zx(3, 2))).toBe(false);
    expect(continues(zx(3, 4), zx(2, 1))).toBe(false);
  });
});

/** Crash `op` at each of its mutating calls in turn (on copies of one directory); every recovery must be one of `allowed`. */
async function atEveryCrashPoint(dirs: Dirs, sameDir: boolean, op: (s: Storage) => Promise<void>, allowed: readonly D[]): Promise<number> {
  const count = new CrashFs(Infinity, NO_TEAR);
  const dry = copyDirs(dirs, sameDir);
  const opened = Storage.open(dry.data, dry.log, memoryLogger(), count);
  const before = count.calls;
  await op(opened.storage);
  await opened.storage.close();
  expect(count.violations).toEqual([]);
  for (let n = before + 1; n <= count.calls; n++) {
    for (const mode of ['prefix', 'flip'] as const) {
      const copy = copyDirs(dirs, sameDir);
      const fs = new CrashFs(n, { mode, at: 13, flip: 5 });
      const s = Storage.open(copy.data, copy.log, memoryLogger(), fs).storage;
      await expect(op(s)).rejects.toThrow(Crash);
      await fs.quiesce();
      const r = Storage.open(copy.data, copy.log, memoryLogger()).recovered;
      expectRecovered(r, allowed, `crash at call ${n} (${fs.trail.at(-2)})`);
    }
  }
  return count.calls - before;
}

describe('storage: regressions (each failed before its fix)', () => {
  it('a crash inside truncateAfter leaves the log as it was or truncated — never a cut log with later logs after it (refused as a gap)', async () => {
    const w = await fresh();
    await w.append(3); // log.…1
    await w.reopen();
    await w.append(3); // log.…4
    await w.reopen();
    await w.append(2); // log.…7
    await w.storage.close();
    const before = w.model;
    const after = applyPersist(before, { kind: 'truncate', zxid: zx(1, 2) });
    const calls = await atEveryCrashPoint(w.dirs, true, (s) => s.truncateAfter(zx(1, 2)), [before, after]);
    expect(calls).toBeGreaterThan(3);
  });

  for (const sameDir of [true, false]) {
    it(`an install rolled forward after a crash keeps the log it installed (dataDir ${sameDir ? '=' : '≠'} dataLogDir; when one, it was deleted)`, async () => {
      const w = await fresh(sameDir);
      await w.append(3); // log.…1:1: 1:1..1:3
      await w.snapshot(zx(1, 2));
      await w.append(2); // log.…1:4: 1:4..1:5
      await w.storage.close();
      const before = w.model;
      // The leader's SNAP: its snapshot at 1:5 and the txns 2:1..2:3 after it.
      const tree = treeAt(before.history, Infinity);
      const tail = makeTxns(tree, lastOf(before), 3, 1, 0, true).txns;
      const after = applyPersist(before, { kind: 'snapshot', txns: [baseEntry(zx(1, 5), tree), ...tail.map(txnEntry)], snapIndex: 1 });
      const calls = await atEveryCrashPoint(w.dirs, sameDir, (s) => s.install({ tree, zxid: zx(1, 5) }, tail), [before, after]);
      expect(calls).toBeGreaterThan(8);
    });
  }

  it('truncateAfter syncs what it cut and removed, and cuts nothing in a log a snapshot covers (damage there cut every later log)', async () => {
    const w = await fresh();
    await w.append(5); // log.…1: 1:1..1:5
    await w.snapshot(); // at 1:5
    await w.append(3); // log.…6: 1:6..1:8
    await w.storage.close();
    flipByteIn(w.logFile('log.0000000100000001'), 'at 1:2');
    w.expectModel(await w.reopen());
    const fs = new CrashFs(Infinity, NO_TEAR);
    w.expectModel(await w.reopen(fs));
    await w.truncateAfter(zx(1, 7));
    fs.auditClean('truncateAfter');
    w.expectModel(await w.reopen(), 'after truncating past a damaged covered log');
    expect(fs.violations).toEqual([]);
  });

  it('a log file that lost its header in a crash does not take later logs with it', async () => {
    const w = await fresh();
    await w.append(3); // 1:1..1:3
    await w.storage.close();
    // The next append starts log.…2:1 and crashes writing its header (call 1 opens the file,
    // call 2 writes the header; none of it lands): a file with no record.
    const crashing = new CrashFs(2, { mode: 'prefix', at: 0, flip: 0 });
    const s = Storage.open(w.dirs.data, w.dirs.log, w.logger, crashing).storage;
    await expect(s.append(makeTxns(treeAt(w.model.history, Infinity), lastOf(w.model), 1, 1, 0, true).txns)).rejects.toThrow(Crash);
    await crashing.quiesce();
    expect(w.logs()).toContain('log.0000000200000001');
    // Restarted, the server is told of a later epoch (3) and logs it; then it restarts again.
    w.expectModel(await w.reopen());
    await w.append(2, 2); // 3:1..3:2
    w.expectModel(await w.reopen(), 'the log after the headerless one kept');
  });

  it('truncateAfter leaves no log without records behind: its name would hide a later log from recovery', async () => {
    const w = await fresh();
    await w.append(3); // log.…1:1: 1:1..1:3
    await w.reopen();
    await w.append(2, 2); // log.…3:1: 3:1..3:2
    await w.truncateAfter(zx(1, 3)); // 3:1..3:2 go
    // The history goes on in epoch 2, then 4, all in one log (log.…2:1, which sorts before log.…3:1).
    await w.append(3, 1); // 2:1..2:3
    await w.append(3, 2); // 4:1..4:3
    await w.snapshot(zx(4, 1));
    w.expectModel(await w.reopen(), 'a snapshot past the name of a log left empty by a truncation');
  });

  it('recovery that crashes while cutting a damaged log recovers the same history when run again', async () => {
    const w = await fresh();
    await w.append(5); // log.…1
    await w.reopen();
    await w.append(3); // log.…6
    await w.storage.close();
    flipByteIn(w.logFile('log.0000000100000001'), 'at 1:3');
    const ref = copyDirs(w.dirs, true);
    const count = new CrashFs(Infinity, NO_TEAR);
    const expected = durableOf(Storage.open(ref.data, ref.log, memoryLogger(), count).recovered);
    expect(expected.history.map((e) => e.zxid)).toEqual([zx(1, 1), zx(1, 2)]);
    count.auditClean('recovery that cut a log');
    expect(count.violations).toEqual([]);
    for (let n = 1; n <= count.calls; n++) {
      const copy = copyDirs(w.dirs, true);
      const fs = new CrashFs(n, NO_TEAR);
      expect(() => Storage.open(copy.data, copy.log, memoryLogger(), fs)).toThrow(Crash);
      await fs.quiesce();
      expectRecovered(Storage.open(copy.data, copy.log, memoryLogger()).recovered, [expected], `recovery crashed at call ${n} (${fs.trail.at(-2)})`);
    }
  });

  it('every durable operation returns with its files and directories synced (a fresh directory included)', async () => {
    const dirs = dirsAt(freshRoot(), false);
    const fs = new CrashFs(Infinity, NO_TEAR);
    const { storage } = Storage.open(join(dirs.root, 'a', 'b'), join(dirs.root, 'c'), memoryLogger(), fs);
    fs.auditClean('open of a new directory');
    const { txns } = makeTxns(emptyTree(), 0, 4, 0, 0, true);
    await storage.append(txns);
    fs.auditClean('append');
    await storage.truncateAfter(txns[1]!.zxid);
    fs.auditClean('truncateAfter');
    storage.writeEpoch('currentEpoch', 1);
    fs.auditClean('writeEpoch');
    await storage.snapshot(treeAt(txns.slice(0, 2).map(txnEntry), Infinity), txns[1]!.zxid);
    fs.auditClean('snapshot');
    await storage.install(undefined, txns.slice(0, 1));
    fs.auditClean('install');
    await storage.close();
    expect(fs.violations).toEqual([]);
  });
});
