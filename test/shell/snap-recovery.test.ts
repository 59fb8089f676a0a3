// Issue 19: a follower caught up by SNAP must keep every committed write — while it serves, and
// after a kill -9 and restart. Real 3-server ensembles (tickTime=200, snapCount=50); the follower
// is cut off from its peers with the test-only fault hook (SIGUSR2) while the leader commits far
// more than snapCount txns, so that the leader's history is compacted into snapshots and the only
// way to catch the follower up is a SNAP.
//
// What each test checks, on every server, through a client connected to that very server after a
// `sync`: the exact set of names under /t; and after the kill -9 restart, also that the restarted
// server's `srvr` zxid is the others'.
import { afterEach, describe, expect, it } from 'vitest';
import { startEnsemble, until, type Ensemble, type Peer } from './ensemble-harness.ts';
import { RawClient } from './harness.ts';

const OPEN = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const OPTIONS = { size: 3, tickTime: 200, extra: ['snapCount=50'] };

let e: Ensemble | undefined;
afterEach(async () => {
  await e?.close();
  e = undefined;
});

/** Creates `paths` through the leader, 25 in flight at a time (many commits, so many snapshots); every one must succeed. */
async function createAll(port: number, paths: readonly string[]): Promise<void> {
  const c = await RawClient.session(port);
  try {
    for (let wave = 0; wave < paths.length; wave += 25) {
      const batch = paths.slice(wave, wave + 25);
      batch.forEach((p, i) => c.send(wave + i + 1, { op: 'create', path: p, data: Buffer.from(p), acl: OPEN, flags: 0 }));
      for (const p of batch) expect((await c.reply(10000))?.err, `create ${p}`).toBe(0);
    }
  } finally {
    await closeSession(c);
  }
}

async function closeSession(c: RawClient): Promise<void> {
  try {
    c.send(1_000_000, { op: 'closeSession' });
    await c.reply(5000);
  } catch {
    // closed already: the session expires by itself
  } finally {
    c.close();
  }
}

/** On `port` only: sync /t, then /t's children (sorted), or the error code of getChildren. */
async function childrenOf(port: number): Promise<string[] | number> {
  const c = await RawClient.session(port);
  try {
    c.send(1, { op: 'sync', path: '/t' });
    c.send(2, { op: 'getChildren', path: '/t', watch: false });
    const sync = await c.reply(10000);
    expect(sync?.xid).toBe(1);
    expect(sync?.err).toBe(0);
    const got = await c.reply(10000);
    expect(got?.xid).toBe(2);
    if (got!.err !== 0) return got!.err;
    const n = got!.body.int();
    return Array.from({ length: n }, () => got!.body.string()).sort();
  } finally {
    await closeSession(c);
  }
}

/** Every server's /t, after a sync through a client of that server, must be exactly `paths` (soft: every server is reported). */
async function expectEveryServerHas(peers: readonly Peer[], paths: readonly string[], when: string, late: Peer): Promise<void> {
  const want = paths.map((p) => p.slice('/t/'.length)).sort();
  for (const p of peers) {
    const server = `server ${p.id}${p === late ? ' (the follower caught up by SNAP)' : ''}`;
    const got = await childrenOf(p.port);
    if (typeof got === 'number') {
      expect.soft(got, `${server} ${when}: getChildren /t failed with ${got} (want ${want.length} children)`).toBe(0);
      continue;
    }
    const have = new Set(got);
    const missing = want.filter((k) => !have.has(k));
    const wanted = new Set(want);
    const extra = got.filter((k) => !wanted.has(k));
    expect
      .soft({ children: got.length, missing: missing.length, extra }, `${server} ${when}: /t has ${got.length} of ${want.length}; missing e.g. ${missing.slice(0, 5).join(', ')}`)
      .toEqual({ children: want.length, missing: 0, extra: [] });
  }
}

const zxidOf = async (p: Peer) => /Zxid: (0x[0-9a-f]+)/.exec(await p.word('srvr'))?.[1];

/** Polls (bounded) until every server reports one zxid; then asserts the restarted one's equals the others'. */
async function expectZxidsAgree(peers: readonly Peer[], restarted: Peer): Promise<void> {
  let zxids: (string | undefined)[] = [];
  await until('every server to report one zxid', async () => {
    zxids = await Promise.all(peers.map(zxidOf));
    return zxids[0] !== undefined && zxids.every((z) => z === zxids[0]);
  }, 15000).catch(() => undefined);
  const others = peers.map((p, i) => (p === restarted ? undefined : zxids[i])).filter((z) => z !== undefined);
  expect(others.length).toBe(peers.length - 1);
  expect(new Set(others).size, `the others disagree: ${zxids.join(', ')}`).toBe(1);
  expect(zxids[peers.indexOf(restarted)], `srvr zxids ${peers.map((p, i) => `${p.id}=${zxids[i]}`).join(' ')}`).toBe(others[0]);
}

const count = (text: string, re: RegExp) => [...text.matchAll(re)].length;
const SNAPSHOT = /"msg":"snapshot written"/g;

/**
 * The follower logs `"msg":"sync from leader" … "type":"DIFF|TRUNC|SNAP"` (src/shell/server.ts)
 * for each sync it receives; these are the types in `text` (a slice of its log).
 */
const syncTypes = (text: string) => [...text.matchAll(/"msg":"sync from leader".*?"type":"(\w+)"/g)].map((m) => m[1]);

/**
 * Cut `late` off, have the leader commit `paths` (its history compacted into snapshots meanwhile),
 * heal `late` and wait until it follows again — caught up by SNAP, which is checked.
 */
async function missAndCatchUpBySnap(leader: Peer, late: Peer, paths: readonly string[]): Promise<void> {
  late.partition();
  await until('the follower to be cut off', () => /isolated from peers/.test(late.logs()));
  await until('the cut-off follower to stop serving', async () => (await late.mode()) === 'not serving');
  const leaderSnaps = count(leader.logs(), SNAPSHOT);
  await createAll(leader.port, paths);
  // The leader's history was compacted while the follower was away: it took snapshots, and
  // keeps far fewer entries in ZAB's history than the txns the follower missed.
  await until('the leader to snapshot the missed txns', () => count(leader.logs(), SNAPSHOT) >= leaderSnaps + 3, 10000);
  const entries = Number(/zabkit_history_entries\t(\d+)/.exec(await leader.word('mntr'))?.[1]);
  expect(entries).toBeLessThan(paths.length);
  const mark = late.logs().length;
  late.partition(); // heal
  await until('the healed follower to follow again', async () => (await late.mode()) === 'follower', 20000);
  // What makes this a SNAP test: the follower's log, since the heal, shows it synced with SNAP only.
  const kinds = syncTypes(late.logs().slice(mark));
  expect(kinds.length, late.logs().slice(mark)).toBeGreaterThan(0);
  expect(kinds.every((k) => k === 'SNAP'), `sync kinds since the heal: ${kinds.join(', ')}`).toBe(true);
}

async function killAndRestart(late: Peer): Promise<void> {
  await late.kill(); // SIGKILL
  expect(late.running()).toBe(false);
  await late.start();
  await until('the restarted follower to follow', async () => (await late.mode()) === 'follower', 20000);
}

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `/t/${prefix}${i}`);

describe('issue 19: a follower caught up by SNAP keeps every committed write', () => {
  it('SNAP, then kill -9 and restart: the follower still has all 220 children of /t (and the others’ zxid)', async () => {
    e = await startEnsemble(OPTIONS);
    const { leader, learners } = await e.stable();
    const late = learners[0]!;
    const missed = ['/t', ...names('a', 200)];
    await missAndCatchUpBySnap(leader, late, missed);
    const after = names('b', 20);
    await createAll(leader.port, after);
    const all = [...missed.slice(1), ...after];

    await expectEveryServerHas(e.peers, all, 'after the SNAP', late);
    await killAndRestart(late);
    await expectEveryServerHas(e.peers, all, 'after the follower’s kill -9 and restart', late);
    await expectZxidsAgree(e.peers, late);
  }, 90_000);

  it('a follower that had compacted its own history: after SNAP it has all 340 children of /t, and again after kill -9 and restart', async () => {
    e = await startEnsemble(OPTIONS);
    const { leader, learners } = await e.stable();
    const late = learners[0]!;
    const before = ['/t', ...names('a', 120)]; // /t and 120 children
    await createAll(leader.port, before);
    // Every server has taken snapshots of its own (snapCount 50) before the follower is cut off.
    await until('the follower to have snapshotted its own history', () => count(late.logs(), SNAPSHOT) >= 2, 10000);
    await expectEveryServerHas(e.peers, before.slice(1), 'before the cut', late);
    const missed = names('b', 200);
    await missAndCatchUpBySnap(leader, late, missed);
    const after = names('c', 20);
    await createAll(leader.port, after);
    const all = [...before.slice(1), ...missed, ...after]; // 120 + 200 + 20 = 340 children

    await expectEveryServerHas(e.peers, all, 'after the SNAP', late);
    await killAndRestart(late);
    await expectEveryServerHas(e.peers, all, 'after the follower’s kill -9 and restart', late);
    await expectZxidsAgree(e.peers, late);
  }, 90_000);
});
