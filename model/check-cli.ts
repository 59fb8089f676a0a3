// `zabkit check`: flags → bounds → search → summary (and a counterexample when one is found).
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { check, DEFAULT_BOUNDS, initialNode, SOMETIMES, type Bounds, type Summary } from './checker.ts';
import { checkParallel } from './parallel-check.ts';
import { renderPath } from './counterexample.ts';
import { mutant, MUTANTS } from './mutants.ts';
import { simulate } from './simulate.ts';
import { toNdjson, traceOf } from './trace.ts';
import type { Deviation } from '../src/zab/index.ts';
import type { Action } from './world.ts';
import { parseFlags, wholeNumber, type FlagValues } from '../src/shell/args.ts';
import { remaining } from '../src/shell/progress.ts';

const FLAGS: Record<string, keyof Bounds> = {
  '--servers': 'servers',
  '--observers': 'observers',
  '--txns': 'txns',
  '--crashes': 'crashes',
  '--partitions': 'partitions',
  '--timeouts': 'timeouts',
  '--max-epoch': 'maxEpoch',
  '--max-depth': 'maxDepth',
  '--snap-count': 'snapCount',
};

export const CHECK_HELP = `usage: zabkit check [flags] — explore every interleaving of the src/zab reducers within bounds

  --servers N (3)  --observers N (0)  --txns N (2)  --crashes N (1)  --partitions N (0)
  --timeouts N (0: notify/init/sync firings)  --max-epoch N (3)  --max-depth N (200)
  --snap-count N (0)  --async-disk (persists complete as separate, crashable actions, one by one
                   or a group commit at once)
  --two-channels   an election and a quorum channel per ordered pair, as the shell's peers
  --shell-model    the shell's world: --async-disk --two-channels
  --dfs            depth-first instead of breadth-first (BFS gives shortest counterexamples; with
                   --max-depth, DFS may prune a state first met deep that is also reachable shallower)
  --simulate --seed S --runs R   seeded random walks instead of exhaustive search
  --max-states N   stop after N distinct states (the summary then says not exhausted; with
                   --workers above 1, at the end of the BFS level that reaches N)
  --workers N      search on N threads (1; 0: every core, here ${availableParallelism()}): the same
                   counts and verdict, a shortest counterexample, though not always the same one
  --fp-memory MB   keep at most MB of fingerprints in memory, the rest in sorted files on disk
                   (one worker; --fp-dir DIR, default the system's temporary directory)
  --frontier-memory N   keep at most N states of the BFS frontier in memory, the rest in files
                   (one worker, breadth first; in --fp-dir too)
  --mutant NAME    check a deliberately broken variant; alone, it uses that mutant's bounds
                   (${MUTANTS.map((m) => m.name).join(', ')})
  --json           print the summary as JSON
  --out FILE       write a counterexample as an NDJSON trace (with --simulate and no violation:
                   the last walk), for 'zabkit replay' and 'zabkit simulate --schedule'

exit 0: bounded space exhausted, no violation; 1: a violation; 2: bad usage; 3: stopped by --max-states.`;

export interface Parsed {
  bounds: Bounds;
  deviation?: Deviation;
  dfs: boolean;
  simulate: { seed: number; runs: number } | null;
  maxStates?: number;
  workers: number;
  fpMemoryMb?: number;
  frontierMemory?: number;
  fpDir?: string;
  json: boolean;
  out?: string;
}

/** The checker's flags as bounds (and a mutant, a strategy, …), or what is wrong with them. */
export function parse(args: readonly string[]): Parsed | string {
  const set: Partial<Record<keyof Bounds, number | boolean>> = {};
  const p: Parsed = { bounds: DEFAULT_BOUNDS, dfs: false, simulate: null, workers: 1, json: false };
  const spec: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const f of Object.keys(FLAGS)) spec[f.slice(2)] = { type: 'string' };
  for (const f of ['seed', 'runs', 'max-states', 'out', 'mutant', 'workers', 'fp-memory', 'fp-dir', 'frontier-memory']) spec[f] = { type: 'string' };
  for (const f of ['async-disk', 'two-channels', 'shell-model', 'dfs', 'simulate', 'json']) spec[f] = { type: 'boolean' };
  let seed: number;
  let runs: number;
  let values: FlagValues;
  try {
    values = parseFlags(args, spec).values;
    for (const [f, key] of Object.entries(FLAGS)) if (values[f.slice(2)] !== undefined) set[key] = wholeNumber(f.slice(2), values[f.slice(2)], 0);
    seed = wholeNumber('seed', values.seed, 1);
    runs = wholeNumber('runs', values.runs, 1000);
    if (values['max-states'] !== undefined) p.maxStates = wholeNumber('max-states', values['max-states'], 0);
    p.workers = wholeNumber('workers', values.workers, 1) || availableParallelism();
    if (values['fp-memory'] !== undefined) p.fpMemoryMb = wholeNumber('fp-memory', values['fp-memory'], 0);
    if (values['frontier-memory'] !== undefined) p.frontierMemory = Math.max(1, wholeNumber('frontier-memory', values['frontier-memory'], 0));
  } catch (e) {
    return (e as Error).message;
  }
  if (values['async-disk']) set.asyncDisk = true;
  if (values['two-channels']) set.twoChannels = true;
  if (values['shell-model']) {
    set.asyncDisk = true; // the shell's executor: disk writes complete on their own (group commits too)
    set.twoChannels = true; // and its peers: an election and a quorum channel per ordered pair
  }
  p.dfs = values.dfs === true;
  p.json = values.json === true;
  if (values.out !== undefined) p.out = values.out as string;
  if (values['fp-dir'] !== undefined) p.fpDir = values['fp-dir'] as string;
  if (p.workers > 1 && p.dfs) return '--workers above 1 searches breadth first: not with --dfs';
  if (p.workers > 1 && (p.fpMemoryMb !== undefined || p.frontierMemory !== undefined)) return '--fp-memory and --frontier-memory spill the one-worker search only: not with --workers above 1';
  if (p.dfs && p.frontierMemory !== undefined) return '--frontier-memory spills a breadth-first frontier: not with --dfs';
  const wantSimulate = values.simulate === true;
  const mutantName = values.mutant as string | undefined;
  let base: Bounds = DEFAULT_BOUNDS;
  if (mutantName !== undefined) {
    const m = mutant(mutantName);
    if (!m) return `unknown mutant '${mutantName}'; mutants: ${MUTANTS.map((x) => x.name).join(', ')}`;
    p.deviation = m.name;
    const onlyMutant = Object.keys(set).length === 0 && !wantSimulate;
    if (onlyMutant) {
      base = { ...DEFAULT_BOUNDS, ...m.bounds };
      if (m.simulate) p.simulate = m.simulate;
    }
  }
  p.bounds = { ...base, ...(set as Partial<Bounds>) };
  if (wantSimulate) p.simulate = { seed, runs };
  if (p.bounds.servers < 1) return '--servers must be at least 1';
  return p;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

function summaryLines(s: Summary): string[] {
  const b = s.bounds;
  return [
    `bounds: servers=${b.servers} observers=${b.observers} txns=${b.txns} crashes=${b.crashes} partitions=${b.partitions} timeouts=${b.timeouts} max-epoch=${b.maxEpoch} max-depth=${b.maxDepth} snap-count=${b.snapCount} disk=${b.asyncDisk ? 'async' : 'sync'} channels=${b.twoChannels ? 2 : 1}${s.deviation ? ` mutant=${s.deviation}` : ''}`,
    `${s.exhausted ? 'exhausted' : s.violation ? 'stopped at a violation' : 'stopped early (not exhausted)'}: ${s.distinct} distinct states, ${s.transitions} transitions, max depth ${s.maxDepth}`,
    `time ${s.seconds.toFixed(1)} s, ${Math.round(s.statesPerSecond)} states/s, peak RSS ${mb(s.peakRssBytes)}, fingerprints ${mb(s.fingerprintBytes)} (${(s.fingerprintBytes / Math.max(1, s.distinct)).toFixed(1)} B/state)`,
    ...(s.disk ? [`fingerprints on disk: ${s.disk.onDisk} after ${s.disk.flushes} merges, ${s.disk.diskReads} page reads`] : []),
    `sometimes: ${SOMETIMES.map((x) => `${x} ${s.sometimes[x] ? 'yes' : 'NO'}`).join('; ')}`,
  ];
}

function reportViolation(
  out: (s: string) => void,
  bounds: Bounds,
  deviation: Deviation | undefined,
  v: { id: string; detail: string; path: readonly Action<number>[] },
  file: string | undefined,
): void {
  out(`VIOLATION ${v.id}: ${v.detail}`);
  out(`counterexample (${v.path.length} steps):`);
  const root = initialNode(bounds, deviation).world;
  const lines = renderPath(root, v.path);
  // A liveness counterexample ends in thousands of healing steps: show both ends, the trace has all.
  const LIMIT = 600;
  if (lines.length <= LIMIT) for (const line of lines) out(line);
  else {
    for (const line of lines.slice(0, LIMIT - 200)) out(line);
    out(`       … ${lines.length - LIMIT} lines left out (--out FILE writes every step) …`);
    for (const line of lines.slice(-200)) out(line);
  }
  if (file) {
    writeFileSync(file, toNdjson(traceOf(root, v.path, { id: v.id, detail: v.detail })));
    out(`trace written to ${file}`);
  }
}

export function runCheck(args: readonly string[], out: (s: string) => void, progress?: (line: string) => void): number {
  const p = parse(args);
  if (typeof p === 'string') {
    out(`zabkit check: ${p}\n\n${CHECK_HELP}`);
    return 2;
  }
  if (p.simulate) {
    const r = simulate(p.bounds, p.simulate.seed, p.simulate.runs, p.deviation);
    const line = `simulate: ${r.runs} runs from seed ${p.simulate.seed}, ${r.steps} steps, ${r.seconds.toFixed(1)} s`;
    if (p.json) out(JSON.stringify({ mode: 'simulate', bounds: p.bounds, deviation: p.deviation ?? null, ...r, violation: r.violation && { id: r.violation.id, detail: r.violation.detail, seed: r.violation.seed, length: r.violation.path.length } }));
    else out(line);
    if (!r.violation) {
      if (p.out && r.last) {
        writeFileSync(p.out, toNdjson(traceOf(initialNode(p.bounds, p.deviation).world, r.last.path)));
        if (!p.json) out(`walk of seed ${r.last.seed} (${r.last.path.length} steps) written to ${p.out}`);
      }
      return 0;
    }
    if (!p.json) out(`run with seed ${r.violation.seed} reproduces it`);
    reportViolation(p.json ? () => {} : out, p.bounds, p.deviation, r.violation, p.out);
    return 1;
  }
  const search = p.workers > 1 ? (o: Parameters<typeof check>[0]) => checkParallel({ ...o, workers: p.workers }) : check;
  const s = search({
    bounds: p.bounds,
    ...(p.fpMemoryMb !== undefined ? { fingerprintMemory: Math.max(1, p.fpMemoryMb) * 1024 * 1024 } : {}),
    ...(p.fpDir !== undefined ? { fingerprintDir: p.fpDir } : {}),
    ...(p.frontierMemory !== undefined ? { frontierMemory: p.frontierMemory } : {}),
    ...(p.deviation ? { deviation: p.deviation } : {}),
    strategy: p.dfs ? 'dfs' : 'bfs',
    ...(p.maxStates ? { maxStates: p.maxStates } : {}),
    ...(progress
      ? {
          // Breadth first, the states left are unknown: an estimate only when --max-states bounds the run.
          onProgress: (x) =>
            progress(`check: ${x.distinct} states, ${Math.round(x.distinct / Math.max(x.seconds, 1e-9))} states/s, depth ${x.depth}, queue ${x.queue}, ${x.seconds.toFixed(0)} s${p.maxStates ? remaining(x.distinct, p.maxStates, x.seconds) : ''}`),
        }
      : {}),
  });
  if (p.json) {
    const { violation, ...rest } = s;
    out(JSON.stringify({ ...rest, violation: violation && { id: violation.id, detail: violation.detail, length: violation.path.length } }));
  } else {
    for (const l of summaryLines(s)) out(l);
  }
  if (s.violation) {
    reportViolation(p.json ? () => {} : out, p.bounds, p.deviation, s.violation, p.out);
    return 1;
  }
  return s.exhausted ? 0 : 3;
}
