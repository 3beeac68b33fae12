// First start of the app in real WebKit (tauri-driver), on a home with no shop: the wizard sets
// up the shop and its owner, imports the merchant key files sealed into the home and tests the
// connection against a real `paydesk sim` process, lands on the till; then the Backups tab backs
// the book up into the folder and shows it healthy. With SCREENSHOTS=DIR it saves each screen.
// Usage (under Xvfb, tauri-driver running): node e2e-setup.mjs /abs/paydesk-app

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { KEY, assert, suite } from './suite.mjs';

const s = suite('e2e-setup');
const { wd, step, shot, toastSays } = s;
const assets = process.env.PAYDESK_ASSETS || resolve(dirname(new URL(import.meta.url).pathname), '../../assets');

// The gateway simulator as its own process, on a free port.
const sim = spawn(join(dirname(s.app), 'paydesk'), ['--json', 'sim', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const simUrl = await new Promise((res, rej) => {
  let buf = '';
  sim.stdout.on('data', (d) => { buf += d; const m = buf.match(/"listening": "([^"]+)"/); if (m) res(m[1].startsWith('http') ? m[1] : `http://${m[1]}`); });
  sim.on('exit', () => rej(new Error('paydesk sim did not start')));
});
// A home with no shop yet (its callback server on a free port, not the shop's 8428).
const home = mkdtempSync(join(tmpdir(), 'paydesk-setup-'));
writeFileSync(join(home, 'config.toml'), 'listen = "127.0.0.1:0"\n');

try {
  await s.run(['--home', home, '--no-customer-display'], async () => {
    await s.mainWindow();

    await step('a new till greets the owner: set up the shop, try the demo, or move from another PC', async () => {
      await wd.waitFor('[data-test=wizard-setup]');
      assert((await wd.text('.wizard h1')) === '欢迎使用 Paydesk', 'welcome in Chinese');
      assert(await wd.exists('[data-test=wizard-demo]') && await wd.exists('[data-test=wizard-move]'), 'demo and move offered');
      await shot('20-setup-welcome');
    });

    await step('the shop and its owner, with the callback modes explained', async () => {
      await wd.click('[data-test=wizard-setup]');
      await wd.type('[data-test=setup-shop]', '小王便利店');
      await wd.type('[data-test=setup-name]', '王老板');
      await wd.type('[data-test=setup-pin]', '246810');
      await wd.type('[data-test=setup-pin2]', '246810');
      assert((await wd.text('.cb-modes')).includes('仅主动查询'), 'polling explained');
      await shot('21-setup-shop');
      await wd.click('[data-test=setup-submit]');
      await wd.waitFor('[data-test=wizard-channel]');
    });

    await step('the first merchant account: key files imported sealed, the connection tested', async () => {
      await wd.exec('const c = document.querySelector("[data-test=wizard-channel]"); c.value = "sandbox"; c.dispatchEvent(new Event("change"));');
      await wd.type('[data-test=wizard-base-url]', `${simUrl}/sandbox`);
      await wd.type('[data-param=merchant_id]', 'M100001');
      await wd.type('[data-param=private_key_file]', join(assets, 'demo/keys/merchant_private.pem'));
      await wd.type('[data-param=gateway_public_key_file]', join(assets, 'demo/keys/gateway_public.pem'));
      await wd.click('[data-test=wizard-test]');
      await wd.waitFor('[data-test=wizard-probe][data-ok=true]', 20000);
      const sealed = readFileSync(join(home, 'keys/main.private_key_file.sealed'), 'utf8');
      assert(sealed.startsWith('PAYDESK-SEALED-KEY v2 main private_key_file') && !sealed.includes('PRIVATE KEY'), 'the private key is stored sealed, for its account');
      await shot('22-setup-account');
      await wd.click('[data-test=wizard-next]');
      const summary = await wd.text('[data-test=wizard-summary]');
      assert(summary.includes('小王便利店') && summary.includes('main ✓'), summary);
      await shot('22-setup-ready');
      await wd.click('[data-test=wizard-finish]');
      // A new till sells once its first shift is open (the float counted into the drawer).
      await wd.waitFor('[data-screen=cashier] [data-test=no-shift]');
      await wd.clear('[data-test=float]');
      await wd.type('[data-test=float]', '200' + KEY.enter);
      await wd.waitFor('[data-test=shift-no]');
      await wd.waitFor('[data-screen=cashier] [data-method=sandbox]');
      assert((await wd.text('[data-test=who]')).includes('王老板'), 'the owner is logged in');
      const cfg = readFileSync(join(home, 'config.toml'), 'utf8');
      assert(cfg.includes('shop_name = "小王便利店"'), cfg);
    });

    await step('Backups: never backed up is a warning; back up now makes a verified copy', async () => {
      await wd.click('[data-nav=settings]');
      await wd.click('[data-tab=backup]');
      await wd.waitFor('[data-test=backup-warning][data-health=never]');
      await wd.click('[data-test=backup-now]');
      await toastSays('已备份并校验');
      await wd.waitFor('[data-test=backup-status][data-health=ok]');
      const files = readdirSync(join(home, 'backups')).filter((f) => /^paydesk-\d{8}T\d{6}Z\.db$/.test(f));
      assert(files.length === 1, `one backup in the folder: ${files}`);
      assert((await wd.text('[data-test=app-version]')).startsWith('Paydesk 0.'), 'the version is shown');
      await shot('23-backups');
    });
  });
} finally {
  sim.kill();
}
