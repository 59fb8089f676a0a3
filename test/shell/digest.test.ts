// TREE-27 on a real server: every logged txn carries the leader's tree digest, mntr counts
// mismatches, and a replica whose tree comes out different from the leader's after a txn stops
// (exit 1, the zxid and both digests logged) instead of serving it.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeTxn } from '../../src/wire/txn.ts';
import { formatZxid } from '../../src/zab/zxid.ts';
import { fourLetter, launch, RawClient, removeDir, startServer, tempDir, type RunningServer } from './harness.ts';

const OPEN = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const LOG_HEADER = 8; // storage.ts: magic, format; then records [u32 length][u32 crc32][txn]
const dirs: string[] = [];
const servers: RunningServer[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) await s.kill();
  for (const d of dirs.splice(0)) removeDir(d);
});

const logFiles = (dir: string) =>
  readdirSync(join(dir, 'version-2'))
    .filter((f) => /^log\.[0-9a-f]{16}$/.test(f))
    .sort()
    .map((f) => join(dir, 'version-2', f));

/** Each log record: where its payload starts, and the payload. */
function* records(file: Buffer): Generator<{ at: number; payload: Buffer }> {
  for (let at = LOG_HEADER; at + 8 <= file.length; ) {
    const n = file.readUInt32BE(at);
    yield { at, payload: file.subarray(at + 8, at + 8 + n) };
    at += 8 + n;
  }
}

describe('tree digests (TREE-27)', () => {
  it('the leader logs its digest with every txn; a replay that ends up elsewhere stops the server', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const server = await startServer(dir, ['--4lw', 'mntr']);
    servers.push(server);
    const c = await RawClient.session(server.port);
    c.send(1, { op: 'create', path: '/d', data: Buffer.from('value-A'), acl: OPEN, flags: 0 });
    c.send(2, { op: 'setData', path: '/d', data: Buffer.from('value-C'), version: 0 });
    c.send(3, { op: 'create', path: '/e', data: null, acl: OPEN, flags: 0 });
    for (let i = 0; i < 3; i++) expect((await c.reply())?.err).toBe(0);
    expect(await fourLetter(server.port, 'mntr')).toMatch(/\nzk_digest_mismatches_count\t0\n/);
    c.close();
    expect(await server.stop()).toBe(0);

    // Every txn on disk carries a digest (the session's, the creates, the setData).
    const txns = logFiles(dir).flatMap((f) => [...records(readFileSync(f))].map((r) => decodeTxn(r.payload)));
    expect(txns.length).toBeGreaterThanOrEqual(4);
    for (const t of txns) expect(t.ok && typeof t.value.digest).toBe('number');

    // Untouched, a restart replays the log, every digest matches, and it serves.
    const again = await startServer(dir);
    servers.push(again);
    expect(await again.stop()).toBe(0);
    expect(again.logs()).not.toContain('digest mismatch');

    // Now the create of /d says value-B (its CRC made right again, so recovery takes it): the
    // replayed tree is not the one the leader had after that txn. Without the snapshots, the log
    // is all there is to recover from.
    for (const f of readdirSync(join(dir, 'version-2')).filter((f) => f.startsWith('snapshot.'))) rmSync(join(dir, 'version-2', f));
    let zxid = -1;
    for (const f of logFiles(dir)) {
      const bytes = readFileSync(f);
      for (const { at, payload } of records(bytes)) {
        const i = payload.indexOf('value-A');
        if (i < 0) continue;
        payload.write('value-B', i);
        bytes.writeUInt32BE(crc32(payload), at + 4);
        zxid = Number(payload.readBigInt64BE(0));
        writeFileSync(f, bytes);
      }
    }
    expect(zxid).toBeGreaterThan(0);
    const diverged = launch(['server', '--host', '127.0.0.1', '--port', '0', '--data-dir', dir]);
    expect(await diverged.exited).toBe(1);
    const line = diverged.logs().split('\n').find((l) => l.includes('digest mismatch'));
    expect(line, diverged.logs()).toBeDefined();
    const logged = JSON.parse(line!) as { level: string; zxid: string; expected: string; actual: string };
    expect(logged.level).toBe('error');
    expect(logged.zxid).toBe(formatZxid(zxid));
    expect(logged.expected).toMatch(/^0x[0-9a-f]{8}$/);
    expect(logged.actual).toMatch(/^0x[0-9a-f]{8}$/);
    expect(logged.actual).not.toBe(logged.expected);
    // It stopped at that txn: it never served, and left no snapshot that would hold its tree
    // under that zxid or a later one (a graceful stop would have written one, PERSIST-10).
    expect(diverged.logs()).not.toContain('"msg":"serving"');
    const snaps = readdirSync(join(dir, 'version-2')).filter((f) => f.startsWith('snapshot.'));
    expect(snaps.filter((f) => parseInt(f.slice('snapshot.'.length), 16) >= zxid)).toEqual([]);
  }, 60_000);
});
