// The tree's path → znode map, compact for the data tree's memory (issue 26): a persistent hash
// array mapped trie whose entries sit in its nodes' arrays as (path, znode) pairs. immutable.js's
// Map spends ~190 bytes an entry (a ValueNode, an entry array, its share of the trie); here an
// entry is 16 bytes plus its share of the trie's arrays.
//
// It iterates in exactly immutable.js 5's order (snapshot.ts writes nodes in iteration order, so
// its bytes stay what they were): up to 8 entries are an array in insertion order (a removal
// moves the last entry into the gap); past 8, entries go by immutable's string hash, its 5-bit
// fragments from the lowest; keys of one hash in the order they came (the 9th key first, when the
// array became a trie), a removal moving the last into the gap. Only an emptied map starts an
// array again. test/tree/node-map.test.ts checks this against immutable.js on random runs.
import type { Znode } from './types.ts';

/** What Tree.nodes is: this map, or immutable.js's Map (snapshot.ts and src/ops build those). */
export interface Nodes extends Iterable<[string, Znode]> {
  readonly size: number;
  get(path: string): Znode | undefined;
  has(path: string): boolean;
  set(path: string, node: Znode): Nodes;
  remove(path: string): Nodes;
  keys(): IterableIterator<string>;
  values(): IterableIterator<Znode>;
  entries(): IterableIterator<[string, Znode]>;
  asMutable(): Nodes;
  asImmutable(): Nodes;
}

/** A trie node: [bitmap, ...pairs], a pair being (path, znode) or (null, deeper node), in bit order; past the last fragment, [0, ...pairs] of one hash. */
type Trie = (number | string | null | Znode | Trie)[];

const BITS = 5;
const MASK = 31;
const LAST = 30;
const SMALL_MAX = 8; // immutable.js's MAX_ARRAY_MAP_SIZE

/** immutable.js's hash of a string (hashString, then smi). */
export function immutableHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (31 * h + s.charCodeAt(i)) | 0;
  return ((h >>> 1) & 0x40000000) | (h & 0xbfffffff);
}

const popcount = (x: number): number => {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 63;
};

/** `a` with `cut` slots at `at` replaced by `x` and `y` (when given): an exact-size copy (push would leave slack). */
function spliced(a: Trie, at: number, cut: number, x?: Trie[number], y?: Trie[number]): Trie {
  const add = x === undefined ? 0 : 2;
  const out: Trie = new Array(a.length - cut + add);
  for (let i = 0; i < at; i++) out[i] = a[i]!;
  if (add) {
    out[at] = x!;
    out[at + 1] = y!;
  }
  for (let i = at + cut; i < a.length; i++) out[i - cut + add] = a[i]!;
  return out;
}

function get(node: Trie, h: number, key: string): Znode | undefined {
  let shift = 0;
  for (;;) {
    if (shift > LAST) {
      for (let i = 1; i < node.length; i += 2) if (node[i] === key) return node[i + 1] as Znode;
      return undefined;
    }
    const bit = 1 << ((h >>> shift) & MASK);
    const bitmap = node[0] as number;
    if ((bitmap & bit) === 0) return undefined;
    const at = 1 + 2 * popcount(bitmap & (bit - 1));
    const k = node[at];
    if (k === null) {
      node = node[at + 1] as Trie;
      shift += BITS;
    } else return k === key ? (node[at + 1] as Znode) : undefined;
  }
}

/** A node holding two entries whose hashes agree below `shift`. */
function pair(k1: string, v1: Znode, h1: number, k2: string, v2: Znode, h2: number, shift: number): Trie {
  if (shift > LAST) return [0, k1, v1, k2, v2];
  const f1 = (h1 >>> shift) & MASK;
  const f2 = (h2 >>> shift) & MASK;
  if (f1 === f2) return [(1 << f1) | 0, null, pair(k1, v1, h1, k2, v2, h2, shift + BITS)];
  const bitmap = ((1 << f1) | (1 << f2)) | 0;
  return f1 < f2 ? [bitmap, k1, v1, k2, v2] : [bitmap, k2, v2, k1, v1];
}

let grew = false; // set by put when it added a key (a module flag: no result object per call)

function put(node: Trie, h: number, shift: number, key: string, value: Znode): Trie {
  if (shift > LAST) {
    for (let i = 1; i < node.length; i += 2) {
      if (node[i] !== key) continue;
      if (node[i + 1] === value) return node;
      const out = node.slice();
      out[i + 1] = value;
      return out;
    }
    grew = true;
    return spliced(node, node.length, 0, key, value);
  }
  const bit = 1 << ((h >>> shift) & MASK);
  const bitmap = node[0] as number;
  const at = 1 + 2 * popcount(bitmap & (bit - 1));
  if ((bitmap & bit) === 0) {
    grew = true;
    const out = spliced(node, at, 0, key, value);
    out[0] = (bitmap | bit) | 0;
    return out;
  }
  const k = node[at] as string | null;
  const v = node[at + 1]!;
  const out = node.slice();
  if (k === null) {
    const sub = put(v as Trie, h, shift + BITS, key, value);
    if (sub === v) return node;
    out[at + 1] = sub;
  } else if (k === key) {
    if (v === value) return node;
    out[at + 1] = value;
  } else {
    grew = true;
    out[at] = null;
    out[at + 1] = pair(k, v as Znode, immutableHash(k), key, value, h, shift + BITS);
  }
  return out;
}

/** `node` without `key`: the same node when it lacks it; undefined when nothing is left; a lone entry left below the top is returned as its [path, znode] to move up. */
function drop(node: Trie, h: number, shift: number, key: string): Trie | [string, Znode] | undefined {
  if (shift > LAST) {
    let i = 1;
    while (i < node.length && node[i] !== key) i += 2;
    if (i >= node.length) return node;
    if (node.length === 5) return [node[4 - i] as string, node[5 - i] as Znode];
    const out = node.slice();
    // immutable.js's HashCollisionNode: the last entry moves into the gap.
    const last = out.length - 2;
    if (i !== last) {
      out[i] = out[last]!;
      out[i + 1] = out[last + 1]!;
    }
    out.length = last;
    return out;
  }
  const bit = 1 << ((h >>> shift) & MASK);
  const bitmap = node[0] as number;
  if ((bitmap & bit) === 0) return node;
  const at = 1 + 2 * popcount(bitmap & (bit - 1));
  const k = node[at] as string | null;
  const v = node[at + 1]!;
  let entry: [string, Znode] | undefined;
  if (k === null) {
    const sub = drop(v as Trie, h, shift + BITS, key);
    if (sub === v) return node;
    if (sub !== undefined && typeof sub[0] !== 'string') {
      const out = node.slice();
      out[at + 1] = sub as Trie;
      return out;
    }
    entry = sub as [string, Znode] | undefined;
  } else if (k !== key) return node;
  if (entry) {
    // The deeper node had one entry left: it takes the deeper node's place here, or moves up.
    if (node.length === 3 && shift > 0) return entry;
    const out = node.slice();
    out[at] = entry[0];
    out[at + 1] = entry[1];
    return out;
  }
  if (node.length === 3) return undefined;
  if (node.length === 5 && shift > 0 && node[at === 1 ? 3 : 1] !== null) return at === 1 ? [node[3] as string, node[4] as Znode] : [node[1] as string, node[2] as Znode];
  const out = spliced(node, at, 2);
  out[0] = (bitmap ^ bit) | 0;
  return out;
}

function* walk(node: Trie, shift: number): Generator<[string, Znode]> {
  for (let i = 1; i < node.length; i += 2) {
    const k = node[i] as string | null;
    if (k === null) yield* walk(node[i + 1] as Trie, shift + BITS);
    else yield [k, node[i + 1] as Znode];
  }
}

/**
 * The map. Up to 8 entries `small` is [path, znode, ...] in immutable.js's order, else `trie`.
 * Persistent: set and remove return a new map sharing the rest; a map from asMutable changes
 * itself instead (and returns itself), as immutable.js's does, until asImmutable.
 */
export class NodeMap implements Nodes {
  static readonly EMPTY = new NodeMap(undefined, undefined, 0, false);

  private constructor(
    private small: (string | Znode)[] | undefined,
    private trie: Trie | undefined,
    private count: number,
    private readonly mutable: boolean,
  ) {}

  /** A NodeMap with `entries` in their order (an immutable.js Map's, kept). */
  static from(entries: Iterable<readonly [string, Znode]>): NodeMap {
    const m = NodeMap.EMPTY.asMutable();
    for (const [k, v] of entries) m.set(k, v);
    return m.asImmutable();
  }

  get size(): number {
    return this.count;
  }

  get(path: string): Znode | undefined {
    const small = this.small;
    if (small) {
      for (let i = 0; i < small.length; i += 2) if (small[i] === path) return small[i + 1] as Znode;
      return undefined;
    }
    return this.trie && get(this.trie, immutableHash(path), path);
  }

  has(path: string): boolean {
    return this.get(path) !== undefined;
  }

  private with(small: (string | Znode)[] | undefined, trie: Trie | undefined, count: number): NodeMap {
    if (!this.mutable) return count === 0 ? NodeMap.EMPTY : new NodeMap(small, trie, count, false);
    this.small = small;
    this.trie = trie;
    this.count = count;
    return this;
  }

  set(path: string, node: Znode): NodeMap {
    const small = this.small;
    if (this.count === 0) return this.with([path, node], undefined, 1);
    if (small) {
      for (let i = 0; i < small.length; i += 2) {
        if (small[i] !== path) continue;
        if (small[i + 1] === node) return this;
        const out = small.slice();
        out[i + 1] = node;
        return this.with(out, undefined, this.count);
      }
      if (this.count < SMALL_MAX) return this.with([...small, path, node], undefined, this.count + 1);
      // The 9th key: a trie, built as immutable.js's createNodes builds it (the new key first).
      let trie: Trie = [(1 << (immutableHash(path) & MASK)) | 0, path, node];
      for (let i = 0; i < small.length; i += 2) trie = put(trie, immutableHash(small[i] as string), 0, small[i] as string, small[i + 1] as Znode);
      return this.with(undefined, trie, this.count + 1);
    }
    grew = false;
    const trie = put(this.trie!, immutableHash(path), 0, path, node);
    return trie === this.trie ? this : this.with(undefined, trie, this.count + (grew ? 1 : 0));
  }

  remove(path: string): NodeMap {
    const small = this.small;
    if (small) {
      for (let i = 0; i < small.length; i += 2) {
        if (small[i] !== path) continue;
        const out = small.slice();
        const last = out.length - 2;
        if (i !== last) {
          out[i] = out[last]!;
          out[i + 1] = out[last + 1]!;
        }
        out.length = last;
        return this.with(last === 0 ? undefined : out, undefined, this.count - 1);
      }
      return this;
    }
    if (!this.trie) return this;
    const trie = drop(this.trie, immutableHash(path), 0, path);
    if (trie === this.trie) return this;
    if (trie === undefined) return this.with(undefined, undefined, 0);
    return this.with(undefined, trie as Trie, this.count - 1);
  }

  delete(path: string): NodeMap {
    return this.remove(path);
  }

  asMutable(): NodeMap {
    return new NodeMap(this.small, this.trie, this.count, true);
  }

  asImmutable(): NodeMap {
    return this.mutable ? (this.count === 0 ? NodeMap.EMPTY : new NodeMap(this.small, this.trie, this.count, false)) : this;
  }

  withMutations(f: (m: NodeMap) => void): NodeMap {
    const m = this.asMutable();
    f(m);
    return m.asImmutable();
  }

  *entries(): IterableIterator<[string, Znode]> {
    const small = this.small;
    if (small) for (let i = 0; i < small.length; i += 2) yield [small[i] as string, small[i + 1] as Znode];
    else if (this.trie) yield* walk(this.trie, 0);
  }

  [Symbol.iterator](): IterableIterator<[string, Znode]> {
    return this.entries();
  }

  *keys(): IterableIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): IterableIterator<Znode> {
    for (const [, v] of this.entries()) yield v;
  }
}
