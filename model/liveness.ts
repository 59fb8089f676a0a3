// The liveness phase (as TigerBeetle's VOPR): once faults stop — every server restarted, every
// partition healed — the service must become available: one established leader with a quorum of
// voters in broadcast, within a bounded number of fair steps. Disk writes and messages go first;
// timers fire when nothing else is pending, and also every TICK steps, since time passes even while
// messages flow; armed timers take turns, so none is starved.
import { isQuorum, type Sid, type TimerName } from '../src/zab/index.ts';
import { apply, deliverAction, isEstablishedLeader, linksOf, noticeOf, type Action, type World } from './world.ts';

/** The finalize window closes first; the other timers take turns (ping before sync in each turn). */
const TIMER_ORDER: readonly TimerName[] = ['ping', 'notify', 'init', 'sync'];

/** Servers synchronized in broadcast with the one established leader (the leader included), or null. */
export function following(w: World<number>): Sid[] | null {
  const leaders = w.sids.filter((s) => isEstablishedLeader(w.slots[s]!.server));
  if (leaders.length !== 1) return null;
  const lid = leaders[0]!;
  const leader = w.slots[lid]!.server!;
  if (leader.phase !== 'leading') return null;
  return w.sids.filter((sid) => {
    const s = w.slots[sid]!.server;
    if (!s) return false;
    if (sid === lid) return true;
    return s.phase !== 'looking' && s.phase !== 'leading' && s.leader === lid && s.stage === 'broadcast' && s.currentEpoch === leader.epoch;
  });
}

/** LIVE-1: the service is available — one established leader and a quorum of voters in broadcast with it. */
export function available(w: World<number>): boolean {
  const f = following(w);
  if (!f) return false;
  const cfg = w.slots[w.sids[0]!]!.config;
  return isQuorum(cfg, f);
}

/** Every server, observers included, is synchronized with the one established leader. */
export function converged(w: World<number>): boolean {
  return following(w)?.length === w.sids.length;
}

/** Time passes even while messages flow: every TICK steps, the next armed timer fires anyway. */
const TICK = 32;

function nextTimer(w: World<number>, timerTurn: { n: number }, order: readonly TimerName[]): Action<number> | null {
  for (const sid of w.sids) if (w.slots[sid]!.server && w.slots[sid]!.timers.includes('finalize')) return { type: 'timeout', sid, timer: 'finalize' };
  // Every armed timer fires in its turn: no timer is starved by one that always re-arms (ping).
  const armed: [number, TimerName][] = [];
  for (const sid of w.sids) for (const t of order) if (w.slots[sid]!.server && w.slots[sid]!.timers.includes(t)) armed.push([sid, t]);
  if (armed.length === 0) return null;
  const [sid, timer] = armed[timerTurn.n++ % armed.length]!;
  return { type: 'timeout', sid, timer };
}

function fairAction(w: World<number>, turn: number, timerTurn: { n: number }, order = TIMER_ORDER): Action<number> | null {
  if (turn % TICK === TICK - 1) {
    const t = nextTimer(w, timerTurn, order);
    if (t) return t;
  }
  for (const sid of w.sids) if (w.slots[sid]!.pending.length) return { type: 'persist', sid };
  const u = w.unnoticed[0];
  if (u !== undefined) return noticeOf(u);
  const links = linksOf(w.sids, w.twoChannels).filter(([, , key]) => w.channels[key]!.length);
  if (links.length) {
    const [from, to, , election, stale] = links[turn % links.length]!;
    return deliverAction(from, to, election, stale);
  }
  return nextTimer(w, timerTurn, order);
}

function isQuiet(w: World<number>): boolean {
  return !linksOf(w.sids, w.twoChannels).some(([, , k]) => w.channels[k]!.length) && w.sids.every((s) => !w.slots[s]!.pending.length) && !w.unnoticed.length;
}

/**
 * LIVE-1 (spec/invariants.md): heal the world, then run fairly for at most `limit` steps.
 * Returns where it got: whether the service became available (LIVE-1) and whether every server
 * converged on the leader (not required: see spec/invariants.md on acceptedEpoch).
 */
export function settle(
  w0: World<number>,
  limit = 10_000,
): { world: World<number>; steps: number; path: Action<number>[]; available: boolean; converged: boolean } {
  let w = w0;
  const path: Action<number>[] = [];
  const push = (a: Action<number>) => {
    w = apply(w, a);
    path.push(a);
  };
  if (w.blocked.length) push({ type: 'heal' });
  for (const sid of w.sids) if (w.slots[sid]!.server === null) push({ type: 'restart', sid });
  const timerTurn = { n: 0 };
  // Run until everyone has converged, or to the step limit; remember whether availability was reached.
  let availableAt = -1;
  for (let i = 0; i < limit; i++) {
    if (availableAt < 0 && available(w)) availableAt = i;
    if (isQuiet(w) && converged(w)) return { world: w, steps: i, path, available: true, converged: true };
    const a = fairAction(w, i, timerTurn);
    if (!a) break;
    push(a);
  }
  return { world: w, steps: availableAt < 0 ? limit : availableAt, path, available: availableAt >= 0 || available(w), converged: false };
}


/** NET-5: the timers LIVE-2 lets fire: FLE's finalize wait (always), and the learners' and leader's clocks. */
const NO_ELECTION_TIMERS: readonly TimerName[] = ['ping', 'sync'];

/**
 * LIVE-2 (spec/invariants.md): from a converged world, the leader crashes and restarts at once,
 * twice over (the second time the servers' election rounds differ: the first restart began again
 * at round one). With every voter up and connected and nothing else failing, each election must
 * end with every server in broadcast with one leader without a notify or init timer firing — the
 * notifications the servers exchange must suffice. An election that waits for a resend is stalled.
 */
export function cleanElections(
  w0: World<number>,
  limit = 2_000,
): { world: World<number>; steps: number; path: Action<number>[]; elected: boolean } {
  let w = w0;
  let steps = 0;
  const path: Action<number>[] = [];
  const push = (a: Action<number>) => {
    w = apply(w, a);
    path.push(a);
  };
  for (let n = 0; n < 2; n++) {
    const leader = w.sids.find((s) => isEstablishedLeader(w.slots[s]!.server));
    if (leader === undefined) return { world: w, steps, path, elected: false };
    push({ type: 'crash', sid: leader });
    push({ type: 'restart', sid: leader });
    const timerTurn = { n: 0 };
    let elected = false;
    for (let i = 0; i < limit && !elected; i++, steps++) {
      if (isQuiet(w) && converged(w)) elected = true;
      else {
        const a = fairAction(w, i, timerTurn, NO_ELECTION_TIMERS);
        if (!a) break;
        push(a);
      }
    }
    if (!elected) return { world: w, steps, path, elected: false };
  }
  return { world: w, steps, path, elected: true };
}
