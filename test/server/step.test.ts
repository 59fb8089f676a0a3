// The server's reducer (spec/server.md), one rule at a time: inputs in, effects out, no clock.
import { describe, expect, it } from 'vitest';
import { sessionPassword, type Tree } from '../../src/tree/index.ts';
import { Harness } from '../tree/harness.ts';
import { DEFAULT_REAPING, initialServer, stepServer, type ConnectAsk, type ServerEffect, type ServerInput, type ServerState } from '../../src/server/index.ts';
import { Code } from '../../src/tree/index.ts';

const TICK = 100;
const CONFIG = { sid: 1, tickMs: TICK, minSessionTimeout: 2 * TICK, maxSessionTimeout: 20 * TICK, reaping: { ...DEFAULT_REAPING, checkIntervalMs: 1000, maxPerMinute: 2 } };

// Sessions 11 and 12 live in the committed tree.
const base = new Harness({ extendedTypes: true, enforceQuota: false, maxDataBytes: 0xfffff });
base.session(11n, 1000);
base.session(12n, 1000);
const LIVE: Tree = base.tree;

class Run {
  state: ServerState;
  effects: ServerEffect[] = [];
  constructor(state = initialServer(CONFIG, 0)) {
    this.state = state;
  }
  step(input: ServerInput): ServerEffect[] {
    const r = stepServer(this.state, input);
    this.state = r.state;
    this.effects = [...r.effects];
    return this.effects;
  }
}

function serving(role: 'leader' | 'learner' | 'readonly', tree = LIVE, now = 0): Run {
  const r = new Run();
  r.step({ type: 'role', role, leader: role === 'learner' ? 2 : role === 'leader' ? 1 : null, now, tree });
  return r;
}

const ask = (o: Partial<ConnectAsk> = {}): ConnectAsk => ({ sessionId: 0n, passwd: null, timeOut: 1000, lastZxidSeen: 0n, readOnly: false, ...o });
const reconnect = (id: bigint, o: Partial<ConnectAsk> = {}) => ask({ sessionId: id, passwd: sessionPassword(id), ...o });

describe('sessions (SERVER-1..9)', () => {
  it('SERVER-1, SERVER-2: a server with no role refuses; leaving a role closes every connection', () => {
    const r = new Run();
    expect(r.step({ type: 'connect', conn: 1, ask: ask(), now: 0, tree: LIVE, lastZxid: 2 })).toMatchObject([{ type: 'refuse', conn: 1 }]);
    const l = serving('learner');
    l.step({ type: 'connect', conn: 1, ask: reconnect(11n), now: 0, tree: LIVE, lastZxid: 2 });
    expect(l.step({ type: 'role', role: null, leader: null, now: 5, tree: LIVE })).toEqual([{ type: 'close', conn: 1 }]);
    expect(l.state.conns.size).toBe(0);
  });

  it('SERVER-2: a read-only server refuses a client that did not ask for read-only; no server takes a client that is ahead', () => {
    expect(serving('readonly').step({ type: 'connect', conn: 1, ask: ask(), now: 0, tree: LIVE, lastZxid: 2 })).toMatchObject([{ type: 'refuse' }]);
    expect(serving('leader').step({ type: 'connect', conn: 1, ask: ask({ lastZxidSeen: 3n }), now: 0, tree: LIVE, lastZxid: 2 })).toMatchObject([
      { type: 'refuse', why: 'refusing session: client is ahead' },
    ]);
  });

  it('SERVER-3, SERVER-4: a new session gets the next id and a clamped timeout, created through a txn; read-only sessions at once', () => {
    const r = serving('learner');
    const first = r.state.nextSession;
    expect(r.step({ type: 'connect', conn: 1, ask: ask({ timeOut: 50 }), now: 0, tree: LIVE, lastZxid: 2 })).toEqual([
      { type: 'create-session', conn: 1, session: first, timeout: 2 * TICK },
    ]);
    expect(r.step({ type: 'connect', conn: 2, ask: ask({ timeOut: 99_999 }), now: 0, tree: LIVE, lastZxid: 2 })).toEqual([
      { type: 'create-session', conn: 2, session: first + 1n, timeout: 20 * TICK },
    ]);
    expect(r.step({ type: 'session-created', session: first, timeout: 2 * TICK, conn: 1, now: 10 })).toEqual([{ type: 'accept', conn: 1, session: first, timeout: 2 * TICK }]);
    const ro = serving('readonly');
    expect(ro.step({ type: 'connect', conn: 1, ask: ask({ readOnly: true }), now: 0, tree: LIVE, lastZxid: 2 })).toMatchObject([{ type: 'accept', conn: 1 }]);
  });

  it('SERVER-5: a reconnect needs the password and a live session; it closes the session\'s older connection here', () => {
    const r = serving('leader');
    expect(r.step({ type: 'connect', conn: 1, ask: ask({ sessionId: 11n, passwd: new Uint8Array(16) }), now: 0, tree: LIVE, lastZxid: 2 })).toEqual([{ type: 'reject', conn: 1 }]);
    expect(r.step({ type: 'connect', conn: 2, ask: reconnect(99n), now: 0, tree: LIVE, lastZxid: 2 })).toEqual([{ type: 'reject', conn: 2 }]);
    expect(r.step({ type: 'connect', conn: 3, ask: reconnect(11n), now: 0, tree: LIVE, lastZxid: 2 })).toEqual([{ type: 'accept', conn: 3, session: 11n, timeout: 1000 }]);
    expect(r.step({ type: 'connect', conn: 4, ask: reconnect(11n), now: 0, tree: LIVE, lastZxid: 2 })).toEqual([
      { type: 'close', conn: 3 },
      { type: 'accept', conn: 4, session: 11n, timeout: 1000 },
    ]);
    // At the leader a session past its deadline is not live, though the tree still has it.
    r.step({ type: 'tick', now: 5000, tree: LIVE });
    expect(r.step({ type: 'connect', conn: 5, ask: reconnect(12n), now: 5000, tree: LIVE, lastZxid: 2 })).toEqual([{ type: 'reject', conn: 5 }]);
  });

  it('SERVER-6: a connect claims nothing; the first request does; a write through another server is then SessionMoved', () => {
    const leader = serving('leader');
    const write = (via: number) =>
      leader.step({ type: 'write', ask: { session: 11n, auth: [], write: { op: 'setData', path: '/', data: new Uint8Array(0), version: -1 }, via, origin: { server: via, id: 1 } } });
    // A stale ConnectRequest processed at the leader: no owner from it.
    leader.step({ type: 'connect', conn: 1, ask: reconnect(11n), now: 0, tree: LIVE, lastZxid: 2 });
    expect(leader.state.owners.get(11n)).toBeUndefined();
    // The client uses server 2: its claim, then its writes.
    leader.step({ type: 'claimed', from: 2, session: 11n, tree: LIVE });
    expect(write(2)).toMatchObject([{ type: 'propose', ask: { write: { op: 'setData' } } }]);
    // A write of the session still in flight through server 3 is stale.
    expect(write(3)).toMatchObject([{ type: 'propose', ask: { write: Code.SessionMoved } }]);
    // A request on the leader's own connection claims the session for the leader.
    leader.step({ type: 'request', conn: 1, now: 10 });
    expect(leader.state.owners.get(11n)).toBe(1);
    expect(write(2)).toMatchObject([{ type: 'propose', ask: { write: Code.SessionMoved } }]);
    // A learner claims with REVALIDATE on the first request only, before anything it forwards.
    const learner = serving('learner');
    learner.step({ type: 'connect', conn: 7, ask: reconnect(12n), now: 0, tree: LIVE, lastZxid: 2 });
    expect(learner.step({ type: 'request', conn: 7, now: 1 })).toEqual([{ type: 'send', to: 2, msg: { type: 'REVALIDATE', session: 12n } }]);
    expect(learner.step({ type: 'request', conn: 7, now: 2 })).toEqual([]);
  });

  it('SERVER-6: a session with no owner takes the first server it writes through; createSession and the leader\'s own writes are never refused', () => {
    const leader = serving('leader');
    const w = (session: bigint, via: number, write: ServerInput & { type: 'write' } extends { ask: infer A } ? A extends { write: infer W } ? W : never : never, origin = true) =>
      leader.step({ type: 'write', ask: { session, auth: [], write, via, ...(origin ? { origin: { server: via, id: 1 } } : {}) } });
    expect(w(12n, 3, { op: 'delete', path: '/x', version: -1 })).toMatchObject([{ type: 'propose', ask: { via: 3, write: { op: 'delete' } } }]);
    expect(leader.state.owners.get(12n)).toBe(3);
    expect(w(12n, 2, { op: 'createSession', timeout: 1000 })).toMatchObject([{ type: 'propose', ask: { write: { op: 'createSession' } } }]);
    expect(w(12n, 1, { op: 'closeSession' }, false)).toMatchObject([{ type: 'propose', ask: { write: { op: 'closeSession' } } }]);
  });

  it('SERVER-7: requests touch; a learner reports its touched sessions every tick; the leader touches what is reported', () => {
    const learner = serving('learner');
    learner.step({ type: 'connect', conn: 1, ask: reconnect(11n), now: 0, tree: LIVE, lastZxid: 2 });
    learner.step({ type: 'tick', now: 50, tree: LIVE }); // the connect's touch
    learner.step({ type: 'request', conn: 1, now: 60 });
    expect(learner.step({ type: 'tick', now: 100, tree: LIVE })).toEqual([{ type: 'send', to: 2, msg: { type: 'TOUCH', sessions: [11n] } }]);
    expect(learner.step({ type: 'tick', now: 150, tree: LIVE })).toEqual([]);
    const leader = serving('leader', LIVE, 0);
    leader.step({ type: 'touched', sessions: [11n, 99n], now: 900, tree: LIVE });
    expect(leader.state.clock.deadlines.get(11n)).toBe(2000); // 900 + 1000, rounded up to the next tick
    expect(leader.state.clock.deadlines.has(99n)).toBe(false);
  });

  it('SERVER-8: a new leader gives every session a whole timeout; sessions past their deadline are closed once, oldest first', () => {
    const leader = serving('leader', LIVE, 500);
    leader.step({ type: 'touched', sessions: [11n], now: 700, tree: LIVE });
    expect(leader.step({ type: 'tick', now: 1500, tree: LIVE })).toEqual([]);
    const closes = leader.step({ type: 'tick', now: 1600, tree: LIVE }).filter((e) => e.type === 'propose');
    expect(closes).toMatchObject([{ ask: { session: 12n, write: { op: 'closeSession' } } }]);
    expect(leader.step({ type: 'tick', now: 1700, tree: LIVE }).filter((e) => e.type === 'propose')).toEqual([]); // 11's deadline: 700 + 1000, rounded up
    expect(leader.step({ type: 'tick', now: 1800, tree: LIVE }).filter((e) => e.type === 'propose')).toMatchObject([{ ask: { session: 11n } }]);
    expect(leader.step({ type: 'tick', now: 5000, tree: LIVE })).toEqual([]);
  });

  it('SERVER-9: a delivered closeSession closes the session\'s connection here and forgets its owner and deadline', () => {
    const leader = serving('leader');
    leader.step({ type: 'connect', conn: 4, ask: reconnect(11n), now: 0, tree: LIVE, lastZxid: 2 });
    leader.step({ type: 'request', conn: 4, now: 1 });
    expect(leader.step({ type: 'session-closed', session: 11n })).toEqual([{ type: 'close', conn: 4 }]);
    expect(leader.state.owners.has(11n)).toBe(false);
    expect(leader.state.clock.deadlines.has(11n)).toBe(false);
    expect(leader.state.bySession.has(11n)).toBe(false);
  });

  it('SERVER-10: only the leader takes writes', () => {
    const learner = serving('learner');
    expect(learner.step({ type: 'write', ask: { session: 11n, auth: [], write: { op: 'closeSession' }, via: 2, origin: { server: 2, id: 1 } } })).toEqual([]);
  });
});

describe('reaping (SERVER-15)', () => {
  it('lists candidates every interval and proposes deleteContainer within maxPerMinute', () => {
    // Three containers emptied of their child, one still holding one.
    const h = new Harness({ extendedTypes: true, enforceQuota: false, maxDataBytes: 0xfffff });
    h.tree = LIVE;
    for (const p of ['/a', '/b', '/c', '/d']) {
      h.create(11n, p, { flags: 4 });
      h.create(11n, `${p}/x`);
      if (p !== '/d') h.write(11n, { op: 'delete', path: `${p}/x`, version: -1 });
    }
    const tree = h.tree;
    const r = serving('leader', LIVE, 0);
    const paths = (es: ServerEffect[]) => es.flatMap((e) => (e.type === 'propose' && typeof e.ask.write !== 'number' && e.ask.write.op === 'deleteContainer' ? [e.ask.write.path] : []));
    expect(r.step({ type: 'tick', now: 500, tree })).toEqual([]); // not yet due
    expect(paths(r.step({ type: 'tick', now: 1000, tree }))).toEqual(['/a', '/b']); // the budget: 2 a minute
    for (const p of ['/a', '/b']) h.write(0n, { op: 'deleteContainer', path: p }); // they commit
    expect(paths(r.step({ type: 'tick', now: 1100, tree: h.tree }))).toEqual([]);
    expect(paths(r.step({ type: 'tick', now: 60_999, tree: h.tree }))).toEqual([]); // listed again, budget still spent
    expect(paths(r.step({ type: 'tick', now: 61_000, tree: h.tree }))).toEqual(['/c']); // a minute after the first delete
    // /c gained a child before its delete came: the delete fails and the node stays.
    h.create(11n, '/c/y');
    expect(h.write(0n, { op: 'deleteContainer', path: '/c' })).toBe(Code.NotEmpty);
    expect(h.tree.nodes.has('/c')).toBe(true);
    expect(serving('learner').step({ type: 'tick', now: 5000, tree })).toEqual([]);
  });
});
