// A znode as apply stores it: compact, for the data tree's memory (issue 26). A plain Znode
// object costs ~120 bytes for its 12 fields, 16 more for each number past 2^31 (zxids, ms
// times) and ~180 for a Uint8Array with its ArrayBuffer; here the stat fields and a small value
// are one one-byte string (16 bytes of header, then 1 byte a byte), beside the ACL, the kind and
// the children: 5 fields. The Znode interface reads it through getters, so a node from
// snapshot.ts or a test (a plain object) and a compact one are used alike; only spreading a
// compact node ({ ...n }) would not copy its fields: nodes are changed with nodeWith.
import { type Children, NameSet } from './children.ts';
import type { Acl, Data, NodeKind, Zxid, Znode } from './types.ts';

/** Values up to this size are kept in the node's string; bigger ones as an exact-size Uint8Array. */
export const INLINE_MAX = 1024;

// The string's layout: czxid, mzxid, pzxid, ctime, mtime as float64 (any number survives),
// version, aversion, childCreates as int32, one byte saying where the data is, then the data.
const CZXID = 0;
const MZXID = 8;
const PZXID = 16;
const CTIME = 24;
const MTIME = 32;
const VERSION = 40;
const AVERSION = 44;
const CHILD_CREATES = 48;
const WHERE = 52;
/** Where the value's bytes start in the string. */
export const DATA_AT = 53;

const INLINE = 0;
const NULL = 1;
const BIG = 2;

const scratch = Buffer.alloc(2 * (DATA_AT + INLINE_MAX));
const view = new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength);
const latin1Write = Buffer.prototype.latin1Write;
// Apart from scratch: nodeWith reads the old node's fields while it writes the new header.
const word = new Uint8Array(8);
const wordView = new DataView(word.buffer);

function f64(s: string, at: number): number {
  for (let i = 0; i < 8; i++) word[i] = s.charCodeAt(at + i);
  return wordView.getFloat64(0, true);
}

const i32 = (s: string, at: number): number => s.charCodeAt(at) | (s.charCodeAt(at + 1) << 8) | (s.charCodeAt(at + 2) << 16) | (s.charCodeAt(at + 3) << 24);

export class CompactNode implements Znode {
  constructor(
    /** The stat fields, where the data is, and the data when it is small (see the layout above). */
    readonly s: string,
    /** The data when it is bigger than INLINE_MAX, else null. */
    readonly b: Uint8Array | null,
    readonly acl: readonly Acl[],
    readonly kind: NodeKind,
    readonly children: Children,
  ) {}

  /** A new array each time for a small value (the string is what the node keeps). */
  get data(): Data {
    const where = this.s.charCodeAt(WHERE);
    if (where === NULL) return null;
    if (where === BIG) return this.b;
    const s = this.s;
    const n = s.length - DATA_AT;
    const out = new Uint8Array(n);
    if (n < 32) for (let i = 0; i < n; i++) out[i] = s.charCodeAt(DATA_AT + i);
    else latin1Write.call(out, s.substring(DATA_AT), 0, n);
    return out;
  }

  /** The data's length, null's being 0 (TREE-9), without making the array. */
  get dataSize(): number {
    const where = this.s.charCodeAt(WHERE);
    return where === INLINE ? this.s.length - DATA_AT : where === BIG ? this.b!.length : 0;
  }

  /** The small value's bytes as the string's code units from DATA_AT; undefined for null or a big value. */
  get inline(): string | undefined {
    return this.s.charCodeAt(WHERE) === INLINE ? this.s : undefined;
  }

  get czxid(): Zxid {
    return f64(this.s, CZXID);
  }
  get mzxid(): Zxid {
    return f64(this.s, MZXID);
  }
  get pzxid(): Zxid {
    return f64(this.s, PZXID);
  }
  get ctime(): number {
    return f64(this.s, CTIME);
  }
  get mtime(): number {
    return f64(this.s, MTIME);
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

/** The string for `data`, and where bytes past INLINE_MAX went; the header is written after. */
function place(data: Data): [number, Uint8Array | null] {
  if (data === null) {
    scratch[WHERE] = NULL;
    return [DATA_AT, null];
  }
  if (data.length > INLINE_MAX) {
    scratch[WHERE] = BIG;
    return [DATA_AT, exact(data)];
  }
  scratch[WHERE] = INLINE;
  scratch.set(data, DATA_AT);
  return [DATA_AT + data.length, null];
}

/** `n` (compact or a plain Znode) with `c` applied, as a CompactNode. */
export function nodeWith(n: Znode, c: NodeChanges): CompactNode {
  let length: number;
  let big: Uint8Array | null;
  if (c.data !== undefined) [length, big] = place(c.data);
  else if (n instanceof CompactNode) {
    // The old string's data (and header, overwritten below) copied as it is.
    length = n.s.length;
    big = n.b;
    latin1Write.call(scratch, n.s, 0, length);
  } else [length, big] = place(n.data);
  view.setFloat64(CZXID, c.czxid ?? n.czxid, true);
  view.setFloat64(MZXID, c.mzxid ?? n.mzxid, true);
  view.setFloat64(PZXID, c.pzxid ?? n.pzxid, true);
  view.setFloat64(CTIME, c.ctime ?? n.ctime, true);
  view.setFloat64(MTIME, c.mtime ?? n.mtime, true);
  view.setInt32(VERSION, c.version ?? n.version, true);
  view.setInt32(AVERSION, c.aversion ?? n.aversion, true);
  view.setInt32(CHILD_CREATES, c.childCreates ?? n.childCreates, true);
  return new CompactNode(scratch.toString('latin1', 0, length), big, c.acl ?? n.acl, c.kind ?? n.kind, c.children ?? n.children);
}

/** TREE-9: a new node, as apply's create makes it. */
export function compactNode(data: Data, acl: readonly Acl[], kind: NodeKind, zxid: Zxid, time: number): CompactNode {
  const [length, big] = place(data);
  view.setFloat64(CZXID, zxid, true);
  view.setFloat64(MZXID, zxid, true);
  view.setFloat64(PZXID, zxid, true);
  view.setFloat64(CTIME, time, true);
  view.setFloat64(MTIME, time, true);
  view.setInt32(VERSION, 0, true);
  view.setInt32(AVERSION, 0, true);
  view.setInt32(CHILD_CREATES, 0, true);
  return new CompactNode(scratch.toString('latin1', 0, length), big, acl, kind, NameSet.EMPTY);
}

/** TREE-9: the data's length in the stat (null: 0), without copying a compact node's value. */
export const dataSizeOf = (n: Znode): number => (n instanceof CompactNode ? n.dataSize : (n.data?.length ?? 0));

/** A node as a plain object with the Znode fields as its own (what { ...n } gives for a plain node). */
export function plainNode(n: Znode): Znode {
  const { data, acl, kind, czxid, mzxid, pzxid, ctime, mtime, version, aversion, childCreates, children } = n;
  return { data, acl, kind, czxid, mzxid, pzxid, ctime, mtime, version, aversion, childCreates, children };
}
