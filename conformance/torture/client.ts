// A workload's client: node-zookeeper-client on the whole connection string (it moves to another
// server when its own fails, keeping its session), every call bounded by a timeout, every outcome
// one of: ok with a result, a ZooKeeper error code, or unknown (a timeout or a lost connection:
// the request may or may not take effect, now or later). A client whose session expired is
// replaced by a new one.
import zookeeper, { type Client } from 'node-zookeeper-client';

export type Outcome<T> = { readonly kind: 'ok'; readonly value: T } | { readonly kind: 'error'; readonly code: number } | { readonly kind: 'unknown'; readonly why: string };

/** Codes after which a request's effect is unknown. */
const UNKNOWN_CODES = new Set([-4 /* ConnectionLoss */, -7 /* OperationTimeout */, -112 /* SessionExpired */, -1 /* SystemError */]);

export interface TortureClientOptions {
  readonly sessionTimeout: number;
  readonly opTimeout: number;
}

export class TortureClient {
  private client: Client;
  private connected = false;
  /** How many sessions this client has had (a new one after each expiry). */
  sessions = 1;
  private closed = false;

  constructor(
    private readonly connectString: string,
    private readonly o: TortureClientOptions,
  ) {
    this.client = this.open();
  }

  private open(): Client {
    const c = zookeeper.createClient(this.connectString, { sessionTimeout: this.o.sessionTimeout, retries: 0, spinDelay: 100 });
    c.on('state', (...a: unknown[]) => {
      const s = a[0] as { name: string };
      if (c !== this.client) return;
      this.connected = s.name === 'SYNC_CONNECTED';
      if (s.name === 'EXPIRED' && !this.closed) {
        // The session is gone: its ephemerals too. Work goes on in a new one.
        c.close();
        this.sessions++;
        this.client = this.open();
      }
    });
    c.connect();
    return c;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** The session id of the current session, as hex (for ownership checks). */
  get sessionId(): string {
    const id = this.client.getSessionId();
    return id ? Buffer.from(id).toString('hex') : '';
  }

  /** Run one request: `start` calls the client with a callback `done(error, value)`. */
  call<T>(start: (c: Client, done: (e: unknown, v?: T) => void) => void): Promise<Outcome<T>> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (o: Outcome<T>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(o);
      };
      const timer = setTimeout(() => settle({ kind: 'unknown', why: 'timeout' }), this.o.opTimeout);
      try {
        start(this.client, (e, v) => {
          if (!e) return settle({ kind: 'ok', value: v as T });
          const code = (e as { code?: number }).code;
          if (typeof code !== 'number' || UNKNOWN_CODES.has(code)) return settle({ kind: 'unknown', why: String((e as Error).message ?? e) });
          settle({ kind: 'error', code });
        });
      } catch (e) {
        settle({ kind: 'unknown', why: (e as Error).message });
      }
    });
  }

  /** End this session (its ephemerals go with it) and go on in a new one. */
  renew(): void {
    const old = this.client;
    this.sessions++;
    this.connected = false;
    this.client = this.open();
    old.close();
  }

  close(): void {
    this.closed = true;
    this.client.close();
  }
}

export const OPEN_ACL = zookeeper.ACL.OPEN_ACL_UNSAFE;
export const CreateMode = zookeeper.CreateMode;
