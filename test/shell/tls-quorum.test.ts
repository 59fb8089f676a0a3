// sslQuorum: three zabkit servers whose quorum and election channels run over TLS (ssl.quorum.*:
// a PKCS12 key store, a PEM trust store) elect a leader and replicate a write; a server whose
// certificate comes from another CA cannot join: the others refuse its handshakes, name it in
// their logs, and serve on without it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPEN_ACL } from '../../src/tree/index.ts';
import { freeBasePort } from '../../conformance/launch.ts';
import { fourLetter, launch, RawClient, type Launched } from './harness.ts';
import { makeCerts, STORE_PASSWORD, type Certs, type Identity } from './tls-certs.ts';

const SIZE = 3;

async function until(what: string, f: () => Promise<boolean> | boolean, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const mode = async (port: number) => /Mode: (\w+)/.exec(await fourLetter(port, 'srvr').catch(() => ''))?.[1] ?? 'not serving';

describe('sslQuorum', () => {
  let certs: Certs;
  let base = 0;
  const runs: (Launched | null)[] = new Array<Launched | null>(SIZE).fill(null);

  /** Start server k (0-based) with this key store for its peer links. */
  const start = (k: number, id: Identity) => {
    const dir = join(certs.dir, `s${k + 1}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'myid'), `${k + 1}\n`);
    const cfg = join(dir, 'zoo.cfg');
    writeFileSync(
      cfg,
      [
        `dataDir=${dir}`,
        `clientPort=${base + k}`,
        'clientPortAddress=127.0.0.1',
        'tickTime=200',
        'initLimit=10',
        'syncLimit=5',
        ...Array.from({ length: SIZE }, (_, i) => `server.${i + 1}=127.0.0.1:${base + 100 + i}:${base + 200 + i}`),
        'sslQuorum=true',
        `ssl.quorum.keyStore.location=${id.p12}`,
        `ssl.quorum.keyStore.password=${STORE_PASSWORD}`,
        `ssl.quorum.trustStore.location=${certs.ca}`,
      ].join('\n'),
    );
    runs[k] = launch(['server', '--config', cfg]);
  };
  const stop = async (k: number) => {
    const r = runs[k];
    runs[k] = null;
    if (!r) return null;
    r.proc.kill('SIGTERM');
    return r.exited;
  };

  beforeAll(async () => {
    certs = makeCerts({ keytool: false });
    base = await freeBasePort(SIZE);
    for (let k = 0; k < SIZE; k++) start(k, certs.server);
  });
  afterAll(async () => {
    const codes = await Promise.all(runs.map((_, k) => stop(k)));
    certs?.remove();
    expect(codes).toEqual(codes.map(() => 0));
  });

  it('elects a leader over TLS and replicates a write to every member', async () => {
    let modes: string[] = [];
    await until('a leader and two followers', async () => {
      modes = await Promise.all(runs.map((_, k) => mode(base + k)));
      return modes.filter((m) => m === 'leader').length === 1 && modes.filter((m) => m === 'follower').length === 2;
    });
    const c = await RawClient.session(base + modes.indexOf('follower'));
    c.send(1, { op: 'create', path: '/over-tls', data: Buffer.from('x'), acl: [...OPEN_ACL], flags: 0 });
    expect((await c.reply())?.err).toBe(0);
    c.close();
    for (let k = 0; k < SIZE; k++) {
      const r = await RawClient.session(base + k);
      r.send(1, { op: 'sync', path: '/' });
      await r.reply();
      r.send(2, { op: 'exists', path: '/over-tls', watch: false });
      expect((await r.reply())?.err, `server ${k + 1}`).toBe(0);
      r.close();
    }
    for (const r of runs) expect(r!.logs()).not.toMatch(/TLS handshake (failed|refused)/);
  });

  it('a server whose certificate another CA signed cannot join; the others serve on', async () => {
    expect(await stop(2)).toBe(0);
    start(2, certs.evil);
    const refused = /"msg":"peer TLS handshake refused","server":(1|2),"remote":"127\.0\.0\.1:\d+","channel":"(election|quorum)","error":"client certificate not trusted: [A-Z_]+"/;
    await until('servers 1 and 2 refuse server 3\'s handshakes', () => refused.test(runs[0]!.logs() + runs[1]!.logs())).catch((e: Error) => {
      throw new Error(`${e.message}:\n${runs.map((r) => r?.logs().split('\n').filter((l) => /TLS/.test(l)).slice(-3).join('\n')).join('\n')}`);
    });
    await runs[2]!.waitFor(/"msg":"peer TLS handshake failed"/);
    expect(await mode(base + 2)).toBe('not serving');
    expect((await Promise.all([mode(base), mode(base + 1)])).sort()).toEqual(['follower', 'leader']);
    const c = await RawClient.session(base);
    c.send(1, { op: 'create', path: '/without-3', data: Buffer.from('x'), acl: [...OPEN_ACL], flags: 0 });
    expect((await c.reply())?.err).toBe(0);
    c.close();
  });
});
