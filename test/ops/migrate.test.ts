// `zabkit import` and `zabkit export` on data directories written by the writers under test (the
// round trip through real Apache servers is apache-roundtrip.test.ts), and zabkit's storage
// refusing an Apache data directory.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadApacheDir } from '../../src/ops/apache-datadir.ts';
import { readApacheSnapshot } from '../../src/ops/apache-snapshot.ts';
import { treeOfSnapshot } from '../../src/ops/apache-tree.ts';
import { runExport, runImport } from '../../src/ops/migrate.ts';
import { createLogger } from '../../src/shell/logger.ts';
import { Storage, StorageError } from '../../src/shell/storage.ts';
import { emptyTree } from '../../src/tree/index.ts';
import { removeDir, tempDir } from '../shell/harness.ts';
import { expectSameTree, history, steps, writeApacheData } from './fixtures.ts';

const root = tempDir('zabkit-migrate-');
afterAll(() => removeDir(root));
let n = 0;
const fresh = (name: string): string => join(root, `${name}-${++n}`);
const quiet = createLogger('error');

async function cli(run: (args: readonly string[], out: (s: string) => void) => Promise<number>, args: readonly string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await run(args, (s) => lines.push(s));
  return { code, text: lines.join('\n') };
}

/** What `zabkit server --data-dir dir` recovers (and closes again). */
async function recovered(dir: string) {
  const { storage, recovered: r } = Storage.open(dir, dir, quiet);
  await storage.close();
  return r;
}

describe('loading an Apache data directory', () => {
  it('gives the tree after the last txn from any snapshot, fuzzy or not, and logs cut anywhere', () => {
    fc.assert(
      fc.property(steps, fc.nat(), fc.integer({ min: 0, max: 3 }), fc.array(fc.nat(), { maxLength: 3 }), (s, kSeed, fuzz, cutSeeds) => {
        const h = history(s);
        const k = kSeed % (h.txns.length + 1);
        const dir = fresh('apache');
        writeApacheData(dir, h, k, fuzz, cutSeeds.map((c) => c % h.txns.length));
        const data = loadApacheDir(dir);
        expect(data.zxid).toBe(h.txns.at(-1)!.zxid);
        expectSameTree(h.trees.at(-1)!, data.tree);
        expect(data.notes.join('\n')).toMatch(/digest at zxid 0x[0-9a-f]+ matches Apache's/);
        rmSync(dir, { recursive: true });
      }),
      { numRuns: 60 },
    );
  });
});

describe('zabkit import', () => {
  const h = history([]);

  it('writes what zabkit\'s storage recovers: the tree, the zxid, the epochs', async () => {
    const from = fresh('apache');
    writeApacheData(from, h, 3, 0, [4]);
    writeFileSync(join(from, 'version-2', 'acceptedEpoch'), '3');
    writeFileSync(join(from, 'version-2', 'currentEpoch'), '2');
    const to = fresh('zabkit');
    const r = await cli(runImport, ['--from-apache', from, '--to', to]);
    expect(r.code, r.text).toBe(0);
    expect(r.text).toContain(`imported ${h.trees.at(-1)!.nodes.size} znodes, 2 session(s) with 0 ephemeral(s) at zxid 0x7 (acceptedEpoch 3, currentEpoch 2) into ${to}`);
    const back = await recovered(to);
    expect({ accepted: back.acceptedEpoch, current: back.currentEpoch, zxid: back.snapshot?.zxid, txns: back.txns.length }).toEqual({ accepted: 3, current: 2, zxid: 7, txns: 0 });
    expectSameTree(h.trees.at(-1)!, back.snapshot!.tree);
  });

  it('imports the snapshot.0 a fresh Apache 3.8.0 writes (its digest at zxid 0 is empty)', async () => {
    const from = fresh('apache');
    mkdirSync(join(from, 'version-2'), { recursive: true });
    const bytes =
    '5a4b534e00000002ffffffffffffffff00000000000000010000000000000001000000010000000100000005776f726c6400000006616e796f6e6500' +
    '00000000000000ffffffffffffffff000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000' +
    '0000000000000000000000000000000000000a2f7a6f6f6b656570657200000000ffffffffffffffff00000000000000000000000000000000000000' +
    '0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000112f7a6f6f6b65657065722f636f6e66' +
    '696700000000000000000000000100000000000000000000000000000000000000000000000000000000000000000000000000000000ffffffff0000' +
    '0000000000000000000000000000000000102f7a6f6f6b65657065722f71756f746100000000ffffffffffffffff0000000000000000000000000000' +
    '00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000012f00000000b8a23b4900' +
    '0000012f00000000000000000000000200000000000000000000000095b93d59000000012f';
    writeFileSync(join(from, 'version-2', 'snapshot.0'), Buffer.from(bytes, 'hex'));
    const to = fresh('zabkit');
    const r = await cli(runImport, ['--from-apache', from, '--to', to]);
    expect(r.code, r.text).toBe(0);
    expectSameTree(emptyTree(), (await recovered(to)).snapshot!.tree);
  });

  it('refuses a target that is not empty unless --force, which replaces only its version-2', async () => {
    const from = fresh('apache');
    writeApacheData(from, h, 2);
    const to = fresh('zabkit');
    mkdirSync(join(to, 'version-2'), { recursive: true });
    writeFileSync(join(to, 'version-2', 'old'), 'x');
    writeFileSync(join(to, 'myid'), '1\n');
    const refused = await cli(runImport, ['--from-apache', from, '--to', to]);
    expect(refused).toEqual({ code: 1, text: `zabkit import: ${to} is not empty (myid, version-2): give --force to replace its version-2 (nothing else in it is touched)` });
    const forced = await cli(runImport, ['--from-apache', from, '--to', to, '--force']);
    expect(forced.code, forced.text).toBe(0);
    expect(existsSync(join(to, 'version-2', 'old'))).toBe(false);
    expect(readFileSync(join(to, 'myid'), 'utf8')).toBe('1\n');
  });

  it('names a damaged record, a gap and a missing snapshot; warns of a torn tail and goes on', async () => {
    const logOf = (dir: string) => join(dir, 'version-2', readdirSync(join(dir, 'version-2')).filter((f) => f.startsWith('log.')).sort()[0]!);
    const damaged = fresh('apache');
    writeApacheData(damaged, h, 1, 0, [5]);
    const log = logOf(damaged);
    const bytes = readFileSync(log);
    bytes.writeUInt8(bytes.readUInt8(100) ^ 0x10, 100);
    writeFileSync(log, bytes);
    const d = await cli(runImport, ['--from-apache', damaged, '--to', fresh('zabkit')]);
    expect(d.code).toBe(1);
    expect(d.text).toMatch(new RegExp(`^zabkit import: ${log}: offset \\d+: checksum mismatch: stored 0x[0-9a-f]+, computed 0x[0-9a-f]+ \\(Apache refuses to start on it too\\)$`));

    const torn = fresh('apache');
    writeApacheData(torn, h, 1, 0, [5]);
    const last = join(torn, 'version-2', 'log.6');
    writeFileSync(last, readFileSync(last).subarray(0, 16 + 30)); // no preallocated zeros: cut inside the first record
    const t = await cli(runImport, ['--from-apache', torn, '--to', fresh('zabkit')]);
    expect(t.code, t.text).toBe(0);
    expect(t.text).toContain(`warning: ${last}: offset 16: torn record`);
    expect(t.text).toContain('at zxid 0x5 ');

    const empty = fresh('apache');
    writeApacheData(empty, h, 1, 0, [5]);
    writeFileSync(join(empty, 'version-2', 'log.8'), Buffer.alloc(5));
    const e = await cli(runImport, ['--from-apache', empty, '--to', fresh('zabkit')]);
    expect(e.code, e.text).toBe(0);
    expect(e.text).toContain(`warning: ${join(empty, 'version-2', 'log.8')}: 5 bytes, no whole header`);

    const gap = fresh('apache');
    writeApacheData(gap, h, 1, 0, [3, 5]);
    rmSync(join(gap, 'version-2', 'log.4'));
    const g = await cli(runImport, ['--from-apache', gap, '--to', fresh('zabkit')]);
    expect(g).toEqual({ code: 1, text: `zabkit import: ${join(gap, 'version-2', 'log.6')}: offset 16: txn 0x6 follows 0x3: txns are missing between them` });

    const bare = fresh('apache');
    writeApacheData(bare, h, 0);
    rmSync(join(bare, 'version-2', 'snapshot.0'));
    const b = await cli(runImport, ['--from-apache', bare, '--to', fresh('zabkit')]);
    expect(b.code).toBe(1);
    expect(b.text).toContain('holds txn logs but no snapshot');
  });

  it('takes the logs from a dataLogDir of their own, and falls back past a snapshot it cannot read', async () => {
    const from = fresh('apache');
    writeApacheData(from, h, 6, 0, [3]);
    writeApacheData(join(from, 'older'), h, 2); // snapshot.2, in the same version-2 once moved
    renameSync(join(from, 'older', 'version-2', 'snapshot.2'), join(from, 'version-2', 'snapshot.2'));
    const logs = fresh('apache-logs');
    mkdirSync(join(logs, 'version-2'), { recursive: true });
    for (const f of readdirSync(join(from, 'version-2')).filter((x) => x.startsWith('log.'))) renameSync(join(from, 'version-2', f), join(logs, 'version-2', f));
    writeFileSync(join(from, 'version-2', 'snapshot.6'), Buffer.concat([Buffer.from([0x82]), Buffer.from('SNAPPY'), Buffer.alloc(9)]));
    const to = fresh('zabkit');
    const r = await cli(runImport, ['--from-apache', from, '--from-apache-log', logs, '--to', to]);
    expect(r.code, r.text).toBe(0);
    expect(r.text).toContain(`warning: skipped snapshot ${join(from, 'version-2', 'snapshot.6')}: offset 0: a snappy-compressed snapshot`);
    expect(r.text).toContain(`snapshot ${join(from, 'version-2', 'snapshot.2')} (zxid 0x2)`);
    expectSameTree(h.trees.at(-1)!, (await recovered(to)).snapshot!.tree);
    expect(() => Storage.open(from, logs, quiet)).toThrow(`convert them with 'zabkit import --from-apache ${from} --from-apache-log ${logs} --to NEW_DIR'`);
  });

  it('says how it is used: --help, and a missing or unknown flag (exit 2)', async () => {
    expect((await cli(runImport, ['--help'])).code).toBe(0);
    const missing = await cli(runImport, ['--from-apache', root]);
    expect(missing.code).toBe(2);
    expect(missing.text).toMatch(/^zabkit import: --to DIR is required\nusage: zabkit import --from-apache DATA_DIR/);
    expect((await cli(runImport, ['--from-apache', root, '--to', fresh('z'), '--frm', 'x'])).text).toMatch(/^zabkit import: unknown flag --frm/);
    expect((await cli(runImport, ['--from-apache', join(root, 'nowhere'), '--to', fresh('z')])).text).toMatch(/^zabkit import: .*nowhere does not exist/);
  });
});

describe('zabkit export', () => {
  it('writes an Apache snapshot of what the server would recover: snapshot and log after it', async () => {
    const h = history(fc.sample(steps, { numRuns: 1, seed: 7 })[0]!, 1);
    const from = fresh('zabkit');
    const { storage } = Storage.open(from, from, quiet);
    const half = Math.floor(h.txns.length / 2);
    await storage.append(h.txns.slice(0, half));
    await storage.snapshot(h.trees[half]!, h.txns[half - 1]!.zxid);
    await storage.append(h.txns.slice(half));
    storage.writeEpoch('acceptedEpoch', 2);
    storage.writeEpoch('currentEpoch', 1);
    await storage.close();
    const to = fresh('apache');
    const r = await cli(runExport, ['--from', from, '--to-apache', to]);
    expect(r.code, r.text).toBe(0);
    const last = h.txns.at(-1)!.zxid;
    const file = join(to, 'version-2', `snapshot.${last.toString(16)}`);
    expect(r.text).toContain(`to ${file}`);
    const snap = readApacheSnapshot(readFileSync(file));
    expect(snap.problems).toEqual([]);
    expect(snap.snapshot.digest?.zxid).toBe(BigInt(last));
    expectSameTree(h.trees.at(-1)!, treeOfSnapshot(snap.snapshot).tree);
    expect(readFileSync(join(to, 'version-2', 'acceptedEpoch'), 'utf8')).toBe('2');
    expect(readFileSync(join(to, 'version-2', 'currentEpoch'), 'utf8')).toBe('1');
    // What it wrote imports back to the same tree; gzipped too (Apache reads a .gz by its name).
    const again = await cli(runImport, ['--from-apache', to, '--to', fresh('zabkit')]);
    expect(again.code, again.text).toBe(0);
    const gz = fresh('apache');
    expect((await cli(runExport, ['--from', from, '--to-apache', gz, '--gzip'])).code).toBe(0);
    expect(readdirSync(join(gz, 'version-2')).sort()).toEqual(['acceptedEpoch', 'currentEpoch', `snapshot.${last.toString(16)}.gz`]);
    expectSameTree(h.trees.at(-1)!, loadApacheDir(gz).tree);
  });

  it('refuses a directory with a SNAP install cut short, and one that is not zabkit\'s', async () => {
    const from = fresh('zabkit');
    const { storage } = Storage.open(from, from, quiet);
    await storage.close();
    writeFileSync(join(from, 'version-2', 'installing'), '{}');
    const r = await cli(runExport, ['--from', from, '--to-apache', fresh('apache')]);
    expect(r.code).toBe(1);
    expect(r.text).toMatch(/installing: a SNAP install or truncation was cut short; start 'zabkit server' on this directory once/);
    const none = await cli(runExport, ['--from', fresh('nowhere'), '--to-apache', fresh('apache')]);
    expect(none.code).toBe(2);
    expect(none.text).toMatch(/nowhere-\d+ does not exist/);
  });
});

describe('zabkit\'s storage on an Apache data directory', () => {
  it('refuses it untouched, naming the directory and the import command', () => {
    const dir = fresh('apache');
    const v2 = writeApacheData(dir, history([]), 2, 0, [4]);
    const before = readdirSync(v2).map((f) => [f, statSync(join(v2, f)).size]);
    expect(() => Storage.open(dir, dir, quiet)).toThrow(StorageError);
    expect(() => Storage.open(dir, dir, quiet)).toThrow(`${dir} holds Apache ZooKeeper's data files (log.1, log.5, snapshot.2 in version-2), which zabkit does not serve in place (it would start with an empty tree): convert them with 'zabkit import --from-apache ${dir} --to NEW_DIR'`);
    expect(readdirSync(v2).map((f) => [f, statSync(join(v2, f)).size])).toEqual(before);
  });

  it('refuses an Apache file under a name zabkit would read (a zxid of 16 hex digits) rather than cut it', () => {
    const dir = fresh('apache');
    const v2 = writeApacheData(dir, history([]), 0);
    renameSync(join(v2, 'log.1'), join(v2, 'log.0000000000000001'));
    renameSync(join(v2, 'snapshot.0'), join(v2, 'snapshot.0000000000000000'));
    const size = statSync(join(v2, 'log.0000000000000001')).size;
    expect(() => Storage.open(dir, dir, quiet)).toThrow(/holds Apache ZooKeeper's data files \(snapshot\.0000000000000000 in version-2\)/);
    rmSync(join(v2, 'snapshot.0000000000000000'));
    expect(() => Storage.open(dir, dir, quiet)).toThrow(/holds Apache ZooKeeper's data files \(log\.0000000000000001 in version-2\)/);
    expect(statSync(join(v2, 'log.0000000000000001')).size).toBe(size);
  });
});
