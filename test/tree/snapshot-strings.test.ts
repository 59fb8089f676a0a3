// The snapshot's strings: ASCII ones are written and read without the UTF-8 encoder and decoder
// (snapshot.ts), the rest through them. Both ways, at every length around the short-string limit,
// with a multi-byte character at the start, middle or end, a path reads back as it was written.
import { describe, expect, it } from 'vitest';
import { applyAll } from '../../bench/tree-fixture.ts';
import { deserializeTree, emptyTree, OPEN_ACL, serializeTree, type Txn } from '../../src/tree/index.ts';

function tree(names: readonly string[]) {
  let zxid = 0;
  const txns: Txn[] = names.map((name, i) => ({
    zxid: ++zxid,
    time: 1_700_000_000_000 + zxid,
    session: 1n,
    op: { type: 'create', path: `/${name}`, data: new Uint8Array([i & 0xff]), acl: OPEN_ACL, kind: { type: 'persistent' }, parentCreates: i + 2, withStat: false },
  }));
  return applyAll(txns, emptyTree());
}

describe('snapshot strings', () => {
  it('ASCII and multi-byte names of every length up to 140 read back as written', () => {
    const names: string[] = [];
    for (let n = 1; n <= 140; n++) {
      const ascii = 'abcdefghij'.repeat(14).slice(0, n);
      names.push(ascii, `é${ascii.slice(1)}`, `${ascii.slice(0, n >> 1)}ü${ascii.slice((n >> 1) + 1)}`, `${ascii.slice(0, -1)}€`, `${ascii.slice(0, -1)}\u007f`);
    }
    const unique = [...new Set(names)];
    const t = tree(unique);
    const back = deserializeTree(serializeTree(t));
    if (!back.ok) throw new Error(back.error);
    expect([...back.tree.nodes.keys()].sort()).toEqual([...t.nodes.keys()].sort());
    expect([...back.tree.nodes.get('/')!.children].sort()).toEqual([...t.nodes.get('/')!.children].sort());
    expect(back.tree.digest).toBe(t.digest);
  });

  it('invalid UTF-8 in a name is reported, not read as something else', () => {
    const bytes = serializeTree(tree(['é']));
    // The name's two bytes (0xc3 0xa9): the second made a lone lead byte's partner that is not one.
    const at = Buffer.from(bytes).indexOf(Buffer.from('/é'));
    expect(at).toBeGreaterThan(0);
    const bad = bytes.slice();
    bad[at + 2] = 0x41;
    const r = deserializeTree(bad);
    expect(r.ok).toBe(false);
  });
});
