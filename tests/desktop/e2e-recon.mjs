// End-to-end test of the reconciliation screen in the built app (WebKitGTK, demo mode): the demo
// seeds yesterday's sales with planted differences (five: amount, status, missing on either side,
// a payment to the shop's 收款码 sticker) and the T+1 schedule reconciles them at
// start, so the accountant logs in to a badge; the screen shows the summary card and the
// discrepancy rows; a re-query fixes the closed-but-paid order in the book; a resolve needs a
// note; a manual re-run keeps the resolution; the XLSX export lands on disk.
// Usage (under Xvfb, tauri-driver running): node e2e-recon.mjs /abs/paydesk-app

import { existsSync } from 'node:fs';
import { KEY, assert, sleep, suite } from './suite.mjs';

const s = suite('e2e-recon');
const { wd, step, shot, login, invoke, until } = s;

async function count(css) { return (await wd.findAll(css)).length; }

await s.run(['--demo', '--no-customer-display'], async () => {
  await wd.waitFor('[data-screen=login]', 40000);

  await step("the accountant logs in to yesterday's automatic reconciliation (badge)", async () => {
    await wd.click('[data-user="陈会计"]');
    await wd.type('[data-test=pin]', '5555' + KEY.enter);
    await wd.waitFor('[data-nav=recon]');
    await until(async () => (await wd.exists('[data-test=recon-badge]')) && (await wd.text('[data-test=recon-badge]')) === '5', 45000, 'the badge with 5 open discrepancies (the schedule runs at start)');
    assert(!(await wd.exists('[data-nav=cashier]')), 'no cashier tab for the accountant');
  });

  await step('the screen shows the card and both sides of every discrepancy', async () => {
    await wd.click('[data-nav=recon]');
    await wd.waitFor('[data-screen=recon] [data-run]');
    await until(async () => (await count('[data-item]')) === 5, 10000, '5 discrepancy rows');
    assert((await wd.text('[data-test=recon-alert]')).includes('5'), 'alert banner');
    const card = await wd.text('[data-run]');
    assert(card.includes('517.80') && card.includes('23'), `card: ${card}`);
    const amount = await wd.text('[data-kind=amount_differs]');
    assert(amount.includes('12.00') && amount.includes('12.50'), `amount row: ${amount}`);
    for (const k of ['status_differs', 'missing_at_channel', 'missing_in_book', 'external']) assert(await wd.exists(`[data-kind=${k}][data-state=open]`), k);
    await sleep(300);
    await shot('16-reconciliation');
  });

  await step('re-query fixes the book: the closed order was paid (source reconcile)', async () => {
    await wd.click('[data-kind=status_differs] [data-requery]');
    await wd.waitFor('[data-kind=status_differs][data-state=fixed]', 15000);
    const orderNo = await wd.exec('return document.querySelector("[data-kind=status_differs] td.mono").firstChild.textContent');
    const d = await invoke('order_detail', { orderNo });
    assert(d.ok?.order.status === 'success', `order now ${JSON.stringify(d.ok?.order.status ?? d.err)}`);
    assert(d.ok.events.some((e) => e.source === 'reconcile' && e.to_status === 'success'), 'event with source reconcile');
  });

  await step('resolve needs a note, then keeps it', async () => {
    await wd.click('[data-kind=missing_at_channel] [data-resolve]');
    await wd.click('[data-resolve-save]');
    await until(async () => (await wd.text('[data-test=toast]')).startsWith('备注有误'), 5000, 'the note error');
    await wd.type('[data-note]', '现金收款，误记为扫码');
    await wd.click('[data-resolve-save]');
    await wd.waitFor('[data-kind=missing_at_channel][data-state=resolved]');
    assert((await wd.text('[data-kind=missing_at_channel] [data-test=item-note]')) === '现金收款，误记为扫码', 'note shown');
    await until(async () => (await wd.text('[data-test=recon-badge]')) === '3', 5000, 'badge 3');
  });

  await step('a manual re-run with live progress keeps the resolution; the fixed one is gone', async () => {
    // Only the sandbox wallet: the demo's other accounts carry a sales history the simulator never saw.
    for (const a of await wd.exec('return [...document.querySelectorAll("[data-account]")].map((e) => e.dataset.account)')) {
      if (a !== 'sandbox-demo' && await wd.exec('return document.querySelector(`[data-account="${arguments[0]}"]`).checked', a)) await wd.jsClick(`[data-account="${a}"]`);
    }
    await sleep(300);
    await wd.click('[data-test=recon-run]');
    await until(async () => (await count('[data-item]')) === 4 && !(await wd.exec('return document.querySelector("[data-test=recon-run]").disabled')), 20000, 'the re-run');
    assert(await wd.exists('[data-kind=missing_at_channel][data-state=resolved]'), 'resolution carried over');
    assert(!(await wd.exists('[data-kind=status_differs]')), 'the fixed order now matches');
    assert((await wd.text('[data-test=recon-progress]')).length > 0, 'progress line');
    await shot('17-reconciliation-after');
  });

  await step('XLSX export lands in the home', async () => {
    await wd.click('[data-export=xlsx]');
    await until(async () => (await wd.text('[data-test=toast]')).includes('.xlsx'), 10000, 'export toast');
    const toast = await wd.text('[data-test=toast]');
    const path = toast.slice(toast.indexOf('/')).trim();
    assert(existsSync(path), `exported file ${path}`);
    const audit = await invoke('audit_log', {});
    assert(audit.ok.some((e) => e.action === 'reconcile_resolve') && audit.ok.some((e) => e.action === 'reconcile_export'), 'audited');
  });
});
