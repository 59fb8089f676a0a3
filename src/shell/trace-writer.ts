// `--trace FILE`: every input a server's reducers receive and the effects they return, one
// NDJSON event per step in the format of conformance/trace-schema.ts. ZAB never looks inside a
// txn's value, so values are written in a form that is exact for txns (their log encoding, with
// the origin) and names a snapshot only by the place it holds (`{ kind: 'base' }`): replay
// treats values as opaque, and equal values stay equal.
import { createWriteStream, type WriteStream } from 'node:fs';
import { TRACE_VERSION } from '../../conformance/trace-schema.ts';
import type { Config, Effect, Input, Sid } from '../zab/types.ts';
import { txnEntryJson, type Entry } from '../wire/peer.ts';

/** An entry appears in many events (proposal, append, ack, commit, deliver): encode it once. */
const encoded = new WeakMap<object, unknown>();
const BASE = { kind: 'base' } as const;

/** JSON.stringify's replacer: entries as their trace form, bigints as decimal strings. */
function replacer(this: unknown, _key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v !== null && typeof v === 'object' && 'kind' in v) {
    const e = v as Entry;
    if (e.kind === 'base' && 'tree' in e) return BASE;
    if (e.kind === 'txn' && 'txn' in e) {
      let out = encoded.get(e);
      if (out === undefined) encoded.set(e, (out = txnEntryJson(e)));
      return out;
    }
  }
  return v;
}

export class TraceWriter {
  private readonly out: WriteStream;
  private seq = 0;

  constructor(
    readonly file: string,
    private readonly node: Sid,
  ) {
    this.out = createWriteStream(file, { flags: 'a' });
  }

  /** One step: what went in, what came out (and the config, on a restart). */
  step(input: Input<Entry>, effects: readonly Effect<Entry>[], config?: Config): void {
    const event = { v: TRACE_VERSION, seq: this.seq++, node: this.node, input, effects, ...(config ? { config } : {}) };
    this.out.write(`${JSON.stringify(event, replacer)}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(() => resolve()));
  }
}
