// `zabkit simulate --schedule FILE`: the model checker's direction reversed. A run of the model
// (a `zabkit check --out` counterexample, or a `--simulate` walk) is a list of steps: which server
// took which input. Here the composed servers (sim/server-node.ts: ZAB, the server reducer, the
// tree, storage over the simulated disk, the peers over the simulated network) take the same
// steps in the same order: each server's ZAB node is scripted (src/shell/zab-node.ts NodeScript),
// so it steps a message only once the schedule delivers it, and its timers, disk writes and
// snapshots wait for the schedule too. Everything else is real: the message must have been sent,
// framed and carried to the receiver; a write is performed by the storage code before its
// completion is stepped; a crash kills the process and a restart recovers from the simulated disk.
// Each step's input and effects must be the ones the model recorded. Then the run is judged by
// the simulator's own checks and, from the servers' own steps, by the spec's invariants.
import { readFileSync } from 'node:fs';
import { parseTrace, type TraceEvent } from '../conformance/trace-schema.ts';
import type { Entry } from '../src/server/types.ts';
import type { NodeScript, ZabNode } from '../src/shell/zab-node.ts';
import type { PeerAddress } from '../src/server/membership.ts';
import type { Config, Effect, Input, Sid } from '../src/zab/types.ts';
import type { Violation } from './checks.ts';
import { SimDisk } from './disk.ts';
import { RunInvariants, specInvariants, zabStep, type ZabStep } from './invariants.ts';
import { SimNet } from './net.ts';
import { Random } from './random.ts';
import { configOf } from './run.ts';
import { EPOCH_MS, Scheduler } from './scheduler.ts';
import { SimServer } from './server-node.ts';

/** The model's client write of value v becomes the createSession of session SESSION_BASE + v (a txn every replica applies). */
const SESSION_BASE = 0x5c4ed0000n;
/** Its timeout: no scheduled session expires during a run. */
const FOREVER_MS = 2 ** 31 - 1;
/** Simulated time between two steps: longer than the peers' longest reconnect backoff (1 s). */
const GAP_MS = 1100;
/** How long a step may wait for what it needs (a message to arrive, a write to be ready). */
const WAIT_MS = 10_000;

export interface ScheduleResult {
  readonly steps: number;
  /** Steps the composed servers took as the model did. */
  readonly taken: number;
  /** The first step they could not take as recorded, and why. */
  readonly divergence: { readonly seq: number; readonly node: Sid; readonly detail: string } | null;
  /** The violation the schedule ends with (a counterexample), if any. */
  readonly expected: { readonly id: string; readonly detail: string } | null;
  /** What the simulator's own checks found on the composed servers. */
  readonly simulator: readonly Violation[];
  /** The spec's invariants over the servers' own steps (invariants.ts specInvariants), and the step after which it shows. */
  readonly model: (Violation & { readonly step: number }) | null;
  readonly simulatedMs: number;
  readonly log: readonly string[];
}

/** One server incarnation's script: what arrived, the steps taken, the writes and snapshots waiting. */
class Script implements NodeScript {
  node: ZabNode | null = null;
  readonly held: { readonly input: Input<Entry>; readonly mid?: string }[] = [];
  readonly steps: { readonly input: Input<Entry>; readonly effects: readonly Effect<Entry>[]; readonly line: ZabStep }[] = [];
  private nextPersist: ((ticket: number) => void) | null = null;
  private readonly snapshots = new Map<number, () => void>();

  hold(input: Input<Entry>, mid?: string): void {
    this.held.push(mid === undefined ? { input } : { input, mid });
  }
  stepped(input: Input<Entry>, effects: readonly Effect<Entry>[], line: ZabStep): void {
    this.steps.push({ input, effects, line });
  }
  persist(): Promise<number> {
    return new Promise((resolve) => (this.nextPersist = resolve));
  }
  snapshot(zxid: number): Promise<void> {
    return new Promise((resolve) => this.snapshots.set(zxid, resolve));
  }
  /** Let the write ending at `ticket` be performed; false if the node is not waiting for one. */
  completeWrite(ticket: number): boolean {
    const go = this.nextPersist;
    if (!go) return false;
    this.nextPersist = null;
    go(ticket);
    return true;
  }
  completeSnapshot(zxid: number): boolean {
    const go = this.snapshots.get(zxid);
    if (!go) return false;
    this.snapshots.delete(zxid);
    go();
    return true;
  }
  drop(which: (i: Input<Entry>) => boolean): void {
    for (let j = this.held.length - 1; j >= 0; j--) if (which(this.held[j]!.input)) this.held.splice(j, 1);
  }
  attached(node: ZabNode): void {
    this.node = node;
  }
  /** Take the first held input `match` accepts; those `skip` accepts before it are dropped (lost on the way, as in the model). */
  takeHeld(match: (i: Input<Entry>) => boolean, skip: (i: Input<Entry>) => boolean = () => false): { readonly input: Input<Entry>; readonly mid?: string } | null {
    const k = this.held.findIndex((h) => match(h.input));
    if (k < 0) return null;
    const [h] = this.held.splice(k, 1);
    for (let j = k - 1; j >= 0; j--) if (skip(this.held[j]!.input)) this.held.splice(j, 1);
    return h!;
  }
}

/**
 * The shape of a ZAB value for comparing a model step with a real one: the model's values are
 * numbers, the servers' entries are txns (the scheduled writes: createSession of SESSION_BASE + v)
 * and snapshots; snapshots compare equal whatever they hold (their place is compared).
 */
function shape(x: unknown): unknown {
  if (typeof x === 'bigint') return x.toString();
  if (Array.isArray(x)) return x.map(shape);
  if (x === null || typeof x !== 'object') return x;
  const e = x as Entry;
  if (e.kind === 'base') return 'snapshot';
  if (e.kind === 'txn' && 'txn' in e) {
    return e.txn.op.type === 'createSession' && e.txn.session > SESSION_BASE ? `v${e.txn.session - SESSION_BASE}` : `txn ${e.txn.op.type}`;
  }
  const snap = (x as { snapshot?: unknown }).snapshot === true;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) {
    out[k] = k === 'base' || (k === 'value' && snap) ? 'snapshot' : k === 'value' && typeof v === 'number' ? `v${v}` : shape(v);
  }
  return out;
}

const same = (a: unknown, b: unknown) => JSON.stringify(shape(a)) === JSON.stringify(shape(b));
const channelOf = (type: string) => (type === 'NOTIFICATION' ? 'election' : 'quorum');

function describe(i: TraceEvent['input']): string {
  switch (i.type) {
    case 'receive':
      return `receive ${i.msg.type} from s${i.from}`;
    case 'timeout':
      return `${i.timer} timer fires`;
    case 'persisted':
      return `write #${i.ticket} completes`;
    case 'disconnected':
      return `notices its link with s${i.peer} broke`;
    case 'propose':
      return `client write ${String(i.value)}`;
    case 'compacted':
      return `snapshot at ${i.zxid} written`;
    case 'restart':
      return 'restart';
  }
}

/** Play `events` (one trace, in order) on composed servers; stops at the first step they cannot take as recorded. */
export async function playSchedule(events: readonly TraceEvent[], opts: { readonly keepLog?: boolean } = {}): Promise<ScheduleResult> {
  const configs = new Map<Sid, Config>();
  for (const e of events) if (e.config && !configs.has(e.node)) configs.set(e.node, e.config as Config);
  const first = [...configs.values()][0];
  const log: string[] = [];
  const say = (line: string) => void (opts.keepLog && log.push(line));
  const base = { steps: events.length, expected: events[events.length - 1]?.violation ?? null, simulatedMs: 0, log };
  if (!first) return { ...base, taken: 0, divergence: { seq: 0, node: 0, detail: 'the schedule starts no server (no restart with a config)' }, simulator: [], model: null };

  const sched = new Scheduler();
  const random = new Random(0);
  const net = new SimNet(sched, random.fork('net'), { minDelay: 1, maxDelay: 1, slowChance: 0, connectTimeout: 1000 });
  const sids = [...first.voters, ...first.observers].sort((a, b) => a - b);
  const addresses: PeerAddress[] = sids.map((id) => ({ id, host: '127.0.0.1', quorumPort: 2280 + id, electionPort: 2380 + id, observer: first.observers.includes(id), clientPort: 2180 + id }));
  const zab = { snapCount: first.snapCount, tickTime: first.timing.tickMs, initLimit: first.timing.initLimit, syncLimit: first.timing.syncLimit };
  const servers = new Map<Sid, SimServer>();
  for (const a of addresses) {
    const disk = new SimDisk(sched, random.fork(`disk${a.id}`), { minDelay: 1, maxDelay: 1, stallChance: 0, stallMs: 0, tornChance: 0 });
    servers.set(a.id, new SimServer(a.id, configOf(a.id, addresses, zab), disk, sched, net, say, first.deviation ? { name: first.deviation, bug: 'the schedule\'s deviation', zab: first.deviation } : undefined));
  }
  const scripts = new Map<Sid, Script>();
  const simulator: Violation[] = [];
  const invariants = new RunInvariants();
  sched.onThrow = (t, proc) => {
    simulator.push({ id: 'SIM-THROW', detail: `${t.proc} threw at ${t.at - EPOCH_MS} ms: ${t.error.stack ?? t.error.message}` });
    for (const s of servers.values()) if (s.proc === proc) s.crash('kill');
  };
  // Every step any server takes, in the order taken, as trace events (for the spec's invariants).
  const taken: ZabStep[] = [];
  const observe = () => {
    invariants.observeSims(servers.values());
    return false;
  };
  const wait = async (ready: () => boolean): Promise<boolean> => {
    const deadline = sched.now + WAIT_MS;
    while (!ready()) {
      if (sched.now >= deadline) return false;
      await sched.run(sched.now + 5, observe);
    }
    return true;
  };

  let divergence: ScheduleResult['divergence'] = null;
  let done = 0;
  for (const e of events) {
    await sched.run(sched.now + GAP_MS, observe);
    const sim = servers.get(e.node);
    const fail = (detail: string) => (divergence = { seq: e.seq, node: e.node, detail: `step ${e.seq} (s${e.node} ${describe(e.input)}): ${detail}` });
    if (!sim) {
      fail(`s${e.node} is not a member`);
      break;
    }
    const input = e.input as Input<unknown>;
    let script = scripts.get(e.node);
    let before = script?.steps.length ?? 0;
    if (input.type === 'restart') {
      before = 0;
      if (sim.up) sim.crash('kill'); // the model's crash is no step: a restart of a running server follows one
      script = new Script();
      const s = script;
      scripts.set(e.node, s);
      sim.prepare = (server) => {
        server.script = s;
        server.onZabStep = (i, effects, state) => s.stepped(i, effects, zabStep(e.node, i, effects, state.config));
      };
      sim.start();
      if (!(await wait(() => s.steps.length > 0))) {
        fail(`the server did not start${sim.exits.length ? `: ${sim.exits[sim.exits.length - 1]}` : ''}`);
        break;
      }
      const real = sim.server!.zab!;
      const config = e.config ?? configs.get(e.node);
      if (JSON.stringify(real.config) !== JSON.stringify(config)) {
        fail(`the server's ZAB configuration ${JSON.stringify(real.config)} is not the schedule's ${JSON.stringify(config)}`);
        break;
      }
    } else if (!script || !sim.up) {
      fail(`s${e.node} is not running`);
      break;
    } else {
      const s = script;
      const node = () => s.node;
      let held: { readonly input: Input<Entry>; readonly mid?: string } | null = null;
      switch (input.type) {
        case 'receive': {
          const channel = channelOf(input.msg.type);
          const from = (i: Input<Entry>) => i.type === 'receive' && i.from === input.from && channelOf(i.msg.type) === channel;
          await wait(() => s.held.some((h) => from(h.input) && same((h.input as Extract<Input<Entry>, { type: 'receive' }>).msg, input.msg)));
          held = s.takeHeld((i) => from(i) && same((i as Extract<Input<Entry>, { type: 'receive' }>).msg, input.msg), from);
          if (!held) fail(`no such message from s${input.from} reached s${e.node}${s.held.some((h) => from(h.input)) ? ` (it has ${s.held.filter((h) => from(h.input)).map((h) => (h.input as Extract<Input<Entry>, { type: 'receive' }>).msg.type).join(', ')} waiting)` : ''}`);
          break;
        }
        case 'persisted': {
          if (!(await wait(() => s.completeWrite(input.ticket)))) {
            fail(`the server has no write waiting to be performed`);
            break;
          }
          const ticket = input.ticket;
          await wait(() => s.held.some((h) => h.input.type === 'persisted' && h.input.ticket === ticket) || !sim.up);
          held = s.takeHeld((i) => i.type === 'persisted' && i.ticket === ticket);
          if (!held) fail(`its storage did not complete the write${sim.exits.length ? `: ${sim.exits[sim.exits.length - 1]}` : ''}`);
          break;
        }
        case 'compacted': {
          const zxid = input.zxid;
          if (!(await wait(() => s.completeSnapshot(zxid)))) {
            fail(`the server has no snapshot at ${zxid} waiting to be written`);
            break;
          }
          await wait(() => s.held.some((h) => h.input.type === 'compacted' && h.input.zxid === zxid) || !sim.up);
          held = s.takeHeld((i) => i.type === 'compacted' && i.zxid === zxid);
          if (!held) fail(`its storage did not write the snapshot`);
          break;
        }
        case 'disconnected': {
          // The model's notice: the transport's own reports of this peer are superseded by it.
          const peer = input.peer;
          s.drop((i) => i.type === 'disconnected' && i.peer === peer);
          held = { input: { type: 'disconnected', peer } };
          break;
        }
        case 'timeout':
          if (!node()?.timersSet.includes(input.timer)) fail(`its ${input.timer} timer is not set (set: ${node()?.timersSet.join(', ') || 'none'})`);
          else held = { input: { type: 'timeout', timer: input.timer } };
          break;
        case 'propose':
          // Through the server's reducer, as a forwarded write: it prepares the txn and, leading, proposes it.
          sim.server!.scriptWrite(SESSION_BASE + BigInt(Number(input.value)), { op: 'createSession', timeout: FOREVER_MS });
          break;
      }
      if (divergence) break;
      if (held) node()!.take(held.input, held.mid);
    }
    await sched.run(sched.now, observe);
    const steps = script.steps.slice(before);
    const step = steps[0];
    if (steps.length > 1) {
      fail(`the server took ${steps.length} steps (${steps.map((x) => x.input.type).join(', ')}) where the schedule has one`);
      break;
    }
    if (!step) {
      if (input.type === 'propose' && e.effects.length === 0) {
        done++; // the model ignored the write, and the server did not propose it
        continue;
      }
      fail('the server took no step');
      break;
    }
    taken.push(step.line);
    if (!same(step.input, e.input)) {
      fail(`its input was ${JSON.stringify(shape(step.input))}, the schedule's ${JSON.stringify(shape(e.input))}`);
      break;
    }
    if (!same(step.effects, e.effects)) {
      fail(`its effects were ${JSON.stringify(shape(step.effects))}, the model's ${JSON.stringify(shape(e.effects))}`);
      break;
    }
    done++;
  }
  await sched.run(sched.now + GAP_MS, observe);
  invariants.observeSims(servers.values(), true);
  simulator.push(...invariants.violations);
  for (const s of servers.values()) for (const x of s.exits) simulator.push({ id: 'SIM-EXIT', detail: `s${s.sid} at ${x}` });
  for (const s of servers.values()) s.crash('kill');
  const model = specInvariants(taken);
  return { ...base, taken: done, divergence, simulator, model, simulatedMs: sched.now - EPOCH_MS };
}

/** `zabkit simulate --schedule FILE`: play a checker's trace on composed servers and say how it went. Exit 0: reproduced. */
export async function runScheduleFile(file: string, verbose: boolean, out: (s: string) => void): Promise<number> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    out(`zabkit simulate --schedule: cannot read ${file}: ${(e as Error).message}`);
    return 2;
  }
  const { events, error } = parseTrace(text);
  if (error) {
    out(`zabkit simulate --schedule: ${file}: ${error}`);
    return 2;
  }
  const started = performance.now();
  const r = await playSchedule(events, { keepLog: verbose });
  const secs = (performance.now() - started) / 1000;
  const first = events.find((e) => e.config)?.config;
  const who = first ? `${first.voters.length} voters${first.observers.length ? `, ${first.observers.length} observers` : ''}${first.deviation ? `, deviation ${first.deviation}` : ''}` : 'no servers';
  out(`schedule ${file}: ${r.steps} steps (${who})${r.expected ? `, ending in ${r.expected.id}: ${r.expected.detail}` : ''}`);
  if (r.divergence) {
    out(`the composed servers took ${r.taken} of ${r.steps} steps as the model did; then ${r.divergence.detail}`);
    if (verbose) out(r.log.join('\n'));
    return 1;
  }
  out(`the composed servers took all ${r.steps} steps as the model did (${(r.simulatedMs / 1000).toFixed(1)} simulated s, ${secs.toFixed(2)} s)`);
  out(`the spec's invariants over their steps: ${r.model ? `${r.model.id}: ${r.model.detail}` : 'all hold'}`);
  out(`the simulator's own checks: ${r.simulator.length ? r.simulator.map((v) => `${v.id}: ${v.detail}`).join('; ') : 'no violation'}`);
  if (verbose) out(r.log.join('\n'));
  const expected = r.expected?.id ?? null;
  if (expected?.startsWith('LIVE-') && !r.model) {
    out(`reproduced: ${expected} is the model's judgment of how its run goes on from here; the servers are left where the model found no progress`);
    return 0;
  }
  if ((r.model?.id ?? null) === expected && (expected !== null || r.simulator.length === 0)) {
    out(expected ? `reproduced: the composed servers break ${expected} as the model does` : 'reproduced: no violation, on the model or the servers');
    return 0;
  }
  out(expected ? `not reproduced: the model's ${expected} does not show on the servers' steps` : 'not reproduced: the servers break an invariant the model keeps');
  return 1;
}
