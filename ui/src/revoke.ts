// When a payment can be revoked (撤销) instead of refunded: paid at a channel (not in cash; at
// WeChat Pay a payment-code payment only: its reverse does not undo a QR order), no refunds yet,
// and paid today by the channels' business day (Beijing time). The backend decides; this only
// decides whether the owner is offered the button.
import type { Order } from './backend/types';

const beijing = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' });

/** The channels' business day (Beijing) of an instant, as YYYY-MM-DD. */
export function beijingDay(at: Date): string {
  return beijing.format(at);
}

export function revocable(o: Pick<Order, 'kind' | 'method' | 'status' | 'refunded' | 'paid_at'>, now: Date = new Date()): boolean {
  if (o.method === 'wechat' && o.kind === 'qr') return false;
  return o.kind !== 'tender' && o.status === 'success' && o.refunded === 0 && o.paid_at != null && beijingDay(new Date(o.paid_at)) === beijingDay(now);
}
