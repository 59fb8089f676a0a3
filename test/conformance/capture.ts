// `npm run traces:capture`: run each of TRACE_RUNS against a real ensemble and keep its traces
// in conformance/traces/NAME/ (replacing what was there), once they replay clean. Review the
// diff before committing: the runs are real, so the traces differ from capture to capture.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { formatReport, replayPath } from '../../conformance/replay.ts';
import { TRACE_RUNS } from './trace-runs.ts';

const TRACES = join(import.meta.dirname, '..', '..', 'conformance', 'traces');

for (const [name, run] of Object.entries(TRACE_RUNS)) {
  it(`captures ${name}`, async () => {
    const dir = join(TRACES, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    await run(dir);
    const r = replayPath(dir);
    expect(r.problem, formatReport(dir, r)).toBeNull();
  }, 120_000);
}
