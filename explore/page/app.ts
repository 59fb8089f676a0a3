// The explorer page (runs in the browser): a space-time diagram of the run and a stepper. It reads
// the run that Node computed (explore/run.ts), embedded in the page as JSON, and only draws it.
// Compiled to plain JavaScript when the page is made (explore/page.ts); type-checked on its own
// (explore/page/tsconfig.json: the DOM's types, not Node's).
import type { ModelView } from '../model-session.ts';
import type { ExploreRun, MessageView, ServerView, StepView, ZnodeView } from '../run.ts';

type Run = ExploreRun & { readonly model?: ModelView };
let run = JSON.parse(document.getElementById('run-data')!.textContent!) as Run;

const LANE = 170;
const ROW = 18;
const LEFT = 90;
const TOP = 50;
const laneX = (sid: number): number => LEFT + run.servers.indexOf(sid) * LANE;
const rowY = (k: number): number => TOP + k * ROW;
let height = 0;
let width = 0;

const SVGNS = 'http://www.w3.org/2000/svg';
function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, parent?: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}
function html(tag: string, attrs: Record<string, string> = {}, text?: string): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

const svg = document.getElementById('diagram') as unknown as SVGSVGElement;
let view = { x: 0, y: 0, w: width, h: Math.min(height, 900) };
const setView = () => svg.setAttribute('viewBox', `${view.x} ${view.y} ${view.w} ${view.h}`);

function detail(title: string, body: unknown): void {
  const d = document.getElementById('detail')!;
  d.replaceChildren(html('h3', {}, title), html('pre', {}, JSON.stringify(body, null, 2)));
}

function drawDiagram(): void {
  height = TOP + run.steps.length * ROW + 40;
  width = LEFT + (run.servers.length - 1) * LANE + LEFT;
  svg.replaceChildren();
  const defs = el('defs', {}, svg);
  for (const [id, color] of [
    ['arrow-quorum', '#2563eb'],
    ['arrow-election', '#9333ea'],
  ] as const) {
    const m = el('marker', { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, defs);
    el('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: color }, m);
  }
  el('rect', { id: 'cursor', x: 0, y: rowY(0) - ROW / 2, width, height: ROW, class: 'cursor' }, svg);
  // Lanes: one per server, grey while it is down.
  for (const sid of run.servers) {
    const x = laneX(sid);
    el('text', { x, y: 24, class: 'lane-name', 'text-anchor': 'middle' }, svg).textContent = `s${sid}`;
    let from = 0;
    const lane = run.servers.indexOf(sid);
    const down = (k: number) => run.views[run.steps[k]!.servers[lane]!]!.down;
    for (let k = 1; k <= run.steps.length; k++) {
      if (k === run.steps.length || down(k) !== down(from)) {
        el('line', { x1: x, y1: rowY(from) - ROW / 2, x2: x, y2: rowY(k - 1) + ROW / 2, class: down(from) ? 'lane down' : 'lane' }, svg);
        from = k;
      }
    }
  }
  // Messages: an arrow from the step that sent it to the step that received it; a lost one ends in a cross.
  const msgs = el('g', { id: 'messages' }, svg);
  run.messages.forEach((m: MessageView, i: number) => {
    const x1 = laneX(m.from);
    const y1 = rowY(m.sent);
    const x2 = m.received === null ? (laneX(m.from) + laneX(m.to)) / 2 : laneX(m.to);
    const y2 = m.received === null ? y1 + ROW * 1.5 : rowY(m.received);
    // A send held until a disk write completed leaves at that completion (a `persisted` step).
    const held = run.steps[m.sent]!.kind === 'persisted';
    const line = el('line', { x1, y1, x2, y2, class: `msg ${m.channel}${m.received === null ? ' lost' : ''}${held ? ' held' : ''}`, 'data-msg': i, 'marker-end': m.received === null ? '' : `url(#arrow-${m.channel})` }, msgs);
    el('title', {}, line).textContent = `${m.label} (s${m.from} → s${m.to}, ${m.channel}${held ? ', held until a disk write completed' : ''}${m.received === null ? ', never received' : ''})`;
    line.addEventListener('click', (ev) => {
      ev.stopPropagation();
      detail(`message s${m.from} → s${m.to} (${m.channel})${m.received === null ? ': never received' : ''}`, m);
    });
    if (m.received === null) el('text', { x: x2, y: y2 + 4, class: 'lost-mark', 'text-anchor': 'middle' }, msgs).textContent = '×';
  });
  // Events: one mark per step on its server's lane.
  const events = el('g', { id: 'events' }, svg);
  run.steps.forEach((s: StepView) => {
    const x = laneX(s.node);
    const y = rowY(s.index);
    const mark = el('circle', { cx: x, cy: y, r: s.kind === 'receive' ? 3.5 : 5.5, class: `event ${s.kind}${s.violations.length ? ' violated' : ''}`, 'data-step': s.index }, events);
    el('title', {}, mark).textContent = `${s.index}: ${s.label}`;
    mark.addEventListener('click', (ev) => {
      ev.stopPropagation();
      go(s.index);
      detail(`step ${s.index}: ${s.label}`, { input: s.input, effects: s.effects });
    });
    el('text', { x: LEFT - 60, y: y + 4, class: 'row-number' }, events).textContent = String(s.index);
    // What else the step did: disk writes issued (a square), txns delivered (a tick), and a restart
    // of a server that was up: it crashed since its last step (a red cross above).
    const effects = s.effects as { type: string; txn?: { zxid: number } }[];
    const persists = effects.filter((f) => f.type === 'persist').length;
    if (persists) el('title', {}, el('rect', { x: x + 7, y: y - 4, width: 7, height: 7, class: 'mark persist' }, events)).textContent = `issues ${persists} disk write(s)`;
    const delivers = effects.filter((f) => f.type === 'deliver').length;
    if (delivers) el('title', {}, el('text', { x: x - 18, y: y + 4, class: 'mark deliver' }, events)).textContent = `delivers ${delivers} txn(s)`;
    if (delivers) events.lastElementChild!.appendChild(document.createTextNode('✓'));
    const lane = run.servers.indexOf(s.node);
    const before = s.index > 0 ? run.views[run.steps[s.index - 1]!.servers[lane]!] : undefined;
    if (s.kind === 'restart' && before && !before.down) {
      el('title', {}, el('text', { x, y: y - ROW / 2 - 1, class: 'mark crash', 'text-anchor': 'middle' }, events)).textContent = 'crashed (the next step is its restart)';
      events.lastElementChild!.appendChild(document.createTextNode('✗'));
    }
  });
  setView();
}

function serverCard(v: ServerView, prev: ServerView | undefined, committed: ReadonlySet<number>): HTMLElement {
  const card = html('div', { class: `server${v.down ? ' down' : ''}`, 'data-sid': String(v.sid) });
  card.appendChild(html('div', { class: 'role' }, `s${v.sid}: ${v.role}`));
  const rows: [string, string][] = [
    ['epochs', `accepted ${v.acceptedEpoch}, current ${v.currentEpoch}`],
    ['vote', v.vote || '—'],
    ['disk', `epochs ${v.disk.acceptedEpoch}/${v.disk.currentEpoch}, ${v.disk.entries} entries, last ${v.disk.lastZxid}${v.pending ? `; ${v.pending} write(s) pending` : ''}`],
  ];
  const table = html('table');
  for (const [k, val] of rows) {
    const tr = html('tr');
    tr.append(html('th', {}, k), html('td', {}, val));
    table.appendChild(tr);
  }
  card.appendChild(table);
  const hist = html('div', { class: 'history' });
  v.history.forEach((id, k) => {
    const t = run.txns[id]!;
    const isCommitted = committed.has(id);
    const isDelivered = k < v.delivered;
    const chip = html('span', { class: `txn${isCommitted ? ' committed' : ''}${isDelivered ? ' delivered' : ''}${t.snapshot ? ' snapshot' : ''}`, title: `${t.zxid}: ${t.value}${isCommitted ? ', committed' : ''}${isDelivered ? ', delivered' : ''}` }, `${t.zxid}=${t.value}`);
    hist.appendChild(chip);
  });
  if (v.history.length === 0) hist.appendChild(html('span', { class: 'empty' }, 'no history'));
  card.appendChild(hist);
  if (prev && prev.role !== v.role) card.classList.add('changed');
  return card;
}

// ------------------------------------------------------------------ each replica's znodes

/** The znodes after the first n committed txns, built once per n as the stepper asks. */
const trees = new Map<number, ReadonlyMap<string, ZnodeView>>();
function treeAfter(n: number): ReadonlyMap<string, ZnodeView> {
  const t = run.tree!;
  let best = -1;
  for (const k of trees.keys()) if (k <= n && k > best) best = k;
  const m = new Map(best >= 0 ? trees.get(best)! : t.base);
  // The map kept for `best` holds the changes of txns 0…best-1: apply best…n-1.
  for (let i = Math.max(best, 0); i < n; i++) for (const [path, z] of t.changes[i]!) z ? m.set(path, z) : m.delete(path);
  trees.set(n, m);
  return m;
}

function znodes(s: StepView): HTMLElement {
  const t = run.tree!;
  const applied = s.servers.map((id) => {
    const v = run.views[id]!;
    return v.down ? null : t.zxids.filter((z) => z <= v.deliveredZxid).length;
  });
  const maps = applied.map((n) => (n === null ? null : treeAfter(n)));
  const paths = [...new Set(maps.flatMap((m) => (m ? [...m.keys()] : [])))].sort();
  const table = html('table', { class: 'znodes' });
  const head = html('tr');
  head.append(html('th', {}, 'znode'), ...run.servers.map((sid, i) => html('th', {}, `s${sid}${applied[i] === null ? ' (down)' : ` (${applied[i]} txns)`}`)));
  table.appendChild(head);
  const cell = (z: ZnodeView | undefined) => (z ? `${z.data === '' ? '∅' : z.data} v${z.version}${z.owner ? ` eph:${z.owner}` : ''}` : '—');
  for (const path of paths.slice(0, 300)) {
    const cells = maps.map((m) => (m ? cell(m.get(path)) : ''));
    const live = cells.filter((_, i) => maps[i] !== null);
    const tr = html('tr', live.some((c) => c !== live[0]) ? { class: 'differs', 'data-path': path } : { 'data-path': path });
    tr.append(html('td', {}, path), ...cells.map((c) => html('td', {}, c)));
    table.appendChild(tr);
  }
  if (paths.length > 300) table.appendChild(html('tr', {}, `… ${paths.length - 300} more`));
  return table;
}

let current = 0;
function go(k: number): void {
  current = Math.max(0, Math.min(run.steps.length - 1, k));
  const s = run.steps[current]!;
  (document.getElementById('slider') as HTMLInputElement).value = String(current);
  document.getElementById('step-label')!.textContent = `step ${current} of ${run.steps.length - 1}: ${s.label}`;
  const narration = run.narration.filter((n) => n.step <= current).at(-1);
  document.getElementById('narration')!.textContent = narration ? narration.text : '';
  const prev = run.steps[current - 1];
  const committed = new Set(run.committed[s.committed]);
  document.getElementById('state')!.replaceChildren(...s.servers.map((id, i) => serverCard(run.views[id]!, prev ? run.views[prev.servers[i]!] : undefined, committed)));
  // Messages in flight after this step: sent at or before it, received after it.
  // (One the run never receives is listed too: lost on the way, or still travelling when the run ends.)
  const flying = run.messages.filter((m) => m.sent <= current && (m.received === null || m.received > current));
  document.getElementById('in-flight')!.replaceChildren(
    ...(flying.length ? flying.map((m) => html('li', m.received === null ? { class: 'unreceived' } : {}, `s${m.from} → s${m.to} (${m.channel}): ${m.label}${m.received === null ? ' — never received in this run' : ''}`)) : [html('li', { class: 'empty' }, 'none')]),
  );
  // Invariants: broken at this step, or holding.
  const broken = new Map(s.violations.map((v) => [v.id, v.detail]));
  document.getElementById('invariants')!.replaceChildren(
    ...run.invariants.map((inv) => {
      const named = run.counterexample?.id === inv.id && run.counterexample.step <= current;
      const li = html('li', { class: `inv${broken.has(inv.id) ? ' violated' : ''}${named ? ' highlight' : ''}`, 'data-inv': inv.id, title: inv.text });
      li.append(html('a', { href: '#', class: 'rule', 'data-rule': inv.id }, inv.id), document.createTextNode(` ${inv.name}: ${broken.has(inv.id) ? `broken: ${broken.get(inv.id)}` : 'holds'}`));
      return li;
    }),
  );
  document.getElementById('rules')!.replaceChildren(
    ...(s.rules.length
      ? s.rules.flatMap((id, i) => [...(i ? [document.createTextNode(', ')] : []), html('a', { href: '#', class: 'rule', 'data-rule': id, title: run.rules[id] ?? '' }, id)])
      : [document.createTextNode('—')]),
  );
  const tree = document.getElementById('tree')!;
  tree.hidden = !run.tree;
  if (run.tree) document.getElementById('tree-table')!.replaceChildren(znodes(s));
  const cursor = document.getElementById('cursor');
  cursor?.setAttribute('y', String(rowY(current) - ROW / 2));
  for (const e of Array.from(svg.querySelectorAll('.event.current'))) e.classList.remove('current');
  svg.querySelector(`.event[data-step="${current}"]`)?.classList.add('current');
  // Keep the current step in view.
  const y = rowY(current);
  if (y < view.y + ROW || y > view.y + view.h - ROW) {
    view = { ...view, y: Math.max(0, y - view.h / 2) };
    setView();
  }
}

function download(name: string, text: string, type: string): void {
  const a = html('a', { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/** ShiViz's log: one line per event (`sN <label>`), then its vector clock as JSON; parsed with ShiViz's default expression. */
function shiviz(): string {
  const clocks = new Map<number, Record<string, number>>(run.servers.map((s) => [s, {}]));
  const sentClock = new Map<number, Record<string, number>>();
  const lines: string[] = [];
  const byReceive = new Map(run.messages.flatMap((m, i) => (m.received === null ? [] : [[m.received, i] as const])));
  run.steps.forEach((s) => {
    const me = `s${s.node}`;
    const c = { ...clocks.get(s.node)! };
    const m = byReceive.get(s.index);
    if (m !== undefined) for (const [k, v] of Object.entries(sentClock.get(m) ?? {})) c[k] = Math.max(c[k] ?? 0, v);
    c[me] = (c[me] ?? 0) + 1;
    clocks.set(s.node, c);
    run.messages.forEach((msg, i) => msg.sent === s.index && sentClock.set(i, c));
    lines.push(`${me} ${s.label}`, `${me} ${JSON.stringify(c)}`);
  });
  return `(?<host>\\S*) (?<event>.*)\\n(?<host2>\\S*) (?<clock>.*)\n\n${lines.join('\n')}\n`;
}

function wire(): void {
  const slider = document.getElementById('slider') as HTMLInputElement;
  slider.addEventListener('input', () => go(Number(slider.value)));
  document.getElementById('prev')!.addEventListener('click', () => go(current - 1));
  document.getElementById('next')!.addEventListener('click', () => go(current + 1));
  document.addEventListener('keydown', (e) => {
    if ((e.target as HTMLElement).tagName === 'INPUT' && (e.target as HTMLInputElement).type !== 'range') return;
    const moves: Record<string, () => void> = {
      ArrowRight: () => go(current + 1),
      ArrowDown: () => go(current + 1),
      ArrowLeft: () => go(current - 1),
      ArrowUp: () => go(current - 1),
      Home: () => go(0),
      End: () => go(run.steps.length - 1),
      '+': () => zoom(0.8),
      '-': () => zoom(1.25),
    };
    const f = moves[e.key];
    if (f) {
      e.preventDefault();
      f();
    }
  });
  document.getElementById('zoom-in')!.addEventListener('click', () => zoom(0.8));
  document.getElementById('zoom-out')!.addEventListener('click', () => zoom(1.25));
  svg.addEventListener('wheel', (e) => {
    e.preventDefault();
    if (e.ctrlKey) zoom(e.deltaY < 0 ? 0.9 : 1.1);
    else {
      view = { ...view, y: Math.max(0, Math.min(height - view.h / 2, view.y + e.deltaY)) };
      setView();
    }
  });
  let drag: { x: number; y: number; vx: number; vy: number } | null = null;
  svg.addEventListener('mousedown', (e) => (drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y }));
  window.addEventListener('mouseup', () => (drag = null));
  window.addEventListener('mousemove', (e) => {
    if (!drag) return;
    const scale = view.w / svg.clientWidth;
    view = { ...view, x: drag.vx - (e.clientX - drag.x) * scale, y: Math.max(0, drag.vy - (e.clientY - drag.y) * scale) };
    setView();
  });
  document.addEventListener('click', (e) => {
    const a = (e.target as HTMLElement).closest('[data-rule]');
    if (!a) return;
    e.preventDefault();
    const id = a.getAttribute('data-rule')!;
    detail(id, run.rules[id] ?? 'no such rule in spec/');
  });
  document.getElementById('export-shiviz')!.addEventListener('click', () => download('run.shiviz.log', shiviz(), 'text/plain'));
  document.getElementById('export-svg')!.addEventListener('click', () => download('run.svg', new XMLSerializer().serializeToString(svg), 'image/svg+xml'));
}

function zoom(f: number): void {
  const cy = view.y + view.h / 2;
  const cx = view.x + view.w / 2;
  view = { w: view.w * f, h: view.h * f, x: cx - (view.w * f) / 2, y: Math.max(0, cy - (view.h * f) / 2) };
  setView();
}

/** Shows a run: its header, its diagram, and the step it opens at. */
function show(next: Run, at: 'start' | 'end'): void {
  run = next;
  trees.clear();
  document.getElementById('title')!.textContent = run.title;
  document.getElementById('source')!.textContent = run.source;
  const ending = document.getElementById('ending')!;
  ending.textContent = run.ending ?? 'replayed to the end: every step as the spec computes it, no invariant broken';
  ending.classList.toggle('violated', run.ending !== null);
  (document.getElementById('slider') as HTMLInputElement).max = String(run.steps.length - 1);
  view = { x: 0, y: 0, w: LEFT + (run.servers.length - 1) * LANE + LEFT, h: 900 };
  drawDiagram();
  if (run.model) showModel(run.model);
  // A counterexample opens at its violation; a run that broke an invariant, at the step that broke it.
  const broken = run.counterexample?.step ?? run.steps.findIndex((s) => s.violations.length > 0);
  go(at === 'end' ? run.steps.length - 1 : broken >= 0 ? broken : 0);
}

// ------------------------------------------------------------------ the model explorer (--model)

async function ask(path: string): Promise<void> {
  const status = document.getElementById('model-status')!;
  status.textContent = 'working…';
  const r = await fetch(path, { method: 'POST' });
  if (!r.ok) {
    status.textContent = await r.text();
    return;
  }
  show((await r.json()) as Run, 'end');
}

function showModel(m: ModelView): void {
  document.getElementById('model')!.hidden = false;
  document.getElementById('model-path')!.replaceChildren(...(m.path.length ? m.path.map((p) => html('li', {}, p)) : [html('li', { class: 'empty' }, 'the initial state: every server started')]));
  document.getElementById('model-actions')!.replaceChildren(
    ...(m.actions.length
      ? m.actions.map((label, i) => {
          const b = html('button', { class: 'action', 'data-action': String(i) }, label);
          b.addEventListener('click', () => void ask(`/api/pick?i=${i}`));
          const li = html('li');
          li.appendChild(b);
          return li;
        })
      : [html('li', { class: 'empty' }, 'none: a violation, or nothing left within the bounds')]),
  );
  (document.getElementById('model-back') as HTMLButtonElement).disabled = !m.canBack;
  (document.getElementById('model-forward') as HTMLButtonElement).disabled = !m.canForward;
  const select = document.getElementById('model-target') as HTMLSelectElement;
  if (select.options.length === 0) for (const t of m.targets) select.appendChild(html('option', { value: t }, t));
  document.getElementById('model-status')!.textContent = m.searched ?? '';
}

function wireModel(): void {
  document.getElementById('model-back')!.addEventListener('click', () => void ask('/api/back'));
  document.getElementById('model-forward')!.addEventListener('click', () => void ask('/api/forward'));
  document.getElementById('model-search')!.addEventListener('click', () => void ask(`/api/search?target=${encodeURIComponent((document.getElementById('model-target') as HTMLSelectElement).value)}`));
}

wire();
wireModel();
show(run, run.model ? 'end' : 'start');
