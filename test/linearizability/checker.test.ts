// The linearizability checker: hand-written histories with known verdicts (registers, CAS, znodes,
// unknown outcomes, ties), random small histories judged the same as by a brute-force search over
// every order real time allows, the per-key decomposition, and long generated histories.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLinearizable, type Model, type Operation, type Verdict } from '../../conformance/linearizability/checker.ts';
import { applyZnode, znodeModel, type ZnodeInput, type ZnodeOutput, type ZnodeState } from '../../conformance/linearizability/znode-model.ts';
import { Random } from '../../sim/random.ts';

// --- A register with compare-and-set, per key -----------------------------------------------

type RegIn =
  | { readonly op: 'write'; readonly key: string; readonly v: number }
  | { readonly op: 'read'; readonly key: string }
  | { readonly op: 'cas'; readonly key: string; readonly from: number; readonly to: number };
type RegOut = 'ok' | number | boolean;

function applyReg(s: number, i: RegIn): readonly [number, RegOut] {
  if (i.op === 'write') return [i.v, 'ok'];
  if (i.op === 'read') return [s, s];
  return s === i.from ? [i.to, true] : [s, false];
}

const describeReg = (i: RegIn, o: RegOut | undefined) =>
  `${i.op === 'write' ? `write ${i.key}=${i.v}` : i.op === 'read' ? `read ${i.key}` : `cas ${i.key} ${i.from}→${i.to}`} → ${o === undefined ? '?' : String(o)}`;

/** One register: only sound on histories of one key (or with the partition of `kv`). */
const register: Model<number, RegIn, RegOut> = {
  init: () => 0,
  step: (s, i, o) => {
    const [t, out] = applyReg(s, i);
    return o === undefined || o === out ? t : null;
  },
  key: String,
  pure: (i, o) => i.op === 'read' || (i.op === 'cas' && o === false),
  describe: describeReg,
};
/** The same without read-only ops declared: the search without that pruning. */
const { pure: _, ...impure } = register;

const byKey = <O,>(ops: readonly Operation<RegIn, O>[]) => {
  const m = new Map<string, Operation<RegIn, O>[]>();
  for (const op of ops) {
    const list = m.get(op.input.key);
    if (list) list.push(op);
    else m.set(op.input.key, [op]);
  }
  return [...m.values()];
};
const kv: Model<number, RegIn, RegOut> = { ...register, partition: byKey };

/** All keys in one state, no partition: the reference the partitioned check must agree with. */
type Store = Readonly<Record<string, number>>;
const kvWhole: Model<Store, RegIn, RegOut> = {
  init: () => ({}),
  step: (s, i, o) => {
    const [t, out] = applyReg(s[i.key] ?? 0, i);
    return o === undefined || o === out ? { ...s, [i.key]: t } : null;
  },
  key: (s) => JSON.stringify(Object.entries(s).filter(([, v]) => v !== 0).sort(([a], [b]) => (a < b ? -1 : 1))),
};

// --- Building histories ------------------------------------------------------------------------

type Row<I, O> = readonly [client: number, call: number, ret: number, input: I, output: O | undefined];
const history = <I, O>(rows: readonly Row<I, O>[]): Operation<I, O>[] =>
  rows.map(([client, call, ret, input, output], id) => ({ id, client, call, ret, input, output }));

const W = (v: number, key = 'x'): RegIn => ({ op: 'write', key, v });
const R = (key = 'x'): RegIn => ({ op: 'read', key });
const CAS = (from: number, to: number, key = 'x'): RegIn => ({ op: 'cas', key, from, to });
const NEVER = Infinity;

const create = (data: string, path = '/a'): ZnodeInput => ({ op: 'create', path, data });
const del = (version: number, path = '/a'): ZnodeInput => ({ op: 'delete', path, version });
const set = (data: string, version: number, path = '/a'): ZnodeInput => ({ op: 'setData', path, data, version });
const get = (path = '/a'): ZnodeInput => ({ op: 'getData', path });
const v = (version: number): ZnodeOutput => ({ ok: true, version });
const got = (data: string, version: number): ZnodeOutput => ({ data, version });

const reg = (rows: readonly Row<RegIn, RegOut>[]) => checkLinearizable(register, history(rows));
const zk = (rows: readonly Row<ZnodeInput, ZnodeOutput>[]) => checkLinearizable(znodeModel, history(rows));

// --- The reference: every order real time allows, no memo, no pruning --------------------------

/**
 * y must come before x when y returned before x was called; optional ops (ret ∞) never need to, but
 * one can only go while no op called after its `until` has gone.
 */
function bruteForce<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[]): boolean {
  const done = ops.map(() => false);
  const go = (s: S, required: number): boolean => {
    if (required === 0) return true;
    for (let i = 0; i < ops.length; i++) {
      const x = ops[i]!;
      if (done[i] || ops.some((y, j) => !done[j] && y.ret < x.call)) continue;
      if (x.until !== undefined && ops.some((y, j) => done[j] && y.call > x.until!)) continue;
      const t = model.step(s, x.input, x.output);
      if (t === null) continue;
      done[i] = true;
      if (go(t, required - (x.ret === Infinity ? 0 : 1))) return true;
      done[i] = false;
    }
    return false;
  };
  return go(model.init(), ops.filter((o) => o.ret !== Infinity).length);
}

/** The checker, with an assertion that a verdict is never 'unknown' without a budget. */
function verdict<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[]): boolean {
  const r = checkLinearizable(model, ops);
  if (r.ok === 'unknown') throw new Error('no budget was set');
  return r.ok;
}

// --- Generated histories -------------------------------------------------------------------------

/** Seeded floats in [0, 1) (the simulator's SplitMix32 stream). */
function rng(seed: number): () => number {
  const r = new Random(seed);
  return () => r.float();
}

interface Planned<I> {
  readonly client: number;
  readonly call: number;
  /** When the op takes effect, or null: never (only for an op with an unknown outcome). */
  readonly at: number | null;
  readonly ret: number;
  readonly until?: number;
  readonly input: I;
}

/** Outputs for planned ops, by running them one at a time in the order they take effect: linearizable by construction. */
function realize<S, I, O>(planned: readonly Planned<I>[], init: S, apply: (s: S, i: I) => readonly [S, O], keyOf: (i: I) => string): Operation<I, O>[] {
  const outputs = new Map<number, O>();
  const states = new Map<string, S>();
  const order = planned.map((_, i) => i).filter((i) => planned[i]!.at !== null).sort((a, b) => planned[a]!.at! - planned[b]!.at! || a - b);
  for (const i of order) {
    const p = planned[i]!;
    const [t, out] = apply(states.get(keyOf(p.input)) ?? init, p.input);
    states.set(keyOf(p.input), t);
    outputs.set(i, out);
  }
  return planned.map((p, id) => ({
    id, client: p.client, call: p.call, ret: p.ret, input: p.input, output: p.ret === Infinity ? undefined : outputs.get(id),
    ...(p.until !== undefined ? { until: p.until } : {}),
  }));
}

/**
 * Clients issue ops one after another; each takes effect somewhere in its interval; a few time out,
 * and take effect later or never (with `closes`: by the time the client gives up, or never).
 */
function plan<I>(seed: number, n: number, clients: number, input: (r: () => number) => I, unknownRate: number, closes = false): Planned<I>[] {
  const r = rng(seed);
  const free = Array.from({ length: clients }, () => r() * 3);
  const out: Planned<I>[] = [];
  for (let i = 0; i < n; i++) {
    const c = Math.floor(r() * clients);
    const call = free[c]! + r() * 2;
    const at = call + r() * 3;
    if (r() < unknownRate) {
      const late = closes ? call + r() * 10 : at + r() * 40;
      out.push({ client: c, call, at: r() < 0.5 ? late : null, ret: Infinity, input: input(r), ...(closes ? { until: call + 10 } : {}) });
      free[c] = call + 10; // the client gives up and goes on with a new session
    } else {
      const ret = at + r() * 3;
      out.push({ client: c, call, at, ret, input: input(r) });
      free[c] = ret;
    }
  }
  return out;
}

let written = 0; // unique values, so a stale read can be planted
const regInput = (keys: number) => (r: () => number): RegIn => {
  const key = `k${Math.floor(r() * keys)}`;
  const x = r();
  return x < 0.45 ? W(++written, key) : x < 0.85 ? R(key) : CAS(written - Math.floor(r() * 2), ++written, key);
};
const kvHistory = (seed: number, n: number, clients: number, keys: number, unknownRate: number, closes = false) =>
  realize(plan(seed, n, clients, regInput(keys), unknownRate, closes), 0, applyReg, (i) => i.key);

const zkInput = (paths: number) => (r: () => number): ZnodeInput => {
  const path = `/n${Math.floor(r() * paths)}`;
  const x = r();
  const version = r() < 0.3 ? -1 : Math.floor(r() * 3);
  const data = `d${Math.floor(r() * 4)}`;
  return x < 0.15 ? create(data, path) : x < 0.25 ? del(version, path) : x < 0.7 ? set(data, version, path) : get(path);
};
const zkHistory = (seed: number, n: number, clients: number, paths: number, unknownRate: number) =>
  realize<ZnodeState, ZnodeInput, ZnodeOutput>(plan(seed, n, clients, zkInput(paths), unknownRate), { exists: false, data: '', version: 0 }, (s, i) => {
    const { state, output } = applyZnode(s, i);
    return [state, output];
  }, (i) => i.path);

const expectFail = <I, O>(r: Verdict<I, O>): Extract<Verdict<I, O>, { ok: false }> => {
  if (r.ok !== false) throw new Error(`expected a violation, got ${JSON.stringify(r)}`);
  return r;
};

// --- Hand-written histories ----------------------------------------------------------------------

describe('registers', () => {
  it('accepts a sequential history and rejects a stale read after a completed write', () => {
    expect(reg([[0, 0, 1, W(1), 'ok'], [1, 2, 3, R(), 1]]).ok).toBe(true);
    expect(reg([[0, 0, 1, W(1), 'ok'], [1, 2, 3, R(), 0]]).ok).toBe(false);
  });

  it('lets a read concurrent with a write see either value, but not a value never written', () => {
    for (const seen of [0, 1]) expect(reg([[0, 0, 10, W(1), 'ok'], [1, 2, 3, R(), seen]]).ok).toBe(true);
    expect(reg([[0, 0, 10, W(1), 'ok'], [1, 2, 3, R(), 2]]).ok).toBe(false);
  });

  it('rejects reads that see a concurrent write take effect and then untake it', () => {
    // r1 → 1 then r2 → 0, both during the write: the write cannot go back.
    expect(reg([[0, 0, 10, W(1), 'ok'], [1, 1, 2, R(), 1], [1, 3, 4, R(), 0]]).ok).toBe(false);
    expect(reg([[0, 0, 10, W(1), 'ok'], [1, 1, 2, R(), 0], [1, 3, 4, R(), 1]]).ok).toBe(true);
  });

  it('rejects two readers who disagree on the order of two concurrent writes', () => {
    const rows = (a: number, b: number): Row<RegIn, RegOut>[] => [
      [0, 0, 10, W(1), 'ok'], [1, 0, 10, W(2), 'ok'],
      [2, 1, 2, R(), a], [2, 3, 4, R(), b],
      [3, 1, 2, R(), b], [3, 3, 4, R(), a],
    ];
    expect(reg(rows(1, 2)).ok).toBe(false);
    expect(reg([...rows(1, 2).slice(0, 4), [3, 1, 2, R(), 1], [3, 3, 4, R(), 2]]).ok).toBe(true);
  });

  it('lets overlapping writes take effect in every order, whatever the order of their calls', () => {
    const perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    for (const p of perms) {
      const writes = p.map((slot, i): Row<RegIn, RegOut> => [i, slot, 10 + slot, W(i + 1), 'ok']);
      for (const last of [1, 2, 3]) expect(reg([...writes, [9, 20, 21, R(), last]]).ok).toBe(true);
      expect(reg([...writes, [9, 20, 21, R(), 0]]).ok).toBe(false); // all writes done: 0 is gone
      // Each write's value seen first, then the others in some order, then never again.
      expect(reg([...writes, [9, 20, 21, R(), p[0]! + 1], [9, 22, 23, R(), p[1]! + 1]]).ok).toBe(false);
    }
  });

  it('checks compare-and-set: of two concurrent CAS from the same value, only one can win', () => {
    expect(reg([[0, 0, 5, CAS(0, 1), true], [1, 0, 5, CAS(0, 2), true]]).ok).toBe(false);
    expect(reg([[0, 0, 5, CAS(0, 1), true], [1, 0, 5, CAS(0, 2), false], [2, 6, 7, R(), 1]]).ok).toBe(true);
    expect(reg([[0, 0, 5, CAS(0, 1), true], [1, 0, 5, CAS(0, 2), false], [2, 6, 7, R(), 2]]).ok).toBe(false);
    // A chain: 0→1 then 1→2 only works in that order, which the intervals allow.
    expect(reg([[0, 0, 5, CAS(1, 2), true], [1, 1, 4, CAS(0, 1), true], [2, 6, 7, R(), 2]]).ok).toBe(true);
    expect(reg([[0, 0, 2, CAS(1, 2), true], [1, 3, 4, CAS(0, 1), true]]).ok).toBe(false);
  });

  it('orders touching intervals as concurrent (calls before returns at equal times)', () => {
    expect(reg([[0, 0, 5, W(1), 'ok'], [1, 5, 6, R(), 0]]).ok).toBe(true);
    expect(reg([[0, 0, 5, W(1), 'ok'], [1, 5.5, 6, R(), 0]]).ok).toBe(false);
    expect(reg([[0, 3, 3, W(1), 'ok'], [1, 3, 3, R(), 0], [2, 3, 3, R(), 1]]).ok).toBe(true);
  });
});

describe('unknown outcomes', () => {
  it('lets an op that never returned take effect after its call, or never', () => {
    expect(reg([[0, 0, NEVER, W(1), undefined], [1, 5, 6, R(), 1]]).ok).toBe(true);
    expect(reg([[0, 0, NEVER, W(1), undefined], [1, 5, 6, R(), 0]]).ok).toBe(true);
    expect(reg([[0, 0, NEVER, W(1), undefined], [1, 5, 6, R(), 0], [1, 7, 8, R(), 1], [2, 100, 101, R(), 1]]).ok).toBe(true);
  });

  it('rejects an unknown op seen before its call, or seen and then unseen', () => {
    expect(reg([[1, 0, 1, R(), 1], [0, 2, NEVER, W(1), undefined]]).ok).toBe(false);
    expect(reg([[0, 0, NEVER, W(1), undefined], [1, 5, 6, R(), 1], [1, 7, 8, R(), 0]]).ok).toBe(false);
  });

  it('requires an op with a known return but an unknown output to take effect by then', () => {
    expect(reg([[0, 0, 1, W(1), undefined], [1, 2, 3, R(), 0]]).ok).toBe(false);
    expect(reg([[0, 0, 1, W(1), undefined], [1, 2, 3, R(), 1]]).ok).toBe(true);
    // A CAS of unknown output must take effect, but may have failed.
    expect(reg([[0, 0, 1, CAS(0, 1), undefined], [1, 2, 3, R(), 0]]).ok).toBe(false);
    expect(reg([[2, 0, 1, W(5), 'ok'], [0, 2, 3, CAS(0, 1), undefined], [1, 4, 5, R(), 5]]).ok).toBe(true);
    expect(reg([[2, 0, 1, W(5), 'ok'], [0, 2, 3, CAS(0, 1), undefined], [1, 4, 5, R(), 1]]).ok).toBe(false);
  });

  it('lets an op whose session was closed take effect only up to then (until), or never', () => {
    const lost = (rows: readonly Row<RegIn, RegOut>[], until?: number) => {
      const ops = history<RegIn, RegOut>([[0, 0, NEVER, W(1), undefined], ...rows]);
      return checkLinearizable(register, until === undefined ? ops : ops.map((o) => (o.id === 0 ? { ...o, until } : o))).ok;
    };
    expect(lost([[1, 10, 11, R(), 1]], 5)).toBe(true);
    expect(lost([[1, 3, 4, R(), 0], [1, 10, 11, R(), 1]], 5)).toBe(true);
    expect(lost([[1, 6, 7, R(), 0], [1, 10, 11, R(), 1]], 5)).toBe(false);
    expect(lost([[1, 6, 7, R(), 0], [1, 10, 11, R(), 1]])).toBe(true);
    expect(lost([[1, 5, 6, R(), 0], [1, 10, 11, R(), 1]], 5)).toBe(true); // called at its until: concurrent
  });

  it('keeps to every until within a chain of unknown ops', () => {
    // The CAS (until 2) can only have worked after the write of 5, which was called at 3.
    const ops = history<RegIn, RegOut>([[0, 0, NEVER, CAS(5, 7), undefined], [1, 3, NEVER, W(5), undefined], [2, 10, 11, R(), 7]]);
    expect(checkLinearizable(register, ops).ok).toBe(true);
    expect(checkLinearizable(register, ops.map((o) => (o.id === 0 ? { ...o, until: 2 } : o))).ok).toBe(false);
    expect(checkLinearizable(register, ops.map((o) => (o.id === 0 ? { ...o, until: 3 } : o))).ok).toBe(true);
  });

  it('rules out a pile of pending unknown writes in a few steps, not every subset and order of them', () => {
    const writes = Array.from({ length: 14 }, (_, i): Row<RegIn, RegOut> => [i, i, NEVER, W(i + 1), undefined]);
    const r = checkLinearizable(register, history([...writes, [20, 30, 31, R(), 99]]), { maxSteps: 100_000 });
    expect(r.ok).toBe(false);
    expect(r.steps).toBeLessThan(5000);
    expect(reg([...writes, [20, 30, 31, R(), 9], [20, 32, 33, R(), 4]]).ok).toBe(true);
  });

  it('does not commit to a read-only op called after a pending op\'s until', () => {
    // The delete that timed out (until 2) must go right after the create; the NoNode delete
    // called at 7 fits first, but taking it first would put the lost delete out of reach.
    const ops = history<ZnodeInput, ZnodeOutput>([
      [1, 0, NEVER, del(0), undefined], [1, 1, 8, create('b'), 'ok'], [0, 7, 8, del(2), 'NoNode'],
      [0, 10, 10, set('b', 1), 'NoNode'], [1, 11, 19, set('a', 0), 'NoNode'],
    ]);
    expect(checkLinearizable(znodeModel, ops.map((o) => (o.id === 0 ? { ...o, until: 2 } : o))).ok).toBe(true);
    expect(checkLinearizable(znodeModel, ops.map((o) => (o.id === 0 ? { ...o, until: 0.5 } : o))).ok).toBe(false);
  });

  it('can use several unknown ops, each where it is needed', () => {
    const rows: Row<RegIn, RegOut>[] = [
      [0, 0, NEVER, W(1), undefined], [1, 0, NEVER, W(2), undefined], [2, 0, NEVER, W(3), undefined],
      [3, 1, 2, R(), 3], [3, 3, 4, R(), 1], [3, 5, 6, R(), 2],
    ];
    expect(reg(rows).ok).toBe(true);
    expect(reg([...rows, [3, 7, 8, R(), 3]]).ok).toBe(false); // 3 was overwritten, and written once
  });
});

describe('znodes', () => {
  it('rejects two concurrent setData at version 0 that both succeed', () => {
    const base: Row<ZnodeInput, ZnodeOutput>[] = [[0, 0, 1, create('a'), 'ok']];
    expect(zk([...base, [1, 2, 5, set('b', 0), v(1)], [2, 2, 5, set('c', 0), v(1)]]).ok).toBe(false);
    expect(zk([...base, [1, 2, 5, set('b', 0), v(1)], [2, 2, 5, set('c', 0), 'BadVersion']]).ok).toBe(true);
    expect(zk([...base, [1, 2, 5, set('b', 0), v(1)], [2, 2, 5, set('c', -1), v(2)], [3, 6, 7, get(), got('c', 2)]]).ok).toBe(true);
    expect(zk([...base, [1, 2, 5, set('b', 0), v(1)], [2, 2, 5, set('c', -1), v(2)], [3, 6, 7, get(), got('b', 2)]]).ok).toBe(false);
  });

  it('rejects a setData that succeeded before its node was created', () => {
    expect(zk([[1, 0, 1, set('b', -1), v(1)], [0, 2, 3, create('a'), 'ok']]).ok).toBe(false);
    expect(zk([[1, 0, 3, set('b', -1), v(1)], [0, 2, 3, create('a'), 'ok']]).ok).toBe(true);
    expect(zk([[1, 0, 1, set('b', -1), 'NoNode'], [0, 2, 3, create('a'), 'ok']]).ok).toBe(true);
  });

  it('restarts the version at 0 when a node is deleted and created again', () => {
    const rows: Row<ZnodeInput, ZnodeOutput>[] = [
      [0, 0, 1, create('a'), 'ok'], [0, 2, 3, set('b', 0), v(1)], [0, 4, 5, del(1), 'ok'],
      [0, 6, 7, create('c'), 'ok'], [0, 8, 9, get(), got('c', 0)],
    ];
    expect(zk([...rows, [0, 10, 11, set('d', 0), v(1)]]).ok).toBe(true);
    expect(zk([...rows, [0, 10, 11, set('d', 1), 'BadVersion']]).ok).toBe(true);
    expect(zk([...rows, [0, 10, 11, set('d', 1), v(2)]]).ok).toBe(false);
    expect(zk([[0, 0, 1, create('a'), 'ok'], [0, 2, 3, del(3), 'BadVersion'], [0, 4, 5, create('b'), 'NodeExists']]).ok).toBe(true);
    expect(zk([[0, 0, 1, create('a'), 'ok'], [0, 2, 3, del(3), 'ok']]).ok).toBe(false);
    expect(zk([[0, 0, 1, del(-1), 'NoNode'], [0, 2, 3, get(), 'NoNode'], [0, 4, 5, create('a'), 'ok']]).ok).toBe(true);
  });

  it('judges unknown creates and deletes by what came after', () => {
    // A delete that timed out must have happened: the node was later created afresh.
    const lostDelete: Row<ZnodeInput, ZnodeOutput>[] = [[0, 0, 1, create('a'), 'ok'], [1, 2, NEVER, del(-1), undefined], [2, 5, 6, create('b'), 'ok']];
    expect(zk(lostDelete).ok).toBe(true);
    expect(zk([...lostDelete.slice(0, 2), [2, 5, 6, create('b'), 'NodeExists']]).ok).toBe(true);
    expect(zk([[0, 0, 1, create('a'), 'ok'], [1, 2, NEVER, del(-1), undefined], [2, 1.5, 1.8, create('b'), 'ok']]).ok).toBe(false);
    // A create that timed out: not yet, then yes, then it cannot be undone.
    const lostCreate: Row<ZnodeInput, ZnodeOutput>[] = [[0, 0, NEVER, create('x'), undefined], [1, 10, 11, get(), 'NoNode'], [1, 20, 21, get(), got('x', 0)]];
    expect(zk(lostCreate).ok).toBe(true);
    expect(zk([...lostCreate, [1, 30, 31, get(), 'NoNode']]).ok).toBe(false);
  });

  it('keeps paths apart: a violation on one path, found and named, the others fine', () => {
    const ops = history<ZnodeInput, ZnodeOutput>([
      [0, 0, 1, create('a', '/a'), 'ok'], [1, 0, 1, create('b', '/b'), 'ok'], [2, 0, 1, create('c', '/c'), 'ok'],
      [0, 2, 5, set('a1', 0, '/a'), v(1)], [1, 2, 5, set('b1', 0, '/b'), v(1)], [2, 2, 5, set('c1', 0, '/c'), v(1)],
      [3, 2, 5, set('b2', 0, '/b'), v(1)], [3, 6, 7, get('/a'), got('a1', 1)], [3, 8, 9, get('/c'), got('c1', 1)],
    ]);
    const r = expectFail(checkLinearizable(znodeModel, ops));
    expect(r.partition).toBe(1);
    expect(r.ops.every((o) => o.input.path === '/b')).toBe(true);
    expect(r.ops).toHaveLength(3);
    expect(r.longest.length).toBe(2);
    expect(r.explain).toMatch(/setData \/b "b\d" version 0 → version 1/);
    const fixed = ops.filter((o) => o.id !== 6);
    expect(checkLinearizable(znodeModel, fixed)).toMatchObject({ ok: true, partitions: 3, ops: 8 });
  });
});

describe('the search', () => {
  it('reports the failing partition, the longest linearization and why it stopped', () => {
    const r = expectFail(reg([[0, 0, 1, W(1), 'ok'], [0, 2, 3, W(2), 'ok'], [1, 4, 5, R(), 1]]));
    expect(r.partition).toBe(0);
    expect(r.longest.map((o) => o.id)).toEqual([0, 1]);
    expect(r.explain).toContain('At best 2 of 3 ops linearized, leaving the state 2');
    expect(r.explain).toContain('op 2 (client 1, read x → 1, [4, 5]) must take effect by 5');
    expect(r.explain).toContain('impossible in that state');
  });

  it('is memoised: thirteen concurrent writes and a read of a value none wrote, in far fewer steps than 13! orders', () => {
    const writes = Array.from({ length: 13 }, (_, i): Row<RegIn, RegOut> => [i, 0, 10, W(i + 1), 'ok']);
    const r = expectFail(reg([...writes, [20, 11, 12, R(), 99]]));
    expect(r.steps).toBeLessThan(13 * 2 ** 13 * 14); // every (set, last value) pair once, each tried with every op
  });

  it('linearizes a read-only op that fits at once, trying no other order for it', () => {
    const reads = Array.from({ length: 14 }, (_, i): Row<RegIn, RegOut> => [i, 0, 10, R(), 0]);
    const ops = history<RegIn, RegOut>([...reads, [20, 11, 12, R(), 5]]);
    const fast = expectFail(checkLinearizable(register, ops));
    const slow = expectFail(checkLinearizable(impure, ops));
    expect(fast.steps).toBeLessThan(100);
    expect(slow.steps).toBeGreaterThan(2 ** 14); // every subset of the reads, without `pure`
  });

  it('gives up with a verdict of unknown when its budget runs out, and says where', () => {
    const ops = history<RegIn, RegOut>([...Array.from({ length: 13 }, (_, i): Row<RegIn, RegOut> => [i, 0, 10, W(i + 1, 'y'), 'ok']), [20, 11, 12, R('y'), 99]]);
    const fine = history<RegIn, RegOut>([[0, 0, 1, W(1), 'ok']]);
    const r = checkLinearizable(kv, [...fine, ...ops.map((o) => ({ ...o, id: o.id + 1 }))], { maxSteps: 1000 });
    expect(r).toMatchObject({ ok: 'unknown' });
    expect(r.ok === 'unknown' && r.reason).toMatch(/^partition 1 of 2: over 1000 steps/);
    // A violation found elsewhere still wins over a partition given up on.
    const bad = history<RegIn, RegOut>([[0, 0, 1, W(1, 'z'), 'ok'], [0, 2, 3, R('z'), 0]]);
    const r2 = checkLinearizable(kv, [...ops, ...bad.map((o) => ({ ...o, id: o.id + 100 }))], { maxSteps: 1000 });
    expect(r2).toMatchObject({ ok: false, partition: 1 });
  });

  it('is deterministic', () => {
    const ops = kvHistory(7, 300, 6, 2, 0.05);
    const target = ops.findIndex((o, i) => i >= 150 && o.input.op === 'read' && o.ret !== Infinity);
    const bad = ops.map((o, i) => (i === target ? { ...o, output: -1 } : o));
    const r = checkLinearizable(kv, bad);
    expect(r.ok).toBe(false);
    expect(JSON.stringify(checkLinearizable(kv, bad))).toBe(JSON.stringify(r));
  });

  it('refuses malformed ops, and a partition that loses ops', () => {
    expect(() => reg([[0, 2, 1, W(1), 'ok']])).toThrow(/before its call/);
    expect(() => reg([[0, NaN, 1, W(1), 'ok']])).toThrow(/finite/);
    expect(() => reg([[0, 0, NEVER, W(1), 'ok']])).toThrow(/no known output/);
    const done = history<RegIn, RegOut>([[0, 0, 1, W(1), 'ok']]);
    expect(() => checkLinearizable(register, done.map((o) => ({ ...o, until: 5 })))).toThrow(/until/);
    const lossy: Model<number, RegIn, RegOut> = { ...register, partition: (ops) => [ops.slice(1)] };
    expect(() => checkLinearizable(lossy, history<RegIn, RegOut>([[0, 0, 1, W(1), 'ok'], [0, 2, 3, R(), 1]]))).toThrow(/partition holds 1 ops of the 2/);
  });

  it('accepts the empty history and histories of unknown ops only', () => {
    expect(reg([])).toMatchObject({ ok: true, partitions: 0, ops: 0 });
    expect(reg([[0, 0, NEVER, W(1), undefined], [1, 1, NEVER, R(), undefined]])).toMatchObject({ ok: true, partitions: 1, ops: 2 });
  });
});

// --- Random small histories against the brute force ---------------------------------------------

const time = fc.integer({ min: 0, max: 12 });
const opArb = <I, O>(input: fc.Arbitrary<I>, output: fc.Arbitrary<O>) =>
  fc.record({
    client: fc.integer({ min: 0, max: 2 }),
    call: time,
    dur: fc.integer({ min: 0, max: 8 }),
    lost: fc.integer({ min: 0, max: 5 }).map((x) => x === 0), // one in six never returns
    input,
    output: fc.option(output, { freq: 6, nil: undefined }),
  });
const toOps = <I, O>(xs: readonly { client: number; call: number; dur: number; lost: boolean; input: I; output: O | undefined }[]): Operation<I, O>[] =>
  xs.map((x, id) => ({
    id, client: x.client, call: x.call, ret: x.lost ? Infinity : x.call + x.dur, input: x.input, output: x.lost ? undefined : x.output,
    ...(x.lost && x.dur % 2 === 0 ? { until: x.call + x.dur } : {}), // half of them with a session closed at some point
  }));

const regIn = (keys: readonly string[]) =>
  fc.oneof(
    fc.record({ op: fc.constant('write' as const), key: fc.constantFrom(...keys), v: fc.integer({ min: 0, max: 2 }) }),
    fc.record({ op: fc.constant('read' as const), key: fc.constantFrom(...keys) }),
    fc.record({ op: fc.constant('cas' as const), key: fc.constantFrom(...keys), from: fc.integer({ min: 0, max: 2 }), to: fc.integer({ min: 0, max: 2 }) }),
  );
const regOut = fc.oneof(fc.constant('ok' as const), fc.integer({ min: 0, max: 2 }), fc.boolean());
const zkIn = fc.oneof(
  fc.record({ op: fc.constant('create' as const), path: fc.constant('/a'), data: fc.constantFrom('a', 'b') }),
  fc.record({ op: fc.constant('delete' as const), path: fc.constant('/a'), version: fc.integer({ min: -1, max: 2 }) }),
  fc.record({ op: fc.constant('setData' as const), path: fc.constant('/a'), data: fc.constantFrom('a', 'b'), version: fc.integer({ min: -1, max: 2 }) }),
  fc.record({ op: fc.constant('getData' as const), path: fc.constant('/a') }),
);
const zkOut: fc.Arbitrary<ZnodeOutput> = fc.oneof(
  fc.constantFrom<ZnodeOutput>('ok', 'NodeExists', 'NoNode', 'BadVersion'),
  fc.integer({ min: 1, max: 3 }).map((version) => ({ ok: true as const, version })),
  fc.record({ data: fc.constantFrom('a', 'b'), version: fc.integer({ min: 0, max: 2 }) }),
);

/**
 * Outputs drawn at random are mostly impossible. These are the outputs of a run in which each op
 * takes effect at some point of its interval (an op that never returned: some time after its call,
 * or never), so the history is linearizable, until one output is changed, which happens at times.
 */
function nearlyRight<I, O>(xs: fc.Arbitrary<Operation<I, O>[]>, run: (ops: readonly Operation<I, O>[], order: readonly number[]) => (O | undefined)[], wrong: fc.Arbitrary<O>) {
  return xs.chain((ops) =>
    fc.tuple(fc.constant(ops), fc.array(fc.integer({ min: 0, max: 100 }), { minLength: ops.length, maxLength: ops.length }), fc.option(fc.tuple(fc.nat(), wrong), { nil: undefined })).map(([ops, points, flip]) => {
      const end = (o: Operation<I, O>) => (o.ret !== Infinity ? o.ret : o.until ?? o.call + 20);
      const at = ops.map((o, i) => (o.ret === Infinity && points[i]! < 30 ? null : o.call + ((end(o) - o.call) * points[i]!) / 100));
      const order = ops.map((_, i) => i).filter((i) => at[i] !== null).sort((a, b) => at[a]! - at[b]! || a - b);
      const outs = run(ops, order);
      return ops.map((o, i) => ({ ...o, output: o.ret === Infinity ? undefined : flip && flip[0] % ops.length === i ? flip[1] : outs[i] }));
    }),
  );
}
const runReg = (ops: readonly Operation<RegIn, RegOut>[], order: readonly number[]) => {
  const out: (RegOut | undefined)[] = ops.map(() => undefined);
  const s = new Map<string, number>();
  for (const i of order) {
    const [t, o] = applyReg(s.get(ops[i]!.input.key) ?? 0, ops[i]!.input);
    s.set(ops[i]!.input.key, t);
    out[i] = o;
  }
  return out;
};
const runZk = (ops: readonly Operation<ZnodeInput, ZnodeOutput>[], order: readonly number[]) => {
  const out: (ZnodeOutput | undefined)[] = ops.map(() => undefined);
  let s: ZnodeState = { exists: false, data: '', version: 0 };
  for (const i of order) {
    const r = applyZnode(s, ops[i]!.input);
    s = r.state;
    out[i] = r.output;
  }
  return out;
};

describe('random small histories: the same verdict as the brute force', () => {
  const small = <I, O>(input: fc.Arbitrary<I>, output: fc.Arbitrary<O>) => fc.array(opArb(input, output), { minLength: 1, maxLength: 7 }).map(toOps);
  const tally = { ok: 0, bad: 0 };
  const same = <S, T, I, O>(model: Model<S, I, O>, reference: Model<T, I, O>) => (ops: Operation<I, O>[]) => {
    const want = bruteForce(reference, ops);
    expect(verdict(model, ops)).toBe(want);
    tally[want ? 'ok' : 'bad']++;
  };

  it('registers with CAS, random outputs', () => {
    fc.assert(fc.property(small(regIn(['x']), regOut), same(register, register)), { numRuns: 1500, seed: 1 });
    fc.assert(fc.property(small(regIn(['x']), regOut), same(impure, register)), { numRuns: 500, seed: 11 });
  });

  it('registers with CAS, outputs of some sequential order, one changed at times', () => {
    fc.assert(fc.property(nearlyRight(small(regIn(['x']), regOut), runReg, regOut), same(register, register)), { numRuns: 1500, seed: 2 });
    fc.assert(fc.property(nearlyRight(small(regIn(['x']), regOut), runReg, regOut), same(impure, impure)), { numRuns: 500, seed: 12 });
  });

  it('two keys, partitioned, against one search over both keys at once', () => {
    fc.assert(fc.property(nearlyRight(small(regIn(['x', 'y']), regOut), runReg, regOut), same(kv, kvWhole)), { numRuns: 1500, seed: 3 });
  });

  it('znodes, random outputs and outputs of some sequential order', () => {
    fc.assert(fc.property(small(zkIn, zkOut), same(znodeModel, znodeModel)), { numRuns: 1500, seed: 4 });
    fc.assert(fc.property(nearlyRight(small(zkIn, zkOut), runZk, zkOut), same(znodeModel, znodeModel)), { numRuns: 1500, seed: 5 });
  });

  it('drew plenty of both verdicts', () => {
    expect(tally.ok).toBeGreaterThan(1000);
    expect(tally.bad).toBeGreaterThan(1000);
  });
});

// --- Long histories ------------------------------------------------------------------------------

describe('long histories', () => {
  const timed = <T,>(f: () => T): [T, number] => {
    const t0 = performance.now();
    const r = f();
    return [r, performance.now() - t0];
  };

  it('5,000 ops over 20 keys, 8 clients, 2% unknown outcomes: linearizable, well within two seconds', () => {
    const ops = kvHistory(42, 5000, 8, 20, 0.02);
    expect(ops.filter((o) => o.ret === Infinity).length).toBeGreaterThan(50);
    const overlapping = ops.filter((o, i) => i > 0 && o.call < ops[i - 1]!.ret).length;
    expect(overlapping).toBeGreaterThan(1000); // real concurrency, not a sequential history
    const [r, ms] = timed(() => checkLinearizable(kv, ops));
    expect(r).toMatchObject({ ok: true, partitions: 20, ops: 5000 });
    expect(r.steps).toBeLessThan(5000 * 10);
    expect(ms).toBeLessThan(2000);
  });

  it('finds a stale read planted in it, on its key, the other keys fine', () => {
    const ops = kvHistory(42, 5000, 8, 20, 0.02);
    // A read after two sequential writes to its key that returns the first one's (unique) value.
    const done = (o: Operation<RegIn, RegOut>) => o.ret !== Infinity && o.input.op === 'write';
    const target = ops.findIndex((r, i) => i > 2500 && r.input.op === 'read' && r.ret !== Infinity
      && ops.some((w2) => done(w2) && w2.input.key === r.input.key && w2.ret < r.call && ops.some((w1) => done(w1) && w1.input.key === r.input.key && w1.ret < w2.call)));
    const r0 = ops[target]!;
    const w2 = ops.find((w2) => done(w2) && w2.input.key === r0.input.key && w2.ret < r0.call && ops.some((w1) => done(w1) && w1.input.key === r0.input.key && w1.ret < w2.call))!;
    const w1 = ops.find((w) => done(w) && w.input.key === r0.input.key && w.ret < w2.call)!;
    const stale = (w1.input as { v: number }).v;
    const bad = ops.map((o, i) => (i === target ? { ...o, output: stale } : o));
    const [r, ms] = timed(() => checkLinearizable(kv, bad));
    const f = expectFail(r);
    expect(f.ops.every((o) => o.input.key === r0.input.key)).toBe(true);
    expect(f.explain).toContain(`op ${r0.id} `);
    expect(ms).toBeLessThan(2000);
    // Without that key, the rest passes.
    expect(checkLinearizable(kv, bad.filter((o) => o.input.key !== r0.input.key))).toMatchObject({ ok: true, partitions: 19 });
  });

  it('2,000 ops on one key from 8 clients, 1% unknown outcomes: linearizable', () => {
    const ops = kvHistory(9, 2000, 8, 1, 0.01);
    const r = checkLinearizable(kv, ops);
    expect(r).toMatchObject({ ok: true, partitions: 1, ops: 2000 });
  });

  it('20,000 ops on one key from 8 clients, 1% unknown outcomes with sessions closed: linearizable, quickly', () => {
    const ops = kvHistory(10, 20_000, 8, 1, 0.01, true);
    expect(ops.filter((o) => o.until !== undefined).length).toBeGreaterThan(150);
    const [r, ms] = timed(() => checkLinearizable(kv, ops));
    expect(r).toMatchObject({ ok: true, partitions: 1, ops: 20_000 });
    expect(r.steps).toBeLessThan(20_000 * 10);
    expect(ms).toBeLessThan(5000);
  });

  it('3,000 znode ops over 10 paths, 8 clients, reads and writes, 2% unknown outcomes: linearizable; a doubled version is not', () => {
    const ops = zkHistory(5, 3000, 8, 10, 0.02);
    expect(checkLinearizable(znodeModel, ops)).toMatchObject({ ok: true, partitions: 10, ops: 3000 });
    // A successful setData reports the version an earlier one got, with no create or delete on
    // that path that could have taken effect in between to set the version back.
    const ok = (o: Operation<ZnodeInput, ZnodeOutput>) => o.input.op === 'setData' && typeof o.output === 'object';
    const pairs = ops.flatMap((a) => (ok(a) ? ops.filter((b) => ok(b) && b.input.path === a.input.path && a.ret < b.call).slice(0, 3).map((b) => [a, b] as const) : []));
    const [a, b] = pairs.find(([a, b]) => !ops.some((o) => o.input.path === a.input.path && (o.input.op === 'create' || o.input.op === 'delete') && o.call <= b.ret && o.ret >= a.call))!;
    const bad = ops.map((o) => (o === b ? { ...o, output: a.output } : o));
    const f = expectFail(checkLinearizable(znodeModel, bad));
    expect(f.ops[0]!.input.path).toBe(a.input.path);
  });
});
