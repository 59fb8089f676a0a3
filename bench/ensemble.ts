// `npm run bench:ensemble -- --vs apache`: Apache ZooKeeper 3.8 and zabkit on this machine, in
// the same run, alternating (A B A B …), standalone and as 3-server ensembles, driven by the same
// load generator in its own process (bench/load-gen.ts). Prints medians, spread and the ratio
// zabkit / Apache per figure, and writes BENCHMARKS.md and BENCHMARKS.svg.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { apacheInstalled } from '../conformance/apache.ts';
import { versionOf } from '../conformance/differential/cli.ts';
import { freeBasePort } from '../conformance/launch.ts';
import { RawClient } from '../conformance/raw-client.ts';
import { loadInChild, median, type Workload } from './load-gen.ts';
import { fillTree, restartOnce } from './restart.ts';
import { rssOf, startSystem, type Running, type SystemName, type Topology } from './systems.ts';

const ROOT = join(import.meta.dirname, '..');
const WORKLOADS: readonly Workload[] = ['setData', 'getData', 'create', 'mix', 'watches'];
const TOPOLOGIES: readonly Topology[] = ['standalone', 'ensemble'];
const OPEN = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

interface Options {
  vs: boolean;
  rounds: number;
  warmupMs: number;
  measureMs: number;
  /** Znodes on disk for the restart figure. */
  znodes: number;
  out: string | null;
}

function parse(args: readonly string[]): Options {
  const o: Options = { vs: false, rounds: 3, warmupMs: 2000, measureMs: 5000, znodes: 1_000_000, out: join(ROOT, 'BENCHMARKS.md') };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--vs') {
      if (args[++i] !== 'apache') throw new Error('--vs takes apache');
      o.vs = true;
    } else if (a === '--smoke') Object.assign(o, { rounds: 1, warmupMs: 200, measureMs: 600, znodes: 20_000, out: null });
    else if (a === '--rounds') o.rounds = Number(args[++i]);
    else if (a === '--measure-ms') o.measureMs = Number(args[++i]);
    else if (a === '--warmup-ms') o.warmupMs = Number(args[++i]);
    else if (a === '--znodes') o.znodes = Number(args[++i]);
    else if (a === '--out') o.out = args[++i] ?? null;
    else throw new Error(`unknown flag ${a} (flags: --vs apache --rounds N --warmup-ms MS --measure-ms MS --znodes N --smoke --out FILE)`);
  }
  if (!(o.rounds >= 1 && o.measureMs > 0 && o.warmupMs >= 0 && Number.isInteger(o.znodes) && o.znodes >= 1000)) {
    throw new Error('--rounds, --measure-ms, --warmup-ms must be positive, --znodes a whole number ≥ 1000');
  }
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

type Figures = Map<string, number[]>;
const key = (system: SystemName, topology: Topology, figure: string) => `${system}|${topology}|${figure}`;
function add(f: Figures, k: string, v: number): void {
  f.set(k, [...(f.get(k) ?? []), v]);
}

async function measure(system: SystemName, topology: Topology, o: Options, f: Figures, round: number, out: (s: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `zabkit-bench-${system}-`));
  // Fresh free ports each time: a killed leader's may still be held by the kernel (TIME_WAIT).
  const base = await freeBasePort(3);
  const t0 = Date.now();
  const sys = await startSystem(system, topology, dir, base);
  try {
    const ports = sys.members.map((m) => m.port);
    add(f, key(system, topology, 'start to first write (ms)'), await untilWrite(ports, t0, '/first-'));
    for (const w of WORKLOADS) {
      const r = await loadInChild('load-gen.ts', { ports, workload: w, sessions: 4, inflight: 32, valueBytes: 100, warmupMs: o.warmupMs, measureMs: o.measureMs, maxOps: 5_000_000, root: `/bench-${w}-${round}` });
      add(f, key(system, topology, `${w} ops/s`), r.opsPerSec);
      add(f, key(system, topology, `${w} p50 (ms)`), r.p50);
      add(f, key(system, topology, `${w} p99 (ms)`), r.p99);
      add(f, key(system, topology, `${w} p99.9 (ms)`), r.p999);
      out(`  round ${round} ${system} ${topology} ${w}: ${Math.round(r.opsPerSec)} ops/s, p50 ${r.p50.toFixed(2)} p99 ${r.p99.toFixed(2)} p99.9 ${r.p999.toFixed(2)} ms${r.errors ? `, ${r.errors} errors` : ''}`);
    }
    const rss = sys.members.map((m) => rssOf(m.pid)).filter((x) => !Number.isNaN(x));
    add(f, key(system, topology, 'RSS per server (MB)'), rss.reduce((a, b) => a + b, 0) / rss.length / 1e6);
    if (topology === 'ensemble') {
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
      const ms = await fillTree(s, dirs.get(s)!, await freeBasePort(1), o.znodes, wait);
      add(f, key(s, 'standalone', `fill ${label} znodes (ms)`), ms);
      out(`  ${s} standalone: ${label} znodes created in ${ms} ms`);
    }
    for (let round = 1; round <= o.rounds; round++) {
      for (const s of systems) {
        const ms = await restartOnce(s, dirs.get(s)!, await freeBasePort(1), o.znodes, wait);
        add(f, key(s, 'standalone', `restart with ${label} znodes (ms)`), ms);
        out(`  round ${round} ${s} standalone: restart with ${label} znodes ${ms} ms`);
      }
    }
  } finally {
    for (const d of dirs.values()) rmSync(d, { recursive: true, force: true });
  }
}

const fmt = (x: number) => (Number.isNaN(x) ? '–' : x >= 100 ? String(Math.round(x)) : x.toFixed(2));
const higherIsBetter = (figure: string) => figure.includes('ops/s');

/** Rows: figure, per system median and min–max, ratio zabkit / Apache. */
function table(f: Figures, systems: readonly SystemName[], topology: Topology): string[] {
  const figures = [...new Set([...f.keys()].filter((k) => k.split('|')[1] === topology).map((k) => k.split('|')[2]!))];
  const rows = [`| ${topology} | ${systems.map((s) => `${s} median (min–max)`).join(' | ')}${systems.length === 2 ? ' | zabkit / apache | better |' : ' |'}`];
  rows.push(`|---|${systems.map(() => '---').join('|')}|${systems.length === 2 ? '---|---|' : ''}`);
  for (const fig of figures) {
    const cells = systems.map((s) => {
      const xs = f.get(key(s, topology, fig)) ?? [];
      return xs.length ? `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})` : '–';
    });
    let tail = '';
    if (systems.length === 2) {
      const a = median(f.get(key('apache', topology, fig)) ?? [NaN]);
      const z = median(f.get(key('zabkit', topology, fig)) ?? [NaN]);
      const ratio = z / a;
      const zabkitBetter = higherIsBetter(fig) ? ratio >= 1 : ratio <= 1;
      tail = ` | ${fmt(ratio)} | ${zabkitBetter ? 'zabkit' : 'apache'} |`;
    } else tail = ' |';
    rows.push(`| ${fig} | ${cells.join(' | ')}${tail}`);
  }
  return rows;
}

/** Bars of throughput (log scale) and p99 per workload and topology, one colour per system. */
function svg(f: Figures, systems: readonly SystemName[]): string {
  const W = 900;
  const rowH = 22;
  const colour: Record<SystemName, string> = { apache: '#d9822b', zabkit: '#2b7bd9' };
  const lines: string[] = [];
  let y = 30;
  for (const [title, suffix, log] of [
    ['throughput (ops/s, log scale)', 'ops/s', true],
    ['p99 latency (ms)', 'p99 (ms)', false],
  ] as const) {
    lines.push(`<text x="10" y="${y}" font-size="14" font-weight="bold">${title}</text>`);
    y += 10;
    const values = [...f.entries()].filter(([k]) => k.split('|')[2]!.endsWith(suffix)).map(([, v]) => median(v));
    const max = Math.max(1, ...values);
    const scale = (v: number) => (log ? (Math.log10(Math.max(1, v)) / Math.log10(max)) * 560 : (v / max) * 560);
    for (const topology of TOPOLOGIES) {
      for (const w of WORKLOADS) {
        for (const s of systems) {
          const xs = f.get(key(s, topology, `${w} ${suffix}`));
          if (!xs) continue;
          const v = median(xs);
          y += rowH;
          lines.push(`<text x="10" y="${y + 14}" font-size="12">${topology} ${w} ${s}</text>`);
          lines.push(`<rect x="220" y="${y + 3}" width="${scale(v).toFixed(1)}" height="${rowH - 6}" fill="${colour[s]}"/>`);
          lines.push(`<text x="${(225 + scale(v)).toFixed(1)}" y="${y + 14}" font-size="11">${fmt(v)}</text>`);
        }
      }
    }
    y += 30;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${lines.join('\n')}\n</svg>\n`;
}

export async function benchEnsemble(args: readonly string[], out: (s: string) => void = console.log): Promise<Figures> {
  const o = parse(args);
  if (o.vs && !apacheInstalled()) throw new Error('Apache ZooKeeper is not installed: apt-get install zookeeper default-jre-headless (.ci/run does)');
  const systems: SystemName[] = o.vs ? ['apache', 'zabkit'] : ['zabkit'];
  const f: Figures = new Map();
  const started = Date.now();
  for (let round = 1; round <= o.rounds; round++) {
    for (const topology of TOPOLOGIES) for (const s of systems) await measure(s, topology, o, f, round, out);
  }
  await restarts(systems, o, f, out);
  const minutes = ((Date.now() - started) / 60000).toFixed(1);
  const tables = TOPOLOGIES.map((t) => table(f, systems, t).join('\n')).join('\n\n');
  out(`\n${tables}\n\n(${o.rounds} rounds, ${minutes} min)`);
  if (o.out) {
    let apacheVersion = '';
    if (o.vs) {
      const dir = mkdtempSync(join(tmpdir(), 'zabkit-bench-v-'));
      const sys = await startSystem('apache', 'standalone', dir, await freeBasePort(1));
      apacheVersion = (await versionOf('127.0.0.1', sys.members[0]!.port)) ?? '';
      await sys.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}${apacheVersion ? `, Apache ZooKeeper ${apacheVersion} (Debian, Java)` : ''}`;
    writeFileSync(
      o.out,
      [
        '# Benchmarks: zabkit and Apache ZooKeeper',
        '',
        `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}, by \`npm run bench:ensemble -- ${args.join(' ')}\` (${minutes} min).`,
        `Each system standalone and as a 3-server ensemble on 127.0.0.1 (tickTime 2000, fsync on, data on one disk), ${o.rounds} rounds alternating Apache and zabkit; load: a separate Node process, 4 sessions spread over the servers, 32 requests in flight each, 100-byte values, ${o.warmupMs} ms warm-up then ${o.measureMs} ms measured. Medians of the rounds, with the range; the ratio is zabkit / Apache (for latencies and times lower is better). watches: 1,000 watches set, then fired by 1,000 setData, in rounds (up to 50; those begun in the warm-up not measured); events/s, and each event's time from the round's first setData. Restart: a standalone server filled once with ${o.znodes.toLocaleString('en-US')} znodes (1,000 parents, 100-byte values, multis of 1,000 creates; Apache with a 4 GB heap), stopped, then started again once a round on that data; the time runs from starting the process to the first successful write, and counts only if every znode is back.`,
        '',
        tables,
        '',
        '![throughput and p99 per workload](BENCHMARKS.svg)',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dirname(o.out), 'BENCHMARKS.svg'), svg(f, systems));
    out(`wrote ${o.out} and BENCHMARKS.svg`);
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
