// The simulated network (sim/net.ts): FIFO streams, cut links holding data, resets, refused connects.
import { describe, expect, it } from 'vitest';
import type { SocketLike } from '../../src/shell/env.ts';
import { SimNet, type SimSocket } from '../../sim/net.ts';
import { Random } from '../../sim/random.ts';
import { Proc, Scheduler } from '../../sim/scheduler.ts';

function world(seed = 3) {
  const sched = new Scheduler();
  const net = new SimNet(sched, new Random(seed), { minDelay: 1, maxDelay: 50, slowChance: 0.2, connectTimeout: 1000 });
  const server = new Proc('server');
  const client = new Proc('client');
  const got: string[] = [];
  const accepted: SocketLike[] = [];
  const l = net.view(server, 'a').createServer((s) => {
    accepted.push(s);
    s.on('data', (b: Buffer) => got.push(b.toString()));
  });
  l.listen(1, '127.0.0.1', () => {});
  return { sched, net, server, client, got, accepted, dial: () => net.view(client, 'b').connect({ host: '127.0.0.1', port: 1 }) as SimSocket };
}

describe('the simulated network', () => {
  it('delivers every write of a connection in order, whatever each one\'s delay', async () => {
    const w = world();
    const s = w.dial();
    for (let i = 0; i < 200; i++) s.write(Buffer.from(`${i},`));
    await w.sched.run(w.sched.now + 60_000);
    expect(w.got.join('')).toBe(Array.from({ length: 200 }, (_, i) => `${i},`).join(''));
  });

  it('a cut link holds what crosses it until healed; a connect across it times out', async () => {
    const w = world();
    const s = w.dial();
    await w.sched.run(w.sched.now + 500);
    w.net.cut('b', 'a');
    s.write(Buffer.from('held'));
    await w.sched.run(w.sched.now + 5_000);
    expect(w.got).toEqual([]);
    let failed = '';
    const t = w.dial();
    t.on('error', (e: Error) => (failed = e.message));
    await w.sched.run(w.sched.now + 5_000);
    expect(failed).toMatch(/ETIMEDOUT/);
    w.net.heal();
    await w.sched.run(w.sched.now + 5_000);
    expect(w.got).toEqual(['held']);
  });

  it('a reset closes both ends and loses what was in flight; a killed process\'s connections close at the other end', async () => {
    const w = world();
    const s = w.dial();
    let closed = 0;
    s.on('close', () => closed++);
    await w.sched.run(w.sched.now + 500);
    w.accepted[0]!.on('close', () => closed++);
    s.write(Buffer.from('lost'));
    w.net.reset(s);
    await w.sched.run(w.sched.now + 5_000);
    expect(w.got).toEqual([]);
    expect(closed).toBe(2);
    const u = w.dial();
    let uClosed = false;
    u.on('close', () => (uClosed = true));
    await w.sched.run(w.sched.now + 500);
    w.server.alive = false;
    w.net.killed(w.server);
    await w.sched.run(w.sched.now + 5_000);
    expect(uClosed).toBe(true);
    let refused = '';
    const v = w.dial();
    v.on('error', (e: Error) => (refused = e.message));
    await w.sched.run(w.sched.now + 5_000);
    expect(refused).toMatch(/ECONNREFUSED/);
  });
});
