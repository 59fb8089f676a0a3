// The random-schedule property test: fast-check draws schedules (which message is delivered,
// which disk write completes, which timer fires, when servers crash, restart, lose connections
// or are partitioned, when clients write) and every invariant of spec/invariants.md is checked
// after every step. A failure prints the shrunk choice list, which reproduces the run exactly.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeWorld } from '../model/describe.ts';
import { checkInvariants } from '../model/invariants.ts';
import { settle } from '../model/liveness.ts';
import { choicesFromSeed, runSchedule, type Bounds } from '../model/random.ts';
import type { WorldOptions } from '../model/world.ts';

interface Setup {
  readonly name: string;
  readonly opts: WorldOptions;
  readonly bounds: Bounds;
  readonly runs: number;
}

const SETUPS: readonly Setup[] = [
  { name: '3 voters', opts: { voters: [1, 2, 3] }, bounds: { txns: 4, crashes: 3, cuts: 2, partitions: 1 }, runs: 700 },
  { name: '5 voters', opts: { voters: [1, 2, 3, 4, 5] }, bounds: { txns: 4, crashes: 4, cuts: 2, partitions: 1 }, runs: 500 },
  { name: '3 voters + 1 observer', opts: { voters: [1, 2, 3], observers: [4] }, bounds: { txns: 4, crashes: 3, cuts: 2, partitions: 1 }, runs: 400 },
  { name: '3 voters, snapshots every 2 txns', opts: { voters: [1, 2, 3], snapCount: 2 }, bounds: { txns: 5, crashes: 3, cuts: 2, partitions: 1 }, runs: 400 },
];

const STEPS = 400;

describe('random schedules keep every invariant', () => {
  const seen = { runs: 0, established: 0, committed: 0, txns: 0, converged: 0 };

  for (const setup of SETUPS) {
    it(`${setup.name}: ${setup.runs} schedules of ${STEPS} steps`, () => {
      fc.assert(
        fc.property(fc.array(fc.nat(), { minLength: STEPS, maxLength: STEPS }), (choices) => {
          const r = runSchedule(setup.opts, setup.bounds, choices);
          seen.runs++;
          if (r.established) seen.established++;
          if (r.committed > 0) seen.committed++;
          seen.txns += r.committed;
          if (r.violation) {
            throw new Error(
              `${r.violation.id} at step ${r.violation.step}: ${r.violation.detail}\n` +
                `last actions: ${r.actions.slice(-12).map((a) => JSON.stringify(a)).join('\n  ')}\n` +
                describeWorld(r.world).join('\n'),
            );
          }
          // LIVE-1: once the faults stop and everything heals, the ensemble becomes available again.
          const healed = settle(r.world);
          const after = checkInvariants(healed.world);
          if (after.length || !healed.available) {
            throw new Error(`${after[0]?.id ?? 'LIVE-1'} after healing: ${after[0]?.detail ?? 'not available'}\n${describeWorld(healed.world).join('\n')}`);
          }
          if (healed.converged) seen.converged++;
        }),
        { numRuns: setup.runs },
      );
    });
  }

  // A property test that explores nothing proves nothing: most runs must reach a leader and commit.
  it('the schedules do reach established leaders and commits', () => {
    expect(seen.runs).toBeGreaterThanOrEqual(2000);
    expect(seen.established / seen.runs).toBeGreaterThan(0.6);
    expect(seen.committed / seen.runs).toBeGreaterThan(0.4);
    expect(seen.txns).toBeGreaterThan(seen.runs);
    // all are available after healing (checked per run); nearly all have every server back too
    expect(seen.converged / seen.runs).toBeGreaterThan(0.97);
  });
});

// The same harness must fail on reducers known to be broken, or its green result means nothing.
describe('random schedules catch broken reducers', () => {
  const cases = [
    { deviation: 'skip-trunc', voters: [1, 2, 3], ids: ['INV-13', 'INV-2', 'INV-3', 'INV-8', 'INV-9'] },
    { deviation: 'commit-without-quorum', voters: [1, 2, 3], ids: ['INV-9', 'INV-8', 'INV-2', 'INV-3'] },
  ] as const;
  for (const c of cases) {
    it(`finds a violation when the leader does ${c.deviation}`, () => {
      let found: string | null = null;
      for (let seed = 1; seed <= 3000 && !found; seed++) {
        const r = runSchedule(
          { voters: c.voters, deviation: c.deviation },
          { txns: 3, crashes: 3, cuts: 2, partitions: 1 },
          choicesFromSeed(seed, STEPS),
        );
        if (r.violation) found = r.violation.id;
      }
      expect(found).not.toBeNull();
      expect(c.ids).toContain(found);
    });
  }
});
