// Seeded random walks through the checker's bounded world, for spaces too large to exhaust:
// one seed reproduces one walk exactly. Each walk is a safety phase (faults within the budgets,
// invariants after every step) then a liveness phase (model/liveness.ts: LIVE-1, then LIVE-2).
import { actions, initialNode, next, type Bounds, type Node } from './checker.ts';
import { checkInvariants, type Violation } from './invariants.ts';
import { cleanElections, settle } from './liveness.ts';
import { choicesFromSeed, pickWeighted, weightOf } from './random.ts';
import type { Deviation } from '../src/zab/index.ts';
import type { Action } from './world.ts';

/** What a walk's swarm weights are drawn for: action types, with stale deliveries and FLE's finalize apart. */
type Kind = Action<number>['type'] | 'stale' | 'finalize';
const KINDS: readonly Kind[] = ['deliver', 'stale', 'persist', 'timeout', 'finalize', 'propose', 'crash', 'restart', 'cut', 'partition', 'heal', 'compacted', 'notice'];
const SCALES = [0.25, 0.5, 1, 1, 1, 2, 4] as const;
/**
 * Swarm testing (Groce et al.): a walk leaves out some kinds of fault altogether, which makes the
 * others denser. Leaving one out is scale 0; the kind then happens only when nothing else can.
 */
const OPTIONAL: ReadonlySet<Kind> = new Set(['stale', 'timeout', 'crash', 'cut', 'partition']);
const OPTIONAL_SCALES = [0, 0, 0.5, 1, 1, 2, 4] as const;

function kindOf(a: Action<number>): Kind {
  if (a.type === 'deliver' && a.stale) return 'stale';
  if (a.type === 'timeout' && a.timer === 'finalize') return 'finalize';
  return a.type;
}

export interface SimulateResult {
  readonly runs: number;
  readonly steps: number;
  readonly seconds: number;
  readonly violation: (Violation & { readonly seed: number; readonly path: readonly Action<number>[] }) | null;
  /** The last walk, whole (its faults, the heal and the elections after it): `check --out` writes it when no walk violates. */
  readonly last: { readonly seed: number; readonly path: readonly Action<number>[] } | null;
}

export function simulate(bounds: Bounds, seed: number, runs: number, deviation?: Deviation): SimulateResult {
  const started = performance.now();
  let steps = 0;
  let last: SimulateResult['last'] = null;
  for (let r = 0; r < runs; r++) {
    const runSeed = seed + r;
    const choices = choicesFromSeed(runSeed, bounds.maxDepth + KINDS.length);
    // Swarm: each walk draws its own weight per kind of action (slow disks, frequent crashes, …),
    // so that different walks explore different regimes. The seed fixes them too.
    const scale = new Map(KINDS.map((k, i) => {
      const scales = OPTIONAL.has(k) ? OPTIONAL_SCALES : SCALES;
      return [k, scales[choices[bounds.maxDepth + i]! % scales.length]!];
    }));
    const weight = (a: Action<number>) => {
      const x = scale.get(kindOf(a))!;
      return x === 0 ? 0 : Math.max(1, Math.round(weightOf(a) * x));
    };
    let node: Node = initialNode(bounds, deviation);
    const path: Action<number>[] = [];
    const caught = (v: Violation, tail: readonly Action<number>[] = []): SimulateResult => ({
      runs: r + 1,
      steps,
      seconds: (performance.now() - started) / 1000,
      violation: { ...v, seed: runSeed, path: [...path, ...tail] },
      last: { seed: runSeed, path: [...path, ...tail] },
    });
    for (let i = 0; i < bounds.maxDepth; i++) {
      const acts = actions(node, bounds);
      if (acts.length === 0) break;
      const a = pickWeighted(acts, weight, choices[i]!);
      node = next(node, a);
      path.push(a);
      steps++;
      const v = checkInvariants(node.world);
      if (v.length) return caught(v[0]!);
    }
    // The liveness phase: faults stop, everything heals; the service must become available (LIVE-1).
    const settled = settle(node.world);
    steps += settled.steps;
    const v = checkInvariants(settled.world);
    if (v.length || !settled.available) {
      const violation = v[0] ?? { id: 'LIVE-1', detail: `no established leader with a quorum in broadcast ${settled.steps} fair steps after the faults stopped` };
      return caught(violation, settled.path);
    }
    // LIVE-2: where every server converged, the leader crashes and restarts (twice); each election
    // that follows must finish without a notify or init timer.
    last = { seed: runSeed, path: [...path, ...settled.path] };
    if (!settled.converged) continue;
    const again = cleanElections(settled.world);
    steps += again.steps;
    const v2 = checkInvariants(again.world);
    if (v2.length || !again.elected) {
      const violation = v2[0] ?? { id: 'LIVE-2', detail: `an election after the leader restarted did not finish (${again.steps} fair steps) without a notify or init timer` };
      return caught(violation, [...settled.path, ...again.path]);
    }
    last = { seed: runSeed, path: [...path, ...settled.path, ...again.path] };
  }
  return { runs, steps, seconds: (performance.now() - started) / 1000, violation: null, last };
}
