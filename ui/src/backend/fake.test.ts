import { describe, expect, it } from 'vitest';
import { FakeBackend } from './fake';
import type { Order } from './types';

describe('fake backend (the contract the UI relies on)', () => {
  it('enforces roles and the one-sale rule like the Rust side', async () => {
    const b = new FakeBackend({ latency: 1 });
    await expect(b.listOrders({})).rejects.toMatchObject({ code: 'not_logged_in' });
    await expect(b.login('王芳', '0000')).rejects.toMatchObject({ code: 'bad_pin' });
    const s = await b.login('王芳', '1111');
    expect(s.allowed).not.toContain('refund');
    const seen: Order[] = [];
    await b.onOrderChanged((o) => seen.push(o));
    const o = await b.createQr('12.34', null, 'sale-1');
    expect(o.status).toBe('processing');
    expect(await b.createQr('12.34', null, 'sale-1')).toMatchObject({ order_no: o.order_no });
    await expect(b.createQr('1.00', null, 'sale-2')).rejects.toMatchObject({ code: 'sale_in_progress' });
    await b.demoSimulate(o.order_no, 'pay');
    expect(seen.at(-1)).toMatchObject({ order_no: o.order_no, status: 'success' });
    await expect(b.refund({ order_no: o.order_no, amount: '1.00', reason: null, pin: '1111' })).rejects.toMatchObject({ code: 'forbidden' });
    await b.logout();
    await b.login('李老板', '999999');
    await expect(b.refund({ order_no: o.order_no, amount: '1.00', reason: null, pin: '1111' })).rejects.toMatchObject({ code: 'bad_pin' });
    const r = await b.refund({ order_no: o.order_no, amount: '12.34', reason: 'x', pin: '999999' });
    expect(r.status).toBe('success');
    expect((await b.orderDetail(o.order_no)).order.status).toBe('refunded');
    const log = await b.auditLog();
    expect(log.map((e) => `${e.action}:${e.outcome}`)).toEqual(expect.arrayContaining(['refund:denied', 'refund:ok', 'login:denied']));
  });
  it('barcode codes behave by their last digit', async () => {
    const b = new FakeBackend({ latency: 1 });
    await b.login('王芳', '1111');
    expect((await b.barcodePay('5.00', '990000000000000001', 'a')).status).toBe('success');
    expect((await b.barcodePay('5.00', '990000000000000007', 'b')).status).toBe('failed');
    const checks: string[] = [];
    await b.onChecking((c) => checks.push(c.detail));
    expect((await b.barcodePay('5.00', '990000000000000009', 'c')).status).toBe('success');
    expect(checks.length).toBeGreaterThan(0);
    await expect(b.barcodePay('5.00', '12345', 'd')).rejects.toMatchObject({ code: 'invalid' });
  });
});
