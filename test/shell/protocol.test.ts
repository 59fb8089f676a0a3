// The client protocol by hand against a real server: ordering, notifications, sessions,
// bad input (which closes one connection, never the server), four-letter words, config errors.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Reader } from '../../src/wire/jute.ts';
import { encodeRequest } from '../../src/wire/protocol.ts';
import { GetDataResponse, WatcherEvent } from '../../src/wire/records.ts';
import { fourLetter, RawClient, removeDir, startServer, suiteServer, tempDir } from './harness.ts';

const OPEN = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const suite = suiteServer(['--4lw', 'ruok,srvr,stat,mntr,conf,cons,envi,wchs,wchc,wchp,dump,isro']);

const bodyOf = (r: { body: Reader }) => GetDataResponse.read(r.body);

describe('requests and replies', () => {
  it('SERVER-12: replies come in request order, and a read after a write on one connection sees it', async () => {
    const c = await RawClient.session(suite.server.port);
    c.send(1, { op: 'create', path: '/ord', data: Buffer.from('v1'), acl: OPEN, flags: 0 });
    c.send(2, { op: 'getData', path: '/ord', watch: false });
    c.send(3, { op: 'setData', path: '/ord', data: Buffer.from('v2'), version: 0 });
    c.send(4, { op: 'getData', path: '/ord', watch: false });
    c.send(5, { op: 'exists', path: '/none', watch: false });
    const replies = [];
    for (let i = 0; i < 5; i++) replies.push((await c.reply())!);
    expect(replies.map((r) => [r.xid, r.err])).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
      [4, 0],
      [5, -101],
    ]);
    expect(Buffer.from(bodyOf(replies[1]!).data!).toString()).toBe('v1');
    expect(Buffer.from(bodyOf(replies[3]!).data!).toString()).toBe('v2');
    expect(replies[4]!.body.remaining).toBe(0); // no body after an error
    c.close();
  });

  it('SERVER-12: a watch notification (xid −1, zxid −1) comes before the reply to the write that fired it', async () => {
    const c = await RawClient.session(suite.server.port);
    c.send(1, { op: 'create', path: '/wn', data: null, acl: OPEN, flags: 0 });
    c.send(2, { op: 'getData', path: '/wn', watch: true });
    c.send(3, { op: 'setData', path: '/wn', data: Buffer.from('x'), version: -1 });
    const xids = [];
    for (let i = 0; i < 4; i++) xids.push((await c.reply())!);
    expect(xids.map((r) => r.xid)).toEqual([1, 2, -1, 3]);
    expect(xids[2]!.zxid).toBe(-1n);
    expect(WatcherEvent.read(xids[2]!.body)).toEqual({ type: 3, state: 3, path: '/wn' });
    c.close();
  });

  it('ping answers with xid −2; closeSession answers, then the server closes the socket', async () => {
    const c = await RawClient.session(suite.server.port);
    c.send(-2, { op: 'ping' });
    expect((await c.reply())?.xid).toBe(-2);
    c.send(7, { op: 'closeSession' });
    expect(await c.reply()).toMatchObject({ xid: 7, err: 0 });
    expect(await c.next()).toBeNull();
  });

  it('a reconnect keeps the session (and its ephemerals) with the right password, and is refused with a wrong one', async () => {
    const a = await RawClient.session(suite.server.port, { timeout: 6000 });
    a.send(1, { op: 'create', path: '/mine', data: null, acl: OPEN, flags: 1 });
    expect((await a.reply())?.err).toBe(0);
    a.close();
    const wrong = await RawClient.session(suite.server.port, { sessionId: a.sessionId, passwd: new Uint8Array(16).fill(1) });
    expect([wrong.sessionId, wrong.timeout]).toEqual([0n, 0]);
    expect(await wrong.next()).toBeNull();
    const back = await RawClient.session(suite.server.port, { sessionId: a.sessionId, passwd: a.passwd, timeout: 6000 });
    expect(back.sessionId).toBe(a.sessionId);
    back.send(1, { op: 'getEphemerals', prefixPath: '/' });
    const r = (await back.reply())!;
    expect(r.err).toBe(0);
    expect(r.body.int()).toBe(1);
    expect(r.body.string()).toBe('/mine');
    back.send(2, { op: 'closeSession' });
    expect((await back.reply())?.err).toBe(0);
  });

  it('an unknown opcode gets Unimplemented (−6) with zxid −1, then the connection closes', async () => {
    const c = await RawClient.session(suite.server.port);
    const frame = Buffer.from([0, 0, 0, 8, 0, 0, 0, 9, 0, 0, 0, 99]);
    c.raw(frame);
    expect(await c.reply()).toMatchObject({ xid: 9, err: -6, zxid: -1n });
    expect(await c.next()).toBeNull();
  });
});

describe('bad input closes one connection, never the server', () => {
  it('a malformed body, an oversized frame and a garbage handshake each close only their own connection', async () => {
    const keep = await RawClient.session(suite.server.port);
    keep.send(1, { op: 'create', path: '/sentinel', data: Buffer.from('intact'), acl: OPEN, flags: 0 });
    expect((await keep.reply())?.err).toBe(0);

    const bad = await RawClient.session(suite.server.port);
    bad.raw(Buffer.from([0, 0, 0, 10, 0, 0, 0, 1, 0, 0, 0, 4, 0x7f, 0xff])); // getData whose path length runs off the end
    expect(await bad.next()).toBeNull();

    const big = await RawClient.session(suite.server.port);
    big.raw(Buffer.from([0x00, 0x10, 0x00, 0x00])); // 1 MiB + : over jute.maxbuffer
    expect(await big.next()).toBeNull();

    const garbage = await RawClient.open(suite.server.port);
    garbage.raw(Buffer.from([0, 0, 0, 3, 1, 2, 3]));
    expect(await garbage.next()).toBeNull();

    keep.send(2, { op: 'getData', path: '/sentinel', watch: false });
    const r = (await keep.reply())!;
    expect(Buffer.from(bodyOf(r).data!).toString()).toBe('intact');
    keep.close();
  });

  it('fuzz: random and truncated frames after a handshake never crash the server or change the tree', async () => {
    const valid = encodeRequest(1, { op: 'setData', path: '/sentinel', data: Buffer.from('changed'), version: -1 }).subarray(4);
    const frames = fc.sample(
      fc.oneof(
        fc.uint8Array({ minLength: 8, maxLength: 64 }),
        fc.nat({ max: valid.length - 9 }).map((n) => valid.subarray(0, 8 + n)), // cut short: never a whole setData
      ),
      { seed: 20261122, numRuns: 60 },
    );
    for (const payload of frames) {
      const c = await RawClient.session(suite.server.port);
      const f = Buffer.alloc(4 + payload.length);
      f.writeInt32BE(payload.length);
      f.set(payload, 4);
      c.raw(f);
      c.send(99, { op: 'ping' }); // whatever happened, the connection either answers in order or is closed
      for (let r = await c.reply(); r; r = await c.reply()) if (r.xid === -2 || r.xid === 99) break;
      c.close();
    }
    expect(await fourLetter(suite.server.port, 'ruok')).toBe('imok');
    const check = await RawClient.session(suite.server.port);
    check.send(1, { op: 'getData', path: '/sentinel', watch: false });
    const r = (await check.reply())!;
    const { data, stat } = bodyOf(r);
    expect(Buffer.from(data!).toString()).toBe('intact');
    expect(stat.version).toBe(0);
    check.close();
  }, 60000);
});

describe('four-letter words', () => {
  it('answers each word in ZooKeeper layout', async () => {
    expect(await fourLetter(suite.server.port, 'ruok')).toBe('imok');
    expect(await fourLetter(suite.server.port, 'isro')).toBe('rw');
    const srvr = await fourLetter(suite.server.port, 'srvr');
    expect(srvr).toMatch(/^Zookeeper version: 3\.8\.0-zabkit/);
    expect(srvr).toMatch(/\nMode: standalone\n/);
    expect(srvr).toMatch(/\nZxid: 0x[0-9a-f]+\n/);
    expect(srvr).toMatch(/\nNode count: \d+\n/);
    expect(await fourLetter(suite.server.port, 'stat')).toMatch(/Clients:\n/);
    const mntr = await fourLetter(suite.server.port, 'mntr');
    expect(mntr).toMatch(/^zk_version\t3\.8\.0-zabkit/);
    expect(mntr).toMatch(/\nzk_server_state\tstandalone\n/);
    expect(mntr).toMatch(/\nzk_znode_count\t\d+\n/);
    expect(await fourLetter(suite.server.port, 'conf')).toMatch(/\ntickTime=2000\n/);
    expect(await fourLetter(suite.server.port, 'envi')).toMatch(/^Environment:\nzookeeper\.version=3\.8\.0/);
    const w = await RawClient.session(suite.server.port);
    w.send(1, { op: 'exists', path: '/watched', watch: true });
    await w.reply();
    expect(await fourLetter(suite.server.port, 'wchs')).toMatch(/^1 connections watching 1 paths\nTotal watches:1\n$/);
    // ZooKeeper ends both dumps with an empty line (seen on 3.8.0; test/shell/four-letter.test.ts compares them live).
    expect(await fourLetter(suite.server.port, 'wchp')).toBe(`/watched\n\t0x${w.sessionId.toString(16)}\n\n`);
    expect(await fourLetter(suite.server.port, 'wchc')).toBe(`0x${w.sessionId.toString(16)}\n\t/watched\n\n`);
    expect(await fourLetter(suite.server.port, 'cons')).toMatch(new RegExp(`sid=0x${w.sessionId.toString(16)}`));
    expect(await fourLetter(suite.server.port, 'dump')).toMatch(/^SessionTracker dump:\nGlobal Sessions\(\d+\):/);
    w.close();
  });

  it('a word outside the whitelist is refused by name', async () => {
    const d = tempDir();
    const s = await startServer(d, ['--4lw', 'srvr']);
    try {
      expect(await fourLetter(s.port, 'ruok')).toBe('ruok is not executed because it is not in the whitelist.\n');
      expect(await fourLetter(s.port, 'srvr')).toMatch(/^Zookeeper version/);
    } finally {
      expect(await s.stop()).toBe(0);
      removeDir(d);
    }
  });
});

describe('configuration', () => {
  const zabkit = (args: string[]) => spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'zabkit.mjs'), 'server', ...args], { encoding: 'utf8' });

  it('a bad zoo.cfg names the file and line, and the server exits non-zero', () => {
    const d = tempDir();
    const cfg = join(d, 'zoo.cfg');
    writeFileSync(cfg, `# test\ntickTime=2000\ndataDir=${d}\nclientPort=twenty\n`);
    const r = zabkit(['--config', cfg]);
    expect(r.status).toBe(2);
    expect(r.stdout).toContain(`${cfg}:4: clientPort=twenty`);
    writeFileSync(cfg, `dataDir=${d}\nserver.1=127.0.0.1:2888\n`);
    expect(zabkit(['--config', cfg]).stdout).toContain(`${cfg}:2: server.1=127.0.0.1:2888`);
    writeFileSync(cfg, `dataDir=${d}\njust words\n`);
    expect(zabkit(['--config', cfg]).stdout).toContain(`${cfg}:2: expected key=value`);
    expect(zabkit(['--port', '1']).stdout).toContain('no dataDir');
    expect(zabkit(['--data-dir', d, '--bogus', '1']).stdout).toContain('unknown flag --bogus');
    removeDir(d);
  });

  it('zoo.cfg settings are read and flags win over them', async () => {
    const d = tempDir();
    const cfg = join(d, 'zoo.cfg');
    writeFileSync(cfg, `tickTime=300\ndataDir=${d}\nclientPort=1\nclientPortAddress=127.0.0.1\nmaxSessionTimeout=5000\n4lw.commands.whitelist=conf, ruok\n`);
    const s = await startServer(d, ['--config', cfg]); // the harness's --port 0 comes first: the file's clientPort=1 must not win
    try {
      const conf = await fourLetter(s.port, 'conf');
      expect(conf).toMatch(/\ntickTime=300\n/);
      expect(conf).toMatch(/\nmaxSessionTimeout=5000\n/);
      expect(conf).toMatch(/\nminSessionTimeout=600\n/);
      const c = await RawClient.session(s.port, { timeout: 60000 });
      expect(c.timeout).toBe(5000);
      c.close();
    } finally {
      expect(await s.stop()).toBe(0);
      removeDir(d);
    }
  });
});
