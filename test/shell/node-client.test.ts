// node-zookeeper-client (npm) against a real `zabkit server`: every operation it offers,
// watches, ephemerals on close and on expiry, digest ACLs.
import zookeeper, { type Client, type Event, type Stat } from 'node-zookeeper-client';
import { describe, expect, it } from 'vitest';
import { RawClient, suiteServer } from './harness.ts';

const { CreateMode, ACL, Id, Permission } = zookeeper;
const OPEN = ACL.OPEN_ACL_UNSAFE;

// Sessions may be as short as 200 ms: two ticks of 100 ms.
const suite = suiteServer(['--tick-time', '100']);

function client(timeout = 4000): Promise<Client> {
  const c = zookeeper.createClient(`127.0.0.1:${suite.server.port}`, { sessionTimeout: timeout, retries: 0 });
  return new Promise((resolve) => {
    c.once('connected', () => resolve(c));
    c.connect();
  });
}

/** Call a node-zookeeper-client method; resolves with its results or the error code. */
function call<T = unknown>(f: (cb: (e: Error | null, ...r: unknown[]) => void) => void): Promise<{ err: number; value: T; extra: unknown }> {
  return new Promise((resolve) =>
    f((e, a, b) => resolve({ err: e ? (e as unknown as { code: number }).code : 0, value: a as T, extra: b })),
  );
}

const watched = () => {
  let fire: (e: Event) => void = () => {};
  const event = new Promise<Event>((resolve) => (fire = resolve));
  return { watcher: (e: Event) => fire(e), event };
};

describe('node-zookeeper-client', () => {
  it('create in every mode, get, set, exists, children, delete, with ZooKeeper error codes', async () => {
    const c = await client();
    expect((await call((cb) => c.create('/n', Buffer.from('one'), OPEN, CreateMode.PERSISTENT, cb))).value).toBe('/n');
    expect((await call((cb) => c.create('/n', null, OPEN, CreateMode.PERSISTENT, cb))).err).toBe(-110);
    expect((await call((cb) => c.create('/n/seq-', null, OPEN, CreateMode.PERSISTENT_SEQUENTIAL, cb))).value).toBe('/n/seq-0000000000');
    expect((await call((cb) => c.create('/n/eph', null, OPEN, CreateMode.EPHEMERAL, cb))).value).toBe('/n/eph');
    expect((await call((cb) => c.create('/n/es-', null, OPEN, CreateMode.EPHEMERAL_SEQUENTIAL, cb))).value).toBe('/n/es-0000000002');
    expect((await call((cb) => c.create('/n/eph/x', null, OPEN, CreateMode.PERSISTENT, cb))).err).toBe(-108);
    expect((await call((cb) => c.create('/ctr', null, OPEN, CreateMode.CONTAINER, cb))).value).toBe('/ctr');
    expect((await call((cb) => c.create('/missing/x', null, OPEN, CreateMode.PERSISTENT, cb))).err).toBe(-101);

    const got = await call<Buffer>((cb) => c.getData('/n', undefined, cb));
    expect(got.value.toString()).toBe('one');
    expect((got.extra as Stat).version).toBe(0);
    const set = await call<Stat>((cb) => c.setData('/n', Buffer.from('two'), 0, cb));
    expect(set.value.version).toBe(1);
    expect((await call((cb) => c.setData('/n', Buffer.from('x'), 0, cb))).err).toBe(-103);
    expect((await call<Stat>((cb) => c.exists('/n', undefined, cb))).value.dataLength).toBe(3);
    expect((await call((cb) => c.exists('/nope', undefined, cb))).value).toBeNull();
    const kids = await call<string[]>((cb) => c.getChildren('/n', undefined, cb));
    expect(kids.value.sort()).toEqual(['eph', 'es-0000000002', 'seq-0000000000']);
    expect((kids.extra as Stat).numChildren).toBe(3);
    expect((await call((cb) => c.remove('/n', -1, cb))).err).toBe(-111);
    expect((await call((cb) => c.remove('/n/seq-0000000000', 5, cb))).err).toBe(-103);
    expect((await call((cb) => c.remove('/n/seq-0000000000', 0, cb))).err).toBe(0);
    expect((await call((cb) => c.mkdirp('/deep/er/path', Buffer.from('d'), OPEN, CreateMode.PERSISTENT, cb))).err).toBe(0);
    expect((await call<string[]>((cb) => c.listSubTreeBFS('/deep', cb))).value).toContain('/deep/er');
    expect((await call<Buffer>((cb) => c.getData('/deep/er/path', undefined, cb))).value.toString()).toBe('d');
    // (its listSubTreeBFS stops after one level, so removeRecursive gets a two-level tree)
    expect((await call((cb) => c.remove('/deep/er/path', -1, cb))).err).toBe(0);
    expect((await call((cb) => c.removeRecursive('/deep', -1, cb))).err).toBe(0);
    expect((await call((cb) => c.exists('/deep', undefined, cb))).value).toBeNull();
    c.close();
  });

  it('transactions: all or nothing, with per-op results', async () => {
    const c = await client();
    const ok = await call<{ type: number }[]>((cb) =>
      c.transaction().create('/tx', Buffer.from('a')).setData('/tx', Buffer.from('b'), 0).check('/tx', 1).create('/tx/c').commit(cb),
    );
    expect(ok.err).toBe(0);
    expect(ok.value.map((r) => r.type)).toEqual([1, 5, 13, 1]);
    // (this client sends check(path, 0) as version −1, so the failing check asks for version 5)
    const bad = await call<{ type: number; err?: number }[]>((cb) => c.transaction().create('/tx2').check('/tx', 5).create('/tx3').commit(cb));
    expect(bad.err).toBe(-103); // the client turns the per-op error results into the failing op's code
    expect(bad.extra ?? bad.value).toEqual([
      { type: -1, err: 0 },
      { type: -1, err: -103 },
      { type: -1, err: -2 },
    ]);
    expect((await call((cb) => c.exists('/tx2', undefined, cb))).value).toBeNull();
    expect((await call<Buffer>((cb) => c.getData('/tx', undefined, cb))).value.toString()).toBe('b');
    c.close();
  });

  it('data, child and exists watches fire once, before the reply to the write that fired them', async () => {
    const c = await client();
    const other = await client();
    await call((cb) => c.create('/w', Buffer.from('0'), OPEN, CreateMode.PERSISTENT, cb));
    const data = watched();
    const kids = watched();
    const made = watched();
    await call((cb) => c.getData('/w', data.watcher, cb));
    await call((cb) => c.getChildren('/w', kids.watcher, cb));
    await call((cb) => c.exists('/w/new', made.watcher, cb));
    const order: string[] = [];
    void data.event.then(() => order.push('event'));
    await call((cb) => other.setData('/w', Buffer.from('1'), -1, cb)).then(() => order.push('reply'));
    expect((await data.event).getType()).toBe(zookeeper.Event.NODE_DATA_CHANGED);
    await call((cb) => other.create('/w/new', null, OPEN, CreateMode.PERSISTENT, cb));
    expect((await made.event).getType()).toBe(zookeeper.Event.NODE_CREATED);
    expect((await kids.event).getType()).toBe(zookeeper.Event.NODE_CHILDREN_CHANGED);
    // The writer's own reply and the watcher's event are on different connections; on the same one the
    // event comes first — checked here with the watcher and the writer on one client:
    const own = watched();
    await call((cb) => c.getData('/w', own.watcher, cb));
    const seq: string[] = [];
    void own.event.then(() => seq.push('event'));
    await call((cb) => c.setData('/w', Buffer.from('2'), -1, cb)).then(() => seq.push('reply'));
    expect(seq).toEqual(['event', 'reply']);
    expect(order).toContain('event');
    c.close();
    other.close();
  });

  it('ephemerals go when the session closes, and when it expires', async () => {
    const a = await client();
    await call((cb) => a.create('/e1', null, OPEN, CreateMode.EPHEMERAL, cb));
    const b = await client();
    expect((await call<Stat>((cb) => b.exists('/e1', undefined, cb))).value).not.toBeNull();
    const gone = watched();
    await call((cb) => b.exists('/e1', gone.watcher, cb));
    a.close();
    expect((await gone.event).getType()).toBe(zookeeper.Event.NODE_DELETED);

    // Expiry: a session whose client vanishes without closing (its socket just drops). Its 1 s
    // leaves room on a busy machine to set the watch while the node is still there (at 400 ms a
    // slow exists could find it gone, and its watch then waited for a create); the clock starts
    // before the session's last message, so the expiry can come no sooner than a timeout after.
    const raw = await RawClient.session(suite.server.port, { timeout: 1000 });
    expect(raw.timeout).toBe(1000);
    const t0 = Date.now();
    raw.send(1, { op: 'create', path: '/e2', data: null, acl: OPEN.map((x) => ({ perms: x.permission, id: { scheme: x.id.scheme, id: x.id.id } })), flags: 1 });
    expect((await raw.reply())?.err).toBe(0);
    const expired = watched();
    expect((await call<Stat>((cb) => b.exists('/e2', expired.watcher, cb))).value).not.toBeNull();
    raw.close();
    expect((await expired.event).getType()).toBe(zookeeper.Event.NODE_DELETED);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    // Its session is gone for good: a reconnect with its id and password is refused.
    await expect(RawClient.session(suite.server.port, { sessionId: raw.sessionId, passwd: raw.passwd })).resolves.toMatchObject({ sessionId: 0n, timeout: 0 });
    b.close();
  });

  it('digest ACLs: only the authenticated user gets in; getACL and setACL', async () => {
    const owner = await client();
    owner.addAuthInfo('digest', Buffer.from('alice:secret'));
    const acl = [new ACL(Permission.ALL, new Id('auth', ''))];
    expect((await call((cb) => owner.create('/secret', Buffer.from('s'), acl, CreateMode.PERSISTENT, cb))).err).toBe(0);
    const got = await call<{ permission: number; id: { scheme: string; id: string } }[]>((cb) => owner.getACL('/secret', cb));
    expect(got.value).toEqual([expect.objectContaining({ permission: 31, id: expect.objectContaining({ scheme: 'digest', id: 'alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=' }) })]);
    const stranger = await client();
    expect((await call((cb) => stranger.getData('/secret', undefined, cb))).err).toBe(-102);
    expect((await call((cb) => stranger.setData('/secret', Buffer.from('x'), -1, cb))).err).toBe(-102);
    const friend = await client();
    friend.addAuthInfo('digest', Buffer.from('alice:secret'));
    expect((await call<Buffer>((cb) => friend.getData('/secret', undefined, cb))).value.toString()).toBe('s');
    const opened = await call<Stat>((cb) => friend.setACL('/secret', OPEN, 0, cb));
    expect(opened.value.aversion).toBe(1);
    expect((await call<Buffer>((cb) => stranger.getData('/secret', undefined, cb))).err).toBe(0);
    for (const c of [owner, stranger, friend]) c.close();
  });
});
