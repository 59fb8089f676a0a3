// The parts of node-zookeeper-client (plain JavaScript, no typings of its own) the tests use.
declare module 'node-zookeeper-client' {
  type Callback<T = unknown> = (error: Error | null, a?: T, b?: unknown) => void;
  export interface Stat {
    version: number;
    cversion: number;
    aversion: number;
    dataLength: number;
    numChildren: number;
    ephemeralOwner: Buffer;
  }
  export interface Event {
    type: number;
    name: string;
    path: string;
    getType(): number;
    getPath(): string;
  }
  export class Id {
    constructor(scheme: string, id: string);
    scheme: string;
    id: string;
  }
  export class ACL {
    constructor(perms: number, id: Id);
    permission: number;
    id: Id;
  }
  export interface Transaction {
    create(path: string, data?: Buffer, acls?: ACL[], mode?: number): Transaction;
    setData(path: string, data: Buffer | null, version?: number): Transaction;
    check(path: string, version?: number): Transaction;
    remove(path: string, version?: number): Transaction;
    commit(cb: Callback<{ type: number; path?: string; stat?: Stat; err?: number }[]>): void;
  }
  export interface Client {
    connect(): void;
    close(): void;
    once(event: 'connected' | 'disconnected' | 'expired' | 'authenticationFailed', cb: () => void): void;
    on(event: string, cb: (...a: unknown[]) => void): void;
    getSessionId(): Buffer;
    getSessionPassword(): Buffer;
    getSessionTimeout(): number;
    addAuthInfo(scheme: string, auth: Buffer): void;
    create(path: string, data: Buffer | null, acls: ACL[], mode: number, cb: Callback<string>): void;
    remove(path: string, version: number, cb: Callback): void;
    removeRecursive(path: string, version: number, cb: Callback): void;
    setData(path: string, data: Buffer | null, version: number, cb: Callback<Stat>): void;
    getData(path: string, watcher: ((e: Event) => void) | undefined, cb: Callback<Buffer>): void;
    setACL(path: string, acls: ACL[], version: number, cb: Callback<Stat>): void;
    getACL(path: string, cb: Callback<ACL[]>): void;
    exists(path: string, watcher: ((e: Event) => void) | undefined, cb: Callback<Stat | null>): void;
    getChildren(path: string, watcher: ((e: Event) => void) | undefined, cb: Callback<string[]>): void;
    listSubTreeBFS(path: string, cb: Callback<string[]>): void;
    mkdirp(path: string, data: Buffer | null, acls: ACL[], mode: number, cb: Callback<string>): void;
    transaction(): Transaction;
  }
  const zookeeper: {
    createClient(connectionString: string, options?: { sessionTimeout?: number; spinDelay?: number; retries?: number }): Client;
    CreateMode: { PERSISTENT: 0; EPHEMERAL: 1; PERSISTENT_SEQUENTIAL: 2; EPHEMERAL_SEQUENTIAL: 3; CONTAINER: 4 };
    Permission: { READ: 1; WRITE: 2; CREATE: 4; DELETE: 8; ADMIN: 16; ALL: 31 };
    ACL: { new (perms: number, id: Id): ACL; OPEN_ACL_UNSAFE: ACL[]; READ_ACL_UNSAFE: ACL[]; CREATOR_ALL_ACL: ACL[] };
    Id: typeof Id;
    Event: { NODE_CREATED: 1; NODE_DELETED: 2; NODE_DATA_CHANGED: 3; NODE_CHILDREN_CHANGED: 4 };
    Exception: { NO_NODE: -101; NO_AUTH: -102; BAD_VERSION: -103; NODE_EXISTS: -110; NOT_EMPTY: -111 };
  };
  export default zookeeper;
}
