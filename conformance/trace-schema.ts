// The one trace format (DESIGN.md): NDJSON, one event per line, each validated by this schema.
// An event is one call of `step` at one server: the input it received and the effects it
// returned; a restart carries the server's config. The checker writes counterexamples in it;
// the shell writes it when tracing is on (`--trace`); replay, the simulator and the explorer read it.
//
// Format 2 (the shell's `--trace`, src/shell/trace-writer.ts) is format 1 with each value written
// once: its first occurrence carries `"def":k`, later ones are `{"ref":k}`. A reference points at
// the latest definition of k in an earlier line or earlier in its own line (a restarted server
// appends to its file and numbers its entries anew, defining each before referring to it).
// parseTrace resolves references, so every reader sees format 1's values (one object per entry).
import { z } from 'zod';
import { zabMessageOptions } from '../src/wire/zab-messages.ts';

export const TRACE_VERSION = 1;
/** Format 1 with values written once and referred to afterwards. */
export const TRACE_VERSION_REFS = 2;

const sid = z.number().int();
const zxid = z.number().int().nonnegative();
// A snapshot entry (PERSIST-9) says so; a real server's is written as `{ kind: 'base' }`.
const isBase = (v: unknown): boolean => v !== null && typeof v === 'object' && (v as { kind?: unknown }).kind === 'base';
const txn = z
  .object({ zxid, value: z.unknown(), snapshot: z.literal(true).optional() })
  .transform((t) => (t.snapshot || isBase(t.value) ? { zxid: t.zxid, value: t.value, snapshot: true as const } : { zxid: t.zxid, value: t.value }));
const vote = z.object({ leader: sid, zxid: z.number().int(), epoch: z.number().int() });

const parts = { count: z.number().int(), zxid, vote, txn };
export const messageSchema = z.discriminatedUnion('type', [...zabMessageOptions(parts)]);

const timer = z.enum(['notify', 'finalize', 'init', 'sync', 'ping']);

export const durableSchema = z.object({
  acceptedEpoch: z.number().int(),
  currentEpoch: z.number().int(),
  history: z.array(txn),
  snapIndex: z.number().int().nonnegative(),
});

export const inputSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('receive'), from: sid, msg: messageSchema }),
  z.object({ type: z.literal('timeout'), timer }),
  z.object({ type: z.literal('propose'), value: z.unknown() }),
  z.object({ type: z.literal('persisted'), ticket: z.number().int() }),
  z.object({ type: z.literal('disconnected'), peer: sid }),
  z.object({ type: z.literal('compacted'), zxid, base: z.unknown() }),
  z.object({ type: z.literal('restart'), durable: durableSchema }),
]);

const persistOp = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('acceptedEpoch'), epoch: z.number().int() }),
  z.object({ kind: z.literal('currentEpoch'), epoch: z.number().int() }),
  z.object({ kind: z.literal('append'), txns: z.array(txn) }),
  z.object({ kind: z.literal('truncate'), zxid }),
  z.object({ kind: z.literal('snapshot'), txns: z.array(txn), snapIndex: z.number().int().nonnegative() }),
  z.object({ kind: z.literal('compact'), snapIndex: z.number().int().nonnegative() }),
]);

export const effectSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('send'), to: sid, msg: messageSchema }),
  z.object({ type: z.literal('sendAfterPersist'), ticket: z.number().int(), to: sid, msg: messageSchema }),
  z.object({ type: z.literal('persist'), ticket: z.number().int(), op: persistOp }),
  z.object({ type: z.literal('deliver'), txn }),
  z.object({ type: z.literal('installSnapshot'), zxid, base: z.unknown() }),
  z.object({ type: z.literal('setTimer'), timer, ms: z.number() }),
  z.object({ type: z.literal('disconnect'), peer: sid }),
]);

export const configSchema = z.object({
  sid,
  voters: z.array(sid),
  observers: z.array(sid),
  snapCount: z.number().int().nonnegative(),
  timing: z.object({
    tickMs: z.number(),
    initLimit: z.number(),
    syncLimit: z.number(),
    finalizeMs: z.number(),
    notifyMs: z.number(),
  }),
  deviation: z.string().optional(),
});

export const traceEventSchema = z.object({
  v: z.union([z.literal(TRACE_VERSION), z.literal(TRACE_VERSION_REFS)]),
  seq: z.number().int().nonnegative(),
  node: sid,
  input: inputSchema,
  effects: z.array(effectSchema),
  /** Present on restarts: the server's configuration. */
  config: configSchema.optional(),
  /** The world action (checker's step) this event belongs to, when the trace comes from the checker. */
  action: z.number().int().nonnegative().optional(),
  /** Real runs (`--trace`): the received message's id, as its sender gave it. */
  recv: z.string().optional(),
  /** Per effect: the id of a send or sendAfterPersist's message (null for other effects). */
  ids: z.array(z.string().nullable()).optional(),
  /** The ids of the messages the shell handed to the transport at this step, in order (held ones released by a persist included). */
  sent: z.array(z.string()).optional(),
  /** The invariant the run breaks, on the last event of a counterexample. */
  violation: z.object({ id: z.string(), detail: z.string() }).optional(),
  state: z.unknown().optional(),
});

export type TraceEvent = z.infer<typeof traceEventSchema>;

/** Format 2: references replaced by their definitions (in place); the first unresolved reference, if any. */
function resolveRefs(v: unknown, defs: Map<number, object>): number | null {
  let missing: number | null = null;
  const walk = (x: unknown): unknown => {
    if (x === null || typeof x !== 'object') return x;
    if (Array.isArray(x)) {
      for (let i = 0; i < x.length; i++) x[i] = walk(x[i]);
      return x;
    }
    const o = x as Record<string, unknown>;
    if (typeof o.ref === 'number' && Object.keys(o).length === 1) {
      const d = defs.get(o.ref);
      if (d === undefined) missing ??= o.ref;
      return d ?? o;
    }
    if (typeof o.def === 'number') {
      const k = o.def;
      delete o.def;
      defs.set(k, o);
      return o; // a value holds no references
    }
    for (const k of Object.keys(o)) o[k] = walk(o[k]);
    return o;
  };
  walk(v);
  return missing;
}

/** Parse NDJSON; a bad line is reported with its number, never thrown past this boundary. */
export function parseTrace(text: string): { events: TraceEvent[]; error: string | null } {
  const events: TraceEvent[] = [];
  const defs = new Map<number, object>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (e) {
      return { events, error: `line ${i + 1}: not JSON (${(e as Error).message})` };
    }
    if ((json as { v?: unknown } | null)?.v === TRACE_VERSION_REFS) {
      const o = json as { input?: unknown; effects?: unknown };
      for (const part of ['input', 'effects'] as const) {
        const missing = resolveRefs(o[part], defs);
        if (missing !== null) return { events, error: `line ${i + 1}: a reference to value ${missing}, which no earlier definition gives` };
      }
    }
    const r = traceEventSchema.safeParse(json);
    if (!r.success) return { events, error: `line ${i + 1}: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}` };
    events.push(r.data);
  }
  return { events, error: null };
}
