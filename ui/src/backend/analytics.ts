// Analytics types, mirrored from paydesk-core (analytics::Dashboard) and
// src-tauri/src/commands/analytics.rs. Money is integer fen; rates are basis points.

export type PeriodKind = 'today' | 'yesterday' | 'week' | 'month' | 'year' | 'custom';
export const PERIODS: PeriodKind[] = ['today', 'yesterday', 'week', 'month', 'year', 'custom'];

export interface RangeInput { period: PeriodKind; from?: string | null; to?: string | null; store?: string | null; till?: string | null }
export interface Look { theme: 'light' | 'dark'; lang: string }

export interface Window { from: string; to: string; start: string; end: string }
export interface Totals {
  gross: number; refunds: number; net: number; fees: number; orders: number; refund_count: number;
  attempts: number; failed: number; closed: number; average_ticket: number; success_rate_bp: number | null;
}
export type KpiKey = 'gross' | 'refunds' | 'net' | 'orders' | 'average_ticket' | 'success_rate' | 'fees';
export interface Kpi {
  key: KpiKey; unit: 'fen' | 'count' | 'basis_points'; value: number | null; previous: number | null;
  diff: number | null; change_bp: number | null; higher_is_better: boolean;
}
export interface DayFigures { date: string; gross: number; refunds: number; net: number; orders: number; attempts: number; previous_date: string | null; previous_gross: number | null }
export interface ChannelFigures { channel: string; attempts: number; orders: number; failed: number; closed: number; success_rate_bp: number | null; gross: number; fees: number; refunds: number; refund_count: number }
export interface MethodFigures { method: string; orders: number; gross: number; share_bp: number }
export interface FailureReason { channel: string; code: string; message: string; count: number; share_bp: number }
export interface Dashboard {
  timezone: string; generated_at: string; window: Window; previous_window: Window;
  current: Totals; previous: Totals; kpis: Kpi[]; by_day: DayFigures[];
  by_hour: { hour: number; orders: number; gross: number; previous_gross: number }[];
  by_weekday: { weekday: number; orders: number; gross: number; days: number }[];
  heatmap: number[][]; channels: ChannelFigures[]; methods: MethodFigures[]; failures: FailureReason[];
}
export type ChartKind = 'sales' | 'hours' | 'heatmap' | 'methods' | 'channels';
export interface AnalyticsView { dashboard: Dashboard; charts: { kind: ChartKind; svg: string }[] }
export interface ReportWritten { dir: string; files: string[] }
