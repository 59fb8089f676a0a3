// One worker of the parallel search (model/parallel-check.ts): it keeps its share of the BFS
// frontier as live nodes, expands one level per command, and dedups against the shared table.
// A state's id is `local * workers + index`: the worker that first added it keeps its parent.
import type { MessagePort } from 'node:worker_threads';
import { deserialize, serialize } from 'node:v8';
import type { Deviation } from '../src/zab/index.ts';
import { actions, fingerprinter, initialNode, next, outOfBounds, Parents, reached, SOMETIMES, type Bounds, type Node } from './checker.ts';
import { checkInvariants } from './invariants.ts';
import { DONE, SharedFingerprintSet, STOP } from './shared-fingerprints.ts';

export interface WorkerData {
  readonly bounds: Bounds;
  readonly deviation: Deviation | null;
  readonly index: number;
  readonly workers: number;
  readonly control: SharedArrayBuffer;
  readonly table: SharedArrayBuffer;
  /** Per worker: transitions so far (written by that worker only; read for progress). */
  readonly progress: SharedArrayBuffer;
  readonly port: MessagePort;
}

export type Command =
  | { readonly cmd: 'level'; readonly depth: number; readonly limit: number }
  | { readonly cmd: 'resume'; readonly limit: number }
  | { readonly cmd: 'table'; readonly table: SharedArrayBuffer }
  | { readonly cmd: 'export'; readonly count: number }
  | { readonly cmd: 'import'; readonly nodes: Uint8Array; readonly ids: readonly number[] }
  | { readonly cmd: 'parent'; readonly local: number }
  | { readonly cmd: 'exit' };

export interface LevelReply {
  readonly status: 'done' | 'full';
  readonly frontier: number;
  readonly transitions: number;
  readonly maxDepth: number;
  /** Bit i: SOMETIMES[i] reached. */
  readonly sometimes: number;
  readonly parentBytes: number;
  /** Of this level's violating states, the one with the least fingerprint (a deterministic pick). */
  readonly violation: { readonly hi: number; readonly lo: number; readonly id: number; readonly inv: string; readonly detail: string } | null;
}

export type Reply =
  | LevelReply
  | { readonly status: 'ready' | 'ok' }
  | { readonly status: 'exported'; readonly nodes: Uint8Array; readonly ids: readonly number[] }
  | { readonly status: 'parent'; readonly parent: number; readonly action: number }
  | { readonly status: 'error'; readonly message: string };

interface Item {
  readonly node: Node;
  readonly id: number;
}

export class LevelWorker {
  private frontier: Item[] = [];
  private nextFrontier: Item[] = [];
  private head = 0;
  private depth = 0;
  private local = 0;
  private transitions = 0;
  private maxDepth = 0;
  private sometimes = 0;
  private violation: LevelReply['violation'] = null;
  private readonly parents = new Parents(true, 1 << 14); // parent ids interleave the workers'
  private readonly fp: (n: Node) => [number, number];
  private readonly progress: Float64Array;
  private table: SharedFingerprintSet;
  private readonly control: Int32Array;

  constructor(private readonly d: Omit<WorkerData, 'port'>) {
    this.fp = fingerprinter(d.bounds);
    this.control = new Int32Array(d.control);
    this.table = new SharedFingerprintSet(d.table, this.control);
    this.progress = new Float64Array(d.progress);
    if (d.index === 0) {
      // the root: the main thread has put its fingerprint in the table; it is state 0
      this.frontier.push({ node: initialNode(d.bounds, d.deviation ?? undefined), id: 0 });
      this.parents.set(0, -1, -1);
      this.local = 1;
    }
  }

  handle(c: Command): Reply {
    switch (c.cmd) {
      case 'level':
        this.depth = c.depth;
        this.violation = null;
        return this.expand(c.limit);
      case 'resume':
        return this.expand(c.limit);
      case 'table':
        this.table = new SharedFingerprintSet(c.table, this.control);
        return { status: 'ok' };
      case 'export': {
        // from the end: the rest of the frontier stays in order
        const out = this.frontier.splice(Math.max(this.head, this.frontier.length - c.count));
        return { status: 'exported', nodes: serialize(out.map((x) => x.node)), ids: out.map((x) => x.id) };
      }
      case 'import': {
        const nodes = deserialize(c.nodes) as Node[];
        nodes.forEach((node, i) => this.frontier.push({ node, id: c.ids[i]! }));
        return { status: 'ok' };
      }
      case 'parent':
        return { status: 'parent', parent: this.parents.parent[c.local]!, action: this.parents.action[c.local]! };
      case 'exit':
        return { status: 'ok' };
    }
  }

  /** Expands the rest of this level's frontier; pauses ('full') when the table passes `limit`. */
  private expand(limit: number): LevelReply {
    const { bounds, workers, index } = this.d;
    const depth = this.depth + 1;
    const frontier = this.frontier;
    while (this.head < frontier.length) {
      if (Atomics.load(this.control, STOP)) break;
      if (this.table.size > limit) return this.reply('full');
      const item = frontier[this.head++]!;
      if (this.depth >= bounds.maxDepth || outOfBounds(item.node, bounds)) continue;
      const acts = actions(item.node, bounds);
      for (let i = 0; i < acts.length; i++) {
        const child = next(item.node, acts[i]!);
        this.transitions++;
        if (child.world === item.node.world && child.used === item.node.used) continue; // no-op: pruned
        const [hi, lo] = this.fp(child);
        if (!this.table.add(hi, lo)) continue;
        const id = this.local * workers + index;
        this.parents.set(this.local++, item.id, i);
        if (depth > this.maxDepth) this.maxDepth = depth;
        const v = checkInvariants(child.world);
        if (v.length) {
          const best = this.violation;
          if (!best || hi < best.hi || (hi === best.hi && lo < best.lo)) this.violation = { hi, lo, id, inv: v[0]!.id, detail: v[0]!.detail };
          continue;
        }
        for (const s of reached(child)) this.sometimes |= 1 << SOMETIMES.indexOf(s);
        this.nextFrontier.push({ node: child, id });
      }
      this.progress[index] = this.transitions;
    }
    this.frontier = this.nextFrontier;
    this.nextFrontier = [];
    this.head = 0;
    return this.reply('done');
  }

  private reply(status: 'done' | 'full'): LevelReply {
    return {
      status,
      frontier: status === 'done' ? this.frontier.length : this.frontier.length - this.head,
      transitions: this.transitions,
      maxDepth: this.maxDepth,
      sometimes: this.sometimes,
      parentBytes: this.parents.bytes,
      violation: this.violation,
    };
  }
}

/** The worker's loop: one reply per command, then DONE is counted up and the main thread woken. */
export function serve(data: WorkerData): void {
  const control = new Int32Array(data.control);
  const answer = (r: Reply): void => {
    data.port.postMessage(r);
    Atomics.add(control, DONE, 1);
    Atomics.notify(control, DONE);
  };
  let w: LevelWorker;
  try {
    w = new LevelWorker(data);
  } catch (e) {
    Atomics.store(control, STOP, 1);
    answer({ status: 'error', message: String((e as Error).stack ?? e) });
    return;
  }
  data.port.on('message', (c: Command) => {
    let r: Reply;
    try {
      r = w.handle(c);
    } catch (e) {
      Atomics.store(control, STOP, 1);
      r = { status: 'error', message: String((e as Error).stack ?? e) };
    }
    answer(r);
    if (c.cmd === 'exit') data.port.close();
  });
  answer({ status: 'ready' });
}
