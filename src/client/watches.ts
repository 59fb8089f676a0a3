// The client's record of the watches it set, and which of them one notification fires
// (ZooKeeper's client watch manager): one-shot data, exist and child watches are removed when
// they fire; persistent ones stay, a recursive one hears its whole subtree except child events.

export type WatchEventType = 'created' | 'deleted' | 'dataChanged' | 'childrenChanged' | 'dataWatchRemoved' | 'childWatchRemoved' | 'persistentWatchRemoved';

export interface WatchEvent {
  readonly type: WatchEventType;
  /** The client's path (without the chroot). */
  readonly path: string;
}

export type Watcher = (event: WatchEvent) => void;

/** Watcher.Event.EventType numbers on the wire. */
export const EVENT_TYPES: ReadonlyMap<number, WatchEventType> = new Map([
  [1, 'created'],
  [2, 'deleted'],
  [3, 'dataChanged'],
  [4, 'childrenChanged'],
  [5, 'dataWatchRemoved'],
  [6, 'childWatchRemoved'],
  [7, 'persistentWatchRemoved'],
]);

export type WatchKind = 'data' | 'exist' | 'child' | 'persistent' | 'persistentRecursive';
const KINDS: readonly WatchKind[] = ['data', 'exist', 'child', 'persistent', 'persistentRecursive'];

/** Which watchers removeWatches/checkWatches names: Children 1, Data 2, Any 3 (WatcherType). */
export type WatcherType = 'children' | 'data' | 'any';
export const WATCHER_TYPE_CODES: Readonly<Record<WatcherType, number>> = { children: 1, data: 2, any: 3 };

/** The kinds a WatcherType names ('any' includes the persistent ones, as ZooKeeper 3.8's client). */
const kindsOf = (type: WatcherType): readonly WatchKind[] => (type === 'data' ? ['data', 'exist'] : type === 'children' ? ['child'] : KINDS);
/** The event a removed watcher of each kind hears. */
const REMOVED_EVENT: Readonly<Record<WatchKind, WatchEventType>> = {
  data: 'dataWatchRemoved',
  exist: 'dataWatchRemoved',
  child: 'childWatchRemoved',
  persistent: 'persistentWatchRemoved',
  persistentRecursive: 'persistentWatchRemoved',
};

const ancestorsAndSelf = (path: string): string[] => {
  const out = [path];
  for (let p = path; p !== '/'; ) {
    p = p.slice(0, p.lastIndexOf('/')) || '/';
    out.push(p);
  }
  return out;
};

export class WatchRegistry {
  private readonly byKind = new Map<WatchKind, Map<string, Set<Watcher>>>(KINDS.map((k) => [k, new Map()]));

  add(kind: WatchKind, path: string, w: Watcher): void {
    const m = this.byKind.get(kind)!;
    const s = m.get(path) ?? new Set<Watcher>();
    s.add(w);
    m.set(path, s);
  }

  has(kind: WatchKind, path: string, w?: Watcher): boolean {
    const s = this.byKind.get(kind)!.get(path);
    return !!s && (w ? s.has(w) : s.size > 0);
  }

  /** Paths with a watch of `kind` (for setWatches after a reconnect). */
  paths(kind: WatchKind): string[] {
    return [...this.byKind.get(kind)!.keys()];
  }

  get size(): number {
    let n = 0;
    for (const m of this.byKind.values()) for (const s of m.values()) n += s.size;
    return n;
  }

  private take(kind: WatchKind, path: string, into: Set<Watcher>): void {
    const m = this.byKind.get(kind)!;
    const s = m.get(path);
    if (!s) return;
    for (const w of s) into.add(w);
    m.delete(path);
  }

  private copy(kind: WatchKind, path: string, into: Set<Watcher>): void {
    for (const w of this.byKind.get(kind)!.get(path) ?? []) into.add(w);
  }

  /** The watchers a notification fires (one-shot ones are removed). */
  fire(type: WatchEventType, path: string): Set<Watcher> {
    const out = new Set<Watcher>();
    switch (type) {
      case 'created':
      case 'dataChanged':
        this.take('data', path, out);
        this.take('exist', path, out);
        break;
      case 'deleted':
        this.take('data', path, out);
        this.take('exist', path, out);
        this.take('child', path, out);
        break;
      case 'childrenChanged':
        this.take('child', path, out);
        this.copy('persistent', path, out);
        return out; // recursive watches do not hear child events
      default:
        return out;
    }
    this.copy('persistent', path, out);
    for (const p of ancestorsAndSelf(path)) this.copy('persistentRecursive', p, out);
    return out;
  }

  /**
   * Removes the watches `type` names at `path` (only `w` if given) and says which it removed and
   * with which event each is told. 'any' includes the persistent ones, as ZooKeeper 3.8's client.
   */
  remove(path: string, type: WatcherType, w?: Watcher): { watcher: Watcher; event: WatchEventType }[] {
    const out: { watcher: Watcher; event: WatchEventType }[] = [];
    for (const kind of kindsOf(type)) {
      const event = REMOVED_EVENT[kind];
      const m = this.byKind.get(kind)!;
      const s = m.get(path);
      if (!s) continue;
      for (const x of [...s]) {
        if (w && x !== w) continue;
        s.delete(x);
        if (!out.some((o) => o.watcher === x)) out.push({ watcher: x, event });
      }
      if (!s.size) m.delete(path);
    }
    return out;
  }

  /** Whether any watch `type` names is set at `path` (checkWatches asks the server as well). */
  holds(path: string, type: WatcherType, w?: Watcher): boolean {
    return kindsOf(type).some((k) => this.has(k, path, w));
  }

  /** Whether watchers other than `w` hold a watch of `type` at `path` (then the server's must stay). */
  heldByOthers(path: string, type: WatcherType, w: Watcher): boolean {
    return kindsOf(type).some((k) => [...(this.byKind.get(k)!.get(path) ?? [])].some((x) => x !== w));
  }

  /** Every watcher, once (told of the session's end). */
  all(): Set<Watcher> {
    const out = new Set<Watcher>();
    for (const m of this.byKind.values()) for (const s of m.values()) for (const w of s) out.add(w);
    return out;
  }

  clear(): void {
    for (const m of this.byKind.values()) m.clear();
  }
}
