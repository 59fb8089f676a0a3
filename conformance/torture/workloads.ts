// The workloads of a fault run, each with what it records and how it is judged at the end. All
// work under /torture/<name>; a worker runs one request at a time, through its own client.
//   register  compare-and-set registers, one znode per key: create, setData with and without the
//             version read before, delete; judged by the linearizability checker per key, and
//             each session's reads never older than what it saw or wrote before (session order)
//   set       unique creates: every acknowledged one is there at the end, nothing else is
//   ids       sequential creates: every acknowledged name unique, there at the end, and larger
//             than every one handed out before it was asked for
//   queue     sequential create to enqueue, delete the lowest to take: no item taken twice, every
//             acknowledged item taken or still there
//   counter   increments by multi (check version, setData): the final value counts every
//             acknowledged increment and at most the unknown ones besides; no two acknowledged
//             increments from one version
//   ephemeral ownership of an ephemeral znode: take it, write to it while holding it, give it up
//             by ending the session (or lose it to an expiry); judged as a register whose
//             deletes are the owners' session ends, and nothing left once every session ended
import type { Client } from 'node-zookeeper-client';
import { checkLinearizable, type Operation } from '../linearizability/checker.ts';
import { znodeModel, type ZnodeInput, type ZnodeOutput } from '../linearizability/znode-model.ts';
import { OPEN_ACL, CreateMode, type Outcome, type TortureClient } from './client.ts';

export const WORKLOADS = ['register', 'set', 'ids', 'queue', 'counter', 'ephemeral'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

export interface Violation {
  readonly check: string;
  readonly detail: string;
  /** The check ran out of its budget without finding a violation: reported, not counted as one. */
  readonly undecided?: true;
}

/** One write as availability sees it: when it was called and answered, and whether it succeeded. */
export interface WriteRecord {
  readonly call: number;
  readonly ret: number;
  readonly ok: boolean;
}

/** What the end of a run read, after a sync, from one server. */
export interface FinalRead {
  /** Children of the workload's root, sorted. */
  readonly children: readonly string[];
  /** Data and version of each child, by name. */
  readonly nodes: ReadonlyMap<string, { readonly data: string; readonly version: number }>;
}

export interface Workload {
  readonly name: WorkloadName;
  readonly root: string;
  /** Whether its check needs the children's data (else the final read lists names only). */
  readonly readsData: boolean;
  /** One request by `worker`; `rand` in [0,1) from the run's seed. */
  op(worker: number, c: TortureClient, rand: () => number): Promise<void>;
  readonly writes: WriteRecord[];
  /** Judge the history against what the servers hold at the end. */
  check(final: FinalRead): Violation[];
  /** A line for the report: how many requests, by outcome. */
  summary(): string;
}

const now = () => performance.now();
const enc = (s: string) => Buffer.from(s);
const dec = (b: Buffer | undefined) => (b ? b.toString() : '');

/** Counts of outcomes, for the summary. */
class Tally {
  ok = 0;
  failed = 0;
  unknown = 0;
  add(o: Outcome<unknown>): void {
    if (o.kind === 'ok') this.ok++;
    else if (o.kind === 'error') this.failed++;
    else this.unknown++;
  }
  toString(): string {
    return `${this.ok + this.failed + this.unknown} requests (${this.ok} ok, ${this.failed} failed, ${this.unknown} unknown)`;
  }
}

/** Send a write, count its outcome, and record it for availability. */
async function timedWrite<T>(c: TortureClient, tally: Tally, writes: WriteRecord[], start: (z: Client, done: (e: unknown, v?: T) => void) => void): Promise<Outcome<T>> {
  const call = now();
  const o = await c.call<T>(start);
  tally.add(o);
  writes.push({ call, ret: o.kind === 'unknown' ? Infinity : now(), ok: o.kind === 'ok' });
  return o;
}

/** Acknowledged items not held at the end: nothing acknowledged may be lost. */
function missing(acked: Iterable<string>, have: ReadonlySet<string>, what: string): Violation[] {
  const lost = [...acked].filter((x) => !have.has(x));
  return lost.length ? [{ check: 'nothing acknowledged lost', detail: `${lost.length} acknowledged ${what} missing at the end: ${lost.slice(0, 10).join(', ')}` }] : [];
}

const NODE_EXISTS = -110;
const NO_NODE = -101;
const BAD_VERSION = -103;

function znodeError(code: number): ZnodeOutput | undefined {
  return code === NODE_EXISTS ? 'NodeExists' : code === NO_NODE ? 'NoNode' : code === BAD_VERSION ? 'BadVersion' : undefined;
}

export function makeWorkload(name: WorkloadName): Workload {
  switch (name) {
    case 'register':
      return register();
    case 'set':
      return setWorkload();
    case 'ids':
      return ids();
    case 'queue':
      return queue();
    case 'counter':
      return counter();
    case 'ephemeral':
      return ephemeral();
  }
}

// ---------------------------------------------------------------- register

interface StatSeen {
  readonly version: number;
  readonly mzxid: bigint | undefined;
}

/** A reply's Stat as the checks use it (node-zookeeper-client gives a long as 8 bytes). */
function statSeen(stat: unknown): StatSeen {
  const s = stat as { version?: number; mzxid?: Buffer } | undefined;
  const m = s?.mzxid;
  return { version: s?.version ?? -1, mzxid: Buffer.isBuffer(m) && m.length === 8 ? m.readBigInt64BE(0) : undefined };
}

function register(): Workload {
  const root = '/torture/register';
  const KEYS = 5;
  const history: Operation<ZnodeInput, ZnodeOutput>[] = [];
  const writes: WriteRecord[] = [];
  const tally = new Tally();
  /** The version each worker last read, per key. */
  const seen = new Map<string, number>();
  /**
   * Session guarantees (a session's requests in order, its reads never going back, read-your-writes):
   * the newest mzxid a session has seen of each key, from its reads and its own writes; a later
   * read in the same session must not show an older one.
   */
  const high = new Map<string, bigint>();
  const backwards: string[] = [];
  const observe = (worker: number, c: TortureClient, key: string, mzxid: bigint | undefined, read: boolean) => {
    if (mzxid === undefined) return;
    const k = `${worker}:${c.sessions}:${key}`;
    const h = high.get(k) ?? 0n;
    if (read && mzxid < h) backwards.push(`worker ${worker} read ${key} at mzxid 0x${mzxid.toString(16)} after seeing 0x${h.toString(16)} in the same session`);
    if (mzxid > h) high.set(k, mzxid);
  };
  let nextValue = 0;
  const record = (worker: number, input: ZnodeInput, call: number, o: Outcome<ZnodeOutput>) => {
    tally.add(o);
    const ret = o.kind === 'unknown' ? Infinity : now();
    const output = o.kind === 'ok' ? o.value : o.kind === 'error' ? znodeError(o.code) : undefined;
    if (o.kind === 'error' && output === undefined) return; // an error the model does not know (e.g. NoAuth): no effect
    history.push({ id: history.length, client: worker, input, call, ret, output: o.kind === 'unknown' ? undefined : output });
    if (input.op !== 'getData') writes.push({ call, ret, ok: o.kind === 'ok' });
  };
  return {
    name: 'register',
    root,
    readsData: true,
    writes,
    async op(worker, c, rand) {
      const key = `k${Math.floor(rand() * KEYS)}`;
      const path = `${root}/${key}`;
      const r = rand();
      const call = now();
      if (r < 0.15) {
        const data = `v${nextValue++}`;
        const o = await c.call<ZnodeOutput>((z, done) => z.create(path, enc(data), OPEN_ACL, CreateMode.PERSISTENT, (e) => done(e, 'ok')));
        record(worker, { op: 'create', path, data }, call, o);
      } else if (r < 0.25) {
        const version = seen.get(`${worker}:${key}`) ?? -1;
        const o = await c.call<ZnodeOutput>((z, done) => z.remove(path, version, (e) => done(e, 'ok')));
        record(worker, { op: 'delete', path, version }, call, o);
      } else if (r < 0.55) {
        // A read of the server's view: not part of the linearizability check (reads may lag), but
        // it gives the next compare-and-set its expected version.
        const o = await c.call<StatSeen>((z, done) => z.getData(path, undefined, (e, _d, stat) => done(e, statSeen(stat))));
        tally.add(o);
        if (o.kind === 'ok') {
          seen.set(`${worker}:${key}`, o.value.version);
          observe(worker, c, key, o.value.mzxid, true);
        }
      } else {
        const data = `v${nextValue++}`;
        const version = r < 0.85 ? (seen.get(`${worker}:${key}`) ?? -1) : -1;
        let mzxid: bigint | undefined;
        const o = await c.call<ZnodeOutput>((z, done) =>
          z.setData(path, enc(data), version, (e, stat) => {
            mzxid = statSeen(stat)?.mzxid;
            done(e, { ok: true, version: stat?.version ?? -1 });
          }),
        );
        record(worker, { op: 'setData', path, data, version }, call, o);
        if (o.kind === 'ok') observe(worker, c, key, mzxid, false);
      }
    },
    check(final) {
      // The end state, read after the run from a server that synced: a read no write overlaps.
      const t = now();
      const all = [...history];
      for (let k = 0; k < KEYS; k++) {
        const node = final.nodes.get(`k${k}`);
        all.push({ id: all.length, client: -1, input: { op: 'getData', path: `${root}/k${k}` }, call: t, ret: t, output: node ? { data: node.data, version: node.version } : 'NoNode' });
      }
      const out: Violation[] = backwards.length ? [{ check: 'session order', detail: `${backwards.length} reads went back: ${backwards.slice(0, 5).join('; ')}` }] : [];
      const v = checkLinearizable(znodeModel, all, { maxSteps: 5_000_000 });
      if (v.ok === 'unknown') out.push({ check: 'linearizable', detail: v.reason, undecided: true });
      else if (!v.ok) out.push({ check: 'linearizable', detail: v.explain });
      return out;
    },
    summary: () => tally.toString(),
  };
}

// ---------------------------------------------------------------- set

function setWorkload(): Workload {
  const root = '/torture/set';
  const writes: WriteRecord[] = [];
  const tally = new Tally();
  const acked = new Set<string>();
  const attempted = new Set<string>();
  let n = 0;
  return {
    name: 'set',
    root,
    readsData: false,
    writes,
    async op(worker, c) {
      const name = `e-${worker}-${n++}`;
      attempted.add(name);
      const o = await timedWrite<string>(c, tally, writes, (z, done) => z.create(`${root}/${name}`, enc(name), OPEN_ACL, CreateMode.PERSISTENT, done));
      if (o.kind === 'ok') acked.add(name);
    },
    check(final) {
      const out = missing(acked, new Set(final.children), 'creates');
      const phantom = final.children.filter((x) => !attempted.has(x));
      if (phantom.length) out.push({ check: 'no phantom', detail: `children nobody created: ${phantom.slice(0, 10).join(', ')}` });
      return out;
    },
    summary: () => tally.toString(),
  };
}

// ---------------------------------------------------------------- ids

function ids(): Workload {
  const root = '/torture/ids';
  const writes: WriteRecord[] = [];
  const tally = new Tally();
  const got: string[] = [];
  /** Acknowledged ids with their call and reply times: one returned before another was called has the smaller number. */
  const timed: { call: number; ret: number; seq: number; name: string }[] = [];
  return {
    name: 'ids',
    root,
    readsData: false,
    writes,
    async op(worker, c) {
      const call = now();
      const o = await timedWrite<string>(c, tally, writes, (z, done) => z.create(`${root}/id-`, enc(String(worker)), OPEN_ACL, CreateMode.PERSISTENT_SEQUENTIAL, done));
      if (o.kind === 'ok') {
        const name = o.value.slice(root.length + 1);
        got.push(name);
        timed.push({ call, ret: now(), seq: Number(name.slice(3)), name });
      }
    },
    check(final) {
      const out: Violation[] = [];
      const seen = new Set<string>();
      const dup = got.filter((x) => (seen.has(x) ? true : (seen.add(x), false)));
      if (dup.length) out.push({ check: 'unique ids', detail: `ids handed out twice: ${dup.slice(0, 10).join(', ')}` });
      // Real-time order: sweep the calls in time order, with the largest id returned before each.
      const byRet = [...timed].sort((a, b) => a.ret - b.ret);
      let j = 0;
      let before: (typeof timed)[number] | undefined;
      const disorder: string[] = [];
      for (const b of [...timed].sort((x, y) => x.call - y.call)) {
        for (; j < byRet.length && byRet[j]!.ret < b.call; j++) if (!before || byRet[j]!.seq > before.seq) before = byRet[j];
        if (before && b.seq <= before.seq) disorder.push(`${b.name} was asked for after ${before.name} was handed out`);
      }
      if (disorder.length) out.push({ check: 'ids in real-time order', detail: `${disorder.length}: ${disorder.slice(0, 5).join('; ')}` });
      return [...out, ...missing(got, new Set(final.children), 'ids')];
    },
    summary: () => tally.toString(),
  };
}

// ---------------------------------------------------------------- queue

function queue(): Workload {
  const root = '/torture/queue';
  const writes: WriteRecord[] = [];
  const tally = new Tally();
  const enqueued = new Set<string>();
  /** Items some taker's delete answered ok, and by whom. */
  const taken = new Map<string, number>();
  const doubly: string[] = [];
  /** Items a delete was sent for whose outcome is unknown. */
  const maybeTaken = new Set<string>();
  /** The queue's length in each worker's last listing. */
  const seenSize = new Map<number, number>();
  return {
    name: 'queue',
    root,
    readsData: false,
    writes,
    async op(worker, c, rand) {
      // Takers race for the lowest item, so the queue would grow without end (and with it every
      // listing): a worker that last saw 50 items or more takes rather than adds.
      if (rand() < 0.5 && (seenSize.get(worker) ?? 0) < 50) {
        const o = await timedWrite<string>(c, tally, writes, (z, done) => z.create(`${root}/item-`, enc(String(worker)), OPEN_ACL, CreateMode.PERSISTENT_SEQUENTIAL, done));
        if (o.kind === 'ok') enqueued.add(o.value.slice(root.length + 1));
        return;
      }
      const list = await c.call<string[]>((z, done) => z.getChildren(root, undefined, done));
      tally.add(list);
      if (list.kind === 'ok') seenSize.set(worker, list.value.length);
      if (list.kind !== 'ok' || list.value.length === 0) return;
      const lowest = [...list.value].sort()[0]!;
      const o = await timedWrite<true>(c, tally, writes, (z, done) => z.remove(`${root}/${lowest}`, -1, (e) => done(e, true)));
      if (o.kind === 'ok') {
        if (taken.has(lowest)) doubly.push(`${lowest} (workers ${taken.get(lowest)} and ${worker})`);
        taken.set(lowest, worker);
      } else if (o.kind === 'unknown') maybeTaken.add(lowest);
    },
    check(final) {
      const out: Violation[] = [];
      if (doubly.length) out.push({ check: 'taken at most once', detail: `items taken twice: ${doubly.slice(0, 10).join(', ')}` });
      const have = new Set(final.children);
      out.push(...missing(enqueued, new Set([...have, ...taken.keys(), ...maybeTaken]), 'items (neither taken nor queued)'));
      const back = [...taken.keys()].filter((x) => have.has(x));
      if (back.length) out.push({ check: 'taken stays taken', detail: `items taken but queued at the end: ${back.slice(0, 10).join(', ')}` });
      return out;
    },
    summary: () => `${tally}; ${enqueued.size} enqueued, ${taken.size} taken`,
  };
}

// ---------------------------------------------------------------- counter

function counter(): Workload {
  const root = '/torture/counter';
  const path = `${root}/n`;
  const writes: WriteRecord[] = [];
  const tally = new Tally();
  let acked = 0;
  let unknown = 0;
  /** The version each acknowledged increment started from: two from one version is a lost update. */
  const from = new Map<number, number>();
  const clashes: string[] = [];
  return {
    name: 'counter',
    root,
    readsData: true,
    writes,
    async op(worker, c) {
      const read = await c.call<{ n: number; version: number }>((z, done) => z.getData(path, undefined, (e, d, stat) => done(e, { n: Number(dec(d) || '0'), version: (stat as { version: number } | undefined)?.version ?? -1 })));
      tally.add(read);
      if (read.kind !== 'ok') return;
      const { n, version } = read.value;
      const o = await timedWrite<true>(c, tally, writes, (z: Client, done) =>
        z
          .transaction()
          .check(path, version)
          .setData(path, enc(String(n + 1)), version)
          .commit((e) => done(e, true)),
      );
      if (o.kind === 'ok') {
        acked++;
        if (from.has(version)) clashes.push(`version ${version} (workers ${from.get(version)} and ${worker})`);
        from.set(version, worker);
      } else if (o.kind === 'unknown') unknown++;
    },
    check(final) {
      const out: Violation[] = [];
      if (clashes.length) out.push({ check: 'no lost update', detail: `two acknowledged increments from one version: ${clashes.slice(0, 10).join(', ')}` });
      const value = Number(final.nodes.get('n')?.data ?? 'NaN');
      if (!(value >= acked && value <= acked + unknown)) {
        out.push({ check: 'nothing acknowledged lost', detail: `final value ${value}, with ${acked} acknowledged and ${unknown} unknown increments (expected ${acked}..${acked + unknown})` });
      }
      return out;
    },
    summary: () => `${tally}; ${acked} increments acknowledged, ${unknown} unknown`,
  };
}

// ---------------------------------------------------------------- ephemeral

function ephemeral(): Workload {
  const root = '/torture/ephemeral';
  const path = `${root}/owner`;
  const writes: WriteRecord[] = [];
  const tally = new Tally();
  const history: Operation<ZnodeInput, ZnodeOutput>[] = [];
  /** Per worker: the session it holds the node in, and the node's version it last wrote. */
  const holding = new Map<number, { session: number; version: number }>();
  let n = 0;
  const push = (worker: number, input: ZnodeInput, call: number, o: Outcome<ZnodeOutput>) => {
    const output = o.kind === 'ok' ? o.value : o.kind === 'error' ? znodeError(o.code) : undefined;
    if (o.kind === 'error' && output === undefined) return;
    history.push({ id: history.length, client: worker, input, call, ret: o.kind === 'unknown' ? Infinity : now(), output });
  };
  return {
    name: 'ephemeral',
    root,
    readsData: true,
    writes,
    async op(worker, c, rand) {
      const mine = holding.get(worker);
      if (mine && mine.session !== c.sessions) holding.delete(worker); // its session expired: the node went with it
      const held = holding.get(worker);
      const data = `w${worker}-${n++}`;
      const call = now();
      if (!held) {
        const o = await timedWrite<ZnodeOutput>(c, tally, writes, (z, done) => z.create(path, enc(data), OPEN_ACL, CreateMode.EPHEMERAL, (e) => done(e, 'ok')));
        push(worker, { op: 'create', path, data }, call, o);
        if (o.kind === 'ok') {
          holding.set(worker, { session: c.sessions, version: 0 });
          // The node ends with this session, at a time nobody observes: a delete that may take
          // effect at any point from now on (or never, if the session outlives the run's reads).
          history.push({ id: history.length, client: worker, input: { op: 'delete', path, version: -1 }, call: now(), ret: Infinity, output: undefined });
        } else if (o.kind === 'unknown') c.renew(); // it may hold the node: give up that session
        else await new Promise((r) => setTimeout(r, 20));
        return;
      }
      if (rand() < 0.2) {
        c.renew(); // give it up
        holding.delete(worker);
        return;
      }
      const o = await timedWrite<ZnodeOutput>(c, tally, writes, (z, done) => z.setData(path, enc(data), held.version, (e, stat) => done(e, { ok: true, version: stat?.version ?? -1 })));
      push(worker, { op: 'setData', path, data, version: held.version }, call, o);
      if (o.kind === 'ok' && typeof o.value === 'object' && 'ok' in o.value) held.version = o.value.version;
      else {
        holding.delete(worker);
        c.renew();
      }
    },
    check(final) {
      const out: Violation[] = [];
      if (final.children.length) out.push({ check: 'ephemerals only for live sessions', detail: `${path} still there after every session ended: ${JSON.stringify([...final.nodes])}` });
      const v = checkLinearizable(znodeModel, history, { maxSteps: 5_000_000 });
      if (v.ok === 'unknown') out.push({ check: 'one owner at a time', detail: v.reason, undecided: true });
      else if (!v.ok) out.push({ check: 'one owner at a time', detail: v.explain });
      return out;
    },
    summary: () => `${tally}; ownership taken ${history.filter((h) => h.input.op === 'create' && h.output === 'ok').length} times`,
  };
}

/**
 * The nodes a workload needs before its run. The counter starts at 0 with data version 1 (`bump`:
 * set once after its create): node-zookeeper-client sends a multi's version 0 as -1, any version,
 * so an increment from version 0 would not be a compare-and-set.
 */
export function setupPaths(w: Workload): { readonly path: string; readonly data: string; readonly bump?: true }[] {
  const base = [{ path: '/torture', data: '' }, { path: w.root, data: '' }];
  return w.name === 'counter' ? [...base, { path: `${w.root}/n`, data: '0', bump: true }] : base;
}
