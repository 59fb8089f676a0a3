// Everything a server takes from the outside world, as one object: the clock and timers, the
// network, the file system, and the process's exit. In production it is node's own (`nodeEnv`);
// the simulator (sim/) passes a simulated one, so that the very same Server, ZabNode, Storage,
// Peers and ClientPort run under a seeded scheduler, with simulated time, sockets and disk.
import { connect, createServer } from 'node:net';
import { nodeFileSystem, type FileSystem } from './file-system.ts';
import { nodeTls, type TlsNet } from './tls-net.ts';

/** An armed timer, as the clock returned it: only ever handed back to the clock. */
export type TimerHandle = { readonly __timer?: never } | NodeJS.Timeout;

export interface Clock {
  /** Milliseconds since the epoch (the sessions' deadlines and ids are counted in it). */
  now(): number;
  /** `weak`: the timer alone does not keep the process alive (node's unref). */
  setTimeout(fn: () => void, ms: number, weak?: boolean): TimerHandle;
  setInterval(fn: () => void, ms: number, weak?: boolean): TimerHandle;
  /** Cancels either kind. */
  clear(handle: TimerHandle | null | undefined): void;
  /** After every I/O callback of this turn (setImmediate). */
  soon(fn: () => void): void;
}

/** The parts of a node:net Socket the server uses. */
export interface SocketLike {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly destroyed: boolean;
  setNoDelay(noDelay?: boolean): unknown;
  cork(): void;
  uncork(): void;
  write(bytes: Uint8Array): unknown;
  end(): unknown;
  destroy(): unknown;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'error', listener: (e: Error) => void): unknown;
  on(event: 'close' | 'connect', listener: () => void): unknown;
}

/** The parts of a node:net Server the server uses. */
export interface ListenerLike {
  listen(port: number, host: string, done: () => void): unknown;
  once(event: 'error', listener: (e: Error) => void): unknown;
  close(done: () => void): unknown;
  address(): { port: number } | string | null;
}

export interface Net {
  createServer(onConnection: (socket: SocketLike) => void): ListenerLike;
  connect(to: { readonly host: string; readonly port: number }): SocketLike;
}

export interface Env {
  readonly clock: Clock;
  readonly net: Net;
  readonly fs: FileSystem;
  /** TLS (secureClientPort, sslQuorum): node's only; a simulated Env has none, and a server refuses TLS settings without it. */
  readonly tls?: TlsNet;
  /**
   * The process ends: `now` at once (a diverged tree, as a crash would), or with this code once
   * everything has stopped (a failed disk).
   */
  exit(code: number, now: boolean): void;
}

const nodeClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms, weak) => {
    const t = setTimeout(fn, ms);
    if (weak) t.unref();
    return t;
  },
  setInterval: (fn, ms, weak) => {
    const t = setInterval(fn, ms);
    if (weak) t.unref();
    return t;
  },
  clear: (h) => clearTimeout(h as NodeJS.Timeout | undefined),
  soon: (fn) => void setImmediate(fn),
};

export const nodeEnv: Env = {
  clock: nodeClock,
  net: {
    createServer: (onConnection) => createServer(onConnection),
    connect: (to) => connect({ host: to.host, port: to.port }),
  },
  fs: nodeFileSystem,
  tls: nodeTls,
  exit: (code, now) => {
    if (now) process.exit(code);
    process.exitCode = code;
  },
};
