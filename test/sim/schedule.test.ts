// `zabkit simulate --schedule`: runs of the model played on the composed servers. Every mutant's
// counterexample must be taken step for step and break the same invariant there; clean walks of
// several worlds must be taken with nothing broken; a schedule the servers cannot follow (a
// tampered message, a missing write, a deviation the servers do not have) must be refused.
import { describe, expect, it } from 'vitest';
import { parseTrace, type TraceEvent } from '../../conformance/trace-schema.ts';
import { DEFAULT_BOUNDS, initialNode, type Bounds } from '../../model/checker.ts';
import { MUTANTS } from '../../model/mutants.ts';
import { simulate } from '../../model/simulate.ts';
import { toNdjson, traceOf } from '../../model/trace.ts';
import { playSchedule } from '../../sim/schedule.ts';
import type { Deviation } from '../../src/zab/types.ts';

/** A walk of the model as the file `zabkit check --out` writes, read back. */
function walk(bounds: Bounds, seed: number, deviation?: Deviation): TraceEvent[] {
  const r = simulate(bounds, seed, 1, deviation);
  const v = r.violation;
  const path = v ? v.path : r.last!.path;
  const { events, error } = parseTrace(toNdjson(traceOf(initialNode(bounds, deviation).world, path, v ? { id: v.id, detail: v.detail } : undefined)));
  expect(error).toBeNull();
  return events;
}

// The walk of each seed breaks its mutant (found by `zabkit check --mutant NAME`, which prints it).
const PINNED: Record<string, number> = {
  'ack-before-persist': 916,
  'newleader-ack-before-sync-durable': 3077,
  'epoch-before-history': 2,
  'keep-stale-history': 509,
  'vote-by-sid': 19166,
  'commit-without-quorum': 2124,
  'skip-trunc': 5,
  'snap-keeps-delivery-position': 89,
  'quorum-of-half': 2,
  'rebuild-from-delivered': 1,
  'establish-on-init-timeout': 9,
  'trunc-one-too-far': 163,
  'accept-older-epoch-proposal': 424,
  'log-proposal-while-looking': 13856,
  'ignore-election-round': 1,
  'snap-drops-snapshot': 2,
  'lead-without-connected-quorum': 19,
};

describe('simulate --schedule: the checker\'s counterexamples on the composed servers', () => {
  it('pins a walk for every mutant', () => {
    expect(Object.keys(PINNED).sort()).toEqual(MUTANTS.map((m) => m.name).sort());
  });

  for (const m of MUTANTS) {
    it(`${m.name}: every step taken as the model took it, and the same invariant broken`, async () => {
      const events = walk({ ...DEFAULT_BOUNDS, ...m.bounds }, PINNED[m.name]!, m.name);
      const expected = events[events.length - 1]!.violation;
      expect(expected, `seed ${PINNED[m.name]} no longer breaks ${m.name}: pin the seed 'zabkit check --mutant ${m.name}' reports`).toBeDefined();
      const r = await playSchedule(events);
      expect(r.divergence).toBeNull();
      expect(r.taken).toBe(events.length);
      // Liveness is judged by the model on how a run goes on; a schedule is finite.
      if (expected!.id.startsWith('LIVE-')) expect(r.model).toBeNull();
      else expect(r.model?.id).toBe(expected!.id);
    }, 60_000);
  }
});

describe('simulate --schedule: clean walks', () => {
  const worlds: readonly [string, Partial<Bounds>][] = [
    ['the default world', {}],
    ['the shell\'s world with crashes', { crashes: 2, asyncDisk: true, twoChannels: true }],
    ['snapshots, compactions and SNAP after crashes', { crashes: 2, txns: 4, snapCount: 2, asyncDisk: true, twoChannels: true }],
    ['an observer and a partition', { observers: 1, partitions: 1, asyncDisk: true, twoChannels: true }],
    ['five servers with timers firing', { servers: 5, txns: 3, timeouts: 3, asyncDisk: true, twoChannels: true }],
  ];
  for (const [name, b] of worlds) {
    it(`${name}: taken whole, nothing broken on the model or the servers`, async () => {
      for (const seed of [1, 2, 3]) {
        const events = walk({ ...DEFAULT_BOUNDS, ...b }, seed);
        expect(events[events.length - 1]!.violation).toBeUndefined();
        const r = await playSchedule(events);
        expect(r.divergence).toBeNull();
        expect(r.taken).toBe(events.length);
        expect(r.model).toBeNull();
        expect(r.simulator).toEqual([]);
      }
    }, 60_000);
  }
});

describe('simulate --schedule: a schedule the servers cannot follow is refused', () => {
  const bounds = { ...DEFAULT_BOUNDS, crashes: 2, asyncDisk: true, twoChannels: true };

  it('a message the sender never sent', async () => {
    const events = walk(bounds, 2);
    const k = events.findIndex((e) => e.input.type === 'receive' && e.input.msg.type === 'ACKEPOCH');
    expect(k).toBeGreaterThan(0);
    const e = events[k]!;
    const input = e.input as Extract<TraceEvent['input'], { type: 'receive' }>;
    const msg = input.msg as { type: 'ACKEPOCH'; currentEpoch: number; lastZxid: number };
    const tampered = [...events.slice(0, k), { ...e, input: { ...input, msg: { ...msg, currentEpoch: msg.currentEpoch + 7 } } }, ...events.slice(k + 1)] as TraceEvent[];
    const r = await playSchedule(tampered);
    expect(r.divergence?.seq).toBe(e.seq);
    expect(r.divergence?.detail).toMatch(/no such message/);
    expect(r.taken).toBe(k);
  });

  it('a write completed that was never issued', async () => {
    const events = walk(bounds, 2);
    const k = events.findIndex((e) => e.input.type === 'persisted');
    expect(k).toBeGreaterThan(0);
    const e = events[k]!;
    const r = await playSchedule([...events.slice(0, k), { ...e, input: { type: 'persisted', ticket: 99 } }] as TraceEvent[]);
    expect(r.divergence?.seq).toBe(e.seq);
    expect(r.taken).toBe(k);
  });

  it('a counterexample on servers without its deviation', async () => {
    const m = MUTANTS.find((x) => x.name === 'ack-before-persist')!;
    const events = walk({ ...DEFAULT_BOUNDS, ...m.bounds }, PINNED[m.name]!, m.name).map((e) => {
      if (!e.config) return e;
      const { deviation: _, ...config } = e.config;
      return { ...e, config };
    });
    const r = await playSchedule(events);
    // The correct servers wait for the disk before they acknowledge: the model's early ACK never comes.
    expect(r.divergence).not.toBeNull();
    expect(r.taken).toBeLessThan(events.length);
  });
});
