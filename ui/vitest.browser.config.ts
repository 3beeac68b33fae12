import { defineConfig } from 'vitest/config';

// Browser tests: the built UI (dist/) with the fake backend, in Debian's Chromium via
// playwright-core (no browser download). Run `npm run build` first.
export default defineConfig({
  test: { include: ['tests/**/*.test.ts'], environment: 'node', testTimeout: 60_000, hookTimeout: 60_000, fileParallelism: false },
});
