// Random schedules: a list of numbers picks, step by step, one of the actions enabled in the
// world (deliveries, disk completions, timers, client writes, crashes, restarts, cut links,
// partitions). The same list always gives the same run, so a failing list is its own reproducer,
// and fast-check can shrink it.
import { type Sid } from '../src/zab/index.ts';
import { checkInvariants, type Violation } from './invariants.ts';
import { apply, createWorld, enabled, environment, isEstablishedLeader, type Action, type World, type WorldOptions } from './world.ts';

export interface Bounds {
  readonly txns: number;
  readonly crashes: number;
  readonly cuts: number;
  readonly partitions: number;
}

export interface RunResult {
  readonly world: World<number>;
  readonly actions: readonly Action<number>[];
  readonly violation: (Violation & { readonly step: number }) | null;
  /** Whether some leader was established, and how many txns got committed, along the way. */
  readonly established: boolean;
  readonly committed: number;
}

/** How often a random walk picks each kind of action: faults rarer than progress. */
export function weightOf(a: Action<unknown>): number {
  switch (a.type) {
    case 'deliver':
    case 'persist':
      return 12;
    case 'compacted':
    case 'notice':
      return 6;
    case 'timeout':
      return a.timer === 'finalize' ? 6 : 1;
    case 'propose':
      return 6;
    case 'restart':
      return 4;
    case 'heal':
      return 2;
    case 'crash':
    case 'cut':
    case 'partition':
      return 1;
  }
}

/** Pick from `options` by weight with the number `choice` (weight 0: only when all are 0). */
export function pickWeighted<A>(options: readonly A[], weight: (a: A) => number, choice: number): A {
  let total = 0;
  for (const o of options) total += weight(o);
  if (total === 0) return options[choice % options.length]!; // every option left out: any of them
  let r = choice % total;
  for (const o of options) {
    const wt = weight(o);
    if (r < wt) return o;
    r -= wt;
  }
  return options[options.length - 1]!;
}

/** The actions a schedule may take next: every enabled step, plus faults and writes within budget. */
function options(w: World<number>, bounds: Bounds, used: { txns: number; crashes: number; cuts: number; partitions: number }): Action<number>[] {
  const allowed = { write: used.txns < bounds.txns, crash: used.crashes < bounds.crashes, cut: used.cuts < bounds.cuts, partition: used.partitions < bounds.partitions };
  return [...enabled(w), ...environment(w, allowed, used.txns + 1)];
}

/** Run one schedule; stop at the first invariant violation. */
export function runSchedule(opts: WorldOptions, bounds: Bounds, choices: readonly number[]): RunResult {
  let w = createWorld<number>(opts);
  const actions: Action<number>[] = [];
  const used = { txns: 0, crashes: 0, cuts: 0, partitions: 0 };
  let established = false;
  const bootAll = (world: World<number>) => world.sids.reduce<World<number>>((acc, sid) => apply(acc, { type: 'restart', sid }), world);
  w = bootAll(w);
  for (let i = 0; i < choices.length; i++) {
    const opts = options(w, bounds, used);
    if (opts.length === 0) break;
    const chosen = pickWeighted(opts, weightOf, choices[i]!);
    if (chosen.type === 'propose') used.txns++;
    if (chosen.type === 'crash') used.crashes++;
    if (chosen.type === 'cut') used.cuts++;
    if (chosen.type === 'partition') used.partitions++;
    actions.push(chosen);
    w = apply(w, chosen);
    established ||= w.sids.some((s: Sid) => isEstablishedLeader(w.slots[s]!.server));
    const v = checkInvariants(w);
    if (v.length) return { world: w, actions, violation: { ...v[0]!, step: i }, established, committed: w.ghost.committed.length };
  }
  return { world: w, actions, violation: null, established, committed: w.ghost.committed.length };
}

/** A small deterministic PRNG (mulberry32), so a seed alone reproduces a schedule. */
export function choicesFromSeed(seed: number, length: number): number[] {
  let a = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out.push(((t ^ (t >>> 14)) >>> 0) % 1_000_003);
  }
  return out;
}
