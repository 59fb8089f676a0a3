// The simulated world the reducers run in: servers with durable and volatile state kept apart,
// FIFO channels per ordered pair whose breaks each end notices on its own, later (TCP), disks
// that complete persists in order, timers, crashes and partitions. The scenario tests, the random-schedule
// property test and the model checker all drive the very reducers of src/zab through it.
import {
  applyPersist,
  applySnapshot,
  boot,
  indexOfZxid,
  isQuorum,
  lastZxid,
  epochOf,
  formatZxid,
  emptyDurable,
  step,
  type Config,
  type Durable,
  type Effect,
  type Input,
  type Message,
  type ServerState,
  type Sid,
  type TimerName,
  type Timing,
  type Txn,
  type Deviation,
} from '../src/zab/index.ts';
import { afterEffect, EMPTY_STATE } from './state-machine.ts';
import { complete, dropHeld, issue, nextBatch, type Executor, type Outgoing } from '../src/zab/executor.ts';

export type { Held } from '../src/zab/executor.ts';

/** A server: its state, its disk, and the executor's queue and held messages (src/zab/executor.ts). */
export interface Slot<T> extends Executor<T> {
  readonly config: Config;
  /** null while crashed. */
  readonly server: ServerState<T> | null;
  readonly durable: Durable<T>;
  readonly timers: readonly TimerName[];
  /** The state machine (model/state-machine.ts): what the server's deliveries built; volatile. */
  readonly applied: number;
  /** Snapshots being written (PERSIST-11), oldest first: the committed state at `zxid`; lost in a crash. */
  readonly snapshots: readonly { readonly zxid: number; readonly base: T }[];
}

/** What the world remembers beyond the servers, so that invariants can be judged (spec/invariants.md). */
export interface Ghost<T> {
  /** The one global sequence of committed txns: index i is the txn first delivered at position i. */
  readonly committed: readonly Txn<T>[];
  /** The epoch of the leader under which committed[i] was first delivered. */
  readonly commitEpoch: readonly number[];
  /** Every txn a leader proposed, by zxid. */
  readonly proposed: Readonly<Record<number, T>>;
  /** Which servers became established leaders of each epoch. */
  readonly established: Readonly<Record<number, readonly Sid[]>>;
  /**
   * INV-17: the last zxid of each epoch's initial history, the leader's history when it left
   * discovery (the least, if two leader attempts of one epoch got that far).
   */
  readonly initial: Readonly<Record<number, number>>;
  /** Violations of properties of actions rather than states (INV-6, INV-10, INV-16). */
  readonly violations: readonly { readonly id: string; readonly detail: string }[];
}

export interface World<T> {
  readonly sids: readonly Sid[];
  readonly syncDisk: boolean;
  /** Two FIFO channels per ordered pair, election and quorum, as the shell has (else one). */
  readonly twoChannels: boolean;
  readonly slots: Readonly<Record<Sid, Slot<T>>>;
  /**
   * `${from}>${to}` (quorum, or the only channel), `${from}>${to}:e` (election) and `${from}>${to}~`
   * (what a broken quorum connection still holds) → messages in flight, oldest first.
   */
  readonly channels: Readonly<Record<string, readonly Message<T>[]>>;
  /**
   * `${end}<${peer}`, sorted: the quorum connection between them broke and `end` has not noticed yet.
   * Until it does, what it sends to `peer` is lost; its notice (a `disconnected` input) is an action
   * of its own, taken at any time — and at the latest when a message of a newer connection from
   * `peer` reaches it (the shell reports the old stream's loss before a new stream's first message).
   */
  readonly unnoticed: readonly string[];
  /** Links that are cut by a partition: `${a}>${b}` for both directions. */
  readonly blocked: readonly string[];
  readonly ghost: Ghost<T>;
}

export interface WorldOptions {
  readonly voters: readonly Sid[];
  readonly observers?: readonly Sid[];
  readonly snapCount?: number;
  readonly timing?: Partial<Timing>;
  readonly deviation?: Deviation;
  /**
   * Synchronous disks: every persist completes within the step that issued it, before the server
   * takes its next input (an executor that fsyncs inline). Off: persists complete as separate
   * actions, so a crash can fall between a write being issued and it being durable.
   */
  readonly syncDisk?: boolean;
  /**
   * Two channels per ordered pair, as the shell's peers have: NOTIFICATIONs on the election
   * channel, everything else on the quorum channel, each FIFO, so that a notification and a quorum
   * message may arrive in either order. A cut link or a dropped learner breaks the quorum
   * channel only; a crash or a partition breaks both.
   */
  readonly twoChannels?: boolean;
}

export const DEFAULT_TIMING: Timing = { tickMs: 2000, initLimit: 10, syncLimit: 5, finalizeMs: 200, notifyMs: 200 };

/** The key of the channel from `from` to `to`: the quorum channel (the only one), or the election channel. */
export function chan(from: Sid, to: Sid, election = false): string {
  return election ? `${from}>${to}:e` : `${from}>${to}`;
}

/** The old connection's part of the quorum channel from `from` to `to`: sent before it broke. */
export function staleChan(from: Sid, to: Sid): string {
  return `${from}>${to}~`;
}

/** The channel a deliver action takes its message from. */
export function channelKey(a: { readonly from: Sid; readonly to: Sid; readonly election?: true; readonly stale?: true }): string {
  return a.stale ? staleChan(a.from, a.to) : chan(a.from, a.to, a.election === true);
}

/** `end` has not yet noticed that its quorum connection with `peer` broke. */
export function unnoticedKey(end: Sid, peer: Sid): string {
  return `${end}<${peer}`;
}

export type Link = readonly [from: Sid, to: Sid, key: string, election: boolean, stale: boolean];
const LINKS = new WeakMap<readonly Sid[], readonly Link[]>();
const LINKS2 = new WeakMap<readonly Sid[], readonly Link[]>();

/** Every channel of the world (ordered pairs, with their election channels when there are two), computed once per configuration. */
export function linksOf(sids: readonly Sid[], two = false): readonly Link[] {
  const cache = two ? LINKS2 : LINKS;
  let links = cache.get(sids);
  if (!links) {
    const pairs = sids.flatMap((a) => sids.filter((b) => b !== a).map((b) => [a, b] as const));
    links = [
      ...pairs.map(([a, b]): Link => [a, b, chan(a, b), false, false]),
      ...(two ? pairs.map(([a, b]): Link => [a, b, chan(a, b, true), true, false]) : []),
      ...pairs.map(([a, b]): Link => [a, b, staleChan(a, b), false, true]),
    ];
    cache.set(sids, links);
  }
  return links;
}

/** A world whose servers have never run: every server is down until `restart`. */
export function createWorld<T>(opts: WorldOptions): World<T> {
  const observers = opts.observers ?? [];
  const sids = [...opts.voters, ...observers].sort((a, b) => a - b);
  const slots: Record<Sid, Slot<T>> = {};
  const channels: Record<string, readonly Message<T>[]> = {};
  for (const sid of sids) {
    const config: Config = {
      sid,
      voters: opts.voters,
      observers,
      snapCount: opts.snapCount ?? 0,
      timing: { ...DEFAULT_TIMING, ...opts.timing },
      ...(opts.deviation ? { deviation: opts.deviation } : {}),
    };
    slots[sid] = { config, server: null, durable: emptyDurable<T>(), pending: [], completed: 0, outbox: [], timers: [], applied: EMPTY_STATE, snapshots: [] };
    for (const to of sids) {
      if (to === sid) continue;
      channels[chan(sid, to)] = [];
      channels[staleChan(sid, to)] = [];
      if (opts.twoChannels) channels[chan(sid, to, true)] = [];
    }
  }
  return {
    sids,
    syncDisk: opts.syncDisk ?? false,
    twoChannels: opts.twoChannels ?? false,
    slots,
    channels,
    unnoticed: [],
    blocked: [],
    ghost: { committed: [], commitEpoch: [], proposed: {}, established: {}, initial: {}, violations: [] },
  };
}

// ------------------------------------------------------------------ a mutable draft of one action

/** Sees every call of `step` (and boot) the world makes, in order: how traces are captured. */
export type Recorder<T> = (event: {
  readonly node: Sid;
  readonly input: Input<T>;
  readonly effects: readonly Effect<T>[];
  readonly state: ServerState<T>;
  readonly config?: Config;
}) => void;

/** Applies one action to a copy of the world; the original is never touched. */
class Draft<T> {
  slots: Record<Sid, Slot<T>>;
  channels: Record<string, readonly Message<T>[]>;
  blocked: string[];
  unnoticed: readonly string[];
  ghost: Ghost<T>;
  private inbox: { sid: Sid; input: Input<T> }[] = [];

  constructor(
    readonly w: World<T>,
    private readonly rec?: Recorder<T>,
  ) {
    this.slots = { ...w.slots };
    this.channels = { ...w.channels };
    this.blocked = [...w.blocked];
    this.unnoticed = w.unnoticed;
    this.ghost = w.ghost;
  }

  done(): World<T> {
    const w = this.w;
    return { sids: w.sids, syncDisk: w.syncDisk, twoChannels: w.twoChannels, slots: this.slots, channels: this.channels, unnoticed: this.unnoticed, blocked: this.blocked, ghost: this.ghost };
  }

  slot(sid: Sid): Slot<T> {
    const s = this.slots[sid];
    if (!s) throw new Error(`no server ${sid}`);
    return s;
  }

  setSlot(sid: Sid, fields: Partial<Slot<T>>): void {
    this.slots[sid] = { ...this.slot(sid), ...fields };
  }

  /** Feed an input to a live server, then everything it causes, breadth first. */
  input(sid: Sid, input: Input<T>): void {
    this.inbox.push({ sid, input });
    this.drain();
  }

  /** Run queued inputs (disconnect notices) until none is left. */
  drain(): void {
    while (this.inbox.length) {
      const next = this.inbox.shift()!;
      this.run(next.sid, next.input);
    }
  }

  private run(sid: Sid, input: Input<T>): void {
    const slot = this.slot(sid);
    if (slot.server === null) return;
    const before = slot.server;
    const [after, effects] = step(before, input);
    this.rec?.({ node: sid, input, effects, state: after });
    if (after === before && effects.length === 0) return; // a no-op step: keep the slot (and its cached hash)
    this.setSlot(sid, { server: after });
    this.ghost = nextGhost(this.ghost, sid, before, after, effects, input);
    this.execute(sid, effects);
  }

  /** Start a server from its durable state (PERSIST-4): volatile state, disk queue and timers are fresh. */
  boot(sid: Sid): void {
    const slot = this.slot(sid);
    const [server, effects] = boot(slot.config, slot.durable);
    this.rec?.({ node: sid, input: { type: 'restart', durable: slot.durable }, effects, state: server, config: slot.config });
    this.setSlot(sid, { server, pending: [], completed: 0, outbox: [], timers: [], applied: EMPTY_STATE, snapshots: [] });
    this.execute(sid, effects);
    this.drain();
  }

  /** Perform a step's effects in order: queue sends, persists and timers; cut links. */
  private execute(sid: Sid, effects: readonly Effect<T>[]): void {
    if (effects.length === 0) return;
    for (const e of effects) {
      const slot = this.slot(sid);
      switch (e.type) {
        case 'send':
        case 'sendAfterPersist':
          this.queue(sid, slot, e);
          break;
        case 'persist': {
          this.queue(sid, slot, e);
          // PERSIST-6: the snapshot is of the state now, which the delivers before brought to snapIndex;
          // it is written beside the log (the `compacted` action completes it), as the shell does.
          const at = e.op.kind === 'compact' ? slot.server?.history[e.op.snapIndex - 1] : undefined;
          if (at) this.setSlot(sid, { snapshots: [...slot.snapshots, { zxid: at.zxid, base: slot.applied as T }] });
          break;
        }
        case 'deliver': // the ghost records it too (nextGhost)
        case 'installSnapshot':
          this.setSlot(sid, { applied: afterEffect(slot.applied, e, this.ghost.committed) });
          break;
        case 'setTimer':
          if (!slot.timers.includes(e.timer)) this.setSlot(sid, { timers: [...slot.timers, e.timer] });
          break;
        case 'disconnect':
          this.breakLink(sid, e.peer, sid);
          break;
      }
    }
    if (this.w.syncDisk) while (this.slot(sid).pending.length) this.completePersist(sid);
  }

  /** PERSIST-2, PERSIST-3: the executor queues a persist, or says whether a message leaves now. */
  private queue(sid: Sid, slot: Slot<T>, e: Effect<T>): void {
    const [x, out] = issue(slot, e);
    if (x !== slot) this.setSlot(sid, { pending: x.pending, completed: x.completed, outbox: x.outbox });
    this.send(sid, out);
  }

  private send(from: Sid, out: Outgoing<T>): void {
    for (const h of out) this.transmit(from, h.to, h.msg);
  }

  /** NET-1: FIFO per ordered pair (and an election channel with twoChannels). */
  private transmit(from: Sid, to: Sid, msg: Message<T>): void {
    const target = this.slots[to];
    if (!target || target.server === null || this.blocked.includes(chan(from, to))) return; // lost
    const election = this.w.twoChannels && msg.type === 'NOTIFICATION';
    if (!election && this.unnoticed.includes(unnoticedKey(from, to))) return; // written to a dead connection: lost
    const key = chan(from, to, election);
    const q = this.channels[key] ?? [];
    // ZooKeeper queues at most one notification per peer (QuorumCnxManager's send queue holds one
    // and drops the older): a newer NOTIFICATION supersedes one not yet delivered at the tail.
    if (msg.type === 'NOTIFICATION' && q.length && q[q.length - 1]!.type === 'NOTIFICATION') {
      this.channels[key] = [...q.slice(0, -1), msg];
    } else {
      this.channels[key] = [...q, msg];
    }
  }

  /**
   * NET-2, NET-3: the quorum connection between `a` and `b` breaks. Each end that did not close it itself
   * notices later, by an action of its own (`notice`); until then what it sends is lost. What was
   * in flight stays readable by its receiver (`~` channels: the kernel delivers what it buffered,
   * whatever the receiver's state by then) until the receiver closes it itself (`by`, now or
   * later) or reads a newer connection from the same peer; `lose` (a reset or a partition): gone.
   */
  breakLink(a: Sid, b: Sid, by: Sid | null, lose = false): void {
    for (const [x, y] of [[a, b], [b, a]] as const) {
      const cur = chan(x, y);
      const old = staleChan(x, y);
      if (lose || y === by || this.slot(y).server === null) {
        this.channels[cur] = [];
        this.channels[old] = [];
      } else if (this.channels[cur]!.length) {
        this.channels[old] = [...this.channels[old]!, ...this.channels[cur]!];
        this.channels[cur] = [];
      }
    }
    for (const [end, peer] of [[a, b], [b, a]] as const) {
      if (end === by) this.closed(end, peer);
      else if (this.slot(end).server !== null) this.addUnnoticed(end, peer);
    }
  }

  private addUnnoticed(end: Sid, peer: Sid): void {
    const k = unnoticedKey(end, peer);
    if (!this.unnoticed.includes(k)) this.unnoticed = [...this.unnoticed, k].sort();
  }

  /** `end` knows its connection with `peer` is gone: nothing is held for it any more (BCAST-10). */
  private closed(end: Sid, peer: Sid): boolean {
    const k = unnoticedKey(end, peer);
    const had = this.unnoticed.includes(k);
    if (had) this.unnoticed = this.unnoticed.filter((x) => x !== k);
    const slot = this.slot(end);
    if (slot.outbox.length) this.setSlot(end, { outbox: dropHeld(slot, peer).outbox });
    return had;
  }

  /** NET-3: `end` notices that its quorum connection with `peer` broke. */
  notice(end: Sid, peer: Sid): void {
    if (this.closed(end, peer)) this.inbox.push({ sid: end, input: { type: 'disconnected', peer } });
  }

  /** A server's process is gone: what was sent to it is lost; what it sent stays readable (NET-2). */
  crashed(sid: Sid): void {
    this.unnoticed = this.unnoticed.filter((k) => !k.startsWith(`${sid}<`));
    for (const other of this.w.sids) {
      if (other === sid) continue;
      this.breakLink(sid, other, null);
      if (this.w.twoChannels) this.channels[chan(other, sid, true)] = [];
    }
  }

  /**
   * The disk finishes its next write: the first pending persist, or with `group` every append
   * queued behind it as well (group commit, as the shell's disk does), reported as one completion.
   */
  completePersist(sid: Sid, group = false): void {
    const slot = this.slot(sid);
    const batch = group ? nextBatch(slot) : slot.pending.slice(0, 1);
    const last = batch[batch.length - 1];
    if (!last || slot.server === null) return;
    const [x, out, done] = complete(slot, last.ticket);
    let durable = slot.durable;
    for (const p of done) {
      const next = applyPersist(durable, p.op);
      if (next.acceptedEpoch < durable.acceptedEpoch || next.currentEpoch < durable.currentEpoch) {
        this.violation('INV-10', `server ${sid}: durable epochs went back (${durable.acceptedEpoch},${durable.currentEpoch}) → (${next.acceptedEpoch},${next.currentEpoch})`);
      }
      durable = next;
    }
    this.setSlot(sid, { durable, pending: x.pending, completed: x.completed, outbox: x.outbox });
    this.send(sid, out);
    this.input(sid, { type: 'persisted', ticket: last.ticket });
  }

  /** PERSIST-11: the oldest snapshot being written is durable; the server may compact its history (PERSIST-9). */
  completeSnapshot(sid: Sid): void {
    const slot = this.slot(sid);
    const job = slot.snapshots[0];
    if (!job || slot.server === null) return;
    this.setSlot(sid, { durable: applySnapshot(slot.durable, job.zxid, job.base), snapshots: slot.snapshots.slice(1) });
    this.input(sid, { type: 'compacted', zxid: job.zxid, base: job.base });
  }

  violation(id: string, detail: string): void {
    this.ghost = { ...this.ghost, violations: [...this.ghost.violations, { id, detail }] };
  }
}

// ------------------------------------------------------------------ actions

export type Action<T> =
  /** `stale`: from what a broken quorum connection still holds (NET-2). */
  | { readonly type: 'deliver'; readonly from: Sid; readonly to: Sid; readonly election?: true; readonly stale?: true }
  /** NET-3: `sid` notices that its quorum connection with `peer` broke. */
  | { readonly type: 'notice'; readonly sid: Sid; readonly peer: Sid }
  /** `group`: the disk completes a group commit (every append queued behind the first) in one write. */
  | { readonly type: 'persist'; readonly sid: Sid; readonly group?: true }
  | { readonly type: 'compacted'; readonly sid: Sid }
  | { readonly type: 'timeout'; readonly sid: Sid; readonly timer: TimerName }
  | { readonly type: 'propose'; readonly sid: Sid; readonly value: T }
  | { readonly type: 'crash'; readonly sid: Sid }
  | { readonly type: 'restart'; readonly sid: Sid }
  /** A connection breaks; `lose`: reset, what was in flight is lost (else still readable, NET-2). */
  | { readonly type: 'cut'; readonly a: Sid; readonly b: Sid; readonly lose?: true }
  | { readonly type: 'partition'; readonly groups: readonly (readonly Sid[])[] }
  | { readonly type: 'heal' };

export function apply<T>(w: World<T>, a: Action<T>, rec?: Recorder<T>): World<T> {
  const d = new Draft(w, rec);
  switch (a.type) {
    case 'deliver': {
      const key = channelKey(a);
      const q = d.channels[key] ?? [];
      const msg = q[0];
      if (msg === undefined) return w;
      d.channels[key] = q.slice(1);
      if (!a.stale && !a.election) {
        // NET-4: a newer quorum connection's first message comes after the news that the old one
        // broke, and the old one's unread input is gone (the shell closes it on the new HELLO)
        d.notice(a.to, a.from);
        d.channels[staleChan(a.from, a.to)] = [];
      }
      d.input(a.to, { type: 'receive', from: a.from, msg });
      break;
    }
    case 'notice':
      if (!w.unnoticed.includes(unnoticedKey(a.sid, a.peer))) return w;
      d.notice(a.sid, a.peer);
      d.drain();
      break;
    case 'persist':
      d.completePersist(a.sid, a.group === true);
      break;
    case 'compacted':
      d.completeSnapshot(a.sid);
      break;
    case 'timeout': {
      const slot = d.slot(a.sid);
      if (!slot.timers.includes(a.timer)) return w;
      d.setSlot(a.sid, { timers: slot.timers.filter((t) => t !== a.timer) });
      d.input(a.sid, { type: 'timeout', timer: a.timer });
      break;
    }
    case 'propose':
      d.input(a.sid, { type: 'propose', value: a.value });
      break;
    case 'crash': {
      const slot = d.slot(a.sid);
      if (slot.server === null) return w;
      d.setSlot(a.sid, { server: null, pending: [], outbox: [], timers: [], snapshots: [], applied: EMPTY_STATE });
      d.crashed(a.sid);
      d.drain();
      break;
    }
    case 'restart':
      if (d.slot(a.sid).server !== null) return w;
      d.boot(a.sid);
      break;
    case 'cut':
      d.breakLink(a.a, a.b, null, a.lose === true);
      d.drain();
      break;
    case 'partition': {
      const group = new Map<Sid, number>();
      a.groups.forEach((g, i) => g.forEach((s) => group.set(s, i)));
      for (const x of w.sids) {
        for (const y of w.sids) {
          if (x < y && group.get(x) !== group.get(y)) {
            d.blocked.push(chan(x, y), chan(y, x));
            d.breakLink(x, y, null, true); // nothing crosses a partition, in flight or later
            if (w.twoChannels) {
              d.channels[chan(x, y, true)] = [];
              d.channels[chan(y, x, true)] = [];
            }
          }
        }
      }
      d.drain();
      break;
    }
    case 'heal':
      d.blocked = [];
      break;
  }
  return d.done();
}

/**
 * The ghost after one step of server `sid`: deliveries extend the committed sequence (INV-8 judges
 * one that skips ahead), a proposal is recorded and judged by INV-6 at that moment, and a leader
 * that becomes established is recorded for INV-7. The world and trace replay both use it.
 */
export function nextGhost<T>(
  g: Ghost<T>,
  sid: Sid,
  before: ServerState<T> | null,
  after: ServerState<T>,
  effects: readonly Effect<T>[],
  input: Input<T>,
): Ghost<T> {
  let { committed, commitEpoch, proposed, established, initial, violations } = g;
  let last = before?.deliveredZxid ?? 0; // the server's position in the committed sequence, by zxid
  for (const eff of effects) {
    if (eff.type === 'installSnapshot') {
      if (indexOfZxid(committed, eff.zxid) < 0) {
        violations = [...violations, { id: 'INV-8', detail: `server ${sid} installed a snapshot at ${formatZxid(eff.zxid)}, which was never committed` }];
      }
      last = eff.zxid;
      continue;
    }
    if (eff.type !== 'deliver') continue;
    const at = last === 0 ? 0 : indexOfZxid(committed, last) + 1;
    if (at === 0 && last !== 0) {
      violations = [...violations, { id: 'INV-8', detail: `server ${sid} delivered ${formatZxid(eff.txn.zxid)} after ${formatZxid(last)}, which was never committed` }];
    } else if (at === committed.length) {
      committed = [...committed, eff.txn];
      commitEpoch = [...commitEpoch, after.currentEpoch];
    }
    last = eff.txn.zxid;
  }
  if (input.type === 'propose' && after !== before && after.phase === 'leading') {
    const txn = after.history[after.history.length - 1]!;
    proposed = { ...proposed, [txn.zxid]: input.value };
    const v = primaryIntegrity(committed, after);
    if (v) violations = [...violations, v];
  }
  const d = discoveryQuorum(sid, before, after, input);
  if (d) violations = [...violations, d];
  if (leftDiscovery(before, after)) {
    const z = lastZxid(after.history);
    const known = initial[after.epoch];
    if (known === undefined || z < known) initial = { ...initial, [after.epoch]: z };
  }
  const wasEstablished = before?.phase === 'leading' && before.stage === 'broadcast';
  if (after.phase === 'leading' && after.stage === 'broadcast' && !wasEstablished) {
    const prev = established[after.epoch] ?? [];
    if (!prev.includes(sid)) established = { ...established, [after.epoch]: [...prev, sid] };
  }
  if (committed === g.committed && proposed === g.proposed && established === g.established && initial === g.initial && violations === g.violations) return g;
  return { committed, commitEpoch, proposed, established, initial, violations };
}

/** INV-6: when a leader of epoch e proposes, it has delivered every txn of an epoch before e delivered anywhere. */
export function primaryIntegrity<T>(committed: readonly Txn<T>[], leader: ServerState<T>): { id: string; detail: string } | null {
  const txn = leader.history[leader.history.length - 1];
  if (!txn) return null;
  for (let i = 0; i < committed.length; i++) {
    const c = committed[i]!;
    if (epochOf(c.zxid) >= epochOf(txn.zxid)) continue;
    const first = leader.history[0];
    const held = (first?.snapshot && first.zxid >= c.zxid) || indexOfZxid(leader.history, c.zxid) >= 0;
    if (c.zxid > leader.deliveredZxid || !held) {
      return { id: 'INV-6', detail: `leader ${leader.config.sid} proposed ${formatZxid(txn.zxid)} before delivering committed ${formatZxid(c.zxid)}` };
    }
  }
  return null;
}

/**
 * INV-16 (Zab's Phase 1): a leader leaves discovery only with a quorum of ACKEPOCHs, and counts
 * toward it only those whose (currentEpoch, lastZxid) is no more recent than its own, so the
 * history it starts its epoch with is the most recent of that quorum (ZooKeeper's form, DISC-7/8).
 */
function discoveryQuorum<T>(sid: Sid, before: ServerState<T> | null, after: ServerState<T>, input: Input<T>): { id: string; detail: string } | null {
  if (before?.phase !== 'leading' || after.phase !== 'leading') return null;
  if (input.type === 'receive' && input.msg.type === 'ACKEPOCH' && !before.epochAcks.includes(input.from) && after.epochAcks.includes(input.from)) {
    const ack = input.msg;
    const own = lastZxid(before.history);
    // compared here, not with the reducer's own DISC-7 test, so that a wrong one there is caught
    if (ack.currentEpoch > before.currentEpoch || (ack.currentEpoch === before.currentEpoch && ack.lastZxid > own)) {
      return {
        id: 'INV-16',
        detail: `leader ${sid} counted server ${input.from}'s ACKEPOCH (${ack.currentEpoch}, ${formatZxid(ack.lastZxid)}), more recent than its own (${before.currentEpoch}, ${formatZxid(own)})`,
      };
    }
  }
  if (leftDiscovery(before, after) && !isQuorum(after.config, after.epochAcks)) {
    return { id: 'INV-16', detail: `leader ${sid} left discovery with ACKEPOCHs from ${after.epochAcks.join(', ') || 'nobody'}, not a quorum` };
  }
  return null;
}

/** This step took a leader out of discovery (DISC-8): its epoch and initial history are fixed. */
function leftDiscovery<T>(before: ServerState<T> | null, after: ServerState<T>): after is Extract<ServerState<T>, { readonly phase: 'leading' }> {
  return before?.phase === 'leading' && after.phase === 'leading' && before.stage === 'discovery' && after.stage !== 'discovery';
}

/** The actions enabled in a world (propose only at established leaders, values drawn by the caller). */
export function enabled<T>(w: World<T>): Action<T>[] {
  const out: Action<T>[] = [];
  for (const [from, to, key, election, stale] of linksOf(w.sids, w.twoChannels)) {
    if (w.channels[key]!.length) out.push(deliverAction(from, to, election, stale));
  }
  for (const k of w.unnoticed) out.push(noticeOf(k));
  for (const sid of w.sids) {
    const slot = w.slots[sid]!;
    if (slot.server === null) continue;
    if (slot.pending.length) out.push({ type: 'persist', sid });
    if (nextBatch(slot).length > 1) out.push({ type: 'persist', sid, group: true });
    if (slot.snapshots.length) out.push({ type: 'compacted', sid });
    for (const timer of slot.timers) out.push({ type: 'timeout', sid, timer });
  }
  return out;
}

/** The `notice` action for an `unnoticed` key (`${end}<${peer}`). */
export function noticeOf<T>(key: string): Action<T> {
  const [sid, peer] = key.split('<').map(Number) as [Sid, Sid];
  return { type: 'notice', sid, peer };
}

export function deliverAction<T>(from: Sid, to: Sid, election: boolean, stale: boolean): Action<T> {
  if (stale) return { type: 'deliver', from, to, stale };
  return election ? { type: 'deliver', from, to, election } : { type: 'deliver', from, to };
}

/** Which faults and writes the environment may still inject (each budget has something left). */
export interface Allowed {
  readonly write: boolean;
  readonly crash: boolean;
  readonly cut: boolean;
  readonly partition: boolean;
}

/**
 * The environment's actions beside the protocol's own: a client write (with `value`) at an
 * established leader, a crash of a live server, a restart of a crashed one, a cut link between
 * two live servers, one server partitioned from the rest, and healing — each while allowed.
 */
export function environment(w: World<number>, allowed: Allowed, value: number): Action<number>[] {
  const out: Action<number>[] = [];
  for (const sid of w.sids) {
    const s = w.slots[sid]!.server;
    if (allowed.write && isEstablishedLeader(s)) out.push({ type: 'propose', sid, value });
    if (s && allowed.crash) out.push({ type: 'crash', sid });
    if (!s) out.push({ type: 'restart', sid });
  }
  if (allowed.cut) {
    const live = w.sids.filter((s) => w.slots[s]!.server !== null);
    for (const a of live) for (const b of live) if (a < b) out.push({ type: 'cut', a, b });
  }
  if (allowed.partition && w.blocked.length === 0) {
    for (const sid of w.sids) out.push({ type: 'partition', groups: [[sid], w.sids.filter((x) => x !== sid)] });
  }
  if (w.blocked.length) out.push({ type: 'heal' });
  return out;
}

export function isEstablishedLeader(s: ServerState<unknown> | null): boolean {
  return s !== null && s.phase === 'leading' && s.stage === 'broadcast';
}
