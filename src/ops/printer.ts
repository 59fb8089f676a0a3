// How the dumps write: lines in batches, and a damaged record's line (text or --json).
import { jsonLine } from './text.ts';

/** Lines out in batches: a million console.log calls cost more than the dump. */
export class Printer {
  private lines: string[] = [];
  constructor(private readonly out: (s: string) => void) {}
  line(s: string): void {
    this.lines.push(s);
    if (this.lines.length >= 2000) this.flush();
  }
  flush(): void {
    if (this.lines.length) this.out(this.lines.join('\n'));
    this.lines = [];
  }
}

export const damageLine = (offset: number, damage: string, json: boolean, resumable: boolean): string =>
  json ? jsonLine({ kind: 'damage', offset, damage, resumable }) : `DAMAGED at offset ${offset}: ${damage}${resumable ? '' : ' — the dump stops here'}`;
