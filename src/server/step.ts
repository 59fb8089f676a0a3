// The server's reducer (spec/server.md): one input in, the next state and its effects out.
import { Map as IMap } from 'immutable';
import { firstSessionId, sessionClock, touch, type Tree } from '../tree/index.ts';
import type { Sid } from '../zab/types.ts';
import { freshReaper, reap } from './reaper.ts';
import { claimed, connClosed, connect, establish, request, sessionClosed, sessionsTick, touched, write } from './sessions.ts';
import type { Role, ServerConfig, ServerInput, ServerState, Stepped } from './types.ts';

/** A server that serves no role yet; `now` seeds its session ids (SESSION-2). */
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
  };
}

export function stepServer(s: ServerState, input: ServerInput): Stepped {
  switch (input.type) {
    case 'role':
      return roleChanged(s, input.role, input.leader, input.now, input.tree);
    case 'connect':
      return connect(s, input.conn, input.ask, input.now, input.tree, input.lastZxid);
    case 'session-created': {
      // SERVER-4: every server's clock knows the new session; the asking connection is answered.
      const state = { ...s, clock: touch(s.clock, input.session, input.timeout, input.now) };
      return input.conn === undefined ? { state, effects: [] } : establish(state, input.conn, input.session, input.timeout, input.now);
    }
    case 'session-closed':
      return sessionClosed(s, input.session);
    case 'request':
      return request(s, input.conn, input.now);
    case 'closed':
      return connClosed(s, input.conn);
    case 'tick': {
      const a = sessionsTick(s, input.now);
      const b = reap(a.state, input.now, input.tree);
      return { state: b.state, effects: [...a.effects, ...b.effects] };
    }
    case 'touched':
      return touched(s, input.sessions, input.now, input.tree);
    case 'claimed':
      return claimed(s, input.from, input.session, input.tree);
    case 'write':
      return write(s, input.ask);
  }
}

/**
 * SERVER-1: a new role. Leaving one closes every client connection and forgets the leader's
 * tables; SERVER-8: a new leader gives every committed session a whole timeout; SERVER-15: and
 * starts its reaping interval.
 */
function roleChanged(s: ServerState, role: Role, leader: Sid | null, now: number, tree: Tree): Stepped {
  if (role === s.role && leader === s.leader) return { state: s, effects: [] };
  const effects = s.role === null ? [] : [...s.conns.keys()].map((conn) => ({ type: 'close' as const, conn }));
  let state: ServerState = { ...s, role, leader, conns: IMap(), bySession: IMap(), owners: IMap(), touched: IMap(), clock: sessionClock(s.config.tickMs) };
  if (role === 'leader') {
    let clock = state.clock;
    for (const [id, session] of tree.sessions) clock = touch(clock, id, session.timeout, now);
    state = { ...state, clock, reaper: freshReaper(state, now) };
  }
  return { state, effects };
}
