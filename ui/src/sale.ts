// The cashier's sale as a small state machine driven by user actions and core's events.
// Pure functions: the screen renders whatever state this returns.

import type { Method, Order } from './backend/types';

export type Phase =
  | { kind: 'entering' }
  | { kind: 'creating'; method: Method | null; viaCode: boolean }
  | { kind: 'qr'; order: Order }
  | { kind: 'checking'; order: Order | null; detail: string }
  | { kind: 'success'; order: Order }
  | { kind: 'failed'; order: Order | null; code: string; message: string }
  | { kind: 'closed'; order: Order };

export interface Sale {
  /** One id per attempt; passed as the idempotency key so a double click makes one order. */
  id: string;
  amount: string;
  phase: Phase;
  orderNo: string | null;
}

let counter = 0;
export function newSaleId(): string {
  counter += 1;
  return `S${Date.now().toString(36)}${counter.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

export function newSale(amount = ''): Sale {
  return { id: newSaleId(), amount, phase: { kind: 'entering' }, orderNo: null };
}

/** True while a charge is unresolved: no second charge may start. */
export function busy(s: Sale): boolean {
  return s.phase.kind === 'creating' || s.phase.kind === 'qr' || s.phase.kind === 'checking';
}

/** Applies an order from core (a reply or an `order-changed` event) to the sale. */
export function onOrder(s: Sale, o: Order): Sale {
  const mine = o.order_no === s.orderNo || (o.idempotency_key !== null && o.idempotency_key === s.id);
  if (!mine) return s;
  const base = { ...s, orderNo: o.order_no };
  switch (o.status) {
    case 'success':
    case 'refunded':
      return { ...base, phase: { kind: 'success', order: o } };
    case 'failed':
      return { ...base, phase: { kind: 'failed', order: o, code: o.failure_code ?? 'failed', message: o.failure_message ?? '' } };
    case 'closed':
      return { ...base, phase: { kind: 'closed', order: o } };
    case 'pending':
    case 'processing':
      if (o.kind === 'qr' && o.qr_code) return { ...base, phase: { kind: 'qr', order: o } };
      // A barcode charge in flight: the payer confirms, or we are checking with the channel.
      if (s.phase.kind === 'checking') return { ...base, phase: { ...s.phase, order: o } };
      if (o.kind === 'barcode' && o.status === 'processing') return { ...base, phase: { kind: 'checking', order: o, detail: '' } };
      return base;
  }
}

/** Core says it is checking an unclear payment. */
export function onChecking(s: Sale, orderNo: string, detail: string): Sale {
  if (orderNo !== s.orderNo && s.phase.kind !== 'creating') return s;
  const order = 'order' in s.phase ? s.phase.order : null;
  if (s.phase.kind === 'success' || s.phase.kind === 'failed' || s.phase.kind === 'closed') return s;
  return { ...s, orderNo, phase: { kind: 'checking', order, detail } };
}

/** A command failed. `sale_in_progress` keeps the phase (the first charge is still running). */
export function onError(s: Sale, code: string, message: string): Sale {
  if (code === 'sale_in_progress') return s;
  return { ...s, phase: { kind: 'failed', order: null, code, message } };
}
