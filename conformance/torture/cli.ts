// `npm run torture -- [--vs apache] [--duration S] [--seeds N | --seed N] [--workloads a,b] [--faults a,b] [--jobs N] [--keep DIR] [--out DIR]`:
// fault runs of real ensembles, zabkit's (and Apache's with --vs apache, run for run interleaved),
// every workload for every seed; prints each run's line and writes FAULTS.md and FAULTS.svg.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apacheInstalled } from '../apache.ts';
import type { SystemName } from './cluster.ts';
import { reportMarkdown, reportSvg } from './report.ts';
import { FAULT_KINDS, tortureRun, type FaultKind, type TortureResult } from './run.ts';
import { WORKLOADS, type WorkloadName } from './workloads.ts';

const USAGE = `usage: npm run torture -- [--vs apache] [--duration S] [--seeds N | --seed N] [--workloads LIST] [--faults LIST] [--out DIR] [--verbose]
  --vs apache     also run Apache ZooKeeper 3.8 (Debian's package) through the same faults
  --duration S    seconds per run (default 120)
  --seeds N       seeds 0..N-1 per workload (default 5); --seed N runs that one
  --workloads     of ${WORKLOADS.join(', ')} (default all)
  --faults        of ${FAULT_KINDS.join(', ')} (default all)
  --jobs N        N workload-seed pairs at once, each running its systems in turn (default 1)
  --keep DIR      keep each run's result there as JSON; a run already kept is not run again
  --out DIR       where FAULTS.md and FAULTS.svg go (default: the current directory)
Exit 0: no violation in any zabkit run; 1: a violation; 2: bad usage.`;

export async function main(argv: readonly string[]): Promise<number> {
  let vs = false;
  let duration = 120;
  let seeds = [0, 1, 2, 3, 4];
  let workloads: WorkloadName[] = [...WORKLOADS];
  let faults: FaultKind[] = [...FAULT_KINDS];
  let out = process.cwd();
  let verbose = false;
  let jobs = 1;
  let keep: string | undefined;
  const list = <T extends string>(v: string | undefined, all: readonly T[], what: string): T[] => {
    const xs = (v ?? '').split(',').filter(Boolean);
    const bad = xs.filter((x) => !all.includes(x as T));
    if (!xs.length || bad.length) throw new Error(`--${what}: unknown ${bad.join(', ') || '(empty)'}; one of ${all.join(', ')}`);
    return xs as T[];
  };
  const num = (v: string | undefined, what: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${what} needs an integer ≥ ${min}, not ${v ?? '(nothing)'}`);
    return n;
  };
  try {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      const v = argv[i + 1];
      if (a === '--help' || a === '-h') {
        console.log(USAGE);
        return 0;
      } else if (a === '--vs') {
        if (v !== 'apache') throw new Error('--vs takes apache');
        vs = true;
        i++;
      } else if (a === '--duration') (duration = num(v, 'duration', 15)), i++;
      else if (a === '--seeds') (seeds = Array.from({ length: num(v, 'seeds', 1) }, (_, k) => k)), i++;
      else if (a === '--seed') (seeds = [num(v, 'seed', 0)]), i++;
      else if (a === '--workloads') (workloads = list(v, WORKLOADS, 'workloads')), i++;
      else if (a === '--faults') (faults = list(v, FAULT_KINDS, 'faults')), i++;
      else if (a === '--out') {
        if (!v) throw new Error('--out needs a directory');
        out = v;
        i++;
      } else if (a === '--keep') {
        if (!v) throw new Error('--keep needs a directory');
        keep = v;
        i++;
      } else if (a === '--jobs') (jobs = num(v, 'jobs', 1)), i++;
      else if (a === '--verbose') verbose = true;
      else throw new Error(`unknown argument ${a}`);
    }
  } catch (e) {
    console.error(`torture: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (vs && !apacheInstalled()) {
    console.error("torture: --vs apache needs Debian's zookeeper package (apt-get install -y zookeeper) and java");
    return 2;
  }
  const systems: SystemName[] = vs ? ['zabkit', 'apache'] : ['zabkit'];
  const results: TortureResult[] = [];
  const harnessErrors: string[] = [];
  const t0 = Date.now();
  if (keep) mkdirSync(keep, { recursive: true });
  // A client library that throws from its socket handler (node-zookeeper-client decoding a reply it
  // cannot parse) must not end hours of runs: the throw is reported and the runs go on.
  const guard = (e: unknown) => {
    harnessErrors.push(String((e as Error)?.stack ?? e));
    console.log(`  !! harness: uncaught ${(e as Error)?.message ?? e}`);
  };
  process.on('uncaughtException', guard);
  const one = async (system: SystemName, workload: WorkloadName, seed: number): Promise<void> => {
    const file = keep && join(keep, `${system}-${workload}-${seed}-${duration}s.json`);
    if (file && existsSync(file)) {
      results.push(JSON.parse(readFileSync(file, 'utf8')) as TortureResult);
      console.log(`${system} ${workload} seed ${seed}: kept in ${file}`);
      return;
    }
    const label = jobs > 1 ? `${system} ${workload} ${seed}` : system;
    let r: TortureResult | undefined;
    for (let attempt = 1; !r && attempt <= 2; attempt++) {
      try {
        r = await tortureRun({ system, workload, seed, durationMs: duration * 1000, faults, ...(verbose ? { log: (l: string) => console.log(`  ${label} ${l}`) } : {}) });
      } catch (e) {
        // The harness failed (a cluster that did not start, ports taken): not a verdict on the system.
        harnessErrors.push(`${system} ${workload} seed ${seed} attempt ${attempt}: ${(e as Error).message}`);
        console.log(`  !! harness: ${system} ${workload} seed ${seed} attempt ${attempt}: ${(e as Error).message}`);
      }
    }
    if (!r) return;
    results.push(r);
    if (file) writeFileSync(file, JSON.stringify(r));
    const v = r.violations.length ? `${r.violations.length} VIOLATION(S)` : 'ok';
    console.log(`${system} ${workload} seed ${seed}: ${v}; ${r.summary}; ${r.faults.length} faults; longest without a write ${Math.round(r.longestGap)} ms; serving ${Math.round(r.recovery)} ms after the heal`);
    for (const x of r.violations) console.log(`  !! ${x.check}: ${x.detail}`);
    for (const x of r.undecided) console.log(`  ?? ${x.check}, undecided: ${x.detail}`);
  };
  const pairs = workloads.flatMap((workload) => seeds.map((seed) => ({ workload, seed })));
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(jobs, pairs.length) }, async () => {
      while (next < pairs.length) {
        const { workload, seed } = pairs[next++]!;
        for (const system of systems) await one(system, workload, seed);
      }
    }),
  );
  process.off('uncaughtException', guard);
  // The report lists runs in a fixed order, whatever order the jobs finished in.
  const order = (r: TortureResult) => [workloads.indexOf(r.workload), seeds.indexOf(r.seed), systems.indexOf(r.system)];
  results.sort((a, b) => {
    const x = order(a);
    const y = order(b);
    return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
  });
  const command = `npm run torture --${vs ? ' --vs apache' : ''} --duration ${duration} --seeds ${seeds.length}${jobs > 1 ? ` --jobs ${jobs}` : ''}${workloads.length < WORKLOADS.length ? ` --workloads ${workloads.join(',')}` : ''}${faults.length < FAULT_KINDS.length ? ` --faults ${faults.join(',')}` : ''}`;
  writeFileSync(join(out, 'FAULTS.md'), reportMarkdown(results, command, new Date().toISOString().slice(0, 10), harnessErrors));
  const pictured = systems.map((s) => results.find((r) => r.system === s)!).filter(Boolean);
  writeFileSync(join(out, 'FAULTS.svg'), reportSvg(pictured));
  console.log(`${results.length} runs in ${((Date.now() - t0) / 60000).toFixed(1)} min; wrote ${join(out, 'FAULTS.md')} and FAULTS.svg`);
  if (harnessErrors.length) console.log(`${harnessErrors.length} harness error(s):\n${harnessErrors.join('\n')}`);
  return results.some((r) => r.system === 'zabkit' && r.violations.length) || harnessErrors.length ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error) => {
      console.error(`torture: ${e.stack ?? e.message}`);
      process.exit(1);
    },
  );
}
