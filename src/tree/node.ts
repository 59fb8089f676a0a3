// A znode as apply stores it: compact, for the data tree's memory (issue 26). A plain Znode
// object costs ~120 bytes for its 12 fields, 16 more for each number past 2^31 (zxids, ms
// times) and ~180 for a Uint8Array with its ArrayBuffer; here the stat fields and a small value
// are one one-byte string (16 bytes of header, then 1 byte a byte), beside the ACL, the kind and
// the children: 4 fields (a value past INLINE_MAX is a fifth, in a BigNode). The Znode interface
// reads it through getters, so a node from snapshot.ts or a test (a plain object) and a compact
// one are used alike; only spreading a compact node ({ ...n }) would not copy its fields: nodes
// are changed with nodeWith.
import { type Children, NameSet } from './children.ts';
import type { Acl, Data, NodeKind, Zxid, Znode } from './types.ts';

/** Values up to this size are kept in the node's string; bigger ones as an exact-size Uint8Array. */
export const INLINE_MAX = 1024;

// The string's layout: a flags byte (where the data is; whether the numbers are wide), version,
// aversion and childCreates as int32, then czxid, mzxid, pzxid, ctime, mtime — 7-byte integers
// when all five are integers in [0, 2^53) (zxids and ms times are), else float64s (any number
// survives) — then the data when it is small.
const FLAGS = 0;
const VERSION = 1;
const AVERSION = 5;
const CHILD_CREATES = 9;
const NUMBERS = 13;
const NARROW = 7;
const WIDE = 8;
const NARROW_DATA = NUMBERS + 5 * NARROW;
const WIDE_DATA = NUMBERS + 5 * WIDE;

const INLINE = 0;
const NULL = 1;
const BIG = 2;
const WHERE = 3;
const WIDE_FLAG = 4;

const scratch = new Uint8Array(2 * (WIDE_DATA + INLINE_MAX));
const view = new DataView(scratch.buffer);
// Bytes ↔ one-byte string, pure functions of their input (as sha1 is in acl.ts): 10× faster than
// String.fromCharCode.apply, which would cost a create ~1.6 µs more (two strings a create).
interface Latin1 {
  latin1Write(this: Uint8Array, s: string, offset: number, length: number): number;
  latin1Slice(this: Uint8Array, start: number, end: number): string;
}
const { latin1Write, latin1Slice } = Buffer.prototype as unknown as Latin1;
// Apart from scratch: nodeWith reads the old node's fields while it writes the new header.
const word = new Uint8Array(8);
const wordView = new DataView(word.buffer);

const i32 = (s: string, at: number): number => s.charCodeAt(at) | (s.charCodeAt(at + 1) << 8) | (s.charCodeAt(at + 2) << 16) | (s.charCodeAt(at + 3) << 24);

/** The i-th of czxid, mzxid, pzxid, ctime, mtime. */
function numberAt(s: string, i: number): number {
  if (s.charCodeAt(FLAGS) & WIDE_FLAG) {
    const at = NUMBERS + WIDE * i;
    for (let j = 0; j < 8; j++) word[j] = s.charCodeAt(at + j);
    return wordView.getFloat64(0, true);
  }
  const at = NUMBERS + NARROW * i;
  const hi = s.charCodeAt(at + 4) | (s.charCodeAt(at + 5) << 8) | (s.charCodeAt(at + 6) << 16);
  return hi * 4294967296 + (i32(s, at) >>> 0);
}

/** A small value's bytes (the code units of s from `from`) copied into `out` at `to`: for the data getter and the snapshot writer. */
export function copyInline(s: string, from: number, out: Uint8Array, to: number): void {
  const n = s.length - from;
  if (n < 32) for (let i = 0; i < n; i++) out[to + i] = s.charCodeAt(from + i);
  else latin1Write.call(out, s.substring(from), to, n);
}

export class CompactNode implements Znode {
  constructor(
    /** The flags, the stat fields and the data when it is small (see the layout above). */
    readonly s: string,
    readonly acl: readonly Acl[],
    readonly kind: NodeKind,
    readonly children: Children,
  ) {}

  /** A new array each time for a small value (the string is what the node keeps). */
  get data(): Data {
    const s = this.s;
    const flags = s.charCodeAt(FLAGS);
    const where = flags & WHERE;
    if (where === NULL) return null;
    if (where === BIG) return (this as unknown as BigNode).b;
    const at = flags & WIDE_FLAG ? WIDE_DATA : NARROW_DATA;
    const out = new Uint8Array(s.length - at);
    copyInline(s, at, out, 0);
    return out;
  }

  /** Where a small value's bytes start in s (they are its code units from there); −1 for null or a big value. */
  get inlineAt(): number {
    const flags = this.s.charCodeAt(FLAGS);
    return (flags & WHERE) !== INLINE ? -1 : flags & WIDE_FLAG ? WIDE_DATA : NARROW_DATA;
  }

  /** The data's length, null's being 0 (TREE-9), without making the array. */
  get dataSize(): number {
    const at = this.inlineAt;
    return at >= 0 ? this.s.length - at : ((this.s.charCodeAt(FLAGS) & WHERE) === BIG ? (this as unknown as BigNode).b.length : 0);
  }

  get czxid(): Zxid {
    return numberAt(this.s, 0);
  }
  get mzxid(): Zxid {
    return numberAt(this.s, 1);
  }
  get pzxid(): Zxid {
    return numberAt(this.s, 2);
  }
  get ctime(): number {
    return numberAt(this.s, 3);
  }
  get mtime(): number {
    return numberAt(this.s, 4);
  }
  get version(): number {
    return i32(this.s, VERSION);
  }
  get aversion(): number {
    return i32(this.s, AVERSION);
  }
  get childCreates(): number {
    return i32(this.s, CHILD_CREATES);
  }
}

/** A compact node whose value is bigger than INLINE_MAX: kept as an exact-size array beside the string. */
export class BigNode extends CompactNode {
  constructor(s: string, acl: readonly Acl[], kind: NodeKind, children: Children, readonly b: Uint8Array) {
    super(s, acl, kind, children);
  }
}

/** What a change sets; the rest is the node's. data: undefined keeps the node's (null is a value). */
export interface NodeChanges {
  readonly data?: Data;
  readonly acl?: readonly Acl[];
  readonly kind?: NodeKind;
  readonly czxid?: Zxid;
  readonly mzxid?: Zxid;
  readonly pzxid?: Zxid;
  readonly ctime?: number;
  readonly mtime?: number;
  readonly version?: number;
  readonly aversion?: number;
  readonly childCreates?: number;
  readonly children?: Children;
}

/** A value apply may keep: a view into a bigger buffer (a request's frame) is copied, so the node holds only its bytes. */
const exact = (d: Uint8Array): Uint8Array => (d.byteOffset === 0 && d.byteLength === d.buffer.byteLength ? d : d.slice());

const narrow = (v: number): boolean => Number.isSafeInteger(v) && v >= 0 && (v !== 0 || 1 / v > 0);

/** Writes the header into scratch; returns where the data goes. */
function header(where: number, version: number, aversion: number, childCreates: number, nums: readonly [number, number, number, number, number]): number {
  const wide = !(narrow(nums[0]) && narrow(nums[1]) && narrow(nums[2]) && narrow(nums[3]) && narrow(nums[4]));
  scratch[FLAGS] = where | (wide ? WIDE_FLAG : 0);
  view.setInt32(VERSION, version, true);
  view.setInt32(AVERSION, aversion, true);
  view.setInt32(CHILD_CREATES, childCreates, true);
  for (let i = 0; i < 5; i++) {
    const v = nums[i]!;
    if (wide) view.setFloat64(NUMBERS + WIDE * i, v, true);
    else {
      const at = NUMBERS + NARROW * i;
      const hi = Math.floor(v / 4294967296);
      view.setUint32(at, v - hi * 4294967296, true);
      scratch[at + 4] = hi;
      scratch[at + 5] = hi >>> 8;
      scratch[at + 6] = hi >>> 16;
    }
  }
  return wide ? WIDE_DATA : NARROW_DATA;
}

const whereOf = (data: Data): number => (data === null ? NULL : data.length > INLINE_MAX ? BIG : INLINE);

function make(length: number, big: Uint8Array | null, acl: readonly Acl[], kind: NodeKind, children: Children): CompactNode {
  const s = latin1Slice.call(scratch, 0, length);
  return big ? new BigNode(s, acl, kind, children, big) : new CompactNode(s, acl, kind, children);
}

/** `n` (compact or a plain Znode) with `c` applied, as a CompactNode. */
export function nodeWith(n: Znode, c: NodeChanges): CompactNode {
  const nums = [c.czxid ?? n.czxid, c.mzxid ?? n.mzxid, c.pzxid ?? n.pzxid, c.ctime ?? n.ctime, c.mtime ?? n.mtime] as const;
  const version = c.version ?? n.version;
  const aversion = c.aversion ?? n.aversion;
  const childCreates = c.childCreates ?? n.childCreates;
  const acl = c.acl ?? n.acl;
  const kind = c.kind ?? n.kind;
  const children = c.children ?? n.children;
  if (c.data === undefined && n instanceof CompactNode) {
    // The old node's data as it is: its string's tail, or its big array.
    const from = n.inlineAt;
    const at = header(n.s.charCodeAt(FLAGS) & WHERE, version, aversion, childCreates, nums);
    if (from < 0) return make(at, n instanceof BigNode ? n.b : null, acl, kind, children);
    const length = n.s.length - from;
    if (length > 0) latin1Write.call(scratch, n.s.substring(from), at, length);
    return make(at + length, null, acl, kind, children);
  }
  const data = c.data === undefined ? n.data : c.data;
  const at = header(whereOf(data), version, aversion, childCreates, nums);
  if (data === null) return make(at, null, acl, kind, children);
  if (data.length > INLINE_MAX) return make(at, exact(data), acl, kind, children);
  scratch.set(data, at);
  return make(at + data.length, null, acl, kind, children);
}

/** TREE-9: a new node, as apply's create makes it. */
export function compactNode(data: Data, acl: readonly Acl[], kind: NodeKind, zxid: Zxid, time: number): CompactNode {
  const at = header(whereOf(data), 0, 0, 0, [zxid, zxid, zxid, time, time]);
  if (data === null) return make(at, null, acl, kind, NameSet.EMPTY);
  if (data.length > INLINE_MAX) return make(at, exact(data), acl, kind, NameSet.EMPTY);
  scratch.set(data, at);
  return make(at + data.length, null, acl, kind, NameSet.EMPTY);
}

/** TREE-9: the data's length in the stat (null: 0), without copying a compact node's value. */
export const dataSizeOf = (n: Znode): number => (n instanceof CompactNode ? n.dataSize : (n.data?.length ?? 0));

/** A node as a plain object with the Znode fields as its own (what { ...n } gives for a plain node). */
export function plainNode(n: Znode): Znode {
  const { data, acl, kind, czxid, mzxid, pzxid, ctime, mtime, version, aversion, childCreates, children } = n;
  return { data, acl, kind, czxid, mzxid, pzxid, ctime, mtime, version, aversion, childCreates, children };
}
