// Progress of a long command on stderr. On a terminal: one line rewritten in place, cleared when
// the command ends or prints. Piped (a CI log, `2>file`): a whole line every few seconds, so the
// log shows the run is alive; ZABKIT_PROGRESS_MS sets the interval (5000 ms by default).

export interface Progress {
  /** The current state, one line; shown now (terminal) or if the interval has passed (piped). */
  (line: string): void;
  /** Take the rewritten line off the terminal (before printing, and at the end). */
  clear(): void;
}

type Stream = Pick<NodeJS.WriteStream, 'write'> & { readonly isTTY?: boolean };

export function progressLine(stream: Stream = process.stderr, env: Readonly<Record<string, string | undefined>> = process.env): Progress {
  const tty = stream.isTTY === true;
  const every = Number(env.ZABKIT_PROGRESS_MS) > 0 ? Number(env.ZABKIT_PROGRESS_MS) : 5000;
  // Piped, the first line comes after one interval: a short command prints none.
  let last = performance.now();
  let shown = false;
  const show = (line: string): void => {
    if (tty) {
      stream.write(`\r\x1b[K${line}`);
      shown = true;
      return;
    }
    const now = performance.now();
    if (now - last < every) return;
    last = now;
    stream.write(`${line}\n`);
  };
  return Object.assign(show, {
    clear(): void {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  });
}

/** `, ~2 min left` from the share done so far and the seconds it took; empty until one can be made. */
export function remaining(done: number, total: number, seconds: number): string {
  if (done <= 0 || total <= done || seconds < 1) return '';
  const left = (seconds * (total - done)) / done;
  return `, ~${left < 90 ? `${Math.ceil(left)} s` : left < 5400 ? `${Math.round(left / 60)} min` : `${(left / 3600).toFixed(1)} h`} left`;
}
