// End-to-end test of routing in the built app (WebKitGTK, demo mode, the real simulator): the
// owner tunes an account inline (audited), the main account's QR creation fails and the sale
// moves to the backup account — the order detail shows both attempts and the abandoned one is
// closed at the channel — and a cashier over the daily limit is refused at the till.
// Usage (under Xvfb, tauri-driver running): node e2e-routing.mjs /abs/paydesk-app

import { KEY, assert, sleep, suite } from './suite.mjs';

const s = suite('e2e-routing');
const { wd, step, shot, login, logout, invoke, toastSays } = s;

await s.run(['--demo', '--no-customer-display'], async () => {
  await s.mainWindow();

  await step('the owner sees both accounts with their health and changes one inline (audited)', async () => {
    await login('李老板', '999999');
    await wd.waitFor('[data-screen=cashier]');
    await wd.click('[data-nav=settings]');
    await wd.click('[data-tab=accounts]');
    await wd.waitFor('tr[data-account=sandbox-backup] [data-test=health]');
    assert(await wd.exists('tr[data-account=sandbox-demo] [data-health=closed]'), 'health shown');
    await wd.clear('tr[data-account=sandbox-backup] [data-field=weight]');
    await wd.type('tr[data-account=sandbox-backup] [data-field=weight]', '2');
    await wd.click('tr[data-account=sandbox-backup] [data-test=save-routing]');
    // Account management asks for the owner's PIN again.
    await wd.waitFor('[data-test=reauth-pin]');
    await wd.type('[data-test=reauth-pin]', '999999');
    await wd.click('[data-test=reauth-ok]');
    await toastSays('weight 1 → 2');
    const list = await invoke('list_accounts', {});
    assert(list.ok.find((v) => v.account.name === 'sandbox-backup').account.weight === 2, 'weight saved in the book');
    await shot('r1-channels');
  });

  let saleOrder = '';
  await step('the main account fails the QR creation: the sale moves to the backup account', async () => {
    await wd.click('[data-test=demo-fail]');
    await sleep(300);
    await wd.click('[data-nav=cashier]');
    await wd.click('[data-method=sandbox]');
    await wd.type('[data-test=scan]', '9.90' + KEY.enter);
    await wd.waitFor('[data-state=qr] [data-test=qr] svg', 20000);
    saleOrder = await wd.exec('return document.querySelector("[data-state=qr]").dataset.order');
    const d = (await invoke('order_detail', { orderNo: saleOrder })).ok;
    assert(d.order.account === 'sandbox-backup', `sale on ${d.order.account}`);
    const attempts = d.route.attempts.map((a) => `${a.account}:${a.outcome}`);
    assert(JSON.stringify(attempts) === JSON.stringify(['sandbox-demo:abandoned', 'sandbox-backup:accepted']), `attempts ${attempts}`);
    await wd.click('[data-test=sim-pay]');
    await wd.waitFor(`[data-state=success][data-order="${saleOrder}"]`, 15000);
  });

  await step('the order detail shows the routing; the abandoned attempt is closed at the channel', async () => {
    await wd.click('[data-nav=orders]');
    await wd.jsClick(`[data-open="${saleOrder}"]`);
    await wd.waitFor('[data-test=route] [data-test=attempts] li[data-outcome=abandoned]');
    assert((await wd.text('[data-test=route]')).includes('sandbox-backup'), 'route lists the backup');
    const first = (await invoke('order_detail', { orderNo: saleOrder })).ok.route.attempts[0].order_no;
    let status = '';
    for (const end = Date.now() + 20000; Date.now() < end && status !== 'closed'; await sleep(300)) status = (await invoke('order_detail', { orderNo: first })).ok.order.status;
    assert(status === 'closed', `abandoned attempt is ${status}`);
    await wd.exec('document.querySelector("[data-test=route]").scrollIntoView()');
    await sleep(300);
    await shot('r2-order-routing');
  });

  await step('a daily limit refuses the cashier at the till, clearly and audited', async () => {
    await wd.click('[data-nav=settings]'); // opens on the general tab
    await wd.waitFor('[data-test=callback-status]');
    await sleep(300); // the tab draws once more when its data arrives
    await wd.type('[data-test=limit-cashier-amount]', '10.00');
    await wd.click('[data-test=save-limits]');
    await toastSays('限额');
    await logout();
    await login('王芳', '1111');
    await wd.waitFor('[data-method=sandbox]');
    await wd.click('[data-key="2"]');
    await wd.click('[data-key="0"]');
    await wd.type('[data-test=scan]', '990000000000000001' + KEY.enter);
    await wd.waitFor('[data-state=failed]', 15000);
    const text = await wd.text('[data-state=failed]');
    assert(text.includes('超出每日限额') && text.includes('¥10.00'), `refusal: ${text}`);
    const r = await invoke('create_qr', { req: { amount: '20.00', method: 'sandbox', sale_id: 'over-limit' } });
    assert(r.err?.code === 'limit' && r.err.details?.who === '王芳', `Rust refuses too: ${JSON.stringify(r)}`);
    await shot('r3-limit-refused');
    await logout();
    await login('李老板', '999999');
    await wd.click('[data-nav=audit]');
    await wd.waitFor('[data-action=limit_refused][data-outcome=denied]');
    await wd.waitFor('[data-action=account_settings][data-outcome=ok]');
    await shot('r4-audit');
  });
});
