// A worker of the parallel search starts here: the sources are TypeScript, so tsx compiles them
// on load in this thread too (as bin/zabkit.mjs does for the main one), whoever started us.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
try {
  const { serve } = await import('./check-worker.ts');
  serve(workerData);
} catch (e) {
  // Tell the main thread, which is blocked on DONE, rather than leave it waiting.
  workerData.port.postMessage({ status: 'error', message: `worker failed to start: ${e?.stack ?? e}` });
  const control = new Int32Array(workerData.control);
  Atomics.store(control, 2, 1);
  Atomics.add(control, 1, 1);
  Atomics.notify(control, 1);
}
