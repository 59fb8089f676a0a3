// Short fault runs of a real zabkit ensemble (the long ones, beside Apache: `npm run torture`):
// each workload through one fault of a different kind, then healed; every check of the run holds.
// Two runs at a time (separate ensembles on their own ports): a run mostly waits on its fault's
// timers, so pairs halve the file's time without crowding the machine.
import { describe, expect, it } from 'vitest';
import { tortureRun, type FaultKind } from '../../conformance/torture/run.ts';
import type { WorkloadName } from '../../conformance/torture/workloads.ts';

const PAIRS: readonly (readonly [WorkloadName, FaultKind])[][] = [
  [
    ['register', 'kill-leader'],
    ['set', 'partition-leader'],
  ],
  [
    ['ids', 'torn'],
    ['queue', 'pause-short'],
  ],
  [
    ['counter', 'wipe'],
    ['ephemeral', 'partition-follower'],
  ],
];

async function faultRun(workload: WorkloadName, fault: FaultKind): Promise<void> {
  const r = await tortureRun({ system: 'zabkit', workload, seed: 1, durationMs: 6000, faults: [fault] });
  const what = `${workload} through ${fault}`;
  expect(r.violations, what).toEqual([]);
  expect(r.faults.length, what).toBeGreaterThan(0);
  expect(r.faults.every((f) => f.kind === fault), what).toBe(true);
  expect(r.faults.some((f) => f.firstWrite !== null), what).toBe(true);
  expect(r.writes.filter((w) => w.ok).length, what).toBeGreaterThan(10);
}

describe('zabkit under faults (short runs)', () => {
  it.each(PAIRS.map((p) => [p.map(([w, f]) => `${w} through ${f}`).join(', '), p] as const))('%s: no violation, and writes succeed after the fault', async (_, pair) => {
    await Promise.all(pair.map(([w, f]) => faultRun(w, f)));
  });
});
