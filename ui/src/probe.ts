// The account "test connection" result in the screen's language. Paydesk words what it knows
// (the outcome, by its stable code); the gateway's own words, which it cannot translate, follow
// a failure's summary so the owner can pass them on to the channel's support.

import { hasKey, t, type Key } from './i18n';
import type { Probe } from './backend/types';

export function probeMessage(p: Probe): string {
  if (p.ok) return `✓ ${t('probe.ok')}`;
  const key = `probe.${p.code}`;
  const summary = hasKey(key) ? t(key as Key) : t('probe.failed');
  return `✕ ${t('probe.failure', { summary, detail: p.detail })}`;
}
