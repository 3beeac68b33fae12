// End-to-end test of the Analytics screen in WebKitGTK, demo mode (a few months of seeded sales):
// the owner sees KPI cards and the five charts drawn in Rust, a payment taken at the till shows
// up in today's figures, ranges switch, the dark theme redraws the charts, the report is exported
// to disk; a cashier is refused (no menu entry, and Rust says forbidden); the accountant gets the
// screen.
// Usage (under Xvfb, tauri-driver running): node e2e-analytics.mjs /abs/paydesk-app

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { KEY, assert, sleep, suite } from './suite.mjs';

const s = suite('e2e-analytics');
const { wd, step, shot, login, logout, invoke, until } = s;

const yuan = async () => Number((await wd.exec('return document.querySelector("[data-test=kpi-gross]")?.textContent ?? ""')).replace(/[¥,]/g, ''));

await s.run(['--demo', '--no-customer-display'], async () => {
  await s.mainWindow();

  let before = 0;
  await step('the owner opens Analytics: seven KPI cards and the charts drawn in Rust', async () => {
    await login('李老板', '999999');
    // The demo writes its sales history in the background after start: wait until it is in.
    const look = { theme: 'light', lang: 'zh-CN' };
    await until(async () => ((await invoke('analytics', { range: { period: 'year' }, look })).ok?.dashboard?.current?.orders ?? 0) > 1000, 30000, 'the demo history');
    await wd.click('[data-nav=analytics]');
    await wd.waitFor('[data-chart=heatmap] svg', 20000);
    assert((await wd.findAll('[data-kpi]')).length === 7, 'seven KPI cards');
    assert((await wd.findAll('[data-chart] svg')).length === 4, 'four charts (a single day has no second hourly chart)');
    const svg = await wd.exec('return document.querySelector("[data-chart=sales] svg").outerHTML');
    assert(svg.includes('各时段销售额'), 'today goes by hour, titled in Chinese');
    assert(svg.includes('Noto Sans CJK SC'), 'the charts name the CJK font');
    before = await yuan();
    assert(Number.isFinite(before) && before >= 0, `today's gross: ${before}`); // 0 before the demo shop opens at 7:00
    await sleep(300);
    await shot('20-analytics-today');
  });

  await step('a payment at the till shows up in today\'s figures', async () => {
    await wd.click('[data-nav=cashier]');
    await wd.waitFor('[data-method=sandbox]');
    await wd.type('[data-test=scan]', '12.34' + KEY.enter);
    await wd.waitFor('[data-state=qr] [data-test=qr] svg', 15000);
    await wd.click('[data-test=sim-pay]');
    await wd.waitFor('[data-state=success]', 15000);
    await wd.click('[data-nav=analytics]');
    await until(async () => (await wd.exists('[data-test=kpi-gross]')) && Math.round((await yuan()) * 100) - Math.round(before * 100) >= 1234, 15000, 'gross to grow');
    // Demo history written before now can only add up; our payment is exactly 12.34 more.
    assert(Math.round((await yuan()) * 100) - Math.round(before * 100) === 1234, `gross grew by 12.34 (${before} → ${await yuan()})`);
  });

  await step('month and year ranges, with the comparison named', async () => {
    await wd.click('[data-period=month]');
    await until(async () => (await wd.text('[data-test=range-caption]')).includes('对比'), 15000, 'month caption');
    await wd.waitFor('[data-chart=sales] svg');
    await sleep(400);
    await shot('21-analytics-month');
    await wd.click('[data-period=year]');
    await until(async () => (await wd.exec('return document.querySelector("[data-chart=sales] svg")?.outerHTML ?? ""')).includes('每日销售额'), 15000, 'year chart');
    assert((await wd.findAll('[data-chart] svg')).length === 5, 'five charts for a year');
    assert((await yuan()) > 1000, `the demo history fills the year: ${await yuan()}`);
    // A year's takings (seven digits and the fen) fit their card: smaller, never cut off.
    await until(async () => wd.exec('return [...document.querySelectorAll(".kpi-value")].every((e) => e.scrollWidth <= e.clientWidth)'), 5000, 'every KPI value to fit its card');
    const failures = await wd.findAll('[data-failure]');
    assert(failures.length > 0, 'failure reasons listed');
  });

  await step('the dark theme: the page and the charts drawn in Rust follow it', async () => {
    // The appearance button cycles system → light → dark.
    const pick = (v) => wd.exec(`for (let i = 0; i < 3 && document.querySelector("[data-test=theme]").dataset.pref !== "${v}"; i++) document.querySelector("[data-test=theme]").click()`);
    const salesSvg = async () => (await wd.exec('return document.querySelector("[data-chart=sales] svg")?.outerHTML ?? ""')).toUpperCase();
    await pick('dark');
    try {
      await until(async () => (await salesSvg()).includes('FILL="#1B1D22"'), 15000, 'the sales chart drawn dark');
      assert(await wd.exec('return getComputedStyle(document.documentElement).backgroundColor') === 'rgb(18, 19, 23)', 'the page is dark');
      await sleep(300);
      await shot('22-analytics-year-dark');
    } finally {
      // Back to the system's choice: the webview keeps it for the suites after this one.
      await pick('system');
    }
    await until(async () => !(await salesSvg()).includes('FILL="#1B1D22"'), 15000, 'the sales chart drawn light again');
  });

  await step('the report is written to disk (XLSX, CSV, PNG) and audited', async () => {
    const r = await invoke('export_analytics', { range: { period: 'month' }, look: { theme: 'light', lang: 'zh-CN' } });
    assert(r.ok && r.ok.files.length === 13, `export: ${JSON.stringify(r)}`);
    for (const f of r.ok.files) assert(existsSync(join(r.ok.dir, f)) && statSync(join(r.ok.dir, f)).size > 40, `${f} written`);
    await wd.click('[data-test=export-report]');
    await until(async () => (await wd.text('[data-test=toast]')).includes('13'), 15000, 'export toast');
  });

  await step('English labels, charts redrawn in English', async () => {
    await wd.exec('document.querySelector("[data-test=lang]").value = "en"; document.querySelector("[data-test=lang]").dispatchEvent(new Event("change"))');
    await until(async () => (await wd.exec('return document.querySelector("[data-chart=methods] svg")?.outerHTML ?? ""')).includes('Payment methods'), 15000, 'English charts');
    await sleep(4500); // let the toast fade
    await shot('22-analytics-en');
    await wd.exec('document.querySelector("[data-test=lang]").value = "zh-CN"; document.querySelector("[data-test=lang]").dispatchEvent(new Event("change"))');
    await logout();
  });

  await step('a cashier has no Analytics (menu and Rust); the accountant has', async () => {
    await login('王芳', '1111');
    await wd.waitFor('[data-screen=cashier]');
    assert(!(await wd.exists('[data-nav=analytics]')), 'no menu entry for a cashier');
    const r = await invoke('analytics', { range: { period: 'today' }, look: { theme: 'light', lang: 'zh-CN' } });
    assert(r.err?.code === 'forbidden', `cashier analytics: ${JSON.stringify(r)}`);
    await logout();
    await login('陈会计', '5555');
    await wd.click('[data-nav=analytics]');
    await wd.waitFor('[data-chart=channels] svg', 20000);
    assert(await wd.exists('[data-test=export-report]'), 'the accountant exports');
  });
});
