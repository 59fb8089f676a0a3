// One self-contained HTML page for a run: its styles, its script (explore/page/app.ts compiled to
// JavaScript by esbuild, types stripped) and the run as JSON, inline. Nothing is fetched: the page
// works offline, served on 127.0.0.1 or written to a file to attach to a bug report.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { transformSync } from 'esbuild';
import type { ExploreRun } from './run.ts';
import { PROJECT_ROOT } from '../src/shell/project-root.ts';

let script: string | null = null;

/** The page's script, compiled once per process. */
function appScript(): string {
  script ??= transformSync(readFileSync(join(PROJECT_ROOT, 'explore', 'page', 'app.ts'), 'utf8'), { loader: 'ts', format: 'esm', target: 'es2022' }).code;
  return script;
}

const STYLE = `
body { font: 13px/1.4 system-ui, sans-serif; margin: 0; display: grid; grid-template-columns: minmax(420px, 1fr) 560px; grid-template-rows: auto 1fr; height: 100vh; color: #111; }
header { grid-column: 1 / 3; padding: 8px 14px; border-bottom: 1px solid #ddd; display: flex; gap: 16px; align-items: baseline; flex-wrap: wrap; }
header h1 { font-size: 16px; margin: 0; }
#source { color: #666; font-family: monospace; }
#ending { font-weight: 600; } #ending.violated { color: #b91c1c; }
#left { overflow: hidden; border-right: 1px solid #ddd; display: flex; flex-direction: column; }
#tools { padding: 6px; display: flex; gap: 6px; border-bottom: 1px solid #eee; }
#diagram { flex: 1; width: 100%; cursor: grab; background: #fcfcfd; }
#right { overflow-y: auto; padding: 8px 12px; }
.lane { stroke: #334155; stroke-width: 2; } .lane.down { stroke: #cbd5e1; stroke-dasharray: 4 4; }
.lane-name { font-weight: 700; font-size: 14px; }
.row-number { fill: #94a3b8; font-size: 10px; }
.msg { stroke-width: 1.4; cursor: pointer; } .msg:hover { stroke-width: 3; }
.msg.quorum { stroke: #2563eb; } .msg.election { stroke: #9333ea; stroke-dasharray: 5 3; }
.msg.lost { stroke: #dc2626; stroke-dasharray: 2 2; } .lost-mark { fill: #dc2626; font-weight: 700; }
.event { fill: #475569; cursor: pointer; stroke: #fff; stroke-width: 1; }
.event.timeout { fill: #f59e0b; } .event.restart { fill: #16a34a; } .event.persisted { fill: #0891b2; }
.event.propose { fill: #db2777; } .event.disconnected { fill: #9ca3af; } .event.compacted { fill: #7c3aed; }
.event.violated { fill: #dc2626; } .event.current { stroke: #111; stroke-width: 3; }
.cursor { fill: #fde68a; opacity: .55; }
.msg.held { stroke-dasharray: 1 3; stroke-width: 2; }
.mark.persist { fill: none; stroke: #0891b2; stroke-width: 1.5; } .mark.deliver { fill: #16a34a; font-size: 12px; font-weight: 700; }
.mark.crash { fill: #dc2626; font-size: 14px; font-weight: 700; }
#stepper { display: flex; gap: 6px; align-items: center; } #slider { flex: 1; }
#step-label { font-family: monospace; margin: 6px 0; }
#narration { color: #334155; font-style: italic; white-space: pre-wrap; }
.server { border: 1px solid #e2e8f0; border-radius: 6px; padding: 6px 8px; margin: 6px 0; }
.server.down { opacity: .55; } .server.changed { border-color: #f59e0b; }
.server .role { font-weight: 600; font-family: monospace; }
.server th { text-align: left; color: #64748b; font-weight: 500; padding-right: 8px; }
.history { display: flex; flex-wrap: wrap; gap: 3px; margin-top: 4px; }
.txn { font-family: monospace; font-size: 11px; padding: 1px 4px; border-radius: 3px; background: #f1f5f9; border: 1px solid #cbd5e1; }
.txn.committed { font-weight: 700; border-color: #2563eb; } .txn.delivered { background: #dcfce7; } .txn.snapshot { background: #ede9fe; }
.inv { list-style: none; } .inv.violated { color: #b91c1c; font-weight: 700; background: #fee2e2; } .inv.highlight { outline: 2px solid #b91c1c; }
.empty { color: #94a3b8; } .unreceived { color: #b91c1c; }
#detail pre { background: #f8fafc; padding: 6px; overflow-x: auto; font-size: 11px; max-height: 320px; }
h2 { font-size: 13px; margin: 12px 0 4px; }
.znodes { border-collapse: collapse; font: 11px monospace; } .znodes td, .znodes th { border: 1px solid #e2e8f0; padding: 1px 5px; text-align: left; }
.znodes tr.differs { background: #fef3c7; }
#model { border: 1px solid #c7d2fe; background: #eef2ff; border-radius: 6px; padding: 6px 10px; margin-bottom: 8px; }
#model-actions { max-height: 220px; overflow-y: auto; padding-left: 22px; }
.action { font: 12px monospace; text-align: left; margin: 1px 0; cursor: pointer; }
#model-status { color: #3730a3; margin-top: 4px; }
.legend span { margin-right: 10px; }
`;

const BODY = `
<header><h1 id="title"></h1><span id="source"></span><span id="ending"></span></header>
<div id="left">
  <div id="tools">
    <button id="zoom-in" title="zoom in (+)">+</button><button id="zoom-out" title="zoom out (-)">−</button>
    <button id="export-svg">diagram as SVG</button><button id="export-shiviz">ShiViz log</button>
    <span class="legend"><span style="color:#2563eb">— quorum</span><span style="color:#9333ea">- - election</span><span style="color:#dc2626">× never received</span><span>··· held for a disk write</span><span style="color:#0891b2">□ disk write</span><span style="color:#16a34a">✓ delivers</span><span style="color:#dc2626">✗ crash</span></span>
  </div>
  <svg id="diagram" xmlns="http://www.w3.org/2000/svg"></svg>
</div>
<div id="right">
  <div id="model" hidden>
    <h2>The model: pick what happens next</h2>
    <div><button id="model-back">◀ back</button> <button id="model-forward">forward ▶</button>
      find a path to <select id="model-target"></select> <button id="model-search">search</button>
      <a id="model-trace" href="/api/trace" download="model.ndjson">the path as a trace</a></div>
    <div id="model-status"></div>
    <h2>Enabled actions</h2><ol id="model-actions"></ol>
    <details><summary>The path so far</summary><ol id="model-path"></ol></details>
  </div>
  <div id="stepper"><button id="prev" title="previous step (←)">◀</button><input id="slider" type="range" min="0" value="0"><button id="next" title="next step (→)">▶</button></div>
  <div id="step-label"></div>
  <div id="narration"></div>
  <h2>Rules that decided this step</h2><div id="rules"></div>
  <h2>Servers after this step</h2><div id="state"></div>
  <h2>Messages in flight</h2><ul id="in-flight"></ul>
  <h2>Invariants</h2><ul id="invariants"></ul>
  <div id="tree" hidden><h2>Each replica's znodes (rows that differ between replicas marked)</h2><div id="tree-table"></div></div>
  <div id="detail"><p class="empty">Click a message, an event or a rule id for the whole of it.</p></div>
</div>`;

/** `<` in the JSON would end the script element early; as \u003c it reads the same. */
const jsonInScript = (x: unknown): string => JSON.stringify(x).replace(/</g, '\\u003c');

export function explorePage(run: ExploreRun): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>zabkit explore: ${run.title.replace(/[<&]/g, '')}</title>
<style>${STYLE}</style></head>
<body>${BODY}
<script type="application/json" id="run-data">${jsonInScript(run)}</script>
<script type="module">${appScript()}</script>
</body></html>
`;
}
