// npm run bench:tree — the data tree's speed and size: apply throughput (what every replica does
// per committed txn), prepare+apply throughput (the leader), bytes per znode in memory, and the
// snapshot's size and speed at 1,000,000 znodes. `-- --memory`: the memory figures alone. Medians of several rounds; run alone on the machine.
import { apply, emptyTree, OPEN_ACL, prepare, serializeTree, deserializeTree, type Tree, type Txn } from '../src/tree/index.ts';
import { applyAll, createTxns } from './tree-fixture.ts';

const PARENTS = 1000;
const PER_PARENT = 999; // + 1,000 parents + /bench = 1,001,001 nodes
const DATA = 100;
const ROUNDS = 3;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const gc = (globalThis as { gc?: () => void }).gc;
/** The heap's live bytes, ArrayBuffers' (values kept as Uint8Arrays) included. */
const heap = () => {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
};

function time<T>(f: () => T): [T, number] {
  const t0 = process.hrtime.bigint();
  const r = f();
  return [r, Number(process.hrtime.bigint() - t0) / 1e9];
}

// Memory first, alone: what the tree holds per znode beyond its value's bytes (structure, path,
// name, stat, the value's container). Built in functions so that the txns and the snapshot's bytes
// are garbage when the tree is measured (a top-level temporary stays live in the module's frame).
const held: { tree: Tree } = { tree: emptyTree() };
const beyondValue = (before: number) => (heap() - before) / held.tree.nodes.size - DATA;
let base = heap();
(() => {
  held.tree = applyAll(createTxns(PARENTS, PER_PARENT, DATA));
})();
const applied = beyondValue(base);
const snap: { bytes: Uint8Array | null } = { bytes: (() => serializeTree(held.tree))() };
const snapshotLength = snap.bytes!.length;
held.tree = emptyTree();
base = heap() - snapshotLength; // the snapshot's bytes are dropped once read (unless the tree keeps them)
(() => {
  const back = deserializeTree(snap.bytes!);
  if (!back.ok) throw new Error(back.error);
  held.tree = back.tree;
  snap.bytes = null;
})();
const loaded = beyondValue(base);
held.tree = emptyTree();
const memoryLine = `memory: ${gc ? '' : '(no --expose-gc: rough) '}${fmt(applied)} bytes per znode beyond its ${DATA}-byte value, built by apply; ${fmt(loaded)} loaded from a snapshot`;
if (process.argv.includes('--memory')) {
  // `npm run bench:tree -- --memory`: the memory figures alone.
  console.log(memoryLine);
  process.exit(0);
}

const txns = createTxns(PARENTS, PER_PARENT, DATA);
const n = txns.length;
console.log(`zabkit bench:tree — ${fmt(n)} create txns (${PARENTS} parents × ${PER_PARENT} children, ${DATA}-byte values), ${ROUNDS} rounds, node ${process.version}`);

const applyRates: number[] = [];
const setRates: number[] = [];
const leaderRates: number[] = [];
const ser: number[] = [];
const de: number[] = [];
let size = 0;
let tree: Tree = emptyTree();
for (let round = 0; round < ROUNDS; round++) {
  tree = emptyTree();
  const [built, secs] = time(() => applyAll(txns));
  tree = built;
  applyRates.push(n / secs);

  // setData on existing nodes, as committed txns.
  const value = new Uint8Array(DATA).fill(0x62);
  const sets: Txn[] = [];
  for (let i = 0; i < 200_000; i++) {
    const p = i % PARENTS;
    const c = (i * 7919) % PER_PARENT;
    // A flat path, as decoded from the wire (the fixture's reason).
    sets.push({ zxid: n + i + 1, time: 0, session: 1n, op: { type: 'setData', path: Buffer.from(`/bench/p${p}/n${c}`).toString(), data: value, version: 1 } });
  }
  const [, setSecs] = time(() => {
    let t = tree;
    for (const s of sets) t = apply(t, s).tree;
    return t;
  });
  setRates.push(sets.length / setSecs);

  // The leader: prepare (validate, choose the txn) then apply, 200,000 sequential creates.
  const [, leaderSecs] = time(() => {
    let t = apply(tree, { zxid: 1, time: 0, session: 9n, op: { type: 'createSession', timeout: 30_000 } }).tree;
    t = apply(t, { zxid: 2, time: 0, session: 9n, op: { type: 'create', path: '/q', data: value, acl: OPEN_ACL, kind: { type: 'persistent' }, parentCreates: 3, withStat: false } }).tree;
    for (let i = 0; i < 200_000; i++) {
      const p = prepare(t, { session: 9n, auth: [], zxid: n + i, time: i, write: { op: 'create', path: '/q/item-', data: value, acl: OPEN_ACL, flags: 2 } });
      if (!p.ok) throw new Error(`prepare failed: ${p.err}`);
      t = apply(t, p.txn).tree;
    }
    return t;
  });
  leaderRates.push(200_000 / leaderSecs);

  const [bytes, sSecs] = time(() => serializeTree(tree));
  size = bytes.length;
  ser.push(sSecs);
  const [back, dSecs] = time(() => deserializeTree(bytes));
  if (!back.ok || back.tree.nodes.size !== tree.nodes.size) throw new Error('snapshot round trip failed');
  de.push(dSecs);
}

const spread = (xs: number[]) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
console.log(`apply, create txns (replica):      median ${fmt(median(applyRates))} txns/s   (spread ${spread(applyRates)})`);
console.log(`apply, setData txns (replica):     median ${fmt(median(setRates))} txns/s   (spread ${spread(setRates)})`);
console.log(`prepare + apply, sequential create (leader): median ${fmt(median(leaderRates))} txns/s   (spread ${spread(leaderRates)})`);
console.log(memoryLine);
console.log(`snapshot: ${fmt(size)} bytes (${(size / n).toFixed(1)} B/znode), serialize median ${median(ser).toFixed(2)} s, deserialize median ${median(de).toFixed(2)} s`);
