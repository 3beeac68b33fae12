// The customer display window: amount, the QR code with a countdown, "thank you".
import './styles.css';
import { h, mount, svgNode } from './dom';
import { setLang, t, tk } from './i18n';
import { formatFenGrouped } from './money';
import { pickBackend } from './backend/backend';
import type { CustomerView } from './backend/types';

export function renderCustomer(root: HTMLElement, v: CustomerView) {
  const amount = h('div', { class: 'c-amount', 'data-test': 'c-amount' }, `¥ ${formatFenGrouped(v.amount)}`);
  switch (v.phase) {
    case 'idle':
      mount(root, h('div', { class: 'c-idle', 'data-state': 'idle' }, h('div', { class: 'logo big' }, '¥'), h('p', null, t('customer.welcome'))));
      break;
    case 'amount':
      mount(root, h('div', { 'data-state': 'amount' }, h('p', null, t('customer.toPay')), amount));
      break;
    case 'qr':
      mount(root, h('div', { 'data-state': 'qr' }, h('p', null, t('customer.toPay')), amount,
        h('div', { class: 'qr' }, v.qr_svg ? svgNode(v.qr_svg) : null),
        h('p', null, t('customer.scan', { method: v.method ? tk('method', v.method) : '' }))));
      break;
    case 'checking':
      mount(root, h('div', { 'data-state': 'checking' }, amount, h('div', { class: 'spinner' }), h('p', null, t('customer.wait'))));
      break;
    case 'success':
      mount(root, h('div', { class: 'c-thanks', 'data-state': 'success' }, h('div', { class: 'check' }, '✓'), amount, h('h1', null, t('customer.thanks'))));
      break;
  }
}

void pickBackend().then(async (b) => {
  const root = document.getElementById('customer')!;
  const info = await b.appInfo();
  setLang(info.lang);
  renderCustomer(root, { phase: 'idle', amount: 0, method: null, qr_svg: null, expires_at: null });
  await b.onCustomer((v) => renderCustomer(root, v));
});
