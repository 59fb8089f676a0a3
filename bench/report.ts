// The ensemble benchmark's figures as tables (median, range, ratio zabkit / Apache) and as an SVG
// of bars: throughput, p99, the servers' CPU per 1,000 ops, resident memory per server.
import { median } from './load-gen.ts';
import type { SystemName, Topology } from './systems.ts';

/** Every figure's values, one per round, keyed `system|topology|figure`. */
export type Figures = Map<string, number[]>;
export const key = (system: SystemName, topology: Topology, figure: string) => `${system}|${topology}|${figure}`;
export function add(f: Figures, k: string, v: number): void {
  f.set(k, [...(f.get(k) ?? []), v]);
}

export const fmt = (x: number) => (Number.isNaN(x) ? '–' : x >= 100 ? String(Math.round(x)) : x.toFixed(2));
const higherIsBetter = (figure: string) => figure.includes('ops/s');

/** Rows: figure, per system median and min–max, ratio zabkit / Apache. */
export function table(f: Figures, systems: readonly SystemName[], topology: Topology): string[] {
  const figures = [...new Set([...f.keys()].filter((k) => k.split('|')[1] === topology).map((k) => k.split('|')[2]!))];
  const both = systems.length === 2;
  const rows = [`| ${topology} | ${systems.map((s) => `${s} median (min–max)`).join(' | ')}${both ? ' | zabkit / apache | better |' : ' |'}`];
  rows.push(`|---|${systems.map(() => '---').join('|')}|${both ? '---|---|' : ''}`);
  for (const fig of figures) {
    const cells = systems.map((s) => {
      const xs = f.get(key(s, topology, fig)) ?? [];
      return xs.length ? `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})` : '–';
    });
    let tail = ' |';
    if (both) {
      const ratio = median(f.get(key('zabkit', topology, fig)) ?? [NaN]) / median(f.get(key('apache', topology, fig)) ?? [NaN]);
      const zabkitBetter = higherIsBetter(fig) ? ratio >= 1 : ratio <= 1;
      tail = ` | ${fmt(ratio)} | ${Number.isNaN(ratio) ? '–' : zabkitBetter ? 'zabkit' : 'apache'} |`;
    }
    rows.push(`| ${fig} | ${cells.join(' | ')}${tail}`);
  }
  return rows;
}

interface Panel {
  readonly title: string;
  readonly log: boolean;
  /** Bars: a label and the figure (per system) it shows. */
  readonly bars: readonly { readonly label: string; readonly topology: Topology; readonly figure: string }[];
}

/** The charts: per workload and topology, one bar per system, one colour per system. */
export function svg(f: Figures, systems: readonly SystemName[], topologies: readonly Topology[], workloads: readonly string[]): string {
  const perWorkload = (suffix: string) => topologies.flatMap((t) => workloads.map((w) => ({ label: `${t} ${w}`, topology: t, figure: `${w} ${suffix}` })));
  const panels: Panel[] = [
    { title: 'throughput (ops/s, log scale)', log: true, bars: perWorkload('ops/s') },
    { title: 'p99 latency (ms)', log: false, bars: perWorkload('p99 (ms)') },
    { title: "servers' CPU per 1,000 ops (ms, user + sys, all servers)", log: false, bars: perWorkload('CPU ms per 1,000 ops') },
    {
      title: 'resident memory per server (MB)',
      log: false,
      bars: topologies.flatMap((t) => [
        { label: `${t} idle`, topology: t, figure: 'RSS per server idle (MB)' },
        { label: `${t} under load`, topology: t, figure: 'RSS per server under load, max (MB)' },
        // the big tree's: `RSS with N znodes, filled|restarted (MB)`
        ...[...new Set([...f.keys()].map((k) => k.split('|')).filter(([, kt, fig]) => kt === t && fig!.startsWith('RSS with ')).map(([, , fig]) => fig!))].map((fig) => ({
          label: fig.replace(/^RSS /, '').replace(/ \(MB\)$/, ''),
          topology: t,
          figure: fig,
        })),
      ]),
    },
  ];
  const W = 900;
  const rowH = 22;
  const [X0, SPAN] = [280, 520]; // labels left of X0; the longest bar
  const colour: Record<SystemName, string> = { apache: '#d9822b', zabkit: '#2b7bd9' };
  const lines: string[] = [];
  let y = 30;
  for (const p of panels) {
    const shown = p.bars.flatMap((b) => systems.flatMap((s) => (f.get(key(s, b.topology, b.figure))?.length ? [{ ...b, s, v: median(f.get(key(s, b.topology, b.figure))!) }] : [])));
    if (shown.length === 0) continue;
    lines.push(`<text x="10" y="${y}" font-size="14" font-weight="bold">${p.title}</text>`);
    y += 10;
    const max = Math.max(1, ...shown.map((b) => b.v).filter((v) => !Number.isNaN(v)));
    const scale = (v: number) => (Number.isNaN(v) ? 0 : p.log ? (Math.log10(Math.max(1, v)) / Math.log10(max)) * SPAN : (v / max) * SPAN);
    for (const b of shown) {
      y += rowH;
      lines.push(`<text x="10" y="${y + 14}" font-size="12">${b.label} ${b.s}</text>`);
      lines.push(`<rect x="${X0}" y="${y + 3}" width="${scale(b.v).toFixed(1)}" height="${rowH - 6}" fill="${colour[b.s]}"/>`);
      lines.push(`<text x="${(X0 + 5 + scale(b.v)).toFixed(1)}" y="${y + 14}" font-size="11">${fmt(b.v)}</text>`);
    }
    y += 50;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${lines.join('\n')}\n</svg>\n`;
}
