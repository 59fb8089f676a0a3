// The server's reducer (spec/server.md): one input in, the next state and its effects out.
import { List, Map as IMap } from 'immutable';
import { emptyTree, emptyWatches, firstSessionId, sessionClock, touch } from '../tree/index.ts';
import { nextZxid } from '../zab/broadcast.ts';
import type { Leading, ServerState as ZabState, Sid } from '../zab/types.ts';
import { configOf } from './membership.ts';
import { freshReaper, reap } from './reaper.ts';
import { answerValidations, claimed, connClosed, connect, establish, request, sessionClosed, sessionsTick, touched, validate, validated } from './sessions.ts';
import type { Role, ServerConfig, ServerEffect, ServerInput, ServerState, Stepped, ZabView } from './types.ts';
import { addAuth, answered, authChanged, forgetAll, queueWrite, read, syncWaits } from './reads.ts';
import { chain, done } from './stepped.ts';
import { accept, answerSyncs, delivered, propose, submit, sync } from './writes.ts';

/**
 * SERVER-10: the first request number of a run of this server, from its clock (a thousand a
 * millisecond): a txn of an earlier run, delivered after a restart, must never answer a request of
 * this one — which it did while numbers started at 1 (found by checking the partial-order
 * reduction against the full search).
 */
export const firstOrigin = (now: number): number => now * 1000 + 1;

/** A server that serves no role yet; `now` seeds its session ids (SESSION-2) and request numbers (SERVER-10). */
export function initialServer(config: ServerConfig, now: number): ServerState {
  return {
    config,
    role: null,
    leader: null,
    conns: IMap(),
    bySession: IMap(),
    clock: sessionClock(config.tickMs),
    owners: IMap(),
    touched: IMap(),
    reaper: { nextCheck: Infinity, queue: [], windowStart: now, deletedInWindow: 0 },
    nextSession: firstSessionId(config.sid, now),
    tree: emptyTree(),
    lastZxid: 0,
    speculative: null,
    speculated: List(),
    nextZxid: 0,
    waiting: IMap(),
    nextOrigin: firstOrigin(now),
    syncs: IMap(),
    validating: IMap(),
    membership: { members: config.members, version: 0 },
    watches: emptyWatches(),
    auths: IMap(),
    asked: IMap(),
  };
}

export interface ServerStepped {
  readonly state: ServerState;
  readonly effects: readonly ServerEffect[];
}

/**
 * One input; the leader's accepted writes (SERVER-6, -8, -10, -15) are prepared and proposed
 * within the step. SERVER-12: an answered write or sync releases the reads held behind it on its
 * connection, right after it.
 */
export function stepServer(s: ServerState, input: ServerInput): ServerStepped {
  const now = 'now' in input ? input.now : 0;
  const r = dispatch(s, input);
  let state = r.state;
  const effects: ServerEffect[] = [];
  for (const e of r.effects) {
    if (e.type === 'propose') {
      const p = propose(state, e.ask, now);
      state = p.state;
      for (const x of p.effects) if (x.type !== 'propose') effects.push(x);
      continue;
    }
    if (e.type === 'synced') {
      // SERVER-11: behind writes still pending on its connection, a sync waits for its turn
      const waits = syncWaits(state, e.ref, input.type === 'sync' && input.ref === e.ref ? input.conn : undefined);
      if (waits) {
        state = waits;
        continue;
      }
    }
    effects.push(e);
    if (e.type === 'reply' || e.type === 'moved' || e.type === 'synced' || e.type === 'not-read-only' || e.type === 'dropped') {
      const a = answered(state, e.ref);
      state = a.state;
      effects.push(...(a.effects as ServerEffect[]));
    }
  }
  // A write or sync not answered at once waits in its connection's order.
  if ((input.type === 'submit' || input.type === 'sync') && !state.asked.has(input.ref) && !effects.some((e) => 'ref' in e && e.ref === input.ref)) state = queueWrite(state, input.conn, input.ref);
  return { state, effects };
}

function dispatch(s: ServerState, input: ServerInput): Stepped {
  switch (input.type) {
    case 'zab': {
      const role = roleOf(input.zab, s.config.readOnlyMode);
      return roleChanged(s, role, role === 'leader' || role === 'learner' ? input.zab.leader : null, input.now, input.zab.nextZxid);
    }
    case 'role':
      return roleChanged(s, input.role, input.leader, input.now, input.nextZxid);
    case 'connect':
      return connect(s, input.conn, input.ask, input.auth, input.now);
    case 'request':
      return request(s, input.conn, input.now);
    case 'submit': {
      const c = s.conns.get(input.conn);
      if (!c) return done(s, { type: 'dropped', ref: input.ref });
      // SERVER-14: a reconfig this server does not take (reconfigEnabled off, or standalone) is refused in the connection's order.
      if ('reconfig' in input.write && !(s.config.reconfigEnabled && s.config.members.length > 1)) return read(s, input.conn, input.ref, { op: 'reconfig' }, input.auth);
      return submit(s, c.session, input.auth, input.write, { kind: 'reply', ref: input.ref });
    }
    case 'sync':
      return sync(s, input.ref);
    case 'read':
      return read(s, input.conn, input.ref, input.ask, input.auth);
    case 'auth':
      return authChanged(s, input.conn, input.auth);
    case 'add-auth':
      return addAuth(s, input.conn, input.scheme, input.auth, input.ids);
    case 'closed':
      return connClosed(s, input.conn);
    case 'tick':
      return chain(sessionsTick(s, input.now), (t) => reap(t, input.now));
    case 'peer': {
      const m = input.msg;
      switch (m.type) {
        case 'TOUCH':
          return touched(s, m.sessions, input.now);
        case 'REVALIDATE':
          return claimed(s, input.from, m.session);
        case 'VALIDATE':
          return validate(s, input.from, m.id, m.session, input.now);
        case 'VALIDATED':
          return validated(s, m.id, m.valid, m.zxid, input.now);
        case 'REQUEST':
          return accept(s, { session: m.session, auth: m.auth, write: m.write, via: input.from, origin: m.origin });
        case 'SYNC':
          // SERVER-11: everything committed so far has had its COMMIT sent to `from` already; name the last.
          return s.role === 'leader' ? done(s, { type: 'send', to: input.from, msg: { type: 'SYNCED', id: m.id, zxid: s.lastZxid } }) : done(s);
        case 'SYNCED': {
          const w = s.syncs.get(m.id);
          return w ? answerSyncs({ ...s, syncs: s.syncs.set(m.id, { ...w, zxid: m.zxid }) }) : done(s);
        }
        case 'RECONFIG': {
          const reconfig = { joining: m.joining, leaving: m.leaving, newMembers: m.newMembers };
          return accept(s, { session: m.session, auth: m.auth, write: { reconfig, fromConfig: m.fromConfig }, via: input.from, origin: m.origin });
        }
      }
      return done(s);
    }
    case 'delivered': {
      const d = delivered(s, input.txn, input.origin);
      const op = input.txn.op;
      // SERVER-11, SERVER-5: then the syncs and reconnects waiting for this far are answered.
      const answer = (t: ServerState) => chain(answerSyncs(t), (u) => answerValidations(u, input.now));
      if (op.type === 'createSession') {
        // SERVER-4: every server's clock knows the new session; the asking connection is answered.
        const t = { ...d.state, clock: touch(d.state.clock, input.txn.session, op.timeout, input.now) };
        const conn = d.wait?.kind === 'connect' ? d.wait.conn : undefined;
        const r = conn === undefined ? { state: t, effects: d.effects } : chain({ state: t, effects: d.effects }, (u) => establish(u, conn, input.txn.session, op.timeout, input.now));
        return chain(r, answer);
      }
      if (op.type === 'closeSession') return chain(chain(d, (t) => sessionClosed(t, input.txn.session)), answer); // SERVER-9
      if (op.type === 'setData' && op.path === '/zookeeper/config') return chain(chain(d, adoptMembers), answer);
      return chain(d, answer);
    }
    case 'installed':
      return adoptMembers({ ...s, tree: input.tree, lastZxid: input.zxid, speculated: List() });
  }
}

/** SERVER-14: the configuration the committed tree holds, adopted when its version is new. */
function adoptMembers(s: ServerState): Stepped {
  const next = configOf(s.tree);
  if (!next || next.version === s.membership.version) return done(s);
  const left = s.membership.members.filter((m) => !next.members.some((n) => n.id === m.id)).map((m) => m.id);
  return { state: { ...s, membership: next }, effects: [{ type: 'members', membership: next, left }] };
}

/** What the server's reducer reads of ZAB's state after a step (SERVER-1). */
export function zabView<T>(z: ZabState<T>, stopping: boolean): ZabView {
  const leader = z.phase === 'leading' ? z.config.sid : z.phase === 'looking' ? null : z.leader;
  return { phase: z.phase, stage: z.phase === 'looking' ? '' : z.stage, leader, nextZxid: z.phase === 'leading' ? nextZxid(z as Leading<T>) : 0, stopping };
}

/** SERVER-1: what a server does for clients, given ZAB's state. */
export function roleOf(z: ZabView, readOnlyMode: boolean): Role {
  if (z.stopping) return null;
  if (z.phase === 'looking') return readOnlyMode ? 'readonly' : null;
  if (z.stage !== 'broadcast') return null;
  return z.phase === 'leading' ? 'leader' : 'learner';
}

/**
 * SERVER-1: a new role. Leaving one closes every client connection and forgets the leader's
 * tables and the requests in flight; SERVER-8: a new leader gives every committed session a whole
 * timeout; SERVER-15: and starts its reaping interval; SERVER-10: its speculative tree is its
 * committed one.
 */
function roleChanged(s: ServerState, role: Role, leader: Sid | null, now: number, nextZxid: number): Stepped {
  if (role === s.role && leader === s.leader) return done(s);
  // Every connection it knows: established, waiting for the leader's word on a reconnect, or for its session's creation.
  // mutant orphan-connects: those waiting for a session's creation are forgotten, their clients left waiting forever (INV-25)
  const waitingConnects = s.config.deviation === 'orphan-connects' ? [] : [...s.waiting.values()].flatMap((w) => (w.kind === 'connect' ? [w.conn] : []));
  const effects = s.role === null ? [] : [...s.conns.keys(), ...[...s.validating.values()].map((v) => v.conn), ...waitingConnects].map((conn) => ({ type: 'close' as const, conn }));
  let state: ServerState = forgetAll({
    ...s,
    role,
    leader,
    conns: IMap(),
    bySession: IMap(),
    owners: IMap(),
    touched: IMap(),
    clock: sessionClock(s.config.tickMs),
    waiting: IMap(),
    syncs: IMap(),
    validating: IMap(),
    speculative: null,
    speculated: List(),
    nextZxid: 0,
  });
  if (role === 'leader') {
    let clock = state.clock;
    for (const [id, session] of s.tree.sessions) clock = touch(clock, id, session.timeout, now);
    state = { ...state, clock, reaper: freshReaper(state, now), speculative: s.tree, nextZxid };
  }
  return { state, effects };
}
