// The fault runs' checks catch what they must: each workload driven against an in-memory
// ZooKeeper (right, or wrong in one way), then judged against a final read.
import { describe, expect, it } from 'vitest';
import type { TortureClient } from '../../conformance/torture/client.ts';
import { makeWorkload, type FinalRead, type WorkloadName } from '../../conformance/torture/workloads.ts';

interface Znode {
  data: string;
  version: number;
  mzxid: bigint;
}

/** A single in-memory server, sequential and correct, with the faults a test switches on. */
class FakeZk {
  readonly nodes = new Map<string, Znode>();
  zxid = 0n;
  seq = 0;
  /** Sequential names handed out again from this number on (a server that lost its counter). */
  reuseSeqFrom: number | null = null;
  /** Reads answer from this copy when set (a server that went back in time). */
  stale: Map<string, Znode> | null = null;
  sessions = 1;

  private err(code: number) {
    return Object.assign(new Error(`code ${code}`), { code });
  }
  private stat(n: Znode) {
    const m = Buffer.alloc(8);
    m.writeBigInt64BE(n.mzxid);
    return { version: n.version, mzxid: m };
  }
  client(): unknown {
    const self = this;
    return {
      create(path: string, data: Buffer, _acl: unknown, mode: number, cb: (e: unknown, p?: string) => void) {
        let p = path;
        if (mode === 2 || mode === 3) {
          const n = self.reuseSeqFrom !== null && self.seq >= 13 ? self.reuseSeqFrom++ : self.seq++;
          p = `${path}${String(n).padStart(10, '0')}`;
        }
        if (self.nodes.has(p)) return cb(self.err(-110));
        self.nodes.set(p, { data: data.toString(), version: 0, mzxid: ++self.zxid });
        cb(null, p);
      },
      setData(path: string, data: Buffer, version: number, cb: (e: unknown, s?: unknown) => void) {
        const n = self.nodes.get(path);
        if (!n) return cb(self.err(-101));
        if (version !== -1 && version !== n.version) return cb(self.err(-103));
        const next = { data: data.toString(), version: n.version + 1, mzxid: ++self.zxid };
        self.nodes.set(path, next);
        cb(null, self.stat(next));
      },
      getData(path: string, _w: unknown, cb: (e: unknown, d?: Buffer, s?: unknown) => void) {
        const n = (self.stale ?? self.nodes).get(path);
        if (!n) return cb(self.err(-101));
        cb(null, Buffer.from(n.data), self.stat(n));
      },
      remove(path: string, version: number, cb: (e: unknown) => void) {
        const n = self.nodes.get(path);
        if (!n) return cb(self.err(-101));
        if (version !== -1 && version !== n.version) return cb(self.err(-103));
        self.nodes.delete(path);
        self.zxid++;
        cb(null);
      },
      getChildren(path: string, _w: unknown, cb: (e: unknown, c?: string[]) => void) {
        cb(null, [...self.nodes.keys()].filter((k) => k.startsWith(`${path}/`)).map((k) => k.slice(path.length + 1)));
      },
      transaction() {
        const ops: (() => number)[] = [];
        const t = {
          check(path: string, version: number) {
            ops.push(() => (self.nodes.get(path)?.version === version ? 0 : -103));
            return t;
          },
          setData(path: string, data: Buffer, version: number) {
            ops.push(() => {
              const n = self.nodes.get(path)!;
              if (n.version !== version) return -103;
              self.nodes.set(path, { data: data.toString(), version: n.version + 1, mzxid: ++self.zxid });
              return 0;
            });
            return t;
          },
          commit(cb: (e: unknown) => void) {
            for (const op of ops) {
              const code = op();
              if (code) return cb(self.err(code));
            }
            cb(null);
          },
        };
        return t;
      },
    };
  }

  /** What a torture client is to a workload: calls answered at once, in order. */
  torture(): TortureClient {
    const self = this;
    return {
      get sessions() {
        return self.sessions;
      },
      isConnected: true,
      renew: () => void self.sessions++,
      call: <T>(start: (c: never, done: (e: unknown, v?: T) => void) => void) =>
        new Promise((resolve) =>
          start(self.client() as never, (e, v) => {
            const code = (e as { code?: number } | null)?.code;
            resolve(e ? { kind: 'error', code: code ?? -1 } : { kind: 'ok', value: v as T });
          }),
        ),
    } as unknown as TortureClient;
  }

  /** The final read of a workload's subtree, as the run takes it after a sync. */
  final(root: string): FinalRead {
    const children = [...this.nodes.keys()].filter((k) => k.startsWith(`${root}/`)).map((k) => k.slice(root.length + 1)).sort();
    return { children, nodes: new Map(children.map((k) => [k, { data: this.nodes.get(`${root}/${k}`)!.data, version: this.nodes.get(`${root}/${k}`)!.version }])) };
  }
}

/** Run `n` requests of a workload over two workers against `zk`, with a seeded coin. */
async function drive(name: WorkloadName, zk: FakeZk, n: number, midway?: () => void) {
  const w = makeWorkload(name);
  zk.nodes.set('/torture', { data: '', version: 0, mzxid: ++zk.zxid });
  zk.nodes.set(w.root, { data: '', version: 0, mzxid: ++zk.zxid });
  if (name === 'counter') zk.nodes.set(`${w.root}/n`, { data: '0', version: 1, mzxid: ++zk.zxid });
  let x = 7;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  const c = zk.torture();
  for (let i = 0; i < n; i++) {
    if (i === n >> 1) midway?.();
    await w.op(i % 2, c, rand);
  }
  return w;
}

describe('the fault runs\' checks', () => {
  it.each(['register', 'set', 'ids', 'queue', 'counter', 'ephemeral'] as const)('%s: a correct server passes', async (name) => {
    const zk = new FakeZk();
    const w = await drive(name, zk, name === 'ephemeral' ? 150 : 400);
    if (name === 'ephemeral') zk.nodes.delete(`${w.root}/owner`); // every session ended
    expect(w.check(zk.final(w.root))).toEqual([]);
  });

  it('set, ids, queue: an acknowledged write missing at the end is caught', async () => {
    for (const name of ['set', 'ids', 'queue'] as const) {
      const zk = new FakeZk();
      const w = await drive(name, zk, 200);
      const final = zk.final(w.root);
      const lost = { children: final.children.slice(1), nodes: final.nodes };
      expect(w.check(lost).map((v) => v.check)).toContain('nothing acknowledged lost');
    }
  });

  it('ids: a number handed out twice, or out of real-time order, is caught', async () => {
    const zk = new FakeZk();
    zk.seq = 10;
    zk.reuseSeqFrom = 0; // after three ids, numbers below those already handed out
    const w = await drive('ids', zk, 20);
    const checks = w.check(zk.final(w.root)).map((v) => v.check);
    expect(checks).toContain('ids in real-time order');
  });

  it('counter: a final value below the acknowledged increments is caught', async () => {
    const zk = new FakeZk();
    const w = await drive('counter', zk, 100);
    const final = zk.final(w.root);
    const n = final.nodes.get('n')!;
    const behind = { children: final.children, nodes: new Map([['n', { data: String(Number(n.data) - 1), version: n.version }]]) };
    expect(w.check(behind).map((v) => v.check)).toContain('nothing acknowledged lost');
  });

  it('register: reads that go back in a session, and a lost write, are caught', async () => {
    const zk = new FakeZk();
    const w = await drive('register', zk, 400, () => (zk.stale = new Map([...zk.nodes].map(([k, v]) => [k, { ...v }]))));
    const checks = w.check(zk.final(w.root)).map((v) => v.check);
    expect(checks).toContain('session order');
    const zk2 = new FakeZk();
    const w2 = await drive('register', zk2, 400);
    const final = zk2.final(w2.root);
    const [k, node] = [...final.nodes][0]!;
    const rolledBack = { children: final.children, nodes: new Map([...final.nodes, [k, { data: 'never written', version: node.version }]]) };
    expect(w2.check(rolledBack).map((v) => v.check)).toContain('linearizable');
  });

  it('ephemeral: an owner\'s node left after every session ended is caught', async () => {
    const zk = new FakeZk();
    const w = await drive('ephemeral', zk, 50);
    zk.nodes.set(`${w.root}/owner`, { data: 'left behind', version: 0, mzxid: ++zk.zxid });
    expect(w.check(zk.final(w.root)).map((v) => v.check)).toContain('ephemerals only for live sessions');
  });
});
