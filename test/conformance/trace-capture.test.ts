// Traces captured now from a real ensemble (`zabkit server --trace`): every line is a valid
// trace event, and the run replays clean (conformance/replay.ts) — elections, proposals,
// commits, snapshots (PERSIST-9 compaction) and a follower's restart included.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parseTrace } from '../../conformance/trace-schema.ts';
import { formatReport, replayPath } from '../../conformance/replay.ts';
import { create, nodeClient, startEnsemble } from '../shell/ensemble-harness.ts';
import { removeDir, tempDir } from '../shell/harness.ts';

it('a 3-server run traced by every server replays clean: effects, contract, invariants', async () => {
  const traces = tempDir('zabkit-traces-');
  const e = await startEnsemble({ size: 3, extra: ['snapCount=15'], traceDir: traces });
  let restarted = 0;
  try {
    const { learners } = await e.stable();
    restarted = learners[0]!.id;
    const c = await nodeClient(e.connect);
    for (let i = 0; i < 40; i++) expect((await create(c, `/t${i}`, String(i), i % 4 === 0 ? 1 : 0)).err).toBe(0);
    expect(await learners[0]!.stop()).toBe(0);
    for (let i = 40; i < 60; i++) expect((await create(c, `/t${i}`, String(i))).err).toBe(0);
    await learners[0]!.start(); // rejoins from its disk: a restart event, then a sync
    await e.stable();
    c.close();
  } finally {
    await e.close();
  }
  // The whole run, merged: effects, the effect contract and every invariant (conformance/replay.ts).
  const report = replayPath(traces);
  expect(report.problem, formatReport(traces, report)).toBeNull();
  expect(report.servers).toBe(3);
  for (const p of e.peers) {
    const { events, error } = parseTrace(readFileSync(join(traces, `server-${p.id}.ndjson`), 'utf8'));
    expect(error).toBeNull();
    // One restart per process: the restarted follower's trace holds both runs, numbered on.
    expect(events.filter((ev) => ev.input.type === 'restart')).toHaveLength(p.id === restarted ? 2 : 1);
    expect(events.map((ev) => ev.seq)).toEqual(events.map((_, i) => i));
    const kinds = new Set(events.map((ev) => ev.input.type));
    for (const k of ['restart', 'receive', 'timeout', 'persisted', 'compacted']) expect(kinds, `server ${p.id}`).toContain(k);
    // Every received message names its sender's id for it.
    expect(events.filter((ev) => ev.input.type === 'receive' && ev.recv === undefined)).toEqual([]);
  }
  removeDir(traces);
});
