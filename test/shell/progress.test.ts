// Progress of long commands: a line rewritten in place and cleared on a terminal; piped, whole
// lines every few seconds — `zabkit check` piped to a file says it is alive while it runs.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { progressLine, remaining } from '../../src/shell/progress.ts';

const sink = (isTTY: boolean) => {
  const written: string[] = [];
  return { written, stream: { isTTY, write: (s: string) => written.push(s) > 0 } };
};

it('on a terminal: each update rewrites the line, clear() takes it off (once); piped: whole lines, at most one per interval', async () => {
  const tty = sink(true);
  const p = progressLine(tty.stream, {});
  p('a');
  p('b');
  p.clear();
  p.clear();
  expect(tty.written).toEqual(['\r\x1b[Ka', '\r\x1b[Kb', '\r\x1b[K']);

  const piped = sink(false);
  const q = progressLine(piped.stream, { ZABKIT_PROGRESS_MS: '30' });
  q('too soon');
  await new Promise((r) => setTimeout(r, 40));
  q('first');
  q('too soon again');
  q.clear();
  expect(piped.written).toEqual(['first\n']);

  expect(remaining(0, 10, 5)).toBe('');
  expect(remaining(5, 10, 30)).toBe(', ~30 s left');
  expect(remaining(2, 100, 60)).toBe(', ~49 min left');
  expect(remaining(1, 100, 60)).toBe(', ~1.6 h left');
});

it('zabkit check piped: progress lines on stderr while it runs (states, states/s, depth, queue, time left under --max-states)', async () => {
  // A run of minutes, stopped once a line estimates the time left (after its first second): as
  // long as that takes, on any machine.
  const bin = join(import.meta.dirname, '..', '..', 'bin', 'zabkit.mjs');
  const child = spawn(process.execPath, [bin, 'check', '--servers', '3', '--txns', '2', '--crashes', '1', '--max-states', '50000000'], {
    env: { ...process.env, ZABKIT_PROGRESS_MS: '200', ZABKIT_BIG_HEAP: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  const exited = new Promise<unknown>((r) => child.on('exit', r));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no progress lines within 60 s: ${err}`)), 60_000);
    child.stderr.on('data', (d) => {
      err += d;
      if (/ left\n/.test(err)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.kill('SIGTERM');
  await exited;
  const lines = err.split('\n').filter(Boolean);
  for (const l of lines) expect(l).toMatch(/^check: \d+ states, \d+ states\/s, depth \d+, queue \d+, \d+ s(, ~[\d.]+ (s|min|h) left)?$/);
  expect(lines.at(-1)).toMatch(/ left$/);
  expect(err).not.toContain('\r'); // no terminal control when piped
});
