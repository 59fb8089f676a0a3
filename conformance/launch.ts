// `zabkit` in child processes: a server on a port of its choosing, or any command, its output
// collected. Every child is killed, at the latest, when this process exits. The tests start
// their servers with it, and so do the differential runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/shell/project-root.ts';

const ROOT = PROJECT_ROOT;
const BIN = join(ROOT, 'bin', 'zabkit.mjs');

export interface RunningServer {
  readonly port: number;
  readonly dataDir: string;
  readonly proc: ChildProcess;
  readonly logs: () => string;
  /** SIGTERM, and wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
}

const started = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of started) if (p.exitCode === null) p.kill('SIGKILL');
});

export interface Launched {
  readonly proc: ChildProcess;
  readonly logs: () => string;
  readonly exited: Promise<number | null>;
  /** Resolves with the first match of `pattern` in the output once `also` (if given) is there too. */
  waitFor(pattern: RegExp, also?: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

/** `zabkit ARGS…` in a child process, its output collected; killed at the latest when the tests exit. */
export function launch(args: readonly string[], env: NodeJS.ProcessEnv = {}): Launched {
  // A server's AdminServer is on at 8080 by default, as ZooKeeper's: off for test servers (they would
  // all fight for that port) unless a test asks for it by a flag.
  const admin = args[0] === 'server' && !args.some((a) => /^--admin-(server|port)(=|$)/.test(a)) ? ['--admin-server', 'false'] : [];
  const proc = spawn(process.execPath, [BIN, ...args, ...admin], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  started.add(proc);
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  void exited.then(() => started.delete(proc));
  const waitFor = (pattern: RegExp, also?: RegExp, timeoutMs = 15000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${out.slice(-4000)}`)), timeoutMs);
      const check = () => {
        const m = pattern.exec(out);
        if (m && (!also || also.test(out))) {
          clearTimeout(timer);
          resolve(m);
        }
      };
      proc.stdout!.on('data', check);
      proc.stderr!.on('data', check);
      check();
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`zabkit exited with ${code}:\n${out.slice(-4000)}`));
      });
    });
  return { proc, logs: () => out, exited, waitFor };
}

/** Start `zabkit server` on 127.0.0.1 and a free port; resolves once it serves (within `readyMs`). */
export async function startServer(dataDir: string, flags: readonly string[] = [], readyMs = 15000): Promise<RunningServer> {
  const l = launch(['server', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, ...flags]);
  const port = Number((await l.waitFor(/serving on [\d.]+:(\d+)/, /"msg":"serving"/, readyMs))[1]);
  return {
    port,
    dataDir,
    proc: l.proc,
    logs: l.logs,
    async stop() {
      if (l.proc.exitCode === null) l.proc.kill('SIGTERM');
      return l.exited;
    },
    async kill() {
      if (l.proc.exitCode === null) l.proc.kill('SIGKILL');
      await l.exited;
    },
  };
}

/**
 * Ports are drawn below the kernel's range for outgoing connections (ip_local_port_range): a port
 * in that range, free when checked, can be taken by any outgoing connection — the starting
 * servers' own links to each other included — before the server binds it (EADDRINUSE).
 */
function portRange(): [number, number] {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 12000) return [10000, low - 400];
  } catch {
    // not Linux: the old range
  }
  return [30000, 55000];
}

/** Bases handed out by this process: two ensembles started side by side never get the same ports. */
const handedOut: number[] = [];

/** Free ports for a whole ensemble: client P.., quorum P+100.., election P+200.., admin P+300.. (none shared with another base handed out here). */
export async function freeBasePort(n: number): Promise<number> {
  const [lo, hi] = portRange();
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = lo + Math.floor(Math.random() * (hi - lo - n));
    if (handedOut.some((b) => Math.abs(b - base) < 400)) continue;
    const ports = [0, 100, 200, 300].flatMap((off) => Array.from({ length: n }, (_, k) => base + off + k));
    if ((await Promise.all(ports.map(free))).every(Boolean) && !handedOut.some((b) => Math.abs(b - base) < 400)) {
      handedOut.push(base);
      return base;
    }
  }
  throw new Error('no free ports');
}

function free(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

