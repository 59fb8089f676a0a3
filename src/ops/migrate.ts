// `zabkit import --from-apache DATA_DIR --to DIR` and `zabkit export --from DIR --to-apache
// DATA_DIR`: an Apache ZooKeeper data directory into zabkit's storage and back, keeping every
// znode's data, ACL and stat (ephemeral owners, containers and TTL nodes included), the sessions,
// the zxid and the epochs. An import writes with zabkit's own Storage (a snapshot at the last
// zxid and the epoch files), so the result is what `zabkit server --data-dir DIR` recovers; it is
// read back and compared before the command says it is done. An export writes an Apache snapshot
// (with the 3.6+ digest, which Apache compares with its tree on load) and the epoch files.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseFlags, UsageError } from '../shell/args.ts';
import { createLogger } from '../shell/logger.ts';
import { Storage, StorageError } from '../shell/storage.ts';
import type { Tree } from '../tree/index.ts';
import { epochOf } from '../zab/zxid.ts';
import { loadApacheDir, versionDir, writeApacheDir } from './apache-datadir.ts';
import { hex } from './text.ts';
import { DataDirError, loadZabkitDir } from './zabkit-files.ts';

export const IMPORT_USAGE =
  'usage: zabkit import --from-apache DATA_DIR [--from-apache-log DATA_LOG_DIR] --to DIR [--force] — an Apache ZooKeeper 3.x data directory (its newest valid snapshot and the txn logs after it) as zabkit\'s storage in DIR; --force replaces what DIR/version-2 holds';
export const EXPORT_USAGE =
  'usage: zabkit export --from DIR [--from-log DATA_LOG_DIR] --to-apache DATA_DIR [--force] [--gzip] — zabkit\'s storage in DIR as an Apache ZooKeeper 3.8 data directory (a snapshot at the last zxid, the epoch files); --force replaces what DATA_DIR/version-2 holds; --gzip writes snapshot.<zxid>.gz';

function summary(tree: Tree): string {
  let ephemerals = 0;
  for (const s of tree.sessions.values()) ephemerals += s.ephemerals.size;
  return `${tree.nodes.size} znodes, ${tree.sessions.size} session(s) with ${ephemerals} ephemeral(s)`;
}

/** A target must be empty (or not yet there) unless --force; --force clears its version-2 only. */
function prepareTarget(dir: string, force: boolean, sources: readonly string[]): void {
  const target = resolve(dir);
  for (const s of sources) if (resolve(s) === target) throw new UsageError(`the target ${dir} is also a source`);
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new UsageError(`${dir} is not a directory`);
  const entries = readdirSync(dir);
  if (entries.length === 0) return;
  if (!force) throw new DataDirError(`${dir} is not empty (${entries.slice(0, 5).join(', ')}${entries.length > 5 ? ', …' : ''}): give --force to replace its version-2 (nothing else in it is touched)`);
  rmSync(join(dir, 'version-2'), { recursive: true, force: true });
}

/** Run a subcommand; usage errors exit 2 with the usage line, data problems exit 1 named. */
async function guarded(name: string, usage: string, args: readonly string[], out: (s: string) => void, run: () => Promise<number>): Promise<number> {
  if (args.includes('--help')) {
    out(usage);
    return 0;
  }
  try {
    return await run();
  } catch (e) {
    if (e instanceof UsageError) {
      out(`zabkit ${name}: ${e.message}\n${usage}`);
      return 2;
    }
    if (e instanceof DataDirError || e instanceof StorageError) {
      out(`zabkit ${name}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

function required(values: Record<string, string | boolean | undefined>, flag: string): string {
  const v = values[flag];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${flag} DIR is required`);
  return v;
}

export function runImport(args: readonly string[], out: (s: string) => void): Promise<number> {
  return guarded('import', IMPORT_USAGE, args, out, async () => {
    const { values } = parseFlags(args, { 'from-apache': { type: 'string' }, 'from-apache-log': { type: 'string' }, to: { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean' } });
    const from = required(values, 'from-apache');
    const fromLog = typeof values['from-apache-log'] === 'string' ? values['from-apache-log'] : from;
    const to = required(values, 'to');
    for (const d of new Set([from, fromLog])) if (!existsSync(d)) throw new UsageError(`${d} does not exist`);
    const data = loadApacheDir(from, fromLog);
    prepareTarget(to, values.force === true, [from, fromLog, versionDir(from)]);
    for (const n of data.notes) out(`  ${n}`);
    for (const w of data.warnings) out(`  warning: ${w}`);
    const e = epochOf(data.zxid);
    const accepted = Math.max(data.acceptedEpoch ?? e, data.currentEpoch ?? e, e);
    const current = Math.max(data.currentEpoch ?? e, e);
    await writeZabkit(to, data.tree, data.zxid, accepted, current);
    out(`imported ${summary(data.tree)} at zxid ${hex(data.zxid)} (acceptedEpoch ${accepted}, currentEpoch ${current}) into ${to}; serve it with: zabkit server --data-dir ${to}`);
    return 0;
  });
}

/** Write with zabkit's own storage, then recover it as a server would and require the same tree. */
async function writeZabkit(dir: string, tree: Tree, zxid: number, accepted: number, current: number): Promise<void> {
  const logger = createLogger('error');
  const { storage } = Storage.open(dir, dir, logger);
  try {
    await storage.snapshot(tree, zxid);
    storage.writeEpoch('acceptedEpoch', accepted);
    storage.writeEpoch('currentEpoch', current);
  } finally {
    await storage.close();
  }
  const { storage: again, recovered } = Storage.open(dir, dir, logger);
  await again.close();
  const back = recovered.snapshot;
  if (!back || back.zxid !== zxid || back.tree.digest !== tree.digest || back.tree.nodes.size !== tree.nodes.size || recovered.txns.length !== 0) {
    throw new DataDirError(`${dir}: what zabkit's storage recovers is not what was written (zxid ${back ? hex(back.zxid) : 'none'}, ${back?.tree.nodes.size ?? 0} znodes)`);
  }
}

export function runExport(args: readonly string[], out: (s: string) => void): Promise<number> {
  return guarded('export', EXPORT_USAGE, args, out, async () => {
    const { values } = parseFlags(args, { from: { type: 'string' }, 'from-log': { type: 'string' }, 'to-apache': { type: 'string' }, force: { type: 'boolean' }, gzip: { type: 'boolean' }, help: { type: 'boolean' } });
    const from = required(values, 'from');
    const fromLog = typeof values['from-log'] === 'string' ? values['from-log'] : from;
    const to = required(values, 'to-apache');
    for (const d of new Set([from, fromLog])) if (!existsSync(d)) throw new UsageError(`${d} does not exist`);
    const data = loadZabkitDir(from, fromLog);
    prepareTarget(to, values.force === true, [from, fromLog]);
    for (const w of data.warnings) out(`  warning: ${w}`);
    out(`  ${data.snapshotZxid !== undefined ? `snapshot at zxid ${hex(data.snapshotZxid)}` : 'no snapshot'}, ${data.txns} txn(s) after it`);
    const file = writeApacheDir(to, data.tree, data.zxid, { accepted: data.acceptedEpoch, current: data.currentEpoch }, { gzip: values.gzip === true });
    out(`exported ${summary(data.tree)} at zxid ${hex(data.zxid)} to ${file}`);
    return 0;
  });
}
