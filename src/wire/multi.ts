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
const OP_BODY: Readonly<Record<MultiOp['type'], Codec<never>>> = {
  1: CreateRequest,
  15: CreateRequest,
  19: CreateRequest,
  21: CreateTTLRequest,
  2: pathVersion,
  13: pathVersion,
  5: SetDataRequest,
  4: pathWatch,
  8: pathWatch,
} as Record<MultiOp['type'], Codec<never>>;

const DONE = { type: -1, done: true, err: -1 };

export const MultiRequest: Codec<MultiOp[]> = {
  shape: { t: 'custom', name: 'MultiRequest' },
  read(r) {
    const ops: MultiOp[] = [];
    for (;;) {
      const h = MultiHeader.read(r);
      if (h.done) return ops;
      const codec = OP_BODY[h.type as MultiOp['type']];
      if (!codec) throw new WireError(`op type ${h.type} inside a multi`);
      ops.push({ type: h.type, body: codec.read(r) } as MultiOp);
    }
  },
  write(w, ops) {
    for (const o of ops) {
      MultiHeader.write(w, { type: o.type, done: false, err: -1 });
      (OP_BODY[o.type] as Codec<unknown>).write(w, o.body);
    }
    MultiHeader.write(w, DONE);
  },
};

export type MultiResult =
  | { readonly type: 1; readonly body: BodyOf<typeof CreateResponse> }
  | { readonly type: 15; readonly body: BodyOf<typeof Create2Response> }
  | { readonly type: 2 | 13; readonly body?: undefined }
  | { readonly type: 5; readonly body: BodyOf<typeof OPS.setData.response> }
  | { readonly type: 4; readonly body: BodyOf<typeof GetDataResponse> }
  | { readonly type: 8; readonly body: BodyOf<typeof OPS.getChildren.response> }
  | { readonly type: typeof ERROR_OP; readonly body: BodyOf<typeof ErrorResponse> };

const RESULT_BODY: Readonly<Record<MultiResult['type'], Codec<never> | null>> = {
  1: CreateResponse,
  15: Create2Response,
  2: null,
  13: null,
  5: OPS.setData.response,
  4: GetDataResponse,
  8: OPS.getChildren.response,
  [ERROR_OP]: ErrorResponse,
} as Record<MultiResult['type'], Codec<never> | null>;

export const MultiResponse: Codec<MultiResult[]> = {
  shape: { t: 'custom', name: 'MultiResponse' },
  read(r) {
    const out: MultiResult[] = [];
    for (;;) {
      const h = MultiHeader.read(r);
      if (h.done) return out;
      const codec = RESULT_BODY[h.type as MultiResult['type']];
      if (codec === undefined) throw new WireError(`result type ${h.type} inside a multi response`);
      out.push((codec === null ? { type: h.type } : { type: h.type, body: codec.read(r) }) as MultiResult);
    }
  },
  write(w, results) {
    for (const x of results) {
      MultiHeader.write(w, { type: x.type, done: false, err: x.type === ERROR_OP ? x.body.err : 0 });
      const codec = RESULT_BODY[x.type];
      if (codec) (codec as Codec<unknown>).write(w, x.body);
    }
    MultiHeader.write(w, DONE);
  },
};
