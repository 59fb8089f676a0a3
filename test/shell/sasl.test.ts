// SASL DIGEST-MD5: the exchange against RFC 2831's worked example, the JAAS file, and kazoo
// (with pure-sasl) authenticating to a real server, using a `sasl:` ACL, and failing cleanly.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DigestMd5Server, jaasUsers } from '../../src/shell/sasl.ts';
import { parseDirectives } from '../../src/wire/sasl-digest.ts';
import { KAZOO_PYTHON, peerMissing, removeDir, startServer, tempDir, type RunningServer } from './harness.ts';

describe('DIGEST-MD5', () => {
  // RFC 2831 section 4: chris / secret, with the example's nonce, cnonce and digest-uri.
  const rfc =
    'charset=utf-8,username="chris",realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",nc=00000001,' +
    'cnonce="OA6MHXh6VqTrRk",digest-uri="imap/elwood.innosoft.com",response=d388dad90d4bbd760a152321f2143af7,qop=auth';

  it('challenges, then checks the response and proves itself with rspauth (the RFC example)', () => {
    const server = new DigestMd5Server(new Map([['chris', 'secret']]), 'OA6MG9tEQGm2hh');
    const challenge = server.step(new Uint8Array(0));
    expect(challenge.type).toBe('challenge');
    const c = parseDirectives(Buffer.from((challenge as { token: Uint8Array }).token).toString());
    expect([c.get('realm'), c.get('nonce'), c.get('qop'), c.get('algorithm')]).toEqual(['zk-sasl-md5', 'OA6MG9tEQGm2hh', 'auth', 'md5-sess']);
    const done = server.step(Buffer.from(rfc));
    expect(done).toEqual({ type: 'success', user: 'chris', token: Buffer.from('rspauth=ea40f60335c427b5527b84dbabcdfffd') });
    expect(server.step(Buffer.from(rfc)).type).toBe('failure'); // no replay within the exchange
  });

  it('refuses a wrong password, an unknown user and a foreign nonce', () => {
    const attempt = (users: [string, string][], nonce: string) => {
      const s = new DigestMd5Server(new Map(users), nonce);
      s.step(new Uint8Array(0));
      return s.step(Buffer.from(rfc));
    };
    expect(attempt([['chris', 'wrong']], 'OA6MG9tEQGm2hh')).toMatchObject({ type: 'failure', why: 'wrong password for chris' });
    expect(attempt([['alice', 'secret']], 'OA6MG9tEQGm2hh')).toMatchObject({ type: 'failure', why: 'unknown user chris' });
    expect(attempt([['chris', 'secret']], 'other')).toMatchObject({ type: 'failure', why: 'nonce mismatch' });
  });

  it('reads the users of the JAAS file\'s Server section only', () => {
    const dir = tempDir();
    const file = join(dir, 'jaas.conf');
    writeFileSync(file, 'Client {\n  x required user_nope="n";\n};\nServer {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  user_super="s3"\n  user_jaasuser="jaas_password";\n};\n');
    expect([...jaasUsers(file)]).toEqual([['super', 's3'], ['jaasuser', 'jaas_password']]);
    removeDir(dir);
  });
});

describe.skipIf(peerMissing('kazoo', KAZOO_PYTHON))('kazoo with SASL DIGEST-MD5', () => {
  let dir = '';
  let server: RunningServer;
  beforeAll(async () => {
    dir = tempDir();
    writeFileSync(join(dir, 'jaas.conf'), 'Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  user_jaasuser="jaas_password";\n};\n');
    server = await startServer(join(dir, 'data'), ['--jaas', join(dir, 'jaas.conf')]);
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
    removeDir(dir);
  });

  it('authenticates, protects a node with a sasl ACL, and refuses a bad password', async () => {
    const py = `
import sys, json
from kazoo.client import KazooClient
from kazoo.security import make_acl
from kazoo.exceptions import NoAuthError, AuthFailedError
hosts = sys.argv[1]; out = {}
good = KazooClient(hosts=hosts, timeout=10, sasl_options={'mechanism': 'DIGEST-MD5', 'username': 'jaasuser', 'password': 'jaas_password'})
good.start(timeout=10)
good.create('/s', b'secret', acl=(make_acl('sasl', credential='jaasuser', all=True),))
out['owner'] = good.get('/s')[0].decode()
out['acl'] = [[a.id.scheme, a.id.id, a.perms] for a in good.get_acls('/s')[0]]
other = KazooClient(hosts=hosts, timeout=10); other.start(timeout=10)
try:
    other.get('/s'); out['other'] = 'read it'
except NoAuthError:
    out['other'] = 'NoAuthError'
bad = KazooClient(hosts=hosts, timeout=10, sasl_options={'mechanism': 'DIGEST-MD5', 'username': 'jaasuser', 'password': 'nope'})
import time
try:
    # kazoo reports CONNECTED before the SASL exchange, so start() may return before it fails.
    # (kazoo then moves through AUTH_FAILED to CLOSED, and every call fails).
    bad.start(timeout=10)
    for _ in range(50):
        if str(bad.client_state) in ('AUTH_FAILED', 'CLOSED'): break
        time.sleep(0.1)
    try:
        bad.get('/'); out['bad'] = 'read /'
    except Exception:
        out['bad'] = 'refused'
except AuthFailedError:
    out['bad'] = 'refused'
for c in (good, other): c.stop()
print(json.dumps(out))`;
    const r = spawnSync(KAZOO_PYTHON!, ['-c', py, `127.0.0.1:${server.port}`], { encoding: 'utf8', timeout: 60000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ owner: 'secret', acl: [['sasl', 'jaasuser', 31]], other: 'NoAuthError', bad: 'refused' });
    // spawnSync held our event loop: the server's log lines arrive now.
    await vi.waitFor(() => expect(server.logs()).toMatch(/SASL authentication failed.*wrong password for jaasuser/), { timeout: 5000 });
  });
});
