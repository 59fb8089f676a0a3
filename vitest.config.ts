import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // `npm run traces:capture` runs test/conformance/capture.ts alone, to record conformance/traces/ again.
    include: process.env.CAPTURE_TRACES === '1' ? ['test/conformance/capture.ts'] : ['test/**/*.test.ts'],
    testTimeout: 120_000,
    // Both cores (vitest's default leaves one free): most files wait on child processes or sockets,
    // and the two simulator sweeps are CPU-bound halves meant to run side by side.
    maxWorkers: 2,
    coverage: { provider: 'v8', include: ['src/**', 'model/**'], reporter: ['text-summary'] },
  },
});
