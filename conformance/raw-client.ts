// A client that speaks the protocol by hand (xids, order, bad frames: what libraries hide).
// Tests use it, and so does the differential runner, which must see every reply as sent.
import { connect, type Socket } from 'node:net';
import { decodeConnectResponse, decodeReplyHeader, encodeConnectRequest, encodeRequest, FrameReader, type Reply, type Request } from '../src/wire/protocol.ts';

/** A client speaking the protocol by hand, for what libraries hide: xids, order, bad frames. */
export class RawClient {
  private readonly frames = new FrameReader(1 << 24);
  private readonly inbox: Uint8Array[] = [];
  private waiting: ((f: Uint8Array | null) => void) | null = null;
  closed = false;
  sessionId = 0n;
  passwd: Uint8Array = new Uint8Array(16);
  timeout = 0;
  /** The server said this session is read-only. */
  readOnly = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk) => {
      const r = this.frames.push(chunk);
      if (r.ok) for (const f of r.frames) this.deliver(f);
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.(null);
      this.waiting = null;
    });
    socket.on('error', () => {});
  }

  private deliver(f: Uint8Array): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w(f);
    } else this.inbox.push(f);
  }

  static async open(port: number): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  /** Open a connection and a session (new, or the given one). Rejects if the server refuses. */
  static async session(port: number, opts: { timeout?: number; sessionId?: bigint; passwd?: Uint8Array; readOnly?: boolean } = {}): Promise<RawClient> {
    const c = await RawClient.open(port);
    c.socket.write(
      encodeConnectRequest({
        protocolVersion: 0,
        lastZxidSeen: 0n,
        timeOut: opts.timeout ?? 10000,
        sessionId: opts.sessionId ?? 0n,
        passwd: opts.passwd ?? new Uint8Array(16),
        readOnly: opts.readOnly ?? false,
      }),
    );
    const f = await c.next();
    if (!f) throw new Error('connection closed during the handshake');
    const r = decodeConnectResponse(f);
    if (!r.ok) throw new Error(r.error);
    c.sessionId = r.value.sessionId;
    c.passwd = r.value.passwd ?? new Uint8Array(16);
    c.timeout = r.value.timeOut;
    c.readOnly = r.value.readOnly ?? false;
    return c;
  }

  /** The next frame, or null once the server closed the connection. */
  next(timeoutMs = 10000): Promise<Uint8Array | null> {
    const f = this.inbox.shift();
    if (f) return Promise.resolve(f);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no frame within timeout')), timeoutMs);
      this.waiting = (x) => {
        clearTimeout(t);
        resolve(x);
      };
    });
  }

  async reply(timeoutMs?: number): Promise<Reply | null> {
    const f = await this.next(timeoutMs);
    if (!f) return null;
    const r = decodeReplyHeader(f);
    if (!r.ok) throw new Error(r.error);
    return r.value;
  }

  send(xid: number, request: Exclude<Request, { op: 'unknown' }>): void {
    this.socket.write(encodeRequest(xid, request));
  }

  raw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}
