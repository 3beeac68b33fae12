// End-to-end test of the money chain in the built app (WebKitGTK, demo mode): the demo seeds a
// settlement day on its store accounts, reads their fund flows from the simulator and imports the
// ICBC sample statement at start; the accountant opens the chain tab and sees the picture (book →
// channel agrees, channel → bank one yuan short, UnionPay on its way), imports the CCB sample
// through the file picker (UnionPay's settlement arrives), resolves the short deposit with a note
// (the picture turns green), exports it.
// Usage (under Xvfb, tauri-driver running): node e2e-bank.mjs /abs/paydesk-app

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KEY, assert, sleep, suite } from './suite.mjs';

const s = suite('e2e-bank');
const { wd, step, shot, invoke, until } = s;
const ASSETS = process.env.PAYDESK_ASSETS || join(dirname(fileURLToPath(import.meta.url)), '../../assets');

const link = (which) => wd.exec('return document.querySelector(`[data-link="${arguments[0]}"]`)?.getAttribute("data-state")', which);
const account = (name) => wd.text(`[data-chain-account="${name}"]`);

/** A sample statement moved from its base day (2026-11-25) to `day`, as the demo does (dates are ASCII in GBK). */
function sample(file, day) {
  const text = readFileSync(join(ASSETS, 'demo/bank', file)).toString('latin1');
  const base = Date.UTC(2026, 10, 25);
  const target = Date.parse(`${day}T00:00:00Z`);
  const pairs = new Map();
  for (let k = 0; k < 7; k++) {
    const f = new Date(base + k * 86_400_000).toISOString().slice(0, 10);
    const t = new Date(target + k * 86_400_000).toISOString().slice(0, 10);
    pairs.set(f, t);
    pairs.set(f.replaceAll('-', ''), t.replaceAll('-', ''));
  }
  const re = new RegExp([...pairs.keys()].sort((a, b) => b.length - a.length).join('|'), 'g');
  return [...Buffer.from(text.replace(re, (m) => pairs.get(m)), 'latin1')];
}

await s.run(['--demo', '--no-customer-display'], async () => {
  await wd.waitFor('[data-screen=login]', 40000);
  let day = '';

  await step('the accountant opens the money chain of the demo settlement day', async () => {
    await wd.click('[data-user="陈会计"]');
    await wd.type('[data-test=pin]', '5555' + KEY.enter);
    await wd.waitFor('[data-nav=recon]');
    // The demo reads the fund flows and imports the first bank statement in the background.
    await until(async () => (await invoke('bank_overview', { day: null })).ok?.chain.bank_covered_to != null, 45000, 'the demo settlement day');
    await wd.click('[data-nav=recon]');
    await wd.click('[data-tab=bank]');
    await wd.waitFor('[data-test=bank-chain] svg [data-box=bank]');
    day = await wd.exec('return document.querySelector("[data-test=bank-day]").value');
    assert(/^\d{4}-\d\d-\d\d$/.test(day), `day ${day}`);
  });

  await step('the picture: book → channel agrees, channel → bank one yuan short, UnionPay on its way', async () => {
    assert((await link('book-channel')) === 'agree', `book → channel ${await link('book-channel')}`);
    assert((await link('channel-bank')) === 'differ', `channel → bank ${await link('channel-bank')}`);
    assert((await wd.text('[data-link=channel-bank]')).includes('1.00'), 'the difference on the arrow');
    assert((await wd.text('[data-box=channel]')).includes('225.72'), `channel box: ${await wd.text('[data-box=channel]')}`);
    assert((await account('alipay-store')).includes('已到账'), 'Alipay arrived');
    assert((await account('wechat-store')).includes('到账不足'), 'WeChat Pay short');
    assert((await account('unionpay-store')).includes('待到账'), 'UnionPay on its way');
    assert((await wd.text('[data-kind=short_deposit] [data-test=item-why]')).includes('少 ¥1.00'), 'why, in Chinese');
  });

  await step('importing the CCB export through the file picker brings UnionPay’s settlement', async () => {
    const bytes = sample('ccb-demo.csv', day);
    await wd.exec(`const input = document.querySelector('[data-test=bank-file]');
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(arguments[0])], 'ccb-demo.csv', { type: 'text/csv' }));
      input.files = dt.files;
      input.dispatchEvent(new Event('change'));`, bytes);
    await until(async () => (await wd.exec('return document.querySelector("[data-test=bank-file-name]").textContent')) === 'ccb-demo.csv', 5000, 'the chosen file');
    await wd.click('[data-test=bank-import]');
    await until(async () => (await account('unionpay-store')).includes('已到账'), 15000, 'UnionPay arrived');
    assert((await link('channel-bank')) === 'differ', 'still one yuan short');
    await sleep(400);
    await shot('19-money-chain');
  });

  await step('resolving the short deposit with a note turns the picture green', async () => {
    await wd.click('[data-kind=short_deposit] [data-resolve]');
    await wd.click('[data-resolve-save]');
    await until(async () => (await wd.text('[data-test=toast]')).startsWith('备注有误'), 5000, 'a note is required');
    await wd.type('[data-note]', '银行扣了 1 元跨行汇款手续费');
    await wd.click('[data-resolve-save]');
    await wd.waitFor('[data-kind=short_deposit][data-state=resolved]');
    await until(async () => (await link('channel-bank')) === 'agree', 10000, 'channel → bank agrees');
    const audit = await invoke('audit_log', {});
    assert(['bank_import', 'bank_resolve', 'settle'].every((a) => audit.ok.some((e) => e.action === a)), 'audited');
  });

  await step('the bank report is written (XLSX)', async () => {
    await wd.click('[data-bank-export=xlsx]');
    await until(async () => (await wd.text('[data-test=toast]')).includes('.xlsx'), 10000, 'export toast');
    const toast = await wd.text('[data-test=toast]');
    const path = toast.slice(toast.indexOf('/')).trim();
    assert(existsSync(path) && path.includes(`bank-${day}`), `exported file ${path}`);
  });
});
