// A node's child names: a persistent set (a hash array mapped trie) kept compact for the data
// tree's memory. immutable.js's Set spends ~150 bytes per name (a ValueNode, an entry array and
// its share of the trie); here a name is one slot of a trie node's array, ~10–30 bytes with the
// node overhead. Order is the trie's (by hash); nothing may depend on it (getChildren sorts).
//
// A trie node is a plain array: [bitmap, ...slots], a slot being a name or a deeper node (names
// and nodes in bit order). Past the last 5-bit fragment of the hash a node is a flat list of
// names that share the whole hash: [0, ...names].

/** What a Znode's children are: immutable.js's Set (snapshot.ts builds them) or a NameSet. */
export interface Children extends Iterable<string> {
  readonly size: number;
  has(name: string): boolean;
}

type Trie = (number | string | Trie)[];

const BITS = 5;
const MASK = 31;
const LAST = 30; // the shift of the last fragment (2 bits); below it, collision lists

function hashOf(s: string): number {
  // FNV-1a over the code units, then a murmur finaliser so every fragment is mixed.
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
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

function has(node: Trie, h: number, shift: number, name: string): boolean {
  for (;;) {
    if (shift > LAST) return node.indexOf(name, 1) > 0;
    const bit = 1 << ((h >>> shift) & MASK);
    const bitmap = node[0] as number;
    if ((bitmap & bit) === 0) return false;
    const slot = node[1 + popcount(bitmap & (bit - 1))]!;
    if (typeof slot === 'string') return slot === name;
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
function add(node: Trie, h: number, shift: number, name: string): Trie {
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
    next = pair(slot, hashOf(slot), name, h, shift + BITS);
  } else {
    next = add(slot as Trie, h, shift + BITS, name);
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

function* names(node: Trie, shift: number): Generator<string> {
  for (let i = 1; i < node.length; i++) {
    const slot = node[i]!;
    if (typeof slot === 'string') yield slot;
    else yield* names(slot as Trie, shift > LAST ? shift : shift + BITS);
  }
}

/** An immutable set of child names; add and remove return a new set sharing the rest. */
export class NameSet implements Children {
  static readonly EMPTY = new NameSet(undefined, 0);

  private constructor(
    private readonly root: Trie | undefined,
    readonly size: number,
  ) {}

  static of(names: Iterable<string>): NameSet {
    let s = NameSet.EMPTY;
    for (const n of names) s = s.add(n);
    return s;
  }

  /** `children` as a NameSet (a snapshot's immutable.js Set is copied once, on its first change). */
  static from(children: Children): NameSet {
    return children instanceof NameSet ? children : NameSet.of(children);
  }

  has(name: string): boolean {
    return this.root !== undefined && has(this.root, hashOf(name), 0, name);
  }

  add(name: string): NameSet {
    const h = hashOf(name);
    if (this.root === undefined) return new NameSet([(1 << (h & MASK)) | 0, name], 1);
    const root = add(this.root, h, 0, name);
    return root === this.root ? this : new NameSet(root, this.size + 1);
  }

  remove(name: string): NameSet {
    if (this.root === undefined) return this;
    const root = remove(this.root, hashOf(name), 0, name);
    if (root === this.root) return this;
    if (root === undefined) return NameSet.EMPTY;
    // At the top a lone name stays in a node of its own: the root is always a trie node.
    const top = typeof root === 'string' ? [(1 << (hashOf(root) & MASK)) | 0, root] : root;
    return new NameSet(top, this.size - 1);
  }

  [Symbol.iterator](): Iterator<string> {
    return this.root === undefined ? [][Symbol.iterator]() : names(this.root, 0);
  }
}
