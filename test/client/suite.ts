// The client suite: the same tests against Apache ZooKeeper 3.8 and against zabkit, each as a
// standalone server and as a 3-server ensemble (real processes; the cluster of the fault runs).
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { apacheInstalled } from '../../conformance/apache.ts';
import type { Cluster, SystemName } from '../../conformance/torture/cluster.ts';
import { allStopped, suiteCluster, until } from './harness.ts';
import {
  BadVersionError,
  connect,
  MultiError,
  NoAuthError,
  NodeExistsError,
  NoNodeError,
  NotEmptyError,
  NoWatcherError,
  op,
  OperationTimeoutError,
  Perms,
  SessionExpiredError,
  ZooKeeperClient,
  type WatchEvent,
} from '../../src/client/index.ts';

const JAAS = 'Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  user_alice="wonderland";\n};\n';

export function clientSuite(system: SystemName, size: 1 | 3): void {
  const skip = system === 'apache' && !apacheInstalled();
  describe.skipIf(skip)(`zabkit/client against ${system}, ${size === 1 ? 'standalone' : `${size} servers`}`, () => {
    const box = suiteCluster(system, 'client', (dir) => {
      const jaas = join(dir, 'jaas.conf');
      writeFileSync(jaas, JAAS);
      return {
        size,
        tickTime: 500,
        props: { 'zookeeper.extendedTypesEnabled': 'true', 'java.security.auth.login.config': jaas },
        cfg: ['authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider'],
      };
    });
    const { clients } = box;
    let cluster: Cluster;
    beforeAll(() => {
      cluster = box.cluster;
    });
    const open = async (suffix = '', o: Parameters<typeof connect>[1] = {}, hosts = cluster.connectString) => {
      const c = await connect(hosts + suffix, { sessionTimeout: 4000, ...o });
      clients.push(c);
      return c;
    };
    const nodeOf = (c: ZooKeeperClient) => cluster.nodes.find((n) => n.clientPort === c.server?.port)!;

    it('reads and writes with Stats, and typed errors carrying code and path', async () => {
      const zk = await open();
      const { path, stat } = await zk.create('/rw', 'one');
      expect(path).toBe('/rw');
      expect(stat.version).toBe(0);
      expect(stat.dataLength).toBe(3);
      expect(stat.czxid).toBe(stat.mzxid);
      const got = await zk.getData('/rw');
      expect(got.data.toString()).toBe('one');
      expect(got.stat).toEqual(stat);
      const s2 = await zk.setData('/rw', 'two', { version: 0 });
      expect(s2.version).toBe(1);
      expect(s2.mzxid > stat.mzxid).toBe(true);
      await expect(zk.setData('/rw', 'x', { version: 0 })).rejects.toBeInstanceOf(BadVersionError);
      await expect(zk.create('/rw')).rejects.toMatchObject({ code: -110, path: '/rw', name: 'NodeExistsError' });
      await expect(zk.create('/rw')).rejects.toBeInstanceOf(NodeExistsError);
      await expect(zk.getData('/absent')).rejects.toBeInstanceOf(NoNodeError);
      await expect(zk.create('/absent/child')).rejects.toBeInstanceOf(NoNodeError);
      expect(await zk.exists('/absent')).toBeNull();
      expect((await zk.exists('/rw'))?.version).toBe(1);
      await zk.create('/rw/c1');
      await zk.create('/rw/c0');
      const kids = await zk.getChildren('/rw');
      expect(kids.children).toEqual(['c0', 'c1']);
      expect(kids.stat.numChildren).toBe(2);
      await expect(zk.delete('/rw')).rejects.toBeInstanceOf(NotEmptyError);
      await zk.delete('/rw/c0');
      await zk.delete('/rw/c1', { version: 0 });
      await zk.delete('/rw');
      expect(await zk.exists('/rw')).toBeNull();
      await expect(zk.getData('bad-path')).rejects.toMatchObject({ code: -8 });
    });

    it('a chroot: paths in and out are the client\'s', async () => {
      const zk = await open();
      await zk.create('/app');
      const sub = await open('/app');
      await sub.sync('/'); // another server may not have /app yet: sync first (ZooKeeper's rule across sessions)
      const made = await sub.create('/x-', 'v', { mode: 'ephemeralSequential' });
      expect(made.path).toMatch(/^\/x-\d{10}$/);
      await zk.sync('/app');
      expect((await zk.getChildren('/app')).children).toEqual([made.path.slice(1)]);
      expect(await sub.getEphemerals()).toEqual([made.path]);
      const seen: WatchEvent[] = [];
      await sub.getData(made.path, { watch: (e) => seen.push(e) });
      await zk.setData(`/app${made.path}`, 'w');
      await until('the chrooted watch', () => seen.length === 1);
      expect(seen[0]).toEqual({ type: 'dataChanged', path: made.path });
    });

    it('create modes: sequential, ephemeral (gone with its session), container, TTL', async () => {
      const zk = await open();
      const other = await open();
      await zk.create('/modes');
      const a = await zk.create('/modes/s-', null, { mode: 'persistentSequential' });
      const b = await zk.create('/modes/s-', null, { mode: 'persistentSequential' });
      expect(Number(b.path.slice(-10))).toBe(Number(a.path.slice(-10)) + 1);
      const e = await other.create('/modes/eph', 'x', { mode: 'ephemeral' });
      expect(e.stat.ephemeralOwner).toBe(other.sessionId);
      await zk.create('/modes/cont', null, { mode: 'container' });
      const ttl = await zk.create('/modes/ttl', null, { mode: 'persistentWithTTL', ttl: 60000 });
      expect(ttl.stat.ephemeralOwner).toBe(0n); // the server keeps the TTL to itself
      await expect(zk.create('/modes/ttl0', null, { mode: 'persistentWithTTL' })).rejects.toMatchObject({ code: -8 });
      await other.close();
      expect(other.state).toBe('closed');
      await zk.sync('/modes');
      expect(await zk.exists('/modes/eph')).toBeNull();
      await expect(other.getData('/modes')).rejects.toThrow(/closed/);
    });

    it('multi: typed results, all or nothing; multiRead: each op its own result', async () => {
      const zk = await open();
      const r = await zk.multi([op.create('/m', 'a'), op.create('/m/k'), op.setData('/m', 'b', 0), op.check('/m', 1), op.delete('/m/k')]);
      expect(r[0]).toMatchObject({ type: 'create', path: '/m' });
      expect(r[2].type === 'setData' && r[2].stat.version).toBe(1);
      expect(r.map((x) => x.type)).toEqual(['create', 'create', 'setData', 'check', 'delete']);
      const failed = await zk.multi([op.create('/m/new'), op.setData('/m', 'c', 7)]).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(MultiError);
      expect(failed).toMatchObject({ failedIndex: 1, code: -103, path: '/m' });
      expect(await zk.exists('/m/new')).toBeNull();
      const reads = await zk.multiRead([op.getData('/m'), op.getChildren('/m'), op.getData('/m/none')]);
      expect(reads[0].type === 'getData' && reads[0].data.toString()).toBe('b');
      expect(reads[1]).toEqual({ type: 'getChildren', children: [] });
      expect(reads[2].type === 'error' && reads[2].error).toBeInstanceOf(NoNodeError);
    });

    it('one-shot watches fire once: data, exists, children', async () => {
      const zk = await open();
      const writer = await open();
      const seen: WatchEvent[] = [];
      const w = (e: WatchEvent) => seen.push(e);
      expect(await zk.exists('/w', { watch: w })).toBeNull();
      await writer.create('/w', 'a');
      await until('created', () => seen.length === 1);
      await zk.getData('/w', { watch: w });
      await zk.getChildren('/w', { watch: w });
      await writer.setData('/w', 'b');
      await writer.create('/w/c');
      await until('changed and child', () => seen.length === 3);
      await writer.setData('/w', 'c'); // no watch left on /w: nothing more
      await zk.sync('/w');
      await writer.create('/w/marker');
      await zk.sync('/w/marker');
      await zk.exists('/w/marker', { watch: w });
      await writer.delete('/w/marker');
      await until('the marker deleted', () => seen.length === 4);
      expect(seen).toEqual([
        { type: 'created', path: '/w' },
        { type: 'dataChanged', path: '/w' },
        { type: 'childrenChanged', path: '/w' },
        { type: 'deleted', path: '/w/marker' },
      ]);
      expect(zk.watches.size).toBe(0);
    });

    it('persistent watches as async iterators; removeWatches and checkWatches', async () => {
      const zk = await open();
      const writer = await open();
      await writer.create('/p');
      await zk.sync('/p');
      const got: WatchEvent[] = [];
      const ac = new AbortController();
      const loop = (async () => {
        for await (const e of zk.watch('/p', { mode: 'persistentRecursive', signal: ac.signal })) {
          got.push(e);
          if (got.length === 4) break;
        }
      })();
      await until('the watch set', () => zk.watches.size === 1);
      await zk.checkWatches('/p', 'any');
      await writer.setData('/p', 'x');
      await writer.create('/p/q');
      await writer.setData('/p/q', 'y');
      await writer.delete('/p/q');
      await loop;
      expect(got).toEqual([
        { type: 'dataChanged', path: '/p' },
        { type: 'created', path: '/p/q' },
        { type: 'dataChanged', path: '/p/q' },
        { type: 'deleted', path: '/p/q' },
      ]);
      await until('the watch removed when the loop ended', () => zk.watches.size === 0);
      await expect(zk.checkWatches('/p', 'any')).rejects.toBeInstanceOf(NoWatcherError);
      const removed: WatchEvent[] = [];
      await zk.getData('/p', { watch: (e) => removed.push(e) });
      await zk.removeWatches('/p', 'data');
      expect(removed).toEqual([{ type: 'dataWatchRemoved', path: '/p' }]);
      await writer.setData('/p', 'z');
      await zk.sync('/p');
      expect(removed).toHaveLength(1);
      await expect(zk.removeWatches('/p', 'children')).rejects.toBeInstanceOf(NoWatcherError);
    });

    it('ACLs, addAuth (digest) and whoAmI', async () => {
      const zk = await open();
      const stranger = await open();
      const digest = `alice:${createHash('sha1').update('alice:secret').digest('base64')}`;
      await zk.addAuth('digest', 'alice:secret');
      expect(await zk.whoAmI()).toContainEqual({ scheme: 'digest', id: 'alice' });
      await zk.create('/secret', 's', { acl: [{ perms: Perms.ALL, id: { scheme: 'digest', id: digest } }] });
      expect((await zk.getACL('/secret')).acl).toEqual([{ perms: 31, id: { scheme: 'digest', id: digest } }]);
      await stranger.sync('/secret');
      await expect(stranger.getData('/secret')).rejects.toBeInstanceOf(NoAuthError);
      await stranger.addAuth('digest', 'alice:secret');
      expect((await stranger.getData('/secret')).data.toString()).toBe('s');
      const st = await zk.setACL('/secret', [{ perms: Perms.READ, id: { scheme: 'world', id: 'anyone' } }], { version: 0 });
      expect(st.aversion).toBe(1);
    });

    it('SASL DIGEST-MD5: the connection is sasl:alice', async () => {
      const zk = await open('', { sasl: { username: 'alice', password: 'wonderland' } });
      expect(await zk.whoAmI()).toContainEqual({ scheme: 'sasl', id: 'alice' });
      const bad = new ZooKeeperClient(cluster.connectString, { sessionTimeout: 4000, sasl: { username: 'alice', password: 'wrong' } });
      clients.push(bad);
      await until('the refusal', () => bad.state === 'authFailed');
      await expect(bad.getData('/')).rejects.toMatchObject({ code: -115 });
    });

    it('sync, getEphemerals, getAllChildrenNumber, AbortSignal and timeouts', async () => {
      const zk = await open();
      await zk.create('/n');
      await zk.create('/n/a');
      await zk.create('/n/a/b');
      await zk.create('/n/e', null, { mode: 'ephemeral' });
      await zk.sync('/n');
      expect(await zk.getAllChildrenNumber('/n')).toBe(3);
      expect(await zk.getEphemerals('/n')).toEqual(['/n/e']);
      const ac = new AbortController();
      ac.abort(new Error('not wanted'));
      await expect(zk.getData('/n', { signal: ac.signal })).rejects.toThrow('not wanted');
      const node = nodeOf(zk);
      node.pause();
      try {
        await until('the server stopped', () => allStopped(node.pid()!));
        await expect(zk.getData('/n', { timeout: 200 })).rejects.toBeInstanceOf(OperationTimeoutError);
      } finally {
        node.resume();
      }
      expect((await zk.getData('/n')).stat.numChildren).toBe(2);
    });

    it('a session closed elsewhere: this client hears it expired', async () => {
      const zk = await open();
      // A twin that resumes the session takes its connection away: the first client reconnects and
      // may take it back before the twin's closeSession; so the twin tries again (bounded), unless
      // it is refused as expired (closed already: the first client hears it with its next ping).
      // On an ensemble the twin goes to another server: that one closes the session and zk's
      // server closes zk's connection.
      for (let attempt = 0; attempt < 5 && zk.state !== 'expired'; attempt++) {
        const other = cluster.nodes.find((n) => n.clientPort !== zk.server?.port) ?? cluster.nodes[0]!;
        const twin = await open('', { session: zk.session }, `127.0.0.1:${other.clientPort}`).catch(() => null);
        if (!twin) break;
        expect(twin.sessionId).toBe(zk.sessionId);
        await twin.close();
        await until('expired', () => zk.state === 'expired', 3000).catch(() => undefined);
      }
      await until('expired', () => zk.state === 'expired');
      expect(zk.state).toBe('expired');
      await expect(zk.getData('/')).rejects.toBeInstanceOf(SessionExpiredError);
    });

    if (size === 3) {
      it('a server killed mid-run: the client moves on, its watches still fire, its ephemerals stay', async () => {
        // The client starts on a follower, which is killed (a killed leader is an election away, and
        // Apache's can outlast a short session): it must move to another server within its session.
        const leader = await cluster.leader();
        const order = [...cluster.nodes].sort((a, b) => Number(a === leader) - Number(b === leader));
        const zk = await open('', { retry: { attempts: 5, delayMs: 200 }, shuffle: false, sessionTimeout: 10000 }, order.map((n) => `127.0.0.1:${n.clientPort}`).join(','));
        const writer = await open();
        await zk.create('/k');
        await zk.create('/k/mine', null, { mode: 'ephemeral' });
        const seen: WatchEvent[] = [];
        const w = (e: WatchEvent) => seen.push(e);
        await zk.getData('/k', { watch: w });
        const persistent: WatchEvent[] = [];
        await zk.addWatch('/k', 'persistent', (e) => persistent.push(e));
        const before = zk.server!;
        const victim = nodeOf(zk);
        const zxid = zk.lastZxid;
        await victim.kill();
        await until('connected elsewhere', () => zk.state === 'connected' && zk.server !== undefined && zk.server.port !== before.port, 30000);
        expect(zk.lastZxid >= zxid).toBe(true);
        await writer.setData('/k', 'after');
        await until('the watches fired after the move', () => seen.length === 1 && persistent.length === 1);
        expect(seen[0]).toEqual({ type: 'dataChanged', path: '/k' });
        await writer.sync('/k');
        expect((await writer.exists('/k/mine'))?.ephemeralOwner).toBe(zk.sessionId);
        await victim.start();
        await cluster.stable();
      }, 90000);

    }

    if (size === 1) {
      it('no server reachable for the session timeout: the client says expired by itself', async () => {
        const zk = await open();
        const states: string[] = [];
        zk.on('state', (s) => states.push(s));
        await cluster.nodes[0]!.kill();
        try {
          await until('expired', () => zk.state === 'expired', 30000);
          expect(states).toEqual(['disconnected', 'expired']);
        } finally {
          await cluster.nodes[0]!.start();
          await cluster.stable();
        }
      }, 60000);
    }
  });
}
