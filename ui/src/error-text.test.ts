import { afterEach, describe, expect, it } from 'vitest';
import { BackendError } from './backend/errors';
import { errorText } from './error-text';
import { setLang } from './i18n';

describe('errors in the screen language', () => {
  afterEach(() => setLang('zh-CN'));

  it('words the codes it knows in Chinese, with the backend detail where only it knows', () => {
    setLang('zh-CN');
    expect(errorText(new BackendError('invalid', 'amount: must be greater than zero', { field: 'amount' }))).toBe('金额有误：must be greater than zero');
    expect(errorText(new BackendError('no_account', 'no enabled account can take alipay qr payments', { method: 'alipay', kind: 'qr' }))).toBe('没有可用的收款账户能收支付宝');
    expect(errorText(new BackendError('unreachable', 'cannot reach alipay: connection failed'))).toContain('连不上支付渠道');
    expect(errorText(new BackendError('unsettled', 'order P1: the outcome is not settled …', { order_no: 'P20261206T1000001' }))).toContain('P20261206T1000001');
    expect(errorText({ code: 'storage', message: 'the book could not be read or written; see the log' })).toBe('账本无法读写，请查看日志');
  });

  it('keeps what it cannot word, and Chinese the backend already wrote', () => {
    setLang('zh-CN');
    expect(errorText(new BackendError('no_shift', 'no shift is open'))).toBe('no shift is open');
    expect(errorText(new BackendError('invalid', '此主目录已有 Paydesk 服务在运行'))).toBe('此主目录已有 Paydesk 服务在运行');
  });

  it('shows the backend message as it is on the English screen', () => {
    setLang('en');
    expect(errorText(new BackendError('invalid', 'amount: must be greater than zero', { field: 'amount' }))).toBe('amount: must be greater than zero');
  });
});
