// The reconciliation screen in Chromium with the fake backend: the alert after yesterday's
// automatic run, summary cards, filters, re-query fixing the book, resolve with a note (an empty
// note refused), accepting the 收款码 sticker payment as an external sale, a re-run with live
// progress that keeps the discrepancies' ids, exports, a bad file shown beside the last good
// run (which it does not replace), and the cashier kept out.
// Needs `npm run build` and /usr/bin/chromium.

import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useBrowser } from './harness';

const h = useBrowser();

async function open(user: string, pin: string): Promise<Page & { errors: string[] }> {
  const page = await h.browser.newPage({ viewport: { width: 1280, height: 800 } }) as Page & { errors: string[] };
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(`${h.base}/index.html`);
  await page.waitForSelector('[data-screen=login]');
  await page.click(`[data-user="${user}"]`);
  await page.keyboard.type(pin);
  await page.keyboard.press('Enter');
  return page;
}

const count = (page: Page, sel: string) => page.$$eval(sel, (els) => els.length);

/** Logs out, switches the login screen to English and logs `user` in again. */
async function inEnglish(page: Page, user: string, pin: string) {
  await page.click('[data-test=logout]');
  await page.selectOption('[data-test=lang]', 'en');
  await page.click(`[data-user="${user}"]`);
  await page.keyboard.type(pin);
  await page.keyboard.press('Enter');
}

describe('reconciliation', () => {
  it("shows yesterday's discrepancies, re-queries, resolves with a note, re-runs and exports", async () => {
    const page = await open('陈会计', '5555');
    // The badge on the tab and a word at login.
    await page.waitForSelector('[data-test=recon-badge]');
    expect(await page.textContent('[data-test=recon-badge]')).toBe('5');
    await page.click('[data-nav=recon]');
    await page.waitForSelector('[data-screen=recon] [data-run]');
    expect(await page.textContent('[data-test=recon-alert]')).toContain('5');
    const card = await page.textContent('[data-run]');
    expect(card).toContain('538.80');
    expect(await page.textContent('[data-test=card-mismatched]')).toContain('5');
    expect(await page.textContent('[data-test=card-kinds]')).toContain('外部收款 1 · ¥ 15.00');
    expect(await count(page, '[data-item]')).toBe(5);
    const ids = await page.$$eval('[data-item]', (els) => els.map((e) => (e as HTMLElement).dataset.item));
    // Both sides' values of the amount difference.
    const amount = await page.textContent('[data-kind=amount_differs]');
    expect(amount).toContain('12.00');
    expect(amount).toContain('12.50');
    // Why each line was flagged, in the UI's language (from core's reason code, not its English).
    expect(await page.textContent('[data-kind=status_differs] [data-test=item-why]')).toBe('渠道已收款 ¥46.00，账本记为「已关闭」');
    expect(await page.textContent('[data-kind=amount_differs] [data-test=item-why]')).toBe('账本 ¥12.00，渠道 ¥12.50');
    // Filter by kind, then back.
    await page.selectOption('[data-filter=kind]', 'missing_in_book');
    await page.waitForFunction(() => document.querySelectorAll('[data-item]').length === 1);
    await page.selectOption('[data-filter=kind]', '');
    await page.waitForFunction(() => document.querySelectorAll('[data-item]').length === 5);
    // The sticker payment: no order number, no re-query; accepted in bulk with a note.
    expect(await page.textContent('[data-kind=external] [data-test=item-why]')).toContain('收款码');
    expect(await page.textContent('[data-kind=external] td.mono')).toContain('（无订单号）');
    expect(await page.$('[data-kind=external] [data-requery]')).toBeNull();
    expect(await page.textContent('[data-test=recon-accept-bar]')).toContain('1 笔外部收款');
    await page.check('[data-test=accept-all]');
    expect(await page.textContent('[data-test=accept-selected]')).toContain('¥15.00');
    await page.click('[data-test=accept-selected]');
    await page.waitForFunction(() => document.querySelector('[data-test=toast]')?.textContent?.startsWith('备注有误'));
    await page.fill('[data-test=accept-note]', '门口收款码');
    await page.click('[data-test=accept-selected]');
    await page.waitForSelector('[data-kind=external][data-state=fixed]');
    expect(await page.textContent('[data-kind=external] [data-test=item-note]')).toBe('门口收款码');
    await page.waitForFunction(() => document.querySelector('[data-test=recon-badge]')?.textContent === '4');
    // Re-query the closed-but-paid order: fixed.
    await page.click('[data-kind=status_differs] [data-requery]');
    await page.waitForSelector('[data-kind=status_differs][data-state=fixed]');
    // Resolve: an empty note is refused, a real one is kept.
    await page.click('[data-kind=missing_at_channel] [data-resolve]');
    await page.click('[data-resolve-save]');
    await page.waitForFunction(() => document.querySelector('[data-test=toast]')?.textContent?.startsWith('备注有误'));
    await page.fill('[data-note]', '现金收款，误记为扫码');
    await page.click('[data-resolve-save]');
    await page.waitForSelector('[data-kind=missing_at_channel][data-state=resolved]');
    expect(await page.textContent('[data-kind=missing_at_channel] [data-test=item-note]')).toBe('现金收款，误记为扫码');
    await page.waitForFunction(() => document.querySelector('[data-test=recon-badge]')?.textContent === '2');
    // Re-run: progress shows, the resolution is carried over, the fixed and accepted ones are gone,
    // the rest keep their ids.
    await page.click('[data-test=recon-run]');
    await page.waitForFunction(() => (document.querySelector('[data-test=recon-progress]')?.textContent ?? '').includes('sandbox-demo'));
    await page.waitForFunction(() => document.querySelector('[data-test=recon-run]') && !(document.querySelector('[data-test=recon-run]') as HTMLButtonElement).disabled);
    await page.waitForFunction(() => document.querySelectorAll('[data-item]').length === 3);
    expect(await count(page, '[data-state=resolved]')).toBe(1);
    const after = await page.$$eval('[data-item]', (els) => els.map((e) => (e as HTMLElement).dataset.item));
    expect(after.every((id) => ids.includes(id))).toBe(true);
    // Exports.
    await page.click('[data-export=xlsx]');
    await page.waitForFunction(() => document.querySelector('[data-test=toast]')?.textContent?.includes('.xlsx'));
    await page.click('[data-export=csv_gbk]');
    await page.waitForFunction(() => document.querySelector('[data-test=toast]')?.textContent?.includes('-summary-gbk.csv'));
    // A file that is no statement: refused with the reason.
    expect(await page.textContent('[data-test=recon-file-name]')).toBe('未选择文件');
    await page.setInputFiles('[data-test=recon-file]', { name: 'x.csv', mimeType: 'text/csv', buffer: Buffer.from('hello,world\n') });
    expect(await page.textContent('[data-test=recon-file-name]')).toBe('x.csv');
    await page.click('[data-test=recon-import]');
    await page.waitForFunction(() => document.querySelector('[data-test=toast]')?.textContent?.includes('line 1'));
    // The failure stands beside the last good run, which still shows its discrepancies.
    await page.waitForSelector('[data-test=run-failure]');
    expect(await page.textContent('[data-test=run-failure]')).toContain('not a statement format');
    expect(await count(page, '[data-item]')).toBe(3);
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('is not offered to the cashier; the owner sees it in English', async () => {
    const page = await open('王芳', '1111');
    await page.waitForSelector('[data-screen=cashier]');
    expect(await page.$('[data-nav=recon]')).toBeNull();
    await inEnglish(page, '李老板', '999999');
    await page.click('[data-nav=recon]');
    await page.waitForSelector('[data-kind=amount_differs]');
    expect(await page.textContent('[data-nav=recon]')).toContain('Reconciliation');
    expect(await page.textContent('[data-kind=amount_differs]')).toContain('Amount differs');
    expect(await page.textContent('[data-kind=amount_differs] [data-test=item-why]')).toBe('Book ¥12.00, channel ¥12.50');
    await page.close();
  });
});

describe('the money chain (book → channel → bank)', () => {
  const link = (page: Page, which: string) => page.getAttribute(`[data-link=${which}]`, 'data-state');

  it('draws the day, resolves the short deposit, imports the late settlement and turns the arrows green', async () => {
    const page = await open('陈会计', '5555');
    await page.click('[data-nav=recon]');
    await page.click('[data-tab=bank]');
    await page.waitForSelector('[data-test=bank-chain] svg [data-box=bank]');
    expect(await page.isVisible('[data-pane=statement]')).toBe(false);
    expect(await link(page, 'book-channel')).toBe('agree');
    expect(await link(page, 'channel-bank')).toBe('differ');
    expect(await page.textContent('[data-link=channel-bank]')).toContain('−¥1.00');
    expect(await count(page, '[data-chain-account]')).toBe(3);
    expect(await page.textContent('[data-chain-account=unionpay-store]')).toContain('待到账');
    // Why, in the screen's language.
    expect(await page.textContent('[data-kind=short_deposit] [data-test=item-why]')).toMatch(/^应到账 ¥70\.18，.* 实到 ¥69\.18，少 ¥1\.00$/);
    // Resolve: a note is required.
    await page.click('[data-kind=short_deposit] [data-resolve]');
    await page.click('[data-resolve-save]');
    await page.waitForFunction(() => document.querySelector('[data-test=toast]')?.textContent?.startsWith('备注有误'));
    await page.fill('[data-note]', '银行扣了 1 元跨行手续费');
    await page.click('[data-resolve-save]');
    await page.waitForSelector('[data-kind=short_deposit][data-state=resolved]');
    await page.waitForFunction(() => document.querySelector('[data-link=channel-bank]')?.getAttribute('data-state') === 'pending');
    // The second export brings UnionPay's settlement.
    await page.setInputFiles('[data-test=bank-file]', { name: 'ccb-detail.csv', mimeType: 'text/csv', buffer: Buffer.from('账号,交易时间,借方发生额（支取）,贷方发生额（收入）,对方户名\n'.repeat(2)) });
    expect(await page.textContent('[data-test=bank-file-name]')).toBe('ccb-detail.csv');
    await page.selectOption('[data-test=bank-preset]', 'ccb');
    await page.click('[data-test=bank-import]');
    await page.waitForFunction(() => document.querySelector('[data-link=channel-bank]')?.getAttribute('data-state') === 'agree');
    expect(await page.textContent('[data-chain-account=unionpay-store]')).toContain('已到账');
    // Re-check and exports.
    await page.click('[data-kind=short_deposit] [data-recheck]');
    await page.waitForFunction(() => document.querySelector('[data-test=toast]')?.textContent?.includes('still finds it'));
    await page.click('[data-bank-export=xlsx]');
    await page.waitForFunction(() => document.querySelector('[data-test=toast]')?.textContent?.includes('bank-'));
    // Reading the fund flows of a day that is not over is refused.
    await page.fill('[data-test=bank-day]', new Date().toISOString().slice(0, 10));
    await page.dispatchEvent('[data-test=bank-day]', 'change');
    await page.click('[data-test=bank-settle]');
    await page.waitForFunction(() => document.querySelector('[data-test=toast]')?.textContent?.startsWith('营业日有误'));
    expect(page.errors).toEqual([]);
    await page.close();
  });

  it('speaks English too', async () => {
    const page = await open('李老板', '999999');
    await page.click('[data-nav=recon]');
    await page.click('[data-tab=bank]');
    await page.waitForSelector('[data-kind=short_deposit]');
    expect(await page.textContent('[data-tab=bank]')).toContain('资金链路');
    await inEnglish(page, '李老板', '999999');
    await page.click('[data-nav=recon]');
    await page.click('[data-tab=bank]');
    await page.waitForSelector('[data-box=channel]');
    expect(await page.textContent('[data-box=channel]')).toContain('Channel settlement');
    expect(await page.textContent('[data-kind=short_deposit]')).toContain('Short deposit');
    expect(await page.textContent('[data-link=book-channel]')).toContain('agrees');
    await page.close();
  });
});
