// The session at the till, on the UI side: the PIN asked again when the backend wants it
// (`reauth_required`: user, account and key management), the idle logout, and what an owner is
// told at login. The backend enforces all of it; this makes it pleasant.

import { h } from './dom';
import { fmtTime, t } from './i18n';
import { toBackendError } from './backend/errors';
import type { Backend } from './backend/backend';
import type { Notice } from './backend/types';

/** A small modal; resolves with what `body` reports through `done`. */
function modal<T>(build: (done: (v: T) => void) => HTMLElement, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    let closed = false;
    const close = (v: T) => { if (closed) return; closed = true; overlay.remove(); resolve(v); };
    const overlay = h('div', { class: 'modal-overlay', onkeydown: (e: KeyboardEvent) => { if (e.key === 'Escape') close(fallback); } }, build(close));
    document.body.append(overlay);
    setTimeout(() => (overlay.querySelector('input, button') as HTMLElement | null)?.focus(), 0);
  });
}

/** Asks the logged-in person for their PIN; null when they cancel. */
export function askPin(message = ''): Promise<string | null> {
  return modal<string | null>((done) => {
    const pin = h('input', { type: 'password', inputmode: 'numeric', autocomplete: 'off', class: 'pin-input', 'data-test': 'reauth-pin', 'aria-label': t('login.pin'),
      onkeydown: (e: KeyboardEvent) => { if (e.key === 'Enter') done(pin.value); } });
    return h('div', { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'data-test': 'reauth' },
      h('h3', null, t('reauth.title')), h('p', { class: 'muted' }, t('reauth.why')),
      message ? h('p', { class: 'error', 'data-test': 'reauth-error' }, message) : null,
      pin,
      h('div', { class: 'actions' },
        h('button', { 'data-test': 'reauth-cancel', onclick: () => done(null) }, t('reauth.cancel')),
        h('button', { class: 'primary', 'data-test': 'reauth-ok', onclick: () => done(pin.value) }, t('reauth.ok'))));
  }, null);
}

/** Shows what an owner should know at login; resolves when they have read it. */
export function showNotices(notices: Notice[]): Promise<void> {
  if (notices.length === 0) return Promise.resolve();
  const line = (n: Notice) => n.kind === 'locked'
    ? t('notice.locked', { user: n.user, at: fmtTime(n.at), failures: n.failures, until: fmtTime(n.until) })
    : t('notice.shortPin');
  return modal<void>((done) => h('div', { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'data-test': 'notices' },
    h('h3', null, t('notice.title')),
    h('ul', null, notices.map((n) => h('li', { 'data-notice': n.kind }, line(n)))),
    h('div', { class: 'actions' }, h('button', { class: 'primary', 'data-test': 'notices-ok', onclick: () => done() }, t('notice.ok')))), undefined);
}

/**
 * The backend with the PIN asked again: a call refused with `reauth_required` opens the PIN
 * dialog, confirms the PIN and is made once more. A wrong PIN asks again (the backend counts it
 * towards the lockout); cancel gives up with the original refusal. `onEnded` hears of a session
 * the backend ended (idle) so the shell can show the login.
 */
export function withReauth(b: Backend, onEnded: (code: string) => void): Backend {
  return new Proxy(b, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      // Methods run on the backend itself, so its own inner calls are never wrapped.
      if (prop === 'confirmPin' || prop === 'login') return (v as (...a: unknown[]) => unknown).bind(target);
      return async (...args: unknown[]) => {
        try {
          return await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (e) {
          const err = toBackendError(e);
          if (err.code === 'session_expired') onEnded(err.code);
          if (err.code !== 'reauth_required') throw err;
          let message = '';
          for (;;) {
            const pin = await askPin(message);
            if (pin === null) throw err;
            try { await target.confirmPin(pin); break; } catch (e2) {
              const e3 = toBackendError(e2);
              if (e3.code !== 'bad_pin') throw e3;
              message = t('login.badPin');
            }
          }
          return await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        }
      };
    },
  });
}

/**
 * Logs out after `idleSecs()` seconds without input (keys, pointer, touch) and tells the backend
 * of activity at most every few seconds. `reset` restarts the clock (at login).
 */
export function watchIdle(backend: Backend, idleSecs: () => number | null | undefined, logout: () => void): { stop: () => void; reset: () => void } {
  let last = Date.now();
  let told = 0;
  const activity = () => {
    last = Date.now();
    if (idleSecs() && last - told > 5000) { told = last; void backend.touchSession().catch(() => {}); }
  };
  const events = ['keydown', 'pointerdown', 'wheel', 'touchstart'] as const;
  events.forEach((ev) => window.addEventListener(ev, activity, { capture: true, passive: true }));
  const timer = setInterval(() => {
    const secs = idleSecs();
    if (secs && Date.now() - last > secs * 1000) { last = Date.now(); logout(); }
  }, 1000);
  return {
    stop: () => { clearInterval(timer); events.forEach((ev) => window.removeEventListener(ev, activity, { capture: true })); },
    reset: () => { last = Date.now(); told = last; },
  };
}
