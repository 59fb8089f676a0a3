// spec/invariants.md, as code. Every check is total: a state in which a property cannot even be
// evaluated (an index past the end, a missing record) is reported as a violation, never thrown.
import { applyPersist, connectedQuorum, continues, counterOf, deliveredCount, epochOf, formatZxid, indexOfZxid, lastZxid, type ServerState, type Sid, type Txn } from '../src/zab/index.ts';
import { committedState, isModelState } from './state-machine.ts';
import { isEstablishedLeader, type World } from './world.ts';

export interface Violation {
  readonly id: string;
  readonly detail: string;
}

type Check = <T>(w: World<T>) => Violation[];

/**
 * A history as the invariants read it: a snapshot entry (PERSIST-9, only ever first) replaced by
 * the committed txns it stands for, so that positions are positions in the committed sequence.
 * null: the snapshot names a zxid the committed sequence never reached.
 */
export function expand<T>(h: readonly Txn<T>[], committed: readonly Txn<T>[]): readonly Txn<T>[] | null {
  const first = h[0];
  if (!first?.snapshot) return h;
  const upTo = indexOfZxid(committed, first.zxid);
  if (upTo < 0) return null;
  return [...committed.slice(0, upTo + 1), ...h.slice(1)];
}

/** A server with its history expanded (null: see `expand`). */
export function viewOf<T>(s: ServerState<T>, committed: readonly Txn<T>[]): ServerState<T> | null {
  if (!s.history[0]?.snapshot) return s;
  const history = expand(s.history, committed);
  if (history === null) return null;
  return { ...s, history, snapIndex: s.snapIndex + history.length - s.history.length };
}

/** Each live server as the invariants see it (null view: INV-8 reports it). */
function live<T>(w: World<T>): [Sid, ServerState<T>][] {
  const out: [Sid, ServerState<T>][] = [];
  for (const sid of w.sids) {
    const s = w.slots[sid]?.server;
    if (!s) continue;
    const v = viewOf(s, w.ghost.committed);
    if (v) out.push([sid, v]);
  }
  return out;
}

/** The delivered sequence: the history up to deliveredZxid, which it must hold (null: it does not). */
function deliveredOf<T>(s: ServerState<T>): readonly Txn<T>[] | null {
  const n = deliveredCount(s);
  if (n > 0 && s.history[n - 1]!.zxid !== s.deliveredZxid) return null;
  return s.history.slice(0, n);
}

function sameTxn<T>(a: Txn<T> | undefined, b: Txn<T> | undefined): boolean {
  return a !== undefined && b !== undefined && a.zxid === b.zxid && Object.is(a.value, b.value);
}

function isPrefix<T>(a: readonly Txn<T>[], b: readonly Txn<T>[]): boolean {
  if (a.length > b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameTxn(a[i], b[i])) return false;
  return true;
}

/** The proposals as a Map, made once per ghost record (a zxid is too large a number to be a fast property key). */
const proposals = new WeakMap<object, ReadonlyMap<number, unknown>>();
function proposalsOf(p: Readonly<Record<number, unknown>>): ReadonlyMap<number, unknown> {
  let m = proposals.get(p);
  if (!m) proposals.set(p, (m = new Map(Object.entries(p).map(([k, v]) => [Number(k), v]))));
  return m;
}

/** INV-1 Integrity: a server delivers only txns some leader proposed. */
const integrity: Check = (w) => {
  const out: Violation[] = [];
  const proposed = proposalsOf(w.ghost.proposed);
  for (const [sid, s] of live(w)) {
    for (const t of deliveredOf(s) ?? []) {
      if (!proposed.has(t.zxid) || !Object.is(proposed.get(t.zxid), t.value)) {
        out.push({ id: 'INV-1', detail: `server ${sid} delivered ${formatZxid(t.zxid)} that no leader proposed` });
      }
    }
  }
  return out;
};

/** INV-2 Total order: every delivered sequence is a prefix of the one global committed sequence. */
const totalOrder: Check = (w) => {
  const out: Violation[] = [];
  for (const [sid, s] of live(w)) {
    const d = deliveredOf(s);
    if (d && !isPrefix(d, w.ghost.committed)) out.push({ id: 'INV-2', detail: `server ${sid} delivered out of the committed order` });
  }
  return out;
};

/** INV-3 Agreement: of any two servers, one has delivered a prefix of what the other has. */
const agreement: Check = (w) => {
  const out: Violation[] = [];
  const all = live(w);
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const a = deliveredOf(all[i]![1]);
      const b = deliveredOf(all[j]![1]);
      if (!a || !b) continue; // INV-8 reports it
      if (!(isPrefix(a, b) || isPrefix(b, a))) out.push({ id: 'INV-3', detail: `servers ${all[i]![0]} and ${all[j]![0]} delivered diverging sequences` });
    }
  }
  return out;
};

/** Every pair of txns a live server delivered one right after the other. */
function deliveredPairs<T>(w: World<T>, visit: (sid: Sid, a: Txn<T>, b: Txn<T>) => void): void {
  for (const [sid, s] of live(w)) {
    const d = deliveredOf(s) ?? [];
    for (let i = 1; i < d.length; i++) visit(sid, d[i - 1]!, d[i]!);
  }
}

/** INV-4 Local primary order: a server delivers an epoch's txns in the order that epoch's leader numbered them, skipping none. */
const localPrimaryOrder: Check = (w) => {
  const out: Violation[] = [];
  deliveredPairs(w, (sid, a, b) => {
    const expected = epochOf(a.zxid) === epochOf(b.zxid) ? counterOf(a.zxid) + 1 : 1;
    if (counterOf(b.zxid) !== expected) {
      out.push({ id: 'INV-4', detail: `server ${sid} delivered ${formatZxid(b.zxid)} right after ${formatZxid(a.zxid)}` });
    }
  });
  for (const [sid, s] of live(w)) {
    const first = deliveredOf(s)?.[0];
    if (first && counterOf(first.zxid) !== 1) out.push({ id: 'INV-4', detail: `server ${sid} first delivered ${formatZxid(first.zxid)}` });
  }
  return out;
};

/** INV-5 Global primary order: a server delivers txns of earlier epochs before those of later ones (zxids increase). */
const globalPrimaryOrder: Check = (w) => {
  const out: Violation[] = [];
  deliveredPairs(w, (sid, a, b) => {
    if (b.zxid <= a.zxid) out.push({ id: 'INV-5', detail: `server ${sid} delivered ${formatZxid(b.zxid)} after ${formatZxid(a.zxid)}` });
  });
  return out;
};

/**
 * Properties of actions, judged as they happen and recorded by model/world.ts: INV-6 primary
 * integrity when a leader proposes, INV-10 when a persist completes, INV-16 discovery recency when a
 * leader counts an ACKEPOCH.
 */
const recorded: Check = (w) => w.ghost.violations.map((v) => ({ id: v.id, detail: v.detail }));

/** INV-7: at most one server is established as leader of any epoch. */
const oneLeaderPerEpoch: Check = (w) => {
  const out: Violation[] = [];
  for (const [epoch, sids] of Object.entries(w.ghost.established)) {
    if (sids.length > 1) out.push({ id: 'INV-7', detail: `epoch ${epoch} had leaders ${sids.join(', ')}` });
  }
  return out;
};

/** INV-8: what a server delivered lies within its history and agrees with the committed sequence. */
const committedPrefix: Check = (w) => {
  const out: Violation[] = [];
  for (const sid of w.sids) {
    const s = w.slots[sid]?.server;
    if (s && viewOf(s, w.ghost.committed) === null) {
      out.push({ id: 'INV-8', detail: `server ${sid} holds a snapshot at ${formatZxid(s.history[0]!.zxid)}, which was never committed` });
    }
  }
  for (const [sid, s] of live(w)) {
    const d = deliveredOf(s);
    if (d === null) {
      out.push({ id: 'INV-8', detail: `server ${sid} delivered up to ${formatZxid(s.deliveredZxid)}, which its history does not hold` });
      continue;
    }
    for (let i = 0; i < d.length; i++) {
      if (!sameTxn(d[i], w.ghost.committed[i])) {
        out.push({ id: 'INV-8', detail: `server ${sid} holds ${formatZxid(d[i]!.zxid)} at committed position ${i}` });
        break;
      }
    }
  }
  return out;
};

/** INV-9: no committed write is lost — every established leader holds every txn committed up to its epoch. */
const noCommittedWriteLost: Check = (w) => {
  const out: Violation[] = [];
  for (const [sid, s] of live(w)) {
    if (!isEstablishedLeader(s) || s.phase !== 'leading') continue;
    w.ghost.committed.forEach((t, i) => {
      const ce = w.ghost.commitEpoch[i];
      if (ce === undefined || ce > s.epoch) return;
      if (!sameTxn(s.history[i], t)) out.push({ id: 'INV-9', detail: `leader ${sid} of epoch ${s.epoch} lacks committed ${formatZxid(t.zxid)}` });
    });
  }
  return out;
};

/**
 * INV-17: a voter whose disk says it follows epoch e (currentEpoch = acceptedEpoch = e) holds on
 * that disk at least e's initial history, up to its last zxid. (A learner already syncing into a
 * later epoch has a higher acceptedEpoch and may have truncated below it.)
 */
const durableEpochHistory: Check = (w) => {
  const out: Violation[] = [];
  for (const sid of w.sids) {
    const slot = w.slots[sid]!;
    const d = slot.durable;
    if (!slot.config.voters.includes(sid) || d.currentEpoch === 0 || d.currentEpoch !== d.acceptedEpoch) continue;
    const initial = w.ghost.initial[d.currentEpoch];
    const last = lastZxid(d.history);
    if (initial !== undefined && last < initial) {
      out.push({ id: 'INV-17', detail: `server ${sid}'s disk says epoch ${d.currentEpoch} but holds up to ${formatZxid(last)}, short of that epoch's initial history (${formatZxid(initial)})` });
    }
  }
  return out;
};

/** INV-10: durable epochs never go back (judged per persist in model/world.ts) and currentEpoch ≤ acceptedEpoch. */
const durableOrder: Check = (w) => {
  const out: Violation[] = [];
  for (const sid of w.sids) {
    const d = w.slots[sid]?.durable;
    if (!d) out.push({ id: 'INV-10', detail: `server ${sid} has no durable state` });
    else if (d.currentEpoch > d.acceptedEpoch) out.push({ id: 'INV-10', detail: `server ${sid} durable currentEpoch ${d.currentEpoch} > acceptedEpoch ${d.acceptedEpoch}` });
  }
  return out;
};

/** INV-11: every history, in memory and on disk, has strictly increasing zxids and a snapshot within it. */
const wellFormed: Check = (w) => {
  const out: Violation[] = [];
  const check = (where: string, h: readonly Txn<unknown>[], snapIndex: number) => {
    for (let i = 1; i < h.length; i++) {
      if (h[i]!.zxid <= h[i - 1]!.zxid) {
        out.push({ id: 'INV-11', detail: `${where}: zxid ${formatZxid(h[i]!.zxid)} after ${formatZxid(h[i - 1]!.zxid)}` });
        return;
      }
    }
    if (snapIndex < 0 || snapIndex > h.length) out.push({ id: 'INV-11', detail: `${where}: snapshot covers ${snapIndex} of ${h.length}` });
    if (h.some((t, i) => t.snapshot && i > 0)) out.push({ id: 'INV-11', detail: `${where}: a snapshot entry past the first` });
  };
  for (const sid of w.sids) {
    const slot = w.slots[sid]!;
    check(`server ${sid} on disk`, slot.durable.history, slot.durable.snapIndex);
    if (slot.server) check(`server ${sid} in memory`, slot.server.history, slot.server.snapIndex);
  }
  return out;
};

/** INV-12: a leader's outstanding proposals are exactly its history past what it delivered. */
const leaderBookkeeping: Check = (w) => {
  const out: Violation[] = [];
  for (const [sid, s] of live(w)) {
    if (s.phase !== 'leading' || s.stage !== 'broadcast') continue;
    const rest = s.history.slice(deliveredCount(s));
    if (rest.length !== s.proposals.length || rest.some((t, i) => t.zxid !== s.proposals[i]!.zxid)) {
      out.push({ id: 'INV-12', detail: `leader ${sid}: ${s.proposals.length} proposals for ${rest.length} undelivered txns` });
    }
  }
  return out;
};

/** INV-13 History consistency: a follower in broadcast holds a prefix of its established leader's history. */
const historyConsistency: Check = (w) => {
  const out: Violation[] = [];
  for (const [sid, s] of live(w)) {
    if (s.phase !== 'following' || s.stage !== 'broadcast') continue;
    const leader = w.slots[s.leader]?.server;
    const l = leader ? viewOf(leader, w.ghost.committed) : null;
    if (!l || l.phase !== 'leading' || l.stage !== 'broadcast' || l.epoch !== s.currentEpoch) continue;
    if (!isPrefix(s.history, l.history)) out.push({ id: 'INV-13', detail: `follower ${sid}'s history is not a prefix of leader ${s.leader}'s` });
  }
  return out;
};

/**
 * Gaps: each epoch's txns follow one another from counter 1, and a history starts with a snapshot
 * or with a first txn (what storage recovery checks too). The first gap, or null.
 */
export function gapIn<T>(h: readonly Txn<T>[]): string | null {
  const first = h[0];
  if (first && !first.snapshot && !continues(0, first.zxid)) return `starts at ${formatZxid(first.zxid)} with no snapshot`;
  for (let i = 1; i < h.length; i++) {
    if (!continues(h[i - 1]!.zxid, h[i]!.zxid)) return `${formatZxid(h[i]!.zxid)} follows ${formatZxid(h[i - 1]!.zxid)}`;
  }
  return null;
}

/**
 * INV-14 Durable completeness: what a server's disk holds (as a restart would read it) is a history
 * without gaps whose snapshot is a committed state, and once the persists it has issued complete
 * it holds every txn the server delivered.
 */
const durableComplete: Check = (w) => {
  const out: Violation[] = [];
  for (const sid of w.sids) {
    const slot = w.slots[sid]!;
    const gap = gapIn(slot.durable.history);
    if (gap) out.push({ id: 'INV-14', detail: `server ${sid} on disk: ${gap}` });
    const s = slot.server;
    if (!s || s.deliveredZxid === 0) continue;
    let eventual = slot.durable;
    for (const p of slot.pending) eventual = applyPersist(eventual, p.op);
    const h = expand(eventual.history, w.ghost.committed);
    const k = indexOfZxid(w.ghost.committed, s.deliveredZxid);
    if (h === null || k < 0 || h.length <= k || h[k]!.zxid !== s.deliveredZxid) {
      out.push({ id: 'INV-14', detail: `server ${sid} delivered up to ${formatZxid(s.deliveredZxid)}, which its disk will not hold` });
    }
  }
  return out;
};

/**
 * INV-15 State agreement: a server's state machine is exactly the committed sequence applied up
 * to the zxid it delivered, so servers that delivered up to the same zxid hold equal state; and a
 * snapshot, in memory or on disk, is the committed state at its zxid.
 */
const stateAgreement: Check = (w) => {
  const out: Violation[] = [];
  const c = w.ghost.committed;
  for (const sid of w.sids) {
    const slot = w.slots[sid]!;
    for (const [where, h] of [['on disk', slot.durable.history], ['in memory', slot.server?.history ?? []]] as const) {
      const first = h[0];
      // a real server's snapshot (a tree, in a replayed trace) is checked by its data digest instead
      if (first?.snapshot && isModelState(first.value) && committedState(c, first.zxid) !== first.value) {
        out.push({ id: 'INV-15', detail: `server ${sid} ${where}: the snapshot at ${formatZxid(first.zxid)} is not the committed state there` });
      }
    }
    const s = slot.server;
    if (!s) continue;
    if (committedState(c, s.deliveredZxid) !== slot.applied) {
      out.push({ id: 'INV-15', detail: `server ${sid} delivered up to ${formatZxid(s.deliveredZxid)} but its state is not the committed state there` });
    }
  }
  return out;
};

/**
 * INV-18: an established leader holds connections to a quorum of voters (itself included), as
 * far as it knows: once it has noticed that too many are gone, it is no longer leading.
 */
const connectedQuorumHeld: Check = (w) => {
  const out: Violation[] = [];
  for (const sid of w.sids) {
    const s = w.slots[sid]?.server;
    if (s?.phase !== 'leading' || s.stage !== 'broadcast' || connectedQuorum(s.config, s.learners)) continue;
    out.push({ id: 'INV-18', detail: `server ${sid} leads epoch ${s.epoch} with connections to ${Object.keys(s.learners).join(', ') || 'no learner'} only, not a quorum` });
  }
  return out;
};

export const INVARIANTS: readonly { readonly id: string; readonly check: Check }[] = [
  { id: 'INV-1', check: integrity },
  { id: 'INV-2', check: totalOrder },
  { id: 'INV-3', check: agreement },
  { id: 'INV-4', check: localPrimaryOrder },
  { id: 'INV-5', check: globalPrimaryOrder },
  { id: 'INV-6', check: recorded },
  { id: 'INV-7', check: oneLeaderPerEpoch },
  { id: 'INV-8', check: committedPrefix },
  { id: 'INV-9', check: noCommittedWriteLost },
  { id: 'INV-10', check: durableOrder },
  { id: 'INV-11', check: wellFormed },
  { id: 'INV-12', check: leaderBookkeeping },
  { id: 'INV-13', check: historyConsistency },
  { id: 'INV-14', check: durableComplete },
  { id: 'INV-15', check: stateAgreement },
  { id: 'INV-17', check: durableEpochHistory },
  { id: 'INV-18', check: connectedQuorumHeld },
];

export function checkInvariants<T>(w: World<T>): Violation[] {
  const out: Violation[] = [];
  for (const inv of INVARIANTS) out.push(...inv.check(w));
  return out;
}
