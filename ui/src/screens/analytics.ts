// Analytics (owner, accountant): range picker (today … year, custom), KPI cards with the change
// against the previous period, the charts (SVG drawn in Rust), why orders were not paid, and
// the report export (XLSX/CSV figures + PNG charts).

import { fitText, h, mount, svgNode } from '../dom';
import { lang, t, tk } from '../i18n';
import { formatFenGrouped } from '../money';
import { toBackendError } from '../backend/errors';
import { errorText } from '../error-text';
import { PERIODS, type AnalyticsView, type Kpi, type PeriodKind, type RangeInput } from '../backend/analytics';
import { scopePicker, type Scope } from '../shop';
import type { Ctx } from '../context';
import { currentTheme, onThemeChange } from '../theme';

const pct = (bp: number) => `${(bp / 100).toFixed(1)}%`;

/** A KPI's value as shown on its card. */
export function kpiValue(k: Kpi, v: number | null): string {
  if (v === null) return '—';
  if (k.unit === 'fen') return `¥${v < 0 ? '-' : ''}${formatFenGrouped(Math.abs(v))}`;
  if (k.unit === 'basis_points') return pct(v);
  return v.toLocaleString('en-US');
}

/** The change line: "▲ 12.3%" (or "▲ 1.2 pt" for rates), and whether it is good news. */
export function kpiChange(k: Kpi): { text: string; mood: 'good' | 'bad' | 'flat' } {
  const d = k.unit === 'basis_points' ? k.diff : k.change_bp;
  if (d === null) return { text: '', mood: 'flat' };
  if (d === 0) return { text: '—  0', mood: 'flat' };
  const arrow = d > 0 ? '▲' : '▼';
  const size = k.unit === 'basis_points' ? `${(Math.abs(d) / 100).toFixed(1)} pt` : pct(Math.abs(d));
  return { text: `${arrow} ${size}`, mood: (d > 0) === k.higher_is_better ? 'good' : 'bad' };
}

export function analyticsScreen(ctx: Ctx): { el: HTMLElement; dispose: () => void } {
  let range: RangeInput = { period: 'today' };
  let view: AnalyticsView | null = null;
  let seq = 0;
  const today = new Date();
  const iso = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  const from = h('input', { type: 'date', 'data-test': 'from', value: iso(new Date(today.getFullYear(), today.getMonth(), 1)) });
  const to = h('input', { type: 'date', 'data-test': 'to', value: iso(today) });
  const error = h('p', { class: 'error', 'data-test': 'range-error' });
  const picker = h('div', { class: 'range-picker' });
  const caption = h('p', { class: 'muted range-caption', 'data-test': 'range-caption' });
  const cards = h('div', { class: 'kpis', 'data-test': 'kpis' });
  const charts = h('div', { class: 'charts', 'data-test': 'charts' });
  const failures = h('div', { class: 'failures card', 'data-test': 'failures' });
  const exportBtn = ctx.can('export_analytics') ? h('button', { 'data-test': 'export-report', onclick: () => void exportReport() }, t('analytics.export')) : null;
  // A chain: one store or till, or all of it (the default).
  const scope = h('span', { class: 'scope-slot' });
  let chosen: Scope = { store: null, till: null };
  void ctx.backend.tillStores().then((tills) => mount(scope, scopePicker(tills, (s) => { chosen = s; void load(); }))).catch(() => {});
  const root = h('section', { class: 'analytics', 'data-screen': 'analytics' },
    h('div', { class: 'analytics-head' }, picker, scope, exportBtn), caption, error, cards, charts, failures);

  function drawPicker() {
    mount(picker,
      h('div', { class: 'segmented' }, PERIODS.map((p) => h('button', { class: p === range.period ? 'active' : '', 'data-period': p, onclick: () => pick(p) }, t(`analytics.period.${p}` as never)))),
      range.period === 'custom' && h('span', { class: 'custom' }, from, '–', to, h('button', { class: 'primary', 'data-test': 'apply', onclick: () => { range = { period: 'custom', from: from.value, to: to.value }; void load(); } }, t('analytics.apply'))));
  }

  function pick(p: PeriodKind) {
    range = p === 'custom' ? { period: p, from: from.value, to: to.value } : { period: p };
    drawPicker();
    void load();
  }

  async function load() {
    const mine = ++seq;
    root.classList.add('loading');
    error.textContent = '';
    try {
      const v = await ctx.backend.analytics({ ...range, ...chosen }, { theme: currentTheme(), lang: lang() });
      if (mine !== seq) return;
      view = v;
    } catch (e) {
      if (mine !== seq) return;
      const err = toBackendError(e);
      error.textContent = errorText(err);
      view = null;
    } finally {
      if (mine === seq) root.classList.remove('loading');
    }
    render();
  }

  async function exportReport() {
    try {
      const r = await ctx.backend.exportAnalytics({ ...range, ...chosen }, { theme: currentTheme(), lang: lang() });
      ctx.toast(t('analytics.exported', { n: r.files.length, dir: r.dir }));
    } catch (e) { ctx.toast(errorText(e), 'error'); }
  }

  function render() {
    if (!view) { mount(cards); mount(charts); mount(failures); caption.textContent = ''; return; }
    const d = view.dashboard;
    caption.textContent = t('analytics.caption', { from: d.window.from, to: d.window.to, pfrom: d.previous_window.from, pto: d.previous_window.to, tz: d.timezone });
    mount(cards, d.kpis.map((k) => {
      const c = kpiChange(k);
      return h('div', { class: 'kpi card', 'data-kpi': k.key },
        h('div', { class: 'kpi-label' }, t(`analytics.kpi.${k.key}` as never)),
        h('div', { class: 'kpi-value', 'data-test': `kpi-${k.key}`, title: kpiValue(k, k.value) }, kpiValue(k, k.value)),
        h('div', { class: 'kpi-foot' }, h('span', { class: `change ${c.mood}`, 'data-test': `change-${k.key}` }, c.text), h('span', { class: 'muted' }, t('analytics.previous', { v: kpiValue(k, k.previous) }))));
    }));
    fitValues();
    // A one-day period's sales chart already goes by hour: no second hourly chart.
    const oneDay = d.window.from === d.window.to;
    mount(charts, view.charts.filter((c) => !(oneDay && c.kind === 'hours')).map((c) => h('figure', { class: `chart card chart-${c.kind}`, 'data-chart': c.kind }, svgNode(c.svg))));
    mount(failures, h('h3', null, t('analytics.failures')),
      d.failures.length === 0 ? h('p', { class: 'muted', 'data-test': 'no-failures' }, t('analytics.noFailures')) :
        h('table', null, h('thead', null, h('tr', null, ['analytics.channel', 'analytics.reason', 'analytics.count', 'analytics.share'].map((k) => h('th', null, t(k as never))))),
          h('tbody', null, d.failures.map((f) => h('tr', { 'data-failure': f.code },
            h('td', null, tk('method', f.channel)),
            h('td', null, h('span', { class: 'mono' }, f.code), ' ', h('span', { class: 'muted' }, f.code === 'CLOSED' ? t('analytics.closedUnpaid') : f.message)),
            h('td', { class: 'num' }, String(f.count)), h('td', { class: 'num' }, pct(f.share_bp)))))));
  }

  /** A year's takings in fen do not fit a card at the till's width: the figure gets smaller, never cut. */
  function fitValues() {
    requestAnimationFrame(() => cards.querySelectorAll<HTMLElement>('.kpi-value').forEach((el) => fitText(el, 14)));
  }
  window.addEventListener('resize', fitValues);

  drawPicker();
  void load();
  // The charts are drawn in the theme: a change of theme draws them again.
  const unsubscribe = onThemeChange(() => void load());
  // Leaving the screen: a load still in flight is ignored.
  return { el: root, dispose: () => { seq++; unsubscribe(); window.removeEventListener('resize', fitValues); } };
}
