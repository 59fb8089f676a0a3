// A walkthrough scenario (test/scenarios/*.txt) as an explorer run: the script runs as
// `zabkit walkthrough` runs it, every reducer call is recorded as a trace event, and each block's
// comments become the narration shown from the first step its commands make.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TraceEvent } from '../conformance/trace-schema.ts';
import { orderRun } from '../conformance/replay.ts';
import { command, newSession, parseScript } from '../model/script.ts';
import { UsageError } from '../src/shell/args.ts';
import { exploreRun, type ExploreRun } from './run.ts';

const SCENARIOS = join(import.meta.dirname, '..', 'test', 'scenarios');

export const scenarioNames = (): string[] => readdirSync(SCENARIOS).filter((f) => f.endsWith('.txt')).map((f) => f.replace(/\.txt$/, '')).sort();

/** The scenario whose file name contains `name` (exactly one must). */
export function scenarioFile(name: string): string {
  const all = scenarioNames();
  const hits = all.filter((n) => n === name || n.includes(name));
  const exact = hits.find((n) => n === name);
  if (exact) return join(SCENARIOS, `${exact}.txt`);
  if (hits.length !== 1) throw new UsageError(`${hits.length ? `'${name}' names several scenarios: ${hits.join(', ')}` : `no scenario matches '${name}'`}; there are: ${all.join(', ')}`);
  return join(SCENARIOS, `${hits[0]}.txt`);
}

export function scenarioRun(name: string): ExploreRun {
  const file = scenarioFile(name);
  const events: TraceEvent[] = [];
  const session = newSession();
  session.record = (e) => {
    events.push({ v: 1, seq: events.length, node: e.node, input: e.input, effects: e.effects, ...(e.config ? { config: e.config } : {}) } as TraceEvent);
  };
  const narration: { step: number; text: string }[] = [];
  for (const block of parseScript(readFileSync(file, 'utf8'))) {
    const text = block.comments.map((c) => c.replace(/^#\s?/, '')).join('\n').trim();
    const step = events.length;
    for (const c of block.commands) command(session, c);
    if (text && events.length > step) narration.push({ step, text: `${text}\n(${block.commands.join('; ')})` });
  }
  const ndjson = events.map((e) => JSON.stringify(e)).join('\n');
  const { run, report } = orderRun([{ file, text: ndjson }]);
  if (!run) throw new Error(`scenario ${name}: ${report.problem!.where}: ${report.problem!.detail}`);
  return exploreRun(run, file.slice(SCENARIOS.length + 1).replace(/\.txt$/, ''), `test/scenarios/${file.slice(SCENARIOS.length + 1)}`, narration);
}
