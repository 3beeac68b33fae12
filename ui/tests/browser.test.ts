// The built UI in Chromium with the fake backend: the cashier's two-keystroke payment, the
// scanner, roles, refunds, language. Needs `npm run build` and /usr/bin/chromium.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useBrowser } from './harness';

const h = useBrowser();

async function open(query = ''): Promise<Page> {
  const page = await h.browser.newPage({ viewport: { width: 1200, height: 780 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${h.base}/index.html${query}`);
  await page.waitForSelector('[data-screen=login]');
  (page as unknown as { errors: string[] }).errors = errors;
  return page;
}

/** Clicks the appearance button (system → light → dark) until it shows `want`. */
async function theme(page: Page, want: string) {
  for (let i = 0; i < 3 && (await page.getAttribute('[data-test=theme]', 'data-pref')) !== want; i++) await page.click('[data-test=theme]');
  expect(await page.getAttribute('[data-test=theme]', 'data-pref')).toBe(want);
}

async function login(page: Page, user: string, pin: string) {
  await page.click(`[data-user="${user}"]`);
  await page.keyboard.type(pin);
  await page.keyboard.press('Enter');
}

/** The cashier 王芳 logs in and charges a paying demo code for `amount` (typed, then scanned). */
async function cashierSells(page: Page, amount: string) {
  await login(page, '王芳', '1111');
  await page.waitForSelector('[data-method=sandbox]');
  await page.keyboard.type(amount, { delay: 60 });
  await page.keyboard.type('990000000000000001\n', { delay: 2 });
  await page.waitForSelector('[data-state=success]');
}

describe('cashier', () => {
  it('takes a QR payment in two keystrokes and starts a new sale with Enter', async () => {
    const page = await open();
    await login(page, '王芳', '1111');
    await page.waitForSelector('[data-screen=cashier]');
    await page.waitForSelector('[data-method=sandbox]');
    // Focus is on the scan field: type the amount, Enter shows the QR.
    await page.keyboard.type('12.34', { delay: 60 });
    expect(await page.textContent('[data-test=amount]')).toContain('12.34');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-state=qr] [data-test=qr] svg');
    expect(await page.textContent('[data-state=qr]')).toContain('12.34');
    expect(await page.textContent('[data-test=countdown]')).toMatch(/\d:\d\d/);
    // A second charge is refused while the QR is open.
    await page.click('[data-test=sim-pay]');
    await page.waitForSelector('[data-state=success]');
    expect(await page.textContent('[data-test=paid-amount]')).toContain('12.34');
    expect(await page.textContent('[data-test=voice]')).toContain('12.34');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-state=entering]');
    expect((page as unknown as { errors: string[] }).errors).toEqual([]);
    await page.close();
  });

  it('a method button takes the typed amount off the field, so Enter after Success starts a new sale', async () => {
    const page = await open();
    await login(page, '王芳', '1111');
    await page.waitForSelector('[data-method=sandbox]');
    await page.keyboard.type('7.50', { delay: 60 });
    await page.click('[data-method=sandbox]');
    await page.waitForSelector('[data-state=qr] [data-test=qr] svg');
    expect(await page.inputValue('[data-test=scan]')).toBe('');
    await page.click('[data-test=sim-pay]');
    await page.waitForSelector('[data-state=success]');
    await page.focus('[data-test=scan]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-state=entering]');
    expect(await page.textContent('[data-test=amount]')).not.toContain('7.50');
    await page.close();
  });

  it('charges a scanned payment code, shows checking for an unclear one, and the failed state', async () => {
    const page = await open();
    await login(page, '王芳', '1111');
    await page.waitForSelector('[data-method=sandbox]');
    await page.click('[data-key="5"]');
    await page.click('[data-key="0"]');
    await page.keyboard.type('990000000000000001\n', { delay: 2 });
    await page.waitForSelector('[data-state=success]');
    expect(await page.textContent('[data-test=paid-amount]')).toContain('50.00');
    // Unclear (gateway too slow): "checking", and no second charge meanwhile.
    await page.keyboard.press('Enter');
    await page.keyboard.type('8', { delay: 60 });
    await page.keyboard.type('990000000000000009\n', { delay: 2 });
    await page.waitForSelector('[data-state=checking]');
    expect(await page.textContent('[data-state=checking]')).toMatch(/确认|Checking/);
    await page.waitForSelector('[data-state=success]', { timeout: 10_000 });
    // Declined.
    await page.keyboard.press('Enter');
    await page.keyboard.type('3', { delay: 60 });
    await page.keyboard.type('990000000000000007\n', { delay: 2 });
    await page.waitForSelector('[data-state=failed]');
    expect(await page.textContent('[data-test=failure]')).toContain('insufficient');
    await page.close();
  });
});

describe('roles and orders', () => {
  it('a cashier sees no refund; the owner refunds with the PIN; the accountant exports', async () => {
    const page = await open();
    await cashierSells(page, '20');
    expect(await page.$('[data-nav=settings]')).toBeNull();
    await page.click('[data-nav=orders]');
    await page.click('tbody tr');
    await page.waitForSelector('[data-test=timeline] li');
    expect(await page.$('[data-test=refund-form]')).toBeNull();
    await page.click('[data-test=logout]');
    await login(page, '李老板', '999999');
    await page.click('[data-nav=orders]');
    await page.click('tbody tr');
    await page.fill('[data-test=refund-amount]', '5.00');
    await page.fill('[data-test=refund-pin]', '1234');
    await page.click('[data-test=refund-submit]');
    await page.waitForFunction(() => document.querySelector('[data-test=refund-error]')?.textContent !== '');
    await page.fill('[data-test=refund-pin]', '999999');
    await page.click('[data-test=refund-submit]');
    await page.waitForSelector('[data-refund]');
    expect(await page.textContent('[data-test=detail]')).toContain('5.00');
    await page.click('[data-nav=audit]');
    await page.waitForSelector('[data-action=refund][data-outcome=denied]');
    await page.waitForSelector('[data-action=refund][data-outcome=ok]');
    await page.click('[data-test=logout]');
    await login(page, '陈会计', '5555');
    await page.waitForSelector('[data-screen=orders]');
    expect(await page.$('[data-nav=cashier]')).toBeNull();
    await page.click('[data-test=export]');
    await page.waitForFunction(() => document.querySelector('[data-test=toast]')?.textContent?.includes('.csv'));
    await page.close();
  });

  it('the owner revokes a payment made today: the whole amount, in one step', async () => {
    const page = await open();
    await cashierSells(page, '20');
    await page.click('[data-test=logout]');
    await login(page, '李老板', '999999');
    await page.click('[data-nav=orders]');
    await page.click('tbody tr');
    await page.waitForSelector('[data-test=revoke-submit]');
    expect(await page.textContent('[data-test=revoke-submit]')).toContain('20.00');
    await page.fill('[data-test=refund-reason]', '顾客取消');
    await page.fill('[data-test=refund-pin]', '999999');
    await page.click('[data-test=revoke-submit]');
    await page.waitForSelector('[data-refund][data-kind=revoke]');
    expect(await page.textContent('[data-test=detail-status]')).toBe('已退款');
    // Nothing is left to revoke or refund.
    expect(await page.$('[data-test=refund-form]')).toBeNull();
    await page.click('[data-nav=audit]');
    await page.waitForSelector('[data-action=revoke][data-outcome=ok]');
    await page.close();
  });

  it('the owner imports orders from another system: errors by line and field first, then the import', async () => {
    const page = await open();
    await login(page, '王芳', '1111');
    await page.click('[data-nav=orders]');
    expect(await page.$('[data-test=orders-import]')).toBeNull();
    await page.click('[data-test=logout]');
    await login(page, '李老板', '999999');
    await page.click('[data-nav=orders]');
    await page.click('[data-test=orders-import] summary');
    const csv = (rows: string[]) => Buffer.from(`order_no,account,amount,status,created_at,paid_at\n${rows.join('\n')}\n`);
    await page.setInputFiles('[data-test=import-file]', { name: 'old.csv', mimeType: 'text/csv', buffer: csv(['OLDPOS000001,alipay-main,12.345,success,2026-11-25 10:00:00,2026-11-25 10:00:05', 'OLDPOS000002,nope,5.00,closed,2026-11-25 10:01:00,']) });
    await page.waitForSelector('[data-test=import-errors]');
    expect(await page.textContent('[data-line="2"]')).toContain('amount');
    expect(await page.textContent('[data-line="3"]')).toContain('account');
    expect(await page.isDisabled('[data-test=import-go]')).toBe(true);
    await page.setInputFiles('[data-test=import-file]', { name: 'old.csv', mimeType: 'text/csv', buffer: csv(['OLDPOS000001,alipay-main,12.34,success,2026-11-25 10:00:00,2026-11-25 10:00:05', 'OLDPOS000002,wechat-main,5.00,closed,2026-11-25 10:01:00,']) });
    await page.waitForSelector('[data-test=import-summary]');
    expect(await page.textContent('[data-test=import-summary]')).toContain('2 笔订单');
    await page.click('[data-test=import-go]');
    await page.waitForSelector('[data-order=OLDPOS000001] [data-origin=import]');
    await page.close();
  });

  it('switches language without reloading', async () => {
    const page = await open();
    expect(await page.textContent('h1')).toBe('登录');
    await page.selectOption('[data-test=lang]', 'en');
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Log in');
    await login(page, '李老板', '999999');
    expect(await page.textContent('[data-nav=settings]')).toBe('Settings');
    await page.click('[data-nav=settings]');
    await page.waitForSelector('[data-test=callback-status]');
    await page.close();
  });
});

describe('analytics', () => {
  const gross = async (page: Page) => Number((await page.textContent('[data-test=kpi-gross]'))!.replace(/[¥,]/g, ''));

  it('shows KPI cards and charts, follows a new payment, validates custom ranges, exports', async () => {
    const page = await open();
    await login(page, '李老板', '999999');
    await page.click('[data-nav=analytics]');
    await page.waitForSelector('[data-kpi=gross] [data-test=kpi-gross]');
    expect(await page.$$eval('[data-kpi]', (els) => els.length)).toBe(7);
    expect(await page.$$eval('[data-chart] svg', (els) => els.length)).toBe(4); // today: no second hourly chart
    expect(await page.textContent('[data-period=today]')).toBe('今天');
    const before = await gross(page);
    // A sale at the till shows up in today's figures.
    await page.click('[data-nav=cashier]');
    await page.waitForSelector('[data-method=sandbox]');
    await page.keyboard.type('12.34', { delay: 40 });
    await page.keyboard.press('Enter');
    await page.click('[data-test=sim-pay]');
    await page.waitForSelector('[data-state=success]');
    await page.click('[data-nav=analytics]');
    await page.waitForFunction((b) => Number(document.querySelector('[data-test=kpi-gross]')?.textContent?.replace(/[¥,]/g, '')) > b, before);
    expect(Math.round((await gross(page)) * 100 - before * 100)).toBe(1234);
    // Another range: the caption names the days compared.
    await page.click('[data-period=week]');
    await page.waitForFunction(() => document.querySelector('[data-period=week]')?.classList.contains('active'));
    await page.waitForFunction(() => /对比/.test(document.querySelector('[data-test=range-caption]')?.textContent ?? ''));
    // A custom range ending before it starts is refused, naming the field.
    await page.click('[data-period=custom]');
    await page.fill('[data-test=from]', '2026-11-10');
    await page.fill('[data-test=to]', '2026-11-01');
    await page.click('[data-test=apply]');
    await page.waitForFunction(() => document.querySelector('[data-test=range-error]')?.textContent?.startsWith('结束日期有误'));
    await page.fill('[data-test=to]', '2026-11-30');
    await page.click('[data-test=apply]');
    await page.waitForFunction(() => document.querySelector('[data-test=range-caption]')?.textContent?.includes('2026-11-10 至 2026-11-30'));
    expect(await page.textContent('[data-test=range-error]')).toBe('');
    await page.click('[data-test=export-report]');
    await page.waitForFunction(() => document.querySelector('[data-test=toast]')?.textContent?.includes('13'));
    expect((page as unknown as { errors: string[] }).errors).toEqual([]);
    await page.close();
  });

  it('follows the dark theme: the page, the charts redrawn in it, kept for the next start, or the system choice', async () => {
    const page = await open();
    const bg = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    const chartBg = () => page.$eval('[data-chart] svg rect', (r) => r.getAttribute('fill'));
    expect(await bg()).toBe('rgb(245, 246, 248)');
    await login(page, '李老板', '999999');
    await page.click('[data-nav=analytics]');
    await page.waitForSelector('[data-chart] svg');
    expect(await chartBg()).toBe('#FFFFFF');
    await theme(page, 'dark');
    await page.waitForFunction(() => document.querySelector('[data-chart] svg rect')?.getAttribute('fill') === '#1B1D22');
    expect(await bg()).toBe('rgb(18, 19, 23)');
    expect(await page.$eval('.card', (e) => getComputedStyle(e).backgroundColor)).toBe('rgb(27, 29, 34)'); // the charts' own background
    // Kept on this till: a restart opens dark.
    await page.reload();
    await page.waitForSelector('[data-screen=login]');
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(await page.getAttribute('[data-test=theme]', 'data-pref')).toBe('dark');
    expect(await page.getAttribute('[data-test=theme]', 'title')).toBe('外观：深色');
    // "System" follows the system's preference, also while it changes.
    await theme(page, 'system');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    expect((page as unknown as { errors: string[] }).errors).toEqual([]);
    await page.close();
  });

  it('is not offered to a cashier; the accountant gets it', async () => {
    const page = await open();
    await login(page, '王芳', '1111');
    await page.waitForSelector('[data-screen=cashier]');
    expect(await page.$('[data-nav=analytics]')).toBeNull();
    await page.click('[data-test=logout]');
    await login(page, '陈会计', '5555');
    await page.click('[data-nav=analytics]');
    await page.waitForSelector('[data-test=export-report]');
    await page.close();
  });
});

describe('account editor', () => {
  it('shows the channel-specific hint for UnionPay and template accounts', async () => {
    const page = await open();
    await login(page, '李老板', '999999');
    await page.click('[data-nav=settings]');
    await page.click('[data-tab=accounts]');
    await page.click('text=添加账号');
    const channel = page.locator('label', { hasText: /^渠道/ }).locator('input');
    const hint = page.locator('.account-hint');
    await channel.fill('unionpay');
    expect(await hint.textContent()).toContain('sign_cert_file');
    expect(await hint.isVisible()).toBe(true);
    if (process.env.UI_SHOTS) await page.screenshot({ path: `${process.env.UI_SHOTS}/account-hint-unionpay.png` });
    await channel.fill('template');
    expect(await hint.textContent()).toContain('template_file');
    await channel.fill('alipay');
    expect(await hint.isVisible()).toBe(false);
    expect((page as unknown as { errors: string[] }).errors).toEqual([]);
    await page.close();
  });
});

describe('sessions', () => {
  it('management asks for the PIN again; an owner needs 6 digits', async () => {
    const page = await open();
    await login(page, '李老板', '999999');
    await page.click('[data-nav=settings]');
    await page.click('[data-tab=users]');
    await page.waitForSelector('td');
    await page.fill('[placeholder="姓名"], [placeholder="Name"]', '小张');
    await page.fill('.inline-form input[type=password]', '1234');
    await page.selectOption('.inline-form select', 'owner');
    await page.click('.inline-form button');
    await page.waitForSelector('[data-test=reauth]');
    await page.fill('[data-test=reauth-pin]', '000000');
    await page.click('[data-test=reauth-ok]');
    await page.waitForSelector('[data-test=reauth-error]');
    await page.fill('[data-test=reauth-pin]', '999999');
    await page.click('[data-test=reauth-ok]');
    await page.waitForFunction(() => /6 to 8 digits/.test(document.querySelector('[data-test=toast]')?.textContent ?? ''));
    expect(await page.$('[data-test=reauth]')).toBeNull();
    // Within the window the PIN is not asked again.
    await page.selectOption('.inline-form select', 'cashier');
    await page.click('.inline-form button');
    await page.waitForFunction(() => document.body.textContent?.includes('小张'));
    expect(await page.$('[data-test=reauth]')).toBeNull();
    await page.close();
  });

  it('wrong PINs lock a user; the owner is told at the next login', async () => {
    const page = await open();
    for (let i = 0; i < 5; i++) await login(page, '王芳', '0000');
    await page.waitForFunction(() => /之后再试|try again after/.test(document.querySelector('[data-test=login-error]')?.textContent ?? ''));
    await login(page, '李老板', '999999');
    await page.waitForSelector('[data-test=notices] [data-notice=locked]');
    expect(await page.textContent('[data-test=notices]')).toContain('王芳');
    await page.click('[data-test=notices-ok]');
    expect(await page.$('[data-test=notices]')).toBeNull();
    await page.close();
  });

  it('an idle till logs out by itself', async () => {
    const page = await h.browser.newPage({ viewport: { width: 1200, height: 780 } });
    await page.clock.install();
    await page.goto(`${h.base}/index.html`);
    await page.waitForSelector('[data-screen=login]');
    await login(page, '王芳', '1111');
    await page.waitForSelector('[data-screen=cashier]');
    await page.clock.fastForward('09:00');
    await page.keyboard.type('1');
    await page.clock.fastForward('09:00');
    expect(await page.$('[data-screen=cashier]')).not.toBeNull();
    await page.clock.fastForward('02:00');
    await page.waitForSelector('[data-screen=login]');
    expect(await page.textContent('[data-test=toast]')).toMatch(/10 分钟无操作|10 minutes without activity/);
    await page.close();
  });
});

describe('routing', () => {
  it('the owner tunes routing inline and sees a fallback in the order detail', async () => {
    const page = await open();
    await login(page, '李老板', '999999');
    await page.click('[data-nav=settings]');
    await page.click('[data-tab=accounts]');
    await page.waitForSelector('[data-test=channels] tr[data-account=sandbox-backup]');
    expect(await page.textContent('tr[data-account=sandbox-demo] [data-test=health]')).toMatch(/暂无调用|no calls/);
    await page.fill('tr[data-account=sandbox-demo] [data-field=weight]', '3');
    await page.fill('tr[data-account=sandbox-demo] [data-field=daily_cap]', '5000');
    await page.click('tr[data-account=sandbox-demo] [data-test=save-routing]');
    // Changing an account asks for the owner's PIN again (once for the next few minutes).
    await page.fill('[data-test=reauth-pin]', '999999');
    await page.click('[data-test=reauth-ok]');
    await page.waitForFunction(() => document.querySelector('[data-test=toast]')?.textContent?.includes('weight 1 → 3; daily_cap none → 5000.00'));
    // A bad value is refused naming the field.
    await page.fill('tr[data-account=sandbox-backup] [data-field=weight]', '0');
    await page.click('tr[data-account=sandbox-backup] [data-test=save-routing]');
    await page.waitForFunction(() => document.querySelector('[data-test=toast]')?.textContent?.startsWith('weight'));
    // The next QR code fails on the main account: the sale moves to the backup.
    await page.click('[data-test=demo-fail]');
    await page.click('[data-nav=cashier]');
    await page.waitForSelector('[data-method=sandbox]');
    await page.keyboard.type('12\n', { delay: 40 });
    await page.waitForSelector('[data-state=qr]');
    await page.click('[data-nav=orders]');
    await page.click('tbody tr');
    await page.waitForSelector('[data-test=route]');
    const outcomes = await page.$$eval('[data-test=attempts] li', (li) => li.map((x) => x.getAttribute('data-outcome')));
    expect(outcomes).toEqual(['abandoned', 'accepted']);
    expect(await page.textContent('[data-test=candidates]')).toContain('sandbox-backup');
    // Both changes are in the audit log.
    await page.click('[data-nav=audit]');
    await page.waitForSelector('[data-action=account_settings][data-outcome=ok]');
    await page.close();
  });

  it('a cashier over the daily limit gets a clear refusal at the till', async () => {
    const page = await open();
    await login(page, '李老板', '999999');
    await page.click('[data-nav=settings]');
    await page.fill('[data-test=limit-cashier-amount]', '10.00');
    await page.click('[data-test=save-limits]');
    await page.waitForFunction(() => /限额已保存|Limits saved/.test(document.querySelector('[data-test=toast]')?.textContent ?? ''));
    await page.click('[data-test=logout]');
    await login(page, '王芳', '1111');
    await page.waitForSelector('[data-method=sandbox]');
    await page.keyboard.type('20', { delay: 60 });
    await page.keyboard.type('990000000000000001\n', { delay: 2 });
    await page.waitForSelector('[data-state=failed]');
    expect(await page.textContent('[data-state=failed] h2')).toBe('超出每日限额');
    expect(await page.textContent('[data-test=failure]')).toBe('王芳 今日已收款 ¥0.00，再收 ¥20.00 将超过每日上限 ¥10.00。请联系店主调整限额。');
    await page.close();
  });
});

describe('a till of a chain (shared book)', () => {
  it('shows the link, and narrows orders and analytics to a store or till', async () => {
    const page = await open('?shop');
    await login(page, '李老板', '999999');
    await page.waitForSelector('[data-test=link][data-state=synced]');
    expect(await page.textContent('[data-test=link]')).toBe('账本已同步');
    await page.click('[data-nav=orders]');
    await page.waitForSelector('[data-test=scope] [data-filter=store]');
    await page.waitForFunction(() => document.querySelectorAll('[data-screen=orders] tbody tr').length === 2);
    await page.selectOption('[data-filter=store]', 'S2');
    await page.waitForFunction(() => document.querySelectorAll('[data-screen=orders] tbody tr').length === 1);
    // The till picker offers only the store's tills.
    expect(await page.$$eval('[data-filter=till] option', (o) => o.map((x) => (x as HTMLOptionElement).value))).toEqual(['', 'T3']);
    await page.click('[data-nav=analytics]');
    await page.waitForSelector('[data-screen=analytics] [data-test=scope]');
    await page.click('[data-nav=settings]');
    await page.waitForSelector('[data-test=shared-book] [data-till=T3]');
    await page.locator('[data-test=shared-book]').screenshot({ path: join(__dirname, '..', '..', 'docs', 'screenshots', 'shared-book-settings.png') });
    expect((page as unknown as { errors: string[] }).errors).toEqual([]);
    await page.close();
  });

  it('joins a shop at first run', async () => {
    const page = await open('?setup');
    await page.click('[data-test=join-open]');
    await page.fill('[data-test=join-url]', 'postgres://paydesk@192.168.1.10/shop');
    await page.fill('[data-test=join-till]', 'T2');
    await page.fill('[data-test=join-store]', 'S1');
    await page.click('[data-test=join-submit]');
    await page.waitForFunction(() => (document.querySelector('[data-test=join-error]')?.textContent ?? '').includes('S1'));
    await page.fill('[data-test=join-till]', 'T4');
    await page.click('[data-test=join-submit]');
    // Joined: the shop's people log in with their usual PIN.
    await page.waitForSelector('[data-user="李老板"]');
    await login(page, '李老板', '999999');
    await page.waitForSelector('[data-test=link][data-state=synced]');
    await page.close();
  });
});
