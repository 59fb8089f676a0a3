// Real servers for the tests: `zabkit server` in a child process on a port of its choosing,
// a raw protocol client, and the peers (kazoo, zkCli) when the machine has them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
export { RawClient } from '../../conformance/raw-client.ts';

const ROOT = join(import.meta.dirname, '..', '..');
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

export function tempDir(prefix = 'zabkit-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface Launched {
  readonly proc: ChildProcess;
  readonly logs: () => string;
  readonly exited: Promise<number | null>;
  /** Resolves with the first match of `pattern` in the output once `also` (if given) is there too. */
  waitFor(pattern: RegExp, also?: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

/** `zabkit ARGS…` in a child process, its output collected; killed at the latest when the tests exit. */
export function launch(args: readonly string[], env: NodeJS.ProcessEnv = {}): Launched {
  const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
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

/** Start `zabkit server` on 127.0.0.1 and a free port; resolves once it serves. */
export async function startServer(dataDir: string, flags: readonly string[] = []): Promise<RunningServer> {
  const l = launch(['server', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, ...flags]);
  const port = Number((await l.waitFor(/serving on [\d.]+:(\d+)/, /"msg":"serving"/))[1]);
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

/** One server for a whole suite, in a fresh directory: started before it, stopped (exit 0 required) and removed after. */
export function suiteServer(flags: readonly string[] = []): { readonly server: RunningServer } {
  const box = {} as { server: RunningServer };
  let dir = '';
  beforeAll(async () => {
    dir = tempDir();
    box.server = await startServer(dir, flags);
  });
  afterAll(async () => {
    expect(await box.server.stop()).toBe(0);
    removeDir(dir);
  });
  return box;
}

/** Send a four-letter word; resolves with the whole answer once the server closes. */
export function fourLetter(port: number, word: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(word));
    let got = '';
    s.on('data', (d) => (got += d));
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}

// ---------------------------------------------------------------- the peers

/** Debian's python3 with kazoo; `undefined` when this machine lacks it. */
export const KAZOO_PYTHON = ['/usr/bin/python3'].find(
  (py) => existsSync(py) && spawnSync(py, ['-c', 'import kazoo'], { stdio: 'ignore' }).status === 0,
);
export const ZKCLI = ['/usr/share/zookeeper/bin/zkCli.sh'].find((p) => existsSync(p));

/**
 * Tests that need a Debian peer run when it is installed (.ci/run installs it) and are skipped
 * with a reason otherwise; with ZABKIT_REQUIRE_PEERS=1 (as .ci/run sets) a missing peer fails.
 */
export function peerMissing(name: string, present: unknown): boolean {
  if (present) return false;
  if (process.env.ZABKIT_REQUIRE_PEERS === '1') throw new Error(`${name} is required (ZABKIT_REQUIRE_PEERS=1) but not installed; .ci/run installs it`);
  console.warn(`skipping ${name} tests: not installed (run .ci/run, or apt-get install python3-kazoo zookeeper)`);
  return true;
}
