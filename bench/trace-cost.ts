// `npm run bench:trace`: what `--trace` costs a zabkit server. The same server (standalone, and a
// 3-server ensemble unless --standalone) without and with tracing, in interleaved rounds (A B, B A,
// …), under the ensemble benchmark's load generator (bench/load-gen.ts, its own process): setData
// and create ops/s, the ratio traced / untraced, and the servers' CPU seconds (utime + stime from
// /proc, read by the load generator as its measured window opens and closes) per 1000 ops.
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeBasePort, launch, startServer } from '../conformance/launch.ts';
import { askWord } from '../src/shell/ensemble.ts';
import { loadInChild, median, type Workload } from './load-gen.ts';
import { processTree } from './proc-stats.ts';

const WORKLOADS: readonly Workload[] = ['setData', 'create'];
type Topology = 'standalone' | 'ensemble';

interface Options {
  rounds: number;
  warmupMs: number;
  measureMs: number;
  topologies: Topology[];
  /** Where the traces go (default: beside the servers' data, on the same disk). */
  traceDir: string | null;
}

function parse(args: readonly string[]): Options {
  const o: Options = { rounds: 3, warmupMs: 1500, measureMs: 4000, topologies: ['standalone', 'ensemble'], traceDir: null };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--rounds') o.rounds = Number(args[++i]);
    else if (a === '--warmup-ms') o.warmupMs = Number(args[++i]);
    else if (a === '--measure-ms') o.measureMs = Number(args[++i]);
    else if (a === '--standalone') o.topologies = ['standalone'];
    else if (a === '--ensemble') o.topologies = ['ensemble'];
    else if (a === '--trace-dir') o.traceDir = args[++i] ?? null;
    else if (a === '--smoke') Object.assign(o, { rounds: 1, warmupMs: 200, measureMs: 600 });
    else throw new Error(`unknown flag ${a} (flags: --rounds N --warmup-ms MS --measure-ms MS --standalone --ensemble --trace-dir DIR --smoke)`);
  }
  if (!(Number.isInteger(o.rounds) && o.rounds >= 1 && o.measureMs > 0 && o.warmupMs >= 0)) throw new Error('--rounds must be a whole number ≥ 1, --measure-ms positive, --warmup-ms ≥ 0');
  return o;
}

interface Servers {
  readonly ports: readonly number[];
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

async function start(topology: Topology, dir: string, trace: string | null): Promise<Servers> {
  if (topology === 'standalone') {
    const s = await startServer(join(dir, 'data'), trace ? ['--trace', join(trace, 'server-1.ndjson')] : []);
    return { ports: [s.port], pids: [s.proc.pid!], stop: async () => void (await s.stop()) };
  }
  const base = await freeBasePort(3);
  const l = launch(['ensemble', '--size', '3', '--base-port', String(base), '--data-dir', join(dir, 'data'), '--tick-time', '2000', ...(trace ? ['--trace', trace] : [])]);
  await l.waitFor(/connection string/, undefined, 30000);
  const members = [...l.logs().matchAll(/server (\d+): \w+ +client 127\.0\.0\.1:(\d+).*pid (\d+)/g)];
  if (members.length !== 3) throw new Error(`expected 3 servers:\n${l.logs()}`);
  // Serving once the election is over: a leader among them.
  const modes = () => Promise.all(members.map((m) => askWord('127.0.0.1', Number(m[2]), 'srvr').catch(() => '')));
  for (let i = 0; i < 300 && !(await modes()).some((t) => /Mode: leader/.test(t)); i++) await new Promise((r) => setTimeout(r, 100));
  return {
    ports: members.map((m) => Number(m[2])),
    pids: members.map((m) => Number(m[3])),
    async stop() {
      if (l.proc.exitCode === null) l.proc.kill('SIGINT');
      await l.exited;
    },
  };
}

type Figures = Map<string, number[]>;
const add = (f: Figures, k: string, v: number) => f.set(k, [...(f.get(k) ?? []), v]);

async function measure(topology: Topology, traced: boolean, o: Options, f: Figures, round: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'zabkit-bench-trace-'));
  const traceDir = traced ? (o.traceDir ? mkdtempSync(join(o.traceDir, 'zabkit-bench-trace-')) : join(dir, 'trace')) : null;
  if (traceDir) mkdirSync(traceDir, { recursive: true });
  const s = await start(topology, dir, traceDir);
  const tag = traced ? 'traced' : 'untraced';
  try {
    for (const w of WORKLOADS) {
      const servers = s.pids.map((p) => processTree(p));
      const r = await loadInChild('load-gen.ts', { ports: s.ports, workload: w, sessions: 4, inflight: 32, valueBytes: 100, warmupMs: o.warmupMs, measureMs: o.measureMs, maxOps: 5_000_000, root: `/bench-${w}-${round}`, servers });
      if (r.serverCpuMs === undefined || !Number.isFinite(r.serverCpuMs)) throw new Error('the load generator read no server CPU');
      const per1000 = r.serverCpuMs / r.ops; // ms per op = s per 1000 ops
      add(f, `${topology} ${w} ${tag} ops/s`, r.opsPerSec);
      add(f, `${topology} ${w} ${tag} cpu s/1000 ops`, per1000);
      process.stdout.write(`  round ${round} ${topology} ${tag} ${w}: ${Math.round(r.opsPerSec)} ops/s, ${per1000.toFixed(3)} CPU s/1000 ops${r.errors ? `, ${r.errors} errors` : ''}\n`);
    }
    if (traceDir) {
      const bytes = s.pids.length === 1 ? statSync(join(traceDir, 'server-1.ndjson')).size : [1, 2, 3].reduce((a, k) => a + statSync(join(traceDir, `server-${k}.ndjson`)).size, 0);
      add(f, `${topology} trace MB`, bytes / 1e6);
    }
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
    if (traceDir) rmSync(traceDir, { recursive: true, force: true });
  }
}

const o = parse(process.argv.slice(2));
const f: Figures = new Map();
for (let round = 1; round <= o.rounds; round++) {
  for (const topology of o.topologies) {
    // Interleaved: odd rounds untraced first, even rounds traced first.
    const order = round % 2 ? [false, true] : [true, false];
    for (const traced of order) await measure(topology, traced, o, f, round);
  }
}
const fmt = (x: number) => (x >= 100 ? Math.round(x).toString() : x.toFixed(3));
const range = (xs: readonly number[]) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
process.stdout.write(`\nmedians of ${o.rounds} round(s), ${o.measureMs} ms measured each (range in brackets); ratio = traced / untraced\n`);
for (const topology of o.topologies) {
  for (const w of WORKLOADS) {
    const u = f.get(`${topology} ${w} untraced ops/s`)!;
    const t = f.get(`${topology} ${w} traced ops/s`)!;
    const cu = f.get(`${topology} ${w} untraced cpu s/1000 ops`)!;
    const ct = f.get(`${topology} ${w} traced cpu s/1000 ops`)!;
    process.stdout.write(
      `${topology} ${w}: untraced ${fmt(median(u))} ops/s [${range(u)}], traced ${fmt(median(t))} ops/s [${range(t)}], ratio ${(median(t) / median(u)).toFixed(3)}; ` +
        `CPU s/1000 ops untraced ${fmt(median(cu))} traced ${fmt(median(ct))} (×${(median(ct) / median(cu)).toFixed(2)})\n`,
    );
  }
  const mb = f.get(`${topology} trace MB`);
  if (mb) process.stdout.write(`${topology} trace size: ${fmt(median(mb))} MB (whole run, all servers)\n`);
}
process.exit(0);
