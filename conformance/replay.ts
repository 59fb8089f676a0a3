// `zabkit replay`: a run's per-server traces (or one trace file, e.g. a checker counterexample)
// judged three ways. (a) Every event's effects are what `step` returns for its input (the shell
// ran the spec's code). (b) The shell honoured the effect contract: what left at each step is what
// the executor of src/zab/executor.ts lets leave (PERSIST-2, PERSIST-3), each channel
// delivered in the order it sent (FIFO), and every receive is a message some server sent, to that
// receiver, unchanged. (c) The run, merged into one order that respects every send-before-receive,
// satisfies every invariant of spec/invariants.md at every step.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Effect, Input, Sid } from '../src/zab/index.ts';
import { complete, dropHeld, IDLE, issue, type Executor, type Outgoing } from '../src/zab/executor.ts';
import { replay } from '../model/trace.ts';
import { parseFlags } from '../src/shell/args.ts';
import { parseTrace, type TraceEvent } from './trace-schema.ts';

export interface Problem {
  readonly kind: 'format' | 'mismatch' | 'contract' | 'invariant' | 'durability';
  readonly where: string;
  readonly detail: string;
  readonly recorded?: unknown;
  readonly replayed?: unknown;
}

export interface RunReport {
  readonly servers: number;
  readonly events: number;
  readonly messages: number;
  /** The first problem found, or null: the run replays clean. */
  readonly problem: Problem | null;
}

/** The trace files of a run: a directory's *.ndjson, or the one file. */
export function runFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((f) => f.endsWith('.ndjson'))
    .sort()
    .map((f) => join(path, f));
}

/**
 * Equal values must be one object (the first seen stands for all): the ghost state and the invariants compare txn values with
 * Object.is, as the model does, while a parsed trace gives every occurrence its own object.
 */
export function intern(events: TraceEvent[], seen: Map<string, unknown> = new Map()): void {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = walk(v[i]);
      return v;
    }
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if (typeof o.kind === 'string' && ('txn' in o || o.kind === 'base')) {
      // A txn is its bytes: the origin (which server answers the client) is routing, and a txn
      // read back from the log after a restart has none.
      const key = o.kind === 'base' ? 'base' : `txn:${String(o.txn)}`;
      const got = seen.get(key);
      if (got !== undefined) return got;
      seen.set(key, o);
      return o;
    }
    for (const k of Object.keys(o)) o[k] = walk(o[k]);
    return o;
  };
  for (const e of events) {
    walk(e.input);
    walk(e.effects);
  }
}

export interface Sent {
  readonly from: Sid;
  readonly to: Sid;
  readonly msg: unknown;
  readonly channel: string;
  /** The sender's event that gave it to the transport, as an index into that server's events. */
  at: number;
  /** Its place in the sender's transmissions on that channel to that receiver. */
  order: number;
}

const where = (file: string, e: TraceEvent) => `${file}: event seq ${e.seq} (server ${e.node}, ${e.input.type})`;
export const channelOf = (msg: unknown): 'election' | 'quorum' => ((msg as { type?: string }).type === 'NOTIFICATION' ? 'election' : 'quorum');

/**
 * (b), per server: what left at each step is exactly what the executor (src/zab/executor.ts, the
 * one the shell and the model run) lets leave there — a send at its step unless a message to the
 * same peer is held, a held message in the `persisted` step that makes it durable, in emission
 * order per peer, nothing for a peer whose stream broke — and nothing else left.
 */
function checkSends(file: string, events: TraceEvent[], sent: Map<string, Sent>): Problem | null {
  const issued = new Map<string, { to: Sid; msg: unknown }>();
  const orders = new Map<string, number>();
  let x: Executor<unknown> = IDLE;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.ids && e.ids.length !== e.effects.length) return { kind: 'format', where: where(file, e), detail: `${e.ids.length} message ids for ${e.effects.length} effects` };
    const expected: string[] = [];
    const leave = (out: Outgoing<unknown>) => out.forEach((h) => h.id !== undefined && expected.push(h.id));
    const input = e.input as Input<unknown>;
    if (input.type === 'restart') x = IDLE;
    if (input.type === 'persisted') {
      const [next, out] = complete(x, input.ticket);
      x = next;
      leave(out);
    }
    if (input.type === 'disconnected') x = dropHeld(x, input.peer);
    const effects = e.effects as readonly Effect<unknown>[];
    effects.forEach((eff, k) => {
      const id = e.ids?.[k] ?? undefined;
      if (eff.type === 'disconnect') x = dropHeld(x, eff.peer);
      if (eff.type !== 'send' && eff.type !== 'sendAfterPersist' && eff.type !== 'persist') return;
      if (id !== undefined && eff.type !== 'persist') issued.set(id, { to: eff.to, msg: eff.msg });
      const [next, out] = issue(x, eff, id);
      x = next;
      leave(out);
    });
    const recorded = e.sent ?? [];
    for (const id of recorded) {
      const m = issued.get(id);
      if (!m) return { kind: 'contract', where: where(file, e), detail: `sent message ${id}, which no step of this server issued, or sent it twice` };
      if (!expected.includes(id)) {
        return { kind: 'contract', where: where(file, e), detail: `message ${id} left here, but the executor holds it (its persist is not durable, or a message to that peer is held before it) or let it leave at another step` };
      }
      const channel = channelOf(m.msg);
      const k = `${e.node}>${m.to}/${channel}`;
      const order = orders.get(k) ?? 0;
      orders.set(k, order + 1);
      sent.set(id, { from: e.node, to: m.to, msg: m.msg, channel, at: i, order });
      issued.delete(id);
    }
    const missing = expected.find((id) => !recorded.includes(id));
    if (e.ids && missing !== undefined) return { kind: 'contract', where: where(file, e), detail: `message ${missing} should have left at this step and did not` };
  }
  return null;
}

/**
 * Merge the servers' events into one order: each server's in its own order, and every receive
 * after the step that sent its message. Checks on the way that each receive matches its send
 * and that a channel delivers in the order it sent.
 */
function merge(
  traces: readonly { file: string; events: TraceEvent[] }[],
  sent: Map<string, Sent>,
): { order: TraceEvent[]; problem: Problem | null } {
  const order: TraceEvent[] = [];
  const cursor = traces.map(() => 0);
  const placed = traces.map(() => -1); // the last placed index per trace
  const byNode = new Map(traces.map((t, i) => [t.events[0]?.node, i] as const));
  const lastOrder = new Map<string, number>();
  const received = new Set<string>();
  for (;;) {
    let progressed = false;
    for (let t = 0; t < traces.length; t++) {
      const { file, events } = traces[t]!;
      for (; cursor[t]! < events.length; cursor[t]!++) {
        const e = events[cursor[t]!]!;
        if (e.recv !== undefined) {
          const s = sent.get(e.recv);
          if (!s) return { order, problem: { kind: 'contract', where: where(file, e), detail: `received message ${e.recv}, which no traced server sent` } };
          const sender = byNode.get(s.from);
          if (sender === undefined) return { order, problem: { kind: 'contract', where: where(file, e), detail: `received message ${e.recv} from server ${s.from}, whose trace is not in this run` } };
          if (placed[sender]! < s.at) break; // its send is not placed yet: wait
          if (e.input.type !== 'receive' || e.input.from !== s.from || s.to !== e.node || JSON.stringify(e.input.msg) !== JSON.stringify(s.msg)) {
            return { order, problem: { kind: 'contract', where: where(file, e), detail: `message ${e.recv} received is not the one sent`, recorded: e.input, replayed: { from: s.from, to: s.to, msg: s.msg } } };
          }
          if (received.has(e.recv)) return { order, problem: { kind: 'contract', where: where(file, e), detail: `message ${e.recv} received twice` } };
          received.add(e.recv);
          const k = `${s.from}>${s.to}/${s.channel}`;
          if ((lastOrder.get(k) ?? -1) >= s.order) {
            return { order, problem: { kind: 'contract', where: where(file, e), detail: `message ${e.recv} arrived after a message sent later on the ${s.channel} channel from ${s.from} (not FIFO)` } };
          }
          lastOrder.set(k, s.order);
        } else if (e.input.type === 'receive' && traces.length > 1) {
          return { order, problem: { kind: 'contract', where: where(file, e), detail: 'a receive without a message id' } };
        }
        order.push(e);
        placed[t] = cursor[t]!;
        progressed = true;
      }
    }
    if (cursor.every((c, t) => c >= traces[t]!.events.length)) return { order, problem: null };
    if (!progressed) {
      const stuck = traces.map((t, i) => t.events[cursor[i]!]).find((e) => e !== undefined)!;
      return { order, problem: { kind: 'contract', where: `server ${stuck.node}: event seq ${stuck.seq}`, detail: 'receives wait on each other: no order puts every send before its receive' } };
    }
  }
}

/** A run's events in one global order in which every send comes before its receive. */
export interface OrderedRun {
  readonly order: readonly TraceEvent[];
  /** Every message a server gave the transport, by id (real runs; none in a checker's single file). */
  readonly sent: ReadonlyMap<string, Sent>;
  /** The file each event came from. */
  readonly fileOf: ReadonlyMap<TraceEvent, string>;
  readonly servers: number;
  readonly events: number;
}

/** Parses a run's trace files (name → NDJSON), checks the sends and puts the events in one order. */
export function orderRun(files: readonly { file: string; text: string }[]): { run: OrderedRun | null; report: RunReport } {
  const traces: { file: string; events: TraceEvent[] }[] = [];
  const values = new Map<string, unknown>();
  const report = (problem: Problem | null, events = 0, messages = 0): RunReport => ({ servers: traces.length, events, messages, problem });
  const failed = (problem: Problem, events = 0, messages = 0) => ({ run: null, report: report(problem, events, messages) });
  for (const { file, text } of files) {
    const { events, error } = parseTrace(text);
    if (error) return failed({ kind: 'format', where: file, detail: error });
    if (events.length === 0) return failed({ kind: 'format', where: file, detail: 'no events' });
    intern(events, values);
    traces.push({ file, events });
  }
  const total = traces.reduce((n, t) => n + t.events.length, 0);
  // One file holding several servers (a checker counterexample) is already in one global order.
  const single = traces.length === 1;
  if (!single) {
    const nodes = traces.map((t) => t.events[0]!.node);
    for (const t of traces) {
      const other = t.events.find((e) => e.node !== t.events[0]!.node);
      if (other) return failed({ kind: 'format', where: where(t.file, other), detail: `a run's trace file holds one server's events; this one has server ${t.events[0]!.node}'s too` });
    }
    const dup = nodes.find((n, i) => nodes.indexOf(n) !== i);
    if (dup !== undefined) return failed({ kind: 'format', where: traces.map((t) => t.file).join(', '), detail: `two trace files for server ${dup}` });
  }
  const sent = new Map<string, Sent>();
  for (const t of traces) {
    const p = checkSends(t.file, t.events, sent);
    if (p) return failed(p, total, sent.size);
  }
  const merged = single ? { order: traces[0]!.events, problem: null } : merge(traces, sent);
  if (merged.problem) return failed(merged.problem, total, sent.size);
  const fileOf = new Map(traces.flatMap((t) => t.events.map((e) => [e, t.file] as const)));
  return { run: { order: merged.order, sent, fileOf, servers: traces.length, events: total }, report: report(null, total, sent.size) };
}

/** Judge one run, given its trace files' texts (name → NDJSON). */
export function replayRun(files: readonly { file: string; text: string }[]): RunReport {
  const { run, report } = orderRun(files);
  if (!run) return report;
  const { order, fileOf } = run;
  const fail = (problem: Problem): RunReport => ({ ...report, problem });
  const at = (seq: number, node: Sid | undefined) => {
    const e = order.find((x) => x.seq === seq && (node === undefined || x.node === node));
    return e ? where(fileOf.get(e)!, e) : `event seq ${seq}`;
  };
  const r = replay(order);
  if (r.mismatch) return fail({ kind: 'mismatch', where: at(r.mismatch.seq, r.mismatch.node), detail: 'the recorded effects are not what step returns', recorded: r.mismatch.recorded, replayed: r.mismatch.replayed });
  if (r.lost) return fail({ kind: 'durability', where: at(r.lost.seq, r.lost.node), detail: r.lost.detail });
  if (r.violation) return fail({ kind: 'invariant', where: at(r.violation.seq, r.violation.node), detail: `${r.violation.id}: ${r.violation.detail}` });
  return report;
}

export function replayPath(path: string): RunReport {
  return replayRun(runFiles(path).map((file) => ({ file, text: readFileSync(file, 'utf8') })));
}

export function formatReport(path: string, r: RunReport): string {
  const head = `${path}: ${r.servers} server trace${r.servers === 1 ? '' : 's'}, ${r.events} events, ${r.messages} messages`;
  if (!r.problem) return `${head}: replays clean (effects match step, contract kept, invariants hold)`;
  const p = r.problem;
  const lines = [`${head}: ${p.kind.toUpperCase()} at ${p.where}`, `  ${p.detail}`];
  if (p.recorded !== undefined) lines.push(`  recorded: ${JSON.stringify(p.recorded)}`);
  if (p.replayed !== undefined) lines.push(`  ${p.kind === 'mismatch' ? 'step returns' : 'sent'}: ${JSON.stringify(p.replayed)}`);
  return lines.join('\n');
}

export const REPLAY_HELP = `usage: zabkit replay PATH…

Each PATH is one run: a directory of per-server trace files (*.ndjson, as 'zabkit ensemble
--trace DIR' or 'zabkit server --trace FILE' write them), or a single trace file (e.g. a
checker counterexample, 'zabkit check --out FILE'). Each run is judged on its own:
  (a) every recorded effect list equals what step returns for the recorded input;
  (b) the effect contract: sends leave at their step, a sendAfterPersist only once its persist
      completed, each channel is FIFO, every receive is a message sent to that server, unchanged;
      a restarted server's disk holds everything reported persisted;
  (c) merged into one order that puts every send before its receive, the run satisfies every
      invariant of spec/invariants.md after every step.
The first problem of a run is printed with the event, and both sides where there are two.
Exit 0: every run replays clean; 1: a run has a problem; 2: bad usage.`;

export function runReplay(args: readonly string[], out: (s: string) => void): number {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(args, { help: { type: 'boolean' } }, true);
  } catch (e) {
    out(`zabkit replay: ${(e as Error).message}\n\n${REPLAY_HELP}`);
    return 2;
  }
  if (parsed.positionals.length === 0 || parsed.values.help) {
    out(parsed.values.help ? REPLAY_HELP : `zabkit replay: give PATH… (a run's trace directory, or a trace file)\n\n${REPLAY_HELP}`);
    return parsed.values.help ? 0 : 2;
  }
  let failed = false;
  for (const path of parsed.positionals) {
    let r: RunReport;
    try {
      r = replayPath(path);
    } catch (e) {
      out(`${path}: ${(e as Error).message}`);
      failed = true;
      continue;
    }
    out(formatReport(path, r));
    if (r.problem) failed = true;
  }
  return failed ? 1 : 0;
}
