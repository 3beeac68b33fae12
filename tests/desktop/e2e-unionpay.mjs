// Desktop end-to-end suite for UnionPay in demo mode (WebKitGTK via tauri-driver): the cashier
// sees UnionPay (云闪付) among the methods, takes a UnionPay QR payment the customer pays, and
// charges a UnionPay payment code (62…). With SCREENSHOTS=DIR it saves the cashier screens.
// Usage (under Xvfb, tauri-driver running): node e2e-unionpay.mjs /abs/paydesk-app

import { KEY, assert, sleep, suite } from './suite.mjs';

const s = suite('e2e-unionpay');
const { wd, step, shot, login } = s;

await s.run(['--demo'], async () => {
  await s.mainWindow();

  await step('the cashier sees UnionPay among the payment methods', async () => {
    await login('王芳', '1111');
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
});
