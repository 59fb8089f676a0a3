// A node's child names: a persistent set (a hash array mapped trie) kept compact for the data
// tree's memory. immutable.js's Set spends ~150 bytes per name (a ValueNode, an entry array and
// its share of the trie) plus the name's string; here a child is one slot of a trie node's
// array holding its path (a string the tree's map holds anyway), ~10–20 bytes with the node
// overhead. Order is the trie's (by the name's hash); nothing may depend on it (getChildren sorts).
//
// A trie node is a plain array: [bitmap, ...slots], a slot being a path or a deeper node (in bit
// order). Past the last 5-bit fragment of the hash a node is a flat list of paths whose names
// share the whole hash: [0, ...paths].

/** What a Znode's children are: immutable.js's Set (snapshot.ts builds them) or a NameSet. */
export interface Children extends Iterable<string> {
  readonly size: number;
  has(name: string): boolean;
}

type Trie = (number | string | Trie)[];

const BITS = 5;
const MASK = 31;
const LAST = 30; // the shift of the last fragment (2 bits); below it, collision lists

/** The hash of `s` from `from` on (a child's path hashed as its name). */
function hashOf(s: string, from: number): number {
  // FNV-1a over the code units, then a murmur finaliser so every fragment is mixed.
  let h = 0x811c9dc5;
  for (let i = from; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h ^ (h >>> 16);
}

const popcount = (x: number): number => {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 63;
};

/** `a` with `cut` slots at `at` replaced by `x` (when given): an exact-size copy (push would leave slack). */
function spliced(a: Trie, at: number, cut: number, x?: string): Trie {
  const add = x === undefined ? 0 : 1;
  const out: Trie = new Array(a.length - cut + add);
  for (let i = 0; i < at; i++) out[i] = a[i]!;
  if (add) out[at] = x!;
  for (let i = at + cut; i < a.length; i++) out[i - cut + add] = a[i]!;
  return out;
}

/** Whether the child path `p` is `name` (p's name starting at `prefix`). */
const named = (p: string, prefix: number, name: string): boolean => p.length - prefix === name.length && p.startsWith(name, prefix);

function has(node: Trie, h: number, shift: number, name: string, prefix: number): boolean {
  for (;;) {
    if (shift > LAST) {
      for (let i = 1; i < node.length; i++) if (named(node[i] as string, prefix, name)) return true;
      return false;
    }
    const bit = 1 << ((h >>> shift) & MASK);
    const bitmap = node[0] as number;
    if ((bitmap & bit) === 0) return false;
    const slot = node[1 + popcount(bitmap & (bit - 1))]!;
    if (typeof slot === 'string') return named(slot, prefix, name);
    node = slot as Trie;
    shift += BITS;
  }
}

/** A node holding two names whose hashes agree below `shift`. */
function pair(a: string, ha: number, b: string, hb: number, shift: number): Trie {
  if (shift > LAST) return [0, a, b];
  const fa = (ha >>> shift) & MASK;
  const fb = (hb >>> shift) & MASK;
  if (fa === fb) return [(1 << fa) | 0, pair(a, ha, b, hb, shift + BITS)];
  return [((1 << fa) | (1 << fb)) | 0, ...(fa < fb ? [a, b] : [b, a])];
}

/** `node` with `name` added, or `node` itself when it holds the name already. */
function add(node: Trie, h: number, shift: number, name: string, prefix: number): Trie {
  if (shift > LAST) return node.indexOf(name, 1) > 0 ? node : spliced(node, node.length, 0, name);
  const bit = 1 << ((h >>> shift) & MASK);
  const bitmap = node[0] as number;
  const at = 1 + popcount(bitmap & (bit - 1));
  if ((bitmap & bit) === 0) {
    const out = spliced(node, at, 0, name);
    out[0] = (bitmap | bit) | 0;
    return out;
  }
  const slot = node[at]!;
  let next: Trie | string;
  if (typeof slot === 'string') {
    if (slot === name) return node;
    next = pair(slot, hashOf(slot, prefix), name, h, shift + BITS);
  } else {
    next = add(slot as Trie, h, shift + BITS, name, prefix);
    if (next === slot) return node;
  }
  const out = node.slice();
  out[at] = next;
  return out;
}

/** `node` without `name` (undefined: nothing left), or `node` itself when it lacks the name. */
function remove(node: Trie, h: number, shift: number, name: string): Trie | string | undefined {
  if (shift > LAST) {
    const i = node.indexOf(name, 1);
    if (i < 0) return node;
    if (node.length === 3) return node[3 - i] as string; // one name left: it moves up
    return spliced(node, i, 1);
  }
  const bit = 1 << ((h >>> shift) & MASK);
  const bitmap = node[0] as number;
  if ((bitmap & bit) === 0) return node;
  const at = 1 + popcount(bitmap & (bit - 1));
  const slot = node[at]!;
  let next: Trie | string | undefined;
  if (typeof slot === 'string') {
    if (slot !== name) return node;
    next = undefined;
  } else {
    next = remove(slot as Trie, h, shift + BITS, name);
    if (next === slot) return node;
  }
  if (next === undefined) {
    if (node.length === 2) return undefined;
    // A lone name left beside nothing moves up, so a trie's shape depends only on its names.
    if (node.length === 3 && shift > 0 && typeof node[3 - at] === 'string') return node[3 - at] as string;
    const out = spliced(node, at, 1);
    out[0] = (bitmap ^ bit) | 0;
    return out;
  }
  if (typeof next === 'string' && node.length === 2 && shift > 0) return next;
  const out = node.slice();
  out[at] = next;
  return out;
}

function* paths(node: Trie, shift: number): Generator<string> {
  for (let i = 1; i < node.length; i++) {
    const slot = node[i]!;
    if (typeof slot === 'string') yield slot;
    else yield* paths(slot as Trie, shift > LAST ? shift : shift + BITS);
  }
}

/** Where a child's name starts in its path. */
export const namePrefix = (parent: string): number => (parent === '/' ? 1 : parent.length + 1);

/**
 * An immutable set of child names; addPath and removePath return a new set sharing the rest. It
 * keeps the children's paths (the strings the tree's map holds already), not their names, and
 * makes a name when one is asked for (iteration): a name of its own costs 24 bytes or more.
 */
export class NameSet implements Children {
  static readonly EMPTY = new NameSet(undefined, 0, 0);

  private constructor(
    private readonly root: Trie | undefined,
    readonly size: number,
    /** Where the names start in the paths. */
    private readonly prefix: number,
  ) {}

  static of(parent: string, names: Iterable<string>): NameSet {
    const base = parent === '/' ? '/' : `${parent}/`;
    let s = NameSet.EMPTY;
    for (const n of names) s = s.addPath(base + n, base.length);
    return s;
  }

  /** `children` of `parent` as a NameSet (a snapshot's immutable.js Set is copied once, on its first change). */
  static from(children: Children, parent: string): NameSet {
    return children instanceof NameSet ? children : NameSet.of(parent, children);
  }

  has(name: string): boolean {
    return this.root !== undefined && has(this.root, hashOf(name, 0), 0, name, this.prefix);
  }

  /** The set with the child at `path`, its name starting at `prefix` (namePrefix of the parent). */
  addPath(path: string, prefix: number): NameSet {
    const h = hashOf(path, prefix);
    if (this.root === undefined) return new NameSet([(1 << (h & MASK)) | 0, path], 1, prefix);
    const root = add(this.root, h, 0, path, prefix);
    return root === this.root ? this : new NameSet(root, this.size + 1, prefix);
  }

  removePath(path: string, prefix: number): NameSet {
    if (this.root === undefined) return this;
    const root = remove(this.root, hashOf(path, prefix), 0, path);
    if (root === this.root) return this;
    if (root === undefined) return NameSet.EMPTY;
    // At the top a lone name stays in a node of its own: the root is always a trie node.
    const top = typeof root === 'string' ? [(1 << (hashOf(root, prefix) & MASK)) | 0, root] : root;
    return new NameSet(top, this.size - 1, prefix);
  }

  *[Symbol.iterator](): Iterator<string> {
    if (this.root !== undefined) for (const p of paths(this.root, 0)) yield p.slice(this.prefix);
  }
}
