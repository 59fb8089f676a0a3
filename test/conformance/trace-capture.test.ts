// Traces captured from a real ensemble (`zabkit server --trace`): every line is a valid trace
// event, and each server's steps replay through `step` to exactly the effects it executed
// (the shell ran the spec's code faithfully) — elections, proposals, commits, snapshots
// (PERSIST-9 compaction) and a follower's restart included.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parseTrace } from '../../conformance/trace-schema.ts';
import { replay } from '../../model/trace.ts';
import { create, nodeClient, startEnsemble } from '../shell/ensemble-harness.ts';
import { removeDir, tempDir } from '../shell/harness.ts';

it('a 3-server run traced by every server replays, step by step, to the effects each executed', async () => {
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
  for (const p of e.peers) {
    const { events, error } = parseTrace(readFileSync(join(traces, `server-${p.id}.ndjson`), 'utf8'));
    expect(error).toBeNull();
    // One restart per process: the restarted follower's trace holds both runs.
    expect(events.filter((ev) => ev.input.type === 'restart')).toHaveLength(p.id === restarted ? 2 : 1);
    const kinds = new Set(events.map((ev) => ev.input.type));
    for (const k of ['restart', 'receive', 'timeout', 'persisted', 'compacted']) expect(kinds, `server ${p.id}`).toContain(k);
    const r = replay(events.map((ev) => ({ ...ev })));
    expect(r.mismatch, `server ${p.id}`).toBeNull();
    // The same trace with one effect changed (a held ACK sent at once) is caught at that event.
    const at = events.findIndex((ev) => ev.effects.some((x) => x.type === 'sendAfterPersist'));
    const tampered = events.map((ev, i) =>
      i === at ? { ...ev, effects: ev.effects.map((x) => (x.type === 'sendAfterPersist' ? { type: 'send' as const, to: x.to, msg: x.msg } : x)) } : ev,
    );
    expect(replay(tampered).mismatch?.seq, `server ${p.id}`).toBe(events[at]!.seq);
  }
  removeDir(traces);
});
