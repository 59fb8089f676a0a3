// The sequential specification of one znode, for the linearizability checker: one partition per
// path (ops on different paths commute). Versions as ZooKeeper keeps them: create starts the data
// version at 0, each setData adds one, and a node deleted and created again starts over at 0. Only
// the node itself is modelled: no parent (create's NoNode), children (delete's NotEmpty), ACLs,
// ephemeral or sequential nodes.
import type { Model, Operation } from './checker.ts';

export interface ZnodeState {
  readonly exists: boolean;
  readonly data: string;
  readonly version: number;
}

/** A version of -1 matches any version, as in ZooKeeper. */
export type ZnodeInput =
  | { readonly op: 'create'; readonly path: string; readonly data: string }
  | { readonly op: 'delete'; readonly path: string; readonly version: number }
  | { readonly op: 'setData'; readonly path: string; readonly data: string; readonly version: number }
  | { readonly op: 'getData'; readonly path: string };

export type ZnodeError = 'NodeExists' | 'NoNode' | 'BadVersion';

/** create and delete: 'ok'; setData: the new version; getData: data and version. */
export type ZnodeOutput =
  | 'ok'
  | ZnodeError
  | { readonly ok: true; readonly version: number }
  | { readonly data: string; readonly version: number };

export const ABSENT: ZnodeState = { exists: false, data: '', version: 0 };

/** What one op does to a znode, run alone: the next state and the reply. */
export function applyZnode(s: ZnodeState, input: ZnodeInput): { readonly state: ZnodeState; readonly output: ZnodeOutput } {
  const versionOk = (v: number) => v === -1 || v === s.version;
  switch (input.op) {
    case 'create':
      return s.exists ? { state: s, output: 'NodeExists' } : { state: { exists: true, data: input.data, version: 0 }, output: 'ok' };
    case 'delete':
      if (!s.exists) return { state: s, output: 'NoNode' };
      return versionOk(input.version) ? { state: ABSENT, output: 'ok' } : { state: s, output: 'BadVersion' };
    case 'setData': {
      if (!s.exists) return { state: s, output: 'NoNode' };
      if (!versionOk(input.version)) return { state: s, output: 'BadVersion' };
      const version = s.version + 1;
      return { state: { exists: true, data: input.data, version }, output: { ok: true, version } };
    }
    case 'getData':
      return { state: s, output: s.exists ? { data: s.data, version: s.version } : 'NoNode' };
  }
}

export function sameZnodeOutput(a: ZnodeOutput, b: ZnodeOutput): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if ('ok' in a) return 'ok' in b && a.version === b.version;
  return !('ok' in b) && a.data === b.data && a.version === b.version;
}

export function describeZnodeOutput(o: ZnodeOutput | undefined): string {
  if (o === undefined) return '?';
  if (typeof o === 'string') return o;
  return 'ok' in o ? `version ${o.version}` : `${JSON.stringify(o.data)} version ${o.version}`;
}

export function describeZnode(input: ZnodeInput, output: ZnodeOutput | undefined): string {
  const v = (n: number) => (n === -1 ? 'any version' : `version ${n}`);
  const call =
    input.op === 'create' ? `create ${input.path} ${JSON.stringify(input.data)}`
    : input.op === 'delete' ? `delete ${input.path} ${v(input.version)}`
    : input.op === 'setData' ? `setData ${input.path} ${JSON.stringify(input.data)} ${v(input.version)}`
    : `getData ${input.path}`;
  return `${call} → ${describeZnodeOutput(output)}`;
}

/** Sub-histories per path, in the order the paths first appear. */
export function byPath<O>(ops: readonly Operation<ZnodeInput, O>[]): Operation<ZnodeInput, O>[][] {
  const parts = new Map<string, Operation<ZnodeInput, O>[]>();
  for (const op of ops) {
    const p = parts.get(op.input.path);
    if (p) p.push(op);
    else parts.set(op.input.path, [op]);
  }
  return [...parts.values()];
}

/**
 * The znode model. Its state is one node's, so it is only sound with the partition by path (which
 * `checkLinearizable` applies). ZooKeeper serves reads from the server a client is connected to,
 * which may lag: a history with reads is linearizable only if the reads happened to be fresh, so
 * check writes alone (or sync-then-read) unless fresh reads are what is being tested.
 */
export const znodeModel: Model<ZnodeState, ZnodeInput, ZnodeOutput> = {
  init: () => ABSENT,
  step(s, input, output) {
    const r = applyZnode(s, input);
    return output === undefined || sameZnodeOutput(r.output, output) ? r.state : null;
  },
  key: (s) => (s.exists ? `${s.version}:${s.data}` : '-'),
  pure: (input, output) => input.op === 'getData' || (typeof output === 'string' && output !== 'ok'), // reads, and writes that failed
  partition: byPath,
  describe: describeZnode,
  describeState: (s) => (s.exists ? `${JSON.stringify(s.data)} version ${s.version}` : 'absent'),
};
