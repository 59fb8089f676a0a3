// Differential runs against Apache ZooKeeper 3.8 (Debian's `zookeeper`, started here on
// 127.0.0.1): the same seeded workloads on both, every reply and watch event compared by
// structure. A mismatch prints its seed, the request and both replies; the seed reproduces it
// (`npx zabkit differential --seed N`).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apacheInstalled } from '../../conformance/apache.ts';
import { differential, startReference, versionOf, ZABKIT_FLAGS } from '../../conformance/differential/cli.ts';
import { compare, formatMismatch, runWorkload, type Observation } from '../../conformance/differential/run.ts';
import { startEnsemble } from '../shell/ensemble-harness.ts';
import { fourLetter, peerMissing, removeDir, startServer, tempDir, type RunningServer } from '../shell/harness.ts';

const skip = peerMissing('Apache ZooKeeper (Debian zookeeper)', apacheInstalled());


describe.skipIf(skip)('differential: zabkit against Apache ZooKeeper 3.8', () => {
  let dir = '';
  beforeAll(() => {
    dir = tempDir('zabkit-differential-');
  });
  afterAll(() => removeDir(dir));

  it('200 workloads of 100 operations answer alike on a standalone server', async () => {
    const apache = await startReference(join(dir, 'apache-1'));
    let zabkit: RunningServer | undefined;
    try {
      const version = (await versionOf('127.0.0.1', apache.port)) ?? '';
      expect(version).toMatch(/^3\.8\.\d+$/);
      zabkit = await startServer(join(dir, 'zabkit-1'), [...ZABKIT_FLAGS, '--compat', version]);
      const r = await differential(apache.port, zabkit.port, { from: 0, to: 199, ops: 100 });
      expect(r.referenceLost).toBeNull();
      expect(r.workloads).toBe(200);
      expect(r.mismatches.map((m) => formatMismatch(m, ['apache', 'zabkit']))).toEqual([]);
    } finally {
      await apache.stop();
      if (zabkit) expect(await zabkit.stop()).toBe(0);
    }
    // ~30 s on an idle 2-core machine; 145 s beside two CPU-bound processes and other test runs.
  }, 300_000);

  it('a follower of a 3-server ensemble answers as Apache does (every session on that follower)', async () => {
    const apache = await startReference(join(dir, 'apache-2'));
    // Apache's tickTime (2000), so the 30 s session timeout the workloads ask for is granted as
    // Apache grants it: the harness's 200 ms tick caps it at 4 s, and a session the workload does
    // not use for 4 s (they send no pings) would expire mid-workload on a loaded machine. Sessions
    // a workload leaves behind are closed by runWorkload itself before the next one starts.
    const e = await startEnsemble({ size: 3, tickTime: 2000, extra: ['zookeeper.extendedTypesEnabled=true', 'znode.container.checkIntervalMs=3600000', `zabkit.compat=${(await versionOf('127.0.0.1', apache.port)) ?? '3.8.0'}`] });
    try {
      // With a 2000 ms tick, initLimit is 20 s: a discovery that a loaded machine lets time out once
      // is retried only then, so wait for three of them rather than the harness's default 20 s.
      const { learners } = await e.stable(60_000);
      const r = await differential(apache.port, learners[0]!.port, { from: 1000, to: 1029, ops: 100 });
      expect(r.referenceLost).toBeNull();
      expect(r.mismatches.map((m) => formatMismatch(m, ['apache', 'zabkit follower']))).toEqual([]);
    } finally {
      await apache.stop();
      await e.close();
    }
  }, 180_000);

  it('a real difference is reported with its seed, request and both replies', async () => {
    // Without --compat zabkit follows 3.8.4+, whose exists checks READ (ZOOKEEPER-2590): seed 10
    // asks exists of a node its session may not read, which 3.8.0 answers with a stat.
    const apache = await startReference(join(dir, 'apache-3'));
    const zabkit = await startServer(join(dir, 'zabkit-3'), [...ZABKIT_FLAGS, '--compat', '3.8.6']);
    try {
      const version = (await versionOf('127.0.0.1', apache.port)) ?? '';
      const [a, b] = await Promise.all([runWorkload(apache.port, 10, 100), runWorkload(zabkit.port, 10, 100)]);
      const m = compare(a, b);
      if (version < '3.8.4') {
        expect(m).not.toBeNull();
        const text = formatMismatch(m!, ['apache', 'zabkit']);
        expect(text).toContain('seed 10');
        expect(text).toContain('"op":"exists"');
        expect(text).toMatch(/zabkit: \{"err":-102/);
        expect(text).toContain('npx zabkit differential --seed 10');
      } else expect(m).toBeNull();
    } finally {
      await apache.stop();
      expect(await zabkit.stop()).toBe(0);
    }
  }, 60_000);
});

describe('differential: a workload leaves no session behind', () => {
  it('sessions the server cut off (a failed auth) are closed too, before runWorkload returns', async () => {
    // A session left to expire closed itself 30 s later in the middle of a later workload, on
    // each server's own tick: a one-zxid shift in that workload's replies on a loaded machine.
    const dir = tempDir('zabkit-differential-');
    const zabkit = await startServer(join(dir, 'zabkit'), [...ZABKIT_FLAGS]);
    try {
      for (const seed of [2, 7]) {
        const o = await runWorkload(zabkit.port, seed, 100);
        const failedAuth = o.steps.filter(({ step, reply }) => step.kind === 'auth' && step.scheme === 'nosuch' && (reply as { err?: number }).err === -115);
        expect(failedAuth.length, `seed ${seed} has a failed auth on a live connection`).toBeGreaterThan(0);
        const sessions = /zk_global_sessions\s+(\d+)/.exec(await fourLetter(zabkit.port, 'mntr'))?.[1];
        expect(sessions, `sessions left after seed ${seed}`).toBe('0');
      }
    } finally {
      expect(await zabkit.stop()).toBe(0);
      removeDir(dir);
    }
  }, 60_000);
});

describe('differential: structure, not values', () => {
  const stat = (czxid: bigint, mzxid: bigint, ctime: bigint, mtime: bigint) => ({
    czxid,
    mzxid,
    ctime,
    mtime,
    version: 0,
    cversion: 0,
    aversion: 0,
    ephemeralOwner: 0n,
    dataLength: 0,
    numChildren: 0,
    pzxid: czxid,
  });
  const obs = (replies: unknown[]): Observation => ({
    seed: 7,
    steps: replies.map((reply) => ({ step: { kind: 'open' }, reply })),
    streams: [],
    sessionIds: [],
  });

  it('zxids and times that differ in value but not in order or equality match', () => {
    const a = obs([{ err: 0, zxid: 5n, body: { stat: stat(5n, 5n, 100n, 100n) } }, { err: 0, zxid: 6n, body: { stat: stat(5n, 6n, 100n, 130n) } }]);
    const b = obs([{ err: 0, zxid: 0x100000009n, body: { stat: stat(0x100000009n, 0x100000009n, 7n, 7n) } }, { err: 0, zxid: 0x10000000an, body: { stat: stat(0x100000009n, 0x10000000an, 7n, 9n) } }]);
    expect(compare(a, b)).toBeNull();
  });

  it('a zxid equal where the other server has two different ones is a mismatch', () => {
    const a = obs([{ err: 0, zxid: 5n, body: null }, { err: 0, zxid: 6n, body: null }]);
    const b = obs([{ err: 0, zxid: 9n, body: null }, { err: 0, zxid: 9n, body: null }]);
    expect(compare(a, b)?.where).toBe('step 1');
  });

  it('one zxid with two times, or times running backwards, breaks the structure', () => {
    const twoTimes = obs([{ err: 0, zxid: 5n, body: { stat: stat(5n, 5n, 100n, 101n) } }]);
    expect(compare(twoTimes, twoTimes)?.where).toMatch(/structure/);
    const backwards = obs([{ err: 0, zxid: 6n, body: { stat: stat(5n, 6n, 100n, 90n) } }]);
    expect(compare(backwards, backwards)?.where).toMatch(/structure/);
  });

  it('children, ephemerals and auth ids compare as sets; data does not', () => {
    const a = obs([{ err: 0, zxid: 5n, body: { children: ['b', 'a'] } }]);
    expect(compare(a, obs([{ err: 0, zxid: 5n, body: { children: ['a', 'b'] } }]))).toBeNull();
    expect(compare(a, obs([{ err: 0, zxid: 5n, body: { children: ['a', 'c'] } }]))).not.toBeNull();
    const d = (bytes: number[]) => obs([{ err: 0, zxid: 5n, body: { data: Uint8Array.from(bytes) } }]);
    expect(compare(d([1, 2]), d([2, 1]))).not.toBeNull();
  });
});
