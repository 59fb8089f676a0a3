// One fault of a simulated run, of the kind the swarm drew (faults.ts), on `target` (a server) or
// on the network between the run's hosts. What a fault undoes later (a restart, a heal, a thaw) is
// scheduled with `later`, which `heal all` also runs early.
import type { SimClient } from './client.ts';
import type { FaultKind } from './faults.ts';
import type { SimNet } from './net.ts';
import type { Random } from './random.ts';
import type { Scheduler } from './scheduler.ts';
import type { SimServer } from './server-node.ts';

/** After a lost disk, how long the wiped server may take to rejoin before faults go on. */
const REJOIN_MS = 60_000;

export interface FaultContext {
  readonly servers: readonly SimServer[];
  readonly clients: readonly SimClient[];
  readonly net: SimNet;
  readonly sched: Scheduler;
  readonly random: Random;
  readonly sleep: (ms: number) => Promise<void>;
  /** Log a fault (it counts as injected). */
  readonly fault: (what: string) => void;
  /** Undo something after `ms`, logged as `what` (unless a heal came first). */
  readonly later: (ms: number, what: string, undo: () => void) => void;
}

export async function injectOne(kind: FaultKind, target: SimServer, ctx: FaultContext): Promise<void> {
  const { servers, clients, net, sched, sleep, fault, later, random: frandom } = ctx;
  const sids = servers.map((s) => s.sid);
  switch (kind) {
    case 'wipe': {
      // A lost disk makes a server forget what it promised (its epochs, its acknowledged txns):
      // ZAB tolerates it only while the others hold a quorum. So only when every server is up
      // and level, and no other fault comes until the wiped one has rejoined (by SNAP).
      if (servers.some((s) => !s.up || !s.server?.serving || s.proc!.frozen) || net.anyCut()) break;
      target.crash('power');
      target.disk.wipe(target.config.dataDir);
      fault(`wipe s${target.sid}`);
      await sleep(frandom.int(50, 3000));
      target.start();
      fault(`restart s${target.sid} with an empty disk`);
      const level = Math.max(...servers.map((s) => (s.up && s.server ? s.server.lastZxid : 0)));
      const by = sched.now + REJOIN_MS;
      while (sched.now < by && !(target.server?.serving && target.server.lastZxid >= level)) await sleep(50);
      fault(`s${target.sid} rejoined`);
      break;
    }
    case 'kill':
    case 'power': {
      if (!target.up) break;
      target.crash(kind);
      fault(`${kind} s${target.sid}`);
      later(frandom.int(50, 3000), `restart s${target.sid}`, () => target.start());
      break;
    }
    case 'partition': {
      const shape = frandom.pick(['alone', 'halves', 'bridge'] as const);
      const shuffled = [...sids].sort(() => frandom.float() - 0.5);
      let groups: number[][];
      if (shape === 'alone') groups = [[target.sid], sids.filter((x) => x !== target.sid)];
      else if (shape === 'halves') groups = [shuffled.slice(0, Math.floor(sids.length / 2)), shuffled.slice(Math.floor(sids.length / 2))];
      else groups = [];
      if (shape === 'bridge') {
        // two sides that each reach only the bridge
        const [bridge, ...rest] = shuffled;
        const a = rest.slice(0, Math.floor(rest.length / 2));
        const b = rest.slice(Math.floor(rest.length / 2));
        for (const x of a) for (const y of b) (net.cut(`s${x}`, `s${y}`), net.cut(`s${y}`, `s${x}`));
        fault(`partition: bridge s${bridge} between ${a.map((x) => `s${x}`).join(',')} | ${b.map((x) => `s${x}`).join(',')}`);
      } else {
        const [a, b] = groups as [number[], number[]];
        for (const x of a) for (const y of b) (net.cut(`s${x}`, `s${y}`), net.cut(`s${y}`, `s${x}`));
        fault(`partition ${a.map((x) => `s${x}`).join(',')} | ${b.map((x) => `s${x}`).join(',')}`);
      }
      later(frandom.int(200, 6000), 'heal network', () => net.heal());
      break;
    }
    case 'oneway': {
      const other = frandom.pick(sids.filter((x) => x !== target.sid));
      const [from, to] = frandom.chance(0.5) ? [target.sid, other] : [other, target.sid];
      net.cut(`s${from}`, `s${to}`);
      fault(`one-way cut s${from} > s${to}`);
      later(frandom.int(200, 6000), 'heal network', () => net.heal());
      break;
    }
    case 'reset': {
      const socks = [...net.sockets].filter((s) => s.peer && !s.destroyed);
      if (socks.length === 0) break;
      const s = frandom.pick(socks);
      fault(`reset a connection ${s.host} - ${s.peer!.host}`);
      net.reset(s);
      break;
    }
    case 'congestion': {
      // One path becomes slow for a while, between a client and a server or two servers: a
      // request may then reach its server after the client gave up on the connection.
      const hosts = [...servers.map((s) => `s${s.sid}`), ...clients.map((c) => `c${c.id}`)];
      const from = frandom.pick(hosts);
      const to = from.startsWith('c') ? `s${frandom.pick(sids)}` : frandom.pick(hosts.filter((h) => h !== from));
      const ms = frandom.int(200, 3000);
      const lasts = frandom.int(300, 5000);
      net.spike(from, to, ms, sched.now + lasts);
      fault(`congestion ${from} > ${to}: +${ms} ms for ${lasts} ms`);
      break;
    }
    case 'freeze': {
      if (!target.up || target.proc!.frozen) break;
      target.freeze();
      const ms = frandom.pick([frandom.int(50, 500), frandom.int(1000, 6000)]);
      fault(`freeze s${target.sid} for ${ms} ms`);
      later(ms, `thaw s${target.sid}`, () => target.thaw());
      break;
    }
    default:
      break;
  }
}
