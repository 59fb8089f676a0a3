// The fault runs' figures: the longest time without a write, and the report's ratio per fault kind.
import { describe, expect, it } from 'vitest';
import { reportMarkdown, reportSvg } from '../../conformance/torture/report.ts';
import { longestGap, type TortureResult } from '../../conformance/torture/run.ts';

const result = (system: 'zabkit' | 'apache', firstWrite: number, violations = 0): TortureResult => ({
  system,
  workload: 'set',
  seed: 0,
  durationMs: 10000,
  violations: Array.from({ length: violations }, () => ({ check: 'converged', detail: 'server 2 did not answer' })),
  undecided: [],
  faults: [{ kind: 'kill-leader', start: 2000, end: 4000, detail: 'kill -9 of 1', firstWrite }],
  writes: [
    { call: 0, ret: 1000, ok: true },
    { call: 2100, ret: 2000 + firstWrite, ok: true },
  ],
  summary: '2 requests (2 ok, 0 failed, 0 unknown)',
  longestGap: longestGap([{ call: 0, ret: 1000, ok: true }, { call: 2100, ret: 2000 + firstWrite, ok: true }], 10000),
  recovery: 5,
});

describe('fault run figures', () => {
  it('the longest gap counts from the start, between successful replies, and to the end', () => {
    expect(longestGap([], 5000)).toBe(5000);
    expect(longestGap([{ call: 0, ret: 1000, ok: true }, { call: 1000, ret: 4000, ok: false }, { call: 1000, ret: 3500, ok: true }], 4000)).toBe(2500);
  });

  it('the report gives each fault kind\'s medians and the zabkit / Apache ratio, and lists violations', () => {
    const md = reportMarkdown([result('zabkit', 300), result('apache', 1200, 1)], 'npm run torture -- --vs apache', '2026-12-07');
    expect(md).toContain('| kill-leader | 1, 0, 300 ms | 1, 0, 1200 ms | 0.25× |');
    expect(md).toContain('apache, set, seed 0: **converged**');
    expect(md).toContain('| converged | 0 | 1 |');
    const svg = reportSvg([result('zabkit', 300)]);
    expect(svg.match(/<rect [^>]*fill="#f4c7c3"/g)?.length).toBe(1); // the fault window, shaded
    expect(md).not.toContain('Harness errors');
  });

  it('the report says when ensembles ran side by side and lists harness errors', () => {
    const md = reportMarkdown([result('zabkit', 300)], 'npm run torture -- --duration 120 --seeds 5 --jobs 2', '2026-12-07', ['zabkit set seed 3 attempt 1: no free ports']);
    expect(md).toContain('2 ensembles ran at once');
    expect(md).toContain('Harness errors (runs that could not be made or a client library that threw; not verdicts on a system): 1.');
    expect(md).toContain('    zabkit set seed 3 attempt 1: no free ports');
  });
});
