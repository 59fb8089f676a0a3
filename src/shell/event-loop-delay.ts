// The event loop's delay inside this process (perf_hooks' histogram at 1 ms resolution): how long
// clients and peers waited, at worst, for a turn. Started by the first read of the gauges, so a
// server nobody asks pays no timer; `srst` resets it (the stalls since then are the figure).
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

const RESOLUTION_MS = 1;

let histogram: IntervalHistogram | null = null;

/** Milliseconds: the worst turn and the 99th percentile since the last reset (0 before the first read). */
export function eventLoopDelay(): { readonly maxMs: number; readonly p99Ms: number } {
  if (!histogram) {
    histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    histogram.enable();
    return { maxMs: 0, p99Ms: 0 };
  }
  // The histogram holds whole intervals: the timer's own period is no delay.
  const over = (ns: number) => (histogram!.count === 0 ? 0 : Math.max(0, ns / 1e6 - RESOLUTION_MS));
  return { maxMs: over(histogram.max), p99Ms: over(histogram.percentile(99)) };
}

export function resetEventLoopDelay(): void {
  histogram?.reset();
}
