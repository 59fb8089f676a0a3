// The checker over whole replicas (model/replicas.ts): breadth-first over every interleaving
// within the bounds, or seeded random walks for larger ones; every state is judged by INV-1..24, and each with nothing left to do by INV-25.
import { createHash } from 'node:crypto';
import { checkFinal, checkReplicaInvariants } from './client-invariants.ts';
import { FingerprintSet } from './fingerprint.ts';
import type { Violation } from './invariants.ts';
import { choicesFromSeed } from './random.ts';
import { ample } from './replica-por.ts';
import { initialReplicas, replicaActions, replicaKey, stepReplicas, type ReplicaAction, type ReplicaBounds, type Replicas } from './replicas.ts';

export interface ReplicaSummary {
  readonly distinct: number;
  readonly exhausted: boolean;
  readonly maxDepth: number;
  readonly seconds: number;
  readonly violation: (Violation & { readonly path: readonly ReplicaAction[] }) | null;
  /** What the explored runs reached: sessions created, writes acknowledged, a session expired, a node reaped. */
  readonly reached: Readonly<Record<string, boolean>>;
  /** With `finals`: the fingerprints of the states with nothing left to do, sorted (to compare two searches). */
  readonly finals?: readonly string[];
}

function fingerprint(w: Replicas): [number, number] {
  const d = createHash('sha1').update(replicaKey(w)).digest();
  return [d.readUInt32LE(0), d.readUInt32LE(4)];
}

function reached(w: Replicas, into: Record<string, boolean>): void {
  if (w.acked.length) into['write acknowledged'] = true;
  if (w.clients.some((c) => c.ended)) into['session ended'] = true;
  if (w.acked.some((a) => a.path === '/c') && w.ideal.sids.some((s) => w.servers[s] && w.servers[s]!.lastZxid > 0 && !w.servers[s]!.tree.nodes.has('/c'))) into['container reaped'] = true;
  if (w.used.crashes > 0 && w.acked.length) into['crash with writes'] = true;
}

function summarize(distinct: number, exhausted: boolean, maxDepth: number, t0: number, reached: Readonly<Record<string, boolean>>, violation: ReplicaSummary['violation']): ReplicaSummary {
  return { distinct, exhausted, maxDepth, seconds: (Date.now() - t0) / 1000, violation, reached };
}

/** Breadth first: a violation found is a shortest one. */
export function exploreReplicas(b: ReplicaBounds, maxStates = Infinity, progress?: (depth: number, distinct: number, seconds: number) => void, finals = false): ReplicaSummary {
  const t0 = Date.now();
  const start = initialReplicas(b);
  const seen = new FingerprintSet();
  const nodes: { readonly parent: number; readonly action: ReplicaAction | null }[] = [{ parent: -1, action: null }];
  let frontier: { w: Replicas; id: number; depth: number }[] = [{ w: start, id: 0, depth: 0 }];
  seen.add(...fingerprint(start));
  const flags: Record<string, boolean> = {};
  let maxDepth = 0;
  const ends: string[] = [];
  const summary = (exhausted: boolean, violation: ReplicaSummary['violation'] = null) => summarize(seen.size, exhausted, maxDepth, t0, flags, violation);
  const pathTo = (id: number): ReplicaAction[] => {
    const out: ReplicaAction[] = [];
    for (let i = id; i > 0; i = nodes[i]!.parent) out.push(nodes[i]!.action!);
    return out.reverse();
  };
  while (frontier.length) {
    const next: typeof frontier = [];
    for (const { w, id, depth } of frontier) {
      if (depth >= b.maxDepth) continue;
      const all = replicaActions(w, b);
      if (all.length === 0) {
        if (finals) ends.push(fingerprint(w).join('.'));
        const v = checkFinal(w, b)[0]; // INV-25
        if (v) return summary(false, { ...v, path: pathTo(id) });
      }
      for (const a of b.por ? ample(w, b, all) : all) {
        const child = stepReplicas(w, a, b);
        if (!seen.add(...fingerprint(child))) continue;
        nodes.push({ parent: id, action: a });
        const cid = nodes.length - 1;
        maxDepth = Math.max(maxDepth, depth + 1);
        reached(child, flags);
        const v = checkReplicaInvariants(child)[0];
        if (v) return summary(false, { ...v, path: pathTo(cid) });
        if (seen.size >= maxStates) return summary(false);
        next.push({ w: child, id: cid, depth: depth + 1 });
      }
    }
    frontier = next;
    progress?.(maxDepth, seen.size, (Date.now() - t0) / 1000);
  }
  return { ...summary(true), ...(finals ? { finals: ends.sort() } : {}) };
}

/**
 * Depth first: the same states as breadth first (the state graph is finite and acyclic, so
 * partial-order reduction needs no cycle proviso), holding only the current path and the
 * fingerprints — for configurations whose breadth-first frontier does not fit in memory. A
 * violation found is not necessarily a shortest one.
 */
export function exploreReplicasDepthFirst(b: ReplicaBounds, maxStates = Infinity, progress?: (depth: number, distinct: number, seconds: number) => void): ReplicaSummary {
  const t0 = Date.now();
  const start = initialReplicas(b);
  const seen = new FingerprintSet();
  seen.add(...fingerprint(start));
  const flags: Record<string, boolean> = {};
  let maxDepth = 0;
  let reported = 0;
  const summary = (exhausted: boolean, violation: ReplicaSummary['violation'] = null) => summarize(seen.size, exhausted, maxDepth, t0, flags, violation);
  const stack: { w: Replicas; next: ReplicaAction[]; via: ReplicaAction | null }[] = [];
  const enter = (w: Replicas, via: ReplicaAction | null): ReplicaSummary | null => {
    const all = replicaActions(w, b);
    if (all.length === 0) {
      const v = checkFinal(w, b)[0]; // INV-25
      if (v) return summary(false, { ...v, path: [...stack.map((f) => f.via!).slice(1), ...(via ? [via] : [])] });
    }
    stack.push({ w, next: stack.length >= b.maxDepth ? [] : (b.por ? ample(w, b, all) : all).slice().reverse(), via });
    maxDepth = Math.max(maxDepth, stack.length - 1);
    return null;
  };
  const first = enter(start, null);
  if (first) return first;
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const a = top.next.pop();
    if (!a) {
      stack.pop();
      continue;
    }
    const child = stepReplicas(top.w, a, b);
    if (!seen.add(...fingerprint(child))) continue;
    reached(child, flags);
    const v = checkReplicaInvariants(child)[0];
    if (v) return summary(false, { ...v, path: [...stack.slice(1).map((f) => f.via!), a] });
    if (seen.size >= maxStates) return summary(false);
    const found = enter(child, a);
    if (found) return found;
    if (progress && seen.size - reported >= 100_000) {
      reported = seen.size;
      progress(maxDepth, seen.size, (Date.now() - t0) / 1000);
    }
  }
  return summary(true);
}

/** Seeded random walks (walk k is seed k): the first violation, or none within `runs` walks. */
export function walkReplicas(b: ReplicaBounds, seed: number, runs: number): { readonly runs: number; readonly violation: (Violation & { readonly path: readonly ReplicaAction[] }) | null; readonly reached: Readonly<Record<string, boolean>> } {
  const flags: Record<string, boolean> = {};
  for (let k = 0; k < runs; k++) {
    const choices = choicesFromSeed(seed + k, b.maxDepth);
    let w = initialReplicas(b);
    const path: ReplicaAction[] = [];
    for (let d = 0; d < b.maxDepth; d++) {
      const as = replicaActions(w, b);
      if (as.length === 0) {
        const v = checkFinal(w, b)[0]; // INV-25
        if (v) return { runs: k + 1, violation: { ...v, path }, reached: flags };
        break;
      }
      const a = as[choices[d]! % as.length]!;
      w = stepReplicas(w, a, b);
      path.push(a);
      reached(w, flags);
      const v = checkReplicaInvariants(w)[0];
      if (v) return { runs: k + 1, violation: { ...v, path }, reached: flags };
    }
  }
  return { runs, violation: null, reached: flags };
}
