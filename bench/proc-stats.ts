// What a server process costs, read from Linux's /proc: CPU time (user + system, every thread,
// live or ended) and resident memory. A server is its process and whatever it starts: a pid's
// descendants count with it, so a launcher that forks (a bin script re-executing itself) is
// still measured whole. Not Linux: NaN.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';

let ticks: number | undefined;
/** Clock ticks per second, the unit of /proc/<pid>/stat's times (`getconf CLK_TCK`; 100 on Linux). */
export function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      ticks = NaN;
    }
    if (!(ticks > 0)) ticks = 100;
  }
  return ticks;
}

/** /proc/<pid>/stat's fields after the command name (which may hold spaces and parentheses). */
function statFields(pid: number): string[] | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** `pid` and every process below it, now. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [pid];
  }
  for (const e of entries) {
    const ppid = Number(statFields(Number(e))?.[1]); // field 4: ppid
    if (Number.isInteger(ppid)) children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
  }
  const tree: number[] = [];
  const todo = [pid];
  while (todo.length > 0 && tree.length < 10_000) {
    const p = todo.pop()!;
    tree.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return tree;
}

/** CPU milliseconds (user + system) `pids` have spent so far; an ended pid adds nothing. */
export function cpuMs(pids: readonly number[]): number {
  let t = 0;
  for (const pid of pids) {
    const f = statFields(pid);
    if (f) t += Number(f[11]) + Number(f[12]); // fields 14, 15: utime, stime
  }
  return (t * 1000) / clockTicks();
}

/** Resident memory of one process, in bytes; NaN once it is gone. */
export function rssOf(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Resident memory of `pids` together, in bytes (NaN if none is there). */
export function rssSum(pids: readonly number[]): number {
  const xs = pids.map(rssOf).filter((x) => !Number.isNaN(x));
  return xs.length ? xs.reduce((a, b) => a + b, 0) : NaN;
}

/** The executable a pid runs (`java`, `node`, `sh` …), from /proc/<pid>/exe; '' if unknown. */
export function executableOf(pid: number): string {
  try {
    return basename(readlinkSync(`/proc/${pid}/exe`));
  } catch {
    return '';
  }
}

/**
 * Throws unless `pid` runs one of `expected` (a JVM, Node), not a wrapper shell script whose own
 * CPU and memory would be a shell's. Unknown (not Linux): no check.
 */
export function assertRuntime(pid: number, expected: readonly string[]): void {
  const exe = executableOf(pid);
  if (exe && !expected.includes(exe)) throw new Error(`pid ${pid} runs ${exe}, not ${expected.join(' or ')}: that would measure a wrapper, not the server`);
}

export interface WindowCost {
  /** CPU milliseconds all the servers spent in the window. */
  readonly cpuMs: number;
  /** Per server, the most resident memory sampled in the window (bytes). */
  readonly rssMax: readonly number[];
}

/**
 * Opens a measured window on `servers` (each server's pids): CPU is read now and at `close()`,
 * resident memory every `everyMs` in between (and at both ends).
 */
export function openWindow(servers: readonly (readonly number[])[], everyMs = 100): { close(): WindowCost } {
  const all = servers.flat();
  const cpu0 = cpuMs(all);
  const rssMax = servers.map(() => NaN);
  const sample = () =>
    servers.forEach((pids, k) => {
      const r = rssSum(pids);
      if (!Number.isNaN(r) && !(r <= rssMax[k]!)) rssMax[k] = r;
    });
  sample();
  const timer = setInterval(sample, everyMs);
  timer.unref();
  let done: WindowCost | null = null;
  return {
    close() {
      if (!done) {
        clearInterval(timer);
        sample();
        done = { cpuMs: cpuMs(all) - cpu0, rssMax };
      }
      return done;
    },
  };
}
