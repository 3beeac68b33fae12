// End-to-end test of the built app in WebKitGTK (tauri-driver + WebKitWebDriver), demo mode:
// log in as cashier, take a QR payment, charge a scanned code, see Success; a cashier is refused
// the refund (UI and Rust); the owner refunds with the PIN. With SCREENSHOTS=DIR it also saves a
// screenshot of each screen. Usage (under Xvfb, tauri-driver running): node e2e.mjs /abs/paydesk-app

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { KEY, assert, sleep, suite } from './suite.mjs';

const s = suite('e2e');
const { wd, step, shot, login, logout, invoke, until, shots } = s;

let mainHandle = null;
let customerHandle = null;

async function screen(name) {
  // The whole X screen (both windows), with the real window decorations if any.
  if (!shots || !process.env.DISPLAY) return;
  try { execFileSync('import', ['-window', 'root', join(shots, `${name}.png`)]); } catch (e) { console.log(`(no root screenshot: ${e.message})`); }
}
async function onWindow(handle, f) {
  await wd.switchTo(handle);
  try { return await f(); } finally { await wd.switchTo(mainHandle); }
}

await s.run(['--demo'], async () => {
  // Find the cashier's window (the customer display is a second window).
  for (let tries = 0; tries < 50 && !mainHandle; tries++) {
    await sleep(200);
    for (const h of await wd.windows()) {
      await wd.switchTo(h);
      const kind = await wd.exec('return document.getElementById("customer") ? "customer" : document.querySelector("[data-screen]") ? "main" : ""');
      if (kind === 'customer') customerHandle = h;
      if (kind === 'main') mainHandle = h;
    }
  }
  assert(mainHandle, 'no main window');
  await wd.switchTo(mainHandle);

  await step('login screen lists the demo users', async () => {
    await wd.waitFor('[data-user]');
    assert((await wd.text('[data-test=demo-users]')).includes('1111'), 'demo users shown');
    await shot('01-login');
  });

  let qrOrder = '';
  let codeOrder = '';
  await step('cashier takes a QR payment: amount, Enter, customer pays, Success', async () => {
    await login('王芳', '1111');
    await wd.waitFor('[data-screen=cashier] [data-method=sandbox]');
    await shot('02-cashier');
    await wd.type('[data-test=scan]', '12.34' + KEY.enter);
    await wd.waitFor('[data-state=qr] [data-test=qr] svg', 15000);
    qrOrder = await wd.exec('return document.querySelector("[data-state=qr]").dataset.order');
    assert(/^P\d{17}/.test(qrOrder), `order number ${qrOrder}`);
    assert((await wd.text('[data-state=qr]')).includes('12.34'), 'QR shows the amount');
    await sleep(300);
    await shot('03-cashier-qr');
    await screen('04-both-windows-qr');
    if (customerHandle) await onWindow(customerHandle, async () => { await wd.waitFor('[data-state=qr] svg'); await shot('05-customer-qr'); });
    // A second charge for the same sale is refused by Rust while the QR is open.
    const second = await invoke('create_qr', { req: { amount: '1.00', sale_id: 'another-sale' } });
    assert(second.err?.code === 'sale_in_progress', `second charge: ${JSON.stringify(second)}`);
    await wd.click('[data-test=sim-pay]');
    await wd.waitFor(`[data-state=success][data-order="${qrOrder}"]`, 15000);
    assert((await wd.text('[data-test=paid-amount]')).includes('12.34'), 'success shows the amount');
    await wd.waitFor('[data-test=voice-text]');
    assert((await wd.text('[data-test=voice-text]')).includes('12.34'), 'announced');
    await shot('06-cashier-success');
    if (customerHandle) await onWindow(customerHandle, async () => { await wd.waitFor('[data-state=success]'); await shot('07-customer-thanks'); });
  });

  await step('Enter starts a new sale; a scanned code is charged: Success', async () => {
    await wd.type('[data-test=scan]', KEY.enter);
    await wd.waitFor('[data-state=entering]');
    await wd.click('[data-key="8"]');
    await wd.click('[data-key="."]');
    await wd.click('[data-key="8"]');
    await wd.type('[data-test=scan]', '990000000000000003' + KEY.enter);
    await wd.waitFor('[data-state=success]', 15000);
    assert((await wd.text('[data-test=paid-amount]')).includes('8.80'), 'paid 8.80');
    codeOrder = await wd.exec('return document.querySelector("[data-state=success]").dataset.order');
  });

  await step('an unclear payment shows "checking" until it is resolved', async () => {
    await wd.type('[data-test=scan]', KEY.enter);
    await wd.type('[data-test=scan]', '6' + KEY.enter); // amount 6 → QR; cancel it, then pay by a slow code
    await wd.waitFor('[data-state=qr]');
    await wd.click('[data-test=cancel]');
    await wd.waitFor('[data-state=closed]', 15000);
    await wd.type('[data-test=scan]', KEY.enter);
    await wd.waitFor('[data-state=entering]');
    await wd.click('[data-key="6"]');
    await wd.type('[data-test=scan]', '990000000000000005' + KEY.enter); // the payer must confirm: unclear for ~3 s
    await wd.waitFor('[data-state=checking]', 10000);
    await shot('08-cashier-checking');
    await wd.waitFor('[data-state=success]', 30000);
  });

  await step('a cashier is refused the refund (no button, and Rust says forbidden)', async () => {
    await wd.click('[data-nav=orders]');
    await wd.jsClick(`[data-open="${qrOrder}"]`);
    await wd.waitFor('[data-test=timeline] li');
    // The order's history speaks Chinese: created, code shown, paid (core's codes worded by the UI).
    const story = await wd.text('[data-test=timeline]');
    assert(story.includes('创建扫码订单 ¥12.34') && story.includes('已出示收款码') && story.includes('已支付'), `timeline: ${story}`);
    assert(!(await wd.exists('[data-test=refund-form]')), 'no refund form for a cashier');
    const r = await invoke('refund', { req: { order_no: qrOrder, amount: '1.00', reason: null, pin: '1111' } });
    assert(r.err?.code === 'forbidden', `cashier refund: ${JSON.stringify(r)}`);
    await logout();
  });

  await step('the owner refunds part of the order with the PIN', async () => {
    await login('李老板', '999999');
    await wd.waitFor('[data-screen=cashier]');
    await wd.click('[data-nav=orders]');
    await wd.jsClick(`[data-open="${qrOrder}"]`);
    await wd.waitFor('[data-test=refund-form]');
    await wd.clear('[data-test=refund-amount]');
    await wd.type('[data-test=refund-amount]', '2.34');
    await wd.type('[data-test=refund-reason]', '退一杯');
    await wd.type('[data-test=refund-pin]', '999999');
    await wd.click('[data-test=refund-submit]');
    await wd.waitFor('[data-refund]', 15000);
    assert((await wd.text('[data-test=detail]')).includes('2.34'), 'refund listed');
    await sleep(300);
    await shot('09-orders');
  });

  await step('the owner revokes the scanned payment the same day: the whole amount, at the channel', async () => {
    await wd.jsClick(`[data-open="${codeOrder}"]`);
    await wd.waitFor('[data-test=revoke-submit]');
    assert((await wd.text('[data-test=revoke-submit]')).includes('8.80'), 'the whole amount');
    await wd.type('[data-test=refund-reason]', '顾客取消');
    await wd.type('[data-test=refund-pin]', '999999');
    await shot('09b-orders-revoke');
    await wd.click('[data-test=revoke-submit]');
    await wd.waitFor('[data-refund][data-kind=revoke]', 15000);
    assert((await wd.text('[data-test=detail-status]')) === '已退款', 'revoked: refunded in full');
    const story = await wd.text('[data-test=timeline]');
    assert(story.includes('申请当日撤销') && story.includes('撤销'), `timeline: ${story}`);
    assert(!(await wd.exists('[data-test=refund-form]')), 'nothing left to refund');
  });

  if (shots) {
    await step('screenshots of the settings and audit screens', async () => {
      await sleep(4200); // let the refund's toast fade
      await wd.click('[data-nav=settings]');
      await wd.waitFor('[data-test=callback-status]');
      await shot('10-settings-general');
      await wd.click('[data-tab=accounts]');
      await wd.waitFor('[data-account]');
      await wd.click('[data-test=test-connection]');
      for (let i = 0; i < 50 && !(await wd.text('[data-test=toast]')).includes('✓'); i++) await sleep(100);
      await shot('11-settings-accounts');
      await wd.click('[data-tab=users]');
      await sleep(400);
      await shot('12-settings-users');
      await wd.click('[data-tab=receipt]');
      await wd.waitFor('[data-test=receipt]');
      await shot('13-receipt');
      await wd.click('[data-nav=audit]');
      await wd.waitFor('[data-action=refund]');
      await shot('14-audit');
      await wd.exec('document.querySelector("[data-test=lang]").value = "en"; document.querySelector("[data-test=lang]").dispatchEvent(new Event("change"))');
      await sleep(300);
      await wd.click('[data-nav=cashier]');
      await wd.waitFor('[data-method=sandbox]');
      await wd.type('[data-test=scan]', '25' + KEY.enter);
      await wd.waitFor('[data-state=qr] svg');
      await sleep(300);
      await shot('15-cashier-qr-en');
      await wd.click('[data-test=cancel]');
      await wd.waitFor('[data-state=closed]', 15000);
      await wd.exec('document.querySelector("[data-test=lang]").value = "zh-CN"; document.querySelector("[data-test=lang]").dispatchEvent(new Event("change"))');
    });
  }
});
