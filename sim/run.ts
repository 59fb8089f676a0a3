// One simulated run: a seed gives the ensemble, the swarm of faults, the clients' work and every
// delay, and so exactly one run. Phases: the servers start; clients work while faults come and
// go; then every fault is healed (liveness: a write must succeed within LIVENESS_MS); the servers
// must converge; final reads after a sync; then the checks (checks.ts) judge the whole run.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { FOUR_LETTER_WORDS, type ServerConfig } from '../src/shell/config.ts';
import { DEFAULT_MAX_BUFFER } from '../src/wire/protocol.ts';
import { Code } from '../src/tree/codes.ts';
import { OPEN_ACL } from '../src/tree/acl.ts';
import { OPS } from '../src/wire/records.ts';
import { formatZxid } from '../src/zab/zxid.ts';
import type { TxnOp } from '../src/tree/index.ts';
import type { PeerAddress } from '../src/server/membership.ts';
import { checkRun, type Delivered, type Violation } from './checks.ts';
import { RunInvariants, specInvariants, zabStep, type ZabStep } from './invariants.ts';
import { SimClient } from './client.ts';
import { SimDisk } from './disk.ts';
import { DEFAULT_FAULTS, describeSwarm, drawSwarm, type FaultKind } from './faults.ts';
import { injectOne, type FaultContext } from './inject.ts';
import type { SimMutant } from './mutants.ts';
import { SimNet } from './net.ts';
import { Random } from './random.ts';
import { EPOCH_MS, Proc, Scheduler } from './scheduler.ts';
import { SimServer } from './server-node.ts';
import { KEYS, PARENTS, workload, type Record as OpRecord } from './workload.ts';

export interface SimOptions {
  readonly seed: number;
  readonly servers?: number;
  readonly observers?: number;
  readonly clients?: number;
  readonly ops?: number;
  readonly faults?: readonly FaultKind[];
  /** A bug switched on in every server (sim/mutants.ts). */
  readonly mutant?: SimMutant;
  /** Inject no more than this many faults (shrinking). */
  readonly maxFaults?: number;
  /** Write each server's trace (conformance/trace-schema.ts) to DIR/server-N.ndjson, for `zabkit replay`. */
  readonly traceDir?: string;
  /** Keep the servers' log lines (printed for a failing seed). */
  readonly keepLog?: boolean;
}

export interface SimResult {
  readonly seed: number;
  readonly swarm: string;
  readonly violations: readonly Violation[];
  /** Simulated ms from the start to the end of the run. */
  readonly simulatedMs: number;
  readonly events: number;
  readonly ops: { readonly total: number; readonly ok: number; readonly failed: number; readonly unknown: number };
  readonly faults: readonly string[];
  /** Servers that could not rejoin because they had accepted a later epoch than the leader's (DISC-6). */
  readonly stuck: readonly number[];
  /** How many faults were injected (heals not counted). */
  readonly injected: number;
  /** Heal to the first successful write (ms), or null if none within the bound. */
  readonly recoveryMs: number | null;
  readonly log: readonly string[];
  /** A hash of everything the run did: equal for two runs of one seed. */
  readonly fingerprint: string;
}

/** After every fault is healed, a write must succeed within this (simulated ms). */
export const LIVENESS_MS = 60_000;
/** The servers must agree on their last zxid within this after the workload ends. */
const CONVERGE_MS = 30_000;
/** The clients issue requests (and faults come) for at most this long (simulated ms). */
const FAULT_PHASE_MS = 180_000;
/** The run never goes on past this much simulated time. */
const MAX_RUN_MS = 600_000;
const TICK_MS = 200;
/** The network and disks once every fault is healed. */
const CALM = { net: { minDelay: 1, maxDelay: 5, slowChance: 0 }, disk: { minDelay: 1, maxDelay: 4, stallChance: 0 } } as const;

export function peerAddresses(voters: number, observers: number): PeerAddress[] {
  const out: PeerAddress[] = [];
  for (let id = 1; id <= voters + observers; id++) {
    out.push({ id, host: '127.0.0.1', quorumPort: 2280 + id, electionPort: 2380 + id, observer: id > voters, clientPort: 2180 + id });
  }
  return out;
}

/** A simulated server's zoo.cfg: ZAB's timing and snapCount as given, the rest as every run has it. */
export function configOf(id: number, servers: readonly PeerAddress[], zab: { readonly snapCount: number; readonly tickTime?: number; readonly initLimit?: number; readonly syncLimit?: number }, traceDir?: string): ServerConfig {
  const tick = zab.tickTime ?? TICK_MS;
  return {
    ...(traceDir ? { trace: join(traceDir, `server-${id}.ndjson`) } : {}),
    tickTime: tick,
    initLimit: zab.initLimit ?? 10,
    syncLimit: zab.syncLimit ?? 5,
    dataDir: `/data/s${id}`,
    dataLogDir: `/data/s${id}`,
    clientPort: 2180 + id,
    clientPortAddress: '127.0.0.1',
    maxClientCnxns: 0,
    minSessionTimeout: 2 * tick,
    maxSessionTimeout: 20 * tick,
    fourLetterWords: new Set(FOUR_LETTER_WORDS),
    maxBuffer: DEFAULT_MAX_BUFFER,
    snapCount: zab.snapCount,
    snapRetainCount: 3,
    purgeInterval: 0,
    servers,
    myid: id,
    extendedTypes: true,
    enforceQuota: false,
    reaping: { checkIntervalMs: 500, maxPerMinute: 10_000, maxNeverUsedIntervalMs: 0 },
    reconfigEnabled: false,
    compatPatch: 6,
    readOnlyMode: false,
    saslAcl: false,
    logLevel: 'info',
  };
}

export async function simulate(opts: SimOptions): Promise<SimResult> {
  const voters = opts.servers ?? 3;
  const observers = opts.observers ?? 0;
  const nClients = opts.clients ?? 4;
  const budget = opts.ops ?? 200;
  const random = new Random(opts.seed);
  const swarm = drawSwarm(random.fork('swarm'), opts.faults ?? DEFAULT_FAULTS);
  const sched = new Scheduler();
  const log: string[] = [];
  const hash = createHash('sha256');
  const say = (line: string) => {
    hash.update(line);
    hash.update('\n');
    if (opts.keepLog) log.push(line);
  };
  const violations: Violation[] = [];
  const violate = (v: Violation) => {
    violations.push(v);
    say(`${sched.now - EPOCH_MS} !! ${v.id}: ${v.detail}`);
  };
  // Calm while the ensemble starts; the swarm's network and disks from the first request of the workload on.
  const net = new SimNet(sched, random.fork('net'), { ...CALM.net, connectTimeout: 1000 });
  const addresses = peerAddresses(voters, observers);
  const servers = addresses.map((a) => new SimServer(a.id, configOf(a.id, addresses, swarm, opts.traceDir), new SimDisk(sched, random.fork(`disk${a.id}`), { ...swarm.disk, ...CALM.disk }), sched, net, say, opts.mutant));
  if (opts.keepLog && process.env.ZABKIT_SIM_FS === '1') for (const s of servers) s.disk.note = (line) => say(`${sched.now - EPOCH_MS} s${s.sid} fs ${line}`);
  // INV-22: a client's write through the server it is connected to is never refused as moved,
  // unless, when it first used that connection, a claim or write of its session from another
  // server may still have been on its way to the leader: the simulated network says whether an
  // earlier connection's requests, or what its server sent since, may still be unread (sent on a
  // connection both ends hold, or waiting in a frozen process).
  for (const s of servers) {
    s.onLog = (msg, fields) => {
      if (!msg.startsWith('request refused: session moved')) return;
      const c = clients.find((x) => x.port !== null && x.port === fields?.port);
      const here = c?.here;
      if (!c || !here) return;
      if (!here.racing) violate({ id: 'INV-22', detail: `client ${c.id}'s write through s${s.sid} was refused as moved (session ${String(fields?.session)}), though no claim or write of it from another server could be on its way` });
    };
  }
  const endpoints = addresses.map((a) => ({ sid: a.id, port: a.clientPort! }));
  sched.onThrow = (t, proc) => {
    violate({ id: 'SIM-THROW', detail: `${t.proc} threw at ${t.at - EPOCH_MS} ms: ${t.error.stack ?? t.error.message}` });
    const s = servers.find((x) => x.proc === proc);
    s?.crash('kill');
  };
  const faultsLog: string[] = [];
  let injected = 0;
  const fault = (what: string) => {
    faultsLog.push(`${sched.now - EPOCH_MS} ms ${what}`);
    say(`${sched.now - EPOCH_MS} fault ${what}`);
  };

  // ---------------------------------------------------------------- the world's own process
  const world = new Proc('world');
  const sleep = (ms: number) => new Promise<void>((r) => sched.after(ms, world, r));
  const clients: SimClient[] = [];
  let clientIds = 0;
  const newClient = () => {
    const id = clientIds++;
    const c = new SimClient(id, new Proc(`c${id}`), sched, net, random.fork(`client${id}`), endpoints, random.fork(`timeout${id}`).pick([1000, 2000, 4000]), say);
    c.racing = (session, here) =>
      session.links.some((l) => {
        if (l === here || l.sid === here.sid || l.sent === 0) return false;
        const s = servers[l.sid - 1]!;
        return l.socket.unread > 0 || net.unreadFrom(`s${l.sid}`) || s.proc?.frozen === true;
      });
    clients.push(c);
    return c;
  };
  /** Until `c` gets an OK (or one of `also`) to this request, retrying; false after `bound` ms. */
  const until = async (c: SimClient, bound: number, make: () => Parameters<SimClient['request']>[1], also: readonly number[] = []): Promise<Awaited<ReturnType<SimClient['request']>> | null> => {
    const deadline = sched.now + bound;
    while (sched.now < deadline) {
      if (!c.ready) {
        await sleep(20);
        continue;
      }
      const o = await c.request(-1, make());
      if (o.kind === 'reply' && (o.err === Code.OK || also.includes(o.err))) return o;
      await sleep(50);
    }
    return null;
  };

  const wl = workload(random.fork('workload'), budget, () => sched.now);
  let workloadDone = false;
  let workFrom = Infinity;
  let finished = false;
  let recoveryMs: number | null = null;
  const finalReads: OpRecord[] = [];
  const invariants = new RunInvariants();
  // Every ZAB step of every server, in the order taken: the spec's invariants judge them at the end.
  const steps: ZabStep[] = [];
  for (const s of servers) s.prepare = (server) => (server.onZabStep = (input, effects, state) => steps.push(zabStep(s.sid, input, effects, state.config)));
  // Ground truth for unknown outcomes: the data of every create and setData some server delivered
  // (each request's data is its own), and when that was first seen; each session's deletes by path.
  const data = new Map<string, number>();
  const deletes = new Map<string, number>();
  const delivered: Delivered = { data, deletes };
  const noteOp = (op: TxnOp, session: bigint): void => {
    if (op.type === 'multi') return op.ops.forEach((o) => noteOp(o, session));
    if ((op.type === 'create' || op.type === 'setData') && op.data !== null) {
      const d = Buffer.from(op.data).toString('utf8');
      if (!data.has(d)) data.set(d, sched.now);
    }
    if (op.type === 'delete') {
      deletes.set(`${session}${op.path}`, sched.now); // the latest: was there one since a request's call?
    }
  };
  invariants.onDelivered = (t) => {
    if (t.value.kind === 'txn') noteOp(t.value.txn.op, t.value.txn.session);
  };

  const main = async () => {
    for (const s of servers) s.start();
    // Setup: the parents of the workload's nodes, through a client of its own.
    const setup = newClient();
    for (const p of PARENTS) {
      const ok = await until(setup, LIVENESS_MS, () => ({ op: 'create', path: p, data: Buffer.alloc(0), acl: [...OPEN_ACL], flags: 0 }), [Code.NodeExists]);
      if (!ok) {
        violate({ id: 'SIM-LIVE', detail: `no write succeeded within ${LIVENESS_MS} ms of the start` });
        return;
      }
    }
    setup.stop();
    // The workload and the faults, together.
    workFrom = sched.now;
    net.options = { ...net.options, ...swarm.net };
    for (const s of servers) s.disk.options = { ...swarm.disk };
    const workers = Array.from({ length: nClients }, () => work(newClient()));
    const injector = inject().catch((e: Error) => violate({ id: 'SIM-THROW', detail: `the fault injector threw: ${e.stack ?? e.message}` }));
    await Promise.all(workers);
    workloadDone = true;
    await injector;
    // Heal everything; the ensemble must serve writes again.
    healAll();
    const healedAt = sched.now;
    const probe = newClient();
    const wrote = await until(probe, LIVENESS_MS, () => ({ op: 'setData', path: PARENTS[0]!, data: Buffer.from('probe'), version: -1 }));
    if (!wrote) {
      violate({ id: 'SIM-LIVE', detail: `no write succeeded within ${LIVENESS_MS} ms after every fault was healed` });
      return;
    }
    recoveryMs = sched.now - healedAt;
    say(`${sched.now - EPOCH_MS} recovered in ${recoveryMs} ms`);
    // Every client's session is served again: a write through it succeeds (a session that expired
    // meanwhile is replaced by a new one, as a client would).
    for (const c of workers.map((_, i) => clients[i + 1]!)) {
      const served = await until(c, LIVENESS_MS, () => ({ op: 'setData', path: PARENTS[0]!, data: Buffer.from(`c${c.id}`), version: -1 }));
      if (!served) violate({ id: 'SIM-LIVE', detail: `client ${c.id}'s session 0x${c.session.id.toString(16)} was not served within ${LIVENESS_MS} ms after every fault was healed` });
    }
    // Every server reaches the same last zxid.
    const convergeBy = sched.now + CONVERGE_MS;
    while (sched.now < convergeBy && !converged()) await sleep(50);
    if (!converged()) {
      const known = promisedAbove();
      if (known.length > 0) {
        stuck.push(...known);
        say(`${sched.now - EPOCH_MS} s${known.join(', s')} cannot join: accepted a later epoch than the leader's (DISC-6, as in ZooKeeper)`);
      } else violate({ id: 'SIM-CONVERGE', detail: `servers did not converge within ${CONVERGE_MS} ms: ${servers.map((s) => `s${s.sid} ${s.up ? formatZxid(s.server!.lastZxid) : 'down'}`).join(', ')}` });
    }
    // Final reads after a sync: every key as the ensemble holds it now.
    for (const key of KEYS) {
      const r: OpRecord = { id: -1 - finalReads.length, client: probe.id, session: probe.session.n, kind: 'final', path: key, call: sched.now, ret: Infinity, err: null, zxid: null, lin: [] };
      const synced = await until(probe, LIVENESS_MS, () => ({ op: 'sync', path: key }));
      const got = synced && (await until(probe, LIVENESS_MS, () => ({ op: 'getData', path: key, watch: false }), [Code.NoNode]));
      if (!got || got.kind !== 'reply') continue;
      r.ret = sched.now;
      r.err = got.err;
      if (got.err === Code.OK) {
        const v = OPS.getData.response.read(got.body);
        r.lin.push({ input: { op: 'getData', path: key }, output: { data: Buffer.from(v.data ?? []).toString('utf8'), version: v.stat.version } });
      } else r.lin.push({ input: { op: 'getData', path: key }, output: 'NoNode' });
      finalReads.push(r);
    }
    // A session the leader expired may outlive a leader change in the tree (as in ZooKeeper: the new
    // leader expires it again once its timeout passes): give that time before the ephemerals are judged.
    await sleep(2 * 20 * TICK_MS + 10 * TICK_MS);
  };

  /**
   * spec/invariants.md, after LIVE-1: a server that accepted a later epoch from a leader attempt
   * that failed refuses the established leader's lower epoch (DISC-6) for as long as that leader
   * lasts, in zabkit as in ZooKeeper 3.8. The servers in that case, if every other one is level
   * with the leader; else none.
   */
  const promisedAbove = (): number[] => {
    const leader = servers.find((s) => s.up && s.server?.serving && s.server.zab?.phase === 'leading' && s.server.zab.stage === 'broadcast');
    const lz = leader?.server?.zab;
    if (!leader || lz?.phase !== 'leading') return [];
    const behind = servers.filter((s) => !(s.up && s.server?.serving && s.server.lastZxid === leader.server!.lastZxid));
    const known = behind.filter((s) => s.up && (s.server?.zab?.acceptedEpoch ?? 0) > lz.epoch);
    return known.length === behind.length && behind.length < servers.length / 2 ? known.map((s) => s.sid) : [];
  };
  const stuck: number[] = [];
  const converged = () => {
    const up = servers.filter((s) => s.up && s.server?.serving);
    if (up.length !== servers.length) return false;
    const z = up[0]!.server!.lastZxid;
    return up.every((s) => s.server!.lastZxid === z);
  };

  const work = async (c: SimClient) => {
    const pipeline = random.fork(`pipeline${c.id}`).int(1, 3);
    const think = random.fork(`think${c.id}`);
    const inFlight: Promise<void>[] = [];
    for (;;) {
      await sleep(think.int(1, 60));
      if (sched.now - workFrom > FAULT_PHASE_MS) break; // what is left of the budget is not issued
      if (!c.ready || c.inFlight >= pipeline) continue;
      const op = wl.next(c);
      if (!op) {
        if (wl.spent) break;
        say(`${sched.now - EPOCH_MS} c${c.id} moves`);
        continue;
      }
      say(`${sched.now - EPOCH_MS} c${c.id} ${op.record.kind} ${op.record.path}`);
      inFlight.push(c.request(op.record.id, op.request).then((o) => op.settle(o)));
    }
    await Promise.all(inFlight); // the session stays: after the faults it must be served again
  };

  // ---------------------------------------------------------------- faults
  const frandom = random.fork('faults');
  const healing: (() => void)[] = [];
  const healAll = () => {
    // Fair from here on: a calm network and disks, nothing cut, frozen or down.
    net.options = { ...net.options, ...CALM.net };
    for (const s of servers) s.disk.options = { ...s.disk.options, ...CALM.disk };
    net.heal();
    for (const s of servers) {
      s.thaw();
      if (!s.up) s.start();
    }
    for (const h of healing.splice(0)) h();
    fault('heal all');
  };
  const later = (ms: number, what: string, f: () => void) => {
    healing.push(f);
    sched.after(ms, world, () => {
      const i = healing.indexOf(f);
      if (i < 0) return;
      healing.splice(i, 1);
      fault(what);
      f();
    });
  };
  const leaderOf = () => servers.find((s) => s.up && s.server?.serving && s.server.zab?.phase === 'leading');
  const ctx: FaultContext = { servers, clients, net, sched, random: frandom, sleep, fault, later };
  const inject = async () => {
    if (swarm.on.length === 0) return;
    while (!workloadDone) {
      await sleep(Math.max(1, Math.round(-Math.log(1 - frandom.float()) * swarm.meanGap)));
      if (workloadDone || injected >= (opts.maxFaults ?? Infinity)) return;
      const before = faultsLog.length;
      const kind = frandom.weighted(swarm.on);
      const target = frandom.chance(0.3) ? (leaderOf() ?? frandom.pick(servers)) : frandom.pick(servers);
      await injectOne(kind, target, ctx);
      if (faultsLog.length > before) injected++;
    }
  };

  // ---------------------------------------------------------------- run
  say(`seed ${opts.seed}${opts.mutant ? ` (mutant ${opts.mutant.name})` : ''}: ${voters} voters, ${observers} observers, ${nClients} clients, ${budget} ops; ${describeSwarm(swarm)}`);
  sched.at(sched.now, world, () => {
    main().then(
      () => (finished = true),
      (e: Error) => {
        violate({ id: 'SIM-THROW', detail: `the run itself threw: ${e.stack ?? e.message}` });
        finished = true;
      },
    );
  });
  await sched.run(EPOCH_MS + MAX_RUN_MS, () => {
    observe();
    return finished;
  });
  observe(true); // every check once more on the servers as the run ends
  if (!finished) violate({ id: 'SIM-LIVE', detail: `the run did not finish within ${MAX_RUN_MS} simulated ms` });
  for (const c of clients) c.stop();
  for (const s of servers) s.crash('kill');

  function observe(last = false): void {
    const before = invariants.violations.length;
    invariants.observeSims(servers, last);
    for (const v of invariants.violations.slice(before)) violate(v);
  }

  const records = [...wl.records, ...finalReads];
  const newest = servers.filter((s) => s.server).sort((a, b) => b.server!.lastZxid - a.server!.lastZxid)[0];
  const finalTree = newest?.server?.tree;
  violations.push(...checkRun(records, clients, finalTree, delivered));
  // A lost disk makes a server forget what it promised: the spec's durability invariants do not hold across it.
  if (!faultsLog.some((f) => f.includes(' wipe '))) {
    const v = specInvariants(steps);
    if (v) violations.push(v);
  }
  for (const c of clients) for (const p of c.problems) violations.push({ id: 'SIM-CLIENT', detail: p });
  for (const s of servers) for (const e of s.exits) violations.push({ id: 'SIM-EXIT', detail: `s${s.sid} at ${e}` });
  const ok = wl.records.filter((r) => r.err === Code.OK).length;
  const unknown = wl.records.filter((r) => r.err === null).length;
  for (const v of violations) hash.update(`${v.id} ${v.detail}`);
  return {
    seed: opts.seed,
    swarm: describeSwarm(swarm),
    violations,
    simulatedMs: sched.now - EPOCH_MS,
    events: sched.events,
    ops: { total: wl.records.length, ok, failed: wl.records.length - ok - unknown, unknown },
    faults: faultsLog,
    injected,
    stuck,
    recoveryMs,
    log,
    fingerprint: hash.digest('hex').slice(0, 16),
  };
}
