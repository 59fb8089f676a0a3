// The peer protocol: what servers of one ensemble say to each other. A frame is a 4-byte
// big-endian length and a body. The messages of every write (PROPOSAL, ACK, COMMIT, INFORM) have
// a binary body (below); every other body is JSON, txns in their binary log encoding (base64),
// a snapshot as its serialized tree, validated with zod on receipt. A frame that fails is an
// error value for the caller (who closes that peer connection), never an exception.
//
// Besides the spec's messages (spec/*.md), the shell exchanges a few of its own over the quorum
// channel: HELLO opens every connection; REQUEST forwards a client's write to the leader; SYNC /
// SYNCED make a learner's next read see what the leader had committed; TOUCH reports session
// activity to the leader (which owns expiry); REVALIDATE tells the leader a session moved here;
// VALIDATE / VALIDATED ask the leader whether a session a client reconnects with lives;
// RECONFIG forwards a client's reconfig (the leader builds the new configuration).
import { z } from 'zod';
import { deserializeTree, serializeTree, type WriteOp } from '../tree/index.ts';
import type { Message, Txn as ZabTxn } from '../zab/types.ts';
import { attempt, Reader, WireError, Writer, type Decoded } from './jute.ts';
import { decodeTxn, encodeTxn, readTxn, writeTxn } from './txn.ts';
import { zabMessageOptions } from './zab-messages.ts';

// The replicated value and a write's origin belong to the server (src/server); the codec carries them.
import type { Entry, LeaderMessage, LearnerMessage, Origin } from '../server/types.ts';

export type Channel = 'quorum' | 'election';

/** The servers' own messages: HELLO opens a link; the rest are the server reducer's (src/server). */
export type ShellMessage = { readonly type: 'HELLO'; readonly sid: number; readonly channel: Channel } | LearnerMessage | LeaderMessage;

export type PeerMessage = Message<Entry> | ShellMessage;

export const PEER_PROTOCOL_VERSION = 3; // 2: binary write messages; 3: VALIDATE/VALIDATED (SERVER-5)

// ---------------------------------------------------------------- encoding

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** A txn entry as it travels (and as traces record it): its log encoding in base64, and its origin. */
export function txnEntryJson(e: Extract<Entry, { kind: 'txn' }>): unknown {
  const txn = b64(encodeTxn(e.txn));
  return e.origin ? { kind: 'txn', txn, origin: e.origin } : { kind: 'txn', txn };
}

function entryJson(e: Entry): unknown {
  return e.kind === 'base' ? { kind: 'base', tree: b64(serializeTree(e.tree)) } : txnEntryJson(e);
}

const txnJson = (t: ZabTxn<Entry>) => ({ zxid: t.zxid, value: entryJson(t.value) });

/** Bigints (session ids) as decimal strings, byte arrays as base64. */
function writeJson(w: WriteOp): unknown {
  switch (w.op) {
    case 'multi':
      return { op: 'multi', ops: w.ops.map(writeJson) };
    case 'create':
    case 'create2':
    case 'createContainer':
    case 'createTTL':
    case 'setData':
      return { ...w, data: w.data === null ? null : b64(w.data) };
    case 'reconfig':
      return { ...w, data: b64(w.data) };
    default:
      return w;
  }
}

function bodyJson(m: PeerMessage): unknown {
  switch (m.type) {
    case 'PROPOSAL':
    case 'INFORM':
      return { type: m.type, txn: txnJson(m.txn) };
    case 'DIFF':
    case 'TRUNC':
    case 'SNAP':
      return { ...m, txns: m.txns.map(txnJson) };
    case 'REQUEST':
      return { ...m, session: String(m.session), write: writeJson(m.write) };
    case 'TOUCH':
      return { type: m.type, sessions: m.sessions.map(String) };
    case 'REVALIDATE':
      return { type: m.type, session: String(m.session) };
    case 'VALIDATE':
      return { type: m.type, id: m.id, session: String(m.session) };
    case 'RECONFIG':
      return { ...m, session: String(m.session) };
    case 'HELLO':
      return { ...m, v: PEER_PROTOCOL_VERSION };
    default:
      return m;
  }
}

// ---------------------------------------------------------------- binary write messages
// A JSON body starts with '{'; a binary one with its tag:
//   u8 tag (1 PROPOSAL, 2 ACK, 3 COMMIT, 4 INFORM), u8 flags (1: mid, 2: origin),
//   [mid: jute string], then ACK / COMMIT: long zxid;
//   PROPOSAL / INFORM: [origin: int server, long id], the txn in its log encoding (its zxid first).
// These are most of the traffic, and JSON with base64 and zod cost the leader a sixth of its CPU.

const TAG = { PROPOSAL: 1, ACK: 2, COMMIT: 3, INFORM: 4 } as const;
const HAS_MID = 1;
const HAS_ORIGIN = 2;
const MAX_MID = 64;

type WriteMessage = Extract<PeerMessage, { type: keyof typeof TAG }>;

function isBinary(m: PeerMessage): m is WriteMessage {
  return m.type === 'ACK' || m.type === 'COMMIT' || ((m.type === 'PROPOSAL' || m.type === 'INFORM') && m.txn.value.kind === 'txn');
}

function encodeBinary(m: WriteMessage, mid: string | undefined): Buffer {
  const w = new Writer(256, 4);
  const origin = (m.type === 'PROPOSAL' || m.type === 'INFORM') && m.txn.value.kind === 'txn' ? m.txn.value.origin : undefined;
  w.raw(Uint8Array.of(TAG[m.type], (mid === undefined ? 0 : HAS_MID) | (origin ? HAS_ORIGIN : 0)));
  if (mid !== undefined) w.string(mid);
  if (m.type === 'ACK' || m.type === 'COMMIT') w.long(BigInt(m.zxid));
  else if (m.txn.value.kind === 'txn') {
    if (origin) w.int(origin.server).long(BigInt(origin.id));
    writeTxn(w, m.txn.value.txn);
  }
  const bytes = w.finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const nonNegative = (n: number, what: string): number => {
  if (!Number.isSafeInteger(n) || n < 0) throw new WireError(`${what} ${n}`);
  return n;
};

function decodeBinary(payload: Uint8Array): Decoded<{ readonly msg: PeerMessage; readonly mid?: string }> {
  return attempt(() => {
    if (payload.length < 2) throw new WireError('truncated peer message');
    const [tag, flags] = [payload[0]!, payload[1]!];
    if (flags & ~(HAS_MID | HAS_ORIGIN)) throw new WireError(`peer message flags ${flags}`);
    // A copy: the txn's data outlives the socket chunk this frame is a view of.
    const r = new Reader(new Uint8Array(payload.subarray(2)));
    let mid: string | undefined;
    if (flags & HAS_MID) {
      mid = r.string();
      if (mid.length > MAX_MID) throw new WireError('mid: not a message id');
    }
    let msg: PeerMessage;
    if (tag === TAG.ACK || tag === TAG.COMMIT) {
      if (flags & HAS_ORIGIN) throw new WireError('an ACK or COMMIT has no origin');
      msg = { type: tag === TAG.ACK ? 'ACK' : 'COMMIT', zxid: nonNegative(Number(r.long()), 'zxid') };
    } else if (tag === TAG.PROPOSAL || tag === TAG.INFORM) {
      let origin: Origin | undefined;
      if (flags & HAS_ORIGIN) {
        const server = r.int();
        if (server < 0 || server > 255) throw new WireError(`origin server ${server}`);
        origin = { server, id: nonNegative(Number(r.long()), 'origin id') };
      }
      const txn = readTxn(r);
      nonNegative(txn.zxid, 'zxid');
      const value: Entry = origin ? { kind: 'txn', txn, origin } : { kind: 'txn', txn };
      msg = { type: tag === TAG.PROPOSAL ? 'PROPOSAL' : 'INFORM', txn: { zxid: txn.zxid, value } };
    } else throw new WireError(`peer message tag ${tag}`);
    r.end(msg.type);
    return mid === undefined ? { msg } : { msg, mid };
  });
}

/**
 * One frame: length, then the body. `mid` is a traced message's id (`--trace`): the
 * receiver records it, so a replay pairs each receive with its send.
 */
export function encodePeer(m: PeerMessage, mid?: string): Buffer {
  if (isBinary(m)) return encodeBinary(m, mid);
  const json = bodyJson(m);
  const body = Buffer.from(JSON.stringify(mid === undefined ? json : { ...(json as object), mid }), 'utf8');
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

// ---------------------------------------------------------------- decoding (zod at the boundary)

const nat = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const sid = z.number().int().min(0).max(255);
const zxid = nat;
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64');
const bytes = base64.transform((s) => new Uint8Array(Buffer.from(s, 'base64')));
const data = bytes.nullable(); // null data is not empty data
const sessionId = z.string().regex(/^-?\d{1,20}$/).transform((s) => BigInt(s));
const origin = z.object({ server: sid, id: nat });

const entry = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('txn'), txn: bytes, origin: origin.optional() }),
  z.object({ kind: z.literal('base'), tree: bytes }),
]);
const txn = z.object({ zxid, value: entry });

// ELECT-14: an observer's vote names nobody: -1 throughout.
const orNone = (t: z.ZodNumber) => z.union([t, z.literal(-1)]);
const vote = z.object({ leader: orNone(sid), zxid: orNone(zxid), epoch: orNone(nat) });

const id = z.object({ scheme: z.string(), id: z.string() });
const acl = z.object({ perms: z.number().int(), id });
const int32 = z.number().int().min(-0x8000_0000).max(0x7fff_ffff);
// Typed as the tree's WriteOp: a schema that drifts from the type it parses into does not compile.
const writeOp: z.ZodType<WriteOp> = z.lazy(() =>
  z.discriminatedUnion('op', [
    z.object({
      op: z.enum(['create', 'create2', 'createContainer', 'createTTL']),
      path: z.string(),
      data,
      acl: z.array(acl),
      flags: int32,
      ttl: z.number().int().optional(),
    }),
    z.object({ op: z.literal('delete'), path: z.string(), version: int32 }),
    z.object({ op: z.literal('deleteContainer'), path: z.string() }),
    z.object({ op: z.literal('setData'), path: z.string(), data, version: int32 }),
    z.object({ op: z.literal('setACL'), path: z.string(), acl: z.array(acl), version: int32 }),
    z.object({ op: z.literal('check'), path: z.string(), version: int32 }),
    z.object({ op: z.literal('multi'), ops: z.array(writeOp) }),
    z.object({ op: z.literal('createSession'), timeout: int32 }),
    z.object({ op: z.literal('closeSession') }),
    z.object({ op: z.literal('reconfig'), data: bytes }),
  ]),
);

const body = z.discriminatedUnion('type', [
  ...zabMessageOptions({ count: nat, zxid, vote, txn }),
  z.object({ type: z.literal('HELLO'), sid, channel: z.enum(['quorum', 'election']), v: z.literal(PEER_PROTOCOL_VERSION) }),
  z.object({ type: z.literal('REQUEST'), origin, session: sessionId, auth: z.array(id), write: writeOp }),
  z.object({ type: z.literal('SYNC'), id: nat }),
  z.object({ type: z.literal('SYNCED'), id: nat, zxid }),
  z.object({ type: z.literal('TOUCH'), sessions: z.array(sessionId) }),
  z.object({ type: z.literal('REVALIDATE'), session: sessionId }),
  z.object({ type: z.literal('VALIDATE'), id: nat, session: sessionId }),
  z.object({ type: z.literal('VALIDATED'), id: nat, valid: z.boolean(), zxid }),
  z.object({
    type: z.literal('RECONFIG'),
    origin,
    session: sessionId,
    auth: z.array(id),
    joining: z.string().nullable(),
    leaving: z.string().nullable(),
    newMembers: z.string().nullable(),
    fromConfig: z.number().int(),
  }),
]);

type Body = z.output<typeof body>;

/** Both ways assignable, readonly or not: the schema and the type say the same thing. */
type Frozen<T> = T extends bigint | string | number | boolean | null | undefined | Uint8Array ? T : T extends readonly (infer U)[] ? readonly Frozen<U>[] : { readonly [K in keyof T]: Frozen<T[K]> };
type Same<A, B> = [Frozen<A>] extends [Frozen<B>] ? ([Frozen<B>] extends [Frozen<A>] ? true : false) : false;
// The schema's output for the servers' own messages is ShellMessage (HELLO's protocol version is checked, then dropped).
const shellMirrors: Same<Exclude<Extract<Body, { type: ShellMessage['type'] }>, { type: 'HELLO' }>, Exclude<ShellMessage, { type: 'HELLO' }>> = true;
void shellMirrors;

class EntryError extends Error {}

function entryOf(e: z.output<typeof entry>): Entry {
  if (e.kind === 'base') {
    const t = deserializeTree(e.tree);
    if (!t.ok) throw new EntryError(`snapshot: ${t.error}`);
    return { kind: 'base', tree: t.tree };
  }
  const t = decodeTxn(e.txn);
  if (!t.ok) throw new EntryError(`txn: ${t.error}`);
  return e.origin ? { kind: 'txn', txn: t.value, origin: e.origin } : { kind: 'txn', txn: t.value };
}

function zabTxnOf(t: z.output<typeof txn>): ZabTxn<Entry> {
  const value = entryOf(t.value);
  if (value.kind === 'txn' && value.txn.zxid !== t.zxid) throw new EntryError(`txn ${value.txn.zxid} sent as ${t.zxid}`);
  // PERSIST-9: a base entry is the snapshot of every committed txn up to its zxid
  return value.kind === 'base' ? { zxid: t.zxid, value, snapshot: true } : { zxid: t.zxid, value };
}

function messageOf(b: Body): PeerMessage {
  switch (b.type) {
    case 'PROPOSAL':
    case 'INFORM':
      return { type: b.type, txn: zabTxnOf(b.txn) };
    case 'DIFF':
    case 'TRUNC':
    case 'SNAP':
      return { ...b, txns: b.txns.map(zabTxnOf) };
    case 'HELLO':
      return { type: 'HELLO', sid: b.sid, channel: b.channel };
    default:
      return b;
  }
}

/** A frame's payload (without its length) as a message, or why it is not one. */
export function decodePeer(payload: Uint8Array): Decoded<PeerMessage> {
  const d = decodePeerFrame(payload);
  return d.ok ? { ok: true, value: d.value.msg } : d;
}

const messageId = z.string().max(64).optional();

/** decodePeer, with the message id a traced sender put on it. */
export function decodePeerFrame(payload: Uint8Array): Decoded<{ readonly msg: PeerMessage; readonly mid?: string }> {
  if (payload.length > 0 && payload[0]! < 0x20) return decodeBinary(payload);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
  const parsed = body.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: `bad peer message: ${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid'}` };
  }
  const mid = messageId.safeParse((json as { mid?: unknown }).mid);
  if (!mid.success) return { ok: false, error: 'bad peer message: mid: not a message id' };
  try {
    const msg = messageOf(parsed.data);
    return { ok: true, value: mid.data === undefined ? { msg } : { msg, mid: mid.data } };
  } catch (e) {
    if (e instanceof EntryError) return { ok: false, error: e.message };
    throw e;
  }
}

/** The spec's messages, as opposed to the shell's own. */
export function isZabMessage(m: PeerMessage): m is Message<Entry> {
  return !SHELL_TYPES.has(m.type);
}

const SHELL_TYPES: ReadonlySet<string> = new Set<ShellMessage['type']>(['HELLO', 'REQUEST', 'SYNC', 'SYNCED', 'TOUCH', 'REVALIDATE', 'VALIDATE', 'VALIDATED', 'RECONFIG']);
