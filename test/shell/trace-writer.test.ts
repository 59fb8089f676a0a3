// The trace writer (src/shell/trace-writer.ts) and its reader (conformance/trace-schema.ts):
// format 1's text made without JSON.stringify's replacer is byte for byte what the replacer made;
// format 2 writes each entry once and parseTrace gives back format 1's values, one object per
// entry, across a restart's appended run and in a prefix cut by a crash.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTrace, TRACE_VERSION } from '../../conformance/trace-schema.ts';
import type { Entry } from '../../src/server/types.ts';
import { traceJson, TraceWriter } from '../../src/shell/trace-writer.ts';
import { txnEntryJson } from '../../src/wire/peer.ts';
import type { Effect, Input } from '../../src/zab/types.ts';
import { removeDir, tempDir } from './harness.ts';

const dir = tempDir('zabkit-trace-writer-');
afterAll(() => removeDir(dir));

let zxid = 0x1_0000_0000;
const entry = (path = '/a'): Extract<Entry, { kind: 'txn' }> => ({
  kind: 'txn',
  txn: { zxid: ++zxid, time: 1_700_000_000_000, session: 0x1234_5678_9abcn, op: { type: 'setData', path, data: new Uint8Array([1, 2, 3]), version: -1 }, digest: 7 },
  origin: { server: 1, id: zxid },
});

/** The oracle: JSON.stringify with a replacer that gives entries their trace form and bigints as strings. */
const oracle = (event: object): string =>
  JSON.stringify(event, (_k, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    const e = v as Entry | null;
    if (e !== null && typeof e === 'object' && 'kind' in e) {
      if (e.kind === 'base' && 'tree' in e) return { kind: 'base' };
      if (e.kind === 'txn' && 'txn' in e) return txnEntryJson(e);
    }
    return v;
  });

describe('format 1 (traceJson)', () => {
  it('is what JSON.stringify with the replacer gives, for any mix of values, bigints and entries', () => {
    const leaf = fc.oneof(
      fc.string(),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.bigInt(),
      fc.constantFrom('/a', '/b/c').map((p) => entry(p)),
      fc.constant({ kind: 'base', tree: { anything: 1 } }),
      fc.constant(Buffer.from([1, 2, 3])),
      fc.constant(new Uint8Array([4, 5])),
      fc.constant(new Date(0)),
    );
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.string(), tie('v'), { maxKeys: 4 })),
    })).v;
    fc.assert(fc.property(fc.dictionary(fc.string(), value), (event) => {
          expect(traceJson(event)).toBe(oracle(event));
        }), { numRuns: 300 });
  });
});

/** A leader's write as its steps show it: proposed, appended, and delivered once persisted. */
function steps(entries: readonly Extract<Entry, { kind: 'txn' }>[], ticket0: number): { input: Input<Entry>; effects: Effect<Entry>[] }[] {
  const out: { input: Input<Entry>; effects: Effect<Entry>[] }[] = entries.map((e, k) => ({
    input: { type: 'propose', value: e },
    effects: [{ type: 'persist', ticket: ticket0 + k, op: { kind: 'append', txns: [{ zxid: e.txn.zxid, value: e }] } }],
  }));
  out.push({ input: { type: 'persisted', ticket: ticket0 + entries.length - 1 }, effects: entries.map((e) => ({ type: 'deliver', txn: { zxid: e.txn.zxid, value: e } })) });
  // Not a write's, but the shapes the writer's own paths meet: a snapshot's txn, a send, a timer.
  const [e0] = entries;
  out.push({ input: { type: 'timeout', timer: 'ping' }, effects: [{ type: 'persist', ticket: ticket0 + 9, op: { kind: 'append', txns: [{ zxid: 1, value: e0!, snapshot: true }] } }, { type: 'send', to: 2, msg: { type: 'PROPOSAL', txn: { zxid: e0!.txn.zxid, value: e0! } } }, { type: 'setTimer', timer: 'ping', ms: 1000 }] });
  return out;
}

const write = (file: string, run: string, s: ReturnType<typeof steps>): void => {
  const w = new TraceWriter(file, 1, run);
  for (const x of s) w.step(x.input, x.effects, { ids: x.effects.map(() => null), sent: [] });
  void w.close();
};

describe('format 2 (TraceWriter)', () => {
  const first = [entry(), entry(), entry()];
  const second = [entry(), entry()];
  const file = join(dir, 'server-1.ndjson');
  write(file, 'r1', steps(first, 1));
  write(file, 'r2', steps(second, 1)); // a restarted process appends, numbering its entries anew
  const text = readFileSync(file, 'utf8');

  it('writes each entry in full once per process, then refers to it', () => {
    for (const e of [...first, ...second]) expect(text.split(JSON.stringify(txnEntryJson(e)).slice(1)).length - 1).toBe(1);
    expect(text.match(/\{"ref":\d+\}/g)).toHaveLength(2 * (first.length + second.length) + 4);
    expect(text.split('\n').filter(Boolean).map((l) => JSON.parse(l).seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('reads back as format 1 gives the same steps, each entry one object', () => {
    const { events, error } = parseTrace(text);
    expect(error).toBeNull();
    const asV1 = [...steps(first, 1), ...steps(second, 1)].map((x) => JSON.parse(traceJson({ input: x.input, effects: x.effects })));
    expect(events.map((e) => ({ input: e.input, effects: e.effects }))).toEqual(asV1);
    const propose = events[1]!;
    const deliver = events[3]!.effects[1] as { txn: { value: unknown } };
    expect(deliver.txn.value).toBe((propose.input as { value: unknown }).value);
    expect(events.every((e) => e.v === TRACE_VERSION + 1)).toBe(true);
  });

  it('a prefix of whole lines (a server killed between writes) still reads', () => {
    const lines = text.split('\n').filter(Boolean);
    for (let n = 1; n <= lines.length; n++) {
      const { events, error } = parseTrace(`${lines.slice(0, n).join('\n')}\n`);
      expect(error).toBeNull();
      expect(events).toHaveLength(n);
    }
  });

  it('an entry older than the table\'s two generations is defined again, and reads back the same', () => {
    const old = join(dir, 'generations.ndjson');
    const es = [entry(), entry(), entry(), entry(), entry()];
    const w = new TraceWriter(old, 1, 'g', 2);
    const s = [...steps(es, 1), { input: { type: 'propose', value: es[0]! } as Input<Entry>, effects: [] as Effect<Entry>[] }];
    for (const x of s) w.step(x.input, x.effects, { ids: x.effects.map(() => null), sent: [] });
    void w.close();
    const t = readFileSync(old, 'utf8');
    expect(t.split(JSON.stringify(txnEntryJson(es[0]!)).slice(1)).length - 1).toBe(3); // proposed, delivered after 4 more, proposed again
    const { events, error } = parseTrace(t);
    expect(error).toBeNull();
    expect(events.map((e) => ({ input: e.input, effects: e.effects }))).toEqual(s.map((x) => JSON.parse(traceJson({ input: x.input, effects: x.effects }))));
  });

  it('a reference to a value no earlier line defines is reported with its line', () => {
    const lines = text.split('\n').filter(Boolean);
    const cut = join(dir, 'cut.ndjson');
    writeFileSync(cut, `${lines.slice(1).join('\n')}\n`); // the first propose lost: its entry is defined nowhere, and the persisted step (now line 3) refers to it
    expect(parseTrace(readFileSync(cut, 'utf8')).error).toMatch(/^line 3: a reference to value 0,/);
  });
});
