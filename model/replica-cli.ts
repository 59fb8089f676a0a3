// `zabkit check --replicas`: the checker over whole replicas (ZAB + the server's reducer + the
// data tree, with abstract clients), breadth first or by seeded walks.
import { parseFlags, wholeNumber } from '../src/shell/args.ts';
import { remaining } from '../src/shell/progress.ts';
import { exploreReplicas, exploreReplicasDepthFirst, walkReplicas } from './replica-checker.ts';
import { DEFAULT_REPLICA_BOUNDS, SCRIPTS, type ReplicaAction, type ReplicaBounds } from './replicas.ts';
import type { ServerDeviation } from '../src/server/index.ts';

export const SERVER_MUTANTS: readonly { readonly name: ServerDeviation; readonly bug: string; readonly bounds: Partial<ReplicaBounds> }[] = [
  {
    name: 'claim-on-connect',
    bug: 'a ConnectRequest takes the session for its server, even one processed after its client left (issue 20, finding 1)',
    bounds: { clients: 1, crashes: 0, times: 0, moves: 1 },
  },
  {
    name: 'validate-locally',
    bug: 'a learner judges a reconnecting session by its own tree: one that has not delivered the session\'s creation refuses it as expired',
    bounds: { clients: 1, crashes: 0, times: 0, moves: 1 },
  },
  {
    name: 'orphan-connects',
    bug: 'a server that loses its role closes its clients\' connections but forgets those still waiting for their session\'s creation: those clients wait forever',
    bounds: { clients: 1, crashes: 1, times: 0, moves: 0 },
  },
  {
    name: 'read-ahead',
    bug: 'a read is answered at once, before the writes sent ahead of it on its connection are: it misses its own write (SERVER-12)',
    bounds: { clients: 1, crashes: 0, times: 0, moves: 0, scripts: 'ordered' },
  },
  {
    name: 'event-after-reply',
    bug: 'a delivered txn\'s watch events go out after the reply to the write that caused them (SERVER-12)',
    bounds: { clients: 2, crashes: 0, times: 0, moves: 0, scripts: 'ordered' },
  },
  {
    name: 'reply-before-commit',
    bug: 'the leader answers its own client\'s write from its speculative tree when it proposes it, before a quorum has it: a crash then loses an acknowledged write',
    bounds: { clients: 1, crashes: 1, times: 0, moves: 0 },
  },
  {
    name: 'reap-from-committed',
    bug: 'the leader checks a container it reaps against its committed tree, not the writes in flight: it deletes a container with a child',
    bounds: { clients: 1, crashes: 0, times: 1, moves: 0 },
  },
];

export const REPLICA_HELP = `usage: zabkit check --replicas [flags] — whole replicas: ZAB, the server's reducer (src/server)
and the data tree on 3 servers, with abstract clients; INV-1..24 and INV-26 on every state, INV-25 on
the states with nothing left to do

  --servers N (3)  --clients N (2)  --crashes N (1)  --times N (1: jumps past a session timeout)
  --moves N (1: a client leaves a ConnectRequest behind and reconnects elsewhere)
  --timeouts N (0: ZAB notify/init/sync firings)  --max-depth N (200)
  --scripts ${Object.keys(SCRIPTS).join('|')} (reaping: a container and its child, and an ephemeral;
                   ordered: each client watches /e2, then writes with a read right behind, INV-26)
  --zab ideal      run over the ideal ZAB (model/ideal-zab.ts: roles, one committed sequence,
                   elections, crashes) instead of the ZAB reducers' messages; over the reducers
                   (--zab real, the default) INV-23 checks every step is one of the ideal's
  --no-close       clients keep their sessions after their script (no closeSession)
  --por            with --zab ideal: take a restart, a join, a learner's delivery or the leader's
                   commit alone where it commutes with everything else (partial-order
                   reduction, model/replica-por.ts)
  --server-mutant NAME   a broken server reducer; alone, it uses its bounds
                   (${SERVER_MUTANTS.map((m) => m.name).join(', ')})
  --dfs            depth first instead of breadth first: the same states, in the memory of one
                   path and the fingerprints (a violation found may not be a shortest one)
  --simulate --seed S --runs R   seeded random walks instead of breadth-first search
  --max-states N   stop after N distinct states

exit 0: exhausted, no violation; 1: a violation; 2: bad usage; 3: stopped by --max-states.`;

const show = (a: ReplicaAction): string => JSON.stringify(a, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));

export function runReplicaCheck(args: readonly string[], out: (s: string) => void, report: (line: string) => void = () => {}): number {
  let v: ReturnType<typeof parse>;
  try {
    v = parse(args);
  } catch (e) {
    out(`zabkit check --replicas: ${(e as Error).message}\n\n${REPLICA_HELP}`);
    return 2;
  }
  const { bounds, simulate, maxStates, dfs } = v;
  out(`bounds: ${JSON.stringify(bounds)}`);
  const bounded = maxStates < Number.MAX_SAFE_INTEGER;
  const progress = (depth: number, distinct: number, seconds: number) =>
    report(`check --replicas: ${distinct} distinct states, ${Math.round(distinct / Math.max(seconds, 1e-3))} states/s, ${dfs ? 'deepest' : 'depth'} ${depth}, ${seconds.toFixed(0)} s${bounded ? remaining(distinct, maxStates, seconds) : ''}`);
  const r = simulate ? walkReplicas(bounds, simulate.seed, simulate.runs) : dfs ? exploreReplicasDepthFirst(bounds, maxStates, progress) : exploreReplicas(bounds, maxStates, progress);
  if ('distinct' in r) out(`${r.distinct} distinct states, max depth ${r.maxDepth}, ${r.seconds.toFixed(1)} s, ${r.exhausted ? 'exhausted' : 'not exhausted'}`);
  else out(`${r.runs} walks from seed ${simulate!.seed}`);
  out(`reached: ${Object.keys(r.reached).join(', ') || 'nothing'}`);
  if (!r.violation) return 'distinct' in r && !r.exhausted ? 3 : 0;
  out(`!! ${r.violation.id} ${r.violation.detail}`);
  r.violation.path.forEach((a, i) => out(`${String(i + 1).padStart(4)}. ${show(a)}`));
  return 1;
}

function parse(args: readonly string[]): { bounds: ReplicaBounds; simulate: { seed: number; runs: number } | null; maxStates: number; dfs: boolean } {
  const spec: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const f of ['servers', 'clients', 'crashes', 'times', 'moves', 'timeouts', 'max-depth', 'scripts', 'server-mutant', 'seed', 'runs', 'max-states', 'zab']) spec[f] = { type: 'string' };
  for (const f of ['replicas', 'simulate', 'por', 'no-close', 'dfs']) spec[f] = { type: 'boolean' };
  const { values } = parseFlags(args, spec);
  const str = (flag: string) => values[flag] as string | undefined;
  const num = (flag: string, d: number): number => wholeNumber(flag, values[flag], d);
  const mutant = str('server-mutant');
  const m = mutant === undefined ? undefined : SERVER_MUTANTS.find((x) => x.name === mutant);
  if (mutant !== undefined && !m) throw new Error(`unknown server mutant '${mutant}'`);
  const scripts = str('scripts') ?? m?.bounds.scripts ?? DEFAULT_REPLICA_BOUNDS.scripts;
  if (!(scripts in SCRIPTS)) throw new Error(`--scripts: one of ${Object.keys(SCRIPTS).join(', ')}`);
  const zab = str('zab') ?? 'real';
  if (zab !== 'real' && zab !== 'ideal') throw new Error(`--zab: real or ideal, got '${zab}'`);
  if (values.por && zab !== 'ideal') throw new Error('--por needs --zab ideal');
  if (zab === 'ideal' && str('timeouts') !== undefined && str('timeouts') !== '0') throw new Error('--zab ideal has no ZAB timers: --timeouts must be 0');
  const d = { ...DEFAULT_REPLICA_BOUNDS, ...(m?.bounds ?? {}) };
  const bounds: ReplicaBounds = {
    servers: num('servers', d.servers),
    clients: Math.min(2, num('clients', d.clients)),
    crashes: num('crashes', d.crashes),
    times: num('times', d.times),
    moves: num('moves', d.moves),
    timeouts: num('timeouts', d.timeouts),
    maxDepth: num('max-depth', d.maxDepth),
    scripts: scripts as ReplicaBounds['scripts'],
    ...(m ? { deviation: m.name } : {}),
    ...(zab === 'ideal' ? { zab } : {}),
    ...(values.por ? { por: true } : {}),
    ...(values['no-close'] ? { closes: false } : {}),
  };
  return {
    bounds,
    simulate: values.simulate ? { seed: num('seed', 1), runs: num('runs', 1000) } : null,
    maxStates: num('max-states', Number.MAX_SAFE_INTEGER),
    dfs: values.dfs === true,
  };
}
