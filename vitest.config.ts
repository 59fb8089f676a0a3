import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // `npm run traces:capture` runs test/conformance/capture.ts alone, to record conformance/traces/ again.
    include: process.env.CAPTURE_TRACES === '1' ? ['test/conformance/capture.ts'] : ['test/**/*.test.ts'],
    testTimeout: 120_000,
    coverage: { provider: 'v8', include: ['src/**', 'model/**'], reporter: ['text-summary'] },
  },
});
