// First start of an installed app: set up a real shop (name, owner PIN, callbacks; then the first
// merchant account with its key files imported and sealed, and a connection test), or try the
// demo, or bring a shop over from another PC (a move archive).

import { join } from './login';
import { h, mount } from '../dom';
import { t } from '../i18n';
import { errorText } from '../error-text';
import type { AccountConfig, CallbackMode, Session } from '../backend/types';
import type { Ctx } from '../context';

type CbMode = CallbackMode['mode'];

/** The channels a shop sets up first, with the parameters and key files each needs. */
export const FIRST_CHANNELS: Record<string, { params: string[]; keys: string[] }> = {
  alipay: { params: ['app_id'], keys: ['private_key_file', 'alipay_public_key_file'] },
  wechat: { params: ['mch_id', 'app_id', 'merchant_serial_no'], keys: ['private_key_file', 'apiv3_key_file'] },
  unionpay: { params: ['mer_id'], keys: ['sign_cert_file', 'sign_cert_password_file', 'middle_cert_file', 'root_cert_file'] },
  sandbox: { params: ['merchant_id'], keys: ['private_key_file', 'gateway_public_key_file'] },
};

export function setupScreen(ctx: Ctx, root: HTMLElement): HTMLElement {
  const msg = h('p', { class: 'error', 'data-test': 'setup-error' });
  const fail = (e: unknown) => { msg.textContent = errorText(e); };
  const card = h('div', { class: 'wizard' });
  let session: Session | null = null;
  const done = { shop: '', account: '', tested: false, callback: 'polling_only' as CbMode };
  mount(root, card, msg);

  const steps = ['wizard.step.shop', 'wizard.step.account', 'wizard.step.done'] as const;
  const progress = (at: number) => h('ol', { class: 'wizard-steps' }, steps.map((k, i) => h('li', { class: i === at ? 'active' : i < at ? 'done' : '' }, t(k))));
  const show = (...els: (HTMLElement | null | false)[]) => { msg.textContent = ''; mount(card, ...els); };

  function welcome() {
    show(h('h1', null, t('wizard.welcome')), h('p', { class: 'muted' }, t('wizard.welcomeHint')),
      h('div', { class: 'wizard-choices' },
        h('button', { class: 'primary big', 'data-test': 'wizard-setup', onclick: shop }, h('strong', null, t('wizard.setupShop')), h('small', null, t('wizard.setupShopHint'))),
        h('button', { class: 'big', 'data-test': 'wizard-demo', onclick: () => void ctx.backend.launchDemo().then(() => show(h('p', { 'data-test': 'wizard-restarting' }, t('wizard.startingDemo'))), fail) },
          h('strong', null, t('wizard.tryDemo')), h('small', null, t('wizard.tryDemoHint'))),
        h('button', { class: 'big', 'data-test': 'wizard-move', onclick: moveIn }, h('strong', null, t('wizard.moveIn')), h('small', null, t('wizard.moveInHint'))),
        h('button', { class: 'big', 'data-test': 'join-open', onclick: () => join(ctx, root) }, h('strong', null, t('join.open')), h('small', null, t('join.or')))));
  }

  function shop() {
    const name = h('input', { 'data-test': 'setup-shop', placeholder: t('wizard.shopName'), maxlength: '60' });
    const owner = h('input', { 'data-test': 'setup-name', placeholder: t('setup.name') });
    const pin = h('input', { type: 'password', inputmode: 'numeric', 'data-test': 'setup-pin', placeholder: t('setup.pin') });
    const pin2 = h('input', { type: 'password', inputmode: 'numeric', 'data-test': 'setup-pin2', placeholder: t('setup.pinAgain') });
    let mode: CbMode = 'polling_only';
    const url = h('input', { 'data-test': 'setup-public-url', placeholder: 'https://pay.example.com' });
    const server = h('input', { 'data-test': 'setup-tunnel-server', placeholder: 'tunnel.example.com' });
    const extra = h('div', { class: 'cb-extra' });
    const radios = h('div', { class: 'cb-modes' }, (['polling_only', 'tunnel', 'public_url'] as CbMode[]).map((m) => h('label', { class: 'cb-mode' },
      h('input', { type: 'radio', name: 'cb', value: m, checked: m === mode, 'data-cb': m, onchange: () => { mode = m; mount(extra, m === 'tunnel' ? server : m === 'public_url' ? url : null); } }),
      h('span', null, h('strong', null, t(`callback.${m}` as never)), h('small', null, t(`wizard.cb.${m}` as never))))));
    const next = async () => {
      if (pin.value !== pin2.value) { msg.textContent = t('setup.mismatch'); return; }
      const callback: CallbackMode = mode === 'tunnel' ? { mode, server: server.value.trim(), secret_file: null } : mode === 'public_url' ? { mode, base_url: url.value.trim() } : { mode };
      try {
        session = await ctx.backend.setupShop({ shop_name: name.value, owner: owner.value, pin: pin.value, callback });
        done.callback = mode;
        done.shop = name.value.trim();
        account();
      } catch (e) { fail(e); }
    };
    show(progress(0), h('h1', null, t('wizard.shopTitle')),
      h('div', { class: 'form' }, name, owner, pin, pin2),
      h('h3', null, t('wizard.cbTitle')), h('p', { class: 'muted' }, t('wizard.cbHint')), radios, extra,
      h('div', { class: 'wizard-nav' }, h('button', { onclick: welcome }, t('wizard.back')), h('button', { class: 'primary', 'data-test': 'setup-submit', onclick: () => void next() }, t('wizard.next'))));
    name.focus();
  }

  function account() {
    const acc: AccountConfig = { name: '', channel: 'alipay', display_name: '', enabled: true, priority: 10, weight: 1, fee_rate_bp: 0, daily_cap: null, methods: [], base_url: null, params: {} };
    const fields = h('div', { style: 'display: contents' });
    const result = h('p', { class: 'probe', 'data-test': 'wizard-probe' });
    const accName = h('input', { 'data-test': 'wizard-account-name', value: 'main', placeholder: t('account.name') });
    const baseUrl = h('input', { 'data-test': 'wizard-base-url', placeholder: t('wizard.baseUrlHint') });
    const channel = h('select', { 'data-test': 'wizard-channel', onchange: () => draw() }, Object.keys(FIRST_CHANNELS).map((c) => h('option', { value: c }, t(`wizard.channel.${c}` as never))));
    const values = new Map<string, HTMLInputElement>();
    const input = (key: string) => {
      let el = values.get(key);
      if (!el) values.set(key, (el = h('input', { 'data-param': key, placeholder: key })));
      return el;
    };
    const draw = () => {
      const spec = FIRST_CHANNELS[channel.value];
      mount(fields,
        ...spec.params.map((p) => h('label', null, p, input(p))),
        ...spec.keys.map((k) => h('label', null, `${k} — ${t('wizard.keyPath')}`, input(k))));
    };
    const save = async () => {
      result.textContent = t('account.testing');
      result.className = 'probe';
      const spec = FIRST_CHANNELS[channel.value];
      acc.name = accName.value.trim();
      acc.channel = channel.value;
      acc.display_name = t(`wizard.channel.${channel.value}` as never);
      acc.base_url = baseUrl.value.trim() || null;
      acc.params = {};
      try {
        for (const p of spec.params) if (input(p).value.trim()) acc.params[p] = input(p).value.trim();
        // Key files are copied into the home sealed with this machine's key; the account keeps the sealed path.
        for (const k of spec.keys) if (input(k).value.trim()) acc.params[k] = await ctx.backend.importKey(acc.name, k, input(k).value.trim());
        await ctx.backend.saveAccount(acc);
        const p = await ctx.backend.testAccount(acc.name);
        done.account = acc.name;
        done.tested = p.ok;
        result.textContent = p.ok ? `✓ ${t('wizard.testOk')}` : `✕ ${t('wizard.testFailed')} ${p.detail}`;
        result.className = `probe ${p.ok ? 'ok' : 'bad'}`;
        result.dataset.ok = String(p.ok);
      } catch (e) { result.textContent = ''; fail(e); }
    };
    draw();
    show(progress(1), h('h1', null, t('wizard.accountTitle')), h('p', { class: 'muted' }, t('wizard.accountHint')),
      h('div', { class: 'form-grid' }, h('label', null, t('account.channel'), channel), h('label', null, t('account.name'), accName), h('label', null, t('account.baseUrl'), baseUrl), fields),
      h('p', null, h('small', { class: 'muted' }, t('account.keyNote'))), result,
      h('div', { class: 'wizard-nav' },
        h('button', { 'data-test': 'wizard-skip', onclick: finish }, t('wizard.skip')),
        h('button', { 'data-test': 'wizard-test', onclick: () => void save() }, t('wizard.saveTest')),
        h('button', { class: 'primary', 'data-test': 'wizard-next', onclick: finish }, t('wizard.next'))));
  }

  function finish() {
    const line = (k: string, v: string) => h('li', null, h('span', null, t(k as never)), ' ', h('strong', null, v));
    show(progress(2), h('h1', null, t('wizard.doneTitle')),
      h('ul', { class: 'wizard-summary', 'data-test': 'wizard-summary' },
        line('wizard.sumShop', done.shop),
        line('wizard.sumAccount', done.account ? `${done.account} ${done.tested ? '✓' : t('wizard.untested')}` : t('wizard.noAccount')),
        line('wizard.sumCallback', t(`callback.${done.callback}` as never))),
      h('p', { class: 'muted' }, t('wizard.doneHint')),
      h('div', { class: 'wizard-nav' }, h('button', { class: 'primary', 'data-test': 'wizard-finish', onclick: () => { if (session) ctx.onLoggedIn(session); } }, t('wizard.start'))));
  }

  function moveIn() {
    const path = h('input', { 'data-test': 'move-path', placeholder: '/media/usb/shop.pdmove' });
    const pass = h('input', { type: 'password', 'data-test': 'move-pass', placeholder: t('backup.passphrase') });
    show(h('h1', null, t('wizard.moveIn')), h('p', { class: 'muted' }, t('wizard.moveInExplain')),
      h('div', { class: 'form' }, path, pass),
      h('div', { class: 'wizard-nav' }, h('button', { onclick: welcome }, t('wizard.back')),
        h('button', { class: 'primary', 'data-test': 'move-go', onclick: () => void ctx.backend.moveImport(path.value, pass.value, false).then(() => show(h('p', { 'data-test': 'wizard-restarting' }, t('wizard.restarting'))), fail) }, t('wizard.restore'))));
  }

  welcome();
  return root;
}
