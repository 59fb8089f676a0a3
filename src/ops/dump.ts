// `zabkit logdump FILE` and `zabkit snapdump FILE`: what Apache's TxnLogToolkit and
// SnapshotFormatter show, for Apache ZooKeeper's files and zabkit's own (told apart by their
// magic). Every record or znode is printed; a damaged one is named by its offset and what is
// wrong, the dump goes on where the frame allows and stops cleanly where it does not; exit 1 if
// anything was damaged. --json prints one JSON object a line, each with its `kind`.
import { readFileSync } from 'node:fs';
import { parseFlags, UsageError } from '../shell/args.ts';
import { magicOf } from './apache-format.ts';
import { dumpApacheLog, dumpZabkitLog } from './log-dump.ts';
import { Printer } from './printer.ts';
import { dumpApacheSnapshot, dumpZabkitSnapshot } from './snap-dump.ts';

export const LOGDUMP_USAGE =
  'usage: zabkit logdump FILE [--json] — every record of a txn log, Apache ZooKeeper\'s (log.<zxid>) or zabkit\'s: time, session, cxid, zxid, type and content; a damaged record is named by its offset (exit 1); --json: one object a line';
export const SNAPDUMP_USAGE =
  'usage: zabkit snapdump FILE [--json] — every znode of a snapshot, Apache ZooKeeper\'s (snapshot.<zxid>[.gz]) or zabkit\'s, with its stat, data (text or base64) and ACL, then the sessions and the digest; damage is named by its offset (exit 1); --json: one object a line';

function fileArg(args: readonly string[]): { file: string; bytes: Buffer; json: boolean } {
  const { values, positionals } = parseFlags(args, { json: { type: 'boolean' }, help: { type: 'boolean' } }, true);
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'give the FILE to dump' : `one FILE at a time (got ${positionals.length})`);
  const file = positionals[0]!;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  return { file, bytes, json: values.json === true };
}

/** Run a dump: usage errors print the usage line (exit 2). */
async function guarded(name: string, usage: string, args: readonly string[], out: (s: string) => void, run: () => number): Promise<number> {
  if (args.includes('--help')) {
    out(usage);
    return 0;
  }
  try {
    return run();
  } catch (e) {
    if (e instanceof UsageError) {
      out(`zabkit ${name}: ${e.message}\n${usage}`);
      return 2;
    }
    throw e;
  }
}

// ---------------------------------------------------------------- logdump

export function runLogDump(args: readonly string[], out: (s: string) => void): Promise<number> {
  return guarded('logdump', LOGDUMP_USAGE, args, out, () => {
    const { file, bytes, json } = fileArg(args);
    const kind = magicOf(bytes);
    if (kind === 'apache-log') return dumpApacheLog(bytes, json, new Printer(out));
    if (kind === 'zabkit-log') return dumpZabkitLog(bytes, json, new Printer(out));
    if (kind.endsWith('snapshot') || kind === 'gzip' || kind === 'snappy') throw new UsageError(`${file} is a snapshot: dump it with 'zabkit snapdump'`);
    throw new UsageError(`${file} is not a txn log (its first bytes are neither Apache's ZKLG nor zabkit's ZBLG)`);
  });
}

// ---------------------------------------------------------------- snapdump

export function runSnapDump(args: readonly string[], out: (s: string) => void): Promise<number> {
  return guarded('snapdump', SNAPDUMP_USAGE, args, out, () => {
    const { file, bytes, json } = fileArg(args);
    const kind = magicOf(bytes);
    if (kind === 'apache-snapshot' || kind === 'gzip' || kind === 'snappy') return dumpApacheSnapshot(file, bytes, json, new Printer(out));
    if (kind === 'zabkit-snapshot') return dumpZabkitSnapshot(bytes, json, new Printer(out));
    if (kind.endsWith('log')) throw new UsageError(`${file} is a txn log: dump it with 'zabkit logdump'`);
    throw new UsageError(`${file} is not a snapshot (its first bytes are neither Apache's ZKSN nor zabkit's ZBSN)`);
  });
}

