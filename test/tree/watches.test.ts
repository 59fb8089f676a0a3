// WATCH rules: which watcher hears what, in which order, and what stays registered.
import { describe, expect, it } from 'vitest';
import {
  addDataWatch,
  addChildWatch,
  addWatch,
  afterRead,
  Code,
  digestOf,
  dropWatcher,
  emptyWatches,
  EventType,
  hasWatch,
  Perms,
  readableBy,
  removeWatches,
  setWatches,
  trigger,
  type WatchTable,
} from '../../src/tree/index.ts';
import { bytes, Harness } from './harness.ts';

const S = 1n;

/** Run writes through a harness and the table; return the notifications as [watcher, type, path]. */
function fired(h: Harness, table: WatchTable<string>, write: () => void) {
  h.events = [];
  write();
  const r = trigger(table, h.events);
  return { table: r.table, seen: r.notifications.map((n) => [n.watcher, n.type, n.path]) };
}

function started(): Harness {
  const h = new Harness();
  h.session(S);
  h.create(S, '/a');
  return h;
}

describe('watches', () => {
  it('WATCH-1 exists watches a missing node; other reads only watch what they found', () => {
    let t = emptyWatches<string>();
    t = afterRead(t, 'c', 'exists', '/nope', Code.NoNode);
    t = afterRead(t, 'c', 'getData', '/gone', Code.NoNode);
    t = afterRead(t, 'c', 'getChildren', '/a', 0);
    t = afterRead(t, 'c', 'exists', '/secret', Code.NoAuth);
    expect(hasWatch(t, '/nope', 2)).toBe(true);
    expect(hasWatch(t, '/gone', 3)).toBe(false);
    expect(hasWatch(t, '/a', 1)).toBe(true);
    expect(hasWatch(t, '/secret', 3)).toBe(false);
  });

  it('WATCH-2 WATCH-3 each txn fires its events once, and one-shot watches go', () => {
    const h = started();
    let t = addDataWatch(addChildWatch(addDataWatch(emptyWatches<string>(), 'x', '/a/b'), 'p', '/a'), 'd', '/a');
    let r = fired(h, t, () => h.create(S, '/a/b'));
    expect(r.seen).toEqual([['x', EventType.NodeCreated, '/a/b'], ['p', EventType.NodeChildrenChanged, '/a']]);
    r = fired(h, r.table, () => h.create(S, '/a/c'));
    expect(r.seen).toEqual([]);
    r = fired(h, r.table, () => h.write(S, { op: 'setData', path: '/a', data: bytes('v'), version: -1 }));
    expect(r.seen).toEqual([['d', EventType.NodeDataChanged, '/a']]);
    t = addChildWatch(addDataWatch(r.table, 'x', '/a/b'), 'y', '/a/b');
    r = fired(h, t, () => h.write(S, { op: 'setACL', path: '/a/b', acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], version: -1 }));
    expect(r.seen).toEqual([]);
    r = fired(h, r.table, () => h.write(S, { op: 'delete', path: '/a/b', version: -1 }));
    expect(r.seen).toEqual([['x', EventType.NodeDeleted, '/a/b'], ['y', EventType.NodeDeleted, '/a/b']]);
  });

  it('WATCH-4 a persistent watch stays and hears children changes too', () => {
    const h = started();
    let r = fired(h, addWatch(emptyWatches<string>(), 'p', '/a', 0), () => h.create(S, '/a/b'));
    expect(r.seen).toEqual([['p', EventType.NodeChildrenChanged, '/a']]);
    r = fired(h, r.table, () => h.write(S, { op: 'setData', path: '/a', data: bytes('1'), version: -1 }));
    expect(r.seen).toEqual([['p', EventType.NodeDataChanged, '/a']]);
    r = fired(h, r.table, () => h.write(S, { op: 'setData', path: '/a/b', data: bytes('1'), version: -1 }));
    expect(r.seen).toEqual([]);
  });

  it('WATCH-5 WATCH-6 a recursive watch hears the subtree, never NodeChildrenChanged, once per event', () => {
    const h = started();
    let r = fired(h, addWatch(emptyWatches<string>(), 'r', '/a', 1), () => h.create(S, '/a/b'));
    expect(r.seen).toEqual([['r', EventType.NodeCreated, '/a/b']]);
    r = fired(h, r.table, () => h.create(S, '/a/b/c'));
    expect(r.seen).toEqual([['r', EventType.NodeCreated, '/a/b/c']]);
    r = fired(h, r.table, () => h.write(S, { op: 'delete', path: '/a/b/c', version: -1 }));
    expect(r.seen).toEqual([['r', EventType.NodeDeleted, '/a/b/c']]);
    expect(r.table.recursive).toBe(2); // one registration in each table
    // A standard data watch over it downgrades the data table's only: the child table still
    // hears the subtree's deletes (ZooKeeper 3.8 keeps a mode per WatchManager; seen).
    const downgraded = afterRead(r.table, 'r', 'exists', '/a', 0);
    expect(downgraded.recursive).toBe(1);
    r = fired(h, downgraded, () => h.write(S, { op: 'delete', path: '/a/b', version: -1 }));
    expect(r.seen).toEqual([['r', EventType.NodeDeleted, '/a/b']]);
  });

  it('WATCH-7 a watcher that may not READ the node hears nothing', () => {
    const h = started();
    const alice = { scheme: 'digest', id: digestOf('alice:pw') };
    const t = addWatch(addWatch(emptyWatches<string>(), 'anon', '/a', 1), 'alice', '/a', 1);
    h.events = [];
    h.create(S, '/a/private', { acl: [{ perms: Perms.ALL, id: alice }] });
    const r = trigger(t, h.events, readableBy((w: string) => (w === 'alice' ? [alice] : [])));
    expect(r.notifications.map((n) => n.watcher)).toEqual(['alice']);
  });

  it('WATCH-8 events come out in apply order, a multi in op order', () => {
    const h = started();
    const t = addWatch(emptyWatches<string>(), 'r', '/', 1);
    const r = fired(h, t, () =>
      h.write(S, {
        op: 'multi',
        ops: [
          { op: 'create', path: '/a/1', data: bytes(''), acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags: 0 },
          { op: 'setData', path: '/a', data: bytes('x'), version: -1 },
          { op: 'delete', path: '/a/1', version: -1 },
        ],
      }),
    );
    expect(r.seen.map(([, type, path]) => `${type}:${path}`)).toEqual(['1:/a/1', '3:/a', '2:/a/1']);
  });

  it('WATCH-9 removeWatches and checkWatches by type; NoWatcher when none', () => {
    let t = addChildWatch(addDataWatch(emptyWatches<string>(), 'c', '/a'), 'c', '/a');
    expect(hasWatch(t, '/a', 1)).toBe(true);
    const noData = removeWatches(t, 'c', '/a', 2);
    if (typeof noData === 'number') throw new Error('expected a table');
    expect(hasWatch(noData, '/a', 2)).toBe(false);
    expect(hasWatch(noData, '/a', 1)).toBe(true);
    expect(removeWatches(noData, 'c', '/a', 2)).toBe(Code.NoWatcher);
    expect(removeWatches(noData, 'other', '/a', 3)).toBe(Code.NoWatcher);
    // checkWatches sees any connection's watch (ZooKeeper 3.8); removeWatches only the caller's.
    expect(hasWatch(addDataWatch(emptyWatches<string>(), 'other', '/o'), '/o', 2)).toBe(true);
    t = addWatch(emptyWatches<string>(), 'c', '/r', 1);
    const gone = removeWatches(t, 'c', '/r', 3);
    expect(typeof gone === 'number' ? gone : gone.recursive).toBe(0);
    expect(dropWatcher(addWatch(t, 'd', '/x', 1), 'd').recursive).toBe(t.recursive);
  });

  it('WATCH-10 setWatches fires what changed since relZxid and re-arms the rest', () => {
    const h = started();
    const seenAt = h.zxid;
    h.create(S, '/a/new');
    h.create(S, '/old');
    const r = setWatches(h.tree, emptyWatches<string>(), 'c', seenAt, {
      data: ['/gone', '/a', '/old'],
      exist: ['/a/new', '/absent'],
      child: ['/a', '/gone2'],
      persistent: ['/p'],
      persistentRecursive: [],
    });
    expect(r.notifications.map((n) => [n.type, n.path])).toEqual([
      [EventType.NodeDeleted, '/gone'],
      [EventType.NodeDataChanged, '/old'],
      [EventType.NodeCreated, '/a/new'],
      [EventType.NodeChildrenChanged, '/a'],
      [EventType.NodeDeleted, '/gone2'],
    ]);
    expect(hasWatch(r.table, '/a', 2)).toBe(true);
    expect(hasWatch(r.table, '/absent', 2)).toBe(true);
    expect(hasWatch(r.table, '/p', 1)).toBe(true);
  });
});
