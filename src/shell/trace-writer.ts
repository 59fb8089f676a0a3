// `--trace`: every input a server's reducers receive and the effects they return, one NDJSON
// event per step in the format of conformance/trace-schema.ts, with the message ids that let a
// replay pair each send with its receive. ZAB never looks inside a txn's value, so values are
// written in a form that is exact for txns (their log encoding, with the origin) and names a
// snapshot only by the place it holds (`{ kind: 'base' }`): replay treats values as opaque, and
// equal values stay equal.
//
// Cost (issue 26): a write's entry appears in several events (propose, append, deliver; a
// follower's PROPOSAL, append, COMMIT's deliver), so the writer's lines are format 2: an entry's
// text is made once per entry, written in full the first time with `"def":k`, and `{"ref":k}`
// afterwards. The JSON is written by hand: JSON.stringify with a replacer takes V8's slow path.
import { closeSync, existsSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { TRACE_VERSION_REFS } from '../../conformance/trace-schema.ts';
import type { Config, Effect, Input, Sid, Txn } from '../zab/types.ts';
import type { Entry } from '../server/types.ts';
import { encodeTxn } from '../wire/txn.ts';

/** Format 1's entry texts, made once per entry object (format 2 writes each entry's text once anyway). */
const texts = new WeakMap<object, string>();
const BASE = '{"kind":"base"}';

/** An entry's JSON text, as JSON.stringify(txnEntryJson(e)) gives it (its log encoding in base64 needs no escapes). */
function entryText(e: TxnEntry, opening: string): string {
  const bytes = encodeTxn(e.txn);
  const b64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  return e.origin ? opening + b64 + '","origin":' + json(e.origin, null) + '}' : opening + b64 + '"}';
}

type TxnEntry = Extract<Entry, { kind: 'txn' }>;
const OPEN_TXN = '{"kind":"txn","txn":"';

/** `"key":` texts; the keys of events are few (a byte array's indexes would not be, so the cache stops growing). */
const keys = new Map<string, string>();
function keyText(k: string): string {
  let t = keys.get(k);
  if (t === undefined) {
    t = JSON.stringify(k) + ':';
    if (keys.size < 512) keys.set(k, t);
  }
  return t;
}

/**
 * Format 2's table: the entries this writer has written in full, by their number. Two
 * generations of Maps rather than one WeakMap: bounded (a WeakMap's ephemerons span the whole
 * history, which every GC walks) and ~10 % cheaper per write in a micro-benchmark. An entry
 * older than both generations (a learner synced from the history) is simply defined again.
 */
class Refs {
  private young = new Map<object, number>();
  private old = new Map<object, number>();
  private next = 0;
  constructor(private readonly generation = 1 << 14) {}
  get(o: object): number | undefined {
    return this.young.get(o) ?? this.old.get(o);
  }
  add(o: object): number {
    if (this.young.size >= this.generation) {
      this.old = this.young;
      this.young = new Map();
    }
    const k = this.next++;
    this.young.set(o, k);
    return k;
  }
}

/**
 * A value's JSON text as JSON.stringify gives it for plain data (undefined where it would omit
 * the value), entries in their trace form and bigints as decimal strings; with `refs`, an entry
 * written before as `{"ref":k}`.
 */
function json(v: unknown, refs: Refs | null): string | undefined {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? '' + v : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return '"' + v + '"';
    case 'object': {
      if (v === null) return 'null';
      if (Array.isArray(v)) {
        if (v.length === 0) return '[]';
        let s = '[' + (json(v[0], refs) ?? 'null');
        for (let i = 1; i < v.length; i++) s += ',' + (json(v[i], refs) ?? 'null');
        return s + ']';
      }
      const o = v as Record<string, unknown>;
      const kind = o.kind;
      if (kind === 'txn' && 'txn' in o) {
        if (!refs) {
          let t = texts.get(o);
          if (t === undefined) texts.set(o, (t = entryText(o as TxnEntry, OPEN_TXN)));
          return t;
        }
        const k = refs.get(o);
        if (k !== undefined) return '{"ref":' + k + '}';
        return entryText(o as TxnEntry, '{"def":' + refs.add(o) + ',"kind":"txn","txn":"');
      }
      if (kind === 'base' && 'tree' in o) return BASE;
      if (typeof o.toJSON === 'function') return json((o as { toJSON(key: string): unknown }).toJSON(''), refs); // a Buffer, a Date
      let s = '';
      for (const key of Object.keys(o)) {
        const x = json(o[key], refs);
        if (x !== undefined) s += (s ? ',' : '{') + keyText(key) + x;
      }
      return s ? s + '}' : '{}';
    }
    default:
      return undefined; // undefined, functions, symbols: omitted, as JSON.stringify omits them
  }
}

/** A trace event as its NDJSON line (entries in their trace form, bigints as strings; no references). */
export function traceJson(event: object): string {
  return json(event, null)!;
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
  private lines = '';
  private messages = 0;
  private closed = false;
  /** Entry numbers are this process's: a restarted server's writer defines every entry again before referring to it. */
  private readonly refs: Refs;
  private readonly head: string;
  constructor(
    readonly file: string,
    private readonly node: Sid,
    /** Ids are `server:run:n`; the run (this process's start, base 36) keeps them unique across restarts and in order. */
    private readonly run: string = Date.now().toString(36),
    /** Entries remembered per generation of the table (tests make it small). */
    generation?: number,
  ) {
    this.refs = new Refs(generation);
    this.seq = existsSync(file) ? nextSeq(file) : 0;
    this.fd = openSync(file, 'a');
    this.head = `{"v":${TRACE_VERSION_REFS},"seq":`;
  }

  messageId(): string {
    return `${this.node}:${this.run}:${this.messages++}`;
  }

  /** One step: what went in, what came out, and the messages it moved (keys in format 1's order). */
  step(input: Input<Entry>, effects: readonly Effect<Entry>[], io: StepIo): void {
    let s = `${this.head}${this.seq++},"node":${this.node},"input":${this.input(input)},"effects":[`;
    for (let k = 0; k < effects.length; k++) s += (k ? ',' : '') + this.effect(effects[k]!);
    s += ']';
    if (io.config) s += `,"config":${json(io.config, null)}`;
    if (io.recv !== undefined) s += `,"recv":${JSON.stringify(io.recv)}`;
    if (io.ids.some((x) => x !== null)) s += `,"ids":${json(io.ids, null)}`;
    if (io.sent.length) s += `,"sent":${json(io.sent, null)}`;
    this.lines += `${s}}\n`;
  }

  // The steps of every write (propose, append, persisted, deliver) are written without the
  // generic walk; the text is the walk's (test/shell/trace-writer.test.ts), and a field dropped
  // here would show in replay as a step whose effects differ.
  private input(i: Input<Entry>): string {
    if (i.type === 'propose') return '{"type":"propose","value":' + json(i.value, this.refs) + '}';
    if (i.type === 'persisted') return '{"type":"persisted","ticket":' + i.ticket + '}';
    return json(i, this.refs)!;
  }

  private effect(e: Effect<Entry>): string {
    if (e.type === 'deliver') return '{"type":"deliver","txn":' + this.txn(e.txn) + '}';
    if (e.type === 'persist' && e.op.kind === 'append') {
      const t = e.op.txns;
      let s = '{"type":"persist","ticket":' + e.ticket + ',"op":{"kind":"append","txns":[';
      for (let k = 0; k < t.length; k++) s += (k ? ',' : '') + this.txn(t[k]!);
      return s + ']}}';
    }
    return json(e, this.refs)!;
  }

  private txn(t: Txn<Entry>): string {
    const s = '{"zxid":' + t.zxid + ',"value":' + json(t.value, this.refs);
    return t.snapshot === undefined ? s + '}' : s + ',"snapshot":' + t.snapshot + '}';
  }

  /** To the file, synchronously, in one write (ZabNode calls it before its messages leave). */
  flush(): void {
    if (this.lines.length === 0 || this.closed) return;
    const text = this.lines;
    this.lines = '';
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
