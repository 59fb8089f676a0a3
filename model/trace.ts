// Counterexample traces in the trace format of conformance/trace-schema.ts, and their replay:
// every recorded input is re-run through `step` from the recorded start, the effects must be
// the recorded ones, and the invariants are judged on the state the replay rebuilds.
import {
  applyPersist,
  boot,
  emptyDurable,
  step,
  type Config,
  type Durable,
  type Effect,
  type Input,
  type PersistOp,
  type ServerState,
  type Sid,
} from '../src/zab/index.ts';
import { TRACE_VERSION, type TraceEvent } from '../conformance/trace-schema.ts';
import { checkInvariants, type Violation } from './invariants.ts';
import { apply, nextGhost, type Action, type Ghost, type Slot, type World } from './world.ts';

/** One trace event. The one cast: the schema's inferred types are mutable, the domain's readonly. */
function event(
  seq: number,
  node: Sid,
  input: Input<number>,
  effects: readonly Effect<number>[],
  extra: { readonly config?: Config; readonly action?: number },
): TraceEvent {
  return { v: TRACE_VERSION, seq, node, input, effects, ...extra } as unknown as TraceEvent;
}

/** Replay a checker path through the world, recording every step as a trace event. */
export function traceOf(root: World<number>, path: readonly Action<number>[], violation?: Violation): TraceEvent[] {
  const events: TraceEvent[] = [];
  let w = root;
  // the servers' boots in the root world are recorded first, from their never-run durable state
  for (const sid of root.sids) {
    const slot = root.slots[sid]!;
    const [, effects] = boot(slot.config, emptyDurable<number>());
    events.push(event(events.length, sid, { type: 'restart', durable: emptyDurable() }, effects, { config: slot.config }));
  }
  path.forEach((a, i) => {
    w = apply(w, a, (e) => {
      events.push(event(events.length, e.node, e.input, e.effects, { action: i, ...(e.config ? { config: e.config } : {}) }));
    });
  });
  if (violation && events.length) events[events.length - 1] = { ...events[events.length - 1]!, violation: { id: violation.id, detail: violation.detail } };
  return events;
}

export function toNdjson(events: readonly TraceEvent[]): string {
  return events.map((e) => JSON.stringify(e)).join('\n') + '\n';
}

export interface ReplayResult {
  /** The first event whose effects differ from what `step` returns, with both sides. */
  readonly mismatch: { readonly seq: number; readonly recorded: unknown; readonly replayed: unknown } | null;
  /** The first invariant violation on the rebuilt state, and the event after which it shows. */
  readonly violation: (Violation & { readonly seq: number }) | null;
}

interface Replayed {
  server: ServerState<number> | null;
  durable: Durable<number>;
  pending: Map<number, PersistOp<number>>;
}

/**
 * Re-run a trace through `step`. Crashes are not steps: a server whose next event is a restart
 * lost its volatile state, so its unfinished persists are dropped there. The durable state is
 * rebuilt from each `persisted` input applying the op issued under that ticket.
 */
export function replay(events: readonly TraceEvent[]): ReplayResult {
  const nodes = new Map<Sid, Replayed>();
  let ghost: Ghost<number> = { committed: [], commitEpoch: [], proposed: {}, established: {}, violations: [] };
  let sids: Sid[] = [];
  let configs = new Map<Sid, Config>();
  for (const e of events) {
    const input = e.input as Input<number>;
    let r = nodes.get(e.node);
    let before: ServerState<number> | null = r?.server ?? null;
    let result: readonly [ServerState<number>, readonly Effect<number>[]];
    if (input.type === 'restart') {
      const config = (e.config as Config | undefined) ?? configs.get(e.node);
      if (!config) return { mismatch: { seq: e.seq, recorded: 'restart without a config', replayed: null }, violation: null };
      configs.set(e.node, config);
      if (!sids.includes(e.node)) sids = [...sids, e.node].sort((a, b) => a - b);
      r = { server: null, durable: r?.durable ?? emptyDurable(), pending: new Map() };
      nodes.set(e.node, r);
      result = boot(config, r.durable);
      before = result[0];
    } else {
      if (!r || !r.server) return { mismatch: { seq: e.seq, recorded: `an input to server ${e.node}, which is not running`, replayed: null }, violation: null };
      result = step(r.server, input);
    }
    const [after, effects] = result;
    if (JSON.stringify(effects) !== JSON.stringify(e.effects)) {
      return { mismatch: { seq: e.seq, recorded: e.effects, replayed: effects }, violation: null };
    }
    if (input.type === 'persisted') {
      const op = r.pending.get(input.ticket);
      if (op) {
        r.durable = applyPersist(r.durable, op);
        r.pending.delete(input.ticket);
      }
    }
    for (const eff of effects) if (eff.type === 'persist') r.pending.set(eff.ticket, eff.op);
    ghost = nextGhost(ghost, e.node, before, after, effects, input);
    r.server = after;
    const v = checkInvariants(worldOf(sids, nodes, configs, ghost));
    if (v.length) return { mismatch: null, violation: { ...v[0]!, seq: e.seq } };
  }
  return { mismatch: null, violation: null };
}

function worldOf(sids: Sid[], nodes: Map<Sid, Replayed>, configs: Map<Sid, Config>, ghost: Ghost<number>): World<number> {
  const slots: Record<Sid, Slot<number>> = {};
  for (const sid of sids) {
    const r = nodes.get(sid)!;
    slots[sid] = { config: configs.get(sid)!, server: r.server, durable: r.durable, pending: [], completed: 0, outbox: [], timers: [] };
  }
  return { sids, syncDisk: false, slots, channels: {}, blocked: [], ghost };
}
