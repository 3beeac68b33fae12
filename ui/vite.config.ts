import { defineConfig } from 'vitest/config';
import { resolve } from 'node:path';

// Two pages: the cashier's window and the customer display. Built into dist/, which Tauri embeds.
export default defineConfig({
  clearScreen: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'safari15',
    rollupOptions: { input: { main: resolve(__dirname, 'index.html'), customer: resolve(__dirname, 'customer.html') } },
  },
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
