// `npm run bench:client [-- --vs apache] [--rounds N] [--measure-ms MS] [--smoke]`: the same load
// through zabkit/client and through node-zookeeper-client against the same standalone server
// (zabkit's; with --vs apache, Apache's too), each library in a process of its own, rounds
// alternating which library goes first. Prints ops/s and latency medians and the ratio zabkit /
// node-zookeeper-client per figure.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apacheInstalled } from '../conformance/apache.ts';
import { freeBasePort } from '../conformance/launch.ts';
import type { ClientWorkload, Library } from './client-load.ts';
import { loadInChild, median, type LoadResult } from './load-gen.ts';
import { startSystem, type SystemName } from './systems.ts';

const WORKLOADS: readonly ClientWorkload[] = ['getData', 'setData', 'create'];
const LIBRARIES: readonly Library[] = ['zabkit', 'node-zookeeper-client'];

function parse(args: readonly string[]) {
  const o = { vs: false, rounds: 5, warmupMs: 1000, measureMs: 4000, sessions: 4, inflight: 32 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--vs') {
      if (args[++i] !== 'apache') throw new Error('--vs takes apache');
      o.vs = true;
    } else if (a === '--rounds') o.rounds = Number(args[++i]);
    else if (a === '--measure-ms') o.measureMs = Number(args[++i]);
    else if (a === '--smoke') Object.assign(o, { rounds: 1, warmupMs: 100, measureMs: 500 });
    else throw new Error(`unknown flag ${a} (flags: --vs apache --rounds N --measure-ms MS --smoke)`);
  }
  if (!(Number.isInteger(o.rounds) && o.rounds >= 1 && o.measureMs > 0)) throw new Error('--rounds and --measure-ms must be positive');
  return o;
}


/** The figures: `server|workload|library` → [ops/s medians…, p99 medians…] and the printed table. */
export async function main(args: readonly string[]): Promise<{ figures: Map<string, { opsPerSec: number; p99: number }>; table: string[] }> {
  const figures = new Map<string, { opsPerSec: number; p99: number }>();
  const o = parse(args);
  const servers: SystemName[] = o.vs && apacheInstalled() ? ['zabkit', 'apache'] : ['zabkit'];
  const rows: string[] = [];
  let run = 0;
  for (const server of servers) {
    const dir = mkdtempSync(join(tmpdir(), `zabkit-bench-client-${server}-`));
    const sys = await startSystem(server, 'standalone', dir, await freeBasePort(1));
    try {
      const connect = `127.0.0.1:${sys.members[0]!.port}`;
      const results = new Map<string, LoadResult[]>();
      // Round 0 warms the server up (its JIT, its first snapshots) and is not counted.
      for (let round = o.rounds > 1 ? 0 : 1; round <= o.rounds; round++) {
        for (const workload of WORKLOADS) {
          const order = round % 2 ? [...LIBRARIES].reverse() : LIBRARIES;
          for (const library of order) {
            const r = await loadInChild('client-load.ts', { library, connect, workload, sessions: o.sessions, inflight: o.inflight, valueBytes: 100, warmupMs: o.warmupMs, measureMs: round === 0 ? 1000 : o.measureMs, root: `/bench-${++run}` });
            if (round === 0) continue;
            const key = `${workload}|${library}`;
            results.set(key, [...(results.get(key) ?? []), r]);
            console.error(`${server} round ${round} ${workload} ${library}: ${Math.round(r.opsPerSec)} ops/s, p99 ${r.p99.toFixed(2)} ms${r.errors ? `, ${r.errors} errors` : ''}`);
          }
        }
      }
      for (const workload of WORKLOADS) {
        const [z, n] = LIBRARIES.map((l) => results.get(`${workload}|${l}`)!);
        const fig = (rs: LoadResult[], f: (r: LoadResult) => number) => median(rs.map(f));
        const zo = fig(z!, (r) => r.opsPerSec);
        const no = fig(n!, (r) => r.opsPerSec);
        const zp = fig(z!, (r) => r.p99);
        const np = fig(n!, (r) => r.p99);
        figures.set(`${server}|${workload}|zabkit`, { opsPerSec: zo, p99: zp });
        figures.set(`${server}|${workload}|node-zookeeper-client`, { opsPerSec: no, p99: np });
        rows.push(`| ${server} | ${workload} | ${Math.round(zo)} | ${Math.round(no)} | **${(zo / no).toFixed(2)}×** | ${zp.toFixed(2)} | ${np.toFixed(2)} | **${(zp / np).toFixed(2)}×** |`);
      }
    } finally {
      await sys.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const table = [
    `Each library in its own process: ${o.sessions} sessions × ${o.inflight} calls in flight, 100-byte values, ${o.rounds} rounds of ${o.measureMs / 1000} s after a warm-up round (medians; rounds alternate which library goes first).`,
    '',
    '| server | workload | zabkit/client ops/s | node-zookeeper-client ops/s | ratio | zabkit/client p99 ms | node-zookeeper-client p99 ms | ratio |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ];
  return { figures, table };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (r) => {
      console.log(r.table.join('\n'));
      process.exit(0);
    },
    (e: Error) => {
      console.error(`bench:client: ${e.message}`);
      process.exit(1);
    },
  );
}
