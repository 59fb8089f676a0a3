// node --import tsx bench/linearizability.ts [--budget SECONDS] — the linearizability checker on
// seeded znode histories that are linearizable by construction (each op takes effect at a point of
// its interval, or for a client that timed out, some time after its call or never), of growing
// size until the time budget is spent; then on single-path histories (every client on one znode)
// and on a history with one stale read planted, timing how long the violation takes to find.
import { checkLinearizable, type Operation, type Verdict } from '../conformance/linearizability/checker.ts';
import { ABSENT, applyZnode, znodeModel, type ZnodeInput, type ZnodeOutput, type ZnodeState } from '../conformance/linearizability/znode-model.ts';
import { Random } from '../sim/random.ts';

type Op = Operation<ZnodeInput, ZnodeOutput>;

const flag = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!(v > 0)) throw new Error(`${name} wants a positive number, got ${process.argv[i + 1]}`);
  return v;
};
const BUDGET_S = flag('--budget', 60);

/** Seeded floats in [0, 1) (the simulator's SplitMix32 stream). */
function rng(seed: number): () => number {
  const r = new Random(seed);
  return () => r.float();
}

interface Shape {
  readonly ops: number;
  readonly paths: number;
  readonly clients: number;
  readonly unknown: number; // the share of ops whose client timed out
  /** Whether a client that timed out closes its session, so its op takes effect by then or never. */
  readonly closes: boolean;
}

/**
 * Clients issue ops one after another on random paths (a mix of reads, conditional and blind
 * setData, creates and deletes); each takes effect at a random point of its interval, and the
 * outputs are those of running them in that order. Versions are guessed as clients would, from the
 * last version they could know of, so conditional writes both succeed and fail.
 */
function generate(seed: number, shape: Shape): Op[] {
  const r = rng(seed);
  const free = Array.from({ length: shape.clients }, () => r() * 5);
  const guess = new Array<number>(shape.paths).fill(0);
  const ops: { client: number; call: number; at: number; ret: number; input: ZnodeInput; until?: number | undefined }[] = [];
  for (let i = 0; i < shape.ops; i++) {
    const client = Math.floor(r() * shape.clients);
    const p = Math.floor(r() * shape.paths);
    const path = `/bench/n${p}`;
    const x = r();
    const data = `v${i}`;
    const version = r() < 0.5 ? -1 : guess[p]!;
    let input: ZnodeInput;
    if (x < 0.35) input = { op: 'getData', path };
    else if (x < 0.8) (input = { op: 'setData', path, data, version }), (guess[p] = guess[p]! + 1);
    else if (x < 0.9) (input = { op: 'create', path, data }), (guess[p] = 0);
    else input = { op: 'delete', path, version };
    const call = free[client]! + r() * 2;
    const at = call + r() * 3;
    if (r() < shape.unknown) {
      // It gives up after 10, and goes on with a new session; the op takes effect before it gives
      // up or never if the session is closed then, else at any time (or never).
      const late = shape.closes ? call + r() * 10 : at + r() * 50;
      ops.push({ client, call, at: r() < 0.5 ? late : Infinity, ret: Infinity, input, until: shape.closes ? call + 10 : undefined });
      free[client] = call + 10;
    } else {
      const ret = at + r() * 3;
      ops.push({ client, call, at, ret, input });
      free[client] = ret;
    }
  }
  const order = ops.map((_, i) => i).filter((i) => ops[i]!.at !== Infinity).sort((a, b) => ops[a]!.at - ops[b]!.at || a - b);
  const outputs = new Array<ZnodeOutput | undefined>(ops.length);
  const state = new Map<string, ZnodeState>();
  for (const i of order) {
    const { input } = ops[i]!;
    const out = applyZnode(state.get(input.path) ?? ABSENT, input);
    state.set(input.path, out.state);
    outputs[i] = out.output;
  }
  return ops.map((o, id) => ({
    id, client: o.client, call: o.call, ret: o.ret, input: o.input, output: o.ret === Infinity ? undefined : outputs[id],
    ...(o.until !== undefined ? { until: o.until } : {}),
  }));
}

/**
 * Plant a stale read, as late in the history as can be: a getData answers with what an earlier
 * setData left, though a later setData on that path finished before the read began, and no create
 * or delete on the path can have taken effect in between (so the version only went up). Not
 * linearizable, whatever else happened.
 */
function plantStaleRead(ops: readonly Op[]): { readonly ops: Op[]; readonly target: Op } {
  type Wrote = Op & { readonly output: { readonly ok: true; readonly version: number } };
  const wrote = (o: Op): o is Wrote => o.input.op === 'setData' && typeof o.output === 'object';
  const end = (o: Op) => (o.ret !== Infinity ? o.ret : o.until ?? Infinity); // the latest it can take effect
  /** How many of xs (ascending) are below t. */
  const below = (xs: readonly number[], t: number): number => {
    let lo = 0;
    let hi = xs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xs[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const byPath = new Map<string, Op[]>();
  for (const o of ops) {
    const list = byPath.get(o.input.path);
    if (list) list.push(o);
    else byPath.set(o.input.path, [o]);
  }
  let best: { readonly r: Op; readonly stale: ZnodeOutput } | undefined;
  for (const list of byPath.values()) {
    const writes = list.filter(wrote).sort((a, b) => a.ret - b.ret);
    const writeRets = writes.map((w) => w.ret);
    // Creates and deletes by call, and the latest time any of the first i can take effect.
    const resets = list.filter((o) => o.input.op === 'create' || o.input.op === 'delete').sort((a, b) => a.call - b.call);
    const resetCalls = resets.map((o) => o.call);
    const latest: number[] = [];
    for (const o of resets) latest.push(Math.max(latest[latest.length - 1] ?? -Infinity, end(o)));
    for (const r of list) {
      if (r.input.op !== 'getData' || r.ret === Infinity || (best && r.call < best.r.call)) continue;
      const w2 = writes[below(writeRets, r.call) - 1];
      const w1 = w2 && writes[below(writeRets, w2.call) - 1];
      if (!w1) continue;
      const i = below(resetCalls, r.ret);
      if (i > 0 && latest[i - 1]! >= w1.call) continue;
      best = { r, stale: { data: (w1.input as { data: string }).data, version: w1.output.version } };
    }
  }
  if (!best) throw new Error('no read to make stale');
  const { r, stale } = best;
  const target = { ...r, output: stale };
  return { ops: ops.map((o) => (o === r ? target : o)), target };
}

const secs = (t0: number) => (performance.now() - t0) / 1000;
const fmt = (n: number) => n.toLocaleString('en-US');
const row = (cells: readonly string[], widths: readonly number[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
const W = [9, 5, 7, 7, 5, 10, 6, 7, 9, 9, 9];
const header = row(['ops', 'paths', 'clients', 'unknown', 'until', 'partitions', 'gen s', 'check s', 'ops/s', 'steps', 'verdict'], W);

interface Measured {
  readonly line: string;
  readonly verdict: Verdict<ZnodeInput, ZnodeOutput>;
}

/** Generate, (plant a violation,) check; a linearizable history judged otherwise is a bug, unless the steps ran out. */
function measure(seed: number, shape: Shape, opts: { readonly plant?: boolean; readonly maxSteps?: number } = {}): Measured {
  const t0 = performance.now();
  let ops = generate(seed, shape);
  let target: Op | undefined;
  if (opts.plant) ({ ops, target } = plantStaleRead(ops));
  const gen = secs(t0);
  const t1 = performance.now();
  const v = checkLinearizable(znodeModel, ops, opts.maxSteps ? { maxSteps: opts.maxSteps } : {});
  const seconds = secs(t1);
  const unknown = ops.filter((o) => o.ret === Infinity).length;
  const verdict = v.ok === true ? 'ok' : v.ok === false ? 'violation' : 'gave up';
  if (target && (v.ok !== false || !v.ops.includes(target))) throw new Error(`the planted violation was not found: ${verdict}`);
  if (!opts.plant && v.ok === false) throw new Error(`a linearizable history judged not linearizable: ${v.explain}`);
  if (!opts.maxSteps && v.ok === 'unknown') throw new Error('no step budget, yet unknown');
  const parts = new Set(ops.map((o) => o.input.path)).size;
  const cells = [fmt(ops.length), String(shape.paths), String(shape.clients), fmt(unknown), unknown && shape.closes ? 'yes' : '-', String(parts), gen.toFixed(2), seconds.toFixed(2)];
  const rate = v.ok === true ? fmt(Math.round(ops.length / seconds)) : '-'; // a violation stops the check early
  const line = row([...cells, rate, fmt(v.steps), verdict], W);
  return { line, verdict: v };
}

const start = performance.now();
console.log(`linearizability checker on znode histories (seeded); node ${process.version}`);
console.log('unknown: ops that never returned (ret ∞, output unknown); until: whether their sessions were closed,');
console.log('so that each took effect before that or never (else: at any time after its call, or never)');
console.log(`\ngrowing histories, 16 clients over many paths, 0.5% unknown outcomes; a budget of ${BUDGET_S} s`);
console.log(header);
let largest = 0;
for (let n = 1000; ; ) {
  const t0 = performance.now();
  const shape: Shape = { ops: n, paths: Math.max(10, Math.round(n / 10_000)), clients: n < 10_000 ? 4 : 16, unknown: 0.005, closes: false };
  console.log(measure(n, shape).line);
  largest = n;
  const last = secs(t0); // generating and checking both count
  const grow = n < 1_000_000 ? 10 : 2;
  if (secs(start) + last * grow * 1.2 > BUDGET_S) break; // the next size would not fit
  n *= grow;
}
console.log(`largest history checked within ${BUDGET_S} s: ${fmt(largest)} ops (${secs(start).toFixed(1)} s spent)`);

console.log('\ncontention: every client on one path (gave up: over the step budget of 2,000,000)');
console.log(header);
const contended: readonly [number, number, number, boolean][] = [
  [10_000, 4, 0, false], [100_000, 16, 0, false],
  [10_000, 16, 0.005, false], [10_000, 16, 0.005, true], [100_000, 16, 0.005, true], [100_000, 16, 0.005, false],
];
for (const [n, clients, unknown, closes] of contended) {
  console.log(measure(7, { ops: n, paths: 1, clients, unknown, closes }, { maxSteps: 2_000_000 }).line);
}

console.log('\na stale read planted as late as can be (100 paths, 16 clients, 0.5% unknown): the time to find it');
console.log(header);
for (const [n, closes] of [[100_000, false], [1_000_000, false], [1_000_000, true]] as const) {
  const m = measure(3, { ops: n, paths: 100, clients: 16, unknown: 0.005, closes }, { plant: true });
  console.log(m.line);
  const v = m.verdict;
  if (v.ok === false) console.log(`  in partition ${v.partition}, at op ${fmt(v.longest.length + 1)} of its ${fmt(v.ops.length)}`);
}
