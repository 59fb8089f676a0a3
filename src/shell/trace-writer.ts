// `--trace`: every input a server's reducers receive and the effects they return, one NDJSON
// event per step in the format of conformance/trace-schema.ts, with the message ids that let a
// replay pair each send with its receive. ZAB never looks inside a txn's value, so values are
// written in a form that is exact for txns (their log encoding, with the origin) and names a
// snapshot only by the place it holds (`{ kind: 'base' }`): replay treats values as opaque, and
// equal values stay equal.
import { closeSync, existsSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { TRACE_VERSION } from '../../conformance/trace-schema.ts';
import type { Config, Effect, Input, Sid } from '../zab/types.ts';
import type { Entry } from '../server/types.ts';
import { txnEntryJson } from '../wire/peer.ts';

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

/** A trace event as its NDJSON line (entries in their trace form, bigints as strings). */
export function traceJson(event: object): string {
  return JSON.stringify(event, replacer);
}

export interface StepIo {
  /** On a restart: the server's config. */
  readonly config?: Config | undefined;
  /** The received message's id. */
  readonly recv?: string | undefined;
  /** Per effect: the id given to a send or sendAfterPersist, else null. */
  readonly ids: readonly (string | null)[];
  /** The ids of the messages handed to the transport at this step (held ones released included). */
  readonly sent: readonly string[];
}

export class TraceWriter {
  private readonly fd: number;
  private seq = 0;
  private lines: string[] = [];
  private messages = 0;
  private closed = false;
  constructor(
    readonly file: string,
    private readonly node: Sid,
    /** Ids are `server:run:n`; the run (this process's start, base 36) keeps them unique across restarts and in order. */
    private readonly run: string = Date.now().toString(36),
  ) {
    this.seq = existsSync(file) ? nextSeq(file) : 0;
    this.fd = openSync(file, 'a');
  }

  messageId(): string {
    return `${this.node}:${this.run}:${this.messages++}`;
  }

  /** One step: what went in, what came out, and the messages it moved. */
  step(input: Input<Entry>, effects: readonly Effect<Entry>[], io: StepIo): void {
    const event = {
      v: TRACE_VERSION,
      seq: this.seq++,
      node: this.node,
      input,
      effects,
      ...(io.config ? { config: io.config } : {}),
      ...(io.recv !== undefined ? { recv: io.recv } : {}),
      ...(io.ids.some((x) => x !== null) ? { ids: io.ids } : {}),
      ...(io.sent.length ? { sent: io.sent } : {}),
    };
    this.lines.push(traceJson(event));
  }

  /** To the file, synchronously, in one write (ZabNode calls it before its messages leave). */
  flush(): void {
    if (this.lines.length === 0 || this.closed) return;
    const text = `${this.lines.join('\n')}\n`;
    this.lines = [];
    writeSync(this.fd, text);
  }

  close(): Promise<void> {
    this.flush();
    this.closed = true;
    closeSync(this.fd);
    return Promise.resolve();
  }
}

/** A restarted server appends to its trace: its events go on numbering from the last line's seq. */
function nextSeq(file: string): number {
  const size = statSync(file).size;
  if (size === 0) return 0;
  const n = Math.min(size, 1 << 20);
  const buf = Buffer.alloc(n);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, n, size - n);
  } finally {
    closeSync(fd);
  }
  const lines = buf.toString('utf8').trimEnd().split('\n');
  const m = /"seq":(\d+)/.exec(lines[lines.length - 1] ?? '');
  return m ? Number(m[1]) + 1 : 0;
}
