// `zabkit differential`: the same seeded workloads against a reference ZooKeeper and a zabkit
// server, every answer compared by structure (./run.ts). By default both are started here, in
// temporary directories on 127.0.0.1: Apache ZooKeeper 3.8 from Debian's `zookeeper` package,
// and `zabkit server` following that release's behaviour (zabkit.compat).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { parseFlags, type FlagValues } from '../../src/shell/args.ts';
import { progressLine, remaining } from '../../src/shell/progress.ts';
import { askWord } from '../../src/shell/ensemble.ts';
import { apacheInstalled, startApache, type ApacheServer } from '../apache.ts';
import { freeBasePort, startServer, type RunningServer } from '../launch.ts';
import { compare, formatMismatch, runWorkload, type Mismatch } from './run.ts';

export const DIFFERENTIAL_HELP = `usage: zabkit differential [--seeds A..B | --seed N] [--ops N] [--reference HOST:PORT] [--target HOST:PORT]

Runs seeded client workloads (every 3.8 operation, versions, ephemerals, sequential nodes,
multi, watches, ACLs, auth, errors) against a reference ZooKeeper and a zabkit server, and
compares every reply and every watch event, zxids and times by structure.
  --seeds A..B      the workloads to run (default 0..199); --seed N runs one
  --ops N           operations per workload (default 100)
  --reference H:P   a running reference server; default: start Apache ZooKeeper (Debian's
                    'zookeeper' package) on 127.0.0.1 in a temporary directory
  --target H:P      a running zabkit server (e.g. a follower of 'zabkit ensemble'); default:
                    start 'zabkit server' with --compat set to the reference's version
Each workload works under its own root, /diff-SEED: run against fresh servers.
Exit 0: no mismatch; 1: a mismatch (seed, step, request and both replies printed); 2: bad
usage; 3: the reference could not be started or stopped answering.`;

const hostPort = z
  .string()
  .regex(/^(127\.\d+\.\d+\.\d+|localhost):\d+$/, 'HOST:PORT on this machine (127.0.0.0/8)')
  .transform((s) => ({ host: s.slice(0, s.lastIndexOf(':')), port: Number(s.slice(s.lastIndexOf(':') + 1)) }));

const options = z.object({
  from: z.number().int().nonnegative(),
  to: z.number().int().nonnegative(),
  ops: z.number().int().positive().max(100000),
  reference: hostPort.optional(),
  target: hostPort.optional(),
});
export type DifferentialOptions = z.output<typeof options>;

export function parseDifferentialArgs(args: readonly string[]): DifferentialOptions | string {
  const raw: Record<string, unknown> = { from: 0, to: 199, ops: 100 };
  let values: FlagValues;
  try {
    values = parseFlags(args, { seeds: { type: 'string' }, seed: { type: 'string' }, ops: { type: 'string' }, reference: { type: 'string' }, target: { type: 'string' }, help: { type: 'boolean' } }).values;
  } catch (e) {
    return (e as Error).message;
  }
  const v = values as Readonly<Record<string, string | undefined>>;
  if (v.seeds !== undefined) {
    const m = /^(\d+)\.\.(\d+)$/.exec(v.seeds);
    if (!m) return `--seeds ${v.seeds}: expected A..B`;
    [raw.from, raw.to] = [Number(m[1]), Number(m[2])];
  }
  if (v.seed !== undefined) raw.from = raw.to = Number(v.seed);
  if (v.ops !== undefined) raw.ops = Number(v.ops);
  if (v.reference !== undefined) raw.reference = v.reference;
  if (v.target !== undefined) raw.target = v.target;
  const r = options.safeParse(raw);
  if (!r.success) return r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ');
  if (r.data.to < r.data.from) return `--seeds: ${r.data.from}..${r.data.to} is empty`;
  return r.data;
}

/**
 * The release a server reports in `srvr` ("Zookeeper version: 3.8.0-…"), if it says. A server that
 * answers `ruok` may not serve yet ("not currently serving requests"): ask again, for up to 10 s.
 */
export async function versionOf(host: string, port: number): Promise<string | null> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const text = await askWord(host, port, 'srvr').catch(() => '');
    const v = /Zookeeper version: (\d+\.\d+\.\d+)/.exec(text)?.[1];
    if (v || Date.now() > deadline) return v ?? null;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface DifferentialResult {
  readonly workloads: number;
  readonly mismatches: Mismatch[];
  /** Set when the reference stopped answering (a workload's first request found no connection). */
  readonly referenceLost: number | null;
}

/** Run workloads from..to on both servers (each server one workload at a time; the two in parallel). */
export async function differential(
  reference: number,
  target: number,
  o: { from: number; to: number; ops: number },
  onMismatch: (m: Mismatch) => void = () => {},
  onWorkload: (done: number, total: number) => void = () => {},
): Promise<DifferentialResult> {
  const mismatches: Mismatch[] = [];
  for (let seed = o.from; seed <= o.to; seed++) {
    onWorkload(seed - o.from, o.to - o.from + 1);
    const [a, b] = await Promise.all([runWorkload(reference, seed, o.ops), runWorkload(target, seed, o.ops)]);
    if (typeof a.steps[0]?.reply === 'string') return { workloads: seed - o.from, mismatches, referenceLost: seed };
    const m = compare(a, b);
    if (m) {
      mismatches.push(m);
      onMismatch(m);
    }
  }
  return { workloads: o.to - o.from + 1, mismatches, referenceLost: null };
}

/** Apache's settings for a differential run: TTL nodes on, containers never swept mid-run. */
export const APACHE_PROPS = { 'zookeeper.extendedTypesEnabled': 'true', 'znode.container.checkIntervalMs': '3600000' } as const;

/**
 * zabkit's, the same: TTL nodes on, containers never swept mid-run (with the default minute, a run
 * slower than a minute on a loaded machine had zabkit reap empty containers Apache still held).
 */
export const ZABKIT_FLAGS: readonly string[] = ['--extended-types', 'true', '--container-check-interval', '3600000'];

/**
 * Apache ZooKeeper for a differential run, on a port found free. Between the check and the JVM's
 * bind (seconds on a loaded machine) another process may take the port (freeBasePort draws from
 * the kernel's range for outgoing connections): then it exits, and a new port is tried, 3 at most.
 */
export async function startReference(dir: string): Promise<ApacheServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startApache({ port: await freeBasePort(1), dir: join(dir, `try-${attempt}`), props: APACHE_PROPS });
    } catch (e) {
      if (attempt >= 3 || !/exited/.test((e as Error).message) || !/BindException|Address already in use/.test((e as Error).message)) throw e;
    }
  }
}

export async function runDifferential(args: readonly string[], out: (s: string) => void): Promise<number> {
  if (args.includes('--help')) {
    out(DIFFERENTIAL_HELP);
    return 0;
  }
  const o = parseDifferentialArgs(args);
  if (typeof o === 'string') {
    out(`zabkit differential: ${o}\n\n${DIFFERENTIAL_HELP}`);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), 'zabkit-differential-'));
  let apache: ApacheServer | undefined;
  let zabkit: RunningServer | undefined;
  try {
    let ref = o.reference;
    if (!ref) {
      if (!apacheInstalled()) {
        out('zabkit differential: Apache ZooKeeper is not installed (apt-get install zookeeper default-jre-headless), or give --reference HOST:PORT');
        return 3;
      }
      try {
        apache = await startReference(join(dir, 'apache'));
      } catch (e) {
        out(`zabkit differential: ${(e as Error).message}`);
        return 3;
      }
      ref = { host: '127.0.0.1', port: apache.port };
    }
    const version = await versionOf(ref.host, ref.port);
    let target = o.target;
    if (!target) {
      const compat = version?.startsWith('3.8.') ? ['--compat', version] : [];
      zabkit = await startServer(join(dir, 'zabkit'), [...ZABKIT_FLAGS, ...compat]);
      target = { host: '127.0.0.1', port: zabkit.port };
    }
    out(`reference ${ref.host}:${ref.port} (ZooKeeper ${version ?? 'version unknown'}), zabkit ${target.host}:${target.port}; workloads ${o.from}..${o.to} of ${o.ops} operations`);
    const started = Date.now();
    // Progress on stderr (a line every few seconds when piped); taken off a terminal before a mismatch is printed.
    const progress = progressLine();
    const onWorkload = (done: number, total: number) => {
      const secs = (Date.now() - started) / 1000;
      progress(`differential: ${done}/${total} workloads, ${(done / Math.max(secs, 1e-3)).toFixed(1)}/s${remaining(done, total, secs)}`);
    };
    const r = await differential(ref.port, target.port, o, (m) => (progress.clear(), out(formatMismatch(m, ['reference', 'zabkit']))), onWorkload);
    progress.clear();
    if (r.referenceLost !== null) {
      out(`the reference stopped answering at workload ${r.referenceLost}${apache ? `:\n${apache.output().slice(-3000)}` : ''}`);
      return 3;
    }
    out(`${r.workloads} workloads of ${o.ops} operations: ${r.mismatches.length} with a mismatch (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return r.mismatches.length ? 1 : 0;
  } finally {
    await apache?.stop();
    await zabkit?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
