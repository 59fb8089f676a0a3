// The tree's snapshot format (versioned, binary, big-endian):
//   "ZBTS" u32 version
//   u32 #acls,     each: u32 #entries, each: u32 perms, str scheme, str id
//   u32 #sessions, each: u64 id, u32 timeout
//   u32 #quotas,   each: str path
//   u32 #nodes,    each: str path, u8 kind (0 persistent, 1 ephemeral + u64 owner, 2 container,
//                  3 ttl + f64 ttl), f64 czxid mzxid pzxid ctime mtime, i32 version aversion
//                  childCreates, u32 acl index, u32 data length (0xffffffff: null), data
// str = u32 length + UTF-8. Children and each session's ephemerals are rebuilt from the paths.
import { Map as IMap, Set as ISet } from 'immutable';
import { canonicalAcl } from './acl.ts';
import { nodeHash } from './digest.ts';
import { namePrefix, NameSet } from './children.ts';
import { NodeMap } from './node-map.ts';
import { CompactNode, compactNode, copyInline, nodeWith } from './node.ts';
import { canonicalKind, CONTAINER, EMPTY_DATA, PERSISTENT } from './tree.ts';
import type { Acl, NodeKind, Session, SessionId, Tree } from './types.ts';

const MAGIC = 0x5a425453; // "ZBTS"
export const SNAPSHOT_VERSION = 1;
const NULL_LENGTH = 0xffff_ffff;

/** Bytes are written into pieces of this size: no buffer is ever copied to grow. */
const PIECE = 1 << 20;

/**
 * Writes into a list of pieces. One buffer grown by doubling copied a big tree's snapshot again
 * at every doubling, and the allocation of the next, larger one could set off a full GC: a
 * 100,000-znode snapshot held the event loop for ~80 ms in one step. Streamed (`recycle`), the
 * pieces a caller has taken are written over again: a million-znode snapshot held whole was
 * 170 MB of buffers outside the heap, whose pressure set off full collections of the tree's
 * ~700 MB heap while it was written (event-loop stalls of 100–300 ms).
 */
class Writer {
  /** Pieces full since the caller last took them. */
  private readonly sealed: Uint8Array[] = [];
  /** Buffers of taken pieces, to fill again (when recycling). */
  private readonly spare: Uint8Array[] = [];
  private buf: Uint8Array = new Uint8Array(PIECE);
  private view = new DataView(this.buf.buffer);
  private at = 0;
  private readonly encoder = new TextEncoder();

  constructor(private readonly recycle: boolean) {}

  /** Make room for `n` contiguous bytes: a new piece when the current one cannot take them. */
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    this.sealed.push(this.buf.subarray(0, this.at));
    this.buf = n <= PIECE ? (this.spare.pop() ?? new Uint8Array(PIECE)) : new Uint8Array(n);
    this.view = new DataView(this.buf.buffer);
    this.at = 0;
  }
  get hasSealed(): boolean {
    return this.sealed.length > 0;
  }
  /**
   * The pieces full since the last call. Recycling, their buffers are filled again once the
   * caller resumes the encoding: it must be done with them (written them out) before.
   */
  take(): Uint8Array[] {
    const out = this.sealed.splice(0);
    if (this.recycle) for (const p of out) if (p.buffer.byteLength === PIECE) this.spare.push(new Uint8Array(p.buffer));
    return out;
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.at++] = v;
  }
  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.at, v);
    this.at += 4;
  }
  i32(v: number): void {
    this.room(4);
    this.view.setInt32(this.at, v);
    this.at += 4;
  }
  f64(v: number): void {
    this.room(8);
    this.view.setFloat64(this.at, v);
    this.at += 8;
  }
  u64(v: bigint): void {
    this.room(8);
    this.view.setBigUint64(this.at, BigInt.asUintN(64, v));
    this.at += 8;
  }
  /** null (ZooKeeper's null data) is length 0xffffffff. */
  bytes(b: Uint8Array | null): void {
    if (b === null) return void this.u32(NULL_LENGTH);
    this.u32(b.length);
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }
  /** A compact node's small value: the code units of s from `from` (node.ts), without copying it out first. */
  latin1(s: string, from: number): void {
    const n = s.length - from;
    this.u32(n);
    this.room(n);
    copyInline(s, from, this.buf, this.at);
    this.at += n;
  }
  str(s: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    const n = s.length;
    this.room(4 + n * 3);
    const buf = this.buf;
    const at = this.at + 4;
    // ASCII (nearly every path) byte by byte: a million encoder calls cost more than the loop.
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[at + i] = c;
    }
    const written = i === n ? n : this.encoder.encodeInto(s, buf.subarray(at)).written;
    this.view.setUint32(this.at, written);
    this.at = at + written;
  }
  /** The pieces not yet taken, in order (the writer is done with them). */
  finish(): Uint8Array[] {
    return [...this.sealed, this.buf.subarray(0, this.at)];
  }
}

class Reader {
  at = 0;
  private readonly view: DataView;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  need(n: number): void {
    if (this.at + n > this.buf.length) throw new SnapshotError(`truncated at byte ${this.at} (wanted ${n} more)`);
  }
  u8(): number {
    this.need(1);
    return this.view.getUint8(this.at++);
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.at);
    this.at += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.at);
    this.at += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.at);
    this.at += 8;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.at);
    this.at += 8;
    return BigInt.asIntN(64, v);
  }
  /**
   * A view into the snapshot, not a copy: a million small copies cost more than the buffer they
   * share. A plain Uint8Array: a Buffer's subarray (the file is read as one) costs a species lookup.
   */
  bytes(): Uint8Array | null {
    const n = this.u32();
    if (n === NULL_LENGTH) return null;
    this.need(n);
    const b = n === 0 ? EMPTY_DATA : new Uint8Array(this.buf.buffer, this.buf.byteOffset + this.at, n);
    this.at += n;
    return b;
  }
  str(): string {
    const n = this.u32();
    this.need(n);
    const s = asciiAt(this.buf, this.at, n) ?? this.decoder.decode(this.buf.subarray(this.at, this.at + n));
    this.at += n;
    return s;
  }
}

/** Argument lists by length, reused: a short ASCII string is made by one fromCharCode call. */
const CODES: number[][] = [];
const SHORT = 64;

/**
 * A short ASCII string read without the decoder (nearly every path and name): a million decoder
 * calls, each with its own subarray, were a tenth of a big snapshot's load. Null otherwise.
 */
function asciiAt(buf: Uint8Array, at: number, n: number): string | null {
  if (n > SHORT) return null;
  const codes = (CODES[n] ??= new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    const c = buf[at + i]!;
    if (c >= 0x80) return null;
    codes[i] = c;
  }
  return String.fromCharCode.apply(null, codes);
}

export class SnapshotError extends Error {}

const aclKey = (acl: readonly Acl[]): string => acl.map((a) => `${a.perms}:${a.id.scheme}:${a.id.id}`).join('\n');

export function serializeTree(tree: Tree): Uint8Array {
  const steps = serializeTreeInSteps(tree, Infinity);
  for (;;) {
    const r = steps.next();
    if (r.done) return joined(r.value);
  }
}

/** Pieces as one array (a copy unless there is just one). */
export function joined(pieces: readonly Uint8Array[]): Uint8Array {
  if (pieces.length === 1) return pieces[0]!;
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * serializeTree in steps, its bytes in pieces (of about 1 MB): it yields after every `chunk` nodes, so a server can write a snapshot
 * of a big tree without stopping its event loop for the whole of it (the tree is immutable, so
 * the pieces add up to the tree as it was when the snapshot began).
 */
export function* serializeTreeInSteps(tree: Tree, chunk = 1024): Generator<undefined, Uint8Array[], void> {
  const steps = encode(tree, chunk, false);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    yield;
  }
}

/**
 * serializeTree streamed: yields `undefined` after every `chunk` nodes (a pause) and the pieces
 * (about 1 MB each) as they fill, in order; returns the last ones. The buffers are filled again
 * once the caller resumes, so it must be done with the pieces (written them out) before: a big
 * tree's snapshot then holds a couple of megabytes, not its whole size.
 */
export function encodeTreeInPieces(tree: Tree, chunk = 1024): Generator<Uint8Array[] | undefined, Uint8Array[], void> {
  return encode(tree, chunk, true);
}

function* encode(tree: Tree, chunk: number, stream: boolean): Generator<Uint8Array[] | undefined, Uint8Array[], void> {
  let done = 0;
  const w = new Writer(stream);
  w.u32(MAGIC);
  w.u32(SNAPSHOT_VERSION);
  // ACL lists are shared by many nodes: write each distinct one once (by identity, then by value).
  const byRef = new Map<readonly Acl[], number>();
  const byKey = new Map<string, number>();
  const lists: (readonly Acl[])[] = [];
  const indexOf = (acl: readonly Acl[]): number => {
    let i = byRef.get(acl);
    if (i !== undefined) return i;
    const key = aclKey(acl);
    i = byKey.get(key);
    if (i === undefined) {
      i = lists.length;
      lists.push(acl);
      byKey.set(key, i);
    }
    byRef.set(acl, i);
    return i;
  };
  // First pass: the distinct lists (cheap: by identity, nearly every node shares one).
  for (const n of tree.nodes.values()) {
    indexOf(n.acl);
    if (++done % chunk === 0) yield;
  }
  w.u32(lists.length);
  for (const acl of lists) {
    w.u32(acl.length);
    for (const a of acl) {
      w.u32(a.perms);
      w.str(a.id.scheme);
      w.str(a.id.id);
    }
  }
  w.u32(tree.sessions.size);
  for (const [id, s] of tree.sessions) {
    w.u64(id);
    w.u32(s.timeout);
  }
  w.u32(tree.quotas.size);
  for (const q of tree.quotas) w.str(q);
  w.u32(tree.nodes.size);
  for (const [path, n] of tree.nodes) {
    w.str(path);
    const k = n.kind;
    if (k.type === 'persistent') w.u8(0);
    else if (k.type === 'ephemeral') {
      w.u8(1);
      w.u64(k.owner);
    } else if (k.type === 'container') w.u8(2);
    else {
      w.u8(3);
      w.f64(k.ttl);
    }
    w.f64(n.czxid);
    w.f64(n.mzxid);
    w.f64(n.pzxid);
    w.f64(n.ctime);
    w.f64(n.mtime);
    w.i32(n.version);
    w.i32(n.aversion);
    w.i32(n.childCreates);
    w.u32(indexOf(n.acl));
    const inlineAt = n instanceof CompactNode ? n.inlineAt : -1;
    if (inlineAt >= 0) w.latin1((n as CompactNode).s, inlineAt);
    else w.bytes(n.data); // null, big, or a plain node
    if (stream && w.hasSealed) yield w.take();
    if (++done % chunk === 0) yield;
  }
  return w.finish();
}

export type Loaded = { readonly ok: true; readonly tree: Tree } | { readonly ok: false; readonly error: string };

/** Never throws: a damaged or foreign snapshot is an error value naming where it went wrong. */
export function deserializeTree(bytes: Uint8Array): Loaded {
  try {
    return { ok: true, tree: read(new Reader(bytes)) };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

function read(r: Reader): Tree {
  if (r.u32() !== MAGIC) throw new SnapshotError('not a zabkit tree snapshot (bad magic)');
  const version = r.u32();
  if (version !== SNAPSHOT_VERSION) throw new SnapshotError(`snapshot version ${version}, this build reads ${SNAPSHOT_VERSION}`);
  const lists: (readonly Acl[])[] = [];
  for (let i = r.u32(); i > 0; i--) {
    const acl: Acl[] = [];
    for (let j = r.u32(); j > 0; j--) acl.push({ perms: r.u32(), id: { scheme: r.str(), id: r.str() } });
    lists.push(canonicalAcl(acl));
  }
  const timeouts: [SessionId, number][] = [];
  for (let i = r.u32(); i > 0; i--) timeouts.push([r.u64(), r.u32()]);
  const quotas: string[] = [];
  for (let i = r.u32(); i > 0; i--) quotas.push(r.str());
  // Each parent's children by path: a NameSet keeps the paths the map holds, no names of its own.
  const children = new Map<string, string[]>();
  const ephemerals = new Map<SessionId, string[]>();
  const nodes = NodeMap.EMPTY.asMutable();
  // TREE-27: the digest is not stored; it is summed from scratch as the nodes are read (children
  // are not hashed, so a node's hash is final before its children are rebuilt).
  let digest = 0;
  for (let i = r.u32(); i > 0; i--) {
    const path = r.str();
    const tag = r.u8();
    let kind: NodeKind;
    if (tag === 0) kind = PERSISTENT;
    else if (tag === 1) kind = canonicalKind({ type: 'ephemeral', owner: r.u64() });
    else if (tag === 2) kind = CONTAINER;
    else if (tag === 3) kind = { type: 'ttl', ttl: r.f64() };
    else throw new SnapshotError(`node ${path}: unknown kind ${tag}`);
    const czxid = r.f64();
    const mzxid = r.f64();
    const pzxid = r.f64();
    const ctime = r.f64();
    const mtime = r.f64();
    const version = r.i32();
    const aversion = r.i32();
    const childCreates = r.i32();
    const acl = lists[r.u32()];
    if (!acl) throw new SnapshotError(`node ${path}: ACL index out of range`);
    const data = r.bytes();
    // Compact, as apply keeps nodes (node.ts): a plain object held ~300 bytes more a node.
    const node = nodeWith(compactNode(data, acl, kind, czxid, ctime), { mzxid, pzxid, mtime, version, aversion, childCreates });
    nodes.set(path, node);
    digest = (digest + nodeHash(path, node)) >>> 0;
    if (path !== '/') {
      const slash = path.lastIndexOf('/');
      const parent = slash === 0 ? '/' : path.slice(0, slash);
      const paths = children.get(parent);
      if (paths) paths.push(path);
      else children.set(parent, [path]);
    }
    if (kind.type === 'ephemeral') {
      const mine = ephemerals.get(kind.owner);
      if (mine) mine.push(path);
      else ephemerals.set(kind.owner, [path]);
    }
  }
  if (r.at !== r.buf.length) throw new SnapshotError(`${r.at} bytes read, trailing bytes follow`);
  for (const [parent, paths] of children) {
    const node = nodes.get(parent);
    if (!node) throw new SnapshotError(`node ${paths[0]} has no parent`);
    const prefix = namePrefix(parent);
    let set = NameSet.EMPTY;
    for (const p of paths) set = set.addPath(p, prefix);
    nodes.set(parent, nodeWith(node, { children: set }));
  }
  const sessions = IMap<SessionId, Session>().withMutations((m) => {
    for (const [id, timeout] of timeouts) m.set(id, { timeout, ephemerals: ISet(ephemerals.get(id) ?? []) });
  });
  return { nodes: nodes.asImmutable(), sessions, quotas: ISet(quotas), digest };
}
