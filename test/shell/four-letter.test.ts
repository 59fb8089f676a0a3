// The four-letter words against Apache ZooKeeper 3.8's live answers: both servers given the same
// client work (observability-harness.ts), then each word's layout compared line by line and its
// values by kind; mntr's keys compared as sets (zabkit's ⊇ Apache's), node counts equal.
import { describe, expect, it } from 'vitest';
import { askWord } from '../../src/wire/ask-word.ts';
import { noApache, mntrMap, suitePair, valueKind, type Side } from './observability-harness.ts';
import { connect as rawConnect } from 'node:net';
import { until } from './ensemble-harness.ts';

const pair = suitePair({ admin: false });
const word = (s: Side, w: string) => askWord('127.0.0.1', s.port, w);
/** A layout: the version (a value: zabkit's names itself, Apache's its build) and numbers blanked, so that two servers' answers compare. */
const layout = (t: string) =>
  t
    .replace(/3\.8\.0-[^\n\t]*/g, 'VERSION')
    .replace(/0x[0-9a-f]+/g, 'HEX')
    .replace(/\d+(\.\d+)?/g, 'N');

/** stmk: the word, then the mask as a big-endian long. */
function setTraceMask(port: number, mask: bigint): Promise<string> {
  return new Promise((resolve, reject) => {
    const b = Buffer.alloc(12);
    b.write('stmk');
    b.writeBigInt64BE(mask, 4);
    const s = rawConnect(port, '127.0.0.1', () => s.write(b));
    let got = '';
    s.on('data', (d) => (got += d));
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}

describe.skipIf(noApache)('four-letter words, beside Apache ZooKeeper 3.8', () => {
  it('srvr and stat: the same lines, the same node count', async () => {
    for (const w of ['srvr', 'stat']) {
      const [a, z] = await Promise.all([word(pair.apache, w), word(pair.zabkit, w)]);
      expect(layout(z)).toBe(layout(a));
      const count = (t: string) => /Node count: (\d+)/.exec(t)?.[1];
      expect(count(z)).toBe(count(a));
      expect(count(z)).toBe('137'); // 132 znodes made, and ZooKeeper's five of an empty tree
    }
  });

  it('mntr: every key Apache prints, with the same kind of value', async () => {
    const [a, z] = await Promise.all([word(pair.apache, 'mntr'), word(pair.zabkit, 'mntr')]);
    const [am, zm] = [mntrMap(a), mntrMap(z)];
    expect(am.size).toBeGreaterThan(400);
    const missing = [...am.keys()].filter((k) => !zm.has(k));
    expect(missing).toEqual([]);
    const kinds = [...am].filter(([k, v]) => valueKind(zm.get(k)!) !== valueKind(v)).map(([k, v]) => `${k}: ${v} vs ${zm.get(k)}`);
    expect(kinds).toEqual([]);
    for (const k of ['zk_znode_count', 'zk_ephemerals_count', 'zk_watch_count', 'zk_global_sessions', 'zk_approximate_data_size']) expect([k, zm.get(k)]).toEqual([k, am.get(k)]);
    expect(Number(zm.get('zk_cnt_updatelatency'))).toBeGreaterThan(130); // recorded where the writes are answered
    expect(Number(zm.get('zk_cnt_fsynctime'))).toBeGreaterThan(0);
    expect(Number(zm.get('zk_cnt_zabkit_proposal_latency'))).toBeGreaterThan(130);
    expect(zm.get('zk_cnt_t_write_per_namespace')).toBe(am.get('zk_cnt_t_write_per_namespace'));
  });

  it('wchs, wchc, wchp: data watches only, as ZooKeeper reports them', async () => {
    for (const w of ['wchs', 'wchc', 'wchp']) {
      const [a, z] = await Promise.all([word(pair.apache, w), word(pair.zabkit, w)]);
      expect(layout(z)).toBe(layout(a));
    }
    expect(await word(pair.zabkit, 'wchs')).toBe('1 connections watching 2 paths\nTotal watches:2\n');
  });

  it('dirs and hash', async () => {
    for (const w of ['dirs', 'hash']) {
      const [a, z] = await Promise.all([word(pair.apache, w), word(pair.zabkit, w)]);
      expect(layout(z)).toBe(layout(a));
    }
    expect(await word(pair.zabkit, 'hash')).toMatch(/^10{6}80: \d+\n$/); // the digest after zxid epoch 1, counter 0x80
  });

  it('whoami lists the ids in Apache order', async () => {
    const [a, z] = await Promise.all([pair.apache.client.whoAmI(), pair.zabkit.client.whoAmI()]);
    expect(z).toEqual(a);
    expect(z.map((i) => i.scheme)).toEqual(['digest', 'ip']);
  });

  it('gtmk and stmk: the trace mask, set and read back', async () => {
    for (const s of [pair.apache, pair.zabkit]) {
      expect([s.name, await word(s, 'gtmk')]).toEqual([s.name, '306']);
      expect([s.name, await setTraceMask(s.port, 1234n)]).toEqual([s.name, '1234']);
      expect([s.name, await word(s, 'gtmk')]).toEqual([s.name, '1234']);
      await setTraceMask(s.port, 306n);
    }
  });

  it('srst and crst reset the figures', async () => {
    for (const s of [pair.apache, pair.zabkit]) {
      expect([s.name, await word(s, 'srst')]).toEqual([s.name, 'Server stats reset.\n']);
      // Only the word that asks counts after a reset; the latency starts again.
      expect([s.name, /Latency min\/avg\/max: (.*)\nReceived: (\d+)/.exec(await word(s, 'srvr'))?.slice(1)]).toEqual([s.name, ['0/0.0/0', '1']]);
      expect([s.name, /\nzk_cnt_updatelatency\t(\d+)/.exec(await word(s, 'mntr'))?.[1]]).toEqual([s.name, '0']);
      expect([s.name, await word(s, 'crst')]).toEqual([s.name, 'Connection stats reset.\n']);
      const cons = await word(s, 'cons');
      expect([s.name, /recved=0,sent=0,sid=0x[0-9a-f]+,lop=NA,est=\d+,to=\d+,lzxid=0xffffffffffffffff,lresp=0,llat=0,minlat=0,avglat=0,maxlat=0\)/.test(cons)]).toEqual([s.name, true]);
    }
    const [a, z] = await Promise.all([word(pair.apache, 'cons'), word(pair.zabkit, 'cons')]);
    expect(layout(z).split('\n').sort()).toEqual(layout(a).split('\n').sort());
  });
});

describe.skipIf(noApache)('four-letter words with no watches', () => {
  it('wchc and wchp answer an empty line, as Apache', async () => {
    // A fresh session on each, without watches, does not change the dumps: compare the servers' own answers.
    for (const s of [pair.apache, pair.zabkit]) await s.client.close();
    for (const w of ['wchc', 'wchp']) {
      for (const s of [pair.apache, pair.zabkit]) await until(`${s.name} ${w} without watches`, async () => (await word(s, w)) === '\n');
      expect(await word(pair.zabkit, w)).toBe(await word(pair.apache, w));
    }
  });
});
