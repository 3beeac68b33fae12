// Desktop end-to-end suite for UnionPay in demo mode (WebKitGTK via tauri-driver): the cashier
// sees UnionPay (云闪付) among the methods, takes a UnionPay QR payment the customer pays, and
// charges a UnionPay payment code (62…). With SCREENSHOTS=DIR it saves the cashier screens.
// Usage (under Xvfb, tauri-driver running): node e2e-unionpay.mjs /abs/paydesk-app

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEY, WebDriver, sleep } from './webdriver.mjs';

const app = process.argv[2];
const shots = process.env.SCREENSHOTS || '';
if (!app) { console.error('usage: node e2e-unionpay.mjs /abs/path/to/paydesk-app'); process.exit(2); }
if (shots) mkdirSync(shots, { recursive: true });

const results = [];
const wd = new WebDriver();
async function step(name, f) {
  const t0 = Date.now();
  try { await f(); results.push([name, true]); console.log(`ok   ${name} (${Date.now() - t0} ms)`); }
  catch (e) {
    results.push([name, false]);
    console.log(`FAIL ${name}: ${e.stack ?? e}`);
    const file = join(process.env.TMPDIR || '/tmp', 'paydesk-e2e-unionpay-failure.png');
    try { writeFileSync(file, await wd.screenshot()); console.log(`     screenshot: ${file}`); } catch { /* no session */ }
    throw e;
  }
}
function assert(c, msg) { if (!c) throw new Error(msg); }
async function shot(name) { if (shots) writeFileSync(join(shots, `${name}.png`), await wd.screenshot()); }

try {
  await WebDriver.waitReady();
  await wd.start(app, ['--demo']);
  let main = null;
  for (let tries = 0; tries < 50 && !main; tries++) {
    await sleep(200);
    for (const h of await wd.windows()) {
      await wd.switchTo(h);
      if (await wd.exec('return !!document.querySelector("[data-screen]")')) main = h;
    }
  }
  assert(main, 'no main window');
  await wd.switchTo(main);

  await step('the cashier sees UnionPay among the payment methods', async () => {
    await wd.waitFor('[data-screen=login]');
    await wd.click('[data-user="王芳"]');
    await wd.type('[data-test=pin]', '1111' + KEY.enter);
    await wd.waitFor('[data-screen=cashier] [data-method=unionpay]');
    assert((await wd.text('[data-method=unionpay]')).includes('云闪付'), 'labelled 云闪付');
    assert(await wd.exists('[data-method=sandbox]'), 'the sandbox wallet is still offered');
    await shot('u1-cashier-methods');
  });

  await step('a UnionPay QR payment: choose 云闪付, the customer pays, Success', async () => {
    await wd.type('[data-test=scan]', '23.45');
    await wd.click('[data-method=unionpay]');
    await wd.waitFor('[data-state=qr] [data-test=qr] svg', 15000);
    const order = await wd.exec('return document.querySelector("[data-state=qr]").dataset.order');
    assert(/^P\d{17}/.test(order), `order number ${order}`);
    await sleep(300);
    await shot('u2-cashier-unionpay-qr');
    await wd.click('[data-test=sim-pay]');
    await wd.waitFor(`[data-state=success][data-order="${order}"]`, 15000);
    assert((await wd.text('[data-test=paid-amount]')).includes('23.45'), 'paid 23.45');
    await shot('u3-cashier-unionpay-paid');
  });

  await step('a UnionPay payment code is charged: Success', async () => {
    await wd.type('[data-test=scan]', KEY.enter);
    await wd.waitFor('[data-state=entering]');
    await wd.click('[data-key="9"]');
    await wd.type('[data-test=scan]', '6212345678901234560' + KEY.enter);
    await wd.waitFor('[data-state=success]', 15000);
    assert((await wd.text('[data-test=paid-amount]')).includes('9.00'), 'paid 9.00');
  });
} catch {
  process.exitCode = 1;
} finally {
  await wd.quit();
  const passed = results.filter((r) => r[1]).length;
  console.log(`${passed} passed, ${results.length - passed} failed`);
  if (results.length === 0) process.exitCode = 1;
}
