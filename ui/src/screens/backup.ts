// Backups in the owner's settings: whether they are healthy (a warning when the last one failed
// or is over two days old), the last one, back up now, the folder (a USB stick or a synced
// folder), restore with the differences shown first, and the move archive for a new PC.

import { h, mount } from '../dom';
import { fmtTime, t } from '../i18n';
import { formatFen } from '../money';
import { errorText } from '../error-text';
import type { BookFigures } from '../backend/backup-types';
import type { Ctx } from '../context';

function figures(f: BookFigures): string {
  return t('backup.figures', { orders: f.orders, paid: formatFen(f.paid_fen), refunds: f.refunds, at: f.latest_at ? fmtTime(f.latest_at) : '—' });
}

export async function backupTab(ctx: Ctx, redraw: () => void): Promise<HTMLElement> {
  const v = await ctx.backend.backupOverview();
  const manage = ctx.can('manage_settings');
  const err = (e: unknown) => ctx.toast(errorText(e), 'error');
  const warn = v.health === 'ok' ? null : h('div', { class: 'banner warn', 'data-test': 'backup-warning', 'data-health': v.health },
    v.health === 'failing' ? t('backup.warnFailing', { error: v.last_failure?.error ?? '' }) : v.health === 'stale' ? t('backup.warnStale') : t('backup.warnNever'));

  const status = h('div', { class: 'backup-status', 'data-test': 'backup-status', 'data-health': v.health },
    h('span', { class: `badge backup-${v.health}` }, t(`backup.health.${v.health}` as never)), ' ',
    v.last_ok ? h('span', { 'data-test': 'backup-last' }, t('backup.last', { at: fmtTime(v.last_ok.at) }), ' · ', figures(v.last_ok.figures)) : h('span', null, t('backup.none')),
    h('div', { class: 'muted mono' }, t('backup.folder', { folder: v.folder })));

  const now = h('button', { class: 'primary', 'data-test': 'backup-now', disabled: !manage, onclick: async () => {
    now.textContent = t('backup.working');
    try { const r = await ctx.backend.backupNow(); ctx.toast(t('backup.done', { file: r.file })); redraw(); } catch (e) { err(e); redraw(); }
    window.dispatchEvent(new Event('paydesk:backup-changed'));
  } }, t('backup.now'));

  const dir = h('input', { 'data-test': 'backup-dir', value: v.dir_setting, placeholder: t('backup.dirPlaceholder') });
  const auto = h('input', { type: 'checkbox', checked: v.enabled, 'data-test': 'backup-auto' });
  const folder = h('div', { class: 'form-grid' }, h('h3', null, t('backup.where')), h('p', { class: 'muted' }, t('backup.whereHint')),
    h('label', null, t('backup.dir'), dir), h('label', { class: 'check' }, auto, t('backup.auto')),
    h('button', { 'data-test': 'backup-save', disabled: !manage, onclick: () => void ctx.backend.saveBackupSettings(dir.value, auto.checked).then(() => { ctx.toast(t('settings.saved')); redraw(); }, err) }, t('settings.save')));

  const restorePath = h('input', { 'data-test': 'restore-path', placeholder: v.backups[0]?.path ?? '/media/usb/paydesk/paydesk-….db' });
  const restoreOut = h('div', { 'data-test': 'restore-preview' });
  const restore = async (force: boolean) => {
    try { await ctx.backend.restoreBackup(restorePath.value, force); mount(restoreOut, h('p', { 'data-test': 'restore-restarting' }, t('wizard.restarting'))); } catch (e) { err(e); }
  };
  const preview = async () => {
    try {
      const p = await ctx.backend.restorePreview(restorePath.value);
      mount(restoreOut,
        h('p', null, t('backup.inBackup'), ' ', figures(p.backup)),
        p.home && h('p', null, t('backup.inHome'), ' ', figures(p.home)),
        p.newer.length
          ? h('div', { class: 'banner warn', 'data-test': 'restore-newer' }, h('strong', null, t('backup.newer')), h('ul', null, p.newer.map((d) => h('li', null, d))),
            h('button', { class: 'danger', 'data-test': 'restore-force', onclick: () => void restore(true) }, t('backup.replaceAnyway')))
          : h('button', { class: 'primary', 'data-test': 'restore-go', onclick: () => void restore(false) }, t('backup.restore')));
    } catch (e) { err(e); }
  };
  const restoreBox = h('div', { class: 'form-grid' }, h('h3', null, t('backup.restoreTitle')), h('p', { class: 'muted' }, t('backup.restoreHint')),
    h('label', null, t('backup.file'), restorePath), h('button', { 'data-test': 'restore-check', disabled: !manage, onclick: () => void preview() }, t('backup.compare')), restoreOut);

  const movePath = h('input', { 'data-test': 'move-out-path', placeholder: '/media/usb/shop.pdmove' });
  const pass = h('input', { type: 'password', 'data-test': 'move-out-pass', placeholder: t('backup.passphrase') });
  const pass2 = h('input', { type: 'password', 'data-test': 'move-out-pass2', placeholder: t('backup.passphraseAgain') });
  const moveOut = h('div', { 'data-test': 'move-out-result' });
  const move = async () => {
    if (pass.value !== pass2.value) { ctx.toast(t('backup.passMismatch'), 'error'); return; }
    try {
      const m = await ctx.backend.moveExport(movePath.value, pass.value);
      mount(moveOut, h('p', { class: 'ok' }, t('backup.moveDone', { keys: m.keys.length, files: m.files.length })),
        m.outside.length ? h('div', { class: 'banner warn' }, t('backup.outside'), h('ul', null, m.outside.map((o) => h('li', { class: 'mono' }, o)))) : null);
    } catch (e) { err(e); }
  };
  const moveBox = h('div', { class: 'form-grid' }, h('h3', null, t('backup.moveTitle')), h('p', { class: 'muted' }, t('backup.moveHint')),
    h('label', null, t('backup.file'), movePath), pass, pass2, h('button', { 'data-test': 'move-out-go', disabled: !manage, onclick: () => void move() }, t('backup.moveWrite')), moveOut);

  return h('div', { class: 'backup', 'data-test': 'backup-tab' }, warn, status, now, folder, restoreBox, moveBox,
    h('p', { class: 'muted', 'data-test': 'app-version' }, t('backup.version', { version: v.version })));
}
