// End-to-end test of a whole shift in WebKitGTK, demo mode (its virtual receipt printer keeps
// what it is sent): the demo's shift is handed over blind, a new one opens with a float; sales
// by cash (two keystrokes, change shown), card terminal, voucher, a payment code and a split
// (part cash, rest by QR); receipts print on their own; a refund at the counter; reprint and
// preview from the order detail; finding a payment; the handover with a blind count (over/short);
// the day close with its Z report. SCREENSHOTS=DIR keeps screenshots and the printed receipts.
// Usage (under Xvfb, tauri-driver running): node e2e-shift.mjs /abs/paydesk-app

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEY, assert, sleep, suite } from './suite.mjs';

const s = suite('e2e-shift');
const { wd, step, shot, login, logout, invoke, until } = s;

// Jobs the spooler finished (counting the printed pictures would hand dozens of PNGs through the driver).
const printedCount = async () => ((await invoke('print_jobs', {})).ok ?? []).filter((j) => j.status === 'done').length;
const text = (css) => wd.text(css).catch(() => '');

/** Types the amount, then a tender key, then what follows it (tendered or a reference) and Enter. */
async function tender(amount, key, then) {
  await wd.click('[data-test=new-sale]').catch(() => {});
  await wd.waitFor('[data-state=entering]');
  await wd.type('[data-test=scan]', amount);
  await wd.type('[data-test=scan]', key);
  await wd.waitFor('[data-state=tender]');
  await wd.type('[data-test=scan]', then + KEY.enter);
}

await s.run(['--demo', '--no-customer-display'], async () => {
  await s.mainWindow();

  await step('the demo shift is handed over with a blind count', async () => {
    await login('王芳', '1111');
    await wd.waitFor('[data-test=shift-no]');
    await wd.click('[data-test=close-shift]');
    await wd.waitFor('[data-test=count-form]');
    const form = await text('[data-test=count-form]');
    assert(!form.includes('200.00') && !form.includes('应有现金 2'), `the count form does not show the expected cash: ${form}`);
    await wd.type('[data-test=counted]', '200.00');
    await wd.click('[data-test=close-shift-submit]');
    await wd.waitFor('[data-test=shift-report][data-locked=true]');
    assert((await text('[data-test=over-short]')) === '0.00', `nothing over or short: ${await text('[data-test=over-short]')}`);
    await wd.click('[data-test=done]');
    await wd.waitFor('[data-test=no-shift]');
    // No shift: no payment is taken.
    const r = await invoke('record_tender', { req: { method: 'cash', amount: '1.00', tendered: null, reference: null, sale_id: 'x1', sale: null } });
    assert(r.err?.code === 'no_shift', `refused without a shift: ${JSON.stringify(r)}`);
  });

  let shiftNo = '';
  await step('a new shift opens with the counted float', async () => {
    await wd.clear('[data-test=float]');
    await wd.type('[data-test=float]', '300' + KEY.enter);
    await wd.waitFor('[data-test=shift-no]');
    shiftNo = await wd.exec('return document.querySelector("[data-test=shift-no]").dataset.shift');
    assert(/^T1-\d{8}-\d+$/.test(shiftNo), `a shift number: ${shiftNo}`);
    await shot('30-shift-open');
  });

  await step('cash in two keystrokes: 35, +, 50 handed over → change 15.00, receipt printed', async () => {
    const before = await printedCount();
    await wd.click('[data-test=scan]');
    await wd.type('[data-test=scan]', '35');
    await wd.type('[data-test=scan]', '+');
    await wd.waitFor('[data-state=tender][data-tender=cash]');
    await wd.type('[data-test=scan]', '50');
    await until(async () => (await text('[data-test=change-preview]')).includes('15.00'), 5000, 'the change preview');
    await shot('31-cash-tendered');
    await wd.type('[data-test=scan]', KEY.enter);
    await wd.waitFor('[data-state=success]');
    assert((await text('[data-test=change]')).includes('15.00'), `change shown: ${await text('[data-test=change]')}`);
    await until(async () => (await printedCount()) > before, 10000, 'the receipt at the printer');
    await until(async () => (await wd.exec('return document.querySelector("[data-test=print-status]")?.dataset.status')) === 'done', 10000, 'print status done');
    await shot('32-cash-change');
  });

  await step('card terminal (F3, with the slip reference) and voucher (F4)', async () => {
    await tender('88', KEY.f3, 'TERM0042');
    await wd.waitFor('[data-state=success]');
    await tender('20', KEY.f4, '');
    await wd.waitFor('[data-state=success]');
  });

  await step('a payment code at the till', async () => {
    await wd.click('[data-test=new-sale]');
    await wd.type('[data-test=scan]', '9.00');
    await wd.click('[data-code="990000000000000001"]');
    await wd.waitFor('[data-state=success]', 20000);
  });

  await step('a split sale: 40.00 cash, the other 60.00 by QR — one sale, two tenders', async () => {
    await tender('100', '+', '40');
    await until(async () => (await text('[data-test=split]')).includes('60.00'), 10000, 'the split note');
    await shot('33-split');
    await wd.type('[data-test=scan]', KEY.enter);
    await wd.waitFor('[data-state=qr] [data-test=qr] svg', 15000);
    await wd.click('[data-test=sim-pay]');
    await wd.waitFor('[data-state=success]', 15000);
    const orders = (await invoke('list_orders', { filter: { find: `shift:${shiftNo} 60` } })).ok;
    const cash = (await invoke('list_orders', { filter: { find: `shift:${shiftNo} 40` } })).ok;
    assert(orders.length === 1 && cash.length === 1 && orders[0].sale_id && orders[0].sale_id === cash[0].sale_id, 'the two tenders share the sale');
  });

  await step('a refund at the counter, printed; reprint and preview from the order detail', async () => {
    await logout();
    await login('李老板', '999999');
    await wd.click('[data-nav=orders]');
    await wd.type('[data-filter=find]', `shift:${shiftNo} 35` + KEY.enter);
    await until(async () => (await wd.findAll('[data-order]')).length === 1, 10000, 'the cash sale found');
    await wd.click('[data-open]');
    await wd.clear('[data-test=refund-amount]');
    await wd.type('[data-test=refund-amount]', '5.00');
    await wd.type('[data-test=refund-pin]', '999999');
    await wd.click('[data-test=refund-submit]');
    await wd.waitFor('[data-test=print-refund]', 15000);
    const before = await printedCount();
    await wd.click('[data-test=print-refund]');
    await wd.click('[data-test=reprint]');
    await until(async () => (await printedCount()) >= before + 2, 10000, 'refund and reprint at the printer');
    await wd.click('[data-test=preview]');
    await wd.waitFor('[data-test=receipt-preview] img');
    await sleep(300);
    await shot('34-order-preview');
  });

  await step('finding a payment by the last digits of its code', async () => {
    await wd.clear('[data-filter=find]');
    await wd.type('[data-filter=find]', '*0001' + KEY.enter);
    await until(async () => (await wd.findAll('[data-order]')).length >= 1, 10000, 'found by *0001');
    const amounts = await wd.exec('return [...document.querySelectorAll("[data-order] td.num")].map((e) => e.textContent)');
    assert(amounts.some((a) => a.includes('9.00')), `the 9.00 code payment: ${amounts}`);
  });

  await step('hand over with a blind count: 1.00 short', async () => {
    await wd.click('[data-nav=cashier]');
    await wd.click('[data-test=x-report]');
    await wd.waitFor('[data-test=shift-report]');
    await wd.click('[data-test=back]');
    await wd.click('[data-test=close-shift]');
    // Expected: 300 float + 35 + 40 cash − 5 refunded = 370.00; counted 369.00.
    await wd.type('[data-test=counted]', '369.00');
    await wd.click('[data-test=close-shift-submit]');
    await wd.waitFor('[data-test=shift-report][data-locked=true]');
    assert((await text('[data-test=expected]')) === '370.00', `expected ${await text('[data-test=expected]')}`);
    assert((await text('[data-test=over-short]')) === '-1.00', `over/short ${await text('[data-test=over-short]')}`);
    await sleep(300);
    await shot('35-handover');
    await wd.click('[data-test=done]');
  });

  await step('the day closes with a numbered Z report', async () => {
    await wd.click('[data-nav=shifts]');
    await wd.waitFor(`[data-shift="${shiftNo}"]`);
    await wd.click('[data-test=close-day]');
    await wd.waitFor('[data-test=z-report]', 15000);
    assert((await text('[data-test=z-report]')).includes('Z0001'), 'Z0001');
    await until(async () => (await wd.findAll('[data-z]')).length >= 1, 10000, 'the Z in the list');
    const again = await invoke('close_day', {});
    assert(again.err?.code === 'conflict' && again.err.message.includes('already taken'), `once per day: ${JSON.stringify(again)}`);
    await sleep(300);
    await shot('36-z-report');
    // What the printer printed, newest first (Z reports, handover, receipts): kept as pictures.
    // The spooler's jobs, done: receipts, the refund slip, the handover and the Z (the pictures
    // of a dozen receipts at once are more than the driver hands back).
    const jobs = (await invoke('print_jobs', {})).ok ?? [];
    const done = jobs.filter((j) => j.status === 'done').length;
    assert(done >= 8, `receipts, refund, handover and Z printed: ${done} of ${jobs.length}`);
    if (s.shots) {
      const printed = (await invoke('demo_printed', { limit: 4 })).ok ?? [];
      printed.forEach((url, i) => writeFileSync(join(s.shots, `receipt-${String(i).padStart(2, '0')}.png`), Buffer.from(url.split(',')[1], 'base64')));
    }
  });

  await step('the printer settings: a network printer needs its address; a test page is shown as printed', async () => {
    await wd.click('[data-nav=settings]');
    await wd.click('[data-tab=receipt]');
    await wd.waitFor('[data-test=printer-form]');
    await wd.waitFor('[data-test=receipt] img', 15000);
    const visible = (css) => wd.exec(`return !document.querySelector(${JSON.stringify(css)}).closest('label').hidden`);
    assert(await visible('[data-test=printer-address]') && !(await visible('[data-test=printer-device]')), 'the demo printer is a network printer: address shown, device hidden');
    await wd.exec('const c = document.querySelector("[data-test=printer-connection]"); c.value = "usb"; c.dispatchEvent(new Event("change"))');
    assert(!(await visible('[data-test=printer-address]')) && await visible('[data-test=printer-device]'), 'USB: the device file');
    await wd.exec('const c = document.querySelector("[data-test=printer-connection]"); c.value = "tcp"; c.dispatchEvent(new Event("change"))');
    await wd.clear('[data-test=printer-address]');
    await wd.click('[data-test=printer-save]');
    await until(async () => (await text('[data-test=toast]')).includes('printer.address'), 5000, 'the missing address named');
    await wd.click('[data-nav=orders]');
    await wd.click('[data-nav=settings]');
    await wd.click('[data-tab=receipt]');
    await wd.waitFor('[data-test=printer-form]');
    const before = await printedCount();
    await wd.click('[data-test=printer-test]');
    await until(async () => (await wd.exec('return document.querySelector("[data-test=printer-status]").dataset.status')) === 'done', 10000, 'the test page printed');
    await wd.waitFor('[data-test=test-page-preview] img');
    assert((await printedCount()) === before + 1, 'the test page reached the printer');
    await sleep(300);
    await shot('37-printer-settings');
  });
});
