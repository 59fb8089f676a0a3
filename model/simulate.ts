// Seeded random walks through the checker's bounded world, for spaces too large to exhaust:
// one seed reproduces one walk exactly.
import { actions, initialNode, next, type Bounds, type Node } from './checker.ts';
import { checkInvariants, type Violation } from './invariants.ts';
import { choicesFromSeed, pickWeighted, weightOf } from './random.ts';
import type { Deviation } from '../src/zab/index.ts';
import type { Action } from './world.ts';

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
    const choices = choicesFromSeed(runSeed, bounds.maxDepth);
    let node: Node = initialNode(bounds, deviation);
    const path: Action<number>[] = [];
    for (let i = 0; i < bounds.maxDepth; i++) {
      const acts = actions(node, bounds);
      if (acts.length === 0) break;
      const a = pickWeighted(acts, weightOf, choices[i]!);
      node = next(node, a);
      path.push(a);
      steps++;
      const v = checkInvariants(node.world);
      if (v.length) {
        return { runs: r + 1, steps, seconds: (performance.now() - started) / 1000, violation: { ...v[0]!, seed: runSeed, path } };
      }
    }
  }
  return { runs, steps, seconds: (performance.now() - started) / 1000, violation: null };
}
