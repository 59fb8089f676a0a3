// Short fault runs of a real zabkit ensemble (the long ones, beside Apache: `npm run torture`):
// each workload through one fault of a different kind, then healed; every check of the run holds.
import { describe, expect, it } from 'vitest';
import { tortureRun, type FaultKind } from '../../conformance/torture/run.ts';
import type { WorkloadName } from '../../conformance/torture/workloads.ts';

const CASES: readonly [WorkloadName, FaultKind][] = [
  ['register', 'kill-leader'],
  ['set', 'partition-leader'],
  ['ids', 'torn'],
  ['queue', 'pause-short'],
  ['counter', 'wipe'],
  ['ephemeral', 'partition-follower'],
];

describe('zabkit under faults (short runs)', () => {
  it.each(CASES)('%s through %s: no violation, and writes succeed after the fault', async (workload, fault) => {
    const r = await tortureRun({ system: 'zabkit', workload, seed: 1, durationMs: 6000, faults: [fault] });
    expect(r.violations).toEqual([]);
    expect(r.faults.length).toBeGreaterThan(0);
    expect(r.faults.every((f) => f.kind === fault)).toBe(true);
    expect(r.faults.some((f) => f.firstWrite !== null)).toBe(true);
    expect(r.writes.filter((w) => w.ok).length).toBeGreaterThan(10);
  });
});
