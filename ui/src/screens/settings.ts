// Channels & settings (owner): general settings with live callback status, accounts (add/edit,
// enable, key import, test connection), users and PINs, the till's printer (printer-settings.ts).

import { h, mount } from '../dom';
import { fmtShort, fmtTime, t, tk } from '../i18n';
import { errorText } from '../error-text';
import type { AccountConfig, AccountView, CallbackMode, LinkStatus, Role, SettingsView } from '../backend/types';
import { drawLink } from '../shop';
import type { Ctx } from '../context';
import { channelHint } from './account-hints';
import { channelsTable, limitsForm } from './routing';
import { printerSettings } from './printer-settings';
import { backupTab } from './backup';
import { probeMessage } from '../probe';

type Tab = 'general' | 'accounts' | 'users' | 'backup' | 'receipt';

/** The shared book: this till's link and the shop's tills by store. */
function sharedSection(link: LinkStatus): HTMLElement {
  const head = h('h3', null, t('shop.section'));
  if (link.state === 'off') return h('div', { class: 'shared-book', 'data-test': 'shared-book' }, head, h('p', { class: 'muted' }, t('shop.single')));
  const badge = h('span', { 'data-test': 'shared-link' });
  drawLink(badge, link);
  return h('div', { class: 'shared-book', 'data-test': 'shared-book' }, head,
    h('p', null, badge, ' ', h('small', null, t('link.title', { till: link.till ?? '', store: link.store ?? '', url: link.url ?? '' }))),
    h('table', { class: 'tills' }, h('tbody', null, link.tills.map((x) => h('tr', { 'data-till': x.till },
      h('td', null, t('shop.store', { store: x.store })), h('td', null, t('shop.till', { till: x.till })),
      h('td', { class: 'muted' }, x.pushed_at ? t('shop.lastSent', { at: fmtShort(x.pushed_at) }) : t('shop.never')))))),
    h('p', { class: 'muted' }, t('shop.note')));
}

export function settingsScreen(ctx: Ctx): { el: HTMLElement; dispose: () => void } {
  let tab: Tab = 'general';
  const body = h('div', { class: 'settings-body' });
  const tabs = h('nav', { class: 'tabs' });
  const root = h('section', { class: 'settings', 'data-screen': 'settings' }, tabs, body);
  const err = (e: unknown) => ctx.toast(errorText(e), 'error');

  function drawTabs() {
    const list: Tab[] = ['general', 'accounts', ...(ctx.can('manage_users') ? ['users' as Tab] : []), 'backup', 'receipt'];
    mount(tabs, list.map((x) => h('button', { class: x === tab ? 'active' : '', 'data-tab': x, onclick: () => { tab = x; drawTabs(); void draw(); } }, t(`settings.tab.${x}` as never))));
  }

  async function draw() {
    try {
      if (tab === 'general') mount(body, await general());
      else if (tab === 'accounts') mount(body, await accounts());
      else if (tab === 'users') mount(body, await users());
      else if (tab === 'backup') mount(body, await backupTab(ctx, () => void draw()));
      else mount(body, await printerSettings(ctx));
    } catch (e) { err(e); }
  }

  async function general(): Promise<HTMLElement> {
    const v: SettingsView = await ctx.backend.getSettings();
    const status = await ctx.backend.callbackStatus();
    const link = await ctx.backend.linkStatus();
    const mode = v.settings.callback;
    const lifetime = h('input', { type: 'number', min: '30', max: '3600', value: String(v.settings.qr_lifetime_secs), 'data-test': 'qr-lifetime' });
    const modeSel = h('select', { 'data-test': 'callback-mode' }, (['polling_only', 'public_url', 'tunnel'] as const).map((m) => h('option', { value: m, selected: mode.mode === m }, t(`callback.${m}` as never))));
    const url = h('input', { placeholder: 'https://pay.example.com', value: mode.mode === 'public_url' ? mode.base_url : '' });
    const server = h('input', { placeholder: 'tunnel.example.com', value: mode.mode === 'tunnel' ? mode.server : '' });
    const voice = h('input', { type: 'checkbox', checked: v.voice, 'data-test': 'voice-on' });
    const customer = h('input', { type: 'checkbox', checked: v.customer_display });
    const idleMins = h('input', { type: 'number', min: '0', max: '240', value: String(v.idle_logout_mins), 'data-test': 'idle-logout' });
    const save = async () => {
      const m = modeSel.value;
      const callback: CallbackMode = m === 'public_url' ? { mode: 'public_url', base_url: url.value.trim() } : m === 'tunnel' ? { mode: 'tunnel', server: server.value.trim(), secret_file: null } : { mode: 'polling_only' };
      try {
        const restart = await ctx.backend.saveSettings({ qr_lifetime_secs: Number(lifetime.value), callback, voice: voice.checked, customer_display: customer.checked, idle_logout_mins: Number(idleMins.value) });
        ctx.toast(restart ? t('settings.savedRestart') : t('settings.saved'));
        void draw();
      } catch (e) { err(e); }
    };
    return h('div', { class: 'form-grid' },
      h('label', null, t('settings.qrLifetime'), lifetime),
      h('label', null, t('settings.callbackMode'), modeSel),
      h('label', null, t('settings.publicUrl'), url),
      h('label', null, t('settings.tunnelServer'), server),
      h('div', { class: 'status-line', 'data-test': 'callback-status' }, t('settings.callbackStatus'), ' ',
        h('span', { class: `badge cb-${status.state}`, 'data-state': status.state }, t(`callback.state.${status.state}` as never)), ' ', h('small', null, status.detail)),
      h('label', { class: 'check' }, voice, t('settings.voice')),
      h('label', { class: 'check' }, customer, t('settings.customerDisplay')),
      h('label', null, t('settings.idleLogout'), idleMins),
      h('p', { class: 'muted' }, t('settings.home', { home: v.home, till: v.settings.till_id, tz: v.settings.timezone })),
      h('p', { class: 'muted', 'data-test': 'about' }, t('backup.about', { version: ctx.info.version, shop: ctx.info.shop_name || '—' })),
      h('button', { class: 'primary', 'data-test': 'save-settings', onclick: () => void save() }, t('settings.save')),
      ctx.can('manage_settings') ? limitsForm(ctx, v) : null,
      sharedSection(link));
  }

  async function accounts(): Promise<HTMLElement> {
    const list: AccountView[] = await ctx.backend.listAccounts();
    const editor = h('div', { class: 'account-editor' });
    const edit = (a: AccountConfig | null) => mount(editor, accountForm(a));
    return h('div', null,
      channelsTable(ctx, list, (v) => edit(v.account), (name, btn) => void test(name, btn), () => void draw()),
      ctx.can('manage_accounts') && h('button', { class: 'primary', onclick: () => edit(null) }, t('account.add')), editor);
  }

  async function test(name: string, btn: HTMLElement) {
    btn.textContent = t('account.testing');
    try {
      const p = await ctx.backend.testAccount(name);
      ctx.toast(probeMessage(p), p.ok ? 'ok' : 'error');
    } catch (e) { err(e); }
    btn.textContent = t('account.test');
  }

  function accountForm(a: AccountConfig | null): HTMLElement {
    const acc: AccountConfig = a ? structuredClone(a) : { name: '', channel: 'alipay', display_name: '', enabled: true, priority: 10, weight: 1, fee_rate_bp: 0, daily_cap: null, methods: [], base_url: null, params: {} };
    const f = (label: string, value: string, on: (v: string) => void, ro = false) => h('label', null, t(label as never), h('input', { value, disabled: ro, oninput: (e: Event) => on((e.target as HTMLInputElement).value) }));
    const params = h('textarea', { rows: '5', class: 'mono' }, Object.entries(acc.params).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join('\n'));
    const hint = channelHint(acc.channel);
    const keyField = h('input', { placeholder: 'private_key_file' });
    const keyPath = h('input', { placeholder: '/path/to/key.pem' });
    const parseParams = (): Record<string, unknown> => Object.fromEntries(params.value.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
      const i = l.indexOf('=');
      const k = l.slice(0, i).trim();
      const raw = l.slice(i + 1).trim();
      try { return [k, JSON.parse(raw)]; } catch { return [k, raw]; }
    }));
    const importKey = async () => {
      try {
        const rel = await ctx.backend.importKey(acc.name, keyField.value.trim(), keyPath.value.trim());
        params.value = `${params.value.trim()}\n${keyField.value.trim()} = ${JSON.stringify(rel)}`.trim();
        ctx.toast(t('account.keyImported', { path: rel }));
      } catch (e) { err(e); }
    };
    const save = async () => {
      try { await ctx.backend.saveAccount({ ...acc, params: parseParams() }); ctx.toast(t('settings.saved')); void draw(); } catch (e) { err(e); }
    };
    return h('div', { class: 'form-grid' }, h('h3', null, a ? t('account.editTitle', { name: a.name }) : t('account.addTitle')),
      f('account.name', acc.name, (v) => { acc.name = v; }, !!a), f('account.displayName', acc.display_name, (v) => { acc.display_name = v; }),
      f('account.channel', acc.channel, (v) => { acc.channel = v; hint.update(v); }), f('account.baseUrl', acc.base_url ?? '', (v) => { acc.base_url = v || null; }),
      f('account.feeRate', String(acc.fee_rate_bp), (v) => { acc.fee_rate_bp = Number(v) || 0; }), f('account.priority', String(acc.priority), (v) => { acc.priority = Number(v) || 10; }),
      h('label', null, t('account.params'), params, hint.el),
      h('div', { class: 'key-import' }, h('strong', null, t('account.importKey')), keyField, keyPath, h('button', { onclick: () => void importKey() }, t('account.import')), h('small', { class: 'muted' }, t('account.keyNote'))),
      h('button', { class: 'primary', onclick: () => void save() }, t('settings.save')));
  }

  async function users(): Promise<HTMLElement> {
    const list = await ctx.backend.listUsers();
    const name = h('input', { placeholder: t('users.name') });
    const role = h('select', null, (['cashier', 'owner', 'accountant'] as Role[]).map((r) => h('option', { value: r }, tk('role', r))));
    const pin = h('input', { type: 'password', inputmode: 'numeric', placeholder: t('users.pin') });
    const add = async () => { try { await ctx.backend.addUser(name.value.trim(), role.value as Role, pin.value); void draw(); } catch (e) { err(e); } };
    const newPin = (n: string, r: Role) => { const p = prompt(t(r === 'owner' ? 'users.newPinForOwner' : 'users.newPinFor', { name: n })); if (p) void ctx.backend.setUserPin(n, p).then(() => ctx.toast(t('settings.saved')), err); };
    return h('div', null, h('table', null, h('tbody', null, list.map((u) => h('tr', null, h('td', null, u.name), h('td', null, tk('role', u.role)),
      h('td', null, u.enabled ? t('users.enabled') : t('users.disabled')),
      h('td', { class: 'actions' }, h('button', { onclick: () => newPin(u.name, u.role) }, t('users.changePin')),
        h('button', { onclick: () => void ctx.backend.setUserEnabled(u.name, !u.enabled).then(draw, err) }, u.enabled ? t('account.disable') : t('account.enable'))))))),
      h('div', { class: 'inline-form' }, name, role, pin, h('button', { class: 'primary', onclick: () => void add() }, t('users.add'))));
  }

  drawTabs();
  void draw();
  return { el: root, dispose: () => {} };
}

export function auditScreen(ctx: Ctx): { el: HTMLElement; dispose: () => void } {
  const root = h('section', { class: 'audit', 'data-screen': 'audit' }, h('p', { class: 'muted' }, t('audit.loading')));
  void ctx.backend.auditLog(500).then((entries) => mount(root, h('table', null,
    h('thead', null, h('tr', null, ['audit.at', 'audit.actor', 'audit.action', 'audit.target', 'audit.outcome', 'audit.detail'].map((k) => h('th', null, t(k as never))))),
    h('tbody', null, entries.map((e) => h('tr', { 'data-action': e.action, 'data-outcome': e.outcome },
      h('td', null, fmtTime(e.at)), h('td', null, e.actor ? (e.role ? `${e.actor} (${tk('role', e.role)})` : e.actor) : '—'), h('td', null, tk('auditAction', e.action)),
      h('td', { class: 'mono' }, e.target ?? ''), h('td', null, h('span', { class: `badge o-${e.outcome}` }, tk('outcome', e.outcome))), h('td', null, e.detail)))))),
  (e) => mount(root, h('p', { class: 'error' }, errorText(e))));
  return { el: root, dispose: () => {} };
}
