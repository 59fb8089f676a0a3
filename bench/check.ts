// npm run bench:check [-- --servers N --max-states N --workers N --quick] — the checker on a fixed
// configuration (3 servers, 2 client writes, 1 crash, synchronous disks, no timeouts or
// partitions), one worker and then N workers (default: the cores), printing both beside TLC's on
// Zab.tla as measured on a machine like this one (README, "For scale"), and whether they agree.
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { check, DEFAULT_BOUNDS, type Summary } from '../model/checker.ts';
import { checkParallel } from '../model/parallel-check.ts';

const TLC = { states: 412_459, seconds: 139, bytes: 4.7e9 }; // Zab.tla: 3 servers, 2 txns, 1 timeout, 1 restart

const quick = process.argv.includes('--quick'); // a smaller configuration, for a smoke run
const flag = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 0) throw new Error(`${name} wants a whole number, got ${process.argv[i + 1]}`);
  return v;
};
const servers = flag('--servers', 3);
// Since connections break as TCP's do (spec/network.md), 3/2/1 no longer fits in 8 GB: the
// memory per state is measured on the first --max-states states (0: no limit). Both searches stop
// at the end of the BFS level in which they reach it, so that they stop at the same state.
const maxStates = flag('--max-states', quick ? 0 : 3_000_000);
const workers = flag('--workers', availableParallelism());
const bounds = quick ? { ...DEFAULT_BOUNDS, txns: 1, crashes: 0 } : { ...DEFAULT_BOUNDS, servers, txns: 2, crashes: 1 };
const opts = {
  bounds,
  ...(maxStates ? { maxStates, stopAtLevelEnd: true } : {}),
  onProgress: (p: { distinct: number; depth: number }) => process.stderr.write(`\r${p.distinct} states, depth ${p.depth}   `),
};
interface Run {
  readonly s: Summary;
  /** CPU seconds of the process, every thread, user + system. */
  readonly cpu: number;
}
// Each search runs in a process of its own, so that each peak RSS is its own.
const mode = process.argv[process.argv.indexOf('--mode') + 1];
if (process.argv.includes('--mode')) {
  const s = mode === 'one' ? check(opts) : checkParallel({ ...opts, workers });
  const u = process.cpuUsage();
  const { violation, ...rest } = s;
  process.stdout.write(JSON.stringify({ s: { ...rest, violation: violation && { id: violation.id, detail: violation.detail, path: [] } }, cpu: (u.user + u.system) / 1e6 }));
  process.exit(0);
}
function run(m: 'one' | 'parallel'): Run {
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1), '--mode', m], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 24 });
  process.stderr.write('\n');
  if (r.status !== 0) throw new Error(`bench:check: the ${m} search exited ${r.status}`);
  return JSON.parse(r.stdout) as Run;
}
const one = run('one');
const many = workers > 1 ? run('parallel') : null;

const tlcRate = TLC.states / TLC.seconds;
const tlcBytes = TLC.bytes / TLC.states;
const s = one.s;
const bytesPerState = s.peakRssBytes / s.distinct;
const gb = (b: number): string => `${(b / 1e9).toFixed(2)} GB`;
const rows: [string, string][] = [
  ['configuration', `servers=${bounds.servers} txns=${bounds.txns} crashes=${bounds.crashes} (sync disk, FLE + discovery + DIFF/TRUNC/SNAP + broadcast)`],
  ['exhausted', s.exhausted ? 'true' : `false (stopped at the end of the level reaching --max-states ${maxStates})`],
  ['violation', s.violation ? `${s.violation.id} ${s.violation.detail}` : 'none'],
  ['distinct states', String(s.distinct)],
  ['transitions', String(s.transitions)],
  ['max depth', String(s.maxDepth)],
  ['wall time', `${s.seconds.toFixed(1)} s (CPU ${one.cpu.toFixed(1)} s: ${Math.round(s.distinct / one.cpu)} states per CPU second)`],
  ['states/s', `${Math.round(s.statesPerSecond)}  (TLC on Zab.tla: ${Math.round(tlcRate)}; ratio ${(s.statesPerSecond / tlcRate).toFixed(1)}x)`],
  ['peak RSS', `${gb(s.peakRssBytes)}  (${Math.round(bytesPerState)} B/state; TLC: ${Math.round(tlcBytes)} B/state; ratio ${(tlcBytes / bytesPerState).toFixed(1)}x leaner)`],
  ['fingerprint table + parents', `${(s.fingerprintBytes / 1e6).toFixed(0)} MB (${(s.fingerprintBytes / s.distinct).toFixed(1)} B/state)`],
  ['sometimes', Object.entries(s.sometimes).map(([k, v]) => `${k}: ${v ? 'yes' : 'NO'}`).join(', ')],
];
let agree = true;
if (many) {
  const p = many.s;
  agree = p.distinct === s.distinct && p.transitions === s.transitions && p.maxDepth === s.maxDepth && p.exhausted === s.exhausted && (p.violation?.id ?? null) === (s.violation?.id ?? null);
  rows.push(
    [`parallel (${workers} workers)`, `${p.distinct} distinct states, ${p.transitions} transitions, max depth ${p.maxDepth}, ${p.exhausted ? 'exhausted' : 'not exhausted'}`],
    ['parallel wall time', `${p.seconds.toFixed(1)} s (CPU ${many.cpu.toFixed(1)} s: ${Math.round(p.distinct / many.cpu)} states per CPU second, all threads)`],
    ['parallel states/s', `${Math.round(p.statesPerSecond)}  (${(p.statesPerSecond / s.statesPerSecond).toFixed(2)}x one worker)`],
    ['parallel peak RSS', `${gb(p.peakRssBytes)}`],
    ['counts equal', agree ? 'yes (distinct states, transitions, depth, verdict)' : 'NO'],
  );
}
// On a busy machine wall time says little: the load beside the run, to judge the figures by.
rows.push(['load average', loadavg().map((x) => x.toFixed(1)).join(' ') + ` on ${availableParallelism()} cores`]);
for (const [k, v] of rows) console.log(`${k.padEnd(28)} ${v}`);
process.exitCode = s.violation || !agree || (!s.exhausted && !maxStates) ? 1 : 0;
