// Sessions outside the replicated tree: timeout negotiation, ids, passwords and expiry
// (SESSION-1, SESSION-2, SESSION-3, SESSION-6). All of it pure: time arrives as an argument.
import { Map as IMap } from 'immutable';

const MASK64 = (1n << 64n) - 1n;

/** SESSION-1 */
export function negotiateTimeout(requested: number, tickTime: number, min = 2 * tickTime, max = 20 * tickTime): number {
  return Math.min(max, Math.max(min, requested));
}

/** SESSION-2: the first session id a server hands out; each next one is the previous + 1. */
export function firstSessionId(serverId: number, nowMs: number): bigint {
  const time = ((BigInt(nowMs) << 24n) & MASK64) >> 8n;
  const id = (time | (BigInt(serverId) << 56n)) & MASK64;
  // 0x8000000000000000 marks containers in ZooKeeper's stored owner; never hand it out.
  return id === 1n << 63n ? id + 1n : id;
}

/** SESSION-3: java.util.Random(id ^ 0xB3415C00).nextBytes(16), as ZooKeeper derives it. */
export function sessionPassword(sessionId: bigint): Uint8Array {
  const MULT = 0x5deece66dn;
  const MASK48 = (1n << 48n) - 1n;
  let seed = (BigInt.asIntN(64, sessionId) ^ 0xb3415c00n ^ MULT) & MASK48;
  const out = new Uint8Array(16);
  for (let i = 0; i < out.length; ) {
    seed = (seed * MULT + 0xbn) & MASK48;
    let rnd = Number(BigInt.asIntN(32, seed >> 16n));
    for (let n = Math.min(out.length - i, 4); n-- > 0; rnd >>= 8) out[i++] = rnd & 0xff;
  }
  return out;
}

/** SESSION-3: a reconnect keeps its session only with the right password. */
export function passwordMatches(sessionId: bigint, password: Uint8Array): boolean {
  const expected = sessionPassword(sessionId);
  return password.length === expected.length && expected.every((b, i) => password[i] === b);
}

/** SESSION-6: the leader's expiry table; deadlines rounded up to the next tick. */
export interface SessionClock {
  readonly tickTime: number;
  /** A persistent map: a touch costs O(log n), not a copy of every session. */
  readonly deadlines: IMap<bigint, number>;
}

export const sessionClock = (tickTime: number): SessionClock => ({ tickTime, deadlines: IMap() });

const roundUp = (t: number, tick: number): number => (Math.floor(t / tick) + 1) * tick;

/** A session was heard from at `now`; the same clock when its deadline stays (most touches within a tick). */
export function touch(clock: SessionClock, id: bigint, timeout: number, now: number): SessionClock {
  const deadline = roundUp(now + timeout, clock.tickTime);
  if (clock.deadlines.get(id) === deadline) return clock;
  return { ...clock, deadlines: clock.deadlines.set(id, deadline) };
}

export function forget(clock: SessionClock, id: bigint): SessionClock {
  if (!clock.deadlines.has(id)) return clock;
  return { ...clock, deadlines: clock.deadlines.delete(id) };
}

/** The sessions whose deadline has passed, oldest first: the leader proposes closeSession for each. */
export function expired(clock: SessionClock, now: number): bigint[] {
  return [...clock.deadlines.filter((d) => d <= now)]
    .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
    .map(([id]) => id);
}
