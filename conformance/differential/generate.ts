// Seeded client workloads for differential runs: sessions opening and closing, every 3.8
// operation (creates of each mode, versions, ACLs, auth, multi, watches of each kind, bad
// paths and other errors), all under one root per workload. The generator sees the paths the
// server reported (sequential names), so it is fed each reply's created path; both systems
// give it the same replies up to the first mismatch, so both receive the same operations.
import { createHash } from 'node:crypto';
import type { MultiOp } from '../../src/wire/multi.ts';
import type { Request } from '../../src/wire/protocol.ts';

export type ClientRequest = Exclude<Request, { op: 'unknown' }>;

export type Step =
  | { readonly kind: 'op'; readonly session: number; readonly request: ClientRequest }
  | { readonly kind: 'auth'; readonly session: number; readonly scheme: string; readonly auth: string }
  | { readonly kind: 'open' }
  | { readonly kind: 'close'; readonly session: number };

/** mulberry32: small, fast, and the same sequence on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALL = 31;
const world = (perms: number) => [{ perms, id: { scheme: 'world', id: 'anyone' } }];
const digestId = (user: string, pw: string) => `${user}:${createHash('sha1').update(`${user}:${pw}`).digest('base64')}`;
const USERS = [
  ['alice', 'secret'],
  ['bob', 'pw'],
] as const;

/** ACL lists a client may send: valid ones of each scheme, and the invalid ones ZooKeeper refuses. */
const ACLS = [
  world(ALL),
  world(ALL),
  world(ALL),
  world(1), // read only
  world(1 | 4 | 8), // read, create, delete: no write, no admin
  world(ALL & ~16), // no admin
  [{ perms: ALL, id: { scheme: 'auth', id: '' } }], // the creator's auth ids (InvalidACL without auth)
  [{ perms: ALL, id: { scheme: 'digest', id: digestId('alice', 'secret') } }],
  [{ perms: 1, id: { scheme: 'digest', id: digestId('bob', 'pw') } }, ...world(ALL & ~2)],
  [{ perms: ALL, id: { scheme: 'ip', id: '127.0.0.1' } }],
  [{ perms: ALL, id: { scheme: 'ip', id: '10.0.0.0/8' } }],
  [], // InvalidACL
  [{ perms: ALL, id: { scheme: 'nosuch', id: 'x' } }], // InvalidACL
];

const REL = ['', '/a', '/b', '/c', '/a/x', '/a/y', '/b/x', '/c/z'];

export class Generator {
  private readonly r: () => number;
  private readonly root: string;
  private readonly live: number[] = [];
  private sessions = 0;
  private readonly learned: string[] = [];
  private count = 0;

  constructor(
    readonly seed: number,
    prefix = '/diff',
  ) {
    this.r = rng(seed);
    this.root = `${prefix}-${seed}`;
    const initial = 2 + this.int(2);
    for (let i = 0; i < initial; i++) this.live.push(this.sessions++);
  }

  /** Sessions opened before the first step. */
  get initialSessions(): number {
    return this.live.length;
  }

  /** A path the server created (sequential names are known only from its reply). */
  learn(path: string): void {
    if (path.startsWith(this.root) && !this.learned.includes(path)) this.learned.push(path);
  }

  private int(n: number): number {
    return Math.floor(this.r() * n);
  }
  private pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  private chance(p: number): boolean {
    return this.r() < p;
  }

  private path(): string {
    const x = this.r();
    if (x < 0.08) {
      const R = this.root;
      return this.pick(['relative', `${R}/`, `${R}//a`, `${R}/a/./b`, `${R}/../x`, `${R}/nope/x`, '/zookeeper', '/zookeeper/quota', '/', `${R}/a\u0000b`]);
    }
    if (x < 0.25 && this.learned.length) return this.pick(this.learned);
    return this.root + this.pick(REL);
  }
  private parent(): string {
    return this.chance(0.7) ? this.root + this.pick(['', '/a', '/b']) : this.path();
  }
  private data(): Uint8Array | null {
    const x = this.r();
    if (x < 0.06) return null;
    if (x < 0.15) return new Uint8Array(0);
    if (x < 0.8) return new TextEncoder().encode(`v${this.int(1000)}`);
    return Uint8Array.from({ length: 1 + this.int(40) }, () => this.int(256));
  }
  private version(): number {
    return this.chance(0.65) ? -1 : this.pick([0, 0, 1, 2, 3, -2]);
  }
  private acl() {
    return this.chance(0.6) ? ACLS[0]! : this.pick(ACLS);
  }
  private session(): number {
    return this.pick(this.live);
  }

  /** A create of any kind, its path sequential or not. */
  private createBody(): { path: string; data: Uint8Array | null; acl: ReturnType<Generator['acl']>; flags: number } {
    const flags = this.chance(0.9) ? this.pick([0, 0, 0, 1, 1, 2, 3]) : this.pick([4, 5, 6, 7, -1]);
    const path = flags === 2 || flags === 3 || flags === 6 ? `${this.parent()}/q-` : this.chance(0.8) ? this.root + this.pick(REL) : this.path();
    return { path, data: this.data(), acl: this.acl(), flags };
  }

  private multiOp(): MultiOp {
    const x = this.int(4);
    if (x === 0) return { type: 1, body: { ...this.createBody(), flags: this.pick([0, 0, 1, 2]) } };
    if (x === 1) return { type: 2, body: { path: this.path(), version: this.version() } };
    if (x === 2) return { type: 5, body: { path: this.path(), data: this.data(), version: this.version() } };
    return { type: 13, body: { path: this.path(), version: this.version() } };
  }

  next(): Step {
    if (this.count++ === 0) return { kind: 'op', session: 0, request: { op: 'create', path: this.root, data: null, acl: ACLS[0]!, flags: 0 } };
    const s = this.session();
    const x = this.r() * 100;
    const op = (request: ClientRequest): Step => ({ kind: 'op', session: s, request });
    const watch = this.chance(0.5);
    if (x < 14) return op({ op: 'create', ...this.createBody() });
    if (x < 18) return op({ op: 'create2', ...this.createBody() });
    if (x < 20) return op({ op: 'createContainer', ...this.createBody(), flags: this.chance(0.9) ? 4 : 0 });
    if (x < 22) {
      const b = this.createBody();
      // Never a non-TTL mode with a negative ttl: it passes ZooKeeper 3.8's checks, and applying
      // the txn then fails and stops the server (seen with 3.8.0; zabkit creates the node).
      const ttl = BigInt(this.pick([600000, 600000, 0, -1]));
      const flags = this.chance(0.85) ? this.pick([5, 6]) : ttl < 0n ? 5 : 0;
      return op({ op: 'createTTL', ...b, flags, ttl });
    }
    if (x < 32) return op({ op: 'setData', path: this.path(), data: this.data(), version: this.version() });
    if (x < 41) return op({ op: 'delete', path: this.path(), version: this.version() });
    if (x < 50) return op({ op: 'getData', path: this.path(), watch });
    if (x < 57) return op({ op: 'exists', path: this.path(), watch });
    if (x < 62) return op({ op: 'getChildren', path: this.path(), watch });
    if (x < 66) return op({ op: 'getChildren2', path: this.path(), watch });
    if (x < 72) return op({ op: 'multi', ops: Array.from({ length: 1 + this.int(4) }, () => this.multiOp()) });
    if (x < 74) {
      const ops: MultiOp[] = Array.from({ length: 1 + this.int(3) }, () => ({ type: this.pick([4, 8] as const), body: { path: this.path(), watch: false } }));
      return op({ op: 'multiRead', ops });
    }
    if (x < 77) return op({ op: 'getACL', path: this.path() });
    if (x < 81) return op({ op: 'setACL', path: this.path(), acl: this.acl(), version: this.version() });
    if (x < 83) return op({ op: 'sync', path: this.path() });
    if (x < 85) return op({ op: 'getAllChildrenNumber', path: this.path() });
    if (x < 87) return op({ op: 'getEphemerals', prefixPath: this.pick([this.root, `${this.root}/a`, '/', `${this.root}/q`]) });
    if (x < 90) return op({ op: 'addWatch', path: this.path(), mode: this.chance(0.95) ? this.int(2) : 7 });
    if (x < 92) return op({ op: this.pick(['removeWatches', 'checkWatches'] as const), path: this.path(), type: this.pick([1, 2, 3, 3, 9]) });
    if (x < 93) return op({ op: 'whoAmI' });
    if (x < 96) {
      const [user, pw] = this.pick(USERS);
      return this.chance(0.9) ? { kind: 'auth', session: s, scheme: 'digest', auth: `${user}:${pw}` } : { kind: 'auth', session: s, scheme: 'nosuch', auth: 'x' };
    }
    if ((x < 98 && this.live.length < 5) || this.live.length === 1) {
      this.live.push(this.sessions++);
      return { kind: 'open' };
    }
    this.live.splice(this.live.indexOf(s), 1);
    return { kind: 'close', session: s };
  }
}
