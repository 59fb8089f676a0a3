// `zabkit explore` in a real headless browser (Debian's chromium, driven by playwright-core): a kept
// trace shows one arrow per message it sent; stepping to step k shows what `replay` computes for
// step k; a checker counterexample opens at its violation with that invariant marked; the page
// logs no error; a scenario shows its comments as narration; a simulated run of thousands of
// steps draws and steps; in the interactive explorer a picked action changes the state as `next`
// does, a search finds a leader, and the path downloads as a trace `replay` accepts. The run's figures are computed here from the trace files, not from the page's data.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderRun, replayRun, runFiles } from '../../conformance/replay.ts';
import { parseTrace } from '../../conformance/trace-schema.ts';
import { explorePage } from '../../explore/page.ts';
import { loadRun, modelApi, servePage } from '../../explore/cli.ts';
import { ModelSession } from '../../explore/model-session.ts';
import { describeAction } from '../../model/counterexample.ts';
import { scenarioRun } from '../../explore/scenario.ts';
import { simulate as simulateRun } from '../../sim/run.ts';
import { actions, DEFAULT_BOUNDS, initialNode, next, type Bounds } from '../../model/checker.ts';
import { describeRole } from '../../model/describe.ts';
import { simulate } from '../../model/simulate.ts';
import { replay, toNdjson, traceOf } from '../../model/trace.ts';
import type { ServerState } from '../../src/zab/index.ts';
import { decodeTxn } from '../../src/wire/txn.ts';
import { peerMissing } from '../shell/harness.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const TRACE = join(import.meta.dirname, '..', '..', 'conformance', 'traces', 'leader-crash');

describe.skipIf(peerMissing('chromium (Debian)', CHROMIUM))('zabkit explore in a headless browser', () => {
  let browser: Browser;
  let dir: string;
  const errors: string[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zabkit-explore-'));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 60000);
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const open = async (url: string): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url);
    await page.waitForSelector('#diagram .event');
    return page;
  };
  const roles = (page: Page) => page.locator('#state .server .role').allTextContents();

  it('a kept trace: one arrow per message sent, and step k shows the states replay computes for step k', async () => {
    const served = await servePage(explorePage(loadRun(TRACE)));
    try {
      const page = await open(served.url);
      // Messages the servers gave the transport, counted from the files themselves.
      const files = runFiles(TRACE).map((f) => readFileSync(f, 'utf8'));
      const sent = new Set(files.flatMap((t) => parseTrace(t).events.flatMap((e) => e.sent ?? [])));
      expect(sent.size).toBeGreaterThan(100);
      expect(await page.locator('#diagram .msg').count()).toBe(sent.size);
      // The marks, counted from the trace: steps that issue disk writes, that deliver, sends held
      // for a disk write (transmitted at a completion), restarts of a server that was running.
      const { run } = orderRun(runFiles(TRACE).map((file, i) => ({ file, text: files[i]! })));
      const events = run!.order;
      const count = (f: (e: (typeof events)[number]) => boolean) => events.filter(f).length;
      expect(await page.locator('#diagram .mark.persist').count()).toBe(count((e) => e.effects.some((f) => f.type === 'persist')));
      expect(await page.locator('#diagram .mark.deliver').count()).toBe(count((e) => e.effects.some((f) => f.type === 'deliver')));
      const heldSends = events.filter((e) => e.input.type === 'persisted').reduce((n, e) => n + (e.sent?.length ?? 0), 0);
      expect(heldSends).toBeGreaterThan(0);
      expect(await page.locator('#diagram .msg.held').count()).toBe(heldSends);
      const crashes = count((e) => e.input.type === 'restart' && events.indexOf(e) > events.findIndex((x) => x.node === e.node));
      expect(crashes).toBeGreaterThan(0);
      expect(await page.locator('#diagram .mark.crash').count()).toBe(crashes);
      // replay's world after step k, for k = 60 and 150.
      const worlds = new Map<number, string[]>();
      replay(run!.order, (k, w) => worlds.set(k, w.sids.map((sid) => `s${sid}: ${w.slots[sid]!.server ? describeRole(w.slots[sid]!.server as ServerState<unknown>) : 'down'}`)));
      for (let i = 0; i < 60; i++) await page.keyboard.press('ArrowRight');
      await expect.poll(() => page.locator('#step-label').textContent()).toMatch(/^step 60 of /);
      expect(await roles(page)).toEqual(worlds.get(60));
      const slider = page.locator('#slider');
      await slider.fill('150');
      await expect.poll(() => page.locator('#step-label').textContent()).toMatch(/^step 150 of /);
      expect(await roles(page)).toEqual(worlds.get(150));
      // Each replica's znodes: at step 150 s3 has restarted and applied nothing yet, s1 has applied
      // what it delivered; the rows that differ are the znodes s1's delivered creates made.
      const created = run!.order
        .slice(0, 151)
        .filter((e) => e.node === 1)
        .flatMap((e) => e.effects.filter((f) => f.type === 'deliver').map((f) => (f as { txn: { value: { txn: string } } }).txn.value))
        .map((v) => decodeTxn(Buffer.from(v.txn, 'base64')))
        .flatMap((d) => (d.ok && d.value.op.type === 'create' ? [d.value.op.path] : []));
      expect(created.length).toBeGreaterThan(3);
      expect((await page.locator('#tree-table tr.differs').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-path')))).sort()).toEqual(created.sort());
      // Exports: the diagram as SVG (every arrow in it), the run as a ShiViz log (each event and its vector clock).
      const [svgDownload] = await Promise.all([page.waitForEvent('download'), page.locator('#export-svg').click()]);
      const svgText = readFileSync(await svgDownload.path(), 'utf8');
      expect(svgText.startsWith('<svg')).toBe(true);
      expect(svgText.match(/class="msg /g)?.length).toBe(sent.size);
      const [logDownload] = await Promise.all([page.waitForEvent('download'), page.locator('#export-shiviz').click()]);
      const log = readFileSync(await logDownload.path(), 'utf8').split('\n');
      const body = log.slice(2).filter((l) => l !== '');
      expect(body.length).toBe(2 * run!.order.length);
      // Each event's clock counts its own server's events so far; a receive's clock covers its send's.
      const clocks = body.filter((_, i) => i % 2 === 1).map((l) => JSON.parse(l.slice(l.indexOf(' ') + 1)) as Record<string, number>);
      expect(clocks.at(-1)![`s${run!.order.at(-1)!.node}`]).toBe(run!.order.filter((e) => e.node === run!.order.at(-1)!.node).length);
      const sentAt = new Map(run!.order.flatMap((e, i) => (e.sent ?? []).map((id) => [id, i] as const)));
      let receives = 0;
      run!.order.forEach((e, i) => {
        const from = e.recv === undefined ? undefined : sentAt.get(e.recv);
        if (from === undefined) return;
        receives++;
        const sender = `s${run!.order[from]!.node}`;
        expect(clocks[i]![sender]).toBeGreaterThanOrEqual(clocks[from]![sender]!);
      });
      expect(receives).toBeGreaterThan(100);
      // Each step names the rules its branches took (Ctx.rule): a sync message sent is SYNC-2, -3
      // or -4 as its kind says, a PROPOSAL taken by a follower BCAST-2, a restart PERSIST-4.
      const explored = loadRun(TRACE);
      const RULE_OF: Record<string, string> = { DIFF: 'SYNC-2', TRUNC: 'SYNC-3', SNAP: 'SYNC-4' };
      let checked = 0;
      run!.order.forEach((e, k) => {
        const rules = explored.steps[k]!.rules;
        for (const id of rules) expect(explored.rules[id], `${id} at step ${k}`).toBeDefined();
        for (const f of e.effects) {
          const kind = (f as { msg?: { type: string } }).msg?.type ?? '';
          if (f.type === 'send' && kind in RULE_OF) (expect(rules).toContain(RULE_OF[kind]), checked++);
        }
        if (e.input.type === 'restart') (expect(rules).toContain('PERSIST-4'), checked++);
        if (e.input.type === 'receive' && e.input.msg.type === 'PROPOSAL') (expect(rules).toContain('BCAST-2'), checked++);
      });
      expect(checked).toBeGreaterThan(10);
      const proposalStep = run!.order.findIndex((e) => e.input.type === 'receive' && e.input.msg.type === 'PROPOSAL');
      await page.locator('#slider').fill(String(proposalStep));
      await expect.poll(() => page.locator('#rules a.rule').allTextContents()).toContain('BCAST-2');
      // A message opens in full.
      await page.locator('#diagram .msg').nth(3).dispatchEvent('click');
      expect(await page.locator('#detail pre').textContent()).toContain('"msg"');
      await page.close();
    } finally {
      await served.close();
    }
  }, 120000);

  it('a checker counterexample, written to one file: it opens at the violation, with its invariant marked', async () => {
    const bounds: Bounds = { ...DEFAULT_BOUNDS, servers: 3, txns: 2, crashes: 3, asyncDisk: true, maxDepth: 150 };
    const s = simulate(bounds, 1, 2000, 'skip-trunc');
    const v = s.violation!;
    expect(v).not.toBeNull();
    const cx = join(dir, 'cx.ndjson');
    writeFileSync(cx, toNdjson(traceOf(initialNode(bounds, 'skip-trunc').world, v.path, v)));
    const html = join(dir, 'cx.html');
    writeFileSync(html, explorePage(loadRun(cx)));
    const page = await open(`file://${html}`);
    expect(await page.locator('#ending').getAttribute('class')).toContain('violated');
    // The checker's invariant is the one marked, among every invariant broken at that step.
    expect(await page.locator('#invariants .inv.highlight').getAttribute('data-inv')).toBe(v.id);
    expect(await page.locator('#invariants .inv.violated').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-inv')))).toContain(v.id);
    expect(await page.locator('#diagram .event.violated').count()).toBeGreaterThan(0);
    await page.close();
  }, 120000);

  it('a walkthrough scenario narrates itself; a simulator run of thousands of steps draws and steps', async () => {
    const page = await open(`file://${((f) => (writeFileSync(f, explorePage(scenarioRun('leader-crash-reelection'))), f))(join(dir, 'scenario.html'))}`);
    // The block that crashes the leader: its comment is shown from its first step on.
    const crash = scenarioRun('leader-crash-reelection').narration.find((n) => n.text.includes('crash'))!;
    expect(crash).toBeDefined();
    await page.locator('#slider').fill(String(crash.step));
    await expect.poll(() => page.locator('#narration').textContent()).toBe(crash.text);
    await page.close();
    // A simulated run, traced by `zabkit simulate --trace`.
    const traced = join(dir, 'sim');
    mkdirSync(traced);
    const r = await simulateRun({ seed: 3, ops: 120, traceDir: traced });
    const run = loadRun(traced);
    expect(run.steps.length).toBeGreaterThan(1000);
    const big = await open(`file://${((f) => (writeFileSync(f, explorePage(run)), f))(join(dir, 'sim.html'))}`);
    expect(await big.locator('#diagram .event').count()).toBe(run.steps.length);
    await big.keyboard.press('End');
    await expect.poll(() => big.locator('#step-label').textContent()).toMatch(new RegExp(`^step ${run.steps.length - 1} of `));
    expect(r.violations).toEqual([]);
    await big.close();
  }, 120000);

  it('the interactive model explorer: an action picked changes the state as step does; back, search, and the path as a trace', async () => {
    const bounds: Bounds = { ...DEFAULT_BOUNDS, servers: 3, txns: 1, crashes: 1 };
    const session = new ModelSession(bounds);
    const served = await servePage(() => explorePage(session.run()), 0, modelApi(session));
    try {
      const page = await open(served.url);
      const root = initialNode(bounds);
      const enabled = actions(root, bounds);
      const buttons = page.locator('#model-actions .action');
      await expect.poll(() => buttons.count()).toBe(enabled.length);
      // Pick the third enabled action: the servers' roles are those of the checker's next state.
      const after = next(root, enabled[2]!);
      const expected = after.world.sids.map((sid) => `s${sid}: ${after.world.slots[sid]!.server ? describeRole(after.world.slots[sid]!.server as ServerState<unknown>) : 'down'}`);
      await buttons.nth(2).click();
      await expect.poll(() => page.locator('#model-path li').count()).toBe(1);
      expect(await roles(page)).toEqual(expected);
      expect(await page.locator('#model-path li').first().textContent()).toBe(describeAction(root.world, enabled[2]!));
      await page.locator('#model-back').click();
      await expect.poll(() => page.locator('#model-path li.empty').count()).toBe(1);
      // A bounded search to a sometimes-property appends its path.
      await page.locator('#model-target').selectOption('leader established');
      await page.locator('#model-search').click();
      await expect.poll(() => page.locator('#model-status').textContent(), { timeout: 60000 }).toMatch(/^leader established: found \d+ steps? on/);
      expect(await page.locator('#state .server .role').allTextContents()).toContainEqual(expect.stringMatching(/leading epoch=\d+ \(broadcast\)/));
      // The path downloads as a trace that replay accepts.
      const trace = await (await fetch(new URL('/api/trace', served.url))).text();
      const report = replayRun([{ file: 'model.ndjson', text: trace }]);
      expect(report.problem).toBeNull();
      expect(report.events).toBeGreaterThan(10);
      await page.close();
    } finally {
      await served.close();
    }
  }, 120000);

  it('the pages logged no error', () => {
    expect(errors).toEqual([]);
  });
});
