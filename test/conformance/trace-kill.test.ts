// Format 2 (values written once, then referred to) through a kill -9: the leader's trace ends
// wherever the kill cut it, its restarted process appends with entries numbered anew, and the
// whole run still replays clean (conformance/replay.ts) — the kept traces are format 1.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { formatReport, replayPath } from '../../conformance/replay.ts';
import { removeDir, tempDir } from '../shell/harness.ts';
import { TRACE_RUNS } from './trace-runs.ts';

it('a run with a leader killed (-9) and restarted, traced in format 2, replays clean', async () => {
  const dir = tempDir('zabkit-trace-kill-');
  try {
    await TRACE_RUNS['leader-crash']!(dir);
    const texts = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8'));
    expect(texts.every((t) => t.startsWith('{"v":2,'))).toBe(true);
    expect(texts.some((t) => t.includes('{"ref":'))).toBe(true);
    const report = replayPath(dir);
    expect(report.problem, formatReport(dir, report)).toBeNull();
    expect(report.servers).toBe(3);
  } finally {
    removeDir(dir);
  }
}, 120_000);
