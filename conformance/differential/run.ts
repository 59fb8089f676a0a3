// One workload against one server, and the comparison of two servers' answers. Every step is
// sent and its reply awaited before the next, so each session's stream (its replies and the
// watch events that arrive between them) is deterministic; what differs between two servers
// by nature (zxid values, times, session ids) is rewritten into its structure first.
import { RawClient } from '../raw-client.ts';
import { Reader } from '../../src/wire/jute.ts';
import { MultiResponse } from '../../src/wire/multi.ts';
import { decodeReplyHeader, encodeRequest } from '../../src/wire/protocol.ts';
import { OPS, WatcherEvent, Xid, type SimpleOp } from '../../src/wire/records.ts';
import { Generator, type Step } from './generate.ts';

type StreamItem = { readonly reply: number } | { readonly event: { type: number; state: number; path: string } } | { readonly closed: true } | { readonly stray: number };

export interface Observation {
  readonly seed: number;
  /** Per step: what it was and the reply (decoded, values as the server sent them). */
  readonly steps: { readonly step: Step; readonly reply: unknown }[];
  /** Per session, in arrival order: its replies (by step index), watch events, and its connection closing. */
  readonly streams: StreamItem[][];
  readonly sessionIds: bigint[];
}

interface Session {
  readonly client: RawClient;
  readonly stream: StreamItem[];
  xid: number;
  /** Its connection is gone (closed by either side): later steps on it get 'no connection'. */
  dead: boolean;
  /** Its closeSession was answered: the session itself is gone on the server. */
  ended: boolean;
}

const OPEN_TIMEOUT = 30000;
const REPLY_MS = 10000;

async function open(port: number): Promise<Session | string> {
  try {
    return { client: await RawClient.session(port, { timeout: OPEN_TIMEOUT }), stream: [], xid: 0, dead: false, ended: false };
  } catch (e) {
    return (e as Error).message;
  }
}

/** Frames until the reply with `xid`: watch events on the way go to the session's stream. */
async function replyTo(s: Session, xid: number): Promise<{ xid: number; zxid: bigint; err: number; body: Reader } | 'closed' | 'timeout'> {
  for (;;) {
    let f: Uint8Array | null;
    try {
      f = await s.client.next(REPLY_MS);
    } catch {
      s.dead = true;
      s.client.close();
      return 'timeout';
    }
    if (!f) {
      s.dead = true;
      s.stream.push({ closed: true });
      return 'closed';
    }
    const h = decodeReplyHeader(f);
    if (!h.ok) return 'closed';
    if (h.value.xid === Xid.NOTIFICATION) {
      s.stream.push({ event: WatcherEvent.read(h.value.body) });
      continue;
    }
    if (h.value.xid === xid) return h.value;
    s.stream.push({ stray: h.value.xid });
  }
}

/**
 * After a closeSession's reply, wait for the server to close the connection: Apache ZooKeeper drops
 * the session's watches when it closes the connection, a moment after the reply, and a checkWatches
 * of another session (which answers for any watcher on the path) must not race that.
 */
async function closedByServer(s: Session): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const f = await s.client.next(Math.max(1, deadline - Date.now())).catch(() => null);
    if (!f) return;
    const h = decodeReplyHeader(f);
    if (h.ok && h.value.xid === Xid.NOTIFICATION) s.stream.push({ event: WatcherEvent.read(h.value.body) });
  }
}

function body(op: SimpleOp | 'multi' | 'multiRead', r: Reader): unknown {
  if (r.remaining === 0) return null;
  try {
    return op === 'multi' || op === 'multiRead' ? MultiResponse.read(r) : OPS[op].response.read(r);
  } catch (e) {
    return { undecodable: (e as Error).message };
  }
}

/** Run workload `seed` (its first `ops` steps) on the server at `port`. */
export async function runWorkload(port: number, seed: number, ops: number, prefix?: string): Promise<Observation> {
  const g = new Generator(seed, prefix);
  const sessions: Session[] = [];
  const steps: Observation['steps'] = [];
  const opened = async (): Promise<unknown> => {
    const s = await open(port);
    if (typeof s === 'string') return { openFailed: s };
    sessions.push(s);
    return { opened: sessions.length - 1 };
  };
  for (let i = 0; i < g.initialSessions; i++) await opened();
  try {
    for (let i = 0; i < ops; i++) {
      const step = g.next();
      const s = 'session' in step ? sessions[step.session] : undefined;
      let reply: unknown;
      if (step.kind === 'open') reply = await opened();
      else if (!s || s.dead) reply = 'no connection';
      else {
        const xid = step.kind === 'auth' ? Xid.AUTH : ++s.xid;
        if (step.kind === 'op') s.client.send(xid, step.request);
        else if (step.kind === 'auth') s.client.send(xid, { op: 'auth', type: 0, scheme: step.scheme, auth: new TextEncoder().encode(step.auth) });
        else s.client.raw(encodeRequest(xid, { op: 'closeSession' }));
        const r = await replyTo(s, xid);
        if (typeof r === 'string') reply = r;
        else {
          s.stream.push({ reply: i });
          const b = step.kind === 'op' ? body(step.request.op, r.body) : null;
          reply = { err: r.err, zxid: r.zxid, body: b };
          if (step.kind === 'close') {
            s.dead = s.ended = true;
            await closedByServer(s);
          }
          for (const p of createdPaths(b)) g.learn(p);
        }
      }
      steps.push({ step, reply });
    }
    // A last round trip on every live session: the events its earlier steps caused have arrived.
    for (const s of sessions) {
      if (s.dead) continue;
      const xid = ++s.xid;
      s.client.send(xid, { op: 'exists', path: '/', watch: false });
      const r = await replyTo(s, xid);
      if (typeof r !== 'string') s.stream.push({ reply: -1 });
    }
  } finally {
    await endSessions(port, sessions);
  }
  return { seed, steps, streams: sessions.map((s) => s.stream), sessionIds: sessions.map((s) => s.client.sessionId) };
}

/**
 * End every session the workload left and wait for each close to be answered (so committed),
 * before the next workload starts. A session left behind lives on the server until it expires:
 * one whose connection the server closed (a failed auth: "the session is left to expire", as
 * ZooKeeper does), one given up here after a timeout, or one whose closeSession was sent but not
 * awaited. Its expiry, a session timeout (30 s) later and on each server's own tick, put a
 * closeSession txn into the middle of a later workload: a read's reply header then carried that
 * newer zxid on one server and not on the other (a one-zxid shift, seen once a run under load
 * took more than 30 s). Nothing here is part of the observation (the streams are not touched).
 */
async function endSessions(port: number, sessions: readonly Session[]): Promise<void> {
  await Promise.all(
    sessions.map(async (s) => {
      const id = s.client.sessionId;
      let c = s.client;
      let xid = s.xid + 1;
      if (!s.ended && (s.dead || c.closed) && id !== 0n) {
        c.close();
        // Reattach to the session (its password is known) to close it; a server that no longer
        // has it answers with session id 0.
        try {
          c = await RawClient.session(port, { timeout: OPEN_TIMEOUT, sessionId: id, passwd: s.client.passwd });
        } catch {
          return;
        }
        xid = 1;
        if (c.sessionId !== id) return c.close();
      } else if (s.ended || s.dead) return c.close();
      c.raw(encodeRequest(xid, { op: 'closeSession' }));
      await untilReply(c, xid);
      c.close();
    }),
  );
}

/** Frames on `c` until the reply with `xid`, the connection's close, or REPLY_MS without a frame. */
async function untilReply(c: RawClient, xid: number): Promise<void> {
  const deadline = Date.now() + 3 * REPLY_MS;
  while (Date.now() < deadline) {
    const f = await c.next(REPLY_MS).catch(() => null);
    if (!f) return;
    const h = decodeReplyHeader(f);
    if (!h.ok || h.value.xid === xid) return;
  }
}

function createdPaths(b: unknown): string[] {
  if (b === null || typeof b !== 'object') return [];
  if (Array.isArray(b)) return b.flatMap((x: { type: number; body: unknown }) => (x.type === 1 || x.type === 15 ? createdPaths(x.body) : []));
  return 'path' in b && typeof b.path === 'string' && !('stat' in b && 'children' in b) ? [b.path] : [];
}

// ---------------------------------------------------------------- structure

export interface Normalized {
  readonly steps: unknown[];
  readonly streams: unknown[][];
  /** What breaks the structure itself: one zxid with two times, or times running backwards. */
  readonly problems: string[];
}

/**
 * Lists ZooKeeper keeps in hash sets, so their order is no part of the reply: a node's children
 * ("not sorted and no guarantee is provided as to its natural or lexical order", ZooKeeper's
 * javadoc; two Apache servers of one ensemble can differ), a session's ephemerals, its auth ids.
 */
const UNORDERED = new Set(['children', 'ephemerals', 'clientInfo']);

/**
 * Zxids become tokens by order of first appearance (z0, z1, …), session ids the session's
 * index, times the zxid of the txn that set them once the run shows that mapping is a function
 * and monotone. Byte arrays are base64, bigints decimal.
 */
export function normalize(o: Observation): Normalized {
  const tokens = new Map<bigint, string>();
  const zx = (z: bigint): string | number => {
    if (z === 0n || z === -1n) return Number(z);
    let t = tokens.get(z);
    if (t === undefined) tokens.set(z, (t = `z${tokens.size}`));
    return t;
  };
  const times = new Map<bigint, bigint>();
  const problems: string[] = [];
  const timeOf = (zxid: bigint, t: bigint, where: string): string | number => {
    if (zxid === 0n) return Number(t);
    const seen = times.get(zxid);
    if (seen === undefined) times.set(zxid, t);
    else if (seen !== t) problems.push(`${where}: zxid ${zxid} with times ${seen} and ${t}`);
    return `t(${zx(zxid)})`;
  };
  const owner = (id: bigint): string | number => {
    if (id === 0n) return 0;
    const i = o.sessionIds.indexOf(id);
    return i >= 0 ? `s${i}` : `unknown session 0x${id.toString(16)}`;
  };
  const walk = (v: unknown, where: string): unknown => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return { b64: Buffer.from(v).toString('base64') };
    if (Array.isArray(v)) return v.map((x) => walk(x, where));
    if (v === null || typeof v !== 'object') return v;
    const x = v as Record<string, unknown>;
    if (typeof x.czxid === 'bigint') {
      const s = x as { czxid: bigint; mzxid: bigint; pzxid: bigint; ctime: bigint; mtime: bigint; ephemeralOwner: bigint };
      return {
        ...x,
        czxid: zx(s.czxid),
        mzxid: zx(s.mzxid),
        pzxid: zx(s.pzxid),
        ctime: timeOf(s.czxid, s.ctime, where),
        mtime: timeOf(s.mzxid, s.mtime, where),
        ephemeralOwner: owner(s.ephemeralOwner),
      };
    }
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(x)) {
      if (k === 'zxid' && typeof val === 'bigint') out[k] = zx(val);
      else if (UNORDERED.has(k) && Array.isArray(val)) out[k] = (walk(val, where) as unknown[]).map((e) => JSON.stringify(e)).sort().map((e) => JSON.parse(e) as unknown);
      else out[k] = walk(val, where);
    }
    return out;
  };
  const steps = o.steps.map(({ reply }, i) => walk(reply, `step ${i}`));
  const ordered = [...times].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  for (let i = 1; i < ordered.length; i++) {
    if (ordered[i]![1] < ordered[i - 1]![1]) problems.push(`time runs backwards: zxid ${ordered[i - 1]![0]} at ${ordered[i - 1]![1]}, zxid ${ordered[i]![0]} at ${ordered[i]![1]}`);
  }
  return { steps, streams: o.streams.map((s) => s.map((x) => walk(x, 'stream'))), problems };
}

/** The request of a step, printable (bytes as text where they are text). */
export function describeStep(s: Step): string {
  return JSON.stringify(s, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? { b64: Buffer.from(v).toString('base64') } : v));
}

export interface Mismatch {
  readonly seed: number;
  readonly where: string;
  readonly step?: string;
  readonly a: unknown;
  readonly b: unknown;
}

/** The first difference between two servers' answers to the same workload, or null. */
export function compare(a: Observation, b: Observation): Mismatch | null {
  const na = normalize(a);
  const nb = normalize(b);
  const seed = a.seed;
  for (const [n, who] of [
    [na, 'a'],
    [nb, 'b'],
  ] as const) {
    if (n.problems.length) return { seed, where: `structure of ${who}'s answers`, a: who === 'a' ? n.problems : null, b: who === 'b' ? n.problems : null };
  }
  const len = Math.max(na.steps.length, nb.steps.length);
  for (let i = 0; i < len; i++) {
    const x = JSON.stringify(na.steps[i]);
    const y = JSON.stringify(nb.steps[i]);
    if (x !== y) return { seed, where: `step ${i}`, step: a.steps[i] ? describeStep(a.steps[i]!.step) : undefined, a: na.steps[i], b: nb.steps[i] };
  }
  for (let s = 0; s < Math.max(na.streams.length, nb.streams.length); s++) {
    const sa = na.streams[s] ?? [];
    const sb = nb.streams[s] ?? [];
    for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
      if (JSON.stringify(sa[i]) !== JSON.stringify(sb[i])) {
        const before = sa.slice(0, i).filter((x): x is { reply: number } => typeof x === 'object' && x !== null && 'reply' in x).pop();
        return { seed, where: `session ${s}, item ${i} of its stream (after the reply to step ${before?.reply ?? 'none'})`, a: sa[i], b: sb[i] };
      }
    }
  }
  return null;
}

export function formatMismatch(m: Mismatch, names: readonly [string, string]): string {
  return [
    `mismatch in workload seed ${m.seed} at ${m.where}`,
    ...(m.step ? [`  request: ${m.step}`] : []),
    `  ${names[0]}: ${JSON.stringify(m.a)}`,
    `  ${names[1]}: ${JSON.stringify(m.b)}`,
    `  reproduce: npx zabkit differential --seed ${m.seed}`,
  ].join('\n');
}
