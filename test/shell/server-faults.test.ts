// The server's own protocol (spec/server.md) against real processes, zabkit and Apache ZooKeeper
// 3.8 through the same steps: a stale ConnectRequest a frozen leader processes late (SERVER-6), a
// leader that loses its followers' connections (BCAST-9), containers and TTL nodes reaped by the
// leader (SERVER-15), hard quotas enforced (SERVER-16).
import { afterEach, describe, expect, it } from 'vitest';
import { apacheInstalled, apacheMember, startApache, startApacheEnsemble, type ApacheServer } from '../../conformance/apache.ts';
import { freeBasePort } from '../../conformance/launch.ts';
import { decodeConnectResponse, encodeConnectRequest } from '../../src/wire/protocol.ts';
import { startEnsemble, until, type Ensemble } from './ensemble-harness.ts';
import { fourLetter, peerMissing, RawClient, removeDir, startServer, tempDir, type RunningServer } from './harness.ts';

const OPEN = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const noApache = peerMissing('Apache ZooKeeper (Debian zookeeper)', apacheInstalled());

/** One member of a running ensemble, whichever system runs it. */
interface Member {
  readonly port: number;
  signal(sig: 'SIGSTOP' | 'SIGCONT' | 'SIGKILL'): void;
  mode(): Promise<string>;
}
interface System {
  readonly name: string;
  readonly members: readonly Member[];
  /** Start a killed member again (resolves once it runs). */
  restart(k: number): Promise<void>;
  close(): Promise<void>;
}

const modeOf = (port: number) =>
  fourLetter(port, 'srvr').then(
    (t) => /Mode: ([\w-]+)/.exec(t)?.[1] ?? 'not serving',
    () => 'down',
  );

async function zabkit(tickTime: number): Promise<System> {
  const e: Ensemble = await startEnsemble({ size: 3, tickTime });
  return {
    name: 'zabkit',
    members: e.peers.map((p) => ({
      port: p.port,
      signal: (sig) => (sig === 'SIGKILL' ? void p.kill() : p.signal(sig)),
      mode: () => modeOf(p.port),
    })),
    restart: (k) => e.peers[k]!.start(),
    close: () => e.close(),
  };
}

async function apache(tickTime: number): Promise<System> {
  const dir = tempDir('zabkit-apache-ensemble-');
  const base = await freeBasePort(3);
  const o = { size: 3, basePort: base, dir, cfg: [`tickTime=${tickTime}`] };
  let servers: ApacheServer[] = await startApacheEnsemble(o);
  return {
    name: 'Apache',
    members: [0, 1, 2].map((k) => ({
      port: base + k,
      signal: (sig) => void servers[k]!.proc.kill(sig),
      mode: () => modeOf(base + k),
    })),
    async restart(k) {
      const again = await startApache(apacheMember(o, k));
      servers = servers.map((s, i) => (i === k ? again : s));
    },
    async close() {
      for (const s of servers) {
        if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGCONT');
        await s.stop();
      }
      removeDir(dir);
    },
  };
}

const SYSTEMS = [
  { name: 'zabkit', start: zabkit, skip: false },
  { name: 'Apache ZooKeeper 3.8', start: apache, skip: noApache },
] as const;

let running: System | null = null;
afterEach(async () => {
  await running?.close();
  running = null;
});

async function roles(s: System): Promise<{ leader: number; followers: number[] }> {
  let modes: string[] = [];
  await until(`${s.name}: one leader, two followers`, async () => {
    modes = await Promise.all(s.members.map((m) => m.mode()));
    return modes.filter((m) => m === 'leader').length === 1 && modes.filter((m) => m === 'follower').length === 2;
  }, 60000);
  return { leader: modes.indexOf('leader'), followers: [0, 1, 2].filter((k) => modes[k] === 'follower') };
}

const createReq = (path: string) => ({ op: 'create' as const, path, data: new Uint8Array(0), acl: OPEN, flags: 0 });

describe('SERVER-6: a ConnectRequest processed after its client left does not take the session', () => {
  for (const sys of SYSTEMS) {
    it.skipIf(sys.skip)(`${sys.name}: the frozen leader thaws, and the session's writes through its follower still succeed`, async () => {
      running = await sys.start(200);
      const s = running;
      const { leader, followers } = await roles(s);
      const f = s.members[followers[0]!]!;
      const first = await RawClient.session(f.port, { timeout: 6000 });
      first.send(1, createReq('/before'));
      expect((await first.reply())?.err).toBe(0);
      first.close();
      // The leader freezes; a client's ConnectRequest for the session reaches it (the kernel takes
      // the connection), and the client gives up on it and moves to the follower.
      s.members[leader]!.signal('SIGSTOP');
      let thawed = false;
      try {
        const stale = await RawClient.open(s.members[leader]!.port);
        stale.raw(encodeConnectRequest({ protocolVersion: 0, lastZxidSeen: 0n, timeOut: 6000, sessionId: first.sessionId, passwd: first.passwd, readOnly: false }));
        await new Promise((r) => setTimeout(r, 50));
        stale.close();
        // (Apache's follower asks the frozen leader to revalidate the session: the answer waits for the thaw.)
        const reconnect = RawClient.session(f.port, { timeout: 6000, sessionId: first.sessionId, passwd: first.passwd });
        // Thawed within the followers' patience: the same leader goes on and reads the stale request.
        await new Promise((r) => setTimeout(r, 300));
        s.members[leader]!.signal('SIGCONT');
        thawed = true;
        const moved = await reconnect;
        expect(moved.sessionId).toBe(first.sessionId);
        expect(await s.members[leader]!.mode()).toBe('leader');
        // The client writes on, reconnecting to the follower whenever its connection closes.
        let conn = moved;
        let lost = 0;
        const codes: number[] = [];
        for (let n = 0; n < 20; n++) {
          conn.send(10 + n, createReq(`/after-${n}`));
          const r = await conn.reply();
          if (r === null) {
            lost++;
            expect(lost).toBeLessThan(5);
            conn = await RawClient.session(f.port, { timeout: 6000, sessionId: first.sessionId, passwd: first.passwd });
            n--;
            continue;
          }
          codes.push(r.err);
          await new Promise((res) => setTimeout(res, 25));
        }
        conn.close();
        console.log(`${s.name}: 20 writes after the stale connect, ${lost} connection(s) lost on the way`);
        expect(codes).toEqual(codes.map(() => 0)); // never -118 (SessionMoved)
        // zabkit: the stale connect took nothing, so no connection was lost either.
        if (s.name === 'zabkit') expect(lost).toBe(0);
      } finally {
        if (!thawed) s.members[leader]!.signal('SIGCONT');
      }
    }, 120000);
  }
});

describe('BCAST-9: a leader that loses its voters\' connections stops leading within a tick', () => {
  for (const sys of SYSTEMS) {
    it.skipIf(sys.skip)(`${sys.name}: both followers killed, one restarted at once`, async () => {
      const tick = 200;
      running = await sys.start(tick);
      const s = running;
      const { leader, followers } = await roles(s);
      const t0 = Date.now();
      for (const k of followers) s.members[k]!.signal('SIGKILL');
      await until('the old leader to stop leading', async () => (await s.members[leader]!.mode()) !== 'leader', 30000);
      const stepDown = Date.now() - t0;
      await s.restart(followers[0]!);
      let resumed = 0;
      await until('a write after the faults', async () => {
        const ok = await Promise.all([leader, followers[0]!].map(async (k) => {
          try {
            const c = await RawClient.session(s.members[k]!.port, { timeout: 6000 });
            c.send(1, createReq(`/w-${Date.now()}-${k}`));
            const r = await c.reply(3000).catch(() => null);
            c.close();
            return r?.err === 0;
          } catch {
            return false;
          }
        }));
        return ok.some(Boolean);
      }, 60000);
      resumed = Date.now() - t0;
      console.log(`${sys.name}: the leader stopped leading ${stepDown} ms after both followers were killed (tick ${tick} ms); writes resumed after ${resumed} ms`);
      // zabkit notices the closed connections and steps down at once (BCAST-9, BCAST-10); before
      // issue 20 it waited for its sync timer: at least 800 ms here (a syncLimit period, less the
      // ping interval), up to two periods.
      if (sys.name === 'zabkit') expect(stepDown).toBeLessThan(3 * tick);
    }, 180000);
  }
});

describe('SERVER-5: a learner that has not delivered a session\'s creation does not refuse it as expired', () => {
  // Found by the replica checker (INV-24, mutant validate-locally): a learner judged a reconnect by
  // its own tree. A follower cut off from its leader (the silent fault hook: links open, everything
  // dropped) keeps its role until its sync timer fires, and has not seen a session created since.
  // It now asks the leader, as ZooKeeper's learners do; while it cannot hear the answer, the client
  // gets no answer and moves on, and its session lives. Apache ZooKeeper is not in this test: there
  // is no way yet to cut one of its followers off (issue 22's fault proxy).
  it('zabkit: a session created through the leader, reconnecting to a follower that lags, is not told it expired', async () => {
    const e = await startEnsemble({ size: 3, tickTime: 1000, env: { ZABKIT_FAULT_HOOK: 'silent' } });
    running = { name: 'zabkit', members: [], restart: async () => {}, close: () => e.close() };
    const modes = () => Promise.all(e.peers.map((p) => modeOf(p.port)));
    await until('one leader, two followers', async () => {
      const m = await modes();
      return m.filter((x) => x === 'leader').length === 1 && m.filter((x) => x === 'follower').length === 2;
    }, 60000);
    const m = await modes();
    const leader = e.peers[m.indexOf('leader')]!;
    const lagging = e.peers[m.indexOf('follower')]!;
    lagging.partition(); // cut off, silently
    const first = await RawClient.session(leader.port, { timeout: 20000 });
    first.send(1, { ...createReq('/live'), flags: 1 });
    expect((await first.reply())?.err).toBe(0);
    first.close();
    // The follower still serves (its sync timer, 5 ticks, has not fired), and has not delivered the session.
    expect(await modeOf(lagging.port)).toBe('follower');
    const moved = await RawClient.open(lagging.port);
    moved.raw(encodeConnectRequest({ protocolVersion: 0, lastZxidSeen: 0n, timeOut: 20000, sessionId: first.sessionId, passwd: first.passwd, readOnly: false }));
    const answer = await moved.next(1500).catch(() => 'no answer' as const);
    moved.close();
    if (answer !== 'no answer' && answer !== null) {
      const r = decodeConnectResponse(answer);
      expect(r.ok && r.value.timeOut).not.toBe(0); // before the fix: timeout 0, session 0 — "expired"
    }
    // The client moves on to the leader: its session and its ephemeral are there.
    const back = await RawClient.session(leader.port, { timeout: 20000, sessionId: first.sessionId, passwd: first.passwd });
    expect(back.sessionId).toBe(first.sessionId);
    back.send(2, { op: 'exists', path: '/live', watch: false });
    expect((await back.reply())?.err).toBe(0);
    back.close();
    lagging.partition();
  }, 120000);
});

/** A standalone server of each system with the container check every `interval` ms and TTL nodes enabled. */
async function standalone(name: string, interval: number, extra: { enforceQuota?: boolean } = {}): Promise<{ port: number; stop(): Promise<void> }> {
  const dir = tempDir('zabkit-standalone-');
  if (name === 'zabkit') {
    const flags = ['--extended-types', 'true', '--container-check-interval', String(interval), ...(extra.enforceQuota ? ['--enforce-quota', 'true'] : [])];
    const srv: RunningServer = await startServer(dir, flags);
    return {
      port: srv.port,
      async stop() {
        expect(await srv.stop()).toBe(0);
        removeDir(dir);
      },
    };
  }
  const port = await freeBasePort(1);
  const props: Record<string, string> = { 'znode.container.checkIntervalMs': String(interval), 'zookeeper.extendedTypesEnabled': 'true' };
  if (extra.enforceQuota) props['zookeeper.enforceQuota'] = 'true';
  const srv = await startApache({ port, dir, props });
  return {
    port,
    async stop() {
      await srv.stop();
      removeDir(dir);
    },
  };
}

async function exists(c: RawClient, path: string, xid: number): Promise<boolean> {
  c.send(xid, { op: 'exists', path, watch: false });
  const r = await c.reply();
  return r?.err === 0;
}

describe('SERVER-15: the leader deletes empty containers and expired TTL nodes', () => {
  for (const sys of SYSTEMS) {
    it.skipIf(sys.skip)(`${sys.name}: a container emptied and a TTL node past its TTL go; a container with a child and one never used stay`, async () => {
      const server = await standalone(sys.name, 200);
      const c = await RawClient.session(server.port);
      try {
        let xid = 1;
        const ok = async (req: Parameters<RawClient['send']>[1]) => {
          c.send(xid++, req);
          expect((await c.reply())?.err).toBe(0);
        };
        await ok({ op: 'createContainer', path: '/emptied', data: new Uint8Array(0), acl: OPEN, flags: 4 });
        await ok({ op: 'create', path: '/emptied/x', data: new Uint8Array(0), acl: OPEN, flags: 0 });
        await ok({ op: 'delete', path: '/emptied/x', version: -1 });
        await ok({ op: 'createContainer', path: '/busy', data: new Uint8Array(0), acl: OPEN, flags: 4 });
        await ok({ op: 'create', path: '/busy/x', data: new Uint8Array(0), acl: OPEN, flags: 0 });
        await ok({ op: 'createContainer', path: '/unused', data: new Uint8Array(0), acl: OPEN, flags: 4 });
        await ok({ op: 'createTTL', path: '/ttl', data: new Uint8Array(0), acl: OPEN, flags: 5, ttl: 300n });
        const t0 = Date.now();
        await until('the emptied container and the TTL node to go', async () => !(await exists(c, '/emptied', xid++)) && !(await exists(c, '/ttl', xid++)), 20000);
        console.log(`${sys.name}: reaped after ${Date.now() - t0} ms (check interval 200 ms, TTL 300 ms)`);
        // Several more intervals: what must stay stays.
        await new Promise((r) => setTimeout(r, 1000));
        expect(await exists(c, '/busy', xid++)).toBe(true);
        expect(await exists(c, '/busy/x', xid++)).toBe(true);
        expect(await exists(c, '/unused', xid++)).toBe(true);
      } finally {
        c.close();
        await server.stop();
      }
    }, 60000);
  }
});

describe('SERVER-16: with enforceQuota a hard limit fails the write', () => {
  for (const sys of SYSTEMS) {
    it.skipIf(sys.skip)(`${sys.name}: the third node under a count hard limit of 2 gets QuotaExceeded (-125)`, async () => {
      const server = await standalone(sys.name, 60000, { enforceQuota: true });
      const c = await RawClient.session(server.port);
      try {
        let xid = 1;
        const create = async (path: string, data = '') => {
          c.send(xid++, { op: 'create', path, data: new TextEncoder().encode(data), acl: OPEN, flags: 0 });
          return (await c.reply())?.err;
        };
        expect(await create('/app')).toBe(0);
        expect(await create('/zookeeper/quota/app')).toBe(0);
        expect(await create('/zookeeper/quota/app/zookeeper_limits', 'count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=2')).toBe(0);
        expect(await create('/zookeeper/quota/app/zookeeper_stats', 'count=0,bytes=0')).toBe(0);
        expect(await create('/app/a')).toBe(0);
        expect(await create('/app/b')).toBe(-125);
      } finally {
        c.close();
        await server.stop();
      }
    }, 60000);
  }
});
