// The records of ZooKeeper 3.8's client protocol (zookeeper.jute), declared once as codecs.
// Field names follow zookeeper.jute so a reader can look them up there.
import { bool, buffer, int, long, record, string, vector, type Codec } from './jute.ts';

export const Id = record({ scheme: string, id: string });
export const ACL = record({ perms: int, id: Id });
export const ACLs = vector(ACL);

/** 68 bytes: zxids, times and the owner are longs. */
export const Stat = record({
  czxid: long,
  mzxid: long,
  ctime: long,
  mtime: long,
  version: int,
  cversion: int,
  aversion: int,
  ephemeralOwner: long,
  dataLength: int,
  numChildren: int,
  pzxid: long,
});
export type WireStat = ReturnType<typeof Stat.read>;

export const RequestHeader = record({ xid: int, type: int });
export const ReplyHeader = record({ xid: int, zxid: long, err: int });
export const MultiHeader = record({ type: int, done: bool, err: int });
export const WatcherEvent = record({ type: int, state: int, path: string });
export const ErrorResponse = record({ err: int });

/** ConnectRequest/Response; the trailing readOnly flag is optional (old clients leave it out). */
const ConnectRequestCore = record({ protocolVersion: int, lastZxidSeen: long, timeOut: int, sessionId: long, passwd: buffer });
const ConnectResponseCore = record({ protocolVersion: int, timeOut: int, sessionId: long, passwd: buffer });

function withReadOnly<T extends object>(core: Codec<T>, name: string): Codec<T & { readOnly?: boolean }> {
  return {
    shape: { t: 'custom', name },
    read(r) {
      const v: T & { readOnly?: boolean } = core.read(r);
      if (r.remaining > 0) v.readOnly = r.bool();
      return v;
    },
    write(w, v) {
      core.write(w, v);
      if (v.readOnly !== undefined) w.bool(v.readOnly);
    },
  };
}
export const ConnectRequest = withReadOnly(ConnectRequestCore, 'ConnectRequest');
export const ConnectResponse = withReadOnly(ConnectResponseCore, 'ConnectResponse');
export type ConnectRequestValue = ReturnType<typeof ConnectRequest.read>;
export type ConnectResponseValue = ReturnType<typeof ConnectResponse.read>;

const pathOnly = record({ path: string });
const pathWatch = record({ path: string, watch: bool });
const pathVersion = record({ path: string, version: int });
const pathType = record({ path: string, type: int });
const empty = record({});
const stat = record({ stat: Stat });
const children = record({ children: vector(string) });

export const CreateRequest = record({ path: string, data: buffer, acl: ACLs, flags: int });
export const CreateTTLRequest = record({ path: string, data: buffer, acl: ACLs, flags: int, ttl: long });
export const SetDataRequest = record({ path: string, data: buffer, version: int });
export const SetACLRequest = record({ path: string, acl: ACLs, version: int });
export const ReconfigRequest = record({ joiningServers: string, leavingServers: string, newMembers: string, curConfigId: long });
export const AuthPacket = record({ type: int, scheme: string, auth: buffer });
const watchLists = { relativeZxid: long, dataWatches: vector(string), existWatches: vector(string), childWatches: vector(string) };
export const SetWatches = record(watchLists);
export const SetWatches2 = record({
  ...watchLists,
  persistentWatches: vector(string),
  persistentRecursiveWatches: vector(string),
});
export const AddWatchRequest = record({ path: string, mode: int });
export const GetEphemeralsRequest = record({ prefixPath: string });

export const CreateResponse = pathOnly;
export const Create2Response = record({ path: string, stat: Stat });
export const GetDataResponse = record({ data: buffer, stat: Stat });
export const GetChildren2Response = record({ children: vector(string), stat: Stat });
export const GetACLResponse = record({ acl: ACLs, stat: Stat });
export const GetEphemeralsResponse = record({ ephemerals: vector(string) });
export const GetAllChildrenNumberResponse = record({ totalNumber: int });
/** SASL's GetSASLRequest and SetSASLResponse: one token each way. */
export const SaslToken = record({ token: buffer });
export const WhoAmIResponse = record({ clientInfo: vector(record({ authScheme: string, user: string })) });

/**
 * Every opcode of the 3.8 client protocol: its name, request body and (successful) response
 * body. multi and multiRead have their own codecs (./multi.ts); ping, whoAmI and closeSession
 * carry no request body.
 */
export const OPS = {
  create: { code: 1, request: CreateRequest, response: CreateResponse },
  delete: { code: 2, request: pathVersion, response: empty },
  exists: { code: 3, request: pathWatch, response: stat },
  getData: { code: 4, request: pathWatch, response: GetDataResponse },
  setData: { code: 5, request: SetDataRequest, response: stat },
  getACL: { code: 6, request: pathOnly, response: GetACLResponse },
  setACL: { code: 7, request: SetACLRequest, response: stat },
  getChildren: { code: 8, request: pathWatch, response: children },
  sync: { code: 9, request: pathOnly, response: pathOnly },
  ping: { code: 11, request: empty, response: empty },
  getChildren2: { code: 12, request: pathWatch, response: GetChildren2Response },
  check: { code: 13, request: pathVersion, response: empty },
  create2: { code: 15, request: CreateRequest, response: Create2Response },
  reconfig: { code: 16, request: ReconfigRequest, response: GetDataResponse },
  checkWatches: { code: 17, request: pathType, response: empty },
  removeWatches: { code: 18, request: pathType, response: empty },
  createContainer: { code: 19, request: CreateRequest, response: Create2Response },
  deleteContainer: { code: 20, request: pathOnly, response: empty },
  createTTL: { code: 21, request: CreateTTLRequest, response: Create2Response },
  auth: { code: 100, request: AuthPacket, response: empty },
  setWatches: { code: 101, request: SetWatches, response: empty },
  sasl: { code: 102, request: SaslToken, response: SaslToken },
  getEphemerals: { code: 103, request: GetEphemeralsRequest, response: GetEphemeralsResponse },
  getAllChildrenNumber: { code: 104, request: pathOnly, response: GetAllChildrenNumberResponse },
  setWatches2: { code: 105, request: SetWatches2, response: empty },
  addWatch: { code: 106, request: AddWatchRequest, response: ErrorResponse },
  whoAmI: { code: 107, request: empty, response: WhoAmIResponse },
  closeSession: { code: -11, request: empty, response: empty },
} as const;

export const MULTI = 14;
export const MULTI_READ = 22;
export const CREATE_SESSION = -10;
/** The multi result type of a failed op. */
export const ERROR_OP = -1;

export type SimpleOp = keyof typeof OPS;
export type BodyOf<C> = C extends Codec<infer T> ? T : never;

/** Opcode → name, for decoding. */
export const OP_NAMES: ReadonlyMap<number, SimpleOp> = new Map(
  (Object.entries(OPS) as [SimpleOp, (typeof OPS)[SimpleOp]][]).map(([name, o]) => [o.code, name]),
);

/** Special xids (ClientCnxn). */
export const Xid = { NOTIFICATION: -1, PING: -2, AUTH: -4, SET_WATCHES: -8 } as const;
