// Routing in the UI: account health badges, the channels table with inline routing settings
// (owner), the daily limits form, an order's routing decision, and the till's limit refusal.

import { h, mount } from '../dom';
import { fmtTime, lang, t, tk } from '../i18n';
import { formatFen } from '../money';
import { errorText } from '../error-text';
import type { AccountView, HealthSnapshot, LimitDetails, RouteDecision, RoutingInput, SettingsView } from '../backend/types';
import type { Ctx } from '../context';

/** Breaker state, success rate, streak — the health of one account. */
export function healthCell(hs: HealthSnapshot | null, degraded: boolean): HTMLElement {
  if (!hs) return h('span', { class: 'muted' }, t('health.noCalls'));
  const cls = hs.state === 'closed' ? (degraded ? 'h-degraded' : 'h-ok') : hs.state === 'open' ? 'h-open' : 'h-probe';
  const rate = hs.success_permille === null ? t('health.noCalls') : t('health.rate', { pct: Math.floor(hs.success_permille / 10), calls: hs.calls });
  return h('div', { class: 'health', 'data-health': hs.state, title: hs.last_error ? t('health.lastError', { error: hs.last_error }) : '' },
    h('span', { class: `badge ${cls}` }, tk('health.state', hs.state)), degraded && hs.state === 'closed' ? h('span', { class: 'badge h-degraded' }, t('health.degraded')) : null,
    h('small', null, ' ', rate),
    hs.fail_streak > 0 ? h('small', { class: 'streak' }, ' · ', t('health.streak', { n: hs.fail_streak })) : null,
    hs.state === 'open' && hs.open_until ? h('small', null, ' · ', t('health.until', { time: fmtTime(hs.open_until) })) : null);
}

/** The channel accounts with their health; the owner edits routing settings in place. */
export function channelsTable(ctx: Ctx, list: AccountView[], edit: (v: AccountView) => void, test: (name: string, btn: HTMLElement) => void, redraw: () => void): HTMLElement {
  const manage = ctx.can('manage_accounts');
  const err = (e: unknown) => ctx.toast(errorText(e), 'error');
  const row = (v: AccountView) => {
    const a = v.account;
    const num = (value: number, test: string, min: string) => h('input', { type: 'number', min, value: String(value), class: 'num-in', 'data-field': test, disabled: !manage });
    const enabled = h('input', { type: 'checkbox', checked: a.enabled, 'data-field': 'enabled', disabled: !manage });
    const priority = num(a.priority, 'priority', '-100');
    const weight = num(a.weight, 'weight', '1');
    const fee = num(a.fee_rate_bp, 'fee_rate_bp', '0');
    const cap = h('input', { value: a.daily_cap ?? '', placeholder: t('account.noCap'), class: 'cap-in', inputmode: 'decimal', 'data-field': 'daily_cap', disabled: !manage });
    const changes = (): RoutingInput => {
      const input: RoutingInput = {};
      if (enabled.checked !== a.enabled) input.enabled = enabled.checked;
      if (Number(priority.value) !== a.priority) input.priority = Math.trunc(Number(priority.value));
      if (Number(weight.value) !== a.weight) input.weight = Math.trunc(Number(weight.value));
      if (Number(fee.value) !== a.fee_rate_bp) input.fee_rate_bp = Math.trunc(Number(fee.value));
      if (cap.value.trim() !== (a.daily_cap ?? '')) input.daily_cap = cap.value.trim();
      return input;
    };
    const saveBtn = h('button', { class: 'primary', 'data-test': 'save-routing', disabled: true, onclick: () => void save() }, t('account.saveRow'));
    // Save lights up once something differs from what is in force.
    for (const el of [enabled, priority, weight, fee, cap]) el.addEventListener('input', () => { saveBtn.disabled = Object.keys(changes()).length === 0; });
    const save = async () => {
      try {
        const done = await ctx.backend.updateAccountRouting(a.name, changes());
        ctx.toast(done.length ? t('account.changed', { name: a.name, changes: done.join('; ') }) : t('account.nothingChanged'));
        redraw();
      } catch (e) { err(e); }
    };
    return h('tr', { 'data-account': a.name, class: a.enabled ? '' : 'off' },
      h('td', null, h('strong', null, a.display_name || a.name), h('br'), h('small', { class: 'mono' }, a.name), h('br'),
        h('small', { class: 'muted' }, `${a.channel} · ${(a.methods.length ? a.methods : v.capabilities.methods).map((m) => tk('method', m)).join(', ')}`),
        v.usable || !a.enabled ? null : h('div', null, h('span', { class: 'badge s-closed' }, t('account.unusable')))),
      h('td', null, enabled), h('td', null, priority), h('td', null, weight), h('td', null, fee), h('td', null, cap),
      h('td', { 'data-test': 'health' }, healthCell(v.health, v.degraded)),
      h('td', null, h('div', { class: 'actions' },
        manage && saveBtn,
        manage && h('button', { onclick: () => edit(v) }, t('account.edit')),
        manage && h('button', { 'data-test': 'test-connection', onclick: (e: Event) => test(a.name, e.target as HTMLElement) }, t('account.test')))));
  };
  const heads = ['account.name', 'account.enabled', 'account.priority', 'account.weight', 'account.feeRate', 'account.dailyCap', 'account.health', ''];
  return h('div', { class: 'channels' },
    h('p', { class: 'muted' }, t('account.routingHint')),
    h('table', { class: 'channels-table', 'data-test': 'channels' }, h('thead', null, h('tr', null, heads.map((k) => h('th', null, k ? t(k as never) : '')))),
      h('tbody', null, [...list].sort((x, y) => x.account.priority - y.account.priority || x.account.name.localeCompare(y.account.name)).map(row))),
    ctx.info.demo && manage ? h('button', { class: 'link demo-fail', 'data-test': 'demo-fail', onclick: () => void ctx.backend.demoFault('precreate', 1).then(() => ctx.toast(t('account.demoFailArmed')), err) }, t('account.demoFail')) : null);
}

/** Daily limits per cashier and per till (owner). */
export function limitsForm(ctx: Ctx, v: SettingsView): HTMLElement {
  const l = v.limits ?? {};
  const inp = (value: string, test: string, mode: string) => h('input', { value, 'data-test': test, inputmode: mode, placeholder: '—' });
  const cc = inp(l.cashier?.count ? String(l.cashier.count) : '', 'limit-cashier-count', 'numeric');
  const ca = inp(l.cashier?.amount ?? '', 'limit-cashier-amount', 'decimal');
  const tc = inp(l.till?.count ? String(l.till.count) : '', 'limit-till-count', 'numeric');
  const ta = inp(l.till?.amount ?? '', 'limit-till-amount', 'decimal');
  const count = (s: string) => (s.trim() === '' ? null : Math.trunc(Number(s)));
  const save = async () => {
    try {
      await ctx.backend.saveLimits({ cashier_count: count(cc.value), cashier_amount: ca.value.trim() || null, till_count: count(tc.value), till_amount: ta.value.trim() || null });
      ctx.toast(t('limits.saved'));
    } catch (e) { ctx.toast(errorText(e), 'error'); }
  };
  const personal = Object.keys(l.cashiers ?? {}).length;
  return h('fieldset', { class: 'limits', 'data-test': 'limits' }, h('legend', null, t('limits.title')),
    h('p', { class: 'muted' }, t('limits.hint')),
    h('div', { class: 'form-grid' },
      h('label', null, t('limits.cashierCount'), cc), h('label', null, t('limits.cashierAmount'), ca),
      h('label', null, t('limits.tillCount'), tc), h('label', null, t('limits.tillAmount'), ta)),
    personal ? h('p', { class: 'muted' }, t('limits.personal', { n: personal })) : null,
    h('button', { 'data-test': 'save-limits', onclick: () => void save() }, t('limits.save')));
}

/** The till's wording of a limit refusal. */
export function limitMessage(d: LimitDetails): string {
  const money = d.what === 'amount';
  const p = { who: d.who, used: money ? formatFen(d.used) : d.used, limit: money ? formatFen(d.limit) : d.limit, amount: formatFen(d.amount) };
  return [t(`limit.${d.scope}.${d.what}` as never, p), t('limit.ask')].join(lang() === 'en' ? ' ' : '');
}

/** An order's routing decision: attempts (fallbacks), candidates with health, skipped accounts. */
export function routeSection(d: RouteDecision, current: string, open: (orderNo: string) => void): HTMLElement {
  const skip = (s: RouteDecision['skipped'][number]) => {
    if (s.reason === 'over_daily_cap') return t('route.skip.over_daily_cap', { used: formatFen(s.used), cap: formatFen(s.cap) });
    if (s.reason === 'circuit_open') return t('route.skip.circuit_open', { until: fmtTime(s.until) });
    return tk('route.skip', s.reason);
  };
  const body = h('div', { class: 'route', 'data-test': 'route' });
  mount(body,
    h('p', { class: 'muted' }, `${tk('method', d.method)} · ${tk('kind', d.kind)} · ${d.mode === 'named' ? t('route.named') : t('route.auto')} · ${d.fallback ? t('route.fallbackOn') : t('route.fallbackOff')}`),
    h('h4', null, t('route.attempts')),
    h('ol', { class: 'attempts', 'data-test': 'attempts' }, d.attempts.map((a) => h('li', { 'data-outcome': a.outcome, class: a.order_no === current ? 'current' : '' },
      h('strong', null, a.account), ' ',
      a.order_no === current ? h('span', { class: 'muted' }, `${a.order_no} (${t('route.thisOrder')})`) : h('button', { class: 'link mono', onclick: () => open(a.order_no) }, a.order_no),
      h('div', null, h('span', { class: `badge o-${a.outcome}` }, tk('route.outcome', a.outcome)), 'message' in a ? h('small', { class: 'muted' }, ` ${a.message}`) : null,
        'proof' in a ? h('small', null, ` · ${a.proof}`) : null)))),
    h('h4', null, t('route.candidates')),
    h('ol', { class: 'candidates', 'data-test': 'candidates' }, d.candidates.map((c) => h('li', { 'data-account': c.account },
      h('strong', null, c.account), ' ', h('small', { class: 'muted' }, t('route.priority', { p: c.priority, w: c.weight })),
      healthCell(c.health, c.note?.note === 'demoted'),
      c.note ? h('small', { class: 'note' }, c.note.note === 'demoted' ? t('route.note.demoted', { pct: c.note.success_pct }) : t('route.note.probe')) : null))),
    d.skipped.length ? [h('h4', null, t('route.skipped')), h('ul', { class: 'skipped', 'data-test': 'skipped' }, d.skipped.map((s) => h('li', { 'data-reason': s.reason }, h('strong', null, s.account), ' — ', skip(s))))] : null);
  return h('details', { class: 'route-box', open: true }, h('summary', null, t('route.title')), body);
}
