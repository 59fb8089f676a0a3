// Seeded random walks through the checker's bounded world, for spaces too large to exhaust:
// one seed reproduces one walk exactly. Each walk is a safety phase (faults within the budgets,
// invariants after every step) then a liveness phase (model/liveness.ts: LIVE-1).
import { actions, initialNode, next, type Bounds, type Node } from './checker.ts';
import { checkInvariants, type Violation } from './invariants.ts';
import { settle } from './liveness.ts';
import { choicesFromSeed, pickWeighted, weightOf } from './random.ts';
import type { Deviation } from '../src/zab/index.ts';
import type { Action } from './world.ts';

const KINDS: readonly Action<number>['type'][] = ['deliver', 'persist', 'timeout', 'propose', 'crash', 'restart', 'cut', 'partition', 'heal', 'compacted', 'notice'];
const SCALES = [0.25, 0.5, 1, 1, 1, 2, 4] as const;

export interface SimulateResult {
  readonly runs: number;
  readonly steps: number;
  readonly seconds: number;
  readonly violation: (Violation & { readonly seed: number; readonly path: readonly Action<number>[] }) | null;
}

export function simulate(bounds: Bounds, seed: number, runs: number, deviation?: Deviation): SimulateResult {
  const started = performance.now();
  let steps = 0;
  for (let r = 0; r < runs; r++) {
    const runSeed = seed + r;
    const choices = choicesFromSeed(runSeed, bounds.maxDepth + KINDS.length);
    // Swarm: each walk draws its own weight per kind of action (slow disks, frequent crashes, …),
    // so that different walks explore different regimes. The seed fixes them too.
    const scale = new Map(KINDS.map((k, i) => [k, SCALES[choices[bounds.maxDepth + i]! % SCALES.length]!]));
    const weight = (a: Action<number>) => Math.max(1, Math.round(weightOf(a) * scale.get(a.type)!));
    let node: Node = initialNode(bounds, deviation);
    const path: Action<number>[] = [];
    for (let i = 0; i < bounds.maxDepth; i++) {
      const acts = actions(node, bounds);
      if (acts.length === 0) break;
      const a = pickWeighted(acts, weight, choices[i]!);
      node = next(node, a);
      path.push(a);
      steps++;
      const v = checkInvariants(node.world);
      if (v.length) {
        return { runs: r + 1, steps, seconds: (performance.now() - started) / 1000, violation: { ...v[0]!, seed: runSeed, path } };
      }
    }
    // The liveness phase: faults stop, everything heals; the service must become available (LIVE-1).
    const settled = settle(node.world);
    steps += settled.steps;
    const v = checkInvariants(settled.world);
    if (v.length || !settled.available) {
      const violation = v[0] ?? { id: 'LIVE-1', detail: `no established leader with a quorum in broadcast ${settled.steps} fair steps after the faults stopped` };
      return { runs: r + 1, steps, seconds: (performance.now() - started) / 1000, violation: { ...violation, seed: runSeed, path: [...path, ...settled.path] } };
    }
  }
  return { runs, steps, seconds: (performance.now() - started) / 1000, violation: null };
}
