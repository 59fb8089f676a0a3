// The shell runs `step` in owned mode (the history grows in place: O(1) per txn); the checker
// and the simulated world never do. This test records random schedules in the world and replays
// every server's inputs through `step` in owned mode: every step must return the very effects
// the world recorded, and each server must end in the state a plain replay reaches.
import { describe, expect, it } from 'vitest';
import { choicesFromSeed, runSchedule, type Bounds } from '../../model/random.ts';
import { traceOf } from '../../model/trace.ts';
import { createWorld, type WorldOptions } from '../../model/world.ts';
import { boot, step, type Config, type Durable, type Input, type ServerState } from '../../src/zab/index.ts';

const SETUPS: readonly { name: string; opts: WorldOptions; bounds: Bounds }[] = [
  { name: '3 voters', opts: { voters: [1, 2, 3] }, bounds: { txns: 12, crashes: 3, cuts: 2, partitions: 1 } },
  { name: '3 voters + 1 observer, snapshots every 3 txns', opts: { voters: [1, 2, 3], observers: [4], snapCount: 3 }, bounds: { txns: 12, crashes: 3, cuts: 2, partitions: 1 } },
];

function replayed(events: ReturnType<typeof traceOf>, owned: boolean): { mismatch: string | null; finals: Map<number, ServerState<number>> } {
  const states = new Map<number, ServerState<number>>();
  const configs = new Map<number, Config>();
  for (const e of events) {
    const input = e.input as Input<number>;
    let result;
    if (input.type === 'restart') {
      const config = (e.config as Config | undefined) ?? configs.get(e.node)!;
      configs.set(e.node, config);
      result = boot(config, input.durable as Durable<number>);
    } else result = step(states.get(e.node)!, input, owned);
    if (JSON.stringify(result[1]) !== JSON.stringify(e.effects)) return { mismatch: `event ${e.seq} at server ${e.node}`, finals: states };
    states.set(e.node, result[0]);
  }
  return { mismatch: null, finals: states };
}

describe('owned mode (the shell) returns what the checked reducers return', () => {
  for (const setup of SETUPS) {
    it(`${setup.name}: 150 recorded schedules replayed in owned mode`, () => {
      let txns = 0;
      for (let seed = 1; seed <= 150; seed++) {
        const run = runSchedule(setup.opts, setup.bounds, choicesFromSeed(seed, 400));
        const root = createWorld<number>(setup.opts);
        const events = traceOf(root, [...root.sids.map((sid) => ({ type: 'restart' as const, sid })), ...run.actions]);
        const owned = replayed(events, true);
        expect(owned.mismatch, `seed ${seed}`).toBeNull();
        const plain = replayed(events, false);
        expect(plain.mismatch, `seed ${seed}`).toBeNull();
        for (const [sid, s] of plain.finals) expect(JSON.stringify(owned.finals.get(sid)), `seed ${seed} server ${sid}`).toBe(JSON.stringify(s));
        txns += run.committed;
      }
      expect(txns).toBeGreaterThan(150); // the schedules did commit: appends were exercised
    });
  }
});
