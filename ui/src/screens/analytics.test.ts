import { describe, expect, it } from 'vitest';
import { kpiChange, kpiValue } from './analytics';
import { fakeAnalytics, resolve } from '../backend/fake-analytics';
import type { Kpi } from '../backend/analytics';

const kpi = (over: Partial<Kpi>): Kpi => ({ key: 'gross', unit: 'fen', value: 123456, previous: 100000, diff: 23456, change_bp: 2346, higher_is_better: true, ...over });

describe('analytics cards', () => {
  it('formats values by unit', () => {
    expect(kpiValue(kpi({}), 123456)).toBe('¥1,234.56');
    expect(kpiValue(kpi({}), -500)).toBe('¥-5.00');
    expect(kpiValue(kpi({ unit: 'basis_points' }), 9734)).toBe('97.3%');
    expect(kpiValue(kpi({ unit: 'count' }), 12345)).toBe('12,345');
    expect(kpiValue(kpi({}), null)).toBe('—');
  });
  it('says whether a change is good news', () => {
    expect(kpiChange(kpi({}))).toEqual({ text: '▲ 23.5%', mood: 'good' });
    expect(kpiChange(kpi({ key: 'refunds', higher_is_better: false }))).toEqual({ text: '▲ 23.5%', mood: 'bad' });
    expect(kpiChange(kpi({ change_bp: -1250 }))).toEqual({ text: '▼ 12.5%', mood: 'bad' });
    expect(kpiChange(kpi({ unit: 'basis_points', diff: -120, change_bp: null }))).toEqual({ text: '▼ 1.2 pt', mood: 'bad' });
    expect(kpiChange(kpi({ change_bp: null })).text).toBe('');
  });
});

describe('fake analytics', () => {
  it('resolves presets like the Rust side', () => {
    const wed = new Date(2026, 10, 25, 14, 30);
    const d = (x: Date) => x.toISOString().slice(0, 10);
    const [f, t, pf, pt] = resolve({ period: 'week' }, wed).map((x) => new Date(x.getTime() + 12 * 3600_000));
    expect([d(f), d(t), d(pf), d(pt)]).toEqual(['2026-11-23', '2026-11-25', '2026-11-16', '2026-11-18']);
    expect(() => resolve({ period: 'custom', from: '2026-11-10', to: '2026-11-01' }, wed)).toThrow(/^to:/);
    expect(() => resolve({ period: 'custom', from: '', to: '2026-11-01' }, wed)).toThrow(/^from:/);
  });
  it('keeps the figures consistent', () => {
    const v = fakeAnalytics([], { period: 'month' }, { theme: 'light', lang: 'zh-CN' }, new Date(2026, 10, 25, 20));
    const c = v.dashboard.current;
    expect(v.dashboard.by_day.length).toBe(25);
    expect(v.dashboard.by_day.reduce((s, x) => s + x.gross, 0)).toBe(c.gross);
    expect(c.net).toBe(c.gross - c.refunds);
    expect(v.charts.map((x) => x.kind)).toEqual(['sales', 'hours', 'heatmap', 'methods', 'channels']);
  });
});
