// Durable storage (spec/persistence.md): the epoch files, the txn log and snapshots.
// Log: files `log.<first zxid, 16 hex>` of records [u32 length][u32 crc32][txn], opened O_DSYNC:
// a write returns once its records are durable (as write + fdatasync, in one call to the
// thread pool), and a record is acknowledged only after that; one write carries every record
// queued since the last (group commit). Snapshots: `snapshot.<zxid>` = header, crc, tree.
// Recovery keeps the newest valid snapshot and the log records after it up to the first torn
// or corrupt record, and cuts the log there: what follows was never acknowledged. A log that
// does not continue the snapshot (a gap) stops the server: that history is not the one it wrote.
// A SNAP from a leader replaces everything at once (PERSIST-11): its snapshot and log are
// written under names recovery ignores, a marker file commits them, and then they take the
// place of the old files; a restart finds either the old state or, rolling the marker
// forward, the new one — never a mixture. A TRUNC is committed the same way (a marker naming
// the zxid), so that a crash part-way never leaves a log with a hole in it.
// Every file-system call goes through `fs` (file-system.ts: node:fs itself in production), so
// that a test can crash the storage after any of them (test/shell/storage-crash.test.ts).
import { constants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { continues } from '../zab/zxid.ts';
import { crc32 } from 'node:zlib';
import { deserializeTree, serializeTreeInSteps, type Tree, type Txn } from '../tree/index.ts';
import { decodeTxn, encodeTxn } from '../wire/txn.ts';
import { nodeFileSystem, type FileHandleLike, type FileSystem } from './file-system.ts';
import type { Logger } from './logger.ts';

const LOG_MAGIC = 0x5a424c47; // "ZBLG"
const SNAP_MAGIC = 0x5a42534e; // "ZBSN"
const FORMAT = 1;
const LOG_HEADER = 8;
const SNAP_HEADER = 20; // magic, format, zxid (8), crc32 of the body

const INSTALL_MARKER = 'installing';
const TRUNCATE_MARKER = 'truncating';
const STAGED = '.install';
const TMP = '.tmp';

const hex = (zxid: number): string => zxid.toString(16).padStart(16, '0');
export { continues }; // the gap rule (src/zab/zxid.ts), re-exported for the storage tests
const zxidOfName = (name: string): number => parseInt(name.slice(name.indexOf('.') + 1), 16);

export interface Recovered {
  readonly acceptedEpoch: number;
  readonly currentEpoch: number;
  /** The newest valid snapshot, if any. */
  readonly snapshot?: { readonly zxid: number; readonly tree: Tree };
  /** Logged txns after the snapshot, in zxid order. */
  readonly txns: readonly Txn[];
}

export class StorageError extends Error {}

const installMarker = z.object({ snapshot: z.string().regex(/^snapshot\.[0-9a-f]{16}$/).optional(), log: z.string().regex(/^log\.[0-9a-f]{16}$/).optional() });

/** JSON, or the text itself when it is not (a marker's schema then refuses it by name). */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function logHeader(): Buffer {
  const head = Buffer.alloc(LOG_HEADER);
  head.writeUInt32BE(LOG_MAGIC, 0);
  head.writeUInt32BE(FORMAT, 4);
  return head;
}

/** Log records, `[length][crc32][txn]` each, as buffers to write in one call. */
function records(txns: readonly Txn[]): Buffer[] {
  const parts: Buffer[] = [];
  for (const t of txns) {
    const payload = encodeTxn(t);
    const head = Buffer.allocUnsafe(8);
    head.writeUInt32BE(payload.length, 0);
    head.writeUInt32BE(crc32(payload), 4);
    parts.push(head, Buffer.from(payload.buffer, payload.byteOffset, payload.length));
  }
  return parts;
}

export class Storage {
  private log: FileHandleLike | null = null;
  private logPos = 0;
  /** Start a new log file with the next append (after a snapshot, a truncation or a SNAP). */
  private rollAt = false;

  private constructor(
    readonly snapDir: string,
    readonly logDir: string,
    private readonly logger: Logger,
    private readonly fs: FileSystem,
  ) {}

  /** Open (creating) the directories and recover what they hold. */
  static open(dataDir: string, dataLogDir: string, logger: Logger, fs: FileSystem = nodeFileSystem): { storage: Storage; recovered: Recovered } {
    const s = new Storage(join(dataDir, 'version-2'), join(dataLogDir, 'version-2'), logger, fs);
    s.makeDir(s.snapDir);
    s.makeDir(s.logDir);
    s.clearLeftovers();
    s.finishInstall();
    s.finishTruncate();
    return { storage: s, recovered: s.recover() };
  }

  private listed(dir: string, prefix: string): string[] {
    return this.fs
      .readdirSync(dir)
      .filter((f) => f.startsWith(`${prefix}.`) && /^[0-9a-f]{16}$/.test(f.slice(prefix.length + 1)))
      .sort();
  }

  private fsyncDir(dir: string): void {
    const fd = this.fs.openSync(dir, 'r');
    try {
      this.fs.fsyncSync(fd);
    } finally {
      this.fs.closeSync(fd);
    }
  }

  /**
   * mkdir -p; a directory it creates is durable once the entry in its parent is: each parent
   * synced (a parent this process may write but not read cannot be: said, not fatal).
   */
  private makeDir(dir: string): void {
    const first = this.fs.mkdirSync(dir, { recursive: true });
    if (first === undefined) return;
    const top = resolve(first);
    for (let d = resolve(dir); dirname(d) !== d; d = dirname(d)) {
      try {
        this.fsyncDir(dirname(d));
      } catch (e) {
        this.logger.warn('could not sync a new directory into its parent', { dir: d, error: (e as Error).message });
      }
      if (d === top) return;
    }
  }

  /** What a crash left half-made: temporary files, and the staged files of an install it never committed. */
  private clearLeftovers(): void {
    const committed = this.fs.existsSync(join(this.snapDir, INSTALL_MARKER));
    for (const dir of this.snapDir === this.logDir ? [this.snapDir] : [this.snapDir, this.logDir]) {
      const gone = this.fs.readdirSync(dir).filter((f) => f.endsWith(TMP) || (!committed && f.endsWith(STAGED)));
      for (const f of gone) this.fs.rmSync(join(dir, f));
      if (gone.length > 0) this.fsyncDir(dir);
    }
  }

  // ---------------------------------------------------------------- recovery

  private readEpoch(name: string): number {
    const file = join(this.snapDir, name);
    if (!this.fs.existsSync(file)) return 0;
    const text = this.fs.readFileSync(file).toString('utf8').trim();
    if (!/^\d+$/.test(text)) throw new StorageError(`${file}: '${text}' is not an epoch`);
    return Number(text);
  }

  private loadSnapshot(): Recovered['snapshot'] {
    for (const name of this.listed(this.snapDir, 'snapshot').reverse()) {
      const file = join(this.snapDir, name);
      const bytes = this.fs.readFileSync(file);
      const problem = (() => {
        if (bytes.length < SNAP_HEADER || bytes.readUInt32BE(0) !== SNAP_MAGIC) return 'not a zabkit snapshot';
        if (bytes.readUInt32BE(4) !== FORMAT) return `format ${bytes.readUInt32BE(4)}`;
        if (crc32(bytes.subarray(SNAP_HEADER)) !== bytes.readUInt32BE(16)) return 'crc mismatch';
        return undefined;
      })();
      const loaded = problem ? { ok: false as const, error: problem } : deserializeTree(bytes.subarray(SNAP_HEADER));
      if (loaded.ok) return { zxid: Number(bytes.readBigInt64BE(8)), tree: loaded.tree };
      this.logger.warn('skipping damaged snapshot', { file, error: loaded.error });
    }
    return undefined;
  }

  private recover(): Recovered {
    const acceptedEpoch = this.readEpoch('acceptedEpoch');
    const currentEpoch = this.readEpoch('currentEpoch');
    const snapshot = this.loadSnapshot();
    const after = snapshot?.zxid ?? 0;
    const txns: Txn[] = [];
    let last = after;
    let gap: string | undefined;
    let removed = false;
    const files = this.listed(this.logDir, 'log');
    for (let i = 0; i < files.length; i++) {
      // A log whose successor starts at or before the snapshot's next txn holds only what the
      // snapshot holds: not read at all (as ZooKeeper picks its logs). The rest are read, and a
      // record the snapshot covers is checked but not decoded.
      const next = files[i + 1];
      if (next !== undefined && zxidOfName(next) <= after + 1) continue;
      const file = join(this.logDir, files[i]!);
      const bytes = this.fs.readFileSync(file);
      if (bytes.length <= LOG_HEADER) {
        // No record: a crash while it was being started. Its name would misplace later logs
        // (named by their first zxid, which may sort before it): it goes, and only it.
        this.fs.rmSync(file);
        removed = true;
        continue;
      }
      const cut = this.scanLog(bytes, after, (t) => {
        if (t.zxid <= last) return false; // out of order: treat as damage
        if (!continues(last, t.zxid)) {
          gap = `${file}: txn ${hex(t.zxid)} follows ${last === after ? (snapshot ? `the snapshot at ${hex(after)}` : 'nothing (no snapshot)') : hex(last)}`;
          return false;
        }
        txns.push(t);
        last = t.zxid;
        return true;
      });
      if (gap !== undefined) {
        throw new StorageError(`the txn log does not continue the history (${gap}): refusing to start with a history that lost txns; restore the data directory or remove it to rejoin by SNAP`);
      }
      if (cut !== undefined) {
        // Nothing after a damaged record was acknowledged: the fsync covering it never returned.
        this.logger.warn('txn log damaged: cutting it at the last good record', { file, offset: cut.offset, reason: cut.reason });
        this.cutLog(files, i, cut.offset);
        removed = false; // cutLog synced the directory
        break;
      }
    }
    if (removed) this.fsyncDir(this.logDir);
    this.logger.info('recovered', { snapshotZxid: hex(after), logged: txns.length, lastZxid: hex(last), acceptedEpoch, currentEpoch });
    return { acceptedEpoch, currentEpoch, ...(snapshot ? { snapshot } : {}), txns };
  }

  /**
   * Read a log's records in order; the first damage (or a record `take` refuses) is where to cut
   * it. Records up to zxid `skip` (a snapshot holds them) are CRC-checked, not decoded or taken.
   */
  private scanLog(b: Buffer, skip: number, take: (t: Txn) => boolean): { offset: number; reason: string } | undefined {
    if (b.length < LOG_HEADER || b.readUInt32BE(0) !== LOG_MAGIC || b.readUInt32BE(4) !== FORMAT) {
      return { offset: 0, reason: 'bad header' };
    }
    let at = LOG_HEADER;
    while (at < b.length) {
      if (b.length - at < 8) return { offset: at, reason: 'torn record header' };
      const n = b.readUInt32BE(at);
      if (n > b.length - at - 8) return { offset: at, reason: 'torn record' };
      const payload = b.subarray(at + 8, at + 8 + n);
      if (crc32(payload) !== b.readUInt32BE(at + 4)) return { offset: at, reason: 'crc mismatch' };
      if (n >= 8 && Number(payload.readBigInt64BE(0)) <= skip) {
        at += 8 + n; // a txn's encoding starts with its zxid
        continue;
      }
      const t = decodeTxn(payload);
      if (!t.ok) return { offset: at, reason: t.error };
      if (!take(t.value)) return { offset: at, reason: 'zxid out of order' };
      at += 8 + n;
    }
    return undefined;
  }

  /**
   * Cut log `files[index]` at `offset` and remove every later log — newest first, so that a crash
   * part-way leaves logs that read as before (the same cut is made again), never a cut log
   * followed by later ones (a hole). A log left without a record goes; the cut is synced.
   */
  private cutLog(files: readonly string[], index: number, offset: number): void {
    for (const later of files.slice(index + 1).reverse()) this.fs.rmSync(join(this.logDir, later));
    const file = join(this.logDir, files[index]!);
    if (offset <= LOG_HEADER) {
      this.fs.rmSync(file);
    } else {
      const fd = this.fs.openSync(file, 'r+');
      try {
        this.fs.ftruncateSync(fd, offset);
        this.fs.fsyncSync(fd);
      } finally {
        this.fs.closeSync(fd);
      }
    }
    this.fsyncDir(this.logDir);
  }

  // ---------------------------------------------------------------- epochs

  /** Write an epoch file durably: temp file, fsync, rename, fsync the directory. */
  writeEpoch(name: 'acceptedEpoch' | 'currentEpoch', epoch: number): void {
    this.replaceFile(name, Buffer.from(`${epoch}\n`));
  }

  private replaceFile(name: string, bytes: Uint8Array): void {
    const file = join(this.snapDir, name);
    const tmp = `${file}${TMP}`;
    const fd = this.fs.openSync(tmp, 'w');
    try {
      this.fs.writeFileSync(fd, bytes);
      this.fs.fsyncSync(fd);
    } finally {
      this.fs.closeSync(fd);
    }
    this.fs.renameSync(tmp, file);
    this.fsyncDir(this.snapDir);
  }

  // ---------------------------------------------------------------- the log

  /** Append txns as one write, durable when it returns (O_DSYNC; group commit). */
  async append(txns: readonly Txn[]): Promise<void> {
    if (txns.length === 0) return;
    if (!this.log || this.rollAt) await this.startLog(txns[0]!.zxid);
    const buf = Buffer.concat(records(txns));
    const log = this.log!;
    for (let done = 0; done < buf.length; ) {
      const { bytesWritten } = await log.write(buf, done, buf.length - done, this.logPos);
      done += bytesWritten;
      this.logPos += bytesWritten;
    }
  }

  private async startLog(firstZxid: number): Promise<void> {
    await this.log?.close();
    const file = join(this.logDir, `log.${hex(firstZxid)}`);
    // O_DSYNC (see the top of this file): one trip to the thread pool per group commit, not two.
    this.log = await this.fs.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_DSYNC);
    await this.log.write(logHeader(), 0, LOG_HEADER, 0);
    await this.log.sync();
    this.fsyncDir(this.logDir);
    this.logPos = LOG_HEADER;
    this.rollAt = false;
  }

  /**
   * Drop every logged txn after `zxid` (TRUNC, SYNC-3; PERSIST-5), crash-atomically: a marker
   * naming `zxid` commits the truncation and a restart rolls it forward, so that a crash leaves
   * the log as it was or truncated — never cut with later logs left after it, which a restart
   * would have to refuse as a gap.
   */
  async truncateAfter(zxid: number): Promise<void> {
    await this.log?.close();
    this.log = null;
    this.rollAt = true;
    if (this.findCut(zxid) === undefined) return; // no record after it
    this.replaceFile(TRUNCATE_MARKER, Buffer.from(`${zxid}\n`)); // the commit point
    this.finishTruncate();
  }

  /** Complete a truncation whose marker is durable (again, after a crash: each step can be redone). */
  private finishTruncate(): void {
    const marker = join(this.snapDir, TRUNCATE_MARKER);
    if (!this.fs.existsSync(marker)) return;
    const text = this.fs.readFileSync(marker).toString('utf8').trim();
    if (!/^\d+$/.test(text)) throw new StorageError(`${marker}: '${text}' is not a zxid`);
    const zxid = Number(text);
    const cut = this.findCut(zxid);
    if (cut !== undefined) this.cutLog(cut.files, cut.index, cut.offset);
    this.fs.rmSync(marker);
    this.fsyncDir(this.snapDir);
    this.logger.info('txn log truncated', { after: hex(zxid) });
  }

  /** Where the first logged record after `zxid` is: a log (index into `files`) and an offset in it. */
  private findCut(zxid: number): { files: string[]; index: number; offset: number } | undefined {
    const files = this.listed(this.logDir, 'log');
    for (let i = 0; i < files.length; i++) {
      // A log whose successor starts at or before zxid + 1 holds nothing after zxid (as recovery
      // reads them): not read, and damage in it (a log a snapshot covers) cuts nothing.
      const next = files[i + 1];
      if (next !== undefined && zxidOfName(next) <= zxid + 1) continue;
      const cut = this.scanLog(this.fs.readFileSync(join(this.logDir, files[i]!)), zxid, () => false);
      if (cut !== undefined) return { files, index: i, offset: cut.offset };
    }
    return undefined;
  }

  /**
   * PERSIST-11 (SNAP, SYNC-4): replace the whole history by `base` (the snapshot of every txn up to
   * its zxid) and the `txns` after it, crash-atomically: both are written and synced under staged
   * names, the marker commits them, then they replace every old snapshot and log.
   */
  async install(base: { readonly tree: Tree; readonly zxid: number } | undefined, txns: readonly Txn[]): Promise<void> {
    await this.log?.close();
    this.log = null;
    const staged: { snapshot?: string; log?: string } = {};
    if (base) {
      staged.snapshot = `snapshot.${hex(base.zxid)}`;
      await this.writeSnapshot(base.tree, base.zxid, join(this.snapDir, staged.snapshot + STAGED));
    }
    if (txns.length) {
      staged.log = `log.${hex(txns[0]!.zxid)}`;
      const f = await this.fs.open(join(this.logDir, staged.log + STAGED), 'w');
      try {
        await f.writev([logHeader(), ...records(txns)]);
        await f.sync();
      } finally {
        await f.close();
      }
    }
    this.fsyncDir(this.logDir);
    this.replaceFile(INSTALL_MARKER, Buffer.from(JSON.stringify(staged))); // the commit point
    this.finishInstall();
    this.rollAt = true;
  }

  /** Complete an install whose marker is durable (again, after a crash: each step can be redone). */
  private finishInstall(): void {
    const marker = join(this.snapDir, INSTALL_MARKER);
    if (!this.fs.existsSync(marker)) return;
    const parsed = installMarker.safeParse(parseJson(this.fs.readFileSync(marker).toString('utf8')));
    if (!parsed.success) throw new StorageError(`${marker}: not an install marker (${parsed.error.message})`);
    const { snapshot, log } = parsed.data;
    // Every other log and snapshot goes; the installed ones stay (renamed already, when this runs
    // again after a crash). By kind, not by directory: dataDir and dataLogDir may be one.
    for (const [dir, prefix, installed] of [[this.logDir, 'log', log], [this.snapDir, 'snapshot', snapshot]] as const) {
      for (const f of this.listed(dir, prefix)) if (f !== installed) this.fs.rmSync(join(dir, f));
    }
    for (const [dir, name] of [[this.snapDir, snapshot], [this.logDir, log]] as const) {
      if (name !== undefined && this.fs.existsSync(join(dir, name + STAGED))) this.fs.renameSync(join(dir, name + STAGED), join(dir, name));
    }
    this.fsyncDir(this.logDir);
    this.fsyncDir(this.snapDir);
    this.fs.rmSync(marker);
    this.fsyncDir(this.snapDir);
    this.logger.info('installed the snapshot a leader sent', { snapshot, log });
  }

  // ---------------------------------------------------------------- snapshots

  /**
   * PERSIST-6: write the tree as of `zxid`, durably, then start a new log file so that old logs
   * can be purged. The tree is an immutable value, so writes go on while this runs.
   */
  async snapshot(tree: Tree, zxid: number): Promise<void> {
    this.rollAt = true;
    const file = join(this.snapDir, `snapshot.${hex(zxid)}`);
    await this.writeSnapshot(tree, zxid, `${file}${TMP}`);
    this.fs.renameSync(`${file}${TMP}`, file);
    this.fsyncDir(this.snapDir);
  }

  /** Write and sync a snapshot file at `path`. */
  private async writeSnapshot(tree: Tree, zxid: number, path: string): Promise<void> {
    // In pieces, between which clients and peers are served: a 100,000-znode tree serialized at
    // once held the event loop for most of a second (the p99.9 of a create-heavy load).
    const steps = serializeTreeInSteps(tree);
    let step = steps.next();
    while (!step.done) {
      await new Promise((resolve) => setImmediate(resolve));
      step = steps.next();
    }
    const pieces = step.value;
    // The CRC piece by piece too: 20 MB at once held the loop for ~30 ms (a create load's p99.9).
    let crc = 0;
    for (const piece of pieces) {
      crc = crc32(piece, crc);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const head = Buffer.alloc(SNAP_HEADER);
    head.writeUInt32BE(SNAP_MAGIC, 0);
    head.writeUInt32BE(FORMAT, 4);
    head.writeBigInt64BE(BigInt(zxid), 8);
    head.writeUInt32BE(crc, 16);
    const tmp = await this.fs.open(path, 'w');
    try {
      await tmp.writev([head, ...pieces]);
      await tmp.sync();
    } finally {
      await tmp.close();
    }
  }

  /** autopurge: keep the newest `retain` (at least one) snapshots and the logs that reach past the oldest of them. */
  purge(retain: number): { snapshots: number; logs: number } {
    const snaps = this.listed(this.snapDir, 'snapshot');
    const gone = snaps.slice(0, Math.max(0, snaps.length - Math.max(1, retain)));
    const kept = snaps.slice(gone.length);
    for (const f of gone) this.fs.rmSync(join(this.snapDir, f));
    if (kept.length === 0) return { snapshots: gone.length, logs: 0 };
    const oldest = zxidOfName(kept[0]!);
    const logs = this.listed(this.logDir, 'log');
    let removed = 0;
    // A log may go once the next one starts at or before the oldest kept snapshot's successor.
    for (let i = 0; i + 1 < logs.length && zxidOfName(logs[i + 1]!) <= oldest + 1; i++) {
      this.fs.rmSync(join(this.logDir, logs[i]!));
      removed++;
    }
    return { snapshots: gone.length, logs: removed };
  }

  async close(): Promise<void> {
    await this.log?.close();
    this.log = null;
  }
}
