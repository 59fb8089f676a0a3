// kazoo (Debian's python3-kazoo, run with /usr/bin/python3) against a real zabkit server.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KAZOO_PYTHON, peerMissing, suiteServer } from './harness.ts';

describe.skipIf(peerMissing('kazoo', KAZOO_PYTHON))('kazoo', () => {
  const suite = suiteServer();

  it('every operation, watches, transactions, digest ACLs and ephemerals, as kazoo sees them', () => {
    const r = spawnSync(KAZOO_PYTHON!, [join(import.meta.dirname, 'kazoo-ops.py'), `127.0.0.1:${suite.server.port}`], { encoding: 'utf8', timeout: 60000 });
    expect(r.stderr.includes('Traceback') ? r.stderr : '').toBe('');
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out).toEqual({
      version: [3, 8, 0],
      seq: ['/kz/s-0000000000', '/kz/s-0000000001', '/kz/s-0000000002'],
      eph: '/kz/e',
      exists_error: 'NodeExistsError',
      get: ['root', 0, 4],
      set_version: 1,
      bad_version: 'BadVersionError',
      children: ['e', 's-0000000000', 's-0000000001', 's-0000000002'],
      exists_missing: true,
      not_empty: 'NotEmptyError',
      no_node: 'NoNodeError',
      events: [
        ['data', 'CHANGED', '/kz'],
        ['child', 'CHILD', '/kz'],
      ],
      txn_ok: ['/kz/t1', 'ZnodeStat', true],
      txn_failed: ['RolledBackError', 'BadVersionError'], // ops before the failure report 0: rolled back
      txn_rolled_back: true,
      no_auth: 'NoAuthError',
      auth_read: 'secret',
      acl: [[31, 'digest', 'bob:ikIaKsbtGweaHnb/jKn7OHqbunM=']],
      ephemeral_deleted: true,
      cleaned: true,
    });
  }, 90000);
});
