// The interactive explorer of the model (`zabkit explore --model [check flags]`), as Stateright's
// Explorer: a path of the checker's actions from its initial state, the actions enabled at the end
// of it (the checker's own `actions`, within the same bounds), back and forward, and a bounded
// breadth-first search from the current state to a violation or a sometimes-property, whose path
// is appended to step through. The page draws the path as a run: the checker's trace of it
// (traceOf), replayed like any other (exploreRun); that trace is what `zabkit replay` accepts.
import { orderRun } from '../conformance/replay.ts';
import { FingerprintSet } from '../model/fingerprint.ts';
import { actions, fingerprinter, initialNode, next, reached, SOMETIMES, type Bounds, type Node, type Sometimes } from '../model/checker.ts';
import { describeAction } from '../model/counterexample.ts';
import { checkInvariants } from '../model/invariants.ts';
import { toNdjson, traceOf } from '../model/trace.ts';
import type { Action } from '../model/world.ts';
import type { Deviation } from '../src/zab/index.ts';
import { exploreRun, type ExploreRun } from './run.ts';

export type SearchTarget = 'violation' | Sometimes;
export const SEARCH_TARGETS: readonly SearchTarget[] = ['violation', ...SOMETIMES];

export interface ModelView {
  /** The path so far, one line per action. */
  readonly path: readonly string[];
  /** What may happen next, in the checker's order. */
  readonly actions: readonly string[];
  readonly canBack: boolean;
  readonly canForward: boolean;
  readonly targets: readonly SearchTarget[];
  /** The last search's outcome, if any. */
  readonly searched: string | null;
}

export class ModelSession {
  private readonly root: Node;
  private path: Action<number>[] = [];
  /** Actions undone by `back`, for `forward`. */
  private undone: Action<number>[] = [];
  private nodes: Node[];
  private searched: string | null = null;

  constructor(
    readonly bounds: Bounds,
    readonly deviation?: Deviation,
  ) {
    this.root = initialNode(bounds, deviation);
    this.nodes = [this.root];
  }

  get node(): Node {
    return this.nodes[this.nodes.length - 1]!;
  }

  enabled(): Action<number>[] {
    return checkInvariants(this.node.world).length > 0 ? [] : actions(this.node, this.bounds);
  }

  /** Takes the i-th enabled action. */
  pick(i: number): void {
    const a = this.enabled()[i];
    if (!a) throw new RangeError(`no action ${i}: ${this.enabled().length} are enabled`);
    this.push(a);
    this.undone = [];
    this.searched = null;
  }

  private push(a: Action<number>): void {
    this.path.push(a);
    this.nodes.push(next(this.node, a));
  }

  back(): void {
    if (!this.path.length) return;
    this.undone.push(this.path.pop()!);
    this.nodes.pop();
  }

  forward(): void {
    const a = this.undone.pop();
    if (a) this.push(a);
  }

  /**
   * Breadth first from the current state, within the checker's bounds and at most `maxStates`
   * distinct states: the shortest path to the target is appended. Says what it found.
   */
  search(target: SearchTarget, maxStates = 200_000): string {
    const fp = fingerprinter(this.bounds);
    const seen = new FingerprintSet();
    const start = this.node;
    const parents = new Map<Node, { from: Node; a: Action<number> } | null>([[start, null]]);
    seen.add(...fp(start));
    const hit = (n: Node) => (target === 'violation' ? checkInvariants(n.world).length > 0 : reached(n).includes(target));
    let frontier = [start];
    let found: Node | null = hit(start) ? start : null;
    while (!found && frontier.length && seen.size < maxStates) {
      const nextFrontier: Node[] = [];
      for (const n of frontier) {
        if (checkInvariants(n.world).length > 0) continue; // a violated state ends its paths
        for (const a of actions(n, this.bounds)) {
          const child = next(n, a);
          if (!seen.add(...fp(child))) continue;
          parents.set(child, { from: n, a });
          if (hit(child)) {
            found = child;
            break;
          }
          nextFrontier.push(child);
        }
        if (found) break;
      }
      frontier = nextFrontier;
    }
    if (!found) {
      this.searched = `no path to ${target} within ${seen.size.toLocaleString('en')} states${frontier.length ? ' (stopped at the state limit)' : ' (the bounded space from here is exhausted)'}`;
      return this.searched;
    }
    const suffix: Action<number>[] = [];
    for (let p = parents.get(found); p; p = parents.get(p.from)) suffix.unshift(p.a);
    for (const a of suffix) this.push(a);
    this.undone = [];
    this.searched = `${target}: found ${suffix.length} step${suffix.length === 1 ? '' : 's'} on (${seen.size.toLocaleString('en')} states searched)`;
    return this.searched;
  }

  /** The path's trace, as `zabkit check --out` writes one (and `zabkit replay` reads). */
  trace(): string {
    const v = checkInvariants(this.node.world)[0];
    return toNdjson(traceOf(this.root.world, this.path, v));
  }

  run(): ExploreRun & { readonly model: ModelView } {
    const { run, report } = orderRun([{ file: 'model', text: this.trace() }]);
    if (!run) throw new Error(`the model's path does not replay: ${report.problem!.detail}`);
    const title = `model: ${this.bounds.servers} servers${this.deviation ? `, mutant ${this.deviation}` : ''}`;
    const labels: string[] = [];
    this.path.forEach((a, i) => labels.push(describeAction(this.nodes[i]!.world, a)));
    return {
      ...exploreRun(run, title, `zabkit explore --model (${this.path.length} actions)`),
      model: {
        path: labels,
        actions: this.enabled().map((a) => describeAction(this.node.world, a)),
        canBack: this.path.length > 0,
        canForward: this.undone.length > 0,
        targets: SEARCH_TARGETS,
        searched: this.searched,
      },
    };
  }
}
