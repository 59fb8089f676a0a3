// One step's scratchpad: the state being built and the effects emitted, in order.
// It is created and discarded inside `step`, so the reducers stay pure from outside.
import type { Common, Effect, Message, PersistOp, ServerState, Sid, TimerName } from './types.ts';

/** The fields every phase shares: what a phase change carries over. */
export function commonOf<T>(s: ServerState<T>): Common<T> {
  return {
    config: s.config,
    acceptedEpoch: s.acceptedEpoch,
    currentEpoch: s.currentEpoch,
    history: s.history,
    snapIndex: s.snapIndex,
    delivered: s.delivered,
    round: s.round,
    vote: s.vote,
    ticket: s.ticket,
    durable: s.durable,
  };
}

export class Ctx<T> {
  readonly effects: Effect<T>[] = [];
  state: ServerState<T>;

  constructor(readonly start: ServerState<T>) {
    this.state = start;
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
