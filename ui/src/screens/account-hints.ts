// Channel-specific hints under the account editor's parameters: which keys a channel needs,
// so an owner does not have to open the documentation for the common case.

import { h } from '../dom';
import { t } from '../i18n';

/** Channels with a hint (see `account.hint.<channel>` in the dictionaries). */
export const HINTED = ['unionpay', 'template'] as const;

export function hintKey(channel: string): `account.hint.${(typeof HINTED)[number]}` | null {
  const c = channel.trim();
  return (HINTED as readonly string[]).includes(c) ? (`account.hint.${c}` as `account.hint.${(typeof HINTED)[number]}`) : null;
}

/** A hint element that follows the channel field: call `update(channel)` when it changes. */
export function channelHint(channel: string): { el: HTMLElement; update: (channel: string) => void } {
  const el = h('small', { class: 'muted account-hint', 'data-hint': '' });
  const update = (c: string) => {
    const key = hintKey(c);
    el.textContent = key ? t(key) : '';
    el.dataset.hint = key ? c.trim() : '';
    el.hidden = !key;
  };
  update(channel);
  return { el, update };
}
