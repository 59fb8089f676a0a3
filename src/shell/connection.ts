// One client connection: the bytes in (a four-letter word, or frames), and the replies out
// strictly in request order (SERVER-12). A reply that is not ready (a write waiting for its commit) holds
// back every later one; a read waiting behind it runs only when its turn comes, so it sees
// that write (per-connection order, as ZooKeeper's CommitProcessor gives).
import type { Clock, SocketLike } from './env.ts';
import type { Id } from '../tree/index.ts';
import type { DigestMd5Server } from './sasl.ts';
import { FrameReader } from '../wire/protocol.ts';
import { writeBatched } from './batched-writes.ts';

export interface Slot {
  readonly xid: number;
  /** The reply, once known; null: nothing to send (the request needs no answer). */
  reply?: Uint8Array | null;
  /** A read: computed when its turn comes. */
  readonly run?: () => Uint8Array | null;
  /** Close the connection once this reply is out. */
  close?: boolean;
}

export type Incoming =
  /** `rest`: the bytes after the word (stmk's argument). */
  | { readonly type: 'word'; readonly word: string; readonly rest: Buffer }
  | { readonly type: 'frames'; readonly frames: Uint8Array[] }
  | { readonly type: 'bad'; readonly error: string };

export class Connection {
  readonly remote: string;
  readonly since: number;
  private readonly frames: FrameReader;
  private head: Buffer | null = Buffer.alloc(0); // until 4 bytes tell a word from a frame
  private readonly slots: Slot[] = [];
  session: bigint | null = null;
  timeout = 0;
  /** Handshake done: requests may be served. */
  established = false;
  auth: Id[];
  closed = false;
  received = 0;
  sent = 0;
  lastZxid = 0n;
  lastOp = 'NA';
  /** The ConnectRequest's readOnly flag (absent in old clients), echoed in the response. */
  readOnlyAsked: boolean | undefined = undefined;
  /** A SASL exchange under way or done. */
  sasl: DigestMd5Server | null = null;

  constructor(
    /** Unique among its port's connections (the reducer's ConnId). */
    readonly id: number,
    readonly socket: SocketLike,
    maxBuffer: number,
    private readonly clock: Clock,
  ) {
    this.since = clock.now();
    this.remote = (socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
    this.auth = [{ scheme: 'ip', id: this.remote }];
    this.frames = new FrameReader(maxBuffer);
    socket.setNoDelay(true);
  }

  /** Bytes from the socket: a four-letter word (first 4 bytes of a fresh connection) or frames. */
  read(chunk: Buffer, isWord: (w: string) => boolean): Incoming {
    if (this.head) {
      const head = Buffer.concat([this.head, chunk]);
      if (head.length < 4) {
        this.head = head;
        return { type: 'frames', frames: [] };
      }
      this.head = null;
      const word = head.subarray(0, 4).toString('latin1');
      if (isWord(word)) return { type: 'word', word, rest: head.subarray(4) };
      chunk = head;
    }
    const r = this.frames.push(chunk);
    return r.ok ? { type: 'frames', frames: r.frames } : { type: 'bad', error: r.error };
  }

  get outstanding(): number {
    return this.slots.length;
  }

  /** Queue a reply slot; returns it so a write's reply can be filled in on commit. */
  push(slot: Slot): Slot {
    this.slots.push(slot);
    this.flush();
    return slot;
  }

  /** Send, in order, every reply whose turn has come. */
  flush(): void {
    while (this.slots.length > 0 && !this.closed) {
      const s = this.slots[0]!;
      if (s.reply === undefined) {
        if (!s.run) return; // a write not yet committed
        s.reply = s.run();
      }
      this.slots.shift();
      if (s.reply) this.write(s.reply);
      if (s.close) this.end();
    }
  }

  /** Out of band: watch notifications, pings' and auth replies, the connect response. */
  write(bytes: Uint8Array): void {
    if (this.closed) return;
    this.sent++;
    writeBatched(this.socket, bytes, this.clock);
  }

  /** Close once the replies already queued have gone out (SERVER-9: a closed session's connection). */
  endAfterReplies(): void {
    const last = this.slots[this.slots.length - 1];
    if (last) last.close = true;
    else this.end();
  }

  /** Close after what was written has gone out. */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.slots.length = 0;
    this.socket.end();
    // A peer that stops reading must not hold the socket open for ever.
    this.clock.setTimeout(() => this.socket.destroy(), 2000, true);
  }
}
