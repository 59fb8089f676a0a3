// The seeds npm test runs through the simulator (sim/run.ts), every check on: a fixed list, split
// over two files so that vitest runs the halves on both cores.
import { expect, it } from 'vitest';
import { reproduce } from '../../sim/cli.ts';
import { simulate } from '../../sim/run.ts';

/** Requests per run in npm test (the CLI's default is 200). */
export const TEST_OPS = 120;

export function sweep(from: number, to: number): void {
  const seeds = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  it.each(seeds)('seed %i', async (seed) => {
    const r = await simulate({ seed, ops: TEST_OPS });
    const problems = r.violations.map((v) => `${v.id}: ${v.detail}`);
    expect(problems, `${r.swarm}\nreproduce: ${reproduce(seed, { ops: TEST_OPS })}`).toEqual([]);
    // Every run got somewhere: some requests answered, and the ensemble wrote again after the faults.
    expect(r.ops.ok).toBeGreaterThan(0);
    expect(r.recoveryMs).not.toBeNull();
  });
}
