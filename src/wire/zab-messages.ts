// The spec's messages (src/zab/types.ts Message) as one zod schema, for every boundary that
// reads them: the peer protocol (strict numbers, txns in their wire form) and the trace format
// (txn values left to the reader). The caller gives the number, vote and txn schemas.
import { z } from 'zod';

export interface MessageParts<Txn extends z.ZodType> {
  readonly count: z.ZodType<number>;
  readonly zxid: z.ZodType<number>;
  readonly vote: z.ZodType<{ leader: number; zxid: number; epoch: number }>;
  readonly txn: Txn;
}

function syncMessageOptions<Txn extends z.ZodType>(p: MessageParts<Txn>) {
  return [
    z.object({ type: z.literal('DIFF'), txns: z.array(p.txn), committed: p.zxid }),
    z.object({ type: z.literal('TRUNC'), zxid: p.zxid, txns: z.array(p.txn), committed: p.zxid }),
    z.object({ type: z.literal('SNAP'), txns: z.array(p.txn), snapIndex: p.count, committed: p.zxid }),
  ] as const;
}

export function zabMessageOptions<Txn extends z.ZodType>(p: MessageParts<Txn>) {
  return [
    z.object({ type: z.literal('NOTIFICATION'), vote: p.vote, round: p.count, state: z.enum(['looking', 'following', 'leading', 'observing']) }),
    z.object({ type: z.literal('FOLLOWERINFO'), acceptedEpoch: p.count }),
    z.object({ type: z.literal('OBSERVERINFO'), acceptedEpoch: p.count }),
    z.object({ type: z.literal('LEADERINFO'), epoch: p.count }),
    z.object({ type: z.literal('ACKEPOCH'), currentEpoch: p.count, lastZxid: p.zxid }),
    ...syncMessageOptions(p),
    z.object({ type: z.literal('NEWLEADER'), epoch: p.count }),
    z.object({ type: z.literal('ACK'), zxid: p.zxid }),
    z.object({ type: z.literal('UPTODATE') }),
    z.object({ type: z.literal('PROPOSAL'), txn: p.txn }),
    z.object({ type: z.literal('COMMIT'), zxid: p.zxid }),
    z.object({ type: z.literal('INFORM'), txn: p.txn }),
    z.object({ type: z.literal('PING') }),
  ] as const;
}
