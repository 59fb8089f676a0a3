// The fault proxy: bytes carried both ways, held while a direction is cut and delivered in order
// at the heal, delayed by a latency, and connections reset at both ends.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { FaultProxy } from '../../conformance/torture/proxy.ts';

const until = async (cond: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** A peer that records what it receives and answers each chunk with "ok:" + the chunk. */
async function peer(): Promise<{ server: Server; port: number; got: string[] }> {
  const got: string[] = [];
  const server = createServer((s) => s.on('data', (d) => (got.push(d.toString()), s.write(`ok:${d.toString()}`))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as { port: number }).port, got };
}

const open: { close(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});

async function setup() {
  const p2 = await peer();
  const proxy = new FaultProxy();
  await proxy.start([
    { id: 1, quorum: 1, election: 1 }, // server 1 listens nowhere here: only 1 → 2 is used
    { id: 2, quorum: p2.port, election: p2.port },
  ]);
  const client = connect({ host: '127.0.0.1', port: proxy.portFor(1, 2, 'quorum') });
  const back: string[] = [];
  client.on('data', (d) => back.push(d.toString()));
  client.on('error', () => {});
  await new Promise<void>((r) => client.once('connect', () => r()));
  open.push({ close: () => (client.destroy(), p2.server.close(), void proxy.stop()) });
  return { proxy, client: client as Socket, got: p2.got, back };
}

describe('the fault proxy', () => {
  it('carries bytes both ways and counts them per direction', async () => {
    const { proxy, client, got, back } = await setup();
    client.write('a');
    await until(() => back.join('') === 'ok:a');
    expect(got).toEqual(['a']);
    expect(proxy.carried.get('1>2')).toBe(1);
    expect(proxy.carried.get('2>1')).toBe(4);
  });

  it('holds one direction while cut, the other still flows, and delivers in order at the heal', async () => {
    const { proxy, client, got, back } = await setup();
    proxy.cut(1, 2);
    client.write('x');
    client.write('y');
    await new Promise((r) => setTimeout(r, 150));
    expect(got.join('')).toBe('');
    proxy.heal();
    await until(() => got.join('') === 'xy');
    await until(() => back.join('').includes('ok:'));
    // the answer direction, cut alone, holds the answers
    proxy.cut(2, 1);
    const before = back.join('');
    client.write('z');
    await until(() => got.join('').endsWith('z'));
    await new Promise((r) => setTimeout(r, 100));
    expect(back.join('')).toBe(before);
    proxy.heal();
    await until(() => back.join('').endsWith('ok:z'));
  });

  it('delays each chunk and keeps their order', async () => {
    const { proxy, client, got } = await setup();
    proxy.delay(1, 2, 120);
    const t0 = Date.now();
    client.write('1');
    await new Promise((r) => setTimeout(r, 5));
    client.write('2');
    await until(() => got.join('') === '12');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(115);
  });

  it('resets every connection between two servers at both ends', async () => {
    const { proxy, client } = await setup();
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    expect(proxy.reset(2, 1)).toBe(1);
    await closed;
    expect(client.destroyed).toBe(true);
  });
});
