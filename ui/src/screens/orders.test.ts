import { describe, expect, it } from 'vitest';
import { eventText } from './orders';
import type { OrderEvent } from '../backend/types';

const ev = (detail: string, reason: OrderEvent['reason']): OrderEvent => ({ seq: 1, order_no: 'P1', from_status: null, to_status: null, source: 'user', at: '2026-12-02T10:00:00Z', detail, reason });

describe('order events', () => {
  it('are worded in the screen language when core sent their code', () => {
    const created = ev('created alipay qr order of 12.34 yuan on account a1', { code: 'created', args: { method: 'alipay', kind: 'qr', amount: '12.34', account: 'a1' } });
    expect(eventText(created)).toBe('创建扫码订单 ¥12.34（支付宝，账户 a1）');
    expect(eventText(ev('refund R1 of 2.00 yuan: success', { code: 'refund_status', args: { refund_no: 'R1', amount: '2.00', status: 'success', error: '' } }))).toBe('退款 R1（¥2.00）：已退款');
    expect(eventText(ev('paid (TRADE_SUCCESS)', { code: 'paid', args: { raw: 'TRADE_SUCCESS' } }))).toBe('已支付（TRADE_SUCCESS）');
  });
  it("fall back to core's sentence without a code, or with one this UI does not know", () => {
    expect(eventText(ev('query failed: timeout', null))).toBe('query failed: timeout');
    expect(eventText(ev('something new', { code: 'from_the_future', args: {} }))).toBe('something new');
  });
});
