// Scenario scripts: a small command language over the world, printing what happens, for the
// golden-file tests in test/scenarios/ (in the manner of etcd raft's testdata) and the walkthrough.
import { countUpTo, formatZxid, type Sid, type TimerName } from '../src/zab/index.ts';
import { describeMessage, describeRole, describeWorld } from './describe.ts';
import { checkInvariants, type Violation } from './invariants.ts';
import { apply, channelKey, createWorld, deliverAction, linksOf, noticeOf, type Action, type Recorder, type World, type WorldOptions } from './world.ts';

export type Value = string;

export interface Session<T = Value> {
  world: World<T>;
  violations: Violation[];
  /** Told of every reducer call an action makes (the explorer records a scenario's run so). */
  record?: Recorder<T>;
}

const TIMERS: readonly TimerName[] = ['notify', 'finalize', 'init', 'sync', 'ping'];

function sidList(words: readonly string[]): Sid[] {
  return words.map((w) => {
    const n = Number(w.replace(/^s/, ''));
    if (!Number.isInteger(n)) throw new Error(`not a server id: ${w}`);
    return n;
  });
}

/** Apply one action; return the lines worth printing: the message, role changes, deliveries. */
export function act<T>(session: Session<T>, a: Action<T>, quiet = false): string[] {
  const before = session.world;
  const after = apply(before, a, session.record);
  session.world = after;
  const lines: string[] = [];
  if (a.type === 'deliver' && !quiet) {
    const msg = before.channels[channelKey(a)]?.[0];
    if (msg && msg.type !== 'NOTIFICATION' && msg.type !== 'PING') lines.push(`s${a.from} → s${a.to} ${describeMessage(msg)}`);
  }
  for (const sid of after.sids) {
    const b = before.slots[sid]!.server;
    const s = after.slots[sid]!.server;
    const rb = describeRole(b);
    const ra = describeRole(s);
    const phaseChanged = b?.phase !== s?.phase || (b && s && 'stage' in b && 'stage' in s && b.stage !== s.stage);
    if (phaseChanged || (b === null) !== (s === null)) lines.push(`  s${sid}: ${rb} → ${ra}`);
    if (s && b && s.deliveredZxid > b.deliveredZxid) {
      const from = b.deliveredZxid === 0 || s.history[0]?.zxid === undefined || s.history[0].zxid > b.deliveredZxid ? 0 : countUpTo(s.history, b.deliveredZxid);
      const shown = s.history.slice(from, countUpTo(s.history, s.deliveredZxid)).map((t) => (t.snapshot ? `snapshot@${formatZxid(t.zxid)}` : `${formatZxid(t.zxid)}=${String(t.value)}`));
      lines.push(`  s${sid} delivers ${shown.join(' ')}`);
    } else if (s && !b && s.deliveredZxid > 0) {
      lines.push(`  s${sid} delivers up to ${formatZxid(s.deliveredZxid)}`);
    }
  }
  const v = checkInvariants(after);
  const fresh = v.filter((x) => !session.violations.some((y) => y.id === x.id && y.detail === x.detail));
  for (const x of fresh) lines.push(`  !! ${x.id} ${x.detail}`);
  session.violations.push(...fresh);
  return lines;
}

/**
 * Run until nothing is left to do without a timeout other than the finalize window: complete
 * persists first, then deliver messages (lowest channel first), then close finalize windows.
 */
export function stabilize(session: Session, until?: (w: World<Value>) => boolean, limit = 10_000): string[] {
  const lines: string[] = [];
  for (let i = 0; i < limit; i++) {
    const w = session.world;
    if (until?.(w)) return lines;
    const a = nextQuietAction(w);
    if (!a) return lines;
    lines.push(...act(session, a));
  }
  throw new Error(`no quiescence after ${limit} actions`);
}

function nextQuietAction(w: World<Value>): Action<Value> | null {
  const notice = firstNotice(w);
  if (notice) return notice;
  for (const sid of w.sids) if (w.slots[sid]!.server && w.slots[sid]!.pending.length) return { type: 'persist', sid };
  for (const sid of w.sids) if (w.slots[sid]!.server && w.slots[sid]!.snapshots.length) return { type: 'compacted', sid };
  // lowest pair first; on a pair, what a broken connection still holds before the current one
  const links = linksOf(w.sids, w.twoChannels)
    .filter(([, , key]) => w.channels[key]!.length)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1] || Number(b[4]) - Number(a[4]) || Number(a[3]) - Number(b[3]));
  const first = links[0];
  if (first) return deliverAction(first[0], first[1], first[3], first[4]);
  for (const sid of w.sids) if (w.slots[sid]!.timers.includes('finalize')) return { type: 'timeout', sid, timer: 'finalize' };
  return null;
}

function firstNotice(w: World<unknown>): Action<Value> | null {
  const u = w.unnoticed[0];
  return u === undefined ? null : noticeOf(u);
}

/** Scripts show the simple world: a break is noticed by both ends at once (the checker explores it late). */
function noticeAll(session: Session): string[] {
  const out: string[] = [];
  for (let a = firstNotice(session.world); a; a = firstNotice(session.world)) out.push(...act(session, a));
  return out;
}

/** A script's action: applied, then every break it caused is noticed at once. */
function scripted(session: Session, a: Action<Value>): string[] {
  return [...act(session, a), ...noticeAll(session)];
}

function worldOptions(args: readonly string[]): WorldOptions {
  let voters: Sid[] = [];
  let observers: Sid[] = [];
  let snapCount = 0;
  for (const arg of args) {
    const [k, v = ''] = arg.split('=');
    if (k === 'voters') voters = sidList(v.split(','));
    else if (k === 'observers') observers = sidList(v.split(','));
    else if (k === 'snapCount') snapCount = Number(v);
    else throw new Error(`unknown world option ${arg}`);
  }
  return { voters, observers, snapCount };
}

/** Run one command line; returns its output lines. */
export function command(session: Session, line: string): string[] {
  const [cmd, ...args] = line.trim().split(/\s+/);
  switch (cmd) {
    case 'world':
      session.world = createWorld<Value>(worldOptions(args));
      session.violations = [];
      return [];
    case 'start':
    case 'restart':
      return sidList(args).flatMap((sid) => scripted(session, { type: 'restart', sid }));
    case 'crash':
      return sidList(args).flatMap((sid) => scripted(session, { type: 'crash', sid }));
    case 'stabilize': {
      // `stabilize until=2:synced` stops as soon as server 2's phase or stage is `synced`
      const until = args.find((a) => a.startsWith('until='));
      if (!until) return stabilize(session);
      const [who, what] = until.slice('until='.length).split(':');
      const sid = sidList([who ?? ''])[0]!;
      return stabilize(session, (w) => {
        const s = w.slots[sid]?.server;
        return !!s && (s.phase === what || ('stage' in s && s.stage === what));
      });
    }
    case 'deliver': {
      const [from, to] = sidList((args[0] ?? '').split('>'));
      const n = Number(args[1] ?? 1);
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push(...scripted(session, { type: 'deliver', from: from!, to: to! }));
      return out;
    }
    case 'drop': {
      // the channel is cut: what was in flight is lost and both ends see the connection fail
      const [a, b] = sidList((args[0] ?? '').split('>'));
      return scripted(session, { type: 'cut', a: a!, b: b!, lose: true });
    }
    case 'persist': {
      const sid = sidList([args[0] ?? ''])[0]!;
      const n = args[1] === 'all' ? Infinity : Number(args[1] ?? 1);
      const out: string[] = [];
      for (let i = 0; i < n && session.world.slots[sid]!.pending.length; i++) out.push(...scripted(session, { type: 'persist', sid }));
      return out;
    }
    case 'timeout': {
      const sid = sidList([args[0] ?? ''])[0]!;
      const timer = args[1] as TimerName;
      if (!TIMERS.includes(timer)) throw new Error(`unknown timer ${args[1]}`);
      return scripted(session, { type: 'timeout', sid, timer });
    }
    case 'propose': {
      const sid = sidList([args[0] ?? ''])[0]!;
      return args.slice(1).flatMap((value) => scripted(session, { type: 'propose', sid, value }));
    }
    case 'partition': {
      const groups = args.join(' ').split('|').map((g) => sidList(g.trim().split(/\s+/)));
      return scripted(session, { type: 'partition', groups });
    }
    case 'heal':
      return scripted(session, { type: 'heal' });
    case 'status':
      return describeWorld(session.world);
    case 'in-flight':
      return Object.entries(session.world.channels)
        .filter(([, q]) => q.length)
        .map(([k, q]) => `${k.replace('>', ' → ')}: ${q.map(describeMessage).join(', ')}`);
    default:
      throw new Error(`unknown command: ${line}`);
  }
}

export function newSession(): Session {
  return { world: createWorld<Value>({ voters: [1, 2, 3] }), violations: [] };
}

export interface Block {
  readonly comments: readonly string[];
  readonly commands: readonly string[];
  /** 1-based line number of each command, for error messages. */
  readonly lineNumbers: readonly number[];
  readonly expected: readonly string[];
}

/** Parse a scenario file: blocks of `# comments`, commands, `----`, expected output, blank line. */
export function parseScript(text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length) {
    const comments: string[] = [];
    const commands: string[] = [];
    const lineNumbers: number[] = [];
    while (i < lines.length && lines[i]!.trim() === '') i++;
    while (i < lines.length && lines[i]!.startsWith('#')) comments.push(lines[i++]!);
    while (i < lines.length && lines[i] !== '----' && lines[i]!.trim() !== '') {
      lineNumbers.push(i + 1);
      commands.push(lines[i++]!);
    }
    const expected: string[] = [];
    if (lines[i] === '----') {
      i++;
      while (i < lines.length && lines[i]!.trim() !== '') expected.push(lines[i++]!);
    }
    if (comments.length || commands.length) blocks.push({ comments, commands, lineNumbers, expected });
  }
  return blocks;
}

/** Run a scenario and render it back in the same format with the actual output. */
export function runScript(text: string): { rendered: string; violations: Violation[] } {
  const session = newSession();
  const out: string[] = [];
  for (const block of parseScript(text)) {
    const actual = block.commands.flatMap((c, k) => {
      try {
        return command(session, c);
      } catch (e) {
        throw new Error(`line ${block.lineNumbers[k]}: ${(e as Error).message}`);
      }
    });
    out.push(...block.comments, ...block.commands);
    if (block.commands.length) out.push('----', ...(actual.length ? actual : ['(nothing)']));
    out.push('');
  }
  return { rendered: out.join('\n'), violations: session.violations };
}
