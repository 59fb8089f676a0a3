// One or more checks per rule of spec/data-tree.md; names start with the rule id.
import { describe, expect, it } from 'vitest';
import {
  apply,
  authenticate,
  Code,
  CreateMode,
  digestOf,
  emptyTree,
  errorTxn,
  EventType,
  exists,
  expiredNodes,
  firstSessionId,
  fixupAcl,
  getAcl,
  getAllChildrenNumber,
  getChildren,
  getData,
  getEphemerals,
  multiRead,
  negotiateTimeout,
  OPEN_ACL,
  passwordMatches,
  pathProblem,
  Perms,
  READ_ACL,
  sessionPassword,
  statOf,
  whoAmI,
  allowed,
  sessionClock,
  touch,
  expired,
  serializeTree,
  deserializeTree,
} from '../../src/tree/index.ts';
import { decodeTxn, encodeTxn } from '../../src/wire/txn.ts';
import { bytes, createdPath, Harness, text } from './harness.ts';

const S = 0x100000000000001n;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function started(config?: ConstructorParameters<typeof Harness>[0]): Harness {
  const h = new Harness(config);
  h.session(S);
  return h;
}

describe('paths', () => {
  it('TREE-1 validates paths as ZooKeeper does', () => {
    for (const ok of ['/', '/a', '/a/b', '/a.b', '/..a', '/zookeeper/x']) expect(pathProblem(ok), ok).toBeUndefined();
    for (const bad of ['', 'a', '/a/', '//a', '/a//b', '/a/./b', '/a/..', '/a\u0000', '/a\u0001', '/\u007f', '/\ud800', '/\ufff0'])
      expect(pathProblem(bad), JSON.stringify(bad)).toBeDefined();
    const h = started();
    // ZooKeeper looks the parent up before it validates the whole path.
    expect(h.create(S, '/a/')).toBe(Code.NoNode);
    h.create(S, '/a');
    expect(h.create(S, '/a/')).toBe(Code.BadArguments);
    expect(h.create(S, 'a')).toBe(Code.BadArguments);
    // A sequential create validates the path with its suffix.
    expect(createdPath(h.create(S, '/', { flags: CreateMode.PERSISTENT_SEQUENTIAL }))).toBe('/0000000001');
    expect(createdPath(h.create(S, '/a/', { flags: CreateMode.PERSISTENT_SEQUENTIAL }))).toBe('/a/0000000000');
  });

  it('TREE-2 refuses to delete the reserved nodes', () => {
    const h = started();
    for (const p of ['/', '/zookeeper', '/zookeeper/quota', '/zookeeper/config'])
      expect(h.write(S, { op: 'delete', path: p, version: -1 })).toBe(Code.BadArguments);
    expect(createdPath(h.create(S, '/zookeeper/mine'))).toBe('/zookeeper/mine');
    expect(h.write(S, { op: 'setData', path: '/zookeeper/config', data: bytes('x'), version: -1 })).toBe(Code.NoAuth);
  });

  it('TREE-3 starts with the four system nodes and their stats (seen on ZooKeeper 3.8.0)', () => {
    const t = emptyTree();
    expect([...t.nodes.keys()].sort()).toEqual(['/', '/zookeeper', '/zookeeper/config', '/zookeeper/quota']);
    const stat = (p: string) => statOf(t.nodes.get(p) ?? (undefined as never));
    expect(stat('/')).toMatchObject({ cversion: -1, numChildren: 1, version: 0, aversion: 0, czxid: 0, pzxid: 0 });
    expect(stat('/zookeeper')).toMatchObject({ cversion: -2, numChildren: 2 });
    expect(stat('/zookeeper/config')).toMatchObject({ cversion: 0, aversion: -1, numChildren: 0 });
    expect(t.nodes.get('/zookeeper/config')?.acl).toEqual(READ_ACL);
  });
});

describe('znode types', () => {
  it('TREE-4 refuses unknown create flags', () => {
    const h = started();
    expect(h.create(S, '/x', { flags: 7 })).toBe(Code.BadArguments);
    expect(h.create(S, '/x', { flags: -1 })).toBe(Code.BadArguments);
  });

  it('TREE-5 ephemerals belong to their session and have no children', () => {
    const h = started();
    h.create(S, '/e', { flags: CreateMode.EPHEMERAL });
    expect(h.create(S, '/e/x')).toBe(Code.NoChildrenForEphemerals);
    expect(statOf(h.tree.nodes.get('/e') ?? (undefined as never)).ephemeralOwner).toBe(S);
    expect(getEphemerals(h.tree, S, '/')).toEqual(['/e']);
  });

  it('TREE-6 names sequential nodes by the count of child creates, as ZooKeeper 3.8.0 does (seen)', () => {
    // The zkCli session run against Apache ZooKeeper 3.8.0: create /q, /q/a, /q/b; delete /q/a;
    // create -s /q/item- → /q/item-0000000002 (cversion 4); delete /q/b; create -s →
    // /q/item-0000000003 (cversion 6).
    const h = started();
    h.create(S, '/q');
    h.create(S, '/q/a');
    h.create(S, '/q/b');
    h.write(S, { op: 'delete', path: '/q/a', version: -1 });
    expect(createdPath(h.create(S, '/q/item-', { flags: CreateMode.PERSISTENT_SEQUENTIAL }))).toBe('/q/item-0000000002');
    expect(statOf(h.tree.nodes.get('/q') ?? (undefined as never))).toMatchObject({ cversion: 4, numChildren: 2 });
    h.write(S, { op: 'delete', path: '/q/b', version: -1 });
    expect(createdPath(h.create(S, '/q/item-', { flags: CreateMode.PERSISTENT_SEQUENTIAL }))).toBe('/q/item-0000000003');
    expect(statOf(h.tree.nodes.get('/q') ?? (undefined as never))).toMatchObject({ cversion: 6, numChildren: 2 });
    // A failed create does not advance the counter.
    expect(h.create(S, '/q/item-0000000003')).toBe(Code.NodeExists);
    expect(createdPath(h.create(S, '/q/item-', { flags: CreateMode.EPHEMERAL_SEQUENTIAL }))).toBe('/q/item-0000000004');
  });

  it('TREE-7 deletes used, childless containers only', () => {
    const h = started();
    expect(h.write(S, { op: 'createContainer', path: '/c', data: bytes(''), acl: OPEN_ACL, flags: CreateMode.CONTAINER })).toMatchObject({ type: 'create' });
    expect(statOf(h.tree.nodes.get('/c') ?? (undefined as never)).ephemeralOwner).toBe(0n);
    expect(expiredNodes(h.tree, h.time)).toEqual([]);
    h.create(S, '/c/k');
    expect(expiredNodes(h.tree, h.time)).toEqual([]);
    expect(h.write(0n, { op: 'deleteContainer', path: '/c' })).toBe(Code.NotEmpty);
    h.write(S, { op: 'delete', path: '/c/k', version: -1 });
    expect(expiredNodes(h.tree, h.time)).toEqual(['/c']);
    h.create(S, '/e', { flags: CreateMode.EPHEMERAL });
    expect(h.write(0n, { op: 'deleteContainer', path: '/e' })).toBe(Code.BadVersion);
    expect(h.write(0n, { op: 'deleteContainer', path: '/c' })).toEqual({ type: 'delete' });
  });

  it('TREE-8 TTL nodes need extended types and a TTL in range, and expire when idle', () => {
    const ttlCreate = (ttl: number, flags: number = CreateMode.PERSISTENT_WITH_TTL) =>
      ({ op: 'createTTL', path: '/t', data: bytes(''), acl: OPEN_ACL, flags, ttl }) as const;
    expect(started().write(S, ttlCreate(100))).toBe(Code.Unimplemented);
    const h = started({ extendedTypes: true, enforceQuota: false, maxDataBytes: 0xfffff });
    expect(h.write(S, ttlCreate(0))).toBe(Code.BadArguments);
    expect(h.write(S, ttlCreate(2 ** 40))).toBe(Code.BadArguments);
    expect(h.write(S, ttlCreate(100, CreateMode.PERSISTENT))).toBe(Code.BadArguments);
    expect(h.create(S, '/t2', { flags: CreateMode.PERSISTENT_WITH_TTL })).toBe(Code.BadArguments);
    expect(h.write(S, ttlCreate(100))).toMatchObject({ type: 'create', path: '/t' });
    const mtime = h.tree.nodes.get('/t')?.mtime ?? 0;
    expect(expiredNodes(h.tree, mtime + 100)).toEqual([]);
    expect(expiredNodes(h.tree, mtime + 101)).toEqual(['/t']);
  });
});

describe('stat', () => {
  it('TREE-9 TREE-10 a create stamps the node and its parent', () => {
    const h = started();
    const r = h.create(S, '/n', { data: 'hello' });
    expect(r).toMatchObject({ type: 'create', path: '/n' });
    const stat = typeof r === 'number' || r.type !== 'create' ? undefined : r.stat;
    expect(stat).toEqual({
      czxid: h.zxid, mzxid: h.zxid, pzxid: h.zxid, ctime: h.time, mtime: h.time,
      version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0n, dataLength: 5, numChildren: 0,
    });
    // The root's counter starts at 0 with /zookeeper already there (hence its cversion −1).
    expect(h.tree.nodes.get('/')).toMatchObject({ pzxid: h.zxid, childCreates: 1 });
  });

  it('TREE-9 null data stays null (not empty) through create, setData, snapshot and the txn log', () => {
    const h = started();
    h.write(S, { op: 'create', path: '/nul', data: null, acl: OPEN_ACL, flags: 0 });
    h.create(S, '/empty', { data: '' });
    expect(getData(h.tree, '/nul', [])).toMatchObject({ ok: true, value: { data: null, stat: { dataLength: 0 } } });
    expect(getData(h.tree, '/empty', [])).toMatchObject({ ok: true, value: { data: new Uint8Array(0) } });
    h.write(S, { op: 'setData', path: '/empty', data: null, version: -1 });
    expect(getData(h.tree, '/empty', [])).toMatchObject({ ok: true, value: { data: null } });
    const loaded = deserializeTree(serializeTree(h.tree));
    expect(loaded.ok && loaded.tree.nodes.get('/nul')?.data).toBeNull();
    const txn = { zxid: 7, time: 1, session: S, op: { type: 'setData', path: '/x', data: null, version: 1 } } as const;
    expect(decodeTxn(encodeTxn(txn))).toEqual({ ok: true, value: txn });
  });

  it('TREE-11 a delete moves the parent pzxid, and cversion counts creates plus deletes', () => {
    const h = started();
    h.create(S, '/p');
    h.create(S, '/p/a');
    h.write(S, { op: 'delete', path: '/p/a', version: -1 });
    expect(statOf(h.tree.nodes.get('/p') ?? (undefined as never))).toMatchObject({ pzxid: h.zxid, cversion: 2, numChildren: 0 });
  });

  it('TREE-12 TREE-13 setData moves version, mzxid, mtime; setACL only aversion', () => {
    const h = started();
    h.create(S, '/n');
    const created = h.zxid;
    expect(h.write(S, { op: 'setData', path: '/n', data: bytes('ab'), version: 0 })).toMatchObject({
      type: 'setData', stat: { version: 1, mzxid: h.zxid, czxid: created, pzxid: created, dataLength: 2, mtime: h.time },
    });
    const afterData = h.zxid;
    expect(h.write(S, { op: 'setACL', path: '/n', acl: READ_ACL, version: 0 })).toMatchObject({
      type: 'setACL', stat: { aversion: 1, version: 1, mzxid: afterData },
    });
  });

  it('nodes share one instance of the world:anyone ACL lists (a fresh equal list is not kept per node)', () => {
    const h = started();
    const world = (perms: number) => [{ perms, id: { scheme: 'world', id: 'anyone' } }];
    h.create(S, '/open', { acl: world(Perms.ALL) });
    expect(h.tree.nodes.get('/open')?.acl).toBe(OPEN_ACL);
    h.write(S, { op: 'setACL', path: '/open', acl: world(Perms.READ), version: 0 });
    expect(h.tree.nodes.get('/open')?.acl).toBe(READ_ACL);
    const other = world(Perms.READ | Perms.WRITE);
    h.create(S, '/rw', { acl: other });
    expect(h.tree.nodes.get('/rw')?.acl).toEqual(other);
    expect(h.tree.nodes.get('/rw')?.acl).not.toBe(OPEN_ACL);
  });
});

describe('operations', () => {
  it('TREE-14 checks a create in ZooKeeper order', () => {
    const h = started();
    const bob = [{ perms: Perms.ALL, id: { scheme: 'digest', id: digestOf('bob:pw') } }];
    h.create(S, '/locked', { acl: bob });
    // A missing parent is NoNode before anything about the ACL of what is not there.
    expect(h.create(S, '/missing/x')).toBe(Code.NoNode);
    expect(h.create(S, '/locked/x')).toBe(Code.NoAuth);
    // InvalidACL comes before the parent is looked up.
    expect(h.create(S, '/missing/x', { acl: [] })).toBe(Code.InvalidACL);
    expect(h.create(S, '/locked')).toBe(Code.NodeExists);
    expect(createdPath(h.create(S, '/locked/x', { auth: [{ scheme: 'digest', id: digestOf('bob:pw') }] }))).toBe('/locked/x');
  });

  it('TREE-15 create replies with the path, create2 with path and stat', () => {
    const h = started();
    expect(h.write(S, { op: 'create', path: '/a', data: bytes(''), acl: OPEN_ACL, flags: 0 })).toEqual({ type: 'create', path: '/a' });
    expect(h.create(S, '/b')).toMatchObject({ type: 'create', path: '/b', stat: { czxid: h.zxid } });
  });

  it('TREE-16 TREE-18 delete checks parent, ACL, node, version, children', () => {
    const h = started();
    h.create(S, '/d');
    h.create(S, '/d/c');
    expect(h.write(S, { op: 'delete', path: '/nope/x', version: -1 })).toBe(Code.NoNode);
    expect(h.write(S, { op: 'delete', path: '/d/nope', version: -1 })).toBe(Code.NoNode);
    expect(h.write(S, { op: 'delete', path: '/d', version: 5 })).toBe(Code.BadVersion);
    expect(h.write(S, { op: 'delete', path: '/d', version: 0 })).toBe(Code.NotEmpty);
    expect(h.write(S, { op: 'delete', path: '/d/c', version: 0 })).toEqual({ type: 'delete' });
  });

  it('TREE-17 setData needs WRITE and the right version', () => {
    const h = started();
    h.create(S, '/r', { acl: READ_ACL });
    expect(h.write(S, { op: 'setData', path: '/r', data: bytes('x'), version: -1 })).toBe(Code.NoAuth);
    h.create(S, '/w');
    expect(h.write(S, { op: 'setData', path: '/w', data: bytes('x'), version: 3 })).toBe(Code.BadVersion);
    expect(h.write(S, { op: 'setData', path: '/nope', data: bytes('x'), version: -1 })).toBe(Code.NoNode);
  });

  it('TREE-19 check changes nothing and fails on a wrong version', () => {
    const h = started();
    h.create(S, '/k');
    const before = h.tree;
    expect(h.write(S, { op: 'check', path: '/k', version: 0 })).toEqual({ type: 'check' });
    expect(h.tree.nodes).toBe(before.nodes);
    expect(h.write(S, { op: 'check', path: '/k', version: 1 })).toBe(Code.BadVersion);
  });

  it('TREE-20 setACL needs ADMIN, a valid ACL and the right aversion', () => {
    const h = started();
    h.create(S, '/a', { acl: [{ perms: Perms.READ | Perms.WRITE, id: { scheme: 'world', id: 'anyone' } }] });
    expect(h.write(S, { op: 'setACL', path: '/a', acl: OPEN_ACL, version: -1 })).toBe(Code.NoAuth);
    h.create(S, '/b');
    expect(h.write(S, { op: 'setACL', path: '/b', acl: [], version: -1 })).toBe(Code.InvalidACL);
    expect(h.write(S, { op: 'setACL', path: '/b', acl: READ_ACL, version: 1 })).toBe(Code.BadVersion);
  });

  it('TREE-21 multi is all or nothing, with ZooKeeper per-op codes (seen: check then create → −103, −2)', () => {
    const h = started();
    h.create(S, '/m');
    const before = h.tree;
    const p = h.prepare(S, {
      op: 'multi',
      ops: [
        { op: 'create', path: '/m/a', data: bytes(''), acl: OPEN_ACL, flags: 0 },
        { op: 'check', path: '/m', version: 7 },
        { op: 'create', path: '/m/b', data: bytes(''), acl: OPEN_ACL, flags: 0 },
      ],
    });
    expect(p).toEqual({ ok: false, err: Code.BadVersion, results: [0, Code.BadVersion, Code.RuntimeInconsistency] });
    expect(h.tree).toBe(before);
    const ok = h.write(S, {
      op: 'multi',
      ops: [
        { op: 'create', path: '/m/a', data: bytes(''), acl: OPEN_ACL, flags: 0 },
        { op: 'create', path: '/m/a/b', data: bytes(''), acl: OPEN_ACL, flags: CreateMode.PERSISTENT_SEQUENTIAL },
        { op: 'create', path: '/m/a/b', data: bytes(''), acl: OPEN_ACL, flags: CreateMode.PERSISTENT_SEQUENTIAL },
        { op: 'setData', path: '/m', data: bytes('v'), version: 0 },
      ],
    });
    expect(ok).toMatchObject({ type: 'multi', results: [{ path: '/m/a' }, { path: '/m/a/b0000000000' }, { path: '/m/a/b0000000001' }, { type: 'setData' }] });
    // One zxid for every op of the multi.
    expect(h.tree.nodes.get('/m/a/b0000000001')?.czxid).toBe(h.tree.nodes.get('/m/a')?.czxid);
    expect(h.prepare(S, { op: 'multi', ops: [{ op: 'createSession', timeout: 1 }] })).toMatchObject({ ok: false, err: Code.BadArguments });
    // A multi's ops update a private draft in place: the tree before it is untouched, the one after is immutable again.
    const kept = h.tree;
    const keptSize = kept.nodes.size;
    h.write(S, { op: 'multi', ops: [0, 1, 2].map((k) => ({ op: 'create' as const, path: `/m/c${k}`, data: bytes(''), acl: OPEN_ACL, flags: 0 })) });
    expect([kept.nodes.size, kept.nodes.has('/m/c0'), kept.nodes.get('/m')?.children.size]).toEqual([keptSize, false, 1]);
    expect(h.tree.nodes.size).toBe(keptSize + 3);
    expect(h.tree.nodes.set('/x', h.tree.nodes.get('/m')!)).not.toBe(h.tree.nodes);
    expect(h.tree.sessions.set(99n, { timeout: 1, ephemerals: h.tree.sessions.first()!.ephemerals })).not.toBe(h.tree.sessions);
  });

  it('TREE-22 reads answer as ZooKeeper does', () => {
    const h = started();
    const alice = { scheme: 'digest', id: digestOf('alice:secret') };
    h.create(S, '/r', { data: 'v', acl: [{ perms: Perms.READ, id: { scheme: 'world', id: 'anyone' } }, { perms: Perms.ALL, id: alice }] });
    h.create(S, '/r/b', { auth: [alice] });
    h.create(S, '/r/a', { auth: [alice] });
    h.create(S, '/hidden', { acl: [{ perms: Perms.ALL, id: alice }] });
    expect(exists(h.tree, '/nope', [])).toEqual({ ok: false, err: Code.NoNode });
    expect(exists(h.tree, '/hidden', [])).toEqual({ ok: false, err: Code.NoAuth });
    expect(getData(h.tree, '/r', [])).toMatchObject({ ok: true, value: { stat: { dataLength: 1 } } });
    expect(getChildren(h.tree, '/r', [])).toMatchObject({ ok: true, value: { children: ['a', 'b'], stat: { numChildren: 2 } } });
    expect(getAcl(h.tree, '/r', [])).toMatchObject({ ok: true, value: { acl: [{ perms: 1 }, { perms: 31, id: { scheme: 'digest', id: 'alice:x' } }] } });
    expect(getAcl(h.tree, '/r', [alice])).toMatchObject({ ok: true, value: { acl: [{ perms: 1 }, { id: alice }] } });
    expect(getAllChildrenNumber(emptyTree(), '/', [])).toEqual({ ok: true, value: 3 });
    expect(getAllChildrenNumber(h.tree, '/r', [])).toEqual({ ok: true, value: 2 });
    h.create(S, '/r/a/e1', { flags: CreateMode.EPHEMERAL });
    expect(h.tree.nodes.has('/r/a/e1')).toBe(true);
    h.create(S, '/e2', { flags: CreateMode.EPHEMERAL });
    expect(getEphemerals(h.tree, S, '/r')).toEqual(['/r/a/e1']);
    expect(getEphemerals(h.tree, S, '')).toEqual(['/e2', '/r/a/e1']);
    // In ZooKeeper's order, that of a Java hash set of the ids (seen on 3.8.0: this digest before the ip).
    expect(whoAmI([{ scheme: 'ip', id: '127.0.0.1' }, alice])).toEqual([{ scheme: 'digest', user: 'alice' }, { scheme: 'ip', user: '127.0.0.1' }]);
    expect(multiRead(h.tree, [{ op: 'getData', path: '/r' }, { op: 'getChildren', path: '/nope' }, { op: 'getChildren', path: '/r' }], [])).toMatchObject([
      { type: 'getData' },
      { type: 'error', err: Code.NoNode },
      { type: 'getChildren', children: ['a', 'b'] },
    ]);
  });

  it('TREE-23 an error txn applies as nothing', () => {
    const h = started();
    const failure = h.prepare(S, { op: 'delete', path: '/nope', version: -1 });
    if (failure.ok) throw new Error('expected a failure');
    const a = apply(h.tree, errorTxn({ session: S, auth: [], zxid: 99, time: 5 }, failure));
    expect(a).toEqual({ tree: h.tree, events: [], result: { type: 'error', err: Code.NoNode } });
  });

  it('TREE-24 keeps quota usage up to date and enforces hard limits when asked', () => {
    const h = started({ extendedTypes: false, enforceQuota: true, maxDataBytes: 0xfffff });
    h.create(S, '/app', { data: 'xx' });
    h.create(S, '/zookeeper/quota/app');
    h.create(S, '/zookeeper/quota/app/zookeeper_limits', { data: 'count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=3' });
    h.create(S, '/zookeeper/quota/app/zookeeper_stats', { data: 'count=0,bytes=0' });
    const usage = () => text(h.tree.nodes.get('/zookeeper/quota/app/zookeeper_stats')?.data ?? new Uint8Array());
    expect(usage()).toBe('count=1,bytes=2');
    h.create(S, '/app/a', { data: 'yyy' });
    expect(usage()).toBe('count=2,bytes=5');
    h.write(S, { op: 'setData', path: '/app/a', data: bytes('z'), version: -1 });
    expect(usage()).toBe('count=2,bytes=3');
    h.create(S, '/app/b');
    expect(h.create(S, '/app/c')).toBe(Code.QuotaExceeded);
    h.write(S, { op: 'delete', path: '/app/b', version: -1 });
    expect(usage()).toBe('count=2,bytes=3');
    // A soft limit lets the write through, with a warning.
    h.write(S, { op: 'setData', path: '/zookeeper/quota/app/zookeeper_limits', data: bytes('count=2,bytes=-1'), version: -1 });
    const p = h.prepare(S, { op: 'create', path: '/app/c', data: bytes(''), acl: OPEN_ACL, flags: 0 });
    expect(p).toMatchObject({ ok: true, warnings: [expect.stringContaining('Quota exceeded: /app')] });
  });

  it('TREE-25 refuses data over jute.maxbuffer', () => {
    const h = started({ extendedTypes: false, enforceQuota: false, maxDataBytes: 4 });
    expect(h.create(S, '/big', { data: '12345' })).toBe(Code.BadArguments);
    expect(createdPath(h.create(S, '/ok', { data: '1234' }))).toBe('/ok');
  });
});

describe('sessions', () => {
  it('SESSION-1 clamps the timeout to 2..20 ticks', () => {
    expect(negotiateTimeout(1000, 2000)).toBe(4000);
    expect(negotiateTimeout(10_000, 2000)).toBe(10_000);
    expect(negotiateTimeout(100_000, 2000)).toBe(40_000);
  });

  it('SESSION-2 ids carry the server id in the top byte', () => {
    const id = firstSessionId(3, 1_700_000_000_000);
    expect(id >> 56n).toBe(3n);
    expect(firstSessionId(1, 1_700_000_000_000)).not.toBe(id);
  });

  it('SESSION-3 passwords are java.util.Random(id ^ 0xB3415C00) bytes (vectors from Java 17)', () => {
    expect(hex(sessionPassword(0x100000000000001n))).toBe('054cc74a37327db215e702e20c73f005');
    expect(hex(sessionPassword(0x2a0000017f3c1d00n))).toBe('eca2025d554f9d17bbfcc41a4e2e4d91');
    expect(hex(sessionPassword(-5n))).toBe('d47144b5e45e45c49c3b7fdcd66257ba');
    expect(passwordMatches(S, sessionPassword(S))).toBe(true);
    expect(passwordMatches(S, sessionPassword(S + 1n))).toBe(false);
  });

  it('SESSION-4 closing a session deletes its ephemerals and fires their watches', () => {
    const h = started();
    const T = h.session(0x200000000000001n);
    h.create(S, '/p');
    h.create(S, '/p/e', { flags: CreateMode.EPHEMERAL });
    h.create(T, '/p/t', { flags: CreateMode.EPHEMERAL });
    h.events = [];
    const close = h.prepare(S, { op: 'closeSession' });
    expect(close).toMatchObject({ ok: true, txn: { op: { type: 'closeSession', paths: ['/p/e'] } } });
    if (!close.ok) return;
    const a = apply(h.tree, close.txn);
    expect([...a.tree.nodes.keys()].filter((p) => p.startsWith('/p/'))).toEqual(['/p/t']);
    expect(a.tree.sessions.has(S)).toBe(false);
    expect(a.events.map((e) => [e.type, e.path])).toEqual([[EventType.NodeDeleted, '/p/e'], [EventType.NodeChildrenChanged, '/p']]);
  });

  it('SESSION-5 a write from an unknown session is SessionExpired', () => {
    const h = started();
    expect(h.create(0x999n, '/x')).toBe(Code.SessionExpired);
    expect(h.write(0x999n, { op: 'delete', path: '/x', version: -1 })).toBe(Code.SessionExpired);
  });

  it('SESSION-6 expires sessions by tick-rounded deadlines', () => {
    let c = sessionClock(2000);
    c = touch(c, 1n, 4000, 1000); // deadline round(5000) → 6000
    c = touch(c, 2n, 4000, 2500); // 6500 → 8000
    expect(expired(c, 5999)).toEqual([]);
    expect(expired(c, 6000)).toEqual([1n]);
    expect(expired(c, 8000)).toEqual([1n, 2n]);
    // A touch within the same tick keeps the deadline, and the very same clock (no copy per packet).
    expect(touch(c, 1n, 4000, 1500)).toBe(c);
    expect(touch(c, 1n, 4000, 2000).deadlines.get(1n)).toBe(8000);
  });
});

describe('ACLs', () => {
  it('ACL-1 ACL-2 digest ids are user:base64(sha1(user:password)); the super digest adds super', () => {
    // Vectors from ZooKeeper 3.8.0's own DigestAuthenticationProvider main().
    expect(digestOf('super:superpw')).toBe('super:g9oN2HttPfn8MMWJZ2r45Np/LIA=');
    expect(digestOf('bob:pw')).toBe('bob:ikIaKsbtGweaHnb/jKn7OHqbunM=');
    expect(authenticate('digest', 'super:superpw', 'super:g9oN2HttPfn8MMWJZ2r45Np/LIA=')).toEqual([
      { scheme: 'super', id: '' },
      { scheme: 'digest', id: 'super:g9oN2HttPfn8MMWJZ2r45Np/LIA=' },
    ]);
    expect(authenticate('kerberos', 'x')).toBe(Code.AuthFailed);
  });

  it('ACL-3 validates and expands ACLs', () => {
    const bob = { scheme: 'digest', id: digestOf('bob:pw') };
    const ip = { scheme: 'ip', id: '127.0.0.1' };
    expect(fixupAcl([{ perms: 31, id: { scheme: 'auth', id: '' } }], [ip])).toBe(Code.InvalidACL);
    expect(fixupAcl([{ perms: 31, id: { scheme: 'auth', id: '' } }], [ip, bob])).toEqual([{ perms: 31, id: bob }]);
    expect(fixupAcl([{ perms: 31, id: { scheme: 'world', id: 'someone' } }], [])).toBe(Code.InvalidACL);
    expect(fixupAcl([{ perms: 31, id: { scheme: 'digest', id: 'nohash' } }], [])).toBe(Code.InvalidACL);
    const sasl = { scheme: 'sasl', id: 'jaasuser' };
    expect(fixupAcl([{ perms: 31, id: sasl }], [])).toBe(Code.InvalidACL); // no SASL provider configured
    expect(fixupAcl([{ perms: 31, id: sasl }], [], true)).toEqual([{ perms: 31, id: sasl }]);
    expect(fixupAcl([{ perms: 31, id: { scheme: 'sasl', id: '' } }], [], true)).toBe(Code.InvalidACL);
    expect(fixupAcl([{ perms: 31, id: { scheme: 'auth', id: '' } }], [ip, sasl], true)).toEqual([{ perms: 31, id: sasl }]);
    expect(fixupAcl([{ perms: 31, id: { scheme: 'digest', id: 'a:b:' } }], [])).not.toBe(Code.InvalidACL);
    expect(fixupAcl([{ perms: 31, id: { scheme: 'ip', id: '10.0.0.0/33' } }], [])).toBe(Code.InvalidACL);
    expect(fixupAcl([{ perms: 31, id: { scheme: 'ip', id: '300.0.0.1' } }], [])).toBe(Code.InvalidACL);
    expect(fixupAcl([{ perms: 31, id: { scheme: 'ip', id: 'fe80::1/64' } }], [])).not.toBe(Code.InvalidACL);
    expect(fixupAcl([{ perms: 31, id: { scheme: 'x509', id: 'cn' } }], [])).toBe(Code.InvalidACL);
    expect(fixupAcl([...OPEN_ACL, ...OPEN_ACL], [])).toBe(OPEN_ACL);
  });

  it('ACL-4 grants by world, matching id, ip network or super', () => {
    const net = [{ perms: Perms.READ, id: { scheme: 'ip', id: '10.1.0.0/16' } }];
    expect(allowed(net, Perms.READ, [{ scheme: 'ip', id: '10.1.200.3' }])).toBe(true);
    expect(allowed(net, Perms.READ, [{ scheme: 'ip', id: '10.2.0.1' }])).toBe(false);
    expect(allowed(net, Perms.WRITE, [{ scheme: 'ip', id: '10.1.0.1' }])).toBe(false);
    expect(allowed(net, Perms.WRITE, [{ scheme: 'super', id: '' }])).toBe(true);
    expect(allowed([], Perms.ADMIN, [])).toBe(true);
    expect(allowed([{ perms: Perms.READ, id: { scheme: 'ip', id: '::1' } }], Perms.READ, [{ scheme: 'ip', id: '0:0:0:0:0:0:0:1' }])).toBe(true);
  });
});
