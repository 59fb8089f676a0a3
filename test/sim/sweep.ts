// The seeds npm test runs through the simulator (sim/run.ts), every check on: a fixed list, split
// over two files so that vitest runs the halves on both cores.
import { expect, it } from 'vitest';
import { reproduce } from '../../sim/cli.ts';
import { simulate } from '../../sim/run.ts';

/** Requests per run in npm test (the CLI's default is 200). */
export const TEST_OPS = 80;

export function sweep(from: number, to: number): void {
  const seeds = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  it.each(seeds)('seed %i', async (seed) => {
    const r = await simulate({ seed, ops: TEST_OPS });
    const problems = r.violations.map((v) => `${v.id}: ${v.detail}`);
    expect(problems, `${r.swarm}\nreproduce: ${reproduce(seed, { ops: TEST_OPS })}`).toEqual([]);
    // The ensemble wrote again after the faults (under a hostile swarm a run's clients may get no
    // request through during them, or send none: not a failure, as long as it recovers).
    expect(r.recoveryMs).not.toBeNull();
  });
}
