// `zabkit ensemble`: a real ensemble on 127.0.0.1, one child process per server, each an
// ordinary `zabkit server --config` with its own zoo.cfg and data directory; and `zabkit status`,
// which asks servers what they are through the four-letter words.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { askWord } from '../wire/ask-word.ts';
import { parseFlags, UsageError, type FlagValues } from './args.ts';

export { askWord };

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'zabkit.mjs');

export const ENSEMBLE_HELP = `usage: zabkit ensemble [--size N] [--observers N] [--base-port P] [--data-dir DIR] [--tick-time MS] [--trace DIR]
  Starts N voting servers (default 3) and the given number of observers on 127.0.0.1, server i
  with client port P+i-1, quorum port P+100+i-1 and election port P+200+i-1 (P defaults to 2181),
  each with DIR/server-i/zoo.cfg and DIR/server-i/data (DIR defaults to ./data; reused if there).
  Logs go to DIR/server-i/server.log. Ctrl-C (or SIGTERM) stops every server cleanly.
  --trace TDIR: every server traces its steps to TDIR/server-i.ndjson ('zabkit replay TDIR').`;

const options = z.object({
  size: z.coerce.number().int().min(1).max(9).default(3),
  observers: z.coerce.number().int().min(0).max(9).default(0),
  basePort: z.coerce.number().int().min(1024).max(65000).default(2181),
  dataDir: z.string().min(1).default('./data'),
  tickTime: z.coerce.number().int().positive().default(2000),
  trace: z.string().min(1).optional(),
});
export type EnsembleOptions = z.output<typeof options>;

/** `--size 3 --base-port=2181` → options, or an error naming the flag. */
export function parseEnsembleArgs(args: readonly string[]): EnsembleOptions {
  const names: Record<string, keyof EnsembleOptions> = { size: 'size', observers: 'observers', 'base-port': 'basePort', 'data-dir': 'dataDir', 'tick-time': 'tickTime', trace: 'trace' };
  let values: FlagValues;
  try {
    values = parseFlags(args, Object.fromEntries(Object.keys(names).map((f) => [f, { type: 'string' as const }]))).values;
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${ENSEMBLE_HELP}`);
  }
  const raw: Record<string, string> = {};
  for (const [flag, name] of Object.entries(names)) if (values[flag] !== undefined) raw[name] = values[flag] as string;
  const r = options.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new UsageError(`--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${issue.message}`);
  }
  return r.data;
}

export interface Member {
  readonly id: number;
  readonly observer: boolean;
  readonly clientPort: number;
  readonly quorumPort: number;
  readonly electionPort: number;
  readonly dir: string;
}

/** The servers of an ensemble and their ports. */
export function members(o: EnsembleOptions): Member[] {
  const n = o.size + o.observers;
  return Array.from({ length: n }, (_, k) => ({
    id: k + 1,
    observer: k >= o.size,
    clientPort: o.basePort + k,
    quorumPort: o.basePort + 100 + k,
    electionPort: o.basePort + 200 + k,
    dir: resolve(o.dataDir, `server-${k + 1}`),
  }));
}

/** Each server's zoo.cfg and myid, as ZooKeeper lays them out. Returns the config paths. */
export function writeConfigs(o: EnsembleOptions, extra: readonly string[] = []): string[] {
  const ms = members(o);
  const lines = ms.map((m) => `server.${m.id}=127.0.0.1:${m.quorumPort}:${m.electionPort}:${m.observer ? 'observer' : 'participant'};127.0.0.1:${m.clientPort}`);
  return ms.map((m) => {
    const data = join(m.dir, 'data');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'myid'), `${m.id}\n`);
    const cfg = join(m.dir, 'zoo.cfg');
    writeFileSync(
      cfg,
      [
        '# written by zabkit ensemble',
        `tickTime=${o.tickTime}`,
        'initLimit=10',
        'syncLimit=5',
        `dataDir=${data}`,
        `clientPort=${m.clientPort}`,
        'clientPortAddress=127.0.0.1',
        `peerType=${m.observer ? 'observer' : 'participant'}`,
        ...(o.trace ? [`zabkit.trace=${resolve(o.trace, `server-${m.id}.ndjson`)}`] : []),
        ...lines,
        ...extra,
        '',
      ].join('\n'),
    );
    return cfg;
  });
}

export const connectionString = (ms: readonly Member[]) => ms.map((m) => `127.0.0.1:${m.clientPort}`).join(',');

/** `zabkit ensemble`: runs until SIGINT or SIGTERM, then stops every server and waits for them. */
export async function runEnsemble(args: readonly string[], out: (s: string) => void): Promise<number> {
  const o = parseEnsembleArgs(args);
  const ms = members(o);
  const reused = existsSync(o.dataDir);
  if (o.trace) mkdirSync(o.trace, { recursive: true });
  const configs = writeConfigs(o);
  out(`zabkit ensemble: ${o.size} voting server${o.size > 1 ? 's' : ''}${o.observers ? ` and ${o.observers} observer${o.observers > 1 ? 's' : ''}` : ''}, data in ${resolve(o.dataDir)}${reused ? ' (reused)' : ''}`);
  const children = new Map<number, ChildProcess>();
  let stopping = false;
  for (const m of ms) {
    const log = createWriteStream(join(m.dir, 'server.log'), { flags: 'a' });
    const child = spawn(process.execPath, [BIN, 'server', '--config', configs[m.id - 1]!], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    child.on('exit', (code, signal) => {
      children.delete(m.id);
      if (!stopping) out(`server ${m.id} exited (${signal ?? `code ${code}`}); see ${join(m.dir, 'server.log')}`);
    });
    children.set(m.id, child);
  }
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    out('stopping the ensemble…');
    const exits = [...children.values()].map((c) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r()))));
    for (const c of children.values()) c.kill('SIGTERM');
    const killer = setTimeout(() => {
      for (const c of children.values()) c.kill('SIGKILL');
    }, 10_000);
    await Promise.all(exits);
    clearTimeout(killer);
    out('stopped.');
  };
  const stopped = new Promise<void>((resolveStop) => {
    const onSignal = () => void stop().then(resolveStop);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  // Wait (bounded) until every server reports a role, then say who is who.
  const deadline = Date.now() + 60_000;
  let states: Status[] = [];
  while (!stopping && Date.now() < deadline && children.size === ms.length) {
    states = await Promise.all(ms.map((m) => status('127.0.0.1', m.clientPort)));
    if (states.every((s) => s.mode === 'leader' || s.mode === 'follower' || s.mode === 'observer')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const dead = ms.filter((m) => !children.has(m.id));
  if (!stopping && dead.length) {
    // A server that could not start (a port in use, a bad data directory): say why, stop the rest.
    for (const m of dead) {
      const log = readFileSync(join(m.dir, 'server.log'), 'utf8').trim().split('\n').slice(-3);
      out(`server ${m.id} did not start:\n${log.map((l) => `  ${l}`).join('\n')}`);
    }
    await stop();
    return 1;
  }
  if (!stopping) {
    for (const [i, m] of ms.entries()) {
      const s = states[i];
      out(`  server ${m.id}: ${(s?.mode ?? 'unknown').padEnd(8)} client 127.0.0.1:${m.clientPort}  quorum ${m.quorumPort}  election ${m.electionPort}  pid ${children.get(m.id)?.pid ?? '-'}`);
    }
    out(`connection string: ${connectionString(ms)}`);
    out('Ctrl-C stops the ensemble.');
  }
  await stopped;
  return 0;
}

// ---------------------------------------------------------------- status

export interface Status {
  readonly address: string;
  readonly mode: string;
  readonly zxid?: bigint;
  readonly connections?: number;
  readonly outstanding?: number;
  readonly error?: string;
}

/** Send a four-letter word and collect the answer (bounded in time). */
/** A server's role and position from `srvr`. */
export async function status(host: string, port: number): Promise<Status> {
  const address = `${host}:${port}`;
  try {
    const text = await askWord(host, port, 'srvr');
    const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(text)?.[1]?.trim();
    const mode = field('Mode');
    if (!mode) return { address, mode: 'not serving', error: text.trim() || 'no answer' };
    const zxid = field('Zxid');
    const conns = field('Connections');
    const outstanding = field('Outstanding');
    return {
      address,
      mode,
      ...(zxid ? { zxid: BigInt(zxid) } : {}),
      ...(conns ? { connections: Number(conns) } : {}),
      ...(outstanding ? { outstanding: Number(outstanding) } : {}),
    };
  } catch (e) {
    return { address, mode: 'unreachable', error: (e as Error).message };
  }
}

/** `zabkit status host:port,…`: one line per server. Exit 1 if none serves. */
export async function runStatus(args: readonly string[], out: (s: string) => void): Promise<number> {
  const list = args.join(',').split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) {
    out('usage: zabkit status host:port[,host:port…]');
    return 2;
  }
  const targets = list.map((a) => {
    const m = /^(.*):(\d+)$/.exec(a);
    if (!m) throw new Error(`${a}: expected host:port`);
    return { host: m[1] === 'localhost' ? '127.0.0.1' : m[1]!, port: Number(m[2]) };
  });
  const all = await Promise.all(targets.map((t) => status(t.host, t.port)));
  out(`${'server'.padEnd(22)}${'role'.padEnd(13)}${'epoch'.padEnd(7)}${'last zxid'.padEnd(20)}connections`);
  for (const s of all) {
    const epoch = s.zxid === undefined ? '-' : String(s.zxid >> 32n);
    const zxid = s.zxid === undefined ? '-' : `0x${s.zxid.toString(16)}`;
    out(`${s.address.padEnd(22)}${s.mode.padEnd(13)}${epoch.padEnd(7)}${zxid.padEnd(20)}${s.connections ?? '-'}${s.error && s.mode === 'unreachable' ? `  (${s.error})` : ''}`);
  }
  return all.some((s) => ['leader', 'follower', 'observer', 'standalone'].includes(s.mode)) ? 0 : 1;
}
