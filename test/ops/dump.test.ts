// `zabkit logdump` and `zabkit snapdump` through the zabkit command: Apache's files and zabkit's,
// text and --json, damage named with its offset (exit 1), usage (exit 2).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FILE_HEADER } from '../../src/ops/apache-format.ts';
import { frame, writeApacheLog } from '../../src/ops/apache-log.ts';
import { writeApacheSnapshot } from '../../src/ops/apache-snapshot.ts';
import { snapshotOfTree } from '../../src/ops/apache-tree.ts';
import { encodeApacheTxn } from '../../src/ops/apache-txn.ts';
import { main } from '../../src/shell/cli.ts';
import { createLogger } from '../../src/shell/logger.ts';
import { Storage } from '../../src/shell/storage.ts';
import { OPEN_ACL, type WriteOp } from '../../src/tree/index.ts';
import { removeDir, tempDir } from '../shell/harness.ts';
import { apacheTxns, history, SESSIONS } from './fixtures.ts';

const root = tempDir('zabkit-dump-');
afterAll(() => removeDir(root));

async function zabkit(...args: string[]): Promise<{ code: number; lines: string[] }> {
  const out: string[] = [];
  const code = await main(args, (s) => out.push(s));
  return { code, lines: out.join('\n').split('\n') };
}

const w = (write: WriteOp, session = SESSIONS[0]!) => ({ session, write });
const h = history([
  w({ op: 'create2', path: '/a/bin', flags: 0, data: Uint8Array.from([0, 1, 2, 255]), acl: OPEN_ACL }),
  w({ op: 'create', path: '/e', flags: 1, data: new TextEncoder().encode('ephemeral'), acl: OPEN_ACL }, SESSIONS[1]),
  w({ op: 'createContainer', path: '/ct', flags: 4, data: null, acl: OPEN_ACL }),
  w({ op: 'createTTL', path: '/ttl', flags: 5, data: null, acl: OPEN_ACL, ttl: 5000 }),
  w({ op: 'multi', ops: [{ op: 'setData', path: '/a', data: new TextEncoder().encode('m'), version: -1 }, { op: 'delete', path: '/nope', version: -1 }] }),
  w({ op: 'closeSession' }, SESSIONS[1]),
]);
const txns = apacheTxns(h);

describe('zabkit logdump', () => {
  it('prints every record of an Apache log and the preallocated end', async () => {
    const file = join(root, 'log.1');
    writeFileSync(file, writeApacheLog(txns, { prealloc: 512 }));
    const r = await zabkit('logdump', file);
    expect(r.code).toBe(0);
    expect(r.lines[0]).toBe('Apache ZooKeeper txn log, format version 2, dbid 0');
    expect(r.lines).toHaveLength(txns.length + 2);
    expect(r.lines).toContainEqual(expect.stringMatching(/^\S+Z session 0x1000048c3910000 cxid 0x7 zxid 0x8 create2 \/a\/bin data=base64:AAEC\/w== acl=\[world:anyone:cdrwa\] parentCVersion=2 digest=v2:0x[0-9a-f]+$/));
    expect(r.lines).toContainEqual(expect.stringMatching(/ zxid 0x9 create \/e data="ephemeral" acl=\[world:anyone:cdrwa\] ephemeral parentCVersion=\d+ /));
    expect(r.lines).toContainEqual(expect.stringMatching(/ zxid 0xb createTTL \/ttl data=null .* ttl=5000 /));
    expect(r.lines).toContainEqual(expect.stringMatching(/ zxid 0xc multi \[error err=0; error err=-101\] /));
    expect(r.lines).toContainEqual(expect.stringMatching(/ session 0x2000048c3910001 .* zxid 0xd closeSession paths2Delete=\[\/e\] /));
    expect(r.lines.at(-1)).toMatch(/^13 txn\(s\), 0 damaged record\(s\); records end at offset \d+ of \d+ \(the rest: 512 bytes of preallocated zeros\)$/);
  });

  it('names a damaged record by its offset, goes on past it, and exits 1; --json says the same', async () => {
    const file = join(root, 'log.damaged');
    const bytes = writeApacheLog(txns);
    const third = FILE_HEADER + frame(encodeApacheTxn(txns[0]!)).length + frame(encodeApacheTxn(txns[1]!)).length;
    bytes.writeUInt8(bytes.readUInt8(third + 20) ^ 1, third + 20);
    writeFileSync(file, bytes.subarray(0, bytes.length - 3)); // and the last record torn
    const r = await zabkit('logdump', file);
    expect(r.code).toBe(1);
    expect(r.lines).toContainEqual(expect.stringMatching(new RegExp(`^DAMAGED at offset ${third}: checksum mismatch: stored 0x[0-9a-f]+, computed 0x[0-9a-f]+$`)));
    expect(r.lines).toContainEqual(expect.stringMatching(/^DAMAGED at offset \d+: torn record: length \d+, \d+ bytes left — the dump stops here$/));
    expect(r.lines.at(-1)).toMatch(/^11 txn\(s\), 2 damaged record\(s\)/);
    const j = await zabkit('logdump', file, '--json');
    expect(j.code).toBe(1);
    const objs = j.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs.map((o) => o.kind)).toEqual(['header', 'txn', 'txn', 'damage', ...Array(9).fill('txn'), 'damage', 'summary']);
    expect(objs[3]).toEqual({ kind: 'damage', offset: third, damage: expect.stringMatching(/^checksum mismatch/), resumable: true });
    expect(objs.find((o) => o.zxid === '0x8')).toMatchObject({ kind: 'txn', cxid: 7, session: '0x1000048c3910000', type: 'create2', path: '/a/bin', dataBase64: 'AAEC/w==', acl: [{ perms: 31, scheme: 'world', id: 'anyone' }], ephemeral: false });
  });

  it('prints zabkit\'s own log, and names its torn tail', async () => {
    const dir = join(root, 'zabkit-log');
    const { storage } = Storage.open(dir, dir, createLogger('error'));
    await storage.append(h.txns);
    await storage.close();
    const v2 = join(dir, 'version-2');
    const file = join(v2, readdirSync(v2).find((f) => f.startsWith('log.'))!);
    const r = await zabkit('logdump', file);
    expect(r.code).toBe(0);
    expect(r.lines[0]).toBe('zabkit txn log, format 1 (zabkit keeps no cxid)');
    expect(r.lines).toContainEqual(expect.stringMatching(/^\S+Z session 0x1000048c3910000 zxid 0x8 create \/a\/bin data=base64:AAEC\/w== acl=\[world:anyone:cdrwa\] persistent parentCreates=2 withStat$/));
    expect(r.lines).toContainEqual(expect.stringMatching(/ zxid 0xc error err=-101 results=\[0, -101\]$/));
    writeFileSync(file, readFileSync(file).subarray(0, -2));
    const torn = await zabkit('logdump', file, '--json');
    expect(torn.code).toBe(1);
    expect(JSON.parse(torn.lines.at(-2)!)).toEqual({ kind: 'damage', offset: expect.any(Number), damage: expect.stringMatching(/^torn record: length \d+, \d+ bytes left$/), resumable: false });
  });

  it('says how it is used (exit 2), and --help (exit 0)', async () => {
    const snap = join(root, 'snapshot.0');
    writeFileSync(snap, writeApacheSnapshot(snapshotOfTree(h.trees[0]!, 0)));
    expect(await zabkit('logdump')).toEqual({ code: 2, lines: ['zabkit logdump: give the FILE to dump', expect.stringMatching(/^usage: zabkit logdump FILE \[--json\]/)] });
    expect((await zabkit('logdump', snap)).lines[0]).toBe(`zabkit logdump: ${snap} is a snapshot: dump it with 'zabkit snapdump'`);
    expect((await zabkit('logdump', join(root, 'absent'))).lines[0]).toMatch(/^zabkit logdump: cannot read .*absent: ENOENT/);
    expect((await zabkit('logdump', snap, '--jsn')).code).toBe(2);
    expect(await zabkit('logdump', '--help')).toEqual({ code: 0, lines: [expect.stringMatching(/^usage: zabkit logdump/)] });
  });
});

describe('zabkit snapdump', () => {
  const tree = h.trees.at(-1)!;
  const snap = snapshotOfTree(tree, 0xd);

  it('prints every znode of an Apache snapshot with its stat, data and ACL, then sessions and the digest', async () => {
    const file = join(root, 'snapshot.d');
    writeFileSync(file, writeApacheSnapshot(snap));
    const r = await zabkit('snapdump', file);
    expect(r.code).toBe(0);
    expect(r.lines[0]).toBe('Apache ZooKeeper snapshot, format version 2, dbid -1, zxid 0xd (its name)');
    expect(r.lines[1]).toBe(`znodes (${tree.nodes.size}):`);
    const at = r.lines.indexOf('/ct  (container)');
    expect(r.lines.slice(at, at + 5)).toEqual([
      '/ct  (container)',
      expect.stringMatching(/^ {2}czxid 0xa {2}mzxid 0xa {2}pzxid 0xa {2}ctime \S+Z {2}mtime \S+Z$/),
      '  version 0  cversion 0 (0 child creates)  aversion 0  ephemeralOwner 0x8000000000000000  dataLength 0  numChildren 0',
      '  data null',
      '  acl [world:anyone:cdrwa]',
    ]);
    expect(r.lines).toContain('/ttl  (ttl 5000 ms)');
    expect(r.lines).toContain('  data base64:AAEC/w==');
    expect(r.lines).toContain('  0x1000048c3910000  timeout 30000 ms  0 ephemeral(s)');
    expect(r.lines.at(-1)).toMatch(/^digest: zxid 0xd, version 2, (0x[0-9a-f]+) \(of these nodes: \1, the same\)$/);
    const j = await zabkit('snapdump', file, '--json');
    const znodes = j.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((o) => o.kind === 'znode');
    expect(znodes).toHaveLength(tree.nodes.size);
    expect(znodes.find((o) => o.path === '/a')).toEqual({
      kind: 'znode',
      path: '/a',
      type: 'persistent',
      stat: expect.objectContaining({ czxid: '0x3', version: 0, numChildren: 2, cversion: 2, childCreates: 2, ephemeralOwner: '0x0' }),
      data: null,
      acl: [{ perms: 31, scheme: 'world', id: 'anyone' }],
    });
  });

  it('reads a gzip snapshot, and names damage: a bad checksum, a cut, snappy (exit 1)', async () => {
    const gz = join(root, 'snapshot.d.gz');
    writeFileSync(gz, writeApacheSnapshot(snap, { gzip: true }));
    const g = await zabkit('snapdump', gz);
    expect(g.code).toBe(0);
    expect(g.lines[0]).toMatch(/, gzip$/);
    const bad = writeApacheSnapshot(snap);
    bad.writeUInt8(bad.readUInt8(bad.length - 60) ^ 4, bad.length - 60);
    writeFileSync(join(root, 'bad'), bad);
    const b = await zabkit('snapdump', join(root, 'bad'));
    expect(b.code).toBe(1);
    expect(b.lines.at(-1)).toMatch(/^DAMAGED at offset \d+: (tree|digest) checksum mismatch: stored 0x[0-9a-f]+, computed 0x[0-9a-f]+ — the dump stops here$/);
    writeFileSync(join(root, 'cut'), writeApacheSnapshot(snap).subarray(0, 300));
    const c = await zabkit('snapdump', join(root, 'cut'));
    expect(c.code).toBe(1);
    expect(c.lines.at(-1)).toMatch(/^DAMAGED at offset \d+: truncated/);
    writeFileSync(join(root, 'snappy'), Buffer.concat([Buffer.from([0x82]), Buffer.from('SNAPPY'), Buffer.alloc(9)]));
    const s = await zabkit('snapdump', join(root, 'snappy'));
    expect(s.code).toBe(1);
    expect(s.lines.at(-1)).toMatch(/^DAMAGED at offset 0: a snappy-compressed snapshot/);
  });

  it('prints zabkit\'s own snapshot with both digests; refuses a log (exit 2)', async () => {
    const dir = join(root, 'zabkit-snap');
    const { storage } = Storage.open(dir, dir, createLogger('error'));
    await storage.snapshot(tree, 0xd);
    await storage.close();
    const file = join(dir, 'version-2', 'snapshot.000000000000000d');
    const r = await zabkit('snapdump', file);
    expect(r.code).toBe(0);
    expect(r.lines[0]).toBe('zabkit snapshot, format 1, zxid 0xd');
    expect(r.lines).toContain('/ttl  (ttl 5000 ms)');
    expect(r.lines.at(-1)).toBe(`digest: 0x${tree.digest.toString(16)} (zabkit's, TREE-27); as Apache 3.6+ would compute it: 0x${snap.digest!.digest.toString(16)}`);
    const log = join(root, 'log.1');
    expect((await zabkit('snapdump', log)).lines[0]).toBe(`zabkit snapdump: ${log} is a txn log: dump it with 'zabkit logdump'`);
  });
});
