// `npm run bench:ensemble -- --vs apache`: Apache ZooKeeper 3.8 and zabkit on this machine, in
// the same run, alternating (A B A B …), standalone and as 3-server ensembles, driven by the same
// load generator in its own process (bench/load-gen.ts). Prints medians, spread and the ratio
// zabkit / Apache per figure, and writes BENCHMARKS.md and BENCHMARKS.svg. Besides speed, what
// the servers cost: their CPU per 1,000 ops in each measured window and their resident memory,
// read from /proc (bench/proc-stats.ts). `--systems`, `--only` measure a part, for A/B work.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { apacheInstalled } from '../conformance/apache.ts';
import { versionOf } from '../conformance/differential/cli.ts';
import { freeBasePort } from '../conformance/launch.ts';
import { RawClient } from '../conformance/raw-client.ts';
import { loadInChild, type Workload } from './load-gen.ts';
import { cpuMs, rssSum } from './proc-stats.ts';
import { add, key, svg, table, type Figures } from './report.ts';
import { fillTree, restartOnce } from './restart.ts';
import { processesOf, startSystem, type Running, type SystemName, type Topology } from './systems.ts';

const ROOT = join(import.meta.dirname, '..');
const WORKLOADS: readonly Workload[] = ['setData', 'getData', 'create', 'mix', 'watches'];
const TOPOLOGIES: readonly Topology[] = ['standalone', 'ensemble'];
const OPEN = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
/** What `--only` may name besides workloads and topologies. */
const PARTS = ['failover', 'restart'] as const;
type Part = (typeof PARTS)[number];

interface Options {
  vs: boolean;
  /** `--systems`; unset: both with `--vs apache`, else zabkit. */
  systems: SystemName[] | null;
  workloads: readonly Workload[];
  topologies: readonly Topology[];
  parts: ReadonlySet<Part>;
  /** Whether a part only was asked for (--only, --systems): such a run writes no BENCHMARKS.md unless --out says where. */
  partial: boolean;
  rounds: number;
  warmupMs: number;
  measureMs: number;
  /** Znodes on disk for the restart figure. */
  znodes: number;
  out: string | null;
}

const FLAGS =
  'flags: --vs apache, --systems apache,zabkit, --only NAMES (workloads setData,getData,create,mix,watches; standalone, ensemble; failover, restart), --rounds N, --warmup-ms MS, --measure-ms MS, --znodes N, --smoke, --out FILE';

const list = (v: string | undefined, flag: string): string[] => {
  if (!v || v.startsWith('--')) throw new Error(`${flag} takes a comma-separated list`);
  return v.split(',').filter(Boolean);
};

function parse(args: readonly string[]): Options {
  const o: Options = { vs: false, systems: null, workloads: WORKLOADS, topologies: TOPOLOGIES, parts: new Set(PARTS), partial: false, rounds: 3, warmupMs: 2000, measureMs: 5000, znodes: 1_000_000, out: null };
  let out: string | null | undefined;
  let smoke = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--vs') {
      if (args[++i] !== 'apache') throw new Error('--vs takes apache');
      o.vs = true;
    } else if (a === '--systems') {
      const names = list(args[++i], a);
      const bad = names.find((n) => n !== 'apache' && n !== 'zabkit');
      if (bad) throw new Error(`--systems: no system ${bad} (apache, zabkit)`);
      o.systems = (['apache', 'zabkit'] as const).filter((n) => names.includes(n));
    } else if (a === '--only') {
      // Topologies named filter the topologies; workloads and parts named are all that runs;
      // naming neither keeps every workload and part (`--only standalone`).
      const names = list(args[++i], a);
      const bad = names.find((n) => ![...WORKLOADS, ...TOPOLOGIES, ...PARTS].includes(n as never));
      if (bad) throw new Error(`--only: no ${bad} (${[...WORKLOADS, ...TOPOLOGIES, ...PARTS].join(', ')})`);
      const ts = TOPOLOGIES.filter((t) => names.includes(t));
      const ws = WORKLOADS.filter((w) => names.includes(w));
      const ps = PARTS.filter((p) => names.includes(p));
      if (ts.length) o.topologies = ts;
      if (ws.length || ps.length) Object.assign(o, { workloads: ws, parts: new Set(ps) });
      o.partial = true;
    } else if (a === '--smoke') {
      Object.assign(o, { rounds: 1, warmupMs: 200, measureMs: 600, znodes: 20_000 });
      smoke = true;
    } else if (a === '--rounds') o.rounds = Number(args[++i]);
    else if (a === '--measure-ms') o.measureMs = Number(args[++i]);
    else if (a === '--warmup-ms') o.warmupMs = Number(args[++i]);
    else if (a === '--znodes') o.znodes = Number(args[++i]);
    else if (a === '--out') out = args[++i] ?? null;
    else throw new Error(`unknown flag ${a} (${FLAGS})`);
  }
  if (!(o.rounds >= 1 && o.measureMs > 0 && o.warmupMs >= 0 && Number.isInteger(o.znodes) && o.znodes >= 1000)) {
    throw new Error('--rounds, --measure-ms, --warmup-ms must be positive, --znodes a whole number ≥ 1000');
  }
  if (o.systems && !(o.systems.length === 2 && o.vs)) o.partial = true;
  // The committed BENCHMARKS.md is written by a whole run only, or wherever --out says.
  o.out = out !== undefined ? out : smoke || o.partial ? null : join(ROOT, 'BENCHMARKS.md');
  return o;
}

async function session(ports: readonly number[]): Promise<RawClient | null> {
  for (const port of ports) {
    try {
      return await RawClient.session(port, { timeout: 6000 });
    } catch {
      // the next one
    }
  }
  return null;
}

/** One write attempt: true once acknowledged. */
async function write(c: RawClient, xid: number, path: string): Promise<boolean> {
  c.send(xid, { op: 'create', path, data: null, acl: OPEN, flags: 2 });
  for (;;) {
    const r = await c.reply(3000).catch(() => null);
    if (!r) return false;
    if (r.xid === xid) return r.err === 0;
  }
}

/** Milliseconds from `t0` until a write succeeds (new sessions as needed), bounded by `limitMs`. */
async function untilWrite(ports: readonly number[], t0: number, path: string, limitMs = 60_000): Promise<number> {
  let xid = 0;
  while (Date.now() - t0 < limitMs) {
    const c = await session(ports);
    if (c) {
      const ok = await write(c, ++xid, path);
      c.close();
      if (ok) return Date.now() - t0;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return NaN;
}

/** Leader failover under a write load: kill -9 the leader, time until a write succeeds again. */
async function failover(sys: Running): Promise<number> {
  const leader = await sys.leader();
  const rest = sys.members.filter((m) => m !== leader).map((m) => m.port);
  const c = await session(rest);
  if (!c) return NaN;
  let xid = 0;
  const until = Date.now() + 1000;
  while (Date.now() < until) await write(c, ++xid, '/failover-');
  sys.kill(leader);
  const t0 = Date.now();
  if (await write(c, ++xid, '/failover-')) {
    c.close();
    return Date.now() - t0; // (a write already in the pipeline may land before the loss is seen)
  }
  c.close();
  return untilWrite(rest, t0, '/failover-');
}

const MB = (bytes: number) => bytes / 1e6;
/** How zabkit ran in this process's measurements (systems.ts's zabkitFrom). */
const froms = new Set<string>();
const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

async function measure(system: SystemName, topology: Topology, o: Options, f: Figures, round: number, out: (s: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `zabkit-bench-${system}-`));
  // Fresh free ports each time: a killed leader's may still be held by the kernel (TIME_WAIT).
  const base = await freeBasePort(3);
  const t0 = Date.now();
  const sys = await startSystem(system, topology, dir, base);
  try {
    const ports = sys.members.map((m) => m.port);
    add(f, key(system, topology, 'start to first write (ms)'), await untilWrite(ports, t0, '/first-'));
    if (sys.zabkitFrom) froms.add(sys.zabkitFrom);
    if (sys.zabkitFrom === 'sources') out(`  warning: zabkit runs from its sources through tsx (a source is newer than dist/cli): \`npm run build\` to measure the bundle users run`);
    const servers = processesOf(sys.members);
    const idle = servers.map(rssSum);
    add(f, key(system, topology, 'RSS per server idle (MB)'), MB(mean(idle)));
    const loaded = servers.map(() => NaN);
    for (const w of o.workloads) {
      const helper0 = cpuMs(sys.helpers ?? []);
      const r = await loadInChild('load-gen.ts', { ports, workload: w, sessions: 4, inflight: 32, valueBytes: 100, warmupMs: o.warmupMs, measureMs: o.measureMs, maxOps: 5_000_000, root: `/bench-${w}-${round}`, servers });
      const cpu = ((r.serverCpuMs ?? NaN) / r.ops) * 1000;
      add(f, key(system, topology, `${w} ops/s`), r.opsPerSec);
      add(f, key(system, topology, `${w} p50 (ms)`), r.p50);
      add(f, key(system, topology, `${w} p99 (ms)`), r.p99);
      add(f, key(system, topology, `${w} p99.9 (ms)`), r.p999);
      add(f, key(system, topology, `${w} CPU ms per 1,000 ops`), cpu);
      r.serverRssMax?.forEach((x, k) => (loaded[k] = Math.max(x, Number.isNaN(loaded[k]!) ? 0 : loaded[k]!)));
      out(
        `  round ${round} ${system} ${topology} ${w}: ${Math.round(r.opsPerSec)} ops/s, p50 ${r.p50.toFixed(2)} p99 ${r.p99.toFixed(2)} p99.9 ${r.p999.toFixed(2)} ms, servers' CPU ${cpu.toFixed(0)} ms per 1,000 ops${r.errors ? `, ${r.errors} errors` : ''}${sys.helpers ? ` (supervisor: ${Math.round(cpuMs(sys.helpers) - helper0)} ms CPU over the whole run, not counted)` : ''}`,
      );
    }
    if (o.workloads.length > 0) {
      add(f, key(system, topology, 'RSS per server under load, max (MB)'), MB(mean(loaded)));
      out(`  round ${round} ${system} ${topology}: RSS per server idle ${MB(mean(idle)).toFixed(0)} MB, under load ${MB(mean(loaded)).toFixed(0)} MB (max)`);
    }
    if (topology === 'ensemble' && o.parts.has('failover')) {
      const ms = await failover(sys);
      add(f, key(system, topology, 'leader failover (ms)'), ms);
      out(`  round ${round} ${system} ${topology}: failover ${ms} ms`);
    }
  } finally {
    await sys.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Restart with `znodes` on disk: each system filled once, then restarted once a round, the
 * systems alternating. Standalone figures.
 */
async function restarts(systems: readonly SystemName[], o: Options, f: Figures, out: (s: string) => void): Promise<void> {
  const label = o.znodes.toLocaleString('en-US');
  const wait = (ports: readonly number[], t0: number) => untilWrite(ports, t0, '/first-', 120_000);
  const dirs = new Map(systems.map((s) => [s, mkdtempSync(join(tmpdir(), `zabkit-bench-restart-${s}-`))]));
  try {
    for (const s of systems) {
      const c = await fillTree(s, dirs.get(s)!, await freeBasePort(1), o.znodes, wait);
      add(f, key(s, 'standalone', `fill ${label} znodes (ms)`), c.ms);
      add(f, key(s, 'standalone', 'fill CPU ms per 1,000 znodes'), (c.cpuMs / o.znodes) * 1000);
      add(f, key(s, 'standalone', `RSS with ${label} znodes, filled (MB)`), MB(c.rss));
      out(`  ${s} standalone: ${label} znodes created in ${c.ms} ms, CPU ${Math.round(c.cpuMs)} ms, RSS ${MB(c.rss).toFixed(0)} MB`);
    }
    for (let round = 1; round <= o.rounds; round++) {
      for (const s of systems) {
        const c = await restartOnce(s, dirs.get(s)!, await freeBasePort(1), o.znodes, wait);
        add(f, key(s, 'standalone', `restart with ${label} znodes (ms)`), c.ms);
        add(f, key(s, 'standalone', `restart with ${label} znodes, CPU (ms)`), c.cpuMs);
        add(f, key(s, 'standalone', `RSS with ${label} znodes, restarted (MB)`), MB(c.rss));
        out(`  round ${round} ${s} standalone: restart with ${label} znodes ${c.ms} ms, CPU ${Math.round(c.cpuMs)} ms, RSS ${MB(c.rss).toFixed(0)} MB`);
      }
    }
  } finally {
    for (const d of dirs.values()) rmSync(d, { recursive: true, force: true });
  }
}

export async function benchEnsemble(args: readonly string[], out: (s: string) => void = console.log): Promise<Figures> {
  const o = parse(args);
  const systems: SystemName[] = o.systems ?? (o.vs ? ['apache', 'zabkit'] : ['zabkit']);
  if (systems.includes('apache') && !apacheInstalled()) throw new Error('Apache ZooKeeper is not installed: apt-get install zookeeper default-jre-headless (.ci/run does)');
  const f: Figures = new Map();
  froms.clear();
  const started = Date.now();
  const restart = o.parts.has('restart') && o.topologies.includes('standalone');
  // A topology with nothing asked of it (`--only restart`: no workload, no failover) is not started.
  const topologies = o.topologies.filter((t) => o.workloads.length > 0 || (t === 'ensemble' && o.parts.has('failover')));
  const steps = o.rounds * topologies.length * systems.length + (restart ? 1 : 0);
  let step = 0;
  const progress = (what: string) => out(`[${++step}/${steps}, ${((Date.now() - started) / 1000).toFixed(0)} s] ${what}`);
  for (let round = 1; round <= o.rounds; round++) {
    for (const topology of topologies) {
      for (const s of systems) {
        progress(`round ${round}: ${s} ${topology} (${[...o.workloads, ...(topology === 'ensemble' && o.parts.has('failover') ? ['failover'] : [])].join(', ')})`);
        await measure(s, topology, o, f, round, out);
      }
    }
  }
  if (restart) {
    progress(`fill with ${o.znodes.toLocaleString('en-US')} znodes, then ${o.rounds} restart rounds`);
    await restarts(systems, o, f, out);
  }
  const minutes = ((Date.now() - started) / 60000).toFixed(1);
  const tables = o.topologies.map((t) => table(f, systems, t).join('\n')).join('\n\n');
  out(`\n${tables}\n\n(${o.rounds} rounds, ${minutes} min)`);
  if (o.out) {
    const svgFile = o.out.replace(/(\.md)?$/, '.svg');
    let apacheVersion = '';
    if (systems.includes('apache')) {
      const dir = mkdtempSync(join(tmpdir(), 'zabkit-bench-v-'));
      const sys = await startSystem('apache', 'standalone', dir, await freeBasePort(1));
      apacheVersion = (await versionOf('127.0.0.1', sys.members[0]!.port)) ?? '';
      await sys.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    const from = froms.has('sources') ? ', zabkit **from its sources through tsx** (not the built bundle: a source was newer than dist/cli)' : froms.has('bundle') ? ', zabkit from its built bundle (dist/cli)' : '';
    const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}${apacheVersion ? `, Apache ZooKeeper ${apacheVersion} (Debian, Java)` : ''}${from}`;
    writeFileSync(
      o.out,
      [
        '# Benchmarks: zabkit and Apache ZooKeeper',
        '',
        `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}, by \`npm run bench:ensemble -- ${args.join(' ')}\` (${minutes} min).`,
        `Each system standalone and as a 3-server ensemble on 127.0.0.1 (tickTime 2000, fsync on, data on one disk), ${o.rounds} rounds alternating Apache and zabkit; load: a separate Node process, 4 sessions spread over the servers, 32 requests in flight each, 100-byte values, ${o.warmupMs} ms warm-up then ${o.measureMs} ms measured. Medians of the rounds, with the range; the ratio is zabkit / Apache (for latencies and times lower is better). watches: 1,000 watches set, then fired by 1,000 setData, in rounds (up to 50; those begun in the warm-up not measured); events/s, and each event's time from the round's first setData. Restart: a standalone server filled once with ${o.znodes.toLocaleString('en-US')} znodes (1,000 parents, 100-byte values, multis of 1,000 creates; Apache with a 4 GB heap), stopped, then started again once a round on that data; the time runs from starting the process to the first successful write, and counts only if every znode is back.`,
        `Cost: every server process's CPU time (user + system, all its threads, from /proc/<pid>/stat; the JVM's, Node's) over each measured window, summed over the servers (all three of an ensemble) and divided by the ops the window counted: CPU ms per 1,000 ops (watches: per 1,000 events, the round's watch registrations and setData included); the load generator's own CPU is not counted. A server's cost per op falls as its throughput rises (group commits share an fsync and a round of messages), so a machine busy with other work raises it. Resident memory (VmRSS) per server, the mean over the servers: idle once the first write succeeded, before any load; under load the most sampled (every 100 ms) in the measured windows; with the big tree loaded after the fill and after each restart. The fill's CPU is the server's over the fill, per 1,000 znodes; a restart's, all the new process spent until the first successful write.`,
        '',
        tables,
        '',
        `![throughput, p99, CPU per 1,000 ops and memory per workload](${basename(svgFile)})`,
        '',
      ].join('\n'),
    );
    writeFileSync(svgFile, svg(f, systems, o.topologies, o.workloads));
    out(`wrote ${o.out} and ${svgFile}`);
  }
  return f;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchEnsemble(process.argv.slice(2)).then(
    () => process.exit(0),
    (e: Error) => {
      console.error(`bench:ensemble: ${e.message}`);
      process.exit(1);
    },
  );
}
