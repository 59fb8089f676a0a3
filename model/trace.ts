// Counterexample traces in the trace format of conformance/trace-schema.ts, and their replay:
// every recorded input is re-run through `step` from the recorded start, the effects must be
// the recorded ones, and the invariants are judged on the state the replay rebuilds.
import {
  applyPersist,
  applySnapshot,
  formatZxid,
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
import { afterEffect, EMPTY_STATE } from './state-machine.ts';
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
  readonly mismatch: { readonly seq: number; readonly node?: Sid; readonly recorded: unknown; readonly replayed: unknown } | null;
  /** The first invariant violation on the rebuilt state, and the event after which it shows. */
  readonly violation: (Violation & { readonly seq: number; readonly node?: Sid }) | null;
  /** A restart whose disk lacks what a `persisted` input had reported durable (PERSIST-1). */
  readonly lost: { readonly seq: number; readonly node: Sid; readonly detail: string } | null;
}

interface Replayed {
  server: ServerState<unknown> | null;
  durable: Durable<unknown>;
  pending: Map<number, PersistOp<unknown>>;
  /** The state machine as model/state-machine.ts builds it from the deliveries (INV-15). */
  applied: number;
}

const lastZxid = (d: Durable<unknown>): number => d.history[d.history.length - 1]?.zxid ?? 0;

/**
 * Re-run a trace through `step`, in the order given (one server's, or a run's merged across
 * servers). Crashes are not steps: a server whose next event is a restart lost its volatile
 * state, so its unfinished persists are dropped there. A restart boots from the durable state it
 * records; that state must hold at least what the persists reported complete had written.
 */
/**
 * What replay saw at one event: the world the invariants judged after it (servers, disks, the
 * ghost; no messages in flight) and what they found.
 */
export type ReplayStep = (index: number, world: World<unknown>, violations: readonly Violation[], rules: readonly string[]) => void;

export function replay(events: readonly TraceEvent[], onStep?: ReplayStep): ReplayResult {
  const nodes = new Map<Sid, Replayed>();
  let ghost: Ghost<unknown> = { committed: [], commitEpoch: [], proposed: {}, established: {}, initial: {}, violations: [] };
  let sids: Sid[] = [];
  const configs = new Map<Sid, Config>();
  const none = { mismatch: null, violation: null, lost: null };
  for (let index = 0; index < events.length; index++) {
    const e = events[index]!;
    const input = e.input as Input<unknown>;
    // The rules whose branches the step takes, when someone asks (the explorer).
    const rules: string[] | undefined = onStep ? [] : undefined;
    let r = nodes.get(e.node);
    let before: ServerState<unknown> | null = r?.server ?? null;
    let result: readonly [ServerState<unknown>, readonly Effect<unknown>[]];
    if (input.type === 'restart') {
      const config = (e.config as Config | undefined) ?? configs.get(e.node);
      if (!config) return { ...none, mismatch: { seq: e.seq, node: e.node, recorded: 'restart without a config', replayed: null } };
      configs.set(e.node, config);
      if (!sids.includes(e.node)) sids = [...sids, e.node].sort((a, b) => a - b);
      const recorded = input.durable as Durable<unknown>;
      const rebuilt = r?.durable ?? emptyDurable<unknown>();
      if (recorded.acceptedEpoch < rebuilt.acceptedEpoch || recorded.currentEpoch < rebuilt.currentEpoch || lastZxid(recorded) < lastZxid(rebuilt)) {
        const show = (d: Durable<unknown>) => `epochs ${d.acceptedEpoch}/${d.currentEpoch}, last zxid ${formatZxid(lastZxid(d))}`;
        return { ...none, lost: { seq: e.seq, node: e.node, detail: `restarted with ${show(recorded)}; persisted before: ${show(rebuilt)}` } };
      }
      r = { server: null, durable: recorded, pending: new Map(), applied: EMPTY_STATE };
      nodes.set(e.node, r);
      result = boot(config, recorded, rules);
      before = result[0];
    } else {
      if (!r || !r.server) return { ...none, mismatch: { seq: e.seq, node: e.node, recorded: `an input to server ${e.node}, which is not running`, replayed: null } };
      result = step(r.server, input, false, rules);
    }
    const [after, effects] = result;
    const judged = input.type === 'restart' ? null : { server: r.server, durable: r.durable, applied: r.applied, ghost };
    if (JSON.stringify(effects) !== JSON.stringify(e.effects)) {
      return { ...none, mismatch: { seq: e.seq, node: e.node, recorded: e.effects, replayed: effects } };
    }
    if (input.type === 'persisted') {
      // PERSIST-2: tickets complete in order, so one completion covers every earlier ticket.
      for (const [ticket, op] of [...r.pending].sort((a, b) => a[0] - b[0])) {
        if (ticket > input.ticket) break;
        r.durable = applyPersist(r.durable, op);
        r.pending.delete(ticket);
      }
    }
    if (input.type === 'compacted') r.durable = applySnapshot(r.durable, input.zxid, input.base); // PERSIST-11
    for (const eff of effects) {
      if (eff.type === 'persist') r.pending.set(eff.ticket, eff.op);
      r.applied = afterEffect(r.applied, eff, ghost.committed);
    }
    ghost = nextGhost(ghost, e.node, input.type === 'restart' ? null : before, after, effects, input);
    r.server = after;
    // A step that changed nothing the invariants read (it only sent messages) leaves the world already judged.
    if (judged && judged.server === after && judged.durable === r.durable && judged.applied === r.applied && judged.ghost === ghost) {
      onStep?.(index, worldOf(sids, nodes, configs, ghost), [], [...new Set(rules)]);
      continue;
    }
    const world = worldOf(sids, nodes, configs, ghost);
    const v = checkInvariants(world);
    onStep?.(index, world, v, [...new Set(rules)]);
    if (v.length) return { ...none, violation: { ...v[0]!, seq: e.seq, node: e.node } };
  }
  return none;
}

function worldOf(sids: Sid[], nodes: Map<Sid, Replayed>, configs: Map<Sid, Config>, ghost: Ghost<unknown>): World<unknown> {
  const slots: Record<Sid, Slot<unknown>> = {};
  for (const sid of sids) {
    const r = nodes.get(sid)!;
    slots[sid] = { config: configs.get(sid)!, server: r.server, durable: r.durable, pending: [...r.pending].sort((a, b) => a[0] - b[0]).map(([ticket, op]) => ({ ticket, op })), completed: 0, outbox: [], timers: [], applied: r.applied, snapshots: [] };
  }
  return { sids, syncDisk: false, twoChannels: false, slots, channels: {}, unnoticed: [], blocked: [], ghost };
}
