// The load generator of `npm run bench:ensemble`, run as its own process so that it never shares
// a CPU's event loop with the server it measures. Sessions are spread over the given client
// ports; each keeps N requests in flight (replies come back in order per session, so a queue of
// send times gives every latency). A warm-up, then a measured window, bounded in time and count.
// Argument: one JSON object (LoadSpec); prints one JSON line (LoadResult).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { RawClient } from '../conformance/raw-client.ts';
import { openWindow, type WindowCost } from './proc-stats.ts';

/**
 * A load generator (bench/<script>) in a child process, so its CPU is not the server's event loop
 * nor ours: the spec goes as its argument, the result is its last line of output (JSON).
 */
export function loadInChild<S extends { readonly warmupMs: number; readonly measureMs: number }>(script: string, spec: S): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, script), JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), spec.warmupMs + spec.measureMs + 120_000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').at(-1)!) as LoadResult);
      else reject(new Error(`${script} exited ${code}: ${err.slice(-2000)}`));
    });
  });
}

export type Workload = 'setData' | 'getData' | 'create' | 'mix' | 'watches';

export interface LoadSpec {
  readonly ports: readonly number[];
  readonly workload: Workload;
  readonly sessions: number;
  readonly inflight: number;
  readonly valueBytes: number;
  readonly warmupMs: number;
  readonly measureMs: number;
  /** Stop the window early once this many ops completed. */
  readonly maxOps: number;
  /** A fresh name per run, so runs on one server do not collide. */
  readonly root: string;
  /**
   * Each server's pids: their CPU and memory are read here, at the very moments the measured
   * window opens and closes (the ops counted are those of that window).
   */
  readonly servers?: readonly (readonly number[])[];
}

/** The median (mean of the middle two for an even count). */
export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export interface LoadResult {
  readonly workload: Workload;
  readonly ops: number;
  readonly seconds: number;
  readonly opsPerSec: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly errors: number;
  /** CPU milliseconds all the servers spent in the measured window (with `servers`). */
  readonly serverCpuMs?: number;
  /** Per server, its most resident memory sampled in the window, bytes (with `servers`). */
  readonly serverRssMax?: readonly number[];
}

/** Reads the servers' cost over a window, if asked to. */
function costWindow(spec: LoadSpec): { open(): void; close(): WindowCost | null } {
  let w: ReturnType<typeof openWindow> | null = null;
  return {
    open: () => void (spec.servers && !w && (w = openWindow(spec.servers))),
    close: () => w?.close() ?? null,
  };
}

const withCost = (r: LoadResult, cost: WindowCost | null): LoadResult => (cost ? { ...r, serverCpuMs: cost.cpuMs, serverRssMax: cost.rssMax } : r);

const OPEN = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

async function call(c: RawClient, xid: number, req: Parameters<RawClient['send']>[1]): Promise<number> {
  c.send(xid, req);
  for (;;) {
    const r = await c.reply(30000);
    if (!r) throw new Error('connection closed');
    if (r.xid === xid) return r.err;
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const clients = await Promise.all(Array.from({ length: spec.sessions }, (_, k) => RawClient.session(spec.ports[k % spec.ports.length]!, { timeout: 30000 })));
  const value = new Uint8Array(spec.valueBytes).fill(120);
  const c0 = clients[0]!;
  let xid0 = 1000;
  await call(c0, ++xid0, { op: 'create', path: spec.root, data: null, acl: OPEN, flags: 0 });
  // One node per session to read and write (no version conflicts, no hot spot), created and synced.
  for (let k = 0; k < spec.sessions; k++) await call(c0, ++xid0, { op: 'create', path: `${spec.root}/n${k}`, data: value, acl: OPEN, flags: 0 });
  await Promise.all(clients.map((c, k) => call(c, ++xid0 + k, { op: 'sync', path: spec.root })));

  const start = Date.now();
  const measureFrom = start + spec.warmupMs;
  const end = measureFrom + spec.measureMs;
  const latencies: number[] = [];
  let ops = 0;
  let errors = 0;
  let last = measureFrom;
  // The servers' cost over the same window as the ops: open at measureFrom, closed at its end or
  // once maxOps are in.
  const cost = costWindow(spec);
  const opening = setTimeout(cost.open, spec.warmupMs);
  const closing = setTimeout(cost.close, spec.warmupMs + spec.measureMs);
  await Promise.all(
    clients.map(async (c, k) => {
      const sent: number[] = [];
      let xid = 0;
      let n = 0;
      const node = `${spec.root}/n${k}`;
      const next = (): Parameters<RawClient['send']>[1] => {
        n++;
        switch (spec.workload) {
          case 'setData':
            return { op: 'setData', path: node, data: value, version: -1 };
          case 'getData':
            return { op: 'getData', path: node, watch: false };
          case 'create':
            return { op: 'create', path: `${spec.root}/q-`, data: value, acl: OPEN, flags: 2 };
          case 'mix':
            return n % 10 === 0 ? { op: 'setData', path: node, data: value, version: -1 } : { op: 'getData', path: node, watch: false };
          case 'watches':
            throw new Error('the watches workload has its own driver');
        }
      };
      const open = () => Date.now() < end && ops < spec.maxOps;
      const fill = () => {
        while (sent.length < spec.inflight && open()) {
          sent.push(performance.now());
          c.send(++xid, next());
        }
      };
      fill();
      while (sent.length > 0) {
        const r = await c.reply(30000);
        if (!r) throw new Error('connection closed under load');
        if (r.xid < 0) continue; // a notification or ping
        const t0 = sent.shift()!;
        const now = Date.now();
        if (now >= measureFrom && now <= end) {
          if (ops === 0) cost.open(); // (should the timer be late)
          ops++;
          last = now;
          if (ops >= spec.maxOps) cost.close();
          latencies.push(performance.now() - t0);
          if (r.err !== 0) errors++;
        }
        fill();
      }
    }),
  );
  clearTimeout(opening);
  clearTimeout(closing);
  const spent = cost.close();
  for (const c of clients) c.close();
  const seconds = Math.max(0.001, (Math.min(last, end) - measureFrom) / 1000);
  const sorted = Float64Array.from(latencies).sort();
  return withCost({ workload: spec.workload, ops, seconds, opsPerSec: ops / seconds, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), p999: percentile(sorted, 0.999), errors }, spent);
}

/** The watches workload: every session watches its own nodes (1,000 watches in all), one writer fires them; events per second. */
export async function runWatches(spec: LoadSpec, watches = 1000): Promise<LoadResult> {
  const clients = await Promise.all(Array.from({ length: spec.sessions }, (_, k) => RawClient.session(spec.ports[k % spec.ports.length]!, { timeout: 30000 })));
  const writer = clients[0]!;
  let xid = 1;
  await call(writer, ++xid, { op: 'create', path: spec.root, data: null, acl: OPEN, flags: 0 });
  for (let i = 0; i < watches; i++) writer.send(++xid, { op: 'create', path: `${spec.root}/w${i}`, data: null, acl: OPEN, flags: 0 });
  for (let i = 0; i < watches; i++) await writer.reply(30000);
  // Rounds that start within the warm-up are not measured (neither their rate nor their
  // latencies), as the other workloads' warm-up; at least one round always is.
  const rounds: { seconds: number; latencies: number[]; warmup: boolean }[] = [];
  const warmEnd = Date.now() + spec.warmupMs;
  const deadline = warmEnd + spec.measureMs;
  let round = 0;
  // The servers' cost from the first measured round's watch registrations to the last event.
  const cost = costWindow(spec);
  while ((Date.now() < deadline || rounds.every((r) => r.warmup)) && round < 50) {
    round++;
    const warmup = Date.now() < warmEnd && round < 50;
    if (!warmup) cost.open();
    const latencies: number[] = [];
    // Each session watches its share of the nodes (exists with watch), after a sync on its server.
    await Promise.all(
      clients.map(async (c, k) => {
        let x = 1_000_000 * round;
        await call(c, ++x, { op: 'sync', path: spec.root });
        let pending = 0;
        for (let i = k; i < watches; i += clients.length) {
          c.send(++x, { op: 'exists', path: `${spec.root}/w${i}`, watch: true });
          pending++;
        }
        // Only this round's exists replies count (the writer may still hold last round's setData replies).
        while (pending > 0) if (((await c.reply(30000))?.xid ?? 0) > 1_000_000 * round) pending--;
      }),
    );
    const t0 = performance.now();
    const heard = Promise.all(
      clients.map(async (c, k) => {
        let want = Math.ceil((watches - k) / clients.length);
        while (want > 0) {
          const r = await c.reply(30000);
          if (r?.xid === -1) {
            want--;
            latencies.push(performance.now() - t0);
          }
        }
      }),
    );
    for (let i = 0; i < watches; i++) writer.send(++xid, { op: 'setData', path: `${spec.root}/w${i}`, data: new Uint8Array(spec.valueBytes), version: -1 });
    await heard;
    rounds.push({ seconds: (performance.now() - t0) / 1000, latencies, warmup });
    // The writer's own replies (it is session 0, which also watched) were read above as non-events.
  }
  const spent = cost.close();
  for (const c of clients) c.close();
  const measured = rounds.filter((r) => !r.warmup);
  const seconds = measured.reduce((a, r) => a + r.seconds, 0);
  const ops = measured.length * watches;
  const sorted = Float64Array.from(measured.flatMap((r) => r.latencies)).sort();
  return withCost({ workload: 'watches', ops, seconds, opsPerSec: ops / seconds, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), p999: percentile(sorted, 0.999), errors: 0 }, spent);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const spec = JSON.parse(process.argv[2]!) as LoadSpec;
  const r = spec.workload === 'watches' ? await runWatches(spec) : await runLoad(spec);
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
}
