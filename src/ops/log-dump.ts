// `zabkit logdump`'s output for a txn log: Apache's (TxnLogToolkit's content: time, session, cxid,
// zxid, type, the record) and zabkit's (no cxid: zabkit does not keep it), text or --json.
import { DIGEST_VERSION as ZABKIT_DIGEST_VERSION, type NodeKind, type TxnOp } from '../tree/index.ts';
import { readApacheLog } from './apache-log.ts';
import type { ApacheBody, ApacheTxn } from './apache-txn.ts';
import { damageLine, type Printer } from './printer.ts';
import { aclJson, aclText, dataJson, dataText, hex, jsonLine, timeText } from './text.ts';
import { readZabkitLog } from './zabkit-files.ts';

function apacheBodyText(b: ApacheBody): string {
  switch (b.type) {
    case 'create':
    case 'create2':
      return `${b.path} data=${dataText(b.data)} acl=${aclText(b.acl)}${b.ephemeral ? ' ephemeral' : ''} parentCVersion=${b.parentCVersion === -1 ? '(none: a pre-3.3 create)' : b.parentCVersion}`;
    case 'createContainer':
      return `${b.path} data=${dataText(b.data)} acl=${aclText(b.acl)} parentCVersion=${b.parentCVersion}`;
    case 'createTTL':
      return `${b.path} data=${dataText(b.data)} acl=${aclText(b.acl)} parentCVersion=${b.parentCVersion} ttl=${b.ttl}`;
    case 'delete':
    case 'deleteContainer':
      return b.path;
    case 'setData':
    case 'reconfig':
      return `${b.path} data=${dataText(b.data)} version=${b.version}`;
    case 'setACL':
      return `${b.path} acl=${aclText(b.acl)} version=${b.version}`;
    case 'check':
      return `${b.path} version=${b.version}`;
    case 'createSession':
      return `timeout=${b.timeout}`;
    case 'closeSession':
      return b.paths === undefined ? '(no CloseSessionTxn)' : `paths2Delete=[${b.paths.join(', ')}]`;
    case 'error':
      return `err=${b.err}`;
    case 'multi':
      return `[${b.txns.map((t) => `${t.type} ${apacheBodyText(t)}`).join('; ')}]`;
  }
}

function apacheBodyJson(b: ApacheBody): Record<string, unknown> {
  const o: Record<string, unknown> = { ...b };
  if ('data' in b) {
    delete o.data;
    Object.assign(o, dataJson(b.data));
  }
  if ('acl' in b) o.acl = aclJson(b.acl);
  if (b.type === 'multi') o.txns = b.txns.map(apacheBodyJson);
  if (b.type === 'createTTL') o.ttl = Number(b.ttl);
  return o;
}

function apacheTxnLine(t: ApacheTxn, offset: number, json: boolean): string {
  const h = t.header;
  if (json) {
    return jsonLine({ kind: 'txn', offset, zxid: h.zxid, time: timeText(h.time), session: h.clientId, cxid: h.cxid, ...apacheBodyJson(t.body), ...(t.digest ? { digest: { version: t.digest.version, treeDigest: t.digest.treeDigest } } : {}) });
  }
  const digest = t.digest ? ` digest=v${t.digest.version}:${hex(t.digest.treeDigest)}` : '';
  return `${timeText(h.time)} session ${hex(h.clientId)} cxid ${hex(h.cxid)} zxid ${hex(h.zxid)} ${t.body.type} ${apacheBodyText(t.body)}${digest}`;
}


export function dumpApacheLog(bytes: Buffer, json: boolean, p: Printer): number {
  const log = readApacheLog(bytes);
  if ('problem' in log) {
    p.line(damageLine(0, log.problem, json, false));
    p.flush();
    return 1;
  }
  const h = log.header;
  p.line(json ? jsonLine({ kind: 'header', format: 'apache', magic: 'ZKLG', version: h.version, dbid: Number(h.dbid) }) : `Apache ZooKeeper txn log, format version ${h.version}, dbid ${h.dbid}`);
  let txns = 0;
  let damaged = 0;
  for (const e of log.entries) {
    if ('txn' in e) {
      txns++;
      p.line(apacheTxnLine(e.txn, e.offset, json));
    } else {
      damaged++;
      p.line(damageLine(e.offset, e.damage, json, e.resumable));
    }
  }
  const rest = bytes.length - log.end;
  p.line(
    json
      ? jsonLine({ kind: 'summary', txns, damaged, end: log.end, size: bytes.length })
      : `${txns} txn(s), ${damaged} damaged record(s); records end at offset ${log.end} of ${bytes.length}${rest > 0 && damaged === 0 ? ` (the rest: ${rest} bytes of preallocated zeros)` : ''}`,
  );
  p.flush();
  return damaged > 0 ? 1 : 0;
}

function kindText(k: NodeKind): string {
  return k.type === 'ephemeral' ? `ephemeral(owner ${hex(k.owner)})` : k.type === 'ttl' ? `ttl(${k.ttl} ms)` : k.type;
}

function zabkitOpText(op: TxnOp): string {
  switch (op.type) {
    case 'create':
      return `${op.path} data=${dataText(op.data)} acl=${aclText(op.acl)} ${kindText(op.kind)} parentCreates=${op.parentCreates}${op.withStat ? ' withStat' : ''}`;
    case 'delete':
    case 'check':
      return op.path;
    case 'setData':
      return `${op.path} data=${dataText(op.data)} version=${op.version}`;
    case 'setACL':
      return `${op.path} acl=${aclText(op.acl)} aversion=${op.aversion}`;
    case 'createSession':
      return `timeout=${op.timeout}`;
    case 'closeSession':
      return `paths=[${op.paths.join(', ')}]`;
    case 'multi':
      return `[${op.ops.map((o) => `${o.type} ${zabkitOpText(o)}`).join('; ')}]`;
    case 'error':
      return `err=${op.err}${op.results ? ` results=[${op.results.join(', ')}]` : ''}`;
  }
}

function zabkitOpJson(op: TxnOp): Record<string, unknown> {
  const o: Record<string, unknown> = { ...op };
  if ('data' in op) {
    delete o.data;
    Object.assign(o, dataJson(op.data));
  }
  if ('acl' in op) o.acl = aclJson(op.acl);
  if (op.type === 'multi') o.ops = op.ops.map(zabkitOpJson);
  return o;
}

export function dumpZabkitLog(bytes: Buffer, json: boolean, p: Printer): number {
  const log = readZabkitLog(bytes);
  if ('problem' in log) {
    p.line(damageLine(0, log.problem, json, false));
    p.flush();
    return 1;
  }
  p.line(json ? jsonLine({ kind: 'header', format: 'zabkit', magic: 'ZBLG', version: 1 }) : 'zabkit txn log, format 1 (zabkit keeps no cxid)');
  let txns = 0;
  let damaged = 0;
  for (const e of log.entries) {
    if ('txn' in e) {
      txns++;
      const t = e.txn;
      p.line(
        json
          ? jsonLine({ kind: 'txn', offset: e.offset, zxid: t.zxid, time: timeText(t.time), session: t.session, ...zabkitOpJson(t.op), ...(t.digest !== undefined ? { digest: { version: ZABKIT_DIGEST_VERSION, value: t.digest } } : {}) })
          : `${timeText(t.time)} session ${hex(t.session)} zxid ${hex(t.zxid)} ${t.op.type} ${zabkitOpText(t.op)}${t.digest !== undefined ? ` digest=${hex(t.digest)}` : ''}`,
      );
    } else {
      damaged++;
      p.line(damageLine(e.offset, e.damage, json, e.resumable));
      if (!e.resumable) break;
    }
  }
  p.line(json ? jsonLine({ kind: 'summary', txns, damaged, size: bytes.length }) : `${txns} txn(s), ${damaged} damaged record(s)`);
  p.flush();
  return damaged > 0 ? 1 : 0;
}

