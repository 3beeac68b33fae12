// Login: pick a user, type the PIN (keypad or keyboard). First start: the setup wizard.

import { h, mount } from '../dom';
import { fmtTime, t, tk } from '../i18n';
import { toBackendError } from '../backend/errors';
import { errorText } from '../error-text';
import type { Ctx } from '../context';
import { setupScreen } from './setup';

export function loginScreen(ctx: Ctx): HTMLElement {
  const root = h('section', { class: 'login', 'data-screen': 'login' });
  if (ctx.info.needs_setup) return setupScreen(ctx, root);
  let user = (ctx.info.users.find((u) => u.role === 'cashier') ?? ctx.info.users[0])?.name ?? '';
  let pin = '';
  const msg = h('p', { class: 'error', 'data-test': 'login-error' });
  const pinInput = h('input', { type: 'password', inputmode: 'numeric', autocomplete: 'off', class: 'pin-input', 'data-test': 'pin', 'aria-label': t('login.pin') });
  const tiles = h('div', { class: 'user-tiles' });

  const draw = () => {
    mount(tiles, ctx.info.users.map((u) => h('button', {
      class: `user-tile${u.name === user ? ' selected' : ''}`, 'data-user': u.name, 'data-role': u.role,
      onclick: () => { user = u.name; pin = ''; pinInput.value = ''; draw(); pinInput.focus(); },
    }, h('span', { class: 'avatar' }, u.name.slice(0, 1)), h('strong', null, u.name), h('small', null, tk('role', u.role)))));
  };
  const submit = async () => {
    try {
      const s = await ctx.backend.login(user, pin);
      ctx.onLoggedIn(s);
    } catch (e) {
      const err = toBackendError(e);
      const until = (err.details as { until?: string } | null)?.until;
      msg.textContent = err.code === 'locked' ? (until ? t('login.lockedUntil', { until: fmtTime(until) }) : t('login.locked')) : err.code === 'bad_pin' ? t('login.badPin') : errorText(err);
      pin = '';
      pinInput.value = '';
      draw();
    }
  };
  pinInput.addEventListener('input', () => { pin = pinInput.value.replace(/\D/g, '').slice(0, 8); pinInput.value = pin; msg.textContent = ''; draw(); });
  pinInput.addEventListener('keydown', (e) => { if (e.key === 'Enter') void submit(); });
  const key = (k: string) => h('button', {
    class: 'key', 'data-key': k,
    onclick: () => {
      if (k === '⌫') pin = pin.slice(0, -1);
      else if (k === 'OK') { void submit(); return; } else if (pin.length < 8) pin += k;
      pinInput.value = pin; msg.textContent = ''; draw(); pinInput.focus();
    },
  }, k === 'OK' ? t('login.submit') : k);
  draw();
  mount(root,
    h('h1', null, t('login.title')),
    h('p', { class: 'muted' }, t('login.pickUser')),
    tiles,
    h('div', { class: 'pin-box' }, h('label', null, t('login.pin')), pinInput,
      h('div', { class: 'keypad small' }, ['1', '2', '3', '4', '5', '6', '7', '8', '9', '⌫', '0', 'OK'].map(key))),
    msg,
    ctx.info.demo && h('div', { class: 'demo-hint', 'data-test': 'demo-users' }, h('strong', null, t('demo.usersTitle')),
      h('ul', null, ctx.info.demo.users.map(([n, r, p]) => h('li', null, `${n} · ${tk('role', r)} · PIN ${p}`)))),
  );
  setTimeout(() => pinInput.focus(), 0);
  return root;
}

/** First run at another till of a shop: join its shared book (accounts, users, settings come with it). */
export function join(ctx: Ctx, root: HTMLElement) {
  const field = (test: string, ph: string, type = 'text') => h('input', { type, 'data-test': test, placeholder: ph, autocomplete: 'off' });
  const url = field('join-url', t('join.url'));
  const password = field('join-password', t('join.password'), 'password');
  const till = field('join-till', t('join.till'));
  const store = field('join-store', t('join.store'));
  const shopKey = field('join-shop-key', t('join.shopKey'));
  const msg = h('p', { class: 'error', 'data-test': 'join-error' });
  const submit = h('button', { class: 'primary', 'data-test': 'join-submit' }, t('join.submit'));
  submit.onclick = async () => {
    msg.textContent = '';
    submit.disabled = true;
    try {
      const r = await ctx.backend.joinShared({ url: url.value.trim(), password: password.value || null, till: till.value.trim().toUpperCase(), store: store.value.trim(), shop_key_file: shopKey.value.trim() || null });
      ctx.toast(t('join.done', { till: r.till, store: r.store }));
      await ctx.reload();
    } catch (e) {
      msg.textContent = errorText(e);
    } finally {
      submit.disabled = false;
    }
  };
  mount(root, h('h1', null, t('join.title')), h('p', { class: 'muted' }, t('join.hint')),
    h('div', { class: 'form', 'data-test': 'join-form' }, url, password, till, store, shopKey, h('small', { class: 'muted' }, t('join.shopKeyHint')), submit), msg,
    h('button', { class: 'link', 'data-test': 'join-back', onclick: () => { mount(root); setupScreen(ctx, root); } }, t('join.back')));
}
