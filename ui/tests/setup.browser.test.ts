// The first-start wizard and the Backups tab in Chromium with the fake backend: a shop set up
// step by step (bad input named, the callback modes explained, a merchant account with key files
// and a connection test), the demo offered instead, in both languages; backups with their health
// warnings, back up now, restore refused over newer data until the owner confirms, the move
// archive. Needs `npm run build` and /usr/bin/chromium.

import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useBrowser } from './harness';

const h = useBrowser();

async function page(query = ''): Promise<Page & { errors: string[] }> {
  const p = await h.browser.newPage({ viewport: { width: 1280, height: 800 } }) as Page & { errors: string[] };
  p.errors = [];
  p.on('pageerror', (e) => p.errors.push(e.message));
  await p.goto(`${h.base}/index.html${query}`);
  return p;
}

/** Runs `code` against the page's fake backend (`window.__paydesk.backend`). */
const fake = (p: Page, code: string) => p.evaluate(`(async (b) => { ${code} })(window.__paydesk.backend)`);
const error = (p: Page) => p.textContent('[data-test=setup-error]');

describe('first start', () => {
  it('sets up a shop: owner, callbacks, a tested merchant account, then the till', async () => {
    const p = await page('?setup');
    await p.waitForSelector('[data-test=wizard-setup]');
    expect(await p.textContent('.wizard h1')).toBe('欢迎使用 Paydesk');
    await p.click('[data-test=wizard-setup]');
    // Bad input names the field and creates nothing.
    await p.fill('[data-test=setup-name]', '李老板');
    await p.fill('[data-test=setup-pin]', '246810');
    await p.fill('[data-test=setup-pin2]', '246810');
    await p.click('[data-test=setup-submit]');
    await p.waitForFunction(() => document.querySelector('[data-test=setup-error]')?.textContent?.startsWith('shop_name'));
    await p.fill('[data-test=setup-shop]', '小王便利店');
    await p.fill('[data-test=setup-pin2]', '246811');
    await p.click('[data-test=setup-submit]');
    expect(await error(p)).toBe('两次输入的 PIN 码不一致');
    await p.fill('[data-test=setup-pin2]', '246810');
    // Each callback mode is explained; a public URL must be https.
    expect(await p.$$eval('.cb-mode small', (els) => els.length)).toBe(3);
    await p.check('[data-cb=public_url]');
    await p.fill('[data-test=setup-public-url]', 'http://pay.example.com');
    await p.click('[data-test=setup-submit]');
    await p.waitForFunction(() => document.querySelector('[data-test=setup-error]')?.textContent?.startsWith('base_url'));
    await p.check('[data-cb=tunnel]');
    await p.fill('[data-test=setup-tunnel-server]', 'bore.example.com');
    await p.click('[data-test=setup-submit]');
    // The merchant account: sandbox, with its parameters and key files, tested.
    await p.waitForSelector('[data-test=wizard-channel]');
    await p.selectOption('[data-test=wizard-channel]', 'sandbox');
    await p.fill('[data-param=merchant_id]', 'M100001');
    await p.fill('[data-param=private_key_file]', '/media/usb/merchant_private.pem');
    await p.fill('[data-param=gateway_public_key_file]', '/media/usb/gateway_public.pem');
    await p.click('[data-test=wizard-test]');
    await p.waitForSelector('[data-test=wizard-probe][data-ok=true]');
    expect(await p.textContent('[data-test=wizard-probe]')).toContain('已连接');
    await p.click('[data-test=wizard-next]');
    const summary = await p.textContent('[data-test=wizard-summary]');
    expect(summary).toContain('小王便利店');
    expect(summary).toContain('main ✓');
    expect(summary).toContain('内置隧道');
    await p.click('[data-test=wizard-finish]');
    await p.waitForSelector('[data-screen=cashier]');
    expect(await p.textContent('[data-test=who]')).toContain('李老板');
    // The owner saved through the wizard logs in with that PIN next time.
    await p.click('[data-test=logout]');
    await p.waitForSelector('[data-user="李老板"]');
    expect(p.errors).toEqual([]);
  });

  it('offers the demo instead, and speaks English', async () => {
    const p = await page('?setup');
    await p.waitForSelector('[data-test=wizard-demo]');
    await p.selectOption('[data-test=lang]', 'en');
    await p.waitForFunction(() => document.querySelector('.wizard h1')?.textContent === 'Welcome to Paydesk');
    expect(await p.textContent('[data-test=wizard-demo]')).toContain('Try the demo first');
    await p.click('[data-test=wizard-setup]');
    expect(await p.textContent('.cb-modes')).toContain('Polling only');
    await p.click('text=Back');
    await p.click('[data-test=wizard-demo]');
    await p.waitForSelector('[data-test=wizard-restarting]');
    expect(await p.textContent('[data-test=wizard-restarting]')).toBe('Starting the demo…');
    expect(await fake(p, 'return b.backups.restarted;')).toEqual(['demo']);
    // A move archive from another PC: the wrong passphrase is said so.
    const q = await page('?setup');
    await q.waitForSelector('[data-test=wizard-move]');
    await fake(q, "b.backups.addFile('/media/usb/shop.pdmove', {});");
    await q.click('[data-test=wizard-move]');
    await q.fill('[data-test=move-path]', '/media/usb/shop.pdmove');
    await q.fill('[data-test=move-pass]', 'wrong horse');
    await q.click('[data-test=move-go]');
    await q.waitForFunction(() => document.querySelector('[data-test=setup-error]')?.textContent?.includes('does not open'));
    await q.fill('[data-test=move-pass]', 'correct horse battery');
    await q.click('[data-test=move-go]');
    await q.waitForSelector('[data-test=wizard-restarting]');
    expect(await fake(q, 'return b.backups.restarted;')).toEqual(['move /media/usb/shop.pdmove']);
    expect([...p.errors, ...q.errors]).toEqual([]);
  });
});

describe('backups tab', () => {
  it('warns, backs up, refuses to restore over newer data until confirmed, writes the move archive', async () => {
    const p = await page();
    await p.waitForSelector('[data-user="李老板"]');
    await p.click('[data-user="李老板"]');
    await p.keyboard.type('999999');
    await p.keyboard.press('Enter');
    // Never backed up: a mark on the settings tab at login.
    await p.waitForSelector('[data-nav=settings] [data-test=backup-badge]');
    await p.click('[data-nav=settings]');
    await p.click('[data-tab=backup]');
    await p.waitForSelector('[data-test=backup-warning][data-health=never]');
    expect(await p.textContent('[data-test=app-version]')).toBe('Paydesk 0.1.0-fake');
    await p.click('[data-test=backup-now]');
    await p.waitForSelector('[data-test=backup-status][data-health=ok]');
    expect(await p.$('[data-test=backup-warning]')).toBeNull();
    expect(await p.textContent('[data-test=backup-last]')).toContain('0 笔订单');
    // The mark on the settings tab follows: gone once backed up, back while backups fail.
    await p.waitForSelector('[data-nav=settings] [data-test=backup-badge]', { state: 'detached' });
    // A failing backup (USB stick pulled) is shown as a warning with the error.
    await fake(p, "b.backups.failNext = '/media/usb/paydesk: No such file or directory';");
    await p.click('[data-test=backup-now]');
    await p.waitForSelector('[data-test=backup-warning][data-health=failing]');
    expect(await p.textContent('[data-test=backup-warning]')).toContain('/media/usb/paydesk');
    await p.waitForSelector('[data-nav=settings] [data-test=backup-badge]');
    await p.click('[data-test=backup-now]');
    await p.waitForSelector('[data-test=backup-status][data-health=ok]');
    // Older than two days: stale.
    await fake(p, 'b.backups.age(3);');
    await p.click('[data-tab=general]');
    await p.click('[data-tab=backup]');
    await p.waitForSelector('[data-test=backup-warning][data-health=stale]');
    // A sale after an old backup: restoring it would lose the sale.
    await fake(p, "await b.barcodePay('12.34', '990000000000000001', 'sale-1'); b.backups.addFile('/media/usb/old.db', { orders: 0, paid_fen: 0, paid_orders: 0 });");
    await p.fill('[data-test=restore-path]', '/media/usb/old.db');
    await p.click('[data-test=restore-check]');
    await p.waitForSelector('[data-test=restore-newer]');
    expect(await p.textContent('[data-test=restore-newer]')).toContain('orders: 1 in the home, 0 in the backup');
    expect(await p.$('[data-test=restore-go]')).toBeNull();
    await p.click('[data-test=restore-force]');
    await p.waitForSelector('[data-test=restore-restarting]');
    expect(await fake(p, 'return b.backups.restarted;')).toEqual(['restore /media/usb/old.db']);
    // The move archive: passphrases must match and be long enough.
    await p.fill('[data-test=move-out-path]', '/media/usb/shop.pdmove');
    await p.fill('[data-test=move-out-pass]', 'short');
    await p.fill('[data-test=move-out-pass2]', 'short');
    await p.click('[data-test=move-out-go]');
    await p.waitForFunction(() => document.querySelector('[data-test=toast]')?.textContent?.includes('at least 8'));
    await p.fill('[data-test=move-out-pass]', 'correct horse battery');
    await p.fill('[data-test=move-out-pass2]', 'correct horse battery');
    await p.click('[data-test=move-out-go]');
    await p.waitForSelector('[data-test=move-out-result] .ok');
    expect(await p.textContent('[data-test=move-out-result]')).toContain('1 个密钥文件');
    expect(p.errors).toEqual([]);
  });
});
