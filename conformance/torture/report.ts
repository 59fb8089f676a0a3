// The report of fault runs: a table per system (violations, availability per fault kind, the
// ratio zabkit / Apache of the median time from a fault to the first successful write after it),
// and a picture, as Jepsen's rate and latency plots: successful writes per second and their
// latency over the time of one run per system, the fault windows shaded.
import type { FaultKind, TortureResult } from './run.ts';

const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const ms = (x: number) => (Number.isFinite(x) ? `${Math.round(x)} ms` : '—');

export interface KindFigures {
  readonly kind: FaultKind;
  readonly count: number;
  /** Faults after which no write succeeded before the next one (or the end). */
  readonly never: number;
  readonly medianFirstWrite: number;
}

export function byKind(results: readonly TortureResult[]): Map<FaultKind, KindFigures> {
  const acc = new Map<FaultKind, { n: number; never: number; t: number[] }>();
  for (const r of results) {
    for (const f of r.faults) {
      const a = acc.get(f.kind) ?? { n: 0, never: 0, t: [] };
      a.n++;
      if (f.firstWrite === null) a.never++;
      else a.t.push(f.firstWrite);
      acc.set(f.kind, a);
    }
  }
  return new Map([...acc].map(([kind, a]) => [kind, { kind, count: a.n, never: a.never, medianFirstWrite: median(a.t) }]));
}

/** The markdown report. `command` is what produced it. */
export function reportMarkdown(results: readonly TortureResult[], command: string, when: string, harnessErrors: readonly string[] = []): string {
  const systems = [...new Set(results.map((r) => r.system))];
  const lines: string[] = [];
  lines.push('# Fault runs: zabkit and Apache ZooKeeper 3.8 under the same faults', '');
  const jobs = Number(/--jobs (\d+)/.exec(command)?.[1] ?? 1);
  lines.push(
    `Produced by \`${command}\` on ${when} (this 2-core machine; every server a real process, every peer link through the fault proxy on 127.0.0.1${jobs > 1 ? `; ${jobs} ensembles ran at once, each workload-seed pair running zabkit then Apache, so either system shared the machine with either` : ''}).`,
    '',
  );
  if (harnessErrors.length) lines.push(`Harness errors (runs that could not be made or a client library that threw; not verdicts on a system): ${harnessErrors.length}.`, '', ...harnessErrors.map((e) => `    ${e.split('\n')[0]}`), '');
  lines.push('## Runs', '');
  lines.push('| system | workload | runs | requests | violations | faults | longest time without a write (median) | back to serving after the heal (median) |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const s of systems) {
    for (const w of [...new Set(results.map((r) => r.workload))]) {
      const rs = results.filter((r) => r.system === s && r.workload === w);
      if (!rs.length) continue;
      const requests = rs.reduce((n, r) => n + Number(/^(\d+) requests/.exec(r.summary)?.[1] ?? 0), 0);
      const v = rs.reduce((n, r) => n + r.violations.length, 0);
      lines.push(`| ${s} | ${w} | ${rs.length} | ${requests} | ${v} | ${rs.reduce((n, r) => n + r.faults.length, 0)} | ${ms(median(rs.map((r) => r.longestGap)))} | ${ms(median(rs.map((r) => r.recovery)))} |`);
    }
  }
  lines.push('', '## Time from a fault to the first successful write sent after it', '');
  lines.push('Median over every fault of the kind, in every run; "none" counts faults after which no write succeeded before the next fault. The ratio is zabkit / Apache (below 1: zabkit writes again sooner).', '');
  const kinds = systems.map((s) => byKind(results.filter((r) => r.system === s)));
  const all = [...new Set(kinds.flatMap((k) => [...k.keys()]))].sort();
  lines.push(`| fault | ${systems.map((s) => `${s}: faults, none, median`).join(' | ')} |${systems.length === 2 ? ' ratio |' : ''}`);
  lines.push(`|---|${systems.map(() => '---').join('|')}|${systems.length === 2 ? '---|' : ''}`);
  for (const k of all) {
    const cells = kinds.map((m) => {
      const f = m.get(k);
      return f ? `${f.count}, ${f.never}, ${ms(f.medianFirstWrite)}` : '—';
    });
    const [a, b] = kinds.map((m) => m.get(k)?.medianFirstWrite ?? NaN);
    const ratio = systems.length === 2 && Number.isFinite(a) && Number.isFinite(b) && b! > 0 ? ` ${(a! / b!).toFixed(2)}× |` : systems.length === 2 ? ' — |' : '';
    lines.push(`| ${k} | ${cells.join(' | ')} |${ratio}`);
  }
  const bad = results.filter((r) => r.violations.length);
  lines.push('', '## Violations', '');
  if (!bad.length) lines.push('None.');
  else {
    // How many runs broke each check, per system; then each violation's first line.
    const checks = [...new Set(bad.flatMap((r) => r.violations.map((v) => v.check)))].sort();
    lines.push(`| check | ${systems.map((s) => `${s}: runs that broke it`).join(' | ')} |`, `|---|${systems.map(() => '---').join('|')}|`);
    for (const c of checks) lines.push(`| ${c} | ${systems.map((s) => results.filter((r) => r.system === s && r.violations.some((v) => v.check === c)).length).join(' | ')} |`);
    lines.push('');
  }
  const firstLine = (t: string) => {
    const l = t.split('\n')[0]!;
    return l.length > 400 ? `${l.slice(0, 400)}…` : l;
  };
  for (const r of bad) for (const v of r.violations) lines.push(`- ${r.system}, ${r.workload}, seed ${r.seed}: **${v.check}**: ${firstLine(v.detail)}`);
  const open = results.filter((r) => r.undecided.length);
  if (open.length) {
    lines.push('', 'Checks that ran out of their budget without a verdict (neither a violation nor a pass):', '');
    for (const r of open) for (const v of r.undecided) lines.push(`- ${r.system}, ${r.workload}, seed ${r.seed}: ${v.check}: ${firstLine(v.detail)}`);
  }
  lines.push('', '![throughput and latency over time, faults shaded](FAULTS.svg)', '');
  return lines.join('\n');
}

/** Successful writes per second and their median latency over one run per system, faults shaded. */
export function reportSvg(runs: readonly TortureResult[]): string {
  const W = 900;
  const H = 220;
  const pad = 50;
  const out: string[] = [];
  const height = runs.length * (H + 30) + 10;
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" font-family="sans-serif" font-size="11">`);
  runs.forEach((r, i) => {
    const y0 = 10 + i * (H + 30);
    const secs = Math.ceil(r.durationMs / 1000);
    const rate = new Array<number>(secs).fill(0);
    const lat: number[][] = Array.from({ length: secs }, () => []);
    for (const w of r.writes) {
      if (!w.ok || !Number.isFinite(w.ret)) continue;
      const b = Math.min(secs - 1, Math.max(0, Math.floor(w.ret / 1000)));
      rate[b]!++;
      lat[b]!.push(w.ret - w.call);
    }
    const maxRate = Math.max(1, ...rate);
    const p50 = lat.map((l) => median(l));
    const maxLat = Math.max(1, ...p50.filter(Number.isFinite));
    const x = (t: number) => pad + (t / 1000 / secs) * (W - 2 * pad);
    const yRate = (v: number) => y0 + H - (v / maxRate) * (H - 20);
    const yLat = (v: number) => y0 + H - (v / maxLat) * (H - 20);
    out.push(`<text x="${pad}" y="${y0 + 10}">${r.system}, ${r.workload}, seed ${r.seed}: writes/s (blue, max ${maxRate}) and median latency (orange, max ${Math.round(maxLat)} ms); faults shaded</text>`);
    out.push(`<rect x="${pad}" y="${y0 + 20}" width="${W - 2 * pad}" height="${H - 20}" fill="none" stroke="#999"/>`);
    for (const f of r.faults) {
      const end = Number.isFinite(f.end) ? f.end : f.start;
      out.push(`<rect x="${x(f.start).toFixed(1)}" y="${y0 + 20}" width="${Math.max(1, x(end) - x(f.start)).toFixed(1)}" height="${H - 20}" fill="#f4c7c3" opacity="0.6"><title>${f.kind}: ${escapeXml(f.detail)}</title></rect>`);
      out.push(`<text x="${x(f.start).toFixed(1)}" y="${y0 + 32}" font-size="9">${f.kind}</text>`);
    }
    out.push(`<polyline fill="none" stroke="#1f77b4" points="${rate.map((v, s) => `${x(s * 1000 + 500).toFixed(1)},${yRate(v).toFixed(1)}`).join(' ')}"/>`);
    const pts = p50.flatMap((v, s) => (Number.isFinite(v) ? [`${x(s * 1000 + 500).toFixed(1)},${yLat(v).toFixed(1)}`] : []));
    out.push(`<polyline fill="none" stroke="#ff7f0e" points="${pts.join(' ')}"/>`);
    for (let s = 0; s <= secs; s += Math.max(1, Math.round(secs / 10))) out.push(`<text x="${x(s * 1000).toFixed(1)}" y="${y0 + H + 12}" text-anchor="middle">${s} s</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
