// `zabkit simulate`: seeded simulated runs of whole servers (./run.ts), one or a sweep.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlags, UsageError, wholeNumber, type FlagValues } from '../src/shell/args.ts';
import { remaining, type Progress } from '../src/shell/progress.ts';
import { FAULT_KINDS, type FaultKind } from './faults.ts';
import { SIM_MUTANTS, simMutant, type SimMutant } from './mutants.ts';
import { simulate, type SimOptions, type SimResult } from './run.ts';
import { runScheduleFile } from './schedule.ts';

export const SIMULATE_HELP = `usage: zabkit simulate [--seed N | --seeds A..B] [--servers 3..7] [--observers K] [--clients C]
                       [--ops M] [--faults LIST] [--mutant NAME] [--max-faults N] [--no-shrink]
                       [--check-determinism] [--verbose]
       zabkit simulate --schedule FILE [--verbose]

Runs the production server code — ZAB, the server reducer, the data tree, storage, peers and the
client port — for every server of an ensemble in one process, under a seeded scheduler with a
simulated clock, network and disk, with clients speaking the real wire protocol. A seed gives
exactly one run: the ensemble, which faults are on and how often (swarm testing), every delay,
every client's requests. Each run is checked: linearizable writes per znode, session order and
watches, unique sequential names, nothing acknowledged lost, ephemerals of live sessions only,
replicas equal at equal zxids, one leader per epoch; after every fault is healed a write must
succeed within 60 simulated seconds, and the servers must converge.
  --seed N              one run (default 0); --seeds A..B a sweep
  --servers N           voters (3..7, default 3); --observers K (default 0)
  --clients C           clients doing the work (default 4); --ops M requests in all (default 200)
  --faults LIST         the kinds a run may draw, comma separated (default: all but wipe):
                        ${FAULT_KINDS.join(', ')}
  --mutant NAME         switch a known bug on in every server (the simulator must catch it):
                        ${SIM_MUTANTS.map((m) => m.name).join(', ')}
  --max-faults N        inject at most N faults (a failing run is shrunk with it and --ops)
  --no-shrink           report a failing seed without shrinking it
  --check-determinism   run each seed twice and compare everything it did
  --verbose             print the servers' log of a failing run
  --trace DIR           trace every server's steps of this one seed's run into DIR (for
                        'zabkit replay' and 'zabkit explore')
A failing seed is printed with its violations and the command that runs it again, then shrunk
(fewer requests, fewer faults: the shortest prefix of its run that still fails) and run once more
with every server tracing its steps, for 'zabkit replay'.

--schedule FILE plays a run of the model — a counterexample of 'zabkit check --out FILE', or a walk
of 'zabkit check --simulate --out FILE' — on the composed servers: each server's ZAB node takes the
model's steps in the model's order (a message once it has really arrived, a write once the storage
code has performed it, a crash as kill -9 and a restart that recovers from the simulated disk, a
client write through the server's reducer), and each step must have the effects the model
recorded. The run is then judged by the spec's invariants over the servers' own steps and by the
simulator's checks. Exit 0: reproduced (every step taken, the same violation if any); 1: not.

Exit 0: every run passed; 1: a violation; 2: bad usage.`;

interface Parsed {
  readonly from: number;
  readonly to: number;
  readonly base: Omit<SimOptions, 'seed'>;
  readonly determinism: boolean;
  readonly verbose: boolean;
  readonly noShrink: boolean;
  readonly schedule?: string;
  /** One seed's run traced into this directory (for `zabkit replay` and `zabkit explore`). */
  readonly trace?: string;
}

function parse(args: readonly string[]): Parsed {
  const spec = {
    seed: { type: 'string' },
    seeds: { type: 'string' },
    servers: { type: 'string' },
    observers: { type: 'string' },
    clients: { type: 'string' },
    ops: { type: 'string' },
    faults: { type: 'string' },
    mutant: { type: 'string' },
    'max-faults': { type: 'string' },
    'no-shrink': { type: 'boolean' },
    'check-determinism': { type: 'boolean' },
    verbose: { type: 'boolean' },
    schedule: { type: 'string' },
    trace: { type: 'string' },
  } as const;
  const v: FlagValues = parseFlags(args, spec).values;
  let from = wholeNumber('seed', v.seed, 0);
  let to = from;
  if (v.seeds !== undefined) {
    const m = /^(\d+)\.\.(\d+)$/.exec(String(v.seeds));
    if (!m || Number(m[1]) > Number(m[2])) throw new UsageError(`--seeds needs A..B with A ≤ B, got '${String(v.seeds)}'`);
    from = Number(m[1]);
    to = Number(m[2]);
  }
  const servers = wholeNumber('servers', v.servers, 3);
  if (servers < 3 || servers > 7) throw new UsageError(`--servers must be 3..7, got ${servers}`);
  const observers = wholeNumber('observers', v.observers, 0);
  if (observers > 4) throw new UsageError(`--observers must be 0..4, got ${observers}`);
  const clients = wholeNumber('clients', v.clients, 4);
  if (clients < 1 || clients > 50) throw new UsageError(`--clients must be 1..50, got ${clients}`);
  const ops = wholeNumber('ops', v.ops, 200);
  if (ops < 1) throw new UsageError('--ops must be at least 1');
  let faults: FaultKind[] | undefined;
  if (v.faults !== undefined) {
    const list = String(v.faults).split(',').map((s) => s.trim()).filter(Boolean);
    const bad = list.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
    if (bad.length) throw new UsageError(`--faults: unknown kind ${bad.join(', ')} (kinds: ${FAULT_KINDS.join(', ')})`);
    faults = list as FaultKind[];
  }
  let mutant: SimMutant | undefined;
  if (v.mutant !== undefined) {
    mutant = simMutant(String(v.mutant));
    if (!mutant) throw new UsageError(`--mutant: unknown mutant '${String(v.mutant)}' (mutants: ${SIM_MUTANTS.map((m) => m.name).join(', ')})`);
  }
  const maxFaults = v['max-faults'] === undefined ? undefined : wholeNumber('max-faults', v['max-faults'], 0);
  if (v.trace !== undefined && from !== to) throw new UsageError('--trace takes one seed (--seed N)');
  return {
    ...(v.trace !== undefined ? { trace: String(v.trace) } : {}),
    ...(v.schedule !== undefined ? { schedule: String(v.schedule) } : {}),
    noShrink: v['no-shrink'] === true,
    from,
    to,
    base: { servers, observers, clients, ops, ...(faults ? { faults } : {}), ...(mutant ? { mutant } : {}), ...(maxFaults !== undefined ? { maxFaults } : {}) }, determinism: v['check-determinism'] === true, verbose: v.verbose === true };
}

/**
 * The smallest run of this seed that still shows its first violation: fewer requests, then fewer
 * faults, each by bisection (a prefix of the run: the same seed draws the same faults and requests,
 * and stops sooner).
 */
export async function shrink(r: SimResult, base: Omit<SimOptions, 'seed'>): Promise<{ readonly opts: Omit<SimOptions, 'seed'> & { ops: number; maxFaults: number }; readonly result: SimResult }> {
  const id = r.violations[0]!.id;
  let best = { opts: { ...base, ops: base.ops ?? 200, maxFaults: r.injected }, result: r };
  const fails = async (o: typeof best.opts) => {
    const x = await simulate({ ...o, seed: r.seed });
    return x.violations.some((v) => v.id === id) ? x : null;
  };
  for (const field of ['ops', 'maxFaults'] as const) {
    let lo = field === 'ops' ? 1 : 0;
    let hi = best.opts[field];
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const x = await fails({ ...best.opts, [field]: mid });
      if (x) {
        hi = mid;
        best = { opts: { ...best.opts, [field]: mid }, result: x };
      } else lo = mid + 1;
    }
  }
  return best;
}

/** The command that runs this seed again. */
export function reproduce(seed: number, base: Omit<SimOptions, 'seed'>): string {
  const flags = [`--seed ${seed}`];
  if (base.servers !== undefined && base.servers !== 3) flags.push(`--servers ${base.servers}`);
  if (base.observers) flags.push(`--observers ${base.observers}`);
  if (base.clients !== undefined && base.clients !== 4) flags.push(`--clients ${base.clients}`);
  if (base.ops !== undefined && base.ops !== 200) flags.push(`--ops ${base.ops}`);
  if (base.faults) flags.push(`--faults ${base.faults.join(',')}`);
  if (base.mutant) flags.push(`--mutant ${base.mutant.name}`);
  if (base.maxFaults !== undefined) flags.push(`--max-faults ${base.maxFaults}`);
  return `npx zabkit simulate ${flags.join(' ')} --verbose`;
}

export async function runSimulate(args: readonly string[], out: (s: string) => void, progress?: Progress): Promise<number> {
  let p: Parsed;
  try {
    p = parse(args);
  } catch (e) {
    out(`zabkit simulate: ${(e as Error).message}\n\n${SIMULATE_HELP}`);
    return 2;
  }
  // A sweep's lines come out only for failures: progress (stderr) shows it is alive, taken off a terminal before each.
  if (progress) {
    const print = out;
    out = (s) => {
      progress.clear();
      print(s);
    };
  }
  if (p.schedule !== undefined) return runScheduleFile(p.schedule, p.verbose, out);
  const started = performance.now();
  let simulatedMs = 0;
  let failed = 0;
  let runs = 0;
  let stuck = 0;
  const recoveries: number[] = [];
  for (let seed = p.from; seed <= p.to; seed++) {
    const opts = { ...p.base, seed, keepLog: p.verbose, ...(p.trace !== undefined ? { traceDir: p.trace } : {}) };
    if (p.trace !== undefined) mkdirSync(p.trace, { recursive: true });
    const r = await simulate(opts);
    if (p.trace !== undefined) out(`traced: every server's steps in ${p.trace} (npx zabkit replay ${p.trace}; npx zabkit explore ${p.trace})`);
    runs++;
    const secs = (performance.now() - started) / 1000;
    if (p.to > p.from) progress?.(`simulate: ${runs}/${p.to - p.from + 1} runs (seed ${seed} done), ${failed} failed so far, ${(runs / Math.max(secs, 1e-3)).toFixed(1)} runs/s${remaining(runs, p.to - p.from + 1, secs)}`);
    if (r.stuck.length > 0) stuck++;
    simulatedMs += r.simulatedMs;
    if (r.recoveryMs !== null) recoveries.push(r.recoveryMs);
    let problems = r.violations.map((v) => `${v.id}: ${v.detail}`);
    if (p.determinism) {
      const again = await simulate(opts);
      if (again.fingerprint !== r.fingerprint) problems = [...problems, `SIM-DETERMINISM: two runs of seed ${seed} differ (${r.fingerprint} vs ${again.fingerprint})`];
    }
    if (p.from === p.to || problems.length > 0) out(summaryLine(r));
    if (problems.length === 0) continue;
    failed++;
    for (const line of problems) out(`  !! ${line}`);
    if (p.verbose) out(r.log.join('\n'));
    out(`  reproduce: ${reproduce(seed, p.base)}`);
    if (r.violations.length === 0 || p.noShrink) continue;
    progress?.(`simulate: shrinking seed ${seed}`);
    const small = await shrink(r, p.base);
    out(`  shrunk to ${small.opts.ops} ops and ${small.opts.maxFaults} faults (from ${p.base.ops ?? 200} and ${r.injected}), still ${small.result.violations[0]!.id}: ${reproduce(seed, small.opts)}`);
    const dir = mkdtempSync(join(tmpdir(), `zabkit-sim-${seed}-`));
    const traced = await simulate({ ...small.opts, seed, traceDir: dir });
    out(`  trace of that run (${traced.violations.length ? traced.violations[0]!.id : 'no violation when traced'}): npx zabkit replay ${dir}`);
  }
  const secs = (performance.now() - started) / 1000;
  const med = recoveries.sort((a, b) => a - b)[Math.floor(recoveries.length / 2)];
  out(
    `${runs} run${runs === 1 ? '' : 's'}, ${failed} failed; ${(simulatedMs / 3_600_000).toFixed(2)} simulated hours in ${secs.toFixed(1)} s ` +
      `(${(simulatedMs / 1000 / secs).toFixed(0)} simulated s per real s, ${((runs * 60) / secs).toFixed(0)} runs/min); ` +
      `median heal-to-write ${med ?? '—'} ms; ${stuck} run${stuck === 1 ? '' : 's'} with a server kept out by a later accepted epoch (DISC-6)`,
  );
  return failed > 0 ? 1 : 0;
}

function summaryLine(r: SimResult): string {
  return `seed ${r.seed}: ${r.violations.length === 0 ? 'ok' : `${r.violations.length} violation(s)`}; ${r.ops.total} ops (${r.ops.ok} ok, ${r.ops.failed} failed, ${r.ops.unknown} unknown), ${r.faults.length} faults, ${(r.simulatedMs / 1000).toFixed(1)} simulated s, heal-to-write ${r.recoveryMs ?? '—'} ms${r.stuck.length ? `, s${r.stuck.join(', s')} kept out by a later accepted epoch (DISC-6)` : ''}; ${r.swarm}; fingerprint ${r.fingerprint}`;
}
