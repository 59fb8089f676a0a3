// `zabkit ensemble`: a real ensemble on 127.0.0.1, one child process per server, each an
// ordinary `zabkit server --config` with its own zoo.cfg and data directory; and `zabkit status`,
// which asks servers what they are through the four-letter words.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { askWord } from '../wire/ask-word.ts';
import { parseFlags, UsageError, type FlagValues } from './args.ts';
import { ZABKIT_BIN } from './project-root.ts';

export { askWord };

const BIN = ZABKIT_BIN;

/** --restart-crashed: the first delay, doubled for each crash in a row up to the cap. */
export const RESTART_FIRST_MS = 500;
export const RESTART_CAP_MS = 30_000;

export const ENSEMBLE_HELP = `usage: zabkit ensemble [--size N] [--observers N] [--base-port P] [--data-dir DIR] [--tick-time MS]
                       [--trace DIR] [--restart-crashed] [--reconfig]
  Starts N voting servers (default 3) and the given number of observers on 127.0.0.1, server i
  with client port P+i-1, quorum port P+100+i-1, election port P+200+i-1 and AdminServer port
  P+300+i-1 (P defaults to 2181), each with DIR/server-i/zoo.cfg and DIR/server-i/data (DIR
  defaults to ./data; reused if there). A port already taken is named and nothing is started
  (exit 1). Logs go to DIR/server-i/server.log. Ctrl-C (or SIGTERM) stops every server cleanly.
  --trace TDIR        every server traces its steps to TDIR/server-i.ndjson ('zabkit replay TDIR')
  --restart-crashed   restart a server that exits on its own once the ensemble is up, after
                      ${RESTART_FIRST_MS / 1000} s, doubling for each crash in a row up to ${RESTART_CAP_MS / 1000} s
  --reconfig          reconfigEnabled=true in every zoo.cfg (observers may join and leave)`;

const options = z.object({
  size: z.coerce.number().int().min(1).max(9).default(3),
  observers: z.coerce.number().int().min(0).max(9).default(0),
  basePort: z.coerce.number().int().min(1024).max(65000).default(2181),
  dataDir: z.string().min(1).default('./data'),
  tickTime: z.coerce.number().int().positive().default(2000),
  trace: z.string().min(1).optional(),
  restartCrashed: z.boolean().default(false),
  reconfig: z.boolean().default(false),
});
export type EnsembleOptions = z.output<typeof options>;


/** `--size 3 --base-port=2181` → options, or an error naming the flag. */
export function parseEnsembleArgs(args: readonly string[]): EnsembleOptions {
  const names: Record<string, keyof EnsembleOptions> = { size: 'size', observers: 'observers', 'base-port': 'basePort', 'data-dir': 'dataDir', 'tick-time': 'tickTime', trace: 'trace' };
  const switches: Record<string, keyof EnsembleOptions> = { 'restart-crashed': 'restartCrashed', reconfig: 'reconfig' };
  const values: FlagValues = parseFlags(args, {
    ...Object.fromEntries(Object.keys(names).map((f) => [f, { type: 'string' as const }])),
    ...Object.fromEntries(Object.keys(switches).map((f) => [f, { type: 'boolean' as const }])),
  }).values;
  const raw: Record<string, string | boolean> = {};
  for (const [flag, name] of Object.entries({ ...names, ...switches })) if (values[flag] !== undefined) raw[name] = values[flag]!;
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
  readonly adminPort: number;
  readonly dir: string;
}

/** What the layout of servers, ports and configs depends on (test harnesses give just these). */
export type EnsembleLayout = Pick<EnsembleOptions, 'size' | 'observers' | 'basePort' | 'dataDir' | 'tickTime'> & Partial<Pick<EnsembleOptions, 'trace' | 'reconfig'>>;

/** The servers of an ensemble and their ports. */
export function members(o: EnsembleLayout): Member[] {
  const n = o.size + o.observers;
  return Array.from({ length: n }, (_, k) => ({
    id: k + 1,
    observer: k >= o.size,
    clientPort: o.basePort + k,
    quorumPort: o.basePort + 100 + k,
    electionPort: o.basePort + 200 + k,
    adminPort: o.basePort + 300 + k,
    dir: resolve(o.dataDir, `server-${k + 1}`),
  }));
}

/** Each server's zoo.cfg and myid, as ZooKeeper lays them out. Returns the config paths. */
export function writeConfigs(o: EnsembleLayout, extra: readonly string[] = []): string[] {
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
        'admin.serverAddress=127.0.0.1',
        `admin.serverPort=${m.adminPort}`,
        ...(o.reconfig ? ['reconfigEnabled=true'] : []),
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

/** The ports of `ms` that cannot be bound on 127.0.0.1 now, each with what it is for. */
export async function takenPorts(ms: readonly Member[]): Promise<{ readonly port: number; readonly what: string }[]> {
  const wanted = ms.flatMap((m) => [
    { port: m.clientPort, what: `server ${m.id}'s client port` },
    { port: m.quorumPort, what: `server ${m.id}'s quorum port` },
    { port: m.electionPort, what: `server ${m.id}'s election port` },
    { port: m.adminPort, what: `server ${m.id}'s AdminServer port` },
  ]);
  const free = await Promise.all(wanted.map((w) => canListen(w.port)));
  return wanted.filter((_, i) => !free[i]);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = createServer();
    s.once('error', () => done(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => done(true)));
  });
}

/** `zabkit ensemble`: runs until SIGINT or SIGTERM, then stops every server and waits for them. */
export async function runEnsemble(args: readonly string[], out: (s: string) => void): Promise<number> {
  const o = parseEnsembleArgs(args);
  const ms = members(o);
  // Refuse before anything starts: a server that cannot bind would otherwise die among running ones.
  const taken = await takenPorts(ms);
  if (taken.length) {
    out(`zabkit ensemble: ${taken.length === 1 ? 'a port is' : `${taken.length} ports are`} already taken on 127.0.0.1; nothing started:`);
    for (const t of taken) out(`  port ${t.port}: ${t.what}`);
    out('(choose other ports with --base-port P: client P.., quorum P+100.., election P+200.., AdminServer P+300..)');
    return 1;
  }
  const reused = existsSync(o.dataDir);
  if (o.trace) mkdirSync(o.trace, { recursive: true });
  const configs = writeConfigs(o);
  out(`zabkit ensemble: ${o.size} voting server${o.size > 1 ? 's' : ''}${o.observers ? ` and ${o.observers} observer${o.observers > 1 ? 's' : ''}` : ''}, data in ${resolve(o.dataDir)}${reused ? ' (reused)' : ''}`);
  const children = new Map<number, ChildProcess>();
  const restarts = new Map<number, { count: number; delay: number; timer?: NodeJS.Timeout }>();
  let stopping = false;
  let up = false;
  const start = (m: Member): ChildProcess => {
    const log = createWriteStream(join(m.dir, 'server.log'), { flags: 'a' });
    const child = spawn(process.execPath, [BIN, 'server', '--config', configs[m.id - 1]!], { stdio: ['ignore', 'pipe', 'pipe'] });
    const began = Date.now();
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    child.on('exit', (code, signal) => {
      children.delete(m.id);
      if (stopping) return;
      const how = `server ${m.id} exited (${signal ?? `code ${code}`}); see ${join(m.dir, 'server.log')}`;
      if (!(o.restartCrashed && up)) {
        out(how);
        return;
      }
      // Exponential backoff with a cap; a server that ran longer than the cap starts the count again.
      const r = restarts.get(m.id) ?? { count: 0, delay: RESTART_FIRST_MS };
      if (Date.now() - began > RESTART_CAP_MS) r.delay = RESTART_FIRST_MS;
      r.count++;
      out(`${how}; restarting it in ${(r.delay / 1000).toFixed(1)} s (restart ${r.count})`);
      r.timer = setTimeout(() => {
        if (stopping) return;
        const again = start(m);
        children.set(m.id, again);
        out(`server ${m.id} restarted, pid ${again.pid ?? '-'}`);
      }, r.delay);
      r.delay = Math.min(r.delay * 2, RESTART_CAP_MS);
      restarts.set(m.id, r);
    });
    return child;
  };
  for (const m of ms) children.set(m.id, start(m));
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    for (const r of restarts.values()) clearTimeout(r.timer);
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
    if (states.every((s) => ['leader', 'follower', 'observer', 'standalone'].includes(s.mode))) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const dead = ms.filter((m) => !children.has(m.id));
  if (!stopping && dead.length) {
    // A server that could not start (a bad data directory, a port taken since the check): say why, stop the rest.
    for (const m of dead) {
      const log = readFileSync(join(m.dir, 'server.log'), 'utf8').trim().split('\n').slice(-3);
      out(`server ${m.id} did not start:\n${log.map((l) => `  ${l}`).join('\n')}`);
    }
    await stop();
    return 1;
  }
  if (!stopping) {
    up = true;
    for (const [i, m] of ms.entries()) {
      const s = states[i];
      out(`  server ${m.id}: ${(s?.mode ?? 'unknown').padEnd(8)} client 127.0.0.1:${m.clientPort}  quorum ${m.quorumPort}  election ${m.electionPort}  admin ${m.adminPort}  pid ${children.get(m.id)?.pid ?? '-'}`);
    }
    out(`connection string: ${connectionString(ms)}`);
    out(`Ctrl-C stops the ensemble${o.restartCrashed ? '; a server that exits is restarted' : ''}.`);
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
  if (list.length === 0) throw new UsageError('give HOST:PORT[,HOST:PORT…]');
  const targets = list.map((a) => {
    const m = /^(.*):(\d+)$/.exec(a);
    if (!m) throw new UsageError(`${a}: expected HOST:PORT`);
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
