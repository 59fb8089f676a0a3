// Real ensembles for the tests: one `zabkit server --config` process per member, with the zoo.cfg
// files `zabkit ensemble` writes, on ports of their own; members can be killed, stopped,
// restarted, and (through the test-only fault hook, SIGUSR2) cut off from their peers.
import { join } from 'node:path';
import zookeeper, { type Client } from 'node-zookeeper-client';
import { afterAll, beforeAll, expect } from 'vitest';
import { members, writeConfigs, type EnsembleLayout, type Member } from '../../src/shell/ensemble.ts';
import { freeBasePort } from '../../conformance/launch.ts';
import { fourLetter, launch, RawClient, removeDir, tempDir, type Launched } from './harness.ts';

export interface Peer {
  readonly id: number;
  readonly member: Member;
  readonly port: number;
  /** This run's output (restarts start a new one). */
  logs(): string;
  running(): boolean;
  start(): Promise<void>;
  kill(): Promise<void>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Fault hook: toggle this server's isolation from its peers. */
  partition(): void;
  /** SIGSTOP / SIGCONT: a server that freezes and thaws. */
  signal(sig: 'SIGSTOP' | 'SIGCONT'): void;
  /** A four-letter word's answer. */
  word(w: string): Promise<string>;
  mode(): Promise<string>;
}

export interface Ensemble {
  readonly dir: string;
  readonly peers: readonly Peer[];
  readonly connect: string;
  /** Waits (bounded) until the running members report one leader and the others learners. */
  stable(timeoutMs?: number): Promise<{ leader: Peer; learners: Peer[] }>;
  close(): Promise<void>;
}

/** One ensemble for a whole describe block: started before it, closed (every exit 0 required) after. */
export function suiteEnsemble(o: Parameters<typeof startEnsemble>[0] = {}): { readonly e: Ensemble } {
  const box = {} as { e: Ensemble };
  beforeAll(async () => {
    box.e = await startEnsemble(o);
  });
  afterAll(async () => {
    await box.e?.close();
  });
  return box;
}

/** Poll `f` every 100 ms until it holds; fail naming `what` after `timeoutMs`. */
/** How long a server may take to stop after SIGTERM. */
const STOP_MS = 20000;

export async function until(what: string, f: () => Promise<boolean> | boolean, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startEnsemble(
  o: Partial<Pick<EnsembleLayout, 'size' | 'observers' | 'tickTime'>> & { extra?: string[]; env?: NodeJS.ProcessEnv; traceDir?: string } = {},
): Promise<Ensemble> {
  const dir = tempDir('zabkit-ensemble-');
  const options: EnsembleLayout = { size: o.size ?? 3, observers: o.observers ?? 0, tickTime: o.tickTime ?? 200, dataDir: dir, basePort: 0 };
  options.basePort = await freeBasePort(options.size + options.observers);
  const configs = writeConfigs(options, o.extra ?? []);
  const peers = members(options).map((m, k): Peer => {
    let run: Launched | null = null;
    return {
      id: m.id,
      member: m,
      port: m.clientPort,
      logs: () => run?.logs() ?? '',
      running: () => run !== null && run.proc.exitCode === null && run.proc.signalCode === null,
      async start() {
        const trace = o.traceDir ? ['--trace', join(o.traceDir, `server-${m.id}.ndjson`)] : [];
        run = launch(['server', '--config', configs[k]!, ...trace], { ZABKIT_FAULT_HOOK: '1', ...o.env });
        await run.waitFor(/"msg":"listening"/);
      },
      async kill() {
        if (run && run.proc.exitCode === null) run.proc.kill('SIGKILL');
        await run?.exited;
      },
      async stop() {
        if (!run) return null;
        const r = run;
        if (r.proc.exitCode === null) r.proc.kill('SIGTERM');
        // A clean stop is prompt; one that hangs fails here with the server's log, not as a test timeout.
        let timer: NodeJS.Timeout | undefined;
        const hung = new Promise<'hung'>((res) => (timer = setTimeout(() => res('hung'), STOP_MS)));
        const code = await Promise.race([r.exited, hung]);
        clearTimeout(timer);
        if (code !== 'hung') return code;
        r.proc.kill('SIGKILL');
        await r.exited;
        throw new Error(`server ${m.id} did not stop within ${STOP_MS} ms of SIGTERM:\n${r.logs().slice(-4000)}`);
      },
      partition() {
        run?.proc.kill('SIGUSR2');
      },
      signal(sig) {
        run?.proc.kill(sig);
      },
      word: (w) => fourLetter(m.clientPort, w),
      async mode() {
        try {
          const text = await fourLetter(m.clientPort, 'srvr');
          return /Mode: ([\w-]+)/.exec(text)?.[1] ?? (/not currently serving/.test(text) ? 'not serving' : 'none');
        } catch {
          return 'down';
        }
      },
    };
  });
  const started = await Promise.allSettled(peers.map((p) => p.start()));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    // One member could not start: stop the others rather than leave them running with no owner.
    await Promise.all(peers.map((p) => (p.running() ? p.kill() : Promise.resolve())));
    removeDir(dir);
    throw (failed as PromiseRejectedResult).reason;
  }
  const ensemble: Ensemble = {
    dir,
    peers,
    connect: peers.map((p) => `127.0.0.1:${p.port}`).join(','),
    async stable(timeoutMs = 20000) {
      const deadline = Date.now() + timeoutMs;
      let modes: string[] = [];
      for (;;) {
        const up = peers.filter((p) => p.running());
        modes = await Promise.all(up.map((p) => p.mode()));
        const leaders = up.filter((_, i) => modes[i] === 'leader');
        if (leaders.length === 1 && modes.every((x) => x === 'leader' || x === 'follower' || x === 'observer')) {
          return { leader: leaders[0]!, learners: up.filter((p) => p !== leaders[0]) };
        }
        if (Date.now() > deadline) throw new Error(`no stable ensemble after ${timeoutMs} ms: ${modes.join(', ')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async close() {
      const codes = await Promise.all(peers.map((p) => (p.running() ? p.stop() : Promise.resolve(0))));
      removeDir(dir);
      expect(codes.every((c) => c === 0)).toBe(true);
    },
  };
  return ensemble;
}

// ---------------------------------------------------------------- clients

export function nodeClient(hosts: string, timeout = 6000): Promise<Client> {
  const c = zookeeper.createClient(hosts, { sessionTimeout: timeout, retries: 0 });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      c.close();
      reject(new Error(`no session with ${hosts} within 30 s`));
    }, 30000);
    c.once('connected', () => {
      clearTimeout(timer);
      resolve(c);
    });
    c.connect();
  });
}

export function create(c: Client, path: string, data: string, mode: number = zookeeper.CreateMode.PERSISTENT): Promise<{ err: number; path?: string }> {
  return new Promise((resolve) =>
    c.create(path, Buffer.from(data), zookeeper.ACL.OPEN_ACL_UNSAFE, mode, (e, p) => resolve(e ? { err: (e as unknown as { code: number }).code } : { err: 0, path: p })),
  );
}

/** On one server only: sync, then read `path` (data, or the error code). */
export async function readAfterSync(port: number, path: string): Promise<string | number> {
  const c = await RawClient.session(port);
  try {
    c.send(1, { op: 'sync', path });
    c.send(2, { op: 'getData', path, watch: false });
    const sync = await c.reply();
    expect(sync?.xid).toBe(1);
    const got = await c.reply();
    expect(got?.xid).toBe(2);
    if (got!.err !== 0) return got!.err;
    return Buffer.from(got!.body.buffer() ?? []).toString();
  } finally {
    c.close();
  }
}

/** On one server only: sync, then the children of `path`. */
export async function childrenAfterSync(port: number, path: string): Promise<string[]> {
  const c = await RawClient.session(port);
  try {
    c.send(1, { op: 'sync', path });
    c.send(2, { op: 'getChildren', path, watch: false });
    await c.reply();
    const got = await c.reply();
    expect(got?.err).toBe(0);
    const n = got!.body.int();
    return Array.from({ length: n }, () => got!.body.string());
  } finally {
    c.close();
  }
}

/** The sync types (DIFF, TRUNC, SNAP) a server's log shows it received from leaders, in order. */
export const syncType = (p: Peer) => [...p.logs().matchAll(/"msg":"sync from leader".*?"type":"(\w+)"/g)].map((m) => m[1]);

/**
 * Cut the leader off and have a client write through it: a proposal nobody else sees. The
 * ensemble must run with ZABKIT_FAULT_HOOK=silent: the links then drop everything without
 * closing, so the leader finds out only when its sync timer fires, and takes the write before
 * that. Resolves once the others have a leader of their own, with that client (whose write is
 * never acknowledged).
 */
export async function cutOffLeaderWithWrite(leader: Peer, learners: readonly Peer[], path: string): Promise<RawClient> {
  const client = await RawClient.session(leader.port);
  leader.partition();
  await until('the isolation', () => /isolated from peers \(fault hook, silent\)/.test(leader.logs()));
  client.send(1, { op: 'create', path, data: new Uint8Array(0), acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags: 0 });
  await until('a new leader among the others', async () => {
    const modes = await Promise.all(learners.map((p) => p.mode()));
    return modes.includes('leader') && modes.includes('follower');
  });
  return client;
}
