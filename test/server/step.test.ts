// The server's reducer (spec/server.md), one rule at a time: inputs in, effects out, no clock.
import { describe, expect, it } from 'vitest';
import { Code, sessionPassword, type Tree, type Txn, type WriteOp } from '../../src/tree/index.ts';
import { DEFAULT_REAPING, initialServer, stepServer, type ConnectAsk, type ServerEffect, type ServerInput, type ServerState } from '../../src/server/index.ts';
import { Harness } from '../tree/harness.ts';

const TICK = 100;
const TREE_CONFIG = { extendedTypes: true, enforceQuota: false, maxDataBytes: 0xfffff };
const CONFIG = {
  sid: 1,
  tickMs: TICK,
  minSessionTimeout: 2 * TICK,
  maxSessionTimeout: 20 * TICK,
  reaping: { ...DEFAULT_REAPING, checkIntervalMs: 1000, maxPerMinute: 2 },
  tree: TREE_CONFIG,
  members: [],
  readOnlyMode: false,
};

// Sessions 11 and 12 live in the committed tree (zxids 1 and 2).
const base = new Harness(TREE_CONFIG);
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
  connect(conn: number, ask: ConnectAsk, now = 0): ServerEffect[] {
    return this.step({ type: 'connect', conn, ask, auth: [], now });
  }
  /** SERVER-5 at a learner: a reconnect, and the leader's answer that the session lives (as of zxid 2). */
  rejoin(conn: number, session: bigint, now = 0): ServerEffect[] {
    const [sent] = this.connect(conn, reconnect(session), now);
    if (sent?.type !== 'send' || sent.msg.type !== 'VALIDATE') throw new Error(`expected a VALIDATE, got ${JSON.stringify(sent?.type)}`);
    return this.step({ type: 'peer', from: 2, now, msg: { type: 'VALIDATED', id: sent.msg.id, valid: true, zxid: 2 } });
  }
}

/** A server of `role` whose committed tree is `tree` (installed, as a start's recovery does); the leader is server 1, a learner's leader 2. */
function serving(role: 'leader' | 'learner' | 'readonly', tree = LIVE, now = 0): Run {
  const r = new Run();
  r.step({ type: 'installed', tree, zxid: 2 });
  r.step({ type: 'role', role, leader: role === 'learner' ? 2 : role === 'leader' ? 1 : null, now, nextZxid: 0x100000001 });
  return r;
}

const ask = (o: Partial<ConnectAsk> = {}): ConnectAsk => ({ sessionId: 0n, passwd: null, timeOut: 1000, lastZxidSeen: 0n, readOnly: false, ...o });
const reconnect = (id: bigint, o: Partial<ConnectAsk> = {}) => ask({ sessionId: id, passwd: sessionPassword(id), ...o });
const proposed = (es: readonly ServerEffect[]): Txn[] => es.flatMap((e) => (e.type === 'zab-propose' ? [e.entry.txn] : []));
const setData: WriteOp = { op: 'setData', path: '/', data: new Uint8Array(0), version: -1 };
const forwarded = (from: number, session: bigint, write: WriteOp = setData): ServerInput => ({ type: 'peer', from, now: 0, msg: { type: 'REQUEST', origin: { server: from, id: 1 }, session, auth: [], write } });

describe('sessions (SERVER-1..9)', () => {
  it('SERVER-1, SERVER-2: a server with no role refuses; leaving a role closes every connection', () => {
    const r = new Run();
    expect(r.connect(1, ask())).toMatchObject([{ type: 'refuse', conn: 1 }]);
    const l = serving('learner');
    l.rejoin(1, 11n);
    l.connect(2, reconnect(12n)); // waits for the leader's word on its session
    l.connect(3, ask()); // waits for its session's creation (the model's clients once waited forever here)
    expect(l.step({ type: 'role', role: null, leader: null, now: 5, nextZxid: 0 })).toEqual([1, 2, 3].map((conn) => ({ type: 'close', conn })));
    expect(l.state.conns.size).toBe(0);
  });

  it('SERVER-2: a read-only server refuses a client that did not ask for read-only; no server takes a client that is ahead', () => {
    expect(serving('readonly').connect(1, ask())).toMatchObject([{ type: 'refuse' }]);
    expect(serving('leader').connect(1, ask({ lastZxidSeen: 3n }))).toMatchObject([{ type: 'refuse', why: 'refusing session: client is ahead' }]);
  });

  it('SERVER-3, SERVER-4, SERVER-10: a new session gets the next id and a clamped timeout, created by a txn through the leader; read-only sessions at once', () => {
    const r = serving('learner');
    const first = r.state.nextSession;
    expect(r.connect(1, ask({ timeOut: 50 }))).toEqual([
      { type: 'send', to: 2, msg: { type: 'REQUEST', origin: { server: 1, id: 1 }, session: first, auth: [], write: { op: 'createSession', timeout: 2 * TICK } } },
    ]);
    expect(r.connect(2, ask({ timeOut: 99_999 }))).toMatchObject([{ type: 'send', msg: { session: first + 1n, write: { op: 'createSession', timeout: 20 * TICK } } }]);
    // The leader's txn for the first comes back: connection 1 is answered.
    const txn: Txn = { session: first, zxid: 3, time: 0, op: { type: 'createSession', timeout: 2 * TICK } };
    expect(r.step({ type: 'delivered', txn, origin: { server: 1, id: 1 }, now: 10 })).toEqual([
      { type: 'applied', zxid: 3, session: first, op: txn.op, events: [] },
      { type: 'accept', conn: 1, session: first, timeout: 2 * TICK },
    ]);
    expect(r.state.tree.sessions.has(first)).toBe(true);
    const ro = serving('readonly');
    expect(ro.connect(1, ask({ readOnly: true }))).toMatchObject([{ type: 'accept', conn: 1 }]);
  });

  it('SERVER-5: a reconnect needs the password and a live session; it closes the session\'s older connection here', () => {
    const r = serving('leader');
    expect(r.connect(1, ask({ sessionId: 11n, passwd: new Uint8Array(16) }))).toEqual([{ type: 'reject', conn: 1 }]);
    expect(r.connect(2, reconnect(99n))).toEqual([{ type: 'reject', conn: 2 }]);
    expect(r.connect(3, reconnect(11n))).toEqual([{ type: 'accept', conn: 3, session: 11n, timeout: 1000 }]);
    expect(r.connect(4, reconnect(11n))).toEqual([
      { type: 'close', conn: 3 },
      { type: 'accept', conn: 4, session: 11n, timeout: 1000 },
    ]);
    // At the leader a session past its deadline is not live, though the tree still has it.
    r.step({ type: 'tick', now: 5000 });
    expect(r.connect(5, reconnect(12n), 5000)).toEqual([{ type: 'reject', conn: 5 }]);
  });

  it('SERVER-5: a learner asks the leader whether a reconnecting session lives, and acts on the answer once it has delivered as far as the leader had', () => {
    const leader = serving('leader', LIVE, 0);
    // The leader answers from its tree and its deadlines, touches a live session, claims nothing.
    expect(leader.step({ type: 'peer', from: 2, now: 300, msg: { type: 'VALIDATE', id: 4, session: 11n } })).toEqual([{ type: 'send', to: 2, msg: { type: 'VALIDATED', id: 4, valid: true, zxid: 2 } }]);
    expect(leader.state.clock.deadlines.get(11n)).toBe(1400); // 300 + 1000, rounded up to the next tick
    expect(leader.state.owners.has(11n)).toBe(false);
    expect(leader.step({ type: 'peer', from: 2, now: 300, msg: { type: 'VALIDATE', id: 5, session: 99n } })).toMatchObject([{ msg: { type: 'VALIDATED', id: 5, valid: false } }]);
    // A learner that has not delivered session 13's creation yet: it asks, waits for zxid 3, then accepts.
    const learner = serving('learner');
    expect(learner.connect(1, reconnect(13n))).toEqual([{ type: 'send', to: 2, msg: { type: 'VALIDATE', id: 1, session: 13n } }]);
    expect(learner.step({ type: 'peer', from: 2, now: 0, msg: { type: 'VALIDATED', id: 1, valid: true, zxid: 3 } })).toEqual([]);
    const created: Txn = { session: 13n, zxid: 3, time: 0, op: { type: 'createSession', timeout: 1000 } };
    expect(learner.step({ type: 'delivered', txn: created, now: 1 }).filter((e) => e.type !== 'applied')).toEqual([{ type: 'accept', conn: 1, session: 13n, timeout: 1000 }]);
    // A session closed after the leader said it lived is refused; so is one the leader says is over.
    learner.connect(2, reconnect(12n));
    learner.step({ type: 'peer', from: 2, now: 0, msg: { type: 'VALIDATED', id: 2, valid: true, zxid: 4 } });
    const closed: Txn = { session: 12n, zxid: 4, time: 0, op: { type: 'closeSession', paths: [] } };
    expect(learner.step({ type: 'delivered', txn: closed, now: 2 }).filter((e) => e.type !== 'applied')).toEqual([{ type: 'reject', conn: 2 }]);
    learner.connect(3, reconnect(11n));
    expect(learner.step({ type: 'peer', from: 2, now: 0, msg: { type: 'VALIDATED', id: 3, valid: false, zxid: 2 } })).toEqual([{ type: 'reject', conn: 3 }]);
    // A connection that closes while it waits is forgotten; one still waiting closes when the role goes.
    learner.connect(4, reconnect(11n));
    learner.step({ type: 'closed', conn: 4 });
    expect(learner.step({ type: 'peer', from: 2, now: 0, msg: { type: 'VALIDATED', id: 4, valid: true, zxid: 2 } })).toEqual([]);
    learner.connect(5, reconnect(11n));
    expect(learner.step({ type: 'role', role: null, leader: null, now: 5, nextZxid: 0 })).toEqual([{ type: 'close', conn: 1 }, { type: 'close', conn: 5 }]);
  });

  it('SERVER-6: a connect claims nothing; the first request does; a write through another server is then SessionMoved', () => {
    const leader = serving('leader');
    // A stale ConnectRequest processed at the leader: no owner from it.
    leader.connect(1, reconnect(11n));
    expect(leader.state.owners.get(11n)).toBeUndefined();
    // The client uses server 2: its claim, then its writes.
    leader.step({ type: 'peer', from: 2, now: 0, msg: { type: 'REVALIDATE', session: 11n } });
    expect(proposed(leader.step(forwarded(2, 11n)))).toMatchObject([{ op: { type: 'setData' } }]);
    // A write of the session still in flight through server 3 is stale.
    expect(proposed(leader.step(forwarded(3, 11n)))).toMatchObject([{ op: { type: 'error', err: Code.SessionMoved } }]);
    // A request on the leader's own connection claims the session for the leader.
    leader.step({ type: 'request', conn: 1, now: 10 });
    expect(leader.state.owners.get(11n)).toBe(1);
    expect(proposed(leader.step(forwarded(2, 11n)))).toMatchObject([{ op: { type: 'error', err: Code.SessionMoved } }]);
    // A learner claims with REVALIDATE on the first request only, before anything it forwards.
    const learner = serving('learner');
    learner.rejoin(7, 12n);
    expect(learner.step({ type: 'request', conn: 7, now: 1 })).toEqual([{ type: 'send', to: 2, msg: { type: 'REVALIDATE', session: 12n } }]);
    expect(learner.step({ type: 'request', conn: 7, now: 2 })).toEqual([]);
  });

  it('SERVER-6: the origin of a stale write closes its connection instead of answering; a session with no owner takes the first server it writes through', () => {
    const leader = serving('leader');
    expect(proposed(leader.step(forwarded(3, 12n, { op: 'delete', path: '/x', version: -1 })))).toMatchObject([{ op: { type: 'error', err: Code.NoNode } }]);
    expect(leader.state.owners.get(12n)).toBe(3);
    const learner = serving('learner');
    learner.rejoin(5, 11n);
    learner.step({ type: 'submit', conn: 5, ref: 77, write: setData, auth: [], now: 1 });
    const txn: Txn = { session: 11n, zxid: 3, time: 0, op: { type: 'error', err: Code.SessionMoved } };
    expect(learner.step({ type: 'delivered', txn, origin: { server: 1, id: 2 }, now: 2 }).filter((e) => e.type !== 'applied')).toEqual([{ type: 'moved', ref: 77 }]); // id 1 was the reconnect's VALIDATE
  });

  it('SERVER-7: requests touch; a learner reports its touched sessions every tick; the leader touches what is reported', () => {
    const learner = serving('learner');
    learner.rejoin(1, 11n);
    learner.step({ type: 'tick', now: 50 }); // the connect's touch
    learner.step({ type: 'request', conn: 1, now: 60 });
    expect(learner.step({ type: 'tick', now: 100 })).toEqual([{ type: 'send', to: 2, msg: { type: 'TOUCH', sessions: [11n] } }]);
    expect(learner.step({ type: 'tick', now: 150 })).toEqual([]);
    const leader = serving('leader', LIVE, 0);
    leader.step({ type: 'peer', from: 2, now: 900, msg: { type: 'TOUCH', sessions: [11n, 99n] } });
    expect(leader.state.clock.deadlines.get(11n)).toBe(2000); // 900 + 1000, rounded up to the next tick
    expect(leader.state.clock.deadlines.has(99n)).toBe(false);
  });

  it('SERVER-8: a new leader gives every session a whole timeout; sessions past their deadline are closed once, oldest first', () => {
    const leader = serving('leader', LIVE, 500);
    leader.step({ type: 'peer', from: 2, now: 700, msg: { type: 'TOUCH', sessions: [11n] } });
    expect(proposed(leader.step({ type: 'tick', now: 1500 }))).toEqual([]);
    expect(proposed(leader.step({ type: 'tick', now: 1600 }))).toMatchObject([{ session: 12n, op: { type: 'closeSession' } }]);
    expect(proposed(leader.step({ type: 'tick', now: 1700 }))).toEqual([]); // 11's deadline: 700 + 1000, rounded up
    expect(proposed(leader.step({ type: 'tick', now: 1800 }))).toMatchObject([{ session: 11n, op: { type: 'closeSession' } }]);
    expect(proposed(leader.step({ type: 'tick', now: 5000 }))).toEqual([]);
  });

  it('SERVER-9: a delivered closeSession closes the session\'s connection here and forgets its owner and deadline', () => {
    const leader = serving('leader');
    leader.connect(4, reconnect(11n));
    leader.step({ type: 'request', conn: 4, now: 1 });
    const txn: Txn = { session: 11n, zxid: 3, time: 0, op: { type: 'closeSession', paths: [] } };
    expect(leader.step({ type: 'delivered', txn, now: 2 }).filter((e) => e.type !== 'applied')).toEqual([{ type: 'close', conn: 4 }]);
    expect(leader.state.owners.has(11n)).toBe(false);
    expect(leader.state.clock.deadlines.has(11n)).toBe(false);
    expect(leader.state.bySession.has(11n)).toBe(false);
    expect(leader.state.tree.sessions.has(11n)).toBe(false);
  });

  it('SERVER-10: the leader prepares against its speculative tree, in zxid order; a learner forwards; a server with no role drops the write', () => {
    const leader = serving('leader');
    leader.connect(1, reconnect(11n));
    const create = (path: string): WriteOp => ({ op: 'create', path, data: new Uint8Array(0), acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags: 0 });
    const a = proposed(leader.step({ type: 'submit', conn: 1, ref: 1, write: create('/a'), auth: [], now: 1 }));
    const b = proposed(leader.step({ type: 'submit', conn: 1, ref: 2, write: create('/a/b'), auth: [], now: 2 }));
    expect(a.map((t) => t.zxid)).toEqual([0x100000001]);
    expect(b).toMatchObject([{ zxid: 0x100000002, op: { type: 'create', path: '/a/b' } }]); // /a exists in the speculative tree only
    expect(leader.state.tree.nodes.has('/a')).toBe(false);
    expect(leader.step({ type: 'delivered', txn: a[0]!, origin: { server: 1, id: 1 }, now: 3 }).filter((e) => e.type === 'reply')).toMatchObject([{ type: 'reply', ref: 1, zxid: 0x100000001 }]);
    const none = new Run();
    expect(none.step({ type: 'submit', conn: 9, ref: 5, write: setData, auth: [], now: 0 })).toEqual([{ type: 'dropped', ref: 5 }]);
  });
});

describe('reads and watches (SERVER-12)', () => {
  it('a read waits for the writes before it on its connection; watch events go before the reply that follows them; a closed connection or session leaves no watch', () => {
    const leader = serving('leader');
    leader.connect(1, reconnect(11n));
    leader.connect(2, reconnect(12n));
    // Connection 2 watches / (getData with a watch); answered at once, from the committed tree.
    expect(leader.step({ type: 'read', conn: 2, ref: 20, ask: { op: 'getData', path: '/', watch: true }, auth: [] })).toMatchObject([{ type: 'read-reply', ref: 20, zxid: 2, result: { op: 'getData' } }]);
    // Connection 1 writes /, then reads it: the read is held until the write is answered.
    const write: WriteOp = { op: 'setData', path: '/', data: new Uint8Array([7]), version: -1 };
    const [txn] = proposed(leader.step({ type: 'submit', conn: 1, ref: 10, write, auth: [], now: 1 }));
    expect(leader.step({ type: 'read', conn: 1, ref: 11, ask: { op: 'getData', path: '/', watch: false }, auth: [] })).toEqual([]);
    const out = leader.step({ type: 'delivered', txn: txn!, origin: { server: 1, id: 1 }, now: 2 });
    expect(out.map((e) => e.type)).toEqual(['applied', 'notify', 'reply', 'read-reply']);
    expect(out[1]).toEqual({ type: 'notify', conn: 2, event: 3, path: '/' }); // NodeDataChanged
    expect(out[3]).toMatchObject({ ref: 11, zxid: txn!.zxid, result: { op: 'getData', data: new Uint8Array([7]) } });
    // A persistent watch stays; it goes with its connection, and with a closed session's.
    leader.step({ type: 'read', conn: 2, ref: 21, ask: { op: 'addWatch', path: '/a', mode: 0 }, auth: [] });
    leader.step({ type: 'read', conn: 1, ref: 12, ask: { op: 'addWatch', path: '/b', mode: 0 }, auth: [] });
    expect([...leader.state.watches.data.keys()].sort()).toEqual(['/a', '/b']);
    expect(leader.connect(5, reconnect(12n))).toContainEqual({ type: 'close', conn: 2 }); // a newer connection takes session 12 here
    leader.step({ type: 'closed', conn: 2 }); // the old one's socket closes later: its watches go then
    expect([...leader.state.watches.data.keys()]).toEqual(['/b']);
    leader.step({ type: 'delivered', txn: { session: 11n, zxid: 0x100000002, time: 0, op: { type: 'closeSession', paths: [] } }, now: 3 });
    expect(leader.state.watches.data.size).toBe(0);
    // WATCH-9, SERVER-14: the reducer refuses what it cannot decode, and a reconfig it does not take.
    leader.connect(3, reconnect(12n));
    expect(leader.step({ type: 'read', conn: 3, ref: 30, ask: { op: 'checkWatches', path: '/', type: 9 }, auth: [] })).toMatchObject([{ result: { op: 'error', err: Code.MarshallingError } }]);
    const reconfig = { reconfig: { joining: 'server.9=127.0.0.1:1:2:observer', leaving: null, newMembers: null }, fromConfig: -1 };
    expect(leader.step({ type: 'submit', conn: 3, ref: 31, write: reconfig, auth: [], now: 4 })).toMatchObject([{ type: 'read-reply', ref: 31, result: { op: 'error', err: -123 } }]);
    expect(leader.step({ type: 'read', conn: 9, ref: 32, ask: { op: 'ping' }, auth: [] })).toEqual([{ type: 'dropped', ref: 32 }]);
  });

  it('WATCH-7: an event reaches a watcher only if its ids may read the node; addAuth updates them', () => {
    const h = new Harness(TREE_CONFIG);
    h.session(11n, 1000);
    h.session(12n, 1000);
    const secret = [{ perms: 31, id: { scheme: 'digest', id: 'u:x' } }];
    h.create(11n, '/s', { acl: secret });
    const leader = serving('leader', h.tree);
    leader.connect(1, reconnect(11n));
    leader.connect(2, reconnect(12n));
    leader.step({ type: 'read', conn: 2, ref: 1, ask: { op: 'addWatch', path: '/s', mode: 0 }, auth: [] });
    const change = (version: number) => proposed(leader.step({ type: 'submit', conn: 1, ref: 100 + version, write: { op: 'setData', path: '/s', data: new Uint8Array([version]), version: -1 }, auth: [{ scheme: 'digest', id: 'u:x' }], now: version }))[0]!;
    const t1 = change(1);
    expect(leader.step({ type: 'delivered', txn: t1, origin: { server: 1, id: 1 }, now: 2 }).filter((e) => e.type === 'notify')).toEqual([]);
    // ACL-2: an addAuth is answered by the reducer (the digest of u's password is not u:x: the event goes on being withheld)
    expect(leader.step({ type: 'add-auth', conn: 2, scheme: 'ip', auth: '127.0.0.1', ids: [] })).toEqual([{ type: 'auth-failed', conn: 2, err: Code.AuthFailed }]);
    expect(leader.step({ type: 'add-auth', conn: 2, scheme: 'digest', auth: 'u:pw', ids: [] })).toMatchObject([{ type: 'authed', conn: 2, ids: [{ scheme: 'digest', id: expect.stringMatching(/^u:/) }] }]);
    leader.step({ type: 'auth', conn: 2, auth: [{ scheme: 'digest', id: 'u:x' }] }); // as a SASL success would
    const t2 = change(2);
    expect(leader.step({ type: 'delivered', txn: t2, origin: { server: 1, id: 2 }, now: 3 }).filter((e) => e.type === 'notify')).toEqual([{ type: 'notify', conn: 2, event: 3, path: '/s' }]);
  });
});

describe('syncs and read-only (SERVER-11, SERVER-13)', () => {
  it('SERVER-11: a learner asks its leader and answers once it has delivered the zxid the leader named; the leader answers at once', () => {
    const learner = serving('learner');
    learner.rejoin(1, 11n);
    expect(learner.step({ type: 'sync', conn: 1, ref: 9 })).toEqual([{ type: 'send', to: 2, msg: { type: 'SYNC', id: 2 } }]);
    expect(learner.step({ type: 'peer', from: 2, now: 0, msg: { type: 'SYNCED', id: 2, zxid: 3 } })).toEqual([]); // it has delivered 2
    const txn: Txn = { session: 11n, zxid: 3, time: 0, op: { type: 'setData', path: '/', data: new Uint8Array(0), version: 1, mtime: 0 } as never };
    expect(learner.step({ type: 'delivered', txn, now: 1 }).filter((e) => e.type === 'synced')).toEqual([{ type: 'synced', ref: 9, zxid: 3 }]);
    const leader = serving('leader');
    expect(leader.step({ type: 'sync', conn: 1, ref: 4 })).toEqual([{ type: 'synced', ref: 4, zxid: 2 }]);
    expect(leader.step({ type: 'peer', from: 2, now: 0, msg: { type: 'SYNC', id: 7 } })).toEqual([{ type: 'send', to: 2, msg: { type: 'SYNCED', id: 7, zxid: 2 } }]);
  });

  it('SERVER-11: a sync behind a write still pending on its connection waits for it, and its reply carries the zxid delivered then (found by the simulator)', () => {
    const leader = serving('leader');
    leader.connect(1, reconnect(11n));
    const p = leader.step({ type: 'submit', conn: 1, ref: 1, write: setData, auth: [], now: 0 }).find((e) => e.type === 'zab-propose');
    if (p?.type !== 'zab-propose' || p.entry.kind !== 'txn') throw new Error('the leader proposed nothing');
    expect(leader.step({ type: 'sync', conn: 1, ref: 2 })).toEqual([]); // not at 2: the write before it is not delivered yet
    const out = leader.step({ type: 'delivered', txn: p.entry.txn, ...(p.entry.origin ? { origin: p.entry.origin } : {}), now: 1 });
    const answers = out.flatMap((e) => (e.type === 'reply' || e.type === 'synced' ? [[e.type, e.ref, e.zxid]] : []));
    expect(answers).toEqual([['reply', 1, p.zxid], ['synced', 2, p.zxid]]);
  });

  it('SERVER-13: a read-only server refuses writes and syncs with NotReadOnly; a close just ends the session', () => {
    const ro = serving('readonly');
    ro.connect(1, ask({ readOnly: true }));
    expect(ro.step({ type: 'submit', conn: 1, ref: 1, write: setData, auth: [], now: 0 })).toEqual([{ type: 'not-read-only', ref: 1, zxid: 2, close: false }]);
    expect(ro.step({ type: 'sync', conn: 1, ref: 2 })).toEqual([{ type: 'not-read-only', ref: 2, zxid: 2, close: false }]);
    expect(ro.step({ type: 'submit', conn: 1, ref: 3, write: { op: 'closeSession' }, auth: [], now: 0 })).toEqual([{ type: 'not-read-only', ref: 3, zxid: 2, close: true }]);
  });
});

describe('reaping (SERVER-15)', () => {
  it('lists candidates every interval and proposes deleteContainer within maxPerMinute', () => {
    // Three containers emptied of their child, one still holding one.
    const h = new Harness(TREE_CONFIG);
    h.tree = LIVE;
    for (const p of ['/a', '/b', '/c', '/d']) {
      h.create(11n, p, { flags: 4 });
      h.create(11n, `${p}/x`);
      if (p !== '/d') h.write(11n, { op: 'delete', path: `${p}/x`, version: -1 });
    }
    const r = serving('leader', h.tree, 0);
    const paths = (es: ServerEffect[]) => proposed(es).flatMap((t) => (t.op.type === 'delete' ? [t.op.path] : []));
    expect(r.step({ type: 'tick', now: 500 })).toEqual([]); // not yet due
    expect(paths(r.step({ type: 'tick', now: 1000 }))).toEqual(['/a', '/b']); // the budget: 2 a minute
    for (const p of ['/a', '/b']) h.write(0n, { op: 'deleteContainer', path: p }); // they commit
    r.step({ type: 'installed', tree: h.tree, zxid: 20 });
    expect(paths(r.step({ type: 'tick', now: 1100 }))).toEqual([]);
    expect(paths(r.step({ type: 'tick', now: 60_999 }))).toEqual([]); // listed again, budget still spent
    expect(paths(r.step({ type: 'tick', now: 61_000 }))).toEqual(['/c']); // a minute after the first delete
    // /c gained a child before its delete came: the delete fails and the node stays.
    h.create(11n, '/c/y');
    expect(h.write(0n, { op: 'deleteContainer', path: '/c' })).toBe(Code.NotEmpty);
    expect(h.tree.nodes.has('/c')).toBe(true);
    expect(serving('learner', h.tree).step({ type: 'tick', now: 5000 })).toEqual([]);
  });
});
