// Writes (spec/server.md SERVER-4, SERVER-6, SERVER-9, SERVER-10, SERVER-14): a learner forwards
// them, the leader prepares each against its speculative tree (TREE-1) and proposes it, and every
// server applies what ZAB delivers to its committed tree, answering the writes that began here.
import { apply, Code, errorTxn, prepare, type Applied, type ErrorCode, type Id, type Tree, type Txn, type WriteOp } from '../tree/index.ts';
import { configOf, configText, reconfigure } from './membership.ts';
import type { Origin, ServerEffect, ServerState, Stepped, Submission, Waiting, WriteAsk } from './types.ts';

import { fire } from './reads.ts';
import { done } from './stepped.ts';

/**
 * SERVER-6, SERVER-10: the leader takes a write; one through another server than its session's
 * owner is stale and becomes a SessionMoved txn. A session with no owner gets this one.
 */
export function accept(s: ServerState, ask: WriteAsk): Stepped {
  if (s.role !== 'leader') return done(s);
  const w = ask.write;
  const exempt = typeof w === 'number' || ('op' in w && w.op === 'createSession') || ask.origin === undefined;
  // A session the leader's tree does not hold has no owner to check: its txn fails as expired (SESSION-5), not as moved.
  if (exempt || !s.tree.sessions.has(ask.session)) return done(s, { type: 'propose', ask });
  const owner = s.owners.get(ask.session);
  if (owner === undefined) return done({ ...s, owners: s.owners.set(ask.session, ask.via) }, { type: 'propose', ask });
  if (owner === ask.via) return done(s, { type: 'propose', ask });
  return done(s, { type: 'propose', ask: { ...ask, write: Code.SessionMoved } });
}

/**
 * SERVER-10: a write of one of this server's clients (`wait`: who is answered when its txn is
 * delivered here). The leader proposes it; a learner forwards it; elsewhere it is dropped.
 */
export function submit(s: ServerState, session: bigint, auth: readonly Id[], write: Submission, wait: Waiting): Stepped {
  if (s.role === 'readonly' && wait.kind === 'reply') {
    // SERVER-13: a read-only session's close just ends it; other writes are refused.
    return done(s, { type: 'not-read-only', ref: wait.ref, zxid: s.lastZxid, close: 'op' in write && write.op === 'closeSession' });
  }
  if ((s.role !== 'leader' && s.role !== 'learner') || s.leader === null) {
    return done(s, wait.kind === 'reply' ? { type: 'dropped', ref: wait.ref } : { type: 'refuse', conn: wait.conn, why: 'refusing connection: not serving' });
  }
  const origin: Origin = { server: s.config.sid, id: s.nextOrigin };
  const state: ServerState = { ...s, nextOrigin: s.nextOrigin + 1, waiting: s.waiting.set(origin.id, wait) };
  if (s.role === 'leader') return accept(state, { session, auth, write, via: s.config.sid, origin });
  const msg = 'reconfig' in write
    ? { type: 'RECONFIG' as const, origin, session, auth, ...write.reconfig, fromConfig: write.fromConfig }
    : { type: 'REQUEST' as const, origin, session, auth, write };
  return done(state, { type: 'send', to: s.leader, msg });
}

/**
 * BCAST-1, SERVER-14: the leader turns a write it accepted into a txn against its speculative
 * tree and proposes it; a reconfig becomes the new configuration text (its version: this zxid).
 * `write` a code: the ensemble refused the request (SessionMoved, BadVersion…); it still gets a txn.
 */
export function propose(s: ServerState, ask: WriteAsk, now: number): Stepped {
  if (s.role !== 'leader' || s.speculative === null) return done(s);
  const zxid = s.nextZxid;
  const header = { session: ask.session, auth: ask.auth, zxid, time: now };
  const write = typeof ask.write !== 'number' && 'reconfig' in ask.write ? reconfigWrite(s, s.speculative, ask.write, zxid) : ask.write;
  // mutant (SERVER-15's class): the leader checks its own clean-up against what is committed, not what is in flight
  const stale = s.config.deviation === 'reap-from-committed' && typeof write !== 'number' && write.op === 'deleteContainer';
  const base = stale ? s.tree : s.speculative;
  const prepared = typeof write === 'number' ? ({ ok: false, err: write } as const) : prepare(base, { ...header, write }, s.config.tree);
  const effects: ServerEffect[] = [];
  if (prepared.ok) for (const w of prepared.warnings) effects.push({ type: 'log', level: 'warn', msg: 'quota', fields: { warning: w } });
  const txn = prepared.ok ? prepared.txn : errorTxn(header, prepared);
  const applied = (prepared.ok && !stale ? prepared.applied : undefined) ?? apply(s.speculative, txn);
  const carried: Txn = { ...txn, digest: applied.tree.digest }; // TREE-27: every replica compares its own after applying it
  effects.push({ type: 'zab-propose', zxid, entry: ask.origin ? { kind: 'txn', txn: carried, origin: ask.origin } : { kind: 'txn', txn: carried } });
  let state: ServerState = {
    ...s,
    nextZxid: zxid + 1,
    speculative: applied.tree,
    speculated: s.speculated.push({ zxid, before: s.speculative, applied }),
  };
  // mutant reply-before-commit: the leader answers its own client from the speculative tree, before the txn commits
  const wait = s.config.deviation === 'reply-before-commit' && ask.origin?.server === s.config.sid ? s.waiting.get(ask.origin.id) : undefined;
  if (wait?.kind === 'reply' && applied.result.type !== 'error') {
    state = { ...state, waiting: state.waiting.delete(ask.origin!.id) };
    effects.push({ type: 'reply', ref: wait.ref, zxid, result: applied.result, close: txn.op.type === 'closeSession' });
  }
  return { state, effects };
}

/** SERVER-14: the configuration a reconfig asks for, checked as ZooKeeper does; only observers may change. */
function reconfigWrite(s: ServerState, speculative: Tree, r: Extract<Submission, { reconfig: unknown }>, zxid: number): WriteOp | ErrorCode {
  const now = configOf(speculative) ?? { members: s.config.members, version: 0 };
  if (r.fromConfig !== -1 && r.fromConfig !== now.version) return Code.BadVersion;
  const next = reconfigure(now.members, r.reconfig);
  return typeof next === 'number' ? next : { op: 'reconfig', data: new TextEncoder().encode(configText({ members: next, version: zxid })) };
}

/**
 * BCAST-5 at the server: a delivered txn applies to the committed tree (the leader reuses its
 * speculative outcome when the txn commits onto the very tree it was applied to); TREE-27 compares
 * the digest; its watch events go out before the reply to the write that began here (SERVER-12).
 */
export function delivered(s: ServerState, txn: Txn, origin: Origin | undefined): Stepped & { readonly wait?: Waiting } {
  let speculated = s.speculated;
  while (speculated.size > 0 && speculated.first()!.zxid < txn.zxid) speculated = speculated.shift();
  const head = speculated.first();
  let reused: Applied | undefined;
  if (head?.zxid === txn.zxid) {
    speculated = speculated.shift();
    if (head.before === s.tree) reused = head.applied;
  }
  const applied = reused ?? apply(s.tree, txn);
  if (txn.digest !== undefined && txn.digest !== applied.tree.digest) {
    return done({ ...s, speculated }, { type: 'diverged', zxid: txn.zxid, expected: txn.digest, actual: applied.tree.digest });
  }
  const wait = origin?.server === s.config.sid ? s.waiting.get(origin.id) : undefined;
  // WATCH-2, SERVER-12: its events reach the watchers here (a closing session's own too) before the reply.
  const fired = fire({ ...s, tree: applied.tree, lastZxid: txn.zxid, speculated, waiting: wait ? s.waiting.delete(origin!.id) : s.waiting }, applied.events);
  const state = fired.state;
  const effects: ServerEffect[] = [{ type: 'applied', zxid: txn.zxid, session: txn.session, op: txn.op, events: applied.events }, ...(fired.effects as ServerEffect[])];
  if (wait?.kind === 'reply') {
    const r = applied.result;
    if (r.type === 'error' && r.err === Code.SessionMoved) effects.push({ type: 'moved', ref: wait.ref }); // SERVER-6
    else effects.push({ type: 'reply', ref: wait.ref, zxid: txn.zxid, result: r, ...(txn.op.type === 'setData' ? { data: txn.op.data } : {}), close: txn.op.type === 'closeSession' });
    // mutant event-after-reply: the watch events go out after the reply (INV-26)
    if (s.config.deviation === 'event-after-reply') effects.push(...effects.splice(1, fired.effects.length));
  }
  return { state, effects, ...(wait ? { wait } : {}) };
}

/**
 * SERVER-11: a client's sync. At the leader everything it committed before is delivered here:
 * answered at once (in request order, by the client port). A learner asks the leader for its
 * last committed zxid, and answers once it has delivered that far. A read-only server refuses it.
 */
export function sync(s: ServerState, ref: number): Stepped {
  if (s.role === 'readonly') return done(s, { type: 'not-read-only', ref, zxid: s.lastZxid, close: false });
  if (s.role !== 'learner' || s.leader === null) return done(s, { type: 'synced', ref, zxid: s.lastZxid });
  const id = s.nextOrigin;
  return done({ ...s, nextOrigin: id + 1, syncs: s.syncs.set(id, { ref, zxid: null }) }, { type: 'send', to: s.leader, msg: { type: 'SYNC', id } });
}

/** SERVER-11: the syncs whose leader zxid this server has delivered are answered, in the order they came. */
export function answerSyncs(s: ServerState): Stepped {
  if (s.syncs.size === 0) return done(s);
  const effects: ServerEffect[] = [];
  let syncs = s.syncs;
  for (const [id, w] of s.syncs) {
    if (w.zxid === null || w.zxid > s.lastZxid) continue;
    syncs = syncs.delete(id);
    effects.push({ type: 'synced', ref: w.ref, zxid: s.lastZxid });
  }
  return { state: syncs === s.syncs ? s : { ...s, syncs }, effects };
}
