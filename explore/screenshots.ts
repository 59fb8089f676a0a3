// `npm run explore:screenshots`: the README's pictures of the explorer, taken again in Debian's
// chromium (headless, through playwright-core): the kept leader-crash trace at the step where the
// new leader is elected, and a checker counterexample (mutant skip-trunc) at its violation.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { DEFAULT_BOUNDS, initialNode, type Bounds } from '../model/checker.ts';
import { simulate } from '../model/simulate.ts';
import { toNdjson, traceOf } from '../model/trace.ts';
import { loadRun } from './cli.ts';
import { explorePage } from './page.ts';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'docs');
const work = mkdtempSync(join(tmpdir(), 'zabkit-shots-'));
mkdirSync(OUT, { recursive: true });

const bounds: Bounds = { ...DEFAULT_BOUNDS, servers: 3, txns: 2, crashes: 3, asyncDisk: true, maxDepth: 150 };
const v = simulate(bounds, 1, 2000, 'skip-trunc').violation!;
const cx = join(work, 'skip-trunc.ndjson');
writeFileSync(cx, toNdjson(traceOf(initialNode(bounds, 'skip-trunc').world, v.path, v)));

process.chdir(ROOT); // the page shows the path it was given: a relative one
const lc = loadRun('conformance/traces/leader-crash');
// The step after the crash at which a new leader reaches broadcast.
const viewOf = (k: number, sid: number) => lc.views[lc.steps[k]!.servers[lc.servers.indexOf(sid)]!]!;
const restart = lc.steps.findIndex((s, k) => k > 0 && s.kind === 'restart' && !viewOf(k - 1, s.node).down);
const elected = Math.max(0, lc.steps.findIndex((s, k) => k > restart && s.servers.some((id) => lc.views[id]!.role.startsWith('leading') && lc.views[id]!.role.includes('broadcast'))));

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  for (const [name, run, step] of [
    ['explore-leader-crash.png', lc, elected],
    ['explore-counterexample.png', loadRun(cx), -1],
  ] as const) {
    const file = join(work, `${name}.html`);
    writeFileSync(file, explorePage(run));
    await page.goto(`file://${file}`);
    await page.waitForSelector('#diagram .event');
    if (step >= 0) await page.locator('#slider').fill(String(step));
    await page.screenshot({ path: join(OUT, name) });
    console.log(`docs/${name}: ${run.title}, step ${step >= 0 ? step : 'of the violation'}`);
  }
} finally {
  await browser.close();
  rmSync(work, { recursive: true, force: true });
}
