// Sessions at one server (spec/server.md SERVER-2..9): admission, reconnects, the owner a session
// writes through, touches and expiry. Pure: every function takes the state and returns the next
// one with its effects.
import { expired, forget, negotiateTimeout, passwordMatches, touch, type Id } from '../tree/index.ts';
import { List } from 'immutable';
import type { ConnectAsk, ConnId, Internal, ServerEffect, ServerState, Stepped } from './types.ts';
import { forgetConn } from './reads.ts';
import { submit } from './writes.ts';

import { chain, done } from './stepped.ts';

/** SERVER-2..5: a ConnectRequest. */
export function connect(s: ServerState, conn: ConnId, ask: ConnectAsk, auth: readonly Id[], now: number): Stepped {
  const { lastZxid } = s;
  if (s.role === null) return done(s, { type: 'refuse', conn, why: 'refusing connection: not serving yet' }); // SERVER-2
  if (s.role === 'readonly' && !ask.readOnly) {
    return done(s, { type: 'refuse', conn, why: 'refusing connection: read-only, and the client did not ask for read-only' }); // SERVER-2
  }
  if (ask.lastZxidSeen > BigInt(lastZxid)) {
    // SERVER-2: the client has seen a newer state than ours; it must find another server.
    return done(s, { type: 'refuse', conn, why: 'refusing session: client is ahead', fields: { clientZxid: ask.lastZxidSeen, lastZxid } });
  }
  const { tickMs, minSessionTimeout, maxSessionTimeout } = s.config;
  const timeout = negotiateTimeout(ask.timeOut, tickMs, minSessionTimeout, maxSessionTimeout); // SERVER-3
  if (ask.sessionId === 0n) {
    // SERVER-4: a new id; a read-only session lives on this server only.
    const id = s.nextSession;
    const next = { ...s, nextSession: id + 1n };
    if (s.role === 'readonly') return establish(next, conn, id, timeout, now);
    return submit(next, id, auth, { op: 'createSession', timeout }, { kind: 'connect', conn });
  }
  // SERVER-5: the right password, and a live session. A learner asks the leader: its own tree may
  // not have the session's creation yet, or still hold a session the leader has closed or expired.
  const id = ask.sessionId;
  if (!passwordMatches(id, ask.passwd ?? new Uint8Array(0))) return done(s, { type: 'reject', conn });
  if (s.role === 'learner' && s.leader !== null && s.config.deviation !== 'validate-locally') {
    const vid = s.nextOrigin;
    const validating = s.validating.set(vid, { conn, session: id, timeout, answer: null });
    return done({ ...s, nextOrigin: vid + 1, validating }, { type: 'send', to: s.leader, msg: { type: 'VALIDATE', id: vid, session: id } });
  }
  if (!liveAt(s, id)) return done(s, { type: 'reject', conn }); // mutant validate-locally: a learner judges by its own tree
  const r = establish(s, conn, id, timeout, now);
  return s.config.deviation === 'claim-on-connect' ? chain(r, (t) => request(t, conn, now)) : r; // mutant: issue 20's finding 1
}

/** SERVER-5: the session is in the committed tree and, at the leader, not past its deadline. */
function liveAt(s: ServerState, session: bigint): boolean {
  return s.tree.sessions.has(session) && (s.role !== 'leader' || s.clock.deadlines.has(session));
}

/** SERVER-5 at the leader: a learner's reconnect asks whether the session lives; a live one is touched (SERVER-7), not claimed. */
export function validate(s: ServerState, from: number, id: number, session: bigint, now: number): Stepped {
  if (s.role !== 'leader') return done(s);
  const live = liveAt(s, session) ? s.tree.sessions.get(session) : undefined;
  const valid = live !== undefined;
  const state = live ? { ...s, clock: touch(s.clock, session, live.timeout, now) } : s;
  return done(state, { type: 'send', to: from, msg: { type: 'VALIDATED', id, valid, zxid: s.lastZxid } });
}

/** SERVER-5 at the learner: the leader's answer, acted on once this server has delivered as far as the leader had. */
export function validated(s: ServerState, id: number, valid: boolean, zxid: number, now: number): Stepped {
  const v = s.validating.get(id);
  if (!v) return done(s); // its connection closed meanwhile, or the role changed
  return answerValidations({ ...s, validating: s.validating.set(id, { ...v, answer: { valid, zxid } }) }, now);
}

/**
 * SERVER-5: the reconnects whose answer this server has caught up with are established or refused.
 * By then its own tree has the session's creation, and a close or expiry committed after the
 * leader answered: a live answer for a session this tree has since closed is a refusal.
 */
export function answerValidations(s: ServerState, now: number): Stepped {
  if (s.validating.size === 0) return done(s); // every delivery asks: most often nothing waits
  let state = s;
  const effects: ServerEffect[] = [];
  for (const [id, v] of s.validating) {
    if (v.answer === null || v.answer.zxid > s.lastZxid) continue;
    state = { ...state, validating: state.validating.delete(id) };
    if (!v.answer.valid || !state.tree.sessions.has(v.session)) {
      effects.push({ type: 'reject', conn: v.conn });
      continue;
    }
    const r = establish(state, v.conn, v.session, v.timeout, now);
    state = r.state;
    effects.push(...(r.effects as ServerEffect[]));
  }
  return { state, effects };
}

/** SERVER-4, SERVER-5: `conn` now holds `session`; an older connection of it here is closed. */
export function establish(s: ServerState, conn: ConnId, session: bigint, timeout: number, now: number): Stepped {
  const effects: ServerEffect[] = [];
  const older = s.bySession.get(session);
  let conns = s.conns;
  if (older !== undefined && older !== conn) {
    effects.push({ type: 'close', conn: older });
    conns = conns.delete(older);
  }
  const state: ServerState = {
    ...s,
    conns: conns.set(conn, { session, timeout, claimed: false, queue: List() }),
    bySession: s.bySession.set(session, conn),
    clock: touch(s.clock, session, timeout, now),
    touched: s.role === 'learner' ? s.touched.set(session, true) : s.touched,
  };
  effects.push({ type: 'accept', conn, session, timeout });
  return { state, effects };
}

/**
 * SERVER-6, SERVER-7: a request on an established connection touches its session; the first one
 * on the connection claims the session for this server.
 */
export function request(s: ServerState, conn: ConnId, now: number): Stepped {
  const c = s.conns.get(conn);
  if (!c) return done(s);
  const clock = touch(s.clock, c.session, c.timeout, now);
  const touchedNow = s.role === 'learner' ? s.touched.set(c.session, true) : s.touched;
  // Most requests change nothing: the deadline is rounded to a tick and the session already claimed.
  if (c.claimed && clock === s.clock && touchedNow === s.touched) return done(s);
  let state: ServerState = { ...s, clock, touched: touchedNow };
  if (c.claimed) return done(state);
  state = { ...state, conns: s.conns.set(conn, { ...c, claimed: true }) };
  if (s.role === 'leader') return done({ ...state, owners: s.owners.set(c.session, s.config.sid) });
  if (s.role === 'learner' && s.leader !== null) return done(state, { type: 'send', to: s.leader, msg: { type: 'REVALIDATE', session: c.session } });
  return done(state);
}

/** SERVER-6 at the leader: a learner's claim; a session that is not live is not owned. */
export function claimed(s: ServerState, from: number, session: bigint): Stepped {
  if (s.role !== 'leader' || !s.tree.sessions.has(session)) return done(s);
  return done({ ...s, owners: s.owners.set(session, from) });
}

/** SERVER-7 at the leader: a learner's report of its sessions' activity. */
export function touched(s: ServerState, sessions: readonly bigint[], now: number): Stepped {
  if (s.role !== 'leader') return done(s);
  let clock = s.clock;
  for (const id of sessions) {
    const session = s.tree.sessions.get(id);
    if (session) clock = touch(clock, id, session.timeout, now);
  }
  return done({ ...s, clock });
}

/** SERVER-7: a learner reports what its clients touched; SERVER-8: the leader expires what is due. */
export function sessionsTick(s: ServerState, now: number): Stepped {
  if (s.role === 'learner') {
    if (s.touched.size === 0 || s.leader === null) return done(s);
    return done({ ...s, touched: s.touched.clear() }, { type: 'send', to: s.leader, msg: { type: 'TOUCH', sessions: [...s.touched.keys()] } });
  }
  if (s.role !== 'leader') return done(s);
  const due = expired(s.clock, now);
  if (due.length === 0) return done(s);
  let clock = s.clock;
  const effects: (ServerEffect | Internal)[] = [];
  for (const id of due) {
    clock = forget(clock, id);
    effects.push({ type: 'log', msg: 'session expired', fields: { session: id } });
    effects.push({ type: 'propose', ask: { session: id, auth: [], write: { op: 'closeSession' }, via: s.config.sid } });
  }
  return { state: { ...s, clock }, effects };
}

/** SERVER-9: a delivered closeSession: the session's connection here closes; its owner and deadline go. */
export function sessionClosed(s: ServerState, session: bigint): Stepped {
  const conn = s.bySession.get(session);
  const state: ServerState = {
    ...(conn === undefined ? s : forgetConn(s, conn)),
    clock: forget(s.clock, session),
    owners: s.owners.delete(session),
    touched: s.touched.delete(session),
    bySession: s.bySession.delete(session),
    conns: conn === undefined ? s.conns : s.conns.delete(conn),
  };
  return conn === undefined ? done(state) : done(state, { type: 'close', conn });
}

/** A connection closed: it no longer holds its session. */
export function connClosed(s0: ServerState, conn: ConnId): Stepped {
  const s = forgetConn(s0, conn); // its watches, also when a newer connection of its session had already replaced it here
  const c = s.conns.get(conn);
  if (!c) {
    const waiting = s.validating.findKey((v) => v.conn === conn);
    return done(waiting === undefined ? s : { ...s, validating: s.validating.delete(waiting) });
  }
  const bySession = s.bySession.get(c.session) === conn ? s.bySession.delete(c.session) : s.bySession;
  return done({ ...s, conns: s.conns.delete(conn), bySession });
}
