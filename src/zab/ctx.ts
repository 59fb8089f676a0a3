// One step's scratchpad: the state being built and the effects emitted, in order.
// It is created and discarded inside `step`, so the reducers stay pure from outside.
import type { Common, Effect, Message, PersistOp, ServerState, Sid, TimerName, Txn } from './types.ts';

/**
 * History arrays that `appendHistory` made in owned mode. Only these may grow in place: an array
 * that came from elsewhere (a durable state, a sync message) may be shared with a queued effect.
 */
const grown = new WeakSet<readonly unknown[]>();

/** The fields every phase shares: what a phase change carries over. */
export function commonOf<T>(s: ServerState<T>): Common<T> {
  return {
    config: s.config,
    acceptedEpoch: s.acceptedEpoch,
    currentEpoch: s.currentEpoch,
    history: s.history,
    snapIndex: s.snapIndex,
    deliveredZxid: s.deliveredZxid,
    round: s.round,
    vote: s.vote,
    ticket: s.ticket,
    durable: s.durable,
  };
}

export class Ctx<T> {
  readonly effects: Effect<T>[] = [];
  state: ServerState<T>;

  /**
   * @param owned the caller keeps no state older than the one it passes (the shell): the history
   * may then grow in place, O(1) per txn instead of a copy. The checker keeps every state and
   * never sets it; a test replays checker runs in owned mode and requires identical results.
   */
  constructor(
    readonly start: ServerState<T>,
    private readonly owned = false,
    /** Told the spec rules whose branches the step takes (the explorer asks; the checker does not). */
    private readonly rules?: string[],
  ) {
    this.state = start;
  }

  /** Names the spec rules the step's current branch applies (recorded only when asked for; no allocation otherwise: the checker's hot path). */
  rule(id: string, also?: string): void {
    if (!this.rules) return;
    this.rules.push(id);
    if (also) this.rules.push(also);
  }

  /** The history with `txn` appended (a new array, or in owned mode the same one grown). */
  appendHistory(txn: Txn<T>): readonly Txn<T>[] {
    const h = this.state.history;
    if (this.owned && grown.has(h)) {
      (h as Txn<T>[]).push(txn);
      return h;
    }
    const next = [...h, txn];
    if (this.owned) grown.add(next);
    return next;
  }

  get cfg() {
    return this.state.config;
  }

  /** Replace fields of the current state; the caller names the phase it expects. */
  patch<S extends ServerState<T>>(fields: Partial<Omit<S, 'phase'>>): S {
    const next = { ...this.state, ...fields } as S;
    this.state = next;
    return next;
  }

  send(to: Sid, msg: Message<T>): void {
    this.effects.push({ type: 'send', to, msg });
  }

  /** PERSIST-3: `msg` may leave only once persist `ticket` is durable. */
  sendAfter(ticket: number, to: Sid, msg: Message<T>): void {
    this.effects.push({ type: 'sendAfterPersist', ticket, to, msg });
  }

  /** PERSIST-2: every persist gets the next ticket; the executor completes them in order. */
  persist(op: PersistOp<T>): number {
    const ticket = this.state.ticket + 1;
    this.state = { ...this.state, ticket };
    this.effects.push({ type: 'persist', ticket, op });
    return ticket;
  }

  timer(timer: TimerName, ms: number): void {
    this.effects.push({ type: 'setTimer', timer, ms });
  }

  disconnect(peer: Sid): void {
    this.effects.push({ type: 'disconnect', peer });
  }

  /** The step's result: the very same state object when nothing happened. */
  result(): readonly [ServerState<T>, readonly Effect<T>[]] {
    if (this.effects.length === 0 && sameFields(this.start, this.state)) return [this.start, this.effects];
    return [this.state, this.effects];
  }
}

function sameFields(a: object, b: object): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if ((a as Record<string, unknown>)[k] !== (b as Record<string, unknown>)[k]) return false;
  return true;
}
