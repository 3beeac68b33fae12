// The shell: header with the screens this role may open, language switch, logout; one screen at
// a time. The reconciliation tab carries a badge with the discrepancies yesterday's run left open.

import { h, mount } from './dom';
import { LANG_NAMES, LANGS, lang, onLangChange, setLang, t, tk } from './i18n';
import { THEME_ICONS, THEME_PREFS, initTheme, setThemePref, themePref } from './theme';
import type { Backend } from './backend/backend';
import type { Action, AppInfo, LinkStatus, Session } from './backend/types';
import { drawLink } from './shop';
import type { Ctx, ScreenName } from './context';
import { loginScreen } from './screens/login';
import { cashierScreen } from './screens/cashier';
import { ordersScreen } from './screens/orders';
import { analyticsScreen } from './screens/analytics';
import { auditScreen, settingsScreen } from './screens/settings';
import { reconScreen } from './screens/recon';
import { shiftsScreen } from './screens/shifts';
import { showNotices, watchIdle, withReauth } from './session';

const SCREENS: { name: ScreenName; needs: Action }[] = [
  { name: 'cashier', needs: 'take_payment' },
  { name: 'orders', needs: 'view_orders' },
  { name: 'shifts', needs: 'view_shifts' },
  { name: 'analytics', needs: 'view_analytics' },
  { name: 'recon', needs: 'reconcile' },
  { name: 'settings', needs: 'view_settings' },
  { name: 'audit', needs: 'view_audit' },
];

export async function startApp(root: HTMLElement, rawBackend: Backend) {
  initTheme();
  // Management asks for the PIN again; a session the backend ended (idle) returns to the login.
  const backend = withReauth(rawBackend, () => { if (session) void ended(); });
  let info: AppInfo = await backend.appInfo();
  setLang(info.lang);
  let session: Session | null = info.session;
  let screen: ScreenName = 'login';
  let dispose: () => void = () => {};
  const header = h('header', { class: 'topbar' });
  const main = h('main', { class: 'main' });
  const toastEl = h('div', { class: 'toast', 'data-test': 'toast', role: 'status' });
  mount(root, header, main, toastEl);
  let toastTimer: ReturnType<typeof setTimeout> | undefined;
  let reconOpen = 0;
  let backupHealth = 'ok';

  const ctx: Ctx = {
    backend,
    get info() { return info; },
    get session() { return session; },
    can: (a) => !!session && session.allowed.includes(a),
    go: (s) => { screen = s; toastEl.className = 'toast'; draw(); },
    toast: (text, kind = 'ok') => {
      toastEl.textContent = text;
      toastEl.className = `toast show ${kind}`;
      clearTimeout(toastTimer);
      toastTimer = setTimeout(() => { toastEl.className = 'toast'; }, 4000);
    },
    onLoggedIn: (s) => {
      session = s;
      idle.reset();
      screen = SCREENS.find((x) => s.allowed.includes(x.needs))?.name ?? 'orders';
      void refresh();
      void showNotices(s.notices ?? []).then(() => reconAlert(true));
      void pollLink();
      void backupAlert();
    },
    reload: () => refresh(),
  };

  /** The session ended by itself (idle): back to the login, saying why. */
  async function ended() {
    const mins = Math.round((session?.idle_logout_secs ?? 0) / 60);
    session = null;
    screen = 'login';
    await refresh();
    ctx.toast(t('session.idleOut', { mins }), 'error');
  }
  const idle = watchIdle(backend, () => session?.idle_logout_secs, () => {
    if (!session) return;
    void backend.logout().catch(() => {}).then(ended);
  });

  // The link to the shop's shared book, in the header (nothing for a single till).
  const linkEl = h('span', { class: 'linkstate', 'data-test': 'link' });
  let link: LinkStatus | null = null;
  async function pollLink() {
    try { link = await backend.linkStatus(); } catch { link = null; }
    drawLink(linkEl, link);
  }
  const linkTimer = setInterval(() => { if (session) void pollLink(); }, 5000);
  window.addEventListener('beforeunload', () => clearInterval(linkTimer));
  void pollLink();

  async function refresh() { info = await backend.appInfo(); draw(); }

  /** Yesterday's (automatic) reconciliation: a badge on its tab, and a word at login. */
  async function reconAlert(atLogin = false) {
    if (!ctx.can('reconcile')) { reconOpen = 0; return; }
    try {
      const a = await backend.reconAlert();
      reconOpen = a?.open ?? 0;
      if (a && atLogin) ctx.toast(t('recon.alert', { day: a.day, open: a.open }), 'error');
    } catch { reconOpen = 0; }
    drawHeader();
  }
  void backend.onReconFinished(() => void reconAlert());

  /** Backups failing, too old or never made: a mark on the settings tab for the owner. */
  async function backupAlert() {
    if (!ctx.can('manage_settings')) { backupHealth = 'ok'; return; }
    try { backupHealth = (await backend.backupOverview()).health; } catch { backupHealth = 'ok'; }
    drawHeader();
  }
  // The reconciliation screen says when it changed something (re-query, resolve, run).
  window.addEventListener('paydesk:recon-changed', () => void reconAlert());
  // The Backups tab says when it backed up, restored or changed the folder: the mark follows.
  window.addEventListener('paydesk:backup-changed', () => void backupAlert());

  function drawHeader() {
    const langSel = h('select', { class: 'lang', 'data-test': 'lang', onchange: async (e: Event) => {
      const l = (e.target as HTMLSelectElement).value;
      await backend.setLanguage(l);
      setLang(l);
    } }, LANGS.map((l) => h('option', { value: l, selected: l === lang() }, LANG_NAMES[l])));
    // Appearance: one small button cycling system → light → dark (the header is full in English).
    const pref = themePref();
    const themeLabel = t('theme.label', { mode: t(`theme.${pref}` as never) });
    const themeBtn = h('button', { class: 'theme', 'data-test': 'theme', 'data-pref': pref, title: themeLabel, 'aria-label': themeLabel,
      onclick: () => { setThemePref(THEME_PREFS[(THEME_PREFS.indexOf(pref) + 1) % THEME_PREFS.length]); drawHeader(); } }, THEME_ICONS[pref]);
    mount(header,
      h('div', { class: 'brand' }, h('span', { class: 'logo' }, '¥'), t('app.name'), info.demo && h('span', { class: 'demo-badge', 'data-test': 'demo-badge' }, t('demo.badge'))),
      session && h('nav', { class: 'nav' }, SCREENS.filter((s) => session!.allowed.includes(s.needs)).map((s) =>
        h('button', { class: s.name === screen ? 'active' : '', 'data-nav': s.name, onclick: () => ctx.go(s.name) }, t(`nav.${s.name}` as never),
          s.name === 'recon' && reconOpen > 0 ? h('span', { class: 'count', 'data-test': 'recon-badge' }, String(reconOpen)) : null,
          s.name === 'settings' && backupHealth !== 'ok' ? h('span', { class: 'count', 'data-test': 'backup-badge', title: t(`backup.health.${backupHealth}` as never) }, '!') : null))),
      h('div', { class: 'who' }, linkEl, themeBtn, langSel,
        session && h('span', { class: 'user', 'data-test': 'who' }, `${session.user} · ${tk('role', session.role)}`),
        session && h('button', { 'data-test': 'logout', onclick: async () => { await backend.logout(); session = null; screen = 'login'; await refresh(); } }, t('nav.logout'))));
  }

  function draw() {
    dispose();
    dispose = () => {};
    if (!session) screen = 'login';
    drawHeader();
    let el: HTMLElement;
    if (screen === 'login') el = loginScreen(ctx);
    else {
      const s = screen === 'cashier' ? cashierScreen(ctx) : screen === 'orders' ? ordersScreen(ctx) : screen === 'shifts' ? shiftsScreen(ctx) : screen === 'analytics' ? analyticsScreen(ctx) : screen === 'recon' ? reconScreen(ctx) : screen === 'settings' ? settingsScreen(ctx) : auditScreen(ctx);
      el = s.el;
      dispose = s.dispose;
    }
    mount(main, el);
    document.body.dataset.screen = screen;
    if (session && screen !== 'login') void reconAlert();
    if (session && screen === 'settings') void backupAlert();
    if (screen === 'login') void backend.showCustomer({ phase: 'idle', amount: 0, method: null, qr_svg: null, expires_at: null });
  }

  onLangChange(draw);
  draw();
}
