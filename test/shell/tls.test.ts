// TLS for clients against real zabkit servers, with the clients ZooKeeper users have: kazoo
// (Python's ssl) and Apache's zkCli 3.8 (Java, Netty). Two servers, started once for the file:
//   need — secureClientPort alone (so no plain port, as Apache), PKCS12 key store and keytool's
//          PKCS12 trust store, clientAuth need (ZooKeeper's default);
//   want — client.portUnification on the plain port, PEM stores with an encrypted key, clientAuth want.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KAZOO_PYTHON, launch, peerMissing, ZKCLI, type Launched } from './harness.ts';
import { CLIENT_ID, KEY_PASSWORD, makeCerts, STORE_PASSWORD, TRICKY_ID, type Certs, type Identity } from './tls-certs.ts';

interface TlsServer {
  readonly run: Launched;
  /** The port clients speak TLS to. */
  readonly port: number;
}

/** `zabkit server --config` with these zoo.cfg lines; resolves once it serves, with the port TLS clients use. */
async function startTlsServer(dir: string, name: string, lines: readonly string[]): Promise<TlsServer> {
  const cfg = join(dir, `${name}.cfg`);
  writeFileSync(cfg, [`dataDir=${join(dir, name)}`, 'clientPortAddress=127.0.0.1', 'tickTime=500', ...lines].join('\n'));
  const run = launch(['server', '--config', cfg]);
  await run.waitFor(/zabkit server \d+ serving on/, /"msg":"serving"/); // the first line once start() is done: every port listens
  // The TLS-only port when there is one; else the plain port that also takes TLS (port unification).
  const port = /"msg":"listening for TLS clients".*?"port":(\d+)/.exec(run.logs()) ?? /"msg":"listening".*?"port":(\d+)/.exec(run.logs());
  return { run, port: Number(port![1]) };
}

/** A four-letter word over TLS, or any bytes over plain TCP without `tls` (then the client ends its side): the answer, or why there was none. */
function word(port: number, w: string, tls?: { ca: string; id?: Identity }): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const s = tls
      ? tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(tls.ca), ...(tls.id ? { cert: readFileSync(tls.id.cert), key: readFileSync(tls.id.key) } : {}) }, () => s.write(w))
      : tcpConnect(port, '127.0.0.1', () => s.end(w));
    s.on('data', (d) => (got += d));
    s.on('error', (e) => (got ||= `error: ${e.message}`));
    s.on('close', () => resolve(got || 'closed without an answer'));
  });
}

/** kazoo over TLS: runs `body` (Python) with `connect(identity or None)` and `out` (printed as JSON). */
function kazoo(port: number, certs: Certs, body: string): Record<string, unknown> {
  const py = `
import sys, json
from kazoo.client import KazooClient
from kazoo.security import ACL, Id
from kazoo.exceptions import NoAuthError, InvalidACLError, AuthFailedError
hosts, ca = sys.argv[1], sys.argv[2]; ids = json.loads(sys.argv[3]); out = {}; clients = []
def connect(who):
    kw = dict(use_ssl=True, ca=ca, verify_certs=True)
    if who: kw.update(certfile=ids[who]['cert'], keyfile=ids[who]['key'])
    c = KazooClient(hosts=hosts, timeout=10, **kw); c.start(timeout=10); clients.append(c); return c
${body}
for c in clients: c.stop()
print(json.dumps(out))`;
  const ids = JSON.stringify({ client: certs.client, other: certs.other, evil: certs.evil });
  const r = spawnSync(KAZOO_PYTHON!, ['-c', py, `127.0.0.1:${port}`, certs.ca, ids], { encoding: 'utf8', timeout: 60000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe('TLS for clients', () => {
  let certs: Certs;
  let need: TlsServer;
  let want: TlsServer;
  beforeAll(async () => {
    certs = makeCerts();
    const trust = certs.trustP12 ? [`ssl.trustStore.location=${certs.trustP12}`, `ssl.trustStore.password=${STORE_PASSWORD}`] : [`ssl.trustStore.location=${certs.ca}`];
    [need, want] = await Promise.all([
      startTlsServer(certs.dir, 'need', ['secureClientPort=0', `ssl.keyStore.location=${certs.server.p12}`, `ssl.keyStore.password=${STORE_PASSWORD}`, ...trust]),
      startTlsServer(certs.dir, 'want', ['clientPort=0', 'client.portUnification=true', `ssl.keyStore.location=${certs.serverEncryptedPem}`, `ssl.keyStore.password=${KEY_PASSWORD}`, `ssl.trustStore.location=${certs.ca}`, 'ssl.clientAuth=want']),
    ]);
  });
  afterAll(async () => {
    for (const s of [need, want]) if (s) s.run.proc.kill('SIGTERM');
    const codes = await Promise.all([need, want].map((s) => s?.run.exited));
    certs?.remove();
    expect(codes).toEqual([0, 0]);
  });

  it('need: a client with a certificate the trust store verifies is served; one without, or with another CA\'s, fails the handshake', async () => {
    expect(await word(need.port, 'ruok', { ca: certs.ca, id: certs.client })).toBe('imok');
    expect(await word(need.port, 'ruok', { ca: certs.ca })).not.toBe('imok');
    expect(await word(need.port, 'ruok', { ca: certs.ca, id: certs.evil })).not.toBe('imok');
    // (The server logs each refusal as the client sees its connection close: polled.)
    await vi.waitFor(() => {
      expect(need.run.logs()).toMatch(/"TLS handshake failed; connection closed".*"error":"[^"]*peer did not return a certificate/);
      expect(need.run.logs()).toMatch(/"TLS handshake failed; connection closed".*"error":"client certificate not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE"/);
    }, { timeout: 5000 });
    // secureClientPort without clientPort: no plain port, as Apache.
    expect(need.run.logs()).not.toMatch(/"msg":"listening",/);
  });

  it('a plain TCP client talking garbage to the TLS port is closed, one resetting before its first byte on the unified port is dropped, and both servers serve on', async () => {
    const garbage = ['ruok', 'GET / HTTP/1.0\r\n\r\n', '\x16\x03\x01\x00\x05hello', '\x00\x00\x00\x2c' + 'x'.repeat(44)];
    // Each connection is closed with nothing served: no answer, or a TLS alert record (0x15) for the broken handshake.
    const answers = await Promise.all(garbage.map((g) => word(need.port, g)));
    expect(answers.map((a) => (a === 'closed without an answer' ? a : a.charCodeAt(0) === 0x15 ? 'TLS alert' : a))).toEqual(['closed without an answer', 'closed without an answer', 'TLS alert', 'closed without an answer']);
    expect(await word(need.port, 'ruok', { ca: certs.ca, id: certs.client })).toBe('imok');
    await vi.waitFor(() => expect(need.run.logs()).toMatch(/"TLS handshake failed; connection closed","server":1,"remote":"127\.0\.0\.1:\d+","error":"[^"]*http request/), { timeout: 5000 });
    expect(need.run.proc.exitCode).toBe(null);
    // Port unification waits for the first byte: a reset before it must not take the server down.
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve) => {
        const s = tcpConnect(want.port, '127.0.0.1', () => {
          s.resetAndDestroy();
          resolve();
        });
        s.on('error', () => {});
      });
    }
    expect(await word(want.port, 'ruok')).toBe('imok');
    expect(want.run.proc.exitCode).toBe(null);
  });

  describe.skipIf(peerMissing('kazoo', KAZOO_PYTHON))('kazoo over TLS', () => {
    it('need: create and read; an x509 ACL lets in its subject only; auth:: becomes the x509 id', () => {
      const out = kazoo(
        need.port,
        certs,
        `
a = connect('client')
a.create('/secret', b'for client only', acl=[ACL(31, Id('x509', '${CLIENT_ID}'))])
out['owner'] = a.get('/secret')[0].decode()
out['acl'] = [[x.id.scheme, x.id.id, x.perms] for x in a.get_acls('/secret')[0]]
a.create('/mine', b'', acl=[ACL(31, Id('auth', ''))])
out['auth'] = [[x.id.scheme, x.id.id] for x in a.get_acls('/mine')[0]]
try:
    a.create('/bad', b'', acl=[ACL(31, Id('x509', 'not a name'))]); out['bad'] = 'taken'
except InvalidACLError: out['bad'] = 'InvalidACL'
b = connect('other')
try:
    b.get('/secret'); out['other'] = 'read it'
except NoAuthError: out['other'] = 'NoAuth'
b.create('/open', b'shared'); out['open'] = a.get('/open')[0].decode()`,
      );
      expect(out).toEqual({ owner: 'for client only', acl: [['x509', CLIENT_ID, 31]], auth: [['x509', CLIENT_ID]], bad: 'InvalidACL', other: 'NoAuth', open: 'shared' });
    });

    it('want, on the plain port (port unification): a client without a certificate is admitted without an x509 id; one with a certificate gets its id; addauth x509', async () => {
      expect(await word(want.port, 'ruok')).toBe('imok'); // plain on the same port
      expect(await word(want.port, 'ruok', { ca: certs.ca })).toBe('imok'); // TLS without a certificate
      expect(await word(want.port, 'ruok', { ca: certs.ca, id: certs.evil })).not.toBe('imok'); // a certificate it cannot verify: refused
      const out = kazoo(
        want.port,
        certs,
        `
a = connect('client')
a.create('/w', b'x509 only', acl=[ACL(31, Id('x509', '${CLIENT_ID}'))])
out['with'] = a.get('/w')[0].decode()
n = connect(None)
try:
    n.get('/w'); out['without'] = 'read it'
except NoAuthError: out['without'] = 'NoAuth'
n.create('/anyone', b'ok'); out['anyone'] = a.get('/anyone')[0].decode()
# addauth x509 takes no credentials: it passes where the certificate already gave an x509 id.
a.add_auth('x509', ''); out['addauth'] = 'ok'
try:
    n.add_auth('x509', ''); out['addauth without'] = 'ok'
except AuthFailedError: out['addauth without'] = 'AuthFailed'`,
      );
      expect(out).toEqual({ with: 'x509 only', without: 'NoAuth', anyone: 'ok', addauth: 'ok', 'addauth without': 'AuthFailed' });
    });
  });

  describe.skipIf(peerMissing('zkCli (Debian zookeeper)', ZKCLI))('Apache zkCli 3.8 over TLS (Netty, PKCS12 key store, PEM trust store)', () => {
    it('whoami names the client as Apache does; the x509 ACL keeps it out; it creates and reads', () => {
      // Debian's zookeeper.jar names netty-handler in its class path but not the codec it needs: add it.
      const cp = ['/etc/zookeeper/conf', '/usr/share/java/zookeeper.jar', '/usr/share/java/netty-codec.jar', '/usr/share/java/netty-resolver.jar'].join(':');
      const flags = [
        `-cp ${cp}`,
        '-Dzookeeper.client.secure=true',
        '-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty',
        `-Dzookeeper.ssl.keyStore.location=${certs.tricky.p12}`,
        `-Dzookeeper.ssl.keyStore.password=${STORE_PASSWORD}`,
        `-Dzookeeper.ssl.trustStore.location=${certs.ca}`,
      ].join(' ');
      const r = spawnSync(ZKCLI!, ['-server', `127.0.0.1:${need.port}`], {
        input: 'whoami\nget /secret\ncreate /from-zkcli hello\nget /from-zkcli\nquit\n',
        encoding: 'utf8',
        timeout: 60000,
        env: { ...process.env, CLIENT_JVMFLAGS: flags, ZOO_LOG4J_PROP: 'ERROR,CONSOLE' },
      });
      const lines = `${r.stdout}\n${r.stderr}`.split('\n');
      expect(lines, r.stdout + r.stderr).toContain(`x509: ${TRICKY_ID}`);
      expect(lines).toContain('ip: 127.0.0.1');
      expect(lines).toContain('Insufficient permission : /secret');
      expect(lines).toContain('Created /from-zkcli');
      expect(lines).toContain('hello');
    });
  });
});
