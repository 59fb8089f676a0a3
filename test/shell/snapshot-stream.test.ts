// A snapshot bigger than one piece is streamed to its file as it is encoded (storage.ts): the
// file is the same bytes as the whole tree serialized at once, its header's CRC covers them, a
// restart reads it back, and the encoder's buffers are reused rather than held all at once.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyAll, createTxns } from '../../bench/tree-fixture.ts';
import { Storage } from '../../src/shell/storage.ts';
import { nodeFileSystem, type FileSystem } from '../../src/shell/file-system.ts';
import { snapshotHeader, SNAP_HEADER } from '../../src/shell/storage-format.ts';
import { crc32 } from 'node:zlib';
import { serializeTree } from '../../src/tree/index.ts';
import { encodeTreeInPieces } from '../../src/tree/snapshot.ts';

const quiet = { info() {}, warn() {}, error() {}, debug() {} } as never;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** node's fs, counting the async file calls a snapshot makes. */
function counting(): { fs: FileSystem; calls: string[] } {
  const calls: string[] = [];
  const fs: FileSystem = {
    ...nodeFileSystem,
    async open(path, flags) {
      const h = await nodeFileSystem.open(path, flags);
      return {
        write: (b, o, l, p) => (calls.push(`write ${l}@${p}`), h.write(b, o, l, p)),
        writev: (bs) => (calls.push(`writev ${bs.length}`), h.writev(bs)),
        sync: () => h.sync(),
        close: () => h.close(),
      };
    },
  };
  return { fs, calls };
}

describe('snapshots streamed to their file', () => {
  it('a tree of several pieces: the file is the header then the serialized tree, and a restart loads it', async () => {
    const tree = applyAll(createTxns(30, 200, 500)); // ~3.3 MB: four pieces
    const dir = mkdtempSync(join(tmpdir(), 'zabkit-snapstream-'));
    dirs.push(dir);
    const { fs, calls } = counting();
    const { storage } = Storage.open(dir, dir, quiet, fs);
    await storage.snapshot(tree, 0x100000007);
    await storage.close();
    const body = serializeTree(tree);
    const name = readdirSync(join(dir, 'version-2')).find((f) => f.startsWith('snapshot.'))!;
    const file = readFileSync(join(dir, 'version-2', name));
    expect(file.subarray(0, SNAP_HEADER).equals(snapshotHeader(0x100000007, crc32(body)))).toBe(true);
    expect(file.subarray(SNAP_HEADER).equals(Buffer.from(body))).toBe(true);
    // Streamed: a write per piece, then the header at 0 (no writev of the whole).
    expect(calls.filter((c) => c.startsWith('writev'))).toEqual([]);
    expect(calls.length).toBeGreaterThanOrEqual(4);
    expect(calls.at(-1)).toBe(`write ${SNAP_HEADER}@0`);
    const { recovered } = Storage.open(dir, dir, quiet);
    expect(recovered.snapshot?.zxid).toBe(0x100000007);
    expect(Buffer.from(serializeTree(recovered.snapshot!.tree)).equals(Buffer.from(body))).toBe(true);
  });

  it('a tree of one piece is written in one call, as before', async () => {
    const tree = applyAll(createTxns(3, 10, 10));
    const dir = mkdtempSync(join(tmpdir(), 'zabkit-snapstream-'));
    dirs.push(dir);
    const { fs, calls } = counting();
    const { storage } = Storage.open(dir, dir, quiet, fs);
    await storage.snapshot(tree, 5);
    expect(calls).toEqual(['writev 2']);
    const { recovered } = Storage.open(dir, dir, quiet);
    expect(recovered.snapshot?.tree.digest).toBe(tree.digest);
  });

  it('streaming reuses its buffers: the pieces taken are filled again once the encoding resumes', () => {
    const tree = applyAll(createTxns(30, 200, 500));
    const buffers = new Set<ArrayBufferLike>();
    const copies: Uint8Array[] = [];
    const steps = encodeTreeInPieces(tree, 100);
    let r = steps.next();
    for (; !r.done; r = steps.next()) {
      for (const p of r.value ?? []) {
        buffers.add(p.buffer);
        copies.push(p.slice()); // what a caller writes out before resuming
      }
    }
    for (const p of r.value) copies.push(p);
    expect(copies.length).toBeGreaterThanOrEqual(4);
    expect(buffers.size).toBeLessThanOrEqual(2);
    expect(Buffer.concat(copies).equals(Buffer.from(serializeTree(tree)))).toBe(true);
  });
});
