// A small W3C WebDriver client over fetch (Node 20+), enough to drive the Tauri app through
// tauri-driver: sessions, elements, keys, scripts, windows, screenshots.

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
export const KEY = { enter: '\uE007', escape: '\uE00C', f2: '\uE032', f3: '\uE033', f4: '\uE034' };
// tauri-driver's address (tests/desktop/run.sh sets TAURI_DRIVER_PORT).
const DRIVER = `http://127.0.0.1:${process.env.TAURI_DRIVER_PORT || 4444}`;

export class WebDriver {
  constructor(base = DRIVER) { this.base = base; this.id = null; }

  async req(method, path, body) {
    const r = await fetch(`${this.base}${path}`, { signal: AbortSignal.timeout(90_000), method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const j = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(j.value ?? j).slice(0, 400)}`);
    return j.value;
  }
  s(path) { return `/session/${this.id}${path}`; }

  static async waitReady(base = DRIVER, ms = 20000) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      try { const r = await fetch(`${base}/status`); if (r.ok) return; } catch { /* not yet */ }
      await sleep(200);
    }
    throw new Error('tauri-driver did not start');
  }

  async start(application, args = []) {
    const v = await this.req('POST', '/session', { capabilities: { alwaysMatch: { browserName: 'wry', 'tauri:options': { application, args } } } });
    this.id = v.sessionId;
    return v;
  }
  async quit() { if (this.id) await this.req('DELETE', `/session/${this.id}`).catch(() => {}); this.id = null; }

  async find(css) { return (await this.req('POST', this.s('/element'), { using: 'css selector', value: css }))[ELEMENT]; }
  async findAll(css) { return (await this.req('POST', this.s('/elements'), { using: 'css selector', value: css })).map((e) => e[ELEMENT]); }
  async exists(css) { return (await this.findAll(css)).length > 0; }
  async waitFor(css, ms = 15000) {
    const end = Date.now() + ms;
    let last;
    while (Date.now() < end) {
      try { const els = await this.findAll(css); if (els.length) return els[0]; } catch (e) { last = e; }
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${css}${last ? `: ${last.message}` : ''}\npage: ${(await this.text('body').catch(() => '?')).slice(0, 600)}`);
  }
  async click(css, ms = 15000) {
    // Retried: a list may re-render between finding an element and clicking it. Scrolled into
    // view first: WebKitWebDriver refuses a click on an element scrolled out of its container.
    const end = Date.now() + ms;
    for (;;) {
      try {
        const e = await this.waitFor(css, ms);
        await this.exec('arguments[0].scrollIntoView({ block: "center", inline: "nearest" })', { [ELEMENT]: e });
        await this.req('POST', this.s(`/element/${e}/click`), {});
        return;
      }
      catch (err) { if (Date.now() > end) throw err; await sleep(200); }
    }
  }
  /** Clicks through the DOM: for elements inside nested scroll containers, which WebKitWebDriver's
   *  interactability check rejects although they are visible. */
  async jsClick(css) { await this.waitFor(css); await this.exec('document.querySelector(arguments[0]).click()', css); }
  async type(css, text) { const e = await this.waitFor(css); await this.req('POST', this.s(`/element/${e}/value`), { text }); }
  async clear(css) { const e = await this.waitFor(css); await this.req('POST', this.s(`/element/${e}/clear`), {}); }
  async text(css) { const e = await this.find(css); return this.req('GET', this.s(`/element/${e}/text`)); }
  async exec(script, ...args) { return this.req('POST', this.s('/execute/sync'), { script, args }); }
  async execAsync(script, ...args) { return this.req('POST', this.s('/execute/async'), { script, args }); }
  async screenshot() { return Buffer.from(await this.req('GET', this.s('/screenshot')), 'base64'); }
  async windows() { return this.req('GET', this.s('/window/handles')); }
  async switchTo(handle) { return this.req('POST', this.s('/window'), { handle }); }
  async title() { return this.req('GET', this.s('/title')); }
}

export function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }
