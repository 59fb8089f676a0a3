// One library's load, for `npm run bench:client`: `sessions` sessions, each keeping `inflight`
// calls outstanding through the library's public API, a warm-up, then a measured window. Creates
// are ephemeral, so they leave with the sessions: the server's tree does not grow from run to
// run, and no run pays for the size the runs before it left (a growing tree made the order matter).
// Argument: one JSON object (ClientLoadSpec); prints one JSON line (LoadResult).
import zookeeper, { type Client } from 'node-zookeeper-client';
import { connect } from '../src/client/index.ts';
import type { LoadResult } from './load-gen.ts';

export type Library = 'zabkit' | 'node-zookeeper-client';
export type ClientWorkload = 'getData' | 'setData' | 'create';

export interface ClientLoadSpec {
  readonly library: Library;
  readonly connect: string;
  readonly workload: ClientWorkload;
  readonly sessions: number;
  readonly inflight: number;
  readonly valueBytes: number;
  readonly warmupMs: number;
  readonly measureMs: number;
  readonly root: string;
}

/** A call as a promise, whatever the library: resolves with whether it succeeded. */
type Call = (path: string) => Promise<boolean>;

async function sessionsOf(spec: ClientLoadSpec, value: Buffer): Promise<{ calls: Call[]; close: () => Promise<void> }> {
  if (spec.library === 'zabkit') {
    const cs = await Promise.all(Array.from({ length: spec.sessions }, () => connect(spec.connect, { sessionTimeout: 30000 })));
    const calls = cs.map((c): Call => {
      switch (spec.workload) {
        case 'getData':
          return (p) => c.getData(p).then(() => true, () => false);
        case 'setData':
          return (p) => c.setData(p, value).then(() => true, () => false);
        case 'create':
          return (p) => c.create(`${p}-`, value, { mode: 'ephemeralSequential' }).then(() => true, () => false);
      }
    });
    return { calls, close: async () => void (await Promise.all(cs.map((c) => c.close()))) };
  }
  const cs = await Promise.all(
    Array.from(
      { length: spec.sessions },
      () =>
        new Promise<Client>((resolve, reject) => {
          const c = zookeeper.createClient(spec.connect, { sessionTimeout: 30000, retries: 0 });
          const t = setTimeout(() => reject(new Error('node-zookeeper-client did not connect')), 30000);
          c.once('connected', () => (clearTimeout(t), resolve(c)));
          c.connect();
        }),
    ),
  );
  const calls = cs.map((c): Call => {
    const done = (resolve: (ok: boolean) => void) => (err: unknown) => resolve(!err);
    switch (spec.workload) {
      case 'getData':
        return (p) => new Promise((r) => c.getData(p, undefined, done(r)));
      case 'setData':
        return (p) => new Promise((r) => c.setData(p, value, -1, done(r)));
      case 'create':
        return (p) => new Promise((r) => c.create(`${p}-`, value, zookeeper.ACL.OPEN_ACL_UNSAFE, zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL, done(r)));
    }
  });
  return { calls, close: async () => cs.forEach((c) => c.close()) };
}

const percentile = (sorted: Float64Array, p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : NaN);

export async function runClientLoad(spec: ClientLoadSpec): Promise<LoadResult> {
  const value = Buffer.alloc(spec.valueBytes, 120);
  // The nodes, made by zabkit's client for both libraries (the set-up is not measured).
  const setup = await connect(spec.connect, { sessionTimeout: 30000 });
  await setup.create(spec.root);
  for (let k = 0; k < spec.sessions; k++) await setup.create(`${spec.root}/n${k}`, value);
  await setup.close();
  const { calls, close } = await sessionsOf(spec, value);
  const measureFrom = performance.now() + spec.warmupMs;
  const end = measureFrom + spec.measureMs;
  const latencies: number[] = [];
  let ops = 0;
  let errors = 0;
  await Promise.all(
    calls.flatMap((call, k) =>
      Array.from({ length: spec.inflight }, async () => {
        const path = spec.workload === 'create' ? `${spec.root}/n${k}/q` : `${spec.root}/n${k}`;
        while (performance.now() < end) {
          const t0 = performance.now();
          const ok = await call(path);
          const t1 = performance.now();
          if (t0 >= measureFrom && t1 <= end) {
            ops++;
            latencies.push(t1 - t0);
            if (!ok) errors++;
          }
        }
      }),
    ),
  );
  await close();
  const seconds = spec.measureMs / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return { workload: spec.workload as LoadResult['workload'], ops, seconds, opsPerSec: ops / seconds, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), p999: percentile(sorted, 0.999), errors };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runClientLoad(JSON.parse(process.argv[2]!) as ClientLoadSpec).then(
    (r) => {
      console.log(JSON.stringify(r));
      process.exit(0);
    },
    (e: Error) => {
      console.error(e.stack ?? e.message);
      process.exit(1);
    },
  );
}
