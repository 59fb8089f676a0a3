// `npm run bench:snapshot`: does writing a big snapshot stall a server's event loop? A standalone
// zabkit server is filled with `--znodes` znodes (bench/restart.ts's fill: 1,000 parents, 100-byte
// values), then put under a closed-loop setData load (4 sessions × 8 in flight). Its snapCount
// lets the load's first `--baseline` writes go by without a snapshot (the baseline window), then
// the next one compacts the whole tree under the same load (the snapshot window: from the reply
// to the txn that triggers it to the server's "snapshot written" line). For each window: the server's
// event-loop delay as it measures it itself (mntr's zabkit_event_loop_delay_max_ms/_p99_ms,
// reset by srst at the window's start) and the clients' latencies of requests sent in it.
//   --znodes N (1,000,000)  --baseline W (20,000 writes)  --json  --server-log FILE (its output, kept)
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../conformance/launch.ts';
import { RawClient } from '../conformance/raw-client.ts';
import { askWord } from '../src/shell/ensemble.ts';
import { fill } from './restart.ts';

const SESSIONS = 4;
const IN_FLIGHT = 8;
const VALUE = new Uint8Array(100).fill(121);

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every `everyMs` until it holds; false after `limitMs`. */
async function until(cond: () => boolean, limitMs: number, everyMs = 2): Promise<boolean> {
  for (const end = Date.now() + limitMs; Date.now() < end; ) {
    if (cond()) return true;
    await sleep(everyMs);
  }
  return cond();
}

/** A closed loop of setData: each request's send time and latency (ms, performance.now). */
class Load {
  readonly sent: number[] = [];
  readonly latency: number[] = [];
  /** The highest zxid counter a reply carried (the txns committed so far, in this epoch). */
  counter = 0;
  errors = 0;
  private running = true;
  private readonly loops: Promise<void>[] = [];

  constructor(clients: readonly RawClient[]) {
    clients.forEach((c, k) => this.loops.push(this.run(c, `/r/p${k}`)));
  }

  private async run(c: RawClient, path: string): Promise<void> {
    const at = new Map<number, number>();
    let xid = 0;
    const send = () => {
      at.set(++xid, performance.now());
      c.send(xid, { op: 'setData', path, data: VALUE, version: -1 });
    };
    for (let i = 0; i < IN_FLIGHT; i++) send();
    while (this.running || at.size > 0) {
      const r = await c.reply(30_000);
      if (!r) throw new Error('load: connection closed or silent for 30 s');
      const t0 = at.get(r.xid);
      if (t0 === undefined) continue; // a notification or ping
      at.delete(r.xid);
      this.sent.push(t0);
      this.latency.push(performance.now() - t0);
      if (r.err !== 0) this.errors++;
      this.counter = Math.max(this.counter, Number(r.zxid & 0xffffffffn));
      if (this.running) send();
    }
  }

  get acknowledged(): number {
    return this.latency.length;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Latencies of the requests sent in [from, to): count, max, p99 (ms). */
  window(from: number, to: number): { count: number; max: number; p99: number } {
    const xs = this.latency.filter((_, i) => this.sent[i]! >= from && this.sent[i]! < to).sort((a, b) => a - b);
    return { count: xs.length, max: xs.at(-1) ?? NaN, p99: xs[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))] ?? NaN };
  }
}

/** The server's own event-loop delay since the last srst: max and p99 (ms). */
async function loopDelay(port: number): Promise<{ max: number; p99: number }> {
  const text = await askWord('127.0.0.1', port, 'mntr', 60_000); // mntr walks the whole tree (approximate_data_size)
  const get = (k: string) => Number(new RegExp(`${k}\\t([\\d.Ee+-]+)`).exec(text)?.[1] ?? NaN);
  const ms = (x: number) => Math.round(x * 10) / 10;
  return { max: ms(get('zabkit_event_loop_delay_max_ms')), p99: ms(get('zabkit_event_loop_delay_p99_ms')) };
}

const reset = (port: number) => askWord('127.0.0.1', port, 'srst', 60_000);

async function main(): Promise<void> {
  const znodes = option('znodes', 1_000_000);
  const baseline = option('baseline', 20_000);
  // The fill's txns: its session, and its multis of 1,000 creates (the parents' two first).
  const fillTxns = 2 + Math.ceil((znodes + 1) / 1000) + 1;
  const dir = mkdtempSync(join(tmpdir(), 'zabkit-bench-snapshot-'));
  const out = (s: string) => process.stderr.write(`${s}\n`);
  const snapCount = fillTxns + baseline;
  const server = await startServer(join(dir, 'zabkit'), ['--snap-count', String(snapCount)], 120_000);
  const snapDir = join(dir, 'zabkit', 'version-2');
  const written = () => (server.logs().match(/"msg":"snapshot written"/g) ?? []).length;
  try {
    const t = Date.now();
    await fill(server.port, znodes);
    out(`filled ${znodes.toLocaleString('en-US')} znodes in ${Date.now() - t} ms`);
    await loopDelay(server.port); // starts the server's monitor
    const before = written();
    const clients = await Promise.all(Array.from({ length: SESSIONS }, () => RawClient.session(server.port, { timeout: 30_000 })));
    const load = new Load(clients);
    // PERSIST-6: the next snapshot is taken once snapCount txns follow the newest one on disk
    // (the one every fresh start takes, PERSIST-10). Its file's name is its zxid.
    const newest = readdirSync(snapDir).filter((f) => /^snapshot\.[0-9a-f]{16}$/.test(f)).sort().at(-1);
    if (!newest) throw new Error(`no snapshot in ${snapDir}`);
    const trigger = (parseInt(newest.slice('snapshot.'.length), 16) % 2 ** 32) + snapCount;
    // Baseline: from a second into the load until half its writes are done, well before the
    // snapshot. mntr walks the whole tree (a stall of its own): it is asked only at the end of a
    // window (the gauge is read before that stall is measured), and srst starts the next one.
    await sleep(1000);
    await reset(server.port);
    const b0 = performance.now();
    if (!(await until(() => load.counter >= trigger - baseline / 2, 600_000))) throw new Error('the load stalled');
    const b1 = performance.now();
    if (written() > before) throw new Error('the snapshot began within the baseline window: a larger --baseline');
    const base = await loopDelay(server.port);
    // The snapshot window: from the txn that triggers it being acknowledged.
    if (!(await until(() => load.counter >= trigger, 600_000, 1))) throw new Error('the load stalled');
    await reset(server.port);
    const s0 = performance.now();
    if (!(await until(() => written() > before, 600_000, 5))) throw new Error('the snapshot did not finish within 10 minutes');
    const s1 = performance.now();
    const snap = await loopDelay(server.port);
    await load.stop();
    for (const c of clients) c.close();
    const bw = load.window(b0, b1);
    const sw = load.window(s0, s1);
    const result = {
      znodes,
      baseline: { seconds: +((b1 - b0) / 1000).toFixed(1), writesPerSec: Math.round(bw.count / ((b1 - b0) / 1000)), serverLoopDelayMaxMs: base.max, serverLoopDelayP99Ms: base.p99, clientMaxMs: +bw.max.toFixed(1), clientP99Ms: +bw.p99.toFixed(1) },
      snapshot: { seconds: +((s1 - s0) / 1000).toFixed(1), writesPerSec: Math.round(sw.count / ((s1 - s0) / 1000)), serverLoopDelayMaxMs: snap.max, serverLoopDelayP99Ms: snap.p99, clientMaxMs: +sw.max.toFixed(1), clientP99Ms: +sw.p99.toFixed(1) },
      errors: load.errors,
    };
    if (process.argv.includes('--json')) console.log(JSON.stringify(result));
    else {
      for (const [name, w] of [['baseline (no snapshot)', result.baseline], [`snapshot of ${znodes.toLocaleString('en-US')} znodes`, result.snapshot]] as const) {
        console.log(`${name.padEnd(32)} ${String(w.seconds).padStart(6)} s  ${String(w.writesPerSec).padStart(6)} writes/s  server event-loop delay max ${w.serverLoopDelayMaxMs} ms, p99 ${w.serverLoopDelayP99Ms} ms  client latency max ${w.clientMaxMs} ms, p99 ${w.clientP99Ms} ms`);
      }
      if (load.errors) console.log(`${load.errors} writes failed`);
    }
  } finally {
    await server.stop();
    const keep = process.argv.indexOf('--server-log');
    if (keep >= 0) writeFileSync(process.argv[keep + 1]!, server.logs());
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
