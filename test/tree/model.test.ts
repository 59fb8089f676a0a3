// The data tree against a deliberately simple reference model: a Map from path to a record,
// children found by scanning keys, cversion kept as separate create and delete counts. Random
// operation sequences run through prepare + apply and through the reference; every result,
// error code, stat field and byte of data must agree after every step.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  apply,
  Code,
  emptyTree,
  exists,
  getChildren,
  getData,
  OPEN_ACL,
  type OpResult,
  prepare,
  serializeTree,
  type Stat,
  type Tree,
  type WriteOp,
} from '../../src/tree/index.ts';

interface RefNode {
  data: string;
  version: number;
  aversion: number;
  czxid: number;
  mzxid: number;
  pzxid: number;
  ctime: number;
  mtime: number;
  owner: bigint;
  creates: number;
  deletes: number;
  /** ZooKeeper's system nodes start with a cversion below zero (TREE-3). */
  cvBase: number;
}
type Ref = { nodes: Map<string, RefNode>; sessions: Set<bigint> };

const blank = (cvBase = 0): RefNode => ({ data: '', version: 0, aversion: 0, czxid: 0, mzxid: 0, pzxid: 0, ctime: 0, mtime: 0, owner: 0n, creates: 0, deletes: 0, cvBase });

function freshRef(): Ref {
  const nodes = new Map<string, RefNode>([
    ['/', blank(-1)],
    ['/zookeeper', blank(-2)],
    ['/zookeeper/quota', blank()],
    ['/zookeeper/config', { ...blank(), aversion: -1 }],
  ]);
  return { nodes, sessions: new Set() };
}

const parent = (p: string) => (p.lastIndexOf('/') === 0 ? '/' : p.slice(0, p.lastIndexOf('/')));
const kids = (ref: Ref, p: string) => [...ref.nodes.keys()].filter((k) => k !== '/' && parent(k) === p).sort();
const text = (b: Uint8Array | null) => (b ? new TextDecoder().decode(b) : '');
const bytes = (s: string) => new TextEncoder().encode(s);

function refStat(ref: Ref, p: string): Stat {
  const n = ref.nodes.get(p) as RefNode;
  return {
    czxid: n.czxid, mzxid: n.mzxid, ctime: n.ctime, mtime: n.mtime, version: n.version,
    cversion: n.cvBase + n.creates + n.deletes, aversion: n.aversion, ephemeralOwner: n.owner,
    dataLength: bytes(n.data).length, numChildren: kids(ref, p).length, pzxid: n.pzxid,
  };
}

type Res = number | { type: string; path?: string; stat?: Stat; results?: Res[] };
const RESERVED = ['/', '/zookeeper', '/zookeeper/quota', '/zookeeper/config'];
const validPath = (p: string) => p === '/' || (p.startsWith('/') && !p.endsWith('/') && !p.includes('//'));

/** One write against the reference, mutating it; the error code or the result. */
function refWrite(ref: Ref, s: bigint, w: WriteOp, zxid: number, time: number): Res {
  if (w.op === 'createSession') {
    ref.sessions.add(s);
    return { type: 'createSession' };
  }
  if (w.op === 'closeSession') {
    for (const [p, n] of [...ref.nodes]) if (n.owner === s && s !== 0n) refWrite(ref, -1n, { op: 'delete', path: p, version: -1 }, zxid, time);
    ref.sessions.delete(s);
    return { type: 'closeSession' };
  }
  // A multi's session is checked per op, as ZooKeeper prepares each op on its own.
  if (s !== -1n && w.op !== 'multi' && !ref.sessions.has(s)) return Code.SessionExpired;
  switch (w.op) {
    case 'create2': {
      const par = ref.nodes.get(parent(w.path));
      if (!par) return Code.NoNode;
      const path = w.flags === 2 || w.flags === 3 ? w.path + String(par.creates).padStart(10, '0') : w.path;
      if (!validPath(path)) return Code.BadArguments;
      if (ref.nodes.has(path)) return Code.NodeExists;
      if (par.owner !== 0n) return Code.NoChildrenForEphemerals;
      par.creates += 1;
      par.pzxid = zxid;
      ref.nodes.set(path, { ...blank(), data: text(w.data), czxid: zxid, mzxid: zxid, pzxid: zxid, ctime: time, mtime: time, owner: w.flags === 1 || w.flags === 3 ? s : 0n });
      return { type: 'create', path, stat: refStat(ref, path) };
    }
    case 'delete': {
      if (RESERVED.includes(w.path)) return Code.BadArguments;
      const par = ref.nodes.get(parent(w.path));
      const n = ref.nodes.get(w.path);
      if (!par || !n) return Code.NoNode;
      if (w.version !== -1 && w.version !== n.version) return Code.BadVersion;
      if (kids(ref, w.path).length > 0) return Code.NotEmpty;
      ref.nodes.delete(w.path);
      par.deletes += 1;
      par.pzxid = Math.max(par.pzxid, zxid);
      return { type: 'delete' };
    }
    case 'setData': {
      if (!validPath(w.path)) return Code.BadArguments;
      const n = ref.nodes.get(w.path);
      if (!n) return Code.NoNode;
      if (w.path === '/zookeeper/config') return Code.NoAuth;
      if (w.version !== -1 && w.version !== n.version) return Code.BadVersion;
      Object.assign(n, { data: text(w.data), version: n.version + 1, mzxid: zxid, mtime: time });
      return { type: 'setData', stat: refStat(ref, w.path) };
    }
    case 'check': {
      if (!validPath(w.path)) return Code.BadArguments;
      const n = ref.nodes.get(w.path);
      if (!n) return Code.NoNode;
      if (w.version !== -1 && w.version !== n.version) return Code.BadVersion;
      return { type: 'check' };
    }
    case 'multi': {
      const scratch: Ref = { nodes: new Map([...ref.nodes].map(([k, v]) => [k, { ...v }])), sessions: new Set(ref.sessions) };
      const results: Res[] = [];
      for (let i = 0; i < w.ops.length; i++) {
        const r = refWrite(scratch, s, w.ops[i] as WriteOp, zxid, time);
        if (typeof r === 'number') {
          return { type: 'failed', results: w.ops.map((_, j) => (j < i ? 0 : j === i ? r : Code.RuntimeInconsistency)) };
        }
        results.push(r);
      }
      ref.nodes = scratch.nodes;
      return { type: 'multi', results };
    }
    default:
      throw new Error(`the reference does not model ${w.op}`);
  }
}

/** Multis whose outcome prepare handed on (Prepared.applied), checked against apply's. */
let handedOn = 0;

/** The same write through src/tree, in the reference's result shape. */
function treeWrite(tree: Tree, s: bigint, w: WriteOp, zxid: number, time: number): { tree: Tree; res: Res } {
  const p = prepare(tree, { session: s, auth: [], zxid, time, write: w });
  if (!p.ok) return { tree, res: p.results ? { type: 'failed', results: [...p.results] } : p.err };
  const a = apply(tree, p.txn);
  if (p.applied) {
    // What the leader uses instead of applying the txn again must be what applying it gives.
    handedOn++;
    expect(p.applied.result).toEqual(a.result);
    expect(p.applied.events).toEqual(a.events);
    expect(Buffer.from(serializeTree(p.applied.tree)).equals(Buffer.from(serializeTree(a.tree)))).toBe(true);
  }
  const shape = (r: OpResult): Res =>
    r.type === 'multi' ? { type: 'multi', results: r.results.map(shape) } : r.type === 'error' ? r.err : { ...r };
  return { tree: a.tree, res: shape(a.result) };
}

const SESSIONS = [0x11n, 0x22n];
const PATHS = ['/a', '/b', '/a/x', '/a/y', '/b/x', '/a/x/z', '/zookeeper/q', '/zookeeper/config', '/', '/a/'];
const SEQ_BASES = ['/a/s-', '/b/', '/s'];

const path = fc.constantFrom(...PATHS);
const version = fc.integer({ min: -1, max: 2 });
const data = fc.constantFrom('', 'x', 'hello', 'ünï');
const simpleOp: fc.Arbitrary<WriteOp> = fc.oneof(
  fc.record({ path: fc.oneof(path, fc.constantFrom(...SEQ_BASES)), flags: fc.integer({ min: 0, max: 3 }), data }).map(
    (o): WriteOp => ({ op: 'create2', path: o.path, flags: o.flags, data: bytes(o.data), acl: OPEN_ACL }),
  ),
  fc.record({ path, version }).map((o): WriteOp => ({ op: 'delete', ...o })),
  fc.record({ path, version, data }).map((o): WriteOp => ({ op: 'setData', path: o.path, version: o.version, data: bytes(o.data) })),
  fc.record({ path, version }).map((o): WriteOp => ({ op: 'check', ...o })),
);
const step = fc.record({
  session: fc.constantFrom(...SESSIONS),
  write: fc.oneof(
    { weight: 8, arbitrary: simpleOp },
    { weight: 2, arbitrary: fc.array(simpleOp, { minLength: 1, maxLength: 3 }).map((ops): WriteOp => ({ op: 'multi', ops })) },
    { weight: 1, arbitrary: fc.constant<WriteOp>({ op: 'closeSession' }) },
    { weight: 1, arbitrary: fc.constant<WriteOp>({ op: 'createSession', timeout: 10_000 }) },
  ),
});

function compare(tree: Tree, ref: Ref, where: string): void {
  const paths = new Set([...tree.nodes.keys(), ...ref.nodes.keys()]);
  for (const p of paths) {
    const d = getData(tree, p, []);
    expect(d.ok, `${where}: ${p} exists in one model only`).toBe(ref.nodes.has(p));
    if (!d.ok) continue;
    expect(d.value.stat, `${where}: stat of ${p}`).toEqual(refStat(ref, p));
    expect(text(d.value.data), `${where}: data of ${p}`).toBe(ref.nodes.get(p)?.data);
    expect(exists(tree, p, [])).toEqual({ ok: true, value: d.value.stat });
    const c = getChildren(tree, p, []);
    expect(c.ok && c.value.children, `${where}: children of ${p}`).toEqual(kids(ref, p).map((k) => k.slice(k.lastIndexOf('/') + 1)));
  }
}

describe('src/tree agrees with a simple reference model', () => {
  it('on 1,000 random operation sequences', () => {
    let sequences = 0;
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        sequences++;
        let tree = emptyTree();
        const ref = freshRef();
        let zxid = 0;
        for (const s of SESSIONS) {
          zxid++;
          tree = treeWrite(tree, s, { op: 'createSession', timeout: 10_000 }, zxid, zxid).tree;
          refWrite(ref, s, { op: 'createSession', timeout: 10_000 }, zxid, zxid);
        }
        steps.forEach((st, i) => {
          zxid++;
          const time = 1_000 + zxid * 7;
          const mine = treeWrite(tree, st.session, st.write, zxid, time);
          const theirs = refWrite(ref, st.session, st.write, zxid, time);
          expect(mine.res, `step ${i}: ${JSON.stringify(st, (_, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? text(v) : v))}`).toEqual(theirs);
          tree = mine.tree;
          compare(tree, ref, `after step ${i}`);
        });
      }),
      { numRuns: 1000, seed: 20261122 },
    );
    expect(sequences).toBeGreaterThanOrEqual(1000);
    expect(handedOn).toBeGreaterThan(20); // 53 with this seed
  });
});
