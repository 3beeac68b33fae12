// What every desktop suite shares: the app path and screenshot folder from the command line,
// named steps with a screenshot on failure, a summary line, and small helpers over WebDriver.
// A suite: `const s = suite('e2e-x'); await s.run(['--demo'], async () => { await s.step(…) })`.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEY, WebDriver, sleep } from './webdriver.mjs';

export { KEY, sleep };

export function assert(c, msg) { if (!c) throw new Error(msg); }

export function suite(name) {
  const app = process.argv[2];
  const shots = process.env.SCREENSHOTS || '';
  if (!app) { console.error(`usage: node ${name}.mjs /abs/path/to/paydesk-app`); process.exit(2); }
  if (shots) mkdirSync(shots, { recursive: true });
  const wd = new WebDriver();
  const results = [];

  const s = {
    app, shots, wd,
    async step(title, f) {
      const t0 = Date.now();
      try { await f(); results.push([title, true]); console.log(`ok   ${title} (${Date.now() - t0} ms)`); }
      catch (e) {
        results.push([title, false]);
        console.log(`FAIL ${title}: ${e.stack ?? e}`);
        const file = join(process.env.PAYDESK_FAILURES || process.env.TMPDIR || '/tmp', `paydesk-${name}-failure.png`);
        try { writeFileSync(file, await wd.screenshot()); console.log(`     screenshot: ${file}`); } catch { /* no session */ }
        throw e;
      }
    },
    /** A screenshot of the window, with SCREENSHOTS=DIR. */
    async shot(file) { if (shots) writeFileSync(join(shots, `${file}.png`), await wd.screenshot()); },
    async login(user, pin) {
      await wd.waitFor('[data-screen=login]');
      await wd.click(`[data-user="${user}"]`);
      await wd.type('[data-test=pin]', pin + KEY.enter);
    },
    async logout() { await wd.click('[data-test=logout]'); await wd.waitFor('[data-screen=login]'); },
    /** A Tauri command called as the page would: {ok: value} or {err: error}. */
    async invoke(cmd, args) {
      return wd.execAsync(`const cb = arguments[arguments.length - 1];
        window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1]).then((v) => cb({ok: v}), (e) => cb({err: e}));`, cmd, args);
    },
    /** Waits for `f()` to hold; a read that hits a redrawn element is tried again. */
    async until(f, ms = 15000, what = 'condition') {
      for (const end = Date.now() + ms; Date.now() < end; await sleep(150)) if (await f().catch(() => false)) return;
      throw new Error(`timed out waiting for ${what}`);
    },
    async toastSays(text, ms = 10000) {
      for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if ((await wd.text('[data-test=toast]').catch(() => '')).includes(text)) return;
      throw new Error(`no toast with ${JSON.stringify(text)}; last: ${await wd.text('[data-test=toast]').catch(() => '?')}`);
    },
    /** Switches to the cashier's window (the customer display may be a second one). */
    async mainWindow() {
      for (let tries = 0; tries < 50; tries++) {
        await sleep(200);
        for (const h of await wd.windows()) {
          await wd.switchTo(h);
          if (await wd.exec('return !!document.querySelector("[data-screen]")')) return h;
        }
      }
      throw new Error('no main window');
    },
    /** Starts the app with `args`, runs the steps, quits, prints "N passed, M failed". */
    async run(args, body) {
      try {
        await WebDriver.waitReady();
        await wd.start(app, args);
        await body();
      } catch (e) {
        if (!results.some((r) => !r[1])) console.log(`FAIL ${name}: ${e.stack ?? e}`);
        process.exitCode = 1;
      } finally {
        await wd.quit();
        const passed = results.filter((r) => r[1]).length;
        console.log(`${passed} passed, ${results.length - passed} failed`);
        if (results.length === 0) process.exitCode = 1;
      }
    },
  };
  return s;
}
