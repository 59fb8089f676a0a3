// A canonical encoding of a whole world as a flat list of numbers, and its 64-bit fingerprint.
// Hand-written per type, in a fixed field order, so that equal worlds always encode alike
// (whatever order their objects' keys were created in) and so that the hot loop of the checker
// never builds strings or calls JSON.
import type {
  Ballot,
  Durable,
  LearnerInfo,
  Message,
  PersistOp,
  ServerState,
  Sid,
  Txn,
  Vote,
} from '../src/zab/index.ts';
import { linksOf, type Ghost, type Slot, type World } from './world.ts';

const PHASE = { looking: 1, following: 2, observing: 3, leading: 4 } as const;
const STAGE: Record<string, number> = { discovery: 1, sync: 2, synced: 3, broadcast: 4, info: 5, epoch: 6, acked: 7, uptodate: 8 };
const PEER: Record<string, number> = { looking: 1, following: 2, observing: 3, leading: 4 };
const TIMER: Record<string, number> = { notify: 1, finalize: 2, init: 3, sync: 4, ping: 5 };
const MSG: Record<Message<unknown>['type'], number> = {
  NOTIFICATION: 1, FOLLOWERINFO: 2, OBSERVERINFO: 3, LEADERINFO: 4, ACKEPOCH: 5, DIFF: 6, TRUNC: 7, SNAP: 8,
  NEWLEADER: 9, ACK: 10, UPTODATE: 11, PROPOSAL: 12, COMMIT: 13, INFORM: 14, PING: 15,
};
const OP: Record<PersistOp<unknown>['kind'], number> = { acceptedEpoch: 1, currentEpoch: 2, append: 3, truncate: 4, snapshot: 5, compact: 6 };

/** Maps a server id to its canonical id (identity, or a symmetry permutation). */
export type SidMap = (sid: Sid) => number;
const identity: SidMap = (s) => s;

/**
 * What the encoding may leave out because no future step can read it (a dead variable):
 * `heard` marks matter only to a sync timer, and with no timeout left in the budget none fires.
 */
export interface Liveness {
  readonly syncTimerCanFire: boolean;
}
const ALL_LIVE: Liveness = { syncTimerCanFire: true };

export class Encoder {
  buf: number[] = [];
  live: Liveness = ALL_LIVE;
  private keys = new Map<Sid, Map<Sid, string>>();
  private ident = true;
  constructor(private sid: SidMap = identity) {}

  reset(sid: SidMap = identity): void {
    this.buf.length = 0;
    this.sid = sid;
    this.ident = sid === identity;
  }

  /** Channel keys, built once: no template strings in the hot loop. */
  private key(from: Sid, to: Sid): string {
    let m = this.keys.get(from);
    if (!m) this.keys.set(from, (m = new Map()));
    let k = m.get(to);
    if (k === undefined) m.set(to, (k = `${from}>${to}`));
    return k;
  }

  private electionKey(from: Sid, to: Sid): string {
    return `${this.key(from, to)}:e`;
  }

  private staleKey(from: Sid, to: Sid): string {
    return `${this.key(from, to)}~`;
  }

  n(x: number): void {
    this.buf.push(x);
  }

  s(x: Sid): void {
    this.buf.push(x < 0 ? x : this.sid(x));
  }

  /** A set of sids: mapped then sorted, so that order of arrival does not matter. */
  sids(xs: readonly Sid[]): void {
    const b = this.buf;
    b.push(xs.length);
    if (this.ident && isSorted(xs)) {
      for (let i = 0; i < xs.length; i++) b.push(xs[i]!);
      return;
    }
    const m = xs.map((x) => this.sid(x)).sort((a, c) => a - c);
    for (let i = 0; i < m.length; i++) b.push(m[i]!);
  }

  txn(t: Txn<number>): void {
    this.buf.push(t.zxid, t.value, t.snapshot ? 1 : 0);
  }

  txns(ts: readonly Txn<number>[]): void {
    this.buf.push(ts.length);
    for (const t of ts) this.buf.push(t.zxid, t.value, t.snapshot ? 1 : 0);
  }

  vote(v: Vote): void {
    this.s(v.leader);
    this.buf.push(v.zxid, v.epoch);
  }

  /** A record keyed by sid: entries in canonical sid order. */
  bySid<V>(r: Readonly<Record<Sid, V>>, each: (v: V) => void): void {
    if (this.ident) {
      // integer keys enumerate in ascending order: already canonical
      let n = 0;
      for (const _ in r) n++;
      this.buf.push(n);
      for (const k in r) {
        this.buf.push(Number(k));
        each(r[k as unknown as number]!);
      }
      return;
    }
    const keys = Object.keys(r).map(Number);
    const order = keys.map((k) => [this.sid(k), k] as const).sort((a, b) => a[0] - b[0]);
    this.buf.push(order.length);
    for (const [mapped, k] of order) {
      this.buf.push(mapped);
      each(r[k]!);
    }
  }

  private held = (h: { readonly acceptedEpoch: number; readonly observer: boolean }): void => {
    this.buf.push(h.acceptedEpoch, h.observer ? 1 : 0);
  };

  ballot = (b: Ballot): void => {
    this.vote(b.vote);
    this.buf.push(b.round, PEER[b.state]!);
  };

  /** A learner record; its acceptedEpoch is read only until the epoch is chosen (DISC-4). */
  private learnerChosen = (l: LearnerInfo): void => {
    this.buf.push(l.observer ? 1 : 0, 0, STAGE[l.stage]!, l.peerLast, l.syncedTo);
  };
  private learnerChoosing = (l: LearnerInfo): void => {
    this.buf.push(l.observer ? 1 : 0, l.acceptedEpoch, STAGE[l.stage]!, l.peerLast, l.syncedTo);
  };

  /** Tickets are only ever compared with the durable ticket: encode them relative to it. */
  private rel(ticket: number, durable: number): number {
    return ticket > durable ? ticket - durable : 0;
  }

  msg(m: Message<number>): void {
    this.buf.push(MSG[m.type]);
    switch (m.type) {
      case 'NOTIFICATION':
        this.vote(m.vote);
        this.buf.push(m.round, PEER[m.state]!);
        return;
      case 'FOLLOWERINFO':
      case 'OBSERVERINFO':
        this.buf.push(m.acceptedEpoch);
        return;
      case 'LEADERINFO':
      case 'NEWLEADER':
        this.buf.push(m.epoch);
        return;
      case 'ACKEPOCH':
        this.buf.push(m.currentEpoch, m.lastZxid);
        return;
      case 'DIFF':
        this.txns(m.txns);
        this.buf.push(m.committed);
        return;
      case 'TRUNC':
        this.buf.push(m.zxid);
        this.txns(m.txns);
        this.buf.push(m.committed);
        return;
      case 'SNAP':
        this.txns(m.txns);
        this.buf.push(m.snapIndex, m.committed);
        return;
      case 'ACK':
      case 'COMMIT':
        this.buf.push(m.zxid);
        return;
      case 'PROPOSAL':
      case 'INFORM':
        this.txn(m.txn);
        return;
      case 'UPTODATE':
      case 'PING':
        return;
    }
  }

  op(o: PersistOp<number>): void {
    this.buf.push(OP[o.kind]);
    switch (o.kind) {
      case 'acceptedEpoch':
      case 'currentEpoch':
        this.buf.push(o.epoch);
        return;
      case 'append':
        this.txns(o.txns);
        return;
      case 'truncate':
        this.buf.push(o.zxid);
        return;
      case 'snapshot':
        this.txns(o.txns);
        this.buf.push(o.snapIndex);
        return;
      case 'compact':
        this.buf.push(o.snapIndex);
        return;
    }
  }

  durable(d: Durable<number>): void {
    this.buf.push(d.acceptedEpoch, d.currentEpoch, d.snapIndex);
    this.txns(d.history);
  }

  server(s: ServerState<number> | null): void {
    if (s === null) {
      this.buf.push(0);
      return;
    }
    this.buf.push(PHASE[s.phase], s.acceptedEpoch, s.currentEpoch, s.snapIndex, s.deliveredZxid, s.round, s.ticket - s.durable);
    this.txns(s.history);
    this.vote(s.vote);
    switch (s.phase) {
      case 'looking':
        this.bySid(s.votes, this.ballot);
        this.bySid(s.outOfElection, this.ballot);
        this.buf.push(s.finalizing ? 1 : 0);
        this.bySid(s.backlog, this.held);
        return;
      case 'following':
      case 'observing':
        this.s(s.leader);
        // in broadcast `committed` is never read again (SYNC-9 read it); `heard` only by a sync timer
        this.buf.push(STAGE[s.stage]!, s.stage === 'broadcast' ? 0 : s.committed, this.live.syncTimerCanFire && s.heard ? 1 : 0);
        if (s.pendingSync) this.msg(s.pendingSync);
        else this.buf.push(0);
        return;
      case 'leading':
        this.buf.push(STAGE[s.stage]!, s.epoch, this.rel(s.epochTicket, s.durable), this.rel(s.currentEpochTicket, s.durable));
        this.bySid(s.learners, s.epoch !== 0 ? this.learnerChosen : this.learnerChoosing);
        // read only while choosing the epoch (DISC-3/4), collecting ACKEPOCHs (DISC-8), establishing (SYNC-8)
        this.sids(s.epoch === 0 ? s.connecting : []);
        this.sids(s.stage === 'discovery' ? s.epochAcks : []);
        this.sids(s.stage === 'broadcast' ? [] : s.newLeaderAcks);
        this.sids(this.live.syncTimerCanFire ? s.heard : []);
        this.buf.push(s.proposals.length);
        for (const p of s.proposals) {
          this.buf.push(p.zxid, this.rel(p.ticket, s.durable));
          this.sids(p.acks);
        }
        return;
    }
  }

  /** One server's slot: volatile and durable state, disk queue, held messages, timers. */
  slot(slot: Slot<number>): void {
    this.server(slot.server);
    this.durable(slot.durable);
    // pending tickets follow `completed` one by one: their order says it all
    this.buf.push(slot.pending.length);
    for (const p of slot.pending) this.op(p.op);
    this.buf.push(slot.outbox.length);
    for (const h of slot.outbox) {
      this.buf.push(this.rel(h.ticket, slot.completed));
      this.s(h.to);
      this.msg(h.msg);
    }
    let timers = 0;
    for (const t of slot.timers) timers |= 1 << TIMER[t]!;
    this.buf.push(timers, slot.applied, slot.snapshots.length);
    for (const j of slot.snapshots) this.buf.push(j.zxid, j.base);
  }

  channel(q: readonly Message<number>[]): void {
    this.buf.push(q.length);
    for (const m of q) this.msg(m);
  }

  /** Pairs of sids (`a>b` blocked links, `a<b` unnoticed breaks), mapped and sorted. */
  pairs(keys: readonly string[], sep: string): void {
    this.buf.push(keys.length);
    if (keys.length === 0) return;
    const mapped = keys.map((k) => {
      const [a, b] = k.split(sep).map(Number) as [number, number];
      return this.sid(a) * 1000 + this.sid(b);
    });
    mapped.sort((a, b) => a - b);
    for (const x of mapped) this.buf.push(x);
  }

  ghost(g: Ghost<number>): void {
    this.txns(g.committed);
    for (const e of g.commitEpoch) this.buf.push(e);
    // zxids exceed array-index keys, so they enumerate in insertion order: sort when needed
    const zs = Object.keys(g.proposed).map(Number);
    if (!isSorted(zs)) zs.sort((a, b) => a - b);
    this.buf.push(zs.length);
    for (const z of zs) this.buf.push(z, g.proposed[z]!);
    // epochs are small integer keys, which enumerate in ascending order
    for (const e in g.established) {
      this.buf.push(Number(e));
      this.sids(g.established[e as unknown as number]!);
    }
    this.buf.push(-1);
    for (const e in g.initial) this.buf.push(Number(e), g.initial[e as unknown as number]!);
    this.buf.push(-1, g.violations.length);
  }

  /** The whole world, servers in canonical order (`order` lists real sids by canonical position). */
  world(w: World<number>, order: readonly Sid[], extra: readonly number[]): void {
    for (let i = 0; i < extra.length; i++) this.buf.push(extra[i]!);
    for (const sid of order) {
      this.slot(w.slots[sid]!);
      for (const to of order) if (to !== sid) this.channel(w.channels[this.key(sid, to)] ?? []);
      if (w.twoChannels) for (const to of order) if (to !== sid) this.channel(w.channels[this.electionKey(sid, to)] ?? []);
      for (const to of order) if (to !== sid) this.channel(w.channels[this.staleKey(sid, to)] ?? []);
    }
    this.pairs(w.blocked, '>');
    this.pairs(w.unnoticed, '<');
    this.ghost(w.ghost);
  }
}

/**
 * Fingerprints of worlds whose server ids are already canonical: each slot, channel and ghost is
 * hashed once and the hash kept by object identity, so a child world — which shares every part
 * its action did not touch with its parent — costs only the parts that changed.
 */
const HASH = Symbol('fingerprint');

export class CachedFingerprint {
  private enc = new Encoder();
  constructor(live: Liveness = ALL_LIVE) {
    this.enc.live = live;
  }
  private parts: number[] = [];
  private keys: string[] = [];
  private sids: readonly Sid[] = [];
  private two = false;

  /** The part's hash, encoded and kept on it the first time (kind 0: slot, 1: channel, 2: ghost). */
  private part(obj: object, kind: 0 | 1 | 2): void {
    let h = (obj as { [HASH]?: [number, number] })[HASH];
    if (!h) {
      const e = this.enc;
      e.reset();
      if (kind === 0) e.slot(obj as Slot<number>);
      else if (kind === 1) e.channel(obj as readonly Message<number>[]);
      else e.ghost(obj as Ghost<number>);
      h = hash64(e.buf);
      // Non-enumerable: an object spread ({ ...slot, x }) does not copy it, so a changed copy
      // never inherits its original's hash. The parts are never mutated after creation.
      Object.defineProperty(obj, HASH, { value: h, enumerable: false });
    }
    this.parts.push(h[0], h[1]);
  }

  /** `extra` numbers first (the checker's budgets), then the world's parts. */
  of(w: World<number>, extra: readonly number[]): [number, number] {
    if (this.sids !== w.sids || this.two !== w.twoChannels) {
      this.sids = w.sids;
      this.two = w.twoChannels;
      this.keys = linksOf(w.sids, w.twoChannels).map(([, , key]) => key);
    }
    const parts = this.parts;
    parts.length = 0;
    for (let i = 0; i < extra.length; i++) parts.push(extra[i]!);
    const sids = w.sids;
    for (let i = 0; i < sids.length; i++) this.part(w.slots[sids[i]!]!, 0);
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const q = w.channels[keys[i]!]!;
      if (q.length === 0) parts.push(0, 0);
      else this.part(q, 1);
    }
    this.part(w.ghost, 2);
    parts.push(w.blocked.length);
    for (const b of w.blocked) parts.push(b.length, b.charCodeAt(0), b.charCodeAt(b.length - 1));
    parts.push(w.unnoticed.length); // sorted, and sids are small: first and last characters say it all
    for (const u of w.unnoticed) parts.push(u.length, u.charCodeAt(0), u.charCodeAt(u.length - 1));
    return hash64(parts);
  }
}

function isSorted(xs: readonly number[]): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i]! < xs[i - 1]!) return false;
  return true;
}

/** Two independent 32-bit hashes of the encoding, as one 64-bit fingerprint (hi, lo). */
export function hash64(buf: readonly number[]): [number, number] {
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0x01000193 ^ buf.length;
  for (let i = 0; i < buf.length; i++) {
    const x = buf[i]!;
    const lo = x | 0;
    // for an int32 (nearly every number encoded), the high word is its sign, without a division
    const hi = lo === x ? lo >> 31 : Math.floor(x / 0x1_0000_0000) | 0;
    h1 = Math.imul(h1 ^ lo, 0x01000193);
    h1 = Math.imul(h1 ^ hi, 0x01000193);
    h2 = Math.imul(h2 ^ Math.imul(lo, 0x9e3779b1), 0x85ebca6b);
    h2 = (h2 << 13) | (h2 >>> 19);
    h2 = Math.imul(h2 ^ hi, 0xc2b2ae35);
  }
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x7feb352d);
  h1 ^= h1 >>> 15;
  h2 ^= h2 >>> 16;
  h2 = Math.imul(h2, 0x846ca68b);
  h2 ^= h2 >>> 16;
  // Neither half is ever 0: a shared table (model/shared-fingerprints.ts) marks free slots with 0.
  // Every set sees the same fingerprints, so one worker and many count alike.
  return [h1 === 0 ? 1 : h1 >>> 0, h2 === 0 ? 1 : h2 >>> 0];
}

/** An open-addressing set of 64-bit fingerprints in two typed arrays: 8 bytes per state. */
export class FingerprintSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private used: Uint8Array;
  size = 0;

  constructor(capacity = 1 << 16) {
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.used = new Uint8Array(capacity);
  }

  get bytes(): number {
    return this.hi.byteLength + this.lo.byteLength + this.used.byteLength;
  }

  /** Adds the fingerprint; returns false if it was already there. */
  add(hi: number, lo: number): boolean {
    if ((this.size + 1) * 4 > this.hi.length * 3) this.grow();
    const mask = this.hi.length - 1;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    while (this.used[i]) {
      if (this.hi[i] === hi && this.lo[i] === lo) return false;
      i = (i + 1) & mask;
    }
    this.used[i] = 1;
    this.hi[i] = hi;
    this.lo[i] = lo;
    this.size++;
    return true;
  }

  private grow(): void {
    const { hi, lo, used } = this;
    this.hi = new Uint32Array(hi.length * 2);
    this.lo = new Uint32Array(lo.length * 2);
    this.used = new Uint8Array(used.length * 2);
    this.size = 0;
    for (let i = 0; i < used.length; i++) if (used[i]) this.add(hi[i]!, lo[i]!);
  }
}
