// A big tree built the way a replica builds it: committed create txns applied in zxid order.
// Shared by the snapshot test and `npm run bench:tree`.
import { apply, emptyTree, OPEN_ACL, type Tree, type Txn } from '../src/tree/index.ts';

/**
 * `parents` persistent nodes under /bench, each with `perParent` children holding `dataBytes`
 * bytes; every node gets its own copy of the value and a flat path string, as values and paths
 * decoded from the wire would be (a template literal's result is a rope, 32 bytes more).
 */
export function createTxns(parents: number, perParent: number, dataBytes: number): Txn[] {
  const data = new Uint8Array(dataBytes).fill(0x61);
  const txns: Txn[] = [];
  let zxid = 0;
  const txn = (path: string, parentCreates: number): Txn => ({
    zxid: ++zxid,
    time: 1_700_000_000_000 + zxid,
    session: 1n,
    op: { type: 'create', path: Buffer.from(path).toString(), data: data.slice(), acl: OPEN_ACL, kind: { type: 'persistent' }, parentCreates, withStat: false },
  });
  txns.push(txn('/bench', 2));
  for (let p = 0; p < parents; p++) {
    const parent = `/bench/p${p}`;
    txns.push(txn(parent, p + 1));
    for (let c = 0; c < perParent; c++) txns.push(txn(`${parent}/n${c}`, c + 1));
  }
  return txns;
}

export function applyAll(txns: readonly Txn[], tree: Tree = emptyTree()): Tree {
  let t = tree;
  for (const txn of txns) t = apply(t, txn).tree;
  return t;
}
