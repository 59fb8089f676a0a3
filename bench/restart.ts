// Restart with a big tree on disk. `fillTree` starts a standalone server, fills it with `znodes`
// znodes (1,000 parents, the rest spread under them, 100-byte values, multis of 1,000 creates)
// and stops it (SIGTERM); `restartOnce` starts it again on that data directory and times from
// starting the process to the first write that succeeds. A restart counts only once the server
// holds every znode (getAllChildrenNumber). Both also read what the server cost: its CPU (over
// the fill; from its start to that first write) and its resident memory with the tree loaded.
import { RawClient } from '../conformance/raw-client.ts';
import { cpuMs, rssSum } from './proc-stats.ts';
import { processesOf, startSystem, type SystemName, type SystemOptions } from './systems.ts';

const OPEN = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const PER_MULTI = 1000;
const IN_FLIGHT = 8;
// A big tree: Apache gets a JVM heap that holds it (Node's default heap holds zabkit's), and a
// minute to load it.
const BIG: SystemOptions = { apacheHeap: '4g', readyMs: 120_000 };

/** Waits until a write succeeds on one of `ports`: the milliseconds since `t0`. */
export type UntilWrite = (ports: readonly number[], t0: number) => Promise<number>;

async function call(c: RawClient, xid: number, req: Parameters<RawClient['send']>[1]) {
  c.send(xid, req);
  for (;;) {
    const r = await c.reply(60_000);
    if (!r) throw new Error('connection closed');
    if (r.xid === xid) return r;
  }
}

/** The paths: `/r`, `/r/p0` … `/r/p999`, then children spread over the parents; `znodes` below /r. */
function pathsOf(znodes: number): string[] {
  const parents = Math.min(1000, znodes);
  const paths: string[] = ['/r'];
  for (let p = 0; p < parents; p++) paths.push(`/r/p${p}`);
  for (let i = 0; paths.length < znodes + 1; i++) paths.push(`/r/p${i % parents}/n${Math.floor(i / parents)}`);
  return paths;
}

export async function fill(port: number, znodes: number): Promise<void> {
  const value = new Uint8Array(100).fill(120);
  const paths = pathsOf(znodes);
  const parents = Math.min(1000, znodes);
  const c = await RawClient.session(port, { timeout: 30_000 });
  try {
    let xid = 0;
    let sent = 0;
    let pending = 0;
    const sendNext = () => {
      const ops = paths.slice(sent, sent + PER_MULTI).map((path) => ({ type: 1 as const, body: { path, data: value, acl: OPEN, flags: 0 } }));
      sent += ops.length;
      pending++;
      c.send(++xid, { op: 'multi', ops });
    };
    const settle = async () => {
      const r = await c.reply(60_000);
      if (!r) throw new Error('fill: connection closed');
      if (r.xid < 0) return;
      pending--;
      if (r.err !== 0) throw new Error(`fill: multi ${r.xid} failed with ${r.err}`);
    };
    // The parents first, one multi at a time: the later multis' creates need them.
    while (sent < parents + 1) {
      sendNext();
      while (pending > 0) await settle();
    }
    while (sent < paths.length || pending > 0) {
      while (pending < IN_FLIGHT && sent < paths.length) sendNext();
      await settle();
    }
  } finally {
    c.close();
  }
}

async function count(port: number): Promise<number> {
  const c = await RawClient.session(port, { timeout: 30_000 });
  try {
    const r = await call(c, 1, { op: 'getAllChildrenNumber', path: '/r' });
    if (r.err !== 0) throw new Error(`getAllChildrenNumber failed with ${r.err}`);
    return r.body.int();
  } finally {
    c.close();
  }
}

export interface TreeCost {
  /** Milliseconds: filling, or from starting the process to the first write. */
  readonly ms: number;
  /** The server's CPU milliseconds (user + system) over the same span. */
  readonly cpuMs: number;
  /** The server's resident memory with every znode loaded, bytes. */
  readonly rss: number;
}

/** Fills a fresh standalone `system` in `dir` with `znodes` znodes and stops it: what the filling took. */
export async function fillTree(system: SystemName, dir: string, port: number, znodes: number, untilWrite: UntilWrite): Promise<TreeCost> {
  const sys = await startSystem(system, 'standalone', dir, port, BIG);
  try {
    await untilWrite([sys.members[0]!.port], Date.now()); // a fresh Apache answers ruok before it takes sessions
    const [pids] = processesOf(sys.members);
    const cpu0 = cpuMs(pids!);
    const t = Date.now();
    await fill(sys.members[0]!.port, znodes);
    return { ms: Date.now() - t, cpuMs: cpuMs(pids!) - cpu0, rss: rssSum(pids!) };
  } finally {
    await sys.stop();
  }
}

/** Starts `system` again on the tree `fillTree` left in `dir`: what it took to the first successful write. */
export async function restartOnce(system: SystemName, dir: string, port: number, znodes: number, untilWrite: UntilWrite): Promise<TreeCost> {
  const t0 = Date.now();
  const sys = await startSystem(system, 'standalone', dir, port, BIG);
  try {
    const ports = sys.members.map((m) => m.port);
    const ms = await untilWrite(ports, t0);
    const [pids] = processesOf(sys.members);
    const cpu = cpuMs(pids!); // a new process: all it spent so far
    const held = await count(ports[0]!);
    if (held !== znodes) throw new Error(`${system} restarted with ${held} znodes under /r, not ${znodes}`);
    return { ms, cpuMs: cpu, rss: rssSum(pids!) };
  } finally {
    await sys.stop();
  }
}
