// Apache ZooKeeper 3.8 → `zabkit import` → `zabkit server` → `zabkit export` → Apache again: a tree
// of every znode type written by Apache (pipelined, with fuzzy snapshots taken along the way and a
// log longer than any snapshot), then every znode's data, ACL and full stat read from each server
// and compared. The ephemeral nodes belong to a session left open when Apache stops.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apacheInstalled, startApache, type ApacheServer } from '../../conformance/apache.ts';
import { freeBasePort } from '../../conformance/launch.ts';
import { connect, type ZooKeeperClient } from '../../src/client/index.ts';
import { fourLetter, launch, peerMissing, RawClient, removeDir, startServer, tempDir, type RunningServer } from '../shell/harness.ts';

const noApache = peerMissing('Apache ZooKeeper (Debian zookeeper)', apacheInstalled());
const OPEN = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const PROPS = { 'zookeeper.extendedTypesEnabled': 'true' };
const TTL = 3_600_000; // no TTL node expires during the test
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

interface Seen {
  readonly data: string | null;
  readonly acl: string;
  readonly stat: string;
}

/** Every znode's data (base64, or null), ACL and Stat, level by level with each level's reads pipelined. */
async function readTree(c: ZooKeeperClient): Promise<Map<string, Seen>> {
  const out = new Map<string, Seen>();
  let level = ['/'];
  while (level.length > 0) {
    // Children are asked only of nodes that have some: two reads a leaf, not three.
    const got = await Promise.all(
      level.map(async (path) => {
        const [d, a] = await Promise.all([c.getData(path), c.getACL(path)]);
        return { path, d, a, children: d.stat.numChildren > 0 ? (await c.getChildren(path)).children : [] };
      }),
    );
    level = [];
    for (const { path, d, a, children } of got) {
      const stat = JSON.stringify(d.stat, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v));
      out.set(path, { data: d.nullData ? null : Buffer.from(d.data).toString('base64'), acl: JSON.stringify(a.acl), stat });
      for (const k of children) level.push(path === '/' ? `/${k}` : `${path}/${k}`);
    }
  }
  return out;
}

/** The znodes that differ (at most 10, for the message) and those only one side has. */
function differences(a: Map<string, Seen>, b: Map<string, Seen>): string[] {
  const out: string[] = [];
  for (const [p, x] of a) {
    const y = b.get(p);
    if (!y) out.push(`${p}: missing`);
    else if (x.data !== y.data || x.acl !== y.acl || x.stat !== y.stat) out.push(`${p}: ${JSON.stringify(x)} ≠ ${JSON.stringify(y)}`);
  }
  for (const p of b.keys()) if (!a.has(p)) out.push(`${p}: extra`);
  return out.slice(0, 10);
}

/** The tree: every kind of znode, updated and pruned so that the log holds more than any snapshot. */
async function populate(port: number): Promise<RawClient> {
  const w = await connect(`127.0.0.1:${port}`, { sessionTimeout: 30000 });
  await w.addAuth('digest', 'u:p');
  const all = (ps: readonly Promise<unknown>[]) => Promise.all(ps);
  await all(['/p', '/seq', '/e', '/ttl', '/acl', '/q'].map((p) => w.create(p, p)));
  const bytes = (i: number) => Uint8Array.from({ length: 1 + (i % 40) }, (_, k) => (i * 31 + k * 7) & 0xff);
  await all(range(4200).map((i) => w.create(`/p/n${i}`, i % 7 === 0 ? null : i % 7 === 1 ? '' : i % 7 === 2 ? bytes(i) : `value ${i}`)));
  await all(range(2500).map((i) => w.create('/seq/s-', `s${i}`, { mode: 'persistentSequential' })));
  await all(range(40).map((i) => w.create(`/c${i}`, null, { mode: 'container' })));
  await all(range(1000).map((i) => w.create(`/c${i % 40}/k${i}`, `k${i}`)));
  await all(range(500).map((i) => w.create(`/ttl/t${i}`, `t${i}`, { mode: 'persistentWithTTL', ttl: TTL + i })));
  await all(range(200).map((i) => w.create('/ttl/ts-', null, { mode: 'persistentSequentialWithTTL', ttl: TTL })));
  await all([
    ...range(300).map((i) => w.create(`/acl/d${i}`, `d${i}`, { acl: [{ perms: 31, id: { scheme: 'auth', id: '' } }] })),
    ...range(300).map((i) => w.create(`/acl/ip${i}`, `ip${i}`, { acl: [{ perms: (i % 31) | 1, id: { scheme: 'ip', id: '127.0.0.1' } }] })),
    ...range(300).map((i) => w.create(`/acl/r${i}`, `r${i}`, { acl: [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }] })),
  ]);
  // A quota as zkCli's setquota writes one; the stats node is filled in by the server, then kept up.
  await all(range(50).map((i) => w.create(`/q/a${i}`, 'x'.repeat(i))));
  await w.create('/zookeeper/quota/q', null);
  await w.create('/zookeeper/quota/q/zookeeper_limits', 'count=100000,bytes=-1');
  await w.create('/zookeeper/quota/q/zookeeper_stats', 'count=0,bytes=0');
  await all(range(200).map((i) => w.create(`/q/b${i}`, `b${i}`)));
  // Ephemerals of a session that stays open until Apache stops (a raw client: no closeSession).
  const eph = await RawClient.session(port, { timeout: 40000 });
  for (const i of range(1000)) eph.send(i + 1, { op: 'create', path: `/e/x${i}`, data: Buffer.from(`x${i}`), acl: OPEN, flags: 1 });
  for (const i of range(500)) eph.send(2000 + i, { op: 'create', path: '/e/s-', data: null, acl: OPEN, flags: 3 });
  for (let i = 0; i < 1500; i++) expect((await eph.reply())?.err).toBe(0);
  // Changes after the nodes exist: data, ACLs, deletes, multi (done and failed), ephemerals that a closeSession takes.
  await all(range(1500).map((i) => w.setData(`/p/n${i}`, i % 3 === 0 ? null : `new ${i}`)));
  await all(range(300).map((i) => w.setData(`/p/n${i}`, bytes(i + 1))));
  await all(range(100).map((i) => w.setACL(`/p/n${1500 + i}`, [{ perms: 3, id: { scheme: 'world', id: 'anyone' } }])));
  await all(range(500).map((i) => w.delete(`/p/n${3700 + i}`)));
  await all(range(100).map((i) => w.delete(`/q/b${i}`)));
  await all(range(50).map((i) => w.setData(`/q/a${i}`, 'y'.repeat(2 * i))));
  await w.multi([
    { type: 'create', path: '/m1', data: 'multi', options: {} },
    { type: 'setData', path: '/p/n5', data: 'from a multi', version: -1 },
    { type: 'check', path: '/p/n6', version: -1 },
  ]);
  await expect(w.multi([{ type: 'create', path: '/m2', data: 'no', options: {} }, { type: 'delete', path: '/absent', version: -1 }])).rejects.toThrow();
  await all(range(10).map((i) => w.create(`/e/w${i}`, null, { mode: 'ephemeral' })));
  await w.close();
  return eph;
}

describe.skipIf(noApache)('Apache ZooKeeper 3.8 data → zabkit → Apache', () => {
  const root = tempDir('zabkit-ops-');
  const running: (ApacheServer | RunningServer)[] = [];
  afterAll(async () => {
    await Promise.all(running.map((s) => s.stop()));
    removeDir(root);
  });

  it('imports, serves and exports every znode with its data, ACL and stat', async () => {
    const port = await freeBasePort(1);
    const first = await startApache({ port, dir: join(root, 'apache-1'), props: PROPS, cfg: ['snapCount=3000'] });
    running.push(first);
    const eph = await populate(port);
    const reader = await connect(`127.0.0.1:${port}`, { auth: [{ scheme: 'digest', auth: 'u:p' }] });
    const before = await readTree(reader);
    await reader.close();
    await first.stop();
    eph.close(); // the socket only: the session and its ephemerals stay in Apache's data
    expect(before.size).toBeGreaterThanOrEqual(10_000);
    expect([...before.keys()].filter((p) => p.startsWith('/e/'))).toHaveLength(1500);
    const apacheData = join(root, 'apache-1', 'data');

    // Served in place, Apache's data would be an empty tree: the server refuses it, naming the way out.
    const refused = launch(['server', '--host', '127.0.0.1', '--port', '0', '--data-dir', apacheData]);
    expect(await refused.exited).toBe(1);
    expect(refused.logs()).toContain(`${apacheData} holds Apache ZooKeeper's data files`);
    expect(refused.logs()).toContain(`zabkit import --from-apache ${apacheData}`);

    const zdir = join(root, 'zabkit');
    const imported = launch(['import', '--from-apache', apacheData, '--to', zdir]);
    expect(await imported.exited, imported.logs()).toBe(0);
    expect(imported.logs()).toMatch(/digest at zxid 0x[0-9a-f]+ matches Apache's/);
    // A snapshot taken mid-load (snapCount=3000), and txns after it from the logs.
    expect(parseInt(/snapshot\.([0-9a-f]+) \(zxid/.exec(imported.logs())?.[1] ?? '0', 16)).toBeGreaterThan(0);
    expect(Number(/(\d+) txn\(s\) replayed/.exec(imported.logs())?.[1] ?? '0')).toBeGreaterThan(0);

    const z = await startServer(zdir, ['--extended-types', 'true']);
    running.push(z);
    const zc = await connect(`127.0.0.1:${z.port}`, { auth: [{ scheme: 'digest', auth: 'u:p' }] });
    const served = await readTree(zc);
    await zc.close();
    expect(differences(before, served)).toEqual([]);
    expect(await z.stop()).toBe(0);

    const adir = join(root, 'apache-2');
    const exported = launch(['export', '--from', zdir, '--to-apache', join(adir, 'data')]);
    expect(await exported.exited, exported.logs()).toBe(0);
    const second = await startApache({ port, dir: adir, props: PROPS });
    running.push(second);
    const ac = await connect(`127.0.0.1:${port}`, { auth: [{ scheme: 'digest', auth: 'u:p' }] });
    const after = await readTree(ac);
    await ac.close();
    expect(differences(before, after)).toEqual([]);
    // Apache compared the snapshot's digest with the tree it loaded.
    expect(await fourLetter(port, 'mntr')).toMatch(/zk_digest_mismatches_count\t0\n/);
    await second.stop();
  }, 120_000);
});
