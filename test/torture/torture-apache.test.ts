// The same harness drives Apache ZooKeeper 3.8 (Debian's package, installed by .ci/run): a short
// run through a fault (every peer link through the fault proxy), judged by the same checks.
import { describe, expect, it } from 'vitest';
import { apacheInstalled } from '../../conformance/apache.ts';
import { tortureRun } from '../../conformance/torture/run.ts';

describe.runIf(apacheInstalled())('Apache ZooKeeper under faults (short runs, same harness)', () => {
  it('register through a partitioned leader: no violation, and writes succeed after the fault', { timeout: 240_000 }, async () => {
    const r = await tortureRun({ system: 'apache', workload: 'register', seed: 1, durationMs: 12000, faults: ['partition-leader'] });
    expect(r.violations).toEqual([]);
    expect(r.faults.length).toBeGreaterThan(0);
    expect(r.faults.some((f) => f.firstWrite !== null)).toBe(true);
    expect(r.writes.filter((w) => w.ok).length).toBeGreaterThan(10);
  });
});
