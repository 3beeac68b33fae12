// Settings → Printer: this till's receipt printer (none, network TCP 9100, USB device, or the
// on-screen printer), paper width, what receipts say, a test page whose printout is shown as the
// printer received it, and the customer receipt of the last paid order as it prints.

import { h, mount } from '../dom';
import { t } from '../i18n';
import { errorText } from '../error-text';
import type { PrinterSettings, PrintJob } from '../backend/types';
import type { Ctx } from '../context';

type Connection = PrinterSettings['connection'];

export async function printerSettings(ctx: Ctx): Promise<HTMLElement> {
  const p: PrinterSettings = await ctx.backend.getPrinter();
  const canEdit = ctx.can('manage_settings');
  const err = (e: unknown) => ctx.toast(errorText(e), 'error');
  const input = (value: string, test: string, attrs: Record<string, string> = {}) => h('input', { value, 'data-test': test, disabled: !canEdit, ...attrs }) as HTMLInputElement;
  const select = <V extends string>(value: V, test: string, options: [V, string][]) =>
    h('select', { 'data-test': test, disabled: !canEdit }, options.map(([v, label]) => h('option', { value: v, selected: v === value }, label))) as HTMLSelectElement;
  const check = (on: boolean, test: string) => h('input', { type: 'checkbox', checked: on, 'data-test': test, disabled: !canEdit }) as HTMLInputElement;
  const lines = (v: string[], test: string) => h('textarea', { rows: '3', 'data-test': test, disabled: !canEdit }, v.join('\n')) as HTMLTextAreaElement;

  const connection = select<Connection>(p.connection, 'printer-connection', (['none', 'tcp', 'usb', 'virtual'] as Connection[]).map((c) => [c, t(`printer.conn.${c}` as never)]));
  const address = input(p.address, 'printer-address', { placeholder: '192.168.1.50:9100' });
  const device = input(p.device, 'printer-device', { placeholder: '/dev/usb/lp0' });
  const paper = select(String(p.paper_mm), 'printer-paper', [['80', t('printer.paper80')], ['58', t('printer.paper58')]]);
  const shop = input(p.shop_name, 'printer-shop');
  const header = lines(p.header, 'printer-header');
  const footer = lines(p.footer, 'printer-footer');
  const code = select(p.order_code, 'printer-code', [['qr', t('printer.code.qr')], ['barcode', t('printer.code.barcode')], ['none', t('printer.code.none')]]);
  const kick = check(p.drawer_kick, 'printer-kick');
  const cut = check(p.cut, 'printer-cut');
  const auto = check(p.auto_print, 'printer-auto');
  const timeout = input(String(p.timeout_secs), 'printer-timeout', { type: 'number', min: '1', max: '60' });
  const addressRow = h('label', null, t('printer.address'), address);
  const deviceRow = h('label', null, t('printer.device'), device);
  const hint = h('p', { class: 'muted', 'data-test': 'printer-hint' });
  const showRows = () => {
    const c = connection.value as Connection;
    addressRow.hidden = c !== 'tcp';
    deviceRow.hidden = c !== 'usb';
    hint.textContent = t(`printer.hint.${c}` as never);
  };
  connection.onchange = showRows;
  showRows();

  const status = h('p', { class: 'print-status', 'data-test': 'printer-status' });
  const testOut = h('div', { class: 'receipt-preview', 'data-test': 'test-page-preview' });
  const split = (a: HTMLTextAreaElement) => a.value.split('\n').map((l) => l.trim()).filter(Boolean);

  const save = async () => {
    const next: PrinterSettings = {
      ...p, connection: connection.value as Connection, address: address.value.trim(), device: device.value.trim(), paper_mm: Number(paper.value),
      shop_name: shop.value.trim(), header: split(header), footer: split(footer), order_code: code.value as PrinterSettings['order_code'],
      drawer_kick: kick.checked, cut: cut.checked, auto_print: auto.checked, timeout_secs: Number(timeout.value),
    };
    try {
      Object.assign(p, await ctx.backend.savePrinter(next));
      ctx.toast(t('settings.saved'));
      void preview();
    } catch (e) { err(e); }
  };

  // The test page: wait for the job's outcome, then show what the printer was sent.
  const testPage = async () => {
    status.textContent = t('print.printing');
    status.className = 'print-status';
    // Listen first: a quick printer finishes before the command's answer arrives.
    const seen = new Map<number, PrintJob>();
    let wake = () => {};
    const off = await ctx.backend.onPrintJob((j) => { seen.set(j.id, j); wake(); });
    let job: PrintJob;
    try { job = await ctx.backend.testPrint(); } catch (e) { off(); status.textContent = errorText(e); status.className = 'print-status error'; return; }
    const done = await new Promise<PrintJob>((resolve) => {
      const timer = setTimeout(() => void ctx.backend.printJobs().then((js) => resolve(js.find((j) => j.id === job.id) ?? job)), 20000);
      wake = () => { const j = seen.get(job.id); if (j) { clearTimeout(timer); resolve(j); } };
      wake();
    });
    off();
    const ok = done.status === 'done';
    status.textContent = ok ? t('printer.testDone') : `${t('print.failed')}: ${done.message ?? ''}`;
    status.className = `print-status ${ok ? 'ok' : 'error'}`;
    status.dataset.status = done.status;
    try { mount(testOut, h('img', { src: await ctx.backend.printJobPreview(job.id), alt: t('printer.testPage') })); } catch (e) { err(e); }
  };

  // The customer receipt of the last paid order, as this printer would print it.
  const receipt = h('div', { class: 'receipt-preview', 'data-test': 'receipt' });
  const preview = async () => {
    const paid = (await ctx.backend.listOrders({ status: 'success', limit: 1 }).catch(() => []))[0];
    if (!paid) { mount(receipt, h('p', { class: 'muted' }, t('printer.noReceipt'))); return; }
    try { mount(receipt, h('img', { src: await ctx.backend.receiptPreview(paid.order_no), alt: t('print.preview') })); } catch (e) { mount(receipt, h('p', { class: 'error' }, errorText(e))); }
  };
  void preview();

  return h('div', { class: 'printer-settings' },
    h('div', { class: 'form-grid', 'data-test': 'printer-form' },
      h('label', null, t('printer.connection'), connection), hint, addressRow, deviceRow,
      h('label', null, t('printer.paper'), paper),
      h('label', null, t('printer.shop'), shop),
      h('label', null, t('printer.header'), header),
      h('label', null, t('printer.footer'), footer),
      h('label', null, t('printer.code'), code),
      h('label', { class: 'check' }, kick, t('printer.kick')),
      h('label', { class: 'check' }, cut, t('printer.cut')),
      h('label', { class: 'check' }, auto, t('printer.auto')),
      h('label', null, t('printer.timeout'), timeout),
      h('div', { class: 'actions' },
        canEdit && h('button', { class: 'primary', 'data-test': 'printer-save', onclick: () => void save() }, t('settings.save')),
        h('button', { 'data-test': 'printer-test', onclick: () => void testPage() }, t('printer.testPage'))),
      status, testOut),
    h('div', null, h('h3', null, t('printer.lastReceipt')), receipt));
}
