// A linearizability checker after porcupine (github.com/anishathalye/porcupine): the Wing–Gong
// search with Lowe's memoisation (a set of visited (linearized ops, model state) pairs), run on
// each independent sub-history a model's `partition` returns (P-compositionality: a history is
// linearizable iff each per-object sub-history is).
//
// Time: events are ordered by time; at equal times calls come before returns, so ops whose
// intervals only touch count as concurrent. That is porcupine's choice and the conservative one:
// the checker never reports a violation that rests on how two equal timestamps were ordered.
//
// Unknown outcomes: an op whose client timed out or lost its connection has ret = +Infinity. It has
// no return event, so it is never required: it may take effect at any point after its call (up to
// its `until`, if given), or not at all. An op with a finite ret must take effect within [call, ret].
// An `output` of undefined means any output is accepted (the model's step is asked what the op
// would do).
//
// Search order: at each point the checker tries the required ops that could take effect next (in
// call order, read-only ones first), and only then chains of optional ops before them, so an
// optional op is placed only where some required op needs it. An optional op whose step leaves the
// state as it was is never placed: that changes nothing any later op can see, and not placing it
// is always allowed.
//
// Cost: linear-ish in the ops of a mostly sequential history. Checking linearizability is
// NP-complete, and what makes it costly here, as in any Wing–Gong checker, is concurrency on one
// key and ops of unknown outcome: each one still pending is a way to patch a wrong guess, tried
// wherever the search backtracks. Give them an `until` when it is known, and a `maxSteps`.

/** One client operation of a history. Times are in any unit, as long as they are comparable. */
export interface Operation<I, O> {
  readonly id: number;
  readonly client: number;
  readonly input: I;
  /** When the client sent it. */
  readonly call: number;
  /** When the client got its reply; +Infinity when it never did (timed out, connection lost). */
  readonly ret: number;
  /** The reply; undefined when unknown (then any output is accepted). Always so when ret is ∞. */
  readonly output: O | undefined;
  /**
   * For an op that never returned: the time after which it can no longer take effect, when that is
   * known (its session was closed, say); default +∞. Ops that can still take effect are what
   * makes a search costly, so a bound here keeps long histories with timeouts cheap.
   */
  readonly until?: number;
}

/** A sequential specification. States are values: `step` must not modify the state it is given. */
export interface Model<S, I, O> {
  init(): S;
  /**
   * The state after applying `input` in state `s`, or null if the op cannot have replied `output`
   * in `s`. With output undefined (unknown), return whatever state the op would lead to.
   */
  step(s: S, input: I, output: O | undefined): S | null;
  /** A canonical key of a state: equal keys for states no later op can tell apart. */
  key(s: S): string;
  /** Split a history into independent sub-histories (e.g. per znode path); default: one. */
  partition?(ops: readonly Operation<I, O>[]): readonly (readonly Operation<I, O>[])[];
  /**
   * True if this op, with this output, is read-only: step(s, input, output) is s or null for every
   * s (a read; a write that failed). Optional, but it prunes the search a great deal: such an op is
   * linearized as soon as it fits, with no alternative tried.
   */
  pure?(input: I, output: O | undefined): boolean;
  describe?(input: I, output: O | undefined): string;
  describeState?(s: S): string;
}

export type Verdict<I = unknown, O = unknown> =
  | { readonly ok: true; readonly partitions: number; readonly ops: number; readonly steps: number }
  | {
      readonly ok: false;
      /** Index, in the model's partition order, of the first sub-history found not linearizable. */
      readonly partition: number;
      /** That sub-history's ops. */
      readonly ops: readonly Operation<I, O>[];
      /** The longest sequence of its ops the search could linearize, in linearization order. */
      readonly longest: readonly Operation<I, O>[];
      readonly explain: string;
      readonly steps: number;
    }
  /** A sub-history exhausted its step budget, and none found so far is a violation. */
  | { readonly ok: 'unknown'; readonly reason: string; readonly steps: number };

export interface CheckOptions {
  /** Model steps allowed per sub-history before giving up on it ('unknown'); default unbounded. */
  readonly maxSteps?: number;
}

/** Check a whole history: per partition, in the model's partition order; stops at the first violation. */
export function checkLinearizable<S, I, O>(model: Model<S, I, O>, history: readonly Operation<I, O>[], opts: CheckOptions = {}): Verdict<I, O> {
  for (const op of history) validate(op);
  const parts = (model.partition ? model.partition(history) : [history]).filter((p) => p.length > 0);
  const covered = parts.reduce((n, p) => n + p.length, 0);
  if (covered !== history.length) throw new RangeError(`the model's partition holds ${covered} ops of the ${history.length} given`);
  const maxSteps = opts.maxSteps ?? Infinity;
  let steps = 0;
  const gaveUp: number[] = [];
  for (let p = 0; p < parts.length; p++) {
    const ops = parts[p]!;
    const r = checkPartition(model, ops, maxSteps);
    steps += r.steps;
    if (r.kind === 'unknown') gaveUp.push(p);
    else if (r.kind === 'fail') return { ok: false, partition: p, ops, longest: r.longest, explain: explain(model, p, ops, r.longest, r.state), steps };
  }
  if (gaveUp.length) {
    return { ok: 'unknown', reason: `partition${gaveUp.length > 1 ? 's' : ''} ${gaveUp.join(', ')} of ${parts.length}: over ${maxSteps} steps each; the others are linearizable`, steps };
  }
  return { ok: true, partitions: parts.length, ops: history.length, steps };
}

function validate(op: Operation<unknown, unknown>): void {
  if (!Number.isFinite(op.call)) throw new RangeError(`op ${op.id}: call must be a finite number, got ${op.call}`);
  if (Number.isNaN(op.ret) || op.ret < op.call) throw new RangeError(`op ${op.id}: ret ${op.ret} before its call ${op.call}`);
  if (op.ret === Infinity && op.output !== undefined) throw new RangeError(`op ${op.id}: an op with no return (ret Infinity) has no known output`);
  if (op.until !== undefined && (op.ret !== Infinity || !(op.until >= op.call))) throw new RangeError(`op ${op.id}: until is for an op with no return, and not before its call`);
}

/** `truncated`: some chain of optional ops was cut short, so a failure is not final. */
type Search<S, I, O> =
  | { readonly kind: 'ok' | 'unknown'; readonly steps: number; readonly truncated: boolean }
  | { readonly kind: 'fail'; readonly steps: number; readonly truncated: boolean; readonly longest: readonly Operation<I, O>[]; readonly state: S };

/**
 * Iterative deepening on the optional ops: first a search where none takes effect, then chains of
 * at most 1, 2, 4, … of them before a required op, until a search fails without having cut any
 * chain short (or one succeeds). Most histories need few, or none, and a long chain is costly to
 * rule out: each is tried with every subset of the pending optional ops.
 */
function checkPartition<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], maxSteps: number): Search<S, I, O> {
  let steps = 0;
  for (let chain = 0; ; chain = chain === 0 ? 1 : chain * 2) {
    const r = searchPartition(model, ops, maxSteps - steps, chain);
    steps += r.steps;
    if (r.kind !== 'fail' || !r.truncated) return { ...r, steps };
  }
}

/** A configuration of the search: the ops linearized so far (implicit in the lists) and the state. */
interface Frame<S> {
  readonly state: S;
  readonly key: string;
  /** The optional ops placed so far, sorted. */
  readonly placed: readonly number[];
  /** The latest call among the ops linearized: optional ops with an earlier `until` are out. */
  readonly maxCall: number;
  /** The earliest `until` of the optional ops still pending: a read-only op called later is not committed to. */
  readonly minUntil: number;
  /** The move that led here: optional ops `chain`, in order, then required op `j` (root: -1). */
  readonly j: number;
  readonly chain: readonly number[];
  /** Optional ops this move put out of reach (past their `until`), and where the expiry stood. */
  readonly expired: readonly number[];
  readonly expiredFrom: number;
  // Where the enumeration of this configuration's moves stands:
  /** Moves from this state (-1) or from the state after `closure[ki]`'s chain of optional ops. */
  ki: number;
  closure: Closure<S> | null;
  /** 0: read-only ops first (one that fits is the only move worth trying); 1: the others. */
  pass: 0 | 1;
  /** The next candidate in the required list. */
  cur: number;
  /** The child on the stack came from a read-only op: when it fails, so does the current chain. */
  committed: boolean;
}

/** A state reached from a frame's by a chain of optional ops. */
interface Element<S> {
  readonly chain: readonly number[];
  readonly set: readonly number[]; // the chain, sorted
  readonly state: S;
  readonly key: string;
  readonly maxCall: number;
}

/** The states optional ops lead to from a frame, breadth first, each with a smallest set of them. */
interface Closure<S> {
  readonly elements: Element<S>[];
  /** How many of [the frame itself, ...elements] have been expanded. */
  expanded: number;
  readonly minimal: Map<string, (readonly number[])[]>;
  /** The optional ops that may go before the frame's first return entry, in call order. */
  readonly pending: readonly number[];
}

const NONE: readonly number[] = [];
const ONLY_NONE: (readonly number[])[] = [NONE]; // shared: the empty set is a subset of all, so nothing is added to it
const byCall = (ops: readonly Operation<unknown, unknown>[]) => (a: number, b: number) => ops[a]!.call - ops[b]!.call || a - b;

/**
 * The search on one sub-history. Required ops (finite ret) live in a doubly linked list of their
 * call and return events in time order: call entry j (0 ≤ j < k, in call order) and its return
 * entry k + j. Linearizing an op lifts both out; backtracking puts them back (dancing links). The
 * required ops that may go next are those whose call comes before the first return entry.
 *
 * Optional ops (ret ∞) have a list of their own, of calls only, which they leave when placed or
 * when past their `until`. A move is a chain of optional ops followed by one required op; the
 * chains tried from a configuration are found breadth first, at most `maxChain` long, and kept only
 * when no shorter chain reaches the same state with a subset of their ops (a pile of pending
 * unknown writes to one register costs one state per write, not every subset and order of them).
 *
 * Memo (Lowe): the configurations visited, as (required ops linearized, state) → the sets of
 * optional ops placed. One with a superset of a visited one's optional ops is no better: the other
 * can do whatever it can, so it is skipped.
 *
 * Read-only ops (Model.pure): one that fits the current state can be linearized at once, with no
 * alternative tried: moving it to the front of any linearization from here leaves a linearization
 * (unless it was called after the `until` of a pending optional op, which could then not follow).
 */
function searchPartition<S, I, O>(model: Model<S, I, O>, ops: readonly Operation<I, O>[], maxSteps: number, maxChain: number): Search<S, I, O> {
  const isPure = (op: Operation<I, O>) => (model.pure ? model.pure(op.input, op.output) : false);
  const req: number[] = [];
  const opt: number[] = [];
  for (let i = 0; i < ops.length; i++) {
    if (ops[i]!.ret !== Infinity) req.push(i);
    else if (!isPure(ops[i]!)) opt.push(i); // a read-only op that need not happen never helps
  }
  req.sort(byCall(ops));
  opt.sort(byCall(ops));
  const k = req.length;
  const m = opt.length;
  if (k === 0) return { kind: 'ok', steps: 0, truncated: false };
  const reqOp = (j: number) => ops[req[j]!]!;
  const optOp = (u: number) => ops[opt[u]!]!;
  const untilOf = (u: number) => optOp(u).until ?? Infinity;
  const pure = Uint8Array.from(req, (i) => (isPure(ops[i]!) ? 1 : 0));

  // The required list: calls in call order merged with returns in return order, calls first on ties.
  const HEAD = 2 * k;
  const next = new Int32Array(2 * k + 1);
  const prev = new Int32Array(2 * k + 1);
  const retOrder = Array.from({ length: k }, (_, j) => j).sort((a, b) => reqOp(a).ret - reqOp(b).ret || a - b);
  let last = HEAD;
  const link = (e: number) => {
    next[last] = e;
    prev[e] = last;
    last = e;
  };
  for (let c = 0, r = 0; c < k || r < k; ) {
    if (c < k && (r === k || reqOp(c).call <= reqOp(retOrder[r]!).ret)) link(c++);
    else link(k + retOrder[r++]!);
  }
  next[last] = -1;
  const lift = (j: number) => {
    next[prev[j]!] = next[j]!;
    prev[next[j]!] = prev[j]!; // a call entry always has its return after it
    const r = j + k;
    next[prev[r]!] = next[r]!;
    if (next[r] !== -1) prev[next[r]!] = prev[r]!;
  };
  const unlift = (j: number) => {
    const r = j + k;
    next[prev[r]!] = r;
    if (next[r] !== -1) prev[next[r]!] = r;
    next[prev[j]!] = j;
    prev[next[j]!] = j;
  };

  // The optional list, in call order; and the same ops by `until`, to put them out of reach in turn.
  const OHEAD = m;
  const onext = new Int32Array(m + 1);
  const oprev = new Int32Array(m + 1);
  const inList = new Uint8Array(m).fill(1);
  for (let u = 0; u < m; u++) {
    onext[u] = u + 1 < m ? u + 1 : -1;
    oprev[u] = u === 0 ? OHEAD : u - 1;
  }
  onext[OHEAD] = m > 0 ? 0 : -1;
  const liftOpt = (u: number) => {
    onext[oprev[u]!] = onext[u]!;
    if (onext[u] !== -1) oprev[onext[u]!] = oprev[u]!;
    inList[u] = 0;
  };
  const unliftOpt = (u: number) => {
    onext[oprev[u]!] = u;
    if (onext[u] !== -1) oprev[onext[u]!] = u;
    inList[u] = 1;
  };
  const byUntil = Array.from({ length: m }, (_, u) => u).filter((u) => untilOf(u) < Infinity).sort((a, b) => untilOf(a) - untilOf(b) || a - b);
  let expiry = 0; // byUntil[0, expiry) are past their until in the current configuration
  const minUntil = (): number => {
    for (let i = expiry; i < byUntil.length; i++) if (inList[byUntil[i]!]) return untilOf(byUntil[i]!);
    return Infinity;
  };

  // The required ops linearized, canonically: a bitset in call order, as the index of its first
  // word not all ones and the words up to its last non-zero one (short however long the history).
  const bits = new Uint32Array((k + 31) >>> 5);
  let low = 0;
  let high = -1;
  const setBit = (j: number) => {
    const w = j >>> 5;
    bits[w]! |= 1 << (j & 31);
    if (w > high) high = w;
    while (low < bits.length && bits[low] === 0xffffffff) low++;
  };
  const clearBit = (j: number) => {
    const w = j >>> 5;
    bits[w]! &= ~(1 << (j & 31));
    if (w < low) low = w;
    while (high >= 0 && bits[high] === 0) high--;
  };
  const memoKey = (stateKey: string): string => {
    let s = u32(low) + u32(Math.max(0, high - low + 1));
    for (let w = low; w <= high; w++) s += u32(bits[w]!);
    return s + stateKey;
  };
  const visited = new Map<string, (readonly number[])[]>();

  let steps = 0;
  let truncated = false; // some chain of optional ops was cut short at maxChain
  let remaining = k;
  const init = model.init();
  const root: Frame<S> = {
    state: init, key: model.key(init), placed: NONE, maxCall: -Infinity, minUntil: minUntil(), j: -1, chain: NONE, expired: NONE, expiredFrom: 0,
    ki: -1, closure: null, pass: 0, cur: next[HEAD]!, committed: false,
  };
  const frames: Frame<S>[] = [root];
  // The deepest stack seen; best[0, same) is still equal to the stack.
  const best: Frame<S>[] = [root];
  let same = 1;

  /** Expand f's closure until its element ki exists or there is nothing left; false: out of steps. */
  const grow = (f: Frame<S>): boolean => {
    if (!f.closure) {
      let e = next[HEAD]!;
      while (e < k) e = next[e]!;
      const firstRet = reqOp(e - k).ret;
      const pending: number[] = [];
      for (let u = onext[OHEAD]!; u !== -1 && optOp(u).call <= firstRet; u = onext[u]!) pending.push(u);
      f.closure = { elements: [], expanded: 0, minimal: new Map([[f.key, [NONE]]]), pending };
    }
    const c = f.closure;
    while (f.ki >= c.elements.length && c.expanded <= c.elements.length) {
      const from: Element<S> = c.expanded === 0 ? { chain: NONE, set: NONE, state: f.state, key: f.key, maxCall: f.maxCall } : c.elements[c.expanded - 1]!;
      c.expanded++;
      // Latest call first: an op that timed out most likely took effect soon after its call, if at all.
      for (let i = c.pending.length - 1; i >= 0; i--) {
        const u = c.pending[i]!;
        if (from.set.includes(u) || untilOf(u) < from.maxCall) continue;
        if (from.chain.length >= maxChain) {
          truncated = true;
          break;
        }
        if (++steps > maxSteps) return false;
        const op = optOp(u);
        const s = model.step(from.state, op.input, op.output);
        if (s === null) continue;
        const key = model.key(s);
        const set = withOne(from.set, u);
        const sets = c.minimal.get(key);
        if (sets?.some((x) => isSubset(x, set))) continue;
        if (sets) sets.push(set);
        else c.minimal.set(key, [set]);
        c.elements.push({ chain: [...from.chain, u], set, state: s, key, maxCall: Math.max(from.maxCall, op.call) });
      }
    }
    return true;
  };

  for (;;) {
    const f = frames[frames.length - 1]!;
    let moved = false;
    let exhausted = f.committed; // the read-only move from here has just failed
    f.committed = false;
    if (!exhausted) {
      const el = f.ki < 0 ? null : f.closure!.elements[f.ki]!;
      const state = el ? el.state : f.state;
      while (f.cur < k) {
        const x = f.cur;
        const op = reqOp(x);
        // Committing to a read-only op would put out of reach the optional ops it was called after.
        const isRead = pure[x] === 1 && op.call <= f.minUntil;
        if (isRead !== (f.pass === 0)) {
          f.cur = next[x]!;
          continue;
        }
        if (++steps > maxSteps) return { kind: 'unknown', steps, truncated };
        const s = model.step(state, op.input, op.output);
        if (s === null) {
          f.cur = next[x]!;
          continue;
        }
        const sk = model.key(s);
        setBit(x);
        const key = memoKey(sk);
        const placed = el ? union(f.placed, el.set) : f.placed;
        const sets = visited.get(key);
        if (sets?.some((p) => isSubset(p, placed))) {
          clearBit(x);
          if (isRead) {
            exhausted = true;
            break;
          }
          f.cur = next[x]!;
          continue;
        }
        if (placed.length === 0) visited.set(key, ONLY_NONE);
        else if (sets) sets.push(placed);
        else visited.set(key, [placed]);
        const chain = el ? el.chain : NONE;
        for (const u of chain) liftOpt(u);
        lift(x);
        if (--remaining === 0) return { kind: 'ok', steps, truncated };
        f.committed = isRead;
        const maxCall = Math.max(el ? el.maxCall : f.maxCall, op.call);
        const expiredFrom = expiry;
        const expired: number[] = [];
        for (; expiry < byUntil.length && untilOf(byUntil[expiry]!) < maxCall; expiry++) {
          const u = byUntil[expiry]!;
          if (inList[u]) {
            liftOpt(u);
            expired.push(u);
          }
        }
        frames.push({ state: s, key: sk, placed, maxCall, minUntil: minUntil(), j: x, chain, expired, expiredFrom, ki: -1, closure: null, pass: 0, cur: next[HEAD]!, committed: false });
        if (frames.length > best.length) {
          best.length = same;
          for (let i = same; i < frames.length; i++) best.push(frames[i]!);
          same = frames.length;
        }
        moved = true;
        break;
      }
      if (moved) continue;
      if (!exhausted && f.pass === 0) {
        f.pass = 1;
        f.cur = next[HEAD]!;
        continue;
      }
    }
    // Done with the moves from this state: on to the next chain of optional ops, if any.
    if (m > 0) {
      f.ki++;
      if (!grow(f)) return { kind: 'unknown', steps, truncated };
      if (f.ki < f.closure!.elements.length) {
        f.pass = 0;
        f.cur = next[HEAD]!;
        continue;
      }
    }
    // Done with this configuration: undo the move that led here.
    frames.pop();
    if (frames.length < same) same = frames.length;
    if (frames.length === 0) {
      const longest = best.slice(1).flatMap((b) => [...b.chain.map(optOp), reqOp(b.j)]);
      return { kind: 'fail', steps, longest, state: best[best.length - 1]!.state, truncated };
    }
    for (let i = f.expired.length - 1; i >= 0; i--) unliftOpt(f.expired[i]!);
    expiry = f.expiredFrom;
    unlift(f.j);
    clearBit(f.j);
    remaining++;
    for (let i = f.chain.length - 1; i >= 0; i--) unliftOpt(f.chain[i]!);
    const p = frames[frames.length - 1]!;
    if (!p.committed) p.cur = next[f.j]!;
  }
}

/** A 32-bit number as two UTF-16 code units: key parts of fixed width, so keys parse one way. */
const u32 = (n: number): string => String.fromCharCode(n & 0xffff, n >>> 16);

function withOne(xs: readonly number[], x: number): number[] {
  const out = [...xs];
  let i = out.length;
  while (i > 0 && out[i - 1]! > x) i--;
  out.splice(i, 0, x);
  return out;
}

function union(xs: readonly number[], ys: readonly number[]): readonly number[] {
  if (ys.length === 0) return xs;
  if (xs.length === 0) return ys;
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < xs.length || j < ys.length) {
    if (j === ys.length || (i < xs.length && xs[i]! < ys[j]!)) out.push(xs[i++]!);
    else out.push(ys[j++]!);
  }
  return out;
}

/** Both sorted. */
function isSubset(xs: readonly number[], ys: readonly number[]): boolean {
  if (xs.length > ys.length) return false;
  let j = 0;
  for (const x of xs) {
    while (j < ys.length && ys[j]! < x) j++;
    if (j === ys.length || ys[j] !== x) return false;
    j++;
  }
  return true;
}

/** The report of a violation: what the longest linearization reached, and what could not come next. */
function explain<S, I, O>(model: Model<S, I, O>, p: number, ops: readonly Operation<I, O>[], longest: readonly Operation<I, O>[], state: S): string {
  const desc = (op: Operation<I, O>) =>
    `op ${op.id} (client ${op.client}, ${model.describe ? model.describe(op.input, op.output) : JSON.stringify({ input: op.input, output: op.output })}, [${op.call}, ${op.ret}])`;
  const stateText = model.describeState ? model.describeState(state) : model.key(state);
  const done = new Set(longest);
  let blocking: Operation<I, O> | undefined;
  for (const op of ops) if (!done.has(op) && op.ret !== Infinity && (!blocking || op.ret < blocking.ret)) blocking = op;
  const lines = [
    `partition ${p}: not linearizable. At best ${longest.length} of ${ops.length} ops linearized, leaving the state ${stateText}.`,
  ];
  if (blocking) {
    lines.push(`${desc(blocking)} must take effect by ${blocking.ret}, and no order of the ops that may come before it allows that. Could come next:`);
    const next = ops.filter((op) => !done.has(op) && op.call <= blocking.ret);
    for (const op of next.slice(0, 20)) {
      const s = model.step(state, op.input, op.output);
      lines.push(`  ${desc(op)}: ${s === null ? 'impossible in that state' : `possible (state ${model.describeState ? model.describeState(s) : model.key(s)}), but leads nowhere`}`);
    }
    if (next.length > 20) lines.push(`  … and ${next.length - 20} more`);
  }
  if (longest.length) lines.push(`Longest linearization: ${longest.map((op) => op.id).join(' ')}`);
  return lines.join('\n');
}
