// The data directories of src/shell/storage.ts: listing, durable directory entries, files replaced
// atomically, and the two crash-atomic operations a marker file commits (an install, PERSIST-11;
// a truncation, PERSIST-5), each of which a restart rolls forward. Every call goes through `fs`
// (file-system.ts: node:fs in production), so that a test can crash after any of them.
import { dirname, join, resolve } from 'node:path';
import { nodeFileSystem, type FileSystem } from './file-system.ts';
import type { Logger } from './logger.ts';
import { hex, INSTALL_MARKER, installMarker, LOG_HEADER, parseJson, scanLog, STAGED, StorageError, TMP, TRUNCATE_MARKER, zxidOfName } from './storage-format.ts';

export class Disk {
  constructor(
    readonly snapDir: string,
    readonly logDir: string,
    readonly logger: Logger,
    readonly fs: FileSystem = nodeFileSystem,
  ) {}

  /** The files `prefix.<16 hex>` in `dir`, oldest first. */
  listed(dir: string, prefix: string): string[] {
    return this.fs
      .readdirSync(dir)
      .filter((f) => f.startsWith(`${prefix}.`) && /^[0-9a-f]{16}$/.test(f.slice(prefix.length + 1)))
      .sort();
  }

  fsyncDir(dir: string): void {
    this.synced(dir, 'r');
  }

  /** Open `path`, do `work` on it, fsync it, close it (also when `work` throws). */
  private synced(path: string, flags: string, work: (fd: number) => void = () => {}): void {
    const fd = this.fs.openSync(path, flags);
    try {
      work(fd);
      this.fs.fsyncSync(fd);
    } finally {
      this.fs.closeSync(fd);
    }
  }

  /**
   * mkdir -p; a directory it creates is durable once the entry in its parent is: each parent
   * synced (a parent this process may write but not read cannot be: said, not fatal).
   */
  makeDir(dir: string): void {
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

  /** Replace a file in the snapshot directory durably: temp file, fsync, rename, fsync the directory. */
  replaceFile(name: string, bytes: Uint8Array): void {
    const file = join(this.snapDir, name);
    const tmp = `${file}${TMP}`;
    this.synced(tmp, 'w', (fd) => this.fs.writeFileSync(fd, bytes));
    this.fs.renameSync(tmp, file);
    this.fsyncDir(this.snapDir);
  }

  /**
   * PERSIST-4: what a restart reads becomes durable first. A process killed during a write leaves
   * the data in the page cache: readable, not yet on disk. Recovery would take it as the history,
   * the server would log after it, and a power loss could then leave a hole. So every file of both
   * directories, and the directories, are synced before recovery reads them.
   */
  syncEverything(): void {
    for (const dir of this.snapDir === this.logDir ? [this.snapDir] : [this.snapDir, this.logDir]) {
      for (const f of this.fs.readdirSync(dir)) {
        if (f.endsWith(TMP)) continue; // about to be removed
        this.synced(join(dir, f), 'r');
      }
      this.fsyncDir(dir);
    }
  }

  /** What a crash left half-made: temporary files, and the staged files of an install it never committed. */
  clearLeftovers(): void {
    const committed = this.fs.existsSync(join(this.snapDir, INSTALL_MARKER));
    for (const dir of this.snapDir === this.logDir ? [this.snapDir] : [this.snapDir, this.logDir]) {
      const gone = this.fs.readdirSync(dir).filter((f) => f.endsWith(TMP) || (!committed && f.endsWith(STAGED)));
      for (const f of gone) this.fs.rmSync(join(dir, f));
      if (gone.length > 0) this.fsyncDir(dir);
    }
  }

  /**
   * Cut log `files[index]` at `offset` and remove every later log — newest first, so that a crash
   * part-way leaves logs that read as before (the same cut is made again), never a cut log
   * followed by later ones (a hole). A log left without a record goes; the cut is synced.
   */
  cutLog(files: readonly string[], index: number, offset: number): void {
    for (const later of files.slice(index + 1).reverse()) this.fs.rmSync(join(this.logDir, later));
    const file = join(this.logDir, files[index]!);
    if (offset <= LOG_HEADER) {
      this.fs.rmSync(file);
    } else {
      this.synced(file, 'r+', (fd) => this.fs.ftruncateSync(fd, offset));
    }
    this.fsyncDir(this.logDir);
  }

  /** Where the first logged record after `zxid` is: a log (index into `files`) and an offset in it. */
  findCut(zxid: number): { files: string[]; index: number; offset: number } | undefined {
    const files = this.listed(this.logDir, 'log');
    for (let i = 0; i < files.length; i++) {
      // A log whose successor starts at or before zxid + 1 holds nothing after zxid (as recovery
      // reads them): not read, and damage in it (a log a snapshot covers) cuts nothing.
      const next = files[i + 1];
      if (next !== undefined && zxidOfName(next) <= zxid + 1) continue;
      const cut = scanLog(this.fs.readFileSync(join(this.logDir, files[i]!)), zxid, () => false);
      if (cut !== undefined) return { files, index: i, offset: cut.offset };
    }
    return undefined;
  }

  /** Complete a truncation whose marker is durable (again, after a crash: each step can be redone). */
  finishTruncate(): void {
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

  /** Complete an install whose marker is durable (again, after a crash: each step can be redone). */
  finishInstall(): void {
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
}
