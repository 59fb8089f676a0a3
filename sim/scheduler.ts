// The seeded scheduler: one queue of events in simulated time, run one at a time. Every timer,
// socket delivery, disk completion and client action of a run is an event here; between two
// events the promise jobs the last one started all run (the real event loop is used only for
// that), so the order of everything is fixed by the seed.
import type { Clock, TimerHandle } from '../src/shell/env.ts';

/** A simulated process (one incarnation of a server, or a client): its events die with it. */
export class Proc {
  alive = true;
  /** SIGSTOP: its events wait in `held` until it resumes. */
  frozen = false;
  readonly held: Ev[] = [];
  constructor(readonly name: string) {}
}

interface Ev {
  at: number;
  readonly seq: number;
  readonly owner: Proc | null;
  readonly run: () => void;
  cancelled: boolean;
}

/** The simulated epoch: 2026-01-01T00:00:00Z, so that session ids look as real ones do. */
export const EPOCH_MS = Date.UTC(2026, 0, 1);

/** A server's own code threw (in node, an uncaught exception ends the process). */
export class Thrown {
  constructor(
    readonly proc: string,
    readonly at: number,
    readonly error: Error,
  ) {}
}

export class Scheduler {
  now = EPOCH_MS;
  private heap: Ev[] = [];
  private seq = 0;
  events = 0;
  /** A simulated process ended itself (env.exit now): the thrown error to let pass. */
  readonly exits = new WeakSet<Error>();
  /** Called when an event of a process throws: the process is gone (as node ends on an uncaught exception). */
  onThrow: (t: Thrown, proc: Proc | null) => void = (t) => {
    throw t.error;
  };

  at(time: number, owner: Proc | null, run: () => void): Ev {
    const ev: Ev = { at: Math.max(time, this.now), seq: this.seq++, owner, run, cancelled: false };
    this.push(ev);
    return ev;
  }

  after(ms: number, owner: Proc | null, run: () => void): Ev {
    return this.at(this.now + ms, owner, run);
  }

  /** Resume a frozen process: what waited runs now, in the order it came. */
  thaw(p: Proc): void {
    p.frozen = false;
    for (const ev of p.held.splice(0)) {
      ev.at = this.now;
      this.push(ev);
    }
  }

  /** The time of the next event, if any. */
  peek(): number | undefined {
    return this.heap[0]?.at;
  }

  /** Run events up to `until` (simulated ms), or until `stop()` says so after an event. */
  async run(until: number, stop: () => boolean = () => false): Promise<void> {
    for (;;) {
      const top = this.heap[0];
      if (!top || top.at > until) break;
      this.pop();
      if (top.cancelled) continue;
      const owner = top.owner;
      if (owner && !owner.alive) continue;
      if (owner?.frozen) {
        owner.held.push(top);
        continue;
      }
      this.now = top.at;
      this.events++;
      try {
        top.run();
      } catch (e) {
        if (!(e instanceof Error && this.exits.has(e))) this.onThrow(new Thrown(owner?.name ?? 'world', this.now, e as Error), owner);
      }
      await drain();
      if (stop()) return;
    }
    if (this.now < until) this.now = until;
  }

  /** A Clock for `owner`: its timers are events of that process. */
  clock(owner: Proc): Clock {
    return {
      now: () => this.now,
      setTimeout: (fn, ms) => this.after(Math.max(1, ms), owner, fn) as unknown as TimerHandle,
      setInterval: (fn, ms) => {
        const period = Math.max(1, ms);
        const handle = { ev: null as Ev | null };
        const tick = () => {
          handle.ev = this.after(period, owner, tick);
          fn();
        };
        handle.ev = this.after(period, owner, tick);
        return handle as unknown as TimerHandle;
      },
      clear: (h) => {
        if (!h) return;
        const x = h as unknown as Ev | { ev: Ev | null };
        if ('ev' in x) {
          if (x.ev) x.ev.cancelled = true;
        } else x.cancelled = true;
      },
      soon: (fn) => void this.at(this.now, owner, fn),
    };
  }

  // ---------------------------------------------------------------- a binary heap on (at, seq)

  private push(ev: Ev): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(ev, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = ev;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && before(h[r]!, h[l]!) ? r : l;
      if (!before(h[c]!, last)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}

const before = (a: Ev, b: Ev) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/** Let every promise job queued so far (and those they queue) run: a macrotask comes after them all. */
const drain = () => new Promise<void>((resolve) => setImmediate(resolve));
