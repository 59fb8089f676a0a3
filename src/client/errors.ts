// Errors as typed classes: each carries ZooKeeper's code (KeeperException.Code) and the path of
// the call that failed, so `catch (e) { if (e instanceof NoNodeError) … }` reads as the notes do.

export class ZooKeeperError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    /** The path of the call, as the caller gave it (without the chroot); undefined for calls without one. */
    readonly path?: string,
  ) {
    super(`${codeName} (${code})${path === undefined ? '' : ` for ${path}`}`);
    this.name = new.target.name;
  }
}

/** KeeperException.Code: number → name. */
export const CODE_NAMES: ReadonlyMap<number, string> = new Map([
  [-1, 'SystemError'],
  [-2, 'RuntimeInconsistency'],
  [-3, 'DataInconsistency'],
  [-4, 'ConnectionLoss'],
  [-5, 'MarshallingError'],
  [-6, 'Unimplemented'],
  [-7, 'OperationTimeout'],
  [-8, 'BadArguments'],
  [-12, 'UnknownSession'],
  [-13, 'NewConfigNoQuorum'],
  [-14, 'ReconfigInProgress'],
  [-100, 'APIError'],
  [-101, 'NoNode'],
  [-102, 'NoAuth'],
  [-103, 'BadVersion'],
  [-108, 'NoChildrenForEphemerals'],
  [-110, 'NodeExists'],
  [-111, 'NotEmpty'],
  [-112, 'SessionExpired'],
  [-113, 'InvalidCallback'],
  [-114, 'InvalidACL'],
  [-115, 'AuthFailed'],
  [-118, 'SessionMoved'],
  [-119, 'NotReadOnly'],
  [-120, 'EphemeralOnLocalSession'],
  [-121, 'NoWatcher'],
  [-122, 'RequestTimeout'],
  [-123, 'ReconfigDisabled'],
  [-124, 'SessionClosedRequireSasl'],
  [-125, 'QuotaExceeded'],
  [-127, 'Throttled'],
]);

type Sub = new (path?: string) => ZooKeeperError;
const sub = (code: number): Sub =>
  class extends ZooKeeperError {
    static readonly code = code;
    constructor(path?: string) {
      super(code, CODE_NAMES.get(code)!, path);
    }
  };

export class SystemError extends sub(-1) {}
export class RuntimeInconsistencyError extends sub(-2) {}
export class DataInconsistencyError extends sub(-3) {}
/** The connection broke before the answer came: the call may or may not have taken effect. */
export class ConnectionLossError extends sub(-4) {}
export class MarshallingError extends sub(-5) {}
export class UnimplementedError extends sub(-6) {}
/** No answer within the call's timeout: the call may or may not have taken effect. */
export class OperationTimeoutError extends sub(-7) {}
export class BadArgumentsError extends sub(-8) {}
/** A path the client refuses before sending it (BadArguments, with ZooKeeper's client's reason as the message). */
export class InvalidPathError extends BadArgumentsError {
  constructor(
    path: string,
    readonly reason: string,
  ) {
    super(path);
    this.message = reason;
  }
}
export class UnknownSessionError extends sub(-12) {}
export class NewConfigNoQuorumError extends sub(-13) {}
export class ReconfigInProgressError extends sub(-14) {}
export class APIError extends sub(-100) {}
export class NoNodeError extends sub(-101) {}
export class NoAuthError extends sub(-102) {}
export class BadVersionError extends sub(-103) {}
export class NoChildrenForEphemeralsError extends sub(-108) {}
export class NodeExistsError extends sub(-110) {}
export class NotEmptyError extends sub(-111) {}
export class SessionExpiredError extends sub(-112) {}
export class InvalidCallbackError extends sub(-113) {}
export class InvalidACLError extends sub(-114) {}
export class AuthFailedError extends sub(-115) {}
export class SessionMovedError extends sub(-118) {}
export class NotReadOnlyError extends sub(-119) {}
export class EphemeralOnLocalSessionError extends sub(-120) {}
export class NoWatcherError extends sub(-121) {}
export class RequestTimeoutError extends sub(-122) {}
export class ReconfigDisabledError extends sub(-123) {}
export class SessionClosedRequireSaslError extends sub(-124) {}
export class QuotaExceededError extends sub(-125) {}
export class ThrottledError extends sub(-127) {}

const CLASSES: ReadonlyMap<number, Sub> = new Map(
  [
    SystemError, RuntimeInconsistencyError, DataInconsistencyError, ConnectionLossError, MarshallingError, UnimplementedError,
    OperationTimeoutError, BadArgumentsError, UnknownSessionError, NewConfigNoQuorumError, ReconfigInProgressError, APIError,
    NoNodeError, NoAuthError, BadVersionError, NoChildrenForEphemeralsError, NodeExistsError, NotEmptyError, SessionExpiredError,
    InvalidCallbackError, InvalidACLError, AuthFailedError, SessionMovedError, NotReadOnlyError, EphemeralOnLocalSessionError,
    NoWatcherError, RequestTimeoutError, ReconfigDisabledError, SessionClosedRequireSaslError, QuotaExceededError, ThrottledError,
  ].map((c) => [(c as unknown as { code: number }).code, c]),
);

/** The error for a code a server answered (an unknown code still gives a ZooKeeperError with it). */
export function errorFor(code: number, path?: string): ZooKeeperError {
  const C = CLASSES.get(code);
  return C ? new C(path) : new ZooKeeperError(code, CODE_NAMES.get(code) ?? `Unknown`, path);
}

/** A multi that failed: the code of the op that failed first, and every op's outcome. */
export class MultiError extends ZooKeeperError {
  constructor(
    readonly failedIndex: number,
    readonly results: readonly { readonly code: number }[],
    cause: ZooKeeperError,
  ) {
    super(cause.code, cause.codeName, cause.path);
    this.message = `multi failed at op ${failedIndex}: ${cause.message}`;
  }
}
