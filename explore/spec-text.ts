// The spec's rules as the explorer shows them: every `- **ID** …` bullet of spec/*.md with its
// continuation lines, read once from the repository (a rule id on the page opens its text).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/shell/project-root.ts';

const SPEC = join(PROJECT_ROOT, 'spec');
const DEFINITION = /^- \*\*([A-Z]+-\d+)\*\*\s*(?:\*([^*]+)\*:?)?\s*(.*)$/;

export interface Rule {
  readonly id: string;
  /** An invariant's name (`No committed write is ever lost`); '' for other rules. */
  readonly name: string;
  readonly text: string;
  readonly file: string;
}

function readRules(): Record<string, Rule> {
  const out: Record<string, Rule> = {};
  for (const file of readdirSync(SPEC).filter((f) => f.endsWith('.md')).sort()) {
    let current: { id: string; name: string; lines: string[] } | null = null;
    const close = () => {
      if (current) out[current.id] = { id: current.id, name: current.name, text: current.lines.join(' ').replace(/\s+/g, ' ').trim(), file };
      current = null;
    };
    for (const line of readFileSync(join(SPEC, file), 'utf8').split('\n')) {
      const m = DEFINITION.exec(line);
      if (m) {
        close();
        current = { id: m[1]!, name: m[2]?.trim() ?? '', lines: [m[3]!] };
      } else if (current && /^\s{2,}\S/.test(line)) current.lines.push(line.trim());
      else close();
    }
    close();
  }
  return out;
}

export const RULES: Readonly<Record<string, Rule>> = readRules();

/** The invariants a run of the ZAB world is judged by (INV-1…18; INV-19… are about whole replicas and clients). */
export const INVARIANT_IDS: readonly string[] = Object.keys(RULES)
  .filter((id) => /^INV-(\d+)$/.test(id) && Number(id.slice(4)) <= 18)
  .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
