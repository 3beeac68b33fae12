// What the browser suites share: the built UI (dist/) served on a free 127.0.0.1 port and Debian's
// Chromium driven by playwright-core (no browser download). Call `useBrowser()` at the top of a
// suite file; its `base` and `browser` are set before the first test.

import { afterAll, beforeAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

const DIST = join(__dirname, '..', 'dist');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

export interface Harness { base: string; browser: Browser }

export function useBrowser(): Harness {
  const h = { base: '', browser: null as unknown as Browser };
  let server: Server | undefined;
  beforeAll(async () => {
    if (!existsSync(join(DIST, 'index.html'))) throw new Error('ui/dist is missing: run `npm run build` first');
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
    server = createServer((req, res) => {
      const path = join(DIST, decodeURIComponent((req.url ?? '/').split('?')[0]).replace(/\/$/, '/index.html'));
      if (!path.startsWith(DIST) || !existsSync(path)) { res.writeHead(404).end(); return; }
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(readFileSync(path));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const a = server.address();
    h.base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    // playwright-core gives every launch a fresh temporary profile (--user-data-dir).
    h.browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  });
  afterAll(async () => {
    await h.browser?.close();
    server?.close();
  });
  return h;
}
