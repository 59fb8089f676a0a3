// One fault run: an ensemble of real processes (zabkit's or Apache's) with its peer links through
// the fault proxy, a workload's clients on every server, faults drawn from the seed and logged with
// their times; then everything healed and restarted, the ensemble required to serve again, every
// server's tree read after a sync and compared, and the history judged by the workload's checks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rng } from '../differential/generate.ts';
import { startCluster, type Cluster, type SystemName, type TortureNode } from './cluster.ts';
import { RawClient } from '../raw-client.ts';
import { OPEN_ACL, CreateMode, TortureClient } from './client.ts';
import { applyDiskFault, type DiskFault } from './disk-faults.ts';
import { makeWorkload, setupPaths, type FinalRead, type Violation, type WorkloadName, type WriteRecord } from './workloads.ts';

export const FAULT_KINDS = [
  'partition-leader',
  'partition-follower',
  'bridge',
  'oneway',
  'latency',
  'reset',
  'kill-follower',
  'kill-leader',
  'kill-majority',
  'kill-all',
  'pause-short',
  'pause-long',
  'wipe',
  'torn',
  'corrupt',
  'snapshot',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRecord {
  readonly kind: FaultKind;
  /** ms since the run started. */
  readonly start: number;
  end: number;
  readonly detail: string;
  /** ms from the fault's start to the first write that succeeded and was sent after it; null: none. */
  firstWrite: number | null;
}

export interface TortureOptions {
  readonly system: SystemName;
  readonly workload: WorkloadName;
  readonly seed: number;
  readonly durationMs: number;
  readonly workers?: number;
  readonly faults?: readonly FaultKind[];
  readonly tickTime?: number;
  readonly sessionTimeout?: number;
  readonly log?: (line: string) => void;
}

export interface TortureResult {
  readonly system: SystemName;
  readonly workload: WorkloadName;
  readonly seed: number;
  readonly durationMs: number;
  readonly violations: readonly Violation[];
  /** Checks that ran out of budget without a verdict (not violations; reported). */
  readonly undecided: readonly Violation[];
  readonly faults: readonly FaultRecord[];
  readonly writes: readonly WriteRecord[];
  readonly summary: string;
  /** The longest time without a successful write, ms. */
  readonly longestGap: number;
  /** From the end of the run (all healed and restarted) to a stable ensemble, ms. */
  readonly recovery: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function tortureRun(o: TortureOptions): Promise<TortureResult> {
  const rand = rng(o.seed * 7919 + o.workload.length);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo));
  const log = o.log ?? (() => {});
  const tickTime = o.tickTime ?? 1000;
  const sessionTimeout = o.sessionTimeout ?? 6000;
  const dir = mkdtempSync(join(tmpdir(), `zabkit-torture-${o.system}-`));
  const cluster = await startCluster(o.system, dir, { tickTime });
  const t0 = performance.now();
  const at = () => performance.now() - t0;
  const workload = makeWorkload(o.workload);
  const faults: FaultRecord[] = [];
  const violations: Violation[] = [];
  const clients: TortureClient[] = [];
  let recovery = NaN;
  try {
    const setup = new TortureClient(cluster.connectString, { sessionTimeout, opTimeout: 10000 });
    clients.push(setup);
    for (const p of setupPaths(workload)) {
      const r = await setup.call((z, done) => z.create(p.path, Buffer.from(p.data), OPEN_ACL, CreateMode.PERSISTENT, done));
      if (r.kind !== 'ok' && !(r.kind === 'error' && r.code === -110)) throw new Error(`${o.system}: cannot create ${p.path}: ${JSON.stringify(r)}`);
      if (p.bump) {
        const b = await setup.call((z, done) => z.setData(p.path, Buffer.from(p.data), -1, done));
        if (b.kind !== 'ok') throw new Error(`${o.system}: cannot set ${p.path}: ${JSON.stringify(b)}`);
      }
    }
    // The workers: one request at a time each, until the run's time is up.
    let stop = false;
    const workers = o.workers ?? 4;
    const done = Array.from({ length: workers }, async (_, w) => {
      const c = new TortureClient(cluster.connectString, { sessionTimeout, opTimeout: 4000 });
      clients.push(c);
      const wr = rng(o.seed * 31 + w + 1);
      while (!stop) {
        if (!c.isConnected) {
          await sleep(20);
          continue;
        }
        await workload.op(w, c, wr);
      }
    });
    // The faults, one at a time, drawn from the seed.
    const kinds = o.faults ?? FAULT_KINDS;
    // Faults from 2 s in until the last stretch of the run (8 s, or a third of a short run), which
    // is left to the workload alone, so each fault's recovery is seen.
    const tail = Math.min(8000, o.durationMs / 3);
    await sleep(2000);
    while (at() < o.durationMs - tail) {
      // Each fault draws its details from a stream of its own, so both systems get the same
      // sequence of faults however their leaders and timings differ.
      const kind = pick(kinds);
      const gap = between(2000, 4000);
      const own = rng(o.seed * 104729 + faults.length + 1);
      const f = await inject(cluster, kind, {
        pick: (xs) => xs[Math.floor(own() * xs.length)]!,
        between: (lo, hi) => lo + Math.floor(own() * (hi - lo)),
        sessionTimeout,
      });
      const record: FaultRecord = { kind, start: at(), end: NaN, detail: f.detail, firstWrite: null };
      faults.push(record);
      log(`${(record.start / 1000).toFixed(1)} s  ${kind}: ${f.detail}`);
      await sleep(f.hold);
      await f.end();
      record.end = at();
      log(`${(record.end / 1000).toFixed(1)} s  ${kind} over`);
      await sleep(Math.min(gap, tail / 2));
    }
    while (at() < o.durationMs) await sleep(100);
    stop = true;
    await Promise.all(done);
    for (const c of clients) c.close();
    clients.length = 0;
    // Liveness: everything healed and running again, the ensemble must serve.
    const healed = at();
    cluster.proxy.heal();
    for (const n of cluster.nodes) n.resume();
    await Promise.all(cluster.nodes.map((n) => n.start()));
    await cluster.stable(120000).catch((e: Error) => violations.push({ check: 'serves again', detail: e.message }));
    recovery = at() - healed;
    if (workload.name === 'ephemeral') {
      // Sessions that ended without a closeSession the servers saw leave their ephemerals until
      // they expire (a session timeout after a leader last heard of them): wait that long.
      const until = Date.now() + 3 * sessionTimeout + 5000;
      while (Date.now() < until) {
        const r = await finalRead((await cluster.leader()) ?? cluster.nodes[0]!, workload.root, true);
        if (r && r.children.length === 0) break;
        await sleep(500);
      }
    }
    // Every server's view after a sync, compared; the workload judged against the leader's.
    const reads = await Promise.all(cluster.nodes.map((n) => finalRead(n, workload.root, workload.readsData)));
    const texts = reads.map((r) => JSON.stringify(r && { children: r.children, nodes: [...r.nodes] }));
    const silent = cluster.nodes.filter((_, i) => reads[i] === null);
    for (const n of silent) {
      const why = n.running() ? 'running, but did not answer' : `not running (it exited: ${lastLines(n.output(), 3)})`;
      violations.push({ check: 'converged', detail: `server ${n.id} did not answer the final read: ${why}` });
    }
    // The servers that answered must agree.
    if (new Set(texts.filter((_, i) => reads[i] !== null)).size > 1) {
      violations.push({ check: 'converged', detail: `servers differ at the end: ${reads.map((r, i) => `s${i + 1}: ${r ? `${r.children.length} children` : 'no answer'}`).join(', ')}` });
    }
    const leader = (await cluster.leader()) ?? cluster.nodes[0]!;
    const final = reads[cluster.nodes.indexOf(leader)] ?? reads.find((r) => r !== null);
    if (final) violations.push(...workload.check(final));
  } finally {
    for (const c of clients) c.close();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  // Writes are timed with performance.now(); move them to run time.
  const writes = workload.writes.map((w) => ({ call: w.call - t0, ret: w.ret - t0, ok: w.ok }));
  for (const f of faults) {
    const first = writes.filter((w) => w.ok && w.call >= f.start).reduce((m, w) => Math.min(m, w.ret), Infinity);
    f.firstWrite = Number.isFinite(first) ? first - f.start : null;
  }
  return { system: o.system, workload: o.workload, seed: o.seed, durationMs: o.durationMs, violations: violations.filter((v) => !v.undecided), undecided: violations.filter((v) => v.undecided), faults, writes, summary: workload.summary(), longestGap: longestGap(writes, o.durationMs), recovery };
}

/** The last lines of a server's output that say something (errors first), for a report. */
function lastLines(out: string, n: number): string {
  const lines = out.replace(/\x1b\[[0-9;]*m/g, '').split('\n').map((l) => l.trim()).filter(Boolean);
  const errors = lines.filter((l) => /ERROR|FATAL|Exception|refus|cannot|error/i.test(l));
  return (errors.length ? errors : lines).slice(-n).join(' | ').slice(0, 600);
}

/** The longest time in [0, end] without a successful write's reply. */
export function longestGap(writes: readonly WriteRecord[], end: number): number {
  const oks = writes.filter((w) => w.ok && w.ret <= end).map((w) => w.ret).sort((a, b) => a - b);
  let prev = 0;
  let gap = 0;
  for (const t of [...oks, end]) {
    gap = Math.max(gap, t - prev);
    prev = t;
  }
  return gap;
}

interface Injected {
  readonly detail: string;
  /** How long the fault lasts before `end` (ms). */
  readonly hold: number;
  end(): Promise<void>;
}

async function inject(c: Cluster, kind: FaultKind, r: { pick: <T>(xs: readonly T[]) => T; between: (lo: number, hi: number) => number; sessionTimeout: number }): Promise<Injected> {
  const leader = (await c.leader()) ?? c.nodes[0]!; // between leaders: server 1 stands in (no draw, so the details stay the same)
  const followers = c.nodes.filter((n) => n !== leader);
  const ids = (ns: readonly TortureNode[]) => ns.map((n) => n.id);
  const heal = async () => c.proxy.heal();
  const hold = r.between(2000, 6000);
  switch (kind) {
    case 'partition-leader':
      c.proxy.partition([leader.id], ids(followers));
      return { detail: `leader ${leader.id} alone`, hold, end: heal };
    case 'partition-follower': {
      const f = r.pick(followers);
      c.proxy.partition([f.id], ids(c.nodes.filter((n) => n !== f)));
      return { detail: `follower ${f.id} alone`, hold, end: heal };
    }
    case 'bridge': {
      const f = r.pick(followers);
      c.proxy.partition([leader.id], [f.id]);
      return { detail: `${leader.id} and ${f.id} cut, the others reach both`, hold, end: heal };
    }
    case 'oneway':
      for (const f of followers) c.proxy.cut(leader.id, f.id);
      return { detail: `leader ${leader.id} heard but not heard`, hold, end: heal };
    case 'latency': {
      const ms = r.between(50, 300);
      for (const a of c.nodes) for (const b of c.nodes) if (a !== b) c.proxy.delay(a.id, b.id, ms);
      return { detail: `${ms} ms on every link`, hold, end: heal };
    }
    case 'reset': {
      const n = followers.reduce((k, f) => k + c.proxy.reset(leader.id, f.id), 0);
      return { detail: `${n} connections of leader ${leader.id} reset`, hold: 0, end: async () => {} };
    }
    case 'kill-follower':
    case 'kill-leader':
    case 'kill-majority':
    case 'kill-all': {
      const victims = kind === 'kill-follower' ? [r.pick(followers)] : kind === 'kill-leader' ? [leader] : kind === 'kill-majority' ? [leader, r.pick(followers)] : [...c.nodes];
      await Promise.all(victims.map((v) => v.kill()));
      return { detail: `kill -9 of ${ids(victims).join(', ')}`, hold, end: async () => void (await Promise.all(victims.map((v) => v.start()))) };
    }
    case 'pause-short':
    case 'pause-long': {
      const v = kind === 'pause-short' ? leader : r.pick(c.nodes);
      v.pause();
      const ms = kind === 'pause-short' ? r.between(500, 1500) : r.sessionTimeout + r.between(1000, 3000);
      return { detail: `SIGSTOP of ${v.id} for ${ms} ms`, hold: ms, end: async () => v.resume() };
    }
    case 'wipe':
    case 'torn':
    case 'corrupt':
    case 'snapshot': {
      const v = r.pick(c.nodes);
      await v.kill();
      const what = applyDiskFault(c.system, v.dataDir, kind as DiskFault);
      return { detail: `kill -9 of ${v.id}; ${what}`, hold: r.between(1000, 3000), end: () => v.start() };
    }
  }
}

/** One server's view of the workload's subtree, after a sync; null if it does not answer. */
async function finalRead(n: TortureNode, root: string, withData: boolean): Promise<FinalRead | null> {
  let c: RawClient;
  try {
    c = await RawClient.session(n.clientPort, { timeout: 10000 });
  } catch {
    return null;
  }
  try {
    c.send(1, { op: 'sync', path: root });
    c.send(2, { op: 'getChildren', path: root, watch: false });
    if ((await c.reply(15000))?.err !== 0) return null;
    const got = await c.reply(15000);
    if (got?.err !== 0) return null;
    const children = Array.from({ length: got.body.int() }, () => got.body.string()).sort();
    const nodes = new Map<string, { data: string; version: number }>();
    if (!withData) return { children, nodes };
    children.forEach((k, i) => c.send(3 + i, { op: 'getData', path: `${root}/${k}`, watch: false }));
    for (const k of children) {
      const r = await c.reply(15000);
      if (!r) return null;
      if (r.err !== 0) continue; // deleted in between: there is no writer left, so it cannot be
      const data = Buffer.from(r.body.buffer() ?? []).toString();
      for (let i = 0; i < 4; i++) r.body.long(); // czxid, mzxid, ctime, mtime
      nodes.set(k, { data, version: r.body.int() });
    }
    return { children, nodes };
  } catch {
    return null;
  } finally {
    c.close();
  }
}
