// The traces kept in conformance/traces/ (real ensembles: a leader crash with re-election, a
// TRUNC, a SNAP, an observer) replay clean: effects as `step` returns them, the effect contract
// kept, every invariant holding over the merged run. And each kind of tampering is reported.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatReport, replayPath, replayRun, runFiles } from '../../conformance/replay.ts';
import type { TraceEvent } from '../../conformance/trace-schema.ts';
import { removeDir, tempDir } from '../shell/harness.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const TRACES = join(ROOT, 'conformance', 'traces');
const RUNS = readdirSync(TRACES).sort();

/** A run's files, parsed, for editing: name → events. */
function load(run: string): { file: string; events: TraceEvent[] }[] {
  return runFiles(join(TRACES, run)).map((file) => ({
    file,
    events: readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as TraceEvent),
  }));
}
const judge = (files: { file: string; events: TraceEvent[] }[]) =>
  replayRun(files.map(({ file, events }) => ({ file, text: events.map((e) => JSON.stringify(e)).join('\n') })));
const msgType = (e: TraceEvent) => (e.input.type === 'receive' ? (e.input.msg as { type: string }).type : null);

describe('conformance/traces', () => {
  it('holds the four runs', () => {
    expect(RUNS).toEqual(['leader-crash', 'observer', 'snap', 'trunc']);
  });

  for (const run of RUNS) {
    it(`${run} replays clean`, () => {
      const r = replayPath(join(TRACES, run));
      expect(r.problem, formatReport(run, r)).toBeNull();
      expect(r.servers).toBeGreaterThanOrEqual(3);
      expect(r.messages).toBeGreaterThan(50);
    });
  }

  it('each run shows what it is kept for', () => {
    const received = (run: string) => new Set(load(run).flatMap((t) => t.events.map(msgType)));
    // leader-crash: a server restarted after a kill, and leaders of two epochs.
    const crash = load('leader-crash').flatMap((t) => t.events);
    expect(crash.filter((e) => e.input.type === 'restart').length).toBe(4);
    const epochs = new Set(crash.flatMap((e) => (e.input.type === 'receive' && msgType(e) === 'NEWLEADER' ? [(e.input.msg as { epoch: number }).epoch] : [])));
    expect(epochs.size).toBeGreaterThanOrEqual(2);
    expect(received('trunc')).toContain('TRUNC');
    expect(received('snap')).toContain('SNAP');
    expect(received('observer')).toContain('INFORM');
  });
});

describe('tampered traces are reported', () => {
  /** The snap run, with one edit made to the first event `pick` finds in server `node`'s trace. */
  function edited(node: number, pick: (e: TraceEvent, i: number, all: TraceEvent[]) => boolean, edit: (e: TraceEvent, i: number, all: TraceEvent[]) => void) {
    const files = load('snap');
    const t = files.find((f) => f.events[0]!.node === node)!;
    const i = t.events.findIndex((e, k) => pick(e, k, t.events));
    expect(i).toBeGreaterThanOrEqual(0);
    edit(t.events[i]!, i, t.events);
    return { report: judge(files), event: t.events[i]! };
  }
  const heldAck = (e: TraceEvent) => e.effects.some((x) => x.type === 'sendAfterPersist');

  it('a held message moved before its persist completed (a send before its persist)', () => {
    const { report } = edited(2, heldAck, (e, i, all) => {
      const k = e.effects.findIndex((x) => x.type === 'sendAfterPersist');
      const id = e.ids![k]!;
      const release = all.slice(i).find((x) => x.sent?.includes(id))!;
      release.sent = release.sent!.filter((x) => x !== id);
      e.sent = [...(e.sent ?? []), id];
    });
    expect(report.problem?.kind).toBe('contract');
    expect(report.problem?.detail).toMatch(/left here, but the executor holds it/);
  });

  it('an effect changed (a held ACK recorded as an immediate send)', () => {
    const { report, event } = edited(2, heldAck, (e) => {
      e.effects = e.effects.map((x) => (x.type === 'sendAfterPersist' ? { type: 'send', to: x.to, msg: x.msg } : x));
    });
    // The contract check sees it first: a send that did not leave at its step.
    expect(report.problem?.kind).toBe('contract');
    expect(report.problem?.where).toContain(`event seq ${event.seq}`);
  });

  it('an effect changed where the contract cannot see it: replay through step does', () => {
    const { report, event } = edited(2, (e) => e.effects.some((x) => x.type === 'setTimer'), (e) => {
      e.effects = e.effects.map((x) => (x.type === 'setTimer' ? { ...x, ms: x.ms + 1 } : x));
    });
    expect(report.problem?.kind).toBe('mismatch');
    expect(report.problem?.where).toContain(`event seq ${event.seq}`);
    expect(formatReport('snap', report)).toMatch(/recorded: .*\n.*step returns: /);
  });

  it('two messages of one channel received in the other order (not FIFO)', () => {
    const { report } = edited(
      1,
      (e, i, all) => e.recv !== undefined && all[i + 1]?.recv !== undefined && msgType(e) !== 'NOTIFICATION' && msgType(all[i + 1]!) !== 'NOTIFICATION' && e.input.type === 'receive' && all[i + 1]!.input.type === 'receive' && (e.input as { from: number }).from === (all[i + 1]!.input as { from: number }).from,
      (e, i, all) => {
        const next = all[i + 1]!;
        [e.input, next.input, e.recv, next.recv] = [next.input, e.input, next.recv, e.recv];
      },
    );
    expect(report.problem?.kind).toBe('contract');
    expect(report.problem?.detail).toMatch(/not FIFO/);
  });

  it('a received message that differs from the one sent', () => {
    const { report } = edited(1, (e) => msgType(e) === 'SNAP', (e) => {
      const msg = (e.input as { msg: { txns: unknown[] } }).msg;
      msg.txns = msg.txns.slice(0, -1);
    });
    expect(report.problem?.kind).toBe('contract');
    expect(report.problem?.detail).toMatch(/is not the one sent/);
  });

  it('a restart whose disk lost what was reported persisted', () => {
    const files = load('leader-crash');
    const restarted = files.find((f) => f.events.filter((e) => e.input.type === 'restart').length === 2)!;
    const again = restarted.events.findLast((e) => e.input.type === 'restart')!;
    const durable = (again.input as { durable: { history: unknown[] } }).durable;
    expect(durable.history.length).toBeGreaterThan(0);
    durable.history = durable.history.slice(0, -1);
    const r = judge(files);
    expect(r.problem?.kind).toBe('durability');
  });
});

describe('zabkit replay', () => {
  it('judges each PATH: the kept runs pass; a checker counterexample fails with its invariant', () => {
    const dir = tempDir('zabkit-replay-');
    try {
      const cex = join(dir, 'cex.ndjson');
      const check = spawnSync(process.execPath, [join(ROOT, 'bin', 'zabkit.mjs'), 'check', '--mutant', 'skip-trunc', '--out', cex], { encoding: 'utf8' });
      expect(check.status).toBe(1);
      const ok = spawnSync(process.execPath, [join(ROOT, 'bin', 'zabkit.mjs'), 'replay', join(TRACES, 'trunc')], { encoding: 'utf8' });
      expect(ok.stdout).toMatch(/replays clean/);
      expect(ok.status).toBe(0);
      const bad = spawnSync(process.execPath, [join(ROOT, 'bin', 'zabkit.mjs'), 'replay', join(TRACES, 'trunc'), cex], { encoding: 'utf8' });
      expect(bad.stdout).toMatch(/cex\.ndjson: .*INVARIANT at .*\n {2}INV-\d+/);
      expect(bad.status).toBe(1);
    } finally {
      removeDir(dir);
    }
  }, 120_000);
});
