import { describe, expect, it } from 'vitest';
import { beijingDay, revocable } from './revoke';

const paid = { kind: 'barcode' as const, method: 'alipay' as const, status: 'success' as const, refunded: 0, paid_at: '2026-12-06T15:30:00Z' };

describe('revocable', () => {
  it('counts days in Beijing time', () => {
    expect(beijingDay(new Date('2026-12-06T15:59:59Z'))).toBe('2026-12-06');
    expect(beijingDay(new Date('2026-12-06T16:00:00Z'))).toBe('2026-12-07');
  });
  it('offers a revoke of a payment made today only', () => {
    expect(revocable(paid, new Date('2026-12-06T15:59:00Z'))).toBe(true);
    // 00:00 in Beijing: yesterday's payment is a refund's job.
    expect(revocable(paid, new Date('2026-12-06T16:00:00Z'))).toBe(false);
  });
  it('not for cash, refunded or unpaid orders', () => {
    const now = new Date('2026-12-06T15:40:00Z');
    expect(revocable({ ...paid, kind: 'tender' }, now)).toBe(false);
    expect(revocable({ ...paid, refunded: 100 }, now)).toBe(false);
    expect(revocable({ ...paid, status: 'processing', paid_at: null }, now)).toBe(false);
    // WeChat Pay's reverse undoes payment-code orders only; its QR orders are refunded.
    expect(revocable({ ...paid, method: 'wechat', kind: 'qr' }, now)).toBe(false);
    expect(revocable({ ...paid, method: 'wechat' }, now)).toBe(true);
    expect(revocable({ ...paid, method: 'unionpay', kind: 'qr' }, now)).toBe(true);
  });
});
