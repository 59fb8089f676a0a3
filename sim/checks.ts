// What every simulated run must satisfy, judged from the clients' side and the final tree:
// linearizable writes per znode (conformance/linearizability), ZooKeeper's session guarantees
// (replies in order with non-decreasing zxids, reads never older than the session's own writes
// or earlier reads, a watch's event before any reply that shows its change), unique sequential
// names, no acknowledged create lost, and ephemerals only for live sessions.
import { checkLinearizable, type Operation } from '../conformance/linearizability/checker.ts';
import { znodeModel, type ZnodeInput, type ZnodeOutput } from '../conformance/linearizability/znode-model.ts';
import { Code } from '../src/tree/codes.ts';
import type { Tree } from '../src/tree/index.ts';
import type { SimClient } from './client.ts';
import type { Record } from './workload.ts';

export interface Violation {
  /** SIM-LIN, SIM-SESSION, ... or a spec invariant's id. */
  readonly id: string;
  readonly detail: string;
}

const hex = (z: bigint | null) => (z === null ? '?' : `0x${z.toString(16)}`);
/** Answers whose header zxid is the server's: the session-order checks use them. */
const ANSWERED: ReadonlySet<number> = new Set([Code.OK, Code.NoNode, Code.NodeExists, Code.BadVersion, Code.NotEmpty]);
const WRITES = new Set(['create', 'setData', 'delete']);

/** What the servers delivered, for the unknown outcomes (run.ts). */
export interface Delivered {
  /** The data of each create and setData delivered, and when that was first seen. */
  readonly data: ReadonlyMap<string, number>;
  /** By session and path (`${session}${path}`): when a delete of it was last seen delivered. */
  readonly deletes: ReadonlyMap<string, number>;
}

export function checkRun(records: readonly Record[], clients: readonly SimClient[], finalTree: Tree | undefined, delivered: Delivered): Violation[] {
  const out: Violation[] = [];
  out.push(...linearizable(records, clients, delivered));
  out.push(...sessions(records, clients));
  out.push(...created(records, clients, finalTree));
  return out;
}

/**
 * `delivered`: the data of every create and setData a server delivered, and when that was first
 * seen. A create or setData whose answer never came took effect exactly if its data (each
 * request's own) was delivered: the simulator knows, and says so to the checker — by then, at the
 * latest, it had taken effect; if never, it did nothing. An unanswered delete did nothing if no
 * delete of its path by its session was delivered since its call; else it stays unknown (it may
 * take effect any time after its call, or never: two deletes of one path are not told apart).
 */
function linearizable(records: readonly Record[], clients: readonly SimClient[], delivered: Delivered): Violation[] {
  const ops: Operation<ZnodeInput, ZnodeOutput>[] = [];
  for (const r of records) {
    // A write whose connection went before its reply may take effect later, but not after its
    // session's close was acknowledged: the close is committed then, and the leader fails every
    // later write of the session. (Not after an expiry the client was told of: a leader may say
    // so before its expiry commits, and lose its role first.)
    const session = clients[r.client]?.sessions[r.session];
    const endedAt = session?.end === 'closed' ? session.endedAt : undefined;
    for (const l of r.lin) {
      const known = l.output !== undefined;
      if (known) {
        ops.push({ id: ops.length, client: r.client, input: l.input, call: r.call, ret: r.ret, output: l.output });
        continue;
      }
      if (l.input.op === 'create' || l.input.op === 'setData') {
        const at = delivered.data.get(l.input.data);
        // (a delivered create succeeded; a setData's new version is not known)
        if (at !== undefined) ops.push({ id: ops.length, client: r.client, input: l.input, call: r.call, ret: Math.max(at, r.call), output: l.input.op === 'create' ? 'ok' : undefined });
        continue;
      }
      const deleted = session ? delivered.deletes.get(`${session.id}${l.input.path}`) : undefined;
      if (l.input.op === 'delete' && (deleted === undefined || deleted < r.call)) continue;
      ops.push({ id: ops.length, client: r.client, input: l.input, call: r.call, ret: Infinity, output: undefined, ...(endedAt !== undefined && endedAt >= r.call ? { until: endedAt } : {}) });
    }
  }
  const v = checkLinearizable(znodeModel, ops, { maxSteps: 2_000_000 });
  if (v.ok === true) return [];
  if (v.ok === 'unknown') return [{ id: 'SIM-LIN-UNKNOWN', detail: v.reason }];
  const lines = v.ops.map((o) => `  [${o.call}, ${o.ret === Infinity ? '∞' : o.ret}] c${o.client} ${znodeModel.describe!(o.input, o.output)}`);
  return [{ id: 'SIM-LIN', detail: `${v.explain}\n${lines.slice(0, 40).join('\n')}${lines.length > 40 ? `\n  … ${lines.length - 40} more` : ''}` }];
}

function sessions(records: readonly Record[], clients: readonly SimClient[]): Violation[] {
  const out: Violation[] = [];
  const byId = new Map(records.map((r) => [r.id, r]));
  for (const c of clients) {
    for (const s of c.sessions) {
      let last = -1n;
      let lastReq: Record | undefined;
      /** Per path: the newest (czxid, mzxid) this session saw, and its own last write's zxid. */
      const seen = new Map<string, { czxid: bigint; mzxid: bigint }>();
      const wrote = new Map<string, bigint>();
      /** Data watches left on this connection, by path: the zxid the read saw the node at. */
      let watches = new Map<string, bigint>();
      const where = (r: Record) => `client ${c.id} session ${s.n} (0x${s.id.toString(16)}), ${r.kind} ${r.path}`;
      for (const item of s.seen) {
        if (item.kind === 'connected') {
          watches = new Map();
          continue;
        }
        if (item.kind === 'event') {
          watches.delete(item.path);
          continue;
        }
        const r = byId.get(item.req);
        if (!r || !ANSWERED.has(item.err)) continue;
        // FIFO order and monotonic reads: a reply never carries an older zxid than one before it.
        if (item.zxid < last) out.push({ id: 'SIM-SESSION', detail: `${where(r)}: reply at ${hex(item.zxid)} after a reply at ${hex(last)} (${lastReq?.kind} ${lastReq?.path})` });
        if (item.zxid > last) {
          last = item.zxid;
          lastReq = r;
        }
        // A write's own change fires this session's data watch on its path: the event comes first.
        if (WRITES.has(r.kind) && item.err === Code.OK) {
          const w = watches.get(r.path);
          if (w !== undefined && item.zxid > w) out.push({ id: 'SIM-WATCH', detail: `${where(r)}: the reply (${hex(item.zxid)}) came before the event of the watch left at ${hex(w)}` });
          wrote.set(r.path, item.zxid);
          continue;
        }
        const read = r.read;
        if (read === undefined) continue;
        if (read !== 'NoNode') {
          if (read.mzxid > item.zxid) out.push({ id: 'SIM-SESSION', detail: `${where(r)}: the node was modified at ${hex(read.mzxid)}, after the reply's ${hex(item.zxid)}` });
          const before = seen.get(r.path);
          if (before && (read.czxid < before.czxid || (read.czxid === before.czxid && read.mzxid < before.mzxid))) {
            out.push({ id: 'SIM-SESSION', detail: `${where(r)}: read (created ${hex(read.czxid)}, modified ${hex(read.mzxid)}) older than an earlier read (${hex(before.czxid)}, ${hex(before.mzxid)})` });
          }
          const own = wrote.get(r.path);
          if (own !== undefined && read.mzxid < own && read.czxid <= own) out.push({ id: 'SIM-SESSION', detail: `${where(r)}: read modified at ${hex(read.mzxid)} after this session's own write at ${hex(own)}` });
          seen.set(r.path, { czxid: read.czxid, mzxid: read.mzxid });
          const w = watches.get(r.path);
          if (w !== undefined && (read.mzxid > w || read.czxid > w)) out.push({ id: 'SIM-WATCH', detail: `${where(r)}: read changed data (${hex(read.mzxid)}) before the event of the watch left at ${hex(w)}` });
        }
        // getData on a missing node leaves no watch; exists does (ZooKeeper's rule).
        if (r.watch && (read !== 'NoNode' || r.kind === 'exists')) watches.set(r.path, item.zxid);
      }
    }
  }
  return out;
}

function created(records: readonly Record[], clients: readonly SimClient[], tree: Tree | undefined): Violation[] {
  const out: Violation[] = [];
  const names = new Map<string, Record>();
  for (const r of records) {
    if (!r.created) continue;
    const other = names.get(r.created);
    if (other && r.sequential) out.push({ id: 'SIM-UNIQUE', detail: `${r.created} created twice: by client ${other.client} and client ${r.client}` });
    names.set(r.created, r);
    // Nothing deletes the sequential nodes under /q: each acknowledged one must be there.
    if (tree && r.path === '/q' && !tree.nodes.has(r.created)) out.push({ id: 'SIM-LOST', detail: `${r.created}, acknowledged to client ${r.client}, is gone` });
  }
  if (!tree) return out;
  const over = new Set<bigint>();
  for (const c of clients) for (const s of c.sessions) if (s.end !== 'open' && s.id !== 0n) over.add(s.id);
  for (const [path, n] of tree.nodes) {
    if (n.kind.type !== 'ephemeral') continue;
    const owner = n.kind.owner;
    if (!tree.sessions.has(owner)) out.push({ id: 'SIM-EPHEMERAL', detail: `${path} is owned by session 0x${owner.toString(16)}, which the tree does not hold` });
    if (over.has(owner)) out.push({ id: 'SIM-EPHEMERAL', detail: `${path} is owned by session 0x${owner.toString(16)}, which was closed or expired` });
  }
  return out;
}
