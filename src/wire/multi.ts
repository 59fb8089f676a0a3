// multi (14) and multiRead (22): a sequence of (MultiHeader + op record) ended by a done
// header, in both directions (MultiOperationRecord, MultiResponse).
import { WireError, type Codec } from './jute.ts';
import {
  Create2Response,
  CreateRequest,
  CreateResponse,
  CreateTTLRequest,
  ERROR_OP,
  ErrorResponse,
  GetDataResponse,
  MultiHeader,
  OPS,
  SetDataRequest,
  type BodyOf,
} from './records.ts';

type CreateBody = BodyOf<typeof CreateRequest>;
const pathVersion = OPS.delete.request;
const pathWatch = OPS.getData.request;

export type MultiOp =
  | { readonly type: 1 | 15 | 19; readonly body: CreateBody }
  | { readonly type: 21; readonly body: BodyOf<typeof CreateTTLRequest> }
  | { readonly type: 2 | 13; readonly body: BodyOf<typeof pathVersion> }
  | { readonly type: 5; readonly body: BodyOf<typeof SetDataRequest> }
  | { readonly type: 4 | 8; readonly body: BodyOf<typeof pathWatch> };

/** Which record each op type of a multi carries. */
const OP_BODY: Readonly<Record<MultiOp['type'], Codec<unknown>>> = {
  1: CreateRequest,
  15: CreateRequest,
  19: CreateRequest,
  21: CreateTTLRequest,
  2: pathVersion,
  13: pathVersion,
  5: SetDataRequest,
  4: pathWatch,
  8: pathWatch,
} as Record<MultiOp['type'], Codec<unknown>>;

const DONE = { type: -1, done: true, err: -1 };

/**
 * Both directions share one layout: (MultiHeader + the record its type names) until a done
 * header. `bodies` maps each type allowed here to its record (null: a header alone).
 */
function headed<T extends { readonly type: number; readonly body?: unknown }>(
  name: string,
  bodies: Readonly<Record<number, Codec<unknown> | null>>,
  errOf: (x: T) => number,
): Codec<T[]> {
  return {
    shape: { t: 'custom', name },
    read(r) {
      const out: T[] = [];
      for (;;) {
        const h = MultiHeader.read(r);
        if (h.done) return out;
        const codec = bodies[h.type];
        if (codec === undefined) throw new WireError(`type ${h.type} inside a ${name}`);
        out.push((codec === null ? { type: h.type } : { type: h.type, body: codec.read(r) }) as T);
      }
    },
    write(w, xs) {
      for (const x of xs) {
        MultiHeader.write(w, { type: x.type, done: false, err: errOf(x) });
        bodies[x.type]?.write(w, x.body);
      }
      MultiHeader.write(w, DONE);
    },
  };
}

export const MultiRequest: Codec<MultiOp[]> = headed<MultiOp>('MultiRequest', OP_BODY, () => -1);

export type MultiResult =
  | { readonly type: 1; readonly body: BodyOf<typeof CreateResponse> }
  | { readonly type: 15; readonly body: BodyOf<typeof Create2Response> }
  | { readonly type: 2 | 13; readonly body?: undefined }
  | { readonly type: 5; readonly body: BodyOf<typeof OPS.setData.response> }
  | { readonly type: 4; readonly body: BodyOf<typeof GetDataResponse> }
  | { readonly type: 8; readonly body: BodyOf<typeof OPS.getChildren.response> }
  | { readonly type: typeof ERROR_OP; readonly body: BodyOf<typeof ErrorResponse> };

const RESULT_BODY: Readonly<Record<MultiResult['type'], Codec<unknown> | null>> = {
  1: CreateResponse,
  15: Create2Response,
  2: null,
  13: null,
  5: OPS.setData.response,
  4: GetDataResponse,
  8: OPS.getChildren.response,
  [ERROR_OP]: ErrorResponse,
} as Record<MultiResult['type'], Codec<unknown> | null>;

export const MultiResponse: Codec<MultiResult[]> = headed<MultiResult>('MultiResponse', RESULT_BODY, (x) =>
  x.type === ERROR_OP ? x.body.err : 0,
);
