// Faults in a real ensemble: kill -9 of the leader under a write load, a follower that was down
// for many txns (SNAP), a leader cut off with a proposal nobody else saw (TRUNC), a minority
// partition. Through all of them: no acknowledged write is lost, and the ensemble converges.
import type { Client } from 'node-zookeeper-client';
import { afterEach, describe, expect, it } from 'vitest';
import { childrenAfterSync, create, cutOffLeaderWithWrite, nodeClient, readAfterSync, startEnsemble, syncType, until, type Ensemble } from './ensemble-harness.ts';
import { RawClient } from './harness.ts';

const OPEN = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
let e: Ensemble | undefined;
afterEach(async () => {
  await e?.close();
  e = undefined;
});

/** Writers that create /load/<name>-<n> until told to stop (or 30 s pass); they record what was acknowledged. */
function load(clients: readonly Client[]) {
  const acked: string[] = [];
  const failed: string[] = [];
  let stop = false;
  const deadline = Date.now() + 30_000;
  const done = clients.map(async (c, k) => {
    for (let n = 0; !stop && Date.now() < deadline; n++) {
      const path = `/load/w${k}-${n}`;
      const r = await create(c, path, 'x');
      if (r.err === 0) acked.push(path);
      else {
        failed.push(`${path}: ${r.err}`);
        await new Promise((res) => setTimeout(res, 50));
      }
    }
  });
  return {
    acked,
    failed,
    async stop() {
      stop = true;
      await Promise.all(done);
    },
  };
}


describe('faults', () => {
  it('kill -9 of the leader under load: a new leader, clients carry on, no acknowledged write lost; the old leader catches up', async () => {
    e = await startEnsemble({ size: 3 });
    const { leader } = await e.stable();
    const setup = await nodeClient(e.connect);
    expect((await create(setup, '/load', '')).err).toBe(0);
    setup.close();
    const clients = await Promise.all([0, 1, 2, 3].map(() => nodeClient(e!.connect, 8000)));
    const writers = load(clients);
    await until('writes before the kill', () => writers.acked.length >= 100);
    await leader.kill();
    const before = writers.acked.length;
    const { leader: next } = await e.stable();
    expect(next).not.toBe(leader);
    await until('writes after the kill', () => writers.acked.length >= before + 100);
    await writers.stop();
    for (const c of clients) c.close();

    const survivors = e.peers.filter((p) => p !== leader);
    const seen = await Promise.all(survivors.map((p) => childrenAfterSync(p.port, '/load')));
    for (const kids of seen) {
      const have = new Set(kids.map((k) => `/load/${k}`));
      expect(writers.acked.filter((a) => !have.has(a))).toEqual([]);
    }
    expect(seen[0]!.sort()).toEqual(seen[1]!.sort());

    await leader.start();
    await until('the old leader to follow', async () => (await leader.mode()) === 'follower');
    expect(['DIFF', 'TRUNC']).toContain(syncType(leader)[0]);
    expect((await childrenAfterSync(leader.port, '/load')).sort()).toEqual(seen[0]);
  });

  it('a follower down for many txns catches up by SNAP', async () => {
    e = await startEnsemble({ size: 3, extra: ['snapCount=40'] });
    const { leader, learners } = await e.stable();
    const late = learners[0]!;
    expect(await late.stop()).toBe(0);
    const c = await RawClient.session(leader.port);
    c.send(1, { op: 'create', path: '/snap', data: new Uint8Array(0), acl: OPEN, flags: 0 });
    for (let i = 0; i < 150; i++) c.send(2 + i, { op: 'create', path: `/snap/n${i}`, data: Buffer.from(`v${i}`), acl: OPEN, flags: 0 });
    for (let i = 0; i < 151; i++) expect((await c.reply())?.err).toBe(0);
    c.close();
    await late.start();
    await until('the late follower to follow', async () => (await late.mode()) === 'follower');
    expect(syncType(late)).toEqual(['SNAP']);
    expect(await childrenAfterSync(late.port, '/snap')).toHaveLength(150);
    expect(await readAfterSync(late.port, '/snap/n149')).toBe('v149');
    // PERSIST-9: snapshots keep ZAB's in-memory history short on every server (snapCount 40).
    for (const p of e.peers) {
      const entries = Number(/zabkit_history_entries\t(\d+)/.exec(await p.word('mntr'))?.[1]);
      expect(entries).toBeGreaterThan(0);
      expect(entries).toBeLessThan(100);
    }
  });

  it('a leader cut off cannot commit; its uncommitted txn is truncated when it rejoins (TRUNC)', async () => {
    e = await startEnsemble({ size: 3, env: { ZABKIT_FAULT_HOOK: 'silent' } });
    const { leader, learners } = await e.stable();
    const client = await cutOffLeaderWithWrite(leader, learners, '/lost');
    // The others elect a leader of their own and commit without it.
    const c = await nodeClient(learners.map((p) => `127.0.0.1:${p.port}`).join(','));
    expect((await create(c, '/after', 'majority')).err).toBe(0);
    c.close();
    // The old leader never acknowledged its write: it stepped down and closed the connection.
    const reply = await client.reply(15000);
    expect(reply).toBeNull();
    leader.partition(); // heal
    await until('the old leader to rejoin', async () => (await leader.mode()) === 'follower');
    expect(syncType(leader)).toContain('TRUNC');
    for (const p of e.peers) {
      expect(await readAfterSync(p.port, '/after')).toBe('majority');
      expect(await readAfterSync(p.port, '/lost')).toBe(-101);
    }
  });

  it('SERVER-13: with readonlymode.enabled, a server without a quorum serves reads to read-only sessions and refuses writes', async () => {
    e = await startEnsemble({ size: 3, extra: ['readonlymode.enabled=true'] });
    const { leader, learners } = await e.stable();
    const c = await nodeClient(`127.0.0.1:${leader.port}`);
    expect((await create(c, '/ro', 'seen')).err).toBe(0);
    c.close();
    const alone = learners[0]!;
    await readAfterSync(alone.port, '/ro');
    await Promise.all([leader.stop(), learners[1]!.stop()]);
    await until('read-only mode', async () => (await alone.mode()) === 'read-only');
    await expect(RawClient.session(alone.port)).rejects.toThrow(); // a client that did not ask for read-only
    const ro = await RawClient.session(alone.port, { readOnly: true });
    expect(ro.readOnly).toBe(true);
    ro.send(1, { op: 'getData', path: '/ro', watch: false });
    const got = await ro.reply();
    expect(got?.err).toBe(0);
    expect(Buffer.from(got!.body.buffer() ?? []).toString()).toBe('seen');
    ro.send(2, { op: 'create', path: '/nope', data: new Uint8Array(0), acl: OPEN, flags: 0 });
    expect((await ro.reply())?.err).toBe(-119);
    ro.send(3, { op: 'sync', path: '/' });
    expect((await ro.reply())?.err).toBe(-119);
    await Promise.all([leader.start(), learners[1]!.start()]);
    await e.stable();
    expect(await ro.next()).toBeNull(); // back in the ensemble: read-only sessions are closed
    expect(await readAfterSync(alone.port, '/ro')).toBe('seen');
  });

  it('a follower frozen (SIGSTOP) past syncLimit is dropped by the leader; the rest commits; thawed, it rejoins', async () => {
    e = await startEnsemble({ size: 3 });
    const { leader, learners } = await e.stable();
    const synced = async () => Number(/zk_synced_followers\t(\d+)/.exec(await leader.word('mntr'))?.[1]);
    await until('both followers synced', async () => (await synced()) === 2);
    const frozen = learners[0]!;
    frozen.signal('SIGSTOP');
    try {
      await until('the leader to drop the frozen follower', async () => (await synced()) === 1, 10000);
      const c = await nodeClient(`127.0.0.1:${leader.port}`);
      for (let i = 0; i < 10; i++) expect((await create(c, `/thaw${i}`, String(i))).err).toBe(0);
      c.close();
    } finally {
      frozen.signal('SIGCONT');
    }
    await until('the follower to rejoin', async () => (await synced()) === 2);
    for (let i = 0; i < 10; i++) expect(await readAfterSync(frozen.port, `/thaw${i}`)).toBe(String(i));
  });

  it('a follower in a minority partition stops serving; the majority commits; after healing it converges', async () => {
    e = await startEnsemble({ size: 3 });
    const { leader, learners } = await e.stable();
    const cut = learners[0]!;
    cut.partition();
    await until('the cut follower to stop serving', async () => (await cut.mode()) === 'not serving');
    await expect(RawClient.session(cut.port)).rejects.toThrow();
    const c = await nodeClient(`127.0.0.1:${leader.port}`);
    for (let i = 0; i < 20; i++) expect((await create(c, `/maj${i}`, String(i))).err).toBe(0);
    c.close();
    cut.partition(); // heal
    await until('the cut follower to rejoin', async () => (await cut.mode()) === 'follower');
    for (let i = 0; i < 20; i++) expect(await readAfterSync(cut.port, `/maj${i}`)).toBe(String(i));
    expect((await e.stable()).leader).toBe(leader);
  });
});
