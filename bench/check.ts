// npm run bench:check [-- --servers N --max-states N] — the checker on a fixed configuration
// (3 servers, 2 client writes, 1 crash, synchronous disks, no timeouts or partitions), printing its
// figures beside TLC's on Zab.tla as measured on a machine like this one (README, "For scale").
import { check, DEFAULT_BOUNDS } from '../model/checker.ts';

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
// memory per state is measured on the first --max-states states (0: no limit).
const maxStates = flag('--max-states', quick ? 0 : 3_000_000);
const bounds = quick ? { ...DEFAULT_BOUNDS, txns: 1, crashes: 0 } : { ...DEFAULT_BOUNDS, servers, txns: 2, crashes: 1 };
const s = check({
  bounds,
  ...(maxStates ? { maxStates } : {}),
  onProgress: (p) => process.stderr.write(`\r${p.distinct} states, depth ${p.depth}, queue ${p.queue}   `),
});
process.stderr.write('\n');
const tlcRate = TLC.states / TLC.seconds;
const tlcBytes = TLC.bytes / TLC.states;
const bytesPerState = s.peakRssBytes / s.distinct;
const rows: [string, string][] = [
  ['configuration', `servers=${bounds.servers} txns=${bounds.txns} crashes=${bounds.crashes} (sync disk, FLE + discovery + DIFF/TRUNC/SNAP + broadcast)`],
  ['exhausted', s.exhausted ? 'true' : `false (stopped at --max-states ${maxStates})`],
  ['violation', s.violation ? `${s.violation.id} ${s.violation.detail}` : 'none'],
  ['distinct states', String(s.distinct)],
  ['transitions', String(s.transitions)],
  ['max depth', String(s.maxDepth)],
  ['wall time', `${s.seconds.toFixed(1)} s`],
  ['states/s', `${Math.round(s.statesPerSecond)}  (TLC on Zab.tla: ${Math.round(tlcRate)}; ratio ${(s.statesPerSecond / tlcRate).toFixed(1)}x)`],
  ['peak RSS', `${(s.peakRssBytes / 1e9).toFixed(2)} GB  (${Math.round(bytesPerState)} B/state; TLC: ${Math.round(tlcBytes)} B/state; ratio ${(tlcBytes / bytesPerState).toFixed(1)}x leaner)`],
  ['fingerprint table + parents', `${(s.fingerprintBytes / 1e6).toFixed(0)} MB (${(s.fingerprintBytes / s.distinct).toFixed(1)} B/state)`],
  ['sometimes', Object.entries(s.sometimes).map(([k, v]) => `${k}: ${v ? 'yes' : 'NO'}`).join(', ')],
];
for (const [k, v] of rows) console.log(`${k.padEnd(28)} ${v}`);
process.exitCode = s.violation || (!s.exhausted && !maxStates) ? 1 : 0;
