// The bounded model checker: explores every interleaving of the src/zab reducers in the world of
// model/world.ts — deliveries, disk completions, timers, client writes, crashes, restarts, cut
// links and partitions, each bounded — and checks every invariant on every state it reaches.
import type { Deviation, Sid } from '../src/zab/index.ts';
import { DiskFingerprintSet, type DiskFingerprintStats } from './disk-fingerprints.ts';
import { DiskFrontier } from './disk-frontier.ts';
import { CachedFingerprint, Encoder, FingerprintSet, hash64, type SidMap } from './fingerprint.ts';
import { checkInvariants, type Violation } from './invariants.ts';
import { apply, createWorld, enabled, environment, isEstablishedLeader, type Action, type World } from './world.ts';

export interface Bounds {
  readonly servers: number; // voters
  readonly observers: number;
  readonly txns: number; // client writes
  readonly crashes: number;
  readonly partitions: number; // cut links and one-server partitions
  readonly timeouts: number; // notify / init / sync timer firings (finalize is free, ping is off)
  readonly maxEpoch: number;
  readonly maxDepth: number;
  readonly snapCount: number;
  /** Persists complete as separate actions (crashable in between) rather than within their step. */
  readonly asyncDisk: boolean;
  /** Two channels per ordered pair (election, quorum), as the shell has, rather than one. */
  readonly twoChannels: boolean;
}

export const DEFAULT_BOUNDS: Bounds = {
  servers: 3,
  observers: 0,
  txns: 2,
  crashes: 1,
  partitions: 0,
  timeouts: 0,
  maxEpoch: 3,
  maxDepth: 200,
  snapCount: 0,
  asyncDisk: false,
  twoChannels: false,
};

/** What the environment has spent of its budgets; part of the explored state. */
export interface Used {
  readonly txns: number;
  readonly crashes: number;
  readonly partitions: number;
  readonly timeouts: number;
  /** Bit i set: the i-th server (in sid order) has crashed at least once. */
  readonly crashed: number;
}

export interface Node {
  readonly world: World<number>;
  readonly used: Used;
}

export type Sometimes = 'leader established' | 'txn committed' | 'crashed server rejoined';
export const SOMETIMES: readonly Sometimes[] = ['leader established', 'txn committed', 'crashed server rejoined'];

export interface Progress {
  readonly distinct: number;
  readonly transitions: number;
  readonly depth: number;
  readonly queue: number;
  readonly seconds: number;
}

export interface Summary {
  readonly bounds: Bounds;
  readonly deviation: Deviation | null;
  readonly strategy: 'bfs' | 'dfs';
  readonly distinct: number;
  readonly transitions: number;
  readonly maxDepth: number;
  readonly seconds: number;
  readonly statesPerSecond: number;
  readonly exhausted: boolean;
  readonly sometimes: Readonly<Record<Sometimes, boolean>>;
  readonly fingerprintBytes: number;
  readonly peakRssBytes: number;
  /** With `fingerprintMemory`: how much of the fingerprint set went to disk. */
  readonly disk?: DiskFingerprintStats;
  readonly violation: (Violation & { readonly path: readonly Action<number>[] }) | null;
}

export interface CheckOptions {
  readonly bounds: Bounds;
  readonly deviation?: Deviation;
  readonly strategy?: 'bfs' | 'dfs';
  /** Stop (not exhausted) after this many distinct states. */
  readonly maxStates?: number;
  /**
   * BFS: `maxStates` stops the search at the end of the level in which it was reached rather than
   * at once, so that a search on several workers (model/parallel-check.ts) stops at the same state.
   */
  readonly stopAtLevelEnd?: boolean;
  /** Bytes for fingerprints in memory; beyond them the set spills to sorted files on disk. */
  readonly fingerprintMemory?: number;
  /** BFS: states of the frontier kept in memory; beyond them it spills to files (model/disk-frontier.ts). */
  readonly frontierMemory?: number;
  /** Where spilled fingerprints and frontier go (default: the system's temporary directory). */
  readonly fingerprintDir?: string;
  readonly onProgress?: (p: Progress) => void;
}

export function initialNode(bounds: Bounds, deviation?: Deviation): Node {
  const voters = Array.from({ length: bounds.servers }, (_, i) => i + 1);
  const observers = Array.from({ length: bounds.observers }, (_, i) => bounds.servers + i + 1);
  let world = createWorld<number>({
    voters,
    observers,
    snapCount: bounds.snapCount,
    syncDisk: !bounds.asyncDisk,
    twoChannels: bounds.twoChannels,
    ...(deviation ? { deviation } : {}),
  });
  for (const sid of world.sids) world = apply(world, { type: 'restart', sid });
  return { world, used: { txns: 0, crashes: 0, partitions: 0, timeouts: 0, crashed: 0 } };
}

/** Every action the bounded environment allows in a node, in a fixed order. */
export function actions(node: Node, bounds: Bounds): Action<number>[] {
  const { world: w, used } = node;
  const out: Action<number>[] = [];
  for (const a of enabled(w)) {
    if (a.type === 'timeout') {
      // NET-5: heartbeats only keep idle peers alive; the budgeted sync timeout stands for their loss
      if (a.timer === 'ping') continue;
      if (a.timer !== 'finalize' && used.timeouts >= bounds.timeouts) continue;
    }
    out.push(a);
  }
  const partitions = used.partitions < bounds.partitions; // one budget for cut links and partitions
  const allowed = { write: used.txns < bounds.txns, crash: used.crashes < bounds.crashes, cut: partitions, partition: partitions };
  out.push(...environment(w, allowed, used.txns + 1));
  return out;
}

export function next(node: Node, a: Action<number>): Node {
  const world = apply(node.world, a);
  const u = node.used;
  switch (a.type) {
    case 'propose':
      return { world, used: { ...u, txns: u.txns + 1 } };
    case 'crash':
      return { world, used: { ...u, crashes: u.crashes + 1, crashed: u.crashed | (1 << node.world.sids.indexOf(a.sid)) } };
    case 'cut':
    case 'partition':
      return { world, used: { ...u, partitions: u.partitions + 1 } };
    case 'timeout':
      return a.timer === 'finalize' || a.timer === 'ping' ? { world, used: u } : { world, used: { ...u, timeouts: u.timeouts + 1 } };
    default:
      return { world, used: u };
  }
}

/** The sometimes-properties a node's world shows. */
export function reached(node: Node): Sometimes[] {
  const w = node.world;
  const out: Sometimes[] = [];
  if (w.sids.some((s) => isEstablishedLeader(w.slots[s]!.server))) out.push('leader established');
  if (w.ghost.committed.length > 0) out.push('txn committed');
  w.sids.forEach((sid, i) => {
    const s = w.slots[sid]!.server;
    if (node.used.crashed & (1 << i) && s && s.phase !== 'looking' && s.stage === 'broadcast') out.push('crashed server rejoined');
  });
  return out;
}

export function outOfBounds(node: Node, bounds: Bounds): boolean {
  const w = node.world;
  return w.sids.some((sid) => (w.slots[sid]!.server?.acceptedEpoch ?? w.slots[sid]!.durable.acceptedEpoch) > bounds.maxEpoch);
}

/**
 * Canonical server orders: voters keep their ids (ELECT-1 breaks ties by sid, so voters are not
 * interchangeable); observers never appear in a vote and are, so every permutation of them is
 * tried and the smallest encoding wins.
 */
function symmetries(world: World<number>, observers: number): { order: Sid[]; map: SidMap }[] {
  const voters = world.sids.slice(0, world.sids.length - observers);
  const obs = world.sids.slice(world.sids.length - observers);
  const perms = permutations(obs);
  return perms.map((perm) => {
    const order = [...voters, ...perm];
    const canon = new Map<Sid, number>();
    order.forEach((sid, i) => canon.set(sid, i + 1));
    return { order, map: (s: Sid) => canon.get(s) ?? s };
  });
}

function permutations<X>(xs: readonly X[]): X[][] {
  if (xs.length <= 1) return [xs.slice()];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

function compare(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** The fingerprinter for one configuration: reuses its buffers across states. */
export function fingerprinter(bounds: Bounds) {
  // With no timeout in the budget, no sync timer ever fires: `heard` marks are dead (fingerprint.ts).
  const live = { syncTimerCanFire: bounds.timeouts > 0 };
  const enc = new Encoder();
  enc.live = live;
  let best: number[] = [];
  let syms: { order: Sid[]; map: SidMap }[] | null = null;
  const cached = new CachedFingerprint(live);
  const extra = [0, 0, 0, 0, 0]; // the budgets spent, refilled per call: no array per state
  return (node: Node): [number, number] => {
    const u = node.used;
    extra[0] = u.txns;
    extra[1] = u.crashes;
    extra[2] = u.partitions;
    extra[3] = u.timeouts;
    extra[4] = u.crashed;
    syms ??= symmetries(node.world, bounds.observers);
    if (syms.length === 1) return cached.of(node.world, extra); // ids are canonical as they are
    best = [];
    for (const sym of syms) {
      enc.reset(sym.map);
      enc.world(node.world, sym.order, extra);
      if (best.length === 0 || compare(enc.buf, best) < 0) best = enc.buf.slice();
    }
    return hash64(best);
  };
}

interface Item {
  readonly node: Node;
  readonly id: number;
  readonly depth: number;
}

/**
 * Grows as needed: parent state id and action index per state, to rebuild a shortest path. A
 * parallel worker's parent ids interleave the workers' and pass 2^31, so it keeps them wide.
 */
export class Parents {
  parent: Int32Array | Float64Array;
  action: Int32Array;
  constructor(
    private readonly wide = false,
    size = 1 << 16,
  ) {
    this.parent = wide ? new Float64Array(size) : new Int32Array(size);
    this.action = new Int32Array(size);
  }
  set(id: number, parent: number, action: number): void {
    if (id >= this.parent.length) {
      const p = this.wide ? new Float64Array(this.parent.length * 2) : new Int32Array(this.parent.length * 2);
      p.set(this.parent);
      this.parent = p;
      const a = new Int32Array(this.action.length * 2);
      a.set(this.action);
      this.action = a;
    }
    this.parent[id] = parent;
    this.action[id] = action;
  }
  get bytes(): number {
    return this.parent.byteLength + this.action.byteLength;
  }
}

/** Re-derive the path to a state from its parent pointers by replaying action indices. */
function pathTo(id: number, parents: Parents, root: Node, bounds: Bounds): Action<number>[] {
  const indices: number[] = [];
  for (let at = id; at > 0; at = parents.parent[at]!) indices.push(parents.action[at]!);
  indices.reverse();
  const path: Action<number>[] = [];
  let node = root;
  for (const i of indices) {
    const a = actions(node, bounds)[i]!;
    path.push(a);
    node = next(node, a);
  }
  return path;
}

export function check(opts: CheckOptions): Summary {
  const bounds = opts.bounds;
  const strategy = opts.strategy ?? 'bfs';
  const started = performance.now();
  const fp = fingerprinter(bounds);
  const seen = opts.fingerprintMemory ? new DiskFingerprintSet(opts.fingerprintMemory, opts.fingerprintDir) : new FingerprintSet();
  const m = opts.frontierMemory;
  const disk = strategy === 'bfs' && m ? new DiskFrontier<Item>(Math.min(4096, Math.max(1, m >> 2)), m, opts.fingerprintDir) : null;
  try {
    return search(opts, strategy, started, fp, seen, disk);
  } finally {
    if (seen instanceof DiskFingerprintSet) seen.close();
    disk?.close();
  }
}

function search(
  opts: CheckOptions,
  strategy: 'bfs' | 'dfs',
  started: number,
  fp: (n: Node) => [number, number],
  seen: FingerprintSet | DiskFingerprintSet,
  disk: DiskFrontier<Item> | null,
): Summary {
  const bounds = opts.bounds;
  const levelEnd = strategy === 'bfs' && opts.stopAtLevelEnd === true;
  let capDepth = -1; // with levelEnd: the level during which maxStates was reached
  const parents = new Parents();
  const root = initialNode(bounds, opts.deviation);
  const sometimes: Record<Sometimes, boolean> = { 'leader established': false, 'txn committed': false, 'crashed server rejoined': false };
  let peakRss = process.memoryUsage().rss;

  const [h, l] = fp(root);
  seen.add(h, l);
  parents.set(0, -1, -1);
  // The frontier: BFS takes from the front, DFS from the back.
  let frontier: Item[] = [{ node: root, id: 0, depth: 0 }];
  let head = 0;
  if (disk) {
    disk.push(frontier[0]!);
    frontier = [];
  }
  let transitions = 0;
  let maxDepth = 0;
  let violation: Summary['violation'] = null;
  let stopped = false;
  let lastProgress = started;

  const initial = checkInvariants(root.world);
  if (initial.length) violation = { ...initial[0]!, path: [] };

  while (!violation && (disk ? disk.length > 0 : head < frontier.length)) {
    const item = disk ? disk.shift()! : strategy === 'bfs' ? frontier[head++]! : frontier.pop()!;
    if (capDepth >= 0 && item.depth > capDepth) break;
    if (strategy === 'bfs' && head > 65536) {
      frontier = frontier.slice(head);
      head = 0;
    }
    if (item.depth >= bounds.maxDepth || outOfBounds(item.node, bounds)) continue;
    const acts = actions(item.node, bounds);
    for (let i = 0; i < acts.length; i++) {
      const child = next(item.node, acts[i]!);
      transitions++;
      if (child.world === item.node.world && child.used === item.node.used) continue; // no-op: pruned
      const [hi, lo] = fp(child);
      if (!seen.add(hi, lo)) continue;
      const id = seen.size - 1;
      parents.set(id, item.id, i);
      const depth = item.depth + 1;
      if (depth > maxDepth) maxDepth = depth;
      const v = checkInvariants(child.world);
      if (v.length) {
        violation = { ...v[0]!, path: pathTo(id, parents, root, bounds) };
        break;
      }
      for (const s of reached(child)) sometimes[s] = true;
      if (disk) disk.push({ node: child, id, depth });
      else frontier.push({ node: child, id, depth });
      if (opts.maxStates && seen.size >= opts.maxStates) {
        if (levelEnd) {
          if (capDepth < 0) capDepth = item.depth;
          continue;
        }
        stopped = true;
        break;
      }
    }
    if (stopped) break;
    if ((seen.size & 0x3ff) === 0) {
      const now = performance.now();
      if (now - lastProgress > 500) {
        lastProgress = now;
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        opts.onProgress?.({ distinct: seen.size, transitions, depth: maxDepth, queue: disk ? disk.length : frontier.length - head, seconds: (now - started) / 1000 });
      }
    }
  }
  if (capDepth >= 0 && !violation) stopped = true;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const seconds = (performance.now() - started) / 1000;
  return {
    bounds,
    deviation: opts.deviation ?? null,
    strategy,
    distinct: seen.size,
    transitions,
    maxDepth,
    seconds,
    statesPerSecond: seen.size / Math.max(seconds, 1e-9),
    exhausted: !violation && !stopped,
    sometimes,
    fingerprintBytes: seen.bytes + parents.bytes,
    peakRssBytes: peakRss,
    ...(seen instanceof DiskFingerprintSet ? { disk: seen.stats } : {}),
    violation,
  };
}
