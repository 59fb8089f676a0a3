// Runs the src/zab reducers for real: every input goes through `step`, and the effects it
// returns are executed in order, with the model's own executor (src/zab/executor.ts): persists
// complete in ticket order (PERSIST-2); consecutive log appends share one durable write (group
// commit); a sendAfterPersist leaves only once its ticket is durable, and a later send to the
// same peer waits behind it (PERSIST-3). This file decides nothing.
import { complete, dropHeld, IDLE, issue, nextBatch, type Executor, type Held, type PendingPersist } from '../zab/executor.ts';
import { boot, emptyDurable } from '../zab/persistence.ts';
import { step } from '../zab/step.ts';
import type { Config, Durable, Effect, Input, Message, ServerState, Sid, TimerName, Txn as ZabTxn } from '../zab/types.ts';
import type { Tree, Txn } from '../tree/index.ts';
import type { Entry } from '../server/types.ts';
import type { Env, TimerHandle } from './env.ts';
import type { Logger } from './logger.ts';
import type { Recovered, Storage } from './storage.ts';
import type { TraceWriter } from './trace-writer.ts';

export type { Entry };

export interface NodeHooks {
  /** A committed entry, in zxid order (BCAST-5). */
  deliver(entry: Entry, zxid: number): void;
  /** PERSIST-11: the committed state becomes this snapshot of every txn up to `zxid`. */
  install(tree: Tree, zxid: number): void;
  /** The committed tree now: a compaction snapshots it (PERSIST-6). */
  committedTree(): Tree;
  /** `mid`: the message's id when tracing (it travels in the frame). */
  send(to: Sid, msg: Message<Entry>, mid?: string): void;
  disconnect(peer: Sid): void;
  /** After each step: the state may have changed phase. */
  stepped(): void;
}


/**
 * A scripted run (the simulator's `--schedule`, sim/schedule.ts): the node steps what arrives only
 * when the script says so, and its timers, disk writes and snapshots wait for the script too.
 * Inputs the script did not start (a message, a lost link, a finished write) are handed to `hold`;
 * the script steps them with `take` when its schedule reaches them.
 */
export interface NodeScript {
  hold(input: Input<Entry>, mid?: string): void;
  /** The last ticket of the next write to perform: it waits until the schedule completes it. */
  persist(): Promise<number>;
  /** A compaction's snapshot at `zxid` is written when the schedule says it is done. */
  snapshot(zxid: number): Promise<void>;
  /** The node it scripts, once made. */
  attached(node: ZabNode): void;
}

/** The ZAB history a recovered disk implies: the snapshot as a base entry, then the logged txns. */
export function durableOf(r: Recovered): Durable<Entry> {
  const history: ZabTxn<Entry>[] = [];
  if (r.snapshot) history.push({ zxid: r.snapshot.zxid, value: { kind: 'base', tree: r.snapshot.tree }, snapshot: true });
  for (const txn of r.txns) history.push({ zxid: txn.zxid, value: { kind: 'txn', txn } });
  return { ...emptyDurable<Entry>(), acceptedEpoch: r.acceptedEpoch, currentEpoch: r.currentEpoch, history, snapIndex: r.snapshot ? 1 : 0 };
}

export class ZabNode {
  state: ServerState<Entry>;
  private inputs: { readonly input: Input<Entry>; readonly mid?: string }[] = [];
  private stepping = false;
  private readonly timers = new Map<TimerName, TimerHandle>();
  /** The persist queue and held messages (src/zab/executor.ts, as the model's world keeps them). */
  private exec: Executor<Entry> = IDLE;
  /** Held messages a completed persist released: they leave within its `persisted` step. */
  private released: Held<Entry>[] = [];
  /** A compaction's tree, captured when issued (the delivers before it brought it to snapIndex). */
  private readonly captures = new Map<number, { readonly tree: Tree; readonly zxid: number }>();
  private persisting: Promise<void> | null = null;
  /**
   * Snapshots being written, one after another (PERSIST-11: they complete in order, as the model
   * completes them); a graceful stop (PERSIST-10) and a SNAP's install wait for them.
   */
  private snapshots: Promise<void> = Promise.resolve();
  /** Tracing: ids of the messages handed to the transport since the last trace line. */
  private sent: string[] = [];
  private stopped = false;
  /** The disk failed: the server must stop (it can no longer vouch for writes). */
  onFatal?: (e: Error) => void;
  /** A snapshot is durable (old snapshots and logs may now be purged). */
  afterSnapshot?: (zxid: number) => void;
  /** `--trace`: every step, its line made once its effects ran and flushed before its messages leave. */
  tracer?: TraceWriter;
  /** A scripted run (the simulator's `--schedule`): set before `start`. */
  script?: NodeScript;
  /** Sees every step (the simulator judges the spec's invariants over them): the input, its effects, the state after. */
  onStep?: (input: Input<Entry>, effects: readonly Effect<Entry>[], state: ServerState<Entry>) => void;
  /** Scripted: the timers set and not yet fired, which the script may fire. */
  private readonly armed = new Set<TimerName>();
  private taking = false;

  constructor(
    config: Config,
    private readonly storage: Storage,
    private readonly hooks: NodeHooks,
    private readonly logger: Logger,
    private readonly env: Env,
  ) {
    this.state = boot<Entry>(config, emptyDurable())[0]; // replaced by `start`, whose effects run
  }

  /** PERSIST-4: boot from what the disk holds. */
  start(durable: Durable<Entry>): void {
    this.input({ type: 'restart', durable });
  }

  /**
   * Inputs that arrive while effects run (a deliver that triggers a write) wait their turn.
   * `mid` is a received message's id (tracing). A step's trace line is made once its effects
   * have run (so it names the messages they sent).
   */
  input(i: Input<Entry>, mid?: string): void {
    if (this.stopped) return;
    // Scripted: only the script's own inputs (a start, a write it proposes, what it takes) are stepped now.
    if (this.script && !this.taking && i.type !== 'restart' && i.type !== 'propose') return this.script.hold(i, mid);
    this.taking = false; // what its effects bring about (a link reported lost at once) is held
    this.flushSoon();
    this.inputs.push(mid === undefined ? { input: i } : { input: i, mid });
    if (this.stepping) return;
    this.stepping = true;
    try {
      for (let q = this.inputs.shift(); q; q = this.inputs.shift()) {
        const next = q.input;
        const [state, effects] = step(this.state, next, true); // owned: the old state is dropped here
        this.state = state;
        // PERSIST-3: held messages leave as part of the `persisted` step (and before its own sends), so
        // a transport that reports a lost peer at once (a `disconnected` input) queues it behind this step.
        if (next.type === 'persisted') this.release();
        // BCAST-10: a broken stream loses what was held for it, as in the model (never resent after a gap)
        if (next.type === 'disconnected') this.exec = dropHeld(this.exec, next.peer);
        const tracer = this.tracer;
        if (!tracer) for (const e of effects) this.execute(e);
        else {
          const ids = effects.map((e) => (e.type === 'send' || e.type === 'sendAfterPersist' ? tracer.messageId() : null));
          effects.forEach((e, k) => this.execute(e, ids[k] ?? undefined));
          tracer.step(next, effects, { config: next.type === 'restart' ? state.config : undefined, recv: q.mid, ids, sent: this.sent });
          this.sent = [];
        }
        this.onStep?.(next, effects, state);
        this.hooks.stepped();
      }
    } finally {
      this.stepping = false;
    }
  }

  /** Scripted: step an input the schedule reached (one `hold` was given, or a timeout of an armed timer). */
  take(i: Input<Entry>, mid?: string): void {
    if (i.type === 'timeout' && !this.armed.delete(i.timer)) throw new Error(`the ${i.timer} timer is not set`);
    this.taking = true;
    try {
      this.input(i, mid);
    } finally {
      this.taking = false;
    }
  }

  /** Scripted: the timers set and not yet fired. */
  get timersSet(): readonly TimerName[] {
    return [...this.armed];
  }

  private flushing = false;

  /**
   * The trace lines of this turn of the event loop reach the file (synchronously, in one write)
   * before the corked peer sockets write the turn's messages: this runs on process.nextTick,
   * they on setImmediate (writeBatched), later in the same turn. So a peer never receives a
   * message whose send is not in the sender's trace, even if the sender is killed right after.
   */
  private flushSoon(): void {
    if (!this.tracer || this.flushing) return;
    this.flushing = true;
    process.nextTick(() => {
      this.flushing = false;
      this.tracer?.flush();
    });
  }

  private transmit(to: Sid, msg: Message<Entry>, mid: string | undefined): void {
    if (mid !== undefined) this.sent.push(mid);
    this.flushSoon();
    this.hooks.send(to, msg, mid);
  }

  private execute(e: Effect<Entry>, mid?: string): void {
    switch (e.type) {
      case 'send':
      case 'sendAfterPersist':
      case 'persist': {
        const [x, out] = issue(this.exec, e, mid);
        this.exec = x;
        for (const h of out) this.transmit(h.to, h.msg, h.id);
        if (e.type !== 'persist') return;
        if (e.op.kind === 'compact') {
          // Capture the tree now: the delivers before this effect brought it to exactly snapIndex.
          const zxid = this.state.history[e.op.snapIndex - 1]?.zxid ?? 0;
          this.captures.set(e.ticket, { tree: this.hooks.committedTree(), zxid });
          // Scripted: the model may write the snapshot before the compaction's ticket completes; the schedule says when.
          if (this.script) this.writeSnapshot(e.ticket);
        }
        this.persisting ??= this.drain();
        return;
      }
      case 'deliver':
        this.hooks.deliver(e.txn.value, e.txn.zxid);
        return;
      case 'installSnapshot':
        if (e.base.kind !== 'base') throw new Error(`installSnapshot at ${e.zxid} without a snapshot`);
        this.hooks.install(e.base.tree, e.zxid);
        return;
      case 'setTimer': {
        if (this.script) return void this.armed.add(e.timer); // fired by the schedule
        this.env.clock.clear(this.timers.get(e.timer));
        const t = this.env.clock.setTimeout(() => {
          this.timers.delete(e.timer);
          this.input({ type: 'timeout', timer: e.timer });
        }, e.ms);
        this.timers.set(e.timer, t);
        return;
      }
      case 'disconnect':
        this.exec = dropHeld(this.exec, e.peer);
        this.hooks.disconnect(e.peer);
        return;
    }
  }

  /** Execute queued persists in ticket order; each completed group becomes one `persisted` input. */
  private async drain(): Promise<void> {
    try {
      while (this.exec.pending.length > 0 && !this.stopped) {
        let batch = nextBatch(this.exec); // one persist, or a run of appends: one durable write
        if (this.script) {
          // Scripted: the write the schedule completes, which may be fewer appends than a group commit.
          const last = await this.script.persist();
          batch = this.exec.pending.filter((p) => p.ticket <= last);
          if (batch[batch.length - 1]?.ticket !== last || (batch.length > 1 && batch.some((b) => b.op.kind !== 'append'))) throw new Error(`the schedule completes ticket ${last}, which is not the end of a write this node can make`);
        }
        await this.perform(batch);
        const ticket = batch[batch.length - 1]!.ticket;
        const [x, out] = complete(this.exec, ticket);
        this.exec = x;
        this.released.push(...out);
        this.input({ type: 'persisted', ticket });
      }
    } catch (e) {
      // A disk that fails a write cannot vouch for anything more: stop rather than acknowledge.
      this.logger.error('persist failed; stopping', { error: (e as Error).message });
      this.stopped = true;
      this.env.exit(1, false);
      this.onFatal?.(e as Error);
    } finally {
      this.persisting = null;
    }
  }

  private async perform(batch: readonly PendingPersist<Entry>[]): Promise<void> {
    const first = batch[0]!;
    if (this.writeSnapshot(first.ticket)) return;
    const op = first.op;
    switch (op.kind) {
      case 'acceptedEpoch':
      case 'currentEpoch':
        return this.storage.writeEpoch(op.kind, op.epoch);
      case 'append':
        return this.storage.append(batch.flatMap((b) => (b.op.kind === 'append' ? b.op.txns.map(txnOf) : [])));
      case 'truncate':
        return this.storage.truncateAfter(op.zxid);
      case 'snapshot': {
        // PERSIST-11: after the compaction snapshots already under way, so that none lands on top
        await this.snapshots;
        const first = op.txns[0];
        const base = first?.snapshot && first.value.kind === 'base' ? { tree: first.value.tree, zxid: first.zxid } : undefined;
        return this.storage.install(base, op.txns.slice(base ? 1 : 0).map(txnOf));
      }
      case 'compact':
        return; // turned into a snapshot when issued
    }
  }

  /**
   * PERSIST-6: a compaction's snapshot is written after those already under way; the log still
   * holds every txn, so it need not hold up later persists. False if `ticket` is no compaction (or
   * its snapshot is under way already).
   */
  private writeSnapshot(ticket: number): boolean {
    const capture = this.captures.get(ticket);
    if (!capture) return false;
    this.captures.delete(ticket);
    const { tree, zxid } = capture;
    const script = this.script;
    this.snapshots = this.snapshots.then(() =>
      (script ? script.snapshot(zxid).then(() => this.storage.snapshot(tree, zxid)) : this.storage.snapshot(tree, zxid)).then(
        () => {
          this.input({ type: 'compacted', zxid, base: { kind: 'base', tree } }); // PERSIST-9
          this.afterSnapshot?.(zxid);
        },
        (e: Error) => this.logger.error('snapshot failed', { zxid, error: e.message }),
      ),
    );
    return true;
  }

  private release(): void {
    if (this.released.length === 0) return;
    const ready = this.released;
    this.released = [];
    for (const h of ready) this.transmit(h.to, h.msg, h.id); // traced on this `persisted` step
  }

  /** Stop timers and wait for the disk writes already issued. */
  async stop(): Promise<void> {
    for (const t of this.timers.values()) this.env.clock.clear(t);
    this.timers.clear();
    await this.persisting;
    this.stopped = true;
    await this.snapshots; // PERSIST-10: the next start loads it rather than replaying the log
    await this.tracer?.close();
  }
}

function txnOf(t: ZabTxn<Entry>): Txn {
  if (t.value.kind !== 'txn') throw new Error(`a base entry at ${t.zxid} cannot be logged; it is a snapshot`);
  return t.value.txn;
}
