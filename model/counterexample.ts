// Rendering a counterexample: the path as a readable step list (who delivered what to whom, and
// what changed), replayed through the same world so the printout is what the checker saw.
import { formatZxid } from '../src/zab/index.ts';
import { nextBatch } from '../src/zab/executor.ts';
import { describeMessage } from './describe.ts';
import { act, type Session } from './script.ts';
import { channelKey, type Action, type World } from './world.ts';

export function describeAction(w: World<number>, a: Action<number>): string {
  switch (a.type) {
    case 'deliver': {
      const m = w.channels[channelKey(a)]?.[0];
      return `deliver s${a.from} → s${a.to}${a.election ? ' (election)' : a.stale ? ' (from the broken connection)' : ''}: ${m ? describeMessage(m) : '(nothing)'}`;
    }
    case 'notice':
      return `s${a.sid} notices its connection with s${a.peer} broke`;
    case 'persist': {
      const slot = w.slots[a.sid];
      const batch = slot ? (a.group ? nextBatch(slot) : slot.pending.slice(0, 1)) : [];
      const p = batch[batch.length - 1];
      const what = batch.length > 1 ? `writes #${batch[0]!.ticket}–#${p!.ticket} in one group commit` : `write #${p?.ticket ?? '?'} (${p?.op.kind ?? '?'})`;
      return `s${a.sid}'s disk completes ${what}`;
    }
    case 'compacted': {
      const j = w.slots[a.sid]?.snapshots[0];
      return `s${a.sid}'s snapshot at ${j ? formatZxid(j.zxid) : '?'} is written`;
    }
    case 'timeout':
      return `s${a.sid}'s ${a.timer} timer fires`;
    case 'propose':
      return `client writes ${a.value} at s${a.sid}`;
    case 'crash':
      return `s${a.sid} crashes`;
    case 'restart':
      return `s${a.sid} restarts`;
    case 'cut':
      return `connection s${a.a} ↔ s${a.b} breaks${a.lose ? ', losing what was in flight' : ''}`;
    case 'partition':
      return `partition ${a.groups.map((g) => g.map((s) => `s${s}`).join(' ')).join(' | ')}`;
    case 'heal':
      return 'partition heals';
  }
}

/** Replay `path` from `root`, one numbered line per action followed by what it changed. */
export function renderPath(root: World<number>, path: readonly Action<number>[]): string[] {
  const session: Session<number> = { world: root, violations: [] };
  const lines: string[] = [];
  path.forEach((a, i) => {
    lines.push(`${String(i + 1).padStart(3)}. ${describeAction(session.world, a)}`);
    for (const l of act(session, a, true)) lines.push(`       ${l.trim()}`);
  });
  return lines;
}
