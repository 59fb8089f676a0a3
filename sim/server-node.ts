// One simulated server machine: its disk (which outlives its processes) and the process running
// on it now — the production Server (src/shell/server.ts) with a simulated Env. A kill ends the
// process (the kernel keeps the disk's page cache and resets its connections); a power loss also
// loses what was not synced; a freeze stops it reading anything until it resumes.
import type { Env } from '../src/shell/env.ts';
import type { Logger } from '../src/shell/logger.ts';
import type { ServerConfig } from '../src/shell/config.ts';
import { Server } from '../src/shell/server.ts';
import type { SimDisk } from './disk.ts';
import type { SimNet } from './net.ts';
import type { SimMutant } from './mutants.ts';
import { Proc, type Scheduler } from './scheduler.ts';

export class SimServer {
  proc: Proc | null = null;
  server: Server | null = null;
  private incarnation = 0;
  /** Each time a process ended by its own hand (a digest mismatch, a failed disk, a failed start): why. */
  readonly exits: string[] = [];

  constructor(
    readonly sid: number,
    readonly config: ServerConfig,
    readonly disk: SimDisk,
    private readonly sched: Scheduler,
    private readonly net: SimNet,
    private readonly log: (line: string) => void,
    private readonly mutant: SimMutant | undefined,
  ) {}

  get up(): boolean {
    return this.proc?.alive === true;
  }

  /** Start a process from what the disk holds. */
  start(): void {
    if (this.up) return;
    const proc = new Proc(`s${this.sid}#${++this.incarnation}`);
    this.proc = proc;
    const env: Env = {
      clock: this.sched.clock(proc),
      net: this.net.view(proc, `s${this.sid}`),
      fs: this.disk.view(proc),
      exit: (code, now) => {
        if (!proc.alive) return; // (a dead process runs nothing: no exit to report)
        this.exits.push(`${this.sched.now} ms: exit ${code}${now ? ' at once' : ''}`);
        this.log(`${this.sched.now} s${this.sid} exits (${code})`);
        this.end(proc, 'kill');
        if (now) {
          const e = new Error(`s${this.sid} exited (${code})`);
          this.sched.exits.add(e);
          throw e;
        }
      },
    };
    const m = this.mutant;
    const server = new Server(this.config, this.logger(proc), env, { ...(m?.zab ? { zab: m.zab } : {}), ...(m?.server ? { server: m.server } : {}), ...(m?.unsyncedRecovery ? { unsyncedRecovery: true } : {}), ...(m?.halfLinks ? { halfLinks: true } : {}) });
    this.server = server;
    this.prepare(server);
    this.sched.at(this.sched.now, proc, () => {
      server.start().catch((e: Error) => {
        if (!proc.alive) return;
        this.log(`${this.sched.now} s${this.sid} failed to start: ${e.message}`);
        this.exits.push(`${this.sched.now} ms: start failed: ${e.message}`);
        this.end(proc, 'kill');
      });
    });
  }

  /** kill -9 (the kernel keeps unsynced writes) or a power loss (it does not). */
  crash(how: 'kill' | 'power'): void {
    if (this.proc?.alive) this.end(this.proc, how);
  }

  freeze(): void {
    if (this.proc?.alive) this.proc.frozen = true;
  }

  thaw(): void {
    if (this.proc?.frozen) this.sched.thaw(this.proc);
  }

  private end(proc: Proc, how: 'kill' | 'power'): void {
    if (!proc.alive) return;
    proc.alive = false;
    proc.frozen = false;
    proc.held.length = 0;
    this.net.killed(proc);
    if (how === 'power') this.disk.powerLoss();
    else this.disk.processDied();
  }

  /** Each new process's Server, before it starts (a scripted run gives it its script). */
  prepare: (server: Server) => void = () => {};

  /** Every log line of the server's processes, as data (the run watches for some). */
  onLog: (msg: string, fields: Record<string, unknown> | undefined) => void = () => {};

  private logger(proc: Proc): Logger {
    const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
      this.onLog(msg, fields);
      this.log(`${this.sched.now} ${proc.name} ${level} ${msg}${fields ? ` ${JSON.stringify(fields, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))}` : ''}`);
    };
    return { debug: () => {}, info: at('info'), warn: at('warn'), error: at('error') };
  }
}

