// Client packets and server replies as values: decodeRequest never throws, the encoders
// produce whole frames (4-byte big-endian length, then the payload).
import { attempt, Reader, Writer, type Codec, type Decoded } from './jute.ts';
import { MultiRequest, MultiResponse, type MultiOp, type MultiResult } from './multi.ts';
import {
  ConnectRequest,
  ConnectResponse,
  MULTI,
  MULTI_READ,
  OP_NAMES,
  OPS,
  ReplyHeader,
  RequestHeader,
  WatcherEvent,
  Xid,
  type BodyOf,
  type ConnectRequestValue,
  type ConnectResponseValue,
  type SimpleOp,
} from './records.ts';

export const DEFAULT_MAX_BUFFER = 0xfffff;

export type RequestOf<K extends SimpleOp> = { readonly op: K } & BodyOf<(typeof OPS)[K]['request']>;
export type ResponseOf<K extends SimpleOp> = BodyOf<(typeof OPS)[K]['response']>;

export type Request =
  | { [K in SimpleOp]: RequestOf<K> }[SimpleOp]
  | { readonly op: 'multi' | 'multiRead'; readonly ops: MultiOp[] }
  /** An opcode this server does not implement: answered with Unimplemented, then the connection closes. */
  | { readonly op: 'unknown' };

export interface Packet {
  readonly xid: number;
  readonly type: number;
  readonly request: Request;
}

/** A malformed packet: `header` when at least the request header could be read. */
export interface BadPacket {
  readonly error: string;
  readonly header?: { readonly xid: number; readonly type: number };
}

export function decodeRequest(payload: Uint8Array): { ok: true; value: Packet } | ({ ok: false } & BadPacket) {
  const r = new Reader(payload);
  const h = attempt(() => RequestHeader.read(r));
  if (!h.ok) return { ok: false, error: h.error };
  const { xid, type } = h.value;
  const body = attempt((): Request => {
    let request: Request;
    if (type === MULTI || type === MULTI_READ) request = { op: type === MULTI ? 'multi' : 'multiRead', ops: MultiRequest.read(r) };
    else {
      const name = OP_NAMES.get(type);
      if (name === undefined) return { op: 'unknown' }; // the body is not ours to judge
      request = { op: name, ...(OPS[name].request as Codec<object>).read(r) } as Request;
    }
    r.end(`opcode ${type}`);
    return request;
  });
  if (!body.ok) return { ok: false, error: body.error, header: h.value };
  return { ok: true, value: { xid, type, request: body.value } };
}

/** A client's frame for `request` (tests and tools speak as clients with it). */
export function encodeRequest(xid: number, request: Exclude<Request, { op: 'unknown' }>): Uint8Array {
  const w = new Writer(64, 4);
  if (request.op === 'multi' || request.op === 'multiRead') {
    RequestHeader.write(w, { xid, type: request.op === 'multi' ? MULTI : MULTI_READ });
    MultiRequest.write(w, request.ops);
  } else {
    const { op, ...body } = request;
    RequestHeader.write(w, { xid, type: OPS[op].code });
    (OPS[op].request as Codec<object>).write(w, body);
  }
  return w.finish();
}

export const decodeConnectRequest = (payload: Uint8Array): Decoded<ConnectRequestValue> =>
  attempt(() => {
    const r = new Reader(payload);
    const v = ConnectRequest.read(r);
    r.end('ConnectRequest');
    return v;
  });

export function encodeConnectRequest(v: ConnectRequestValue): Uint8Array {
  const w = new Writer(64, 4);
  ConnectRequest.write(w, v);
  return w.finish();
}

export function encodeConnectResponse(v: ConnectResponseValue): Uint8Array {
  const w = new Writer(64, 4);
  ConnectResponse.write(w, v);
  return w.finish();
}

export const decodeConnectResponse = (payload: Uint8Array): Decoded<ConnectResponseValue> =>
  attempt(() => ConnectResponse.read(new Reader(payload)));

/** A successful reply to a simple op. */
export function encodeReply<K extends SimpleOp>(xid: number, zxid: bigint, op: K, body: ResponseOf<K>): Uint8Array {
  const w = new Writer(128, 4);
  ReplyHeader.write(w, { xid, zxid, err: 0 });
  (OPS[op].response as Codec<unknown>).write(w, body);
  return w.finish();
}

/** A failed reply: the header alone (ZooKeeper sends no body when err ≠ 0). */
export function encodeError(xid: number, zxid: bigint, err: number): Uint8Array {
  const w = new Writer(20, 4);
  ReplyHeader.write(w, { xid, zxid, err });
  return w.finish();
}

export function encodeMultiReply(xid: number, zxid: bigint, results: readonly MultiResult[]): Uint8Array {
  const w = new Writer(128, 4);
  ReplyHeader.write(w, { xid, zxid, err: 0 });
  MultiResponse.write(w, results as MultiResult[]);
  return w.finish();
}

/** A watch notification: xid −1, zxid −1 (as ZooKeeper sends it). */
export function encodeNotification(type: number, state: number, path: string): Uint8Array {
  const w = new Writer(32 + path.length * 3, 4);
  ReplyHeader.write(w, { xid: Xid.NOTIFICATION, zxid: -1n, err: 0 });
  WatcherEvent.write(w, { type, state, path });
  return w.finish();
}

export interface Reply {
  readonly xid: number;
  readonly zxid: bigint;
  readonly err: number;
  readonly body: Reader;
}

/** A client's view of a reply frame: the header, and a reader on the body. */
export function decodeReplyHeader(payload: Uint8Array): Decoded<Reply> {
  return attempt(() => {
    const body = new Reader(payload);
    return { ...ReplyHeader.read(body), body };
  });
}

// ---------------------------------------------------------------- framing

export type Frames = { readonly ok: true; readonly frames: Uint8Array[] } | { readonly ok: false; readonly error: string };

/** Splits a byte stream into frames; a length over maxBuffer (or negative) is an error, and ends the stream. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(readonly maxBuffer = DEFAULT_MAX_BUFFER) {}

  push(chunk: Buffer): Frames {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const frames: Uint8Array[] = [];
    let buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    let at = 0;
    while (buf.length - at >= 4) {
      const n = buf.readInt32BE(at);
      if (n < 0 || n > this.maxBuffer) return { ok: false, error: `frame length ${n} (jute.maxbuffer is ${this.maxBuffer})` };
      if (buf.length - at - 4 < n) break;
      frames.push(buf.subarray(at + 4, at + 4 + n));
      at += 4 + n;
    }
    buf = buf.subarray(at);
    this.chunks = buf.length ? [buf] : [];
    this.size = buf.length;
    return { ok: true, frames };
  }

  /** Bytes received that do not yet make a frame. */
  get pending(): number {
    return this.size;
  }
}
