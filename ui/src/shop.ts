// The shop around this till: the link to the shared book (header, settings) and the store/till
// pickers of a chain (orders, analytics). A single till shows neither.

import { h, mount } from './dom';
import { t } from './i18n';
import type { LinkStatus, TillView } from './backend/types';

export interface Scope { store: string | null; till: string | null }

function hhmm(iso: string): string {
  const d = new Date(iso);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** The link in words ('' for a single till). */
export function linkText(s: LinkStatus): string {
  switch (s.state) {
    case 'synced': return t('link.synced');
    case 'behind': return t('link.behind', { n: s.pending });
    case 'offline': return s.offline_since ? t('link.offline', { since: hhmm(s.offline_since) }) : t('link.offlineNow');
    default: return '';
  }
}

/** The header's link badge; empty (hidden) for a single till. */
export function drawLink(el: HTMLElement, s: LinkStatus | null) {
  const text = s ? linkText(s) : '';
  el.className = text ? `linkstate linkstate-${s!.state}` : 'linkstate';
  el.dataset.state = s?.state ?? 'off';
  el.title = s && s.state !== 'off' ? t('link.title', { till: s.till ?? '', store: s.store ?? '', url: s.url ?? '' }) : '';
  el.textContent = text;
}

/** The stores of a chain, each once, in order. */
export function storesOf(tills: TillView[]): string[] {
  return [...new Set(tills.map((x) => x.store).filter((s) => s))];
}

/**
 * Store and till pickers for a chain (more than one till), or null. Picking a store narrows the
 * tills offered; `onChange` receives the new scope.
 */
export function scopePicker(tills: TillView[], onChange: (s: Scope) => void): HTMLElement | null {
  if (tills.length < 2) return null;
  const scope: Scope = { store: null, till: null };
  const el = h('span', { class: 'scope', 'data-test': 'scope' });
  const draw = () => {
    const store = h('select', { 'data-filter': 'store', onchange: (e: Event) => { scope.store = (e.target as HTMLSelectElement).value || null; scope.till = null; draw(); onChange({ ...scope }); } },
      h('option', { value: '' }, t('shop.allStores')), storesOf(tills).map((s) => h('option', { value: s, selected: s === scope.store }, t('shop.store', { store: s }))));
    const till = h('select', { 'data-filter': 'till', onchange: (e: Event) => { scope.till = (e.target as HTMLSelectElement).value || null; onChange({ ...scope }); } },
      h('option', { value: '' }, t('shop.allTills')), tills.filter((x) => !scope.store || x.store === scope.store).map((x) => h('option', { value: x.till, selected: x.till === scope.till }, t('shop.till', { till: x.till }))));
    mount(el, store, till);
  };
  draw();
  return el;
}
