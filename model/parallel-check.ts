// The BFS of model/checker.ts on several cores. Each worker (model/check-worker.ts) holds its
// share of the frontier as live nodes and expands it one level at a time; all dedup against one
// lock-free table of fingerprints (model/shared-fingerprints.ts). Levels end at a barrier, so
// every state is found at its shortest depth: the distinct states and transitions of an exhausted
// search are the one-worker search's, and a counterexample is a shortest one. The main thread
// blocks between replies (Atomics.wait, receiveMessageOnPort), so the search stays synchronous.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { checkInvariants } from './invariants.ts';
import { actions, fingerprinter, initialNode, next, SOMETIMES, type CheckOptions, type Sometimes, type Summary } from './checker.ts';
import type { Command, LevelReply, Reply, WorkerData } from './check-worker.ts';
import { CONTROL_WORDS, DONE, SharedFingerprintSet } from './shared-fingerprints.ts';
import type { Action } from './world.ts';
import { PROJECT_ROOT } from '../src/shell/project-root.ts';

// Found from the package's root, not from this module: bundled into dist/cli, this code runs
// from there, while the boot file (which compiles the worker's TypeScript with tsx) stays in model/.
const WORKER_BOOT = join(PROJECT_ROOT, 'model', 'check-worker-boot.mjs');

export interface ParallelOptions extends CheckOptions {
  /** Worker threads (default: the machine's cores). */
  readonly workers?: number;
}

const LOAD = 0.75; // a level pauses for a bigger table past this fill
const STALL_MS = 600_000; // no reply and no transition for this long: a worker is lost

interface Handle {
  readonly worker: Worker;
  readonly port: MessagePort;
}

export function checkParallel(opts: ParallelOptions): Summary {
  const bounds = opts.bounds;
  const n = Math.max(1, opts.workers ?? availableParallelism());
  const started = performance.now();
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  const progress = new Float64Array(new SharedArrayBuffer(n * 8));
  let table = SharedFingerprintSet.create(1 << 16, control);
  const root = initialNode(bounds, opts.deviation);
  const [rh, rl] = fingerprinter(bounds)(root);
  table.add(rh, rl);
  let peakRss = process.memoryUsage().rss;
  const initial = checkInvariants(root.world);
  if (initial.length) return summary({ distinct: 1, transitions: 0, maxDepth: 0, exhausted: false, sometimes: 0, bytes: table.bytes, violation: { ...initial[0]!, path: [] } });

  const heapMb = Math.floor(getHeapStatistics().heap_size_limit / 1024 / 1024);
  const handles: Handle[] = [];
  const waitAll = (expected: number): void => {
    let last = progress.reduce((a, b) => a + b, 0);
    let quiet = performance.now();
    let lastProgress = performance.now();
    for (;;) {
      const done = Atomics.load(control, DONE);
      if (done >= expected) return;
      Atomics.wait(control, DONE, done, 500);
      const now = performance.now();
      const t = progress.reduce((a, b) => a + b, 0);
      if (t !== last) [last, quiet] = [t, now];
      else if (now - quiet > STALL_MS) throw new Error(`parallel check: no word from the workers for ${STALL_MS / 1000} s`);
      if (opts.onProgress && now - lastProgress > 500) {
        lastProgress = now;
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        opts.onProgress({ distinct: table.size, transitions: t, depth: depth + 1, queue: queued, seconds: (now - started) / 1000 });
      }
    }
  };
  /** Sends each worker its command (null: none) and waits for every answer. */
  const round = (cmds: readonly (Command | null)[]): Reply[] => {
    Atomics.store(control, DONE, 0);
    let expected = 0;
    cmds.forEach((c, i) => {
      if (c) {
        handles[i]!.port.postMessage(c);
        expected++;
      }
    });
    waitAll(expected);
    return cmds.map((c, i) => {
      if (!c) return { status: 'ok' } as const;
      const m = receiveMessageOnPort(handles[i]!.port)?.message as Reply | undefined;
      if (!m) throw new Error(`parallel check: worker ${i} counted its answer but sent none`);
      if (m.status === 'error') throw new Error(`parallel check: worker ${i}: ${m.message}`);
      return m;
    });
  };
  let depth = 0;
  let queued = 1; // the frontier the current level expands
  try {
    Atomics.store(control, DONE, 0);
    for (let index = 0; index < n; index++) {
      const { port1, port2 } = new MessageChannel();
      const data: WorkerData = { bounds, deviation: opts.deviation ?? null, index, workers: n, control: control.buffer as SharedArrayBuffer, table: table.buffer, progress: progress.buffer as SharedArrayBuffer, port: port2 };
      const worker = new Worker(WORKER_BOOT, {
        workerData: data,
        transferList: [port2],
        execArgv: [], // the boot file registers tsx itself
        resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 192 }, // the heap bench:check gives the main thread
      });
      worker.unref();
      handles.push({ worker, port: port1 });
    }
    waitAll(n);
    for (const [i, h] of handles.entries()) {
      const m = receiveMessageOnPort(h.port)?.message as Reply | undefined;
      if (m?.status !== 'ready') throw new Error(`parallel check: worker ${i} did not start: ${m && 'message' in m ? m.message : 'no answer'}`);
    }

    let sizes = [1, ...Array.from({ length: n - 1 }, () => 0)];
    let last: LevelReply[] = [];
    let stopped = false;
    for (; sizes.some((s) => s > 0); depth++) {
      rebalance(sizes, round);
      // start each level at most half full; a level that fills it further pauses to grow it
      while (table.size * 2 > table.capacity) table = resize(table.capacity * 2);
      let replies = round(handles.map(() => ({ cmd: 'level', depth, limit: Math.floor(table.capacity * LOAD) })));
      for (let guard = 0; replies.some((r) => r.status === 'full'); guard++) {
        if (guard > 40) throw new Error('parallel check: the fingerprint table cannot grow further');
        table = resize(table.capacity * 2);
        const limit = Math.floor(table.capacity * LOAD);
        const paused = replies;
        const resumed = round(paused.map((r): Command | null => (r.status === 'full' ? { cmd: 'resume', limit } : null)));
        replies = paused.map((r, i) => (r.status === 'full' ? resumed[i]! : r));
      }
      last = replies as LevelReply[];
      sizes = last.map((r) => r.frontier);
      queued = sizes.reduce((a, b) => a + b, 0);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      const v = pickViolation(last);
      if (v) {
        const path = pathTo(v.id, round, n, root, opts);
        return summary({ ...totals(last), exhausted: false, violation: { id: v.inv, detail: v.detail, path } });
      }
      if (opts.maxStates && table.size >= opts.maxStates) {
        stopped = true;
        break;
      }
      opts.onProgress?.({ distinct: table.size, transitions: totals(last).transitions, depth: depth + 1, queue: queued, seconds: (performance.now() - started) / 1000 });
    }
    return summary({ ...totals(last), exhausted: !stopped, violation: null });
  } finally {
    for (const h of handles) {
      h.port.close();
      void h.worker.terminate();
    }
  }

  function resize(capacity: number): SharedFingerprintSet {
    const t = table.grown(capacity);
    round(handles.map(() => ({ cmd: 'table', table: t.buffer })));
    return t;
  }

  function totals(rs: readonly LevelReply[]) {
    return {
      distinct: table.size,
      transitions: rs.reduce((a, r) => a + r.transitions, 0),
      maxDepth: rs.reduce((a, r) => Math.max(a, r.maxDepth), 0),
      sometimes: rs.reduce((a, r) => a | r.sometimes, 0),
      bytes: table.bytes + rs.reduce((a, r) => a + r.parentBytes, 0),
    };
  }

  function summary(r: { distinct: number; transitions: number; maxDepth: number; exhausted: boolean; sometimes: number; bytes: number; violation: Summary['violation'] }): Summary {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const seconds = (performance.now() - started) / 1000;
    const sometimes = Object.fromEntries(SOMETIMES.map((s, i) => [s, (r.sometimes & (1 << i)) !== 0])) as Record<Sometimes, boolean>;
    return {
      bounds,
      deviation: opts.deviation ?? null,
      strategy: 'bfs',
      distinct: r.distinct,
      transitions: r.transitions,
      maxDepth: r.maxDepth,
      seconds,
      statesPerSecond: r.distinct / Math.max(seconds, 1e-9),
      exhausted: r.exhausted,
      sometimes,
      fingerprintBytes: r.bytes,
      peakRssBytes: peakRss,
      violation: r.violation,
    };
  }
}

/** The level's violation with the least fingerprint over all workers: the same state every run. */
function pickViolation(rs: readonly LevelReply[]): LevelReply['violation'] {
  let best: LevelReply['violation'] = null;
  for (const r of rs) {
    const v = r.violation;
    if (v && (!best || v.hi < best.hi || (v.hi === best.hi && v.lo < best.lo))) best = v;
  }
  return best;
}

/**
 * Evens out the frontiers between levels: the largest share gives half its surplus to the
 * smallest, as serialized nodes (they lose their cached part hashes, nothing else). At most one
 * move per worker per level; small differences are left alone.
 */
function rebalance(sizes: number[], round: (cmds: readonly (Command | null)[]) => Reply[]): void {
  for (let moves = 0; moves < sizes.length; moves++) {
    const total = sizes.reduce((a, b) => a + b, 0);
    let hi = 0;
    let lo = 0;
    sizes.forEach((s, i) => {
      if (s > sizes[hi]!) hi = i;
      if (s < sizes[lo]!) lo = i;
    });
    const gap = sizes[hi]! - sizes[lo]!;
    if (gap <= 8 + (0.1 * total) / sizes.length) return;
    const count = Math.floor(gap / 2);
    const out = round(sizes.map((_, i) => (i === hi ? { cmd: 'export', count } : null)))[hi]!;
    if (out.status !== 'exported') throw new Error('parallel check: a worker did not export');
    round(sizes.map((_, i) => (i === lo ? { cmd: 'import', nodes: out.nodes, ids: out.ids } : null)));
    if (process.env.ZABKIT_CHECK_DEBUG) process.stderr.write(`rebalance: ${out.ids.length} of ${total} (${sizes.join('/')})\n`);
    sizes[hi]! -= out.ids.length;
    sizes[lo]! += out.ids.length;
  }
}

/** Follows parent ids back to the root, asking each state's worker, and replays the action indices. */
function pathTo(id: number, round: (cmds: readonly (Command | null)[]) => Reply[], n: number, root: ReturnType<typeof initialNode>, opts: CheckOptions): Action<number>[] {
  const indices: number[] = [];
  for (let at = id, steps = 0; at > 0; steps++) {
    if (steps > opts.bounds.maxDepth + 1) throw new Error('parallel check: a parent chain longer than the depth bound');
    const w = at % n;
    const r = round(Array.from({ length: n }, (_, i) => (i === w ? { cmd: 'parent', local: Math.floor(at / n) } : null)))[w]!;
    if (r.status !== 'parent') throw new Error('parallel check: a worker did not give a parent');
    indices.push(r.action);
    at = r.parent;
  }
  indices.reverse();
  const path: Action<number>[] = [];
  let node = root;
  for (const i of indices) {
    const a = actions(node, opts.bounds)[i]!;
    path.push(a);
    node = next(node, a);
  }
  return path;
}
