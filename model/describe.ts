// Human-readable renderings of messages, servers and worlds, for scenario goldens and counterexamples.
import { formatZxid, lastZxid, type Message, type ServerState, type Txn, type Vote } from '../src/zab/index.ts';
import type { World } from './world.ts';

function vote(v: Vote): string {
  return v.leader < 0 ? 'none' : `s${v.leader}@${v.epoch}/${formatZxid(v.zxid)}`;
}

function txns(ts: readonly Txn<unknown>[]): string {
  return ts.length === 0 ? '[]' : `[${ts.map((t) => (t.snapshot ? `snapshot@${formatZxid(t.zxid)}` : formatZxid(t.zxid))).join(' ')}]`;
}

export function describeMessage(m: Message<unknown>): string {
  switch (m.type) {
    case 'NOTIFICATION':
      return `NOTIFICATION vote=${vote(m.vote)} round=${m.round} ${m.state}`;
    case 'FOLLOWERINFO':
    case 'OBSERVERINFO':
      return `${m.type} acceptedEpoch=${m.acceptedEpoch}`;
    case 'LEADERINFO':
    case 'NEWLEADER':
      return `${m.type} epoch=${m.epoch}`;
    case 'ACKEPOCH':
      return `ACKEPOCH currentEpoch=${m.currentEpoch} last=${formatZxid(m.lastZxid)}`;
    case 'DIFF':
      return `DIFF ${txns(m.txns)} committed=${formatZxid(m.committed)}`;
    case 'TRUNC':
      return `TRUNC to=${formatZxid(m.zxid)} ${txns(m.txns)} committed=${formatZxid(m.committed)}`;
    case 'SNAP':
      return `SNAP ${txns(m.txns)} snapshot=${m.snapIndex} committed=${formatZxid(m.committed)}`;
    case 'ACK':
    case 'COMMIT':
      return `${m.type} ${formatZxid(m.zxid)}`;
    case 'PROPOSAL':
    case 'INFORM':
      return `${m.type} ${formatZxid(m.txn.zxid)}=${String(m.txn.value)}`;
    case 'UPTODATE':
    case 'PING':
      return m.type;
  }
}

export function describeRole(s: ServerState<unknown> | null): string {
  if (s === null) return 'down';
  switch (s.phase) {
    case 'looking':
      return `looking round=${s.round} vote=${vote(s.vote)}`;
    case 'leading':
      return `leading epoch=${s.epoch || '?'} (${s.stage})`;
    case 'following':
    case 'observing':
      return `${s.phase} s${s.leader} (${s.stage})`;
  }
}

/** One line per server: role, epochs, history and what is delivered, in memory and on disk. */
export function describeWorld(w: World<unknown>): string[] {
  return w.sids.map((sid) => {
    const slot = w.slots[sid]!;
    const d = slot.durable;
    const disk = `disk: epochs ${d.acceptedEpoch}/${d.currentEpoch} log ${txns(d.history)}${d.snapIndex ? ` snap=${d.snapIndex}` : ''}`;
    const s = slot.server;
    if (!s) return `s${sid} down; ${disk}`;
    return `s${sid} ${describeRole(s)} epochs ${s.acceptedEpoch}/${s.currentEpoch} last ${formatZxid(lastZxid(s.history))} delivered ${formatZxid(s.deliveredZxid)}; ${disk}`;
  });
}
