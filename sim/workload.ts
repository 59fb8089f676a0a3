// The seeded clients' work: every kind of request, on a few keys so that they collide. Each
// request becomes a history record: when it was sent and answered (simulated ms), what came back,
// and, for the writes the linearizability checker judges, the op on each znode it touched.
import type { Reader } from '../src/wire/jute.ts';
import { MultiResponse } from '../src/wire/multi.ts';
import { OPS } from '../src/wire/records.ts';
import { OPEN_ACL } from '../src/tree/acl.ts';
import type { Request } from '../src/wire/protocol.ts';
import { Code, CreateMode } from '../src/tree/codes.ts';
import type { ZnodeInput, ZnodeOutput } from '../conformance/linearizability/znode-model.ts';
import type { Outcome, SimClient } from './client.ts';
import type { Random } from './random.ts';

type Wire = Exclude<Request, { op: 'unknown' }>;
const OPEN = [...OPEN_ACL];
const MULTI_CHECK = 13;
const MULTI_SET = 5;
export const KEYS = ['/k0', '/k1', '/k2', '/k3'];
/** The parents the workload needs, created before it starts. */
export const PARENTS = ['/e', '/q', '/c'];

/** A read's answer: what the session saw of a znode, and at which zxid the server answered. */
export type ReadSeen = { readonly data: string; readonly version: number; readonly czxid: bigint; readonly mzxid: bigint } | 'NoNode';

export interface Record {
  readonly id: number;
  readonly client: number;
  readonly session: number;
  readonly kind: string;
  readonly path: string;
  readonly call: number;
  ret: number;
  /** The error code, or null while unanswered or when the connection went first. */
  err: number | null;
  zxid: bigint | null;
  /** Per znode this op touched, what the linearizability checker judges (writes only). */
  lin: { readonly input: ZnodeInput; output: ZnodeOutput | undefined }[];
  read?: ReadSeen;
  /** A create of a sequential, ephemeral, container or TTL node: the name it got. */
  created?: string;
  /** That name has a sequence number: no other create may get it. */
  sequential?: boolean;
  /** A read that left a watch. */
  watch?: boolean;
}

export interface Workload {
  readonly records: Record[];
  /** The client's next request; null when the budget is spent, or when this turn moved the client instead. */
  next(client: SimClient): { readonly request: Wire; readonly record: Record; readonly settle: (o: Outcome) => void } | null;
  /** Every request of the budget has been issued. */
  readonly spent: boolean;
}

const WRITE_KINDS: ReadonlySet<string> = new Set(['create', 'setData', 'delete', 'multi', 'ephemeral', 'sequential', 'container', 'ttl']);

/** A multi answered with one of these did nothing. */
const ABORTED: ReadonlySet<number> = new Set([Code.BadVersion, Code.NoNode, Code.NodeExists, Code.NotEmpty, Code.RuntimeInconsistency]);

const text = (b: Uint8Array | null) => (b === null ? '' : Buffer.from(b).toString('utf8'));

/** ZooKeeper's answers that the znode model knows; others (expired, moved, ...) leave the outcome unknown. */
function znodeError(err: number): ZnodeOutput | undefined {
  return err === Code.NodeExists ? 'NodeExists' : err === Code.NoNode ? 'NoNode' : err === Code.BadVersion ? 'BadVersion' : undefined;
}

export function workload(random: Random, budget: number, clock: () => number): Workload {
  const records: Record[] = [];
  let ids = 0;
  /** The versions each client last saw, per key: it sometimes writes conditionally on them. */
  const versions = new Map<string, number>();

  const make = (client: SimClient, kind: string, path: string, now: number): Record => ({
    id: ids++,
    client: client.id,
    session: client.session.n,
    kind,
    path,
    call: now,
    ret: Infinity,
    err: null,
    zxid: null,
    lin: [],
  });

  return {
    records,
    get spent() {
      return ids >= budget;
    },
    next(client) {
      if (ids >= budget) return null;
      const now = clock();
      const key = random.pick(KEYS);
      const known = versions.get(`${client.id}${key}`);
      const version = known !== undefined && random.chance(0.6) ? known : -1;
      const data = `c${client.id}.${ids}`;
      const bytes = Buffer.from(data);
      const kind = random.weighted<string>([
        ['create', 12],
        ['setData', 24],
        ['delete', 7],
        ['getData', 18],
        ['exists', 5],
        ['children', 4],
        ['multi', 7],
        ['sync', 4],
        ['ephemeral', 5],
        ['sequential', 5],
        ['container', 2],
        ['ttl', 2],
        ['close', 1],
        ['move', 3],
      ]);
      if (kind === 'move') {
        // The client leaves its server for another (as a client whose connection looked dead does):
        // the session must follow it (SERVER-5, SERVER-6).
        client.move();
        return null;
      }
      const seenRead = (r: Record, body: Reader, withData: boolean) => {
        const v = withData ? OPS.getData.response.read(body) : { data: null, ...OPS.exists.response.read(body) };
        r.read = { data: text(v.data), version: v.stat.version, czxid: v.stat.czxid, mzxid: v.stat.mzxid };
        versions.set(`${client.id}${r.path}`, v.stat.version);
      };
      const answered = (r: Record, o: Outcome): (Outcome & { kind: 'reply' }) | null => {
        r.ret = o.kind === 'reply' ? clock() : Infinity;
        if (o.kind !== 'reply') return null;
        r.err = o.err;
        r.zxid = o.zxid;
        if (o.err === Code.OK && WRITE_KINDS.has(r.kind) && client.here) client.here.acked++;
        // A server's error answer means the write did nothing; one the znode model does not know
        // (an expired or moved session, a read-only server) is left out of the history.
        if (o.err !== Code.OK && znodeError(o.err) === undefined && !ABORTED.has(o.err)) r.lin.length = 0;
        return o;
      };
      const plain = (request: Wire, r: Record, then: (o: Outcome & { kind: 'reply' }) => void = () => {}) => ({
        request,
        record: (records.push(r), r),
        settle: (o: Outcome) => {
          const a = answered(r, o);
          if (a) then(a);
        },
      });
      const r = make(client, kind, key, now);
      switch (kind) {
        case 'create': {
          const lin = { input: { op: 'create', path: key, data } as ZnodeInput, output: undefined as ZnodeOutput | undefined };
          r.lin.push(lin);
          return plain({ op: 'create', path: key, data: bytes, acl: OPEN, flags: CreateMode.PERSISTENT }, r, (a) => {
            lin.output = a.err === Code.OK ? 'ok' : znodeError(a.err);
            if (a.err === Code.OK) versions.set(`${client.id}${key}`, 0);
          });
        }
        case 'setData': {
          const lin = { input: { op: 'setData', path: key, data, version } as ZnodeInput, output: undefined as ZnodeOutput | undefined };
          r.lin.push(lin);
          return plain({ op: 'setData', path: key, data: bytes, version }, r, (a) => {
            if (a.err !== Code.OK) return void (lin.output = znodeError(a.err));
            const stat = OPS.setData.response.read(a.body).stat;
            lin.output = { ok: true, version: stat.version };
            versions.set(`${client.id}${key}`, stat.version);
          });
        }
        case 'delete': {
          const lin = { input: { op: 'delete', path: key, version } as ZnodeInput, output: undefined as ZnodeOutput | undefined };
          r.lin.push(lin);
          return plain({ op: 'delete', path: key, version }, r, (a) => void (lin.output = a.err === Code.OK ? 'ok' : znodeError(a.err)));
        }
        case 'getData':
        case 'exists': {
          r.watch = random.chance(0.5);
          return plain({ op: kind, path: key, watch: r.watch }, r, (a) => {
            if (a.err === Code.OK) seenRead(r, a.body, kind === 'getData');
            else if (a.err === Code.NoNode) r.read = 'NoNode';
          });
        }
        case 'children':
          return plain({ op: 'getChildren2', path: random.pick(['/', '/q', '/e']), watch: random.chance(0.3) }, { ...r, path: '/' });
        case 'sync':
          return plain({ op: 'sync', path: key }, r);
        case 'multi': {
          // check one key's version, set another's: both or neither
          const other = random.pick(KEYS);
          const checked = versions.get(`${client.id}${other}`) ?? 0;
          const lin = { input: { op: 'setData', path: key, data, version: -1 } as ZnodeInput, output: undefined as ZnodeOutput | undefined };
          return plain(
            {
              op: 'multi',
              ops: [
                { type: MULTI_CHECK, body: { path: other, version: checked } },
                { type: MULTI_SET, body: { path: key, data: bytes, version: -1 } },
              ],
            },
            (r.lin.push(lin), r),
            (a) => {
              if (a.err !== Code.OK) {
                // An op's own error aborts the whole multi: the set did not happen. Others (an expired
                // session, say) leave it unknown.
                if (ABORTED.has(a.err)) r.lin.length = 0;
                return;
              }
              const results = MultiResponse.read(a.body);
              const set = results[1];
              if (set?.type === MULTI_SET) lin.output = { ok: true, version: set.body.stat.version };
            },
          );
        }
        case 'ephemeral':
        case 'sequential':
        case 'container':
        case 'ttl': {
          const parent = kind === 'ephemeral' ? '/e' : kind === 'sequential' ? '/q' : '/c';
          const path = kind === 'ephemeral' ? `/e/c${client.id}-${random.int(0, 2)}` : kind === 'sequential' ? '/q/n-' : `/c/${kind}${random.int(0, 3)}`;
          const flags =
            kind === 'ephemeral' ? (random.chance(0.5) ? CreateMode.EPHEMERAL : CreateMode.EPHEMERAL_SEQUENTIAL)
            : kind === 'sequential' ? CreateMode.PERSISTENT_SEQUENTIAL
            : kind === 'container' ? CreateMode.CONTAINER
            : CreateMode.PERSISTENT_WITH_TTL;
          const rec: Record = { ...r, path: parent, sequential: flags === CreateMode.EPHEMERAL_SEQUENTIAL || flags === CreateMode.PERSISTENT_SEQUENTIAL };
          const request: Wire =
            kind === 'ttl' ? { op: 'createTTL', path, data: bytes, acl: OPEN, flags, ttl: BigInt(random.int(200, 2000)) }
            : kind === 'container' ? { op: 'createContainer', path, data: bytes, acl: OPEN, flags }
            : { op: 'create2', path, data: bytes, acl: OPEN, flags };
          return plain(request, rec, (a) => {
            if (a.err !== Code.OK) return;
            rec.created = OPS.create2.response.read(a.body).path;
          });
        }
        default:
          return plain({ op: 'closeSession' }, { ...r, path: '' }, (a) => {
            if (a.err === Code.OK) client.closed();
          });
      }
    },
  };
}
