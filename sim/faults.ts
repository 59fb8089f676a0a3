// Which faults a run has, and how often: drawn from the seed (swarm testing, as TigerBeetle's
// VOPR does), so that each run stresses a few kinds hard and rare combinations come up across seeds.
import type { Random } from './random.ts';

export const FAULT_KINDS = ['kill', 'power', 'partition', 'oneway', 'reset', 'freeze', 'congestion', 'delay', 'slowdisk', 'torn', 'wipe'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Kinds a run may draw unless told otherwise: a wiped disk is only on when asked for (see README). */
export const DEFAULT_FAULTS: readonly FaultKind[] = FAULT_KINDS.filter((k) => k !== 'wipe');

export interface Swarm {
  /** The kinds on in this run, each with its relative weight. */
  readonly on: readonly (readonly [FaultKind, number])[];
  /** Mean ms between two faults. */
  readonly meanGap: number;
  /** Network: one-way delay range, and the chance of a slow write. */
  readonly net: { readonly minDelay: number; readonly maxDelay: number; readonly slowChance: number };
  /** Disk: completion delay, stalls, torn tails on power loss. */
  readonly disk: { readonly minDelay: number; readonly maxDelay: number; readonly stallChance: number; readonly stallMs: number; readonly tornChance: number };
  readonly snapCount: number;
}

export function drawSwarm(random: Random, allowed: readonly FaultKind[]): Swarm {
  // Each allowed kind is on with probability 1/2 (at least one of the event kinds on, if any allowed).
  const events = allowed.filter((k) => k !== 'delay' && k !== 'slowdisk' && k !== 'torn');
  let on = events.filter(() => random.chance(0.5));
  if (on.length === 0 && events.length > 0) on = [random.pick(events)];
  const slow = allowed.includes('delay') && random.chance(0.4);
  const slowDisk = allowed.includes('slowdisk') && random.chance(0.4);
  const torn = allowed.includes('torn') && random.chance(0.6);
  return {
    on: on.map((k) => [k, random.int(1, 5)] as const),
    meanGap: random.pick([150, 400, 1000, 2500]),
    net: slow ? { minDelay: 1, maxDelay: random.int(20, 120), slowChance: random.pick([0.01, 0.05, 0.2]) } : { minDelay: 1, maxDelay: random.int(2, 10), slowChance: 0 },
    disk: {
      minDelay: 1,
      maxDelay: slowDisk ? random.int(10, 60) : random.int(1, 4),
      stallChance: slowDisk ? random.pick([0.01, 0.05, 0.1]) : 0,
      stallMs: random.pick([200, 1000, 4000]),
      tornChance: torn ? random.pick([0.3, 0.8, 1]) : 0,
    },
    snapCount: random.pick([5, 20, 100, 100_000]),
  };
}

export function describeSwarm(s: Swarm): string {
  const on = s.on.map(([k, w]) => `${k}×${w}`).join(' ') || 'none';
  return `faults ${on}, every ~${s.meanGap} ms; net ${s.net.minDelay}-${s.net.maxDelay} ms (slow ${s.net.slowChance}); disk ${s.disk.minDelay}-${s.disk.maxDelay} ms, stall ${s.disk.stallChance}×${s.disk.stallMs} ms, torn ${s.disk.tornChance}; snapCount ${s.snapCount}`;
}
