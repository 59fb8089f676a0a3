// Real ensembles: 3 and 5 servers (and an observer) in their own processes, with real clients
// (node-zookeeper-client, kazoo, a raw protocol client) writing through learners and reading
// from every server after sync; sessions that move between servers; `zabkit status`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import zookeeper from 'node-zookeeper-client';
import { describe, expect, it } from 'vitest';
import { childrenAfterSync, create, nodeClient, readAfterSync, suiteEnsemble, until } from './ensemble-harness.ts';
import { fourLetter, KAZOO_PYTHON, launch, peerMissing, RawClient } from './harness.ts';

const OPEN = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'zabkit.mjs');

describe('a 3-server ensemble', () => {
  const suite = suiteEnsemble({ size: 3 });

  it('elects one leader; writes through a follower reach every server (SERVER-10), read after a sync there (SERVER-11); zabkit status shows the roles', async () => {
    const { leader, learners } = await suite.e.stable();
    expect(learners).toHaveLength(2);
    const follower = learners[0]!;
    const c = await nodeClient(`127.0.0.1:${follower.port}`);
    expect(await create(c, '/via-follower', 'hello')).toEqual({ err: 0, path: '/via-follower' });
    expect((await create(c, '/via-follower/s-', 'x', zookeeper.CreateMode.PERSISTENT_SEQUENTIAL)).path).toBe('/via-follower/s-0000000000');
    expect((await create(c, '/via-follower', 'again')).err).toBe(-110);
    c.close();
    for (const p of suite.e.peers) expect(await readAfterSync(p.port, '/via-follower')).toBe('hello');

    const r = spawnSync(process.execPath, [BIN, 'status', suite.e.connect], { encoding: 'utf8', timeout: 30000 });
    expect(r.status).toBe(0);
    const rows = r.stdout.trim().split('\n').slice(1);
    expect(rows).toHaveLength(3);
    expect(rows.filter((l) => /\bleader\b/.test(l))).toEqual([expect.stringContaining(`127.0.0.1:${leader.port}`)]);
    expect(rows.filter((l) => /\bfollower\b/.test(l))).toHaveLength(2);
    // Every server names the same established epoch.
    expect(new Set(rows.map((l) => l.split(/\s+/)[2])).size).toBe(1);
  });

  it.skipIf(peerMissing('kazoo', KAZOO_PYTHON))('kazoo writes through one follower and reads from each server after sync', async () => {
    const { learners } = await suite.e.stable();
    const py = `
import sys, json
from kazoo.client import KazooClient
w = KazooClient(hosts=sys.argv[1], timeout=10); w.start(timeout=10)
w.create('/kz-ens', b'k1'); w.set('/kz-ens', b'k2'); w.create('/kz-ens/e', b'', ephemeral=True)
out = []
for h in sys.argv[2].split(','):
    r = KazooClient(hosts=h, timeout=10); r.start(timeout=10); r.sync('/kz-ens')
    data, stat = r.get('/kz-ens'); out.append([data.decode(), stat.version, sorted(r.get_children('/kz-ens'))]); r.stop()
w.stop()
print(json.dumps(out))`;
    const r = spawnSync(KAZOO_PYTHON!, ['-c', py, `127.0.0.1:${learners[1]!.port}`, suite.e.connect], { encoding: 'utf8', timeout: 60000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      ['k2', 1, ['e']],
      ['k2', 1, ['e']],
      ['k2', 1, ['e']],
    ]);
    // The writer's session closed: its ephemeral is gone everywhere.
    for (const p of suite.e.peers) expect(await childrenAfterSync(p.port, '/kz-ens')).toEqual([]);
  });

  it('a client of a follower reads its own writes in order, pipelined', async () => {
    const { learners } = await suite.e.stable();
    const c = await RawClient.session(learners[1]!.port);
    c.send(1, { op: 'create', path: '/rw', data: Buffer.from('a'), acl: OPEN, flags: 0 });
    c.send(2, { op: 'getData', path: '/rw', watch: false });
    c.send(3, { op: 'setData', path: '/rw', data: Buffer.from('b'), version: 0 });
    c.send(4, { op: 'getData', path: '/rw', watch: false });
    c.send(5, { op: 'delete', path: '/rw', version: 1 });
    c.send(6, { op: 'exists', path: '/rw', watch: false });
    const replies = [];
    for (let i = 0; i < 6; i++) replies.push((await c.reply())!);
    expect(replies.map((r) => [r.xid, r.err])).toEqual([[1, 0], [2, 0], [3, 0], [4, 0], [5, 0], [6, -101]]);
    expect(Buffer.from(replies[1]!.body.buffer() ?? []).toString()).toBe('a');
    expect(Buffer.from(replies[3]!.body.buffer() ?? []).toString()).toBe('b');
    // Zxids in the reply headers never go backwards on one connection.
    const zxids = replies.map((r) => r.zxid);
    expect([...zxids].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))).toEqual(zxids);
    c.close();
  });

  it('a malformed peer frame closes that peer connection, is logged, and leaves the ensemble serving', async () => {
    const { leader } = await suite.e.stable();
    const frame = (body: string) => {
      const b = Buffer.from(body);
      const f = Buffer.alloc(4 + b.length);
      f.writeInt32BE(b.length);
      b.copy(f, 4);
      return f;
    };
    const bad = [
      Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]), // negative length
      frame('not json'),
      frame(JSON.stringify({ type: 'HELLO', sid: 42, channel: 'quorum', v: 1 })), // not a member
      Buffer.concat([frame(JSON.stringify({ type: 'HELLO', sid: 2, channel: 'quorum', v: 1 })), frame(JSON.stringify({ type: 'PROPOSAL', txn: { zxid: 1, value: { kind: 'txn', txn: 'AAAA' } } }))]),
    ];
    for (const bytes of bad) {
      const closed = await new Promise<boolean>((resolve) => {
        const s = connect(leader.member.quorumPort, '127.0.0.1', () => s.write(bytes));
        s.on('error', () => {});
        s.on('close', () => resolve(true));
        setTimeout(() => resolve(false), 5000);
      });
      expect(closed).toBe(true);
    }
    expect(leader.logs().match(/closing peer connection: malformed input/g)?.length).toBeGreaterThanOrEqual(bad.length);
    expect((await suite.e.stable()).leader).toBe(leader);
    const c = await nodeClient(suite.e.connect);
    expect((await create(c, '/after-garbage', 'ok')).err).toBe(0);
    c.close();
  });

  it('a session that reconnects to another server keeps its ephemerals; a write through the old connection is refused as moved and that connection closed (SERVER-6)', async () => {
    const { learners, leader } = await suite.e.stable();
    const [a, b] = [learners[0]!, leader];
    const first = await RawClient.session(a.port, { timeout: 6000 });
    first.send(1, { op: 'create', path: '/moving', data: new Uint8Array(0), acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags: 1 });
    expect((await first.reply())?.err).toBe(0);
    const second = await RawClient.session(b.port, { sessionId: first.sessionId, passwd: first.passwd, timeout: 6000 });
    expect(second.sessionId).toBe(first.sessionId);
    second.send(1, { op: 'exists', path: '/moving', watch: false });
    expect((await second.reply())?.err).toBe(0);
    // The old server does not know yet; the leader does, from the new connection's first request:
    // a write through the old connection is stale (SessionMoved), not answered, its connection closed
    // (as ZooKeeper since ZOOKEEPER-710).
    first.send(2, { op: 'setData', path: '/moving', data: new Uint8Array([1]), version: -1 });
    expect(await first.reply()).toBeNull();
    second.send(2, { op: 'setData', path: '/moving', data: new Uint8Array([2]), version: -1 });
    expect((await second.reply())?.err).toBe(0);
    first.close();
    second.send(3, { op: 'closeSession' });
    await second.reply();
    second.close();
    for (const p of suite.e.peers) expect(await readAfterSync(p.port, '/moving')).toBe(-101);
  });
});

describe('a session whose server dies', () => {
  const suite = suiteEnsemble({ size: 3 });

  it('moves to another server with its ephemerals and its watches (setWatches), which then fire', async () => {
    const { leader, learners } = await suite.e.stable();
    const home = learners[0]!;
    const next = learners[1]!;
    const a = await RawClient.session(home.port, { timeout: 8000 });
    a.send(1, { op: 'create', path: '/watched', data: Buffer.from('v0'), acl: OPEN, flags: 0 });
    a.send(2, { op: 'create', path: '/mine', data: null, acl: OPEN, flags: 1 });
    a.send(3, { op: 'getData', path: '/watched', watch: true });
    const seen = [await a.reply(), await a.reply(), await a.reply()];
    expect(seen.map((r) => r?.err)).toEqual([0, 0, 0]);
    await home.kill(); // the client's server dies; the client moves, as a ZooKeeper client does
    a.close();
    const b = await RawClient.session(next.port, { sessionId: a.sessionId, passwd: a.passwd, timeout: 8000 });
    expect(b.sessionId).toBe(a.sessionId);
    b.send(-8, { op: 'setWatches', relativeZxid: seen[2]!.zxid, dataWatches: ['/watched'], existWatches: [], childWatches: [] });
    expect((await b.reply())?.xid).toBe(-8);
    const writer = await RawClient.session(leader.port);
    writer.send(1, { op: 'setData', path: '/watched', data: Buffer.from('v1'), version: -1 });
    expect((await writer.reply())?.err).toBe(0);
    const event = (await b.reply())!;
    expect(event.xid).toBe(-1);
    expect([event.body.int(), event.body.int(), event.body.string()]).toEqual([3, 3, '/watched']); // NodeDataChanged, SyncConnected
    for (const p of [leader, next]) expect(await childrenAfterSync(p.port, '/')).toContain('mine');
    b.send(1, { op: 'closeSession' });
    await b.reply();
    b.close();
    writer.close();
    for (const p of [leader, next]) expect(await childrenAfterSync(p.port, '/')).not.toContain('mine');
    await home.start();
    await suite.e.stable();
  });
});

describe('reconfig (reconfigEnabled=true): observers join and leave a running ensemble', () => {
  const SUPER = 'zookeeper.DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU='; // super:test
  const suite = suiteEnsemble({ size: 3, extra: ['reconfigEnabled=true', SUPER] });

  async function reconfig(port: number, ask: { joining?: string; leaving?: string; from?: bigint }, asSuper = true) {
    const c = await RawClient.session(port);
    try {
      if (asSuper) {
        c.send(-4, { op: 'auth', type: 0, scheme: 'digest', auth: Buffer.from('super:test') });
        expect((await c.reply())?.err).toBe(0);
      }
      c.send(1, { op: 'reconfig', joiningServers: ask.joining ?? '', leavingServers: ask.leaving ?? '', newMembers: '', curConfigId: ask.from ?? -1n });
      const r = (await c.reply())!;
      return { err: r.err, data: r.err === 0 ? Buffer.from(r.body.buffer() ?? []).toString() : '' };
    } finally {
      c.close();
    }
  }

  it('adds an observer that then serves, refuses what zabkit cannot or may not do, and removes it', async () => {
    const { learners } = await suite.e.stable();
    const base = suite.e.peers[0]!.port;
    const [q, el, cp] = [base + 150, base + 250, base + 50]; // beside the ensemble's own ports
    const dir = join(suite.e.dir, 'server-4');
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(join(dir, 'data', 'myid'), '4\n');
    const voters = readFileSync(join(suite.e.dir, 'server-1', 'zoo.cfg'), 'utf8').split('\n').filter((l) => l.startsWith('server.'));
    const joining = `server.4=127.0.0.1:${q}:${el}:observer;127.0.0.1:${cp}`;
    writeFileSync(join(dir, 'zoo.cfg'), ['tickTime=200', 'initLimit=10', 'syncLimit=5', `dataDir=${join(dir, 'data')}`, `clientPort=${cp}`, 'clientPortAddress=127.0.0.1', 'reconfigEnabled=true', ...voters, joining, ''].join('\n'));
    const observer = launch(['server', '--config', join(dir, 'zoo.cfg')]);
    try {
      await observer.waitFor(/"msg":"listening"/);
      // Not a member yet: the voters refuse its links, so it cannot find a leader. Once a voter
      // has refused one (a fixed 500 ms proved nothing on a busy machine: it may not have tried).
      await until('a voter to refuse server 4', () => suite.e.peers.some((p) => /HELLO from server 4 on the/.test(p.logs())));
      expect(await fourLetter(cp, 'srvr')).toMatch(/not currently serving/);

      // Before any reconfig, /zookeeper/config shows the configuration from zoo.cfg, version 0.
      for (const p of suite.e.peers) expect(Buffer.from(await getConfig(p.port)).toString()).toBe([...voters, 'version=0'].join('\n'));
      expect((await reconfig(learners[0]!.port, { joining }, false)).err).toBe(-102); // NoAuth: only super writes /zookeeper/config
      expect((await reconfig(learners[0]!.port, { joining: 'some thing' }, false)).err).toBe(-8); // BadArguments, before the ACL, as ZooKeeper
      expect((await reconfig(learners[0]!.port, { joining: `server.5=127.0.0.1:${q + 1}:${el + 1}:participant;127.0.0.1:${cp + 1}` })).err).toBe(-6); // voters are fixed
      const added = await reconfig(learners[0]!.port, { joining });
      expect(added.err).toBe(0);
      expect(added.data).toContain(joining);
      const version = BigInt(`0x${/version=([0-9a-f]+)$/.exec(added.data)![1]}`);
      expect(version).toBeGreaterThan(0n);
      expect((await reconfig(learners[1]!.port, { leaving: '4', from: version + 1n })).err).toBe(-103); // BadVersion

      await until('the new observer to join', async () => /Mode: observer/.test(await fourLetter(cp, 'srvr')));
      const c = await nodeClient(`127.0.0.1:${cp}`);
      expect((await create(c, '/via-new-observer', 'joined')).err).toBe(0);
      c.close();
      for (const p of suite.e.peers) expect(await readAfterSync(p.port, '/via-new-observer')).toBe('joined');
      for (const p of suite.e.peers) expect(Buffer.from(await getConfig(p.port)).toString()).toBe(added.data);

      const removed = await reconfig(learners[1]!.port, { leaving: '4', from: version });
      expect(removed.err).toBe(0);
      expect(removed.data).not.toContain('server.4=');
      await until('the removed observer to leave', async () => !/Mode: observer/.test(await fourLetter(cp, 'srvr')));
    } finally {
      observer.proc.kill('SIGTERM');
      await observer.exited;
    }
  });
});

async function getConfig(port: number): Promise<Uint8Array> {
  const c = await RawClient.session(port);
  c.send(1, { op: 'sync', path: '/zookeeper/config' });
  c.send(2, { op: 'getData', path: '/zookeeper/config', watch: false });
  await c.reply();
  const r = (await c.reply())!;
  c.close();
  return r.body.buffer() ?? new Uint8Array(0);
}

describe('5 voters and an observer', () => {
  const suite = suiteEnsemble({ size: 5, observers: 1 });

  it('elects a voter; writes through the observer and a follower are read back from all six after sync', async () => {
    const { leader, learners } = await suite.e.stable();
    const observer = suite.e.peers[5]!;
    expect(await observer.mode()).toBe('observer');
    expect(leader.member.observer).toBe(false);
    const viaObserver = await nodeClient(`127.0.0.1:${observer.port}`);
    expect((await create(viaObserver, '/obs', 'from-observer')).err).toBe(0);
    viaObserver.close();
    const viaFollower = await nodeClient(`127.0.0.1:${learners.find((p) => p !== observer)!.port}`);
    expect((await create(viaFollower, '/obs/f', 'from-follower')).err).toBe(0);
    viaFollower.close();
    for (const p of suite.e.peers) {
      expect(await readAfterSync(p.port, '/obs')).toBe('from-observer');
      expect(await readAfterSync(p.port, '/obs/f')).toBe('from-follower');
    }
  });
});
