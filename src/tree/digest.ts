// The tree's digest (TREE-27), after ZooKeeper's (ZOOKEEPER-3114): a hash of each znode's path,
// data and the stat fields apply sets, summed over the tree modulo 2³². A sum is kept up to date
// by each change in O(1) — the new node's hash added, the old one's subtracted — and a replica
// whose sum differs from the leader's after the same txn holds a different tree.
//
// Per node: MurmurHash3's 32-bit mixing over the path (UTF-16 code units), the data (null apart
// from empty), the kind (and its owner or TTL), czxid, mzxid, pzxid, ctime, mtime, version,
// aversion and the child-create counter. Left out, as ZooKeeper leaves them out: the ACL itself
// (aversion counts its changes) and the children (each child is hashed as a node of its own).
// ZooKeeper's per-node hash is a CRC-32, so its 64-bit sum misses a diverged node with the same
// odds, 2⁻³², as this 32-bit one; it is one number, so it stays exact in a double.
import { CompactNode } from './node.ts';
import type { Data, Tree, Znode } from './types.ts';

/** Bumped whenever what is hashed, or how, changes: digests of other versions are not compared. */
export const DIGEST_VERSION = 1;

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const TWO_32 = 4294967296;

function mix(h: number, word: number): number {
  let k = Math.imul(word, C1);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, C2);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Two code units a word, then the length (so `ab` and `ab\0` differ). */
function mixString(h: number, s: string): number {
  const n = s.length;
  let i = 0;
  for (; i + 1 < n; i += 2) h = mix(h, s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
  if (i < n) h = mix(h, s.charCodeAt(i));
  return mix(h, n);
}

/** Four bytes a word, then the length; null is −1, which no length is. */
function mixData(h: number, b: Data): number {
  if (b === null) return mix(h, -1);
  const n = b.length;
  const whole = n & ~3;
  let i = 0;
  for (; i < whole; i += 4) h = mix(h, b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24));
  if (i < n) {
    let k = 0;
    for (let s = 0; i < n; i++, s += 8) k |= b[i]! << s;
    h = mix(h, k);
  }
  return mix(h, n);
}

/** mixData over a compact node's small value, its bytes being the string's code units from `at` (no array made). */
function mixChars(h: number, s: string, at: number): number {
  const n = s.length - at;
  const end = at + (n & ~3);
  let i = at;
  for (; i < end; i += 4) h = mix(h, s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24));
  if (i < s.length) {
    let k = 0;
    for (let sh = 0; i < s.length; i++, sh += 8) k |= s.charCodeAt(i) << sh;
    h = mix(h, k);
  }
  return mix(h, n);
}

function mixNodeData(h: number, n: Znode): number {
  if (n instanceof CompactNode) {
    const at = n.inlineAt;
    return at < 0 ? mixData(h, n.data) : mixChars(h, n.s, at); // null, or a big value's own array
  }
  return mixData(h, n.data);
}

/** Whether two nodes hold the same data object (a compact node's small value is its string's tail: compared by value). */
function sameData(a: Znode, b: Znode): boolean {
  if (a instanceof CompactNode && b instanceof CompactNode) {
    const at = a.inlineAt;
    const bt = b.inlineAt;
    if (at < 0 || bt < 0) return at === bt && a.data === b.data;
    return a.s.length - at === b.s.length - bt && a.s.endsWith(b.s.substring(bt));
  }
  return !(a instanceof CompactNode) && !(b instanceof CompactNode) && a.data === b.data;
}

/** A zxid or a time: an integer of up to 53 bits, as its high and low words. */
function mixNumber(h: number, v: number): number {
  const hi = Math.floor(v / TWO_32);
  return mix(mix(h, hi | 0), (v - hi * TWO_32) | 0);
}

function mixKind(h: number, n: Znode): number {
  const k = n.kind;
  switch (k.type) {
    case 'persistent':
      return mix(h, 0);
    case 'ephemeral':
      return mix(mix(mix(h, 1), Number(BigInt.asIntN(32, k.owner >> 32n))), Number(BigInt.asIntN(32, k.owner)));
    case 'container':
      return mix(h, 2);
    case 'ttl':
      return mixNumber(mix(h, 3), k.ttl);
  }
}

/** The hash once the path and the data are mixed in: the kind and the stat fields, finished. */
function hashRest(h: number, n: Znode): number {
  h = mixKind(h, n);
  h = mixNumber(h, n.czxid);
  h = mixNumber(h, n.mzxid);
  h = mixNumber(h, n.pzxid);
  h = mixNumber(h, n.ctime);
  h = mixNumber(h, n.mtime);
  h = mix(h, n.version);
  h = mix(h, n.aversion);
  h = mix(h, n.childCreates);
  return finish(h);
}

/** TREE-27: one node's share of the digest. */
export function nodeHash(path: string, n: Znode): number {
  return hashRest(mixNodeData(mixString(0, path), n), n);
}

/**
 * TREE-27: the digest once the node at `path` went from `before` to `after` (undefined: absent).
 * The path is mixed once for both, and the data too when it is the same (a parent's counters, an
 * ACL): a write's hot path hashes no more than it must.
 */
export function digestAfter(digest: number, path: string, before: Znode | undefined, after: Znode | undefined): number {
  const h = mixString(0, path);
  if (before && after && sameData(before, after)) {
    const hd = mixNodeData(h, before);
    return (digest - hashRest(hd, before) + hashRest(hd, after)) >>> 0;
  }
  let d = digest;
  if (before) d -= hashRest(mixNodeData(h, before), before);
  if (after) d += hashRest(mixNodeData(h, after), after);
  return d >>> 0;
}

/** TREE-27 from scratch: what a loaded snapshot starts with, and what the incremental digest must equal. */
export function treeDigest(nodes: Tree['nodes'] | Iterable<readonly [string, Znode]>): number {
  let d = 0;
  for (const [path, n] of nodes) d = (d + nodeHash(path, n)) >>> 0;
  return d;
}
