import { describe, expect, it } from 'vitest';
import { busy, newSale, onChecking, onError, onOrder, type Sale } from './sale';
import type { Order } from './backend/types';

function order(p: Partial<Order>): Order {
  return {
    order_no: 'P1', kind: 'qr', method: 'alipay', channel: 'alipay', account: 'a', amount: 1234, refunded: 0, fee: 7, status: 'pending',
    subject: 's', channel_trade_no: null, qr_code: null, auth_code_masked: null, failure_code: null, failure_message: null, operator: null,
    principal: null, till: 'T1', idempotency_key: null, created_at: '', updated_at: '', expires_at: '', paid_at: null, ...p,
  };
}

describe('sale state machine', () => {
  it('QR: creating → qr → success, matched by the sale id', () => {
    let s = newSale('12.34');
    s = { ...s, phase: { kind: 'creating', method: 'alipay', viaCode: false } };
    expect(busy(s)).toBe(true);
    s = onOrder(s, order({ idempotency_key: s.id, status: 'pending' }));
    expect(s.orderNo).toBe('P1');
    expect(s.phase.kind).toBe('creating');
    s = onOrder(s, order({ idempotency_key: s.id, status: 'processing', qr_code: 'https://qr' }));
    expect(s.phase.kind).toBe('qr');
    expect(busy(s)).toBe(true);
    s = onOrder(s, order({ status: 'success', paid_at: '2026-01-01T00:00:00Z' }));
    expect(s.phase.kind).toBe('success');
    expect(busy(s)).toBe(false);
  });
  it('ignores other orders and repeated events', () => {
    const s = { ...newSale('1'), orderNo: 'P1', phase: { kind: 'qr' as const, order: order({ qr_code: 'x', status: 'processing' }) } };
    expect(onOrder(s, order({ order_no: 'P2', status: 'success' }))).toBe(s);
  });
  it('barcode: an unclear result shows checking, never success by guess', () => {
    let s: Sale = { ...newSale('5'), phase: { kind: 'creating', method: null, viaCode: true } };
    s = onOrder(s, order({ idempotency_key: s.id, kind: 'barcode', status: 'pending' }));
    s = onChecking(s, 'P1', 'checking with the channel');
    expect(s.phase).toMatchObject({ kind: 'checking', detail: 'checking with the channel' });
    expect(busy(s)).toBe(true);
    s = onOrder(s, order({ kind: 'barcode', status: 'processing' }));
    expect(s.phase.kind).toBe('checking');
    s = onOrder(s, order({ kind: 'barcode', status: 'closed' }));
    expect(s.phase.kind).toBe('closed');
    expect(onChecking(s, 'P1', 'late').phase.kind).toBe('closed');
  });
  it('errors: a busy till keeps the running sale', () => {
    const s = { ...newSale('5'), phase: { kind: 'creating' as const, method: null, viaCode: true } };
    expect(onError(s, 'sale_in_progress', 'x')).toBe(s);
    expect(onError(s, 'invalid', 'amount: bad').phase).toMatchObject({ kind: 'failed', code: 'invalid' });
  });
  it('every attempt gets a fresh id', () => {
    expect(newSale().id).not.toBe(newSale().id);
  });
});
