// The runs whose traces conformance/traces/ keeps: real ensembles, each server tracing to
// DIR/server-N.ndjson, through the protocol's hard cases. `npm run traces:capture` records them
// again (test/conformance/capture.test.ts); `npm test` replays the kept ones.
import { expect } from 'vitest';
import { create, cutOffLeaderWithWrite, nodeClient, readAfterSync, startEnsemble, syncType, until, type Ensemble } from '../shell/ensemble-harness.ts';


async function writes(connect: string, prefix: string, n: number): Promise<void> {
  const c = await nodeClient(connect);
  for (let i = 0; i < n; i++) expect((await create(c, `${prefix}${i}`, String(i))).err).toBe(0);
  c.close();
}

async function withEnsemble(o: Parameters<typeof startEnsemble>[0], body: (e: Ensemble) => Promise<void>): Promise<void> {
  const e = await startEnsemble(o);
  try {
    await body(e);
  } finally {
    await e.close();
  }
}

export const TRACE_RUNS: Readonly<Record<string, (traceDir: string) => Promise<void>>> = {
  /** kill -9 of the leader: the others elect a new one and go on; the old one rejoins (DIFF or TRUNC). */
  'leader-crash': (traceDir) =>
    withEnsemble({ size: 3, traceDir }, async (e) => {
      const { leader, learners } = await e.stable();
      await writes(e.connect, '/before', 8);
      await leader.kill();
      await until('a new leader', async () => (await Promise.all(learners.map((p) => p.mode()))).includes('leader'));
      await writes(learners.map((p) => `127.0.0.1:${p.port}`).join(','), '/after', 8);
      await leader.start();
      await until('the old leader to follow', async () => (await leader.mode()) === 'follower');
      expect(await readAfterSync(leader.port, '/after7')).toBe('7');
    }),

  /** A leader cut off with a proposal nobody acknowledged; when it rejoins, TRUNC removes it. */
  trunc: (traceDir) =>
    withEnsemble({ size: 3, traceDir, env: { ZABKIT_FAULT_HOOK: 'silent' } }, async (e) => {
      const { leader, learners } = await e.stable();
      await writes(e.connect, '/n', 3);
      const client = await cutOffLeaderWithWrite(leader, learners, '/lost');
      await writes(learners.map((p) => `127.0.0.1:${p.port}`).join(','), '/majority', 2);
      expect(await client.reply(15000)).toBeNull();
      leader.partition(); // heal
      await until('the old leader to rejoin', async () => (await leader.mode()) === 'follower');
      expect(syncType(leader)).toContain('TRUNC');
      expect(await readAfterSync(leader.port, '/lost')).toBe(-101);
    }),

  /** A follower down while the others write past two snapshots: it catches up by SNAP. */
  snap: (traceDir) =>
    withEnsemble({ size: 3, traceDir, extra: ['snapCount=8'] }, async (e) => {
      const { leader, learners } = await e.stable();
      const late = learners[0]!;
      expect(await late.stop()).toBe(0);
      await writes(`127.0.0.1:${leader.port}`, '/s', 24);
      await late.start();
      await until('the late follower to follow', async () => (await late.mode()) === 'follower');
      expect(syncType(late)).toEqual(['SNAP']);
      expect(await readAfterSync(late.port, '/s23')).toBe('23');
    }),

  /** Three voters and an observer; writes through the observer are forwarded, committed, INFORMed. */
  observer: (traceDir) =>
    withEnsemble({ size: 3, observers: 1, traceDir }, async (e) => {
      await e.stable();
      const observer = e.peers.find((p) => p.member.observer)!;
      expect(await observer.mode()).toBe('observer');
      await writes(`127.0.0.1:${observer.port}`, '/o', 6);
      expect(await readAfterSync(observer.port, '/o5')).toBe('5');
    }),
};
